#include "common/io/request_head.h"

namespace mpmcxx {
namespace {

// RFC 9110 tchar: what a method name is made of.
bool is_tchar(char ch) noexcept
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) {
        return true;
    }
    switch (ch) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

constexpr std::size_t kMaxMethod = 32;  // longer than any method in use: not a request we wait for

}  // namespace

HeadCheck check_request_head(std::string_view data, std::size_t cap) noexcept
{
    const bool full = data.size() >= cap;
    auto more = [&] { return full ? HeadCheck::not_ours : HeadCheck::incomplete; };

    // Empty lines before a request line are allowed (and ignored by httpd).
    std::size_t i = 0;
    while (i < data.size() && (data[i] == '\r' || data[i] == '\n')) {
        ++i;
    }
    if (i == data.size()) {
        return data.empty() ? HeadCheck::not_ours : more();
    }
    std::size_t start = i;
    while (i < data.size() && is_tchar(data[i])) {
        if (i - start >= kMaxMethod) {
            return HeadCheck::not_ours;
        }
        ++i;
    }
    if (i == data.size()) {
        return more();
    }
    if (i == start || data[i] != ' ') {
        return HeadCheck::not_ours;
    }
    std::size_t eol = data.find('\n', i);
    if (eol == std::string_view::npos) {
        return more();
    }
    // HTTP/0.9 has no header fields: its request line is the whole request.
    std::string_view line = data.substr(start, eol - start);
    if (line.find(" HTTP/") == std::string_view::npos) {
        return HeadCheck::complete;
    }
    // The empty line ending the header fields: LF CRLF or LF LF.
    for (std::size_t p = data.find('\n', eol); p != std::string_view::npos; p = data.find('\n', p + 1)) {
        std::size_t q = p + 1;
        if (q < data.size() && data[q] == '\r') {
            ++q;
        }
        if (q < data.size() && data[q] == '\n') {
            return HeadCheck::complete;
        }
    }
    return more();
}

}  // namespace mpmcxx
