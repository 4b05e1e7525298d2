/*
 * json_items.c - items out of a JSON document as it streams; see
 * json_items.h.
 *
 * yajl's parser calls back once per token.  Outside the item array we keep
 * only the path to where we are: a stack of frames (object with its
 * current key, or array with the index of the next element), keys stored
 * back to back in one bounded buffer.  A value whose location equals a
 * watched pointer is kept as text; an array whose location equals the
 * items pointer marks its frame as the item array.
 *
 * Each element of the item array is built as a tree of nodes (type, key,
 * text, children) in an arena of reusable blocks: the tree for one item is
 * mapped to a feed_item (JSON Feed, WordPress, or the configured field
 * pointers), delivered, and the arena is reset for the next.  All of an
 * item's nodes and text count against max_item_bytes; an item past it is
 * skipped (its tokens are still parsed, not stored).  The reset keeps a
 * few standard blocks for the next item and frees the rest, the blocks
 * made to measure for a long string above all: what the arena holds
 * between items is bounded, whatever the items before were (1,200 items
 * with ever longer titles once pinned 90 MB).
 *
 * yajl buffers a token split across chunks itself, without a ceiling; so
 * bytes are given to it in slices of at most SLICE and a run of more than
 * max_item_bytes with no token completed is refused (FA_ETOOBIG).
 *
 * Strings and keys are repaired before use, as the XML path does: yajl is
 * told not to validate UTF-8, and each invalid sequence (and each NUL,
 * which would cut the C string an id or title becomes) is replaced by
 * U+FFFD - one bad byte costs a character, not the rest of the feed, and
 * ids that differ after a \u0000 stay distinct.
 *
 * Types: where text is wanted a string is taken as is, a number as
 * written, true/false as such, null as "", an object or array as absent.
 * A numeric date is seconds since the epoch (milliseconds above 1e11).
 *
 * References: RFC 8259 (JSON), RFC 6901 (JSON Pointer), JSON Feed 1.1
 * (https://www.jsonfeed.org/version/1.1/), the WordPress REST API
 * handbook (posts endpoint).
 */
#include "crawler/feeds/json_items.h"
#include "crawler/feeds/json_items_internal.h"

#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "common/fa_hashset.h"
#include "common/fa_time.h"
#include "crawler/feeds/feed_date.h"
#include "crawler/feeds/feed_html.h"

#include <libxml/uri.h>
#include <yajl/yajl_parse.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_ITEM_BYTES (4u << 20)
#define DEFAULT_MAX_ITEMS 10000u
#define DEFAULT_MAX_DEPTH 256u
#define SLICE ((size_t)64 << 10)
#define MAX_KEY 1024                /* longer keys are kept as "no match" */
#define MAX_KEYS_BYTES (256u << 10) /* all open keys on the path */
#define MAX_WATCH 8
#define MAX_WATCH_TEXT 8192
#define MAX_SEGMENTS 32
#define MAX_ENCLOSURES 32
#define BLOCK_SIZE ((size_t)64 << 10)
#define BLOCKS_KEPT 4 /* standard blocks an arena reset keeps */

enum jtype { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_OBJECT, J_ARRAY };

typedef struct jnode {
    enum jtype type;
    const char *key; /* in an object: its key (NUL-terminated); else NULL */
    const char *s;   /* text of a scalar (NUL-terminated) */
    size_t slen;
    struct jnode *parent, *first, *last, *next;
} jnode;

/* ---- arena ---- */

typedef struct block {
    struct block *next;
    size_t cap, used;
    max_align_t data[];
} block;

typedef struct arena {
    block *head, *cur;
    size_t used_total, max_total;
    size_t held, peak_held; /* bytes of blocks allocated now, and at most */
} arena;

static void *arena_alloc(arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (n > a->max_total - a->used_total) return NULL;
    block *b = a->cur;
    while (b != NULL && b->cap - b->used < n)
        b = b->next;
    if (b == NULL) {
        size_t cap = n > BLOCK_SIZE ? n : BLOCK_SIZE;
        b = malloc(sizeof *b + cap);
        if (b == NULL) return NULL;
        b->cap = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
        a->held += cap;
        if (a->held > a->peak_held) a->peak_held = a->held;
    }
    a->cur = b;
    void *p = (char *)b->data + b->used;
    b->used += n;
    a->used_total += n;
    return p;
}

static void arena_reset(arena *a)
{
    block **link = &a->head;
    unsigned kept = 0;
    while (*link != NULL) {
        block *b = *link;
        if (b->cap == BLOCK_SIZE && kept < BLOCKS_KEPT) {
            b->used = 0;
            kept++;
            link = &b->next;
        } else {
            *link = b->next;
            a->held -= b->cap;
            free(b);
        }
    }
    a->cur = a->head;
    a->used_total = 0;
}

