/*
 * source_list.c - OPML expansion and config-to-parser translation; see
 * source_list.h.
 *
 * Expansion builds a new source array: entries are copied in order and
 * each OPML entry is replaced by its feeds.  Dedup is by exact URL through
 * a hash set over the URLs seen so far (config sources first), so a list
 * of 10,000 feeds costs linear time.  Only when every file was read
 * without error is the new array swapped in; on any error the config is
 * left as it was.
 *
 * Names stay unique (they key each source's state): a feed whose outline
 * title is taken, empty or too long is named from its URL
 * (config_source_default_name), with " (2)", " (3)"... if that is taken too.
 */
#include "crawler/source_list.h"
#include "common/fa_url.h"

#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "common/fa_hashset.h"
#include "crawler/feeds/opml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ERRORS_TEXT ((size_t)64 << 10)

typedef struct expand {
    config *cfg;
    const config_source *entry; /* the OPML entry being expanded */
    const char *file;
    config_source *out;
    size_t n, cap;
    fa_hashset seen;
    fa_hashset names; /* hashes of the names taken so far */
    fa_buf errs;
    int n_errors;
    int oom;
} expand;

static uint64_t url_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ? h : 1;
}

static config_source *grow(expand *e)
{
    if (e->n == e->cap) {
        size_t ncap = e->cap ? e->cap * 2 : 16;
        config_source *n = realloc(e->out, ncap * sizeof *n);
        if (n == NULL) {
            e->oom = 1;
            return NULL;
        }
        e->out = n;
        e->cap = ncap;
    }
    config_source *s = &e->out[e->n++];
    memset(s, 0, sizeof *s);
    return s;
}

/* The host of an http(s) URL, lowercased, malloc'd; NULL when url is not
 * one. */
static char *http_host(const char *url)
{
    size_t scheme = fa_url_http_prefix(url, NULL);
    if (scheme == 0) return NULL;
    const char *rest = url + scheme;
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f) return NULL;
    size_t n = strcspn(rest, "/?#");
    const char *at = memchr(rest, '@', n);
    if (at != NULL) {
        n -= (size_t)(at + 1 - rest);
        rest = at + 1;
    }
    size_t h = rest[0] == '[' ? n : strcspn(rest, ":/?#");
    if (h > n) h = n;
    if (h == 0) return NULL;
    char *host = strndup(rest, h);
    if (host == NULL) return NULL;
    for (char *p = host; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    return host;
}

static int copy_headers(config_source *d, const config_source *s)
{
    if (s->n_headers == 0) return 0;
    d->headers = calloc(s->n_headers, sizeof *d->headers);
    if (d->headers == NULL) return FA_ENOMEM;
    for (size_t i = 0; i < s->n_headers; i++) {
        d->headers[i].name = strdup(s->headers[i].name);
        d->headers[i].value = strdup(s->headers[i].value);
        d->n_headers++;
        if (d->headers[i].name == NULL || d->headers[i].value == NULL) return FA_ENOMEM;
    }
    return 0;
}

/* A name no other source has (names key the sources' state): the outline's
 * title when it is free and not too long, else the URL's default name,
 * else that with " (2)", " (3)"...  malloc'd; NULL when out of memory. */
static char *unique_name(expand *e, const char *title, const char *url)
{
    char name[CONFIG_SOURCE_NAME_MAX + 1], dflt[CONFIG_SOURCE_NAME_MAX + 1];
    int rc = 0;
    if (config_source_default_name(url, dflt, sizeof dflt) < 0)
        snprintf(dflt, sizeof dflt, "%.*s", CONFIG_SOURCE_NAME_MAX - 12, url);
    if (*title && strlen(title) <= CONFIG_SOURCE_NAME_MAX)
        rc = fa_hashset_add(&e->names, url_hash(title));
    if (rc > 0) return strdup(title);
    for (unsigned k = 1; rc == 0 && k < 1000000; k++) {
        if (k == 1)
            snprintf(name, sizeof name, "%s", dflt);
        else
            snprintf(name, sizeof name, "%.*s (%u)", CONFIG_SOURCE_NAME_MAX - 12, dflt, k);
        rc = fa_hashset_add(&e->names, url_hash(name));
    }
    return rc > 0 ? strdup(name) : NULL;
}

