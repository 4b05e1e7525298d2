/*
 * state_redis.c - the crawl_state backend on Redis, shared by the nodes of
 * a cluster (issue 15; docs/SCALING.md lists every key).
 *
 * Keys, all under one prefix P (default "feedarc:"; every node of a
 * cluster uses the same):
 *
 *   P url:<url>        hash  one url record: k kind, s source, i item id,
 *                            p published, u updated, e ETag, m Last-Modified,
 *                            h HTTP status, f last fetch (ns), d payload
 *                            digest, r WARC-Record-ID, g segment, o offset,
 *                            l length, n fetch count
 *   P source:<name>    hash  one source: u url, a last attempt, s last
 *                            success, h last status, e last error, i items
 *                            archived, c consecutive failures, d next due
 *   P sources          zset  every source name, score 0 (so listed in byte
 *                            order, as the SQLite backend lists them)
 *   P robots:<host>    hash  f fetched at, x expires at, h status, b body
 *   P backoff:<host>   hash  u backoff until, e consecutive errors, r
 *                            Retry-After until
 *   P kv               hash  the small key/value pairs, schema_version among
 *                            them
 *
 * Empty strings and zero numbers are not stored (a record holds only what
 * is set), so a url record costs its key plus the fields the crawl filled
 * in.  Numbers are decimal text, times ns since the epoch.
 *
 * Transactions: puts inside begin/commit are kept here (an ordered list of
 * the HSETs to run, which gets inside the transaction consult first, newest
 * first) and sent at commit as one MULTI ... EXEC in a single pipeline: the
 * batch lands whole or not at all, and costs one round trip.  Each put
 * replaces its record (DEL + HSET inside the MULTI).  rollback forgets the
 * list.  A put outside a transaction is its own MULTI/EXEC.  Durability is
 * Redis's: with appendonly yes and appendfsync everysec a Redis crash loses
 * at most the last second of commits (then those pages are fetched again,
 * never lost: the segment fsync precedes the commit); appendfsync always
 * makes commit as durable as SQLite's.
 *
 * A commit whose connection breaks returns FA_EIO: Redis may or may not
 * have run the EXEC, and the caller treats the batch as lost - the safe
 * side of the durability contract (crawl_state.h).  Replies read are
 * bounded by what this file writes (values under the crawl_state ceilings).
 *
 * The connection is a blocking fa_redis_sync (the interface is synchronous
 * and called from worker threads), used under the handle's mutex.
 */
#include "storage/state/crawl_state_backend.h"

#include "common/fa_container.h"
#include "common/fa_err.h"
#include "common/fa_redis.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REDIS_STATE_PREFIX_MAX 64
#define REDIS_STATE_SCHEMA "1"
/* Puts one transaction may hold before commit (each is a few kB at most). */
#define REDIS_STATE_TXN_MAX 100000
#define MAX_ARGS 40

enum rec_type { REC_URL, REC_SOURCE, REC_ROBOTS, REC_BACKOFF, REC_KV };

static const char *const type_key[] = {[REC_URL] = "url:",
                                       [REC_SOURCE] = "source:",
                                       [REC_ROBOTS] = "robots:",
                                       [REC_BACKOFF] = "backoff:",
                                       [REC_KV] = "kv"};

/* A command being built: argv points into the caller's strings or into num. */
typedef struct cmd {
    int argc;
    const char *argv[MAX_ARGS];
    size_t lens[MAX_ARGS];
    char num[16][24];
    int nnum;
} cmd;

/* A put waiting for commit: a deep copy of its HSET. */
typedef struct pend {
    struct pend *prev;
    enum rec_type type;
    char *name; /* url, source name, host key or kv key */
    int argc;
    char **argv;
    size_t *lens;
} pend;

typedef struct redis_state {
    crawl_state base; /* the handle given out (rs_of) */
    fa_redis_sync *conn;
    char prefix[REDIS_STATE_PREFIX_MAX + 1];
    pend *txn; /* newest first */
    size_t txn_len;
    fa_buf key; /* scratch for key names */
} redis_state;

static redis_state *rs_of(crawl_state *st)
{
    return FA_CONTAINER_OF(st, redis_state, base);
}

/* ---- building commands ---- */

static void cmd_arg(cmd *c, const char *p, size_t len)
{
    c->argv[c->argc] = p;
    c->lens[c->argc] = len;
    c->argc++;
}

