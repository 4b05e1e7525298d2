/* test_fetcher.c - crawler/fetcher.c on its own, against a scripted HTTP/1.1
 * server on 127.0.0.1 that this test starts and stops (one thread a
 * connection, keep-alive, raw bytes on the wire): the request as sent and
 * the response as received, conditional requests answered 304, redirects
 * handed back and not followed, 1xx before the final response, chunked and
 * gzip bodies kept raw in the spool while the payload is decoded, the
 * ceilings (max_body_size by Content-Length and mid-stream, the decoded
 * size, the response head), timeouts, a refused connection, a connection
 * cut short, many transfers at once, spilled bodies, and transfers
 * cancelled in flight by fetcher_close.  No mock of libcurl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "common/fa_time.h"
#include "crawler/content_decoder.h"
#include "crawler/fetcher.h"
#include "util/test_fs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* ---- the scripted server ---------------------------------------------- */

typedef struct server {
    int fd;
    uint16_t port;
    pthread_t thread;
    atomic_int stop;
    atomic_int live;        /* connection threads running */
    atomic_int connections; /* accepted */
    atomic_int requests;
    atomic_int busy;                 /* requests being answered */
    atomic_int delay_busy, delay_max; /* /delay requests answered at once (now, at most) */
    atomic_ullong streamed;    /* body bytes the last /big-* handler got out */
    atomic_int reset_go;       /* /reset: reset the connection once set */
    pthread_mutex_t mu;
    char last_head[8192]; /* the last request head read */
} server;

typedef struct conn {
    server *s;
    int fd;
} conn;

static server srv;

static const char page_text[] = "<rss version=\"2.0\"><channel><title>feedarc fetcher test</title>"
                                "<item><link>http://example.com/a</link></item></channel></rss>\n";
#define ETAG "\"v1\""
#define LAST_MODIFIED "Wed, 21 Oct 2015 07:28:00 GMT"

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_str(int fd, const char *s)
{
    return send_all(fd, s, strlen(s));
}

/* Waits up to ms for the peer, checking stop; returns 1 when the peer has
 * closed (or the server stops), 0 when ms passed. */
static int wait_peer_gone(server *s, int fd, unsigned ms)
{
    for (unsigned waited = 0; waited < ms && !atomic_load(&s->stop); waited += 20) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) > 0) {
            char b[256];
            if (recv(fd, b, sizeof b, MSG_DONTWAIT) <= 0)
                return 1;
        }
    }
    return atomic_load(&s->stop) ? 1 : 0;
}

/* Reads one request head; returns its length, or -1 (closed, stopped). */
static ssize_t read_head(server *s, int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap && !atomic_load(&s->stop)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            return (ssize_t)len;
    }
    return -1;
}

static size_t gzip_bytes(const void *in, size_t len, unsigned char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = z.total_out;
    deflateEnd(&z);
    return n;
}

/* Streams fill bytes (chunked or close-delimited) until the peer goes away
 * or total is sent; records how much went out. */
static void stream_body(server *s, int fd, int chunked, uint64_t total)
{
    static char piece[65536];
    memset(piece, 'x', sizeof piece);
    uint64_t sent = 0;
    char size_line[32];
    snprintf(size_line, sizeof size_line, "%zx\r\n", sizeof piece);
    while (sent < total && !atomic_load(&s->stop)) {
        if (chunked && send_str(fd, size_line) < 0)
            break;
        if (send_all(fd, piece, sizeof piece) < 0)
            break;
        if (chunked && send_str(fd, "\r\n") < 0)
            break;
        sent += sizeof piece;
    }
    atomic_store(&s->streamed, sent);
}

