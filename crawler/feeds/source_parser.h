/*
 * source_parser.h - one entry point for every response a source gives:
 * RSS/RDF/Atom feeds, JSON Feed, WordPress REST post lists, JSON APIs
 * described by pointers, sitemaps (and sitemap indexes, gzip'd or not),
 * OPML lists and HTML pages that link to their feeds.
 *
 * The crawler creates one source_parser per response, tells it the status
 * and headers (source_parser_response), pushes the body chunk by chunk as
 * it arrives and calls source_parser_finish.  Items come out through the
 * feed_item callback as they complete (memory follows the largest item,
 * not the response); links the crawler should fetch next (the next page
 * of a paginated API, feeds found in an HTML page or OPML list, children
 * of a sitemap index) come out through the link callback.  Nothing here
 * does I/O or knows the event loop.
 *
 * What a response is read as is its source's kind (common/fa_source_kind.h:
 * the table's reader).  With FA_SOURCE_AUTO the bytes decide: JSON by its shape, XML by its
 * root element, HTML by its doctype or <html> root (autodiscovery).  A
 * body starting with the gzip magic (1f 8b) is inflated first, with a
 * ceiling on the inflated size.  See docs/FEEDS.md for the details and
 * one config example per source kind.
 *
 * Call sequence (the crawler's, and `feedarc feed`'s):
 *
 *   source_first_url(cfg_url, fmt, json, since, &url)      first request
 *   loop:
 *     p = source_parser_new(&{.url = url, .page = n, ...}, &cb, ud)
 *     if (source_parser_response(p, status, head, head_len) == 1)
 *         for each body chunk: source_parser_push(p, chunk, len)
 *     rc = source_parser_finish(p)   -> cb.link(NEXT_PAGE, next) maybe
 *     source_parser_free(p)
 *     fetch next (if reported and n < max_pages), n++
 *
 * When the response is not parsed (source_parser_response returned 0) the
 * parser is simply freed; finish is not needed.
 */
#ifndef SOURCE_PARSER_H
#define SOURCE_PARSER_H

#include "common/fa_charset.h"
#include "common/fa_source_kind.h"
#include "crawler/feeds/feed_parser.h"

#include <stddef.h>
#include <stdint.h>

enum source_link_kind {
    SOURCE_LINK_NEXT_PAGE, /* the next page of this paginated source */
    SOURCE_LINK_FEED,      /* an autodiscovered feed, or an OPML outline */
    SOURCE_LINK_SITEMAP    /* a child of a sitemap index */
};

enum json_paginate {
    JSON_PAGINATE_NONE = 0,
    JSON_PAGINATE_PAGE,        /* ?<page_param>=N+1 while pages bring items */
    JSON_PAGINATE_NEXT_URL,    /* the URL at <next_url> in the body */
    JSON_PAGINATE_LINK_HEADER, /* Link: <...>; rel="next" */
    JSON_PAGINATE_CURSOR       /* ?<cursor_param>=<value at cursor> */
};

/* Where things are in a JSON API's responses: JSON Pointers (RFC 6901),
 * NULL = absent.  items is from the document root (the array of items);
 * the fields are relative to one element; next_url and cursor are from
 * the root.  The struct and its strings are borrowed: they must outlive
 * the parser. */
typedef struct source_json_mapping {
    const char *items, *id, *url, *title, *date, *updated, *content, *summary, *author;
    enum json_paginate paginate;
    const char *page_param;   /* NULL = "page" */
    const char *next_url;     /* pointer to the next page's URL */
    const char *cursor_param; /* NULL = "cursor" */
    const char *cursor;       /* pointer to the cursor value */
    unsigned max_pages;       /* 0 = SOURCE_DEFAULT_MAX_PAGES */
} source_json_mapping;

#define SOURCE_DEFAULT_MAX_PAGES 100u
#define SOURCE_WP_PER_PAGE 100u
/* Inflated size of a gzip'd body, when options.max_inflated_bytes is 0. */
#define SOURCE_DEFAULT_MAX_INFLATED ((uint64_t)256 << 20)

typedef struct source_parser_options {
    const char *url; /* this response's URL (after redirects): base for links and pages */
    enum fa_source_kind format;
    const source_json_mapping *json; /* FA_SOURCE_JSON: required; else ignored */
    unsigned page;               /* 1-based number of this request in a paginated walk (0 = 1) */
    unsigned max_pages;          /* no next page is reported from page max_pages on; 0 = the
                                    mapping's, else SOURCE_DEFAULT_MAX_PAGES */
    feed_parser_limits limits;   /* per item and per response; zeros = defaults */
    uint64_t max_inflated_bytes; /* gunzip ceiling; 0 = SOURCE_DEFAULT_MAX_INFLATED */
} source_parser_options;

