# Intended difference of ours (README difference 1, its rare case): a
# graceful restart whose scoreboard mark lands between httpd's own
# BUSY_KEEPALIVE mark and its question "is the MPM stopping?" still loses no
# request.
#
# After a response that promised keep-alive, httpd marks the process's
# scoreboard entry BUSY_KEEPALIVE and asks for the MPM state; a draining
# prefork_cxx child answers "running" there (common/lifecycle/drain.h), so the
# connection waits for its next request, which is answered with
# "Connection: close". The parent marks every child GRACEFUL when a graceful
# restart begins (as stock prefork does). If that mark landed in the
# microseconds between httpd's mark and its question, the child answered
# "stopping" and closed the connection under the client's next request (seen
# once in a CI run of restart_storm.t: 1 failed request in 20 restarts).
#
# mod_mpm_probe's /probe/graceful_mark_race makes that moment certain: after
# its response, its mpm_query hook (run before the MPM's) asks the parent for
# a graceful restart and waits for the parent's mark before the MPM answers.
# Required: the next request on the connection gets its response, which says
# "Connection: close". Stock prefork closes the connection (it stops keep-alive
# as soon as it learns of the restart): TODO there. Threaded kinds skip (their
# parents mark no live worker).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use MpmCxx::Env qw(kind is_cxx);
use MpmCxx::Server;
use MpmCxx::HTTP qw(http_connect read_response);

MpmCxx::Server::time_limit(60);

plan skip_all => 'threaded kinds: the parent marks no live worker GRACEFUL' if kind() ne 'prefork';
plan tests => 6;

my $srv = MpmCxx::Server->new(name => 'graceful-mark-race',
                              conf => "StartServers 2\nMinSpareServers 1\nMaxSpareServers 4\nServerLimit 8\n"
                                    . "MaxRequestWorkers 8\nKeepAliveTimeout 10\n");
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
my $gen0 = $srv->generation // 0;

my $s = http_connect($srv->port);
ok($s, 'connected') or BAIL_OUT('cannot connect');
print $s "GET /probe/graceful_mark_race HTTP/1.1\r\nHost: localhost\r\n\r\n";
my $pending = '';
my $r1 = read_response($s, pending => \$pending, timeout => 10);
ok($r1 && $r1->{status} == 200 && ($r1->{headers}{connection} // '') !~ /close/i,
   'first response: 200, keep-alive') or diag($r1 ? "status $r1->{status}" : "error: $@");

# Sent at once, as a busy client does: the child is still between httpd's mark and its question.
print $s "GET /small.txt HTTP/1.1\r\nHost: localhost\r\n\r\n";
my $r2 = read_response($s, pending => \$pending, timeout => 10);
my $err = $@;
close $s;
ok(MpmCxx::Server::wait_until(10, sub { ($srv->generation // 0) > $gen0 }, 0.2),
   'the probe asked for a graceful restart, and it happened');
TODO: {
    local $TODO = is_cxx() ? undef : 'stock prefork closes keep-alive connections on a graceful restart';
    ok($r2 && $r2->{status} == 200, 'the next request on the connection is answered')
        or diag("error: $err");
    like($r2 ? $r2->{headers}{connection} // '' : '', qr/close/i, '... with "Connection: close"');
}
$srv->stop;
