/*
 * fa_charset.c - encoding decision and decoding to UTF-8; see fa_charset.h
 * for the order and docs/FEEDS.md "Character encodings" for the reasons.
 *
 * States of a decoder:
 *
 *   PRESCAN  the first FA_CHARSET_PRESCAN bytes are held; then the BOM,
 *            the HTTP charset and the prescan (XML declaration, meta) give
 *            the declared encoding, if any.  A BOM or a declared encoding
 *            that is not ASCII-compatible (UTF-16) decides at once.
 *   ASCII    nothing but ASCII so far: bytes pass straight to the sink
 *            while they stay ASCII.
 *   WINDOW   from the first byte >= 0x80 (or ESC) on, up to `window` bytes
 *            are held; the decision is taken on them (judge()).
 *   DECODING the held bytes and everything after go through the chosen
 *            decoder: our UTF-8 validator or an iconv descriptor.  An
 *            incomplete sequence at the end of a chunk waits in `tail`.
 *
 * judge() weighs the declaration against the window: a declaration whose
 * decoding of the window has errors is "plainly wrong", and so is a
 * single-byte one over a body that is valid multi-byte UTF-8 or that the
 * detector reads, confidently, as a CJK encoding.  Confidence (libuchardet
 * 0.0.7 gives none) = evidence x script share x clean, where evidence =
 * min(1, non-ASCII bytes / EVIDENCE_BYTES), script share = the part of the
 * decoded non-ASCII characters that belong to the scripts of the detected
 * encoding's family (plus common punctuation and symbols), clean = 0 when
 * the window has invalid sequences in that encoding.
 */
#include "common/fa_charset.h"

#include "common/fa_err.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uchardet.h>

#define OUT_CAP ((size_t)16 << 10)
#define TAIL_MAX 16
#define WINDOW_MAX ((size_t)1 << 20)
/* The hold buffer's first size: the prescan's bytes (it grows from there). */
#define HOLD_MIN ((size_t)FA_CHARSET_PRESCAN)
/* Non-ASCII bytes that make a detection fully evidenced. */
#define EVIDENCE_BYTES 48.0

enum family {
    FAM_UNICODE,
    FAM_LATIN,
    FAM_CYRILLIC,
    FAM_GREEK,
    FAM_HEBREW,
    FAM_ARABIC,
    FAM_THAI,
    FAM_KOREAN,
    FAM_JAPANESE,
    FAM_CHINESE,
    FAM_OTHER
};

typedef struct encoding {
    const char *name;  /* WHATWG name */
    const char *iconv; /* glibc iconv name; NULL = UTF-8, validated here */
    unsigned char family;
    unsigned char single_byte;
    unsigned char ascii_compatible;
} encoding;

enum {
    E_UTF8,
    E_UTF16LE,
    E_UTF16BE,
    E_1252,
    E_8859_2,
    E_1250,
    E_8859_3,
    E_8859_4,
    E_8859_5,
    E_8859_6,
    E_8859_7,
    E_8859_8,
    E_8859_10,
    E_8859_13,
    E_8859_14,
    E_8859_15,
    E_8859_16,
    E_1251,
    E_KOI8R,
    E_KOI8U,
    E_IBM866,
    E_MACCYR,
    E_1253,
    E_1254,
    E_1255,
    E_1256,
    E_1257,
    E_1258,
    E_874,
    E_MAC,
    E_GBK,
    E_GB18030,
    E_BIG5,
    E_EUCJP,
    E_ISO2022JP,
    E_SJIS,
    E_EUCKR,
    E_COUNT
};

static const encoding encodings[E_COUNT] = {
    [E_UTF8] = {"UTF-8", NULL, FAM_UNICODE, 0, 1},
    [E_UTF16LE] = {"UTF-16LE", "UTF-16LE", FAM_UNICODE, 0, 0},
    [E_UTF16BE] = {"UTF-16BE", "UTF-16BE", FAM_UNICODE, 0, 0},
    [E_1252] = {"windows-1252", "CP1252", FAM_LATIN, 1, 1},
    [E_8859_2] = {"ISO-8859-2", "ISO-8859-2", FAM_LATIN, 1, 1},
    [E_1250] = {"windows-1250", "CP1250", FAM_LATIN, 1, 1},
    [E_8859_3] = {"ISO-8859-3", "ISO-8859-3", FAM_LATIN, 1, 1},
    [E_8859_4] = {"ISO-8859-4", "ISO-8859-4", FAM_LATIN, 1, 1},
    [E_8859_5] = {"ISO-8859-5", "ISO-8859-5", FAM_CYRILLIC, 1, 1},
    [E_8859_6] = {"ISO-8859-6", "ISO-8859-6", FAM_ARABIC, 1, 1},
    [E_8859_7] = {"ISO-8859-7", "ISO-8859-7", FAM_GREEK, 1, 1},
    [E_8859_8] = {"ISO-8859-8", "ISO-8859-8", FAM_HEBREW, 1, 1},
    [E_8859_10] = {"ISO-8859-10", "ISO-8859-10", FAM_LATIN, 1, 1},
    [E_8859_13] = {"ISO-8859-13", "ISO-8859-13", FAM_LATIN, 1, 1},
    [E_8859_14] = {"ISO-8859-14", "ISO-8859-14", FAM_LATIN, 1, 1},
    [E_8859_15] = {"ISO-8859-15", "ISO-8859-15", FAM_LATIN, 1, 1},
    [E_8859_16] = {"ISO-8859-16", "ISO-8859-16", FAM_LATIN, 1, 1},
    [E_1251] = {"windows-1251", "CP1251", FAM_CYRILLIC, 1, 1},
    [E_KOI8R] = {"KOI8-R", "KOI8-R", FAM_CYRILLIC, 1, 1},
    [E_KOI8U] = {"KOI8-U", "KOI8-U", FAM_CYRILLIC, 1, 1},
    [E_IBM866] = {"IBM866", "CP866", FAM_CYRILLIC, 1, 1},
    [E_MACCYR] = {"x-mac-cyrillic", "MAC-CYRILLIC", FAM_CYRILLIC, 1, 1},
    [E_1253] = {"windows-1253", "CP1253", FAM_GREEK, 1, 1},
    [E_1254] = {"windows-1254", "CP1254", FAM_LATIN, 1, 1},
    [E_1255] = {"windows-1255", "CP1255", FAM_HEBREW, 1, 1},
    [E_1256] = {"windows-1256", "CP1256", FAM_ARABIC, 1, 1},
    [E_1257] = {"windows-1257", "CP1257", FAM_LATIN, 1, 1},
    [E_1258] = {"windows-1258", "CP1258", FAM_LATIN, 1, 1},
    [E_874] = {"windows-874", "CP874", FAM_THAI, 1, 1},
    [E_MAC] = {"macintosh", "MACINTOSH", FAM_LATIN, 1, 1},
    [E_GBK] = {"GBK", "GB18030", FAM_CHINESE, 0, 1},
    [E_GB18030] = {"gb18030", "GB18030", FAM_CHINESE, 0, 1},
    [E_BIG5] = {"Big5", "BIG5-HKSCS", FAM_CHINESE, 0, 1},
    [E_EUCJP] = {"EUC-JP", "EUC-JP", FAM_JAPANESE, 0, 1},
    [E_ISO2022JP] = {"ISO-2022-JP", "ISO-2022-JP", FAM_JAPANESE, 0, 0},
    [E_SJIS] = {"Shift_JIS", "CP932", FAM_JAPANESE, 0, 1},
    [E_EUCKR] = {"EUC-KR", "CP949", FAM_KOREAN, 0, 1},
};

typedef struct label_entry {
    const char *label;
    int enc;
} label_entry;

/* The WHATWG encoding standard's labels (the encodings above), plus the
 * names libuchardet reports ("WINDOWS-1252", "MAC-CYRILLIC", "UHC", ...). */
