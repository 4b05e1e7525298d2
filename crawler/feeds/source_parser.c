/*
 * source_parser.c - every kind of source response through one interface;
 * see source_parser.h for the contract and docs/FEEDS.md for the formats.
 *
 * The body goes through up to four stages, each streaming:
 *
 *   bytes --[gunzip if 1f 8b]--> [charset: decided once, decoded to UTF-8]
 *   --> [sniff: hold the start until the kind is known] --> one of: feed_parser (RSS/RDF/Atom),
 * json_items (JSON Feed, WordPress, mapped JSON), sitemap_parser, opml_parser, feed_discover (HTML
 * autodiscovery)
 *
 * 1. Gzip.  The crawler undoes Content-Encoding, but a sitemap.xml.gz
 *    served as application/x-gzip or octet-stream arrives compressed.  The
 *    first two bytes decide; a gzip body is inflated with zlib (several
 *    members allowed; bytes after the last one that are no gzip member are
 *    ignored) in OUT_CHUNK pieces, and the inflated total is held
 *    to max_inflated_bytes.
 *
 * 1b. Charset.  common/fa_charset decides the encoding from
 *    the BOM, the Content-Type charset, the XML declaration or meta charset
 *    and, for undeclared or plainly wrong declarations, detection; it
 *    decodes to UTF-8 (invalid sequences replaced), so every parser below
 *    reads UTF-8 and is told to ignore the declarations in the body.  The
 *    decision is kept for the caller (source_parser_charset).
 *
 * 2. Sniffing.  An explicit format goes straight to its parser.  With
 *    AUTO the start of the body is held (at most SNIFF_MAX bytes) until it
 *    shows what it is: '{' or '[' after an optional BOM and whitespace is
 *    JSON; '<' is XML or HTML, and a small scanner skips the prolog (XML
 *    declaration, processing instructions, comments, a doctype with its
 *    internal subset) to read the root element's name: rss, RDF, feed,
 *    channel -> feed_parser; urlset, sitemapindex -> sitemap; opml ->
 *    OPML; html or <!doctype html> -> autodiscovery.  UTF-16 bodies and
 *    anything undecided go to feed_parser, whose error then says what the
 *    body was not.  A URL with /wp-json/ in it means WordPress.
 *
 * 3. After the body, finish() turns what the parsers saw into the outcome:
 *    WordPress's error object (400 rest_post_invalid_page_number past the
 *    last page is a clean end), JSON Feed's version check under AUTO,
 *    autodiscovered links, and the next page, decided per source kind:
 *      WordPress   page+1 while page < X-WP-TotalPages (or, without that
 *                  header, Link rel=next, or a full page of per_page posts)
 *      JSON page   page+1 while a page brings items
 *      JSON next   the URL at the next_url pointer, resolved
 *      JSON link   Link: <...>; rel="next", resolved
 *      JSON cursor cursor_param=<value at the cursor pointer> while items come
 *      JSON Feed   the feed's own next_url
 *    and never from page max_pages on, and never the URL just fetched.
 */
#include "crawler/feeds/source_parser.h"

#include "common/fa_buf.h"
#include "common/fa_charset.h"
#include "common/fa_err.h"
#include "crawler/feeds/feed_discover.h"
#include "crawler/feeds/json_items.h"
#include "crawler/feeds/opml.h"
#include "crawler/feeds/sitemap.h"

#include <libxml/uri.h>
#include <zlib.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SNIFF_MAX ((size_t)64 << 10)
#define OUT_CHUNK ((size_t)64 << 10)
#define MAX_HEADER_VALUE 8192
#define MAX_NAME 64

enum target { T_NONE, T_FEED, T_JSON, T_SITEMAP, T_OPML, T_HTML };

/* What each reader of the source-kind table starts (T_NONE: the bytes
 * decide), and how json_items reads a JSON body. */
static const struct reader_start {
    enum target t;
    enum json_flavor flavor;
} readers[] = {
    [FA_READER_SNIFF] = {T_NONE, JSON_FLAVOR_AUTO},
    [FA_READER_XML_FEED] = {T_FEED, JSON_FLAVOR_AUTO},
    [FA_READER_JSON_FEED] = {T_JSON, JSON_FLAVOR_JSONFEED},
    [FA_READER_WORDPRESS] = {T_JSON, JSON_FLAVOR_WORDPRESS},
    [FA_READER_JSON_MAPPED] = {T_JSON, JSON_FLAVOR_MAPPED},
    [FA_READER_SITEMAP] = {T_SITEMAP, JSON_FLAVOR_AUTO},
    [FA_READER_OPML] = {T_OPML, JSON_FLAVOR_AUTO},
};

/* Where the sniffer stopped for want of bytes, so that the next push goes
 * on from there instead of reading the held prefix again (a 64 KiB
 * "<!DOCTYPE x [aaa..." pushed a byte at a time once cost 2 G steps). */
typedef struct sniff_scan {
    size_t lead;     /* BOM and whitespace before the first byte that counts */
    size_t i;        /* root_name: start of the construct being read */
    int kind;        /* 0 (between constructs), '?' PI, '-' comment, 'D' doctype, 'N' name */
    size_t k;        /* how far inside the construct the scan got */
    int bracket;     /* doctype: depth of [internal subset] */
    char quote;      /* doctype: the quote open, or 0 */
    size_t w, colon; /* name: length so far, and just past its last ':' */
    char name[MAX_NAME];
} sniff_scan;

