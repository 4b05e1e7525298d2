/*
 * fa_redis.c - an asynchronous Redis connection on a libuv loop.
 *
 * States: WAITING (the backoff timer runs) -> CONNECTING (hiredis connects;
 * AUTH, SELECT and PING are queued at once and go out when the socket is
 * writable) -> READY (the PING's reply came back) -> on any loss back to
 * WAITING.  One repeating "watch" timer checks the two deadlines hiredis
 * 0.14 does not keep: connecting (connect_timeout_ms) and replies
 * (command_timeout_ms without progress while commands wait).  A connection
 * past a deadline is freed (redisAsyncFree runs the waiting callbacks with
 * no reply) and the loss handled like any other.
 *
 * hiredis rules kept here (0.14 async.c): a context is never freed from
 * inside its connect or disconnect callback; after a failed connect the
 * connect callback is the last word (no disconnect callback follows); a free
 * from inside a reply callback is deferred by hiredis until the callback
 * returns, so `r->ac` is cleared by whoever gives a context up and stale
 * callbacks are recognised by comparing contexts.
 *
 * The adapter: one uv_poll_t per connection inside a small struct that
 * hiredis's cleanup hook closes; it is freed in the close callback.
 */
#include "common/fa_redis.h"
#include "common/fa_digest.h"
#include "common/fa_err.h"
#include "common/fa_time.h"

#include <hiredis/async.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum conn_state { ST_WAITING, ST_CONNECTING, ST_READY, ST_CLOSING };

struct fa_redis {
    uv_loop_t *loop;
    uv_timer_t retry; /* backoff before the next attempt */
    uv_timer_t watch; /* deadlines */
    int handles_open; /* of retry and watch, until their close callbacks */
    redisAsyncContext *ac;
    enum conn_state state;
    fa_redis_url url;
    char password[256];
    uint64_t connect_timeout_ms, command_timeout_ms, backoff_min_ms, backoff_max_ms;
    uint64_t backoff_ms;  /* the next wait */
    uint64_t attempt_ns;  /* monotonic start of the current attempt */
    uint64_t progress_ns; /* last reply, or the first send after none waited */
    uint64_t pending;     /* commands sent, callbacks not yet called */
    uint32_t rand_state;  /* jitter */
    fa_redis_state_cb on_state;
    void *ud;
    void (*on_closed)(void *ud);
    void *closed_ud;
    fa_redis_stats stats;
    char last_error[256];
};

typedef struct redis_req {
    fa_redis *r;
    fa_redis_reply_cb cb;
    void *ud;
} redis_req;

typedef struct redis_io {
    uv_poll_t poll;
    redisAsyncContext *ac; /* NULL once hiredis has cleaned up */
    int events;
} redis_io;

/* ---- the adapter ---- */

static void io_poll_cb(uv_poll_t *h, int status, int events)
{
    redis_io *io = h->data;
    /* An error on the socket: let hiredis read (and write) to find it. */
    if (status < 0) events = io->events;
    if (io->ac != NULL && (events & UV_READABLE)) redisAsyncHandleRead(io->ac);
    if (io->ac != NULL && (events & UV_WRITABLE)) redisAsyncHandleWrite(io->ac);
}

static void io_update(redis_io *io, int events)
{
    io->events = events;
    if (events)
        uv_poll_start(&io->poll, events, io_poll_cb);
    else
        uv_poll_stop(&io->poll);
}

static void io_add_read(void *p)
{
    redis_io *io = p;
    io_update(io, io->events | UV_READABLE);
}

static void io_del_read(void *p)
{
    redis_io *io = p;
    io_update(io, io->events & ~UV_READABLE);
}

static void io_add_write(void *p)
{
    redis_io *io = p;
    io_update(io, io->events | UV_WRITABLE);
}

static void io_del_write(void *p)
{
    redis_io *io = p;
    io_update(io, io->events & ~UV_WRITABLE);
}

static void io_closed(uv_handle_t *h)
{
    free(h->data);
}

static void io_cleanup(void *p)
{
    redis_io *io = p;
    io->ac = NULL;
    uv_close((uv_handle_t *)&io->poll, io_closed);
}

