/*
 * align.c - sentence alignment of two normalised texts (see align.h).
 */
#include "dedup/align.h"

#include "common/fa_err.h"
#include "dedup/text_norm.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static inline int hangul_syllable(uint32_t c)
{
    return c >= 0xAC00 && c <= 0xD7A3;
}

/* text_script_class for the common ranges of CJK text without its script
 * lookups (the same answers: Han, Hiragana and Katakana letters are
 * unspaced); the rest goes to it.  Unlike the shingler, alignment takes
 * Hangul syllables one by one too (align.h says why). */
static inline enum text_script_class script_class(uint32_t c)
{
    if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3041 && c <= 0x3096) ||
        (c >= 0x30A1 && c <= 0x30FA) || hangul_syllable(c))
        return TEXT_UNSPACED;
    return text_script_class(c);
}

/* ASCII letters and digits: what text_script_class calls TEXT_WORD below 0x80 */
static inline int ascii_word(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

/* The end of the word (TEXT_WORD run) whose first character ends at j,
 * within p[..len). */
static inline size_t word_end(const uint8_t *p, size_t j, size_t len)
{
    while (j < len) {
        if (p[j] < 0x80) {
            if (!ascii_word(p[j])) break;
            j++;
            continue;
        }
        uint32_t c2;
        size_t l2 = text_utf8_next3(p + j, len - j, &c2);
        if (script_class(c2) != TEXT_WORD) break;
        j += l2;
    }
    return j;
}

/* Two bits of a 64-bit Bloom mask for the token hashed h. */
static inline uint64_t mask_bits(uint64_t h)
{
    return 1ull << (h & 63) | 1ull << (h >> 6 & 63);
}

/* Two bits of a 64 * ALIGN_ATTR_WORDS-bit Bloom mask m for the token hashed h. */
static inline void attr_bits(uint64_t *m, uint64_t h)
{
    unsigned a = (unsigned)(h & (64 * ALIGN_ATTR_WORDS - 1)),
             b = (unsigned)(h >> 8 & (64 * ALIGN_ATTR_WORDS - 1));
    m[a / 64] |= 1ull << (a % 64);
    m[b / 64] |= 1ull << (b % 64);
}

typedef struct builder {
    align_text *t;
    size_t cap_s, cap_g;
    uint64_t win[ALIGN_GRAM];
    unsigned have;
    uint32_t tokens, chars, hangul;
    uint64_t numbers; /* the sentence's (align_sentence.numbers) */
    const uint8_t *p; /* the text */
    int in_quote;     /* between quote marks */
    int quote_start;  /* ... at the sentence's first byte */
    int quoted;       /* the sentence holds a quote mark */
    int emitted;
} builder;

static int push_gram(builder *b, uint64_t h)
{
    align_text *t = b->t;
    if (t->n_grams == b->cap_g) {
        size_t nc = b->cap_g ? b->cap_g * 2 : 256;
        uint64_t *ng = realloc(t->grams, nc * sizeof *ng);
        if (ng == NULL) return FA_ENOMEM;
        t->grams = ng, b->cap_g = nc;
    }
    t->grams[t->n_grams++] = h;
    return 0;
}

static uint64_t combine(const uint64_t *w, unsigned n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (unsigned i = 0; i < n; i++)
        h = (h ^ w[i]) * 0x100000001B3ull + (h >> 29);
    return mix64(h);
}

static int token(builder *b, uint64_t h)
{
    b->tokens++;
    if (b->have == ALIGN_GRAM) {
        memmove(b->win, b->win + 1, (ALIGN_GRAM - 1) * sizeof *b->win);
        b->have--;
    }
    b->win[b->have++] = h;
    if (b->have == ALIGN_GRAM) {
        b->emitted = 1;
        return push_gram(b, combine(b->win, ALIGN_GRAM));
    }
    return 0;
}

/* The attribution of a sentence that quotes (align_sentence.attr): its
 * words and characters outside quote marks, two bits each, hashed over
 * p[off..end) from the quote state `in` at off.  A second pass over the
 * bytes of the sentences that quote only (a bit per token of every text
 * cost the build 17% more). */
static void attribution_mask(const uint8_t *p, uint32_t off, uint32_t end, int in, uint64_t *m)
{
    size_t i = off;
    while (i < end) {
        uint32_t c;
        size_t l = 1;
        if (p[i] < 0x80)
            c = p[i];
        else
            l = text_utf8_next3(p + i, end - i, &c);
        if (c == '"' || c == 0x300C || c == 0x300D || c == 0x300E || c == 0x300F) {
            in = c == '"' ? !in : c == 0x300C || c == 0x300E;
            i += l;
            continue;
        }
        enum text_script_class cls =
            c < 0x80 ? (ascii_word((uint8_t)c) ? TEXT_WORD : TEXT_SEP) : script_class(c);
        size_t j = cls == TEXT_WORD ? word_end(p, i + l, end) : i + l;
        if (cls != TEXT_SEP && !in) attr_bits(m, XXH3_64bits(p + i, j - i));
        i = j;
    }
}

/* Closes the sentence begun at off (bytes) if it has tokens. */
static int end_sentence(builder *b, uint32_t off, uint32_t end, uint32_t block)
{
    align_text *t = b->t;
    int rc = 0;
    if (b->tokens && !b->emitted) rc = push_gram(b, combine(b->win, b->have));
    if (rc == 0 && b->tokens) {
        if (t->n_s == b->cap_s) {
            size_t nc = b->cap_s ? b->cap_s * 2 : 64;
            align_sentence *ns = realloc(t->s, nc * sizeof *ns);
            if (ns == NULL) return FA_ENOMEM;
            t->s = ns, b->cap_s = nc;
        }
        uint32_t first = t->n_s ? t->s[t->n_s - 1].first + t->s[t->n_s - 1].n_grams : 0;
        align_sentence *ns = &t->s[t->n_s++];
        *ns = (align_sentence){
            off,   end - off,  first, (uint32_t)t->n_grams - first, b->tokens, b->chars, b->hangul,
            block, b->numbers, {0},   (uint32_t)b->quoted};
        if (b->quoted) attribution_mask(b->p, off, end, b->quote_start, ns->attr);
        t->tokens += b->tokens;
        t->hangul += b->hangul;
    }
    b->have = 0, b->tokens = 0, b->chars = 0, b->hangul = 0, b->emitted = 0, b->numbers = 0;
    b->quoted = 0, b->quote_start = b->in_quote;
    return rc;
}

int align_text_build(align_text *t, const char *norm, size_t len, uint64_t seed)
{
    memset(t, 0, sizeof *t);
    builder b = {t, 0, 0, {0}, 0, 0, 0, 0, 0, (const uint8_t *)norm, 0, 0, 0, 0};
    /* room for what a text of len bytes usually has (a token per 3-6
     * bytes, a sentence per ~100): one allocation each instead of a chain
     * of reallocs per candidate */
    b.cap_g = len / 3 + 16, b.cap_s = len / 64 + 8;
    t->grams = malloc(b.cap_g * sizeof *t->grams);
    t->s = malloc(b.cap_s * sizeof *t->s);
    if (t->grams == NULL || t->s == NULL) return FA_ENOMEM;
    const uint8_t *p = (const uint8_t *)norm;
    size_t i = 0;
    uint32_t start = 0, block = 0;
    int rc = 0;
    while (i < len && rc == 0) {
        uint32_t c;
        size_t l;
        enum text_script_class cls;
        if (p[i] < 0x80) { /* ASCII inline: the common case */
            c = p[i], l = 1;
            cls = ascii_word(p[i]) ? TEXT_WORD : TEXT_SEP;
        } else {
            l = text_utf8_next3(p + i, len - i, &c);
            cls = script_class(c);
        }
        if (cls == TEXT_WORD) {
            size_t j = word_end(p, i + l, len);
            uint64_t h = XXH3_64bits_withSeed(p + i, j - i, seed);
            if (c >= '0' && c <= '9') b.numbers |= mask_bits(h);
            rc = token(&b, h);
            i = j;
            continue;
        }
        if (cls == TEXT_UNSPACED) {
            rc = token(&b, mix64((uint64_t)c * 0x9E3779B97F4A7C15ull ^ seed));
            if (hangul_syllable(c))
                b.hangul++;
            else
                t->unspaced++;
            b.chars++;
            i += l;
            continue;
        }
        /* quote marks: " (NFKC and text_normalize made the typographic
         * ones ASCII), 「 」 and 『 』 */
        if (c == '"')
            b.in_quote = !b.in_quote, b.quoted = 1;
        else if (c == 0x300C || c == 0x300E)
            b.in_quote = 1, b.quoted = 1;
        else if (c == 0x300D || c == 0x300F)
            b.in_quote = 0;
        int cut = 0;
        if (c == '\n') {
            cut = 1;
        } else if (c == 0x3002 || c == '!' || c == '?') {
            cut = 1;
        } else if (c == '.') {
            cut = i + 1 >= len || p[i + 1] == ' ' || p[i + 1] == '\n' || p[i + 1] == '"';
        }
        i += l;
        if (cut) {
            /* closing marks (not after a line's end: a quote opening the
             * next block) */
            while (c != '\n' && i < len && (p[i] == '"' || p[i] == '\'' || p[i] == ')')) {
                if (p[i] == '"') b.in_quote = !b.in_quote, b.quoted = 1;
                i++;
            }
            if (c == '\n') b.in_quote = 0; /* a block ends any quote */
            rc = end_sentence(&b, start, (uint32_t)i, block);
            start = (uint32_t)i;
            if (c == '\n') block++;
        }
    }
    if (rc == 0) rc = end_sentence(&b, start, (uint32_t)len, block);
    if (rc == 0 && t->n_grams) {
        size_t cap = 16;
        while (cap < t->n_grams * 2)
            cap *= 2;
        t->mask = cap - 1;
        t->post = malloc(t->n_grams * sizeof *t->post);
        t->gslot = malloc(t->n_grams * sizeof *t->gslot);
        t->head = malloc(cap * sizeof *t->head);
        t->df = calloc(cap, 1);
        t->scratch = calloc(t->n_s ? t->n_s : 1, sizeof *t->scratch);
        if (!t->post || !t->gslot || !t->head || !t->df || !t->scratch) return FA_ENOMEM;
        memset(t->head, 0xFF, cap * sizeof *t->head);
        for (size_t si = 0; si < t->n_s; si++)
            for (uint32_t k = 0; k < t->s[si].n_grams; k++) {
                uint64_t g = t->grams[t->s[si].first + k];
                size_t slot = (size_t)g & t->mask;
                while (t->head[slot] != UINT32_MAX && t->post[t->head[slot]].gram != g)
                    slot = (slot + 1) & t->mask;
                t->gslot[t->s[si].first + k] = (uint32_t)slot;
                uint32_t h = t->head[slot];
                if (h != UINT32_MAX && t->post[h].sentence == (uint32_t)si)
                    continue; /* this sentence has it already */
                t->post[t->n_post] = (align_posting){g, (uint32_t)si, h};
                t->head[slot] = (uint32_t)t->n_post++;
                if (t->df[slot] < 255) t->df[slot]++;
            }
    }
    return rc;
}

void align_text_free(align_text *t)
{
    if (t == NULL) return;
    free(t->s);
    free(t->grams);
    free(t->post);
    free(t->head);
    free(t->gslot);
    free(t->df);
    free(t->scratch);
    memset(t, 0, sizeof *t);
}

/* The slot of gram g in t, or SIZE_MAX. */
static size_t find_slot(const align_text *t, uint64_t g)
{
    size_t slot = (size_t)g & t->mask;
    while (t->head[slot] != UINT32_MAX) {
        if (t->post[t->head[slot]].gram == g) return slot;
        slot = (slot + 1) & t->mask;
    }
    return SIZE_MAX;
}

/* Does sentence y (of another text) hold the attribution of the quoting
 * sentence x - the words outside its quote marks (align_sentence.attr),
 * all but ALIGN_ATTRIBUTION_MISSING bits of them - or quote nothing? */
static int attribution_held(const align_sentence *x, const align_sentence *y)
{
    if (!y->quoted) return 1;
    int missing = 0;
    for (int k = 0; k < ALIGN_ATTR_WORDS; k++)
        missing += __builtin_popcountll(x->attr[k] & ~y->attr[k]);
    return missing <= ALIGN_ATTRIBUTION_MISSING;
}

/* Whether sentence i of a is found in b: -1 if not, else (held non-NULL)
 * the sentence of b holding the most of its trigrams (of equal counts the
 * earliest) with *held = the share of i's counted trigrams it holds, or
 * (held NULL) 0. */
static long sentence_match(const align_text *a, size_t i, const align_text *b,
                           const align_params *p, double *held)
{
    const align_sentence *s = &a->s[i];
    if (s->n_grams == 0 || b->n_post == 0) return -1;
    int chars = s->chars * 2 > s->tokens;
    double min = !chars                                                    ? p->sentence_min
                 : s->hangul * 2 > s->tokens && p->sentence_min_hangul > 0 ? p->sentence_min_hangul
                                                                           : p->sentence_min_chars;
    unsigned stock = chars ? p->stock_sentences : 0;
    uint32_t buf[256], *heads = buf;
    if (s->n_grams > 256 && (heads = malloc(s->n_grams * sizeof *heads)) == NULL) return -1;
    const uint64_t *g = a->grams + s->first;
    const uint32_t *gs = a->gslot + s->first;
    /* the trigrams b has at all (one probe each), stock phrases left out
     * (stock_pair: also those in stock sentences of the two texts
     * together); most sentences compared are not in b and stop here */
    uint32_t counted = 0, present = 0;
    for (int filter = stock != 0;; filter = 0) {
        counted = present = 0;
        for (uint32_t k = 0; k < s->n_grams; k++) {
            if (filter && a->df[gs[k]] >= stock) continue;
            size_t slot = find_slot(b, g[k]);
            if (filter && slot != SIZE_MAX &&
                (b->df[slot] >= stock || (p->stock_pair && a->df[gs[k]] + b->df[slot] >= stock)))
                continue;
            counted++;
            if (slot != SIZE_MAX) heads[present++] = b->head[slot];
        }
        if (counted || !filter) break;
    }
    uint32_t need = (uint32_t)(min * (double)counted + 0.999999);
    if (need == 0) need = 1;
    long found = -1;
    if (present >= need) {
        /* count per sentence of b; undo the counts afterwards */
        uint32_t best = 0, at = 0;
        int attr_check = p->attribution && s->quoted;
        if (held == NULL && !attr_check) /* found or not: the count only (the hot path) */
            for (uint32_t k = 0; k < present; k++)
                for (uint32_t j = heads[k]; j != UINT32_MAX; j = b->post[j].next) {
                    uint32_t c = ++b->scratch[b->post[j].sentence];
                    if (c > best) best = c;
                }
        else /* and where: of equal counts the earliest sentence of b (a
              * quote: of those that hold its attribution) */
            for (uint32_t k = 0; k < present; k++)
                for (uint32_t j = heads[k]; j != UINT32_MAX; j = b->post[j].next) {
                    uint32_t sj = b->post[j].sentence, c = ++b->scratch[sj];
                    if ((c > best || (c == best && sj < at)) &&
                        (!attr_check || attribution_held(s, &b->s[sj])))
                        best = c, at = sj;
                }
        for (uint32_t k = 0; k < present; k++)
            for (uint32_t j = heads[k]; j != UINT32_MAX; j = b->post[j].next)
                b->scratch[b->post[j].sentence] = 0;
        if (best >= need) found = (long)at;
        if (held) *held = counted ? (double)best / (double)counted : 0;
    }
    if (heads != buf) free(heads);
    return found;
}

int align_sentence_found(const align_text *a, size_t i, const align_text *b, const align_params *p)
{
    return sentence_match(a, i, b, p, NULL) >= 0;
}

/* Does sentence j of b state every number sentence i of a states (its
 * words that begin with a digit, align_sentence.numbers)?  Two sentences
 * of one template (an agency, a date, an action, an amount) differ in
 * their figures; a copy with a typo keeps them.  A number j lacks passes when
 * both its bits are set by j's others (about 1% for a sentence of three
 * numbers). */
static int numbers_kept(const align_text *a, size_t i, const align_text *b, size_t j)
{
    return (a->s[i].numbers & ~b->s[j].numbers) == 0;
}

/* Is sentence j of b a copy of sentence i of a with a typo or two
 * (align_params.next_to_found, ALIGN_NEXT_*)?  Its share of i's trigrams,
 * and for characters its share of those sentence_match counts. */
static int next_copy(const align_text *a, size_t i, const align_text *b, size_t j,
                     const align_params *p)
{
    const align_sentence *s = &a->s[i];
    int chars = s->chars * 2 > s->tokens;
    double min = chars ? ALIGN_NEXT_CHARS : ALIGN_NEXT_WORDS;
    /* j holds at most its own trigrams; then the figures (cheap first) */
    if (s->n_grams == 0 || (double)b->s[j].n_grams < min * (double)s->n_grams ||
        !numbers_kept(a, i, b, j))
        return 0;
    unsigned stock = chars ? p->stock_sentences : 0;
    const uint64_t *g = a->grams + s->first;
    const uint32_t *gs = a->gslot + s->first;
    uint32_t all = 0, counted = 0, in_counted = 0;
    for (uint32_t k = 0; k < s->n_grams; k++) {
        size_t slot = find_slot(b, g[k]);
        int in = 0;
        if (slot != SIZE_MAX)
            for (uint32_t q = b->head[slot]; q != UINT32_MAX && !in; q = b->post[q].next)
                in = b->post[q].sentence == j;
        all += (uint32_t)in;
        int filtered =
            stock &&
            (a->df[gs[k]] >= stock ||
             (slot != SIZE_MAX &&
              (b->df[slot] >= stock || (p->stock_pair && a->df[gs[k]] + b->df[slot] >= stock))));
        if (filtered) continue;
        counted++, in_counted += (uint32_t)in;
    }
    if (!chars) return (double)all >= ALIGN_NEXT_WORDS * (double)s->n_grams;
    if (counted == 0) /* a sentence only of stock phrases counts them all (sentence_match) */
        counted = s->n_grams, in_counted = all;
    return (double)all >= ALIGN_NEXT_CHARS * (double)s->n_grams &&
           (double)in_counted >= ALIGN_NEXT_COUNTED * (double)counted;
}

/* Finds (set: a->n_s flags, set for each sentence found so) or places
 * (set NULL: the sentences flagged in found that have no match in m) a's
 * sentences next to a found one whose match's neighbour in b is their
 * copy with typos (next_copy, align.h ALIGN_NEXT_*) - in the found one's
 * block, or in the next (previous) one when that neighbour begins (ends)
 * a block of b too.  m: a->n_s matches in b (-1: none), updated.  Without
 * memory nothing is found so. */
static void next_to_found(const align_text *a, const align_text *b, const align_params *p,
                          const uint8_t *found, uint8_t *set, long *m)
{
    size_t n = a->n_s;
    uint8_t *taken = calloc(b->n_s ? b->n_s : 1, 1); /* b's sentences holding a match */
    if (taken == NULL) return;
    for (size_t i = 0; i < n; i++)
        if (m[i] >= 0 && (size_t)m[i] < b->n_s) taken[m[i]] = 1;
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < n; i++) {
            if (set ? set[i] : !found[i] || m[i] >= 0) continue;
            for (int side = 0; side < 2 && m[i] < 0; side++) {
                long j;
                int cross = 0;
                if (side == 0) {
                    if (i == 0 || m[i - 1] < 0) continue;
                    cross = a->s[i - 1].block != a->s[i].block;
                    j = m[i - 1] + 1;
                } else {
                    if (i + 1 >= n || m[i + 1] < 0) continue;
                    cross = a->s[i + 1].block != a->s[i].block;
                    j = m[i + 1] - 1;
                }
                if (j < 0 || (size_t)j >= b->n_s || taken[j]) continue;
                /* across a paragraph's edge only where b's sentence stands at
                 * one too: a copy keeps its paragraphs */
                if (cross && b->s[side == 0 ? j - 1 : j + 1].block == b->s[j].block) continue;
                if (!next_copy(a, i, b, (size_t)j, p)) continue;
                m[i] = j, taken[j] = 1, changed = 1;
                if (set) set[i] = 1;
            }
        }
    }
    free(taken);
}

