// A worker child: one listener thread accepting only while a worker is idle, ThreadsPerChild worker
// threads serving one connection each at a time, and the main thread waiting for the reason to stop
// (pipe of death, signal, MaxConnectionsPerChild) and then draining or stopping the others.

#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "common/base/c_boundary.h"
#include "common/base/fd.h"
#include "common/base/log_ids.h"
#include "common/lifecycle/keepalive_cap.h"
#include "common/listen/acceptor.h"
#include "common/process/stop_watch.h"
#include "common/scoreboard/scoreboard.h"
#include "common/threads/active_sockets.h"
#include "common/threads/pool_stack.h"
#include "common/threads/thread_exit.h"
#include "common/threads/worker_threads.h"
#include "common/threads/work_queue.h"
#include "mod_mpm_worker_cxx/worker.h"

namespace mpmcxx::worker {
namespace {

// How long an immediate stop waits for workers to leave their connections before the child exits
// without them (a handler that never returns must not keep the process alive).
constexpr auto kImmediateGrace = std::chrono::milliseconds(1000);

struct Connection {
    apr_socket_t* socket;
    apr_pool_t* ptrans;
};

class WorkerChild;

class WorkerChild {
public:
    WorkerChild(int slot, ap_listen_rec* listeners, int pod_fd, apr_pool_t* pchild, apr_pool_t* pconf, bool one_process)
        : slot_(slot),
          tpc_(g.limits.threads_per_child),
          pchild_(pchild),
          stop_(pod_fd, one_process),
          listener_wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
          acceptor_(listeners, -1, listener_wake_.get()),
          pools_(pconf, static_cast<std::size_t>(tpc_)),
          sockets_(tpc_),
          ka_cap_(tpc_, kDrainKeepAliveCap),
          workers_(slot, tpc_, pchild, this,
                   [](void* self, int worker, apr_thread_t* thd) {
                       static_cast<WorkerChild*>(self)->worker_loop(worker, thd);
                   })
    {
        if (!listener_wake_) {
            throw std::system_error(errno, std::generic_category(), "eventfd");
        }
        connections_left_ = ap_max_requests_per_child > 0 ? ap_max_requests_per_child : -1;
        stop_.on_relieve(&WorkerChild::relieve_requested, this);
    }

    // Other buckets' listeners, for when the parent sends this child to their queues (bucket_relief.h).
    void add_relief_listeners(ap_listen_rec* listeners) noexcept { acceptor_.add_relief_listeners(listeners); }

    // The main thread's life: start the threads, wait for a stop, drain or stop, join. Returns the exit code.
    int run() noexcept;

    void listener_loop() noexcept;
    void worker_loop(int index, apr_thread_t* thd) noexcept;

private:
    bool start_threads() noexcept;  // starts the workers that have a scoreboard entry (and the listener)
    void begin_stop(ChildStop how) noexcept;
    bool wait_for_threads(std::optional<std::chrono::steady_clock::time_point> deadline) noexcept;
    void serve(int index, apr_thread_t* thd, Connection conn) noexcept;
    void end_long_keepalive_waits() noexcept;
    // Main thread (StopWatch): the parent sent this child to another bucket's queue; the listener takes
    // it up once it has an idle worker in hand.
    static void relieve_requested(void* self) noexcept;

