/*
 * shingle.c - tokenizer and shingle hashing (see shingle.h).
 *
 * The ASCII loop is the hot path: a 256-entry table says whether a byte is
 * part of a word; a word is hashed with one XXH3_64bits_withSeed call; a
 * shingle costs n multiply-adds and a finaliser on the ring of token hashes.
 */
#include "dedup/shingle.h"

#include "common/fa_err.h"
#include "dedup/text_norm.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define DEF_MAX (16u << 20)
#define MIX_P 0x9E3779B97F4A7C15ull

static uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

void shingle_vec_init(shingle_vec *v, size_t max)
{
    memset(v, 0, sizeof *v);
    v->max = max ? max : DEF_MAX;
}

void shingle_vec_reset(shingle_vec *v)
{
    v->n = 0;
}

void shingle_vec_free(shingle_vec *v)
{
    free(v->hash);
    free(v->block);
    v->hash = NULL;
    v->block = NULL;
    v->n = v->cap = 0;
}

static int vec_push(shingle_vec *v, uint64_t h, uint32_t block)
{
    if (v->n == v->cap) {
        if (v->n >= v->max) return FA_ETOOBIG;
        size_t nc = v->cap ? v->cap * 2 : 1024;
        if (nc > v->max) nc = v->max;
        uint64_t *nh = realloc(v->hash, nc * sizeof *nh);
        if (nh == NULL) return FA_ENOMEM;
        v->hash = nh;
        uint32_t *nb = realloc(v->block, nc * sizeof *nb);
        if (nb == NULL) return FA_ENOMEM;
        v->block = nb;
        v->cap = nc;
    }
    v->hash[v->n] = h;
    v->block[v->n] = block;
    v->n++;
    return 0;
}

void shingler_init(shingler *s, unsigned n, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    if (n < 1) n = 1;
    if (n > SHINGLE_MAX_N) n = SHINGLE_MAX_N;
    s->n = n;
    s->seed = seed;
}

/* The window is kept oldest-first in win[0..have): shifting n <= 8 words
 * is cheaper than ring arithmetic with a division per token. */
static uint64_t window_hash(const shingler *s, unsigned count)
{
    uint64_t h = s->seed ^ (uint64_t)count;
    for (unsigned i = s->have - count; i < s->have; i++)
        h = h * MIX_P + s->win[i];
    return fmix64(h);
}

static int add_token(shingler *s, uint64_t th, uint32_t block, shingle_vec *out)
{
    s->tokens++;
    if (s->have < s->n) {
        s->win[s->have] = th;
        s->win_block[s->have] = block;
        s->have++;
    } else {
        for (unsigned i = 1; i < s->n; i++) {
            s->win[i - 1] = s->win[i];
            s->win_block[i - 1] = s->win_block[i];
        }
        s->win[s->n - 1] = th;
        s->win_block[s->n - 1] = block;
    }
    if (s->have == s->n) {
        s->emitted = 1;
        if (out->n < out->cap) { /* the common case, inline */
            out->hash[out->n] = window_hash(s, s->n);
            out->block[out->n] = s->win_block[0];
            out->n++;
            return 0;
        }
        return vec_push(out, window_hash(s, s->n), s->win_block[0]);
    }
    return 0;
}

static const uint8_t ascii_word[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
    ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
    ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
    ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
};

/* Generic tokenizer: calls emit(tok, len, unspaced_cp, ud) per token. */
typedef int (*tok_fn)(const char *tok, size_t len, uint32_t cp, void *ud);

