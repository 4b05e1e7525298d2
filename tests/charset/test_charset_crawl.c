/*
 * test_charset_crawl.c - issue 17 through a real crawl over a loopback
 * server: a Korean story served as an EUC-KR page with no declaration
 * anywhere and again, with a sentence added, as a UTF-8 page, is found as
 * a near-duplicate pair (`feedarc dedup-report`); the metadata records say
 * which encoding each response was read in and how it was decided
 * (feedarc-encoding); the WARC response keeps the EUC-KR bytes as sent;
 * and items of an undeclared KOI8-R feed are analysed as the Cyrillic text
 * they are.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "charset/charset_texts.h"
#include "crawler/crawl.h"
#include "crawler/crawl_test_util.h" /* tests/crawler */
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

/* Collects, from every segment in dir, the feedarc-encoding of each
 * metadata record ("URL\tencoding\n" lines) and whether a response record
 * body contains the bytes `needle` (as sent). */
static void scan_archive(const char *dir, fa_buf *enc, const fa_buf *needle, int *needle_found)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 9 || strcmp(e->d_name + n - 9, ".warc.zst") != 0) continue;
        char path[2048], err[256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        warc_reader *r;
        assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
        warc_record rec;
        while (warc_reader_next(r, &rec) == 1) {
            const char *type = warc_record_field(&rec, "WARC-Type");
            const char *block = (const char *)rec.block;
            if (type && strcmp(type, "response") == 0 && needle->len &&
                memmem(block, rec.block_len, needle->data, needle->len))
                *needle_found = 1;
            if (type == NULL || strcmp(type, "metadata") != 0) continue;
            const char *doc = memmem(block, rec.block_len, "feedarc-document: ", 18);
            const char *en = memmem(block, rec.block_len, "feedarc-encoding: ", 18);
            if (doc == NULL || en == NULL) continue;
            doc += 18;
            en += 18;
            fa_buf_append(enc, doc, strcspn(doc, "\r\n"));
            fa_buf_puts(enc, "\t");
            fa_buf_append(enc, en, strcspn(en, "\r\n"));
            fa_buf_puts(enc, "\n");
        }
        warc_reader_close(r);
    }
    closedir(d);
}

static void near_pair_across_encodings(void **state)
{
    (void)state;
    const char *bin = getenv("FEEDARC_BIN");
    assert_non_null(bin);
    const charset_text *ko = &charset_texts[0], *ru = &charset_texts[5];
    site_server *s = site_server_start("127.0.0.41", 0);
    assert_non_null(s);

    /* the same story twice: EUC-KR undeclared, UTF-8 with a sentence more */
    fa_buf u8, euc, tmp;
    fa_buf_init(&u8, 1 << 20);
    fa_buf_init(&euc, 1 << 20);
    fa_buf_init(&tmp, 1 << 20);
    fa_buf_printf(&tmp,
                  "<html><head><title>%s</title></head><body><nav><a href=\"/\">처음</a>"
                  "</nav><article><h1>%s</h1>",
                  ko->title, ko->title);
    for (int i = 0; i < 3; i++)
        fa_buf_printf(&tmp, "<p>%s</p>", ko->paras[i]);
    fa_buf_puts(&tmp, "</article></body></html>");
    assert_int_equal(charset_convert("EUC-KR", tmp.data, &euc), 0);
    fa_buf_reset(&tmp);
    fa_buf_printf(&tmp,
                  "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%s</title>"
                  "</head><body><main><h1>%s</h1>",
                  ko->title, ko->title);
    for (int i = 0; i < 3; i++)
        fa_buf_printf(&tmp, "<p>%s</p>", ko->paras[i]);
    fa_buf_puts(&tmp, "<p>도서관은 주말에도 같은 시간까지 문을 연다.</p></main></body></html>");
    fa_buf_append(&u8, tmp.data, tmp.len);
    site_server_route(s, "/euc.html", 200, "text/html", euc.data, euc.len, NULL, 0);
    site_server_route(s, "/utf8.html", 200, "text/html; charset=utf-8", u8.data, u8.len, NULL, 0);
    char feed[1024];
    snprintf(feed, sizeof feed,
             "<rss version=\"2.0\"><channel><title>k</title>"
             "<item><title>a</title><link>%s/euc.html</link></item>"
             "<item><title>b</title><link>%s/utf8.html</link></item></channel></rss>",
             site_server_origin(s), site_server_origin(s));
    site_server_route(s, "/ko.xml", 200, "application/rss+xml", feed, strlen(feed), NULL, 0);

    /* a KOI8-R feed, undeclared, whose item has no page */
    fa_buf ru_feed;
    fa_buf_init(&ru_feed, 1 << 20);
    const char *http;
    assert_int_equal(charset_feed(ru, DECL_NONE, &ru_feed, &http), 0);
    site_server_route(s, "/ru.xml", 200, "application/rss+xml", ru_feed.data, ru_feed.len, NULL, 0);

    char *dir = test_tmpdir_new();
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "storage: { dir: %s/archive }\npoliteness: { min_delay: 0s }\nsources:\n"
             "  - { url: %s/ko.xml }\n  - { url: %s/ru.xml, fetch_pages: false }\n",
             dir, site_server_origin(s), site_server_origin(s));
    config *cfg = test_load_yaml(yaml, dir);
    crawl_summary sum;
    assert_int_equal(crawl_run_once(cfg, NULL, &sum), 0);
    assert_int_equal(sum.sources_failed, 0);
    assert_int_equal(sum.pages_fetched, 2);

    /* near-duplicates, whichever was analysed first */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' dedup-report '%s/archive'", bin, dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *line = NULL;
    size_t cap = 0;
    unsigned near = 0;
    while (getline(&line, &cap, p) > 0) {
        char err[256];
        yajl_val v = yajl_tree_parse(line, err, sizeof err);
        assert_non_null(v);
        const char *dup = str_at(v, "duplicate_of"), *url = str_at(v, "url");
        if (dup) {
            near++;
            assert_true((strstr(url, "/euc.html") && strstr(dup, "/utf8.html")) ||
                        (strstr(url, "/utf8.html") && strstr(dup, "/euc.html")));
        }
        yajl_tree_free(v);
    }
    free(line);
    assert_int_equal(pclose(p), 0);
    assert_int_equal(near, 1);

    /* what the metadata records say; the response keeps the EUC-KR bytes */
    fa_buf enc, needle;
    fa_buf_init(&enc, 1 << 20);
    fa_buf_init(&needle, 1 << 20);
    assert_int_equal(charset_convert("EUC-KR", ko->paras[0], &needle), 0);
    int found = 0;
    char adir[1024];
    snprintf(adir, sizeof adir, "%s/archive", dir);
    scan_archive(adir, &enc, &needle, &found);
    fprintf(stderr, "%s", enc.data ? enc.data : "(no feedarc-encoding)\n");
    assert_non_null(enc.data);
    assert_non_null(strstr(enc.data, "/euc.html\tEUC-KR (detected, confidence "));
    assert_non_null(strstr(enc.data, "/utf8.html\tUTF-8 (http)"));
    assert_non_null(strstr(enc.data, "story/1\tKOI8-R (detected, confidence "));
    assert_true(found);

    fa_buf_free(&enc);
    fa_buf_free(&needle);
    fa_buf_free(&u8);
    fa_buf_free(&euc);
    fa_buf_free(&tmp);
    fa_buf_free(&ru_feed);
    crawl_summary_free(&sum);
    config_free(cfg);
    site_server_stop(s);
    test_rm_rf(dir);
    free(dir);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {cmocka_unit_test(near_pair_across_encodings)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