static int io_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    redis_io *io = calloc(1, sizeof *io);
    if (io == NULL) return FA_ENOMEM;
    if (uv_poll_init(loop, &io->poll, ac->c.fd) != 0) {
        free(io);
        return FA_EIO;
    }
    io->poll.data = io;
    io->ac = ac;
    ac->ev.data = io;
    ac->ev.addRead = io_add_read;
    ac->ev.delRead = io_del_read;
    ac->ev.addWrite = io_add_write;
    ac->ev.delWrite = io_del_write;
    ac->ev.cleanup = io_cleanup;
    return 0;
}

/* ---- states ---- */

static void set_error(fa_redis *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_error(fa_redis *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->last_error, sizeof r->last_error, fmt, ap);
    va_end(ap);
}

static void retry_cb(uv_timer_t *t);

/* The connection (or attempt) is gone; r->ac is already NULL.  Tells the
 * user if it was ready and schedules the next attempt. */
static void lost(fa_redis *r)
{
    if (r->state == ST_CLOSING) return;
    int was_ready = r->state == ST_READY;
    r->state = ST_WAITING;
    r->stats.losses++;
    r->pending = 0;
    /* capped exponential backoff, +-25 % jitter so nodes do not reconnect in step */
    uint64_t wait = r->backoff_ms;
    r->rand_state = r->rand_state * 1103515245u + 12345u;
    uint64_t quarter = wait / 4;
    if (quarter > 0) wait = wait - quarter + (r->rand_state >> 8) % (2 * quarter + 1);
    r->backoff_ms = r->backoff_ms * 2 > r->backoff_max_ms ? r->backoff_max_ms : r->backoff_ms * 2;
    uv_timer_start(&r->retry, retry_cb, wait, 0);
    if (was_ready && r->on_state != NULL) r->on_state(r, r->ud, 0, r->last_error);
}

/* Gives up the current connection from outside hiredis's callbacks (or
 * inside a reply callback, where hiredis defers the free). */
static void drop(fa_redis *r)
{
    redisAsyncContext *ac = r->ac;
    if (ac == NULL) return;
    r->ac = NULL;
    redisAsyncFree(ac);
    lost(r);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    fa_redis *r = ac->data;
    if (status == REDIS_OK || r == NULL || r->ac != ac) return;
    /* failed: hiredis frees ac after this returns; no disconnect callback */
    set_error(r, "cannot connect to %s:%d: %s", r->url.host, r->url.port,
              ac->errstr[0] ? ac->errstr : "connection failed");
    r->ac = NULL;
    lost(r);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    fa_redis *r = ac->data;
    if (r == NULL || r->ac != ac) return; /* given up by drop() or close */
    if (status != REDIS_OK)
        set_error(r, "connection to %s:%d lost: %s", r->url.host, r->url.port,
                  ac->errstr[0] ? ac->errstr : "error");
    else
        set_error(r, "connection to %s:%d closed", r->url.host, r->url.port);
    r->ac = NULL;
    lost(r);
}

/* Replies to AUTH, SELECT, PING; the PING's makes the connection ready. */
static void on_handshake(redisAsyncContext *ac, void *reply_, void *step_)
{
    fa_redis *r = ac->data;
    redisReply *reply = reply_;
    const char *step = step_;
    if (r == NULL || r->ac != ac || reply == NULL) return; /* the loss is handled elsewhere */
    if (reply->type == REDIS_REPLY_ERROR) {
        set_error(r, "%s refused by %s:%d: %.160s", step, r->url.host, r->url.port,
                  reply->str ? reply->str : "");
        drop(r);
        return;
    }
    if (strcmp(step, "PING") != 0) return;
    r->state = ST_READY;
    r->backoff_ms = r->backoff_min_ms;
    r->stats.connects++;
    r->last_error[0] = '\0';
    if (r->on_state != NULL) r->on_state(r, r->ud, 1, "");
}

static void handshake(fa_redis *r, const char *step, int argc, const char **argv)
{
    if (redisAsyncCommandArgv(r->ac, on_handshake, (void *)step, argc, argv, NULL) != REDIS_OK)
        set_error(r, "cannot queue %s", step);
}

