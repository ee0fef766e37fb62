#pragma once
// The C boundary. Every function httpd calls into (hooks, directive handlers, pool cleanups, thread
// entries, signal-free callbacks) runs its body through c_boundary(): no exception ever unwinds into
// httpd's C frames, and the caller gets a defined fallback instead (DECLINED, an error string, ...).

#include <exception>
#include <type_traits>
#include <utility>

namespace mpmcxx {

// Logs "CXX90001: <where>: exception: <what>"; never throws.
void report_boundary_exception(const char* where, const char* what) noexcept;

template <typename Body, typename Result = std::invoke_result_t<Body&>>
Result c_boundary(const char* where, Result fallback, Body&& body) noexcept
{
    try {
        return std::forward<Body>(body)();
    } catch (const std::exception& e) {
        report_boundary_exception(where, e.what());
    } catch (...) {
        report_boundary_exception(where, "unknown exception");
    }
    return fallback;
}

template <typename Body>
void c_boundary_void(const char* where, Body&& body) noexcept
{
    try {
        std::forward<Body>(body)();
    } catch (const std::exception& e) {
        report_boundary_exception(where, e.what());
    } catch (...) {
        report_boundary_exception(where, "unknown exception");
    }
}

}  // namespace mpmcxx
