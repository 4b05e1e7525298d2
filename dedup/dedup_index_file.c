/*
 * dedup_index_file.c - the log-file backend of dedup_index.h.
 *
 * On disk: one file, DIR/dedup.idx, written only by appending.
 *
 *   header   64 bytes: "FADEDUP\0", version 1, shingle n, sample rate, seed
 *   record*  16-byte frame {magic 'DDRC', total length, check, type} and a
 *            body; check is the low 32 bits of XXH3-64 over the body.
 *            type 1 (document): fixed fields (id, group, date, host/digest/
 *            URL/alias keys, flags, counts), the sketch (u32 each), the
 *            content blocks' fingerprints (u64) and lengths (u32), then URL,
 *            digest and record id strings, then (aligned to 4) the block
 *            anchors (u32 each; their count in the fixed fields' former
 *            padding, 0 in records written before them - such a record
 *            reads as a document without block anchors, and a reader that
 *            predates them reads a newer record without them: version 1
 *            either way).
 *
 * Crash safety: a record is written with one pwrite at the end of the file;
 * a kill -9 leaves either the whole record or a torn tail, and at open the
 * replay stops at the first frame that is short, has a bad magic/length or
 * a bad check, and truncates the file there.  Nothing is ever rewritten in
 * place, so no earlier record can be damaged.  fdatasync per insert is
 * optional (sync_every_insert): without it a power loss can drop the last
 * records, never corrupt the rest.
 *
 * In RAM (rebuilt by replaying the log at open, ~1 GB/s):
 *   offsets      doc id -> file offset of its record          8 B/doc
 *   n_sketch     doc id -> sketch values (ranks candidates)   4 B/doc
 *   digests      digest key -> first doc                     ~15 B/doc (12 B/slot)
 *   keys         URL/alias key -> latest doc                 ~15-30 B/doc
 *   anchors      sketch value -> docs, the E smallest sketch values
 *                of each doc, E = clamp(2 + n/16, 8, 48), and its block
 *                anchors (a rare value of each content block: docs/
 *                DEDUP.md, "Block anchors"), at most POSTING_CAP docs a
 *                value: a slot per distinct value (10 B) and the
 *                postings side by side (4 B each, in regions of a power
 *                of two)                                      ~40 B/doc
 *   hosts        per host: block fingerprint (32 bits) -> documents,
 *                a bounded table (64..2048 slots, grown with the host's
 *                documents; when a probe window is full a fingerprint seen
 *                once is evicted, so recurring blocks survive) 8 B/slot
 *   records      the 4096 records read or written last (at most
 *                4 KiB each, 6 MiB in all)          ~4 MiB for articles
 *   counters     doc id -> the candidates' hits in a lookup (stamped
 *                by lookup: never cleared)                   12 B/doc
 * Documents' sketches and blocks stay on disk and are read for
 * verification with one pread each (the page cache keeps the hot ones)
 * unless the record cache holds them.  Not through a map of the file: a
 * crawl reads candidates from all over the index, so the map's resident
 * pages grew with the file (29 MiB of a 41,000-page crawl's 104 MiB peak
 * RSS), while with the cache of 4096 records the crawl takes the CPU it
 * took with the map (docs/BENCHMARKS.md, "Session 14: the dedup index
 * read with pread").
 */
#include "dedup/dedup_index.h"

#include "common/fa_container.h"
#include "common/fa_err.h"
#include "dedup/candidate_rank.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define FILE_MAGIC "FADEDUP"
#define FILE_VERSION 1
#define HEADER_SIZE 64
#define REC_MAGIC 0x43524444u /* "DDRC" */
#define REC_DOC 1
#define REC_MAX (64u << 20)
#define POSTING_CAP 256 /* postings read per anchor value at most */
#define HOST_MIN_SLOTS 64
#define HOST_MAX_SLOTS 2048
#define HOST_WINDOW 8

uint64_t dedup_key(const char *s, size_t len)
{
    uint64_t k = XXH3_64bits_withSeed(s, len, 0x66656564617263ull);
    return k ? k : 1;
}

/* Tables are open-addressed with linear probing; capacities grow by 1.5x
 * (not 2x) at 80% load and the slot of a hash is found by multiply-shift
 * range reduction (Lemire's "fastrange"), so a table is never more than
 * ~1.9x its contents - what keeps a million documents under 200 MB. */
#define LOAD_NUM 8
#define LOAD_DEN 10

static size_t slot_of(uint64_t h, size_t cap)
{
    return (size_t)(((unsigned __int128)h * cap) >> 64);
}

static size_t next_cap(size_t cap, size_t min)
{
    size_t nc = cap ? cap + cap / 2 : min;
    return nc < min ? min : nc;
}

/* ---- u64 -> u32 map ---- */

typedef struct map64 {
    uint64_t *keys;
    uint32_t *vals;
    size_t cap, count;
} map64;

static uint64_t mix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return k;
}

static int map64_put(map64 *m, uint64_t key, uint32_t val, int overwrite);

static int map64_grow(map64 *m)
{
    size_t nc = next_cap(m->cap, 1024);
    map64 n = {calloc(nc, sizeof(uint64_t)), calloc(nc, sizeof(uint32_t)), nc, 0};
    if (n.keys == NULL || n.vals == NULL) {
        free(n.keys);
        free(n.vals);
        return FA_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i]) map64_put(&n, m->keys[i], m->vals[i], 1);
    free(m->keys);
    free(m->vals);
    *m = n;
    return 0;
}

