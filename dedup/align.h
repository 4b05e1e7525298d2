/*
 * align.h - the exact confirmation of a candidate pair: sentence alignment
 * of two normalised main texts.
 *
 * The sketch (signature.h) estimates resemblance and containment from a
 * quarter of the shingles; it finds candidates cheaply but a copy carrying
 * several edits (a new lede, rewritten sentences, typos) drifts close to
 * stories that merely share a background paragraph.  This measure decides
 * on the whole text instead, per sentence:
 *
 *   - a text is cut into sentences (at . ! ? followed by a space or the
 *     end, at 。 and at block boundaries), each cut into token trigrams
 *     (word trigrams; characters in unspaced scripts, as shingle.h, and
 *     Hangul syllables);
 *   - a sentence of A is FOUND in B when one sentence of B holds at least
 *     `sentence_min` (0.5) of its trigrams: one changed word or a typo
 *     leaves a 15-word sentence at ~0.75, a rewritten sentence falls to ~0,
 *     and a sentence of another story that shares a phrase stays under
 *     (one sentence, not the whole of B: a story of one topic holds most
 *     of the topic's phrases somewhere);
 *   - a sentence mostly of Han/Kana characters is found at
 *     `sentence_min_chars` (0.7) of its character trigrams, and trigrams
 *     standing in `stock_sentences` (3) or more sentences of either text
 *     are not counted for it: character trigrams of one register recur
 *     across unrelated sentences (a shared verb and object, a stock
 *     ending) far more than word trigrams do;
 *   - Korean is spaced, but a Korean sentence is 6-9 words, each a stem
 *     and its particles or endings: one typo or changed particle costs
 *     three of its ~7 word trigrams, so Hangul syllables are aligned as
 *     characters too (syllable trigrams, the stock rule above), found at
 *     `sentence_min_hangul` (0.6).  The shingler (shingle.h) still cuts
 *     Korean into words: only the confirmation changes;
 *   - a sentence not found, next to a found one, is found when the
 *     sentence of B next to that one's match is its copy with typos
 *     (next_to_found, ALIGN_NEXT_* below);
 *   - share(A in B) = tokens of A's found sentences / tokens of A.
 *
 * So paragraph order, sentences added or removed, a new headline and typos
 * cost only the sentences they touch, and background shared by two stories
 * counts for exactly its sentences.  The engine calls two texts near when
 * both shares reach its near threshold, and containment when one share
 * does and the other text has enough of its own (dedup_engine.h).
 *
 * Cost: one pass of hashing per text (XXH3 per token, like the shingler),
 * one hash-table insert per trigram, and one probe per trigram compared.
 */
#ifndef DEDUP_ALIGN_H
#define DEDUP_ALIGN_H

#include <stddef.h>
#include <stdint.h>

#define ALIGN_GRAM 3

/* How two texts are compared (the engine's options, dedup_engine.h). */
typedef struct align_params {
    double sentence_min;        /* a sentence of words is found when one sentence of the
                                   other text holds this share of its trigrams */
    double sentence_min_chars;  /* the same for a sentence mostly of characters of
                                   unspaced scripts (Han, Kana: character trigrams) */
    unsigned stock_sentences;   /* character trigrams in at least this many sentences of
                                   either text are the pair's stock phrases and not
                                   counted (a sentence made only of them counts them
                                   all); 0 = every trigram counts.  Words: unused */
    double sentence_min_hangul; /* the same for a sentence mostly of Hangul syllables
                                   (syllable trigrams, stock phrases left out);
                                   0 = sentence_min_chars */
    int stock_pair;             /* also a character trigram in stock_sentences sentences of
                                   the two texts together (a phrase one text repeats and
                                   the other holds) */
    int next_to_found;          /* a sentence next to a found one is found too when the
                                   sentence of the other text next to that one's match is
                                   its copy with typos (ALIGN_NEXT_*, align_shares); 0 =
                                   off */
    int attribution;            /* a sentence that quotes is found only in one that holds
                                   its attribution too (ALIGN_ATTRIBUTION_MISSING); 0 =
                                   off */
} align_params;

