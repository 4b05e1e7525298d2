/*
 * text_norm.h - the one normalisation every text comparison in dedup/ uses.
 *
 * Two texts that a reader would call "the same words" must normalise to the
 * same bytes, whatever the encoding accidents between them:
 *
 *   1. invalid UTF-8 bytes become U+FFFD (never an error);
 *   2. NFKC + Unicode full case folding (libunistring u8_casefold with
 *      UNINORM_NFKC): "Ｆｕｌｌ" == "full", "ﬁ" == "fi", "Straße" == "strasse",
 *      half-width katakana == full-width;
 *   3. typographic punctuation to ASCII: ‘ ’ ‚ ‛ ′ → ', “ ” „ ‟ ″ « » → ",
 *      ‐ ‑ ‒ – — ― − → -; zero-width characters and soft hyphens removed;
 *   4. whitespace (any Unicode space, controls) collapsed to one ASCII space,
 *      trimmed at both ends.
 *
 * Entities are decoded before this by libxml2 (text_extract.c).  Pure ASCII
 * input takes a fast path (lower-casing + step 4) that gives the same bytes
 * as the full path.
 */
#ifndef TEXT_NORM_H
#define TEXT_NORM_H

#include "common/fa_buf.h"

#include <stddef.h>
#include <stdint.h>

/* Appends the normalised form of s[0..len) to out (no NUL counted).
 * Returns 0, FA_ETOOBIG when out's ceiling is reached, or FA_ENOMEM. */
int text_normalize(const char *s, size_t len, fa_buf *out);

/* Collapses whitespace only (runs of ASCII/Unicode spaces to one space,
 * trimmed), keeping case and punctuation, and composes canonically (NFC:
 * "e" + U+0301 is "é"; only text a quick check finds in need of it goes
 * through u8_normalize): the display form of a block.  Appends to out;
 * returns as text_normalize. */
int text_collapse_space(const char *s, size_t len, fa_buf *out);

/* Script classes the shingler needs for one code point. */
enum text_script_class {
    TEXT_SEP = 0,     /* separator: space, punctuation, symbol */
    TEXT_WORD = 1,    /* part of a word in a spaced script (Latin, Cyrillic, Hangul, ...) */
    TEXT_UNSPACED = 2 /* a script written without spaces: Han, Hiragana, Katakana,
                         Thai, Lao, Khmer, Myanmar: one token per character */
};

/* The class of code point c (libunistring's uc_script and general category). */
enum text_script_class text_script_class(uint32_t c);

/* Decodes one UTF-8 code point at s (n > 0 bytes available) into *c;
 * returns the bytes used (1 for an invalid byte, with *c = 0xFFFD). */
size_t text_utf8_next(const uint8_t *s, size_t n, uint32_t *c);

/* text_utf8_next for text mostly of three-byte characters (Han, Kana,
 * Hangul: the alignment of CJK texts, align.c): those are decoded inline,
 * with the same answers (overlong forms and surrogates go to
 * text_utf8_next); the rest as text_utf8_next does. */
static inline size_t text_utf8_next3(const uint8_t *s, size_t n, uint32_t *c)
{
    if (n >= 3 && (s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        uint32_t v = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
        if (v >= 0x800 && (v < 0xD800 || v > 0xDFFF)) {
            *c = v;
            return 3;
        }
    }
    return text_utf8_next(s, n, c);
}

/* Number of code points in s[0..len). */
size_t text_utf8_count(const char *s, size_t len);

#endif
