/* fa_buf.c - growable byte buffer with a ceiling; see fa_buf.h. */
#include "common/fa_buf.h"
#include "common/fa_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fa_buf_init(fa_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

int fa_buf_reserve(fa_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return FA_ETOOBIG;
    size_t need = b->len + extra + 1; /* +1 for the trailing NUL */
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1 > need ? b->max + 1 : need;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        return FA_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int fa_buf_append(fa_buf *b, const void *data, size_t len)
{
    int rc = fa_buf_reserve(b, len);
    if (rc < 0)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int fa_buf_puts(fa_buf *b, const char *s)
{
    return fa_buf_append(b, s, strlen(s));
}

int fa_buf_vprintf(fa_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return FA_EINVAL;
    if ((size_t)n < sizeof small)
        return fa_buf_append(b, small, (size_t)n);
    int rc = fa_buf_reserve(b, (size_t)n);
    if (rc < 0)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int fa_buf_printf(fa_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fa_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void fa_buf_reset(fa_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *fa_buf_steal(fa_buf *b, size_t *len_out)
{
    char *p = b->data;
    if (len_out)
        *len_out = b->len;
    if (p == NULL)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void fa_buf_free(fa_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
