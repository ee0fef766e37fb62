#include "common/config/thread_limits.h"

#include "common/base/strformat.h"

namespace mpmcxx::config {

namespace {
// Offsets of each message from the MPM's first clamp ID (identical layout in worker.c and event.c).
enum Msg {
    server_limit_high = 0, server_limit_high_restart, server_limit_low, server_limit_low_restart,
    server_limit_changed, thread_limit_high, thread_limit_high_restart, thread_limit_low,
    thread_limit_low_restart, thread_limit_changed, tpc_high, tpc_high_restart, tpc_low, tpc_low_restart,
    workers_low, workers_low_restart, workers_multiple, workers_multiple_restart, workers_server_limit,
    workers_server_limit_restart, start_low, start_low_restart, min_spare_low, min_spare_low_restart,
};

struct Out {
    const ThreadMpmSpec& spec;
    ClampMessages& msgs;
    void add(Msg m, bool startup, std::string text) { msgs.push_back(ClampMessage{spec.first_id + m, startup, std::move(text)}); }
};
}  // namespace

ThreadLimits clamp_threaded(ThreadLimits in, const ThreadMpmSpec& spec, bool startup, int first_server_limit,
                            int first_thread_limit, ClampMessages& msgs)
{
    ThreadLimits l = in;
    Out out{spec, msgs};

    if (l.server_limit > spec.max_server_limit) {
        if (startup) {
            out.add(server_limit_high, true,
                    strformat("WARNING: ServerLimit of %d exceeds compile-time limit of %d servers, decreasing to %d.",
                              l.server_limit, spec.max_server_limit, spec.max_server_limit));
        } else {
            out.add(server_limit_high_restart, false,
                    strformat("ServerLimit of %d exceeds compile-time limit of %d, decreasing to match",
                              l.server_limit, spec.max_server_limit));
        }
        l.server_limit = spec.max_server_limit;
    } else if (l.server_limit < 1) {
        if (startup) {
            out.add(server_limit_low, true,
                    strformat("WARNING: ServerLimit of %d not allowed, increasing to 1.", l.server_limit));
        } else {
            out.add(server_limit_low_restart, false,
                    strformat("ServerLimit of %d not allowed, increasing to 1", l.server_limit));
        }
        l.server_limit = 1;
    }
    if (first_server_limit > 0 && l.server_limit != first_server_limit) {
        out.add(server_limit_changed, false,
                strformat("changing ServerLimit to %d from original value of %d not allowed during restart",
                          l.server_limit, first_server_limit));
        l.server_limit = first_server_limit;
    }

    if (l.thread_limit > spec.max_thread_limit) {
        if (startup) {
            out.add(thread_limit_high, true,
                    strformat("WARNING: ThreadLimit of %d exceeds compile-time limit of %d threads, decreasing to %d.",
                              l.thread_limit, spec.max_thread_limit, spec.max_thread_limit));
        } else {
            out.add(thread_limit_high_restart, false,
                    strformat("ThreadLimit of %d exceeds compile-time limit of %d, decreasing to match",
                              l.thread_limit, spec.max_thread_limit));
        }
        l.thread_limit = spec.max_thread_limit;
    } else if (l.thread_limit < 1) {
        if (startup) {
            out.add(thread_limit_low, true,
                    strformat("WARNING: ThreadLimit of %d not allowed, increasing to 1.", l.thread_limit));
        } else {
            out.add(thread_limit_low_restart, false,
                    strformat("ThreadLimit of %d not allowed, increasing to 1", l.thread_limit));
        }
        l.thread_limit = 1;
    }
    if (first_thread_limit > 0 && l.thread_limit != first_thread_limit) {
        out.add(thread_limit_changed, false,
                strformat("changing ThreadLimit to %d from original value of %d not allowed during restart",
                          l.thread_limit, first_thread_limit));
        l.thread_limit = first_thread_limit;
    }

    if (l.threads_per_child > l.thread_limit) {
        if (startup) {
            out.add(tpc_high, true,
                    strformat("WARNING: ThreadsPerChild of %d exceeds ThreadLimit of %d threads, decreasing to %d. "
                              "To increase, please see the ThreadLimit directive.",
                              l.threads_per_child, l.thread_limit, l.thread_limit));
        } else {
            out.add(tpc_high_restart, false,
                    strformat("ThreadsPerChild of %d exceeds ThreadLimit of %d, decreasing to match",
                              l.threads_per_child, l.thread_limit));
        }
        l.threads_per_child = l.thread_limit;
    } else if (l.threads_per_child < 1) {
        if (startup) {
            out.add(tpc_low, true,
                    strformat("WARNING: ThreadsPerChild of %d not allowed, increasing to 1.", l.threads_per_child));
        } else {
            out.add(tpc_low_restart, false,
                    strformat("ThreadsPerChild of %d not allowed, increasing to 1", l.threads_per_child));
        }
        l.threads_per_child = 1;
    }

    if (l.max_workers < l.threads_per_child) {
        if (startup) {
            out.add(workers_low, true,
                    strformat("WARNING: MaxRequestWorkers of %d is less than ThreadsPerChild of %d, increasing to "
                              "%d. MaxRequestWorkers must be at least as large as the number of threads in a "
                              "single server.",
                              l.max_workers, l.threads_per_child, l.threads_per_child));
        } else {
            out.add(workers_low_restart, false,
                    strformat("MaxRequestWorkers of %d is less than ThreadsPerChild of %d, increasing to match",
                              l.max_workers, l.threads_per_child));
        }
        l.max_workers = l.threads_per_child;
    }

    l.daemons_limit = l.max_workers / l.threads_per_child;
    if (l.max_workers % l.threads_per_child) {
        int rounded = l.daemons_limit * l.threads_per_child;
        if (startup) {
            out.add(workers_multiple, true,
                    strformat("WARNING: MaxRequestWorkers of %d is not an integer multiple of ThreadsPerChild of "
                              "%d, decreasing to nearest multiple %d, for a maximum of %d servers.",
                              l.max_workers, l.threads_per_child, rounded, l.daemons_limit));
        } else {
            out.add(workers_multiple_restart, false,
                    strformat("MaxRequestWorkers of %d is not an integer multiple of ThreadsPerChild of %d, "
                              "decreasing to nearest multiple %d",
                              l.max_workers, l.threads_per_child, rounded));
        }
        l.max_workers = rounded;
    }

    if (l.daemons_limit > l.server_limit) {
        if (startup) {
            out.add(workers_server_limit, true,
                    strformat("WARNING: MaxRequestWorkers of %d would require %d servers and would exceed "
                              "ServerLimit of %d, decreasing to %d. To increase, please see the ServerLimit "
                              "directive.",
                              l.max_workers, l.daemons_limit, l.server_limit, l.server_limit * l.threads_per_child));
        } else {
            out.add(workers_server_limit_restart, false,
                    strformat("MaxRequestWorkers of %d would require %d servers and exceed ServerLimit of %d, "
                              "decreasing to %d",
                              l.max_workers, l.daemons_limit, l.server_limit, l.server_limit * l.threads_per_child));
        }
        l.daemons_limit = l.server_limit;
        // Stock leaves max_workers as it was here (only the daemon limit is cut): MAX_DAEMONS answers the
        // cut value, mod_status shows it. Keep that.
    }

    if (l.start_servers < 1) {
        if (startup) {
            out.add(start_low, true, strformat("WARNING: StartServers of %d not allowed, increasing to 1.", l.start_servers));
        } else {
            out.add(start_low_restart, false, strformat("StartServers of %d not allowed, increasing to 1", l.start_servers));
        }
        l.start_servers = 1;
    }

    if (l.min_spare_threads < 1) {
        if (startup) {
            out.add(min_spare_low, true,
                    strformat("WARNING: MinSpareThreads of %d not allowed, increasing to 1 to avoid almost certain "
                              "server failure. Please read the documentation.",
                              l.min_spare_threads));
        } else {
            out.add(min_spare_low_restart, false,
                    strformat("MinSpareThreads of %d not allowed, increasing to 1", l.min_spare_threads));
        }
        l.min_spare_threads = 1;
    }
    return l;
}

ThreadLimits threaded_bucket_floor(ThreadLimits in, int num_buckets)
{
    ThreadLimits l = in;
    if (num_buckets < 1) {
        num_buckets = 1;
    }
    if (l.daemons_limit < num_buckets) {
        l.daemons_limit = num_buckets;
    }
    if (l.start_servers < num_buckets) {
        l.start_servers = num_buckets;
    }
    // Enough spare threads to keep one child per bucket, and one bucket's worth of margin above it.
    int min_floor = l.threads_per_child * (num_buckets - 1) + num_buckets;
    if (l.min_spare_threads < min_floor) {
        l.min_spare_threads = min_floor;
    }
    int max_floor = l.min_spare_threads + (l.threads_per_child + 1) * num_buckets;
    if (l.max_spare_threads < max_floor) {
        l.max_spare_threads = max_floor;
    }
    // Never more children than scoreboard slots (stock can overrun the scoreboard here).
    if (l.daemons_limit > l.server_limit) {
        l.daemons_limit = l.server_limit;
    }
    return l;
}

}  // namespace mpmcxx::config
