# Many idle keep-alive connections cost no thread. 10,000 connections (fewer
# if the descriptor limits do not allow it, at least 2,000) each make one
# HTTP/1.1 request and then stay idle, against 2 processes x 8 threads with
# AsyncRequestWorkerFactor raised so that the stock connection limit
# (ThreadsPerChild + idle threads x factor, per process) admits them all in
# one process. mod_status counts them (ours at once; stock event publishes
# its counters only during queue maintenance: a TODO there). Meanwhile new
# clients are answered promptly (each within 1 s, median under 200 ms), held
# connections still answer a next request, and no held connection is closed
# by the server (KeepAliveTimeout 60; stock event sometimes closes all of a
# process's keep-alive connections when its workers are busy for a moment:
# TODO there). The server's memory per idle connection (sum of PSS) is
# reported, not checked.
#
# event kinds only: a worker or prefork server holds a thread or a process
# per keep-alive connection.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use POSIX qw(ceil);
use Time::HiRes qw(time sleep);
use MpmCxx::Env qw(kind is_cxx);
use MpmCxx::Server;
use MpmCxx::Conn qw(raise_nofile nofile_limits pss_kb timed_get median);

MpmCxx::Server::time_limit(150);

plan skip_all => 'prefork: every keep-alive connection holds a child (no asynchronous keep-alive)'
    if kind() eq 'prefork';
plan skip_all => 'worker: every keep-alive connection holds a thread (no asynchronous keep-alive)'
    if kind() eq 'worker';

my $target = 10_000;
my $min = 2_000;
my ($soft, $hard) = raise_nofile();
my $n = $target;
# the client holds them all; reserve some descriptors for everything else
$n = $soft - 200 if defined $soft && $soft - 200 < $n;
if ($n < $target) {
    diag("descriptor limit of the test process is $soft (hard $hard): holding $n connections instead of $target");
}
plan skip_all => "descriptor limit $soft (hard $hard) too low to hold $min connections" if $n < $min;

my $tpc = 8;
# one process may end up with all of them: TPC + (TPC - 1 busy) * factor > n
my $factor = ceil($n / ($tpc - 2)) + 1;
my $conf = <<"EOF";
StartServers 2
ServerLimit 2
ThreadLimit $tpc
ThreadsPerChild $tpc
MaxRequestWorkers @{[ 2 * $tpc ]}
MinSpareThreads $tpc
MaxSpareThreads @{[ 2 * $tpc ]}
AsyncRequestWorkerFactor $factor
KeepAliveTimeout 60
MaxKeepAliveRequests 0
Timeout 30
EOF

# Stock event closes every keep-alive connection of a process as soon as it
# finds no idle worker for an event once ("kill'em all"); with other load on
# the machine that happens now and then even here (its debug log then shows
# thousands of connections lingering at once). Ours closes nothing to make
# room (docs/event.md).
my $todo_kill = is_cxx() ? undef
    : 'stock event closes all keep-alive connections of a process whenever it finds its workers busy';

plan tests => 12;

my $srv = MpmCxx::Server->new(name => 'idle-capacity', conf => $conf, loglevel => 'warn');
ok($srv->start, "server started (AsyncRequestWorkerFactor $factor)") or BAIL_OUT('cannot start');
MpmCxx::Server::wait_until(10, sub { my @c = $srv->children; @c == 2 }, 0.1);
my @kids = $srv->children;
my ($child_soft) = nofile_limits($kids[0]);
note("descriptor limit: test process $soft, server child " . ($child_soft // '?'));
if (defined $child_soft && $child_soft - 100 < $n) {
    my $m = $child_soft - 100;
    diag("server child descriptor limit $child_soft: holding $m connections instead of $n");
    $n = $m;
}

# warm up (both processes have served something), then the baseline memory
timed_get($srv->port, '/small.txt') for 1 .. 20;
my $pss0 = pss_kb($srv->pids);

my $t0 = time;
my $held = MpmCxx::Conn::Idle->open(port => $srv->port, count => $n, path => '/small.txt',
                                    concurrency => 4, timeout => 70, expect_length => 1024);
my $opened_at = time;
is($held->count, $n, sprintf('%d idle keep-alive connections held (set up in %.1fs)', $n, $held->elapsed))
    or diag('failures: ' . $held->errors);
is($held->failed, 0, 'no failure while setting them up') or diag($held->errors);

# ours publishes its connection counters on every change (docs/event.md)
my $st = $srv->status || {};
TODO: {
    local $TODO = is_cxx() ? undef
        : 'stock event publishes its counters only in queue maintenance (here at the 60 s keep-alive expiry)';
    cmp_ok($st->{ConnsAsyncKeepAlive} // 0, '>=', int($n * 0.99),
           'mod_status counts them as keep-alive connections (ConnsAsyncKeepAlive '
           . ($st->{ConnsAsyncKeepAlive} // '?') . ', ConnsTotal ' . ($st->{ConnsTotal} // '?') . ')');
}

# new clients, one after the other
my (@ms, $bad);
for (1 .. 20) {
    my ($ms, $r) = timed_get($srv->port, '/small.txt', timeout => 5);
    push @ms, $ms;
    $bad++ unless $r->{status} == 200 && length($r->{body}) == 1024;
}
my ($max) = sort { $b <=> $a } @ms;
is($bad // 0, 0, '20 new clients answered with 200 and the full body');
cmp_ok($max, '<', 1000, sprintf('each new client answered within 1 s (max %.0f ms)', $max));
cmp_ok(median(@ms), '<', 200, sprintf('median latency of new clients under 200 ms (%.1f ms)', median(@ms)));

# a next request on held connections, spread over the whole set
my ($ka_ok, @ka_ms) = (0);
for my $k (0 .. 19) {
    my $i = int($k * ($held->count - 1) / 19);
    my $t = time;
    my $r = $held->request($i, '/small.txt', 5);
    push @ka_ms, (time - $t) * 1000;
    $ka_ok++ if $r && $r->{status} == 200 && length($r->{body}) == 1024;
}
my ($ka_max) = sort { $b <=> $a } @ka_ms;

# keep them a little longer, then none may have been closed
sleep 2;
my ($closed, $data) = $held->closed;
TODO: {
    local $TODO = $todo_kill;
    is($ka_ok, 20, sprintf('20 held connections answer a next request (max %.0f ms)', $ka_max // 0));
    is($closed, 0, sprintf('no held connection closed by the server after %.0fs (KeepAliveTimeout 60)',
                           time - $t0));
}
is($data, 0, 'no unexpected data on held connections');

my $pss1 = pss_kb($srv->pids);
if (defined $pss0 && defined $pss1 && $held->count) {
    note(sprintf('server memory (PSS, all processes): %.1f MiB idle, %.1f MiB with %d connections: '
                 . '%.1f KiB per idle connection', $pss0 / 1024, $pss1 / 1024, $held->count,
                 ($pss1 - $pss0) / $held->count));
}
else {
    note('server memory: /proc/PID/smaps_rollup not readable');
}

$held->close_all;
my $r = $srv->get('/small.txt');
is($r->{status}, 200, 'serving after the idle connections went away');
ok($srv->stop, 'stopped');