static const label_entry labels[] = {
    {"unicode-1-1-utf-8", E_UTF8},
    {"unicode11utf8", E_UTF8},
    {"unicode20utf8", E_UTF8},
    {"utf-8", E_UTF8},
    {"utf8", E_UTF8},
    {"x-unicode20utf8", E_UTF8},
    {"ascii", E_1252},
    {"ansi_x3.4-1968", E_1252},
    {"cp1252", E_1252},
    {"cp819", E_1252},
    {"csisolatin1", E_1252},
    {"ibm819", E_1252},
    {"iso-8859-1", E_1252},
    {"iso-ir-100", E_1252},
    {"iso8859-1", E_1252},
    {"iso88591", E_1252},
    {"iso_8859-1", E_1252},
    {"iso_8859-1:1987", E_1252},
    {"l1", E_1252},
    {"latin1", E_1252},
    {"us-ascii", E_1252},
    {"windows-1252", E_1252},
    {"x-cp1252", E_1252},
    {"x-user-defined", E_1252},
    {"csisolatin2", E_8859_2},
    {"iso-8859-2", E_8859_2},
    {"iso-ir-101", E_8859_2},
    {"iso8859-2", E_8859_2},
    {"iso88592", E_8859_2},
    {"iso_8859-2", E_8859_2},
    {"iso_8859-2:1987", E_8859_2},
    {"l2", E_8859_2},
    {"latin2", E_8859_2},
    {"cp1250", E_1250},
    {"windows-1250", E_1250},
    {"x-cp1250", E_1250},
    {"iso-8859-3", E_8859_3},
    {"latin3", E_8859_3},
    {"iso-8859-4", E_8859_4},
    {"latin4", E_8859_4},
    {"csisolatincyrillic", E_8859_5},
    {"cyrillic", E_8859_5},
    {"iso-8859-5", E_8859_5},
    {"iso8859-5", E_8859_5},
    {"iso_8859-5", E_8859_5},
    {"arabic", E_8859_6},
    {"iso-8859-6", E_8859_6},
    {"greek", E_8859_7},
    {"iso-8859-7", E_8859_7},
    {"hebrew", E_8859_8},
    {"iso-8859-8", E_8859_8},
    {"iso-8859-8-i", E_8859_8},
    {"iso-8859-10", E_8859_10},
    {"latin6", E_8859_10},
    {"iso-8859-13", E_8859_13},
    {"iso-8859-14", E_8859_14},
    {"iso-8859-15", E_8859_15},
    {"l9", E_8859_15},
    {"latin9", E_8859_15},
    {"iso-8859-16", E_8859_16},
    {"cp1251", E_1251},
    {"windows-1251", E_1251},
    {"x-cp1251", E_1251},
    {"cskoi8r", E_KOI8R},
    {"koi", E_KOI8R},
    {"koi8", E_KOI8R},
    {"koi8-r", E_KOI8R},
    {"koi8_r", E_KOI8R},
    {"koi8-ru", E_KOI8U},
    {"koi8-u", E_KOI8U},
    {"866", E_IBM866},
    {"cp866", E_IBM866},
    {"csibm866", E_IBM866},
    {"ibm866", E_IBM866},
    {"x-mac-cyrillic", E_MACCYR},
    {"x-mac-ukrainian", E_MACCYR},
    {"mac-cyrillic", E_MACCYR},
    {"cp1253", E_1253},
    {"windows-1253", E_1253},
    {"cp1254", E_1254},
    {"windows-1254", E_1254},
    {"iso-8859-9", E_1254},
    {"latin5", E_1254},
    {"cp1255", E_1255},
    {"windows-1255", E_1255},
    {"cp1256", E_1256},
    {"windows-1256", E_1256},
    {"cp1257", E_1257},
    {"windows-1257", E_1257},
    {"cp1258", E_1258},
    {"windows-1258", E_1258},
    {"dos-874", E_874},
    {"iso-8859-11", E_874},
    {"tis-620", E_874},
    {"windows-874", E_874},
    {"csmacintosh", E_MAC},
    {"mac", E_MAC},
    {"macintosh", E_MAC},
    {"x-mac-roman", E_MAC},
    {"chinese", E_GBK},
    {"csgb2312", E_GBK},
    {"csiso58gb231280", E_GBK},
    {"gb2312", E_GBK},
    {"gb_2312", E_GBK},
    {"gb_2312-80", E_GBK},
    {"gbk", E_GBK},
    {"iso-ir-58", E_GBK},
    {"x-gbk", E_GBK},
    {"gb18030", E_GB18030},
    {"big5", E_BIG5},
    {"big5-hkscs", E_BIG5},
    {"cn-big5", E_BIG5},
    {"csbig5", E_BIG5},
    {"x-x-big5", E_BIG5},
    {"cseucpkdfmtjapanese", E_EUCJP},
    {"euc-jp", E_EUCJP},
    {"x-euc-jp", E_EUCJP},
    {"csiso2022jp", E_ISO2022JP},
    {"iso-2022-jp", E_ISO2022JP},
    {"csshiftjis", E_SJIS},
    {"ms932", E_SJIS},
    {"ms_kanji", E_SJIS},
    {"shift-jis", E_SJIS},
    {"shift_jis", E_SJIS},
    {"sjis", E_SJIS},
    {"windows-31j", E_SJIS},
    {"x-sjis", E_SJIS},
    {"cseuckr", E_EUCKR},
    {"csksc56011987", E_EUCKR},
    {"euc-kr", E_EUCKR},
    {"iso-ir-149", E_EUCKR},
    {"korean", E_EUCKR},
    {"ks_c_5601-1987", E_EUCKR},
    {"ks_c_5601-1989", E_EUCKR},
    {"ksc5601", E_EUCKR},
    {"ksc_5601", E_EUCKR},
    {"windows-949", E_EUCKR},
    {"uhc", E_EUCKR},
    {"cp949", E_EUCKR},
    {"unicodefffe", E_UTF16BE},
    {"utf-16be", E_UTF16BE},
    {"csunicode", E_UTF16LE},
    {"iso-10646-ucs-2", E_UTF16LE},
    {"ucs-2", E_UTF16LE},
    {"unicode", E_UTF16LE},
    {"unicodefeff", E_UTF16LE},
    {"utf-16", E_UTF16LE},
    {"utf-16le", E_UTF16LE},
};

/* Index of label (case, surrounding whitespace ignored), or -1. */
static int label_find(const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r' ||
                     s[n - 1] == '\f'))
        n--;
    if (n == 0 || n > 40) return -1;
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (strlen(labels[i].label) == n && strncasecmp(labels[i].label, s, n) == 0)
            return labels[i].enc;
    return -1;
}

const char *fa_charset_canonical(const char *label)
{
    if (label == NULL) return NULL;
    int e = label_find(label, strlen(label));
    return e < 0 ? NULL : encodings[e].name;
}

const char *fa_charset_how_name(enum fa_charset_how how)
{
    switch (how) {
    case FA_CHARSET_BOM:
        return "bom";
    case FA_CHARSET_HTTP:
        return "http";
    case FA_CHARSET_XML:
        return "xml-declaration";
    case FA_CHARSET_META:
        return "meta";
    case FA_CHARSET_DETECTED:
        return "detected";
    case FA_CHARSET_FIXED:
        return "fixed";
    default:
        return "default";
    }
}

void fa_charset_from_content_type(const char *ct, char *out, size_t outlen)
{
    if (outlen == 0) return;
    out[0] = '\0';
    if (ct == NULL) return;
    const char *c = strcasestr(ct, "charset");
    while (c != NULL) {
        const char *v = c + 7;
        while (*v == ' ' || *v == '\t')
            v++;
        if (*v == '=') {
            v++;
            while (*v == ' ' || *v == '\t')
                v++;
            if (*v == '"' || *v == '\'') v++;
            size_t n = strcspn(v, "\"'; \t,\r\n");
            if (n >= outlen) n = outlen - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return;
        }
        c = strcasestr(v, "charset");
    }
}

