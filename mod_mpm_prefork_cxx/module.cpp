// The module struct and directive table of mod_mpm_prefork_cxx, nothing else.
//
// Identity (see README, "Identity"): LoadModule symbol mpm_prefork_cxx_module, file mod_mpm_prefork_cxx.so,
// MPM name "prefork_cxx" (apache2 -V, mod_status), module name "prefork.c" so that everything keyed on the
// module name treats it as prefork: <IfModule prefork.c> blocks apply, and mod_http2 switches h2 off as it
// does on stock prefork (it protects non-thread-safe modules such as mod_php).

#include "mod_mpm_prefork_cxx/prefork.h"

#include "common/config/directives.h"

namespace mpmcxx::prefork {
namespace {
constinit config::IntDirective start_servers{&g.limits.start_servers};
constinit config::IntDirective min_spare{&g.limits.min_spare};
constinit config::IntDirective max_spare{&g.limits.max_spare};
constinit config::IntDirective max_workers{&g.limits.max_workers};
constinit config::IntDirective max_clients{&g.limits.max_workers, false, "MaxRequestWorkers", 188};
constinit config::IntDirective server_limit{&g.limits.server_limit};
constinit config::IntDirective graceful_timeout{&ap_graceful_shutdown_timeout, true};
}  // namespace

const command_rec commands[] = {
    LISTEN_COMMANDS,
    MPMCXX_INT_DIRECTIVE("StartServers", start_servers, "Number of child processes launched at server startup"),
    MPMCXX_INT_DIRECTIVE("MinSpareServers", min_spare, "Minimum number of idle children, to handle request spikes"),
    MPMCXX_INT_DIRECTIVE("MaxSpareServers", max_spare, "Maximum number of idle children"),
    MPMCXX_INT_DIRECTIVE("MaxClients", max_clients, "Deprecated name of MaxRequestWorkers"),
    MPMCXX_INT_DIRECTIVE("MaxRequestWorkers", max_workers, "Maximum number of children alive at the same time"),
    MPMCXX_INT_DIRECTIVE("ServerLimit", server_limit, "Maximum value of MaxRequestWorkers for this run of Apache"),
    MPMCXX_INT_DIRECTIVE("GracefulShutdownTimeout", graceful_timeout,
                         "Maximum time in seconds to wait for child processes to complete transactions during shutdown"),
    {nullptr},
};

}  // namespace mpmcxx::prefork

extern "C" {
__attribute__((visibility("default"))) module mpm_prefork_cxx_module = {
    MODULE_MAGIC_NUMBER_MAJOR,
    MODULE_MAGIC_NUMBER_MINOR,
    -1,
    "prefork.c",
    nullptr,
    nullptr,
    MODULE_MAGIC_COOKIE,
    nullptr,  // rewrite_args: never called for a DSO
    nullptr,  // per-directory config
    nullptr,
    nullptr,  // per-server config
    nullptr,
    mpmcxx::prefork::commands,
    mpmcxx::prefork::register_hooks,
    AP_MODULE_FLAG_NONE,
};
}
