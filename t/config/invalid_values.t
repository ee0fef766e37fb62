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

MpmCxx::Server::time_limit(150);

plan skip_all => 'value tables exist for prefork only so far (worker/event: directives and '
    . 'clamps differ, see mpm-contract.md 3.1)' unless kind() eq 'prefork';

my $id = qr/(?:(?:AH|CXX)\d{5}: )?/;
sub w { my $t = shift; return qr/^$id\Q$t\E\s*$/m }

# directive text => list of expected stock warnings (empty: silently accepted)
my @cases = (
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
);

# a few cases also started for real: the server runs with the clamped value
my @start_cases = (
    ['ServerLimit 0', 1],          # => MaxRequestWorkers 1
    ['StartServers 0', undef],
    ["ServerLimit 2\nMaxRequestWorkers 5", 2],
);

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
    my ($conf, $mrw) = @$case;
    (my $label = $conf) =~ s/\n/; /g;
    my $srv = MpmCxx::Server->new(name => 'invalid-start', conf => $conf);
    my $started = $srv->start(may_fail => 1);
    SKIP: {
        if (!$started && is_cxx() && ($srv->{start_output} // '') =~ /ServerLimit|StartServers|MaxRequestWorkers/) {
            skip "$label refused at start: $srv->{start_output}", 3;
        }
        ok($started, "$label: starts");
        my $r = $srv->get('/small.txt');
        is($r->{status}, 200, "$label: serves");
        if (defined $mrw) {
            my $q = $srv->probe_query || {};
            is($q->{12} && $q->{12}[0], $mrw, "$label: MaxRequestWorkers is $mrw");
        }
        else {
            like($srv->{start_output} // '', qr/StartServers of 0 not allowed, increasing to 1/,
                 "$label: warning shown on the console at start");
        }
    }
    $srv->stop;
    $srv->cleanup;
}
