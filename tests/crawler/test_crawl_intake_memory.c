/*
 * test_crawl_intake_memory.c - what a parsed feed holds while its items
 * wait for the intake (crawl_feed.c), measured on a real crawl.
 *
 * 2,000 short RSS feeds (3 items each) on 20 loopback hosts, each feed its
 * own source, crawled with the bench's politeness (2 connections a host,
 * 64 in all): the feeds are fetched and parsed far faster than their
 * 6,000 pages can be, so the intake bound keeps hundreds to thousands of
 * parsed feeds waiting at once (the summary's feeds_held_peak).  The heap
 * in use (mallinfo2, every allocation of every thread's arena) is sampled
 * by a thread while the crawl runs; its peak above the heap before the
 * crawl, per waiting feed, must stay a few KB - the job, its events, its
 * deferred url record.  When a waiting feed kept its parser (charset
 * decoder, libxml2's context, dictionary and buffers) and its transfer's
 * buffers, it was some 60 KiB a feed here (`feedarc serve` with 10,000 feeds:
 * 459 MiB RSS; BENCHMARKS.md).
 *
 * A second test bounds the exchanges waiting for the writer by the bytes
 * they hold (archive_queue_bounded_by_bytes, below).
 *
 * The servers keep no request log (site_server_set_log_max 0), so the
 * heap they use while serving stays small beside the crawl's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config/config.h"
#include "crawl_test_util.h"
#include "crawler/crawl.h"
#include "demo/site_server.h"

#include <curl/curl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { HOSTS = 20, FEEDS_PER_HOST = 100, ITEMS = 3, PAGE_BYTES = 1500 };
/* The scenario: many feeds wait at once (1,500-1,700 measured). */
#define HELD_MIN 500
/* The heap a waiting feed may cost: 13-15 KiB measured (the crawl's fixed
 * costs spread over the waiting feeds included), 60 KiB kept whole. */
#define BYTES_PER_HELD_MAX (24.0 * 1024)

/* ---- the heap, sampled while the crawl runs ---- */

typedef struct heap_probe {
    pthread_t thread;
    atomic_int stop;
    size_t peak; /* bytes in use at most (uordblks + hblkhd) */
} heap_probe;

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static void *probe_run(void *arg)
{
    heap_probe *p = arg;
    const struct timespec ms = {0, 1000000};
    while (!atomic_load(&p->stop)) {
        size_t n = heap_in_use();
        if (n > p->peak) p->peak = n;
        nanosleep(&ms, NULL);
    }
    return NULL;
}

/* ---- the sites ---- */

static void route_host(site_server *s, unsigned h)
{
    char path[128], body[4096];
    char *page = malloc(PAGE_BYTES);
    assert_non_null(page);
    for (unsigned f = 0; f < FEEDS_PER_HOST; f++) {
        int n = snprintf(body, sizeof body,
                         "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>"
                         "<title>Feed %u.%u</title><link>%s/</link>",
                         h, f, site_server_origin(s));
        for (unsigned k = 0; k < ITEMS; k++)
            n += snprintf(body + n, sizeof body - (size_t)n,
                          "<item><title>Item %u of feed %u</title><link>%s/p/%u/%u.html</link>"
                          "<guid>h%u-f%u-i%u</guid><pubDate>Mon, 23 Nov 2026 10:%02u:00 "
                          "GMT</pubDate><description>Item %u of feed %u on host %u, a short "
                          "summary.</description></item>",
                          k, f, site_server_origin(s), f, k, h, f, k, k, k, f, h);
        n += snprintf(body + n, sizeof body - (size_t)n, "</channel></rss>\n");
        snprintf(path, sizeof path, "/f/%u.xml", f);
        assert_int_equal(
            site_server_route(s, path, 200, "application/rss+xml", body, (size_t)n, NULL, 0), 0);
        for (unsigned k = 0; k < ITEMS; k++) {
            uint32_t x = 2463534242u + h * 7919u + f * 31u + k;
            for (size_t i = 0; i < PAGE_BYTES; i++) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                page[i] = (char)('a' + x % 26);
            }
            snprintf(path, sizeof path, "/p/%u/%u.html", f, k);
            assert_int_equal(
                site_server_route(s, path, 200, "text/html", page, PAGE_BYTES, NULL, 0), 0);
        }
    }
    free(page);
}

