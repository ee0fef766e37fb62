# mod_http2 with "Protocols h2c http/1.1". mod_http2 decides by the MPM's
# module name: on a prefork kind ("prefork.c") it switches HTTP/2 off with
# warning AH10034 and an h2c upgrade offer (curl --http2) gets HTTP/1.1; on
# worker/event HTTP/2 is used.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use MpmCxx::Env qw(kind);
use MpmCxx::Server;

MpmCxx::Server::time_limit(120);

my ($curl) = grep { -x } map { "$_/curl" } split /:/, ($ENV{PATH} || '') . ':/usr/bin';
plan skip_all => 'curl not found' unless $curl;

my %case = (
    prefork => { conf => "StartServers 2\nMinSpareServers 1\nMaxSpareServers 3\n",
                 h2 => 0, version => '1.1' },
    worker  => { conf => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
                 h2 => 1, version => '2' },
);
$case{event} = $case{worker};
my $c = $case{ kind() };

plan tests => 6;

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

($st, $out) = MpmCxx::Server::run_cmd({ timeout => 20 }, $curl, '-s', '--http1.1', '-o', '/dev/null',
                                       '-w', '%{http_code} %{http_version}', $url);
is($out, '200 1.1', 'plain HTTP/1.1 request');
ok($srv->stop, 'stopped');
