/*
 * test_dedup_crawl.c - the findings of a real crawl over the bundled sample
 * sites (which know their own ground truth: sample_sites_page), read back
 * with `feedarc dedup-report`: every wire-story variant is a near-duplicate
 * of another variant, the roundup contains the articles it carries, the
 * ?utm_source= alias is an exact duplicate, and no ordinary article is
 * called a duplicate of anything (the sites share templates and topics);
 * the roundup's carried blocks are listed (`feedarc text --blocks`) with
 * code-point offsets into its conversion text and the record id of the
 * story each repeats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crawl_test_util.h"
#include "crawler/crawl.h"
#include "demo/sample_sites.h"
#include "demo/site_server.h"
#include "storage/warc_reader.h"

#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

static const char *str_at(yajl_val v, const char *key)
{
    const char *path[] = {key, NULL};
    yajl_val x = yajl_tree_get(v, path, yajl_t_string);
    return x ? YAJL_GET_STRING(x) : NULL;
}

static size_t array_len(yajl_val v, const char *key)
{
    const char *path[] = {key, NULL};
    yajl_val x = yajl_tree_get(v, path, yajl_t_array);
    return x ? YAJL_GET_ARRAY(x)->len : 0;
}

/* The WARC-Target-URI of the response or revisit record with this
 * WARC-Record-ID (malloc'd), or NULL. */
static char *record_target(const char *dir, const char *rid)
{
    char *found = NULL;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while (found == NULL && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 9 || strcmp(de->d_name + len - 9, ".warc.zst") != 0) continue;
        char path[1024], err[256];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        warc_reader *r = NULL;
        assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
        warc_record rec;
        while (found == NULL && warc_reader_next(r, &rec) == 1) {
            const char *type = warc_record_field(&rec, "WARC-Type");
            const char *id = warc_record_field(&rec, "WARC-Record-ID");
            const char *target = warc_record_field(&rec, "WARC-Target-URI");
            if (type && id && target && strcmp(id, rid) == 0 &&
                (strcmp(type, "response") == 0 || strcmp(type, "revisit") == 0))
                found = strdup(target);
        }
        warc_reader_close(r);
    }
    closedir(d);
    return found;
}

/* Code point cp of s as a byte offset (strlen(s) + 1 past the end). */
static size_t byte_at(const char *s, size_t cp)
{
    size_t n = 0, i = 0;
    for (; s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && n++ == cp) return i;
    return n == cp ? i : i + 1;
}

/* The roundup's copied blocks: each names a document the roundup contains,
 * by URL and by the record id of that document's response, and its offsets
 * cut exactly the block's line out of the conversion text.  Returns the
 * blocks checked. */
static unsigned check_blocks(const char *bin, const char *dir, const char *url,
                             yajl_val report_line)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' text --blocks '%s' '%s'", bin, dir, url);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *line = NULL;
    size_t cap = 0;
    assert_true(getline(&line, &cap, p) > 0);
    assert_int_equal(pclose(p), 0);
    char err[256];
    yajl_val v = yajl_tree_parse(line, err, sizeof err);
    assert_non_null(v);
    const char *text = str_at(v, "text");
    assert_non_null(text);
    const char *bpath[] = {"blocks", NULL}, *cpath[] = {"contains", NULL};
    yajl_val blocks = yajl_tree_get(v, bpath, yajl_t_array);
    yajl_val contains = yajl_tree_get(report_line, cpath, yajl_t_array);
    assert_non_null(blocks);
    assert_non_null(contains);
    unsigned n = 0;
    for (size_t i = 0; i < YAJL_GET_ARRAY(blocks)->len; i++) {
        yajl_val b = YAJL_GET_ARRAY(blocks)->values[i];
        const char *sp[] = {"start", NULL}, *ep[] = {"end", NULL};
        long long start = YAJL_GET_INTEGER(yajl_tree_get(b, sp, yajl_t_number));
        long long end = YAJL_GET_INTEGER(yajl_tree_get(b, ep, yajl_t_number));
        const char *burl = str_at(b, "url"), *rid = str_at(b, "record_id");
        const char *btext = str_at(b, "text");
        assert_non_null(burl);
        assert_non_null(btext);
        assert_true(start < end);
        /* the offsets cut one whole line after its "[copied from URL] " mark */
        size_t bs = byte_at(text, (size_t)start), be = byte_at(text, (size_t)end);
        assert_true(be <= strlen(text));
        assert_int_equal(be - bs, strlen(btext));
        assert_memory_equal(text + bs, btext, be - bs);
        assert_true(text[be] == '\n');
        char mark[2048];
        snprintf(mark, sizeof mark, "[copied from %s] ", burl);
        assert_true(bs >= strlen(mark));
        assert_memory_equal(text + bs - strlen(mark), mark, strlen(mark));
        /* a document the roundup contains, named by its response's record id */
        int named = 0;
        for (size_t k = 0; k < YAJL_GET_ARRAY(contains)->len; k++)
            named |= strcmp(str_at(YAJL_GET_ARRAY(contains)->values[k], "url"), burl) == 0;
        assert_true(named);
        assert_non_null(rid);
        char *target = record_target(dir, rid);
        assert_non_null(target);
        assert_string_equal(target, burl);
        free(target);
        n++;
    }
    yajl_tree_free(v);
    free(line);
    return n;
}

