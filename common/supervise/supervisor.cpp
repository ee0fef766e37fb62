#include "common/supervise/supervisor.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <initializer_list>

#include "common/base/log_ids.h"
#include "common/scoreboard/scoreboard.h"
#include "common/supervise/drain_deadline.h"
#include "common/supervise/reclaim_schedule.h"

namespace mpmcxx {
namespace {
constexpr auto kGracefulStopPoll = std::chrono::milliseconds(100);
// After a child exits normally, maintenance runs at once (to replace it without waiting for the next
// tick), but not more often than this: a crash loop must not become a fork loop.
constexpr auto kPromptMaintenanceGap = std::chrono::milliseconds(100);
constexpr auto kMaintenanceInterval = std::chrono::milliseconds(950);

// A SIGCHLD interrupts the parent's one-second sleep in ap_wait_or_timeout(), so an exited child is
// reaped (and its slot reused) within milliseconds instead of up to a second later.
extern "C" void on_sigchld(int) {}

// The handler lives in this .so, which httpd unloads on restart: it goes before the module does
// (pconf cleanups run in reverse order, and mod_so registered the unload first).
apr_status_t restore_sigchld(void*) noexcept
{
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGCHLD, &sa, nullptr);
    return APR_SUCCESS;
}

void install_sigchld(apr_pool_t* pconf) noexcept
{
    struct sigaction sa {};
    sa.sa_handler = on_sigchld;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NOCLDSTOP;  // no SA_RESTART: the sleep must end
    ::sigaction(SIGCHLD, &sa, nullptr);
    apr_pool_cleanup_register(pconf, nullptr, restore_sigchld, apr_pool_cleanup_null);
}
}  // namespace

void release_slot(ChildKind& kind, int slot) noexcept
{
    process_score& ps = sb::process(slot);
    kind.released(slot, ps.pid);
    ap_run_child_status(ap_server_conf, ps.pid, ps.generation, slot, MPM_CHILD_EXITED);
    ps.pid = 0;
    ps.quiescing = 0;
    ps.not_accepting = 0;
}

namespace {
// True if `pid` has exited (and is now reaped).
bool reap(pid_t pid) noexcept
{
    apr_proc_t proc{};
    proc.pid = pid;
    int status = 0;
    apr_exit_why_e why = APR_PROC_EXIT;
    apr_status_t rv = apr_proc_wait(&proc, &status, &why, APR_NOWAIT);
    if (rv == APR_CHILD_NOTDONE) {
        return false;
    }
    if (rv == APR_CHILD_DONE) {
        ap_process_child_status(&proc, why, status);
    }
    return true;  // done, or not our child any more
}
}  // namespace

int Supervisor::relieve(bool terminate_now, bool kill_now) noexcept
{
    int alive = 0;
    for (int i = 0; i < r_.extra_count;) {
        ExtraChild x = r_.extras[i];
        if (reap(x.pid)) {
            take_extra(x.pid, x);
            ap_run_child_status(ap_server_conf, x.pid, x.generation, -1, MPM_CHILD_EXITED);
            continue;
        }
        ++alive;
        if (kill_now) {
            ::kill(x.pid, SIGKILL);
        } else if (terminate_now) {
            ::kill(x.pid, SIGTERM);
        }
        ++i;
    }
    int scan = max_daemon_used();
    for (int i = 0; i < scan && i < sb::server_limit(); ++i) {
        pid_t pid = sb::process(i).pid;
        if (pid == 0) {
            continue;
        }
        if (reap(pid)) {
            release_slot(kind_, i);
            continue;
        }
        ++alive;
        if (kill_now) {
            ::kill(pid, SIGKILL);
        } else if (terminate_now) {
            ::kill(pid, SIGTERM);
        }
    }
    return alive;
}

