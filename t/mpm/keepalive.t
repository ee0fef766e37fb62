# HTTP/1.1 keep-alive on the Apache::Test server: several requests on one
# connection, HTTP/1.0 keep-alive, Connection: close ends the connection,
# MaxKeepAliveRequests (default 100) ends it with an announced close.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);

use MpmCxx::HTTP qw(http_connect read_response read_until_close);
use MpmCxx::Server;

MpmCxx::Server::time_limit(120);

plan tests => 17;

my $port = Apache::Test::vars('port');

# 1. ten requests on one HTTP/1.1 connection, answered by the same process
{
    my $s = http_connect($port);
    my $pending = '';
    my ($ok, $pids, $closed) = (0, {}, 0);
    for my $i (1 .. 10) {
        my $path = $i % 2 ? '/small.txt' : '/probe/pid';
        print $s "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        my $r = read_response($s, pending => \$pending, timeout => 10);
        unless ($r) { diag("request $i: $@"); last }
        $ok++ if $r->{status} == 200;
        $closed++ if ($r->{headers}{connection} // '') =~ /close/i;
        $pids->{$1}++ if $r->{body} =~ /^pid (\d+)/m;
    }
    is($ok, 10, '10 requests answered on one HTTP/1.1 connection');
    is($closed, 0, 'no response announced Connection: close');
    is(scalar keys %$pids, 1, 'all answered by the same server process');
    close $s;
}

# 2. keep-alive response headers
{
    my $s = http_connect($port);
    print $s "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";
    my $r = read_response($s, timeout => 10);
    ok($r && $r->{status} == 200, 'first request 200');
    like($r && $r->{headers}{'keep-alive'} // '', qr/timeout=\d+/,
         'Keep-Alive header with timeout (client sent Connection: keep-alive)');
    # idle connection stays open for a moment
    select(undef, undef, undef, 0.5);
    print $s "GET /big.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    my $pending = '';
    $r = read_response($s, pending => \$pending, timeout => 10);
    ok($r && $r->{status} == 200 && length($r->{body}) == 102400,
       'second request after 0.5 s idle: 200 with 100 KiB');
    like($r && $r->{headers}{connection} // '', qr/close/i, 'Connection: close announced');
    my ($rest, $eof) = read_until_close($s, 5);
    ok($eof && $rest eq '', 'server closed the connection after it');
    close $s;
}

# 3. HTTP/1.0 keep-alive
{
    my $s = http_connect($port);
    my $pending = '';
    my $ok = 0;
    for (1 .. 3) {
        print $s "GET /small.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
        my $r = read_response($s, pending => \$pending, timeout => 10) or last;
        $ok++ if $r->{status} == 200 && ($r->{headers}{connection} // '') =~ /keep-alive/i;
    }
    is($ok, 3, 'three HTTP/1.0 keep-alive requests on one connection');
    close $s;
}

# 4. HTTP/1.0 without keep-alive closes
{
    my $s = http_connect($port);
    print $s "GET /small.txt HTTP/1.0\r\n\r\n";
    my ($data, $eof) = read_until_close($s, 10);
    ok($eof, 'HTTP/1.0 without keep-alive: closed after the response');
    like($data, qr{^HTTP/1\.1 200}, '... with a 200');
    close $s;
}

# 5. MaxKeepAliveRequests 100 (default): 100 persistent responses, the
#    101st says close
{
    my $s = http_connect($port);
    my $pending = '';
    my ($n, $close_at) = (0, 0);
    for my $i (1 .. 102) {
        print $s "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        my $r = read_response($s, pending => \$pending, timeout => 10) or last;
        $n++;
        if (($r->{headers}{connection} // '') =~ /close/i) { $close_at = $i; last }
    }
    is($close_at, 101, 'response 101 announces Connection: close (MaxKeepAliveRequests 100)');
    is($n, 101, '101 responses on the connection');
    my ($rest, $eof) = read_until_close($s, 5);
    ok($eof, 'connection closed after the announced close');
    close $s;
}

# 6. a 404 and a HEAD keep the connection open
{
    my $s = http_connect($port);
    my $pending = '';
    print $s "GET /nonexistent HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    my $r1 = read_response($s, pending => \$pending, timeout => 10);
    print $s "HEAD /big.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    my $r2 = read_response($s, pending => \$pending, timeout => 10, head => 1);
    print $s "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    my $r3 = read_response($s, pending => \$pending, timeout => 10);
    is($r1 && $r1->{status}, 404, '404 on a keep-alive connection');
    is($r2 && $r2->{status}, 200, 'then HEAD 200');
    ok($r3 && $r3->{status} == 200 && length($r3->{body}) == 1024, 'then GET 200 with the right body');
    close $s;
}
