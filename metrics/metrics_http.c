/*
 * metrics_http.c - /metrics, /healthz and /readyz on libmicrohttpd.
 *
 * One MHD daemon in "internal polling thread" mode: a single thread owns
 * the listening socket and every connection and calls answer() for each
 * request, so the probe cache below is only ever touched by that thread.
 * The crawl's side (heartbeat, ready flag) is atomics.  See metrics_http.h.
 */
#include "metrics/metrics_http.h"

#include "common/fa_err.h"
#include "common/fa_log.h"
#include "common/fa_time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REQUEST_MEMORY_LIMIT (16 * 1024) /* request head ceiling (MHD's pool) */
#define PER_CLIENT_CONNECTIONS 4
#define WHY_MAX 256

struct metrics_http {
    struct MHD_Daemon *daemon;
    metrics_http_options opt;
    _Atomic uint64_t last_beat_ns; /* monotonic */
    _Atomic int ready;
    int port;
    /* storage probe cache: HTTP thread only */
    uint64_t probe_at_ns; /* 0 = never probed */
    int probe_rc;
    char probe_why[WHY_MAX];
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err != NULL && errlen > 0) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- listen addresses ---- */

static int parse_port(const char *s, uint16_t *port)
{
    unsigned long v = 0;
    if (*s == '\0' || strlen(s) > 5) return FA_EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return FA_EINVAL;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    if (v > 65535) return FA_EINVAL;
    *port = (uint16_t)v;
    return 0;
}

int metrics_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[64];
    uint16_t port;
    if (s == NULL || ss == NULL || len == NULL) return FA_EINVAL;
    if (strcmp(s, "none") == 0) return 1;
    memset(ss, 0, sizeof *ss);
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host)
            return FA_EINVAL;
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = '\0';
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        if (parse_port(close + 2, &port) < 0 || inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
            return FA_EINVAL;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        *len = sizeof *a6;
        return 0;
    }
    const char *colon = strrchr(s, ':');
    if (colon == NULL || (size_t)(colon - s) >= sizeof host) return FA_EINVAL;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    if (parse_port(colon + 1, &port) < 0 || inet_pton(AF_INET, host, &a4->sin_addr) != 1)
        return FA_EINVAL;
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    *len = sizeof *a4;
    return 0;
}

/* ---- health ---- */

int metrics_probe_dir_writable(void *ud, char *why, size_t whylen)
{
    const char *dir = ud;
    struct stat sb;
    char path[4096];
    if (dir == NULL) {
        snprintf(why, whylen, "no storage folder to probe");
        return FA_EINVAL;
    }
    if (stat(dir, &sb) < 0) {
        int e = errno;
        snprintf(why, whylen, "storage folder %s: %s", dir, strerror(e));
        return fa_err_from_errno(e);
    }
    if (!S_ISDIR(sb.st_mode)) {
        snprintf(why, whylen, "storage folder %s is not a folder", dir);
        return FA_EINVAL;
    }
    if (geteuid() == 0 && (sb.st_mode & 0222) == 0) {
        snprintf(why, whylen, "storage folder %s is not writable (mode %04o)", dir,
                 (unsigned)(sb.st_mode & 07777));
        return FA_EACCES;
    }
    if (snprintf(path, sizeof path, "%s/.feedarc-health-%ld", dir, (long)getpid()) >=
        (int)sizeof path) {
        snprintf(why, whylen, "storage folder path too long");
        return FA_EINVAL;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    int rc = 0, e = 0;
    if (fd < 0) {
        e = errno;
    } else {
        errno = 0;
        if (write(fd, "ok\n", 3) != 3) e = errno ? errno : EIO;
    }
    if (e != 0) {
        snprintf(why, whylen, "storage folder %s is not writable: %s", dir, strerror(e));
        rc = fa_err_from_errno(e);
    }
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    return rc;
}

/* 0 when healthy, else a reason in why. */
static int check_health(metrics_http *srv, char *why, size_t whylen)
{
    const metrics_http_options *o = &srv->opt;
    uint64_t now = fa_time_mono_ns();
    if (o->stall_after_ms > 0) {
        uint64_t beat = atomic_load_explicit(&srv->last_beat_ns, memory_order_relaxed);
        if (now > beat && now - beat > o->stall_after_ms * 1000000ULL) {
            snprintf(why, whylen, "event loop stalled: no heartbeat for %.1f s",
                     (double)(now - beat) / 1e9);
            return FA_ECANCELED;
        }
    }
    if (o->liveness != NULL) {
        why[0] = '\0';
        int rc = o->liveness(o->liveness_ud, why, whylen);
        if (rc < 0) {
            if (why[0] == '\0') snprintf(why, whylen, "liveness check failed");
            return rc;
        }
    }
    if (o->storage_probe != NULL) {
        uint64_t every = (o->probe_cache_ms ? o->probe_cache_ms : 1000) * 1000000ULL;
        if (srv->probe_at_ns == 0 || now - srv->probe_at_ns >= every) {
            srv->probe_why[0] = '\0';
            srv->probe_rc = o->storage_probe(o->storage_ud, srv->probe_why, sizeof srv->probe_why);
            if (srv->probe_rc < 0 && srv->probe_why[0] == '\0')
                snprintf(srv->probe_why, sizeof srv->probe_why, "storage is not writable");
            srv->probe_at_ns = fa_time_mono_ns();
        }
        if (srv->probe_rc < 0) {
            snprintf(why, whylen, "%s", srv->probe_why);
            return srv->probe_rc;
        }
    }
    return 0;
}

/* ---- requests ---- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);
    if (resp == NULL) {
        if (mode == MHD_RESPMEM_MUST_FREE) free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    return reply(conn, status, "text/plain; charset=utf-8", (char *)text, strlen(text),
                 MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    metrics_http *srv = cls;
    (void)version;
    (void)upload_data;
    if (*req_cls == NULL) { /* first call: headers only; answer on the next */
        *req_cls = srv;
        return MHD_YES;
    }
    if (*upload_data_size != 0) { /* a body: not read, not wanted */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");

    if (strcmp(url, "/metrics") == 0) {
        fa_buf b;
        fa_buf_init(&b, METRICS_MAX_RENDER);
        int rc = srv->opt.registry ? metrics_render(srv->opt.registry, &b) : 0;
        if (rc < 0) {
            fa_buf_free(&b);
            fa_log_error("metrics", "rendering /metrics failed: %s", fa_strerror(rc));
            return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "rendering failed\n");
        }
        size_t len;
        char *body = fa_buf_steal(&b, &len);
        fa_buf_free(&b);
        if (body == NULL) return MHD_NO;
        return reply(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, body, len, MHD_RESPMEM_MUST_FREE);
    }
    if (strcmp(url, "/healthz") == 0) {
        char why[WHY_MAX], text[WHY_MAX + 16];
        if (check_health(srv, why, sizeof why) == 0) return reply_text(conn, MHD_HTTP_OK, "ok\n");
        snprintf(text, sizeof text, "unhealthy: %s\n", why);
        return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, text);
    }
    if (strcmp(url, "/readyz") == 0) {
        if (atomic_load(&srv->ready)) return reply_text(conn, MHD_HTTP_OK, "ready\n");
        return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready\n");
    }
    return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found (try /metrics, /healthz, /readyz)\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    /* debug: most are about a client's bad request; start-up failures are
     * reported by metrics_http_start itself */
    fa_log_debug("metrics", "libmicrohttpd: %s", line);
}

