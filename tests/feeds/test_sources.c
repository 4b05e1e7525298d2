/* test_sources.c - crawler/feeds/source_parser: every source kind through the one
 * entry point (RSS/Atom, JSON Feed, WordPress, mapped JSON, sitemaps,
 * gzip, OPML, HTML autodiscovery), each pushed whole, a byte at a time and
 * at random splits with the same outcome; pagination decisions from
 * headers and bodies; WordPress's 400 past the last page; JSON with
 * unexpected types; ceilings; the first URL of a source; OPML expansion of
 * a config.  Fixtures are invented, in tests/feeds/data/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "config/config.h"
#include "crawler/source_list.h"
#include "crawler/feeds/opml.h"
#include "crawler/feeds/source_parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* ---- harness ---- */

enum { I_ID, I_LINK, I_TITLE, I_AUTHOR, I_PUB, I_UPD, I_SUMMARY, I_CONTENT, I_N };
#define MAX_ITEMS 32
#define MAX_LINKS 16

typedef struct result {
    char *items[MAX_ITEMS][I_N];
    char *encl[MAX_ITEMS][4];
    int nencl[MAX_ITEMS];
    int n;
    char *links[MAX_LINKS];
    char *titles[MAX_LINKS];
    int link_kind[MAX_LINKS];
    int nlinks;
    int response; /* source_parser_response's answer */
    int push_rc, finish_rc;
    char err[320];
    char kind[32];
} result;

static int collect(void *ud, const feed_item *it)
{
    result *r = ud;
    assert_true(r->n < MAX_ITEMS);
    const char *f[I_N] = {it->id,        it->link,    it->title,   it->author,
                          it->published, it->updated, it->summary, it->content};
    for (int i = 0; i < I_N; i++) {
        assert_non_null(f[i]);
        r->items[r->n][i] = strdup(f[i]);
    }
    for (const char *const *e = it->enclosures; *e; e++) {
        assert_true(r->nencl[r->n] < 4);
        r->encl[r->n][r->nencl[r->n]++] = strdup(*e);
    }
    r->n++;
    return 0;
}

static int on_link(void *ud, enum source_link_kind kind, const char *url, const char *title)
{
    result *r = ud;
    assert_true(r->nlinks < MAX_LINKS);
    assert_non_null(title);
    r->link_kind[r->nlinks] = (int)kind;
    r->titles[r->nlinks] = strdup(title);
    r->links[r->nlinks++] = strdup(url);
    return 0;
}

static void result_free(result *r)
{
    for (int i = 0; i < r->n; i++) {
        for (int k = 0; k < I_N; k++)
            free(r->items[i][k]);
        for (int k = 0; k < r->nencl[i]; k++)
            free(r->encl[i][k]);
    }
    for (int i = 0; i < r->nlinks; i++) {
        free(r->links[i]);
        free(r->titles[i]);
    }
    memset(r, 0, sizeof *r);
}

static unsigned rng_next(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7FFF;
}

enum split { WHOLE, BYTES, RANDOM };

typedef struct response {
    long status;
    const char *head; /* NULL: source_parser_response is not called */
} response;

static void run(const source_parser_options *o, const response *resp, const void *data, size_t len,
                enum split mode, unsigned seed, result *r)
{
    memset(r, 0, sizeof *r);
    source_parser_callbacks cb = {collect, on_link};
    source_parser *p = source_parser_new(o, &cb, r);
    assert_non_null(p);
    r->response = 1;
    if (resp != NULL)
        r->response = source_parser_response(p, resp->status, resp->head,
                                             resp->head ? strlen(resp->head) : 0);
    if (r->response == 1) {
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
            int rc = source_parser_push(p, d + off, n);
            off += n;
            if (rc < 0) {
                r->push_rc = rc;
                break;
            }
        }
        r->finish_rc = source_parser_finish(p);
        assert_int_equal(source_parser_finish(p), r->finish_rc); /* idempotent */
    }
    snprintf(r->err, sizeof r->err, "%s", source_parser_error(p));
    snprintf(r->kind, sizeof r->kind, "%s", source_parser_kind_name(p));
    source_parser_free(p);
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

static void assert_same(const result *a, const result *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->finish_rc, b->finish_rc);
    assert_int_equal(a->push_rc, b->push_rc);
    assert_string_equal(a->err, b->err);
    assert_string_equal(a->kind, b->kind);
    for (int i = 0; i < a->n; i++) {
        for (int k = 0; k < I_N; k++)
            assert_string_equal(a->items[i][k], b->items[i][k]);
        assert_int_equal(a->nencl[i], b->nencl[i]);
        for (int k = 0; k < a->nencl[i]; k++)
            assert_string_equal(a->encl[i][k], b->encl[i][k]);
    }
    assert_int_equal(a->nlinks, b->nlinks);
    for (int i = 0; i < a->nlinks; i++) {
        assert_string_equal(a->links[i], b->links[i]);
        assert_string_equal(a->titles[i], b->titles[i]);
        assert_int_equal(a->link_kind[i], b->link_kind[i]);
    }
}

/* Parses data whole, a byte at a time and at 20 random splittings; all
 * must agree.  The whole-body result is left in *r. */
static void run_all_ways_mem(const source_parser_options *o, const response *resp, const void *data,
                             size_t len, result *r)
{
    run(o, resp, data, len, WHOLE, 0, r);
    result *other = calloc(1, sizeof *other);
    assert_non_null(other);
    run(o, resp, data, len, BYTES, 0, other);
    assert_same(r, other);
    result_free(other);
    for (unsigned seed = 1; seed <= 20; seed++) {
        run(o, resp, data, len, RANDOM, seed, other);
        assert_same(r, other);
        result_free(other);
    }
    free(other);
}

static void run_all_ways(const source_parser_options *o, const response *resp, const char *name,
                         result *r)
{
    size_t len;
    char *d = load(name, &len);
    run_all_ways_mem(o, resp, d, len, r);
    free(d);
}

static result *new_result(void)
{
    result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    return r;
}

static void drop(result *r)
{
    result_free(r);
    free(r);
}

/* ---- feeds through the entry point ---- */

