/*
 * feed_parser.c - RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom 0.3/1.0 as a stream;
 * see feed_parser.h for the interface.
 *
 * The bytes go through three stages.
 *
 * 1. Sniffing.  The first bytes (at most SNIFF_MAX) are held back until it is
 *    clear what they are: a UTF-8 BOM and leading whitespace (PHP templates
 *    love a blank line before "<?xml") are dropped; UTF-16 (BOM or "<\0") is
 *    passed on untouched; anything whose first character is not '<' is "not
 *    XML" at once, and "<!doctype html" or "<html" is an HTML page.  Holding
 *    back also guarantees libxml2 sees at least four bytes in its first
 *    chunk, which it needs to detect UTF-16 (given one byte it reports
 *    "Document is empty").
 *
 * 2. libxml2's push parser (xmlCreatePushParserCtxt + xmlParseChunk) with
 *    SAX2 callbacks and XML_PARSE_RECOVER | XML_PARSE_NONET.  No tree is
 *    built; the context's _private points back here (userData stays the
 *    context so libxml2's own SAX2 handlers for the DTD still work).
 *    Security: external entities and the external subset are never loaded
 *    (no XML_PARSE_NOENT / DTDLOAD, resolveEntity refuses), and libxml2's
 *    entity-amplification checks stay on (no XML_PARSE_HUGE).  On top, the
 *    text the parser hands us may not exceed EXPANSION_RATIO times the
 *    input, and the internal DTD subset is capped.  Once stopped, no
 *    entity resolves (on_get_entity): libxml2 2.9 re-parses an entity's
 *    content at every reference, in contexts xmlStopParser does not reach.
 *
 *    Two quirks of libxml2 2.9 are worked around:
 *    - After the first well-formedness error, xmlParseReference drops every
 *      entity reference, even &amp;, for the rest of the document.  The
 *      callbacks set ctxt->wellFormed back to 1 (the error is counted in
 *      the stats) so one stray '&' does not strip all later markup.
 *    - Undeclared HTML entities (&nbsp; &eacute;) are answered by the
 *      getEntity handler from feed_entities.c.  In text they are
 *      "predefined" entities, which libxml2 inlines; in attribute values
 *      libxml2 would copy only the first byte of a predefined entity, so
 *      there they are general entities, left as "&name;" in the value, and
 *      decoded with "&#38;" (libxml2's spelling of &amp; there) by
 *      feed__attr_decode.
 *
 * 3. The item state machine in the callbacks.  The root element decides
 *    the kind (and the namespace of the "core" elements); an item is an
 *    <item> (RSS, RDF) or <entry> (Atom) not inside another item.  Only
 *    direct children of the item are fields (and author/name,
 *    media:group/media:content one level deeper), so an Atom <source>'s
 *    title is not mistaken for the entry's.  A field's text goes into its
 *    own fa_buf; all of an item's buffers together are held to
 *    max_item_bytes, past which the item is dropped and counted.  Where a
 *    field has several sources, a priority decides and the first of equal
 *    priority wins (link: Atom rel="alternate" > link without rel > RSS
 *    <link> or an Atom <link> with the URL as text > an http(s) guid or
 *    Atom id).  Elements inside summary/content are serialised back to
 *    markup (Atom type="xhtml" without its wrapping <div>); inside other
 *    fields only their text counts.  On the item's end tag the fields are
 *    trimmed, dates normalised (feed_date.c), the id defaulted, duplicates
 *    (same id, by 64-bit hash) skipped, and the callback called.  The
 *    buffers are reused, so memory follows the largest item.
 *
 *    xml:base is kept as a stack of (depth, absolute base) entries, pushed
 *    only by elements that carry the attribute; links are resolved with
 *    xmlBuildURI against its top, which starts as the feed's own URL.
 *
 * References: RSS 2.0 (rssboard.org/rss-specification), RSS 1.0
 * (web.resource.org/rss/1.0/spec), RFC 4287 (Atom 1.0), the Atom 0.3
 * draft (draft-nottingham-atom-format-02), RFC 3986 section 5 (reference
 * resolution) and the XML Base recommendation.
 */
#include "crawler/feeds/feed_parser.h"
#include "common/fa_url.h"

#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "crawler/feeds/feed_date.h"
#include "crawler/feeds/feed_html.h"
#include "crawler/feeds/feed_xml.h"

#include <libxml/SAX2.h>
#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/uri.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NS_ATOM10 "http://www.w3.org/2005/Atom"
#define NS_ATOM03 "http://purl.org/atom/ns#"
#define NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_RSS10 "http://purl.org/rss/1.0/"
#define NS_RSS090 "http://my.netscape.com/rdf/simple/0.9/"
#define NS_CONTENT "http://purl.org/rss/1.0/modules/content/"
#define NS_DC "http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS "http://purl.org/dc/terms/"
#define NS_MEDIA "http://search.yahoo.com/mrss/"
#define NS_XHTML "http://www.w3.org/1999/xhtml"
#define NS_XML "http://www.w3.org/XML/1998/namespace"

#define DEFAULT_MAX_ITEM_BYTES (4u << 20)
#define DEFAULT_MAX_ITEMS 10000u
#define DEFAULT_MAX_DEPTH 256u

#define SNIFF_MAX 64             /* bytes held back while deciding what the body is */
#define SNIFF_NEED 15            /* enough to see "<!doctype html>" */
#define MAX_ENCLOSURES 32        /* per item; more are ignored */
#define MAX_BASE_LEN 8192        /* longer xml:base values are ignored */
#define MAX_ATTR_LEN 65536       /* ceiling of the attribute scratch buffer */
#define MAX_DTD_BYTES (1u << 20) /* entity text declared in the internal subset */
#define EXPANSION_RATIO 16       /* text out per byte in, beyond EXPANSION_SLACK */
#define EXPANSION_SLACK (64u << 10) /* (was 1 MiB: 0.34 s for an 866-byte feed) */
/* entity references resolved (nested ones too): one per REF_BYTES bytes
 * in, beyond REF_SLACK; entities that expand to no text escape
 * EXPANSION_RATIO, and libxml2 2.9 re-parses an entity's content at every
 * reference */
#define REF_BYTES 4 /* one reference per 4 bytes of input ("&nbsp;" is 6) */
#define REF_SLACK 1024u

enum field {
    F_ID,
    F_LINK,
    F_TITLE,
    F_AUTHOR,
    F_PUBLISHED,
    F_UPDATED,
    F_SUMMARY,
    F_CONTENT,
    F_ABOUT, /* rdf:about of an RSS 1.0 item, the id when there is no guid */
    F_COUNT
};

enum capture_mode {
    CAP_TEXT,      /* text only; nested tags ignored */
    CAP_HTML_TEXT, /* text that is HTML (Atom type="html" title): strip later */
    CAP_MARKUP,    /* text as given, nested elements serialised */
    CAP_XHTML      /* inline XHTML: text escaped, elements serialised */
};

struct base_entry {
    unsigned depth;
    char *uri; /* absolute (as far as resolvable), owned */
};

