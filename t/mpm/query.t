# ap_mpm_query() answers, read in a serving process through the probe module
# (/probe/query), compared with the stock MPM's table (mpm-contract.md
# section 2) for the configured directive values; GENERATION after a graceful
# restart; clamped values.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use MpmCxx::Env qw(kind expected_mpm_name);
use MpmCxx::Server;

MpmCxx::Server::time_limit(120);

use constant ENOTIMPL => 70023;    # APR_ENOTIMPL

my $kind = kind();

# Directives and expected answers per kind. Each expectation is
# code => [value, rv]; value undef = not checked (rv ENOTIMPL).
my %case = (
    prefork => {
        conf => <<'EOF',
StartServers 3
MinSpareServers 2
MaxSpareServers 6
ServerLimit 40
MaxRequestWorkers 30
MaxConnectionsPerChild 1000
EOF
        expect => {
            2 => [0, 0], 3 => [2, 0], 4 => [40, 0], 5 => [1, 0], 6 => [1, 0], 7 => [2, 0],
            8 => [0, 0], 9 => [6, 0], 10 => [0, 0], 11 => [1000, 0], 12 => [30, 0],
            13 => [1, 0], 14 => [undef, ENOTIMPL], 16 => [undef, ENOTIMPL],
            19 => [undef, ENOTIMPL],
        },
        # MaxRequestWorkers above ServerLimit, MinSpareServers/StartServers
        # below 1, MaxSpareServers below MinSpareServers+1 (raised at run time)
        clamp_conf => <<'EOF',
ServerLimit 10
MaxRequestWorkers 50
StartServers 0
MinSpareServers 0
MaxSpareServers 0
EOF
        clamp_expect => { 4 => [10, 0], 12 => [10, 0], 7 => [1, 0], 9 => [2, 0] },
    },
    worker => {
        conf => <<'EOF',
StartServers 2
ServerLimit 4
ThreadLimit 16
ThreadsPerChild 8
MaxRequestWorkers 24
MinSpareThreads 6
MaxSpareThreads 24
MaxConnectionsPerChild 1000
EOF
        expect => {
            2 => [1, 0], 3 => [2, 0], 4 => [4, 0], 5 => [16, 0], 6 => [8, 0], 7 => [0, 0],
            8 => [6, 0], 9 => [0, 0], 10 => [24, 0], 11 => [1000, 0], 12 => [3, 0],
            13 => [1, 0], 14 => [undef, ENOTIMPL], 16 => [undef, ENOTIMPL],
            19 => [undef, ENOTIMPL],
        },
        # MaxRequestWorkers/ThreadsPerChild above ServerLimit; ThreadsPerChild
        # above ThreadLimit; MaxSpareThreads below MinSpareThreads +
        # ThreadsPerChild + 1 (raised at run time, before the children start)
        clamp_conf => <<'EOF',
ServerLimit 2
ThreadLimit 8
ThreadsPerChild 10
MaxRequestWorkers 100
MinSpareThreads 3
MaxSpareThreads 0
EOF
        clamp_expect => { 4 => [2, 0], 12 => [2, 0], 5 => [8, 0], 6 => [8, 0], 8 => [3, 0], 10 => [12, 0] },
    },
);
$case{event} = {
    %{ $case{worker} },
    expect => { %{ $case{worker}{expect} }, 14 => [1, 0], 19 => [1, 0] },
};

my $c = $case{$kind};
plan tests => 2 + scalar(keys %{ $c->{expect} }) + 6 + 3 + 1 + scalar(keys %{ $c->{clamp_expect} });

my $srv = MpmCxx::Server->new(name => 'query', conf => $c->{conf});
ok($srv->start, 'server started') or BAIL_OUT('cannot start a server');
my $q = $srv->probe_query;
ok($q, '/probe/query answered') or diag explain $srv->get('/probe/query');
$q ||= {};

for my $code (sort { $a <=> $b } keys %{ $c->{expect} }) {
    my ($v, $rv) = @{ $c->{expect}{$code} };
    my $got = $q->{$code} || [undef, undef];
    if (defined $v) {
        is_deeply($got, [$v, $rv], "query $code: value $v, rv $rv");
    }
    else {
        is($got->[1], $rv, "query $code: rv $rv (not implemented)");
    }
}

# codes that do not exist in 2.4: ENOTIMPL
is($q->{$_} && $q->{$_}[1], ENOTIMPL, "unknown query code $_: ENOTIMPL") for (0, 17, 18, 20);

# MAX_DAEMON_USED: stock prefork answers MaxRequestWorkers, the threaded
# kinds the highest used slot + 1; accept anything from the number of live
# children up to ServerLimit.
{
    my $got = $q->{1} || [-1, -1];
    my $nchildren = () = $srv->children;
    is($got->[1], 0, 'query 1 (MAX_DAEMON_USED): rv 0');
    ok($got->[0] >= 1 && $got->[0] >= $nchildren - 1 && $got->[0] <= $q->{4}[0],
       "query 1 (MAX_DAEMON_USED) $got->[0] between live children ($nchildren) and ServerLimit");
}

# GENERATION 0, then 1 after a graceful restart
is_deeply($q->{15}, [0, 0], 'query 15 (GENERATION): 0 at start');
$srv->signal('USR1');
my $gen_ok = MpmCxx::Server::wait_until(10, sub {
    my $x = $srv->probe_query;
    $x && $x->{15}[0] == 1 && $x->{13}[0] == 1;
}, 0.2);
ok($gen_ok, 'query 15 (GENERATION): 1 after a graceful restart, MPM_STATE running');
is($srv->probe_query->{name}, expected_mpm_name(), 'ap_show_mpm() unchanged after restart');

ok($srv->stop, 'server stopped');

# clamped values as seen by the running server
my $cl = MpmCxx::Server->new(name => 'query-clamp', conf => $c->{clamp_conf});
SKIP: {
    skip 'clamp server did not start', scalar keys %{ $c->{clamp_expect} } unless $cl->start;
    my $q2 = $cl->probe_query || {};
    for my $code (sort { $a <=> $b } keys %{ $c->{clamp_expect} }) {
        my ($v, $rv) = @{ $c->{clamp_expect}{$code} };
        is_deeply($q2->{$code}, [$v, $rv], "clamped config: query $code = $v");
    }
    $cl->stop;
}
