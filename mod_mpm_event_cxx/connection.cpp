// The connection state machine of an event child (httpd 2.4.71's CONN_STATE_*): what a thread does with a
// connection it owns, until the connection waits again (armed in epoll and queued for its timeout),
// is suspended by a module, or is closed.

#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "common/base/c_boundary.h"
#include "common/base/log_ids.h"
#include "common/base/tsan_ignore.h"
#include "common/io/request_head.h"
#include "common/scoreboard/scoreboard.h"
#include "mod_mpm_event_cxx/runtime.h"

namespace mpmcxx::event {
namespace {

constexpr apr_interval_time_t kSecondsToLinger = apr_time_from_sec(2);
constexpr std::size_t kLingerBufSize = 32 * 1024;
// How much of a request head is waited for without a thread; a larger head is read by one.
constexpr std::size_t kHeadCap = 16 * 1024;
// A request head waited for without a thread gets Timeout between bytes (as a blocking read would) and
// this many Timeouts in all: a client trickling its head forever is closed (stock leaves that to
// mod_reqtimeout, whose limits apply here once the head is complete and a thread reads it).
constexpr int kHeadWaitLimit = 2;

bool is_lingering(int state) noexcept
{
    return state == CONN_STATE_LINGER || state == CONN_STATE_LINGER_NORMAL || state == CONN_STATE_LINGER_SHORT;
}

// A module may ask for the other direction once (c->cs->sense); the default follows the state.
std::uint32_t events_from_sense(conn_state_t& pub, int default_sense) noexcept
{
    int sense = default_sense;
    if (pub.sense != CONN_SENSE_DEFAULT) {
        sense = pub.sense;
        pub.sense = CONN_SENSE_DEFAULT;
    }
    return sense == CONN_SENSE_WANT_READ ? (EPOLLIN | EPOLLRDHUP) : EPOLLOUT;
}

}  // namespace

apr_status_t EventChild::connection_cleanup(void* p) noexcept
{
    auto* conn = static_cast<Conn*>(p);
    EventChild* self = g.child.runtime;
    if (self == nullptr) {
        return APR_SUCCESS;
    }
    int state = conn->shared.pub.state;
    if (is_lingering(state) && conn->linger_counted) {
        self->lingering_.fetch_sub(1);
    } else if (state == CONN_STATE_SUSPENDED && conn->in_suspended_list) {
        self->suspended_count_.fetch_sub(1);
    }
    if (conn->head_wait) {
        conn->head_wait = false;
        self->head_waiting_.fetch_sub(1);
    }
    self->open_.fetch_sub(1);
    return APR_SUCCESS;
}

// Runs before any module cleanup on the connection: modules told it was suspended learn it resumes.
apr_status_t EventChild::connection_pre_cleanup(void* p) noexcept
{
    auto* conn = static_cast<Conn*>(p);
    if (conn->suspended && g.child.runtime != nullptr) {
        g.child.runtime->notify_resume(*conn, true);
    }
    return APR_SUCCESS;
}

void EventChild::notify_suspend(Conn& conn) noexcept
{
    ap_run_suspend_connection(conn.c, conn.shared.r);
    conn.c->sbh = nullptr;
    conn.suspended = true;
}

void EventChild::notify_resume(Conn& conn, bool cleanup) noexcept
{
    conn.suspended = false;
    conn.c->sbh = cleanup ? nullptr : conn.sbh;
    ap_run_resume_connection(conn.c, conn.shared.r);
}

void EventChild::unqueue(Conn& conn) noexcept
{
    {
        std::lock_guard lock(qmutex_);
        TimeoutQueue* q = conn.link.queue;
        if (q == nullptr) {
            return;
        }
        q->remove(conn.link);
        queued_[q->kind()].fetch_sub(1, std::memory_order_relaxed);
    }
    publish();
}

void EventChild::close_connection(Conn& conn) noexcept
{
    // Not blocking on SO_LINGER: the socket is closed at once (a pending reset is the kernel's).
    apr_socket_timeout_set(conn.sock, 0);
    apr_socket_close(conn.sock);
    apr_pool_t* p = conn.p;
    conn.p = nullptr;
    pools_.give_back(p);  // runs the connection's cleanups (counters, modules)
    conn.c = nullptr;
    conn.sock = nullptr;
    conn.fd = -1;
    conns_.release(conn);
    publish();
    maybe_resume_listening();
}

// Timeout or resource shortage: a short (2 s) lingering close, or a close if lingering already.
void EventChild::shutdown_connection(Conn& conn) noexcept
{
    if (!is_lingering(conn.shared.pub.state)) {
        apr_table_setn(conn.c->notes, "short-lingering-close", "1");
        conn.shared.pub.state = CONN_STATE_LINGER;
        lingering_close(conn);
    } else {
        close_connection(conn);
    }
}

// Arms the connection for `events` and queues it for its timeout; the connection is no longer ours
// afterwards. False if arming failed (the connection was closed).
bool EventChild::wait_for_io(Conn& conn, TimeoutQueue* q, std::uint32_t events, Clock::time_point since) noexcept
{
    {
        std::lock_guard lock(qmutex_);
        q->append(conn.link, since);
        conn.trimmed = false;
        arm_timer_locked(q->kind() == kKeepAlive ? std::min(q->next_expiry(), since + kTrimAfter) : q->next_expiry());
    }
    queued_[q->kind()].fetch_add(1, std::memory_order_relaxed);
    publish();
    // Everything the connection needs is written before it is armed: from the moment epoll_ctl succeeds,
    // another thread may own it.
    const int op = conn.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    conn.registered = true;
    return arm(conn, op, events);
}

// Arms a queued connection for `events`; it is no longer ours afterwards. False if epoll_ctl failed: the
// connection (still ours, an unarmed descriptor cannot fire) is then taken out of its queue and closed.
bool EventChild::arm(Conn& conn, int op, std::uint32_t events) noexcept
{
    const std::uint64_t armed = ConnTable<Conn>::begin_arming(conn);
    epoll_event ev{};
    ev.events = events | EPOLLONESHOT;
    ev.data.u64 = ConnTable<Conn>::event_key(conn);
    int rc = 0;
    int err = 0;
    {
        [[maybe_unused]] TsanIgnoreScope kernel_ordered;  // see tsan_ignore.h
        rc = ::epoll_ctl(epoll_.get(), op, conn.fd, &ev);
        err = errno;
    }
    if (rc != 0) {
        unqueue(conn);
        ap_log_error(APLOG_MARK, APLOG_ERR, APR_FROM_OS_ERROR(err), ap_server_conf,
                     CXXLOGNO(03093) "process_socket: epoll_ctl failure; closing the connection");
        std::uint64_t tag = conn.tag.load();
        conn.tag.store(SlotTag::pack(SlotTag::generation(tag), SlotState::owned));
        close_connection(conn);
        return false;
    }
    ConnTable<Conn>::finish_arming(conn, armed);  // false: a readiness event already took it; fine either way
    return true;
}

void EventChild::lingering_close(Conn& conn) noexcept
{
    conn_rec* c = conn.c;
    if (!conn.linger_started) {
        conn.linger_started = true;
        conn.shared.pub.state = CONN_STATE_LINGER;
        if (!conn.linger_counted) {
            conn.linger_counted = true;
            lingering_.fetch_add(1);
        }
        apr_socket_timeout_set(conn.sock, kSecondsToLinger);
        if (ap_start_lingering_close(c)) {
            notify_suspend(conn);
            close_connection(conn);
            return;
        }
        // Non-blocking from now on.
        apr_socket_timeout_set(conn.sock, 0);
        apr_socket_opt_set(conn.sock, APR_INCOMPLETE_READ, 0);
        conn.shared.pub.state =
            apr_table_get(c->notes, "short-lingering-close") ? CONN_STATE_LINGER_SHORT : CONN_STATE_LINGER_NORMAL;
        conn.shared.pub.sense = CONN_SENSE_DEFAULT;
        notify_suspend(conn);
        conn.linger_since = Clock::now();  // one deadline for the whole lingering close
    }
    char buf[kLingerBufSize];
    apr_status_t rv;
    do {
        apr_size_t n = sizeof buf;
        rv = apr_socket_recv(conn.sock, buf, &n);
    } while (rv == APR_SUCCESS);
    if (!APR_STATUS_IS_EAGAIN(rv)) {
        close_connection(conn);
        return;
    }
    TimeoutQueue* q = conn.shared.pub.state == CONN_STATE_LINGER_SHORT ? g.queues->short_linger.get()
                                                                       : g.queues->linger.get();
    wait_for_io(conn, q, EPOLLIN | EPOLLRDHUP, conn.linger_since);
}

void EventChild::new_connection(apr_socket_t* sock, apr_pool_t* p, int t, apr_thread_t* thd) noexcept
{
    Conn* conn = nullptr;
    try {
        conn = conns_.acquire();
    } catch (...) {
    }
    if (conn == nullptr) {
        apr_socket_close(sock);
        pools_.give_back(p);
        return;
    }
    conn->p = p;
    conn->sock = sock;
    apr_os_sock_t fd = -1;
    apr_os_sock_get(&fd, sock);
    conn->fd = fd;
    conn->registered = false;
    conn->suspended = false;
    conn->linger_started = false;
    conn->linger_counted = false;
    conn->in_suspended_list = false;
    conn->head_wait = false;
    conn->no_gate = false;
    conn->shared = ConnShared{};
    conn->shared.sc = &g.queues->main;
    conn->link = TimeoutLink{};

    apr_bucket_alloc_t* ba = apr_bucket_alloc_create(p);
    ap_create_sb_handle(&conn->sbh, p, slot_, t);
    conn_rec* c = ap_run_create_connection(p, ap_server_conf, sock, connection_id(t), conn->sbh, ba);
    if (c == nullptr) {
        apr_socket_close(sock);
        pools_.give_back(p);
        conns_.release(*conn);
        return;
    }
    conn->c = c;
    open_.fetch_add(1);
    apr_pool_cleanup_register(c->pool, conn, connection_cleanup, apr_pool_cleanup_null);
    ap_set_module_config(c->conn_config, &mpm_event_cxx_module, &conn->shared);
    c->current_thread = thd;
    c->cs = &conn->shared.pub;
    apr_pool_pre_cleanup_register(p, conn, connection_pre_cleanup);
    ap_update_vhost_given_ip(c);
    int rc = ap_pre_connection(c, sock);
    if (rc != OK && rc != DONE) {
        ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, CXXLOGNO(00469) "process_socket: connection aborted");
        close_connection(*conn);
        return;
    }
    conn->shared.pub.state = CONN_STATE_PROCESSING;
    conn->shared.pub.sense = CONN_SENSE_DEFAULT;
    conn->shared.ahead = make_read_ahead(c);
    if (wait_for_head(*conn)) {
        return;
    }
    process(*conn, t, thd);
}

