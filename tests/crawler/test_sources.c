/*
 * test_sources.c - every source kind through a real crawl (crawl_run_once)
 * against loopback servers: WordPress pagination with the 400 past the end
 * and the incremental second run, generic JSON pagination in each style,
 * sitemap index recursion, OPML import, and feed autodiscovery.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config/config.h"
#include "crawl_test_util.h"
#include "crawler/crawl.h"
#include "crawler/source_list.h"
#include "demo/site_server.h"
#include "crawler/feeds/source_parser.h"
#include "storage/state/crawl_state.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int logged(site_server *s, const char *needle)
{
    site_request_log *log = NULL;
    size_t n = site_server_log(s, &log);
    int hits = 0;
    for (size_t i = 0; i < n; i++)
        hits += strstr(log[i].path, needle) != NULL;
    free(log);
    return hits;
}

static const char *path_of(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    return p ? p : "/";
}

static void route_url(site_server *s, const char *url, int status, const char *ctype,
                      const char *body, const char *headers)
{
    assert_int_equal(site_server_route(s, path_of(url), status, ctype, body, strlen(body),
                                       headers, 0),
                     0);
}

static char *wp_post(int id, const char *origin, const char *modified)
{
    char *b = malloc(1024);
    snprintf(b, 1024,
             "{\"id\":%d,\"date_gmt\":\"2026-11-0%dT08:00:00\",\"modified_gmt\":\"%s\","
             "\"link\":\"%s/post/%d/\",\"title\":{\"rendered\":\"Post %d\"},"
             "\"content\":{\"rendered\":\"<p>Body of post %d.</p>\"}}",
             id, id % 9 + 1, modified, origin, id, id, id);
    return b;
}

/* WordPress: pages walked to the 400 past the end, every API page archived,
 * and the second run asks only for what was modified since. */
static void wordpress_paginates_and_is_incremental(void **state)
{
    (void)state;
    site_server *s = site_server_start("127.0.0.21", 0);
    assert_non_null(s);
    const char *o = site_server_origin(s);
    char base[256];
    snprintf(base, sizeof base, "%s/wp-json/wp/v2/posts", o);
    char *p1 = NULL, *p2 = NULL, *p3 = NULL, *inc = NULL;
    assert_int_equal(source_first_url(base, FA_SOURCE_WORDPRESS, NULL, NULL, &p1), 0);
    assert_int_equal(source_url_with_param(p1, "page", "2", &p2), 0);
    assert_int_equal(source_url_with_param(p1, "page", "3", &p3), 0);
    char *a = wp_post(1, o, "2026-11-10T09:00:00"), *b = wp_post(2, o, "2026-11-11T09:00:00");
    char *c = wp_post(3, o, "2026-11-12T09:00:00"), *d = wp_post(4, o, "2026-11-13T09:30:00");
    char body1[4096], body2[4096];
    snprintf(body1, sizeof body1, "[%s,%s]", a, b);
    snprintf(body2, sizeof body2, "[%s,%s]", c, d);
    route_url(s, p1, 200, "application/json", body1, "X-WP-Total: 5\r\nX-WP-TotalPages: 3\r\n");
    route_url(s, p2, 200, "application/json", body2, "X-WP-Total: 5\r\nX-WP-TotalPages: 3\r\n");
    route_url(s, p3, 400, "application/json",
              "{\"code\":\"rest_post_invalid_page_number\",\"message\":\"The page number "
              "requested is larger than the number of pages available.\",\"data\":"
              "{\"status\":400}}",
              NULL);
    char *dir = test_tmpdir_new();
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "storage: { dir: %s/archive }\npoliteness: { min_delay: 0s }\n"
             "sources:\n  - url: %s\n    type: wordpress\n    fetch_pages: false\n",
             dir, base);
    config *cfg = test_load_yaml(yaml, dir);
    crawl_summary one, two;
    assert_int_equal(crawl_run_once(cfg, NULL, &one), 0);
    assert_int_equal(one.sources_failed, 0);
    assert_string_equal(one.results[0].kind, "wordpress");
    assert_int_equal(one.items, 4);
    assert_int_equal(one.feeds_fetched, 3); /* pages 1, 2 and the 400 */
    assert_int_equal(logged(s, "page=3"), 1);

    /* run 2: only modified_after the newest modified_gmt archived */
    assert_int_equal(
        source_first_url(base, FA_SOURCE_WORDPRESS, NULL, "2026-11-13T09:30:00Z", &inc), 0);
    char *e = wp_post(5, o, "2026-11-20T10:00:00"), body3[2048];
    snprintf(body3, sizeof body3, "[%s]", e);
    route_url(s, inc, 200, "application/json", body3, "X-WP-Total: 1\r\nX-WP-TotalPages: 1\r\n");
    site_server_reset_log(s);
    assert_int_equal(crawl_run_once(cfg, NULL, &two), 0);
    assert_int_equal(two.sources_failed, 0);
    assert_int_equal(two.items, 1);
    assert_int_equal(logged(s, "modified_after="), 1);

    crawl_summary_free(&one);
    crawl_summary_free(&two);
    config_free(cfg);
    free(p1), free(p2), free(p3), free(inc), free(a), free(b), free(c), free(d), free(e);
    site_server_stop(s);
    test_rm_rf(dir);
    free(dir);
}

