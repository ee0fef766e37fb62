#include <CppUTest/TestHarness.h>

#include <thread>
#include <vector>

#include "common/lifecycle/connection_budget.h"

using namespace mpmcxx;

TEST_GROUP(ConnectionBudget){};

TEST(ConnectionBudget, TheLastAcceptedConnectionEndsTheBudget)
{
    ConnectionBudget b(3);
    for (int i = 0; i < 2; ++i) {
        CHECK_TRUE(b.reserve());
        CHECK_FALSE(b.accepted());
    }
    CHECK_TRUE(b.reserve());
    CHECK_TRUE(b.exhausted());
    CHECK_FALSE(b.reserve());
    CHECK_TRUE(b.accepted());
}

// The interleaving that made event_cxx stop after 2 connections: a thread holds a reservation for an
// accept() that will fail while its siblings accept the connections.
TEST(ConnectionBudget, AReservationGivenBackLateDoesNotEndTheBudgetEarly)
{
    ConnectionBudget b(3);
    CHECK_TRUE(b.reserve());   // A: its accept() will find nothing
    CHECK_TRUE(b.reserve());   // B
    CHECK_FALSE(b.accepted()); // B: 1st connection
    CHECK_TRUE(b.reserve());   // C
    CHECK_FALSE(b.accepted()); // C: 2nd connection, not the last
    CHECK_TRUE(b.exhausted()); // nothing to reserve while A holds the last one
    CHECK_FALSE(b.reserve());
    b.give_back();             // A: EAGAIN
    CHECK_FALSE(b.exhausted());
    CHECK_TRUE(b.reserve());
    CHECK_TRUE(b.accepted());  // 3rd: the last
}

TEST(ConnectionBudget, UnlimitedNeverEnds)
{
    ConnectionBudget b(0);
    for (int i = 0; i < 1000; ++i) {
        CHECK_TRUE(b.reserve());
        CHECK_FALSE(b.accepted());
    }
    CHECK_FALSE(b.exhausted());
    ConnectionBudget negative(-1);
    CHECK_TRUE(negative.unlimited());
}

TEST(ConnectionBudget, ConcurrentThreadsTakeExactlyTheLimitAndOneSeesTheEnd)
{
    ConnectionBudget b(1000);
    std::atomic<int> taken{0};
    std::atomic<int> last{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                if (!b.reserve()) {
                    continue;
                }
                if ((i + t) % 3 == 0) {
                    b.give_back();  // accept() found nothing
                    continue;
                }
                taken.fetch_add(1);
                if (b.accepted()) {
                    last.fetch_add(1);
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    CHECK_EQUAL(1000, taken.load());
    CHECK_EQUAL(1, last.load());
}