/* Each of a's found sentences' match in b (at[i]; -1 for the others) and
 * the share of its counted trigrams there (held[i]; 0 for a sentence
 * found next to a found one: never whole, never close). */
static void found_matches(const align_text *a, const uint8_t *found, const align_text *b,
                          const align_params *p, long *at, double *held)
{
    int placed = 0;
    for (size_t i = 0; i < a->n_s; i++) {
        at[i] = found[i] ? sentence_match(a, i, b, p, &held[i]) : -1;
        if (at[i] < 0) held[i] = 0; /* sentence_match leaves it unset or under the floor */
        placed |= found[i] && at[i] < 0;
    }
    if (placed && p->next_to_found) next_to_found(a, b, p, found, NULL, at);
}

void align_shares(const align_text *a, const align_text *b, const align_params *p, double *share,
                  double *block_share, uint8_t *found_out)
{
    *share = *block_share = 0;
    if (a->tokens == 0) return;
    size_t n = a->n_s;
    uint8_t *f = found_out ? found_out : malloc(n ? n : 1);
    if (f == NULL) return;
    /* with next_to_found, where each sentence is found (sentence_match
     * counts per sentence of b either way) */
    long *m = p->next_to_found ? malloc((n ? n : 1) * sizeof *m) : NULL;
    int next = 0; /* an unfound sentence next to a found one */
    for (size_t i = 0; i < n; i++) {
        double held;
        if (m) m[i] = sentence_match(a, i, b, p, &held);
        f[i] = (uint8_t)(m ? m[i] >= 0 : align_sentence_found(a, i, b, p));
        next |= i > 0 && f[i] != f[i - 1];
    }
    if (m && next) next_to_found(a, b, p, f, f, m);
    free(m);
    uint64_t found = 0, in_blocks = 0, blk_tokens = 0, blk_found = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || (i > 0 && a->s[i].block != a->s[i - 1].block)) {
            if (blk_found * 2 >= blk_tokens && blk_tokens) in_blocks += blk_tokens;
            blk_tokens = blk_found = 0;
            if (i == n) break;
        }
        blk_tokens += a->s[i].tokens;
        if (f[i]) {
            found += a->s[i].tokens;
            blk_found += a->s[i].tokens;
        }
    }
    if (f != found_out) free(f);
    *share = (double)found / (double)a->tokens;
    *block_share = (double)in_blocks / (double)a->tokens;
}