// Before a connection's next request is read (on a thread, blocking): if the bytes waiting on the socket
// are the start of an HTTP/1 request head but not all of it, wait for the rest in the epoll set (in the
// I/O queue, for the server's Timeout) and give the thread back. True if the connection now waits.
// The bytes are read, not peeked, and kept for the modules (read_ahead.h).
bool EventChild::wait_for_head(Conn& conn) noexcept
{
    conn_rec* c = conn.c;
    if (conn.no_gate || c->data_in_input_filters || c->clogging_input_filters) {
        return false;
    }
    ReadAhead& ahead = *conn.shared.ahead;
    const std::size_t before = read_ahead_length(ahead);
    if (before >= kHeadCap) {
        return false;
    }
    const std::size_t want = std::min<std::size_t>(APR_BUCKET_BUFF_SIZE, kHeadCap - before);
    auto* buf = static_cast<char*>(apr_bucket_alloc(want, c->bucket_alloc));
    const ssize_t n = ::recv(conn.fd, buf, want, MSG_DONTWAIT);
    const int read_errno = errno;
    if (n > 0) {
        read_ahead_append(ahead, buf, static_cast<std::size_t>(n), c->bucket_alloc);
    } else {
        apr_bucket_free(buf);
    }
    if (n < 0 && !(conn.head_wait && (read_errno == EAGAIN || read_errno == EWOULDBLOCK))) {
        // Nothing yet on a new connection: to the modules as with stock (a protocol may speak first).
        // A failed read: the modules meet the error on their own read.
        return false;
    }
    if (n == 0) {
        return false;  // the client shut down: the modules see what came and then the end
    }
    if (n > 0) {
        char scratch[kHeadCap];
        const std::string_view seen = read_ahead_view(ahead, scratch, sizeof scratch);
        if (!seen.empty() && static_cast<unsigned char>(seen[0]) == 0x16) {
            conn.no_gate = true;  // a TLS handshake: mod_ssl's from here on
            return false;
        }
        if (check_request_head(seen, kHeadCap) != HeadCheck::incomplete) {
            return false;
        }
    }
    // Here n < 0 only for a head woken without a byte (which epoll hardly does: read bytes no longer
    // count as readable); it waits on.
    const Clock::time_point now = Clock::now();
    TimeoutQueue* q = conn.shared.sc->io;
    if (conn.head_wait) {
        if (n > 0 && now - conn.head_since >= kHeadWaitLimit * q->timeout()) {
            // Progress, but too slow in all (a slowloris trickle): closed, as mod_reqtimeout would.
            end_head_wait(conn);
            unqueue(conn);
            ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c,
                          CXXLOGNO(90051) "request head still incomplete after %d x Timeout; closing the "
                                          "connection", kHeadWaitLimit);
            shutdown_connection(conn);
            return true;
        }
        // Timeout starts again, as it does for each read of a blocking thread.
        unqueue(conn);
        wait_for_io(conn, q, EPOLLIN | EPOLLRDHUP, now);
        return true;
    }
    conn.head_wait = true;
    conn.head_since = now;
    head_waiting_.fetch_add(1, std::memory_order_relaxed);
    if (!conn.suspended) {
        notify_suspend(conn);  // a new connection: off this thread's scoreboard entry
    }
    wait_for_io(conn, q, EPOLLIN | EPOLLRDHUP, now);
    return true;
}

