#pragma once
// A threaded child's worker threads: their scoreboard entries (ThreadEntries), creation with the
// configured ThreadStackSize, the count of those still running, and joining.

#include <atomic>
#include <vector>

#include "common/base/httpd.h"
#include "common/threads/thread_entries.h"

namespace mpmcxx {

class WorkerThreads {
public:
    // body(owner, worker, thread) is a worker's whole life; it runs behind the C boundary.
    using Body = void (*)(void* owner, int worker, apr_thread_t* thread);

    WorkerThreads(int slot, int workers, apr_pool_t* pool, void* owner, Body body);
    WorkerThreads(const WorkerThreads&) = delete;
    WorkerThreads& operator=(const WorkerThreads&) = delete;

    // Starts the workers that can get a scoreboard entry now. False if a thread could not be created.
    bool start_more() noexcept;

    bool complete() const noexcept { return entries_.complete(); }
    int entry(int worker) const noexcept { return entries_.entry(worker); }
    int live() const noexcept { return live_.load(std::memory_order_acquire); }
    apr_threadattr_t* attr() noexcept;  // for the child's other threads (a listener)
    void join_all() noexcept;

private:
    struct Arg {
        WorkerThreads* self;
        int worker;
    };
    static void* APR_THREAD_FUNC trampoline(apr_thread_t* thread, void* arg);

    int slot_;
    apr_pool_t* pool_;
    void* owner_;
    Body body_;
    ThreadEntries entries_;
    apr_threadattr_t* attr_ = nullptr;
    std::vector<apr_thread_t*> threads_;
    std::vector<Arg> args_;
    std::atomic<int> live_{0};
};

}  // namespace mpmcxx
