// The listeners of an event child: their registration in the child's epoll set, accepting new
// connections, the connection limit (AsyncRequestWorkerFactor) that turns them off and on, and leaving
// new connections to less loaded siblings.

#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/base/log_ids.h"
#include "common/config/async_factor.h"
#include "common/listen/accept_result.h"
#include "common/scoreboard/scoreboard.h"
#include "mod_mpm_event_cxx/epoll_keys.h"
#include "mod_mpm_event_cxx/runtime.h"

namespace mpmcxx::event {
namespace {

// A child that leaves new connections to less loaded siblings looks again this often.
constexpr auto kShareRecheck = std::chrono::milliseconds(50);

}  // namespace

// `self_idle`: the calling thread is about to serve what it accepts, so it counts as an idle worker
// although it is not waiting in epoll right now.
bool EventChild::below_limit(bool self_idle) const noexcept
{
    // Connections waiting for their request head hold no thread, like lingering ones: not counted.
    return config::below_connection_limit(open_.load(std::memory_order_relaxed),
                                          lingering_.load(std::memory_order_relaxed) +
                                              head_waiting_.load(std::memory_order_relaxed),
                                          idle_.load(std::memory_order_relaxed) + (self_idle ? 1u : 0u),
                                          static_cast<unsigned>(workers_.live()), off_at_limit_.load(), tpc_,
                                          g.async_factor);
}

namespace {

// EPOLLEXCLUSIVE: of all the children, one with a thread waiting is woken per new connection.
// Edge-triggered: within the child, one thread. A level-triggered listener stays in the ready list after
// a thread takes it, and the kernel wakes the next waiting thread for it, and that one the next, until
// someone has accepted: a new connection woke several idle threads (accept() failing with EAGAIN in all
// but one; about 3 context switches more per connection on an idle server). The price of edge
// triggering is recheck_listeners().
epoll_event listener_event(std::size_t i) noexcept
{
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLET;
    ev.data.u64 = kFirstListenerKey - i;
    return ev;
}

// The listener's descriptor, or -1 once a stop has closed it.
int listener_fd(const ap_listen_rec* lr) noexcept
{
    apr_os_sock_t fd = -1;
    if (lr->sd == nullptr || apr_os_sock_get(&fd, lr->sd) != APR_SUCCESS) {
        return -1;
    }
    return fd;
}

}  // namespace

// An edge-triggered listener is reported once for connections that arrive together, and the wake-ups of
// the later ones may have gone to threads of this child that then found nothing. So after taking one
// connection, a thread looks again; if more are waiting it kicks: one idle thread of this child (or this
// one when it is back) wakes for the kick event and accepts. (Registering the listener anew would report
// it too, but moves this child to the end of the kernel's list for it, so that bursts of connections were
// spread over all the children.) Listeners that are off (at the limit, or left to siblings) are not
// looked at: that happens when they come back on, as it did for level-triggered ones.
// Every listener is looked at, not only the one just taken from: the kick is one token for all of them,
// so connections on another port would otherwise wait, unreported, until another client came to it.
void EventChild::recheck_listeners() noexcept
{
    if (!listening_.load() || !any_listener_waiting()) {
        return;
    }
    kick();
}

void EventChild::kick() noexcept
{
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(kick_.get(), &one, sizeof one);
}

// The index of the first listener with a connection waiting, or listeners_.size() if none has one: one
// poll() (no wait) for up to kPollChunk listeners. A closed listener's fd is -1, which poll() skips.
std::size_t EventChild::first_waiting_listener_locked() const noexcept
{
    constexpr std::size_t kPollChunk = 16;
    for (std::size_t base = 0; base < listeners_.size(); base += kPollChunk) {
        pollfd pfds[kPollChunk];
        const std::size_t n = std::min(kPollChunk, listeners_.size() - base);
        for (std::size_t i = 0; i < n; ++i) {
            pfds[i] = pollfd{listener_fd(listeners_[base + i]), POLLIN, 0};
        }
        if (::poll(pfds, n, 0) > 0) {
            for (std::size_t i = 0; i < n; ++i) {
                if ((pfds[i].revents & POLLIN) != 0) {
                    return base + i;
                }
            }
        }
    }
    return listeners_.size();
}

bool EventChild::any_listener_waiting() noexcept
{
    std::lock_guard lock(listen_mutex_);
    return first_waiting_listener_locked() < listeners_.size();
}

void EventChild::on_kick(int t, apr_thread_t* thd) noexcept
{
    std::size_t which = 0;
    bool drain = false;
    bool relieve = false;
    {
        std::lock_guard lock(listen_mutex_);
        switch (stopping()) {
        case ChildStop::immediate:
            return;
        case ChildStop::graceful:
            if (!draining_.load()) {
                return;
            }
            which = first_waiting_listener_locked();
            if (which == listeners_.size() || drain_left_ == 0) {
                close_listeners_locked();  // nothing left behind (or the bound is reached)
                return;
            }
            --drain_left_;
            drain = true;
            break;
        case ChildStop::none:
            if (!listening_.load()) {
                relief_wanted_ = false;  // at the limit, or leaving clients to siblings: no relief either
                return;
            }
            which = first_waiting_listener_locked();
            if (which == listeners_.size()) {
                if (!relief_wanted_.load()) {
                    return;  // a sibling or another thread was faster
                }
                relieve = true;  // our own listeners first; nothing there
            }
            break;
        }
    }
    if (relieve) {
        take_relief(t, thd);
        return;
    }
    if (drain) {
        take_waiting(which, t, thd);
    } else {
        on_listener(which, t, thd);
    }
}

void EventChild::relieve_requested(void* p) noexcept
{
    auto* self = static_cast<EventChild*>(p);
    if (self->relief_.empty()) {
        return;
    }
    self->relief_wanted_ = true;
    self->kick();
}

// One connection queued on another bucket's socket, taken as on_listener() takes ours (the connection
// limit and MaxConnectionsPerChild hold), then a kick for the next one. None left: relief ends.
void EventChild::take_relief(int t, apr_thread_t* thd) noexcept
{
    if (!below_limit(true) || !budget_.reserve()) {
        relief_wanted_ = false;
        return;
    }
    apr_pool_t* p = pools_.take();
    if (p == nullptr) {
        budget_.give_back();
        relief_wanted_ = false;
        return;
    }
    apr_socket_t* sock = relief_.take(p);
    if (sock == nullptr) {
        budget_.give_back();
        pools_.give_back(p);
        relief_wanted_ = false;
        return;
    }
    if (budget_.accepted()) {
        ap_log_error(APLOG_MARK, APLOG_TRACE1, 0, ap_server_conf, "Stopping process due to MaxConnectionsPerChild");
        set_listening(false);
        stop_.request(ChildStop::graceful);
        relief_wanted_ = false;
    } else {
        kick();  // the next one, by an idle thread (or this one when it is back)
    }
    new_connection(sock, p, t, thd);
}

// A graceful stop turns the listeners off first (EPOLL_CTL_DEL: the kernel reports new arrivals to the
// siblings from then on). Connections already waiting may have been reported to this child alone: the
// kernel wakes one child per arrival (EPOLLEXCLUSIVE), and an accepting sibling hears of a waiting
// connection only when the next one arrives, which may be never. So while a sibling is accepting, this
// child takes what is waiting, over its connection limit and MaxConnectionsPerChild (it is stopping
// anyway; at most ThreadsPerChild more), and closes the listeners once nothing waits. Idle threads do it
// through the kick event; the threads stay until it is done. With no sibling accepting, the connections
// are left to the next child that registers its listeners (a new child, or a sibling turning them back
// on): the registration finds them at once.
void EventChild::drain_listeners() noexcept
{
    const bool sibling = sibling_accepting();
    {
        std::lock_guard lock(listen_mutex_);
        if (listeners_.empty() || draining_.load()) {
            return;
        }
        if (!sibling || first_waiting_listener_locked() == listeners_.size()) {
            close_listeners_locked();
            return;
        }
        drain_left_ = static_cast<std::size_t>(tpc_);
        draining_ = true;
    }
    kick();
}

// One waiting connection for a graceful stop's drain (on_kick chose the listener).
void EventChild::take_waiting(std::size_t which, int t, apr_thread_t* thd) noexcept
{
    apr_pool_t* p = pools_.take();
    apr_socket_t* sock = nullptr;
    AcceptOutcome outcome = AcceptOutcome::gone;
    {
        std::lock_guard lock(listen_mutex_);
        if (p == nullptr) {
            close_listeners_locked();
            return;
        }
        outcome = accept_locked(which, p, &sock);
        if (outcome != AcceptOutcome::accepted && outcome != AcceptOutcome::retry) {
            close_listeners_locked();  // out of descriptors, or the listener failed: leave the rest
        }
    }
    if (outcome == AcceptOutcome::accepted || outcome == AcceptOutcome::retry) {
        kick();  // the next one, or the close once none waits
    }
    if (outcome != AcceptOutcome::accepted) {
        pools_.give_back(p);
        return;
    }
    new_connection(sock, p, t, thd);
}

// Under listen_mutex_: a stop closes the listeners under it, and accept() must not meet a listener being
// closed (or a descriptor number already reused). A non-blocking accept is brief. `gone` once closed.
AcceptOutcome EventChild::accept_locked(std::size_t which, apr_pool_t* p, apr_socket_t** sock) noexcept
{
    if (which >= listeners_.size()) {
        return AcceptOutcome::gone;
    }
    AcceptOutcome outcome = accept_connection(listeners_[which], p, sock);
    if (outcome == AcceptOutcome::accepted) {
        shortage_.succeeded();
    }
    return outcome;
}

void EventChild::close_listeners_locked() noexcept
{
    for (ap_listen_rec* lr : listeners_) {
        if (lr->sd != nullptr && lr->active) {
            apr_socket_close(lr->sd);
            lr->active = 0;
        }
    }
    listeners_.clear();
    draining_ = false;
}

void EventChild::set_listening(bool on) noexcept
{
    std::lock_guard lock(listen_mutex_);
    if (listening_.load() == on) {
        return;
    }
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        const int fd = listener_fd(listeners_[i]);
        if (fd < 0) {
            continue;
        }
        if (on) {
            epoll_event ev = listener_event(i);
            ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
        } else {
            ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
        }
    }
    listening_ = on;
    if (on) {
        off_at_limit_ = false;
    }
    if (ap_scoreboard_image != nullptr && sb::process(slot_).pid == ::getpid()) {
        sb::process(slot_).not_accepting = on ? 0 : 1;
    }
}

