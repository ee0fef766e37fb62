#pragma once
// The socket each worker thread is serving, so an immediate stop can shut them all down from the main
// thread and every worker blocked in a read or write returns at once. shutdown(), not close(): the
// descriptor stays owned by the worker (closing it under the worker could hand its number to a file
// another thread opens next). A per-worker lock orders "worker clears its entry and closes" against
// "main thread shuts it down".

#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <mutex>

namespace mpmcxx {

class ActiveSockets {
public:
    explicit ActiveSockets(int workers) : entries_(std::make_unique<Entry[]>(static_cast<std::size_t>(workers))), n_(workers) {}

    void set(int worker, int fd) noexcept
    {
        Entry& e = entries_[static_cast<std::size_t>(worker)];
        std::lock_guard lock(e.mutex);
        e.fd = fd;
        if (stopping_) {
            ::shutdown(fd, SHUT_RDWR);  // a connection picked up as the stop began
        }
    }
    void clear(int worker) noexcept
    {
        Entry& e = entries_[static_cast<std::size_t>(worker)];
        std::lock_guard lock(e.mutex);
        e.fd = -1;
    }
    // Ends the reading side of one worker's connection: a worker blocked waiting for the next request
    // sees end-of-file and closes the connection normally.
    void shutdown_read(int worker) noexcept
    {
        Entry& e = entries_[static_cast<std::size_t>(worker)];
        std::lock_guard lock(e.mutex);
        if (e.fd >= 0) {
            ::shutdown(e.fd, SHUT_RD);
        }
    }
    void shutdown_all() noexcept
    {
        stopping_ = true;
        for (int i = 0; i < n_; ++i) {
            Entry& e = entries_[static_cast<std::size_t>(i)];
            std::lock_guard lock(e.mutex);
            if (e.fd >= 0) {
                ::shutdown(e.fd, SHUT_RDWR);
            }
        }
    }

private:
    struct Entry {
        std::mutex mutex;
        int fd = -1;
    };
    std::unique_ptr<Entry[]> entries_;
    int n_;
    std::atomic<bool> stopping_{false};
};

}  // namespace mpmcxx
