/*
 * test_dedup_engine.c - the findings engine and its index: each finding,
 * containment in both fetch orders, boilerplate learning, aliases,
 * canonical URLs, persistence across reopen, kill -9 while inserting,
 * concurrent analysis from several threads, and examination apart from the
 * insert (a document whose archiving failed never enters the index; one
 * still pending is found all the same); near copies examined side by side
 * on several threads, the index read by them at once, still find each
 * other.
 */
#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "dedup/dedup_engine.h"
#include "dedup/candidate_rank.h"
#include "dedup/dedup_index.h"
#include "index_checks.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/test_fs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = test_tmpdir_new();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rm_rf(dir);
    free(dir);
    dir = NULL;
    return 0;
}

/* n paragraphs of pseudo-words drawn from seed */
static void paragraphs(fa_buf *b, uint64_t seed, unsigned n, unsigned from)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (unsigned p = 0; p < from + n; p++) {
        if (p >= from) fa_buf_puts(b, "<p>");
        for (int w = 0; w < 60; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (p >= from) fa_buf_printf(b, "%sw%u", w ? " " : "", (unsigned)(x % 5000));
        }
        if (p >= from) fa_buf_puts(b, ".</p>\n");
    }
}

static char *page(const char *site, uint64_t story, unsigned n, unsigned from, uint64_t extra,
                  unsigned extra_n)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 24);
    fa_buf_printf(&b,
                  "<html><body><nav><a href=/>%s home</a> <a href=/n>News</a></nav><main>"
                  "<article><h1>Headline %llu</h1>\n",
                  site, (unsigned long long)story);
    paragraphs(&b, story, n, from);
    if (extra_n) paragraphs(&b, extra, extra_n, 0);
    /* a template paragraph the extractor cannot tell from content */
    fa_buf_printf(&b,
                  "<p>Support independent journalism at %s: become a member today and get "
                  "the weekly print edition and every newsletter for free.</p>",
                  site);
    fa_buf_puts(&b, "</article></main><footer>Footer text of the site</footer></body></html>");
    return fa_buf_steal(&b, NULL);
}

static int analyze(dedup_engine *e, const char *url, const char *digest, const char *alias,
                   const char *html, int64_t date, dedup_result *r)
{
    dedup_input in = {url,  NULL,         alias, digest, "<urn:uuid:x>", date, DEDUP_HTML_PAGE,
                      html, strlen(html), NULL};
    return dedup_analyze(e, &in, r);
}

static const dedup_finding *find(const dedup_result *r, enum dedup_finding_kind k)
{
    for (size_t i = 0; i < r->n_findings; i++)
        if (r->findings[i].kind == k) return &r->findings[i];
    return NULL;
}

/* Inserts a record of n sketch values and one content block (fingerprint
 * 11, 100 characters) under url, in a group of its own.  insert's code. */
static int insert_one_block(dedup_index *ix, const uint32_t *sk, uint32_t n, const char *url,
                            uint64_t host_key)
{
    static const uint64_t blocks[1] = {11};
    static const uint32_t bchars[1] = {100};
    dedup_doc_record r = {0};
    r.group = UINT32_MAX;
    r.host_key = host_key;
    r.n_sketch = n, r.sketch = sk;
    r.n_blocks = 1, r.blocks = blocks, r.block_chars = bchars;
    r.url = url, r.digest = "", r.record_id = "<urn:x>";
    return ix->ops->insert(ix, &r);
}

/* The file index keeps the 4096 records it read or wrote last in a bounded
 * cache and reads the others from the file with pread (dedup_index_file.c):
 * every record reads back the same whether it comes from the cache or the
 * file, also while the file grows, a record too long for a slot is read
 * from the file, and the cache never holds more than its 6 MiB - nor much
 * more than the records it holds: a slot is as long as the longest record
 * it held (these are under 512 bytes), not 4 KiB. */
static void test_record_cache(void **state)
{
    (void)state;
    dedup_index_params p = {4, 4, 7};
    dedup_index *ix;
    assert_int_equal(dedup_file_index_open(dir, &p, NULL, &ix), 0);
    enum { N = 5000, BIG = 3000, SLOTS = 4096 };
    static uint32_t sk[BIG];
    uint64_t blocks[2] = {11, 12};
    uint32_t bchars[2] = {100, 200};
    char url[64];
    for (uint32_t d = 0; d < N; d++) {
        uint32_t n = d % 97 == 5 ? BIG : 8 + d % 50; /* some over a slot's 4 KiB */
        for (uint32_t i = 0; i < n; i++)
            sk[i] = d * 7919u + i * 4u + 4u;
        snprintf(url, sizeof url, "https://example.org/%u", d);
        dedup_doc_record r = {0};
        r.group = UINT32_MAX;
        r.date = d;
        r.host_key = 1 + d % 3;
        r.n_sketch = n, r.sketch = sk;
        r.n_blocks = 2, r.blocks = blocks, r.block_chars = bchars;
        r.url = url, r.digest = "", r.record_id = "<urn:x>";
        assert_int_equal(ix->ops->insert(ix, &r), 0);
        assert_int_equal(r.id, d);
        assert_true(dedup__file_index_cache_bytes(ix) <= 6u << 20);
        if (d % 100 == 99) { /* read while the file grows */
            dedup_doc_record o;
            uint32_t od = d / 3;
            assert_int_equal(ix->ops->get_doc(ix, od, &o), 0);
            assert_int_equal(o.id, od);
            assert_int_equal(o.n_sketch, od % 97 == 5 ? BIG : 8 + od % 50);
            assert_int_equal(o.sketch[0], od * 7919u + 4u);
        }
    }
    assert_true(dedup__file_index_cached(ix, N - 1));
    assert_false(dedup__file_index_cached(ix, 0));    /* evicted by 4096 */
    assert_false(dedup__file_index_cached(ix, 4370)); /* 4370 % 97 == 5: too long */
    assert_true(dedup__file_index_cached(ix, SLOTS - 1));
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t d = 0; d < N; d++) {
            dedup_doc_record r;
            assert_int_equal(ix->ops->get_doc(ix, d, &r), 0);
            uint32_t n = d % 97 == 5 ? BIG : 8 + d % 50;
            assert_int_equal(r.id, d);
            assert_int_equal(r.date, d);
            assert_int_equal(r.n_sketch, n);
            assert_int_equal(r.sketch[0], d * 7919u + 4u);
            assert_int_equal(r.sketch[n - 1], d * 7919u + (n - 1) * 4u + 4u);
            assert_int_equal(r.blocks[1], 12);
            snprintf(url, sizeof url, "https://example.org/%u", d);
            assert_string_equal(r.url, url);
            assert_true(dedup__file_index_cached(ix, d) == (n != BIG));
        }
    assert_true(dedup__file_index_cache_bytes(ix) <= 6u << 20);
    assert_true(dedup__file_index_cache_bytes(ix) <= SLOTS * 512u);
    assert_int_equal(ix->ops->get_doc(ix, N, &(dedup_doc_record){0}), FA_ENOENT);
    ix->ops->close(ix);
}

/* Records of 2-2.5 KiB (a long page's sketch) would take 4096 slots of
 * 2.5 KiB, 10 MiB: the cache stops growing slots at its 6 MiB, and the
 * records it has no room for still read back whole from the file. */
static void test_record_cache_budget(void **state)
{
    (void)state;
    dedup_index_params p = {4, 4, 7};
    dedup_index *ix;
    assert_int_equal(dedup_file_index_open(dir, &p, NULL, &ix), 0);
    enum { N = 4096, NSK = 520 };
    static uint32_t sk[NSK];
    char url[64];
    for (uint32_t d = 0; d < N; d++) {
        for (uint32_t i = 0; i < NSK; i++)
            sk[i] = d * 7919u + i * 4u + 4u;
        snprintf(url, sizeof url, "https://example.org/long/%u", d);
        assert_int_equal(insert_one_block(ix, sk, NSK, url, 1), 0);
        assert_true(dedup__file_index_cache_bytes(ix) <= 6u << 20);
    }
    assert_true(dedup__file_index_cache_bytes(ix) > 5u << 20); /* it did fill */
    assert_false(dedup__file_index_cached(ix, N - 1));         /* no room left */
    for (uint32_t d = 0; d < N; d++) {
        dedup_doc_record r;
        assert_int_equal(ix->ops->get_doc(ix, d, &r), 0);
        assert_int_equal(r.id, d);
        assert_int_equal(r.n_sketch, NSK);
        assert_int_equal(r.sketch[NSK - 1], d * 7919u + (NSK - 1) * 4u + 4u);
        snprintf(url, sizeof url, "https://example.org/long/%u", d);
        assert_string_equal(r.url, url);
    }
    assert_true(dedup__file_index_cache_bytes(ix) <= 6u << 20);
    ix->ops->close(ix);
}

/* A document is found through any of its E smallest sketch values, E =
 * clamp(2 + n/16, 8, 48) (candidate_rank.h), and a short one of at most
 * DEDUP_SHORT_ANCHORED values through any of them (thirty-first round):
 * a short story's edited copy that keeps only its 25th-32nd smallest
 * values names it (8 hits of 40: with 8 anchors it had none), and a short
 * query inside a long document names it through that document's
 * 9th-12th. */
static void test_anchors_of_short_documents(void **state)
{
    (void)state;
    dedup_index_params p = {4, 4, 7};
    dedup_index *ix;
    assert_int_equal(dedup_file_index_open(dir, &p, NULL, &ix), 0);
    static uint32_t sk[160];
    const uint32_t sizes[2] = {40, 160};
    for (uint32_t d = 0; d < 2; d++) {
        for (uint32_t i = 0; i < sizes[d]; i++)
            sk[i] = 1000u + d * 100000u + i * 8u;
        const char *url = d ? "https://example.org/long" : "https://example.org/short";
        assert_int_equal(insert_one_block(ix, sk, sizes[d], url, 0), 0);
    }
    /* 40 values: the short document's 25th-32nd smallest, the rest its own */
    uint32_t q[40];
    for (uint32_t i = 0; i < 40; i++)
        q[i] = i < 8 ? 1000u + (24 + i) * 8u : 500000u + i * 8u;
    dedup_candidate c[8];
    int n = ix->ops->candidates(ix, q, 40, c, 8, 0, NULL);
    assert_int_equal(n, 1);
    assert_int_equal(c[0].doc, 0);
    assert_int_equal(c[0].hits, 8);
    /* the long document's 9th-12th smallest (12 anchors of 160 values) */
    for (uint32_t i = 0; i < 8; i++)
        q[i] = i < 4 ? 1000u + 100000u + (8 + i) * 8u : 600000u + i * 8u;
    n = ix->ops->candidates(ix, q, 40, c, 8, 0, NULL);
    assert_int_equal(n, 1);
    assert_int_equal(c[0].doc, 1);
    ix->ops->close(ix);
}

/* The candidates' counters (dedup_index_file.c, fi_candidates) are indexed
 * by doc id and stamped by lookup, never cleared: a lookup counts only what
 * it met, over an index grown past the counters' first 1024 documents, and
 * when the stamp wraps (2^32 lookups) the counters start over - a document
 * stamped by the first lookup is not taken as counted by a later one. */
static void test_candidates_counters_start_over(void **state)
{
    (void)state;
    dedup_index_params p = {4, 4, 7};
    dedup_index *ix;
    assert_int_equal(dedup_file_index_open(dir, &p, NULL, &ix), 0);
    enum { DOCS = 1500 };
    char url[64];
    for (uint32_t d = 0; d < DOCS; d++) {
        /* 8 values: 4 shared by documents d % 5 (shared by 300 each), 4 its own */
        uint32_t sk[8];
        for (uint32_t i = 0; i < 4; i++)
            sk[i] = 100u + (d % 5) * 40u + i * 8u;
        for (uint32_t i = 4; i < 8; i++)
            sk[i] = 1000000u + d * 64u + i * 8u;
        snprintf(url, sizeof url, "https://example.org/%u", d);
        assert_int_equal(insert_one_block(ix, sk, 8, url, 0), 0);
    }
    /* the shared values of group 2 and the own values of document 1202
     * (group 2, among the first 256 holding them): 1202 first with 8 hits, then the group's others
     * with 4 */
    uint32_t q[8];
    for (uint32_t i = 0; i < 4; i++)
        q[i] = 100u + 2 * 40u + i * 8u;
    for (uint32_t i = 4; i < 8; i++)
        q[i] = 1000000u + 1202u * 64u + i * 8u;
    dedup_candidate first[8], again[8];
    int n = ix->ops->candidates(ix, q, 8, first, 8, 0, NULL);
    assert_int_equal(n, 8);
    assert_int_equal(first[0].doc, 1202);
    assert_int_equal(first[0].hits, 8);
    for (int i = 1; i < n; i++) {
        assert_int_equal(first[i].doc % 5, 2);
        assert_int_equal(first[i].hits, 4);
    }
    /* the stamp wraps on the next lookup, which meets group 2's documents
     * (stamped 1 by the lookup above) and group 4's (never met: stamp 0):
     * all counted from 0, as by the lookup after it - stale stamps taken
     * for the new lookup's would leave one group or the other out */
    uint32_t q4[8];
    for (uint32_t i = 0; i < 8; i++)
        q4[i] = 100u + (i < 4 ? 2 : 4) * 40u + (i % 4) * 8u;
    dedup__file_index_set_lookup_gen(ix, UINT32_MAX);
    assert_int_equal(ix->ops->candidates(ix, q4, 8, again, 8, 0, NULL), 8);
    dedup_candidate after[8];
    assert_int_equal(ix->ops->candidates(ix, q4, 8, after, 8, 0, NULL), 8);
    const uint32_t want[8] = {2, 4, 7, 9, 12, 14, 17, 19}; /* 4 hits each: by doc id */
    for (int i = 0; i < 8; i++) {
        assert_int_equal(again[i].doc, want[i]);
        assert_int_equal(again[i].hits, 4);
        assert_int_equal(after[i].doc, want[i]);
        assert_int_equal(after[i].hits, 4);
    }
    ix->ops->close(ix);
}

/* The anchors' postings (dedup_index_file.c, "anchors"): a value keeps the
 * first POSTING_CAP (256) documents inserted with it, as the Redis index
 * does, through its postings' moves to longer regions, the pool's
 * compaction and the table's growth, and again after a reopen replays the
 * log.  2,000 documents of 8 values, all anchors: one held by all, five by
 * 400 each, others by 2, 3 or 7, three each document's own. */
static void anchor_values(uint32_t d, uint32_t *sk)
{
    sk[0] = 10u;             /* every document */
    sk[1] = 20u + d % 5;     /* 400 each */
    sk[2] = 1000u + d / 2;   /* pairs */
    sk[3] = 100000u + d / 3; /* threes */
    sk[4] = 200000u + d / 7; /* sevens */
    sk[5] = 300000u + d;     /* its own */
    sk[6] = 400000u + d;
    sk[7] = 500000u + d;
}

