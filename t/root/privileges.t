# Run as root (t/run-integration runs t/root/*.t with prove as root after
# t/TEST). With "User mpmtest" / "Group mpmtest" the children (and CGI
# scripts) run as that user and group, the parent stays root; the same after
# a graceful restart.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use MpmCxx::Env qw(kind cgi_module);
use MpmCxx::Server;

MpmCxx::Server::time_limit(120);

plan skip_all => 'needs root' unless $> == 0;
my $user = $ENV{MPMCXX_TEST_USER} || 'mpmtest';
my @pw = getpwnam($user);
plan skip_all => "user $user does not exist" unless @pw;
my ($uid, $gid) = @pw[2, 3];

my %conf = (
    prefork => "StartServers 3\nMinSpareServers 2\nMaxSpareServers 5\n",
    worker  => "StartServers 2\nThreadsPerChild 5\nMinSpareThreads 5\nMaxSpareThreads 20\nMaxRequestWorkers 20\nServerLimit 8\n",
);
$conf{event} = $conf{worker};

plan tests => 13;

my $srv = MpmCxx::Server->new(name => 'privileges', user => $user, group => $user, cgi => 1,
                              conf => $conf{ kind() });
chmod 0755, $srv->root;
ok($srv->start, "server started as root with User/Group $user") or BAIL_OUT('cannot start');

my $parent = $srv->parent_pid;
my ($pp) = grep { $_->{pid} == $parent } $srv->processes;
is($pp && $pp->{uid}, 0, 'parent runs as root (uid 0)');
is($pp && $pp->{euid}, 0, 'parent euid 0');

my @kids = grep { $_->{ppid} == $parent } $srv->processes;
cmp_ok(scalar @kids, '>=', 1, 'children exist');
is(scalar(grep { $_->{uid} == $uid && $_->{euid} == $uid } @kids), scalar @kids,
   "all children run as uid $uid ($user)") or diag(join ' ', map { "$_->{pid}:$_->{uid}/$_->{euid}" } @kids);
is(scalar(grep { $_->{gid} == $gid && $_->{egid} == $gid } @kids), scalar @kids,
   "all children run as gid $gid");

my $p = $srv->probe_pid;
ok($p && $p->{uid} == $uid && $p->{euid} == $uid && $p->{gid} == $gid && $p->{egid} == $gid,
   'the serving process reports the unprivileged ids') or diag(explain $p);
is($p && $p->{ppid}, $parent, '... and is a child of the root parent');

my $r = $srv->get('/cgi-bin/env.pl');
is($r->{status}, 200, 'CGI runs');
my ($cgiuid) = ($r->{body} // '') =~ /^EUID=(\d+)/m;
is($cgiuid, $uid, "the CGI script runs as $user");

# after a graceful restart the new children are unprivileged too
my @old = map { $_->{pid} } @kids;
my %old = map { $_ => 1 } @old;
$srv->signal('USR1');
# A child forked a moment ago is root until it drops privileges, before it serves anything (stock the
# same): the look waits for that too, so a child listed in its first milliseconds does not count as one
# that kept root; a child that never drops them still fails below (the last look is what is checked).
my @new;
MpmCxx::Server::wait_until(10, sub {
    @new = grep { $_->{ppid} == $parent } $srv->processes;
    @new && !(grep { $old{ $_->{pid} } } @new) && !(grep { $_->{uid} != $uid || $_->{gid} != $gid } @new);
}, 0.1);
ok(@new && !(grep { $old{ $_->{pid} } } @new), 'children replaced by the graceful restart');
is(scalar(grep { $_->{uid} == $uid && $_->{gid} == $gid } @new), scalar @new,
   "new children run as $user too");
ok($srv->stop, 'stopped');