static int count_source(void *ud, const source_record *rec)
{
    (void)rec;
    (*(int *)ud)++;
    return 0;
}

/* (issue 11) Three sources on one host without a name: they were all named
 * by the host, so the state held one record for the three (status showed
 * the last one's URL and status three times) and the two WordPress APIs
 * shared one modified_after watermark.  Now each has its own name, record
 * and watermark; and the records of a source once named by its host alone
 * move to its new name. */
static void sources_on_one_host_keep_their_own_state(void **state)
{
    (void)state;
    site_server *s = site_server_start("127.0.0.21", 0);
    assert_non_null(s);
    const char *o = site_server_origin(s);
    char wa[256], wb[256], *pa = NULL, *pb = NULL;
    snprintf(wa, sizeof wa, "%s/a/wp-json/wp/v2/posts", o);
    snprintf(wb, sizeof wb, "%s/b/wp-json/wp/v2/posts", o);
    assert_int_equal(source_first_url(wa, FA_SOURCE_WORDPRESS, NULL, NULL, &pa), 0);
    assert_int_equal(source_first_url(wb, FA_SOURCE_WORDPRESS, NULL, NULL, &pb), 0);
    char *a1 = wp_post(1, o, "2026-11-10T09:00:00"), *a2 = wp_post(2, o, "2026-11-12T09:00:00");
    char *b1 = wp_post(3, o, "2026-11-05T07:00:00");
    char body[4096];
    snprintf(body, sizeof body, "[%s,%s]", a1, a2);
    route_url(s, pa, 200, "application/json", body, "X-WP-TotalPages: 1\r\n");
    snprintf(body, sizeof body, "[%s]", b1);
    route_url(s, pb, 200, "application/json", body, "X-WP-TotalPages: 1\r\n");
    route_url(s, "/gone.xml", 404, "text/plain", "no", NULL);

    char *dir = test_tmpdir_new();
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "storage: { dir: %s/archive }\npoliteness: { min_delay: 0s }\n"
             "sources:\n"
             "  - url: %s\n    type: wordpress\n    fetch_pages: false\n"
             "  - url: %s\n    type: wordpress\n    fetch_pages: false\n"
             "  - url: %s/gone.xml\n",
             dir, wa, wb, o);
    config *cfg = test_load_yaml(yaml, dir);
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            assert_string_not_equal(cfg->sources[i].name, cfg->sources[j].name);
    crawl_summary one;
    assert_int_equal(crawl_run_once(cfg, NULL, &one), 0);
    assert_int_equal(one.items, 3);
    crawl_summary_free(&one);

    crawl_state *st = NULL;
    char err[256];
    assert_int_equal(crawl_state_open_sqlite(cfg->storage.state_dir, &st, err, sizeof err), 0);
    int n = 0;
    assert_int_equal(crawl_state_list_sources(st, count_source, &n), 0);
    assert_int_equal(n, 3);
    source_record rec;
    char url[300], key[CRAWL_STATE_KV_KEY_MAX], since[64];
    assert_int_equal(crawl_state_get_source(st, cfg->sources[0].name, &rec), 1);
    assert_string_equal(rec.url, wa);
    assert_int_equal(rec.items_archived, 2);
    assert_int_equal(crawl_state_get_source(st, cfg->sources[1].name, &rec), 1);
    assert_string_equal(rec.url, wb);
    assert_int_equal(rec.items_archived, 1);
    assert_int_equal(crawl_state_get_source(st, cfg->sources[2].name, &rec), 1);
    snprintf(url, sizeof url, "%s/gone.xml", o);
    assert_string_equal(rec.url, url);
    assert_int_equal(rec.last_status, 404);
    assert_int_equal(rec.items_archived, 0);
    snprintf(key, sizeof key, "wordpress_since:%s", cfg->sources[0].name);
    assert_int_equal(crawl_state_get_kv(st, key, since, sizeof since), 1);
    assert_non_null(strstr(since, "2026-11-12T09:00:00"));
    snprintf(key, sizeof key, "wordpress_since:%s", cfg->sources[1].name);
    assert_int_equal(crawl_state_get_kv(st, key, since, sizeof since), 1);
    assert_non_null(strstr(since, "2026-11-05T07:00:00"));

    /* A state from before: one WordPress source, its record and watermark
     * under the bare host.  The next run moves them and asks for what
     * changed since that watermark. */
    char *dir2 = test_tmpdir_new();
    snprintf(yaml, sizeof yaml,
             "storage: { dir: %s/archive }\npoliteness: { min_delay: 0s }\n"
             "sources:\n  - url: %s\n    type: wordpress\n    fetch_pages: false\n",
             dir2, wb);
    config *cfg2 = test_load_yaml(yaml, dir2);
    crawl_state *old = NULL;
    assert_int_equal(crawl_state_open_sqlite(cfg2->storage.state_dir, &old, err, sizeof err), 0);
    memset(&rec, 0, sizeof rec);
    snprintf(rec.name, sizeof rec.name, "127.0.0.21");
    snprintf(rec.url, sizeof rec.url, "%s", wb);
    rec.items_archived = 7;
    assert_int_equal(crawl_state_put_source(old, &rec), 0);
    assert_int_equal(crawl_state_put_kv(old, "wordpress_since:127.0.0.21", "2026-11-01T00:00:00Z"),
                     0);
    crawl_state_close(old);
    char *inc = NULL;
    assert_int_equal(source_first_url(wb, FA_SOURCE_WORDPRESS, NULL, "2026-11-01T00:00:00Z", &inc),
                     0);
    snprintf(body, sizeof body, "[%s]", b1);
    route_url(s, inc, 200, "application/json", body, "X-WP-TotalPages: 1\r\n");
    site_server_reset_log(s);
    crawl_summary two;
    assert_int_equal(crawl_run_once(cfg2, NULL, &two), 0);
    assert_int_equal(two.sources_failed, 0);
    assert_int_equal(logged(s, "modified_after=2026-11-01"), 1);
    crawl_summary_free(&two);
    assert_int_equal(crawl_state_open_sqlite(cfg2->storage.state_dir, &old, err, sizeof err), 0);
    assert_int_equal(crawl_state_get_source(old, cfg2->sources[0].name, &rec), 1);
    assert_int_equal(rec.items_archived, 8);
    crawl_state_close(old);

    crawl_state_close(st);
    config_free(cfg);
    config_free(cfg2);
    free(pa), free(pb), free(a1), free(a2), free(b1), free(inc);
    site_server_stop(s);
    test_rm_rf(dir);
    test_rm_rf(dir2);
    free(dir);
    free(dir2);
}

