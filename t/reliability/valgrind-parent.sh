#!/bin/sh
# t/reliability/valgrind-parent.sh [MPM...]
#
# The parent process under valgrind (memcheck) across restarts: apache2
# -DFOREGROUND under valgrind with one of our MPMs (default: all three; a
# stock MPM name works too, for comparison), VALGRIND_RESTARTS graceful
# restarts (default 10) and two plain restarts with a few requests between
# them, then a stop. The parent's valgrind log must show no "definitely
# lost" block and no invalid access (read, write, free, use of uninitialised
# values) with our module in its stack. Findings outside our module (httpd,
# APR, other modules) are counted and printed but do not fail the run.
#
# Not part of CI (it takes a minute or two per MPM: every forked child runs
# under valgrind too, silently). Loopback only, bounded in time; the
# scratch directory is $MPMCXX_SCRATCH/valgrind/<MPM> (default
# /tmp/mpmcxx-valgrind/<MPM>); logs are kept there.
#
# Last line: "N passed, N failed" (one per MPM).

set -u
here=$(cd "$(dirname "$0")" && pwd)
t_dir=$(dirname "$here")
repo=$(dirname "$t_dir")
HTTPD=${MPMCXX_HTTPD:-/usr/sbin/apache2}
MODS=${MPMCXX_MODULES:-$repo/build/modules}
STOCK=/usr/lib/apache2/modules
RESTARTS=${VALGRIND_RESTARTS:-10}
base=${MPMCXX_SCRATCH:-/tmp/mpmcxx-valgrind}
[ -n "${MPMCXX_SCRATCH:-}" ] && base="$MPMCXX_SCRATCH/valgrind"
passed=0
failed=0

command -v valgrind >/dev/null 2>&1 || { echo "valgrind-parent: valgrind not installed (apt-get install valgrind)"; echo "0 passed, 1 failed"; exit 1; }
command -v curl >/dev/null 2>&1 || { echo "valgrind-parent: curl not installed"; echo "0 passed, 1 failed"; exit 1; }

free_port() {
    perl -MIO::Socket::INET -e 'for (1..200) { my $p = 33000 + int rand 8000;
        my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $p, Listen => 1, ReuseAddr => 1)
            or next; close $s; print $p; exit 0 } exit 1'
}

# count of "resuming normal operations" lines: one per generation started
generations() { n=$(grep -c 'resuming normal operations' "$1" 2>/dev/null); echo "${n:-0}"; }

wait_generations() {  # log wanted timeout
    local w=0
    while [ "$(generations "$1")" -lt "$2" ]; do
        w=$((w + 1)); [ "$w" -gt $(($3 * 10)) ] && return 1
        sleep 0.1
    done
    return 0
}

wait_http() {  # port timeout
    local w=0
    while ! curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$1/small.txt"; do
        w=$((w + 1)); [ "$w" -gt $(($2 * 2)) ] && return 1
        sleep 0.5
    done
    return 0
}

run_one() {
    mpm=$1
    case "$mpm" in
        *_cxx) so="$MODS/mod_mpm_$mpm.so"; ours=1 ;;
        *) so="$STOCK/mod_mpm_$mpm.so"; ours=0 ;;
    esac
    [ -f "$so" ] || { echo "valgrind-parent: $so not found"; return 1; }
    dir="$base/$mpm"
    rm -rf "$dir"
    mkdir -p "$dir/logs" "$dir/conf"
    chmod 755 "$base" "$dir" "$dir/logs" 2>/dev/null
    cp "$so" "$dir/"
    port=$(free_port) || { echo "valgrind-parent: no free port"; return 1; }
    user_lines=""
    if [ "$(id -u)" = 0 ]; then
        u=${MPMCXX_TEST_USER:-mpmtest}
        id "$u" >/dev/null 2>&1 || u=nobody
        g=$(id -gn "$u")
        user_lines="User $u
Group $g"
    fi
    case "$mpm" in
        prefork*) sizing="StartServers 2
MinSpareServers 1
MaxSpareServers 3
MaxRequestWorkers 4" ;;
        *) sizing="StartServers 1
ThreadsPerChild 4
MinSpareThreads 2
MaxSpareThreads 8
MaxRequestWorkers 8
ServerLimit 4" ;;
    esac
    cat > "$dir/conf/httpd.conf" <<EOF
ServerRoot "$dir"
LoadModule mpm_${mpm}_module "$dir/mod_mpm_$mpm.so"
LoadModule authz_core_module "$STOCK/mod_authz_core.so"
LoadModule mime_module "$STOCK/mod_mime.so"
LoadModule status_module "$STOCK/mod_status.so"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
$user_lines
PidFile "$dir/logs/httpd.pid"
ErrorLog "$dir/logs/error_log"
LogLevel info
DefaultRuntimeDir "$dir/logs"
TypesConfig /etc/mime.types
DocumentRoot "$t_dir/htdocs"
<Directory "$t_dir/htdocs">
    Require all granted