// Calls f(peer) for each sibling that shares this child's listeners (same bucket), read from its
// scoreboard slot; stops when f returns true. Returns whether it did.
template <typename F>
bool EventChild::any_sibling(F f) const noexcept
{
    if (ap_scoreboard_image == nullptr) {
        return false;
    }
    const ap_unixd_mpm_retained_data* mpm = g.retained->threaded.sup.mpm;
    const int buckets = mpm->num_buckets > 0 ? mpm->num_buckets : 1;
    const int slots = sb::server_limit();
    for (int i = slot_ % buckets; i < slots; i += buckets) {
        if (i == slot_) {
            continue;
        }
        const process_score& ps = sb::process(i);
        // accepting: alive, same generation, not stopping, listeners on
        config::PeerLoad peer{ps.pid != 0 && ps.pid != my_pid_ && !ps.quiescing && !ps.not_accepting &&
                                  ps.generation == mpm->my_generation,
                              static_cast<unsigned>(ps.connections)};
        if (f(peer)) {
            return true;
        }
    }
    return false;
}

// config::leave_to_peers over the siblings. `accepting`: connections accepted but not counted as open yet.
bool EventChild::leave_to_siblings(unsigned accepting) const noexcept
{
    unsigned open = open_.load(std::memory_order_relaxed) + accepting;
    unsigned lingering = lingering_.load(std::memory_order_relaxed);
    if (open <= lingering || open - lingering < static_cast<unsigned>(tpc_)) {
        return false;
    }
    return any_sibling(
        [&](const config::PeerLoad& peer) { return config::leave_to_peers(open, lingering, tpc_, &peer, 1); });
}

