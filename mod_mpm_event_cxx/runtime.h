#pragma once
// The runtime of one event child: its threads, its epoll set, its connections and their timeouts.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

#include "common/base/fd.h"
#include "common/io/conn_table.h"
#include "common/io/timeout_queue.h"
#include "common/io/timer_heap.h"
#include "common/listen/accept_result.h"
#include "common/listen/relief_listeners.h"
#include "common/lifecycle/connection_budget.h"
#include "common/process/stop_watch.h"
#include "common/supervise/backoff.h"
#include "common/threads/active_sockets.h"
#include "common/threads/pool_stack.h"
#include "common/threads/worker_threads.h"
#include "mod_mpm_event_cxx/event.h"
#include "mod_mpm_event_cxx/read_ahead.h"

namespace mpmcxx::event {

// What a conn_rec's module config points at: the part of our connection state that hooks reach through
// the conn_rec, for primary connections and for secondary (HTTP/2 stream) connections alike.
struct ConnShared {
    conn_state_t pub;                 // c->cs points here: the connection state httpd and modules see
    const ServerQueues* sc = nullptr; // the queues of the connection's current server (vhost)
    request_rec* r = nullptr;         // the request being read or processed
    ReadAhead* ahead = nullptr;       // primary connections: head bytes read while judging them
};

// A primary connection. Lives in a ConnTable slot (stable memory: see common/io/conn_table.h).
struct Conn {
    ConnShared shared;  // first: conn_config points at it
    std::atomic<std::uint64_t> tag{0};
    std::uint32_t index = 0;

    // Owner only (the thread that claimed the slot):
    apr_pool_t* p = nullptr;
    conn_rec* c = nullptr;
    apr_socket_t* sock = nullptr;
    int fd = -1;
    ap_sb_handle_t* sbh = nullptr;
    bool registered = false;      // added to the epoll set once (then re-armed with EPOLL_CTL_MOD)
    bool suspended = false;       // modules were told (suspend_connection hook)
    bool linger_started = false;
    bool linger_counted = false;  // counted in lingering_ already
    bool in_suspended_list = false;
    bool head_wait = false;  // waiting (queued, armed) for the rest of its request head, without a thread
    bool no_gate = false;    // TLS: its bytes cannot be judged (request_head.h)
    std::chrono::steady_clock::time_point linger_since{};
    std::chrono::steady_clock::time_point head_since{};  // when the head wait began

    // Guarded by EventChild::qmutex_:
    TimeoutLink link;
    bool trimmed = false;  // its allocator's free blocks were given back during this keep-alive wait

    static Conn& from_link(TimeoutLink& l) noexcept
    {
        return *reinterpret_cast<Conn*>(reinterpret_cast<char*>(&l) - offsetof(Conn, link));
    }
};

struct Timer {
    ap_mpm_callback_fn_t* cb;
    void* baton;
};

using Clock = std::chrono::steady_clock;

// A connection idle in keep-alive this long gives its allocator's free blocks back (allocator_trim.h);
// sooner, and a client between two requests would pay for mapping them again.
inline constexpr auto kTrimAfter = std::chrono::seconds(1);
// Trimming costs a few munmap calls per connection: at most this many per look, the next look soon after
// while more are waiting, so that thousands of connections going idle at once do not stall a thread.
inline constexpr std::size_t kTrimBatch = 256;
inline constexpr auto kTrimBatchGap = std::chrono::milliseconds(50);

class EventChild {
public:
    EventChild(int slot, ap_listen_rec* listeners, int pod_fd, apr_pool_t* pchild, apr_pool_t* pconf, bool one_process);
    EventChild(const EventChild&) = delete;
    // Other buckets' listeners, for when the parent sends this child to their queues (bucket_relief.h).
    // Called before run(): the threads only read the list.
    void add_relief_listeners(ap_listen_rec* listeners) noexcept { relief_.add(listeners); }
    EventChild& operator=(const EventChild&) = delete;

    // The main thread: start the workers, wait for a stop, drain or stop them. Returns the exit code.
    int run() noexcept;
    void worker_loop(int index, apr_thread_t* thd) noexcept;

    apr_status_t add_timer(apr_time_t after, ap_mpm_callback_fn_t* cb, void* baton) noexcept;

    ChildStop stopping() const noexcept { return static_cast<ChildStop>(stop_level_.load(std::memory_order_acquire)); }

private:
    // child.cpp
    bool start_threads() noexcept;
    void dispatch(std::uint64_t key, int t, apr_thread_t* thd) noexcept;
    void on_timer() noexcept;
    void begin_stop(ChildStop how) noexcept;
    void shutdown_waiting() noexcept;
    void arm_timer_locked(Clock::time_point when) noexcept;
    void rearm_timer_after_expiry_locked() noexcept;
    void collect_idle_to_trim_locked(Clock::time_point now, std::vector<Conn*>& out) noexcept;
    void trim_idle(Conn& conn) noexcept;
    void publish() noexcept;
    void wake_all() noexcept;
    void resume_suspended(int t, apr_thread_t* thd) noexcept;
    long connection_id(int t) const noexcept;

