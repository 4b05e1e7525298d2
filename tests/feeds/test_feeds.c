/* test_feeds.c - the streaming feed parser: every feed kind, fed whole, a
 * byte at a time and at random split points (same items each way); date
 * normalisation; encodings; the web's usual breakage; limits; hostile XML.
 * Fixtures are invented feeds in tests/feeds/data/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "common/fa_time.h"
#include "crawler/feeds/feed_date.h"
#include "crawler/feeds/feed_parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- harness ---- */

enum { I_ID, I_LINK, I_TITLE, I_AUTHOR, I_PUB, I_UPD, I_SUMMARY, I_CONTENT, I_N };
#define MAX_ITEMS 64
#define MAX_ENCL 8

typedef struct item_copy {
    char *f[I_N];
    char *encl[MAX_ENCL];
    int nencl;
} item_copy;

typedef struct result {
    item_copy items[MAX_ITEMS];
    int n;
    int push_rc; /* first negative push return, or 0 */
    int finish_rc;
    char err[256];
    enum feed_kind kind;
    feed_parser_stats st;
    int stop_after; /* callback returns FA_ECANCELED after this many; 0 = never */
} result;

enum split { WHOLE, BYTES, RANDOM };

static int collect(void *ud, const feed_item *it)
{
    result *r = ud;
    assert_true(r->n < MAX_ITEMS);
    item_copy *c = &r->items[r->n++];
    const char *f[I_N] = {it->id,        it->link,    it->title,   it->author,
                          it->published, it->updated, it->summary, it->content};
    for (int i = 0; i < I_N; i++) {
        assert_non_null(f[i]);
        c->f[i] = strdup(f[i]);
    }
    assert_non_null(it->enclosures);
    for (const char *const *e = it->enclosures; *e; e++) {
        assert_true(c->nencl < MAX_ENCL);
        c->encl[c->nencl++] = strdup(*e);
    }
    if (r->stop_after && r->n >= r->stop_after) return FA_ECANCELED;
    return 0;
}

static void result_free(result *r)
{
    for (int i = 0; i < r->n; i++) {
        for (int k = 0; k < I_N; k++)
            free(r->items[i].f[k]);
        for (int k = 0; k < r->items[i].nencl; k++)
            free(r->items[i].encl[k]);
    }
    memset(r, 0, sizeof *r);
}

static unsigned rng_next(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7FFF;
}

static void run(const void *data, size_t len, enum split mode, unsigned seed, const char *base,
                const feed_parser_limits *lim, result *r)
{
    int stop_after = r->stop_after;
    memset(r, 0, sizeof *r);
    r->stop_after = stop_after;
    feed_parser *p = feed_parser_new(base, lim, collect, r);
    assert_non_null(p);
    const char *d = data;
    size_t off = 0;
    while (off < len) {
        size_t n = len - off;
        if (mode == BYTES)
            n = 1;
        else if (mode == RANDOM) {
            size_t k = 1 + rng_next(&seed) % 97;
            n = k < n ? k : n;
        }
        int rc = feed_parser_push(p, d + off, n);
        off += n;
        if (rc < 0) {
            r->push_rc = rc;
            break;
        }
    }
    r->finish_rc = feed_parser_finish(p);
    snprintf(r->err, sizeof r->err, "%s", feed_parser_error(p));
    r->kind = feed_parser_kind(p);
    feed_parser_get_stats(p, &r->st);
    feed_parser_free(p);
}

