#pragma once
// The one include for httpd-facing code: httpd and APR headers in the order they need (several are not
// self-contained), and log-module plumbing that works from the shared library.

#include <apr.h>
#include <apr_pools.h>
#include <apr_portable.h>
#include <apr_signal.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include <httpd.h>
#include <http_config.h>
#include <http_connection.h>
#include <http_core.h>
#include <http_log.h>
#include <http_main.h>
#include <http_protocol.h>
#include <ap_listen.h>
#include <ap_mmn.h>
#include <ap_mpm.h>
#include <mpm_common.h>
#include <scoreboard.h>
#include <unixd.h>
#include <util_mutex.h>
#include <http_vhost.h>

namespace mpmcxx {
// common/ is linked into each MPM, so it cannot name a module struct at compile time; each MPM registers
// its own at hook registration, and every log line from common/ carries that module's index (per-module
// LogLevel such as "LogLevel mpm_prefork_cxx:debug" then works for the whole MPM).
void set_log_module(const module* m) noexcept;
int log_module_index() noexcept;
}  // namespace mpmcxx

#undef APLOG_MODULE_INDEX
#define APLOG_MODULE_INDEX (::mpmcxx::log_module_index())