static void arena_free(arena *a)
{
    block *b = a->head;
    while (b != NULL) {
        block *n = b->next;
        free(b);
        b = n;
    }
    a->head = a->cur = NULL;
}

/* ---- JSON Pointers ---- */

typedef struct pointer {
    char *segs[MAX_SEGMENTS]; /* decoded segments */
    unsigned n;
    int set;
} pointer;

int json_pointer_valid(const char *s)
{
    if (s == NULL) return 0;
    if (*s == '\0') return 1;
    if (*s != '/') return 0;
    for (; *s; s++)
        if (*s == '~' && s[1] != '0' && s[1] != '1') return 0;
    return 1;
}

static void pointer_free(pointer *p)
{
    for (unsigned i = 0; i < p->n; i++)
        free(p->segs[i]);
    memset(p, 0, sizeof *p);
}

/* Returns 0, FA_EINVAL or FA_ENOMEM. */
static int pointer_parse(pointer *p, const char *s)
{
    memset(p, 0, sizeof *p);
    if (!json_pointer_valid(s)) return FA_EINVAL;
    p->set = 1;
    while (*s == '/') {
        s++;
        size_t n = strcspn(s, "/");
        if (p->n == MAX_SEGMENTS) {
            pointer_free(p);
            return FA_EINVAL;
        }
        char *seg = malloc(n + 1);
        if (seg == NULL) {
            pointer_free(p);
            return FA_ENOMEM;
        }
        size_t w = 0;
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '~') {
                seg[w++] = s[i + 1] == '1' ? '/' : '~';
                i++;
            } else {
                seg[w++] = s[i];
            }
        }
        seg[w] = '\0';
        p->segs[p->n++] = seg;
        s += n;
    }
    return 0;
}

/* The node at p below root, or NULL. */
static const jnode *node_at(const jnode *root, const pointer *p)
{
    if (!p->set) return NULL;
    const jnode *n = root;
    for (unsigned i = 0; i < p->n && n != NULL; i++) {
        const char *seg = p->segs[i];
        const jnode *c = NULL;
        if (n->type == J_OBJECT) {
            for (c = n->first; c != NULL; c = c->next)
                if (c->key != NULL && strcmp(c->key, seg) == 0) break;
        } else if (n->type == J_ARRAY) {
            char *end;
            unsigned long idx = strtoul(seg, &end, 10);
            if (*seg < '0' || *seg > '9' || *end != '\0') return NULL;
            for (c = n->first; c != NULL && idx > 0; c = c->next)
                idx--;
        }
        n = c;
    }
    return n;
}

/* ---- the parser ---- */

enum field {
    F_ID,
    F_LINK,
    F_TITLE,
    F_AUTHOR,
    F_PUBLISHED,
    F_UPDATED,
    F_SUMMARY,
    F_CONTENT,
    F_COUNT
};

typedef struct frame {
    unsigned char is_array, is_items;
    size_t index;   /* array: index of the next element */
    size_t key_off; /* object: its current key in keys */
    size_t key_len;
    int key_ok; /* a key is set and was not too long */
} frame;

struct json_items {
    enum json_flavor flavor;
    feed_item_cb cb;
    void *ud;
    char *base_url;
    char *wp_site; /* "https://example.org" for WordPress ids, or NULL */
    size_t max_item_bytes;
    unsigned max_items, max_depth;

    yajl_handle h;
    int rc;
    int done;
    int finished;
    char err[256];

    pointer items_ptr;
    pointer fptr[F_COUNT]; /* MAPPED */
    pointer watch[MAX_WATCH];
    char *watched[MAX_WATCH];
    unsigned nwatch;

    frame *frames;
    unsigned depth;
    fa_buf keys;
    int items_found, items_not_array, root_seen;

    /* current item */
    arena ar;
    jnode *item_root, *item_cur;
    unsigned item_level; /* 0 = not in an item */
    int item_skip;
    const char *pending_key;

    fa_buf f[F_COUNT];
    fa_buf encl;
    size_t encl_off[MAX_ENCLOSURES];
    unsigned nencl;

    size_t since_token;
    fa_buf repaired; /* a string or key after repair_utf8, when it needed one */
    fa_hashset seen;
    feed_parser_stats stats;
};

