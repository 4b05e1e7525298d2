/*
 * cmd_dedup_report.c - `feedarc dedup-report DIR...`: every document of an
 * archive with every relation the archive knows about it, one JSON line
 * per document.  Several folders (a cluster's nodes' archives,
 * docs/SCALING.md) are one collection: a finding written on one node may
 * name a document another node archived.
 *
 * What is read.  Next to every archived page the crawler writes a
 * `metadata` record (application/warc-fields, WARC-Concurrent-To = the
 * page's response or revisit): the findings record of
 * dedup/findings_record.h, whose `feedarc-document: URL` names the page and
 * whose finding lines name the documents it relates to
 * (`feedarc-near-duplicate-of: <url> <record-id> <date> <score>` ...).
 *
 * (docs/DEDUP.md, "dedup-report", is the reference.)  A finding is written
 * by whichever document was analysed second, so one relation appears on
 * one side only, and a report that listed each record's own lines would
 * depend on fetch order.  This command reads everything first and then
 * makes the relations symmetric:
 *
 *   - A contains B when A's newest record says `contains B` or B's newest
 *     record says `contained-in A`; one pair, the higher score;
 *     `contained_in` is the same set seen from the other side.  A claim
 *     naming, by its record id, a version of A that A's newest record
 *     superseded (A was fetched again since) is dropped: it described the
 *     old text.
 *   - duplicate_of is the end of the near-duplicate chain: C -> B -> A
 *     gives A, the earliest (by the dates the records name) of the
 *     documents reachable; an exact duplicate on the way is followed to its
 *     original.  A document nothing earlier resembles has null.
 *   - a URL archived several times gets one line, from its newest metadata
 *     record by WARC-Date (the later one read on a tie).
 *
 * Memory.  Segments are streamed record by record (warc_reader); only the
 * metadata lines are kept: one 40-byte struct per document in an array,
 * its URL interned once in an arena, an open-addressed table URL ->
 * document (8 B a slot: 32 bits of hash, the index) and one record id ->
 * document (12 B a slot, the ids reduced to XXH3-64), and one 40-byte
 * struct per finding.  Measured: a million documents of 65-byte URLs with
 * one finding each, 280 MB peak RSS and 8 s (RelWithDebInfo), a quarter of
 * it the URLs themselves.
 *
 * The segment scanner (cli__archive_scan) and the JSON string writer
 * (cli__gen_string) are shared with cmd_text.c.
 */
#include "cli/cli.h"
#include "common/fa_err.h"
#include "common/fa_time.h"
#include "dedup/findings_record.h"
#include "storage/segment_recover.h"
#include "storage/warc_format.h"
#include "storage/warc_reader.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>
#include <yajl/yajl_gen.h>

#define SCAN_MAX_FAULTS_PER_SEGMENT 100

typedef struct scan_ctx {
    const char *dir, *prog;
    cli__record_fn fn;
    void *ud;
    unsigned *faults;
    int rc;
} scan_ctx;

/* Offset of the next frame marker (zstd magic 28 B5 2F FD, gzip magic,
 * "WARC/": warc_reader_sync_marker) at or after from, or UINT64_MAX when
 * there is none. */
static uint64_t scan_next_magic(const char *path, uint64_t from, const uint8_t *magic,
                                size_t mlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return UINT64_MAX;
    unsigned char buf[65536];
    uint64_t base = from, found = UINT64_MAX;
    size_t keep = 0;
    if (fseeko(f, (off_t)from, SEEK_SET) != 0) goto out;
    for (;;) {
        size_t n = fread(buf + keep, 1, sizeof buf - keep, f);
        if (n == 0) break;
        size_t have = keep + n;
        for (size_t i = 0; i + mlen <= have; i++)
            if (memcmp(buf + i, magic, mlen) == 0) {
                found = base + i;
                goto out;
            }
        keep = have < mlen - 1 ? have : mlen - 1;
        memmove(buf, buf + have - keep, keep);
        base += have - keep;
    }
out:
    fclose(f);
    return found;
}

static void scan_fault(scan_ctx *c, const char *what)
{
    fprintf(stderr, "feedarc %s: %s\n", c->prog, what);
    (*c->faults)++;
}

