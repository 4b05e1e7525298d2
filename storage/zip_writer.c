/*
 * zip_writer.c - stored ZIP entries written in one pass; see zip_writer.h.
 *
 * Layout references: PKWARE APPNOTE.TXT 6.3 - 4.3.7 local file header,
 * 4.3.12 central directory header, 4.3.14/4.3.15 ZIP64 end of central
 * directory record and locator, 4.3.16 end of central directory record,
 * 4.5.3 the ZIP64 extended information extra field.  All integers are
 * little-endian.
 *
 * Output goes through a 1 MiB buffer; patching a local header flushes it
 * and uses pwrite at the header's offset, then writing goes on at the end.
 * What stays in memory is one small struct per entry (WACZ has six).
 */
#include "storage/zip_writer.h"

#include "common/fa_err.h"
#include "common/fa_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define OUT_BUF (1u << 20)
#define MAX_NAME 1024
#define MAX_ENTRIES 65535
#define U32_MAX_FIELD 0xFFFFFFFFu
#define LOCAL_FIXED 30
#define ZIP64_LOCAL_EXTRA 20 /* tag, size, uncompressed, compressed */

typedef struct zip_entry {
    char *name;
    uint32_t crc;
    uint64_t size;   /* stored: compressed = uncompressed */
    uint64_t offset; /* of the local header */
} zip_entry;

struct zip_writer {
    int fd;
    char *path, *tmp;
    uint8_t *buf;
    size_t buf_len;
    uint64_t pos; /* logical end of the file (buffer included) */
    uint16_t dos_time, dos_date;
    zip_entry *entries;
    size_t n, cap;
    int open_entry;
    uint64_t data_off; /* the current entry's data */
    EVP_MD_CTX *sha;
    char err[512];
};