static char *load(const char *name, size_t *len)
{
    const char *dir = getenv("FEEDARC_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/feeds/data/%s", dir ? dir : "tests", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void run_file(const char *name, enum split mode, unsigned seed, const char *base, result *r)
{
    size_t len;
    char *d = load(name, &len);
    run(d, len, mode, seed, base, NULL, r);
    free(d);
}

static void assert_same(const result *a, const result *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->finish_rc, b->finish_rc);
    assert_int_equal(a->push_rc, b->push_rc);
    assert_string_equal(a->err, b->err);
    for (int i = 0; i < a->n; i++) {
        for (int k = 0; k < I_N; k++)
            assert_string_equal(a->items[i].f[k], b->items[i].f[k]);
        assert_int_equal(a->items[i].nencl, b->items[i].nencl);
        for (int k = 0; k < a->items[i].nencl; k++)
            assert_string_equal(a->items[i].encl[k], b->items[i].encl[k]);
    }
}

/* Parses name whole, then a byte at a time, then at random split points
 * with several seeds, and checks every way gives the same result; leaves
 * the whole-body result in *r. */
static void run_all_ways(const char *name, const char *base, result *r)
{
    run_file(name, WHOLE, 0, base, r);
    result *other = calloc(1, sizeof *other);
    assert_non_null(other);
    run_file(name, BYTES, 0, base, other);
    assert_same(r, other);
    result_free(other);
    for (unsigned seed = 1; seed <= 20; seed++) {
        run_file(name, RANDOM, seed, base, other);
        assert_same(r, other);
        result_free(other);
    }
    free(other);
}

static result *new_result(void)
{
    result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    return r;
}

static void drop_result(result *r)
{
    result_free(r);
    free(r);
}

/* ---- feed kinds ---- */

static void rss2(void **state)
{
    (void)state;
    result *r = new_result();
    run_all_ways("rss2.xml", "https://gazette.example.org/feeds/main.xml", r);
    assert_int_equal(r->finish_rc, 4);
    assert_int_equal(r->kind, FEED_RSS);
    assert_int_equal(r->st.duplicates, 1); /* guid gazette-1001 twice */
    item_copy *it = &r->items[0];
    assert_string_equal(it->f[I_ID], "gazette-1001");
    assert_string_equal(it->f[I_LINK], "https://gazette.example.org/2026/11/lighthouse-keeper");
    assert_string_equal(it->f[I_TITLE], "Lighthouse keeper retires after 40 years");
    assert_string_equal(it->f[I_AUTHOR], "Mira Quillfeather");
    assert_string_equal(it->f[I_PUB], "2026-11-23T15:37:00Z");
    assert_string_equal(it->f[I_UPD], "2026-11-24T07:00:00Z"); /* atom:updated */
    /* CDATA comes through as text, markup as given */
    assert_string_equal(it->f[I_SUMMARY],
                        "<p>The lamp will be <b>automated</b> & the keeper moves inland.</p>");
    assert_string_equal(it->f[I_CONTENT], "<p>Full story: the keeper &amp; her cat.</p>");
    assert_int_equal(it->nencl, 2);
    assert_string_equal(it->encl[0], "https://gazette.example.org/audio/keeper.mp3");
    assert_string_equal(it->encl[1], "https://cdn.example.org/img/lamp.jpg");

    it = &r->items[1];
    /* no guid: the id is the link */
    assert_string_equal(it->f[I_LINK], "https://gazette.example.org/2026/11/pier-cafe?a=1&b=2");
    assert_string_equal(it->f[I_ID], it->f[I_LINK]);
    /* undeclared HTML entities */
    assert_string_equal(it->f[I_TITLE], "Caf\xc3\xa9 opens on the pier\xc2\xa0\xe2\x80\x94 with "
                                        "\xe2\x80\x9c"
                                        "free\xe2\x80\x9d tea");
    assert_string_equal(it->f[I_AUTHOR], "editor@gazette.example.org (Tobin Vale)");
    assert_string_equal(it->f[I_PUB], "2026-11-22T14:05:00Z"); /* EST */
    assert_string_equal(it->f[I_UPD], "");
    /* escaped HTML is unescaped once; double escaping stays visible */
    assert_string_equal(it->f[I_SUMMARY], "<p>Tea &amp; cake</p>");
    assert_int_equal(it->nencl, 2);
    assert_string_equal(it->encl[1], "https://cdn.example.org/img/pier-2.jpg");

    it = &r->items[2];
    /* permalink guid: link and id */
    assert_string_equal(it->f[I_ID], "https://gazette.example.org/2026/11/ferry");
    assert_string_equal(it->f[I_LINK], "https://gazette.example.org/2026/11/ferry");
    assert_string_equal(it->f[I_PUB], "2026-11-21T18:00:00Z");
    assert_string_equal(it->f[I_SUMMARY], "Boats leave <em>earlier</em> from Monday.");

    it = &r->items[3];
    /* relative link against the feed URL; bad date gives "" */
    assert_string_equal(it->f[I_LINK], "https://gazette.example.org/feeds/market-day");
    assert_string_equal(it->f[I_ID], "https://gazette.example.org/feeds/market-day");
    assert_string_equal(it->f[I_PUB], "");
    assert_int_equal(it->nencl, 0);
    drop_result(r);
}

static void rss091(void **state)
{
    (void)state;
    result *r = new_result();
    run_all_ways("rss091.xml", NULL, r);
    assert_int_equal(r->finish_rc, 2);
    assert_int_equal(r->kind, FEED_RSS);
    assert_string_equal(r->items[0].f[I_TITLE], "Wheat up, barley down");
    assert_string_equal(r->items[0].f[I_ID], "http://mill.example.net/prices/47");
    /* ISO-8859-1 document, &copy; from the (unloaded) Netscape DTD */
    assert_string_equal(r->items[0].f[I_SUMMARY], "Prices for week 47 \xc2\xa9 the mill");
    assert_string_equal(r->items[1].f[I_LINK], "http://mill.example.net/news/stone");
    drop_result(r);
}

static void rss10_rdf(void **state)
{
    (void)state;
    result *r = new_result();
    run_all_ways("rdf.xml", NULL, r);
    assert_int_equal(r->finish_rc, 2);
    assert_int_equal(r->kind, FEED_RDF);
    item_copy *it = &r->items[0];
    assert_string_equal(it->f[I_ID], "http://valley.example.com/notes/comet");
    assert_string_equal(it->f[I_TITLE], "Comet visible at dawn");
    assert_string_equal(it->f[I_AUTHOR], "Ossian Brightwater");
    assert_string_equal(it->f[I_PUB], "2026-11-20T08:30:00Z");
    assert_string_equal(it->f[I_SUMMARY], "Look east before sunrise.");
    assert_string_equal(r->items[1].f[I_PUB], "2026-12-04T00:00:00Z");
    drop_result(r);
}

static void atom10(void **state)
{
    (void)state;
    result *r = new_result();
    run_all_ways("atom10.xml", "https://ignored.example.net/feed", r);
    assert_int_equal(r->finish_rc, 3);
    assert_int_equal(r->kind, FEED_ATOM);
    item_copy *it = &r->items[0];
    assert_string_equal(it->f[I_ID], "tag:orchard.example.org,2026:apples");
    /* rel="alternate" beats a link without rel and rel="edit"; xml:base */
    assert_string_equal(it->f[I_LINK], "https://orchard.example.org/blog/2026/apples");
    /* type="html" title: text content */
    assert_string_equal(it->f[I_TITLE], "Apples & pears \xc3\xa9t\xc3\xa9");
    assert_string_equal(it->f[I_AUTHOR], "Juniper Ashgrove");
    assert_string_equal(it->f[I_PUB], "2026-11-20T10:00:00Z");
    assert_string_equal(it->f[I_UPD], "2026-11-21T09:15:30Z");
    assert_string_equal(it->f[I_SUMMARY], "Harvest notes");
    /* xhtml: inner markup of the div, re-serialised */
    assert_string_equal(it->f[I_CONTENT],
                        "<p>Picked <b>twelve</b> baskets &amp; one<br/>ladder.</p>"
                        "<img src=\"a.png\" alt=\"a &quot;b&quot;\"/><a id=\"end\"></a>");
    assert_int_equal(it->nencl, 1);
    assert_string_equal(it->encl[0], "https://orchard.example.org/blog/img/apples.jpg");

    it = &r->items[1];
    /* entry-scoped xml:base; link without rel; xhtml title as text */
    assert_string_equal(it->f[I_LINK], "https://orchard.example.org/archive/pruning");
    assert_string_equal(it->f[I_TITLE], "Pruning season");
    /* <source> metadata is not the entry's */
    assert_string_equal(it->f[I_AUTHOR], "");
    assert_string_equal(it->f[I_CONTENT], "<p>Cut back in <b>winter</b>.</p>");

    it = &r->items[2];
    assert_string_equal(it->f[I_ID], "urn:uuid:6f2b6f64-0000-4000-8000-000000000001");
    assert_string_equal(it->f[I_LINK], "");
    drop_result(r);
}

static void atom03(void **state)
{
    (void)state;
    result *r = new_result();
    run_all_ways("atom03.xml", NULL, r);
    assert_int_equal(r->finish_rc, 2);
    assert_int_equal(r->kind, FEED_ATOM);
    item_copy *it = &r->items[0];
    assert_string_equal(it->f[I_LINK], "http://clock.example.org/log/bell-rope");
    assert_string_equal(it->f[I_PUB], "2026-11-22T13:00:00Z"); /* issued */
    assert_string_equal(it->f[I_UPD], "2026-11-22T15:00:00Z"); /* modified */
    assert_string_equal(it->f[I_AUTHOR], "Perrin Gearwright");
    assert_string_equal(it->f[I_CONTENT], "<p>New <em>hemp</em> rope.</p>");
    assert_string_equal(r->items[1].f[I_PUB], "2026-11-21T00:00:00Z");
    assert_string_equal(r->items[1].f[I_CONTENT], "<p>Forty turns.</p>");
    drop_result(r);
}

/* ---- encodings ---- */

static void encodings(void **state)
{
    (void)state;
    result *r = new_result();
    run_all_ways("win1252.xml", NULL, r);
    assert_int_equal(r->finish_rc, 1);
    assert_string_equal(r->items[0].f[I_TITLE],
                        "Caf\xc3\xa9 cr\xc3\xa8me \xe2\x80\x94 \xe2\x80\x9cquoted\xe2\x80\x9d "
                        "\xe2\x82\xac"
                        "5");
    assert_string_equal(r->items[0].f[I_SUMMARY], "na\xc3\xafve fa\xc3\xa7"
                                                  "ade");
    result_free(r);

    run_all_ways("latin1.xml", NULL, r);
    assert_int_equal(r->finish_rc, 1);
    assert_string_equal(r->items[0].f[I_TITLE],
                        "Caf\xc3\xa9 cr\xc3\xa8me \xc2\xabquoted\xc2\xbb \xc2\xa3"
                        "5");
    result_free(r);

    run_all_ways("utf16le.xml", NULL, r);
    assert_int_equal(r->finish_rc, 1);
    assert_string_equal(r->items[0].f[I_TITLE],
                        "Caf\xc3\xa9 cr\xc3\xa8me \xe2\x80\x94 \xe2\x80\x9cquoted\xe2\x80\x9d "
                        "\xe2\x82\xac"
                        "5");
    assert_string_equal(r->items[0].f[I_LINK], "http://enc.example.org/1");
    drop_result(r);
}

/* A UTF-8 BOM and blank lines before the XML declaration are tolerated. */
static void bom_and_leading_space(void **state)
{
    (void)state;
    const char doc[] = "\xef\xbb\xbf\n\n  <?xml version=\"1.0\"?>\n<rss><channel><item>"
                       "<title>t</title><guid>g1</guid></item></channel></rss>";
    result *r = new_result();
    for (int mode = WHOLE; mode <= RANDOM; mode++) {
        run(doc, sizeof doc - 1, (enum split)mode, 7, NULL, NULL, r);
        assert_int_equal(r->finish_rc, 1);
        assert_string_equal(r->items[0].f[I_ID], "g1");
        result_free(r);
    }
    drop_result(r);
}

/* ---- the web's mess ---- */

static void entities_and_cdata(void **state)
{
    (void)state;
    const char doc[] =
        "<rss><channel><item><guid>e1</guid>"
        "<title>&Eacute;t&eacute; &hellip; 5&nbsp;&euro; &amp; &#8212; &#x263A; &unknownent; "
        "end</title>"
        "<link>http://e.example.org/?q=caf&eacute;&amp;x=1</link>"
        "<description><![CDATA[a < b && c]]> and &lt;i&gt;more&lt;/i&gt;</description>"
        "<enclosure url=\"http://e.example.org/a.mp3?x=1&amp;y=&eacute;\"/>"
        "</item></channel></rss>";
    result *r = new_result();
    for (int mode = WHOLE; mode <= RANDOM; mode++) {
        run(doc, sizeof doc - 1, (enum split)mode, 3, NULL, NULL, r);
        assert_int_equal(r->finish_rc, 1);
        item_copy *it = &r->items[0];
        /* an unknown entity is dropped (libxml2 recovery), the rest decoded */
        assert_string_equal(it->f[I_TITLE],
                            "\xc3\x89t\xc3\xa9 \xe2\x80\xa6 5\xc2\xa0\xe2\x82\xac & "
                            "\xe2\x80\x94 \xe2\x98\xba  end");
        assert_string_equal(it->f[I_LINK], "http://e.example.org/?q=caf\xc3\xa9&x=1");
        assert_string_equal(it->f[I_SUMMARY], "a < b && c and <i>more</i>");
        assert_int_equal(it->nencl, 1);
        /* attribute values: &amp; and HTML entities decoded, whole UTF-8 */
        assert_string_equal(it->encl[0], "http://e.example.org/a.mp3?x=1&y=\xc3\xa9");
        result_free(r);
    }
    drop_result(r);
}

static void malformed_keeps_earlier_items(void **state)
{
    (void)state;
    result *r = new_result();
    run_all_ways("malformed.xml", NULL, r);
    assert_true(r->finish_rc >= 2);
    assert_true(r->st.xml_errors > 0);
    assert_string_equal(r->items[0].f[I_TITLE], "First item is fine");
    assert_string_equal(r->items[0].f[I_SUMMARY], "Tom & Jerry");
    assert_string_equal(r->items[1].f[I_LINK], "http://bridge.example.org/2");
    /* after the stray '&' (an XML error) entities still work */
    assert_string_equal(r->items[1].f[I_SUMMARY], "Still & here <b>");
    drop_result(r);
}

/* An <item> whose end tag is missing: the items after it still come out. */
static void unclosed_item(void **state)
{
    (void)state;
    const char doc[] = "<rss><channel>"
                       "<item><title>one</title><guid>u1</guid>"
                       "<item><title>two</title><guid>u2</guid></item>"
                       "<item><title>three</title><guid>u3</guid></item>"
                       "</channel></rss>";
    result *r = new_result();
    run(doc, sizeof doc - 1, WHOLE, 0, NULL, NULL, r);
    assert_int_equal(r->finish_rc, 3);
    assert_string_equal(r->items[0].f[I_ID], "u1");
    assert_string_equal(r->items[2].f[I_TITLE], "three");
    drop_result(r);
}

/* A body that stops in the middle of an item: the complete ones count. */
static void truncated(void **state)
{
    (void)state;
    const char doc[] = "<rss><channel><item><guid>t1</guid></item><item><guid>t2</gu";
    result *r = new_result();
    run(doc, sizeof doc - 1, BYTES, 0, NULL, NULL, r);
    assert_int_equal(r->finish_rc, 1);
    assert_string_equal(r->items[0].f[I_ID], "t1");
    drop_result(r);
}

/* ---- not feeds ---- */

static void not_feeds(void **state)
{
    (void)state;
    result *r = new_result();
    run_all_ways("page.html", NULL, r);
    assert_int_equal(r->finish_rc, FA_EPARSE);
    assert_int_equal(r->push_rc, FA_EPARSE);
    assert_non_null(strstr(r->err, "root element <html> is not a feed"));
    assert_int_equal(r->n, 0);
    result_free(r);

    run_all_ways("xhtml-page.xml", NULL, r);
    assert_int_equal(r->finish_rc, FA_EPARSE);
    assert_string_equal(r->err, "root element <html> is not a feed");
    result_free(r);

    run_all_ways("feed.json", NULL, r);
    assert_int_equal(r->finish_rc, FA_EPARSE);
    assert_int_equal(r->push_rc, FA_EPARSE); /* detected while pushing */
    assert_true(strncmp(r->err, "not XML: ", 9) == 0);
    assert_non_null(strstr(r->err, "JSON"));
    result_free(r);

    run("", 0, WHOLE, 0, NULL, NULL, r);
    assert_int_equal(r->finish_rc, FA_EPARSE);
    assert_string_equal(r->err, "not XML: empty body");
    result_free(r);

    run(" \n\t ", 4, BYTES, 0, NULL, NULL, r);
    assert_int_equal(r->finish_rc, FA_EPARSE);
    assert_string_equal(r->err, "not XML: empty body");
    result_free(r);

    const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0};
    run(png, sizeof png, WHOLE, 0, NULL, NULL, r);
    assert_int_equal(r->finish_rc, FA_EPARSE);
    assert_string_equal(r->err, "not XML: body starts with byte 0x89");
    result_free(r);

    const char other[] =
        "<?xml version=\"1.0\"?><svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\"/>";
    run(other, sizeof other - 1, BYTES, 0, NULL, NULL, r);
    assert_int_equal(r->finish_rc, FA_EPARSE);
    assert_string_equal(r->err, "root element <svg:svg> is not a feed");
    result_free(r);

    const char junk[] = "<<<< not really markup >>>>";
    run(junk, sizeof junk - 1, WHOLE, 0, NULL, NULL, r);
    assert_int_equal(r->finish_rc, FA_EPARSE);
    assert_true(strncmp(r->err, "not XML: ", 9) == 0);
    result_free(r);

    /* an empty but valid feed is not an error */
    const char empty_feed[] = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>x</title></feed>";
    run(empty_feed, sizeof empty_feed - 1, WHOLE, 0, NULL, NULL, r);
    assert_int_equal(r->finish_rc, 0);
    assert_int_equal(r->kind, FEED_ATOM);
    drop_result(r);
}

