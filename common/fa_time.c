/* fa_time.c - clocks and timestamp formats; see fa_time.h. */
#include "common/fa_time.h"
#include "common/fa_err.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t fa_time_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

uint64_t fa_time_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void split(int64_t t_ns, time_t *sec, long *nsec)
{
    int64_t s = t_ns / 1000000000LL, n = t_ns % 1000000000LL;
    if (n < 0) {
        n += 1000000000LL;
        s -= 1;
    }
    *sec = (time_t)s;
    *nsec = (long)n;
}

int fa_time_format_iso(int64_t t_ns, int frac_digits, char *out, size_t outlen)
{
    time_t sec;
    long nsec;
    split(t_ns, &sec, &nsec);
    struct tm tm;
    gmtime_r(&sec, &tm);
    if (frac_digits < 0)
        frac_digits = 0;
    if (frac_digits > 9)
        frac_digits = 9;
    char frac[12] = "";
    if (frac_digits > 0) {
        char all[10];
        snprintf(all, sizeof all, "%09ld", nsec);
        frac[0] = '.';
        memcpy(frac + 1, all, (size_t)frac_digits);
        frac[frac_digits + 1] = '\0';
    }
    int n = snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    if (n < 0 || (size_t)n >= outlen)
        return FA_EINVAL;
    return n;
}

int fa_time_format_14(int64_t t_ns, char out[15])
{
    time_t sec;
    long nsec;
    split(t_ns, &sec, &nsec);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%04d%02d%02d%02d%02d%02d", (tm.tm_year + 1900) % 10000,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, tmp, 14);
    out[14] = '\0';
    return 14;
}

int64_t fa_time_from_civil(int year, int mon, int day, int hour, int min, int sec)
{
    /* Howard Hinnant's days_from_civil. */
    int64_t y = year - (mon <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (mon + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + hour * 3600 + min * 60 + sec;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p))
            return FA_EPARSE;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return 0;
}

int fa_time_parse_rfc3339(const char *s, int64_t *t_ns)
{
    int Y, M, D, h = 0, m = 0, sec = 0;
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' ||
        digits(&p, 2, &D))
        return FA_EPARSE;
    long frac_ns = 0;
    int off = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &m))
            return FA_EPARSE;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec))
                return FA_EPARSE;
        }
        if (*p == '.' || *p == ',') {
            p++;
            long scale = 100000000;
            while (isdigit((unsigned char)*p)) {
                frac_ns += (*p - '0') * scale;
                scale /= 10;
                p++;
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om = 0;
            p++;
            if (digits(&p, 2, &oh))
                return FA_EPARSE;
            if (*p == ':')
                p++;
            if (isdigit((unsigned char)*p) && digits(&p, 2, &om))
                return FA_EPARSE;
            off = sign * (oh * 3600 + om * 60);
        }
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p != '\0' || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
        return FA_EPARSE;
    int64_t t = fa_time_from_civil(Y, M, D, h, m, sec) - off;
    *t_ns = t * 1000000000LL + frac_ns;
    return 0;
}
