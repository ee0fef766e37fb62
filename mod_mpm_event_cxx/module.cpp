// The module struct and directive table of mod_mpm_event_cxx, nothing else.
//
// Identity (README, "Identity"): LoadModule symbol mpm_event_cxx_module, file mod_mpm_event_cxx.so, MPM
// name "event_cxx", module name "event.c" so that <IfModule event.c> applies and mod_http2 treats it as
// event (its asynchronous path).

#include <string>

#include "common/base/c_boundary.h"
#include "common/config/async_factor.h"
#include "common/config/directives.h"
#include "mod_mpm_event_cxx/event.h"

namespace mpmcxx::event {
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

const char* set_async_factor(cmd_parms* cmd, void* /*dummy*/, const char* arg) noexcept
{
    return c_boundary("AsyncRequestWorkerFactor", static_cast<const char*>("AsyncRequestWorkerFactor: internal error"),
                      [&]() -> const char* {
                          if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) {
                              return err;
                          }
                          auto v = config::parse_async_factor(arg);
                          if (!v) {
                              return apr_pstrdup(cmd->pool, config::async_factor_error(arg).c_str());
                          }
                          g.async_factor = *v;
                          return nullptr;
                      });
}
}  // namespace

const command_rec commands[] = {
    LISTEN_COMMANDS,
    MPMCXX_INT_DIRECTIVE("StartServers", start_servers, "Number of child processes launched at server startup"),
    MPMCXX_INT_DIRECTIVE("ServerLimit", server_limit, "Maximum number of child processes for this run of Apache"),
    MPMCXX_INT_DIRECTIVE("MinSpareThreads", min_spare, "Minimum number of idle threads, to handle request spikes"),
    MPMCXX_INT_DIRECTIVE("MaxSpareThreads", max_spare, "Maximum number of idle threads"),
    MPMCXX_INT_DIRECTIVE("MaxClients", max_clients, "Deprecated name of MaxRequestWorkers"),
    MPMCXX_INT_DIRECTIVE("MaxRequestWorkers", max_workers, "Maximum number of threads alive at the same time"),
    MPMCXX_INT_DIRECTIVE("ThreadsPerChild", threads_per_child, "Number of threads each child creates"),
    MPMCXX_INT_DIRECTIVE("ThreadLimit", thread_limit,
                         "Maximum number of worker threads per child process for this run of Apache - Upper limit "
                         "for ThreadsPerChild"),
    AP_INIT_TAKE1("AsyncRequestWorkerFactor", set_async_factor, nullptr, RSRC_CONF,
                  "How many additional connects will be accepted per idle worker thread"),
    MPMCXX_INT_DIRECTIVE("GracefulShutdownTimeout", graceful_timeout,
                         "Maximum time in seconds to wait for child processes to complete transactions during shutdown"),
    {nullptr},
};

}  // namespace mpmcxx::event

extern "C" {
__attribute__((visibility("default"))) module mpm_event_cxx_module = {
    MODULE_MAGIC_NUMBER_MAJOR,
    MODULE_MAGIC_NUMBER_MINOR,
    -1,
    "event.c",
    nullptr,
    nullptr,
    MODULE_MAGIC_COOKIE,
    nullptr,  // rewrite_args: never called for a DSO
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    mpmcxx::event::commands,
    mpmcxx::event::register_hooks,
    AP_MODULE_FLAG_NONE,
};
}
