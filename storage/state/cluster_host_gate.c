/*
 * cluster_host_gate.c - cluster-wide per-host politeness in Redis; see
 * cluster_host_gate.h.  Two Lua scripts, each one atomic step on the
 * server, reading the time from Redis (TIME) so that the nodes' clocks do
 * not matter; sent by digest (fa_redis_eval).
 */
#include "storage/state/cluster_host_gate.h"
#include "storage/state/crawl_state.h"

#include "common/fa_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX (64 + CRAWL_STATE_HOST_MAX + 16)

struct cluster_host_gate {
    fa_redis *r;
    char prefix[65];
    char node[65];
    char slot_ttl[24];
    uint64_t seq;
    fa_redis_script acquire, release;
};

/* KEYS host, slots; ARGV cap, min_delay, slot id, slot ttl.
 * Returns {granted, wait, at_cap, now}. */
static const char acquire_lua[] =
    "local t = redis.call('TIME') "
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
    "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) "
    "local nxt = tonumber(redis.call('HGET', KEYS[1], 'next') or '0') "
    "if nxt > now then return {0, nxt - now, 0, now} end "
    "if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[1]) then "
    "  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES') "
    "  return {0, tonumber(first[2]) - now, 1, now} end "
    "local ttl = tonumber(ARGV[4]) "
    "redis.call('ZADD', KEYS[2], now + ttl, ARGV[3]) "
    "redis.call('PEXPIRE', KEYS[2], ttl + 3600000) "
    "nxt = now + tonumber(ARGV[2]) "
    "redis.call('HSET', KEYS[1], 'next', nxt) "
    "redis.call('PEXPIRE', KEYS[1], nxt - now + 3600000) "
    "return {1, 0, 0, now}";

/* KEYS host, slots; ARGV slot id ("" = none), after.  Returns next - now. */
static const char release_lua[] =
    "local t = redis.call('TIME') "
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
    "if ARGV[1] ~= '' then redis.call('ZREM', KEYS[2], ARGV[1]) end "
    "local nxt = tonumber(redis.call('HGET', KEYS[1], 'next') or '0') "
    "local want = now + tonumber(ARGV[2]) "
    "if want > nxt then redis.call('HSET', KEYS[1], 'next', want) nxt = want end "
    "if nxt > now then redis.call('PEXPIRE', KEYS[1], nxt - now + 3600000) end "
    "if nxt > now then return nxt - now end return 0";

typedef struct acquire_call {
    cluster_host_acquire_cb cb;
    void *ud;
    char slot[CLUSTER_HOST_SLOT_MAX];
} acquire_call;

typedef struct release_call {
    cluster_host_release_cb cb;
    void *ud;
} release_call;

int cluster_host_gate_open(fa_redis *r, const char *prefix, const char *node, uint64_t slot_ttl_ms,
                           cluster_host_gate **out)
{
    if (out != NULL) *out = NULL;
    if (r == NULL || node == NULL || node[0] == '\0' || out == NULL || slot_ttl_ms == 0)
        return FA_EINVAL;
    if (prefix == NULL) prefix = CRAWL_STATE_REDIS_PREFIX;
    cluster_host_gate *g = calloc(1, sizeof *g);
    if (g == NULL) return FA_ENOMEM;
    if (strlen(prefix) >= sizeof g->prefix || strlen(node) >= sizeof g->node) {
        free(g);
        return FA_EINVAL;
    }
    g->r = r;
    strcpy(g->prefix, prefix);
    strcpy(g->node, node);
    snprintf(g->slot_ttl, sizeof g->slot_ttl, "%llu", (unsigned long long)slot_ttl_ms);
    fa_redis_script_init(&g->acquire, acquire_lua);
    fa_redis_script_init(&g->release, release_lua);
    *out = g;
    return 0;
}

void cluster_host_gate_free(cluster_host_gate *g)
{
    free(g);
}

