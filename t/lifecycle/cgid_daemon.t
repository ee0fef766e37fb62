# mod_cgid on the threaded kinds: its CGI daemon is an "other child" of the
# parent (apr_proc_other_child_*), which the MPM must keep informed.
#  - CGI works; the script's parent process is the cgid daemon, a child of
#    the server parent
#  - concurrent CGI requests from several worker threads
#  - after a graceful restart CGI still works
#  - the daemon killed with SIGKILL is restarted by its owner once the MPM
#    reports the death (the parent reaps it), and CGI works again
#  - a stop leaves no process behind (daemon included)
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep time);
use MpmCxx::Env qw(kind cgi_module);
use MpmCxx::Server;
use MpmCxx::Load;

MpmCxx::Server::time_limit(90);

plan skip_all => 'prefork kinds use mod_cgi (no daemon)' if cgi_module() ne 'cgid';

plan tests => 11;

my $srv = MpmCxx::Server->new(name => 'cgid', cgi => 1, conf => <<'EOF');
StartServers 2
ThreadsPerChild 5
MinSpareThreads 5
MaxSpareThreads 20
MaxRequestWorkers 20
ServerLimit 8
EOF
ok($srv->start, 'server with mod_cgid started') or BAIL_OUT('cannot start');
my $parent = $srv->parent_pid;

sub cgi {
    my ($q) = @_;
    my $r = $srv->get("/cgi-bin/env.pl?$q", timeout => 10);
    return unless $r->{status} == 200 && $r->{body} =~ /^cgi ok$/m;
    my ($ppid) = $r->{body} =~ /^PPID=(\d+)$/m;
    return $ppid;
}

my $daemon = cgi('a=1');
ok($daemon, 'CGI answered');
my %procs = map { $_->{pid} => $_ } $srv->processes;
ok($daemon && $procs{$daemon} && $procs{$daemon}{ppid} == $parent,
   "the script ran under the cgid daemon ($daemon), a child of the parent ($parent)");

my $res = MpmCxx::Load->run(port => $srv->port, clients => 6, keepalive => 0, duration => 2,
                            max_requests => 30, path => '/cgi-bin/env.pl?load=1', request_timeout => 15);
ok($res->{ok} >= 12 && $res->{failed} == 0, "concurrent CGI requests ($res->{ok} ok)")
    or diag(MpmCxx::Load::summary($res));

$srv->signal('USR1');
MpmCxx::Server::wait_until(10, sub { ($srv->generation // 0) == 1 }, 0.1);
is($srv->generation, 1, 'graceful restart done');
my $d2 = MpmCxx::Server::wait_until(10, sub { cgi('b=2') }, 0.2);
ok($d2, "CGI works after the graceful restart (daemon $d2)");

# kill the daemon: its owner (mod_cgid) restarts it when the parent reports
# the death through apr_proc_other_child_alert
kill 'KILL', $d2 if $d2;
my $t0 = time;
my $d3 = MpmCxx::Server::wait_until(10, sub { my $p = cgi('c=3'); $p && $p != $d2 ? $p : 0 }, 0.2);
ok($d3, sprintf('the killed daemon was replaced (new daemon %s after %.1fs)', $d3 || 'none', time - $t0));
%procs = map { $_->{pid} => $_ } $srv->processes;
ok($d3 && $procs{$d3} && $procs{$d3}{ppid} == $parent, 'the new daemon is a child of the parent');
unlike($srv->error_log, qr/long lost child came home/, 'the daemon was not taken for a lost child');
is($srv->parent_pid, $parent, 'parent unchanged');

ok($srv->stop(10), 'stop leaves nothing behind (daemon included)');
