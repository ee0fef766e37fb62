#pragma once
// The bytes of a request head that a thread read while judging it (connection.cpp, wait_for_head) go to
// the core's input filter, ahead of its socket bucket, so that the modules read them as if the core had
// read them from the socket.
//
// Why read rather than peek: a peek leaves the bytes in the socket and the core reads them again, one
// system call more per request (BENCHMARKS.md, "The request head is read once"). Bytes read are no longer
// readable, so a wait for the rest of a head needs no SO_RCVLOWAT either.
//
// Until the core's input filter first runs it has no brigade: bytes read before then are held here and
// handed over by the insert_network_bucket hook (the hook httpd gives MPMs for this), which runs when the
// filter creates its brigade; the core then adds its socket bucket after them. From then on new bytes go
// into that brigade directly, before the socket bucket. The core does all the reading of them (lines,
// byte counts, pipelining, its own error paths), unchanged.

#include <cstddef>
#include <string_view>

#include "common/base/httpd.h"

namespace mpmcxx::event {

struct ReadAhead {
    apr_bucket_brigade* held;  // read before the core's input filter had a brigade
    apr_bucket_brigade* core;  // that filter's brigade, once it has one
};

ReadAhead* make_read_ahead(conn_rec* c) noexcept;

// insert_network_bucket: the held bytes go first into the core's new brigade.
void read_ahead_to_core(ReadAhead& ra, apr_bucket_brigade* core) noexcept;

// Bytes read from the socket and not yet consumed by the modules.
std::size_t read_ahead_length(const ReadAhead& ra) noexcept;

// Appends `len` bytes just read from the socket (in `buf`, from apr_bucket_alloc; owned from here on).
void read_ahead_append(ReadAhead& ra, char* buf, std::size_t len, apr_bucket_alloc_t* ba) noexcept;

// The unconsumed bytes as one piece: a view of a single bucket, or a copy into `scratch` (up to `cap`).
std::string_view read_ahead_view(const ReadAhead& ra, char* scratch, std::size_t cap) noexcept;

}  // namespace mpmcxx::event
