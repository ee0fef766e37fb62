#pragma once
// How the parent escalates while waiting for children to exit on a stop or restart: the stock schedule
// (SIGTERM now if asked, again at 3, 5 and 7 s with a warning, SIGKILL at 9 s, give up at 10 s), polled
// finely. Stock polls at 16 ms, 64 ms, 256 ms and then once a second, so a stop that takes 0.4 s is
// noticed at 1.4 s; we poll every 10 ms, doubling to 100 ms.

#include <chrono>

namespace mpmcxx {

enum class ReclaimAction { none, sigterm_quiet, sigterm, sigkill, give_up };

class ReclaimSchedule {
public:
    using Clock = std::chrono::steady_clock;

    ReclaimSchedule(Clock::time_point start, bool terminate_first) noexcept
        : start_(start), next_(terminate_first ? 0 : 1)
    {
    }

    // The action due at `now`, at most one per call, in order.
    ReclaimAction due(Clock::time_point now) noexcept
    {
        static constexpr struct {
            ReclaimAction action;
            int ms;
        } table[] = {
            {ReclaimAction::sigterm_quiet, 0}, {ReclaimAction::sigterm, 3000}, {ReclaimAction::sigterm, 5000},
            {ReclaimAction::sigterm, 7000},    {ReclaimAction::sigkill, 9000}, {ReclaimAction::give_up, 10000},
        };
        constexpr int n = sizeof table / sizeof table[0];
        if (next_ < n && now - start_ >= std::chrono::milliseconds(table[next_].ms)) {
            return table[next_++].action;
        }
        return ReclaimAction::none;
    }

    // How long to sleep before the next look.
    Clock::duration next_poll() noexcept
    {
        auto d = poll_;
        poll_ = poll_ * 2 > std::chrono::milliseconds(100) ? std::chrono::milliseconds(100) : poll_ * 2;
        return d;
    }

private:
    Clock::time_point start_;
    int next_;
    Clock::duration poll_ = std::chrono::milliseconds(10);
};

}  // namespace mpmcxx