/* Answers one request; returns 1 to keep the connection for the next. */
static int respond(server *s, int fd, const char *head)
{
    char path[256] = "";
    sscanf(head, "%*s %255s", path);
    char resp[16384];
    if (strcmp(path, "/hello") == 0 || strcmp(path, "/cond") == 0) {
        int not_modified =
            strcmp(path, "/cond") == 0 && (strstr(head, "\r\nIf-None-Match: " ETAG "\r\n") ||
                                           strstr(head, "\r\nIf-Modified-Since: " LAST_MODIFIED));
        if (not_modified) {
            snprintf(resp, sizeof resp, "HTTP/1.1 304 Not Modified\r\nETag: %s\r\n\r\n", ETAG);
            return send_str(fd, resp) == 0;
        }
        snprintf(resp, sizeof resp,
                 "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
                 "ETag: %s\r\nLast-Modified: %s\r\nContent-Length: %zu\r\n\r\n%s",
                 ETAG, LAST_MODIFIED, sizeof page_text - 1, page_text);
        return send_str(fd, resp) == 0;
    }
    if (strcmp(path, "/redirect") == 0)
        return send_str(fd, "HTTP/1.1 302 Found\r\nLocation: /hello?from=redirect\r\n"
                            "Content-Length: 5\r\n\r\nmoved") == 0;
    if (strcmp(path, "/continue") == 0)
        return send_str(fd, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                            "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nok") == 0;
    if (strcmp(path, "/chunked") == 0) {
        const char *pieces[] = {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                                "Content-Type: text/plain\r\n\r\n",
                                "5\r\nhel", "lo\r\n", "6\r\n wor", "ld\r\n0\r\n", "\r\n"};
        for (size_t i = 0; i < 6; i++) {
            if (send_str(fd, pieces[i]) < 0)
                return 0;
            sleep_ms(10);
        }
        return 1;
    }
    if (strcmp(path, "/gzip") == 0 || strcmp(path, "/gzip-bomb") == 0) {
        /* a gzip body, chunked in 100-byte chunks */
        int bomb = strcmp(path, "/gzip-bomb") == 0;
        size_t raw_len = bomb ? 8u << 20 : 200000;
        unsigned char *raw = malloc(raw_len), *z = malloc(raw_len + 1024);
        for (size_t i = 0; i < raw_len; i++)
            raw[i] = bomb ? 0 : (unsigned char)page_text[i % (sizeof page_text - 1)];
        size_t n = gzip_bytes(raw, raw_len, z, raw_len + 1024);
        int ok = send_str(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                              "Content-Encoding: gzip\r\nContent-Type: text/xml\r\n\r\n") == 0;
        for (size_t off = 0; ok && off < n; off += 100) {
            size_t k = n - off < 100 ? n - off : 100;
            char line[32];
            snprintf(line, sizeof line, "%zx\r\n", k);
            ok = send_str(fd, line) == 0 && send_all(fd, z + off, k) == 0 &&
                 send_str(fd, "\r\n") == 0;
        }
        ok = ok && send_str(fd, "0\r\n\r\n") == 0;
        free(raw);
        free(z);
        return ok;
    }
    if (strcmp(path, "/bad-gzip") == 0 || strcmp(path, "/compress") == 0) {
        char body[4096];
        memset(body, 0xff, sizeof body);
        snprintf(resp, sizeof resp,
                 "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n",
                 path[1] == 'b' ? "gzip" : "compress", sizeof body);
        return send_str(fd, resp) == 0 && send_all(fd, body, sizeof body) == 0;
    }
    if (strcmp(path, "/bytes") == 0) {
        size_t n = 300000;
        char *b = malloc(n);
        for (size_t i = 0; i < n; i++)
            b[i] = (char)('a' + i % 26);
        snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", n);
        int ok = send_str(fd, resp) == 0 && send_all(fd, b, n) == 0;
        free(b);
        return ok;
    }
    if (strcmp(path, "/big-cl") == 0) {
        send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10485760\r\n\r\n");
        stream_body(s, fd, 0, 10u << 20);
        return 0;
    }
    if (strcmp(path, "/big-stream") == 0 || strcmp(path, "/big-chunked") == 0) {
        int chunked = strcmp(path, "/big-chunked") == 0;
        send_str(fd, chunked ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             : "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        stream_body(s, fd, chunked, 256u << 20);
        return 0;
    }
    if (strcmp(path, "/big-head") == 0) {
        char pad[8192];
        memset(pad, 'p', sizeof pad - 1);
        pad[sizeof pad - 1] = '\0';
        snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nX-Pad: %s\r\nContent-Length: 2\r\n\r\nok",
                 pad);
        return send_str(fd, resp) == 0;
    }
    if (strcmp(path, "/partial") == 0) {
        send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten b");
        return 0;
    }
    if (strcmp(path, "/drip") == 0) {
        /* the head, then a byte every 2 s: below curl's 1 byte/s */
        send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        for (int i = 0; i < 10 && !atomic_load(&s->stop); i++) {
            if (send_str(fd, "d") < 0 || wait_peer_gone(s, fd, 2000))
                break;
        }
        return 0;
    }
    if (strcmp(path, "/reset") == 0) {
        /* no answer: the connection is reset (RST) once the test says so */
        for (int i = 0; i < 10000 && !atomic_load(&s->reset_go) && !atomic_load(&s->stop); i++)
            sleep_ms(1);
        struct linger l = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        return 0;
    }
    if (strcmp(path, "/stall") == 0) {
        wait_peer_gone(s, fd, 30000); /* never answers */
        return 0;
    }
    if (strcmp(path, "/delay") == 0) {
        int busy = atomic_fetch_add(&s->delay_busy, 1) + 1;
        int m = atomic_load(&s->delay_max);
        while (busy > m && !atomic_compare_exchange_weak(&s->delay_max, &m, busy))
            ;
        sleep_ms(300);
        atomic_fetch_sub(&s->delay_busy, 1);
        snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\ndelayed");
        return send_str(fd, resp) == 0;
    }
    return send_str(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n") == 0;
}

static void *conn_thread(void *arg)
{
    conn *c = arg;
    server *s = c->s;
    char head[8192];
    for (;;) {
        ssize_t n = read_head(s, c->fd, head, sizeof head);
        if (n < 0)
            break;
        atomic_fetch_add(&s->requests, 1);
        pthread_mutex_lock(&s->mu);
        snprintf(s->last_head, sizeof s->last_head, "%s", head);
        pthread_mutex_unlock(&s->mu);
        atomic_fetch_add(&s->busy, 1);
        int keep = respond(s, c->fd, head);
        atomic_fetch_sub(&s->busy, 1);
        if (!keep)
            break;
    }
    close(c->fd);
    free(c);
    atomic_fetch_sub(&s->live, 1);
    return NULL;
}

static void *accept_thread(void *arg)
{
    server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0)
            continue;
        conn *c = malloc(sizeof *c);
        c->s = s;
        c->fd = fd;
        atomic_fetch_add(&s->connections, 1);
        atomic_fetch_add(&s->live, 1);
        pthread_t t;
        if (pthread_create(&t, NULL, conn_thread, c) != 0) {
            close(fd);
            free(c);
            atomic_fetch_sub(&s->live, 1);
            continue;
        }
        pthread_detach(t);
    }
    return NULL;
}

static int server_start(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof srv);
    pthread_mutex_init(&srv.mu, NULL);
    srv.fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(srv.fd >= 0);
    int one = 1;
    setsockopt(srv.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(srv.fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(srv.fd, 128), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(srv.fd, (struct sockaddr *)&a, &al), 0);
    srv.port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&srv.thread, NULL, accept_thread, &srv), 0);
    return 0;
}

static int server_stop(void **state)
{
    (void)state;
    atomic_store(&srv.stop, 1);
    pthread_join(srv.thread, NULL);
    for (int i = 0; i < 500 && atomic_load(&srv.live) > 0; i++)
        sleep_ms(10);
    assert_int_equal(atomic_load(&srv.live), 0);
    close(srv.fd);
    pthread_mutex_destroy(&srv.mu);
    return 0;
}

/* ---- driving the fetcher ------------------------------------------------ */

typedef struct xfer {
    fetch_transfer t;
    char url[256];
    fa_buf payload;
    unsigned payload_calls;
    int refuse_payload; /* on_payload answers -1 */
    int done;
    int close_in_done; /* on_done calls fetcher_close */
    struct run *r;
} xfer;

typedef struct run {
    uv_loop_t loop;
    fetcher *f;
    unsigned pending;
} run;

static int on_payload(fetch_transfer *t, const void *data, size_t len)
{
    xfer *x = t->ud;
    x->payload_calls++;
    if (x->refuse_payload)
        return -1;
    assert_int_equal(fa_buf_append(&x->payload, data, len), 0);
    return 0;
}

static void on_done(fetch_transfer *t)
{
    xfer *x = t->ud;
    assert_int_equal(x->done, 0); /* exactly once */
    x->done = 1;
    if (x->close_in_done)
        fetcher_close(x->r->f);
    if (--x->r->pending == 0)
        uv_stop(&x->r->loop);
}

static fetcher_options default_options(void)
{
    fetcher_options o = {.user_agent = "feedarc-test/1.0 (+http://127.0.0.1/)",
                         .timeout_ms = 10000,
                         .connect_timeout_ms = 5000};
    return o;
}

static void run_open(run *r, const fetcher_options *o)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(uv_loop_init(&r->loop), 0);
    assert_int_equal(fetcher_new(&r->loop, o, &r->f), 0);
}

static void xfer_init(xfer *x, run *r, const char *path)
{
    memset(x, 0, sizeof *x);
    fetch_transfer_init(&x->t);
    if (strncmp(path, "http", 4) == 0)
        snprintf(x->url, sizeof x->url, "%s", path);
    else
        snprintf(x->url, sizeof x->url, "http://127.0.0.1:%u%s", srv.port, path);
    x->t.url = x->url;
    x->t.ud = x;
    x->t.want_payload = 1;
    x->t.on_payload = on_payload;
    x->t.on_done = on_done;
    x->r = r;
    fa_buf_init(&x->payload, 64u << 20);
}

