#pragma once
// The parent process: starts children, reaps them, runs idle-server maintenance once a second, and turns
// restart/stop requests into the stock sequences. What differs between MPMs (how a child is started, what
// "idle" means, how children are told to stop) sits behind ChildKind.

#include <sys/types.h>

#include "common/base/httpd.h"
#include "common/lifecycle/server_command.h"
#include "common/listen/bucket_relief.h"
#include "common/listen/buckets.h"
#include "common/supervise/backoff.h"
#include "common/supervise/kill_respawn.h"
#include "common/supervise/spawn_pacer.h"

namespace mpmcxx {

// A child that gave its scoreboard slot to a newer one (threaded MPMs share an exiting child's slot
// when no slot is free): it is still ours to reap and, on stop, to signal.
struct ExtraChild {
    pid_t pid;
    ap_generation_t generation;
    int slot;  // where its remaining threads' entries are
};

// Plain data kept across DSO reloads, embedded in each MPM's retained block.
struct SupervisorRetained {
    static constexpr int kMaxExtras = 256;

    ap_unixd_mpm_retained_data* mpm;  // the core's: signal flags, generation, bucket count, mpm_state
    int first_server_limit;            // ServerLimit is fixed by the first start (scoreboard size)
    int first_thread_limit;
    int high_water;                    // highest child slot in use + 1
    int kill_bucket;                   // round-robin bucket for idle-child kills
    SpawnPacer pacer;
    RetainedListeners listeners;       // bucket sockets handed from one generation to the next
    ExtraChild extras[kMaxExtras];
    int extra_count;
    int waits_since_monitor;           // the monitor hook's count when the parent waits in slices
};

class ChildKind {
public:
    virtual ~ChildKind() = default;

    // worker/event word some lifecycle messages differently from prefork; we keep each MPM's wording.
    virtual bool threaded() const noexcept { return false; }

    virtual int slot_limit() const noexcept = 0;     // slots children may be started in
    virtual int start_servers() const noexcept = 0;  // StartServers after clamping and bucket floors
    virtual int bucket_of_slot(int slot) const noexcept = 0;
    virtual const ListenBuckets& listeners() const noexcept = 0;

    // In the parent, just before/after fork() for `slot` (scoreboard bookkeeping).
    virtual void before_fork(int slot) noexcept = 0;
    virtual void fork_failed(int slot) noexcept = 0;
    // In the new child. Never returns.
    [[noreturn]] virtual void child_main(int slot, int bucket) noexcept = 0;

    virtual void maintain() noexcept = 0;
    // For bucket relief (bucket_relief.h): how many of `slot`'s children (threads) could take a connection now (0 for a child of
    // an older generation or one that is stopping).
    virtual int ready_in_slot(int /*slot*/, ap_generation_t /*generation*/) const noexcept { return 0; }
    // A child of `slot` is gone: per-MPM scoreboard cleanup before the slot is released. `pid` is the child
    // that exited (an extra child no longer owns the slot's process record).
    virtual void released(int slot, pid_t pid) noexcept = 0;
    // The spawn rate that idle maintenance uses for `slot`'s children (prefork: one for all; worker and
    // event: one per listener bucket, as stock).
    virtual SpawnPacer& spawn_pacer(int slot) noexcept = 0;
    // A child exited with `status` as ap_process_child_status() classified it (CHILDSICK, ...).
    virtual void child_exited(int /*slot*/, int /*processed_status*/, bool /*current_generation*/) noexcept {}
    // Ask running children to act on `cmd` (graceful_restart, graceful_stop, restart, stop).
    virtual void tell_children(ServerCommand cmd) noexcept = 0;
    // After a plain restart, must the parent send SIGTERM first when reclaiming children? (stock prefork
    // relies on its SIGHUP; worker/event on SIGTERM)
    virtual bool reclaim_with_sigterm_on_restart() const noexcept = 0;

    // -X / -DONE_PROCESS: serve in this process until told to stop; returns the exit code.
    virtual int run_one_process() noexcept = 0;
};

class Supervisor {
public:
    Supervisor(SupervisorRetained& retained, ChildKind& kind, bool one_process) noexcept
        : r_(retained), kind_(kind), one_process_(one_process)
    {
    }

    // The body of the mpm hook: OK = restart, DONE = exit, anything else = failure.
    int run(apr_pool_t* pconf, apr_pool_t* plog, server_rec* s) noexcept;

    // Fork a child into a free slot (false if fork failed or is backing off after a failure).
    bool spawn(int slot) noexcept;
    // Fork a child into the slot of an exiting child, which becomes an extra child.
    bool share(int slot) noexcept;
    // Start up to n children in free slots below slot_limit(); returns how many started.
    int start_children(int n) noexcept;

    // The answer to AP_MPMQ_MAX_DAEMON_USED: every slot that may hold a child (also slots above a
    // MaxRequestWorkers lowered by a graceful restart, which stock prefork forgets).
    int max_daemon_used() const noexcept;

    SupervisorRetained& retained() noexcept { return r_; }
    // Bucket relief (bucket_relief.h) with two or more buckets, not in one-process mode: children keep
    // every bucket's listeners, and the parent looks at the buckets' queues ten times a second.
    bool relief_on() const noexcept { return !one_process_ && kind_.listeners().count() > 1; }
    ServerCommand pending() const noexcept;

private:
    // Between turns of the parent's loop: reaps an exited child into `proc` (pid -1 if none) or sleeps up
    // to a second, as ap_wait_or_timeout() does; with bucket relief on, in slices, looking at the buckets'
    // queues after each (parent_wait.cpp).
    void wait_or_timeout(apr_exit_why_e& why, int& status, apr_proc_t& proc, apr_pool_t* pconf,
                         server_rec* s) noexcept;
    // One look at the buckets' queues: sends idle children (threads) of other buckets to connections
    // queued on a bucket with nothing idle; with `report` (once a maintenance pass) logs what the looks
    // since the last report did (relief.cpp).
    void relieve_buckets(bool report) noexcept;
    bool handle_exit(apr_proc_t& proc, apr_exit_why_e why, int status) noexcept;
    // A child of a threaded MPM was killed by a signal: replace it now if KillRespawn allows.
    bool replace_killed_child() noexcept;
    void note_started(int slot, pid_t pid) noexcept;
    int stop_children_now(apr_pool_t* pconf) noexcept;  // used for stop and fatal paths
    int graceful_stop(apr_pool_t* pconf) noexcept;
    bool children_alive() const noexcept;
    bool take_extra(pid_t pid, ExtraChild& out) noexcept;
    // Waits for every child to exit, escalating on the stock schedule (ReclaimSchedule).
    void reclaim(bool terminate_first) noexcept;
    // One pass: reaps children that have exited; returns how many are still running.
    int relieve(bool terminate_now, bool kill_now) noexcept;

    SupervisorRetained& r_;
    ChildKind& kind_;
    bool one_process_;
    int remaining_to_start_ = 0;
    Backoff fork_backoff_{std::chrono::seconds(1), std::chrono::seconds(10)};
    KillRespawn kill_respawn_;
    ReliefTally relief_;
};

// Releases a reaped child's slot: per-MPM cleanup, child_status(EXITED), pid = 0.
void release_slot(ChildKind& kind, int slot) noexcept;

}  // namespace mpmcxx
