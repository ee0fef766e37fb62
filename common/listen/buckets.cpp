#include "common/listen/buckets.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "common/base/log_ids.h"
#include "common/base/pool_object.h"
#include "common/listen/bucket_relief.h"

namespace mpmcxx {

namespace {
int listener_fd(const ap_listen_rec* lr) noexcept
{
    apr_os_sock_t fd = -1;
    if (lr->sd == nullptr || apr_os_sock_get(&fd, lr->sd) != APR_SUCCESS) {
        return -1;
    }
    return fd;
}

bool same_address(const RetainedListener& r, const ap_listen_rec* lr) noexcept
{
    const apr_sockaddr_t* a = lr->bind_addr;
    return a != nullptr && r.salen == a->salen && r.salen <= sizeof r.sa && std::memcmp(r.sa, &a->sa, r.salen) == 0 &&
           std::strncmp(r.protocol, lr->protocol ? lr->protocol : "", sizeof r.protocol) == 0;
}

void close_retained(RetainedListeners& r) noexcept
{
    for (int i = 0; i < r.count; ++i) {
        ::close(r.items[i].fd);
    }
    r.count = 0;
}

bool same_sockaddr(const apr_sockaddr_t* a, const apr_sockaddr_t* b) noexcept
{
    return a != nullptr && b != nullptr && a->family == b->family && a->port == b->port && a->salen == b->salen &&
           std::memcmp(&a->sa, &b->sa, static_cast<std::size_t>(a->salen)) == 0;
}

// ap_duplicate_listeners() looks each listener's host name up again for every further bucket and binds
// the first address it gets. Without an address (`Listen 80`) bucket 0 is the dual-stack [::], but the
// look-up gives 0.0.0.0 first: the kernel then sends every IPv4 connection to the IPv4 duplicates, never
// to bucket 0, whose children get only IPv6 clients (stock has the same fault). A name with several
// addresses (localhost) fares alike. While httpd duplicates, each listener's name is its own numeric
// address, so every bucket binds exactly what bucket 0 bound; the names are restored afterwards (httpd
// matches the next configuration's Listen lines by them).
class PinnedListenerNames {
public:
    explicit PinnedListenerNames(apr_pool_t* pconf) noexcept
    {
        int n = 0;
        for (const ap_listen_rec* lr = ap_listeners; lr != nullptr; lr = lr->next) {
            ++n;
        }
        saved_ = static_cast<Saved*>(apr_palloc(pconf, sizeof(Saved) * static_cast<std::size_t>(n > 0 ? n : 1)));
        for (ap_listen_rec* lr = ap_listeners; lr != nullptr; lr = lr->next) {
            apr_sockaddr_t* sa = lr->bind_addr;
            char ip[64];
            if (sa != nullptr && apr_sockaddr_ip_getbuf(ip, sizeof ip, sa) == APR_SUCCESS) {
                saved_[count_++] = {sa, sa->hostname};
                sa->hostname = apr_pstrdup(pconf, ip);
            }
        }
    }
    ~PinnedListenerNames()
    {
        for (int i = 0; i < count_; ++i) {
            saved_[i].sa->hostname = saved_[i].hostname;
        }
    }
    PinnedListenerNames(const PinnedListenerNames&) = delete;
    PinnedListenerNames& operator=(const PinnedListenerNames&) = delete;

private:
    struct Saved {
        apr_sockaddr_t* sa;
        char* hostname;
    };
    Saved* saved_;  // in pconf
    int count_ = 0;
};

// Every duplicate must listen where its bucket-0 twin does; says which does not (a resolver that answers
// differently for the numeric name, say). Connections still reach every bucket that listens.
void check_duplicates(const std::vector<ap_listen_rec*>& heads, int level_flags, server_rec* log_s) noexcept
{
    for (std::size_t b = 1; b < heads.size(); ++b) {
        const ap_listen_rec* dup = heads[b];
        for (const ap_listen_rec* lr = ap_listeners; lr != nullptr && dup != nullptr; lr = lr->next, dup = dup->next) {
            if (!same_sockaddr(lr->bind_addr, dup->bind_addr)) {
                ap_log_error(APLOG_MARK, APLOG_WARNING | level_flags, 0, log_s,
                             CXXLOGNO(90014) "listener bucket %d listens on %pI, not on %pI as bucket 0 does; "
                                             "its children get only that address's connections",
                             static_cast<int>(b), dup->bind_addr, lr->bind_addr);
            }
        }
    }
}
}  // namespace

bool ListenBuckets::reuse_duplicates(apr_pool_t* pconf, int num_buckets, int per_bucket, RetainedListeners& r,
                                     std::vector<ap_listen_rec*>& heads)
{
    if (num_buckets < 2 || r.count != (num_buckets - 1) * per_bucket) {
        return false;
    }
    for (int k = 0; k < r.count; ++k) {
        const RetainedListener& item = r.items[k];
        if (item.bucket < 1 || item.bucket >= num_buckets || item.index < 0 || item.index >= per_bucket) {
            return false;
        }
        const ap_listen_rec* lr = ap_listeners;
        for (int i = 0; i < item.index && lr != nullptr; ++i) {
            lr = lr->next;
        }
        if (lr == nullptr || !same_address(item, lr)) {
            return false;
        }
    }
    // The same layout as last generation: wrap the kept sockets instead of creating new ones.
    heads.assign(static_cast<std::size_t>(num_buckets), nullptr);
    heads[0] = ap_listeners;
    std::vector<ap_listen_rec*> tails(static_cast<std::size_t>(num_buckets), nullptr);
    for (int b = 1; b < num_buckets; ++b) {
        int index = 0;
        for (const ap_listen_rec* lr = ap_listeners; lr != nullptr; lr = lr->next, ++index) {
            const RetainedListener* item = nullptr;
            for (int k = 0; k < r.count; ++k) {
                if (r.items[k].bucket == b && r.items[k].index == index) {
                    item = &r.items[k];
                }
            }
            if (item == nullptr) {
                return false;
            }
            auto* dup = static_cast<ap_listen_rec*>(apr_pcalloc(pconf, sizeof(ap_listen_rec)));
            apr_os_sock_t fd = item->fd;
            apr_os_sock_info_t info{};
            info.os_sock = &fd;
            info.local = reinterpret_cast<struct sockaddr*>(&lr->bind_addr->sa);
            info.family = lr->bind_addr->family;
            info.type = SOCK_STREAM;
            info.protocol = APR_PROTO_TCP;
            if (apr_os_sock_make(&dup->sd, &info, pconf) != APR_SUCCESS) {
                return false;
            }
            dup->bind_addr = lr->bind_addr;
            dup->protocol = lr->protocol;
            dup->active = 1;
            auto& tail = tails[static_cast<std::size_t>(b)];
            (tail ? tail->next : heads[static_cast<std::size_t>(b)]) = dup;
            tail = dup;
        }
    }
    r.count = 0;  // the sockets now belong to pconf
    return true;
}

apr_status_t ListenBuckets::retain_duplicates(void* self) noexcept
{
    // Runs when pconf is cleared, before the sockets' own cleanups close them (cleanups run in reverse
    // order of registration). Keeps a descriptor of every bucket >= 1 socket for the next generation.
    auto* set = static_cast<ListenBuckets*>(self);
    RetainedListeners& r = *set->retained_;
    close_retained(r);
    int needed = (set->count() - 1) * set->per_bucket_;
    if (needed <= 0) {
        return APR_SUCCESS;
    }
    if (r.capacity < needed) {
        r.items = static_cast<RetainedListener*>(apr_pcalloc(ap_pglobal, sizeof(RetainedListener) * needed));
        r.capacity = needed;
    }
    for (int b = 1; b < set->count(); ++b) {
        int index = 0;
        for (const ap_listen_rec* lr = set->bucket(b); lr != nullptr; lr = lr->next, ++index) {
            int fd = listener_fd(lr);
            if (!lr->active || fd < 0 || lr->bind_addr == nullptr || lr->bind_addr->salen > sizeof(RetainedListener::sa)) {
                close_retained(r);  // incomplete: the next generation creates new ones
                return APR_SUCCESS;
            }
            int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
            if (copy < 0) {
                close_retained(r);
                return APR_SUCCESS;
            }
            RetainedListener& item = r.items[r.count++];
            item.bucket = b;
            item.index = index;
            item.fd = copy;
            item.salen = lr->bind_addr->salen;
            std::memcpy(item.sa, &lr->bind_addr->sa, item.salen);
            std::strncpy(item.protocol, lr->protocol ? lr->protocol : "", sizeof item.protocol - 1);
            item.protocol[sizeof item.protocol - 1] = '\0';
        }
    }
    return APR_SUCCESS;
}

ListenBuckets* ListenBuckets::setup(apr_pool_t* pconf, server_rec* s, int& num_buckets, bool keep_bucket_count,
                                    bool one_process, int max_buckets, bool startup, RetainedListeners& retained)
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
    auto* set = make_pool_object<ListenBuckets>(pconf);
    set->retained_ = &retained;
    set->per_bucket_ = n;

