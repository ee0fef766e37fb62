# <IfModule prefork.c> (the MPM's module name) applies: t/conf/extra.conf.in
# sets X-MPM-Block inside <IfModule prefork.c|worker.c|event.c>.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);

use MpmCxx::HTTP qw(http_get);
use MpmCxx::Env qw(kind);
use MpmCxx::Server;

MpmCxx::Server::time_limit(60);

plan tests => 3, need_module('mod_headers.c');

my $port = Apache::Test::vars('port');

my $r = http_get($port, '/ifmodule/');
is($r->{status}, 200, 'GET /ifmodule/: 200');
is($r->{headers}{'x-mpm-block'}, kind(), '<IfModule ' . kind() . '.c> block applied');
my %not_prefork = (prefork => undef, worker => 'yes', event => 'yes');
is($r->{headers}{'x-not-prefork'}, $not_prefork{ kind() }, '<IfModule !prefork.c> as expected');
