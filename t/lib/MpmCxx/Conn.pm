package MpmCxx::Conn;

# Connection-level helpers for the tests of asynchronous behaviour (t/event):
# descriptor limits, server memory, many idle keep-alive connections held by
# one process, timing a server-side close, sockets that do not read.
#
#   my ($soft, $hard) = MpmCxx::Conn::raise_nofile();   # soft limit := hard
#   my ($s, $h) = MpmCxx::Conn::nofile_limits($pid);     # from /proc/PID/limits
#   my $kb = MpmCxx::Conn::pss_kb(@pids);                # sum of Pss (smaps_rollup)
#   my $held = MpmCxx::Conn::Idle->open(port => $p, count => 5000);
#   $held->count; $held->closed; $held->request($i, '/small.txt'); $held->close_all;
#   my ($secs, $data) = MpmCxx::Conn::time_to_close($sock, 10);
#   my $s = MpmCxx::Conn::non_reader($port, '/big.bin');  # sends, never reads
#   my ($ms, $r) = MpmCxx::Conn::timed_get($port, '/small.txt', timeout => 5);
#   my $wait = MpmCxx::Conn::background(sub { ...; return @lines });  # forked
#   my @lines = $wait->(30);
#   my @probes = MpmCxx::Conn::probes($port, count => 10, interval => 0.2);
#   my @closed = MpmCxx::Conn::watch_closes(\@socks, 10);   # [secs|undef, data]
#   ... watch_closes(\@socks, 10, close => 1);  # and close our end on EOF

use strict;
use warnings;

use Socket qw(PF_INET SOCK_STREAM SOL_SOCKET SO_ERROR SO_RCVBUF IPPROTO_TCP TCP_NODELAY
              inet_aton pack_sockaddr_in);
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use Errno qw(EINPROGRESS EAGAIN EINTR);
use IO::Select;
use Time::HiRes qw(time sleep);
use POSIX ();

use MpmCxx::HTTP qw(http_get);

use Exporter 'import';
our @EXPORT_OK = qw(raise_nofile nofile_limits pss_kb time_to_close non_reader timed_get median
                    background probes watch_closes);

# (soft, hard) RLIMIT_NOFILE of a process ('self' by default); 'unlimited' is
# returned as a large number.
sub nofile_limits {
    my ($pid) = @_;
    $pid //= 'self';
    open my $fh, '<', "/proc/$pid/limits" or return;
    while (<$fh>) {
        next unless /^Max open files\s+(\S+)\s+(\S+)/;
        my ($s, $h) = ($1, $2);
        $_ = $_ eq 'unlimited' ? 1 << 30 : $_ + 0 for $s, $h;
        return ($s, $h);
    }
    return;
}

