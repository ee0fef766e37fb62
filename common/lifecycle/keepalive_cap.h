#pragma once
// How long a draining child lets a connection wait for its next request. Draining children keep
// keep-alive connections open rather than closing them under a client that may be sending its next
// request (drain.h), but a wait that has lasted this long is as safe to end as a keep-alive timeout,
// and without a cap a graceful stop or restart lasts as long as KeepAliveTimeout (stock prefork and
// worker: up to KeepAliveTimeout for every idle connection).

#include <chrono>
#include <vector>

namespace mpmcxx {

inline constexpr std::chrono::seconds kDrainKeepAliveCap{2};

// One entry per worker; the caller looks at its workers' scoreboard entries now and then.
class KeepAliveCap {
public:
    using Clock = std::chrono::steady_clock;

    KeepAliveCap(int workers, Clock::duration cap) : seen_(static_cast<std::size_t>(workers > 0 ? workers : 0)), cap_(cap) {}

    // True if `worker` has been waiting for the same connection's next request (keep-alive status, request
    // count unchanged) for `cap` or longer, as seen by this and earlier looks.
    bool overdue(int worker, bool keepalive_wait, unsigned long requests, Clock::time_point now) noexcept
    {
        if (worker < 0 || static_cast<std::size_t>(worker) >= seen_.size()) {
            return false;
        }
        Seen& s = seen_[static_cast<std::size_t>(worker)];
        if (!keepalive_wait) {
            s.waiting = false;
            return false;
        }
        if (!s.waiting || s.requests != requests) {
            s = Seen{true, requests, now};
            return false;
        }
        return now - s.since >= cap_;
    }

private:
    struct Seen {
        bool waiting = false;
        unsigned long requests = 0;
        Clock::time_point since{};
    };
    std::vector<Seen> seen_;
    Clock::duration cap_;
};

}  // namespace mpmcxx
