#include <string>
#include <vector>

#include "common/config/thread_limits.h"

#include <CppUTest/TestHarness.h>

using namespace mpmcxx::config;

namespace {
const ClampMessage* find(const ClampMessages& msgs, int id)
{
    for (auto& m : msgs) {
        if (m.id == id) return &m;
    }
    return nullptr;
}
}  // namespace

TEST_GROUP(ThreadLimits){ ClampMessages msgs; };

TEST(ThreadLimits, DefaultsAreStockAndPassUntouched)
{
    ThreadLimits out = clamp_threaded(ThreadLimits{}, kWorkerSpec, true, 0, 0, msgs);
    CHECK(msgs.empty());
    CHECK_EQUAL(16, out.server_limit);
    CHECK_EQUAL(64, out.thread_limit);
    CHECK_EQUAL(25, out.threads_per_child);
    CHECK_EQUAL(400, out.max_workers);
    CHECK_EQUAL(16, out.daemons_limit);
    CHECK_EQUAL(3, out.start_servers);
    CHECK_EQUAL(75, out.min_spare_threads);
    CHECK_EQUAL(250, out.max_spare_threads);
}

TEST(ThreadLimits, NotAMultipleIsRoundedDownWithStockWording)
{
    ThreadLimits in;
    in.max_workers = 130;
    ThreadLimits out = clamp_threaded(in, kWorkerSpec, true, 0, 0, msgs);
    CHECK_EQUAL(125, out.max_workers);
    CHECK_EQUAL(5, out.daemons_limit);
    const ClampMessage* m = find(msgs, 316);
    CHECK(m != nullptr);
    STRCMP_EQUAL("WARNING: MaxRequestWorkers of 130 is not an integer multiple of ThreadsPerChild of 25, "
                 "decreasing to nearest multiple 125, for a maximum of 5 servers.",
                 m->text.c_str());
    msgs.clear();
    clamp_threaded(in, kEventSpec, false, 0, 0, msgs);
    m = find(msgs, 514);  // event's restart variant
    CHECK(m != nullptr);
    STRCMP_EQUAL("MaxRequestWorkers of 130 is not an integer multiple of ThreadsPerChild of 25, decreasing to "
                 "nearest multiple 125",
                 m->text.c_str());
}

TEST(ThreadLimits, TooManyServersForServerLimitCutsTheDaemonLimitOnly)
{
    ThreadLimits in;
    in.max_workers = 1000;
    ThreadLimits out = clamp_threaded(in, kWorkerSpec, true, 0, 0, msgs);
    CHECK_EQUAL(16, out.daemons_limit);
    CHECK_EQUAL(1000, out.max_workers);
    STRCMP_EQUAL("WARNING: MaxRequestWorkers of 1000 would require 40 servers and would exceed ServerLimit of 16, "
                 "decreasing to 400. To increase, please see the ServerLimit directive.",
                 find(msgs, 318)->text.c_str());
}

TEST(ThreadLimits, ThreadsPerChildAboveThreadLimit)
{
    ThreadLimits in;
    in.threads_per_child = 100;
    ThreadLimits out = clamp_threaded(in, kEventSpec, true, 0, 0, msgs);
    CHECK_EQUAL(64, out.threads_per_child);
    STRCMP_EQUAL("WARNING: ThreadsPerChild of 100 exceeds ThreadLimit of 64 threads, decreasing to 64. To increase, "
                 "please see the ThreadLimit directive.",
                 find(msgs, 507)->text.c_str());
    CHECK_EQUAL(6, out.daemons_limit);  // 400 / 64, rounded down, with its own warning
    CHECK(find(msgs, 513) != nullptr);
}

TEST(ThreadLimits, EventAllowsLargerThreadLimit)
{
    ThreadLimits in;
    in.thread_limit = 50000;
    CHECK_EQUAL(50000, clamp_threaded(in, kEventSpec, true, 0, 0, msgs).thread_limit);
    CHECK(msgs.empty());
    CHECK_EQUAL(20000, clamp_threaded(in, kWorkerSpec, true, 0, 0, msgs).thread_limit);
    STRCMP_EQUAL("WARNING: ThreadLimit of 50000 exceeds compile-time limit of 20000 threads, decreasing to 20000.",
                 find(msgs, 305)->text.c_str());
}

TEST(ThreadLimits, LimitsCannotChangeOnRestart)
{
    ThreadLimits in;
    in.server_limit = 32;
    in.thread_limit = 128;
    ThreadLimits out = clamp_threaded(in, kWorkerSpec, false, 16, 64, msgs);
    CHECK_EQUAL(16, out.server_limit);
    CHECK_EQUAL(64, out.thread_limit);
    STRCMP_EQUAL("changing ServerLimit to 32 from original value of 16 not allowed during restart",
                 find(msgs, 304)->text.c_str());
    STRCMP_EQUAL("changing ThreadLimit to 128 from original value of 64 not allowed during restart",
                 find(msgs, 309)->text.c_str());
}

TEST(ThreadLimits, NonPositiveValues)
{
    ThreadLimits in;
    in.server_limit = 0;
    in.thread_limit = -1;
    in.threads_per_child = 0;
    in.max_workers = 0;
    in.start_servers = 0;
    in.min_spare_threads = 0;
    ThreadLimits out = clamp_threaded(in, kWorkerSpec, true, 0, 0, msgs);
    CHECK_EQUAL(1, out.server_limit);
    CHECK_EQUAL(1, out.thread_limit);
    CHECK_EQUAL(1, out.threads_per_child);
    CHECK_EQUAL(1, out.max_workers);
    CHECK_EQUAL(1, out.start_servers);
    CHECK_EQUAL(1, out.min_spare_threads);
    for (int id : {302, 307, 312, 314, 320, 322}) {
        CHECK_TRUE_TEXT(find(msgs, id) != nullptr, std::to_string(id).c_str());
    }
    STRCMP_EQUAL("WARNING: MaxRequestWorkers of 0 is less than ThreadsPerChild of 1, increasing to 1. "
                 "MaxRequestWorkers must be at least as large as the number of threads in a single server.",
                 find(msgs, 314)->text.c_str());
}

TEST(ThreadLimits, BucketFloorsAsStock)
{
    ThreadLimits in;
    in.min_spare_threads = 1;
    in.max_spare_threads = 1;
    in.start_servers = 1;
    ThreadLimits out = threaded_bucket_floor(in, 2);
    CHECK_EQUAL(2, out.start_servers);
    CHECK_EQUAL(25 * 1 + 2, out.min_spare_threads);
    CHECK_EQUAL(27 + 26 * 2, out.max_spare_threads);
}

TEST(ThreadLimits, BucketFloorNeverExceedsServerLimit)
{
    ThreadLimits in;
    in.server_limit = 2;
    in.daemons_limit = 1;
    CHECK_EQUAL(2, threaded_bucket_floor(in, 4).daemons_limit);
}