static int map64_put(map64 *m, uint64_t key, uint32_t val, int overwrite)
{
    if (key == 0) key = 1;
    if ((m->count + 1) * LOAD_DEN > m->cap * LOAD_NUM) {
        int rc = map64_grow(m);
        if (rc < 0) return rc;
    }
    for (size_t i = slot_of(mix64(key), m->cap);; i = i + 1 == m->cap ? 0 : i + 1) {
        if (m->keys[i] == 0) {
            m->keys[i] = key;
            m->vals[i] = val;
            m->count++;
            return 0;
        }
        if (m->keys[i] == key) {
            if (overwrite) m->vals[i] = val;
            return 0;
        }
    }
}

static int map64_get(const map64 *m, uint64_t key, uint32_t *val)
{
    if (m->cap == 0) return FA_ENOENT;
    if (key == 0) key = 1;
    for (size_t i = slot_of(mix64(key), m->cap);; i = i + 1 == m->cap ? 0 : i + 1) {
        if (m->keys[i] == 0) return FA_ENOENT;
        if (m->keys[i] == key) {
            *val = m->vals[i];
            return 0;
        }
    }
}

static void map64_free(map64 *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- anchors: sketch value -> the documents carrying it ---- */

/* Each distinct value has one slot (open addressing, linear probing over
 * distinct values) holding its postings' count and either the one
 * document itself or the offset of its postings in `pool`, where they lie
 * side by side in the order inserted, in a region of a power of two
 * (moved to one twice as long when full; the regions left behind are
 * reclaimed when the pool would grow).  At most POSTING_CAP a value, the
 * first inserted, as the Redis index keeps them.
 *
 * Until session 14 this was a multimap with every posting in its own slot
 * of one linear-probing table: a stock value's hundreds of postings lay in
 * one run, and every other value whose slot fell in it scanned to the
 * run's end - 166 slots per value looked up in the bench crawl, 5.5% of
 * its CPU, under the engine's lock (docs/BENCHMARKS.md, "Session 14"). */
typedef struct anchor_map {
    uint32_t *keys; /* 0 = empty */
    uint16_t *n;    /* postings held */
    uint32_t *head; /* n == 1: the document; n > 1: its postings' offset in pool */
    size_t cap, count;
    uint32_t *pool;
    size_t pool_len, pool_cap, pool_dead;
} anchor_map;

static uint32_t mix32(uint32_t k)
{
    k ^= k >> 16;
    k *= 0x85ebca6bu;
    k ^= k >> 13;
    k *= 0xc2b2ae35u;
    k ^= k >> 16;
    return k;
}

static size_t am_home(uint32_t key, size_t cap)
{
    return slot_of((uint64_t)mix32(key) * 0x9E3779B97F4A7C15ull, cap);
}

/* The slot of key, or of the empty slot where it would go. */
static size_t am_slot(const anchor_map *m, uint32_t key)
{
    size_t i = am_home(key, m->cap);
    while (m->keys[i] && m->keys[i] != key)
        i = i + 1 == m->cap ? 0 : i + 1;
    return i;
}

/* The room a value's postings take in the pool (n > 1). */
static size_t am_room(uint32_t n)
{
    size_t r = 2;
    while (r < n)
        r *= 2;
    return r;
}

/* The postings of the value in slot i (n[i] of them). */
static const uint32_t *am_postings(const anchor_map *m, size_t i)
{
    return m->n[i] == 1 ? &m->head[i] : m->pool + m->head[i];
}

/* Room for `more` postings at the pool's end: the regions left behind
 * are dropped when they are a third of it (a value's regions left behind
 * add up to the one it has, less 2: half would never come), else the pool
 * grows by half. */
static int am_pool_reserve(anchor_map *m, size_t more)
{
    if (m->pool_len + more <= m->pool_cap) return 0;
    if (m->pool_dead * 3 > m->pool_len) {
        size_t live = m->pool_len - m->pool_dead;
        size_t ncap = live + more + (live + more) / 2 + 64;
        if (ncap > UINT32_MAX) return FA_ETOOBIG;
        uint32_t *np = malloc(ncap * sizeof *np);
        if (np == NULL) return FA_ENOMEM;
        size_t at = 0;
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i] && m->n[i] > 1) {
                size_t room = am_room(m->n[i]);
                memcpy(np + at, m->pool + m->head[i], m->n[i] * sizeof *np);
                m->head[i] = (uint32_t)at;
                at += room;
            }
        free(m->pool);
        m->pool = np, m->pool_len = at, m->pool_cap = ncap, m->pool_dead = 0;
        return 0;
    }
    size_t ncap = m->pool_cap + m->pool_cap / 2 + more + 64;
    if (ncap > UINT32_MAX) return FA_ETOOBIG;
    uint32_t *np = realloc(m->pool, ncap * sizeof *np);
    if (np == NULL) return FA_ENOMEM;
    m->pool = np, m->pool_cap = ncap;
    return 0;
}

static int am_grow(anchor_map *m)
{
    size_t nc = next_cap(m->cap, 4096);
    anchor_map n = *m;
    n.keys = calloc(nc, sizeof *n.keys);
    n.n = malloc(nc * sizeof *n.n);
    n.head = malloc(nc * sizeof *n.head);
    n.cap = nc;
    if (n.keys == NULL || n.n == NULL || n.head == NULL) {
        free(n.keys);
        free(n.n);
        free(n.head);
        return FA_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i]) {
            size_t j = am_slot(&n, m->keys[i]);
            n.keys[j] = m->keys[i], n.n[j] = m->n[i], n.head[j] = m->head[i];
        }
    free(m->keys);
    free(m->n);
    free(m->head);
    *m = n;
    return 0;
}

