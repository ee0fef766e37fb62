# A table of invalid and extreme directive values and combinations (more
# than 40 per MPM kind), beyond the plain clamps of invalid_values.t and the
# non-integers of non_integer.t: missing and extra arguments, signs, leading
# zeros and blanks, non-ASCII digits, fractions, 32-bit edges, wrong
# contexts, repeated directives, contradictory combinations, and the other
# directives an MPM reads (MaxConnectionsPerChild, ListenBacklog,
# ListenCoresBucketsRatio, MaxMemFree, ThreadStackSize, Mutex,
# ScoreBoardFile, Timeout, AsyncRequestWorkerFactor, ...).
#
# 1. "apache2 -t" on each case, for the MPM under test and, for ours, for the
#    stock MPM of the same kind (the comparison). Every case must end
#    normally (exit 0 or 1, no crash, no hang). Ours must either refuse it
#    with a message naming a directive of the case, or accept it with exactly
#    the warnings stock prints (log IDs aside). Stock must refuse naming the
#    directive or accept; where the input is garbage (not an integer, out of
#    the int range) and stock accepts it silently or wraps it, that check is
#    a TODO (stock uses atoi()).
# 2. Some cases are started for real: the server must come up and serve (or
#    refuse to start with a message), never crash or hang, and leave no
#    process behind when stopped.
# 3. Restarts: ServerLimit (and ThreadLimit) changed on a graceful restart
#    keep their old value with the stock warning; a graceful or plain restart
#    into a broken configuration makes the parent exit with the message and
#    leaves no process behind.
use strict;
use warnings;
# Part of the reliability suite (RELIABILITY.md): in `make test` with reduced figures, full-size with
# `make reliability`; MPMCXX_RELIABILITY=0 leaves it out.
BEGIN { if (($ENV{MPMCXX_RELIABILITY} // 1) eq '0') { require Test::More; Test::More::plan(skip_all => 'reliability suite left out (MPMCXX_RELIABILITY=0)'); } }

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
our $TODO;
use Time::HiRes qw(sleep time);
use MpmCxx::Env qw(kind is_cxx mpm mpm_loadmodule);
use MpmCxx::Server;
use MpmCxx::Load;
use MpmCxx::Fault qw(server_cpu figure);

MpmCxx::Server::time_limit(280);

# [configuration, kinds ('all', 'prefork', 'threaded', 'event', 'worker'), garbage?]
my @table = (
    # arity
    ["StartServers", 'all'],
    ["StartServers 1 2", 'all'],
    ["MaxRequestWorkers \"\"", 'all', 1],
    ["GracefulShutdownTimeout", 'all'],
    ["GracefulShutdownTimeout 1 2", 'all'],
    # spelling of numbers
    ["ServerLimit +8", 'all'],
    ["ServerLimit 08", 'all'],
    ["ServerLimit \" 8\"", 'all', 1],
    ["MaxRequestWorkers -0", 'all'],
    ["MaxRequestWorkers \x{d9}\x{a3}", 'all', 1],    # ARABIC-INDIC DIGIT THREE (UTF-8 bytes)
    ["StartServers 5.5", 'all', 1],
    ["StartServers -2147483648", 'all'],
    ["MaxRequestWorkers 2147483647", 'all'],
    ["ServerLimit 2147483648", 'all', 1],
    ["ServerLimit -2147483649", 'all', 1],
    # contexts, repetition
    ["<VirtualHost 127.0.0.1:*>\nStartServers 5\n</VirtualHost>", 'all'],
    ["<Directory />\nMaxRequestWorkers 5\n</Directory>", 'all'],
    ["<IfModule nosuch.c>\nStartServers abc\n</IfModule>", 'all'],
    ["StartServers 3\nStartServers 0", 'all'],
    ["MaxClients 10\nMaxRequestWorkers 20", 'all'],
    # other directives the MPM reads
    ["MaxConnectionsPerChild -1", 'all'],
    ["MaxConnectionsPerChild abc", 'all'],
    ["MaxConnectionsPerChild 99999999999", 'all'],
    ["ListenBacklog 0", 'all'],
    ["ListenBacklog abc", 'all'],
    ["ListenBacklog 2147483647", 'all'],
    ["ListenCoresBucketsRatio -1", 'all'],
    ["ListenCoresBucketsRatio 100000", 'all'],
    ["MaxMemFree -1", 'all'],
    ["MaxMemFree 99999999999", 'all'],
    ["ThreadStackSize -5", 'all'],
    ["ThreadStackSize 1", 'all'],
    ["ThreadStackSize 99999999999", 'all'],
    ["Mutex mpm-accept bogus", 'all'],
    ["Mutex mpm-accept sem", 'all'],
    ["ScoreBoardFile /nonexistent/dir/scoreboard", 'all'],
    ["CoreDumpDirectory /nonexistent", 'all'],
    ["Timeout 0", 'all'],
    ["KeepAliveTimeout -1", 'all'],
    ["SendBufferSize 1", 'all'],
    ["ReceiveBufferSize abc", 'all'],
    ["AsyncRequestWorkerFactor 2", 'all'],    # unknown outside event
    # prefork
    ["MaxSpareServers 1\nMinSpareServers 10", 'prefork'],
    ["StartServers 500\nServerLimit 10\nMaxRequestWorkers 10", 'prefork'],
    ["ServerLimit 0\nMaxRequestWorkers 0\nStartServers 0\nMinSpareServers 0\nMaxSpareServers 0", 'prefork'],
    ["ThreadsPerChild 25", 'prefork'],
    ["ServerLimit 3\nMaxRequestWorkers 2\nListenCoresBucketsRatio 1", 'prefork'],
    # worker and event
    ["ThreadLimit 0\nThreadsPerChild 0\nMaxRequestWorkers 0\nServerLimit 0", 'threaded'],
    ["ThreadsPerChild 3\nMaxRequestWorkers 7", 'threaded'],
    ["ThreadsPerChild 64\nThreadLimit 32\nMaxRequestWorkers 64", 'threaded'],
    ["MinSpareThreads 1000\nMaxRequestWorkers 20\nThreadsPerChild 5", 'threaded'],
    ["MaxSpareThreads 1\nMinSpareThreads 100", 'threaded'],
    ["ThreadLimit 2147483647", 'threaded'],
    ["ThreadsPerChild 2147483647\nThreadLimit 20000", 'threaded'],
    ["ThreadsPerChild 5.5", 'threaded', 1],
    ["MinSpareServers 5", 'threaded'],
    ["ServerLimit 1\nThreadsPerChild 4\nMaxRequestWorkers 4\nListenCoresBucketsRatio 1", 'threaded'],
    # event
    ["AsyncRequestWorkerFactor 0", 'event'],
    ["AsyncRequestWorkerFactor -1", 'event'],
    ["AsyncRequestWorkerFactor abc", 'event', 1],
    ["AsyncRequestWorkerFactor 0.01", 'event'],
    ["AsyncRequestWorkerFactor nan", 'event', 1],
    ["AsyncRequestWorkerFactor inf", 'event', 1],
);

sub applies {
    my ($k) = @_;
    return 1 if $k eq 'all';
    return kind() eq 'prefork' if $k eq 'prefork';
    return kind() ne 'prefork' if $k eq 'threaded';
    return kind() eq $k;
}
my @cases = grep { applies($_->[1]) } @table;

# real starts: [configuration, what to check]
my %minimal = (
    prefork => "ServerLimit 1\nMaxRequestWorkers 1\nStartServers 1\nMinSpareServers 1\nMaxSpareServers 1",
    worker  => "ServerLimit 1\nThreadLimit 1\nThreadsPerChild 1\nMaxRequestWorkers 1\nStartServers 1\n"
             . "MinSpareThreads 1\nMaxSpareThreads 1",
);
$minimal{event} = $minimal{worker};
my %small = (
    prefork => "StartServers 2\nMinSpareServers 1\nMaxSpareServers 4\nServerLimit 4\nMaxRequestWorkers 4\n",
    worker  => "StartServers 2\nThreadsPerChild 4\nMinSpareThreads 4\nMaxSpareThreads 16\n"
             . "MaxRequestWorkers 16\nServerLimit 4\n",
);
$small{event} = $small{worker};
my @starts = (
    [$minimal{ kind() }, 'minimal'],
    ["MaxConnectionsPerChild 1\n" . $small{ kind() }, 'serve'],
    ["MaxConnectionsPerChild -1\n" . $small{ kind() }, 'serve'],
    ["MaxConnectionsPerChild abc\n" . $small{ kind() }, 'serve'],
    ["Timeout 0\nKeepAliveTimeout 0\n" . $small{ kind() }, 'idle'],
    ["MaxMemFree 99999999999\n" . $small{ kind() }, 'serve'],
    ["ScoreBoardFile /nonexistent/dir/scoreboard\n" . $small{ kind() }, 'serve'],
    ["ListenCoresBucketsRatio 100000\n" . $small{ kind() }, 'serve'],
    [kind() eq 'prefork' ? "StartServers 2000000000\nServerLimit 4\nMaxRequestWorkers 4"
                         : "StartServers 2000000000\nThreadsPerChild 4\nServerLimit 4\nMaxRequestWorkers 8",
     'serve'],
    [kind() eq 'prefork' ? "MaxSpareServers 1\nMinSpareServers 10\nServerLimit 12\nMaxRequestWorkers 12"
                         : "MaxSpareThreads 1\nMinSpareThreads 100\nThreadsPerChild 4\nServerLimit 8\nMaxRequestWorkers 16",
     'idle'],
);
if (kind() ne 'prefork') {
    push @starts, ["ThreadStackSize 1\n" . $small{ kind() }, 'serve'],
                  ["ThreadStackSize 65536\n" . $small{ kind() }, 'serve'],
                  ["ThreadStackSize 99999999999\n" . $small{ kind() }, 'serve'];
}
push @starts, ["AsyncRequestWorkerFactor 0.01\n" . $small{ kind() }, 'serve'] if kind() eq 'event';

plan tests => 2 * @cases + 3 * @starts + 9 + (kind() eq 'prefork' ? 0 : 2);
note(scalar(@cases) . ' bad configurations for apache2 -t, ' . scalar(@starts) . ' started for real');

my $id = qr/(?:AH|CXX)\d{5}: /;
sub norm_lines {
    my ($out) = @_;
    my @l;
    for (split /\n/, $out) {
        next if /^Syntax OK/ || !/\S/;
        s/$id//g;
        s/_cxx\b//g;
        push @l, $_;
    }
    return join "\n", sort @l;
}
sub label { (my $l = $_[0]) =~ s/\n/; /g; $l =~ s/[^\x20-\x7e]/?/g; return $l }

my ($refused, $clamped, $silent, $stock_refused, $stock_accepted) = (0, 0, 0, 0, 0);
my @summary;
for my $case (@cases) {
    my ($conf, undef, $garbage) = @$case;
    my $label = label($conf);
    my @dirs = grep { !/^</ } $conf =~ /^\s*<?(\w+)/mg;
    my $srv = MpmCxx::Server->new(name => 'bad', conf => $conf);
    my ($st, $out) = $srv->run_httpd({ timeout => 20 }, '-t');
    my $names = $st != 0 && (grep { $out =~ /\b\Q$_\E\b/ } @dirs);
    ok($st == 0 || $st == 256, "$label: apache2 -t ends normally (exit " . ($st < 0 ? 'hang' : $st >> 8)
       . ($st & 127 ? ", signal " . ($st & 127) : '') . ')') or diag($out);
    my ($sst, $sout) = ($st, $out);
    if (is_cxx()) {
        my $stock = MpmCxx::Server->new(name => 'bad-stock', conf => $conf, mpm_line => mpm_loadmodule(kind()));
        ($sst, $sout) = $stock->run_httpd({ timeout => 20 }, '-t');
        $stock->cleanup;
        my $same = $st == 0 && $sst == 0 && norm_lines($out) eq norm_lines($sout);
        ok($names || $same, "$label: " . ($names ? 'refused, naming the directive'
                                                : 'accepted with the stock warnings'))
            or diag("ours: status $st\n$out\nstock: status $sst\n$sout");
    }
    else {
        TODO: {
            local $TODO = ($garbage && !$names)
                ? 'stock uses atoi() (or strtod): garbage accepted, wrapped, or refused without naming the directive'
                : undef;
            ok($names || ($st == 0 && !$garbage), "$label: " . ($names ? 'refused, naming the directive'
                                                        : $st != 0 ? 'refused without naming the directive'
                                                        : 'accepted'))
                or diag("status $st\n$out");
        }
    }
    my $w = () = $out =~ /WARNING/g;
    if ($st != 0) { $refused++ } elsif ($w) { $clamped++ } else { $silent++ }
    if ($sst != 0) { $stock_refused++ } else { $stock_accepted++ }
    push @summary, sprintf('%s => ours %s, stock %s', $label,
                           $st != 0 ? 'refused' : $w ? "clamped ($w warning" . ($w > 1 ? 's' : '') . ')' : 'accepted',
                           $sst != 0 ? 'refused' : ($sout =~ /WARNING/ ? 'clamped' : 'accepted')) if is_cxx();
    $srv->cleanup;
}
note($_) for @summary;

# ---- real starts
my $started_n = 0;
for my $s (@starts) {
    my ($conf, $what) = @$s;
    my $label = label($conf);
    my $srv = MpmCxx::Server->new(name => 'bad-start', conf => "$conf\n");
    my $mark = 0;
    my $up = $srv->start(may_fail => 1, timeout => 15);
    if (!$up) {
        # refused at start (apache2 -k start failed), or came up without
        # ever serving: then it must give up by itself, saying why
        my $refused_at_start = ($srv->{start_status} // 0) != 0;
        my $gone = $refused_at_start || MpmCxx::Server::wait_until(25, sub { !$srv->processes }, 0.2);
        my $msg = ($srv->{start_output} // '') . $srv->error_log;
        my @dirs = $conf =~ /^(\w+)/mg;
        my $said = grep { $msg =~ /\Q$_\E/i } @dirs, 'scoreboard', 'unable to create', 'httpd is exiting';
        TODO: {
            local $TODO = ($conf =~ /^MaxConnectionsPerChild -1/m && !is_cxx() && kind() ne 'prefork')
                ? 'stock worker/event take a negative MaxConnectionsPerChild as already reached: children stop '
                  . 'at once, accepted connections hang, nothing is ever served'
                : undef;
            ok($gone && $said, "$label: " . ($refused_at_start ? 'refused to start' : 'did not serve, and gave up')
               . ' with a message') or diag("still running: " . join(' ', $srv->pids) . "\n"
                                          . MpmCxx::Server::tail($msg, 8));
        }
        ok(1, "$label: (not serving)");
    }
    else {
        $started_n++;
        my $res = MpmCxx::Load->run(port => $srv->port, clients => ($what eq 'minimal' ? 3 : 4),
                                    keepalive => ($what eq 'minimal' ? 0 : 1), duration => 1.5, think_ms => 5,
                                    request_timeout => 10,
                                    paths => ['/small.txt', '/probe/pid', '/big.txt']);
        my $ok = $res->{ok} >= 3 && $res->{failed} == 0;
        ok($ok, "$label: serves ($res->{ok} ok, $res->{failed} failed)")
            or diag(MpmCxx::Load::summary($res) . "\n" . join("\n", @{ $res->{first_errors} || [] }));
        if ($what eq 'idle') {
            # nothing spins with these values: CPU of the idle server over 2 s
            my $c0 = server_cpu($srv);
            my %seen = map { $_ => 1 } $srv->children;
            my $t0 = time;
            while (time - $t0 < 2) { $seen{$_} = 1 for $srv->children; sleep 0.1 }
            my $cpu = server_cpu($srv) - $c0;
            ok($cpu < 0.4 && keys(%seen) <= 30,
               sprintf("$label: idle server quiet (CPU %.2fs in 2s, %d children seen)", $cpu, scalar keys %seen));
        }
        else {
            my $bad = grep { /exit signal|CXX90001|AH00052/ } split /\n/, $srv->error_log;
            is($bad, 0, "$label: no child crashed");
        }
    }
    $srv->stop(15);
    ok(!$srv->processes, "$label: no process left");
    $srv->cleanup;
}

# ---- restarts
{
    my $tl = kind() eq 'prefork' ? '' : "ThreadLimit 10\n";
    my $base = kind() eq 'prefork' ? "StartServers 2\nMaxSpareServers 4\n"
                                   : "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\n";
    my $mrw1 = kind() eq 'prefork' ? 4 : 20;
    my $mrw2 = kind() eq 'prefork' ? 8 : 40;
    my $srv = MpmCxx::Server->new(name => 'bad-restart', conf => "${base}${tl}ServerLimit 4\nMaxRequestWorkers $mrw1\n");
    ok($srv->start, 'restart cases: server started') or BAIL_OUT('cannot start');
    my $parent = $srv->parent_pid;
    my $mark = $srv->log_mark;
    my $tl2 = kind() eq 'prefork' ? '' : "ThreadLimit 20\n";
    $srv->write_conf("${base}${tl2}ServerLimit 8\nMaxRequestWorkers $mrw2\n");
    $srv->signal('USR1');
    ok($srv->wait_log(qr/changing ServerLimit to 8 from original value of 4 not allowed during restart/, 10, $mark),
       'ServerLimit raised on a graceful restart: the stock warning') or diag($srv->error_log($mark));
    if (kind() ne 'prefork') {
        ok($srv->wait_log(qr/changing ThreadLimit to 20 from original value of 10 not allowed during restart/, 5, $mark),
           'ThreadLimit raised on a graceful restart: the stock warning');
    }
    MpmCxx::Server::wait_until(10, sub { my $st = $srv->status; $st && $st->{ParentServerMPMGeneration} >= 1 }, 0.2);
    my $q = $srv->probe_query || {};
    is($q->{4} && $q->{4}[0], 4, 'HARD_LIMIT_DAEMONS (ServerLimit) keeps its first value, 4');
    if (kind() ne 'prefork') {
        is($q->{5} && $q->{5}[0], 10, 'HARD_LIMIT_THREADS (ThreadLimit) keeps its first value, 10');
    }
    is($srv->parent_pid, $parent, 'same parent after the graceful restart');
    my $r = $srv->get('/small.txt');
    is($r->{status}, 200, 'serving after the graceful restart');
    $srv->stop;
    $srv->cleanup;

    for my $sig ('USR1', 'HUP') {
        my $s2 = MpmCxx::Server->new(name => 'bad-restart-broken', conf => $base);
        $s2->start or BAIL_OUT('cannot start');
        my $m = $s2->log_mark;
        $s2->write_conf($base . "StartServers\n");
        $s2->signal($sig);
        my $gone = MpmCxx::Server::wait_until(15, sub { !$s2->processes }, 0.1);
        ok($gone, "SIG$sig into a broken configuration: the server exits and leaves no process")
            or diag('left: ' . join(' ', $s2->pids));
        like($s2->error_log($m), qr/StartServers takes one argument/, "SIG$sig: the error names the directive");
        $s2->kill_all;
        $s2->cleanup;
    }
}
figure('bad_config', mpm => mpm(), cases => scalar @cases, refused => $refused, clamped => $clamped,
       accepted => $silent, stock_refused => $stock_refused, stock_accepted => $stock_accepted,
       started => scalar @starts, started_ok => $started_n);
