#!/bin/sh
# apache2 with the sanitizer runtime preloaded: our ASan/UBSan (or TSan) modules need it loaded first.
# Reports go to $MPMCXX_SAN_DIR (build/run-tests.sh counts them). Selected by SAN=1 / SAN=thread.
dir=${MPMCXX_SAN_DIR:-/tmp/mpmcxx-san}
case "${MPMCXX_SAN:-1}" in
    thread) rt=$(gcc -print-file-name=libtsan.so)
            # report_thread_leaks=0: a child stopping immediately exits without joining worker threads
            # still inside module code (by design, CXX90040); TSan would count each as a leak.
            export TSAN_OPTIONS="log_path=$dir/tsan:halt_on_error=0:second_deadlock_stack=1:report_thread_leaks=0${TSAN_OPTIONS:+:$TSAN_OPTIONS}" ;;
    *)      rt=$(gcc -print-file-name=libasan.so)
            export ASAN_OPTIONS="log_path=$dir/asan:detect_leaks=0:abort_on_error=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
            export UBSAN_OPTIONS="log_path=$dir/ubsan:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" ;;
esac
LD_PRELOAD="$rt${LD_PRELOAD:+ $LD_PRELOAD}" exec /usr/sbin/apache2 "$@"
