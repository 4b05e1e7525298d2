/* test_sample_sites.c - the bundled sample web over real HTTP: every feed
 * and every page they link answers 200, the page list matches the feeds,
 * the roundup carries the related articles' full text, the wire variants
 * are near but not exact duplicates while unrelated articles are far apart,
 * the same seed gives the same bytes, and the config loads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "common/fa_time.h"
#include "config/config.h"
#include "demo/demo_http.h"
#include "demo/sample_sites.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- crude extraction ---- */

/* Appends to urls every item link of an RSS or Atom feed. */
static size_t feed_links(const char *xml, char **urls, size_t n, size_t max)
{
    int atom = strstr(xml, "<feed xmlns=\"http://www.w3.org/2005/Atom\"") != NULL;
    const char *open = atom ? "<entry>" : "<item>";
    const char *key = atom ? "<link rel=\"alternate\" type=\"text/html\" href=\"" : "<link>";
    const char *end = atom ? "\"" : "</link>";
    for (const char *p = strstr(xml, open); p && n < max; p = strstr(p + 1, open)) {
        const char *k = strstr(p, key);
        assert_non_null(k);
        k += strlen(key);
        const char *e = strstr(k, end);
        urls[n++] = strndup(k, (size_t)(e - k));
    }
    return n;
}

/* The text inside the first <div class="article-body"> after from. */
static char *article_text(const char *html)
{
    const char *p = strstr(html, "<div class=\"article-body\">");
    assert_non_null(p);
    const char *e = strstr(p, "</div>");
    return strndup(p, (size_t)(e - p));
}

static uint64_t word_hash(const char *w, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)(w[i] | 0x20)) * 1099511628211ULL;
    return h;
}

static int is_word(char ch)
{
    unsigned char c = (unsigned char)ch;
    return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorted distinct 5-word shingles of text with tags removed. */
static size_t shingles(const char *html, uint64_t **out)
{
    uint64_t words[8192];
    size_t nw = 0;
    const char *p = html;
    while (*p && nw < 8192) {
        if (*p == '<') {
            p = strchr(p, '>');
            p = p ? p + 1 : "";
            continue;
        }
        if (!is_word(*p)) {
            p++;
            continue;
        }
        const char *s = p;
        while (is_word(*p))
            p++;
        words[nw++] = word_hash(s, (size_t)(p - s));
    }
    uint64_t *sh = malloc((nw + 1) * sizeof *sh);
    size_t n = 0;
    for (size_t i = 0; i + 5 <= nw; i++)
        sh[n++] = words[i] * 31 + words[i + 1] * 131 + words[i + 2] * 1031 + words[i + 3] * 10037 +
                  words[i + 4] * 100003;
    qsort(sh, n, sizeof *sh, cmp_u64);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || sh[m - 1] != sh[i]) sh[m++] = sh[i];
    *out = sh;
    return m;
}

static double jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    size_t i = 0, j = 0, both = 0;
    while (i < na && j < nb) {
        if (a[i] == b[j]) {
            both++;
            i++;
            j++;
        } else if (a[i] < b[j]) {
            i++;
        } else {
            j++;
        }
    }
    size_t uni = na + nb - both;
    return uni ? (double)both / (double)uni : 1.0;
}

