// An event child: ThreadsPerChild threads that all wait on one epoll set and serve whatever becomes ready
// there (a listener, a connection, the timer), and a main thread that waits for the reason to stop.

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <system_error>

#include "common/base/c_boundary.h"
#include "common/base/log_ids.h"
#include "common/lifecycle/keepalive_cap.h"
#include "common/scoreboard/scoreboard.h"
#include "common/threads/allocator_trim.h"
#include "common/threads/short_slice.h"
#include "mod_mpm_event_cxx/epoll_keys.h"
#include "mod_mpm_event_cxx/runtime.h"

namespace mpmcxx::event {
namespace {

// An immediate stop waits this long for threads to leave the connections they are serving.
constexpr auto kImmediateGrace = std::chrono::milliseconds(1000);
// Lingering close is shortened to this while the child stops (stock: 2 s).
constexpr auto kStoppingLinger = std::chrono::seconds(2);
// ... and so is a keep-alive wait (common/lifecycle/keepalive_cap.h).
constexpr auto kStoppingKeepAlive = kDrainKeepAliveCap;


// The expiry horizon of a queue whose waits a draining child shortens to `cap`.
Clock::time_point capped_horizon(Clock::time_point now, Clock::duration timeout, Clock::duration cap) noexcept
{
    return timeout > cap ? now + (timeout - cap) : now;
}

itimerspec to_itimerspec(Clock::time_point when) noexcept
{
    itimerspec spec{};
    if (when == Clock::time_point::max()) {
        return spec;  // disarm
    }
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
    if (ns <= 0) {
        ns = 1;
    }
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
    return spec;
}

}  // namespace

EventChild::EventChild(int slot, ap_listen_rec* listeners, int pod_fd, apr_pool_t* pchild, apr_pool_t* pconf,
                       bool one_process)
    : slot_(slot),
      tpc_(g.limits.threads_per_child),
      pchild_(pchild),
      one_process_(one_process),
      stop_(pod_fd, one_process),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      timer_(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)),
      kick_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      pools_(pconf, static_cast<std::size_t>(tpc_)),
      sockets_(g.limits.thread_limit),
      workers_(slot, tpc_, pchild, this,
               [](void* self, int worker, apr_thread_t* thd) {
                   static_cast<EventChild*>(self)->worker_loop(worker, thd);
               })
{
    if (!epoll_ || !wake_ || !timer_ || !kick_) {
        throw std::system_error(errno, std::generic_category(), "epoll/eventfd/timerfd");
    }
    for (ap_listen_rec* lr = listeners; lr != nullptr && listeners_.size() < kMaxListeners; lr = lr->next) {
        if (lr->sd != nullptr && lr->active) {
            apr_socket_opt_set(lr->sd, APR_SO_NONBLOCK, 1);
            lr->accept_func = ap_unixd_accept;
            listeners_.push_back(lr);
        }
    }
    auto add = [this](int fd, std::uint64_t key, std::uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = key;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
            throw std::system_error(errno, std::generic_category(), "epoll_ctl");
        }
    };
    add(wake_.get(), kWakeKey, EPOLLIN);
    add(timer_.get(), kTimerKey, EPOLLIN | EPOLLONESHOT);
    // Never read: edge-triggered, every write is reported anew (the counter cannot fill up in practice).
    add(kick_.get(), kKickKey, EPOLLIN | EPOLLET);
    budget_.reset(ap_max_requests_per_child);
    stop_.on_relieve(&EventChild::relieve_requested, this);
    set_listening(true);
}

long EventChild::connection_id(int t) const noexcept { return static_cast<long>(slot_) * sb::thread_limit() + t; }

void EventChild::wake_all() noexcept
{
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_.get(), &one, sizeof one);
}

void EventChild::arm_timer_locked(Clock::time_point when) noexcept
{
    if (when >= armed_) {
        return;
    }
    armed_ = when;
    itimerspec spec = to_itimerspec(when);
    ::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

void EventChild::rearm_timer_after_expiry_locked() noexcept
{
    Clock::time_point next = timers_.next_due();
    g.queues->for_each([&](const TimeoutQueue& q) {
        if (q.next_expiry() < next) {
            next = q.next_expiry();
        }
    });
    {
        std::lock_guard lock(listen_mutex_);
        if (!listening_ && resume_listening_at_ > Clock::now() && resume_listening_at_ < next) {
            next = resume_listening_at_;
        }
    }
    for (const auto& q : g.queues->ka) {
        if (!q->empty()) {
            next = std::min(next, next_trim_sweep_);
            break;
        }
    }
    if (stopping() == ChildStop::graceful) {
        auto shortened = [&](const TimeoutQueue& q, Clock::duration cap) {
            if (!q.empty() && q.timeout() > cap) {
                Clock::time_point end = q.next_expiry() - q.timeout() + cap;
                if (end < next) {
                    next = end;
                }
            }
        };
        shortened(*g.queues->linger, kStoppingLinger);
        for (const auto& q : g.queues->ka) {
            shortened(*q, kStoppingKeepAlive);
        }
    }
    armed_ = next;
    itimerspec spec = to_itimerspec(next);
    ::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.u64 = kTimerKey;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, timer_.get(), &ev);
}