static int scan_segment(void *ud, const char *name)
{
    scan_ctx *c = ud;
    char path[4096], err[1024];
    warc_reader *r = NULL;
    warc_record rec;
    int rc, seg_faults = 0;
    snprintf(path, sizeof path, "%s/%s", c->dir, name);
    if (warc_reader_open(path, 0, &r, err, sizeof err) < 0) {
        scan_fault(c, err);
        return 0;
    }
    uint64_t end = 0; /* of the last good frame */
    uint8_t magic[5];
    size_t mlen = warc_reader_sync_marker(r, magic);
    for (;;) {
        rc = warc_reader_next(r, &rec);
        if (rc == 0) break;
        if (rc < 0) {
            scan_fault(c, warc_reader_error(r));
            if (++seg_faults > SCAN_MAX_FAULTS_PER_SEGMENT) break;
            uint64_t at = scan_next_magic(path, end + 1, magic, mlen);
            rc = 0;
            while (at != UINT64_MAX) {
                rc = warc_reader_read_at(r, at, &rec);
                if (rc == 1) break;
                at = scan_next_magic(path, at + 1, magic, mlen);
            }
            if (rc != 1) break;
        }
        end = rec.offset + rec.length;
        if ((rc = c->fn(c->ud, name, &rec)) < 0) {
            c->rc = rc;
            warc_reader_close(r);
            return rc;
        }
    }
    warc_reader_close(r);
    return 0;
}

int cli__archive_scan(const char *dir, const char *prog, cli__record_fn fn, void *ud,
                      unsigned *faults)
{
    scan_ctx c = {dir, prog, fn, ud, faults, 0};
    int rc = segment_list_readable(dir, scan_segment, &c);
    return c.rc < 0 ? c.rc : rc;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char b = s[0];
    size_t len;
    uint32_t cp;
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF)
        len = 2, cp = b & 0x1F;
    else if (b >= 0xE0 && b <= 0xEF)
        len = 3, cp = b & 0x0F;
    else if (b >= 0xF0 && b <= 0xF4)
        len = 4, cp = b & 0x07;
    else
        return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

yajl_gen_status cli__gen_string(yajl_gen g, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, bad = 0;
    while (i < len) {
        size_t l = utf8_seq_len(u + i, len - i);
        if (l == 0) bad++, l = 1;
        i += l;
    }
    if (bad == 0) return yajl_gen_string(g, u, len);
    unsigned char *clean = malloc(len + 2 * bad); /* 1 byte -> 3 bytes of U+FFFD */
    if (clean == NULL) return yajl_gen_in_error_state;
    size_t o = 0;
    for (i = 0; i < len;) {
        size_t l = utf8_seq_len(u + i, len - i);
        if (l == 0) {
            static const unsigned char fffd[3] = {0xEF, 0xBF, 0xBD};
            memcpy(clean + o, fffd, sizeof fffd);
            o += 3;
            i++;
        } else {
            memcpy(clean + o, u + i, l);
            o += l;
            i += l;
        }
    }
    yajl_gen_status st = yajl_gen_string(g, clean, o);
    free(clean);
    return st;
}

/* ---- the report's tables ---------------------------------------------- */

#define NONE UINT32_MAX
#define CHARS_UNKNOWN UINT32_MAX
#define RID_AMBIGUOUS (UINT32_MAX - 1)
#define MAX_DOCS (UINT32_MAX - 2)
#define CHUNK_SIZE (1u << 20)

typedef struct rep_doc {
    const char *url;  /* interned */
    int64_t date_ns;  /* WARC-Date of its newest metadata record */
    uint64_t rid;     /* key of that record's subject (WARC-Concurrent-To); 0 none */
    uint32_t version; /* serial of that record; its findings carry the same */
    uint32_t main_chars, novel_chars, boilerplate_chars;
    uint32_t has_meta;
} rep_doc;

enum { REF_EXACT, REF_NEAR, REF_CONTAINS, REF_CONTAINED_IN };

/* One finding line, as read: src's record (version) names target. */
typedef struct rep_ref {
    uint32_t src, version, target;
    uint32_t kind;
    int64_t date_ns; /* of the record named; INT64_MAX when not given */
    uint64_t rid;    /* key of the record named; 0 for "-" */
    double score;
} rep_ref;

/* A containment pair after resolution: container contains contained. */
typedef struct rep_pair {
    uint32_t container, contained;
    double score;
} rep_pair;

typedef struct rep_chunk {
    struct rep_chunk *next;
    size_t used;
    size_t cap;
    char data[];
} rep_chunk;

