/*
 * bench_dedup.c - speed, index size and signature measurements for dedup/.
 *
 *   bench_dedup speed            extraction MB/s of HTML; normalisation,
 *                                shingling+sketch, shingling+OPH MinHash,
 *                                SimHash MB/s of extracted text, beside raw
 *                                XXH3 over the same bytes (one core)
 *   bench_dedup signature        quality per shingle size, sample rate and
 *                                signature (sketch / OPH MinHash / SimHash)
 *                                on the labelled corpora (tests/dedup/corpus.c)
 *   bench_dedup quality          the quality table (both generators, 3 seeds)
 *   bench_dedup edits [STORIES [SEEDS [NEAR [CONTAIN [NOVEL [HEAD [SENT [SENT_CHARS
 *                     [STOCK [RATIO [SENT_HANGUL [FLOOR [FLOOR_CHARS [FLOOR_SHORT
 *                     [FLOOR_HANGUL [SHORT_RES [NEAR_CHARS]]]]]]]]]]]]]]]]]
 *                                (confirmation thresholds, "-" = default;
 *                                BENCH_NO_CONFIRM=1: the sketch-only engine;
 *                                BENCH_LANGS=03: English and Korean only;
 *                                BENCH_SEED_BASE=K: seeds K+1..K+SEEDS;
 *                                BENCH_NEAR_COPY=X: confirm_near_copy;
 *                                DEDUP_CORPUS_TRACE=FILE: every candidate
 *                                with its measures, and the truth, for
 *                                offline analysis - tests/dedup/corpus.c)
 *                                the combined-edits corpora (issue 13), four
 *                                languages: P/R overall, per edit kind, per
 *                                hard-negative kind
 *   bench_dedup cost [ROUNDS]    CPU microseconds of dedup_analyze per page
 *                                (BENCH_NO_CONFIRM=1: the sketch-only engine)
 *   bench_dedup index N DIR      N documents through the file index the way
 *                                the engine drives it (lookup candidates,
 *                                verify, insert): docs/s, RSS, table bytes,
 *                                reopen time
 *   bench_dedup redis N [edits]  (issue 15) N generated news pages through
 *                                the engine on the Redis index (a
 *                                redis-server of its own on loopback):
 *                                Redis memory per document and per key
 *                                kind, commands sent and run per page,
 *                                ms per page, Redis's CPU per page
 * Run from a RelWithDebInfo build; numbers go to docs/BENCHMARKS.md.
 */
#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "dedup/dedup_engine.h"
#include "dedup/shingle.h"
#include "dedup/signature.h"
#include "dedup/text_extract.h"
#include "dedup/text_norm.h"
#include "tests/dedup/corpus.h"
#include "tests/redis/redis_test_util.h"

#include <hiredis/hiredis.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long rss_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, strlen(field)) == 0) v = atol(line + strlen(field) + 1);
    if (f) fclose(f);
    return v;
}

typedef struct texts {
    fa_buf all; /* normalised blocks, NUL-separated */
    size_t *off, *len;
    size_t n, cap;
    size_t *doc_first; /* first block of each doc */
    size_t n_docs;
} texts;

static void add_text(texts *t, const char *s, size_t len)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4096;
        t->off = realloc(t->off, t->cap * sizeof *t->off);
        t->len = realloc(t->len, t->cap * sizeof *t->len);
    }
    t->off[t->n] = t->all.len;
    t->len[t->n] = len;
    fa_buf_append(&t->all, s, len);
    fa_buf_append(&t->all, "", 1);
    t->n++;
}

