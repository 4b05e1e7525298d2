/*
 * signature.h - compact document signatures over shingle hashes.
 *
 * Three are implemented; docs/DEDUP.md has the measurements that chose the
 * first for the index (tools/bench/bench_dedup_signature.c reproduces them):
 *
 *   shingle_sketch  consistent sample ("mod-p" sketch, Broder 1997): the
 *                   distinct shingles whose hash has its low log2(rate) bits
 *                   zero, kept as sorted 32-bit values.  Because the same
 *                   shingle is sampled in every document, the sample of
 *                   A ∩ B is exactly sample(A) ∩ sample(B): one merge gives
 *                   resemblance |A∩B|/|A∪B| AND both containments
 *                   |A∩B|/|A|, |A∩B|/|B| - which MinHash cannot give when the
 *                   sizes differ (an aggregator page four times the size of
 *                   the article it carries).
 *   minhash (OPH)   one-permutation MinHash: k bins by the hash's top bits,
 *                   minimum per bin, empty bins filled by rotation
 *                   (densification, Shrivastava 2017); equal bins / k
 *                   estimates resemblance; banded for LSH.
 *   simhash         64-bit Charikar SimHash; Hamming distance ~ angle.
 *
 * All take shingle hashes from shingle.h; cost O(1) per shingle (simhash:
 * 64 adds).
 */
#ifndef SIGNATURE_H
#define SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

/* ---- consistent sample sketch ---- */

typedef struct shingle_sketch {
    uint32_t *v; /* sorted, distinct */
    uint32_t n;
    uint32_t cap;
    uint32_t distinct; /* estimated distinct shingles: n * rate */
} shingle_sketch;

/* Builds the sketch of hashes[0..n): keeps h with (h & (rate-1)) == 0
 * (rate a power of two), value h >> 32, sorted and deduplicated, at most
 * max_n values (the smallest; 0 = no cap).  Returns 0 or FA_ENOMEM. */
int shingle_sketch_build(shingle_sketch *sk, const uint64_t *hashes, size_t n, uint32_t rate,
                         uint32_t max_n);
void shingle_sketch_free(shingle_sketch *sk);

/* Does sampled value v (h >> 32 of a sampled h) belong to the sample rule?
 * Helper for callers that test single hashes. */
static inline int shingle_sampled(uint64_t h, uint32_t rate)
{
    return (h & (uint64_t)(rate - 1)) == 0;
}

/* Values common to two strictly increasing arrays (a sketch's values;
 * a merge, four values at a time where SSE2 is there). */
uint32_t sketch_common(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb);

/* sketch_common, and the bit of each of a's values found in b set in hit
 * ((na + 63) / 64 words, bit i of word i / 64 for a[i]; set bits are
 * left as they are). */
uint32_t sketch_common_mark(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb,
                            uint64_t *hit);

/* Estimates from sizes and common count: resemblance c/(na+nb-c) and
 * containment of a in b, c/na (0 when na is 0). */
double sketch_resemblance(uint32_t na, uint32_t nb, uint32_t common);
double sketch_containment(uint32_t na, uint32_t common);

/* ---- one-permutation MinHash ---- */

/* k bins (power of two, <= 4096); out[k] gets 32-bit minima, densified.
 * Empty input gives all-0xFFFFFFFF. */
void minhash_oph(const uint64_t *hashes, size_t n, unsigned k, uint32_t *out);

/* Fraction of equal bins. */
double minhash_similarity(const uint32_t *a, const uint32_t *b, unsigned k);

/* Band hashes: bands*rows must be <= k; out[bands]. */
void minhash_bands(const uint32_t *sig, unsigned bands, unsigned rows, uint64_t *out);

/* ---- SimHash ---- */

uint64_t simhash64(const uint64_t *hashes, size_t n);

static inline int simhash_distance(uint64_t a, uint64_t b)
{
    return __builtin_popcountll(a ^ b);
}

#endif
