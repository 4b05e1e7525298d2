/*
 * cluster_lease.c - source leases in Redis; see cluster_lease.h.
 *
 * Every operation is one Lua script (atomic on the server), sent by its
 * digest (fa_redis_eval: EVALSHA, the text only when Redis asks for it).
 */
#include "storage/state/cluster_lease.h"
#include "storage/state/crawl_state.h"

#include "common/fa_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cluster_lease {
    fa_redis *r;
    char prefix[65];
    char node[65];
    char lease_ms[24];
    fa_redis_script claim, renew, release, done;
};

/* KEYS[1] lease, KEYS[2] done set or "" ; ARGV node, ms, source */
static const char claim_lua[] =
    "if KEYS[2] ~= '' and redis.call('SISMEMBER', KEYS[2], ARGV[3]) == 1 then return 2 end "
    "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end "
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end "
    "return 0";

/* KEYS[1] lease; ARGV node, ms */
static const char renew_lua[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                                "redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end return 0";

/* KEYS[1] lease; ARGV node */
static const char release_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end "
    "return 0";

/* KEYS[1] lease, KEYS[2] done set; ARGV node, source */
static const char done_lua[] = "redis.call('SADD', KEYS[2], ARGV[2]) "
                               "redis.call('EXPIRE', KEYS[2], 604800) "
                               "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                               "redis.call('DEL', KEYS[1]) end return 1";

typedef struct call {
    cluster_lease_cb cb;
    void *ud;
} call;

typedef struct owners_call {
    cluster_lease_owners_cb cb;
    void *ud;
    size_t n;
    char **sources;
} owners_call;

int cluster_lease_open(fa_redis *r, const char *prefix, const char *node, uint64_t lease_ms,
                       cluster_lease **out)
{
    if (out != NULL) *out = NULL;
    if (r == NULL || node == NULL || out == NULL || lease_ms == 0) return FA_EINVAL;
    if (prefix == NULL) prefix = CRAWL_STATE_REDIS_PREFIX;
    cluster_lease *l = calloc(1, sizeof *l);
    if (l == NULL) return FA_ENOMEM;
    if (strlen(prefix) >= sizeof l->prefix || strlen(node) >= sizeof l->node || node[0] == '\0') {
        free(l);
        return FA_EINVAL;
    }
    l->r = r;
    strcpy(l->prefix, prefix);
    strcpy(l->node, node);
    snprintf(l->lease_ms, sizeof l->lease_ms, "%llu", (unsigned long long)lease_ms);
    fa_redis_script_init(&l->claim, claim_lua);
    fa_redis_script_init(&l->renew, renew_lua);
    fa_redis_script_init(&l->release, release_lua);
    fa_redis_script_init(&l->done, done_lua);
    *out = l;
    return 0;
}

void cluster_lease_free(cluster_lease *l)
{
    free(l);
}

static void on_int(fa_redis *r, void *ud, redisReply *reply, const char *err)
{
    call *c = ud;
    (void)r;
    int result;
    if (reply == NULL) {
        result = FA_EIO;
    } else if (reply->type == REDIS_REPLY_INTEGER) {
        result = (int)reply->integer;
    } else {
        result = FA_EIO;
        err = reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply";
    }
    if (c->cb != NULL) c->cb(c->ud, result, result < 0 ? err : NULL);
    free(c);
}

static int key(char *out, const cluster_lease *l, const char *what, const char *a, const char *b)
{
    int n = snprintf(out, CLUSTER_LEASE_KEY_MAX, "%s%s%s%s", l->prefix, what, a, b ? b : "");
    return n < 0 || n >= CLUSTER_LEASE_KEY_MAX ? FA_ETOOBIG : 0;
}

static int eval(cluster_lease *l, const fa_redis_script *script, int nkeys, const char **keys,
                int nargs, const char **args, cluster_lease_cb cb, void *ud)
{
    call *c = malloc(sizeof *c);
    if (c == NULL) return FA_ENOMEM;
    c->cb = cb;
    c->ud = ud;
    int rc = fa_redis_eval(l->r, script, nkeys, keys, nargs, args, on_int, c);
    if (rc < 0) free(c);
    return rc;
}

static int claim(cluster_lease *l, const char *run, const char *source, cluster_lease_cb cb,
                 void *ud)
{
    char k1[CLUSTER_LEASE_KEY_MAX], k2[CLUSTER_LEASE_KEY_MAX] = "";
    if (l == NULL || source == NULL || source[0] == '\0') return FA_EINVAL;
    if (key(k1, l, "lease:", source, NULL) < 0) return FA_ETOOBIG;
    if (run != NULL && key(k2, l, "once:", run, ":done") < 0) return FA_ETOOBIG;
    const char *keys[] = {k1, k2};
    const char *args[] = {l->node, l->lease_ms, source};
    return eval(l, &l->claim, 2, keys, 3, args, cb, ud);
}

int cluster_lease_claim(cluster_lease *l, const char *source, cluster_lease_cb cb, void *ud)
{
    return claim(l, NULL, source, cb, ud);
}

int cluster_lease_claim_once(cluster_lease *l, const char *run, const char *source,
                             cluster_lease_cb cb, void *ud)
{
    if (run == NULL || run[0] == '\0') return FA_EINVAL;
    return claim(l, run, source, cb, ud);
}

int cluster_lease_renew(cluster_lease *l, const char *source, cluster_lease_cb cb, void *ud)
{
    char k1[CLUSTER_LEASE_KEY_MAX];
    if (l == NULL || source == NULL || source[0] == '\0') return FA_EINVAL;
    if (key(k1, l, "lease:", source, NULL) < 0) return FA_ETOOBIG;
    const char *keys[] = {k1};
    const char *args[] = {l->node, l->lease_ms};
    return eval(l, &l->renew, 1, keys, 2, args, cb, ud);
}

int cluster_lease_release(cluster_lease *l, const char *source, cluster_lease_cb cb, void *ud)
{
    char k1[CLUSTER_LEASE_KEY_MAX];
    if (l == NULL || source == NULL || source[0] == '\0') return FA_EINVAL;
    if (key(k1, l, "lease:", source, NULL) < 0) return FA_ETOOBIG;
    const char *keys[] = {k1};
    const char *args[] = {l->node};
    return eval(l, &l->release, 1, keys, 1, args, cb, ud);
}

int cluster_lease_mark_done(cluster_lease *l, const char *run, const char *source,
                            cluster_lease_cb cb, void *ud)
{
    char k1[CLUSTER_LEASE_KEY_MAX], k2[CLUSTER_LEASE_KEY_MAX];
    if (l == NULL || run == NULL || run[0] == '\0' || source == NULL || source[0] == '\0')
        return FA_EINVAL;
    if (key(k1, l, "lease:", source, NULL) < 0 || key(k2, l, "once:", run, ":done") < 0)
        return FA_ETOOBIG;
    const char *keys[] = {k1, k2};
    const char *args[] = {l->node, source};
    return eval(l, &l->done, 2, keys, 2, args, cb, ud);
}

static void owners_free(owners_call *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->sources[i]);
    free(c->sources);
    free(c);
}

