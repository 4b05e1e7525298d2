/*
 * site_server.c - loopback HTTP/1.1 sites on libmicrohttpd; see site_server.h.
 *
 * The idea
 * --------
 * A site_server is one libmicrohttpd daemon on one address:port, run with a
 * thread per connection (MHD_USE_THREAD_PER_CONNECTION), so a route's delay
 * holds only its own connection, as a slow page on a real server would - or,
 * for the benches' sites, with one epoll thread for all its connections
 * (SITE_SERVER_ONE_THREAD), which costs about a third less CPU per request.
 * Everything else is bookkeeping for tests that want to check a crawler's
 * politeness from the server's side.
 *
 * Three libmicrohttpd callbacks bracket each connection and request:
 *
 *   NOTIFY_CONNECTION STARTED   conn allocated, serial assigned, open++
 *   URI_LOG_CALLBACK            request begins: start time, raw URI with the
 *                               query string, in-flight++  (the request
 *                               context lives inside its conn: a connection
 *                               carries one request at a time)
 *   access handler              headers read, route looked up, delay slept,
 *                               response queued
 *   content reader              hands out the body; when the last byte goes
 *                               out the request "ends"
 *   NOTIFY_COMPLETED            route reference dropped; ends the request if
 *                               it has not ended yet (client went away)
 *   NOTIFY_CONNECTION CLOSED    open--, conn freed
 *
 * When a request ends
 * -------------------
 * A request ends - it stops counting as in flight, gets end_ns and enters
 * the log - at the moment its last bytes are handed to libmicrohttpd (for a
 * response without a body: just before it is queued).  That is always before
 * the client can have seen the end of the response, so a client that reads
 * the log right after its transfer finished always finds its request there,
 * and the peak counts never include a request the client already considers
 * finished (MHD's completion notice comes a little later, on the server's
 * thread, and would make peaks flaky).  Connection closes are reported by
 * MHD after the socket is closed, so peak_connections can briefly lag a
 * client that closes one connection and opens another at once.
 *
 * Routes are refcounted and immutable once added (only the status, delay
 * and chunked flag are read under the lock at lookup), so a route replaced
 * while a request is sending it stays valid until that request completes.
 *
 * Ceilings: route paths 4 KiB, bodies 256 MiB, extra headers 16 KiB, the log
 * SITE_SERVER_LOG_MAX_DEFAULT entries (more are dropped and counted).
 */
#include "demo/site_server.h"

#include "common/fa_err.h"
#include "common/fa_time.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define ROUTE_PATH_MAX 4096
#define ROUTE_BODY_MAX ((size_t)256 << 20)
#define ROUTE_HEADERS_MAX 16384
#define ROUTE_HEADERS_COUNT_MAX 64
#define CHUNKED_PIECES 3 /* a chunked body goes out in about this many chunks */

struct route {
    char *path;
    int status;
    unsigned delay_ms;
    int chunked;
    char *content_type; /* NULL: no Content-Type */
    char *body;
    size_t body_len;
    char **hdr_name; /* parsed extra_headers */
    char **hdr_value;
    size_t n_hdrs;
    const char *etag;          /* points into hdr_value, or NULL */
    const char *last_modified; /* idem */
    unsigned refs;             /* the table's reference + requests in progress */
    struct route *next;        /* hash chain */
};

struct request {
    site_server *srv;
    int active;    /* between the URI callback and completion */
    int in_flight; /* counted in srv->cur_requests, not yet logged */
    int headers_seen;
    site_request_log log;
    struct route *route; /* held reference, or NULL (404) */
    const char *body;    /* route body or the static 404 page */
    size_t body_len;
    int chunked;
    uint64_t sent;
};

struct conn {
    site_server *srv;
    unsigned serial;
    struct request req;
};

struct site_server {
    struct MHD_Daemon *daemon;
    char ip[64];
    uint16_t port;
    char origin[96];

    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t stop_cond;
    int stopping;

    struct route **buckets;
    size_t n_buckets;
    size_t n_routes;
    struct route *fallback; /* the "*" route */

    site_request_log *log;
    size_t log_len, log_cap, log_max;
    uint64_t log_dropped;
    uint64_t n_requests;