void align_own_layout(const align_text *a, const uint8_t *found, align_layout *out)
{
    align_own_layout_touched(a, found, NULL, out);
}

void align_own_layout_touched(const align_text *a, const uint8_t *found, const uint8_t *touch,
                              align_layout *out)
{
    uint32_t own_run = 0, run_touched = 0; /* own blocks since the last found one */
    int last_touched = 0;                  /* the last own block held a found sentence */
    uint64_t tok = 0, got = 0, hit = 0;    /* hit: tokens found or touched */
    memset(out, 0, sizeof *out);
    if (a->n_s == 0) return;
    for (size_t i = 0; i <= a->n_s; i++) {
        if (i == a->n_s || (i > 0 && a->s[i].block != a->s[i - 1].block)) {
            int first = a->s[i - 1].block == a->s[0].block;
            if (!first && tok) {
                if (got * 2 >= tok) {
                    if (out->found)
                        out->inner += own_run, out->inner_touched += run_touched;
                    else
                        out->lead = own_run, out->lead_edge = own_run && last_touched;
                    own_run = run_touched = 0;
                    out->found++;
                } else {
                    if (out->found && own_run == 0) out->trail_edge = hit > 0;
                    own_run++;
                    run_touched += hit > 0;
                    last_touched = hit > 0;
                }
            }
            tok = got = hit = 0;
            if (i == a->n_s) break;
        }
        tok += a->s[i].tokens;
        if (found[i]) got += a->s[i].tokens;
        if (found[i] || (touch && touch[i])) hit += a->s[i].tokens;
    }
    if (out->found) out->trail = own_run;
    if (out->trail == 0) out->trail_edge = 0;
}

