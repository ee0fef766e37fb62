#pragma once
// Timeout queues for waiting connections (keep-alive, write completion, I/O wait, lingering close). Every
// entry of one queue has the same timeout, so appending keeps the queue sorted by expiry: add, remove and
// expiring the oldest are O(1), and the next expiry is the head's. The links live inside the connection
// objects (intrusive), so nothing is allocated on the hot path. Not thread-safe: the owner locks.

#include <chrono>
#include <cstddef>

namespace mpmcxx {

class TimeoutQueue;

struct TimeoutLink {
    TimeoutLink* prev = nullptr;
    TimeoutLink* next = nullptr;
    TimeoutQueue* queue = nullptr;  // the queue holding this entry, if any
    std::chrono::steady_clock::time_point since{};
};

class TimeoutQueue {
public:
    using Clock = std::chrono::steady_clock;

    // `kind` is the owner's label for the queue (which counter it feeds, for instance).
    explicit TimeoutQueue(Clock::duration timeout, int kind = 0) noexcept : timeout_(timeout), kind_(kind) {}
    TimeoutQueue(const TimeoutQueue&) = delete;
    TimeoutQueue& operator=(const TimeoutQueue&) = delete;

    Clock::duration timeout() const noexcept { return timeout_; }
    int kind() const noexcept { return kind_; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    void append(TimeoutLink& e, Clock::time_point now) noexcept
    {
        e.since = now;
        e.queue = this;
        e.next = nullptr;
        e.prev = tail_;
        (tail_ ? tail_->next : head_) = &e;
        tail_ = &e;
        ++size_;
    }

    void remove(TimeoutLink& e) noexcept
    {
        if (e.queue != this) {
            return;
        }
        (e.prev ? e.prev->next : head_) = e.next;
        (e.next ? e.next->prev : tail_) = e.prev;
        e.prev = e.next = nullptr;
        e.queue = nullptr;
        --size_;
    }

    // When the oldest entry expires; time_point::max() if empty.
    Clock::time_point next_expiry() const noexcept
    {
        return head_ ? head_->since + timeout_ : Clock::time_point::max();
    }

    // Removes the oldest entry if it has expired at `now` (or unconditionally if `all`), else nullptr.
    TimeoutLink* pop_expired(Clock::time_point now, bool all = false) noexcept
    {
        if (head_ == nullptr || (!all && head_->since + timeout_ > now)) {
            return nullptr;
        }
        TimeoutLink* e = head_;
        remove(*e);
        return e;
    }

    // Calls f(link) for each entry queued at or before `before`, oldest first. f must not change the queue.
    template <typename F>
    void for_each_since(Clock::time_point before, F&& f) const
    {
        for (TimeoutLink* e = head_; e != nullptr && e->since <= before; e = e->next) {
            f(*e);
        }
    }

private:
    Clock::duration timeout_;
    int kind_;
    TimeoutLink* head_ = nullptr;
    TimeoutLink* tail_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace mpmcxx