static void xfer_start(run *r, xfer *x)
{
    assert_int_equal(fetcher_start(r->f, &x->t), 0);
    r->pending++;
}

static void run_until_done(run *r)
{
    if (r->pending)
        uv_run(&r->loop, UV_RUN_DEFAULT);
    assert_int_equal(r->pending, 0);
}

/* Closes the fetcher, runs the loop until its handles are closed, and
 * closes the loop (which fails if a handle was left open). */
static void run_close(run *r)
{
    fetcher_close(r->f);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&r->loop), 0);
}

static void xfer_free(xfer *x)
{
    fetch_transfer_cleanup(&x->t);
    fa_buf_free(&x->payload);
}

/* One transfer of path with options o, start to end. */
static void fetch_one(const fetcher_options *o, xfer *x, const char *path)
{
    run r;
    run_open(&r, o);
    xfer_init(x, &r, path);
    xfer_start(&r, x);
    run_until_done(&r);
    run_close(&r);
    x->r = NULL;
}

static int collect(void *ud, const void *chunk, size_t len)
{
    return fa_buf_append(ud, chunk, len);
}

/* The body as transferred, from the spool (memory or file). */
static void body_of(const xfer *x, fa_buf *out)
{
    fa_buf_init(out, 512u << 20);
    assert_int_equal(fa_spool_foreach(&x->t.body, collect, out), 0);
    assert_int_equal(out->len, x->t.body.size);
}

static int has(const fa_buf *b, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; b->data && i + n <= b->len; i++)
        if (memcmp(b->data + i, needle, n) == 0)
            return 1;
    return 0;
}

/* ---- the tests ---------------------------------------------------------- */

/* A GET with extra headers: the request recorded is the one the server
 * read; the response head, status, type, body, peer and times are filled. */
static void get_with_headers(void **state)
{
    (void)state;
    fetcher_options o = default_options();
    o.accept_encoding = content_decoder_accept_encoding();
    run r;
    run_open(&r, &o);
    xfer x;
    xfer_init(&x, &r, "/hello");
    struct curl_slist *h = curl_slist_append(NULL, "X-Feedarc-Test: yes");
    h = curl_slist_append(h, "Accept: application/rss+xml");
    x.t.headers = h;
    int64_t before = fa_time_now_ns();
    xfer_start(&r, &x);
    assert_int_equal(fetcher_active(r.f), 1);
    run_until_done(&r);
    assert_int_equal(fetcher_active(r.f), 0);
    run_close(&r);
    curl_slist_free_all(h);

    assert_int_equal(x.t.error_code, 0);
    assert_int_equal(x.t.cause, FETCH_CAUSE_NONE);
    assert_string_equal(fetch_cause_name(x.t.cause), "");
    assert_int_equal(x.t.status, 200);
    assert_string_equal(x.t.content_type, "application/rss+xml; charset=utf-8");
    assert_string_equal(x.t.location, "");
    assert_string_equal(x.t.ip, "127.0.0.1");
    assert_true(x.t.date_ns >= before - 1000000000LL);
    assert_true(x.t.end_mono_ns >= x.t.start_mono_ns);
    /* the request: line, headers of ours, as the server read it */
    assert_true(has(&x.t.request, "GET /hello HTTP/1.1\r\n"));
    assert_true(has(&x.t.request, "\r\nUser-Agent: feedarc-test/1.0 (+http://127.0.0.1/)\r\n"));
    assert_true(has(&x.t.request, "\r\nX-Feedarc-Test: yes\r\n"));
    assert_true(has(&x.t.request, "\r\nAccept: application/rss+xml\r\n"));
    assert_true(has(&x.t.request, "\r\nAccept-Encoding: gzip, deflate"));
    pthread_mutex_lock(&srv.mu);
    assert_int_equal(x.t.request.len, strlen(srv.last_head));
    assert_memory_equal(x.t.request.data, srv.last_head, x.t.request.len);
    pthread_mutex_unlock(&srv.mu);
    /* the response head as received, ending with the blank line */
    assert_true(x.t.response_head.len > 4);
    assert_memory_equal(x.t.response_head.data, "HTTP/1.1 200 OK\r\n", 17);
    assert_memory_equal(x.t.response_head.data + x.t.response_head.len - 4, "\r\n\r\n", 4);
    char v[64];
    assert_int_equal(fetch_header_value(x.t.response_head.data, x.t.response_head.len, "etag",
                                        v, sizeof v),
                     0);
    assert_string_equal(v, ETAG);
    /* body and payload: the page, in memory */
    assert_non_null(fa_spool_memory(&x.t.body));
    assert_int_equal(x.t.body.size, sizeof page_text - 1);
    assert_memory_equal(fa_spool_memory(&x.t.body), page_text, sizeof page_text - 1);
    assert_int_equal(x.payload.len, sizeof page_text - 1);
    assert_memory_equal(x.payload.data, page_text, x.payload.len);
    assert_int_equal(x.t.payload_error, 0);
    xfer_free(&x);
}

/* Validators from a first response make the next request conditional:
 * the server answers 304 with no body, and so does the fetcher. */
static void conditional_requests(void **state)
{
    (void)state;
    fetcher_options o = default_options();
    xfer x;
    fetch_one(&o, &x, "/cond");
    assert_int_equal(x.t.status, 200);
    char etag[64], lm[64];
    assert_int_equal(fetch_header_value(x.t.response_head.data, x.t.response_head.len, "ETag",
                                        etag, sizeof etag),
                     0);
    assert_int_equal(fetch_header_value(x.t.response_head.data, x.t.response_head.len,
                                        "Last-Modified", lm, sizeof lm),
                     0);
    xfer_free(&x);
    const char *validators[2][2] = {{"If-None-Match: ", etag}, {"If-Modified-Since: ", lm}};
    for (int i = 0; i < 2; i++) {
        char line[128];
        snprintf(line, sizeof line, "%s%s", validators[i][0], validators[i][1]);
        struct curl_slist *h = curl_slist_append(NULL, line);
        run r;
        run_open(&r, &o);
        xfer_init(&x, &r, "/cond");
        x.t.headers = h;
        xfer_start(&r, &x);
        run_until_done(&r);
        run_close(&r);
        curl_slist_free_all(h);
        assert_int_equal(x.t.error_code, 0);
        assert_int_equal(x.t.status, 304);
        assert_int_equal(x.t.body.size, 0);
        assert_int_equal(x.payload.len, 0);
        assert_true(has(&x.t.request, line));
        xfer_free(&x);
    }
}