static int am_put(anchor_map *m, uint32_t key, uint32_t doc)
{
    if (key == 0) key = 1;
    if ((m->count + 1) * LOAD_DEN > m->cap * LOAD_NUM) {
        int rc = am_grow(m);
        if (rc < 0) return rc;
    }
    size_t i = am_slot(m, key);
    if (m->keys[i] == 0) {
        m->keys[i] = key, m->n[i] = 1, m->head[i] = doc;
        m->count++;
        return 0;
    }
    uint32_t n = m->n[i];
    if (n >= POSTING_CAP) return 0;
    if (n == 1 || (n & (n - 1)) == 0) { /* inline, or its region full */
        size_t room = n == 1 ? 2 : 2 * (size_t)n;
        int rc = am_pool_reserve(m, room);
        if (rc < 0) return rc;
        uint32_t *to = m->pool + m->pool_len;
        if (n == 1) {
            to[0] = m->head[i];
        } else {
            memcpy(to, m->pool + m->head[i], n * sizeof *to);
            m->pool_dead += n;
        }
        m->head[i] = (uint32_t)m->pool_len;
        m->pool_len += room;
    }
    m->pool[m->head[i] + n] = doc;
    m->n[i] = (uint16_t)(n + 1);
    return 0;
}

static void am_free(anchor_map *m)
{
    free(m->keys);
    free(m->n);
    free(m->head);
    free(m->pool);
    memset(m, 0, sizeof *m);
}

static size_t am_memory(const anchor_map *m)
{
    return m->cap * (sizeof *m->keys + sizeof *m->n + sizeof *m->head) +
           m->pool_cap * sizeof *m->pool;
}

/* ---- per-host block counts ---- */

typedef struct host_blocks {
    uint32_t docs;
    uint32_t cap;
    uint32_t *fp; /* 0 = empty */
    uint32_t *cnt;
} host_blocks;

static void host_raw_add(host_blocks *h, uint32_t fp, uint32_t add)
{
    uint32_t mask = h->cap - 1;
    uint32_t start = mix32(fp) & mask;
    uint32_t empty = UINT32_MAX, victim = UINT32_MAX;
    for (uint32_t d = 0; d < HOST_WINDOW; d++) {
        uint32_t i = (start + d) & mask;
        if (h->fp[i] == fp) {
            h->cnt[i] += add;
            return;
        }
        if (h->fp[i] == 0 && empty == UINT32_MAX) empty = i;
        if (h->fp[i] != 0 && h->cnt[i] <= 1 && victim == UINT32_MAX) victim = i;
    }
    uint32_t at = empty != UINT32_MAX ? empty : victim;
    if (at == UINT32_MAX) return; /* window full of recurring blocks */
    h->fp[at] = fp;
    h->cnt[at] = add;
}

static uint32_t host_get(const host_blocks *h, uint32_t fp)
{
    uint32_t mask = h->cap - 1;
    uint32_t start = mix32(fp) & mask;
    for (uint32_t d = 0; d < HOST_WINDOW; d++) {
        uint32_t i = (start + d) & mask;
        if (h->fp[i] == fp) return h->cnt[i];
    }
    return 0;
}

static int host_resize(host_blocks *h, uint32_t nc)
{
    host_blocks n = {h->docs, nc, calloc(nc, 4), calloc(nc, 4)};
    if (n.fp == NULL || n.cnt == NULL) {
        free(n.fp);
        free(n.cnt);
        return FA_ENOMEM;
    }
    /* recurring blocks first, so none is lost to a full window */
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < h->cap; i++)
            if (h->fp[i] && ((h->cnt[i] > 1) == (pass == 0))) host_raw_add(&n, h->fp[i], h->cnt[i]);
    free(h->fp);
    free(h->cnt);
    *h = n;
    return 0;
}

static uint32_t fp32(uint64_t fp)
{
    uint32_t v = (uint32_t)(fp >> 32) ^ (uint32_t)fp;
    return v ? v : 1;
}

/* ---- the index ---- */

/* The records read or written last, by id modulo REC_CACHE_SLOTS (records
 * are immutable once written): a page's candidates are often the
 * documents of its story and topic archived shortly before it, and the
 * same neighbours are candidates of many pages; a hit skips the pread and
 * the checksum.  On a 41,000-page crawl (34 reads a page) 512 slots hit
 * 36% of reads, 4096 76%, 16384 95% for 16 MiB.  A record longer than
 * REC_CACHE_MAX is not kept, and no slot grows once the slots hold
 * REC_CACHE_BUDGET bytes (counted by memory()).
 * (-DREC_CACHE_SLOTS=64u: how much the measured gain owes to the cache.) */
#ifndef REC_CACHE_SLOTS
#define REC_CACHE_SLOTS 4096u
#endif
#define REC_CACHE_MAX 4096u
#define REC_CACHE_STEP 512u
#define REC_CACHE_BUDGET (6u << 20)

typedef struct rec_slot {
    uint32_t doc; /* UINT32_MAX: empty */
    uint32_t len; /* bytes of the record's body at p */
    uint32_t cap; /* bytes malloc'd at p: the longest record the slot held,
                     rounded up to REC_CACHE_STEP (an article's is ~750 B:
                     4 KiB a slot was 2 MiB for ~0.4 MiB of records) */
    uint8_t *p;   /* malloc'd (aligned for the u64 arrays) */
} rec_slot;

