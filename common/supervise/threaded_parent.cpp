#include "common/supervise/threaded_parent.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "common/base/log_ids.h"
#include "common/scoreboard/scoreboard.h"
#include "common/supervise/threaded_maintenance.h"

namespace mpmcxx {
namespace {
// Consecutive maintenance passes (about a second each) a full scoreboard must last before it is reported.
constexpr int kFullPassesBeforeReport = 4;
}  // namespace

ThreadedParent::ThreadedParent(ThreadedRetained& retained, config::ThreadLimits& limits, bool one_process) noexcept
    : r_(retained), limits_(limits), one_process_(one_process), supervisor_(retained.sup, *this, one_process)
{
}

bool ThreadedParent::open_listeners(apr_pool_t* pconf, server_rec* s, bool startup) noexcept
{
    ap_unixd_mpm_retained_data* mpm = r_.sup.mpm;
    buckets_ = ListenBuckets::setup(pconf, s, mpm->num_buckets, mpm->was_graceful != 0, one_process_,
                                    limits_.server_limit, startup, r_.sup.listeners);
    return buckets_ != nullptr;
}

int ThreadedParent::run(apr_pool_t* pconf, apr_pool_t* plog, server_rec* s) noexcept
{
    pconf_ = pconf;
    limits_ = config::threaded_bucket_floor(limits_, buckets_->count());
    return supervisor_.run(pconf, plog, s);
}

int ThreadedParent::start_servers() const noexcept
{
    return limits_.start_servers < limits_.daemons_limit ? limits_.start_servers : limits_.daemons_limit;
}

void ThreadedParent::released(int slot, pid_t pid) noexcept
{
    // Only the entries of the child that exited: in a shared slot the other child keeps its own.
    for (int t = 0; t < sb::thread_limit(); ++t) {
        worker_score& ws = sb::worker(slot, t);
        if (ws.status != SERVER_DEAD && (pid == 0 || ws.pid == pid || ws.pid == 0)) {
            sb::set_status(slot, t, SERVER_DEAD);
        }
    }
}

void ThreadedParent::child_exited(int /*slot*/, int processed_status, bool current_generation) noexcept
{
    if (processed_status == APEXIT_CHILDSICK && current_generation) {
        r_.sick_child = true;
    }
}

SpawnPacer& ThreadedParent::pacer(int bucket) noexcept
{
    if (r_.pacer_count < buckets_->count()) {
        // Retained across restarts; a larger bucket count (after a full restart) gets a new array.
        auto n = static_cast<std::size_t>(buckets_->count());
        auto* fresh = static_cast<SpawnPacer*>(apr_pcalloc(ap_pglobal, sizeof(SpawnPacer) * n));
        if (r_.bucket_pacers != nullptr) {
            std::memcpy(fresh, r_.bucket_pacers, sizeof(SpawnPacer) * static_cast<std::size_t>(r_.pacer_count));
        }
        r_.bucket_pacers = fresh;
        r_.pacer_count = buckets_->count();
    }
    SpawnPacer& p = r_.bucket_pacers[bucket];
    p.hold_off = r_.sup.pacer.hold_off;  // the post-restart hold-off is global
    return p;
}

void ThreadedParent::maintain() noexcept
{
    // A child that had all its threads up at some point proves the configuration can work (stock's
    // had_healthy_child); looked at before judging a sick child.
    if (!r_.healthy_child) {
        const int tpc = limits_.threads_per_child;
        for (int i = 0; i < limits_.server_limit && i < sb::server_limit() && !r_.healthy_child; ++i) {
            const process_score& ps = sb::process(i);
            if (ps.pid == 0 || ps.generation != r_.sup.mpm->my_generation) {
                continue;
            }
            int up = 0;
            for (int t = 0; t < sb::thread_limit(); ++t) {
                const worker_score& ws = sb::worker(i, t);
                if (ws.pid == ps.pid && ws.status >= SERVER_READY && ws.status < SERVER_GRACEFUL) {
                    ++up;
                }
            }
            r_.healthy_child = up >= tpc;
        }
    }
    if (r_.sick_child) {
        if (r_.healthy_child) {
            r_.sick_child = false;  // a transient shortage: keep serving
        } else {
            // No child ever came up: forking more would only fail the same way.
            ap_log_error(APLOG_MARK, APLOG_ALERT, 0, ap_server_conf,
                         CXXLOGNO(02325) "A resource shortage or other unrecoverable failure was encountered "
                                         "before any child process initialized successfully... httpd is exiting!");
            r_.sup.mpm->shutdown_pending = 1;
            r_.sup.mpm->is_ungraceful = 1;
            return;
        }
    }
    bool full = false;
    for (int b = 0; b < buckets_->count(); ++b) {
        full = maintain_bucket(b) || full;
    }
    if (full) {
        ++r_.full_passes;
    } else {
        r_.full_passes = 0;
        r_.full_reported = false;  // the episode is over
    }
    if (r_.sup.pacer.hold_off > 0) {
        --r_.sup.pacer.hold_off;
    }
}

bool ThreadedParent::maintain_bucket(int bucket) noexcept
{
    const int nb = buckets_->count();
    const ap_generation_t gen = r_.sup.mpm->my_generation;
    const int server_limit = limits_.server_limit < sb::server_limit() ? limits_.server_limit : sb::server_limit();
    const int tpc = limits_.threads_per_child;
    const int thread_limit = limits_.thread_limit < sb::thread_limit() ? limits_.thread_limit : sb::thread_limit();

    std::vector<ThreadedSlot> slots;
    std::vector<int> mine;
    try {
        slots.resize(static_cast<std::size_t>(server_limit));
        mine.reserve(static_cast<std::size_t>(server_limit / nb + 1));
    } catch (...) {
        return false;
    }
    int high_water = 0;
    for (int i = 0; i < server_limit; ++i) {
        const process_score& ps = sb::process(i);
        if (ps.pid != 0) {
            high_water = i + 1;
        }
        if (i % nb != bucket) {
            continue;
        }
        mine.push_back(i);
        ThreadedSlot& s = slots[static_cast<std::size_t>(i)];
        if (ps.pid == 0) {
            continue;
        }
        s.process = true;
        s.exiting = ps.quiescing || ps.generation != gen;
        int owned = 0;
        int up = 0;
        for (int t = 0; t < thread_limit; ++t) {
            const worker_score& ws = sb::worker(i, t);
            int status = ws.status;
            if (status == SERVER_DEAD || status == SERVER_GRACEFUL || status == SERVER_IDLE_KILL) {
                ++s.free_entries;
                continue;
            }
            if (ws.pid != ps.pid && ws.pid != 0) {
                continue;  // a thread of the exiting child this slot was handed over from
            }
            ++owned;
            if (status <= SERVER_READY) {
                ++s.idle_threads;  // starting or ready
            } else if (status < SERVER_GRACEFUL) {
                ++s.busy_threads;
            }
            if (status >= SERVER_READY && status < SERVER_GRACEFUL) {
                ++up;
            }
        }
        if (s.exiting) {
            s.idle_threads = 0;
        } else {
            // Threads not started yet count as idle, as stock counts them: they will be, and forking more
            // meanwhile would swamp things.
            if (owned < tpc) {
                s.idle_threads += tpc - owned;
            }
            if (up == tpc) {
                r_.healthy_child = true;
            }
        }
    }
    if (r_.sup.high_water < high_water || bucket == nb - 1) {
        r_.sup.high_water = high_water;
    }

    ThreadedMaintenanceConfig cfg;
    cfg.min_spare_threads = limits_.min_spare_threads / nb;
    cfg.max_spare_threads = limits_.max_spare_threads / nb;
    cfg.max_children = limits_.daemons_limit / nb + (bucket < limits_.daemons_limit % nb ? 1 : 0);
    cfg.max_rate = SpawnPacer::kMaxRate / nb;
    // Share a slot only where a good part of a child can start right away.
    cfg.min_share_entries = tpc / 2 > 0 ? tpc / 2 : 1;
    SpawnPacer& p = pacer(bucket);
    ThreadedMaintenance d = decide_threaded_maintenance(slots, mine, cfg, p);

    if (d.kill_one) {
        buckets_->pod(bucket).send(PodMessage::graceful);
    }
    switch (d.report) {
    case CapacityReport::reached_max_workers:
        if (!r_.max_reported) {
            r_.max_reported = true;
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf,
                         CXXLOGNO(00161) "server reached MaxRequestWorkers setting, consider raising the "
                                         "MaxRequestWorkers setting");
        }
        break;
    case CapacityReport::near_max_workers:
        if (!r_.near_max_reported) {
            r_.near_max_reported = true;
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf,
                         CXXLOGNO(00287) "server is within MinSpareThreads of MaxRequestWorkers, consider raising "
                                         "the MaxRequestWorkers setting");
        }
        break;
    case CapacityReport::scoreboard_full:
        // Only a lasting condition is worth an error: a child recycled by MaxConnectionsPerChild holds its
        // slot for a moment before it is gone, and that is routine.
        if (!r_.full_reported && r_.full_passes >= kFullPassesBeforeReport) {
            r_.full_reported = true;
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf,
                         CXXLOGNO(00288) "scoreboard is full, not at MaxRequestWorkers: all %d ServerLimit slots "
                                         "hold a process (%d of them exiting); raise ServerLimit above "
                                         "MaxRequestWorkers/ThreadsPerChild (%d) to give graceful restarts room. "
                                         "Logged once until the condition clears.",
                         server_limit, d.exiting_children * nb, limits_.daemons_limit);
        }
        break;
    case CapacityReport::none:
        break;
    }
    if (d.report_busy) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, ap_server_conf,
                     CXXLOGNO(00289) "server seems busy, (you may need to increase StartServers, ThreadsPerChild or "
                                     "Min/MaxSpareThreads), spawning %d children, there are around %d idle threads, "
                                     "and %d total children",
                     static_cast<int>(d.spawn_slots.size()), d.idle_threads, d.active_children + d.exiting_children);
    }
    for (int slot : d.spawn_slots) {
        if (!supervisor_.spawn(slot)) {
            break;
        }
    }
    for (int slot : d.share_slots) {
        if (!supervisor_.share(slot)) {
            break;
        }
    }
    return d.report == CapacityReport::scoreboard_full;
}

