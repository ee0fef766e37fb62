# A child whose threads are all busy must not take new connections that an
# idle sibling could serve at once.
#
# 2 children x 2 threads. Four keep-alive connections are opened one after the
# other (they spread 2 + 2 over the children), then two requests that sleep
# 4 s, then a new client. If both sleepers share a child, that child has no
# free thread and the new client must be served by the other child within a
# second. (event_cxx registers its listeners with EPOLLEXCLUSIVE in each
# child's epoll set; the kernel gives the single wake-up for a new connection
# only to a set with a thread waiting in it, so a child whose threads are all
# busy is passed over. Stock event's listener thread stops accepting while it
# has no idle worker.)
#
# The kernel decides where the sleepers go; a round where they landed in
# different children proves nothing, so up to 4 rounds are tried and the
# check is made on the rounds that set the scene. Worker kinds: a keep-alive
# connection holds a thread, so there are no keep-alive connections, only the
# sleepers. Prefork kinds: one connection per child, a busy child takes
# nothing; the same checks apply.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;
use MpmCxx::HTTP qw(slow_request keepalive_connections);

MpmCxx::Server::time_limit(90);

my %conf = (
    prefork => "StartServers 4\nMinSpareServers 4\nMaxSpareServers 8\nServerLimit 8\nMaxRequestWorkers 8\n",
    worker  => "ServerLimit 2\nStartServers 2\nThreadLimit 2\nThreadsPerChild 2\nMaxRequestWorkers 4\n"
             . "MinSpareThreads 1\nMaxSpareThreads 4\n",
);
$conf{event} = $conf{worker};

plan tests => 4;

my $srv = MpmCxx::Server->new(name => 'busychild', conf => $conf{ kind() } . <<'EOF');
KeepAlive On
KeepAliveTimeout 30
MaxKeepAliveRequests 0
EOF
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
my $want = kind() eq 'prefork' ? 4 : 2;
ok(MpmCxx::Server::wait_until(10, sub { my @c = $srv->children; @c >= $want }, 0.2), "$want children running");
sleep 0.5;

my $sleep_ms = 4000;
my (@scenes, @all_waits);
for my $round (1 .. 4) {
    my @ka = keepalive_connections($srv->port, kind() eq 'event' ? 4 : 0, path => '/probe/pid', gap => 0.1);
    my @slow = grep { $_ && $_->started } map { slow_request($srv->port, $sleep_ms) } 1 .. 2;
    my $t0 = time;
    my $p = $srv->probe_pid(timeout => 10) || {};
    my $waited = time - $t0;
    $_->finish(10) for @slow;
    close $_ for @ka;
    # pids of this round's sleepers, from the access log (logged when they end)
    my @pids = map { /pid=(\d+)$/ ? $1 : () } grep { m{/probe/sleep} } read_log($srv->access_log_file);
    my @mine = @pids[-2 .. -1];
    my $scene = @slow == 2 && defined $mine[0] && $mine[0] eq $mine[1];
    note(sprintf('round %d: sleepers in %s, new client served by %s after %.2f s%s', $round,
                 join('+', map { $_ // '?' } @mine), $p->{pid} // 'nobody', $waited,
                 $scene ? '' : ' (sleepers in different children: not the scene)'));
    push @all_waits, $waited;
    push @scenes, [$waited, $p->{pid} // '', $mine[0]] if $scene;
    last if @scenes >= 2;
    sleep 0.5;
}
SKIP: {
    skip 'the kernel never put both sleepers in one child', 1 unless @scenes;
    my @late = grep { $_->[0] >= 1 } @scenes;
    ok(!@late, sprintf('with one child fully busy, a new client is served within 1 s (%d rounds: %s)',
                       scalar @scenes, join(' ', map { sprintf '%.2fs', $_->[0] } @scenes)));
}
ok(!(grep { $_ >= $sleep_ms / 1000 - 0.5 } @all_waits), 'no new client waited for a sleeper to finish');

sub read_log {
    my ($f) = @_;
    open my $fh, '<', $f or return;
    chomp(my @l = <$fh>);
    return @l;
}
