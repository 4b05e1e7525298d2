/*
 * fetcher.c - libcurl multi on libuv.  See fetcher.h for the contract.
 *
 * Wiring (curl docs/examples/multi-uv.c and hiperfifo.c):
 *   CURLMOPT_SOCKETFUNCTION -> one uv_poll_t per socket (sock_ctx, attached
 *   with curl_multi_assign), started/stopped as curl asks;
 *   CURLMOPT_TIMERFUNCTION -> one uv_timer_t; a 0 ms timeout simply fires on
 *   the next loop iteration;
 *   every curl_multi_socket_action is followed by draining
 *   curl_multi_info_read, and owners are called from there - outside curl's
 *   callbacks - so they may start new transfers;
 *   fetcher_start only queues a transfer: an idle handle (on_start) hands
 *   START_BATCH of them to curl per loop iteration, so the loop thread
 *   never sends dozens of requests in one turn.
 * Easy handles are pooled and reused; connections live in the multi's
 * cache and are kept alive across transfers to the same host.
 */
#include "crawler/fetcher.h"
#include "common/fa_container.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "common/fa_time.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EASY_POOL_MAX 128
/* Transfers handed to curl per loop iteration.  curl sends the requests of
 * the handles added since its last timeout in one call, and on loopback
 * each send also pays the receiving side's TCP work: ~150 µs a request on
 * the 2-core bench machine.  A host queue that opens 30 transfers at once
 * would hold the loop for ~5 ms; 8 per iteration is ~1.2 ms, and still far
 * more starts per second than the crawl can finish. */
#define START_BATCH 8
/* The loop thread's time for ready sockets in one loop iteration, µs.
 * libuv runs the callbacks of every socket epoll reports ready in one go;
 * when dozens of connections have data at once (responses that were sent
 * together arrive together) that is several milliseconds in which no timer
 * runs.  A socket whose turn comes after the pass has used its time is left
 * for the next iteration: epoll is level-triggered, so it is reported
 * again at once, after the timers and the starter have run.  Nothing is
 * dropped or reordered within a socket; the pass is at most this plus one
 * socket's callback.  fetcher_options.poll_pass_us sets another.  Not
 * fair: epoll lists ready sockets in a stable order, so a socket that is
 * ready at every iteration and alone takes the pass's time (a large body
 * streaming in at loopback speed) is served first each time and the ones
 * after it wait until it has ended - bounded by max_body_size. */
#define POLL_PASS_US 1000

typedef struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    fetcher *f;
    struct sock_ctx *next, *prev;
} sock_ctx;

struct fetcher {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    fetcher_options opt;
    char *user_agent, *tmp_dir, *accept_encoding;
    unsigned active;
    fetch_transfer *transfers; /* in flight, and waiting to be handed to curl */
    fetch_transfer *waiting, **waiting_last; /* started, not yet handed to curl */
    uv_idle_t starter;         /* hands START_BATCH of them to curl per loop iteration */
    sock_ctx *socks;
    CURL *pool[EASY_POOL_MAX];
    unsigned n_pool;
    unsigned handles_open; /* uv handles not yet closed */
    int closing;
    uv_check_t pass_end;       /* after each poll pass: the next pass starts afresh */
    uint64_t pass_start_ns;    /* the first ready socket of this pass; 0: none yet */
    uint64_t pass_ns;          /* the pass's time (opt.poll_pass_us) in ns; 0: no limit */
    uint64_t sockets_deferred; /* where opt.sockets_deferred is NULL */
};

/* ---- helpers ---- */

static void set_error(fetch_transfer *t, int code, const char *fmt, const char *arg)
{
    if (t->error_code)
        return; /* keep the first cause */
    t->error_code = code;
    snprintf(t->error, sizeof t->error, fmt, arg ? arg : "");
}

