#pragma once
// RAII meets APR pools: a C++ object constructed in pool memory whose destructor runs as the pool's
// cleanup, so its lifetime is exactly the pool's. Used for per-configuration-cycle objects (pconf) and
// per-child objects (pchild).

#include <cstddef>
#include <new>
#include <utility>

#include "common/base/c_boundary.h"
#include "common/base/httpd.h"

namespace mpmcxx {

namespace detail {
template <typename T>
apr_status_t destroy_pool_object(void* obj) noexcept
{
    c_boundary_void("pool cleanup", [obj] { static_cast<T*>(obj)->~T(); });
    return APR_SUCCESS;
}
}  // namespace detail

template <typename T, typename... Args>
T* make_pool_object(apr_pool_t* pool, Args&&... args)
{
    static_assert(alignof(T) <= alignof(std::max_align_t) && alignof(T) <= 8, "APR pool memory is 8-aligned");
    void* mem = apr_palloc(pool, sizeof(T));
    T* obj = new (mem) T(std::forward<Args>(args)...);
    // No child cleanup: objects hold CLOEXEC descriptors, so exec'd programs (CGI) see none of them.
    apr_pool_cleanup_register(pool, obj, detail::destroy_pool_object<T>, apr_pool_cleanup_null);
    return obj;
}

}  // namespace mpmcxx