    const int slot_;
    const int tpc_;
    apr_pool_t* pchild_;
    StopWatch stop_;
    Fd listener_wake_;
    Acceptor acceptor_;
    PoolStack pools_;
    WorkQueue<Connection> queue_;
    ActiveSockets sockets_;
    KeepAliveCap ka_cap_;  // main thread, while draining
    WorkerThreads workers_;
    apr_thread_t* listener_ = nullptr;
    std::atomic<bool> listener_done_{false};
    std::atomic<bool> sick_{false};
    std::atomic<bool> relief_wanted_{false};
    int connections_left_ = -1;  // listener only
};

void* APR_THREAD_FUNC listener_entry(apr_thread_t* thd, void* p)
{
    c_boundary_void("listener thread", [&] { static_cast<WorkerChild*>(p)->listener_loop(); });
    exit_thread(thd);
    return nullptr;
}

bool WorkerChild::start_threads() noexcept
{
    if (!workers_.start_more()) {
        return false;
    }
    // The listener starts with the first worker: there is someone to hand connections to.
    if (listener_ == nullptr && workers_.live() > 0) {
        apr_status_t rv = ap_thread_create(&listener_, workers_.attr(), listener_entry, this, pchild_);
        if (rv != APR_SUCCESS) {
            listener_ = nullptr;
            listener_done_ = true;
            ap_log_error(APLOG_MARK, APLOG_ALERT, rv, ap_server_conf,
                         CXXLOGNO(00275) "ap_thread_create: unable to create listener thread");
            return false;
        }
    }
    return true;
}

void WorkerChild::relieve_requested(void* p) noexcept
{
    auto* self = static_cast<WorkerChild*>(p);
    self->relief_wanted_.store(true, std::memory_order_release);
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(self->listener_wake_.get(), &one, sizeof one);
}

void WorkerChild::listener_loop() noexcept
{
    apr_pool_t* ptrans = nullptr;
    bool relieving = false;  // taking connections queued on other buckets (bucket_relief.h)
    for (;;) {
        if (stop_.current() != ChildStop::none) {
            break;
        }
        if (connections_left_ == 0) {
            // MaxConnectionsPerChild: let the connections in hand finish, then a fresh child takes over.
            ap_log_error(APLOG_MARK, APLOG_TRACE1, 0, ap_server_conf, "Stopping process due to MaxConnectionsPerChild");
            stop_.request(ChildStop::graceful);
            break;
        }
        if (!queue_.reserve_idle_worker()) {
            break;
        }
        if (ptrans == nullptr && (ptrans = pools_.take()) == nullptr) {
            queue_.unreserve();
            sick_ = true;
            stop_.request(ChildStop::graceful);
            break;
        }
        // While relieving, look at our own listeners without waiting, then take the next connection queued
        // on another bucket; stop when none is left there.
        Acceptor::Wakeup w = acceptor_.wait(ptrans, relieving ? 0 : -1);
        if (relief_wanted_.exchange(false, std::memory_order_acq_rel)) {
            relieving = true;
        }
        if (relieving && w.socket == nullptr && !w.sick && !w.listeners_gone && stop_.current() == ChildStop::none) {
            w.socket = acceptor_.take_relief(ptrans);
            relieving = w.socket != nullptr;
        }
        if (w.socket != nullptr) {
            queue_.push(Connection{w.socket, ptrans});
            ptrans = nullptr;
            if (connections_left_ > 0) {
                --connections_left_;
            }
            continue;
        }
        queue_.unreserve();
        if (w.sick) {
            sick_ = true;
            stop_.request(ChildStop::graceful);
            break;
        }
        if (w.listeners_gone) {
            stop_.request(ChildStop::graceful);
            break;
        }
    }
    if (ptrans != nullptr) {
        pools_.give_back(ptrans);
    }
    // Stop taking connections here; the parent's copies keep them queued for the next generation.
    acceptor_.close_listeners();
    listener_done_ = true;
}

void WorkerChild::serve(int index, apr_thread_t* thd, Connection conn) noexcept
{
    apr_os_sock_t fd = -1;
    apr_os_sock_get(&fd, conn.socket);
    sockets_.set(index, fd);
    ap_sb_handle_t* sbh = nullptr;
    int entry = workers_.entry(index);
    ap_create_sb_handle(&sbh, conn.ptrans, slot_, entry);
    long id = static_cast<long>(slot_) * sb::thread_limit() + entry;
    apr_bucket_alloc_t* ba = apr_bucket_alloc_create(conn.ptrans);
    conn_rec* c = ap_run_create_connection(conn.ptrans, ap_server_conf, conn.socket, id, sbh, ba);
    if (c != nullptr) {
        c->current_thread = thd;
        ap_process_connection(c, conn.socket);
        ap_lingering_close(c);
    }
    sockets_.clear(index);
    pools_.give_back(conn.ptrans);
}

void WorkerChild::worker_loop(int index, apr_thread_t* thd) noexcept
{
    const int entry = workers_.entry(index);
    t_worker = entry;
    worker_score& ws = sb::worker(slot_, entry);
    ws.pid = ::getpid();
    ws.tid = apr_os_thread_current();
    ws.generation = g.retained->threaded.sup.mpm->my_generation;
    for (;;) {
        sb::set_status(slot_, entry, SERVER_READY);
        std::optional<Connection> conn = queue_.pop();
        if (!conn) {
            break;
        }
        serve(index, thd, *conn);
    }
    sb::set_status(slot_, entry, stop_.current() == ChildStop::immediate ? SERVER_DEAD : SERVER_GRACEFUL);
    t_worker = -1;
}

void WorkerChild::begin_stop(ChildStop how) noexcept
{
    g.child.stop.store(static_cast<int>(how), std::memory_order_release);
    // The parent no longer counts this child as capacity; its slot stays held until it is gone (unless a
    // new child already shares it: then the slot's process record is the new child's).
    if (sb::process(slot_).pid == ::getpid()) {
        sb::process(slot_).quiescing = 1;
    }
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(listener_wake_.get(), &one, sizeof one);
    if (how == ChildStop::graceful) {
        queue_.drain();
    } else {
        queue_.stop();
        sockets_.shutdown_all();
    }
}

// Draining: a connection that has waited kDrainKeepAliveCap for its next request is ended, so that a
// graceful stop or restart does not last as long as KeepAliveTimeout.
void WorkerChild::end_long_keepalive_waits() noexcept
{
    auto now = std::chrono::steady_clock::now();
    for (int i = 0; i < tpc_; ++i) {
        int entry = workers_.entry(i);
        if (entry < 0) {
            continue;
        }
        const worker_score& ws = sb::worker(slot_, entry);
        if (ka_cap_.overdue(i, ws.status == SERVER_BUSY_KEEPALIVE, ws.access_count, now)) {
            sockets_.shutdown_read(i);
        }
    }
}

bool WorkerChild::wait_for_threads(std::optional<std::chrono::steady_clock::time_point> deadline) noexcept
{
    bool immediate_seen = stop_.current() == ChildStop::immediate;
    for (;;) {
        if (workers_.live() == 0 && (listener_ == nullptr || listener_done_.load())) {
            return true;
        }
        if (deadline && std::chrono::steady_clock::now() >= *deadline) {
            return false;
        }
        // Keep listening for a stronger stop while the drain runs (a graceful stop that the parent turns
        // into an immediate one after GracefulShutdownTimeout).
        if (!immediate_seen) {
            end_long_keepalive_waits();
        }
        if (stop_.wait(50) == ChildStop::immediate && !immediate_seen) {
            immediate_seen = true;
            begin_stop(ChildStop::immediate);
            ap_run_child_stopping(pchild_, 0);
            deadline = std::chrono::steady_clock::now() + kImmediateGrace;
        }
    }
}

int WorkerChild::run() noexcept
{
    if (!start_threads()) {
        begin_stop(ChildStop::immediate);
        wait_for_threads(std::chrono::steady_clock::now() + kImmediateGrace);
        return APEXIT_CHILDSICK;
    }
    ChildStop how = ChildStop::none;
    // In a slot shared with an exiting child, workers start as its threads leave their entries.
    while ((how = stop_.wait(workers_.complete() ? -1 : 100)) == ChildStop::none) {
        if (!workers_.complete() && !start_threads()) {
            how = ChildStop::graceful;
            sick_ = true;
            break;
        }
    }
    begin_stop(how);
    ap_run_child_stopping(pchild_, how == ChildStop::graceful);
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (how == ChildStop::immediate) {
        deadline = std::chrono::steady_clock::now() + kImmediateGrace;
    }
    if (!wait_for_threads(deadline)) {
        // Workers stuck in module code: leave without them (stock would wait for the parent's SIGKILL).
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, ap_server_conf,
                     CXXLOGNO(90040) "child %" APR_PID_T_FMT " exits with %d worker thread(s) still busy",
                     ::getpid(), workers_.live());
        ::_exit(0);
    }
    apr_status_t thread_rv;
    if (listener_ != nullptr) {
        apr_thread_join(&thread_rv, listener_);
    }
    workers_.join_all();
    for (Connection& c : queue_.take_remaining()) {
        apr_socket_close(c.socket);
        pools_.give_back(c.ptrans);
    }
    return sick_ ? APEXIT_CHILDSICK : 0;
}

}  // namespace

int Worker::child_lifetime(int slot, int bucket) noexcept
{
    g.child.active = true;
    g.child.slot = slot;
    g.child.stop.store(0);
    return run_threaded_child<WorkerChild>(slot, bucket);
}

}  // namespace mpmcxx::worker