/* Twenty-eighth round: a quoting sentence ("..." said NAME, ROLE; 「…」と
 * NAME氏は述べた) is found in another quoting sentence only when that one
 * holds its attribution - the tokens outside its quote marks - all but
 * ALIGN_ATTRIBUTION_MISSING bits of them (one token: a typo).  A register
 * repeats a few stock quotes under many speakers; with the quote's
 * trigrams counted, "<city><name>先生表示：“<quote>”" was found in the
 * same quote under another name, and a roundup's own story made of such
 * quotes looked found in a story it carries, a follow-up near the story
 * it quotes.  A trimmed quote keeps its attribution; another speaker
 * does not.  docs/DEDUP.md, "A quote is its speaker's". */
#define ALIGN_ATTRIBUTION_MISSING 2

/* Twenty-eighth round: a sentence of a not found in b, next to a found
 * sentence - in its block, or across a block's edge where b's sentence
 * stands at one too - is found too when the sentence of b next to that
 * one's match (after it, or before it) holds no other match,
 * states every number it states (its words that begin with a digit) and
 * holds ALIGN_NEXT_WORDS of its trigrams (a sentence of words) or
 * ALIGN_NEXT_CHARS of its character trigrams and ALIGN_NEXT_COUNTED of
 * those sentence_min_chars counts (stock phrases left out).  A typo costs
 * a sentence of characters the 3 trigrams over it, and with a register's
 * stock phrases left out few are counted: three typos leave a
 * 22-trigram sentence 13 of its 22 counted trigrams (test_next_to_found),
 * under sentence_min_chars (0.7), though it stands where the copy has it.
 * A sentence of the same template with other figures (a date, an amount)
 * can hold as large a share of them, and says something else.  Chained: a sentence found so
 * is a neighbour too.  docs/DEDUP.md, "Next to a found sentence". */
#define ALIGN_NEXT_CHARS 0.5
#define ALIGN_NEXT_COUNTED 0.3
#define ALIGN_NEXT_WORDS 0.45

/* The attribution mask's 64-bit words (align_sentence.attr): 256 bits, so
 * that two names' four bits rarely fall on the other name's (with 64, one
 * speaker's stock quote under another name and the same role, "said Tom
 * Brennan, the project manager" / "said Samuel Achebe, the project
 * manager", missed 2 bits: held) */
#define ALIGN_ATTR_WORDS 4

typedef struct align_sentence {
    uint32_t off, len;       /* bytes of the normalised text */
    uint32_t first, n_grams; /* its trigrams: grams[first .. first+n_grams) */
    uint32_t tokens;         /* its weight */
    uint32_t chars;          /* tokens that are characters (unspaced scripts, Hangul) */
    uint32_t hangul;         /* ... of them Hangul syllables */
    uint32_t block;          /* block (line) it starts in */
    uint64_t numbers;        /* its words that begin with a digit ("2032", "25" of
                                "25日"), two bits of 64 each (a Bloom filter:
                                next_copy) */
    uint64_t attr[ALIGN_ATTR_WORDS]; /* its tokens outside quote marks, two bits of
                                        64 * ALIGN_ATTR_WORDS each (a Bloom filter:
                                        align_params.attribution) */
    uint32_t quoted;         /* it holds a quote mark (", 「」, 『』) */
} align_sentence;

typedef struct align_posting {
    uint64_t gram;
    uint32_t sentence;
    uint32_t next; /* the next posting of the same trigram, or UINT32_MAX */
} align_posting;

typedef struct align_text {
    align_sentence *s;
    size_t n_s;
    uint64_t *grams; /* per sentence, in sentence order */
    uint32_t *gslot; /* per gram: its slot in head/df */
    size_t n_grams;
    align_posting *post; /* (trigram, sentence), distinct, chained per trigram */
    size_t n_post;
    uint32_t *head; /* open-addressed: trigram -> its first posting (UINT32_MAX: empty) */
    uint8_t *df;    /* per slot: sentences holding the trigram (saturating at 255) */
    size_t mask;
    uint64_t tokens;
    uint64_t unspaced; /* tokens that are characters of unspaced scripts (Han, Kana, ...;
                          not Hangul, which the shingler cuts into words) */
    uint64_t hangul;   /* tokens that are Hangul syllables */
    uint32_t *scratch; /* one counter per sentence, for comparisons against this text */
} align_text;

