# Two graceful restarts (SIGUSR1, then apache2 -k graceful) a few seconds
# apart under concurrent NON-keep-alive load (a new connection per request):
# not a single request may fail.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;
use MpmCxx::Load;

MpmCxx::Server::time_limit(120);

my %conf = (
    prefork => "StartServers 10\nMinSpareServers 5\nMaxSpareServers 20\nServerLimit 40\nMaxRequestWorkers 40\n",
    worker  => "StartServers 2\nThreadsPerChild 10\nMinSpareThreads 10\nMaxSpareThreads 40\nMaxRequestWorkers 40\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

plan tests => 8;

my $srv = MpmCxx::Server->new(name => 'graceful-load', conf => $conf{ kind() });
ok($srv->start, 'server started') or BAIL_OUT('cannot start');

my $load = MpmCxx::Load->start(port => $srv->port, clients => 20, keepalive => 0, duration => 7,
                               think_ms => 5, paths => ['/small.txt', '/big.txt', '/probe/pid'],
                               max_requests => 60000);
sleep 1.5;
$srv->signal('USR1');
sleep 2.5;
ok($srv->ctl('graceful'), 'apache2 -k graceful');
my $res = $load->wait(40);
note(MpmCxx::Load::summary($res));

cmp_ok($res->{ok}, '>', 500, "load ran ($res->{ok} requests ok)");
is($res->{failed}, 0, 'no failed request across two graceful restarts')
    or diag(MpmCxx::Load::summary($res) . "\n" . join("\n", @{ $res->{first_errors} || [] }));
is($res->{connections}, $res->{requests}, 'one connection per request');

my $st = $srv->status;
is($st && $st->{ParentServerMPMGeneration}, 2, 'generation 2 after two graceful restarts');
my $r = $srv->get('/small.txt');
is($r->{status}, 200, 'serving afterwards');
ok($srv->stop, 'stopped');