/* ---- limits ---- */

static void item_too_big_is_skipped(void **state)
{
    (void)state;
    size_t big = 5000;
    char *doc = malloc(big + 512);
    assert_non_null(doc);
    int n = sprintf(doc, "<rss><channel><item><guid>small1</guid></item><item><guid>big</guid>"
                         "<description>");
    memset(doc + n, 'x', big);
    n += (int)big;
    n += sprintf(doc + n, "</description></item><item><guid>small2</guid></item></channel></rss>");
    feed_parser_limits lim = {.max_item_bytes = 1024};
    result *r = new_result();
    for (int mode = WHOLE; mode <= RANDOM; mode++) {
        run(doc, (size_t)n, (enum split)mode, 11, NULL, &lim, r);
        assert_int_equal(r->finish_rc, 2);
        assert_int_equal(r->st.too_big, 1);
        assert_string_equal(r->items[0].f[I_ID], "small1");
        assert_string_equal(r->items[1].f[I_ID], "small2");
        result_free(r);
    }
    drop_result(r);
    free(doc);
}

static void max_items_honoured(void **state)
{
    (void)state;
    char doc[4096];
    int n = sprintf(doc, "<rss><channel>");
    for (int i = 0; i < 20; i++)
        n += sprintf(doc + n, "<item><guid>m%d</guid></item>", i);
    n += sprintf(doc + n, "</channel></rss>");
    feed_parser_limits lim = {.max_items = 5};
    result *r = new_result();
    run(doc, (size_t)n, BYTES, 0, NULL, &lim, r);
    assert_int_equal(r->finish_rc, 5);
    assert_int_equal(r->n, 5);
    assert_string_equal(r->items[4].f[I_ID], "m4");
    drop_result(r);
}

