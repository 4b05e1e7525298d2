/*
 * test_charset_parsers.c - the charset decision where bytes enter the
 * parsers (issue 17): feeds through crawler/feeds/source_parser (RSS, JSON,
 * sitemap, OPML, autodiscovery), pages through dedup/text_extract, each
 * fixture in nine encodings declared right, undeclared and declared wrong,
 * pushed whole and in 7-byte chunks: titles, item text and main text equal
 * the UTF-8 original.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "charset/charset_texts.h"
#include "common/fa_charset.h"
#include "common/fa_err.h"
#include "dedup/text_extract.h"
#include "crawler/feeds/source_parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct got {
    char *title, *summary, *link_title, *link;
    int items;
} got;

static int on_item(void *ud, const feed_item *it)
{
    got *g = ud;
    g->items++;
    free(g->title);
    free(g->summary);
    g->title = strdup(it->title);
    g->summary = strdup(it->summary);
    return 0;
}

static int on_link(void *ud, enum source_link_kind kind, const char *url, const char *title)
{
    (void)kind;
    got *g = ud;
    free(g->link);
    free(g->link_title);
    g->link = strdup(url);
    g->link_title = strdup(title);
    return 0;
}

static void got_free(got *g)
{
    free(g->title);
    free(g->summary);
    free(g->link);
    free(g->link_title);
    memset(g, 0, sizeof *g);
}

/* Parses body with source_parser, Content-Type charset http ("" = none). */
static int parse(const fa_buf *body, const char *ctype, const char *http, size_t chunk, got *g,
                 char *desc, size_t desclen)
{
    memset(g, 0, sizeof *g);
    source_parser_options o = {.url = "http://example.test/feed"};
    source_parser_callbacks cb = {on_item, on_link};
    source_parser *p = source_parser_new(&o, &cb, g);
    assert_non_null(p);
    char head[256];
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: %s%s%s\r\n\r\n", ctype,
             http && *http ? "; charset=" : "", http ? http : "");
    assert_int_equal(source_parser_response(p, 200, head, strlen(head)), 1);
    for (size_t off = 0; off < body->len; off += chunk) {
        size_t n = body->len - off < chunk ? body->len - off : chunk;
        assert_int_equal(source_parser_push(p, body->data + off, n), 0);
    }
    int n = source_parser_finish(p);
    const fa_charset_decision *d = source_parser_charset(p);
    assert_non_null(d);
    fa_charset_describe(d, desc, desclen);
    source_parser_free(p);
    return n;
}

static void check_feed(const charset_text *t, enum charset_decl decl, size_t chunk)
{
    fa_buf raw, want;
    fa_buf_init(&raw, 1 << 20);
    fa_buf_init(&want, 1 << 20);
    const char *http;
    assert_int_equal(charset_feed(t, decl, &raw, &http), 0);
    for (int i = 0; i < 3; i++) {
        fa_buf_puts(&want, t->paras[i]);
        if (i < 2) fa_buf_puts(&want, "\n");
    }
    got g;
    char desc[256];
    int n = parse(&raw, "application/rss+xml", http, chunk, &g, desc, sizeof desc);
    if (n != 1 || g.title == NULL || strcmp(g.title, t->title) != 0 ||
        strcmp(g.summary, want.data) != 0)
        fail_msg("feed %s decl %d chunk %zu (%s): n=%d title '%s'", t->whatwg, (int)decl, chunk,
                 desc, n, g.title ? g.title : "(none)");
    assert_non_null(strstr(desc, t->whatwg));
    got_free(&g);
    fa_buf_free(&raw);
    fa_buf_free(&want);
}

static void test_feeds(void **state)
{
    (void)state;
    for (int i = 0; i < CHARSET_TEXT_COUNT; i++)
        for (int decl = DECL_NONE; decl <= DECL_WRONG_DOC; decl++) {
            if (decl == DECL_WRONG_LATIN && i >= 5) continue; /* single-byte: declaration kept */
            check_feed(&charset_texts[i], (enum charset_decl)decl, 1 << 20);
            check_feed(&charset_texts[i], (enum charset_decl)decl, 7);
        }
}

