/*
 * state_memory.c - the in-memory crawl_state backend.
 *
 * Used by the crawler's tests, and the proof that crawl_state_ops is narrow
 * enough to put another store behind: it keeps exactly the behaviour the
 * SQLite backend has (whole-record replace, transactions that roll back,
 * sources listed in name order) and nothing survives close.
 *
 * Each kind of record has its own map from key to value.  Values are packed
 * (lengths + bytes, not the fixed-array structs, which are kilobytes each),
 * the same way a key/value store such as Redis would hold them: a million
 * url records cost ~ a million times (key + the strings actually set + ~100
 * bytes), not a million times sizeof(url_record).
 *
 * The map is chained hashing (FNV-1a) that doubles when the load passes 1.
 * A transaction keeps an undo log: each put inside it first detaches the
 * previous entry for its key (or notes there was none); rollback replays the
 * log backwards, commit frees the detached entries.
 */
#include "storage/state/crawl_state_backend.h"

#include "common/fa_container.h"
#include "common/fa_err.h"

#include <stdlib.h>
#include <string.h>

/* ---- packed values ---- */

#define PACK_MAX (CRAWL_STATE_ROBOTS_MAX + (size_t)64 * 1024) /* ceiling on one value */

static int pack_i64(fa_buf *b, int64_t v)
{
    return fa_buf_append(b, &v, sizeof v);
}

static int pack_str(fa_buf *b, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    int rc = fa_buf_append(b, &n, sizeof n);
    return rc < 0 ? rc : fa_buf_append(b, s, n);
}

typedef struct unpacker {
    const unsigned char *p, *end;
    int rc; /* sticky: FA_ECORRUPT once anything did not fit */
} unpacker;

static int64_t unpack_i64(unpacker *u)
{
    int64_t v = 0;
    if (u->rc < 0 || (size_t)(u->end - u->p) < sizeof v) {
        u->rc = FA_ECORRUPT;
        return 0;
    }
    memcpy(&v, u->p, sizeof v);
    u->p += sizeof v;
    return v;
}

/* Returns the string's bytes (not NUL-terminated) and its length in *len. */
static const unsigned char *unpack_bytes(unpacker *u, size_t *len)
{
    uint32_t n;
    const unsigned char *s;
    *len = 0;
    if (u->rc < 0 || (size_t)(u->end - u->p) < sizeof n) {
        u->rc = FA_ECORRUPT;
        return NULL;
    }
    memcpy(&n, u->p, sizeof n);
    u->p += sizeof n;
    if ((size_t)(u->end - u->p) < n) {
        u->rc = FA_ECORRUPT;
        return NULL;
    }
    s = u->p;
    u->p += n;
    *len = n;
    return s;
}

static void unpack_str(unpacker *u, char *dst, size_t cap)
{
    size_t n;
    const unsigned char *s = unpack_bytes(u, &n);
    if (u->rc == 0 && crawl_state__copy_field(dst, cap, (const char *)s, n) < 0)
        u->rc = FA_ECORRUPT;
}

/* ---- the map ---- */

typedef struct mem_entry {
    struct mem_entry *next;
    uint64_t hash;
    size_t key_len;
    size_t val_len;
    unsigned char data[]; /* key, NUL, value */
} mem_entry;

typedef struct mem_map {
    mem_entry **buckets;
    size_t nbuckets; /* power of two, or 0 */
    size_t count;
} mem_map;