static void depth_ceiling(void **state)
{
    (void)state;
    char doc[8192];
    int n = sprintf(doc, "<rss><channel><item><guid>d1</guid></item><item><guid>d2</guid>");
    for (int i = 0; i < 100; i++)
        n += sprintf(doc + n, "<x>");
    n += sprintf(doc + n, "</item></channel></rss>");
    feed_parser_limits lim = {.max_depth = 50};
    result *r = new_result();
    run(doc, (size_t)n, WHOLE, 0, NULL, &lim, r);
    assert_int_equal(r->push_rc, FA_ETOOBIG);
    assert_int_equal(r->finish_rc, FA_ETOOBIG);
    assert_int_equal(r->n, 1); /* delivered before the ceiling: kept */
    assert_string_equal(r->items[0].f[I_ID], "d1");
    assert_non_null(strstr(r->err, "deeper than 50"));
    drop_result(r);
}

static void callback_stops(void **state)
{
    (void)state;
    char doc[1024];
    int n = sprintf(doc, "<rss><channel>");
    for (int i = 0; i < 5; i++)
        n += sprintf(doc + n, "<item><guid>c%d</guid></item>", i);
    n += sprintf(doc + n, "</channel></rss>");
    result *r = new_result();
    r->stop_after = 2;
    run(doc, (size_t)n, BYTES, 0, NULL, NULL, r);
    assert_int_equal(r->push_rc, FA_ECANCELED);
    assert_int_equal(r->finish_rc, FA_ECANCELED);
    assert_int_equal(r->n, 2);
    drop_result(r);
}

