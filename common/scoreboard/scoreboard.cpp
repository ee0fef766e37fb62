#include "common/scoreboard/scoreboard.h"

namespace mpmcxx::sb {

int find_slot(pid_t pid, int scan) noexcept
{
    if (pid <= 0 || ap_scoreboard_image == nullptr) {
        return -1;
    }
    int limit = scan < server_limit() ? scan : server_limit();
    for (int i = 0; i < limit; ++i) {
        if (process(i).pid == pid) {
            return i;
        }
    }
    return -1;
}

void set_status(int slot, int thread, int status) noexcept
{
    ap_update_child_status_from_indexes(slot, thread, status, nullptr);
}

}  // namespace mpmcxx::sb