    // listeners.cpp
    void on_listener(std::size_t which, int t, apr_thread_t* thd) noexcept;
    void set_listening(bool on) noexcept;
    void recheck_listeners() noexcept;
    bool any_listener_waiting() noexcept;
    std::size_t first_waiting_listener_locked() const noexcept;
    void on_kick(int t, apr_thread_t* thd) noexcept;
    void kick() noexcept;
    void drain_listeners() noexcept;
    void take_waiting(std::size_t which, int t, apr_thread_t* thd) noexcept;
    void close_listeners_locked() noexcept;
    AcceptOutcome accept_locked(std::size_t which, apr_pool_t* p, apr_socket_t** sock) noexcept;
    void maybe_resume_listening() noexcept;
    bool leave_to_siblings(unsigned accepting = 0) const noexcept;
    bool sibling_accepting() const noexcept;
    template <typename F>
    bool any_sibling(F f) const noexcept;
    void pause_listening(Clock::duration delay) noexcept;
    bool below_limit(bool self_idle) const noexcept;
    static void relieve_requested(void* self) noexcept;  // main thread (StopWatch)
    void take_relief(int t, apr_thread_t* thd) noexcept;

    // connection.cpp
    bool wait_for_head(Conn& conn) noexcept;
    void end_head_wait(Conn& conn) noexcept;
    bool arm(Conn& conn, int op, std::uint32_t events) noexcept;
    void new_connection(apr_socket_t* sock, apr_pool_t* p, int t, apr_thread_t* thd) noexcept;
    void process(Conn& conn, int t, apr_thread_t* thd) noexcept;
    void lingering_close(Conn& conn) noexcept;
    void shutdown_connection(Conn& conn) noexcept;
    void close_connection(Conn& conn) noexcept;
    bool wait_for_io(Conn& conn, TimeoutQueue* q, std::uint32_t events, Clock::time_point since) noexcept;
    void notify_suspend(Conn& conn) noexcept;
    void notify_resume(Conn& conn, bool cleanup) noexcept;
    void unqueue(Conn& conn) noexcept;
    static apr_status_t connection_cleanup(void* conn) noexcept;
    static apr_status_t connection_pre_cleanup(void* conn) noexcept;

    const int slot_;
    const pid_t my_pid_ = ::getpid();
    const int tpc_;
    apr_pool_t* pchild_;
    const bool one_process_;

    StopWatch stop_;
    std::atomic<int> stop_level_{0};
    Fd epoll_;
    Fd wake_;   // level-triggered, written once when every thread must leave
    Fd timer_;  // timerfd for timeout queues and timed callbacks, EPOLLONESHOT
    Fd kick_;   // edge-triggered: one idle thread looks at the listeners again (recheck_listeners)

    std::vector<ap_listen_rec*> listeners_;
    std::mutex listen_mutex_;
    std::atomic<bool> listening_{false};
    // Listeners went off at the connection limit: they come back one idle thread later than they went
    // (stock's hysteresis against flip-flopping). Not for the other reasons they go off.
    std::atomic<bool> off_at_limit_{false};
    Backoff shortage_{std::chrono::milliseconds(50), std::chrono::seconds(1)};  // listen_mutex_
    Clock::time_point resume_listening_at_{};                                   // listen_mutex_
    // A graceful stop takes the connections already waiting before it closes the listeners
    // (drain_listeners): how many more it may take (listen_mutex_), and whether it is still at it.
    std::size_t drain_left_ = 0;
    std::atomic<bool> draining_{false};
    // Other buckets' listeners (never waited on, never closed here) and whether the parent sent this
    // child to their queues: idle threads take from them through the kick until none is left.
    ReliefListeners relief_;
    std::atomic<bool> relief_wanted_{false};

    PoolStack pools_;
    ConnTable<Conn> conns_;
    ActiveSockets sockets_;  // by scoreboard thread entry
    WorkerThreads workers_;

    std::mutex qmutex_;  // the timeout queues (g.queues), timers_, armed_, suspended_
    // Held while timed callbacks run and while suspended connections are looked for (before qmutex_):
    // a callback that finishes a suspended connection's request changes its state before it is done
    // with it, and another thread's look must not take the connection over meanwhile.
    std::mutex callbacks_mutex_;
    TimerHeap<Timer> timers_;
    Clock::time_point armed_ = Clock::time_point::max();
    Clock::time_point next_trim_sweep_{};  // qmutex_
    std::vector<Conn*> suspended_;

    std::atomic<unsigned> queued_[kQueueKinds] = {};  // connections waiting in each kind of queue
    std::atomic<unsigned> open_{0};       // open primary connections
    std::atomic<unsigned> head_waiting_{0};  // ... of which waiting for their request head
    std::atomic<unsigned> lingering_{0};  // ... of which in lingering close
    std::atomic<unsigned> suspended_count_{0};
    std::atomic<unsigned> idle_{0};       // threads waiting in epoll_wait
    ConnectionBudget budget_;  // MaxConnectionsPerChild
    std::atomic<bool> sick_{false};
};

}  // namespace mpmcxx::event
