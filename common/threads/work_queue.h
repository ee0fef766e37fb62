#pragma once
// The hand-off between a threaded child's listener thread and its workers, with idle-worker accounting:
// the listener reserves an idle worker *before* it accepts, so an accepted connection is never queued
// behind busy workers (connections wait in the kernel's listen queue instead, where another child may
// take them). Plain C++ (no httpd types), unit-tested under ThreadSanitizer.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

namespace mpmcxx {

template <typename Item>
class WorkQueue {
public:
    // Worker: wait for an item. The caller counts as idle while it waits. nullopt means "exit": the queue
    // was stopped, or is draining with nothing queued and nothing promised. A worker the listener has
    // reserved (it may be accepting right now) stays until the item arrives or the reservation is
    // returned, so a connection accepted as a graceful stop begins is still served.
    std::optional<Item> pop()
    {
        std::unique_lock lock(mutex_);
        ++available_;
        ++waiting_;
        idle_changed_.notify_one();
        item_ready_.wait(lock, [this] {
            return !items_.empty() || mode_ == Mode::stopped || (mode_ == Mode::draining && available_ > 0);
        });
        --waiting_;
        if (mode_ == Mode::stopped || items_.empty()) {
            // Leaving for good: this worker's idleness can no longer be reserved.
            --available_;
            return std::nullopt;
        }
        Item item = std::move(items_.front());
        items_.pop_front();
        return item;
    }

    // Listener: wait until a worker is idle and claim it. False once the queue is draining or stopped.
    bool reserve_idle_worker()
    {
        std::unique_lock lock(mutex_);
        idle_changed_.wait(lock, [this] { return available_ > 0 || mode_ != Mode::running; });
        if (mode_ != Mode::running) {
            return false;
        }
        --available_;
        return true;
    }

    // Listener: hand an item to the reserved worker.
    void push(Item item)
    {
        {
            std::lock_guard lock(mutex_);
            items_.push_back(std::move(item));
        }
        item_ready_.notify_one();
    }

    // Listener: the reservation was not used (it woke up for something else).
    void unreserve()
    {
        {
            std::lock_guard lock(mutex_);
            ++available_;
        }
        item_ready_.notify_all();  // a draining worker may now leave
    }

    // Graceful stop: queued items are still served, then every pop() returns nullopt.
    void drain() { set_mode(Mode::draining); }

    // Immediate stop: pop() returns nullopt now; queued items are left for take_remaining().
    void stop() { set_mode(Mode::stopped); }

    std::vector<Item> take_remaining()
    {
        std::lock_guard lock(mutex_);
        std::vector<Item> out(std::make_move_iterator(items_.begin()), std::make_move_iterator(items_.end()));
        items_.clear();
        return out;
    }

    // Workers waiting in pop() right now, and how many of them the listener has not claimed.
    int waiting() const
    {
        std::lock_guard lock(mutex_);
        return waiting_;
    }
    int available() const
    {
        std::lock_guard lock(mutex_);
        return available_;
    }

private:
    enum class Mode { running, draining, stopped };

    void set_mode(Mode m)
    {
        {
            std::lock_guard lock(mutex_);
            if (mode_ == Mode::stopped) {
                return;
            }
            mode_ = m;
        }
        item_ready_.notify_all();
        idle_changed_.notify_all();
    }

    mutable std::mutex mutex_;
    std::condition_variable item_ready_;
    std::condition_variable idle_changed_;
    std::deque<Item> items_;
    int available_ = 0;
    int waiting_ = 0;
    Mode mode_ = Mode::running;
};

}  // namespace mpmcxx