static int cmd_speed(void)
{
    texts t = {0};
    fa_buf_init(&t.all, (size_t)1 << 31);
    size_t html_bytes = 0;
    double t_extract = 0;
    fa_buf raw;
    fa_buf_init(&raw, (size_t)1 << 31);
    size_t raw_n = 0;
    for (uint32_t seed = 1; html_bytes < (64u << 20); seed++) {
        corpus c;
        if (corpus_generate((int)(seed % 2), seed, 40, &c) < 0) return 1;
        for (size_t i = 0; i < c.n_docs; i++) {
            double t0 = now();
            text_doc *d;
            if (text_extract_html(c.docs[i].html, c.docs[i].len, NULL, &d) < 0) return 1;
            t_extract += now() - t0;
            html_bytes += c.docs[i].len;
            for (size_t k = 0; k < d->n_blocks; k++)
                if (d->blocks[k].cls == TEXT_CONTENT) {
                    fa_buf_append(&raw, d->blocks[k].text, d->blocks[k].len);
                    fa_buf_append(&raw, "\n", 1);
                    raw_n++;
                }
            fa_buf_append(&raw, "\f", 1); /* document boundary */
            text_doc_free(d);
        }
        corpus_free(&c);
    }
    /* normalisation */
    double t0 = now();
    const char *p = raw.data, *end = raw.data + raw.len;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (e == NULL) e = end;
        if (*p == '\f') {
            if (t.n_docs % 1024 == 0)
                t.doc_first = realloc(t.doc_first, (t.n_docs + 1024) * sizeof *t.doc_first);
            t.doc_first[t.n_docs++] = t.n;
            p++;
            continue;
        }
        size_t at = t.all.len;
        text_normalize(p, (size_t)(e - p), &t.all);
        size_t nl = t.all.len - at;
        t.all.len = at;
        add_text(&t, t.all.data + at, nl); /* (overlapping copy is the same bytes) */
        p = e + 1;
    }
    double t_norm = now() - t0;
    size_t text_bytes = 0;
    for (size_t i = 0; i < t.n; i++)
        text_bytes += t.len[i];
    printf("HTML: %.1f MB in %zu docs; main text %.1f MB (%zu blocks)\n", (double)html_bytes / 1e6,
           t.n_docs, (double)text_bytes / 1e6, t.n);
    printf("%-40s %8.1f MB/s of HTML\n", "extraction (libxml2 SAX + classifier)",
           (double)html_bytes / 1e6 / t_extract);
    printf("%-40s %8.1f MB/s of text\n", "normalisation (NFKC+casefold)",
           (double)raw.len / 1e6 / t_norm);
    /* raw XXH3 over the same bytes, block by block */
    uint64_t sink = 0;
    double best = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        t0 = now();
        for (size_t i = 0; i < t.n; i++)
            sink += XXH3_64bits(t.all.data + t.off[i], t.len[i]);
        double dt = now() - t0;
        if (dt < best) best = dt;
    }
    printf("%-40s %8.1f MB/s\n", "raw XXH3-64 over the same blocks",
           (double)text_bytes / 1e6 / best);
    /* shingling + sketch per document, as the engine does */
    for (unsigned n = 3; n <= 6; n++) {
        shingle_vec v;
        shingle_vec_init(&v, 0);
        shingle_sketch sk = {0};
        uint32_t mh[128];
        double b1 = 1e9, b2 = 1e9, b3 = 1e9;
        for (int mode = 0; mode < 3; mode++)
            for (int rep = 0; rep < 3; rep++) {
                t0 = now();
                for (size_t d = 0; d < t.n_docs; d++) {
                    size_t from = t.doc_first[d], to = d + 1 < t.n_docs ? t.doc_first[d + 1] : t.n;
                    shingler s;
                    shingler_init(&s, n, 0);
                    shingle_vec_reset(&v);
                    for (size_t i = from; i < to; i++)
                        shingler_feed(&s, t.all.data + t.off[i], t.len[i], (uint32_t)(i - from),
                                      &v);
                    shingler_finish(&s, &v);
                    if (mode == 0)
                        shingle_sketch_build(&sk, v.hash, v.n, 4, 4096);
                    else if (mode == 1)
                        minhash_oph(v.hash, v.n, 128, mh);
                    else
                        sink += simhash64(v.hash, v.n);
                    sink += sk.n + mh[0];
                }
                double dt = now() - t0;
                double *b = mode == 0 ? &b1 : mode == 1 ? &b2 : &b3;
                if (dt < *b) *b = dt;
            }
        printf("n=%u %-36s %8.1f MB/s\n", n, "shingles + sketch (rate 1/4)",
               (double)text_bytes / 1e6 / b1);
        printf("n=%u %-36s %8.1f MB/s\n", n, "shingles + OPH MinHash k=128",
               (double)text_bytes / 1e6 / b2);
        printf("n=%u %-36s %8.1f MB/s\n", n, "shingles + SimHash-64",
               (double)text_bytes / 1e6 / b3);
        shingle_vec_free(&v);
        shingle_sketch_free(&sk);
    }
    fprintf(stderr, "(%llu)\n", (unsigned long long)(sink & 1));
    return 0;
}

/* ---- signatures compared on labelled pairs ---- */

typedef struct docsig {
    shingle_sketch sk;
    uint32_t mh[128];
    uint64_t sim;
} docsig;

static double best_f1(const double *pos, size_t np, const double *neg, size_t nn, double *thr)
{
    double best = 0;
    for (double t = 0.05; t <= 1.0; t += 0.01) {
        size_t tp = 0, fp = 0;
        for (size_t i = 0; i < np; i++)
            tp += pos[i] >= t;
        for (size_t i = 0; i < nn; i++)
            fp += neg[i] >= t;
        double p = tp + fp ? (double)tp / (double)(tp + fp) : 0,
               r = np ? (double)tp / (double)np : 0;
        double f = p + r ? 2 * p * r / (p + r) : 0;
        if (f > best) best = f, *thr = t;
    }
    return best;
}

