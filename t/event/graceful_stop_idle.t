# Graceful stop with idle keep-alive connections and requests in flight
# (t/lifecycle/graceful_stop.t has only the request in flight,
# t/diff/graceful_keepalive.t busy keep-alive clients).
#
# 2 processes x 8 threads, KeepAliveTimeout 5. 10 keep-alive connections
# have each made one request and stay idle; 3 keep-alive connections have a
# 3 s request in flight (/probe/sleep). Then SIGWINCH; the clients close
# their end when the server closes a connection, as browsers do. Required:
# the three requests complete with 200 and their full body; every idle
# connection is closed by the server, without a byte sent, within
# KeepAliveTimeout + 3 s; the connections of the requests in flight are
# closed within 3 s + KeepAliveTimeout + 3 s; no process is left after
# 3 s + KeepAliveTimeout + 4 s and the PidFile is gone.
#
# The bounds allow for every kind: stock event closes idle keep-alive
# connections at once and a connection after its in-flight response; worker
# kinds end the keep-alive wait of a thread by KeepAliveTimeout; ours (event
# and worker) never close a keep-alive connection whose last response
# promised to keep it open (the client may be sending its next request: see
# README "intended differences" 1), so those end by their KeepAliveTimeout
# (the in-flight responses here had sent their headers before the stop).
#
# Threaded kinds; prefork skips (its graceful stop with keep-alive clients is
# t/diff/graceful_keepalive.t).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);
use List::Util qw(max);
use IO::Select;
use MpmCxx::Env qw(kind);
use MpmCxx::Server;
use MpmCxx::HTTP qw(http_connect parse_response);
use MpmCxx::Conn qw(watch_closes);

MpmCxx::Server::time_limit(90);

plan skip_all => 'prefork: graceful stop with keep-alive clients is t/diff/graceful_keepalive.t'
    if kind() eq 'prefork';

my $ka = 5;
my $sleep_ms = 3000;
my $idle_n = 10;
my $busy_n = 3;

plan tests => 10;

my $srv = MpmCxx::Server->new(name => 'graceful-stop-idle', loglevel => 'info', conf => <<"EOF");
StartServers 2
ServerLimit 4
ThreadLimit 8
ThreadsPerChild 8
MaxRequestWorkers 16
MinSpareThreads 8
MaxSpareThreads 16
KeepAliveTimeout $ka
EOF
ok($srv->start, 'server started') or BAIL_OUT('cannot start');

my $idle = MpmCxx::Conn::Idle->open(port => $srv->port, count => $idle_n, path => '/small.txt',
                                    concurrency => 2, timeout => 10);
is($idle->count, $idle_n, "$idle_n idle keep-alive connections") or diag($idle->errors);

# requests in flight, on keep-alive connections: started once "sleeping" is
# there
my @busy;
for (1 .. $busy_n) {
    my $s = http_connect($srv->port) or next;
    print $s "GET /probe/sleep?ms=$sleep_ms HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    push @busy, { sock => $s, buf => '' };
}
my $sel = IO::Select->new(map { $_->{sock} } @busy);
my $deadline = time + 5;
while (time < $deadline && grep { index($_->{buf}, "sleeping\n") < 0 } @busy) {
    for my $s ($sel->can_read(0.2)) {
        my ($b) = grep { $_->{sock} == $s } @busy;
        sysread($s, $b->{buf}, 65536, length $b->{buf});
    }
}
is(scalar(grep { index($_->{buf}, "sleeping\n") >= 0 } @busy), $busy_n, "$busy_n slow requests in flight");

my $t0 = time;
$srv->signal('WINCH');
my @socks = ($idle->socks, map { $_->{sock} } @busy);
my $busy_bound = $sleep_ms / 1000 + $ka + 3;
my @closes = watch_closes(\@socks, $busy_bound + 2, close => 1);
my @idle_res = @closes[0 .. $idle_n - 1];
my @busy_res = @closes[$idle_n .. $#closes];

my @idle_t = map { $_->[0] } @idle_res;
my $idle_closed = grep { defined } @idle_t;
is($idle_closed, $idle_n, "every idle connection closed by the server ("
   . join(' ', map { defined $_ ? sprintf('%.1f', $_) : 'open' } sort { ($a // 99) <=> ($b // 99) } @idle_t)
   . ' s after the stop)');
cmp_ok(max(map { $_ // 99 } @idle_t), '<=', $ka + 3, "... all within KeepAliveTimeout + 3 s");
is(scalar(grep { length $_->[1] } @idle_res), 0, '... without a byte sent on them');

my $complete = 0;
for my $i (0 .. $#busy) {
    my $r = parse_response($busy[$i]{buf} . $busy_res[$i][1]);
    $complete++ if $r && $r->{status} == 200 && $r->{body} eq "sleeping\ndone\n";
}
is($complete, $busy_n, "the $busy_n requests in flight completed with 200 and their full body");
my @busy_t = map { $_->[0] } @busy_res;
ok(!grep({ !defined || $_ > $busy_bound } @busy_t),
   "... and their connections were closed within ${busy_bound} s ("
   . join(' ', map { defined $_ ? sprintf('%.1f', $_) : 'open' } @busy_t) . ' s after the stop)');

my $gone = $srv->wait_gone($busy_bound + 1 - (time - $t0));
ok($gone, sprintf('no process left %.1fs after the stop', time - $t0)) or diag('left: ' . join ' ', $srv->pids);
ok(!-e $srv->pid_file, 'PidFile removed');
$idle->close_all;
close $_->{sock} for @busy;
