# Intended difference of ours: no "internal dummy connection" requests in the
# access log. Stock prefork wakes idle children with an "OPTIONS *" request
# to its own listener (User-Agent "... (internal dummy connection)") on
# graceful restart, graceful stop and when it stops surplus idle children.
# For stock prefork the checks run as TODO.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep);
use MpmCxx::Env qw(kind is_cxx);
use MpmCxx::Server;

MpmCxx::Server::time_limit(120);

# prefork: 6 started, only 2 idle wanted -> 4 idle children are stopped
my %conf = (
    prefork => "StartServers 6\nMinSpareServers 1\nMaxSpareServers 2\n",
    worker  => "StartServers 4\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 10\nMaxRequestWorkers 40\nServerLimit 8\n",
);
$conf{event} = $conf{worker};
# (stock worker/event wake their children through the pipe of death and
# pollset wake-ups, not with dummy connections: no TODO for them)
my $todo = (!is_cxx() && kind() eq 'prefork') ? 'stock prefork wakes children with internal dummy connections' : undef;

plan tests => 6;

my $dummy = qr/internal dummy connection/;

my $srv = MpmCxx::Server->new(name => 'dummy', conf => $conf{ kind() });
ok($srv->start, 'server started') or BAIL_OUT('cannot start');

# 1. idle reduction: 6 -> <= 2 idle (one per second)
my $reduced = MpmCxx::Server::wait_until(15, sub { my @c = $srv->children; @c <= 3 }, 0.3);
ok($reduced, 'surplus idle children were stopped') or diag("children: @{[ $srv->children ]}");
sleep 0.5;
TODO: {
    local $TODO = $todo;
    unlike($srv->access_log, $dummy, 'no internal dummy connection while reducing idle children');
}

# 2. graceful restarts
for (1 .. 2) {
    $srv->signal('USR1');
    sleep 1.5;
}
my $r = $srv->get('/small.txt');
is($r->{status}, 200, 'serving after two graceful restarts');
sleep 1;
# 3. graceful stop
$srv->signal('WINCH');
ok($srv->wait_gone(10), 'gone after a graceful stop');
TODO: {
    local $TODO = $todo;
    my @lines = grep { /$dummy/ } split /\n/, $srv->access_log;
    is(scalar @lines, 0, 'no internal dummy connection in the access log after graceful restarts and stop')
        or diag(join "\n", @lines[0 .. ($#lines > 4 ? 4 : $#lines)]);
}
