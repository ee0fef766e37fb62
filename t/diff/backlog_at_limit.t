# A child that starts with connections already waiting for it, and reaches
# MaxConnectionsPerChild among them, answers every connection it accepted.
#
# One process of one thread at a time (ServerLimit 1, ThreadsPerChild 1 for
# the threaded kinds), MaxConnectionsPerChild 3 and 12 connections opened at
# once, each sending its request at once: every new child meets a backlog,
# takes 3 connections in a row and stops. The client reads all answers
# together and closes each connection as soon as it is answered, so a
# stopping child soon counts no open connection.
#
# Stock event counts a connection only once a worker thread has taken it from
# the listener's queue, and a worker of a stopping child leaves before taking
# more work while fewer connections are counted than threads remain. Its one
# thread finishes the 2nd connection and says it is idle; the listener accepts
# the 3rd, queues it and stops the child; the thread, counting no connection,
# leaves, and the queued connection is closed unanswered when the child exits
# (here: in 2 to 5 of 6 rounds per run; first seen in CI, in
# t/lifecycle/max_conn_per_child.t). TODO on stock event for connections
# closed unanswered. Ours counts a connection when it accepts it and serves
# every accepted connection: checked exactly on every kind.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use MpmCxx::Env qw(kind is_cxx);
use MpmCxx::Server;
use MpmCxx::HTTP qw(http_connect read_all_until_close);

MpmCxx::Server::time_limit(150);

my %conf = (
    prefork => "ServerLimit 1\nMaxRequestWorkers 1\nStartServers 1\nMinSpareServers 1\nMaxSpareServers 2\n",
    worker  => "ServerLimit 1\nStartServers 1\nThreadLimit 1\nThreadsPerChild 1\nMaxRequestWorkers 1\n"
             . "MinSpareThreads 1\nMaxSpareThreads 16\n",
);
$conf{event} = $conf{worker};

my $rounds  = 6;
my $clients = 12;
plan tests => 2 + $rounds;

my $srv = MpmCxx::Server->new(name => 'backlog', conf => $conf{ kind() } . "MaxConnectionsPerChild 3\n");
ok($srv->start, 'server started') or BAIL_OUT('cannot start');

my $stock_event = kind() eq 'event' && !is_cxx();
my $all_connected = 1;
for my $round (1 .. $rounds) {
    my @socks;
    for (1 .. $clients) {
        my $s = http_connect($srv->port, timeout => 10) or last;
        syswrite($s, "GET /probe/pid HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
        push @socks, $s;
    }
    $all_connected = 0 if @socks != $clients;

    # Each connection ends answered (a complete 200 with a pid), closed
    # without an answer, or still waiting at the deadline. A child takes 3;
    # the next one starts about a second or two after it has gone.
    my %n;
    for my $o (read_all_until_close(\@socks, 45)) {
        $n{ !$o->{closed} ? 'waiting'
          : $o->{data} =~ m{\AHTTP/1\.\d 200 .*^pid \d+}ms ? 'answered'
          : length $o->{data} ? 'cut' : 'closed' }++;
    }
    my $answered = $n{answered} // 0;
    my $summary = join(' ', map { "$_=$n{$_}" } sort keys %n);
    note("round $round: $summary");
    TODO: {
        local $TODO = $stock_event && ($n{closed} // 0) && $answered + $n{closed} == @socks
            ? 'stock event can close a connection it accepted but no worker took before the child stopped' : undef;
        is($answered, scalar @socks, "round $round: all $clients connections answered")
            or diag("round $round: $summary");
    }
}
ok($all_connected, "every round opened its $clients connections");
$srv->stop;