typedef struct report {
    rep_doc *docs;
    size_t n_docs, cap_docs;
    uint64_t *url_slots; /* hash >> 32 << 32 | (index + 1); 0 empty */
    size_t url_cap;      /* power of two */
    uint64_t *rid_keys;  /* 0 empty */
    uint32_t *rid_docs;
    size_t rid_cap, n_rids;
    rep_ref *refs;
    size_t n_refs, cap_refs;
    rep_chunk *chunks;
    uint32_t serial;
    unsigned faults;     /* corrupt frames and malformed feedarc lines */
    const char *segment; /* being read, for messages */
} report;

static uint64_t key_of(const char *s, size_t len)
{
    uint64_t h = XXH3_64bits(s, len);
    return h ? h : 1;
}

static const char *rep_intern_bytes(report *R, const char *s, size_t len)
{
    rep_chunk *c = R->chunks;
    if (c == NULL || c->cap - c->used < len + 1) {
        size_t cap = len + 1 > CHUNK_SIZE ? len + 1 : CHUNK_SIZE;
        c = malloc(sizeof *c + cap);
        if (c == NULL) return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = R->chunks;
        R->chunks = c;
    }
    char *p = c->data + c->used;
    memcpy(p, s, len);
    p[len] = '\0';
    c->used += len + 1;
    return p;
}

static int rep_url_grow(report *R)
{
    size_t cap = R->url_cap ? R->url_cap * 2 : 1024;
    uint64_t *slots = calloc(cap, sizeof *slots);
    if (slots == NULL) return FA_ENOMEM;
    for (size_t i = 0; i < R->url_cap; i++) {
        uint64_t s = R->url_slots[i];
        if (s == 0) continue;
        const rep_doc *d = &R->docs[(uint32_t)s - 1];
        uint64_t h = key_of(d->url, strlen(d->url));
        size_t j = (size_t)h & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = s;
    }
    free(R->url_slots);
    R->url_slots = slots;
    R->url_cap = cap;
    return 0;
}

/* The document of URL s (len bytes), created (without metadata) when new.
 * Returns its index, or NONE when out of memory or past MAX_DOCS. */
static uint32_t rep_doc_of(report *R, const char *s, size_t len)
{
    if ((R->n_docs + 1) * 10 > R->url_cap * 7 && rep_url_grow(R) < 0) return NONE;
    uint64_t h = key_of(s, len);
    size_t j = (size_t)h & (R->url_cap - 1);
    for (;; j = (j + 1) & (R->url_cap - 1)) {
        uint64_t slot = R->url_slots[j];
        if (slot == 0) break;
        if (slot >> 32 != h >> 32) continue;
        const rep_doc *d = &R->docs[(uint32_t)slot - 1];
        if (strncmp(d->url, s, len) == 0 && d->url[len] == '\0') return (uint32_t)slot - 1;
    }
    if (R->n_docs >= MAX_DOCS) return NONE;
    if (R->n_docs == R->cap_docs) {
        size_t cap = R->cap_docs ? R->cap_docs + R->cap_docs / 2 : 1024;
        rep_doc *nd = realloc(R->docs, cap * sizeof *nd);
        if (nd == NULL) return NONE;
        R->docs = nd;
        R->cap_docs = cap;
    }
    const char *url = rep_intern_bytes(R, s, len);
    if (url == NULL) return NONE;
    uint32_t idx = (uint32_t)R->n_docs++;
    R->docs[idx] = (rep_doc){.url = url, .version = NONE};
    R->url_slots[j] = (h >> 32 << 32) | ((uint64_t)idx + 1);
    return idx;
}

/* Remembers that record id key rid is the subject of doc's metadata.  A
 * record id claimed by two documents (a feed response shared by the
 * metadata of its items) resolves nothing. */
