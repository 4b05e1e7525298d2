/*
 * shingle.h - word n-gram shingles over normalised text, hashed with XXH3.
 *
 * The tokenizer reads normalised text (text_norm.h) and cuts it into
 * tokens: a word is a run of letters, digits and marks in a spaced script
 * (Latin, Cyrillic, Greek, Arabic, Hangul, ...); in a script written
 * without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar,
 * Tibetan; detected per character with libunistring's uc_script) every
 * character is a token, so a run of such text yields character n-grams.
 * Punctuation and symbols separate tokens and are dropped.  Each token is
 * hashed once (XXH3-64, seeded) and a shingle is n consecutive token hashes
 * combined (multiply-add, then a 64-bit finaliser), so every byte of text is
 * hashed once whatever n is.
 *
 * A shingler is fed block after block; the window runs across block
 * boundaries (an aggregator that merges two paragraphs into one still
 * produces the same shingles), and each shingle remembers the block of its
 * first token.  A text with fewer than n tokens yields one shingle of all
 * its tokens.
 */
#ifndef SHINGLE_H
#define SHINGLE_H

#include <stddef.h>
#include <stdint.h>

#define SHINGLE_MAX_N 8

typedef struct shingle_vec {
    uint64_t *hash;     /* shingle hashes in text order (repeats kept) */
    uint32_t *block;    /* block of each shingle's first token */
    size_t n, cap, max; /* max: ceiling on n (0 = 16M) */
} shingle_vec;

typedef struct shingler {
    unsigned n;
    uint64_t seed;
    uint64_t win[SHINGLE_MAX_N];
    uint32_t win_block[SHINGLE_MAX_N];
    unsigned have;   /* tokens in the window (<= n) */
    uint64_t tokens; /* tokens seen */
    uint64_t unspaced; /* of which characters of unspaced scripts (Han, Kana, Thai, ...) */
    uint64_t hangul;   /* of which words beginning with a Hangul syllable */
    int emitted;     /* a full window was emitted */
} shingler;

void shingle_vec_init(shingle_vec *v, size_t max);
void shingle_vec_reset(shingle_vec *v);
void shingle_vec_free(shingle_vec *v);

/* n in 1..SHINGLE_MAX_N (others are clamped). */
void shingler_init(shingler *s, unsigned n, uint64_t seed);

/* Tokenizes norm[0..len) (normalised UTF-8), appending the shingles that
 * complete to out.  Returns 0, FA_ETOOBIG (out's ceiling) or FA_ENOMEM. */
int shingler_feed(shingler *s, const char *norm, size_t len, uint32_t block, shingle_vec *out);

/* Ends the text: a text shorter than n tokens gets its one shingle. */
int shingler_finish(shingler *s, shingle_vec *out);

/* Tokens in norm[0..len) (for tests and statistics). */
size_t shingle_count_tokens(const char *norm, size_t len);

/* Calls fn for each token (bytes of norm) - for tests. */
void shingle_tokens(const char *norm, size_t len, void (*fn)(const char *tok, size_t len, void *ud),
                    void *ud);

#endif
