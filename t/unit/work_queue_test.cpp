#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "common/threads/work_queue.h"

#include <CppUTest/TestHarness.h>

using namespace mpmcxx;
using namespace std::chrono_literals;

namespace {
template <typename F>
bool eventually(F f)
{
    for (int i = 0; i < 2000; ++i) {
        if (f()) return true;
        std::this_thread::sleep_for(1ms);
    }
    return false;
}
}  // namespace

TEST_GROUP(WorkQueue){};

TEST(WorkQueue, ListenerWaitsForAnIdleWorkerBeforeAccepting)
{
    WorkQueue<int> q;
    std::atomic<bool> reserved{false};
    std::thread listener([&] { reserved = q.reserve_idle_worker(); });
    std::this_thread::sleep_for(20ms);
    CHECK_FALSE(reserved.load());  // nobody idle yet
    std::optional<int> got;
    std::thread worker([&] { got = q.pop(); });
    listener.join();
    CHECK_TRUE(reserved.load());
    q.push(7);
    worker.join();
    CHECK_EQUAL(7, *got);
}

TEST(WorkQueue, EachIdleWorkerCanBeReservedOnce)
{
    WorkQueue<int> q;
    std::vector<std::thread> workers;
    std::atomic<int> served{0};
    for (int i = 0; i < 3; ++i) {
        workers.emplace_back([&] {
            while (auto item = q.pop()) served += *item;
        });
    }
    CHECK_TRUE(eventually([&] { return q.available() == 3; }));
    CHECK_TRUE(q.reserve_idle_worker());
    CHECK_TRUE(q.reserve_idle_worker());
    CHECK_TRUE(q.reserve_idle_worker());
    CHECK_EQUAL(0, q.available());
    q.push(1);
    q.push(2);
    q.push(3);
    CHECK_TRUE(eventually([&] { return served.load() == 6 && q.available() == 3; }));
    q.drain();
    for (auto& t : workers) t.join();
    CHECK_EQUAL(0, q.waiting());
}

TEST(WorkQueue, UnreserveReturnsTheWorker)
{
    WorkQueue<int> q;
    std::thread worker([&] { (void)q.pop(); });
    CHECK_TRUE(eventually([&] { return q.available() == 1; }));
    CHECK_TRUE(q.reserve_idle_worker());
    CHECK_EQUAL(0, q.available());
    q.unreserve();
    CHECK_EQUAL(1, q.available());
    q.stop();
    worker.join();
}

TEST(WorkQueue, DrainServesWhatIsQueuedThenReleasesWorkers)
{
    WorkQueue<int> q;
    q.push(1);
    q.push(2);
    q.drain();
    CHECK_EQUAL(1, *q.pop());
    CHECK_EQUAL(2, *q.pop());
    CHECK_FALSE(q.pop().has_value());
    CHECK_FALSE(q.reserve_idle_worker());
}

TEST(WorkQueue, StopReleasesEveryoneAndLeavesItemsToTheCaller)
{
    WorkQueue<int> q;
    std::atomic<int> exited{0};
    std::vector<std::thread> workers;
    for (int i = 0; i < 4; ++i) {
        workers.emplace_back([&] {
            if (!q.pop()) ++exited;
        });
    }
    CHECK_TRUE(eventually([&] { return q.waiting() == 4; }));
    for (int i = 0; i < 4; ++i) CHECK_TRUE(q.reserve_idle_worker());
    std::atomic<bool> listener_result{true};
    std::thread listener([&] {
        // Every worker is reserved, so this blocks until stop().
        listener_result = q.reserve_idle_worker();
    });
    std::this_thread::sleep_for(10ms);
    q.stop();
    listener.join();
    for (auto& t : workers) t.join();
    CHECK_EQUAL(4, exited.load());
    CHECK_FALSE(listener_result.load());
    q.push(9);  // a late push after stop is not lost: the owner closes it
    auto rest = q.take_remaining();
    CHECK_EQUAL(1u, rest.size());
}

TEST(WorkQueue, ManyProducersAndConsumersLoseNothing)
{
    WorkQueue<int> q;
    constexpr int kItems = 20000;
    std::atomic<long> sum{0};
    std::vector<std::thread> workers;
    for (int i = 0; i < 8; ++i) {
        workers.emplace_back([&] {
            while (auto item = q.pop()) sum += *item;
        });
    }
    std::thread listener([&] {
        for (int i = 1; i <= kItems; ++i) {
            CHECK_TRUE(q.reserve_idle_worker());
            q.push(i);
        }
    });
    listener.join();
    q.drain();
    for (auto& t : workers) t.join();
    CHECK_EQUAL(static_cast<long>(kItems) * (kItems + 1) / 2, sum.load());
}

TEST(WorkQueue, AConnectionAcceptedAsTheDrainBeginsIsStillServed)
{
    // The listener reserved a worker and is accepting when the graceful stop arrives: the reserved
    // worker must not leave before the connection is handed over.
    WorkQueue<int> q;
    std::atomic<int> served{0};
    std::atomic<int> exited{0};
    std::vector<std::thread> workers;
    for (int i = 0; i < 3; ++i) {
        workers.emplace_back([&] {
            while (auto item = q.pop()) served += *item;
            ++exited;
        });
    }
    CHECK_TRUE(eventually([&] { return q.available() == 3; }));
    CHECK_TRUE(q.reserve_idle_worker());
    q.drain();
    CHECK_TRUE(eventually([&] { return exited.load() == 2; }));  // the two unreserved ones leave
    std::this_thread::sleep_for(20ms);
    CHECK_EQUAL(2, exited.load());  // the reserved one waits
    q.push(5);
    for (auto& t : workers) t.join();
    CHECK_EQUAL(5, served.load());
}

TEST(WorkQueue, AReturnedReservationLetsTheLastWorkerLeave)
{
    WorkQueue<int> q;
    std::thread worker([&] { CHECK_FALSE(q.pop().has_value()); });
    CHECK_TRUE(eventually([&] { return q.available() == 1; }));
    CHECK_TRUE(q.reserve_idle_worker());
    q.drain();
    std::this_thread::sleep_for(20ms);
    q.unreserve();
    worker.join();
}
