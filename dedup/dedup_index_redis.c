/*
 * dedup_index_redis.c - the Redis backend of dedup_index.h: one index
 * shared by the nodes of a cluster (issue 15, docs/SCALING.md).
 *
 * The tables of dedup_index_file.c, kept in Redis under P = prefix "dd:"
 * (P is the cluster's prefix, "feedarc:" by default):
 *
 *   P meta           hash    n shingle size, r sample rate, s seed (set by
 *                            the first node, read by the others), docs
 *                            (documents inserted; doc id = docs - 1 at insert)
 *   P d:<id>         string  one document: a fixed header (group, flags,
 *                            date, host/digest/URL/alias keys, counts), block
 *                            fingerprints (u64) and lengths (u32), sketch
 *                            (u32), URL, digest and WARC-Record-ID
 *   P t:<id>         string  its normalised main text: u32 length + zstd
 *                            (level 1), at most TEXT_STORE_MAX_TEXT
 *   P g:<bucket>     hash    payload digest key -> first doc (HSETNX)
 *   P k:<bucket>     hash    canonical URL / alias key -> latest doc
 *   P a:<bucket>     hash    anchor (one of a document's smallest sketch
 *                            values, or one of its block anchors:
 *                            dedup_index.h) -> the docs carrying it, u32 each,
 *                            at most POSTING_CAP
 *   P h:<host key>   hash    block fingerprint (32 bits) -> documents of the
 *                            host carrying it; "#docs" -> documents counted
 *   P len            string  each anchored document's sketch length, u16 at
 *                            byte 2 * id (BITFIELD), read by the candidates
 *                            script to rank them as the file index does
 *                            (candidate_rank.h); an index written before it
 *                            has its documents' lengths read from their
 *                            records instead
 *
 * Keys (64-bit) are spread over 2^16 bucket hashes (the top 16 bits name
 * the bucket, the low 48 bits are the field), anchors over 2^17 (by a mix of
 * the value: anchors are the smallest values, so their top bits are
 * zeros): a bucket holds a few dozen small fields, which Redis keeps as a
 * listpack (hash-max-listpack-entries 128, -value 64) at ~12-16 bytes an
 * entry instead of ~70 for a hash table entry or a key of its own.  Past
 * ~2 million documents the anchor buckets outgrow 128 entries: raise
 * hash-max-listpack-entries (512 keeps them compact to ~8 million).  A
 * host's block table is bounded as the file backend's: past HOST_MAX
 * fingerprints the ones seen once are dropped (recurring blocks stay).
 *
 * Values are little-endian binary (doc ids u32), fields binary too.
 *
 * Round trips per document analysed (dedup_engine.c drives them): block
 * counts 1, digest lookup 1 (+1 get on a hit), candidates 1 (one script
 * reading every sketch value's anchor bucket and the sketch lengths of the
 * documents found there) + 1 (the ranked candidates' records
 * in one pipeline), a candidate's text 1 each when confirmed, insert 1 (one
 * script: id, record, digest, keys, anchors, host counts, atomically), text
 * 1.  Measured in docs/SCALING.md.
 *
 * Between nodes: insert is atomic, so ids are unique and every table
 * agrees; two nodes analysing two copies of a story at the same moment may
 * both miss each other (each looked up before the other inserted) - the
 * window of one lookup-insert, a few ms; on one node the engine's lock
 * closes it.  Records are immutable once written; this node caches the
 * records of the current document's candidates (cleared at each
 * candidates call, so a Redis that lost its data and reuses ids cannot
 * hand out a stale record for long).
 */
#include "dedup/dedup_index.h"

#include "common/fa_err.h"
#include "common/fa_redis.h"
#include "dedup/candidate_rank.h"
#include "dedup/text_store.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define PREFIX_MAX 64
#define KEY_BUCKET_SHIFT 48 /* 2^16 key buckets */
#define ANCHOR_BUCKET_BITS 17
#define POSTING_CAP 256 /* docs kept and read per anchor value */
#define HOST_MAX 2048   /* block fingerprints kept per host */
#define CACHE_SLOTS 128
#define DOC_MAX (64u << 20)
#define HOST_DOCS_FIELD "#docs"

/* The insert, atomically.  ARGV: 1 P, 2 record, 3 digest bucket ("" =
 * none), 4 digest field, 5 URL bucket, 6 URL field, 7 alias bucket, 8 alias
 * field, 9 host ("" = not counted), 10 HOST_MAX, 11 POSTING_CAP*4, 12 the
 * number of anchors A, 13 the sketch length (kept in P len when anchored),
 * then A (bucket, field) pairs, then the block fingerprints.  Returns the
 * new doc id. */
