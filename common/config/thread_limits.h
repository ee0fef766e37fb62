#pragma once
// worker's and event's process/thread limits: defaults, the stock check_config clamps (same values, same
// warnings; only the AH numbers and event's larger ThreadLimit maximum differ) and the silent run-time
// floors that depend on the number of listener buckets.

#include "common/config/clamp_message.h"

namespace mpmcxx::config {

struct ThreadLimits {
    int server_limit = 16;        // ServerLimit
    int thread_limit = 64;        // ThreadLimit
    int threads_per_child = 25;   // ThreadsPerChild
    int max_workers = 16 * 25;    // MaxRequestWorkers (MaxClients)
    int start_servers = 3;        // StartServers
    int min_spare_threads = 75;   // MinSpareThreads
    int max_spare_threads = 250;  // MaxSpareThreads
    int daemons_limit = 16;       // derived: MaxRequestWorkers / ThreadsPerChild, at most ServerLimit
};

struct ThreadMpmSpec {
    int max_server_limit;  // 20000 for both
    int max_thread_limit;  // worker 20000, event 100000
    int first_id;          // AH number of the first clamp message: worker 300, event 497
};

inline constexpr ThreadMpmSpec kWorkerSpec{20000, 20000, 300};
inline constexpr ThreadMpmSpec kEventSpec{20000, 100000, 497};

// check_config. first_* are the values of the first startup (0 before it is known): the scoreboard was
// sized from them, so they cannot change across restarts.
ThreadLimits clamp_threaded(ThreadLimits in, const ThreadMpmSpec& spec, bool startup, int first_server_limit,
                            int first_thread_limit, ClampMessages& out);

// The run-time floors stock applies in its run hook once the bucket count is known (silently).
ThreadLimits threaded_bucket_floor(ThreadLimits in, int num_buckets);

}  // namespace mpmcxx::config