static void test_anchor_postings(void **state)
{
    (void)state;
    dedup_index_params p = {4, 4, 7};
    dedup_index *ix;
    assert_int_equal(dedup_file_index_open(dir, &p, NULL, &ix), 0);
    enum { N = 2000 };
    uint32_t sk[8];
    char url[64];
    for (uint32_t d = 0; d < N; d++) {
        anchor_values(d, sk);
        snprintf(url, sizeof url, "https://example.org/a/%u", d);
        assert_int_equal(insert_one_block(ix, sk, 8, url, 0), 0);
    }
    static const uint32_t probe[] = {0,   1,    2,    254,  255,  256, 257,
                                     700, 1279, 1280, 1281, 1998, 1999};
    for (int reopened = 0; reopened < 2; reopened++) {
        for (size_t k = 0; k < sizeof probe / sizeof *probe; k++) {
            uint32_t d = probe[k];
            anchor_values(d, sk);
            dedup_candidate c[64];
            uint32_t post[8];
            int n = ix->ops->candidates(ix, sk, 8, c, 64, 0, post);
            assert_true(n >= 1);
            /* each value's documents, as many as hold it up to 256 */
            uint32_t held[8] = {0};
            for (uint32_t o = 0; o < N; o++) {
                uint32_t ok[8];
                anchor_values(o, ok);
                for (int v = 0; v < 8; v++)
                    held[v] += ok[v] == sk[v];
            }
            for (int v = 0; v < 8; v++)
                assert_int_equal(post[v], held[v] < 256 ? held[v] : 256);
            /* the value all hold keeps documents 0-255; each of the five
             * values of 400 keeps the first 256 of its documents (< 1280) */
            assert_int_equal(c[0].doc, d);
            assert_int_equal(c[0].hits, 8 - (d >= 256) - (d >= 1280));
            /* the others met share 2-4 values with it: its pair, its
             * three, its seven, the same one of the five */
            for (int i = 1; i < n; i++) {
                uint32_t o = c[i].doc;
                uint32_t expect = (o < 256) + (o % 5 == d % 5 && o < 1280) + (o / 2 == d / 2) +
                                  (o / 3 == d / 3) + (o / 7 == d / 7);
                assert_int_equal(c[i].hits, expect);
                assert_true(c[i].hits >= 2);
            }
        }
        /* the value all hold and one of the five: the documents under 256
         * of that five, 52 of them, nothing past them */
        uint32_t q[8] = {10u, 22u, 900001u, 900002u, 900003u, 900004u, 900005u, 900006u};
        dedup_candidate c[64];
        int n = ix->ops->candidates(ix, q, 8, c, 64, 0, NULL);
        assert_int_equal(n, 51);
        for (int i = 0; i < n; i++) {
            assert_true(c[i].doc < 256);
            assert_int_equal(c[i].doc % 5, 2);
            assert_int_equal(c[i].hits, 2);
        }
        ix->ops->close(ix);
        assert_int_equal(dedup_file_index_open(dir, &p, NULL, &ix), 0);
    }
    ix->ops->close(ix);
}

/* Block anchors (dedup_index.h) are anchors too, and kept in the record:
 * a query holding only a long document's block anchors - none of its
 * smallest values - finds it, before and after the index is reopened, and
 * the record reads them back. */
static void test_block_anchors_kept(void **state)
{
    (void)state;
    dedup_index_params p = {4, 4, 7};
    dedup_index *ix;
    assert_int_equal(dedup_file_index_open(dir, &p, NULL, &ix), 0);
    static uint32_t sk[160];
    for (uint32_t i = 0; i < 160; i++)
        sk[i] = 1000u + i * 8u;
    const uint32_t banch[2] = {1000u + 100u * 8u, 1000u + 150u * 8u};
    uint64_t blocks[1] = {11};
    uint32_t bchars[1] = {100};
    dedup_doc_record r = {0};
    r.group = UINT32_MAX;
    r.n_sketch = 160, r.sketch = sk;
    r.n_block_anchors = 2, r.block_anchors = banch;
    r.n_blocks = 1, r.blocks = blocks, r.block_chars = bchars;
    r.url = "https://example.org/page", r.digest = "", r.record_id = "<urn:x>";
    assert_int_equal(ix->ops->insert(ix, &r), 0);
    r.n_block_anchors = 0, r.block_anchors = NULL; /* a record without: as before them */
    r.group = UINT32_MAX, r.url = "https://example.org/other";
    for (uint32_t i = 0; i < 160; i++)
        sk[i] = 900000u + i * 8u;
    assert_int_equal(ix->ops->insert(ix, &r), 0);
    uint32_t q[12];
    for (uint32_t i = 0; i < 12; i++)
        q[i] = i < 2 ? banch[i] : 500000u + i * 8u;
    for (int reopened = 0; reopened < 2; reopened++) {
        dedup_candidate c[8];
        int n = ix->ops->candidates(ix, q, 12, c, 8, 0, NULL);
        assert_int_equal(n, 1);
        assert_int_equal(c[0].doc, 0);
        assert_int_equal(c[0].hits, 2);
        dedup_doc_record g;
        assert_int_equal(ix->ops->get_doc(ix, 0, &g), 0);
        assert_int_equal(g.n_block_anchors, 2);
        assert_int_equal(g.block_anchors[0], banch[0]);
        assert_int_equal(g.block_anchors[1], banch[1]);
        assert_string_equal(g.record_id, "<urn:x>");
        assert_int_equal(ix->ops->get_doc(ix, 1, &g), 0);
        assert_int_equal(g.n_block_anchors, 0);
        assert_int_equal(g.n_sketch, 160);
        assert_string_equal(g.url, "https://example.org/other");
        ix->ops->close(ix);
        assert_int_equal(dedup_file_index_open(dir, &p, NULL, &ix), 0);
    }
    ix->ops->close(ix);
}

/* A page written in Hangul gets block anchors from fewer sketch values
 * than one in Latin words (BLOCK_ANCHOR_MIN_SKETCH_HANGUL 64, not 96): a
 * Korean word is a stem with its particles, so a Korean roundup carrying
 * three stories has 90-130 word-shingle values, where an English one has
 * 250; without block anchors a short Korean story carried by a roundup
 * archived before it was never a candidate (11 of 291 Korean containment
 * pairs, seeds 1-3).  A Korean page of 64-95 values keeps block anchors
 * in its record; a Latin page of the same size does not.  Thirty-first
 * round: from 48 values (a Korean roundup of 48-63 values carrying short
 * stories), a page of 8 paragraphs. */
static void korean_word(fa_buf *b, uint64_t *x)
{
    unsigned syl = 2 + (unsigned)(*x % 3);
    for (unsigned i = 0; i < syl; i++) {
        *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
        uint32_t cp = 0xAC00 + (uint32_t)(*x % 2000);
        char u[4] = {(char)(0xE0 | (cp >> 12)), (char)(0x80 | ((cp >> 6) & 0x3F)),
                     (char)(0x80 | (cp & 0x3F)), 0};
        fa_buf_puts(b, u);
    }
}

static void test_hangul_block_anchors(void **state)
{
    (void)state;
    for (int run = 0; run < 3; run++) {
        int hangul = run > 0, paras = run == 2 ? 8 : 12;
        char *d = test_tmpdir_new();
        dedup_options o = {0};
        dedup_engine *e;
        assert_int_equal(dedup_engine_open(d, &o, &e), 0);
        fa_buf b;
        fa_buf_init(&b, 1 << 20);
        uint64_t x = 12345;
        /* 12 (8) paragraphs of 3 sentences of 9 words: ~420 (~280) words */
        for (int p = 0; p < paras; p++) {
            for (int s = 0; s < 3; s++) {
                for (int w = 0; w < 9; w++) {
                    if (w) fa_buf_puts(&b, " ");
                    if (hangul) {
                        korean_word(&b, &x);
                    } else {
                        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                        fa_buf_printf(&b, "w%u", (unsigned)(x % 5000));
                    }
                }
                fa_buf_puts(&b, ". ");
            }
            fa_buf_puts(&b, "\n\n");
        }
        dedup_input in = {"https://k.example/roundup", NULL, NULL, NULL, "<urn:uuid:x>", 1,
                          DEDUP_PLAIN_TEXT, b.data, b.len, NULL};
        dedup_result r;
        assert_int_equal(dedup_analyze(e, &in, &r), 0);
        dedup_result_free(&r);
        dedup_engine_close(e);
        dedup_index_params p = {0, 0, 0};
        dedup_index *ix;
        assert_int_equal(dedup_file_index_open(d, &p, NULL, &ix), 0);
        dedup_doc_record g;
        assert_int_equal(ix->ops->get_doc(ix, 0, &g), 0);
        if (paras == 12)
            assert_true(g.n_sketch >= 64 && g.n_sketch < 96);
        else
            assert_true(g.n_sketch >= 48 && g.n_sketch < 64);
        if (hangul)
            assert_true(g.n_block_anchors > 0);
        else
            assert_int_equal(g.n_block_anchors, 0);
        ix->ops->close(ix);
        fa_buf_free(&b);
        test_rm_rf(d);
        free(d);
    }
}

/* Every document sharing an anchor with the query is counted and ranked,
 * not only the first ones met: 200 documents whose anchors are the
 * query's 8 smallest values (a register's stock character 4-grams) come
 * before the copy that holds its other values.  The counter used to have
 * room for 2-4 times the query's values, filled in the order met, and the
 * copy was never counted (docs/DEDUP.md, "Candidates"). */
static void test_candidates_count_every_document(void **state)
{
    (void)state;
    dedup_index_params p = {4, 4, 7};
    dedup_index *ix;
    assert_int_equal(dedup_file_index_open(dir, &p, NULL, &ix), 0);
    enum { STOCK = 200, N = 40 };
    index_insert_stock_and_copy(ix, STOCK);
    uint32_t q[N];
    for (uint32_t i = 0; i < N; i++)
        q[i] = i < 8 ? 100u + i : 500000u + (i - 8) * 8u; /* the stock values, then the copy's */
    static dedup_candidate c[STOCK + 1];
    int n = ix->ops->candidates(ix, q, N, c, STOCK + 1, 0, NULL);
    assert_int_equal(n, STOCK + 1);
    int found = 0;
    for (int i = 0; i < n; i++)
        if (c[i].doc == STOCK) found = 1, assert_int_equal(c[i].hits, 8);
    assert_true(found);
    ix->ops->close(ix);
}

/* Hits through stock anchor values weigh less for a page written in words
 * (index_checks.c) */
static void test_candidates_stock_anchors(void **state)
{
    (void)state;
    dedup_index_params p = {4, 4, 7};
    dedup_index *ix;
    assert_int_equal(dedup_file_index_open(dir, &p, NULL, &ix), 0);
    index_check_stock_anchors(ix);
    ix->ops->close(ix);
}

/* A document met through an anchor value of its own story alone is a
 * candidate under the score floor (index_checks.c) */
static void test_candidates_unique_anchor(void **state)
{
    (void)state;
    dedup_index_params p = {4, 4, 7};
    dedup_index *ix;
    assert_int_equal(dedup_file_index_open(dir, &p, NULL, &ix), 0);
    index_check_unique_anchor(ix);
    ix->ops->close(ix);
}

static int by_rank(const void *a, const void *b)
{
    const dedup__ranked *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    if (x->c.hits != y->c.hits) return x->c.hits > y->c.hits ? -1 : 1;
    return x->c.doc < y->c.doc ? -1 : x->c.doc > y->c.doc;
}

/* The ranking keeps the best max candidates (selected, then sorted): the
 * same ones, in the same order, as sorting them all - with many ties in
 * score and hits, for every size around max. */
static void test_rank_candidates_selects_the_best(void **state)
{
    (void)state;
    enum { N = 700 };
    static dedup__ranked all[N], ref[N];
    dedup_candidate out[N];
    uint64_t x = 12345;
    for (size_t n = 1; n < N; n += 1 + n / 5)
        for (size_t max = 1; max <= 80; max += 9) {
            for (size_t i = 0; i < n; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                uint32_t nd = 8 + (uint32_t)(x % 4) * 40; /* few sizes: tied scores */
                uint32_t hits = 1 + (uint32_t)(x % 9);
                all[i] =
                    (dedup__ranked){{(uint32_t)(x >> 32) % 100000 + (uint32_t)i * 100000u, hits},
                                    hits * DEDUP_HIT_UNIT,
                                    nd,
                                    0,
                                    0};
            }
            memcpy(ref, all, n * sizeof *all);
            size_t k = dedup__rank_candidates(all, n, 100, out, max);
            size_t kr = 0;
            for (size_t i = 0; i < n; i++) { /* the reference: score, filter, sort all */
                double expect = dedup__anchor_count(ref[i].n_sketch);
                if (ref[i].n_sketch > 100) expect = expect * 100 / ref[i].n_sketch;
                if (expect < 1) expect = 1;
                ref[i].score = (double)ref[i].weighted / DEDUP_HIT_UNIT / expect;
                if (ref[i].score >= DEDUP_CANDIDATE_MIN_SCORE) ref[kr++] = ref[i];
            }
            qsort(ref, kr, sizeof *ref, by_rank);
            assert_int_equal(k, kr < max ? kr : max);
            for (size_t i = 0; i < k; i++) {
                assert_int_equal(out[i].doc, ref[i].c.doc);
                assert_int_equal(out[i].hits, ref[i].c.hits);
            }
        }
}

static void test_findings(void **state)
{
    (void)state;
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, NULL, &e), 0);
    dedup_result r;
    char *a = page("a.example", 1, 8, 0, 0, 0);
    assert_int_equal(analyze(e, "https://a.example/1", "sha1:AAA", NULL, a, 10, &r), 0);
    assert_int_equal(r.n_findings, 0);
    uint32_t first = r.doc;
    dedup_result_free(&r);
    /* exact: same digest, other URL */
    assert_int_equal(analyze(e, "https://a.example/1?utm_source=x", "sha1:AAA", NULL, a, 11, &r),
                     0);
    const dedup_finding *f = find(&r, DEDUP_EXACT);
    assert_non_null(f);
    assert_int_equal(f->doc, first);
    assert_string_equal(f->url, "https://a.example/1");
    assert_string_equal(f->record_id, "<urn:uuid:x>");
    dedup_result_free(&r);
    /* near: another site, last paragraph cut and a paragraph added */
    char *b = page("b.example", 1, 7, 0, 77, 1);
    assert_int_equal(analyze(e, "https://b.example/x", "sha1:BBB", NULL, b, 12, &r), 0);
    f = find(&r, DEDUP_NEAR);
    assert_non_null(f);
    assert_int_equal(f->doc, first);
    assert_true(f->score >= 0.7);
    dedup_result_free(&r);
    /* unrelated */
    char *c = page("b.example", 2, 8, 0, 0, 0);
    assert_int_equal(analyze(e, "https://b.example/y", "sha1:CCC", NULL, c, 13, &r), 0);
    assert_int_equal(r.n_findings, 0);
    dedup_result_free(&r);
    free(a), free(b), free(c);
    dedup_engine_close(e);
}

/* an aggregator page: own story + the full text of two others */
static char *roundup(uint64_t own, uint64_t s1, uint64_t s2)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 24);
    fa_buf_puts(&b, "<html><body><div class=content><article><h1>Roundup</h1>");
    paragraphs(&b, own, 4, 0);
    fa_buf_puts(&b, "</article><section class=related-articles><h2>Related Articles</h2>");
    fa_buf_puts(&b, "<article class=related><h3><a href=/1>One</a></h3>");
    paragraphs(&b, s1, 6, 0);
    fa_buf_puts(&b, "</article><article class=related><h3><a href=/2>Two</a></h3><p>");
    paragraphs(&b, s2, 6, 0); /* nested <p>s: libxml2 closes them; same text */
    fa_buf_puts(&b, "</p></article></section></div></body></html>");
    return fa_buf_steal(&b, NULL);
}

static void test_containment_both_orders(void **state)
{
    (void)state;
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, NULL, &e), 0);
    dedup_result r;
    /* article first, then the aggregator */
    char *art = page("n.example", 100, 6, 0, 0, 0);
    assert_int_equal(analyze(e, "https://n.example/100", "sha1:1", NULL, art, 1, &r), 0);
    uint32_t art_id = r.doc;
    dedup_result_free(&r);
    char *agg = roundup(300, 100, 200);
    assert_int_equal(analyze(e, "https://agg.example/r1", "sha1:2", NULL, agg, 2, &r), 0);
    const dedup_finding *f = find(&r, DEDUP_CONTAINS);
    assert_non_null(f);
    assert_int_equal(f->doc, art_id);
    assert_true(f->score >= 0.85);
    assert_null(find(&r, DEDUP_NEAR));
    /* the carried blocks are marked as copies, the own story is novel */
    size_t copied = 0;
    for (size_t i = 0; i < r.n_blocks; i++)
        if (r.blocks[i].copied_from >= 0) copied += r.blocks[i].chars;
    assert_true(copied > 0);
    assert_true(r.novel_chars < r.main_chars);
    uint32_t agg_id = r.doc;
    dedup_result_free(&r);
    /* aggregator already archived, then the other carried article */
    char *art2 = page("m.example", 200, 6, 0, 0, 0);
    assert_int_equal(analyze(e, "https://m.example/200", "sha1:3", NULL, art2, 3, &r), 0);
    f = find(&r, DEDUP_CONTAINED_IN);
    assert_non_null(f);
    assert_int_equal(f->doc, agg_id);
    assert_true(f->score >= 0.85);
    dedup_result_free(&r);
    free(art), free(agg), free(art2);
    dedup_engine_close(e);
}

