/*
 * candidate_rank.h - how a dedup index ranks the documents sharing anchors
 * with a sketch, the same in every backend (dedup_index_file.c,
 * dedup_index_redis.c) so they find the same relations.
 *
 * A document's anchors are its E = clamp(2 + n/16, 8, 48) smallest sketch
 * values (at most n), all of them when n <= DEDUP_SHORT_ANCHORED.  An
 * edited copy holding a share c of a document's shingles misses all of
 * them with probability ~(1 - c)^E: with c = 0.4, 13% for the 4 anchors a
 * short story had under the earlier clamp(2 + n/24, 4, 48), 2% for 8
 * (docs/DEDUP.md, "Candidates").
 * A candidate is scored by its hits against the hits a related document
 * would give: its E anchors if it lies inside the query (a near copy, or
 * carried by the query), the share E * n_query / n_doc of them its size
 * puts inside the query when it is the larger (the query carried by it).
 * Raw hits favour long documents that share a topic's stock phrases with
 * everything: a short story's copy, 3 of its 4 anchors hit, was ranked
 * below them and cut at the engine's 64 candidates.  Documents under
 * DEDUP_CANDIDATE_MIN_SCORE are left out: on the combined-edits corpora no
 * relation found had less, and each costs a read of its record
 * (docs/DEDUP.md, "Candidates").
 */
#ifndef DEDUP_CANDIDATE_RANK_H
#define DEDUP_CANDIDATE_RANK_H

#include "dedup/dedup_index.h"

#include <stddef.h>
#include <stdint.h>

#define DEDUP_CANDIDATE_MIN_SCORE 0.15 /* hits / the hits a related document would give */
/* A hit counts in full through an anchor value held by at most
 * DEDUP_RARE_POSTINGS documents, and DEDUP_RARE_POSTINGS / m of a hit
 * through one held by m (m counted up to the backends' POSTING_CAP): a
 * value in the anchors of hundreds of documents is a register's stock
 * phrase, which every page on the topic shares, not evidence of a copy.
 * (docs/DEDUP.md, "Candidates": stock anchors ranked tens of unrelated
 * documents per page above the score floor.) */
#define DEDUP_RARE_POSTINGS 32u
/* Weighted hits are counted in 1/DEDUP_HIT_UNIT of a hit. */
#define DEDUP_HIT_UNIT 256u

/* The weight of one hit through an anchor value held by m documents, in
 * 1/DEDUP_HIT_UNIT (at least 1). */
static inline uint32_t dedup__hit_weight(uint32_t m)
{
    if (m <= DEDUP_RARE_POSTINGS) return DEDUP_HIT_UNIT;
    uint32_t w = (DEDUP_HIT_UNIT * DEDUP_RARE_POSTINGS + m / 2) / m;
    return w ? w : 1;
}
/* Thirteenth round: a document met through an anchor value that at most
 * DEDUP_UNIQUE_POSTINGS documents hold (with DEDUP_CAND_RARITY: word
 * shingles) is ranked even under DEDUP_CANDIDATE_MIN_SCORE.  Such a value
 * is a phrase of that story and its copies alone; a short story whose
 * roundup (archived after it) keeps one of its 8 anchors through the
 * edits scored 1/8 and was left out (Korean: 7 containment pairs of seeds
 * 1-3 .. 51-53, and near copies).  2 found fewer, 8 the same as 4; the
 * bench's CPU per page the same. */
#define DEDUP_UNIQUE_POSTINGS 4u
/* the bit a backend sets in a document's hit count (dedup_candidate.hits)
 * while counting, for a hit through such a value */
#define DEDUP_RARE_HIT_BIT 0x80000000u

/* Distinct documents counted per lookup at most: every document met in
 * the anchors' postings (at most POSTING_CAP per value) is counted and
 * ranked, not only the first ones met. */
#define DEDUP_CANDIDATE_ROOM 65536

/* Thirty-first round: a document of at most this many sketch values (a
 * story of 2-3 paragraphs) is anchored on every value.  A copy carrying
 * five or more of the edits keeps 0.2-0.35 of a short story's shingles,
 * often none of its 8 smallest: of the English and Korean short near
 * pairs missed on the tuning bases, 35 the index never returned.  All
 * anchored, English / Korean short near recall 0.970 / 0.976 -> 0.975 /
 * 0.980 there, 0.958-0.969 / 0.966-0.971 -> 0.961-0.974 / 0.970-0.979 on
 * the other 80 cells (docs/BENCHMARKS.md), no hard negative more, for
 * +0.7% of `bench_dedup cost 1`'s instructions and 4-34 B more of the
 * anchors' RAM a document on the generated news sites (60-82 B on corpora
 * of short stories).  32 found a third of it; all anchored but ranked as
 * if it had 8 (more hits than the ranking expects of it), a short page
 * took roundups' slots among a page's 64 candidates: English / Korean
 * containment recall -0.4 / -0.3 points. */
#define DEDUP_SHORT_ANCHORED 48
/* The anchors of a document of n sketch values. */
uint32_t dedup__anchor_count(uint32_t n);

/* A document sharing anchors with the query, before ranking. */
typedef struct dedup__ranked {
    dedup_candidate c; /* doc and hits: filled by the caller */
    uint32_t weighted; /* the hits weighted by their values' rarity
                          (dedup__hit_weight): filled by the caller */
    uint32_t n_sketch; /* the document's sketch values: filled by the caller */
    double score;      /* set by dedup__rank_candidates */
    uint32_t rare;     /* 1: met through a value at most DEDUP_UNIQUE_POSTINGS documents hold */
} dedup__ranked;

/* Scores all[0..n) against a query of n_query sketch values, leaves out
 * those under DEDUP_CANDIDATE_MIN_SCORE (but the rare ones), and writes the best max to out,
 * best first (ties: more hits, then the lower id).  all is reordered.
 * Returns the count written. */
size_t dedup__rank_candidates(dedup__ranked *all, size_t n, uint32_t n_query, dedup_candidate *out,
                              size_t max);

#endif