static void cmd_str(cmd *c, const char *field, const char *s)
{
    if (s[0] == '\0') return;
    cmd_arg(c, field, strlen(field));
    cmd_arg(c, s, strlen(s));
}

static void cmd_i64(cmd *c, const char *field, int64_t v)
{
    if (v == 0) return;
    char *n = c->num[c->nnum++];
    int len = snprintf(n, sizeof c->num[0], "%" PRId64, v);
    cmd_arg(c, field, strlen(field));
    cmd_arg(c, n, (size_t)len);
}

static void cmd_u64(cmd *c, const char *field, uint64_t v)
{
    if (v == 0) return;
    char *n = c->num[c->nnum++];
    int len = snprintf(n, sizeof c->num[0], "%" PRIu64, v);
    cmd_arg(c, field, strlen(field));
    cmd_arg(c, n, (size_t)len);
}

/* The Redis key of a record: P + type + name, in rs->key. */
static int make_key(redis_state *rs, enum rec_type t, const char *name)
{
    fa_buf_reset(&rs->key);
    int rc = fa_buf_puts(&rs->key, rs->prefix);
    if (rc == 0) rc = fa_buf_puts(&rs->key, type_key[t]);
    if (rc == 0 && t != REC_KV) rc = fa_buf_puts(&rs->key, name);
    return rc;
}

/* ---- reading records back: (field, value) pairs ---- */

typedef struct pairs {
    size_t n;
    const char *name[MAX_ARGS];
    size_t name_len[MAX_ARGS];
    const char *val[MAX_ARGS];
    size_t val_len[MAX_ARGS];
} pairs;

static int find(const pairs *p, const char *field, const char **val, size_t *len)
{
    size_t fl = strlen(field);
    for (size_t i = 0; i < p->n; i++) {
        if (p->name_len[i] == fl && memcmp(p->name[i], field, fl) == 0) {
            *val = p->val[i];
            *len = p->val_len[i];
            return 1;
        }
    }
    return 0;
}

/* Copies a text field; "" when absent.  0 or FA_ECORRUPT. */
static int get_str(const pairs *p, const char *field, char *dst, size_t cap)
{
    const char *v;
    size_t len;
    if (!find(p, field, &v, &len)) {
        dst[0] = '\0';
        return 0;
    }
    return crawl_state__copy_field(dst, cap, v, len);
}

/* A decimal field; 0 when absent.  0 or FA_ECORRUPT. */
static int get_i64(const pairs *p, const char *field, int64_t *out)
{
    const char *v;
    size_t len;
    char tmp[32];
    *out = 0;
    if (!find(p, field, &v, &len)) return 0;
    if (len == 0 || len >= sizeof tmp) return FA_ECORRUPT;
    memcpy(tmp, v, len);
    tmp[len] = '\0';
    char *end;
    long long x = strtoll(tmp, &end, 10);
    if (*end != '\0') return FA_ECORRUPT;
    *out = (int64_t)x;
    return 0;
}

static int get_u64(const pairs *p, const char *field, uint64_t *out)
{
    const char *v;
    size_t len;
    char tmp[32];
    *out = 0;
    if (!find(p, field, &v, &len)) return 0;
    if (len == 0 || len >= sizeof tmp || v[0] == '-') return FA_ECORRUPT;
    memcpy(tmp, v, len);
    tmp[len] = '\0';
    char *end;
    unsigned long long x = strtoull(tmp, &end, 10);
    if (*end != '\0') return FA_ECORRUPT;
    *out = (uint64_t)x;
    return 0;
}

static int pairs_from_reply(const redisReply *r, pairs *p)
{
    p->n = 0;
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0 || r->elements / 2 > MAX_ARGS)
        return FA_ECORRUPT;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) return FA_ECORRUPT;
        p->name[p->n] = k->str;
        p->name_len[p->n] = k->len;
        p->val[p->n] = v->str;
        p->val_len[p->n] = v->len;
        p->n++;
    }
    return 0;
}

static void pairs_from_pend(const pend *e, pairs *p)
{
    p->n = 0;
    for (int i = 2; i + 1 < e->argc && p->n < MAX_ARGS; i += 2) {
        p->name[p->n] = e->argv[i];
        p->name_len[p->n] = e->lens[i];
        p->val[p->n] = e->argv[i + 1];
        p->val_len[p->n] = e->lens[i + 1];
        p->n++;
    }
}

/* ---- the encodings ---- */