static int rep_rid_add(report *R, uint64_t rid, uint32_t doc)
{
    if ((R->n_rids + 1) * 10 > R->rid_cap * 7) {
        size_t cap = R->rid_cap ? R->rid_cap * 2 : 1024;
        uint64_t *keys = calloc(cap, sizeof *keys);
        uint32_t *docs = malloc(cap * sizeof *docs);
        if (keys == NULL || docs == NULL) {
            free(keys);
            free(docs);
            return FA_ENOMEM;
        }
        for (size_t i = 0; i < R->rid_cap; i++) {
            if (R->rid_keys[i] == 0) continue;
            size_t j = (size_t)R->rid_keys[i] & (cap - 1);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = R->rid_keys[i];
            docs[j] = R->rid_docs[i];
        }
        free(R->rid_keys);
        free(R->rid_docs);
        R->rid_keys = keys;
        R->rid_docs = docs;
        R->rid_cap = cap;
    }
    size_t j = (size_t)rid & (R->rid_cap - 1);
    for (; R->rid_keys[j]; j = (j + 1) & (R->rid_cap - 1))
        if (R->rid_keys[j] == rid) {
            if (R->rid_docs[j] != doc) R->rid_docs[j] = RID_AMBIGUOUS;
            return 0;
        }
    R->rid_keys[j] = rid;
    R->rid_docs[j] = doc;
    R->n_rids++;
    return 0;
}

static uint32_t rep_rid_find(const report *R, uint64_t rid)
{
    if (R->rid_cap == 0 || rid == 0) return NONE;
    for (size_t j = (size_t)rid & (R->rid_cap - 1); R->rid_keys[j]; j = (j + 1) & (R->rid_cap - 1))
        if (R->rid_keys[j] == rid) return R->rid_docs[j];
    return NONE;
}

static rep_ref *rep_ref_new(report *R)
{
    if (R->n_refs == R->cap_refs) {
        size_t cap = R->cap_refs ? R->cap_refs + R->cap_refs / 2 : 1024;
        rep_ref *nr = realloc(R->refs, cap * sizeof *nr);
        if (nr == NULL) return NULL;
        R->refs = nr;
        R->cap_refs = cap;
    }
    return &R->refs[R->n_refs++];
}

static void rep_free(report *R)
{
    free(R->docs);
    free(R->url_slots);
    free(R->rid_keys);
    free(R->rid_docs);
    free(R->refs);
    while (R->chunks) {
        rep_chunk *n = R->chunks->next;
        free(R->chunks);
        R->chunks = n;
    }
}

/* ---- reading metadata records ----------------------------------------- *
 *
 * The record's layout and its line parsers are dedup/findings_record.h;
 * here each line is taken as it comes, so that one malformed line is
 * reported and the rest of the record still counts. */

static void rep_malformed(report *R, const warc_record *rec, const char *name, size_t name_len,
                          const char *what)
{
    const char *id = warc_record_field(rec, "WARC-Record-ID");
    fprintf(stderr, "feedarc dedup-report: %s: offset %llu: record %s: %.*s: %s\n", R->segment,
            (unsigned long long)rec->offset, id ? id : "-", (int)name_len, name, what);
    R->faults++;
}

/* `<url> <record-id> <date> [<score>]` -> a ref. */
static int rep_add_ref(report *R, const warc_record *rec, uint32_t src, enum findings_field f,
                       const char *name, size_t name_len, const char *value, size_t value_len)
{
    findings_ref fr;
    const char *why;
    if (findings_record_parse_ref(f, value, value_len, &fr, &why) < 0) {
        rep_malformed(R, rec, name, name_len, why);
        return 0;
    }
    rep_ref r = {.src = src,
                 .version = R->docs[src].version,
                 .kind = (uint32_t)(REF_EXACT + (f - FINDINGS_EXACT)),
                 .date_ns = fr.date_ns,
                 .score = fr.score};
    if (fr.record_id) r.rid = key_of(fr.record_id, fr.record_id_len);
    if ((r.target = rep_doc_of(R, fr.url, fr.url_len)) == NONE) return FA_ENOMEM;
    rep_ref *slot = rep_ref_new(R);
    if (slot == NULL) return FA_ENOMEM;
    *slot = r;
    return 0;
}

typedef struct meta_pass {
    report *R;
    const warc_record *rec;
    const char *document;
    size_t document_len;
    uint32_t doc;
} meta_pass;

static int find_document(void *ud, enum findings_field f, const char *name, size_t name_len,
                         const char *value, size_t value_len)
{
    meta_pass *m = ud;
    (void)name;
    (void)name_len;
    if (m->document == NULL && f == FINDINGS_DOCUMENT) {
        m->document = value;
        m->document_len = value_len;
    }
    return 0;
}

