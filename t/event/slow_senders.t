# Clients that send their request slowly, stop half-way, or send nothing.
# 2 processes x 4 threads, Timeout 3.
#
# What httpd 2.4 promises here, stock event included: a request is read by a
# thread, blocking, with Timeout per read (an event MPM only waits without a
# thread between requests and while writing). event_cxx also waits for the
# rest of an incomplete request head without a thread (Timeout between bytes,
# docs/event.md), so its bounds below are met with threads to spare. So:
#  1. 4 clients trickling their request (a byte every 50 ms, fewer clients
#     than threads): new clients are still answered within 1 s meanwhile, and
#     the trickling clients get their response.
#  2. 12 clients that connect and send nothing (more than the threads): with
#     the default "AcceptFilter http data" (TCP_DEFER_ACCEPT) Linux does not
#     hand them to the server at all, so new clients are answered within 1 s.
#  3. 12 clients that send half a request line and stop: they hold a thread
#     each until Timeout; the server closes every one of them no earlier than
#     Timeout and no later than 2 x Timeout + 4 s (those beyond the 8 threads
#     wait for a thread first; worker also lingers up to 2 s on a thread), and
#     new clients arriving meanwhile are answered within 2 x Timeout + 3 s.
#  4. With "AcceptFilter http none" the 12 silent clients are accepted at
#     once: the same bounds as 3.
#
# Threaded kinds (event and worker behave alike here); prefork skips.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);
use List::Util qw(max min);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;
use MpmCxx::HTTP qw(http_connect read_until_close parse_response);
use MpmCxx::Conn qw(background probes watch_closes median);

MpmCxx::Server::time_limit(150);

plan skip_all => 'prefork: a process per connection; the thread-holding bounds here are for threaded kinds'
    if kind() eq 'prefork';

my $timeout = 3;
my $conf = <<"EOF";
StartServers 2
ServerLimit 2
ThreadLimit 4
ThreadsPerChild 4
MaxRequestWorkers 8
MinSpareThreads 4
MaxSpareThreads 8
Timeout $timeout
KeepAliveTimeout 5
EOF
my $request = "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow-sender\r\nConnection: close\r\n\r\n";
my $late = 2 * $timeout + 4;    # latest close of a stalled connection
my $slow_probe = 2 * $timeout + 3;    # latest answer to a new client meanwhile

plan tests => 19;

sub probe_summary {
    my @p = @_;
    my $ok = grep { $_->[1] == 200 && $_->[2] == 1024 } @p;
    my $maxms = max(map { $_->[0] } @p) // 0;
    return ($ok, $maxms, sprintf('%d/%d answered, max %.0f ms, median %.0f ms', $ok, scalar @p, $maxms,
                                 median(map { $_->[0] } @p) // 0));
}

# parse the lines of a background probe run ("ms status length")
sub parse_probes { return map { [split / /] } grep { /^\d/ } @_ }

my $srv = MpmCxx::Server->new(name => 'slow-senders', conf => $conf, loglevel => 'warn');
ok($srv->start, 'server started (2 x 4 threads, Timeout 3)') or BAIL_OUT('cannot start');
my $port = $srv->port;

# ---- 1. trickling clients, fewer than the threads
{
    my $wait = background(sub {
        my @s = map { http_connect($port) } 1 .. 4;
        for my $i (0 .. length($request) - 1) {
            for my $s (@s) { syswrite($s, substr($request, $i, 1)) if $s }
            sleep 0.05;
        }
        return map {
            my $r = $_ ? parse_response((read_until_close($_, 10))[0]) : undef;
            $r ? "$r->{status} " . length($r->{body}) : 'none';
        } @s;
    });
    sleep 0.3;
    my @p = probes($port, count => 10, interval => 0.2, timeout => 5);
    my ($ok, $maxms, $sum) = probe_summary(@p);
    is($ok, 10, "while 4 clients trickle their request: new clients answered ($sum)");
    cmp_ok($maxms, '<', 1000, '... each within 1 s');
    my @res = $wait->(20);
    is(scalar(grep { $_ eq '200 1024' } @res), 4, 'the 4 trickling clients got their response')
        or diag("trickling clients: @res");
}

# ---- 2. silent clients with the default accept filter
{
    my @silent = grep { defined } map { http_connect($port) } 1 .. 12;
    is(scalar @silent, 12, '12 silent connections opened');
    my @p = probes($port, count => 10, interval => 0.1, timeout => 5);
    my ($ok, $maxms, $sum) = probe_summary(@p);
    is($ok, 10, "beside them (deferred accept): new clients answered ($sum)");
    cmp_ok($maxms, '<', 1000, '... each within 1 s');
    close $_ for @silent;
}

# ---- 3. stalled clients (half a request line), more than the threads
sub stalled_case {
    my ($srv, $label, $what) = @_;
    my $port = $srv->port;
    my @socks = grep { defined } map { http_connect($port) } 1 .. 12;
    if ($what eq 'half') {
        syswrite($_, substr($request, 0, 20)) for @socks;
    }
    my $t0 = time;
    my $wait = background(sub {
        sleep 0.2;
        return map { join ' ', @$_ } probes($port, count => 4, interval => 0.5, timeout => $slow_probe + 5);
    });
    my @closes = watch_closes(\@socks, $late + 2);
    my @t = grep { defined } map { $_->[0] } @closes;
    is(scalar @t, 12, "$label: the server closed all 12 connections");
    cmp_ok(min(@t) // 0, '>=', $timeout - 0.5,
           sprintf("$label: none before Timeout (first at %.1fs)", min(@t) // -1));
    cmp_ok(max(@t) // 99, '<=', $late, sprintf("$label: all by 2 x Timeout + 4 s (last at %.1fs)", max(@t) // -1));
    my $answered = grep { $_->[1] =~ /^HTTP\/1\.\d \d{3}/ } @closes;
    note(sprintf("$label: close times %s; %d got a response first", join(' ', map { sprintf '%.1f', $_ }
                 sort { $a <=> $b } @t), $answered));
    my @p = parse_probes($wait->($slow_probe * 4 + 10));
    my ($ok, $maxms, $sum) = probe_summary(@p);
    is($ok, 4, "$label: new clients meanwhile answered ($sum)");
    cmp_ok($maxms, '<=', $slow_probe * 1000, "$label: ... each within 2 x Timeout + 3 s");
    close $_ for @socks;
}

stalled_case($srv, 'half a request line', 'half');
ok($srv->stop, 'stopped');

# ---- 4. silent clients accepted at once
my $srv2 = MpmCxx::Server->new(name => 'slow-senders-nofilter', conf => $conf . "AcceptFilter http none\n",
                               loglevel => 'warn');
ok($srv2->start, 'server with "AcceptFilter http none" started') or BAIL_OUT('cannot start');
stalled_case($srv2, 'silent, no accept filter', 'silent');
$srv2->stop;