/* Cuts norm[0..len) (normalised text, blocks separated by '\n') into
 * sentences (at . ! ? followed by a space or the end - NFKC has made
 * ！？ ASCII; ! and ? also cut between characters of unspaced scripts -,
 * at 。 and at block ends) and token trigrams (words; characters in
 * unspaced scripts).  *t is overwritten (free with align_text_free, also
 * after an error).  Returns 0 or FA_ENOMEM. */
int align_text_build(align_text *t, const char *norm, size_t len, uint64_t seed);
void align_text_free(align_text *t);

/* Is sentence i of a found in b?  (Uses b's scratch counters: one thread
 * per b at a time.) */
int align_sentence_found(const align_text *a, size_t i, const align_text *b, const align_params *p);

/* *share: share of a's tokens in sentences found in b (0..1; 0 for an
 * empty a).  *block_share: share of a's tokens in blocks (lines) whose
 * found sentences hold at least half of the block's tokens - what a
 * container's own text is measured by: an edited copy has its changes
 * scattered over blocks that are still mostly found, a page carrying b
 * beside text of its own has whole blocks that are not.  found: NULL, or
 * a->n_s bytes set to 1 for each sentence of a found in b - with
 * p->next_to_found, also those found next to a found one (ALIGN_NEXT_*);
 * the functions below taking these flags place such a sentence where it
 * was found. */
void align_shares(const align_text *a, const align_text *b, const align_params *p, double *share,
                  double *block_share, uint8_t *found);

/* Where a's own text lies against b: a's blocks but the first (a
 * headline), in order, each mostly found in b (its found sentences hold
 * half of its tokens) or its own.  lead: own blocks before the first
 * found one; inner: between found ones; trail: after the last; found:
 * the found blocks.  All zero when no block is found.  found > 0 with
 * lead == inner == 0: what a has of its own is only its end - a is the
 * other text with more paragraphs at its end (the other cut them), not a
 * page carrying it beside text of its own. */
typedef struct align_layout {
    uint32_t lead, inner, trail, found;
    /* own blocks at the edges of what a shares with b, or inside it, that
     * hold a found sentence though under half of their tokens: a copy's
     * paragraph with sentences added, trimmed or rewritten.  lead_edge: the
     * last lead block is such; trail_edge: the first trail block; inner:
     * how many inner blocks are */
    uint32_t lead_edge, inner_touched, trail_edge;
} align_layout;

/* Fills *out for a against the flags found (a->n_s, from align_shares). */
void align_own_layout(const align_text *a, const uint8_t *found, align_layout *out);
/* ... with the sentences flagged in touch (a->n_s flags, or NULL) also
 * counted for the edges and inner_touched (not for what is found): the
 * sentences of a that hold b's found ones (align_mark_matches) - a
 * sentence b trimmed (a quote cut short) is found in a's, not a's in it */
void align_own_layout_touched(const align_text *a, const uint8_t *found, const uint8_t *touch,
                              align_layout *out);

/* Where and how a's found sentences (found: a->n_s flags, from
 * align_shares) are in b.  span: the sentences of b from the first that
 * holds one of them to the last (0 when none is); whole: the share of a's
 * tokens in sentences that one sentence of b holds almost whole
 * (ALIGN_WHOLE of their trigrams).  A story a page carries is one run of
 * the page, as long as the story or shorter (sentences cut), and most of
 * its sentences are there verbatim (one changed word of a 14-word sentence
 * leaves 0.75 of its trigrams, which is not whole); sentences of another
 * story found by chance - stock phrases of one topic - lie scattered over
 * the page and hold only part of their trigrams.  Costs one match per
 * found sentence.  Twenty-sixth round: a found sentence whose best match
 * is out of place - not right after the previous sentence's match (for the
 * first, right before the next's) - is placed there, or else right before
 * the next sentence's match, when that sentence of b is its copy
 * (ALIGN_CLOSE of the copy's own trigrams in it) and holds no other match:
 * a carried copy that trimmed a quote, or changed a word, whose full form
 * the page's own text (or another story it carries) says elsewhere - a
 * register's stock quote, best matched there.  The run keeps the copy's
 * order and span; whole is still measured at the best match. */
