# Idle thread maintenance of the threaded kinds (MinSpareThreads /
# MaxSpareThreads), the counterpart of spare_servers.t.
#
# ThreadsPerChild 5, MinSpareThreads 5, MaxSpareThreads 15, StartServers 4:
# the 20 idle threads at the start are too many, children are stopped (one
# per maintenance pass) until the idle count is within [5,15]; under slow
# concurrent load (12 busy threads) children are forked so that at least
# MinSpareThreads stay idle; after the load the count falls back into
# [5,15].
#
# Stock rounding is allowed for: the limits are divided per listener bucket
# (one bucket here) and children are started and stopped a whole child (5
# threads) at a time, so a settled count is anywhere in the range.
#
# "Idle" as the MPM sees it is IdleWorkers from mod_status plus one: the
# status request itself occupies a thread that was idle before.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep time);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;
use MpmCxx::Load;

MpmCxx::Server::time_limit(150);

plan skip_all => 'spare threads are a worker/event feature (prefork: spare_servers.t)'
    if kind() eq 'prefork';

my ($tpc, $min, $max) = (5, 5, 15);

plan tests => 9;

my $srv = MpmCxx::Server->new(name => 'spare-threads', conf => <<"EOF");
StartServers 4
ThreadsPerChild $tpc
MinSpareThreads $min
MaxSpareThreads $max
ServerLimit 12
MaxRequestWorkers 50
EOF
ok($srv->start, 'server started') or BAIL_OUT('cannot start');

sub idle {
    my $st = $srv->status or return -1;
    return $st->{IdleWorkers} + 1;
}

# at the start: 4 children, 20 idle threads
my $start_kids = MpmCxx::Server::wait_until(5, sub { my @c = $srv->children; @c >= 4 ? scalar @c : 0 }, 0.1);
cmp_ok($start_kids, '>=', 4, 'StartServers 4: four children at first');

# too many idle threads: children are stopped until the count is in range,
# stable for 3 consecutive samples
my @samples;
my $stable = MpmCxx::Server::wait_until(15, sub {
    push @samples, idle();
    @samples >= 3 && !(grep { $_ < $min || $_ > $max } @samples[-3 .. -1]);
}, 0.5);
ok($stable, "idle thread count settles into [$min,$max]") or diag("samples: @samples");
note("settling: @samples");
my $kids = () = $srv->children;
cmp_ok($kids, '<=', 3, "surplus children stopped ($kids left)");

# slow concurrent load: 12 clients, each request sleeping 1 s
my $load = MpmCxx::Load->start(port => $srv->port, clients => 12, keepalive => 0, duration => 8,
                               path => '/probe/sleep?ms=1000', request_timeout => 20);
my ($max_kids, $idle_restored) = (0, 0);
my @under;
my $t_end = time + 7.5;
while (time < $t_end) {
    my $st = $srv->status;
    my $k = () = $srv->children;
    $max_kids = $k if $k > $max_kids;
    if ($st) {
        push @under, "$st->{BusyWorkers}b/$st->{IdleWorkers}i/${k}p";
        # 12 slow requests + the status request busy, MinSpareThreads idle
        $idle_restored = 1 if $st->{BusyWorkers} >= 12 && $st->{IdleWorkers} + 1 >= $min;
    }
    sleep 0.5;
}
my $res = $load->wait(40);
note('under load (busy/idle/processes): ' . join(' ', @under));
my $need = int((12 + $min + $tpc - 1) / $tpc);
cmp_ok($max_kids, '>=', $need, "children forked under load (max $max_kids >= $need for 12 busy + $min spare)");
ok($idle_restored, "$min idle threads kept while 12 requests are busy");
is($res->{failed}, 0, 'no slow request failed') or diag(MpmCxx::Load::summary($res));

# falls back into the range (one child per maintenance pass is stopped)
my @after;
my $back = MpmCxx::Server::wait_until(20, sub {
    push @after, idle();
    @after >= 3 && !(grep { $_ < $min || $_ > $max } @after[-3 .. -1]);
}, 0.5);
ok($back, "idle thread count falls back into [$min,$max] after the load") or diag("samples: @after");
note("after load: @after");
$kids = () = $srv->children;
cmp_ok($kids, '<=', 4, "children left after the load: $kids");
$srv->stop;
