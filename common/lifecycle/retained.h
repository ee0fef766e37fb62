#pragma once
// Data that must survive httpd's unload/reload of the module on every restart lives in a block httpd
// keeps in its global pool (ap_retained_data_*), found again by key after the reload. Such a block must
// be plain data: no vtables, no pointers into the .so, nothing with a destructor.

#include <type_traits>

#include "common/base/httpd.h"

namespace mpmcxx {

template <typename T>
T& retained_block(const char* key)
{
    static_assert(std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T>,
                  "retained data must be plain data: it outlives the code that wrote it");
    void* p = ap_retained_data_get(key);
    if (p == nullptr) {
        p = ap_retained_data_create(key, sizeof(T));  // zero-filled
    }
    return *static_cast<T*>(p);
}

}  // namespace mpmcxx
