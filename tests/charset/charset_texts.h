/*
 * charset_texts.h - the project's own texts (written for these tests) in
 * nine legacy encodings, and helpers that convert them with iconv and wrap
 * them in an RSS feed or an HTML page with or without a declaration.
 *
 * Used by tests/charset/test_charset.c (the library), tests of the feed
 * and dedup modules through it, and tools/bench/bench_charset.c.
 */
#ifndef CHARSET_TEXTS_H
#define CHARSET_TEXTS_H

#include "common/fa_buf.h"

#include <stddef.h>

typedef struct charset_text {
    const char *iconv;    /* iconv name the fixture is converted to */
    const char *whatwg;   /* the name fa_charset reports for it */
    const char *label;    /* the label a site would declare */
    const char *title;    /* UTF-8 */
    const char *paras[3]; /* UTF-8 */
} charset_text;

#define CHARSET_TEXT_COUNT 9
extern const charset_text charset_texts[CHARSET_TEXT_COUNT];

/* How a fixture declares its encoding. */
enum charset_decl {
    DECL_NONE,        /* nothing anywhere */
    DECL_HTTP,        /* Content-Type charset (returned in http) */
    DECL_DOC,         /* XML declaration (feed) or <meta charset> (page) */
    DECL_WRONG_UTF8,  /* declared UTF-8 (HTTP) but in the legacy encoding */
    DECL_WRONG_LATIN, /* declared iso-8859-1 (HTTP), the server default */
    DECL_WRONG_DOC    /* the document itself says UTF-8 (XML declaration, meta) */
};

/* Converts UTF-8 s to encoding `to` with iconv, appended to out.
 * Returns 0 or -1. */
int charset_convert(const char *to, const char *s, fa_buf *out);

/* An RSS 2.0 feed with one item (title, description = the paragraphs as
 * <p>) in t's encoding, declared as decl says; *http gets the
 * Content-Type charset to pass ("" for none; static storage). */
int charset_feed(const charset_text *t, enum charset_decl decl, fa_buf *out, const char **http);

/* An HTML article page likewise (title, h1, the paragraphs, some nav). */
int charset_page(const charset_text *t, enum charset_decl decl, fa_buf *out, const char **http);

/* The paragraphs joined by "\n" (what the main text must hold), UTF-8. */
void charset_body_text(const charset_text *t, fa_buf *out);

#endif
