# Connections that arrive together while a child reaches MaxConnectionsPerChild
# are all answered, and none waits for a later client to arrive.
#
# MaxConnectionsPerChild 1, and bursts of 4 connections (each sends its
# request at once) with nothing arriving after them until all 4 are answered
# or 5 s have passed. The kernel wakes one child per new connection; the
# child that takes its last connection turns its listeners off, and the
# connections that arrived meanwhile were reported to it alone: its siblings
# hear of them only when the next client arrives. event_cxx left them there
# (about one burst in four had a connection unanswered); it now takes the
# connections already waiting when its listeners go (docs/event.md). A
# connection may wait for the parent to start a new child (about a second).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
our $TODO;
use Time::HiRes qw(time sleep);
use MpmCxx::Env qw(kind is_cxx);
use MpmCxx::Server;
use MpmCxx::HTTP qw(http_connect read_all_until_close);

MpmCxx::Server::time_limit(150);

my %conf = (
    prefork => "StartServers 4\nMinSpareServers 2\nMaxSpareServers 8\nServerLimit 8\nMaxRequestWorkers 8\n",
    worker  => "ServerLimit 8\nStartServers 4\nThreadLimit 4\nThreadsPerChild 4\nMaxRequestWorkers 32\n"
             . "MinSpareThreads 4\nMaxSpareThreads 16\n",
);
$conf{event} = $conf{worker};

my $bursts  = 30;
my $clients = 4;
plan tests => 3;

my $srv = MpmCxx::Server->new(name => 'mcpcburst', conf => $conf{ kind() } . "MaxConnectionsPerChild 1\n");
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
sleep 1;  # children up

my $req = "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
my @failed;
my $all_closed = 1;    # every unanswered connection was closed without a response
my ($connected, $slowest) = (0, 0);
for my $burst (1 .. $bursts) {
    my @socks;
    for (1 .. $clients) {
        my $s = http_connect($srv->port, timeout => 5) or last;
        syswrite($s, $req);
        push @socks, $s;
    }
    $connected++ if @socks == $clients;
    my ($ok, $closed) = (0, 0);
    for my $o (grep { $_->{closed} } read_all_until_close(\@socks, 5)) {
        $ok++ if $o->{data} =~ m{\AHTTP/1\.1 200 };
        $closed++ unless length $o->{data};
        $slowest = $o->{at} if $o->{at} > $slowest;
    }
    if ($ok != $clients) {
        push @failed, "burst $burst: $ok of $clients" . ($closed ? ", $closed closed unanswered" : '');
        $all_closed = 0 if $ok + $closed != $clients;
    }
    sleep 0.05 + rand(0.3);
}
is($connected, $bursts, "$bursts bursts of $clients connections connected");
{
    # Stock event can freeze here with every slot held by children leaving at MaxConnectionsPerChild
    # ("scoreboard is full", AH03490; mpm-contract section 10.1): seen once in CI, bursts 14-30 unanswered.
    # TODO only for stock, and only when its log shows that failure.
    # Stock event can also close unanswered a connection a child accepted
    # just before stopping (README difference 26, t/diff/backlog_at_limit.t):
    # TODO for stock event when that is all that went wrong.
    local $TODO = (!is_cxx() && ($srv->error_log // '') =~ /AH03490/)
        ? 'stock event froze with "scoreboard is full" (AH03490)'
        : (!is_cxx() && kind() eq 'event' && @failed && $all_closed)
        ? 'stock event can close a connection it accepted but no worker took before the child stopped' : undef;
    ok(!@failed, sprintf('every connection of every burst answered within 5 s (slowest burst %.2f s)', $slowest))
        or diag(join("\n", @failed));
}
