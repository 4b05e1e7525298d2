/*
 * feed_discover.c - feed autodiscovery on libxml2's HTML push parser; see
 * feed_discover.h.
 *
 * Only start tags matter: <base href> sets the base, <link> with a rel
 * token "alternate" and one of the feed media types is a candidate.  The
 * HTML parser often moves <link> elements into an implied <body> (after
 * anything it does not accept in <head>), so candidates are taken from
 * anywhere in the first MAX_PAGE bytes; at most MAX_LINKS are kept.
 * Candidates are ranked (0 feed, 1 comment feed, 2 plain JSON); only the
 * best non-empty rank is reported, in document order.
 *
 * Reference: the RSS Advisory Board's "RSS Autodiscovery" (2006) and the
 * HTML Living Standard's rel="alternate" with a type.
 */
#include "crawler/feeds/feed_discover.h"

#include "common/fa_err.h"

#include <libxml/HTMLparser.h>
#include <libxml/uri.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PAGE ((size_t)4 << 20)
#define MAX_LINKS 16
#define MAX_URL 8192

struct link {
    char *url;
    char *title;
    int rank;
};

struct feed_discover {
    htmlSAXHandler sax;
    htmlParserCtxtPtr ctxt;
    char *page_url;
    char *base; /* from <base href>, owned */
    size_t bytes;
    int oom;
    int utf8_input; /* the page is UTF-8 already: meta charset ignored */
    struct link links[MAX_LINKS];
    size_t n;
    size_t kept[MAX_LINKS];
    size_t nkept;
};

static const char *attr(const xmlChar **atts, const char *name)
{
    if (atts == NULL) return NULL;
    for (size_t i = 0; atts[i] != NULL; i += 2)
        if (strcasecmp((const char *)atts[i], name) == 0)
            return atts[i + 1] ? (const char *)atts[i + 1] : "";
    return NULL;
}

/* 1 if the space-separated list rel holds token (ASCII case-insensitive). */
static int has_token(const char *rel, const char *token)
{
    size_t tl = strlen(token);
    const char *s = rel;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f')
            s++;
        size_t n = 0;
        while (s[n] &&
               !(s[n] == ' ' || s[n] == '\t' || s[n] == '\n' || s[n] == '\r' || s[n] == '\f'))
            n++;
        if (n == tl && strncasecmp(s, token, n) == 0) return 1;
        s += n;
    }
    return 0;
}

static int type_rank(const char *type)
{
    size_t n = strcspn(type, ";");
    while (n > 0 && type[n - 1] == ' ')
        n--;
    static const char *const feeds[] = {"application/rss+xml", "application/atom+xml",
                                        "application/feed+json", "application/rdf+xml"};
    for (size_t i = 0; i < sizeof feeds / sizeof feeds[0]; i++)
        if (n == strlen(feeds[i]) && strncasecmp(type, feeds[i], n) == 0) return 0;
    if (n == 16 && strncasecmp(type, "application/json", 16) == 0) return 2;
    return -1;
}

static char *resolve(const feed_discover *d, const char *href)
{
    const char *base = d->base ? d->base : d->page_url;
    if (base == NULL) return strdup(href);
    xmlChar *r = xmlBuildURI((const xmlChar *)href, (const xmlChar *)base);
    if (r == NULL) return NULL;
    char *out = strdup((const char *)r);
    xmlFree(r);
    return out;
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    feed_discover *d = ((htmlParserCtxtPtr)ctx)->_private;
    if (d == NULL) return;
    if (strcasecmp((const char *)name, "base") == 0 && d->base == NULL) {
        const char *href = attr(atts, "href");
        if (href != NULL && *href && strlen(href) < MAX_URL) {
            d->base = resolve(d, href);
            if (d->base == NULL) d->oom = 1;
        }
        return;
    }
    if (strcasecmp((const char *)name, "link") != 0 || d->n == MAX_LINKS) return;
    const char *rel = attr(atts, "rel"), *type = attr(atts, "type"), *href = attr(atts, "href");
    if (rel == NULL || type == NULL || href == NULL || *href == '\0' || strlen(href) > MAX_URL)
        return;
    if (!has_token(rel, "alternate")) return;
    int rank = type_rank(type);
    if (rank < 0) return;
    char *url = resolve(d, href);
    if (url == NULL) return;
    if (rank == 2 && strstr(url, "/wp-json/") != NULL) {
        free(url);
        return;
    }
    const char *title = attr(atts, "title");
    if (rank == 0 && (strcasestr(url, "comments") || (title && strcasestr(title, "comments"))))
        rank = 1;
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->links[i].url, url) == 0) {
            free(url);
            return;
        }
    }
    char *t = strdup(title ? title : "");
    if (t == NULL) {
        free(url);
        d->oom = 1;
        return;
    }
    d->links[d->n].url = url;
    d->links[d->n].title = t;
    d->links[d->n].rank = rank;
    d->n++;
}