void Supervisor::reclaim(bool terminate_first) noexcept
{
    ReclaimSchedule schedule(ReclaimSchedule::Clock::now(), terminate_first);
    for (;;) {
        ReclaimAction action = schedule.due(ReclaimSchedule::Clock::now());
        int alive = relieve(action == ReclaimAction::sigterm || action == ReclaimAction::sigterm_quiet,
                            action == ReclaimAction::sigkill);
        // Piped loggers and mod_cgid's daemon learn that the server restarts or stops.
        apr_proc_other_child_refresh_all(APR_OC_REASON_RESTART);
        if (alive == 0) {
            return;
        }
        switch (action) {
        case ReclaimAction::sigterm:
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ap_server_conf,
                         CXXLOGNO(00045) "%d child process(es) still did not exit, sending a SIGTERM", alive);
            break;
        case ReclaimAction::sigkill:
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf,
                         CXXLOGNO(00046) "%d child process(es) still did not exit, sending a SIGKILL", alive);
            break;
        case ReclaimAction::give_up:
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf,
                         CXXLOGNO(00047) "could not make %d child process(es) exit, attempting to continue anyway",
                         alive);
            return;
        default:
            break;
        }
        auto wait = std::chrono::duration_cast<std::chrono::microseconds>(schedule.next_poll());
        apr_sleep(static_cast<apr_interval_time_t>(wait.count()));
    }
}

ServerCommand Supervisor::pending() const noexcept
{
    const ap_unixd_mpm_retained_data* m = r_.mpm;
    return pending_command(SignalFlags{m->shutdown_pending != 0, m->restart_pending != 0, m->is_ungraceful != 0});
}

int Supervisor::max_daemon_used() const noexcept
{
    int limit = kind_.slot_limit();
    return r_.high_water > limit ? r_.high_water : limit;
}

void Supervisor::note_started(int slot, pid_t pid) noexcept
{
    process_score& ps = sb::process(slot);
    ps.pid = pid;
    ps.generation = r_.mpm->my_generation;
    ps.quiescing = 0;
    ps.not_accepting = 0;
    if (slot + 1 > r_.high_water) {
        r_.high_water = slot + 1;
    }
    ap_run_child_status(ap_server_conf, pid, ps.generation, slot, MPM_CHILD_STARTED);
}

bool Supervisor::spawn(int slot) noexcept
{
    auto now = Backoff::Clock::now();
    if (!fork_backoff_.ready(now)) {
        return false;
    }
    kind_.before_fork(slot);
    // The stop/restart signals stay blocked across fork() until the child has installed its own
    // handlers: one arriving in between would otherwise run the parent's handler in the child and be
    // lost (the child would then miss a graceful stop and never exit).
    sigset_t block, saved;
    sigemptyset(&block);
    for (int sig : {SIGHUP, SIGTERM, SIGINT, AP_SIG_GRACEFUL, AP_SIG_GRACEFUL_STOP}) {
        sigaddset(&block, sig);
    }
    pthread_sigmask(SIG_BLOCK, &block, &saved);
    pid_t pid = ::fork();
    if (pid != 0) {
        pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    }
    if (pid < 0) {
        int err = errno;
        // Stock sleeps 10 s here, deaf to signals; we back off (1 s doubling to 10 s) and keep reaping.
        ap_log_error(APLOG_MARK, APLOG_ERR, APR_FROM_OS_ERROR(err), ap_server_conf,
                     CXXLOGNO(00159) "fork: Unable to fork new process");
        kind_.fork_failed(slot);
        fork_backoff_.failed(now);
        return false;
    }
    if (pid == 0) {
        ap_thread_current_after_fork();
        kind_.child_main(slot, kind_.bucket_of_slot(slot));
    }
    fork_backoff_.succeeded();
    note_started(slot, pid);
    return true;
}