static void encode_url(cmd *c, const url_record *r)
{
    cmd_i64(c, "k", r->kind);
    cmd_str(c, "s", r->source);
    cmd_str(c, "i", r->item_id);
    cmd_str(c, "p", r->item_published);
    cmd_str(c, "u", r->item_updated);
    cmd_str(c, "e", r->etag);
    cmd_str(c, "m", r->last_modified);
    cmd_i64(c, "h", r->http_status);
    cmd_i64(c, "f", r->last_fetch_ns);
    cmd_str(c, "d", r->payload_digest);
    cmd_str(c, "r", r->warc_record_id);
    cmd_str(c, "g", r->warc_segment);
    cmd_u64(c, "o", r->warc_offset);
    cmd_u64(c, "l", r->warc_length);
    cmd_u64(c, "n", r->fetch_count);
}

static int decode_url(const pairs *p, url_record *r)
{
    int64_t v = 0;
    int rc = get_i64(p, "k", &v);
    r->kind = (int)v;
    if (rc == 0) rc = get_str(p, "s", r->source, sizeof r->source);
    if (rc == 0) rc = get_str(p, "i", r->item_id, sizeof r->item_id);
    if (rc == 0) rc = get_str(p, "p", r->item_published, sizeof r->item_published);
    if (rc == 0) rc = get_str(p, "u", r->item_updated, sizeof r->item_updated);
    if (rc == 0) rc = get_str(p, "e", r->etag, sizeof r->etag);
    if (rc == 0) rc = get_str(p, "m", r->last_modified, sizeof r->last_modified);
    if (rc == 0) rc = get_i64(p, "h", &v);
    r->http_status = (int)v;
    if (rc == 0) rc = get_i64(p, "f", &r->last_fetch_ns);
    if (rc == 0) rc = get_str(p, "d", r->payload_digest, sizeof r->payload_digest);
    if (rc == 0) rc = get_str(p, "r", r->warc_record_id, sizeof r->warc_record_id);
    if (rc == 0) rc = get_str(p, "g", r->warc_segment, sizeof r->warc_segment);
    if (rc == 0) rc = get_u64(p, "o", &r->warc_offset);
    if (rc == 0) rc = get_u64(p, "l", &r->warc_length);
    if (rc == 0) rc = get_u64(p, "n", &r->fetch_count);
    return rc;
}

static void encode_source(cmd *c, const source_record *r)
{
    /* the name is in the key; "u" is always set so the hash is never empty */
    cmd_arg(c, "u", 1);
    cmd_arg(c, r->url, strlen(r->url));
    cmd_i64(c, "a", r->last_attempt_ns);
    cmd_i64(c, "s", r->last_success_ns);
    cmd_i64(c, "h", r->last_status);
    cmd_str(c, "e", r->last_error);
    cmd_u64(c, "i", r->items_archived);
    cmd_u64(c, "c", r->consecutive_failures);
    cmd_i64(c, "d", r->next_due_ns);
}

static int decode_source(const pairs *p, const char *name, source_record *r)
{
    int64_t v = 0;
    uint64_t u = 0;
    int rc = crawl_state__copy_field(r->name, sizeof r->name, name, strlen(name));
    if (rc == 0) rc = get_str(p, "u", r->url, sizeof r->url);
    if (rc == 0) rc = get_i64(p, "a", &r->last_attempt_ns);
    if (rc == 0) rc = get_i64(p, "s", &r->last_success_ns);
    if (rc == 0) rc = get_i64(p, "h", &v);
    r->last_status = (int)v;
    if (rc == 0) rc = get_str(p, "e", r->last_error, sizeof r->last_error);
    if (rc == 0) rc = get_u64(p, "i", &r->items_archived);
    if (rc == 0) rc = get_u64(p, "c", &u);
    r->consecutive_failures = (uint32_t)u;
    if (rc == 0) rc = get_i64(p, "d", &r->next_due_ns);
    return rc;
}

static void encode_robots(cmd *c, const robots_record *r, const void *body, size_t len)
{
    /* "h" always: a cached entry exists even with status 0 and no body */
    char *n = c->num[c->nnum++];
    int l = snprintf(n, sizeof c->num[0], "%d", r->http_status);
    cmd_arg(c, "h", 1);
    cmd_arg(c, n, (size_t)l);
    cmd_i64(c, "f", r->fetched_at_ns);
    cmd_i64(c, "x", r->expires_at_ns);
    if (len > 0) {
        cmd_arg(c, "b", 1);
        cmd_arg(c, body, len);
    }
}

