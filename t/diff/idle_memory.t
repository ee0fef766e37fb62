# An idle keep-alive connection costs half of what it costs stock event.
# 2,000 connections each make one request and stay idle (2 processes x 8
# threads, KeepAliveTimeout 60); 3 s later the server's memory (sum of PSS of
# its processes) per idle connection must be at most 16 KiB (stock event:
# about 31 KiB, TODO there). Then requests on a spread of the held
# connections are answered in full: a connection whose memory was given back
# serves its next request as before. Stock event may close some held
# connections on a loaded machine (intended difference 14): a TODO there.
# Ours gives back the free blocks of a connection's allocator once it has
# been idle for 1 s (mod_mpm_event_cxx: kTrimAfter, allocator_trim.h); stock
# keeps them for the next request on that connection.
# event kinds only: worker and prefork hold a thread or process per
# keep-alive connection.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);
use MpmCxx::Env qw(kind is_cxx);
use MpmCxx::Server;
use MpmCxx::Conn qw(raise_nofile pss_kb timed_get);

MpmCxx::Server::time_limit(90);

plan skip_all => 'prefork and worker hold a process or thread per keep-alive connection' if kind() ne 'event';
plan skip_all => 'memory figures under a sanitizer are not comparable' if $ENV{MPMCXX_SAN};
my $n = 2000;
my ($soft) = raise_nofile();
plan skip_all => "descriptor limit $soft too low for $n connections" if defined $soft && $soft < $n + 200;

plan tests => 5;

my $srv = MpmCxx::Server->new(name => 'idle-memory', loglevel => 'warn', conf => <<'EOF2');
StartServers 2
ServerLimit 2
ThreadLimit 8
ThreadsPerChild 8
MaxRequestWorkers 16
MinSpareThreads 8
MaxSpareThreads 16
AsyncRequestWorkerFactor 400
KeepAliveTimeout 60
MaxKeepAliveRequests 0
EOF2
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
MpmCxx::Server::wait_until(10, sub { my @c = $srv->children; @c == 2 }, 0.1);
timed_get($srv->port, '/small.txt') for 1 .. 20;
sleep 1;
my $pss0 = pss_kb($srv->pids);

my $held = MpmCxx::Conn::Idle->open(port => $srv->port, count => $n, path => '/small.txt',
                                    concurrency => 4, timeout => 60, expect_length => 1024);
is($held->count, $n, "$n idle keep-alive connections held") or diag('failures: ' . $held->errors);
sleep 3;
my $pss1 = pss_kb($srv->pids);
SKIP: {
    skip '/proc/PID/smaps_rollup not readable', 1 unless defined $pss0 && defined $pss1 && $held->count;
    my $per = ($pss1 - $pss0) / $held->count;
    TODO: {
        local $TODO = is_cxx() ? undef : 'stock event keeps each idle connection\'s free memory blocks';
        cmp_ok($per, '<=', 16, sprintf('memory per idle connection %.1f KiB (PSS %.1f -> %.1f MiB)',
                                       $per, $pss0 / 1024, $pss1 / 1024));
    }
}
# Closed while idle: counted before the next requests, which would hide them.
my ($closed) = $held->closed;
my ($ok, $lost, @why) = (0, 0);
for my $k (0 .. 49) {
    my $r = $held->request(int($k * ($held->count - 1) / 49), '/small.txt', 5);
    if ($r && $r->{status} == 200 && length($r->{body}) == 1024) { $ok++ }
    elsif (!$r && $@ =~ /closed|reset|Broken pipe/) { $lost++ }
    else { push @why, $r ? "status $r->{status}, " . length($r->{body}) . ' bytes' : $@ }
}
is($ok, 50 - $lost, "the sampled held connections that are still open answer a next request in full ($ok)")
    or diag(join '; ', @why);
TODO: {
    # Stock event shuts every keep-alive connection of a process when all its workers are busy for a
    # moment (README, intended difference 14; t/diff/busy_keepalive.t). Opening 2,000 connections on a
    # loaded machine can bring that about; ours must lose none.
    local $TODO = is_cxx() ? undef : 'stock event closes keep-alive connections when its workers are busy';
    ok($closed == 0 && $lost == 0, "none of them was closed by the server ($closed of all held closed while "
       . "idle, $lost of 50 sampled lost)");
}
$held->close_all;
$srv->stop;
