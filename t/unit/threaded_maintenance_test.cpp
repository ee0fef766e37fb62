#include <vector>

#include "common/supervise/threaded_maintenance.h"

#include <CppUTest/TestHarness.h>

using namespace mpmcxx;

namespace {
ThreadedSlot child(int idle, int busy, bool exiting = false) { return ThreadedSlot{true, exiting, idle, busy}; }
ThreadedSlot none() { return ThreadedSlot{}; }
std::vector<int> all(int n)
{
    std::vector<int> v;
    for (int i = 0; i < n; ++i) v.push_back(i);
    return v;
}
ThreadedMaintenanceConfig cfg(int min_spare, int max_spare, int max_children)
{
    ThreadedMaintenanceConfig c;
    c.min_spare_threads = min_spare;
    c.max_spare_threads = max_spare;
    c.max_children = max_children;
    return c;
}
}  // namespace

TEST_GROUP(ThreadedMaintenance){ SpawnPacer pacer{}; };

TEST(ThreadedMaintenance, EnoughIdleThreadsDoesNothing)
{
    std::vector<ThreadedSlot> s{child(20, 5), child(10, 15), none()};
    auto d = decide_threaded_maintenance(s, all(3), cfg(25, 75, 16), pacer);
    CHECK(d.spawn_slots.empty());
    CHECK_FALSE(d.kill_one);
    CHECK_EQUAL(30, d.idle_threads);
    CHECK_EQUAL(2, d.active_children);
}

TEST(ThreadedMaintenance, TooManyIdleKillsOne)
{
    std::vector<ThreadedSlot> s{child(25, 0), child(25, 0), child(25, 0), child(25, 0)};
    auto d = decide_threaded_maintenance(s, all(4), cfg(25, 75, 16), pacer);
    CHECK_TRUE(d.kill_one);
}

TEST(ThreadedMaintenance, DoesNotKillAnotherWhileOneIsExitingAndNoSlotIsFree)
{
    std::vector<ThreadedSlot> s{child(25, 0), child(25, 0), child(25, 0), child(25, 0), child(0, 1, true)};
    auto d = decide_threaded_maintenance(s, all(5), cfg(25, 75, 16), pacer);
    CHECK_FALSE(d.kill_one);
    s.push_back(none());
    d = decide_threaded_maintenance(s, all(6), cfg(25, 75, 16), pacer);
    CHECK_TRUE(d.kill_one);
}

TEST(ThreadedMaintenance, TooFewIdleSpawnsIntoFreeSlotsExponentially)
{
    std::vector<ThreadedSlot> s(16, none());
    s[0] = child(0, 25);
    auto d1 = decide_threaded_maintenance(s, all(16), cfg(25, 75, 16), pacer);
    CHECK_EQUAL(1u, d1.spawn_slots.size());
    CHECK_EQUAL(1, d1.spawn_slots[0]);
    auto d2 = decide_threaded_maintenance(s, all(16), cfg(25, 75, 16), pacer);
    CHECK_EQUAL(2u, d2.spawn_slots.size());
}

TEST(ThreadedMaintenance, ExitingChildrenDoNotBlockNewOnesWhileServerLimitHasRoom)
{
    // The stock worker failure: slots 0-3 held by exiting children (a graceful restart with long requests);
    // the new generation must get slots 4.. rather than squat.
    std::vector<ThreadedSlot> s{child(0, 3, true), child(0, 2, true), child(0, 1, true), child(0, 5, true),
                                none(), none(), none(), none()};
    pacer.rate = 4;
    auto d = decide_threaded_maintenance(s, all(8), cfg(25, 75, 4), pacer);
    CHECK(CapacityReport::none == d.report);
    CHECK_EQUAL(4u, d.spawn_slots.size());
    CHECK_EQUAL(4, d.spawn_slots[0]);
    CHECK_EQUAL(0, d.active_children);
    CHECK_EQUAL(4, d.exiting_children);
}

