#include <string>
#include <vector>

#include "common/config/prefork_limits.h"

#include <CppUTest/TestHarness.h>

using namespace mpmcxx::config;

namespace {
PreforkLimits with(int server_limit, int max_workers, int start, int min_spare, int max_spare)
{
    return PreforkLimits{server_limit, max_workers, start, min_spare, max_spare};
}
bool has(const ClampMessages& msgs, int id) { for (auto& m : msgs) if (m.id == id) return true; return false; }
const ClampMessage& get(const ClampMessages& msgs, int id) { for (auto& m : msgs) if (m.id == id) return m; FAIL("no message"); return msgs.front(); }
}  // namespace

TEST_GROUP(PreforkLimits){ ClampMessages msgs; };

TEST(PreforkLimits, DefaultsAreStockAndPassUntouched)
{
    PreforkLimits d;
    CHECK_EQUAL(256, d.server_limit);
    CHECK_EQUAL(256, d.max_workers);
    CHECK_EQUAL(5, d.start_servers);
    CHECK_EQUAL(5, d.min_spare);
    CHECK_EQUAL(10, d.max_spare);
    PreforkLimits out = clamp_prefork(d, true, 0, msgs);
    CHECK(msgs.empty());
    CHECK_EQUAL(256, out.max_workers);
}

TEST(PreforkLimits, ServerLimitAboveCompileLimitIsDecreasedWithStockWording)
{
    PreforkLimits out = clamp_prefork(with(300000, 10, 5, 5, 10), true, 0, msgs);
    CHECK_EQUAL(200000, out.server_limit);
    STRCMP_EQUAL("WARNING: ServerLimit of 300000 exceeds compile-time limit of 200000 servers, decreasing to 200000.",
                 get(msgs, 175).text.c_str());
    CHECK_TRUE(get(msgs, 175).startup);

    msgs.clear();
    clamp_prefork(with(300000, 10, 5, 5, 10), false, 0, msgs);
    STRCMP_EQUAL("ServerLimit of 300000 exceeds compile-time limit of 200000, decreasing to match",
                 get(msgs, 176).text.c_str());
    CHECK_FALSE(get(msgs, 176).startup);
}

TEST(PreforkLimits, NonPositiveServerLimitBecomesOne)
{
    PreforkLimits out = clamp_prefork(with(0, 1, 1, 1, 2), true, 0, msgs);
    CHECK_EQUAL(1, out.server_limit);
    STRCMP_EQUAL("WARNING: ServerLimit of 0 not allowed, increasing to 1.", get(msgs, 177).text.c_str());
    msgs.clear();
    clamp_prefork(with(-4, 1, 1, 1, 2), false, 0, msgs);
    STRCMP_EQUAL("ServerLimit of -4 not allowed, increasing to 1", get(msgs, 178).text.c_str());
}

TEST(PreforkLimits, ServerLimitCannotChangeOnRestart)
{
    PreforkLimits out = clamp_prefork(with(512, 300, 5, 5, 10), false, 256, msgs);
    CHECK_EQUAL(256, out.server_limit);
    STRCMP_EQUAL("changing ServerLimit to 512 from original value of 256 not allowed during restart",
                 get(msgs, 179).text.c_str());
    // ... and MaxRequestWorkers is then clamped against the original ServerLimit.
    CHECK_EQUAL(256, out.max_workers);
    CHECK_TRUE(has(msgs, 181));
}

TEST(PreforkLimits, MaxRequestWorkersAboveServerLimit)
{
    PreforkLimits out = clamp_prefork(with(100, 150, 5, 5, 10), true, 0, msgs);
    CHECK_EQUAL(100, out.max_workers);
    STRCMP_EQUAL("WARNING: MaxRequestWorkers of 150 exceeds ServerLimit value of 100 servers, decreasing "
                 "MaxRequestWorkers to 100. To increase, please see the ServerLimit directive.",
                 get(msgs, 180).text.c_str());
}

TEST(PreforkLimits, NonPositiveValuesAreRaisedToOne)
{
    PreforkLimits out = clamp_prefork(with(10, 0, -1, 0, 0), true, 0, msgs);
    CHECK_EQUAL(1, out.max_workers);
    CHECK_EQUAL(1, out.start_servers);
    CHECK_EQUAL(1, out.min_spare);
    CHECK_EQUAL(0, out.max_spare);  // stock has no check_config clamp for it; the run-time floor fixes it
    STRCMP_EQUAL("WARNING: MaxRequestWorkers of 0 not allowed, increasing to 1.", get(msgs, 182).text.c_str());
    STRCMP_EQUAL("WARNING: StartServers of -1 not allowed, increasing to 1.", get(msgs, 184).text.c_str());
    STRCMP_EQUAL("WARNING: MinSpareServers of 0 not allowed, increasing to 1 to avoid almost certain server "
                 "failure. Please read the documentation.",
                 get(msgs, 186).text.c_str());
    msgs.clear();
    clamp_prefork(with(10, 0, -1, 0, 0), false, 0, msgs);
    CHECK_TRUE(has(msgs, 183));
    CHECK_TRUE(has(msgs, 185));
    CHECK_TRUE(has(msgs, 187));
}

TEST(PreforkLimits, BucketFloorsAsStock)
{
    PreforkLimits out = prefork_bucket_floor(with(256, 1, 1, 1, 1), 2);
    CHECK_EQUAL(2, out.max_workers);
    CHECK_EQUAL(2, out.start_servers);
    CHECK_EQUAL(2, out.min_spare);
    CHECK_EQUAL(4, out.max_spare);
}

TEST(PreforkLimits, BucketFloorNeverExceedsServerLimitOrStartsMoreThanAllowed)
{
    PreforkLimits out = prefork_bucket_floor(with(2, 2, 9, 1, 1), 4);
    CHECK_EQUAL(2, out.max_workers);
    CHECK_EQUAL(2, out.start_servers);
}
