#pragma once
// Whether the bytes waiting on a new or keep-alive connection hold a whole HTTP/1 request head (request
// line and header fields up to the empty line), judged from the bytes read so far.
//
// event_cxx waits for the whole head without a thread (docs/event.md, "Request heads"): a client that
// sends its request slowly (slowloris) then holds a socket, not a worker. Anything that does not look like
// the start of an HTTP/1 request (TLS, HTTP/2 frames, another protocol, garbage) is not ours to judge and
// goes to the protocol modules at once, as does a head larger than `cap`.

#include <cstddef>
#include <string_view>

namespace mpmcxx {

enum class HeadCheck {
    complete,    // a whole head (or an HTTP/0.9 request line) is there: process it
    incomplete,  // the start of an HTTP/1 request, more to come: wait without a thread
    not_ours,    // not an HTTP/1 request start, or more than `cap` bytes: let the modules read it
};

HeadCheck check_request_head(std::string_view data, std::size_t cap) noexcept;

}  // namespace mpmcxx
