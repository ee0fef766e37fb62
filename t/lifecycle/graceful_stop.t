# Graceful stop by SIGWINCH and by "apache2 -k graceful-stop" with a slow
# request in flight: new connections are refused at once (within 1 s, for
# every kind), the in-flight request completes with 200, then no process is
# left and the PidFile is gone.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;
use MpmCxx::HTTP qw(slow_request http_connect);

MpmCxx::Server::time_limit(120);

my %conf = (
    prefork => "StartServers 3\nMinSpareServers 2\nMaxSpareServers 5\n",
    worker  => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

plan tests => 2 * 10;

for my $how ('SIGWINCH', '-k graceful-stop') {
    my $srv = MpmCxx::Server->new(name => 'graceful-stop', conf => $conf{ kind() });
    ok($srv->start, "$how: server started") or next;
    my $slow = slow_request($srv->port, 3000);
    ok($slow && $slow->started, "$how: 3 s request in flight");
    my $t0 = time;
    my $mark = $srv->log_mark;
    if ($how eq 'SIGWINCH') { $srv->signal('WINCH') }
    else { $srv->ctl('graceful-stop') }

    # new connections are refused at once: the listeners are closed (ours
    # shut them down, so even copies held by busy children stop queueing)
    my $refused = MpmCxx::Server::wait_until(1, sub {
        my $s = http_connect($srv->port, timeout => 1);
        close $s if $s;
        !$s;
    }, 0.02);
    ok($refused, sprintf("$how: new connections refused within 1 s (%.2fs)", time - $t0));
    ok($srv->wait_log(qr/caught SIGWINCH, shutting down gracefully/, 5, $mark),
       "$how: 'caught SIGWINCH, shutting down gracefully' logged");
    # ... and stay refused while the in-flight request finishes
    my $s2 = http_connect($srv->port, timeout => 1);
    ok(!$s2, "$how: still refused while the request is in flight");
    close $s2 if $s2;

    my $r = $slow->finish(10);
    is($r->{status}, 200, "$how: the in-flight request completed with 200");
    is($r->{body}, "sleeping\ndone\n", "$how: ... with its full body");
    my $done_at = time - $t0;
    my $gone = $srv->wait_gone(5);
    ok($gone, sprintf("$how: no process left (request done at %.1fs, all gone at %.1fs)",
                      $done_at, time - $t0)) or diag("left: @{[ $srv->pids ]}");
    ok(!-e $srv->pid_file, "$how: PidFile removed");
    unlike($srv->error_log, qr/still did not exit|could not make child process/,
           "$how: no child needed to be forced");
    $srv->cleanup;
}
