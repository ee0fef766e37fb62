#pragma once
// AsyncRequestWorkerFactor: how many connections an event child accepts per idle worker thread, beyond
// ThreadsPerChild. Stock parses it with strtod (a positive number, floored to 1.0) but then divides it
// back with integer arithmetic, so the documented fractional values act as their integer part (1.5 -> 1).
// Ours honours the fraction.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mpmcxx::config {

inline constexpr double kDefaultAsyncFactor = 2.0;

// A positive decimal number (no exponent, no junk); values below 1 become 1 as in stock. nullopt if invalid.
std::optional<double> parse_async_factor(std::string_view text) noexcept;
std::string async_factor_error(std::string_view text);

// Whether a child may accept another connection: at least one worker idle, and
//   (open - lingering) < threads_per_child + (idle - (hysteresis ? 1 : 0)) * factor
// The -1 is stock's hysteresis against flip-flopping: listeners disabled at the limit come back only
// once there is room for a little more than one connection. It applies only while some of the
// `workers` running are busy: each of them re-checks when it becomes idle. With every worker idle no
// such re-check is coming, and the hysteresis would keep a child with room closed until a connection
// ends (stock behaves so: seconds of waiting, up to KeepAliveTimeout, for nothing).
bool below_connection_limit(unsigned open, unsigned lingering, unsigned idle_workers, unsigned workers,
                            bool listeners_disabled, int threads_per_child, double factor) noexcept;

// What a child knows of a sibling that takes connections from the same listeners (its scoreboard slot).
struct PeerLoad {
    bool accepting;            // alive, same generation and bucket, not stopping, listeners on
    unsigned connections;      // open connections, as it last published them
};

// Whether a child should leave new connections to its siblings for now: it already has a connection per
// thread, and a sibling has fewer. Why: the kernel wakes the child that registered on a listener first,
// so without this the first children fill up to the async limit (ThreadsPerChild + idle * factor) while
// the others idle, and their connections share a fraction of the threads (and the CPU) the server has.
bool leave_to_peers(unsigned open, unsigned lingering, int threads_per_child, const PeerLoad* peers,
                    std::size_t npeers) noexcept;

}  // namespace mpmcxx::config