#define ALIGN_WHOLE 0.8
typedef struct align_run {
    uint32_t span;
    uint32_t span_core;  /* span with its one farthest match left out (a sentence
                            also found by chance elsewhere in b: a stock quote);
                            span when fewer than three sentences hold one */
    uint32_t inversions; /* found sentences whose match lies before the previous
                            one's: a carried story keeps its order */
    uint32_t matched;    /* found sentences that hold a match in b */
    uint32_t stretch;    /* a's sentences from the first that holds a match to the
                            last (0 when none does) */
    uint32_t first, last; /* b's sentences that hold the first and the last match
                             (span > 0) */
    uint32_t core_first;  /* b's first sentence of span_core's run (first, or the
                             second match when the one left out is the first) */
    uint32_t distinct;    /* b's sentences holding a match (matched, less those
                             holding the match of an earlier sentence of a) */
    double whole;
    /* the window of b, as many sentences long as a, that holds the matches
     * of the most of a's tokens: those tokens' share of a (0: no match),
     * the share of a's tokens in sentences held whole there, and the
     * inversions among those matches */
    double win, win_whole;
    uint32_t win_inversions;
} align_run;
void align_found_run(const align_text *a, const uint8_t *found, const align_text *b,
                     const align_params *p, align_run *out);

/* Does a's run in b (run, from align_found_run) begin one of b's blocks or
 * end one?  The run is first widened by the sentences of b around it, in
 * its first and last blocks, that are found in a (b_found: b->n_s flags
 * from align_shares of b in a): a quote the carried copy trimmed is found
 * in a's sentence, not a's in it.  A page carrying a text pastes its
 * paragraphs as paragraphs of its own, so the carried text starts a block
 * of the page (or ends one, when its first paragraph was rewritten); a
 * text whose found sentences lie inside the page's paragraphs, the page's
 * own sentences before and after them, is quoted or found by chance.
 * 0 for an unmeasured run (span 0). */
int align_run_block_edge(const align_text *b, const uint8_t *b_found, const align_run *run);

/* Sets mark[j] (b->n_s flags) for each sentence j of b that holds one of
 * a's found sentences (found: a->n_s flags) best.  The match is not
 * symmetric: a sentence of a cut short (a trimmed quote) or merged is
 * found in b's, b's not in it; a container whose carried sentences carry
 * typos finds none of its blocks half found while the carried text is
 * found in it.  One match per found sentence. */
void align_mark_matches(const align_text *a, const uint8_t *found, const align_text *b,
                        const align_params *p, uint8_t *mark);

/* How many blocks of b come before where a lies in it, counted by a's
 * sentences b holds almost whole (ALIGN_WHOLE of their trigrams, in one
 * sentence): the blocks before the second earliest such match (the
 * earliest is left out: one stock sentence - a quote, a site's note - b
 * also says early on), b's first block not counted when it is one
 * sentence (a headline).  0 when fewer than two are.  A
 * page carrying a as a roundup carries a story has its own story of three
 * paragraphs or more first; an edited copy of a has at most a lede and a
 * paragraph before what the two share.  Counted by verbatim sentences, not
 * by found blocks: a roundup's own story of one topic holds sentences of
 * the carried story found by chance (0.5-0.7 of their trigrams), which
 * make its paragraphs look found and its lead short.  Fifteenth round: or,
 * when later, the blocks before the window of b as long as a (in
 * sentences) that holds the most of a's tokens matched whole (two matches
 * or more): a roundup's own story that says several of the carried
 * story's stock quotes verbatim, which the carried copy trims, holds a's
 * earliest whole matches in its first paragraphs, while a itself lies
 * further on.  One match per found sentence. */
uint32_t align_run_lead(const align_text *a, const uint8_t *found, const align_text *b,
                        const align_params *p);

