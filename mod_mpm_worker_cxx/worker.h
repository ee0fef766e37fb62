#pragma once
// mod_mpm_worker_cxx: processes with one listener thread and ThreadsPerChild worker threads, like stock
// worker. The parent side is common/supervise/threaded_parent; this MPM adds its child (child.cpp).
//
// Files: module.cpp (module struct, directives), hooks.cpp (httpd hooks, ap_mpm_query), child.cpp.

#include <atomic>

#include "common/base/httpd.h"
#include "common/config/thread_limits.h"
#include "common/supervise/threaded_parent.h"

extern "C" {
extern module mpm_worker_cxx_module;
}

namespace mpmcxx::worker {

struct Retained {
    ThreadedRetained threaded;
};

class Worker final : public ThreadedParent {
public:
    Worker(Retained& retained, config::ThreadLimits& limits, bool one_process) noexcept
        : ThreadedParent(retained.threaded, limits, one_process)
    {
    }

private:
    int child_lifetime(int slot, int bucket) noexcept override;
};

// What ap_mpm_query needs to know about this process when it is a child.
struct ChildState {
    bool active;
    int slot;
    std::atomic<int> stop;  // a ChildStop
};

// Module-wide state: trivial, constant-initialized (the .so is reloaded on every restart).
struct Globals {
    Retained* retained;
    Worker* mpm;
    config::ThreadLimits limits;
    bool one_process;
    ChildState child;
};
extern constinit Globals g;

// The scoreboard thread index of the calling worker thread; -1 on other threads.
extern constinit thread_local int t_worker;

void register_hooks(apr_pool_t* p) noexcept;
extern const command_rec commands[];

}  // namespace mpmcxx::worker
