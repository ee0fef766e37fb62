# Intended difference of our threaded MPMs: graceful restarts while
# long-running requests are in flight do not run out of scoreboard slots.
#
# Stock worker only uses the first MaxRequestWorkers/ThreadsPerChild slots
# and starts the new generation in the slots of exiting children
# ("squatting"): the new child can only start threads in the thread slots
# the old one has freed, so capacity goes missing while ServerLimit still has
# room, and the parent logs AH00288 "scoreboard is full, not at
# MaxRequestWorkers" (repeatedly). Ours start new children in free slots
# anywhere below ServerLimit (exiting children do not count against
# MaxRequestWorkers, like stock event), and report "scoreboard is full" only
# when every ServerLimit slot really holds a process, once per episode.
#
# With headroom (ServerLimit 8, ThreadsPerChild 5, MaxRequestWorkers 10):
#  A1. 5 long requests (8 s) in flight, 3 graceful restarts 1.5 s apart while
#      normal requests keep coming: every normal request is answered within
#      4 s and "scoreboard is full" is never logged.
#  A2. every thread busy with a long request (6 s), graceful restart: normal
#      requests are answered within 3 s (new children start in free slots);
#      stock has no free thread slot until the long requests end.
# Without headroom (ServerLimit 2 = MaxRequestWorkers/ThreadsPerChild):
#  B.  7 long requests (8 s, at least 2 in each child), graceful restart:
#      both slots are held by exiting children for ~8 s; "scoreboard is full"
#      is logged at most once for that episode (stock: AH00288 several
#      times), and serving resumes once the long requests are done.
# In every case the long requests complete with 200.
#
# For stock worker the difference checks are TODO; stock event already starts
# new children only in free slots (but logs AH03490 every second when the
# condition is real).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep time);
use MpmCxx::Env qw(kind is_cxx);
use MpmCxx::Server;
use MpmCxx::HTTP qw(slow_request);
use MpmCxx::Load;

MpmCxx::Server::time_limit(150);

plan skip_all => 'prefork has no threads: a new child never waits for thread slots' if kind() eq 'prefork';

my $todo_worker = (kind() eq 'worker' && !is_cxx())
    ? 'stock worker squats on the slots of exiting children (AH00288 "scoreboard is full")' : undef;
my $todo_once = !is_cxx()
    ? 'stock worker/event log "scoreboard is full" again and again while the condition lasts' : undef;

my $full_re = qr/scoreboard is full, not at MaxRequestWorkers/;
# Stock event accepts more connections than it has threads (AsyncRequestWorkerFactor) and can leave one
# of the long requests waiting, or lose it across the restart.
my $todo_event = (kind() eq 'event' && !is_cxx())
    ? 'stock event may queue one of the 10 long requests behind busy threads and drop it at the restart'
    : undef;
my $common = "ThreadsPerChild 5\nMaxRequestWorkers 10\nStartServers 2\nMinSpareThreads 5\nMaxSpareThreads 15\n"
           . "KeepAlive Off\n";

plan tests => 17;

# Start $n requests of $ms ms; returns the list of in-flight requests.
sub long_requests {
    my ($srv, $n, $ms) = @_;
    my @l = grep { $_ && $_->started } map { slow_request($srv->port, $ms, timeout => 5) } 1 .. $n;
    return @l;
}

sub finish_all {
    my @l = @_;
    my @st = map { $_->finish(20)->{status} } @l;
    return scalar grep { $_ == 200 } @st;
}

# wait until both children of StartServers 2 are up with all their threads
sub wait_idle {
    my ($srv, $n) = @_;
    return MpmCxx::Server::wait_until(10, sub { my $st = $srv->status; $st && $st->{IdleWorkers} + 1 >= $n }, 0.1);
}

