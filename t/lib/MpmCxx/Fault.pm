package MpmCxx::Fault;

# Helpers for the reliability tests (t/reliability, t/root): /proc
# inspection of a server's processes (CPU time, zombies, memory, descriptors,
# TCP sockets), starting a server under a command prefix (prlimit, a cgroup),
# many held client connections in one process (slowloris and friends), and
# the full/reduced figures switch.
#
#   use MpmCxx::Fault qw(full scaled server_cpu zombies ...);
#   my $n = scaled(2000, 300);          # full figure with MPMCXX_RELIABILITY_FULL=1
#   my $t = server_cpu($srv);           # CPU seconds used by the server so far
#   my @z = zombies($srv);              # unreaped children of the parent
#   my $c = MpmCxx::Fault::Clients->new(port => $port);
#   $c->add(100, "GET / HTTP/1.1\r\n"); $c->send_each("X-a: b\r\n"); $c->poll;
#
# Everything reads /proc directly; nothing here signals or stops a process
# that the caller did not name.

use strict;
use warnings;

use POSIX ();
use Socket qw(PF_INET SOCK_STREAM SOL_SOCKET SO_LINGER SO_RCVBUF IPPROTO_TCP TCP_NODELAY
              inet_aton pack_sockaddr_in);
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use Errno qw(EINPROGRESS EAGAIN EWOULDBLOCK EINTR);
use IO::Poll qw(POLLIN POLLOUT POLLERR POLLHUP);
use Time::HiRes qw(time sleep);

use MpmCxx::Env qw(tmp_dir);
use MpmCxx::Server ();

use Exporter 'import';
our @EXPORT_OK = qw(
    full scaled mode_note proc_stat clk_tck server_cpu process_cpu zombies proc_mem
    fd_list tcp_sockets listen_inodes server_conns start_prefixed figure
);

# ---- full or reduced figures

sub full { return $ENV{MPMCXX_RELIABILITY_FULL} ? 1 : 0 }

# The full figure of the issue with MPMCXX_RELIABILITY_FULL=1, else the
# reduced one (CI: every file within about 45 s).
sub scaled {
    my ($full, $reduced) = @_;
    return full() ? $full : $reduced;
}

sub mode_note {
    return full() ? 'full figures (MPMCXX_RELIABILITY_FULL=1)'
                  : 'reduced figures (set MPMCXX_RELIABILITY_FULL=1 for the full ones)';
}

# One line "FIGURE <test>: k=v k=v" in the TAP output (as a comment), which
# RELIABILITY.md quotes.
sub figure {
    my ($test, %kv) = @_;
    my $line = "FIGURE $test: " . join(' ', map { "$_=$kv{$_}" } sort keys %kv);
    if (my $tb = eval { require Test::More; Test::More->builder }) { $tb->note($line) }
    else { print STDERR "# $line\n" }
    return $line;
}

# ---- /proc

# (one reader of small /proc files for all the helpers: MpmCxx::Server's)
sub _slurp { return MpmCxx::Server::_slurp(@_) }

