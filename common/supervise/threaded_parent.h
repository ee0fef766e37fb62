#pragma once
// The parent side of the threaded MPMs (worker, event): children with ThreadsPerChild workers each, told
// to stop through their bucket's pipe of death ('!' graceful, '$' now), idle-thread maintenance per
// bucket without slot squatting (threaded_maintenance.h). The child itself is the MPM's.

#include <memory>
#include <vector>

#include "common/base/c_boundary.h"
#include "common/config/thread_limits.h"
#include "common/listen/buckets.h"
#include "common/process/pod.h"
#include "common/supervise/supervisor.h"

namespace mpmcxx {

// Plain data kept across DSO reloads.
struct ThreadedRetained {
    SupervisorRetained sup;
    SpawnPacer* bucket_pacers;  // one per listener bucket, in httpd's global pool
    int pacer_count;
    bool max_reported;          // "reached MaxRequestWorkers" (once per run, as stock)
    bool near_max_reported;     // "within MinSpareThreads of MaxRequestWorkers" (once per run)
    bool full_reported;         // "scoreboard is full" (once per episode)
    int full_passes;            // consecutive maintenance passes that found it full
    bool sick_child;            // a child exited for lack of resources
    bool healthy_child;         // some child once had all its threads up
};

class ThreadedParent : public ChildKind {
public:
    ThreadedParent(ThreadedRetained& retained, config::ThreadLimits& limits, bool one_process) noexcept;

    // open_logs: listeners, buckets, one pipe of death per bucket.
    bool open_listeners(apr_pool_t* pconf, server_rec* s, bool startup) noexcept;
    // The mpm hook.
    int run(apr_pool_t* pconf, apr_pool_t* plog, server_rec* s) noexcept;

    int max_daemon_used() const noexcept { return supervisor_.max_daemon_used(); }

    // ChildKind
    bool threaded() const noexcept override { return true; }
    int slot_limit() const noexcept override { return limits_.server_limit; }
    int start_servers() const noexcept override;
    int bucket_of_slot(int slot) const noexcept override { return buckets_->bucket_of_slot(slot); }
    const ListenBuckets& listeners() const noexcept override { return *buckets_; }
    void before_fork(int /*slot*/) noexcept override {}
    void fork_failed(int /*slot*/) noexcept override {}  // before_fork() touched nothing
    void maintain() noexcept override;
    int ready_in_slot(int slot, ap_generation_t generation) const noexcept override;
    void released(int slot, pid_t pid) noexcept override;
    SpawnPacer& spawn_pacer(int slot) noexcept override { return pacer(buckets_->bucket_of_slot(slot)); }
    void child_exited(int slot, int processed_status, bool current_generation) noexcept override;
    void tell_children(ServerCommand cmd) noexcept override;
    bool reclaim_with_sigterm_on_restart() const noexcept override { return true; }
    [[noreturn]] void child_main(int slot, int bucket) noexcept final;
    int run_one_process() noexcept final;

protected:
    // The MPM's child, from its setup to its exit code (usually run_threaded_child<Runtime>()).
    virtual int child_lifetime(int slot, int bucket) noexcept = 0;

    // A threaded child's life: prepare_child(), then the MPM's `Runtime` on the main thread, then
    // finish_child(). Runtime(slot, listeners, pod_fd, pchild, pconf, one_process) may throw while it sets
    // up; its run() returns the exit code.
    template <typename Runtime>
    int run_threaded_child(int slot, int bucket) noexcept
    {
        int code = 0;
        apr_pool_t* pchild = prepare_child(bucket, code);
        if (code == 0) {
            code = c_boundary("child", static_cast<int>(APEXIT_CHILDSICK), [&]() -> int {
                std::unique_ptr<Runtime> runtime;
                try {
                    runtime = std::make_unique<Runtime>(slot, buckets_->bucket(bucket),
                                                        one_process_ ? -1 : buckets_->pod(bucket).read_fd(), pchild,
                                                        pconf_, one_process_);
                    for (int b = 0; supervisor_.relief_on() && b < buckets_->count(); ++b) {
                        if (b != bucket) {
                            runtime->add_relief_listeners(buckets_->bucket(b));
                        }
                    }
                } catch (const std::exception& e) {
                    log_runtime_failure(e.what());
                    return APEXIT_CHILDSICK;
                }
                r_.sup.mpm->mpm_state = AP_MPMQ_RUNNING;
                return runtime->run();
            });
        }
        finish_child(pchild);
        return code;
    }

    // The part of a threaded child's life every threaded MPM shares: the child pool, the main thread's
    // identity, only its own bucket's listeners and pipe, the scoreboard, dropped privileges, all signals
    // blocked (StopWatch reads the ones it acts on), child_init. Returns the child pool, or sets `code`
    // and returns nullptr. finish_child() destroys the pool.
    apr_pool_t* prepare_child(int bucket, int& code) noexcept;
    void finish_child(apr_pool_t* pchild) noexcept;
    static void log_runtime_failure(const char* what) noexcept;

    apr_pool_t* pconf() const noexcept { return pconf_; }
    const ListenBuckets& buckets() const noexcept { return *buckets_; }
    bool one_process() const noexcept { return one_process_; }
    ThreadedRetained& retained() noexcept { return r_; }

private:
    SpawnPacer& pacer(int bucket) noexcept;
    // Returns true if the bucket needed a child and found no free slot.
    bool maintain_bucket(int bucket) noexcept;
    void report(int kind, int idle, int total) noexcept;

    ThreadedRetained& r_;
    config::ThreadLimits& limits_;
    bool one_process_;
    apr_pool_t* pconf_ = nullptr;
    ListenBuckets* buckets_ = nullptr;
    Supervisor supervisor_;
};

}  // namespace mpmcxx
