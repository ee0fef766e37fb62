# TLS through mod_ssl: a self-signed certificate made here with openssl, a
# 127.0.0.1-only <VirtualHost> with SSLEngine on. GET, keep-alive over TLS,
# the 100 KiB file, several concurrent clients, a graceful restart.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;

MpmCxx::Server::time_limit(120);

eval { require IO::Socket::SSL; 1 } or plan skip_all => 'IO::Socket::SSL not installed';
my ($openssl) = grep { -x } map { "$_/openssl" } split /:/, ($ENV{PATH} || '') . ':/usr/bin';
plan skip_all => 'openssl not found' unless $openssl;

my %conf = (
    prefork => "StartServers 3\nMinSpareServers 2\nMaxSpareServers 5\n",
    worker  => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

plan tests => 12;

# plain port first (wait_ready uses it), TLS port second
my $srv = MpmCxx::Server->new(name => 'tls', ports => 2, modules => [qw(socache_shmcb ssl)],
                              conf => '');
my ($plain, $tls) = $srv->ports;
my $dir = $srv->root . '/conf';
my ($st, $out) = MpmCxx::Server::run_cmd({ timeout => 60 }, $openssl, 'req', '-x509', '-newkey', 'rsa:2048',
    '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-keyout', "$dir/key.pem", '-out', "$dir/cert.pem");
is($st, 0, 'openssl made a self-signed certificate') or diag($out);

$srv->{listen} = ["Listen 127.0.0.1:$plain", "Listen 127.0.0.1:$tls https"];
$srv->write_conf($conf{ kind() } . <<"EOF");
SSLSessionCache "shmcb:${\ $srv->root }/logs/ssl_scache(512000)"
SSLRandomSeed startup builtin
<VirtualHost 127.0.0.1:$tls>
    ServerName 127.0.0.1
    SSLEngine on
    SSLCertificateFile "$dir/cert.pem"
    SSLCertificateKeyFile "$dir/key.pem"
    Header always set X-Served-By tls-vhost
</VirtualHost>
EOF
ok($srv->start, 'server with a TLS vhost started') or BAIL_OUT('cannot start');

sub tls_connect {
    return IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $tls, Timeout => 10,
                                SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_PEER(),
                                SSL_ca_file => "$dir/cert.pem", SSL_verifycn_name => '127.0.0.1',
                                SSL_hostname => '127.0.0.1');
}

# read one response from a TLS socket (IO::Socket::SSL buffers: use sysread)
sub tls_response {
    my ($s, $pending) = @_;
    while (1) {
        my ($r, $used) = MpmCxx::HTTP::parse_one($$pending, 0, 0);
        if ($r) { substr($$pending, 0, $used) = ''; return $r }
        my $n = sysread($s, $$pending, 65536, length $$pending);
        return unless $n;
    }
}

my $s = tls_connect();
ok($s, 'TLS handshake, certificate verified') or diag('SSL error: ' . IO::Socket::SSL::errstr());
SKIP: {
    skip 'no TLS connection', 5 unless $s;
    like($s->get_cipher // '', qr/\w/, 'cipher ' . ($s->get_cipher // ''));
    my $pending = '';
    my $ok = 0;
    my $r;
    for my $path ('/small.txt', '/big.txt', '/probe/pid') {
        print $s "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        $r = tls_response($s, \$pending) or last;
        $ok++ if $r->{status} == 200;
        is(length $r->{body}, 102400, 'TLS: 100 KiB body') if $path eq '/big.txt';
    }
    is($ok, 3, 'three requests on one TLS keep-alive connection');
    is($r && $r->{headers}{'x-served-by'}, 'tls-vhost', 'answered by the TLS vhost');
    like($r && $r->{body}, qr/^local 127\.0\.0\.1 $tls$/m, 'probe sees the TLS port');
    close $s;
}

# plain port is not TLS
my $pr = $srv->get('/small.txt');
is($pr->{status}, 200, 'plain HTTP port still answers');

# concurrent TLS clients
{
    my @kids;
    for my $i (1 .. 4) {
        my $pid = fork;
        if (!$pid) {
            my $good = 0;
            for (1 .. 10) {
                my $c = tls_connect() or next;
                print $c "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
                my $p = '';
                my $x = tls_response($c, \$p);
                $good++ if $x && $x->{status} == 200 && length($x->{body}) == 1024;
                close $c;
            }
            POSIX::_exit($good == 10 ? 0 : 1);
        }
        push @kids, $pid;
    }
    my $bad = 0;
    for (@kids) { waitpid($_, 0); $bad++ if $? }
    is($bad, 0, '4 concurrent clients x 10 TLS connections all served');
}

# graceful restart keeps TLS working
$srv->signal('USR1');
MpmCxx::Server::wait_until(10, sub { ($srv->generation // 0) == 1 }, 0.2);
$s = tls_connect();
my $p = '';
if ($s) { print $s "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" }
my $r = $s && tls_response($s, \$p);
is($r && $r->{status}, 200, 'TLS after a graceful restart');
ok($srv->stop, 'stopped');