static int cmd_signature(void)
{
    printf("shingle n / sample rate: engine quality (mean of 2 generators x 3 seeds)\n");
    printf("%-4s %-5s %-9s %-9s %-9s\n", "n", "rate", "near F1", "cont F1", "hardneg FP");
    for (unsigned n = 3; n <= 6; n++)
        for (unsigned rate = 4; rate <= 8; rate *= 2) {
            double nf = 0, cf = 0, hf = 0;
            int k = 0;
            for (int g = 0; g < 2; g++)
                for (uint32_t seed = 101; seed < 104; seed++) {
                    corpus c;
                    corpus_generate(g, seed, 40, &c);
                    char dir[] = "/tmp/fa-bench-sig-XXXXXX";
                    if (!mkdtemp(dir)) return 1;
                    dedup_options o = {0};
                    o.shingle_n = n;
                    o.sample_rate = rate;
                    corpus_score s;
                    corpus_score_run(&c, dir, &o, &s);
                    nf += s.near.f1, cf += s.contain.f1, hf += s.hardneg_fp_rate;
                    k++;
                    char cmd[128];
                    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
                    if (system(cmd) != 0) return 1;
                    corpus_free(&c);
                }
            printf("%-4u 1/%-3u %-9.3f %-9.3f %.3f%%\n", n, rate, nf / k, cf / k, 100 * hf / k);
        }
    /* the three signatures on the same pairs (main text shingles, n=4) */
    printf("\nsignature comparison on labelled pairs (n=4): best-threshold F1, near pairs vs "
           "hard negatives; containment estimate error on (aggregator, article) pairs\n");
    double *pos[3] = {0}, *neg[3] = {0}, cerr[3] = {0};
    size_t np = 0, nn = 0, nc = 0, cap = 0, capn = 0;
    for (int g = 0; g < 2; g++)
        for (uint32_t seed = 201; seed < 204; seed++) {
            corpus c;
            corpus_generate(g, seed, 40, &c);
            docsig *ds = calloc(c.n_docs, sizeof *ds);
            shingle_vec v;
            shingle_vec_init(&v, 0);
            fa_buf nb;
            fa_buf_init(&nb, 1 << 26);
            for (size_t i = 0; i < c.n_docs; i++) {
                text_doc *d;
                text_extract_html(c.docs[i].html, c.docs[i].len, NULL, &d);
                shingler s;
                shingler_init(&s, 4, 0);
                shingle_vec_reset(&v);
                for (size_t k = 0; k < d->n_blocks; k++)
                    if (d->blocks[k].cls == TEXT_CONTENT) {
                        fa_buf_reset(&nb);
                        text_normalize(d->blocks[k].text, d->blocks[k].len, &nb);
                        shingler_feed(&s, nb.data ? nb.data : "", nb.len, (uint32_t)k, &v);
                    }
                shingler_finish(&s, &v);
                shingle_sketch_build(&ds[i].sk, v.hash, v.n, 4, 0);
                minhash_oph(v.hash, v.n, 128, ds[i].mh);
                ds[i].sim = simhash64(v.hash, v.n);
                text_doc_free(d);
            }
            for (int which = 0; which < 2; which++) {
                const corpus_pairs *pp = which ? &c.hardneg : &c.near;
                for (size_t i = 0; i < pp->n; i++) {
                    const docsig *a = &ds[pp->v[i].a], *b = &ds[pp->v[i].b];
                    uint32_t cm = sketch_common(a->sk.v, a->sk.n, b->sk.v, b->sk.n);
                    double v3[3] = {sketch_resemblance(a->sk.n, b->sk.n, cm),
                                    minhash_similarity(a->mh, b->mh, 128),
                                    1.0 - simhash_distance(a->sim, b->sim) / 32.0};
                    size_t *cnt = which ? &nn : &np;
                    size_t *cp = which ? &capn : &cap;
                    if (*cnt == *cp) {
                        *cp = *cp ? *cp * 2 : 1024;
                        for (int m = 0; m < 3; m++) {
                            double **arr = which ? &neg[m] : &pos[m];
                            *arr = realloc(*arr, *cp * sizeof **arr);
                        }
                    }
                    for (int m = 0; m < 3; m++)
                        (which ? neg[m] : pos[m])[*cnt] = v3[m];
                    (*cnt)++;
                }
            }
            for (size_t i = 0; i < c.contain.n; i++) {
                const docsig *a = &ds[c.contain.v[i].a], *b = &ds[c.contain.v[i].b];
                uint32_t cm = sketch_common(a->sk.v, a->sk.n, b->sk.v, b->sk.n);
                double truth = 1.0; /* the article is carried whole */
                double est_sk = sketch_containment(b->sk.n, cm);
                /* from MinHash: J and the sizes (as MinHash-only systems do) */
                double j = minhash_similarity(a->mh, b->mh, 128);
                double sa = (double)a->sk.distinct, sb = (double)b->sk.distinct;
                double est_mh = sb > 0 ? j * (sa + sb) / ((1 + j) * sb) : 0;
                cerr[0] += (est_sk - truth) * (est_sk - truth);
                cerr[1] += (est_mh - truth) * (est_mh - truth);
                nc++;
            }
            for (size_t i = 0; i < c.n_docs; i++)
                shingle_sketch_free(&ds[i].sk);
            free(ds);
            shingle_vec_free(&v);
            fa_buf_free(&nb);
            corpus_free(&c);
        }
    const char *names[3] = {"consistent sample sketch (1/4)", "OPH MinHash k=128", "SimHash-64"};
    for (int m = 0; m < 3; m++) {
        double thr = 0;
        double f = best_f1(pos[m], np, neg[m], nn, &thr);
        double minpos = 1, maxneg = 0;
        for (size_t i = 0; i < np; i++)
            minpos = pos[m][i] < minpos ? pos[m][i] : minpos;
        for (size_t i = 0; i < nn; i++)
            maxneg = neg[m][i] > maxneg ? neg[m][i] : maxneg;
        printf("%-32s near-vs-hardneg F1 %.3f at %.2f; min near %.3f, max hard negative %.3f",
               names[m], f, thr, minpos, maxneg);
        if (m < 2) printf("; containment RMSE %.3f", nc ? sqrt(cerr[m] / (double)nc) : 0);
        printf("\n");
        free(pos[m]);
        free(neg[m]);
    }
    printf("(%zu near pairs, %zu hard-negative pairs, %zu containment pairs)\n", np, nn, nc);
    return 0;
}

