/* test_crawl_hostile_server.c - one crawl beside a raw-socket server whose
 * every source misbehaves in its own way (endless redirects, a drip feed,
 * a gzip bomb, an oversized feed, HTML sent as RSS, a truncated chunked
 * body, header tricks, a stalled TLS handshake, an absurd Content-Length)
 * and one that sends windows-1252 without a charset.  The crawl ends in
 * bounded time, every page of the healthy sample sites is archived, each
 * hostile source is named as failed with its cause, and peak RSS stays
 * flat although the bomb decodes to 1 GB.  (Issue 12; loopback only; the
 * hostile bodies are generated while sent, never held whole.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_time.h"
#include "config/config.h"
#include "crawl_test_util.h"
#include "crawler/crawl.h"
#include "demo/site_server.h"
#include "storage/warc_reader.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

enum hostile_case {
    H_REDIRECTS,
    H_DRIP,
    H_GZIP_BOMB,
    H_GZIP_BOMB_XML,
    H_GZIP_BOMB_SLOW,
    H_GZIP_BOMB_XML_SLOW,
    H_HUGE_FEED,
    H_HUGE_FEED_STREAMED,
    H_HTML_AS_RSS,
    H_WIN1252,
    H_TRUNCATED_CHUNKED,
    H_HEADER_NUL,
    H_HEADER_LF_FOLD,
    H_TLS_STALL,
    H_CONTENT_LENGTH_MAX,
    H_COUNT
};

static const char *const case_names[H_COUNT] = {
    "redirects",          "drip",       "gzip-bomb",          "gzip-bomb-xml", "gzip-bomb-slow",
    "gzip-bomb-xml-slow", "huge-feed",  "huge-feed-streamed", "html-as-rss",   "win1252",
    "truncated-chunked",  "header-nul", "header-lf-fold",     "tls-stall",     "content-length-max",
};

/* One listener on its own 127.0.0.x address (its own host for the crawl's
 * politeness), one thread answering its connections one after another. */
typedef struct hostile_server {
    enum hostile_case kind;
    char ip[32];
    uint16_t port;
    int fd;
    pthread_t thread;
    atomic_int stop;
    atomic_uint requests; /* request heads read (TLS: connections) */
} hostile_server;

#define WIN1252_ITEMS 8
#define BOMB_BYTES (1024ull * 1024 * 1024)
#define HUGE_FEED_BYTES (20u * 1024 * 1024)

static int send_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_str(int fd, const char *s)
{
    return send_all(fd, s, strlen(s));
}

/* Reads a request head into buf; returns its length or -1. */
static ssize_t read_head(hostile_server *h, int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap && !atomic_load(&h->stop)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) continue;
        ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);
        if (r <= 0) return -1;
        len += (size_t)r;
        buf[len] = 0;
        if (strstr(buf, "\r\n\r\n")) return (ssize_t)len;
    }
    return -1;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Streams a gzip of prefix then fill bytes, BOMB_BYTES in all, at wire
 * speed without compressing a gigabyte: after a full flush the deflate
 * state is reset, so every 1 MiB block of fill compresses to the same
 * bytes; one such block is made and sent over and over, then the gzip
 * trailer (crc32 and size). */