static char *fetch(const char *url, long want_status)
{
    demo_http r;
    assert_int_equal(demo_http_get(url, NULL, 0, &r), 0);
    if (r.status != want_status) fprintf(stderr, "%s: %ld\n", url, r.status);
    assert_int_equal(r.status, want_status);
    char *body = fa_buf_steal(&r.body, NULL);
    demo_http_free(&r);
    return body;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- tests ---- */

static void defaults_serve_everything(void **state)
{
    (void)state;
    sample_sites *s;
    char *yaml;
    uint64_t t0 = fa_time_mono_ns();
    assert_int_equal(sample_sites_start(NULL, "/tmp/feedarc-demo-test", &s, &yaml), 0);
    assert_true(fa_time_mono_ns() - t0 < 2000000000ULL);
    assert_int_equal(sample_sites_n_servers(s), 4);
    assert_int_equal(sample_sites_feed_count(s), 5);
    assert_int_equal(sample_sites_page_count(s), 3 * 8 + 1 + 4);
    assert_non_null(strstr(yaml, "  dir: \"/tmp/feedarc-demo-test\"\n"));
    assert_non_null(strstr(yaml, "min_delay: 20ms"));

    /* the config is one feedarc accepts, with every feed as a source */
    config *cfg = NULL;
    char *errors = NULL;
    int rc = config_load_string(yaml, strlen(yaml), "demo.yaml", "/tmp", &cfg, &errors);
    if (rc < 0) fprintf(stderr, "%s\n---\n%s", errors ? errors : "", yaml);
    assert_int_equal(rc, 0);
    assert_int_equal(cfg->n_sources, sample_sites_feed_count(s));
    for (size_t i = 0; i < cfg->n_sources; i++)
        assert_string_equal(cfg->sources[i].url, sample_sites_feed_url(s, (unsigned)i));
    assert_string_equal(cfg->storage.dir, "/tmp/feedarc-demo-test");
    assert_int_equal(cfg->politeness.max_connections_per_host, 2);
    config_free(cfg);
    free(errors);
    free(yaml);

    /* every feed, every linked page */
    char *urls[512];
    size_t n = 0;
    int formats[2] = {0, 0};
    for (unsigned f = 0; f < sample_sites_feed_count(s); f++) {
        demo_http r;
        assert_int_equal(demo_http_get(sample_sites_feed_url(s, f), NULL, 0, &r), 0);
        assert_int_equal(r.status, 200);
        char ct[128], etag[64];
        assert_int_equal(demo_http_header(&r, "Content-Type", ct, sizeof ct), 0);
        assert_int_equal(demo_http_header(&r, "ETag", etag, sizeof etag), 0);
        formats[strstr(ct, "atom") != NULL]++;
        n = feed_links(r.body.data, urls, n, 512);
        demo_http_free(&r);
        /* a conditional re-fetch is answered 304 */
        char inm[96];
        snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
        const char *h[] = {inm, NULL};
        demo_http_get(sample_sites_feed_url(s, f), h, 0, &r);
        assert_int_equal(r.status, 304);
        demo_http_free(&r);
    }
    assert_true(formats[0] >= 2 && formats[1] >= 2); /* RSS and Atom */
    qsort(urls, n, sizeof *urls, by_string);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++) {
        if (distinct && strcmp(urls[distinct - 1], urls[i]) == 0) {
            free(urls[i]);
            continue;
        }
        urls[distinct++] = urls[i];
    }
    assert_int_equal(distinct, sample_sites_page_count(s));
    size_t kinds[4] = {0};
    for (unsigned i = 0; i < sample_sites_page_count(s); i++) {
        const sample_page_info *pg = sample_sites_page(s, i);
        const char *key = pg->url;
        assert_non_null(bsearch(&key, urls, distinct, sizeof *urls, by_string));
        char *html = fetch(pg->url, 200);
        size_t len = strlen(html);
        assert_int_equal(len, pg->size);
        assert_true(len > 5000 && len < (pg->kind == SAMPLE_PAGE_ROUNDUP ? 40000u : 16000u));
        char canon[600];
        snprintf(canon, sizeof canon, "<link rel=\"canonical\" href=\"%s\">", pg->canonical_url);
        assert_non_null(strstr(html, canon));
        assert_non_null(strstr(html, "id=\"cookie-banner\""));
        assert_non_null(strstr(html, "<h2>Most read</h2>"));
        kinds[pg->kind]++;
        free(html);
    }
    assert_int_equal(kinds[SAMPLE_PAGE_WIRE], 3);
    assert_int_equal(kinds[SAMPLE_PAGE_ALIAS], 1);
    assert_int_equal(kinds[SAMPLE_PAGE_ROUNDUP], 1);
    for (size_t i = 0; i < distinct; i++)
        free(urls[i]);

    for (unsigned i = 0; i < sample_sites_n_servers(s); i++) {
        site_server *srv = sample_sites_server(s, i);
        char url[256];
        snprintf(url, sizeof url, "%s/robots.txt", site_server_origin(srv));
        char *robots = fetch(url, 200);
        assert_non_null(strstr(robots, "Disallow: /private/"));
        free(robots);
        snprintf(url, sizeof url, "%s/", site_server_origin(srv));
        free(fetch(url, 200));
        snprintf(url, sizeof url, "%s/no-such-page", site_server_origin(srv));
        free(fetch(url, 404));
        assert_non_null(strstr(site_server_origin(srv), "http://127.0.0."));
    }
    assert_null(sample_sites_server(s, 4));
    assert_null(sample_sites_page(s, 29));
    sample_sites_stop(s);
    sample_sites_stop(NULL);
}