struct feed_parser {
    feed_item_cb cb;
    void *ud;
    char *base_url; /* owned, may be NULL */
    char *encoding; /* default encoding (Content-Type charset), owned, may be NULL */
    int utf8_input; /* the body is UTF-8 already: declarations ignored */
    size_t max_item_bytes;
    unsigned max_items;
    unsigned max_depth;

    xmlSAXHandler sax;
    xmlParserCtxtPtr ctxt; /* NULL while sniffing */
    enum feed_kind kind;
    char *core_ns; /* namespace of the feed's own elements; NULL = none */
    int atom03;

    int rc;   /* sticky error */
    int done; /* no more parsing wanted (max_items, libxml2 halted) */
    int finished;
    int root_seen;
    char err[256];
    char xml_err[160]; /* libxml2's first complaint */
    int fatal_code;     /* libxml2's last fatal error: the one that halts it */
    char fatal_err[160];

    /* sniffing */
    unsigned char sniff[SNIFF_MAX];
    size_t sniff_len;
    int lead_done; /* BOM check done */
    int wide;      /* UTF-16/32: passed through untouched */

    /* budget */
    uint64_t bytes_in;
    uint64_t text_out;
    uint64_t refs; /* entity references resolved */
    size_t dtd_bytes;

    /* element position */
    unsigned depth;
    struct base_entry *bases;
    size_t nbases, cap_bases;

    /* current item */
    unsigned item_depth; /* 0 = outside any item */
    int item_skip;       /* over max_item_bytes: drop at the end */
    size_t item_bytes;
    unsigned author_depth, group_depth;
    int guid_permalink;
    fa_buf f[F_COUNT];
    int f_prio[F_COUNT];
    fa_buf encl; /* URLs, each NUL-terminated */
    size_t encl_off[MAX_ENCLOSURES];
    unsigned nencl;
    char published[FEED_DATE_LEN], updated[FEED_DATE_LEN];

    /* field capture */
    int cap_field; /* -1 = none */
    unsigned cap_depth, cap_div_depth;
    enum capture_mode cap_mode;
    int cap_open_tag; /* a start tag awaits its '>' (or "/>") */

    fa_buf attr; /* scratch for one decoded attribute value */

    /* duplicates: open-addressing set of id hashes (0 = empty) */
    uint64_t *seen;
    size_t seen_cap, seen_n;

    /* HTML entities handed to libxml2, by table index: [0] text, [1] attr */
    xmlEntityPtr *entities;

    feed_parser_stats stats;
};

/* ------------------------------------------------------------------ */
/* errors */

static void halt_xml(feed_parser *p, void *ctx)
{
    if (ctx != NULL && ctx != p->ctxt) xmlStopParser((xmlParserCtxtPtr)ctx);
    if (p->ctxt != NULL) xmlStopParser(p->ctxt);
}

/* Records the first error (later ones keep the first message) and stops
 * libxml2.  Returns code. */
static int fail(feed_parser *p, void *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(feed_parser *p, void *ctx, int code, const char *fmt, ...)
{
    if (p->rc == 0) {
        p->rc = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err, sizeof p->err, fmt, ap);
        va_end(ap);
    }
    p->done = 1;
    halt_xml(p, ctx);
    return p->rc;
}

/* ------------------------------------------------------------------ */
/* small string helpers */

static int str_eq(const xmlChar *a, const char *b)
{
    return a != NULL && strcmp((const char *)a, b) == 0;
}

static int ns_eq(const xmlChar *uri, const char *ns)
{
    if (uri == NULL || ns == NULL) return uri == NULL && ns == NULL;
    return strcmp((const char *)uri, ns) == 0;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static void trim_buf(fa_buf *b)
{
    if (b->len == 0) return;
    size_t s = 0, e = b->len;
    while (s < e && is_ws(b->data[s]))
        s++;
    while (e > s && is_ws(b->data[e - 1]))
        e--;
    if (s > 0) memmove(b->data, b->data + s, e - s);
    b->len = e - s;
    b->data[b->len] = '\0';
}

static const char *buf_str(const fa_buf *b)
{
    return b->data ? b->data : "";
}

static uint64_t hash64(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *s = (const unsigned char *)a; *s; s++)
        h = (h ^ *s) * 1099511628211ULL;
    if (b != NULL) {
        h = (h ^ 0xFF) * 1099511628211ULL;
        for (const unsigned char *s = (const unsigned char *)b; *s; s++)
            h = (h ^ *s) * 1099511628211ULL;
    }
    return h ? h : 1;
}

/* Adds h to the seen set; returns 1 if it was new, 0 if already there,
 * FA_ENOMEM. */
static int seen_add(feed_parser *p, uint64_t h)
{
    if ((p->seen_n + 1) * 2 > p->seen_cap) {
        size_t ncap = p->seen_cap ? p->seen_cap * 2 : 64;
        uint64_t *ns = calloc(ncap, sizeof *ns);
        if (ns == NULL) return FA_ENOMEM;
        for (size_t i = 0; i < p->seen_cap; i++) {
            if (p->seen[i] == 0) continue;
            size_t j = (size_t)(p->seen[i] & (ncap - 1));
            while (ns[j] != 0)
                j = (j + 1) & (ncap - 1);
            ns[j] = p->seen[i];
        }
        free(p->seen);
        p->seen = ns;
        p->seen_cap = ncap;
    }
    size_t j = (size_t)(h & (p->seen_cap - 1));
    while (p->seen[j] != 0) {
        if (p->seen[j] == h) return 0;
        j = (j + 1) & (p->seen_cap - 1);
    }
    p->seen[j] = h;
    p->seen_n++;
    return 1;
}

/* ------------------------------------------------------------------ */
/* attributes: SAX2 gives (localname, prefix, URI, value, end) quintuples */

static int attr_find(const xmlChar **attrs, int n, const char *name, const char *ns,
                     const char **val, size_t *len)
{
    for (int i = 0; i < n; i++) {
        const xmlChar **a = attrs + 5 * i;
        if (str_eq(a[0], name) && ns_eq(a[2], ns)) {
            *val = (const char *)a[3];
            *len = (size_t)(a[4] - a[3]);
            return 1;
        }
    }
    return 0;
}

/* The decoded, trimmed value of an attribute in p->attr, or NULL when absent
 * (or too long). */
static const char *attr_get(feed_parser *p, const xmlChar **attrs, int n, const char *name,
                            const char *ns)
{
    const char *v;
    size_t len;
    if (!attr_find(attrs, n, name, ns, &v, &len)) return NULL;
    fa_buf_reset(&p->attr);
    if (fa_buf_append(&p->attr, v, len) < 0) return NULL;
    p->attr.len = feed__attr_decode(p->attr.data, p->attr.len);
    trim_buf(&p->attr);
    return p->attr.data;
}

