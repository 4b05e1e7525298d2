/*
 * fa_charset.h - which encoding a response is in, decided the way browsers
 * decide it, and a streaming decoder from it to UTF-8.
 *
 * Every body a parser reads (feeds of all kinds, sitemaps, OPML, HTML pages,
 * robots.txt) goes through one fa_charset_decoder first, so the parsers
 * only ever see valid UTF-8 (invalid sequences become U+FFFD) and the
 * decision is made once per response and can be recorded.
 *
 * The decision (the WHATWG encoding standard's order, docs/FEEDS.md
 * "Character encodings" has the details and the reasons):
 *
 *   1. a byte order mark (UTF-8, UTF-16LE, UTF-16BE): final;
 *   2. the charset parameter of the HTTP Content-Type;
 *   3. in the first 1024 bytes: the XML declaration's encoding (a body
 *      starting with "<?xml"), else <meta charset> or <meta http-equiv=
 *      "content-type" content="...; charset=...">; failing those, such a
 *      meta further on while the head lasts (before the first tag that has
 *      no place in a head), as browsers honour one (HTML's "change the
 *      encoding" on a tentative encoding);
 *   4. detection (libuchardet) when nothing is declared, or when the
 *      declaration is plainly wrong: the body does not decode in it (a
 *      "UTF-8" body that is not valid UTF-8), or a single-byte declaration
 *      (the iso-8859-1 many servers add by default) over a body that is
 *      valid UTF-8 or that the detector confidently reads as a CJK
 *      multi-byte encoding;
 *   5. otherwise UTF-8 (what an undeclared all-ASCII body decodes to anyway).
 *
 * Labels are mapped as WHATWG maps them: "euc-kr" and "ks_c_5601-1987" are
 * windows-949 (iconv CP949), "iso-8859-1", "latin1" and "us-ascii" are
 * windows-1252, "gb2312" and "gbk" are read with GB18030, "shift_jis" and
 * "sjis" with CP932, "big5" with BIG5-HKSCS.  Unknown labels are ignored (as
 * if absent).  Decoding is glibc's iconv, except UTF-8, which is validated
 * here.
 *
 * Guessing on little evidence is refused: libuchardet 0.0.7 reports no
 * confidence, so the decoder derives one from the evidence - the number of
 * non-ASCII bytes seen and the share of decoded characters that belong to
 * the scripts the detected encoding is for (Hangul for EUC-KR, Cyrillic for
 * KOI8-R, ...), zero when the window does not decode cleanly.  Below
 * min_confidence the declared encoding, or UTF-8 with replacement, is kept
 * and the decision says a guess was refused.
 *
 * Streaming: the first 1024 bytes are held for step 3.  A body whose start
 * is all ASCII is then passed through as it comes (ASCII reads the same in
 * every encoding considered here) until the first byte >= 0x80 (or ESC, for
 * ISO-2022-JP); from there up to `window` bytes are held before deciding, so
 * at most 1024 + window bytes are ever held.  A multi-byte sequence split
 * across chunks is carried over to the next chunk.
 *
 * Nothing here does I/O.  A decoder is used by one thread at a time (and
 * may be freed on another).  Each thread that decodes keeps a small cache
 * of its own - an idle iconv descriptor per encoding, a libuchardet
 * detector - owned by fa_charset and freed when the thread exits (the main
 * thread's at process exit); nothing is shared between threads.
 */
#ifndef FA_CHARSET_H
#define FA_CHARSET_H

#include "common/fa_buf.h"

#include <stddef.h>
#include <stdint.h>

/* How the encoding was decided. */
enum fa_charset_how {
    FA_CHARSET_DEFAULT = 0, /* nothing declared, nothing to detect: UTF-8 */
    FA_CHARSET_BOM,         /* a byte order mark */
    FA_CHARSET_HTTP,        /* Content-Type charset */
    FA_CHARSET_XML,         /* the XML declaration */
    FA_CHARSET_META,        /* <meta charset> or http-equiv */
    FA_CHARSET_DETECTED,    /* detection (or a valid UTF-8 body) */
    FA_CHARSET_FIXED        /* the caller's choice (robots.txt: UTF-8) */
};

/* "default", "bom", "http", "xml-declaration", "meta", "detected", "fixed". */
const char *fa_charset_how_name(enum fa_charset_how how);