enum watch { W_VERSION, W_NEXT, W_CURSOR, W_CODE, W_MESSAGE, W_COUNT };

struct source_parser {
    source_parser_options o;
    char *url;
    source_parser_callbacks cb;
    void *ud;

    /* response */
    long status;
    char *charset;
    long wp_total_pages, wp_total;
    char *link_next;

    /* gzip */
    int gz_checked, gz, z_ready, z_ended;
    unsigned gz_members; /* gzip members inflated to their end */
    unsigned char gz_hold[2];
    size_t gz_hold_len;
    z_stream z;
    unsigned char *zout;
    uint64_t inflated, max_inflated;

    /* charset */
    fa_charset_decoder *cs;

    /* sniffing and the parser chosen */
    fa_buf sniff;
    sniff_scan scan; /* how far sniffing got: each held byte is read once */
    enum target t;
    enum fa_source_reader reader; /* the table's, for o.format */
    int auto_json;                /* JSON flavor left to the shape */
    feed_parser *fp;
    json_items *ji;
    sitemap_parser *sm;
    opml_parser *op;
    feed_discover *fd;
    int watch[W_COUNT];

    int rc;
    int finished, finish_rc;
    char err[320];
    unsigned items;
    feed_parser_stats extra; /* stats of non-feed parsers */
};

static int fail(source_parser *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(source_parser *p, int code, const char *fmt, ...)
{
    if (p->rc == 0) {
        p->rc = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err, sizeof p->err, fmt, ap);
        va_end(ap);
    }
    return p->rc;
}

/* ---- URLs ---- */

static char *resolve(const char *base, const char *u)
{
    if (base == NULL || *u == '\0') return strdup(u);
    xmlChar *r = xmlBuildURI((const xmlChar *)u, (const xmlChar *)base);
    if (r == NULL) return strdup(u);
    char *out = strdup((const char *)r);
    xmlFree(r);
    return out;
}

/* The value of query parameter name in url (not decoded), or NULL.  The
 * query ends at the fragment, and a '?' inside the fragment starts none. */
static const char *param_find(const char *url, const char *name, size_t *len)
{
    const char *q = memchr(url, '?', strcspn(url, "#"));
    if (q == NULL) return NULL;
    size_t nl = strlen(name);
    const char *s = q + 1;
    while (*s && *s != '#') {
        size_t plen = strcspn(s, "&#");
        const char *eq = memchr(s, '=', plen);
        size_t klen = eq ? (size_t)(eq - s) : plen;
        if (klen == nl && memcmp(s, name, nl) == 0) {
            const char *v = eq ? eq + 1 : s + plen;
            *len = (size_t)(s + plen - v);
            return v;
        }
        s += plen;
        if (*s == '&') s++;
    }
    return NULL;
}

static int put_encoded(fa_buf *b, const char *v, int encode)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *s = (const unsigned char *)v; *s; s++) {
        char e[3];
        if (!encode || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
            (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == '_' || *s == '~') {
            if (fa_buf_append(b, s, 1) < 0) return FA_ENOMEM;
            continue;
        }
        e[0] = '%';
        e[1] = hex[(unsigned)*s >> 4];
        e[2] = hex[(unsigned)*s & 15u];
        if (fa_buf_append(b, e, 3) < 0) return FA_ENOMEM;
    }
    return 0;
}

static int set_param(const char *url, const char *name, const char *value, int encode, char **out)
{
    *out = NULL;
    if (url == NULL || name == NULL || value == NULL) return FA_EINVAL;
    size_t ulen = strcspn(url, "#");
    fa_buf b;
    fa_buf_init(&b, ulen + strlen(name) + 3 * strlen(value) + 8);
    size_t vlen;
    const char *v = param_find(url, name, &vlen);
    int rc;
    if (v != NULL) {
        rc = fa_buf_append(&b, url, (size_t)(v - url));
        const char *eq = v - 1;
        if (rc == 0 && *eq != '=') rc = fa_buf_puts(&b, "=");
        if (rc == 0) rc = put_encoded(&b, value, encode);
        if (rc == 0) rc = fa_buf_append(&b, v + vlen, (size_t)(url + ulen - (v + vlen)));
    } else {
        rc = fa_buf_append(&b, url, ulen);
        const char *q = memchr(url, '?', ulen);
        char last = ulen ? url[ulen - 1] : (char)0;
        if (rc == 0)
            rc = fa_buf_puts(&b, q == NULL ? "?" : (last == '?' || last == '&') ? "" : "&");
        if (rc == 0) rc = fa_buf_printf(&b, "%s=", name);
        if (rc == 0) rc = put_encoded(&b, value, encode);
    }
    if (rc < 0) {
        fa_buf_free(&b);
        return FA_ENOMEM;
    }
    *out = fa_buf_steal(&b, NULL);
    fa_buf_free(&b);
    return 0;
}

int source_url_with_param(const char *url, const char *name, const char *value, char **out)
{
    if (out == NULL) return FA_EINVAL;
    return set_param(url, name, value, 1, out);
}

/* Sets name=value in *url unless it is there already (or always, when
 * force).  Returns 0 or FA_ENOMEM. */