/* Compares an attribute's raw value, trimmed, ASCII case-insensitively. */
static int attr_is(const xmlChar **attrs, int n, const char *name, const char *want)
{
    const char *v;
    size_t len;
    if (!attr_find(attrs, n, name, NULL, &v, &len)) return 0;
    while (len > 0 && is_ws(*v)) {
        v++;
        len--;
    }
    while (len > 0 && is_ws(v[len - 1]))
        len--;
    return len == strlen(want) && strncasecmp(v, want, len) == 0;
}

/* ------------------------------------------------------------------ */
/* URLs and xml:base */

static const char *current_base(const feed_parser *p)
{
    return p->nbases ? p->bases[p->nbases - 1].uri : p->base_url;
}

/* Resolves u against the current base; returns a malloc'd string, or NULL
 * when u should be kept as it is. */
static char *resolve_url(const feed_parser *p, const char *u)
{
    const char *base = current_base(p);
    if (base == NULL || *u == '\0') return NULL;
    xmlChar *r = xmlBuildURI((const xmlChar *)u, (const xmlChar *)base);
    if (r == NULL) return NULL;
    char *out = strdup((const char *)r);
    xmlFree(r);
    return out;
}

static int push_base(feed_parser *p, const char *value)
{
    if (strlen(value) > MAX_BASE_LEN) return 0;
    char *abs = resolve_url(p, value);
    if (abs == NULL) abs = strdup(value);
    if (abs == NULL) return FA_ENOMEM;
    if (p->nbases == p->cap_bases) {
        size_t ncap = p->cap_bases ? p->cap_bases * 2 : 8;
        struct base_entry *nb = realloc(p->bases, ncap * sizeof *nb);
        if (nb == NULL) {
            free(abs);
            return FA_ENOMEM;
        }
        p->bases = nb;
        p->cap_bases = ncap;
    }
    p->bases[p->nbases].depth = p->depth;
    p->bases[p->nbases].uri = abs;
    p->nbases++;
    return 0;
}

/* ------------------------------------------------------------------ */
/* item fields */

static void item_too_big(feed_parser *p)
{
    p->item_skip = 1;
    p->cap_field = -1;
}

/* Appends to a field, within the item's budget. */
static void field_append(feed_parser *p, int f, const char *s, size_t len)
{
    if (p->item_skip || len == 0) return;
    if (len > p->max_item_bytes - p->item_bytes) {
        item_too_big(p);
        return;
    }
    int rc = fa_buf_append(&p->f[f], s, len);
    if (rc == FA_ETOOBIG) {
        item_too_big(p);
        return;
    }
    if (rc < 0) {
        fail(p, NULL, rc, "out of memory");
        return;
    }
    p->item_bytes += len;
}

static void field_clear(feed_parser *p, int f)
{
    p->item_bytes -= p->f[f].len;
    fa_buf_reset(&p->f[f]);
}

static void field_set(feed_parser *p, int f, int prio, const char *s)
{
    field_clear(p, f);
    p->f_prio[f] = prio;
    field_append(p, f, s, strlen(s));
}

/* Sets a URL field, resolved against the current base. */
static void field_set_url(feed_parser *p, int f, int prio, const char *u)
{
    char *abs = resolve_url(p, u);
    field_set(p, f, prio, abs ? abs : u);
    free(abs);
}

static void add_enclosure(feed_parser *p, const char *u)
{
    if (u == NULL || *u == '\0' || p->nencl == MAX_ENCLOSURES || p->item_skip) return;
    char *abs = resolve_url(p, u);
    const char *s = abs ? abs : u;
    size_t len = strlen(s);
    for (unsigned i = 0; i < p->nencl; i++) {
        if (strcmp(p->encl.data + p->encl_off[i], s) == 0)
            goto out; /* same file as <enclosure> and <media:content> */
    }
    if (len + 1 > p->max_item_bytes - p->item_bytes) {
        item_too_big(p);
        goto out;
    }
    size_t off = p->encl.len;
    int rc = fa_buf_append(&p->encl, s, len + 1);
    if (rc < 0) {
        if (rc == FA_ETOOBIG)
            item_too_big(p);
        else
            fail(p, NULL, rc, "out of memory");
        goto out;
    }
    p->item_bytes += len + 1;
    p->encl_off[p->nencl++] = off;
out:
    free(abs);
}

static void capture_begin(feed_parser *p, int f, int prio, enum capture_mode mode)
{
    field_clear(p, f);
    p->f_prio[f] = prio;
    p->cap_field = f;
    p->cap_depth = p->depth;
    p->cap_mode = mode;
    p->cap_div_depth = 0;
    p->cap_open_tag = 0;
}

static void capture_end(feed_parser *p)
{
    int f = p->cap_field;
    p->cap_field = -1;
    if (p->item_skip) return;
    fa_buf *b = &p->f[f];
    if (p->cap_mode == CAP_HTML_TEXT && b->len > 0) {
        size_t old = b->len;
        b->len = feed__html_to_text(b->data, b->len);
        p->item_bytes -= old - b->len;
    }
    if (f == F_LINK) {
        trim_buf(b);
        char *abs = resolve_url(p, buf_str(b));
        if (abs != NULL) {
            int prio = p->f_prio[f];
            field_set(p, f, prio, abs);
            free(abs);
        }
    }
}

static void close_open_tag(feed_parser *p)
{
    if (p->cap_open_tag) {
        p->cap_open_tag = 0;
        field_append(p, p->cap_field, ">", 1);
    }
}

/* Appends text, escaping & < > (and " when quot) for XHTML output. */
static void append_escaped(feed_parser *p, const char *s, size_t len, int quot)
{
    int f = p->cap_field;
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = quot ? "&quot;" : NULL;
            break;
        default:
            break;
        }
        if (rep == NULL) continue;
        field_append(p, f, s + run, i - run);
        field_append(p, f, rep, strlen(rep));
        run = i + 1;
    }
    field_append(p, f, s + run, len - run);
}

/* An element inside a captured field. */
static void capture_element_start(feed_parser *p, const xmlChar *localname, const xmlChar *prefix,
                                  const xmlChar *uri, int nattr, const xmlChar **attrs)
{
    if (p->cap_mode == CAP_TEXT || p->cap_mode == CAP_HTML_TEXT) return;
    if (p->cap_mode == CAP_XHTML && p->depth == p->cap_depth + 1 && p->cap_div_depth == 0 &&
        str_eq(localname, "div") && ns_eq(uri, NS_XHTML)) {
        p->cap_div_depth = p->depth; /* Atom's wrapper, not content */
        return;
    }
    int f = p->cap_field;
    close_open_tag(p);
    field_append(p, f, "<", 1);
    if (prefix != NULL) {
        field_append(p, f, (const char *)prefix, strlen((const char *)prefix));
        field_append(p, f, ":", 1);
    }
    field_append(p, f, (const char *)localname, strlen((const char *)localname));
    for (int i = 0; i < nattr; i++) {
        const xmlChar **a = attrs + 5 * i;
        field_append(p, f, " ", 1);
        if (a[1] != NULL) {
            field_append(p, f, (const char *)a[1], strlen((const char *)a[1]));
            field_append(p, f, ":", 1);
        }
        field_append(p, f, (const char *)a[0], strlen((const char *)a[0]));
        field_append(p, f, "=\"", 2);
        fa_buf_reset(&p->attr);
        if (fa_buf_append(&p->attr, a[3], (size_t)(a[4] - a[3])) == 0) {
            p->attr.len = feed__attr_decode(p->attr.data, p->attr.len);
            append_escaped(p, p->attr.data, p->attr.len, 1);
        }
        field_append(p, f, "\"", 1);
    }
    p->cap_open_tag = 1;
}

