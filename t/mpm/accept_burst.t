# Connections that arrive together are all served, and none waits for a
# later client to arrive.
#
# 40 clients connect within a few milliseconds (first all connect, then all
# send; then each sends right after its connect), to a server with fewer
# workers than clients, and nothing arrives after them. Every one must get
# its response within 5 s. (event_cxx registers its listeners edge-triggered,
# so that a new connection wakes one of a child's idle threads rather than
# most of them; the kernel reports such a listener once for connections that
# arrive together, so a child that takes one looks again for the others. A
# connection left behind would wait for the next client, here for ever.)
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use List::Util qw(max);
use Time::HiRes qw(sleep);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;
use MpmCxx::HTTP qw(http_connect read_all_until_close);

MpmCxx::Server::time_limit(90);

my %conf = (
    prefork => "StartServers 8\nMinSpareServers 8\nMaxSpareServers 16\nServerLimit 16\nMaxRequestWorkers 16\n",
    worker  => "ServerLimit 2\nStartServers 2\nThreadLimit 8\nThreadsPerChild 8\nMaxRequestWorkers 16\n"
             . "MinSpareThreads 8\nMaxSpareThreads 16\n",
);
$conf{event} = $conf{worker};

my $clients = 40;
my @rounds  = (['connect all, then send all', 0], ['send right after each connect', 1]) x 2;
plan tests => 1 + 2 * @rounds;

my $srv = MpmCxx::Server->new(name => 'burst', conf => $conf{ kind() });
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
sleep 1;  # children and threads up

my $req = "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
for my $i (0 .. $#rounds) {
    my ($what, $send_at_once) = @{ $rounds[$i] };
    my @socks;
    for (1 .. $clients) {
        my $s = http_connect($srv->port, timeout => 5) or last;
        syswrite($s, $req) if $send_at_once;
        push @socks, $s;
    }
    unless ($send_at_once) { syswrite($_, $req) for @socks }
    # closed by the server (Connection: close): the response is complete
    my @got = grep { $_->{closed} } read_all_until_close(\@socks, 5);
    my $ok = grep { $_->{data} =~ m{\AHTTP/1\.1 200 } } @got;
    my $slowest = max(0, map { $_->{at} } @got);
    is(scalar @socks, $clients, sprintf('round %d (%s): %d clients connected', $i + 1, $what, $clients));
    is($ok, $clients, sprintf('round %d: every client answered 200 within 5 s (%d of %d; last after %.2f s)',
                              $i + 1, $ok, $clients, $slowest));
    sleep 1;  # nothing arrives between rounds
}