static void findings_match_ground_truth(void **state)
{
    (void)state;
    const char *bin = getenv("FEEDARC_BIN");
    assert_non_null(bin);
    char *dir = test_tmpdir_new();
    sample_sites *sites = NULL;
    char *yaml = NULL;
    sample_sites_options so = {.n_sites = 5, .articles_per_site = 12, .seed = 7};
    assert_int_equal(sample_sites_start(&so, dir, &sites, &yaml), 0);
    config *cfg = test_load_yaml(yaml, dir);
    crawl_summary sum;
    assert_int_equal(crawl_run_once(cfg, NULL, &sum), 0);
    assert_int_equal(sum.sources_failed, 0);

    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' dedup-report '%s'", bin, cfg->storage.dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *line = NULL;
    size_t cap = 0;
    unsigned wire = 0, wire_dup = 0, alias = 0, alias_exact = 0, roundup_contains = 0;
    unsigned articles = 0, false_pos = 0, lines = 0;
    while (getline(&line, &cap, p) > 0) {
        char err[256];
        yajl_val v = yajl_tree_parse(line, err, sizeof err);
        assert_non_null(v);
        lines++;
        const char *url = str_at(v, "url");
        assert_non_null(url);
        const char *dup = str_at(v, "duplicate_of"), *exact = str_at(v, "exact_duplicate_of");
        const sample_page_info *info = NULL;
        for (unsigned i = 0; i < sample_sites_page_count(sites); i++)
            if (strcmp(sample_sites_page(sites, i)->url, url) == 0)
                info = sample_sites_page(sites, i);
        if (info == NULL) {
            yajl_tree_free(v);
            continue; /* not an article page */
        }
        switch (info->kind) {
        case SAMPLE_PAGE_WIRE:
            wire++;
            wire_dup += dup != NULL;
            break;
        case SAMPLE_PAGE_ALIAS:
        case SAMPLE_PAGE_ARTICLE:
            if (info->kind == SAMPLE_PAGE_ALIAS || strcmp(info->canonical_url, info->url) != 0 ||
                exact) {
                /* the alias pair: one of the two names the other */
                alias++;
                if (exact) alias_exact++;
                break;
            }
            articles++;
            if (dup) false_pos++, fprintf(stderr, "false near-duplicate: %s ~ %s\n", url, dup);
            break;
        case SAMPLE_PAGE_ROUNDUP:
            roundup_contains += (unsigned)array_len(v, "contains");
            break;
        }
        yajl_tree_free(v);
    }
    free(line);
    assert_int_equal(pclose(p), 0);
    fprintf(stderr,
            "report: %u lines; wire %u (%u near), alias %u (%u exact), roundup contains "
            "%u, ordinary articles %u (%u false positives)\n",
            lines, wire, wire_dup, alias, alias_exact, roundup_contains, articles, false_pos);
    assert_true(wire >= 3);
    assert_int_equal(wire_dup, wire - 1); /* all but the first-fetched variant */
    assert_true(alias_exact >= 1);
    assert_true(roundup_contains >= 3);

    assert_true(articles >= 40);
    assert_int_equal(false_pos, 0);

    crawl_summary_free(&sum);
    config_free(cfg);
    free(yaml);
    sample_sites_stop(sites);
    test_rm_rf(dir);
    free(dir);
}

static const char *STORY =
    "The harbour authority approved a plan on Tuesday to dredge the eastern channel before "
    "the winter storms, ending a year of delays. Engineers said the work would take eleven "
    "weeks and close two berths at a time. Fishing crews welcomed the decision but asked for "
    "night work to be limited near the old quay. The council will publish the schedule next "
    "month, and residents can comment until the end of January. A spokesperson said the cost "
    "would be shared with the regional port fund, which set aside money for it in spring.";

/* Items of sources that fetch no pages are documents too: a story two feeds
 * carry (one with a sentence added) is found as a near-duplicate, and every
 * item gets its dedup-report line. */
