#pragma once
// mod_mpm_event_cxx: asynchronous connections, like stock event, without a listener thread. Every worker
// thread of a child waits on the child's one epoll set; connections are armed EPOLLONESHOT, so a
// readiness event wakes exactly one thread and that thread serves the connection itself (no hand-off
// between a listener and a worker: half the context switches). Keep-alive waits, write completion,
// asynchronous I/O waits and lingering close hold no thread. See DEVELOPERS.md and docs/event.md.
//
// Files: module.cpp (module struct, directives), hooks.cpp (httpd hooks, ap_mpm_query, timed callbacks),
// child.cpp (threads, their loop, timers), listeners.cpp (accepting, the connection limit),
// connection.cpp (the connection state machine), read_ahead.cpp (the request-head bytes read while
// judging them, handed to the core's input filter).

#include <atomic>
#include <memory>
#include <vector>

#include "common/base/httpd.h"
#include "common/config/thread_limits.h"
#include "common/io/timeout_queue.h"
#include "common/supervise/threaded_parent.h"

extern "C" {
extern module mpm_event_cxx_module;
}

namespace mpmcxx::event {

struct Retained {
    ThreadedRetained threaded;
};

// The timeout queues of one server (vhost): I/O waits and write completion use Timeout, keep-alive uses
// KeepAliveTimeout. Servers with equal values share queues.
struct ServerQueues {
    TimeoutQueue* io;
    TimeoutQueue* wc;
    TimeoutQueue* ka;
};

// What a queue holds (TimeoutQueue::kind), for the per-kind counters mod_status shows.
enum QueueKind : int { kKeepAlive = 0, kWriteCompletion = 1, kWaitIo = 2, kLinger = 3, kQueueKinds = 4 };

// All queues of a configuration cycle (built in post_config, copied into each child by fork): one per
// distinct timeout value and kind.
struct QueueSet {
    std::vector<std::unique_ptr<TimeoutQueue>> ka;  // keep-alive
    std::vector<std::unique_ptr<TimeoutQueue>> wc;  // write completion
    std::vector<std::unique_ptr<TimeoutQueue>> io;  // asynchronous I/O waits (mod_http2)
    std::unique_ptr<TimeoutQueue> linger;           // lingering close, 30 s (2 s once the child stops)
    std::unique_ptr<TimeoutQueue> short_linger;     // lingering close after a timeout or error, 2 s
    ServerQueues main{};

    template <typename F>
    void for_each(F&& f) const
    {
        for (const auto* v : {&ka, &wc, &io}) {
            for (const auto& q : *v) {
                f(*q);
            }
        }
        f(*linger);
        f(*short_linger);
    }
};

class Event final : public ThreadedParent {
public:
    Event(Retained& retained, config::ThreadLimits& limits, bool one_process) noexcept
        : ThreadedParent(retained.threaded, limits, one_process)
    {
    }

private:
    int child_lifetime(int slot, int bucket) noexcept override;
};

class EventChild;

// What the hooks need to know about this process when it is a child.
struct ChildState {
    bool active;
    int slot;
    std::atomic<int> stop;  // a ChildStop
    EventChild* runtime;    // set while the child's threads run
};

// Module-wide state: trivial, constant-initialized (the .so is reloaded on every restart).
struct Globals {
    Retained* retained;
    Event* mpm;
    config::ThreadLimits limits;
    double async_factor;
    bool one_process;
    QueueSet* queues;
    ChildState child;
};
extern constinit Globals g;

// The scoreboard thread index of the calling worker thread; -1 on other threads.
extern constinit thread_local int t_worker;

void register_hooks(apr_pool_t* p) noexcept;
extern const command_rec commands[];

// Hooks implemented by the child runtime.
apr_status_t register_timed_callback(apr_time_t t, ap_mpm_callback_fn_t* cb, void* baton) noexcept;

}  // namespace mpmcxx::event
