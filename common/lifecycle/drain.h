#pragma once
// Keep-alive-safe draining. When a child has been asked to stop gracefully it must not close a
// keep-alive connection under the client's feet: the client may already have sent its next request
// (that race is where stock prefork/worker lose requests on every graceful restart). httpd's HTTP/1.x
// code asks the MPM for its state at two points: while building a response (a "stopping" answer there
// makes the response say "Connection: close") and right after a response, before waiting for the next
// request (a "stopping" answer there drops the connection silently). So a draining child answers
// "stopping" everywhere except at that second point, which it recognises because httpd has just marked
// the worker BUSY_KEEPALIVE. The connection then ends after a response that announced the close, or on
// the client's own close or the keep-alive timeout.

namespace mpmcxx {

enum class ReportedState { running, stopping };

// What the caller's own scoreboard entry says when httpd asks.
enum class EntryStatus { busy_keepalive, marked_graceful, other };

// Whether a draining caller may be at the after-the-response point. httpd marks the entry BUSY_KEEPALIVE
// just before it asks there, but prefork's parent marks every child GRACEFUL when a graceful restart
// begins (as stock does), and that write can land between httpd's mark and its question. Reading
// GRACEFUL as "maybe there" costs at most one more request on the connection (whose response then says
// "Connection: close"); reading it as "not there" closes the connection under a request the client may
// already have sent.
constexpr bool maybe_after_response(EntryStatus s) noexcept { return s != EntryStatus::other; }

constexpr ReportedState reported_child_state(bool draining, bool worker_in_keepalive_wait) noexcept
{
    if (!draining || worker_in_keepalive_wait) {
        return ReportedState::running;
    }
    return ReportedState::stopping;
}

}  // namespace mpmcxx