/* A redirect is an exchange of its own: status and Location handed back,
 * the target not fetched. */
static void redirect_not_followed(void **state)
{
    (void)state;
    fetcher_options o = default_options();
    int before = atomic_load(&srv.requests);
    xfer x;
    fetch_one(&o, &x, "/redirect");
    assert_int_equal(atomic_load(&srv.requests), before + 1);
    assert_int_equal(x.t.error_code, 0);
    assert_int_equal(x.t.status, 302);
    assert_string_equal(x.t.location, "/hello?from=redirect");
    assert_int_equal(x.t.body.size, 5);
    assert_memory_equal(x.payload.data, "moved", 5);
    xfer_free(&x);
}

/* A 100 Continue before the response: only the final head is kept. */
static void interim_response_dropped(void **state)
{
    (void)state;
    fetcher_options o = default_options();
    xfer x;
    fetch_one(&o, &x, "/continue");
    assert_int_equal(x.t.status, 200);
    assert_memory_equal(x.t.response_head.data, "HTTP/1.1 200 OK\r\n", 17);
    assert_null(strstr(x.t.response_head.data, "100 Continue"));
    assert_string_equal(x.t.content_type, "text/plain");
    assert_int_equal(x.payload.len, 2);
    xfer_free(&x);
}

/* Chunked: the spool keeps the framing as sent, the payload has none; the
 * same over one kept-alive connection for the next transfer, started from
 * on_done. */
static void chunked_body_raw_and_decoded(void **state)
{
    (void)state;
    fetcher_options o = default_options();
    xfer x;
    fetch_one(&o, &x, "/chunked");
    assert_int_equal(x.t.error_code, 0);
    assert_int_equal(x.t.chunked, 1);
    const char *wire = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    assert_int_equal(x.t.body.size, strlen(wire));
    assert_memory_equal(fa_spool_memory(&x.t.body), wire, strlen(wire));
    assert_int_equal(x.payload.len, 11);
    assert_memory_equal(x.payload.data, "hello world", 11);
    xfer_free(&x);
}

typedef struct chain {
    xfer x[3];
    unsigned next;
} chain;

static chain *the_chain;

static void start_next_in_done(fetch_transfer *t)
{
    xfer *x = t->ud;
    run *r = x->r;
    if (the_chain->next < 3) {
        xfer *n = &the_chain->x[the_chain->next++];
        xfer_start(r, n);
    }
    on_done(t);
}

/* Transfers to one host, each started from the previous one's on_done,
 * share one kept-alive connection. */
static void keep_alive_and_start_from_on_done(void **state)
{
    (void)state;
    fetcher_options o = default_options();
    run r;
    run_open(&r, &o);
    chain c;
    memset(&c, 0, sizeof c);
    the_chain = &c;
    for (int i = 0; i < 3; i++) {
        xfer_init(&c.x[i], &r, i == 1 ? "/chunked" : "/hello");
        c.x[i].t.on_done = start_next_in_done;
    }
    int conns = atomic_load(&srv.connections);
    c.next = 1;
    xfer_start(&r, &c.x[0]);
    run_until_done(&r);
    run_close(&r);
    assert_int_equal(c.next, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(c.x[i].done, 1);
        assert_int_equal(c.x[i].t.error_code, 0);
        assert_int_equal(c.x[i].t.status, 200);
        xfer_free(&c.x[i]);
    }
    assert_int_equal(atomic_load(&srv.connections), conns + 1);
}

/* gzip sent chunked: the spool holds the gzip bytes, the payload is the
 * text; a gzip bomb stops the payload at max_decoded_size (payload_error,
 * the transfer itself whole, for the archive); corrupt gzip and an unknown
 * encoding stop the payload with FA_EPARSE; an owner may refuse more
 * payload and the body is still spooled whole. */
static void encoded_bodies(void **state)
{
    (void)state;
    fetcher_options o = default_options();
    o.accept_encoding = "gzip";
    xfer x;
    fetch_one(&o, &x, "/gzip");
    assert_int_equal(x.t.error_code, 0);
    assert_string_equal(x.t.content_encoding, "gzip");
    assert_int_equal(x.t.chunked, 1);
    assert_int_equal(x.t.payload_error, 0);
    assert_int_equal(x.payload.len, 200000);
    for (size_t i = 0; i < x.payload.len; i += 997)
        assert_int_equal(x.payload.data[i], page_text[i % (sizeof page_text - 1)]);
    fa_buf body;
    body_of(&x, &body);
    assert_true(body.len > 4 && body.len < 200000);
    assert_memory_equal(body.data, "64\r\n\x1f\x8b", 6); /* chunk framing, gzip magic */
    uint64_t gzip_wire = body.len;
    fa_buf_free(&body);
    xfer_free(&x);

    o.max_decoded_size = 1u << 20;
    fetch_one(&o, &x, "/gzip-bomb");
    assert_int_equal(x.t.error_code, 0);
    assert_int_equal(x.t.status, 200);
    assert_int_equal(x.t.payload_error, FA_ETOOBIG);
    assert_true(x.payload.len <= 1u << 20);
    assert_true(x.t.body.size > 0 && x.t.body.size < 1u << 20);
    xfer_free(&x);

    const char *broken[] = {"/bad-gzip", "/compress"};
    for (int i = 0; i < 2; i++) {
        fetch_one(&o, &x, broken[i]);
        assert_int_equal(x.t.error_code, 0);
        assert_int_equal(x.t.status, 200);
        assert_int_equal(x.t.payload_error, FA_EPARSE);
        assert_int_equal(x.payload.len, 0);
        assert_int_equal(x.t.body.size, 4096);
        xfer_free(&x);
    }

    run r;
    run_open(&r, &o);
    xfer_init(&x, &r, "/gzip");
    x.refuse_payload = 1;
    xfer_start(&r, &x);
    run_until_done(&r);
    run_close(&r);
    assert_int_equal(x.t.error_code, 0);
    assert_int_equal(x.payload_calls, 1);
    assert_int_equal(x.t.payload_error, 0);
    assert_int_equal(x.t.body.size, gzip_wire);
    xfer_free(&x);

    /* without want_payload nothing is decoded */
    run_open(&r, &o);
    xfer_init(&x, &r, "/gzip");
    x.t.want_payload = 0;
    xfer_start(&r, &x);
    run_until_done(&r);
    run_close(&r);
    assert_int_equal(x.payload_calls, 0);
    assert_int_equal(x.t.body.size, gzip_wire);
    xfer_free(&x);
}

typedef struct replayed {
    fa_buf payload;
    unsigned calls;
    int refuse;
} replayed;

static int replay_sink(void *ud, const void *data, size_t len)
{
    replayed *rp = ud;
    rp->calls++;
    if (rp->refuse)
        return -1;
    assert_int_equal(fa_buf_append(&rp->payload, data, len), 0);
    return 0;
}

