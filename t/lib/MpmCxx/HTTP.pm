package MpmCxx::HTTP;

# Small raw-socket HTTP/1.x client helpers with timeouts, used by the tests
# and by MpmCxx::Server. Everything talks to 127.0.0.1.

use strict;
use warnings;

use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time sleep);
use Errno qw(EINTR EAGAIN EWOULDBLOCK);

use Exporter 'import';

# a peer closing a connection must not kill a test with SIGPIPE
$SIG{PIPE} = 'IGNORE';
our @EXPORT_OK = qw(
    http_connect http_raw http_get parse_response parse_responses
    read_until_close read_all_until_close read_response slow_request keepalive_connections
);

sub http_connect {
    my ($port, %o) = @_;
    my $s = IO::Socket::INET->new(
        PeerAddr => $o{host} || '127.0.0.1',
        PeerPort => $port,
        Proto    => 'tcp',
        Timeout  => $o{timeout} || 5,
    );
    $s->autoflush(1) if $s;
    return $s;
}

# Read from $sock until EOF or timeout; returns (data, eof_seen, error).
sub read_until_close {
    my ($sock, $timeout) = @_;
    $timeout ||= 10;
    my $sel = IO::Select->new($sock);
    my $deadline = time + $timeout;
    my $buf = '';
    while (1) {
        my $left = $deadline - time;
        return ($buf, 0, 'timeout') if $left <= 0;
        my @r = $sel->can_read($left);
        next unless @r;
        my $n = sysread($sock, $buf, 65536, length $buf);
        if (!defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            return ($buf, 1, "$!");
        }
        return ($buf, 1, undef) if $n == 0;
    }
}

# Read all of @$socks at once until the server closes each (an error counts
# as closed) or $timeout seconds have passed; every socket is closed on
# return. One hashref per socket, in order: {data, closed (1 if the server
# closed it), at (seconds from the call to that close), error (the read
# error that ended it, if one did)}.
sub read_all_until_close {
    my ($socks, $timeout) = @_;
    my $t0 = time;
    my @out = map { { data => '', closed => 0 } } @$socks;
    my %of  = map { ($socks->[$_] => $out[$_]) } 0 .. $#$socks;
    my $sel = IO::Select->new(@$socks);
    while ($sel->count && (my $left = $t0 + $timeout - time) > 0) {
        for my $s ($sel->can_read($left)) {
            my $o = $of{$s};
            my $n = sysread($s, $o->{data}, 65536, length $o->{data});
            next if !defined $n && ($! == EINTR || $! == EAGAIN);
            next if $n;
            $o->{error} = "$!" if !defined $n;
            @$o{qw(closed at)} = (1, time - $t0);
            $sel->remove($s);
            close $s;
        }
    }
    close $_ for $sel->handles;
    return @out;
}

# Send $raw on a new connection and read until the server closes it.
# Returns the raw bytes read (undef if the connection failed).
sub http_raw {
    my ($port, $raw, %o) = @_;
    my $s = http_connect($port, %o) or return;
    print $s $raw;
    shutdown($s, 1) if $o{half_close};
    my ($data) = read_until_close($s, $o{timeout} || 10);
    close $s;
    return $data;
}

# Parse one response at the start of $buf. Handles Content-Length, chunked and
# read-until-close bodies (the last only when $eof says the stream ended).
# $head_only: the request was HEAD (no body whatever the headers say).
# Returns (hashref, bytes consumed) or () if incomplete.
sub parse_one {
    my ($buf, $eof, $head_only) = @_;
    my $he = index($buf, "\r\n\r\n");
    return () if $he < 0;
    my $head = substr($buf, 0, $he);
    my @lines = split /\r\n/, $head;
    my $sl = shift @lines;
    my ($proto, $code, $msg) = $sl =~ m{^(HTTP/\d\.\d)\s+(\d{3})\s*(.*)$}
        or return ({ status => 0, status_line => $sl, error => 'bad status line',
                     headers => {}, body => '' }, length $buf);
    my (%h, @hl);
    for my $l (@lines) {
        my ($k, $v) = $l =~ /^([^:]+):\s*(.*)$/ or next;
        push @hl, [$k, $v];
        my $lk = lc $k;
        $h{$lk} = exists $h{$lk} ? "$h{$lk}, $v" : $v;
    }
    my $pos = $he + 4;
    my $r = { protocol => $proto, status => $code + 0, message => $msg,
              status_line => $sl, headers => \%h, header_list => \@hl };
    if ($head_only || $code == 204 || $code == 304 || $code < 200) {
        $r->{body} = '';
        return ($r, $pos);
    }
    if (($h{'transfer-encoding'} || '') =~ /chunked/i) {
        my $body = '';
        my $p = $pos;
        while (1) {
            my $le = index($buf, "\r\n", $p);
            return () if $le < 0;
            my ($len) = substr($buf, $p, $le - $p) =~ /^([0-9a-fA-F]+)/;
            return ({ %$r, body => $body, error => 'bad chunk' }, length $buf)
                unless defined $len;
            $len = hex $len;
            $p = $le + 2;
            if ($len == 0) {
                # trailers up to an empty line
                my $te = index($buf, "\r\n", $p);
                while ($te >= 0 && $te != $p) {
                    $p = $te + 2;
                    $te = index($buf, "\r\n", $p);
                }
                return () if $te < 0;
                $r->{body} = $body;
                return ($r, $te + 2);
            }
            return () if length($buf) < $p + $len + 2;
            $body .= substr($buf, $p, $len);
            $p += $len + 2;
        }
    }
    if (defined $h{'content-length'}) {
        my $len = $h{'content-length'} + 0;
        if (length($buf) < $pos + $len) {
            return () unless $eof;
            $r->{body} = substr($buf, $pos);
            $r->{incomplete} = 1;
            return ($r, length $buf);
        }
        $r->{body} = substr($buf, $pos, $len);
        return ($r, $pos + $len);
    }
    return () unless $eof;
    $r->{body} = substr($buf, $pos);
    return ($r, length $buf);
}

