#include "common/listen/accept_result.h"

#include <cerrno>

#include "common/base/log_ids.h"

namespace mpmcxx {

AcceptOutcome accept_connection(ap_listen_rec* lr, apr_pool_t* ptrans, apr_socket_t** out) noexcept
{
    *out = nullptr;
    apr_status_t rv = apr_socket_accept(out, lr->sd, ptrans);
    if (rv == APR_SUCCESS) {
        return AcceptOutcome::accepted;
    }
    *out = nullptr;
    // The client went away between the handshake and accept(), or another process took it.
    if (APR_STATUS_IS_EAGAIN(rv) || APR_STATUS_IS_EINTR(rv) || APR_STATUS_IS_ECONNABORTED(rv) ||
        rv == APR_FROM_OS_ERROR(EPROTO) || rv == APR_FROM_OS_ERROR(ECONNRESET) ||
        rv == APR_FROM_OS_ERROR(ETIMEDOUT) || rv == APR_FROM_OS_ERROR(EHOSTUNREACH) ||
        rv == APR_FROM_OS_ERROR(ENETUNREACH) || rv == APR_FROM_OS_ERROR(EPERM)) {
        return AcceptOutcome::retry;
    }
    if (rv == APR_FROM_OS_ERROR(EMFILE) || rv == APR_FROM_OS_ERROR(ENFILE) || rv == APR_FROM_OS_ERROR(ENOBUFS) ||
        rv == APR_FROM_OS_ERROR(ENOMEM)) {
        return AcceptOutcome::shortage;
    }
    if (rv == APR_FROM_OS_ERROR(ENETDOWN)) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, ap_server_conf, CXXLOGNO(02177) "apr_socket_accept: giving up.");
        return AcceptOutcome::sick;
    }
    if (!lr->active || APR_STATUS_IS_EBADF(rv) || rv == APR_FROM_OS_ERROR(EINVAL)) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, rv, ap_server_conf,
                     CXXLOGNO(02178) "apr_socket_accept failed for inactive listener");
        return AcceptOutcome::gone;
    }
    ap_log_error(APLOG_MARK, APLOG_ERR, rv, ap_server_conf, CXXLOGNO(02179) "apr_socket_accept: (client socket)");
    return AcceptOutcome::sick;
}

}  // namespace mpmcxx
