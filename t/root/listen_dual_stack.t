# Listener buckets (ListenCoresBucketsRatio) with a Listen line without an
# address ("Listen PORT"). Bucket 0 is then the dual-stack [::]:PORT; every
# further bucket must be the same, so that IPv4 clients reach the children of
# every bucket. httpd's ap_duplicate_listeners() looks the (empty) name up
# again and binds 0.0.0.0 for the duplicates: the kernel prefers an IPv4
# socket for an IPv4 connection, so bucket 0's children never see one. Ours
# binds each duplicate where its bucket-0 twin listens (intended difference
# 24 in the README; TODO on stock). The duplicates are also kept across a
# graceful restart, as for explicit addresses.
#
# A listener without an address is reachable from outside, so the test runs
# in a network namespace of its own (unshare -n, root only), where only its
# own loopback exists.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep);
use IO::Select;
use IO::Socket::INET;
use MpmCxx::Env qw(kind ncpus is_cxx);
use MpmCxx::Server;
use MpmCxx::Fault qw(tcp_sockets);

plan skip_all => 'needs root' unless $> == 0;
if (!$ENV{MPMCXX_PRIVATE_NETNS}) {
    plan skip_all => 'cannot create a network namespace (unshare -n)'
        unless system('unshare -n true >/dev/null 2>&1') == 0;
    $ENV{MPMCXX_PRIVATE_NETNS} = 1;
    exec('unshare', '-n', '--', $^X, $0, @ARGV) or die "exec unshare: $!";
}
plan skip_all => 'cannot bring up the loopback interface of the namespace'
    unless system('ip link set lo up >/dev/null 2>&1') == 0;
sub has_ipv6_loopback {
    open my $fh, '<', '/proc/net/if_inet6' or return 0;
    return scalar grep { /^0{31}1 / } <$fh>;
}
plan skip_all => 'no IPv6 on the loopback interface' unless has_ipv6_loopback();

my $ncpu = ncpus();
plan skip_all => "needs at least 2 CPU cores for 2 buckets (have $ncpu)" if $ncpu < 2;
my $ratio = int($ncpu / 2) || 1;
my $buckets = int($ncpu / $ratio);

MpmCxx::Server::time_limit(120);

my %conf = (
    prefork => "StartServers 4\nMinSpareServers 2\nMaxSpareServers 8\nMaxRequestWorkers 20\n",
    worker  => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

# as root the children need a User to switch to
my $user = $ENV{MPMCXX_TEST_USER} || 'mpmtest';
plan skip_all => "user $user does not exist" unless getpwnam($user);
plan tests => 8;
my $srv = MpmCxx::Server->new(name => 'dualstack', user => $user, group => $user, listen_any => 1,
                              conf => $conf{ kind() } . "ListenCoresBucketsRatio $ratio\n");

# LISTEN sockets on the port: { v4 => [...], v6 => [...] }, each { inode, queued }
# (for a listening socket rxq is the number of connections waiting to be
# accepted)
sub listening {
    my ($port) = @_;
    my %out = (v4 => [], v6 => []);
    for my $s (grep { $_->{state} eq '0A' } tcp_sockets($port)) {
        push @{ $out{"v$s->{family}"} }, { inode => $s->{inode}, queued => $s->{rxq} };
    }
    return \%out;
}
sub describe {
    my ($l) = @_;
    return join ', ', map { my $v = $_; "$v: " . join(' ', map { "inode $_->{inode} queued $_->{queued}" } @{ $l->{$v} }) }
        qw(v4 v6);
}

ok($srv->start, "server started: Listen " . $srv->port . ", $buckets buckets") or BAIL_OUT('cannot start');
my $before = listening($srv->port);
note(describe($before));
TODO: {
    local $TODO = is_cxx() ? undef : 'stock duplicates a wildcard listener on 0.0.0.0 while bucket 0 is [::]';
    ok(@{ $before->{v6} } == $buckets && @{ $before->{v4} } == 0,
       "every bucket listens on [::] as bucket 0 does ($buckets sockets, none on 0.0.0.0)")
        or diag(describe($before));
}

# Children stopped: IPv4 connections wait in the accept queues; the kernel
# spreads them over the sockets of its choice.
my $nconn = 16 * $buckets;
my @kids = $srv->children;
my $stopped = kill 'STOP', @kids;
my @socks;
for (1 .. $nconn) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $srv->port, Proto => 'tcp', Timeout => 5);
    next unless $s;
    # the request at once: with TCP_DEFER_ACCEPT (httpd's default AcceptFilter) a connection enters the
    # accept queue only once it has data
    print $s "GET /probe/pid HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    push @socks, $s;
}
sleep 0.3;
my $queued = listening($srv->port);
kill 'CONT', @kids;
is(scalar @socks, $nconn, "$nconn IPv4 connections made while the $stopped children were stopped");
my @with = grep { $_->{queued} > 0 } @{ $queued->{v4} }, @{ $queued->{v6} };
TODO: {
    local $TODO = is_cxx() ? undef : "stock sends every IPv4 connection to the 0.0.0.0 duplicates, none to bucket 0";
    is(scalar @with, $buckets, "IPv4 connections wait on every bucket's socket ($buckets)") or diag(describe($queued));
}

# every one of them is served once the children run again
my $served = 0;
for my $s (@socks) {
    my $got = '';
    my $sel = IO::Select->new($s);
    while ($got !~ /\r\n/ && $sel->can_read(10)) {
        last unless sysread($s, $got, 512, length $got);
    }
    $served++ if $got =~ m{^HTTP/1\.\d 200};
    close $s;
}
is($served, $nconn, 'every queued IPv4 connection is answered');

# a graceful restart keeps the same sockets
my %old = map { $_ => 1 } @kids;
$srv->signal('USR1');
my $renewed = MpmCxx::Server::wait_until(20, sub {
    my @now = $srv->children;
    my $r = $srv->get('/probe/pid');
    return @now && !grep({ $old{$_} } @now) && ($r->{status} // 0) == 200;
}, 0.2);
ok($renewed, 'graceful restart: a new generation of children serves');
my $after = listening($srv->port);
my $inodes = sub { join ' ', sort map { $_->{inode} } @{ $_[0]{v4} }, @{ $_[0]{v6} } };
TODO: {
    local $TODO = is_cxx() ? undef : 'stock creates the bucket duplicates anew in every generation';
    is($inodes->($after), $inodes->($before), 'the same listening sockets after the graceful restart')
        or diag('before: ' . describe($before) . "\nafter: " . describe($after));
}
my $ok = 0;
for (1 .. 4 * $buckets) {
    my $r = $srv->get('/probe/pid');
    $ok++ if ($r->{status} // 0) == 200;
}
is($ok, 4 * $buckets, 'IPv4 requests served after the restart');
$srv->stop;