static void on_error(void *data, xmlErrorPtr e)
{
    (void)data;
    (void)e; /* tag soup is normal */
}

feed_discover *feed_discover_new(const char *page_url)
{
    xmlInitParser();
    feed_discover *d = calloc(1, sizeof *d);
    if (d == NULL) return NULL;
    if (page_url != NULL && *page_url && (d->page_url = strdup(page_url)) == NULL) {
        free(d);
        return NULL;
    }
    d->sax.startElement = on_start;
    d->sax.serror = on_error;
    d->sax.initialized = 0;
    return d;
}

void feed_discover_set_utf8_input(feed_discover *d)
{
    if (d != NULL) d->utf8_input = 1;
}

int feed_discover_push(feed_discover *d, const void *data, size_t len)
{
    if (d == NULL || (data == NULL && len > 0)) return FA_EINVAL;
    if (d->oom) return FA_ENOMEM;
    if (d->bytes >= MAX_PAGE || len == 0) return 0;
    if (len > MAX_PAGE - d->bytes) len = MAX_PAGE - d->bytes;
    d->bytes += len;
    if (d->ctxt == NULL) {
        d->ctxt = htmlCreatePushParserCtxt(&d->sax, NULL, NULL, 0, NULL,
                                           d->utf8_input ? XML_CHAR_ENCODING_UTF8
                                                         : XML_CHAR_ENCODING_NONE);
        if (d->ctxt == NULL) return FA_ENOMEM;
        d->ctxt->_private = d;
        htmlCtxtUseOptions(d->ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                                        HTML_PARSE_NOWARNING | HTML_PARSE_NOBLANKS |
                                        (d->utf8_input ? HTML_PARSE_IGNORE_ENC : 0));
    }
    const char *p = data;
    while (len > 0) {
        int n = len > INT_MAX ? INT_MAX : (int)len;
        htmlParseChunk(d->ctxt, p, n, 0);
        p += n;
        len -= (size_t)n;
    }
    return d->oom ? FA_ENOMEM : 0;
}

int feed_discover_finish(feed_discover *d)
{
    if (d == NULL) return FA_EINVAL;
    if (d->ctxt != NULL) htmlParseChunk(d->ctxt, NULL, 0, 1);
    if (d->oom) return FA_ENOMEM;
    int best = 3;
    for (size_t i = 0; i < d->n; i++)
        if (d->links[i].rank < best) best = d->links[i].rank;
    d->nkept = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->links[i].rank == best) d->kept[d->nkept++] = i;
    return (int)d->nkept;
}

const char *feed_discover_url(const feed_discover *d, size_t i, const char **title)
{
    if (d == NULL || i >= d->nkept) return NULL;
    const struct link *l = &d->links[d->kept[i]];
    if (title != NULL) *title = l->title;
    return l->url;
}

void feed_discover_free(feed_discover *d)
{
    if (d == NULL) return;
    if (d->ctxt != NULL) {
        if (d->ctxt->myDoc != NULL) xmlFreeDoc(d->ctxt->myDoc);
        d->ctxt->myDoc = NULL;
        htmlFreeParserCtxt(d->ctxt);
    }
    for (size_t i = 0; i < d->n; i++) {
        free(d->links[i].url);
        free(d->links[i].title);
    }
    free(d->base);
    free(d->page_url);
    free(d);
}