/* fetch_transfer_decode_body (a worker parses a feed from the spool): a
 * transfer that did not want its payload gives, decoded afterwards, the
 * payload and payload_error want_payload gives while it streams - chunked,
 * gzip'd, over the decoded ceiling, corrupt, an encoding feedarc cannot
 * decode, spilled to a file; a sink that refuses is not called again. */
static void body_decoded_afterwards(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    fetcher_options o = default_options();
    o.accept_encoding = "gzip";
    o.max_decoded_size = 1u << 20;
    o.spool_memory = 4096;
    o.tmp_dir = dir;
    const char *paths[] = {"/chunked", "/gzip", "/gzip-bomb", "/bad-gzip", "/compress", "/bytes"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        xfer streamed, later;
        fetch_one(&o, &streamed, paths[i]);
        run r;
        run_open(&r, &o);
        xfer_init(&later, &r, paths[i]);
        later.t.want_payload = 0;
        xfer_start(&r, &later);
        run_until_done(&r);
        run_close(&r);
        assert_int_equal(later.payload_calls, 0);
        assert_int_equal(later.t.payload_error, 0);
        replayed rp = {.refuse = 0};
        fa_buf_init(&rp.payload, 64u << 20);
        fetch_transfer_decode_body(&later.t, replay_sink, &rp);
        assert_int_equal(later.t.payload_error, streamed.t.payload_error);
        assert_int_equal(rp.payload.len, streamed.payload.len);
        if (rp.payload.len)
            assert_memory_equal(rp.payload.data, streamed.payload.data, rp.payload.len);
        fa_buf_free(&rp.payload);
        if (later.t.payload_error == 0 && streamed.payload.len > 0) { /* refused: no more */
            replayed no = {.refuse = 1};
            fa_buf_init(&no.payload, 1);
            fetch_transfer_decode_body(&later.t, replay_sink, &no);
            assert_int_equal(no.calls, 1);
            assert_int_equal(later.t.payload_error, 0);
            fa_buf_free(&no.payload);
        }
        xfer_free(&streamed);
        xfer_free(&later);
    }
    test_rm_rf(dir);
    free(dir);
}

/* max_body_size: refused at once by Content-Length, and cut mid-stream
 * when the body is close-delimited or chunked - long before the server
 * has sent what it meant to. */
static void body_ceiling(void **state)
{
    (void)state;
    fetcher_options o = default_options();
    o.max_body_size = 1u << 20;
    xfer x;
    fetch_one(&o, &x, "/big-cl");
    assert_int_equal(x.t.error_code, FA_ETOOBIG);
    assert_int_equal(x.t.cause, FETCH_CAUSE_OTHER);
    assert_non_null(strstr(x.t.error, "max_body_size"));
    assert_non_null(strstr(x.t.error, "Content-Length"));
    assert_int_equal(x.t.body.size, 0);
    xfer_free(&x);
    const char *paths[] = {"/big-stream", "/big-chunked"};
    for (int i = 0; i < 2; i++) {
        fetch_one(&o, &x, paths[i]);
        assert_int_equal(x.t.error_code, FA_ETOOBIG);
        assert_int_equal(x.t.cause, FETCH_CAUSE_OTHER);
        assert_non_null(strstr(x.t.error, "body exceeds the max_body_size limit"));
        assert_true(x.t.body.size <= 1u << 20);
        assert_true(x.payload.len <= 1u << 20);
        xfer_free(&x);
        /* the server stopped when the fetcher hung up, far from 256 MiB */
        for (int k = 0; k < 200 && atomic_load(&srv.streamed) == 0; k++)
            sleep_ms(10);
        assert_true(atomic_load(&srv.streamed) < 64u << 20);
        atomic_store(&srv.streamed, 0);
    }
}

/* A response head over max_header_size is an error of its own. */
static void header_ceiling(void **state)
{
    (void)state;
    fetcher_options o = default_options();
    o.max_header_size = 4096;
    xfer x;
    fetch_one(&o, &x, "/big-head");
    assert_int_equal(x.t.error_code, FA_ETOOBIG);
    assert_non_null(strstr(x.t.error, "max_header_size"));
    assert_true(x.t.response_head.len <= 4096);
    xfer_free(&x);
}

/* Bodies over spool_memory spill to a file in tmp_dir and read back whole. */
static void spilled_body(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    fetcher_options o = default_options();
    o.spool_memory = 4096;
    o.tmp_dir = dir;
    xfer x;
    fetch_one(&o, &x, "/bytes");
    assert_int_equal(x.t.error_code, 0);
    assert_null(fa_spool_memory(&x.t.body));
    fa_buf body;
    body_of(&x, &body);
    assert_int_equal(body.len, 300000);
    for (size_t i = 0; i < body.len; i += 1009)
        assert_int_equal(body.data[i], (char)('a' + i % 26));
    fa_buf_free(&body);
    xfer_free(&x);
    test_rm_rf(dir);
    free(dir);
}

/* Waits until the server answers nothing (handlers of an earlier test may
 * still be noticing that their client went away), then resets delay_max. */
static void server_quiet(void)
{
    for (int i = 0; i < 300 && atomic_load(&srv.busy) > 0; i++)
        sleep_ms(10);
    atomic_store(&srv.delay_max, 0);
}

static uint64_t elapsed_ms(uint64_t since_ns)
{
    return (fa_time_mono_ns() - since_ns) / 1000000;
}

/* The whole-transfer timeout and the low-speed limit end a transfer with
 * the cause "timeout", in about the time set. */
static void timeouts(void **state)
{
    (void)state;
    fetcher_options o = default_options();
    o.timeout_ms = 600;
    xfer x;
    uint64_t t0 = fa_time_mono_ns();
    fetch_one(&o, &x, "/stall");
    uint64_t ms = elapsed_ms(t0);
    assert_int_equal(x.t.error_code, FA_EFETCH);
    assert_int_equal(x.t.cause, FETCH_CAUSE_TIMEOUT);
    assert_non_null(strstr(x.t.error, "imeout") ? x.t.error : NULL);
    assert_int_equal(x.t.status, 0);
    assert_true(ms >= 500 && ms < 5000);
    xfer_free(&x);

    o = default_options();
    o.low_speed_time_ms = 1000;
    t0 = fa_time_mono_ns();
    fetch_one(&o, &x, "/drip");
    ms = elapsed_ms(t0);
    assert_int_equal(x.t.error_code, FA_EFETCH);
    assert_int_equal(x.t.cause, FETCH_CAUSE_TIMEOUT);
    assert_int_equal(x.t.status, 200); /* the head came; the body did not */
    assert_true(x.t.body.size >= 1 && x.t.body.size < 100);
    assert_true(ms < 9000);
    xfer_free(&x);
}