/* HTML elements that never have content, the only ones written as "<x/>". */
static int is_void_element(const char *name)
{
    static const char *const voids[] = {"area",  "base", "br",   "col",   "embed",  "hr",    "img",
                                        "input", "link", "meta", "param", "source", "track", "wbr"};
    for (size_t i = 0; i < sizeof voids / sizeof voids[0]; i++)
        if (strcasecmp(name, voids[i]) == 0) return 1;
    return 0;
}

static void capture_element_end(feed_parser *p, const xmlChar *localname, const xmlChar *prefix)
{
    if (p->cap_mode == CAP_TEXT || p->cap_mode == CAP_HTML_TEXT) return;
    if (p->cap_div_depth == p->depth) {
        p->cap_div_depth = UINT_MAX; /* only the first wrapper is dropped */
        return;
    }
    int f = p->cap_field;
    if (p->cap_open_tag) {
        p->cap_open_tag = 0;
        if (prefix == NULL && is_void_element((const char *)localname)) {
            field_append(p, f, "/>", 2);
            return;
        }
        field_append(p, f, ">", 1); /* "<p/>" would open a <p> in HTML */
    }
    field_append(p, f, "</", 2);
    if (prefix != NULL) {
        field_append(p, f, (const char *)prefix, strlen((const char *)prefix));
        field_append(p, f, ":", 1);
    }
    field_append(p, f, (const char *)localname, strlen((const char *)localname));
    field_append(p, f, ">", 1);
}

/* ------------------------------------------------------------------ */
/* items */

static void item_begin(feed_parser *p)
{
    for (int i = 0; i < F_COUNT; i++) {
        fa_buf_reset(&p->f[i]);
        p->f_prio[i] = 0;
    }
    fa_buf_reset(&p->encl);
    p->nencl = 0;
    p->item_bytes = 0;
    p->item_skip = 0;
    p->item_depth = p->depth;
    p->author_depth = p->group_depth = 0;
    p->guid_permalink = 1;
    p->cap_field = -1;
}

static int looks_like_url(const char *s)
{
    return fa_url_is_http(s);
}

static void item_end(feed_parser *p, void *ctx)
{
    p->item_depth = 0;
    p->cap_field = -1;
    if (p->item_skip) {
        p->stats.too_big++;
        return;
    }
    for (int i = 0; i < F_COUNT; i++)
        trim_buf(&p->f[i]);
    /* RSS: a permalink guid stands in for a missing <link>; Atom: an
     * http(s) <id> for a missing alternate link (as feedparser does; a
     * urn: or tag: id is no page to fetch). */
    if (p->f[F_LINK].len == 0 && looks_like_url(buf_str(&p->f[F_ID])) &&
        ((p->kind == FEED_RSS && p->guid_permalink) || p->kind == FEED_ATOM))
        field_set_url(p, F_LINK, 1, buf_str(&p->f[F_ID]));
    if (p->f[F_ID].len == 0)
        field_set(p, F_ID, 1, p->f[F_ABOUT].len ? buf_str(&p->f[F_ABOUT]) : buf_str(&p->f[F_LINK]));
    if (p->item_skip) { /* the copies above may not fit */
        p->stats.too_big++;
        return;
    }
    if (p->rc < 0) return;
    uint64_t h = p->f[F_ID].len ? hash64(buf_str(&p->f[F_ID]), NULL)
                                : hash64(buf_str(&p->f[F_TITLE]), buf_str(&p->f[F_SUMMARY]));
    int rc = seen_add(p, h);
    if (rc < 0) {
        fail(p, ctx, rc, "out of memory");
        return;
    }
    if (rc == 0) {
        p->stats.duplicates++;
        return;
    }
    feed_date_normalize(buf_str(&p->f[F_PUBLISHED]), p->published, sizeof p->published);
    feed_date_normalize(buf_str(&p->f[F_UPDATED]), p->updated, sizeof p->updated);
    const char *encl[MAX_ENCLOSURES + 1];
    for (unsigned i = 0; i < p->nencl; i++)
        encl[i] = p->encl.data + p->encl_off[i];
    encl[p->nencl] = NULL;
    feed_item item = {
        .id = buf_str(&p->f[F_ID]),
        .link = buf_str(&p->f[F_LINK]),
        .title = buf_str(&p->f[F_TITLE]),
        .author = buf_str(&p->f[F_AUTHOR]),
        .published = p->published,
        .updated = p->updated,
        .summary = buf_str(&p->f[F_SUMMARY]),
        .content = buf_str(&p->f[F_CONTENT]),
        .enclosures = encl,
    };
    p->stats.items++;
    rc = p->cb ? p->cb(p->ud, &item) : 0;
    if (rc < 0) {
        fail(p, ctx, rc, "stopped by the item callback (%d)", rc);
        return;
    }
    if (p->stats.items >= p->max_items) {
        p->done = 1; /* the rest is ignored: stop spending time on it */
        halt_xml(p, ctx);
    }
}

/* ------------------------------------------------------------------ */
/* element classification */

enum elem {
    E_OTHER,
    E_ITEM,
    E_TITLE,
    E_LINK,
    E_GUID,
    E_ID,
    E_AUTHOR,
    E_NAME,
    E_PUBDATE,
    E_PUBLISHED,
    E_ISSUED,
    E_UPDATED,
    E_MODIFIED,
    E_DESCRIPTION,
    E_SUMMARY,
    E_CONTENT,
    E_ENCLOSURE,
    E_DC_CREATOR,
    E_DC_DATE,
    E_DCT_MODIFIED,
    E_CONTENT_ENCODED,
    E_MEDIA_CONTENT,
    E_MEDIA_GROUP,
    E_ATOM_UPDATED
};

static int is_core(const feed_parser *p, const xmlChar *uri)
{
    if (p->kind == FEED_RDF) return uri == NULL || ns_eq(uri, NS_RSS10) || ns_eq(uri, NS_RSS090);
    if (p->kind == FEED_RSS && uri == NULL) return 1;
    return ns_eq(uri, p->core_ns);
}

