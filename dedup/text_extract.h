/*
 * text_extract.h - HTML to a sequence of text blocks, each classed as the
 * page's content or its template (boilerplate).
 *
 * The HTML is read by libxml2's HTML push parser (SAX: no tree is built),
 * fed in chunks of any size; entities are decoded by libxml2.  The bytes
 * are decoded to UTF-8 first by common/fa_charset (BOM, the
 * Content-Type charset given in the options, meta charset, then detection),
 * and the decision is kept in the document.  Every paragraph-like element (p, h1-h6, li,
 * dt/dd, blockquote, pre, td/th, figcaption, and div/section/article with
 * text of their own) becomes a block with its signals: tag, tag path,
 * characters, characters inside links (link density), position, and hints
 * gathered from the element and its ancestors (nav/header/footer/aside
 * elements; class and id words such as menu, footer, sidebar, comment,
 * share, cookie, related, promo, newsletter, byline).  The contents of
 * script, style, noscript, template, svg, iframe, object, select, textarea,
 * button, head and of elements marked hidden are dropped.
 *
 * The classifier (text_extract.c has the rules and their reasons) marks
 * blocks under strong hints or with link density > 0.4 as boilerplate -
 * except the hints of the text's core and its ancestors (a wrapper whose
 * class reads "sidebar" or "widget" but which holds the paragraphs) - finds
 * the main container (the deepest element holding 80% of the long, link-poor
 * text) and keeps what lies inside it, plus long link-poor blocks outside it
 * (so the full articles an aggregator prints under "Related Articles" stay
 * content) but for a lone one past the text's end (a disclaimer, a bio);
 * short blocks between paragraphs are kept, headings with no text after
 * them, or past the text's end, are not; nor are rights and affiliate
 * notices, nor short share/subscribe/credit lines (generic vocabulary in
 * the main languages, dedup/text_vocab.c).  noscript, script and style
 * bodies are cut out before parsing, as a browser running scripts reads
 * them.  Fragments (feed item content, WordPress content.rendered) have no
 * template: every block is content.
 *
 * Ceilings: input bytes, extracted text bytes, blocks and elements are
 * bounded (FA_ETOOBIG past them); elements nested deeper than max_depth are
 * read as if they were inline in their max_depth-th ancestor.
 */
#ifndef TEXT_EXTRACT_H
#define TEXT_EXTRACT_H

#include "common/fa_buf.h"
#include "common/fa_charset.h"

#include <stddef.h>
#include <stdint.h>

enum text_block_class { TEXT_BOILERPLATE = 0, TEXT_CONTENT = 1 };

/* Hints, OR'ed over the block's ancestors (text_hint_names lists them). */
enum text_hint {
    TEXT_HINT_NAV = 1u << 0,       /* <nav>, class/id nav, menu, breadcrumb, pager */
    TEXT_HINT_HEADER = 1u << 1,    /* page-level <header>, masthead, logo, tagline */
    TEXT_HINT_FOOTER = 1u << 2,    /* page-level <footer>, footer, copyright */
    TEXT_HINT_ASIDE = 1u << 3,     /* <aside>, sidebar, rail, widget, most read */
    TEXT_HINT_COMMENT = 1u << 4,   /* comments */
    TEXT_HINT_SHARE = 1u << 5,     /* share, social, print buttons */
    TEXT_HINT_COOKIE = 1u << 6,    /* cookie, consent, gdpr, banners, modals */
    TEXT_HINT_RELATED = 1u << 7,   /* related, recommended, teasers (weak) */
    TEXT_HINT_PROMO = 1u << 8,     /* ads, promo, sponsor, newsletter, subscribe, disclosure */
    TEXT_HINT_META = 1u << 9,      /* byline, kicker, dateline, tags, credits, captions */
    TEXT_HINT_FORM = 1u << 10,     /* inside <form> (weak) */
    TEXT_HINT_POSITIVE = 1u << 11, /* article, content, story, post, entry, body, text */
    TEXT_HINT_ARTICLE = 1u << 12   /* inside <article> or <main> */
};
#define TEXT_HINT_COUNT 13

