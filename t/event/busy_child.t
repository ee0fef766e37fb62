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
# The kernel decides where the sleepers and the keep-alive connections go; a
# round where the sleepers landed in different children, or the idle sibling
# took all four keep-alive connections (then stock event is at its connection
# limit, see below), proves nothing, so up to 4 rounds are tried and the
# checks are made on the rounds that set the scene. Worker kinds: a keep-alive
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
    my $n_ka = kind() eq 'event' ? 4 : 0;
    my @ka = keepalive_connections($srv->port, $n_ka, path => '/probe/pid', gap => 0.1);
    # the children that took the keep-alive connections (logged as they were answered)
    my @ka_pids = $n_ka ? (map { /pid=(\d+)$/ ? $1 : () } grep { m{"GET /probe/pid } } read_log($srv->access_log_file))[-$n_ka .. -1] : ();
    my @slow = grep { $_ && $_->started } map { slow_request($srv->port, $sleep_ms) } 1 .. 2;
    my $t0 = time;
    my $p = $srv->probe_pid(timeout => 10) || {};
    my $waited = time - $t0;
    $_->finish(10) for @slow;
    close $_ for @ka;
    # pids of this round's sleepers, from the access log (logged when they end)
    my @pids = map { /pid=(\d+)$/ ? $1 : () } grep { m{/probe/sleep} } read_log($srv->access_log_file);
    my @mine = @pids[-2 .. -1];
    my $both = @slow == 2 && defined $mine[0] && $mine[0] eq $mine[1];
    my %ka_in; $ka_in{$_ // '?'}++ for @ka_pids;
    my $other_ka = $both ? scalar(grep { defined && $_ ne $mine[0] } @ka_pids) : 0;
    # The sibling must be free to take a client. Stock event's listener keeps
    # the thread it reserved for an accept another child won, and its
    # connection limit (2 threads + 2 per idle one) does not count that
    # thread as idle: with all 4 keep-alive connections the sibling is at
    # 2 + 1 x 2 and refuses new clients until a sleeper ends (seen here).
    my $scene = $both && $other_ka < 4;
    note(sprintf('round %d: keep-alive in %s; sleepers in %s, new client served by %s after %.2f s%s', $round,
                 join(' ', map { "$_:$ka_in{$_}" } sort keys %ka_in) || '-',
                 join('+', map { $_ // '?' } @mine), $p->{pid} // 'nobody', $waited,
                 !$both ? ' (sleepers in different children: not the scene)'
                 : !$scene ? ' (the idle sibling holds every keep-alive connection: not the scene)' : ''));
    push @all_waits, $waited if !$both || $scene;
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