static int read_finding(void *ud, enum findings_field f, const char *name, size_t name_len,
                        const char *value, size_t value_len)
{
    meta_pass *m = ud;
    report *R = m->R;
    rep_doc *d = &R->docs[m->doc];
    uint32_t *chars = NULL;
    uint64_t v;
    switch (f) {
    case FINDINGS_EXACT:
    case FINDINGS_NEAR:
    case FINDINGS_CONTAINS:
    case FINDINGS_CONTAINED_IN:
        return rep_add_ref(R, m->rec, m->doc, f, name, name_len, value, value_len);
    case FINDINGS_MAIN_CHARS:
        chars = &d->main_chars;
        break;
    case FINDINGS_NOVEL_CHARS:
        chars = &d->novel_chars;
        break;
    case FINDINGS_BOILERPLATE_CHARS:
        chars = &d->boilerplate_chars;
        break;
    default:
        return 0;
    }
    if (findings_record_parse_count(value, value_len, &v) < 0)
        rep_malformed(R, m->rec, name, name_len, "not a count");
    else
        *chars = v >= CHARS_UNKNOWN ? CHARS_UNKNOWN - 1 : (uint32_t)v;
    return 0;
}

static int rep_record(void *ud, const char *segment, const warc_record *rec)
{
    report *R = ud;
    R->segment = segment;
    const char *ct = warc_record_field(rec, "Content-Type");
    if (warc_type_of(warc_record_field(rec, "WARC-Type")) != WARC_TYPE_METADATA || ct == NULL ||
        strncasecmp(ct, "application/warc-fields", 23) != 0)
        return 0;
    meta_pass m = {.R = R, .rec = rec};
    findings_record_foreach(rec->block, rec->block_len, find_document, &m);
    if (m.document == NULL) return 0;
    if (m.document_len == 0 || memchr(m.document, ' ', m.document_len)) {
        const char *name = findings_field_name(FINDINGS_DOCUMENT);
        rep_malformed(R, rec, name, strlen(name), "not a URL");
        return 0;
    }
    if ((m.doc = rep_doc_of(R, m.document, m.document_len)) == NONE) return FA_ENOMEM;

    const char *date = warc_record_field(rec, "WARC-Date");
    int64_t t = INT64_MIN;
    if (date == NULL || fa_time_parse_rfc3339(date, &t) < 0) {
        rep_malformed(R, rec, "WARC-Date", 9, "missing or not ISO 8601");
        t = INT64_MIN;
    }
    const char *subject = warc_record_field(rec, "WARC-Concurrent-To");
    if (subject == NULL) subject = warc_record_field(rec, "WARC-Refers-To");
    uint64_t rid = subject ? key_of(subject, strlen(subject)) : 0;
    if (rid && rep_rid_add(R, rid, m.doc) < 0) return FA_ENOMEM;

    rep_doc *d = &R->docs[m.doc];
    if (d->has_meta && t < d->date_ns) return 0; /* an older version: superseded */
    d->has_meta = 1;
    d->date_ns = t;
    d->rid = rid;
    d->version = ++R->serial;
    d->main_chars = d->novel_chars = d->boilerplate_chars = CHARS_UNKNOWN;
    return findings_record_foreach(rec->block, rec->block_len, read_finding, &m);
}

/* ---- resolving -------------------------------------------------------- */

/* The document a finding names: the URL when that is a document of the
 * archive, else the document whose metadata names the record id, else the
 * URL as written.  *stale: the record id is a superseded version of it. */
static uint32_t rep_resolve(const report *R, const rep_ref *r, int *stale)
{
    uint32_t t = r->target;
    uint32_t by_rid = rep_rid_find(R, r->rid);
    if (!R->docs[t].has_meta && by_rid < RID_AMBIGUOUS) t = by_rid;
    *stale = by_rid == t && R->docs[t].rid != 0 && R->docs[t].rid != r->rid;
    return t;
}

static int cmp_pair(const void *a, const void *b)
{
    const rep_pair *x = a, *y = b;
    if (x->container != y->container) return x->container < y->container ? -1 : 1;
    if (x->contained != y->contained) return x->contained < y->contained ? -1 : 1;
    return 0;
}

static int cmp_pair_rev(const void *a, const void *b)
{
    const rep_pair *x = a, *y = b;
    if (x->contained != y->contained) return x->contained < y->contained ? -1 : 1;
    if (x->container != y->container) return x->container < y->container ? -1 : 1;
    return 0;
}

typedef struct resolved {
    uint32_t *exact_ref, *near_ref; /* per document: index into refs, or NONE */
    uint32_t *exact_root;           /* per document: original of an exact duplicate */
    uint32_t *dup_of;               /* per document: earliest near-duplicate */
    int64_t *dup_date;
    uint8_t *state;
    rep_pair *contains, *contained_in;
    size_t n_pairs;
    uint32_t *contains_at, *contained_in_at; /* CSR offsets, n_docs + 1 */
} resolved;