typedef struct file_index {
    dedup_index base;
    dedup_file_index_options opt;
    int fd;
    uint64_t end; /* file size = next record offset */
    uint64_t *offsets;
    uint32_t *n_sketch; /* doc id -> sketch values (0: exact duplicate), to rank candidates */
    size_t n_docs, cap_docs;
    map64 digests, keys, host_ids;
    anchor_map anchors;
    host_blocks *hosts;
    size_t n_hosts, cap_hosts;
    uint8_t *rbuf; /* get_doc scratch */
    size_t rbuf_cap;
    uint8_t *wbuf; /* insert scratch */
    size_t wbuf_cap;
    /* candidates' counters, by doc id (cand_cap >= n_docs): a document's
     * count belongs to this lookup when its stamp is the lookup's
     * (cand_gen), so nothing is cleared between lookups */
    struct cand_slot *cand;
    size_t cand_cap;
    uint32_t cand_gen;
    uint32_t *touched; /* the documents counted by this lookup, in order met */
    size_t touched_cap;
    rec_slot *cache; /* REC_CACHE_SLOTS recent records, by id; NULL until used */
    size_t cache_bytes;
} file_index;

static file_index *fi_of(dedup_index *ix)
{
    return FA_CONTAINER_OF(ix, file_index, base);
}

typedef struct rec_frame {
    uint32_t magic, len, check, type;
} rec_frame;

typedef struct doc_fixed {
    uint32_t id, group;
    int64_t date;
    uint64_t host_key, digest_key, url_key, alias_key;
    uint32_t flags, content_chars, n_sketch, n_blocks;
    uint16_t url_len, digest_len, record_id_len, pad;
    uint32_t n_block_anchors; /* 0 in records written before block anchors */
} doc_fixed;

_Static_assert(sizeof(doc_fixed) % 8 == 0, "doc_fixed keeps the u64 arrays aligned");

static int grow_buf(uint8_t **b, size_t *cap, size_t need)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 4096;
    while (nc < need)
        nc *= 2;
    uint8_t *n = realloc(*b, nc);
    if (n == NULL) return FA_ENOMEM;
    *b = n;
    *cap = nc;
    return 0;
}

/* Parses a document body (len bytes at p) into rec; pointers into p. */
static int parse_doc(const uint8_t *p, size_t len, dedup_doc_record *rec)
{
    if (len < sizeof(doc_fixed)) return FA_ECORRUPT;
    doc_fixed f;
    memcpy(&f, p, sizeof f);
    uint64_t strings = sizeof f + (uint64_t)f.n_sketch * 4 + (uint64_t)f.n_blocks * 12 + f.url_len +
                       1 + f.digest_len + 1 + f.record_id_len + 1;
    uint64_t anchors = (strings + 3) & ~(uint64_t)3;
    uint64_t need = anchors + (uint64_t)f.n_block_anchors * 4;
    if (need > len) return FA_ECORRUPT;
    memset(rec, 0, sizeof *rec);
    rec->id = f.id;
    rec->group = f.group;
    rec->date = f.date;
    rec->host_key = f.host_key;
    rec->digest_key = f.digest_key;
    rec->url_key = f.url_key;
    rec->alias_key = f.alias_key;
    rec->flags = f.flags;
    rec->content_chars = f.content_chars;
    rec->n_sketch = f.n_sketch;
    rec->n_blocks = f.n_blocks;
    const uint8_t *q = p + sizeof f; /* u64 arrays first: aligned */
    rec->blocks = (const uint64_t *)q;
    q += (size_t)f.n_blocks * 8;
    rec->block_chars = (const uint32_t *)q;
    q += (size_t)f.n_blocks * 4;
    rec->sketch = (const uint32_t *)q;
    q += (size_t)f.n_sketch * 4;
    rec->url = (const char *)q;
    q += f.url_len + 1;
    rec->digest = (const char *)q;
    q += f.digest_len + 1;
    rec->record_id = (const char *)q;
    rec->n_block_anchors = f.n_block_anchors;
    rec->block_anchors = f.n_block_anchors ? (const uint32_t *)(p + anchors) : NULL;
    return 0;
}

/* Adds a parsed document to the RAM tables. */
static int index_doc(file_index *x, const dedup_doc_record *r, uint64_t offset)
{
    if (r->id != x->n_docs) return FA_ECORRUPT;
    if (x->n_docs == x->cap_docs) {
        size_t nc = x->cap_docs ? x->cap_docs * 2 : 4096;
        uint64_t *no = realloc(x->offsets, nc * sizeof *no);
        if (no == NULL) return FA_ENOMEM;
        x->offsets = no;
        uint32_t *ns = realloc(x->n_sketch, nc * sizeof *ns);
        if (ns == NULL) return FA_ENOMEM;
        x->n_sketch = ns;
        x->cap_docs = nc;
    }
    x->n_sketch[x->n_docs] = r->flags & DEDUP_REC_EXACT ? 0 : r->n_sketch;
    x->offsets[x->n_docs++] = offset;
    int rc = 0;
    if (r->digest_key) rc = map64_put(&x->digests, r->digest_key, r->id, 0);
    if (rc == 0 && r->url_key) rc = map64_put(&x->keys, r->url_key, r->id, 1);
    if (rc == 0 && r->alias_key) rc = map64_put(&x->keys, r->alias_key, r->id, 1);
    if (rc < 0) return rc;
    if (r->flags & DEDUP_REC_EXACT) return 0;
    uint32_t e = dedup__anchor_count(r->n_sketch);
    for (uint32_t i = 0; i < e && rc == 0; i++)
        rc = am_put(&x->anchors, r->sketch[i], r->id);
    for (uint32_t i = 0; i < r->n_block_anchors && rc == 0; i++)
        rc = am_put(&x->anchors, r->block_anchors[i], r->id);
    if (rc < 0 || r->host_key == 0) return rc;
    uint32_t hi;
    if (map64_get(&x->host_ids, r->host_key, &hi) < 0) {
        if (x->n_hosts == x->cap_hosts) {
            size_t nc = x->cap_hosts ? x->cap_hosts * 2 : 64;
            host_blocks *nh = realloc(x->hosts, nc * sizeof *nh);
            if (nh == NULL) return FA_ENOMEM;
            x->hosts = nh;
            x->cap_hosts = nc;
        }
        hi = (uint32_t)x->n_hosts;
        host_blocks *h = &x->hosts[hi];
        memset(h, 0, sizeof *h);
        h->cap = HOST_MIN_SLOTS;
        h->fp = calloc(h->cap, 4);
        h->cnt = calloc(h->cap, 4);
        if (h->fp == NULL || h->cnt == NULL) {
            free(h->fp);
            free(h->cnt);
            return FA_ENOMEM;
        }
        x->n_hosts++;
        rc = map64_put(&x->host_ids, r->host_key, hi, 1);
        if (rc < 0) return rc;
    }
    host_blocks *h = &x->hosts[hi];
    h->docs++;
    if (h->docs * 4 > h->cap && h->cap < HOST_MAX_SLOTS) {
        rc = host_resize(h, h->cap * 2);
        if (rc < 0) return rc;
    }
    for (uint32_t i = 0; i < r->n_blocks; i++)
        host_raw_add(h, fp32(r->blocks[i]), 1);
    return 0;
}

