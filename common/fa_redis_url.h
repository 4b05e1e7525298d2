/*
 * fa_redis_url.h - the Redis address feedarc is given in a cluster config:
 *
 *     redis://[[user]:password@]host[:port][/db]
 *     rediss://...   (TLS: parsed, so the config can say why it is refused)
 *
 * host is a name, an IPv4 address or an IPv6 address in brackets
 * ("[::1]"); port defaults to 6379, db to 0.  user and password may be
 * percent-encoded ("p%40ss" is "p@ss").  "user@" without a password is
 * accepted: the password then comes from elsewhere (REDIS_PASSWORD), and
 * the public form below is exactly that, so it parses back.
 *
 * Pure parsing: no I/O, nothing allocated.  The parsed fields live in fixed
 * arrays inside the struct.
 */
#ifndef FA_REDIS_URL_H
#define FA_REDIS_URL_H

#include <stddef.h>

#define FA_REDIS_DEFAULT_PORT 6379
#define FA_REDIS_URL_MAX 1024 /* the whole URL, NUL included */
#define FA_REDIS_DB_MAX 1000000

typedef struct fa_redis_url {
    int tls;            /* 1 for rediss:// */
    char host[256];     /* without the IPv6 brackets */
    int port;           /* 1..65535 */
    int db;             /* 0..FA_REDIS_DB_MAX */
    char user[256];     /* "" = none (AUTH password alone) */
    char password[256]; /* "" = none */
} fa_redis_url;

/* Parses url into *out (zeroed first).  Returns 0, or FA_EINVAL with a
 * sentence in why (whylen bytes; why may be NULL) that never repeats the
 * password. */
int fa_redis_url_parse(const char *url, fa_redis_url *out, char *why, size_t whylen);

/* Writes url back without its password ("redis://user@host:port/db"), for
 * logs and `config check`.  Returns 0, or FA_ETOOBIG when cap is too small. */
int fa_redis_url_format_public(const fa_redis_url *url, char *out, size_t cap);

#endif
