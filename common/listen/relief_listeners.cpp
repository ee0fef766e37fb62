#include "common/listen/relief_listeners.h"

#include "common/listen/accept_result.h"

namespace mpmcxx {

void ReliefListeners::add(ap_listen_rec* listeners) noexcept
{
    try {
        for (ap_listen_rec* lr = listeners; lr != nullptr; lr = lr->next) {
            if (lr->sd != nullptr && lr->active) {
                apr_socket_opt_set(lr->sd, APR_SO_NONBLOCK, 1);
                listeners_.push_back(lr);
            }
        }
    } catch (...) {
    }
}

apr_socket_t* ReliefListeners::take(apr_pool_t* p) noexcept
{
    const std::size_t n = listeners_.size();
    const std::size_t start = n > 0 ? next_.fetch_add(1, std::memory_order_relaxed) : 0;
    for (std::size_t i = 0; i < n; ++i) {
        ap_listen_rec* lr = listeners_[(start + i) % n];
        apr_socket_t* s = nullptr;
        if (lr->active && accept_connection(lr, p, &s) == AcceptOutcome::accepted) {
            return s;
        }
    }
    return nullptr;
}

}  // namespace mpmcxx
