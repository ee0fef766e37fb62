# Long-lived (keep-alive) connections are spread over the children instead of
# piling up in the first ones: 4 children of 5 threads, 20 keep-alive
# connections opened one after the other: no child holds more than
# ThreadsPerChild + 1 of them, and every child holds some.
# (An event child may accept up to ThreadsPerChild + idle * AsyncRequestWorkerFactor
# connections; event_cxx leaves new ones to siblings that have fewer connections
# than threads, so that connections do not share a few children's threads while
# other children idle. Worker threads hold their connections, so worker spreads
# by construction.) Stock event fills its first children (e.g. 10 7 2 1): the
# balance checks are TODO there. Prefork kinds: one connection per child, skipped.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);
use MpmCxx::Env qw(kind is_cxx);
use MpmCxx::Server;
use MpmCxx::HTTP qw(http_connect read_response);

plan skip_all => 'prefork children hold one connection each' if kind() eq 'prefork';
MpmCxx::Server::time_limit(60);

plan tests => 5;

my $srv = MpmCxx::Server->new(name => 'spread', conf => <<'EOF');
ServerLimit 4
StartServers 4
ThreadLimit 5
ThreadsPerChild 5
MaxRequestWorkers 20
MinSpareThreads 5
MaxSpareThreads 20
KeepAlive On
KeepAliveTimeout 30
MaxKeepAliveRequests 0
EOF
ok($srv->start, 'server started (4 children of 5 threads)') or BAIL_OUT('cannot start');
my $four = MpmCxx::Server::wait_until(10, sub { my @c = $srv->children; @c == 4 }, 0.2);
ok($four, 'four children running');
sleep 0.5;

my (%per_child, @held);
for my $i (1 .. 20) {
    my $s = http_connect($srv->port) or next;
    print $s "GET /probe/pid HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    my $r = read_response($s, timeout => 5);
    next unless $r && $r->{status} == 200 && $r->{body} =~ /(\d+)/;
    $per_child{$1}++;
    push @held, $s;
    sleep 0.02;
}
is(scalar @held, 20, '20 keep-alive connections open');
my @counts = sort { $b <=> $a } values %per_child;
note("connections per child: @counts");
TODO: {
    local $TODO = (kind() eq 'event' && !is_cxx()) ? 'stock event piles connections into its first children' : undef;
    cmp_ok($counts[0] // 0, '<=', 6, 'no child holds more than ThreadsPerChild + 1 connections');
    is(scalar(keys %per_child), 4, 'every child holds some');
}
close($_) for @held;
