#pragma once
// The answer to AP_MPMQ_MPM_STATE for the calling thread (see drain.h for why it depends on the caller).

#include "common/base/httpd.h"

namespace mpmcxx {

// `draining`: this child has been asked to stop gracefully. `slot`/`thread`: the scoreboard entry of the
// calling worker thread, or thread < 0 for a thread that serves no connection (listener, module threads).
int mpm_state_for_caller(const ap_unixd_mpm_retained_data* mpm, bool in_child, bool stopping_now, bool draining,
                         int slot, int thread) noexcept;

}  // namespace mpmcxx
