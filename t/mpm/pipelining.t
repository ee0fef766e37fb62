# HTTP/1.1 pipelining on the Apache::Test server: several requests in one
# write are all answered, in order, on the same connection.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);

use MpmCxx::HTTP qw(http_connect read_until_close parse_responses);
use MpmCxx::Server;

MpmCxx::Server::time_limit(120);

plan tests => 12;

my $port = Apache::Test::vars('port');

sub pipeline {
    my ($reqs, %o) = @_;
    my $s = http_connect($port);
    print $s join '', @$reqs;
    my ($data, $eof, $err) = read_until_close($s, $o{timeout} || 15);
    close $s;
    return ($data, $eof, $err);
}

# 1. five GETs in one write, the last one with Connection: close
{
    my @paths = ('/small.txt', '/big.txt', '/nonexistent', '/probe/pid', '/small.txt');
    my @reqs = map {
        "GET $paths[$_] HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Seq: $_\r\n"
        . ($_ == $#paths ? "Connection: close\r\n" : '') . "\r\n"
    } 0 .. $#paths;
    my ($data, $eof) = pipeline(\@reqs);
    my @r = parse_responses($data);
    is(scalar @r, 5, 'five pipelined requests, five responses');
    is(join(',', map { $_->{status} } @r), '200,200,404,200,200', 'statuses in request order');
    is(length($r[0]{body} // ''), 1024, 'first body: 1 KiB file');
    is(length($r[1]{body} // ''), 102400, 'second body: 100 KiB file');
    like($r[3]{body} // '', qr/^pid \d+/m, 'fourth: probe answered');
    like($r[4]{headers}{connection} // '', qr/close/i, 'last response announces close');
    ok($eof, 'connection closed after the last response');
}

# 2. twenty small requests in one write
{
    my @reqs = map { "GET /small.txt?$_ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     . ($_ == 20 ? "Connection: close\r\n" : '') . "\r\n" } 1 .. 20;
    my ($data) = pipeline(\@reqs);
    my @r = parse_responses($data);
    is(scalar(grep { $_->{status} == 200 && length($_->{body}) == 1024 } @r), 20,
       'twenty pipelined requests all answered with the full body');
}

# 3. GET + HEAD + GET mix: HEAD response has no body and does not desync
{
    my @reqs = ("GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n",
                "HEAD /big.txt HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    my ($data) = pipeline(\@reqs);
    my @r = parse_responses($data, head => [1]);
    is(scalar @r, 3, 'GET, HEAD, GET pipelined: three responses');
    is($r[1] && $r[1]{headers}{'content-length'}, 102400, 'HEAD response has the Content-Length');
    ok(@r == 3 && length($r[2]{body}) == 1024, 'response after HEAD intact');
}

# 4. pipelined requests split across writes at odd places
{
    my $all = join '', map { "GET /small.txt HTTP/1.1\r\nHost: x\r\n" . ($_ == 4 ? "Connection: close\r\n" : '') . "\r\n" } 1 .. 4;
    my $s = http_connect($port);
    while (length $all) {
        my $n = 7 + int(rand(30));
        print $s substr($all, 0, $n, '');
        select(undef, undef, undef, 0.01);
    }
    my ($data) = read_until_close($s, 15);
    close $s;
    my @r = parse_responses($data);
    is(scalar(grep { $_->{status} == 200 } @r), 4, 'four requests written in random pieces: four 200s');
}