bool Supervisor::share(int slot) noexcept
{
    if (r_.extra_count >= SupervisorRetained::kMaxExtras) {
        return false;
    }
    process_score& ps = sb::process(slot);
    ExtraChild old{ps.pid, ps.generation, slot};
    r_.extras[r_.extra_count++] = old;
    if (!spawn(slot)) {
        --r_.extra_count;
        ps.pid = old.pid;  // still the slot's
        ps.generation = old.generation;
        ps.quiescing = 1;
        return false;
    }
    ap_run_child_status(ap_server_conf, old.pid, old.generation, slot, MPM_CHILD_LOST_SLOT);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, ap_server_conf,
                 CXXLOGNO(00263) "pid %" APR_PID_T_FMT " taking over scoreboard slot from %" APR_PID_T_FMT
                                 " (quiescing)",
                 ps.pid, old.pid);
    return true;
}

bool Supervisor::take_extra(pid_t pid, ExtraChild& out) noexcept
{
    for (int i = 0; i < r_.extra_count; ++i) {
        if (r_.extras[i].pid == pid) {
            out = r_.extras[i];
            r_.extras[i] = r_.extras[--r_.extra_count];
            kind_.released(out.slot, out.pid);  // the thread entries it still held
            return true;
        }
    }
    return false;
}

int Supervisor::start_children(int n) noexcept
{
    int started = 0;
    int limit = kind_.slot_limit();
    for (int i = 0; i < limit && started < n; ++i) {
        if (sb::process(i).pid != 0) {
            continue;
        }
        if (!spawn(i)) {
            break;
        }
        ++started;
    }
    return started;
}

bool Supervisor::children_alive() const noexcept
{
    for (int i = 0; i < r_.extra_count; ++i) {
        if (ap_mpm_safe_kill(r_.extras[i].pid, 0) == APR_SUCCESS) {
            return true;
        }
    }
    int scan = max_daemon_used();
    for (int i = 0; i < scan && i < sb::server_limit(); ++i) {
        pid_t pid = sb::process(i).pid;
        if (pid != 0 && ap_mpm_safe_kill(pid, 0) == APR_SUCCESS) {
            return true;
        }
    }
    return false;
}

bool Supervisor::handle_exit(apr_proc_t& proc, apr_exit_why_e why, int status) noexcept
{
    int processed = ap_process_child_status(&proc, why, status);
    int slot = sb::find_slot(proc.pid, max_daemon_used());
    ExtraChild extra{};
    if (slot < 0 && take_extra(proc.pid, extra)) {
        // A child that had handed its slot over: it was exiting anyway, even a fatal status is old news.
        ap_run_child_status(ap_server_conf, proc.pid, extra.generation, -1, MPM_CHILD_EXITED);
        return true;
    }
    if (processed == APEXIT_CHILDFATAL) {
        // A fatal error of the current generation stops the server (race found in PR 39311: a child of
        // the previous generation may fail on resources the new configuration removed; that is ignored).
        if (slot < 0 || sb::process(slot).generation == r_.mpm->my_generation) {
            return false;
        }
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ap_server_conf,
                     CXXLOGNO(00166) "Ignoring fatal error in child of previous generation (pid %ld).",
                     static_cast<long>(proc.pid));
    }
    if (slot >= 0) {
        kind_.child_exited(slot, processed, sb::process(slot).generation == r_.mpm->my_generation);
        release_slot(kind_, slot);
        if (processed == APEXIT_CHILDSICK) {
            kind_.spawn_pacer(slot).reset();  // a resource shortage: fork slowly
        } else if (remaining_to_start_ > 0 && slot < kind_.slot_limit()) {
            // Still replacing the previous generation one for one after a graceful restart.
            if (spawn(slot)) {
                --remaining_to_start_;
            }
        }
    } else if (apr_proc_other_child_alert(&proc, APR_OC_REASON_DEATH, status) == APR_SUCCESS) {
        // a piped logger, mod_cgid's daemon, ...: its owner restarts it
    } else if (r_.mpm->was_graceful) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ap_server_conf,
                     CXXLOGNO(00167) "long lost child came home! (pid %ld)", static_cast<long>(proc.pid));
    }
    return true;
}