static int cmd_quality(void)
{
    printf("| generator | seed | docs | near P/R/F1 | containment P/R/F1 | exact P/R/F1 | "
           "hard-neg FP | extraction word F1 |\n|---|---|---|---|---|---|---|---|\n");
    for (int g = 0; g < 2; g++)
        for (uint32_t seed = 1; seed <= 3; seed++) {
            corpus c;
            if (corpus_generate(g, seed * 1000 + 7, 60, &c) < 0) return 1;
            char dir[] = "/tmp/fa-bench-q-XXXXXX";
            if (!mkdtemp(dir)) return 1;
            corpus_score s;
            if (corpus_score_run(&c, dir, NULL, &s) < 0) return 1;
            printf("| %s | %u | %zu | %.3f/%.3f/%.3f | %.3f/%.3f/%.3f | %.3f/%.3f/%.3f | %zu/%zu "
                   "(%.2f%%) | %.3f |\n",
                   g ? "1 markets" : "0 civic", seed * 1000 + 7, c.n_docs, s.near.precision,
                   s.near.recall, s.near.f1, s.contain.precision, s.contain.recall, s.contain.f1,
                   s.exact.precision, s.exact.recall, s.exact.f1, s.hardneg_fp, s.hardneg_pairs,
                   100 * s.hardneg_fp_rate, s.extract_f1);
            char cmd[128];
            snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
            if (system(cmd) != 0) return 1;
            corpus_free(&c);
        }
    return 0;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd64(void)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return rng_state;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* N synthetic documents (sketches of 125 values, an article of ~500
 * words at rate 1/4; 5% are near copies of an earlier document) through
 * the index exactly as the engine drives it. */
static int cmd_index(unsigned long n, const char *dir)
{
    dedup_index_params p = {4, 4, 0};
    dedup_index *ix;
    int rc = dedup_file_index_open(dir, &p, NULL, &ix);
    if (rc < 0) {
        fprintf(stderr, "open %s: %s\n", dir, fa_strerror(rc));
        return 1;
    }
    long rss0 = rss_kib("VmRSS:");
    enum { K = 125, B = 12 };
    uint32_t sk[K], *keep = malloc(K * sizeof *keep * 64);
    uint64_t blocks[B];
    uint32_t bchars[B];
    dedup_candidate cand[64];
    char url[96], dg[48];
    unsigned long found = 0;
    double t0 = now(), tl = t0;
    for (unsigned long i = 0; i < n; i++) {
        int near = i > 100 && rnd64() % 20 == 0;
        if (near) { /* a copy of one of the last 64 kept, 10% changed */
            memcpy(sk, keep + (rnd64() % 64) * K, sizeof sk);
            for (int k = 0; k < K / 10; k++)
                sk[rnd64() % K] = (uint32_t)rnd64();
        } else {
            for (int k = 0; k < K; k++)
                sk[k] = (uint32_t)rnd64();
        }
        qsort(sk, K, sizeof *sk, cmp_u32);
        if (i % 16 == 0) memcpy(keep + ((i / 16) % 64) * K, sk, sizeof sk);
        for (int b = 0; b < B; b++)
            blocks[b] = b < 3 ? (uint64_t)b + (i % 1000) * 100 : rnd64(), bchars[b] = 200;
        int nc = ix->ops->candidates(ix, sk, K, cand, 64, 0, NULL);
        for (int c = 0; c < nc && c < 8; c++) {
            dedup_doc_record r;
            if (ix->ops->get_doc(ix, cand[c].doc, &r) == 0 &&
                sketch_common(sk, K, r.sketch, r.n_sketch) > K / 2)
                found++;
        }
        uint32_t cnt[B], hd;
        ix->ops->block_counts(ix, 1000 + i % 1000, blocks, B, cnt, &hd);
        snprintf(url, sizeof url, "https://site%lu.example/news/2025/story-%lu", i % 1000, i);
        snprintf(dg, sizeof dg, "sha1:%016llx%016llx", (unsigned long long)rnd64(),
                 (unsigned long long)i);
        dedup_doc_record rec = {0};
        rec.group = UINT32_MAX;
        rec.date = (int64_t)i;
        rec.host_key = 1000 + i % 1000;
        rec.digest_key = dedup_key(dg, strlen(dg));
        rec.url_key = dedup_key(url, strlen(url));
        rec.n_sketch = K;
        rec.sketch = sk;
        rec.n_blocks = B;
        rec.blocks = blocks;
        rec.block_chars = bchars;
        rec.url = url;
        rec.digest = dg;
        rec.record_id = "<urn:uuid:00000000-0000-0000-0000-000000000000>";
        rc = ix->ops->insert(ix, &rec);
        if (rc < 0) {
            fprintf(stderr, "insert: %s\n", fa_strerror(rc));
            return 1;
        }
        if ((i + 1) % 200000 == 0) {
            double t = now();
            printf("%8lu docs: %.0f docs/s (last 200k), RSS %.1f MiB, tables %.1f MiB\n", i + 1,
                   200000 / (t - tl), rss_kib("VmRSS:") / 1024.0, ix->ops->memory(ix) / 1048576.0);
            tl = t;
        }
    }
    double dt = now() - t0;
    printf("%lu docs in %.1f s: %.0f lookups+inserts/s; near copies found %lu (of ~%lu)\n", n, dt,
           n / dt, found, n / 20);
    printf("RSS %.1f MiB (start %.1f, peak %.1f); tables %.1f MiB = %.0f B/doc\n",
           rss_kib("VmRSS:") / 1024.0, rss0 / 1024.0, rss_kib("VmHWM:") / 1024.0,
           ix->ops->memory(ix) / 1048576.0, (double)ix->ops->memory(ix) / (double)n);
    ix->ops->close(ix);
    t0 = now();
    rc = dedup_file_index_open(dir, &p, NULL, &ix);
    printf("reopen (replay of the log): %.2f s, %u docs\n", now() - t0,
           rc == 0 ? ix->ops->count(ix) : 0);
    if (rc == 0) ix->ops->close(ix);
    free(keep);
    return 0;
}

/* The combined-edits corpora (corpus_generate_edits): every language,
 * several seeds; precision/recall overall, per edit kind and per hard-
 * negative kind.  o: engine options (thresholds) or NULL. */
typedef struct edits_total {
    corpus_score s;
    double seconds;
    size_t docs;
    double html_mb;
} edits_total;

static void add_prf(corpus_prf *a, const corpus_prf *b)
{
    a->tp += b->tp, a->fp += b->fp, a->fn += b->fn;
}

static void fin_prf(corpus_prf *p)
{
    p->precision = p->tp + p->fp ? (double)p->tp / (double)(p->tp + p->fp) : 1.0;
    p->recall = p->tp + p->fn ? (double)p->tp / (double)(p->tp + p->fn) : 1.0;
    p->f1 = p->precision + p->recall > 0 ? 2 * p->precision * p->recall / (p->precision + p->recall)
                                         : 0;
}

static void add_score(corpus_score *a, const corpus_score *b)
{
    add_prf(&a->near, &b->near), add_prf(&a->contain, &b->contain), add_prf(&a->exact, &b->exact);
    a->hardneg_pairs += b->hardneg_pairs, a->hardneg_fp += b->hardneg_fp;
    for (int k = 0; k < CORPUS_E_KINDS; k++)
        for (int j = 0; j < 2; j++)
            a->near_by_edit[k][j] += b->near_by_edit[k][j],
                a->contain_by_edit[k][j] += b->contain_by_edit[k][j];
    for (int k = 0; k < 8; k++)
        for (int j = 0; j < 2; j++)
            a->near_by_n[k][j] += b->near_by_n[k][j],
                a->contain_by_n[k][j] += b->contain_by_n[k][j];
    for (int k = 0; k < CORPUS_HN_KINDS; k++)
        for (int j = 0; j < 2; j++)
            a->hardneg_by_kind[k][j] += b->hardneg_by_kind[k][j];
    a->seconds += b->seconds;
    a->contain_via_exact += b->contain_via_exact;
}

static int run_edits(int lang, unsigned stories, unsigned n_seeds, const dedup_options *o,
                     edits_total *t)
{
    memset(t, 0, sizeof *t);
    /* BENCH_SEED_BASE=K: seeds K+1 .. K+n_seeds instead of 1 .. n_seeds,
     * to check a rule on corpora it was not chosen on */
    const char *base_env = getenv("BENCH_SEED_BASE");
    uint32_t base = base_env ? (uint32_t)strtoul(base_env, NULL, 10) : 0;
    for (uint32_t seed = base + 1; seed <= base + n_seeds; seed++) {
        corpus c;
        if (corpus_generate_edits(lang, seed * 7919 + (uint32_t)lang, stories, &c) < 0) return -1;
        char dir[] = "/tmp/fa-bench-e-XXXXXX";
        if (!mkdtemp(dir)) return -1;
        corpus_score s;
        int rc = corpus_score_run(&c, dir, o, &s);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0 || rc < 0) return -1;
        add_score(&t->s, &s);
        t->docs += c.n_docs;
        t->html_mb += (double)c.html_bytes / 1e6;
        corpus_free(&c);
    }
    fin_prf(&t->s.near), fin_prf(&t->s.contain), fin_prf(&t->s.exact);
    return 0;
}

