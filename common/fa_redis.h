/*
 * fa_redis.h - a connection to Redis, the way the cluster mode needs it
 * (issue 15, docs/SCALING.md).
 *
 * Two kinds, both on hiredis (Debian bookworm: libhiredis-dev 0.14.1):
 *
 *   fa_redis        asynchronous, on a libuv loop (the crawl's own): commands
 *                   with a callback, never blocking the loop.  It connects
 *                   (AUTH, SELECT), reports ready / unready through a
 *                   callback (for /readyz), reconnects after a loss with
 *                   capped exponential backoff, and drops a connection that
 *                   gives no reply for command_timeout_ms while commands are
 *                   waiting (a frozen Redis must not freeze the crawl).
 *   fa_redis_sync   blocking, for worker threads (the crawl_state interface
 *                   is synchronous): one command or a pipeline at a time,
 *                   socket timeouts, a reconnect at the next call after a
 *                   loss.  Not thread-safe: one per thread, or a lock
 *                   around it (crawl_state has one).
 *
 * While the async connection is not ready, fa_redis_command fails at once
 * with FA_EIO: nothing is queued for later, so a caller sees an outage and
 * stops claiming work instead of piling up commands.
 *
 * hiredis 0.14 has no TLS (hiredis_ssl arrived in 1.0): rediss:// URLs are
 * refused (fa_redis_url.h parses them so the config can say so).  It has no
 * connect timeout for async connections and no command timeouts either:
 * both are done here with a uv timer.  Its libuv adapter
 * (hiredis/adapters/libuv.h) ignores poll errors and leaks on a failed
 * uv_poll_init, so this file carries its own few lines of adapter.
 *
 * Replies are hiredis's redisReply trees, valid during the callback only.
 * hiredis 0.14's reader has no ceiling on a reply's size: the cluster
 * modules only read values feedarc wrote, each bounded where it is written
 * (a robots.txt body at CRAWL_STATE_ROBOTS_MAX, ...).
 */
#ifndef FA_REDIS_H
#define FA_REDIS_H

#include "common/fa_redis_url.h"

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct fa_redis fa_redis;

/* A command's outcome: reply is the reply (possibly an error reply,
 * REDIS_REPLY_ERROR - a command that ran and failed) and err is NULL; or
 * reply is NULL and err says why there is none (connection lost, timed
 * out, closed).  Called exactly once per accepted command, never from
 * inside fa_redis_command.  The callback may send commands and may close
 * the connection. */
typedef void (*fa_redis_reply_cb)(fa_redis *r, void *ud, redisReply *reply, const char *err);

/* Readiness changes: ready is 1 once connected, authenticated and on the
 * right database; 0 when that is lost (why says how).  Called on every
 * change, not repeated.  The callback may close the connection. */
typedef void (*fa_redis_state_cb)(fa_redis *r, void *ud, int ready, const char *why);

typedef struct fa_redis_options {
    const char *url;             /* "redis://[user[:password]@]host[:port][/db]" (required) */
    const char *password;        /* overrides the URL's; NULL or "" = the URL's (if any) */
    uint64_t connect_timeout_ms; /* connect + AUTH + SELECT; 0 = 5 s */
    uint64_t command_timeout_ms; /* no reply for this long with commands waiting:
                                    the connection is dropped; 0 = 10 s */
    uint64_t backoff_min_ms;     /* first wait before reconnecting; 0 = 100 ms */
    uint64_t backoff_max_ms;     /* the wait doubles up to this; 0 = 10 s */
    fa_redis_state_cb on_state;  /* may be NULL */
    void *ud;                    /* for on_state */
} fa_redis_options;

/* Counters, for tests, metrics and sizing. */
typedef struct fa_redis_stats {
    uint64_t commands;   /* accepted by fa_redis_command */
    uint64_t bytes_sent; /* of those commands, in the Redis protocol */
    uint64_t replies;    /* delivered with a reply */
    uint64_t failures;   /* delivered without one (err) */
    uint64_t connects;   /* times the connection became ready */
    uint64_t losses;     /* times it stopped being ready, or an attempt failed */
} fa_redis_stats;

/* Parses o->url and starts connecting on loop (the first attempt begins at
 * once; readiness comes through o->on_state).  The connection's timers keep
 * the loop alive until fa_redis_close.  A host name is resolved by hiredis
 * with a blocking getaddrinfo at each attempt: give an IP address or a
 * name a local resolver answers at once (a compose service name).  On success *out belongs to
 * the caller until fa_redis_close.  Returns 0, FA_EINVAL (a bad or rediss://
 * URL: err says why, never with the password) or FA_ENOMEM.  err (errlen
 * bytes) may be NULL. */