/* The share of sentence j of b's trigrams that sentence i of a holds: a
 * sentence of b that is a's sentence cut short (a trimmed quote) or with
 * a word changed holds most of its trigrams in it. */
static double sentence_held_in(const align_text *b, size_t j, const align_text *a, size_t i)
{
    const align_sentence *s = &b->s[j];
    if (s->n_grams == 0 || a->n_post == 0) return 0;
    uint32_t in = 0;
    for (uint32_t k = 0; k < s->n_grams; k++) {
        size_t slot = find_slot(a, b->grams[s->first + k]);
        if (slot == SIZE_MAX) continue;
        for (uint32_t q = a->head[slot]; q != UINT32_MAX; q = a->post[q].next)
            if (a->post[q].sentence == i) {
                in++;
                break;
            }
    }
    return (double)in / (double)s->n_grams;
}

void align_found_run(const align_text *a, const uint8_t *found, const align_text *b,
                     const align_params *p, align_run *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = a->n_s ? a->n_s : 1;
    /* each match (in a's order): where in b, a's sentence and tokens, held whole */
    long *at_of = malloc(cap * sizeof *at_of), *i_of = malloc(cap * sizeof *i_of);
    uint64_t *tok_of = malloc(cap * sizeof *tok_of);
    uint8_t *whole_of = malloc(cap);
    long *match = malloc(cap * sizeof *match);
    double *held = malloc(cap * sizeof *held);
    if (at_of == NULL || i_of == NULL || tok_of == NULL || whole_of == NULL || match == NULL ||
        held == NULL) {
        free(at_of), free(i_of), free(tok_of), free(whole_of), free(match), free(held);
        return; /* out of memory: unmeasured (span 0), as a text with no match */
    }
    found_matches(a, found, b, p, match, held);
    uint32_t n = 0;
    for (size_t i = 0; i < a->n_s; i++) {
        if (match[i] < 0) continue;
        at_of[n] = match[i], i_of[n] = (long)i, tok_of[n] = a->s[i].tokens;
        whole_of[n] = held[i] >= ALIGN_WHOLE;
        n++;
    }
    free(match), free(held);
    /* A match out of place - not right after the previous match (the
     * first: not right before the next) - is moved to the sentence of b
     * right after the previous match, or else right before the next (and
     * after the previous), when that sentence is this one's copy -
     * ALIGN_CLOSE of its own trigrams in it, no other match there: the
     * carried copy changed (a quote trimmed, a word replaced) so that its
     * best match is elsewhere in b, a sentence the page's own text or
     * another story it carries says with the same stock phrases (a quote
     * template), held whole on the few trigrams left counted.  The run
     * then keeps the copy's order and span (align.h). */
    for (uint32_t k = 0; k < n && n >= 2; k++) {
        long after = k > 0 ? at_of[k - 1] + 1 : -1, before = k + 1 < n ? at_of[k + 1] - 1 : -1;
        if (k > 0 ? at_of[k] == after : at_of[k] == before) continue;
        for (int c = 0; c < 2; c++) {
            long j = c == 0 ? after : before;
            if (j < 0 || (size_t)j >= b->n_s || j == at_of[k] ||
                (c == 1 && k > 0 && j <= at_of[k - 1]))
                continue;
            int taken = 0;
            for (uint32_t m = 0; m < n && !taken; m++)
                taken = at_of[m] == j;
            if (!taken && sentence_held_in(b, (size_t)j, a, (size_t)i_of[k]) >= ALIGN_CLOSE) {
                at_of[k] = j;
                break;
            }
        }
    }
    long lo = -1, hi = -1, lo2 = -1, hi2 = -1; /* the two smallest and largest matches */
    long prev = -1;
    uint32_t inv = 0;
    uint64_t whole = 0;
    for (uint32_t k = 0; k < n; k++) {
        long at = at_of[k];
        if (prev >= 0 && at < prev) inv++;
        prev = at;
        if (lo < 0 || at < lo)
            lo2 = lo, lo = at;
        else if (lo2 < 0 || at < lo2)
            lo2 = at;
        if (at > hi)
            hi2 = hi, hi = at;
        else if (at > hi2)
            hi2 = at;
        if (whole_of[k]) whole += tok_of[k];
    }
    out->span = lo < 0 ? 0 : (uint32_t)(hi - lo + 1);
    out->span_core = out->span;
    out->inversions = inv;
    out->matched = n;
    out->stretch = n == 0 ? 0 : (uint32_t)(i_of[n - 1] - i_of[0] + 1);
    out->first = lo < 0 ? 0 : (uint32_t)lo;
    out->last = hi < 0 ? 0 : (uint32_t)hi;
    out->core_first = out->first;
    if (n >= 3) {
        long c = hi - lo2 < hi2 - lo ? hi - lo2 : hi2 - lo;
        out->span_core = (uint32_t)(c + 1);
        if (hi - lo2 < hi2 - lo) out->core_first = (uint32_t)lo2;
    }
    out->whole = a->tokens ? (double)whole / (double)a->tokens : 0;
    /* the sentences of b holding a match, each counted once (quadratic
     * in a story's sentences: nothing) */
    for (uint32_t k = 0; k < n; k++) {
        uint32_t j = 0;
        while (j < k && at_of[j] != at_of[k])
            j++;
        out->distinct += j == k;
    }
    if (n > 0 && a->tokens) {
        /* the window [at_of[l], at_of[l] + a->n_s) holding the most tokens
         * (n is a story's sentences: quadratic is nothing here) */
        uint64_t best = 0;
        long best_lo = 0;
        for (uint32_t l = 0; l < n; l++) {
            uint64_t t = 0;
            for (uint32_t k = 0; k < n; k++)
                if (at_of[k] >= at_of[l] && at_of[k] < at_of[l] + (long)a->n_s) t += tok_of[k];
            if (t > best) best = t, best_lo = at_of[l];
        }
        uint64_t w = 0;
        long last = -1;
        for (uint32_t k = 0; k < n; k++) {
            if (at_of[k] < best_lo || at_of[k] >= best_lo + (long)a->n_s) continue;
            if (last >= 0 && at_of[k] < last) out->win_inversions++;
            last = at_of[k];
            if (whole_of[k]) w += tok_of[k];
        }
        out->win = (double)best / (double)a->tokens;
        out->win_whole = (double)w / (double)a->tokens;
    }
    free(at_of), free(i_of), free(tok_of), free(whole_of);
}

