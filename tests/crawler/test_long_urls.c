/*
 * test_long_urls.c - feed item links far longer than any page's: each is
 * that URL's business (archived when within the URL ceiling, named as the
 * URL's failure past it), never a storage error that stops the crawl.
 * Real crawls against demo/site_server on loopback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_limits.h"
#include "config/config.h"
#include "crawl_test_util.h"
#include "crawler/crawl.h"
#include "demo/site_server.h"
#include "storage/cdxj.h"
#include "storage/warc_reader.h"

#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Responses (or revisits: the pages are alike) in the segments of dir
 * whose target URI is uri. */
static unsigned archived(const char *dir, const char *uri)
{
    unsigned n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 9 || strcmp(de->d_name + len - 9, ".warc.zst") != 0) continue;
        char path[1024], err[256];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        warc_reader *r = NULL;
        assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
        warc_record rec;
        int rc;
        while ((rc = warc_reader_next(r, &rec)) == 1) {
            const char *type = warc_record_field(&rec, "WARC-Type");
            const char *u = warc_record_field(&rec, "WARC-Target-URI");
            if (type && (!strcmp(type, "response") || !strcmp(type, "revisit")) && u &&
                strcmp(u, uri) == 0)
                n++;
        }
        assert_int_equal(rc, 0);
        warc_reader_close(r);
    }
    closedir(d);
    return n;
}

/* "/long/aaaa...a.html", path_len bytes in all (malloc'd). */
static char *long_path(size_t path_len)
{
    char *p = malloc(path_len + 1);
    assert_non_null(p);
    memset(p, 'a', path_len);
    memcpy(p, "/long/", 6);
    memcpy(p + path_len - 5, ".html", 5);
    p[path_len] = '\0';
    return p;
}

typedef struct long_run {
    site_server *srv;
    char *dir, *adir, *long_url, *ok_url[2];
    crawl_summary sum;
    int rc;
} long_run;

/* One feed with two ordinary items and one whose link is path_len bytes of
 * path, all routed; crawled once with dedup on (so the pages go through
 * the analysis path too). */
static void crawl_long_link(long_run *lr, size_t path_len)
{
    memset(lr, 0, sizeof *lr);
    lr->srv = site_server_start("127.0.0.1", 0);
    assert_non_null(lr->srv);
    const char *origin = site_server_origin(lr->srv);
    char *path = long_path(path_len);
    const char *page = "<html><body><p>A page with a few words of text.</p></body></html>";
    /* the long path through the catch-all route (routes are short) */
    assert_int_equal(site_server_route(lr->srv, "*", 200, "text/html", page, strlen(page), NULL, 0),
                     0);
    assert_int_equal(site_server_route(lr->srv, "/robots.txt", 404, "text/plain", "", 0, NULL, 0),
                     0);
    for (int i = 0; i < 2; i++) {
        char p[32];
        snprintf(p, sizeof p, "/ok%d.html", i);
        assert_int_equal(
            site_server_route(lr->srv, p, 200, "text/html", page, strlen(page), NULL, 0), 0);
        lr->ok_url[i] = malloc(strlen(origin) + 32);
        sprintf(lr->ok_url[i], "%s%s", origin, p);
    }
    lr->long_url = malloc(strlen(origin) + path_len + 1);
    sprintf(lr->long_url, "%s%s", origin, path);
    size_t cap = path_len + 4096;
    char *feed = malloc(cap);
    snprintf(feed, cap,
             "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>"
             "<link>%s/</link>"
             "<item><title>one</title><link>%s</link><guid>g1</guid></item>"
             "<item><title>long</title><link>%s</link><guid>g2</guid></item>"
             "<item><title>two</title><link>%s</link><guid>g3</guid></item>"
             "</channel></rss>\n",
             origin, lr->ok_url[0], lr->long_url, lr->ok_url[1]);
    assert_int_equal(site_server_route(lr->srv, "/feed.xml", 200, "application/rss+xml", feed,
                                       strlen(feed), NULL, 0),
                     0);
    free(feed);
    free(path);

    lr->dir = test_tmpdir_new();
    lr->adir = malloc(strlen(lr->dir) + 16);
    sprintf(lr->adir, "%s/archive", lr->dir);
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "storage: { dir: %s/archive, state_dir: %s/state }\n"
             "politeness: { min_delay: 1ms }\n"
             "sources:\n"
             "  - url: %s/feed.xml\n",
             lr->dir, lr->dir, origin);
    config *cfg = test_load_yaml(yaml, lr->dir);
    lr->rc = crawl_run_once(cfg, NULL, &lr->sum);
    config_free(cfg);
}

