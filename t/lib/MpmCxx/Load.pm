package MpmCxx::Load;

# Bounded concurrent HTTP/1.1 load with exact accounting.
#
#   my $load = MpmCxx::Load->start(
#       port      => $port,        # or ports => [..] (clients spread round-robin)
#       clients   => 50,           # concurrent connections
#       keepalive => 1,            # 0: a new connection per request
#       duration  => 8,            # seconds to keep issuing requests
#       max_requests => 100000,    # hard cap on requests started
#       path      => '/small.txt', # or paths => [...]
#       think_ms  => 0,            # pause between requests of one client
#                                  # (an arrayref: per client, round-robin)
#       reconnect => 1,            # 0: a client stops once its connection ends
#   );
#   ...signal the server...
#   my $res = $load->wait(30);     # hashref, see below
#
# The load runs in a forked process (one event loop over all connections with
# non-blocking sockets), so the test can act on the server meanwhile.
#
# Accounting, per request:
#  ok       a complete response with status 200 and the expected body length
#  failed   anything else: connect error, connection closed or reset while the
#           request was in flight (sent, response incomplete), timeout, non-200
# A connection closed by the server after a response carrying
# "Connection: close" is fine (counted in close_responses; the client
# reconnects). In keep-alive mode the next request is written as soon as the
# previous response is complete, so a server that closes a keep-alive
# connection without announcing it makes that next request fail. An EOF while
# a client is idle (only possible with think_ms) is counted as idle_closes.
#
# Result keys: ok, failed, requests, close_responses, connections,
# idle_closes, errors => {reason => count}, first_errors => [text...],
# elapsed, status_counts => {code => n}, port_ok => {port => ok count}.

use strict;
use warnings;

use POSIX qw(:sys_wait_h);
use Socket qw(PF_INET SOCK_STREAM SOL_SOCKET SO_ERROR IPPROTO_TCP TCP_NODELAY
              inet_aton pack_sockaddr_in);
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use Errno qw(EINPROGRESS EAGAIN EWOULDBLOCK EINTR);
use Time::HiRes qw(time sleep);
use File::Temp qw(tempfile);

use MpmCxx::Env qw(tmp_dir);

my @RUNNING;

sub start {
    my ($class, %o) = @_;
    my ($fh, $file) = tempfile('load-XXXXXX', DIR => tmp_dir(), UNLINK => 0);
    close $fh;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        $SIG{ALRM} = sub { POSIX::_exit(3) };
        $SIG{TERM} = 'DEFAULT';
        $SIG{PIPE} = 'IGNORE';
        alarm(int(($o{duration} || 5) + ($o{request_timeout} || 10) + 30));
        my $res = eval { run_loop(%o) };
        $res ||= { ok => 0, failed => 1, errors => { "load client died: $@" => 1 } };
        if (open my $out, '>', "$file.tmp") {
            print $out serialize($res);
            close $out;
            rename "$file.tmp", $file;
        }
        POSIX::_exit(0);
    }
    my $self = bless { pid => $pid, file => $file, opts => \%o, started => time }, $class;
    push @RUNNING, $self;
    return $self;
}

sub run {
    my ($class, %o) = @_;
    my $l = $class->start(%o);
    return $l->wait(($o{duration} || 5) + ($o{request_timeout} || 10) + 20);
}

sub wait {
    my ($self, $timeout) = @_;
    $timeout //= ($self->{opts}{duration} || 5) + 40;
    my $deadline = time + $timeout;
    while (1) {
        my $r = waitpid($self->{pid}, WNOHANG);
        last if $r == $self->{pid} || $r < 0;
        if (time > $deadline) {
            kill 'KILL', $self->{pid};
            waitpid($self->{pid}, 0);
            last;
        }
        sleep 0.05;
    }
    @RUNNING = grep { $_ != $self } @RUNNING;
    my $res;
    if (open my $in, '<', $self->{file}) {
        local $/;
        $res = deserialize(<$in>);
        close $in;
    }
    unlink $self->{file};
    $res ||= { ok => 0, failed => 1, errors => { 'load client produced no result' => 1 },
               requests => 0 };
    $self->{result} = $res;
    return $res;
}

END {
    for my $l (@RUNNING) {
        kill 'KILL', $l->{pid};
        waitpid($l->{pid}, 0);
        unlink $l->{file};
    }
}

