#pragma once
// Ends an APR thread (apr_thread_exit: its pool is destroyed, then pthread_exit).
//
// pthread_exit abandons the thread's stack without returning through its frames, and libapr is not
// instrumented, so under AddressSanitizer the scope markers of those frames stay poisoned and ASan's own
// thread teardown then trips over them (a false stack-use-after-scope in sigaltstack). Telling ASan the
// frames are abandoned first keeps `make sanitize` meaningful.

#include "common/base/httpd.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace mpmcxx {

// Not noexcept: pthread_exit unwinds the stack (a forced unwind), which std::terminate()s in a noexcept
// frame.
inline void exit_thread(apr_thread_t* thread)
{
#if defined(__SANITIZE_ADDRESS__)
    __asan_handle_no_return();
#endif
    apr_thread_exit(thread, APR_SUCCESS);
}

}  // namespace mpmcxx
