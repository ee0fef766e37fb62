# Identity of the MPM: apache2 -V (Server MPM, threaded, forked), -M, -t,
# two MPMs refused, the module name used by <IfModule> and other modules
# ("prefork.c" for both stock and ours), ap_show_mpm() via the probe.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use MpmCxx::Env qw(mpm kind is_cxx expected_mpm_name mpm_module_symbol mpm_loadmodule);
use MpmCxx::Server;

MpmCxx::Server::time_limit(120);

my %threaded = (prefork => 'no', worker => 'yes (fixed thread count)',
                event => 'yes (fixed thread count)');
my %forked = (prefork => 'yes (variable process count)', worker => 'yes (variable process count)',
              event => 'yes (variable process count)');
my $kind = kind();
my $sym = mpm_module_symbol();

plan tests => 17;

my $srv = MpmCxx::Server->new(name => 'identity', conf => <<"EOF");
<IfModule $kind.c>
    Header always set X-IfModule-Name yes
</IfModule>
<IfModule $sym>
    Header always set X-IfModule-Symbol yes
</IfModule>
EOF

# -V
my ($st, $out) = $srv->run_httpd('-V');
is($st, 0, 'apache2 -V exits 0') or diag($out);
like($out, qr/^Server MPM:\s+\Q@{[expected_mpm_name()]}\E\s*$/m, 'Server MPM: ' . expected_mpm_name());
like($out, qr/^\s+threaded:\s+\Q$threaded{$kind}\E\s*$/m, "threaded: $threaded{$kind}");
like($out, qr/^\s+forked:\s+\Q$forked{$kind}\E\s*$/m, "forked: $forked{$kind}");

# -M
($st, $out) = $srv->run_httpd('-M');
is($st, 0, 'apache2 -M exits 0') or diag($out);
like($out, qr/^\s*\Q$sym\E \(shared\)\s*$/m, "-M lists $sym (shared)");
my @mpms = $out =~ /^\s*(mpm_\w+_module) \(/mg;
is_deeply([grep { $_ ne 'mpm_probe_module' } @mpms], [$sym], 'exactly one MPM listed');

# -t
($st, $out) = $srv->run_httpd('-t');
is($st, 0, 'apache2 -t exits 0');
like($out, qr/Syntax OK/, 'Syntax OK');

# two MPMs: ours/stock plus another stock one
{
    my $other = $kind eq 'event' ? 'prefork' : 'event';
    my $two = MpmCxx::Server->new(name => 'two-mpms',
        mpm_line => mpm_loadmodule() . "\n" . mpm_loadmodule($other));
    my ($st2, $out2) = $two->run_httpd('-t');
    isnt($st2, 0, "apache2 -t with $sym and mpm_${other}_module fails");
    like($out2, qr/More than one MPM loaded/, '"More than one MPM loaded."');
}

# running server: name seen by other modules and by <IfModule>
SKIP: {
    skip 'server did not start', 6 unless $srv->start;
    my $q = $srv->probe_query;
    is($q && $q->{name}, expected_mpm_name(), 'ap_show_mpm() is ' . expected_mpm_name());
    my $r = $srv->get('/probe/modules');
    my @names = split /\n/, $r->{body};
    ok((grep { $_ eq "$kind.c" } @names), "a loaded module is named $kind.c")
        or diag("module names: @names");
    my %other = map { $_ => 1 } grep { $_ ne $kind } qw(prefork worker event);
    ok(!(grep { /^(\w+)\.c$/ && $other{$1} } @names), 'no other MPM module name present');
    $r = $srv->get('/small.txt');
    is($r->{headers}{'x-ifmodule-name'}, 'yes', "<IfModule $kind.c> applies");
    is($r->{headers}{'x-ifmodule-symbol'}, 'yes', "<IfModule $sym> applies");
    my $s = $srv->status;
    is($s && $s->{ServerMPM}, expected_mpm_name(), 'mod_status ServerMPM');
    $srv->stop;
}
