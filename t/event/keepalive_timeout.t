# KeepAliveTimeout and MaxKeepAliveRequests, per virtual host.
#
# Main server KeepAliveTimeout 2; a port-based vhost and a name-based vhost
# (on the main port) with KeepAliveTimeout 5; a second name-based vhost on
# the main port without its own value. After one request, an idle keep-alive
# connection is closed by the server after about its vhost's timeout: 2 s
# (between 1.5 and 5 s) or 5 s (between 4.5 and 8 s), never before; the
# Keep-Alive response header announces the same timeout. A connection idle
# for 1 s (less than the timeout) still takes a next request.
# MaxKeepAliveRequests 3 (keep-alive requests after the first): on one
# connection the first three responses keep it open, with "max=" in the
# Keep-Alive header counting down, the fourth says "Connection: close" and
# the server closes the connection after it.
#
# The keep-alive wait is the event MPM's keep-alive queue (one per distinct
# timeout), worker's and prefork's blocking read: the expectations are the
# same for every kind.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;
use MpmCxx::HTTP qw(http_connect read_response read_until_close);
use MpmCxx::Conn qw(watch_closes);

MpmCxx::Server::time_limit(90);

my %mpm = (
    prefork => "StartServers 8\nMinSpareServers 8\nMaxSpareServers 12\n",
    worker  => "StartServers 2\nThreadsPerChild 8\nMinSpareThreads 8\nMaxSpareThreads 16\n"
             . "MaxRequestWorkers 16\nServerLimit 4\n",
);
$mpm{event} = $mpm{worker};

plan tests => 20;

my $srv = MpmCxx::Server->new(name => 'ka-timeout', ports => 2, conf => '');
my ($p0, $p1) = $srv->ports;
$srv->write_conf($mpm{ kind() } . <<"EOF");
KeepAliveTimeout 2
MaxKeepAliveRequests 3
<VirtualHost 127.0.0.1:$p0>
    ServerName default.test
</VirtualHost>
<VirtualHost 127.0.0.1:$p0>
    ServerName ka-name.test
    KeepAliveTimeout 5
</VirtualHost>
<VirtualHost 127.0.0.1:$p1>
    ServerName ka-port.test
    KeepAliveTimeout 5
</VirtualHost>
EOF
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
MpmCxx::Server::wait_until(10, sub { my $st = $srv->status; $st && $st->{IdleWorkers} >= 5 }, 0.2);

# one request on a new keep-alive connection; returns (socket, response)
sub first_request {
    my ($port, $host) = @_;
    my $s = http_connect($port) or return;
    print $s "GET /small.txt HTTP/1.1\r\nHost: $host\r\nConnection: keep-alive\r\n\r\n";
    my $r = read_response($s, timeout => 5);
    return ($s, $r);
}

my @cases = (
    [$p0, 'default.test', 2, 'main port, default vhost'],
    [$p0, 'ka-name.test', 5, 'name-based vhost'],
    [$p1, 'ka-port.test', 5, 'port-based vhost'],
);
my @socks;
for my $c (@cases) {
    my ($port, $host, $ka, $label) = @$c;
    my ($s, $r) = first_request($port, $host);
    ok($r && $r->{status} == 200 && ($r->{headers}{connection} // '') !~ /close/i,
       "$label: first request 200, connection kept");
    like($r ? $r->{headers}{'keep-alive'} // '' : '', qr/\btimeout=$ka\b/,
         "$label: Keep-Alive header announces timeout=$ka");
    push @socks, $s;
}
my @closes = watch_closes(\@socks, 10);
for my $i (0 .. $#cases) {
    my ($port, $host, $ka, $label) = @{ $cases[$i] };
    my ($t, $data) = @{ $closes[$i] };
    my ($lo, $hi) = $ka == 2 ? (1.5, 5) : (4.5, 8);
    ok(defined $t && $t >= $lo && $t <= $hi,
       sprintf("$label: idle connection closed by the server after %s s (KeepAliveTimeout $ka: %s to %s s)",
               defined $t ? sprintf('%.2f', $t) : 'never', $lo, $hi));
    is($data, '', "$label: nothing sent before the close");
}
close $_ for @socks;

# idle for less than the timeout: the connection still takes a request
{
    my ($s, $r) = first_request($p0, 'default.test');
    sleep 1;
    print $s "GET /small.txt HTTP/1.1\r\nHost: default.test\r\n\r\n";
    my $pending = '';
    my $r2 = read_response($s, pending => \$pending, timeout => 5);
    ok($r2 && $r2->{status} == 200 && length($r2->{body}) == 1024,
       'after 1 s idle (KeepAliveTimeout 2) a next request is answered');
    close $s;
}

# MaxKeepAliveRequests 3
{
    my $s = http_connect($p0);
    my $pending = '';
    my (@conn, @max);
    for my $i (1 .. 4) {
        print $s "GET /small.txt HTTP/1.1\r\nHost: default.test\r\nConnection: keep-alive\r\n\r\n";
        my $r = read_response($s, pending => \$pending, timeout => 5) or last;
        push @conn, $r->{status} == 200 ? lc($r->{headers}{connection} // '-') : "status $r->{status}";
        push @max, ($r->{headers}{'keep-alive'} // '') =~ /max=(\d+)/ ? $1 : '-';
    }
    is(scalar @conn, 4, 'MaxKeepAliveRequests 3: four responses on one connection');
    is_deeply([@conn[0 .. 2]], ['keep-alive', 'keep-alive', 'keep-alive'],
              '... the first three keep the connection open') or diag("Connection headers: @conn");
    is_deeply([@max[0 .. 2]], [3, 2, 1], '... Keep-Alive max= counts down 3, 2, 1') or diag("max: @max");
    is($conn[3], 'close', '... the fourth says Connection: close');
    my ($rest, $eof) = read_until_close($s, 5);
    ok($eof && $rest eq '', '... and the server closes the connection after it');
    close $s;
}

ok($srv->stop, 'stopped');
