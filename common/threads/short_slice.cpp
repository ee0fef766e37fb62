#include "common/threads/short_slice.h"

#include <sys/syscall.h>
#include <unistd.h>

namespace mpmcxx {

namespace {

// The kernel's struct sched_attr (glibc 2.36 has no wrapper for sched_setattr).
struct SchedAttr {
    std::uint32_t size;
    std::uint32_t sched_policy;
    std::uint64_t sched_flags;
    std::int32_t sched_nice;
    std::uint32_t sched_priority;
    std::uint64_t sched_runtime;
    std::uint64_t sched_deadline;
    std::uint64_t sched_period;
};

constexpr std::uint32_t kSchedOther = 0;
constexpr std::uint32_t kSchedBatch = 3;

}  // namespace

bool request_short_slice(std::uint64_t ns) noexcept
{
#if defined(SYS_sched_setattr) && defined(SYS_sched_getattr)
    // Read first: policy and nice value stay what the administrator set (nice, chrt); only the slice
    // changes, and only for the time-sharing policies it means something for.
    SchedAttr attr{};
    if (::syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) != 0 ||
        (attr.sched_policy != kSchedOther && attr.sched_policy != kSchedBatch)) {
        return false;
    }
    attr.size = sizeof attr;
    attr.sched_flags = 0;
    attr.sched_runtime = ns;
    return ::syscall(SYS_sched_setattr, 0, &attr, 0) == 0;
#else
    (void)ns;
    return false;
#endif
}

}  // namespace mpmcxx
