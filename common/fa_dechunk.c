/* fa_dechunk.c - chunked transfer-coding decoder; see fa_dechunk.h. */
#include "common/fa_dechunk.h"
#include "common/fa_err.h"

enum {
    S_SIZE,      /* reading hex digits of the chunk size */
    S_EXT,       /* skipping chunk extensions up to CR LF */
    S_SIZE_LF,   /* expecting LF after the size line's CR */
    S_DATA,      /* inside chunk data */
    S_DATA_CR,   /* expecting CR after chunk data */
    S_DATA_LF,   /* expecting LF after chunk data */
    S_TRAILER,   /* at the start of a trailer line (or the final CRLF) */
    S_TRAILER_LINE,
    S_DONE
};

#define MAX_LINE 4096 /* a ceiling on size-extension and trailer lines */

void fa_dechunk_init(fa_dechunk *d)
{
    d->state = S_SIZE;
    d->remaining = 0;
    d->digits = 0;
    d->line_len = 0;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int fa_dechunk_feed(fa_dechunk *d, const void *in, size_t len,
                    int (*out)(void *ud, const void *data, size_t n), void *ud)
{
    const unsigned char *p = in, *end = p + len;
    while (p < end) {
        switch (d->state) {
        case S_SIZE: {
            int v = hexval(*p);
            if (v >= 0) {
                if (d->digits >= 15)
                    return FA_EPARSE;
                d->remaining = d->remaining * 16 + (uint64_t)v;
                d->digits++;
                p++;
            } else if (d->digits == 0) {
                return FA_EPARSE;
            } else if (*p == '\r') {
                d->state = S_SIZE_LF;
                p++;
            } else if (*p == '\n') {
                d->state = S_SIZE_LF; /* tolerate bare LF: reprocess */
            } else {
                d->state = S_EXT;
                d->line_len = 0;
            }
            break;
        }
        case S_EXT:
            if (*p == '\r' || *p == '\n') {
                d->state = S_SIZE_LF;
                if (*p == '\r')
                    p++;
            } else {
                if (++d->line_len > MAX_LINE)
                    return FA_EPARSE;
                p++;
            }
            break;
        case S_SIZE_LF:
            if (*p != '\n')
                return FA_EPARSE;
            p++;
            d->digits = 0;
            if (d->remaining == 0) {
                d->state = S_TRAILER;
            } else {
                d->state = S_DATA;
            }
            break;
        case S_DATA: {
            size_t n = (size_t)(end - p);
            if (n > d->remaining)
                n = (size_t)d->remaining;
            int rc = out(ud, p, n);
            if (rc < 0)
                return rc;
            p += n;
            d->remaining -= n;
            if (d->remaining == 0)
                d->state = S_DATA_CR;
            break;
        }
        case S_DATA_CR:
            if (*p == '\r') {
                d->state = S_DATA_LF;
                p++;
            } else if (*p == '\n') {
                d->state = S_DATA_LF;
            } else {
                return FA_EPARSE;
            }
            break;
        case S_DATA_LF:
            if (*p != '\n')
                return FA_EPARSE;
            p++;
            d->state = S_SIZE;
            d->remaining = 0;
            break;
        case S_TRAILER:
            if (*p == '\r') {
                p++;
            } else if (*p == '\n') {
                p++;
                d->state = S_DONE;
                return 1;
            } else {
                d->state = S_TRAILER_LINE;
                d->line_len = 0;
            }
            break;
        case S_TRAILER_LINE:
            if (*p == '\n') {
                d->state = S_TRAILER;
            } else if (++d->line_len > MAX_LINE) {
                return FA_EPARSE;
            }
            p++;
            break;
        case S_DONE:
            return 1;
        }
    }
    return d->state == S_DONE ? 1 : 0;
}
