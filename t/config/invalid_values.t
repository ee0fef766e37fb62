# Out-of-range values of the MPM directives, run through "apache2 -t" (and a
# few through a real start). Each case must either fail with a message naming
# the directive, or behave like the stock MPM: exit 0 with exactly the stock
# clamp warnings (text compared, log ID AHnnnnn or CXXnnnnn accepted).
# For the stock MPMs themselves the stock behaviour is required.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use MpmCxx::Env qw(kind is_cxx mpm);
use MpmCxx::Server;

MpmCxx::Server::time_limit(200);

my $id = qr/(?:(?:AH|CXX)\d{5}: )?/;
sub w { my $t = shift; return qr/^$id\Q$t\E\s*$/m }

# directive text => list of expected stock warnings (empty: silently accepted)
my %cases;
$cases{prefork} = [
    ['StartServers 0'              => w('WARNING: StartServers of 0 not allowed, increasing to 1.')],
    ['StartServers -3'             => w('WARNING: StartServers of -3 not allowed, increasing to 1.')],
    ['StartServers 2000000000'],   # clipped to MaxRequestWorkers at run time, silently
    ['MinSpareServers 0'           => w('WARNING: MinSpareServers of 0 not allowed, increasing to 1 to avoid almost certain server failure. Please read the documentation.')],
    ['MinSpareServers -1'          => w('WARNING: MinSpareServers of -1 not allowed, increasing to 1 to avoid almost certain server failure. Please read the documentation.')],
    ['MinSpareServers 2000000000'],
    ['MaxSpareServers 0'],         # raised to MinSpareServers + buckets at run time, silently
    ['MaxSpareServers -5'],
    ['MaxSpareServers 2000000000'],
    ['MaxRequestWorkers 0'         => w('WARNING: MaxRequestWorkers of 0 not allowed, increasing to 1.')],
    ['MaxRequestWorkers -1'        => w('WARNING: MaxRequestWorkers of -1 not allowed, increasing to 1.')],
    ['MaxRequestWorkers 2000000000' => w('WARNING: MaxRequestWorkers of 2000000000 exceeds ServerLimit value of 256 servers, decreasing MaxRequestWorkers to 256. To increase, please see the ServerLimit directive.')],
    ['MaxClients 0'                => w('WARNING: MaxRequestWorkers of 0 not allowed, increasing to 1.')],
    ['MaxClients -1'               => w('WARNING: MaxRequestWorkers of -1 not allowed, increasing to 1.')],
    ['MaxClients 100000'           => w('WARNING: MaxRequestWorkers of 100000 exceeds ServerLimit value of 256 servers, decreasing MaxRequestWorkers to 256. To increase, please see the ServerLimit directive.')],
    ['ServerLimit 0'               => w('WARNING: ServerLimit of 0 not allowed, increasing to 1.'),
                                      w('WARNING: MaxRequestWorkers of 256 exceeds ServerLimit value of 1 servers, decreasing MaxRequestWorkers to 1. To increase, please see the ServerLimit directive.')],
    ['ServerLimit -1'              => w('WARNING: ServerLimit of -1 not allowed, increasing to 1.'),
                                      w('WARNING: MaxRequestWorkers of 256 exceeds ServerLimit value of 1 servers, decreasing MaxRequestWorkers to 1. To increase, please see the ServerLimit directive.')],
    ['ServerLimit 200001'          => w('WARNING: ServerLimit of 200001 exceeds compile-time limit of 200000 servers, decreasing to 200000.')],
    ['ServerLimit 2000000000'      => w('WARNING: ServerLimit of 2000000000 exceeds compile-time limit of 200000 servers, decreasing to 200000.')],
    ["ServerLimit 10\nMaxRequestWorkers 11" => w('WARNING: MaxRequestWorkers of 11 exceeds ServerLimit value of 10 servers, decreasing MaxRequestWorkers to 10. To increase, please see the ServerLimit directive.')],
    ["ServerLimit 300000\nMaxRequestWorkers 250000" => w('WARNING: ServerLimit of 300000 exceeds compile-time limit of 200000 servers, decreasing to 200000.'),
                                      w('WARNING: MaxRequestWorkers of 250000 exceeds ServerLimit value of 200000 servers, decreasing MaxRequestWorkers to 200000. To increase, please see the ServerLimit directive.')],
    ['GracefulShutdownTimeout 0'],
    ['GracefulShutdownTimeout -1'],
    ['GracefulShutdownTimeout 2000000000'],
];

