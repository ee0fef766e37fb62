#pragma once
// Idle-thread maintenance for the threaded MPMs (worker, event), one listener bucket at a time, as a pure
// function of a scoreboard snapshot.
//
// Slot accounting (the fix for stock worker's "scoreboard is full, not at MaxRequestWorkers"): a slot is
// free only when no process holds it. A child that is exiting (told to stop, or of an older generation)
// keeps its slot until it is gone but no longer counts against MaxRequestWorkers, and new children go to
// free slots anywhere below ServerLimit. Stock worker instead looks only below MaxRequestWorkers /
// ThreadsPerChild and squats on exiting children's slots, where the new child cannot start its threads
// until the old ones finish; capacity then goes missing while ServerLimit still has room.
//
// Only when every slot holds a process does a new child share the slot of an exiting one, and then it
// takes the thread entries the exiting child no longer uses, up to ThreadLimit: with the default
// ThreadLimit 64 and ThreadsPerChild 25 a new child starts all its threads at once beside an old one that
// still has 25 busy. "Scoreboard is full" then means that no slot has a free thread entry either.

#include <vector>

#include "common/supervise/spawn_pacer.h"

namespace mpmcxx {

struct ThreadedSlot {
    bool process = false;  // a child holds the slot
    bool exiting = false;  // ... and is on its way out (quiescing, or an older generation)
    int idle_threads = 0;  // starting or ready threads (of a child that is not exiting)
    int busy_threads = 0;
    int free_entries = 0;  // thread entries (of ThreadLimit) no thread uses: room for a sharing child
};

struct ThreadedMaintenanceConfig {
    int min_spare_threads = 0;  // for this bucket (MinSpareThreads / buckets)
    int max_spare_threads = 0;  // for this bucket
    int max_children = 0;       // active children allowed in this bucket (MaxRequestWorkers / ThreadsPerChild share)
    int max_rate = SpawnPacer::kMaxRate;  // stock: MAX_SPAWN_RATE / buckets
    int min_share_entries = 1;            // a shared slot must offer at least this many free thread entries
};

enum class CapacityReport {
    none,
    reached_max_workers,      // every thread busy at MaxRequestWorkers (stock AH00286)
    near_max_workers,         // at MaxRequestWorkers, fewer idle threads than MinSpareThreads (AH00287)
    scoreboard_full,          // below MaxRequestWorkers but no free slot below ServerLimit (AH00288)
};

struct ThreadedMaintenance {
    std::vector<int> spawn_slots;
    std::vector<int> share_slots;  // exiting children's slots a new child moves into (no free slot left)
    bool kill_one = false;       // ask one child of the bucket to exit gracefully
    CapacityReport report = CapacityReport::none;
    bool report_busy = false;    // "server seems busy" (rate >= 8)
    int idle_threads = 0;
    int active_children = 0;
    int exiting_children = 0;
};

// `slots` maps slot number -> state for the slots of this bucket only (others: process = false and not
// listed in `bucket_slots`). `pacer` is the bucket's retained spawn pacer.
ThreadedMaintenance decide_threaded_maintenance(const std::vector<ThreadedSlot>& slots,
                                                const std::vector<int>& bucket_slots,
                                                const ThreadedMaintenanceConfig& cfg, SpawnPacer& pacer);

}  // namespace mpmcxx