int fetch_header_value(const char *head, size_t head_len, const char *name, char *out,
                       size_t outlen)
{
    size_t nlen = strlen(name);
    const char *p = head, *end = head + head_len;
    if (outlen)
        out[0] = '\0';
    /* skip the status line */
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    p = nl ? nl + 1 : end;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if ((size_t)(le - p) > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
            const char *v = p + nlen + 1;
            while (v < le && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = le;
            while (ve > v && isspace((unsigned char)ve[-1]))
                ve--;
            size_t n = (size_t)(ve - v);
            if (n >= outlen)
                n = outlen ? outlen - 1 : 0;
            if (outlen) {
                memcpy(out, v, n);
                out[n] = '\0';
            }
            return 0;
        }
        p = nl ? nl + 1 : end;
    }
    return FA_ENOENT;
}

/* ---- payload decoding: de-chunk, then Content-Encoding ---- */

static int deliver(void *ud, const void *data, size_t len)
{
    fetch_transfer *t = ud;
    if (t->on_payload && t->on_payload(t, data, len) < 0)
        return FA_ECANCELED;
    return 0;
}

static int decode_chunk(void *ud, const void *data, size_t len)
{
    fetch_transfer *t = ud;
    if (t->dec__ == NULL) {
        /* identity: the ceiling still applies to what parsers get */
        t->payload_bytes__ += len;
        if (t->payload_bytes__ > t->max_decoded__)
            return FA_ETOOBIG;
        return deliver(t, data, len);
    }
    return content_decoder_feed(t->dec__, data, len, deliver, t);
}

static void payload_feed(fetch_transfer *t, const char *p, size_t len)
{
    if (!t->want_payload || t->payload_stopped__)
        return;
    int rc = t->chunked ? fa_dechunk_feed(&t->dechunk__, p, len, decode_chunk, t)
                        : decode_chunk(t, p, len);
    if (rc < 0) {
        if ((rc == FA_EPARSE || rc == FA_ETOOBIG) && !t->payload_error)
            t->payload_error = rc;
        t->payload_stopped__ = 1;
    }
}

static void start_decoder(fetch_transfer *t)
{
    if (content_decoder_new(t->content_encoding, t->max_decoded__, &t->dec__) < 0) {
        /* an encoding we cannot decode: the body is archived, not parsed */
        t->payload_error = FA_EPARSE;
        t->payload_stopped__ = 1;
    }
}

static void head_complete(fetch_transfer *t)
{
    t->head_done__ = 1;
    /* the body's room at once: a feed of 700 KB grown by doubling from 256
     * bytes is copied 12 times on the loop thread, every copy on fresh
     * pages (docs/BENCHMARKS.md, "Session 19") */
    curl_off_t announced = -1;
    if (t->easy__ &&
        curl_easy_getinfo(t->easy__, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced) == CURLE_OK &&
        announced > 0)
        fa_spool_expect(&t->body, (uint64_t)announced);
    if (t->want_payload)
        start_decoder(t);
}

/* ---- the same decoding over a finished transfer's spooled body ---- */

#define REPLAY_PIECE 16384 /* CURL_MAX_WRITE_SIZE: what on_write gets at most */

typedef struct replay {
    fetch_transfer r; /* a scratch transfer: the streaming path above runs on it */
    int (*sink)(void *ud, const void *data, size_t len);
    void *ud;
} replay;

static int replay_deliver(fetch_transfer *r, const void *data, size_t len)
{
    replay *rp = (replay *)r; /* r is rp's first member */
    return rp->sink(rp->ud, data, len);
}

static int replay_piece(void *ud, const void *chunk, size_t len)
{
    replay *rp = ud;
    const char *p = chunk;
    while (len > 0 && !rp->r.payload_stopped__) {
        size_t n = len < REPLAY_PIECE ? len : REPLAY_PIECE;
        payload_feed(&rp->r, p, n);
        p += n;
        len -= n;
    }
    return rp->r.payload_stopped__ ? FA_ECANCELED : 0;
}

