# Idle server maintenance (prefork: MinSpareServers / MaxSpareServers).
# StartServers 1, MinSpareServers 2, MaxSpareServers 4: the idle count
# converges into [2,4], rises under slow concurrent load and falls back to
# <= MaxSpareServers afterwards.
#
# "Idle" as the MPM sees it is IdleWorkers from mod_status plus one: the
# status request itself occupies a process that was idle before.
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

plan skip_all => 'spare *servers* are a prefork feature (threaded kinds: spare_threads.t)'
    unless kind() eq 'prefork';

plan tests => 7;

my $srv = MpmCxx::Server->new(name => 'spare', conf => <<'EOF');
StartServers 1
MinSpareServers 2
MaxSpareServers 4
ServerLimit 30
MaxRequestWorkers 30
EOF
ok($srv->start, 'server started') or BAIL_OUT('cannot start');

sub idle {
    my $st = $srv->status or return -1;
    return $st->{IdleWorkers} + 1;
}

# converge into [2,4], stable for 3 consecutive samples
my @samples;
my $stable = MpmCxx::Server::wait_until(12, sub {
    push @samples, idle();
    @samples >= 3 && !(grep { $_ < 2 || $_ > 4 } @samples[-3 .. -1]);
}, 0.5);
ok($stable, 'idle count converges into [2,4]') or diag("samples: @samples");

# slow concurrent load: 8 clients, each request sleeping 1 s
my $load = MpmCxx::Load->start(port => $srv->port, clients => 8, keepalive => 0, duration => 7,
                               path => '/probe/sleep?ms=1000', request_timeout => 20);
my ($max_procs, $saw_idle_under_load) = (0, 0);
my @under;
my $t_end = time + 6.5;
while (time < $t_end) {
    my $st = $srv->status;
    if ($st) {
        my $procs = $st->{IdleWorkers} + $st->{BusyWorkers};
        $max_procs = $procs if $procs > $max_procs;
        push @under, "$st->{BusyWorkers}b/$st->{IdleWorkers}i";
        $saw_idle_under_load = 1 if $st->{BusyWorkers} >= 9 && $st->{IdleWorkers} + 1 >= 2;
    }
    sleep 0.5;
}
my $res = $load->wait(40);
note('under load (busy/idle): ' . join(' ', @under));
cmp_ok($max_procs, '>=', 10, "process count rose under load (max $max_procs >= 8 busy + 2 spare)");
ok($saw_idle_under_load, 'MinSpareServers idle processes restored while 8 requests are busy');
is($res->{failed}, 0, 'no slow request failed') or diag(MpmCxx::Load::summary($res));

# falls back to <= MaxSpareServers (one process per second is stopped)
my @after;
my $back = MpmCxx::Server::wait_until(25, sub {
    push @after, idle();
    $after[-1] >= 2 && $after[-1] <= 4;
}, 0.5);
ok($back, 'idle count falls back to <= MaxSpareServers after the load') or diag("samples: @after");
note("after load: @after");
my $nproc = () = $srv->children;
cmp_ok($nproc, '<=', 6, "children left: $nproc");
$srv->stop;
