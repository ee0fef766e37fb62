#pragma once
// Typed access to httpd's shared scoreboard (created by the core's pre_mpm hook, inherited by children).
// Ownership rules: the parent writes process slots (pid, generation, quiescing) and marks dead children;
// a child writes only its own worker slots; modules update status through the connection's sb handle.

#include <sys/types.h>

#include "common/base/httpd.h"

namespace mpmcxx::sb {

inline process_score& process(int slot) noexcept { return ap_scoreboard_image->parent[slot]; }
inline worker_score& worker(int slot, int thread) noexcept { return ap_scoreboard_image->servers[slot][thread]; }
inline global_score& global() noexcept { return *ap_scoreboard_image->global; }

inline int server_limit() noexcept { return global().server_limit; }
inline int thread_limit() noexcept { return global().thread_limit; }

// The slot whose process has `pid`, scanning the first `scan` slots (clipped to ServerLimit); -1 if none.
int find_slot(pid_t pid, int scan) noexcept;

// Status of one worker, as the parent or its own child sets it (extended status stays the core's).
void set_status(int slot, int thread, int status) noexcept;

}  // namespace mpmcxx::sb