void EventChild::end_head_wait(Conn& conn) noexcept
{
    if (conn.head_wait) {
        conn.head_wait = false;
        head_waiting_.fetch_sub(1, std::memory_order_relaxed);
    }
}


void EventChild::process(Conn& conn, int t, apr_thread_t* thd) noexcept
{
    conn_rec* c = conn.c;
    conn_state_t& cs = conn.shared.pub;
    if (c->sbh == nullptr || conn.suspended) {
        ap_update_sb_handle(conn.sbh, slot_, t);
        notify_resume(conn, false);
    } else {
        ap_update_sb_handle(conn.sbh, slot_, t);
    }
    c->current_thread = thd;
    c->id = connection_id(t);
    sockets_.set(t, conn.fd);
    struct Unset {
        ActiveSockets& s;
        int t;
        ~Unset() { s.clear(t); }
    } unset{sockets_, t};

    if (is_lingering(cs.state)) {
        lingering_close(conn);
        return;
    }

    for (;;) {  // PROCESSING may come back here after write completion finds pipelined input
        if (cs.state == CONN_STATE_PROCESSING || c->clogging_input_filters) {
            cs.state = CONN_STATE_PROCESSING;
            int rc = ap_run_process_connection(c);
            if (rc == DONE) {
                rc = OK;
            }
            if (rc == OK) {
                if (cs.state == CONN_STATE_PROCESSING) {
                    cs.state = CONN_STATE_LINGER;
                } else if (cs.state == CONN_STATE_KEEPALIVE) {
                    cs.state = CONN_STATE_WRITE_COMPLETION;
                }
            }
            if (rc != OK || (cs.state != CONN_STATE_LINGER && cs.state != CONN_STATE_ASYNC_WAITIO &&
                             cs.state != CONN_STATE_WRITE_COMPLETION && cs.state != CONN_STATE_SUSPENDED)) {
                ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c,
                              CXXLOGNO(10111) "process_socket: connection processing returned %i (%sstate %i): "
                                              "closing",
                              rc, rc ? "" : "unexpected ", static_cast<int>(cs.state));
                cs.state = CONN_STATE_LINGER;
            } else if (c->aborted) {
                cs.state = CONN_STATE_LINGER;
            }
            if (cs.state == CONN_STATE_LINGER) {
                lingering_close(conn);
                return;
            }
        }

        if (cs.state == CONN_STATE_ASYNC_WAITIO) {
            notify_suspend(conn);
            ap_update_child_status(conn.sbh, SERVER_BUSY_READ, nullptr);
            wait_for_io(conn, conn.shared.sc->io, events_from_sense(cs, CONN_SENSE_WANT_READ), Clock::now());
            return;
        }

        if (cs.state == CONN_STATE_WRITE_COMPLETION) {
            ap_update_child_status(conn.sbh, SERVER_BUSY_WRITE, nullptr);
            ap_filter_t* out = c->output_filters;
            while (out->next != nullptr) {
                out = out->next;
            }
            apr_status_t rv = out->frec->filter_func.out_func(out, nullptr);
            if (rv != APR_SUCCESS) {
                ap_log_cerror(APLOG_MARK, APLOG_DEBUG, rv, c,
                              CXXLOGNO(00470) "network write failure in core output filter");
                cs.state = CONN_STATE_LINGER;
                lingering_close(conn);
                return;
            }
            if (c->data_in_output_filters || cs.sense == CONN_SENSE_WANT_READ) {
                notify_suspend(conn);
                wait_for_io(conn, conn.shared.sc->wc, events_from_sense(cs, CONN_SENSE_WANT_WRITE), Clock::now());
                return;
            }
            if (c->keepalive != AP_CONN_KEEPALIVE || c->aborted) {
                cs.state = CONN_STATE_LINGER;
                lingering_close(conn);
                return;
            }
            if (c->data_in_input_filters) {
                cs.state = CONN_STATE_PROCESSING;
                continue;
            }
            // A stopping child does not close here (stock does): the response promised keep-alive, and the
            // client may already be sending its next request. That request gets "Connection: close".
            cs.state = CONN_STATE_KEEPALIVE;
        }

        if (cs.state == CONN_STATE_KEEPALIVE) {
            ap_update_child_status(conn.sbh, SERVER_BUSY_KEEPALIVE, nullptr);
            notify_suspend(conn);
            cs.sense = CONN_SENSE_DEFAULT;
            wait_for_io(conn, conn.shared.sc->ka, EPOLLIN | EPOLLRDHUP, Clock::now());
            return;
        }

        if (cs.state == CONN_STATE_SUSPENDED) {
            notify_suspend(conn);
            suspended_count_.fetch_add(1);
            {
                std::lock_guard lock(qmutex_);
                conn.in_suspended_list = true;
                suspended_.push_back(&conn);
                ConnTable<Conn>::park(conn);
            }
            publish();
            return;
        }

        // Anything else: close.
        cs.state = CONN_STATE_LINGER;
        lingering_close(conn);
        return;
    }
}

}  // namespace mpmcxx::event
