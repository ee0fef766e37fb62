#pragma once
// Timers for ap_mpm_register_timed_callback(): a min-heap on due time, first-registered first among equal
// times. Not thread-safe: the owner locks. Time is passed in.

#include <chrono>
#include <cstdint>
#include <vector>

namespace mpmcxx {

template <typename Payload>
class TimerHeap {
public:
    using Clock = std::chrono::steady_clock;

    void add(Clock::time_point when, Payload p)
    {
        heap_.push_back(Entry{when, seq_++, std::move(p)});
        sift_up(heap_.size() - 1);
    }

    bool empty() const noexcept { return heap_.empty(); }
    std::size_t size() const noexcept { return heap_.size(); }
    Clock::time_point next_due() const noexcept { return heap_.empty() ? Clock::time_point::max() : heap_.front().when; }

    // Moves every payload due at `now` into `out`, in due order.
    void pop_due(Clock::time_point now, std::vector<Payload>& out)
    {
        while (!heap_.empty() && heap_.front().when <= now) {
            out.push_back(std::move(heap_.front().payload));
            heap_.front() = std::move(heap_.back());
            heap_.pop_back();
            if (!heap_.empty()) {
                sift_down(0);
            }
        }
    }

private:
    struct Entry {
        Clock::time_point when;
        std::uint64_t seq;
        Payload payload;
    };
    static bool before(const Entry& a, const Entry& b) noexcept
    {
        return a.when < b.when || (a.when == b.when && a.seq < b.seq);
    }
    void sift_up(std::size_t i)
    {
        while (i > 0) {
            std::size_t parent = (i - 1) / 2;
            if (!before(heap_[i], heap_[parent])) {
                break;
            }
            std::swap(heap_[i], heap_[parent]);
            i = parent;
        }
    }
    void sift_down(std::size_t i)
    {
        for (;;) {
            std::size_t l = 2 * i + 1, r = l + 1, m = i;
            if (l < heap_.size() && before(heap_[l], heap_[m])) m = l;
            if (r < heap_.size() && before(heap_[r], heap_[m])) m = r;
            if (m == i) break;
            std::swap(heap_[i], heap_[m]);
            i = m;
        }
    }

    std::vector<Entry> heap_;
    std::uint64_t seq_ = 0;
};

}  // namespace mpmcxx