static const sample_page_info *find_kind(sample_sites *s, enum sample_page_kind k, unsigned variant)
{
    for (unsigned i = 0; i < sample_sites_page_count(s); i++) {
        const sample_page_info *p = sample_sites_page(s, i);
        if (p->kind == k && (k != SAMPLE_PAGE_WIRE || p->wire_variant == variant)) return p;
    }
    return NULL;
}

static void roundup_contains_related(void **state)
{
    (void)state;
    sample_sites *s;
    assert_int_equal(sample_sites_start(NULL, "/tmp/x", &s, NULL), 0);
    const sample_page_info *pg = find_kind(s, SAMPLE_PAGE_ROUNDUP, 0);
    assert_non_null(pg);
    char *html = fetch(pg->url, 200);
    const char *rel = strstr(html, "<h2>Related Articles</h2>");
    assert_non_null(rel);
    const char *key = "class=\"related-source\" href=\"";
    unsigned n = 0;
    for (const char *p = strstr(rel, key); p; p = strstr(p + 1, key), n++) {
        char *url = strndup(p + strlen(key),
                            (size_t)(strchr(p + strlen(key), '"') - p - (ptrdiff_t)strlen(key)));
        char *orig = fetch(url, 200);
        char *text = article_text(orig);
        /* every paragraph of the original, verbatim, after the heading */
        unsigned paras = 0;
        for (const char *q = strstr(text, "<p>"); q; q = strstr(q + 1, "<p>"), paras++) {
            char *para = strndup(q, (size_t)(strstr(q, "</p>") + 4 - q));
            assert_non_null(strstr(rel, para));
            free(para);
        }
        assert_true(paras >= 5);
        free(text);
        free(orig);
        free(url);
    }
    assert_int_equal(n, 3);
    free(html);
    sample_sites_stop(s);
}

static void near_duplicates(void **state)
{
    (void)state;
    sample_sites *s;
    sample_sites_options o = {.n_sites = 4, .articles_per_site = 10, .seed = 7};
    assert_int_equal(sample_sites_start(&o, "/tmp/x", &s, NULL), 0);
    unsigned np = sample_sites_page_count(s);
    assert_int_equal(np, 4 * 10 + 1 + 5);
    uint64_t *sh[64];
    size_t nsh[64];
    char *heads[64];
    for (unsigned i = 0; i < np; i++) {
        char *html = fetch(sample_sites_page(s, i)->url, 200);
        char *text = article_text(html);
        nsh[i] = shingles(text, &sh[i]);
        const char *h = strstr(html, "<h1 class=\"headline\">");
        heads[i] = strndup(h, (size_t)(strstr(h, "</h1>") - h));
        free(text);
        free(html);
    }
    double max_unrelated = 0, min_wire = 1, max_wire = 0;
    unsigned n_wire_pairs = 0;
    for (unsigned i = 0; i < np; i++) {
        const sample_page_info *a = sample_sites_page(s, i);
        for (unsigned j = i + 1; j < np; j++) {
            const sample_page_info *b = sample_sites_page(s, j);
            if (a->kind == SAMPLE_PAGE_ALIAS || b->kind == SAMPLE_PAGE_ALIAS) continue;
            double jac = jaccard(sh[i], nsh[i], sh[j], nsh[j]);
            if (a->kind == SAMPLE_PAGE_WIRE && b->kind == SAMPLE_PAGE_WIRE) {
                n_wire_pairs++;
                min_wire = jac < min_wire ? jac : min_wire;
                max_wire = jac > max_wire ? jac : max_wire;
                assert_string_not_equal(heads[i], heads[j]);
            } else if (jac > max_unrelated) {
                max_unrelated = jac;
            }
        }
    }
    printf("# wire variants: jaccard %.3f..%.3f; unrelated articles: max %.3f\n", min_wire,
           max_wire, max_unrelated);
    assert_int_equal(n_wire_pairs, 3);
    assert_true(min_wire > 0.7 && max_wire < 1.0);
    assert_true(max_unrelated < 0.25);
    /* the alias is the same page */
    const sample_page_info *al = find_kind(s, SAMPLE_PAGE_ALIAS, 0);
    assert_non_null(strstr(al->url, "?utm_source=feed"));
    char *x = fetch(al->url, 200), *y = fetch(al->canonical_url, 200);
    assert_string_equal(x, y);
    free(x);
    free(y);
    for (unsigned i = 0; i < np; i++) {
        free(sh[i]);
        free(heads[i]);
    }
    sample_sites_stop(s);
}

