// The parent's side of bucket relief (bucket_relief.h): a look at the buckets' accept queues, the
// scoreboard read only when one of them holds a connection.

#include <algorithm>
#include <vector>

#include "common/scoreboard/scoreboard.h"
#include "common/supervise/supervisor.h"

namespace mpmcxx {

void Supervisor::relieve_buckets(bool report) noexcept
{
    if (!relief_on()) {
        return;
    }
    const ListenBuckets& buckets = kind_.listeners();
    if (buckets.any_queued()) {
        try {
            std::vector<int> idle(static_cast<std::size_t>(buckets.count()), 0);
            const ap_generation_t gen = r_.mpm->my_generation;
            const int scan = std::min(max_daemon_used(), sb::server_limit());
            for (int i = 0; i < scan; ++i) {
                idle[static_cast<std::size_t>(buckets.bucket_of_slot(i))] += kind_.ready_in_slot(i, gen);
            }
            buckets.relieve(idle, relief_);
        } catch (...) {
            // Out of memory: skip this look.
        }
    }
    if (report) {
        const bool threads = kind_.threaded();
        ListenBuckets::report_relief(relief_, threads ? "thread" : "child", threads ? "threads" : "children");
    }
}

}  // namespace mpmcxx
