#pragma once
// prefork's process limits: defaults, the stock check_config clamps (same values, same warnings) and the
// silent run-time floors that depend on the number of listener buckets.

#include "common/config/clamp_message.h"

namespace mpmcxx::config {

struct PreforkLimits {
    int server_limit = 256;        // ServerLimit
    int max_workers = 256;         // MaxRequestWorkers (MaxClients); defaults to ServerLimit
    int start_servers = 5;         // StartServers
    int min_spare = 5;             // MinSpareServers
    int max_spare = 10;            // MaxSpareServers
};

inline constexpr int kPreforkMaxServerLimit = 200000;  // stock MAX_SERVER_LIMIT: catches typos

// check_config: `first_server_limit` is the ServerLimit of the first startup (0 before it is known);
// ServerLimit cannot change across restarts because the scoreboard was sized from it.
PreforkLimits clamp_prefork(PreforkLimits in, bool startup, int first_server_limit, ClampMessages& out);

// The run-time floors stock applies in its run hook once the bucket count is known (silently).
PreforkLimits prefork_bucket_floor(PreforkLimits in, int num_buckets);

}  // namespace mpmcxx::config
