#!/usr/bin/perl
# A small CGI script for the integration tests: echoes some CGI variables,
# the request body size and digest, and its own process ids.
use strict;
use warnings;
use Digest::MD5 qw(md5_hex);

my $body = '';
if (($ENV{CONTENT_LENGTH} || 0) > 0) {
    read(STDIN, $body, $ENV{CONTENT_LENGTH});
} elsif (($ENV{HTTP_TRANSFER_ENCODING} // '') =~ /chunked/i) {
    local $/;
    $body = <STDIN> // '';  # httpd de-chunks it and ends it with EOF
}
print "Content-Type: text/plain\r\n";
print "X-CGI-Pid: $$\r\n";
print "\r\n";
print "cgi ok\n";
for my $k (qw(GATEWAY_INTERFACE SERVER_PROTOCOL REQUEST_METHOD QUERY_STRING SCRIPT_NAME
              SERVER_SOFTWARE REMOTE_ADDR)) {
    print "$k=", ($ENV{$k} // ''), "\n";
}
print "BODY_LENGTH=", length($body), "\n";
print "BODY_MD5=", md5_hex($body), "\n";
print "PID=$$\n";
print "PPID=", getppid(), "\n";
print "UID=$<\n";
print "EUID=$>\n";