static int ensure_param(char **url, const char *name, const char *value, int encode, int force)
{
    size_t len;
    if (!force && param_find(*url, name, &len) != NULL) return 0;
    char *n;
    int rc = set_param(*url, name, value, encode, &n);
    if (rc < 0) return rc;
    free(*url);
    *url = n;
    return 0;
}

int source_first_url(const char *config_url, enum fa_source_kind f, const source_json_mapping *json,
                     const char *since_rfc3339, char **out)
{
    if (out == NULL) return FA_EINVAL;
    *out = NULL;
    if (config_url == NULL) return FA_EINVAL;
    char *u = NULL;
    int rc = 0;
    if (f == FA_SOURCE_WORDPRESS) {
        if (strstr(config_url, "/wp-json/") != NULL) {
            u = strdup(config_url);
        } else {
            size_t n = strcspn(config_url, "?#");
            while (n > 0 && config_url[n - 1] == '/')
                n--;
            fa_buf b;
            fa_buf_init(&b, n + 256);
            rc = fa_buf_append(&b, config_url, n);
            if (rc == 0) rc = fa_buf_puts(&b, "/wp-json/wp/v2/posts");
            u = rc == 0 ? fa_buf_steal(&b, NULL) : NULL;
            fa_buf_free(&b);
        }
        if (u == NULL) return FA_ENOMEM;
        char per_page[16];
        snprintf(per_page, sizeof per_page, "%u", SOURCE_WP_PER_PAGE);
        rc = ensure_param(&u, "per_page", per_page, 1, 0);
        if (rc == 0) rc = ensure_param(&u, "page", "1", 1, 1);
        if (rc == 0) rc = ensure_param(&u, "orderby", "modified", 1, 0);
        if (rc == 0) rc = ensure_param(&u, "order", "asc", 1, 0);
        if (rc == 0) rc = ensure_param(&u, "_fields", SOURCE_WP_FIELDS, 0, 0);
        /* the author's name comes embedded (json_items reads
         * _embedded.author[0].name); WordPress embeds only with _links */
        if (rc == 0) rc = ensure_param(&u, "_embed", "author", 0, 0);
        if (rc == 0 && since_rfc3339 != NULL)
            rc = ensure_param(&u, "modified_after", since_rfc3339, 1, 1);
    } else if (f == FA_SOURCE_JSON && json != NULL && json->paginate == JSON_PAGINATE_PAGE) {
        u = strdup(config_url);
        if (u == NULL) return FA_ENOMEM;
        rc = ensure_param(&u, json->page_param ? json->page_param : "page", "1", 1, 1);
    } else {
        u = strdup(config_url);
        if (u == NULL) return FA_ENOMEM;
    }
    if (rc < 0) {
        free(u);
        return rc;
    }
    *out = u;
    return 0;
}

/* ---- callbacks from the parsers ---- */

static int on_item(void *ud, const feed_item *it)
{
    source_parser *p = ud;
    p->items++;
    return p->cb.item ? p->cb.item(p->ud, it) : 0;
}

static int report(source_parser *p, enum source_link_kind kind, const char *url, const char *title)
{
    return p->cb.link ? p->cb.link(p->ud, kind, url, title ? title : "") : 0;
}

static int on_child(void *ud, const char *url)
{
    return report(ud, SOURCE_LINK_SITEMAP, url, "");
}

static int on_outline(void *ud, const opml_outline *o)
{
    return report(ud, SOURCE_LINK_FEED, o->xml_url, o->title);
}

/* ---- creating the parser for the kind found ---- */

static int start_json(source_parser *p, enum json_flavor flavor)
{
    const source_json_mapping *m = p->o.json;
    json_items_fields fields = {0};
    if (flavor == JSON_FLAVOR_MAPPED)
        fields = (json_items_fields){m->id,      m->url,     m->title,   m->date,
                                     m->updated, m->content, m->summary, m->author};
    p->ji = json_items_new(flavor, flavor == JSON_FLAVOR_MAPPED ? m->items : NULL, &fields, p->url,
                           &p->o.limits, on_item, p);
    if (p->ji == NULL) return fail(p, FA_ENOMEM, "out of memory");
    for (int i = 0; i < W_COUNT; i++)
        p->watch[i] = -1;
    if (flavor == JSON_FLAVOR_MAPPED) {
        if (m->next_url) p->watch[W_NEXT] = json_items_watch(p->ji, m->next_url);
        if (m->cursor) p->watch[W_CURSOR] = json_items_watch(p->ji, m->cursor);
    } else {
        p->watch[W_VERSION] = json_items_watch(p->ji, "/version");
        p->watch[W_NEXT] = json_items_watch(p->ji, "/next_url");
        p->watch[W_CODE] = json_items_watch(p->ji, "/code");
        p->watch[W_MESSAGE] = json_items_watch(p->ji, "/message");
    }
    for (int i = 0; i < W_COUNT; i++)
        if (p->watch[i] == FA_EINVAL)
            return fail(p, FA_EINVAL, "invalid JSON Pointer in the mapping");
    p->t = T_JSON;
    return 0;
}