/* Short stories (two paragraphs of 22 words) carried by a long page
 * archived before them: each holds about half of one of the page's
 * smallest-value anchors, and was found only when it held one; with a
 * block anchor per paragraph every one finds the page, also once the
 * index is reopened. */
static char *short_story(uint64_t seed, int body_only)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 20);
    if (!body_only) fa_buf_printf(&b, "Headline of story %llu\n\n", (unsigned long long)seed);
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int p = 0; p < 2; p++) {
        for (int w = 0; w < 22; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            fa_buf_printf(&b, "%sw%u", w ? " " : "", (unsigned)(x % 5000));
        }
        fa_buf_puts(&b, ".\n\n");
    }
    return fa_buf_steal(&b, NULL);
}

static void test_short_stories_carried_before(void **state)
{
    (void)state;
    enum { STORIES = 8 };
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, NULL, &e), 0);
    fa_buf pg;
    fa_buf_init(&pg, 1 << 22);
    fa_buf_puts(&pg, "The roundup's headline\n\n");
    uint64_t x = 77;
    for (int p = 0; p < 24; p++) { /* a story of its own: 24 paragraphs of 50 words */
        for (int w = 0; w < 50; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            fa_buf_printf(&pg, "%sw%u", w ? " " : "", (unsigned)(x % 5000));
        }
        fa_buf_puts(&pg, ".\n\n");
    }
    for (int k = 0; k < STORIES; k++) {
        char *body = short_story(500 + (uint64_t)k, 1);
        fa_buf_puts(&pg, body);
        free(body);
    }
    dedup_result r;
    dedup_input in = {"https://agg.example/r", NULL,    NULL,   "sha1:r", "<urn:uuid:r>", 1,
                      DEDUP_PLAIN_TEXT,        pg.data, pg.len, NULL};
    assert_int_equal(dedup_analyze(e, &in, &r), 0);
    uint32_t page_id = r.doc;
    dedup_result_free(&r);
    for (int k = 0; k < STORIES; k++) {
        if (k == STORIES / 2) { /* the rest after a reopen: the anchors rebuilt from the log */
            dedup_engine_close(e);
            assert_int_equal(dedup_engine_open(dir, NULL, &e), 0);
        }
        char *st = short_story(500 + (uint64_t)k, 0), url[64], digest[32];
        snprintf(url, sizeof url, "https://s%d.example/story", k);
        snprintf(digest, sizeof digest, "sha1:s%d", k);
        dedup_input si = {url, NULL,       NULL, digest, "<urn:uuid:s>", 2 + k, DEDUP_PLAIN_TEXT,
                          st,  strlen(st), NULL};
        assert_int_equal(dedup_analyze(e, &si, &r), 0);
        const dedup_finding *f = find(&r, DEDUP_CONTAINED_IN);
        assert_non_null(f);
        assert_int_equal(f->doc, page_id);
        dedup_result_free(&r);
        free(st);
    }
    fa_buf_free(&pg);
    dedup_engine_close(e);
}

static void test_boilerplate_learning(void **state)
{
    (void)state;
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, NULL, &e), 0);
    dedup_result r;
    for (unsigned i = 0; i < 5; i++) {
        /* very short stories: the template paragraph dominates them */
        char *p = page("t.example", 1000 + i, 1, 0, 0, 0);
        char url[64];
        snprintf(url, sizeof url, "https://t.example/%u", i);
        assert_int_equal(analyze(e, url, NULL, NULL, p, i, &r), 0);
        size_t learned = 0;
        for (size_t k = 0; k < r.n_blocks; k++)
            learned += r.blocks[k].learned;
        if (i >= 3) {
            assert_int_equal(learned, 1); /* seen in 3 documents before */
            assert_null(strstr(r.main_text, "Support independent journalism"));
            assert_true(r.boilerplate_chars > 0);
        } else {
            assert_int_equal(learned, 0);
        }
        assert_null(find(&r, DEDUP_NEAR)); /* never duplicates through the template */
        dedup_result_free(&r);
        free(p);
    }
    dedup_engine_close(e);
}

/* n pseudo-words drawn from seed, ended by a full stop */
static void words(fa_buf *b, uint64_t seed, unsigned n)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (unsigned w = 0; w < n; w++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        fa_buf_printf(b, "%sw%u", w ? " " : "", (unsigned)(x % 5000));
    }
    fa_buf_puts(b, ".");
}

/* A page of host (named name) with the site's in-body note: paragraphs of
 * n_words pseudo-words from each of the seeds. */
static char *noted_page(const char *name, const uint64_t *seeds, const unsigned *n_words,
                        unsigned n)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 20);
    fa_buf_printf(&b,
                  "<html><body><nav><a href=/>%s home</a> <a href=/n>News</a></nav><main>"
                  "<article><h1>Headline %llu</h1>\n",
                  name, (unsigned long long)seeds[0]);
    for (unsigned i = 0; i < n; i++) {
        fa_buf_puts(&b, "<p>");
        words(&b, seeds[i], n_words[i]);
        fa_buf_puts(&b, "</p>\n");
    }
    fa_buf_printf(&b,
                  "<p>Corrections: if you spot an error in this article, write to the %s "
                  "standards desk and we will review it within two working days.</p>",
                  name);
    fa_buf_puts(&b, "</article></main><footer>Footer text of the site</footer></body></html>");
    return fa_buf_steal(&b, NULL);
}

/* Two sites carry one in-body note (names[h]: the site's name in it),
 * neither on three pages yet (not learned): a.example's is on two earlier
 * pages, b.example's on one and on a long page that quotes a sentence of
 * a short a.example story.  Whether the story is "contained" in that page
 * (sub: the engine's directory under dir). */
static int note_carries(const char *sub, const char *const names[2])
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    assert_int_equal(mkdir(path, 0700), 0);
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(path, NULL, &e), 0);
    dedup_result r;
    static const char *const hosts[2] = {"a.example", "b.example"};
    char url[64];
    for (unsigned h = 0; h < 2; h++)
        for (unsigned i = 0; i < 2 - h; i++) {
            uint64_t seeds[3] = {100 + h * 10 + i * 3, 101 + h * 10 + i * 3, 102 + h * 10 + i * 3};
            unsigned n_words[3] = {60, 60, 60};
            char *p = noted_page(names[h], seeds, n_words, 3);
            snprintf(url, sizeof url, "https://%s/early-%u", hosts[h], i);
            assert_int_equal(analyze(e, url, NULL, NULL, p, (int64_t)(h * 2 + i), &r), 0);
            dedup_result_free(&r);
            free(p);
        }
    /* the long page on b.example quotes sentence 900 */
    uint64_t lseeds[13] = {500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 510, 511, 900};
    unsigned lwords[13] = {60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 30};
    char *p = noted_page(names[1], lseeds, lwords, 13);
    assert_int_equal(analyze(e, "https://b.example/long", NULL, NULL, p, 10, &r), 0);
    dedup_result_free(&r);
    free(p);
    /* the short story on a.example: sentence 900 and one of its own */
    uint64_t sseeds[2] = {900, 901};
    unsigned swords[2] = {30, 8};
    p = noted_page(names[0], sseeds, swords, 2);
    assert_int_equal(analyze(e, "https://a.example/short", NULL, NULL, p, 11, &r), 0);
    for (size_t k = 0; k < r.n_blocks; k++)
        assert_int_equal(r.blocks[k].learned, 0); /* the note is not learned on a.example */
    assert_non_null(strstr(r.main_text, "standards desk"));
    int carried = find(&r, DEDUP_CONTAINED_IN) != NULL;
    dedup_result_free(&r);
    free(p);
    dedup_engine_close(e);
    return carried;
}

/* Each site's note with its own name does not carry the story (without
 * the rule: contained at 0.85): a stored line its host repeats that is,
 * apart from one span (the name), a line the new page's host repeats too
 * is left out of the pair's alignment.  The same note word for word on
 * both (one name) is kept - a line two hosts repeat unchanged is what a
 * copy looks like - and carries it as before. */
static void test_cross_host_note_not_carried(void **state)
{
    (void)state;
    static const char *const own[2] = {"Alder Valley Post", "Birch Daily Digest"};
    static const char *const same[2] = {"Alder Valley Post", "Alder Valley Post"};
    assert_false(note_carries("own", own));
    assert_true(note_carries("same", same));
}

/* An aggregator's page: its headline, a story of its own (own_n
 * paragraphs from own_seed) and the stories it carries (6 paragraphs
 * each). */
static char *roundup_of(const char *head, uint64_t own_seed, unsigned own_n,
                        const uint64_t *stories, unsigned n)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 24);
    fa_buf_printf(&b, "<html><body><main><article><h1>%s</h1>\n", head);
    paragraphs(&b, own_seed, own_n, 0);
    for (unsigned i = 0; i < n; i++)
        paragraphs(&b, stories[i], 6, 0);
    fa_buf_puts(&b, "</article></main><footer>Footer text of the site</footer></body></html>");
    return fa_buf_steal(&b, NULL);
}

/* Whether a roundup with a story of its own of own_n paragraphs first,
 * then two stories (12 paragraphs), is called contained in an earlier,
 * larger roundup of another site that carries those two stories and a
 * third after a story of its own (sub: the engine's directory under
 * dir). */
static int roundup_in_roundup(const char *sub, unsigned own_n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    assert_int_equal(mkdir(path, 0700), 0);
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(path, NULL, &e), 0);
    dedup_result r;
    static const uint64_t three[3] = {100, 200, 300}, two[2] = {100, 200};
    char *big = roundup_of("Tuesday's business roundup", 700, 4, three, 3);
    assert_int_equal(analyze(e, "https://agg.example/r1", NULL, NULL, big, 1, &r), 0);
    dedup_result_free(&r);
    char *small = roundup_of("The week in the valley towns", 800, own_n, two, 2);
    assert_int_equal(analyze(e, "https://digest.example/r2", NULL, NULL, small, 2, &r), 0);
    int contained = find(&r, DEDUP_CONTAINED_IN) != NULL;
    assert_null(find(&r, DEDUP_NEAR)); /* and not a copy of it either */
    dedup_result_free(&r);
    free(big), free(small);
    dedup_engine_close(e);
    return contained;
}

/* A text with a story of its own before what it shares (three paragraphs:
 * more than COPY_OWN_BLOCKS) is a page carrying the shared stories, not a
 * text carried - though 12 of its 15 paragraphs are found in the larger
 * page (0.8, over confirm_containment) and that page has a story of its
 * own first (own_story_first; without it: contained).  Two paragraphs of
 * its own first are a carried story's rewritten lede and first paragraph
 * at most, and it is still carried. */
static void test_own_story_first_not_carried(void **state)
{
    (void)state;
    assert_false(roundup_in_roundup("three", 3));
    assert_true(roundup_in_roundup("two", 2));
}

/* An aggregator carrying one story word for word on three of its
 * roundups: its paragraphs (under 400 characters each) are then in three
 * of the aggregator's documents, which is what its template looks like,
 * and were left out of the roundups' stored texts when the story's own
 * page, archived later on its own site, was aligned with them - the story
 * was found in none (share 0).  A line the new page holds word for word as
 * its own text on another host is kept (own_line_elsewhere): the story is
 * found in all three (fails without it: 0). */
static void test_story_carried_on_three_roundups(void **state)
{
    (void)state;
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, NULL, &e), 0);
    dedup_result r;
    char url[64];
    for (unsigned i = 0; i < 3; i++) {
        const uint64_t carried[2] = {100, 200 + i};
        char *p = roundup_of("Roundup of the day", 700 + i, 3, carried, 2);
        snprintf(url, sizeof url, "https://agg.example/r%u", i);
        assert_int_equal(analyze(e, url, NULL, NULL, p, (int64_t)i + 1, &r), 0);
        dedup_result_free(&r);
        free(p);
    }
    fa_buf b;
    fa_buf_init(&b, 1 << 20);
    fa_buf_puts(&b, "<html><body><main><article><h1>The story itself</h1>\n");
    paragraphs(&b, 100, 6, 0);
    fa_buf_puts(&b, "</article></main></body></html>");
    assert_int_equal(analyze(e, "https://news.example/story", NULL, NULL, b.data, 10, &r), 0);
    unsigned in_roundups = 0;
    for (size_t k = 0; k < r.n_findings; k++)
        in_roundups += r.findings[k].kind == DEDUP_CONTAINED_IN;
    assert_int_equal(in_roundups, 3);
    dedup_result_free(&r);
    fa_buf_free(&b);
    dedup_engine_close(e);
}

/* Plain text: a headline, then paragraphs of sentences (12 pseudo-words
 * each, drawn from the seeds), paras[i] sentences in paragraph i, the
 * seeds in order. */
static char *sentence_text(const char *head, const uint64_t *seeds, const unsigned *paras,
                           unsigned n_paras)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 20);
    fa_buf_printf(&b, "%s\n\n", head);
    for (unsigned p = 0, k = 0; p < n_paras; p++) {
        for (unsigned i = 0; i < paras[p]; i++, k++) {
            if (i) fa_buf_puts(&b, " ");
            words(&b, seeds[k], 12);
        }
        fa_buf_puts(&b, "\n\n");
    }
    return fa_buf_steal(&b, NULL);
}

/* The second text analysed against the first, stored before it (sub: the
 * engine's directory under dir; type: both inputs' content type): the
 * kind of its first finding (0: none); *contained (may be NULL): whether
 * any finding calls it contained in the first. */
static int second_finding_as(const char *sub, enum dedup_content_type type, const char *first,
                             const char *second, int *contained)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    assert_int_equal(mkdir(path, 0700), 0);
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(path, NULL, &e), 0);
    dedup_result r;
    dedup_input in = {"https://a.example/1", NULL, NULL, "sha1:1", "<urn:uuid:1>", 1, type, first,
                      strlen(first),         NULL};
    assert_int_equal(dedup_analyze(e, &in, &r), 0);
    dedup_result_free(&r);
    dedup_input in2 = {"https://b.example/2", NULL, NULL, "sha1:2", "<urn:uuid:2>", 2, type, second,
                       strlen(second),        NULL};
    assert_int_equal(dedup_analyze(e, &in2, &r), 0);
    int kind = r.n_findings ? (int)r.findings[0].kind : 0;
    if (contained) *contained = find(&r, DEDUP_CONTAINED_IN) != NULL;
    dedup_result_free(&r);
    dedup_engine_close(e);
    return kind;
}

/* second_finding_as for plain texts. */
static int second_finding(const char *sub, const char *first, const char *second, int *contained)
{
    return second_finding_as(sub, DEDUP_PLAIN_TEXT, first, second, contained);
}

/* Whether the second text is called contained in the first. */
static int second_contained(const char *sub, const char *first, const char *second)
{
    int contained;
    (void)second_finding(sub, first, second, &contained);
    return contained;
}