/* ---- the test ---- */

static void waiting_feeds_hold_only_their_events(void **state)
{
    (void)state;
#ifdef FEEDARC_SANITIZE
    skip(); /* the sanitizer's allocator: mallinfo2 says nothing */
#endif
    site_server *srv[HOSTS];
    for (unsigned h = 0; h < HOSTS; h++) {
        char ip[32];
        snprintf(ip, sizeof ip, "127.0.3.%u", h + 1);
        srv[h] = site_server_start(ip, 0);
        assert_non_null(srv[h]);
        site_server_set_log_max(srv[h], 0);
        route_host(srv[h], h);
    }
    char *dir = test_tmpdir_new();
    size_t cap = 4096 + (size_t)HOSTS * FEEDS_PER_HOST * 64, len = 0;
    char *yaml = malloc(cap);
    assert_non_null(yaml);
    len += (size_t)snprintf(yaml + len, cap - len,
                            "storage: { dir: %s/archive, dictionary: none }\n"
                            "politeness: { max_connections_per_host: 2, min_delay: 0s, "
                            "max_connections: 64 }\n"
                            "dedup: { enabled: false }\n"
                            "sources:\n",
                            dir);
    for (unsigned h = 0; h < HOSTS; h++)
        for (unsigned f = 0; f < FEEDS_PER_HOST; f++)
            len += (size_t)snprintf(yaml + len, cap - len, "  - url: %s/f/%u.xml\n",
                                    site_server_origin(srv[h]), f);
    config *cfg = test_load_yaml(yaml, dir);
    free(yaml);

    malloc_trim(0);
    size_t before = heap_in_use();
    heap_probe probe = {.peak = before};
    assert_int_equal(pthread_create(&probe.thread, NULL, probe_run, &probe), 0);
    crawl_summary sum;
    int rc = crawl_run_once(cfg, NULL, &sum);
    atomic_store(&probe.stop, 1);
    pthread_join(probe.thread, NULL);
    assert_int_equal(rc, 0);
    assert_int_equal(sum.sources_failed, 0);
    assert_int_equal(sum.feeds_fetched, HOSTS * FEEDS_PER_HOST);
    assert_int_equal(sum.pages_fetched, HOSTS * FEEDS_PER_HOST * ITEMS);

    double grown = (double)(probe.peak - before);
    double per_held = sum.feeds_held_peak ? grown / sum.feeds_held_peak : grown;
    print_message("feeds waiting for the intake at most: %u; jobs at most: %u\n",
                  sum.feeds_held_peak, sum.jobs_peak);
    print_message("heap before the crawl %.1f MiB, peak %.1f MiB: %.1f KiB per waiting feed\n",
                  before / 1048576.0, probe.peak / 1048576.0, per_held / 1024);
    assert_true(sum.feeds_held_peak >= HELD_MIN);
    assert_true(per_held <= BYTES_PER_HELD_MAX);

    crawl_summary_free(&sum);
    config_free(cfg);
    for (unsigned h = 0; h < HOSTS; h++)
        site_server_stop(srv[h]);
    test_rm_rf(dir);
    free(dir);
}

/* Exchanges waiting for the writer are bounded by the memory they hold,
 * not only by their number: 160 pages of ~400 KB on 4 loopback hosts
 * (4 connections each) are fetched faster than they are extracted,
 * fingerprinted and compressed, and with only the count bound (256)
 * the waiting bodies reached tens of MB (a 100 KB-page news web: 35 MB
 * of 109 MiB peak RSS).  With max_archive_pending_bytes 2 MiB, fetching
 * pauses at 2 MiB; the transfers already in flight may still land. */
enum { BIG_HOSTS = 4, BIG_PAGES = 40, BIG_BYTES = 400 * 1000, BIG_CONN = 4 };

