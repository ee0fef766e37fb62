#include "common/listen/buckets.h"

#include "common/base/log_ids.h"
#include "common/base/pool_object.h"

namespace mpmcxx {

ListenBuckets* ListenBuckets::setup(apr_pool_t* pconf, server_rec* s, int& num_buckets, bool keep_bucket_count,
                                    bool one_process, int max_buckets, bool startup)
{
    const int level_flags = startup ? APLOG_STARTUP : 0;
    server_rec* log_s = startup ? nullptr : s;

    int n = ap_setup_listeners(s);
    if (n < 1) {
        ap_log_error(APLOG_MARK, APLOG_ALERT | level_flags, 0, log_s,
                     CXXLOGNO(90010) "no listening sockets available, shutting down");
        return nullptr;
    }
    if (one_process) {
        num_buckets = 1;
    } else if (!keep_bucket_count) {
        num_buckets = 0;  // let httpd derive it from ListenCoresBucketsRatio and the online cores
    }
    ap_listen_rec** heads = nullptr;
    apr_status_t rv = ap_duplicate_listeners(pconf, s, &heads, &num_buckets);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT | level_flags, rv, log_s, CXXLOGNO(90011) "could not duplicate listeners");
        return nullptr;
    }
    if (num_buckets > max_buckets) {
        // Each bucket needs a child of its own; a bucket without one would queue connections forever.
        ap_log_error(APLOG_MARK, APLOG_CRIT | level_flags, 0, log_s,
                     CXXLOGNO(90012) "ListenCoresBucketsRatio asks for %d listener buckets but at most %d child "
                                     "processes may run; raise ServerLimit/MaxRequestWorkers or "
                                     "ListenCoresBucketsRatio",
                     num_buckets, max_buckets);
        return nullptr;
    }
    auto* set = make_pool_object<ListenBuckets>(pconf);
    set->heads_.assign(heads, heads + num_buckets);
    set->per_bucket_ = n;
    return set;
}

void ListenBuckets::close_all_but(int keep) const noexcept
{
    for (int b = 0; b < count(); ++b) {
        if (b != keep) {
            ap_close_listeners_ex(bucket(b));
        }
    }
}

}  // namespace mpmcxx
