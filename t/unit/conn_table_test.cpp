#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "common/io/conn_table.h"

#include <CppUTest/TestHarness.h>

using namespace mpmcxx;

namespace {
struct Slot {
    std::atomic<std::uint64_t> tag{0};
    std::uint32_t index = 0;
    int value = 0;
};
using Table = ConnTable<Slot>;
}  // namespace

TEST_GROUP(ConnTable){ Table t; };

TEST(ConnTable, AcquireGivesOwnedSlotsAndReleaseRecyclesWithANewGeneration)
{
    Slot* a = t.acquire();
    CHECK(Table::state(*a) == SlotState::owned);
    std::uint64_t key = Table::event_key(*a);
    CHECK_EQUAL(a->index, Table::key_index(key));
    t.release(*a);
    CHECK(Table::state(*a) == SlotState::free);
    Slot* b = t.acquire();
    CHECK(a == b);  // reused
    CHECK(Table::key_generation(Table::event_key(*b)) != Table::key_generation(key));
    CHECK_EQUAL(1u, t.in_use());
    CHECK(t.find(b->index) == b);
    CHECK(t.find(1u << 30) == nullptr);
}

TEST(ConnTable, StaleEventsAreIgnored)
{
    Slot* a = t.acquire();
    std::uint64_t armed = Table::begin_arming(*a);
    std::uint64_t old_key = Table::event_key(*a);
    CHECK_TRUE(Table::finish_arming(*a, armed));
    CHECK_TRUE(Table::claim_by_event(*a, old_key));
    t.release(*a);
    Slot* b = t.acquire();  // same slot, new connection
    armed = Table::begin_arming(*b);
    CHECK_TRUE(Table::finish_arming(*b, armed));
    CHECK_FALSE(Table::claim_by_event(*b, old_key));  // the old connection's late event
    CHECK_TRUE(Table::claim_by_event(*b, Table::event_key(*b)));
}

TEST(ConnTable, EventWinsWhileArmingTimeoutDoesNot)
{
    Slot* a = t.acquire();
    std::uint64_t armed = Table::begin_arming(*a);
    std::uint64_t key = Table::event_key(*a);
    CHECK_FALSE(Table::claim_waiting(*a));     // the timeout thread leaves it alone
    CHECK_TRUE(Table::claim_by_event(*a, key));  // the readiness event may take it
    CHECK_FALSE(Table::finish_arming(*a, armed));  // the arming thread learns it lost it
    CHECK(Table::state(*a) == SlotState::owned);
}

// The race that let the timeout thread close a connection while it was being armed: the first arming
// thread is slow to finish, the event's thread has already armed the slot again.
TEST(ConnTable, ALateFinishCannotCompleteALaterArming)
{
    Slot* a = t.acquire();
    std::uint64_t first = Table::begin_arming(*a);
    CHECK_TRUE(Table::claim_by_event(*a, Table::event_key(*a)));  // the event takes it mid-arming
    std::uint64_t second = Table::begin_arming(*a);                // the new owner arms it again
    std::uint64_t key2 = Table::event_key(*a);
    CHECK_FALSE(Table::finish_arming(*a, first));                  // the first thread, late: no effect
    CHECK(Table::state(*a) == SlotState::arming);
    CHECK_FALSE(Table::claim_waiting(*a));                         // so the timeout thread keeps off
    CHECK_FALSE(Table::claim_by_event(*a, Table::event_key(*a) - 1));  // the first arming's events are stale
    CHECK_TRUE(Table::finish_arming(*a, second));
    CHECK_TRUE(Table::claim_by_event(*a, key2));
}

TEST(ConnTable, ExactlyOneClaimantWins)
{
    constexpr int kRounds = 20000;
    std::atomic<int> event_wins{0}, timeout_wins{0};
    Slot* a = t.acquire();
    for (int i = 0; i < kRounds; ++i) {
        std::uint64_t armed = Table::begin_arming(*a);
        CHECK_TRUE(Table::finish_arming(*a, armed));
        std::uint64_t key = Table::event_key(*a);
        std::atomic<int> wins{0};
        std::thread ev([&] {
            if (Table::claim_by_event(*a, key)) { ++wins; ++event_wins; }
        });
        std::thread to([&] {
            if (Table::claim_waiting(*a)) { ++wins; ++timeout_wins; }
        });
        ev.join();
        to.join();
        CHECK_EQUAL(1, wins.load());
    }
    CHECK_EQUAL(kRounds, event_wins.load() + timeout_wins.load());
}

TEST(ConnTable, ManyThreadsAcquireAndReleaseDistinctSlots)
{
    std::vector<std::thread> threads;
    std::atomic<int> collisions{0};
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            for (int j = 0; j < 2000; ++j) {
                Slot* s = t.acquire();
                if (++s->value != 1) ++collisions;
                --s->value;
                t.release(*s);
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK_EQUAL(0, collisions.load());
    CHECK_EQUAL(0u, t.in_use());
}
