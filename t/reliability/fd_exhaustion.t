# Resource exhaustion at accept: the server runs under a descriptor limit
# (prlimit --nofile) just above what an idle child holds, and is offered far
# more connections than that: accept() fails with EMFILE.
#
# First a server without the limit shows the lowest free descriptor number F
# of an idle child. Then the server starts under RLIMIT_NOFILE = F + K
# (prefork: K = 0, every accept fails; threaded: K = 3, each child holds three
# connections, then EMFILE) and 60 clients connect and send an incomplete
# request. During 5 s of saturation the server's CPU use (parent, live
# children and every child reaped meanwhile) must stay bounded (< 50% of one
# core: no busy loop), the parent must stay up and the error log must say
# what happened without flooding. Then the shortage ends (the clients leave;
# prefork: the limit is also raised with prlimit --pid on the running
# processes, since a prefork child holds one connection at most) and normal
# service must resume within 5 s.
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
our $TODO;
use MpmCxx::Fault qw(server_cpu fd_list start_prefixed zombies figure);

MpmCxx::Server::time_limit(120);

system('prlimit --version >/dev/null 2>&1') == 0 or plan skip_all => 'prlimit (util-linux) not installed';
# the sanitizer runtimes need descriptors of their own, more than the tiny limit this test sets
plan skip_all => 'descriptor limit too small for a sanitizer runtime' if $ENV{MPMCXX_SAN};

my %conf = (
    prefork => "StartServers 2\nMinSpareServers 2\nMaxSpareServers 4\nServerLimit 4\nMaxRequestWorkers 4\n",
    worker  => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 10\n"
             . "MaxRequestWorkers 10\nServerLimit 4\n",
);
$conf{event} = $conf{worker};
my $K = kind() eq 'prefork' ? 0 : 3;
my $offered = 60;
my $conf = $conf{ kind() } . "Timeout 20\nKeepAliveTimeout 2\n";

plan tests => 10;

sub lowest_free_fd {
    my ($pid) = @_;
    my %used = map { $_->{fd} => 1 } fd_list($pid);
    my $f = 0;
    $f++ while $used{$f};
    return $f;
}

# ---- the descriptors an idle child needs
my $F = 0;
{
    my $probe = MpmCxx::Server->new(name => 'emfile-measure', conf => $conf);
    ok($probe->start, 'measuring server started') or BAIL_OUT('cannot start');
    MpmCxx::Server::wait_until(5, sub { $probe->status }, 0.2);
    sleep 0.5;
    for my $c ($probe->children) {
        my $f = lowest_free_fd($c);
        $F = $f if $f > $F;
    }
    $probe->stop;
    $probe->cleanup;
}
my $L = $F + $K;
my ($hard) = `prlimit --pid $$ --nofile --noheadings --raw --output HARD` =~ /(\d+|unlimited)/;
$hard //= 4096;
$hard = 65536 if $hard eq 'unlimited';
note("an idle child's lowest free descriptor is $F: RLIMIT_NOFILE $L (soft), $hard (hard)");

# ---- the limited server
my $srv = MpmCxx::Server->new(name => 'emfile', conf => $conf);
my $mark = 0;
ok(start_prefixed($srv, ['prlimit', "--nofile=$L:$hard", '--'], no_wait => 1), "started under prlimit --nofile=$L:$hard");
# (not waiting for children: a stock prefork child exits at its first accept,
# so its children come and go)
ok(MpmCxx::Server::wait_until(10, sub { $srv->error_log =~ /resuming normal operations/ && $srv->parent_pid }, 0.1),
   'parent up');
my $parent = $srv->parent_pid;
sleep 0.5;

$mark = $srv->log_mark;
my $clients = MpmCxx::Fault::Clients->new(port => $srv->port);
my $made = $clients->add($offered, "GET /probe/pid HTTP/1.1\r\nHost: 127.0.0.1\r\n");
$clients->poll(1, read => 0);

my %initial = map { $_ => 1 } $srv->children;
my %seen_children = %initial;
my $cpu0 = server_cpu($srv, $parent);
my $t0 = time;
my $window = 5;
while (time - $t0 < $window) {
    $seen_children{$_} = 1 for $srv->children;
    $clients->poll(0.25, read => 0);
}
my $cpu = server_cpu($srv, $parent) - $cpu0;
my $elapsed = time - $t0;
my $share = $cpu / $elapsed;
my $log = $srv->error_log($mark);
my @lines = split /\n/, $log;
my @shortage = grep { /Too many open files|out of descriptors|EMFILE/i } @lines;
# children that came and went: seen in /proc or in the log, not there at the start
$seen_children{$_} = 1 for $log =~ /\[pid (\d+)[:\]]/g;
delete $seen_children{$parent};
my $forks = grep { !$initial{$_} } keys %seen_children;

cmp_ok($share, '<', 0.5, sprintf('no busy loop while saturated: server CPU %.2fs in %.1fs (%.0f%% of a core)',
                                 $cpu, $elapsed, 100 * $share));
my $stock_threaded_todo = (!is_cxx() && kind() ne 'prefork')
    ? 'stock worker/event stop the whole server (AH02325/AH02324) when children exit for a resource shortage '
      . 'before one of them ever had all its threads busy'
    : undef;
TODO: {
    local $TODO = $stock_threaded_todo;
    ok(kill(0, $parent) && $srv->parent_pid == $parent, 'the parent stays up through the saturation');
}
ok(@shortage > 0, 'the shortage is logged (' . scalar(@shortage) . ' lines)')
    or diag("error log during the window:\n" . MpmCxx::Server::tail($log, 20));
cmp_ok(scalar @lines, '<=', 10 * $window * 4, 'no log flood (' . scalar(@lines) . " lines in ${window}s)");
note("children seen during the window: " . scalar(keys %seen_children) . " ($forks new ones)");

# ---- the shortage ends
if (kind() eq 'prefork') {
    for my $p ($parent, $srv->children) {
        system('prlimit', '--pid', $p, "--nofile=$hard:$hard");
    }
}
$clients->close_all;
my $t1 = time;
my $r;
local $TODO = $stock_threaded_todo;
my $back = MpmCxx::Server::wait_until(5, sub {
    $r = $srv->get('/probe/pid', timeout => 2, connect_timeout => 2);
    $r->{status} == 200;
}, 0.05);
my $resume = time - $t1;
ok($back, sprintf('service resumed %.1fs after the shortage ended', $resume))
    or diag("last answer: status $r->{status} " . ($r->{error} // ''));
my $res = MpmCxx::Load->run(port => $srv->port, clients => 4, keepalive => 0, duration => 2,
                            path => '/probe/pid', request_timeout => 5);
note(MpmCxx::Load::summary($res));
ok($res->{ok} > 50 && $res->{failed} == 0, "normal service afterwards ($res->{ok} ok, $res->{failed} failed)");
$TODO = undef;
my @z;
MpmCxx::Server::wait_until(10, sub { @z = zombies($srv, $parent); !@z }, 0.1);
{
    # stock event once kept a dead child unreaped for over 3 s after the shortage (CI, loaded machine)
    local $TODO = (mpm() eq 'event') ? 'stock event may reap a child that died of the shortage late' : undef;
    is(scalar @z, 0, 'no zombie left (within 10 s)');
}
figure('fd_exhaustion', mpm => mpm(), nofile => $L, offered => $offered, cpu_pct => sprintf('%.0f', 100 * $share),
       log_lines => scalar @lines, new_children => $forks, resume_secs => sprintf('%.1f', $resume));
$srv->stop;