static const char insert_lua[] =
    "local p = ARGV[1]\n"
    "local id = redis.call('HINCRBY', p..'meta', 'docs', 1) - 1\n"
    "local ids = struct.pack('<I4', id)\n"
    "redis.call('SET', p..'d:'..id, ARGV[2])\n"
    "if ARGV[3] ~= '' then redis.call('HSETNX', p..'g:'..ARGV[3], ARGV[4], ids) end\n"
    "if ARGV[5] ~= '' then redis.call('HSET', p..'k:'..ARGV[5], ARGV[6], ids) end\n"
    "if ARGV[7] ~= '' then redis.call('HSET', p..'k:'..ARGV[7], ARGV[8], ids) end\n"
    "local cap = tonumber(ARGV[11])\n"
    "if tonumber(ARGV[12]) > 0 then\n"
    "  redis.call('BITFIELD', p..'len', 'SET', 'u16', '#'..id, ARGV[13])\n"
    "end\n"
    "local i = 14\n"
    "for a = 1, tonumber(ARGV[12]) do\n"
    "  local k = p..'a:'..ARGV[i]\n"
    "  local v = redis.call('HGET', k, ARGV[i + 1])\n"
    "  if not v then redis.call('HSET', k, ARGV[i + 1], ids)\n"
    "  elseif #v < cap then redis.call('HSET', k, ARGV[i + 1], v..ids) end\n"
    "  i = i + 2\n"
    "end\n"
    "if ARGV[9] ~= '' then\n"
    "  local h = p..'h:'..ARGV[9]\n"
    "  redis.call('HINCRBY', h, '" HOST_DOCS_FIELD "', 1)\n"
    "  for j = i, #ARGV do redis.call('HINCRBY', h, ARGV[j], 1) end\n"
    "  local max = tonumber(ARGV[10])\n"
    "  if redis.call('HLEN', h) > max then\n"
    "    for level = 1, 2 do\n"
    "      local all = redis.call('HGETALL', h)\n"
    "      for j = 1, #all, 2 do\n"
    "        if #all[j] == 4 and tonumber(all[j + 1]) <= level then redis.call('HDEL', h, all[j]) "
    "end\n"
    "      end\n"
    "      if redis.call('HLEN', h) <= max * 3 / 4 then break end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return id\n";

/* The anchor postings of every sketch value, and the sketch length of each
 * document found in them: what the ranking needs (candidate_rank.h), in
 * the same round trip.  The lengths are read from P len (u16 per doc,
 * written by insert) in one BITFIELD_RO per 1,000 docs; a doc with none
 * there (0: inserted by a version before this ranking) has its length
 * read from its record's header (n_sketch at a fixed offset), so an older
 * index is ranked the same way, at a GETRANGE per old doc.  ARGV: 1 P, 2
 * the distinct docs to look up at most (DEDUP_CANDIDATE_ROOM: docs
 * past it are not counted), 3 the offset of n_sketch in a record, 4
 * POSTING_CAP*4, then (bucket, field) pairs.  Returns one string per pair
 * ("" = none), then the (doc u32, n_sketch u32) of each distinct doc in
 * the order first found (n_sketch 0: no record). */
static const char candidates_lua[] =
    "local p = ARGV[1]\n"
    "local room, off, cap = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "local out, seen, ids = {}, {}, {}\n"
    "for i = 5, #ARGV, 2 do\n"
    "  local v = redis.call('HGET', p..'a:'..ARGV[i], ARGV[i + 1]) or ''\n"
    "  out[#out + 1] = v\n"
    "  for j = 1, math.min(#v, cap) - 3, 4 do\n"
    "    local d = string.sub(v, j, j + 3)\n"
    "    if not seen[d] and #ids < room then\n"
    "      seen[d] = true\n"
    "      ids[#ids + 1] = d\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local lens = {}\n"
    "for b = 1, #ids, 1000 do\n"
    "  local e = math.min(#ids, b + 999)\n"
    "  local args = {'BITFIELD_RO', p..'len'}\n"
    "  for k = b, e do\n"
    "    args[#args + 1] = 'GET'\n"
    "    args[#args + 1] = 'u16'\n"
    "    args[#args + 1] = '#'..struct.unpack('<I4', ids[k])\n"
    "  end\n"
    "  local got = redis.call(unpack(args))\n"
    "  for k = b, e do\n"
    "    local n = got[k - b + 1]\n"
    "    if n == 0 then\n"
    "      local h = redis.call('GETRANGE', p..'d:'..struct.unpack('<I4', ids[k]), off, off + 3)\n"
    "      if #h == 4 then n = struct.unpack('<I4', h) end\n"
    "    end\n"
    "    lens[#lens + 1] = ids[k]..struct.pack('<I4', n)\n"
    "  end\n"
    "end\n"
    "out[#out + 1] = table.concat(lens)\n"
    "return out\n";

/* The parameters: stored by the first opener.  KEYS[1] meta; ARGV n r s. */
static const char meta_lua[] =
    "if redis.call('HEXISTS', KEYS[1], 'n') == 0 then\n"
    "  redis.call('HSET', KEYS[1], 'n', ARGV[1], 'r', ARGV[2], 's', ARGV[3])\n"
    "end\n"
    "return redis.call('HMGET', KEYS[1], 'n', 'r', 's')\n";

/* A stored document's fixed header. */
typedef struct rdoc_fixed {
    uint32_t group; /* UINT32_MAX: its own id */
    uint32_t flags;
    int64_t date;
    uint64_t host_key, digest_key, url_key, alias_key;
    uint32_t content_chars, n_sketch, n_blocks;
    uint16_t url_len, digest_len, record_id_len;
    uint16_t pad;
    uint32_t pad2;
} rdoc_fixed;

_Static_assert(sizeof(rdoc_fixed) % 8 == 0, "rdoc_fixed keeps the u64 array aligned");

typedef struct cached_doc {
    uint32_t id;
    uint32_t len;   /* 0 = empty slot */
    uint64_t *blob; /* u64 for alignment */
} cached_doc;