static void xml_feeds_auto(void **state)
{
    (void)state;
    result *r = new_result();
    source_parser_options o = {.url = "https://gazette.example.org/feeds/main.xml"};
    run_all_ways(&o, NULL, "rss2.xml", r);
    assert_int_equal(r->finish_rc, 4);
    assert_string_equal(r->kind, "rss");
    assert_string_equal(r->items[0][I_LINK],
                        "https://gazette.example.org/2026/11/lighthouse-keeper");
    result_free(r);
    run_all_ways(&o, NULL, "atom10.xml", r);
    assert_string_equal(r->kind, "atom");
    assert_int_equal(r->finish_rc, 3);
    result_free(r);
    run_all_ways(&o, NULL, "rdf.xml", r);
    assert_string_equal(r->kind, "rdf");
    result_free(r);
    /* UTF-16 goes to the feed parser without sniffing */
    run_all_ways(&o, NULL, "utf16le.xml", r);
    assert_string_equal(r->kind, "rss");
    assert_int_equal(r->finish_rc, 1);
    assert_string_equal(
        r->items[0][I_TITLE],
        "Caf\xc3\xa9 cr\xc3\xa8me \xe2\x80\x94 \xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x82\xac"
        "5");
    drop(r);
}

/* Content-Type's charset applies when the body declares no encoding. */
static void charset_from_header(void **state)
{
    (void)state;
    const char body[] =
        "<rss version=\"2.0\"><channel><item><title>Caf\xe9 \xe0 la cr\xe8me</title>"
        "<guid>c1</guid></item></channel></rss>";
    const char declared[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\">"
                            "<channel><item><title>Caf\xc3\xa9</title><guid>c2</guid></item>"
                            "</channel></rss>";
    response resp = {200, "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; "
                          "charset=ISO-8859-1\r\n\r\n"};
    source_parser_options o = {.url = "https://enc.example.org/feed"};
    result *r = new_result();
    run_all_ways_mem(&o, &resp, body, sizeof body - 1, r);
    assert_int_equal(r->finish_rc, 1);
    assert_string_equal(r->items[0][I_TITLE], "Caf\xc3\xa9 \xc3\xa0 la cr\xc3\xa8me");
    result_free(r);
    /* the prolog's encoding wins over the header */
    run_all_ways_mem(&o, &resp, declared, sizeof declared - 1, r);
    assert_int_equal(r->finish_rc, 1);
    assert_string_equal(r->items[0][I_TITLE], "Caf\xc3\xa9");
    result_free(r);
    /* same for a sitemap */
    const char sm[] = "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url>"
                      "<loc>https://enc.example.org/caf\xe9</loc></url></urlset>";
    run_all_ways_mem(&o, &resp, sm, sizeof sm - 1, r);
    assert_int_equal(r->finish_rc, 1);
    assert_string_equal(r->items[0][I_LINK], "https://enc.example.org/caf\xc3\xa9");
    drop(r);
}

/* ---- JSON ---- */

static void jsonfeed(void **state)
{
    (void)state;
    result *r = new_result();
    source_parser_options o = {.url = "https://ledger.example.net/feed.json"};
    run_all_ways(&o, NULL, "jsonfeed11.json", r);
    assert_string_equal(r->kind, "jsonfeed");
    assert_int_equal(r->finish_rc, 3); /* the duplicate id is dropped */
    assert_string_equal(r->items[0][I_ID], "ledger-2031");
    assert_string_equal(r->items[0][I_LINK], "https://ledger.example.net/2026/11/harbour-dredging");
    assert_string_equal(r->items[0][I_TITLE], "Harbour dredging starts in spring");
    assert_string_equal(r->items[0][I_AUTHOR], "Wren Calloway, Idris Vantongeren");
    assert_string_equal(r->items[0][I_PUB], "2026-11-23T08:30:00Z");
    assert_string_equal(r->items[0][I_UPD], "2026-11-24T10:00:00Z");
    assert_string_equal(r->items[0][I_SUMMARY], "Channel work ahead");
    assert_string_equal(r->items[0][I_CONTENT],
                        "<p>The <em>channel</em> will be 2&nbsp;m deeper.</p>");
    assert_int_equal(r->nencl[0], 2);
    assert_string_equal(r->encl[0][1], "https://ledger.example.net/img/dredger.jpg");
    assert_string_equal(r->items[1][I_ID], "2032"); /* a number */
    assert_string_equal(r->items[1][I_LINK], "https://elsewhere.example.org/story/ferries");
    assert_string_equal(r->items[1][I_TITLE], "Ferry strike \xe2\x80\x9c"
                                              "ended\xe2\x80\x9d");
    assert_string_equal(r->items[1][I_AUTHOR], "Old Style Author");
    assert_string_equal(r->items[1][I_CONTENT], "Boats run again.");
    assert_string_equal(r->items[2][I_ID], "https://ledger.example.net/2026/11/no-id");
    assert_string_equal(r->items[2][I_PUB], "2026-11-22T07:00:00Z");
    /* the feed's own next_url */
    assert_int_equal(r->nlinks, 1);
    assert_int_equal(r->link_kind[0], SOURCE_LINK_NEXT_PAGE);
    assert_string_equal(r->links[0], "https://ledger.example.net/feed.json?page=2");
    result_free(r);

    /* "version" after "items": still a JSON Feed */
    run_all_ways(&o, NULL, "jsonfeed10-version-last.json", r);
    assert_int_equal(r->finish_rc, 2);
    assert_string_equal(r->items[0][I_AUTHOR], "Pat Author");
    result_free(r);

    /* an object without a JSON Feed version, under auto: refused */
    const char api[] = "{\"items\": [{\"id\": 1}], \"version\": \"2\"}";
    run_all_ways_mem(&o, NULL, api, sizeof api - 1, r);
    assert_int_equal(r->finish_rc, FA_EPARSE);
    assert_non_null(strstr(r->err, "not a JSON Feed"));
    result_free(r);
    /* ... but accepted when the type says jsonfeed */
    o.format = FA_SOURCE_JSONFEED;
    run_all_ways_mem(&o, NULL, api, sizeof api - 1, r);
    assert_int_equal(r->finish_rc, 1);
    assert_string_equal(r->items[0][I_ID], "1");
    result_free(r);
    /* a UTF-8 BOM before the JSON */
    o.format = FA_SOURCE_AUTO;
    const char bom[] = "\xef\xbb\xbf {\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":"
                       "[{\"id\":\"b\",\"url\":\"/b\"}]}";
    run_all_ways_mem(&o, NULL, bom, sizeof bom - 1, r);
    assert_int_equal(r->finish_rc, 1);
    assert_string_equal(r->items[0][I_LINK], "https://ledger.example.net/b");
    result_free(r);
    /* broken JSON: items before the break stay delivered, the error says where */
    const char cut[] =
        "{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{\"id\":\"a\"},"
        "{\"id\":\"b\",";
    run_all_ways_mem(&o, NULL, cut, sizeof cut - 1, r);
    assert_int_equal(r->finish_rc, FA_EPARSE);
    assert_int_equal(r->n, 1);
    assert_non_null(strstr(r->err, "JSON"));
    drop(r);
}

static void wordpress(void **state)
{
    (void)state;
    result *r = new_result();
    source_parser_options o = {
        .url = "https://blog.example.com/wp-json/wp/v2/posts?per_page=3&page=1"};
    response resp = {200, "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\n"
                          "X-WP-Total: 7\r\nX-WP-TotalPages: 3\r\n\r\n"};
    run_all_ways(&o, &resp, "wp-posts.json", r);
    assert_string_equal(r->kind, "wordpress");
    assert_int_equal(r->finish_rc, 3);
    assert_string_equal(r->items[0][I_ID], "https://blog.example.com/?p=481");
    assert_string_equal(r->items[0][I_LINK], "https://blog.example.com/2026/11/garden-notes/");
    assert_string_equal(r->items[0][I_TITLE],
                        "Garden notes \xe2\x80\x93 November\xe2\x80\x99s frost & mulch");
    assert_string_equal(r->items[0][I_PUB], "2026-11-20T09:00:00Z"); /* date_gmt is UTC */
    assert_string_equal(r->items[0][I_UPD], "2026-11-21T11:30:00Z");
    assert_string_equal(r->items[0][I_CONTENT], "<p>Cover the beds.</p>");
    assert_string_equal(r->items[0][I_SUMMARY], "<p>Cover the beds.</p>");
    assert_string_equal(r->items[1][I_AUTHOR], "Hollis Fernwood");
    /* unexpected types: a number for the title, an array for content, null */
    assert_string_equal(r->items[2][I_TITLE], "12345");
    assert_string_equal(r->items[2][I_CONTENT], "");
    assert_string_equal(r->items[2][I_UPD], "");
    /* page 1 of 3: next is page 2 */
    assert_int_equal(r->nlinks, 1);
    assert_string_equal(r->links[0],
                        "https://blog.example.com/wp-json/wp/v2/posts?per_page=3&page=2");
    result_free(r);

    /* page 3 of 3: no next page */
    o.page = 3;
    const char one[] = "[{\"id\":1,\"link\":\"https://blog.example.com/a\"}]";
    run(&o, &resp, one, sizeof one - 1, WHOLE, 0, r);
    assert_int_equal(r->finish_rc, 1);
    assert_int_equal(r->nlinks, 0);
    result_free(r);

    /* no X-WP-TotalPages: Link rel=next decides */
    o.page = 1;
    response link = {200, "HTTP/1.1 200 OK\r\nLink: <https://blog.example.com/wp-json/>; "
                          "rel=\"https://api.w.org/\", <https://blog.example.com/wp-json/wp/v2/"
                          "posts?per_page=3&page=2>; rel=\"next\"\r\n\r\n"};
    run_all_ways(&o, &link, "wp-posts.json", r);
    assert_int_equal(r->nlinks, 1);
    assert_string_equal(r->links[0],
                        "https://blog.example.com/wp-json/wp/v2/posts?per_page=3&page=2");
    result_free(r);
    /* neither: a full page (3 of per_page=3) means there may be more */
    response bare = {200, "HTTP/1.1 200 OK\r\n\r\n"};
    run_all_ways(&o, &bare, "wp-posts.json", r);
    assert_int_equal(r->nlinks, 1);
    result_free(r);
    /* ... a short page means the end */
    o.url = "https://blog.example.com/wp-json/wp/v2/posts?per_page=100&page=1";
    run_all_ways(&o, &bare, "wp-posts.json", r);
    assert_int_equal(r->nlinks, 0);
    result_free(r);
    /* max_pages stops the walk */
    o.url = "https://blog.example.com/wp-json/wp/v2/posts?per_page=3&page=1";
    o.max_pages = 1;
    run_all_ways(&o, &resp, "wp-posts.json", r);
    assert_int_equal(r->nlinks, 0);
    drop(r);
}

static void wordpress_400_past_the_end(void **state)
{
    (void)state;
    result *r = new_result();
    source_parser_options o = {.url = "https://blog.example.com/wp-json/wp/v2/posts?page=4"};
    response resp = {400, "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n"};
    run_all_ways(&o, &resp, "wp-error.json", r);
    assert_int_equal(r->response, 1);
    assert_int_equal(r->finish_rc, 0);
    assert_string_equal(r->err, "");
    assert_int_equal(r->nlinks, 0);
    assert_string_equal(r->kind, "wordpress");
    result_free(r);
    /* type wordpress with a site URL behaves the same */
    o.url = "https://blog.example.com/?rest_route=/wp/v2/posts&page=9";
    o.format = FA_SOURCE_WORDPRESS;
    run_all_ways(&o, &resp, "wp-error.json", r);
    assert_int_equal(r->finish_rc, 0);
    result_free(r);
    /* another WordPress error is one */
    const char other[] = "{\"code\":\"rest_invalid_param\",\"message\":\"Invalid parameter(s): "
                         "modified_after\",\"data\":{\"status\":400}}";
    run_all_ways_mem(&o, &resp, other, sizeof other - 1, r);
    assert_int_equal(r->finish_rc, FA_EFETCH);
    assert_string_equal(r->err, "WordPress error rest_invalid_param: Invalid parameter(s): "
                                "modified_after (HTTP 400)");
    result_free(r);
    /* a 400 from anything but WordPress is not parsed; nor a 404 from it */
    o.format = FA_SOURCE_AUTO;
    o.url = "https://plain.example.org/feed";
    run(&o, &resp, "x", 1, WHOLE, 0, r);
    assert_int_equal(r->response, 0);
    result_free(r);
    response nf = {404, "HTTP/1.1 404 Not Found\r\n\r\n"};
    o.format = FA_SOURCE_WORDPRESS;
    run(&o, &nf, "x", 1, WHOLE, 0, r);
    assert_int_equal(r->response, 0);
    drop(r);
}

static const source_json_mapping api_mapping = {
    .items = "/data/stories",
    .id = "/uid",
    .url = "/permalink",
    .title = "/headline/text",
    .date = "/published_at",
    .updated = "/changed",
    .content = "/body",
    .summary = "/teaser",
    .author = "/byline/name",
    .paginate = JSON_PAGINATE_CURSOR,
    .cursor = "/meta/next_cursor",
    .cursor_param = "after",
    .next_url = "/meta/next",
};

static void json_mapped_and_unexpected_types(void **state)
{
    (void)state;
    result *r = new_result();
    source_parser_options o = {.url = "https://news.example.io/api/v1/stories?limit=3",
                               .format = FA_SOURCE_JSON,
                               .json = &api_mapping};
    run_all_ways(&o, NULL, "api-posts.json", r);
    assert_string_equal(r->kind, "json");
    assert_int_equal(r->finish_rc, 3); /* the bare string is no item; the duplicate is dropped */
    assert_string_equal(r->items[0][I_ID], "9001");
    assert_string_equal(r->items[0][I_LINK], "https://news.example.io/stories/9001-bridge");
    assert_string_equal(r->items[0][I_TITLE], "Bridge reopens");
    assert_string_equal(r->items[0][I_PUB], "2026-11-23T10:40:00Z"); /* epoch seconds */
    assert_string_equal(r->items[0][I_UPD], "2026-11-24T10:00:00Z");
    assert_string_equal(r->items[0][I_AUTHOR], "R. Oduya");
    assert_string_equal(r->items[0][I_CONTENT], "<p>Traffic flows.</p>");
    assert_string_equal(r->items[1][I_ID], "9002");
    assert_string_equal(r->items[1][I_TITLE], "");     /* null */
    assert_string_equal(r->items[1][I_CONTENT], "42"); /* a number, as written */
    assert_string_equal(r->items[1][I_AUTHOR], "");    /* a string where an object was expected */
    assert_string_equal(r->items[1][I_PUB], "2026-11-23T06:00:00Z");
    assert_string_equal(r->items[2][I_LINK], "");                    /* null */
    assert_string_equal(r->items[2][I_TITLE], "");                   /* an array */
    assert_string_equal(r->items[2][I_CONTENT], "");                 /* an object */
    assert_string_equal(r->items[2][I_PUB], "2026-11-21T22:26:40Z"); /* epoch milliseconds */
    /* cursor pagination: the value, percent-encoded */
    assert_int_equal(r->nlinks, 1);
    assert_string_equal(r->links[0],
                        "https://news.example.io/api/v1/stories?limit=3&after=c2Vjb25k%2Fpage%2B2");
    result_free(r);

    /* next-URL pagination, resolved against the response URL */
    source_json_mapping m = api_mapping;
    m.paginate = JSON_PAGINATE_NEXT_URL;
    o.json = &m;
    run_all_ways(&o, NULL, "api-posts.json", r);
    assert_int_equal(r->nlinks, 1);
    assert_string_equal(r->links[0], "https://news.example.io/api/v1/stories?after=c2Vjb25k");
    result_free(r);

    /* page pagination: page+1 while a page brings items */
    m.paginate = JSON_PAGINATE_PAGE;
    m.page_param = "p";
    o.url = "https://news.example.io/api/v1/stories?p=4";
    run_all_ways(&o, NULL, "api-posts.json", r);
    assert_int_equal(r->nlinks, 1);
    assert_string_equal(r->links[0], "https://news.example.io/api/v1/stories?p=5");
    result_free(r);
    const char empty[] = "{\"data\": {\"stories\": []}, \"meta\": {\"next_cursor\": \"\"}}";
    run(&o, NULL, empty, sizeof empty - 1, WHOLE, 0, r);
    assert_int_equal(r->finish_rc, 0);
    assert_int_equal(r->nlinks, 0);
    result_free(r);
    /* max_pages: none from page 4 of 4 */
    m.max_pages = 4;
    run(&o, NULL, "{\"data\":{\"stories\":[{\"uid\":1}]}}", 33, WHOLE, 0, r);
    assert_int_equal(r->finish_rc, 1);
    assert_int_equal(r->nlinks, 0);
    result_free(r);

    /* Link header pagination */
    m.max_pages = 0;
    m.paginate = JSON_PAGINATE_LINK_HEADER;
    response link = {200, "HTTP/2 200\r\nlink: </api/v1/stories?p=5>; rel=\"next last\"\r\n\r\n"};
    run_all_ways(&o, &link, "api-posts.json", r);
    assert_int_equal(r->nlinks, 1);
    assert_string_equal(r->links[0], "https://news.example.io/api/v1/stories?p=5");
    result_free(r);
    response nolink = {200, "HTTP/2 200\r\nlink: </api/v1/stories?p=3>; rel=prev\r\n\r\n"};
    run_all_ways(&o, &nolink, "api-posts.json", r);
    assert_int_equal(r->nlinks, 0);
    result_free(r);

    /* the item array is missing, or is no array */
    run(&o, NULL, "{\"data\": {}}", 12, WHOLE, 0, r);
    assert_int_equal(r->finish_rc, FA_EPARSE);
    assert_string_equal(r->err, "no item array at \"/data/stories\"");
    result_free(r);
    run(&o, NULL, "{\"data\": {\"stories\": {\"a\": 1}}}", 32, WHOLE, 0, r);
    assert_int_equal(r->finish_rc, FA_EPARSE);
    assert_non_null(strstr(r->err, "not an array"));
    result_free(r);
    /* no mapping: refused at creation */
    source_parser_options bad = {.format = FA_SOURCE_JSON};
    assert_null(source_parser_new(&bad, NULL, NULL));
    drop(r);
}

static void json_ceilings(void **state)
{
    (void)state;
    result *r = new_result();
    source_parser_options o = {.url = "https://deep.example.org/"};
    /* nesting */
    char deep[2000];
    size_t k = 0;
    k += (size_t)snprintf(deep, sizeof deep,
                          "{\"version\":\"https://jsonfeed.org/version/1\","
                          "\"items\":[{\"id\":\"x\",\"deep\":");
    for (int i = 0; i < 300; i++)
        deep[k++] = '[';
    run(&o, NULL, deep, k, WHOLE, 0, r);
    assert_int_equal(r->finish_rc, FA_ETOOBIG);
    assert_non_null(strstr(r->err, "nested deeper"));
    result_free(r);
    /* an item over max_item_bytes is skipped, the next is kept */
    o.limits.max_item_bytes = 4096;
    size_t big_len = 20000;
    char *big = malloc(big_len + 400);
    assert_non_null(big);
    int n = snprintf(big, 400,
                     "{\"version\":\"https://jsonfeed.org/version/1\",\"items\":["
                     "{\"id\":\"big\",\"content_text\":\"");
    memset(big + n, 'a', 6000);
    n += 6000;
    n += snprintf(big + n, 400, "\"},{\"id\":\"small\"}]}");
    run(&o, NULL, big, (size_t)n, RANDOM, 7, r);
    assert_int_equal(r->finish_rc, 1);
    assert_string_equal(r->items[0][I_ID], "small");
    result_free(r);
    /* a single string longer than the ceiling cannot even be buffered */
    source_parser_callbacks cb = {collect, on_link};
    o.limits.max_item_bytes = 1024;
    source_parser *p = source_parser_new(&o, &cb, r);
    const char head[] = "{\"version\":\"https://jsonfeed.org/version/1\",\"x\":\"";
    int rc = source_parser_push(p, head, sizeof head - 1);
    memset(big, 'b', big_len);
    for (int i = 0; i < 20 && rc == 0; i++)
        rc = source_parser_push(p, big, big_len);
    assert_int_equal(rc, FA_ETOOBIG);
    source_parser_free(p);
    free(big);
    /* max_items */
    o.limits.max_item_bytes = 0;
    o.limits.max_items = 2;
    result_free(r);
    const char three[] = "[{\"id\":1,\"link\":\"/1\"},{\"id\":2,\"link\":\"/2\"},"
                         "{\"id\":3,\"link\":\"/3\"}]";
    run(&o, NULL, three, sizeof three - 1, WHOLE, 0, r);
    assert_int_equal(r->finish_rc, 2);
    drop(r);
}

/* ---- sitemaps ---- */

static void sitemaps(void **state)
{
    (void)state;
    result *r = new_result();
    source_parser_options o = {.url = "https://shore.example.org/sitemap.xml"};
    run_all_ways(&o, NULL, "sitemap.xml", r);
    assert_string_equal(r->kind, "sitemap");
    assert_int_equal(r->finish_rc, 3); /* duplicate loc and loc-less url dropped */
    assert_string_equal(r->items[0][I_ID], "https://shore.example.org/2026/11/tide-tables");
    assert_string_equal(r->items[0][I_LINK], "https://shore.example.org/2026/11/tide-tables");
    assert_string_equal(r->items[0][I_UPD], "2026-11-20T00:00:00Z");
    assert_string_equal(r->items[0][I_TITLE], "");
    assert_int_equal(r->nencl[0], 0); /* image extension ignored */
    assert_string_equal(r->items[1][I_LINK],
                        "https://shore.example.org/2026/11/gull-census?x=1&y=2");
    assert_string_equal(r->items[1][I_UPD], "2026-11-21T15:20:00Z");
    assert_string_equal(r->items[1][I_TITLE], ""); /* not video:title */
    assert_string_equal(r->items[2][I_LINK], "https://shore.example.org/relative/page");
    result_free(r);

    run_all_ways(&o, NULL, "sitemap-news.xml", r);
    assert_int_equal(r->finish_rc, 2);
    assert_string_equal(r->items[0][I_TITLE], "Council votes on the new & improved harbour plan");
    assert_string_equal(r->items[0][I_PUB], "2026-11-23T12:45:00Z");
    assert_string_equal(r->items[0][I_UPD], "");
    assert_string_equal(r->items[1][I_TITLE], "Regatta <postponed>");
    assert_string_equal(r->items[1][I_PUB], "2026-11-22T00:00:00Z");
    assert_string_equal(r->items[1][I_UPD], "2026-11-23T10:00:00Z");
    result_free(r);

    run_all_ways(&o, NULL, "sitemapindex.xml", r);
    assert_string_equal(r->kind, "sitemapindex");
    assert_int_equal(r->finish_rc, 0);
    assert_int_equal(r->n, 0);
    assert_int_equal(r->nlinks, 2);
    assert_int_equal(r->link_kind[0], SOURCE_LINK_SITEMAP);
    assert_string_equal(r->links[0], "https://shore.example.org/sitemap-posts-2026-11.xml");
    assert_string_equal(r->links[1], "https://shore.example.org/sitemap-news.xml.gz");
    result_free(r);

    /* type sitemap on something else */
    o.format = FA_SOURCE_SITEMAP;
    run_all_ways(&o, NULL, "rss2.xml", r);
    assert_int_equal(r->finish_rc, FA_EPARSE);
    assert_string_equal(r->err, "root element <rss> is not a sitemap");
    drop(r);
}

/* gzip-compresses data (members gzip members concatenated). */
static unsigned char *gzip(const void *data, size_t len, int members, size_t *out_len)
{
    size_t cap = (len + 1024) * (size_t)members;
    unsigned char *out = malloc(cap);
    assert_non_null(out);
    size_t total = 0;
    for (int m = 0; m < members; m++) {
        z_stream z;
        memset(&z, 0, sizeof z);
        assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
                         Z_OK);
        size_t part = len / (size_t)members;
        size_t from = part * (size_t)m;
        if (m == members - 1) part = len - from;
        z.next_in = (Bytef *)data + from;
        z.avail_in = (uInt)part;
        z.next_out = out + total;
        z.avail_out = (uInt)(cap - total);
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        total = cap - z.avail_out;
        deflateEnd(&z);
    }
    *out_len = total;
    return out;
}

