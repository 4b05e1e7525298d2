/*
 * text_norm.c - normalisation for comparison (see text_norm.h for the
 * rules).  The ASCII fast path matters: most news text is ASCII, and the
 * full path (libunistring u8_casefold with NFKC) runs at tens of MB/s.
 */
#include "dedup/text_norm.h"

#include "common/fa_err.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

size_t text_utf8_next(const uint8_t *s, size_t n, uint32_t *c)
{
    if (s[0] < 0x80) {
        *c = s[0];
        return 1;
    }
    ucs4_t uc;
    int k = u8_mbtoucr(&uc, s, n);
    if (k <= 0) {
        *c = 0xFFFD;
        return 1;
    }
    *c = uc;
    return (size_t)k;
}

size_t text_utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((uint8_t)s[i] & 0xC0) != 0x80;
    return n;
}

static int is_space_cp(uint32_t c)
{
    if (c <= 0x20 || c == 0x7F || (c >= 0x80 && c <= 0xA0)) return 1;
    if (c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
        c == 0x205F || c == 0x3000)
        return 1;
    return 0;
}

static int is_invisible_cp(uint32_t c)
{
    return c == 0x00AD || (c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF;
}

/* Typographic punctuation -> ASCII; 0 when c has no mapping. */
static char punct_ascii(uint32_t c)
{
    switch (c) {
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x201B:
    case 0x2032:
    case 0x02BC:
        return '\'';
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x201F:
    case 0x2033:
    case 0x00AB:
    case 0x00BB:
        return '"';
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:
        return '-';
    default:
        return 0;
    }
}

/* Appends with whitespace collapsing: pending space written before the next
 * non-space. */
typedef struct collapse {
    fa_buf *out;
    int pending; /* a space is owed before the next character */
    int started; /* something was written (no leading space) */
    int rc;
} collapse;

static void put_bytes(collapse *k, const void *p, size_t n)
{
    if (k->rc < 0) return;
    if (k->pending && k->started) k->rc = fa_buf_append(k->out, " ", 1);
    k->pending = 0;
    if (k->rc == 0) k->rc = fa_buf_append(k->out, p, n);
    k->started = 1;
}

/* ASCII text: one pass writing straight into out (the output is never
 * longer than the input, so one reserve covers it). */
static int ascii_path(const char *s, size_t len, fa_buf *out, int fold)
{
    int rc = fa_buf_reserve(out, len);
    if (rc < 0) return rc;
    char *o = out->data + out->len, *first = o;
    int pending = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= 0x20 || ch == 0x7F) {
            pending = 1;
            continue;
        }
        if (pending && o != first) *o++ = ' ';
        pending = 0;
        if (fold && ch >= 'A' && ch <= 'Z') ch = (unsigned char)(ch + 32);
        *o++ = (char)ch;
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
    return 0;
}

static int is_ascii(const char *s, size_t len)
{
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull) return 0;
    }
    for (; i < len; i++)
        if ((unsigned char)s[i] >= 0x80) return 0;
    return 1;
}

/* Post-pass over valid UTF-8: punctuation map, invisibles, spaces. */
static int finish_unicode(const uint8_t *s, size_t len, fa_buf *out)
{
    collapse k = {out, 0, 0, 0};
    size_t i = 0;
    while (i < len && k.rc == 0) {
        uint32_t c;
        size_t n = text_utf8_next(s + i, len - i, &c);
        if (is_space_cp(c)) {
            k.pending = 1;
        } else if (is_invisible_cp(c)) {
            /* dropped */
        } else {
            char p = c >= 0x80 ? punct_ascii(c) : (char)0;
            if (p)
                put_bytes(&k, &p, 1);
            else
                put_bytes(&k, s + i, n);
        }
        i += n;
    }
    return k.rc;
}

/* Copy with invalid sequences replaced by U+FFFD (u8_casefold rejects
 * them) and the invisible code points left out.  These go before NFKC, not
 * after it: dropped afterwards, a soft hyphen or U+FEFF between two
 * combining marks left them side by side in an order NFKC would change, so
 * normalising the output again changed it (a fuzz finding). */