/* A fuller copy of a story beside a trimmed one is not its container
 * though it has six blocks of its own (carrier_first; without its run
 * lead asked, own blocks over NEAR_OWN_BLOCKS took it: contained).  The
 * fuller copy: a lede and 8 paragraphs of 3 sentences; the trimmed copy,
 * under another headline, keeps its paragraphs 2, 4 and 6 whole and one
 * sentence of 3, 5 and 7 - found whole in it (1.0), 2.25 times smaller;
 * the fuller copy's own blocks (the lede, 3, 5 and 7 under half found, 8
 * and 9) lie around what they share, the shared sentences verbatim from
 * its second block (run lead 1).  A roundup with as many own blocks, its
 * own story first but its second paragraph one sentence of the
 * story it carries (the layout's lead 1), still carries the story: its
 * verbatim run begins after its story (run lead 4). */
static void test_fuller_copy_not_container(void **state)
{
    (void)state;
    uint64_t full[27];
    for (unsigned i = 0; i < 27; i++)
        full[i] = 1000 + i;
    static const unsigned full_p[9] = {3, 3, 3, 3, 3, 3, 3, 3, 3};
    /* paragraphs 2, 4, 6 whole (sentences 3-5, 9-11, 15-17), one of 3, 5, 7 */
    const uint64_t trim[12] = {full[3],  full[4],  full[5],  full[7],  full[9],  full[10],
                               full[11], full[13], full[15], full[16], full[17], full[19]};
    static const unsigned trim_p[6] = {3, 1, 3, 1, 3, 1};
    char *a = sentence_text("The council approved the new library", full, full_p, 9);
    char *b = sentence_text("Library plan passes after long debate", trim, trim_p, 6);
    assert_false(second_contained("copy", a, b));
    free(a), free(b);

    /* the roundup: own story R1-R4 (R2: the story's first sentence alone),
     * the story's 6 paragraphs, 3 paragraphs of another: 6 own blocks */
    uint64_t story[18], rseeds[37];
    for (unsigned i = 0; i < 18; i++)
        story[i] = 2000 + i;
    unsigned k = 0;
    for (unsigned i = 0; i < 3; i++)
        rseeds[k++] = 3000 + i;
    rseeds[k++] = story[0];
    for (unsigned i = 0; i < 6; i++)
        rseeds[k++] = 3100 + i;
    for (unsigned i = 0; i < 18; i++)
        rseeds[k++] = story[i];
    for (unsigned i = 0; i < 9; i++)
        rseeds[k++] = 3200 + i;
    static const unsigned round_p[13] = {3, 1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3};
    static const unsigned story_p[6] = {3, 3, 3, 3, 3, 3};
    char *c = sentence_text("Tuesday's roundup", rseeds, round_p, 13);
    char *d = sentence_text("The harbour works begin", story, story_p, 6);
    assert_true(second_contained("roundup", c, d));
    free(c), free(d);
}

/* A story carried with sentences removed (trimmed_carried): 4 paragraphs
 * of 3 sentences, carried by a roundup (its own story of 4 paragraphs
 * first, another story after) with its first and third paragraphs cut to
 * one sentence - 8 of 12 found (0.67), one run, its layout lead 1
 * (touched), inner 1 (touched), found 2: more own blocks than
 * carried_run's bound takes, all of them holding kept sentences.
 * Contained.  The same carried part after three paragraphs of a page's
 * own: not contained (the page's story first, CARRIER_OWN_BLOCKS).  A
 * story sharing paragraphs 2 and 4 whole, its own 1 and 3 holding none
 * of its found sentences: not contained.  The same 8 sentences held in
 * one paragraph of the roundup (the page has one block found in the
 * story, the story two in it): not contained. */
static void test_trimmed_carried(void **state)
{
    (void)state;
    uint64_t story[12];
    for (unsigned i = 0; i < 12; i++)
        story[i] = 5000 + i;
    static const unsigned story_p[4] = {3, 3, 3, 3};
    char *d = sentence_text("The river bridge reopens to traffic", story, story_p, 4);

    uint64_t rseeds[29];
    unsigned k = 0;
    for (unsigned i = 0; i < 12; i++) /* the roundup's own story */
        rseeds[k++] = 6000 + i;
    const unsigned kept[8] = {0, 3, 4, 5, 6, 9, 10, 11};
    for (unsigned i = 0; i < 8; i++)
        rseeds[k++] = story[kept[i]];
    for (unsigned i = 0; i < 9; i++) /* another story it carries */
        rseeds[k++] = 6100 + i;
    static const unsigned round_p[9] = {3, 3, 3, 3, 1, 3, 1, 3, 9};
    char *c = sentence_text("Wednesday's roundup", rseeds, round_p, 9);
    assert_true(second_contained("trimmed", c, d));
    free(c);

    /* the same carried part after three paragraphs of a page's own */
    static const unsigned news_p[8] = {3, 3, 3, 1, 3, 1, 3, 9};
    c = sentence_text("Bridge works end", rseeds + 3, news_p, 8);
    assert_false(second_contained("news", c, d));
    free(c);

    /* the kept sentences in one paragraph of the roundup */
    static const unsigned merged_p[6] = {3, 3, 3, 3, 8, 9};
    c = sentence_text("Wednesday's roundup", rseeds, merged_p, 6);
    assert_false(second_contained("merged", c, d));
    free(c), free(d);

    /* a story sharing paragraphs 2 and 4 whole, its own 1 and 3 apart */
    uint64_t bg[12];
    for (unsigned i = 0; i < 12; i++)
        bg[i] = i < 3 ? 7000 + i : i < 6 ? story[i] : i < 9 ? 7000 + i : story[i];
    c = sentence_text("Wednesday's roundup", rseeds, round_p, 9);
    d = sentence_text("Traffic returns to the bridge", bg, story_p, 4);
    assert_false(second_contained("background", c, d));
    free(c), free(d);
}

/* A roundup whose own story's second paragraph is the carried story's
 * first sentence (a quote both say) has a layout lead of 1 and 4 own
 * blocks (its story's other three paragraphs, another story's): not
 * carrier_shaped by its layout, and the story it carries with its last
 * paragraph cut and one sentence removed (8 of 12 found, 0.64: a share
 * carried_run judges) was left uncontained.  Its blocks before the story's
 * whole sentences (run lead 4, CARRIER_OWN_BLOCKS) make it the story's
 * container. */
static void test_carried_after_own_story(void **state)
{
    (void)state;
    uint64_t story[12];
    for (unsigned i = 0; i < 12; i++)
        story[i] = 8000 + i;
    static const unsigned story_p[4] = {3, 3, 3, 3};
    char *d = sentence_text("The ferry timetable changes in spring", story, story_p, 4);
    uint64_t rseeds[21];
    unsigned k = 0;
    for (unsigned i = 0; i < 3; i++)
        rseeds[k++] = 8100 + i;
    rseeds[k++] = story[0];
    for (unsigned i = 0; i < 6; i++)
        rseeds[k++] = 8200 + i;
    const unsigned kept[8] = {0, 2, 3, 4, 5, 6, 7, 8};
    for (unsigned i = 0; i < 8; i++)
        rseeds[k++] = story[kept[i]];
    for (unsigned i = 0; i < 3; i++) /* another story it carries */
        rseeds[k++] = 8300 + i;
    static const unsigned round_p[8] = {3, 1, 3, 3, 2, 3, 3, 3};
    char *c = sentence_text("Thursday's roundup", rseeds, round_p, 8);
    assert_true(second_contained("lead", c, d));
    free(c), free(d);
}

/* texts[0..n) (plain text) analysed in order by a new engine under sub,
 * closed and reopened before the last when reopen: bit i of *contains
 * (*contained_in) set when the last text's findings call it the container
 * of text i (contained in text i). */
static void analyse_in_order(const char *sub, char *const *texts, unsigned n, int reopen,
                             unsigned *contains, unsigned *contained_in)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    assert_int_equal(mkdir(path, 0700), 0);
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(path, NULL, &e), 0);
    *contains = *contained_in = 0;
    for (unsigned i = 0; i < n; i++) {
        if (reopen && i + 1 == n) {
            dedup_engine_close(e);
            assert_int_equal(dedup_engine_open(path, NULL, &e), 0);
        }
        char url[64], digest[32];
        snprintf(url, sizeof url, "https://s%u.example/story", i);
        snprintf(digest, sizeof digest, "sha1:%u", i);
        dedup_input in = {url,
                          NULL,
                          NULL,
                          digest,
                          "<urn:uuid:x>",
                          (int64_t)i + 1,
                          DEDUP_PLAIN_TEXT,
                          texts[i],
                          strlen(texts[i]),
                          NULL};
        dedup_result r;
        assert_int_equal(dedup_analyze(e, &in, &r), 0);
        for (size_t k = 0; i + 1 == n && k < r.n_findings; k++) {
            unsigned j;
            if (sscanf(r.findings[k].url, "https://s%u.example/", &j) != 1 || j >= n) continue;
            if (r.findings[k].kind == DEDUP_CONTAINS) *contains |= 1u << j;
            if (r.findings[k].kind == DEDUP_CONTAINED_IN) *contained_in |= 1u << j;
        }
        dedup_result_free(&r);
    }
    dedup_engine_close(e);
}

/* Stories carried beside others (carried_beside_others, DEDUP_REC_CARRIER).
 * A roundup: its own story (4 paragraphs of 3 sentences), story A whole (4
 * of 3: contained by the share rules), then what it keeps of the short
 * story B (3 paragraphs of 3 sentences): its first paragraph and the first
 * sentence of its second - 4 of 9 sentences, one compact run after A, a
 * share none of decide's rules takes for a page alone (without the
 * roundup's other containment: unrelated).  Archived after A and B, the
 * roundup contains both; archived between them, it is a carrier, and B,
 * archived after it (the index reopened), is contained in it.  A news
 * page holding B's part the same way after a story of its own, carrying
 * nothing else: no containment.  A story F whose first paragraph is A's
 * second (a background story of A, two paragraphs of its own after it):
 * in the roundup the sentences it shares are A's, so the roundup, which
 * contains A, does not contain F (BESIDE_OVERLAP). */
static void test_carried_beside(void **state)
{
    (void)state;
    uint64_t a[12], b[9], own[12], rs[40], fs[9];
    for (unsigned i = 0; i < 12; i++)
        a[i] = 9000 + i, own[i] = 9200 + i;
    for (unsigned i = 0; i < 9; i++)
        b[i] = 9100 + i;
    static const unsigned p4[4] = {3, 3, 3, 3}, p3[3] = {3, 3, 3};
    unsigned k = 0;
    for (unsigned i = 0; i < 12; i++)
        rs[k++] = own[i];
    for (unsigned i = 0; i < 12; i++)
        rs[k++] = a[i];
    for (unsigned i = 0; i < 4; i++)
        rs[k++] = b[i];
    static const unsigned round_p[10] = {3, 3, 3, 3, 3, 3, 3, 3, 3, 1};
    char *ta = sentence_text("The harbour crane is replaced", a, p4, 4);
    char *tb = sentence_text("School meals get a new supplier", b, p3, 3);
    char *tr = sentence_text("Friday's roundup", rs, round_p, 10);
    unsigned contains, contained_in;

    char *fwd[3] = {ta, tb, tr};
    analyse_in_order("forward", fwd, 3, 0, &contains, &contained_in);
    assert_int_equal(contains, 3u); /* A and B */

    char *rev[3] = {ta, tr, tb};
    analyse_in_order("reverse", rev, 3, 1, &contains, &contained_in);
    assert_int_equal(contained_in, 2u); /* B in the roundup */

    /* the roundup alone with B: not a carrier known, B not contained */
    char *alone[2] = {tb, tr};
    analyse_in_order("alone", alone, 2, 0, &contains, &contained_in);
    assert_int_equal(contains, 0u);

    /* a news page: its story, then B's part - a carrier of nothing else */
    uint64_t ns[16];
    for (unsigned i = 0; i < 12; i++)
        ns[i] = own[i];
    for (unsigned i = 0; i < 4; i++)
        ns[12 + i] = b[i];
    static const unsigned np[6] = {3, 3, 3, 3, 3, 1};
    char *tn = sentence_text("Meals and more", ns, np, 6);
    char *news[3] = {ta, tb, tn};
    analyse_in_order("news", news, 3, 0, &contains, &contained_in);
    assert_int_equal(contains, 0u);

    /* F: A's second paragraph, then two of its own */
    for (unsigned i = 0; i < 3; i++)
        fs[i] = a[3 + i];
    for (unsigned i = 3; i < 9; i++)
        fs[i] = 9300 + i;
    static const unsigned fp[3] = {3, 2, 2};
    char *tf = sentence_text("Crane works delay the ferry", fs, fp, 3);
    char *bg[3] = {ta, tf, tr};
    analyse_in_order("background", bg, 3, 0, &contains, &contained_in);
    assert_int_equal(contains, 1u); /* A only */
    free(ta), free(tb), free(tr), free(tn), free(tf);
}

/* A background story carrying two paragraphs of a story (its second and
 * third, 7 of 15 sentences) after four of its own (five blocks), the
 * first of them holding a sentence of the story's fourth paragraph (a
 * stock sentence both say): the story is found at half, its fourth
 * paragraph "found" on that one sentence far from the rest - two own
 * blocks beside three found, a carried story's shape - and the page, not
 * shaped as a carrier by its layout (its first block holds the stray
 * match), passed on its run lead: contained.  The stray match's block is
 * not counted found (carried_run: a run longer than span_core, in a page
 * not carrier_shaped): not contained (English bases 950 and 1410, a
 * background story called the container of its story).  The same page
 * carrying the whole story: contained. */
static void test_far_match_not_a_block(void **state)
{
    (void)state;
    uint64_t x[15], bs[23];
    for (unsigned i = 0; i < 15; i++)
        x[i] = 9500 + i;
    static const unsigned xp[5] = {2, 4, 3, 2, 4};
    char *tx = sentence_text("The council revises the bus timetable", x, xp, 5);
    unsigned k = 0;
    bs[k++] = x[10]; /* the stray sentence */
    for (unsigned i = 0; i < 15; i++)
        bs[k++] = 9600 + i;
    for (unsigned i = 2; i < 9; i++) /* the story's second and third paragraphs */
        bs[k++] = x[i];
    static const unsigned bp[7] = {2, 4, 4, 3, 3, 4, 3};
    char *tb = sentence_text("Bus drivers recall the last timetable change", bs, bp, 7);
    assert_false(second_contained("far", tb, tx));
    free(tb);
    /* the same page carrying the whole story after its own four blocks */
    uint64_t ws[31];
    memcpy(ws, bs, 16 * sizeof *ws);
    memcpy(ws + 16, x, 15 * sizeof *ws);
    static const unsigned wp[10] = {2, 4, 4, 3, 3, 2, 4, 3, 2, 4};
    tb = sentence_text("Bus drivers recall the last timetable change", ws, wp, 10);
    assert_true(second_contained("whole", tb, tx));
    free(tb), free(tx);
}

/* Two roundups carrying one story: R1 (its own story of four paragraphs,
 * the story S, four paragraphs of another), S archived, then R2 - a short
 * story of its own (three paragraphs, the second holding one of S's
 * sentences: a stock sentence of the topic), S whole and a paragraph of
 * another story.
 * R2's own blocks lie around what it shares with S (one before, one
 * between, one after), a copy's spread (copy_own_blocks): S is not
 * called contained in it, and R2, most of it S's text, was called
 * contained in R1 (English base 810: two roundups called containers of a
 * third).  What R2 shares with R1 is S, which R2 holds nearly whole
 * beside text of its own (explained_by_held): not contained. */
