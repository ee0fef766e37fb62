// What the shared Supervisor needs to know about prefork children: one process per slot, told to stop
// by signals (graceful: SIGUSR1 to each child; now: SIGTERM/SIGHUP to the process group, as stock), idle
// children retired through the bucket's pipe of death.

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "common/base/log_ids.h"
#include "common/scoreboard/scoreboard.h"
#include "common/supervise/prefork_maintenance.h"
#include "mod_mpm_prefork_cxx/prefork.h"

namespace mpmcxx::prefork {

Prefork::Prefork(Retained& retained, bool one_process) noexcept
    : retained_(retained), one_process_(one_process), supervisor_(retained.sup, *this, one_process)
{
}

bool Prefork::open_listeners(apr_pool_t* pconf, server_rec* s, bool startup) noexcept
{
    ap_unixd_mpm_retained_data* mpm = retained_.sup.mpm;
    buckets_ = ListenBuckets::setup(pconf, s, mpm->num_buckets, mpm->was_graceful != 0, one_process_,
                                    g.limits.max_workers, startup, retained_.sup.listeners);
    return buckets_ != nullptr;
}

int Prefork::run(apr_pool_t* pconf, apr_pool_t* plog, server_rec* s) noexcept
{
    pconf_ = pconf;
    if (!one_process_) {
        g.limits = config::prefork_bucket_floor(g.limits, buckets_->count());
    }
    return supervisor_.run(pconf, plog, s);
}

int Prefork::slot_limit() const noexcept { return g.limits.max_workers; }

int Prefork::start_servers() const noexcept { return g.limits.start_servers; }

void Prefork::before_fork(int slot) noexcept { sb::set_status(slot, 0, SERVER_STARTING); }

// Otherwise the slot would read STARTING forever.
void Prefork::fork_failed(int slot) noexcept { sb::set_status(slot, 0, SERVER_DEAD); }

void Prefork::released(int slot, pid_t /*pid*/) noexcept { sb::set_status(slot, 0, SERVER_DEAD); }

namespace {
SlotState classify(int slot, ap_generation_t generation) noexcept
{
    const process_score& ps = sb::process(slot);
    if (ps.pid == 0) {
        return SlotState::free;
    }
    // A child of an older generation is on its way out: it holds the slot but is no capacity (stock
    // counts such a child as idle and under-spawns right after a graceful restart).
    if (ps.generation != generation || ps.quiescing) {
        return SlotState::retiring;
    }
    switch (sb::worker(slot, 0).status) {
    case SERVER_STARTING: return SlotState::starting;
    case SERVER_READY: return SlotState::idle;
    case SERVER_DEAD:
    case SERVER_GRACEFUL:
    case SERVER_IDLE_KILL: return SlotState::retiring;
    default: return SlotState::busy;
    }
}
}  // namespace

void Prefork::maintain() noexcept
{
    SupervisorRetained& r = retained_.sup;
    const ap_generation_t gen = r.mpm->my_generation;
    const int limit = slot_limit();
    const int scan = supervisor_.max_daemon_used();

    std::vector<SlotState> slots;
    try {
        slots.resize(static_cast<std::size_t>(limit));
    } catch (...) {
        return;  // out of memory: skip a pass
    }
    int high_water = 0;
    int last_idle = -1;
    for (int i = 0; i < scan && i < sb::server_limit(); ++i) {
        SlotState st = classify(i, gen);
        if (i < limit) {
            slots[static_cast<std::size_t>(i)] = st;
        }
        if (st != SlotState::free) {
            high_water = i + 1;
        }
        if (st == SlotState::idle) {
            last_idle = i;
        }
    }
    PreforkMaintenance d = decide_prefork_maintenance(slots, g.limits.min_spare, g.limits.max_spare, r.pacer);
    r.high_water = high_water;

    if (d.kill_one_idle && last_idle >= 0) {
        // Retire an idle child of the highest idle slot's bucket: its pipe of death wakes one idle child
        // there (a child that picked up a connection meanwhile finishes it first).
        buckets_->pod(buckets_->bucket_of_slot(last_idle)).send(PodMessage::graceful);
    }
    if (d.report_max_reached) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf,
                     CXXLOGNO(00161) "server reached MaxRequestWorkers setting, consider raising the "
                                     "MaxRequestWorkers setting");
    }
    if (d.report_busy) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, ap_server_conf,
                     CXXLOGNO(00162) "server seems busy, (you may need to increase StartServers, or "
                                     "Min/MaxSpareServers), spawning %d children, there are %d idle, and %d "
                                     "total children",
                     d.rate_used, d.idle, d.total);
    }
    for (int slot : d.spawn_slots) {
        if (!supervisor_.spawn(slot)) {
            break;
        }
    }
}

int Prefork::ready_in_slot(int slot, ap_generation_t generation) const noexcept
{
    return classify(slot, generation) == SlotState::idle ? 1 : 0;
}

void Prefork::tell_children(ServerCommand cmd) noexcept
{
    switch (cmd) {
    case ServerCommand::graceful_restart:
    case ServerCommand::graceful_stop: {
        // Each child by pid, never the process group: CGI scripts and piped loggers would not take a
        // SIGUSR1 gracefully.
        int scan = supervisor_.max_daemon_used();
        for (int i = 0; i < scan && i < sb::server_limit(); ++i) {
            pid_t pid = sb::process(i).pid;
            if (pid == 0 || sb::worker(i, 0).status == SERVER_DEAD) {
                continue;
            }
            if (cmd == ServerCommand::graceful_restart) {
                sb::worker(i, 0).status = SERVER_GRACEFUL;
            }
            ap_mpm_safe_kill(pid, AP_SIG_GRACEFUL);
        }
        break;
    }
    case ServerCommand::stop:
        if (::killpg(::getpgrp(), SIGTERM) < 0) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, APR_FROM_OS_ERROR(errno), ap_server_conf,
                         CXXLOGNO(00168) "killpg SIGTERM");
        }
        break;
    case ServerCommand::restart:
        if (::killpg(::getpgrp(), SIGHUP) < 0) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, APR_FROM_OS_ERROR(errno), ap_server_conf,
                         CXXLOGNO(00172) "killpg SIGHUP");
        }
        break;
    case ServerCommand::none:
        break;
    }
}

}  // namespace mpmcxx::prefork