static int decode_robots(const pairs *p, robots_record *r, fa_buf *body)
{
    int64_t v = 0;
    const char *b = "";
    size_t len = 0;
    int rc = get_i64(p, "h", &v);
    r->http_status = (int)v;
    if (rc == 0) rc = get_i64(p, "f", &r->fetched_at_ns);
    if (rc == 0) rc = get_i64(p, "x", &r->expires_at_ns);
    if (rc < 0) return rc;
    find(p, "b", &b, &len);
    if (len > CRAWL_STATE_ROBOTS_MAX) return FA_ECORRUPT;
    r->body_len = len;
    if (body != NULL && len > 0) return fa_buf_append(body, b, len);
    return 0;
}

static void encode_backoff(cmd *c, const backoff_record *r)
{
    cmd_i64(c, "u", r->backoff_until_ns);
    cmd_u64(c, "e", r->consecutive_errors);
    cmd_i64(c, "r", r->retry_after_until_ns);
}

static int decode_backoff(const pairs *p, backoff_record *r)
{
    uint64_t u = 0;
    int rc = get_i64(p, "u", &r->backoff_until_ns);
    if (rc == 0) rc = get_u64(p, "e", &u);
    r->consecutive_errors = (uint32_t)u;
    if (rc == 0) rc = get_i64(p, "r", &r->retry_after_until_ns);
    return rc;
}

/* ---- talking to Redis ---- */

static int io_error(redis_state *rs, const char *what)
{
    crawl_state__set_error(&rs->base, "redis: %s: %s", what, fa_redis_sync_errmsg(rs->conn));
    return FA_EIO;
}

/* An error reply as a code: OOM (maxmemory reached) is FA_ENOSPC. */
static int reply_error(redis_state *rs, const redisReply *r, const char *what)
{
    crawl_state__set_error(&rs->base, "redis: %s: %.200s", what, r->str ? r->str : "error");
    return r->str && strncmp(r->str, "OOM", 3) == 0 ? FA_ENOSPC : FA_EIO;
}

/* Runs the puts of list (oldest first: the list is newest first) as one
 * MULTI/EXEC pipeline. */
static int run_puts(redis_state *rs, pend *newest, size_t n)
{
    int rc = 0;
    size_t sent = 0, read = 0;
    redisReply *rep = NULL;
    pend **order = NULL;
    char zkey[REDIS_STATE_PREFIX_MAX + 16];
    snprintf(zkey, sizeof zkey, "%ssources", rs->prefix);

    if (n == 0) return 0;
    order = malloc(n * sizeof *order);
    if (order == NULL) return FA_ENOMEM;
    size_t i = n;
    for (pend *e = newest; e != NULL && i > 0; e = e->prev)
        order[--i] = e;

    const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};
    if ((rc = fa_redis_sync_append(rs->conn, 1, multi, NULL)) < 0) goto fail_io;
    sent++;
    for (i = 0; i < n && rc == 0; i++) {
        pend *e = order[i];
        if (e->type != REC_KV) {
            const char *del[] = {"DEL", e->argv[1]};
            size_t dl[] = {3, e->lens[1]};
            if ((rc = fa_redis_sync_append(rs->conn, 2, del, dl)) < 0) goto fail_io;
            sent++;
        }
        if ((rc = fa_redis_sync_append(rs->conn, e->argc, (const char **)e->argv, e->lens)) < 0)
            goto fail_io;
        sent++;
        if (e->type == REC_SOURCE) {
            const char *z[] = {"ZADD", zkey, "0", e->name};
            if ((rc = fa_redis_sync_append(rs->conn, 4, z, NULL)) < 0) goto fail_io;
            sent++;
        }
    }
    if ((rc = fa_redis_sync_append(rs->conn, 1, exec, NULL)) < 0) goto fail_io;
    sent++;
    /* QUEUED for each command, then EXEC's array (or an error: nothing ran) */
    for (read = 0; read < sent; read++) {
        if ((rc = fa_redis_sync_read(rs->conn, &rep)) < 0) goto fail_io;
        if (read + 1 < sent) {
            if (rep->type == REDIS_REPLY_ERROR && rc == 0) rc = reply_error(rs, rep, "queueing");
        } else if (rep->type == REDIS_REPLY_ERROR) {
            if (rc == 0) rc = reply_error(rs, rep, "EXEC");
        } else if (rep->type != REDIS_REPLY_ARRAY) {
            if (rc == 0) {
                crawl_state__set_error(&rs->base, "redis: EXEC was aborted");
                rc = FA_EIO;
            }
        } else {
            for (size_t k = 0; k < rep->elements && rc == 0; k++)
                if (rep->element[k]->type == REDIS_REPLY_ERROR)
                    rc = reply_error(rs, rep->element[k], "in EXEC");
        }
        freeReplyObject(rep);
        rep = NULL;
    }
    free(order);
    return rc;
