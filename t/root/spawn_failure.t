# Run as root (t/run-integration runs t/root/*.t as root). Out of processes
# and out of threads at spawn time, made real with a pids cgroup (a cgroup's
# pids.max limits fork() and pthread_create() alike, for root too).
#
# The server (User/Group mpmtest) starts inside a fresh pids cgroup.
# A. pids.max = 1 (nothing new can be created), then a child is killed: the
#    parent's fork() fails. For 6 s: the parent stays up, the failure is
#    logged, retries are paced (few log lines, bounded CPU). Then the limit
#    is lifted: the missing child is back and the server serves within 12 s
#    (ours back off 1 s doubling to 10 s; stock sleeps 10 s).
# B. (worker, event) all children but one are killed and pids.max leaves room
#    for one task: a new child can be forked but cannot create its threads.
#    Then, for 6 s: the parent stays up,
#    the thread failure is logged, retries are paced, no more children than
#    ServerLimit exist, a child without its threads does not linger. Then the limit is lifted and the
#    server recovers within 12 s.
# C. (worker, event) as B with room for three tasks: several children can be
#    forked, none gets its threads. Each sick child drops the fork rate back
#    to one child per pass, as stock: at most 8 failed children in 6 s.
use strict;
use warnings;
# Part of the reliability suite (RELIABILITY.md): in `make test` with reduced figures, full-size with
# `make reliability`; MPMCXX_RELIABILITY=0 leaves it out.
BEGIN { if (($ENV{MPMCXX_RELIABILITY} // 1) eq '0') { require Test::More; Test::More::plan(skip_all => 'reliability suite left out (MPMCXX_RELIABILITY=0)'); } }

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
our $TODO;
use Time::HiRes qw(sleep time);
use MpmCxx::Env qw(kind is_cxx mpm);
use MpmCxx::Server;
use MpmCxx::Fault qw(server_cpu start_prefixed zombies figure);

MpmCxx::Server::time_limit(150);

plan skip_all => 'needs root' unless $> == 0;
my $user = $ENV{MPMCXX_TEST_USER} || 'mpmtest';
plan skip_all => "user $user does not exist" unless getpwnam($user);

# a writable pids cgroup hierarchy (v1 /sys/fs/cgroup/pids, or v2 with the
# pids controller enabled at the root)
my ($cg_root, $cg);
if (-w '/sys/fs/cgroup/pids/cgroup.procs' || -d '/sys/fs/cgroup/pids') {
    $cg_root = '/sys/fs/cgroup/pids';
}
elsif (-r '/sys/fs/cgroup/cgroup.subtree_control'
       && do { open my $f, '<', '/sys/fs/cgroup/cgroup.subtree_control'; my $t = <$f> // ''; $t =~ /\bpids\b/ }) {
    $cg_root = '/sys/fs/cgroup';
}
plan skip_all => 'no writable pids cgroup controller' unless $cg_root;
$cg = "$cg_root/mpmcxx-spawn-$$";
mkdir $cg or plan skip_all => "cannot create $cg: $!";
-e "$cg/pids.max" or do { rmdir $cg; plan skip_all => "$cg has no pids.max" };

sub cg_write {
    my ($file, $v) = @_;
    open my $fh, '>', "$cg/$file" or return 0;
    my $ok = print $fh "$v\n";
    return (close $fh) && $ok;
}
sub cg_read {
    my ($file) = @_;
    open my $fh, '<', "$cg/$file" or return '';
    my $t = <$fh> // '';
    chomp $t;
    return $t;
}

my %conf = (
    prefork => "StartServers 3\nMinSpareServers 3\nMaxSpareServers 6\nServerLimit 6\nMaxRequestWorkers 6\n",
    worker  => "StartServers 2\nThreadsPerChild 4\nMinSpareThreads 8\nMaxSpareThreads 16\n"
             . "MaxRequestWorkers 16\nServerLimit 4\n",
);
$conf{event} = $conf{worker};
my $threaded = kind() ne 'prefork';
my $server_limit = $threaded ? 4 : 6;
my $want_children = $threaded ? 2 : 3;

plan tests => 10 + ($threaded ? 13 : 0);

my $srv = MpmCxx::Server->new(name => 'spawn-failure', user => $user, group => $user, conf => $conf{ kind() });
chmod 0755, $srv->root;
my $started = start_prefixed($srv, ['sh', '-c', "echo \$\$ > '$cg/cgroup.procs' && exec \"\$@\"", 'sh']);
ok($started, "server started inside the pids cgroup $cg") or do { cleanup(); BAIL_OUT('cannot start') };
my $parent = $srv->parent_pid;
# Every child up with all its threads before the limits: a child still starting its threads when
# pids.max drops exits sick, and with no child ever complete the parent gives up (AH02325, as stock).
# Seen under TSan, where threads start slowly.
MpmCxx::Server::wait_until(20, sub {
    return 0 unless $srv->children >= $want_children;
    return 1 unless $threaded;
    my $st = $srv->status;
    return $st && $st->{IdleWorkers} + $st->{BusyWorkers} >= 4 * $want_children;
}, 0.1);
note('pids in the cgroup: ' . cg_read('pids.current'));

sub recover {
    my ($what) = @_;
    my $t = time;
    my $ok = MpmCxx::Server::wait_until(12, sub {
        return 0 unless $srv->children >= $want_children;
        my $r = $srv->get('/probe/pid', timeout => 2, connect_timeout => 2);
        $r->{status} == 200;
    }, 0.1);
    my $secs = time - $t;
    ok($ok, sprintf("$what: limit lifted, server back to %d children and serving (%.1fs)", $want_children, $secs))
        or diag('children: ' . join(' ', $srv->children) . "\n" . MpmCxx::Server::tail($srv->error_log, 10));
    return $secs;
}

# Watch the server for $secs: (CPU used, most children at once, longest time
# a child was seen with a single thread, i.e. without its worker threads).
sub observe {
    my ($secs) = @_;
    my $c0 = server_cpu($srv, $parent);
    my $t0 = time;
    my $max_kids = 0;
    my (%single_since, $single_max);
    $single_max = 0;
    while (time - $t0 < $secs) {
        my @k = $srv->children;
        $max_kids = @k if @k > $max_kids;
        for my $k (@k) {
            my $st = MpmCxx::Fault::proc_stat($k) or next;
            if ($st->{threads} <= 1) {
                $single_since{$k} //= time;
                my $age = time - $single_since{$k};
                $single_max = $age if $age > $single_max;
            }
            else { delete $single_since{$k} }
        }
        sleep 0.1;
    }
    return (server_cpu($srv, $parent) - $c0, $max_kids, $single_max);
}

# ---- A. fork() fails
my $mark = $srv->log_mark;
ok(cg_write('pids.max', 1), 'pids.max = 1: no new process or thread');
my @kids = $srv->children;
kill 'KILL', $kids[0];
my ($cpu, $max_kids) = observe(6);
my $log = $srv->error_log($mark);
my @fork_fail = grep { /Unable to fork new process|fork:/i } split /\n/, $log;
is($srv->parent_pid, $parent, 'A: the parent survives failing forks');
ok(@fork_fail >= 1, 'A: the failed fork is logged (' . scalar(@fork_fail) . ' lines in 6s)')
    or diag(MpmCxx::Server::tail($log, 10));
cmp_ok(scalar @fork_fail, '<=', 8, 'A: retries are paced (at most 8 failures logged in 6s)');
cmp_ok($cpu, '<', 1.5, sprintf('A: bounded CPU while failing (%.2fs in 6s)', $cpu));
is(scalar(grep { /exit signal/ } split /\n/, $log), 0, 'A: no process crashed');
cg_write('pids.max', 'max');
my $rec_a = recover('A');
my @z = zombies($srv, $parent);
is(scalar @z, 0, 'A: no zombie left');

# Kills every child but the first (so a new one is needed) and sets pids.max so that $room more tasks fit
# once the killed children (all their threads) are gone. Returns the limit set, or 0 if it was not.
sub kill_all_but_one_with_room {
    my ($room) = @_;
    my @k = $srv->children;
    my @victims = @k[1 .. $#k];
    my $victim_tasks = 0;
    $victim_tasks += (MpmCxx::Fault::proc_stat($_) || {})->{threads} || 1 for @victims;
    my $limit = cg_read('pids.current') - $victim_tasks + $room;
    my $set = cg_write('pids.max', $limit);
    kill 'KILL', @victims;
    return $set ? $limit : 0;
}

# The log lines of children that could not create their threads, after $mark.
sub thread_failures {
    my ($mark) = @_;
    return grep { /unable to create (worker|listener|start) thread/i } split /\n/, $srv->error_log($mark);
}

# ---- B. threads cannot be created
my ($rec_b, $thread_fail_n, $max_kids_b, $rec_c, $sick_n) = (-1, 0, 0, -1, 0);
if ($threaded) {
    $mark = $srv->log_mark;
    my $limit = kill_all_but_one_with_room(1);
    ok($limit, "B: pids.max = $limit: after the kills, one fork and no thread");
    my $stuck;
    ($cpu, $max_kids_b, $stuck) = observe(6);
    $log = $srv->error_log($mark);
    my @thread_fail = thread_failures($mark);
    $thread_fail_n = @thread_fail;
    is($srv->parent_pid, $parent, 'B: the parent survives children that cannot create threads');
    ok(@thread_fail >= 1, "B: the thread failure is logged ($thread_fail_n lines in 6s)")
        or diag(MpmCxx::Server::tail($log, 10));
    cmp_ok($thread_fail_n, '<=', 8, "B: retries are paced (at most 8 failed children in 6s)");
    cmp_ok($max_kids_b, '<=', $server_limit, "B: never more than ServerLimit ($server_limit) children ($max_kids_b)");
    my $bug;  # (event_cxx children without threads lingered until 2026-11-26)
    TODO: {
        local $TODO = $bug;
        cmp_ok($stuck, '<', 3, sprintf('B: a child without its threads does not linger (longest %.1fs)', $stuck));
    }
    cmp_ok($cpu, '<', 1.5, sprintf('B: bounded CPU while failing (%.2fs in 6s)', $cpu));
    cg_write('pids.max', 'max');
    $rec_b = recover('B');
    # a child that has just started may still be starting its threads ('S' in the scoreboard)
    my $st;
    my $threads_ok = MpmCxx::Server::wait_until(5, sub {
        $st = $srv->status;
        $st && $st->{IdleWorkers} + $st->{BusyWorkers} >= 4 * $want_children;
    }, 0.2);
    TODO: {
        local $TODO = $bug;
        ok($threads_ok, 'B: the children have all their threads again')
            or diag($st ? "busy $st->{BusyWorkers} idle $st->{IdleWorkers}: $st->{Scoreboard}" : 'no status');
    }

    # ---- C. room for three tasks: several children can be forked at once, none gets all its threads.
    # Each exits sick; as stock, a sick child drops its bucket's spawn rate to one child per pass, so the
    # parent does not double the rate into the shortage (three failed children a second, all slots
    # churning). Ours kept doubling a threaded bucket's rate until 2026-12-03.
    $mark = $srv->log_mark;
    $limit = kill_all_but_one_with_room(3);
    ok($limit, "C: pids.max = $limit: after the kills, room for three tasks");
    ($cpu) = observe(6);
    $sick_n = thread_failures($mark);
    cmp_ok($sick_n, '<=', 8, "C: after a sick child one fork per pass, as stock (at most 8 failed children in 6s)")
        or diag(MpmCxx::Server::tail($srv->error_log($mark), 12));
    cmp_ok($cpu, '<', 1.5, sprintf('C: bounded CPU while failing (%.2fs in 6s)', $cpu));
    cg_write('pids.max', 'max');
    $rec_c = recover('C');
}

ok($srv->stop, 'stopped');
figure('spawn_failure', mpm => mpm(), fork_failures_logged => scalar @fork_fail,
       recover_fork_secs => sprintf('%.1f', $rec_a), thread_failures_logged => $thread_fail_n,
       recover_thread_secs => sprintf('%.1f', $rec_b), max_children_b => $max_kids_b,
       sick_children_c => $sick_n, recover_sick_secs => sprintf('%.1f', $rec_c));
cleanup();

sub cleanup {
    $srv->kill_all if $srv;
    cg_write('pids.max', 'max') if -d $cg;
    for (1 .. 50) { last if rmdir $cg; sleep 0.1 }
}
END { cleanup() if $cg && -d $cg }
