#include "common/listen/bucket_relief.h"

#include <algorithm>
#include <cstddef>

namespace mpmcxx {

std::vector<int> plan_bucket_relief(const std::vector<BucketLoad>& buckets)
{
    std::vector<int> send(buckets.size(), 0);
    int surplus = 0;
    std::vector<int> spare(buckets.size(), 0);
    for (std::size_t b = 0; b < buckets.size(); ++b) {
        const int queued = std::max(buckets[b].queued, 0);
        const int idle = std::max(buckets[b].idle, 0);
        if (queued > idle) {
            surplus += queued - idle;
        } else {
            spare[b] = idle - queued;
        }
    }
    // One child at a time from each bucket that can spare one, round after round.
    bool gave = true;
    while (surplus > 0 && gave) {
        gave = false;
        for (std::size_t b = 0; b < buckets.size() && surplus > 0; ++b) {
            if (spare[b] > send[b]) {
                ++send[b];
                --surplus;
                gave = true;
            }
        }
    }
    return send;
}

void ReliefTally::add(const std::vector<BucketLoad>& buckets, const std::vector<int>& send) noexcept
{
    int waiting = 0;
    int given = 0;
    for (std::size_t b = 0; b < buckets.size(); ++b) {
        waiting += std::max(buckets[b].queued - std::max(buckets[b].idle, 0), 0);
        given += b < send.size() ? send[b] : 0;
    }
    if (given > 0) {
        sent += given;
        most_waiting = std::max(most_waiting, waiting);
    }
}

}  // namespace mpmcxx
