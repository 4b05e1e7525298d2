/*
 * test_serve_sources.c - `feedarc serve` with several sources that list the
 * same page (a site's main feed and its section feed): the page is fetched
 * and archived once, whichever source's poll comes first.
 *
 * In serve each source is polled on its own timer and its "seen" set lasts
 * one poll, so two sources' polls overlap freely.  A page still being
 * fetched for one source, or archived a moment ago with its url record not
 * yet committed, is not in the state, and was fetched a second time (seen
 * once in test_signals under ASan: "1 pages archived twice").  Here the
 * page answers slowly, so the second feed is always read while the first
 * source's job for it is in flight, whatever the start-up spread.
 *
 * The crawl runs in this process (crawl_run_once, serve) and is stopped
 * by a SIGTERM raised from its heartbeat once the server has answered
 * everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crawl_test_util.h"
#include "crawler/crawl.h"
#include "demo/site_server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *rss(const char *origin, const char *const *paths, size_t n)
{
    size_t cap = 1024 + n * 512;
    char *b = malloc(cap);
    assert_non_null(b);
    size_t len = (size_t)snprintf(b, cap,
                                  "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>"
                                  "<title>T</title><link>%s/</link>",
                                  origin);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(b + len, cap - len,
                                "<item><title>Story %s</title><link>%s%s</link>"
                                "<guid>%s%s</guid></item>",
                                paths[i], origin, paths[i], origin, paths[i]);
    snprintf(b + len, cap - len, "</channel></rss>\n");
    return b;
}

typedef struct watch {
    site_server *s;
    unsigned beats;
    int stopped;
} watch;

/* Once a second: stop once the server has answered the 6 requests (robots,
 * two feeds, three pages) and a few seconds have passed for any extra
 * fetch to show; give up after 60 s. */
static void heartbeat(void *ud)
{
    watch *w = ud;
    w->beats++;
    if (w->stopped) return;
    if ((site_server_request_count(w->s) >= 6 && w->beats >= 10) || w->beats >= 60) {
        w->stopped = 1;
        raise(SIGTERM);
    }
}

static unsigned requests_for(site_server *s, const char *path)
{
    site_request_log *log = NULL;
    size_t n = site_server_log(s, &log);
    unsigned k = 0;
    for (size_t i = 0; i < n; i++)
        k += strcmp(log[i].path, path) == 0;
    free(log);
    return k;
}

static void page_of_two_sources_fetched_once(void **state)
{
    (void)state;
    site_server *s = site_server_start("127.0.0.37", 0);
    assert_non_null(s);
    const char *o = site_server_origin(s);
    const char *main_paths[] = {"/shared.html", "/main-only.html"};
    const char *section_paths[] = {"/shared.html", "/section-only.html"};
    char *a = rss(o, main_paths, 2), *b = rss(o, section_paths, 2);
    const char *robots = "User-agent: *\nAllow: /\n";
    /* three different stories (the same text would be archived as
     * identical-payload revisits of the first) */
    char pages[3][400];
    for (int i = 0; i < 3; i++)
        snprintf(pages[i], sizeof pages[i],
                 "<html><head><title>Story %d</title></head><body><article><p>Story %d: "
                 "the council met on Tuesday evening to settle the harbour budget, and "
                 "the vote went the way the residents of ward %d had asked for.</p>"
                 "</article></body></html>",
                 i, i, i * 7 + 3);
    assert_int_equal(
        site_server_route(s, "/robots.txt", 200, "text/plain", robots, strlen(robots), NULL, 0), 0);
    /* the feeds take 1.5 s, the shared page 4 s: with two connections both
     * feeds are read while the first job for /shared.html is in flight */
    assert_int_equal(
        site_server_route(s, "/main.xml", 200, "application/rss+xml", a, strlen(a), NULL, 1500), 0);
    assert_int_equal(
        site_server_route(s, "/section.xml", 200, "application/rss+xml", b, strlen(b), NULL, 1500),
        0);
    assert_int_equal(site_server_route(s, "/shared.html", 200, "text/html", pages[0],
                                       strlen(pages[0]), NULL, 4000),
                     0);
    assert_int_equal(site_server_route(s, "/main-only.html", 200, "text/html", pages[1],
                                       strlen(pages[1]), NULL, 0),
                     0);
    assert_int_equal(site_server_route(s, "/section-only.html", 200, "text/html", pages[2],
                                       strlen(pages[2]), NULL, 0),
                     0);
    char *dir = test_tmpdir_new();
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "storage: { dir: %s/archive, state_dir: %s/state }\n"
             "politeness: { max_connections_per_host: 2, min_delay: 0s }\n"
             "metrics: { listen: none }\n"
             "sources:\n"
             "  - { name: main, url: \"%s/main.xml\", interval: 1h }\n"
             "  - { name: section, url: \"%s/section.xml\", interval: 1h }\n",
             dir, dir, o, o);
    config *cfg = test_load_yaml(yaml, dir);
    watch w = {.s = s};
    crawl_options opt = {.serve = 1, .grace_ms = 10000, .heartbeat = heartbeat, .heartbeat_ud = &w};
    crawl_summary sum;
    assert_int_equal(crawl_run_once(cfg, &opt, &sum), 0);
    assert_int_equal(sum.end, CRAWL_END_SIGNAL);
    assert_true(w.stopped);
    assert_int_equal(sum.storage_error, 0);

    assert_int_equal(requests_for(s, "/main.xml"), 1);
    assert_int_equal(requests_for(s, "/section.xml"), 1);
    assert_int_equal(requests_for(s, "/main-only.html"), 1);
    assert_int_equal(requests_for(s, "/section-only.html"), 1);
    assert_int_equal(requests_for(s, "/shared.html"), 1); /* was 2 */
    char archive[700], uri[300];
    snprintf(archive, sizeof archive, "%s/archive", dir);
    snprintf(uri, sizeof uri, "%s/shared.html", o);
    assert_int_equal(test_count_responses(archive, uri), 1);
    snprintf(uri, sizeof uri, "%s/section-only.html", o);
    assert_int_equal(test_count_responses(archive, uri), 1);

    crawl_summary_free(&sum);
    config_free(cfg);
    free(a);
    free(b);
    site_server_stop(s);
    test_rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(page_of_two_sources_fetched_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
