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
 * restrictions; 5xx - everything disallowed, for the run or, for a service,
 * until robots_gate_set_unavailable_hold's time is up (then fetched again;
 * never cached).  A robots.txt that got no HTTP answer at all (refused, DNS,
 * TLS, timeout, reset: robots_gate_fail) is no robots decision: the host's
 * jobs get ROBOTS_GATE_UNREACHABLE with the cause, until the retry time the
 * owner gives, and the next job after it fetches robots.txt again.
 *
 * Threads: loop thread only.  Knows nothing of HTTP transfers.  Reads the
 * cache from the state on the loop thread; writes it through the crawl's
 * state writer when one is set (robots_gate_set_writer).
 */
#ifndef ROBOTS_GATE_H
#define ROBOTS_GATE_H

#include "crawler/robots/robots_rules.h"
#include "storage/state/crawl_state.h"

#include <stdint.h>

typedef struct robots_gate robots_gate;
typedef struct state_batch state_batch;

/* A parked job: embed one in the owner's job. */
typedef struct robots_gate_wait {
    struct robots_gate_wait *next;
} robots_gate_wait;

enum robots_gate_answer {
    ROBOTS_GATE_ALLOW = 0,    /* go ahead */
    ROBOTS_GATE_DISALLOW = 1, /* verdict says why */
    ROBOTS_GATE_PARKED = 2,   /* waits for robots.txt; released by resolve */
    ROBOTS_GATE_FETCH = 3,    /* parked, and the owner must fetch robots.txt now */
    ROBOTS_GATE_UNREACHABLE = 4 /* robots.txt got no answer: robots_gate_failure says why */
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

/* The robots.txt fetch for host_key got no HTTP answer; cause (copied; NULL
 * accepted) says why.  Until retry_ms from now (0: for good) the host's
 * checks answer ROBOTS_GATE_UNREACHABLE; the first check after that
 * answers FETCH.  Returns the parked jobs, as robots_gate_resolve does. */
robots_gate_wait *robots_gate_fail(robots_gate *g, const char *host_key, const char *cause,
                                   uint64_t retry_ms);

/* Why host_key's robots.txt got no answer (owned by the gate, valid until
 * the next call into it), or NULL when it is not unreachable. */
const char *robots_gate_failure(robots_gate *g, const char *host_key);

/* (cluster) Another node fetches host_key's robots.txt for the cluster: has
 * it reached the shared cache?  1: yes - the host's rules are known now
 * (as by robots_gate_resolve), *released gets the parked jobs and
 * *crawl_delay_ms the host's Crawl-delay; 0: not yet (nothing changes; the
 * host stays waiting for a fetch). */
int robots_gate_from_cache(robots_gate *g, const char *host_key, robots_gate_wait **released,
                           uint64_t *crawl_delay_ms);

/* Caches fetched robots.txt through b (borrowed; NULL: straight into the
 * state, one commit each), so that no commit runs on the loop thread. */
void robots_gate_set_writer(robots_gate *g, state_batch *b);

/* How long a 5xx robots.txt holds the host disallowed before it is asked
 * for again; 0 (the default) = for the life of the gate (a `once` run). */
void robots_gate_set_unavailable_hold(robots_gate *g, uint64_t ms);

/* The Crawl-delay of rules robots_gate_check read from the state's cache
 * (no fetch, so no robots_gate_resolve to report it), once: the first call
 * after the read returns it, later ones 0.  0 too for a fetched robots.txt
 * (resolve reported it) or none. */
uint64_t robots_gate_take_cached_delay(robots_gate *g, const char *host_key);

/* Crawl-delay of a host whose rules are known (0 if none or unknown). */
uint64_t robots_gate_crawl_delay(robots_gate *g, const char *host_key);

void robots_gate_free(robots_gate *g);

#endif