static int start_target(source_parser *p, enum target t)
{
    const feed_parser_limits *lim = &p->o.limits;
    switch (t) {
    case T_FEED:
        p->fp = feed_parser_new(p->url, lim, on_item, p);
        if (p->fp == NULL) return fail(p, FA_ENOMEM, "out of memory");
        feed_parser_set_utf8_input(p->fp); /* decoded by the charset stage */
        break;
    case T_SITEMAP:
        p->sm = sitemap_parser_new(p->url, lim, on_item, on_child, p);
        if (p->sm == NULL) return fail(p, FA_ENOMEM, "out of memory");
        sitemap_parser_set_utf8_input(p->sm);
        break;
    case T_OPML:
        p->op = opml_parser_new(p->url, lim->max_depth, on_outline, p);
        if (p->op == NULL) return fail(p, FA_ENOMEM, "out of memory");
        opml_parser_set_utf8_input(p->op);
        break;
    case T_HTML:
        p->fd = feed_discover_new(p->url);
        if (p->fd == NULL) return fail(p, FA_ENOMEM, "out of memory");
        feed_discover_set_utf8_input(p->fd);
        break;
    case T_JSON: {
        enum json_flavor fl = readers[p->reader].flavor;
        p->auto_json = fl == JSON_FLAVOR_AUTO;
        return start_json(p, fl);
    }
    default:
        break;
    }
    p->t = t;
    return p->rc;
}

/* ---- sniffing ---- */

static int ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

static const unsigned char *find(const unsigned char *s, size_t n, const char *what)
{
    size_t w = strlen(what);
    for (size_t i = 0; i + w <= n; i++)
        if (memcmp(s + i, what, w) == 0) return s + i;
    return NULL;
}

/* Reads the root element's local name past the prolog, going on from
 * where st says the last call stopped (s and the bytes before n are the
 * same as then, with more after).  Returns 1 (name set), 0 (need more
 * bytes; st remembers how far it got), -1 (not XML as expected). */
static int root_name(const unsigned char *s, size_t n, sniff_scan *st, char name[MAX_NAME])
{
    size_t i = st->i;
    for (;;) {
        if (st->kind == 0) {
            while (i < n && ws(s[i]))
                i++;
            st->i = i;
            if (i == n) return 0;
            if (s[i] != '<') return -1;
            if (n - i < 2) return 0;
            if (s[i + 1] == '?') {
                st->kind = '?';
                st->k = i + 2;
            } else if (s[i + 1] == '!') {
                if (n - i < 4) return 0;
                if (memcmp(s + i, "<!--", 4) == 0) {
                    st->kind = '-';
                    st->k = i + 4;
                } else {
                    if (n - i < 15) return 0;
                    if (strncasecmp((const char *)s + i, "<!doctype html", 14) == 0 &&
                        (ws(s[i + 14]) || s[i + 14] == '>')) {
                        memcpy(name, "html", 5);
                        return 1;
                    }
                    /* another doctype: skip to its '>' past any [internal subset] */
                    st->kind = 'D';
                    st->k = i + 2;
                    st->bracket = 0;
                    st->quote = 0;
                }
            } else {
                st->kind = 'N';
                st->k = i + 1;
                st->w = st->colon = 0;
            }
        }
        if (st->kind == '?' || st->kind == '-') {
            const char *end = st->kind == '?' ? "?>" : "-->";
            size_t el = strlen(end);
            const unsigned char *e = find(s + st->k, n - st->k, end);
            if (e == NULL) {
                /* no match starts before n - el + 1: go on from there */
                if (n - st->k >= el) st->k = n - el + 1;
                return 0;
            }
            i = (size_t)(e - s) + el;
        } else if (st->kind == 'D') {
            size_t k = st->k;
            for (; k < n; k++) {
                char c = (char)s[k];
                if (st->quote) {
                    if (c == st->quote) st->quote = 0;
                } else if (c == '"' || c == '\'') {
                    st->quote = c;
                } else if (c == '[') {
                    st->bracket++;
                } else if (c == ']') {
                    st->bracket--;
                } else if (c == '>' && st->bracket <= 0) {
                    break;
                }
            }
            st->k = k;
            if (k == n) return 0;
            i = k + 1;
        } else {
            size_t k = st->k;
            while (k < n && !ws(s[k]) && s[k] != '>' && s[k] != '/') {
                if (s[k] == ':') st->colon = st->w + 1;
                if (st->w < MAX_NAME - 1) st->name[st->w++] = (char)s[k];
                k++;
            }
            st->k = k;
            if (k == n) return 0;
            st->name[st->w] = '\0';
            memcpy(name, st->name + st->colon, st->w - st->colon + 1);
            return 1;
        }
        st->kind = 0;
        st->i = i;
    }
}

/* Decides what the held bytes are; at_end when no more will come.
 * Returns 0 (decided, or more needed) or a negative code. */