static void route_big_host(site_server *s, unsigned h, char *page)
{
    char path[128], body[8192];
    int n = snprintf(body, sizeof body,
                     "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>"
                     "<title>Big %u</title><link>%s/</link>",
                     h, site_server_origin(s));
    for (unsigned k = 0; k < BIG_PAGES; k++)
        n += snprintf(body + n, sizeof body - (size_t)n,
                      "<item><title>Long page %u</title><link>%s/b/%u.html</link>"
                      "<guid>b%u-%u</guid></item>",
                      k, site_server_origin(s), k, h, k);
    n += snprintf(body + n, sizeof body - (size_t)n, "</channel></rss>\n");
    assert_int_equal(
        site_server_route(s, "/feed.xml", 200, "application/rss+xml", body, (size_t)n, NULL, 0), 0);
    for (unsigned k = 0; k < BIG_PAGES; k++) {
        uint32_t x = 2463534242u + h * 7919u + k * 31u;
        size_t o = (size_t)snprintf(page, BIG_BYTES, "<html><body><article><p>");
        for (unsigned words = 1; o < BIG_BYTES - 64; words++) { /* paragraphs of words */
            if (words % 120 == 0) {
                memcpy(page + o, "</p>\n<p>", 8);
                o += 8;
            }
            for (int w = 3 + (int)(x % 7); w > 0; w--) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                page[o++] = (char)('a' + x % 26);
            }
            page[o++] = ' ';
        }
        o += (size_t)snprintf(page + o, BIG_BYTES - o, "</article></body></html>");
        snprintf(path, sizeof path, "/b/%u.html", k);
        assert_int_equal(site_server_route(s, path, 200, "text/html", page, o, NULL, 0), 0);
    }
}

static void archive_queue_bounded_by_bytes(void **state)
{
    (void)state;
    site_server *srv[BIG_HOSTS];
    char *page = malloc(BIG_BYTES);
    assert_non_null(page);
    for (unsigned h = 0; h < BIG_HOSTS; h++) {
        char ip[32];
        snprintf(ip, sizeof ip, "127.0.4.%u", h + 1);
        srv[h] = site_server_start(ip, 0);
        assert_non_null(srv[h]);
        site_server_set_log_max(srv[h], 0);
        route_big_host(srv[h], h, page);
    }
    free(page);
    char *dir = test_tmpdir_new();
    char yaml[4096];
    size_t len = (size_t)snprintf(yaml, sizeof yaml,
                                  "storage: { dir: %s/archive }\n"
                                  "politeness: { max_connections_per_host: %d, min_delay: 0s, "
                                  "max_connections: 64 }\n"
                                  "sources:\n",
                                  dir, BIG_CONN);
    for (unsigned h = 0; h < BIG_HOSTS; h++)
        len += (size_t)snprintf(yaml + len, sizeof yaml - len, "  - url: %s/feed.xml\n",
                                site_server_origin(srv[h]));
    config *cfg = test_load_yaml(yaml, dir);
    crawl_options opt = {.max_archive_pending_bytes = 2u << 20};
    crawl_summary sum;
    assert_int_equal(crawl_run_once(cfg, &opt, &sum), 0);
    assert_int_equal(sum.sources_failed, 0);
    assert_int_equal(sum.pages_fetched, BIG_HOSTS * BIG_PAGES);
    /* the bound, plus what the transfers in flight when fetching paused
     * brought in (a body's buffer is at most 512 KiB here) */
    uint64_t bound = (2u << 20) + (uint64_t)BIG_HOSTS * BIG_CONN * (512u << 10);
    print_message("response bytes waiting for the writer at most: %.1f MiB (bound %.1f MiB)\n",
                  (double)sum.archive_bytes_peak / 1048576.0, (double)bound / 1048576.0);
    assert_true(sum.archive_bytes_peak > 0);
    assert_true(sum.archive_bytes_peak <= bound);
    crawl_summary_free(&sum);
    config_free(cfg);
    for (unsigned h = 0; h < BIG_HOSTS; h++)
        site_server_stop(srv[h]);
    test_rm_rf(dir);
    free(dir);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(waiting_feeds_hold_only_their_events),
        cmocka_unit_test(archive_queue_bounded_by_bytes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