static void test_roundups_share_a_story(void **state)
{
    (void)state;
    uint64_t st[18], r1[42], r2[27];
    for (unsigned i = 0; i < 18; i++)
        st[i] = 7000 + i;
    static const unsigned sp[6] = {3, 3, 3, 3, 3, 3};
    unsigned k = 0;
    for (unsigned i = 0; i < 12; i++)
        r1[k++] = 7100 + i;
    for (unsigned i = 0; i < 18; i++)
        r1[k++] = st[i];
    for (unsigned i = 0; i < 12; i++) /* and another story */
        r1[k++] = 7400 + i;
    static const unsigned r1p[14] = {3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3};
    k = 0;
    r2[k++] = 7200, r2[k++] = 7201;   /* its own first paragraph */
    r2[k++] = 7202, r2[k++] = st[10]; /* a stock sentence of S */
    r2[k++] = 7203, r2[k++] = 7204;   /* its own third paragraph */
    for (unsigned i = 0; i < 18; i++)
        r2[k++] = st[i];
    for (unsigned i = 0; i < 3; i++) /* another story's paragraph */
        r2[k++] = 7300 + i;
    static const unsigned r2p[10] = {2, 2, 2, 3, 3, 3, 3, 3, 3, 3};
    char *ts = sentence_text("The river wall is reviewed", st, sp, 6);
    char *t1 = sentence_text("Monday's roundup", r1, r1p, 14);
    char *t2 = sentence_text("Tuesday's roundup", r2, r2p, 10);
    char *order[3] = {t1, ts, t2};
    unsigned contains, contained_in;
    analyse_in_order("roundups", order, 3, 0, &contains, &contained_in);
    assert_int_equal(contained_in, 0u);
    free(ts), free(t1), free(t2);
}

/* Rule 7 (NEAR_TRIMMED_MIN): a short story's trimmed copy under a new
 * headline - two sentences of the story's second paragraph and two of its
 * third, 4 of 15 - is near the story: found whole in it but the headline
 * (~0.9), the story 0.26 found in it, under every other near rule's share
 * (same headline 0.3, rule 6 0.35); the story, with four blocks of its own
 * (headline, lede paragraph, the last two) and the copy's sentences from
 * its second block, is no container of it.  Without the rule: no finding.
 * The same sentences from paragraphs with two of the story's own between
 * them are not taken (NEAR_TRIMMED_INNER). */
static void test_trimmed_copy_near(void **state)
{
    (void)state;
    uint64_t full[15];
    for (unsigned i = 0; i < 15; i++)
        full[i] = 4000 + i;
    static const unsigned full_p[5] = {3, 3, 3, 3, 3};
    const uint64_t trim[4] = {full[3], full[4], full[6], full[7]};
    static const unsigned trim_p[2] = {2, 2};
    char *a = sentence_text("Harbour board votes to widen the channel", full, full_p, 5);
    char *b = sentence_text("Channel works approved", trim, trim_p, 2);
    assert_int_equal(second_finding("trimmed", a, b, NULL), DEDUP_NEAR);
    free(b);
    /* the same four sentences from the story's second and fifth
     * paragraphs: two blocks of the story's own between them
     * (NEAR_TRIMMED_INNER), a page sharing two paragraphs with another,
     * not a trimmed copy - no finding */
    const uint64_t apart[4] = {full[3], full[4], full[12], full[13]};
    b = sentence_text("Channel works approved", apart, trim_p, 2);
    assert_int_equal(second_finding("apart", a, b, NULL), 0);
    free(a), free(b);
}

/* A short story's copy under the page's lowest floor (SHORT_ERROR_SKETCH,
 * pair_floor): a Korean story of 7 sentences (14 sketch values in the
 * corpus) and an edited copy of it from the combined-edits corpus (seeds
 * 11-13) - another headline, a lede paragraph, typos, a sentence added, a
 * quote and a sentence dropped, the paragraphs reordered.  On the corpus
 * their sketches shared 0.21 at best, under the Hangul short floor (0.3);
 * one standard error of 14 values lowers it to 0.18.  Aligned, 0.55 / 0.73
 * of each is found in the other: near.  With SHORT_ERROR_SKETCH 1 (the
 * floor as it was): no finding. */
static void test_short_copy_under_floor(void **state)
{
    (void)state;
    static const char story[] =
        "부산 항만공사는 노인 지원책을\n\n"
        "지난 10일 대구 항만공사는 지난 10일 노인 지원책을 789억 원 규모로 연기하기로 했다. 지난 "
        "10일 수원 보건복지부는 올해 안에 새 교통 계획을 268억 원 규모로 재검토할 방침이다. 오는 "
        "3월까지 울산 연구진은 지난 10일 항만 확장 사업을 794억 원 규모로 철회했다. 다음 달부터 "
        "대구 연구진은 오는 3월까지 지진 대책을 591억 원 규모로 밝혔다.\n\n"
        "관계자에 따르면 광주 연구진은 주민 반대에 부딪혀 노인 지원책을 787억 원 규모로 밝혔다. "
        "\"주민들의 의견을\"라고 위원장 박지호은 말했다. 이번 주 초 제주 정부는 지난 10일 무상 "
        "급식 확대를 773억 원 규모로 승인했다.\n\n";
    static const char copy[] =
        "대전 시민단체는 도서관 개관 시간을\n\n"
        "지역 상인들은 이번 결정을 주읙 깊게 지켜보고 있다. 긴 논의 끝에 청주 정부는 다음 달부터 "
        "노인 지원책을 128억 원 규모로 연기하기로 했다.\n\n"
        "관계자에 따르면 광주 연국진은 주민 반대에 부딪혀 노인 지원책을 787억 원 규모로 밝혔다. "
        "이번 주 초 수원 교육청은 예상보다 빠르게 무상 급식 확대를 379억 원 규모로 밝혔다. 이번 주 "
        "초 제주 정부는 지난 10일 무상 급식 확대를 773억 원 규모로 승인했다.\n\n"
        "지난 10일 대구 항만공사는 지난 10일 노인 지원책을 789억 원 규모로 연기하기로 했다. 지난 "
        "10일 숙원 보건복지부는 올해 안에 새 교통 계획을 268억 원 규모로 재검토할 방침이다. 오는 "
        "3웕까지 울산 연구진은 지난 10일 항만 확장 사업을 794억 원 규모로 첡회했다. 전문가들에 "
        "따르면 대전 정북는 다음 달부터 항만 확장 사업을 103억 원 규모로 검토하고 있다.\n\n";
    assert_int_equal(second_finding("short", story, copy, NULL), DEDUP_NEAR);
}

/* An HTML page of a plain text (its first paragraph the headline, an
 * <h1>; the others <p>), as the crawler's pages are (the headline a
 * heading block: presearch's headline_pair). */
static char *article_page(const char *text)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 20);
    fa_buf_puts(&b, "<!DOCTYPE html><html><head><title>t</title></head><body><article>");
    int first = 1;
    for (const char *p = text; *p;) {
        const char *e = strstr(p, "\n\n");
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n) {
            fa_buf_puts(&b, first ? "<h1>" : "<p>");
            fa_buf_append(&b, p, n);
            fa_buf_puts(&b, first ? "</h1>\n" : "</p>\n");
            first = 0;
        }
        p += n + (e ? 2 : 0);
    }
    fa_buf_puts(&b, "</article></body></html>\n");
    return fa_buf_steal(&b, NULL);
}

/* Rule 8 (twenty-ninth round, head_copies): two copies of a short story
 * edited apart, under the story's headline - one with a lede of its own,
 * the other with typos and sentences of its own in every paragraph -
 * keep the headline and 0.40 of each other's text, under the sketch's
 * floor (weak, sub): near (without the rule: no finding).  Generated by
 * corpus_generate_edits (English, bench base 140), a pair it calls near. */
static void test_head_copies_edited_apart(void **state)
{
    (void)state;
    static const char first[] =
        "Auric confirmed the orbit model since January\n\n"
        "Readers in Upland will feel the change first, the project manager told this paper. The "
        "figures, Helena Roth said, point to the orbit model and to the calibration run last "
        "quarter.\n\n"
        "In a statement in early trading, the laboratory forecast the calibration run while the "
        "satellite operator revised the spectral lines. The figures, Dana Whitcombe said, point "
        "to the calibration run and to the dust clouds at its annual meeting. Analysts at the "
        "bank doubled the spectral lines in early trading, the sharpest move in a decade.\n\n"
        "Economists surveyed by the agency confirmed the orbit model in the latest survey, "
        "although margins remain thin. The central bank confirmed the dust clouds since January, "
        "which surprised several observers. Auric expects the orbit model to reach 42 billion by "
        "2032, which surprised several observers.\n\n";
    static const char second[] =
        "Auric confirmed the orbit model since January\n\n"
        "In a statement at its annul meeting, researchers at the institute halved the exoplanet "
        "data while the mining company disclosed the dust clouds. The figures, Dana Whitcombe "
        "said, point to the calibration run and to the dust clouds at its annual meeting. Velta "
        "Bio expects the mirror alignment to reach 187 billion by 2027, in line with earlier "
        "guidance.\n\n"
        "Shares in Norvex fell 0.9 percent in a regulatory filing after economists surveyed by "
        "the agency measured the star catalogue. Economists surveyed by the agency confirmed the "
        "orbit model in the laest survey, although mragins remain thin. The central bank "
        "confirmed the dust clouds since January, which surprised several observers. Shares in "
        "Brightwell fell 19.8 percent at its annual meeting after the drug developer halved the "
        "star catalogue.\n\n";
    char *a = article_page(first), *b = article_page(second);
    assert_int_equal(second_finding_as("headcopies", DEDUP_HTML_PAGE, a, b, NULL), DEDUP_NEAR);
    free(a), free(b);
}

/* Rule 8 in Han/Kana (thirty-first round): two copies of a short
 * Japanese story under its headline word for word, each with a sentence
 * rewritten and others edited, keep 0.40 / 0.41 of each other, under the
 * sketch's floor (weak, sub): near (before, rule 8 left Han/Kana out: no
 * finding).  A Chinese follow-up quoting one paragraph of four of a
 * story, under a headline that differs by its city (its first block is
 * found in the story's, as same_head asks, but is not the story's),
 * stays unrelated: rule 8 asks Han/Kana copies for the headline block
 * itself (head_same).  Generated by corpus_generate_edits (bench bases
 * 150 and 480): a pair it calls near, and a follow-up. */
static void test_head_copies_chars(void **state)
{
    (void)state;
    static const char story[] =
        "仙台の市の担当者は港湾施設の拡張を\n\n"
        "住民の反対を受けて横浜の気象庁は来月から来年度の予算を139億円規模で承認した。長い議論の末"
        "に京都の市の担当者は今年度中に再生可能エネルギーの導入を379億円規模で発表した。\n\n"
        "市内のバス路線や学校の日程も変わる可能性がある。神戸の伊藤氏は「良い一歩だがまだやるべきこ"
        "とは多い」と述べた。\n\n";
    static const char copy[] =
        "仙台の市の担当者は港湾施設の拡張を\n\n"
        "長い議論の末に福岡の研究チームは関係者によると、港湾施設の拡張を724億円規模で見直す方針だ"
        "。"
        "長い議論の末に京都の市の担当者は今年度中に再生可能エネルギーの導入を379億円規模で公表した"
        "。"
        "\n\n"
        "横浜の渡辺氏は「構想が変わる」と述べた。記者会見で神戸の政府は来月から地震方策の強化を891"
        "億円規模で公表した。\n\n";
    char *a = article_page(story), *b = article_page(copy);
    assert_int_equal(second_finding_as("headchars", DEDUP_HTML_PAGE, a, b, NULL), DEDUP_NEAR);
    free(a), free(b);
    static const char earlier[] =
        "杭州专家组明年的预算草案\n\n"
        "重庆广东省9日正式启动了港口扩建计划，涉及资金约436亿元。北京国务院3日宣布学校午餐补贴，涉"
        "及资金约423亿元。杭州上海市政府27日宣布养老服务方案，涉及资金约205亿元。\n\n"
        "北京气象部门3日暂停了物价预期，涉及资金约114亿元。天津研究人员20日正式启动了电池研发计划，"
        "涉及资金约404亿元。杭州王先生表示：“这是一个好的开始但还有很多工作要做”。广州交通运输部10"
        "日重新评估了旅游接待政策，涉及资金约235亿元。\n\n"
        "重庆央行8日宣布防震措施，涉及资金约368亿元。成都张先生表示：“这是一个好的开始但还有很多工"
        "作要做”。成都广东省25日批准了明年的预算草案，涉及资金约394亿元。南京李先生表示：“这些数字"
        "根本对不上”。\n\n"
        "成都气象部门16日正式启动了新的交通规划，涉及资金约346亿元。北京交通运输部3日推迟了旅游接待"
        "政策，涉及资金约346亿元。南京专家组7日推迟了养老服务方案，涉及资金约309亿元。重庆广东省15"
        "日暂停了学校午餐补贴，涉及资金约301亿元。\n\n";
    static const char follow_up[] =
        "广州专家组明年的预算草案\n\n"
        "成都气象部门16日正式启动了新的交通规划，涉及资金约346亿元。北京交通运输部3日推迟了旅游接待"
        "政策，涉及资金约346亿元。南京专家组7日推迟了养老服务方案，涉及资金约309亿元。重庆广东省15"
        "日暂停了学校午餐补贴，涉及资金约301亿元。\n\n"
        "杭州广东省9日推迟了养老服务方案，涉及资金约105亿元。天津上海市政府25日重新评估了养老服务方"
        "案，涉及资金约286亿元。广州气象部门17日暂停了新能源项目，涉及资金约214亿元。南京专家组3日"
        "暂停了旅游接待政策，涉及资金约297亿元。\n\n"
        "西安研究人员22日推迟了港口扩建计划，涉及资金约61亿元。西安国务院22日推迟了学校午餐补贴，涉"
        "及资金约62亿元。杭州交通运输部16日正在研究新的交通规划，涉及资金约395亿元。\n\n"
        "深圳该公司3日正在研究明年的预算草案，涉及资金约413亿元。杭州专家组13日重新评估了新能源项目"
        "，涉及资金约499亿元。\n\n";
    a = article_page(earlier), b = article_page(follow_up);
    assert_int_equal(second_finding_as("headfollow", DEDUP_HTML_PAGE, a, b, NULL), 0);
    free(a), free(b);
}

/* Rule 8 for words (thirty-fourth round): two unrelated English stories
 * of one desk under headlines that differ by the company's name (the
 * first blocks found in each other, as same_head asks), each holding
 * 0.26-0.29 of the other in the register's stock sentences ("The figures,
 * <name> said, point to ..."), were called near by rule 8.  It asks words
 * for the headline block itself (head_same), as Han/Kana: unrelated.
 * Generated by corpus_generate_edits (English, bench base 1870), two
 * stories it relates to nothing. */
static void test_head_copies_words_headline_itself(void **state)
{
    (void)state;
    static const char first[] =
        "Brightwell forecast the trial results at its annual meeting\n\n"
        "Economists surveyed by the agency published the placebo group in the latest survey, the "
        "sharpest move in a decade. Analysts at the bank disclosed the trial results overnight, a "
        "sign that demand is cooling.\n\n"
        "The figures, Lukas Brandt said, point to the approval filing and to the side effects in a "
        "regulatory filing. Shares in Meridian Labs rose 13.1 percent since January after the "
        "shipping group cut the second phase. Koenig Shipping expects the side effects to reach "
        "120 billion by 2033, as competition intensifies.\n\n";
    static const char second[] =
        "Quillon forecast the trial results at its annual meeting\n\n"
        "The figures, Oscar Ibarra said, point to the approval filing and to the placebo group "
        "overnight. The figures, Lukas Brandt said, point to the manufacturing deal and to the "
        "trial results overnight. The figures, Farid Haddad said, point to the placebo group and "
        "to the manufacturing deal in early trading. Velta Bio expects the second phase to reach "
        "253 billion by 2027, which surprised several observers.\n\n"
        "Institutional investors cut the placebo group in the latest survey, as competition "
        "intensifies. Ostrava Metals expects the side effects to reach 54 billion by 2032, "
        "although margins remain thin. Shares in Halden Group fell 11.4 percent in a research "
        "note after the drug developer halved the trial results.\n\n"
        "Brightwell expects patient enrolment to reach 85 billion by 2027, as competition "
        "intensifies. In a statement since January, the pension fund halved the manufacturing "
        "deal while the central bank measured the second phase. Shares in Brightwell fell 4.5 "
        "percent since January after the telescope team cut the trial results.\n\n"
        "The figures, Farid Haddad said, point to the approval filing and to the dosage schedule "
        "in a regulatory filing. Shares in Norvex fell 4.7 percent at its annual meeting after "
        "the shipping group raised the placebo group. Shares in Tarsis fell 15.7 percent in early "
        "trading after economists surveyed by the agency cut the side effects.\n\n";
    char *a = article_page(first), *b = article_page(second);
    assert_int_equal(second_finding_as("headwords", DEDUP_HTML_PAGE, a, b, NULL), 0);
    free(a), free(b);
}