fail_io:
    free(order);
    return rc == FA_ENOMEM ? rc : io_error(rs, "commit");
}

static void pend_free(pend *e)
{
    free(e); /* one allocation */
}

/* Deep-copies c (with the key in argv[1]) into one allocation. */
static pend *pend_make(enum rec_type t, const char *name, const cmd *c)
{
    size_t nl = strlen(name) + 1, bytes = 0;
    for (int i = 0; i < c->argc; i++)
        bytes += c->lens[i] + 1;
    size_t argv_off = sizeof(pend);
    size_t lens_off = argv_off + sizeof(char *) * (size_t)c->argc;
    size_t data_off = lens_off + sizeof(size_t) * (size_t)c->argc;
    pend *e = malloc(data_off + nl + bytes);
    if (e == NULL) return NULL;
    char *base = (char *)e;
    e->prev = NULL;
    e->type = t;
    e->argc = c->argc;
    e->argv = (char **)(void *)(base + argv_off);
    e->lens = (size_t *)(void *)(base + lens_off);
    char *d = base + data_off;
    memcpy(d, name, nl);
    e->name = d;
    d += nl;
    for (int i = 0; i < c->argc; i++) {
        memcpy(d, c->argv[i], c->lens[i]);
        d[c->lens[i]] = '\0';
        e->argv[i] = d;
        e->lens[i] = c->lens[i];
        d += c->lens[i] + 1;
    }
    return e;
}

/* Stores c: into the transaction, or at once as its own MULTI/EXEC. */
static int put(redis_state *rs, enum rec_type t, const char *name, const cmd *c)
{
    if (rs->base.in_txn && rs->txn_len >= REDIS_STATE_TXN_MAX) {
        crawl_state__set_error(&rs->base, "redis: more than %d puts in one transaction",
                               REDIS_STATE_TXN_MAX);
        return FA_ETOOBIG;
    }
    pend *e = pend_make(t, name, c);
    if (e == NULL) return FA_ENOMEM;
    if (rs->base.in_txn) {
        e->prev = rs->txn;
        rs->txn = e;
        rs->txn_len++;
        return 0;
    }
    int rc = run_puts(rs, e, 1);
    pend_free(e);
    return rc;
}

/* The newest put of (t, name) in the open transaction, or NULL. */
static const pend *pending(redis_state *rs, enum rec_type t, const char *name)
{
    if (!rs->base.in_txn) return NULL;
    for (const pend *e = rs->txn; e != NULL; e = e->prev)
        if (e->type == t && strcmp(e->name, name) == 0) return e;
    return NULL;
}

/* Starts a HSET key ... for a record. */
static int start_hset(redis_state *rs, cmd *c, enum rec_type t, const char *name)
{
    int rc = make_key(rs, t, name);
    if (rc < 0) return rc;
    memset(c, 0, offsetof(cmd, num));
    c->nnum = 0;
    cmd_arg(c, "HSET", 4);
    cmd_arg(c, rs->key.data, rs->key.len);
    return 0;
}

/* HGETALL of a record: 1 (pairs filled, *reply owned by the caller), 0
 * (absent), or a negative code. */
static int fetch(redis_state *rs, enum rec_type t, const char *name, redisReply **reply, pairs *p)
{
    *reply = NULL;
    int rc = make_key(rs, t, name);
    if (rc < 0) return rc;
    const char *argv[] = {"HGETALL", rs->key.data};
    size_t lens[] = {7, rs->key.len};
    if (fa_redis_sync_command(rs->conn, reply, 2, argv, lens) < 0) return io_error(rs, "read");
    if ((*reply)->type == REDIS_REPLY_ERROR) {
        rc = reply_error(rs, *reply, "HGETALL");
    } else if ((rc = pairs_from_reply(*reply, p)) < 0) {
        crawl_state__set_error(&rs->base, "redis: %s is not a feedarc record", rs->key.data);
    } else {
        rc = p->n > 0;
    }
    if (rc <= 0) {
        freeReplyObject(*reply);
        *reply = NULL;
    }
    return rc;
}