# Raise this process's soft descriptor limit to its hard limit (children
# started afterwards, e.g. apache2, inherit it). Returns the new (soft, hard).
sub raise_nofile {
    my ($soft, $hard) = nofile_limits();
    return unless defined $soft;
    if ($soft < $hard) {
        my ($prlimit) = grep { -x } map { "$_/prlimit" } split(/:/, $ENV{PATH} // ''), '/usr/bin';
        if ($prlimit) {
            system($prlimit, '--pid', $$, "--nofile=$hard:$hard");
        }
        ($soft, $hard) = nofile_limits();
    }
    return ($soft, $hard);
}

# Sum of the proportional set sizes (kB) of @pids; undef if none could be read.
sub pss_kb {
    my (@pids) = @_;
    my ($sum, $seen) = (0, 0);
    for my $pid (@pids) {
        open my $fh, '<', "/proc/$pid/smaps_rollup" or next;
        while (<$fh>) {
            if (/^Pss:\s+(\d+)\s+kB/) { $sum += $1; $seen++; last }
        }
    }
    return $seen ? $sum : undef;
}

sub median {
    my @v = sort { $a <=> $b } @_;
    return unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

# One GET on a new connection; (milliseconds until the response was complete,
# response hashref).
sub timed_get {
    my ($port, $path, %o) = @_;
    my $t0 = time;
    my $r = http_get($port, $path, timeout => $o{timeout} || 10, connect_timeout => $o{timeout} || 10,
                     version => $o{version} || '1.0');
    return ((time - $t0) * 1000, $r);
}

# Wait until the peer closes $sock (EOF or reset). Returns (seconds waited or
# undef on timeout, bytes read meanwhile).
sub time_to_close {
    my ($sock, $timeout) = @_;
    my $t0 = time;
    my $sel = IO::Select->new($sock);
    my $data = '';
    while (1) {
        my $left = $t0 + $timeout - time;
        return (undef, $data) if $left <= 0;
        next unless $sel->can_read($left);
        my $n = sysread($sock, $data, 65536, length $data);
        if (!defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            return (time - $t0, $data);    # reset counts as closed
        }
        return (time - $t0, $data) if $n == 0;
    }
}

# Run $code in a forked process (so the test can watch something else
# meanwhile). It returns a list of lines (no newlines in them). Returns a
# coderef: $wait->($timeout) gives those lines (the process is killed if it
# has not finished by then; the lines it returned are lost then).
sub background {
    my ($code) = @_;
    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        close $r;
        $SIG{TERM} = 'DEFAULT';
        $SIG{ALRM} = 'DEFAULT';
        my @lines = eval { $code->() };
        @lines = ("died: $@") if $@;
        print $w map { "$_\n" } @lines;
        close $w;
        POSIX::_exit(0);    # no END blocks: the servers belong to the parent
    }
    close $w;
    return sub {
        my ($timeout) = @_;
        my $deadline = time + ($timeout || 30);
        my $sel = IO::Select->new($r);
        my $buf = '';
        while (time < $deadline) {
            next unless $sel->can_read($deadline - time);
            my $n = sysread($r, $buf, 65536, length $buf);
            last unless $n;
        }
        close $r;
        kill 'KILL', $pid if waitpid($pid, POSIX::WNOHANG()) == 0;
        waitpid($pid, 0);
        return split /\n/, $buf;
    };
}

# $count GETs of $path (default /small.txt) on new connections, one after
# the other, $interval s apart. Returns a list of [ms, status, body length].
sub probes {
    my ($port, %o) = @_;
    my @out;
    for my $i (1 .. ($o{count} || 10)) {
        my ($ms, $r) = timed_get($port, $o{path} || '/small.txt', timeout => $o{timeout} || 10);
        push @out, [$ms, $r->{status}, length($r->{body} // '')];
        sleep $o{interval} if $o{interval} && $i < ($o{count} || 10);
    }
    return @out;
}

# Watch @$socks until each is closed by the peer or $timeout s passed.
# Returns one [seconds until closed (undef: still open), bytes read] per
# socket, in order. Option close => 1: close our end on EOF, as a browser
# does (the server's lingering close then ends at once).
sub watch_closes {
    my ($socks, $timeout, %o) = @_;
    my $t0 = time;
    my @res = map { [undef, ''] } @$socks;
    my %idx = map { fileno($socks->[$_]) => $_ } 0 .. $#$socks;
    my $sel = IO::Select->new(@$socks);
    while ($sel->count) {
        my $left = $t0 + $timeout - time;
        last if $left <= 0;
        for my $s ($sel->can_read($left)) {
            my $i = $idx{ fileno $s };
            my $n = sysread($s, $res[$i][1], 65536, length $res[$i][1]);
            next if !defined $n && ($! == EAGAIN || $! == EINTR);
            next if $n;
            $res[$i][0] = time - $t0;
            $sel->remove($s);
            close $s if $o{close};
        }
    }
    return @res;
}

sub _nb_socket {
    my ($rcvbuf) = @_;
    my $s;
    socket($s, PF_INET, SOCK_STREAM, 0) or return;
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, $rcvbuf) if $rcvbuf;
    setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
    fcntl($s, F_SETFL, fcntl($s, F_GETFL, 0) | O_NONBLOCK);
    return $s;
}

# A client that asks for $path and then never reads: a small receive buffer
# so that most of the response stays on the server's side. Blocking connect
# and write; returns the socket (or undef).
sub non_reader {
    my ($port, $path, %o) = @_;
    my $s;
    socket($s, PF_INET, SOCK_STREAM, 0) or return;
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, $o{rcvbuf} || 4096);
    connect($s, pack_sockaddr_in($port, inet_aton('127.0.0.1'))) or return;
    my $req = "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: non-reader\r\n\r\n";
    syswrite($s, $req) == length $req or return;
    return $s;
}

package MpmCxx::Conn::Idle;

# Many keep-alive connections held by this process: each is opened, sends one
# HTTP/1.1 request, reads the complete response, and then stays idle. At most
# `concurrency` requests are in flight at once, so a server with a few
# threads is never saturated while they are set up.
#
#   open(port, count, path => '/small.txt', concurrency => 4, timeout => 120,
#        expect_length => N)
# Result object: count (connections held), failed, errors {why => n},
# elapsed (s), socks.

use Socket qw(SOL_SOCKET SO_ERROR inet_aton pack_sockaddr_in);
use Errno qw(EINPROGRESS EAGAIN EINTR);
use Time::HiRes qw(time);

sub open {
    my ($class, %o) = @_;
    my $port = $o{port};
    my $want = $o{count};
    my $path = $o{path} || '/small.txt';
    my $conc = $o{concurrency} || 4;
    my $deadline = time + ($o{timeout} || 120);
    my $req = "GET $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\nUser-Agent: mpmcxx-idle\r\n\r\n";
    my $addr = pack_sockaddr_in($port, inet_aton('127.0.0.1'));
    my $self = bless { port => $port, socks => [], failed => 0, errors => {} }, $class;
    my $fail = sub { my ($why) = @_; $self->{failed}++; $self->{errors}{$why}++ };
    my $t0 = time;
    my %busy;    # fileno => {sock, state, buf, wbuf, since}
    my $started = 0;
    while ((@{ $self->{socks} } + $self->{failed} < $want) && time < $deadline) {
        while (keys(%busy) < $conc && $started < $want) {
            my $s = MpmCxx::Conn::_nb_socket() or do { $fail->("socket: $!"); $started++; next };
            $started++;
            if (!connect($s, $addr) && $! != EINPROGRESS && $! != EAGAIN) {
                $fail->("connect: $!");
                close $s;
                next;
            }
            $busy{ fileno $s } = { sock => $s, state => 'connecting', buf => '', wbuf => $req, since => time };
        }
        last unless %busy;
        my ($rin, $win) = ('', '');
        for my $c (values %busy) {
            vec($c->{state} eq 'reading' ? $rin : $win, fileno $c->{sock}, 1) = 1;
        }
        my ($rout, $wout);
        my $n = select($rout = $rin, $wout = $win, undef, 1);
        next if $n <= 0;
        for my $fd (keys %busy) {
            my $c = $busy{$fd};
            my $s = $c->{sock};
            if ($c->{state} eq 'connecting' && vec($wout, $fd, 1)) {
                my $err = unpack('i', getsockopt($s, SOL_SOCKET, SO_ERROR) // pack('i', 0));
                if ($err) {
                    local $! = $err;
                    $fail->("connect: $!");
                    delete $busy{$fd};
                    close $s;
                    next;
                }
                $c->{state} = 'writing';
            }
            if ($c->{state} eq 'writing' && vec($wout, $fd, 1)) {
                my $w = syswrite($s, $c->{wbuf});
                if (!defined $w) {
                    next if $! == EAGAIN || $! == EINTR;
                    $fail->("write: $!");
                    delete $busy{$fd};
                    close $s;
                    next;
                }
                substr($c->{wbuf}, 0, $w) = '';
                $c->{state} = 'reading' unless length $c->{wbuf};
                next;
            }
            if ($c->{state} eq 'reading' && vec($rout, $fd, 1)) {
                my $r = sysread($s, $c->{buf}, 65536, length $c->{buf});
                if (!defined $r) {
                    next if $! == EAGAIN || $! == EINTR;
                    $fail->("read: $!");
                    delete $busy{$fd};
                    close $s;
                    next;
                }
                my ($resp, $used) = MpmCxx::HTTP::parse_one($c->{buf}, $r == 0, 0);
                if ($resp && !$resp->{incomplete}) {
                    delete $busy{$fd};
                    if ($resp->{status} != 200) { $fail->("status $resp->{status}"); close $s; next }
                    if (defined $o{expect_length} && length($resp->{body}) != $o{expect_length}) {
                        $fail->('body length ' . length $resp->{body});
                        close $s;
                        next;
                    }
                    if (($resp->{headers}{connection} // '') =~ /close/i || $r == 0) {
                        $fail->('server did not keep the connection open');
                        close $s;
                        next;
                    }
                    push @{ $self->{socks} }, $s;
                    next;
                }
                if ($r == 0) {
                    $fail->('closed before a complete response');
                    delete $busy{$fd};
                    close $s;
                }
            }
        }
    }
    for my $c (values %busy) { $fail->("timeout in $c->{state}"); close $c->{sock} }
    $self->{elapsed} = time - $t0;
    return $self;
}

sub count   { scalar @{ $_[0]{socks} } }
sub failed  { $_[0]{failed} }
sub elapsed { $_[0]{elapsed} }
sub socks   { @{ $_[0]{socks} } }

sub errors {
    my ($self) = @_;
    my $e = $self->{errors};
    return join(', ', map { "$_ x$e->{$_}" } sort keys %$e);
}

# How many held connections the server has closed (EOF or reset) or sent
# unexpected data on. Checked without waiting. Returns (closed, with_data).
sub closed {
    my ($self) = @_;
    my ($closed, $data) = (0, 0);
    my @socks = grep { defined } @{ $self->{socks} };
    my $rin = '';
    vec($rin, fileno $_, 1) = 1 for @socks;
    my $rout;
    my $n = select($rout = $rin, undef, undef, 0);
    return (0, 0) if $n <= 0;
    for my $s (@socks) {
        next unless vec($rout, fileno $s, 1);
        my $buf;
        my $r = sysread($s, $buf, 4096);
        if (!defined $r) {
            next if $! == EAGAIN || $! == EINTR;
            $closed++;
        }
        elsif ($r == 0) { $closed++ }
        else { $data++ }
    }
    return ($closed, $data);
}

# Send another request on held connection $i and read its response
# (blocking up to $timeout s). Returns the response hashref or undef ($@).
sub request {
    my ($self, $i, $path, $timeout) = @_;
    my $s = $self->{socks}[$i] or do { $@ = 'no such connection'; return };
    my $req = "GET $path HTTP/1.1\r\nHost: 127.0.0.1:$self->{port}\r\nUser-Agent: mpmcxx-idle\r\n\r\n";
    my $t0 = time;
    my $deadline = $t0 + ($timeout || 10);
    my $off = 0;
    while ($off < length $req) {
        my $w = syswrite($s, $req, length($req) - $off, $off);
        if (!defined $w) {
            if ($! == EAGAIN || $! == EINTR) { select(undef, undef, undef, 0.01); next }
            $@ = "write: $!";
            return;
        }
        $off += $w;
    }
    my $buf = '';
    while (1) {
        my $left = $deadline - time;
        if ($left <= 0) { $@ = 'timeout'; return }
        my $rin = '';
        vec($rin, fileno $s, 1) = 1;
        next unless select(my $rout = $rin, undef, undef, $left) > 0;
        my $r = sysread($s, $buf, 65536, length $buf);
        if (!defined $r) {
            next if $! == EAGAIN || $! == EINTR;
            $@ = "read: $!";
            return;
        }
        my ($resp) = MpmCxx::HTTP::parse_one($buf, $r == 0, 0);
        return $resp if $resp && !$resp->{incomplete};
        if ($r == 0) { $@ = 'connection closed'; return }
    }
}

sub close_all {
    my ($self) = @_;
    close $_ for grep { defined } @{ $self->{socks} };
    $self->{socks} = [];
}

1;