    unsigned next_serial;
    unsigned cur_conns, peak_conns;
    unsigned cur_requests, peak_requests;
};

static const char not_found_page[] =
    "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
    "<body><h1>Not Found</h1><p>The requested page does not exist on this site.</p>"
    "</body></html>\n";

/* ---- routes ---- */

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void route_free(struct route *r)
{
    if (r == NULL) return;
    for (size_t i = 0; i < r->n_hdrs; i++) {
        free(r->hdr_name[i]);
        free(r->hdr_value[i]);
    }
    free(r->hdr_name);
    free(r->hdr_value);
    free(r->path);
    free(r->content_type);
    free(r->body);
    free(r);
}

/* Drops one reference; call with the lock held. */
static void route_unref_locked(struct route *r)
{
    if (r != NULL && --r->refs == 0) route_free(r);
}

static char *dup_range(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Splits "Name: value\r\n..." into r->hdr_name/hdr_value.  Headers that
 * libmicrohttpd writes itself (Content-Length, Transfer-Encoding) are
 * refused, as are malformed lines. */
static int route_parse_headers(struct route *r, const char *text)
{
    size_t len = strlen(text);
    if (len > ROUTE_HEADERS_MAX) return FA_ETOOBIG;
    r->hdr_name = calloc(ROUTE_HEADERS_COUNT_MAX, sizeof *r->hdr_name);
    r->hdr_value = calloc(ROUTE_HEADERS_COUNT_MAX, sizeof *r->hdr_value);
    if (r->hdr_name == NULL || r->hdr_value == NULL) return FA_ENOMEM;
    const char *p = text;
    while (*p != '\0') {
        const char *eol = strchr(p, '\n');
        const char *next = eol ? eol + 1 : p + strlen(p);
        const char *end = eol ? eol : next;
        if (end > p && end[-1] == '\r') end--;
        if (end == p) { /* empty line */
            p = next;
            continue;
        }
        const char *colon = memchr(p, ':', (size_t)(end - p));
        if (colon == NULL || colon == p) return FA_EINVAL;
        const char *v = colon + 1;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        const char *ve = end;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        if (r->n_hdrs == ROUTE_HEADERS_COUNT_MAX) return FA_ETOOBIG;
        char *name = dup_range(p, (size_t)(colon - p));
        char *value = dup_range(v, (size_t)(ve - v));
        if (name == NULL || value == NULL) {
            free(name);
            free(value);
            return FA_ENOMEM;
        }
        r->hdr_name[r->n_hdrs] = name;
        r->hdr_value[r->n_hdrs] = value;
        r->n_hdrs++;
        if (strcasecmp(name, "Content-Length") == 0 || strcasecmp(name, "Transfer-Encoding") == 0 ||
            strchr(name, ' ') != NULL)
            return FA_EINVAL;
        if (strcasecmp(name, "ETag") == 0)
            r->etag = value;
        else if (strcasecmp(name, "Last-Modified") == 0)
            r->last_modified = value;
        p = next;
    }
    return 0;
}

static struct route **route_slot_locked(site_server *s, const char *path, size_t n)
{
    struct route **pp = &s->buckets[hash_str(path, n) & (s->n_buckets - 1)];
    while (*pp != NULL && !(strlen((*pp)->path) == n && memcmp((*pp)->path, path, n) == 0))
        pp = &(*pp)->next;
    return pp;
}

static int route_table_grow_locked(site_server *s)
{
    size_t nb = s->n_buckets ? s->n_buckets * 2 : 64;
    struct route **b = calloc(nb, sizeof(struct route *));
    if (b == NULL) return FA_ENOMEM;
    for (size_t i = 0; i < s->n_buckets; i++) {
        struct route *r = s->buckets[i];
        while (r != NULL) {
            struct route *next = r->next;
            size_t k = hash_str(r->path, strlen(r->path)) & (nb - 1);
            r->next = b[k];
            b[k] = r;
            r = next;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->n_buckets = nb;
    return 0;
}

/* Finds the route for a raw URI: exact, then without the query, then "*".
 * Returns it with a reference taken, or NULL.  Lock held. */
static struct route *route_lookup_locked(site_server *s, const char *uri)
{
    struct route *r = NULL;
    if (s->n_buckets != 0) {
        r = *route_slot_locked(s, uri, strlen(uri));
        const char *q = strchr(uri, '?');
        if (r == NULL && q != NULL) r = *route_slot_locked(s, uri, (size_t)(q - uri));
    }
    if (r == NULL) r = s->fallback;
    if (r != NULL) r->refs++;
    return r;
}

int site_server_route(site_server *s, const char *path, int status, const char *content_type,
                      const void *body, size_t body_len, const char *extra_headers,
                      unsigned delay_ms)
{
    if (s == NULL || path == NULL || path[0] == '\0' || status < 100 || status > 999 ||
        (body == NULL && body_len != 0))
        return FA_EINVAL;
    if (strlen(path) > ROUTE_PATH_MAX || body_len > ROUTE_BODY_MAX) return FA_ETOOBIG;

    int rc = FA_ENOMEM;
    struct route *r = calloc(1, sizeof *r);
    if (r == NULL) goto out;
    r->status = status;
    r->delay_ms = delay_ms;
    r->refs = 1;
    r->body_len = body_len;
    r->path = strdup(path);
    r->body = malloc(body_len ? body_len : 1);
    if (r->path == NULL || r->body == NULL) goto out;
    if (body_len) memcpy(r->body, body, body_len);
    if (content_type != NULL && (r->content_type = strdup(content_type)) == NULL) goto out;
    if (extra_headers != NULL && (rc = route_parse_headers(r, extra_headers)) < 0) goto out;

    pthread_mutex_lock(&s->lock);
    if (strcmp(path, "*") == 0) {
        route_unref_locked(s->fallback);
        s->fallback = r;
        rc = 0;
    } else if (s->n_routes + 1 > s->n_buckets && (rc = route_table_grow_locked(s)) < 0) {
        /* rc set */
    } else {
        struct route **pp = route_slot_locked(s, path, strlen(path));
        if (*pp != NULL) {
            struct route *old = *pp;
            r->next = old->next;
            *pp = r;
            route_unref_locked(old);
        } else {
            *pp = r;
            s->n_routes++;
        }
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    if (rc == 0) r = NULL;
out:
    route_free(r);
    return rc;
}

int site_server_route_chunked(site_server *s, const char *path, int chunked)
{
    if (s == NULL || path == NULL) return FA_EINVAL;
    int rc = FA_ENOENT;
    pthread_mutex_lock(&s->lock);
    struct route *r = NULL;
    if (strcmp(path, "*") == 0)
        r = s->fallback;
    else if (s->n_buckets != 0)
        r = *route_slot_locked(s, path, strlen(path));
    if (r != NULL) {
        r->chunked = chunked != 0;
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---- the request log ---- */

static void log_append_locked(site_server *s, const site_request_log *e)
{
    s->n_requests++;
    if (s->log_len == s->log_max) {
        s->log_dropped++;
        return;
    }
    if (s->log_len == s->log_cap) {
        size_t cap = s->log_cap ? s->log_cap * 2 : 64;
        if (cap > s->log_max) cap = s->log_max;
        site_request_log *p = realloc(s->log, cap * sizeof *p);
        if (p == NULL) {
            s->log_dropped++;
            return;
        }
        s->log = p;
        s->log_cap = cap;
    }
    s->log[s->log_len++] = *e;
}

/* The request's response is (about to be) fully handed over: it leaves the
 * in-flight count and enters the log.  Lock held. */
static void request_end_locked(struct request *q)
{
    if (!q->in_flight) return;
    site_server *s = q->srv;
    q->in_flight = 0;
    q->log.end_ns = fa_time_mono_ns();
    s->cur_requests--;
    log_append_locked(s, &q->log);
}

static void request_end(struct request *q)
{
    pthread_mutex_lock(&q->srv->lock);
    request_end_locked(q);
    pthread_mutex_unlock(&q->srv->lock);
}

static void request_finish_locked(struct request *q)
{
    if (!q->active) return;
    request_end_locked(q);
    route_unref_locked(q->route);
    q->route = NULL;
    q->active = 0;
}

size_t site_server_log(site_server *s, site_request_log **out)
{
    *out = NULL;
    if (s == NULL) return 0;
    size_t n = 0;
    pthread_mutex_lock(&s->lock);
    if (s->log_len != 0) {
        *out = malloc(s->log_len * sizeof **out);
        if (*out != NULL) {
            memcpy(*out, s->log, s->log_len * sizeof **out);
            n = s->log_len;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

void site_server_reset_log(site_server *s)
{
    if (s == NULL) return;
    pthread_mutex_lock(&s->lock);
    s->log_len = 0;
    s->log_dropped = 0;
    s->n_requests = 0;
    s->peak_conns = s->cur_conns;
    s->peak_requests = s->cur_requests;
    pthread_mutex_unlock(&s->lock);
}

void site_server_set_log_max(site_server *s, size_t max_entries)
{
    if (s == NULL) return;
    pthread_mutex_lock(&s->lock);
    s->log_max = max_entries < s->log_len ? s->log_len : max_entries;
    pthread_mutex_unlock(&s->lock);
}

uint64_t site_server_log_dropped(site_server *s)
{
    if (s == NULL) return 0;
    pthread_mutex_lock(&s->lock);
    uint64_t n = s->log_dropped;
    pthread_mutex_unlock(&s->lock);
    return n;
}

uint64_t site_server_request_count(site_server *s)
{
    if (s == NULL) return 0;
    pthread_mutex_lock(&s->lock);
    uint64_t n = s->n_requests;
    pthread_mutex_unlock(&s->lock);
    return n;
}

unsigned site_server_peak_connections(site_server *s)
{
    if (s == NULL) return 0;
    pthread_mutex_lock(&s->lock);
    unsigned n = s->peak_conns;
    pthread_mutex_unlock(&s->lock);
    return n;
}

unsigned site_server_peak_requests(site_server *s)
{
    if (s == NULL) return 0;
    pthread_mutex_lock(&s->lock);
    unsigned n = s->peak_requests;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* ---- libmicrohttpd callbacks ---- */

static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    site_server *s = cls;
    (void)connection;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn *c = calloc(1, sizeof *c);
        *socket_context = c;
        pthread_mutex_lock(&s->lock);
        if (c != NULL) {
            c->srv = s;
            c->serial = ++s->next_serial;
        }
        if (++s->cur_conns > s->peak_conns) s->peak_conns = s->cur_conns;
        pthread_mutex_unlock(&s->lock);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct conn *c = *socket_context;
        pthread_mutex_lock(&s->lock);
        if (c != NULL) request_finish_locked(&c->req);
        s->cur_conns--;
        pthread_mutex_unlock(&s->lock);
        free(c);
        *socket_context = NULL;
    }
}

/* When the kernel received the latest data of the connection - the request
 * line just read: now_ns less TCP_INFO's tcpi_last_data_recv (ms since the
 * last data segment arrived, counted in jiffies).  A server under load -
 * a thread per connection waiting for a CPU, or the one epoll thread
 * (SITE_SERVER_ONE_THREAD) busy with other connections first - may run a
 * request tens of ms after it arrived; this time does not move with that.
 * now_ns when TCP_INFO is not available.  (In the one-thread mode a closed
 * connection is noticed on the thread's next pass, so a client closing one
 * connection and opening another at once may briefly count one more in
 * peak_connections.) */
static uint64_t arrival_ns(struct MHD_Connection *connection, uint64_t now_ns)
{
    const union MHD_ConnectionInfo *fi =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    if (fi == NULL || getsockopt(fi->connect_fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_last_data_recv) + sizeof ti.tcpi_last_data_recv)
        return now_ns;
    uint64_t ago_ns = (uint64_t)ti.tcpi_last_data_recv * 1000000ULL;
    return ago_ns < now_ns ? now_ns - ago_ns : now_ns;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    site_server *s = cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn *c = ci ? ci->socket_context : NULL;
    if (c == NULL) return NULL; /* the access handler refuses such a request */
    struct request *q = &c->req;
    pthread_mutex_lock(&s->lock);
    request_finish_locked(q); /* defensive: MHD completes before the next one */
    memset(q, 0, sizeof *q);
    q->srv = s;
    q->active = 1;
    q->in_flight = 1;
    q->log.start_ns = fa_time_mono_ns();
    q->log.arrival_ns = arrival_ns(connection, q->log.start_ns);
    q->log.connection = c->serial;
    snprintf(q->log.path, sizeof q->log.path, "%s", uri ? uri : "");
    if (++s->cur_requests > s->peak_requests) s->peak_requests = s->cur_requests;
    pthread_mutex_unlock(&s->lock);
    return q;
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    site_server *s = cls;
    (void)connection;
    (void)toe;
    struct request *q = *req_cls;
    if (q == NULL) return;
    pthread_mutex_lock(&s->lock);
    request_finish_locked(q);
    pthread_mutex_unlock(&s->lock);
    *req_cls = NULL;
}

static ssize_t read_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct request *q = cls;
    if (pos >= q->body_len) {
        request_end(q);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = q->body_len - (size_t)pos;
    if (q->chunked) {
        size_t piece = (q->body_len + CHUNKED_PIECES - 1) / CHUNKED_PIECES;
        if (n > piece) n = piece;
    }
    if (n > max) n = max;
    memcpy(buf, q->body + pos, n);
    q->sent = pos + n;
    if (!q->chunked && q->sent == q->body_len)
        request_end(q); /* a chunked body ends at END_OF_STREAM instead */
    return (ssize_t)n;
}

/* Sleeps ms milliseconds, waking early when the server stops.  Returns 0,
 * or FA_ECANCELED when stopping. */
static int wait_delay(site_server *s, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->stopping && pthread_cond_timedwait(&s->stop_cond, &s->lock, &until) != ETIMEDOUT)
        ;
    int rc = s->stopping ? FA_ECANCELED : 0;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* Strips a weak-validator prefix and compares two entity tags. */
static int etag_equal(const char *a, size_t alen, const char *b)
{
    if (alen >= 2 && a[0] == 'W' && a[1] == '/') {
        a += 2;
        alen -= 2;
    }
    if (b[0] == 'W' && b[1] == '/') b += 2;
    return strlen(b) == alen && memcmp(a, b, alen) == 0;
}

static int if_none_match_hits(const char *header, const char *etag)
{
    const char *p = header;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *e = p;
        while (*e != '\0' && *e != ',')
            e++;
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((t - p == 1 && *p == '*') || (t > p && etag_equal(p, (size_t)(t - p), etag))) return 1;
        p = e;
    }
    return 0;
}

static void copy_header(struct MHD_Connection *connection, const char *name, char *out,
                        size_t outlen)
{
    const char *v = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, name);
    snprintf(out, outlen, "%s", v ? v : "");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    site_server *s = cls;
    struct request *q = *req_cls;
    (void)url;
    (void)version;
    (void)upload_data;
    if (q == NULL) return MHD_NO;
    if (!q->headers_seen) {
        q->headers_seen = 1;
        snprintf(q->log.method, sizeof q->log.method, "%s", method);
        copy_header(connection, MHD_HTTP_HEADER_USER_AGENT, q->log.user_agent,
                    sizeof q->log.user_agent);
        copy_header(connection, MHD_HTTP_HEADER_IF_NONE_MATCH, q->log.if_none_match,
                    sizeof q->log.if_none_match);
        copy_header(connection, MHD_HTTP_HEADER_IF_MODIFIED_SINCE, q->log.if_modified_since,
                    sizeof q->log.if_modified_since);
        return MHD_YES;
    }
    if (*upload_data_size != 0) { /* request bodies are read and ignored */
        *upload_data_size = 0;
        return MHD_YES;
    }

    int status = 404;
    unsigned delay_ms = 0;
    pthread_mutex_lock(&s->lock);
    struct route *r = route_lookup_locked(s, q->log.path);
    if (r != NULL) {
        q->route = r;
        status = r->status;
        delay_ms = r->delay_ms;
        q->chunked = r->chunked;
        q->body = r->body;
        q->body_len = r->body_len;
    } else {
        q->body = not_found_page;
        q->body_len = sizeof not_found_page - 1;
    }
    pthread_mutex_unlock(&s->lock);

    if (delay_ms != 0 && wait_delay(s, delay_ms) < 0) return MHD_NO;

    int is_head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    if (r != NULL && (is_head || strcmp(method, MHD_HTTP_METHOD_GET) == 0)) {
        /* RFC 9110 13.2.2: If-None-Match, when present, decides alone. */
        const char *inm =
            MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
        const char *ims = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                      MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
        if (inm != NULL
                ? (r->etag != NULL && if_none_match_hits(inm, r->etag))
                : (ims != NULL && r->last_modified != NULL && strcmp(ims, r->last_modified) == 0))
            status = MHD_HTTP_NOT_MODIFIED;
    }

    int bodiless = is_head || status == MHD_HTTP_NOT_MODIFIED || status == MHD_HTTP_NO_CONTENT ||
                   (q->body_len == 0 && !q->chunked);
    struct MHD_Response *resp;
    if (status == MHD_HTTP_NOT_MODIFIED || (q->body_len == 0 && !q->chunked))
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    else
        resp = MHD_create_response_from_callback(q->chunked ? MHD_SIZE_UNKNOWN : q->body_len, 16384,
                                                 read_body, q, NULL);
    if (resp == NULL) return MHD_NO;
    if (r == NULL) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
    } else {
        if (r->content_type != NULL && status != MHD_HTTP_NOT_MODIFIED)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
        for (size_t i = 0; i < r->n_hdrs; i++)
            MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
    }
    q->log.status = status;
    if (bodiless) request_end(q);
    enum MHD_Result ret = MHD_queue_response(connection, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- lifecycle ---- */

site_server *site_server_start(const char *ip, uint16_t port)
{
    return site_server_start_threading(ip, port, SITE_SERVER_THREAD_PER_CONNECTION);
}

site_server *site_server_start_threading(const char *ip, uint16_t port,
                                         enum site_server_threading threading)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = threading == SITE_SERVER_ONE_THREAD
                         ? MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG
                         : MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                               MHD_USE_POLL | MHD_USE_ERROR_LOG;
    int v6 = 0;
    if (ip == NULL) ip = "127.0.0.1";
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
    } else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        flags |= MHD_USE_IPv6;
        v6 = 1;
    } else {
        fprintf(stderr, "site_server: \"%s\" is not an IP address\n", ip);
        return NULL;
    }

    site_server *s = calloc(1, sizeof *s);
    if (s == NULL) return NULL;
    snprintf(s->ip, sizeof s->ip, "%s", ip);
    s->log_max = SITE_SERVER_LOG_MAX_DEFAULT;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->stop_cond, &ca);
    pthread_condattr_destroy(&ca);

    s->daemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_CONNECTION,
                                 on_connection, s, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60, MHD_OPTION_END);
    if (s->daemon == NULL) {
        fprintf(stderr, "site_server: cannot listen on %s:%u\n", ip, (unsigned)port);
        site_server_stop(s);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : port;
    snprintf(s->origin, sizeof s->origin, v6 ? "http://[%s]:%u" : "http://%s:%u", ip,
             (unsigned)s->port);
    return s;
}

uint16_t site_server_port(const site_server *s)
{
    return s->port;
}

const char *site_server_origin(const site_server *s)
{
    return s->origin;
}

const char *site_server_ip(const site_server *s)
{
    return s->ip;
}

void site_server_stop(site_server *s)
{
    if (s == NULL) return;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_broadcast(&s->stop_cond);
    pthread_mutex_unlock(&s->lock);
    if (s->daemon != NULL) MHD_stop_daemon(s->daemon); /* joins every connection thread */
    for (size_t i = 0; i < s->n_buckets; i++) {
        struct route *r = s->buckets[i];
        while (r != NULL) {
            struct route *next = r->next;
            route_free(r); /* no request holds a reference any more */
            r = next;
        }
    }
    route_free(s->fallback);
    free(s->buckets);
    free(s->log);
    pthread_cond_destroy(&s->stop_cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
