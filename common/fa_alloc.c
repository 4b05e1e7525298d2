/*
 * fa_alloc.c - the process's allocator, found at run time (see fa_alloc.h).
 *
 * mallctl is declared weak: it is non-NULL only in a process that links
 * jemalloc (Debian's libjemalloc2 exports it unprefixed, and replaces
 * malloc/free when linked into the executable).  Nothing here includes
 * jemalloc's header, so fa_common builds and links without it.
 */
#include "common/fa_alloc.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
    __attribute__((weak));

/* jemalloc's MALLCTL_ARENAS_ALL: "arena.<i>.purge" for every arena */
#define JE_ARENAS_ALL "4096"

int fa_alloc_is_jemalloc(void)
{
    return mallctl != NULL;
}

const char *fa_alloc_name(void)
{
    static char name[96];
    const char *v = NULL;
    size_t len = sizeof v;
    if (!fa_alloc_is_jemalloc()) return "glibc";
    if (mallctl("version", &v, &len, NULL, 0) != 0 || v == NULL) return "jemalloc";
    snprintf(name, sizeof name, "jemalloc %.80s", v);
    return name;
}

void fa_alloc_tune(void)
{
#ifdef __GLIBC__
    if (fa_alloc_is_jemalloc()) return;
    const char *t = getenv("GLIBC_TUNABLES");
    if (getenv("MALLOC_ARENA_MAX") || (t && strstr(t, "arena_max"))) return;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    mallopt(M_ARENA_MAX, cores < 1 ? 2 : 2 * (int)cores);
#endif
}

void fa_alloc_fixed_thresholds(void)
{
#ifdef __GLIBC__
    if (fa_alloc_is_jemalloc()) return;
    mallopt(M_MMAP_THRESHOLD, 256 << 10);
    mallopt(M_TRIM_THRESHOLD, 1 << 20);
#endif
}

void fa_alloc_give_back(void)
{
    if (fa_alloc_is_jemalloc()) {
        mallctl("arena." JE_ARENAS_ALL ".purge", NULL, NULL, NULL, 0);
        return;
    }
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}
