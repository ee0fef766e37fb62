#include "common/config/async_factor.h"

#include <cctype>
#include <cmath>

namespace mpmcxx::config {

std::optional<double> parse_async_factor(std::string_view text) noexcept
{
    // digits[.digits] or .digits: what an administrator writes; no sign, exponent, inf or nan.
    std::size_t i = 0;
    double value = 0;
    bool digits = false;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        value = value * 10 + (text[i] - '0');
        digits = true;
        ++i;
    }
    if (i < text.size() && text[i] == '.') {
        ++i;
        double scale = 0.1;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            value += (text[i] - '0') * scale;
            scale /= 10;
            digits = true;
            ++i;
        }
    }
    if (!digits || i != text.size() || !std::isfinite(value) || value <= 0 || value > 1e6) {
        return std::nullopt;
    }
    return value < 1.0 ? 1.0 : value;
}

std::string async_factor_error(std::string_view text)
{
    std::string msg = "AsyncRequestWorkerFactor: '";
    msg.append(text).append("' is not a positive number");
    return msg;
}

bool below_connection_limit(unsigned open, unsigned lingering, unsigned idle_workers, unsigned workers,
                            bool listeners_disabled, int threads_per_child, double factor) noexcept
{
    if (idle_workers == 0) {
        return false;
    }
    if (open <= lingering) {
        return true;
    }
    const bool hysteresis = listeners_disabled && idle_workers < workers;
    double idle = static_cast<double>(idle_workers) - (hysteresis ? 1.0 : 0.0);
    if (idle < 0) {
        idle = 0;
    }
    double limit = static_cast<double>(threads_per_child) + idle * factor;
    return static_cast<double>(open - lingering) < limit;
}

bool leave_to_peers(unsigned open, unsigned lingering, int threads_per_child, const PeerLoad* peers,
                    std::size_t npeers) noexcept
{
    unsigned active = open > lingering ? open - lingering : 0;
    if (threads_per_child <= 0 || active < static_cast<unsigned>(threads_per_child)) {
        return false;
    }
    for (std::size_t i = 0; i < npeers; ++i) {
        if (peers[i].accepting && peers[i].connections < static_cast<unsigned>(threads_per_child)) {
            return true;
        }
    }
    return false;
}

}  // namespace mpmcxx::config