    ap_listen_rec** heads = nullptr;
    apr_status_t rv = APR_SUCCESS;
    if (keep_bucket_count && !one_process && reuse_duplicates(pconf, num_buckets, n, retained, set->heads_)) {
        // httpd's own bookkeeping holds bucket 0 only; the duplicates are ours (closed by set->close_all(),
        // and on exec since they are close-on-exec). ap_num_listen_buckets stays 1: httpd's
        // ap_close_listeners(), which runs in every child process before an exec (CGI, piped logs), walks
        // that many entries of its bucket array, which has one.
        int one = 1;
        rv = ap_duplicate_listeners(pconf, s, &heads, &one);
    } else {
        close_retained(retained);
        PinnedListenerNames pinned(pconf);
        rv = ap_duplicate_listeners(pconf, s, &heads, &num_buckets);
        if (rv == APR_SUCCESS) {
            set->heads_.assign(heads, heads + num_buckets);
            check_duplicates(set->heads_, level_flags, log_s);  // kept ones share bucket 0's addresses
        }
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT | level_flags, rv, log_s, CXXLOGNO(90011) "could not duplicate listeners");
        return nullptr;
    }
    apr_pool_cleanup_register(pconf, set, retain_duplicates, apr_pool_cleanup_null);
    try {
        set->pods_.reserve(static_cast<std::size_t>(num_buckets));
        for (int b = 0; b < num_buckets; ++b) {
            set->pods_.emplace_back();
        }
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_CRIT | level_flags, 0, log_s, CXXLOGNO(90013) "could not open pipe-of-death: %s",
                     e.what());
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
    return set;
}

