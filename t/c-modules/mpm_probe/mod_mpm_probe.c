#define HTTPD_TEST_REQUIRE_APACHE 2.4

#if CONFIG_FOR_HTTPD_TEST

<Location /probe>
    SetHandler mpm-probe
    Require ip 127.0.0.1
</Location>

#endif

/*
 * mod_mpm_probe: a test-only module for the mpm-cxx integration tests.
 *
 * It answers under any location whose handler is "mpm-probe" (the test
 * configurations use <Location /probe>), and only to clients connecting from
 * 127.0.0.1 or ::1 (403 otherwise, on top of "Require ip 127.0.0.1" in the
 * configuration). The last path segment selects the function:
 *
 *   query    every ap_mpm_query() code 0..20 as "code value rv" lines, then
 *            "name <ap_show_mpm()>"
 *   pid      pid, ppid, pgid, uid/euid/gid/egid, scoreboard slot, generation,
 *            mpm_state, local/remote address of the connection
 *   sleep    ?ms=N (0..120000): sends "sleeping\n" at once (flushed), sleeps N
 *            ms (restarting after signals until the time is really over), then
 *            "done\n". The response has a Content-Length.
 *   exit     ?code=N: the serving process calls exit(N) without answering
 *   crash    the serving process raises SIGSEGV
 *   modules  the name field of every loaded module, one per line
 *   graceful_mark_race
 *            prefork kinds only: answers "armed". Right after that response,
 *            when httpd has marked this process's scoreboard entry
 *            BUSY_KEEPALIVE and asks for the MPM state, this module's
 *            mpm_query hook (run before the MPM's) asks the parent for a
 *            graceful restart (SIGUSR1) and waits until the parent has marked
 *            the entry GRACEFUL (up to 2 s), then lets the MPM answer: the
 *            parent's mark lands between httpd's mark and its question, which
 *            otherwise happens only by chance (t/diff/graceful_mark_race.t).
 *
 * It also logs each run of the monitor hook (which the MPM's parent drives,
 * about every ten seconds) at debug level: "mpm_probe: monitor hook ran".
 *
 * Everything is built as a plain module (no Apache::Test header) so the test
 * library can also build it with apxs on its own.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "http_request.h"
#include "http_log.h"
#include "http_main.h"
#include "ap_mpm.h"
#include "mpm_common.h"
#include "scoreboard.h"
#include "util_filter.h"
#include "apr_strings.h"
#include "apr_time.h"

#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/types.h>

module AP_MODULE_DECLARE_DATA mpm_probe_module;
/* so that "LogLevel mpm_probe:debug" applies to this module's lines */
APLOG_USE_MODULE(mpm_probe);

static int arg_int(request_rec *r, const char *name, int dflt)
{
    const char *args = r->args;
    size_t len = strlen(name);

    while (args && *args) {
        if (strncmp(args, name, len) == 0 && args[len] == '=') {
            return atoi(args + len + 1);
        }
        args = strchr(args, '&');
        if (args) {
            args++;
        }
    }
    return dflt;
}

static int is_loopback(const char *ip)
{
    return ip && (strcmp(ip, "127.0.0.1") == 0 || strcmp(ip, "::1") == 0
                  || strcmp(ip, "::ffff:127.0.0.1") == 0);
}

static void probe_query(request_rec *r)
{
    int code;

    for (code = 0; code <= 20; code++) {
        int value = -12345;
        apr_status_t rv = ap_mpm_query(code, &value);
        ap_rprintf(r, "%d %d %d\n", code, value, (int)rv);
    }
    ap_rprintf(r, "name %s\n", ap_show_mpm());
}

static void probe_pid(request_rec *r)
{
    apr_proc_t me;
    int generation = -1, state = -1;
    conn_rec *c = r->connection;

    me.pid = getpid();
    ap_mpm_query(AP_MPMQ_GENERATION, &generation);
    ap_mpm_query(AP_MPMQ_MPM_STATE, &state);

    ap_rprintf(r, "pid %ld\n", (long)getpid());
    ap_rprintf(r, "ppid %ld\n", (long)getppid());
    ap_rprintf(r, "pgid %ld\n", (long)getpgrp());
    ap_rprintf(r, "uid %ld\n", (long)getuid());
    ap_rprintf(r, "euid %ld\n", (long)geteuid());
    ap_rprintf(r, "gid %ld\n", (long)getgid());
    ap_rprintf(r, "egid %ld\n", (long)getegid());
    ap_rprintf(r, "slot %d\n", ap_scoreboard_image ? ap_find_child_by_pid(&me) : -1);
    ap_rprintf(r, "generation %d\n", generation);
    ap_rprintf(r, "mpm_state %d\n", state);
    ap_rprintf(r, "local %s %d\n", c->local_ip,
               c->local_addr ? (int)c->local_addr->port : -1);
    ap_rprintf(r, "remote %s %d\n", c->client_ip,
               c->client_addr ? (int)c->client_addr->port : -1);
}

