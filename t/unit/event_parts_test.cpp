#include <chrono>
#include <string>
#include <vector>

#include "common/config/async_factor.h"
#include "common/io/timeout_queue.h"
#include "common/io/timer_heap.h"

#include <CppUTest/TestHarness.h>

using namespace mpmcxx;
using namespace std::chrono_literals;

TEST_GROUP(AsyncFactor){};

TEST(AsyncFactor, ParsesPositiveDecimalsAndFloorsAtOne)
{
    DOUBLES_EQUAL(2.0, *config::parse_async_factor("2"), 1e-9);
    DOUBLES_EQUAL(1.5, *config::parse_async_factor("1.5"), 1e-9);
    DOUBLES_EQUAL(1.0, *config::parse_async_factor("0.25"), 1e-9);
    DOUBLES_EQUAL(24.75, *config::parse_async_factor("24.75"), 1e-9);
    for (const char* bad : {"", "0", "-1", "abc", "1.5x", "1e3", "inf", "nan", ".", "+2"}) {
        CHECK_FALSE_TEXT(config::parse_async_factor(bad).has_value(), bad);
    }
    STRCMP_EQUAL("AsyncRequestWorkerFactor: 'x' is not a positive number", config::async_factor_error("x").c_str());
}

TEST(AsyncFactor, FractionalFactorCounts)
{
    // 25 threads, 10 idle: stock with 1.5 allows 25 + 10*1 = 35; ours 25 + 10*1.5 = 40.
    CHECK_TRUE(config::below_connection_limit(39, 0, 10, 25, false, 25, 1.5));
    CHECK_FALSE(config::below_connection_limit(40, 0, 10, 25, false, 25, 1.5));
    CHECK_FALSE(config::below_connection_limit(35, 0, 10, 25, false, 25, 1.0));
}

TEST(AsyncFactor, LingeringConnectionsDoNotCountAndNoIdleWorkerMeansNo)
{
    CHECK_TRUE(config::below_connection_limit(100, 80, 1, 25, false, 25, 2));
    CHECK_FALSE(config::below_connection_limit(1, 0, 0, 25, false, 25, 2));
    // hysteresis: with listeners already disabled one idle worker less counts
    CHECK_TRUE(config::below_connection_limit(28, 0, 2, 25, false, 25, 2));
    CHECK_FALSE(config::below_connection_limit(28, 0, 2, 25, true, 25, 2));
}

TEST(AsyncFactor, NoHysteresisOnceEveryWorkerIsIdle)
{
    // 4 threads, factor 1.5: the limit is 10. Listeners went off at 9 open while a thread was still busy
    // (4 + 3 * 1.5 = 8.5); once all 4 are idle no thread will re-check later, so room for the 10th counts.
    CHECK_FALSE(config::below_connection_limit(9, 0, 3, 4, true, 4, 1.5));
    CHECK_FALSE(config::below_connection_limit(9, 0, 4, 5, true, 4, 1.5));
    CHECK_TRUE(config::below_connection_limit(9, 0, 4, 4, true, 4, 1.5));
    CHECK_FALSE(config::below_connection_limit(10, 0, 4, 4, true, 4, 1.5));
}

TEST(AsyncFactor, LeavesNewConnectionsToLessLoadedSiblings)
{
    config::PeerLoad peers[3] = {{true, 30}, {false, 0}, {true, 24}};
    // below a connection per thread: keep accepting whatever the siblings do
    CHECK_FALSE(config::leave_to_peers(24, 0, 25, peers, 3));
    // a connection per thread, and an accepting sibling has room
    CHECK_TRUE(config::leave_to_peers(25, 0, 25, peers, 3));
    // lingering connections hold no thread
    CHECK_FALSE(config::leave_to_peers(40, 20, 25, peers, 3));
    // the only sibling with room is not accepting (stopping, other generation, or listeners off)
    peers[2].connections = 25;
    CHECK_FALSE(config::leave_to_peers(60, 0, 25, peers, 3));
    CHECK_FALSE(config::leave_to_peers(60, 0, 25, nullptr, 0));
}