typedef struct redis_index {
    dedup_index base; /* first */
    fa_redis_sync *conn;
    char prefix[PREFIX_MAX + 8]; /* P + "dd:" */
    fa_redis_script insert_script, candidates_script;
    /* argument vectors, grown as needed */
    const char **argv;
    size_t *lens;
    size_t arg_cap;
    char *scratch; /* bucket names and fields of one call */
    size_t scratch_cap;
    fa_buf wbuf; /* a record being inserted; a text compressed */
    cached_doc cache[CACHE_SLOTS];
    uint32_t *hits_doc, *hits_n, *hits_len, *hits_w; /* candidates scratch: doc, hits, sketch
                                                        length, weighted hits */
    size_t hits_cap;
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    uint64_t round_trips; /* waits for replies (a pipeline is one) */
} redis_index;

static const dedup_index_ops redis_ops;

static redis_index *rx_of(dedup_index *ix)
{
    return (redis_index *)ix;
}

static int grow_args(redis_index *x, size_t n)
{
    if (n <= x->arg_cap) return 0;
    size_t nc = x->arg_cap ? x->arg_cap : 64;
    while (nc < n)
        nc *= 2;
    const char **a = realloc(x->argv, nc * sizeof *a);
    if (a == NULL) return FA_ENOMEM;
    x->argv = a;
    size_t *l = realloc(x->lens, nc * sizeof *l);
    if (l == NULL) return FA_ENOMEM;
    x->lens = l;
    x->arg_cap = nc;
    return 0;
}

static int grow_scratch(redis_index *x, size_t n)
{
    if (n <= x->scratch_cap) return 0;
    char *s = realloc(x->scratch, n);
    if (s == NULL) return FA_ENOMEM;
    x->scratch = s;
    x->scratch_cap = n;
    return 0;
}

static void put_u32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (char)(v >> (8 * i));
}

static uint32_t get_u32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static uint32_t mix32(uint32_t k)
{
    k ^= k >> 16;
    k *= 0x85ebca6bu;
    k ^= k >> 13;
    k *= 0xc2b2ae35u;
    k ^= k >> 16;
    return k;
}

/* A 64-bit key's bucket name (4 hex digits) and field (6 bytes). */
static void key_bucket(uint64_t key, char bucket[5], char field[6])
{
    snprintf(bucket, 5, "%04x", (unsigned)(key >> KEY_BUCKET_SHIFT));
    for (int i = 0; i < 6; i++)
        field[i] = (char)(key >> (8 * i));
}

/* An anchor value's bucket name (5 hex digits) and field (4 bytes). */
static void anchor_bucket(uint32_t v, char bucket[6], char field[4])
{
    if (v == 0) v = 1; /* as the file backend */
    snprintf(bucket, 6, "%05x", (unsigned)(mix32(v) >> (32 - ANCHOR_BUCKET_BITS)));
    put_u32(field, v);
}

/* Runs a script by digest (its text once on NOSCRIPT).  argv[0..2] are
 * filled here: the caller leaves them free and passes the whole count. */
static int run_script(redis_index *x, const fa_redis_script *s, int argc, redisReply **out)
{
    *out = NULL;
    x->argv[0] = "EVALSHA", x->lens[0] = 7;
    x->argv[1] = s->sha1, x->lens[1] = 40;
    x->argv[2] = "0", x->lens[2] = 1;
    redisReply *r = NULL;
    x->round_trips++;
    int rc = fa_redis_sync_command(x->conn, &r, argc, x->argv, x->lens);
    if (rc == 0 && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        x->round_trips++;
        freeReplyObject(r);
        r = NULL;
        x->argv[0] = "EVAL", x->lens[0] = 4;
        x->argv[1] = s->text, x->lens[1] = strlen(s->text);
        rc = fa_redis_sync_command(x->conn, &r, argc, x->argv, x->lens);
    }
    if (rc < 0) return rc;
    if (r->type == REDIS_REPLY_ERROR) {
        freeReplyObject(r);
        return FA_EIO;
    }
    *out = r;
    return 0;
}

/* One command of NUL-terminated strings and binary pieces. */
static int command(redis_index *x, redisReply **out, int argc, const char **argv,
                   const size_t *lens)
{
    redisReply *r = NULL;
    x->round_trips++;
    int rc = fa_redis_sync_command(x->conn, &r, argc, argv, lens);
    if (rc < 0) return rc;
    if (r->type == REDIS_REPLY_ERROR) {
        freeReplyObject(r);
        return FA_EIO;
    }
    *out = r;
    return 0;
}

/* A hash field holding one doc id: 0 and *doc, FA_ENOENT, FA_EIO. */
static int lookup_bucket(redis_index *x, const char *type, uint64_t key, uint32_t *doc)
{
    char bucket[5], field[6], name[PREFIX_MAX + 32];
    key_bucket(key, bucket, field);
    int n = snprintf(name, sizeof name, "%s%s:%s", x->prefix, type, bucket);
    const char *argv[] = {"HGET", name, field};
    size_t lens[] = {4, (size_t)n, 6};
    redisReply *r;
    int rc = command(x, &r, 3, argv, lens);
    if (rc < 0) return rc;
    if (r->type == REDIS_REPLY_STRING && r->len == 4)
        *doc = get_u32(r->str);
    else
        rc = r->type == REDIS_REPLY_NIL ? FA_ENOENT : FA_ECORRUPT;
    freeReplyObject(r);
    return rc;
}

static int rx_lookup_digest(dedup_index *ix, uint64_t key, uint32_t *doc)
{
    return lookup_bucket(rx_of(ix), "g", key, doc);
}