void fetch_transfer_decode_body(fetch_transfer *t,
                                int (*sink)(void *ud, const void *data, size_t len), void *ud)
{
    replay rp;
    memset(&rp, 0, sizeof rp);
    rp.sink = sink;
    rp.ud = ud;
    rp.r.want_payload = 1;
    rp.r.on_payload = replay_deliver;
    rp.r.chunked = t->chunked;
    rp.r.max_decoded__ = t->max_decoded__;
    memcpy(rp.r.content_encoding, t->content_encoding, sizeof rp.r.content_encoding);
    fa_dechunk_init(&rp.r.dechunk__);
    start_decoder(&rp.r);
    if (!rp.r.payload_stopped__)
        fa_spool_foreach(&t->body, replay_piece, &rp);
    content_decoder_free(rp.r.dec__);
    if (rp.r.payload_error && !t->payload_error)
        t->payload_error = rp.r.payload_error;
}

/* ---- curl callbacks ---- */

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    fetch_transfer *t = ud;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        /* A new status line: after a 1xx, the real response starts over. */
        fa_buf_reset(&t->response_head);
        t->head_done__ = 0;
        t->chunked = 0;
        t->content_encoding[0] = t->content_type[0] = '\0'; /* (location: at the end) */
        const char *sp = memchr(p, ' ', len);
        t->status = sp ? strtol(sp + 1, NULL, 10) : 0;
    }
    if (fa_buf_append(&t->response_head, p, len) < 0) {
        set_error(t, FA_ETOOBIG, "response header exceeds the %s limit", "max_header_size");
        return 0;
    }
    if (len <= 2 && (p[0] == '\r' || p[0] == '\n')) {
        if (t->status >= 200 || t->status < 100)
            head_complete(t);
        return len;
    }
    char tmp[64];
    const char *line_start = p;
    size_t line_len = len;
    /* Parse the headers that change how the body is read. */
    if (line_len > 18 && strncasecmp(line_start, "transfer-encoding:", 18) == 0) {
        size_t vl = line_len - 18 < sizeof tmp - 1 ? line_len - 18 : sizeof tmp - 1;
        memcpy(tmp, line_start + 18, vl);
        tmp[vl] = '\0';
        for (char *q = tmp; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        if (strstr(tmp, "chunked"))
            t->chunked = 1;
    } else if (line_len > 17 && strncasecmp(line_start, "content-encoding:", 17) == 0) {
        const char *v = line_start + 17;
        const char *e = line_start + line_len;
        while (v < e && (*v == ' ' || *v == '\t'))
            v++;
        while (e > v && isspace((unsigned char)e[-1]))
            e--;
        size_t vl = (size_t)(e - v) < sizeof t->content_encoding - 1 ? (size_t)(e - v)
                                                                       : sizeof t->content_encoding - 1;
        memcpy(t->content_encoding, v, vl);
        t->content_encoding[vl] = '\0';
    }
    return len;
}

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    fetch_transfer *t = ud;
    size_t len = size * n;
    if (!t->head_done__)
        head_complete(t);
    int rc = fa_spool_write(&t->body, p, len);
    if (rc < 0) {
        if (rc == FA_ETOOBIG)
            set_error(t, rc, "body exceeds the %s limit", "max_body_size");
        else
            set_error(t, rc, "cannot spool the body: %s", fa_strerror(rc));
        return 0; /* CURLE_WRITE_ERROR */
    }
    payload_feed(t, p, len);
    return len;
}

static int on_debug(CURL *e, curl_infotype type, char *data, size_t size, void *ud)
{
    (void)e;
    fetch_transfer *t = ud;
    if (type == CURLINFO_HEADER_OUT) {
        /* One block per request; a retry on a dead reused connection sends
         * the request again, and the archive records the one that got the
         * response. */
        fa_buf_reset(&t->request);
        fa_buf_append(&t->request, data, size);
    } else if (type == CURLINFO_DATA_OUT) {
        fa_buf_append(&t->request, data, size);
    }
    return 0;
}

/* ---- transfer completion ---- */

static void release_easy(fetcher *f, CURL *e)
{
    if (f->n_pool < EASY_POOL_MAX && !f->closing) {
        curl_easy_reset(e);
        f->pool[f->n_pool++] = e;
    } else {
        curl_easy_cleanup(e);
    }
}

