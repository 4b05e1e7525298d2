/*
 * metrics_http.h - the operator's HTTP endpoint: /metrics, /healthz, /readyz.
 *
 * A libmicrohttpd daemon with its own thread (MHD's internal polling
 * thread), never the crawl's event loop: a slow scraper, a stuck client or
 * a storage probe hanging on a dead disk delays only this thread.  The
 * crawl talks to it only through atomics (bumping metrics, the heartbeat,
 * the ready flag) and the callbacks it registers, which run on this thread.
 *
 *   GET /metrics   200, the registry in the Prometheus text format 0.0.4
 *   GET /healthz   200 "ok" while the event loop turns (a heartbeat younger
 *                  than stall_after_ms, and the liveness callback if any
 *                  agrees) and storage is writable (the storage probe,
 *                  its answer cached probe_cache_ms); else 503 with a
 *                  one-line reason
 *   GET /readyz    200 "ready" once metrics_http_set_ready(srv, 1), else 503
 *   anything else  404; methods other than GET and HEAD: 405
 *
 * Bounded: at most max_connections connections (4 per client address), a
 * connection idle for timeout_s is closed, a request head larger than
 * 16 KiB is refused by MHD (431), request bodies are not read.
 */
#ifndef METRICS_HTTP_H
#define METRICS_HTTP_H

#include "metrics/metrics.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The default listen address (config metrics.listen). */
#define METRICS_HTTP_DEFAULT_LISTEN "127.0.0.1:9464"

typedef struct metrics_http metrics_http;

/* A health check, called on the HTTP thread.  Returns 0 when healthy;
 * otherwise a negative code with a short one-line reason written into why
 * (whylen bytes, always at least 128). */
typedef int (*metrics_health_fn)(void *ud, char *why, size_t whylen);

typedef struct metrics_http_options {
    const char *listen;          /* "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464",
                                    "none" (no server); NULL = the default; port 0
                                    picks a free port (tests: metrics_http_port) */
    metrics_registry *registry;  /* rendered on /metrics; borrowed, must outlive the
                                    server; NULL serves an empty text */
    uint64_t stall_after_ms;     /* 0 = no heartbeat check; else /healthz fails when
                                    metrics_http_beat was not called for this long
                                    (counted from start until the first beat) */
    metrics_health_fn liveness;  /* optional extra liveness check */
    void *liveness_ud;
    metrics_health_fn storage_probe; /* optional; e.g. metrics_probe_dir_writable */
    void *storage_ud;
    uint64_t probe_cache_ms;     /* the storage probe runs at most this often; 0 = 1000 */
    unsigned max_connections;    /* 0 = 16 */
    unsigned timeout_s;          /* idle connection timeout; 0 = 10 */
} metrics_http_options;

/*
 * Starts the server on its own thread.  On success *out owns it (stop with
 * metrics_http_stop); with listen "none" it returns 0 and *out = NULL (every
 * function below accepts NULL).  Returns FA_EINVAL for a bad listen
 * address, FA_EIO when the address cannot be bound (in use, not local) or
 * the thread cannot start, FA_ENOMEM; err (errlen bytes, may be NULL) then
 * says why.
 */
int metrics_http_start(const metrics_http_options *opt, metrics_http **out, char *err,
                       size_t errlen);

/* Stops the thread (closing the listening socket and every connection) and
 * frees srv.  No callback runs after it returns.  NULL is accepted. */
void metrics_http_stop(metrics_http *srv);

/* /readyz answers 200 once ready is non-zero (and 503 again after 0, e.g.
 * while shutting down).  Any thread. */
void metrics_http_set_ready(metrics_http *srv, int ready);

/* The crawl's heartbeat: call it from a periodic timer on the event loop
 * (say every second).  One atomic store; any thread. */
void metrics_http_beat(metrics_http *srv);

/* The port listened on (useful with port 0), or 0 for NULL. */
int metrics_http_port(const metrics_http *srv);

/*
 * Parses a listen address: "none" (returns 1, *ss untouched), "A.B.C.D:port"
 * or "[IPv6]:port" (port 0..65535; returns 0 and fills *ss, *len).  Returns
 * FA_EINVAL for anything else (host names included: give an address).
 */
int metrics_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/*
 * A storage probe: ud is a folder (const char *).  Healthy when the folder
 * exists and a small file can be created, written and removed in it; as
 * root (who may write anywhere) a folder without any write permission bit
 * counts as unwritable too, so `chmod a-w` means what an operator expects.
 */
int metrics_probe_dir_writable(void *ud, char *why, size_t whylen);

#endif