static int fail(json_items *j, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(json_items *j, int code, const char *fmt, ...)
{
    if (j->rc == 0) {
        j->rc = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(j->err, sizeof j->err, fmt, ap);
        va_end(ap);
    }
    j->done = 1;
    return j->rc;
}

/* Does the location of the next value equal pointer p? */
static int at_pointer(const json_items *j, const pointer *p)
{
    if (!p->set || p->n != j->depth) return 0;
    for (unsigned i = 0; i < j->depth; i++) {
        const frame *f = &j->frames[i];
        const char *seg = p->segs[i];
        if (f->is_array) {
            char num[32];
            snprintf(num, sizeof num, "%zu", f->index);
            if (strcmp(num, seg) != 0) return 0;
        } else {
            if (!f->key_ok || f->key_len != strlen(seg) ||
                (f->key_len > 0 && memcmp(j->keys.data + f->key_off, seg, f->key_len) != 0))
                return 0;
        }
    }
    return 1;
}

/* A value at the current location is complete: advance the enclosing
 * array's index. */
static void value_done(json_items *j)
{
    if (j->depth > 0 && j->frames[j->depth - 1].is_array) j->frames[j->depth - 1].index++;
}

/* ---- mapping an item ---- */

static void node_text(const jnode *n, const char **s, size_t *len)
{
    *s = "";
    *len = 0;
    if (n == NULL) return;
    switch (n->type) {
    case J_STRING:
    case J_NUMBER:
    case J_BOOL:
        *s = n->s;
        *len = n->slen;
        break;
    default:
        break;
    }
}

static void fset(json_items *j, int f, const jnode *n)
{
    if (j->f[f].len > 0 || n == NULL) return; /* first source wins */
    const char *s;
    size_t len;
    node_text(n, &s, &len);
    if (fa_buf_append(&j->f[f], s, len) < 0) fa_buf_reset(&j->f[f]);
}

static const jnode *child(const jnode *n, const char *key)
{
    if (n == NULL || n->type != J_OBJECT) return NULL;
    for (const jnode *c = n->first; c != NULL; c = c->next)
        if (c->key != NULL && strcmp(c->key, key) == 0) return c;
    return NULL;
}

static const jnode *path2(const jnode *n, const char *a, const char *b)
{
    return child(child(n, a), b);
}

static void add_enclosure(json_items *j, const jnode *n)
{
    const char *s;
    size_t len;
    node_text(n, &s, &len);
    if (len == 0 || j->nencl == MAX_ENCLOSURES) return;
    size_t off = j->encl.len;
    if (fa_buf_append(&j->encl, s, len) < 0 || fa_buf_append(&j->encl, "", 1) < 0) {
        j->encl.len = off;
        return;
    }
    j->encl_off[j->nencl++] = off;
}

static void map_jsonfeed(json_items *j, const jnode *it)
{
    fset(j, F_ID, child(it, "id"));
    fset(j, F_LINK, child(it, "url"));
    fset(j, F_LINK, child(it, "external_url"));
    fset(j, F_TITLE, child(it, "title"));
    fset(j, F_CONTENT, child(it, "content_html"));
    fset(j, F_CONTENT, child(it, "content_text"));
    fset(j, F_SUMMARY, child(it, "summary"));
    fset(j, F_PUBLISHED, child(it, "date_published"));
    fset(j, F_UPDATED, child(it, "date_modified"));
    const jnode *authors = child(it, "authors");
    if (authors != NULL && authors->type == J_ARRAY) {
        for (const jnode *a = authors->first; a != NULL; a = a->next) {
            const char *s;
            size_t len;
            node_text(child(a, "name"), &s, &len);
            if (len == 0) continue;
            if ((j->f[F_AUTHOR].len > 0 && fa_buf_append(&j->f[F_AUTHOR], ", ", 2) < 0) ||
                fa_buf_append(&j->f[F_AUTHOR], s, len) < 0)
                break;
        }
    }
    fset(j, F_AUTHOR, path2(it, "author", "name"));
    const jnode *att = child(it, "attachments");
    if (att != NULL && att->type == J_ARRAY)
        for (const jnode *a = att->first; a != NULL; a = a->next)
            add_enclosure(j, child(a, "url"));
}

static void map_wordpress(json_items *j, const jnode *it)
{
    fset(j, F_LINK, child(it, "link"));
    fset(j, F_ID, path2(it, "guid", "rendered"));
    const jnode *id = child(it, "id");
    if (j->f[F_ID].len == 0 && j->wp_site != NULL && id != NULL &&
        (id->type == J_NUMBER || id->type == J_STRING) && id->slen > 0)
        fa_buf_printf(&j->f[F_ID], "%s/?p=%s", j->wp_site, id->s);
    const jnode *title = child(it, "title");
    fset(j, F_TITLE, title && title->type == J_OBJECT ? child(title, "rendered") : title);
    if (j->f[F_TITLE].len > 0)
        j->f[F_TITLE].len = feed__html_to_text(j->f[F_TITLE].data, j->f[F_TITLE].len);
    const jnode *content = child(it, "content");
    fset(j, F_CONTENT, content && content->type == J_OBJECT ? child(content, "rendered") : content);
    const jnode *excerpt = child(it, "excerpt");
    fset(j, F_SUMMARY, excerpt && excerpt->type == J_OBJECT ? child(excerpt, "rendered") : excerpt);
    fset(j, F_PUBLISHED, child(it, "date_gmt"));
    fset(j, F_PUBLISHED, child(it, "date"));
    fset(j, F_UPDATED, child(it, "modified_gmt"));
    fset(j, F_UPDATED, child(it, "modified"));
    const jnode *authors = path2(it, "_embedded", "author");
    if (authors != NULL && authors->type == J_ARRAY)
        fset(j, F_AUTHOR, child(authors->first, "name"));
}

static void map_fields(json_items *j, const jnode *it)
{
    static const int order[] = {F_ID,        F_LINK,    F_TITLE,   F_AUTHOR,
                                F_PUBLISHED, F_UPDATED, F_SUMMARY, F_CONTENT};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        fset(j, order[i], node_at(it, &j->fptr[order[i]]));
}

/* Normalises a date field in place: RFC 3339 UTC, or "". */
static void date_field(json_items *j, int f, const jnode *raw_number)
{
    char out[FEED_DATE_LEN];
    const char *s = j->f[f].data ? j->f[f].data : "";
    out[0] = '\0';
    if (raw_number != NULL) {
        double v = strtod(s, NULL);
        if (v > 1e11) v /= 1000.0; /* milliseconds */
        if (v >= 0 && v < 9e9) fa_time_format_iso((int64_t)v * 1000000000LL, 0, out, sizeof out);
    } else {
        feed_date_normalize(s, out, sizeof out);
    }
    fa_buf_reset(&j->f[f]);
    fa_buf_puts(&j->f[f], out);
}

static void trim(fa_buf *b)
{
    if (b->len == 0) return;
    size_t s = 0, e = b->len;
    while (s < e &&
           (b->data[s] == ' ' || b->data[s] == '\t' || b->data[s] == '\r' || b->data[s] == '\n'))
        s++;
    while (e > s && (b->data[e - 1] == ' ' || b->data[e - 1] == '\t' || b->data[e - 1] == '\r' ||
                     b->data[e - 1] == '\n'))
        e--;
    if (s > 0) memmove(b->data, b->data + s, e - s);
    b->len = e - s;
    b->data[b->len] = '\0';
}

static uint64_t hash64(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *s = (const unsigned char *)a; *s; s++)
        h = (h ^ *s) * 1099511628211ULL;
    h = (h ^ 0xFF) * 1099511628211ULL;
    for (const unsigned char *s = (const unsigned char *)b; *s; s++)
        h = (h ^ *s) * 1099511628211ULL;
    return h ? h : 1;
}