static int rx_lookup_key(dedup_index *ix, uint64_t key, uint32_t *doc)
{
    return lookup_bucket(rx_of(ix), "k", key, doc);
}

/* ---- documents ---- */

static void cache_clear(redis_index *x)
{
    for (int i = 0; i < CACHE_SLOTS; i++)
        x->cache[i].len = 0;
}

/* Keeps a copy of a record's bytes in the cache. */
static int cache_put(redis_index *x, uint32_t id, const char *p, size_t len)
{
    if (len < sizeof(rdoc_fixed) || len > DOC_MAX) return FA_ECORRUPT;
    cached_doc *c = &x->cache[id % CACHE_SLOTS];
    uint64_t *b = realloc(c->blob, (len + 7) / 8 * 8);
    if (b == NULL) return FA_ENOMEM;
    memcpy(b, p, len);
    c->blob = b;
    c->id = id;
    c->len = (uint32_t)len;
    return 0;
}

static int parse_doc(uint32_t id, const cached_doc *c, dedup_doc_record *rec)
{
    const uint8_t *p = (const uint8_t *)c->blob;
    rdoc_fixed f;
    memcpy(&f, p, sizeof f);
    uint64_t need = sizeof f + (uint64_t)f.n_blocks * 12 + (uint64_t)f.n_sketch * 4 + f.url_len +
                    1 + f.digest_len + 1 + f.record_id_len + 1;
    if (need > c->len) return FA_ECORRUPT;
    memset(rec, 0, sizeof *rec);
    rec->id = id;
    rec->group = f.group == UINT32_MAX ? id : f.group;
    rec->date = f.date;
    rec->host_key = f.host_key;
    rec->digest_key = f.digest_key;
    rec->url_key = f.url_key;
    rec->alias_key = f.alias_key;
    rec->flags = f.flags;
    rec->content_chars = f.content_chars;
    rec->n_sketch = f.n_sketch;
    rec->n_blocks = f.n_blocks;
    const uint8_t *q = p + sizeof f;
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
    if (rec->url[f.url_len] || rec->digest[f.digest_len] || rec->record_id[f.record_id_len])
        return FA_ECORRUPT;
    return 0;
}

static int doc_key(const redis_index *x, uint32_t id, char *name, size_t size)
{
    return snprintf(name, size, "%sd:%" PRIu32, x->prefix, id);
}

static int rx_get_doc(dedup_index *ix, uint32_t doc, dedup_doc_record *out)
{
    redis_index *x = rx_of(ix);
    cached_doc *c = &x->cache[doc % CACHE_SLOTS];
    if (c->len == 0 || c->id != doc) {
        char name[PREFIX_MAX + 32];
        int n = doc_key(x, doc, name, sizeof name);
        const char *argv[] = {"GET", name};
        size_t lens[] = {3, (size_t)n};
        redisReply *r;
        int rc = command(x, &r, 2, argv, lens);
        if (rc < 0) return rc;
        if (r->type == REDIS_REPLY_STRING)
            rc = cache_put(x, doc, r->str, r->len);
        else
            rc = r->type == REDIS_REPLY_NIL ? FA_ENOENT : FA_ECORRUPT;
        freeReplyObject(r);
        if (rc < 0) return rc;
    }
    return parse_doc(doc, c, out);
}

/* Fetches the records of docs[0..n) missing from the cache in one
 * pipeline. */
static int prefetch(redis_index *x, const dedup_candidate *docs, size_t n)
{
    char name[PREFIX_MAX + 32];
    size_t sent = 0;
    int rc = 0;
    uint32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (ids == NULL) return FA_ENOMEM;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const cached_doc *c = &x->cache[docs[i].doc % CACHE_SLOTS];
        if (c->len && c->id == docs[i].doc) continue;
        int len = doc_key(x, docs[i].doc, name, sizeof name);
        const char *argv[] = {"GET", name};
        size_t lens[] = {3, (size_t)len};
        rc = fa_redis_sync_append(x->conn, 2, argv, lens);
        if (rc == 0) ids[sent++] = docs[i].doc;
    }
    if (sent) x->round_trips++;
    for (size_t i = 0; i < sent; i++) {
        redisReply *r = NULL;
        int rrc = fa_redis_sync_read(x->conn, &r);
        if (rrc < 0) {
            rc = rrc;
            break; /* the connection is dropped: nothing more to read */
        }
        if (rc == 0 && r->type == REDIS_REPLY_STRING) rc = cache_put(x, ids[i], r->str, r->len);
        freeReplyObject(r);
    }
    free(ids);
    return rc == FA_ECORRUPT ? 0 : rc; /* get_doc reports a bad record itself */
}

/* ---- candidates ---- */

