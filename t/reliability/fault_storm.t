# Child faults under load: every half second a child is killed, alternately
# with SIGKILL and SIGSEGV, for 20 s (12 s in the reduced run), while
# keep-alive and non-keep-alive clients load the server.
#
# Required: the server keeps serving (a probe request every tick; the longest
# stretch without a successful request stays short), the parent survives,
# every zombie is reaped promptly and none is left, every SIGSEGV death is
# named in the error log ("child pid N exit signal Segmentation fault", as
# stock; SIGKILL deaths are not logged by httpd's ap_process_child_status, on
# stock or ours), and after the storm the scoreboard is whole again: no slot
# of a dead child still shown in use, the configured spare capacity back, and
# MaxRequestWorkers - 1 slow requests plus the status request occupy exactly
# MaxRequestWorkers workers at once (a leaked slot would cap it lower).
use strict;
use warnings;
# Part of the reliability suite (RELIABILITY.md): in `make test` with reduced figures, full-size with
# `make reliability`; MPMCXX_RELIABILITY=0 leaves it out.
BEGIN { if (($ENV{MPMCXX_RELIABILITY} // 1) eq '0') { require Test::More; Test::More::plan(skip_all => 'reliability suite left out (MPMCXX_RELIABILITY=0)'); } }

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep time);
use MpmCxx::Env qw(kind is_cxx mpm);
use MpmCxx::Server;
use MpmCxx::Load;
use MpmCxx::HTTP qw(slow_request);
use MpmCxx::Fault qw(scaled mode_note zombies figure);

MpmCxx::Server::time_limit(170);

my %case = (
    prefork => {
        conf => "StartServers 4\nMinSpareServers 4\nMaxSpareServers 8\nServerLimit 10\nMaxRequestWorkers 10\n",
        mrw => 10, min_idle => 4, per_child => 1,
    },
    worker => {
        conf => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\n"
              . "MaxRequestWorkers 20\nServerLimit 8\n",
        mrw => 20, min_idle => 5, per_child => 5,
    },
);
$case{event} = { %{ $case{worker} }, per_child => 10 };
my $c = $case{ kind() };

my $storm_secs = scaled(20, 12);
my $tick = 0.5;
my $clients_ka = 4;
my $clients_nka = 6;

plan tests => 14;
note('fault storm: ' . mode_note() . ", $storm_secs s of kills every ${tick}s");

my $srv = MpmCxx::Server->new(name => 'fault-storm', conf => $c->{conf} . "KeepAliveTimeout 3\n");
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
my $parent = $srv->parent_pid;
MpmCxx::Server::wait_until(10, sub { my $st = $srv->status; $st && $st->{IdleWorkers} + 1 >= $c->{min_idle} }, 0.2);
my $mark = $srv->log_mark;

my @paths = ('/small.txt', '/big.txt', '/probe/sleep?ms=10');
my $load_ka = MpmCxx::Load->start(port => $srv->port, clients => $clients_ka, keepalive => 1,
                                  duration => $storm_secs + 1, think_ms => 10, paths => \@paths,
                                  request_timeout => 15, max_requests => 200000);
my $load_nka = MpmCxx::Load->start(port => $srv->port, clients => $clients_nka, keepalive => 0,
                                   duration => $storm_secs + 1, think_ms => 10, paths => \@paths,
                                   request_timeout => 15, max_requests => 200000);
sleep 0.5;

my (%killed, @segv, @kill);
my (%zombie_seen, $max_zombie_age);
my ($probes, $probe_ok, $last_ok, $max_gap) = (0, 0, time, 0);
my $t0 = time;
my $n = 0;
while (time - $t0 < $storm_secs) {
    my $at = $t0 + $n * $tick;
    sleep($at - time) if $at > time;
    my @kids = grep { !$killed{$_} } $srv->children;
    if (@kids) {
        my $victim = $kids[ int rand @kids ];
        my $sig = $n % 2 ? 'SEGV' : 'KILL';
        if (kill $sig, $victim) {
            $killed{$victim} = $sig;
            push @{ $sig eq 'SEGV' ? \@segv : \@kill }, $victim;
        }
    }
    $n++;
    # a probe request from here, between kills
    my $r = $srv->get('/small.txt', timeout => 8, connect_timeout => 8);
    $probes++;
    my $now = time;
    if ($r->{status} == 200) {
        $probe_ok++;
        my $gap = $now - $last_ok;
        $max_gap = $gap if $gap > $max_gap;
        $last_ok = $now;
    }
    # zombies: each must be reaped soon after it appears
    my %z = map { $_ => 1 } zombies($srv, $parent);
    $zombie_seen{$_} //= $now for keys %z;
    for my $p (keys %zombie_seen) {
        next if $z{$p} || !defined $zombie_seen{$p};
        $zombie_seen{$p} = undef;    # reaped
    }
    for my $p (grep { defined $zombie_seen{$_} } keys %zombie_seen) {
        my $age = $now - $zombie_seen{$p};
        $max_zombie_age = $age if !defined $max_zombie_age || $age > $max_zombie_age;
    }
}
my $storm_elapsed = time - $t0;
{
    my $gap = time - $last_ok;
    $max_gap = $gap if $gap > $max_gap;
}
my $res_ka = $load_ka->wait(60);
my $res_nka = $load_nka->wait(60);
note('keep-alive load: ' . MpmCxx::Load::summary($res_ka));
note('new-connection load: ' . MpmCxx::Load::summary($res_nka));
my $kills = @segv + @kill;
my $ok = $res_ka->{ok} + $res_nka->{ok};
my $failed = $res_ka->{failed} + $res_nka->{failed};

cmp_ok($kills, '>=', int($storm_secs / $tick) - 2, "$kills children killed in ${storm_secs}s ("
       . scalar(@kill) . ' SIGKILL, ' . scalar(@segv) . ' SIGSEGV)');
is($srv->parent_pid, $parent, 'the parent survived the storm');
cmp_ok($ok, '>', 20 * $storm_secs, "the load kept being served ($ok requests ok)");
cmp_ok($max_gap, '<=', 4, sprintf('longest stretch without a successful probe request: %.1fs (%d/%d probes ok)',
                                  $max_gap, $probe_ok, $probes));
# a killed child takes down only what it was serving
my $max_lost = $kills * $c->{per_child};
cmp_ok($failed, '<=', $max_lost, "requests lost ($failed) at most what the killed children held (<= $max_lost)")
    or diag(join "\n", @{ $res_ka->{first_errors} || [] }, @{ $res_nka->{first_errors} || [] });
cmp_ok($max_zombie_age // 0, '<', 2.5, sprintf('every zombie reaped within 2.5s (oldest seen %.1fs)',
                                             $max_zombie_age // 0));

# after the storm
my @z;
MpmCxx::Server::wait_until(5, sub { @z = zombies($srv, $parent); !@z }, 0.1);
is(scalar @z, 0, 'no zombie left') or diag("zombies: @z");

my $log = '';
my @unnamed;
MpmCxx::Server::wait_until(5, sub {
    $log = $srv->error_log($mark);
    @unnamed = grep { $log !~ /child pid $_ exit signal Segmentation fault/ } @segv;
    !@unnamed;
}, 0.2);
is(scalar @unnamed, 0, 'every SIGSEGV death named in the error log (' . scalar(@segv) . ')')
    or diag("not named: @unnamed");
my @kill_logged = grep { $log =~ /child pid $_ exit signal/ } @kill;
note(scalar(@kill_logged) . ' of ' . scalar(@kill) . ' SIGKILL deaths logged (httpd logs none, by design)');

# scoreboard whole again: only our status request busy, every shown slot
# belongs to a live child, spare capacity restored
my ($st, $why) = (undef, '');
my $whole = MpmCxx::Server::wait_until(20, sub {
    $st = $srv->status or do { $why = 'no status'; return 0 };
    my $live = () = $srv->children;
    my $sb = $st->{Scoreboard} // '';
    my $used = () = $sb =~ /[^. ]/g;
    my $per = kind() eq 'prefork' ? 1 : 5;
    $why = "busy $st->{BusyWorkers}, idle $st->{IdleWorkers}, $live children, $used slots shown in use: $sb";
    return $st->{BusyWorkers} == 1 && $st->{IdleWorkers} + 1 >= $c->{min_idle}
        && $used == $st->{BusyWorkers} + $st->{IdleWorkers} && $used == $live * $per;
}, 0.3);
ok($whole, 'scoreboard whole again: every slot shown in use belongs to a live child, spare capacity back')
    or diag($why);

# full capacity: MaxRequestWorkers - 1 slow requests at once, plus the
# status request, occupy MaxRequestWorkers workers
my @slow;
my $t1 = time;
for (1 .. $c->{mrw} - 1) {
    push @slow, slow_request($srv->port, 6000, timeout => 15);
}
my $started = grep { $_->started } @slow;
my $fill_time = time - $t1;
is($started, $c->{mrw} - 1, sprintf('%d slow requests all in service at once (%.1fs to fill)',
                                    $c->{mrw} - 1, $fill_time));
$st = $srv->status;
{
    # stock event once showed 7 of the 19 requests in service as busy right after the storm (the others
    # ran in children its scoreboard did not show yet): TODO there
    local $TODO = (kind() eq 'event' && !is_cxx())
        ? 'stock event\'s scoreboard may lag behind its children right after a kill storm' : undef;
    is($st && $st->{BusyWorkers}, $c->{mrw}, "BusyWorkers reaches MaxRequestWorkers ($c->{mrw})")
        or diag($st ? "busy $st->{BusyWorkers} idle $st->{IdleWorkers}: $st->{Scoreboard}" : 'no status');
}
my $done = grep { my $r = $_->finish(15); $r->{status} == 200 && $r->{body} =~ /done/ } @slow;
is($done, $c->{mrw} - 1, 'all slow requests completed');

my $r = $srv->get('/big.txt');
ok($r->{status} == 200 && length($r->{body}) == 102400, 'serving normally afterwards');
figure('fault_storm', mpm => mpm(), secs => sprintf('%.0f', $storm_elapsed), kills => $kills,
       sigkill => scalar @kill, sigsegv => scalar @segv, ok => $ok, lost => $failed,
       max_gap => sprintf('%.1f', $max_gap), max_zombie_age => sprintf('%.1f', $max_zombie_age // 0),
       fill => sprintf('%.1f', $fill_time));
$srv->stop;