int ThreadedParent::ready_in_slot(int slot, ap_generation_t generation) const noexcept
{
    // Threads waiting for a connection now (maintenance also counts threads still starting; they cannot
    // take one yet).
    const process_score& ps = sb::process(slot);
    if (ps.pid == 0 || ps.quiescing || ps.generation != generation) {
        return 0;
    }
    const int thread_limit = std::min(limits_.thread_limit, sb::thread_limit());
    int ready = 0;
    for (int t = 0; t < thread_limit; ++t) {
        const worker_score& ws = sb::worker(slot, t);
        if (ws.status == SERVER_READY && (ws.pid == ps.pid || ws.pid == 0)) {
            ++ready;
        }
    }
    return ready;
}

void ThreadedParent::tell_children(ServerCommand cmd) noexcept
{
    PodMessage m = (cmd == ServerCommand::graceful_restart || cmd == ServerCommand::graceful_stop)
                       ? PodMessage::graceful
                       : PodMessage::immediate;
    if (cmd == ServerCommand::none) {
        return;
    }
    // One byte per child of the bucket: each child's main thread takes one and acts on it.
    std::vector<int> per_bucket(static_cast<std::size_t>(buckets_->count()), 0);
    int scan = supervisor_.max_daemon_used();
    for (int i = 0; i < scan && i < sb::server_limit(); ++i) {
        if (sb::process(i).pid != 0) {
            ++per_bucket[static_cast<std::size_t>(buckets_->bucket_of_slot(i))];
        }
    }
    for (int b = 0; b < buckets_->count(); ++b) {
        buckets_->pod(b).send(m, per_bucket[static_cast<std::size_t>(b)]);
    }
}

}  // namespace mpmcxx

