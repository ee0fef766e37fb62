#pragma once

#include <string>
#include <vector>

namespace mpmcxx::config {

// A warning produced while clamping directive values. `startup` selects the stock presentation: at first
// startup the message goes to the console (APLOG_STARTUP, "WARNING: ..." wording); on restarts a shorter
// line goes to the error log. `id` is the stock AH number, logged as CXX<id>.
struct ClampMessage {
    int id;
    bool startup;
    std::string text;
};

using ClampMessages = std::vector<ClampMessage>;

}  // namespace mpmcxx::config