static void unlink_transfer(fetcher *f, fetch_transfer *t)
{
    if (t->prev__)
        t->prev__->next__ = t->next__;
    else
        f->transfers = t->next__;
    if (t->next__)
        t->next__->prev__ = t->prev__;
    t->next__ = t->prev__ = NULL;
}

/* What a failed transfer ran into, from curl's code and the socket's errno. */
static enum fetch_cause cause_of(CURLcode res, long os_errno)
{
    switch (res) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return FETCH_CAUSE_DNS;
    case CURLE_OPERATION_TIMEDOUT: return FETCH_CAUSE_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED: return FETCH_CAUSE_TLS;
    case CURLE_COULDNT_CONNECT:
        if (os_errno == ETIMEDOUT)
            return FETCH_CAUSE_TIMEOUT;
        return os_errno == ECONNREFUSED || os_errno == 0 ? FETCH_CAUSE_REFUSED
                                                          : FETCH_CAUSE_OTHER;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: return FETCH_CAUSE_RESET;
    default: return FETCH_CAUSE_OTHER;
    }
}

const char *fetch_cause_name(enum fetch_cause cause)
{
    switch (cause) {
    case FETCH_CAUSE_REFUSED: return "connection refused";
    case FETCH_CAUSE_DNS: return "could not resolve host";
    case FETCH_CAUSE_TLS: return "TLS error";
    case FETCH_CAUSE_TIMEOUT: return "timeout";
    case FETCH_CAUSE_RESET: return "connection reset";
    case FETCH_CAUSE_OTHER: return "network error";
    case FETCH_CAUSE_NONE: break;
    }
    return "";
}

static const char no_location[] = "";

/* The final response's Location, kept only when there is one: most
 * transfers have none, and a transfer waiting in a queue stays small. */
static void set_location(fetch_transfer *t)
{
    char v[FETCH_LOCATION_MAX];
    fetch_header_value(t->response_head.data ? t->response_head.data : "", t->response_head.len,
                       "Location", v, sizeof v);
    if (v[0] == '\0') return;
    char *l = strdup(v);
    if (l) t->location = l; /* out of memory: no redirect to follow */
}

static void finish(fetcher *f, fetch_transfer *t, CURLcode res)
{
    CURL *e = t->easy__;
    char *ip = NULL;
    if (curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
        snprintf(t->ip, sizeof t->ip, "%s", ip);
    if (res != CURLE_OK && !t->error_code) {
        int code = FA_EFETCH;
        long os_errno = 0;
        curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
        t->cause = cause_of(res, os_errno);
        const char *detail = t->curl_error__[0] ? t->curl_error__ : curl_easy_strerror(res);
        const char *name = fetch_cause_name(t->cause);
        if (res == CURLE_FILESIZE_EXCEEDED) { /* a Content-Length over the ceiling */
            set_error(t, FA_ETOOBIG, "body exceeds the %s limit (Content-Length)",
                      "max_body_size");
        } else if (t->cause == FETCH_CAUSE_OTHER || strcasestr(detail, name)) {
            /* the cause in plain words first, unless curl's words say it already */
            set_error(t, code, "%s", detail);
        } else {
            t->error_code = code;
            snprintf(t->error, sizeof t->error, "%s (%.200s)", name, detail);
        }
    } else if (t->error_code && t->cause == FETCH_CAUSE_NONE) {
        t->cause = FETCH_CAUSE_OTHER; /* our own limit, or cancelled */
    }
    if (t->head_done__ && t->content_type[0] == '\0')
        fetch_header_value(t->response_head.data ? t->response_head.data : "",
                           t->response_head.len, "Content-Type", t->content_type,
                           sizeof t->content_type);
    if (t->head_done__) set_location(t);
    content_decoder_free(t->dec__);
    t->dec__ = NULL;
    t->end_mono_ns = fa_time_mono_ns();
    if (t->added__) {
        curl_multi_remove_handle(f->multi, e);
        t->added__ = 0;
    } else { /* still waiting: cancelled at close, or refused by curl */
        if (t->start_mono_ns == 0) { /* no request went out: it started and ended now */
            t->date_ns = fa_time_now_ns();
            t->start_mono_ns = t->end_mono_ns;
        }
        fetch_transfer **p = &f->waiting;
        while (*p && *p != t) p = &(*p)->wait_next__;
        if (*p) {
            *p = t->wait_next__;
            if (*p == NULL) f->waiting_last = p;
        }
    }
    unlink_transfer(f, t);
    t->easy__ = NULL;
    release_easy(f, e);
    f->active--;
    t->on_done(t);
}

static void drain(fetcher *f)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(f->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        fetch_transfer *t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        finish(f, t, msg->data.result);
    }
}