static void gzipped_sitemap(void **state)
{
    (void)state;
    size_t len, glen;
    char *plain = load("sitemap-news.xml", &len);
    unsigned char *gz = gzip(plain, len, 1, &glen);
    source_parser_options o = {.url = "https://daily.example.com/sitemap-news.xml.gz"};
    response resp = {200, "HTTP/1.1 200 OK\r\nContent-Type: application/x-gzip\r\n\r\n"};
    result *r = new_result(), *want = new_result();
    run(&o, &resp, plain, len, WHOLE, 0, want);
    run_all_ways_mem(&o, &resp, gz, glen, r);
    assert_same(want, r);
    assert_int_equal(r->finish_rc, 2);
    result_free(r);
    free(gz);
    /* two gzip members */
    gz = gzip(plain, len, 2, &glen);
    run_all_ways_mem(&o, &resp, gz, glen, r);
    assert_same(want, r);
    result_free(r);
    /* the inflated size has a ceiling */
    o.max_inflated_bytes = 500;
    run(&o, &resp, gz, glen, WHOLE, 0, r);
    assert_int_equal(r->push_rc, FA_ETOOBIG);
    assert_int_equal(r->finish_rc, FA_ETOOBIG);
    assert_non_null(strstr(r->err, "inflated body larger than 500"));
    result_free(r);
    /* corrupt data */
    o.max_inflated_bytes = 0;
    gz[glen / 2] ^= 0x55;
    gz[glen / 2 + 1] ^= 0x55;
    run(&o, &resp, gz, glen, WHOLE, 0, r);
    assert_true(r->finish_rc < 0);
    free(gz);
    free(plain);
    drop(r);
    drop(want);
}

