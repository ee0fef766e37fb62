# mod_http2 with "Protocols h2c http/1.1". mod_http2 decides by the MPM's
# module name: on a prefork kind ("prefork.c") it switches HTTP/2 off with
# warning AH10034 and an h2c upgrade offer (curl --http2) gets HTTP/1.1; on
# worker/event (our threaded MPMs are named "worker.c"/"event.c" too) HTTP/2
# is used, both by an h2c upgrade and with prior knowledge (the connection
# starts with the HTTP/2 preface), several streams on one connection
# included.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use MpmCxx::Env qw(kind);
use MpmCxx::Server;
use Time::HiRes qw(time sleep);

MpmCxx::Server::time_limit(120);

my ($curl) = grep { -x } map { "$_/curl" } split /:/, ($ENV{PATH} || '') . ':/usr/bin';
plan skip_all => 'curl not found' unless $curl;
my ($nghttp) = grep { -x } map { "$_/nghttp" } split /:/, ($ENV{PATH} || '') . ':/usr/bin';

my %case = (
    prefork => { conf => "StartServers 2\nMinSpareServers 1\nMaxSpareServers 3\n",
                 h2 => 0, version => '1.1' },
    worker  => { conf => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
                 h2 => 1, version => '2' },
);
$case{event} = $case{worker};
my $c = $case{ kind() };

plan tests => 11;

my $srv = MpmCxx::Server->new(name => 'http2', modules => ['http2'],
                              conf => $c->{conf} . "Protocols h2c http/1.1\n");
ok($srv->start, 'server with mod_http2 started') or BAIL_OUT('cannot start');
my $log = $srv->error_log . ($srv->{start_output} // '');
if ($c->{h2}) {
    unlike($log, qr/AH10034/, 'no AH10034 warning');
}
else {
    like($log, qr/AH10034: The mpm module \(prefork\.c\) is not supported by mod_http2/,
         'AH10034: mpm module (prefork.c) not supported by mod_http2');
}

my $url = $srv->url('/small.txt');
my ($st, $out) = MpmCxx::Server::run_cmd({ timeout => 20 }, $curl, '-s', '--http2', '-o', '/dev/null',
                                          '-w', '%{http_code} %{http_version}', $url);
is($st, 0, 'curl --http2 ran');
is($out, "200 $c->{version}", "curl --http2 (h2c upgrade offer) gets HTTP/$c->{version}");

# prior knowledge: only where mod_http2 is active
SKIP: {
    skip 'mod_http2 is off on prefork kinds: no HTTP/2 with prior knowledge', 3 unless $c->{h2};
    ($st, $out) = MpmCxx::Server::run_cmd({ timeout => 20 }, $curl, '-s', '--http2-prior-knowledge',
                                           '-o', '/dev/null', '-w', '%{http_code} %{http_version}', $url);
    is($out, '200 2', 'curl --http2-prior-knowledge gets HTTP/2 200');
    # three concurrent streams on one connection with prior knowledge (curl
    # 7.88 does not reuse a prior-knowledge connection; nghttp does)
    SKIP: {
        skip 'nghttp (nghttp2-client) not installed', 2 unless $nghttp;
        my @paths = ('/small.txt', '/big.txt', '/probe/pid');
        ($st, $out) = MpmCxx::Server::run_cmd({ timeout => 20 }, $nghttp, '-n', '-s',
                                               map { $srv->url($_) } @paths);
        my %code = map { /^\s*\d+\s+\S+\s+\S+\s+\S+\s+(\d{3})\s+(\S+)\s+(\S+)\s*$/ ? ($3 => [$1, $2]) : () }
                   split /\n/, $out;
        is_deeply([map { $code{$_} ? $code{$_}[0] : 'none' } @paths], [200, 200, 200],
                  'nghttp: three concurrent HTTP/2 streams on one connection, 200 each')
            or diag("nghttp status $st:\n$out");
        is_deeply([map { $code{$_} ? $code{$_}[1] : 'none' } @paths[0, 1]], ['1K', '100K'],
                  'nghttp: full bodies (1K, 100K)');
    }
}

($st, $out) = MpmCxx::Server::run_cmd({ timeout => 20 }, $curl, '-s', '--http1.1', '-o', '/dev/null',
                                       '-w', '%{http_code} %{http_version}', $url);
is($out, '200 1.1', 'plain HTTP/1.1 request');
# an HTTP/2 stream in flight across a graceful restart completes (the old
# child stops mod_http2's workers gracefully)
SKIP: {
    skip 'mod_http2 is off on prefork kinds', 2 unless $c->{h2};
    my $t0 = time;
    my $bg = MpmCxx::Server::run_cmd_bg($curl, '-s', '--http2-prior-knowledge', '-o', '/dev/null',
                                        '-w', '%{http_code} %{http_version}', $srv->url('/probe/sleep?ms=2500'));
    sleep 1;
    $srv->signal('USR1');
    my ($bst, $bout) = $bg->(15);
    is($bout, '200 2', 'HTTP/2 stream in flight across a graceful restart: 200')
        or diag("curl status $bst: $bout");
    my $r = $srv->get('/small.txt');
    is($r->{status}, 200, 'serving after the graceful restart');
}

ok($srv->stop, 'stopped');
