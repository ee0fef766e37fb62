#include "common/process/stop_watch.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

#include "common/base/httpd.h"
#include "common/process/pod.h"

namespace mpmcxx {
namespace {
constexpr std::uint64_t kPod = 1, kSignal = 2, kInternal = 3;
}  // namespace

StopWatch::StopWatch(int pod_fd, bool one_process) : epoll_(::epoll_create1(EPOLL_CLOEXEC)), pod_fd_(pod_fd)
{
    if (!epoll_) {
        throw std::system_error(errno, std::generic_category(), "epoll_create1");
    }
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGTERM, SIGHUP, AP_SIG_GRACEFUL, AP_SIG_GRACEFUL_STOP}) {
        sigaddset(&set, sig);
    }
    if (one_process) {
        sigaddset(&set, SIGINT);
    }
    signals_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    internal_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!signals_ || !internal_) {
        throw std::system_error(errno, std::generic_category(), "signalfd/eventfd");
    }
    auto add = [this](int fd, std::uint64_t tag, std::uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = tag;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
            throw std::system_error(errno, std::generic_category(), "epoll_ctl");
        }
    };
    add(signals_.get(), kSignal, EPOLLIN);
    add(internal_.get(), kInternal, EPOLLIN);
    if (pod_fd_ >= 0) {
        // Not EPOLLEXCLUSIVE: a pipe wakes its waiters only when it goes from empty to non-empty, so with
        // several bytes written at once (one per child) an exclusive wake-up would reach one child and
        // leave the others asleep with their byte in the pipe. Every child wakes; each takes one byte.
        add(pod_fd_, kPod, EPOLLIN);
    }
}

void StopWatch::raise(ChildStop s) noexcept
{
    int want = static_cast<int>(s);
    int cur = level_.load(std::memory_order_acquire);
    while (cur < want && !level_.compare_exchange_weak(cur, want, std::memory_order_acq_rel)) {
    }
}

void StopWatch::request(ChildStop s) noexcept
{
    raise(s);
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(internal_.get(), &one, sizeof one);
}

ChildStop StopWatch::wait(int timeout_ms) noexcept
{
    epoll_event events[4];
    int n = ::epoll_wait(epoll_.get(), events, 4, timeout_ms);
    for (int i = 0; i < n; ++i) {
        switch (events[i].data.u64) {
        case kPod: {
            char c = 0;
            // One stop byte per child: whoever reads it acts on it, and reads no more (the rest are for
            // the other children of the bucket), so the pipe leaves this child's epoll set. A relief
            // byte is not a stop: this child keeps reading the pipe.
            if (::read(pod_fd_, &c, 1) != 1) {
                break;
            }
            if (c == static_cast<char>(PodMessage::relieve)) {
                if (relieve_ != nullptr) {
                    relieve_(relieve_arg_);
                }
                break;
            }
            raise(c == static_cast<char>(PodMessage::immediate) ? ChildStop::immediate : ChildStop::graceful);
            ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, pod_fd_, nullptr);
            break;
        }
        case kSignal: {
            signalfd_siginfo si;
            while (::read(signals_.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
                int sig = static_cast<int>(si.ssi_signo);
                raise(sig == AP_SIG_GRACEFUL || sig == AP_SIG_GRACEFUL_STOP ? ChildStop::graceful : ChildStop::immediate);
            }
            break;
        }
        case kInternal: {
            std::uint64_t v;
            [[maybe_unused]] ssize_t r = ::read(internal_.get(), &v, sizeof v);
            break;
        }
        default:
            break;
        }
    }
    return current();
}

}  // namespace mpmcxx
