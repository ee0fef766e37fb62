#include "common/base/c_boundary.h"

#include "common/base/httpd.h"
#include "common/base/log_ids.h"

namespace mpmcxx {

void report_boundary_exception(const char* where, const char* what) noexcept
{
    // ap_log_error does not throw; a failure to log is not worth more than this.
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, ap_server_conf, CXXLOGNO(90001) "%s: exception: %s", where,
                 what ? what : "(null)");
}

}  // namespace mpmcxx
