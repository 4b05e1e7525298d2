/*
 * feed_discover.h - feed autodiscovery in an HTML page: the
 * <link rel="alternate" type="application/rss+xml" href="..."> elements
 * (also Atom, JSON Feed and application/json) that point at a site's feeds.
 *
 * The page is parsed as it arrives with libxml2's HTML push parser, which
 * copes with tag soup the way browsers mostly do.  Links are resolved
 * against <base href> or the page URL and de-duplicated.  Which links are
 * kept (see feed_discover_finish): comment feeds ("comments" in the title
 * or URL) and application/json links only when nothing better is there,
 * and application/json links under /wp-json/ (WordPress's pointer to the
 * page's own REST object) never.
 */
#ifndef FEED_DISCOVER_H
#define FEED_DISCOVER_H

#include <stddef.h>

typedef struct feed_discover feed_discover;

/* Creates a discoverer for the page at page_url (may be NULL: links stay
 * as written).  Returns NULL on allocation failure. */
feed_discover *feed_discover_new(const char *page_url);

/* The page is UTF-8 already (common/fa_charset): its meta charset is
 * ignored.  Call before the first push. */
void feed_discover_set_utf8_input(feed_discover *d);

/* Feeds bytes of the page.  Returns 0 or FA_ENOMEM.  Only the first 4 MiB
 * of a page are read; later bytes are ignored (0 is returned). */
int feed_discover_push(feed_discover *d, const void *data, size_t len);

/* Ends the page.  Returns the number of feed links kept (>= 0). */
int feed_discover_finish(feed_discover *d);

/* The i-th kept link (0 <= i < count): URL and title ("" if none), valid
 * until feed_discover_free; NULL past the end. */
const char *feed_discover_url(const feed_discover *d, size_t i, const char **title);

/* Accepts NULL. */
void feed_discover_free(feed_discover *d);

#endif