static uint64_t hash_key(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static mem_entry *entry_new(const char *key, const void *val, size_t val_len)
{
    size_t key_len = strlen(key);
    mem_entry *e = malloc(sizeof *e + key_len + 1 + val_len);
    if (!e) return NULL;
    e->next = NULL;
    e->hash = hash_key(key, key_len);
    e->key_len = key_len;
    e->val_len = val_len;
    memcpy(e->data, key, key_len + 1);
    if (val_len) memcpy(e->data + key_len + 1, val, val_len);
    return e;
}

static const unsigned char *entry_val(const mem_entry *e)
{
    return e->data + e->key_len + 1;
}

static mem_entry **map_slot(mem_map *m, const char *key)
{
    size_t len = strlen(key);
    uint64_t h = hash_key(key, len);
    mem_entry **pp;
    if (!m->nbuckets) return NULL;
    for (pp = &m->buckets[h & (m->nbuckets - 1)]; *pp; pp = &(*pp)->next)
        if ((*pp)->hash == h && (*pp)->key_len == len && memcmp((*pp)->data, key, len) == 0)
            return pp;
    return NULL;
}

static const mem_entry *map_get(mem_map *m, const char *key)
{
    mem_entry **pp = map_slot(m, key);
    return pp ? *pp : NULL;
}

/* Unlinks and returns the entry for key, or NULL. */
static mem_entry *map_detach(mem_map *m, const char *key)
{
    mem_entry **pp = map_slot(m, key), *e;
    if (!pp) return NULL;
    e = *pp;
    *pp = e->next;
    e->next = NULL;
    m->count--;
    return e;
}

static int map_grow(mem_map *m)
{
    size_t n = m->nbuckets ? m->nbuckets * 2 : 64;
    mem_entry **b = calloc(n, sizeof *b); /* NOLINT(bugprone-sizeof-expression) */
    if (!b) return FA_ENOMEM;
    for (size_t i = 0; i < m->nbuckets; i++) {
        mem_entry *e = m->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
    return 0;
}

/* Links e in; its key must not be present. */
static int map_attach(mem_map *m, mem_entry *e)
{
    int rc;
    if (m->count >= m->nbuckets && (rc = map_grow(m)) < 0) return rc;
    e->next = m->buckets[e->hash & (m->nbuckets - 1)];
    m->buckets[e->hash & (m->nbuckets - 1)] = e;
    m->count++;
    return 0;
}

static void map_free(mem_map *m)
{
    for (size_t i = 0; i < m->nbuckets; i++) {
        mem_entry *e = m->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(m->buckets);
    memset(m, 0, sizeof *m);
}

/* ---- the backend ---- */

enum { MAP_URLS, MAP_SOURCES, MAP_ROBOTS, MAP_BACKOFF, MAP_KV, MAP_COUNT };

typedef struct undo_entry {
    int map;
    mem_entry *old; /* the entry the put replaced, or NULL */
    char *key;      /* the key put (to remove it again) */
} undo_entry;

typedef struct memory_state {
    crawl_state base; /* the handle given out (mem_of) */
    mem_map maps[MAP_COUNT];
    undo_entry *undo;
    size_t undo_len, undo_cap;
    fa_buf pack; /* scratch for packing one value */
} memory_state;

static memory_state *mem_of(crawl_state *st)
{
    return FA_CONTAINER_OF(st, memory_state, base);
}

/* Replaces the value of key in map (the packed value in ms->pack). */
static int store(memory_state *ms, int map, const char *key)
{
    mem_map *m = &ms->maps[map];
    mem_entry *e = entry_new(key, ms->pack.data, ms->pack.len), *old;
    int rc;

    if (!e) return FA_ENOMEM;
    if (ms->base.in_txn && ms->undo_len == ms->undo_cap) {
        size_t n = ms->undo_cap ? ms->undo_cap * 2 : 256;
        undo_entry *u = realloc(ms->undo, n * sizeof *u);
        if (!u) {
            free(e);
            return FA_ENOMEM;
        }
        ms->undo = u;
        ms->undo_cap = n;
    }
    old = map_detach(m, key);
    if ((rc = map_attach(m, e)) < 0) {
        if (old) map_attach(m, old); /* the count just went down: no growth needed */
        free(e);
        return rc;
    }
    if (ms->base.in_txn) {
        undo_entry *u = &ms->undo[ms->undo_len++];
        u->map = map;
        u->old = old;
        u->key = (char *)e->data; /* valid as long as e is in the map */
        /* e can only leave the map through a later put of the same key,
         * which is undone first on rollback - so the pointer stays valid
         * whenever it is used. */
    } else {
        free(old);
    }
    return 0;
}

static int mem_begin(crawl_state *st)
{
    mem_of(st)->undo_len = 0;
    return 0;
}

static int mem_commit(crawl_state *st)
{
    memory_state *ms = mem_of(st);
    for (size_t i = 0; i < ms->undo_len; i++)
        free(ms->undo[i].old);
    ms->undo_len = 0;
    return 0;
}

static int mem_rollback(crawl_state *st)
{
    memory_state *ms = mem_of(st);
    while (ms->undo_len) {
        undo_entry *u = &ms->undo[--ms->undo_len];
        mem_map *m = &ms->maps[u->map];
        free(map_detach(m, u->key));       /* u->key points into this entry: last use */
        if (u->old) map_attach(m, u->old); /* the count is back where it was: no growth */
    }
    return 0;
}

/* Looks key up and starts unpacking its value: 1, or 0 when absent. */
static int lookup(memory_state *ms, int map, const char *key, unpacker *u)
{
    const mem_entry *e = map_get(&ms->maps[map], key);
    if (!e) return 0;
    u->p = entry_val(e);
    u->end = u->p + e->val_len;
    u->rc = 0;
    return 1;
}

static int mem_get_url(crawl_state *st, const char *url, url_record *out)
{
    unpacker u;
    if (!lookup(mem_of(st), MAP_URLS, url, &u)) return 0;
    out->kind = (int)unpack_i64(&u);
    unpack_str(&u, out->source, sizeof out->source);
    unpack_str(&u, out->item_id, sizeof out->item_id);
    unpack_str(&u, out->item_published, sizeof out->item_published);
    unpack_str(&u, out->item_updated, sizeof out->item_updated);
    unpack_str(&u, out->etag, sizeof out->etag);
    unpack_str(&u, out->last_modified, sizeof out->last_modified);
    out->http_status = (int)unpack_i64(&u);
    out->last_fetch_ns = unpack_i64(&u);
    unpack_str(&u, out->payload_digest, sizeof out->payload_digest);
    unpack_str(&u, out->warc_record_id, sizeof out->warc_record_id);
    unpack_str(&u, out->warc_segment, sizeof out->warc_segment);
    out->warc_offset = (uint64_t)unpack_i64(&u);
    out->warc_length = (uint64_t)unpack_i64(&u);
    out->fetch_count = (uint64_t)unpack_i64(&u);
    return u.rc < 0 ? u.rc : 1;
}

static int mem_put_url(crawl_state *st, const char *url, const url_record *r)
{
    memory_state *ms = mem_of(st);
    fa_buf *b = &ms->pack;
    fa_buf_reset(b);
    if (pack_i64(b, r->kind) < 0 || pack_str(b, r->source) < 0 || pack_str(b, r->item_id) < 0 ||
        pack_str(b, r->item_published) < 0 || pack_str(b, r->item_updated) < 0 ||
        pack_str(b, r->etag) < 0 || pack_str(b, r->last_modified) < 0 ||
        pack_i64(b, r->http_status) < 0 || pack_i64(b, r->last_fetch_ns) < 0 ||
        pack_str(b, r->payload_digest) < 0 || pack_str(b, r->warc_record_id) < 0 ||
        pack_str(b, r->warc_segment) < 0 || pack_i64(b, (int64_t)r->warc_offset) < 0 ||
        pack_i64(b, (int64_t)r->warc_length) < 0 || pack_i64(b, (int64_t)r->fetch_count) < 0)
        return FA_ENOMEM;
    return store(ms, MAP_URLS, url);
}

static int unpack_source(unpacker *u, source_record *out)
{
    unpack_str(u, out->name, sizeof out->name);
    unpack_str(u, out->url, sizeof out->url);
    out->last_attempt_ns = unpack_i64(u);
    out->last_success_ns = unpack_i64(u);
    out->last_status = (int)unpack_i64(u);
    unpack_str(u, out->last_error, sizeof out->last_error);
    out->items_archived = (uint64_t)unpack_i64(u);
    out->consecutive_failures = (uint32_t)unpack_i64(u);
    out->next_due_ns = unpack_i64(u);
    return u->rc;
}

static int mem_get_source(crawl_state *st, const char *name, source_record *out)
{
    unpacker u;
    int rc;
    if (!lookup(mem_of(st), MAP_SOURCES, name, &u)) return 0;
    rc = unpack_source(&u, out);
    return rc < 0 ? rc : 1;
}

static int mem_put_source(crawl_state *st, const source_record *r)
{
    memory_state *ms = mem_of(st);
    fa_buf *b = &ms->pack;
    fa_buf_reset(b);
    if (pack_str(b, r->name) < 0 || pack_str(b, r->url) < 0 ||
        pack_i64(b, r->last_attempt_ns) < 0 || pack_i64(b, r->last_success_ns) < 0 ||
        pack_i64(b, r->last_status) < 0 || pack_str(b, r->last_error) < 0 ||
        pack_i64(b, (int64_t)r->items_archived) < 0 || pack_i64(b, r->consecutive_failures) < 0 ||
        pack_i64(b, r->next_due_ns) < 0)
        return FA_ENOMEM;
    return store(ms, MAP_SOURCES, r->name);
}

static int cmp_entry_key(const void *a, const void *b)
{
    const mem_entry *ea = *(const mem_entry *const *)a, *eb = *(const mem_entry *const *)b;
    return strcmp((const char *)ea->data, (const char *)eb->data);
}

static int mem_list_sources(crawl_state *st, crawl_state_source_cb cb, void *ud)
{
    mem_map *m = &mem_of(st)->maps[MAP_SOURCES];
    const mem_entry **all = NULL;
    source_record *rec = NULL;
    size_t n = 0;
    int rc = 0;

    if (!m->count) return 0;
    all = malloc(m->count * sizeof *all); /* NOLINT(bugprone-sizeof-expression) */
    rec = malloc(sizeof *rec);
    if (!all || !rec) {
        rc = FA_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < m->nbuckets; i++)
        for (const mem_entry *e = m->buckets[i]; e; e = e->next)
            all[n++] = e;
    qsort(all, n, sizeof *all, cmp_entry_key); /* NOLINT(bugprone-sizeof-expression) */
    for (size_t i = 0; i < n && rc == 0; i++) {
        unpacker u = {entry_val(all[i]), entry_val(all[i]) + all[i]->val_len, 0};
        memset(rec, 0, sizeof *rec);
        if ((rc = unpack_source(&u, rec)) < 0) break;
        rc = cb(ud, rec);
    }
out:
    free(all);
    free(rec);
    return rc;
}

static int mem_get_robots(crawl_state *st, const char *host, robots_record *out, fa_buf *body)
{
    unpacker u;
    const unsigned char *bytes;
    size_t len;
    int rc;
    if (!lookup(mem_of(st), MAP_ROBOTS, host, &u)) return 0;
    out->fetched_at_ns = unpack_i64(&u);
    out->expires_at_ns = unpack_i64(&u);
    out->http_status = (int)unpack_i64(&u);
    bytes = unpack_bytes(&u, &len);
    if (u.rc < 0) return u.rc;
    out->body_len = len;
    if (body && (rc = fa_buf_append(body, bytes, len)) < 0) {
        crawl_state__set_error(st, "robots.txt for %s: %zu bytes do not fit the buffer", host, len);
        return rc;
    }
    return 1;
}

static int mem_put_robots(crawl_state *st, const char *host, const robots_record *r,
                          const void *body, size_t len)
{
    memory_state *ms = mem_of(st);
    fa_buf *b = &ms->pack;
    uint32_t n = (uint32_t)len;
    fa_buf_reset(b);
    if (pack_i64(b, r->fetched_at_ns) < 0 || pack_i64(b, r->expires_at_ns) < 0 ||
        pack_i64(b, r->http_status) < 0 || fa_buf_append(b, &n, sizeof n) < 0 ||
        fa_buf_append(b, body, len) < 0)
        return FA_ENOMEM;
    return store(ms, MAP_ROBOTS, host);
}

static int mem_get_backoff(crawl_state *st, const char *host, backoff_record *out)
{
    unpacker u;
    if (!lookup(mem_of(st), MAP_BACKOFF, host, &u)) return 0;
    out->backoff_until_ns = unpack_i64(&u);
    out->consecutive_errors = (uint32_t)unpack_i64(&u);
    out->retry_after_until_ns = unpack_i64(&u);
    return u.rc < 0 ? u.rc : 1;
}

static int mem_put_backoff(crawl_state *st, const char *host, const backoff_record *r)
{
    memory_state *ms = mem_of(st);
    fa_buf *b = &ms->pack;
    fa_buf_reset(b);
    if (pack_i64(b, r->backoff_until_ns) < 0 || pack_i64(b, r->consecutive_errors) < 0 ||
        pack_i64(b, r->retry_after_until_ns) < 0)
        return FA_ENOMEM;
    return store(ms, MAP_BACKOFF, host);
}

static int mem_get_kv(crawl_state *st, const char *key, char *val, size_t cap)
{
    unpacker u;
    size_t len;
    const unsigned char *s;
    if (!lookup(mem_of(st), MAP_KV, key, &u)) return 0;
    s = unpack_bytes(&u, &len);
    if (u.rc < 0) return u.rc;
    if (len >= cap) {
        crawl_state__set_error(st, "value of \"%s\": %zu bytes do not fit %zu", key, len, cap);
        return FA_ETOOBIG;
    }
    memcpy(val, s, len);
    val[len] = '\0';
    return 1;
}

static int mem_put_kv(crawl_state *st, const char *key, const char *val)
{
    memory_state *ms = mem_of(st);
    fa_buf_reset(&ms->pack);
    if (pack_str(&ms->pack, val) < 0) return FA_ENOMEM;
    return store(ms, MAP_KV, key);
}

static void mem_close(crawl_state *st)
{
    memory_state *ms = mem_of(st);
    for (int i = 0; i < MAP_COUNT; i++)
        map_free(&ms->maps[i]);
    free(ms->undo);
    fa_buf_free(&ms->pack);
    crawl_state__destroy(st);
    free(ms);
}

static const crawl_state_ops memory_ops = {
    .name = "memory",
    .begin = mem_begin,
    .commit = mem_commit,
    .rollback = mem_rollback,
    .get_url = mem_get_url,
    .put_url = mem_put_url,
    .get_source = mem_get_source,
    .put_source = mem_put_source,
    .list_sources = mem_list_sources,
    .get_robots = mem_get_robots,
    .put_robots = mem_put_robots,
    .get_backoff = mem_get_backoff,
    .put_backoff = mem_put_backoff,
    .get_kv = mem_get_kv,
    .put_kv = mem_put_kv,
    .close = mem_close,
};

int crawl_state_open_memory(crawl_state **out)
{
    memory_state *ms;
    if (!out) return FA_EINVAL;
    *out = NULL;
    ms = calloc(1, sizeof *ms);
    if (!ms) return FA_ENOMEM;
    if (crawl_state__init(&ms->base, &memory_ops) < 0) {
        free(ms);
        return FA_ENOMEM;
    }
    fa_buf_init(&ms->pack, PACK_MAX);
    /* The schema version, as the SQLite backend keeps it (see crawl_state.h). */
    if (pack_str(&ms->pack, "1") < 0 || store(ms, MAP_KV, "schema_version") < 0) {
        mem_close(&ms->base);
        return FA_ENOMEM;
    }
    *out = &ms->base;
    return 0;
}
