# A child killed with SIGKILL under load is replaced: serving continues (only
# what the killed process had in flight may fail), the parent is unaffected,
# and the scoreboard shows the configured idle capacity again.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep time);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;
use MpmCxx::Load;

MpmCxx::Server::time_limit(120);

my %case = (
    prefork => {
        conf => "StartServers 4\nMinSpareServers 4\nMaxSpareServers 8\nMaxRequestWorkers 30\n",
        # a prefork child serves one connection at a time
        max_lost => 1,
        min_idle => 4,
    },
    worker => {
        conf => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 10\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
        max_lost => 5,
        min_idle => 10,
    },
);
$case{event} = { %{ $case{worker} }, max_lost => 50 };
my $c = $case{ kind() };

plan tests => 8;

my $srv = MpmCxx::Server->new(name => 'child-kill', conf => $c->{conf});
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
my $parent = $srv->parent_pid;

my $load = MpmCxx::Load->start(port => $srv->port, clients => 6, keepalive => 0, duration => 5,
                               think_ms => 5, path => '/probe/sleep?ms=20');
sleep 1.5;
my @kids = $srv->children;
my $victim = $kids[0];
ok($victim && kill('KILL', $victim), "SIGKILL to child $victim");
my $res = $load->wait(30);
note(MpmCxx::Load::summary($res));

cmp_ok($res->{ok}, '>', 50, "load kept being served ($res->{ok} ok)");
cmp_ok($res->{failed}, '<=', $c->{max_lost}, "at most $c->{max_lost} request(s) lost with the killed child")
    or diag(join "\n", @{ $res->{first_errors} });
ok(!(grep { $_ == $victim } $srv->pids), 'the killed child is gone');
is($srv->parent_pid, $parent, 'parent unaffected');

# idle capacity restored: our own status request occupies one worker
my $st;
my $ok = MpmCxx::Server::wait_until(10, sub {
    $st = $srv->status;
    $st && $st->{IdleWorkers} + 1 >= $c->{min_idle};
}, 0.2);
ok($ok, "scoreboard shows >= $c->{min_idle} idle workers again")
    or diag("IdleWorkers $st->{IdleWorkers}, Scoreboard $st->{Scoreboard}");
my $r = $srv->get('/small.txt');
is($r->{status}, 200, 'serving afterwards');
$srv->stop;
