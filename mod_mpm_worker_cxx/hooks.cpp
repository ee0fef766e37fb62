// httpd hooks of mod_mpm_worker_cxx and its answers to ap_mpm_query.

#include "common/base/c_boundary.h"
#include "common/base/pool_object.h"
#include "common/lifecycle/mpm_startup.h"
#include "common/lifecycle/mpm_state.h"
#include "common/lifecycle/retained.h"
#include "common/lifecycle/threaded_hooks.h"
#include "common/process/stop_watch.h"
#include "mod_mpm_worker_cxx/worker.h"

namespace mpmcxx::worker {

constinit Globals g{};
constinit thread_local int t_worker = -1;

namespace {

constexpr const char* kRetainedKey = "mpm_worker_cxx_module";

ap_unixd_mpm_retained_data* mpm_data() noexcept { return g.retained->threaded.sup.mpm; }

int reported_mpm_state() noexcept
{
    auto stop = static_cast<ChildStop>(g.child.stop.load(std::memory_order_acquire));
    return mpm_state_for_caller(mpm_data(), g.child.active, stop == ChildStop::immediate, stop == ChildStop::graceful,
                                g.child.slot, t_worker);
}

int query(int code, int* result, apr_status_t* rv) noexcept
{
    // apache2 -V asks before any configuration hook ran: no retained data yet.
    bool configured = g.retained != nullptr;
    ThreadedAnswers answers{g.limits, g.mpm != nullptr ? g.mpm->max_daemon_used() : g.limits.daemons_limit,
                            configured && code == AP_MPMQ_MPM_STATE ? reported_mpm_state() : AP_MPMQ_STARTING,
                            configured ? mpm_data()->my_generation : 0, false};
    return answer_threaded_query(code, result, rv, answers);
}

const char* get_name() noexcept { return "worker_cxx"; }

int pre_config(apr_pool_t* pconf, apr_pool_t* /*plog*/, apr_pool_t* /*ptemp*/) noexcept
{
    return c_boundary("pre_config", static_cast<int>(HTTP_INTERNAL_SERVER_ERROR), [&]() -> int {
        RunModes modes = read_run_modes();
        g.one_process = modes.one_process;
        Retained& r = retained_block<Retained>(kRetainedKey);
        g.retained = &r;
        if (int rc = threaded_pre_config(pconf, r.threaded, &r, modes); rc != OK) {
            return rc;
        }
        g.limits = config::ThreadLimits{};
        g.child.active = false;
        g.child.slot = 0;
        g.child.stop.store(0);
        g.mpm = make_pool_object<Worker>(pconf, r, g.limits, modes.one_process);
        return OK;
    });
}

int check_config(apr_pool_t* /*pconf*/, apr_pool_t* /*plog*/, apr_pool_t* /*ptemp*/, server_rec* s) noexcept
{
    return c_boundary("check_config", static_cast<int>(HTTP_INTERNAL_SERVER_ERROR), [&]() -> int {
        threaded_check_config(g.limits, config::kWorkerSpec, g.retained->threaded.sup, s);
        return OK;
    });
}

// Before core.c's open_logs, which redirects stderr: listener errors must still reach the console.
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
    set_log_module(&mpm_worker_cxx_module);
    static const char* const before_core[] = {"core.c", nullptr};
    ap_hook_open_logs(open_logs, nullptr, before_core, APR_HOOK_REALLY_FIRST);
    ap_hook_pre_config(pre_config, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
    ap_hook_check_config(check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_mpm(run, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_mpm_query(query, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_mpm_get_name(get_name, nullptr, nullptr, APR_HOOK_MIDDLE);
}

}  // namespace mpmcxx::worker
