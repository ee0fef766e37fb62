#include "common/process/child_signals.h"

#include "common/lifecycle/keepalive_cap.h"

#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <initializer_list>

namespace mpmcxx::child_signals {
namespace {

// Signal-handler state: trivial, constant-initialized, lock-free.
constinit volatile std::sig_atomic_t g_stop = 0;
constinit volatile std::sig_atomic_t g_wake_fd = -1;
constinit volatile std::sig_atomic_t g_conn_fd = -1;
constinit ap_unixd_mpm_retained_data* volatile g_mpm = nullptr;
constinit volatile LastResort g_last_resort = nullptr;
constinit const volatile worker_score* volatile g_ws = nullptr;
constinit volatile unsigned long g_cap_requests = 0;

void arm_timer(long micros) noexcept
{
    itimerval t{};
    t.it_value.tv_sec = micros / 1000000;
    t.it_value.tv_usec = micros % 1000000;
    ::setitimer(ITIMER_REAL, &t, nullptr);
}

constexpr long kCapMicros =
    static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(kDrainKeepAliveCap).count());

// Graceful stop during a connection: look at its keep-alive wait every kDrainKeepAliveCap; a wait that
// spans a whole period (same request count, still waiting) is ended by shutting the reading side down.
void keepalive_cap_tick() noexcept
{
    int fd = g_conn_fd;
    const volatile worker_score* ws = g_ws;
    if (fd < 0 || ws == nullptr) {
        return;  // between connections: the child's loop sees the stop
    }
    unsigned long requests = ws->access_count;
    if (ws->status == SERVER_BUSY_KEEPALIVE && requests == g_cap_requests) {
        ::shutdown(fd, SHUT_RD);
        return;
    }
    g_cap_requests = requests;
    arm_timer(kCapMicros);
}

void wake() noexcept
{
    int fd = g_wake_fd;
    if (fd >= 0) {
        int saved = errno;
        std::uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
        errno = saved;
    }
}

void raise_to(Stop s) noexcept
{
    if (g_stop < static_cast<std::sig_atomic_t>(s)) {
        g_stop = static_cast<std::sig_atomic_t>(s);
    }
}

extern "C" void on_alarm(int)
{
    if (g_stop != static_cast<std::sig_atomic_t>(Stop::immediate)) {
        int saved = errno;
        keepalive_cap_tick();
        errno = saved;
        return;
    }
    if (LastResort fn = g_last_resort) {
        fn();
    }
    ::_exit(0);
}

void arm_grace_timer() noexcept { arm_timer(kImmediateGraceMicros); }

extern "C" void on_immediate(int sig)
{
    raise_to(Stop::immediate);
    if (ap_unixd_mpm_retained_data* mpm = g_mpm) {
        mpm->mpm_state = AP_MPMQ_STOPPING;
        mpm->shutdown_pending = 1;
        mpm->is_ungraceful = 1;
    }
    int fd = g_conn_fd;
    if (fd >= 0) {
        int saved = errno;
        ::shutdown(fd, SHUT_RDWR);
        arm_grace_timer();
        errno = saved;
    }
    wake();
    (void)sig;
}

extern "C" void on_graceful(int)
{
    bool first = g_stop == static_cast<std::sig_atomic_t>(Stop::none);
    raise_to(Stop::graceful);
    if (ap_unixd_mpm_retained_data* mpm = g_mpm) {
        mpm->shutdown_pending = 1;
    }
    if (first && g_ws != nullptr && g_conn_fd >= 0) {
        int saved = errno;
        g_cap_requests = g_ws->access_count;
        arm_timer(kCapMicros);
        errno = saved;
    }
    wake();
}

void set_handler(int sig, void (*fn)(int)) noexcept
{
    struct sigaction sa {};
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    // No SA_RESTART: a blocking call that is not ours (poll inside APR, accept) should see EINTR.
    sa.sa_flags = 0;
    ::sigaction(sig, &sa, nullptr);
}

void unblock_stop_signals() noexcept
{
    // The parent blocks these across fork() (common/supervise/supervisor.cpp): anything that arrived
    // since is delivered now, to our handlers.
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGHUP, SIGTERM, SIGINT, AP_SIG_GRACEFUL, AP_SIG_GRACEFUL_STOP}) {
        sigaddset(&set, sig);
    }
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace

void install_child(int wake_fd) noexcept
{
    g_wake_fd = wake_fd;
    g_mpm = nullptr;
    set_handler(SIGTERM, on_immediate);
    set_handler(SIGHUP, on_immediate);
    set_handler(AP_SIG_GRACEFUL, on_graceful);
    set_handler(SIGALRM, on_alarm);
    set_handler(SIGINT, SIG_IGN);
    set_handler(SIGCHLD, SIG_DFL);
    set_handler(AP_SIG_GRACEFUL_STOP, SIG_DFL);
    unblock_stop_signals();
}

void install_one_process(int wake_fd, ap_unixd_mpm_retained_data* mpm) noexcept
{
    g_wake_fd = wake_fd;
    g_mpm = mpm;
    set_handler(SIGTERM, on_immediate);
    set_handler(SIGINT, on_immediate);
    set_handler(SIGHUP, on_immediate);
    set_handler(AP_SIG_GRACEFUL_STOP, on_graceful);
    set_handler(AP_SIG_GRACEFUL, on_graceful);
    set_handler(SIGALRM, on_alarm);
    unblock_stop_signals();
}

Stop pending() noexcept { return static_cast<Stop>(g_stop); }

void request(Stop s) noexcept { raise_to(s); }

void set_last_resort(LastResort fn) noexcept { g_last_resort = fn; }

void set_keepalive_watch(const worker_score* ws) noexcept { g_ws = ws; }

void cancel_last_resort() noexcept
{
    itimerval off{};
    ::setitimer(ITIMER_REAL, &off, nullptr);
    g_last_resort = nullptr;
}

void set_connection_fd(int fd) noexcept { g_conn_fd = fd; }

}  // namespace mpmcxx::child_signals