static const char *const lang_names[] = {"English", "Japanese", "Chinese", "Korean"};

static double ratio(const size_t v[2])
{
    return v[0] ? (double)v[1] / (double)v[0] : 1.0;
}

/* One table of recall per number of edits (0-7+) per language: of the
 * near pairs (contain 0) or of the carried stories (contain 1). */
static void by_edits_table(const char *title, const edits_total t[4], int contain)
{
    printf("\n%s:\n\n| edits |", title);
    for (int l = 0; l < 4; l++)
        printf(" %s |", lang_names[l]);
    printf("\n|---|---|---|---|---|\n");
    for (int k = 0; k < 8; k++) {
        printf("| %d |", k);
        for (int l = 0; l < 4; l++) {
            const size_t *c = contain ? t[l].s.contain_by_n[k] : t[l].s.near_by_n[k];
            printf(" %.3f (%zu) |", ratio(c), c[0]);
        }
        printf("\n");
    }
}

static int cmd_edits(int argc, char **argv)
{
    unsigned stories = argc > 2 ? (unsigned)atoi(argv[2]) : 420;
    unsigned seeds = argc > 3 ? (unsigned)atoi(argv[3]) : 3;
    dedup_options o = {0};
    /* confirmation thresholds; "-" leaves the default; NEAR 0 with CONTAIN 0
     * and NOVEL "off" runs the sketch-only engine */
    if (argc > 4 && strcmp(argv[4], "-") != 0) o.confirm_near = atof(argv[4]);
    if (argc > 5 && strcmp(argv[5], "-") != 0) o.confirm_containment = atof(argv[5]);
    if (argc > 6 && strcmp(argv[6], "-") != 0) o.confirm_novel_share = atof(argv[6]);
    if (argc > 7 && strcmp(argv[7], "-") != 0) o.confirm_near_same_head = atof(argv[7]);
    if (argc > 8 && strcmp(argv[8], "-") != 0) o.sentence_min = atof(argv[8]);
    if (argc > 9 && strcmp(argv[9], "-") != 0) o.sentence_min_chars = atof(argv[9]);
    if (argc > 10 && strcmp(argv[10], "-") != 0) o.stock_sentences = (unsigned)atoi(argv[10]);
    if (argc > 11 && strcmp(argv[11], "-") != 0) o.confirm_container_ratio = atof(argv[11]);
    if (argc > 12 && strcmp(argv[12], "-") != 0) o.sentence_min_hangul = atof(argv[12]);
    if (argc > 13 && strcmp(argv[13], "-") != 0) o.candidate_floor = atof(argv[13]);
    if (argc > 14 && strcmp(argv[14], "-") != 0) o.candidate_floor_chars = atof(argv[14]);
    if (argc > 15 && strcmp(argv[15], "-") != 0) o.candidate_floor_short = atof(argv[15]);
    if (argc > 16 && strcmp(argv[16], "-") != 0) o.candidate_floor_hangul = atof(argv[16]);
    if (argc > 17 && strcmp(argv[17], "-") != 0) o.short_pair_res = atof(argv[17]);
    if (argc > 18 && strcmp(argv[18], "-") != 0) o.confirm_near_chars = atof(argv[18]);
    if (getenv("BENCH_NO_CONFIRM")) o.no_confirm = 1;
    if (getenv("BENCH_CARRIED")) o.confirm_carried = atof(getenv("BENCH_CARRIED"));
    if (getenv("BENCH_NEAR_COPY")) o.confirm_near_copy = atof(getenv("BENCH_NEAR_COPY"));
    edits_total t[4];
    memset(t, 0, sizeof t);
    const char *langs = getenv("BENCH_LANGS"); /* e.g. "03": English and Korean only */
    for (int lang = 0; lang < 4; lang++)
        if ((langs == NULL || strchr(langs, '0' + lang)) &&
            run_edits(lang, stories, seeds, &o, &t[lang]) < 0)
            return 1;
    printf("combined-edits corpora: %u stories x %u seeds per language\n\n", stories, seeds);
    for (int l = 0; l < 4; l++)
        if (t[l].s.contain_via_exact)
            printf("(%s: %zu containment pairs inferred through an exact duplicate of the "
                   "carried story)\n",
                   lang_names[l], t[l].s.contain_via_exact);
    printf("| language | docs | near P / R / F1 | containment P / R / F1 | exact F1 | hard neg. "
           "topic | background | follow-up | ms/doc |\n|---|---|---|---|---|---|---|---|---|\n");
    for (int l = 0; l < 4; l++) {
        const corpus_score *s = &t[l].s;
        printf("| %s | %zu | %.3f / %.3f / %.3f | %.3f / %.3f / %.3f | %.3f | %zu/%zu | %zu/%zu | "
               "%zu/%zu | %.2f |\n",
               lang_names[l], t[l].docs, s->near.precision, s->near.recall, s->near.f1,
               s->contain.precision, s->contain.recall, s->contain.f1, s->exact.f1,
               s->hardneg_by_kind[0][1], s->hardneg_by_kind[0][0], s->hardneg_by_kind[1][1],
               s->hardneg_by_kind[1][0], s->hardneg_by_kind[2][1], s->hardneg_by_kind[2][0],
               1000 * s->seconds / (double)t[l].docs);
    }
    printf("\nrecall per edit kind (pairs whose copies carry it), near | containment:\n\n| edit |");
    for (int l = 0; l < 4; l++)
        printf(" %s |", lang_names[l]);
    printf("\n|---|---|---|---|---|\n");
    for (int k = 0; k < CORPUS_E_KINDS; k++) {
        printf("| %s |", corpus_edit_name(k));
        for (int l = 0; l < 4; l++)
            printf(" %.3f (%zu) / %.3f (%zu) |", ratio(t[l].s.near_by_edit[k]),
                   t[l].s.near_by_edit[k][0], ratio(t[l].s.contain_by_edit[k]),
                   t[l].s.contain_by_edit[k][0]);
        printf("\n");
    }
    by_edits_table("near recall per number of edits on the pair", t, 0);
    by_edits_table("containment recall per number of edits on the carried story", t, 1);
    return 0;
}

