#pragma once
// printf-style formatting into std::string (g++ 12 has no <format>).

#include <string>

namespace mpmcxx {

std::string strformat(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace mpmcxx
