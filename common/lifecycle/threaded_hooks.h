#pragma once
// What worker and event answer and do alike in their hooks.

#include "common/base/httpd.h"
#include "common/config/thread_limits.h"
#include "common/lifecycle/mpm_startup.h"
#include "common/supervise/threaded_parent.h"

namespace mpmcxx {

struct ThreadedAnswers {
    const config::ThreadLimits& limits;
    int max_daemon_used;
    int mpm_state;
    int generation;
    bool async;  // event: IS_ASYNC and CAN_WAITIO
};

// ap_mpm_query as stock worker/event answer it.
int answer_threaded_query(int code, int* result, apr_status_t* rv, const ThreadedAnswers& a) noexcept;

// pre_config after the retained block was found: take over the core's retained data, the stock sequence.
int threaded_pre_config(apr_pool_t* pconf, ThreadedRetained& t, const void* baton, const RunModes& modes) noexcept;

// check_config: the stock clamps and warnings; the first ServerLimit/ThreadLimit are remembered.
void threaded_check_config(config::ThreadLimits& limits, const config::ThreadMpmSpec& spec, SupervisorRetained& sup,
                           server_rec* s);

}  // namespace mpmcxx
