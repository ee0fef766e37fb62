#pragma once
// One typed directive handler for every integer directive of the three MPMs. The stock MPMs store
// atoi(value) and leave range checks to check_config; we store the same value when it is an integer and
// refuse anything else with a message naming the directive (apache2 -t fails, nothing is guessed).
// Range clamping with the stock warnings still happens in check_config, exactly as stock.

#include "common/base/httpd.h"

namespace mpmcxx::config {

struct IntDirective {
    int* target;                   // where the parsed value goes (an MPM's settings, or an httpd global)
    bool non_negative = false;     // refuse values < 0 at parse time (no stock clamp exists for them)
    const char* deprecated_for = nullptr;  // set on a deprecated alias: the directive to use instead
    int deprecated_log_id = 0;             // stock AH number of the deprecation notice
};

// The command_rec handler; cmd->info points at an IntDirective. GLOBAL_ONLY, like every MPM directive.
const char* set_int_directive(cmd_parms* cmd, void* dummy, const char* arg) noexcept;

}  // namespace mpmcxx::config

// Builds a command_rec for an IntDirective (help text as in stock).
#define MPMCXX_INT_DIRECTIVE(name, spec, help) \
    AP_INIT_TAKE1(name, ::mpmcxx::config::set_int_directive, &(spec), RSRC_CONF, help)