static int rx_candidates(dedup_index *ix, const uint32_t *sketch, uint32_t n, dedup_candidate *out,
                         size_t max, unsigned flags, uint32_t *postings)
{
    redis_index *x = rx_of(ix);
    cache_clear(x);
    if (postings && n) memset(postings, 0, (size_t)n * sizeof *postings);
    if (n == 0) return 0;
    size_t argc = 7 + 2 * (size_t)n;
    int rc = grow_args(x, argc);
    if (rc == 0) rc = grow_scratch(x, (size_t)n * 10 + 48);
    if (rc < 0) return rc;
    char *nums = x->scratch + (size_t)n * 10;
    x->argv[3] = x->prefix, x->lens[3] = strlen(x->prefix);
    x->argv[4] = nums, x->lens[4] = (size_t)snprintf(nums, 16, "%d", DEDUP_CANDIDATE_ROOM);
    x->argv[5] = nums + 16,
    x->lens[5] = (size_t)snprintf(nums + 16, 16, "%zu", offsetof(rdoc_fixed, n_sketch));
    x->argv[6] = nums + 32, x->lens[6] = (size_t)snprintf(nums + 32, 16, "%d", POSTING_CAP * 4);
    for (uint32_t s = 0; s < n; s++) {
        char *b = x->scratch + (size_t)s * 10;
        anchor_bucket(sketch[s], b, b + 6);
        x->argv[7 + 2 * s] = b, x->lens[7 + 2 * s] = 5;
        x->argv[8 + 2 * s] = b + 6, x->lens[8 + 2 * s] = 4;
    }
    redisReply *r;
    rc = run_script(x, &x->candidates_script, (int)argc, &r);
    if (rc < 0) return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != (size_t)n + 1 ||
        r->element[n]->type != REDIS_REPLY_STRING || r->element[n]->len % 8) {
        freeReplyObject(r);
        return FA_ECORRUPT;
    }
    /* the docs found with their sketch lengths, then their hits: a
     * counter with room for every doc the script found (the file
     * backend counts up to DEDUP_CANDIDATE_ROOM too) */
    const redisReply *lens = r->element[n];
    size_t cap = 64;
    while (cap < lens->len / 8 * 2)
        cap *= 2;
    if (cap > x->hits_cap) {
        uint32_t *d = realloc(x->hits_doc, cap * 4), *h = NULL, *l = NULL, *w = NULL;
        if (d) x->hits_doc = d;
        if (d) h = realloc(x->hits_n, cap * 4);
        if (h) x->hits_n = h;
        if (h) l = realloc(x->hits_len, cap * 4);
        if (l) x->hits_len = l;
        if (l) w = realloc(x->hits_w, cap * 4);
        if (w == NULL) {
            freeReplyObject(r);
            return FA_ENOMEM;
        }
        x->hits_w = w;
        x->hits_cap = cap;
    }
    size_t used = 0;
    memset(x->hits_doc, 0xFF, cap * 4);
    for (size_t k = 0; k + 8 <= lens->len && used < cap / 2; k += 8) {
        uint32_t doc = get_u32(lens->str + k);
        size_t j = mix32(doc) & (cap - 1);
        while (x->hits_doc[j] != UINT32_MAX && x->hits_doc[j] != doc)
            j = (j + 1) & (cap - 1);
        if (x->hits_doc[j] == doc) continue;
        x->hits_doc[j] = doc;
        x->hits_n[j] = 0;
        x->hits_w[j] = 0;
        x->hits_len[j] = get_u32(lens->str + k + 4);
        used++;
    }
    for (uint32_t s = 0; s < n; s++) {
        const redisReply *e = r->element[s];
        if (e->type != REDIS_REPLY_STRING) continue;
        size_t posts = e->len / 4;
        if (posts > POSTING_CAP) posts = POSTING_CAP;
        if (postings) postings[s] = (uint32_t)posts;
        /* a hit weighs by the documents holding the value, as in the
         * file index (candidate_rank.h) */
        uint32_t weight =
            flags & DEDUP_CAND_RARITY ? dedup__hit_weight((uint32_t)posts) : DEDUP_HIT_UNIT;
        /* a value of one story and its copies (candidate_rank.h) */
        uint32_t uniq = flags & DEDUP_CAND_RARITY ? DEDUP_UNIQUE_POSTINGS : 0;
        for (size_t k = 0; k < posts; k++) {
            uint32_t doc = get_u32(e->str + 4 * k);
            size_t j = mix32(doc) & (cap - 1);
            while (x->hits_doc[j] != UINT32_MAX && x->hits_doc[j] != doc)
                j = (j + 1) & (cap - 1);
            if (x->hits_doc[j] == doc) { /* else past the counter's room */
                x->hits_n[j]++;
                x->hits_w[j] += weight;
                if (uniq && posts <= uniq) x->hits_n[j] |= DEDUP_RARE_HIT_BIT;
            }
        }
    }
    freeReplyObject(r);
    /* ranked as the file index ranks (candidate_rank.h).  The lengths
     * come from P len, or for documents inserted before it was kept (an
     * older index, or a node of an older version in the cluster) from
     * their records' n_sketch, which every record has held since the
     * first version: an older index is ranked the same way.  A doc without
     * a record (length 0: a Redis that lost keys) is left out - get_doc
     * could not verify it */
    dedup__ranked *all = malloc((used ? used : 1) * sizeof *all);
    if (all == NULL) return FA_ENOMEM;
    size_t k = 0;
    for (size_t j = 0; j < cap; j++)
        if (x->hits_doc[j] != UINT32_MAX && x->hits_len[j] && x->hits_n[j])
            all[k++] = (dedup__ranked){{x->hits_doc[j], x->hits_n[j] & ~DEDUP_RARE_HIT_BIT},
                                       x->hits_w[j],
                                       x->hits_len[j],
                                       0,
                                       x->hits_n[j] >> 31};
    k = dedup__rank_candidates(all, k, n, out, max);
    free(all);
    rc = prefetch(x, out, k);
    return rc < 0 ? rc : (int)k;
}

