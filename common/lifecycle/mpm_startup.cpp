#include "common/lifecycle/mpm_startup.h"

#include "common/base/log_ids.h"

namespace mpmcxx {

RunModes read_run_modes() noexcept
{
    RunModes m;
    bool debug = ap_exists_config_define("DEBUG");
    m.one_process = debug || ap_exists_config_define("ONE_PROCESS");
    m.foreground = debug || ap_exists_config_define("FOREGROUND");
    m.no_detach = !debug && ap_exists_config_define("NO_DETACH");
    return m;
}

int begin_pre_config(apr_pool_t* pconf, ap_unixd_mpm_retained_data* mpm, const void* baton,
                     const RunModes& modes) noexcept
{
    ap_mutex_register(pconf, AP_ACCEPT_MUTEX_TYPE, nullptr, APR_LOCK_DEFAULT, 0);
    mpm->mpm_state = AP_MPMQ_STARTING;
    if (mpm->baton != baton) {
        mpm->was_graceful = 0;
        mpm->baton = const_cast<void*>(baton);
    }
    ++mpm->module_loads;
    if (mpm->module_loads == 2 && !modes.one_process && !modes.foreground) {
        // Crash handlers first, so a crash before detaching is still logged.
        ap_fatal_signal_setup(ap_server_conf, pconf);
        apr_status_t rv = apr_proc_detach(modes.no_detach ? APR_PROC_DETACH_FOREGROUND : APR_PROC_DETACH_DAEMONIZE);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, nullptr, CXXLOGNO(00174) "apr_proc_detach failed");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    ap_listen_pre_config();
    ap_extended_status = 0;
    return OK;
}

void log_clamp_messages(const config::ClampMessages& msgs, server_rec* s) noexcept
{
    for (const auto& m : msgs) {
        if (m.startup) {
            ap_log_error(APLOG_MARK, APLOG_WARNING | APLOG_STARTUP, 0, nullptr, "CXX%05d: %s", m.id, m.text.c_str());
        } else {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "CXX%05d: %s", m.id, m.text.c_str());
        }
    }
}

}  // namespace mpmcxx
