# A child that crashes with SIGSEGV (probe /probe/crash): the parent logs
# "exit signal Segmentation fault" and replaces it; serving continues.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep time);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;

MpmCxx::Server::time_limit(120);

my %case = (
    prefork => { conf => "StartServers 3\nMinSpareServers 3\nMaxSpareServers 6\n", min_idle => 3 },
    worker  => { conf => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 10\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
                 min_idle => 10 },
);
$case{event} = $case{worker};
my $c = $case{ kind() };

plan tests => 8;

my $srv = MpmCxx::Server->new(name => 'child-crash', conf => $c->{conf});
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
my $parent = $srv->parent_pid;
MpmCxx::Server::wait_until(5, sub { my $st = $srv->status; $st && $st->{IdleWorkers} + 1 >= $c->{min_idle} });

my $mark = $srv->log_mark;
my $r = $srv->get('/probe/crash', timeout => 5);
is($r->{status}, 0, 'the crashing request gets no response');
my ($crashed) = $srv->error_log($mark) =~ /mpm_probe: process (\d+) raises SIGSEGV/;
ok($crashed, "probe crashed process $crashed");
ok($srv->wait_log(qr/child pid $crashed exit signal Segmentation fault/, 5, $mark),
   "'child pid $crashed exit signal Segmentation fault' logged");
ok(MpmCxx::Server::wait_until(5, sub { !(grep { $_ == $crashed } $srv->pids) }), 'crashed child is gone');
is($srv->parent_pid, $parent, 'parent unaffected');
my $st;
ok(MpmCxx::Server::wait_until(10, sub {
    $st = $srv->status;
    $st && $st->{IdleWorkers} + 1 >= $c->{min_idle};
}, 0.2), "replaced: >= $c->{min_idle} idle workers again") or diag("Scoreboard: $st->{Scoreboard}");
$r = $srv->get('/big.txt');
ok($r->{status} == 200 && length($r->{body}) == 102400, 'serving afterwards');
$srv->stop;
