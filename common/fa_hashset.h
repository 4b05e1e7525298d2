/*
 * fa_hashset.h - a set of 64-bit keys (open addressing, linear probing).
 *
 * Used for "seen" sets keyed by XXH3-64 of a URL: 8 bytes per entry plus
 * slack, so a million URLs cost ~16 MiB.  Key 0 is reserved (remapped to 1
 * by the helpers below, which is harmless for hashes).
 */
#ifndef FA_HASHSET_H
#define FA_HASHSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct fa_hashset {
    uint64_t *slots;
    size_t cap;   /* power of two, or 0 */
    size_t count;
} fa_hashset;

void fa_hashset_init(fa_hashset *s);

/* Adds key.  Returns 1 if it was added, 0 if already present, FA_ENOMEM. */
int fa_hashset_add(fa_hashset *s, uint64_t key);

/* Returns 1 if key is present, else 0. */
int fa_hashset_has(const fa_hashset *s, uint64_t key);

/* Removes key (the entries after it in its probe run move back, so no
 * tombstone is left).  Returns 1 if it was present, else 0. */
int fa_hashset_remove(fa_hashset *s, uint64_t key);

void fa_hashset_free(fa_hashset *s);

#endif
