#include "common/supervise/threaded_maintenance.h"

#include <algorithm>

namespace mpmcxx {

ThreadedMaintenance decide_threaded_maintenance(const std::vector<ThreadedSlot>& slots,
                                                const std::vector<int>& bucket_slots,
                                                const ThreadedMaintenanceConfig& cfg, SpawnPacer& pacer)
{
    pacer.init();
    ThreadedMaintenance d;
    std::vector<int> free_slots;
    for (int slot : bucket_slots) {
        const ThreadedSlot& s = slots[static_cast<std::size_t>(slot)];
        if (!s.process) {
            free_slots.push_back(slot);
            continue;
        }
        if (s.exiting) {
            ++d.exiting_children;
            continue;
        }
        ++d.active_children;
        d.idle_threads += s.idle_threads;
    }

    if (d.idle_threads > cfg.max_spare_threads) {
        // One child per pass, and not while another one is still on its way out unless there is room:
        // its slot is not free until it is gone.
        if (d.exiting_children == 0 || !free_slots.empty()) {
            d.kill_one = true;
        }
        pacer.reset();
        return d;
    }
    if (d.idle_threads >= cfg.min_spare_threads) {
        pacer.reset();
        return d;
    }

    // Too few idle threads.
    int room = cfg.max_children - d.active_children;
    if (room <= 0) {
        d.report = d.idle_threads == 0 ? CapacityReport::reached_max_workers : CapacityReport::near_max_workers;
        pacer.reset();
        return d;
    }
    int n = pacer.rate;
    if (n > room) {
        n = room;
    }
    if (free_slots.empty()) {
        // Last resort: share an exiting child's slot, the one with the most free thread entries first.
        std::vector<int> candidates;
        for (int slot : bucket_slots) {
            const ThreadedSlot& s = slots[static_cast<std::size_t>(slot)];
            if (s.process && s.exiting && s.free_entries >= cfg.min_share_entries) {
                candidates.push_back(slot);
            }
        }
        if (candidates.empty()) {
            d.report = CapacityReport::scoreboard_full;
            pacer.reset();
            return d;
        }
        std::stable_sort(candidates.begin(), candidates.end(), [&](int a, int b) {
            return slots[static_cast<std::size_t>(a)].free_entries > slots[static_cast<std::size_t>(b)].free_entries;
        });
        if (n > static_cast<int>(candidates.size())) {
            n = static_cast<int>(candidates.size());
        }
        d.share_slots.assign(candidates.begin(), candidates.begin() + n);
        pacer.after_spawn(cfg.max_rate < 1 ? 1 : cfg.max_rate);
        return d;
    }
    if (n > static_cast<int>(free_slots.size())) {
        n = static_cast<int>(free_slots.size());
    }
    d.report_busy = pacer.rate >= 8;
    d.spawn_slots.assign(free_slots.begin(), free_slots.begin() + n);
    pacer.after_spawn(cfg.max_rate < 1 ? 1 : cfg.max_rate);
    return d;
}

}  // namespace mpmcxx
