#pragma once
// Asks the kernel for a short time slice for the calling thread (Linux 6.12+, EEVDF: the slice of a
// SCHED_OTHER task is a latency hint; a shorter one gives an earlier deadline, so a task that has just
// woken runs sooner, and preempts sooner). An event worker thread runs for tens of microseconds per
// ready connection and then waits again; with the default slice (0.7-3 ms) and more runnable threads
// than cores, some connections waited tens of milliseconds for their thread (BENCHMARKS.md). Older
// kernels ignore the hint; failure changes nothing and is not an error.

#include <cstdint>

namespace mpmcxx {

inline constexpr std::uint64_t kWorkerSliceNs = 100'000;  // 0.1 ms, the shortest the kernel takes

// True if the kernel took it.
bool request_short_slice(std::uint64_t ns = kWorkerSliceNs) noexcept;

}  // namespace mpmcxx