static int fi_lookup_digest(dedup_index *ix, uint64_t key, uint32_t *doc)
{
    return map64_get(&fi_of(ix)->digests, key, doc);
}

static int fi_lookup_key(dedup_index *ix, uint64_t key, uint32_t *doc)
{
    return map64_get(&fi_of(ix)->keys, key, doc);
}

/* One document's counts in a lookup: hits (DEDUP_RARE_HIT_BIT set by a
 * rare value), weighted hits, and the lookup it belongs to. */
typedef struct cand_slot {
    uint32_t stamp, hits, w;
} cand_slot;

/* The counters cover every document (doc ids are dense), grown with the
 * index; the new ones belong to no lookup (stamp 0).  0 or FA_ENOMEM. */
static int cand_room(file_index *x)
{
    if (x->n_docs <= x->cand_cap) return 0;
    size_t nc = x->cand_cap ? x->cand_cap : 1024;
    while (nc < x->n_docs)
        nc *= 2;
    cand_slot *c = realloc(x->cand, nc * sizeof *c);
    if (c == NULL) return FA_ENOMEM;
    memset(c + x->cand_cap, 0, (nc - x->cand_cap) * sizeof *c);
    x->cand = c, x->cand_cap = nc;
    return 0;
}

static int fi_candidates(dedup_index *ix, const uint32_t *sketch, uint32_t n, dedup_candidate *out,
                         size_t max, unsigned flags, uint32_t *postings)
{
    file_index *x = fi_of(ix);
    if (postings && n) memset(postings, 0, (size_t)n * sizeof *postings);
    if (x->anchors.cap == 0 || n == 0) return 0;
    /* every document sharing an anchor is counted (up to
     * DEDUP_CANDIDATE_ROOM), not only the first ones met - in character
     * sketches the stock values met first filled a counter sized by the
     * query, and a short story's copy was never counted.  The counters are
     * indexed by doc id and stamped by lookup: no hashing, no probing, no
     * clearing; on a crawl of 41,000 pages the hashed counter (grown and
     * rehashed as a page's documents were met, then scanned whole) took
     * 116 us a page under the engine's lock, and the lock was held half
     * of the run (docs/BENCHMARKS.md, "Session 17: the candidates'
     * counter"). */
    if (cand_room(x) < 0) return FA_ENOMEM;
    if (++x->cand_gen == 0) { /* 2^32 lookups: the stamps start over */
        for (size_t i = 0; i < x->cand_cap; i++)
            x->cand[i].stamp = 0;
        x->cand_gen = 1;
    }
    const uint32_t gen = x->cand_gen;
    size_t used = 0;
    const anchor_map *am = &x->anchors;
    /* Each sketch value's slot is a cache miss in a table of many MiB, and
     * the values are independent: the slot of the value PROBE_AHEAD places
     * on is prefetched, so that the misses overlap instead of following
     * one another. */
    enum { PROBE_AHEAD = 8 };
    for (uint32_t s = 0; s < n && s < PROBE_AHEAD; s++)
        __builtin_prefetch(&am->keys[am_home(sketch[s] ? sketch[s] : 1, am->cap)]);
    for (uint32_t s = 0; s < n; s++) {
        uint32_t key = sketch[s] ? sketch[s] : 1;
        if (s + PROBE_AHEAD < n) {
            uint32_t ahead = sketch[s + PROBE_AHEAD] ? sketch[s + PROBE_AHEAD] : 1;
            __builtin_prefetch(&am->keys[am_home(ahead, am->cap)]);
        }
        size_t slot = am_slot(am, key);
        if (am->keys[slot] == 0) continue;
        /* weighed by rarity, a hit weighs by the documents holding the
         * value (at most POSTING_CAP, as the Redis index keeps them) */
        uint32_t m = am->n[slot];
        if (postings) postings[s] = m;
        uint32_t weight = flags & DEDUP_CAND_RARITY ? dedup__hit_weight(m) : DEDUP_HIT_UNIT;
        /* a value of one story and its copies (candidate_rank.h) */
        uint32_t uniq = flags & DEDUP_CAND_RARITY ? DEDUP_UNIQUE_POSTINGS : 0;
        const uint32_t *post = am_postings(am, slot);
        for (uint32_t p = 0; p < m; p++) {
            uint32_t doc = post[p];
            cand_slot *c = &x->cand[doc];
            if (c->stamp != gen) {
                if (used >= DEDUP_CANDIDATE_ROOM) continue; /* counted enough */
                if (used == x->touched_cap) {
                    size_t nc = x->touched_cap ? x->touched_cap * 2 : 1024;
                    uint32_t *t = realloc(x->touched, nc * sizeof *t);
                    if (t == NULL) return FA_ENOMEM;
                    x->touched = t, x->touched_cap = nc;
                }
                x->touched[used++] = doc;
                *c = (cand_slot){gen, 0, 0};
            }
            c->hits++;
            c->w += weight;
            if (uniq && m <= uniq) c->hits |= DEDUP_RARE_HIT_BIT;
        }
    }
    /* ranked by hits against the hits a related document of its size
     * would give, with a floor (candidate_rank.h: the Redis index ranks
     * the same way) */
    dedup__ranked *all = malloc((used ? used : 1) * sizeof *all);
    if (all == NULL) return FA_ENOMEM;
    for (size_t k = 0; k < used; k++) { /* the ranking's order is total: any order in */
        uint32_t doc = x->touched[k];
        const cand_slot *c = &x->cand[doc];
        all[k] = (dedup__ranked){
            {doc, c->hits & ~DEDUP_RARE_HIT_BIT}, c->w, x->n_sketch[doc], 0, c->hits >> 31};
    }
    size_t k = dedup__rank_candidates(all, used, n, out, max);
    free(all);
    return (int)k;
}