namespace mpmcxx {

apr_pool_t* ThreadedParent::prepare_child(int bucket, int& code) noexcept
{
    r_.sup.mpm->mpm_state = AP_MPMQ_STARTING;
    apr_pool_t* pchild = nullptr;
    if (apr_pool_create(&pchild, pconf_) != APR_SUCCESS) {
        code = APEXIT_CHILDSICK;
        return nullptr;
    }
    apr_pool_tag(pchild, "pchild");
    if (!one_process_) {
        apr_thread_t* thd = nullptr;
        if (apr_status_t rv = ap_thread_main_create(&thd, pchild); rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, ap_server_conf, CXXLOGNO(10378) "Couldn't initialize child main thread");
            code = APEXIT_CHILDFATAL;
            return pchild;
        }
    }
    buckets_->keep_only(bucket, supervisor_.relief_on());
    ap_reopen_scoreboard(pchild, nullptr, 0);
    if (ap_run_drop_privileges(pchild, ap_server_conf)) {
        code = APEXIT_CHILDFATAL;
        return pchild;
    }
    // Every thread (ours, and any a module starts in child_init) keeps all signals blocked; the main
    // thread reads the ones it acts on through a signalfd (StopWatch).
    if (apr_status_t rv = apr_setup_signal_thread(); rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, ap_server_conf, CXXLOGNO(10271) "Couldn't initialize signal thread");
        code = APEXIT_CHILDFATAL;
        return pchild;
    }
    ap_run_child_init(pchild, ap_server_conf);
    code = 0;
    return pchild;
}

void ThreadedParent::log_runtime_failure(const char* what) noexcept
{
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, ap_server_conf,
                 CXXLOGNO(00156) "Couldn't create pollset in child; check system or user limits: %s", what);
}

void ThreadedParent::child_main(int slot, int bucket) noexcept
{
    ap_fatal_signal_child_setup(ap_server_conf);
    std::exit(child_lifetime(slot, bucket));
}

int ThreadedParent::run_one_process() noexcept
{
    int code = child_lifetime(0, 0);
    // The process is the server too: a stop of the child is the server's shutdown.
    r_.sup.mpm->shutdown_pending = 1;
    return code;
}

void ThreadedParent::finish_child(apr_pool_t* pchild) noexcept
{
    r_.sup.mpm->mpm_state = AP_MPMQ_STOPPING;
    if (pchild != nullptr) {
        apr_pool_destroy(pchild);
    }
}

}  // namespace mpmcxx