int align_run_block_edge(const align_text *b, const uint8_t *b_found, const align_run *run)
{
    if (run->span == 0 || run->last >= b->n_s) return 0;
    size_t lo = run->first, hi = run->last;
    while (lo > 0 && b->s[lo - 1].block == b->s[lo].block && b_found[lo - 1])
        lo--;
    while (hi + 1 < b->n_s && b->s[hi + 1].block == b->s[hi].block && b_found[hi + 1])
        hi++;
    return lo == 0 || b->s[lo - 1].block != b->s[lo].block || hi + 1 == b->n_s ||
           b->s[hi + 1].block != b->s[hi].block;
}

void align_mark_matches(const align_text *a, const uint8_t *found, const align_text *b,
                        const align_params *p, uint8_t *mark)
{
    size_t cap = a->n_s ? a->n_s : 1;
    long *m = malloc(cap * sizeof *m);
    double *held = malloc(cap * sizeof *held);
    if (m && held) {
        found_matches(a, found, b, p, m, held);
        for (size_t i = 0; i < a->n_s; i++)
            if (m[i] >= 0) mark[m[i]] = 1;
    }
    free(m), free(held);
}

uint32_t align_run_lead(const align_text *a, const uint8_t *found, const align_text *b,
                        const align_params *p)
{
    /* each whole match (in a's order): b's sentence and a's tokens */
    size_t n = 0;
    long *at_of = malloc((a->n_s ? a->n_s : 1) * sizeof *at_of);
    uint64_t *tok_of = malloc((a->n_s ? a->n_s : 1) * sizeof *tok_of);
    long lo = -1, lo2 = -1; /* the two earliest blocks of b holding a whole match */
    for (size_t i = 0; i < a->n_s; i++) {
        if (!found[i]) continue;
        double held = 0;
        long at = sentence_match(a, i, b, p, &held);
        if (at < 0 || held < ALIGN_WHOLE) continue;
        if (at_of && tok_of) at_of[n] = at, tok_of[n] = a->s[i].tokens;
        n++;
        long blk = (long)b->s[at].block;
        if (lo < 0 || blk < lo)
            lo2 = lo, lo = blk;
        else if (lo2 < 0 || blk < lo2)
            lo2 = blk;
    }
    /* the window of b as long as a (in sentences) holding the most of a's
     * tokens matched whole, when two matches or more are there: where a
     * lies in b, however many of its sentences b's own text says earlier
     * (n is a story's sentences: quadratic is nothing here) */
    if (at_of && tok_of && n >= 2) {
        uint64_t best = 0;
        long best_lo = -1;
        size_t in_best = 0;
        for (size_t l = 0; l < n; l++) {
            uint64_t t = 0;
            size_t c = 0;
            for (size_t k = 0; k < n; k++)
                if (at_of[k] >= at_of[l] && at_of[k] < at_of[l] + (long)a->n_s) t += tok_of[k], c++;
            if (t > best || (t == best && at_of[l] < best_lo))
                best = t, best_lo = at_of[l], in_best = c;
        }
        if (in_best >= 2 && (long)b->s[best_lo].block > lo2) lo2 = (long)b->s[best_lo].block;
    }
    free(at_of);
    free(tok_of);
    if (lo2 <= 0) return 0;
    /* b's first block is a headline (one sentence), not text of its own */
    int headline = b->n_s < 2 || b->s[1].block != b->s[0].block;
    return (uint32_t)lo2 - (headline ? 1u : 0u);
}

