#include "common/threads/worker_threads.h"

#include "common/base/c_boundary.h"
#include "common/base/log_ids.h"
#include "common/scoreboard/scoreboard.h"
#include "common/threads/thread_exit.h"

namespace mpmcxx {

WorkerThreads::WorkerThreads(int slot, int workers, apr_pool_t* pool, void* owner, Body body)
    : slot_(slot),
      pool_(pool),
      owner_(owner),
      body_(body),
      entries_(slot, workers),
      threads_(static_cast<std::size_t>(workers), nullptr),
      args_(static_cast<std::size_t>(workers))
{
}

apr_threadattr_t* WorkerThreads::attr() noexcept
{
    if (attr_ == nullptr) {
        apr_threadattr_create(&attr_, pool_);
        apr_threadattr_detach_set(attr_, 0);
        if (ap_thread_stacksize != 0) {
            apr_status_t rv = apr_threadattr_stacksize_set(attr_, ap_thread_stacksize);
            if (rv != APR_SUCCESS && rv != APR_ENOTIMPL) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, rv, ap_server_conf,
                             CXXLOGNO(02435) "WARNING: ThreadStackSize of %" APR_SIZE_T_FMT
                                             " is inappropriate, using default",
                             ap_thread_stacksize);
            }
        }
    }
    return attr_;
}

void* APR_THREAD_FUNC WorkerThreads::trampoline(apr_thread_t* thread, void* p)
{
    auto* arg = static_cast<Arg*>(p);
    WorkerThreads* self = arg->self;
    c_boundary_void("worker thread", [&] { self->body_(self->owner_, arg->worker, thread); });
    self->live_.fetch_sub(1, std::memory_order_acq_rel);
    exit_thread(thread);
    return nullptr;
}

bool WorkerThreads::start_more() noexcept
{
    std::vector<int> ready;
    try {
        ready = entries_.claim();
    } catch (...) {
        return false;
    }
    apr_threadattr_t* a = attr();
    for (int i : ready) {
        auto idx = static_cast<std::size_t>(i);
        args_[idx] = Arg{this, i};
        live_.fetch_add(1, std::memory_order_acq_rel);
        apr_status_t rv = ap_thread_create(&threads_[idx], a, trampoline, &args_[idx], pool_);
        if (rv != APR_SUCCESS) {
            live_.fetch_sub(1, std::memory_order_acq_rel);
            threads_[idx] = nullptr;
            sb::set_status(slot_, entries_.entry(i), SERVER_DEAD);
            ap_log_error(APLOG_MARK, APLOG_ALERT, rv, ap_server_conf,
                         CXXLOGNO(03142) "ap_thread_create: unable to create worker thread");
            return false;
        }
    }
    return true;
}

void WorkerThreads::join_all() noexcept
{
    apr_status_t thread_rv;
    for (apr_thread_t* t : threads_) {
        if (t != nullptr) {
            apr_thread_join(&thread_rv, t);
        }
    }
}

}  // namespace mpmcxx
