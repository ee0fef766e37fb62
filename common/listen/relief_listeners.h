#pragma once
// Other listener buckets' sockets as a child keeps them for bucket relief (bucket_relief.h): never waited
// on, only tried when the parent sends the child to their queues. Filled before the child's threads
// start; take() may then be called from any thread.

#include <atomic>
#include <vector>

#include "common/base/httpd.h"

namespace mpmcxx {

class ReliefListeners {
public:
    // Adds a bucket's listeners (made non-blocking, as every child of ours uses them). Out of memory: the
    // child takes no relief work, nothing else changes.
    void add(ap_listen_rec* listeners) noexcept;

    bool empty() const noexcept { return listeners_.empty(); }

    // One non-blocking accept on each in turn until one gives a connection (allocated in `p`). Nothing
    // queued (their own children were faster) is not an error; no error of another bucket's socket ends
    // this child.
    apr_socket_t* take(apr_pool_t* p) noexcept;

private:
    std::vector<ap_listen_rec*> listeners_;
    std::atomic<std::size_t> next_{0};  // rotating start, so no bucket's queue is always tried last
};

}  // namespace mpmcxx