void EventChild::publish() noexcept
{
    // Every change is published as it happens, so mod_status never shows stale counters (stock only
    // publishes them during its periodic queue maintenance).
    if (ap_scoreboard_image == nullptr) {
        return;
    }
    process_score& ps = sb::process(slot_);
    if (ps.pid != my_pid_) {
        return;  // the slot is shared with a newer child, whose record this is now
    }
    // Several threads publish at once: relaxed atomic stores (mod_status reads them from other processes).
    auto put = [](apr_uint32_t& field, unsigned v) {
        std::atomic_ref<apr_uint32_t>(field).store(v, std::memory_order_relaxed);
    };
    put(ps.connections, open_.load(std::memory_order_relaxed));
    put(ps.keep_alive, queued_[kKeepAlive].load(std::memory_order_relaxed));
    put(ps.write_completion, queued_[kWriteCompletion].load(std::memory_order_relaxed));
    put(ps.wait_io, queued_[kWaitIo].load(std::memory_order_relaxed));
    put(ps.lingering_close, lingering_.load(std::memory_order_relaxed));
    put(ps.suspended, suspended_count_.load(std::memory_order_relaxed));
}

void EventChild::on_timer() noexcept
{
    std::uint64_t ticks;
    [[maybe_unused]] ssize_t n = ::read(timer_.get(), &ticks, sizeof ticks);
    Clock::time_point now = Clock::now();
    std::vector<Conn*> ka_expired, io_expired, linger_expired;
    std::vector<Timer> due;
    std::vector<Conn*> to_trim;
    {
        std::lock_guard lock(qmutex_);
        auto expire = [&](TimeoutQueue& q, Clock::time_point horizon, std::vector<Conn*>& into) {
            while (TimeoutLink* link = q.pop_expired(horizon)) {
                Conn* conn = &Conn::from_link(*link);
                if (!ConnTable<Conn>::claim_waiting(*conn)) {
                    // Claimed by its readiness event, or still being armed: not ours. Put it back so an
                    // arming connection keeps its timeout (an event owner removes it anyway).
                    q.append(*link, link->since);
                    break;
                }
                queued_[q.kind()].fetch_sub(1, std::memory_order_relaxed);
                into.push_back(conn);
            }
        };
        const bool draining = stopping() == ChildStop::graceful;
        for (const auto& q : g.queues->ka) {
            expire(*q, draining ? capped_horizon(now, q->timeout(), kStoppingKeepAlive) : now, ka_expired);
        }
        for (const auto* v : {&g.queues->wc, &g.queues->io}) {
            for (const auto& q : *v) {
                expire(*q, now, io_expired);
            }
        }
        TimeoutQueue& linger = *g.queues->linger;
        // A stopping child lingers 2 s at most, as stock.
        expire(linger, draining ? capped_horizon(now, linger.timeout(), kStoppingLinger) : now, linger_expired);
        expire(*g.queues->short_linger, now, linger_expired);
        timers_.pop_due(now, due);
        collect_idle_to_trim_locked(now, to_trim);
        rearm_timer_after_expiry_locked();
    }
    publish();
    if (!due.empty()) {
        std::lock_guard cb(callbacks_mutex_);
        for (Timer& tm : due) {
            c_boundary_void("timed callback", [&] { tm.cb(tm.baton); });
        }
    }
    for (Conn* c : ka_expired) {
        shutdown_connection(*c);  // an idle keep-alive connection: a short lingering close
    }
    for (Conn* c : io_expired) {
        if (c->head_wait) {
            // The request head did not arrive within Timeout: closed without a thread having waited for it.
            end_head_wait(*c);
            ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c->c,
                          CXXLOGNO(90050) "request head incomplete after Timeout; closing the connection");
            shutdown_connection(*c);  // a short lingering close
            continue;
        }
        lingering_close(*c);  // I/O or write completion timed out
    }
    for (Conn* c : linger_expired) {
        close_connection(*c);
    }
    for (Conn* c : to_trim) {
        trim_idle(*c);
    }
    maybe_resume_listening();
}

