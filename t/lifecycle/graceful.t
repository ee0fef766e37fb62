# Graceful restart by SIGUSR1 and by "apache2 -k graceful": the MPM and config
# generations increment, the parent stays, the server keeps serving, and the
# children of the old generation are replaced by new ones.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use MpmCxx::Env qw(kind);
use MpmCxx::Server;

MpmCxx::Server::time_limit(120);

my %conf = (
    prefork => "StartServers 3\nMinSpareServers 2\nMaxSpareServers 5\n",
    worker  => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

# what the parent logs for a graceful restart (stock texts; IDs not checked)
my %graceful_log = (
    prefork => qr/Graceful restart requested, doing restart/,
    worker  => qr/SIGUSR1 received\.\s+Doing graceful restart/,
    event   => qr/SIGUSR1 received\.\s+Doing graceful restart/,
);

plan tests => 2 + 2 * 9;

my $srv = MpmCxx::Server->new(name => 'graceful', conf => $conf{ kind() });
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
my $parent = $srv->parent_pid;
ok($parent, "parent pid $parent");

my $gen = 0;
my $cgen = ($srv->status || {})->{ParentServerConfigGeneration} // 1;

for my $how ('SIGUSR1', '-k graceful') {
    # wait for the children to be up, remember them
    MpmCxx::Server::wait_until(10, sub { my @c = $srv->children; @c >= 2 }, 0.1);
    my @old = $srv->children;
    my $mark = $srv->log_mark;

    if ($how eq 'SIGUSR1') { $srv->signal('USR1') }
    else { $srv->ctl('graceful') }
    $gen++;
    $cgen++;

    my $st;
    my $ok = MpmCxx::Server::wait_until(10, sub {
        $st = $srv->status;
        $st && $st->{ParentServerMPMGeneration} == $gen;
    }, 0.1);
    ok($ok, "$how: ParentServerMPMGeneration is $gen")
        or diag("status: " . ($st ? $st->{ParentServerMPMGeneration} : 'none'));
    is($st && $st->{ParentServerConfigGeneration}, $cgen, "$how: ParentServerConfigGeneration is $cgen");
    ok($srv->wait_log($graceful_log{ kind() }, 5, $mark), "$how: graceful restart logged");
    is($srv->parent_pid, $parent, "$how: same parent process");
    is($srv->pid, $parent, "$how: PidFile still names the parent");

    my $p = $srv->probe_pid;
    is($p && $p->{generation}, $gen, "$how: a serving process reports generation $gen");
    my $r = $srv->get('/big.txt');
    ok($r->{status} == 200 && length($r->{body}) == 102400, "$how: still serving");

    # every child of the old generation goes away, new ones serve
    my %old = map { $_ => 1 } @old;
    my $replaced = MpmCxx::Server::wait_until(10, sub {
        my @now = $srv->children;
        !(grep { $old{$_} } @now) && @now >= 1;
    }, 0.1);
    ok($replaced, "$how: all old children (@old) replaced") or diag("children now: @{[ $srv->children ]}");
    $p = $srv->probe_pid;
    ok($p && !$old{ $p->{pid} } && $p->{ppid} == $parent, "$how: served by a new child of the parent");
}

$srv->stop;
