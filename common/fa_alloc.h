/*
 * fa_alloc.h - what the process's allocator is, and the few things feedarc
 * asks of it: memory given back after a burst, and its tuning at start.
 *
 * The feedarc executable links jemalloc (cli/CMakeLists.txt): on the bench
 * crawl it took 8-10% less CPU and wall time than glibc's malloc, most of
 * it in malloc/free themselves and in the page faults of memory glibc had
 * given back and took again (docs/BENCHMARKS.md, "Session 20").  Tests,
 * benchmark programs and a sanitizer build keep glibc's.  So the code
 * below the executable does not assume either: it asks at run time
 * whether jemalloc's mallctl is linked (a weak reference) and does what
 * that allocator needs.
 *
 * Threads: fa_alloc_tune and fa_alloc_fixed_thresholds before any thread
 * starts; fa_alloc_give_back from any thread; fa_alloc_name from one
 * thread at a time (it formats into a static buffer).
 */
#ifndef FA_ALLOC_H
#define FA_ALLOC_H

/* "jemalloc 5.3.0-...", "glibc" or "AddressSanitizer's": for --version. */
const char *fa_alloc_name(void);

/* 1 when the process allocates with jemalloc. */
int fa_alloc_is_jemalloc(void);

/* glibc: two arenas per core (cli/main.c explains), unless
 * MALLOC_ARENA_MAX or GLIBC_TUNABLES decide.  jemalloc: nothing (its
 * configuration is the executable's malloc_conf). */
void fa_alloc_tune(void);

/* glibc: fixed mmap/trim thresholds for a long-running process (serve:
 * cmd_serve.c explains).  jemalloc: nothing (its decay returns pages). */
void fa_alloc_fixed_thresholds(void);

/* Gives the free pages the allocator holds back to the kernel now: glibc
 * malloc_trim(0), jemalloc a purge of every arena.  Before a large
 * allocation that should not add to the peak, and after a serve run. */
void fa_alloc_give_back(void);

/* The calling thread (the event loop's) allocates from an arena of its
 * own from now on - jemalloc: one created for it, once per thread; glibc:
 * nothing.  With an arena per core shared by every thread, the loop
 * thread's allocations (a response body's buffer) waited for the arena's
 * mutex while a worker on its arena held it, 1-3 ms at times on the
 * bench (docs/BENCHMARKS.md, "Session 24").  The crawl calls it on its
 * loop thread unless FEEDARC_LOOP_ARENA is "0" (for comparisons).
 * Returns the arena's index, or -1 when nothing was done. */
int fa_alloc_own_arena(void);

#endif