/* Every feed and page of s, origins replaced by "@<server>@". */
static char *snapshot(sample_sites *s)
{
    fa_buf all;
    fa_buf_init(&all, 64 << 20);
    for (unsigned pass = 0; pass < 2; pass++) {
        unsigned n = pass ? sample_sites_page_count(s) : sample_sites_feed_count(s);
        for (unsigned i = 0; i < n; i++) {
            char *body =
                fetch(pass ? sample_sites_page(s, i)->url : sample_sites_feed_url(s, i), 200);
            for (const char *p = body; *p;) {
                unsigned k;
                for (k = 0; k < sample_sites_n_servers(s); k++) {
                    const char *o = site_server_origin(sample_sites_server(s, k));
                    if (strncmp(p, o, strlen(o)) == 0) {
                        fa_buf_printf(&all, "@%u@", k);
                        p += strlen(o);
                        break;
                    }
                }
                if (k == sample_sites_n_servers(s)) fa_buf_append(&all, p++, 1);
            }
            free(body);
        }
    }
    return fa_buf_steal(&all, NULL);
}

static void same_seed_same_bytes(void **state)
{
    (void)state;
    sample_sites_options o = {.seed = 42};
    sample_sites *a, *b, *c;
    assert_int_equal(sample_sites_start(&o, "/tmp/x", &a, NULL), 0);
    assert_int_equal(sample_sites_start(&o, "/tmp/x", &b, NULL), 0); /* other ports */
    o.seed = 43;
    assert_int_equal(sample_sites_start(&o, "/tmp/x", &c, NULL), 0);
    char *sa = snapshot(a), *sb = snapshot(b), *sc = snapshot(c);
    assert_true(strlen(sa) > 200000);
    assert_string_equal(sa, sb);
    assert_string_not_equal(sa, sc);
    free(sa);
    free(sb);
    free(sc);
    sample_sites_stop(a);
    sample_sites_stop(b);
    sample_sites_stop(c);
}

static void options_and_scale(void **state)
{
    (void)state;
    sample_sites *s;
    /* (issue 11) small sites work: 1 article (no alias, no wire story) and 3 */
    sample_sites_options o = {.articles_per_site = 1};
    assert_int_equal(sample_sites_start(&o, "/tmp/x", &s, NULL), 0);
    assert_int_equal(sample_sites_page_count(s), 3 * 1 + 0 + 2);
    assert_int_equal(sample_sites_n_news(s), 3);
    sample_sites_stop(s);
    o = (sample_sites_options){.articles_per_site = 3};
    assert_int_equal(sample_sites_start(&o, "/tmp/x", &s, NULL), 0);
    assert_int_equal(sample_sites_page_count(s), 3 * 3 + 1 + 2);
    sample_sites_stop(s);
    o = (sample_sites_options){.n_sites = 251};
    assert_int_equal(sample_sites_start(&o, "/tmp/x", &s, NULL), FA_ETOOBIG);
    assert_int_equal(sample_sites_start(NULL, "", &s, NULL), FA_EINVAL);

    /* relative out_dir becomes absolute */
    char *yaml;
    o = (sample_sites_options){.n_sites = 1, .articles_per_site = 4, .single_address = 1};
    assert_int_equal(sample_sites_start(&o, "rel-out", &s, &yaml), 0);
    assert_non_null(strstr(yaml, "/rel-out\"\n"));
    assert_null(strstr(yaml, "dir: \"rel-out"));
    assert_int_equal(sample_sites_page_count(s), 4 + 1 + 2);
    assert_non_null(strstr(site_server_origin(sample_sites_server(s, 1)), "127.0.0.1:"));
    free(yaml);
    sample_sites_stop(s);

    /* benchmark scale: thousands of pages, built quickly */
    o = (sample_sites_options){.n_sites = 20, .articles_per_site = 150, .seed = 9};
    uint64_t t0 = fa_time_mono_ns();
    assert_int_equal(sample_sites_start(&o, "/tmp/x", &s, NULL), 0);
    double secs = (double)(fa_time_mono_ns() - t0) / 1e9;
    printf("# %u pages on %u servers built in %.2f s\n", sample_sites_page_count(s),
           sample_sites_n_servers(s), secs);
    assert_int_equal(sample_sites_page_count(s), 20 * 150 + 1 + 75);
    char *html = fetch(sample_sites_page(s, 2999)->url, 200);
    free(html);
    sample_sites_stop(s);
    /* a site of 1,000 articles: its feed lists them all (more than the
     * 1 MiB a page may take; it failed with "more than 100000 pages") */
    o = (sample_sites_options){.n_sites = 1, .articles_per_site = 1000, .seed = 3};
    assert_int_equal(sample_sites_start(&o, "/tmp/x", &s, NULL), 0);
    assert_int_equal(sample_sites_page_count(s), 1000 + 1 + 500);
    sample_sites_stop(s);
}