static void items_without_pages_are_documents(void **state)
{
    (void)state;
    const char *bin = getenv("FEEDARC_BIN");
    site_server *s = site_server_start("127.0.0.31", 0);
    assert_non_null(s);
    char a[4096], b[4096];
    snprintf(a, sizeof a,
             "<rss version=\"2.0\"><channel><title>a</title>"
             "<item><link>/a/dredge</link><description><![CDATA[<p>%s</p>]]></description></item>"
             "<item><link>/a/other</link><description><![CDATA[<p>The school board met on "
             "Monday to discuss a new timetable for the spring term and the bus routes it "
             "needs, with parents asking for earlier pick-ups in the villages.</p>]]>"
             "</description></item></channel></rss>",
             STORY);
    snprintf(b, sizeof b,
             "<rss version=\"2.0\"><channel><title>b</title>"
             "<item><guid>urn:b:1</guid><description><![CDATA[<p>%s The mayor called it "
             "overdue.</p>]]></description></item></channel></rss>",
             STORY);
    site_server_route(s, "/a.xml", 200, "application/rss+xml", a, strlen(a), NULL, 0);
    site_server_route(s, "/b.xml", 200, "application/rss+xml", b, strlen(b), NULL, 0);
    char *dir = test_tmpdir_new();
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "storage: { dir: %s/archive }\npoliteness: { min_delay: 0s }\nsources:\n"
             "  - { url: %s/a.xml, fetch_pages: false }\n  - { url: %s/b.xml }\n",
             dir, site_server_origin(s), site_server_origin(s));
    config *cfg = test_load_yaml(yaml, dir);
    crawl_summary sum;
    assert_int_equal(crawl_run_once(cfg, NULL, &sum), 0);
    assert_int_equal(sum.sources_failed, 0);
    assert_int_equal(sum.pages_fetched, 0);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' dedup-report '%s/archive'", bin, dir);
    FILE *p = popen(cmd, "r");
    char *line = NULL;
    size_t cap = 0;
    unsigned lines = 0, near = 0;
    while (getline(&line, &cap, p) > 0) {
        char err[256];
        yajl_val v = yajl_tree_parse(line, err, sizeof err);
        assert_non_null(v);
        lines++;
        const char *dup = str_at(v, "duplicate_of"), *url = str_at(v, "url");
        if (dup) {
            /* the two carry the same story; which one is "earlier" depends on
             * which was analysed first (both feeds are fetched in the same
             * second, and archived by parallel workers) */
            near++;
            int a_to_b = strstr(url, "/a/dredge") && strcmp(dup, "urn:b:1") == 0;
            int b_to_a = strcmp(url, "urn:b:1") == 0 && strstr(dup, "/a/dredge");
            assert_true(a_to_b || b_to_a);
        }
        yajl_tree_free(v);
    }
    free(line);
    assert_int_equal(pclose(p), 0);
    assert_int_equal(lines, 3);
    assert_int_equal(near, 1);
    crawl_summary_free(&sum);
    config_free(cfg);
    site_server_stop(s);
    test_rm_rf(dir);
    free(dir);
}

/* The aggregator crawled after the stories it carries (a first run
 * without its feed, a second with it): its record lists each carried
 * block, and the offsets, URLs and record ids check out. */
static void roundup_blocks_name_their_stories(void **state)
{
    (void)state;
    const char *bin = getenv("FEEDARC_BIN");
    assert_non_null(bin);
    char *dir = test_tmpdir_new();
    sample_sites *sites = NULL;
    char *yaml = NULL;
    sample_sites_options so = {.n_sites = 5, .articles_per_site = 12, .seed = 7};
    assert_int_equal(sample_sites_start(&so, dir, &sites, &yaml), 0);
    /* the aggregator's source is the last one */
    char *last = NULL;
    for (char *p = strstr(yaml, "\n  - name: "); p; p = strstr(p + 1, "\n  - name: "))
        last = p;
    assert_non_null(last);
    char *first_yaml = strndup(yaml, (size_t)(last - yaml) + 1);
    crawl_summary sum;
    config *cfg = test_load_yaml(first_yaml, dir);
    assert_int_equal(crawl_run_once(cfg, NULL, &sum), 0);
    crawl_summary_free(&sum);
    config_free(cfg);
    cfg = test_load_yaml(yaml, dir);
    assert_int_equal(crawl_run_once(cfg, NULL, &sum), 0);
    assert_int_equal(sum.sources_failed, 0);

    const char *roundup = NULL;
    for (unsigned i = 0; i < sample_sites_page_count(sites); i++)
        if (sample_sites_page(sites, i)->kind == SAMPLE_PAGE_ROUNDUP)
            roundup = sample_sites_page(sites, i)->url;
    assert_non_null(roundup);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' dedup-report '%s'", bin, cfg->storage.dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *line = NULL;
    size_t cap = 0;
    unsigned blocks = 0, contains = 0;
    while (getline(&line, &cap, p) > 0) {
        char err[256];
        yajl_val v = yajl_tree_parse(line, err, sizeof err);
        assert_non_null(v);
        if (strcmp(str_at(v, "url"), roundup) == 0) {
            contains = (unsigned)array_len(v, "contains");
            blocks = check_blocks(bin, cfg->storage.dir, roundup, v);
        }
        yajl_tree_free(v);
    }
    free(line);
    assert_int_equal(pclose(p), 0);
    fprintf(stderr, "roundup: contains %u stories, %u blocks listed\n", contains, blocks);
    assert_true(contains >= 3);
    assert_true(blocks >= contains); /* a block at least per carried story */

    crawl_summary_free(&sum);
    config_free(cfg);
    free(first_yaml);
    free(yaml);
    sample_sites_stop(sites);
    test_rm_rf(dir);
    free(dir);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {cmocka_unit_test(findings_match_ground_truth),
                                       cmocka_unit_test(items_without_pages_are_documents),
                                       cmocka_unit_test(roundup_blocks_name_their_stories)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
