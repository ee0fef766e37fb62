// httpd hooks of mod_mpm_prefork_cxx and its answers to ap_mpm_query.

#include "common/base/c_boundary.h"
#include "common/base/log_ids.h"
#include "common/base/pool_object.h"
#include "common/lifecycle/drain.h"
#include "common/lifecycle/retained.h"
#include "common/process/child_signals.h"
#include "common/scoreboard/scoreboard.h"
#include "mod_mpm_prefork_cxx/prefork.h"

namespace mpmcxx::prefork {

constinit Globals g{};

namespace {

constexpr const char* kRetainedKey = "mpm_prefork_cxx_module";

ap_unixd_mpm_retained_data* mpm_data() noexcept { return g.retained->sup.mpm; }

bool first_startup() noexcept { return mpm_data()->module_loads == 1; }

// The MPM state as this process should report it. In a child that has been asked to stop gracefully
// this is where keep-alive connections are drained without losing a request (common/lifecycle/drain.h).
int reported_mpm_state() noexcept
{
    ap_unixd_mpm_retained_data* mpm = mpm_data();
    if (!g.child.active || mpm->mpm_state != AP_MPMQ_RUNNING) {
        return mpm->mpm_state;
    }
    auto stop = child_signals::pending();
    if (stop == child_signals::Stop::immediate) {
        return AP_MPMQ_STOPPING;
    }
    bool draining = stop == child_signals::Stop::graceful ||
                    (ap_scoreboard_image != nullptr && sb::global().running_generation != g.child.generation);
    bool keepalive_wait =
        ap_scoreboard_image != nullptr && sb::worker(g.child.slot, 0).status == SERVER_BUSY_KEEPALIVE;
    return reported_child_state(draining, keepalive_wait) == ReportedState::running ? AP_MPMQ_RUNNING
                                                                                     : AP_MPMQ_STOPPING;
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
        bool debug = ap_exists_config_define("DEBUG");
        bool one_process = debug || ap_exists_config_define("ONE_PROCESS");
        bool foreground = debug || ap_exists_config_define("FOREGROUND");
        bool no_detach = !debug && ap_exists_config_define("NO_DETACH");
        g.one_process = one_process;

        // Accept serialisation is done by the kernel (EPOLLEXCLUSIVE); the type is still registered so
        // configurations with "Mutex mpm-accept ..." keep working.
        ap_mutex_register(pconf, AP_ACCEPT_MUTEX_TYPE, nullptr, APR_LOCK_DEFAULT, 0);

        Retained& r = retained_block<Retained>(kRetainedKey);
        g.retained = &r;
        if (r.sup.mpm == nullptr) {
            r.sup.mpm = ap_unixd_mpm_get_retained_data();
            r.sup.pacer.init();
        }
        ap_unixd_mpm_retained_data* mpm = r.sup.mpm;
        mpm->mpm_state = AP_MPMQ_STARTING;
        if (mpm->baton != &r) {
            mpm->was_graceful = 0;
            mpm->baton = &r;
        }
        ++mpm->module_loads;

        // Detach on the second load only: the first is httpd's preflight (config test, -k commands).
        if (mpm->module_loads == 2 && !one_process && !foreground) {
            ap_fatal_signal_setup(ap_server_conf, pconf);
            apr_status_t rv = apr_proc_detach(no_detach ? APR_PROC_DETACH_FOREGROUND : APR_PROC_DETACH_DAEMONIZE);
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, rv, nullptr, CXXLOGNO(00174) "apr_proc_detach failed");
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }

        ap_listen_pre_config();
        g.limits = config::PreforkLimits{};
        g.child = ChildState{};
        ap_extended_status = 0;
        g.mpm = make_pool_object<Prefork>(pconf, r, one_process);
        return OK;
    });
}

int check_config(apr_pool_t* /*pconf*/, apr_pool_t* /*plog*/, apr_pool_t* /*ptemp*/, server_rec* s) noexcept
{
    return c_boundary("check_config", static_cast<int>(HTTP_INTERNAL_SERVER_ERROR), [&]() -> int {
        bool startup = first_startup();
        config::ClampMessages msgs;
        g.limits = config::clamp_prefork(g.limits, startup, g.retained->sup.first_server_limit, msgs);
        if (g.retained->sup.first_server_limit == 0) {
            g.retained->sup.first_server_limit = g.limits.server_limit;
        }
        for (const auto& m : msgs) {
            if (m.startup) {
                ap_log_error(APLOG_MARK, APLOG_WARNING | APLOG_STARTUP, 0, nullptr, "CXX%05d: %s", m.id, m.text.c_str());
            } else {
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "CXX%05d: %s", m.id, m.text.c_str());
            }
        }
        return OK;
    });
}

// Listeners are opened here rather than in post_config: the core redirects stderr to the error log in
// its own open_logs, and listener errors must still reach the console.
int open_logs(apr_pool_t* pconf, apr_pool_t* /*plog*/, apr_pool_t* /*ptemp*/, server_rec* s) noexcept
{
    return c_boundary("open_logs", static_cast<int>(DONE), [&]() -> int {
        return g.mpm->open_listeners(pconf, s, first_startup()) ? OK : DONE;
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