void align_kept_part(const align_text *a, const uint8_t *found, const align_text *b,
                     const align_params *p, align_kept *out)
{
    memset(out, 0, sizeof *out);
    size_t n = a->n_s;
    if (n == 0) return;
    long *at = malloc(n * sizeof *at);
    uint8_t *whole = malloc(n), *out_of = calloc(n, 1);
    uint32_t nb = a->s[n - 1].block + 1;
    uint8_t *blk_found = calloc(nb, 1);
    double *held = malloc(n * sizeof *held);
    if (at == NULL || whole == NULL || out_of == NULL || blk_found == NULL || held == NULL) {
        free(at), free(whole), free(out_of), free(blk_found), free(held);
        return;
    }
    found_matches(a, found, b, p, at, held);
    long first = -1, last = -1;
    for (size_t i = 0; i < n; i++) {
        whole[i] = at[i] >= 0 && held[i] >= ALIGN_WHOLE;
        if (at[i] < 0) continue;
        if (first < 0) first = (long)i;
        last = (long)i;
        blk_found[a->s[i].block] = 1;
    }
    if (first >= 0) {
        /* the headline, when none of it is found */
        if (!blk_found[a->s[0].block])
            for (size_t i = 0; i < n && a->s[i].block == a->s[0].block; i++)
                out_of[i] = 1;
        /* sentences skipped between two matched ones */
        for (long i = first, j; i < last; i = j) {
            for (j = i + 1; j <= last && at[j] < 0; j++)
                ;
            if (j == i + 2 && at[j] - at[i] == 1)
                for (long k = i + 1; k < j; k++)
                    if (blk_found[a->s[k].block]) out_of[k] = 1;
        }
        /* the last block cut: the only one after the last match, which
         * ends a block of b */
        uint32_t lb = a->s[last].block;
        size_t after = (size_t)last + 1;
        while (after < n && a->s[after].block == lb)
            after++;
        size_t bt = (size_t)at[last];
        int ends = bt + 1 >= b->n_s || b->s[bt + 1].block != b->s[bt].block;
        if (after < n && a->s[n - 1].block == a->s[after].block && ends)
            for (size_t k = after; k < n; k++)
                out_of[k] = 1;
    }
    uint64_t tok = 0, got = 0;
    int seen_found = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || (i > 0 && a->s[i].block != a->s[i - 1].block)) {
            if (a->s[i - 1].block != a->s[0].block && tok) {
                if (got * 2 >= tok)
                    out->found_blocks++, seen_found = 1;
                else
                    out->own_blocks++, out->lead += !seen_found;
            }
            tok = got = 0;
            if (i == n) break;
        }
        if (out_of[i]) continue;
        tok += a->s[i].tokens;
        out->tokens += a->s[i].tokens;
        if (at[i] >= 0) got += a->s[i].tokens, out->found += a->s[i].tokens;
        if (whole[i]) out->whole += a->s[i].tokens;
    }
    free(at), free(whole), free(out_of), free(blk_found), free(held);
}

