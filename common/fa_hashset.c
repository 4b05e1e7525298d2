/* fa_hashset.c - open-addressing set of 64-bit keys; see fa_hashset.h. */
#include "common/fa_hashset.h"
#include "common/fa_err.h"

#include <stdlib.h>

void fa_hashset_init(fa_hashset *s)
{
    s->slots = NULL;
    s->cap = 0;
    s->count = 0;
}

static uint64_t fix(uint64_t k)
{
    return k ? k : 1;
}

/* The slot a key's probe run starts at. */
static size_t home(uint64_t key, size_t cap)
{
    return (size_t)(key * 0x9E3779B97F4A7C15ULL >> 7) & (cap - 1);
}

static int insert(uint64_t *slots, size_t cap, uint64_t key)
{
    size_t i = home(key, cap);
    for (;;) {
        if (slots[i] == key) return 0;
        if (slots[i] == 0) {
            slots[i] = key;
            return 1;
        }
        i = (i + 1) & (cap - 1);
    }
}

int fa_hashset_add(fa_hashset *s, uint64_t key)
{
    key = fix(key);
    if ((s->count + 1) * 4 > s->cap * 3) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        uint64_t *n = calloc(ncap, sizeof *n);
        if (n == NULL) return FA_ENOMEM;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i]) insert(n, ncap, s->slots[i]);
        free(s->slots);
        s->slots = n;
        s->cap = ncap;
    }
    int added = insert(s->slots, s->cap, key);
    s->count += (size_t)added;
    return added;
}

int fa_hashset_has(const fa_hashset *s, uint64_t key)
{
    if (s->cap == 0) return 0;
    key = fix(key);
    size_t i = home(key, s->cap);
    while (s->slots[i]) {
        if (s->slots[i] == key) return 1;
        i = (i + 1) & (s->cap - 1);
    }
    return 0;
}

int fa_hashset_remove(fa_hashset *s, uint64_t key)
{
    if (s->cap == 0) return 0;
    key = fix(key);
    size_t mask = s->cap - 1, hole = home(key, s->cap);
    while (s->slots[hole] != key) {
        if (s->slots[hole] == 0) return 0;
        hole = (hole + 1) & mask;
    }
    /* Backward shift: a later entry of the run moves into the hole unless
     * its home lies cyclically in (hole, j] - there it must stay, or a
     * look-up starting at its home would stop at the hole. */
    for (size_t j = (hole + 1) & mask; s->slots[j]; j = (j + 1) & mask) {
        size_t h = home(s->slots[j], s->cap);
        int stays = hole < j ? (h > hole && h <= j) : (h > hole || h <= j);
        if (!stays) {
            s->slots[hole] = s->slots[j];
            hole = j;
        }
    }
    s->slots[hole] = 0;
    s->count--;
    return 1;
}

void fa_hashset_free(fa_hashset *s)
{
    free(s->slots);
    fa_hashset_init(s);
}