/* Generic JSON APIs: page number, next URL in the body, Link header and
 * cursor pagination each walk two pages. */
static void json_pagination_styles(void **state)
{
    (void)state;
    site_server *s = site_server_start("127.0.0.22", 0);
    assert_non_null(s);
    const char *o = site_server_origin(s);
    char b[2048];
    /* page number: ?page=1, ?page=2, then an empty page ends it */
    snprintf(b, sizeof b, "{\"data\":[{\"id\":\"p1\",\"url\":\"%s/a/p1\",\"title\":\"P1\"}]}", o);
    site_server_route(s, "/paged?page=1", 200, "application/json", b, strlen(b), NULL, 0);
    snprintf(b, sizeof b, "{\"data\":[{\"id\":\"p2\",\"url\":\"%s/a/p2\",\"title\":\"P2\"}]}", o);
    site_server_route(s, "/paged?page=2", 200, "application/json", b, strlen(b), NULL, 0);
    site_server_route(s, "/paged?page=3", 200, "application/json", "{\"data\":[]}", 11, NULL, 0);
    /* next URL in the body */
    snprintf(b, sizeof b,
             "{\"data\":[{\"id\":\"n1\",\"url\":\"%s/a/n1\"}],\"next\":\"%s/next2\"}", o, o);
    site_server_route(s, "/next1", 200, "application/json", b, strlen(b), NULL, 0);
    snprintf(b, sizeof b, "{\"data\":[{\"id\":\"n2\",\"url\":\"%s/a/n2\"}],\"next\":null}", o);
    site_server_route(s, "/next2", 200, "application/json", b, strlen(b), NULL, 0);
    /* Link: rel=next */
    snprintf(b, sizeof b, "{\"data\":[{\"id\":\"l1\",\"url\":\"%s/a/l1\"}]}", o);
    site_server_route(s, "/link1", 200, "application/json", b, strlen(b),
                      "Link: </link2>; rel=\"next\"\r\n", 0);
    snprintf(b, sizeof b, "{\"data\":[{\"id\":\"l2\",\"url\":\"%s/a/l2\"}]}", o);
    site_server_route(s, "/link2", 200, "application/json", b, strlen(b), NULL, 0);
    /* cursor */
    snprintf(b, sizeof b,
             "{\"data\":[{\"id\":\"c1\",\"url\":\"%s/a/c1\"}],\"meta\":{\"next_cursor\":\"xyz\"}}",
             o);
    site_server_route(s, "/cur", 200, "application/json", b, strlen(b), NULL, 0);
    snprintf(b, sizeof b,
             "{\"data\":[{\"id\":\"c2\",\"url\":\"%s/a/c2\"}],\"meta\":{\"next_cursor\":null}}", o);
    site_server_route(s, "/cur?cursor=xyz", 200, "application/json", b, strlen(b), NULL, 0);

    char *dir = test_tmpdir_new();
    char yaml[4096];
    snprintf(yaml, sizeof yaml,
             "storage: { dir: %s/archive }\npoliteness: { min_delay: 0s }\nsources:\n"
             "  - { url: %s/paged, type: json, fetch_pages: false, json: { items: /data, id: /id, "
             "url: /url, title: /title, paginate: page } }\n"
             "  - { url: %s/next1, type: json, fetch_pages: false, json: { items: /data, id: /id, "
             "url: /url, paginate: next, next_url: /next } }\n"
             "  - { url: %s/link1, type: json, fetch_pages: false, json: { items: /data, id: /id, "
             "url: /url, paginate: link } }\n"
             "  - { url: %s/cur, type: json, fetch_pages: false, json: { items: /data, id: /id, "
             "url: /url, paginate: cursor, cursor: /meta/next_cursor } }\n",
             dir, o, o, o, o);
    config *cfg = test_load_yaml(yaml, dir);
    crawl_summary sum;
    assert_int_equal(crawl_run_once(cfg, NULL, &sum), 0);
    assert_int_equal(sum.sources_failed, 0);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(sum.results[i].kind, "json");
        assert_int_equal(sum.results[i].items, 2);
    }
    assert_int_equal(logged(s, "/paged?page=2"), 1);
    assert_int_equal(logged(s, "/next2"), 1);
    assert_int_equal(logged(s, "/link2"), 1);
    assert_int_equal(logged(s, "cursor=xyz"), 1);
    crawl_summary_free(&sum);
    config_free(cfg);
    site_server_stop(s);
    test_rm_rf(dir);
    free(dir);
}

