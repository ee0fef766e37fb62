# More slow concurrent requests than one child can take: 12 requests of 3 s
# each at once, with room for 20 workers (threaded: 5 threads per child, one
# child at the start). All are answered with 200 and the full body, by
# several processes, served concurrently (far less time than one after the
# other), and the server forks children to take them.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep time);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;
use MpmCxx::HTTP qw(http_connect read_until_close parse_response);
use IO::Select;

MpmCxx::Server::time_limit(90);

my %case = (
    prefork => { conf => "StartServers 2\nMinSpareServers 1\nMaxSpareServers 4\nServerLimit 20\nMaxRequestWorkers 20\n",
                 per_child => 1 },
    worker  => { conf => "StartServers 1\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 10\n"
                         . "MaxRequestWorkers 20\nServerLimit 8\n",
                 per_child => 5 },
);
$case{event} = $case{worker};
my $c = $case{ kind() };

my $n = 12;
my $ms = 3000;

plan tests => 7;

my $srv = MpmCxx::Server->new(name => 'concurrency', conf => $c->{conf});
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
my @before = $srv->children;

# all requests sent at once
my $t0 = time;
my @socks;
for my $i (1 .. $n) {
    my $s = http_connect($srv->port, timeout => 5) or next;
    print $s "GET /probe/sleep?ms=$ms HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: concurrency-$i\r\n\r\n";
    push @socks, $s;
}
is(scalar @socks, $n, "$n connections opened");

# watch the process count while they run
my $max_children = 0;
my %buf;
my %open = map { fileno($_) => $_ } @socks;
my $sel = IO::Select->new(@socks);
my $deadline = time + 25;
while ($sel->count && time < $deadline) {
    my $kids = () = $srv->children;
    $max_children = $kids if $kids > $max_children;
    for my $s ($sel->can_read(0.2)) {
        my $r = sysread($s, $buf{ fileno $s }, 65536, length($buf{ fileno $s } // ''));
        if (!$r) {
            $sel->remove($s);
        }
    }
}
my $elapsed = time - $t0;
my $good = 0;
my @bad;
for my $s (@socks) {
    my $resp = parse_response($buf{ fileno $s } // '');
    if ($resp && $resp->{status} == 200 && $resp->{body} eq "sleeping\ndone\n") { $good++ }
    else { push @bad, $resp ? "status $resp->{status}" : 'no response' }
    close $s;
}
is($good, $n, "all $n slow requests answered with 200 and the full body") or diag("bad: @bad");
# one child alone: ceil(n / per_child) rounds of $ms
my $serial = int(($n + $c->{per_child} - 1) / $c->{per_child}) * $ms / 1000;
cmp_ok($elapsed, '<', $serial - 1, sprintf('served concurrently: %.1fs (one child alone would need %.0fs)',
                                          $elapsed, $serial));
cmp_ok($max_children, '>', scalar(@before), "children were forked for them (@{[ scalar @before ]} at the start, up to $max_children)");

# the access log names the serving process of each request
my %pids;
for (split /\n/, $srv->access_log) {
    $pids{$2}++ if m{"GET /probe/sleep\?ms=$ms HTTP/1\.0" 200 .*"concurrency-(\d+)" pid=(\d+)};
}
my $min_procs = int(($n + $c->{per_child} - 1) / $c->{per_child});
cmp_ok(scalar keys %pids, '>=', $min_procs, "served by at least $min_procs processes")
    or diag('requests per pid: ' . join(' ', map { "$_=$pids{$_}" } sort keys %pids));
ok($srv->stop, 'stopped');
