# mod_status on the Apache::Test server: the ?auto fields and the form of the
# Scoreboard line, and the HTML page.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);

use MpmCxx::HTTP qw(http_get);
use MpmCxx::Status qw(fetch_status parse_status scoreboard_ok);
use MpmCxx::Env qw(kind mpm expected_mpm_name);
use MpmCxx::Server;

MpmCxx::Server::time_limit(120);

plan tests => 21, need_module('mod_status.c');

my $port = Apache::Test::vars('port');

my $st = fetch_status($port);
ok($st, 'GET /server-status?auto: 200');
$st ||= {};

is($st->{ServerMPM}, expected_mpm_name(), 'ServerMPM is ' . expected_mpm_name());
like($st->{ServerVersion} // '', qr{^Apache/2\.4\.}, 'ServerVersion');
for my $f (qw(ParentServerConfigGeneration ParentServerMPMGeneration ServerUptimeSeconds
              BusyWorkers IdleWorkers GracefulWorkers)) {
    like($st->{$f} // '', qr/^\d+$/, "$f is a number");
}
cmp_ok($st->{ParentServerConfigGeneration} // 0, '>=', 1, 'config generation >= 1');
cmp_ok($st->{BusyWorkers} // 0, '>=', 1, 'at least one busy worker (the one serving us)');
like($st->{'Total Accesses'} // '', qr/^\d+$/, 'Total Accesses (ExtendedStatus forced by mod_status)');

my $sb = $st->{Scoreboard} // '';
ok(scoreboard_ok($sb), 'Scoreboard has only known characters') or diag("Scoreboard: $sb");

# mod_status leaves out dead slots beyond MAX_DAEMONS (MaxRequestWorkers for
# prefork, MaxRequestWorkers/ThreadsPerChild processes for the threaded
# kinds) and threads beyond MAX_THREADS, so in a steady state the line has
# MAX_DAEMONS x MAX_THREADS characters.
my $qr = http_get($port, '/probe/query');
my %q = map { /^(\d+) (-?\d+) (-?\d+)$/ ? ($1 => [$2, $3]) : () } split /\n/, $qr->{body};
is(length $sb, $q{12}[0] * $q{6}[0], 'Scoreboard length = MAX_DAEMONS x MAX_THREADS');
like($sb, qr/W/, 'Scoreboard shows our request as W');
my $nready = () = $sb =~ /_/g;
is($nready, $st->{IdleWorkers}, 'number of _ equals IdleWorkers');
my $nbusy = () = $sb =~ /[RWKDCL]/g;
is($nbusy, $st->{BusyWorkers}, 'number of busy glyphs equals BusyWorkers');

# the MPM kind specific parts of ?auto: async MPMs show connection counters
my %async = (prefork => 0, worker => 0, event => 1);
if ($async{ kind() }) {
    like($st->{ConnsTotal} // '', qr/^\d+$/, 'ConnsTotal present (async MPM)');
}
else {
    ok(!exists $st->{ConnsTotal}, 'no ConnsTotal (not an async MPM)');
}

# HTML form
my $h = http_get($port, '/server-status');
is($h->{status}, 200, 'GET /server-status (HTML): 200');
like($h->{body}, qr/Server MPM: \Q@{[expected_mpm_name()]}\E/, 'HTML shows the Server MPM');
like($h->{body}, qr/Scoreboard Key/, 'HTML has the scoreboard key');
