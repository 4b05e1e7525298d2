/* test_feeds_hostile.c - the feed parsers against hostile bodies (issue
 * 12): what a body does wrong costs that body's items at most, in bounded
 * time and memory, with the cause named.  Fixtures are generated here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "crawler/feeds/feed_parser.h"
#include "crawler/feeds/json_items.h"
#include "crawler/feeds/json_items_internal.h"
#include "crawler/feeds/sitemap.h"
#include "crawler/feeds/source_parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- harness ---- */

#define MAX_ITEMS 16

typedef struct items {
    char *id[MAX_ITEMS], *title[MAX_ITEMS], *link[MAX_ITEMS];
    unsigned n, total;
} items;

static int collect(void *ud, const feed_item *it)
{
    items *r = ud;
    if (r->n < MAX_ITEMS) {
        r->id[r->n] = strdup(it->id);
        r->title[r->n] = strdup(it->title);
        r->link[r->n] = strdup(it->link);
        r->n++;
    }
    r->total++;
    return 0;
}

static void items_free(items *r)
{
    for (unsigned i = 0; i < r->n; i++) {
        free(r->id[i]);
        free(r->title[i]);
        free(r->link[i]);
    }
    memset(r, 0, sizeof *r);
}

/* Parses body as a JSON source (AUTO), whole and a byte at a time, and
 * checks both ways agree; returns json_items_finish's answer. */
static int json_parse(const char *body, size_t len, items *out)
{
    int rc[2] = {0, 0};
    for (int way = 0; way < 2; way++) {
        items r = {0};
        json_items *j = json_items_new(JSON_FLAVOR_AUTO, NULL, NULL, NULL, NULL, collect, &r);
        assert_non_null(j);
        if (way == 0) {
            assert_int_equal(json_items_push(j, body, len), 0);
        } else {
            for (size_t i = 0; i < len; i++)
                assert_int_equal(json_items_push(j, body + i, 1), 0);
        }
        rc[way] = json_items_finish(j);
        json_items_free(j);
        if (way == 0) {
            *out = r;
        } else {
            assert_int_equal(r.n, out->n);
            for (unsigned i = 0; i < r.n; i++) {
                assert_string_equal(r.id[i], out->id[i]);
                assert_string_equal(r.title[i], out->title[i]);
            }
            items_free(&r);
        }
    }
    assert_int_equal(rc[0], rc[1]);
    return rc[0];
}

/* ---- JSON: NUL and invalid UTF-8 (item 11) ---- */

/* "a\u0000x" and "a\u0000y" were both cut to "a" and the second item was
 * dropped as a duplicate: a NUL becomes U+FFFD, the ids stay distinct. */
static void json_nul_keeps_ids_distinct(void **state)
{
    (void)state;
    static const char body[] =
        "{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":["
        "{\"id\":\"a\\u0000x\",\"title\":\"one\"},{\"id\":\"a\\u0000y\",\"title\":\"t\\u0000wo\"},"
        "{\"id\":\"a\\u0000x\",\"title\":\"again\"}]}";
    items r;
    assert_int_equal(json_parse(body, sizeof body - 1, &r), 2);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.id[0], "a\xEF\xBF\xBDx");
    assert_string_equal(r.id[1], "a\xEF\xBF\xBDy");
    assert_string_equal(r.title[1], "t\xEF\xBF\xBDwo");
    items_free(&r);
}

/* One invalid byte used to end the feed with a syntax error (exit 65):
 * every ill-formed sequence becomes U+FFFD and the items after it come
 * through; well-formed multi-byte text is untouched. */
