# Piped logs (CustomLog "||program"): httpd's parent starts the logger and
# registers it as an "other child". The MPM's part is to pass on the death of
# a process that is not one of its children (apr_proc_other_child_alert), so
# that httpd starts the logger again (AH00106), and to tell the other
# children of restarts and stops. Lines written while no logger runs wait in
# the pipe, which the parent keeps; none is lost.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(sleep);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;

MpmCxx::Server::time_limit(120);
plan tests => 12;

my %conf = (
    prefork => "StartServers 2\nMinSpareServers 1\nMaxSpareServers 4\nMaxRequestWorkers 10\n",
    worker  => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 4\n",
);
$conf{event} = $conf{worker};

my $srv = MpmCxx::Server->new(name => 'pipedlogs', conf => '');
my $root = $srv->root;
# a logger whose command line names it (a shell script would exec cat, or leave cat behind when killed)
my $logger = "$root/logger.pl";
my $out = "$root/logs/piped_access";
open my $fh, '>', $logger or die "$logger: $!";
print $fh "#!$^X\nopen my \$o, '>>', \$ARGV[0] or die \"\$ARGV[0]: \$!\";\n\$o->autoflush(1);\n"
    . "print \$o \$_ while <STDIN>;\n";
close $fh;
chmod 0755, $logger;
$srv->write_conf($conf{ kind() } . qq{CustomLog "||$logger $out" "%r"\n});

# logger processes: pid => ppid
sub loggers {
    my %l;
    opendir my $dh, '/proc' or return \%l;
    for my $pid (grep { /^\d+$/ } readdir $dh) {
        open my $c, '<', "/proc/$pid/cmdline" or next;
        my $cmd = do { local $/; <$c> } // '';
        next unless index($cmd, $logger) >= 0;
        open my $s, '<', "/proc/$pid/stat" or next;
        my ($state, $ppid) = (do { local $/; <$s> } // '') =~ /^\d+ \(.*\) (\S) (\d+)/s or next;
        $l{$pid} = $ppid + 0 unless $state eq 'Z';
    }
    return \%l;
}
sub logged {
    my ($tag) = @_;
    open my $f, '<', $out or return 0;
    return scalar grep { /[?&]tag=\Q$tag\E\b/ } <$f>;
}
sub requests {
    my ($tag, $n) = @_;
    my $ok = 0;
    for my $i (1 .. $n) {
        my $r = $srv->get("/probe/pid?tag=$tag&i=$i");
        $ok++ if ($r->{status} // 0) == 200;
    }
    return $ok;
}

ok($srv->start, 'server started with a piped CustomLog') or BAIL_OUT('cannot start');
my $parent = $srv->parent_pid;
my $l = loggers();
my @first = keys %$l;
ok(@first == 1 && $l->{ $first[0] } == $parent, 'one logger runs, a child of the parent')
    or diag(explain $l);

requests('a', 10);
ok(MpmCxx::Server::wait_until(5, sub { logged('a') == 10 }), 'requests reach the piped log');

# the logger dies: the parent starts another; what was written meanwhile is not lost
my $mark = $srv->log_mark;
kill 'KILL', $first[0] if @first;
MpmCxx::Server::wait_until(5, sub { !kill 0, $first[0] }, 0.02) if @first;
# served at once, while the parent may not have noticed yet: the lines wait in the pipe
my $served_b = requests('b', 10);
my $second = MpmCxx::Server::wait_until(10, sub {
    my $now = loggers();
    my ($p) = grep { $_ != ($first[0] // 0) } keys %$now;
    return $p && $now->{$p} == $parent ? $p : 0;
}, 0.1);
ok($second, 'a killed logger is started again by the parent') or diag(explain loggers());
like($srv->error_log($mark), qr/AH00106/, 'its death is logged (AH00106)');
is($served_b, 10, 'requests served right after the logger was killed');
ok(MpmCxx::Server::wait_until(5, sub { logged('b') == 10 }), '... and every one logged by the new logger')
    or diag('logged: ' . logged('b'));

# a graceful restart: a logger still runs and gets every line
my @old_kids = $srv->children;
$srv->signal('USR1');
my %old = map { $_ => 1 } @old_kids;
ok(MpmCxx::Server::wait_until(20, sub { my @k = $srv->children; @k && !grep { $old{$_} } @k }, 0.2),
   'graceful restart: a new generation of children');
is(requests('c', 10), 10, 'requests served after the graceful restart');
ok(MpmCxx::Server::wait_until(5, sub { logged('c') == 10 }), '... and logged')
    or diag('logged: ' . logged('c'));
$l = loggers();
is(scalar(grep { $l->{$_} == $parent } keys %$l), 1, 'one logger runs after the graceful restart')
    or diag(explain $l);

# a stop ends the logger too
$srv->stop;
ok(MpmCxx::Server::wait_until(10, sub { !%{ loggers() } }, 0.1), 'no logger left after the stop')
    or diag(explain loggers());