/* Name of hint bit i ("nav", "header", ...). */
const char *text_hint_name(unsigned i);

typedef struct text_block {
    const char *text;    /* whitespace-collapsed text, NUL-terminated (owned by the doc) */
    size_t len;          /* bytes of text */
    uint32_t chars;      /* code points of text */
    uint32_t link_chars; /* non-space code points inside links */
    uint32_t weight;     /* non-space code points, unspaced scripts counted x3 */
    float link_density;  /* link_chars / non-space code points */
    const char *tag;     /* innermost block element ("p", "h2", "li", "div", ...) */
    const char *path;    /* ancestors' tags, "html>body>main>article>p" */
    uint32_t hints;      /* enum text_hint bits in force (see text_extract.c, rule 0) */
    uint32_t index;      /* position in document order */
    uint16_t depth;      /* element depth */
    uint8_t heading;     /* 1..6 for h1..h6, else 0 */
    uint8_t cls;         /* enum text_block_class */
    const char *reason;  /* why this class: "main", "long-outside-main", "link-density",
                            "hint:cookie", "outside-main", "short", "fragment", ...
                            (static string) */
} text_block;

typedef struct text_doc {
    text_block *blocks;
    size_t n_blocks;
    char *title; /* <title> text or NULL */
    fa_charset_decision charset; /* the input's encoding and how it was decided */
    /* private */
    fa_buf arena_;
} text_doc;

typedef struct text_extract_options {
    size_t max_input;    /* bytes of HTML; 0 = 32 MiB */
    size_t max_text;     /* bytes of extracted text; 0 = 8 MiB */
    unsigned max_depth;  /* element nesting kept; 0 = 256 */
    unsigned max_blocks; /* 0 = 100000 */
    int fragment;        /* 1: an HTML fragment (feed item, REST content): every block is content;
                            the input is UTF-8 (decoded already) */
    const char *charset; /* Content-Type charset label of a page, or NULL; borrowed */
} text_extract_options;

typedef struct text_extractor text_extractor;

/* Starts an extraction; opt may be NULL (defaults).  Returns NULL on
 * allocation failure. */
text_extractor *text_extractor_new(const text_extract_options *opt);

/* Feeds the next len bytes of HTML.  Returns 0, FA_ETOOBIG past a ceiling
 * (the extractor is then finished: only text_extractor_free is useful), or
 * FA_ENOMEM. */
int text_extractor_push(text_extractor *x, const char *chunk, size_t len);

/* Ends the input, classifies the blocks and hands the document to *out
 * (free with text_doc_free).  Returns 0 or a negative code (then *out is
 * NULL).  The extractor is spent; free it. */
int text_extractor_finish(text_extractor *x, text_doc **out);

/* NULL is accepted. */
void text_extractor_free(text_extractor *x);

/* One call: new + push (in 64 KiB chunks) + finish. */
int text_extract_html(const char *html, size_t len, const text_extract_options *opt,
                      text_doc **out);

/* WordPress REST: extracts title.rendered and content.rendered (HTML
 * fragments) of one post object (or the first of an array).  The JSON is
 * decoded to UTF-8 first (opt->charset as the Content-Type charset;
 * decision in (*out)->charset).  Returns 0,
 * FA_EPARSE (not JSON / no content.rendered), FA_ETOOBIG, FA_ENOMEM. */
int text_extract_wp_json(const char *json, size_t len, const text_extract_options *opt,
                         text_doc **out);

/* Re-classifies an already extracted document as a fragment or a page
 * (used by tests and by the CLI). */
void text_doc_classify(text_doc *d, int fragment);

/* Appends the content blocks' text, one block per line, to out. */
int text_doc_main_text(const text_doc *d, fa_buf *out);

void text_doc_free(text_doc *d);

#endif