/* ---- UTF-8 ---- */

/* The UTF-8 sequence at s[0..n): its length (> 0) when complete and
 * valid, 0 when valid so far but cut by n, or -k when invalid (k >= 1
 * bytes to replace by one U+FFFD: the maximal subpart). */
static int utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return -1;
    }
    for (size_t i = 1; i < need; i++) {
        if (i >= n) return 0;
        if (s[i] < lo || s[i] > hi) return -(int)i;
        lo = 0x80;
        hi = 0xBF;
    }
    return (int)need;
}

/* Code point of a valid UTF-8 sequence of length len. */
static unsigned utf8_cp(const unsigned char *s, int len)
{
    switch (len) {
    case 1:
        return s[0];
    case 2:
        return ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    case 3:
        return ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    default:
        return ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) |
               (s[3] & 0x3Fu);
    }
}

/* ---- what the decoded text looks like ---- */

typedef struct tally {
    uint64_t errors;    /* invalid sequences */
    uint64_t nonascii;  /* decoded non-ASCII code points */
    uint64_t in_script; /* of those, in the family's scripts or common punctuation */
    uint64_t multibyte; /* UTF-8 only: valid multi-byte sequences */
} tally;

static int in_range(unsigned c, unsigned lo, unsigned hi)
{
    return c >= lo && c <= hi;
}

/* Is code point c what a text in an encoding of family fam plausibly
 * holds (its letters, or punctuation and symbols any text may carry)? */
static int plausible(int fam, unsigned c)
{
    if (in_range(c, 0xA0, 0xBF) || in_range(c, 0x2000, 0x206F) || c == 0x20AC || c == 0x2116 ||
        c == 0x2122)
        return 1;
    int cjk = fam == FAM_KOREAN || fam == FAM_JAPANESE || fam == FAM_CHINESE;
    if (cjk &&
        (in_range(c, 0x3000, 0x303F) || in_range(c, 0xFF00, 0xFFEF) ||
         in_range(c, 0x4E00, 0x9FFF) || in_range(c, 0x3400, 0x4DBF) ||
         in_range(c, 0xF900, 0xFAFF) || in_range(c, 0x2190, 0x21FF) ||
         in_range(c, 0x2460, 0x27BF) || in_range(c, 0x3200, 0x33FF) ||
         in_range(c, 0x0391, 0x03C9) || in_range(c, 0x0410, 0x044F) || c == 0xD7 || c == 0xF7))
        return 1;
    switch (fam) {
    case FAM_UNICODE:
        return !in_range(c, 0x80, 0x9F) && c != 0xFFFD;
    case FAM_LATIN:
        return (in_range(c, 0xC0, 0x24F) && c != 0xD7 && c != 0xF7) ||
               in_range(c, 0x1E00, 0x1EFF) || in_range(c, 0x2C6, 0x2DD);
    case FAM_CYRILLIC:
        return in_range(c, 0x400, 0x52F);
    case FAM_GREEK:
        return in_range(c, 0x370, 0x3FF);
    case FAM_HEBREW:
        return in_range(c, 0x590, 0x5FF) || in_range(c, 0x200E, 0x200F);
    case FAM_ARABIC:
        return in_range(c, 0x600, 0x6FF) || in_range(c, 0x200C, 0x200F);
    case FAM_THAI:
        return in_range(c, 0xE00, 0xE7F);
    case FAM_KOREAN:
        return in_range(c, 0xAC00, 0xD7A3) || in_range(c, 0x1100, 0x11FF) ||
               in_range(c, 0x3130, 0x318F);
    case FAM_JAPANESE:
        return in_range(c, 0x3040, 0x30FF) || in_range(c, 0x31F0, 0x31FF);
    case FAM_CHINESE:
        return in_range(c, 0x3100, 0x312F);
    default:
        return 1;
    }
}

/* Tallies UTF-8 text s[0..n) (valid: produced by iconv or checked). */
static void tally_utf8(tally *t, int fam, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int l = utf8_seq(s + i, n - i);
        if (l <= 0) {
            i++;
            continue;
        }
        unsigned c = utf8_cp(s + i, l);
        t->nonascii++;
        if (plausible(fam, c)) t->in_script++;
        i += (size_t)l;
    }
}

/* Checks raw UTF-8: counts invalid sequences and multi-byte ones.  A
 * sequence cut by the end counts as invalid only at_end. */
static void tally_raw_utf8(tally *t, const unsigned char *s, size_t n, int at_end)
{
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int l = utf8_seq(s + i, n - i);
        if (l == 0) {
            if (at_end) t->errors++;
            break;
        }
        if (l < 0) {
            t->errors++;
            i += (size_t)-l;
            continue;
        }
        t->multibyte++;
        t->nonascii++;
        if (plausible(FAM_UNICODE, utf8_cp(s + i, l))) t->in_script++;
        i += (size_t)l;
    }
}

/* ---- per-thread cache: iconv descriptors, the libuchardet handle ----
 *
 * Opening an iconv descriptor (glibc's gconv lookup and allocations) and a
 * libuchardet detector (its probers) cost more than deciding a short
 * document, and judge() may need several of each per document.  So each
 * thread keeps, in a cache of its own (nothing shared, no lock), one idle
 * descriptor per encoding and one detector:
 *
 *   cd_take(enc)      an idle descriptor, reset to the initial state, or a
 *                     new one; the caller owns it until
 *   cd_give(enc, cd)  puts it back in the calling thread's cache (or
 *                     closes it when that slot is taken), so a decoder may
 *                     be freed on another thread than the one that made it.
 *   detect()          uses the thread's detector, reset first (as new).
 *
 * The cache is freed by a pthread key destructor when its thread exits;
 * the main thread's stays until the process exits.  Without memory for it,
 * everything is opened and closed per use as before.  UTF-16 descriptors
 * are not cached (glibc reads byte-order flags on a descriptor's first
 * use; they are rare here). */

typedef struct charset_cache {
    iconv_t cd[E_COUNT]; /* idle descriptors to UTF-8, (iconv_t)-1 when none */
    uchardet_t det;      /* NULL until first needed */
} charset_cache;

static pthread_key_t cache_key;
static int cache_key_ok;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static _Thread_local charset_cache *thread_cache;

static void cache_free(void *p)
{
    charset_cache *c = p;
    for (int e = 0; e < E_COUNT; e++)
        if (c->cd[e] != (iconv_t)-1) iconv_close(c->cd[e]);
    if (c->det != NULL) uchardet_delete(c->det);
    free(c);
    thread_cache = NULL;
}

static void cache_key_init(void)
{
    cache_key_ok = pthread_key_create(&cache_key, cache_free) == 0;
}

/* The calling thread's cache, made on first use; NULL without memory. */
static charset_cache *cache_get(void)
{
    if (thread_cache != NULL) return thread_cache;
    pthread_once(&cache_once, cache_key_init);
    if (!cache_key_ok) return NULL;
    charset_cache *c = calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    for (int e = 0; e < E_COUNT; e++)
        c->cd[e] = (iconv_t)-1;
    if (pthread_setspecific(cache_key, c) != 0) {
        free(c);
        return NULL;
    }
    thread_cache = c;
    return c;
}

static int cd_cacheable(int enc)
{
    return enc != E_UTF8 && enc != E_UTF16LE && enc != E_UTF16BE;
}

/* A descriptor from encoding enc to UTF-8 in its initial state, or
 * (iconv_t)-1 (iconv lacks it, or no memory). */