static void attempt(fa_redis *r)
{
    r->attempt_ns = fa_time_mono_ns();
    r->state = ST_CONNECTING;
    redisAsyncContext *ac = redisAsyncConnect(r->url.host, r->url.port);
    if (ac == NULL || ac->err) {
        set_error(r, "cannot connect to %s:%d: %s", r->url.host, r->url.port,
                  ac ? ac->errstr : "out of memory");
        if (ac != NULL) redisAsyncFree(ac);
        lost(r);
        return;
    }
    if (io_attach(ac, r->loop) < 0) {
        set_error(r, "cannot watch the socket to %s:%d", r->url.host, r->url.port);
        redisAsyncFree(ac);
        lost(r);
        return;
    }
    ac->data = r;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    r->ac = ac;
    if (r->password[0] != '\0') {
        const char *a3[] = {"AUTH", r->url.user, r->password};
        const char *a2[] = {"AUTH", r->password};
        if (r->url.user[0] != '\0')
            handshake(r, "AUTH", 3, a3);
        else
            handshake(r, "AUTH", 2, a2);
    }
    if (r->url.db != 0) {
        char db[16];
        snprintf(db, sizeof db, "%d", r->url.db);
        const char *a[] = {"SELECT", db};
        handshake(r, "SELECT", 2, a);
    }
    const char *ping[] = {"PING"};
    handshake(r, "PING", 1, ping);
}

static void retry_cb(uv_timer_t *t)
{
    fa_redis *r = t->data;
    if (r->state == ST_WAITING) attempt(r);
}

static void watch_cb(uv_timer_t *t)
{
    fa_redis *r = t->data;
    uint64_t now = fa_time_mono_ns();
    if (r->state == ST_CONNECTING && now - r->attempt_ns > r->connect_timeout_ms * 1000000u) {
        set_error(r, "connecting to %s:%d timed out after %llu ms", r->url.host, r->url.port,
                  (unsigned long long)r->connect_timeout_ms);
        drop(r);
    } else if (r->state == ST_READY && r->pending > 0 &&
               now - r->progress_ns > r->command_timeout_ms * 1000000u) {
        set_error(r, "no reply from %s:%d for %llu ms", r->url.host, r->url.port,
                  (unsigned long long)r->command_timeout_ms);
        drop(r);
    }
}

/* ---- public ---- */

int fa_redis_open(uv_loop_t *loop, const fa_redis_options *o, fa_redis **out, char *err,
                  size_t errlen)
{
    if (err != NULL && errlen > 0) err[0] = '\0';
    if (out != NULL) *out = NULL;
    if (loop == NULL || o == NULL || out == NULL || o->url == NULL) return FA_EINVAL;
    fa_redis *r = calloc(1, sizeof *r);
    if (r == NULL) return FA_ENOMEM;
    int rc = fa_redis_url_parse(o->url, &r->url, err, errlen);
    if (rc < 0) goto fail;
    if (r->url.tls) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "rediss:// (TLS) needs hiredis >= 1.0; this build has %d.%d",
                     HIREDIS_MAJOR, HIREDIS_MINOR);
        rc = FA_EINVAL;
        goto fail;
    }
    const char *pw = o->password != NULL && o->password[0] ? o->password : r->url.password;
    if (strlen(pw) >= sizeof r->password) {
        if (err != NULL && errlen > 0) snprintf(err, errlen, "password too long");
        rc = FA_EINVAL;
        goto fail;
    }
    strcpy(r->password, pw);
    r->loop = loop;
    r->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms : 5000;
    r->command_timeout_ms = o->command_timeout_ms ? o->command_timeout_ms : 10000;
    r->backoff_min_ms = o->backoff_min_ms ? o->backoff_min_ms : 100;
    r->backoff_max_ms = o->backoff_max_ms ? o->backoff_max_ms : 10000;
    if (r->backoff_max_ms < r->backoff_min_ms) r->backoff_max_ms = r->backoff_min_ms;
    r->backoff_ms = r->backoff_min_ms;
    r->rand_state = (uint32_t)fa_time_mono_ns() ^ (uint32_t)(uintptr_t)r;
    r->on_state = o->on_state;
    r->ud = o->ud;
    uv_timer_init(loop, &r->retry);
    uv_timer_init(loop, &r->watch);
    r->retry.data = r->watch.data = r;
    r->handles_open = 2;
    uint64_t tick = r->connect_timeout_ms < r->command_timeout_ms ? r->connect_timeout_ms
                                                                  : r->command_timeout_ms;
    tick = tick / 4 ? tick / 4 : 1;
    uv_timer_start(&r->watch, watch_cb, tick, tick);
    r->state = ST_WAITING;
    attempt(r);
    *out = r;
    return 0;
