#pragma once
// Signals in a single-threaded child (prefork, and every MPM's one-process mode).
//
// Handlers only record the request, wake the child's event loop through an eventfd and, for an
// immediate stop during a connection, shut the connection's socket down so blocking I/O returns at once.
// The child then exits from its main loop, running pool cleanups in normal context. (Stock prefork runs
// all cleanups inside the SIGTERM handler, which can deadlock if the signal lands inside malloc.) A child
// that does not come back within kImmediateGrace (a handler computing, or waiting on a backend) gets the
// stock treatment from a timer signal: the MPM's last-resort exit.

#include <csignal>

#include "common/base/httpd.h"

namespace mpmcxx::child_signals {

enum class Stop : int {
    none = 0,
    graceful = 1,   // finish the current connection (keep-alive safely), then exit
    immediate = 2,  // exit now
};

inline constexpr long kImmediateGraceMicros = 200 * 1000;

// Forked child: SIGTERM/SIGHUP stop now, SIGUSR1 (AP_SIG_GRACEFUL) stops gracefully, SIGINT is ignored
// (a ^C in a foreground terminal also reaches the children; the parent decides), SIGCHLD is default.
void install_child(int wake_fd) noexcept;

// One-process mode (-X, -DONE_PROCESS): the process is parent and child. SIGTERM/SIGINT/SIGHUP stop the
// server now, SIGWINCH/SIGUSR1 stop it gracefully (restarts need a parent). The request is also recorded
// in httpd's retained flags so the run hook reports a shutdown.
void install_one_process(int wake_fd, ap_unixd_mpm_retained_data* mpm) noexcept;

Stop pending() noexcept;

// What an immediate stop does when the grace period expires (runs in a signal handler, must not return).
using LastResort = void (*)();
void set_last_resort(LastResort fn) noexcept;

// The child came back from its connection in time: cancel the last resort, it exits normally.
void cancel_last_resort() noexcept;

// Requests from the child's own logic (pipe of death, MaxConnectionsPerChild, generation change).
void request(Stop s) noexcept;

// The socket of the connection being served (-1 between connections): an immediate stop shuts it down.
void set_connection_fd(int fd) noexcept;

// The child's scoreboard entry. With it, a graceful stop also ends a wait for the next request on a
// keep-alive connection once it has lasted kDrainKeepAliveCap (common/lifecycle/keepalive_cap.h), from a
// timer signal: otherwise the child would stay until KeepAliveTimeout.
void set_keepalive_watch(const worker_score* ws) noexcept;

}  // namespace mpmcxx::child_signals
