/*
 * fa_buf.h - a growable byte buffer with a ceiling.
 *
 * Every buffer fed by the network has a maximum size fixed when it is
 * created (the idea of curl's dynbuf): appending past it fails with
 * FA_ETOOBIG and leaves the buffer as it was.  The data is always followed by
 * a NUL byte (not counted in len) so text can be used as a C string.
 *
 * A zeroed fa_buf is not valid; call fa_buf_init.  The buffer owns data;
 * fa_buf_free releases it and may be called on an initialised or zeroed
 * buffer.
 */
#ifndef FA_BUF_H
#define FA_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct fa_buf {
    char *data;  /* NULL until the first append */
    size_t len;  /* bytes used */
    size_t cap;  /* bytes allocated */
    size_t max;  /* ceiling on len */
} fa_buf;

/* Prepares an empty buffer that may grow to max bytes. */
void fa_buf_init(fa_buf *b, size_t max);

/* Appends len bytes. Returns 0, FA_ETOOBIG past max, or FA_ENOMEM. */
int fa_buf_append(fa_buf *b, const void *data, size_t len);

/* Appends a NUL-terminated string. */
int fa_buf_puts(fa_buf *b, const char *s);

/* Appends printf-formatted text. */
int fa_buf_printf(fa_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int fa_buf_vprintf(fa_buf *b, const char *fmt, va_list ap);

/* Makes room for at least extra more bytes without changing len. */
int fa_buf_reserve(fa_buf *b, size_t extra);

/* Empties the buffer, keeping its allocation. */
void fa_buf_reset(fa_buf *b);

/* Hands the data to the caller (who must free() it) and empties the buffer.
 * Returns an empty string rather than NULL when nothing was appended. */
char *fa_buf_steal(fa_buf *b, size_t *len_out);

void fa_buf_free(fa_buf *b);

#endif
