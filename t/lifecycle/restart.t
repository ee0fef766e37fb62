# Plain (ungraceful) restart by SIGHUP and by "apache2 -k restart": the
# parent stays, all children are replaced at once, the MPM generation
# increments, the restart time is reset, the server serves afterwards.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep time);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;
use MpmCxx::HTTP qw(slow_request);

MpmCxx::Server::time_limit(120);

my %conf = (
    prefork => "StartServers 3\nMinSpareServers 2\nMaxSpareServers 5\n",
    worker  => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

plan tests => 2 + 2 * 8;

my $srv = MpmCxx::Server->new(name => 'restart', conf => $conf{ kind() });
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
my $parent = $srv->parent_pid;
ok($parent, "parent pid $parent");

my $gen = 0;
for my $how ('SIGHUP', '-k restart') {
    MpmCxx::Server::wait_until(10, sub { my @c = $srv->children; @c >= 2 }, 0.1);
    my @old = $srv->children;
    my %old = map { $_ => 1 } @old;
    my $before = $srv->status || {};
    sleep 1.1;    # so the restart time visibly changes
    # a slow request in flight is cut by a plain restart (children are killed)
    my $slow = slow_request($srv->port, 8000);
    my $mark = $srv->log_mark;
    my $t0 = time;

    if ($how eq 'SIGHUP') { $srv->signal('HUP') }
    else { $srv->ctl('restart') }
    $gen++;

    ok($srv->wait_log(qr/SIGHUP received\.\s+Attempting to restart/, 10, $mark),
       "$how: 'SIGHUP received.  Attempting to restart' logged");
    my $st;
    my $ok = MpmCxx::Server::wait_until(10, sub {
        $st = $srv->status;
        $st && $st->{ParentServerMPMGeneration} == $gen;
    }, 0.1);
    ok($ok, "$how: ParentServerMPMGeneration is $gen");
    isnt($st && $st->{RestartTime}, $before->{RestartTime}, "$how: RestartTime changed");
    is($srv->parent_pid, $parent, "$how: same parent");
    my $gone = MpmCxx::Server::wait_until(5, sub { !(grep { $old{$_} } $srv->children) }, 0.05);
    ok($gone, sprintf "$how: all old children gone (%.1fs)", time - $t0);
    my $r = $slow->finish(10);
    ok(!($r->{status} == 200 && !$r->{incomplete} && $r->{body} =~ /done/),
       "$how: the in-flight slow request was cut");
    $r = $srv->get('/small.txt');
    is($r->{status}, 200, "$how: serving afterwards");
    my $p = $srv->probe_pid;
    ok($p && !$old{ $p->{pid} } && $p->{generation} == $gen, "$how: new child of generation $gen serves");
}

$srv->stop;
