/*
 * text_store.c - compressed main texts for confirmation (see text_store.h).
 */
#include "dedup/text_store.h"

#include "common/fa_err.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#define FILE_MAGIC "FATXT001"
#define FRAME_MAGIC 0x54585446u /* "FTXT" */
#define HDR 16
#define FRAME_HDR 24

struct text_store {
    int fd;
    uint64_t end;  /* file size: where the next frame goes */
    uint64_t *off; /* doc -> frame offset + 1 (0 = none) */
    size_t n_off, cap_off;
    ZSTD_CCtx *cctx; /* reused: a context per call costs more than compressing 3 KB */
    ZSTD_DCtx *dctx;
    fa_buf frame, comp;
};

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static int set_off(text_store *st, uint32_t doc, uint64_t off)
{
    if (doc >= st->cap_off) {
        size_t nc = st->cap_off ? st->cap_off : 1024;
        while (nc <= doc)
            nc += nc / 2;
        uint64_t *no = realloc(st->off, nc * sizeof *no);
        if (no == NULL) return FA_ENOMEM;
        memset(no + st->cap_off, 0, (nc - st->cap_off) * sizeof *no);
        st->off = no, st->cap_off = nc;
    }
    st->off[doc] = off + 1;
    if (doc >= st->n_off) st->n_off = (size_t)doc + 1;
    return 0;
}

static int full_pread(int fd, void *buf, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return r == 0 ? FA_ECORRUPT : FA_EIO;
        got += (size_t)r;
    }
    return 0;
}