/* ---- hostile XML ---- */

static void xxe_not_loaded(void **state)
{
    (void)state;
    result *r = new_result();
    run_all_ways("xxe.xml", NULL, r);
    assert_int_equal(r->finish_rc, 1);
    assert_string_equal(r->items[0].f[I_TITLE], "beforeafter");
    assert_null(strstr(r->items[0].f[I_SUMMARY], "root:"));
    assert_string_equal(r->items[0].f[I_SUMMARY], "");
    drop_result(r);
}

static void billion_laughs(void **state)
{
    (void)state;
    uint64_t t0 = fa_time_mono_ns();
    result *r = new_result();
    run_file("laughs.xml", WHOLE, 0, NULL, r);
    /* the item before is delivered; libxml2 stops at the expansion, and
     * the feed's answer names that (issue 12: it was a silent success) */
    assert_int_equal(r->finish_rc, FA_ETOOBIG);
    assert_non_null(strstr(r->err, "entity reference loop"));
    assert_int_equal(r->n, 1);
    assert_string_equal(r->items[0].f[I_TITLE], "ok");
    for (int i = 0; i < r->n; i++)
        assert_true(strlen(r->items[i].f[I_TITLE]) < 100000);
    result_free(r);
    run_file("laughs.xml", BYTES, 0, NULL, r);
    assert_int_equal(r->finish_rc, FA_ETOOBIG);
    assert_int_equal(r->n, 1);
    drop_result(r);
    assert_true(fa_time_mono_ns() - t0 < 5000000000ULL);
}