static int decide(source_parser *p, int at_end)
{
    const unsigned char *s = (const unsigned char *)p->sniff.data;
    size_t n = p->sniff.len;
    if (n < 3 && !at_end && n > 0 && s[0] == 0xEF) return 0; /* a BOM, maybe */
    if (readers[p->reader].t != T_NONE) return start_target(p, readers[p->reader].t);
    if (n >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF) ||
                   (s[0] == 0 && s[1] == '<') || (s[0] == '<' && s[1] == 0)))
        return start_target(p, T_FEED); /* UTF-16: feed_parser knows it */
    sniff_scan *st = &p->scan;
    size_t i = st->lead;
    if (i == 0 && n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) i = 3;
    while (i < n && ws(s[i]))
        i++;
    st->lead = i;
    if (i == n) {
        if (!at_end && n < SNIFF_MAX) return 0;
        return fail(p, FA_EPARSE, "empty body");
    }
    if (s[i] == '{' || s[i] == '[') return start_target(p, T_JSON);
    if (s[i] != '<') return start_target(p, T_FEED);
    char name[MAX_NAME];
    int r = root_name(s + i, n - i, st, name);
    if (r == 0 && !at_end && n < SNIFF_MAX) return 0;
    if (r <= 0) return start_target(p, T_FEED);
    if (strcasecmp(name, "html") == 0) return start_target(p, T_HTML);
    if (strcmp(name, "urlset") == 0 || strcmp(name, "sitemapindex") == 0)
        return start_target(p, T_SITEMAP);
    if (strcmp(name, "opml") == 0) return start_target(p, T_OPML);
    return start_target(p, T_FEED);
}

/* Hands bytes to the chosen parser. */
static int dispatch(source_parser *p, const void *d, size_t len)
{
    int rc = 0;
    const char *why = NULL;
    switch (p->t) {
    case T_FEED:
        rc = feed_parser_push(p->fp, d, len);
        why = feed_parser_error(p->fp);
        break;
    case T_JSON:
        rc = json_items_push(p->ji, d, len);
        why = json_items_error(p->ji);
        break;
    case T_SITEMAP:
        rc = sitemap_parser_push(p->sm, d, len);
        why = sitemap_parser_error(p->sm);
        break;
    case T_OPML:
        rc = opml_parser_push(p->op, d, len);
        why = opml_parser_error(p->op, NULL);
        break;
    case T_HTML:
        rc = feed_discover_push(p->fd, d, len);
        why = "out of memory";
        break;
    default:
        return 0;
    }
    if (rc < 0) return fail(p, rc, "%s", why && *why ? why : fa_strerror(rc));
    return 0;
}

/* Dispatches the bytes held while sniffing (without a UTF-8 BOM for
 * JSON: yajl refuses one). */
static int dispatch_held(source_parser *p)
{
    const unsigned char *s = (const unsigned char *)p->sniff.data;
    size_t n = p->sniff.len, skip = 0;
    if (p->t == T_JSON && n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) skip = 3;
    int rc = n > skip ? dispatch(p, s + skip, n - skip) : 0;
    p->sniff.len = 0;
    return rc;
}

/* UTF-8 after the charset stage: held while sniffing, then dispatched. */
static int deliver_utf8(source_parser *p, const void *d, size_t len)
{
    if (p->t != T_NONE) return dispatch(p, d, len);
    size_t room = SNIFF_MAX - p->sniff.len;
    size_t take = len < room ? len : room;
    if (fa_buf_append(&p->sniff, d, take) < 0) return fail(p, FA_ENOMEM, "out of memory");
    int rc = decide(p, 0);
    if (rc < 0) return rc;
    if (p->t == T_NONE) return 0;
    rc = dispatch_held(p);
    if (rc < 0 || take == len) return rc;
    return dispatch(p, (const char *)d + take, len - take);
}

/* ---- charset ---- */

static int on_decoded(void *ud, const char *s, size_t n)
{
    source_parser *p = ud;
    int rc = deliver_utf8(p, s, n);
    return rc < 0 ? rc : p->rc;
}

static int charset_start(source_parser *p)
{
    if (p->cs != NULL) return 0;
    fa_charset_options co = {.http_charset = p->charset};
    p->cs = fa_charset_decoder_new(&co, on_decoded, p);
    return p->cs ? 0 : fail(p, FA_ENOMEM, "out of memory");
}

/* Bytes after gunzip: into the charset decoder. */
static int deliver(source_parser *p, const void *d, size_t len)
{
    int rc = charset_start(p);
    if (rc < 0) return rc;
    rc = fa_charset_push(p->cs, d, len);
    return rc < 0 ? fail(p, rc, "out of memory") : 0;
}

/* ---- gzip ---- */

static int inflate_some(source_parser *p, const unsigned char *d, size_t len)
{
    p->z.next_in = (Bytef *)d;
    p->z.avail_in = (uInt)len;
    while (p->z.avail_in > 0 && !p->z_ended) {
        p->z.next_out = p->zout;
        p->z.avail_out = (uInt)OUT_CHUNK;
        int zr = inflate(&p->z, Z_NO_FLUSH);
        size_t out = OUT_CHUNK - p->z.avail_out;
        if (zr == Z_DATA_ERROR && p->gz_members > 0 && p->z.total_out == 0) {
            p->z_ended = 1; /* not another member: trailing bytes, ignored */
            break;
        }
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
            return fail(p, FA_EPARSE, "gzip: %s", p->z.msg ? p->z.msg : "corrupt data");
        p->inflated += out;
        if (p->inflated > p->max_inflated)
            return fail(p, FA_ETOOBIG, "gzip: inflated body larger than %llu bytes",
                        (unsigned long long)p->max_inflated);
        if (out > 0) {
            int rc = deliver(p, p->zout, out);
            if (rc < 0) return rc;
        }
        if (zr == Z_STREAM_END) {
            /* another gzip member may follow (in this chunk or the next);
             * anything else fails its header check and is ignored above */
            p->gz_members++;
            inflateReset(&p->z);
        } else if (zr == Z_BUF_ERROR && out == 0) {
            break;
        }
    }
    return 0;
}

