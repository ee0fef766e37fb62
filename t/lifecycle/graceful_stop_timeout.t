# GracefulShutdownTimeout 2 with a 10 s request in flight: a graceful stop
# ends everything well before the request would finish.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;
use MpmCxx::HTTP qw(slow_request);

MpmCxx::Server::time_limit(120);

my %conf = (
    prefork => "StartServers 2\nMinSpareServers 1\nMaxSpareServers 4\n",
    worker  => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

# A worker/event handler thread sleeping without I/O (the probe's
# /probe/sleep) cannot be interrupted; after the timeout the stock threaded
# MPMs need about 9 s more (SIGKILL in ap_reclaim_child_processes), so the
# 10 s request would end first. Not checked for them until the probe can
# sleep interruptibly.
plan skip_all => 'threaded kinds: a sleeping handler thread is only killed ~9 s after the timeout'
    unless kind() eq 'prefork';

plan tests => 6;

my $srv = MpmCxx::Server->new(name => 'gst', conf => $conf{ kind() } . "GracefulShutdownTimeout 2\n");
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
my $slow = slow_request($srv->port, 10000);
ok($slow && $slow->started, '10 s request in flight');
my $t0 = time;
$srv->signal('WINCH');
my $gone = $srv->wait_gone(9);
my $dt = time - $t0;
ok($gone, sprintf('all processes gone (%.1fs)', $dt)) or diag("left: @{[ $srv->pids ]}");
cmp_ok($dt, '<', 6, 'well before the 10 s request would end (GracefulShutdownTimeout 2)');
cmp_ok($dt, '>=', 1.5, 'but not before the timeout');
my $r = $slow->finish(5);
ok(!($r->{status} == 200 && $r->{body} =~ /done/), 'the slow request was cut');
