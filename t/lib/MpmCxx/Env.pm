package MpmCxx::Env;

# Where things are, and which MPM is under test.
#
# The MPM under test comes from the environment variable MPM (set by
# t/run-integration): prefork, worker, event (Debian's stock modules) or
# prefork_cxx, worker_cxx, event_cxx (ours, from $MPMCXX_MODULES, default
# <repo>/build/modules). Without MPM, the LoadModule line of the Apache::Test
# generated t/conf/httpd.conf is used, and failing that, stock prefork.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Spec;
use File::Path qw(make_path);

use Exporter 'import';
our @EXPORT_OK = qw(
    t_dir repo_dir mpm kind is_cxx mpm_module_path mpm_module_symbol
    mpm_loadmodule httpd_bin apxs_bin module_dir module_path probe_so
    expected_mpm_name cgi_module kind_value tmp_dir ncpus
);

my %KINDS = map { $_ => 1 } qw(prefork worker event);

sub t_dir {
    # this file is t/lib/MpmCxx/Env.pm
    my $d = dirname(abs_path(__FILE__));
    return abs_path("$d/../..");
}

sub repo_dir {
    return $ENV{MPMCXX_REPO} if $ENV{MPMCXX_REPO};
    return abs_path(t_dir() . "/..");
}

sub tmp_dir {
    my $d = $ENV{MPMCXX_TMP} || (t_dir() . "/tmp");
    make_path($d) unless -d $d;
    return $d;
}

my $mpm_cache;

sub _mpm_from_apache_test_conf {
    my $conf = t_dir() . "/conf/httpd.conf";
    open my $fh, '<', $conf or return;
    while (<$fh>) {
        if (/^\s*LoadModule\s+mpm_(\w+?)_module\s/) {
            return $1;
        }
    }
    return;
}

sub mpm {
    return $mpm_cache if defined $mpm_cache;
    my $m = $ENV{MPM} || _mpm_from_apache_test_conf() || 'prefork';
    die "MpmCxx::Env: unknown MPM '$m'\n"
        unless $m =~ /^(prefork|worker|event)(_cxx)?$/;
    return $mpm_cache = $m;
}

# prefork / worker / event
sub kind {
    my ($k) = mpm() =~ /^(prefork|worker|event)/;
    return $k;
}

sub is_cxx { return mpm() =~ /_cxx$/ ? 1 : 0 }

sub module_dir {
    return $ENV{MPMCXX_HTTPD_MODULES} || '/usr/lib/apache2/modules';
}

sub module_path {
    my ($name) = @_;    # e.g. "status" -> mod_status.so
    return module_dir() . "/mod_$name.so";
}

sub cxx_module_dir {
    return $ENV{MPMCXX_MODULES} || (repo_dir() . "/build/modules");
}

sub mpm_module_path {
    my $m = shift || mpm();
    if ($m =~ /_cxx$/) {
        return cxx_module_dir() . "/mod_mpm_$m.so";
    }
    return module_dir() . "/mod_mpm_$m.so";
}

sub mpm_module_symbol {
    my $m = shift || mpm();
    return "mpm_${m}_module";
}

sub mpm_loadmodule {
    my $m = shift || mpm();
    return sprintf 'LoadModule %s "%s"', mpm_module_symbol($m), mpm_module_path($m);
}

# The name `apache2 -V` ("Server MPM:") and mod_status (ServerMPM) must show.
sub expected_mpm_name { return mpm() }

sub cgi_module { return kind() eq 'prefork' ? 'cgi' : 'cgid' }

sub httpd_bin {
    return $ENV{MPMCXX_HTTPD} if $ENV{MPMCXX_HTTPD};
    if ($INC{'Apache/Test.pm'}) {
        my $cfg = eval { Apache::Test::config() };
        my $h = $cfg && $cfg->{vars} && $cfg->{vars}{httpd};
        return $h if $h && -x $h;
    }
    return '/usr/sbin/apache2';
}

sub apxs_bin {
    return $ENV{MPMCXX_APXS} if $ENV{MPMCXX_APXS};
    if ($INC{'Apache/Test.pm'}) {
        my $cfg = eval { Apache::Test::config() };
        my $a = $cfg && $cfg->{vars} && $cfg->{vars}{apxs};
        return $a if $a && -x $a;
    }
    return '/usr/bin/apxs';
}

# The probe module: the one Apache::Test built under t/c-modules, or one we
# build ourselves with apxs into t/tmp (for tests run without t/TEST).
sub probe_so {
    my $built = t_dir() . "/c-modules/mpm_probe/.libs/mod_mpm_probe.so";
    my $src = t_dir() . "/c-modules/mpm_probe/mod_mpm_probe.c";
    return $built if -f $built && (stat $built)[9] >= (stat $src)[9];
    my $dir = tmp_dir() . "/probe-build";
    my $so = "$dir/.libs/mod_mpm_probe.so";
    return $so if -f $so && (stat $so)[9] >= (stat $src)[9];
    make_path($dir);
    system("cp", $src, "$dir/mod_mpm_probe.c") == 0 or die "cp probe source failed\n";
    my $apxs = apxs_bin();
    my $out = `cd '$dir' && '$apxs' -c mod_mpm_probe.c 2>&1`;
    die "building mod_mpm_probe failed:\n$out" unless -f $so;
    return $so;
}

# Pick the entry for the kind under test from a table keyed by kind.
sub kind_value {
    my ($table) = @_;
    return $table->{ kind() };
}

sub ncpus {
    my $n = 0;
    if (open my $fh, '<', '/proc/cpuinfo') {
        while (<$fh>) { $n++ if /^processor\s*:/ }
    }
    my $o = `nproc 2>/dev/null`;
    $n = $1 if $o =~ /^(\d+)/;
    return $n || 1;
}

1;
