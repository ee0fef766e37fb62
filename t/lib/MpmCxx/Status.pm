package MpmCxx::Status;

# Fetch and parse mod_status "?auto" output.
#
#   my $st = MpmCxx::Status::fetch($port) or die;   # hashref
#   $st->{ServerMPM}, $st->{IdleWorkers}, $st->{BusyWorkers},
#   $st->{ParentServerConfigGeneration}, $st->{ParentServerMPMGeneration},
#   $st->{Scoreboard} (string), $st->{counts}{'_'} (per glyph counts)

use strict;
use warnings;

use MpmCxx::HTTP qw(http_get);

use Exporter 'import';
our @EXPORT_OK = qw(fetch_status parse_status scoreboard_ok);

# Glyphs mod_status uses in the Scoreboard line (see mod_status.c), plus ' '
# for slots beyond the configured limits.
our $GLYPHS = '._SRWKDCLGI ';

sub parse_status {
    my ($text) = @_;
    my %s;
    for my $line (split /\n/, $text) {
        $line =~ s/\r$//;
        next unless $line =~ /^([A-Za-z][\w ]*?):\s?(.*)$/;
        $s{$1} = $2;
    }
    if (defined $s{Scoreboard}) {
        my %c;
        $c{$_}++ for split //, $s{Scoreboard};
        $s{counts} = \%c;
    }
    $s{raw} = $text;
    return \%s;
}

sub fetch_status {
    my ($port, %o) = @_;
    my $r = http_get($port, '/server-status?auto', timeout => $o{timeout} || 10);
    return unless $r->{status} == 200;
    return parse_status($r->{body});
}

# True if every character of the scoreboard is a known glyph.
sub scoreboard_ok {
    my ($sb) = @_;
    return defined $sb && length $sb && $sb =~ /^[\Q$GLYPHS\E]+$/;
}

1;