static int full_pwrite(int fd, const void *buf, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pwrite(fd, (const char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return errno == ENOSPC ? FA_ENOSPC : FA_EIO;
        done += (size_t)r;
    }
    return 0;
}

/* Checks the payload of the frame at off (header h). */
static int frame_check(int fd, const uint8_t *h, uint64_t off)
{
    uint32_t clen = get32(h + 12);
    uint64_t want;
    memcpy(&want, h + 16, 8);
    void *p = malloc(clen ? clen : 1);
    if (p == NULL) return FA_ENOMEM;
    int rc = full_pread(fd, p, clen, off + FRAME_HDR);
    if (rc == 0 && XXH3_64bits(p, clen) != want) rc = FA_ECORRUPT;
    free(p);
    return rc;
}

int text_store_open(const char *dir, text_store **out)
{
    *out = NULL;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/dedup.txt", dir) >= (int)sizeof path) return FA_EINVAL;
    text_store *st = calloc(1, sizeof *st);
    if (st == NULL) return FA_ENOMEM;
    int rc = 0;
    st->cctx = ZSTD_createCCtx();
    st->dctx = ZSTD_createDCtx();
    fa_buf_init(&st->frame, 2 * TEXT_STORE_MAX_TEXT);
    fa_buf_init(&st->comp, 2 * TEXT_STORE_MAX_TEXT);
    if (st->cctx == NULL || st->dctx == NULL) {
        text_store_close(st);
        return FA_ENOMEM;
    }
    st->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (st->fd < 0) {
        free(st);
        return FA_EIO;
    }
    struct stat sb;
    if (fstat(st->fd, &sb) < 0) {
        rc = FA_EIO;
        goto out;
    }
    uint64_t size = (uint64_t)sb.st_size;
    uint8_t h[FRAME_HDR];
    if (size < HDR) { /* new (or torn while being created) */
        memset(h, 0, HDR);
        memcpy(h, FILE_MAGIC, 8);
        rc = full_pwrite(st->fd, h, HDR, 0);
        if (rc == 0 && ftruncate(st->fd, HDR) < 0) rc = FA_EIO;
        st->end = HDR;
        goto out;
    }
    rc = full_pread(st->fd, h, HDR, 0);
    if (rc == 0 && memcmp(h, FILE_MAGIC, 8) != 0) rc = FA_ECORRUPT;
    if (rc < 0) goto out;
    uint64_t off = HDR, last = 0;
    while (off + FRAME_HDR <= size) {
        if (full_pread(st->fd, h, FRAME_HDR, off) < 0 || get32(h) != FRAME_MAGIC ||
            off + FRAME_HDR + get32(h + 12) > size || get32(h + 8) > TEXT_STORE_MAX_TEXT)
            break;
        if ((rc = set_off(st, get32(h + 4), off)) < 0) goto out;
        last = off;
        off += FRAME_HDR + get32(h + 12);
    }
    /* the last whole frame is the one a crash may have torn */
    if (last && full_pread(st->fd, h, FRAME_HDR, last) == 0 && frame_check(st->fd, h, last) < 0) {
        st->off[get32(h + 4)] = 0;
        off = last;
    }
    st->end = off;
    if (off < size && ftruncate(st->fd, (off_t)off) < 0) rc = FA_EIO;
out:
    if (rc < 0) {
        text_store_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

static int frame_compress(ZSTD_CCtx *cctx, const char *text, size_t len, fa_buf *f)
{
    fa_buf_reset(f);
    if (len > TEXT_STORE_MAX_TEXT) len = TEXT_STORE_MAX_TEXT;
    size_t bound = ZSTD_compressBound(len);
    int rc = fa_buf_reserve(f, FRAME_HDR + bound);
    if (rc < 0) return rc;
    size_t c = ZSTD_compressCCtx(cctx, f->data + FRAME_HDR, bound, text ? text : "", len, 1);
    if (ZSTD_isError(c)) return FA_ENOMEM;
    uint8_t *h = (uint8_t *)f->data;
    put32(h, FRAME_MAGIC);
    put32(h + 4, UINT32_MAX); /* the doc id: set when the frame is put */
    put32(h + 8, (uint32_t)len);
    put32(h + 12, (uint32_t)c);
    uint64_t x = XXH3_64bits(f->data + FRAME_HDR, c);
    memcpy(h + 16, &x, 8);
    f->len = FRAME_HDR + c;
    return 0;
}

int text_store_put_frame(text_store *st, uint32_t doc, fa_buf *f)
{
    if (f->len < FRAME_HDR || get32((const uint8_t *)f->data) != FRAME_MAGIC ||
        (size_t)get32((const uint8_t *)f->data + 12) != f->len - FRAME_HDR)
        return FA_EINVAL;
    put32((uint8_t *)f->data + 4, doc);
    int rc = full_pwrite(st->fd, f->data, f->len, st->end);
    if (rc < 0) {
        if (ftruncate(st->fd, (off_t)st->end) < 0) { /* the next open cuts it */
        }
        return rc;
    }
    rc = set_off(st, doc, st->end);
    if (rc < 0) return rc;
    st->end += f->len;
    return 0;
}

int text_store_put(text_store *st, uint32_t doc, const char *text, size_t len)
{
    int rc = frame_compress(st->cctx, text, len, &st->frame);
    return rc < 0 ? rc : text_store_put_frame(st, doc, &st->frame);
}

/* One compression context per thread for text_store_frame_make, freed by
 * the key's destructor when the thread ends. */
static pthread_key_t cctx_key;
static int cctx_key_ok;
static pthread_once_t cctx_once = PTHREAD_ONCE_INIT;

static void cctx_free(void *p)
{
    ZSTD_freeCCtx(p);
}

static void cctx_key_init(void)
{
    cctx_key_ok = pthread_key_create(&cctx_key, cctx_free) == 0;
}

int text_store_frame_make(const char *text, size_t len, fa_buf *frame)
{
    pthread_once(&cctx_once, cctx_key_init);
    ZSTD_CCtx *cctx = cctx_key_ok ? pthread_getspecific(cctx_key) : NULL;
    if (cctx == NULL) {
        cctx = ZSTD_createCCtx();
        if (cctx == NULL) return FA_ENOMEM;
        if (!cctx_key_ok || pthread_setspecific(cctx_key, cctx) != 0) {
            int rc = frame_compress(cctx, text, len, frame); /* no key: a context for this call */
            ZSTD_freeCCtx(cctx);
            return rc;
        }
    }
    return frame_compress(cctx, text, len, frame);
}

/* A frame is read with one pread when it fits the guess: up to the next
 * document's frame when that follows it (documents are mostly stored in
 * id order), else GET_GUESS bytes; a longer frame takes a second read. */
#define GET_GUESS (8u << 10)

int text_store_get(text_store *st, uint32_t doc, fa_buf *out)
{
    fa_buf_reset(out);
    if (doc >= st->n_off || st->off[doc] == 0) return FA_ENOENT;
    uint64_t off = st->off[doc] - 1;
    uint64_t next = doc + 1 < st->n_off && st->off[doc + 1] ? st->off[doc + 1] - 1 : 0;
    size_t want =
        next > off + FRAME_HDR && next - off <= 8 * GET_GUESS ? (size_t)(next - off) : GET_GUESS;
    if (off + want > st->end) want = (size_t)(st->end - off);
    if (want < FRAME_HDR) return FA_ECORRUPT;
    fa_buf_reset(&st->comp);
    int rc = fa_buf_reserve(&st->comp, want);
    if (rc < 0) return rc;
    rc = full_pread(st->fd, st->comp.data, want, off);
    if (rc < 0) return rc;
    const uint8_t *h = (const uint8_t *)st->comp.data;
    uint32_t len = get32(h + 8), clen = get32(h + 12);
    if (get32(h) != FRAME_MAGIC || get32(h + 4) != doc || len > TEXT_STORE_MAX_TEXT ||
        clen > 2 * TEXT_STORE_MAX_TEXT)
        return FA_ECORRUPT;
    size_t need = (size_t)FRAME_HDR + clen;
    if (need > want) {
        rc = fa_buf_reserve(&st->comp, need);
        if (rc == 0) rc = full_pread(st->fd, st->comp.data + want, need - want, off + want);
        if (rc < 0) return rc;
    }
    rc = fa_buf_reserve(out, (size_t)len + 1);
    if (rc == 0) {
        size_t d = ZSTD_decompressDCtx(st->dctx, out->data, len, st->comp.data + FRAME_HDR, clen);
        if (ZSTD_isError(d) || d != len)
            rc = FA_ECORRUPT;
        else
            out->len = len, out->data[len] = 0;
    }
    return rc;
}

size_t text_store_memory(const text_store *st)
{
    return st ? sizeof *st + st->cap_off * sizeof *st->off : 0;
}

uint64_t text_store_file_bytes(const text_store *st)
{
    return st ? st->end : 0;
}

int text_store_sync(text_store *st)
{
    return st && fdatasync(st->fd) < 0 ? FA_EIO : 0;
}

void text_store_close(text_store *st)
{
    if (st == NULL) return;
    int fd = st->fd; /* memory first, the fdatasync last (dedup_index_file.c) */
    free(st->off);
    ZSTD_freeCCtx(st->cctx);
    ZSTD_freeDCtx(st->dctx);
    fa_buf_free(&st->frame);
    fa_buf_free(&st->comp);
    free(st);
    if (fd > 0) {
        (void)fdatasync(fd);
        close(fd);
    }
}
