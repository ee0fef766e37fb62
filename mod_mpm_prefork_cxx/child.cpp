// A prefork child: wait for a connection (or the pipe of death, or a signal), serve it, repeat, until
// told to stop, the generation changes, or MaxConnectionsPerChild is reached.

#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>

#include "common/base/c_boundary.h"
#include "common/base/fd.h"
#include "common/base/log_ids.h"
#include "common/listen/acceptor.h"
#include "common/process/child_signals.h"
#include "common/scoreboard/scoreboard.h"
#include "mod_mpm_prefork_cxx/prefork.h"

namespace mpmcxx::prefork {
namespace {

using child_signals::Stop;

// A safety net only: every reason to stop also wakes the wait (signal, pipe of death).
constexpr int kWaitTimeoutMs = 10000;

// The child pool, for the last-resort exit below (trivial state: read from a signal handler).
constinit apr_pool_t* volatile g_pchild = nullptr;

// An immediate stop that the connection did not notice within the grace period (see child_signals.h):
// stock prefork's behaviour, from the timer signal.
void last_resort_exit()
{
    if (apr_pool_t* pchild = g_pchild) {
        ap_run_child_stopping(pchild, 0);
        apr_pool_destroy(pchild);
    }
    std::exit(0);
}

apr_pool_t* create_child_pool(apr_pool_t* parent) noexcept
{
    apr_allocator_t* allocator = nullptr;
    if (apr_allocator_create(&allocator) != APR_SUCCESS) {
        return nullptr;
    }
    apr_allocator_max_free_set(allocator, ap_max_mem_free);
    apr_pool_t* pchild = nullptr;
    if (apr_pool_create_ex(&pchild, parent, nullptr, allocator) != APR_SUCCESS) {
        apr_allocator_destroy(allocator);
        return nullptr;
    }
    apr_allocator_owner_set(allocator, pchild);
    apr_pool_tag(pchild, "pchild");
    return pchild;
}

// child_init hooks may start threads (mod_watchdog, ...); they must not inherit a mask that lets them take
// our signals, so all signals are blocked around child_init and restored for this thread afterwards.
int run_child_init(apr_pool_t* pchild) noexcept
{
    sigset_t saved;
    pthread_sigmask(SIG_SETMASK, nullptr, &saved);
    apr_status_t rv = apr_setup_signal_thread();
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, ap_server_conf, CXXLOGNO(10271) "Couldn't initialize signal thread");
        return APEXIT_CHILDFATAL;
    }
    ap_run_child_init(pchild, ap_server_conf);
    pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    return 0;
}

void serve_connection(apr_socket_t* sock, apr_pool_t* ptrans, int slot, ap_sb_handle_t* sbh,
                      apr_bucket_alloc_t* ba, apr_thread_t* thd) noexcept
{
    apr_os_sock_t fd = -1;
    apr_os_sock_get(&fd, sock);
    child_signals::set_connection_fd(fd);
    conn_rec* c = ap_run_create_connection(ptrans, ap_server_conf, sock, slot, sbh, ba);
    if (c != nullptr) {
        c->current_thread = thd;
        ap_process_connection(c, sock);
        ap_lingering_close(c);
    }
    child_signals::set_connection_fd(-1);
}

}  // namespace