/* JSON Feed in EUC-KR, undeclared: yajl gets UTF-8. */
static void test_json_feed(void **state)
{
    (void)state;
    const charset_text *t = &charset_texts[0];
    fa_buf u, raw;
    fa_buf_init(&u, 1 << 20);
    fa_buf_init(&raw, 1 << 20);
    fa_buf_printf(&u,
                  "{\"version\": \"https://jsonfeed.org/version/1.1\", \"title\": \"t\", "
                  "\"items\": [{\"id\": \"1\", \"url\": \"http://example.test/1\", \"title\": "
                  "\"%s\", \"summary\": \"%s %s\"}]}",
                  t->title, t->paras[0], t->paras[1]);
    assert_int_equal(charset_convert("EUC-KR", u.data, &raw), 0);
    got g;
    char desc[256];
    assert_int_equal(parse(&raw, "application/feed+json", "", 5, &g, desc, sizeof desc), 1);
    assert_string_equal(g.title, t->title);
    assert_non_null(strstr(desc, "EUC-KR (detected"));
    got_free(&g);
    fa_buf_free(&u);
    fa_buf_free(&raw);
}

/* OPML in windows-1251 with its XML declaration, an HTML page in Shift_JIS
 * declared by meta linking its feed: outline and link titles decoded. */
static void test_opml_and_discovery(void **state)
{
    (void)state;
    const char *opml = "<?xml version=\"1.0\" encoding=\"windows-1251\"?><opml version=\"2.0\">"
                       "<body><outline text=\"Новости библиотеки\" title=\"Новости библиотеки\" "
                       "type=\"rss\" xmlUrl=\"http://example.test/rss\"/></body></opml>";
    fa_buf raw;
    fa_buf_init(&raw, 1 << 20);
    assert_int_equal(charset_convert("CP1251", opml, &raw), 0);
    got g;
    char desc[256];
    assert_int_equal(parse(&raw, "text/x-opml", "", 3, &g, desc, sizeof desc), 0);
    assert_string_equal(g.link_title, "Новости библиотеки");
    assert_string_equal(desc, "windows-1251 (xml-declaration)");
    got_free(&g);
    fa_buf_reset(&raw);
    const char *page = "<!DOCTYPE html><html><head><meta charset=\"shift_jis\">"
                       "<link rel=\"alternate\" type=\"application/rss+xml\" "
                       "title=\"町のニュース\" href=\"/rss\"></head><body></body></html>";
    assert_int_equal(charset_convert("SHIFT_JIS", page, &raw), 0);
    assert_int_equal(parse(&raw, "text/html", "", 1 << 20, &g, desc, sizeof desc), 0);
    assert_string_equal(g.link_title, "町のニュース");
    assert_string_equal(desc, "Shift_JIS (meta)");
    got_free(&g);
    fa_buf_free(&raw);
}

/* A sitemap in ISO-8859-2 declared by HTTP: the URL with a Czech path
 * comes out as UTF-8 (libxml2 would otherwise have read the declaration). */
static void test_sitemap(void **state)
{
    (void)state;
    const char *sm = "<?xml version=\"1.0\" encoding=\"utf-8\"?><urlset xmlns=\"http://www.sitemaps"
                     ".org/schemas/sitemap/0.9\"><url><loc>http://example.test/příroda</loc>"
                     "</url></urlset>";
    fa_buf raw;
    fa_buf_init(&raw, 1 << 20);
    assert_int_equal(charset_convert("ISO-8859-2", sm, &raw), 0);
    got g;
    char desc[256];
    /* the XML declaration says utf-8, the body is not: detected or HTTP */
    assert_int_equal(parse(&raw, "application/xml", "iso-8859-2", 4, &g, desc, sizeof desc), 1);
    assert_string_equal(desc, "ISO-8859-2 (http)");
    got_free(&g);
    fa_buf_free(&raw);
}

/* ---- pages: text_extract ---- */