static int on_outline(void *ud, const opml_outline *o)
{
    expand *e = ud;
    char *host = http_host(o->xml_url);
    if (host == NULL) {
        e->n_errors++;
        if (fa_buf_printf(&e->errs, "%s:%d: xmlUrl \"%.200s\" is not an http(s) URL\n", e->file,
                          o->line, o->xml_url) == FA_ENOMEM)
            e->oom = 1;
        return 0;
    }
    int rc = fa_hashset_add(&e->seen, url_hash(o->xml_url));
    if (rc <= 0) {
        free(host);
        if (rc < 0) e->oom = 1;
        return 0; /* already a source */
    }
    if (e->n >= CONFIG_MAX_SOURCES) {
        free(host);
        e->n_errors++;
        fa_buf_printf(&e->errs, "%s:%d: more than %d sources in all\n", e->file, o->line,
                      CONFIG_MAX_SOURCES);
        return FA_ETOOBIG;
    }
    config_source *s = grow(e);
    if (s == NULL) {
        free(host);
        return FA_ENOMEM;
    }
    const config_source *t = e->entry;
    s->url = strdup(o->xml_url);
    free(host);
    s->name = unique_name(e, o->title, o->xml_url);
    s->name_is_default = s->name != NULL && strcmp(s->name, o->title) != 0;
    s->type = t->type;
    s->fetch_pages = t->fetch_pages;
    s->interval_ms = t->interval_ms;
    s->max_items = t->max_items;
    s->max_pages = t->max_pages;
    s->line = t->line;
    if (s->url == NULL || s->name == NULL || copy_headers(s, t) < 0) {
        e->oom = 1;
        return FA_ENOMEM;
    }
    return 0;
}

int source_list_expand_opml(config *cfg, char **errors)
{
    if (errors != NULL) *errors = NULL;
    if (cfg == NULL) return FA_EINVAL;
    size_t n_opml = 0;
    for (size_t i = 0; i < cfg->n_sources; i++)
        if (cfg->sources[i].opml_path != NULL && cfg->sources[i].url == NULL) n_opml++;
    if (n_opml == 0) return 0;

    expand e;
    memset(&e, 0, sizeof e);
    e.cfg = cfg;
    fa_hashset_init(&e.seen);
    fa_hashset_init(&e.names);
    fa_buf_init(&e.errs, MAX_ERRORS_TEXT);
    int rc = 0;
    for (size_t i = 0; i < cfg->n_sources; i++) {
        if (cfg->sources[i].url != NULL &&
            fa_hashset_add(&e.seen, url_hash(cfg->sources[i].url)) < 0)
            e.oom = 1;
        if (cfg->sources[i].name != NULL &&
            fa_hashset_add(&e.names, url_hash(cfg->sources[i].name)) < 0)
            e.oom = 1;
    }
    size_t added = 0;
    for (size_t i = 0; i < cfg->n_sources && !e.oom; i++) {
        config_source *src = &cfg->sources[i];
        if (src->url != NULL || src->opml_path == NULL) {
            config_source *d = grow(&e);
            if (d == NULL) break;
            *d = *src; /* moved on success; see below */
            continue;
        }
        e.entry = src;
        e.file = src->opml_path;
        size_t before = e.n;
        char err[512];
        int r = opml_read_file(src->opml_path, on_outline, &e, err, sizeof err);
        if (r < 0 && r != FA_ENOMEM) {
            e.n_errors++;
            fa_buf_printf(&e.errs, "%s:%d: sources[%zu].opml: %s\n", cfg->path, src->line, i, err);
        } else if (r < 0) {
            e.oom = 1;
        }
        if (r < 0 && rc == 0) rc = r;
        added += e.n - before;
    }
    if (e.oom)
        rc = FA_ENOMEM;
    else if (rc == 0 && e.n_errors > 0)
        rc = FA_EINVAL;
    if (rc < 0) {
        /* drop what was built: the copies of existing sources are shallow */
        for (size_t k = 0; k < e.n; k++) {
            config_source *d = &e.out[k];
            int borrowed = 0;
            for (size_t i = 0; i < cfg->n_sources && !borrowed; i++)
                borrowed = d->url != NULL && d->url == cfg->sources[i].url;
            if (!borrowed) config_source_clear(d);
        }
        free(e.out);
        if (rc == FA_ENOMEM && e.n_errors == 0) fa_buf_puts(&e.errs, "out of memory\n");
        if (errors != NULL) *errors = fa_buf_steal(&e.errs, NULL);
    } else {
        for (size_t i = 0; i < cfg->n_sources; i++)
            if (cfg->sources[i].url == NULL) config_source_clear(&cfg->sources[i]);
        free(cfg->sources);
        cfg->sources = e.out;
        cfg->n_sources = e.n;
        rc = (int)added;
    }
    fa_buf_free(&e.errs);
    fa_hashset_free(&e.seen);
    fa_hashset_free(&e.names);
    return rc;
}