/* A number field of an INFO reply ("used_memory:123"). */
static long long info_num(redis_test_server *srv, const char *section, const char *field)
{
    char *s = redis_test_str(srv, "INFO %s", section);
    long long v = -1;
    char *p = s ? strstr(s, field) : NULL;
    if (p && p[strlen(field)] == ':') v = atoll(p + strlen(field) + 1);
    free(s);
    return v;
}

/* Seconds of CPU the server used (INFO cpu: user + system). */
static double redis_cpu(redis_test_server *srv)
{
    char *s = redis_test_str(srv, "INFO cpu");
    double v = 0;
    const char *f[] = {"used_cpu_user:", "used_cpu_sys:"};
    for (int i = 0; i < 2; i++) {
        char *p = s ? strstr(s, f[i]) : NULL;
        if (p) v += atof(p + strlen(f[i]));
    }
    free(s);
    return v;
}

/* Commands Redis ran (scripts' calls included): the sum of calls= in
 * INFO commandstats. */
static long long redis_calls(redis_test_server *srv)
{
    char *s = redis_test_str(srv, "INFO commandstats");
    long long n = 0;
    for (char *p = s; p && (p = strstr(p, "calls=")) != NULL; p += 6)
        n += atoll(p + 6);
    free(s);
    return n;
}