typedef struct source_parser_callbacks {
    feed_item_cb item; /* may be NULL */
    /* A URL to fetch (absolute when the base allowed), with a title ("" if
     * none: OPML outlines and autodiscovered links have one).  Strings are
     * valid during the call.  Return 0, or a negative code to stop (it is
     * returned by push/finish).  May be NULL. */
    int (*link)(void *ud, enum source_link_kind kind, const char *url, const char *title);
} source_parser_callbacks;

typedef struct source_parser source_parser;

/* Creates a parser for one response.  o and cb are copied (o->url too);
 * o->json is borrowed.  Returns NULL on allocation failure or when o is
 * unusable (NULL, FA_SOURCE_JSON without a mapping with items). */
source_parser *source_parser_new(const source_parser_options *o, const source_parser_callbacks *cb,
                                 void *ud);

/* Given the response status and raw head (status line and headers, as
 * received; may be NULL) before any body: returns 1 if the body should be
 * parsed (2xx; or, for WordPress, 400 - possibly
 * rest_post_invalid_page_number past the last page, which finish then
 * treats as a clean end), 0 if not.  Reads Content-Type (its charset is
 * the declaration the charset stage weighs), X-WP-TotalPages, X-WP-Total
 * and Link: rel="next".  Optional: a parser never told is as after a 200
 * with no headers. */
int source_parser_response(source_parser *p, long status, const char *head, size_t head_len);

/* Feeds the next len bytes of the body (after Content-Encoding and chunked
 * decoding).  Returns 0, or a negative code (sticky; message from
 * source_parser_error): FA_EPARSE not a usable document, FA_ETOOBIG a
 * ceiling, FA_ENOMEM, or a callback's code.  Items delivered before an
 * error stay delivered. */
int source_parser_push(source_parser *p, const void *data, size_t len);

/* Ends the body.  Returns the number of items delivered (>= 0), or a
 * negative code (message via source_parser_error).  On success it has
 * already reported the next page (if any) through cb->link, and for an
 * HTML page the feeds it links to (0 items; FA_EPARSE "HTML page with no
 * feed link" when there is none).  WordPress's 400
 * rest_post_invalid_page_number returns 0 with no error and no next page;
 * any other WordPress error body returns FA_EFETCH with its code and
 * message.  Calling it twice returns the same result. */
int source_parser_finish(source_parser *p);

/* What the body turned out to be: "rss", "rdf", "atom", "jsonfeed",
 * "wordpress", "json", "sitemap", "sitemapindex", "opml", "html", or
 * "unknown" before it is known.  Never NULL; a static string (it outlives
 * the parser). */
const char *source_parser_kind_name(const source_parser *p);

/* The body's encoding and how it was decided (common/fa_charset.h),
 * once decided (at the latest by source_parser_finish), else NULL.  Valid
 * until the parser is freed. */
const fa_charset_decision *source_parser_charset(const source_parser *p);

/* "" or the last error's message.  Never NULL. */
const char *source_parser_error(const source_parser *p);

/* Counts of the items seen (delivered, duplicates, too big, XML errors
 * recovered).  p may be NULL (all zero). */
void source_parser_get_stats(const source_parser *p, feed_parser_stats *out);

/* Releases everything.  Accepts NULL.  Not from inside a callback. */
void source_parser_free(source_parser *p);

/* The fields a WordPress source asks for (the author's name is in
 * _embedded, which WordPress fills only when _links is asked for too). */
#define SOURCE_WP_FIELDS "id,link,title,content,date_gmt,modified_gmt,author,_links,_embedded"

/* The first URL to request for a source, malloc'd into *out:
 *  - wordpress: the site's posts endpoint,
 *    <site>/wp-json/wp/v2/posts?per_page=100&page=1&orderby=modified&order=asc
 *    &_fields=id,link,title,content,date_gmt,modified_gmt,author,_links,_embedded
 *    &_embed=author (the author's name, embedded)
 *    plus &modified_after=<since> when since_rfc3339 is not NULL; when
 *    config_url already is a /wp-json/ URL, only the parameters it lacks
 *    are added;
 *  - json with JSON_PAGINATE_PAGE: config_url with <page_param>=1;
 *  - otherwise config_url itself.
 * Returns 0, FA_EINVAL (NULL arguments) or FA_ENOMEM. */
int source_first_url(const char *config_url, enum fa_source_kind f, const source_json_mapping *json,
                     const char *since_rfc3339, char **out);

/* url with query parameter name set to value (replaced if present, else
 * appended; value percent-encoded; any fragment dropped), malloc'd into
 * *out.  Returns 0, FA_EINVAL or FA_ENOMEM. */
int source_url_with_param(const char *url, const char *name, const char *value, char **out);

#endif
