/*
 * cluster_lease.h - which node polls which source: leases in
 * Redis, on the crawl's event loop.
 *
 * A node claims a source before polling it; the claim is a Redis key
 *
 *     P lease:<source>   string  the owner's node name, expiring after the
 *                                lease (PX lease_ms)
 *
 * created only if absent (SET NX PX) - or prolonged if this node already
 * holds it (a restarted node with the same name gets its sources back).  A
 * live node renews its leases (every lease/3 is the intended rhythm); a
 * node that dies (kill -9) stops renewing and its sources are free after at
 * most lease_ms, for the others to take over.  Renew and release act only
 * if the key still names this node (a Lua compare-and-pexpire /
 * compare-and-delete), so a node that lost a lease (paused past its expiry)
 * cannot take it back from the node that claimed it since.
 *
 * `once` in a cluster: the nodes of one run agree on a run id and share
 *
 *     P once:<run>:done  set     the sources polled in that run (expires
 *                                7 days after the last addition)
 *
 * claim_once refuses (CLUSTER_LEASE_DONE) a source already in it, in the
 * same atomic step as the claim; a node marks a source done after polling
 * it (and its commit), which also releases the lease.  Each node claims
 * sources until every one is done or held by another, so together they poll
 * each source once.  A node that dies mid-poll leaves the source undone: its
 * lease expires and another node polls it (the at-least-once window).
 *
 * Everything is asynchronous: each call returns at once (0, or FA_EIO when
 * the connection is not ready: the caller should claim nothing new) and its
 * callback comes later, exactly once.  Keys use the same prefix P as the
 * Redis crawl state (CRAWL_STATE_REDIS_PREFIX by default).
 */
#ifndef CLUSTER_LEASE_H
#define CLUSTER_LEASE_H

#include "common/fa_redis.h"

#include <stddef.h>
#include <stdint.h>

#define CLUSTER_LEASE_KEY_MAX 512 /* prefix + run id + source name, bytes */

enum cluster_lease_result {
    CLUSTER_LEASE_OTHER = 0, /* another node holds it (claim), or this node does not (renew,
                                release) */
    CLUSTER_LEASE_HELD = 1,  /* this node holds it now (claim, renew) or released it */
    CLUSTER_LEASE_DONE = 2   /* claim_once: polled already in this run */
};

typedef struct cluster_lease cluster_lease;

/* result: an enum cluster_lease_result, or a negative code with err (the
 * command got no reply, or Redis refused it). */
typedef void (*cluster_lease_cb)(void *ud, int result, const char *err);

/* owners[i] is the node holding sources[i], or NULL when nobody does. */
typedef void (*cluster_lease_owners_cb)(void *ud, size_t n, const char *const *sources,
                                        const char *const *owners, const char *err);

/* A lease holder for node on connection r (borrowed: it must outlive l).
 * prefix NULL = CRAWL_STATE_REDIS_PREFIX; node as config's cluster.node;
 * lease_ms > 0.  Returns 0, FA_EINVAL or FA_ENOMEM. */
int cluster_lease_open(fa_redis *r, const char *prefix, const char *node, uint64_t lease_ms,
                       cluster_lease **out);

/* Frees l.  Callbacks still to come are still called (they do not use l).
 * NULL is accepted. */
void cluster_lease_free(cluster_lease *l);

/* Claims source for this node: CLUSTER_LEASE_HELD (claimed, or already
 * ours: prolonged) or CLUSTER_LEASE_OTHER. */
int cluster_lease_claim(cluster_lease *l, const char *source, cluster_lease_cb cb, void *ud);

/* Prolongs the lease if this node still holds it: HELD, else OTHER (lost:
 * stop polling the source). */
int cluster_lease_renew(cluster_lease *l, const char *source, cluster_lease_cb cb, void *ud);

/* Gives the lease up if this node holds it: HELD (released) or OTHER. */
int cluster_lease_release(cluster_lease *l, const char *source, cluster_lease_cb cb, void *ud);

/* Who holds each of sources[0..n) (n <= 1024).  The arrays passed to cb
 * are valid during the call only. */
int cluster_lease_owners(cluster_lease *l, const char *const *sources, size_t n,
                         cluster_lease_owners_cb cb, void *ud);

/* `once`: as claim, but DONE when run's done set has source. */
int cluster_lease_claim_once(cluster_lease *l, const char *run, const char *source,
                             cluster_lease_cb cb, void *ud);

/* `once`: adds source to run's done set and releases the lease; HELD. */
int cluster_lease_mark_done(cluster_lease *l, const char *run, const char *source,
                            cluster_lease_cb cb, void *ud);

#endif