/* ---- the ops ---- */

static int rs_begin(crawl_state *st)
{
    redis_state *rs = rs_of(st);
    rs->txn = NULL;
    rs->txn_len = 0;
    return 0;
}

static void drop_txn(redis_state *rs)
{
    while (rs->txn != NULL) {
        pend *e = rs->txn;
        rs->txn = e->prev;
        pend_free(e);
    }
    rs->txn_len = 0;
}

static int rs_commit(crawl_state *st)
{
    redis_state *rs = rs_of(st);
    int rc = run_puts(rs, rs->txn, rs->txn_len);
    if (rc == 0) drop_txn(rs); /* on failure the rollback op that follows drops it */
    return rc;
}

static int rs_rollback(crawl_state *st)
{
    drop_txn(rs_of(st));
    return 0;
}

static int rs_get_url(crawl_state *st, const char *url, url_record *out)
{
    redis_state *rs = rs_of(st);
    pairs p;
    const pend *e = pending(rs, REC_URL, url);
    if (e != NULL) {
        pairs_from_pend(e, &p);
        return decode_url(&p, out) < 0 ? FA_ECORRUPT : 1;
    }
    redisReply *rep;
    int rc = fetch(rs, REC_URL, url, &rep, &p);
    if (rc <= 0) return rc;
    rc = decode_url(&p, out);
    freeReplyObject(rep);
    if (rc < 0) crawl_state__set_error(st, "redis: url record of %.200s does not fit", url);
    return rc < 0 ? rc : 1;
}

static int rs_put_url(crawl_state *st, const char *url, const url_record *rec)
{
    redis_state *rs = rs_of(st);
    cmd c;
    int rc = start_hset(rs, &c, REC_URL, url);
    if (rc < 0) return rc;
    encode_url(&c, rec);
    return put(rs, REC_URL, url, &c);
}

static int rs_get_source(crawl_state *st, const char *name, source_record *out)
{
    redis_state *rs = rs_of(st);
    pairs p;
    const pend *e = pending(rs, REC_SOURCE, name);
    if (e != NULL) {
        pairs_from_pend(e, &p);
        return decode_source(&p, name, out) < 0 ? FA_ECORRUPT : 1;
    }
    redisReply *rep;
    int rc = fetch(rs, REC_SOURCE, name, &rep, &p);
    if (rc <= 0) return rc;
    rc = decode_source(&p, name, out);
    freeReplyObject(rep);
    return rc < 0 ? rc : 1;
}

static int rs_put_source(crawl_state *st, const source_record *rec)
{
    redis_state *rs = rs_of(st);
    cmd c;
    int rc = start_hset(rs, &c, REC_SOURCE, rec->name);
    if (rc < 0) return rc;
    encode_source(&c, rec);
    return put(rs, REC_SOURCE, rec->name, &c);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names from Redis and from the open transaction, sorted, duplicates
 * dropped; each a malloc'd string. */
static int source_names(redis_state *rs, char ***names_out, size_t *n_out)
{
    char zkey[REDIS_STATE_PREFIX_MAX + 16];
    snprintf(zkey, sizeof zkey, "%ssources", rs->prefix);
    const char *argv[] = {"ZRANGE", zkey, "0", "-1"};
    redisReply *rep = NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    if (fa_redis_sync_command(rs->conn, &rep, 4, argv, NULL) < 0) return io_error(rs, "list");
    if (rep->type != REDIS_REPLY_ARRAY) {
        rc = reply_error(rs, rep, "ZRANGE");
        goto out;
    }
    cap = rep->elements + rs->txn_len + 1;
    names = calloc(cap, sizeof *names);
    if (names == NULL) {
        rc = FA_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < rep->elements; i++) {
        const redisReply *el = rep->element[i];
        if (el->type != REDIS_REPLY_STRING || (names[n++] = strndup(el->str, el->len)) == NULL) {
            rc = el->type != REDIS_REPLY_STRING ? FA_ECORRUPT : FA_ENOMEM;
            goto out;
        }
    }
    for (const pend *e = rs->base.in_txn ? rs->txn : NULL; e != NULL; e = e->prev) {
        if (e->type != REC_SOURCE) continue;
        if ((names[n++] = strdup(e->name)) == NULL) {
            rc = FA_ENOMEM;
            goto out;
        }
    }
    qsort(names, n, sizeof *names, cmp_str);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (w > 0 && strcmp(names[w - 1], names[i]) == 0) {
            free(names[i]);
            continue;
        }
        names[w++] = names[i];
    }
    n = w;
out:
    freeReplyObject(rep);
    if (rc < 0) {
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        return rc;
    }
    *names_out = names;
    *n_out = n;
    return 0;
}

