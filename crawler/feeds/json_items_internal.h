/*
 * json_items_internal.h - json_items.c's inner figures, exposed for its
 * tests only.  Not part of the module's interface.
 */
#ifndef JSON_ITEMS_INTERNAL_H
#define JSON_ITEMS_INTERNAL_H

#include "crawler/feeds/json_items.h"

#include <stddef.h>

/* The most bytes the item arena held at once (its blocks, used or kept for
 * the next item), since j was created.  0 for NULL. */
size_t json_items__arena_peak(const json_items *j);

#endif