# Short text for test names / diag.
sub summary {
    my ($res) = @_;
    my $s = sprintf "ok=%d failed=%d requests=%d connections=%d close_responses=%d idle_closes=%d elapsed=%.1fs",
        map { $res->{$_} // 0 } qw(ok failed requests connections close_responses idle_closes elapsed);
    if (%{ $res->{errors} || {} }) {
        $s .= "; errors: " . join(', ', map { "$_ x$res->{errors}{$_}" } sort keys %{ $res->{errors} });
    }
    return $s;
}

sub serialize {
    my ($h) = @_;
    my $t = '';
    for my $k (sort keys %$h) {
        my $v = $h->{$k};
        if (ref $v eq 'HASH') {
            $t .= "H\t$k\t$_\t$v->{$_}\n" for sort keys %$v;
        }
        elsif (ref $v eq 'ARRAY') {
            $t .= "A\t$k\t$_\n" for @$v;
        }
        else {
            $t .= "S\t$k\t$v\n";
        }
    }
    return $t;
}

sub deserialize {
    my ($t) = @_;
    return unless defined $t && length $t;
    my %h;
    for my $line (split /\n/, $t) {
        my @f = split /\t/, $line, 4;
        if ($f[0] eq 'H') { $h{ $f[1] }{ $f[2] } = $f[3] }
        elsif ($f[0] eq 'A') { push @{ $h{ $f[1] } }, $f[2] }
        elsif ($f[0] eq 'S') { $h{ $f[1] } = $f[2] }
    }
    $h{errors} ||= {};
    return \%h;
}

# ---------------------------------------------------------------------------
# the event loop (runs in the forked process)

sub run_loop {
    my %o = @_;
    my @ports = $o{ports} ? @{ $o{ports} } : ($o{port});
    my $nclients = $o{clients} || 10;
    my $ka = $o{keepalive} // 1;
    my $duration = $o{duration} || 5;
    my $max_req = $o{max_requests} || 1_000_000;
    my @paths = $o{paths} ? @{ $o{paths} } : ($o{path} || '/');
    my @think = map { ($_ || 0) / 1000 } (ref $o{think_ms} ? @{ $o{think_ms} } : ($o{think_ms}));
    my $rto = $o{request_timeout} || 10;
    my $expect_len = $o{expect_length};    # optional body length check
    my $reconnect = $o{reconnect} // 1;

    my %res = (ok => 0, failed => 0, requests => 0, close_responses => 0,
               connections => 0, idle_closes => 0, errors => {}, status_counts => {},
               port_ok => {},
               first_errors => []);
    my $t0 = time;
    my $stop_at = $t0 + $duration;
    my $started = 0;

    my $fail = sub {
        my ($c, $why) = @_;
        $res{failed}++;
        $res{errors}{$why}++;
        if (@{ $res{first_errors} } < 10) {
            push @{ $res{first_errors} },
                sprintf("%.3fs client %d port %d req#%d on conn: %s", time - $t0, $c->{id},
                        $c->{port}, $c->{nreq}, $why);
        }
    };

    my @cl = map { { id => $_, port => $ports[$_ % @ports], state => 'new', nreq => 0,
                     next_at => $t0, think => $think[$_ % @think] } } 0 .. $nclients - 1;

    my $close = sub {
        my ($c) = @_;
        close $c->{sock} if $c->{sock};
        $c->{sock} = undef;
        $c->{state} = $reconnect ? 'new' : 'done';
        $c->{nreq} = 0;
    };

    my $new_request = sub {
        my ($c) = @_;
        my $path = $paths[ $started % @paths ];
        $started++;
        $res{requests}++;
        $c->{head} = 0;
        $c->{wbuf} = "GET $path HTTP/1.1\r\nHost: 127.0.0.1:$c->{port}\r\nUser-Agent: mpmcxx-load\r\n"
            . ($ka ? '' : "Connection: close\r\n") . "\r\n";
        $c->{rbuf} = '';
        $c->{deadline} = time + $rto;
        $c->{nreq}++;
        $c->{state} = $c->{sock} ? 'writing' : 'connecting';
    };

    my $connect = sub {
        my ($c) = @_;
        my $s;
        socket($s, PF_INET, SOCK_STREAM, 0) or do { $fail->($c, "socket: $!"); return 0 };
        my $fl = fcntl($s, F_GETFL, 0);
        fcntl($s, F_SETFL, $fl | O_NONBLOCK);
        setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
        my $addr = pack_sockaddr_in($c->{port}, inet_aton('127.0.0.1'));
        $res{connections}++;
        if (!connect($s, $addr)) {
            if ($! != EINPROGRESS && $! != EAGAIN) {
                $fail->($c, "connect: $!");
                close $s;
                return 0;
            }
        }
        $c->{sock} = $s;
        $c->{state} = 'connecting';
        return 1;
    };

    while (1) {
        my $now = time;
        my $issuing = $now < $stop_at && $started < $max_req;
        my ($rin, $win) = ('', '');
        my $active = 0;
        my $next_wake = $now + 0.2;
        for my $c (@cl) {
            next if $c->{state} eq 'done';
            if ($c->{state} eq 'new' || $c->{state} eq 'idle') {
                if ($issuing && $now >= $c->{next_at}) {
                    $new_request->($c);
                    if (!$c->{sock}) {
                        if (!$connect->($c)) {
                            $c->{state} = $reconnect ? 'new' : 'done';
                            $c->{next_at} = $now + 0.05;
                            next;
                        }
                    }
                }
                elsif ($c->{state} eq 'idle') {
                    # watch idle keep-alive connections for a server close
                    vec($rin, fileno($c->{sock}), 1) = 1;
                    $next_wake = $c->{next_at} if $issuing && $c->{next_at} < $next_wake;
                    next;
                }
                else {
                    $next_wake = $c->{next_at} if $issuing && $c->{next_at} < $next_wake;
                    next;
                }
            }
            $active++;
            if ($now > $c->{deadline}) {
                $fail->($c, "timeout in $c->{state}");
                $close->($c);
                $c->{next_at} = $now;
                next;
            }
            if ($c->{state} eq 'connecting' || $c->{state} eq 'writing') {
                vec($win, fileno($c->{sock}), 1) = 1;
            }
            else {
                vec($rin, fileno($c->{sock}), 1) = 1;
            }
            $next_wake = $c->{deadline} if $c->{deadline} < $next_wake;
        }
        last if !$issuing && !$active;
        last if !grep { $_->{state} ne 'done' } @cl;
        my $wait = $next_wake - time;
        $wait = 0 if $wait < 0;
        my ($rout, $wout);
        my $n = select($rout = $rin, $wout = $win, undef, $wait);
        next if $n <= 0;
        for my $c (@cl) {
            next unless $c->{sock};
            my $fd = fileno($c->{sock});
            if ($c->{state} eq 'connecting' && vec($wout, $fd, 1)) {
                my $err = unpack('i', getsockopt($c->{sock}, SOL_SOCKET, SO_ERROR) // pack('i', 0));
                if ($err) {
                    local $! = $err;
                    $fail->($c, "connect: $!");
                    $close->($c);
                    $c->{next_at} = time + 0.02;
                    next;
                }
                $c->{state} = 'writing';
            }
            if ($c->{state} eq 'writing' && (vec($wout, $fd, 1))) {
                my $w = syswrite($c->{sock}, $c->{wbuf});
                if (!defined $w) {
                    next if $! == EAGAIN || $! == EINTR;
                    $fail->($c, "write: $!");
                    $close->($c);
                    next;
                }
                substr($c->{wbuf}, 0, $w) = '';
                $c->{state} = 'reading' unless length $c->{wbuf};
                next;
            }
            if ($c->{state} eq 'idle' && vec($rout, $fd, 1)) {
                my $buf;
                my $r = sysread($c->{sock}, $buf, 4096);
                next if !defined $r && ($! == EAGAIN || $! == EINTR);
                if (!$r) {
                    $res{idle_closes}++;
                }
                else {
                    $fail->($c, "unexpected data on idle connection");
                }
                $close->($c);
                next;
            }
            if ($c->{state} eq 'reading' && vec($rout, $fd, 1)) {
                my $r = sysread($c->{sock}, $c->{rbuf}, 65536, length $c->{rbuf});
                if (!defined $r) {
                    next if $! == EAGAIN || $! == EINTR;
                    my $why = length $c->{rbuf} ? "read error mid-response: $!" : "read error before response: $!";
                    $why .= $c->{nreq} > 1 ? " (keep-alive request)" : " (first request)";
                    $fail->($c, $why);
                    $close->($c);
                    next;
                }
                my $eof = $r == 0;
                my ($resp, $used) = MpmCxx::HTTP::parse_one($c->{rbuf}, $eof, 0);
                if ($resp && !$resp->{incomplete}) {
                    $res{status_counts}{ $resp->{status} }++;
                    my $conn = lc($resp->{headers}{connection} || '');
                    my $closing = $conn =~ /close/ || $resp->{protocol} eq 'HTTP/1.0' && $conn !~ /keep-alive/;
                    if ($resp->{status} != 200) {
                        $fail->($c, "status $resp->{status}");
                    }
                    elsif (defined $expect_len && length($resp->{body}) != $expect_len) {
                        $fail->($c, "body length " . length($resp->{body}));
                    }
                    elsif ($used != length $c->{rbuf}) {
                        $fail->($c, "extra bytes after response");
                    }
                    else {
                        $res{ok}++;
                        $res{port_ok}{ $c->{port} }++;
                    }
                    if ($closing || !$ka || $eof) {
                        $res{close_responses}++ if $closing;
                        $close->($c);
                    }
                    else {
                        $c->{state} = 'idle';
                    }
                    $c->{next_at} = time + $c->{think};
                    next;
                }
                if ($eof) {
                    my $why = length $c->{rbuf} ? "connection closed mid-response" : "connection closed before response";
                    $why .= $c->{nreq} > 1 ? " (keep-alive request)" : " (first request)";
                    $fail->($c, $why);
                    $close->($c);
                    $c->{next_at} = time;
                }
            }
        }
    }
    $_->{sock} && close $_->{sock} for @cl;
    $res{elapsed} = sprintf '%.2f', time - $t0;
    return \%res;
}

require MpmCxx::HTTP;

1;
