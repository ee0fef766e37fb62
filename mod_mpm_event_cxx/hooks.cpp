// httpd hooks of mod_mpm_event_cxx, its answers to ap_mpm_query, and the per-vhost timeout queues.

#include <map>

#include "common/base/c_boundary.h"
#include "common/base/pool_object.h"
#include "common/config/async_factor.h"
#include "common/lifecycle/mpm_startup.h"
#include "common/lifecycle/mpm_state.h"
#include "common/lifecycle/retained.h"
#include "common/lifecycle/threaded_hooks.h"
#include "common/process/stop_watch.h"
#include "mod_mpm_event_cxx/event.h"
#include "mod_mpm_event_cxx/read_ahead.h"
#include "mod_mpm_event_cxx/runtime.h"

namespace mpmcxx::event {

constinit Globals g{};
constinit thread_local int t_worker = -1;

namespace {

constexpr const char* kRetainedKey = "mpm_event_cxx_module";

ap_unixd_mpm_retained_data* mpm_data() noexcept { return g.retained->threaded.sup.mpm; }

int reported_mpm_state() noexcept
{
    auto stop = static_cast<ChildStop>(g.child.stop.load(std::memory_order_acquire));
    return mpm_state_for_caller(mpm_data(), g.child.active, stop == ChildStop::immediate, stop == ChildStop::graceful,
                                g.child.slot, t_worker);
}

int query(int code, int* result, apr_status_t* rv) noexcept
{
    // apache2 -V asks before any configuration hook ran: no retained data yet.
    bool configured = g.retained != nullptr;
    ThreadedAnswers answers{g.limits, g.mpm != nullptr ? g.mpm->max_daemon_used() : g.limits.daemons_limit,
                            configured && code == AP_MPMQ_MPM_STATE ? reported_mpm_state() : AP_MPMQ_STARTING,
                            configured ? mpm_data()->my_generation : 0, true};
    return answer_threaded_query(code, result, rv, answers);
}

const char* get_name() noexcept { return "event_cxx"; }

int pre_config(apr_pool_t* pconf, apr_pool_t* /*plog*/, apr_pool_t* /*ptemp*/) noexcept
{
    return c_boundary("pre_config", static_cast<int>(HTTP_INTERNAL_SERVER_ERROR), [&]() -> int {
        RunModes modes = read_run_modes();
        g.one_process = modes.one_process;
        Retained& r = retained_block<Retained>(kRetainedKey);
        g.retained = &r;
        if (int rc = threaded_pre_config(pconf, r.threaded, &r, modes); rc != OK) {
            return rc;
        }
        g.limits = config::ThreadLimits{};
        g.async_factor = config::kDefaultAsyncFactor;
        g.queues = nullptr;
        g.child.active = false;
        g.child.slot = 0;
        g.child.stop.store(0);
        g.child.runtime = nullptr;
        g.mpm = make_pool_object<Event>(pconf, r, g.limits, modes.one_process);
        return OK;
    });
}

int check_config(apr_pool_t* /*pconf*/, apr_pool_t* /*plog*/, apr_pool_t* /*ptemp*/, server_rec* s) noexcept
{
    return c_boundary("check_config", static_cast<int>(HTTP_INTERNAL_SERVER_ERROR), [&]() -> int {
        threaded_check_config(g.limits, config::kEventSpec, g.retained->threaded.sup, s);
        return OK;
    });
}

// One queue per distinct timeout and kind; each server points at its own.
int post_config(apr_pool_t* pconf, apr_pool_t* /*plog*/, apr_pool_t* /*ptemp*/, server_rec* s) noexcept
{
    return c_boundary("post_config", static_cast<int>(HTTP_INTERNAL_SERVER_ERROR), [&]() -> int {
        if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
            return OK;  // the preflight pass runs no child
        }
        auto* set = make_pool_object<QueueSet>(pconf);
        set->linger = std::make_unique<TimeoutQueue>(std::chrono::seconds(30), kLinger);
        set->short_linger = std::make_unique<TimeoutQueue>(std::chrono::seconds(2), kLinger);
        std::map<apr_interval_time_t, TimeoutQueue*> ka, wc, io;
        auto get = [](std::map<apr_interval_time_t, TimeoutQueue*>& index,
                      std::vector<std::unique_ptr<TimeoutQueue>>& owned, apr_interval_time_t t, int kind) {
            auto it = index.find(t);
            if (it != index.end()) {
                return it->second;
            }
            owned.push_back(std::make_unique<TimeoutQueue>(std::chrono::microseconds(t), kind));
            return index[t] = owned.back().get();
        };
        for (server_rec* srv = s; srv != nullptr; srv = srv->next) {
            ServerQueues* sq = srv == s ? &set->main : static_cast<ServerQueues*>(apr_pcalloc(pconf, sizeof(ServerQueues)));
            sq->io = get(io, set->io, srv->timeout, kWaitIo);
            sq->wc = get(wc, set->wc, srv->timeout, kWriteCompletion);
            sq->ka = get(ka, set->ka, srv->keep_alive_timeout, kKeepAlive);
            ap_set_module_config(srv->module_config, &mpm_event_cxx_module, sq);
        }
        g.queues = set;
        return OK;
    });
}

int open_logs(apr_pool_t* pconf, apr_pool_t* /*plog*/, apr_pool_t* /*ptemp*/, server_rec* s) noexcept
{
    return c_boundary("open_logs", static_cast<int>(DONE), [&]() -> int {
        return g.mpm->open_listeners(pconf, s, first_startup(mpm_data())) ? OK : DONE;
    });
}

int run(apr_pool_t* pconf, apr_pool_t* plog, server_rec* s) noexcept
{
    return c_boundary("mpm", static_cast<int>(DONE), [&]() -> int { return g.mpm->run(pconf, plog, s); });
}

apr_status_t timed_callback(apr_time_t t, ap_mpm_callback_fn_t* cb, void* baton) noexcept
{
    return register_timed_callback(t, cb, baton);
}

ConnShared* shared_of(conn_rec* c) noexcept
{
    return static_cast<ConnShared*>(ap_get_module_config(c->conn_config, &mpm_event_cxx_module));
}

apr_status_t request_cleanup(void* c) noexcept
{
    if (ConnShared* cs = shared_of(static_cast<conn_rec*>(c))) {
        cs->r = nullptr;
    }
    return APR_SUCCESS;
}

void pre_read_request(request_rec* r, conn_rec* c) noexcept
{
    if (ConnShared* cs = shared_of(c)) {
        cs->r = r;
        cs->sc = static_cast<ServerQueues*>(ap_get_module_config(ap_server_conf->module_config, &mpm_event_cxx_module));
        apr_pool_cleanup_register(r->pool, c, request_cleanup, apr_pool_cleanup_null);
    }
}

// The request's vhost timeouts apply from here, or the connection's base server's when the vhost sets no
// KeepAliveTimeout of its own (stock's legacy behaviour, kept).
int post_read_request(request_rec* r) noexcept
{
    if (ConnShared* cs = shared_of(r->connection)) {
        server_rec* s = r->server->keep_alive_timeout_set ? r->server : r->connection->base_server;
        if (auto* sq = static_cast<ServerQueues*>(ap_get_module_config(s->module_config, &mpm_event_cxx_module))) {
            cs->sc = sq;
        }
    }
    return OK;
}

// Secondary connections (HTTP/2 streams) get a state of their own, starting as a copy of their master's.
int pre_connection(conn_rec* c, void* /*csd*/) noexcept
{
    return c_boundary("pre_connection", static_cast<int>(OK), [&]() -> int {
        if (c->master != nullptr && (c->cs == nullptr || c->cs == c->master->cs)) {
            ConnShared* master = shared_of(c->master);
            auto* cs = static_cast<ConnShared*>(apr_pcalloc(c->pool, sizeof(ConnShared)));
            if (master != nullptr) {
                cs->sc = master->sc;
                cs->pub = master->pub;
            } else {
                cs->sc = g.queues != nullptr ? &g.queues->main : nullptr;
            }
            cs->pub.state = CONN_STATE_PROCESSING;
            cs->pub.sense = CONN_SENSE_DEFAULT;
            c->cs = &cs->pub;
            ap_set_module_config(c->conn_config, &mpm_event_cxx_module, cs);
        }
        return OK;
    });
}

// A connection-level protocol switch (h2 via ALPN) moves the connection to its new server's timeouts.
int protocol_switch(conn_rec* c, request_rec* r, server_rec* s, const char* /*protocol*/) noexcept
{
    if (r == nullptr && s != nullptr) {
        if (ConnShared* cs = shared_of(c)) {
            if (auto* sq = static_cast<ServerQueues*>(ap_get_module_config(s->module_config, &mpm_event_cxx_module))) {
                cs->sc = sq;
            }
        }
    }
    return DECLINED;
}

// The core's input filter makes its brigade: the bytes read ahead go first (read_ahead.h). Declined, so
// the core (or another module) adds the socket bucket after them.
apr_status_t insert_network_bucket(conn_rec* c, apr_bucket_brigade* bb, apr_socket_t* /*socket*/) noexcept
{
    ConnShared* cs = c->master == nullptr ? shared_of(c) : nullptr;
    if (cs != nullptr && cs->ahead != nullptr) {
        read_ahead_to_core(*cs->ahead, bb);
    }
    return AP_DECLINED;
}

}  // namespace

apr_status_t register_timed_callback(apr_time_t t, ap_mpm_callback_fn_t* cb, void* baton) noexcept
{
    EventChild* rt = g.child.runtime;
    if (rt == nullptr) {
        return APR_ENOTIMPL;  // not in a running child
    }
    return rt->add_timer(t, cb, baton);
}

void register_hooks(apr_pool_t* /*p*/) noexcept
{
    set_log_module(&mpm_event_cxx_module);
    static const char* const before_core[] = {"core.c", nullptr};
    ap_hook_open_logs(open_logs, nullptr, before_core, APR_HOOK_REALLY_FIRST);
    ap_hook_pre_config(pre_config, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
    ap_hook_check_config(check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_mpm(run, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_mpm_query(query, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_mpm_get_name(get_name, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_mpm_register_timed_callback(timed_callback, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_pre_read_request(pre_read_request, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(post_read_request, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_pre_connection(pre_connection, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
    ap_hook_protocol_switch(protocol_switch, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
    ap_hook_insert_network_bucket(insert_network_bucket, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
}

}  // namespace mpmcxx::event