static void resolved_free(resolved *z)
{
    free(z->exact_ref);
    free(z->near_ref);
    free(z->exact_root);
    free(z->dup_of);
    free(z->dup_date);
    free(z->state);
    free(z->contains);
    free(z->contained_in);
    free(z->contains_at);
    free(z->contained_in_at);
}

/* The next link of d's chain: its near-duplicate, else (after the first
 * link) the original it exactly duplicates.  *date: the date the link names. */
static uint32_t chain_next(const report *R, const resolved *z, uint32_t d, int64_t *date)
{
    uint32_t ri = z->near_ref[d] != NONE ? z->near_ref[d] : z->exact_ref[d];
    if (ri == NONE) return NONE;
    *date = R->refs[ri].date_ns;
    return R->refs[ri].target;
}

/* dup_of[d] = the earliest document reachable from d along chain_next
 * (d itself excluded), memoised; a cycle ends the walk. */
static int chain_solve(const report *R, resolved *z, uint32_t start)
{
    enum { UNSEEN, ON_PATH, DONE };
    size_t n = 0, cap = 16;
    uint32_t *path = malloc(cap * sizeof *path);
    int64_t *dates = malloc(cap * sizeof *dates);
    if (path == NULL || dates == NULL) {
        free(path);
        free(dates);
        return FA_ENOMEM;
    }
    uint32_t d = start;
    while (d != NONE && z->state[d] == UNSEEN) {
        if (n == cap) {
            cap *= 2;
            uint32_t *np = realloc(path, cap * sizeof *path);
            if (np) path = np;
            int64_t *nd = realloc(dates, cap * sizeof *dates);
            if (nd) dates = nd;
            if (np == NULL || nd == NULL) {
                free(path);
                free(dates);
                return FA_ENOMEM;
            }
        }
        z->state[d] = ON_PATH;
        path[n] = d;
        d = chain_next(R, z, d, &dates[n]);
        n++;
    }
    /* d: NONE, DONE (its answer known) or ON_PATH (a cycle) */
    uint32_t best = NONE;
    int64_t best_date = INT64_MAX;
    if (d != NONE && z->state[d] == DONE && z->dup_of[d] != NONE) {
        best = z->dup_of[d];
        best_date = z->dup_date[d];
    }
    for (size_t i = n; i-- > 0;) {
        uint32_t next = i + 1 < n ? path[i + 1] : d;
        if (next != NONE && (best == NONE || dates[i] <= best_date)) {
            best = next;
            best_date = dates[i];
        }
        z->dup_of[path[i]] = best == path[i] ? NONE : best;
        z->dup_date[path[i]] = best_date;
        z->state[path[i]] = DONE;
    }
    free(path);
    free(dates);
    return 0;
}

