/*
 * warc_gz.c - gzip members of .warc.gz files: inflated one at a time at a
 * file offset (zlib), and written one per record (ISA-L's igzip); see
 * warc_gz.h.
 *
 * The reader keeps one input window (IN_CHUNK bytes of the file) between
 * calls, so walking a file member after member reads each byte once; a
 * member that starts outside the window refills it from the member's
 * offset.  The output buffer doubles as the member inflates, never past
 * max_out + 1 bytes.
 */
#include "storage/warc_gz.h"

#include "common/fa_err.h"

#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define IN_CHUNK ((size_t)256 * 1024)
#define OUT_MIN ((size_t)64 * 1024)

struct warc__gz_in {
    z_stream zs;
    int zs_ready;
    uint8_t *buf; /* IN_CHUNK bytes: the file from buf_off, buf_len of them */
    uint64_t buf_off;
    size_t buf_len;
};

warc__gz_in *warc__gz_in_new(void)
{
    warc__gz_in *g = calloc(1, sizeof *g);
    if (g == NULL) return NULL;
    g->buf = malloc(IN_CHUNK);
    if (g->buf == NULL) {
        free(g);
        return NULL;
    }
    return g;
}

void warc__gz_in_free(warc__gz_in *g)
{
    if (g == NULL) return;
    if (g->zs_ready) inflateEnd(&g->zs);
    free(g->buf);
    free(g);
}

/* Fills the window from off. Returns the bytes there (0 at end of file) or
 * a negative code. */
static int fill(warc__gz_in *g, int fd, uint64_t off, uint64_t file_size)
{
    g->buf_off = off;
    g->buf_len = 0;
    size_t want = IN_CHUNK;
    if (off >= file_size) return 0;
    if (file_size - off < want) want = (size_t)(file_size - off);
    while (g->buf_len < want) {
        ssize_t n = pread(fd, g->buf + g->buf_len, want - g->buf_len, (off_t)(off + g->buf_len));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fa_err_from_errno(errno);
        if (n == 0) break;
        g->buf_len += (size_t)n;
    }
    return 0;
}

int warc__gz_member(warc__gz_in *g, int fd, uint64_t off, uint64_t file_size, uint64_t max_out,
                    uint8_t **out, size_t *cap, size_t *out_len, uint64_t *member_len, char *err,
                    size_t errlen)
{
    z_stream *zs = &g->zs;
    int rc;
    size_t olen = 0;
    *out_len = 0;
    *member_len = 0;
    if (!g->zs_ready) {
        memset(zs, 0, sizeof *zs);
        if (inflateInit2(zs, 15 + 16) != Z_OK) { /* +16: gzip wrapper only */
            snprintf(err, errlen, "offset %llu: out of memory", (unsigned long long)off);
            return FA_ENOMEM;
        }
        g->zs_ready = 1;
    } else {
        inflateReset(zs);
    }
    if (off < g->buf_off || off >= g->buf_off + g->buf_len) {
        rc = fill(g, fd, off, file_size);
        if (rc < 0) {
            snprintf(err, errlen, "offset %llu: read: %s", (unsigned long long)off,
                     strerror(errno));
            return rc;
        }
    }
    size_t at = (size_t)(off - g->buf_off);
    if (g->buf_len - at >= 2 &&
        (g->buf[at] != WARC__GZ_MAGIC0 || g->buf[at + 1] != WARC__GZ_MAGIC1)) {
        snprintf(err, errlen, "offset %llu: not a gzip member (bytes %02x %02x)",
                 (unsigned long long)off, g->buf[at], g->buf[at + 1]);
        return FA_ECORRUPT;
    }
    zs->next_in = g->buf + at;
    zs->avail_in = (uInt)(g->buf_len - at);
    for (;;) {
        if (zs->avail_in == 0) {
            uint64_t next = g->buf_off + g->buf_len;
            rc = fill(g, fd, next, file_size);
            if (rc < 0) {
                snprintf(err, errlen, "offset %llu: read: %s", (unsigned long long)next,
                         strerror(errno));
                return rc;
            }
            if (g->buf_len == 0) {
                snprintf(err, errlen,
                         "offset %llu: gzip member truncated (the file ends %llu bytes later)",
                         (unsigned long long)off, (unsigned long long)(next - off));
                return FA_ECORRUPT;
            }
            zs->next_in = g->buf;
            zs->avail_in = (uInt)g->buf_len;
        }
        if (olen == *cap || *out == NULL) {
            if (olen > max_out) {
                snprintf(err, errlen, "offset %llu: gzip member inflates to more than %llu bytes",
                         (unsigned long long)off, (unsigned long long)max_out);
                return FA_ETOOBIG;
            }
            size_t c = *cap ? *cap * 2 : OUT_MIN;
            if (c > max_out + 1) c = (size_t)max_out + 1;
            if (c <= olen) c = olen + 1;
            uint8_t *np = realloc(*out, c);
            if (np == NULL) {
                snprintf(err, errlen, "offset %llu: out of memory for %zu bytes",
                         (unsigned long long)off, c);
                return FA_ENOMEM;
            }
            *out = np;
            *cap = c;
        }
        zs->next_out = *out + olen;
        zs->avail_out = (uInt)(*cap - olen > UINT32_MAX ? UINT32_MAX : *cap - olen);
        uInt room = zs->avail_out;
        int zr = inflate(zs, Z_NO_FLUSH);
        olen += room - zs->avail_out;
        if (olen > max_out) {
            snprintf(err, errlen, "offset %llu: gzip member inflates to more than %llu bytes",
                     (unsigned long long)off, (unsigned long long)max_out);
            return FA_ETOOBIG;
        }
        if (zr == Z_STREAM_END) break;
        if (zr == Z_OK || zr == Z_BUF_ERROR) continue;
        snprintf(err, errlen, "offset %llu: gzip member does not inflate: %s",
                 (unsigned long long)off,
                 zs->msg ? zs->msg : (zr == Z_MEM_ERROR ? "out of memory" : "bad data"));
        return zr == Z_MEM_ERROR ? FA_ENOMEM : FA_ECORRUPT;
    }
    uint64_t end = g->buf_off + (uint64_t)(zs->next_in - g->buf);
    *member_len = end - off;
    *out_len = olen;
    return 0;
}