static void send_bomb(hostile_server *h, int fd, const char *prefix, unsigned char fill,
                      unsigned pause_ms)
{
    if (send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                     "Content-Encoding: gzip\r\nConnection: close\r\n\r\n") < 0)
        return;
    enum { BLOCK = 1 << 20, OUT = 1 << 16 };
    unsigned char *fills = malloc(BLOCK), *first = malloc(OUT), *block = malloc(OUT);
    memset(fills, fill, BLOCK);
    size_t first_len = 0, block_len = 0, plen = strlen(prefix);
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
    /* the first piece (gzip header and prefix), then the repeatable block */
    for (int pass = 0; pass < 2; pass++) {
        z.next_in = pass ? fills : (unsigned char *)prefix;
        z.avail_in = pass ? BLOCK : (uInt)plen;
        z.next_out = pass ? block : first;
        z.avail_out = OUT;
        assert_int_equal(deflate(&z, Z_FULL_FLUSH), Z_OK);
        assert_int_equal(z.avail_in, 0);
        (pass ? &block_len : &first_len)[0] = OUT - z.avail_out;
    }
    uLong crc1 = crc32(0L, fills, BLOCK);
    uLong crc = crc32(0L, (const unsigned char *)prefix, (uInt)plen);
    uint64_t total = plen;
    int ok = send_all(fd, first, first_len) == 0;
    while (ok && total + BLOCK <= BOMB_BYTES && !atomic_load(&h->stop)) {
        ok = send_all(fd, block, block_len) == 0;
        if (pause_ms) sleep_ms(pause_ms);
        crc = crc32_combine(crc, crc1, BLOCK);
        total += BLOCK;
    }
    if (ok) {
        /* an empty final block, then CRC32 and ISIZE, little-endian */
        unsigned char tail[10] = {0x03, 0x00};
        for (int i = 0; i < 4; i++) {
            tail[2 + i] = (unsigned char)(crc >> (8 * i));
            tail[6 + i] = (unsigned char)((total & 0xffffffffu) >> (8 * i));
        }
        send_all(fd, tail, sizeof tail);
    }
    deflateEnd(&z);
    free(fills);
    free(first);
    free(block);
}

/* A valid RSS feed of HUGE_FEED_BYTES, with its Content-Length or (streamed)
 * delimited by the connection's close. */