static int gz_check(source_parser *p, int at_end)
{
    p->gz_checked = 1;
    if (p->gz_hold_len == 2 && p->gz_hold[0] == 0x1f && p->gz_hold[1] == 0x8b) {
        p->gz = 1;
        p->zout = malloc(OUT_CHUNK);
        if (p->zout == NULL || inflateInit2(&p->z, 16 + MAX_WBITS) != Z_OK)
            return fail(p, FA_ENOMEM, "out of memory");
        p->z_ready = 1;
        return inflate_some(p, p->gz_hold, 2);
    }
    return p->gz_hold_len ? deliver(p, p->gz_hold, p->gz_hold_len) : 0;
}

/* ---- public interface ---- */

source_parser *source_parser_new(const source_parser_options *o, const source_parser_callbacks *cb,
                                 void *ud)
{
    if (o == NULL) return NULL;
    const fa_source_kind_info *kind = fa_source_kind_get(o->format);
    if (kind == NULL) return NULL;
    if ((kind->flags & FA_SOURCE_MAPPED) &&
        (o->json == NULL || o->json->items == NULL || !json_pointer_valid(o->json->items)))
        return NULL;
    source_parser *p = calloc(1, sizeof *p);
    if (p == NULL) return NULL;
    p->o = *o;
    if (cb != NULL) p->cb = *cb;
    p->ud = ud;
    p->status = 200;
    p->max_inflated = o->max_inflated_bytes ? o->max_inflated_bytes : SOURCE_DEFAULT_MAX_INFLATED;
    fa_buf_init(&p->sniff, SNIFF_MAX);
    if (o->url != NULL && (p->url = strdup(o->url)) == NULL) {
        free(p);
        return NULL;
    }
    p->o.url = p->url;
    p->o.format = fa_source_kind_for_url(p->o.format, p->url);
    p->reader = fa_source_kind_get(p->o.format)->reader;
    return p;
}

/* Copies a header value (trimmed) into a malloc'd string. */
static char *header_value(const char *v, size_t len)
{
    while (len > 0 && ws((unsigned char)*v)) {
        v++;
        len--;
    }
    while (len > 0 && ws((unsigned char)v[len - 1]))
        len--;
    if (len > MAX_HEADER_VALUE) len = MAX_HEADER_VALUE;
    return strndup(v, len);
}

static void read_content_type(source_parser *p, const char *v)
{
    const char *c = strcasestr(v, "charset=");
    if (c == NULL) return;
    c += 8;
    if (*c == '"') c++;
    size_t n = strcspn(c, "\";, \t");
    if (n == 0 || n > 40) return;
    free(p->charset);
    p->charset = strndup(c, n);
}

/* Link: <u1>; rel="next", <u2>; rel=prev */
static void read_link(source_parser *p, const char *v)
{
    const char *s = v;
    while (p->link_next == NULL && (s = strchr(s, '<')) != NULL) {
        const char *e = strchr(s, '>');
        if (e == NULL) return;
        const char *params = e + 1;
        size_t plen = strcspn(params, ",");
        /* a ',' inside quotes is rare enough in rel values to ignore */
        const char *rel = NULL;
        for (const char *q = params; q < params + plen; q++) {
            if (strncasecmp(q, "rel=", 4) == 0) {
                rel = q + 4;
                break;
            }
        }
        if (rel != NULL) {
            int quoted = *rel == '"';
            if (quoted) rel++;
            const char *end = rel;
            while (end < params + plen && *end != (quoted ? '"' : ';') &&
                   (quoted || !ws((unsigned char)*end)))
                end++;
            for (const char *t = rel; t < end;) {
                size_t tl = strcspn(t, " \t\";");
                if (t + tl > end) tl = (size_t)(end - t);
                if (tl == 4 && strncasecmp(t, "next", 4) == 0) {
                    char *u = strndup(s + 1, (size_t)(e - s - 1));
                    if (u != NULL) {
                        p->link_next = resolve(p->url, u);
                        free(u);
                    }
                    break;
                }
                t += tl;
                while (t < end && ws((unsigned char)*t))
                    t++;
                if (tl == 0) t++;
            }
        }
        s = params + plen;
    }
}

int source_parser_response(source_parser *p, long status, const char *head, size_t head_len)
{
    if (p == NULL) return 0;
    p->status = status;
    const char *s = head, *end = head ? head + head_len : NULL;
    while (s != NULL && s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *le = nl ? nl : end;
        size_t len = (size_t)(le - s);
        if (len > 0 && s[len - 1] == '\r') len--;
        if (len >= 5 && memcmp(s, "HTTP/", 5) == 0) {
            /* a new response (after a redirect or 100): forget earlier headers */
            free(p->charset);
            free(p->link_next);
            p->charset = p->link_next = NULL;
            p->wp_total_pages = p->wp_total = 0;
        } else {
            const char *colon = memchr(s, ':', len);
            if (colon != NULL) {
                size_t nlen = (size_t)(colon - s);
                char *v = header_value(colon + 1, len - nlen - 1);
                if (v != NULL) {
                    if (nlen == 12 && strncasecmp(s, "Content-Type", 12) == 0)
                        read_content_type(p, v);
                    else if (nlen == 15 && strncasecmp(s, "X-WP-TotalPages", 15) == 0)
                        p->wp_total_pages = strtol(v, NULL, 10);
                    else if (nlen == 10 && strncasecmp(s, "X-WP-Total", 10) == 0)
                        p->wp_total = strtol(v, NULL, 10);
                    else if (nlen == 4 && strncasecmp(s, "Link", 4) == 0)
                        read_link(p, v);
                    free(v);
                }
            }
        }
        s = nl ? nl + 1 : end;
    }
    if (status >= 200 && status < 300) return 1;
    if (status == 400 && p->o.format == FA_SOURCE_WORDPRESS) return 1;
    return 0;
}

