#pragma once
// How long a graceful stop waits for children: until they are all gone, or GracefulShutdownTimeout
// seconds (0 = no limit, as stock), or a new stop request.

#include <chrono>

namespace mpmcxx {

class DrainDeadline {
public:
    using Clock = std::chrono::steady_clock;

    DrainDeadline(Clock::time_point start, int timeout_seconds) noexcept
        : limited_(timeout_seconds > 0), end_(start + std::chrono::seconds(timeout_seconds > 0 ? timeout_seconds : 0))
    {
    }

    bool expired(Clock::time_point now) const noexcept { return limited_ && now >= end_; }

    // How long the caller may sleep before it must look again (never past the deadline).
    Clock::duration next_wait(Clock::time_point now, Clock::duration poll) const noexcept
    {
        if (!limited_ || end_ - now > poll) {
            return poll;
        }
        return now >= end_ ? Clock::duration::zero() : end_ - now;
    }

private:
    bool limited_;
    Clock::time_point end_;
};

}  // namespace mpmcxx