static void long_run_free(long_run *lr)
{
    crawl_summary_free(&lr->sum);
    site_server_stop(lr->srv);
    test_rm_rf(lr->dir);
    free(lr->dir);
    free(lr->adir);
    free(lr->long_url);
    free(lr->ok_url[0]);
    free(lr->ok_url[1]);
}

/* A 4,200-byte link (its SURT longer than 4 KiB): archived and indexed
 * like any page; the crawl ends without a storage error. */
static void link_of_4200_bytes_is_archived(void **state)
{
    (void)state;
    long_run lr;
    crawl_long_link(&lr, 4200);
    if (lr.sum.storage_error) fail_msg("storage error: %s", lr.sum.storage_message);
    assert_int_equal(lr.rc, 0);
    assert_int_equal(lr.sum.items, 3);
    assert_int_equal(lr.sum.pages_fetched, 3);
    assert_int_equal(lr.sum.pages_failed, 0);
    assert_int_equal(lr.sum.sources_failed, 0);
    assert_int_equal(archived(lr.adir, lr.ok_url[0]), 1);
    assert_int_equal(archived(lr.adir, lr.ok_url[1]), 1);
    assert_int_equal(archived(lr.adir, lr.long_url), 1);
    /* and found again through the segment's index */
    cdxj_capture cap;
    char err[256] = "";
    assert_int_equal(cdxj_find(lr.adir, lr.long_url, NULL, 0, &cap, err, sizeof err), 1);
    assert_string_equal(cap.status, "200");
    long_run_free(&lr);
}

/* A 9,000-byte link (past the URL ceiling): that URL's failure, named and
 * counted; the other items archived; no storage error. */
static void link_past_the_ceiling_is_that_urls_failure(void **state)
{
    (void)state;
    assert_true(9000 >= FA_URL_MAX);
    long_run lr;
    crawl_long_link(&lr, 9000);
    if (lr.sum.storage_error) fail_msg("storage error: %s", lr.sum.storage_message);
    assert_int_equal(lr.rc, 0);
    assert_int_equal(lr.sum.items, 3);
    assert_int_equal(lr.sum.pages_fetched, 2);
    assert_int_equal(lr.sum.pages_failed, 1);
    assert_int_equal(lr.sum.sources_failed, 1);
    assert_non_null(lr.sum.results[0].error);
    assert_non_null(strstr(lr.sum.results[0].error, "URL longer than"));
    assert_int_equal(archived(lr.adir, lr.ok_url[0]), 1);
    assert_int_equal(archived(lr.adir, lr.ok_url[1]), 1);
    /* never requested */
    site_request_log *log = NULL;
    size_t n = site_server_log(lr.srv, &log);
    for (size_t i = 0; i < n; i++)
        assert_null(strstr(log[i].path, "/long/"));
    free(log);
    long_run_free(&lr);
}

/* A source whose own URL is past the ceiling: that source's failure (it
 * reached the state lookup of the feed job and stopped the crawl). */
static void source_url_past_the_ceiling(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    size_t cap = 10000 + strlen(dir) * 2;
    char *yaml = malloc(cap);
    char *path = long_path(9000);
    snprintf(yaml, cap,
             "storage: { dir: %s/archive, state_dir: %s/state }\n"
             "sources:\n  - url: http://127.0.0.1:9%s\n",
             dir, dir, path);
    config *cfg = test_load_yaml(yaml, dir);
    crawl_summary sum;
    int rc = crawl_run_once(cfg, NULL, &sum);
    if (sum.storage_error) fail_msg("storage error: %s", sum.storage_message);
    assert_int_equal(rc, 0);
    assert_int_equal(sum.sources_failed, 1);
    assert_non_null(strstr(sum.results[0].error, "URL longer than 8191 bytes"));
    crawl_summary_free(&sum);
    config_free(cfg);
    free(path);
    free(yaml);
    test_rm_rf(dir);
    free(dir);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(link_of_4200_bytes_is_archived),
        cmocka_unit_test(link_past_the_ceiling_is_that_urls_failure),
        cmocka_unit_test(source_url_past_the_ceiling),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
