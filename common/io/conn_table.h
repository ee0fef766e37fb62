#pragma once
// Ownership of waiting connections in a child where every worker thread waits on one shared epoll set
// (event MPM). A waiting connection is armed EPOLLONESHOT and sits in a timeout queue; it can be claimed
// either by the thread that receives its readiness event or by the thread expiring timeouts, and exactly
// one of them must win. Readiness events can also be stale: delivered for a connection that another
// thread already claimed, closed, and whose slot now serves a new connection.
//
// So each connection lives in a slot that is never freed while the child runs (stale pointers stay
// memory-safe), and carries a 64-bit tag: generation << 2 | state. An event carries (slot, generation);
// claiming is a compare-and-swap from WAITING or ARMING to OWNED with the expected generation. The owner
// re-arms in two steps (ARMING, then epoll_ctl, then CAS ARMING->WAITING) so that an event firing between
// the epoll_ctl and the CAS is not lost: the event thread may claim an ARMING slot; the timeout thread
// may not (the arming thread still uses the descriptor).
//
// Plain C++ (atomics only); unit-tested under ThreadSanitizer.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace mpmcxx {

enum class SlotState : std::uint64_t { free = 0, owned = 1, arming = 2, waiting = 3 };

struct SlotTag {
    static constexpr std::uint64_t pack(std::uint64_t gen, SlotState s) noexcept
    {
        return gen << 2 | static_cast<std::uint64_t>(s);
    }
    static constexpr std::uint64_t generation(std::uint64_t tag) noexcept { return tag >> 2; }
    static constexpr SlotState state(std::uint64_t tag) noexcept { return static_cast<SlotState>(tag & 3); }
};

// T is the per-connection data; it gets an `std::atomic<std::uint64_t> tag` and a `std::uint32_t index`.
template <typename T>
class ConnTable {
public:
    static constexpr std::uint32_t kChunk = 256;
    static constexpr std::uint32_t kMaxChunks = 4096;  // 1M connections per child at most

    ConnTable() : chunks_(std::make_unique<std::atomic<T*>[]>(kMaxChunks)) {}
    ~ConnTable()
    {
        for (std::uint32_t i = 0; i < nchunks_; ++i) {
            delete[] chunks_[i].load();
        }
    }
    ConnTable(const ConnTable&) = delete;
    ConnTable& operator=(const ConnTable&) = delete;

    // A free slot, owned by the caller, with a fresh generation. nullptr if out of memory.
    T* acquire()
    {
        std::lock_guard lock(mutex_);
        if (free_.empty()) {
            if (nchunks_ == kMaxChunks) {
                return nullptr;
            }
            auto chunk = std::make_unique<T[]>(kChunk);
            auto base = nchunks_ * kChunk;
            for (std::uint32_t i = 0; i < kChunk; ++i) {
                chunk[i].index = base + i;
                free_.push_back(base + (kChunk - 1 - i));
            }
            chunks_[nchunks_].store(chunk.release(), std::memory_order_release);
            ++nchunks_;
        }
        T& s = at(free_.back());
        free_.pop_back();
        std::uint64_t gen = SlotTag::generation(s.tag.load(std::memory_order_relaxed)) + 1;
        s.tag.store(SlotTag::pack(gen, SlotState::owned), std::memory_order_release);
        ++in_use_;
        return &s;
    }

    // The owner gives the slot back; stale events for it are ignored from now on.
    void release(T& s)
    {
        std::uint64_t gen = SlotTag::generation(s.tag.load(std::memory_order_relaxed));
        s.tag.store(SlotTag::pack(gen + 1, SlotState::free), std::memory_order_release);
        std::lock_guard lock(mutex_);
        free_.push_back(s.index);
        --in_use_;
    }

    // nullptr if index is out of range (a corrupt event). Lock-free: called for every readiness event.
    T* find(std::uint32_t index) noexcept
    {
        if (index / kChunk >= kMaxChunks) {
            return nullptr;
        }
        T* chunk = chunks_[index / kChunk].load(std::memory_order_acquire);
        return chunk == nullptr ? nullptr : &chunk[index % kChunk];
    }