static void check_page(const charset_text *t, enum charset_decl decl, size_t chunk)
{
    fa_buf raw, want, main_text;
    fa_buf_init(&raw, 1 << 20);
    fa_buf_init(&want, 1 << 20);
    fa_buf_init(&main_text, 1 << 20);
    const char *http;
    assert_int_equal(charset_page(t, decl, &raw, &http), 0);
    fa_buf_printf(&want, "%s\n", t->title);
    charset_body_text(t, &want);
    text_extract_options o = {.charset = http};
    text_extractor *x = text_extractor_new(&o);
    assert_non_null(x);
    for (size_t off = 0; off < raw.len; off += chunk) {
        size_t n = raw.len - off < chunk ? raw.len - off : chunk;
        assert_int_equal(text_extractor_push(x, raw.data + off, n), 0);
    }
    text_doc *doc;
    assert_int_equal(text_extractor_finish(x, &doc), 0);
    char desc[256];
    fa_charset_describe(&doc->charset, desc, sizeof desc);
    text_doc_main_text(doc, &main_text);
    if (doc->title == NULL || strcmp(doc->title, t->title) != 0 ||
        strcmp(main_text.data ? main_text.data : "", want.data) != 0)
        fail_msg("page %s decl %d chunk %zu (%s): title '%s' main '%s'", t->whatwg, (int)decl,
                 chunk, desc, doc->title ? doc->title : "", main_text.data ? main_text.data : "");
    assert_string_equal(doc->charset.name, t->whatwg);
    text_doc_free(doc);
    text_extractor_free(x);
    fa_buf_free(&raw);
    fa_buf_free(&want);
    fa_buf_free(&main_text);
}

static void test_pages(void **state)
{
    (void)state;
    for (int i = 0; i < CHARSET_TEXT_COUNT; i++)
        for (int decl = DECL_NONE; decl <= DECL_WRONG_DOC; decl++) {
            if (decl == DECL_WRONG_LATIN && i >= 5) continue;
            check_page(&charset_texts[i], (enum charset_decl)decl, 1 << 20);
            check_page(&charset_texts[i], (enum charset_decl)decl, 7);
        }
}

/* A WordPress REST post (feedarc extract --wp-json, DEDUP_WP_JSON) in
 * windows-1251 with no declaration: decoded before yajl reads it. */
static void test_wp_json(void **state)
{
    (void)state;
    const charset_text *t = &charset_texts[6];
    fa_buf u, raw, main_text, want;
    fa_buf_init(&u, 1 << 20);
    fa_buf_init(&raw, 1 << 20);
    fa_buf_init(&main_text, 1 << 20);
    fa_buf_init(&want, 1 << 20);
    fa_buf_printf(&u, "{\"id\": 7, \"title\": {\"rendered\": \"%s\"}, \"content\": "
                      "{\"rendered\": \"<p>%s</p><p>%s</p><p>%s</p>\"}}",
                  t->title, t->paras[0], t->paras[1], t->paras[2]);
    assert_int_equal(charset_convert("CP1251", u.data, &raw), 0);
    text_doc *doc;
    assert_int_equal(text_extract_wp_json(raw.data, raw.len, NULL, &doc), 0);
    assert_string_equal(doc->charset.name, "windows-1251");
    assert_int_equal(doc->charset.how, FA_CHARSET_DETECTED);
    text_doc_main_text(doc, &main_text);
    fa_buf_printf(&want, "%s\n", t->title);
    charset_body_text(t, &want);
    assert_string_equal(main_text.data, want.data);
    text_doc_free(doc);
    fa_buf_free(&u);
    fa_buf_free(&raw);
    fa_buf_free(&main_text);
    fa_buf_free(&want);
}

/* Fragments (feed item content, already UTF-8) are never re-guessed. */
static void test_fragment_is_utf8(void **state)
{
    (void)state;
    const char *frag = "<p>서울시는 다음 달부터 시립 도서관 세 곳을 새벽 두 시까지 연다.</p>";
    text_extract_options o = {.fragment = 1};
    text_doc *doc;
    assert_int_equal(text_extract_html(frag, strlen(frag), &o, &doc), 0);
    assert_string_equal(doc->charset.name, "UTF-8");
    assert_int_equal(doc->charset.how, FA_CHARSET_FIXED);
    assert_int_equal(doc->n_blocks, 1);
    text_doc_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feeds),
        cmocka_unit_test(test_json_feed),
        cmocka_unit_test(test_opml_and_discovery),
        cmocka_unit_test(test_sitemap),
        cmocka_unit_test(test_pages),
        cmocka_unit_test(test_wp_json),
        cmocka_unit_test(test_fragment_is_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
