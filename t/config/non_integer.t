# Intended difference of ours: directive values that are not integers
# ("abc", "10abc", "0x10", "1e3", out of int range) make "apache2 -t" fail
# with a message naming the directive and the value. The stock MPMs use
# atoi() and silently accept them: for stock kinds the same checks run as a
# TODO block (a stock bug that reproduces).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use MpmCxx::Env qw(kind is_cxx mpm);
use MpmCxx::Server;

MpmCxx::Server::time_limit(150);

my %directives = (
    prefork => [qw(StartServers MinSpareServers MaxSpareServers MaxRequestWorkers MaxClients
                   ServerLimit GracefulShutdownTimeout)],
    worker  => [qw(StartServers MinSpareThreads MaxSpareThreads MaxRequestWorkers MaxClients
                   ServerLimit ThreadLimit ThreadsPerChild GracefulShutdownTimeout)],
);
$directives{event} = $directives{worker};

my @values = ('abc', '10abc', '0x10', '1e3', '99999999999', '-99999999999');
my @dirs = @{ $directives{ kind() } };

plan tests => 2 * @dirs * @values + @dirs;

for my $dir (@dirs) {
    for my $v (@values) {
        my $conf = "$dir $v";
        my $srv = MpmCxx::Server->new(name => 'nonint', conf => $conf);
        my ($st, $out) = $srv->run_httpd('-t');
        my $shown = $v;
        TODO: {
            local $TODO = is_cxx() ? undef
                : 'stock MPMs use atoi() and accept non-integer values silently';
            isnt($st, 0, "$conf: apache2 -t fails");
            like($out, qr/\Q$dir\E.*\Q$shown\E|\Q$shown\E.*\Q$dir\E/si,
                 "$conf: message names the directive and the value")
                or diag("status $st, output: $out");
        }
        $srv->cleanup;
    }
    # a plain valid value is accepted
    my $srv = MpmCxx::Server->new(name => 'nonint-ok', conf => "$dir 8");
    my ($st, $out) = $srv->run_httpd('-t');
    is($st, 0, "$dir 8: accepted") or diag($out);
    $srv->cleanup;
}