// Claims up to kTrimBatch keep-alive connections idle for kTrimAfter or longer whose allocators still
// hold free blocks. One look a second, O(idle connections); sooner while a batch was full.
void EventChild::collect_idle_to_trim_locked(Clock::time_point now, std::vector<Conn*>& out) noexcept
{
    if (now < next_trim_sweep_) {
        return;
    }
    try {
        out.reserve(kTrimBatch);
        for (const auto& q : g.queues->ka) {
            q->for_each_since(now - kTrimAfter, [&](TimeoutLink& l) {
                Conn& c = Conn::from_link(l);
                if (out.size() < kTrimBatch && !c.trimmed && ConnTable<Conn>::claim_waiting(c)) {
                    c.trimmed = true;
                    out.push_back(&c);
                }
            });
        }
    } catch (...) {
        // out of memory: nothing claimed, nothing trimmed
    }
    next_trim_sweep_ = now + (out.size() == kTrimBatch ? Clock::duration(kTrimBatchGap) : Clock::duration(kTrimAfter));
}

// A claimed keep-alive connection (still in its queue): give its free blocks back and wait again. A
// readiness event that came meanwhile found it claimed and was dropped; arming again reports it anew.
void EventChild::trim_idle(Conn& conn) noexcept
{
    release_free_blocks(apr_pool_allocator_get(conn.p), ap_max_mem_free);
    arm(conn, EPOLL_CTL_MOD, EPOLLIN | EPOLLRDHUP);
}

void EventChild::dispatch(std::uint64_t key, int t, apr_thread_t* thd) noexcept
{
    if (key == kWakeKey) {
        return;
    }
    if (key == kKickKey) {
        on_kick(t, thd);
        return;
    }
    if (key == kTimerKey) {
        on_timer();
        resume_suspended(t, thd);
        return;
    }
    if (key > kFirstListenerKey - kMaxListeners) {
        on_listener(static_cast<std::size_t>(kFirstListenerKey - key), t, thd);
        return;
    }
    Conn* conn = conns_.find(ConnTable<Conn>::key_index(key));
    if (conn == nullptr || !ConnTable<Conn>::claim_by_event(*conn, key)) {
        return;  // stale, or taken by the timeout thread
    }
    if (conn->head_wait) {
        // More of a request head (still queued, so its deadline runs from the first byte).
        if (wait_for_head(*conn)) {
            return;
        }
        end_head_wait(*conn);
        unqueue(*conn);
        process(*conn, t, thd);
        return;
    }
    unqueue(*conn);
    // Readable after a keep-alive or I/O wait: a request (or more of one) to process. Write completion
    // and lingering close carry on where they were.
    conn_state_e& state = conn->shared.pub.state;
    const bool next_request = state == CONN_STATE_KEEPALIVE;
    if (state == CONN_STATE_KEEPALIVE || state == CONN_STATE_ASYNC_WAITIO) {
        state = CONN_STATE_PROCESSING;
    }
    if (next_request && wait_for_head(*conn)) {
        return;
    }
    process(*conn, t, thd);
}

void EventChild::worker_loop(int worker, apr_thread_t* thd) noexcept
{
    // From here on the thread is known by its scoreboard entry (its slot's thread index).
    const int index = workers_.entry(worker);
    t_worker = index;
    request_short_slice();  // see short_slice.h
    worker_score& ws = sb::worker(slot_, index);
    ws.pid = ::getpid();
    ws.tid = apr_os_thread_current();
    ws.generation = g.retained->threaded.sup.mpm->my_generation;
    for (;;) {
        ChildStop stop = stopping();
        if (stop == ChildStop::immediate ||
            (stop == ChildStop::graceful && open_.load() == 0 && !draining_.load())) {
            break;
        }
        sb::set_status(slot_, index, SERVER_READY);
        idle_.fetch_add(1);
        maybe_resume_listening();
        epoll_event ev{};
        int n = ::epoll_wait(epoll_.get(), &ev, 1, -1);
        idle_.fetch_sub(1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            ap_log_error(APLOG_MARK, APLOG_ERR, APR_FROM_OS_ERROR(errno), ap_server_conf,
                         CXXLOGNO(03137) "apr_pollset_poll: (listen)");
            sick_ = true;
            stop_.request(ChildStop::graceful);
            break;
        }
        if (n == 1) {
            dispatch(ev.data.u64, index, thd);
        }
    }
    sb::set_status(slot_, index, stopping() == ChildStop::immediate ? SERVER_DEAD : SERVER_GRACEFUL);
    t_worker = -1;
}

bool EventChild::start_threads() noexcept { return workers_.start_more(); }

void EventChild::begin_stop(ChildStop how) noexcept
{
    int want = static_cast<int>(how);
    int cur = stop_level_.load();
    while (cur < want && !stop_level_.compare_exchange_weak(cur, want)) {
    }
    g.child.stop.store(stop_level_.load(), std::memory_order_release);
    if (sb::process(slot_).pid == ::getpid()) {  // not if a new child shares the slot already
        sb::process(slot_).quiescing = 1;
    }
    set_listening(false);
    if (how == ChildStop::immediate) {
        sockets_.shutdown_all();
        shutdown_waiting();
        wake_all();
    } else {
        // Listeners go; connections already here are served (keep-alive ones until their next request,
        // answered with "Connection: close", or their timeout).
        drain_listeners();
    }
    std::lock_guard lock(qmutex_);
    rearm_timer_after_expiry_locked();
}