bool EventChild::sibling_accepting() const noexcept
{
    return any_sibling([](const config::PeerLoad& peer) { return peer.accepting; });
}

// Listeners off until `delay` from now (the timer looks again then).
void EventChild::pause_listening(Clock::duration delay) noexcept
{
    Clock::time_point when = Clock::now() + delay;
    {
        std::lock_guard lock(listen_mutex_);
        if (resume_listening_at_ < when) {
            resume_listening_at_ = when;
        }
    }
    set_listening(false);
    std::lock_guard lock(qmutex_);
    arm_timer_locked(when);
}

// Called whenever a thread becomes idle or a connection closes: cheap unless listeners are off.
void EventChild::maybe_resume_listening() noexcept
{
    if (listening_.load() || stopping() != ChildStop::none) {
        return;
    }
    {
        std::lock_guard lock(listen_mutex_);  // a graceful stop clears listeners_ under it
        if (listeners_.empty() || Clock::now() < resume_listening_at_) {
            return;
        }
    }
    // Still leaving new connections to the siblings, unless one is waiting: the kernel may have reported
    // it to this child just before its listeners went off (that wake-up went with them), and then no
    // sibling hears of it until another client arrives. Taking it here bounds its wait to one recheck
    // period.
    if (leave_to_siblings() && !any_listener_waiting()) {
        pause_listening(kShareRecheck);
        return;
    }
    if (below_limit(false) && !budget_.exhausted()) {
        set_listening(true);
    }
}