# ---- A1: headroom, some long requests, 3 graceful restarts under load
{
    my $srv = MpmCxx::Server->new(name => 'sbfull-a1', conf => "ServerLimit 8\n$common");
    ok($srv->start, 'A1: server started') or BAIL_OUT('cannot start');
    wait_idle($srv, 10);
    my $mark = $srv->log_mark;
    my @long = long_requests($srv, 5, 8000);
    is(scalar @long, 5, 'A1: 5 long requests in flight');
    my $load = MpmCxx::Load->start(port => $srv->port, clients => 2, keepalive => 0, duration => 6,
                                   think_ms => 100, path => '/small.txt', request_timeout => 4);
    for (1 .. 3) {
        sleep 1.5;
        $srv->signal('USR1');
    }
    my $res = $load->wait(40);
    note('A1 normal requests: ' . MpmCxx::Load::summary($res));
    is(finish_all(@long), 5, 'A1: the long requests completed with 200 across 3 graceful restarts');
    # AH00288 shows up when the old children's threads exit, up to the end of
    # the long requests and a little after
    sleep 2;
    my $n = () = $srv->error_log($mark) =~ /$full_re/g;
    TODO: {
        local $TODO = $todo_worker;
        ok($res->{ok} > 20 && $res->{failed} == 0, "A1: every normal request answered within 4 s ($res->{ok} ok)")
            or diag(MpmCxx::Load::summary($res) . "\n" . join("\n", @{ $res->{first_errors} || [] }));
        is($n, 0, 'A1: "scoreboard is full" never logged (ServerLimit has room)')
            or diag(join "\n", grep { /$full_re/ } split /\n/, $srv->error_log($mark));
    }
    ok($srv->stop, 'A1: stopped');
}

# ---- A2: headroom, every thread busy, graceful restart
{
    my $srv = MpmCxx::Server->new(name => 'sbfull-a2', conf => "ServerLimit 8\n$common");
    ok($srv->start, 'A2: server started') or BAIL_OUT('cannot start');
    wait_idle($srv, 10);
    my @long = long_requests($srv, 10, 6000);
    TODO: {
        local $TODO = $todo_event;
        is(scalar @long, 10, 'A2: all 10 threads busy with long requests');
    }
    my $t0 = time;
    $srv->signal('USR1');
    sleep 0.3;
    my $res = MpmCxx::Load->run(port => $srv->port, clients => 2, keepalive => 0, duration => 3,
                                think_ms => 100, path => '/small.txt', request_timeout => 3);
    note(sprintf('A2 normal requests (from %.1fs after the restart): ', 0.3) . MpmCxx::Load::summary($res));
    TODO: {
        local $TODO = $todo_worker;
        ok($res->{ok} > 5 && $res->{failed} == 0,
           "A2: normal requests answered within 3 s while the old generation is busy ($res->{ok} ok)")
            or diag(MpmCxx::Load::summary($res) . "\n" . join("\n", @{ $res->{first_errors} || [] }));
    }
    TODO: {
        local $TODO = $todo_event;
        is(finish_all(@long), 10, 'A2: the long requests completed with 200');
    }
    ok($srv->stop, 'A2: stopped');
}

# ---- B: no headroom, every slot held by an exiting child
{
    my $srv = MpmCxx::Server->new(name => 'sbfull-b', conf => "ServerLimit 2\n$common");
    ok($srv->start, 'B: server started') or BAIL_OUT('cannot start');
    wait_idle($srv, 10);
    my $mark = $srv->log_mark;
    my @long = long_requests($srv, 7, 8000);
    is(scalar @long, 7, 'B: 7 long requests in flight (at least 2 in each child)');
    $srv->signal('USR1');
    # Both slots are held by exiting children; the new generation must still serve, in the thread
    # entries the old children leave free (ThreadLimit 64 > ThreadsPerChild 5). Stock worker squats on
    # the slots for the same effect; stock event cannot start any child until the long requests end.
    sleep 0.3;
    my $during = MpmCxx::Load->run(port => $srv->port, clients => 2, keepalive => 0, duration => 3,
                                   think_ms => 100, path => '/small.txt', request_timeout => 4);
    note('B normal requests during the restart: ' . MpmCxx::Load::summary($during));
    TODO: {
        local $TODO = (kind() eq 'event' && !is_cxx()) ? 'stock event has no free slot until the long requests end' : undef;
        ok($during->{ok} > 5 && $during->{failed} == 0,
           "B: normal requests answered during the restart without ServerLimit room ($during->{ok} ok)")
            or diag(MpmCxx::Load::summary($during) . "\n" . join("\n", @{ $during->{first_errors} || [] }));
    }
    is(finish_all(@long), 7, 'B: the long requests completed with 200');
    # the old children exit, the new generation serves
    my $r = $srv->get('/small.txt', timeout => 8);
    is($r->{status}, 200, 'B: serving again after the long requests');
    my @lines = grep { /$full_re/ } split /\n/, $srv->error_log($mark);
    note("B: logged:\n" . join("\n", @lines)) if @lines;
    TODO: {
        local $TODO = $todo_once;
        cmp_ok(scalar @lines, '<=', 1, 'B: "scoreboard is full" logged at most once in the ~8 s episode');
    }
    $srv->stop;
}
