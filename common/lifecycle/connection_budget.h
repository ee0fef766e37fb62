#pragma once
// MaxConnectionsPerChild for a child whose threads accept concurrently (event_cxx).
//
// A thread takes a reservation before accept() so that threads accepting at the same moment never take
// more than the limit between them; a reservation whose accept() failed (EAGAIN: a sibling took the
// connection) is given back. Whether a connection was the child's last is decided by the connections
// actually accepted, never by the reservations in flight: counting reservations made a child stop one
// connection early whenever a thread held a reservation it was about to give back.

#include <atomic>

namespace mpmcxx {

class ConnectionBudget {
public:
    // limit <= 0: unlimited.
    explicit ConnectionBudget(int limit = 0) noexcept { reset(limit); }

    void reset(int limit) noexcept
    {
        limit_ = limit > 0 ? limit : 0;
        free_.store(limit_, std::memory_order_relaxed);
        accepted_.store(0, std::memory_order_relaxed);
    }

    bool unlimited() const noexcept { return limit_ == 0; }

    // True if this thread may accept one connection now; then exactly one of accepted() or give_back()
    // must follow.
    bool reserve() noexcept
    {
        if (unlimited()) {
            return true;
        }
        int f = free_.load(std::memory_order_relaxed);
        while (f > 0 && !free_.compare_exchange_weak(f, f - 1, std::memory_order_acq_rel)) {
        }
        return f > 0;
    }

    void give_back() noexcept
    {
        if (!unlimited()) {
            free_.fetch_add(1, std::memory_order_acq_rel);
        }
    }

    // The reservation became a connection. True if it was the last one the child may take.
    bool accepted() noexcept
    {
        if (unlimited()) {
            return false;
        }
        return accepted_.fetch_add(1, std::memory_order_acq_rel) + 1 == limit_;
    }

    // Nothing left to reserve (some reservations may still come back).
    bool exhausted() const noexcept { return !unlimited() && free_.load(std::memory_order_relaxed) == 0; }

private:
    int limit_ = 0;
    std::atomic<int> free_{0};
    std::atomic<int> accepted_{0};
};

}  // namespace mpmcxx
