/*
 * sitemap.c - sitemaps.org urlset and sitemapindex, plus the Google News
 * extension, on the streaming reader of feed_xml.c; see sitemap.h.
 *
 * The state is tiny: whether we are inside a <url> (or <sitemap>) at depth
 * 2, and the few fields gathered from its children.  Core elements are
 * those in no namespace or in a sitemap namespace (sitemaps.org 0.9, and
 * Google's older 0.84/0.9 ones); <loc> in the image: or video: namespaces
 * therefore never overrides the page's own <loc>.  News fields are read
 * only from the news: namespace, one or two levels below <url>.
 *
 * References: https://www.sitemaps.org/protocol.html, Google's "News
 * sitemap" documentation (namespace
 * http://www.google.com/schemas/sitemap-news/0.9).
 */
#include "crawler/feeds/sitemap.h"

#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "common/fa_hashset.h"
#include "crawler/feeds/feed_date.h"
#include "crawler/feeds/feed_xml.h"

#include <libxml/uri.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NS_NEWS "http://www.google.com/schemas/sitemap-news/0.9"
#define DEFAULT_MAX_ITEM_BYTES (4u << 20)
#define DEFAULT_MAX_ITEMS 50000u /* the protocol's own cap per file */
#define MAX_LOC_BYTES 8192

enum { S_LOC, S_LASTMOD, S_PUBLISHED, S_TITLE, S_COUNT };

struct sitemap_parser {
    feed__xml *x;
    feed_item_cb item_cb;
    sitemap_child_cb child_cb;
    void *ud;
    char *base_url;
    unsigned max_items;
    int root; /* 0 unknown, 1 urlset, 2 sitemapindex */
    int in_entry;
    fa_buf f[S_COUNT];
    unsigned delivered;
    int capped;
    fa_hashset seen;
    char err[256];
};

static int is_core_ns(const char *ns)
{
    if (ns == NULL) return 1;
    return strstr(ns, "sitemaps.org/schemas/sitemap") != NULL ||
           strcmp(ns, "http://www.google.com/schemas/sitemap/0.84") == 0 ||
           strcmp(ns, "http://www.google.com/schemas/sitemap/0.9") == 0;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ? h : 1;
}

static char *resolve(const sitemap_parser *p, const char *u)
{
    if (p->base_url == NULL || *u == '\0') return strdup(u);
    xmlChar *r = xmlBuildURI((const xmlChar *)u, (const xmlChar *)p->base_url);
    if (r == NULL) return strdup(u);
    char *out = strdup((const char *)r);
    xmlFree(r);
    return out;
}

static int on_start(void *ud, unsigned depth, const char *name, const char *ns,
                    const xmlChar **attrs, int nattrs)
{
    sitemap_parser *p = ud;
    if (depth == 1) {
        if (strcmp(name, "urlset") == 0 && is_core_ns(ns)) {
            p->root = 1;
        } else if (strcmp(name, "sitemapindex") == 0 && is_core_ns(ns)) {
            p->root = 2;
        } else {
            snprintf(p->err, sizeof p->err, "root element <%s> is not a sitemap", name);
            return FA_EPARSE;
        }
        return 0;
    }
    if (depth == 2 && is_core_ns(ns) && strcmp(name, p->root == 1 ? "url" : "sitemap") == 0) {
        p->in_entry = 1;
        for (int i = 0; i < S_COUNT; i++)
            fa_buf_reset(&p->f[i]);
    }
    return 0;
}

static void set_field(sitemap_parser *p, int f, const char *text, size_t len)
{
    fa_buf_reset(&p->f[f]);
    fa_buf_append(&p->f[f], text, len); /* too long: left empty */
    if (p->f[f].len != len) fa_buf_reset(&p->f[f]);
}