/* ---- OPML ---- */

typedef struct outlines {
    char text[2048];
    int n;
} outlines;

static int on_outline(void *ud, const opml_outline *o)
{
    outlines *ol = ud;
    size_t w = strlen(ol->text);
    snprintf(ol->text + w, sizeof ol->text - w, "%d|%s|%s|%s|%s\n", o->line, o->xml_url, o->title,
             o->category, o->type);
    ol->n++;
    return 0;
}

static void opml(void **state)
{
    (void)state;
    result *r = new_result();
    source_parser_options o = {.url = "https://me.example.org/subs.opml"};
    run_all_ways(&o, NULL, "subscriptions.opml", r);
    assert_string_equal(r->kind, "opml");
    assert_int_equal(r->finish_rc, 0);
    assert_int_equal(r->nlinks, 7);
    assert_int_equal(r->link_kind[0], SOURCE_LINK_FEED);
    assert_string_equal(r->links[0], "https://gazette.example.org/feed.xml");
    assert_string_equal(r->titles[0], "Harbour Town Gazette");
    assert_string_equal(r->titles[2], "Ledger & Co");
    result_free(r);

    /* the reader directly: folders become categories, lines are kept */
    const char *dir = getenv("FEEDARC_TEST_DATA");
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/feeds/data/subscriptions.opml", dir ? dir : "tests");
    outlines ol;
    memset(&ol, 0, sizeof ol);
    assert_int_equal(opml_read_file(path, on_outline, &ol, err, sizeof err), 7);
    assert_string_equal(
        ol.text, "10|https://gazette.example.org/feed.xml|Harbour Town Gazette|News/Local|rss\n"
                 "11|http://valley.example.com/rss.rdf|Valley Notes|News/Local|rss\n"
                 "13|https://ledger.example.net/feed.json|Ledger & Co|News|rss\n"
                 "16|https://orchard.example.org/atom.xml|Orchard|Blogs|rss\n"
                 "17|https://orchard.example.org/atom.xml|Orchard again|Blogs|rss\n"
                 "18|ftp://files.example.org/feed.xml|Not a web feed|Blogs|rss\n"
                 "20|https://top.example.org/index.xml|Top level||rss\n");
    /* errors name the file (and the line) */
    assert_int_equal(opml_read_file("/nonexistent/x.opml", on_outline, &ol, err, sizeof err),
                     FA_ENOENT);
    assert_non_null(strstr(err, "/nonexistent/x.opml: cannot open"));
    snprintf(path, sizeof path, "%s/feeds/data/rss2.xml", dir ? dir : "tests");
    assert_int_equal(opml_read_file(path, on_outline, &ol, err, sizeof err), FA_EPARSE);
    assert_non_null(strstr(err, "rss2.xml:"));
    assert_non_null(strstr(err, "root element <rss> is not OPML"));
    drop(r);
}