/* A port nobody listens on: refused, named so, at once. */
static void connection_refused(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0); /* bound, not listening */
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", ntohs(a.sin_port));
    fetcher_options o = default_options();
    xfer x;
    uint64_t t0 = fa_time_mono_ns();
    fetch_one(&o, &x, url);
    assert_true(elapsed_ms(t0) < 3000);
    close(fd);
    assert_int_equal(x.t.error_code, FA_EFETCH);
    assert_int_equal(x.t.cause, FETCH_CAUSE_REFUSED);
    assert_string_equal(fetch_cause_name(x.t.cause), "connection refused");
    assert_non_null(strstr(x.t.error, "efused"));
    assert_int_equal(x.t.status, 0);
    assert_int_equal(x.t.response_head.len, 0);
    xfer_free(&x);
}

/* A body cut short of its Content-Length: "connection reset". */
static void cut_short(void **state)
{
    (void)state;
    fetcher_options o = default_options();
    xfer x;
    fetch_one(&o, &x, "/partial");
    assert_int_equal(x.t.error_code, FA_EFETCH);
    assert_int_equal(x.t.cause, FETCH_CAUSE_RESET);
    assert_int_equal(x.t.status, 200);
    assert_int_equal(x.t.body.size, 10);
    xfer_free(&x);
}

/* 40 transfers at once, each answered after 300 ms: all done in a small
 * multiple of 300 ms, many answered at the same time. */
static void many_at_once(void **state)
{
    (void)state;
    enum { N = 40 };
    fetcher_options o = default_options();
    run r;
    run_open(&r, &o);
    xfer *xs = calloc(N, sizeof *xs);
    server_quiet();
    uint64_t t0 = fa_time_mono_ns();
    for (int i = 0; i < N; i++) {
        xfer_init(&xs[i], &r, i % 4 == 3 ? "/gzip" : "/delay");
        xfer_start(&r, &xs[i]);
    }
    assert_int_equal(fetcher_active(r.f), N);
    run_until_done(&r);
    uint64_t ms = elapsed_ms(t0);
    run_close(&r);
    for (int i = 0; i < N; i++) {
        assert_int_equal(xs[i].done, 1);
        assert_int_equal(xs[i].t.error_code, 0);
        assert_int_equal(xs[i].t.status, 200);
        assert_int_equal(xs[i].payload.len, i % 4 == 3 ? 200000 : 7);
        xfer_free(&xs[i]);
    }
    free(xs);
    printf("40 transfers in %llu ms, %d answered at once at most\n", (unsigned long long)ms,
           atomic_load(&srv.delay_max));
    assert_true(ms < 5000);
    assert_true(atomic_load(&srv.delay_max) >= 8);
}

/* Responses that arrive together are read over several loop iterations:
 * with a pass of 1 µs for ready sockets (fetcher_options.poll_pass_us),
 * every socket after the first of an iteration waits for the next one
 * (epoll reports it again), and each transfer still ends once, its body
 * whole.  Unlimited, none waits. */
static void ready_sockets_over_iterations(void **state)
{
    (void)state;
    enum { N = 40 };
    for (int unlimited = 0; unlimited < 2; unlimited++) {
        uint64_t deferred = 0;
        fetcher_options o = default_options();
        o.poll_pass_us = unlimited ? FETCHER_POLL_PASS_UNLIMITED : 1;
        o.sockets_deferred = &deferred;
        run r;
        run_open(&r, &o);
        xfer *xs = calloc(N, sizeof *xs);
        assert_non_null(xs);
        server_quiet();
        for (int i = 0; i < N; i++) {
            xfer_init(&xs[i], &r, i % 2 ? "/gzip" : "/delay");
            xfer_start(&r, &xs[i]);
        }
        run_until_done(&r);
        run_close(&r);
        for (int i = 0; i < N; i++) {
            assert_int_equal(xs[i].done, 1);
            assert_int_equal(xs[i].t.error_code, 0);
            assert_int_equal(xs[i].t.status, 200);
            assert_int_equal(xs[i].payload.len, i % 2 ? 200000 : 7);
            xfer_free(&xs[i]);
        }
        free(xs);
        printf("%s pass: %llu ready sockets left for a later iteration\n",
               unlimited ? "unlimited" : "1 us", (unsigned long long)deferred);
        if (unlimited)
            assert_int_equal(deferred, 0);
        else
            assert_true(deferred > 0);
    }
}

/* Connections reset while the loop thread is busy: their error events
 * come in one iteration, and with a pass of 1 µs only the first is served
 * there.  libuv stops a uv_poll handle before it reports an error
 * (POLLERR: uv__poll_io), so an error event left for the next iteration is
 * never reported again - the transfer then waits for curl's next timer
 * (the low-speed check, once a second; else its timeout).  Every transfer
 * must end soon after its reset. */
typedef struct reset_probe {
    unsigned want;
    uint64_t all_asked_ns, released_ns;
} reset_probe;

static void reset_when_all_asked(uv_timer_t *h)
{
    reset_probe *p = h->data;
    if ((unsigned)atomic_load(&srv.requests) < p->want) return;
    uint64_t now = fa_time_mono_ns();
    if (p->all_asked_ns == 0) p->all_asked_ns = now;
    if (now - p->all_asked_ns < 300000000ull) return; /* curl's early timers are past */
    uv_timer_stop(h);
    /* the resets arrive while the loop thread is away: one iteration
     * finds every socket ready with an error */
    atomic_store(&srv.reset_go, 1);
    p->released_ns = now;
    sleep_ms(60);
}

static void error_events_are_never_deferred(void **state)
{
    (void)state;
    enum { N = 12 };
    server_quiet();
    atomic_store(&srv.requests, 0);
    atomic_store(&srv.reset_go, 0);
    uint64_t deferred = 0;
    fetcher_options o = default_options();
    o.poll_pass_us = 1;
    o.sockets_deferred = &deferred;
    run r;
    run_open(&r, &o);
    xfer *xs = calloc(N, sizeof *xs);
    assert_non_null(xs);
    for (int i = 0; i < N; i++) {
        xfer_init(&xs[i], &r, "/reset");
        xfer_start(&r, &xs[i]);
    }
    reset_probe p = {.want = N};
    uv_timer_t tm;
    uv_timer_init(&r.loop, &tm);
    tm.data = &p;
    uv_timer_start(&tm, reset_when_all_asked, 5, 5);
    run_until_done(&r);
    uv_close((uv_handle_t *)&tm, NULL);
    run_close(&r);
    assert_true(p.released_ns > 0);
    uint64_t latest = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(xs[i].done, 1);
        assert_int_equal(xs[i].t.error_code, FA_EFETCH);
        uint64_t after = (xs[i].t.end_mono_ns - p.released_ns) / 1000000;
        if (after > latest) latest = after;
        xfer_free(&xs[i]);
    }
    free(xs);
    printf("reset connections: the last transfer ended %llu ms after the resets "
           "(%llu ready sockets deferred)\n",
           (unsigned long long)latest, (unsigned long long)deferred);
    assert_true(latest < 250); /* the loop was away 60 ms; a lost event waits for curl's
                                 * low-speed check, ~1 s after the request */
    atomic_store(&srv.reset_go, 0);
}