/* Confidence under which a detection is not used. */
#define FA_CHARSET_MIN_CONFIDENCE 0.5
/* Bytes held from the first non-ASCII byte before deciding (default). */
#define FA_CHARSET_WINDOW ((size_t)8 << 10)
/* Bytes examined for an XML declaration or a meta charset. */
#define FA_CHARSET_PRESCAN 1024

typedef struct fa_charset_decision {
    const char *name;                 /* encoding used, WHATWG name ("UTF-8", "EUC-KR",
                                         "windows-1252", ...); static, never NULL */
    enum fa_charset_how how;          /* how it was decided */
    const char *declared;             /* a declaration that was overruled (static), or NULL */
    enum fa_charset_how declared_how; /* where that declaration was */
    const char *guess;                /* a detection refused (static), or NULL */
    double confidence;                /* detection's derived confidence (of the guess when
                                         refused); 1 when declared */
    int refused;                      /* 1: detection ran but gave no usable reading (a guess
                                         below min_confidence, or none): the declared encoding
                                         or UTF-8 with replacement was kept */
    uint64_t replaced;                /* invalid sequences replaced by U+FFFD so far */
    size_t held;                      /* bytes held before deciding */
} fa_charset_decision;

typedef struct fa_charset_options {
    const char *http_charset; /* charset label from Content-Type, or NULL; copied */
    int fixed_utf8;           /* 1: UTF-8 whatever the body says (robots.txt, RFC 9309;
                                 text decoded already); only a UTF-8 BOM is dropped */
    size_t window;            /* 0 = FA_CHARSET_WINDOW; at most 1 MiB */
    double min_confidence;    /* 0 = FA_CHARSET_MIN_CONFIDENCE */
} fa_charset_options;

/* Receives UTF-8 output, in pieces of any size (never split inside a
 * character).  Return 0, or a negative code to stop (push/finish return
 * it). */
typedef int (*fa_charset_sink)(void *ud, const char *utf8, size_t len);

typedef struct fa_charset_decoder fa_charset_decoder;

/* Creates a decoder writing to sink.  o may be NULL (no declaration, the
 * defaults); it is copied.  Returns NULL on allocation failure. */
fa_charset_decoder *fa_charset_decoder_new(const fa_charset_options *o, fa_charset_sink sink,
                                           void *ud);

/* Feeds the next len raw bytes.  Returns 0, or a negative code (sticky):
 * the sink's, FA_ENOMEM. */
int fa_charset_push(fa_charset_decoder *d, const void *data, size_t len);

/* Ends the body: decides if not yet decided, flushes everything (an
 * incomplete sequence at the end becomes U+FFFD).  Returns 0 or a negative
 * code.  A second call returns the first one's result. */
int fa_charset_finish(fa_charset_decoder *d);

/* 1 once the encoding is decided (then the decision stays as it is, but
 * `replaced` keeps counting), else 0. */
int fa_charset_decided(const fa_charset_decoder *d);

/* The decision (all zero but name "UTF-8" before it is made).  Valid until
 * the decoder is freed.  d must not be NULL. */
const fa_charset_decision *fa_charset_decoder_decision(const fa_charset_decoder *d);

/* NULL is accepted. */
void fa_charset_decoder_free(fa_charset_decoder *d);

/* One call: decodes data[0..len) into out (appended) and fills *dec (may be
 * NULL).  Returns 0, FA_ETOOBIG (out's ceiling) or FA_ENOMEM. */
int fa_charset_decode_all(const fa_charset_options *o, const void *data, size_t len, fa_buf *out,
                          fa_charset_decision *dec);

/* The WHATWG name of an encoding label ("ks_c_5601-1987" -> "EUC-KR",
 * "latin1" -> "windows-1252"), or NULL for an unknown label.  Case and
 * surrounding whitespace are ignored. */
const char *fa_charset_canonical(const char *label);

/* Copies the charset parameter of a Content-Type value into out (quotes
 * removed); "" when there is none.  ct may be NULL. */
void fa_charset_from_content_type(const char *ct, char *out, size_t outlen);

/* What a metadata record says: "UTF-8 (http)", "EUC-KR (detected,
 * confidence 0.93; declared UTF-8 (http) overruled)", "UTF-8 (default;
 * guess EUC-KR refused, confidence 0.25)", "UTF-8 (default; nothing
 * detected)", with "; N invalid sequences
 * replaced" when some were.  Returns what snprintf returns. */
int fa_charset_describe(const fa_charset_decision *dec, char *out, size_t outlen);

#endif
