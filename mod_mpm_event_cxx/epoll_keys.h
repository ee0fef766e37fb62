#pragma once
// What an event in an event child's epoll set stands for (epoll_event.data.u64): the wake-up and timer
// descriptors, a listener, the accept kick, or else a connection (its ConnTable key, always below these).

#include <cstddef>
#include <cstdint>

namespace mpmcxx::event {

inline constexpr std::uint64_t kWakeKey = ~std::uint64_t{0};
inline constexpr std::uint64_t kTimerKey = ~std::uint64_t{0} - 1;
inline constexpr std::uint64_t kFirstListenerKey = ~std::uint64_t{0} - 2;  // listener i: kFirstListenerKey - i
inline constexpr std::size_t kMaxListeners = 1u << 20;
inline constexpr std::uint64_t kKickKey = kFirstListenerKey - kMaxListeners;  // below every listener's key

}  // namespace mpmcxx::event