static int rs_list_sources(crawl_state *st, crawl_state_source_cb cb, void *ud)
{
    redis_state *rs = rs_of(st);
    char **names = NULL;
    size_t n = 0;
    source_record *rec = malloc(sizeof *rec);
    if (rec == NULL) return FA_ENOMEM;
    int rc = source_names(rs, &names, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        memset(rec, 0, sizeof *rec);
        rc = rs_get_source(st, names[i], rec);
        if (rc == 0) continue; /* listed but gone: a concurrent node's change */
        if (rc < 0) break;
        rc = cb(ud, rec);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(rec);
    return rc;
}

static int rs_get_robots(crawl_state *st, const char *host, robots_record *out, fa_buf *body)
{
    redis_state *rs = rs_of(st);
    pairs p;
    int rc;
    const pend *e = pending(rs, REC_ROBOTS, host);
    redisReply *rep = NULL;
    if (e != NULL) {
        pairs_from_pend(e, &p);
    } else if ((rc = fetch(rs, REC_ROBOTS, host, &rep, &p)) <= 0) {
        return rc;
    }
    rc = decode_robots(&p, out, body);
    if (rc == FA_ETOOBIG)
        crawl_state__set_error(st, "robots.txt for %s: %zu bytes do not fit the buffer", host,
                               out->body_len);
    freeReplyObject(rep);
    return rc < 0 ? rc : 1;
}

static int rs_put_robots(crawl_state *st, const char *host, const robots_record *rec,
                         const void *body, size_t len)
{
    redis_state *rs = rs_of(st);
    cmd c;
    int rc = start_hset(rs, &c, REC_ROBOTS, host);
    if (rc < 0) return rc;
    encode_robots(&c, rec, body, len);
    return put(rs, REC_ROBOTS, host, &c);
}

static int rs_get_backoff(crawl_state *st, const char *host, backoff_record *out)
{
    redis_state *rs = rs_of(st);
    pairs p;
    const pend *e = pending(rs, REC_BACKOFF, host);
    if (e != NULL) {
        pairs_from_pend(e, &p);
        return decode_backoff(&p, out) < 0 ? FA_ECORRUPT : 1;
    }
    redisReply *rep;
    int rc = fetch(rs, REC_BACKOFF, host, &rep, &p);
    if (rc <= 0) return rc;
    rc = decode_backoff(&p, out);
    freeReplyObject(rep);
    return rc < 0 ? rc : 1;
}

static int rs_put_backoff(crawl_state *st, const char *host, const backoff_record *rec)
{
    redis_state *rs = rs_of(st);
    cmd c;
    int rc = start_hset(rs, &c, REC_BACKOFF, host);
    if (rc < 0) return rc;
    encode_backoff(&c, rec);
    if (c.argc == 2) { /* a zeroed record: keep one field so the hash exists */
        cmd_arg(&c, "u", 1);
        cmd_arg(&c, "0", 1);
    }
    return put(rs, REC_BACKOFF, host, &c);
}

static int copy_kv(crawl_state *st, const char *key, const char *v, size_t len, char *val,
                   size_t cap)
{
    if (len >= cap) {
        crawl_state__set_error(st, "value of \"%s\": %zu bytes do not fit %zu", key, len, cap);
        return FA_ETOOBIG;
    }
    memcpy(val, v, len);
    val[len] = '\0';
    return 1;
}

static int rs_get_kv(crawl_state *st, const char *key, char *val, size_t cap)
{
    redis_state *rs = rs_of(st);
    const pend *e = pending(rs, REC_KV, key);
    if (e != NULL) return copy_kv(st, key, e->argv[3], e->lens[3], val, cap);
    int rc = make_key(rs, REC_KV, key);
    if (rc < 0) return rc;
    const char *argv[] = {"HGET", rs->key.data, key};
    redisReply *rep;
    if (fa_redis_sync_command(rs->conn, &rep, 3, argv, NULL) < 0) return io_error(rs, "read");
    if (rep->type == REDIS_REPLY_NIL)
        rc = 0;
    else if (rep->type == REDIS_REPLY_STRING)
        rc = copy_kv(st, key, rep->str, rep->len, val, cap);
    else
        rc = reply_error(rs, rep, "HGET");
    freeReplyObject(rep);
    return rc;
}

static int rs_put_kv(crawl_state *st, const char *key, const char *val)
{
    redis_state *rs = rs_of(st);
    cmd c;
    int rc = start_hset(rs, &c, REC_KV, key);
    if (rc < 0) return rc;
    cmd_arg(&c, key, strlen(key));
    cmd_arg(&c, val, strlen(val));
    return put(rs, REC_KV, key, &c);
}

static void rs_close(crawl_state *st)
{
    redis_state *rs = rs_of(st);
    drop_txn(rs);
    fa_redis_sync_close(rs->conn);
    fa_buf_free(&rs->key);
    crawl_state__destroy(st);
    free(rs);
}

static const crawl_state_ops redis_ops = {
    .name = "redis",
    .begin = rs_begin,
    .commit = rs_commit,
    .rollback = rs_rollback,
    .get_url = rs_get_url,
    .put_url = rs_put_url,
    .get_source = rs_get_source,
    .put_source = rs_put_source,
    .list_sources = rs_list_sources,
    .get_robots = rs_get_robots,
    .put_robots = rs_put_robots,
    .get_backoff = rs_get_backoff,
    .put_backoff = rs_put_backoff,
    .get_kv = rs_get_kv,
    .put_kv = rs_put_kv,
    .close = rs_close,
};

static int prefix_ok(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > REDIS_STATE_PREFIX_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] <= 0x20 || p[i] == 0x7f) return 0;
    return 1;
}