/* ---- host block counts ---- */

static uint32_t fp32(uint64_t fp)
{
    uint32_t v = (uint32_t)(fp >> 32) ^ (uint32_t)fp;
    return v ? v : 1;
}

static int rx_block_counts(dedup_index *ix, uint64_t host_key, const uint64_t *fps, size_t n,
                           uint32_t *counts, uint32_t *host_docs)
{
    redis_index *x = rx_of(ix);
    *host_docs = 0;
    memset(counts, 0, n * sizeof *counts);
    char name[PREFIX_MAX + 32];
    int len = snprintf(name, sizeof name, "%sh:%016" PRIx64, x->prefix, host_key);
    int rc = grow_args(x, n + 3);
    if (rc == 0) rc = grow_scratch(x, n * 4 + 1);
    if (rc < 0) return rc;
    x->argv[0] = "HMGET", x->lens[0] = 5;
    x->argv[1] = name, x->lens[1] = (size_t)len;
    x->argv[2] = HOST_DOCS_FIELD, x->lens[2] = strlen(HOST_DOCS_FIELD);
    for (size_t i = 0; i < n; i++) {
        put_u32(x->scratch + 4 * i, fp32(fps[i]));
        x->argv[3 + i] = x->scratch + 4 * i, x->lens[3 + i] = 4;
    }
    redisReply *r;
    rc = command(x, &r, (int)(n + 3), x->argv, x->lens);
    if (rc < 0) return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != n + 1) {
        freeReplyObject(r);
        return FA_ECORRUPT;
    }
    for (size_t i = 0; i <= n; i++) {
        const redisReply *e = r->element[i];
        uint32_t v = e->type == REDIS_REPLY_STRING ? (uint32_t)strtoul(e->str, NULL, 10) : 0;
        if (i == 0)
            *host_docs = v;
        else
            counts[i - 1] = v;
    }
    freeReplyObject(r);
    return 0;
}

/* ---- insert ---- */

/* The record's bytes in x->wbuf. */
static int pack_doc(redis_index *x, const dedup_doc_record *r)
{
    size_t ul = r->url ? strlen(r->url) : 0, dl = r->digest ? strlen(r->digest) : 0,
           il = r->record_id ? strlen(r->record_id) : 0;
    if (ul > 65535) ul = 65535;
    if (dl > 65535) dl = 65535;
    if (il > 65535) il = 65535;
    rdoc_fixed f = {r->group,     r->flags,     r->date,          r->host_key, r->digest_key,
                    r->url_key,   r->alias_key, r->content_chars, r->n_sketch, r->n_blocks,
                    (uint16_t)ul, (uint16_t)dl, (uint16_t)il,     0,           0};
    fa_buf *b = &x->wbuf;
    fa_buf_reset(b);
    int rc = fa_buf_append(b, &f, sizeof f);
    if (rc == 0 && r->n_blocks) rc = fa_buf_append(b, r->blocks, (size_t)r->n_blocks * 8);
    if (rc == 0 && r->n_blocks) rc = fa_buf_append(b, r->block_chars, (size_t)r->n_blocks * 4);
    if (rc == 0 && r->n_sketch) rc = fa_buf_append(b, r->sketch, (size_t)r->n_sketch * 4);
    /* each string cut at 65535 bytes, then its NUL */
    if (rc == 0 && ul) rc = fa_buf_append(b, r->url, ul);
    if (rc == 0) rc = fa_buf_append(b, "", 1);
    if (rc == 0 && dl) rc = fa_buf_append(b, r->digest, dl);
    if (rc == 0) rc = fa_buf_append(b, "", 1);
    if (rc == 0 && il) rc = fa_buf_append(b, r->record_id, il);
    if (rc == 0) rc = fa_buf_append(b, "", 1);
    if (rc == 0 && b->len > DOC_MAX) rc = FA_ETOOBIG;
    return rc;
}

