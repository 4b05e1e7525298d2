/*
 * fa_redis_url.c - parsing "redis://[[user]:password@]host[:port][/db]".
 *
 * The grammar is the one redis-cli -u and most clients accept (RFC 3986
 * authority, the path's first segment is the database number).  Messages
 * say what is wrong without ever echoing the password.
 */
#include "common/fa_redis_url.h"
#include "common/fa_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t whylen, const char *fmt, ...)
{
    if (why != NULL && whylen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return FA_EINVAL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into out (cap bytes, NUL included).  0, or -1 on a
 * bad escape, a NUL byte or an overflow. */
static int decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n) return -1;
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0) return -1;
            c = h * 16 + l;
            i += 2;
        }
        if (c == 0 || w + 1 >= cap) return -1;
        out[w++] = (char)c;
    }
    out[w] = '\0';
    return 0;
}

/* A decimal number in [lo, hi] filling s[0..n) exactly. */
static int number(const char *s, size_t n, long lo, long hi, int *out)
{
    long v = 0;
    if (n == 0 || n > 9) return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static int host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

int fa_redis_url_parse(const char *url, fa_redis_url *out, char *why, size_t whylen)
{
    if (why != NULL && whylen > 0) why[0] = '\0';
    if (out == NULL) return FA_EINVAL;
    memset(out, 0, sizeof *out);
    out->port = FA_REDIS_DEFAULT_PORT;
    if (url == NULL) return fail(why, whylen, "no URL");
    size_t len = strnlen(url, FA_REDIS_URL_MAX);
    if (len >= FA_REDIS_URL_MAX)
        return fail(why, whylen, "longer than %d bytes", FA_REDIS_URL_MAX - 1);

    const char *p;
    if (strncmp(url, "redis://", 8) == 0) {
        p = url + 8;
    } else if (strncmp(url, "rediss://", 9) == 0) {
        out->tls = 1;
        p = url + 9;
    } else {
        return fail(why, whylen, "not a redis:// or rediss:// URL");
    }
    const char *end = url + len;
    /* authority ends at the first '/', '?' or '#' */
    const char *auth_end = p + strcspn(p, "/?#");
    const char *at = NULL;
    for (const char *q = p; q < auth_end; q++)
        if (*q == '@') at = q; /* the last '@': a password may hold an unescaped one */
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *user_end = colon != NULL ? colon : at;
        if (decode(p, (size_t)(user_end - p), out->user, sizeof out->user) < 0)
            return fail(why, whylen, "the user name is not valid (bad %%-escape or too long)");
        if (colon != NULL) {
            if (decode(colon + 1, (size_t)(at - colon - 1), out->password, sizeof out->password) <
                0)
                return fail(why, whylen, "the password is not valid (bad %%-escape or too long)");
            if (out->password[0] == '\0') return fail(why, whylen, "the password is empty");
        } else if (out->user[0] == '\0') {
            return fail(why, whylen, "an empty user name before '@'");
        }
        p = at + 1;
    }
    /* host */
    const char *host_end;
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(auth_end - p));
        if (close == NULL) return fail(why, whylen, "an IPv6 address without ']'");
        size_t n = (size_t)(close - p - 1);
        if (n == 0 || n >= sizeof out->host) return fail(why, whylen, "bad IPv6 address");
        for (size_t i = 0; i < n; i++) {
            char c = p[1 + i];
            if (hexval(c) < 0 && c != ':' && c != '.') return fail(why, whylen, "bad IPv6 address");
        }
        memcpy(out->host, p + 1, n);
        host_end = close + 1;
    } else {
        host_end = p;
        while (host_end < auth_end && *host_end != ':')
            host_end++;
        size_t n = (size_t)(host_end - p);
        if (n == 0) return fail(why, whylen, "no host");
        if (n >= sizeof out->host) return fail(why, whylen, "the host name is too long");
        for (size_t i = 0; i < n; i++)
            if (!host_char(p[i])) return fail(why, whylen, "the host name has a bad character");
        memcpy(out->host, p, n);
    }
    if (host_end < auth_end) {
        if (*host_end != ':') return fail(why, whylen, "junk after the host");
        if (number(host_end + 1, (size_t)(auth_end - host_end - 1), 1, 65535, &out->port) < 0)
            return fail(why, whylen, "the port is not a number in 1..65535");
    }
    p = auth_end;
    if (p < end && *p == '/') {
        p++;
        const char *db_end = p + strcspn(p, "?#");
        if (db_end > p && number(p, (size_t)(db_end - p), 0, FA_REDIS_DB_MAX, &out->db) < 0)
            return fail(why, whylen, "the database (the path) is not a number in 0..%d",
                        FA_REDIS_DB_MAX);
        p = db_end;
    }
    if (p < end) return fail(why, whylen, "query strings and fragments are not supported");
    return 0;
}

int fa_redis_url_format_public(const fa_redis_url *url, char *out, size_t cap)
{
    if (url == NULL || out == NULL || cap == 0) return FA_EINVAL;
    int ipv6 = strchr(url->host, ':') != NULL;
    int n = snprintf(out, cap, "%s://%s%s%s%s%s:%d/%d", url->tls ? "rediss" : "redis", url->user,
                     url->user[0] ? "@" : "", ipv6 ? "[" : "", url->host, ipv6 ? "]" : "",
                     url->port, url->db);
    if (n < 0 || (size_t)n >= cap) return FA_ETOOBIG;
    return 0;
}
