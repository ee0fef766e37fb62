#pragma once
// prefork's idle-server maintenance decision, as a pure function of a scoreboard snapshot.

#include <vector>

#include "common/supervise/spawn_pacer.h"

namespace mpmcxx {

// What one prefork scoreboard slot holds, from the parent's point of view.
enum class SlotState : unsigned char {
    free,      // no process: may be spawned into
    starting,  // forked this or a recent pass, not ready yet: counted as idle (stock), so we don't over-fork
    idle,      // current generation, waiting for a connection
    busy,      // current generation, serving
    retiring,  // previous generation or told to exit: holds the slot, is no capacity
};

struct PreforkMaintenance {
    std::vector<int> spawn_slots;  // slots to fork into now
    bool kill_one_idle = false;    // ask one idle child to exit
    bool report_max_reached = false;  // log "server reached MaxRequestWorkers setting" (once per run)
    bool report_busy = false;         // log "server seems busy" (rate >= 8)
    int idle = 0;
    int total = 0;                 // non-free slots
    int high_water = 0;            // highest non-free slot + 1
    int rate_used = 0;             // spawn rate this pass (for the busy message)
};

// `slots` covers MaxRequestWorkers slots. `pacer` is updated in place (it is retained across passes).
PreforkMaintenance decide_prefork_maintenance(const std::vector<SlotState>& slots, int min_spare, int max_spare,
                                              SpawnPacer& pacer);

}  // namespace mpmcxx
