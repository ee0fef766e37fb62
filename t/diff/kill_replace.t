# A child killed by a signal is replaced at once (threaded kinds): a child is
# killed three times, 0.5 s apart, after a maintenance pass; each time a new
# child is running within 0.3 s.
# Ours fork the replacement as soon as the parent reaps the killed child, up
# to 3 kills in a row between two maintenance passes (more wait for the next
# pass, so a crash loop cannot become a fork loop). Stock worker and event
# count the kill and start the replacement only when their loop next times
# out (0.5-0.8 s measured): TODO there. Prefork kinds replace through
# maintenance, stock and ours alike: skipped.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);
use MpmCxx::Env qw(kind is_cxx);
use MpmCxx::Server;

plan skip_all => 'prefork replaces killed children through maintenance (stock and ours)' if kind() eq 'prefork';
MpmCxx::Server::time_limit(60);

plan tests => 5;

my $srv = MpmCxx::Server->new(name => 'kill-replace', conf => <<'EOF2');
StartServers 3
ServerLimit 8
ThreadsPerChild 5
MinSpareThreads 10
MaxSpareThreads 25
MaxRequestWorkers 40
EOF2
ok($srv->start, 'server started') or BAIL_OUT('cannot start');
ok(MpmCxx::Server::wait_until(10, sub { my @c = $srv->children; @c >= 3 }, 0.2), 'three children running');
sleep 1.2;    # a maintenance pass since start-up

for my $n (1 .. 3) {
    my %before = map { $_ => 1 } $srv->children;
    my ($kid) = sort { $a <=> $b } keys %before;
    my $t0 = time;
    kill 'KILL', $kid;
    my $new;
    MpmCxx::Server::wait_until(3, sub { ($new) = grep { !$before{$_} } $srv->children; $new }, 0.02);
    my $took = time - $t0;
    TODO: {
        local $TODO = is_cxx() ? undef : 'stock starts the replacement when its loop next times out';
        cmp_ok($took, '<', 0.3, sprintf('kill %d: child %d replaced at once (new child %s after %.2f s)',
                                        $n, $kid, $new // 'none', $took));
    }
    sleep 0.5;
}
$srv->stop;
