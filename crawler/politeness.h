/*
 * politeness.h - how long a host waits after trouble, and whether a URL is
 * tried again.
 *
 * host_queue.h enforces the waits (a host's deferral, its delay between
 * requests); this decides them.  Transient trouble - a timeout, a refused
 * or reset connection, 429, 500, 502, 503, 504 - makes the whole host wait:
 * the server's Retry-After when it gives one (429 and 503), else an
 * exponential backoff from a base, doubled per consecutive error of the
 * host (at most 2^16 times), with jitter in [0.5, 1.5), up to a ceiling.
 * Anything else (404, a TLS error, ...) is not tried again.
 *
 * Threads: any; a politeness_rng is used by one thread at a time (the
 * crawl's loop thread).
 */
#ifndef POLITENESS_H
#define POLITENESS_H

#include "crawler/fetcher.h"

#include <stdint.h>

/* xorshift state for jitter; any value but 0. */
typedef struct politeness_rng {
    uint64_t s;
} politeness_rng;

/* A factor in [0.5, 1.5), from *rng (advanced). */
double politeness_jitter(politeness_rng *rng);

/* 1 when the ended transfer t failed for a transient reason (worth trying
 * the host again later), 0 otherwise. */
int politeness_is_transient(const fetch_transfer *t);

/* t's Retry-After (seconds or an HTTP date) in ms from now, or -1 when it
 * has none or one that cannot be read. */
int64_t politeness_retry_after_ms(const fetch_transfer *t);

/* The backoff after the host's errors-th consecutive transient error
 * (errors >= 1): base_ms * 2^(errors-1) * jitter, at most max_ms. */
uint64_t politeness_backoff_ms(politeness_rng *rng, uint64_t base_ms, uint64_t max_ms,
                               unsigned errors);

#endif