void EventChild::on_listener(std::size_t which, int t, apr_thread_t* thd) noexcept
{
    // A child stopping gracefully still takes the connection it was woken for while its listeners are
    // open (the accept below is under the lock that closes them): the kernel woke no one else for it.
    if (stopping() == ChildStop::immediate) {
        return;
    }
    if (!below_limit(true)) {
        // Back-pressure: new connections wait in the kernel's queue (or go to another child) until this
        // child has room again; nothing already accepted is closed to make room.
        off_at_limit_ = true;
        set_listening(false);
        // But the kernel woke only this child for the connection waiting now (EPOLLEXCLUSIVE), and
        // turning the listeners off does not pass that wake-up on: a sibling that is accepting would not
        // hear of it before the next client arrives (seconds, or never). So this child takes it, one
        // over its limit, and this thread serves it. Without an accepting sibling it stays queued: the
        // next child to turn its listeners on sees it at once.
        if (!sibling_accepting()) {
            return;
        }
    }
    // MaxConnectionsPerChild: reserve before accepting, so that threads accepting at the same moment never
    // take more than the limit between them.
    if (!budget_.reserve()) {
        set_listening(false);
        return;
    }
    apr_pool_t* p = pools_.take();
    if (p == nullptr) {
        budget_.give_back();
        set_listening(false);
        return;
    }
    apr_socket_t* sock = nullptr;
    AcceptOutcome outcome = AcceptOutcome::gone;
    {
        std::lock_guard lock(listen_mutex_);
        outcome = accept_locked(which, p, &sock);
    }
    switch (outcome) {
    case AcceptOutcome::accepted:
        break;
    case AcceptOutcome::retry:
        budget_.give_back();
        pools_.give_back(p);
        recheck_listeners();  // a client that left before accept() may have others behind it
        return;
    case AcceptOutcome::shortage: {
        budget_.give_back();
        pools_.give_back(p);
        bool first = false;
        {
            std::lock_guard lock(listen_mutex_);
            first = shortage_.failures() == 0;
            shortage_.failed(Clock::now());
            resume_listening_at_ = Clock::now() + shortage_.delay();
        }
        if (first) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf,
                         CXXLOGNO(90020) "accept: out of descriptors or memory; pausing accept (up to 1s at a "
                                         "time) until they are available again");
        }
        set_listening(false);
        {
            std::lock_guard lock(qmutex_);
            arm_timer_locked(resume_listening_at_);
        }
        return;
    }
    case AcceptOutcome::gone:
        budget_.give_back();
        pools_.give_back(p);
        return;
    case AcceptOutcome::sick:
        budget_.give_back();
        pools_.give_back(p);
        sick_ = true;
        stop_.request(ChildStop::graceful);
        return;
    }
    if (budget_.accepted()) {
        // MaxConnectionsPerChild: this is the last one; a fresh child takes over.
        ap_log_error(APLOG_MARK, APLOG_TRACE1, 0, ap_server_conf, "Stopping process due to MaxConnectionsPerChild");
        // Off at once rather than when the main thread begins the stop: until then the kernel would
        // still wake this child for new connections that it may no longer take.
        set_listening(false);
        stop_.request(ChildStop::graceful);
    } else if (leave_to_siblings(1)) {
        // This one is ours (the kernel woke only this child for it); the next ones go to a sibling.
        pause_listening(kShareRecheck);
    }
    recheck_listeners();
    new_connection(sock, p, t, thd);
}

}  // namespace mpmcxx::event
