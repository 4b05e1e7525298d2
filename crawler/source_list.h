/*
 * source_list.h - from the config's sources to what the crawler fetches:
 * OPML entries expanded into the feeds they list, and a source's JSON
 * mapping in the form crawler/feeds/source_parser wants (a source's type
 * needs no translation: both read common/fa_source_kind.h).
 *
 * The config layer knows nothing of crawler/feeds/ and the parsers nothing of the
 * config; this is where the two meet.
 */
#ifndef SOURCE_LIST_H
#define SOURCE_LIST_H

#include "config/config.h"
#include "crawler/feeds/source_parser.h"
#include "storage/state/crawl_state.h"

/* Replaces every "- opml: FILE" entry of cfg->sources by the feeds the
 * file lists (outlines with an xmlUrl, nested folders included), in order,
 * each with the entry's type, fetch_pages, interval, max_items and headers;
 * named by the outline's title (else config_source_default_name; names
 * stay unique, see source_list.c).  A URL already among
 * the sources (or listed twice) is added once; a URL that is not http(s)
 * is an error.  On failure nothing is changed, and *errors (may be NULL)
 * receives a malloc'd text, one "file:line: what" per line (the caller
 * frees it; NULL on success).  Returns the number of feeds added (>= 0),
 * FA_EINVAL (bad outlines), FA_ENOENT/FA_EIO (a file cannot be read),
 * FA_EPARSE (not OPML), FA_ETOOBIG (more than CONFIG_MAX_SOURCES sources)
 * or FA_ENOMEM. */
int source_list_expand_opml(config *cfg, char **errors);

/* Before names were unique a source without name: was named
 * by its URL's host alone, so its records in st (the source record and
 * "wordpress_since:<name>") sit under the host.  For each source whose
 * default name is now longer, whose host no other source of cfg shares
 * (a shared record mixed several sources: it is dropped, not guessed at)
 * and whose new name has no record yet, the old records are copied to the
 * new name, in one transaction.  Returns the number of sources moved, or a
 * negative code. */
int source_list_migrate_state(const config *cfg, crawl_state *st);

/* Fills *out from s->json (borrowing its strings: valid while the config
 * lives); returns out, or NULL when s has no mapping. */
const source_json_mapping *source_list_json_mapping(const config_source *s,
                                                    source_json_mapping *out);

#endif
