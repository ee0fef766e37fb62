# The monitor hook (mod_systemd's status line, mod_session_dbd's cleanup,
# ...) runs in the parent every tenth turn of its loop: about every ten
# seconds on a quiet server. With listener buckets our parent sleeps its
# second in slices to look at the buckets' accept queues (bucket relief,
# README intended difference 25); the hook must keep its stock pace there,
# neither ten times as often nor never. mod_mpm_probe logs each run at debug
# level.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);
use MpmCxx::Env qw(kind ncpus);
use MpmCxx::Server;

MpmCxx::Server::time_limit(90);

plan tests => 4;

my $n = ncpus() >= 2 ? 2 : 1;
my %conf = (
    prefork => "StartServers $n\nMinSpareServers 1\nMaxSpareServers $n\nServerLimit $n\nMaxRequestWorkers $n\n",
    worker  => "StartServers $n\nServerLimit $n\nThreadLimit 2\nThreadsPerChild 2\nMaxRequestWorkers " . (2 * $n)
             . "\nMinSpareThreads 1\nMaxSpareThreads " . (2 * $n) . "\n",
);
$conf{event} = $conf{worker};
my $srv = MpmCxx::Server->new(name => 'monitor', loglevel => 'info mpm_probe:debug',
                              conf => $conf{ kind() } . "ListenCoresBucketsRatio 1\n");
ok($srv->start, "server started ($n listener bucket" . ($n > 1 ? 's' : '') . ')') or BAIL_OUT('cannot start');

# Two periods and a half: two runs expected, a third at most.
my $watch = 25;
my $t0 = time;
sleep 0.5 while time - $t0 < $watch;
ok($srv->probe_pid, 'the server answers');

my @runs;
if (open my $fh, '<', $srv->error_log_file) {
    while (my $line = <$fh>) {
        next unless $line =~ /mpm_probe: monitor hook ran/;
        # [Sat Nov 28 10:21:38.123456 2026]: the seconds of the minute are enough for gaps under a minute
        my ($h, $m, $s) = $line =~ /^\[\w+ \w+ +\d+ (\d+):(\d+):(\d+(?:\.\d+)?) \d+\]/ or next;
        push @runs, $h * 3600 + $m * 60 + $s;
    }
}
my @gaps = map { $runs[$_] - $runs[ $_ - 1 ] } 1 .. $#runs;
note(sprintf('%d runs of the monitor hook in %d s; gaps %s', scalar @runs, $watch,
             join(', ', map { sprintf '%.1f s', $_ } @gaps) || 'none'));
ok(@runs >= 2 && @runs <= 3, "the monitor hook ran 2 or 3 times in $watch s (every tenth turn of the parent's loop)")
    or diag(scalar(@runs) . ' runs');
ok(@gaps && !grep({ $_ < 8 || $_ > 13 } @gaps), 'about ten seconds between runs')
    or diag('gaps: ' . join(', ', @gaps));
$srv->stop;