int source_list_migrate_state(const config *cfg, crawl_state *st)
{
    if (cfg == NULL || st == NULL) return FA_EINVAL;
    char val[CRAWL_STATE_KV_VALUE_MAX];
    int rc = crawl_state_get_kv(st, "source_names", val, sizeof val);
    if (rc != 0) return rc < 0 ? rc : 0; /* done once, by an earlier run */
    fa_hashset hosts, shared;
    fa_hashset_init(&hosts);
    fa_hashset_init(&shared);
    /* hosts of two sources, and hosts that are some source's name */
    for (size_t i = 0; i < cfg->n_sources && rc >= 0; i++) {
        const config_source *s = &cfg->sources[i];
        char *host = s->url ? http_host(s->url) : NULL;
        if (host != NULL && (rc = fa_hashset_add(&hosts, url_hash(host))) == 0)
            rc = fa_hashset_add(&shared, url_hash(host));
        free(host);
    }
    for (size_t i = 0; i < cfg->n_sources && rc >= 0; i++)
        if (cfg->sources[i].name != NULL && !cfg->sources[i].name_is_default &&
            fa_hashset_has(&hosts, url_hash(cfg->sources[i].name)))
            rc = fa_hashset_add(&shared, url_hash(cfg->sources[i].name));
    int moved = 0;
    source_record *rec = malloc(sizeof *rec);
    if (rec == NULL) rc = FA_ENOMEM;
    int began = 0; /* commit or roll back only a transaction of ours */
    if (rc >= 0 && (rc = crawl_state_begin(st)) == 0) began = 1;
    for (size_t i = 0; i < cfg->n_sources && rc >= 0; i++) {
        const config_source *s = &cfg->sources[i];
        if (!s->name_is_default || s->url == NULL || s->name == NULL) continue;
        char *host = http_host(s->url);
        if (host == NULL) continue;
        if (strcmp(host, s->name) != 0 && !fa_hashset_has(&shared, url_hash(host)) &&
            (rc = crawl_state_get_source(st, s->name, rec)) == 0 &&
            (rc = crawl_state_get_source(st, host, rec)) == 1) {
            snprintf(rec->name, sizeof rec->name, "%s", s->name);
            rc = crawl_state_put_source(st, rec);
            char key[CRAWL_STATE_KV_KEY_MAX];
            snprintf(key, sizeof key, "wordpress_since:%s", host);
            if (rc == 0 && (rc = crawl_state_get_kv(st, key, val, sizeof val)) == 1) {
                snprintf(key, sizeof key, "wordpress_since:%s", s->name);
                rc = crawl_state_put_kv(st, key, val);
            }
            if (rc >= 0) moved++;
        }
        free(host);
    }
    if (rc >= 0) rc = crawl_state_put_kv(st, "source_names", "unique");
    if (began) {
        if (rc >= 0) rc = crawl_state_commit(st);
        if (rc < 0 && crawl_state_in_transaction(st)) crawl_state_rollback(st);
    }
    free(rec);
    fa_hashset_free(&hosts);
    fa_hashset_free(&shared);
    return rc < 0 ? rc : moved;
}

const source_json_mapping *source_list_json_mapping(const config_source *s,
                                                    source_json_mapping *out)
{
    if (s == NULL || s->json == NULL || out == NULL) return NULL;
    const config_json_mapping *m = s->json;
    memset(out, 0, sizeof *out);
    out->items = m->items;
    out->id = m->id;
    out->url = m->url;
    out->title = m->title;
    out->date = m->date;
    out->updated = m->updated;
    out->content = m->content;
    out->summary = m->summary;
    out->author = m->author;
    out->page_param = m->page_param;
    out->next_url = m->next_url;
    out->cursor_param = m->cursor_param;
    out->cursor = m->cursor;
    out->max_pages = s->max_pages;
    switch (m->paginate) {
    case CONFIG_PAGINATE_PAGE:
        out->paginate = JSON_PAGINATE_PAGE;
        break;
    case CONFIG_PAGINATE_NEXT:
        out->paginate = JSON_PAGINATE_NEXT_URL;
        break;
    case CONFIG_PAGINATE_LINK:
        out->paginate = JSON_PAGINATE_LINK_HEADER;
        break;
    case CONFIG_PAGINATE_CURSOR:
        out->paginate = JSON_PAGINATE_CURSOR;
        break;
    default:
        out->paginate = JSON_PAGINATE_NONE;
        break;
    }
    return out;
}