/* MEMORY USAGE of every key under prefix, summed per kind (the letter
 * after "dd:"). */
static void memory_by_kind(redis_test_server *srv, const char *prefix, size_t docs)
{
    static const char kinds[] = "dtgkahm";
    static const char *const names[] = {"d: records", "t: texts", "g: digests", "k: URLs",
                                        "a: anchors", "h: hosts", "meta"};
    long long bytes[7] = {0}, keys[7] = {0};
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", srv->port, tv);
    if (c == NULL || c->err) return;
    char cursor[32] = "0";
    size_t pl = strlen(prefix);
    do {
        redisReply *r = redisCommand(c, "SCAN %s MATCH %s* COUNT 1000", cursor, prefix);
        if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) break;
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        redisReply *ks = r->element[1];
        for (size_t i = 0; i < ks->elements; i++)
            redisAppendCommand(c, "MEMORY USAGE %b SAMPLES 0", ks->element[i]->str,
                               ks->element[i]->len);
        for (size_t i = 0; i < ks->elements; i++) {
            redisReply *m = NULL;
            if (redisGetReply(c, (void **)&m) != REDIS_OK) break;
            const char *k = ks->element[i]->str;
            int kind = 6;
            if (ks->element[i]->len > pl + 3 && strncmp(k + pl, "dd:", 3) == 0) {
                const char *f = strchr(kinds, k[pl + 3]);
                if (f && k[pl + 4] == ':') kind = (int)(f - kinds);
            }
            if (m && m->type == REDIS_REPLY_INTEGER) bytes[kind] += m->integer, keys[kind]++;
            if (m) freeReplyObject(m);
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    redisFree(c);
    printf("\n| keys | count | bytes (MEMORY USAGE) | per document |\n|---|---|---|---|\n");
    for (int k = 0; k < 7; k++)
        printf("| %s | %lld | %.1f MiB | %.0f |\n", names[k], keys[k], bytes[k] / 1048576.0,
               (double)bytes[k] / (double)docs);
}

/* N generated pages through the engine on a Redis index of its own:
 * both generators seed after seed (scale 40), or with edits the
 * combined-edits corpus (English, 420 stories a seed).  Each seed's URLs
 * get "?run=SEED", so that the runs are different documents (the
 * generators repeat their URLs and some pages from seed to seed). */
static int cmd_redis(unsigned long n, int edits)
{
    redis_test_require();
    redis_test_server srv;
    if (redis_test_start(&srv, NULL) < 0) return 1;
    dedup_redis_index_options ro = {.url = srv.url, .prefix = "bench:"};
    dedup_engine *eng;
    char err[256] = "";
    int rc = dedup_engine_open_redis(&ro, NULL, &eng, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "open: %s %s\n", fa_strerror(rc), err);
        redis_test_stop(&srv);
        return 1;
    }
    long long mem0 = info_num(&srv, "memory", "used_memory"), calls0 = redis_calls(&srv);
    double cpu0 = redis_cpu(&srv);
    uint64_t cmd0, rt0, cmd1, rt1;
    dedup_redis_index_stats(dedup_engine_index(eng), &cmd0, &rt0);
    unsigned long done = 0, findings = 0;
    double html = 0, t0 = now(), busy = 0;
    for (uint32_t seed = 1; done < n && rc == 0; seed++) {
        corpus c;
        if ((edits ? corpus_generate_edits(0, seed * 7919, 420, &c)
                   : corpus_generate((int)(seed % 2), seed, 40, &c)) < 0)
            break;
        for (size_t i = 0; i < c.n_docs && done < n; i++, done++) {
            const corpus_doc *d = &c.docs[i];
            char url[1024];
            snprintf(url, sizeof url, "%s%srun=%u", d->url, strchr(d->url, '?') ? "&" : "?",
                     (unsigned)seed);
            dedup_input in = {url,     d->host,         NULL,    d->digest, NULL,
                              d->date, DEDUP_HTML_PAGE, d->html, d->len,    NULL};
            dedup_result res;
            double t = now();
            rc = dedup_analyze(eng, &in, &res);
            busy += now() - t;
            findings += res.n_findings;
            html += (double)d->len;
            dedup_result_free(&res);
            if (rc < 0) {
                fprintf(stderr, "analyze: %s\n", fa_strerror(rc));
                break;
            }
            if ((done + 1) % 10000 == 0)
                fprintf(stderr, "%lu pages, Redis used_memory %.1f MiB\n", done + 1,
                        (info_num(&srv, "memory", "used_memory") - mem0) / 1048576.0);
        }
        corpus_free(&c);
    }
    long long mem1 = info_num(&srv, "memory", "used_memory"), calls1 = redis_calls(&srv);
    double cpu1 = redis_cpu(&srv);
    dedup_redis_index_stats(dedup_engine_index(eng), &cmd1, &rt1);
    double per = (double)(mem1 - mem0) / (double)done;
    printf("%lu pages (%.1f MB HTML) in %.1f s: %.2f ms per page in dedup_analyze; %lu findings\n",
           done, html / 1e6, now() - t0, 1000 * busy / (double)done, findings);
    printf("Redis used_memory: %.1f MiB for the index = %.0f B per page -> %.2f GiB per million\n",
           (mem1 - mem0) / 1048576.0, per, per * 1e6 / 1073741824.0);
    printf("per page: %.2f commands sent by the node in %.2f round trips, %.2f commands run by "
           "Redis (scripts' calls included)\n",
           (double)(cmd1 - cmd0) / (double)done, (double)(rt1 - rt0) / (double)done,
           (double)(calls1 - calls0) / (double)done);
    printf("Redis CPU: %.3f ms per page\n", 1000 * (cpu1 - cpu0) / (double)done);
    memory_by_kind(&srv, "bench:", done);
    dedup_engine_close(eng);
    redis_test_stop(&srv);
    return rc < 0 ? 1 : 0;
}

