# Several Listen sockets (prefork then serializes accept with the accept
# mutex): all are served under concurrent load, also across a graceful
# restart, and bursts of connections arriving on all of them at once are
# answered in full.
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

my %conf = (
    prefork => "StartServers 4\nMinSpareServers 2\nMaxSpareServers 8\nMaxRequestWorkers 20\n",
    worker  => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

my $nports = 3;
plan tests => 2 + $nports + 2 + $nports + 1;

my $srv = MpmCxx::Server->new(name => 'listen-multi', ports => $nports, conf => $conf{ kind() });
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
my @ports = $srv->ports;

# each port answers, and the probe sees the right local port
my $ok = 0;
for my $p (@ports) {
    my $x = $srv->probe_pid(port => $p);
    $ok++ if $x && $x->{local} =~ /^127\.0\.0\.1 $p$/;
}
is($ok, $nports, "all $nports ports answer on their own address");

my $res = MpmCxx::Load->run(ports => \@ports, clients => 12, keepalive => 0, duration => 3,
                            think_ms => 5, path => '/small.txt', expect_length => 1024);
note(MpmCxx::Load::summary($res));
for my $p (@ports) {
    cmp_ok($res->{port_ok}{$p} // 0, '>', 20, "port $p served under concurrent load");
}
is($res->{failed}, 0, 'no failed request') or diag(join "\n", @{ $res->{first_errors} });

# the same across a graceful restart
my $load = MpmCxx::Load->start(ports => \@ports, clients => 12, keepalive => 0, duration => 4,
                               think_ms => 5, path => '/small.txt', expect_length => 1024);
sleep 1.5;
$srv->signal('USR1');
$res = $load->wait(30);
note(MpmCxx::Load::summary($res));
is($res->{failed}, 0, 'no failed request across a graceful restart')
    or diag(join "\n", @{ $res->{first_errors} });
for my $p (@ports) {
    cmp_ok($res->{port_ok}{$p} // 0, '>', 20, "port $p served across the graceful restart");
}

# Bursts: 30 clients connect at once, spread over the ports, one request each,
# and nobody comes after them. A connection the server was told about but left
# in the accept queue is answered by nobody (the load of the first tests hides
# that: the next client on the same port gets it taken).
my ($bursts, $burst_failed, @burst_errors) = (0, 0);
my $t0 = time;
while ($bursts < 40 && time - $t0 < 60) {
    $bursts++;
    my $r = MpmCxx::Load->run(ports => \@ports, clients => 30, keepalive => 0, duration => 2,
                              max_requests => 30, reconnect => 0, request_timeout => 3,
                              path => '/small.txt', expect_length => 1024);
    $burst_failed += $r->{failed};
    push @burst_errors, @{ $r->{first_errors} || [] };
}
is($burst_failed, 0, "$bursts bursts of 30 connections on all ports: every one answered")
    or diag(join "\n", grep { defined } @burst_errors[0 .. 9]);
$srv->stop;