/* ---- life cycle ---- */

int metrics_http_start(const metrics_http_options *opt, metrics_http **out, char *err,
                       size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    if (err != NULL && errlen > 0) err[0] = '\0';
    if (opt == NULL || out == NULL) {
        set_err(err, errlen, "no options");
        return FA_EINVAL;
    }
    *out = NULL;
    const char *listen = opt->listen ? opt->listen : METRICS_HTTP_DEFAULT_LISTEN;
    int prc = metrics_parse_listen(listen, &ss, &sslen);
    if (prc == 1) return 0; /* none */
    if (prc < 0) {
        set_err(err, errlen,
                "metrics.listen \"%s\" is not an address:port (like 127.0.0.1:9464 or "
                "[::1]:9464) or none",
                listen);
        return FA_EINVAL;
    }
    metrics_http *srv = calloc(1, sizeof *srv);
    if (srv == NULL) {
        set_err(err, errlen, "out of memory");
        return FA_ENOMEM;
    }
    srv->opt = *opt;
    srv->opt.listen = NULL; /* not kept: the caller's string */
    atomic_store(&srv->last_beat_ns, fa_time_mono_ns());
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    unsigned max_conn = opt->max_connections ? opt->max_connections : 16;
    unsigned timeout = opt->timeout_s ? opt->timeout_s : 10;
    errno = 0;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, answer, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_CONNECTION_LIMIT, max_conn, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)PER_CLIENT_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)REQUEST_MEMORY_LIMIT,
        MHD_OPTION_END);
    /* (MHD sets SO_REUSEADDR, not SO_REUSEPORT: a second feedarc on the same
     * address fails here instead of sharing the port) */
    if (srv->daemon == NULL) {
        int e = errno;
        set_err(err, errlen, "cannot listen on %s for metrics%s%s", listen, e ? ": " : "",
                e ? strerror(e) : "");
        free(srv);
        return FA_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    *out = srv;
    return 0;
}

void metrics_http_stop(metrics_http *srv)
{
    if (srv == NULL) return;
    MHD_stop_daemon(srv->daemon);
    free(srv);
}

void metrics_http_set_ready(metrics_http *srv, int ready)
{
    if (srv != NULL) atomic_store(&srv->ready, ready != 0);
}

void metrics_http_beat(metrics_http *srv)
{
    if (srv != NULL)
        atomic_store_explicit(&srv->last_beat_ns, fa_time_mono_ns(), memory_order_relaxed);
}

int metrics_http_port(const metrics_http *srv)
{
    return srv != NULL ? srv->port : 0;
}