/* CPU time of dedup_analyze alone (thread CPU clock around each call, the
 * corpora generated beforehand): the dedup cost per page.  Pages: both
 * generators (3 seeds x 60 stories per site) and the combined-edits corpora
 * of the four languages (one seed, 420 stories).  BENCH_NO_CONFIRM=1: the
 * sketch-only engine.  Prints us per page per corpus family and overall,
 * min over ROUNDS rounds. */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmd_cost(int argc, char **argv)
{
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    enum { N_CORPORA = 10 };
    corpus cs[N_CORPORA];
    int n = 0;
    for (int g = 0; g < 2; g++)
        for (uint32_t seed = 1; seed <= 3; seed++)
            if (corpus_generate(g, seed * 1000 + 7, 60, &cs[n++]) < 0) return 1;
    for (int lang = 0; lang < 4; lang++)
        if (corpus_generate_edits(lang, 7919 + (uint32_t)lang, 420, &cs[n++]) < 0) return 1;
    dedup_options o = {0};
    if (getenv("BENCH_NO_CONFIRM")) o.no_confirm = 1;
    if (getenv("BENCH_FLOOR_CHARS")) o.candidate_floor_chars = atof(getenv("BENCH_FLOOR_CHARS"));
    double best[N_CORPORA];
    size_t pages[N_CORPORA];
    for (int k = 0; k < n; k++)
        best[k] = 1e30, pages[k] = cs[k].n_docs;
    for (int round = 0; round < rounds; round++)
        for (int k = 0; k < n; k++) {
            char dir[] = "/tmp/fa-bench-cost-XXXXXX";
            if (!mkdtemp(dir)) return 1;
            dedup_engine *eng;
            if (dedup_engine_open(dir, &o, &eng) < 0) return 1;
            double cpu = 0;
            for (size_t i = 0; i < cs[k].n_docs; i++) {
                const corpus_doc *d = &cs[k].docs[i];
                dedup_input in = {d->url,  d->host,         NULL,    d->digest, NULL,
                                  d->date, DEDUP_HTML_PAGE, d->html, d->len,    NULL};
                dedup_result res;
                double t0 = cpu_now();
                int rc = dedup_analyze(eng, &in, &res);
                cpu += cpu_now() - t0;
                dedup_result_free(&res);
                if (rc < 0) return 1;
            }
            double t0 = cpu_now();
            dedup_engine_close(eng);
            cpu += cpu_now() - t0;
            if (cpu < best[k]) best[k] = cpu;
            char cmd[128];
            snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
            if (system(cmd) != 0) return 1;
        }
    static const char *const names[] = {
        "civic 1007",   "civic 2007",    "civic 3007",     "markets 1007",  "markets 2007",
        "markets 3007", "edits English", "edits Japanese", "edits Chinese", "edits Korean"};
    double tot = 0;
    size_t tp = 0;
    for (int k = 0; k < n; k++) {
        printf("%-16s %5zu pages %8.1f us/page\n", names[k], pages[k],
               1e6 * best[k] / (double)pages[k]);
        tot += best[k], tp += pages[k];
        corpus_free(&cs[k]);
    }
    printf("%-16s %5zu pages %8.1f us/page (CPU of dedup_analyze + close, min of %d rounds%s)\n",
           "all", tp, 1e6 * tot / (double)tp, rounds, o.no_confirm ? ", no_confirm" : "");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "redis") == 0)
        return cmd_redis(strtoul(argv[2], NULL, 10), argc >= 4 && strcmp(argv[3], "edits") == 0);
    if (argc >= 2 && strcmp(argv[1], "cost") == 0) return cmd_cost(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "edits") == 0) return cmd_edits(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "speed") == 0) return cmd_speed();
    if (argc >= 2 && strcmp(argv[1], "signature") == 0) return cmd_signature();
    if (argc >= 2 && strcmp(argv[1], "quality") == 0) return cmd_quality();
    if (argc >= 4 && strcmp(argv[1], "index") == 0)
        return cmd_index(strtoul(argv[2], NULL, 10), argv[3]);
    fprintf(stderr, "usage: bench_dedup speed|signature|quality|edits|cost|index N DIR\n");
    return 64;
}
