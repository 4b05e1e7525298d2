/*
 * fa_spool.h - where a response body goes while it arrives.
 *
 * Bytes are kept in memory up to mem_limit; past that the spool moves to an
 * unlinked temporary file in tmp_dir, so a large download costs disk, not
 * RAM, and memory stays flat however big bodies get.  max_total is the hard
 * ceiling (the configured max body size): writing past it fails with
 * FA_ETOOBIG.
 *
 * Single-threaded use; a spool may be handed from one thread to another.
 */
#ifndef FA_SPOOL_H
#define FA_SPOOL_H

#include "common/fa_buf.h"

#include <stdint.h>
#include <stddef.h>

typedef struct fa_spool {
    fa_buf mem;        /* the bytes while in memory */
    int fd;            /* -1 while in memory */
    uint64_t size;     /* bytes written in all */
    size_t mem_limit;
    uint64_t max_total;
    const char *tmp_dir; /* borrowed; must outlive the spool */
} fa_spool;

void fa_spool_init(fa_spool *s, size_t mem_limit, uint64_t max_total, const char *tmp_dir);

/* Appends. Returns 0, FA_ETOOBIG past max_total, FA_EIO/FA_ENOSPC, FA_ENOMEM. */
int fa_spool_write(fa_spool *s, const void *data, size_t len);

/* The body's length is announced (Content-Length): while in memory, room
 * for len bytes is made at once when they would stay in memory, so that a
 * large body is not moved by every doubling of its buffer as it arrives
 * (each move copies it and faults in fresh pages).  A hint: a body longer
 * or shorter than announced is spooled all the same, a length past
 * mem_limit reserves nothing, and a failed allocation is ignored. */
void fa_spool_expect(fa_spool *s, uint64_t len);

/* Calls fn over the content in order, in chunks; stops at fn's first
 * negative return and returns it.  Returns 0 or a negative code. */
int fa_spool_foreach(const fa_spool *s, int (*fn)(void *ud, const void *chunk, size_t len),
                     void *ud);

/* The content when it is in memory (NULL once spilled to a file). */
static inline const char *fa_spool_memory(const fa_spool *s)
{
    return s->fd < 0 ? (s->mem.data ? s->mem.data : "") : NULL;
}

void fa_spool_reset(fa_spool *s);
void fa_spool_free(fa_spool *s);

#endif
