#pragma once
// The exponential spawn rate of idle-server maintenance: when too few servers are idle, spawn `rate`
// this pass and double it for the next (up to a cap) while the shortage lasts; drop to 1 as soon as a
// pass finds enough. After a graceful restart doubling is held off for a few passes so the exits of the
// old generation do not look like a load spike.
//
// Lives in retained data (survives DSO reloads), hence a plain aggregate.

namespace mpmcxx {

struct SpawnPacer {
    int rate;                // children to spawn on the next short pass (>= 1 once initialised)
    int hold_off;            // passes left before doubling may resume
    bool max_reported;       // "reached MaxRequestWorkers" logged already (stock logs it once per run)

    static constexpr int kMaxRate = 32;  // stock MAX_SPAWN_RATE

    void init() noexcept
    {
        if (rate < 1) {
            rate = 1;
        }
    }
    void reset() noexcept { rate = 1; }
    void after_spawn(int cap = kMaxRate) noexcept
    {
        if (hold_off > 0) {
            --hold_off;
        } else if (rate < cap) {
            rate = rate * 2 > cap ? cap : rate * 2;
        }
    }
};

}  // namespace mpmcxx