/* One entity of 10 kB used 100 000 times: a gigabyte if expanded. */
static void quadratic_blowup(void **state)
{
    (void)state;
    size_t cap = 2u << 20;
    char *doc = malloc(cap);
    assert_non_null(doc);
    size_t n = (size_t)sprintf(doc, "<!DOCTYPE rss [<!ENTITY a \"");
    memset(doc + n, 'a', 10000);
    n += 10000;
    n += (size_t)sprintf(doc + n, "\">]><rss><channel><item><guid>q1</guid><title>");
    for (int i = 0; i < 100000; i++) {
        memcpy(doc + n, "&a;", 3);
        n += 3;
    }
    n += (size_t)sprintf(doc + n, "</title></item></channel></rss>");
    uint64_t t0 = fa_time_mono_ns();
    result *r = new_result();
    run(doc, n, RANDOM, 5, NULL, NULL, r);
    /* stopped, or the item is over max_item_bytes: either way no gigabyte */
    assert_true(r->n <= 1);
    if (r->n == 1) assert_true(strlen(r->items[0].f[I_TITLE]) <= (4u << 20));
    drop_result(r);
    free(doc);
    assert_true(fa_time_mono_ns() - t0 < 10000000000ULL);
}

/* ---- dates ---- */

static void dates(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        /* RFC 822 / 1123 / 2822 */
        {"Mon, 23 Nov 2026 15:37:00 +0000", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 2026 15:37:00 GMT", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 2026 10:37:00 -0500", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 2026 10:37:00 EST", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 2026 11:37:00 EDT", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 2026 09:37:00 CST", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 2026 10:37:00 CDT", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 2026 08:37:00 MST", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 2026 09:37:00 MDT", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 2026 07:37:00 PST", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 2026 08:37:00 PDT", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 2026 15:37:00 UT", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 2026 15:37:00 UTC", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 2026 15:37:00 Z", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 2026 10:37:00 R", "2026-11-23T15:37:00Z"}, /* military -5 */
        {"Mon, 23 Nov 2026 16:37:00 A", "2026-11-23T15:37:00Z"}, /* military +1 */
        /* broken variants */
        {"23 Nov 2026 15:37:00 +0000", "2026-11-23T15:37:00Z"}, /* no weekday */
        {"Monday, 23 November 2026 15:37:00 GMT", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 26 15:37:00 GMT", "2026-11-23T15:37:00Z"}, /* 2-digit year */
        {"Mon, 23 Nov 99 15:37:00 GMT", "1999-11-23T15:37:00Z"},
        {"Wed, 3 Jun 2026 15:37:00 GMT", "2026-06-03T15:37:00Z"}, /* 1-digit day */
        {"Mon, 23 Nov 2026 15:37 GMT", "2026-11-23T15:37:00Z"},   /* no seconds */
        {"Mon, 23 Nov 2026 15:37:00 -05:00", "2026-11-23T20:37:00Z"},
        {"Mon, 23 Nov 2026 07:37:00 -0800 (PST)", "2026-11-23T15:37:00Z"},
        {"  Mon,   23  Nov  2026   15:37:00   +0000  ", "2026-11-23T15:37:00Z"},
        {"mon, 23 nov 2026 15:37:00 gmt", "2026-11-23T15:37:00Z"},
        {"Thu, 23 Sept 2027 15:37:00 GMT", "2027-09-23T15:37:00Z"},
        {"Tue, 23 Nov 2026 15:37:00 GMT", "2026-11-23T15:37:00Z"}, /* wrong weekday */
        {"Mon, 23 Nov 2026", "2026-11-23T00:00:00Z"},
        {"Nov 23, 2026 3:37 PM", "2026-11-23T15:37:00Z"},
        {"Mon, 23 Nov 2026 15:37:00 +0530", "2026-11-23T10:07:00Z"},
        {"Mon, 23 Nov 2026 15:37:00", "2026-11-23T15:37:00Z"}, /* no zone: UTC */
        {"Mon, 23 Nov 2026 16:37:00 GMT+0100", "2026-11-23T15:37:00Z"},
        {"Sat, 29 Feb 2028 00:00:00 GMT", "2028-02-29T00:00:00Z"},
        /* RFC 3339 / ISO 8601 / W3C-DTF */
        {"2026-11-23T15:37:00Z", "2026-11-23T15:37:00Z"},
        {"2026-11-23T15:37:00.123456Z", "2026-11-23T15:37:00Z"},
        {"2026-11-23T17:37:00+02:00", "2026-11-23T15:37:00Z"},
        {"2026-11-23T10:37:00-0500", "2026-11-23T15:37:00Z"},
        {"2026-11-23t15:37:00z", "2026-11-23T15:37:00Z"},
        {"2026-11-23 15:37:00", "2026-11-23T15:37:00Z"},
        {"2026-11-23T15:37Z", "2026-11-23T15:37:00Z"},
        {"2026-11-23T16:37:00+01", "2026-11-23T15:37:00Z"},
        {"2026-11-23", "2026-11-23T00:00:00Z"},
        {"2026-11", "2026-11-01T00:00:00Z"},
        {"20261123T153700Z", "2026-11-23T15:37:00Z"},
        {"2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00Z"},
        {"1969-07-20T20:17:40Z", "1969-07-20T20:17:40Z"},
        {"9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"},
        {"2026/11/23 15:37:00", "2026-11-23T15:37:00Z"},
        /* refused */
        {"", ""},
        {"   ", ""},
        {"yesterday", ""},
        {"not a date at all", ""},
        {"31 Feb 2026 10:00:00 GMT", ""},
        {"2026-13-01T00:00:00Z", ""},
        {"2026-02-30", ""},
        {"Mon, 23 Nov 2026 25:00:00 GMT", ""},
        {"01/02/2026", ""},
        {"1795448220", ""},
        {"2026-11-23T15:37:00Z trailing", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[FEED_DATE_LEN];
        int rc = feed_date_normalize(cases[i].in, out, sizeof out);
        if (strcmp(out, cases[i].out) != 0)
            fail_msg("date \"%s\": got \"%s\", want \"%s\"", cases[i].in, out, cases[i].out);
        assert_int_equal(rc, cases[i].out[0] ? 20 : FA_EPARSE);
    }
    int64_t t = 0;
    assert_int_equal(feed_date_parse("Mon, 23 Nov 2026 15:37:00 +0000", &t), 0);
    assert_true(t == 1795448220LL);
    assert_int_equal(feed_date_parse(NULL, &t), FA_EPARSE);
    char small[8];
    assert_int_equal(feed_date_normalize("2026-11-23", small, sizeof small), FA_EINVAL);
}

static void misc_api(void **state)
{
    (void)state;
    assert_string_equal(feed_kind_name(FEED_RSS), "rss");
    assert_string_equal(feed_kind_name(FEED_RDF), "rdf");
    assert_string_equal(feed_kind_name(FEED_ATOM), "atom");
    assert_string_equal(feed_kind_name(FEED_UNKNOWN), "unknown");
    assert_string_equal(feed_parser_error(NULL), "");
    feed_parser_free(NULL);
    feed_parser *p = feed_parser_new(NULL, NULL, NULL, NULL);
    assert_non_null(p);
    assert_string_equal(feed_parser_error(p), "");
    assert_int_equal(feed_parser_push(p, "<rss/>", 6), 0);
    assert_int_equal(feed_parser_finish(p), 0);
    assert_int_equal(feed_parser_finish(p), 0);               /* twice is harmless */
    assert_int_equal(feed_parser_push(p, "x", 1), FA_EINVAL); /* after finish */
    feed_parser_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rss2),
        cmocka_unit_test(rss091),
        cmocka_unit_test(rss10_rdf),
        cmocka_unit_test(atom10),
        cmocka_unit_test(atom03),
        cmocka_unit_test(encodings),
        cmocka_unit_test(bom_and_leading_space),
        cmocka_unit_test(entities_and_cdata),
        cmocka_unit_test(malformed_keeps_earlier_items),
        cmocka_unit_test(unclosed_item),
        cmocka_unit_test(truncated),
        cmocka_unit_test(not_feeds),
        cmocka_unit_test(item_too_big_is_skipped),
        cmocka_unit_test(max_items_honoured),
        cmocka_unit_test(depth_ceiling),
        cmocka_unit_test(callback_stops),
        cmocka_unit_test(xxe_not_loaded),
        cmocka_unit_test(billion_laughs),
        cmocka_unit_test(quadratic_blowup),
        cmocka_unit_test(dates),
        cmocka_unit_test(misc_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