    std::size_t in_use() const
    {
        std::lock_guard lock(mutex_);
        return in_use_;
    }

    // For the epoll data word.
    static std::uint64_t event_key(const T& s) noexcept
    {
        return (static_cast<std::uint64_t>(s.index) << 32) |
               (SlotTag::generation(s.tag.load(std::memory_order_relaxed)) & 0xffffffffu);
    }
    static std::uint32_t key_index(std::uint64_t key) noexcept { return static_cast<std::uint32_t>(key >> 32); }
    static std::uint32_t key_generation(std::uint64_t key) noexcept { return static_cast<std::uint32_t>(key); }

    // Owner: about to arm (call before epoll_ctl, and take the event key after it). Every arming gets a
    // generation of its own: otherwise, once a readiness event has taken the slot from an arming thread
    // that has not reached finish_arming yet, and the new owner arms it again, the first thread's
    // finish_arming would complete the second arming (same generation, same state) and the slot would
    // read WAITING before it is armed: the timeout thread could then close it under the arming thread.
    // Returns the arming's token for finish_arming.
    static std::uint64_t begin_arming(T& s) noexcept
    {
        std::uint64_t gen = SlotTag::generation(s.tag.load(std::memory_order_relaxed)) + 1;
        std::uint64_t armed = SlotTag::pack(gen, SlotState::arming);
        s.tag.store(armed, std::memory_order_release);
        return armed;
    }
    // Owner: armed. False if a readiness event claimed it meanwhile (the owner must not touch it again).
    static bool finish_arming(T& s, std::uint64_t armed) noexcept
    {
        return s.tag.compare_exchange_strong(armed, SlotTag::pack(SlotTag::generation(armed), SlotState::waiting),
                                             std::memory_order_acq_rel);
    }
    // Owner: waiting without being armed in epoll (a suspended connection).
    static void park(T& s) noexcept { set_state(s, SlotState::waiting); }

    // The thread that received a readiness event with `key`.
    static bool claim_by_event(T& s, std::uint64_t key) noexcept
    {
        std::uint64_t tag = s.tag.load(std::memory_order_acquire);
        if ((SlotTag::generation(tag) & 0xffffffffu) != key_generation(key)) {
            return false;  // stale
        }
        SlotState st = SlotTag::state(tag);
        if (st != SlotState::waiting && st != SlotState::arming) {
            return false;
        }
        return s.tag.compare_exchange_strong(tag, SlotTag::pack(SlotTag::generation(tag), SlotState::owned),
                                             std::memory_order_acq_rel);
    }
    // The thread expiring timeouts (or stopping the child): only a fully armed, waiting connection.
    static bool claim_waiting(T& s) noexcept
    {
        std::uint64_t tag = s.tag.load(std::memory_order_acquire);
        if (SlotTag::state(tag) != SlotState::waiting) {
            return false;
        }
        return s.tag.compare_exchange_strong(tag, SlotTag::pack(SlotTag::generation(tag), SlotState::owned),
                                             std::memory_order_acq_rel);
    }
    static SlotState state(const T& s) noexcept { return SlotTag::state(s.tag.load(std::memory_order_acquire)); }

private:
    static void set_state(T& s, SlotState st) noexcept
    {
        std::uint64_t gen = SlotTag::generation(s.tag.load(std::memory_order_relaxed));
        s.tag.store(SlotTag::pack(gen, st), std::memory_order_release);
    }
    T& at(std::uint32_t index) { return chunks_[index / kChunk].load(std::memory_order_relaxed)[index % kChunk]; }

    mutable std::mutex mutex_;
    std::unique_ptr<std::atomic<T*>[]> chunks_;  // chunks never move or go away while the table lives
    std::uint32_t nchunks_ = 0;                  // mutex_
    std::vector<std::uint32_t> free_;
    std::size_t in_use_ = 0;
};

}  // namespace mpmcxx