int source_parser_push(source_parser *p, const void *data, size_t len)
{
    if (p == NULL || (data == NULL && len > 0)) return FA_EINVAL;
    if (p->rc < 0) return p->rc;
    if (p->finished) return FA_EINVAL;
    const unsigned char *d = data;
    if (!p->gz_checked) {
        while (p->gz_hold_len < 2 && len > 0) {
            p->gz_hold[p->gz_hold_len++] = *d++;
            len--;
        }
        if (p->gz_hold_len < 2) return 0;
        int rc = gz_check(p, 0);
        if (rc < 0) return rc;
    }
    if (len == 0) return 0;
    return p->gz ? inflate_some(p, d, len) : deliver(p, d, len);
}

static const char *watched(const source_parser *p, enum watch w)
{
    return p->watch[w] >= 0 ? json_items_watched(p->ji, p->watch[w]) : NULL;
}

/* The number in query parameter name of the current URL, or dflt. */
static unsigned url_number(const source_parser *p, const char *name, unsigned dflt)
{
    size_t len;
    const char *v = p->url ? param_find(p->url, name, &len) : NULL;
    if (v == NULL || len == 0 || len > 9 || *v < '0' || *v > '9') return dflt;
    return (unsigned)strtoul(v, NULL, 10);
}

/* Works out and reports the next page. */
static int next_page(source_parser *p)
{
    if (p->t != T_JSON) return 0;
    const source_json_mapping *m = p->reader == FA_READER_JSON_MAPPED ? p->o.json : NULL;
    unsigned max = p->o.max_pages      ? p->o.max_pages
                   : m && m->max_pages ? m->max_pages
                                       : SOURCE_DEFAULT_MAX_PAGES;
    feed_parser_stats st;
    json_items_get_stats(p->ji, &st);
    unsigned seen = st.items + st.duplicates + st.too_big;
    enum json_flavor fl = json_items_flavor(p->ji);
    char *next = NULL;
    char num[16];
    int rc = 0;
    if (fl == JSON_FLAVOR_WORDPRESS) {
        unsigned page = p->o.page ? p->o.page : url_number(p, "page", 1);
        if (page >= max || seen == 0) return 0;
        snprintf(num, sizeof num, "%u", page + 1);
        if (p->wp_total_pages > 0) {
            if ((long)page < p->wp_total_pages) rc = set_param(p->url, "page", num, 1, &next);
        } else if (p->link_next != NULL) {
            next = strdup(p->link_next);
        } else if (seen >= url_number(p, "per_page", 10)) {
            rc = set_param(p->url, "page", num, 1, &next);
        }
    } else if (fl == JSON_FLAVOR_MAPPED && m != NULL) {
        const char *pp = m->page_param ? m->page_param : "page";
        unsigned page = p->o.page ? p->o.page : url_number(p, pp, 1);
        if (page >= max) return 0;
        const char *v;
        switch (m->paginate) {
        case JSON_PAGINATE_PAGE:
            snprintf(num, sizeof num, "%u", page + 1);
            if (seen > 0) rc = set_param(p->url, pp, num, 1, &next);
            break;
        case JSON_PAGINATE_NEXT_URL:
            if ((v = watched(p, W_NEXT)) != NULL && *v) next = resolve(p->url, v);
            break;
        case JSON_PAGINATE_LINK_HEADER:
            if (p->link_next != NULL) next = strdup(p->link_next);
            break;
        case JSON_PAGINATE_CURSOR:
            if ((v = watched(p, W_CURSOR)) != NULL && *v && seen > 0)
                rc = set_param(p->url, m->cursor_param ? m->cursor_param : "cursor", v, 1, &next);
            break;
        default:
            break;
        }
    } else if (fl == JSON_FLAVOR_JSONFEED) {
        unsigned page = p->o.page ? p->o.page : 1;
        const char *v = watched(p, W_NEXT);
        if (page < max && v != NULL && *v) next = resolve(p->url, v);
    }
    if (rc == FA_EINVAL) rc = 0; /* no URL to add a parameter to */
    if (rc < 0) return fail(p, rc, "out of memory");
    if (next == NULL) return 0;
    if (p->url == NULL || strcmp(next, p->url) != 0)
        rc = report(p, SOURCE_LINK_NEXT_PAGE, next, "");
    free(next);
    if (rc < 0) return fail(p, rc, "stopped by the link callback");
    return 0;
}