int crawl_state_open_redis(const char *url, const char *password, const char *prefix,
                           crawl_state **out, char *err, size_t errlen)
{
    redis_state *rs = NULL;
    redisReply *rep = NULL;
    int rc;
    if (err != NULL && errlen > 0) err[0] = '\0';
    if (out == NULL || url == NULL) return FA_EINVAL;
    *out = NULL;
    if (prefix == NULL) prefix = CRAWL_STATE_REDIS_PREFIX;
    if (!prefix_ok(prefix)) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "redis key prefix: 1 to %d printable bytes, no spaces",
                     REDIS_STATE_PREFIX_MAX);
        return FA_EINVAL;
    }
    rs = calloc(1, sizeof *rs);
    if (rs == NULL) return FA_ENOMEM;
    fa_buf_init(&rs->key, (size_t)REDIS_STATE_PREFIX_MAX + 16 + CRAWL_STATE_URL_MAX);
    strcpy(rs->prefix, prefix);
    if ((rc = crawl_state__init(&rs->base, &redis_ops)) < 0) {
        fa_buf_free(&rs->key);
        free(rs);
        return rc;
    }
    rc = fa_redis_sync_open(url, password, 0, &rs->conn, err, errlen);
    if (rc < 0) goto fail;
    /* the schema: set on first use, checked after */
    char kvkey[REDIS_STATE_PREFIX_MAX + 8];
    snprintf(kvkey, sizeof kvkey, "%skv", prefix);
    const char *setnx[] = {"HSETNX", kvkey, "schema_version", REDIS_STATE_SCHEMA};
    const char *get[] = {"HGET", kvkey, "schema_version"};
    if (fa_redis_sync_command(rs->conn, &rep, 4, setnx, NULL) < 0 ||
        rep->type == REDIS_REPLY_ERROR) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "redis: %s", rep ? rep->str : fa_redis_sync_errmsg(rs->conn));
        rc = FA_EIO;
        goto fail;
    }
    freeReplyObject(rep);
    if (fa_redis_sync_command(rs->conn, &rep, 3, get, NULL) < 0) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "redis: %s", fa_redis_sync_errmsg(rs->conn));
        rc = FA_EIO;
        goto fail;
    }
    if (rep->type != REDIS_REPLY_STRING || strcmp(rep->str, REDIS_STATE_SCHEMA) != 0) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen,
                     "redis: %skv schema_version is %.32s, this build knows %s (a newer "
                     "feedarc's state, or a foreign key)",
                     prefix, rep->type == REDIS_REPLY_STRING ? rep->str : "not a string",
                     REDIS_STATE_SCHEMA);
        rc = FA_EINVAL;
        goto fail;
    }
    freeReplyObject(rep);
    *out = &rs->base;
    return 0;
fail:
    if (rep != NULL) freeReplyObject(rep);
    rs_close(&rs->base);
    return rc;
}
