#pragma once
// mod_mpm_prefork_cxx: one single-threaded process per connection being served, like stock prefork.
//
// Files: module.cpp (the module struct and directive table), hooks.cpp (httpd hooks and ap_mpm_query),
// parent.cpp (what the shared Supervisor needs to know about prefork children), child.cpp (the child's
// accept-and-serve loop).

#include <vector>

#include "common/base/httpd.h"
#include "common/config/prefork_limits.h"
#include "common/listen/buckets.h"
#include "common/process/pod.h"
#include "common/supervise/prefork_maintenance.h"
#include "common/supervise/supervisor.h"

extern "C" {
extern module mpm_prefork_cxx_module;
}

namespace mpmcxx::prefork {

// Survives the module's unload/reload on every restart (plain data only).
struct Retained {
    SupervisorRetained sup;
};

class Prefork final : public ChildKind {
public:
    Prefork(Retained& retained, bool one_process) noexcept;

    // open_logs: listeners, buckets, one pipe of death per bucket.
    bool open_listeners(apr_pool_t* pconf, server_rec* s, bool startup) noexcept;
    int run(apr_pool_t* pconf, apr_pool_t* plog, server_rec* s) noexcept;

    int max_daemon_used() const noexcept { return supervisor_.max_daemon_used(); }

    // ChildKind
    int slot_limit() const noexcept override;
    int start_servers() const noexcept override;
    int bucket_of_slot(int slot) const noexcept override { return buckets_->bucket_of_slot(slot); }
    const ListenBuckets& listeners() const noexcept override { return *buckets_; }
    void before_fork(int slot) noexcept override;
    void fork_failed(int slot) noexcept override;
    [[noreturn]] void child_main(int slot, int bucket) noexcept override;
    void maintain() noexcept override;
    int ready_in_slot(int slot, ap_generation_t generation) const noexcept override;
    void released(int slot, pid_t pid) noexcept override;
    SpawnPacer& spawn_pacer(int /*slot*/) noexcept override { return retained_.sup.pacer; }
    void tell_children(ServerCommand cmd) noexcept override;
    bool reclaim_with_sigterm_on_restart() const noexcept override { return false; }
    int run_one_process() noexcept override;

private:
    // A child's life from pool creation to cleanup (forked, or in-process for one-process mode).
    int child_lifetime(int slot, int bucket) noexcept;
    // The connection loop; returns the exit code.
    int serve(int slot, int bucket, apr_pool_t* pchild) noexcept;

    Retained& retained_;
    bool one_process_;
    apr_pool_t* pconf_ = nullptr;
    ListenBuckets* buckets_ = nullptr;
    Supervisor supervisor_;
};

// Where the child's own state lives while it serves (read by the MPM-state answer to ap_mpm_query).
struct ChildState {
    bool active;              // this process is serving as a child (or in one-process mode)
    int slot;
    ap_generation_t generation;
};

// Module-wide state. Trivial and constant-initialized: the .so is unloaded and reloaded on each restart.
struct Globals {
    Retained* retained;
    Prefork* mpm;                  // this configuration cycle's (lives in pconf)
    config::PreforkLimits limits;  // reset in pre_config, set by directives, clamped in check_config
    bool one_process;
    ChildState child;
};
extern constinit Globals g;

void register_hooks(apr_pool_t* p) noexcept;
extern const command_rec commands[];

}  // namespace mpmcxx::prefork
