# Misbehaving clients, part 3: half-closed connections and lingering close.
#
# A. 10 clients send a complete request and shut their sending side down
#    (SHUT_WR) at once: each still gets its whole response (100 KiB), then
#    the server's close.
# B. 10 clients send half a request and shut their sending side down: the
#    server must notice the end of the request stream and close at once, not
#    hold a worker until Timeout (10 s here): within 2 s.
# C. Lingering close, silent client: after a "Connection: close" response
#    the client neither sends nor closes. prefork and worker: the server's
#    lingering read gives up after 2 s of silence (SECONDS_TO_LINGER): its
#    socket must be released (no process holds it: inode 0, or gone) within
#    2 + 2.5 s of the response. event keeps a lingering connection in its
#    linger queue until the client closes or MAX_SECS_TO_LINGER (30 s) pass
#    (stock event's queue timeout, kept by ours): within 30 + 3 s.
# D. Lingering close, trickling client: after the response the client sends a
#    byte every 0.5 s and never closes. The lingering close must still finish:
#    within MAX_SECS_TO_LINGER (30 s) + 4 s.
# A small normal load meanwhile loses nothing.
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

my %conf = (
    prefork => "StartServers 40\nMinSpareServers 5\nMaxSpareServers 50\nServerLimit 50\nMaxRequestWorkers 50\n",
    worker  => "StartServers 2\nThreadsPerChild 25\nMinSpareThreads 25\nMaxSpareThreads 75\n"
             . "MaxRequestWorkers 50\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

plan tests => 9;

my $srv = MpmCxx::Server->new(name => 'half-close', conf => $conf{ kind() } . "Timeout 10\nKeepAliveTimeout 2\n");
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
MpmCxx::Server::wait_until(15, sub { my $st = $srv->status; $st && $st->{IdleWorkers} + 1 >= 40 }, 0.3);
my $port = $srv->port;

my $load = MpmCxx::Load->start(port => $port, clients => 3, keepalive => 1, duration => 10, think_ms => 50,
                               paths => ['/small.txt', '/big.txt'], request_timeout => 20);

my $cl = MpmCxx::Fault::Clients->new(port => $port);
my $t0 = time;
$cl->add(10, "GET /big.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", tag => 'A', shut_wr => 1);
$cl->add(10, "GET /big.txt HTTP/1.1\r\nHost: 127", tag => 'B', shut_wr => 1);
$cl->add(5, "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", tag => 'C', keep_open => 1);
$cl->add(5, "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", tag => 'D', keep_open => 1);
my %by_port = map { $_->{lport} => $_ } $cl->conns;

my $next_trickle = time + 0.5;
while (time - $t0 < 38) {
    $cl->poll(0.05, read => 1);
    my $now = time;
    if ($now >= $next_trickle) {
        $cl->send_each('x', sub { $_[0]{tag} eq 'D' && $_[0]{eof_at} });
        $next_trickle += 0.5;
    }
    # when does the server let go of C and D sockets (inode 0 or gone)?
    my %held = map { $_->{rport} => $_->{inode} } grep { $_->{inode} } tcp_sockets($port);
    for my $c (grep { $_->{tag} =~ /^[CD]$/ && $_->{eof_at} && !$_->{released_at} } $cl->conns) {
        $c->{released_at} = $now unless $held{ $c->{lport} };
    }
    last unless grep { ($_->{tag} =~ /^[AB]$/ && $_->{state} eq 'open')
                       || ($_->{tag} =~ /^[CD]$/ && !$_->{released_at}) } $cl->conns;
}

sub by_tag { my ($t) = @_; return grep { $_->{tag} eq $t } $cl->conns }
sub body_len {
    my ($d) = @_;
    my $i = index($d, "\r\n\r\n");
    return $i < 0 ? -1 : length($d) - $i - 4;
}

# A
my @a = by_tag('A');
my $a_ok = grep { $_->{data} =~ m{^HTTP/1\.1 200} && $_->{got} >= 102400 && $_->{state} eq 'closed' } @a;
is($a_ok, 10, "A: all 10 half-closed clients got their whole response, then the close ($a_ok)")
    or diag(join "\n", map { "got $_->{got} state $_->{state} " . substr($_->{data}, 0, 30) } @a);

# B
my @b = by_tag('B');
my @bt = sort { $a <=> $b } map { ($_->{closed_at} // time) - $_->{opened} } @b;
my $b_closed = grep { $_->{state} eq 'closed' } @b;
is($b_closed, 10, 'B: the server closed all 10 connections whose request stream ended early');
cmp_ok($bt[-1], '<', 2, sprintf('B: at once, not after Timeout (slowest %.2fs)', $bt[-1]));

# C
my @c = by_tag('C');
my @cl_t = sort { $a <=> $b } map { defined $_->{released_at} ? $_->{released_at} - $_->{eof_at} : 99 }
           grep { $_->{eof_at} } @c;
is(scalar @cl_t, 5, 'C: the 5 silent clients got their response and the server\'s FIN');
my $c_bound = kind() eq 'event' ? 33 : 4.5;
cmp_ok(@cl_t ? $cl_t[-1] : 99, '<=', $c_bound,
       sprintf('C: lingering close with a silent client released within %gs (slowest %.1fs)', $c_bound,
               @cl_t ? $cl_t[-1] : 99));

# D
my @d = by_tag('D');
my @dt = sort { $a <=> $b } map { defined $_->{released_at} ? $_->{released_at} - $_->{eof_at} : 99 }
         grep { $_->{eof_at} } @d;
is(scalar @dt, 5, 'D: the 5 trickling clients got their response and the server\'s FIN');
cmp_ok(@dt ? $dt[-1] : 99, '<=', 34, sprintf('D: lingering close with a trickling client finished within 34s (slowest %.1fs)',
                                           @dt ? $dt[-1] : 99));

my $res = $load->wait(40);
note('normal load meanwhile: ' . MpmCxx::Load::summary($res));
is($res->{failed}, 0, "normal clients lost nothing ($res->{ok} ok)") or diag(join "\n", @{ $res->{first_errors} || [] });
figure('half_close', mpm => mpm(), half_closed_ok => $a_ok, early_eof_slowest_secs => sprintf('%.2f', $bt[-1]),
       linger_silent_secs => sprintf('%.1f', @cl_t ? $cl_t[-1] : 99),
       linger_trickle_secs => sprintf('%.1f', @dt ? $dt[-1] : 99), load_failed => $res->{failed});
$cl->close_all;
$srv->stop;