static iconv_t cd_take(int enc)
{
    charset_cache *c = cd_cacheable(enc) ? cache_get() : NULL;
    if (c != NULL && c->cd[enc] != (iconv_t)-1) {
        iconv_t cd = c->cd[enc];
        c->cd[enc] = (iconv_t)-1;
        iconv(cd, NULL, NULL, NULL, NULL); /* back to the initial state */
        return cd;
    }
    return iconv_open("UTF-8", encodings[enc].iconv);
}

/* Gives back a descriptor from cd_take (any state; (iconv_t)-1 is
 * accepted). */
static void cd_give(int enc, iconv_t cd)
{
    if (cd == (iconv_t)-1) return;
    charset_cache *c = cd_cacheable(enc) ? cache_get() : NULL;
    if (c != NULL && c->cd[enc] == (iconv_t)-1)
        c->cd[enc] = cd;
    else
        iconv_close(cd);
}

/* Decodes s[0..n) with encoding enc into a scratch buffer to tally it.
 * Returns 0 or FA_ENOMEM (iconv_open failed: then all counted as errors). */
static int tally_iconv(tally *t, int enc, const unsigned char *s, size_t n, int at_end)
{
    const encoding *e = &encodings[enc];
    iconv_t cd = cd_take(enc);
    if (cd == (iconv_t)-1) {
        t->errors += n ? n : 1;
        return FA_ENOMEM;
    }
    char out[4096];
    char *ip = (char *)s;
    size_t left = n;
    while (left > 0) {
        char *op = out;
        size_t ol = sizeof out;
        size_t r = iconv(cd, &ip, &left, &op, &ol);
        tally_utf8(t, e->family, (const unsigned char *)out, sizeof out - ol);
        if (r != (size_t)-1) break;
        if (errno == E2BIG) continue;
        if (errno == EINVAL) {
            if (at_end) t->errors++;
            break;
        }
        /* EILSEQ: windows-1252's five unmapped bytes are C1 controls for
         * WHATWG, not errors - but no text has them, so they count. */
        t->errors++;
        if (left == 0) break; /* said with the input used up: see iconv_run */
        ip++;
        left--;
    }
    cd_give(enc, cd);
    return 0;
}

static void tally_enc(tally *t, int enc, const unsigned char *s, size_t n, int at_end)
{
    memset(t, 0, sizeof *t);
    if (enc == E_UTF8)
        tally_raw_utf8(t, s, n, at_end);
    else
        tally_iconv(t, enc, s, n, at_end);
}

/* ---- the decoder ---- */

enum state { S_PRESCAN, S_ASCII, S_WINDOW, S_DECODING };

/* The scan for a meta past the prescan (late_feed()). */
#define LATE_TAG_MAX 512
enum late_state { LATE_OFF, LATE_TEXT, LATE_TAG, LATE_COMMENT, LATE_RAW };
typedef struct late_scan {
    enum late_state st;
    int found;           /* encoding of the meta found, or -1 */
    int after_eq;        /* LATE_TAG: an '=' seen, its value not begun */
    unsigned char quote; /* LATE_TAG: inside a value quoted with it */
    size_t len;          /* LATE_TAG: bytes in buf; LATE_RAW: end tag bytes matched;
                            LATE_COMMENT: '-' just seen */
    const char *raw_end; /* LATE_RAW: "</script", "</style", "</title", "</textarea" */
    unsigned char buf[LATE_TAG_MAX + 1];
} late_scan;

struct fa_charset_decoder {
    fa_charset_options o;
    char http[48];
    fa_charset_sink sink;
    void *ud;
    enum state st;
    int rc;
    int finished;
    fa_charset_decision dec;
    int enc;      /* chosen encoding (S_DECODING) */
    iconv_t cd;   /* (iconv_t)-1 for UTF-8 */
    int declared; /* declared encoding or -1 */
    enum fa_charset_how declared_how;
    unsigned char *hold; /* hold_cap bytes: HOLD_MIN, doubled up to PRESCAN + window */
    size_t hold_len, hold_cap;
    unsigned char tail[TAIL_MAX];
    size_t tail_len;
    late_scan late;
    char out[OUT_CAP];
    size_t out_len;
};

static int flush_out(fa_charset_decoder *d)
{
    if (d->out_len == 0) return 0;
    int rc = d->sink ? d->sink(d->ud, d->out, d->out_len) : 0;
    d->out_len = 0;
    if (rc < 0 && d->rc == 0) d->rc = rc;
    return rc < 0 ? rc : 0;
}

static int emit(fa_charset_decoder *d, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        if (d->out_len == OUT_CAP && flush_out(d) < 0) return d->rc;
        size_t k = OUT_CAP - d->out_len < n ? OUT_CAP - d->out_len : n;
        memcpy(d->out + d->out_len, s, k);
        d->out_len += k;
        s += k;
        n -= k;
    }
    return 0;
}

static int emit_replacement(fa_charset_decoder *d)
{
    d->dec.replaced++;
    return emit(d, "\xEF\xBF\xBD", 3);
}

/* UTF-8 through the validator: valid runs copied, invalid sequences
 * replaced, a sequence cut by the end kept in tail unless at_end. */
static int utf8_decode(fa_charset_decoder *d, const unsigned char *s, size_t n, int at_end)
{
    int rc = 0;
    if (d->tail_len > 0) {
        /* complete the carried sequence a byte at a time */
        while (d->tail_len > 0 && n > 0) {
            d->tail[d->tail_len++] = *s++;
            n--;
            int l = utf8_seq(d->tail, d->tail_len);
            if (l > 0) {
                rc = emit(d, d->tail, d->tail_len);
                d->tail_len = 0;
            } else if (l < 0) {
                /* invalid: replace its maximal subpart, re-read the rest */
                size_t bad = (size_t)-l, keep = d->tail_len - bad;
                unsigned char again[TAIL_MAX];
                memcpy(again, d->tail + bad, keep);
                d->tail_len = 0;
                rc = emit_replacement(d);
                if (rc == 0 && keep > 0) rc = utf8_decode(d, again, keep, 0);
            }
            if (rc < 0) return rc;
        }
        if (d->tail_len > 0) {
            if (!at_end) return 0;
            d->tail_len = 0;
            return emit_replacement(d);
        }
    }
    size_t run = 0, i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int l = utf8_seq(s + i, n - i);
        if (l > 0) {
            i += (size_t)l;
            continue;
        }
        rc = emit(d, s + run, i - run);
        if (rc < 0) return rc;
        if (l == 0) {
            if (at_end) return emit_replacement(d);
            memcpy(d->tail, s + i, n - i);
            d->tail_len = n - i;
            return 0;
        }
        rc = emit_replacement(d);
        if (rc < 0) return rc;
        i += (size_t)-l;
        run = i;
    }
    if (n == run) return 0; /* nothing left (s may be NULL when n is 0) */
    return emit(d, s + run, n - run);
}

/* Runs iconv over in[0..n); stops at an incomplete sequence (returns the
 * bytes consumed in *used).  Invalid bytes become U+FFFD (windows-1252's
 * five unmapped bytes become the C1 controls of the same value, as WHATWG
 * has it). */