static enum elem classify(const feed_parser *p, const xmlChar *name, const xmlChar *uri)
{
    static const struct {
        const char *name;
        enum elem e;
    } rss[] = {{"item", E_ITEM},
               {"title", E_TITLE},
               {"link", E_LINK},
               {"guid", E_GUID},
               {"author", E_AUTHOR},
               {"pubDate", E_PUBDATE},
               {"description", E_DESCRIPTION},
               {"enclosure", E_ENCLOSURE}},
      atom[] = {{"entry", E_ITEM},          {"title", E_TITLE},
                {"link", E_LINK},           {"id", E_ID},
                {"author", E_AUTHOR},       {"name", E_NAME},
                {"published", E_PUBLISHED}, {"issued", E_ISSUED},
                {"updated", E_UPDATED},     {"modified", E_MODIFIED},
                {"summary", E_SUMMARY},     {"content", E_CONTENT}};
    if (is_core(p, uri)) {
        if (p->kind == FEED_ATOM) {
            for (size_t i = 0; i < sizeof atom / sizeof atom[0]; i++)
                if (str_eq(name, atom[i].name)) return atom[i].e;
        } else {
            for (size_t i = 0; i < sizeof rss / sizeof rss[0]; i++)
                if (str_eq(name, rss[i].name)) return rss[i].e;
        }
        return E_OTHER;
    }
    if (uri == NULL) return E_OTHER;
    if (ns_eq(uri, NS_CONTENT)) return str_eq(name, "encoded") ? E_CONTENT_ENCODED : E_OTHER;
    if (ns_eq(uri, NS_DC))
        return str_eq(name, "creator") ? E_DC_CREATOR : str_eq(name, "date") ? E_DC_DATE : E_OTHER;
    if (ns_eq(uri, NS_DCTERMS)) return str_eq(name, "modified") ? E_DCT_MODIFIED : E_OTHER;
    if (ns_eq(uri, NS_MEDIA))
        return str_eq(name, "content") ? E_MEDIA_CONTENT
               : str_eq(name, "group") ? E_MEDIA_GROUP
                                       : E_OTHER;
    if (p->kind != FEED_ATOM && ns_eq(uri, NS_ATOM10))
        return str_eq(name, "updated") ? E_ATOM_UPDATED : E_OTHER;
    return E_OTHER;
}

/* The capture mode for an Atom text construct (title, summary, content). */
static enum capture_mode atom_mode(const feed_parser *p, const xmlChar **attrs, int n,
                                   int text_field)
{
    if (attr_is(attrs, n, "type", "xhtml")) return text_field ? CAP_TEXT : CAP_XHTML;
    if (p->atom03 && attr_is(attrs, n, "mode", "xml")) return text_field ? CAP_TEXT : CAP_XHTML;
    if (attr_is(attrs, n, "type", "html") || attr_is(attrs, n, "type", "text/html"))
        return text_field ? CAP_HTML_TEXT : CAP_MARKUP;
    if (attr_is(attrs, n, "type", "application/xhtml+xml"))
        return text_field ? CAP_TEXT : CAP_MARKUP;
    return text_field ? CAP_TEXT : CAP_MARKUP;
}

/* Starts capturing field f if prio beats what it holds. */
static void want(feed_parser *p, int f, int prio, enum capture_mode mode)
{
    if (prio > p->f_prio[f]) capture_begin(p, f, prio, mode);
}

static void atom_link(feed_parser *p, const xmlChar **attrs, int n)
{
    const char *rel;
    size_t rlen;
    int has_rel = attr_find(attrs, n, "rel", NULL, &rel, &rlen);
    int prio = 0, enclosure = 0;
    if (!has_rel)
        prio = 2;
    else if (attr_is(attrs, n, "rel", "alternate") ||
             attr_is(attrs, n, "rel", "http://www.iana.org/assignments/relation/alternate"))
        prio = 3;
    else if (attr_is(attrs, n, "rel", "enclosure") ||
             attr_is(attrs, n, "rel", "http://www.iana.org/assignments/relation/enclosure"))
        enclosure = 1;
    if (!enclosure && prio <= p->f_prio[F_LINK]) return;
    const char *href = attr_get(p, attrs, n, "href", NULL);
    if ((href == NULL || *href == '\0') && !enclosure && prio > 0) {
        /* <link>URL</link>, the URL given as text (RSS habits, and Atom
         * 0.3 feeds written by hand): below any link with an href */
        want(p, F_LINK, 1, CAP_TEXT);
        return;
    }
    if (href == NULL || *href == '\0') return;
    if (enclosure)
        add_enclosure(p, href);
    else
        field_set_url(p, F_LINK, prio, href);
}

