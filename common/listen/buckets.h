#pragma once
// Listeners and listener buckets (ListenCoresBucketsRatio): one full set of listening sockets per bucket
// (duplicates use SO_REUSEPORT) and one pipe of death per bucket; child slot i serves bucket i % count.
// Set up in open_logs, before the core redirects stderr, so errors reach the console; lives for one
// configuration cycle (pconf).

#include <vector>

#include "common/base/httpd.h"
#include "common/listen/bucket_relief.h"
#include "common/process/pod.h"

namespace mpmcxx {

// One duplicated (bucket >= 1) listening socket kept open across a graceful restart. Stock httpd creates
// the bucket duplicates anew in every generation: connections the kernel queued on the old ones (still
// in the SO_REUSEPORT group while old children finish) are reset when the last old child exits. We hand
// the same sockets to the next generation instead, as httpd itself does for bucket 0.
struct RetainedListener {
    int bucket;
    int index;                  // position in ap_listeners
    int fd;
    apr_socklen_t salen;
    unsigned char sa[sizeof(struct sockaddr_in6) > 32 ? sizeof(struct sockaddr_in6) : 32];
    char protocol[24];
};

// Plain data in the MPM's retained block; `items` lives in httpd's global pool.
struct RetainedListeners {
    RetainedListener* items;
    int count;
    int capacity;
};

class ListenBuckets {
public:
    // Returns nullptr and logs on failure. `num_buckets` is the retained bucket count: kept across
    // graceful restarts (children of the old generation still serve the old layout), recomputed otherwise.
    static ListenBuckets* setup(apr_pool_t* pconf, server_rec* s, int& num_buckets, bool keep_bucket_count,
                                bool one_process, int max_buckets, bool startup, RetainedListeners& retained);

    int count() const noexcept { return static_cast<int>(heads_.size()); }
    ap_listen_rec* bucket(int b) const noexcept { return heads_[static_cast<std::size_t>(b)]; }
    const PipeOfDeath& pod(int b) const noexcept { return pods_[static_cast<std::size_t>(b)]; }
    int bucket_of_slot(int slot) const noexcept { return slot % count(); }
    int listeners_per_bucket() const noexcept { return per_bucket_; }

    // In a child: a child holds only what it serves, its bucket's listeners and the read end of its
    // bucket's pipe of death; everything else is closed. With keep_other_listeners (several buckets) the
    // other buckets' listeners stay open too, for taking connections queued there (bucket_relief.h).
    void keep_only(int bucket, bool keep_other_listeners = false) noexcept;

    // Connections waiting in the accept queues of bucket b's TCP sockets now (0 for others).
    int queued(int b) const noexcept;
    // Does any bucket's accept queue hold a connection now? (a few getsockopt calls: the parent's look
    // between its sleeps; the scoreboard is scanned only when this says yes)
    bool any_queued() const noexcept;

    // Parent: given each bucket's idle children (threads), sends idle ones of buckets with some to spare
    // to the queues of buckets with nothing idle (bucket_relief.h), adding what it did to `tally`.
    void relieve(const std::vector<int>& idle, ReliefTally& tally) const noexcept;
    // Logs what `tally` holds, if anything (CXX90015; `one`/`many` name what is idle), and clears it.
    static void report_relief(ReliefTally& tally, const char* one, const char* many) noexcept;

    // Graceful stop: make every listening socket refuse new connections now, in every process that shares
    // it. Closing the parent's copies alone would leave them open in busy children until those exit, with
    // new clients queueing on a server that will never accept them.
    void refuse_new_connections() const noexcept;

    // Graceful stop in the parent: close every bucket's sockets.
    void close_all() const noexcept { close_listeners_except(-1); }

private:
    void close_listeners_except(int keep) const noexcept;
    static bool reuse_duplicates(apr_pool_t* pconf, int num_buckets, int per_bucket, RetainedListeners& r,
                                 std::vector<ap_listen_rec*>& heads);
    static apr_status_t retain_duplicates(void* self) noexcept;  // pconf cleanup

    std::vector<ap_listen_rec*> heads_;
    std::vector<PipeOfDeath> pods_;
    RetainedListeners* retained_ = nullptr;
    int per_bucket_ = 0;
};

}  // namespace mpmcxx