TEST(ThreadedMaintenance, NeverMoreActiveChildrenThanMaxRequestWorkersAllows)
{
    std::vector<ThreadedSlot> s{child(0, 25), child(0, 25), none(), none()};
    pacer.rate = 8;
    auto d = decide_threaded_maintenance(s, all(4), cfg(25, 75, 3), pacer);
    CHECK_EQUAL(1u, d.spawn_slots.size());
}

TEST(ThreadedMaintenance, AtMaxRequestWorkers)
{
    std::vector<ThreadedSlot> s{child(0, 25), child(0, 25), none()};
    auto d = decide_threaded_maintenance(s, all(3), cfg(25, 75, 2), pacer);
    CHECK(CapacityReport::reached_max_workers == d.report);
    CHECK(d.spawn_slots.empty());
    std::vector<ThreadedSlot> s2{child(3, 22), child(0, 25), none()};
    d = decide_threaded_maintenance(s2, all(3), cfg(25, 75, 2), pacer);
    CHECK(CapacityReport::near_max_workers == d.report);
}

TEST(ThreadedMaintenance, ScoreboardFullOnlyWhenNoSlotAndNoThreadEntryIsFree)
{
    std::vector<ThreadedSlot> s{child(0, 1, true), child(0, 1, true), child(0, 25)};
    auto d = decide_threaded_maintenance(s, all(3), cfg(25, 75, 16), pacer);
    CHECK(CapacityReport::scoreboard_full == d.report);
    CHECK(d.share_slots.empty());
}

TEST(ThreadedMaintenance, WithoutFreeSlotsANewChildSharesTheExitingSlotWithTheMostRoom)
{
    // ServerLimit == MaxRequestWorkers / ThreadsPerChild (no headroom) right after a graceful restart.
    std::vector<ThreadedSlot> s{child(0, 25, true), child(0, 3, true), child(0, 20, true)};
    s[0].free_entries = 39;  // ThreadLimit 64, 25 old threads still busy
    s[1].free_entries = 61;
    s[2].free_entries = 44;
    pacer.rate = 2;
    auto d = decide_threaded_maintenance(s, all(3), cfg(25, 75, 3), pacer);
    CHECK(CapacityReport::none == d.report);
    CHECK(d.spawn_slots.empty());
    CHECK_EQUAL(2u, d.share_slots.size());
    CHECK_EQUAL(1, d.share_slots[0]);
    CHECK_EQUAL(2, d.share_slots[1]);
}

TEST(ThreadedMaintenance, FreeSlotsArePreferredToSharing)
{
    std::vector<ThreadedSlot> s{child(0, 3, true), none()};
    s[0].free_entries = 61;
    auto d = decide_threaded_maintenance(s, all(2), cfg(25, 75, 2), pacer);
    CHECK(d.share_slots.empty());
    CHECK_EQUAL(1u, d.spawn_slots.size());
    CHECK_EQUAL(1, d.spawn_slots[0]);
}

TEST(ThreadedMaintenance, OnlyTheBucketsSlotsCount)
{
    // Bucket 1 of 2: slots 1 and 3 only.
    std::vector<ThreadedSlot> s{child(25, 0), none(), child(25, 0), child(0, 25)};
    auto d = decide_threaded_maintenance(s, std::vector<int>{1, 3}, cfg(10, 40, 8), pacer);
    CHECK_EQUAL(1u, d.spawn_slots.size());
    CHECK_EQUAL(1, d.spawn_slots[0]);
    CHECK_EQUAL(1, d.active_children);
}

TEST(ThreadedMaintenance, RateCapIsPerBucket)
{
    std::vector<ThreadedSlot> s(40, none());
    pacer.rate = 16;
    ThreadedMaintenanceConfig c = cfg(500, 900, 40);
    c.max_rate = 16;
    auto d = decide_threaded_maintenance(s, all(40), c, pacer);
    CHECK_EQUAL(16u, d.spawn_slots.size());
    CHECK_EQUAL(16, pacer.rate);
    CHECK_TRUE(d.report_busy);
}