/* A record is read with one pread when it fits the guess: up to the next
 * record's offset (the file is append-only, so that is usually exactly this
 * record), at most GET_DOC_GUESS bytes; a longer one takes a second read.
 * Half the syscalls of reading the frame header first, and get_doc runs
 * for every candidate of every page. */
#define GET_DOC_GUESS (16u << 10)

/* Keeps a copy of doc's record body (len bytes at p) in its cache slot. */
static void cache_put(file_index *x, uint32_t doc, const uint8_t *p, size_t len)
{
    if (len > REC_CACHE_MAX) return;
    if (x->cache == NULL) {
        x->cache = malloc(REC_CACHE_SLOTS * sizeof *x->cache);
        if (x->cache == NULL) return; /* no cache: reads go to the file */
        for (size_t i = 0; i < REC_CACHE_SLOTS; i++)
            x->cache[i] = (rec_slot){UINT32_MAX, 0, 0, NULL};
    }
    rec_slot *sl = &x->cache[doc % REC_CACHE_SLOTS];
    if (sl->cap < len) {
        uint32_t cap = ((uint32_t)len + REC_CACHE_STEP - 1) / REC_CACHE_STEP * REC_CACHE_STEP;
        if (x->cache_bytes + (cap - sl->cap) > REC_CACHE_BUDGET)
            return; /* the slot keeps its own */
        uint8_t *np = realloc(sl->p, cap);
        if (np == NULL) return; /* the slot keeps what it held */
        x->cache_bytes += cap - sl->cap;
        sl->p = np;
        sl->cap = cap;
    }
    memcpy(sl->p, p, len);
    sl->doc = doc;
    sl->len = (uint32_t)len;
}

int dedup__file_index_cached(dedup_index *ix, uint32_t doc)
{
    file_index *x = fi_of(ix);
    return x->cache && x->cache[doc % REC_CACHE_SLOTS].doc == doc;
}

size_t dedup__file_index_cache_bytes(dedup_index *ix)
{
    return fi_of(ix)->cache_bytes;
}

void dedup__file_index_set_lookup_gen(dedup_index *ix, uint32_t gen)
{
    fi_of(ix)->cand_gen = gen;
}

static int fi_get_doc(dedup_index *ix, uint32_t doc, dedup_doc_record *out)
{
    file_index *x = fi_of(ix);
    if (doc >= x->n_docs) return FA_ENOENT;
    if (x->cache) {
        const rec_slot *sl = &x->cache[doc % REC_CACHE_SLOTS];
        if (sl->doc == doc) return parse_doc(sl->p, sl->len, out);
    }
    uint64_t off = x->offsets[doc];
    uint64_t next = doc + 1 < x->n_docs ? x->offsets[doc + 1] : x->end;
    size_t want = next > off + sizeof(rec_frame) && next - off < GET_DOC_GUESS
                      ? (size_t)(next - off)
                      : GET_DOC_GUESS;
    int rc = grow_buf(&x->rbuf, &x->rbuf_cap, want);
    if (rc < 0) return rc;
    ssize_t got = pread(x->fd, x->rbuf, want, (off_t)off);
    if (got < (ssize_t)sizeof(rec_frame)) return FA_EIO;
    rec_frame fr;
    memcpy(&fr, x->rbuf, sizeof fr);
    if (fr.magic != REC_MAGIC || fr.len < sizeof fr || fr.len > REC_MAX) return FA_ECORRUPT;
    if ((size_t)got < fr.len) {
        rc = grow_buf(&x->rbuf, &x->rbuf_cap, fr.len);
        if (rc < 0) return rc;
        size_t rest = fr.len - (size_t)got;
        if (pread(x->fd, x->rbuf + got, rest, (off_t)(off + (uint64_t)got)) != (ssize_t)rest)
            return FA_EIO;
    }
    size_t body = fr.len - sizeof fr;
    const uint8_t *b = x->rbuf + sizeof fr;
    if ((uint32_t)XXH3_64bits(b, body) != fr.check) return FA_ECORRUPT;
    rc = parse_doc(b, body, out);
    if (rc == 0) cache_put(x, doc, b, body);
    return rc;
}