static int iconv_run(fa_charset_decoder *d, const unsigned char *in, size_t n, size_t *used)
{
    char *ip = (char *)in;
    size_t left = n;
    while (left > 0) {
        if (d->out_len == OUT_CAP && flush_out(d) < 0) return d->rc;
        char *op = d->out + d->out_len;
        size_t ol = OUT_CAP - d->out_len;
        size_t r = iconv(d->cd, &ip, &left, &op, &ol);
        d->out_len = OUT_CAP - ol;
        if (r != (size_t)-1) break;
        if (errno == E2BIG) {
            if (flush_out(d) < 0) return d->rc;
            continue;
        }
        if (errno == EINVAL) break;
        if (left == 0) {
            /* EILSEQ with the input used up (glibc's CP949 converter, for
             * a page labelled csEUCKR, on a 4-byte piece): the bad
             * sequence was in what it consumed.  Stepping past it read a
             * byte beyond the input and wrapped left to SIZE_MAX, and the
             * next iconv read on past the buffer (fuzz_text_extract at
             * 9.0M runs; tools/fuzz/regression/text_extract) */
            int rc = emit_replacement(d);
            if (rc < 0) return rc;
            break;
        }
        unsigned char b = (unsigned char)*ip;
        int rc;
        if (d->enc == E_1252 && (b == 0x81 || b == 0x8D || b == 0x8F || b == 0x90 || b == 0x9D)) {
            unsigned char c1[2] = {0xC2, b};
            rc = emit(d, c1, 2);
        } else {
            rc = emit_replacement(d);
        }
        if (rc < 0) return rc;
        ip++;
        left--;
    }
    *used = n - left;
    return 0;
}

static int iconv_decode(fa_charset_decoder *d, const unsigned char *s, size_t n, int at_end)
{
    int rc;
    size_t used;
    while (d->tail_len > 0 && n > 0) {
        /* the carried bytes plus a few new ones */
        unsigned char tmp[TAIL_MAX * 2];
        size_t k = n < TAIL_MAX ? n : TAIL_MAX;
        size_t old = d->tail_len;
        memcpy(tmp, d->tail, old);
        memcpy(tmp + old, s, k);
        rc = iconv_run(d, tmp, old + k, &used);
        if (rc < 0) return rc;
        if (used >= old) {
            d->tail_len = 0;
            s += used - old;
            n -= used - old;
        } else {
            /* still incomplete: everything taken becomes the tail */
            size_t rest = old + k - used;
            if (rest > TAIL_MAX) { /* cannot happen for real encodings */
                d->tail_len = 0;
                rc = emit_replacement(d);
                if (rc < 0) return rc;
                s += k;
                n -= k;
                continue;
            }
            memmove(d->tail, tmp + used, rest);
            d->tail_len = rest;
            s += k;
            n -= k;
        }
    }
    /* ASCII-compatible and stateless: ASCII stretches (markup, scripts)
     * are copied, only the stretches from a byte >= 0x80 to the next '<'
     * or newline go through iconv.  Those two never occur inside a
     * multi-byte character of any encoding here (trail bytes are >= 0x30,
     * and 0x3C, 0x0A are no lead bytes), so a stretch never cuts one. */
    int fast = encodings[d->enc].ascii_compatible && d->enc != E_ISO2022JP;
    while (n > 0) {
        size_t a = 0, k = 0;
        if (fast) {
            while (a < n && s[a] < 0x80)
                a++;
            rc = emit(d, s, a);
            if (rc < 0) return rc;
            s += a;
            n -= a;
            if (n == 0) break;
            while (k < n && s[k] != '<' && s[k] != '\n')
                k++;
        } else {
            k = n;
        }
        rc = iconv_run(d, s, k, &used);
        if (rc < 0) return rc;
        if (used < k && k < n) {
            /* a sequence cut short by '<' or a newline: invalid */
            rc = emit_replacement(d);
            if (rc < 0) return rc;
        } else if (used < k) {
            size_t rest = k - used; /* iconv stops within one sequence */
            if (rest > TAIL_MAX) rest = TAIL_MAX;
            memcpy(d->tail, s + k - rest, rest);
            d->tail_len = rest;
        }
        s += k;
        n -= k;
    }
    if (at_end) {
        if (d->tail_len > 0) {
            d->tail_len = 0;
            rc = emit_replacement(d);
            if (rc < 0) return rc;
        }
        if (d->out_len == OUT_CAP && flush_out(d) < 0) return d->rc;
        char *op = d->out + d->out_len;
        size_t ol = OUT_CAP - d->out_len;
        iconv(d->cd, NULL, NULL, &op, &ol); /* a stateful encoding's reset */
        d->out_len = OUT_CAP - ol;
    }
    return 0;
}

static int decode(fa_charset_decoder *d, const unsigned char *s, size_t n, int at_end)
{
    return d->enc == E_UTF8 ? utf8_decode(d, s, n, at_end) : iconv_decode(d, s, n, at_end);
}

/* Switches to encoding enc (falling back to UTF-8 if iconv lacks it). */
static void choose(fa_charset_decoder *d, int enc, enum fa_charset_how how)
{
    if (enc != E_UTF8) {
        d->cd = cd_take(enc);
        if (d->cd == (iconv_t)-1) {
            enc = E_UTF8;
            how = FA_CHARSET_DEFAULT;
        }
    }
    d->enc = enc;
    d->dec.name = encodings[enc].name;
    d->dec.how = how;
    if (how != FA_CHARSET_DETECTED) d->dec.confidence = 1;
    d->st = S_DECODING;
}

/* ---- prescan: XML declaration, meta ---- */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* The encoding label in <?xml ... encoding="..."?> at s, or -1. */
static int xml_decl(const unsigned char *s, size_t n)
{
    if (n < 6 || memcmp(s, "<?xml", 5) != 0 || !is_space(s[5])) return -1;
    for (size_t i = 5; i + 8 < n; i++) {
        if (s[i] == '>') return -1;
        if (memcmp(s + i, "encoding", 8) != 0) continue;
        size_t k = i + 8;
        while (k < n && is_space(s[k]))
            k++;
        if (k >= n || s[k] != '=') return -1;
        k++;
        while (k < n && is_space(s[k]))
            k++;
        if (k >= n || (s[k] != '"' && s[k] != '\'')) return -1;
        unsigned char q = s[k++];
        size_t b = k;
        while (k < n && s[k] != q && s[k] != '>')
            k++;
        if (k >= n || s[k] != q) return -1;
        return label_find((const char *)s + b, k - b);
    }
    return -1;
}

/* One attribute at s[*i..n) (WHATWG "get an attribute", simplified): name
 * and value spans; returns 0 at '>' or the end. */
static int get_attr(const unsigned char *s, size_t n, size_t *i, size_t *nb, size_t *nl, size_t *vb,
                    size_t *vl)
{
    size_t k = *i;
    while (k < n && (is_space(s[k]) || s[k] == '/'))
        k++;
    if (k >= n || s[k] == '>') {
        *i = k;
        return 0;
    }
    *nb = k;
    while (k < n && !is_space(s[k]) && s[k] != '=' && s[k] != '>' && s[k] != '/')
        k++;
    *nl = k - *nb;
    *vb = k;
    *vl = 0;
    while (k < n && is_space(s[k]))
        k++;
    if (k < n && s[k] == '=') {
        k++;
        while (k < n && is_space(s[k]))
            k++;
        if (k < n && (s[k] == '"' || s[k] == '\'')) {
            unsigned char q = s[k++];
            *vb = k;
            while (k < n && s[k] != q)
                k++;
            *vl = k - *vb;
            if (k < n) k++;
        } else {
            *vb = k;
            while (k < n && !is_space(s[k]) && s[k] != '>')
                k++;
            *vl = k - *vb;
        }
    }
    *i = k;
    return 1;
}

static int span_is(const unsigned char *s, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp((const char *)s, w, n) == 0;
}

/* "charset=" inside a content attribute (WHATWG "extracting a character
 * encoding from a meta element"). */
static int charset_in_content(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i + 7 <= n; i++) {
        if (strncasecmp((const char *)s + i, "charset", 7) != 0) continue;
        size_t k = i + 7;
        while (k < n && is_space(s[k]))
            k++;
        if (k >= n || s[k] != '=') continue;
        k++;
        while (k < n && is_space(s[k]))
            k++;
        if (k >= n) return -1;
        size_t b;
        if (s[k] == '"' || s[k] == '\'') {
            unsigned char q = s[k++];
            b = k;
            while (k < n && s[k] != q)
                k++;
            if (k >= n) return -1;
        } else {
            b = k;
            while (k < n && !is_space(s[k]) && s[k] != ';')
                k++;
        }
        return label_find((const char *)s + b, k - b);
    }
    return -1;
}