static void on_owners(fa_redis *r, void *ud, redisReply *reply, const char *err)
{
    owners_call *c = ud;
    (void)r;
    const char **owners = calloc(c->n ? c->n : 1, sizeof *owners);
    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == c->n &&
        owners != NULL) {
        for (size_t i = 0; i < c->n; i++)
            owners[i] =
                reply->element[i]->type == REDIS_REPLY_STRING ? reply->element[i]->str : NULL;
        c->cb(c->ud, c->n, (const char *const *)c->sources, owners, NULL);
    } else {
        if (err == NULL)
            err = reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply";
        c->cb(c->ud, 0, NULL, NULL, owners == NULL ? "out of memory" : err);
    }
    free(owners);
    owners_free(c);
}

int cluster_lease_owners(cluster_lease *l, const char *const *sources, size_t n,
                         cluster_lease_owners_cb cb, void *ud)
{
    if (l == NULL || cb == NULL || n == 0 || n > 1024 || sources == NULL) return FA_EINVAL;
    int rc = FA_ENOMEM;
    const char **argv = calloc(n + 1, sizeof *argv);
    char **keys = calloc(n, sizeof *keys);
    owners_call *c = calloc(1, sizeof *c);
    if (argv == NULL || keys == NULL || c == NULL) goto out;
    c->cb = cb;
    c->ud = ud;
    c->sources = calloc(n, sizeof *c->sources);
    if (c->sources == NULL) goto out;
    argv[0] = "MGET";
    for (size_t i = 0; i < n; i++) {
        if ((keys[i] = malloc(CLUSTER_LEASE_KEY_MAX)) == NULL ||
            (c->sources[c->n] = strdup(sources[i])) == NULL)
            goto out;
        c->n++;
        if (key(keys[i], l, "lease:", sources[i], NULL) < 0) {
            rc = FA_ETOOBIG;
            goto out;
        }
        argv[i + 1] = keys[i];
    }
    rc = fa_redis_command(l->r, on_owners, c, (int)n + 1, argv, NULL);
    if (rc == 0) c = NULL; /* the callback owns it */
out:
    for (size_t i = 0; keys != NULL && i < n; i++)
        free(keys[i]);
    free(keys);
    free(argv);
    if (c != NULL) owners_free(c);
    return rc;
}
