#include "common/lifecycle/server_command.h"

namespace mpmcxx {

ServerCommand pending_command(SignalFlags f) noexcept
{
    if (f.shutdown_pending) {
        return f.is_ungraceful ? ServerCommand::stop : ServerCommand::graceful_stop;
    }
    if (f.restart_pending) {
        return f.is_ungraceful ? ServerCommand::restart : ServerCommand::graceful_restart;
    }
    return ServerCommand::none;
}

const char* to_string(ServerCommand c) noexcept
{
    switch (c) {
    case ServerCommand::none: return "none";
    case ServerCommand::graceful_restart: return "graceful-restart";
    case ServerCommand::restart: return "restart";
    case ServerCommand::graceful_stop: return "graceful-stop";
    case ServerCommand::stop: return "stop";
    }
    return "?";
}

}  // namespace mpmcxx
