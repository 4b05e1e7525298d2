/*
 * corpus.h - a labelled corpus generator for the near-duplicate detector,
 * and its scorer.
 *
 * Two generators with disjoint vocabularies, sentence shapes and HTML
 * template families (so thresholds are not tuned to one's quirks):
 *   0 "civic"   - local-government/transport news, 5 site templates;
 *   1 "markets" - business/science news, 5 other templates, different
 *                 sentence grammar, plus Chinese wire stories.
 * Both add Japanese wire stories.  Each corpus holds, in a shuffled fetch
 * order:
 *   - original stories on each site (several per topic: the hard negatives
 *     are pairs of different stories on the same site and topic, sharing
 *     vocabulary and template);
 *   - wire stories republished on 2-4 sites, each copy with edits: new
 *     headline, a sentence added, the last paragraph cut, paragraphs
 *     reordered, light rewording (about one word in 25 replaced);
 *   - aggregator pages: a short story of their own plus the full text of 2-3
 *     other articles under "Related Articles" (sometimes with the
 *     paragraphs merged into one block);
 *   - exact duplicates: the same bytes under a second URL (?utm_source=).
 * The truth: near pairs (every pair inside a wire cluster), containment
 * pairs (aggregator, carried article), exact pairs, hard-negative pairs.
 */
#ifndef DEDUP_CORPUS_H
#define DEDUP_CORPUS_H

#include "dedup/dedup_engine.h"

#include <stddef.h>
#include <stdint.h>

typedef struct corpus_doc {
    char *url;
    char *host;
    char *html;
    size_t len;
    char digest[40];
    char *body; /* the article's text as written (extraction ground truth) */
    int64_t date;
} corpus_doc;

typedef struct corpus_pair {
    uint32_t a, b;  /* containment: a contains b */
    uint32_t edits; /* corpus_generate_edits: CORPUS_E_* of the copies (or of the carried text) */
    int kind;       /* hard negatives of corpus_generate_edits: CORPUS_HN_* */
} corpus_pair;

typedef struct corpus_pairs {
    corpus_pair *v;
    size_t n, cap;
} corpus_pairs;

typedef struct corpus {
    corpus_doc *docs; /* fetch order */
    size_t n_docs, cap_docs;
    corpus_pairs near, contain, exact, hardneg;
    size_t html_bytes;
    int contain_through_exact; /* the truth has a page carrying a story carry its exact
                                  duplicates too (corpus_generate_edits); the scorer
                                  then infers those pairs from reported exact ones */
} corpus;

/* The edit kinds of corpus_generate_edits (bits of corpus_pair.edits). */
enum {
    CORPUS_E_HEADLINE = 0, /* a new headline */
    CORPUS_E_LEDE,         /* a local lede paragraph put first */
    CORPUS_E_REWRITE,      /* 10-25% of the sentences replaced by others */
    CORPUS_E_SUBST,        /* words replaced by synonyms */
    CORPUS_E_TYPO,         /* typos (letters swapped, dropped; CJK/Hangul: a character) */
    CORPUS_E_ADD,          /* 1-2 sentences added */
    CORPUS_E_REMOVE,       /* 1-2 sentences removed */
    CORPUS_E_DROPLAST,     /* the last paragraph dropped */
    CORPUS_E_QUOTES,       /* quotes trimmed to their first half */
    CORPUS_E_SWAP,         /* two paragraphs swapped */
    CORPUS_E_SHORT,        /* not an edit: the story has 2-3 paragraphs */
    CORPUS_E_KINDS
};
/* Hard-negative kinds of corpus_generate_edits (corpus_pair.kind). */
enum {
    CORPUS_HN_TOPIC = 0,      /* two stories of one site and topic */
    CORPUS_HN_BACKGROUND = 1, /* a story repeating 1-2 background paragraphs of another */
    CORPUS_HN_FOLLOWUP = 2,   /* a follow-up quoting one paragraph of the first story */
    CORPUS_HN_KINDS
};
const char *corpus_edit_name(int kind);

/* Generates corpus `generator` (0 or 1) from seed; scale ~ stories per
 * site (>= 4).  Returns 0 or FA_ENOMEM / FA_EINVAL. */
int corpus_generate(int generator, uint32_t seed, unsigned scale, corpus *out);
void corpus_free(corpus *c);

/* The combined-edits corpus (issue 13): 12 news sites and an aggregator,
 * `stories` stories (>= 100) in language lang (0 English, 1 Japanese,
 * 2 Chinese, 3 Korean).  Wire stories are copied on 2-4 sites, each copy
 * with 2-4 edits (CORPUS_E_*); a quarter of the stories are short (2-3
 * paragraphs); every site repeats two boilerplate paragraphs of its own
 * inside most article bodies; hard negatives are same-topic stories,
 * stories repeating 1-2 background paragraphs of another, and follow-ups
 * quoting one paragraph; the aggregator carries 2-3 stories each, with 0-2
 * edits.  Pairs carry their edit bits and kinds for per-kind scores. */
int corpus_generate_edits(int lang, uint32_t seed, unsigned stories, corpus *out);

typedef struct corpus_prf {
    size_t tp, fp, fn;
    double precision, recall, f1;
} corpus_prf;

typedef struct corpus_score {
    corpus_prf near, contain, exact;
    size_t hardneg_pairs, hardneg_fp;
    size_t contain_via_exact; /* containment pairs credited through an exact duplicate */
    double hardneg_fp_rate;
    double extract_f1; /* word-level F1 of main text against the written body */
    double seconds;    /* analysing every document */
    /* per edit kind: [k][0] truth pairs whose copies carry edit k, [k][1] found */
    size_t near_by_edit[CORPUS_E_KINDS][2], contain_by_edit[CORPUS_E_KINDS][2];
    /* per number of edits (0..7) on the pair */
    size_t near_by_n[8][2];
    size_t contain_by_n[8][2]; /* containment recall per number of edits (0-7+) */
    /* hard negatives per kind: [k][0] pairs, [k][1] called related */
    size_t hardneg_by_kind[CORPUS_HN_KINDS][2];
} corpus_score;

/* Runs an engine (index in dir, which must exist and be empty) over the
 * corpus in fetch order and scores it.  Returns 0 or the engine's error. */
int corpus_score_run(const corpus *c, const char *dir, const dedup_options *opt, corpus_score *out);

/* The same over an engine of the caller's (a Redis index, say: its ids
 * must start at 0, an empty index); eng is used, not closed. */
int corpus_score_run_engine(const corpus *c, dedup_engine *eng, corpus_score *out);

/* Word-level F1 of extracted against truth (bags of lower-cased words). */
double corpus_word_f1(const char *extracted, const char *truth);

#endif
