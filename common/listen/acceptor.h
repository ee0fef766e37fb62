#pragma once
// A child's wait for work: one epoll set holding its bucket's listeners and the bucket's pipe of death
// (both with EPOLLEXCLUSIVE, so one connection or one pipe byte wakes one idle child, not all of them),
// plus the child's own wake-up eventfd (signals). This replaces stock's accept mutex and its dummy
// "wake-up" connections: serialisation across several Listen sockets is done by the kernel, and there is
// no lock file or SysV semaphore to leak.
//
// Listeners are non-blocking, so a child that lost the race for a connection goes back to waiting
// instead of blocking in accept() on one socket while another has clients.

#include <vector>

#include "common/base/fd.h"
#include "common/base/httpd.h"
#include "common/listen/relief_listeners.h"
#include "common/supervise/backoff.h"

namespace mpmcxx {

class Acceptor {
public:
    struct Wakeup {
        apr_socket_t* socket = nullptr;  // a new connection (allocated in the ptrans pool)
        bool pod = false;                // the pipe of death is readable
        bool signal = false;             // the wake-up fd fired or the wait was interrupted
        bool sick = false;               // an error the child should not survive (exit CHILDSICK)
        bool listeners_gone = false;     // the listeners were closed under us
    };

    // Throws std::system_error if the epoll set cannot be built.
    Acceptor(ap_listen_rec* listeners, int pod_fd, int wake_fd);

    // Waits up to timeout_ms (-1: no limit) and accepts at most one connection.
    Wakeup wait(apr_pool_t* ptrans, int timeout_ms) noexcept;

    // A child about to exit gracefully stops taking connections from here on.
    void close_listeners() noexcept;

    // Listeners of other buckets, not waited on: the child takes a connection from them only when the
    // parent sends it (bucket_relief.h), because their own bucket has nothing idle.
    void add_relief_listeners(ap_listen_rec* listeners) noexcept { relief_.add(listeners); }
    apr_socket_t* take_relief(apr_pool_t* ptrans) noexcept { return relief_.take(ptrans); }

private:
    void arm_listeners(bool on) noexcept;
    void accept_from(ap_listen_rec* lr, apr_pool_t* ptrans, Wakeup& out) noexcept;

    Fd epoll_;
    std::vector<ap_listen_rec*> listeners_;
    ReliefListeners relief_;
    int pod_fd_;
    int wake_fd_;
    bool armed_ = false;
    std::size_t next_ = 0;  // round-robin start among ready listeners
    Backoff shortage_;      // EMFILE/ENFILE/ENOBUFS: stop accepting for a while instead of spinning
};

}  // namespace mpmcxx