bool Supervisor::replace_killed_child() noexcept
{
    switch (kill_respawn_.child_killed()) {
    case KillRespawn::Action::replace_now:
        return start_children(1) == 1;
    case KillRespawn::Action::wait_and_report:
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf,
                     CXXLOGNO(90041) "%d children killed by signals since the last maintenance pass; more than %d "
                                     "in a row are replaced only by maintenance (once a second), so a crash "
                                     "loop cannot become a fork loop",
                     kill_respawn_.successive(), KillRespawn::kMaxSuccessive);
        return false;
    case KillRespawn::Action::wait_for_pass:
        return false;
    }
    return false;
}

int Supervisor::stop_children_now(apr_pool_t* pconf) noexcept
{
    kind_.tell_children(ServerCommand::stop);
    reclaim(true);
    ap_remove_pid(pconf, ap_pid_fname);
    return DONE;
}

int Supervisor::graceful_stop(apr_pool_t* pconf) noexcept
{
    kind_.listeners().refuse_new_connections();
    kind_.listeners().close_all();
    kind_.tell_children(ServerCommand::graceful_stop);
    relieve(false, false);
    ap_remove_pid(pconf, ap_pid_fname);
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                 CXXLOGNO(00170) "caught " AP_SIG_GRACEFUL_STOP_STRING ", shutting down gracefully");

    // Wait for the children, but stay responsive to a SIGTERM (stock polls once a second; we poll every
    // 100 ms, so a drained server exits promptly).
    r_.mpm->shutdown_pending = 0;
    r_.mpm->is_ungraceful = 0;
    DrainDeadline deadline(DrainDeadline::Clock::now(), ap_graceful_shutdown_timeout);
    while (children_alive()) {
        auto now = DrainDeadline::Clock::now();
        if (r_.mpm->shutdown_pending || deadline.expired(now)) {
            break;
        }
        auto wait = std::chrono::duration_cast<std::chrono::microseconds>(deadline.next_wait(now, kGracefulStopPoll));
        apr_sleep(static_cast<apr_interval_time_t>(wait.count()));
        relieve(false, false);
    }
    // Stragglers (timeout or a new stop request): stop them and wait until they are gone, so a stop never
    // leaves a process behind (stock only signals them and exits).
    if (children_alive()) {
        kind_.tell_children(ServerCommand::stop);
        reclaim(true);
    }
    return DONE;
}

