#include "common/listen/acceptor.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <system_error>

#include "common/base/log_ids.h"
#include "common/listen/accept_result.h"

namespace mpmcxx {
namespace {
constexpr std::uint64_t kPodTag = ~std::uint64_t{0};
constexpr std::uint64_t kWakeTag = ~std::uint64_t{0} - 1;

int socket_fd(apr_socket_t* s) noexcept
{
    apr_os_sock_t fd = -1;
    apr_os_sock_get(&fd, s);
    return fd;
}

}  // namespace

Acceptor::Acceptor(ap_listen_rec* listeners, int pod_fd, int wake_fd)
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      pod_fd_(pod_fd),
      wake_fd_(wake_fd),
      shortage_(std::chrono::milliseconds(50), std::chrono::seconds(1))
{
    if (!epoll_) {
        throw std::system_error(errno, std::generic_category(), "epoll_create1");
    }
    for (ap_listen_rec* lr = listeners; lr != nullptr; lr = lr->next) {
        if (lr->sd == nullptr || !lr->active) {
            continue;
        }
        apr_socket_opt_set(lr->sd, APR_SO_NONBLOCK, 1);
        lr->accept_func = ap_unixd_accept;  // what httpd modules may expect to find there
        listeners_.push_back(lr);
    }
    auto add = [this](int fd, std::uint64_t tag, std::uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = tag;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
            throw std::system_error(errno, std::generic_category(), "epoll_ctl");
        }
    };
    if (pod_fd_ >= 0) {
        add(pod_fd_, kPodTag, EPOLLIN | EPOLLEXCLUSIVE);
    }
    if (wake_fd_ >= 0) {
        add(wake_fd_, kWakeTag, EPOLLIN);
    }
    arm_listeners(true);
}

void Acceptor::arm_listeners(bool on) noexcept
{
    if (armed_ == on) {
        return;
    }
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        int fd = socket_fd(listeners_[i]->sd);
        if (fd < 0) {
            continue;
        }
        if (on) {
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLEXCLUSIVE;
            ev.data.u64 = i;
            ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
        } else {
            ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
        }
    }
    armed_ = on;
}

void Acceptor::close_listeners() noexcept
{
    arm_listeners(false);
    for (ap_listen_rec* lr : listeners_) {
        if (lr->sd != nullptr && lr->active) {
            apr_socket_close(lr->sd);
            lr->active = 0;
        }
    }
    listeners_.clear();
}

void Acceptor::accept_from(ap_listen_rec* lr, apr_pool_t* ptrans, Wakeup& out) noexcept
{
    switch (accept_connection(lr, ptrans, &out.socket)) {
    case AcceptOutcome::accepted:
        shortage_.succeeded();
        return;
    case AcceptOutcome::retry:
        return;
    case AcceptOutcome::shortage:
        // Stock exits the child here (and the parent forks the next one into the same shortage). We keep
        // the child, stop listening for a short, growing while, and log once per episode.
        if (shortage_.failures() == 0) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf,
                         CXXLOGNO(90020) "accept: out of descriptors or memory; pausing accept (up to 1s at a "
                                         "time) until they are available again");
        }
        shortage_.failed(Backoff::Clock::now());
        arm_listeners(false);
        return;
    case AcceptOutcome::gone:
        out.listeners_gone = true;
        return;
    case AcceptOutcome::sick:
        out.sick = true;
        return;
    }
}

Acceptor::Wakeup Acceptor::wait(apr_pool_t* ptrans, int timeout_ms) noexcept
{
    Wakeup out;
    if (!armed_ && !listeners_.empty()) {
        auto now = Backoff::Clock::now();
        if (shortage_.ready(now)) {
            arm_listeners(true);
        } else {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(shortage_.remaining(now)).count() + 1;
            if (timeout_ms < 0 || left < timeout_ms) {
                timeout_ms = static_cast<int>(left);
            }
        }
    }

    epoll_event events[16];
    int n = ::epoll_wait(epoll_.get(), events, 16, timeout_ms);
    if (n < 0) {
        if (errno == EINTR) {
            out.signal = true;
        } else {
            ap_log_error(APLOG_MARK, APLOG_ERR, APR_FROM_OS_ERROR(errno), ap_server_conf,
                         CXXLOGNO(00158) "apr_pollset_poll: (listen)");
            out.sick = true;
        }
        return out;
    }

    // Ready listeners, in the order of this wait; start at a rotating index so one busy socket cannot
    // starve the others.
    std::size_t ready[16];
    std::size_t nready = 0;
    for (int i = 0; i < n; ++i) {
        std::uint64_t tag = events[i].data.u64;
        if (tag == kWakeTag) {
            std::uint64_t v;
            [[maybe_unused]] ssize_t r = ::read(wake_fd_, &v, sizeof v);
            out.signal = true;
        } else if (tag == kPodTag) {
            out.pod = true;
        } else if (tag < listeners_.size()) {
            ready[nready++] = static_cast<std::size_t>(tag);
        }
    }
    if (nready > 0 && armed_) {
        std::size_t pick = ready[next_ % nready];
        ++next_;
        accept_from(listeners_[pick], ptrans, out);
    }
    return out;
}

}  // namespace mpmcxx
