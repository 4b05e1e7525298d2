/*
 * robots_gate.h - nothing is fetched from a host before its robots.txt, and
 * nothing its robots.txt disallows.
 *
 * Per host key (scheme://host:port) the gate holds the parsed rules and the
 * jobs that arrived before them.  The first job for an unknown host asks
 * the owner to fetch /robots.txt (robots_gate_check returns
 * ROBOTS_GATE_FETCH once; later ones get ROBOTS_GATE_PARKED) and the owner
 * hands the outcome back with robots_gate_resolve, which returns the parked
 * jobs to release (each checked again by the owner).
 *
 * Rules come from the durable state's robots cache while fresh (24 h by
 * default); a fetched robots.txt goes into it.  Outcomes, per RFC 9309
 * §2.3.1: 2xx - the body's rules; 4xx (and too many redirects) - no
 * restrictions; 5xx or unreachable - everything disallowed for the rest of
 * this run (not cached: the next run retries).
 *
 * Threads: loop thread only.  Knows nothing of HTTP transfers.
 */
#ifndef ROBOTS_GATE_H
#define ROBOTS_GATE_H

#include "robots/robots_rules.h"
#include "state/crawl_state.h"

#include <stdint.h>

typedef struct robots_gate robots_gate;

/* A parked job: embed one in the owner's job. */
typedef struct robots_gate_wait {
    struct robots_gate_wait *next;
} robots_gate_wait;

enum robots_gate_answer {
    ROBOTS_GATE_ALLOW = 0,    /* go ahead */
    ROBOTS_GATE_DISALLOW = 1, /* verdict says why */
    ROBOTS_GATE_PARKED = 2,   /* waits for robots.txt; released by resolve */
    ROBOTS_GATE_FETCH = 3     /* parked, and the owner must fetch robots.txt now */
};

/* product_token: matched against user-agent lines ("feedarc"). st is
 * borrowed (may be NULL: no cache).  ttl_ms: cache lifetime (0 = 24 h). */
int robots_gate_new(crawl_state *st, const char *product_token, uint64_t ttl_ms,
                    robots_gate **out);

/* Decides for url on host_key.  When the answer is PARKED or FETCH, w is
 * linked into the host's wait list (w must live until released). */
enum robots_gate_answer robots_gate_check(robots_gate *g, const char *host_key, const char *url,
                                          robots_gate_wait *w, robots_verdict *verdict);

/* Hands over the outcome of the robots.txt fetch for host_key: status is
 * the final HTTP status (0 when the host was unreachable), body the payload
 * of a 2xx.  Returns the parked jobs (to be checked again), in arrival
 * order.  Also returns the host's Crawl-delay in *crawl_delay_ms. */
robots_gate_wait *robots_gate_resolve(robots_gate *g, const char *host_key, int status,
                                      const char *body, size_t len, uint64_t *crawl_delay_ms);

/* Crawl-delay of a host whose rules are known (0 if none or unknown). */
uint64_t robots_gate_crawl_delay(robots_gate *g, const char *host_key);

void robots_gate_free(robots_gate *g);

#endif
