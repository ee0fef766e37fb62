#include "common/config/directives.h"

#include <string>

#include "common/base/c_boundary.h"
#include "common/base/log_ids.h"
#include "common/config/parse_int.h"

namespace mpmcxx::config {

const char* set_int_directive(cmd_parms* cmd, void* /*dummy*/, const char* arg) noexcept
{
    return c_boundary("directive handler", static_cast<const char*>("MPM directive: internal error"), [&]() -> const char* {
        if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) {
            return err;
        }
        const auto* spec = static_cast<const IntDirective*>(cmd->info);
        const char* name = cmd->cmd->name;
        IntParse parsed = parse_int(arg);
        if (parsed.error == IntError::none && spec->non_negative && parsed.value < 0) {
            return apr_psprintf(cmd->pool, "%s: '%s' must not be negative", name, arg);
        }
        if (parsed.error != IntError::none) {
            std::string msg = int_error_message(name, arg, parsed.error);
            return apr_pstrdup(cmd->pool, msg.c_str());
        }
        if (spec->deprecated_for != nullptr) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, nullptr, "CXX%05d: %s is deprecated, use %s instead.",
                         spec->deprecated_log_id, name, spec->deprecated_for);
        }
        *spec->target = parsed.value;
        return nullptr;
    });
}

}  // namespace mpmcxx::config
