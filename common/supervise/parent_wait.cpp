// The parent's wait between turns of its loop. Stock's ap_wait_or_timeout() reaps an exited child or
// sleeps a whole second. With bucket relief on, a second is how long a client can wait in the accept
// queue of a bucket whose children are all busy, so the parent sleeps the same second in slices and
// looks at the queues after each (a getsockopt per bucket socket; the scoreboard only when one holds a
// connection). The monitor hook keeps its stock pace: every tenth wait, about ten seconds.

#include <algorithm>
#include <chrono>

#include "common/base/httpd.h"
#include "common/supervise/supervisor.h"

namespace mpmcxx {
namespace {
constexpr auto kWait = std::chrono::seconds(1);
constexpr auto kReliefSlice = std::chrono::milliseconds(100);
constexpr int kWaitsPerMonitor = 10;  // as INTERVAL_OF_WRITABLE_PROBES in httpd

bool reap_one(apr_exit_why_e& why, int& status, apr_proc_t& proc, apr_pool_t* pconf) noexcept
{
    apr_status_t rv = apr_proc_wait_all_procs(&proc, &status, &why, APR_NOWAIT, pconf);
    if (APR_STATUS_IS_CHILD_DONE(rv)) {
        return true;
    }
    proc.pid = -1;
    return false;
}
}  // namespace

void Supervisor::wait_or_timeout(apr_exit_why_e& why, int& status, apr_proc_t& proc, apr_pool_t* pconf,
                                 server_rec* s) noexcept
{
    if (!relief_on()) {
        ap_wait_or_timeout(&why, &status, &proc, pconf, s);
        return;
    }
    if (++r_.waits_since_monitor >= kWaitsPerMonitor) {
        r_.waits_since_monitor = 0;
        ap_run_monitor(pconf, s);
    }
    bool reaped = reap_one(why, status, proc, pconf);
    ap_update_global_status();
    if (reaped) {
        return;
    }
    using Clock = std::chrono::steady_clock;
    const auto end = Clock::now() + kWait;
    for (auto now = Clock::now(); now < end; now = Clock::now()) {
        const Clock::duration slice = std::min<Clock::duration>(end - now, kReliefSlice);
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(slice).count();
        apr_sleep(static_cast<apr_interval_time_t>(us));  // a signal cuts it short
        if (pending() != ServerCommand::none || reap_one(why, status, proc, pconf)) {
            return;
        }
        relieve_buckets(false);
    }
}

}  // namespace mpmcxx
