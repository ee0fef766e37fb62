#pragma once
// Listener buckets (ListenCoresBucketsRatio): the kernel hashes each new connection to one bucket's socket
// (SO_REUSEPORT) whatever that bucket's children are doing. When every child of a bucket is busy, its
// clients wait in its accept queue while children of other buckets idle; stock httpd leaves them there
// until one of the bucket's own children is free. The parent measures the queues once per maintenance
// pass and sends idle children (threaded kinds: threads) of other buckets over to take the surplus
// (README, intended difference 25). Pure logic: no httpd, no system call.

#include <vector>

namespace mpmcxx {

struct BucketLoad {
    int queued = 0;  // connections waiting in the bucket's accept queues now
    int idle = 0;    // children (threaded kinds: threads) of the bucket waiting for a connection
};

// How many idle children of each bucket to send to other buckets' queues. A bucket's own idle children
// take its queue first; only the surplus (queued beyond its idle children) asks for help, and only
// children not needed by their own bucket's queue give it. Surplus is spread over the helping buckets in
// turn, so no single bucket is emptied while another keeps idle children.
std::vector<int> plan_bucket_relief(const std::vector<BucketLoad>& buckets);

// What the relief did between two reports (CXX90015 is logged once a maintenance pass, not per look).
struct ReliefTally {
    int sent = 0;          // idle children (threads) sent over
    int most_waiting = 0;  // the largest surplus one look found

    // Adds one look's plan: `buckets` as measured, `send` as planned for them.
    void add(const std::vector<BucketLoad>& buckets, const std::vector<int>& send) noexcept;
};

}  // namespace mpmcxx
