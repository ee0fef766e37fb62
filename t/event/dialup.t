# mod_dialup: a handler that sends a download in pulses from timed callbacks
# (ap_mpm_register_timed_callback) while its connection is suspended.
# "ModemStandard V.92" sends 7000 bytes a second, so a 30000-byte file takes
# five pulses, one at once and then one a second: about 4 s.
#
# event kinds, 2 processes x 2 threads:
#  1. one download: 200, the file intact, in 3.5 to 8 s; then the connection
#     carries on: a next request on it is answered (the suspended connection
#     is handed back to the MPM: docs/event.md).
#  2. 6 downloads at once (more than the 4 threads; "Connection: close"):
#     all complete intact and the server closes each connection after its
#     response, while new clients are answered within 1 s meanwhile
#     (suspended connections hold no thread).
# Stock event 2.4.71 does not shorten its listener's poll when a timed
# callback is registered (strace: woken right after the handler registered
# the 1 s callback, the listener polls again with its ~30 s default
# timeout), so the download stalls after the first pulse; and a connection
# a module leaves suspended is never taken back. Those checks are TODO on
# stock event, and so are part 2's new clients: the stalled downloads hold
# stock's threads, and sometimes none is answered.
#
# worker kinds have no timed callbacks (APR_ENOTIMPL): mod_dialup sends the
# first pulse and the connection ends there, on stock worker as on ours; the
# server keeps serving. Prefork kinds skip (the same as worker, one process
# per connection).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);
use MpmCxx::Env qw(kind is_cxx module_path t_dir);
use MpmCxx::Server;
use MpmCxx::HTTP qw(http_connect read_response read_until_close read_all_until_close parse_response);
use MpmCxx::Conn qw(background probes median);

MpmCxx::Server::time_limit(120);

plan skip_all => 'prefork: no timed callbacks (as worker); mod_dialup cannot pace a download'
    if kind() eq 'prefork';
plan skip_all => 'mod_dialup.so not installed' unless -f module_path('dialup');

my $rate = 7000;    # V.92: 56 kbit/s
my $size = 30000;
my $pulses = int(($size + $rate - 1) / $rate);
my $todo = kind() eq 'event' && !is_cxx()
    ? 'stock event 2.4.71 does not wake its listener for a new timed callback (mod_dialup stalls), '
      . 'and never takes back a connection left suspended' : undef;

plan tests => kind() eq 'event' ? 9 : 6;

my $srv = MpmCxx::Server->new(name => 'dialup', modules => ['dialup'], loglevel => 'warn', conf => <<"EOF");
StartServers 2
ServerLimit 2
ThreadLimit 2
ThreadsPerChild 2
MaxRequestWorkers 4
MinSpareThreads 2
MaxSpareThreads 4
Timeout 10
KeepAliveTimeout 5
<Location /slow>
    ModemStandard V.92
</Location>
EOF
my $docroot = $srv->root . '/htdocs';
mkdir "$docroot/slow";
my $content = join '', map { chr(65 + $_ % 26) . ($_ % 64 == 63 ? "\n" : '') } 0 .. $size - 1;
$content = substr($content, 0, $size);
{
    open my $out, '>', "$docroot/slow/f.bin" or die "f.bin: $!";
    print $out $content;
    close $out;
    open my $in, '<', t_dir() . '/htdocs/small.txt' or die "small.txt: $!";
    local $/;
    my $small = <$in>;
    open $out, '>', "$docroot/small.txt" or die "small.txt: $!";
    print $out $small;
    close $out;
}
$srv->{docroot} = $docroot;
$srv->write_conf($srv->{snippet});
ok($srv->start, 'server with mod_dialup (ModemStandard V.92 on /slow) started') or BAIL_OUT('cannot start');

if (kind() eq 'worker') {
    my $t0 = time;
    my $s = http_connect($srv->port);
    print $s "GET /slow/f.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    my ($data, $eof) = read_until_close($s, 10);
    my $took = time - $t0;
    close $s;
    my $r = parse_response($data) || {};
    is($r->{status}, 200, 'a paced download starts with 200');
    is($r->{headers}{'content-length'}, $size, "... announcing all $size bytes");
    ok($eof && length($r->{body} // '') == $rate && $took < 5,
       sprintf('... and ends after the first pulse (%d bytes, %.1fs): no timed callbacks on worker, as stock',
               length($r->{body} // ''), $took));
    my $p = $srv->get('/small.txt');
    is($p->{status}, 200, 'the server keeps serving');
    ok($srv->stop, 'stopped');
    exit 0;
}

# ---- 1. one download on a keep-alive connection, then a next request on it
{
    my $t0 = time;
    my $s = http_connect($srv->port);
    print $s "GET /slow/f.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    my $pending = '';
    my $r = read_response($s, pending => \$pending, timeout => 12);
    my $took = time - $t0;
    TODO: {
        local $TODO = $todo;
        ok($r && $r->{status} == 200 && $r->{body} eq $content, "download complete and intact ($size bytes)")
            or diag($r ? "status $r->{status}, " . length($r->{body}) . ' bytes' : "no response: $@");
        ok($r && $took >= $pulses - 1 - 0.5 && $took <= $pulses - 1 + 4,
           sprintf('paced: %d pulses of %d bytes took %.1fs (%.1f to %d s)', $pulses, $rate, $took,
                   $pulses - 1.5, $pulses + 3));
        my $r2;
        if ($r) {
            print $s "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
            $r2 = read_response($s, pending => \$pending, timeout => 4);
        }
        ok($r2 && $r2->{status} == 200 && length($r2->{body}) == 1024,
           'the connection carries on: a next request on it is answered');
    }
    close $s;
}

# ---- 2. more downloads than threads, new clients meanwhile
{
    my $n = 6;
    my $t0 = time;
    my @socks = grep { defined } map { http_connect($srv->port) } 1 .. $n;
    print $_ "GET /slow/f.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" for @socks;
    my $wait = background(sub {
        sleep 0.5;
        return map { join ' ', @$_ } probes($srv->port, count => 10, interval => 0.2, timeout => 5);
    });
    # Read all downloads side by side, as their clients would: a download nobody reads would fill its
    # socket buffer and hold a thread in a blocked write, which is not what this part measures.
    my @done = read_all_until_close(\@socks, $t0 + $pulses + 6 - time);
    my @p = map { [split / /] } grep { /^\d/ } $wait->(20);
    my $ok = grep { $_->[1] == 200 && $_->[2] == 1024 } @p;
    my ($max) = sort { $b <=> $a } map { $_->[0] } @p;
    TODO: {
        local $TODO = $todo;  # stock: about 1 run in 3 here (2026-11-27, once in CI)
        is($ok, 10, "while $n paced downloads run on 4 threads: 10 new clients answered");
        cmp_ok($max // 99999, '<', 1000, sprintf('... each within 1 s (max %.0f ms, median %.0f ms)', $max // -1,
                                                 median(map { $_->[0] } @p) // -1));
    }
    TODO: {
        local $TODO = $todo;
        my $intact = grep { my $r = parse_response($_->{data}); $r && $r->{status} == 200 && $r->{body} eq $content }
                     @done;
        is($intact, $n, "all $n downloads complete and intact");
        my $closed = grep { $_->{closed} } @done;
        is($closed, $n, '... and the server closed each connection after its response (Connection: close)');
    }
}

ok($srv->stop, 'stopped');