static int fi_block_counts(dedup_index *ix, uint64_t host_key, const uint64_t *fps, size_t n,
                           uint32_t *counts, uint32_t *host_docs)
{
    file_index *x = fi_of(ix);
    uint32_t hi;
    *host_docs = 0;
    if (map64_get(&x->host_ids, host_key, &hi) < 0) {
        memset(counts, 0, n * sizeof *counts);
        return 0;
    }
    const host_blocks *h = &x->hosts[hi];
    *host_docs = h->docs;
    for (size_t i = 0; i < n; i++)
        counts[i] = host_get(h, fp32(fps[i]));
    return 0;
}

static int fi_insert(dedup_index *ix, dedup_doc_record *r)
{
    file_index *x = fi_of(ix);
    if (x->opt.read_only) return FA_EACCES;
    if (x->n_docs >= UINT32_MAX - 1) return FA_ETOOBIG;
    r->id = (uint32_t)x->n_docs;
    if (r->group == UINT32_MAX) r->group = r->id;
    size_t ul = r->url ? strlen(r->url) : 0, dl = r->digest ? strlen(r->digest) : 0,
           il = r->record_id ? strlen(r->record_id) : 0;
    if (ul > 65535) ul = 65535;
    if (dl > 65535) dl = 65535;
    if (il > 65535) il = 65535;
    size_t strings =
        sizeof(doc_fixed) + (size_t)r->n_sketch * 4 + (size_t)r->n_blocks * 12 + ul + dl + il + 3;
    size_t anchors = (strings + 3) & ~(size_t)3;
    size_t body = anchors + (size_t)r->n_block_anchors * 4;
    size_t total = sizeof(rec_frame) + ((body + 7) & ~(size_t)7);
    if (total > REC_MAX) return FA_ETOOBIG;
    int rc = grow_buf(&x->wbuf, &x->wbuf_cap, total);
    if (rc < 0) return rc;
    memset(x->wbuf, 0, total);
    doc_fixed f = {r->id,
                   r->group,
                   r->date,
                   r->host_key,
                   r->digest_key,
                   r->url_key,
                   r->alias_key,
                   r->flags,
                   r->content_chars,
                   r->n_sketch,
                   r->n_blocks,
                   (uint16_t)ul,
                   (uint16_t)dl,
                   (uint16_t)il,
                   0,
                   r->n_block_anchors};
    uint8_t *p = x->wbuf + sizeof(rec_frame);
    memcpy(p, &f, sizeof f);
    uint8_t *q = p + sizeof f;
    if (r->n_blocks) {
        memcpy(q, r->blocks, (size_t)r->n_blocks * 8);
        memcpy(q + (size_t)r->n_blocks * 8, r->block_chars, (size_t)r->n_blocks * 4);
    }
    q += (size_t)r->n_blocks * 12;
    if (r->n_sketch) memcpy(q, r->sketch, (size_t)r->n_sketch * 4);
    q += (size_t)r->n_sketch * 4;
    if (ul) memcpy(q, r->url, ul);
    q += ul + 1;
    if (dl) memcpy(q, r->digest, dl);
    q += dl + 1;
    if (il) memcpy(q, r->record_id, il);
    if (r->n_block_anchors) memcpy(p + anchors, r->block_anchors, (size_t)r->n_block_anchors * 4);
    size_t blen = total - sizeof(rec_frame);
    rec_frame fr = {REC_MAGIC, (uint32_t)total, (uint32_t)XXH3_64bits(p, blen), REC_DOC};
    memcpy(x->wbuf, &fr, sizeof fr);
    ssize_t w = pwrite(x->fd, x->wbuf, total, (off_t)x->end);
    if (w != (ssize_t)total) {
        int err = w < 0 ? errno : ENOSPC;
        if (ftruncate(x->fd, (off_t)x->end) != 0) { /* best effort */
        }
        return fa_err_from_errno(err);
    }
    if (x->opt.sync_every_insert && fdatasync(x->fd) != 0) return fa_err_from_errno(errno);
    uint64_t off = x->end;
    x->end += total;
    /* the tables index the caller's arrays; nothing points into wbuf */
    rc = index_doc(x, r, off);
    if (rc == 0) cache_put(x, r->id, p, blen);
    return rc;
}

static uint32_t fi_count(dedup_index *ix)
{
    return (uint32_t)fi_of(ix)->n_docs;
}

static size_t fi_memory(dedup_index *ix)
{
    file_index *x = fi_of(ix);
    size_t m = sizeof *x + x->cap_docs * 8 + x->digests.cap * 12 + x->keys.cap * 12 +
               x->host_ids.cap * 12 + am_memory(&x->anchors) + x->cap_hosts * sizeof(host_blocks) +
               x->rbuf_cap + x->wbuf_cap + x->cand_cap * sizeof *x->cand + x->touched_cap * 4 +
               x->cache_bytes + (x->cache ? REC_CACHE_SLOTS * sizeof *x->cache : 0);
    for (size_t i = 0; i < x->n_hosts; i++)
        m += (size_t)x->hosts[i].cap * 8;
    return m;
}

static int fi_sync(dedup_index *ix)
{
    file_index *x = fi_of(ix);
    if (x->opt.read_only) return 0;
    return fdatasync(x->fd) == 0 ? 0 : fa_err_from_errno(errno);
}

static void fi_close(dedup_index *ix)
{
    file_index *x = fi_of(ix);
    if (x == NULL) return;
    int fd = x->fd, sync = !x->opt.read_only;
    /* the memory goes back first, the fdatasync (an I/O wait) comes last:
     * the end of a run trains its dictionary meanwhile (crawl_run.c) */
    free(x->offsets);
    free(x->n_sketch);
    map64_free(&x->digests);
    map64_free(&x->keys);
    map64_free(&x->host_ids);
    am_free(&x->anchors);
    for (size_t i = 0; i < x->n_hosts; i++) {
        free(x->hosts[i].fp);
        free(x->hosts[i].cnt);
    }
    free(x->hosts);
    free(x->rbuf);
    free(x->wbuf);
    free(x->cand);
    free(x->touched);
    if (x->cache)
        for (size_t i = 0; i < REC_CACHE_SLOTS; i++)
            free(x->cache[i].p);
    free(x->cache);
    free(x);
    if (fd >= 0) {
        if (sync) fdatasync(fd);
        close(fd);
    }
}