/* (issue 14) real-size pages and syndicated copies: article pages near the
 * size asked for, with the news template's parts; copies of other sites'
 * stories that share their text and not their headline. */
static void page_size_and_syndication(void **state)
{
    (void)state;
    sample_sites *s;
    sample_sites_options o = {.n_sites = 6,
                              .articles_per_site = 20,
                              .seed = 3,
                              .page_bytes = 96 * 1024,
                              .syndicated_pct = 50};
    assert_int_equal(sample_sites_start(&o, "/tmp/x", &s, NULL), 0);
    unsigned np = sample_sites_page_count(s), copies = 0, near = 0;
    uint64_t *sh[256];
    size_t nsh[256];
    assert_true(np <= 256);
    for (unsigned i = 0; i < np; i++) {
        const sample_page_info *pg = sample_sites_page(s, i);
        char *html = fetch(pg->url, 200);
        size_t len = strlen(html);
        assert_int_equal(len, pg->size);
        if (pg->kind != SAMPLE_PAGE_ROUNDUP) assert_true(len > 80 * 1024 && len < 112 * 1024);
        assert_non_null(strstr(html, "<style id=\"components\">"));
        assert_non_null(strstr(html, "<nav class=\"mega-menu\""));
        assert_non_null(strstr(html, "<section class=\"more-stories\">"));
        assert_non_null(strstr(html, "id=\"__PAGE_STATE__\""));
        assert_non_null(strstr(html, "</html>\n"));
        char *text = article_text(html);
        nsh[i] = shingles(text, &sh[i]);
        free(text);
        free(html);
        copies += pg->kind == SAMPLE_PAGE_WIRE;
    }
    /* most copies share their text with another page (a copy whose
     * original is itself a copy may be alone) */
    for (unsigned i = 0; i < np; i++) {
        if (sample_sites_page(s, i)->kind != SAMPLE_PAGE_WIRE) continue;
        for (unsigned j = 0; j < np; j++)
            if (j != i && sample_sites_page(s, j)->kind != SAMPLE_PAGE_ALIAS &&
                jaccard(sh[i], nsh[i], sh[j], nsh[j]) > 0.6) {
                near++;
                break;
            }
    }
    printf("# %u pages, %u syndicated or wire copies, %u of them near another page\n", np, copies,
           near);
    assert_true(copies >= 30);
    assert_true(near * 10 >= copies * 6);
    for (unsigned i = 0; i < np; i++)
        free(sh[i]);
    sample_sites_stop(s);
    o.page_bytes = 1000; /* under 16 KiB */
    assert_int_equal(sample_sites_start(&o, "/tmp/x", &s, NULL), FA_EINVAL);
    o.page_bytes = 0;
    o.syndicated_pct = 91;
    assert_int_equal(sample_sites_start(&o, "/tmp/x", &s, NULL), FA_EINVAL);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_serve_everything), cmocka_unit_test(roundup_contains_related),
        cmocka_unit_test(near_duplicates),           cmocka_unit_test(same_seed_same_bytes),
        cmocka_unit_test(options_and_scale),         cmocka_unit_test(page_size_and_syndication),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
