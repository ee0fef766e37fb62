#include <CppUTest/TestHarness.h>

#include "common/supervise/kill_respawn.h"

using namespace mpmcxx;
using A = KillRespawn::Action;

TEST_GROUP(KillRespawn){};

TEST(KillRespawn, ThreeKillsAreReplacedAtOnceThenTheyWaitForThePass)
{
    KillRespawn k;
    CHECK(k.child_killed() == A::replace_now);
    CHECK(k.child_killed() == A::replace_now);
    CHECK(k.child_killed() == A::replace_now);
    CHECK(k.child_killed() == A::wait_and_report);  // the first one held back is reported
    for (int i = 0; i < 9; ++i) {
        CHECK(k.child_killed() == A::wait_for_pass);
    }
    CHECK(k.child_killed() == A::wait_and_report);  // and every 10th after it
}

TEST(KillRespawn, AMaintenancePassStartsOver)
{
    KillRespawn k;
    for (int i = 0; i < 5; ++i) {
        k.child_killed();
    }
    k.maintenance_pass();
    CHECK_EQUAL(0, k.successive());
    CHECK(k.child_killed() == A::replace_now);
}
