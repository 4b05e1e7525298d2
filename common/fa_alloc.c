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
#ifdef __SANITIZE_ADDRESS__
    return "AddressSanitizer's"; /* it replaces malloc in every build it instruments */
#endif
    if (!fa_alloc_is_jemalloc()) return "glibc";
    if (mallctl("version", &v, &len, NULL, 0) != 0 || v == NULL) return "jemalloc";
    snprintf(name, sizeof name, "jemalloc %.80s", v);
    return name;
}

/* glibc's malloc (tests, a sanitizer build, a build without jemalloc)
 * gives each thread that meets a locked arena an arena of its own,
 * up to 8 per core, and an arena keeps the pages of what was freed in it.
 * The crawl's workers take turns on pages of every size (a 100 KB page's
 * tree, its decoded text, compression buffers), so each arena ends up
 * holding its own high-water mark.  On ~100 KB pages (the news web, 2
 * cores) peak RSS was 103-106 MiB with the default, 90-92 with two arenas
 * per core and 82-84 with one; one per core had the workers wait for an
 * arena's lock 3-4 times as long as the default (sched_switch stacks), two
 * per core twice as long.  Two per core it is (docs/BENCHMARKS.md);
 * MALLOC_ARENA_MAX or GLIBC_TUNABLES in the environment still decide. */
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

int fa_alloc_own_arena(void)
{
    static _Thread_local int mine = -1, tried;
    if (tried || !fa_alloc_is_jemalloc()) return mine;
    tried = 1; /* once per thread, whatever happens: no arena made per call */
    unsigned ind;
    size_t len = sizeof ind;
    if (mallctl("arenas.create", &ind, &len, NULL, 0) != 0) return -1;
    if (mallctl("thread.arena", NULL, NULL, &ind, sizeof ind) != 0) return -1;
    mine = (int)ind;
    return mine;
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