/* ---- libuv side ---- */

static void on_handle_closed(uv_handle_t *h)
{
    fetcher *f = h->data;
    if (h->type == UV_POLL) free(FA_CONTAINER_OF(h, sock_ctx, poll));
    if (--f->handles_open == 0 && f->closing) {
        for (unsigned i = 0; i < f->n_pool; i++)
            curl_easy_cleanup(f->pool[i]);
        free(f->user_agent);
        free(f->tmp_dir);
        free(f->accept_encoding);
        free(f);
    }
}

static void sock_close(fetcher *f, sock_ctx *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        f->socks = c->next;
    if (c->next)
        c->next->prev = c->prev;
    uv_poll_stop(&c->poll);
    uv_close((uv_handle_t *)&c->poll, on_handle_closed);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    sock_ctx *c = FA_CONTAINER_OF(h, sock_ctx, poll);
    fetcher *f = c->f;
    if (f->pass_ns && status == 0) { /* an error: libuv stopped the handle, it is not reported again */
        uint64_t now = fa_time_mono_ns();
        if (f->pass_start_ns == 0) {
            f->pass_start_ns = now;
        } else if (now - f->pass_start_ns >= f->pass_ns) {
            (*f->opt.sockets_deferred)++; /* still ready: epoll reports it next iteration */
            return;
        }
    }
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    curl_multi_socket_action(f->multi, c->fd, flags, &running);
    drain(f);
}

static void on_timeout(uv_timer_t *h)
{
    fetcher *f = h->data;
    int running;
    curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    drain(f);
}

static int on_curl_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)e;
    fetcher *f = userp;
    sock_ctx *c = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (c) {
            curl_multi_assign(f->multi, s, NULL);
            sock_close(f, c);
        }
        return 0;
    }
    if (c == NULL) {
        c = calloc(1, sizeof *c);
        if (c == NULL)
            return -1;
        if (uv_poll_init_socket(f->loop, &c->poll, s) != 0) {
            free(c);
            return -1;
        }
        c->poll.data = f;
        c->fd = s;
        c->f = f;
        c->next = f->socks;
        if (f->socks)
            f->socks->prev = c;
        f->socks = c;
        f->handles_open++;
        curl_multi_assign(f->multi, s, c);
    }
    int ev = 0;
    if (what & CURL_POLL_IN)
        ev |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        ev |= UV_WRITABLE;
    uv_poll_start(&c->poll, ev, on_poll);
    return 0;
}

