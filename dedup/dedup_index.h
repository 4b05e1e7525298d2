/*
 * dedup_index.h - the storage behind the findings engine, as a vtable so the
 * engine can move to another backend (Redis, a shared service) unchanged.
 *
 * What the engine needs from an index:
 *   - documents by id: their metadata, sketch and block fingerprints
 *     (dedup_doc_record);
 *   - exact lookups: payload digest -> first document with it; a key
 *     (canonical URL, alias) -> the latest document carrying it;
 *   - candidates: documents sharing at least one anchor with a sketch, with
 *     their hit counts (an anchor is one of a document's smallest sketch
 *     values; the engine verifies candidates on full sketches);
 *   - per-host block counts for boilerplate learning: for each block
 *     fingerprint, in how many distinct documents of the host it occurred.
 * Insert is one call that makes the document durable and visible to all
 * the lookups above.  Calls are not thread-safe: the engine serialises them.
 *
 * The first backend (dedup_index_file.c) is an append-only log file in a
 * folder, replayed into compact in-RAM tables at open; its layout is
 * described at the top of that file and in docs/DEDUP.md.  The second
 * (dedup_index_redis.c) keeps the same tables in Redis, shared by the nodes
 * of a cluster (docs/SCALING.md); it also keeps the documents' main texts
 * (text_put/text_get), so a node confirms a candidate another node stored.
 */
#ifndef DEDUP_INDEX_H
#define DEDUP_INDEX_H

#include "common/fa_buf.h"

#include <stddef.h>
#include <stdint.h>

/* Flags of a stored document. */
enum {
    DEDUP_REC_EXACT = 1u << 0,  /* an exact duplicate: not anchored, blocks not counted */
    DEDUP_REC_CAPPED = 1u << 1, /* the sketch was cut to its smallest values */
    DEDUP_REC_CARRIER = 1u << 2 /* archived containing other archived pages (an aggregator's
                                   page: the engine's carried_beside) */
};

typedef struct dedup_doc_record {
    uint32_t id;    /* assigned by insert */
    uint32_t group; /* the logical document (alias group): id of its first version */
    int64_t date;
    uint64_t host_key;   /* hash of the host */
    uint64_t digest_key; /* hash of the payload digest string, 0 = none */
    uint64_t url_key;    /* hash of the canonical URL, 0 = none */
    uint64_t alias_key;  /* hash of the alias, 0 = none */
    uint32_t flags;
    uint32_t content_chars; /* main text characters (boilerplate removed) */
    uint32_t n_sketch;
    uint32_t n_blocks;
    const uint32_t *sketch; /* sorted sample values */
    uint32_t n_block_anchors;
    const uint32_t *block_anchors; /* sketch values anchored besides the smallest ones
                                      (dedup__anchor_count): one per content block, its
                                      smallest value few documents anchored (the engine's
                                      block_anchors), sorted, distinct (a short story a
                                      large page carries is found through them;
                                      docs/DEDUP.md, "Block anchors") */
    const uint64_t *blocks; /* distinct fingerprints of content blocks (counted for boilerplate) */
    const uint32_t *block_chars; /* characters of each block */
    const char *url;
    const char *digest;
    const char *record_id;
} dedup_doc_record;

/* candidates() flags */
#define DEDUP_CAND_RARITY 1u /* hits weigh by their values' rarity (candidate_rank.h) */

typedef struct dedup_candidate {
    uint32_t doc;
    uint32_t hits;
} dedup_candidate;

typedef struct dedup_index_params {
    uint32_t shingle_n; /* stored in the index: a reopened index keeps its own */
    uint32_t sample_rate;
    uint64_t seed;
} dedup_index_params;

typedef struct dedup_index dedup_index;

