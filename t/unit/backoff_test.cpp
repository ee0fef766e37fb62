#include <chrono>

#include "common/supervise/backoff.h"
#include "common/supervise/drain_deadline.h"
#include "common/supervise/spawn_pacer.h"

#include <CppUTest/TestHarness.h>

using namespace mpmcxx;
using namespace std::chrono_literals;

TEST_GROUP(Backoff){ Backoff::Clock::time_point t0{}; };

TEST(Backoff, DoublesUpToMaxAndResetsOnSuccess)
{
    Backoff b(100ms, 1s);
    CHECK_TRUE(b.ready(t0));
    b.failed(t0);
    CHECK_FALSE(b.ready(t0 + 99ms));
    CHECK_TRUE(b.ready(t0 + 100ms));
    b.failed(t0);
    CHECK(b.delay() == 200ms);
    for (int i = 0; i < 10; ++i) b.failed(t0);
    CHECK(b.delay() == 1s);
    CHECK(b.remaining(t0 + 400ms) == 600ms);
    CHECK_EQUAL(12, b.failures());
    b.succeeded();
    CHECK_TRUE(b.ready(t0));
    CHECK_EQUAL(0, b.failures());
    b.failed(t0);
    CHECK(b.delay() == 100ms);
}

TEST_GROUP(DrainDeadline){ DrainDeadline::Clock::time_point t0{}; };

TEST(DrainDeadline, ZeroMeansNoLimit)
{
    DrainDeadline d(t0, 0);
    CHECK_FALSE(d.expired(t0 + 1000h));
    CHECK(d.next_wait(t0, 100ms) == 100ms);
}

TEST(DrainDeadline, ExpiresAndNeverSleepsPastIt)
{
    DrainDeadline d(t0, 2);
    CHECK_FALSE(d.expired(t0 + 1999ms));
    CHECK_TRUE(d.expired(t0 + 2s));
    CHECK(d.next_wait(t0 + 1950ms, 100ms) == 50ms);
    CHECK(d.next_wait(t0 + 3s, 100ms) == 0ms);
}

TEST_GROUP(SpawnPacer){};

TEST(SpawnPacer, ZeroFilledRetainedDataStartsAtRateOne)
{
    SpawnPacer p{};
    p.init();
    CHECK_EQUAL(1, p.rate);
    p.after_spawn(4);
    p.after_spawn(4);
    p.after_spawn(4);
    CHECK_EQUAL(4, p.rate);
}

#include "common/supervise/reclaim_schedule.h"

TEST_GROUP(ReclaimSchedule){ ReclaimSchedule::Clock::time_point t0{}; };

TEST(ReclaimSchedule, StockEscalationOrder)
{
    ReclaimSchedule r(t0, true);
    CHECK(r.due(t0) == ReclaimAction::sigterm_quiet);
    CHECK(r.due(t0 + 2999ms) == ReclaimAction::none);
    CHECK(r.due(t0 + 3s) == ReclaimAction::sigterm);
    CHECK(r.due(t0 + 5s) == ReclaimAction::sigterm);
    CHECK(r.due(t0 + 7s) == ReclaimAction::sigterm);
    CHECK(r.due(t0 + 9s) == ReclaimAction::sigkill);
    CHECK(r.due(t0 + 9500ms) == ReclaimAction::none);
    CHECK(r.due(t0 + 10s) == ReclaimAction::give_up);
    CHECK(r.due(t0 + 20s) == ReclaimAction::none);
}

TEST(ReclaimSchedule, WithoutTerminateTheFirstSignalWaitsThreeSeconds)
{
    ReclaimSchedule r(t0, false);
    CHECK(r.due(t0) == ReclaimAction::none);
    CHECK(r.due(t0 + 3s) == ReclaimAction::sigterm);
}

TEST(ReclaimSchedule, OneActionPerCallEvenWhenLate)
{
    ReclaimSchedule r(t0, true);
    CHECK(r.due(t0 + 20s) == ReclaimAction::sigterm_quiet);
    CHECK(r.due(t0 + 20s) == ReclaimAction::sigterm);
}

TEST(ReclaimSchedule, PollsFinelyThenAtMostEvery100ms)
{
    ReclaimSchedule r(t0, true);
    CHECK(r.next_poll() == 10ms);
    CHECK(r.next_poll() == 20ms);
    CHECK(r.next_poll() == 40ms);
    CHECK(r.next_poll() == 80ms);
    CHECK(r.next_poll() == 100ms);
    CHECK(r.next_poll() == 100ms);
}
