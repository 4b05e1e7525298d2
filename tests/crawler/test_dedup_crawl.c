/*
 * test_dedup_crawl.c - the findings of a real crawl over the bundled sample
 * sites (which know their own ground truth: sample_sites_page), read back
 * with `feedarc dedup-report`: every wire-story variant is a near-duplicate
 * of another variant, the roundup contains the articles it carries, the
 * ?utm_source= alias is an exact duplicate, and no ordinary article is
 * called a duplicate of anything (the sites share templates and topics).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crawl_test_util.h"
#include "crawler/crawl.h"
#include "demo/sample_sites.h"

#include <curl/curl.h>
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
                if (exact)
                    alias_exact++;
                break;
            }
            articles++;
            if (dup)
                false_pos++, fprintf(stderr, "false near-duplicate: %s ~ %s\n", url, dup);
            break;
        case SAMPLE_PAGE_ROUNDUP:
            roundup_contains += (unsigned)array_len(v, "contains");
            break;
        }
        yajl_tree_free(v);
    }
    free(line);
    assert_int_equal(pclose(p), 0);
    fprintf(stderr, "report: %u lines; wire %u (%u near), alias %u (%u exact), roundup contains "
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

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {cmocka_unit_test(findings_match_ground_truth)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