TEST_GROUP(TimeoutQueue){ TimeoutQueue::Clock::time_point t0{}; };

TEST(TimeoutQueue, ExpiresInInsertionOrder)
{
    TimeoutQueue q(5s);
    TimeoutLink a, b, c;
    q.append(a, t0);
    q.append(b, t0 + 1s);
    q.append(c, t0 + 2s);
    CHECK(q.next_expiry() == t0 + 5s);
    CHECK(q.pop_expired(t0 + 4s) == nullptr);
    CHECK(q.pop_expired(t0 + 6s) == &a);
    CHECK(q.pop_expired(t0 + 6s) == &b);
    CHECK(q.pop_expired(t0 + 6s) == nullptr);
    CHECK_EQUAL(1u, q.size());
    CHECK(q.pop_expired(t0, true) == &c);
    CHECK_TRUE(q.empty());
    CHECK(q.next_expiry() == TimeoutQueue::Clock::time_point::max());
}

TEST(TimeoutQueue, RemoveFromAnywhereAndOnlyFromItsQueue)
{
    TimeoutQueue q(1s), other(1s);
    TimeoutLink a, b, c;
    q.append(a, t0);
    q.append(b, t0);
    q.append(c, t0);
    other.remove(b);  // not there: no-op
    CHECK_EQUAL(3u, q.size());
    q.remove(b);
    CHECK(b.queue == nullptr);
    q.remove(b);  // twice: no-op
    CHECK_EQUAL(2u, q.size());
    CHECK(q.pop_expired(t0 + 1s) == &a);
    CHECK(q.pop_expired(t0 + 1s) == &c);
    q.append(b, t0 + 3s);
    CHECK(q.next_expiry() == t0 + 4s);
}

TEST(TimeoutQueue, ForEachSinceVisitsTheEntriesWaitingSinceThenOldestFirst)
{
    TimeoutQueue q(5s);
    TimeoutLink a, b, c;
    q.append(a, t0);
    q.append(b, t0 + 1s);
    q.append(c, t0 + 2s);
    std::vector<TimeoutLink*> seen;
    q.for_each_since(t0 + 1s, [&](TimeoutLink& e) { seen.push_back(&e); });
    CHECK_EQUAL(2u, seen.size());
    CHECK(seen[0] == &a);
    CHECK(seen[1] == &b);
    seen.clear();
    q.for_each_since(t0 - 1s, [&](TimeoutLink& e) { seen.push_back(&e); });
    CHECK_TRUE(seen.empty());
    CHECK_EQUAL(3u, q.size());  // nothing removed
}

TEST_GROUP(TimerHeap){ TimerHeap<int>::Clock::time_point t0{}; };

TEST(TimerHeap, PopsDueInOrderAndEqualTimesFifo)
{
    TimerHeap<int> h;
    h.add(t0 + 30ms, 3);
    h.add(t0 + 10ms, 1);
    h.add(t0 + 20ms, 2);
    h.add(t0 + 10ms, 11);
    CHECK(h.next_due() == t0 + 10ms);
    std::vector<int> out;
    h.pop_due(t0 + 5ms, out);
    CHECK(out.empty());
    h.pop_due(t0 + 20ms, out);
    CHECK_EQUAL(3u, out.size());
    CHECK_EQUAL(1, out[0]);
    CHECK_EQUAL(11, out[1]);
    CHECK_EQUAL(2, out[2]);
    CHECK_EQUAL(1u, h.size());
}

TEST(TimerHeap, ManyRandomTimersComeOutSorted)
{
    TimerHeap<int> h;
    unsigned x = 12345;
    for (int i = 0; i < 1000; ++i) {
        x = x * 1103515245 + 12345;
        h.add(t0 + std::chrono::milliseconds(x % 5000), static_cast<int>(x % 5000));
    }
    std::vector<int> out;
    h.pop_due(t0 + 10s, out);
    CHECK_EQUAL(1000u, out.size());
    for (std::size_t i = 1; i < out.size(); ++i) CHECK(out[i - 1] <= out[i]);
}