uint32_t align_close_blocks(const align_text *a, const uint8_t *found, const align_text *b,
                            const align_params *p)
{
    uint32_t n = 0, last = 0; /* block 0 (a headline) is not counted */
    for (size_t i = 0; i < a->n_s; i++) {
        if (!found[i] || a->s[i].block == 0 || a->s[i].block == last) continue;
        double held = 0;
        if (sentence_match(a, i, b, p, &held) >= 0 && held >= ALIGN_CLOSE)
            n++, last = a->s[i].block;
    }
    return n;
}

double align_close_share(const align_text *a, const uint8_t *found, const align_text *b,
                         const align_params *p)
{
    uint64_t close = 0;
    for (size_t i = 0; i < a->n_s; i++) {
        double held = 0;
        if (found[i] && sentence_match(a, i, b, p, &held) >= 0 && held >= ALIGN_CLOSE)
            close += a->s[i].tokens;
    }
    return a->tokens ? (double)close / (double)a->tokens : 0;
}

uint32_t align_blocks(const align_text *a)
{
    return a->n_s ? a->s[a->n_s - 1].block : 0;
}

int align_first_block_found(const align_text *a, const align_text *b, const align_params *p)
{
    uint64_t tokens = 0, found = 0;
    for (size_t i = 0; i < a->n_s && a->s[i].block == a->s[0].block; i++) {
        tokens += a->s[i].tokens;
        /* held whole in b's first block, not found in its body or on part
         * of its trigrams: a story of one topic holds a headline's few
         * counted trigrams (a register's stock phrases left out) in one of
         * its paragraphs, or in its headline of the same template (align.h) */
        double held = 0;
        long at = b->n_s ? sentence_match(a, i, b, p, &held) : -1;
        if (at >= 0 && b->s[at].block == b->s[0].block && held >= ALIGN_WHOLE)
            found += a->s[i].tokens;
    }
    return tokens && found * 2 >= tokens;
}