fail:
    explicit_bzero(r->url.password, sizeof r->url.password);
    free(r);
    return rc;
}

int fa_redis_is_ready(const fa_redis *r)
{
    return r != NULL && r->state == ST_READY;
}

const char *fa_redis_last_error(const fa_redis *r)
{
    return r != NULL ? r->last_error : "";
}

static void on_reply(redisAsyncContext *ac, void *reply_, void *req_)
{
    redis_req *req = req_;
    fa_redis *r = req->r;
    redisReply *reply = reply_;
    if (r->ac == ac && r->pending > 0) r->pending--;
    if (reply != NULL) {
        r->progress_ns = fa_time_mono_ns();
        r->stats.replies++;
    } else {
        r->stats.failures++;
    }
    const char *why = NULL;
    if (reply == NULL)
        why = r->state == ST_CLOSING ? "closed"
              : r->last_error[0]     ? r->last_error
                                     : "connection lost";
    fa_redis_reply_cb cb = req->cb;
    void *ud = req->ud;
    free(req);
    if (cb != NULL) cb(r, ud, reply, why);
}

/* Bytes of a command in RESP: "*argc\r\n" then "$len\r\narg\r\n" each. */
static uint64_t resp_size(int argc, const size_t *lens)
{
    char tmp[32];
    uint64_t n = (uint64_t)snprintf(tmp, sizeof tmp, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        n += (uint64_t)snprintf(tmp, sizeof tmp, "$%zu\r\n", lens[i]) + lens[i] + 2;
    return n;
}

int fa_redis_command(fa_redis *r, fa_redis_reply_cb cb, void *ud, int argc, const char **argv,
                     const size_t *lens)
{
    if (r == NULL || argc <= 0 || argv == NULL) return FA_EINVAL;
    if (r->state != ST_READY || r->ac == NULL) return FA_EIO;
    size_t small[16];
    size_t *l = small;
    if (lens == NULL) {
        if (argc > 16) {
            l = malloc(sizeof *l * (size_t)argc);
            if (l == NULL) return FA_ENOMEM;
        }
        for (int i = 0; i < argc; i++)
            l[i] = strlen(argv[i]);
    } else {
        l = (size_t *)lens;
    }
    int rc = 0;
    redis_req *req = malloc(sizeof *req);
    if (req == NULL) {
        rc = FA_ENOMEM;
        goto out;
    }
    req->r = r;
    req->cb = cb;
    req->ud = ud;
    if (redisAsyncCommandArgv(r->ac, on_reply, req, argc, argv, l) != REDIS_OK) {
        free(req);
        rc = FA_EIO;
        goto out;
    }
    if (r->pending++ == 0) r->progress_ns = fa_time_mono_ns();
    r->stats.commands++;
    r->stats.bytes_sent += resp_size(argc, l);
out:
    if (l != small && l != lens) free(l);
    return rc;
}

/* ---- scripts ---- */

void fa_redis_script_init(fa_redis_script *s, const char *text)
{
    uint8_t d[20];
    static const char hex[] = "0123456789abcdef";
    s->text = text;
    fa_sha1_oneshot(text, strlen(text), d);
    for (int i = 0; i < 20; i++) {
        s->sha1[2 * i] = hex[d[i] >> 4];
        s->sha1[2 * i + 1] = hex[d[i] & 15];
    }
    s->sha1[40] = '\0';
}

#define EVAL_ARGS_MAX 32

/* An EVALSHA in flight: what is needed to send it again as EVAL. */
typedef struct eval_call {
    const fa_redis_script *script;
    fa_redis_reply_cb cb;
    void *ud;
    int argc; /* of argv: "EVALSHA", sha, nkeys, keys..., args... */
    const char *argv[EVAL_ARGS_MAX + 3];
    char nkeys[12];
    char *copy; /* the keys' and args' bytes */
} eval_call;

static void eval_free(eval_call *c)
{
    free(c->copy);
    free(c);
}

static void on_eval(fa_redis *r, void *ud, redisReply *reply, const char *err)
{
    eval_call *c = ud;
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR && reply->str != NULL &&
        strncmp(reply->str, "NOSCRIPT", 8) == 0 && strcmp(c->argv[0], "EVALSHA") == 0) {
        c->argv[0] = "EVAL";
        c->argv[1] = c->script->text;
        if (fa_redis_command(r, on_eval, c, c->argc, c->argv, NULL) == 0) return;
        reply = NULL;
        err = "connection lost";
    }
    if (c->cb != NULL) c->cb(r, c->ud, reply, err);
    eval_free(c);
}

