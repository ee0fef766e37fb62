#pragma once
// ThreadSanitizer only: a scope in which this thread's memory accesses (including the descriptor
// accesses TSan's interceptors record for system calls) are not checked. For the one place where the
// kernel, not memory, orders two threads: once epoll_ctl has armed a descriptor, a readiness event may
// hand it to another thread, which may close it before epoll_ctl has even returned to its caller. The
// kernel holds its own reference for the length of the call, so that close is safe, but no user-space
// synchronisation can precede it, and TSan would report the pair as a race. Empty in other builds.

#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
#endif

namespace mpmcxx {

class TsanIgnoreScope {
public:
#if defined(__SANITIZE_THREAD__)
    TsanIgnoreScope() noexcept { __tsan_ignore_thread_begin(); }
    ~TsanIgnoreScope() { __tsan_ignore_thread_end(); }
#else
    TsanIgnoreScope() noexcept = default;
#endif
    TsanIgnoreScope(const TsanIgnoreScope&) = delete;
    TsanIgnoreScope& operator=(const TsanIgnoreScope&) = delete;
};

}  // namespace mpmcxx
