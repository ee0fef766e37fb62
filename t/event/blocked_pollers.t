# Ready connections must not wait for handlers that block while idle threads
# are there to serve them.
#
# event_cxx: every idle thread waits in the child's epoll set, so a ready
# connection wakes one of them whatever the busy ones are doing. This guards
# that against designs that let fewer threads poll than are idle (one was
# tried: at most one poller per CPU, the rest parked, and a watcher calling a
# parked thread in when every poller was held by a blocking handler; without
# the watcher, the third sleeper here waited 4 s; BENCHMARKS.md).
#
# One child with room to spare: sleepers (one more than the CPUs this test may
# use) are started one after the other, then requests arrive on kept-alive
# connections and on a new one. Each must be answered well before any sleeper
# ends, and the server must still stop at once. Worker and prefork kinds serve
# a kept-alive connection on a thread (process) of its own: the same checks,
# with room for those.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;
use MpmCxx::HTTP qw(read_response slow_request keepalive_connections);

MpmCxx::Server::time_limit(90);

my $cpus = cpus();
my $sleepers = ($cpus < 8 ? $cpus : 8) + 1;  # a bounded test on a big machine
my $keepalive = 3;
my $threads = $sleepers + $keepalive + 3;
my %conf = (
    prefork => "StartServers $threads\nMinSpareServers $threads\nMaxSpareServers @{[ 2 * $threads ]}\n"
             . "ServerLimit @{[ 2 * $threads ]}\nMaxRequestWorkers @{[ 2 * $threads ]}\n",
    worker  => "ServerLimit 1\nStartServers 1\nThreadLimit $threads\nThreadsPerChild $threads\n"
             . "MaxRequestWorkers $threads\nMinSpareThreads 1\nMaxSpareThreads $threads\n",
);
$conf{event} = $conf{worker};

plan tests => 6;

my $srv = MpmCxx::Server->new(name => 'blocked-pollers', conf => $conf{ kind() } . <<'EOF2');
KeepAlive On
KeepAliveTimeout 30
MaxKeepAliveRequests 0
EOF2
ok($srv->start, "server started ($cpus CPUs: $sleepers sleepers, room for $threads)") or BAIL_OUT('cannot start');
MpmCxx::Server::wait_until(10, sub { scalar($srv->children) >= (kind() eq 'prefork' ? $threads : 1) }, 0.2);
sleep 0.5;

my @ka = keepalive_connections($srv->port, $keepalive);
is(scalar @ka, $keepalive, "$keepalive keep-alive connections open");

my $sleep_ms = 4000;
my $t0 = time;
my @starts;
my @slow;
for (1 .. $sleepers) {
    my $t = time;
    my $s = slow_request($srv->port, $sleep_ms, timeout => 6);
    push @slow, $s if $s && $s->started;
    push @starts, time - $t;
}
ok(@slow == $sleepers && !(grep { $_ >= 1 } @starts),
   sprintf('every sleeper started at once (%s s)', join(' ', map { sprintf '%.3f', $_ } @starts)));

my @waits;
for my $s (@ka) {
    my $t = time;
    print $s "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    my $r = read_response($s, timeout => 8);
    push @waits, ($r && $r->{status} == 200) ? time - $t : 99;
}
my $t = time;
my $r = $srv->get('/small.txt', timeout => 8);
my $new_wait = ($r && $r->{status} == 200) ? time - $t : 99;
my $elapsed = time - $t0;
my @late = grep { $_ >= 1 } @waits;
ok(!@late && $elapsed < $sleep_ms / 1000 - 0.5,
   sprintf('kept-alive connections answered while every sleeper runs (%s s)', join(' ', map { sprintf '%.3f', $_ } @waits)));
ok($new_wait < 1, sprintf('a new client answered while every sleeper runs (%.3f s)', $new_wait));
$_->finish(10) for @slow;
close $_ for @ka;
# SIGTERM with every thread idle again
my $t1 = time;
ok($srv->stop(15) && time - $t1 < 5, sprintf('the server stops at once (%.2f s)', time - $t1));

sub cpus {
    my $n = 0;
    if (open my $fh, '<', '/proc/self/status') {
        while (<$fh>) {
            if (/^Cpus_allowed_list:\s*(\S+)/) {
                for my $range (split /,/, $1) {
                    my ($lo, $hi) = split /-/, $range;
                    $n += defined $hi ? $hi - $lo + 1 : 1;
                }
            }
        }
    }
    return $n || 1;
}
