# Every byte of a request reaches the handler, in order, however the client
# splits it: in one write, head and body in pieces with pauses between them,
# a body starting in the same write as the end of the head, on a new and on a
# kept-alive connection, and two requests pipelined in one write; a body sent
# only after the server's 100 Continue, and a chunked body in pieces.
#
# event_cxx reads the first bytes of a request head itself, before any module
# (to wait for the rest without a thread: docs/event.md, "Request heads"), and
# hands them to the core's input filter; this checks that nothing is lost,
# doubled or reordered there. The CGI reports its body's length and MD5.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use Digest::MD5 qw(md5_hex);
use Time::HiRes qw(sleep);

use MpmCxx::HTTP qw(http_connect read_response);
use MpmCxx::Env qw(cgi_module);
use MpmCxx::Server;

MpmCxx::Server::time_limit(120);

plan tests => 18, need_module(cgi_module() eq 'cgi' ? 'mod_cgi.c' : 'mod_cgid.c');

my $port = Apache::Test::vars('port');

# A body no two places of which look alike: a reordering or a doubled piece shows in the digest.
sub pattern {
    my ($len, $seed) = @_;
    my $s = '';
    my $i = 0;
    $s .= sprintf("%s-%07d;", $seed, $i++) while length($s) < $len;
    return substr($s, 0, $len);
}

