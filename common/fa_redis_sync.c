/*
 * fa_redis_sync.c - a blocking Redis connection for worker threads.
 *
 * hiredis's redisContext with a timeout on connect and on every read and
 * write (SO_RCVTIMEO/SO_SNDTIMEO): a Redis that stops answering costs a
 * worker timeout_ms, not its life.  After an I/O error the context is
 * dropped; the next append connects again (AUTH, SELECT) - once per call,
 * so a Redis that is down costs each call one connect timeout at most.
 */
#include "common/fa_redis.h"
#include "common/fa_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fa_redis_sync {
    redisContext *c;
    fa_redis_url url;
    char password[256];
    uint64_t timeout_ms;
    int queued; /* appended, replies not yet read */
    uint64_t commands;
    char errmsg[256];
};

static void set_err(fa_redis_sync *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(fa_redis_sync *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
    va_end(ap);
}

static void drop(fa_redis_sync *s)
{
    if (s->c != NULL) redisFree(s->c);
    s->c = NULL;
    s->queued = 0;
}

/* One handshake command; 0 or FA_EIO (the message set, the context dropped). */
static int handshake(fa_redis_sync *s, const char *step, int argc, const char **argv)
{
    redisReply *rep = redisCommandArgv(s->c, argc, argv, NULL);
    int rc = 0;
    if (rep == NULL) {
        set_err(s, "%s to %s:%d: %s", step, s->url.host, s->url.port, s->c->errstr);
        rc = FA_EIO;
    } else if (rep->type == REDIS_REPLY_ERROR) {
        set_err(s, "%s refused by %s:%d: %.160s", step, s->url.host, s->url.port, rep->str);
        rc = FA_EIO;
    }
    if (rep != NULL) freeReplyObject(rep);
    if (rc < 0) drop(s);
    return rc;
}

static int connect_now(fa_redis_sync *s)
{
    struct timeval tv = {(time_t)(s->timeout_ms / 1000),
                         (suseconds_t)(s->timeout_ms % 1000) * 1000};
    s->c = redisConnectWithTimeout(s->url.host, s->url.port, tv);
    if (s->c == NULL) {
        set_err(s, "out of memory");
        return FA_ENOMEM;
    }
    if (s->c->err) {
        set_err(s, "cannot connect to %s:%d: %s", s->url.host, s->url.port, s->c->errstr);
        drop(s);
        return FA_EIO;
    }
    if (redisSetTimeout(s->c, tv) != REDIS_OK) {
        set_err(s, "cannot set the timeout on %s:%d", s->url.host, s->url.port);
        drop(s);
        return FA_EIO;
    }
    redisEnableKeepAlive(s->c);
    int rc = 0;
    if (s->password[0] != '\0') {
        const char *a3[] = {"AUTH", s->url.user, s->password};
        const char *a2[] = {"AUTH", s->password};
        rc = s->url.user[0] ? handshake(s, "AUTH", 3, a3) : handshake(s, "AUTH", 2, a2);
    }
    if (rc == 0 && s->url.db != 0) {
        char db[16];
        snprintf(db, sizeof db, "%d", s->url.db);
        const char *a[] = {"SELECT", db};
        rc = handshake(s, "SELECT", 2, a);
    }
    return rc;
}

int fa_redis_sync_open(const char *url, const char *password, uint64_t timeout_ms,
                       fa_redis_sync **out, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0) err[0] = '\0';
    if (out != NULL) *out = NULL;
    if (url == NULL || out == NULL) return FA_EINVAL;
    fa_redis_sync *s = calloc(1, sizeof *s);
    if (s == NULL) return FA_ENOMEM;
    int rc = fa_redis_url_parse(url, &s->url, err, errlen);
    if (rc == 0 && s->url.tls) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "rediss:// (TLS) needs hiredis >= 1.0; this build has %d.%d",
                     HIREDIS_MAJOR, HIREDIS_MINOR);
        rc = FA_EINVAL;
    }
    const char *pw = password != NULL && password[0] ? password : s->url.password;
    if (rc == 0 && strlen(pw) >= sizeof s->password) {
        if (err != NULL && errlen > 0) snprintf(err, errlen, "password too long");
        rc = FA_EINVAL;
    }
    if (rc == 0) {
        strcpy(s->password, pw);
        s->timeout_ms = timeout_ms ? timeout_ms : 5000;
        rc = connect_now(s);
        if (rc < 0 && err != NULL && errlen > 0) snprintf(err, errlen, "%s", s->errmsg);
    }
    if (rc < 0) {
        fa_redis_sync_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int fa_redis_sync_append(fa_redis_sync *s, int argc, const char **argv, const size_t *lens)
{
    if (s == NULL || argc <= 0 || argv == NULL) return FA_EINVAL;
    if (s->c == NULL) {
        int rc = connect_now(s);
        if (rc < 0) return rc;
    }
    if (redisAppendCommandArgv(s->c, argc, argv, lens) != REDIS_OK) {
        set_err(s, "cannot queue a command: %s", s->c->errstr);
        drop(s);
        return FA_ENOMEM;
    }
    s->queued++;
    s->commands++;
    return 0;
}

int fa_redis_sync_read(fa_redis_sync *s, redisReply **reply)
{
    if (reply != NULL) *reply = NULL;
    if (s == NULL || reply == NULL) return FA_EINVAL;
    if (s->c == NULL || s->queued == 0) {
        set_err(s, "no reply to read (nothing queued, or the connection was lost)");
        return FA_EIO;
    }
    void *rep = NULL;
    if (redisGetReply(s->c, &rep) != REDIS_OK || rep == NULL) {
        set_err(s, "%s:%d: %s", s->url.host, s->url.port,
                s->c->errstr[0] ? s->c->errstr : "no reply");
        if (rep != NULL) freeReplyObject(rep);
        drop(s);
        return FA_EIO;
    }
    s->queued--;
    *reply = rep;
    return 0;
}

int fa_redis_sync_command(fa_redis_sync *s, redisReply **reply, int argc, const char **argv,
                          const size_t *lens)
{
    int rc = fa_redis_sync_append(s, argc, argv, lens);
    if (rc < 0) {
        if (reply != NULL) *reply = NULL;
        return rc;
    }
    return fa_redis_sync_read(s, reply);
}

const char *fa_redis_sync_errmsg(const fa_redis_sync *s)
{
    return s != NULL ? s->errmsg : "";
}

uint64_t fa_redis_sync_commands(const fa_redis_sync *s)
{
    return s != NULL ? s->commands : 0;
}

void fa_redis_sync_close(fa_redis_sync *s)
{
    if (s == NULL) return;
    drop(s);
    explicit_bzero(s->password, sizeof s->password);
    explicit_bzero(s->url.password, sizeof s->url.password);
    free(s);
}