static void probe_sleep(request_rec *r)
{
    static const char head[] = "sleeping\n";
    static const char tail[] = "done\n";
    int ms = arg_int(r, "ms", 1000);
    apr_time_t until;

    if (ms < 0) {
        ms = 0;
    }
    if (ms > 120000) {
        ms = 120000;
    }
    ap_set_content_length(r, (apr_off_t)(sizeof(head) - 1 + sizeof(tail) - 1));
    ap_rwrite(head, sizeof(head) - 1, r);
    ap_rflush(r);

    until = apr_time_now() + apr_time_from_msec(ms);
    for (;;) {
        apr_time_t now = apr_time_now();
        if (now >= until) {
            break;
        }
        apr_sleep(until - now);
    }
    ap_rwrite(tail, sizeof(tail) - 1, r);
}

/* Set by a graceful_mark_race request in this process, cleared when used. */
static int mark_race_armed;

static int probe_mpm_query(int code, int *result, apr_status_t *rv)
{
    apr_proc_t me;
    int slot;
    apr_time_t until;

    (void)result;
    (void)rv;
    if (!mark_race_armed || code != AP_MPMQ_MPM_STATE || !ap_scoreboard_image) {
        return DECLINED;
    }
    me.pid = getpid();
    slot = ap_find_child_by_pid(&me);
    if (slot < 0 || ap_scoreboard_image->servers[slot][0].status != SERVER_BUSY_KEEPALIVE) {
        return DECLINED;
    }
    mark_race_armed = 0;
    kill(getppid(), SIGUSR1);
    until = apr_time_now() + apr_time_from_sec(2);
    while (ap_scoreboard_image->servers[slot][0].status != SERVER_GRACEFUL
           && apr_time_now() < until) {
        apr_sleep(apr_time_from_msec(1));
    }
    /* the parent signals right after its mark: let the signal arrive too */
    apr_sleep(apr_time_from_msec(50));
    return DECLINED;
}

static void probe_modules(request_rec *r)
{
    module **m;

    for (m = ap_loaded_modules; *m != NULL; m++) {
        ap_rprintf(r, "%s\n", (*m)->name);
    }
}

static int probe_handler(request_rec *r)
{
    const char *what;

    if (!r->handler || strcmp(r->handler, "mpm-probe") != 0) {
        return DECLINED;
    }
    if (!is_loopback(r->connection->client_ip)
        || !is_loopback(r->connection->local_ip)) {
        return HTTP_FORBIDDEN;
    }
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }

    what = strrchr(r->uri, '/');
    what = what ? what + 1 : r->uri;

    if (strcmp(what, "exit") == 0) {
        int code = arg_int(r, "code", 0);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                      "mpm_probe: process %ld exits with code %d on request",
                      (long)getpid(), code);
        exit(code);
    }
    if (strcmp(what, "crash") == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                      "mpm_probe: process %ld raises SIGSEGV on request",
                      (long)getpid());
        raise(SIGSEGV);
        /* if SIGSEGV was ignored or handled and returned, really die */
        abort();
    }

    ap_set_content_type(r, "text/plain");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");

    if (strcmp(what, "query") == 0) {
        if (!r->header_only) {
            probe_query(r);
        }
    }
    else if (strcmp(what, "pid") == 0) {
        if (!r->header_only) {
            probe_pid(r);
        }
    }
    else if (strcmp(what, "sleep") == 0) {
        probe_sleep(r);
    }
    else if (strcmp(what, "graceful_mark_race") == 0) {
        mark_race_armed = 1;
        ap_rputs("armed\n", r);
    }
    else if (strcmp(what, "modules") == 0) {
        if (!r->header_only) {
            probe_modules(r);
        }
    }
    else {
        return HTTP_NOT_FOUND;
    }
    return OK;
}

static int probe_monitor(apr_pool_t *p, server_rec *s)
{
    (void)p;
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "mpm_probe: monitor hook ran in process %ld", (long)getpid());
    return DECLINED;
}

static void probe_register_hooks(apr_pool_t *p)
{
    ap_hook_handler(probe_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_monitor(probe_monitor, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_mpm_query(probe_mpm_query, NULL, NULL, APR_HOOK_REALLY_FIRST);
}

module AP_MODULE_DECLARE_DATA mpm_probe_module = {
    STANDARD20_MODULE_STUFF,
    NULL,                       /* per-directory config creator */
    NULL,                       /* dir config merger */
    NULL,                       /* server config creator */
    NULL,                       /* server config merger */
    NULL,                       /* command table */
    probe_register_hooks,       /* hook registration */
};
