# Stop by SIGTERM and by "apache2 -k stop" with a slow request in flight:
# every process is gone within a few seconds, the PidFile is removed, the
# shutdown is logged.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;
use MpmCxx::HTTP qw(slow_request);

MpmCxx::Server::time_limit(120);

my %conf = (
    prefork => "StartServers 3\nMinSpareServers 2\nMaxSpareServers 5\n",
    worker  => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

# Seconds until every process must be gone. prefork children die at once on
# SIGTERM. A worker/event handler thread that sleeps without doing I/O (the
# probe's /probe/sleep) cannot be interrupted: the stock threaded MPMs wait
# for it and SIGKILL the child after about 9 s (ap_reclaim_child_processes).
my %max_secs = (prefork => 4, worker => 12, event => 12);
my $max = $max_secs{ kind() };

plan tests => 2 * 7;

for my $how ('SIGTERM', '-k stop') {
    my $srv = MpmCxx::Server->new(name => 'stop', conf => $conf{ kind() });
    ok($srv->start, "$how: server started") or next;
    my @procs = $srv->pids;
    my $slow = slow_request($srv->port, 20000);
    ok($slow && $slow->started, "$how: slow request in flight");
    my $t0 = time;
    if ($how eq 'SIGTERM') { $srv->signal('TERM') }
    else { $srv->ctl('stop') }
    my $gone = $srv->wait_gone($max + 1);
    my $dt = time - $t0;
    ok($gone, sprintf("$how: all processes gone (%.1fs)", $dt))
        or diag("left: @{[ $srv->pids ]}");
    cmp_ok($dt, '<', $max, "$how: within $max s");
    ok(!-e $srv->pid_file, "$how: PidFile removed");
    ok($srv->wait_log(qr/caught SIGTERM, shutting down/, 3), "$how: 'caught SIGTERM, shutting down' logged");
    my $r = $slow->finish(5);
    ok(!($r->{status} == 200 && $r->{body} =~ /done/), "$how: the slow request did not complete");
    $srv->cleanup;
}