/* The part of a that b keeps, for a page b that may carry a with sentences
 * removed or its end cut: a's tokens less those b shows no sign of having
 * had - a's first block (a headline) when none of it is found (a page
 * linking a carried story's headline drops it with its links), a
 * sentence of a not found, alone between two found ones whose matches are
 * adjacent sentences of b, in a block holding a found sentence (a
 * sentence removed: nothing of b stands where it stood), and a's last
 * block when it is the only one after its last found sentence and that
 * sentence's match ends a block of b (the copy stops there: its last
 * paragraph cut).  found and whole: the kept tokens in sentences found in
 * b, and held whole there (ALIGN_WHOLE); found_blocks, own_blocks and lead:
 * a's blocks (its first aside) in the kept part, each mostly found (its
 * found sentences half of its kept tokens) or not, and those not found
 * before the first found one.  found: a->n_s flags from align_shares.
 * One match per found sentence. */
typedef struct align_kept {
    uint64_t tokens, found, whole;
    uint32_t found_blocks, own_blocks, lead;
} align_kept;
void align_kept_part(const align_text *a, const uint8_t *found, const align_text *b,
                     const align_params *p, align_kept *out);

/* How many blocks of a (its first, a headline, aside) hold a sentence
 * found in b that one sentence of b holds closely (ALIGN_CLOSE of its
 * counted trigrams: one changed word or typo in a sentence of words, or a
 * sentence of characters found at all).  found: a->n_s flags from
 * align_shares.  Two stories of one topic find each other's sentences at
 * 0.5-0.65 of their trigrams by chance (a register's stock phrases); a
 * paragraph one repeats from the other is there verbatim, and an edited
 * copy keeps most of its sentences within a word or two.  One match per
 * found sentence. */
#define ALIGN_CLOSE 0.7
uint32_t align_close_blocks(const align_text *a, const uint8_t *found, const align_text *b,
                            const align_params *p);

/* The share of a's tokens in sentences found in b that one sentence of b
 * holds closely (ALIGN_CLOSE).  One match per found sentence. */
double align_close_share(const align_text *a, const uint8_t *found, const align_text *b,
                         const align_params *p);

/* Blocks of a but its first (a headline). */
uint32_t align_blocks(const align_text *a);

/* Is a's first block (its headline, on a page) mostly held whole
 * (ALIGN_WHOLE) in b's first block?  Two texts whose first blocks are found
 * in each other are one story, however much one adds: an aggregator's
 * first block is its own headline, which the stories it carries do not
 * hold.  In b's first block, not anywhere in b, and whole, not merely
 * found: a headline is one short sentence, and with a register's stock
 * phrases left out (stock_sentences) a few trigrams - a city, a subject -
 * decide it, which a story of the same topic holds in one of its
 * paragraphs or in its own headline of the same template (0.7-0.8 of the
 * trigrams counted).  Fifteenth round, seeds 1-3 to 51-53: 5 Japanese
 * background or follow-up stories near on such headlines are not, 3
 * roundups near a story they carry are its container; of the 54 near
 * pairs whose headlines no longer match, 52 stay near on the other rules
 * and 2 in their story's cluster (no near pair lost).  A copy keeps its
 * headline or rewrites it. */
int align_first_block_found(const align_text *a, const align_text *b, const align_params *p);

/* Twenty-fifth round: the keys of the sentences of the normalised text
 * norm (len bytes), for a cheap test of whole sentences in common
 * (align_keys_in_order): cut as align_text_build cuts (at . ! ? before a
 * space or the end, at 。 and at block ends) but on bytes, with no tokens
 * or trigrams; each sentence trimmed of spaces and hashed whole (XXH3);
 * sentences under ALIGN_WHOLE_KEY_MIN bytes are left out (a dateline, a
 * lone "。").  *keys is malloc'd (free it, also when none); returns their
 * number, or -1 when out of memory. */
#define ALIGN_WHOLE_KEY_MIN 12
long align_sentence_keys(const char *norm, size_t len, uint64_t seed, uint64_t **keys);

/* How many sentences of a (keys a[0..na)) stand word for word, in a's
 * order, in b: the longest common subsequence of the two key sequences.
 * The engine asks it of a short text of characters before aligning it
 * with a page only under short_carried_floor's lowered floor
 * (dedup_engine.c, carried_prefilter): a story a page carries keeps some
 * of its sentences whole and in order; a page of its register that shares
 * only its stock 4-grams holds none.  -1 when out of memory. */
long align_keys_in_order(const uint64_t *a, size_t na, const uint64_t *b, size_t nb);

#endif