/* A child (rel 1) or grandchild (rel 2) of the current item. */
static void item_child(feed_parser *p, unsigned rel, const xmlChar *localname, const xmlChar *uri,
                       int nattr, const xmlChar **attrs)
{
    enum elem e = classify(p, localname, uri);
    int atom = p->kind == FEED_ATOM;
    if (rel == 2) {
        if (e == E_NAME && p->author_depth == p->depth - 1)
            want(p, F_AUTHOR, 2, CAP_TEXT);
        else if (e == E_MEDIA_CONTENT && p->group_depth == p->depth - 1)
            add_enclosure(p, attr_get(p, attrs, nattr, "url", NULL));
        return;
    }
    switch (e) {
    case E_TITLE:
        want(p, F_TITLE, 1, atom ? atom_mode(p, attrs, nattr, 1) : CAP_TEXT);
        break;
    case E_LINK:
        if (atom)
            atom_link(p, attrs, nattr);
        else
            want(p, F_LINK, 1, CAP_TEXT);
        break;
    case E_GUID:
        if (attr_is(attrs, nattr, "isPermaLink", "false")) p->guid_permalink = 0;
        want(p, F_ID, 1, CAP_TEXT);
        break;
    case E_ID:
        want(p, F_ID, 1, CAP_TEXT);
        break;
    case E_AUTHOR:
        if (atom)
            p->author_depth = p->depth;
        else
            want(p, F_AUTHOR, 2, CAP_TEXT);
        break;
    case E_DC_CREATOR:
        want(p, F_AUTHOR, 1, CAP_TEXT);
        break;
    case E_PUBDATE:
    case E_PUBLISHED:
        want(p, F_PUBLISHED, 2, CAP_TEXT);
        break;
    case E_ISSUED:
    case E_DC_DATE:
        want(p, F_PUBLISHED, 1, CAP_TEXT);
        break;
    case E_UPDATED:
    case E_MODIFIED:
    case E_ATOM_UPDATED:
        want(p, F_UPDATED, 2, CAP_TEXT);
        break;
    case E_DCT_MODIFIED:
        want(p, F_UPDATED, 1, CAP_TEXT);
        break;
    case E_DESCRIPTION:
        want(p, F_SUMMARY, 1, CAP_MARKUP);
        break;
    case E_SUMMARY:
        want(p, F_SUMMARY, 1, atom_mode(p, attrs, nattr, 0));
        break;
    case E_CONTENT:
        want(p, F_CONTENT, 1, atom_mode(p, attrs, nattr, 0));
        break;
    case E_CONTENT_ENCODED:
        want(p, F_CONTENT, 1, CAP_MARKUP);
        break;
    case E_ENCLOSURE:
        add_enclosure(p, attr_get(p, attrs, nattr, "url", NULL));
        break;
    case E_MEDIA_CONTENT:
        add_enclosure(p, attr_get(p, attrs, nattr, "url", NULL));
        break;
    case E_MEDIA_GROUP:
        p->group_depth = p->depth;
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------------------ */
/* the root */

static int decide_kind(feed_parser *p, void *ctx, const xmlChar *localname, const xmlChar *prefix,
                       const xmlChar *uri)
{
    p->root_seen = 1;
    if (str_eq(localname, "rss") || (str_eq(localname, "channel") && uri == NULL)) {
        p->kind = FEED_RSS;
    } else if (str_eq(localname, "RDF") && ns_eq(uri, NS_RDF)) {
        p->kind = FEED_RDF;
        return 0;
    } else if ((str_eq(localname, "feed") &&
                (uri == NULL || ns_eq(uri, NS_ATOM10) || ns_eq(uri, NS_ATOM03))) ||
               (str_eq(localname, "entry") && ns_eq(uri, NS_ATOM10))) {
        p->kind = FEED_ATOM;
        p->atom03 = ns_eq(uri, NS_ATOM03);
    } else {
        return fail(p, ctx, FA_EPARSE, "root element <%s%s%s> is not a feed",
                    prefix ? (const char *)prefix : "", prefix ? ":" : "", (const char *)localname);
    }
    if (uri != NULL && (p->core_ns = strdup((const char *)uri)) == NULL)
        return fail(p, ctx, FA_ENOMEM, "out of memory");
    return 0;
}

/* ------------------------------------------------------------------ */
/* SAX callbacks */

static feed_parser *parser_of(void *ctx)
{
    xmlParserCtxtPtr c = ctx;
    feed_parser *p = c ? c->_private : NULL;
    if (p == NULL || p->done) return NULL;
    /* See the top comment: keep entity references alive after an error. */
    c->wellFormed = 1;
    if (p->ctxt != NULL) p->ctxt->wellFormed = 1;
    return p;
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                     int nb_defaulted, const xmlChar **attrs)
{
    feed_parser *p = parser_of(ctx);
    if (p == NULL) return;
    p->depth++;
    if (p->depth > p->max_depth) {
        fail(p, ctx, FA_ETOOBIG, "XML nested deeper than %u elements", p->max_depth);
        return;
    }
    if (p->depth == 1 && decide_kind(p, ctx, localname, prefix, uri) < 0) return;
    const char *xb = attr_get(p, attrs, nb_attributes, "base", NS_XML);
    if (xb != NULL && push_base(p, xb) < 0) {
        fail(p, ctx, FA_ENOMEM, "out of memory");
        return;
    }
    if (p->cap_field >= 0) {
        capture_element_start(p, localname, prefix, uri, nb_attributes, attrs);
        return;
    }
    enum elem e = E_OTHER;
    if (p->item_depth == 0 || p->depth > p->item_depth) e = classify(p, localname, uri);
    if (e == E_ITEM) {
        /* An item inside an item: the outer one lost its end tag (libxml2's
         * recovery nests what follows).  Close it and go on. */
        if (p->item_depth != 0) item_end(p, ctx);
        if (p->done) return;
        item_begin(p);
        if (p->kind == FEED_RDF) {
            const char *about = attr_get(p, attrs, nb_attributes, "about", NS_RDF);
            if (about != NULL) field_set(p, F_ABOUT, 1, about);
        }
        return;
    }
    if (p->item_depth == 0 || p->item_skip) return;
    unsigned rel = p->depth - p->item_depth;
    if (rel <= 2) item_child(p, rel, localname, uri, nb_attributes, attrs);
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
    feed_parser *p = parser_of(ctx);
    if (p == NULL || p->depth == 0) return;
    if (p->cap_field >= 0) {
        if (p->depth == p->cap_depth)
            capture_end(p);
        else
            capture_element_end(p, localname, prefix);
    } else if (p->item_depth != 0 && p->depth == p->item_depth) {
        item_end(p, ctx);
    } else if (p->depth == p->author_depth) {
        p->author_depth = 0;
    } else if (p->depth == p->group_depth) {
        p->group_depth = 0;
    }
    if (p->nbases > 0 && p->bases[p->nbases - 1].depth == p->depth) {
        p->nbases--;
        free(p->bases[p->nbases].uri);
    }
    p->depth--;
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
    feed_parser *p = parser_of(ctx);
    if (p == NULL || len <= 0) return;
    p->text_out += (uint64_t)len;
    if (p->text_out > p->bytes_in * EXPANSION_RATIO + EXPANSION_SLACK) {
        fail(p, ctx, FA_ETOOBIG, "entity expansion too large (%llu bytes of text from %llu)",
             (unsigned long long)p->text_out, (unsigned long long)p->bytes_in);
        return;
    }
    if (p->cap_field < 0 || p->item_skip) return;
    close_open_tag(p);
    if (p->cap_mode == CAP_XHTML)
        append_escaped(p, (const char *)ch, (size_t)len, 0);
    else
        field_append(p, p->cap_field, (const char *)ch, (size_t)len);
}

static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
    xmlParserCtxtPtr c = ctx;
    feed_parser *p = c->_private;
    /* Stopped (e.g. entity expansion too large): no entity resolves any
     * more.  xmlStopParser halts only the innermost and the main context;
     * libxml2 2.9 parses an entity's content afresh, in a context of its
     * own, at every reference when no tree is built, and the contexts of
     * the entities in between would go on expanding: 10^9 references for
     * a billion laughs whose entities mix text and references.  (Not
     * well-formed, or libxml2 looks the entity up itself.) */
    if (p != NULL && p->done) {
        c->wellFormed = 0;
        return NULL;
    }
    if (p != NULL && ++p->refs > p->bytes_in / REF_BYTES + REF_SLACK) {
        fail(p, ctx, FA_ETOOBIG, "entity expansion too large (%llu references from %llu bytes)",
             (unsigned long long)p->refs, (unsigned long long)p->bytes_in);
        c->wellFormed = 0;
        return NULL;
    }
    xmlEntityPtr e = xmlSAX2GetEntity(ctx, name);
    if (e != NULL || p == NULL) return e;
    int idx = feed__html_entity_find((const char *)name, strlen((const char *)name));
    if (idx < 0) return NULL;
    size_t n = feed__html_entity_count();
    if (p->entities == NULL && (p->entities = calloc(2 * n, sizeof *p->entities)) == NULL)
        return NULL;
    int in_attr = c->instate == XML_PARSER_ATTRIBUTE_VALUE;
    xmlEntityPtr *slot = &p->entities[(size_t)in_attr * n + (size_t)idx];
    if (*slot == NULL) {
        xmlEntityPtr ent = calloc(1, sizeof *ent);
        if (ent == NULL) return NULL;
        ent->type = XML_ENTITY_DECL;
        ent->name = (const xmlChar *)feed__html_entity_name(idx);
        ent->content = (xmlChar *)feed__html_entity_text(idx);
        ent->length = (int)strlen(feed__html_entity_text(idx));
        ent->etype = in_attr ? XML_INTERNAL_GENERAL_ENTITY : XML_INTERNAL_PREDEFINED_ENTITY;
        *slot = ent;
    }
    return *slot;
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                           const xmlChar *system_id, xmlChar *content)
{
    xmlParserCtxtPtr c = ctx;
    feed_parser *p = c->_private;
    if (p == NULL || p->done) return;
    p->dtd_bytes += strlen((const char *)name) + (content ? strlen((const char *)content) : 0);
    if (p->dtd_bytes > MAX_DTD_BYTES) {
        fail(p, ctx, FA_ETOOBIG, "internal DTD subset declares more than %u bytes of entities",
             MAX_DTD_BYTES);
        return;
    }
    xmlSAX2EntityDecl(ctx, name, type, public_id, system_id, content);
}

static xmlParserInputPtr on_resolve_entity(void *ctx, const xmlChar *public_id,
                                           const xmlChar *system_id)
{
    return NULL; /* nothing is ever loaded from outside the body */
}

static void on_error(void *data, xmlErrorPtr e)
{
    xmlParserCtxtPtr c = e && e->ctxt ? e->ctxt : data;
    feed_parser *p = c ? c->_private : NULL;
    if (p == NULL || e == NULL) return;
    p->stats.xml_errors++;
    if (e->level == XML_ERR_FATAL) {
        p->fatal_code = e->code;
        snprintf(p->fatal_err, sizeof p->fatal_err, "%s", e->message ? e->message : "");
        size_t n = strlen(p->fatal_err);
        while (n > 0 && is_ws(p->fatal_err[n - 1]))
            p->fatal_err[--n] = '\0';
        if (e->line > 0 && n + 16 < sizeof p->fatal_err)
            snprintf(p->fatal_err + n, sizeof p->fatal_err - n, " (line %d)", e->line);
    }
    if (p->xml_err[0] == '\0' && e->message != NULL) {
        snprintf(p->xml_err, sizeof p->xml_err, "%s", e->message);
        size_t n = strlen(p->xml_err);
        while (n > 0 && is_ws(p->xml_err[n - 1]))
            p->xml_err[--n] = '\0';
        if (e->line > 0 && n + 16 < sizeof p->xml_err)
            snprintf(p->xml_err + n, sizeof p->xml_err - n, " (line %d)", e->line);
    }
}

/* ------------------------------------------------------------------ */
/* sniffing and the libxml2 context */

static int is_upper_or_lower(const unsigned char *s, size_t n, const char *lower_word)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)lower_word[i]) return 0;
    }
    return 1;
}

