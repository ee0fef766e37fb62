# Misbehaving clients, part 2: clients that never read their responses, and
# clients that reset their connection mid-response or mid-request.
#
# 1. 20 clients pipeline 50 requests for a 100 KiB file each (5 MB of
#    responses) on a 4 KiB receive buffer and never read. With "Timeout 3"
#    the server must give each of them up within the timeout once its writes
#    stall: every server-side socket of these clients leaves ESTABLISHED
#    within Timeout + 4 s, and the workers are free again.
# 2. 300 connections reset by the client (RST) after the first bytes of a
#    response (100 KiB file, more requests pipelined behind it) or in the
#    middle of a request: no child dies (no "exit signal", no exception at
#    the C boundary; every child present before is still there), nothing
#    stays busy.
# Meanwhile a small load of normal clients loses nothing.
use strict;
use warnings;
# Part of the reliability suite (RELIABILITY.md): in `make test` with reduced figures, full-size with
# `make reliability`; MPMCXX_RELIABILITY=0 leaves it out.
BEGIN { if (($ENV{MPMCXX_RELIABILITY} // 1) eq '0') { require Test::More; Test::More::plan(skip_all => 'reliability suite left out (MPMCXX_RELIABILITY=0)'); } }

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep time);
use MpmCxx::Env qw(kind is_cxx mpm);
use MpmCxx::Server;
use MpmCxx::Load;
use MpmCxx::Fault qw(tcp_sockets figure);

MpmCxx::Server::time_limit(120);

my $T = 3;
my $M = 20;
my $R = 300;
my %conf = (
    prefork => "StartServers 32\nMinSpareServers 5\nMaxSpareServers 40\nServerLimit 40\nMaxRequestWorkers 40\n",
    worker  => "StartServers 2\nThreadsPerChild 20\nMinSpareThreads 20\nMaxSpareThreads 60\n"
             . "MaxRequestWorkers 40\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

plan tests => 10;

my $srv = MpmCxx::Server->new(name => 'bad-clients', conf => $conf{ kind() } . "Timeout $T\nKeepAliveTimeout 2\n");
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
MpmCxx::Server::wait_until(15, sub { my $st = $srv->status; $st && $st->{IdleWorkers} + 1 >= 30 }, 0.3);
my $parent = $srv->parent_pid;
my %kids0 = map { $_ => 1 } $srv->children;
my $mark = $srv->log_mark;
my $port = $srv->port;

my $load = MpmCxx::Load->start(port => $port, clients => 3, keepalive => 1, duration => 14, think_ms => 50,
                               paths => ['/small.txt', '/big.txt'], request_timeout => 20);

# ---- 1. clients that never read
my $nr = MpmCxx::Fault::Clients->new(port => $port, rcvbuf => 4096);
my $req = "GET /big.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" x 50;
$nr->add($M, $req);
my %mine = map { $_->{lport} => $_ } $nr->conns;
my $t0 = time;
my ($est, %left_at);
while (time - $t0 < $T + 8) {
    $nr->poll(0.1, read => 0);
    $est = 0;
    for my $s (tcp_sockets($port)) {
        my $c = $mine{ $s->{rport} } or next;
        if ($s->{state} eq '01' || $s->{state} eq '08') { $est++ }
        else { $left_at{ $s->{rport} } //= time - $t0 }
    }
    # sockets the server has closed and the kernel has already dropped
    for my $lp (keys %mine) {
        next if $left_at{$lp};
        $left_at{$lp} = time - $t0 unless grep { $_->{rport} == $lp } tcp_sockets($port);
    }
    last if !$est && keys(%left_at) == $M;
}
my @held = sort { $a <=> $b } values %left_at;
my $longest = @held ? $held[-1] : -1;
is($est, 0, "the server gave up all $M non-reading clients");
cmp_ok($longest, '<=', $T + 4, sprintf('each within Timeout %ds + 4s of stalling (longest %.1fs)', $T, $longest));
my $st;
ok(MpmCxx::Server::wait_until(5, sub { $st = $srv->status; $st && $st->{BusyWorkers} <= 4 }, 0.2),
   'their workers are free again') or diag($st ? "busy $st->{BusyWorkers}: $st->{Scoreboard}" : 'no status');
$nr->close_all(reset => 1);

# ---- 2. resets mid-response and mid-request
my $rc = MpmCxx::Fault::Clients->new(port => $port);
my ($mid_resp, $mid_req) = (0, 0);
my $t1 = time;
for my $i (1 .. $R / 10) {
    my $batch = MpmCxx::Fault::Clients->new(port => $port);
    $batch->add(7, "GET /big.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" x 5, tag => 'resp');
    $batch->add(3, "POST /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\nabc", tag => 'req');
    my $deadline = time + 3;
    while (time < $deadline) {
        $batch->poll(0.02, read => 1);
        my @waiting = grep { $_->{tag} eq 'resp' && $_->{state} eq 'open' && !$_->{got} } $batch->conns;
        last unless @waiting;
    }
    for my $c ($batch->conns) {
        if ($c->{tag} eq 'resp') { $mid_resp++ if $c->{got} && $c->{state} eq 'open' }
        else { $mid_req++ if $c->{state} eq 'open' }
        $batch->close_one($c, 1);
    }
}
my $reset_secs = time - $t1;
cmp_ok($mid_resp, '>=', $R * 0.7 * 0.9, "$mid_resp connections reset mid-response, $mid_req mid-request");

my $res = $load->wait(40);
note('normal load meanwhile: ' . MpmCxx::Load::summary($res));
# Stock event shuts a keep-alive connection down unanswered when it becomes readable while no worker is
# idle (README, intended difference 14; t/diff/busy_keepalive.t), and the bursts of resets above can keep
# all its workers busy for a moment. For stock event only, that one kind of loss is noted, not failed.
my $busy_closes = (kind() eq 'event' && !is_cxx())
    ? ($res->{errors}{'connection closed before response (keep-alive request)'} // 0) : 0;
note("stock event: $busy_closes keep-alive request(s) lost to busy workers (README, intended difference 14)")
    if $busy_closes;
is($res->{failed} - $busy_closes, 0, "normal clients lost nothing ($res->{ok} ok)")
    or diag(join "\n", @{ $res->{first_errors} || [] });
cmp_ok($res->{ok}, '>', 50, 'normal clients were served');

ok(MpmCxx::Server::wait_until($T + 5, sub { $st = $srv->status; $st && $st->{BusyWorkers} == 1 }, 0.2),
   'nothing stays busy') or diag($st ? "busy $st->{BusyWorkers}: $st->{Scoreboard}" : 'no status');
my $log = $srv->error_log($mark);
my @bad = grep { /exit signal|CXX90001|AH00052|Segmentation|Aborted/ } split /\n/, $log;
is(scalar @bad, 0, 'no child died or threw') or diag(join "\n", @bad[0 .. ($#bad > 9 ? 9 : $#bad)]);
my @gone = grep { !kill 0, $_ } keys %kids0;
is(scalar @gone, 0, 'every child present at the start is still alive (' . scalar(keys %kids0) . ')')
    or diag("gone: @gone");
figure('bad_clients', mpm => mpm(), nonreading => $M, nonreading_longest_secs => sprintf('%.1f', $longest),
       resets_mid_response => $mid_resp, resets_mid_request => $mid_req, load_ok => $res->{ok},
       load_failed => $res->{failed});
$srv->stop;
