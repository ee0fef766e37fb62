#include "common/config/parse_int.h"

#include <charconv>

namespace mpmcxx::config {

IntParse parse_int(std::string_view text) noexcept
{
    IntParse out;
    std::string_view digits = text;
    if (!digits.empty() && digits.front() == '+') {
        digits.remove_prefix(1);  // from_chars takes '-' but not '+'
        if (!digits.empty() && digits.front() == '-') {
            out.error = IntError::not_a_number;
            return out;
        }
    }
    if (digits.empty()) {
        out.error = IntError::not_a_number;
        return out;
    }
    const char* end = digits.data() + digits.size();
    auto [ptr, ec] = std::from_chars(digits.data(), end, out.value, 10);
    if (ec == std::errc::result_out_of_range) {
        out.error = IntError::out_of_range;
    } else if (ec != std::errc() || ptr != end) {
        out.error = IntError::not_a_number;
    }
    return out;
}

std::string int_error_message(std::string_view directive, std::string_view text, IntError error)
{
    std::string msg;
    if (error == IntError::none) {
        return msg;
    }
    msg.append(directive).append(": '").append(text).append("' ");
    msg.append(error == IntError::out_of_range ? "is out of range" : "is not a valid integer");
    return msg;
}

}  // namespace mpmcxx::config
