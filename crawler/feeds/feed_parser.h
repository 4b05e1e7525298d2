/*
 * feed_parser.h - streaming feed parser: bytes in, items out.
 *
 * The parser is fed the (decoded) response body chunk by chunk as it
 * arrives and calls back once per complete item, so memory grows with the
 * largest item, not with the feed.  It knows nothing of HTTP or the event
 * loop.  The kind of feed is decided from the bytes (XML root element:
 * <rss>, <rdf:RDF>, <feed>), whatever the source's declared type.
 *
 * XML is parsed with libxml2's push (SAX2) parser with recovery on, so items
 * before a break in malformed XML are kept.  Entity expansion of external
 * entities and network access are off.
 */
#ifndef FEED_PARSER_H
#define FEED_PARSER_H

#include <stddef.h>
#include <stdint.h>

enum feed_kind {
    FEED_UNKNOWN = 0,
    FEED_RSS,      /* RSS 0.9x / 2.0 */
    FEED_RDF,      /* RSS 1.0 */
    FEED_ATOM,     /* Atom 1.0 (and 0.3) */
    FEED_JSONFEED  /* JSON Feed 1.x */
};

/* One item.  Strings are UTF-8, NUL-terminated, possibly empty, never NULL;
 * valid only during the callback. */
typedef struct feed_item {
    const char *id;          /* guid / atom:id; falls back to link */
    const char *link;        /* absolute URL (resolved against the feed URL) */
    const char *title;
    const char *author;
    const char *published;   /* RFC 3339 UTC "2026-11-23T15:37:00Z", or "" */
    const char *updated;     /* same */
    const char *summary;     /* description / atom:summary (markup as given) */
    const char *content;     /* content:encoded / atom:content */
    const char *const *enclosures; /* NULL-terminated list of URLs */
} feed_item;

/* Return 0 to go on, negative to stop parsing (that code is returned by
 * feed_parser_push/finish). */
typedef int (*feed_item_cb)(void *ud, const feed_item *item);

typedef struct feed_parser_limits {
    size_t max_item_bytes;   /* ceiling on one item's text; 0 = 4 MiB */
    unsigned max_items;      /* items after this are ignored; 0 = 10000 */
    unsigned max_depth;      /* XML nesting; 0 = 256 */
} feed_parser_limits;

typedef struct feed_parser feed_parser;

/* Creates a parser.  base_url resolves relative links (may be NULL); limits
 * may be NULL for defaults.  Returns NULL on allocation failure. */
feed_parser *feed_parser_new(const char *base_url, const feed_parser_limits *limits,
                             feed_item_cb cb, void *ud);

/* The encoding to assume when the body has no BOM and its XML
 * declaration names none: the charset of the response's Content-Type.
 * Call before the first push; NULL or "" clears it.  Returns 0, FA_EINVAL
 * (after the first push) or FA_ENOMEM. */
int feed_parser_set_default_encoding(feed_parser *p, const char *charset);

/* The body pushed is UTF-8 already (decoded by common/fa_charset,
 * as source_parser does): the XML declaration's encoding and the default
 * encoding are ignored.  Call before the first push.  Returns 0 or
 * FA_EINVAL (after the first push). */
int feed_parser_set_utf8_input(feed_parser *p);

/* Feeds the next len bytes.  Returns 0, or a negative code: FA_EPARSE when
 * the input is not a feed at all (message from feed_parser_error), or the
 * callback's code.
 * Also FA_ETOOBIG past max_depth, on runaway entity expansion, or when
 * libxml2 stopped inside the feed at one of its limits (entity
 * amplification, a text node over 10 MB, nesting); FA_EPARSE when libxml2
 * gave up inside the feed before any item; FA_ENOMEM.
 * Errors are sticky: once a call returned one, every later push/finish
 * returns the same code and the callback is not called again (items
 * delivered before stay delivered).  After max_items items the rest of the
 * body is ignored (0 is returned).  The callback must not call
 * feed_parser_* on the same parser. */
int feed_parser_push(feed_parser *p, const void *data, size_t len);

/* Signals the end of input.  Returns the number of items delivered (>= 0),
 * or FA_EPARSE when nothing usable was found: not XML, or XML that is no
 * known feed (message from feed_parser_error). */
int feed_parser_finish(feed_parser *p);

enum feed_kind feed_parser_kind(const feed_parser *p);
const char *feed_kind_name(enum feed_kind k);

/* A description of the last error ("not XML: ...", "root element <html> is
 * not a feed"); "" when none. */
const char *feed_parser_error(const feed_parser *p);

/* Counts kept while parsing (for the crawler's logs and metrics). */
typedef struct feed_parser_stats {
    unsigned items;      /* delivered to the callback */
    unsigned duplicates; /* same id as an earlier item of this feed: not delivered */
    unsigned too_big;    /* over max_item_bytes: skipped */
    unsigned xml_errors; /* errors libxml2 reported (and recovered from, mostly) */
} feed_parser_stats;

/* Copies the counts so far into *out.  p may be NULL (all zero). */
void feed_parser_get_stats(const feed_parser *p, feed_parser_stats *out);

/* Releases everything.  Accepts NULL.  Not to be called from the callback. */
void feed_parser_free(feed_parser *p);

#endif