/* "- opml: FILE" entries of a config become sources. */
static void opml_expansion(void **state)
{
    (void)state;
    const char *dir = getenv("FEEDARC_TEST_DATA");
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "sources:\n"
             "  - url: https://orchard.example.org/atom.xml\n"
             "    name: Mine\n"
             "  - opml: %s/feeds/data/subscriptions.opml\n"
             "    type: rss\n"
             "    fetch_pages: false\n"
             "    interval: 1h\n"
             "    headers: {X-Key: k}\n"
             "  - url: https://last.example.org/feed\n",
             dir ? dir : "tests");
    config *c = NULL;
    char *errors = NULL;
    int rc = config_load_string(yaml, strlen(yaml), "c.yaml", "/", &c, &errors);
    if (rc != 0) fail_msg("%s", errors);
    rc = source_list_expand_opml(c, &errors);
    /* the ftp:// outline is an error, and nothing changes */
    assert_int_equal(rc, FA_EINVAL);
    assert_non_null(errors);
    assert_non_null(strstr(errors, "subscriptions.opml:18: xmlUrl \"ftp://files.example.org/"
                                   "feed.xml\" is not an http(s) URL\n"));
    free(errors);
    assert_int_equal(c->n_sources, 3);
    assert_null(c->sources[1].url);
    config_free(c);

    /* a list without the bad outline */
    char tmp[] = "/tmp/feedarc-opml-XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    const char list[] =
        "<opml version=\"1.0\"><body>\n"
        "<outline text=\"Folder\">\n"
        "  <outline text=\"Gazette\" xmlUrl=\"https://gazette.example.org/feed.xml\"/>\n"
        "  <outline xmlUrl=\"https://orchard.example.org/atom.xml\"/>\n"
        "  <outline xmlUrl=\"HTTPS://NoTitle.Example.org:8443/rss\"/>\n"
        "  <outline text=\"dup\" xmlUrl=\"https://gazette.example.org/feed.xml\"/>\n"
        "  <outline text=\"Gazette\" xmlUrl=\"https://gazette.example.org/other.xml\"/>\n"
        "  <outline text=\"Mine\" xmlUrl=\"https://mine.example.org/\"/>\n"
        "</outline></body></opml>\n";
    assert_int_equal(write(fd, list, sizeof list - 1), (ssize_t)(sizeof list - 1));
    close(fd);
    snprintf(yaml, sizeof yaml,
             "sources:\n"
             "  - url: https://orchard.example.org/atom.xml\n"
             "  - opml: %s\n"
             "    type: rss\n"
             "    fetch_pages: false\n"
             "    headers: {X-Key: k}\n"
             "  - url: https://last.example.org/feed\n"
             "    name: Mine\n",
             tmp);
    rc = config_load_string(yaml, strlen(yaml), "c.yaml", "/", &c, &errors);
    if (rc != 0) fail_msg("%s", errors);
    rc = source_list_expand_opml(c, &errors);
    if (rc < 0) fail_msg("%s", errors);
    assert_int_equal(rc, 4);
    assert_null(errors);
    assert_int_equal(c->n_sources, 6);
    assert_string_equal(c->sources[0].url, "https://orchard.example.org/atom.xml");
    assert_string_equal(c->sources[1].url, "https://gazette.example.org/feed.xml");
    assert_string_equal(c->sources[1].name, "Gazette");
    assert_int_equal(c->sources[1].type, FA_SOURCE_RSS);
    assert_int_equal(c->sources[1].fetch_pages, 0);
    assert_int_equal(c->sources[1].n_headers, 1);
    assert_string_equal(c->sources[1].headers[0].value, "k");
    assert_null(c->sources[1].opml_path);
    assert_string_equal(c->sources[2].url, "HTTPS://NoTitle.Example.org:8443/rss");
    /* (issue 11) no title: named from host:port and path; a title another
     * source has (an outline's, the config's): from the URL too */
    assert_string_equal(c->sources[2].name, "notitle.example.org:8443/rss");
    assert_int_equal(c->sources[2].name_is_default, 1);
    assert_string_equal(c->sources[3].name, "gazette.example.org/other.xml");
    assert_string_equal(c->sources[4].name, "mine.example.org");
    assert_int_equal(c->sources[1].name_is_default, 0);
    assert_string_equal(c->sources[5].url, "https://last.example.org/feed");
    /* idempotent: nothing left to expand */
    assert_int_equal(source_list_expand_opml(c, &errors), 0);
    config_free(c);
    unlink(tmp);

    /* a missing file names the config line */
    const char missing[] = "sources:\n  - opml: /nonexistent/subs.opml\n";
    rc = config_load_string(missing, sizeof missing - 1, "c.yaml", "/", &c, &errors);
    assert_int_equal(rc, 0);
    assert_int_equal(source_list_expand_opml(c, &errors), FA_ENOENT);
    assert_non_null(
        strstr(errors, "c.yaml:2: sources[0].opml: /nonexistent/subs.opml: cannot open"));
    free(errors);
    config_free(c);
}

