/*
 * candidate_rank.c - the candidates' ranking both dedup indexes share
 * (candidate_rank.h says why it is what it is).
 */
#include "dedup/candidate_rank.h"

#include <stdlib.h>

uint32_t dedup__anchor_count(uint32_t n)
{
    uint32_t e = 2 + n / 16;
    if (e < 8) e = 8;
    if (e > 48) e = 48;
    if (n <= DEDUP_SHORT_ANCHORED) return n;
    return e < n ? e : n;
}

static int cmp_ranked(const void *a, const void *b)
{
    const dedup__ranked *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    if (x->c.hits != y->c.hits) return x->c.hits > y->c.hits ? -1 : 1;
    return x->c.doc < y->c.doc ? -1 : x->c.doc > y->c.doc;
}

size_t dedup__rank_candidates(dedup__ranked *all, size_t n, uint32_t n_query, dedup_candidate *out,
                              size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t nd = all[i].n_sketch;
        double expect = dedup__anchor_count(nd);
        if (nd > n_query) expect = expect * n_query / nd;
        if (expect < 1) expect = 1;
        double score = (double)all[i].weighted / DEDUP_HIT_UNIT / expect;
        if (score < DEDUP_CANDIDATE_MIN_SCORE && !all[i].rare) continue;
        all[k] = all[i];
        all[k++].score = score;
    }
    if (k > max && max > 0) {
        /* only the best max are kept: select them (quickselect on the
         * same total order), then sort those alone */
        size_t lo = 0, hi = k - 1, want = max - 1;
        while (lo < hi) {
            dedup__ranked pivot = all[lo + (hi - lo) / 2], t;
            size_t i = lo, j = hi;
            while (i <= j) {
                while (cmp_ranked(&all[i], &pivot) < 0)
                    i++;
                while (cmp_ranked(&all[j], &pivot) > 0)
                    j--;
                if (i <= j) {
                    t = all[i], all[i] = all[j], all[j] = t;
                    i++;
                    if (j == 0) break;
                    j--;
                }
            }
            if (want <= j)
                hi = j;
            else if (want >= i)
                lo = i;
            else
                break;
        }
        k = max;
    }
    qsort(all, k, sizeof *all, cmp_ranked);
    if (k > max) k = max;
    for (size_t i = 0; i < k; i++)
        out[i] = all[i].c;
    return k;
}