static int after_parse(feed_parser *p);

static int not_xml(feed_parser *p, unsigned char c)
{
    if (c == '{' || c == '[')
        return fail(p, NULL, FA_EPARSE, "not XML: body starts with '%c' (JSON?)", c);
    if (c >= 0x20 && c < 0x7F)
        return fail(p, NULL, FA_EPARSE, "not XML: body starts with '%c', not '<'", c);
    return fail(p, NULL, FA_EPARSE, "not XML: body starts with byte 0x%02x", c);
}

static int start_xml(feed_parser *p)
{
    /* A default encoding (Content-Type's charset) applies only when the
     * body declares none: the context then starts empty, is switched to
     * it, and gets the held-back bytes afterwards. */
    xmlCharEncodingHandlerPtr enc = NULL;
    if (p->encoding != NULL && !p->utf8_input && !p->wide &&
        !feed__xml_declares_encoding(p->sniff, p->sniff_len) &&
        strcasecmp(p->encoding, "utf-8") != 0)
        enc = xmlFindCharEncodingHandler(p->encoding);
    if (enc != NULL)
        p->ctxt = xmlCreatePushParserCtxt(&p->sax, NULL, NULL, 0, NULL);
    else
        p->ctxt =
            xmlCreatePushParserCtxt(&p->sax, NULL, (const char *)p->sniff, (int)p->sniff_len, NULL);
    if (p->ctxt == NULL) return fail(p, NULL, FA_ENOMEM, "out of memory");
    p->ctxt->_private = p;
    xmlCtxtUseOptions(p->ctxt, XML_PARSE_RECOVER | XML_PARSE_NONET |
                                   (p->utf8_input ? XML_PARSE_IGNORE_ENC : 0));
    if (enc != NULL) {
        xmlSwitchToEncoding(p->ctxt, enc);
        xmlParseChunk(p->ctxt, (const char *)p->sniff, (int)p->sniff_len, 0);
        return after_parse(p);
    }
    return 0;
}

/* Decides what the held-back bytes are.  Returns 0 (decided: p->ctxt set,
 * or more bytes needed) or a negative code. */
static int sniff_decide(feed_parser *p, int at_end)
{
    unsigned char *s = p->sniff;
    if (!p->lead_done) {
        if (p->sniff_len < 3 && !at_end) return 0;
        size_t n = p->sniff_len;
        if (n >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF) ||
                       (s[0] == 0 && s[1] == '<') || (s[0] == '<' && s[1] == 0))) {
            p->wide = 1;
        } else if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
            memmove(s, s + 3, n - 3);
            p->sniff_len -= 3;
        }
        p->lead_done = 1;
    }
    if (p->wide) {
        if (p->sniff_len < 4 && !at_end) return 0;
        return start_xml(p);
    }
    size_t k = 0;
    while (k < p->sniff_len && is_ws((char)s[k]))
        k++;
    if (k > 0) {
        memmove(s, s + k, p->sniff_len - k);
        p->sniff_len -= k;
    }
    if (p->sniff_len == 0) return at_end ? fail(p, NULL, FA_EPARSE, "not XML: empty body") : 0;
    if (s[0] != '<') return not_xml(p, s[0]);
    if (p->sniff_len < SNIFF_NEED && !at_end) return 0;
    size_t n = p->sniff_len;
    if ((n >= 14 && is_upper_or_lower(s, 14, "<!doctype html") &&
         (n == 14 || s[14] == '>' || is_ws((char)s[14]))) ||
        (n >= 5 && is_upper_or_lower(s, 5, "<html") &&
         (n == 5 || s[5] == '>' || is_ws((char)s[5]))))
        return fail(p, NULL, FA_EPARSE, "root element <html> is not a feed (an HTML page)");
    return start_xml(p);
}

/* libxml2 halts on a resource limit (no XML_PARSE_HUGE) with these: a text
 * node over 10 MB ("huge text node", reported as out of memory), entity
 * amplification ("entity reference loop"), depth or a huge name/lookup
 * (internal error). */
static int is_limit_error(int code)
{
    return code == XML_ERR_NO_MEMORY || code == XML_ERR_ENTITY_LOOP ||
           code == XML_ERR_INTERNAL_ERROR;
}

/* After libxml2 has had a chunk: did it give up?  Halting after the root
 * element closed (trailing junk) loses nothing; halting inside it loses
 * the rest of the feed, which is an error when a limit was the cause (the
 * items before stay delivered) or when no item came at all - never a
 * silent "0 items". */