static const char *bstr(const fa_buf *b)
{
    return b->data ? b->data : "";
}

/* Resolves the URL in field f against the base. */
static void resolve_field(json_items *j, fa_buf *b)
{
    if (j->base_url == NULL || b->len == 0) return;
    xmlChar *r = xmlBuildURI((const xmlChar *)b->data, (const xmlChar *)j->base_url);
    if (r == NULL) return;
    fa_buf_reset(b);
    fa_buf_puts(b, (const char *)r);
    xmlFree(r);
}

static int item_complete(json_items *j)
{
    const jnode *it = j->item_root;
    for (int i = 0; i < F_COUNT; i++)
        fa_buf_reset(&j->f[i]);
    fa_buf_reset(&j->encl);
    j->nencl = 0;
    if (it->type != J_OBJECT) return 0; /* a scalar or array among items: nothing to map */
    const jnode *pub_num = NULL, *upd_num = NULL;
    switch (j->flavor) {
    case JSON_FLAVOR_WORDPRESS:
        if (j->stats.items == 0 && j->stats.duplicates == 0 &&
            path2(it, "content", "rendered") == NULL && path2(it, "title", "rendered") == NULL &&
            child(it, "link") == NULL)
            return fail(j, FA_EPARSE,
                        "a JSON array, but not of WordPress posts (no link, title.rendered or "
                        "content.rendered); use type: json with a mapping");
        map_wordpress(j, it);
        break;
    case JSON_FLAVOR_MAPPED: {
        map_fields(j, it);
        const jnode *d = node_at(it, &j->fptr[F_PUBLISHED]);
        if (d && d->type == J_NUMBER) pub_num = d;
        d = node_at(it, &j->fptr[F_UPDATED]);
        if (d && d->type == J_NUMBER) upd_num = d;
        break;
    }
    default:
        map_jsonfeed(j, it);
        break;
    }
    for (int i = 0; i < F_COUNT; i++)
        trim(&j->f[i]);
    resolve_field(j, &j->f[F_LINK]);
    date_field(j, F_PUBLISHED, pub_num);
    date_field(j, F_UPDATED, upd_num);
    if (j->f[F_ID].len == 0) fa_buf_puts(&j->f[F_ID], bstr(&j->f[F_LINK]));
    uint64_t h = j->f[F_ID].len ? hash64(bstr(&j->f[F_ID]), "")
                                : hash64(bstr(&j->f[F_TITLE]), bstr(&j->f[F_SUMMARY]));
    int rc = fa_hashset_add(&j->seen, h);
    if (rc < 0) return fail(j, rc, "out of memory");
    if (rc == 0) {
        j->stats.duplicates++;
        return 0;
    }
    const char *encl[MAX_ENCLOSURES + 1];
    char *abs[MAX_ENCLOSURES];
    for (unsigned i = 0; i < j->nencl; i++) {
        const char *u = j->encl.data + j->encl_off[i];
        abs[i] = NULL;
        if (j->base_url != NULL) {
            xmlChar *r = xmlBuildURI((const xmlChar *)u, (const xmlChar *)j->base_url);
            if (r != NULL) {
                abs[i] = strdup((const char *)r);
                xmlFree(r);
            }
        }
        encl[i] = abs[i] ? abs[i] : u;
    }
    encl[j->nencl] = NULL;
    feed_item fi = {.id = bstr(&j->f[F_ID]),
                    .link = bstr(&j->f[F_LINK]),
                    .title = bstr(&j->f[F_TITLE]),
                    .author = bstr(&j->f[F_AUTHOR]),
                    .published = bstr(&j->f[F_PUBLISHED]),
                    .updated = bstr(&j->f[F_UPDATED]),
                    .summary = bstr(&j->f[F_SUMMARY]),
                    .content = bstr(&j->f[F_CONTENT]),
                    .enclosures = encl};
    j->stats.items++;
    rc = j->cb ? j->cb(j->ud, &fi) : 0;
    for (unsigned i = 0; i < j->nencl; i++)
        free(abs[i]);
    if (rc < 0) return fail(j, rc, "stopped by the item callback");
    if (j->stats.items >= j->max_items) j->done = 1;
    return 0;
}

