#pragma once
// Strict integer parsing for directive values. The stock MPMs use atoi(), which turns "abc" into 0 and
// "10abc" into 10 without a word; we refuse such values with a message that names the directive.

#include <optional>
#include <string>
#include <string_view>

namespace mpmcxx::config {

enum class IntError { none, not_a_number, out_of_range };

struct IntParse {
    int value = 0;
    IntError error = IntError::none;
};

// Accepts an optional sign followed by decimal digits, nothing else, within the range of int.
IntParse parse_int(std::string_view text) noexcept;

// "StartServers: 'abc' is not a valid integer" / "...: '99999999999' is out of range"; empty when ok.
std::string int_error_message(std::string_view directive, std::string_view text, IntError error);

}  // namespace mpmcxx::config