static uint8_t *sanitize(const char *s, size_t len, size_t *outlen)
{
    int clean = u8_check((const uint8_t *)s, len) == NULL;
    for (size_t i = 0; clean && i < len;) {
        uint32_t c;
        size_t n = text_utf8_next((const uint8_t *)s + i, len - i, &c);
        if (is_invisible_cp(c)) clean = 0;
        i += n;
    }
    if (clean) {
        *outlen = len;
        return NULL; /* nothing to change: caller uses s */
    }
    uint8_t *o = malloc(len * 3 + 1);
    if (o == NULL) {
        *outlen = (size_t)-1;
        return NULL;
    }
    size_t j = 0;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t n = text_utf8_next((const uint8_t *)s + i, len - i, &c);
        if (c == 0xFFFD && n == 1) {
            o[j++] = 0xEF, o[j++] = 0xBF, o[j++] = 0xBD;
        } else if (!is_invisible_cp(c)) {
            memcpy(o + j, s + i, n);
            j += n;
        }
        i += n;
    }
    *outlen = j;
    return o;
}

/* Code points of CJK text that NFKC and case folding leave as they are
 * and that compose with nothing before or after them: CJK unified
 * ideographs, hiragana and katakana letters (not the combining or spacing
 * voiced marks U+3099-309C), the prolonged sound mark, Hangul syllables
 * (a following final jamo U+11A8-11C2 would compose with an LV syllable:
 * the jamo is not here, so such a text takes the full path), and the CJK
 * punctuation of running text: 、。々 and the brackets 〈〉《》「」『』【】. */
static int cjk_stable(uint32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3041 && c <= 0x3096) ||
           (c >= 0x30A1 && c <= 0x30FA) || c == 0x30FC || (c >= 0xAC00 && c <= 0xD7A3) ||
           c == 0x3001 || c == 0x3002 || c == 0x3005 || (c >= 0x3008 && c <= 0x3011);
}

/* 1 when punct_path copies c as it is, or with its case folded in place
 * by fold_run: printable ASCII, the Latin-1 letters but U+00DF (NFC
 * already and without a compatibility form; U+00D7 and U+00F7 between
 * them stay as they are) and cjk_stable code points. */
static int run_cp(uint32_t c)
{
    if (c < 0x80) return c > 0x20 && c != 0x7F;
    return (c >= 0xC0 && c <= 0xFF && c != 0xDF) || cjk_stable(c);
}

/* Full case folding of a run of run_cp characters (valid UTF-8): A-Z, and
 * U+00C0-00DE but U+00D7 (C3 80-9E: +0x20 on the second byte).  Bytes of
 * the three-byte characters are never these (leads E0-EF, continuations
 * 80-BF follow only leads). */
static void fold_run(char *p, size_t n)
{
    for (size_t t = 0; t < n; t++) {
        unsigned char b = (unsigned char)p[t];
        if (b >= 'A' && b <= 'Z') {
            p[t] = (char)(b + 32);
        } else if (b == 0xC3 && t + 1 < n) {
            unsigned char b2 = (unsigned char)p[t + 1];
            if (b2 >= 0x80 && b2 <= 0x9E && b2 != 0x97) p[t + 1] = (char)(b2 + 0x20);
            t++;
        }
    }
}

/* ASCII plus typographic punctuation, Unicode spaces, full-width ASCII
 * (U+FF01-FF5E: NFKC is ASCII, then folded), the Latin-1 letters and
 * cjk_stable code points only (most English, Chinese, Japanese and Korean
 * news, and much of the western European): one pass, no NFKC
 * needed since none of those characters change under it beyond what is
 * done here.  Returns 1 when it did the work, 0 when the text needs the
 * full path (out is left as it was), or an error. */