my $CLK;
sub clk_tck { return $CLK //= (POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100) }

# Fields of /proc/PID/stat by name (undef if the process is gone).
sub proc_stat {
    my ($pid) = @_;
    my $t = _slurp("/proc/$pid/stat");
    return unless $t =~ /^\d+ \(.*\) (.*)$/s;
    my @f = split ' ', $1;
    # $f[0] is field 3 (state) of proc(5)
    return { state => $f[0], ppid => $f[1], pgrp => $f[2], utime => $f[11], stime => $f[12],
             cutime => $f[13], cstime => $f[14], threads => $f[17], starttime => $f[19],
             vsize => $f[20], rss_pages => $f[21] };
}

# CPU seconds of one process (its own threads; with $children also the
# children it has reaped).
sub process_cpu {
    my ($pid, $with_reaped) = @_;
    my $s = proc_stat($pid) or return 0;
    my $t = $s->{utime} + $s->{stime};
    $t += $s->{cutime} + $s->{cstime} if $with_reaped;
    return $t / clk_tck();
}

# Direct children of $ppid from /proc, zombies included: list of
# {pid, state}.
sub _children_of {
    my ($ppid) = @_;
    my @out;
    opendir my $dh, '/proc' or return;
    for my $pid (grep { /^\d+$/ } readdir $dh) {
        my $t = _slurp("/proc/$pid/stat");
        next unless $t =~ /^\d+ \(.*\) (\S) (\d+) /s;
        push @out, { pid => $pid + 0, state => $1 } if $2 == $ppid;
    }
    closedir $dh;
    return @out;
}

# CPU seconds used so far by a server: the parent (with every child it
# reaped) plus its live children. Differences over an interval give the
# server's CPU use in that interval, including children that died meanwhile.
sub server_cpu {
    my ($srv, $parent) = @_;
    $parent ||= $srv->parent_pid or return 0;
    my $t = process_cpu($parent, 1);
    for my $c (_children_of($parent)) {
        next if $c->{state} eq 'Z';
        $t += process_cpu($c->{pid}, 1);
    }
    return $t;
}

# Zombie (exited, not reaped) children of the server's parent.
sub zombies {
    my ($srv, $parent) = @_;
    $parent ||= $srv->parent_pid or return;
    return map { $_->{pid} } grep { $_->{state} eq 'Z' } _children_of($parent);
}

# Memory of a process in KiB: {rss, data, size, hwm} from /proc/PID/status.
sub proc_mem {
    my ($pid) = @_;
    my $t = _slurp("/proc/$pid/status");
    my %m;
    for ([rss => 'VmRSS'], [data => 'VmData'], [size => 'VmSize'], [hwm => 'VmHWM']) {
        ($m{ $_->[0] }) = $t =~ /^$_->[1]:\s+(\d+) kB/m;
    }
    return \%m;
}

# Open descriptors of a process: list of {fd, target, flags (octal string),
# mode ('r', 'w' or 'rw')}. Needs the same uid or root.
sub fd_list {
    my ($pid) = @_;
    my @out;
    opendir my $dh, "/proc/$pid/fd" or return;
    for my $fd (sort { $a <=> $b } grep { /^\d+$/ } readdir $dh) {
        my $target = readlink("/proc/$pid/fd/$fd") // next;
        my ($flags) = _slurp("/proc/$pid/fdinfo/$fd") =~ /^flags:\s+(\d+)/m;
        $flags //= '0';
        my $acc = oct($flags) & 3;
        push @out, { fd => $fd + 0, target => $target, flags => $flags,
                     mode => ($acc == 0 ? 'r' : $acc == 1 ? 'w' : 'rw') };
    }
    closedir $dh;
    return @out;
}

# TCP sockets on 127.0.0.1 (IPv4; the tests listen there): list of {lport,
# rport, state (hex as in /proc/net/tcp: '0A' LISTEN, '01' ESTABLISHED, '05'
# FIN_WAIT2, '08' CLOSE_WAIT, ...), inode (0: no process holds it any more),
# rxq, txq (for a listener: accept queue length and backlog), family (4 or 6;
# IPv6 sockets only through ss)}. With $port only
# those whose local port is $port, asked from the kernel by ss(8) (filtered in
# the kernel: /proc/net/tcp of a busy test machine holds tens of thousands of
# TIME_WAIT entries and takes a second to parse).
my %SS_STATE = ('ESTAB' => '01', 'SYN-SENT' => '02', 'SYN-RECV' => '03', 'FIN-WAIT-1' => '04',
                'FIN-WAIT-2' => '05', 'TIME-WAIT' => '06', 'UNCONN' => '07', 'CLOSE-WAIT' => '08',
                'LAST-ACK' => '09', 'LISTEN' => '0A', 'CLOSING' => '0B');
my $HAVE_SS;
sub tcp_sockets {
    my ($port) = @_;
    $HAVE_SS //= (system('ss -V >/dev/null 2>&1') == 0) ? 1 : 0;
    if (defined $port && $HAVE_SS && $port =~ /^\d+$/) {
        my @out;
        for (`ss -Htane '( sport = :$port )' 2>/dev/null`) {
            my @f = split;
            next unless @f >= 5 && exists $SS_STATE{ $f[0] };
            my ($lp) = $f[3] =~ /:(\d+)$/ or next;
            my ($rp) = $f[4] =~ /:(\d+|\*)$/ or next;
            my ($ino) = /\bino:(\d+)/;
            push @out, { lport => $lp + 0, rport => ($rp eq '*' ? 0 : $rp + 0), state => $SS_STATE{ $f[0] },
                         inode => $ino // 0, rxq => $f[1] + 0, txq => $f[2] + 0,
                         family => ($f[3] =~ /^[\[*]/ ? 6 : 4) };
        }
        return @out;
    }
    my @out;
    open my $fh, '<', '/proc/net/tcp' or return;
    <$fh>;
    while (<$fh>) {
        my @f = split;
        my ($lp) = $f[1] =~ /:([0-9A-F]{4})$/ or next;
        next if defined $port && hex($lp) != $port;
        my ($rp) = $f[2] =~ /:([0-9A-F]{4})$/ or next;
        my ($tx, $rx) = split /:/, $f[4];
        push @out, { lport => hex $lp, rport => hex $rp, state => $f[3], inode => $f[9],
                     txq => hex $tx, rxq => hex $rx, family => 4 };
    }
    close $fh;
    return @out;
}

# Inodes of the listening sockets on $port.
sub listen_inodes {
    my ($port) = @_;
    return map { $_->{inode} } grep { $_->{state} eq '0A' } tcp_sockets($port);
}

# Server-side connections on $port in one of the TCP states given (hex
# strings; default ESTABLISHED and CLOSE_WAIT: sockets a server process still
# holds open).
sub server_conns {
    my ($port, @states) = @_;
    @states = ('01', '08') unless @states;
    my %want = map { $_ => 1 } @states;
    return scalar grep { $want{ $_->{state} } } tcp_sockets($port);
}

# apache2 -k start with a command prefix (e.g. ['prlimit', '--nofile=64:64',
# '--']): the daemon inherits what the prefix sets. Waits until the server
# answers unless no_wait. Returns true on success.
sub start_prefixed {
    my ($srv, $prefix, %o) = @_;
    my ($st, $out) = MpmCxx::Server::run_cmd({ timeout => 30, out => $srv->root . '/logs/cmd.out' },
                                            @$prefix, $srv->httpd_cmd('-k', 'start'));
    $srv->{start_output} = $out;
    $srv->{start_status} = $st;
    if ($st != 0) {
        MpmCxx::Server::_diag("prefixed start failed (status $st): $out");
        return 0;
    }
    return 1 if $o{no_wait};
    return $srv->wait_ready($o{timeout} || 20);
}

# ---------------------------------------------------------------------------
# Many client connections held by the test process itself (non-blocking,
# polled with IO::Poll so that thousands of descriptors work).

package MpmCxx::Fault::Clients;

use Socket qw(PF_INET SOCK_STREAM SOL_SOCKET SO_LINGER SO_RCVBUF SO_ERROR IPPROTO_TCP TCP_NODELAY
              inet_aton pack_sockaddr_in);
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use Errno qw(EINPROGRESS EAGAIN EWOULDBLOCK EINTR ECONNRESET EPIPE);
use IO::Poll qw(POLLIN POLLOUT POLLERR POLLHUP);
use Time::HiRes qw(time sleep);

# port => N (127.0.0.1), rcvbuf => bytes (small: a client that does not read
# fills up quickly)
sub new {
    my ($class, %o) = @_;
    return bless { port => $o{port}, rcvbuf => $o{rcvbuf}, conns => [], t0 => time }, $class;
}

# Open $n connections (non-blocking connect), each queued to send $prefix
# once connected. Options: tag => label, shut_wr => 1 (shutdown(SHUT_WR)
# once $prefix is sent), keep_open => 1 (an EOF from the server is noted in
# {eof_at} but the socket stays open, e.g. to watch a lingering close).
# Returns the number of sockets created.
sub add {
    my ($self, $n, $prefix, %o) = @_;
    my $addr = pack_sockaddr_in($self->{port}, inet_aton('127.0.0.1'));
    my $made = 0;
    for (1 .. $n) {
        my $s;
        socket($s, PF_INET, SOCK_STREAM, 0) or last;
        setsockopt($s, SOL_SOCKET, SO_RCVBUF, $self->{rcvbuf}) if $self->{rcvbuf};
        my $fl = fcntl($s, F_GETFL, 0);
        fcntl($s, F_SETFL, $fl | O_NONBLOCK);
        setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
        my $ok = connect($s, $addr);
        if (!$ok && $! != EINPROGRESS && $! != EAGAIN) {
            close $s;
            next;
        }
        my $lport;
        if (my $name = getsockname($s)) { ($lport) = Socket::unpack_sockaddr_in($name) }
        push @{ $self->{conns} }, { sock => $s, state => 'open', wbuf => $prefix // '', opened => time,
                                    closed_at => undef, got => 0, data => '', tag => $o{tag},
                                    lport => $lport, shut_wr => $o{shut_wr}, keep_open => $o{keep_open} };
        $made++;
    }
    $self->flush;
    return $made;
}

sub conns { return @{ $_[0]{conns} } }
sub open_conns { return grep { $_->{state} eq 'open' } @{ $_[0]{conns} } }
sub count_open { return scalar(grep { $_->{state} eq 'open' } @{ $_[0]{conns} }) }

# Queue $bytes on every open connection (or those for which $filter says so)
# and try to write.
sub send_each {
    my ($self, $bytes, $filter) = @_;
    for my $c ($self->open_conns) {
        next if $filter && !$filter->($c);
        $c->{wbuf} .= $bytes;
    }
    $self->flush;
}

# Write pending bytes where the socket takes them (never blocks).
sub flush {
    my ($self) = @_;
    for my $c ($self->open_conns) {
        next unless length $c->{wbuf};
        my $w = syswrite($c->{sock}, $c->{wbuf});
        if (!defined $w) {
            next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR || $! == EINPROGRESS
                || $!{ENOTCONN};
            $self->_closed($c, "write: $!");
            next;
        }
        substr($c->{wbuf}, 0, $w) = '';
        if ($c->{shut_wr} && !length $c->{wbuf} && !$c->{shut_done}) {
            shutdown($c->{sock}, 1);
            $c->{shut_done} = time;
        }
    }
}

sub _closed {
    my ($self, $c, $why) = @_;
    $c->{state} = 'closed';
    $c->{closed_at} = time;
    $c->{why} = $why;
    close $c->{sock};
    $c->{sock} = undef;
}

# Wait up to $timeout s for events; read what arrived (if $read, or for
# connections whose {read} is set), note connections the server closed.
# $o{read}: 1 read everything, 0 never read (only notice errors/hangups).
sub poll {
    my ($self, $timeout, %o) = @_;
    my $read = $o{read} // 1;
    my $deadline = time + ($timeout // 0);
    while (1) {
        $self->flush;
        my $p = IO::Poll->new;
        my $n = 0;
        for my $c ($self->open_conns) {
            my $mask = (($read || $c->{read}) && !$c->{eof_at}) ? POLLIN : 0;
            $mask |= POLLOUT if length $c->{wbuf};
            $p->mask($c->{sock} => $mask | POLLERR | POLLHUP);
            $n++;
        }
        last unless $n;
        my $left = $deadline - time;
        $left = 0 if $left < 0;
        my $r = $p->poll($left);
        if ($r && $r > 0) {
            for my $c ($self->open_conns) {
                my $ev = $p->events($c->{sock});
                next unless $ev;
                if ($ev & POLLIN) {
                    my $buf;
                    my $got = sysread($c->{sock}, $buf, 65536);
                    if (!defined $got) {
                        next if $! == EAGAIN || $! == EINTR;
                        $self->_closed($c, "read: $!");
                        next;
                    }
                    if ($got == 0) {
                        if ($c->{keep_open}) { $c->{eof_at} //= time; next }
                        $self->_closed($c, 'eof');
                        next;
                    }
                    $c->{got} += $got;
                    $c->{first_byte_at} //= time;
                    $c->{data} .= $buf if length($c->{data}) < 65536;
                    next;
                }
                if ($ev & (POLLERR | POLLHUP)) {
                    my $err = unpack('i', getsockopt($c->{sock}, SOL_SOCKET, SO_ERROR) // pack('i', 0));
                    local $! = $err;
                    $self->_closed($c, $err ? "error: $!" : 'hangup');
                }
            }
        }
        last if time >= $deadline;
    }
    return $self->count_open;
}

# Close one connection from this side; with $reset by RST (SO_LINGER 0).
sub close_one {
    my ($self, $c, $reset) = @_;
    return unless $c->{sock};
    setsockopt($c->{sock}, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0)) if $reset;
    $c->{state} = 'done';
    $c->{closed_at} //= time;
    $c->{why} //= $reset ? 'reset by client' : 'closed by client';
    close $c->{sock};
    $c->{sock} = undef;
}

# Close every connection still open; with reset => 1 by RST (SO_LINGER 0).
sub close_all {
    my ($self, %o) = @_;
    for my $c ($self->open_conns) {
        setsockopt($c->{sock}, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0)) if $o{reset};
        $c->{state} = 'done';
        close $c->{sock};
        $c->{sock} = undef;
    }
}

sub DESTROY { local ($!, $@, $?); $_[0]->close_all }

1;
