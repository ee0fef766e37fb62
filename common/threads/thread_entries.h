#pragma once
// Which scoreboard thread entries of its slot a threaded child's workers use. Normally entries
// 0..ThreadsPerChild-1, all free. In a slot the child shares with an exiting child (see
// threaded_maintenance.h), the exiting child's busy threads keep theirs, and the new child takes free
// entries anywhere below ThreadLimit, starting the remaining workers as more entries come free.

#include <sys/types.h>

#include <vector>

namespace mpmcxx {

class ThreadEntries {
public:
    ThreadEntries(int slot, int workers);

    // Assigns free entries (lowest first) to workers that have none yet, stamping them with this process's
    // pid and SERVER_STARTING; returns the workers that got one. Main thread only.
    std::vector<int> claim();

    int entry(int worker) const noexcept { return entries_[static_cast<std::size_t>(worker)]; }
    bool complete() const noexcept { return assigned_ == static_cast<int>(entries_.size()); }

private:
    int slot_;
    pid_t pid_;
    std::vector<int> entries_;  // worker -> entry, -1 while none
    int assigned_ = 0;
};

}  // namespace mpmcxx
