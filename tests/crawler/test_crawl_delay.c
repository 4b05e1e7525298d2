/*
 * test_crawl_delay.c - robots.txt's Crawl-delay separates every request to
 * its host, robots.txt itself and the feed after it included: two loopback
 * hosts (Crawl-delay 0.2 s and 0.5 s), the request start times logged by
 * demo/site_server.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void route_host(site_server *s, const char *delay)
{
    char robots[128];
    snprintf(robots, sizeof robots, "User-agent: *\nAllow: /\nCrawl-delay: %s\n", delay);
    assert_int_equal(
        site_server_route(s, "/robots.txt", 200, "text/plain", robots, strlen(robots), NULL, 0), 0);
    const char *feed = "<rss version=\"2.0\"><channel><title>t</title>"
                       "<item><title>1</title><link>/p1</link></item>"
                       "<item><title>2</title><link>/p2</link></item></channel></rss>";
    assert_int_equal(
        site_server_route(s, "/feed.xml", 200, "application/rss+xml", feed, strlen(feed), NULL, 0),
        0);
    assert_int_equal(site_server_route(s, "/p1", 200, "text/html", "<p>1</p>", 8, NULL, 0), 0);
    assert_int_equal(site_server_route(s, "/p2", 200, "text/html", "<p>2</p>", 8, NULL, 0), 0);
}

static int by_start(const void *a, const void *b)
{
    const site_request_log *x = a, *y = b;
    return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

/* Every start on s at least delay_ms after the one before (robots.txt
 * first).  Between later requests the arrivals are compared (when the kernel
 * received them): the server's thread may run one late under load, which
 * would shrink the gap after it. */
static void check_spacing(site_server *s, uint64_t delay_ms)
{
    site_request_log *log = NULL;
    size_t n = site_server_log(s, &log);
    assert_int_equal(n, 4); /* robots.txt, feed, 2 pages */
    qsort(log, n, sizeof *log, by_start);
    assert_string_equal(log[0].path, "/robots.txt");
    assert_string_equal(log[1].path, "/feed.xml");
    for (size_t i = 1; i < n; i++) {
        /* robots.txt -> feed: the delay runs from robots.txt's answer, which
         * the server wrote after it ran robots.txt (start_ns) and before the
         * feed arrived - so start to start holds all of it, whatever the
         * server's latency; between later requests the delay runs start to
         * start, compared on arrivals (within ~2 jiffies, and the client's
         * dispatch) */
        /* (signed: arrivals in another order than starts fail, not wrap) */
        int64_t gap_ms = i == 1 ? ((int64_t)log[i].start_ns - (int64_t)log[i - 1].start_ns) / 1000000
                                : ((int64_t)log[i].arrival_ns - (int64_t)log[i - 1].arrival_ns) / 1000000;
        printf("%s: %s %lld ms after %s\n", site_server_origin(s), log[i].path,
               (long long)gap_ms, log[i - 1].path);
        if (gap_ms + (i == 1 ? 1 : 20) < (int64_t)delay_ms)
            fail_msg("%s started %lld ms after %s; Crawl-delay is %llu ms", log[i].path,
                     (long long)gap_ms, log[i - 1].path, (unsigned long long)delay_ms);
    }
    free(log);
}

static void crawl_delay_follows_robots_txt(void **state)
{
    (void)state;
    site_server *a = site_server_start("127.0.0.11", 0);
    site_server *b = site_server_start("127.0.0.12", 0);
    assert_non_null(a);
    assert_non_null(b);
    route_host(a, "0.2");
    route_host(b, "0.5");
    char *dir = test_tmpdir_new();
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "storage: { dir: %s/archive }\n"
             "politeness: { max_connections_per_host: 1, min_delay: 0s }\n"
             "sources:\n  - url: %s/feed.xml\n  - url: %s/feed.xml\n",
             dir, site_server_origin(a), site_server_origin(b));
    config *cfg = test_load_yaml(yaml, dir);
    crawl_summary sum;
    assert_int_equal(crawl_run_once(cfg, NULL, &sum), 0);
    assert_int_equal(sum.sources_failed, 0);
    assert_int_equal(sum.pages_fetched, 4);
    check_spacing(a, 200);
    check_spacing(b, 500);
    crawl_summary_free(&sum);
    config_free(cfg);
    site_server_stop(a);
    site_server_stop(b);
    test_rm_rf(dir);
    free(dir);
}

/* A second run reads robots.txt from the state's cache (no request for
 * it): its Crawl-delay still separates the requests to the host.  Before
 * the fix the cached rules' delay was never applied - the feed and three
 * new pages went out 0-2 ms apart. */
static void crawl_delay_of_cached_robots_txt(void **state)
{
    (void)state;
    site_server *a = site_server_start("127.0.0.13", 0);
    assert_non_null(a);
    route_host(a, "0.4");
    char *dir = test_tmpdir_new();
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "storage: { dir: %s/archive, state_dir: %s/state }\n"
             "politeness: { max_connections_per_host: 1, min_delay: 0s }\n"
             "sources:\n  - url: %s/feed.xml\n",
             dir, dir, site_server_origin(a));
    config *cfg = test_load_yaml(yaml, dir);
    crawl_summary sum;
    assert_int_equal(crawl_run_once(cfg, NULL, &sum), 0);
    assert_int_equal(sum.pages_fetched, 2);
    crawl_summary_free(&sum);

    const char *feed = "<rss version=\"2.0\"><channel><title>t</title>"
                       "<item><title>3</title><link>/p3</link></item>"
                       "<item><title>4</title><link>/p4</link></item>"
                       "<item><title>5</title><link>/p5</link></item></channel></rss>";
    assert_int_equal(
        site_server_route(a, "/feed.xml", 200, "application/rss+xml", feed, strlen(feed), NULL, 0),
        0);
    for (int i = 3; i <= 5; i++) {
        char path[8];
        snprintf(path, sizeof path, "/p%d", i);
        assert_int_equal(site_server_route(a, path, 200, "text/html", "<p>n</p>", 8, NULL, 0), 0);
    }
    site_server_reset_log(a);
    assert_int_equal(crawl_run_once(cfg, NULL, &sum), 0);
    assert_int_equal(sum.pages_fetched, 3);
    site_request_log *log = NULL;
    size_t n = site_server_log(a, &log);
    assert_int_equal(n, 4); /* the feed and 3 pages: robots.txt came from the cache */
    qsort(log, n, sizeof *log, by_start);
    assert_string_equal(log[0].path, "/feed.xml");
    for (size_t i = 1; i < n; i++) {
        /* start to start, compared on arrivals as check_spacing does */
        int64_t gap_ms = ((int64_t)log[i].arrival_ns - (int64_t)log[i - 1].arrival_ns) / 1000000;
        printf("cached: %s %lld ms after %s\n", log[i].path, (long long)gap_ms, log[i - 1].path);
        if (gap_ms + 20 < 400)
            fail_msg("%s started %lld ms after %s; the cached Crawl-delay is 400 ms", log[i].path,
                     (long long)gap_ms, log[i - 1].path);
    }
    free(log);
    crawl_summary_free(&sum);
    config_free(cfg);
    site_server_stop(a);
    test_rm_rf(dir);
    free(dir);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crawl_delay_follows_robots_txt),
        cmocka_unit_test(crawl_delay_of_cached_robots_txt),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