static int on_curl_timer(CURLM *m, long timeout_ms, void *userp)
{
    (void)m;
    fetcher *f = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&f->timer);
    else
        uv_timer_start(&f->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

static void on_pass_end(uv_check_t *h)
{
    fetcher *f = h->data;
    f->pass_start_ns = 0;
}

/* Hands up to START_BATCH waiting transfers to curl; their requests go
 * out at curl's next timeout, at the start of the next loop iteration. */
static void on_start(uv_idle_t *h)
{
    fetcher *f = h->data;
    for (unsigned n = 0; n < START_BATCH && f->waiting; n++) {
        fetch_transfer *t = f->waiting;
        f->waiting = t->wait_next__;
        if (f->waiting == NULL) f->waiting_last = &f->waiting;
        t->date_ns = fa_time_now_ns(); /* the request goes out now */
        t->start_mono_ns = fa_time_mono_ns();
        if (curl_multi_add_handle(f->multi, t->easy__) != CURLM_OK) {
            set_error(t, FA_EINVAL, "%s", "curl refused the transfer");
            finish(f, t, CURLE_FAILED_INIT);
            continue;
        }
        t->added__ = 1;
    }
    if (f->waiting == NULL) uv_idle_stop(h);
}

/* ---- public ---- */

/* The poll pass's time in ns (0: no limit) for fetcher_options.poll_pass_us */
static uint64_t poll_pass_ns(uint64_t us)
{
    if (us == FETCHER_POLL_PASS_UNLIMITED) return 0;
    if (us == 0) {
        us = POLL_PASS_US;
        const char *e = getenv("FEEDARC_POLL_PASS_US"); /* for benchmarks; 0: no limit */
        if (e != NULL && *e != '\0') {
            char *end;
            long v = strtol(e, &end, 10);
            if (*end == '\0' && v >= 0 && v <= 1000000) us = (uint64_t)v;
        }
        if (us == 0) return 0;
    }
    return us > UINT64_MAX / 1000 ? UINT64_MAX : us * 1000;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int fetcher_new(uv_loop_t *loop, const fetcher_options *opt, fetcher **out)
{
    fetcher *f = calloc(1, sizeof *f);
    if (f == NULL)
        return FA_ENOMEM;
    f->loop = loop;
    f->opt = *opt;
    f->user_agent = dup_or_null(opt->user_agent ? opt->user_agent : "feedarc/" FEEDARC_VERSION);
    f->tmp_dir = dup_or_null(opt->tmp_dir ? opt->tmp_dir : "/tmp");
    f->accept_encoding = dup_or_null(opt->accept_encoding);
    f->opt.user_agent = f->user_agent;
    f->opt.tmp_dir = f->tmp_dir;
    f->opt.accept_encoding = f->accept_encoding;
    if (!f->opt.connect_timeout_ms)
        f->opt.connect_timeout_ms = 10000;
    if (!f->opt.timeout_ms)
        f->opt.timeout_ms = 60000;
    if (!f->opt.low_speed_time_ms)
        f->opt.low_speed_time_ms = 30000;
    if (!f->opt.max_body_size)
        f->opt.max_body_size = 32u << 20;
    if (!f->opt.max_decoded_size)
        f->opt.max_decoded_size = 4 * f->opt.max_body_size;
    if (!f->opt.max_header_size)
        f->opt.max_header_size = 256u << 10;
    if (!f->opt.spool_memory)
        f->opt.spool_memory = 1u << 20;
    if (!f->opt.max_connections)
        f->opt.max_connections = 64;
    f->multi = curl_multi_init();
    if (f->multi == NULL || f->user_agent == NULL || f->tmp_dir == NULL) {
        if (f->multi)
            curl_multi_cleanup(f->multi);
        free(f->user_agent);
        free(f->tmp_dir);
        free(f->accept_encoding);
        free(f);
        return FA_ENOMEM;
    }
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
    curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)f->opt.max_connections);
    curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, (long)f->opt.max_connections);
    if (f->opt.max_host_connections)
        curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                          (long)f->opt.max_host_connections);
    uv_timer_init(loop, &f->timer);
    f->timer.data = f;
    uv_idle_init(loop, &f->starter);
    f->starter.data = f;
    f->waiting_last = &f->waiting;
    f->pass_ns = poll_pass_ns(f->opt.poll_pass_us);
    if (f->opt.sockets_deferred == NULL) f->opt.sockets_deferred = &f->sockets_deferred;
    uv_check_init(loop, &f->pass_end);
    f->pass_end.data = f;
    uv_check_start(&f->pass_end, on_pass_end);
    uv_unref((uv_handle_t *)&f->pass_end); /* it keeps no loop alive */
    f->handles_open = 3;
    *out = f;
    return 0;
}

