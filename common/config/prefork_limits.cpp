#include "common/config/prefork_limits.h"

#include "common/base/strformat.h"

namespace mpmcxx::config {

namespace {
void add(ClampMessages& out, int id, bool startup, std::string text)
{
    out.push_back(ClampMessage{id, startup, std::move(text)});
}
}  // namespace

PreforkLimits clamp_prefork(PreforkLimits in, bool startup, int first_server_limit, ClampMessages& out)
{
    PreforkLimits l = in;
    constexpr int kMax = kPreforkMaxServerLimit;

    if (l.server_limit > kMax) {
        if (startup) {
            add(out, 175, true,
                strformat("WARNING: ServerLimit of %d exceeds compile-time limit of %d servers, decreasing to %d.",
                          l.server_limit, kMax, kMax));
        } else {
            add(out, 176, false,
                strformat("ServerLimit of %d exceeds compile-time limit of %d, decreasing to match", l.server_limit,
                          kMax));
        }
        l.server_limit = kMax;
    } else if (l.server_limit < 1) {
        if (startup) {
            add(out, 177, true, strformat("WARNING: ServerLimit of %d not allowed, increasing to 1.", l.server_limit));
        } else {
            add(out, 178, false, strformat("ServerLimit of %d not allowed, increasing to 1", l.server_limit));
        }
        l.server_limit = 1;
    }

    if (first_server_limit > 0 && l.server_limit != first_server_limit) {
        add(out, 179, false,
            strformat("changing ServerLimit to %d from original value of %d not allowed during restart",
                      l.server_limit, first_server_limit));
        l.server_limit = first_server_limit;
    }

    if (l.max_workers > l.server_limit) {
        if (startup) {
            add(out, 180, true,
                strformat("WARNING: MaxRequestWorkers of %d exceeds ServerLimit value of %d servers, decreasing "
                          "MaxRequestWorkers to %d. To increase, please see the ServerLimit directive.",
                          l.max_workers, l.server_limit, l.server_limit));
        } else {
            add(out, 181, false,
                strformat("MaxRequestWorkers of %d exceeds ServerLimit value of %d, decreasing to match",
                          l.max_workers, l.server_limit));
        }
        l.max_workers = l.server_limit;
    } else if (l.max_workers < 1) {
        if (startup) {
            add(out, 182, true,
                strformat("WARNING: MaxRequestWorkers of %d not allowed, increasing to 1.", l.max_workers));
        } else {
            add(out, 183, false, strformat("MaxRequestWorkers of %d not allowed, increasing to 1", l.max_workers));
        }
        l.max_workers = 1;
    }

    if (l.start_servers < 1) {
        if (startup) {
            add(out, 184, true,
                strformat("WARNING: StartServers of %d not allowed, increasing to 1.", l.start_servers));
        } else {
            add(out, 185, false, strformat("StartServers of %d not allowed, increasing to 1", l.start_servers));
        }
        l.start_servers = 1;
    }

    if (l.min_spare < 1) {
        if (startup) {
            add(out, 186, true,
                strformat("WARNING: MinSpareServers of %d not allowed, increasing to 1 to avoid almost certain "
                          "server failure. Please read the documentation.",
                          l.min_spare));
        } else {
            add(out, 187, false, strformat("MinSpareServers of %d not allowed, increasing to 1", l.min_spare));
        }
        l.min_spare = 1;
    }
    return l;
}

PreforkLimits prefork_bucket_floor(PreforkLimits in, int num_buckets)
{
    PreforkLimits l = in;
    if (num_buckets < 1) {
        num_buckets = 1;
    }
    // One child per bucket at least, or a bucket's listeners would go unserved.
    if (l.max_workers < num_buckets) {
        l.max_workers = num_buckets;
    }
    if (l.start_servers < num_buckets) {
        l.start_servers = num_buckets;
    }
    if (l.min_spare < num_buckets) {
        l.min_spare = num_buckets;
    }
    if (l.max_spare < l.min_spare + num_buckets) {
        l.max_spare = l.min_spare + num_buckets;
    }
    // Stock can raise MaxRequestWorkers past ServerLimit here and index beyond the scoreboard; the bucket
    // count is capped at ServerLimit when listeners are set up, so this clip never starves a bucket.
    if (l.max_workers > l.server_limit) {
        l.max_workers = l.server_limit;
    }
    if (l.start_servers > l.max_workers) {
        l.start_servers = l.max_workers;
    }
    return l;
}

}  // namespace mpmcxx::config