/* ---- building an item ---- */

static char *arena_str(json_items *j, const char *s, size_t len)
{
    char *d = arena_alloc(&j->ar, len + 1);
    if (d == NULL) return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

/* Adds a node under the current container of the item being built. */
static jnode *item_node(json_items *j, enum jtype t, const char *s, size_t len)
{
    if (j->item_skip) return NULL;
    jnode *n = arena_alloc(&j->ar, sizeof *n);
    char *text = NULL;
    if (n != NULL && s != NULL && (text = arena_str(j, s, len)) == NULL) n = NULL;
    if (n == NULL) {
        j->item_skip = 1; /* over max_item_bytes (or no memory): skip the item */
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->type = t;
    n->s = text;
    n->slen = len;
    n->key = j->pending_key;
    j->pending_key = NULL;
    jnode *parent = j->item_cur;
    if (parent != NULL) {
        n->parent = parent;
        if (parent->last)
            parent->last->next = n;
        else
            parent->first = n;
        parent->last = n;
    }
    return n;
}

static int item_finish(json_items *j)
{
    int rc = 0;
    if (j->item_skip)
        j->stats.too_big++;
    else if (j->item_root != NULL)
        rc = item_complete(j);
    arena_reset(&j->ar);
    j->item_root = j->item_cur = NULL;
    j->item_skip = 0;
    j->pending_key = NULL;
    value_done(j);
    return rc;
}

/* ---- UTF-8 repair ---- */

/* Length of the well-formed UTF-8 sequence (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF) at s, or 0 when there is none; a NUL
 * counts as ill-formed here. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c >= 0x01 && c < 0x80) return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* the second byte's range */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

/* s itself when it is well-formed UTF-8 without NUL; else its repair in
 * j->repaired, every ill-formed byte replaced by U+FFFD (*len updated).
 * NULL (and j failed) when the repair does not fit its ceiling. */
static const char *repair_utf8(json_items *j, const unsigned char *s, size_t *len)
{
    size_t n = *len, i = 0;
    while (i < n && s[i] >= 0x01 && s[i] < 0x80)
        i++;
    while (i < n) {
        size_t k = utf8_seq_len(s + i, n - i);
        if (k == 0) break;
        i += k;
    }
    if (i == n) return (const char *)s;
    fa_buf_reset(&j->repaired);
    if (fa_buf_append(&j->repaired, s, i) < 0) goto toobig;
    while (i < n) {
        size_t k = utf8_seq_len(s + i, n - i);
        if (k == 0) {
            if (fa_buf_append(&j->repaired, "\xEF\xBF\xBD", 3) < 0) goto toobig;
            i++;
        } else {
            if (fa_buf_append(&j->repaired, s + i, k) < 0) goto toobig;
            i += k;
        }
    }
    *len = j->repaired.len;
    return j->repaired.data;
toobig:
    fail(j, FA_ETOOBIG, "a JSON string longer than %zu bytes once repaired", j->max_item_bytes);
    return NULL;
}

/* ---- yajl callbacks ---- */

static int keep_going(json_items *j)
{
    return j->rc == 0 && !j->done;
}

static void decide_root(json_items *j, int is_array)
{
    if (j->root_seen) return;
    j->root_seen = 1;
    if (j->flavor != JSON_FLAVOR_AUTO) return;
    j->flavor = is_array ? JSON_FLAVOR_WORDPRESS : JSON_FLAVOR_JSONFEED;
    pointer_free(&j->items_ptr);
    if (pointer_parse(&j->items_ptr, is_array ? "" : "/items") < 0)
        fail(j, FA_ENOMEM, "out of memory");
}

static int scalar(json_items *j, enum jtype t, const char *s, size_t len)
{
    j->since_token = 0;
    if (!j->root_seen) { /* a bare scalar: no items anywhere */
        j->root_seen = 1;
        return keep_going(j);
    }
    if (j->item_level > 0) {
        item_node(j, t, s, len);
        return keep_going(j);
    }
    if (j->depth > 0 && j->frames[j->depth - 1].is_items) {
        /* a scalar where an item object belongs: counted as nothing */
        value_done(j);
        return keep_going(j);
    }
    if (at_pointer(j, &j->items_ptr)) j->items_not_array = 1;
    for (unsigned k = 0; k < j->nwatch; k++) {
        if (j->watched[k] == NULL && at_pointer(j, &j->watch[k])) {
            if (len > MAX_WATCH_TEXT) len = MAX_WATCH_TEXT;
            j->watched[k] = malloc(len + 1);
            if (j->watched[k] == NULL) {
                fail(j, FA_ENOMEM, "out of memory");
                return 0;
            }
            memcpy(j->watched[k], s, len);
            j->watched[k][len] = '\0';
        }
    }
    value_done(j);
    return keep_going(j);
}

static int cb_null(void *ctx)
{
    return scalar(ctx, J_NULL, "", 0);
}

static int cb_bool(void *ctx, int v)
{
    return scalar(ctx, J_BOOL, v ? "true" : "false", v ? 4 : 5);
}

static int cb_number(void *ctx, const char *s, size_t len)
{
    return scalar(ctx, J_NUMBER, s, len);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
    const char *text = repair_utf8(ctx, s, &len);
    return text != NULL ? scalar(ctx, J_STRING, text, len) : 0;
}

static int open_container(json_items *j, int is_array)
{
    j->since_token = 0;
    decide_root(j, is_array);
    if (j->rc < 0) return 0;
    if (j->depth + j->item_level + 1 > j->max_depth) {
        fail(j, FA_ETOOBIG, "JSON nested deeper than %u levels", j->max_depth);
        return 0;
    }
    if (j->item_level > 0) {
        jnode *n = item_node(j, is_array ? J_ARRAY : J_OBJECT, NULL, 0);
        if (n != NULL) j->item_cur = n;
        j->item_level++;
        return keep_going(j);
    }
    if (j->depth > 0 && j->frames[j->depth - 1].is_items) {
        /* an item starts */
        j->item_level = 1;
        j->item_skip = 0;
        jnode *n = item_node(j, is_array ? J_ARRAY : J_OBJECT, NULL, 0);
        j->item_root = j->item_cur = n;
        return keep_going(j);
    }
    int is_items = 0;
    if (at_pointer(j, &j->items_ptr)) {
        if (is_array) {
            is_items = 1;
            j->items_found = 1;
        } else {
            j->items_not_array = 1;
        }
    }
    frame *f = &j->frames[j->depth++];
    memset(f, 0, sizeof *f);
    f->is_array = (unsigned char)is_array;
    f->is_items = (unsigned char)is_items;
    f->key_off = j->keys.len;
    return keep_going(j);
}

static int close_container(json_items *j)
{
    j->since_token = 0;
    if (j->item_level > 0) {
        j->item_level--;
        if (j->item_cur != NULL && j->item_level > 0) j->item_cur = j->item_cur->parent;
        if (j->item_level == 0) item_finish(j);
        return keep_going(j);
    }
    if (j->depth == 0) return keep_going(j);
    frame *f = &j->frames[--j->depth];
    j->keys.len = f->key_off;
    if (j->keys.data) j->keys.data[j->keys.len] = '\0';
    value_done(j);
    return keep_going(j);
}

static int cb_start_map(void *ctx)
{
    return open_container(ctx, 0);
}

static int cb_start_array(void *ctx)
{
    return open_container(ctx, 1);
}

static int cb_end(void *ctx)
{
    return close_container(ctx);
}

static int cb_key(void *ctx, const unsigned char *raw, size_t len)
{
    json_items *j = ctx;
    j->since_token = 0;
    const char *key = repair_utf8(j, raw, &len);
    if (key == NULL) return 0;
    if (j->item_level > 0) {
        if (!j->item_skip) {
            j->pending_key = arena_str(j, key, len);
            if (j->pending_key == NULL) j->item_skip = 1;
        }
        return keep_going(j);
    }
    if (j->depth == 0) return keep_going(j);
    frame *f = &j->frames[j->depth - 1];
    j->keys.len = f->key_off;
    f->key_ok = 0;
    f->key_len = 0;
    if (len <= MAX_KEY && fa_buf_append(&j->keys, key, len) == 0) {
        f->key_ok = 1;
        f->key_len = len;
    }
    return keep_going(j);
}

static const yajl_callbacks callbacks = {
    cb_null,      cb_bool, NULL,   NULL,           cb_number, cb_string,
    cb_start_map, cb_key,  cb_end, cb_start_array, cb_end,
};

/* ---- public interface ---- */

json_items *json_items_new(enum json_flavor flavor, const char *items_ptr,
                           const json_items_fields *fields, const char *base_url,
                           const feed_parser_limits *limits, feed_item_cb cb, void *ud)
{
    json_items *j = calloc(1, sizeof *j);
    if (j == NULL) return NULL;
    j->flavor = flavor;
    j->cb = cb;
    j->ud = ud;
    j->max_item_bytes =
        limits && limits->max_item_bytes ? limits->max_item_bytes : DEFAULT_MAX_ITEM_BYTES;
    j->max_items = limits && limits->max_items ? limits->max_items : DEFAULT_MAX_ITEMS;
    j->max_depth = limits && limits->max_depth ? limits->max_depth : DEFAULT_MAX_DEPTH;
    j->ar.max_total = j->max_item_bytes;
    fa_buf_init(&j->keys, MAX_KEYS_BYTES);
    for (int i = 0; i < F_COUNT; i++)
        fa_buf_init(&j->f[i], j->max_item_bytes);
    fa_buf_init(&j->encl, j->max_item_bytes);
    /* a string is at most a token (max_item_bytes and up to two slices, as
     * the token check runs after each slice); U+FFFD is 3 bytes */
    fa_buf_init(&j->repaired, 3 * (j->max_item_bytes + 2 * SLICE));
    fa_hashset_init(&j->seen);
    j->frames = calloc(j->max_depth + 1, sizeof *j->frames);
    if (j->frames == NULL) goto fail;
    if (base_url != NULL && *base_url) {
        if ((j->base_url = strdup(base_url)) == NULL) goto fail;
        const char *w = strstr(base_url, "/wp-json/");
        if (w != NULL && (j->wp_site = strndup(base_url, (size_t)(w - base_url))) == NULL)
            goto fail;
    }
    if (flavor == JSON_FLAVOR_WORDPRESS && pointer_parse(&j->items_ptr, "") < 0) goto fail;
    if (flavor == JSON_FLAVOR_JSONFEED && pointer_parse(&j->items_ptr, "/items") < 0) goto fail;
    if (flavor == JSON_FLAVOR_MAPPED) {
        if (pointer_parse(&j->items_ptr, items_ptr ? items_ptr : "") < 0) goto fail;
        const char *fp[F_COUNT] = {0};
        if (fields != NULL) {
            fp[F_ID] = fields->id;
            fp[F_LINK] = fields->url;
            fp[F_TITLE] = fields->title;
            fp[F_AUTHOR] = fields->author;
            fp[F_PUBLISHED] = fields->date;
            fp[F_UPDATED] = fields->updated;
            fp[F_SUMMARY] = fields->summary;
            fp[F_CONTENT] = fields->content;
        }
        for (int i = 0; i < F_COUNT; i++)
            if (fp[i] != NULL && pointer_parse(&j->fptr[i], fp[i]) < 0) goto fail;
    }
    j->h = yajl_alloc(&callbacks, NULL, j);
    if (j->h == NULL) goto fail;
    yajl_config(j->h, yajl_allow_trailing_garbage, 1);
    yajl_config(j->h, yajl_dont_validate_strings, 1); /* repaired in repair_utf8 */
    return j;
fail:
    json_items_free(j);
    return NULL;
}

int json_items_watch(json_items *j, const char *ptr)
{
    if (j == NULL || ptr == NULL) return FA_EINVAL;
    if (j->nwatch == MAX_WATCH) return FA_ETOOBIG;
    int rc = pointer_parse(&j->watch[j->nwatch], ptr);
    if (rc < 0) return rc;
    return (int)j->nwatch++;
}

const char *json_items_watched(const json_items *j, int slot)
{
    if (j == NULL || slot < 0 || (unsigned)slot >= j->nwatch) return NULL;
    return j->watched[slot];
}

static int syntax_error(json_items *j, const unsigned char *d, size_t len)
{
    unsigned char *m = yajl_get_error(j->h, 0, d, len);
    char msg[160];
    snprintf(msg, sizeof msg, "%s", m ? (const char *)m : "invalid JSON");
    if (m) yajl_free_error(j->h, m);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    return fail(j, FA_EPARSE, "JSON syntax error: %s (after %u items)", msg, j->stats.items);
}

int json_items_push(json_items *j, const void *data, size_t len)
{
    if (j == NULL || (data == NULL && len > 0)) return FA_EINVAL;
    if (j->rc < 0) return j->rc;
    if (j->finished) return FA_EINVAL;
    const unsigned char *d = data;
    while (len > 0 && !j->done) {
        size_t n = len < SLICE ? len : SLICE;
        yajl_status st = yajl_parse(j->h, d, n);
        if (j->rc < 0) return j->rc;
        if (st == yajl_status_error) return syntax_error(j, d, n);
        if (st == yajl_status_client_canceled) break; /* done (max_items) */
        j->since_token += n;
        if (j->since_token > j->max_item_bytes + SLICE)
            return fail(j, FA_ETOOBIG, "a JSON token longer than %zu bytes", j->max_item_bytes);
        d += n;
        len -= n;
    }
    return 0;
}

int json_items_finish(json_items *j)
{
    if (j == NULL) return FA_EINVAL;
    if (j->rc < 0) return j->rc;
    if (!j->finished) {
        j->finished = 1;
        if (!j->done) {
            yajl_status st = yajl_complete_parse(j->h);
            if (j->rc < 0) return j->rc;
            if (st == yajl_status_error) return syntax_error(j, NULL, 0);
        }
    }
    if (!j->root_seen) return fail(j, FA_EPARSE, "empty JSON body");
    if (!j->items_found) {
        char where[256] = "";
        for (unsigned i = 0; i < j->items_ptr.n; i++) {
            size_t w = strlen(where);
            snprintf(where + w, sizeof where - w, "/%s", j->items_ptr.segs[i]);
        }
        return fail(j, FA_EPARSE, "no item array at \"%s\"%s", where,
                    j->items_not_array ? " (the value there is not an array)" : "");
    }
    return (int)j->stats.items;
}

enum json_flavor json_items_flavor(const json_items *j)
{
    return j ? j->flavor : JSON_FLAVOR_AUTO;
}

int json_items_found(const json_items *j)
{
    return j != NULL && j->items_found;
}

const char *json_items_error(const json_items *j)
{
    return j ? j->err : "";
}

size_t json_items__arena_peak(const json_items *j)
{
    return j ? j->ar.peak_held : 0;
}

void json_items_get_stats(const json_items *j, feed_parser_stats *out)
{
    if (j == NULL) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = j->stats;
}

void json_items_free(json_items *j)
{
    if (j == NULL) return;
    if (j->h != NULL) yajl_free(j->h);
    pointer_free(&j->items_ptr);
    for (int i = 0; i < F_COUNT; i++) {
        pointer_free(&j->fptr[i]);
        fa_buf_free(&j->f[i]);
    }
    for (unsigned i = 0; i < j->nwatch; i++) {
        pointer_free(&j->watch[i]);
        free(j->watched[i]);
    }
    fa_buf_free(&j->encl);
    fa_buf_free(&j->repaired);
    fa_buf_free(&j->keys);
    fa_hashset_free(&j->seen);
    arena_free(&j->ar);
    free(j->frames);
    free(j->base_url);
    free(j->wp_site);
    free(j);
}