static int deliver(sitemap_parser *p)
{
    const char *loc = p->f[S_LOC].data;
    if (loc == NULL || *loc == '\0') return 0;
    if (p->delivered >= p->max_items) {
        p->capped = 1;
        return 0;
    }
    char *abs = resolve(p, loc);
    if (abs == NULL) return FA_ENOMEM;
    int rc = fa_hashset_add(&p->seen, hash_str(abs));
    if (rc <= 0) {
        free(abs);
        return rc; /* duplicate (0) or FA_ENOMEM */
    }
    p->delivered++;
    if (p->root == 2) {
        rc = p->child_cb ? p->child_cb(p->ud, abs) : 0;
    } else if (p->item_cb != NULL) {
        char published[FEED_DATE_LEN], updated[FEED_DATE_LEN];
        feed_date_normalize(p->f[S_PUBLISHED].data, published, sizeof published);
        feed_date_normalize(p->f[S_LASTMOD].data, updated, sizeof updated);
        const char *none[1] = {NULL};
        feed_item it = {.id = abs,
                        .link = abs,
                        .title = p->f[S_TITLE].data ? p->f[S_TITLE].data : "",
                        .author = "",
                        .published = published,
                        .updated = updated,
                        .summary = "",
                        .content = "",
                        .enclosures = none};
        rc = p->item_cb(p->ud, &it);
    }
    free(abs);
    return rc;
}

static int on_end(void *ud, unsigned depth, const char *name, const char *ns, char *text,
                  size_t len)
{
    sitemap_parser *p = ud;
    if (!p->in_entry) return 0;
    if (depth == 2) {
        p->in_entry = 0;
        int rc = deliver(p);
        if (rc < 0 && p->err[0] == '\0') snprintf(p->err, sizeof p->err, "stopped by the caller");
        return rc;
    }
    if (depth == 3 && is_core_ns(ns)) {
        if (strcmp(name, "loc") == 0 && len <= MAX_LOC_BYTES)
            set_field(p, S_LOC, text, len);
        else if (strcmp(name, "lastmod") == 0)
            set_field(p, S_LASTMOD, text, len);
    } else if (depth >= 3 && depth <= 4 && ns != NULL && strcmp(ns, NS_NEWS) == 0) {
        if (strcmp(name, "publication_date") == 0)
            set_field(p, S_PUBLISHED, text, len);
        else if (strcmp(name, "title") == 0)
            set_field(p, S_TITLE, text, len);
    }
    return 0;
}

static const feed__xml_handlers handlers = {on_start, on_end};

sitemap_parser *sitemap_parser_new(const char *base_url, const feed_parser_limits *limits,
                                   feed_item_cb item, sitemap_child_cb child, void *ud)
{
    sitemap_parser *p = calloc(1, sizeof *p);
    if (p == NULL) return NULL;
    size_t max_bytes =
        limits && limits->max_item_bytes ? limits->max_item_bytes : DEFAULT_MAX_ITEM_BYTES;
    p->max_items = limits && limits->max_items ? limits->max_items : DEFAULT_MAX_ITEMS;
    p->item_cb = item;
    p->child_cb = child;
    p->ud = ud;
    fa_hashset_init(&p->seen);
    for (int i = 0; i < S_COUNT; i++)
        fa_buf_init(&p->f[i], max_bytes);
    p->x = feed__xml_new(&handlers, p, limits ? limits->max_depth : 0, max_bytes);
    if (p->x == NULL ||
        (base_url != NULL && *base_url && (p->base_url = strdup(base_url)) == NULL)) {
        sitemap_parser_free(p);
        return NULL;
    }
    return p;
}

void sitemap_parser_set_utf8_input(sitemap_parser *p)
{
    if (p != NULL) feed__xml_set_utf8_input(p->x);
}

int sitemap_parser_set_default_encoding(sitemap_parser *p, const char *charset)
{
    return p ? feed__xml_set_default_encoding(p->x, charset) : FA_EINVAL;
}

int sitemap_parser_push(sitemap_parser *p, const void *data, size_t len)
{
    if (p == NULL) return FA_EINVAL;
    return feed__xml_push(p->x, data, len);
}

int sitemap_parser_finish(sitemap_parser *p)
{
    if (p == NULL) return FA_EINVAL;
    int rc = feed__xml_finish(p->x);
    if (rc < 0) return rc;
    if (p->root == 0) {
        snprintf(p->err, sizeof p->err, "no sitemap root element");
        return FA_EPARSE;
    }
    return (int)p->delivered;
}

int sitemap_parser_is_index(const sitemap_parser *p)
{
    return p != NULL && p->root == 2;
}

const char *sitemap_parser_error(const sitemap_parser *p)
{
    if (p == NULL) return "";
    return p->err[0] ? p->err : feed__xml_error(p->x);
}

void sitemap_parser_free(sitemap_parser *p)
{
    if (p == NULL) return;
    feed__xml_free(p->x);
    for (int i = 0; i < S_COUNT; i++)
        fa_buf_free(&p->f[i]);
    fa_hashset_free(&p->seen);
    free(p->base_url);
    free(p);
}
