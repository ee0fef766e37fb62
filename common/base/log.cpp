#include "common/base/httpd.h"

namespace mpmcxx {
namespace {
// Trivial (constant-initialized) state only: the .so is unloaded and reloaded on every restart.
constinit const module* g_log_module = nullptr;
}  // namespace

void set_log_module(const module* m) noexcept { g_log_module = m; }

int log_module_index() noexcept { return g_log_module ? g_log_module->module_index : APLOG_NO_MODULE; }
}  // namespace mpmcxx
