# MaxConnectionsPerChild 3 with a single server process: the serving pid
# changes after every 3 connections; keep-alive requests on one connection
# count as one connection.
#
# Stock worker overshoots: its workers count a connection only when they
# have finished it, while the listener keeps accepting, so sequential
# connections give runs of 4 and connections opened at once up to
# ThreadsPerChild + 2 in one process. For stock worker the exact count is a
# TODO (ours counts at accept time and holds the limit exactly; stock event
# does too); every kind must stay within N .. N + ThreadsPerChild.
#
# Stock event can also close unanswered a connection it accepted just before
# its limit (TODO on stock event for that outcome only, see below).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use MpmCxx::Env qw(kind is_cxx);
use MpmCxx::Server;
use MpmCxx::HTTP qw(http_connect read_response);

MpmCxx::Server::time_limit(120);

# one process at a time (ServerLimit 1), so the order of pids is determined
my %conf = (
    prefork => "ServerLimit 1\nMaxRequestWorkers 1\nStartServers 1\nMinSpareServers 1\nMaxSpareServers 2\n",
    worker  => "ServerLimit 1\nStartServers 1\nThreadsPerChild 4\nMaxRequestWorkers 4\nMinSpareThreads 1\nMaxSpareThreads 4\n",
);
$conf{event} = $conf{worker};

plan tests => 10;

my $srv = MpmCxx::Server->new(name => 'mcpc', conf => $conf{ kind() } . "MaxConnectionsPerChild 3\n");
ok($srv->start, 'server started') or BAIL_OUT('cannot start');

# Connections per process seen in a row. The first run is cut (wait_ready
# used connections already); every later complete run must have a length in
# this range (threaded: up to N + ThreadsPerChild) and, exactly N where the
# limit is held exactly (TODO for stock worker/event, see above).
my %run_len = (prefork => [3, 3], worker => [3, 7], event => [3, 7]);
my ($min_len, $max_len) = @{ $run_len{ kind() } };
my $todo_exact = (kind() eq 'worker' && !is_cxx())
    ? 'stock worker counts a connection when a worker has finished it and accepts more meanwhile' : undef;

my @seq = map { (($srv->probe_pid(timeout => 15) || {})->{pid} // 'none') } 1 .. 12;
note("pids of 12 sequential connections: @seq");
my @runs;
for my $p (@seq) {
    if (@runs && $runs[-1][0] eq $p) { $runs[-1][1]++ }
    else { push @runs, [$p, 1] }
}
ok(!(grep { $_->[0] eq 'none' } @runs), 'every connection was answered');
my @full = @runs[1 .. $#runs - 1];    # drop the cut first and the open last run
cmp_ok(scalar @full, '>=', 1, 'at least one complete run of connections') or diag("pids: @seq");
ok(!(grep { $_->[1] < $min_len || $_->[1] > $max_len } @full),
   "each process served " . ($min_len == $max_len ? $min_len : "$min_len-$max_len") . " connections, then a new one took over")
    or diag("runs: " . join(' ', map { "$_->[0]x$_->[1]" } @runs));
TODO: {
    local $TODO = $todo_exact;
    ok(@full && !(grep { $_->[1] != 3 } @full), 'each process served exactly 3 connections')
        or diag("runs: " . join(' ', map { "$_->[0]x$_->[1]" } @runs));
}
my %distinct = map { $_->[0] => 1 } @runs;
is(scalar keys %distinct, scalar @runs, 'a process never comes back after its run');

# keep-alive: 5 requests on one connection count as one connection. Wait for
# a process's first connection, then use its second one for keep-alive.
my $last = $seq[-1];
my $fresh;
for (1 .. 6) {
    my $p = ($srv->probe_pid(timeout => 15) || {})->{pid} // 'none';
    if ($p ne $last) { $fresh = $p; last }
    $last = $p;
}
{
    my $s = http_connect($srv->port, timeout => 15);
    my $pending = '';
    my %ka;
    for (1 .. 5) {
        print $s "GET /probe/pid HTTP/1.1\r\nHost: x\r\n\r\n";
        my $r = read_response($s, pending => \$pending, timeout => 15) or last;
        $ka{$1}++ if $r->{body} =~ /^pid (\d+)/m;
    }
    close $s;
    is_deeply(\%ka, { $fresh => 5 }, "5 keep-alive requests on the 2nd connection of process $fresh");
    my @after = map { ($srv->probe_pid(timeout => 15) || {})->{pid} // 'none' } 1 .. 2;
    TODO: {
        local $TODO = $todo_exact;
        ok($after[0] eq $fresh && $after[1] ne $fresh,
           'it serves exactly one more connection (the keep-alive connection counted once)')
            or diag("process $fresh, then @after");
    }
}
# 8 connections opened at once, then a request on each: no process may take
# more than 3 of them (the rest wait in the listen backlog for the next
# process)
{
    my @socks = grep { defined } map { http_connect($srv->port, timeout => 15) } 1 .. 8;
    print $_ "GET /probe/pid HTTP/1.0\r\nHost: x\r\n\r\n" for @socks;
    my %per;
    my $answered = 0;
    my @outcome;    # per connection: the pid that answered, or why not
    my $closed_unanswered = 0;
    my $t0 = time;
    for my $i (0 .. $#socks) {
        my $r = read_response($socks[$i], timeout => 20);
        my $err = $@;
        close $socks[$i];
        my $when = sprintf('%.0fs', time - $t0);
        if ($r && $r->{body} =~ /^pid (\d+)/m) {
            $per{$1}++;
            $answered++;
            push @outcome, "$i:$1\@$when";
        }
        else {
            $closed_unanswered++ if !$r && ($err // '') eq 'connection closed';
            push @outcome, "$i:" . ($r ? "status $r->{status}" : $err || 'no response') . "\@$when";
        }
    }
    # Stock event counts a connection only once a worker has taken it from
    # its queue, and a worker of a stopping child leaves early when fewer
    # connections are counted than threads remain: a connection accepted and
    # still queued when the child reached its limit can be left there and
    # closed unanswered when the child exits (seen once in CI, 2026-12-04;
    # t/diff/backlog_at_limit.t provokes it). Ours counts at accept and
    # serves every accepted connection: checked exactly.
    my $stock_drop = kind() eq 'event' && !is_cxx() && @socks == 8
        && $answered + $closed_unanswered == 8;
    TODO: {
        local $TODO = $stock_drop && $answered < 8
            ? 'stock event can close a connection it accepted but no worker took before the child stopped' : undef;
        is($answered, 8, '8 concurrent connections all answered')
            or diag(scalar(@socks) . " connected; outcomes: @outcome");
    }
    my $max = (sort { $b <=> $a } values %per)[0] // 0;
    TODO: {
        local $TODO = $todo_exact;
        cmp_ok($max, '<=', 3, 'no process took more than 3 of them')
            or diag('connections per process: ' . join(' ', map { "$_=$per{$_}" } sort keys %per));
    }
}
$srv->stop;