sub post_head {
    my ($len, %o) = @_;
    return "POST /cgi-bin/env.pl?" . ($o{query} // 'b') . " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        . "Content-Type: application/octet-stream\r\nContent-Length: $len\r\n"
        . ($o{close} ? "Connection: close\r\n" : '') . "\r\n";
}

# Sends the pieces with a pause between them, then reads one response.
sub send_pieces {
    my ($s, $pending, @pieces) = @_;
    for my $i (0 .. $#pieces) {
        sleep 0.15 if $i > 0;
        print $s $pieces[$i];
    }
    return read_response($s, pending => $pending, timeout => 15);
}

sub body_ok {
    my ($r, $body) = @_;
    return 0 unless $r && $r->{status} == 200;
    my ($len) = $r->{body} =~ /^BODY_LENGTH=(\d+)$/m;
    my ($md5) = $r->{body} =~ /^BODY_MD5=([0-9a-f]+)$/m;
    return ($len // -1) == length($body) && ($md5 // '') eq md5_hex($body);
}

# 1. Head and a 30000-byte body in one write.
{
    my $body = pattern(30000, 'one');
    my $s = http_connect($port);
    my $pending = '';
    my $r = send_pieces($s, \$pending, post_head(length $body, close => 1) . $body);
    ok(body_ok($r, $body), 'one write: the handler got the whole body, in order');
    close $s;
}

# 2. The head in five pieces, the body in three.
{
    my $body = pattern(20000, 'two');
    my $head = post_head(length $body, close => 1);
    my @pieces = (substr($head, 0, 3), substr($head, 3, 17), substr($head, 20, 30), substr($head, 50, -2),
        substr($head, -2), substr($body, 0, 7000), substr($body, 7000, 7000), substr($body, 14000));
    my $s = http_connect($port);
    my $pending = '';
    my $r = send_pieces($s, \$pending, @pieces);
    ok(body_ok($r, $body), 'head in 5 pieces, body in 3: the whole body, in order');
    close $s;
}

# 3. The end of the head and the start of the body in the same write, after a pause.
{
    my $body = pattern(9000, 'three');
    my $head = post_head(length $body, close => 1);
    my $s = http_connect($port);
    my $pending = '';
    my $r = send_pieces($s, \$pending, substr($head, 0, 40), substr($head, 40) . substr($body, 0, 100),
        substr($body, 100));
    ok(body_ok($r, $body), 'body begun in the write that ends the head: the whole body, in order');
    close $s;
}

# 4. On a kept-alive connection: a first request, then a second one sent in pieces, then a third whole.
{
    my $s = http_connect($port);
    my $pending = '';
    my $first = send_pieces($s, \$pending, "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    ok($first && $first->{status} == 200, 'kept-alive connection: first request answered');
    my $body = pattern(12000, 'four');
    my $head = post_head(length $body, query => 'second');
    my $r = send_pieces($s, \$pending, substr($head, 0, 10), substr($head, 10, 25), substr($head, 35),
        substr($body, 0, 5000), substr($body, 5000));
    ok(body_ok($r, $body), '... second request, head and body in pieces: the whole body, in order');
    like($r && $r->{body}, qr/^QUERY_STRING=second$/m, '... and it is the second request');
    my $body3 = pattern(3000, 'five');
    my $r3 = send_pieces($s, \$pending, post_head(length $body3, query => 'third') . $body3);
    ok(body_ok($r3, $body3), '... third request in one write: the whole body, in order');
    like($r3 && $r3->{body}, qr/^QUERY_STRING=third$/m, '... and it is the third request');
    close $s;
}

# 5. Two requests pipelined in one write, the second with a body, then a third after a pause.
{
    my $s = http_connect($port);
    my $pending = '';
    my $body = pattern(6000, 'six');
    print $s "GET /cgi-bin/env.pl?p1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" . post_head(length $body, query => 'p2')
        . $body;
    my $r1 = read_response($s, pending => \$pending, timeout => 15);
    my $r2 = read_response($s, pending => \$pending, timeout => 15);
    like($r1 && $r1->{body}, qr/^QUERY_STRING=p1$/m, 'pipelined: first response for the first request');
    ok(body_ok($r2, $body), '... second response: the whole body, in order');
    like($r2 && $r2->{body}, qr/^QUERY_STRING=p2$/m, '... for the second request');
    my $r3 = send_pieces($s, \$pending, "GET /cgi-bin/env.pl?p3 HTTP/1.1\r\n", "Host: 127.0.0.1\r\n\r\n");
    like($r3 && $r3->{body}, qr/^QUERY_STRING=p3$/m, '... then a third request in two pieces on the same connection');
    close $s;
}

# 6. A head larger than what is judged without a thread (20 KiB of header fields), in pieces.
{
    my $body = pattern(5000, 'seven');
    my $big = join('', map { sprintf("X-Fill-%03d: %s\r\n", $_, 'f' x 220) } 1 .. 90);  # within LimitRequestFields
    my $head = post_head(length $body, close => 1);
    $head =~ s/\r\n\r\n$/\r\n$big\r\n/;
    my @pieces = map { substr($head, $_ * 4096, 4096) } 0 .. int((length($head) - 1) / 4096);
    my $s = http_connect($port);
    my $pending = '';
    my $r = send_pieces($s, \$pending, @pieces, $body);
    ok(body_ok($r, $body), 'a 20 KiB head in 4 KiB pieces: the whole body, in order')
        or diag('status ' . ($r ? $r->{status} : "none: $@"));
    close $s;
}

# 7. Expect: 100-continue: the head alone, the body only after the interim response (on a new and on a
#    kept-alive connection).
{
    my $s = http_connect($port);
    my $pending = '';
    for my $round (1, 2) {
        my $body = pattern(8000, "cont$round");
        my $head = post_head(length $body, query => "cont$round");
        $head =~ s/\r\n\r\n$/\r\nExpect: 100-continue\r\n\r\n/;
        print $s $head;
        my $interim = read_response($s, pending => \$pending, timeout => 10, head => 1);
        is($interim && $interim->{status}, 100, "Expect: 100-continue ($round): 100 Continue before the body")
            or diag('got ' . ($interim ? "status $interim->{status}" : "nothing: $@"));
        print $s $body;
        my $r = read_response($s, pending => \$pending, timeout => 15);
        ok(body_ok($r, $body) && $r->{body} =~ /^QUERY_STRING=cont$round$/m,
           "... then the body: the whole body, in order ($round)");
    }
    close $s;
}

# 8. A chunked body, its chunks split across writes with pauses.
{
    my $body = pattern(15000, 'chunked');
    my @chunks = (substr($body, 0, 4000), substr($body, 4000, 1), substr($body, 4001));
    my $wire = join('', map { sprintf("%x\r\n%s\r\n", length $_, $_) } @chunks) . "0\r\n\r\n";
    my $head = "POST /cgi-bin/env.pl?chunked HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        . "Connection: close\r\n\r\n";
    my $s = http_connect($port);
    my $pending = '';
    # cuts inside a size line, inside chunk data, and between a chunk and its CRLF
    my @cut = (2, 3002, 4005, length $wire);
    my @wire = map { substr($wire, $_ ? $cut[$_ - 1] : 0, $cut[$_] - ($_ ? $cut[$_ - 1] : 0)) } 0 .. $#cut;
    my $r = send_pieces($s, \$pending, substr($head, 0, 30), substr($head, 30) . $wire[0], @wire[1 .. $#wire]);
    ok(body_ok($r, $body), 'a chunked body in pieces: the whole body, in order')
        or diag('status ' . ($r ? $r->{status} . ' ' . ($r->{body} =~ /BODY_LENGTH=(\d+)/ ? "length $1" : '') : "none: $@"));
}
