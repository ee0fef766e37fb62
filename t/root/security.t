# Run as root (t/run-integration runs t/root/*.t as root). What a child can
# reach. (That children and CGI scripts run as User/Group is
# t/root/privileges.t; this file looks further.)
#
# 1. Children (User/Group mpmtest) hold no privilege beyond that user's: no
#    capability left (CapEff/CapPrm 0), supplementary groups exactly the
#    user's own (initgroups), not root's.
# 2. Descriptors (two Listen ports, ListenCoresBucketsRatio 1: one bucket per
#    core): a child holds exactly one listening socket per port (its
#    bucket's; a child of ours holds every bucket's, so that it can take
#    connections queued on a bucket whose children are all busy: README,
#    intended difference 25), at most one pipe shared with the parent, read-only (its
#    bucket's pipe of death), and no write end of a pipe of the parent (the
#    pipe of death: a child holding it could tell every child to stop).
#    Stock children keep the write end of their pipe of death: TODO on
#    stock. The same after a graceful restart.
# 3. Files: the anonymous scoreboard is not reachable through the file
#    system; with "ScoreBoardFile" the file and any SysV segment of the
#    server are not writable by other users, even when the server starts
#    under umask 000. The same for the pid file, and for every file the
#    server holds open that it created (under its ServerRoot).
# 4. A request cannot make a child act on other processes of the server: a
#    CGI script (code run by a request) inherits no descriptor beyond
#    stdin/stdout/stderr (no listener, no pipe of death) and cannot signal
#    the parent.
use strict;
use warnings;
# Part of the reliability suite (RELIABILITY.md): in `make test` with reduced figures, full-size with
# `make reliability`; MPMCXX_RELIABILITY=0 leaves it out.
BEGIN { if (($ENV{MPMCXX_RELIABILITY} // 1) eq '0') { require Test::More; Test::More::plan(skip_all => 'reliability suite left out (MPMCXX_RELIABILITY=0)'); } }

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use File::Path qw(make_path);
use Time::HiRes qw(sleep time);
use MpmCxx::Env qw(kind is_cxx mpm ncpus tmp_dir);
use MpmCxx::Server;
use MpmCxx::Fault qw(fd_list listen_inodes start_prefixed figure);

MpmCxx::Server::time_limit(120);

plan skip_all => 'needs root' unless $> == 0;
my $user = $ENV{MPMCXX_TEST_USER} || 'mpmtest';
my @pw = getpwnam($user);
plan skip_all => "user $user does not exist" unless @pw;
my ($uid, $gid) = @pw[2, 3];
my $ncpu = ncpus();
my $buckets = $ncpu >= 2 ? $ncpu : 1;
# listening sockets per child and port, and how many different sets the children hold
my $relief = is_cxx() && $buckets > 1;
my $per_port = $relief ? $buckets : 1;

my %conf = (
    prefork => "StartServers 4\nMinSpareServers 2\nMaxSpareServers 8\nMaxRequestWorkers 16\n",
    worker  => "StartServers 2\nThreadsPerChild 4\nMinSpareThreads 4\nMaxSpareThreads 40\n"
             . "MaxRequestWorkers 32\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

plan tests => 26;

# start with no descriptor inherited from this test process (fds >= 3 closed)
my @clean = ('perl', '-MPOSIX', '-e', 'POSIX::close($_) for 3 .. 1023; exec {$ARGV[0]} @ARGV or die "exec: $!"', '--');

my $todo_pod = is_cxx() ? undef : 'stock children keep the write end of their pipe of death';

# ---- 1 and 2: privileges and descriptors
my $srv = MpmCxx::Server->new(name => 'security', user => $user, group => $user, ports => 2,
                              conf => $conf{ kind() } . "ListenCoresBucketsRatio 1\n");
chmod 0755, $srv->root;
ok(start_prefixed($srv, \@clean), 'server started (User/Group ' . $user . ', 2 ports, ListenCoresBucketsRatio 1)')
    or BAIL_OUT('cannot start');
my $parent = $srv->parent_pid;
MpmCxx::Server::wait_until(10, sub { $srv->children >= 2 }, 0.1);
sleep 0.5;

my @groups = sort { $a <=> $b } split ' ', `id -G $user`;
my ($caps_ok, $groups_ok, @bad_caps, @bad_groups) = (0, 0);
my @kids = $srv->children;
for my $k (@kids) {
    my $st = do { local $/; open my $fh, '<', "/proc/$k/status" or next; <$fh> };
    my ($eff) = $st =~ /^CapEff:\s+([0-9a-f]+)/m;
    my ($prm) = $st =~ /^CapPrm:\s+([0-9a-f]+)/m;
    my ($g) = $st =~ /^Groups:\s*(.*)$/m;
    my @g = sort { $a <=> $b } split ' ', ($g // '');
    if (hex($eff // 1) == 0 && hex($prm // 1) == 0) { $caps_ok++ } else { push @bad_caps, "$k: CapEff $eff CapPrm $prm" }
    if ("@g" eq "@groups") { $groups_ok++ } else { push @bad_groups, "$k: groups @g" }
}
is($caps_ok, scalar @kids, 'no child keeps a capability (CapEff and CapPrm 0)') or diag(join "\n", @bad_caps);
is($groups_ok, scalar @kids, "children's supplementary groups are exactly $user\'s (@groups)")
    or diag(join "\n", @bad_groups);

# descriptors
sub pipe_inodes {
    my ($pid, $mode) = @_;
    return map { $_->{target} =~ /^pipe:\[(\d+)\]/ ? ($1) : () }
           grep { !$mode || $_->{mode} =~ /$mode/ } fd_list($pid);
}
sub check_children {
    my ($what, $restarted) = @_;
    my %listen = map { $_ => 1 } map { listen_inodes($_) } $srv->ports;
    my %parent_pipes = map { $_ => 1 } pipe_inodes($parent);
    my @kids = $srv->children;
    my (@extra_listeners, @pod_writers, @extra_pipes, %sets);
    for my $k (@kids) {
        my @fds = fd_list($k);
        my @l = sort map { $_->{target} =~ /^socket:\[(\d+)\]/ && $listen{$1} ? ($1) : () } @fds;
        push @extra_listeners, "$k holds " . scalar(@l) . ' listening sockets' if @l != 2 * $per_port;
        $sets{"@l"}++;
        my @w = grep { $_->{target} =~ /^pipe:\[(\d+)\]/ && $parent_pipes{$1} && $_->{mode} =~ /w/ } @fds;
        push @pod_writers, "$k fd $_->{fd} $_->{target} ($_->{mode})" for @w;
        my @r = grep { $_->{target} =~ /^pipe:\[(\d+)\]/ && $parent_pipes{$1} && $_->{mode} eq 'r' } @fds;
        push @extra_pipes, "$k holds " . scalar(@r) . ' read ends of pipes of the parent' if @r > 1;
    }
    is(scalar @extra_listeners, 0, "$what: every child holds exactly $per_port listening socket(s) per port")
        or diag(join "\n", @extra_listeners);
    # At start the children fill slots 0..N-1, one bucket each in turn. After a graceful restart the
    # new children take whichever slots are free while old ones finish, and may all sit in one bucket
    # (slot % buckets): then fewer sets, never more.
    my $want = $relief ? 1 : $buckets > @kids ? scalar @kids : $buckets;
    my $sets = scalar keys %sets;
    ok($restarted ? ($sets >= 1 && $sets <= $want) : $sets == $want,
       "$what: the children's listeners form " . ($restarted ? "at most " : '') . "$want set(s) ($sets)")
        or diag(join "\n", map { "set $_: $sets{$_} children" } keys %sets);
    is(scalar @extra_pipes, 0, "$what: a child reads at most one pipe of the parent (its pipe of death)")
        or diag(join "\n", @extra_pipes);
    TODO: {
        local $TODO = $todo_pod;
        is(scalar @pod_writers, 0, "$what: no child holds the write end of a pipe of the parent")
            or diag(join "\n", @pod_writers);
    }
    return scalar @pod_writers;
}
my $pod_w = check_children('at start');

my %old = map { $_ => 1 } @kids;
$srv->signal('USR1');
MpmCxx::Server::wait_until(10, sub { my @c = $srv->children; @c >= 2 && !(grep { $old{$_} } @c) }, 0.1);
sleep 0.5;
check_children('after a graceful restart', 1);

# anonymous scoreboard: a shared writable mapping with no file behind it
sub slurp_maps {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/maps" or return '';
    local $/;
    return <$fh> // '';
}
my $child_now = ($srv->children)[-1];
my @shared = grep { / rw.s / } split /\n/, slurp_maps($child_now);
my @shared_files = grep { m{ (/\S+)} && $1 !~ m{^/dev/zero} && $1 !~ m{^/SYSV} } @shared;
ok(@shared && !@shared_files, 'the scoreboard is an anonymous shared mapping (no file another user could open; '
   . scalar(@shared) . ' shared mapping(s) in child ' . ($child_now // '?') . ')')
    or diag(join "\n", @shared_files ? @shared_files : 'no shared mapping found');

# every file the server holds open under its ServerRoot is not writable by others
my @loose;
for my $p ($parent, $srv->children) {
    for my $f (fd_list($p)) {
        next unless $f->{target} =~ m{^/} && index($f->{target}, $srv->root) == 0 && -e $f->{target};
        my $mode = (stat $f->{target})[2] & 07777;
        push @loose, sprintf('%s %04o', $f->{target}, $mode) if $mode & 0002;
    }
}
my %u;
@loose = grep { !$u{$_}++ } @loose;
is(scalar @loose, 0, 'no file the server holds open is writable by others') or diag(join "\n", @loose);
ok($srv->stop, 'stopped');

# ---- 3: ScoreBoardFile and the pid file under umask 000
my $sb = MpmCxx::Server->new(name => 'security-sb', user => $user, group => $user,
                             conf => $conf{ kind() } . "ScoreBoardFile logs/apache_runtime_status\n");
chmod 0755, $sb->root;
ok(start_prefixed($sb, ['sh', '-c', 'umask 000; exec "$@"', 'sh', @clean]), 'server with ScoreBoardFile started under umask 000')
    or BAIL_OUT('cannot start');
my $sbparent = $sb->parent_pid;
# the named scoreboard: whatever file the parent maps shared (APR puts it in
# /dev/shm, or keys a SysV segment on a file next to ScoreBoardFile)
my @sbfiles = grep { -e } glob($sb->root . '/logs/apache_runtime_status*');
{
    my $m = slurp_maps($sbparent);
    my %seen;
    push @sbfiles, grep { !$seen{$_}++ && -e $_ }
                   map { m{ rw.s .* (/\S+)$} && $1 !~ m{^/dev/zero|^/SYSV} ? ($1) : () } split /\n/, $m;
}
my @sb_loose = map { sprintf '%s %04o', $_, (stat $_)[2] & 07777 } grep { ((stat $_)[2] & 0022) } @sbfiles;
is(scalar @sb_loose, 0, 'the scoreboard file(s) (' . join(', ', @sbfiles) . ') are not writable by group or others')
    or diag(join "\n", @sb_loose);
my @segs;
if (open my $fh, '<', '/proc/sysvipc/shm') {
    <$fh>;
    while (<$fh>) {
        my @f = split;
        # key shmid perms size cpid lpid nattch uid gid cuid cgid ...
        push @segs, { perms => $f[2], cpid => $f[4], uid => $f[7] } if $f[4] == $sbparent;
    }
}
ok(@sbfiles + @segs >= 1, 'the named scoreboard was found (a file the parent maps, or a SysV segment)');
my @seg_loose = map { "shm perms $_->{perms}" } grep { oct($_->{perms}) & 0022 } @segs;
is(scalar @seg_loose, 0, 'SysV shared memory of the server (' . scalar(@segs) . ' segment(s)) not writable by group or others')
    or diag(join "\n", @seg_loose);
my $pidmode = -e $sb->pid_file ? (stat $sb->pid_file)[2] & 07777 : 0;
ok(-e $sb->pid_file && !($pidmode & 0022), sprintf('the pid file is not writable by group or others (%04o)', $pidmode));
my $r = $sb->get('/small.txt');
is($r->{status}, 200, 'serving with ScoreBoardFile');
ok($sb->stop, 'stopped');

# ---- 4: what a request's code inherits (CGI)
my $docroot = tmp_dir() . "/security-docroot-$$";
make_path("$docroot/cgi-bin");
system('cp', MpmCxx::Env::t_dir() . '/htdocs/small.txt', "$docroot/small.txt");
if (open my $fh, '>', "$docroot/cgi-bin/fds.pl") {
    print $fh <<'EOF';
#!/usr/bin/perl
# lists this CGI script's descriptors and tries to signal the pid given
print "Content-Type: text/plain\r\n\r\n";
opendir my $d, "/proc/self/fd";
for my $fd (sort { $a <=> $b } grep { /^\d+$/ } readdir $d) {
    my $t = readlink("/proc/self/fd/$fd") // '?';
    next if $t =~ m{^/proc/\d+/fd$};
    print "fd $fd $t\n";
}
my ($pid) = ($ENV{QUERY_STRING} // '') =~ /pid=(\d+)/;
if ($pid) {
    my $ok = kill 0, $pid;
    print 'kill0 ', ($ok ? 'allowed' : "refused $!"), "\n";
}
EOF
    close $fh;
}
chmod 0755, $docroot, "$docroot/cgi-bin", "$docroot/cgi-bin/fds.pl";
chmod 0644, "$docroot/small.txt";
my $cg = MpmCxx::Server->new(name => 'security-cgi', user => $user, group => $user, cgi => 1, docroot => $docroot,
                             conf => $conf{ kind() });
chmod 0755, $cg->root;
ok(start_prefixed($cg, \@clean), 'server with CGI started') or BAIL_OUT('cannot start');
my $cgparent = $cg->parent_pid;
$r = $cg->get("/cgi-bin/fds.pl?pid=$cgparent");
is($r->{status}, 200, 'the CGI script ran') or diag($r->{body} // $r->{error});
my @fds = ($r->{body} // '') =~ /^fd (\d+) (.*)$/mg;
my %fds = @fds;
my @extra = map { "fd $_ -> $fds{$_}" } grep { $_ > 2 } sort { $a <=> $b } keys %fds;
is(scalar @extra, 0, 'the CGI script inherits no descriptor beyond 0, 1, 2') or diag(join "\n", @extra);
like($r->{body} // '', qr/^kill0 refused/m, 'the CGI script cannot signal the parent');
ok($cg->stop, 'stopped');
system('rm', '-rf', $docroot);

figure('security', mpm => mpm(), children_checked => scalar @kids, pod_write_ends => $pod_w,
       cgi_extra_fds => scalar @extra, sysv_segments => scalar @segs, scoreboard_files => scalar @sbfiles);
