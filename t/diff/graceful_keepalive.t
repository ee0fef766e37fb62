# Intended difference of ours: graceful restart and graceful stop under
# keep-alive load lose nothing.
#
# 50 concurrent keep-alive clients each send requests on a persistent
# connection (MpmCxx::Load): half of them back to back, half with 30 ms pauses
# (idle connections). The requests mix small and 100 KiB files and a 5 ms
# handler that flushes its headers first (so the restart often arrives after
# the response was already announced as keep-alive). Two graceful restarts a
# few seconds apart, then (on a second server) a graceful stop. Required: zero failed
# requests, and the server closes a connection only after a response that
# said "Connection: close" (no connection is closed under a client that is
# just sending its next request, and none while idle: clients are never
# idle long enough for KeepAliveTimeout).
#
# Stock prefork closes a keep-alive connection without announcing it when the
# child learns of the restart after the response headers said keep-alive, so
# tens of requests fail per restart there. Stock worker does the same from
# its synchronous keep-alive loop, which breaks out as soon as MPM_STATE is
# STOPPING (about 50 requests lost over the two restarts, about 25 in the
# graceful stop, on a 2-core machine). For stock kinds the checks run as
# TODO.
#
# Threaded kinds: 4 children of 25 threads, so the 50 clients are spread
# over several children and each restart hits keep-alive connections in
# every state (reading the next request, writing, waiting).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep time);
use MpmCxx::Env qw(kind is_cxx);
use MpmCxx::Server;
use MpmCxx::Load;

MpmCxx::Server::time_limit(150);

my $clients = 50;
my %conf = (
    prefork => "StartServers $clients\nMinSpareServers 5\nMaxSpareServers 70\nServerLimit 120\n"
             . "MaxRequestWorkers 120\n",
    worker  => "StartServers 4\nThreadsPerChild 25\nMinSpareThreads 25\nMaxSpareThreads 100\n"
             . "MaxRequestWorkers 100\nServerLimit 16\n",
);
$conf{event} = $conf{worker};
my $todo = is_cxx() ? undef
    : 'stock MPMs close keep-alive connections during graceful restart/stop without announcing it';

plan tests => 11;

# ---- two graceful restarts
{
    my $srv = MpmCxx::Server->new(name => 'ka-graceful', conf => $conf{ kind() } . "KeepAliveTimeout 10\n");
    ok($srv->start, 'server started') or BAIL_OUT('cannot start');
    MpmCxx::Server::wait_until(15, sub { my $st = $srv->status; $st && $st->{IdleWorkers} >= $clients - 10 }, 0.3)
        if kind() eq 'prefork';
    my $load = MpmCxx::Load->start(port => $srv->port, clients => $clients, keepalive => 1, duration => 9,
                                   think_ms => [0, 30], paths => ['/small.txt', '/big.txt', '/probe/sleep?ms=5'],
                                   request_timeout => 15);
    sleep 2.5;
    $srv->signal('USR1');
    sleep 3.5;
    $srv->ctl('graceful');
    my $res = $load->wait(60);
    note('two graceful restarts: ' . MpmCxx::Load::summary($res));
    my $st = $srv->status || {};
    is($st->{ParentServerMPMGeneration}, 2, 'two graceful restarts happened');
    cmp_ok($res->{ok}, '>', 2000, "load ran ($res->{ok} ok)");
    TODO: {
        local $TODO = $todo;
        is($res->{failed}, 0, 'no failed request across two graceful restarts')
            or diag(MpmCxx::Load::summary($res) . "\n" . join("\n", @{ $res->{first_errors} || [] }));
        is($res->{idle_closes}, 0, 'no keep-alive connection closed while idle');
    }
    cmp_ok($res->{close_responses}, '>', 0, 'connections were ended with an announced close');
    $srv->stop;
}

# ---- graceful stop: clients do not reconnect; every connection must end with
#      an announced close, none may be cut
{
    my $srv = MpmCxx::Server->new(name => 'ka-graceful-stop',
                                  conf => $conf{ kind() } . "KeepAliveTimeout 10\nMaxKeepAliveRequests 0\n");
    ok($srv->start, 'server started (graceful stop case)') or BAIL_OUT('cannot start');
    MpmCxx::Server::wait_until(15, sub { my $st = $srv->status; $st && $st->{IdleWorkers} >= $clients - 10 }, 0.3)
        if kind() eq 'prefork';
    my $load = MpmCxx::Load->start(port => $srv->port, clients => $clients, keepalive => 1, duration => 8,
                                   think_ms => [0, 30], paths => ['/small.txt', '/probe/sleep?ms=5'],
                                   request_timeout => 15, reconnect => 0);
    sleep 2.5;
    my $t0 = time;
    $srv->signal('WINCH');
    my $res = $load->wait(60);
    note('graceful stop: ' . MpmCxx::Load::summary($res));
    ok($srv->wait_gone(15), sprintf('server gone after the graceful stop (%.1fs)', time - $t0));
    cmp_ok($res->{ok}, '>', 1000, "load ran ($res->{ok} ok)");
    TODO: {
        local $TODO = $todo;
        is($res->{failed}, 0, 'no request failed during the graceful stop')
            or diag(MpmCxx::Load::summary($res) . "\n" . join("\n", @{ $res->{first_errors} || [] }));
        is($res->{close_responses}, $clients,
           "each of the $clients connections ended with an announced close")
            or diag("close_responses $res->{close_responses}, idle_closes $res->{idle_closes}");
    }
    $srv->cleanup;
}
