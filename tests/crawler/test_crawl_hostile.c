/* test_crawl_hostile.c - crawls beside a misbehaving server: what one host
 * or URL does wrong is that source's failure, named in the summary, and
 * the crawl of the others finishes in its normal time with everything
 * archived.  (Issue 12; loopback servers, real archives.) */
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

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *rss_feed(const char *origin, unsigned n)
{
    size_t cap = 1024 + n * 256;
    char *b = malloc(cap);
    size_t len = (size_t)snprintf(b, cap, "<rss version=\"2.0\"><channel><title>T</title>");
    for (unsigned i = 0; i < n; i++)
        len += (size_t)snprintf(b + len, cap - len,
                                "<item><title>Item %u</title><link>%s/p%u.html</link>"
                                "<guid>g-%u</guid></item>",
                                i, origin, i, i);
    snprintf(b + len, cap - len, "</channel></rss>\n");
    return b;
}

/* A body that is neither zlib, gzip nor raw deflate, sent as deflate and
 * as gzip (a feed each) and as a page of a healthy feed: the crawl ends in
 * its normal time (it once span for ever on the loop thread), the two
 * feeds fail with "content decoding failed", the page is archived as sent,
 * and the healthy feed's pages are all archived. */
static void undecodable_bodies_fail_their_response(void **state)
{
    (void)state;
    alarm(120); /* a hang fails the test rather than the ctest timeout */
    static const unsigned char garbage[4] = {0xff, 0xff, 0xff, 0xff};
    site_server *bad = site_server_start("127.0.0.41", 0);
    site_server *good = site_server_start("127.0.0.42", 0);
    assert_non_null(bad);
    assert_non_null(good);
    site_server_route(bad, "/deflate.xml", 200, "application/rss+xml", garbage, sizeof garbage,
                      "Content-Encoding: deflate\r\n", 0);
    site_server_route(bad, "/gzip.xml", 200, "application/rss+xml", garbage, sizeof garbage,
                      "Content-Encoding: gzip\r\n", 0);
    char *rss = rss_feed(site_server_origin(good), 4);
    site_server_route(good, "/feed.xml", 200, "application/rss+xml", rss, strlen(rss), NULL, 0);
    for (unsigned i = 0; i < 3; i++) {
        char path[32], page[128];
        snprintf(path, sizeof path, "/p%u.html", i);
        int n = snprintf(page, sizeof page,
                         "<html><body><p>page %u of the good site</p></body>"
                         "</html>",
                         i);
        site_server_route(good, path, 200, "text/html", page, (size_t)n, NULL, 0);
    }
    site_server_route(good, "/p3.html", 200, "text/html", garbage, sizeof garbage,
                      "Content-Encoding: deflate\r\n", 0);

    char *dir = test_tmpdir_new();
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "storage: { dir: %s/archive }\n"
             "politeness: { min_delay: 0s }\n"
             "http: { timeout: 10s, retries: 0 }\n"
             "sources:\n"
             "  - url: %s/deflate.xml\n    ignore_robots: true\n"
             "  - url: %s/gzip.xml\n    ignore_robots: true\n"
             "  - url: %s/feed.xml\n    ignore_robots: true\n",
             dir, site_server_origin(bad), site_server_origin(bad), site_server_origin(good));
    config *cfg = test_load_yaml(yaml, dir);
    uint64_t t0 = fa_time_mono_ns();
    crawl_summary sum;
    assert_int_equal(crawl_run_once(cfg, NULL, &sum), 0);
    uint64_t ms = (fa_time_mono_ns() - t0) / 1000000;
    assert_true(ms < 10000);
    assert_int_equal(sum.sources_failed, 2);
    for (int i = 0; i < 2; i++) {
        assert_non_null(sum.results[i].error);
        assert_non_null(strstr(sum.results[i].error, "content decoding failed"));
    }
    assert_non_null(strstr(sum.results[0].error, "deflate"));
    assert_non_null(strstr(sum.results[1].error, "gzip"));
    assert_null(sum.results[2].error);
    assert_int_equal(sum.results[2].items, 4);
    assert_int_equal(sum.results[2].pages_ok, 4);

    char adir[600], uri[300];
    snprintf(adir, sizeof adir, "%s/archive", dir);
    assert_int_equal(test_count_responses(adir, NULL), 3 + 4);
    for (unsigned i = 0; i < 4; i++) {
        snprintf(uri, sizeof uri, "%s/p%u.html", site_server_origin(good), i);
        assert_int_equal(test_count_responses(adir, uri), 1);
    }
    crawl_summary_free(&sum);
    config_free(cfg);
    free(rss);
    site_server_stop(bad);
    site_server_stop(good);
    test_rm_rf(dir);
    free(dir);
    alarm(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(undecodable_bodies_fail_their_response),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
