# CGI on the Apache::Test server (mod_cgi for prefork, mod_cgid for the
# threaded kinds): GET with query string, POST body, keep-alive across CGI
# responses, the script runs in its own process.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);

use MpmCxx::HTTP qw(http_get http_connect read_response read_until_close);
use MpmCxx::Env qw(kind cgi_module);
use MpmCxx::Server;

MpmCxx::Server::time_limit(120);

plan tests => 11, need_module(cgi_module() eq 'cgi' ? 'mod_cgi.c' : 'mod_cgid.c');

my $port = Apache::Test::vars('port');

my $r = http_get($port, '/cgi-bin/env.pl?a=1&b=two', version => '1.1');
is($r->{status}, 200, 'GET CGI: 200');
like($r->{body}, qr/^cgi ok$/m, 'CGI output');
like($r->{body}, qr/^GATEWAY_INTERFACE=CGI\/1\.1$/m, 'GATEWAY_INTERFACE');
like($r->{body}, qr/^QUERY_STRING=a=1&b=two$/m, 'QUERY_STRING');
like($r->{body}, qr/^SERVER_PROTOCOL=HTTP\/1\.1$/m, 'SERVER_PROTOCOL');

# the CGI runs in a process of its own, not in the serving process
my $pidr = http_get($port, '/probe/pid');
my ($cgi_pid) = $r->{body} =~ /^PID=(\d+)/m;
ok($cgi_pid && $r->{headers}{'x-cgi-pid'} == $cgi_pid, 'X-CGI-Pid header from the script');
ok(!kill(0, $cgi_pid), 'CGI process is gone after the response');

# POST with a body
{
    my $body = 'x' x 5000;
    my $s = http_connect($port);
    print $s "POST /cgi-bin/env.pl HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
        . "Content-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
    my ($data) = read_until_close($s, 15);
    my $pr = MpmCxx::HTTP::parse_response($data);
    is($pr && $pr->{status}, 200, 'POST to CGI: 200');
    like($pr && $pr->{body}, qr/^BODY_LENGTH=5000$/m, 'CGI read the 5000 byte body');
}

# keep-alive across CGI responses (chunked, since no Content-Length)
{
    my $s = http_connect($port);
    my $pending = '';
    my $ok = 0;
    for my $i (1 .. 3) {
        print $s "GET /cgi-bin/env.pl?n=$i HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        my $x = read_response($s, pending => \$pending, timeout => 15) or last;
        $ok++ if $x->{status} == 200 && $x->{body} =~ /^QUERY_STRING=n=$i$/m;
    }
    is($ok, 3, 'three CGI requests on one keep-alive connection');
    close $s;
}

# many CGI requests in a row
{
    my $bad = 0;
    for (1 .. 20) {
        my $x = http_get($port, "/cgi-bin/env.pl?i=$_");
        $bad++ unless $x->{status} == 200 && $x->{body} =~ /^cgi ok$/m;
    }
    is($bad, 0, '20 sequential CGI requests');
}