static void send_huge_feed(hostile_server *h, int fd, int streamed)
{
    char head[256];
    if (streamed)
        snprintf(head, sizeof head,
                 "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                 "Connection: close\r\n\r\n");
    else
        snprintf(head, sizeof head,
                 "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                 "Content-Length: %u\r\nConnection: close\r\n\r\n",
                 HUGE_FEED_BYTES);
    if (send_str(fd, head) < 0) return;
    static const char open[] = "<rss version=\"2.0\"><channel><title>Huge</title>";
    static const char close_[] = "</channel></rss>";
    size_t sent = 0;
    if (send_str(fd, open) < 0) return;
    sent += strlen(open);
    /* items sent 64 KiB at a time: a send per item made this server, not
     * the crawler, the slow side under ASan on a loaded machine (5.2 MB in
     * 6.6 s: cut by the timeout before the size limit) */
    enum { CHUNK = 64 * 1024 };
    char *chunk = malloc(CHUNK);
    assert_non_null(chunk);
    size_t used = 0;
    for (unsigned i = 0; !atomic_load(&h->stop); i++) {
        /* no links: the items a streamed feed gives before its failure
         * keep their pages, and this server has none */
        char item[256];
        int n = snprintf(item, sizeof item,
                         "<item><title>Item %u</title><description>Text of item %u"
                         "</description><guid>h-%u</guid></item>",
                         i, i, i);
        if (sent + (size_t)n + strlen(close_) > HUGE_FEED_BYTES) break;
        if (used + (size_t)n > CHUNK) {
            if (send_all(fd, chunk, used) < 0) goto out;
            used = 0;
        }
        memcpy(chunk + used, item, (size_t)n);
        used += (size_t)n;
        sent += (size_t)n;
    }
    size_t pad = HUGE_FEED_BYTES - strlen(close_) - sent;
    while (pad > 0) {
        if (used == CHUNK) {
            if (send_all(fd, chunk, used) < 0) goto out;
            used = 0;
        }
        size_t n = CHUNK - used < pad ? CHUNK - used : pad;
        memset(chunk + used, ' ', n);
        used += n;
        pad -= n;
    }
    if (send_all(fd, chunk, used) == 0) send_str(fd, close_);
out:
    free(chunk);
}

/* Answers one request on fd; returns 0 to keep the connection, -1 to close. */
static int answer(hostile_server *h, int fd, const char *path)
{
    char buf[2048];
    switch (h->kind) {
    case H_REDIRECTS: {
        const char *q = strstr(path, "?n=");
        unsigned n = q ? (unsigned)strtoul(q + 3, NULL, 10) : 0;
        snprintf(buf, sizeof buf,
                 "HTTP/1.1 302 Found\r\nLocation: /feed.xml?n=%u\r\n"
                 "Content-Length: 0\r\n\r\n",
                 n + 1);
        return send_str(fd, buf);
    }
    case H_DRIP: {
        if (send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                         "Content-Length: 100000\r\n\r\n") < 0)
            return -1;
        static const char feed[] = "<rss version=\"2.0\"><channel><title>Drip";
        for (size_t i = 0; !atomic_load(&h->stop); i++) {
            if (send_all(fd, &feed[i % (sizeof feed - 1)], 1) < 0) break;
            sleep_ms(200);
        }
        return -1;
    }
    case H_GZIP_BOMB: /* 1 GiB of zeros */
        send_bomb(h, fd, "", 0, 0);
        return -1;
    case H_GZIP_BOMB_SLOW: /* the same, 1 MiB each 100 ms: cut by http.timeout */
        send_bomb(h, fd, "", 0, 100);
        return -1;
    case H_GZIP_BOMB_XML_SLOW:
        send_bomb(h, fd, "<rss version=\"2.0\"><channel><title>Bomb</title>", ' ', 100);
        return -1;
    case H_GZIP_BOMB_XML: /* a feed's start, then 1 GiB of blanks */
        send_bomb(h, fd, "<rss version=\"2.0\"><channel><title>Bomb</title>", ' ', 0);
        return -1;
    case H_HUGE_FEED:
    case H_HUGE_FEED_STREAMED:
        send_huge_feed(h, fd, h->kind == H_HUGE_FEED_STREAMED);
        return -1;
    case H_HTML_AS_RSS: {
        static const char html[] = "<!DOCTYPE html><html><head><title>Not a feed</title>"
                                   "</head><body><p>Welcome to my homepage</p></body></html>";
        snprintf(buf, sizeof buf,
                 "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                 "Content-Length: %zu\r\n\r\n%s",
                 strlen(html), html);
        return send_str(fd, buf);
    }
    case H_WIN1252: {
        if (strncmp(path, "/feed.xml", 9) == 0) {
            /* enough curly quotes and apostrophes (0x91-0x94) for the
             * charset stage to dare a guess: 4 per item */
            char body[8192];
            int n =
                snprintf(body, sizeof body, "<rss version=\"2.0\"><channel><title>Cp1252</title>");
            for (unsigned i = 0; i < WIN1252_ITEMS; i++)
                n += snprintf(body + n, sizeof body - (size_t)n,
                              "<item><title>\x93Quoted\x94 %u</title>"
                              "<description>It\x92s the \x91%u\x92th</description>"
                              "<link>http://%s:%u/w%u.html</link><guid>w-%u</guid></item>",
                              i, i, h->ip, h->port, i, i);
            n += snprintf(body + n, sizeof body - (size_t)n, "</channel></rss>");
            snprintf(buf, sizeof buf,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                     "Content-Length: %d\r\n\r\n",
                     n);
            if (send_str(fd, buf) < 0) return -1;
            return send_all(fd, body, (size_t)n);
        }
        static const char page[] = "<html><body><p>a page</p></body></html>";
        snprintf(buf, sizeof buf,
                 "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                 "Content-Length: %zu\r\n\r\n%s",
                 strlen(page), page);
        return send_str(fd, buf);
    }
    case H_TRUNCATED_CHUNKED:
        send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n"
                     "1000\r\n<rss version=\"2.0\"><channel><title>Cut");
        return -1;
    case H_HEADER_NUL: {
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                                   "X-Evil: a\0b\r\nContent-Length: 5\r\n\r\nhello";
        send_all(fd, head, sizeof head - 1);
        return -1;
    }
    case H_HEADER_LF_FOLD: {
        static const char body[] = "<rss version=\"2.0\"><channel><title>Fold</title>"
                                   "</channel></rss>";
        snprintf(buf, sizeof buf,
                 "HTTP/1.1 200 OK\nContent-Type: application/rss+xml\r\n"
                 "X-Folded: first\r\n  continued\r\nContent-Length: %zu\r\n\r\n%s",
                 strlen(body), body);
        send_str(fd, buf);
        return -1;
    }
    case H_TLS_STALL:
        return 0; /* never reached: the handshake is never answered */
    case H_CONTENT_LENGTH_MAX:
        send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                     "Content-Length: 18446744073709551615\r\n\r\n<rss version=\"2.0\">");
        return -1;
    default:
        return -1;
    }
}