static int rep_resolve_all(report *R, resolved *z)
{
    size_t n = R->n_docs;
    z->exact_ref = malloc((n + 1) * sizeof *z->exact_ref);
    z->near_ref = malloc((n + 1) * sizeof *z->near_ref);
    z->exact_root = malloc((n + 1) * sizeof *z->exact_root);
    z->dup_of = malloc((n + 1) * sizeof *z->dup_of);
    z->dup_date = malloc((n + 1) * sizeof *z->dup_date);
    z->state = calloc(n + 1, 1);
    z->contains_at = calloc(n + 2, sizeof *z->contains_at);
    z->contained_in_at = calloc(n + 2, sizeof *z->contained_in_at);
    size_t n_cont = 0;
    for (size_t i = 0; i < R->n_refs; i++)
        n_cont += R->refs[i].kind == REF_CONTAINS || R->refs[i].kind == REF_CONTAINED_IN;
    z->contains = malloc((n_cont + 1) * sizeof *z->contains);
    if (!z->exact_ref || !z->near_ref || !z->exact_root || !z->dup_of || !z->dup_date ||
        !z->state || !z->contains_at || !z->contained_in_at || !z->contains)
        return FA_ENOMEM;
    for (size_t i = 0; i < n; i++)
        z->exact_ref[i] = z->near_ref[i] = z->exact_root[i] = NONE;

    /* live findings (from each document's newest record), resolved */
    size_t np = 0;
    for (size_t i = 0; i < R->n_refs; i++) {
        rep_ref *r = &R->refs[i];
        if (R->docs[r->src].version != r->version) continue; /* superseded record */
        int stale;
        r->target = rep_resolve(R, r, &stale);
        if (r->target == r->src) continue;
        switch (r->kind) {
        case REF_EXACT:
            if (z->exact_ref[r->src] == NONE) z->exact_ref[r->src] = (uint32_t)i;
            break;
        case REF_NEAR: {
            uint32_t *cur = &z->near_ref[r->src];
            if (*cur == NONE || r->date_ns < R->refs[*cur].date_ns) *cur = (uint32_t)i;
            break;
        }
        default:
            if (stale) break;
            z->contains[np++] = r->kind == REF_CONTAINS ? (rep_pair){r->src, r->target, r->score}
                                                        : (rep_pair){r->target, r->src, r->score};
        }
    }
    /* containment: one pair each, the higher score */
    if (np > 1) qsort(z->contains, np, sizeof *z->contains, cmp_pair);
    size_t k = 0;
    for (size_t i = 0; i < np; i++) {
        if (k && z->contains[k - 1].container == z->contains[i].container &&
            z->contains[k - 1].contained == z->contains[i].contained) {
            if (z->contains[i].score > z->contains[k - 1].score)
                z->contains[k - 1].score = z->contains[i].score;
            continue;
        }
        z->contains[k++] = z->contains[i];
    }
    z->n_pairs = k;
    z->contained_in = malloc((k + 1) * sizeof *z->contained_in);
    if (z->contained_in == NULL) return FA_ENOMEM;
    memcpy(z->contained_in, z->contains, k * sizeof *z->contains);
    if (k > 1) qsort(z->contained_in, k, sizeof *z->contained_in, cmp_pair_rev);
    for (size_t i = 0; i < k; i++) {
        z->contains_at[z->contains[i].container + 1]++;
        z->contained_in_at[z->contained_in[i].contained + 1]++;
    }
    for (size_t i = 0; i < n; i++) {
        z->contains_at[i + 1] += z->contains_at[i];
        z->contained_in_at[i + 1] += z->contained_in_at[i];
    }

    /* exact duplicates: follow to the original (bounded: cycles) */
    for (size_t i = 0; i < n; i++) {
        uint32_t d = (uint32_t)i;
        for (int hop = 0; hop < 64 && z->exact_ref[d] != NONE; hop++)
            d = R->refs[z->exact_ref[d]].target;
        z->exact_root[i] = d == i ? NONE : d;
    }
    /* near-duplicate chains */
    for (size_t i = 0; i < n; i++)
        if (z->state[i] == 0 && chain_solve(R, z, (uint32_t)i) < 0) return FA_ENOMEM;
    return 0;
}

/* ---- output ------------------------------------------------------------ */

static void gen_key(yajl_gen g, const char *k)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

static void gen_url_or_null(yajl_gen g, const char *k, const report *R, uint32_t d)
{
    gen_key(g, k);
    if (d == NONE)
        yajl_gen_null(g);
    else
        cli__gen_string(g, R->docs[d].url, strlen(R->docs[d].url));
}

static void gen_score(yajl_gen g, double v)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%.6g", v);
    yajl_gen_number(g, buf, (size_t)n);
}

static void gen_chars(yajl_gen g, const char *k, uint32_t v)
{
    gen_key(g, k);
    if (v == CHARS_UNKNOWN)
        yajl_gen_null(g);
    else
        yajl_gen_integer(g, (long long)v);
}

