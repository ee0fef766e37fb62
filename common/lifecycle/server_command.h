#pragma once
// What the parent has been asked to do. httpd's core owns the signal handlers (they keep working across
// our DSO reloads) and records requests as three flags in its retained data; this turns them into one
// explicit command with stock precedence.

namespace mpmcxx {

enum class ServerCommand {
    none,             // keep running
    graceful_restart, // SIGUSR1, -k graceful
    restart,          // SIGHUP, -k restart
    graceful_stop,    // SIGWINCH, -k graceful-stop
    stop,             // SIGTERM/SIGINT, -k stop
};

struct SignalFlags {
    bool shutdown_pending = false;
    bool restart_pending = false;
    bool is_ungraceful = false;
};

// Stock precedence: a shutdown request beats a restart request; "ungraceful" is sticky across both (so
// SIGHUP followed by SIGWINCH stops ungracefully, exactly as the stock MPMs do).
ServerCommand pending_command(SignalFlags flags) noexcept;

const char* to_string(ServerCommand c) noexcept;

}  // namespace mpmcxx
