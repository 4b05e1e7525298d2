/*
 * cluster_host_gate.h - per-host politeness for a cluster as a whole:
 * "may this node start a request to host H now?", answered by
 * Redis atomically for all nodes.
 *
 * Keys (host = the crawler's host key "scheme://host:port"):
 *
 *   P host:<host>         hash  next: the time (Redis's clock, ms since the
 *                               epoch) before which no request to the host
 *                               may start, cluster-wide
 *   P host:<host>:slots   zset  the requests in flight to the host: member
 *                               "<node>:<n>", score = when the slot expires
 *                               (a node that dies mid-request holds its slot
 *                               until then, no longer)
 *
 * acquire runs one Lua script: drop expired slots; if the host's next time
 * is ahead, refuse with the wait; if the slots are at the cap, refuse (at
 * the cap; the wait is when the oldest slot would expire at the latest - a
 * release usually comes sooner, so poll or retry on a local release);
 * otherwise add a slot and push next to now + min_delay (the minimum delay
 * between two request starts to the host, Crawl-delay included - the
 * caller passes the larger).  release removes the slot and pushes next to
 * now + after_ms when that is later: the adaptive delay after a response,
 * a Retry-After, a backoff after errors - whichever the crawler computed as
 * the largest.  defer does the same without a slot (e.g. a backoff learned
 * elsewhere).  All times are Redis's clock, so the nodes' clocks need not
 * agree; idle hosts' keys expire an hour after their next time.
 *
 * Asynchronous on the crawl's loop like cluster_lease.h: a call returns 0
 * (the callback comes later, exactly once) or FA_EIO when the connection is
 * not ready (start nothing new on that host: politeness cannot be checked).
 */
#ifndef CLUSTER_HOST_GATE_H
#define CLUSTER_HOST_GATE_H

#include "common/fa_redis.h"

#include <stddef.h>
#include <stdint.h>

#define CLUSTER_HOST_SLOT_MAX 96 /* a slot id, NUL included */

typedef struct cluster_host_gate cluster_host_gate;

/* granted 1: slot (valid during the call; copy it) is this request's, to
 * pass to release.  granted 0: wait_ms until the host's next time, or, with
 * at_cap 1, until the oldest slot expires at the latest.  granted < 0: a
 * negative code, err says why (no reply, Redis refused). server_ms is
 * Redis's clock at the decision (0 on error), for tests and logs. */
typedef void (*cluster_host_acquire_cb)(void *ud, int granted, const char *slot, int64_t wait_ms,
                                        int at_cap, int64_t server_ms, const char *err);

/* next_ms: the host's next allowed start, relative to now (0 = now); or a
 * negative code with err. */
typedef void (*cluster_host_release_cb)(void *ud, int64_t next_ms, const char *err);

/* A gate for node on r (borrowed; it must outlive g).  prefix NULL =
 * CRAWL_STATE_REDIS_PREFIX; slot_ttl_ms: how long a slot may live (the
 * longest a request may take: http.timeout plus a margin).  Returns 0,
 * FA_EINVAL or FA_ENOMEM. */
int cluster_host_gate_open(fa_redis *r, const char *prefix, const char *node, uint64_t slot_ttl_ms,
                           cluster_host_gate **out);

/* Frees g; callbacks still to come are still called.  NULL is accepted. */
void cluster_host_gate_free(cluster_host_gate *g);

/* May this node start a request to host now?  cap: requests in flight to
 * the host, cluster-wide (>= 1); min_delay_ms: between two starts. */
int cluster_host_gate_acquire(cluster_host_gate *g, const char *host, unsigned cap,
                              uint64_t min_delay_ms, cluster_host_acquire_cb cb, void *ud);

/* The request of slot ended; no new request to host starts before now +
 * after_ms (if that is later than what is set).  cb may be NULL. */
int cluster_host_gate_release(cluster_host_gate *g, const char *host, const char *slot,
                              uint64_t after_ms, cluster_host_release_cb cb, void *ud);

/* No request to host before now + after_ms (if later than what is set). */
int cluster_host_gate_defer(cluster_host_gate *g, const char *host, uint64_t after_ms,
                            cluster_host_release_cb cb, void *ud);

#endif
