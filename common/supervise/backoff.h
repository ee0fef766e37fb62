#pragma once
// Exponential back-off with an injected clock: used where the stock MPMs either spin (accept() failing
// with EMFILE), exit (and get re-forked into the same failure) or block the whole parent (sleep(10) after
// a failed fork()).

#include <chrono>

namespace mpmcxx {

class Backoff {
public:
    using Clock = std::chrono::steady_clock;

    Backoff(Clock::duration initial, Clock::duration max) noexcept : initial_(initial), max_(max) {}

    // A failure at `now`: the next attempt waits the current delay, which then doubles up to max.
    void failed(Clock::time_point now) noexcept
    {
        delay_ = delay_ == Clock::duration::zero() ? initial_ : delay_ * 2;
        if (delay_ > max_) {
            delay_ = max_;
        }
        not_before_ = now + delay_;
        ++failures_;
    }
    void succeeded() noexcept
    {
        delay_ = Clock::duration::zero();
        not_before_ = Clock::time_point{};
        failures_ = 0;
    }
    bool ready(Clock::time_point now) const noexcept { return now >= not_before_; }
    Clock::duration remaining(Clock::time_point now) const noexcept
    {
        return ready(now) ? Clock::duration::zero() : not_before_ - now;
    }
    Clock::duration delay() const noexcept { return delay_; }
    int failures() const noexcept { return failures_; }

private:
    Clock::duration initial_;
    Clock::duration max_;
    Clock::duration delay_{};
    Clock::time_point not_before_{};
    int failures_ = 0;
};

}  // namespace mpmcxx