/* ---- HTML autodiscovery ---- */

static void autodiscovery(void **state)
{
    (void)state;
    result *r = new_result();
    source_parser_options o = {.url = "https://gazette.example.org/"};
    run_all_ways(&o, NULL, "discover.html", r);
    assert_string_equal(r->kind, "html");
    assert_int_equal(r->finish_rc, 0);
    assert_string_equal(r->err, "");
    /* RSS, Atom, JSON Feed; not the comments feed, not the REST link, no
     * duplicate; relative links resolved against <base href> */
    assert_int_equal(r->nlinks, 3);
    assert_int_equal(r->link_kind[0], SOURCE_LINK_FEED);
    assert_string_equal(r->links[0], "https://gazette.example.org/feed.xml");
    assert_string_equal(r->titles[0], "Gazette \xc2\xbb Feed");
    assert_string_equal(r->links[1], "https://gazette.example.org/news/atom.xml");
    assert_string_equal(r->links[2], "https://gazette.example.org/feed.json");
    result_free(r);
    /* only a comments feed: that one then */
    const char only[] = "<!doctype html><html><head><link rel=alternate "
                        "type=application/rss+xml href=/comments/feed></head></html>";
    run_all_ways_mem(&o, NULL, only, sizeof only - 1, r);
    assert_int_equal(r->finish_rc, 0);
    assert_int_equal(r->nlinks, 1);
    assert_string_equal(r->links[0], "https://gazette.example.org/comments/feed");
    result_free(r);
    run_all_ways(&o, NULL, "page.html", r);
    assert_int_equal(r->finish_rc, FA_EPARSE);
    assert_string_equal(r->err, "HTML page with no feed link");
    result_free(r);
    /* type rss on an HTML page: the feed parser's refusal */
    o.format = FA_SOURCE_RSS;
    run_all_ways(&o, NULL, "discover.html", r);
    assert_int_equal(r->finish_rc, FA_EPARSE);
    assert_non_null(strstr(r->err, "HTML"));
    drop(r);
}