int fa_redis_open(uv_loop_t *loop, const fa_redis_options *o, fa_redis **out, char *err,
                  size_t errlen);

/* 1 when commands are accepted now, else 0.  NULL gives 0. */
int fa_redis_is_ready(const fa_redis *r);

/* The last reason the connection was lost or an attempt failed ("" if
 * none). */
const char *fa_redis_last_error(const fa_redis *r);

/* Sends argv[0..argc) (lens[i] bytes each; lens NULL = NUL-terminated
 * strings).  Returns 0 and cb (which may be NULL) is called later exactly
 * once; or FA_EIO when not ready (cb is not called), FA_EINVAL, FA_ENOMEM. */
int fa_redis_command(fa_redis *r, fa_redis_reply_cb cb, void *ud, int argc, const char **argv,
                     const size_t *lens);

/* A Lua script sent by digest (EVALSHA), its text only when Redis does not
 * know it yet (NOSCRIPT: after a restart or SCRIPT FLUSH) - a script of a
 * few hundred bytes then costs ~45 bytes a call.  text is borrowed (a
 * string constant). */
typedef struct fa_redis_script {
    const char *text;
    char sha1[41]; /* hex */
} fa_redis_script;

/* Fills s for text. */
void fa_redis_script_init(fa_redis_script *s, const char *text);

/* EVALSHA s's digest with keys[0..nkeys) and args[0..nargs) (NUL-terminated
 * strings, at most 32 in all), falling back to EVAL s->text once on
 * NOSCRIPT; cb gets the script's reply as for fa_redis_command (the fallback
 * is invisible).  Returns as fa_redis_command. */
int fa_redis_eval(fa_redis *r, const fa_redis_script *s, int nkeys, const char **keys, int nargs,
                  const char **args, fa_redis_reply_cb cb, void *ud);

/* Copies the counters. */
void fa_redis_get_stats(const fa_redis *r, fa_redis_stats *out);

/* Closes the connection: commands waiting get their callback with err
 * "closed" (from here or, inside a callback, right after it returns), no
 * state callback follows, and once the loop has closed the handles
 * on_closed(ud) (may be NULL) is called and r is freed.  Run the loop until
 * then.  NULL is accepted.  Allowed inside this connection's callbacks. */
void fa_redis_close(fa_redis *r, void (*on_closed)(void *ud), void *ud);

/* ---- blocking ---- */

typedef struct fa_redis_sync fa_redis_sync;

/* Connects to url (password as for fa_redis_options) with timeout_ms (0 =
 * 5 s) for connecting and for each reply, then AUTH and SELECT.  Returns 0,
 * FA_EINVAL (bad URL), FA_EIO (unreachable, refused, authentication failed:
 * err says which) or FA_ENOMEM.  *out belongs to the caller
 * (fa_redis_sync_close). */
int fa_redis_sync_open(const char *url, const char *password, uint64_t timeout_ms,
                       fa_redis_sync **out, char *err, size_t errlen);

/* Queues a command (nothing is sent yet).  Returns 0, FA_EIO when the
 * connection is lost and cannot be made again (err in
 * fa_redis_sync_errmsg), FA_ENOMEM. */
int fa_redis_sync_append(fa_redis_sync *s, int argc, const char **argv, const size_t *lens);

/* Sends what is queued if needed and reads the next reply, one per
 * appended command, in order.  On 0, *reply is the caller's
 * (freeReplyObject); an error reply is returned as a reply.  FA_EIO on a
 * lost connection or a timeout: the connection is dropped (the commands
 * queued are gone; whether Redis ran them is unknown) and the next append
 * reconnects. */
int fa_redis_sync_read(fa_redis_sync *s, redisReply **reply);

/* append + read. */
int fa_redis_sync_command(fa_redis_sync *s, redisReply **reply, int argc, const char **argv,
                          const size_t *lens);

/* The last failure's message ("" if none). */
const char *fa_redis_sync_errmsg(const fa_redis_sync *s);

/* Commands sent since open (replies read count them), for sizing. */
uint64_t fa_redis_sync_commands(const fa_redis_sync *s);

/* Closes and frees s.  NULL is accepted. */
void fa_redis_sync_close(fa_redis_sync *s);

#endif
