// The module struct and directive table of mod_mpm_worker_cxx, nothing else.
//
// Identity (README, "Identity"): LoadModule symbol mpm_worker_cxx_module, file mod_mpm_worker_cxx.so, MPM
// name "worker_cxx", module name "worker.c" so that <IfModule worker.c> applies and mod_http2 treats it as
// worker.

#include "common/config/directives.h"
#include "mod_mpm_worker_cxx/worker.h"

namespace mpmcxx::worker {
namespace {
constinit config::IntDirective start_servers{&g.limits.start_servers};
constinit config::IntDirective min_spare{&g.limits.min_spare_threads};
constinit config::IntDirective max_spare{&g.limits.max_spare_threads};
constinit config::IntDirective max_workers{&g.limits.max_workers};
constinit config::IntDirective max_clients{&g.limits.max_workers, false, "MaxRequestWorkers", 188};
constinit config::IntDirective threads_per_child{&g.limits.threads_per_child};
constinit config::IntDirective server_limit{&g.limits.server_limit};
constinit config::IntDirective thread_limit{&g.limits.thread_limit};
constinit config::IntDirective graceful_timeout{&ap_graceful_shutdown_timeout, true};
}  // namespace

const command_rec commands[] = {
    LISTEN_COMMANDS,
    MPMCXX_INT_DIRECTIVE("StartServers", start_servers, "Number of child processes launched at server startup"),
    MPMCXX_INT_DIRECTIVE("MinSpareThreads", min_spare, "Minimum number of idle threads, to handle request spikes"),
    MPMCXX_INT_DIRECTIVE("MaxSpareThreads", max_spare, "Maximum number of idle threads"),
    MPMCXX_INT_DIRECTIVE("MaxRequestWorkers", max_workers, "Maximum number of threads alive at the same time"),
    MPMCXX_INT_DIRECTIVE("MaxClients", max_clients, "Deprecated name of MaxRequestWorkers"),
    MPMCXX_INT_DIRECTIVE("ThreadsPerChild", threads_per_child, "Number of threads each child creates"),
    MPMCXX_INT_DIRECTIVE("ServerLimit", server_limit, "Maximum number of child processes for this run of Apache"),
    MPMCXX_INT_DIRECTIVE("ThreadLimit", thread_limit,
                         "Maximum number of worker threads per child process for this run of Apache - Upper limit "
                         "for ThreadsPerChild"),
    MPMCXX_INT_DIRECTIVE("GracefulShutdownTimeout", graceful_timeout,
                         "Maximum time in seconds to wait for child processes to complete transactions during shutdown"),
    {nullptr},
};

}  // namespace mpmcxx::worker

extern "C" {
__attribute__((visibility("default"))) module mpm_worker_cxx_module = {
    MODULE_MAGIC_NUMBER_MAJOR,
    MODULE_MAGIC_NUMBER_MINOR,
    -1,
    "worker.c",
    nullptr,
    nullptr,
    MODULE_MAGIC_COOKIE,
    nullptr,  // rewrite_args: never called for a DSO
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    mpmcxx::worker::commands,
    mpmcxx::worker::register_hooks,
    AP_MODULE_FLAG_NONE,
};
}