static int after_parse(feed_parser *p)
{
    if (p->rc < 0) return p->rc;
    if (p->ctxt->instate == XML_PARSER_EOF && !p->done) {
        p->done = 1;
        if (!p->root_seen)
            return fail(p, NULL, FA_EPARSE, "not XML: %s",
                        p->xml_err[0] ? p->xml_err : "no root element");
        const char *why = p->fatal_err[0] ? p->fatal_err : "unknown error";
        if (p->depth > 0 && is_limit_error(p->fatal_code))
            return fail(p, NULL, FA_ETOOBIG, "XML parser stopped at a limit after %u items: %s",
                        p->stats.items, why);
        if (p->depth > 0 && p->stats.items == 0)
            return fail(p, NULL, FA_EPARSE, "XML parser stopped before any item: %s", why);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* public interface */

feed_parser *feed_parser_new(const char *base_url, const feed_parser_limits *limits,
                             feed_item_cb cb, void *ud)
{
    xmlInitParser();
    feed_parser *p = calloc(1, sizeof *p);
    if (p == NULL) return NULL;
    if (base_url != NULL && *base_url != '\0' && (p->base_url = strdup(base_url)) == NULL) {
        free(p);
        return NULL;
    }
    p->cb = cb;
    p->ud = ud;
    p->max_item_bytes =
        limits && limits->max_item_bytes ? limits->max_item_bytes : DEFAULT_MAX_ITEM_BYTES;
    p->max_items = limits && limits->max_items ? limits->max_items : DEFAULT_MAX_ITEMS;
    p->max_depth = limits && limits->max_depth ? limits->max_depth : DEFAULT_MAX_DEPTH;
    for (int i = 0; i < F_COUNT; i++)
        fa_buf_init(&p->f[i], p->max_item_bytes);
    fa_buf_init(&p->encl, p->max_item_bytes);
    fa_buf_init(&p->attr, MAX_ATTR_LEN);
    p->cap_field = -1;

    xmlSAXVersion(&p->sax, 2);
    p->sax.startElementNs = on_start;
    p->sax.endElementNs = on_end;
    p->sax.characters = on_text;
    p->sax.cdataBlock = on_text; /* CDATA is text like any other */
    p->sax.ignorableWhitespace = on_text;
    p->sax.getEntity = on_get_entity;
    p->sax.entityDecl = on_entity_decl;
    p->sax.resolveEntity = on_resolve_entity;
    p->sax.serror = on_error;
    p->sax.warning = NULL;
    p->sax.error = NULL;
    p->sax.fatalError = NULL;
    p->sax.reference = NULL;
    p->sax.externalSubset = NULL;
    p->sax.attributeDecl = NULL;
    p->sax.elementDecl = NULL;
    p->sax.notationDecl = NULL;
    p->sax.unparsedEntityDecl = NULL;
    p->sax.processingInstruction = NULL;
    p->sax.comment = NULL;
    p->sax.startElement = NULL;
    p->sax.endElement = NULL;
    return p;
}

int feed_parser_set_default_encoding(feed_parser *p, const char *charset)
{
    if (p == NULL || p->ctxt != NULL || p->bytes_in > 0) return FA_EINVAL;
    free(p->encoding);
    p->encoding = NULL;
    if (charset == NULL || *charset == '\0') return 0;
    p->encoding = strdup(charset);
    return p->encoding ? 0 : FA_ENOMEM;
}

int feed_parser_set_utf8_input(feed_parser *p)
{
    if (p == NULL || p->ctxt != NULL || p->bytes_in > 0) return FA_EINVAL;
    p->utf8_input = 1;
    return 0;
}

int feed_parser_push(feed_parser *p, const void *data, size_t len)
{
    if (p == NULL || (data == NULL && len > 0)) return FA_EINVAL;
    if (p->rc < 0) return p->rc;
    if (p->finished) return FA_EINVAL;
    if (p->done || len == 0) return 0;
    const char *d = data;
    p->bytes_in += len;
    while (p->ctxt == NULL && len > 0) {
        size_t take = SNIFF_MAX - p->sniff_len;
        if (take > len) take = len;
        memcpy(p->sniff + p->sniff_len, d, take);
        p->sniff_len += take;
        d += take;
        len -= take;
        int rc = sniff_decide(p, 0);
        if (rc < 0) return rc;
    }
    if (p->ctxt == NULL) return 0;
    do {
        int n = len > INT_MAX ? INT_MAX : (int)len;
        xmlParseChunk(p->ctxt, d, n, 0);
        d += n;
        len -= (size_t)n;
        int rc = after_parse(p);
        if (rc < 0 || p->done) return rc;
    } while (len > 0);
    return 0;
}

int feed_parser_finish(feed_parser *p)
{
    if (p == NULL) return FA_EINVAL;
    if (p->rc < 0) return p->rc;
    if (p->finished) return (int)p->stats.items;
    p->finished = 1;
    if (p->ctxt == NULL) {
        int rc = sniff_decide(p, 1);
        if (rc < 0) return rc;
    }
    if (!p->done) {
        xmlParseChunk(p->ctxt, NULL, 0, 1);
        int rc = after_parse(p);
        if (rc < 0) return rc;
    }
    if (!p->root_seen)
        return fail(p, NULL, FA_EPARSE, "not XML: %s",
                    p->xml_err[0] ? p->xml_err : "no root element");
    return (int)p->stats.items;
}

enum feed_kind feed_parser_kind(const feed_parser *p)
{
    if (p == NULL) return FEED_UNKNOWN;
    /* RSS 1.0 is reported as such even though it shares RSS's element names */
    return p->kind;
}

const char *feed_kind_name(enum feed_kind k)
{
    switch (k) {
    case FEED_RSS:
        return "rss";
    case FEED_RDF:
        return "rdf";
    case FEED_ATOM:
        return "atom";
    case FEED_JSONFEED:
        return "jsonfeed";
    default:
        return "unknown";
    }
}

const char *feed_parser_error(const feed_parser *p)
{
    return p ? p->err : "";
}

void feed_parser_get_stats(const feed_parser *p, feed_parser_stats *out)
{
    if (p == NULL) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = p->stats;
}

void feed_parser_free(feed_parser *p)
{
    if (p == NULL) return;
    if (p->ctxt != NULL) {
        if (p->ctxt->myDoc != NULL) xmlFreeDoc(p->ctxt->myDoc);
        p->ctxt->myDoc = NULL;
        xmlFreeParserCtxt(p->ctxt);
    }
    for (size_t i = 0; i < p->nbases; i++)
        free(p->bases[i].uri);
    free(p->bases);
    for (int i = 0; i < F_COUNT; i++)
        fa_buf_free(&p->f[i]);
    fa_buf_free(&p->encl);
    fa_buf_free(&p->attr);
    if (p->entities != NULL) {
        size_t n = 2 * feed__html_entity_count();
        for (size_t i = 0; i < n; i++)
            free(p->entities[i]);
        free(p->entities);
    }
    free(p->seen);
    free(p->core_ns);
    free(p->base_url);
    free(p->encoding);
    free(p);
}
