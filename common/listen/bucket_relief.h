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

}  // namespace mpmcxx