typedef struct dedup_index_ops {
    /* First document with this payload digest key: 0 and *doc, or FA_ENOENT. */
    int (*lookup_digest)(dedup_index *ix, uint64_t digest_key, uint32_t *doc);
    /* Latest document carrying this URL or alias key. */
    int (*lookup_key)(dedup_index *ix, uint64_t key, uint32_t *doc);
    /* Documents sharing anchors with sketch[0..n): up to max written to out,
     * the most likely related first - every backend ranks by hits against
     * the hits a related document of that size would give, and leaves out
     * documents far under it (candidate_rank.h); with DEDUP_CAND_RARITY in
     * flags a hit weighs by the rarity of its value (for a sketch of word
     * shingles).  postings, when not NULL, gets for each sketch[i] the
     * documents whose anchors hold it (counted up to the backend's
     * POSTING_CAP, 256 in both): the engine chooses a page's block anchors
     * among its rare values (docs/DEDUP.md, "Block anchors").  Returns the
     * count (>= 0) or a negative code. */
    int (*candidates)(dedup_index *ix, const uint32_t *sketch, uint32_t n, dedup_candidate *out,
                      size_t max, unsigned flags, uint32_t *postings);
    /* Reads a document; the record's arrays and strings stay valid until the
     * next get_doc/insert on this index (or copy them).  0 or FA_ENOENT. */
    int (*get_doc)(dedup_index *ix, uint32_t doc, dedup_doc_record *out);
    /* counts[i] = distinct documents of host with block fps[i]; *host_docs
     * = documents counted for the host. */
    int (*block_counts)(dedup_index *ix, uint64_t host_key, const uint64_t *fps, size_t n,
                        uint32_t *counts, uint32_t *host_docs);
    /* Makes rec durable and indexed; assigns rec->id (and rec->group when 0).
     * On error nothing was added. */
    int (*insert)(dedup_index *ix, dedup_doc_record *rec);
    /* Documents stored. */
    uint32_t (*count)(dedup_index *ix);
    /* Bytes of RAM the index holds (tables, not the page cache). */
    size_t (*memory)(dedup_index *ix);
    /* fsync whatever was appended. */
    int (*sync)(dedup_index *ix);
    void (*close)(dedup_index *ix);
    /* The normalised main text of a document, for confirmation (NULL in a
     * backend without texts: the engine keeps them in text_store.h beside
     * a file index).  text_put stores text[0..len) (cut at
     * TEXT_STORE_MAX_TEXT) under doc; text_get resets out and appends doc's
     * text: 0, FA_ENOENT (none stored), FA_ECORRUPT, FA_EIO. */
    int (*text_put)(dedup_index *ix, uint32_t doc, const char *text, size_t len);
    int (*text_get)(dedup_index *ix, uint32_t doc, fa_buf *out);
} dedup_index_ops;

struct dedup_index {
    const dedup_index_ops *ops;
    dedup_index_params params;
};

/* For tests: whether the file index ix holds doc's record in its cache of
 * recent records, and the bytes that cache holds (at most 6 MiB). */
int dedup__file_index_cached(dedup_index *ix, uint32_t doc);
size_t dedup__file_index_cache_bytes(dedup_index *ix);
/* For tests: sets the file index's lookup stamp (its candidates' counters
 * start over when it wraps). */
void dedup__file_index_set_lookup_gen(dedup_index *ix, uint32_t gen);

typedef struct dedup_file_index_options {
    int sync_every_insert; /* fdatasync after each insert (default: at close/sync only) */
    int read_only;
} dedup_file_index_options;

/* Opens (creating when missing) the log-file index "dedup.idx" in dir, which
 * must exist.  A new index takes params; an existing one keeps its own
 * (in (*out)->params).  A torn or corrupt tail (kill -9, power loss) is cut
 * off at the last whole record.  The file is locked (flock): a second open
 * of the same folder fails with FA_EACCES.  Returns 0, FA_EIO, FA_ECORRUPT
 * (not an index file, or another version), FA_EACCES, FA_ENOMEM. */
int dedup_file_index_open(const char *dir, const dedup_index_params *params,
                          const dedup_file_index_options *opt, dedup_index **out);

typedef struct dedup_redis_index_options {
    const char *url;      /* "redis://[user[:password]@]host[:port][/db]" (required) */
    const char *password; /* overrides the URL's; NULL or "" = the URL's */
    const char *prefix;   /* key prefix shared by the cluster; NULL = "feedarc:" (the
                             index's keys are under PREFIX "dd:") */
    uint64_t timeout_ms;  /* connect and each reply; 0 = 5 s */
} dedup_redis_index_options;

/* Opens the Redis index (dedup_index_redis.c): a blocking connection
 * (fa_redis_sync) used under the engine's lock, so from worker threads.
 * The first node to open an empty prefix stores params; later opens take
 * the stored ones (in (*out)->params).  Documents, lookups and texts are
 * shared by every handle on the same Redis and prefix: ids are assigned by
 * Redis, so a finding can name a document another node inserted (with
 * its WARC-Record-ID).  A call that cannot reach Redis fails with FA_EIO
 * (the next call reconnects).  Returns 0, FA_EINVAL (bad URL or prefix,
 * rediss://: err says why), FA_EIO (unreachable, authentication refused,
 * an index of other parameters' layout), FA_ENOMEM.  err may be NULL. */
int dedup_redis_index_open(const dedup_redis_index_options *o, const dedup_index_params *params,
                           dedup_index **out, char *err, size_t errlen);

/* Redis commands sent by a Redis index since open, and the round trips
 * they took (a pipeline is one); 0 for other backends.  For sizing,
 * docs/SCALING.md. */
void dedup_redis_index_stats(dedup_index *ix, uint64_t *commands, uint64_t *round_trips);

/* 64-bit key of a string (XXH3 with a fixed seed), never 0. */
uint64_t dedup_key(const char *s, size_t len);

#endif