/* ---- writing ----------------------------------------------------------- */

static const uint32_t level_buf_size[ISAL_DEF_MAX_LEVEL + 1] = {
    ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_DEFAULT, ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT};

/* Level 0 codes every member with one set of Huffman tables (it builds
 * none per member: that is its speed).  ISA-L's default tables are made
 * for any data; tables made from the histogram of the first TRAIN_BYTES of
 * records (WARC headers, HTTP heads, HTML) take 7% off the output at the
 * same speed (0.539 -> 0.502 of the WARC on the crawler's records). */
#define TRAIN_BYTES (4u << 20)

struct warc__gz_out {
    int level;
    uint8_t *level_buf; /* ISA-L's working memory for the level */
    uint8_t *buf;
    size_t cap;
    struct isal_huff_histogram *hist; /* level 0, until trained */
    struct isal_hufftables *tables;   /* level 0, once trained */
    uint64_t sampled;
};

warc__gz_out *warc__gz_out_new(int level)
{
    warc__gz_out *g = calloc(1, sizeof *g);
    if (g == NULL) return NULL;
    g->level = level < 0 ? 0 : level > ISAL_DEF_MAX_LEVEL ? ISAL_DEF_MAX_LEVEL : level;
    g->level_buf = malloc(level_buf_size[g->level] + 1); /* level 0 needs none */
    if (g->level == 0) g->hist = calloc(1, sizeof *g->hist);
    if (g->level_buf == NULL || (g->level == 0 && g->hist == NULL)) {
        warc__gz_out_free(g);
        return NULL;
    }
    return g;
}

void warc__gz_out_free(warc__gz_out *g)
{
    if (g == NULL) return;
    free(g->level_buf);
    free(g->hist);
    free(g->tables);
    free(g->buf);
    free(g);
}

size_t warc__gz_compress(warc__gz_out *g, const void *data, size_t len, const uint8_t **member)
{
    /* stored blocks at worst: 5 bytes per 64 KiB block, the gzip header and
     * trailer, a dynamic block header */
    size_t need = len + len / 8192 + 1024;
    struct isal_zstream s;
    if (len > UINT32_MAX - 4096) return 0; /* ISA-L counts in 32 bits */
    if (g->hist) {                         /* level 0: learn the tables from the first records */
        isal_update_histogram((uint8_t *)(uintptr_t)data, (int)len, g->hist);
        g->sampled += len;
        if (g->sampled >= TRAIN_BYTES) {
            g->tables = malloc(sizeof *g->tables);
            if (g->tables && isal_create_hufftables(g->tables, g->hist) != 0) {
                free(g->tables); /* keep the default tables */
                g->tables = NULL;
            }
            free(g->hist);
            g->hist = NULL;
        }
    }
    for (;;) {
        if (need > g->cap) {
            uint8_t *np = realloc(g->buf, need);
            if (np == NULL) return 0;
            g->buf = np;
            g->cap = need;
        }
        isal_deflate_stateless_init(&s);
        s.level = (uint32_t)g->level;
        s.level_buf = g->level_buf;
        s.level_buf_size = level_buf_size[g->level];
        s.gzip_flag = IGZIP_GZIP;
        if (g->tables) s.hufftables = g->tables;
        s.end_of_stream = 1;
        s.flush = NO_FLUSH;
        s.next_in = (uint8_t *)(uintptr_t)data;
        s.avail_in = (uint32_t)len;
        s.next_out = g->buf;
        s.avail_out = (uint32_t)(g->cap > UINT32_MAX ? UINT32_MAX : g->cap);
        int rc = isal_deflate_stateless(&s);
        if (rc == COMP_OK) break;
        if (rc != STATELESS_OVERFLOW || need > (size_t)UINT32_MAX) return 0;
        need *= 2;
    }
    *member = g->buf;
    return s.total_out;
}
