#include <CppUTest/TestHarness.h>

#include "common/lifecycle/keepalive_cap.h"

using namespace mpmcxx;
using namespace std::chrono_literals;

TEST_GROUP(KeepAliveCap){KeepAliveCap::Clock::time_point t0{};};

TEST(KeepAliveCap, OverdueOnlyAfterTheCapOfOneUnbrokenWait)
{
    KeepAliveCap cap(2, 2s);
    CHECK_FALSE(cap.overdue(0, true, 5, t0));          // first seen waiting
    CHECK_FALSE(cap.overdue(0, true, 5, t0 + 1900ms));
    CHECK_TRUE(cap.overdue(0, true, 5, t0 + 2s));
}

TEST(KeepAliveCap, ANewRequestOrWorkRestartsTheClock)
{
    KeepAliveCap cap(1, 2s);
    CHECK_FALSE(cap.overdue(0, true, 5, t0));
    // served another request meanwhile: a new wait began (it may have just said "keep-alive")
    CHECK_FALSE(cap.overdue(0, true, 6, t0 + 3s));
    CHECK_FALSE(cap.overdue(0, true, 6, t0 + 4s));
    CHECK_TRUE(cap.overdue(0, true, 6, t0 + 5s));
    // busy (not waiting) in between: starts over too
    CHECK_FALSE(cap.overdue(0, false, 6, t0 + 6s));
    CHECK_FALSE(cap.overdue(0, true, 6, t0 + 7s));
    CHECK_FALSE(cap.overdue(0, true, 6, t0 + 8s));
    CHECK_TRUE(cap.overdue(0, true, 6, t0 + 9s));
}

TEST(KeepAliveCap, WorkersOutOfRangeAreNeverOverdue)
{
    KeepAliveCap cap(1, 2s);
    CHECK_FALSE(cap.overdue(-1, true, 1, t0 + 10s));
    CHECK_FALSE(cap.overdue(1, true, 1, t0 + 10s));
}