/* The same in the connect phase: connections refused together.  A lost
 * error event there waits for the connect timeout. */
static void refused_connects_are_never_deferred(void **state)
{
    (void)state;
    enum { N = 12 };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0); /* bound, not listening */
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", ntohs(a.sin_port));
    uint64_t deferred = 0;
    fetcher_options o = default_options();
    o.poll_pass_us = 1;
    o.sockets_deferred = &deferred;
    run r;
    run_open(&r, &o);
    xfer *xs = calloc(N, sizeof *xs);
    assert_non_null(xs);
    uint64_t t0 = fa_time_mono_ns();
    for (int i = 0; i < N; i++) {
        xfer_init(&xs[i], &r, url);
        xfer_start(&r, &xs[i]);
    }
    run_until_done(&r);
    run_close(&r);
    uint64_t ms = elapsed_ms(t0);
    close(fd);
    for (int i = 0; i < N; i++) {
        assert_int_equal(xs[i].done, 1);
        assert_int_equal(xs[i].t.cause, FETCH_CAUSE_REFUSED);
        xfer_free(&xs[i]);
    }
    free(xs);
    printf("refused connections: all ended after %llu ms (%llu deferred)\n",
           (unsigned long long)ms, (unsigned long long)deferred);
    assert_true(ms < 150); /* a lost event waits for curl's happy-eyeballs timer, 200 ms */
}

/* How many of a run's transfers were handed to curl by each loop
 * iteration: a check handle (after the iteration's I/O) counts the
 * transfers whose start_mono_ns is set, the moment of the hand-over. */
typedef struct handover_probe {
    uv_check_t check;
    const xfer *xs;
    int n, seen, most, turns;
} handover_probe;

static void on_handover_check(uv_check_t *h)
{
    handover_probe *p = h->data;
    int started = 0;
    for (int i = 0; i < p->n; i++)
        started += p->xs[i].t.start_mono_ns != 0;
    if (started - p->seen > p->most) p->most = started - p->seen;
    if (started > p->seen) p->turns++;
    p->seen = started;
}

/* Transfers started together are handed to curl at most 8 per loop
 * iteration: curl sends the requests of every handle added since its last
 * timeout in one call, so 40 at once held the loop thread for all 40
 * (on loopback ~150 µs each: a 6 ms stall).  Each still ends once, fetched. */
static void starts_spread_over_iterations(void **state)
{
    (void)state;
    enum { N = 40 };
    fetcher_options o = default_options();
    run r;
    run_open(&r, &o);
    xfer *xs = calloc(N, sizeof *xs);
    assert_non_null(xs);
    handover_probe p = {.xs = xs, .n = N};
    uv_check_init(&r.loop, &p.check);
    p.check.data = &p;
    uv_check_start(&p.check, on_handover_check);
    uv_unref((uv_handle_t *)&p.check);
    for (int i = 0; i < N; i++) {
        xfer_init(&xs[i], &r, "/hello");
        xfer_start(&r, &xs[i]);
        assert_int_equal(xs[i].t.start_mono_ns, 0); /* not handed over yet */
    }
    assert_int_equal(fetcher_active(r.f), N);
    run_until_done(&r);
    uv_close((uv_handle_t *)&p.check, NULL);
    run_close(&r);
    printf("%d transfers handed to curl over %d loop iterations, %d at most in one\n", N,
           p.turns, p.most);
    assert_int_equal(p.seen, N);
    assert_true(p.most <= 8);
    assert_true(p.turns >= N / 8);
    for (int i = 0; i < N; i++) {
        assert_int_equal(xs[i].done, 1);
        assert_int_equal(xs[i].t.error_code, 0);
        assert_int_equal(xs[i].t.status, 200);
        assert_true(xs[i].t.date_ns > 0);
        assert_true(xs[i].t.end_mono_ns >= xs[i].t.start_mono_ns);
        xfer_free(&xs[i]);
    }
    free(xs);
}

/* fetcher_close before any of them was handed to curl: each still ends
 * once, cancelled, with its times set, and every handle closes. */
static void close_with_transfers_waiting(void **state)
{
    (void)state;
    enum { N = 20 };
    fetcher_options o = default_options();
    run r;
    run_open(&r, &o);
    xfer xs[N];
    for (int i = 0; i < N; i++) {
        xfer_init(&xs[i], &r, "/hello");
        xfer_start(&r, &xs[i]);
    }
    fetcher_close(r.f);
    assert_int_equal(r.pending, 0); /* each on_done ran, inside fetcher_close */
    uv_run(&r.loop, UV_RUN_DEFAULT); /* returns at once: the last on_done stopped it */
    uv_run(&r.loop, UV_RUN_DEFAULT); /* until every handle is closed */
    assert_int_equal(uv_loop_close(&r.loop), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(xs[i].done, 1);
        assert_int_equal(xs[i].t.error_code, FA_ECANCELED);
        assert_int_equal(xs[i].t.status, 0);
        assert_true(xs[i].t.date_ns > 0);
        assert_true(xs[i].t.start_mono_ns > 0);
        assert_true(xs[i].t.end_mono_ns >= xs[i].t.start_mono_ns);
        xfer_free(&xs[i]);
    }
}

static void close_from_timer(uv_timer_t *h)
{
    run *r = h->data;
    fetcher_close(r->f);
    fetcher_close(r->f); /* a second call does nothing */
    uv_close((uv_handle_t *)h, NULL);
}

/* fetcher_close with transfers in flight: each ends once, cancelled, and
 * every handle is closed after one more run of the loop (uv_loop_close
 * succeeds); the server sees the connections go. */
static void cancel_in_flight(void **state)
{
    (void)state;
    enum { N = 6 };
    fetcher_options o = default_options();
    run r;
    run_open(&r, &o);
    xfer xs[N];
    for (int i = 0; i < N; i++) {
        xfer_init(&xs[i], &r, i % 2 ? "/stall" : "/drip");
        xfer_start(&r, &xs[i]);
    }
    xs[N - 1].close_in_done = 1; /* an on_done that closes too: nothing more happens */
    uv_timer_t timer;
    uv_timer_init(&r.loop, &timer);
    timer.data = &r;
    uv_timer_start(&timer, close_from_timer, 300, 0);
    uint64_t t0 = fa_time_mono_ns();
    uv_run(&r.loop, UV_RUN_DEFAULT); /* stopped by the last on_done */
    uv_run(&r.loop, UV_RUN_DEFAULT); /* until every handle is closed */
    assert_true(elapsed_ms(t0) < 3000);
    assert_int_equal(r.pending, 0);
    assert_int_equal(uv_loop_close(&r.loop), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(xs[i].done, 1);
        assert_int_equal(xs[i].t.error_code, FA_ECANCELED);
        assert_int_equal(xs[i].t.cause, FETCH_CAUSE_OTHER);
        assert_string_equal(xs[i].t.error, "canceled at shutdown");
        xfer_free(&xs[i]);
    }
    for (int k = 0; k < 300 && atomic_load(&srv.live) > 0; k++)
        sleep_ms(10);
    assert_int_equal(atomic_load(&srv.live), 0);
}