static void json_invalid_utf8_is_repaired(void **state)
{
    (void)state;
    static const char body[] =
        "{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":["
        "{\"id\":\"1\",\"title\":\"a\"},"
        "{\"id\":\"2\",\"title\":\"b\xff\"},"                 /* a stray byte */
        "{\"id\":\"3\",\"title\":\"\xc0\x80 \xed\xa0\x80\"}," /* overlong NUL, a surrogate */
        "{\"id\":\"4\",\"title\":\"caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\"},"
        "{\"id\":\"5\",\"ti\xfftle\":\"x\",\"title\":\"\xf4\x90\x80\x80\"},"
        "{\"id\":\"6\",\"title\":\"f\"}]}";
    items r;
    assert_int_equal(json_parse(body, sizeof body - 1, &r), 6);
    assert_int_equal(r.n, 6);
    assert_string_equal(r.title[0], "a");
    assert_string_equal(r.title[1], "b\xEF\xBF\xBD");
    assert_string_equal(r.title[2],
                        "\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_string_equal(r.title[3], "caf\xc3\xa9 \xf0\x9f\x98\x80 \xEF\xBF\xBD\xEF\xBF\xBD");
    assert_string_equal(r.title[4], "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_string_equal(r.title[5], "f");
    items_free(&r);
}

/* ---- JSON: the item arena's memory (item 5) ---- */

static int count_only(void *ud, const feed_item *it)
{
    (void)it;
    (*(unsigned *)ud)++;
    return 0;
}

/* 1,200 items with one id and titles 125 bytes longer each time (90 MB in
 * all): the arena made a block to measure for each title and kept them
 * all (102 MB RSS); now it holds about one title's worth at a time. */
static void json_arena_is_bounded(void **state)
{
    (void)state;
    const unsigned n = 1200;
    unsigned delivered = 0;
    json_items *j =
        json_items_new(JSON_FLAVOR_AUTO, NULL, NULL, NULL, NULL, count_only, &delivered);
    assert_non_null(j);
    static const char head[] = "{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[";
    assert_int_equal(json_items_push(j, head, sizeof head - 1), 0);
    size_t max_title = (size_t)n * 125;
    char *title = malloc(max_title);
    assert_non_null(title);
    memset(title, 'x', max_title);
    uint64_t body = sizeof head - 1;
    for (unsigned i = 1; i <= n; i++) {
        static const char pre[] = "{\"id\":\"same\",\"title\":\"";
        static const char post[] = "\"}";
        assert_int_equal(json_items_push(j, i > 1 ? "," : "", i > 1), 0);
        assert_int_equal(json_items_push(j, pre, sizeof pre - 1), 0);
        assert_int_equal(json_items_push(j, title, (size_t)i * 125), 0);
        assert_int_equal(json_items_push(j, post, sizeof post - 1), 0);
        body += (i > 1) + sizeof pre - 1 + (size_t)i * 125 + sizeof post - 1;
    }
    assert_int_equal(json_items_push(j, "]}", 2), 0);
    assert_int_equal(json_items_finish(j), 1);
    assert_true(body > 90000000);
    feed_parser_stats st;
    json_items_get_stats(j, &st);
    assert_int_equal(st.items, 1);
    assert_int_equal(st.duplicates, n - 1);
    assert_int_equal(delivered, 1);
    size_t peak = json_items__arena_peak(j);
    printf("%llu-byte body: arena peak %zu bytes\n", (unsigned long long)body, peak);
    /* the longest title (150 KB) in a block of its own, and a few 64 KiB blocks */
    assert_true(peak < max_title + (512u << 10));
    json_items_free(j);
    free(title);
}

/* ---- pagination and the fragment (item 10) ---- */

typedef struct links {
    char *next;
    unsigned n;
} links;

static int on_link(void *ud, enum source_link_kind kind, const char *url, const char *title)
{
    (void)title;
    links *l = ud;
    if (kind == SOURCE_LINK_NEXT_PAGE) {
        free(l->next);
        l->next = strdup(url);
        l->n++;
    }
    return 0;
}

static int ignore_item(void *ud, const feed_item *it)
{
    (void)ud;
    (void)it;
    return 0;
}

/* A '?' in the fragment was taken for the query: set_param's span went
 * negative and the next page failed as "out of memory".  The query ends
 * at '#'; the fragment is dropped from the next page's URL. */
static void pagination_ignores_the_fragment(void **state)
{
    (void)state;
    static const struct {
        const char *url, *want;
    } cases[] = {
        {"http://h/list#x?page=2", "http://h/list?page=3"},
        {"http://h/list?a=1#frag?page=9", "http://h/list?a=1&page=3"},
        {"http://h/list?page=1&a=1#?page=9", "http://h/list?page=3&a=1"},
        {"http://h/list#?", "http://h/list?page=3"},
        {"http://h/list?#page=1", "http://h/list?page=3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *u = NULL;
        assert_int_equal(source_url_with_param(cases[i].url, "page", "3", &u), 0);
        assert_string_equal(u, cases[i].want);
        free(u);
    }
    /* the same through a paginated JSON API response, page 2 of a walk */
    source_json_mapping m = {.items = "/data", .id = "/id", .paginate = JSON_PAGINATE_PAGE};
    source_parser_options o = {
        .url = "http://h/api?x=1#top?page=7", .format = FA_SOURCE_JSON, .json = &m, .page = 2};
    links l = {0};
    source_parser_callbacks cb = {.item = ignore_item, .link = on_link};
    source_parser *p = source_parser_new(&o, &cb, &l);
    assert_non_null(p);
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n";
    assert_int_equal(source_parser_response(p, 200, head, sizeof head - 1), 1);
    static const char body[] = "{\"data\":[{\"id\":1},{\"id\":2}]}";
    assert_int_equal(source_parser_push(p, body, sizeof body - 1), 0);
    assert_int_equal(source_parser_finish(p), 2);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.next, "http://h/api?x=1&page=3");
    source_parser_free(p);
    free(l.next);
}

/* ---- sniffing (item 9) ---- */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Pushes body a byte at a time through an AUTO source parser; returns
 * finish's answer, the kind chosen in kind. */
static int sniff_bytewise(const char *body, size_t len, char *kind, size_t kind_len)
{
    source_parser_options o = {.url = "http://h/feed", .format = FA_SOURCE_AUTO};
    source_parser_callbacks cb = {.item = ignore_item};
    source_parser *p = source_parser_new(&o, &cb, NULL);
    assert_non_null(p);
    static const char head[] = "HTTP/1.1 200 OK\r\n\r\n";
    assert_int_equal(source_parser_response(p, 200, head, sizeof head - 1), 1);
    for (size_t i = 0; i < len; i++)
        if (source_parser_push(p, body + i, 1) < 0) break;
    int rc = source_parser_finish(p);
    const char *k = source_parser_kind_name(p);
    snprintf(kind, kind_len, "%s", k ? k : "");
    source_parser_free(p);
    return rc;
}

/* A 64 KiB prolog that never ends (a doctype's internal subset, a
 * comment, a processing instruction, a root name, blanks) pushed a byte at
 * a time: the sniffer read the whole held prefix again on every push (2.9 s
 * for the doctype); now it goes on from where it stopped. */
static void sniffing_is_linear(void **state)
{
    (void)state;
    static const char *const starts[] = {"<!DOCTYPE x [", "<!--", "<?x ", "<", " "};
    size_t n = (size_t)64 << 10;
    char *body = malloc(n + 1);
    assert_non_null(body);
    double worst = 0;
    for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++) {
        size_t sl = strlen(starts[k]);
        memcpy(body, starts[k], sl);
        memset(body + sl, k == 4 ? ' ' : 'a', n - sl);
        char kind[32];
        double t0 = now_s();
        sniff_bytewise(body, n, kind, sizeof kind);
        double took = now_s() - t0;
        printf("64 KiB prolog starting \"%s\", a byte at a time: %.3f s\n", starts[k], took);
        if (took > worst) worst = took;
    }
    free(body);
    assert_true(worst < 1.0); /* generous for sanitizers; a few ms normally */

    /* and the scanner still finds the root behind a long prolog cut anywhere */
    static const char *const prologs[] = {
        "<?xml version=\"1.0\"?>\n<!-- a -- b ->> -->\n<?pi x?y ?>",
        "<!DOCTYPE rss [ <!ENTITY a \"]>\"> <!ENTITY b '>'> ]>",
        "\xEF\xBB\xBF \n\t",
    };
    static const struct {
        const char *root, *kind;
    } roots[] = {
        {"<rss "
         "version=\"2.0\"><channel><title>t</title><item><guid>1</guid></item></channel></rss>",
         "rss"},
        {"<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url><loc>http://h/a</loc>"
         "</url></urlset>",
         "sitemap"},
        {"<x:opml xmlns:x=\"u\" version=\"2.0\"><body><outline xmlUrl=\"http://h/f\"/></body>"
         "</x:opml>",
         "opml"},
    };
    for (size_t a = 0; a < sizeof prologs / sizeof prologs[0]; a++) {
        for (size_t b = 0; b < sizeof roots / sizeof roots[0]; b++) {
            char doc[1024], kind[32];
            snprintf(doc, sizeof doc, "%s%s", prologs[a], roots[b].root);
            int rc = sniff_bytewise(doc, strlen(doc), kind, sizeof kind);
            if (strcmp(kind, roots[b].kind) != 0 || rc < 0)
                fail_msg("%s: kind %s, rc %d", doc, kind, rc);
        }
    }
}

/* ---- Atom links (item 17) ---- */

/* Parses an XML feed whole and a byte at a time (same items both ways);
 * returns finish's answer. */
static int xml_parse(const char *body, items *out)
{
    size_t len = strlen(body);
    int rc[2] = {0, 0};
    for (int way = 0; way < 2; way++) {
        items r = {0};
        feed_parser *p = feed_parser_new("https://feeds.example.org/atom.xml", NULL, collect, &r);
        assert_non_null(p);
        if (way == 0) {
            feed_parser_push(p, body, len);
        } else {
            for (size_t i = 0; i < len; i++)
                feed_parser_push(p, body + i, 1);
        }
        rc[way] = feed_parser_finish(p);
        feed_parser_free(p);
        if (way == 0) {
            *out = r;
        } else {
            assert_int_equal(r.n, out->n);
            for (unsigned i = 0; i < r.n; i++)
                assert_string_equal(r.link[i], out->link[i]);
            items_free(&r);
        }
    }
    assert_int_equal(rc[0], rc[1]);
    return rc[0];
}

/* An entry whose <id> is an http(s) URL and that has no alternate link gets
 * the id as its link (as feedparser does), and so a page fetched; so does
 * <link>URL</link> written as text; a urn id stays no link; an href link,
 * with or without rel="alternate", still wins over both. */
static void atom_id_and_text_links(void **state)
{
    (void)state;
    static const char body[] =
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><id>urn:f</id>"
        "<entry><id>https://blog.example.org/2026/one</id><title>1</title>"
        "<link rel=\"self\" href=\"https://blog.example.org/api/1\"/></entry>"
        "<entry><id>urn:x:2</id><title>2</title><link> /2026/two </link></entry>"
        "<entry><id>urn:x:3</id><title>3</title></entry>"
        "<entry><id>http://blog.example.org/4</id><title>4</title>"
        "<link rel=\"alternate\" href=\"/2026/four\"/></entry>"
        "<entry><id>urn:x:5</id><title>5</title><link>https://blog.example.org/text</link>"
        "<link href=\"https://blog.example.org/five\"/></entry>"
        "</feed>";
    items r;
    assert_int_equal(xml_parse(body, &r), 5);
    assert_int_equal(r.n, 5);
    assert_string_equal(r.link[0], "https://blog.example.org/2026/one");
    assert_string_equal(r.link[1], "https://feeds.example.org/2026/two");
    assert_string_equal(r.link[2], "");
    assert_string_equal(r.link[3], "https://feeds.example.org/2026/four");
    assert_string_equal(r.link[4], "https://blog.example.org/five");
    items_free(&r);
}

/* ---- libxml2's limits are named (item 13) ---- */

typedef struct xml_outcome {
    int rc;
    unsigned items;
    char err[256];
} xml_outcome;

/* Pushes pre, then fill repeated to fill_len bytes in 64 KiB chunks, then
 * post through a feed parser. */
static void xml_stream(const char *pre, char fill, size_t fill_len, const char *post,
                       xml_outcome *out)
{
    items r = {0};
    feed_parser *p = feed_parser_new("https://h/feed", NULL, collect, &r);
    assert_non_null(p);
    int rc = feed_parser_push(p, pre, strlen(pre));
    size_t chunk = (size_t)64 << 10;
    char *buf = malloc(chunk);
    assert_non_null(buf);
    memset(buf, fill, chunk);
    for (size_t done = 0; rc == 0 && done < fill_len; done += chunk)
        rc = feed_parser_push(p, buf, fill_len - done < chunk ? fill_len - done : chunk);
    free(buf);
    if (rc == 0) rc = feed_parser_push(p, post, strlen(post));
    out->rc = feed_parser_finish(p);
    assert_true(rc == 0 || rc == out->rc);
    out->items = r.total;
    snprintf(out->err, sizeof out->err, "%s", feed_parser_error(p));
    feed_parser_free(p);
    items_free(&r);
}

/* A billion-laughs entity and a CDATA node over libxml2's 10 MB: libxml2
 * stops, and the feed used to end as a success with 0 items and no word.
 * Now the parser's answer is FA_ETOOBIG with libxml2's reason; junk after
 * the root element, which loses nothing, is still no error. */
static void xml_limits_are_reported(void **state)
{
    (void)state;
    char laughs[2048];
    int n = snprintf(laughs, sizeof laughs, "<!DOCTYPE rss [<!ENTITY l0 \"lol\">");
    for (int i = 1; i <= 9; i++) {
        n += snprintf(laughs + n, sizeof laughs - (size_t)n, "<!ENTITY l%d \"", i);
        for (int k = 0; k < 10; k++)
            n += snprintf(laughs + n, sizeof laughs - (size_t)n, "&l%d;", i - 1);
        n += snprintf(laughs + n, sizeof laughs - (size_t)n, "\">");
    }
    snprintf(laughs + n, sizeof laughs - (size_t)n,
             "]><rss version=\"2.0\"><channel><item><title>&l9;</title></item>");
    xml_outcome o;
    xml_stream(laughs, ' ', 0, "<item><title>after</title></item></channel></rss>", &o);
    printf("billion laughs: %d, %u items, \"%s\"\n", o.rc, o.items, o.err);
    assert_int_equal(o.rc, FA_ETOOBIG);
    assert_int_equal(o.items, 0);
    assert_non_null(strstr(o.err, "XML parser stopped at a limit"));
    assert_non_null(strstr(o.err, "entity reference loop"));

    xml_stream("<rss version=\"2.0\"><channel><item><title>one</title></item>"
               "<item><description><![CDATA[",
               'a', (size_t)20 << 20, "]]></description></item></channel></rss>", &o);
    printf("20 MB CDATA text node: %d, %u items, \"%s\"\n", o.rc, o.items, o.err);
    assert_int_equal(o.rc, FA_ETOOBIG);
    assert_int_equal(o.items, 1); /* the item before the text node came through */
    assert_non_null(strstr(o.err, "XML parser stopped at a limit after 1 items"));

    xml_stream("<rss version=\"2.0\"><channel><item><title>one</title></item></channel></rss>",
               ' ', 0, "<br/><b>Warning</b>: junk after the feed", &o);
    assert_int_equal(o.rc, 1);
    assert_int_equal(o.items, 1);

    /* the same for sitemaps (crawler/feeds/feed_xml.c): a 20 MB CDATA <loc> */
    source_parser_options so = {.url = "https://h/sitemap.xml", .format = FA_SOURCE_AUTO};
    items r = {0};
    source_parser_callbacks cb = {.item = collect};
    source_parser *sp = source_parser_new(&so, &cb, &r);
    assert_non_null(sp);
    static const char head[] = "HTTP/1.1 200 OK\r\n\r\n";
    assert_int_equal(source_parser_response(sp, 200, head, sizeof head - 1), 1);
    static const char pre[] = "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
                              "<url><loc>https://h/a</loc></url><url><loc><![CDATA[";
    int rc = source_parser_push(sp, pre, sizeof pre - 1);
    size_t chunk = (size_t)64 << 10;
    char *buf = malloc(chunk);
    assert_non_null(buf);
    memset(buf, 'a', chunk);
    for (size_t done = 0; rc == 0 && done < ((size_t)20 << 20); done += chunk)
        rc = source_parser_push(sp, buf, chunk);
    free(buf);
    int frc = source_parser_finish(sp);
    printf("sitemap with a 20 MB CDATA <loc>: %d, %u items, \"%s\"\n", frc, r.total,
           source_parser_error(sp));
    assert_int_equal(frc, FA_ETOOBIG);
    assert_int_equal(r.total, 1);
    assert_non_null(strstr(source_parser_error(sp), "XML parser stopped at a limit"));
    source_parser_free(sp);
    items_free(&r);
}

/* A billion laughs whose entities mix references and one byte of text
 * ("&l0;&l0;x&l0;..."): about 10 references per byte of text put out. */
static void mixed_laughs(char *doc, size_t cap, const char *root, const char *body)
{
    int n = snprintf(doc, cap, "<!DOCTYPE %s [<!ENTITY l0 \"lol\">", root);
    for (int i = 1; i <= 9; i++) {
        n += snprintf(doc + n, cap - (size_t)n, "<!ENTITY l%d \"", i);
        for (int k = 0; k < 10; k++)
            n += snprintf(doc + n, cap - (size_t)n, "&l%d;%s", i - 1, k == 1 ? "x" : "");
        n += snprintf(doc + n, cap - (size_t)n, "\">");
    }
    snprintf(doc + n, cap - (size_t)n, "]>%s", body);
}

/* Entities that mix text and references (a billion laughs whose lol2 is
 * "&lol1;&lol1;x&lol1;..."): libxml2 2.9 parses each such reference in a
 * parser context of its own, so the work grows with the references
 * resolved.  The text ceiling (16 x the input + 64 KiB; it was 1 MiB: an
 * 866-byte document cost 0.34 s) let about 10^6 references through before
 * it stopped this one; now the references themselves are capped at one per
 * 4 bytes of input beyond 1024, and that cap is what stops it. */
static void expansion_is_capped_per_byte(void **state)
{
    (void)state;
    char doc[2048];
    mixed_laughs(doc, sizeof doc, "rss",
                 "<rss version=\"2.0\"><channel><item><title>&l9;</title></item>");
    xml_outcome o;
    xml_stream(doc, ' ', 0, "</channel></rss>", &o);
    printf("mixed billion laughs: %d, %u items, \"%s\"\n", o.rc, o.items, o.err);
    assert_int_equal(o.rc, FA_ETOOBIG);
    unsigned long long refs = 0, in = 0;
    const char *m = strstr(o.err, "entity expansion too large (");
    assert_non_null(m);
    assert_int_equal(
        sscanf(m, "entity expansion too large (%llu references from %llu", &refs, &in), 2);
    assert_true(in > 0 && in < 4096);
    assert_true(refs == in / 4 + 1024 + 1);
}

/* The text cap alone: few references, much text each (90 KB from 90
 * references to a 1,000-byte entity in a 1.5 KB feed). */
static void text_is_capped_per_byte(void **state)
{
    (void)state;
    char doc[4096];
    int n = snprintf(doc, sizeof doc, "<!DOCTYPE rss [<!ENTITY l0 \"");
    memset(doc + n, 'x', 1000);
    n += 1000;
    n += snprintf(doc + n, sizeof doc - (size_t)n, "\">]><rss version=\"2.0\"><channel><item><title>");
    for (int i = 0; i < 90; i++)
        n += snprintf(doc + n, sizeof doc - (size_t)n, "&l0;");
    snprintf(doc + n, sizeof doc - (size_t)n, "</title></item>");
    xml_outcome o;
    xml_stream(doc, ' ', 0, "</channel></rss>", &o);
    printf("laughs of long text: %d, %u items, \"%s\"\n", o.rc, o.items, o.err);
    assert_int_equal(o.rc, FA_ETOOBIG);
    unsigned long long text = 0, in = 0;
    const char *m = strstr(o.err, "entity expansion too large (");
    assert_non_null(m);
    assert_int_equal(
        sscanf(m, "entity expansion too large (%llu bytes of text from %llu", &text, &in), 2);
    assert_true(in > 0 && in < 4096);
    assert_true(text <= in * 16 + (64u << 10) + (16u << 10));
}

static int sitemap_item(void *ud, const feed_item *it)
{
    (void)it;
    (*(unsigned *)ud)++;
    return 0;
}

/* The same laughs in a sitemap (crawler/feeds/feed_xml.c): before the
 * reference cap a 1.4 KB one took 4.3 s under ASan. */
static void sitemap_references_are_capped_per_byte(void **state)
{
    (void)state;
    char doc[2048];
    mixed_laughs(doc, sizeof doc, "urlset",
                 "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
                 "<url><loc>https://h/a</loc></url><url><loc>&l9;</loc></url></urlset>");
    unsigned got = 0;
    sitemap_parser *sp = sitemap_parser_new("https://h/sitemap.xml", NULL, sitemap_item, NULL, &got);
    assert_non_null(sp);
    int rc = sitemap_parser_push(sp, doc, strlen(doc));
    int fin = sitemap_parser_finish(sp);
    const char *err = sitemap_parser_error(sp);
    printf("mixed billion laughs, sitemap: %d %d, %u items, \"%s\"\n", rc, fin, got, err);
    assert_true(rc == FA_ETOOBIG || fin == FA_ETOOBIG);
    unsigned long long refs = 0;
    const char *m = strstr(err, "entity expansion too large: ");
    assert_non_null(m);
    assert_int_equal(sscanf(m, "entity expansion too large: %llu references", &refs), 1);
    assert_true(refs == strlen(doc) / 4 + 1024 + 1);
    assert_int_equal(got, 1); /* the <url> before the laughs came through */
    sitemap_parser_free(sp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_nul_keeps_ids_distinct),
        cmocka_unit_test(json_invalid_utf8_is_repaired),
        cmocka_unit_test(json_arena_is_bounded),
        cmocka_unit_test(pagination_ignores_the_fragment),
        cmocka_unit_test(sniffing_is_linear),
        cmocka_unit_test(atom_id_and_text_links),
        cmocka_unit_test(xml_limits_are_reported),
        cmocka_unit_test(expansion_is_capped_per_byte),
        cmocka_unit_test(text_is_capped_per_byte),
        cmocka_unit_test(sitemap_references_are_capped_per_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
