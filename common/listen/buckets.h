#pragma once
// Listeners and listener buckets (ListenCoresBucketsRatio): one full set of listening sockets per bucket
// (duplicates use SO_REUSEPORT), child slot i serves bucket i % count. Set up in open_logs, before the
// core redirects stderr, so errors reach the console; lives for one configuration cycle (pconf).

#include <vector>

#include "common/base/httpd.h"

namespace mpmcxx {

class ListenBuckets {
public:
    // Returns nullptr and logs on failure. `num_buckets` is the retained bucket count: kept across
    // graceful restarts (children of the old generation still serve the old layout), recomputed otherwise.
    static ListenBuckets* setup(apr_pool_t* pconf, server_rec* s, int& num_buckets, bool keep_bucket_count,
                                bool one_process, int max_buckets, bool startup);

    int count() const noexcept { return static_cast<int>(heads_.size()); }
    ap_listen_rec* bucket(int b) const noexcept { return heads_[static_cast<std::size_t>(b)]; }
    int bucket_of_slot(int slot) const noexcept { return slot % count(); }
    int listeners_per_bucket() const noexcept { return per_bucket_; }

    // In a child: close every other bucket's sockets (a child must hold no descriptor it does not need).
    void close_all_but(int keep) const noexcept;

private:
    std::vector<ap_listen_rec*> heads_;
    int per_bucket_ = 0;
};

}  // namespace mpmcxx