static int finish_json(source_parser *p)
{
    int n = json_items_finish(p->ji);
    enum json_flavor fl = json_items_flavor(p->ji);
    const char *code = watched(p, W_CODE);
    if (fl == JSON_FLAVOR_WORDPRESS && code != NULL && *code && !json_items_found(p->ji)) {
        if (strcmp(code, "rest_post_invalid_page_number") == 0) return 0; /* past the last page */
        const char *msg = watched(p, W_MESSAGE);
        return fail(p, FA_EFETCH, "WordPress error %s%s%s (HTTP %ld)", code, msg ? ": " : "",
                    msg ? msg : "", p->status);
    }
    if (p->status >= 300)
        return fail(p, FA_EFETCH, "HTTP %ld%s%s", p->status, n < 0 ? ": " : "",
                    n < 0 ? json_items_error(p->ji) : "");
    if (p->auto_json && fl == JSON_FLAVOR_JSONFEED) {
        const char *v = watched(p, W_VERSION);
        if (v == NULL || (strncmp(v, "https://jsonfeed.org/version/", 29) != 0 &&
                          strncmp(v, "http://jsonfeed.org/version/", 28) != 0))
            return fail(p, FA_EPARSE,
                        "a JSON object that is not a JSON Feed (no \"version\": "
                        "\"https://jsonfeed.org/version/...\"); for an API use type: json with "
                        "a mapping");
    }
    if (n < 0) return fail(p, n, "%s", json_items_error(p->ji));
    int rc = next_page(p);
    return rc < 0 ? rc : n;
}

static int finish_target(source_parser *p)
{
    int n;
    switch (p->t) {
    case T_FEED:
        n = feed_parser_finish(p->fp);
        if (n < 0) return fail(p, n, "%s", feed_parser_error(p->fp));
        return n;
    case T_JSON:
        return finish_json(p);
    case T_SITEMAP:
        n = sitemap_parser_finish(p->sm);
        if (n < 0) return fail(p, n, "%s", sitemap_parser_error(p->sm));
        return sitemap_parser_is_index(p->sm) ? 0 : n;
    case T_OPML:
        n = opml_parser_finish(p->op);
        if (n < 0) return fail(p, n, "%s", opml_parser_error(p->op, NULL));
        return 0;
    case T_HTML: {
        n = feed_discover_finish(p->fd);
        if (n < 0) return fail(p, n, "out of memory");
        if (n == 0) return fail(p, FA_EPARSE, "HTML page with no feed link");
        for (size_t i = 0; i < (size_t)n; i++) {
            const char *title;
            const char *u = feed_discover_url(p->fd, i, &title);
            int rc = report(p, SOURCE_LINK_FEED, u, title);
            if (rc < 0) return fail(p, rc, "stopped by the link callback");
        }
        return 0;
    }
    default:
        return fail(p, FA_EPARSE, "empty body");
    }
}

int source_parser_finish(source_parser *p)
{
    if (p == NULL) return FA_EINVAL;
    if (p->finished) return p->finish_rc;
    p->finished = 1;
    int rc = p->rc;
    if (rc == 0 && !p->gz_checked) rc = gz_check(p, 1);
    if (rc == 0) rc = charset_start(p);
    if (rc == 0) {
        rc = fa_charset_finish(p->cs);
        if (rc < 0) rc = fail(p, rc, "out of memory");
    }
    if (rc == 0 && p->t == T_NONE) {
        rc = decide(p, 1);
        if (rc == 0 && p->t != T_NONE) rc = dispatch_held(p);
    }
    if (rc == 0) rc = finish_target(p);
    p->finish_rc = rc;
    return rc;
}

const char *source_parser_kind_name(const source_parser *p)
{
    if (p == NULL) return "unknown";
    switch (p->t) {
    case T_FEED:
        return feed_kind_name(feed_parser_kind(p->fp));
    case T_JSON:
        switch (json_items_flavor(p->ji)) {
        case JSON_FLAVOR_JSONFEED:
            return "jsonfeed";
        case JSON_FLAVOR_WORDPRESS:
            return "wordpress";
        case JSON_FLAVOR_MAPPED:
            return "json";
        default:
            return "unknown";
        }
    case T_SITEMAP:
        return sitemap_parser_is_index(p->sm) ? "sitemapindex" : "sitemap";
    case T_OPML:
        return "opml";
    case T_HTML:
        return "html";
    default:
        return "unknown";
    }
}

const fa_charset_decision *source_parser_charset(const source_parser *p)
{
    return p && p->cs && fa_charset_decided(p->cs) ? fa_charset_decoder_decision(p->cs) : NULL;
}

const char *source_parser_error(const source_parser *p)
{
    return p ? p->err : "";
}

void source_parser_get_stats(const source_parser *p, feed_parser_stats *out)
{
    memset(out, 0, sizeof *out);
    if (p == NULL) return;
    if (p->t == T_FEED)
        feed_parser_get_stats(p->fp, out);
    else if (p->t == T_JSON)
        json_items_get_stats(p->ji, out);
    else
        out->items = p->items;
}

void source_parser_free(source_parser *p)
{
    if (p == NULL) return;
    feed_parser_free(p->fp);
    json_items_free(p->ji);
    sitemap_parser_free(p->sm);
    opml_parser_free(p->op);
    feed_discover_free(p->fd);
    fa_charset_decoder_free(p->cs);
    if (p->z_ready) inflateEnd(&p->z);
    free(p->zout);
    fa_buf_free(&p->sniff);
    free(p->charset);
    free(p->link_next);
    free(p->url);
    free(p);
}
