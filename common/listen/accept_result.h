#pragma once
// One accept() on a non-blocking listener, with the stock classification of its errors (os/unix's
// ap_unixd_accept), minus its one flaw: a shortage of descriptors or memory is reported to the caller,
// who pauses accepting, instead of ending the child.

#include "common/base/httpd.h"

namespace mpmcxx {

enum class AcceptOutcome {
    accepted,  // *out holds the new connection's socket (in ptrans)
    retry,     // nothing to take (another process was faster, or the client left): wait again
    shortage,  // EMFILE, ENFILE, ENOBUFS, ENOMEM: pause accepting for a while
    gone,      // the listener was closed by a stop or restart
    sick,      // an error the child should not survive (logged)
};

AcceptOutcome accept_connection(ap_listen_rec* lr, apr_pool_t* ptrans, apr_socket_t** out) noexcept;

}  // namespace mpmcxx