/* The WHATWG prescan of s[0..n) for a meta charset: the encoding, or -1. */
static int meta_prescan(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] != '<') {
            i++;
            continue;
        }
        if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
            size_t k = i + 4;
            while (k + 3 <= n && memcmp(s + k, "-->", 3) != 0)
                k++;
            i = k + 3;
            continue;
        }
        if (n - i >= 6 && strncasecmp((const char *)s + i, "<meta", 5) == 0 &&
            (is_space(s[i + 5]) || s[i + 5] == '/')) {
            size_t k = i + 5, nb, nl, vb, vl;
            int http_equiv = 0, charset = -1, content = -1, got_charset = 0;
            while (get_attr(s, n, &k, &nb, &nl, &vb, &vl)) {
                if (span_is(s + nb, nl, "http-equiv")) {
                    http_equiv = span_is(s + vb, vl, "content-type");
                } else if (span_is(s + nb, nl, "charset") && !got_charset) {
                    got_charset = 1;
                    charset = label_find((const char *)s + vb, vl);
                } else if (span_is(s + nb, nl, "content") && content < 0) {
                    content = charset_in_content(s + vb, vl);
                }
            }
            int e = got_charset ? charset : http_equiv ? content : -1;
            if (e >= 0) {
                if (e == E_UTF16LE || e == E_UTF16BE) e = E_UTF8; /* WHATWG */
                return e;
            }
            i = k + 1;
            continue;
        }
        if (n - i >= 2 &&
            (s[i + 1] == '!' || s[i + 1] == '?' || s[i + 1] == '/' || (s[i + 1] | 0x20) >= 'a')) {
            /* another tag, a comment-like or a processing instruction:
             * skip its attributes (so "<a title='<meta ...>'>" is no meta) */
            size_t k = i + 2, nb, nl, vb, vl;
            if (s[i + 1] == '!' || s[i + 1] == '?') {
                while (k < n && s[k] != '>')
                    k++;
            } else {
                while (k < n && !is_space(s[k]) && s[k] != '>')
                    k++;
                while (get_attr(s, n, &k, &nb, &nl, &vb, &vl))
                    ;
            }
            i = k + 1;
            continue;
        }
        i++;
    }
    return -1;
}

/* ---- a meta past the prescan, in the head ----
 *
 * HTML's parser honours a <meta charset> it meets in the head while the
 * encoding is only tentative (nothing declared by a BOM, the HTTP header or
 * the first 1024 bytes: "change the encoding", HTML 13.2.6.4.4 "in head"):
 * Firefox reparses the page in it, Blink keeps reading the head's tags past
 * the 1024 bytes before it decides (HTMLMetaCharsetParser).  So while nothing
 * is declared and nothing decided, the bytes that pass (the prescan's, the
 * ASCII run, the window) are read tag by tag here: a meta carrying a
 * charset is the declaration; the first start tag that has no place in a
 * head (body, div, p, ...) ends the scan, and so does a tag longer than
 * LATE_TAG_MAX.  Comments are skipped to "-->", the bodies of script, style,
 * title and textarea to their end tag.  One pass, each byte looked at once,
 * and only on pages that declare nothing early. */

static const char *const late_head_tags[] = {"html",   "head",     "meta",   "title",    "link",
                                             "script", "style",    "base",   "noscript", "template",
                                             "object", "basefont", "bgsound"};

/* A start tag complete in late->buf[0..len) (with its '>'). */
static void late_tag(late_scan *l)
{
    const unsigned char *b = l->buf;
    size_t n = l->len, k = 1;
    if (b[1] == '!' || b[1] == '?' || b[1] == '/') {
        l->st = LATE_TEXT; /* a doctype, a processing instruction, an end tag */
        return;
    }
    while (k < n && !is_space(b[k]) && b[k] != '/' && b[k] != '>')
        k++;
    const unsigned char *name = b + 1;
    size_t nl = k - 1;
    size_t i;
    for (i = 0; i < sizeof late_head_tags / sizeof late_head_tags[0]; i++)
        if (span_is(name, nl, late_head_tags[i])) break;
    if (i == sizeof late_head_tags / sizeof late_head_tags[0]) {
        l->st = LATE_OFF; /* the body has begun */
        return;
    }
    l->st = LATE_TEXT;
    if (span_is(name, nl, "meta")) {
        int e = meta_prescan(b, n);
        if (e >= 0) {
            l->found = e;
            l->st = LATE_OFF;
        }
    } else if (span_is(name, nl, "script") || span_is(name, nl, "style") ||
               span_is(name, nl, "title") || span_is(name, nl, "textarea")) {
        static const char *const ends[] = {"</script", "</style", "</title", "</textarea"};
        for (i = 0; i < 4; i++)
            if (span_is(name, nl, ends[i] + 2)) l->raw_end = ends[i];
        l->st = LATE_RAW;
        l->len = 0;
    }
}

/* Reads s[0..n) on from where the scan stopped. */
static void late_feed(late_scan *l, const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n && l->st != LATE_OFF) {
        unsigned char c = s[i];
        switch (l->st) {
        case LATE_TEXT: {
            const unsigned char *lt = memchr(s + i, '<', n - i);
            if (lt == NULL) return;
            i = (size_t)(lt - s) + 1;
            l->buf[0] = '<';
            l->len = 1;
            l->quote = 0;
            l->after_eq = 0;
            l->st = LATE_TAG;
            continue;
        }
        case LATE_TAG:
            if (l->len == 1 &&
                !(c == '!' || c == '/' || c == '?' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))) {
                l->st = LATE_TEXT; /* "<" not opening a tag: text; c read again */
                continue;
            }
            i++;
            if (l->len == LATE_TAG_MAX) {
                l->st = LATE_OFF;
                return;
            }
            l->buf[l->len++] = c;
            if (l->len == 4 && memcmp(l->buf, "<!--", 4) == 0) {
                l->st = LATE_COMMENT;
                l->len = 0;
            } else if (l->quote) {
                if (c == l->quote) l->quote = 0;
            } else if (c == '>') {
                late_tag(l);
            } else if (c == '=') {
                l->after_eq = 1;
            } else if (l->after_eq && !is_space(c)) {
                l->after_eq = 0;
                if (c == '"' || c == '\'') l->quote = c;
            }
            continue;
        case LATE_COMMENT:
            i++;
            if (c == '>' && l->len >= 2) l->st = LATE_TEXT;
            l->len = c == '-' ? l->len + 1 : 0;
            continue;
        case LATE_RAW: {
            if (l->len == 0) {
                const unsigned char *lt = memchr(s + i, '<', n - i);
                if (lt == NULL) return;
                i = (size_t)(lt - s) + 1;
                l->len = 1;
                continue;
            }
            i++;
            if ((unsigned char)(c | 0x20) == (unsigned char)l->raw_end[l->len]) {
                if (l->raw_end[++l->len] == '\0') l->st = LATE_TEXT;
            } else {
                l->len = c == '<' ? 1 : 0;
            }
            continue;
        }
        case LATE_OFF:
            return;
        }
    }
}

/* ---- deciding ---- */

static int is_cjk(int enc)
{
    int f = encodings[enc].family;
    return f == FAM_KOREAN || f == FAM_JAPANESE || f == FAM_CHINESE;
}

