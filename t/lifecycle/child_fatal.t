# Children that exit with the special exit codes (probe /probe/exit?code=N):
#  - APEXIT_CHILDSICK (7): the child is replaced, the server keeps running;
#  - APEXIT_CHILDFATAL (15) from the current generation: the parent logs
#    "returned a Fatal error... Apache is exiting!" and exits.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep time);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;

MpmCxx::Server::time_limit(120);

my %conf = (
    prefork => "StartServers 3\nMinSpareServers 3\nMaxSpareServers 6\n",
    worker  => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 10\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

plan tests => 11;

my $srv = MpmCxx::Server->new(name => 'child-fatal', conf => $conf{ kind() });
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
my $parent = $srv->parent_pid;

# CHILDSICK
my $mark = $srv->log_mark;
my $r = $srv->get('/probe/exit?code=7', timeout => 5);
is($r->{status}, 0, 'exit(7): no response');
my ($sick) = $srv->error_log($mark) =~ /process (\d+) exits with code 7/;
ok($sick, "child $sick exited with 7");
ok(MpmCxx::Server::wait_until(5, sub { !(grep { $_ == $sick } $srv->pids) }), 'it is gone');
sleep 1.5;
is($srv->parent_pid, $parent, 'CHILDSICK: the parent keeps running');
unlike($srv->error_log($mark), qr/Fatal error/, 'CHILDSICK: no fatal error logged');
$r = $srv->get('/small.txt');
is($r->{status}, 200, 'CHILDSICK: still serving');

# CHILDFATAL
$mark = $srv->log_mark;
my $t0 = time;
$r = $srv->get('/probe/exit?code=15', timeout => 5);
is($r->{status}, 0, 'exit(15): no response');
ok($srv->wait_log(qr/returned a Fatal error\.\.\. Apache is exiting!/, 5, $mark),
   "'returned a Fatal error... Apache is exiting!' logged");
my $pgone = MpmCxx::Server::wait_until(10, sub { !kill 0, $parent }, 0.1);
ok($pgone, sprintf('CHILDFATAL: the parent exited (%.1fs)', time - $t0));
my @left = $srv->pids;
note("processes left after the parent exited: @left (stock prefork leaves its children running)");
ok(!(grep { $_ == $parent } @left), 'parent not among the remaining processes');
$srv->cleanup;
