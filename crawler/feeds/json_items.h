/*
 * json_items.h - internal to crawler/feeds/ (used by source_parser.c): the items
 * of a JSON document, streamed.
 *
 * One engine serves JSON Feed 1.x, WordPress REST post lists and any JSON
 * API described by JSON Pointers (RFC 6901).  The document is parsed with
 * yajl's callback API chunk by chunk; only the elements of the item array
 * are built, one at a time, as a small tree in an arena that is reset
 * after each item, so memory follows the largest item.  Scalars elsewhere
 * in the document are skipped unless "watched" (next_url, cursor, the
 * WordPress error code), in which case their text is kept.
 */
#ifndef JSON_ITEMS_H
#define JSON_ITEMS_H

#include "crawler/feeds/feed_parser.h"

#include <stddef.h>

enum json_flavor {
    JSON_FLAVOR_AUTO = 0,  /* root array: WordPress; root object: JSON Feed */
    JSON_FLAVOR_JSONFEED,  /* items at /items */
    JSON_FLAVOR_WORDPRESS, /* the root array */
    JSON_FLAVOR_MAPPED     /* items and fields by pointers */
};

/* Field pointers, relative to an item, for JSON_FLAVOR_MAPPED; NULL =
 * absent.  "" is the item itself. */
typedef struct json_items_fields {
    const char *id, *url, *title, *date, *updated, *content, *summary, *author;
} json_items_fields;

typedef struct json_items json_items;

/* Creates a parser.  items_ptr and fields are used (and copied) for
 * JSON_FLAVOR_MAPPED only.  base_url resolves links (may be NULL; with
 * "/wp-json/" in it, it also gives WordPress post ids their site).
 * Returns NULL on allocation failure or an invalid pointer. */
json_items *json_items_new(enum json_flavor flavor, const char *items_ptr,
                           const json_items_fields *fields, const char *base_url,
                           const feed_parser_limits *limits, feed_item_cb cb, void *ud);

/* Asks for the text of the scalar at pointer (from the document root,
 * outside the items) to be kept.  Returns its slot (>= 0), FA_EINVAL
 * (bad pointer) or FA_ETOOBIG (more than 8 watches). */
int json_items_watch(json_items *j, const char *pointer);

/* The watched scalar's text (numbers as written, true/false, null as ""),
 * or NULL when the document had none there (or its value was not a
 * scalar). */
const char *json_items_watched(const json_items *j, int slot);

/* Feeds bytes.  Returns 0 or a sticky negative code: FA_EPARSE (JSON
 * syntax), FA_ETOOBIG (nesting past max_depth, a token longer than
 * max_item_bytes), FA_ENOMEM, or the callback's.  After max_items items
 * the rest is ignored.  Ill-formed UTF-8 and NUL in strings and keys are
 * no error: each such byte becomes U+FFFD in what the callback sees. */
int json_items_push(json_items *j, const void *data, size_t len);

/* Ends the input.  Returns the number of items delivered, or a negative
 * code: also FA_EPARSE when the item array was never found (or was not an
 * array), or when AUTO took the root for a WordPress list or a JSON Feed
 * and its first item (or the version) says otherwise. */
int json_items_finish(json_items *j);

/* The flavor in use (AUTO until the root was seen). */
enum json_flavor json_items_flavor(const json_items *j);

/* 1 once the item array was seen. */
int json_items_found(const json_items *j);

/* "" or the error's message. */
const char *json_items_error(const json_items *j);

/* Counts: items delivered, duplicates, too big. */
void json_items_get_stats(const json_items *j, feed_parser_stats *out);

/* Accepts NULL. */
void json_items_free(json_items *j);

/* 1 if s is a JSON Pointer ("" or starting with '/', with every '~'
 * followed by '0' or '1'), else 0. */
int json_pointer_valid(const char *s);

#endif