</Directory>
<Location /server-status>
    SetHandler server-status
</Location>
$sizing
EOF
    echo "valgrind-parent: $mpm on 127.0.0.1:$port, $RESTARTS graceful + 2 plain restarts (logs in $dir)"
    # -DFOREGROUND: no detach, so valgrind's pid is the parent's; in a process
    # group of its own, since a prefork parent signals its whole group on
    # stop and restart
    perl -e 'setpgrp(0, 0); exec { $ARGV[0] } @ARGV or die "exec: $!"' \
      valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
        --keep-debuginfo=yes --num-callers=40 --trace-children=no --child-silent-after-fork=yes \
        --log-file="$dir/vg.%p.log" \
        "$HTTPD" -d "$dir" -f "$dir/conf/httpd.conf" -DFOREGROUND > "$dir/console.out" 2>&1 &
    vg=$!
    if ! wait_http "$port" 90; then
        echo "valgrind-parent: $mpm did not come up"; kill -KILL "$vg" 2>/dev/null; wait "$vg" 2>/dev/null
        tail -20 "$dir/logs/error_log" "$dir/console.out" 2>/dev/null
        return 1
    fi
    log="$dir/logs/error_log"
    gen=$(generations "$log")
    i=0
    ok=1
    while [ "$i" -lt $((RESTARTS + 2)) ]; do
        i=$((i + 1))
        sig=USR1
        [ "$i" -gt "$RESTARTS" ] && sig=HUP
        kill -"$sig" "$vg"
        gen=$((gen + 1))
        if ! wait_generations "$log" "$gen" 60; then
            echo "valgrind-parent: restart $i (SIG$sig) not done within 60 s"; ok=0; break
        fi
        wait_http "$port" 60 || { echo "valgrind-parent: not serving after restart $i"; ok=0; break; }
        for n in 1 2 3; do curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$port/big.txt"; done
    done
    kill -TERM "$vg"
    w=0
    while kill -0 "$vg" 2>/dev/null; do
        w=$((w + 1)); [ "$w" -gt 1200 ] && { echo "valgrind-parent: parent did not exit within 120 s"; kill -KILL "$vg"; ok=0; break; }
        sleep 0.1
    done
    wait "$vg" 2>/dev/null
    vlog="$dir/vg.$vg.log"
    [ -f "$vlog" ] || { echo "valgrind-parent: no valgrind log $vlog"; return 1; }
    # loss records and errors: blocks of lines from "==PID== <headline>" to the next empty record line
    perl -e '
        my ($file, $ours) = @ARGV;
        open my $fh, "<", $file or die;
        my (@recs, $cur);
        while (<$fh>) {
            s/^==\d+== ?//;
            if (/^\s*$/) { push @recs, $cur if $cur; $cur = undef; next }
            $cur .= $_;
        }
        push @recs, $cur if $cur;
        my ($lost_ours, $lost_all, $bad_ours, $bad_all) = (0, 0, 0, 0);
        my $mine = qr{mod_mpm_\w+_cxx\.so|\bmpmcxx::|/common/|/mod_mpm_\w+_cxx/};
        for my $r (@recs) {
            if ($r =~ /^(\d[\d,]*) bytes in [\d,]+ blocks are definitely lost/) {
                (my $b = $1) =~ s/,//g;
                $lost_all += $b;
                if ($ours && $r =~ $mine) { $lost_ours += $b; print "OURS (definitely lost):\n$r\n" }
            }
            elsif ($r =~ /^(Invalid (read|write|free)|Conditional jump or move depends on uninitialised|Use of uninitialised|Syscall param .* uninitialised|Mismatched free|Source and destination overlap)/) {
                $bad_all++;
                if ($ours && $r =~ $mine) { $bad_ours++; print "OURS (error):\n$r\n" }
            }
        }
        my ($summary) = join "", grep { /definitely lost:|ERROR SUMMARY/ } map { "$_\n" } split /\n/, join "", map { $_ // "" } @recs;
        printf "valgrind-parent: definitely lost: %d bytes in our module, %d bytes in all; invalid accesses: %d in our module, %d in all\n",
            $lost_ours, $lost_all, $bad_ours, $bad_all;
        exit(($lost_ours || $bad_ours) ? 1 : 0);
    ' "$vlog" "$ours" || ok=0
    grep -E "definitely lost:|ERROR SUMMARY" "$vlog" | sed 's/^==[0-9]*== */valgrind-parent:   /'
    [ "$ok" = 1 ]
}

mpms="$*"
[ -n "$mpms" ] || mpms="prefork_cxx worker_cxx event_cxx"
for m in $mpms; do
    if run_one "$m"; then
        echo "valgrind-parent: $m: PASS"; passed=$((passed + 1))
    else
        echo "valgrind-parent: $m: FAIL"; failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
