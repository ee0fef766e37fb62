#pragma once
// Recycled per-connection pools ("ptrans") of a threaded child: the listener takes one to accept into,
// the worker clears it after the connection and gives it back. Each pool has its own allocator capped at
// MaxMemFree, like stock, so one connection's peak memory is not kept forever; and at most `keep` pools
// wait for reuse, so that the memory of a crowd of connections (thousands of idle keep-alive ones on an
// event child) is given back when they are gone.

#include <mutex>
#include <vector>

#include "common/base/httpd.h"

namespace mpmcxx {

class PoolStack {
public:
    PoolStack(apr_pool_t* parent, std::size_t keep) : parent_(parent), keep_(keep) {}
    PoolStack(const PoolStack&) = delete;
    PoolStack& operator=(const PoolStack&) = delete;
    ~PoolStack()
    {
        for (apr_pool_t* p : pools_) {
            apr_pool_destroy(p);
        }
    }

    // nullptr only if APR cannot allocate.
    apr_pool_t* take() noexcept
    {
        {
            std::lock_guard lock(mutex_);
            if (!pools_.empty()) {
                apr_pool_t* p = pools_.back();
                pools_.pop_back();
                return p;
            }
        }
        apr_allocator_t* allocator = nullptr;
        if (apr_allocator_create(&allocator) != APR_SUCCESS) {
            return nullptr;
        }
        apr_allocator_max_free_set(allocator, ap_max_mem_free);
        apr_pool_t* p = nullptr;
        if (apr_pool_create_ex(&p, parent_, nullptr, allocator) != APR_SUCCESS) {
            apr_allocator_destroy(allocator);
            return nullptr;
        }
        apr_allocator_owner_set(allocator, p);
        apr_pool_tag(p, "transaction");
        return p;
    }

    // The pool is cleared here (running the connection's cleanups) before it is reused.
    void give_back(apr_pool_t* p) noexcept
    {
        apr_pool_clear(p);
        try {
            std::lock_guard lock(mutex_);
            if (pools_.size() < keep_) {
                pools_.push_back(p);
                return;
            }
        } catch (...) {
        }
        apr_pool_destroy(p);
    }

private:
    apr_pool_t* parent_;
    std::size_t keep_;
    std::mutex mutex_;
    std::vector<apr_pool_t*> pools_;
};

}  // namespace mpmcxx