/* Twenty-first round: a pair aligned only under pair_floor's lowered
 * floor (sub_floor_related) is near only when both texts are found at
 * SUB_FLOOR_BOTH or more (0.52 until the thirty-first round, now 0.4).
 * The copy of test_short_copy_under_floor with two sentences of its own
 * more (a lede's and its last paragraph's): the story is found at 0.73
 * in it, it at 0.48 in the story, under the word floor on the sketch:
 * near (at 0.52: no finding).  With a paragraph of five sentences of its
 * own more (rule 6 still takes it: two own blocks, 0.37 both ways or
 * more) the copy is found at 0.37 in the story: no finding (at 0.3:
 * near). */
static void test_sub_floor_pair(void **state)
{
    (void)state;
    static const char story[] =
        "부산 항만공사는 노인 지원책을\n\n"
        "지난 10일 대구 항만공사는 지난 10일 노인 지원책을 789억 원 규모로 "
        "연기하기로 했다. 지난 10일 수원 보건복지부는 올해 안에 새 "
        "교통 계획을 268억 원 규모로 재검토할 방침이다. 오는 3월까지 "
        "울산 연구진은 지난 10일 항만 확장 사업을 794억 원 규모로 철회했다. "
        "다음 달부터 대구 연구진은 오는 3월까지 지진 대책을 591억 원 "
        "규모로 밝혔다.\n\n"
        "관계자에 따르면 광주 연구진은 주민 반대에 부딪혀 노인 지원책을 "
        "787억 원 규모로 밝혔다. \"주민들의 의견을\"라고 위원장 박지호은 "
        "말했다. 이번 주 초 제주 정부는 지난 10일 무상 급식 확대를 773억 "
        "원 규모로 승인했다.\n\n";
    static const char copy[] = "대전 시민단체는 도서관 개관 시간을\n\n"
                               "지역 상인들은 이번 결정을 주읙 깊게 지켜보고 있다. 긴 논의 "
                               "끝에 청주 정부는 다음 달부터 노인 지원책을 128억 원 규모로 "
                               "연기하기로 했다. 시청 대변인은 다음 주에 추가 설명회를 열 "
                               "계획이라고 전했다.\n\n"
                               "관계자에 따르면 광주 연국진은 주민 반대에 부딪혀 노인 지원책을 "
                               "787억 원 규모로 밝혔다. 이번 주 초 수원 교육청은 예상보다 빠르게 "
                               "무상 급식 확대를 379억 원 규모로 밝혔다. 이번 주 초 제주 정부는 "
                               "지난 10일 무상 급식 확대를 773억 원 규모로 승인했다.\n\n"
                               "지난 10일 대구 항만공사는 지난 10일 노인 지원책을 789억 원 규모로 "
                               "연기하기로 했다. 지난 10일 숙원 보건복지부는 올해 안에 새 "
                               "교통 계획을 268억 원 규모로 재검토할 방침이다. 오는 3웕까지 "
                               "울산 연구진은 지난 10일 항만 확장 사업을 794억 원 규모로 첡회했다. "
                               "전문가들에 따르면 대전 정북는 다음 달부터 항만 확장 사업을 "
                               "103억 원 규모로 검토하고 있다. 구청 직원들은 주말에도 현장을 "
                               "점검했다.\n\n";
    assert_int_equal(second_finding("subfloor", story, copy, NULL), DEDUP_NEAR);
    char more[sizeof copy + 1024];
    snprintf(more, sizeof more, "%s%s", copy,
             "시의회는 다음 달 공청회를 열어 주민 의견을 듣기로 했다. 교통 당국은 버스 "
             "노선 조정안을 함께 검토하고 있다. 시장은 남은 예산의 집행을 서두르겠다고 "
             "밝혔다. 상인 단체는 주차 공간이 부족하다며 대책을 요구했다. 구청은 임시 "
             "주차장을 마련하겠다고 답했다.\n\n");
    assert_int_equal(second_finding("subfloor2", story, more, NULL), 0);
}

/* Twenty-fifth round: a Chinese short story (a headline, paragraphs of 4
 * and 2 sentences, a "support us" line, a last paragraph of 2) that a
 * roundup carries after its own story with its second paragraph's first
 * sentence removed and its last paragraph cut (the corpus, base 100,
 * where the story's sketch of 39 values was held at 0.54 in the
 * roundup's 122, under the Han/Kana floor 0.55; one standard error
 * lowers it to 0.47: short_carried_floor, until now for words and Hangul
 * only).  Five of its sentences stand whole, in order, in the roundup
 * (carried_prefilter asks 2): aligned, contained (short_carried_related).
 * With the floor left to words and Hangul, or a pre-filter asking more
 * whole sentences than the story keeps (6): no finding.  The same roundup
 * with one character changed in every carried sentence keeps none whole:
 * not aligned, no finding - the pre-filter's price (without it:
 * contained, 5 sentences found; before this round such a pair was never
 * aligned either).  align_keys_in_order: test_dedup_confirm.c. */
static void test_short_carried_chars(void **state)
{
    (void)state;
    static const char story[] =
        "成都国务院物价预期\n\n"
        "西安上海市政府14日批准了港口扩建计划，涉及资金约473亿元。"
        "重庆国务院27日宣布物价预期，涉及资金约478亿元。"
        "南京上海市政府1日批准了港口扩建计划，涉及资金约338亿元。"
        "武汉气象部门11日正式启动了物价预期，涉及资金约410亿元。\n\n"
        "深圳广东省20日宣布新能源项目，涉及资金约146亿元。"
        "深圳央行12日重新评估了养老服务方案，涉及资金约485亿元。\n\n"
        "Freight Weekly依靠读者的支持运营。"
        "每月一次的捐助能让本地新闻对所有人免费开放。\n\n"
        "杭州研究人员4日重新评估了养老服务方案，涉及资金约492亿元。"
        "成都该公司2日正在研究港口扩建计划，涉及资金约186亿元。\n\n";
    static const char roundup[] =
        "成都专家组学校午餐补贴\n\n"
        "深圳广东省24日公布了新能源项目，涉及资金约84亿元。"
        "重庆张先生表示：“没有人问过真正使用它的人”。"
        "成都王先生表示：“这些数字根本对不上”。\n\n"
        "杭州气象部门19日宣布学校午餐补贴，涉及资金约485亿元。"
        "南京气象部门22日正式启动了防震措施，涉及资金约459亿元。"
        "南京国务院24日正式启动了防震措施，涉及资金约230亿元。\n\n"
        "杭州铁路部门25日宣布明年的预算草案，涉及资金约411亿元。"
        "西安上海市政府18日公布了学校午餐补贴，涉及资金约266亿元。"
        "广州广东省25日推迟了物价预期，涉及资金约445亿元。"
        "天津央行26日推迟了明年的预算草案，涉及资金约362亿元。\n\n"
        "西安央行5日重新评估了旅游接待政策，涉及资金约387亿元。"
        "西安铁路部门10日批准了养老服务方案，涉及资金约338亿元。\n\n"
        "重庆央行7日宣布新能源项目，涉及资金约37亿元。"
        "西安铁路部门18日正式启动了新能源项目，涉及资金约456亿元。\n\n"
        "天津气象部门22日推迟了明年的预算草案，涉及资金约136亿元。"
        "武汉刘先生表示：“在计划改变之前我们会一直坚持”。"
        "深圳交通运输部17日宣布旅游接待政策，涉及资金约440亿元。\n\n"
        "南京陈先生表示：“在计划改变之前我们会一直坚持”。"
        "南京铁路部门9日公布了新的交通规划，涉及资金约329亿元。"
        "南京陈先生表示：“在计划改变之前我们会一直坚持”。\n\n"
        "广州专家组23日批准了旅游接待政策，涉及资金约260亿元。\n\n"
        "成都张先生表示：“这是充分听取居民意见后作出的决定”。"
        "武汉气象部门18日推迟了新能源项目，涉及资金约105亿元。\n\n"
        "北京气象部门6日重新评估了新能源项目，涉及资金约57亿元。"
        "北京张先生表示：“走到这一步花了太长时间”。"
        "南京国务院20日重新评估了物价预期，涉及资金约268亿元。\n\n"
        "西安上海市政府14日批准了港口扩建计划，涉及资金约473亿元。"
        "重庆国务院27日宣布物价预期，涉及资金约478亿元。"
        "南京上海市政府1日批准了港口扩建计划，涉及资金约338亿元。"
        "武汉气象部门11日正式启动了物价预期，涉及资金约410亿元。\n\n"
        "深圳央行12日重新评估了养老服务方案，涉及资金约485亿元。\n\n";
    assert_int_equal(second_finding("carriedzh", story, roundup, NULL), DEDUP_CONTAINS);
    /* every carried sentence with one character changed (港口 -> 海港,
     * 物价 -> 价格, 养老 -> 敬老): none whole */
    char *typo = strdup(roundup);
    assert_non_null(typo);
    char *at = strstr(typo, "西安上海市政府14日");
    assert_non_null(at);
    static const char *const from[] = {"港口", "物价", "养老"}, *const to[] = {"海港", "价格", "敬老"};
    for (unsigned k = 0; k < 3; k++)
        for (char *q = at; (q = strstr(q, from[k])) != NULL; q += strlen(to[k]))
            memcpy(q, to[k], strlen(to[k]));
    assert_int_equal(second_finding("typozh", story, typo, NULL), 0);
    free(typo);
}

/* Twenty-fourth round: a short story (a headline, paragraphs of 2 and 3
 * sentences) that a roundup carries with two of its sentences removed
 * (the first and the third), after the roundup's own story of 8
 * paragraphs.  Its sketch (20 values) is held at 0.35 in the roundup's,
 * under the word floor (0.4); one standard error of 20 values lowers it
 * to 0.29 (short_carried_floor).  Aligned, its three kept sentences are
 * found verbatim, one run in consecutive sentences of the roundup after
 * its own story: contained (short_carried_related).  With the floor as
 * it was: no finding.  The same three sentences as the roundup's second
 * paragraph (the run starting in its first blocks, where its own story
 * stands), or one each after its paragraphs 4, 6 and 8 (not
 * consecutive): no finding. */
static char *short_roundup(const uint64_t *story, unsigned at, int spread)
{
    uint64_t rs[27];
    unsigned rp[11], k = 0, n = 0;
    for (unsigned p = 0; p < 8; p++) {
        for (unsigned i = 0; i < 3; i++)
            rs[k++] = 9000 + 3 * p + i;
        rp[n++] = 3;
        if (!spread && p == at) {
            rs[k++] = story[1], rs[k++] = story[3], rs[k++] = story[4];
            rp[n++] = 3;
        }
        if (spread && p >= at && p <= at + 4 && (p - at) % 2 == 0) {
            rs[k++] = story[(p - at) / 2 == 0 ? 1 : (p - at) / 2 == 1 ? 3 : 4];
            rp[n++] = 1;
        }
    }
    return sentence_text("Thursday's roundup", rs, rp, n);
}