static int tokenize(const char *norm, size_t len, tok_fn emit, void *ud)
{
    const uint8_t *s = (const uint8_t *)norm;
    size_t i = 0;
    while (i < len) {
        uint8_t ch = s[i];
        if (ch < 0x80) {
            if (!ascii_word[ch]) {
                i++;
                continue;
            }
        }
        /* a word: ASCII word bytes and non-ASCII word characters */
        size_t start = i;
        for (;;) {
            if (i >= len) break;
            ch = s[i];
            if (ch < 0x80) {
                if (!ascii_word[ch]) break;
                i++;
                continue;
            }
            uint32_t c;
            size_t k = text_utf8_next(s + i, len - i, &c);
            enum text_script_class cl = text_script_class(c);
            if (cl == TEXT_WORD) {
                i += k;
                continue;
            }
            if (cl == TEXT_UNSPACED) {
                if (i > start) {
                    int rc = emit(norm + start, i - start, 0, ud);
                    if (rc < 0) return rc;
                }
                int rc = emit(norm + i, k, c, ud);
                if (rc < 0) return rc;
                i += k;
                start = i;
                continue;
            }
            /* separator */
            if (i == start) {
                i += k;
                start = i;
                continue;
            }
            break;
        }
        if (i > start) {
            int rc = emit(norm + start, i - start, 0, ud);
            if (rc < 0) return rc;
        }
    }
    return 0;
}

typedef struct feed_ctx {
    shingler *s;
    uint32_t block;
    shingle_vec *out;
} feed_ctx;

/* Does UTF-8 at t begin with a Hangul syllable (U+AC00..U+D7A3: EA B0 80
 * .. ED 9E A3)?  t has at least 3 bytes. */
static inline int hangul_lead(const uint8_t *t)
{
    return (t[0] == 0xEA && t[1] >= 0xB0) || t[0] == 0xEB || t[0] == 0xEC ||
           (t[0] == 0xED && t[1] <= 0x9E);
}

static int feed_tok(const char *tok, size_t len, uint32_t cp, void *ud)
{
    feed_ctx *f = ud;
    uint64_t th = cp ? fmix64(((uint64_t)cp << 8) ^ f->s->seed ^ 0x5bd1e995ull)
                     : XXH3_64bits_withSeed(tok, len, f->s->seed);
    if (cp)
        f->s->unspaced++;
    else if (len >= 3 && hangul_lead((const uint8_t *)tok))
        f->s->hangul++;
    return add_token(f->s, th, f->block, f->out);
}

int shingler_feed(shingler *s, const char *norm, size_t len, uint32_t block, shingle_vec *out)
{
    const uint8_t *p = (const uint8_t *)norm;
    /* fast path: pure ASCII word loop */
    size_t i = 0;
    for (;;) {
        while (i < len && p[i] < 0x80 && !ascii_word[p[i]])
            i++;
        if (i >= len) return 0;
        if (p[i] >= 0x80) break;
        size_t st = i;
        while (i < len && p[i] < 0x80 && ascii_word[p[i]])
            i++;
        if (i < len && p[i] >= 0x80) {
            i = st; /* word continues with non-ASCII: generic path */
            break;
        }
        int rc = add_token(s, XXH3_64bits_withSeed(norm + st, i - st, s->seed), block, out);
        if (rc < 0) return rc;
    }
    feed_ctx f = {s, block, out};
    return tokenize(norm + i, len - i, feed_tok, &f);
}

int shingler_finish(shingler *s, shingle_vec *out)
{
    if (s->emitted || s->have == 0) return 0;
    s->emitted = 1;
    return vec_push(out, window_hash(s, s->have), s->win_block[0]);
}

static int count_tok(const char *tok, size_t len, uint32_t cp, void *ud)
{
    (void)tok, (void)len, (void)cp;
    (*(size_t *)ud)++;
    return 0;
}

size_t shingle_count_tokens(const char *norm, size_t len)
{
    size_t n = 0;
    tokenize(norm, len, count_tok, &n);
    return n;
}

typedef struct each_ctx {
    void (*fn)(const char *, size_t, void *);
    void *ud;
} each_ctx;

static int each_tok(const char *tok, size_t len, uint32_t cp, void *ud)
{
    (void)cp;
    each_ctx *e = ud;
    e->fn(tok, len, e->ud);
    return 0;
}

void shingle_tokens(const char *norm, size_t len, void (*fn)(const char *tok, size_t len, void *ud),
                    void *ud)
{
    each_ctx e = {fn, ud};
    tokenize(norm, len, each_tok, &e);
}