/* libuchardet's answer on s[0..n), or -1. */
static int detect(const unsigned char *s, size_t n)
{
    charset_cache *c = cache_get();
    uchardet_t u;
    if (c == NULL) {
        u = uchardet_new();
    } else {
        if (c->det == NULL) c->det = uchardet_new();
        u = c->det;
        uchardet_reset(u); /* as new: the last document's probers cleared */
    }
    if (u == NULL) return -1;
    int e = -1;
    if (uchardet_handle_data(u, (const char *)s, n) == 0) {
        uchardet_data_end(u);
        const char *name = uchardet_get_charset(u);
        if (name != NULL && *name) {
            if (strcasecmp(name, "ASCII") == 0)
                e = E_UTF8;
            else
                e = label_find(name, strlen(name));
        }
    }
    if (c == NULL) uchardet_delete(u);
    return e;
}

static size_t count_nonascii(const unsigned char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] >= 0x80;
    return k;
}

/* Confidence of reading s[0..n) as enc (see the top comment). */
static double confidence(int enc, const unsigned char *s, size_t n, int at_end)
{
    tally t = {0};
    tally_enc(&t, enc, s, n, at_end);
    if (t.errors > 0 || t.nonascii == 0) return 0;
    /* ISO-2022-JP is 7-bit: its evidence is the characters it decodes to */
    double evidence =
        (double)(enc == E_ISO2022JP ? 2 * t.nonascii : count_nonascii(s, n)) / EVIDENCE_BYTES;
    if (evidence > 1) evidence = 1;
    return evidence * (double)t.in_script / (double)t.nonascii;
}

/* Takes the decision on the held bytes (the window), at_end when no more
 * will come. */
static void judge(fa_charset_decoder *d, int at_end)
{
    const unsigned char *s = d->hold;
    size_t n = d->hold_len;
    d->dec.held = n;
    if (d->declared < 0) {
        late_feed(&d->late, s, n); /* the window may hold the head's meta */
        if (d->late.found >= 0) {
            d->declared = d->late.found;
            d->declared_how = FA_CHARSET_META;
        }
    }
    int decl = d->declared;
    enum fa_charset_how how = d->declared_how;
    double min_conf = d->o.min_confidence > 0 ? d->o.min_confidence : FA_CHARSET_MIN_CONFIDENCE;
    if (count_nonascii(s, n) == 0 && memchr(s, 0x1B, n) == NULL) {
        choose(d, decl >= 0 ? decl : E_UTF8, decl >= 0 ? how : FA_CHARSET_DEFAULT);
        return;
    }
    tally t = {0};
    if (decl >= 0) {
        tally_enc(&t, decl, s, n, at_end);
        if (t.errors == 0) {
            if (!encodings[decl].single_byte) {
                choose(d, decl, how);
                return;
            }
            /* a clean single-byte reading proves little: is the body
             * plainly something else? */
            tally u = {0};
            tally_raw_utf8(&u, s, n, at_end);
            if (u.errors == 0 && u.multibyte > 0) {
                d->dec.declared = encodings[decl].name;
                d->dec.declared_how = how;
                d->dec.confidence = 1;
                choose(d, E_UTF8, FA_CHARSET_DETECTED);
                return;
            }
            if (encodings[decl].family == FAM_LATIN) {
                int e = detect(s, n);
                double c = e >= 0 && is_cjk(e) ? confidence(e, s, n, at_end) : 0;
                if (c >= min_conf) {
                    d->dec.declared = encodings[decl].name;
                    d->dec.declared_how = how;
                    d->dec.confidence = c;
                    choose(d, e, FA_CHARSET_DETECTED);
                    return;
                }
            }
            choose(d, decl, how);
            return;
        }
        /* a legacy declaration over a body that is valid UTF-8 */
        tally v = {0};
        if (decl != E_UTF8) tally_raw_utf8(&v, s, n, at_end);
        if (decl != E_UTF8 && v.errors == 0 && v.multibyte > 0) {
            d->dec.declared = encodings[decl].name;
            d->dec.declared_how = how;
            d->dec.confidence = 1;
            choose(d, E_UTF8, FA_CHARSET_DETECTED);
            return;
        }
    } else {
        tally_raw_utf8(&t, s, n, at_end);
        if (t.errors == 0) {
            d->dec.confidence = 1;
            choose(d, E_UTF8, FA_CHARSET_DETECTED);
            return;
        }
    }
    /* undeclared and not UTF-8, or declared and not decodable in it */
    int e = detect(s, n);
    if (e == E_UTF8 || e == decl) e = -1;
    double c = e >= 0 ? confidence(e, s, n, at_end) : 0;
    if (e >= 0 && c >= min_conf) {
        if (decl >= 0) {
            d->dec.declared = encodings[decl].name;
            d->dec.declared_how = how;
        }
        d->dec.confidence = c;
        choose(d, e, FA_CHARSET_DETECTED);
        return;
    }
    d->dec.refused = 1; /* no confident reading: the declared one, or UTF-8 */
    if (e >= 0) d->dec.guess = encodings[e].name;
    choose(d, decl >= 0 ? decl : E_UTF8, decl >= 0 ? how : FA_CHARSET_DEFAULT);
    d->dec.confidence = c;
}

/* End of the prescan (hold has the first bytes, or all of a short body):
 * the BOM, the declarations; decides now if they settle it. */
static int end_prescan(fa_charset_decoder *d, int at_end)
{
    const unsigned char *s = d->hold;
    size_t n = d->hold_len, skip = 0;
    int bom = -1;
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        bom = E_UTF8;
        skip = 3;
    } else if (n >= 2 && s[0] == 0xFF && s[1] == 0xFE) {
        bom = E_UTF16LE;
        skip = 2;
    } else if (n >= 2 && s[0] == 0xFE && s[1] == 0xFF) {
        bom = E_UTF16BE;
        skip = 2;
    }
    int how = FA_CHARSET_BOM;
    if (bom < 0 && n >= 4 && !d->o.fixed_utf8 && memcmp(s, "<\0?\0", 4) == 0) {
        bom = E_UTF16LE; /* "<?" in UTF-16 without a BOM (XML 1.0 appendix F) */
        how = FA_CHARSET_XML;
    } else if (bom < 0 && n >= 4 && !d->o.fixed_utf8 && memcmp(s, "\0<\0?", 4) == 0) {
        bom = E_UTF16BE;
        how = FA_CHARSET_XML;
    }
    if (d->o.fixed_utf8) {
        how = FA_CHARSET_FIXED;
        bom = E_UTF8;
        skip = skip == 3 ? 3 : 0;
    }
    if (bom >= 0) {
        choose(d, bom, (enum fa_charset_how)how);
        d->dec.held = n;
        d->hold_len = 0;
        return decode(d, s + skip, n - skip, at_end);
    }
    d->declared = label_find(d->http, strlen(d->http));
    d->declared_how = FA_CHARSET_HTTP;
    if (d->declared < 0) {
        d->declared = xml_decl(s, n);
        d->declared_how = FA_CHARSET_XML;
        if (d->declared == E_UTF16LE || d->declared == E_UTF16BE)
            d->declared = -1; /* an ASCII declaration cannot be UTF-16 */
    }
    if (d->declared < 0 && (n < 5 || memcmp(s, "<?xml", 5) != 0)) {
        d->declared = meta_prescan(s, n);
        d->declared_how = FA_CHARSET_META;
        if (d->declared < 0) {
            d->late.st = LATE_TEXT; /* a meta may still come in the head */
            late_feed(&d->late, s, n);
        }
    }
    if (d->declared >= 0 && !encodings[d->declared].ascii_compatible &&
        d->declared != E_ISO2022JP) {
        choose(d, d->declared, d->declared_how);
        d->dec.held = n;
        d->hold_len = 0;
        return decode(d, s, n, at_end);
    }
    /* the ASCII start goes out now; the window starts at the first other byte */
    size_t a = 0;
    while (a < n && s[a] < 0x80 && s[a] != 0x1B)
        a++;
    int rc = emit(d, s, a);
    if (rc < 0) return rc;
    memmove(d->hold, d->hold + a, n - a);
    d->hold_len = n - a;
    d->st = d->hold_len ? S_WINDOW : S_ASCII;
    return 0;
}