static void test_short_carried_under_floor(void **state)
{
    (void)state;
    const uint64_t story[5] = {5010, 5011, 5012, 5013, 5014};
    static const unsigned sp[2] = {2, 3};
    char *s = sentence_text("Port board delays the canal works", story, sp, 2);
    char *r = short_roundup(story, 7, 0);
    assert_int_equal(second_finding("carried", s, r, NULL), DEDUP_CONTAINS);
    free(r);
    r = short_roundup(story, 0, 0); /* after the roundup's first paragraph */
    assert_int_equal(second_finding("early", s, r, NULL), 0);
    free(r);
    r = short_roundup(story, 3, 1); /* after paragraphs 4, 6 and 8 */
    assert_int_equal(second_finding("spread", s, r, NULL), 0);
    free(r), free(s);
    /* a roundup whose own story is 4 paragraphs: a pair of copy shape
     * (2 times the story's 22 values) held at 0.36, aligned under
     * pair_floor's lowered floor (sub_floor_related: never a container
     * before) - contained as well */
    const uint64_t story2[5] = {7110, 7111, 7112, 7113, 7114};
    uint64_t rs[15];
    for (unsigned k = 0; k < 12; k++)
        rs[k] = 9500 + k;
    rs[12] = story2[1], rs[13] = story2[3], rs[14] = story2[4];
    static const unsigned rp[5] = {3, 3, 3, 3, 3};
    s = sentence_text("Port board delays the canal works", story2, sp, 2);
    r = sentence_text("Thursday's roundup", rs, rp, 5);
    assert_int_equal(second_finding("copyshape", s, r, NULL), DEDUP_CONTAINS);
    free(r), free(s);
    /* a Korean story of trimmed quotes (the corpus, seeds 151-153) and a
     * news page whose quote attributions match its three sentences in
     * one sentence of the page (span under matched): no finding (the
     * containment rules alone: contained) */
    static const char quotes[] =
        "광주 교육청은 재생에너지 도입을\n\n"
        "“여기까지 오는 데”라고 노조 위원장 이서연은 말했다.\n\n"
        "올해 안에 청주 정부는 이번 주 초 물가 전망을 356억 원 규모로 재검토할 방침이다. “여기까지 "
        "오는 데”라고 노조 위원장 이서연은 말했다. "
        "“여기까지 오는 데”라고 노조 위원장 박지호은 말했다.\n\n";
    static const char news[] =
        "광주 정부는 배터리 개발 계획을\n\n"
        "“숫자가 전혀”라고 주민 대표 이서연은 말했다. 전문가들에 따르면 울산 서울시는 올해 안에 "
        "노인 지원책을 825억 원 규모로 검토하고 있다. "
        "긴 논의 끝에 울산 정부는 전문가들에 따르면 항만 확장 사업을 609억 원 규모로 연기하기로 "
        "했다. 전문가들에 따르면 청주 기상청은 공청회를 "
        "거쳐 항만 확장 사업을 89억 원 규모로 검토하고 있다.\n\n"
        "긴 논의 끝에 대구 서울시는 이번 주 초 새 교통 계획을 693억 원 규모로 발표했다. “실제로 "
        "이용하는”라고 교장 강도윤은 말했다. 긴 논의 "
        "끝에 서울 서울시는 다음 달부터 재생에너지 도입을 832억 원 규모로 재검토할 방침이다. "
        "공청회를 거쳐 수원 서울시는 기자회견에서 관광객 유치 "
        "방안을 68억 원 규모로 재검토할 방침이다.\n\n"
        "관계자에 따르면 대전 보건복지부는 오는 3월까지 내년 예산안을 669억 원 규모로 철회했다. "
        "전문가들에 따르면 광주 연구진은 오는 3월까지 "
        "배터리 개발 계획을 438억 원 규모로 연기하기로 했다. 올해 안에 제주 교육청은 지난 10일 "
        "배터리 개발 계획을 287억 원 규모로 "
        "확정했다.\n\n"
        "오는 3월까지 대전 정부는 올해 안에 지진 대책을 155억 원 규모로 연기하기로 했다. 관계자에 "
        "따르면 제주 연구진은 다음 달부터 무상 급식 "
        "확대를 846억 원 규모로 검토하고 있다. 공청회를 거쳐 서울 항만공사는 기자회견에서 새 교통 "
        "계획을 542억 원 규모로 승인했다. 주민 "
        "반대에 부딪혀 대구 정부는 예상보다 빠르게 관광객 유치 방안을 34억 원 규모로 재검토할 "
        "방침이다.\n\n"
        "지난 10일 수원 보건복지부는 예상보다 빠르게 노인 지원책을 130억 원 규모로 철회했다. 오는 "
        "3월까지 수원 보건복지부는 긴 논의 끝에 노인 "
        "지원책을 775억 원 규모로 검토하고 있다. 올해 안에 울산 항만공사는 이번 주 초 관광객 유치 "
        "방안을 451억 원 규모로 재검토할 "
        "방침이다.\n\n"
        "오는 3월까지 인천 교육청은 오는 3월까지 지진 대책을 887억 원 규모로 승인했다. “계획이 "
        "바뀔”라고 시의원 정하늘은 말했다. 예상보다 "
        "빠르게 울산 시민단체는 이번 주 초 물가 전망을 173억 원 규모로 재검토할 방침이다. “숫자가 "
        "전혀”라고 주민 대표 강도윤은 말했다.\n\n"
        "“실제로 이용하는”라고 위원장 박지호은 말했다. “숫자가 전혀”라고 노조 위원장 이서연은 "
        "말했다. 지난 10일 부산 국토교통부는 긴 논의 끝에 "
        "관광객 유치 방안을 544억 원 규모로 연기하기로 했다.\n\n";
    assert_int_equal(second_finding("quotes", quotes, news, NULL), 0);
    /* a Korean story whose found sentences are four stock quotes, two of
     * them matching the same sentence of a roundup (seeds 1301-1303): its
     * run there is compact but for one stray match, yet holds one
     * sentence of the page twice (distinct under matched) - no finding */
    static const char quoted[] =
        "울산 항만공사는 배터리 개발 계획을\n\n"
        "예상보다 빠르게 대구 서울시는 오는 3월까지 도서관 개관 시간을 180억 원 규모로 확정했다. "
        "\"실제로 이용하는 사람들에게는 아무도 묻지 "
        "않았다\"라고 사업 담당자 김민준은 말했다. \"좋은 출발이지만 아직 할 일이 많다\"라고 "
        "위원장 이서연은 말했다. 전문가들에 따르면 대구 "
        "한국은행은 기자회견에서 재생에너지 도입을 707억 원 규모로 재검토할 방침이다.\n\n"
        "\"실제로 이용하는 사람들에게는 아무도 묻지 않았다\"라고 위원장 강도윤은 말했다. "
        "\"여기까지 오는 데 너무 오래 걸렸다\"라고 교장 "
        "김민준은 말했다.\n\n";
    static const char roundup[] =
        "대전 시민단체는 내년 예산안을\n\n"
        "예상보다 빠르게 제주 교육청은 올해 안에 물가 전망을 703억 원 규모로 재검토할 방침이다. "
        "관계자에 따르면 광주 국토교통부는 다음 달부터 "
        "노인 지원책을 276억 원 규모로 재검토할 방침이다. 공청회를 거쳐 수원 정부는 올해 안에 "
        "배터리 개발 계획을 122억 원 규모로 확정했다. "
        "긴 논의 끝에 부산 보건복지부는 전문가들에 따르면 노인 지원책을 795억 원 규모로 "
        "확정했다.\n\n"
        "주민 반대에 부딪혀 청주 정부는 주민 반대에 부딪혀 물가 전망을 724억 원 규모로 밝혔다. "
        "지난 10일 대구 부산시는 올해 안에 관광객 유치 "
        "방안을 381억 원 규모로 발표했다. 기자회견에서 광주 기상청은 오는 3월까지 항만 확장 사업을 "
        "667억 원 규모로 확정했다. 다음 달부터 "
        "광주 서울시는 이번 주 초 관광객 유치 방안을 631억 원 규모로 검토하고 있다.\n\n"
        "오는 3월까지 제주 부산시는 지난 10일 물가 전망을 50억 원 규모로 재검토할 방침이다. "
        "관계자에 따르면 제주 부산시는 관계자에 따르면 "
        "도서관 개관 시간을 636억 원 규모로 확정했다. 다음 달부터 대전 연구진은 관계자에 따르면 "
        "노인 지원책을 715억 원 규모로 철회했다. 다음 "
        "달부터 제주 연구진은 지난 10일 노인 지원책을 77억 원 규모로 발표했다.\n\n"
        "예상보다 빠르게 부산 보건복지부는 오는 3월까지 노인 지원책을 366억 원 규모로 확정했다. "
        "이번 주 초 울산 국토교통부는 전문가들에 따르면 "
        "도서관 개관 시간을 800억 원 규모로 연기하기로 했다.\n\n"
        "\"좋은 출발이지만 아직 할 일이 많다\"라고 노조 위원장 이서연은 말했다. \"계획이 바뀔 "
        "때까지 계속 싸우겠다\"라고 사업 담당자 이서연은 "
        "말했다. \"실제로 이용하는 사람들에게는 아무도 묻지 않았다\"라고 위원장 정하늘은 말했다. "
        "주민 반대에 부딪혀 부산 보건복지부는 이번 주 초 "
        "관광객 유치 방안을 718억 원 규모로 승인했다.\n\n"
        "전문가들에 따르면 수원 시민단체는 공청회를 거쳐 항만 확장 사업을 433억 원 규모로 "
        "연기하기로 했다. 오는 3월까지 청주 시민단체는 오는 "
        "3월까지 재생에너지 도입을 144억 원 규모로 발표했다. 기자회견에서 서울 교육청은 주민 "
        "반대에 부딪혀 지진 대책을 197억 원 규모로 "
        "연기하기로 했다. \"숫자가 전혀 맞지 않는다\"라고 시의원 최유진은 말했다.\n\n"
        "공청회를 거쳐 제주 정부는 관계자에 따르면 지진 대책을 796억 원 규모로 승인했다. 지난 10일 "
        "광주 교육청은 공청회를 거쳐 관광객 유치 "
        "방안을 883억 원 규모로 밝혔다. 공청회를 거쳐 대전 보건복지부는 긴 논의 끝에 지진 대책을 "
        "759억 원 규모로 발표했다.\n\n"
        "지난 10일 부산 국토교통부는 이번 주 초 도서관 개관 시간을 529억 원 규모로 승인했다. 긴 "
        "논의 끝에 광주 국토교통부는 오는 3월까지 "
        "내년 예산안을 872억 원 규모로 검토하고 있다. 올해 안에 대구 교육청은 예상보다 빠르게 무상 "
        "급식 확대를 736억 원 규모로 발표했다. "
        "전문가들에 따르면 청주 기상청은 관계자에 따르면 관광객 유치 방안을 236억 원 규모로 "
        "확정했다.\n\n"
        "이번 주 초 서울 구청은 예상보다 빠르게 지진 대책을 748억 원 규모로 발표했다. 오는 3월까지 "
        "부산 서울시는 예상보다 빠르게 새 교통 "
        "계획을 66억 원 규모로 연기하기로 했다. 이번 주 초 서울 기상청은 긴 논의 끝에 노인 "
        "지원책을 231억 원 규모로 발표했다. 오는 3월까지 "
        "부산 항만공사는 오는 3월까지 지진 대책을 555억 원 규모로 재검토할 방침이다.\n\n"
        "전문가들에 따르면 인천 부산시는 다음 달부터 주차 요금 인상을 681억 원 규모로 승인했다. "
        "다음 달부터 광주 서울시는 이번 주 초 무상 급식 "
        "확대를 745억 원 규모로 발표했다.\n\n"
        "\"좋은 출발이지만 아직 할 일이 많다\"라고 위원장 최유진은 말했다. \"여기까지 오는 데 너무 "
        "오래 걸렸다\"라고 사업 담당자 김민준은 "
        "말했다.\n\n"
        "기자회견에서 대전 정부는 공청회를 거쳐 도서관 개관 시간을 760억 원 규모로 확정했다. "
        "\"계획이 바뀔 때까지 계속 싸우겠다\"라고 교장 "
        "정하늘은 말했다. 기자회견에서 수원 보건복지부는 관계자에 따르면 도서관 개관 시간을 576억 "
        "원 규모로 발표했다. 긴 논의 끝에 대전 기상청은 "
        "기자회견에서 내년 예산안을 295억 원 규모로 연기하기로 했다.\n\n"
        "지난 10일 광주 기상청은 예상보다 빠르게 도서관 개관 시간을 178억 원 규모로 확정했다. "
        "기자회견에서 수원 기상청은 긴 논의 끝에 배터리 "
        "개발 계획을 255억 원 규모로 연기하기로 했다.\n\n"
        "공청회를 거쳐 대구 부산시는 이번 주 초 배터리 개발 계획을 218억 원 규모로 연기하기로 "
        "했다. \"계획이 바뀔 때까지 계속 싸우겠다\"라고 "
        "교장 강도윤은 말했다. 기자회견에서 인천 교육청은 공청회를 거쳐 항만 확장 사업을 681억 원 "
        "규모로 철회했다.\n\n"
        "올해 안에 제주 연구진은 긴 논의 끝에 주차 요금 인상을 659억 원 규모로 확정했다. \"실제로 "
        "이용하는 사람들에게는 아무도 묻지 "
        "않았다\"라고 위원장 이서연은 말했다. 기자회견에서 청주 시민단체는 기자회견에서 주차 요금 "
        "인상을 93억 원 규모로 재검토할 방침이다.\n\n"
        "이번 주 초 부산 구청은 공청회를 거쳐 새 교통 계획을 528억 원 규모로 밝혔다. \"계획이 바뀔 "
        "때까지 계속 싸우겠다\"라고 위원장 "
        "강도윤은 말했다. 예상보다 빠르게 제주 정부는 긴 논의 끝에 무상 급식 확대를 190억 원 "
        "규모로 검토하고 있다. 관계자에 따르면 광주 "
        "국토교통부는 다음 달부터 무상 급식 확대를 623억 원 규모로 검토하고 있다.\n\n"
        "공청회를 거쳐 청주 서울시는 지난 10일 지진 대책을 671억 원 규모로 확정했다. 지난 10일 "
        "대구 부산시는 공청회를 거쳐 새 교통 계획을 "
        "136억 원 규모로 검토하고 있다. \"여기까지 오는 데 너무 오래 걸렸다\"라고 교장 박지호은 "
        "말했다.\n\n"
        "올해 안에 청주 연구진은 오는 3월까지 노인 지원책을 847억 원 규모로 밝혔다. \"숫자가 전혀 "
        "맞지 않는다\"라고 사업 담당자 이서연은 "
        "말했다. 이번 주 초 인천 정부는 다음 달부터 무상 급식 확대를 441억 원 규모로 검토하고 "
        "있다.\n\n"
        "공청회를 거쳐 수원 보건복지부는 긴 논의 끝에 지진 대책을 700억 원 규모로 연기하기로 했다. "
        "공청회를 거쳐 청주 구청은 지난 10일 "
        "재생에너지 도입을 735억 원 규모로 밝혔다. 올해 안에 수원 국토교통부는 올해 안에 무상 급식 "
        "확대를 279억 원 규모로 연기하기로 했다. "
        "주민 반대에 부딪혀 제주 서울시는 올해 안에 내년 예산안을 600억 원 규모로 연기하기로 "
        "했다.\n\n";
    assert_int_equal(second_finding("twice", quoted, roundup, NULL), 0);
}

static void test_alias_and_urls(void **state)
{
    (void)state;
    char out[256];
    assert_int_equal(
        dedup_canonical_url("HTTPS://Example.COM:443/a/amp/?utm_source=x&id=3&fbclid=z#f", out,
                            sizeof out),
        (int)strlen("https://example.com/a/?id=3"));
    assert_string_equal(out, "https://example.com/a/?id=3");
    dedup_canonical_url("http://amp.example.com/story.amp.html?amp=1", out, sizeof out);
    assert_string_equal(out, "http://example.com/story.html");
    dedup_canonical_url("http://x.org:8080", out, sizeof out);
    assert_string_equal(out, "http://x.org:8080/");
    assert_int_equal(dedup_canonical_url("no-scheme", out, sizeof out), FA_EINVAL);

    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, NULL, &e), 0);
    dedup_result r;
    /* the feed item's content, then the page at its link: one document */
    fa_buf frag;
    fa_buf_init(&frag, 1 << 20);
    paragraphs(&frag, 555, 6, 0);
    dedup_input item = {"https://f.example/feed#item1",
                        "https://f.example",
                        "https://f.example/s/1",
                        NULL,
                        NULL,
                        1,
                        DEDUP_HTML_FRAGMENT,
                        frag.data,
                        frag.len,
                        NULL};
    assert_int_equal(dedup_analyze(e, &item, &r), 0);
    uint32_t group = r.group;
    dedup_result_free(&r);
    char *p = page("f.example", 555, 6, 0, 0, 0);
    assert_int_equal(analyze(e, "https://f.example/s/1?utm_medium=rss", "sha1:F",
                             "https://f.example/s/1", p, 2, &r),
                     0);
    assert_int_equal(r.n_findings, 0);
    assert_int_equal(r.group, group);
    dedup_result_free(&r);
    /* a tracking-parameter variant is recognised without fetching */
    uint32_t doc;
    char u[256], rid[64];
    assert_int_equal(dedup_engine_lookup_url(e, "https://f.example/s/1?utm_campaign=z", &doc, u,
                                             sizeof u, rid, sizeof rid),
                     0);
    assert_string_equal(u, "https://f.example/s/1?utm_medium=rss");
    assert_int_equal(dedup_engine_lookup_url(e, "https://f.example/s/2", &doc, NULL, 0, NULL, 0),
                     FA_ENOENT);
    /* another site copying it is a near duplicate of the group */
    char *q = page("g.example", 555, 6, 0, 0, 0);
    assert_int_equal(analyze(e, "https://g.example/copy", "sha1:G", NULL, q, 3, &r), 0);
    const dedup_finding *f = find(&r, DEDUP_NEAR);
    assert_non_null(f);
    dedup_result_free(&r);
    free(p), free(q);
    fa_buf_free(&frag);
    dedup_engine_close(e);
}