// An immediate stop: every waiting connection (an idle keep-alive one above all) learns the end now, not
// when the process exits, which may be up to kImmediateGrace later while a thread finishes a handler.
// Meanwhile a client ending its pause would send a request nobody reads and lose it; told now, it sees
// the close while idle and retries on a new connection.
void EventChild::shutdown_waiting() noexcept
{
    // A queued connection's descriptor stays open while qmutex_ is held: every close takes the connection
    // out of its queue first, under the lock.
    std::lock_guard lock(qmutex_);
    g.queues->for_each([](const TimeoutQueue& q) {
        q.for_each_since(Clock::time_point::max(),
                         [](TimeoutLink& l) { ::shutdown(Conn::from_link(l).fd, SHUT_RDWR); });
    });
}

int EventChild::run() noexcept
{
    g.child.runtime = this;
    ChildStop how = ChildStop::none;
    if (!start_threads()) {
        // No threads (the reason is logged): exit sick at once, as stock, so the parent's back-off
        // and CHILDSICK handling see it, rather than lingering in the slot without threads.
        sick_ = true;
        how = ChildStop::immediate;
    }
    // In a slot shared with an exiting child, workers start as its threads leave their entries.
    while (how == ChildStop::none && (how = stop_.wait(workers_.complete() ? -1 : 100)) == ChildStop::none) {
        if (!workers_.complete() && !start_threads()) {
            how = ChildStop::graceful;
            sick_ = true;
            break;
        }
    }
    begin_stop(how);
    ap_run_child_stopping(pchild_, how == ChildStop::graceful);
    auto deadline = Clock::time_point::max();
    if (how == ChildStop::immediate) {
        deadline = Clock::now() + kImmediateGrace;
    }
    while (workers_.live() > 0) {
        if (stopping() == ChildStop::graceful && open_.load() == 0 && !draining_.load()) {
            wake_all();  // the last connection is gone: everyone out
        }
        if (Clock::now() >= deadline) {
            ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, ap_server_conf,
                         CXXLOGNO(90040) "child %" APR_PID_T_FMT " exits with %d worker thread(s) still busy",
                         ::getpid(), workers_.live());
            ::_exit(0);
        }
        if (stop_.wait(50) == ChildStop::immediate && stopping() != ChildStop::immediate) {
            begin_stop(ChildStop::immediate);
            deadline = Clock::now() + kImmediateGrace;
        }
    }
    workers_.join_all();
    g.child.runtime = nullptr;
    return sick_ ? APEXIT_CHILDSICK : 0;
}

apr_status_t EventChild::add_timer(apr_time_t after, ap_mpm_callback_fn_t* cb, void* baton) noexcept
{
    try {
        std::lock_guard lock(qmutex_);
        Clock::time_point when = Clock::now() + std::chrono::microseconds(after < 0 ? 0 : after);
        timers_.add(when, Timer{cb, baton});
        arm_timer_locked(when);
        return APR_SUCCESS;
    } catch (...) {
        return APR_ENOMEM;
    }
}

void EventChild::resume_suspended(int t, apr_thread_t* thd) noexcept
{
    // No 2.4 API hands a suspended connection back to the MPM. A module that finishes one from a timed
    // callback (mod_dialup) leaves it in WRITE_COMPLETION or LINGER, so look for those after callbacks ran
    // and carry on with them, rather than leaving them open until the client gives up.
    std::vector<Conn*> ready;
    {
        std::lock_guard cb(callbacks_mutex_);
        std::lock_guard lock(qmutex_);
        for (std::size_t i = 0; i < suspended_.size();) {
            Conn* c = suspended_[i];
            if (c->shared.pub.state != CONN_STATE_SUSPENDED && ConnTable<Conn>::claim_waiting(*c)) {
                c->in_suspended_list = false;
                suspended_[i] = suspended_.back();
                suspended_.pop_back();
                ready.push_back(c);
            } else {
                ++i;
            }
        }
    }
    for (Conn* c : ready) {
        suspended_count_.fetch_sub(1);
        process(*c, t, thd);
    }
}

}  // namespace mpmcxx::event

namespace mpmcxx::event {

int Event::child_lifetime(int slot, int bucket) noexcept
{
    g.child.active = true;
    g.child.slot = slot;
    g.child.stop.store(0);
    return run_threaded_child<EventChild>(slot, bucket);
}

}  // namespace mpmcxx::event