long align_sentence_keys(const char *norm, size_t len, uint64_t seed, uint64_t **out)
{
    /* the bytes of 。 and of ASCII never occur inside another UTF-8
     * character: cutting on bytes cuts where align_text_build does */
    const uint8_t *p = (const uint8_t *)norm;
    size_t cap = len / 48 + 4, n = 0, start = 0, i = 0;
    uint64_t *k = malloc(cap * sizeof *k);
    *out = k;
    if (k == NULL) return -1;
    while (start < len) {
        int cut = 0, line = 0;
        for (; i < len && !cut; i++) {
            uint8_t c = p[i];
            if (c == '\n' || c == '!' || c == '?') {
                cut = 1, line = c == '\n';
            } else if (c == 0xE3 && i + 2 < len && p[i + 1] == 0x80 && p[i + 2] == 0x82) {
                cut = 1, i += 2; /* 。 */
            } else if (c == '.') {
                cut = i + 1 >= len || p[i + 1] == ' ' || p[i + 1] == '\n' || p[i + 1] == '"';
            }
        }
        /* closing marks (not after a line's end: a quote opening the next
         * block, as align_text_build) */
        while (cut && !line && i < len && (p[i] == '"' || p[i] == '\'' || p[i] == ')'))
            i++;
        size_t a = start, z = i;
        while (a < z && (p[a] == ' ' || p[a] == '\n'))
            a++;
        while (z > a && (p[z - 1] == ' ' || p[z - 1] == '\n'))
            z--;
        if (z - a >= ALIGN_WHOLE_KEY_MIN) {
            if (n == cap) {
                uint64_t *g = realloc(k, 2 * cap * sizeof *k);
                if (g == NULL) return -1;
                *out = k = g, cap *= 2;
            }
            k[n++] = XXH3_64bits_withSeed(p + a, z - a, seed);
        }
        start = i;
    }
    return (long)n;
}

long align_keys_in_order(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    if (na == 0 || nb == 0) return 0;
    /* one row of the longest common subsequence: a short text's few
     * sentences against a page's (a stock line early in the page does not
     * hide the story's run after it) */
    long *row = calloc(nb + 1, sizeof *row);
    if (row == NULL) return -1;
    for (size_t i = 0; i < na; i++) {
        long diag = 0; /* the previous line's row[j - 1] */
        for (size_t j = 1; j <= nb; j++) {
            long up = row[j];
            row[j] = a[i] == b[j - 1] ? diag + 1 : (row[j - 1] > up ? row[j - 1] : up);
            diag = up;
        }
    }
    long held = row[nb];
    free(row);
    return held;
}