/* ---- detection and odd bodies ---- */

static void detection(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *kind;
        int rc;
    } cases[] = {
        {"<?xml version=\"1.0\"?>\n<!-- c -->\n<!DOCTYPE rss [<!ENTITY x \"y\">]>\n"
         "<rss version=\"2.0\"><channel/></rss>",
         "rss", 0},
        {"<?xml-stylesheet href=\"a.xsl\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"/>", "atom",
         0},
        {"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
         "xmlns=\"http://purl.org/rss/1.0/\"/>",
         "rdf", 0},
        {"<opml version=\"2.0\"><body/></opml>", "opml", 0},
        {"<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"/>", "sitemapindex",
         0},
        {"<HTML><head></head></HTML>", "html", FA_EPARSE},
        {"  \n", "unknown", FA_EPARSE},
        {"", "unknown", FA_EPARSE},
        {"hello", "unknown", FA_EPARSE},
        {"<foo/>", "unknown", FA_EPARSE},
        {"[]", "wordpress", 0},
        {"[1, 2]", "wordpress", 0},
        {"[{\"name\": \"not a post\"}]", "wordpress", FA_EPARSE},
        {"42", "unknown", FA_EPARSE},
        {"{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[]}", "jsonfeed", 0},
    };
    result *r = new_result();
    source_parser_options o = {.url = "https://d.example.org/x"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_all_ways_mem(&o, NULL, cases[i].body, strlen(cases[i].body), r);
        if (strcmp(r->kind, cases[i].kind) != 0 || r->finish_rc != cases[i].rc)
            fail_msg("case %zu: kind %s rc %d (%s)", i, r->kind, r->finish_rc, r->err);
        result_free(r);
    }
    drop(r);
}