/* Makes room for need bytes in hold (need <= PRESCAN + window): doubles
 * the buffer, the new part zeroed like the first (judge() reads only what
 * was copied in, but the analyzer cannot see it).  0 or FA_ENOMEM. */
static int hold_reserve(fa_charset_decoder *d, size_t need)
{
    if (need <= d->hold_cap) return 0;
    size_t max = FA_CHARSET_PRESCAN + d->o.window, cap = d->hold_cap;
    while (cap < need)
        cap *= 2;
    if (cap > max) cap = max;
    unsigned char *h = realloc(d->hold, cap);
    if (h == NULL) return FA_ENOMEM;
    memset(h + d->hold_cap, 0, cap - d->hold_cap);
    d->hold = h;
    d->hold_cap = cap;
    return 0;
}

/* The window is full (or the body ended): decide, decode what was held. */
static int end_window(fa_charset_decoder *d, int at_end)
{
    judge(d, at_end);
    size_t n = d->hold_len;
    d->hold_len = 0;
    return decode(d, d->hold, n, at_end);
}

fa_charset_decoder *fa_charset_decoder_new(const fa_charset_options *o, fa_charset_sink sink,
                                           void *ud)
{
    /* everything zeroed but the 16 KiB output buffer (written before it is
     * read, up to out_len) */
    fa_charset_decoder *d = malloc(sizeof *d);
    if (d == NULL) return NULL;
    memset(d, 0, offsetof(fa_charset_decoder, out));
    d->out_len = 0;
    if (o != NULL) d->o = *o;
    if (d->o.window == 0) d->o.window = FA_CHARSET_WINDOW;
    if (d->o.window > WINDOW_MAX) d->o.window = WINDOW_MAX;
    if (d->o.http_charset != NULL) {
        size_t n = strlen(d->o.http_charset);
        if (n < sizeof d->http) memcpy(d->http, d->o.http_charset, n + 1);
    }
    d->o.http_charset = d->http;
    d->sink = sink;
    d->ud = ud;
    d->cd = (iconv_t)-1;
    d->declared = -1;
    d->late.found = -1;
    d->enc = E_UTF8;
    d->dec.name = encodings[E_UTF8].name;
    /* the hold grows with what is held (hold_reserve): most bodies decide
     * on far less than PRESCAN + window bytes */
    d->hold_cap = HOLD_MIN;
    d->hold = calloc(1, d->hold_cap); /* zeroed: keeps the analyzer sure of what judge() reads */
    if (d->hold == NULL) {
        free(d);
        return NULL;
    }
    return d;
}

int fa_charset_push(fa_charset_decoder *d, const void *data, size_t len)
{
    if (d == NULL || (data == NULL && len > 0)) return FA_EINVAL;
    if (d->rc < 0) return d->rc;
    if (d->finished) return FA_EINVAL;
    const unsigned char *s = data;
    int rc = 0;
    while (len > 0 && rc == 0) {
        switch (d->st) {
        case S_PRESCAN: {
            size_t k = FA_CHARSET_PRESCAN - d->hold_len;
            if (k > len) k = len;
            memcpy(d->hold + d->hold_len, s, k);
            d->hold_len += k;
            s += k;
            len -= k;
            if (d->hold_len == FA_CHARSET_PRESCAN) rc = end_prescan(d, 0);
            break;
        }
        case S_ASCII: {
            size_t a = 0;
            while (a < len && s[a] < 0x80 && s[a] != 0x1B)
                a++;
            late_feed(&d->late, s, a);
            rc = emit(d, s, a);
            s += a;
            len -= a;
            if (len > 0) d->st = S_WINDOW;
            break;
        }
        case S_WINDOW: {
            /* the prescan may have left more than a small window holds */
            size_t room = d->hold_len < d->o.window ? d->o.window - d->hold_len : 0;
            size_t k = room < len ? room : len;
            rc = hold_reserve(d, d->hold_len + k);
            if (rc < 0) break;
            memcpy(d->hold + d->hold_len, s, k);
            d->hold_len += k;
            s += k;
            len -= k;
            if (d->hold_len >= d->o.window) rc = end_window(d, 0);
            break;
        }
        case S_DECODING:
            rc = decode(d, s, len, 0);
            len = 0;
            break;
        }
    }
    if (rc == 0) rc = flush_out(d); /* what is decided goes out with each push */
    if (rc < 0 && d->rc == 0) d->rc = rc;
    return d->rc;
}

int fa_charset_finish(fa_charset_decoder *d)
{
    if (d == NULL) return FA_EINVAL;
    if (d->finished) return d->rc;
    d->finished = 1;
    if (d->rc < 0) return d->rc;
    int rc = 0;
    if (d->st == S_PRESCAN) rc = end_prescan(d, 1);
    if (rc == 0 && d->st == S_ASCII) {
        judge(d, 1); /* all ASCII: the declared encoding or UTF-8 */
        d->hold_len = 0;
    }
    if (rc == 0 && d->st == S_WINDOW)
        rc = end_window(d, 1);
    else if (rc == 0 && d->st == S_DECODING)
        rc = decode(d, NULL, 0, 1);
    if (rc == 0) rc = flush_out(d);
    if (rc < 0 && d->rc == 0) d->rc = rc;
    return d->rc;
}

int fa_charset_decided(const fa_charset_decoder *d)
{
    return d != NULL && d->st == S_DECODING;
}

const fa_charset_decision *fa_charset_decoder_decision(const fa_charset_decoder *d)
{
    return &d->dec;
}

void fa_charset_decoder_free(fa_charset_decoder *d)
{
    if (d == NULL) return;
    cd_give(d->enc, d->cd);
    free(d->hold);
    free(d);
}

static int to_buf(void *ud, const char *s, size_t n)
{
    return fa_buf_append(ud, s, n);
}

int fa_charset_decode_all(const fa_charset_options *o, const void *data, size_t len, fa_buf *out,
                          fa_charset_decision *dec)
{
    fa_charset_decoder *d = fa_charset_decoder_new(o, to_buf, out);
    if (d == NULL) return FA_ENOMEM;
    int rc = fa_charset_push(d, data, len);
    if (rc == 0) rc = fa_charset_finish(d);
    if (dec != NULL) *dec = d->dec;
    fa_charset_decoder_free(d);
    return rc;
}

int fa_charset_describe(const fa_charset_decision *dec, char *out, size_t outlen)
{
    char extra[160] = "";
    size_t e = 0;
    if (dec->how == FA_CHARSET_DETECTED)
        e += (size_t)snprintf(extra + e, sizeof extra - e, ", confidence %.2f", dec->confidence);
    if (dec->declared != NULL && e < sizeof extra)
        e += (size_t)snprintf(extra + e, sizeof extra - e, "; declared %s (%s) overruled",
                              dec->declared, fa_charset_how_name(dec->declared_how));
    if (dec->refused && dec->guess != NULL && e < sizeof extra)
        e += (size_t)snprintf(extra + e, sizeof extra - e, "; guess %s refused, confidence %.2f",
                              dec->guess, dec->confidence);
    else if (dec->refused && e < sizeof extra)
        e += (size_t)snprintf(extra + e, sizeof extra - e, "; nothing detected");
    if (dec->replaced > 0 && e < sizeof extra)
        snprintf(extra + e, sizeof extra - e, "; %llu invalid sequences replaced",
                 (unsigned long long)dec->replaced);
    return snprintf(out, outlen, "%s (%s%s)", dec->name ? dec->name : "UTF-8",
                    fa_charset_how_name(dec->how), extra);
}
