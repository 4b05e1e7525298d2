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
 * described at the top of that file and in docs/DEDUP.md.
 */
#ifndef DEDUP_INDEX_H
#define DEDUP_INDEX_H

#include <stddef.h>
#include <stdint.h>

/* Flags of a stored document. */
enum {
    DEDUP_REC_EXACT = 1u << 0, /* an exact duplicate: not anchored, blocks not counted */
    DEDUP_REC_CAPPED = 1u << 1 /* the sketch was cut to its smallest values */
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
    const uint64_t *blocks; /* distinct fingerprints of content blocks (counted for boilerplate) */
    const uint32_t *block_chars; /* characters of each block */
    const char *url;
    const char *digest;
    const char *record_id;
} dedup_doc_record;

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
     * the most likely related first - the file index ranks by hits against
     * the hits a related document of that size would give, and leaves out
     * documents far under it (dedup_index_file.c); returns the count (>= 0)
     * or a negative code. */
    int (*candidates)(dedup_index *ix, const uint32_t *sketch, uint32_t n, dedup_candidate *out,
                      size_t max);
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
} dedup_index_ops;

struct dedup_index {
    const dedup_index_ops *ops;
    dedup_index_params params;
};

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

/* 64-bit key of a string (XXH3 with a fixed seed), never 0. */
uint64_t dedup_key(const char *s, size_t len);

#endif
