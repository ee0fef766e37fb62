# Clients that do not read their response hold no thread. 2 processes x 4
# threads; 16 clients (twice the threads) each ask for a 4 MiB file with a
# small receive buffer and then read nothing, so most of each response waits
# on the server side (write completion). Meanwhile other clients are served
# promptly: 20 new connections one after the other (each within 1 s) and a
# short concurrent keep-alive load with no failure (3 clients, fewer than the
# threads of one process: stock event closes the keep-alive connections of a
# process whose threads are all busy, which is not the point here). Then
# the 16 clients read: each gets its 4 MiB intact.
#
# EnableSendfile On: with sendfile off (the default) core's output filter
# reads the file into memory and, once more than FlushMaxThreshold (64 KiB)
# is pending, writes blocking from the handler, on every MPM (stock event
# included). With sendfile the rest of the file stays a file bucket and is
# sent from write completion, which holds no thread.
#
# event kinds only: worker and prefork write in the serving thread/process,
# so 16 non-reading clients would hold all 8 threads until Timeout.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
our $TODO;
use Time::HiRes qw(time sleep);
use IO::Select;
use Errno qw(EAGAIN EINTR);
use Digest::MD5 qw(md5_hex);
use MpmCxx::Env qw(kind is_cxx t_dir);
use MpmCxx::Server;
use MpmCxx::Load;
use MpmCxx::Conn qw(non_reader timed_get median);

MpmCxx::Server::time_limit(120);

plan skip_all => 'prefork: a process writes its response itself until the client reads (no write completion)'
    if kind() eq 'prefork';
plan skip_all => 'worker: a thread writes its response itself until the client reads (no write completion)'
    if kind() eq 'worker';

my $tpc = 4;
my $readers = 16;
my $size = 4 * 1024 * 1024;

plan tests => 9;

my $srv = MpmCxx::Server->new(name => 'slow-readers', loglevel => 'warn', conf => <<"EOF");
StartServers 2
ServerLimit 2
ThreadLimit $tpc
ThreadsPerChild $tpc
MaxRequestWorkers @{[ 2 * $tpc ]}
MinSpareThreads $tpc
MaxSpareThreads @{[ 2 * $tpc ]}
Timeout 30
KeepAliveTimeout 5
EnableSendfile On
EOF

# the server's own docroot: the 1 KiB file and a 4 MiB one of varied bytes
my $docroot = $srv->root . '/htdocs';
{
    open my $in, '<', t_dir() . '/htdocs/small.txt' or die "small.txt: $!";
    local $/;
    my $small = <$in>;
    open my $out, '>', "$docroot/small.txt" or die "$docroot/small.txt: $!";
    print $out $small;
    close $out;
    my $block = join '', map { sprintf "%07d %s\n", $_, 'x' x 55 } 0 .. 1023;    # 64 KiB
    open $out, '>', "$docroot/big4m.bin" or die "$docroot/big4m.bin: $!";
    print $out $block x ($size / length $block);
    close $out;
}
my $want_md5 = do {
    open my $fh, '<', "$docroot/big4m.bin" or die;
    binmode $fh;
    Digest::MD5->new->addfile($fh)->hexdigest;
};
$srv->{docroot} = $docroot;
$srv->write_conf($srv->{snippet});
ok($srv->start, "server started ($tpc threads x 2 processes)") or BAIL_OUT('cannot start');

my @slow;
for (1 .. $readers) {
    my $s = non_reader($srv->port, '/big4m.bin', rcvbuf => 4096);
    push @slow, $s if $s;
}
is(scalar @slow, $readers, "$readers clients asked for 4 MiB and do not read");
sleep 1;    # the server writes what the sockets take, then waits

my (@ms, $bad);
for (1 .. 20) {
    my ($ms, $r) = timed_get($srv->port, '/small.txt', timeout => 5);
    push @ms, $ms;
    $bad++ unless $r->{status} == 200 && length($r->{body}) == 1024;
}
my ($max) = sort { $b <=> $a } @ms;
is($bad // 0, 0, '20 new clients answered with 200 and the full body');
cmp_ok($max, '<', 1000, sprintf('each within 1 s (max %.0f ms, median %.1f ms)', $max, median(@ms)));

my $res = MpmCxx::Load->run(port => $srv->port, clients => 3, keepalive => 1, duration => 2,
                            path => '/small.txt', expect_length => 1024, request_timeout => 5);
note('load beside the non-readers: ' . MpmCxx::Load::summary($res));
{
    # stock event closes the keep-alive connections of a process whenever it finds no idle worker for
    # a ready one (t/diff/busy_keepalive.t); beside the blocked non-readers that happens now and then
    local $TODO = (kind() eq 'event' && !is_cxx())
        ? 'stock event closes keep-alive connections when its workers are busy (seen 1 run in many)' : undef;
    is($res->{failed}, 0, '3 concurrent keep-alive clients for 2 s: no failure');
}
cmp_ok($res->{ok}, '>', 100, "... and they were served ($res->{ok} responses)");

# now read: every response complete and intact
my %buf = map { fileno($_) => '' } @slow;
my $sel = IO::Select->new(@slow);
my $deadline = time + 40;
while ($sel->count && time < $deadline) {
    for my $s ($sel->can_read(1)) {
        my $n = sysread($s, $buf{ fileno $s }, 1 << 20, length $buf{ fileno $s });
        next if !defined $n && ($! == EAGAIN || $! == EINTR);
        my ($resp) = MpmCxx::HTTP::parse_one($buf{ fileno $s }, !$n, 0);
        if (!$n || ($resp && !$resp->{incomplete})) {
            $sel->remove($s);
        }
    }
}
my ($complete, $intact) = (0, 0);
for my $s (@slow) {
    my ($resp) = MpmCxx::HTTP::parse_one($buf{ fileno $s }, 1, 0);
    next unless $resp && !$resp->{incomplete} && $resp->{status} == 200;
    $complete++;
    $intact++ if length($resp->{body}) == $size && md5_hex($resp->{body}) eq $want_md5;
}
is($complete, $readers, "all $readers non-readers got their complete response once they read");
is($intact, $readers, '... 4 MiB, intact');
close $_ for @slow;

ok($srv->stop, 'stopped');