int Prefork::serve(int slot, int bucket, apr_pool_t* pchild) noexcept
{
    ap_unixd_mpm_retained_data* mpm = retained_.sup.mpm;

    Fd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, APR_FROM_OS_ERROR(errno), ap_server_conf,
                     CXXLOGNO(90030) "eventfd: cannot create the child's wake-up descriptor");
        return APEXIT_CHILDSICK;
    }
    if (one_process_) {
        child_signals::install_one_process(wake.get(), mpm);
    } else {
        child_signals::install_child(wake.get());
    }

    apr_thread_t* thd = nullptr;
    if (one_process_) {
        thd = ap_thread_current();
    } else if (apr_status_t rv = ap_thread_main_create(&thd, pchild); rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, ap_server_conf, CXXLOGNO(10378) "Couldn't initialize child main thread");
        return APEXIT_CHILDFATAL;
    }

    // With several buckets the other buckets' listeners stay open: the parent may send this child, when
    // idle, to take a connection queued there while all of that bucket's children are busy.
    const bool relief = supervisor_.relief_on();
    buckets_->keep_only(bucket, relief);

    // Before dropping privileges: the scoreboard may be a root-owned file.
    ap_reopen_scoreboard(pchild, nullptr, 0);
    child_signals::set_keepalive_watch(&sb::worker(slot, 0));
    if (ap_run_drop_privileges(pchild, ap_server_conf)) {
        return APEXIT_CHILDFATAL;
    }
    if (int rc = run_child_init(pchild); rc != 0) {
        return rc;
    }

    ap_sb_handle_t* sbh = nullptr;
    ap_create_sb_handle(&sbh, pchild, slot, 0);
    ap_update_child_status(sbh, SERVER_READY, nullptr);

    const PipeOfDeath& pod = buckets_->pod(bucket);
    std::optional<Acceptor> acceptor;
    try {
        acceptor.emplace(buckets_->bucket(bucket), pod.read_fd(), wake.get());
        for (int b = 0; relief && b < buckets_->count(); ++b) {
            if (b != bucket) {
                acceptor->add_relief_listeners(buckets_->bucket(b));
            }
        }
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, ap_server_conf,
                     CXXLOGNO(00156) "Couldn't create pollset in child; check system or user limits: %s", e.what());
        return APEXIT_CHILDSICK;  // assume a temporary resource issue
    }

    apr_pool_t* ptrans = nullptr;
    apr_pool_create(&ptrans, pchild);
    apr_pool_tag(ptrans, "transaction");
    apr_bucket_alloc_t* ba = apr_bucket_alloc_create(pchild);

    mpm->mpm_state = AP_MPMQ_RUNNING;

    int connections = 0;
    bool relieving = false;  // sent by the parent to another bucket's queue (bucket_relief.h)
    for (;;) {
        if (child_signals::pending() != Stop::none) {
            break;
        }
        if (sb::global().running_generation != g.child.generation) {
            break;  // a graceful restart whose signal we missed
        }
        if (ap_max_requests_per_child > 0 && connections >= ap_max_requests_per_child) {
            break;
        }
        apr_pool_clear(ptrans);
        ap_update_child_status(sbh, SERVER_READY, nullptr);

        // While relieving, look at our own bucket without waiting, then take the next queued connection of
        // another bucket; stop when none is left there.
        Acceptor::Wakeup w = acceptor->wait(ptrans, relieving ? 0 : kWaitTimeoutMs);
        if (w.sick) {
            return APEXIT_CHILDSICK;
        }
        if (w.pod) {
            PodMessage m;
            if (!pod.receive(m)) {
                // another idle child took the byte
            } else if (m == PodMessage::relieve) {
                relieving = true;
            } else {
                child_signals::request(m == PodMessage::immediate ? Stop::immediate : Stop::graceful);
            }
        }
        if (relieving && w.socket == nullptr && child_signals::pending() == Stop::none) {
            w.socket = acceptor->take_relief(ptrans);
            relieving = w.socket != nullptr;
        }
        if (w.socket != nullptr) {
            if (child_signals::pending() == Stop::immediate) {
                apr_socket_close(w.socket);
                break;
            }
            // A connection we accepted is served even if a graceful stop arrived meanwhile: the kernel
            // woke only us for it.
            ++connections;
            serve_connection(w.socket, ptrans, slot, sbh, ba, thd);
        }
        if (w.listeners_gone) {
            break;
        }
    }
    acceptor->close_listeners();
    apr_pool_clear(ptrans);
    return 0;
}

int Prefork::child_lifetime(int slot, int bucket) noexcept
{
    ap_unixd_mpm_retained_data* mpm = retained_.sup.mpm;
    mpm->mpm_state = AP_MPMQ_STARTING;
    g.child = ChildState{true, slot, mpm->my_generation};

    apr_pool_t* pchild = create_child_pool(pconf_);
    if (pchild == nullptr) {
        return APEXIT_CHILDSICK;
    }
    g_pchild = pchild;
    child_signals::set_last_resort(last_resort_exit);
    int code = c_boundary("child", static_cast<int>(APEXIT_CHILDSICK), [&] { return serve(slot, bucket, pchild); });
    mpm->mpm_state = AP_MPMQ_STOPPING;
    child_signals::cancel_last_resort();
    if (code == 0) {
        ap_run_child_stopping(pchild, 0);
    }
    g_pchild = nullptr;
    apr_pool_destroy(pchild);
    return code;
}

void Prefork::child_main(int slot, int bucket) noexcept
{
    ap_fatal_signal_child_setup(ap_server_conf);
    // Forked while the parent already had a stop or restart pending: this child is not wanted.
    ap_unixd_mpm_retained_data* mpm = retained_.sup.mpm;
    if (mpm->shutdown_pending || mpm->restart_pending) {
        child_signals::request(Stop::graceful);
    }
    std::exit(child_lifetime(slot, bucket));
}

int Prefork::run_one_process() noexcept { return child_lifetime(0, 0); }

}  // namespace mpmcxx::prefork
