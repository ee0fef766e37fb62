#include "common/lifecycle/mpm_state.h"

#include "common/lifecycle/drain.h"
#include "common/scoreboard/scoreboard.h"

namespace mpmcxx {

int mpm_state_for_caller(const ap_unixd_mpm_retained_data* mpm, bool in_child, bool stopping_now, bool draining,
                         int slot, int thread) noexcept
{
    if (!in_child || mpm->mpm_state != AP_MPMQ_RUNNING) {
        return mpm->mpm_state;
    }
    if (stopping_now) {
        return AP_MPMQ_STOPPING;
    }
    // httpd asks on every request: the scoreboard is read only when the answer depends on it (draining)
    bool keepalive_wait = false;
    if (draining && thread >= 0 && ap_scoreboard_image != nullptr) {
        const int status = sb::worker(slot, thread).status;
        keepalive_wait = maybe_after_response(status == SERVER_BUSY_KEEPALIVE ? EntryStatus::busy_keepalive
                                              : status == SERVER_GRACEFUL      ? EntryStatus::marked_graceful
                                                                               : EntryStatus::other);
    }
    return reported_child_state(draining, keepalive_wait) == ReportedState::running ? AP_MPMQ_RUNNING
                                                                                     : AP_MPMQ_STOPPING;
}

}  // namespace mpmcxx