static int rx_insert(dedup_index *ix, dedup_doc_record *r)
{
    redis_index *x = rx_of(ix);
    int rc = pack_doc(x, r);
    if (rc < 0) return rc;
    int anchored = !(r->flags & DEDUP_REC_EXACT);
    uint32_t ne = anchored ? dedup__anchor_count(r->n_sketch) : 0;
    uint32_t na = ne + (anchored ? r->n_block_anchors : 0); /* the block anchors after them */
    uint32_t nb = anchored && r->host_key ? r->n_blocks : 0;
    size_t argc = 3 + 13 + 2 * (size_t)na + nb;
    rc = grow_args(x, argc);
    /* scratch: 3 key buckets + fields (11 each), host (17), postings cap,
     * anchors (10 each), fingerprints (4 each) */
    if (rc == 0) rc = grow_scratch(x, 64 + 33 + 17 + 16 + (size_t)na * 10 + (size_t)nb * 4);
    if (rc < 0) return rc;
    char *s = x->scratch;
    const char **a = x->argv + 3;
    size_t *l = x->lens + 3;
    a[0] = x->prefix, l[0] = strlen(x->prefix);
    a[1] = x->wbuf.data, l[1] = x->wbuf.len;
    const uint64_t keys[3] = {r->digest_key, r->url_key, r->alias_key};
    for (int k = 0; k < 3; k++) {
        char *b = s + 11 * k;
        if (keys[k]) {
            key_bucket(keys[k], b, b + 5);
            a[2 + 2 * k] = b, l[2 + 2 * k] = 4;
            a[3 + 2 * k] = b + 5, l[3 + 2 * k] = 6;
        } else {
            a[2 + 2 * k] = a[3 + 2 * k] = "", l[2 + 2 * k] = l[3 + 2 * k] = 0;
        }
    }
    char *host = s + 33, *nums = s + 50;
    if (anchored && r->host_key) {
        snprintf(host, 17, "%016" PRIx64, r->host_key);
        a[8] = host, l[8] = 16;
    } else {
        a[8] = "", l[8] = 0;
    }
    int n1 = snprintf(nums, 16, "%d", HOST_MAX);
    a[9] = nums, l[9] = (size_t)n1;
    int n2 = snprintf(nums + n1 + 1, 8, "%d", POSTING_CAP * 4);
    a[10] = nums + n1 + 1, l[10] = (size_t)n2;
    char *na_s = nums + n1 + n2 + 2;
    int n3 = snprintf(na_s, 12, "%" PRIu32, na);
    a[11] = na_s, l[11] = (size_t)n3;
    /* the sketch length for the candidates' ranking, u16 (saturated: a
     * longer sketch is ranked as one of 65,535 values) */
    char *ns_s = na_s + n3 + 1;
    int n4 = snprintf(ns_s, 8, "%" PRIu32, r->n_sketch < 65535 ? r->n_sketch : 65535);
    a[12] = ns_s, l[12] = (size_t)n4;
    char *p = s + 64 + 33 + 17 + 16;
    size_t i = 13;
    for (uint32_t k = 0; k < na; k++, p += 10) {
        anchor_bucket(k < ne ? r->sketch[k] : r->block_anchors[k - ne], p, p + 6);
        a[i] = p, l[i++] = 5;
        a[i] = p + 6, l[i++] = 4;
    }
    for (uint32_t k = 0; k < nb; k++, p += 4) {
        put_u32(p, fp32(r->blocks[k]));
        a[i] = p, l[i++] = 4;
    }
    redisReply *rep;
    rc = run_script(x, &x->insert_script, (int)argc, &rep);
    if (rc < 0) return rc;
    if (rep->type != REDIS_REPLY_INTEGER || rep->integer < 0 || rep->integer >= UINT32_MAX - 1)
        rc = FA_ECORRUPT;
    else
        r->id = (uint32_t)rep->integer;
    freeReplyObject(rep);
    if (rc == 0 && r->group == UINT32_MAX) r->group = r->id;
    return rc;
}

static uint32_t rx_count(dedup_index *ix)
{
    redis_index *x = rx_of(ix);
    char name[PREFIX_MAX + 32];
    int n = snprintf(name, sizeof name, "%smeta", x->prefix);
    const char *argv[] = {"HGET", name, "docs"};
    size_t lens[] = {4, (size_t)n, 4};
    redisReply *r;
    if (command(x, &r, 3, argv, lens) < 0) return 0;
    uint32_t v = r->type == REDIS_REPLY_STRING ? (uint32_t)strtoul(r->str, NULL, 10) : 0;
    freeReplyObject(r);
    return v;
}

static size_t rx_memory(dedup_index *ix)
{
    redis_index *x = rx_of(ix);
    size_t m = sizeof *x + x->arg_cap * (sizeof(char *) + sizeof(size_t)) + x->scratch_cap +
               x->wbuf.cap + x->hits_cap * 16;
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (x->cache[i].blob) m += x->cache[i].len;
    return m;
}

static int rx_sync(dedup_index *ix)
{
    (void)ix; /* durability is Redis's (appendfsync) */
    return 0;
}

static void rx_close(dedup_index *ix)
{
    redis_index *x = rx_of(ix);
    if (x == NULL) return;
    fa_redis_sync_close(x->conn);
    free(x->argv);
    free(x->lens);
    free(x->scratch);
    fa_buf_free(&x->wbuf);
    for (int i = 0; i < CACHE_SLOTS; i++)
        free(x->cache[i].blob);
    free(x->hits_doc);
    free(x->hits_n);
    free(x->hits_len);
    free(x->hits_w);
    ZSTD_freeCCtx(x->cctx);
    ZSTD_freeDCtx(x->dctx);
    free(x);
}

/* ---- texts ---- */

static int rx_text_put(dedup_index *ix, uint32_t doc, const char *text, size_t len)
{
    redis_index *x = rx_of(ix);
    if (len > TEXT_STORE_MAX_TEXT) len = TEXT_STORE_MAX_TEXT;
    size_t bound = ZSTD_compressBound(len);
    fa_buf *b = &x->wbuf;
    fa_buf_reset(b);
    int rc = fa_buf_reserve(b, 4 + bound);
    if (rc < 0) return rc;
    size_t c = ZSTD_compressCCtx(x->cctx, b->data + 4, bound, text ? text : "", len, 1);
    if (ZSTD_isError(c)) return FA_ENOMEM;
    put_u32(b->data, (uint32_t)len);
    b->len = 4 + c;
    char name[PREFIX_MAX + 32];
    int n = snprintf(name, sizeof name, "%st:%" PRIu32, x->prefix, doc);
    const char *argv[] = {"SET", name, b->data};
    size_t lens[] = {3, (size_t)n, b->len};
    redisReply *r;
    rc = command(x, &r, 3, argv, lens);
    if (rc == 0) freeReplyObject(r);
    return rc;
}

