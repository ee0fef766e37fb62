#include "common/threads/thread_entries.h"

#include <unistd.h>

#include "common/scoreboard/scoreboard.h"

namespace mpmcxx {

ThreadEntries::ThreadEntries(int slot, int workers)
    : slot_(slot), pid_(::getpid()), entries_(static_cast<std::size_t>(workers), -1)
{
}

std::vector<int> ThreadEntries::claim()
{
    std::vector<int> started;
    if (complete()) {
        return started;
    }
    std::vector<bool> mine(static_cast<std::size_t>(sb::thread_limit()), false);
    for (int e : entries_) {
        if (e >= 0) {
            mine[static_cast<std::size_t>(e)] = true;
        }
    }
    std::size_t next_worker = 0;
    for (int e = 0; e < sb::thread_limit() && !complete(); ++e) {
        if (mine[static_cast<std::size_t>(e)]) {
            continue;
        }
        worker_score& ws = sb::worker(slot_, e);
        int st = ws.status;
        if (st != SERVER_DEAD && st != SERVER_GRACEFUL && st != SERVER_IDLE_KILL) {
            continue;  // an exiting child's thread still uses it
        }
        while (entries_[next_worker] >= 0) {
            ++next_worker;
        }
        entries_[next_worker] = e;
        ++assigned_;
        // Ours from now on: the parent counts an entry for the child whose pid it carries.
        ws.pid = pid_;
        sb::set_status(slot_, e, SERVER_STARTING);
        started.push_back(static_cast<int>(next_worker));
    }
    return started;
}

}  // namespace mpmcxx