void fetch_transfer_init(fetch_transfer *t)
{
    memset(t, 0, sizeof *t);
    t->cause = FETCH_CAUSE_NONE;
    t->location = no_location;
    fa_buf_init(&t->request, 256u << 10);
    fa_buf_init(&t->response_head, 256u << 10);
    fa_spool_init(&t->body, 1u << 20, 32u << 20, "/tmp");
}

int fetcher_start(fetcher *f, fetch_transfer *t)
{
    if (f->closing)
        return FA_ECANCELED;
    CURL *e = f->n_pool ? f->pool[--f->n_pool] : curl_easy_init();
    if (e == NULL)
        return FA_ENOMEM;
    t->f__ = f;
    t->easy__ = e;
    t->max_decoded__ = f->opt.max_decoded_size;
    if (t->location != no_location) free((char *)t->location); /* a transfer started again */
    t->location = no_location;
    fa_buf_init(&t->request, 256u << 10);
    fa_buf_init(&t->response_head, f->opt.max_header_size);
    fa_spool_free(&t->body);
    fa_spool_init(&t->body, f->opt.spool_memory, f->opt.max_body_size, f->tmp_dir);
    fa_dechunk_init(&t->dechunk__);
    t->date_ns = 0; /* set when the transfer is handed to curl (on_start) */
    t->start_mono_ns = 0;
    t->added__ = 0;

    t->cause = FETCH_CAUSE_NONE;
    t->curl_error__[0] = '\0';
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->curl_error__);
    curl_easy_setopt(e, CURLOPT_URL, t->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_HTTP_TRANSFER_DECODING, 0L);
    curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    if (f->accept_encoding)
        curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, f->accept_encoding);
    curl_easy_setopt(e, CURLOPT_USERAGENT, f->user_agent);
    if (t->headers)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)f->opt.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)f->opt.timeout_ms);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)((f->opt.low_speed_time_ms + 999) / 1000));
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->opt.max_body_size);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(e, CURLOPT_DEBUGDATA, t);
    curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 65536L);

    t->prev__ = NULL;
    t->next__ = f->transfers;
    if (f->transfers)
        f->transfers->prev__ = t;
    f->transfers = t;
    f->active++;
    t->wait_next__ = NULL;
    *f->waiting_last = t;
    f->waiting_last = &t->wait_next__;
    uv_idle_start(&f->starter, on_start);
    return 0;
}

unsigned fetcher_active(const fetcher *f)
{
    return f->active;
}

void fetch_transfer_cleanup(fetch_transfer *t)
{
    if (t == NULL)
        return;
    content_decoder_free(t->dec__);
    t->dec__ = NULL;
    fa_buf_free(&t->request);
    fa_buf_free(&t->response_head);
    fa_spool_free(&t->body);
    if (t->location != no_location) free((char *)t->location);
    t->location = no_location;
}

void fetcher_close(fetcher *f)
{
    if (f == NULL || f->closing)
        return;
    /* Closing from here on: an owner's on_done below may call
     * fetcher_close again (its last transfer ended, so it shuts down), and
     * that call must return at once - the handles are closed below, once. */
    f->closing = 1;
    /* Cancel what is in flight or waiting; owners hear about it through
     * on_done.  (The waiting queue is dropped first: finish() need not
     * look for each transfer in it.) */
    f->waiting = NULL;
    f->waiting_last = &f->waiting;
    while (f->transfers) {
        fetch_transfer *t = f->transfers;
        set_error(t, FA_ECANCELED, "%s", "canceled at shutdown");
        finish(f, t, CURLE_ABORTED_BY_CALLBACK);
    }
    curl_multi_cleanup(f->multi);
    f->multi = NULL;
    while (f->socks)
        sock_close(f, f->socks);
    uv_timer_stop(&f->timer);
    uv_close((uv_handle_t *)&f->timer, on_handle_closed);
    uv_idle_stop(&f->starter);
    uv_close((uv_handle_t *)&f->starter, on_handle_closed);
    uv_check_stop(&f->pass_end);
    uv_close((uv_handle_t *)&f->pass_end, on_handle_closed);
}
