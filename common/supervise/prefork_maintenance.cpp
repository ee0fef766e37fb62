#include "common/supervise/prefork_maintenance.h"

namespace mpmcxx {

PreforkMaintenance decide_prefork_maintenance(const std::vector<SlotState>& slots, int min_spare, int max_spare,
                                              SpawnPacer& pacer)
{
    pacer.init();
    PreforkMaintenance d;
    std::vector<int> free_slots;
    for (int i = 0; i < static_cast<int>(slots.size()); ++i) {
        SlotState s = slots[static_cast<std::size_t>(i)];
        if (s == SlotState::free) {
            // Lowest slots first keeps the scoreboard scan short.
            if (static_cast<int>(free_slots.size()) < pacer.rate) {
                free_slots.push_back(i);
            }
            continue;
        }
        ++d.total;
        d.high_water = i + 1;
        if (s == SlotState::idle || s == SlotState::starting) {
            ++d.idle;
        }
    }

    if (d.idle > max_spare) {
        // One per pass: the child picks itself when idle, so a request caught meanwhile is never lost.
        d.kill_one_idle = true;
        pacer.reset();
    } else if (d.idle < min_spare) {
        if (free_slots.empty()) {
            if (!pacer.max_reported) {
                d.report_max_reached = true;
                pacer.max_reported = true;
            }
            pacer.reset();
        } else {
            d.rate_used = pacer.rate;
            d.report_busy = pacer.rate >= 8;
            d.spawn_slots = std::move(free_slots);
            pacer.after_spawn();
        }
    } else {
        pacer.reset();
    }
    return d;
}

}  // namespace mpmcxx