/* A sitemap index leads to two sitemaps whose URLs are archived; an HTML
 * page leads to its feed by autodiscovery; an OPML file in the config
 * becomes its feeds. */
static void sitemaps_autodiscovery_and_opml(void **state)
{
    (void)state;
    site_server *s = site_server_start("127.0.0.23", 0);
    assert_non_null(s);
    const char *o = site_server_origin(s);
    char b[4096];
    snprintf(b, sizeof b,
             "<?xml version=\"1.0\"?><sitemapindex "
             "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
             "<sitemap><loc>%s/sm1.xml</loc></sitemap><sitemap><loc>%s/sm2.xml</loc></sitemap>"
             "</sitemapindex>",
             o, o);
    site_server_route(s, "/sitemap_index.xml", 200, "application/xml", b, strlen(b), NULL, 0);
    for (int i = 1; i <= 2; i++) {
        char path[32];
        snprintf(b, sizeof b,
                 "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/"
                 "sitemap/0.9\"><url><loc>%s/s%d/a</loc><lastmod>2026-11-0%dT00:00:00Z</lastmod>"
                 "</url><url><loc>%s/s%d/b</loc></url></urlset>",
                 o, i, i, o, i);
        snprintf(path, sizeof path, "/sm%d.xml", i);
        site_server_route(s, path, 200, "application/xml", b, strlen(b), NULL, 0);
    }
    const char *pages[] = {"/s1/a", "/s1/b", "/s2/a", "/s2/b", "/d/1", "/o/1", "/o/2"};
    for (size_t i = 0; i < sizeof pages / sizeof *pages; i++)
        site_server_route(s, pages[i], 200, "text/html", "<p>page</p>", 11, NULL, 0);
    const char *home = "<!DOCTYPE html><html><head><title>Home</title>"
                       "<link rel=\"alternate\" type=\"application/rss+xml\" href=\"/disc.xml\">"
                       "</head><body><p>hello</p></body></html>";
    site_server_route(s, "/home", 200, "text/html", home, strlen(home), NULL, 0);
    const char *disc = "<rss version=\"2.0\"><channel><title>d</title>"
                       "<item><link>/d/1</link></item></channel></rss>";
    site_server_route(s, "/disc.xml", 200, "application/rss+xml", disc, strlen(disc), NULL, 0);
    const char *f1 = "<rss version=\"2.0\"><channel><title>o1</title>"
                     "<item><link>/o/1</link></item></channel></rss>";
    const char *f2 = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>o2</title>"
                     "<entry><id>urn:o2</id><link href=\"/o/2\"/></entry></feed>";
    site_server_route(s, "/o1.xml", 200, "application/rss+xml", f1, strlen(f1), NULL, 0);
    site_server_route(s, "/o2.xml", 200, "application/atom+xml", f2, strlen(f2), NULL, 0);

    char *dir = test_tmpdir_new();
    char opml[1024], path[600];
    snprintf(opml, sizeof opml,
             "<?xml version=\"1.0\"?><opml version=\"2.0\"><head><title>subs</title></head><body>"
             "<outline text=\"News\"><outline type=\"rss\" text=\"O1\" xmlUrl=\"%s/o1.xml\"/>"
             "<outline type=\"rss\" text=\"O2\" xmlUrl=\"%s/o2.xml\"/></outline></body></opml>",
             o, o);
    snprintf(path, sizeof path, "%s/subs.opml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(opml, f);
    fclose(f);
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "storage: { dir: %s/archive }\npoliteness: { min_delay: 0s }\nsources:\n"
             "  - url: %s/sitemap_index.xml\n  - url: %s/home\n  - opml: subs.opml\n",
             dir, o, o);
    config *cfg = test_load_yaml(yaml, dir);
    char *errors = NULL;
    assert_int_equal(source_list_expand_opml(cfg, &errors), 2); /* two feeds added */
    free(errors);
    assert_int_equal(cfg->n_sources, 4); /* the OPML entry became its two feeds */
    crawl_summary sum;
    assert_int_equal(crawl_run_once(cfg, NULL, &sum), 0);
    assert_int_equal(sum.sources_failed, 0);
    assert_string_equal(sum.results[0].kind, "sitemapindex");
    assert_int_equal(sum.results[0].items, 4);
    assert_int_equal(sum.results[0].pages_ok, 4);
    assert_string_equal(sum.results[1].kind, "html");
    assert_int_equal(sum.results[1].items, 1); /* from the discovered feed */
    assert_int_equal(sum.results[1].pages_ok, 1);
    assert_int_equal(sum.results[2].pages_ok + sum.results[3].pages_ok, 2);
    for (size_t i = 0; i < sizeof pages / sizeof *pages; i++)
        assert_int_equal(logged(s, pages[i]), 1);
    crawl_summary_free(&sum);
    config_free(cfg);
    site_server_stop(s);
    test_rm_rf(dir);
    free(dir);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wordpress_paginates_and_is_incremental),
        cmocka_unit_test(json_pagination_styles),
        cmocka_unit_test(sitemaps_autodiscovery_and_opml),
        cmocka_unit_test(sources_on_one_host_keep_their_own_state),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