static void serve_connection(hostile_server *h, int fd)
{
    char head[8192];
    if (h->kind == H_TLS_STALL) {
        atomic_fetch_add(&h->requests, 1);
        /* accept, swallow the ClientHello, never answer */
        while (!atomic_load(&h->stop)) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            if (poll(&p, 1, 100) > 0 && recv(fd, head, sizeof head, 0) <= 0) break;
        }
        return;
    }
    for (;;) {
        if (read_head(h, fd, head, sizeof head) < 0) return;
        char path[1024] = "";
        if (sscanf(head, "%*s %1023s", path) != 1) return;
        atomic_fetch_add(&h->requests, 1);
        if (answer(h, fd, path) < 0) return;
    }
}

static void *hostile_thread(void *arg)
{
    hostile_server *h = arg;
    while (!atomic_load(&h->stop)) {
        struct pollfd p = {.fd = h->fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) continue;
        int c = accept(h->fd, NULL, NULL);
        if (c < 0) continue;
        serve_connection(h, c);
        close(c);
    }
    return NULL;
}

static hostile_server *hostile_start(enum hostile_case kind, const char *ip)
{
    hostile_server *h = calloc(1, sizeof *h);
    assert_non_null(h);
    h->kind = kind;
    snprintf(h->ip, sizeof h->ip, "%s", ip);
    h->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(h->fd >= 0);
    int one = 1;
    setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    assert_int_equal(bind(h->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(h->fd, 16), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(h->fd, (struct sockaddr *)&a, &al), 0);
    h->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&h->thread, NULL, hostile_thread, h), 0);
    return h;
}

static void hostile_stop(hostile_server *h)
{
    atomic_store(&h->stop, 1);
    pthread_join(h->thread, NULL);
    close(h->fd);
    free(h);
}

static int block_holds(const warc_record *rec, const void *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= rec->block_len; i++)
        if (memcmp(rec->block + i, needle, nl) == 0) return 1;
    return 0;
}