static int fail(zip_writer *z, int code, const char *what)
{
    snprintf(z->err, sizeof z->err, "%s: %s: %s", z->path, what,
             code == FA_ENOMEM ? "out of memory" : strerror(errno));
    return code;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* fa_write_all / fa_pwrite_all (positional) as an FA_E* code. */
static int write_all(int fd, const uint8_t *p, size_t len, uint64_t off, int positional)
{
    int r = positional ? fa_pwrite_all(fd, p, len, off) : fa_write_all(fd, p, len);
    return r < 0 ? fa_err_from_errno(errno) : 0;
}

static int flush(zip_writer *z)
{
    int rc = write_all(z->fd, z->buf, z->buf_len, 0, 0);
    if (rc < 0) return fail(z, rc, "writing");
    z->buf_len = 0;
    return 0;
}

static int out(zip_writer *z, const void *data, size_t len)
{
    const uint8_t *p = data;
    z->pos += len;
    if (len >= OUT_BUF) { /* big pieces go straight through */
        if (z->buf_len && flush(z) < 0) return FA_EIO;
        int rc = write_all(z->fd, p, len, 0, 0);
        return rc < 0 ? fail(z, rc, "writing") : 0;
    }
    if (z->buf_len + len > OUT_BUF && flush(z) < 0) return FA_EIO;
    memcpy(z->buf + z->buf_len, p, len);
    z->buf_len += len;
    return 0;
}

int zip_writer_open(const char *path, zip_writer **outp, char *err, size_t errlen)
{
    *outp = NULL;
    zip_writer *z = calloc(1, sizeof *z);
    if (z) z->fd = -1;
    size_t pl = strlen(path);
    if (z == NULL || (z->path = strdup(path)) == NULL || (z->tmp = malloc(pl + 5)) == NULL ||
        (z->buf = malloc(OUT_BUF)) == NULL || (z->sha = EVP_MD_CTX_new()) == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        zip_writer_abort(z);
        return FA_ENOMEM;
    }
    snprintf(z->tmp, pl + 5, "%s.tmp", path);
    z->fd = open(z->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (z->fd < 0) {
        int rc = fa_err_from_errno(errno);
        snprintf(err, errlen, "%s: %s", z->tmp, strerror(errno));
        free(z->tmp);
        z->tmp = NULL; /* nothing to remove */
        zip_writer_abort(z);
        return rc;
    }
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    if (tm.tm_year < 80) tm.tm_year = 80; /* DOS dates start in 1980 */
    z->dos_time = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
    z->dos_date = (uint16_t)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday);
    *outp = z;
    return 0;
}

int zip_writer_begin(zip_writer *z, const char *name)
{
    size_t nl = strlen(name);
    if (z->open_entry || nl == 0 || nl > MAX_NAME || name[0] == '/') {
        snprintf(z->err, sizeof z->err, "%s: bad entry name or an entry still open: %s", z->path,
                 name);
        return FA_EINVAL;
    }
    if (z->n == MAX_ENTRIES) {
        snprintf(z->err, sizeof z->err, "%s: more than %d entries", z->path, MAX_ENTRIES);
        return FA_ETOOBIG;
    }
    if (z->n == z->cap) {
        size_t c = z->cap ? z->cap * 2 : 8;
        zip_entry *ne = realloc(z->entries, c * sizeof *ne);
        if (ne == NULL) return fail(z, FA_ENOMEM, "entry");
        z->entries = ne;
        z->cap = c;
    }
    zip_entry *e = &z->entries[z->n];
    memset(e, 0, sizeof *e);
    if ((e->name = strdup(name)) == NULL) return fail(z, FA_ENOMEM, "entry");
    e->offset = z->pos;
    z->n++;
    uint8_t h[LOCAL_FIXED + ZIP64_LOCAL_EXTRA];
    memset(h, 0, sizeof h);
    put32(h, 0x04034b50);
    put16(h + 4, 45);     /* version needed: ZIP64 */
    put16(h + 6, 0x0800); /* UTF-8 name */
    put16(h + 8, 0);      /* stored */
    put16(h + 10, z->dos_time);
    put16(h + 12, z->dos_date);
    /* crc at 14 and the sizes: patched by zip_writer_end */
    put32(h + 18, U32_MAX_FIELD);
    put32(h + 22, U32_MAX_FIELD);
    put16(h + 26, (uint16_t)nl);
    put16(h + 28, ZIP64_LOCAL_EXTRA);
    uint8_t *x = h + LOCAL_FIXED;
    put16(x, 0x0001);
    put16(x + 2, 16);
    int rc = out(z, h, LOCAL_FIXED);
    if (rc == 0) rc = out(z, name, nl);
    if (rc == 0) rc = out(z, x, ZIP64_LOCAL_EXTRA);
    if (rc < 0) return rc;
    z->data_off = z->pos;
    z->open_entry = 1;
    if (EVP_DigestInit_ex(z->sha, EVP_sha256(), NULL) != 1) return fail(z, FA_ENOMEM, "SHA-256");
    return 0;
}

int zip_writer_write(zip_writer *z, const void *data, size_t len)
{
    if (!z->open_entry) {
        snprintf(z->err, sizeof z->err, "%s: no entry open", z->path);
        return FA_EINVAL;
    }
    zip_entry *e = &z->entries[z->n - 1];
    for (size_t done = 0; done < len;) { /* zlib counts in uInt */
        size_t n = len - done > (1u << 30) ? (1u << 30) : len - done;
        e->crc = (uint32_t)crc32(e->crc, (const Bytef *)data + done, (uInt)n);
        done += n;
    }
    e->size += len;
    EVP_DigestUpdate(z->sha, data, len);
    return out(z, data, len);
}

uint64_t zip_writer_entry_data_offset(const zip_writer *z)
{
    return z->data_off;
}

uint64_t zip_writer_entry_size(const zip_writer *z)
{
    return z->open_entry ? z->entries[z->n - 1].size : 0;
}

int zip_writer_end(zip_writer *z, uint64_t *bytes, uint8_t sha256[32])
{
    if (!z->open_entry) {
        snprintf(z->err, sizeof z->err, "%s: no entry open", z->path);
        return FA_EINVAL;
    }
    zip_entry *e = &z->entries[z->n - 1];
    z->open_entry = 0;
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    EVP_DigestFinal_ex(z->sha, digest, &dl);
    if (sha256) memcpy(sha256, digest, 32);
    if (bytes) *bytes = e->size;
    /* patch: crc (offset 14) and the ZIP64 extra's two sizes */
    uint8_t crc[4], sizes[16];
    put32(crc, e->crc);
    put64(sizes, e->size);
    put64(sizes + 8, e->size);
    uint64_t x = e->offset + LOCAL_FIXED + strlen(e->name) + 4; /* the sizes */
    uint64_t buf_start = z->pos - z->buf_len;
    if (e->offset >= buf_start) { /* the whole header is still in the buffer */
        memcpy(z->buf + (e->offset + 14 - buf_start), crc, 4);
        memcpy(z->buf + (x - buf_start), sizes, 16);
        return 0;
    }
    if (z->buf_len && flush(z) < 0) return FA_EIO;
    int rc = write_all(z->fd, crc, 4, e->offset + 14, 1);
    if (rc == 0) rc = write_all(z->fd, sizes, 16, x, 1);
    return rc < 0 ? fail(z, rc, "patching a local header") : 0;
}

int zip_writer_close(zip_writer *z, char *err, size_t errlen)
{
    int rc = 0;
    if (z->open_entry) rc = zip_writer_end(z, NULL, NULL);
    uint64_t cd_off = z->pos;
    int need64 = z->n >= 0xFFFF;
    for (size_t i = 0; rc == 0 && i < z->n; i++) {
        zip_entry *e = &z->entries[i];
        size_t nl = strlen(e->name);
        /* the sizes always in a ZIP64 extra, as in the local header: some
         * readers (ReplayWeb.page's) take a central entry without extra
         * field to mean a local header without one */
        int far = e->offset >= U32_MAX_FIELD;
        uint8_t h[46], x[4 + 24];
        size_t xl = 4 + 16;
        put64(x + 4, e->size);
        put64(x + 12, e->size);
        if (far) {
            need64 = 1;
            put64(x + xl, e->offset);
            xl += 8;
        }
        put16(x, 0x0001);
        put16(x + 2, (uint16_t)(xl - 4));
        memset(h, 0, sizeof h);
        put32(h, 0x02014b50);
        put16(h + 4, 3 << 8 | 45); /* made by: Unix, 4.5 */
        put16(h + 6, 45);
        put16(h + 8, 0x0800);
        put16(h + 10, 0);
        put16(h + 12, z->dos_time);
        put16(h + 14, z->dos_date);
        put32(h + 16, e->crc);
        put32(h + 20, U32_MAX_FIELD);
        put32(h + 24, U32_MAX_FIELD);
        put16(h + 28, (uint16_t)nl);
        put16(h + 30, (uint16_t)xl);
        put32(h + 38, (uint32_t)0100644 << 16); /* regular file, rw-r--r-- */
        put32(h + 42, far ? U32_MAX_FIELD : (uint32_t)e->offset);
        rc = out(z, h, sizeof h);
        if (rc == 0) rc = out(z, e->name, nl);
        if (rc == 0) rc = out(z, x, xl);
    }
    uint64_t cd_size = z->pos - cd_off;
    if (cd_off >= U32_MAX_FIELD || cd_size >= U32_MAX_FIELD) need64 = 1;
    if (rc == 0 && need64) {
        uint8_t r[56], l[20];
        uint64_t r_off = z->pos;
        memset(r, 0, sizeof r);
        put32(r, 0x06064b50);
        put64(r + 4, sizeof r - 12);
        put16(r + 12, 3 << 8 | 45);
        put16(r + 14, 45);
        put64(r + 24, z->n);
        put64(r + 32, z->n);
        put64(r + 40, cd_size);
        put64(r + 48, cd_off);
        memset(l, 0, sizeof l);
        put32(l, 0x07064b50);
        put64(l + 8, r_off);
        put32(l + 16, 1);
        rc = out(z, r, sizeof r);
        if (rc == 0) rc = out(z, l, sizeof l);
    }
    if (rc == 0) {
        uint8_t eocd[22];
        uint16_t n16 = z->n >= 0xFFFF ? 0xFFFF : (uint16_t)z->n;
        memset(eocd, 0, sizeof eocd);
        put32(eocd, 0x06054b50);
        put16(eocd + 8, n16);
        put16(eocd + 10, n16);
        put32(eocd + 12, cd_size >= U32_MAX_FIELD ? U32_MAX_FIELD : (uint32_t)cd_size);
        put32(eocd + 16, cd_off >= U32_MAX_FIELD ? U32_MAX_FIELD : (uint32_t)cd_off);
        rc = out(z, eocd, sizeof eocd);
    }
    if (rc == 0) rc = flush(z);
    if (rc == 0 && fsync(z->fd) < 0) rc = fail(z, fa_err_from_errno(errno), "fsync");
    if (rc == 0 && close(z->fd) < 0) rc = fail(z, fa_err_from_errno(errno), "close");
    if (rc == 0) z->fd = -1;
    if (rc == 0 && rename(z->tmp, z->path) < 0)
        rc = fail(z, fa_err_from_errno(errno), "renaming the temporary file");
    if (rc < 0) {
        snprintf(err, errlen, "%s", z->err);
        zip_writer_abort(z);
        return rc;
    }
    free(z->tmp);
    z->tmp = NULL;
    zip_writer_abort(z); /* frees; nothing left to remove */
    return 0;
}

void zip_writer_abort(zip_writer *z)
{
    if (z == NULL) return;
    if (z->fd >= 0) close(z->fd);
    if (z->tmp) unlink(z->tmp);
    for (size_t i = 0; i < z->n; i++)
        free(z->entries[i].name);
    free(z->entries);
    EVP_MD_CTX_free(z->sha);
    free(z->buf);
    free(z->tmp);
    free(z->path);
    free(z);
}

const char *zip_writer_error(const zip_writer *z)
{
    return z ? z->err : "no zip writer";
}
