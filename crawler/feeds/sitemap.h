/*
 * sitemap.h - streaming sitemaps (sitemaps.org 0.9): a <urlset> gives one
 * item per <url>, a <sitemapindex> one link per child <sitemap>.
 *
 * An item's id and link are <loc> (resolved against the sitemap's URL),
 * its updated date <lastmod>; a Google News sitemap adds the published
 * date (<news:publication_date>) and the title (<news:title>).  Image and
 * video extensions are ignored.  Items are delivered through the same
 * feed_item callback as feeds (summary, content, author empty; no
 * enclosures); duplicates (same loc) are skipped.  Gzip is not handled
 * here: source_parser inflates before this parser sees the bytes.
 */
#ifndef SITEMAP_H
#define SITEMAP_H

#include "crawler/feeds/feed_parser.h"

#include <stddef.h>

typedef struct sitemap_parser sitemap_parser;

/* Called for each <sitemap><loc> of an index: url is absolute when the
 * base allows, NUL-terminated, valid during the call.  Return 0 or a
 * negative code to stop. */
typedef int (*sitemap_child_cb)(void *ud, const char *url);

/* Creates a parser.  base_url may be NULL; limits may be NULL (max_items
 * also caps child links; max_item_bytes caps one element's text).  Either
 * callback may be NULL.  Returns NULL on allocation failure. */
sitemap_parser *sitemap_parser_new(const char *base_url, const feed_parser_limits *limits,
                                   feed_item_cb item, sitemap_child_cb child, void *ud);

/* Content-Type's charset, used when the body declares no encoding.  Call
 * before the first push.  Returns 0 or FA_ENOMEM. */
int sitemap_parser_set_default_encoding(sitemap_parser *p, const char *charset);

/* The body is UTF-8 already (common/fa_charset): declarations ignored.
 * Call before the first push. */
void sitemap_parser_set_utf8_input(sitemap_parser *p);

/* Feeds bytes.  Returns 0 or a sticky negative code: FA_EPARSE (not XML,
 * or a root that is neither urlset nor sitemapindex), FA_ETOOBIG,
 * FA_ENOMEM, or a callback's code. */
int sitemap_parser_push(sitemap_parser *p, const void *data, size_t len);

/* Ends the input.  Returns the number of items plus child links
 * delivered, or the sticky negative code. */
int sitemap_parser_finish(sitemap_parser *p);

/* 1 for a sitemap index, 0 for a urlset (or not yet known). */
int sitemap_parser_is_index(const sitemap_parser *p);

/* "" or the last error's message. */
const char *sitemap_parser_error(const sitemap_parser *p);

/* Accepts NULL. */
void sitemap_parser_free(sitemap_parser *p);

#endif
