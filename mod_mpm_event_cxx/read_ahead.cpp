#include "mod_mpm_event_cxx/read_ahead.h"

#include <algorithm>
#include <cstring>

namespace mpmcxx::event {
namespace {

apr_bucket_brigade* current(const ReadAhead& ra) noexcept { return ra.core != nullptr ? ra.core : ra.held; }

// The core keeps its socket bucket last, after the bytes it has read and not handed on yet.
bool is_data(const apr_bucket* b) noexcept { return !APR_BUCKET_IS_METADATA(b) && !APR_BUCKET_IS_SOCKET(b); }

}  // namespace

ReadAhead* make_read_ahead(conn_rec* c) noexcept
{
    auto* ra = static_cast<ReadAhead*>(apr_palloc(c->pool, sizeof(ReadAhead)));
    ra->held = apr_brigade_create(c->pool, c->bucket_alloc);
    ra->core = nullptr;
    return ra;
}

void read_ahead_to_core(ReadAhead& ra, apr_bucket_brigade* core) noexcept
{
    APR_BRIGADE_CONCAT(core, ra.held);
    ra.core = core;
}

std::size_t read_ahead_length(const ReadAhead& ra) noexcept
{
    apr_bucket_brigade* bb = current(ra);
    std::size_t len = 0;
    for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb) && is_data(b); b = APR_BUCKET_NEXT(b)) {
        len += b->length;
    }
    return len;
}

void read_ahead_append(ReadAhead& ra, char* buf, std::size_t len, apr_bucket_alloc_t* ba) noexcept
{
    apr_bucket* b = apr_bucket_heap_create(buf, len, apr_bucket_free, ba);
    apr_bucket_brigade* bb = current(ra);
    apr_bucket* last = APR_BRIGADE_LAST(bb);
    if (!APR_BRIGADE_EMPTY(bb) && APR_BUCKET_IS_SOCKET(last)) {
        APR_BUCKET_INSERT_BEFORE(last, b);
    } else {
        APR_BRIGADE_INSERT_TAIL(bb, b);
    }
}

std::string_view read_ahead_view(const ReadAhead& ra, char* scratch, std::size_t cap) noexcept
{
    apr_bucket_brigade* bb = current(ra);
    auto data_of = [](apr_bucket* b) {
        const char* data = nullptr;
        apr_size_t len = 0;
        if (apr_bucket_read(b, &data, &len, APR_NONBLOCK_READ) != APR_SUCCESS) {
            len = 0;
        }
        return std::string_view(data, len);
    };
    apr_bucket* first = APR_BRIGADE_FIRST(bb);
    if (first == APR_BRIGADE_SENTINEL(bb) || !is_data(first)) {
        return {};
    }
    apr_bucket* second = APR_BUCKET_NEXT(first);
    if (second == APR_BRIGADE_SENTINEL(bb) || !is_data(second)) {
        return data_of(first).substr(0, cap);  // the usual case: one read
    }
    std::size_t used = 0;
    for (apr_bucket* b = first; b != APR_BRIGADE_SENTINEL(bb) && is_data(b) && used < cap; b = APR_BUCKET_NEXT(b)) {
        std::string_view piece = data_of(b);
        const std::size_t n = std::min(piece.size(), cap - used);
        std::memcpy(scratch + used, piece.data(), n);
        used += n;
    }
    return std::string_view(scratch, used);
}

}  // namespace mpmcxx::event
