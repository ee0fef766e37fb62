#pragma once
// The main thread of a threaded child waits here for the reason to stop: a byte on its bucket's pipe of
// death, a signal (read through a signalfd: every thread keeps all signals blocked, so no handler runs
// on a worker in the middle of module code), or a request from one of the child's own threads
// (MaxConnectionsPerChild, a listener that cannot go on).

#include <atomic>

#include "common/base/fd.h"

namespace mpmcxx {

enum class ChildStop : int { none = 0, graceful = 1, immediate = 2 };

class StopWatch {
public:
    // pod_fd < 0: no pipe of death (one-process mode). Throws std::system_error if it cannot be built.
    // In one-process mode SIGINT also stops (it is the console's ^C), else it is ignored like in stock
    // children.
    StopWatch(int pod_fd, bool one_process);

    // Blocks up to timeout_ms (-1: no limit); returns the strongest stop requested so far.
    ChildStop wait(int timeout_ms) noexcept;

    // From any thread of the child.
    void request(ChildStop s) noexcept;

    // A '+' on the pipe of death (the parent sends this child to another bucket's queue, bucket_relief.h)
    // calls fn(arg) on the main thread, inside wait(). Without a handler the byte is dropped.
    void on_relieve(void (*fn)(void*), void* arg) noexcept
    {
        relieve_ = fn;
        relieve_arg_ = arg;
    }

    ChildStop current() const noexcept { return static_cast<ChildStop>(level_.load(std::memory_order_acquire)); }

private:
    void raise(ChildStop s) noexcept;

    Fd epoll_;
    Fd signals_;
    Fd internal_;
    int pod_fd_;
    std::atomic<int> level_{0};
    void (*relieve_)(void*) = nullptr;
    void* relieve_arg_ = nullptr;
};

}  // namespace mpmcxx