/* A transfer started after fetcher_close (before the loop has run) is
 * refused, and its on_done is never called; fetcher_close(NULL) is a no-op. */
static void start_after_close(void **state)
{
    (void)state;
    fetcher_options o = default_options();
    run r;
    run_open(&r, &o);
    fetcher_close(r.f);
    xfer x;
    xfer_init(&x, &r, "/hello");
    assert_int_equal(fetcher_start(r.f, &x.t), FA_ECANCELED);
    uv_run(&r.loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&r.loop), 0);
    assert_int_equal(x.done, 0);
    xfer_free(&x);
    fetcher_close(NULL);
    fetch_transfer_cleanup(NULL);
}

/* fetch_header_value: case-insensitive names, trimmed values, the status
 * line never taken for a header, short buffers truncated. */
static void header_values(void **state)
{
    (void)state;
    const char *head = "HTTP/1.1 200 OK\r\nContent-Type:  text/html ; charset=x \t\r\n"
                       "X-Empty:\r\nlocation: /next\r\nX-Long: 0123456789\r\n\r\n";
    size_t len = strlen(head);
    char v[64];
    assert_int_equal(fetch_header_value(head, len, "content-type", v, sizeof v), 0);
    assert_string_equal(v, "text/html ; charset=x");
    assert_int_equal(fetch_header_value(head, len, "Location", v, sizeof v), 0);
    assert_string_equal(v, "/next");
    assert_int_equal(fetch_header_value(head, len, "X-Empty", v, sizeof v), 0);
    assert_string_equal(v, "");
    assert_int_equal(fetch_header_value(head, len, "HTTP/1.1 200 OK", v, sizeof v), FA_ENOENT);
    assert_int_equal(fetch_header_value(head, len, "ETag", v, sizeof v), FA_ENOENT);
    assert_string_equal(v, "");
    assert_int_equal(fetch_header_value(head, len, "X-Long", v, 5), 0);
    assert_string_equal(v, "0123");
    assert_int_equal(fetch_header_value(head, len, "X-Long", v, 0), 0);
    /* a name that is the prefix of another is not matched by it */
    assert_int_equal(fetch_header_value(head, len, "X-Lon", v, sizeof v), FA_ENOENT);
    const char *names[] = {"connection refused", "could not resolve host", "TLS error", "timeout",
                           "connection reset", "network error", ""};
    for (int c = FETCH_CAUSE_REFUSED; c <= FETCH_CAUSE_NONE; c++)
        assert_string_equal(fetch_cause_name((enum fetch_cause)c), names[c]);
}

/* An owner that shuts down from the on_done of a transfer that ended well
 * (the crawl's last job): the others still in flight end there and then,
 * cancelled, inside that call; nothing runs after, every handle closes. */
static void close_from_on_done(void **state)
{
    (void)state;
    fetcher_options o = default_options();
    o.user_agent = NULL; /* feedarc's own */
    run r;
    run_open(&r, &o);
    xfer xs[3];
    xfer_init(&xs[0], &r, "/hello");
    xfer_init(&xs[1], &r, "/stall");
    xfer_init(&xs[2], &r, "/drip");
    xs[0].close_in_done = 1;
    for (int i = 0; i < 3; i++)
        xfer_start(&r, &xs[i]);
    uv_run(&r.loop, UV_RUN_DEFAULT);
    uv_run(&r.loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&r.loop), 0);
    assert_int_equal(xs[0].t.error_code, 0);
    assert_int_equal(xs[0].t.status, 200);
    assert_true(has(&xs[0].t.request, "\r\nUser-Agent: feedarc/"));
    for (int i = 1; i < 3; i++) {
        assert_int_equal(xs[i].done, 1);
        assert_int_equal(xs[i].t.error_code, FA_ECANCELED);
    }
    for (int i = 0; i < 3; i++)
        xfer_free(&xs[i]);
}

/* max_connections caps the transfers on the wire: 6 at a cap of 2 are
 * answered two at a time. */
static void connection_cap(void **state)
{
    (void)state;
    fetcher_options o = default_options();
    o.max_connections = 2;
    o.max_host_connections = 2;
    run r;
    run_open(&r, &o);
    xfer xs[6];
    server_quiet();
    uint64_t t0 = fa_time_mono_ns();
    for (int i = 0; i < 6; i++) {
        xfer_init(&xs[i], &r, "/delay");
        xfer_start(&r, &xs[i]);
    }
    run_until_done(&r);
    uint64_t ms = elapsed_ms(t0);
    run_close(&r);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(xs[i].t.status, 200);
        xfer_free(&xs[i]);
    }
    assert_true(atomic_load(&srv.delay_max) <= 2);
    assert_true(ms >= 3 * 300 - 50);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_with_headers),
        cmocka_unit_test(conditional_requests),
        cmocka_unit_test(redirect_not_followed),
        cmocka_unit_test(interim_response_dropped),
        cmocka_unit_test(chunked_body_raw_and_decoded),
        cmocka_unit_test(keep_alive_and_start_from_on_done),
        cmocka_unit_test(encoded_bodies),
        cmocka_unit_test(body_decoded_afterwards),
        cmocka_unit_test(body_ceiling),
        cmocka_unit_test(header_ceiling),
        cmocka_unit_test(spilled_body),
        cmocka_unit_test(timeouts),
        cmocka_unit_test(connection_refused),
        cmocka_unit_test(cut_short),
        cmocka_unit_test(many_at_once),
        cmocka_unit_test(starts_spread_over_iterations),
        cmocka_unit_test(ready_sockets_over_iterations),
        cmocka_unit_test(error_events_are_never_deferred),
        cmocka_unit_test(refused_connects_are_never_deferred),
        cmocka_unit_test(close_with_transfers_waiting),
        cmocka_unit_test(cancel_in_flight),
        cmocka_unit_test(start_after_close),
        cmocka_unit_test(close_from_on_done),
        cmocka_unit_test(connection_cap),
        cmocka_unit_test(header_values),
    };
    int rc = cmocka_run_group_tests(tests, server_start, server_stop);
    curl_global_cleanup();
    return rc;
}