void ListenBuckets::refuse_new_connections() const noexcept
{
    for (ap_listen_rec* head : heads_) {
        for (ap_listen_rec* lr = head; lr != nullptr; lr = lr->next) {
            apr_os_sock_t fd = -1;
            if (lr->sd != nullptr && lr->active && apr_os_sock_get(&fd, lr->sd) == APR_SUCCESS && fd >= 0) {
                ::shutdown(fd, SHUT_RDWR);
            }
        }
    }
}

int ListenBuckets::queued(int b) const noexcept
{
    int n = 0;
    for (ap_listen_rec* lr = bucket(b); lr != nullptr; lr = lr->next) {
        int fd = lr->active ? listener_fd(lr) : -1;
        tcp_info ti{};
        socklen_t len = sizeof ti;
        // On a listening socket Linux reports the accept queue's current length as tcpi_unacked.
        if (fd >= 0 && ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_state == TCP_LISTEN) {
            n += static_cast<int>(ti.tcpi_unacked);
        }
    }
    return n;
}

bool ListenBuckets::any_queued() const noexcept
{
    for (int b = 0; b < count(); ++b) {
        if (queued(b) > 0) {
            return true;
        }
    }
    return false;
}

void ListenBuckets::relieve(const std::vector<int>& idle, ReliefTally& tally) const noexcept
{
    try {
        std::vector<BucketLoad> load(idle.size());
        for (std::size_t b = 0; b < load.size(); ++b) {
            load[b].idle = idle[b];
            load[b].queued = queued(static_cast<int>(b));
        }
        std::vector<int> send = plan_bucket_relief(load);
        for (std::size_t b = 0; b < load.size() && b < pods_.size(); ++b) {
            // Whichever child of the bucket reads a byte takes it: a prefork child only while idle, a
            // threaded child's listener only with an idle worker in hand.
            pods_[b].send(PodMessage::relieve, send[b]);
        }
        tally.add(load, send);
    } catch (...) {
        // Out of memory: skip this look.
    }
}

void ListenBuckets::report_relief(ReliefTally& tally, const char* one, const char* many) noexcept
{
    if (tally.sent > 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, ap_server_conf,
                     CXXLOGNO(90015) "listener buckets: up to %d connections waited in the accept queue of a "
                                     "bucket with no idle %s; %d idle %s of other buckets sent to take them",
                     tally.most_waiting, one, tally.sent, many);
    }
    tally = ReliefTally{};
}

void ListenBuckets::close_listeners_except(int keep) const noexcept
{
    for (int b = 0; b < count(); ++b) {
        if (b != keep) {
            ap_close_listeners_ex(bucket(b));
        }
    }
}

void ListenBuckets::keep_only(int bucket, bool keep_other_listeners) noexcept
{
    if (!keep_other_listeners) {
        close_listeners_except(bucket);
    }
    for (std::size_t b = 0; b < pods_.size(); ++b) {
        if (static_cast<int>(b) == bucket) {
            pods_[b].close_write_end();
        } else {
            pods_[b].close();
        }
    }
}

}  // namespace mpmcxx
