# GracefulShutdownTimeout 2 with a 10 s request in flight: a graceful stop
# ends everything well before the request would finish.
#
# Threaded kinds: a handler thread sleeping without I/O (the probe's
# /probe/sleep) cannot be interrupted. After the timeout the stock
# worker/event parent stops the children and waits for them, escalating to
# SIGKILL only ~9 s later (ap_reclaim_child_processes), so the 10 s request
# ends first. Intended difference: our threaded MPMs end such a child about
# 1 s after the parent's stop without waiting for the thread, so everything is
# gone by ~3-4 s (checked: within 6 s). For stock worker/event those checks
# are TODO.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);
use MpmCxx::Env qw(kind is_cxx);
use MpmCxx::Server;
use MpmCxx::HTTP qw(slow_request);

MpmCxx::Server::time_limit(120);

my %conf = (
    prefork => "StartServers 2\nMinSpareServers 1\nMaxSpareServers 4\n",
    worker  => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

my $todo = (kind() ne 'prefork' && !is_cxx())
    ? 'stock threaded MPMs wait for a handler thread that does no I/O until SIGKILL (~9 s after the timeout)'
    : undef;

plan tests => 7;

my $srv = MpmCxx::Server->new(name => 'gst', conf => $conf{ kind() } . "GracefulShutdownTimeout 2\n");
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
my $slow = slow_request($srv->port, 10000);
ok($slow && $slow->started, '10 s request in flight');
my $t0 = time;
$srv->signal('WINCH');
# long enough for the stock threaded escalation, so no process is left behind
my $gone = $srv->wait_gone(16);
my $dt = time - $t0;
ok($gone, sprintf('all processes gone (%.1fs)', $dt)) or diag("left: @{[ $srv->pids ]}");
cmp_ok($dt, '>=', 1.5, 'not before the timeout');
my $r = $slow->finish(5);
TODO: {
    local $TODO = $todo;
    cmp_ok($dt, '<', 6, 'well before the 10 s request would end (GracefulShutdownTimeout 2)');
    ok(!($r->{status} == 200 && $r->{body} =~ /done/), 'the slow request was cut');
}
ok(!-e $srv->pid_file, 'PidFile removed');