# worker and event: the same check_config texts (worker AH00300-00323, event
# AH00497-00520); defaults ServerLimit 16, ThreadLimit 64, ThreadsPerChild 25,
# MaxRequestWorkers 400 (16 x 25); compile-time limits ServerLimit 20000,
# ThreadLimit 20000 (worker) or 100000 (event). The order of the checks:
# ServerLimit, ThreadLimit, ThreadsPerChild vs ThreadLimit,
# MaxRequestWorkers < ThreadsPerChild, not a multiple, daemons > ServerLimit,
# StartServers, MinSpareThreads.
sub threaded_cases {
    my ($tl_max) = @_;
    my $ip1 = sub { w("WARNING: $_[0] of $_[1] not allowed, increasing to 1.") };
    my $less = sub {    # MaxRequestWorkers below ThreadsPerChild
        my ($mrw, $tpc) = @_;
        w("WARNING: MaxRequestWorkers of $mrw is less than ThreadsPerChild of $tpc, increasing to $tpc. "
          . 'MaxRequestWorkers must be at least as large as the number of threads in a single server.');
    };
    my $mult = sub {    # not an integer multiple of ThreadsPerChild
        my ($mrw, $tpc) = @_;
        my $d = int($mrw / $tpc);
        w("WARNING: MaxRequestWorkers of $mrw is not an integer multiple of ThreadsPerChild of $tpc, "
          . 'decreasing to nearest multiple ' . ($d * $tpc) . ", for a maximum of $d servers.");
    };
    my $over = sub {    # MaxRequestWorkers / ThreadsPerChild above ServerLimit
        my ($mrw, $tpc, $sl) = @_;
        w("WARNING: MaxRequestWorkers of $mrw would require " . int($mrw / $tpc) . " servers and would "
          . "exceed ServerLimit of $sl, decreasing to " . ($sl * $tpc) . '. To increase, please see the '
          . 'ServerLimit directive.');
    };
    my $tpc_tl = sub {  # ThreadsPerChild above ThreadLimit
        my ($tpc, $tl) = @_;
        w("WARNING: ThreadsPerChild of $tpc exceeds ThreadLimit of $tl threads, decreasing to $tl. "
          . 'To increase, please see the ThreadLimit directive.');
    };
    my $minspare = sub {
        w("WARNING: MinSpareThreads of $_[0] not allowed, increasing to 1 to avoid almost certain server "
          . 'failure. Please read the documentation.');
    };
    my $sl_max = sub { w("WARNING: ServerLimit of $_[0] exceeds compile-time limit of 20000 servers, decreasing to 20000.") };
    my $tl_over = sub { w("WARNING: ThreadLimit of $_[0] exceeds compile-time limit of $tl_max threads, decreasing to $tl_max.") };
    my $tl1 = $tl_max + 1;
    return [
        ['StartServers 0'               => $ip1->('StartServers', 0)],
        ['StartServers -3'              => $ip1->('StartServers', -3)],
        ['StartServers 2000000000'],    # clipped to MaxRequestWorkers/ThreadsPerChild at run time, silently
        ['MinSpareThreads 0'            => $minspare->(0)],
        ['MinSpareThreads -1'           => $minspare->(-1)],
        ['MinSpareThreads 2000000000'],
        ['MaxSpareThreads 0'],          # raised to MinSpareThreads + ThreadsPerChild at run time, silently
        ['MaxSpareThreads -5'],
        ['MaxSpareThreads 2000000000'],
        ['MaxRequestWorkers 0'          => $less->(0, 25)],
        ['MaxRequestWorkers -1'         => $less->(-1, 25)],
        ['MaxRequestWorkers 2000000000' => $over->(2000000000, 25, 16)],
        ['MaxClients 0'                 => $less->(0, 25)],
        ['MaxClients -1'                => $less->(-1, 25)],
        ['MaxClients 100000'            => $over->(100000, 25, 16)],
        ['ThreadsPerChild 0'            => $ip1->('ThreadsPerChild', 0), $over->(400, 1, 16)],
        ['ThreadsPerChild -1'           => $ip1->('ThreadsPerChild', -1), $over->(400, 1, 16)],
        ['ThreadsPerChild 2000000000'   => $tpc_tl->(2000000000, 64), $mult->(400, 64)],
        ['ThreadLimit 0'                => $ip1->('ThreadLimit', 0), $tpc_tl->(25, 1), $over->(400, 1, 16)],
        ['ThreadLimit -1'               => $ip1->('ThreadLimit', -1), $tpc_tl->(25, 1), $over->(400, 1, 16)],
        ["ThreadLimit $tl1"             => $tl_over->($tl1)],
        ['ThreadLimit 2000000000'       => $tl_over->(2000000000)],
        ['ServerLimit 0'                => $ip1->('ServerLimit', 0), $over->(400, 25, 1)],
        ['ServerLimit -1'               => $ip1->('ServerLimit', -1), $over->(400, 25, 1)],
        ['ServerLimit 20001'            => $sl_max->(20001)],
        ['ServerLimit 2000000000'       => $sl_max->(2000000000)],
        ['GracefulShutdownTimeout 0'],
        ['GracefulShutdownTimeout -1'],
        ['GracefulShutdownTimeout 2000000000'],
        # combinations
        ["ThreadLimit 10\nThreadsPerChild 20\nMaxRequestWorkers 100" => $tpc_tl->(20, 10)],
        ["ThreadsPerChild 25\nMaxRequestWorkers 10" => $less->(10, 25)],
        ["ThreadsPerChild 25\nMaxRequestWorkers 110" => $mult->(110, 25)],
        ["ServerLimit 4\nThreadsPerChild 25\nMaxRequestWorkers 200" => $over->(200, 25, 4)],
        ["ServerLimit 4\nThreadsPerChild 25\nMaxRequestWorkers 230" => $mult->(230, 25), $over->(225, 25, 4)],
        ["ServerLimit 30000\nThreadsPerChild 1\nMaxRequestWorkers 25000" => $sl_max->(30000), $over->(25000, 1, 20000)],
        ["ThreadLimit 20\nThreadsPerChild 0\nMaxRequestWorkers 5" => $ip1->('ThreadsPerChild', 0)],
        ["ThreadsPerChild 8\nMaxRequestWorkers 8\nStartServers 0\nMinSpareThreads 0" =>
            $ip1->('StartServers', 0), $minspare->(0)],
    ];
}
$cases{worker} = threaded_cases(20000);
$cases{event} = threaded_cases(100000);

