# Sustained overload with a small MaxRequestWorkers: "server reached
# MaxRequestWorkers setting" is logged exactly once (not on every maintenance
# cycle, not again for a second overload), the number of processes stays
# within the limit, queued requests are still served.
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
    prefork => { conf => "StartServers 2\nMinSpareServers 2\nMaxSpareServers 4\nServerLimit 4\nMaxRequestWorkers 4\n",
                 max_children => 4, clients => 10 },
    worker  => { conf => "StartServers 1\nServerLimit 2\nThreadsPerChild 2\nMaxRequestWorkers 4\nMinSpareThreads 2\nMaxSpareThreads 4\n",
                 max_children => 2, clients => 10 },
);
$case{event} = $case{worker};
my $c = $case{ kind() };

plan tests => 7;

my $srv = MpmCxx::Server->new(name => 'max-workers', conf => $c->{conf});
ok($srv->start, 'server started') or BAIL_OUT('cannot start');

my $re = qr/server reached MaxRequestWorkers setting, consider raising the MaxRequestWorkers setting/;

my $load = MpmCxx::Load->start(port => $srv->port, clients => $c->{clients}, keepalive => 0,
                               duration => 5, path => '/probe/sleep?ms=500', request_timeout => 20);
my $max_children = 0;
my $t_end = time + 5;
while (time < $t_end) {
    my $n = () = $srv->children;
    $max_children = $n if $n > $max_children;
    sleep 0.2;
}
my $res = $load->wait(40);
note(MpmCxx::Load::summary($res));
is($res->{failed}, 0, 'all queued requests served') or diag(join "\n", @{ $res->{first_errors} });
cmp_ok($max_children, '<=', $c->{max_children}, "never more than $c->{max_children} children ($max_children)");
my $n = () = $srv->error_log =~ /$re/g;
is($n, 1, "'server reached MaxRequestWorkers setting' logged exactly once after 5 s of overload");

# a second overload, after a pause: still not logged again
sleep 2;
$res = MpmCxx::Load->run(port => $srv->port, clients => $c->{clients}, keepalive => 0,
                         duration => 3, path => '/probe/sleep?ms=500', request_timeout => 20);
is($res->{failed}, 0, 'second overload: all requests served');
$n = () = $srv->error_log =~ /$re/g;
is($n, 1, 'still logged only once');
my $r = $srv->get('/small.txt', timeout => 15);
is($r->{status}, 200, 'serving afterwards');
$srv->stop;
