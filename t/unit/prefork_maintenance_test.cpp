#include <vector>

#include "common/supervise/prefork_maintenance.h"

#include <CppUTest/TestHarness.h>

using namespace mpmcxx;
using S = SlotState;

TEST_GROUP(PreforkMaintenance){ SpawnPacer pacer{}; };

TEST(PreforkMaintenance, BetweenSparesNothingHappensAndRateResets)
{
    pacer.rate = 8;
    std::vector<S> slots{S::idle, S::idle, S::idle, S::busy, S::free, S::free};
    auto d = decide_prefork_maintenance(slots, 2, 4, pacer);
    CHECK(d.spawn_slots.empty());
    CHECK_FALSE(d.kill_one_idle);
    CHECK_EQUAL(1, pacer.rate);
    CHECK_EQUAL(3, d.idle);
    CHECK_EQUAL(4, d.total);
    CHECK_EQUAL(4, d.high_water);
}

TEST(PreforkMaintenance, TooManyIdleKillsExactlyOne)
{
    std::vector<S> slots(6, S::idle);
    auto d = decide_prefork_maintenance(slots, 1, 4, pacer);
    CHECK_TRUE(d.kill_one_idle);
    CHECK(d.spawn_slots.empty());
}

TEST(PreforkMaintenance, TooFewIdleSpawnsExponentiallyIntoLowestFreeSlots)
{
    std::vector<S> slots(40, S::free);
    slots[0] = S::busy;
    slots[2] = S::busy;
    auto d1 = decide_prefork_maintenance(slots, 5, 10, pacer);
    CHECK_EQUAL(1u, d1.spawn_slots.size());
    CHECK_EQUAL(1, d1.spawn_slots[0]);
    CHECK_EQUAL(2, pacer.rate);
    auto d2 = decide_prefork_maintenance(slots, 5, 10, pacer);
    CHECK_EQUAL(2u, d2.spawn_slots.size());
    CHECK_EQUAL(1, d2.spawn_slots[0]);
    CHECK_EQUAL(3, d2.spawn_slots[1]);
    CHECK_EQUAL(4, pacer.rate);
    decide_prefork_maintenance(slots, 5, 10, pacer);
    auto d4 = decide_prefork_maintenance(slots, 5, 10, pacer);
    CHECK_EQUAL(8u, d4.spawn_slots.size());
    CHECK_TRUE(d4.report_busy);  // stock's "server seems busy" from rate 8 on
    CHECK_EQUAL(8, d4.rate_used);
}

TEST(PreforkMaintenance, RateIsCappedAt32)
{
    std::vector<S> slots(100, S::free);
    pacer.rate = 32;
    auto d = decide_prefork_maintenance(slots, 99, 100, pacer);
    CHECK_EQUAL(32u, d.spawn_slots.size());
    CHECK_EQUAL(32, pacer.rate);
}

TEST(PreforkMaintenance, HoldOffDelaysDoublingAfterGracefulRestart)
{
    std::vector<S> slots(10, S::free);
    pacer.hold_off = 2;
    decide_prefork_maintenance(slots, 5, 8, pacer);
    decide_prefork_maintenance(slots, 5, 8, pacer);
    CHECK_EQUAL(1, pacer.rate);
    CHECK_EQUAL(0, pacer.hold_off);
    decide_prefork_maintenance(slots, 5, 8, pacer);
    CHECK_EQUAL(2, pacer.rate);
}

TEST(PreforkMaintenance, MaxRequestWorkersReachedIsReportedOnce)
{
    std::vector<S> slots(3, S::busy);
    pacer.rate = 4;
    auto d1 = decide_prefork_maintenance(slots, 2, 4, pacer);
    CHECK_TRUE(d1.report_max_reached);
    CHECK_EQUAL(1, pacer.rate);
    auto d2 = decide_prefork_maintenance(slots, 2, 4, pacer);
    CHECK_FALSE(d2.report_max_reached);
    CHECK(d2.spawn_slots.empty());
}

TEST(PreforkMaintenance, StartingChildrenCountAsIdleSoWeDoNotOverFork)
{
    std::vector<S> slots{S::starting, S::starting, S::free, S::free};
    auto d = decide_prefork_maintenance(slots, 2, 4, pacer);
    CHECK(d.spawn_slots.empty());
}

TEST(PreforkMaintenance, RetiringChildrenHoldSlotsButAreNoCapacity)
{
    // Right after a graceful restart: old-generation children are not idle capacity.
    std::vector<S> slots{S::retiring, S::retiring, S::retiring, S::free, S::free};
    auto d = decide_prefork_maintenance(slots, 2, 4, pacer);
    CHECK_EQUAL(1u, d.spawn_slots.size());
    CHECK_EQUAL(3, d.spawn_slots[0]);
    CHECK_EQUAL(0, d.idle);
    CHECK_EQUAL(3, d.total);
}
