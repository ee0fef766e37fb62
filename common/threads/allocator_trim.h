#pragma once
// Gives the free blocks an APR allocator keeps for reuse back to the system.
//
// A connection's allocator keeps the blocks of its finished requests (the request pool is destroyed into
// it) so that the next request reuses them; for a connection that then sits idle in keep-alive that is
// 8 to 24 KiB of touched memory doing nothing, which is most of an idle connection's cost. APR has no
// call to drop an allocator's free list, but its contract allows this: with max_free lowered, every
// block freed is returned to the system (Debian's APR maps each block with mmap, so that is a munmap).
// So blocks are taken out of the free list and freed again under a tiny max_free, then max_free is put
// back. A block that comes back zero-filled was freshly mapped (the free list is empty): taking stops.

#include <cstring>

#include "common/base/httpd.h"

namespace mpmcxx {

inline void release_free_blocks(apr_allocator_t* a, apr_size_t max_free, int at_most = 8) noexcept
{
    if (a == nullptr) {
        return;
    }
    apr_allocator_max_free_set(a, 1);
    apr_memnode_t* taken = nullptr;
    for (int i = 0; i < at_most; ++i) {
        apr_memnode_t* n = apr_allocator_alloc(a, 1);
        if (n == nullptr) {
            break;
        }
        n->next = taken;
        taken = n;
        static const char zeros[64] = {};
        if (static_cast<apr_size_t>(n->endp - n->first_avail) >= sizeof zeros &&
            std::memcmp(n->first_avail, zeros, sizeof zeros) == 0) {
            break;
        }
    }
    if (taken != nullptr) {
        apr_allocator_free(a, taken);
    }
    apr_allocator_max_free_set(a, max_free);
}

}  // namespace mpmcxx