static int keys_for(const cluster_host_gate *g, const char *host, char k1[KEY_MAX],
                    char k2[KEY_MAX])
{
    if (host == NULL || host[0] == '\0') return FA_EINVAL;
    int n = snprintf(k1, KEY_MAX, "%shost:%s", g->prefix, host);
    if (n < 0 || n >= KEY_MAX) return FA_ETOOBIG;
    n = snprintf(k2, KEY_MAX, "%shost:%s:slots", g->prefix, host);
    return n < 0 || n >= KEY_MAX ? FA_ETOOBIG : 0;
}

static int64_t int_at(const redisReply *r, size_t i)
{
    return r->element[i]->type == REDIS_REPLY_INTEGER ? (int64_t)r->element[i]->integer : 0;
}

static void on_acquire(fa_redis *r, void *ud, redisReply *reply, const char *err)
{
    acquire_call *c = ud;
    (void)r;
    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 4) {
        int granted = (int)int_at(reply, 0);
        c->cb(c->ud, granted, granted ? c->slot : NULL, int_at(reply, 1), (int)int_at(reply, 2),
              int_at(reply, 3), NULL);
    } else {
        if (err == NULL)
            err = reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply";
        c->cb(c->ud, FA_EIO, NULL, 0, 0, 0, err);
    }
    free(c);
}

int cluster_host_gate_acquire(cluster_host_gate *g, const char *host, unsigned cap,
                              uint64_t min_delay_ms, cluster_host_acquire_cb cb, void *ud)
{
    char k1[KEY_MAX], k2[KEY_MAX], caps[16], delay[24];
    if (g == NULL || cb == NULL || cap == 0) return FA_EINVAL;
    int rc = keys_for(g, host, k1, k2);
    if (rc < 0) return rc;
    acquire_call *c = malloc(sizeof *c);
    if (c == NULL) return FA_ENOMEM;
    c->cb = cb;
    c->ud = ud;
    snprintf(c->slot, sizeof c->slot, "%s:%llu", g->node, (unsigned long long)++g->seq);
    snprintf(caps, sizeof caps, "%u", cap);
    snprintf(delay, sizeof delay, "%llu", (unsigned long long)min_delay_ms);
    const char *keys[] = {k1, k2};
    const char *args[] = {caps, delay, c->slot, g->slot_ttl};
    rc = fa_redis_eval(g->r, &g->acquire, 2, keys, 4, args, on_acquire, c);
    if (rc < 0) free(c);
    return rc;
}

static void on_release(fa_redis *r, void *ud, redisReply *reply, const char *err)
{
    release_call *c = ud;
    (void)r;
    if (c->cb != NULL) {
        if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
            c->cb(c->ud, (int64_t)reply->integer, NULL);
        else
            c->cb(c->ud, FA_EIO,
                  err                                         ? err
                  : reply && reply->type == REDIS_REPLY_ERROR ? reply->str
                                                              : "unexpected reply");
    }
    free(c);
}

static int release(cluster_host_gate *g, const char *host, const char *slot, uint64_t after_ms,
                   cluster_host_release_cb cb, void *ud)
{
    char k1[KEY_MAX], k2[KEY_MAX], after[24];
    if (g == NULL) return FA_EINVAL;
    int rc = keys_for(g, host, k1, k2);
    if (rc < 0) return rc;
    release_call *c = malloc(sizeof *c);
    if (c == NULL) return FA_ENOMEM;
    c->cb = cb;
    c->ud = ud;
    snprintf(after, sizeof after, "%llu", (unsigned long long)after_ms);
    const char *keys[] = {k1, k2};
    const char *args[] = {slot, after};
    rc = fa_redis_eval(g->r, &g->release, 2, keys, 2, args, on_release, c);
    if (rc < 0) free(c);
    return rc;
}

int cluster_host_gate_release(cluster_host_gate *g, const char *host, const char *slot,
                              uint64_t after_ms, cluster_host_release_cb cb, void *ud)
{
    if (slot == NULL || slot[0] == '\0' || strlen(slot) >= CLUSTER_HOST_SLOT_MAX) return FA_EINVAL;
    return release(g, host, slot, after_ms, cb, ud);
}

int cluster_host_gate_defer(cluster_host_gate *g, const char *host, uint64_t after_ms,
                            cluster_host_release_cb cb, void *ud)
{
    return release(g, host, "", after_ms, cb, ud);
}
