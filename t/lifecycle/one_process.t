# Foreground and one-process modes:
#   -X, -DONE_PROCESS       exactly one process, which serves requests itself
#   -DNO_DETACH, -DFOREGROUND  the started process stays the parent (no
#                              daemonizing) and has children that serve
# Each serves a request and ends cleanly on SIGTERM (stock event in a
# one-process mode sometimes crashes there: a TODO for it alone).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep time);
use POSIX qw(WIFEXITED WEXITSTATUS WIFSIGNALED WTERMSIG SIGSEGV);
use MpmCxx::Env qw(kind is_cxx);
use MpmCxx::Server;

MpmCxx::Server::time_limit(150);

my %conf = (
    prefork => "StartServers 2\nMinSpareServers 1\nMaxSpareServers 3\n",
    worker  => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

my @modes = (['-X', 1], ['-DONE_PROCESS', 1], ['-DNO_DETACH', 0], ['-DFOREGROUND', 0]);
plan tests => scalar(@modes) * 7;

for my $m (@modes) {
    my ($arg, $one) = @$m;
    my $srv = MpmCxx::Server->new(name => "fg$arg", conf => $conf{ kind() });
    my $pid = $srv->start_fg($arg);
    ok($pid, "$arg: started, pid " . ($pid || $srv->{fg_pid}));
    unless ($pid) {
        $srv->diag_logs;
        $srv->cleanup;
        SKIP: { skip "$arg did not start", 6 }
        next;
    }
    my $p = $srv->probe_pid;
    my $r = $srv->get('/big.txt');
    ok($r->{status} == 200 && length($r->{body}) == 102400, "$arg: serves a request");
    is($srv->parent_pid, $pid, "$arg: the started process is the parent (not daemonized)");
    if ($one) {
        my @all = $srv->pids;
        is(scalar @all, 1, "$arg: exactly one process") or diag("processes: @all");
        is($p && $p->{pid}, $pid, "$arg: the request was served by that process");
    }
    else {
        my @kids = $srv->children;
        cmp_ok(scalar @kids, '>=', 1, "$arg: it has children (@kids)");
        is($p && $p->{ppid}, $pid, "$arg: the request was served by a child");
    }
    my $t0 = time;
    kill 'TERM', $pid;
    my $st = $srv->wait_fg(10);
    # Stock event's one process can die of SIGSEGV as it stops: its main thread faults in
    # apr_os_sock_get while worker threads are exiting (RELIABILITY.md). For stock event in a
    # one-process mode that one death is a TODO; any other failure fails, and on ours everything does.
    my $stock_crash = kind() eq 'event' && !is_cxx() && $one
        && defined $st && $st > 0 && WIFSIGNALED($st) && WTERMSIG($st) == SIGSEGV;
    TODO: {
        local $TODO = $stock_crash ? 'stock event can crash on SIGTERM in one-process mode' : undef;
        ok(defined $st && WIFEXITED($st) && WEXITSTATUS($st) == 0,
           sprintf("$arg: SIGTERM ends it with exit status 0 (%.1fs)", time - $t0))
            or diag('wait status: ' . ($st // 'still running'));
    }
    ok($srv->wait_gone(5), "$arg: no process left");
    $srv->cleanup;
}