static void first_urls(void **state)
{
    (void)state;
    char *u = NULL;
    assert_int_equal(
        source_first_url("https://blog.example.com/", FA_SOURCE_WORDPRESS, NULL, NULL, &u), 0);
    assert_string_equal(
        u, "https://blog.example.com/wp-json/wp/v2/posts?per_page=100&page=1"
           "&orderby=modified&order=asc"
           "&_fields=id,link,title,content,date_gmt,modified_gmt,author,_links,_embedded"
           "&_embed=author");
    free(u);
    assert_int_equal(source_first_url("https://blog.example.com/news", FA_SOURCE_WORDPRESS, NULL,
                                      "2026-11-20T09:00:00Z", &u),
                     0);
    assert_string_equal(
        u, "https://blog.example.com/news/wp-json/wp/v2/posts?per_page=100&page=1"
           "&orderby=modified&order=asc"
           "&_fields=id,link,title,content,date_gmt,modified_gmt,author,_links,_embedded"
           "&_embed=author&modified_after=2026-11-20T09%3A00%3A00Z");
    free(u);
    /* already an API URL: only what it lacks is added */
    assert_int_equal(source_first_url("https://blog.example.com/wp-json/wp/v2/posts?categories=5"
                                      "&per_page=20&page=7",
                                      FA_SOURCE_WORDPRESS, NULL, NULL, &u),
                     0);
    assert_string_equal(
        u, "https://blog.example.com/wp-json/wp/v2/posts?categories=5&per_page=20"
           "&page=1&orderby=modified&order=asc"
           "&_fields=id,link,title,content,date_gmt,modified_gmt,author,_links,_embedded"
           "&_embed=author");
    free(u);
    source_json_mapping m = {.items = "", .paginate = JSON_PAGINATE_PAGE, .page_param = "pg"};
    assert_int_equal(
        source_first_url("https://api.example.io/list#frag", FA_SOURCE_JSON, &m, NULL, &u), 0);
    assert_string_equal(u, "https://api.example.io/list?pg=1");
    free(u);
    m.paginate = JSON_PAGINATE_CURSOR;
    assert_int_equal(
        source_first_url("https://api.example.io/list?a=b", FA_SOURCE_JSON, &m, NULL, &u), 0);
    assert_string_equal(u, "https://api.example.io/list?a=b");
    free(u);
    assert_int_equal(source_first_url(NULL, FA_SOURCE_RSS, NULL, NULL, &u), FA_EINVAL);
    assert_int_equal(source_url_with_param("https://x/?a=1&page=2&b", "page", "3", &u), 0);
    assert_string_equal(u, "https://x/?a=1&page=3&b");
    free(u);
    assert_int_equal(source_url_with_param("https://x/p?", "q", "a b&c", &u), 0);
    assert_string_equal(u, "https://x/p?q=a%20b%26c");
    free(u);
    assert_string_equal(fa_source_kind_name(FA_SOURCE_OPML), "opml");
    assert_null(fa_source_kind_name((enum fa_source_kind)99));
}

static void misc_api(void **state)
{
    (void)state;
    assert_null(source_parser_new(NULL, NULL, NULL));
    source_parser_free(NULL);
    assert_string_equal(source_parser_kind_name(NULL), "unknown");
    assert_string_equal(source_parser_error(NULL), "");
    assert_int_equal(source_parser_push(NULL, "x", 1), FA_EINVAL);
    assert_int_equal(source_parser_finish(NULL), FA_EINVAL);
    feed_parser_stats st;
    source_parser_get_stats(NULL, &st);
    assert_int_equal(st.items, 0);
    /* no callbacks at all, no URL */
    source_parser_options o = {0};
    source_parser *p = source_parser_new(&o, NULL, NULL);
    assert_non_null(p);
    const char body[] = "[{\"id\":1,\"link\":\"/a\",\"title\":{\"rendered\":\"t\"}}]";
    assert_int_equal(source_parser_push(p, body, sizeof body - 1), 0);
    assert_int_equal(source_parser_finish(p), 1);
    assert_int_equal(source_parser_push(p, body, 1), FA_EINVAL); /* after finish */
    source_parser_get_stats(p, &st);
    assert_int_equal(st.items, 1);
    source_parser_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(xml_feeds_auto),
        cmocka_unit_test(charset_from_header),
        cmocka_unit_test(jsonfeed),
        cmocka_unit_test(wordpress),
        cmocka_unit_test(wordpress_400_past_the_end),
        cmocka_unit_test(json_mapped_and_unexpected_types),
        cmocka_unit_test(json_ceilings),
        cmocka_unit_test(sitemaps),
        cmocka_unit_test(gzipped_sitemap),
        cmocka_unit_test(opml),
        cmocka_unit_test(opml_expansion),
        cmocka_unit_test(autodiscovery),
        cmocka_unit_test(detection),
        cmocka_unit_test(first_urls),
        cmocka_unit_test(misc_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