static int punct_path(const char *s, size_t len, fa_buf *out)
{
    size_t start = out->len;
    collapse k = {out, 0, 0, 0};
    size_t i = 0;
    while (i < len && k.rc == 0) {
        uint32_t c;
        size_t n = text_utf8_next((const uint8_t *)s + i, len - i, &c);
        if (run_cp(c)) {
            /* a run of characters copied in one append, then folded */
            size_t j = i + n;
            while (j < len) {
                unsigned char b = (unsigned char)s[j];
                if (b < 0x80) {
                    if (b <= 0x20 || b == 0x7F) break;
                    j++;
                    continue;
                }
                uint32_t d;
                size_t m = text_utf8_next((const uint8_t *)s + j, len - j, &d);
                if (!run_cp(d)) break;
                j += m;
            }
            put_bytes(&k, s + i, j - i);
            if (k.rc == 0) fold_run(out->data + out->len - (j - i), j - i);
            i = j;
            continue;
        }
        if (c < 0x80) {
            k.pending = 1; /* a space, a control or DEL */
        } else if (is_space_cp(c) && c != 0x85) {
            k.pending = 1;
        } else if (is_invisible_cp(c)) {
            /* dropped */
        } else if (c == 0xDF) {
            put_bytes(&k, "ss", 2); /* full case folding */
        } else if (c >= 0xFF01 && c <= 0xFF5E) {
            char ch = (char)(c - 0xFEE0);
            if (ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
            put_bytes(&k, &ch, 1);
        } else {
            char p = punct_ascii(c);
            if (!p) {
                out->len = start;
                if (out->data) out->data[start] = 0;
                return 0;
            }
            put_bytes(&k, &p, 1);
        }
        i += n;
    }
    return k.rc < 0 ? k.rc : 1;
}

int text_normalize(const char *s, size_t len, fa_buf *out)
{
    if (len == 0) return 0;
    if (is_ascii(s, len)) return ascii_path(s, len, out, 1);
    int fast = punct_path(s, len, out);
    if (fast != 0) return fast < 0 ? fast : 0;
    size_t slen;
    uint8_t *clean = sanitize(s, len, &slen);
    if (clean == NULL && slen == (size_t)-1) return FA_ENOMEM;
    const uint8_t *src = clean ? clean : (const uint8_t *)s;
    uint8_t stackbuf[4096];
    size_t rlen = sizeof stackbuf;
    uint8_t *r = u8_casefold(src, slen, NULL, UNINORM_NFKC, stackbuf, &rlen);
    int rc;
    if (r == NULL)
        rc = errno == ENOMEM ? FA_ENOMEM : FA_EINVAL;
    else
        rc = finish_unicode(r, rlen, out);
    if (r != NULL && r != stackbuf) free(r);
    free(clean);
    return rc;
}

/* 1 when c may change under NFC (a conservative quick check, so that
 * text already composed - nearly all of it - is not run through
 * u8_normalize): combining marks, starters that compose with what precedes
 * them (Hangul vowel and final jamo, the Indic and Sinhala vowel signs
 * NFC_QC=Maybe lists), and characters whose canonical decomposition does
 * not compose back (singletons such as U+2126 or the CJK compatibility
 * ideographs, composition exclusions such as U+09DF). */
static int may_compose(uint32_t c)
{
    if (c < 0x300) return 0;
    if (uc_combining_class(c) != 0) return 1;
    if ((c >= 0x1161 && c <= 0x1175) || (c >= 0x11A8 && c <= 0x11C2)) return 1;
    switch (c) {
    case 0x09BE:
    case 0x09D7:
    case 0x0B3E:
    case 0x0B56:
    case 0x0B57:
    case 0x0BBE:
    case 0x0BD7:
    case 0x0C56:
    case 0x0CC2:
    case 0x0CD5:
    case 0x0CD6:
    case 0x0D3E:
    case 0x0D57:
    case 0x0DCF:
    case 0x0DDF:
    case 0x102E:
    case 0x1B35:
    case 0x1133E:
    case 0x11357:
    case 0x114B0:
    case 0x114BA:
    case 0x114BD:
    case 0x115AF:
    case 0x11930:
        return 1;
    default:
        break;
    }
    if (c >= 0xAC00 && c <= 0xD7A3) return 0; /* Hangul syllables: composed */
    ucs4_t d[UC_DECOMPOSITION_MAX_LENGTH];
    int n = uc_canonical_decomposition(c, d);
    return n == 1 || (n == 2 && uc_composition(d[0], d[1]) != c);
}

int text_collapse_space(const char *s, size_t len, fa_buf *out)
{
    if (is_ascii(s, len)) return ascii_path(s, len, out, 0);
    collapse k = {out, 0, 0, 0};
    size_t start = out->len, i = 0;
    int compose = 0;
    while (i < len && k.rc == 0) {
        uint32_t c;
        size_t n = text_utf8_next((const uint8_t *)s + i, len - i, &c);
        if (is_space_cp(c)) {
            k.pending = 1;
            i += n;
            continue;
        }
        if (c == 0xFFFD && n == 1) {
            put_bytes(&k, "\xEF\xBF\xBD", 3);
            i += n;
            continue;
        }
        /* a run up to the next space or invalid byte, copied in one append */
        size_t j = i;
        for (;;) {
            if (!compose) compose = may_compose(c);
            j += n;
            if (j >= len) break;
            if ((unsigned char)s[j] < 0x80) {
                c = (unsigned char)s[j];
                n = 1;
            } else {
                n = text_utf8_next((const uint8_t *)s + j, len - j, &c);
            }
            if (is_space_cp(c) || (c == 0xFFFD && n == 1)) break;
        }
        put_bytes(&k, s + i, j - i);
        i = j;
    }
    if (k.rc != 0 || !compose) return k.rc;
    /* canonically composed, as a browser shows it and as trafilatura
     * returns its text (a page's "য়" as U+09AF U+09BC, not U+09DF) */
    uint8_t stackbuf[4096];
    size_t rlen = sizeof stackbuf;
    uint8_t *r = u8_normalize(UNINORM_NFC, (const uint8_t *)out->data + start, out->len - start,
                              stackbuf, &rlen);
    if (r == NULL) return errno == ENOMEM ? FA_ENOMEM : FA_EINVAL;
    out->len = start;
    int rc = fa_buf_append(out, r, rlen);
    if (r != stackbuf) free(r);
    return rc;
}

/* Scripts written without spaces between words. */
static const uc_script_t *unspaced[8];
static pthread_once_t unspaced_once = PTHREAD_ONCE_INIT;

static void unspaced_init(void)
{
    static const char *const names[] = {"Han", "Hiragana", "Katakana", "Thai",
                                        "Lao", "Khmer",    "Myanmar",  "Tibetan"};
    for (int i = 0; i < 8; i++)
        unspaced[i] = uc_script_byname(names[i]);
}

enum text_script_class text_script_class(uint32_t c)
{
    if (c < 0x80) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            return TEXT_WORD;
        return TEXT_SEP;
    }
    pthread_once(&unspaced_once, unspaced_init);
    /* the prolonged sound mark and the iteration marks are "Common" but
     * belong to Japanese words */
    if (c == 0x30FC || c == 0x3005 || c == 0x309D || c == 0x309E || c == 0x30FD || c == 0x30FE)
        return TEXT_UNSPACED;
    const uc_script_t *sc = uc_script(c);
    if (sc != NULL)
        for (int i = 0; i < 8; i++)
            if (sc == unspaced[i]) {
                /* punctuation inside those blocks still separates */
                if (uc_is_general_category(c, UC_CATEGORY_P)) return TEXT_SEP;
                return TEXT_UNSPACED;
            }
    if (uc_is_general_category(c, UC_CATEGORY_L) || uc_is_general_category(c, UC_CATEGORY_N) ||
        uc_is_general_category(c, UC_CATEGORY_M))
        return TEXT_WORD;
    return TEXT_SEP;
}
