#pragma once
// The pre_config/check_config steps every Unix MPM performs the same way.

#include "common/base/httpd.h"
#include "common/config/clamp_message.h"

namespace mpmcxx {

// -X (DEBUG), -DONE_PROCESS, -DFOREGROUND, -DNO_DETACH.
struct RunModes {
    bool one_process = false;
    bool foreground = false;
    bool no_detach = false;
};
RunModes read_run_modes() noexcept;

// The stock pre_config sequence: register the mpm-accept mutex type (so "Mutex mpm-accept ..." keeps
// working), take ownership of the core's retained MPM data (a different MPM before us means this is not
// a graceful restart), count the module loads and detach on the second one (the first is httpd's
// preflight). `baton` identifies this MPM's retained block. Returns OK or an HTTP status on failure.
int begin_pre_config(apr_pool_t* pconf, ap_unixd_mpm_retained_data* mpm, const void* baton,
                     const RunModes& modes) noexcept;

// check_config warnings with the stock presentation: on the console at first startup, else the error log.
void log_clamp_messages(const config::ClampMessages& msgs, server_rec* s) noexcept;

// True during the first (preflight) configuration pass.
inline bool first_startup(const ap_unixd_mpm_retained_data* mpm) noexcept { return mpm->module_loads == 1; }

}  // namespace mpmcxx
