/*
 * fa_container.h - from a member back to the struct that holds it.
 *
 * libuv handles, host-queue entries, robots-gate waits and backend handles
 * (crawl_state, dedup_index) live inside the structs that own them; a
 * callback or an op is handed the member and gets the owner back with
 * FA_CONTAINER_OF, wherever in the struct the member sits.
 */
#ifndef FA_CONTAINER_H
#define FA_CONTAINER_H

#include <stddef.h>

/* The type * whose member is at ptr.  ptr must point into a type. */
/* clang-format off */
#define FA_CONTAINER_OF(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))
/* clang-format on */

#endif