static const dedup_index_ops file_ops = {
    fi_lookup_digest, fi_lookup_key, fi_candidates, fi_get_doc,
    fi_block_counts,  fi_insert,     fi_count,      fi_memory,
    fi_sync,          fi_close,      NULL,          NULL, /* texts: text_store.h beside the index */
};

typedef struct file_header {
    char magic[8];
    uint32_t version, shingle_n, sample_rate, pad;
    uint64_t seed;
    uint8_t reserved[HEADER_SIZE - 32];
} file_header;

/* A new index file appears whole or not at all: the header is written to
 * a temporary file, synced and renamed into place (then the folder synced). */
static int create_file(const char *dir, const char *path, const dedup_index_params *params)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return FA_EINVAL;
    file_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, FILE_MAGIC, 8);
    h.version = FILE_VERSION;
    h.shingle_n = params ? params->shingle_n : 5;
    h.sample_rate = params ? params->sample_rate : 8;
    h.seed = params ? params->seed : 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return fa_err_from_errno(errno);
    int rc = 0;
    if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h || fdatasync(fd) != 0)
        rc = fa_err_from_errno(errno ? errno : EIO);
    close(fd);
    if (rc == 0 && rename(tmp, path) != 0) rc = fa_err_from_errno(errno);
    if (rc < 0) {
        unlink(tmp);
        return rc;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* Replays the records after the header; truncates a bad tail. */
static int replay(file_index *x, uint64_t size)
{
    if (size <= HEADER_SIZE) {
        x->end = HEADER_SIZE;
        return 0;
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, x->fd, 0);
    if (map == MAP_FAILED) return fa_err_from_errno(errno);
    madvise(map, size, MADV_SEQUENTIAL);
    const uint8_t *base = map;
    uint64_t off = HEADER_SIZE;
    int rc = 0;
    while (off + sizeof(rec_frame) <= size) {
        rec_frame fr;
        memcpy(&fr, base + off, sizeof fr);
        if (fr.magic != REC_MAGIC || fr.len < sizeof fr + sizeof(doc_fixed) || fr.len > REC_MAX ||
            off + fr.len > size)
            break;
        const uint8_t *body = base + off + sizeof fr;
        size_t blen = fr.len - sizeof fr;
        if ((uint32_t)XXH3_64bits(body, blen) != fr.check) break;
        if (fr.type == REC_DOC) {
            /* copy: the body may be unaligned for the u64 arrays */
            int grc = grow_buf(&x->rbuf, &x->rbuf_cap, blen);
            if (grc < 0) {
                rc = grc;
                break;
            }
            memcpy(x->rbuf, body, blen);
            dedup_doc_record r;
            if (parse_doc(x->rbuf, blen, &r) < 0 || r.id != x->n_docs) break;
            rc = index_doc(x, &r, off);
            if (rc < 0) break;
        }
        off += fr.len;
    }
    munmap(map, size);
    if (rc < 0) return rc;
    x->end = off;
    if (off < size && !x->opt.read_only) {
        fprintf(stderr, "dedup index: cutting a torn tail of %llu bytes at offset %llu\n",
                (unsigned long long)(size - off), (unsigned long long)off);
        if (ftruncate(x->fd, (off_t)off) != 0) return fa_err_from_errno(errno);
    }
    return 0;
}

int dedup_file_index_open(const char *dir, const dedup_index_params *params,
                          const dedup_file_index_options *opt, dedup_index **out)
{
    *out = NULL;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/dedup.idx", dir) >= (int)sizeof path) return FA_EINVAL;
    file_index *x = calloc(1, sizeof *x);
    if (x == NULL) return FA_ENOMEM;
    if (opt) x->opt = *opt;
    x->base.ops = &file_ops;
    x->fd = open(path, (x->opt.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (x->fd < 0 && errno == ENOENT && !x->opt.read_only) {
        int crc = create_file(dir, path, params);
        if (crc < 0) {
            free(x);
            return crc;
        }
        x->fd = open(path, O_RDWR | O_CLOEXEC);
    }
    if (x->fd < 0) {
        int rc = fa_err_from_errno(errno);
        free(x);
        return rc;
    }
    int rc = 0;
    if (flock(x->fd, (x->opt.read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) rc = FA_EACCES;
    struct stat st;
    if (rc == 0 && fstat(x->fd, &st) != 0) rc = fa_err_from_errno(errno);
    file_header h;
    if (rc == 0 && st.st_size == 0) {
        rc = FA_ECORRUPT; /* never left so by us: created whole, then renamed */
    } else if (rc == 0) {
        if (st.st_size < (off_t)sizeof h || pread(x->fd, &h, sizeof h, 0) != (ssize_t)sizeof h ||
            memcmp(h.magic, FILE_MAGIC, 8) != 0 || h.version != FILE_VERSION || h.shingle_n == 0 ||
            h.sample_rate == 0)
            rc = FA_ECORRUPT;
    }
    if (rc == 0) {
        x->base.params.shingle_n = h.shingle_n;
        x->base.params.sample_rate = h.sample_rate;
        x->base.params.seed = h.seed;
        rc = replay(x, (uint64_t)st.st_size);
    }
    if (rc < 0) {
        fi_close(&x->base);
        return rc;
    }
    *out = &x->base;
    return 0;
}