static void gen_pairs(yajl_gen g, const char *k, const report *R, const rep_pair *p, size_t n,
                      int other_is_contained)
{
    gen_key(g, k);
    yajl_gen_array_open(g);
    for (size_t i = 0; i < n; i++) {
        const char *url = R->docs[other_is_contained ? p[i].contained : p[i].container].url;
        yajl_gen_map_open(g);
        gen_key(g, "url");
        cli__gen_string(g, url, strlen(url));
        gen_key(g, "containment");
        gen_score(g, p[i].score);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

static int emit_line(yajl_gen g)
{
    const unsigned char *buf;
    size_t len;
    yajl_gen_get_buf(g, &buf, &len);
    int ok = fwrite(buf, 1, len, stdout) == len && putchar('\n') != EOF;
    yajl_gen_clear(g);
    yajl_gen_reset(g, NULL);
    return ok ? 0 : FA_EIO;
}

static int rep_print(const report *R, const resolved *z, int summary)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (g == NULL) return FA_ENOMEM;
    int rc = 0;
    size_t docs = 0, exact = 0, near = 0;
    for (uint32_t i = 0; i < R->n_docs && rc == 0; i++) {
        const rep_doc *d = &R->docs[i];
        if (!d->has_meta) continue;
        docs++;
        uint32_t dup = z->near_ref[i] != NONE ? z->dup_of[i] : NONE;
        exact += z->exact_root[i] != NONE;
        near += dup != NONE;
        if (summary) continue;
        yajl_gen_map_open(g);
        gen_key(g, "url");
        cli__gen_string(g, d->url, strlen(d->url));
        gen_url_or_null(g, "exact_duplicate_of", R, z->exact_root[i]);
        gen_url_or_null(g, "duplicate_of", R, dup);
        gen_key(g, "similarity");
        if (dup == NONE)
            yajl_gen_null(g);
        else
            gen_score(g, R->refs[z->near_ref[i]].score);
        gen_pairs(g, "contains", R, z->contains + z->contains_at[i],
                  z->contains_at[i + 1] - z->contains_at[i], 1);
        gen_pairs(g, "contained_in", R, z->contained_in + z->contained_in_at[i],
                  z->contained_in_at[i + 1] - z->contained_in_at[i], 0);
        gen_chars(g, "main_chars", d->main_chars);
        gen_chars(g, "novel_chars", d->novel_chars);
        gen_chars(g, "boilerplate_chars", d->boilerplate_chars);
        yajl_gen_map_close(g);
        rc = emit_line(g);
    }
    if (summary && rc == 0) {
        yajl_gen_map_open(g);
        gen_key(g, "documents");
        yajl_gen_integer(g, (long long)docs);
        gen_key(g, "exact_duplicates");
        yajl_gen_integer(g, (long long)exact);
        gen_key(g, "near_duplicates");
        yajl_gen_integer(g, (long long)near);
        gen_key(g, "containment_pairs");
        yajl_gen_integer(g, (long long)z->n_pairs);
        gen_key(g, "faults");
        yajl_gen_integer(g, (long long)R->faults);
        yajl_gen_map_close(g);
        rc = emit_line(g);
    }
    yajl_gen_free(g);
    return rc;
}

int cmd_dedup_report(int argc, char **argv)
{
    static const struct option opts[] = {{"ndjson", no_argument, NULL, 'n'},
                                         {"summary", no_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    int summary = 0, ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "ns", opts, NULL)) != -1) {
        if (ch == 'n')
            summary = 0;
        else if (ch == 's')
            summary = 1;
        else
            goto usage;
    }
    if (optind >= argc) goto usage;
    const char *dir = argv[optind];
    for (int i = optind; i < argc; i++) {
        struct stat st;
        int e = stat(argv[i], &st) < 0 ? errno : 0;
        if (e || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "feedarc dedup-report: %s: %s\n", argv[i],
                    e ? strerror(e) : "not a folder");
            return 66;
        }
    }
    report R = {0};
    resolved z = {0};
    int exit_code = 0;
    int rc = 0;
    for (int i = optind; i < argc && rc == 0; i++) {
        dir = argv[i];
        rc = cli__archive_scan(dir, "dedup-report", rep_record, &R, &R.faults);
    }
    if (rc == FA_ENOMEM) goto nomem;
    if (rc < 0) {
        fprintf(stderr, "feedarc dedup-report: %s: %s\n", dir, fa_strerror(rc));
        exit_code = 66;
        goto out;
    }
    if (rep_resolve_all(&R, &z) < 0) goto nomem;
    if (rep_print(&R, &z, summary) < 0 || fflush(stdout) == EOF) {
        fprintf(stderr, "feedarc dedup-report: writing the report: %s\n", strerror(errno));
        exit_code = EXIT_IOERR;
        goto out;
    }
    exit_code = R.faults ? 65 : 0;
    goto out;
nomem:
    fprintf(stderr, "feedarc dedup-report: out of memory\n");
    exit_code = EXIT_SOFTWARE;
out:
    resolved_free(&z);
    rep_free(&R);
    return exit_code;
usage:
    fprintf(stderr, "usage: feedarc dedup-report [--ndjson|--summary] DIR... "
                    "(see feedarc help dedup-report)\n");
    return EXIT_USAGE;
}