sub parse_response {
    my ($buf, %o) = @_;
    return unless defined $buf;
    my ($r) = parse_one($buf, 1, $o{head});
    return $r;
}

# Parse all consecutive responses in $buf (pipelining); @head says which of
# them answered a HEAD request (by index).
sub parse_responses {
    my ($buf, %o) = @_;
    my @out;
    my $i = 0;
    my %head = map { $_ => 1 } @{ $o{head} || [] };
    while (length $buf) {
        my ($r, $used) = parse_one($buf, 1, $head{$i});
        last unless $r;
        push @out, $r;
        substr($buf, 0, $used) = '';
        $i++;
    }
    return @out;
}

# Read exactly one response from a persistent connection (keeps extra bytes
# in $$pending). Returns the response or undef (with $@ set) on EOF/timeout.
sub read_response {
    my ($sock, %o) = @_;
    my $pending = $o{pending} || \(my $x = '');
    my $timeout = $o{timeout} || 10;
    my $sel = IO::Select->new($sock);
    my $deadline = time + $timeout;
    my $eof = 0;
    while (1) {
        my ($r, $used) = parse_one($$pending, $eof, $o{head});
        if ($r) {
            substr($$pending, 0, $used) = '';
            if ($r->{incomplete}) {
                $@ = 'connection closed mid-response';
                return;
            }
            return $r;
        }
        if ($eof) {
            $@ = length($$pending) ? 'connection closed mid-response' : 'connection closed';
            return;
        }
        my $left = $deadline - time;
        if ($left <= 0) { $@ = 'timeout'; return }
        next unless $sel->can_read($left);
        my $n = sysread($sock, $$pending, 65536, length $$pending);
        if (!defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            $@ = "read error: $!";
            $eof = 1;
            next;
        }
        $eof = 1 if $n == 0;
    }
}

# GET (or HEAD) on a fresh connection, HTTP/1.0 by default, closing after.
# Returns a response hashref (status 0 and {error} on failure).
sub http_get {
    my ($port, $path, %o) = @_;
    my $method = $o{method} || 'GET';
    my $ver = $o{version} || '1.0';
    my $req = "$method $path HTTP/$ver\r\nHost: " . ($o{host_header} || "127.0.0.1:$port") . "\r\n";
    $req .= "Connection: close\r\n" if $ver eq '1.1';
    for my $k (sort keys %{ $o{headers} || {} }) {
        $req .= "$k: $o{headers}{$k}\r\n";
    }
    $req .= "\r\n";
    my $s = http_connect($port, timeout => $o{connect_timeout} || 5);
    return { status => 0, error => "connect: $!", headers => {}, body => '' } unless $s;
    print $s $req;
    my ($data, $eof, $err) = read_until_close($s, $o{timeout} || 10);
    close $s;
    my $r = parse_response($data, head => $method eq 'HEAD');
    return $r if $r;
    return { status => 0, error => ($err || 'no response') . " (" . length($data) . " bytes)",
             headers => {}, body => '', raw => $data };
}

# Opens $n connections, one after the other, each with one HTTP/1.1 request
# answered 200 and left open (keep-alive). Returns the sockets that got there.
# path: what to ask for (/small.txt); gap: seconds between two connections.
sub keepalive_connections {
    my ($port, $n, %o) = @_;
    my $path = $o{path} || '/small.txt';
    my @ka;
    for (1 .. $n) {
        my $s = http_connect($port) or next;
        print $s "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        my $r = read_response($s, timeout => 5);
        push @ka, $s if $r && $r->{status} == 200;
        sleep $o{gap} if $o{gap};
    }
    return @ka;
}

# Start a request to /probe/sleep and return once its first body line has
# arrived (so the request is known to be in flight in a server process).
# Returns an object with ->finish(timeout) giving the parsed response.
sub slow_request {
    my ($port, $ms, %o) = @_;
    my $path = $o{path} || "/probe/sleep?ms=$ms";
    my $s = http_connect($port) or return;
    print $s "GET $path HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    my $sel = IO::Select->new($s);
    my $buf = '';
    my $deadline = time + ($o{timeout} || 10);
    while (index($buf, "sleeping\n") < 0) {
        my $left = $deadline - time;
        last if $left <= 0;
        next unless $sel->can_read($left);
        my $n = sysread($s, $buf, 65536, length $buf);
        if (!defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            last;
        }
        last if $n == 0;
    }
    return bless { sock => $s, buf => $buf, started => index($buf, "sleeping\n") >= 0 },
        'MpmCxx::HTTP::Slow';
}

package MpmCxx::HTTP::Slow;

sub started { $_[0]{started} }

sub finish {
    my ($self, $timeout) = @_;
    my ($data, $eof, $err) = MpmCxx::HTTP::read_until_close($self->{sock}, $timeout || 30);
    close $self->{sock};
    my $all = $self->{buf} . $data;
    my $r = MpmCxx::HTTP::parse_response($all);
    $r ||= { status => 0, headers => {}, body => '' };
    $r->{raw} = $all;
    $r->{read_error} = $err;
    return $r;
}

1;
