#include <vector>

#include "common/listen/bucket_relief.h"

#include <CppUTest/TestHarness.h>

using namespace mpmcxx;

TEST_GROUP(BucketRelief){};

TEST(BucketRelief, NoQueueNoHelp)
{
    auto s = plan_bucket_relief({{0, 3}, {0, 0}, {0, 5}});
    CHECK((s == std::vector<int>{0, 0, 0}));
}

TEST(BucketRelief, ABucketsOwnIdleChildrenTakeItsQueueFirst)
{
    // Bucket 0 has 2 queued and 2 idle: nothing to lend out, nothing to ask for.
    auto s = plan_bucket_relief({{2, 2}, {0, 4}});
    CHECK((s == std::vector<int>{0, 0}));
}

TEST(BucketRelief, SurplusOfASaturatedBucketGoesToIdleSiblings)
{
    auto s = plan_bucket_relief({{3, 0}, {0, 5}});
    CHECK((s == std::vector<int>{0, 3}));
}

TEST(BucketRelief, OnlyTheSurplusBeyondOwnIdleChildrenAsksForHelp)
{
    auto s = plan_bucket_relief({{5, 2}, {0, 10}});
    CHECK((s == std::vector<int>{0, 3}));
}

TEST(BucketRelief, HelpersKeepWhatTheirOwnQueueNeeds)
{
    // Bucket 1 has 4 idle but 3 of its own queued: it can lend one.
    auto s = plan_bucket_relief({{6, 0}, {3, 4}});
    CHECK((s == std::vector<int>{0, 1}));
}

TEST(BucketRelief, SurplusIsSpreadOverHelpersInTurn)
{
    auto s = plan_bucket_relief({{5, 0}, {0, 2}, {0, 10}, {0, 1}});
    CHECK((s == std::vector<int>{0, 2, 2, 1}));
}

TEST(BucketRelief, NeverSendsMoreThanTheIdleChildrenThereAre)
{
    auto s = plan_bucket_relief({{100, 0}, {0, 2}, {50, 0}, {0, 1}});
    CHECK((s == std::vector<int>{0, 2, 0, 1}));
}

TEST(BucketRelief, NegativeFiguresCountAsZero)
{
    auto s = plan_bucket_relief({{-1, 0}, {0, -3}, {2, 0}});
    CHECK((s == std::vector<int>{0, 0, 0}));
}

TEST(BucketRelief, OneBucketHasNoOneToAsk)
{
    auto s = plan_bucket_relief({{9, 0}});
    CHECK((s == std::vector<int>{0}));
}

TEST_GROUP(ReliefTally){};

TEST(ReliefTally, CountsWhatWasSentAndTheLargestSurplus)
{
    ReliefTally t;
    std::vector<BucketLoad> first{{5, 1}, {0, 6}};  // surplus 4
    t.add(first, plan_bucket_relief(first));
    std::vector<BucketLoad> second{{2, 0}, {0, 6}};  // surplus 2
    t.add(second, plan_bucket_relief(second));
    CHECK_EQUAL(6, t.sent);
    CHECK_EQUAL(4, t.most_waiting);
}

TEST(ReliefTally, ALookThatSentNothingLeavesItAlone)
{
    // Queued with no one to send (every bucket busy): nothing to report.
    ReliefTally t;
    std::vector<BucketLoad> busy{{3, 0}, {2, 0}};
    t.add(busy, plan_bucket_relief(busy));
    CHECK_EQUAL(0, t.sent);
    CHECK_EQUAL(0, t.most_waiting);
}