int Supervisor::run(apr_pool_t* pconf, apr_pool_t* plog, server_rec* s) noexcept
{
    ap_unixd_mpm_retained_data* mpm = r_.mpm;

    ap_log_pid(pconf, ap_pid_fname);

    if (!mpm->was_graceful) {
        if (ap_run_pre_mpm(s->process->pool, SB_SHARED) != OK) {
            mpm->mpm_state = AP_MPMQ_STOPPING;
            return !OK;
        }
        // A new, cleared scoreboard.
        sb::global().running_generation = mpm->my_generation;
        r_.high_water = 0;
    }

    ap_unixd_mpm_set_signals(pconf, one_process_);
    if (!one_process_) {
        install_sigchld(pconf);
    }

    if (one_process_) {
        note_started(0, ::getpid());
        int code = kind_.run_one_process();
        mpm->mpm_state = AP_MPMQ_STOPPING;
        release_slot(kind_, 0);
        ap_remove_pid(pconf, ap_pid_fname);
        // Not a return to httpd: in one-process mode the core registered atexit(ap_terminate), which
        // destroys the global pool; returning DONE would make main() destroy it a second time.
        std::exit(code);
    }

    r_.pacer.init();
    remaining_to_start_ = kind_.start_servers();
    if (remaining_to_start_ > kind_.slot_limit()) {
        remaining_to_start_ = kind_.slot_limit();
    }
    if (mpm->was_graceful) {
        // Old-generation children are finishing: start the new generation in the slots that are free
        // now, the rest one for one as old children exit (or all at once after a quiet second). Spawn-rate
        // doubling waits a few passes so the old generation's exits do not look like a load spike.
        r_.pacer.hold_off = 10;
    }
    remaining_to_start_ -= start_children(remaining_to_start_);

    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf, CXXLOGNO(00163) "%s configured -- resuming normal operations",
                 ap_get_server_description());
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, ap_server_conf, CXXLOGNO(00164) "Server built: %s", ap_get_server_built());
    ap_log_command_line(plog, s);
    ap_log_mpm_common(s);

    mpm->mpm_state = AP_MPMQ_RUNNING;

    auto last_prompt = Backoff::Clock::time_point{};
    auto last_tick = Backoff::Clock::now();
    while (pending() == ServerCommand::none) {
        apr_exit_why_e why;
        int status = 0;
        apr_proc_t proc;
        wait_or_timeout(why, status, proc, pconf, ap_server_conf);
        if (proc.pid != -1) {
            if (!handle_exit(proc, why, status)) {
                // CHILDFATAL in the current generation: the whole server stops, children included (stock
                // returns at once and leaves the other children running).
                mpm->mpm_state = AP_MPMQ_STOPPING;
                stop_children_now(pconf);
                return !OK;
            }
            if (pending() != ServerCommand::none || remaining_to_start_ > 0) {
                continue;
            }
            if (APR_PROC_CHECK_SIGNALED(why) && kind_.threaded() && replace_killed_child()) {
                continue;
            }
            // A child that ended normally (MaxConnectionsPerChild, idle reduction) is replaced now if
            // needed.
            auto now = Backoff::Clock::now();
            if (APR_PROC_CHECK_EXIT(why) && status == 0 && now - last_prompt >= kPromptMaintenanceGap) {
                last_prompt = now;
                kind_.maintain();
            }
            continue;
        }
        if (pending() != ServerCommand::none) {
            break;  // no maintenance (no new children) once a stop or restart is pending
        }
        // ap_wait_or_timeout() also returns early when a SIGCHLD cut its sleep short; maintenance keeps
        // its once-a-second pace (the spawn rate doubles per pass).
        auto now = Backoff::Clock::now();
        if (now - last_tick < kMaintenanceInterval) {
            continue;
        }
        last_tick = now;
        kill_respawn_.maintenance_pass();
        if (remaining_to_start_ > 0) {
            // A quiet second after a graceful restart: the old generation is done, start the rest.
            remaining_to_start_ -= start_children(remaining_to_start_);
            remaining_to_start_ = 0;
            continue;
        }
        kind_.maintain();
        relieve_buckets(true);
    }

    mpm->mpm_state = AP_MPMQ_STOPPING;
    ServerCommand cmd = pending();

    if (cmd == ServerCommand::stop) {
        int rc = stop_children_now(pconf);
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf, CXXLOGNO(00169) "caught SIGTERM, shutting down");
        return rc;
    }
    if (cmd == ServerCommand::graceful_stop) {
        return graceful_stop(pconf);
    }

    // A restart: the next generation.
    ++mpm->my_generation;
    sb::global().running_generation = mpm->my_generation;

    if (cmd == ServerCommand::graceful_restart) {
        if (kind_.threaded()) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                         CXXLOGNO(00297) AP_SIG_GRACEFUL_STRING " received.  Doing graceful restart");
        } else {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                         CXXLOGNO(00171) "Graceful restart requested, doing restart");
        }
        kind_.tell_children(ServerCommand::graceful_restart);
    } else {
        kind_.tell_children(ServerCommand::restart);
        reclaim(kind_.reclaim_with_sigterm_on_restart());
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                     CXXLOGNO(00173) "SIGHUP received.  Attempting to restart");
    }
    return OK;
}

}  // namespace mpmcxx