static void test_persistence(void **state)
{
    (void)state;
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, NULL, &e), 0);
    dedup_result r;
    for (unsigned i = 0; i < 50; i++) {
        char *p = page("p.example", 7000 + i, 6, 0, 0, 0);
        char url[64], dg[32];
        snprintf(url, sizeof url, "https://p.example/%u", i);
        snprintf(dg, sizeof dg, "sha1:P%u", i);
        assert_int_equal(analyze(e, url, dg, NULL, p, i, &r), 0);
        dedup_result_free(&r);
        free(p);
    }
    dedup_engine_close(e);
    /* a second process opening the same folder is refused while open */
    assert_int_equal(dedup_engine_open(dir, NULL, &e), 0);
    dedup_engine *e2;
    assert_int_equal(dedup_engine_open(dir, NULL, &e2), FA_EACCES);
    assert_int_equal(dedup_engine_count(e), 50);
    char *p = page("q.example", 7010, 6, 0, 0, 0);
    assert_int_equal(analyze(e, "https://q.example/z", "sha1:P20", NULL, p, 99, &r), 0);
    assert_non_null(find(&r, DEDUP_EXACT));
    assert_string_equal(find(&r, DEDUP_EXACT)->url, "https://p.example/20");
    const dedup_finding *f = find(&r, DEDUP_NEAR);
    assert_null(f); /* an exact duplicate is only that */
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://q.example/w", "sha1:Q", NULL, p, 100, &r), 0);
    f = find(&r, DEDUP_NEAR);
    assert_non_null(f);
    assert_string_equal(f->url, "https://p.example/10");
    dedup_result_free(&r);
    free(p);
    dedup_engine_close(e);
    /* a foreign file is refused */
    char path[128];
    snprintf(path, sizeof path, "%s/other", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/other/dedup.idx", dir);
    FILE *fp = fopen(path, "w");
    fputs("not an index at all, really not, no no no no no no no no no no no", fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/other", dir);
    assert_int_equal(dedup_engine_open(path, NULL, &e), FA_ECORRUPT);
}

static void test_kill9(void **state)
{
    (void)state;
    for (int round = 0; round < 5; round++) {
        int ready[2];
        assert_int_equal(pipe(ready), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(ready[0]);
            dedup_engine *e;
            if (dedup_engine_open(dir, NULL, &e) < 0) _exit(2);
            for (unsigned i = 0;; i++) {
                if (i == 3 && write(ready[1], "r", 1) != 1) _exit(3);
                char *p = page("k.example", (uint64_t)round * 100000 + i, 6, 0, 0, 0);
                char url[64];
                snprintf(url, sizeof url, "https://k.example/%d/%u", round, i);
                dedup_result r;
                dedup_document_analyze(e, url, NULL, NULL, p, strlen(p), i, &r);
                dedup_result_free(&r);
                free(p);
            }
        }
        /* killed at some point after its third insert */
        close(ready[1]);
        char ch;
        assert_int_equal(read(ready[0], &ch, 1), 1);
        close(ready[0]);
        usleep(1000 + 7000 * (useconds_t)round);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        assert_true(WIFSIGNALED(st));
        /* tear the tail on purpose on odd rounds */
        if (round % 2) {
            char path[128];
            snprintf(path, sizeof path, "%s/dedup.idx", dir);
            FILE *fp = fopen(path, "ab");
            fputs("DDRC torn", fp);
            fclose(fp);
        }
        dedup_engine *e;
        assert_int_equal(dedup_engine_open(dir, NULL, &e), 0);
        uint32_t n = dedup_engine_count(e);
        assert_true(n > 0);
        /* every stored document still answers */
        dedup_result r;
        char *p = page("k2.example", (uint64_t)round * 100000, 6, 0, 0, 0);
        assert_int_equal(
            dedup_document_analyze(e, "https://k2.example/x", NULL, NULL, p, strlen(p), 9999, &r),
            0);
        assert_non_null(find(&r, DEDUP_NEAR));
        dedup_result_free(&r);
        free(p);
        dedup_engine_close(e);
    }
}

/* dedup_examine changes nothing until dedup_insert; a pending document is
 * found by the next examination (its doc UINT32_MAX) and dropped from
 * sight when its result is freed without an insert (its archiving failed). */
static void test_examine_then_insert(void **state)
{
    (void)state;
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, NULL, &e), 0);
    char *a = page("a.example", 7, 8, 0, 0, 0);
    char *b = page("b.example", 7, 7, 0, 71, 1); /* a's story, edited */
    dedup_input ia = {"https://a.example/7", NULL, NULL,      "sha1:A7", "<urn:uuid:a>", 10,
                      DEDUP_HTML_PAGE,       a,    strlen(a), NULL};
    dedup_input ib = {"https://b.example/7", NULL, NULL,      "sha1:B7", "<urn:uuid:b>", 11,
                      DEDUP_HTML_PAGE,       b,    strlen(b), NULL};
    dedup_input ia2 = ia; /* a's exact payload at another URL */
    ia2.url = "https://c.example/7";
    ia2.record_id = "<urn:uuid:c>";

    /* a examined: nothing in the index; b, examined while a is pending,
     * finds it */
    dedup_result ra, rb, rc2;
    assert_int_equal(dedup_examine(e, &ia, &ra), 0);
    assert_int_equal(ra.n_findings, 0);
    assert_int_equal(ra.doc, UINT32_MAX);
    assert_int_equal(dedup_engine_count(e), 0);
    assert_int_equal(dedup_engine_lookup_url(e, ia.url, NULL, NULL, 0, NULL, 0), FA_ENOENT);
    assert_int_equal(dedup_examine(e, &ib, &rb), 0);
    const dedup_finding *f = find(&rb, DEDUP_NEAR);
    assert_non_null(f);
    assert_int_equal(f->doc, UINT32_MAX);
    assert_string_equal(f->url, ia.url);
    assert_string_equal(f->record_id, "<urn:uuid:a>");
    assert_int_equal(dedup_examine(e, &ia2, &rc2), 0);
    f = find(&rc2, DEDUP_EXACT);
    assert_non_null(f);
    assert_string_equal(f->url, ia.url);
    dedup_result_free(&rc2);

    /* a's archiving failed: freed without an insert, it is gone */
    dedup_result_free(&ra);
    assert_int_equal(dedup_engine_count(e), 0);
    assert_int_equal(dedup_insert(e, &rb), 0);
    assert_int_not_equal(rb.doc, UINT32_MAX);
    uint32_t b_doc = rb.doc;
    assert_int_equal(dedup_insert(e, &rb), FA_EINVAL); /* once */
    dedup_result_free(&rb);
    assert_int_equal(dedup_engine_count(e), 1);

    /* a again: its only finding is b, now in the index */
    assert_int_equal(dedup_examine(e, &ia, &ra), 0);
    assert_int_equal(ra.n_findings, 1);
    assert_int_equal(ra.findings[0].doc, b_doc);
    assert_int_equal(dedup_insert(e, &ra), 0);
    dedup_result_free(&ra);
    assert_int_equal(dedup_engine_count(e), 2);
    assert_int_equal(dedup_engine_lookup_url(e, ia.url, NULL, NULL, 0, NULL, 0), 0);

    /* a result still pending at close is dropped; freeing it later is safe */
    assert_int_equal(dedup_examine(e, &ia2, &rc2), 0);
    dedup_engine_close(e);
    dedup_result_free(&rc2);
    assert_int_equal(dedup_engine_open(dir, NULL, &e), 0);
    assert_int_equal(dedup_engine_count(e), 2);
    dedup_engine_close(e);
    free(a), free(b);
}

/* A document inserted while another's candidates are measured outside
 * the lock (between its presearch and its lookup) is still found by it:
 * the lookup measures what was inserted since (the engine's ring).  The
 * options' between hook analyses B at that moment; A, a copy of B's story,
 * must name B. */
typedef struct between_arg {
    dedup_engine *e;
    const char *html_b;
    int calls, rc;
    unsigned others; /* unrelated documents inserted before B, in between */
    dedup_result rb;
} between_arg;

static void analyse_b_between(void *ud)
{
    between_arg *a = ud;
    if (a->calls++) return; /* the others' and B's own presearch: nothing in between */
    for (unsigned i = 0; i < a->others; i++) {
        char url[64];
        snprintf(url, sizeof url, "https://c.example/%u", i);
        char *html = page("c.example", 9000 + i, 4, 0, 0, 0);
        dedup_result r;
        assert_int_equal(analyze(a->e, url, NULL, NULL, html, 1, &r), 0);
        dedup_result_free(&r);
        free(html);
    }
    a->rc = analyze(a->e, "https://b.example/story", NULL, NULL, a->html_b, 2, &a->rb);
}

static void inserted_during_lookup(unsigned others)
{
    char *html_a = page("a.example", 777, 6, 0, 0, 0);
    char *html_b = page("b.example", 777, 6, 0, 0, 0);
    between_arg arg = {.html_b = html_b, .others = others};
    dedup_options o = {0};
    o.between = analyse_b_between;
    o.between_ud = &arg;
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    arg.e = e;
    dedup_result ra;
    assert_int_equal(analyze(e, "https://a.example/story", NULL, NULL, html_a, 3, &ra), 0);
    assert_int_equal(arg.calls, 2 + (int)others);
    assert_int_equal(arg.rc, 0);
    assert_int_equal(arg.rb.n_findings, 0); /* A was neither in the index nor pending */
    const dedup_finding *f = find(&ra, DEDUP_NEAR);
    assert_non_null(f);
    assert_string_equal(f->url, "https://b.example/story");
    assert_int_equal(dedup_engine_count(e), 2 + others);
    dedup_result_free(&ra);
    dedup_result_free(&arg.rb);
    dedup_engine_close(e);
    free(html_a);
    free(html_b);
}

static void test_inserted_during_lookup(void **state)
{
    (void)state;
    inserted_during_lookup(0);
}

/* More inserted in between than the ring holds (64): the lookup reads the
 * index's candidates again, under the lock, and still names B. */
static void test_many_inserted_during_lookup(void **state)
{
    (void)state;
    inserted_during_lookup(80);
}

typedef struct thread_arg {
    dedup_engine *e;
    unsigned id;
    unsigned near_found;
    int examine; /* dedup_examine, a pause (the archive write), dedup_insert */
} thread_arg;

static void *worker(void *p)
{
    thread_arg *a = p;
    for (unsigned i = 0; i < 40; i++) {
        /* stories 0..39 are published by every thread's site */
        char *html = page("w.example", 50000 + i, 6, 0, 0, 0);
        char url[64];
        snprintf(url, sizeof url, "https://w%u.example/%u", a->id, i);
        dedup_input in = {url,  NULL,         NULL, NULL, NULL, i, DEDUP_HTML_PAGE,
                          html, strlen(html), NULL};
        dedup_result r;
        if (a->examine) {
            if (dedup_examine(a->e, &in, &r) == 0) {
                if (find(&r, DEDUP_NEAR)) a->near_found++;
                usleep(200);                  /* the others examine their copies meanwhile */
                (void)dedup_insert(a->e, &r); /* counted below */
            }
        } else if (dedup_analyze(a->e, &in, &r) == 0 && find(&r, DEDUP_NEAR)) {
            a->near_found++;
        }
        dedup_result_free(&r);
        free(html);
    }
    return NULL;
}

static void run_threads(int examine)
{
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, NULL, &e), 0);
    enum { T = 4 };
    pthread_t th[T];
    thread_arg args[T];
    for (unsigned t = 0; t < T; t++) {
        args[t] = (thread_arg){e, t, 0, examine};
        pthread_create(&th[t], NULL, worker, &args[t]);
    }
    unsigned total = 0;
    for (unsigned t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        total += args[t].near_found;
    }
    /* each story: exactly one first copy, the other T-1 found as near */
    assert_int_equal(total, 40 * (T - 1));
    assert_int_equal(dedup_engine_count(e), 40 * T);
    dedup_engine_close(e);
}

static void test_threads(void **state)
{
    (void)state;
    run_threads(0);
}

/* The same with the insert apart from the examination: two copies examined
 * at once still find each other (the pending documents). */
static void test_threads_examine(void **state)
{
    (void)state;
    run_threads(1);
}

/* Near copies examined side by side: 1000 pairs (a story and its copy on
 * another site, the copy sometimes one paragraph longer), the two of a
 * pair next to each other in one work list that 4 threads take from, so
 * that they are mostly examined at the same moment while the others read
 * and write the index; each item analysed (lookup and insert in one
 * critical section) or examined, paused and inserted, at random.  Of each
 * pair exactly one - whichever came second - names the other (in the
 * index, inserted while it measured, or pending). */
enum { SBS_PAIRS = 1000, SBS_THREADS = 4 };

typedef struct sbs_item {
    char url[48], partner[48];
    char *html;
    unsigned examine, pause_us;
    int found;      /* names its partner */
    int found_open; /* ... while the partner was pending */
} sbs_item;

typedef struct sbs_run {
    dedup_engine *e;
    sbs_item *items;
    unsigned n;
    unsigned next; /* atomically taken */
    int errors;
} sbs_run;

static void *sbs_worker(void *p)
{
    sbs_run *run = p;
    for (;;) {
        unsigned i = __atomic_fetch_add(&run->next, 1, __ATOMIC_RELAXED);
        if (i >= run->n) break;
        sbs_item *it = &run->items[i];
        dedup_input in = {it->url, NULL, NULL, NULL, "<urn:uuid:x>", (int64_t)i, DEDUP_HTML_PAGE,
                          it->html, strlen(it->html), NULL};
        dedup_result r;
        int rc = it->examine ? dedup_examine(run->e, &in, &r) : dedup_analyze(run->e, &in, &r);
        if (rc == 0)
            for (size_t k = 0; k < r.n_findings; k++)
                if (strcmp(r.findings[k].url, it->partner) == 0) {
                    it->found = 1;
                    it->found_open = r.findings[k].doc == UINT32_MAX;
                }
        if (rc == 0 && it->examine) {
            if (it->pause_us) usleep(it->pause_us); /* the archive write */
            rc = dedup_insert(run->e, &r);
        }
        if (rc < 0) __atomic_fetch_add(&run->errors, 1, __ATOMIC_RELAXED);
        dedup_result_free(&r);
        if ((i & 7) == 0) sched_yield();
    }
    return NULL;
}

static void test_near_copies_side_by_side(void **state)
{
    (void)state;
    sbs_run run = {0};
    run.n = 2 * SBS_PAIRS;
    run.items = calloc(run.n, sizeof *run.items);
    assert_non_null(run.items);
    uint64_t x = 0x5eed1234abcdull;
    for (unsigned p = 0; p < SBS_PAIRS; p++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t story = 700000 + p;
        unsigned first = (unsigned)(x & 1); /* which of the two comes first in the list */
        sbs_item *a = &run.items[2 * p + first], *b = &run.items[2 * p + !first];
        snprintf(a->url, sizeof a->url, "https://sa%u.example/%u", p % 5, p);
        snprintf(b->url, sizeof b->url, "https://sb%u.example/%u", p % 3, p);
        memcpy(a->partner, b->url, sizeof a->partner);
        memcpy(b->partner, a->url, sizeof b->partner);
        char sa[32], sb[32];
        snprintf(sa, sizeof sa, "sa%u.example", p % 5);
        snprintf(sb, sizeof sb, "sb%u.example", p % 3);
        a->html = page(sa, story, 8, 0, 0, 0);
        b->html = (x >> 8) % 3 == 0 ? page(sb, story, 8, 0, story + 99991, 1) /* longer */
                                    : page(sb, story, 8, 0, 0, 0);
        a->examine = (unsigned)(x >> 16) & 1, b->examine = (unsigned)(x >> 17) & 1;
        a->pause_us = (unsigned)(x >> 20) % 300, b->pause_us = (unsigned)(x >> 30) % 300;
    }
    assert_int_equal(dedup_engine_open(dir, NULL, &run.e), 0);
    pthread_t th[SBS_THREADS];
    for (int t = 0; t < SBS_THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, sbs_worker, &run), 0);
    for (int t = 0; t < SBS_THREADS; t++)
        pthread_join(th[t], NULL);
    assert_int_equal(run.errors, 0);
    assert_int_equal(dedup_engine_count(run.e), run.n);
    unsigned missed = 0, both = 0, open = 0;
    for (unsigned p = 0; p < SBS_PAIRS; p++) {
        const sbs_item *a = &run.items[2 * p], *b = &run.items[2 * p + 1];
        missed += !a->found && !b->found;
        both += a->found && b->found;
        open += a->found_open || b->found_open;
    }
    print_message("%u pairs: %u missed, %u found by both, %u found while the other was pending\n",
                  (unsigned)SBS_PAIRS, missed, both, open);
    assert_int_equal(missed, 0);
    assert_int_equal(both, 0);
    dedup_engine_close(run.e);
    for (unsigned i = 0; i < run.n; i++)
        free(run.items[i].html);
    free(run.items);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_record_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_cache_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anchor_postings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anchors_of_short_documents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_candidates_counters_start_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_candidates_count_every_document, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_anchors_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hangul_block_anchors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_stories_carried_before, setup, teardown),
        cmocka_unit_test(test_rank_candidates_selects_the_best),
        cmocka_unit_test_setup_teardown(test_candidates_stock_anchors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_candidates_unique_anchor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_findings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_containment_both_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boilerplate_learning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_host_note_not_carried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_story_carried_on_three_roundups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_story_first_not_carried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trimmed_copy_near, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_copy_under_floor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_copies_edited_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_copies_chars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_copies_words_headline_itself, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_carried_under_floor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_carried_chars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sub_floor_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fuller_copy_not_container, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trimmed_carried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_beside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_far_match_not_a_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roundups_share_a_story, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_after_own_story, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alias_and_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_examine_then_insert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_examine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inserted_during_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_inserted_during_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_near_copies_side_by_side, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