static int rx_text_get(dedup_index *ix, uint32_t doc, fa_buf *out)
{
    redis_index *x = rx_of(ix);
    fa_buf_reset(out);
    char name[PREFIX_MAX + 32];
    int n = snprintf(name, sizeof name, "%st:%" PRIu32, x->prefix, doc);
    const char *argv[] = {"GET", name};
    size_t lens[] = {3, (size_t)n};
    redisReply *r;
    int rc = command(x, &r, 2, argv, lens);
    if (rc < 0) return rc;
    if (r->type == REDIS_REPLY_NIL) {
        rc = FA_ENOENT;
    } else if (r->type != REDIS_REPLY_STRING || r->len < 4 ||
               get_u32(r->str) > TEXT_STORE_MAX_TEXT) {
        rc = FA_ECORRUPT;
    } else {
        uint32_t len = get_u32(r->str);
        rc = fa_buf_reserve(out, (size_t)len + 1);
        if (rc == 0) {
            size_t d = ZSTD_decompressDCtx(x->dctx, out->data, len, r->str + 4, r->len - 4);
            if (ZSTD_isError(d) || d != len)
                rc = FA_ECORRUPT;
            else
                out->len = len, out->data[len] = 0;
        }
    }
    freeReplyObject(r);
    return rc;
}

static const dedup_index_ops redis_ops = {
    rx_lookup_digest, rx_lookup_key, rx_candidates, rx_get_doc, rx_block_counts, rx_insert,
    rx_count,         rx_memory,     rx_sync,       rx_close,   rx_text_put,     rx_text_get,
};

void dedup_redis_index_stats(dedup_index *ix, uint64_t *commands, uint64_t *round_trips)
{
    int redis = ix && ix->ops == &redis_ops;
    *commands = redis ? fa_redis_sync_commands(rx_of(ix)->conn) : 0;
    *round_trips = redis ? rx_of(ix)->round_trips : 0;
}

static int prefix_ok(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > PREFIX_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 0x7f) return 0;
    return 1;
}

int dedup_redis_index_open(const dedup_redis_index_options *o, const dedup_index_params *params,
                           dedup_index **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen) err[0] = '\0';
    const char *prefix = o && o->prefix ? o->prefix : "feedarc:";
    if (o == NULL || o->url == NULL || !prefix_ok(prefix)) {
        if (err && errlen)
            snprintf(err, errlen, "a Redis URL and a prefix of 1-64 printable bytes");
        return FA_EINVAL;
    }
    redis_index *x = calloc(1, sizeof *x);
    if (x == NULL) return FA_ENOMEM;
    x->base.ops = &redis_ops;
    snprintf(x->prefix, sizeof x->prefix, "%sdd:", prefix);
    fa_redis_script_init(&x->insert_script, insert_lua);
    fa_redis_script_init(&x->candidates_script, candidates_lua);
    fa_buf_init(&x->wbuf, (size_t)DOC_MAX + 1024);
    x->cctx = ZSTD_createCCtx();
    x->dctx = ZSTD_createDCtx();
    int rc = x->cctx && x->dctx ? grow_args(x, 64) : FA_ENOMEM;
    if (rc == 0) rc = fa_redis_sync_open(o->url, o->password, o->timeout_ms, &x->conn, err, errlen);
    if (rc == 0) {
        dedup_index_params p = {params && params->shingle_n ? params->shingle_n : 4,
                                params && params->sample_rate ? params->sample_rate : 4,
                                params ? params->seed : 0};
        char name[PREFIX_MAX + 32], nb[16], rb[16], sb[24];
        snprintf(name, sizeof name, "%smeta", x->prefix);
        snprintf(nb, sizeof nb, "%u", p.shingle_n);
        snprintf(rb, sizeof rb, "%u", p.sample_rate);
        snprintf(sb, sizeof sb, "%" PRIu64, p.seed);
        const char *argv[] = {"EVAL", meta_lua, "1", name, nb, rb, sb};
        redisReply *r = NULL;
        rc = fa_redis_sync_command(x->conn, &r, 7, argv, NULL);
        if (rc < 0) {
            if (err && errlen) snprintf(err, errlen, "%s", fa_redis_sync_errmsg(x->conn));
        } else if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
                   r->element[0]->type != REDIS_REPLY_STRING ||
                   r->element[1]->type != REDIS_REPLY_STRING ||
                   r->element[2]->type != REDIS_REPLY_STRING) {
            if (err && errlen)
                snprintf(err, errlen,
                         "the dedup index's parameters in %smeta are unreadable%s%.160s", x->prefix,
                         r->type == REDIS_REPLY_ERROR ? ": " : "",
                         r->type == REDIS_REPLY_ERROR ? r->str : "");
            rc = FA_EIO;
        } else {
            x->base.params.shingle_n = (uint32_t)strtoul(r->element[0]->str, NULL, 10);
            x->base.params.sample_rate = (uint32_t)strtoul(r->element[1]->str, NULL, 10);
            x->base.params.seed = strtoull(r->element[2]->str, NULL, 10);
            if (x->base.params.shingle_n == 0 || x->base.params.sample_rate == 0) {
                if (err && errlen)
                    snprintf(err, errlen, "bad dedup index parameters in %smeta", x->prefix);
                rc = FA_EIO;
            }
        }
        if (r) freeReplyObject(r);
    }
    if (rc < 0) {
        rx_close(&x->base);
        return rc;
    }
    *out = &x->base;
    return 0;
}
