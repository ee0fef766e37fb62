// httpd hooks of mod_mpm_prefork_cxx and its answers to ap_mpm_query.

#include "common/base/c_boundary.h"
#include "common/base/log_ids.h"
#include "common/base/pool_object.h"
#include "common/lifecycle/mpm_state.h"
#include "common/lifecycle/mpm_startup.h"
#include "common/lifecycle/retained.h"
#include "common/process/child_signals.h"
#include "common/scoreboard/scoreboard.h"
#include "mod_mpm_prefork_cxx/prefork.h"

namespace mpmcxx::prefork {

constinit Globals g{};

namespace {

constexpr const char* kRetainedKey = "mpm_prefork_cxx_module";

ap_unixd_mpm_retained_data* mpm_data() noexcept { return g.retained->sup.mpm; }

// The MPM state as this process should report it; in a child asked to stop gracefully this is where
// keep-alive connections are drained without losing a request (common/lifecycle/drain.h).
int reported_mpm_state() noexcept
{
    auto stop = child_signals::pending();
    bool draining = stop == child_signals::Stop::graceful ||
                    (ap_scoreboard_image != nullptr && sb::global().running_generation != g.child.generation);
    return mpm_state_for_caller(mpm_data(), g.child.active, stop == child_signals::Stop::immediate, draining,
                                g.child.slot, 0);
}

int query(int code, int* result, apr_status_t* rv) noexcept
{
    *rv = APR_SUCCESS;
    switch (code) {
    case AP_MPMQ_MAX_DAEMON_USED:
        // Stock answers MaxRequestWorkers; we also cover slots above a MaxRequestWorkers that a graceful
        // restart lowered, so such children are still found and reaped (stock: "long lost child").
        *result = g.mpm != nullptr ? g.mpm->max_daemon_used() : g.limits.max_workers;
        break;
    case AP_MPMQ_IS_THREADED: *result = AP_MPMQ_NOT_SUPPORTED; break;
    case AP_MPMQ_IS_FORKED: *result = AP_MPMQ_DYNAMIC; break;
    case AP_MPMQ_HARD_LIMIT_DAEMONS: *result = g.limits.server_limit; break;
    case AP_MPMQ_HARD_LIMIT_THREADS: *result = 1; break;
    case AP_MPMQ_MAX_THREADS: *result = 1; break;
    case AP_MPMQ_MIN_SPARE_DAEMONS: *result = g.limits.min_spare; break;
    case AP_MPMQ_MIN_SPARE_THREADS: *result = 0; break;
    case AP_MPMQ_MAX_SPARE_DAEMONS: *result = g.limits.max_spare; break;
    case AP_MPMQ_MAX_SPARE_THREADS: *result = 0; break;
    case AP_MPMQ_MAX_REQUESTS_DAEMON: *result = ap_max_requests_per_child; break;
    case AP_MPMQ_MAX_DAEMONS: *result = g.limits.max_workers; break;
    case AP_MPMQ_MPM_STATE: *result = reported_mpm_state(); break;
    case AP_MPMQ_GENERATION: *result = mpm_data()->my_generation; break;
    default: *rv = APR_ENOTIMPL; break;
    }
    return OK;
}

const char* get_name() noexcept { return "prefork_cxx"; }

int pre_config(apr_pool_t* pconf, apr_pool_t* /*plog*/, apr_pool_t* /*ptemp*/) noexcept
{
    return c_boundary("pre_config", static_cast<int>(HTTP_INTERNAL_SERVER_ERROR), [&]() -> int {
        RunModes modes = read_run_modes();
        g.one_process = modes.one_process;
        Retained& r = retained_block<Retained>(kRetainedKey);
        g.retained = &r;
        if (r.sup.mpm == nullptr) {
            r.sup.mpm = ap_unixd_mpm_get_retained_data();
            r.sup.pacer.init();
        }
        if (int rc = begin_pre_config(pconf, r.sup.mpm, &r, modes); rc != OK) {
            return rc;
        }
        g.limits = config::PreforkLimits{};
        g.child = ChildState{};
        g.mpm = make_pool_object<Prefork>(pconf, r, modes.one_process);
        return OK;
    });
}

int check_config(apr_pool_t* /*pconf*/, apr_pool_t* /*plog*/, apr_pool_t* /*ptemp*/, server_rec* s) noexcept
{
    return c_boundary("check_config", static_cast<int>(HTTP_INTERNAL_SERVER_ERROR), [&]() -> int {
        config::ClampMessages msgs;
        g.limits = config::clamp_prefork(g.limits, first_startup(mpm_data()), g.retained->sup.first_server_limit, msgs);
        if (g.retained->sup.first_server_limit == 0) {
            g.retained->sup.first_server_limit = g.limits.server_limit;
        }
        log_clamp_messages(msgs, s);
        return OK;
    });
}

// Listeners are opened here rather than in post_config: the core redirects stderr to the error log in
// its own open_logs, and listener errors must still reach the console.
int open_logs(apr_pool_t* pconf, apr_pool_t* /*plog*/, apr_pool_t* /*ptemp*/, server_rec* s) noexcept
{
    return c_boundary("open_logs", static_cast<int>(DONE), [&]() -> int {
        return g.mpm->open_listeners(pconf, s, first_startup(mpm_data())) ? OK : DONE;
    });
}

int run(apr_pool_t* pconf, apr_pool_t* plog, server_rec* s) noexcept
{
    return c_boundary("mpm", static_cast<int>(DONE), [&]() -> int { return g.mpm->run(pconf, plog, s); });
}

}  // namespace

void register_hooks(apr_pool_t* /*p*/) noexcept
{
    set_log_module(&mpm_prefork_cxx_module);
    // Before core.c's open_logs, which redirects stderr (see open_logs above).
    static const char* const before_core[] = {"core.c", nullptr};
    ap_hook_open_logs(open_logs, nullptr, before_core, APR_HOOK_REALLY_FIRST);
    // First, so other modules' pre_config already sees mpm_state STARTING through ap_mpm_query.
    ap_hook_pre_config(pre_config, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
    ap_hook_check_config(check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_mpm(run, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_mpm_query(query, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_mpm_get_name(get_name, nullptr, nullptr, APR_HOOK_MIDDLE);
}

}  // namespace mpmcxx::prefork