/* How many metadata records of dir's segments hold needle in their block. */
static unsigned metadata_with(const char *dir, const char *needle)
{
    return test_count_records(dir, "metadata", block_holds, needle);
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

#define GOOD_SITES 2
#define GOOD_PAGES 5

/* The cause each hostile source must be failed with (NULL: must succeed). */
static const char *const expected_cause[H_COUNT] = {
    [H_REDIRECTS] = "more than 5 redirects",
    [H_DRIP] = "imeout",
    [H_GZIP_BOMB] = "not XML", /* zeros: the parser stops at the first byte */
    [H_GZIP_BOMB_XML] = "max_decoded_size",
    /* cut off by the timeout later, but named by what failed first */
    [H_GZIP_BOMB_SLOW] = "not a usable feed: not XML: body starts with byte 0x00; then timeout",
    [H_GZIP_BOMB_XML_SLOW] = "decoded size over http.max_decoded_size; then timeout",
    [H_HUGE_FEED] = "max_body_size",
    [H_HUGE_FEED_STREAMED] = "max_body_size",
    [H_HTML_AS_RSS] = "not a usable feed",
    [H_WIN1252] = NULL,
    [H_TRUNCATED_CHUNKED] = "",
    [H_HEADER_NUL] = "",
    [H_HEADER_LF_FOLD] = NULL,
    [H_TLS_STALL] = "imeout",
    [H_CONTENT_LENGTH_MAX] = "max_body_size",
};

static void hostile_sources_fail_alone(void **state)
{
    (void)state;
    alarm(150); /* a hang fails the test rather than the ctest timeout */
    site_server *good[GOOD_SITES];
    char *rss[GOOD_SITES];
    for (unsigned s = 0; s < GOOD_SITES; s++) {
        char ip[32];
        snprintf(ip, sizeof ip, "127.0.0.%u", 61 + s);
        good[s] = site_server_start(ip, 0);
        assert_non_null(good[s]);
        const char *origin = site_server_origin(good[s]);
        size_t cap = 1024 + GOOD_PAGES * 256, len;
        rss[s] = malloc(cap);
        len = (size_t)snprintf(rss[s], cap, "<rss version=\"2.0\"><channel><title>Good</title>");
        for (unsigned i = 0; i < GOOD_PAGES; i++) {
            len += (size_t)snprintf(rss[s] + len, cap - len,
                                    "<item><title>Item %u</title><link>%s/p%u.html</link>"
                                    "<guid>g-%u</guid></item>",
                                    i, origin, i, i);
            char path[32], page[128];
            snprintf(path, sizeof path, "/p%u.html", i);
            int n = snprintf(page, sizeof page,
                             "<html><body><p>page %u of site %u</p></body></html>", i, s);
            site_server_route(good[s], path, 200, "text/html", page, (size_t)n, NULL, 0);
        }
        snprintf(rss[s] + len, cap - len, "</channel></rss>\n");
        site_server_route(good[s], "/feed.xml", 200, "application/rss+xml", rss[s], strlen(rss[s]),
                          NULL, 0);
    }
    hostile_server *bad[H_COUNT];
    for (unsigned k = 0; k < H_COUNT; k++) {
        char ip[32];
        snprintf(ip, sizeof ip, "127.0.0.%u", 70 + k);
        bad[k] = hostile_start((enum hostile_case)k, ip);
    }

    char *dir = test_tmpdir_new();
    size_t cap = 8192, len;
    char *yaml = malloc(cap);
    len = (size_t)snprintf(yaml, cap,
                           "storage: { dir: %s/archive }\n"
                           /* no adaptive delay: it is 2x each hop's response
                            * time as the loop measured it, and a loop lagging
                            * seconds under load (ASan, 2 cores, the bombs)
                            * spaced the 6 redirect hops ~7 s apart */
                           "politeness: { min_delay: 0s, delay_factor: 0 }\n"
                           "http: { timeout: 4s, connect_timeout: 3s, retries: 0,\n"
                           "        max_body_size: 5MiB, max_decoded_size: 8MiB,\n"
                           "        max_redirects: 5 }\n"
                           "sources:\n",
                           dir);
    for (unsigned s = 0; s < GOOD_SITES; s++)
        len += (size_t)snprintf(yaml + len, cap - len,
                                "  - url: %s/feed.xml\n    ignore_robots: true\n",
                                site_server_origin(good[s]));
    for (unsigned k = 0; k < H_COUNT; k++)
        len += (size_t)snprintf(yaml + len, cap - len,
                                "  - url: %s://%s:%u/feed.xml\n    ignore_robots: true\n",
                                k == H_TLS_STALL ? "https" : "http", bad[k]->ip, bad[k]->port);
    config *cfg = test_load_yaml(yaml, dir);

    long rss0 = peak_rss_kb();
    uint64_t t0 = fa_time_mono_ns();
    crawl_summary sum;
    assert_int_equal(crawl_run_once(cfg, NULL, &sum), 0);
    uint64_t ms = (fa_time_mono_ns() - t0) / 1000000;
    long grown_kb = peak_rss_kb() - rss0;
    fprintf(stderr, "crawl took %llu ms, peak RSS grew %ld KB\n", (unsigned long long)ms, grown_kb);
    for (unsigned i = 0; i < sum.sources; i++)
        fprintf(stderr, "  %-20s ok=%d items=%llu pages_ok=%llu error=%s\n",
                i < GOOD_SITES ? "good" : case_names[i - GOOD_SITES], sum.results[i].ok,
                (unsigned long long)sum.results[i].items,
                (unsigned long long)sum.results[i].pages_ok,
                sum.results[i].error ? sum.results[i].error : "-");

    /* bounded: the slowest hostile source ends at http.timeout (4 s); the
     * slack is for a loaded machine, and a sanitizer build's slowness (a
     * source never cut off - a drip, a stalled handshake - would go on for
     * minutes: the alarm) */
    if (ms >= 4000 + 20000 * TEST_TIME_FACTOR)
        fail_msg("the crawl took %llu ms: over the 4 s timeout + %u s", (unsigned long long)ms,
                 20 * TEST_TIME_FACTOR);
    assert_true(grown_kb < 200 * 1024);
    assert_int_equal(sum.sources, GOOD_SITES + H_COUNT);

    char adir[600], uri[300];
    snprintf(adir, sizeof adir, "%s/archive", dir);
    for (unsigned s = 0; s < GOOD_SITES; s++) {
        assert_null(sum.results[s].error);
        assert_int_equal(sum.results[s].items, GOOD_PAGES);
        assert_int_equal(sum.results[s].pages_ok, GOOD_PAGES);
        for (unsigned i = 0; i < GOOD_PAGES; i++) {
            snprintf(uri, sizeof uri, "%s/p%u.html", site_server_origin(good[s]), i);
            assert_int_equal(test_count_responses(adir, uri), 1);
        }
    }
    unsigned expect_failed = 0;
    for (unsigned k = 0; k < H_COUNT; k++) {
        const crawl_source_result *r = &sum.results[GOOD_SITES + k];
        if (!expected_cause[k]) {
            if (r->error) fail_msg("%s: unexpected failure: %s", case_names[k], r->error);
            continue;
        }
        expect_failed++;
        if (!r->error) fail_msg("%s: not named as failed", case_names[k]);
        assert_non_null(strstr(r->error, bad[k]->ip)); /* names the source's URL */
        if (!strstr(r->error, expected_cause[k]))
            fail_msg("%s: cause \"%s\" lacks \"%s\"", case_names[k], r->error, expected_cause[k]);
    }
    assert_int_equal(sum.sources_failed, expect_failed);
    /* no retry storm against a hostile host (retries: 0): one request
     * each, the redirect chain's 1 + max_redirects, the feed and its pages */
    for (unsigned k = 0; k < H_COUNT; k++) {
        unsigned want = k == H_REDIRECTS ? 1 + 5 : k == H_WIN1252 ? 1 + WIN1252_ITEMS : 1;
        unsigned got = atomic_load(&bad[k]->requests);
        if (got != want) fail_msg("%s: %u requests, expected %u", case_names[k], got, want);
    }
    /* windows-1252 without a charset: every item and page, the titles
     * decoded to UTF-8 curly quotes (the pages' metadata records) */
    assert_int_equal(sum.results[GOOD_SITES + H_WIN1252].items, WIN1252_ITEMS);
    assert_int_equal(sum.results[GOOD_SITES + H_WIN1252].pages_ok, WIN1252_ITEMS);
    for (unsigned i = 0; i < WIN1252_ITEMS; i++) {
        char title[64];
        snprintf(title, sizeof title, "feed-item-title: \xe2\x80\x9cQuoted\xe2\x80\x9d %u\r\n", i);
        assert_int_equal(metadata_with(adir, title), 1);
    }

    crawl_summary_free(&sum);
    config_free(cfg);
    for (unsigned k = 0; k < H_COUNT; k++)
        hostile_stop(bad[k]);
    for (unsigned s = 0; s < GOOD_SITES; s++) {
        site_server_stop(good[s]);
        free(rss[s]);
    }
    free(yaml);
    test_rm_rf(dir);
    free(dir);
    alarm(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hostile_sources_fail_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
