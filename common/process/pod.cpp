#include "common/process/pod.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace mpmcxx {

PipeOfDeath::PipeOfDeath()
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        throw std::system_error(errno, std::generic_category(), "pipe2 for the pipe of death");
    }
    read_.reset(fds[0]);
    write_.reset(fds[1]);
}

bool PipeOfDeath::send(PodMessage m) const noexcept
{
    char c = static_cast<char>(m);
    ssize_t n;
    do {
        n = ::write(write_.get(), &c, 1);
    } while (n < 0 && errno == EINTR);
    return n == 1;
}

void PipeOfDeath::send(PodMessage m, int count) const noexcept
{
    for (int i = 0; i < count; ++i) {
        if (!send(m)) {
            break;
        }
    }
}

bool PipeOfDeath::receive(PodMessage& out) const noexcept
{
    char c = 0;
    ssize_t n;
    do {
        n = ::read(read_.get(), &c, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) {
        return false;
    }
    switch (c) {
    case static_cast<char>(PodMessage::immediate): out = PodMessage::immediate; break;
    case static_cast<char>(PodMessage::relieve): out = PodMessage::relieve; break;
    default: out = PodMessage::graceful; break;
    }
    return true;
}

}  // namespace mpmcxx