# a few cases also started for real: the server runs with the clamped values
# (query code => expected value; 12 MAX_DAEMONS, 6 MAX_THREADS, 4
# HARD_LIMIT_DAEMONS, 5 HARD_LIMIT_THREADS), or undef: the StartServers
# warning appears on the console of "apache2 -k start"
my %start_cases = (
    prefork => [
        ['ServerLimit 0', { 12 => 1 }],          # => MaxRequestWorkers 1
        ['StartServers 0', undef],
        ["ServerLimit 2\nMaxRequestWorkers 5", { 12 => 2 }],
    ],
    worker => [
        ["ServerLimit 0\nThreadsPerChild 4", { 4 => 1, 12 => 1, 6 => 4 }],
        ["StartServers 0\nThreadsPerChild 4\nMaxRequestWorkers 8", undef],
        ["ServerLimit 2\nThreadsPerChild 5\nMaxRequestWorkers 23", { 4 => 2, 12 => 2, 6 => 5 }],
        ["ThreadLimit 4\nThreadsPerChild 10\nMaxRequestWorkers 8", { 5 => 4, 6 => 4, 12 => 2 }],
        ["ThreadsPerChild 6\nMaxRequestWorkers 3\nServerLimit 2", { 6 => 6, 12 => 1 }],
    ],
);
$start_cases{event} = $start_cases{worker};

my @cases = @{ $cases{ kind() } };
my @start_cases = @{ $start_cases{ kind() } };

plan tests => 2 * @cases + 3 * @start_cases;

for my $case (@cases) {
    my ($conf, @warn) = @$case;
    (my $label = $conf) =~ s/\n/; /g;
    my ($dir) = $conf =~ /(\w+)\s+\S+\s*$/;    # last directive of the case
    my $srv = MpmCxx::Server->new(name => 'invalid', conf => $conf);
    my ($st, $out) = $srv->run_httpd('-t');
    my @warnings = $out =~ /^(.*WARNING.*)$/mg;
    my $stock_like = $st == 0 && $out =~ /Syntax OK/ && @warnings == @warn
        && !(grep { $out !~ $_ } @warn);
    my @dirs = $conf =~ /^(\w+)/mg;
    my $failed_naming = $st != 0 && (grep { $out =~ /\Q$_\E/i } @dirs);
    if (is_cxx()) {
        ok($stock_like || $failed_naming,
           "$label: " . ($failed_naming ? 'refused, naming the directive' : 'accepted with the stock warnings'))
            or diag("status $st, output:\n$out");
    }
    else {
        ok($stock_like, "$label: stock behaviour (" . (@warn ? scalar(@warn) . ' warning(s)' : 'silent') . ')')
            or diag("status $st, output:\n$out");
    }
    ok($st == 0 || $st == 256, "$label: apache2 -t exits normally (status 0 or 1, no crash)")
        or diag("wait status $st");
    $srv->cleanup;
}

for my $case (@start_cases) {
    my ($conf, $want) = @$case;
    (my $label = $conf) =~ s/\n/; /g;
    my $srv = MpmCxx::Server->new(name => 'invalid-start', conf => $conf);
    my $started = $srv->start(may_fail => 1);
    SKIP: {
        if (!$started && is_cxx()
            && ($srv->{start_output} // '') =~ /ServerLimit|StartServers|MaxRequestWorkers|Thread/) {
            skip "$label refused at start: $srv->{start_output}", 3;
        }
        ok($started, "$label: starts");
        my $r = $srv->get('/small.txt');
        is($r->{status}, 200, "$label: serves");
        if (defined $want) {
            my $q = $srv->probe_query || {};
            my %got = map { $_ => ($q->{$_} ? $q->{$_}[0] : undef) } keys %$want;
            is_deeply(\%got, $want, "$label: runs with the clamped values ("
                      . join(', ', map { "query $_ = $want->{$_}" } sort keys %$want) . ')');
        }
        else {
            like($srv->{start_output} // '', qr/StartServers of 0 not allowed, increasing to 1/,
                 "$label: warning shown on the console at start");
        }
    }
    $srv->stop;
    $srv->cleanup;
}
