#pragma once
// Pipe of death: the parent asks children of one listener bucket to exit by writing one byte per child;
// an idle child that reads a byte exits. Unlike httpd's ap_mpm_pod_signal(), no dummy HTTP connection is
// made to wake a child blocked in accept(): our children wait on this pipe and the listeners together
// (see Acceptor), so nothing shows up in access logs and TLS-only or firewalled listeners don't matter.
// The byte says how: '!' finish the current work then exit (graceful), '$' exit now. '+' is not a stop:
// take the connections queued on other listener buckets' sockets (bucket_relief.h).

#include "common/base/fd.h"

namespace mpmcxx {

enum class PodMessage : char { graceful = '!', immediate = '$', relieve = '+' };

class PipeOfDeath {
public:
    PipeOfDeath();  // throws std::system_error if pipe2() fails

    // Parent. False if the pipe is full (children are not reading: they are all busy or gone).
    bool send(PodMessage m) const noexcept;
    void send(PodMessage m, int count) const noexcept;

    // Child: one non-blocking read. True with the message if this child took one.
    bool receive(PodMessage& out) const noexcept;

    int read_fd() const noexcept { return read_.get(); }

    // Child: the write end belongs to the parent only.
    void close_write_end() noexcept { write_.reset(); }
    void close() noexcept
    {
        read_.reset();
        write_.reset();
    }

private:
    Fd read_;
    Fd write_;
};

}  // namespace mpmcxx