int fa_redis_eval(fa_redis *r, const fa_redis_script *s, int nkeys, const char **keys, int nargs,
                  const char **args, fa_redis_reply_cb cb, void *ud)
{
    if (r == NULL || s == NULL || nkeys < 0 || nargs < 0 || nkeys + nargs > EVAL_ARGS_MAX ||
        (nkeys > 0 && keys == NULL) || (nargs > 0 && args == NULL))
        return FA_EINVAL;
    if (r->state != ST_READY) return FA_EIO;
    eval_call *c = calloc(1, sizeof *c);
    if (c == NULL) return FA_ENOMEM;
    size_t bytes = 0;
    for (int i = 0; i < nkeys; i++)
        bytes += strlen(keys[i]) + 1;
    for (int i = 0; i < nargs; i++)
        bytes += strlen(args[i]) + 1;
    c->copy = malloc(bytes ? bytes : 1);
    if (c->copy == NULL) {
        free(c);
        return FA_ENOMEM;
    }
    c->script = s;
    c->cb = cb;
    c->ud = ud;
    snprintf(c->nkeys, sizeof c->nkeys, "%d", nkeys);
    c->argv[0] = "EVALSHA";
    c->argv[1] = s->sha1;
    c->argv[2] = c->nkeys;
    c->argc = 3;
    char *p = c->copy;
    for (int i = 0; i < nkeys + nargs; i++) {
        const char *a = i < nkeys ? keys[i] : args[i - nkeys];
        size_t n = strlen(a) + 1;
        memcpy(p, a, n);
        c->argv[c->argc++] = p;
        p += n;
    }
    int rc = fa_redis_command(r, on_eval, c, c->argc, c->argv, NULL);
    if (rc < 0) eval_free(c);
    return rc;
}

void fa_redis_get_stats(const fa_redis *r, fa_redis_stats *out)
{
    if (out == NULL) return;
    if (r == NULL)
        memset(out, 0, sizeof *out);
    else
        *out = r->stats;
}

static void handle_closed(uv_handle_t *h)
{
    fa_redis *r = h->data;
    if (--r->handles_open > 0) return;
    void (*cb)(void *) = r->on_closed;
    void *ud = r->closed_ud;
    explicit_bzero(r->password, sizeof r->password);
    explicit_bzero(r->url.password, sizeof r->url.password);
    free(r);
    if (cb != NULL) cb(ud);
}

void fa_redis_close(fa_redis *r, void (*on_closed)(void *ud), void *ud)
{
    if (r == NULL || r->state == ST_CLOSING) return;
    r->state = ST_CLOSING;
    r->on_closed = on_closed;
    r->closed_ud = ud;
    redisAsyncContext *ac = r->ac;
    r->ac = NULL;
    if (ac != NULL) redisAsyncFree(ac); /* waiting callbacks: "closed" */
    uv_close((uv_handle_t *)&r->retry, handle_closed);
    uv_close((uv_handle_t *)&r->watch, handle_closed);
}
