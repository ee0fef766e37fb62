#include "common/lifecycle/threaded_hooks.h"

namespace mpmcxx {

int answer_threaded_query(int code, int* result, apr_status_t* rv, const ThreadedAnswers& a) noexcept
{
    *rv = APR_SUCCESS;
    switch (code) {
    case AP_MPMQ_MAX_DAEMON_USED: *result = a.max_daemon_used; break;
    case AP_MPMQ_IS_THREADED: *result = AP_MPMQ_STATIC; break;
    case AP_MPMQ_IS_FORKED: *result = AP_MPMQ_DYNAMIC; break;
    case AP_MPMQ_HARD_LIMIT_DAEMONS: *result = a.limits.server_limit; break;
    case AP_MPMQ_HARD_LIMIT_THREADS: *result = a.limits.thread_limit; break;
    case AP_MPMQ_MAX_THREADS: *result = a.limits.threads_per_child; break;
    case AP_MPMQ_MIN_SPARE_DAEMONS: *result = 0; break;
    case AP_MPMQ_MIN_SPARE_THREADS: *result = a.limits.min_spare_threads; break;
    case AP_MPMQ_MAX_SPARE_DAEMONS: *result = 0; break;
    case AP_MPMQ_MAX_SPARE_THREADS: *result = a.limits.max_spare_threads; break;
    case AP_MPMQ_MAX_REQUESTS_DAEMON: *result = ap_max_requests_per_child; break;
    case AP_MPMQ_MAX_DAEMONS: *result = a.limits.daemons_limit; break;
    case AP_MPMQ_MPM_STATE: *result = a.mpm_state; break;
    case AP_MPMQ_GENERATION: *result = a.generation; break;
    case AP_MPMQ_IS_ASYNC:
    case AP_MPMQ_CAN_WAITIO:
        if (a.async) {
            *result = 1;
            break;
        }
        [[fallthrough]];
    default: *rv = APR_ENOTIMPL; break;
    }
    return OK;
}

int threaded_pre_config(apr_pool_t* pconf, ThreadedRetained& t, const void* baton, const RunModes& modes) noexcept
{
    if (t.sup.mpm == nullptr) {
        t.sup.mpm = ap_unixd_mpm_get_retained_data();
        t.sup.pacer.init();
    }
    int rc = begin_pre_config(pconf, t.sup.mpm, baton, modes);
    t.healthy_child = false;
    return rc;
}

void threaded_check_config(config::ThreadLimits& limits, const config::ThreadMpmSpec& spec, SupervisorRetained& sup,
                           server_rec* s)
{
    config::ClampMessages msgs;
    limits = config::clamp_threaded(limits, spec, first_startup(sup.mpm), sup.first_server_limit,
                                    sup.first_thread_limit, msgs);
    if (sup.first_server_limit == 0) {
        sup.first_server_limit = limits.server_limit;
    }
    if (sup.first_thread_limit == 0) {
        sup.first_thread_limit = limits.thread_limit;
    }
    log_clamp_messages(msgs, s);
}

}  // namespace mpmcxx
