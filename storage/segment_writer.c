/*
 * segment_writer.c - WARC/1.1 request/response pairs into zstd segments.
 *
 * Segment layout
 * --------------
 * A segment is a sequence of independent zstd frames, one WARC record each
 * (the warc.zst convention of the IIPC WARC 1.1 annotations and of
 * Webrecorder's wacz tooling):
 *
 *     [warcinfo][request][response][request][response] ...
 *
 * Every frame states its decompressed size in its header (so a reader can
 * allocate exactly, and `zstd -l` shows it) and ends with a content
 * checksum.  A record is its WARC header lines (CRLF), an empty line, the
 * block (Content-Length bytes) and CRLF CRLF.  The request of a pair names
 * its response in WARC-Concurrent-To; the two frames are adjacent.
 *
 * The path of one exchange
 * ------------------------
 *   1. In the caller's thread, with a worker taken from a small pool (a
 *      mutex-protected free list of {ZSTD_CCtx, two SHA-1 contexts, an
 *      output buffer}; thread-locals would leak contexts into every crawler
 *      thread and never shrink):
 *        a. one pass over the request and the response (head + body) for
 *           WARC-Block-Digest and WARC-Payload-Digest together - the payload
 *           digest is fed through the de-chunker when body_chunked is set;
 *        b. the WARC headers, which now know the digests and lengths;
 *        c. a second pass compressing each record as a single frame with
 *           ZSTD_compressStream2 after ZSTD_CCtx_setPledgedSrcSize, so the
 *           content size lands in the frame header while a file-backed body
 *           is streamed through fa_spool_foreach and never loaded whole.
 *      The compressed pair goes to the worker's memory buffer.  When the
 *      body has spilled to a file (the spool decided it is too big for
 *      memory), the response frame goes to an unlinked temporary file in
 *      the spool's tmp_dir instead, so memory stays flat for big bodies.
 *   2. Under the writer's lock: roll over if needed, then append the two
 *      frames at the current end with pwrite (and copy_file_range from the
 *      temporary file).  Nothing else happens under the lock.
 *
 * Files and failure
 * -----------------
 * The segment being written is `<prefix>-<YYYYMMDDhhmmss>-<NNNNN>.warc.zst
 * .open`.  Closing it is fsync(file), rename to drop `.open` (refusing to
 * replace an existing file), fsync(dir): after a crash, a name without
 * `.open` is a complete segment.  The serial grows with each segment of a
 * writer and skips names already present in the folder.
 *
 * A roll-over happens when the current size plus the pair's compressed size
 * would pass max_size, unless the segment holds no pair yet (an oversized
 * pair gets a segment of its own rather than failing).
 *
 * A failed append (ENOSPC, EIO, EFBIG) truncates the file back to the end
 * of the last whole record and returns the mapped FA_E* code; the writer
 * stays usable.  If even the truncation fails the segment is marked broken
 * and the next pair starts a new segment.  The message of the last error is
 * logged (component "warc") and kept for segment_writer_last_error.
 */
#include "storage/segment_writer.h"
#include "storage/warc_record.h"

#include "common/fa_buf.h"
#include "common/fa_digest.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "common/fa_time.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#ifndef FEEDARC_VERSION
#define FEEDARC_VERSION "0"
#endif

#define DEFAULT_MAX_SIZE (1ULL << 30)
#define POOL_KEEP 16               /* idle workers kept */
#define WORKER_BUF_KEEP (1u << 20) /* larger buffers are freed on release */
#define TMP_FLUSH (1u << 20)       /* staging size when compressing to a file */
#define MAX_URI 8192               /* ceiling on WARC-Target-URI */
#define MAX_HEADER (MAX_URI + 2048)
#define MAX_SERIAL_TRIES 100000

typedef struct worker {
    struct worker *next;
    ZSTD_CCtx *cctx;
    fa_sha1 *sha_block;
    fa_sha1 *sha_payload;
    fa_buf hdr; /* WARC header text of the record being built */
    fa_buf out; /* compressed frames (or staging for a temporary file) */
} worker;

struct segment_writer {
    pthread_mutex_t lock; /* guards everything below up to pool_lock */
    int dirfd;
    int fd;             /* current segment, -1 when none is open */
    int broken;         /* the segment has a tail we could not truncate */
    char name[256];     /* final name of the current segment */
    uint64_t size;      /* bytes of whole records in the current segment */
    uint64_t info_size; /* of which the warcinfo */
    unsigned serial;    /* next serial to try */
    segment_writer_stats st;
    char err[512];

    pthread_mutex_t pool_lock;
    worker *pool;
    unsigned pool_n;

    /* read-only after open */
    char *dir, *prefix, *software, *operator_name;
    char hostname[256];
    uint64_t max_size;
    int level;
};

/* ---- small helpers ---------------------------------------------------- */

/* Records a message (under w->lock or before the writer is shared). */
static void set_err(segment_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(segment_writer *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err, sizeof w->err, fmt, ap);
    va_end(ap);
    fa_log_error("warc", "%s", w->err);
}

static int pwrite_all(int fd, const void *data, size_t len, uint64_t off)
{
    const char *p = data;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Copies len bytes from the start of src to dst at off; -1 with errno. */
static int copy_range(int src, uint64_t len, int dst, uint64_t off)
{
    loff_t in = 0, outoff = (loff_t)off;
    while (len) {
        ssize_t n = copy_file_range(src, &in, dst, &outoff, len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
            break; /* fall back to read + write */
        if (n < 0) return -1;
        if (n == 0) {
            errno = EIO; /* the temporary file is shorter than we wrote */
            return -1;
        }
        len -= (uint64_t)n;
    }
    char buf[1 << 16];
    while (len) {
        ssize_t n = pread(src, buf, len < sizeof buf ? len : sizeof buf, in);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            return -1;
        }
        if (pwrite_all(dst, buf, (size_t)n, (uint64_t)outoff) < 0) return -1;
        in += n;
        outoff += n;
        len -= (uint64_t)n;
    }
    return 0;
}

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST) return -1;
    return 0;
}

/* ---- workers: compression and hashing state, pooled ------------------- */

static void worker_free(worker *k)
{
    if (k == NULL) return;
    ZSTD_freeCCtx(k->cctx);
    fa_sha1_free(k->sha_block);
    fa_sha1_free(k->sha_payload);
    fa_buf_free(&k->hdr);
    fa_buf_free(&k->out);
    free(k);
}

static worker *worker_get(segment_writer *w)
{
    pthread_mutex_lock(&w->pool_lock);
    worker *k = w->pool;
    if (k) {
        w->pool = k->next;
        w->pool_n--;
    }
    pthread_mutex_unlock(&w->pool_lock);
    if (k) return k;
    k = calloc(1, sizeof *k);
    if (k == NULL) return NULL;
    fa_buf_init(&k->hdr, MAX_HEADER);
    fa_buf_init(&k->out, 0);
    k->cctx = ZSTD_createCCtx();
    k->sha_block = fa_sha1_new();
    k->sha_payload = fa_sha1_new();
    if (k->cctx == NULL || k->sha_block == NULL || k->sha_payload == NULL ||
        ZSTD_isError(ZSTD_CCtx_setParameter(k->cctx, ZSTD_c_compressionLevel, w->level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(k->cctx, ZSTD_c_checksumFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(k->cctx, ZSTD_c_contentSizeFlag, 1))) {
        worker_free(k);
        return NULL;
    }
    return k;
}

static void worker_put(segment_writer *w, worker *k)
{
    if (k == NULL) return;
    if (k->out.cap > WORKER_BUF_KEEP) fa_buf_free(&k->out);
    fa_buf_reset(&k->out);
    fa_buf_reset(&k->hdr);
    pthread_mutex_lock(&w->pool_lock);
    if (w->pool_n < POOL_KEEP) {
        k->next = w->pool;
        w->pool = k;
        w->pool_n++;
        k = NULL;
    }
    pthread_mutex_unlock(&w->pool_lock);
    worker_free(k);
}

/* ---- one zstd frame, streamed into a buffer or a file ------------------ */

typedef struct zsink {
    ZSTD_CCtx *cctx;
    fa_buf *buf;      /* output, or staging when fd >= 0 */
    int fd;           /* -1: the frame stays in buf */
    uint64_t flushed; /* bytes already written to fd */
    uint64_t start;   /* total() when the frame began */
    const char *zerr; /* zstd's message on failure */
} zsink;

static uint64_t sink_total(const zsink *z)
{
    return z->flushed + z->buf->len;
}

static int sink_run(zsink *z, ZSTD_inBuffer *in, ZSTD_EndDirective mode)
{
    const size_t room = ZSTD_CStreamOutSize();
    for (;;) {
        int rc = fa_buf_reserve(z->buf, room);
        if (rc < 0) return rc;
        ZSTD_outBuffer out = {z->buf->data + z->buf->len, room, 0};
        size_t r = ZSTD_compressStream2(z->cctx, &out, in, mode);
        if (ZSTD_isError(r)) {
            z->zerr = ZSTD_getErrorName(r);
            return FA_EINVAL;
        }
        z->buf->len += out.pos;
        if (z->fd >= 0 && z->buf->len >= TMP_FLUSH) {
            if (write_all(z->fd, z->buf->data, z->buf->len) < 0) return fa_err_from_errno(errno);
            z->flushed += z->buf->len;
            fa_buf_reset(z->buf);
        }
        if (mode == ZSTD_e_end ? r == 0 : in->pos == in->size) return 0;
    }
}

static int frame_begin(zsink *z, uint64_t content_size)
{
    ZSTD_CCtx_reset(z->cctx, ZSTD_reset_session_only);
    size_t r = ZSTD_CCtx_setPledgedSrcSize(z->cctx, content_size);
    if (ZSTD_isError(r)) {
        z->zerr = ZSTD_getErrorName(r);
        return FA_EINVAL;
    }
    z->start = sink_total(z);
    return 0;
}

/* Compresses data into the current frame; fits fa_spool_foreach. */
static int frame_put(void *ud, const void *data, size_t len)
{
    ZSTD_inBuffer in = {data, len, 0};
    return len ? sink_run(ud, &in, ZSTD_e_continue) : 0;
}

/* Ends the frame; *frame_len gets its compressed size. */
static int frame_end(zsink *z, uint64_t *frame_len)
{
    ZSTD_inBuffer in = {NULL, 0, 0};
    int rc = sink_run(z, &in, ZSTD_e_end);
    if (rc < 0) return rc;
    if (z->fd >= 0 && z->buf->len) {
        if (write_all(z->fd, z->buf->data, z->buf->len) < 0) return fa_err_from_errno(errno);
        z->flushed += z->buf->len;
        fa_buf_reset(z->buf);
    }
    *frame_len = sink_total(z) - z->start;
    return 0;
}

/* Compresses one record made of the header text and the given block parts
 * (mem then spool, either may be empty) plus the trailer. */
static int compress_record(zsink *z, const fa_buf *hdr, const void *mem, size_t mem_len,
                           const fa_spool *spool, uint64_t *frame_len)
{
    uint64_t block = mem_len + (spool ? spool->size : 0);
    int rc = frame_begin(z, hdr->len + block + WARC__TRAILER_LEN);
    if (rc == 0) rc = frame_put(z, hdr->data, hdr->len);
    if (rc == 0) rc = frame_put(z, mem, mem_len);
    if (rc == 0 && spool && spool->size) rc = fa_spool_foreach(spool, frame_put, z);
    if (rc == 0) rc = frame_put(z, WARC__TRAILER, WARC__TRAILER_LEN);
    if (rc == 0) rc = frame_end(z, frame_len);
    return rc;
}

/* ---- segments (all under w->lock) ------------------------------------- */

static int close_segment(segment_writer *w)
{
    int rc = 0;
    if (w->fd < 0) return 0;
    char open_name[272];
    snprintf(open_name, sizeof open_name, "%s.open", w->name);
    if (fsync(w->fd) < 0) {
        rc = fa_err_from_errno(errno);
        set_err(w, "%s/%s: fsync: %s; left with its .open name", w->dir, open_name,
                strerror(errno));
        close(w->fd);
        goto out;
    }
    close(w->fd);
    if (w->broken)
        fa_log_warn("warc", "%s/%s ends with a partial record that could not be removed", w->dir,
                    w->name);
    int r = renameat2(w->dirfd, open_name, w->dirfd, w->name, RENAME_NOREPLACE);
    if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
        /* a file system without RENAME_NOREPLACE: check, then plain rename */
        struct stat st;
        if (fstatat(w->dirfd, w->name, &st, 0) == 0)
            errno = EEXIST;
        else
            r = renameat(w->dirfd, open_name, w->dirfd, w->name);
    }
    if (r < 0) {
        rc = fa_err_from_errno(errno);
        set_err(w, "%s/%s: rename to %s: %s", w->dir, open_name, w->name, strerror(errno));
        goto out;
    }
    if (fsync(w->dirfd) < 0) {
        rc = fa_err_from_errno(errno);
        set_err(w, "%s: fsync of the folder: %s", w->dir, strerror(errno));
    }
out:
    w->fd = -1;
    w->broken = 0;
    w->size = w->info_size = 0;
    w->st.open_segment_size = 0;
    return rc;
}

static int build_warcinfo(segment_writer *w, worker *k, const char *filename, uint64_t *len_out)
{
    fa_buf body;
    char id[48], date[40], digest[40];
    uint8_t d[20];
    int rc;
    fa_buf_init(&body, 4096 + strlen(w->software) + strlen(w->operator_name));
    rc = fa_buf_printf(&body,
                       "software: %s\r\nformat: WARC File Format 1.1\r\n"
                       "conformsTo: http://iipc.github.io/warc-specifications/specifications/"
                       "warc-format/warc-1.1/\r\nhostname: %s\r\n",
                       w->software, w->hostname);
    if (rc == 0 && w->operator_name[0])
        rc = fa_buf_printf(&body, "operator: %s\r\n", w->operator_name);
    if (rc < 0) goto out;
    fa_uuid_urn(id);
    fa_time_format_iso(fa_time_now_ns(), 6, date, sizeof date);
    fa_sha1_oneshot(body.data, body.len, d);
    fa_sha1_label(d, digest);
    fa_buf_reset(&k->hdr);
    rc = fa_buf_printf(&k->hdr,
                       WARC__VERSION "\r\nWARC-Type: warcinfo\r\nWARC-Record-ID: %s\r\n"
                                     "WARC-Date: %s\r\nWARC-Filename: %s\r\n"
                                     "Content-Type: application/warc-fields\r\n"
                                     "WARC-Block-Digest: %s\r\nContent-Length: %zu\r\n\r\n",
                       id, date, filename, digest, body.len);
    if (rc < 0) goto out;
    k->out.max = ZSTD_compressBound(k->hdr.len + body.len + 4) + ZSTD_CStreamOutSize();
    fa_buf_reset(&k->out);
    zsink z = {k->cctx, &k->out, -1, 0, 0, NULL};
    rc = compress_record(&z, &k->hdr, body.data, body.len, NULL, len_out);
    if (rc < 0) goto out;
    w->st.bytes_uncompressed += k->hdr.len + body.len + 4;
out:
    fa_buf_free(&body);
    return rc;
}

static int open_segment(segment_writer *w)
{
    char ts[15], name[256], open_name[272];
    int fd = -1, rc = 0;
    worker *k = NULL;
    struct stat st;
    fa_time_format_14(fa_time_now_ns(), ts);
    for (unsigned tries = 0;; tries++, w->serial++) {
        if (tries == MAX_SERIAL_TRIES) {
            rc = FA_EIO;
            set_err(w, "%s: no free segment name for %s-%s-*", w->dir, w->prefix, ts);
            goto out;
        }
        snprintf(name, sizeof name, "%s-%s-%05u.warc.zst", w->prefix, ts, w->serial);
        snprintf(open_name, sizeof open_name, "%s.open", name);
        if (fstatat(w->dirfd, name, &st, 0) == 0) continue;
        fd = openat(w->dirfd, open_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) break;
        if (errno != EEXIST) {
            rc = fa_err_from_errno(errno);
            set_err(w, "%s/%s: cannot create: %s", w->dir, open_name, strerror(errno));
            goto out;
        }
    }
    w->serial++;
    k = worker_get(w);
    if (k == NULL) {
        rc = FA_ENOMEM;
        set_err(w, "%s/%s: out of memory", w->dir, open_name);
        goto out;
    }
    uint64_t len = 0;
    rc = build_warcinfo(w, k, name, &len);
    if (rc < 0) {
        set_err(w, "%s/%s: building warcinfo: %s", w->dir, open_name, fa_strerror(rc));
        goto out;
    }
    if (pwrite_all(fd, k->out.data, k->out.len, 0) < 0) {
        rc = fa_err_from_errno(errno);
        set_err(w, "%s/%s: writing warcinfo: %s", w->dir, open_name, strerror(errno));
        goto out;
    }
    memcpy(w->name, name, sizeof name);
    w->fd = fd;
    fd = -1;
    w->size = w->info_size = len;
    w->broken = 0;
    w->st.segments++;
    w->st.records++;
    w->st.bytes_on_disk += len;
    w->st.open_segment_size = len;
out:
    if (fd >= 0) {
        close(fd);
        unlinkat(w->dirfd, open_name, 0);
    }
    worker_put(w, k);
    return rc;
}

/* ---- public ----------------------------------------------------------- */

int segment_writer_open(const segment_writer_options *opt, segment_writer **out, char *err,
                        size_t errlen)
{
    int rc = 0;
    segment_writer *w = NULL;
    char msg[512] = "";
    *out = NULL;
    if (opt == NULL || opt->dir == NULL || opt->dir[0] == '\0') {
        rc = FA_EINVAL;
        snprintf(msg, sizeof msg, "segment writer: no archive folder given");
        goto out;
    }
    const char *prefix = opt->prefix ? opt->prefix : "feedarc";
    if (prefix[0] == '\0' || strlen(prefix) > 200 || strchr(prefix, '/') ||
        !warc__value_ok(prefix, 200)) {
        rc = FA_EINVAL;
        snprintf(msg, sizeof msg,
                 "segment writer: prefix \"%s\" must be 1-200 characters "
                 "without '/' or control characters",
                 prefix);
        goto out;
    }
    if ((opt->software && !warc__value_ok(opt->software, 1024)) ||
        (opt->operator_name && !warc__value_ok(opt->operator_name, 1024))) {
        rc = FA_EINVAL;
        snprintf(msg, sizeof msg,
                 "segment writer: software/operator must be one line of at "
                 "most 1024 characters");
        goto out;
    }
    if (opt->level < ZSTD_minCLevel() || opt->level > ZSTD_maxCLevel()) {
        rc = FA_EINVAL;
        snprintf(msg, sizeof msg, "segment writer: zstd level %d is outside %d..%d", opt->level,
                 ZSTD_minCLevel(), ZSTD_maxCLevel());
        goto out;
    }
    w = calloc(1, sizeof *w);
    if (w == NULL) {
        rc = FA_ENOMEM;
        goto out;
    }
    w->fd = w->dirfd = -1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_mutex_init(&w->pool_lock, NULL);
    w->dir = strdup(opt->dir);
    w->prefix = strdup(prefix);
    w->software = strdup(opt->software ? opt->software : "feedarc/" FEEDARC_VERSION);
    w->operator_name = strdup(opt->operator_name ? opt->operator_name : "");
    if (!w->dir || !w->prefix || !w->software || !w->operator_name) {
        rc = FA_ENOMEM;
        goto out;
    }
    w->max_size = opt->max_size ? opt->max_size : DEFAULT_MAX_SIZE;
    w->level = opt->level ? opt->level : 3;
    if (gethostname(w->hostname, sizeof w->hostname - 1) < 0 || !warc__value_ok(w->hostname, 255))
        snprintf(w->hostname, sizeof w->hostname, "localhost");
    if (mkdir_p(w->dir) < 0 || (w->dirfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        rc = fa_err_from_errno(errno);
        snprintf(msg, sizeof msg, "%s: cannot create or open the archive folder: %s", w->dir,
                 strerror(errno));
        goto out;
    }
    if (opt->lazy_open) {
        /* Nothing is created yet, but a folder we cannot write to is
         * reported now rather than at the first record. */
        if (faccessat(w->dirfd, ".", W_OK, AT_EACCESS) < 0) {
            rc = fa_err_from_errno(errno);
            snprintf(msg, sizeof msg, "%s: the archive folder is not writable: %s", w->dir,
                     strerror(errno));
        }
    } else {
        rc = open_segment(w);
        if (rc < 0) snprintf(msg, sizeof msg, "%s", w->err);
    }
out:
    if (rc < 0) {
        if (msg[0] == '\0') snprintf(msg, sizeof msg, "segment writer: %s", fa_strerror(rc));
        if (err && errlen) snprintf(err, errlen, "%s", msg);
        segment_writer_close(w);
        return rc;
    }
    *out = w;
    return 0;
}

/* What one exchange becomes before it is appended. */
typedef struct pair {
    char req_id[48], resp_id[48], date[40];
    char req_block[40], req_payload[40], resp_block[40], resp_payload[40];
    int req_has_payload;
    uint64_t req_frame, resp_frame; /* compressed sizes */
    uint64_t uncompressed;
    int tmpfd; /* response frame, when it went to a temporary file */
} pair;

typedef struct resp_hash {
    fa_sha1 *block;
    warc__payload pay;
} resp_hash;

static int hash_body(void *ud, const void *data, size_t len)
{
    resp_hash *h = ud;
    fa_sha1_update(h->block, data, len);
    return warc__payload_feed(&h->pay, data, len);
}

/* Step 1a: both digests of both records, one pass over each byte. */
static int digest_pair(worker *k, const warc_exchange *x, pair *p)
{
    uint8_t d[20];
    int rc = 0;
    /* request: block = everything sent; payload = what follows its head */
    fa_sha1_oneshot(x->request, x->request_len, d);
    fa_sha1_label(d, p->req_block);
    size_t head = warc__http_head_len(x->request, x->request_len);
    if (head && head < x->request_len) {
        warc__payload_digest_mem(k->sha_payload, (const char *)x->request + head,
                                 x->request_len - head, warc__http_is_chunked(x->request, head), d);
        fa_sha1_label(d, p->req_payload);
        p->req_has_payload = 1;
    }
    /* response: block = head + body; payload = body, de-chunked if framed */
    resp_hash h = {k->sha_block, {0}};
    warc__payload_begin(&h.pay, k->sha_payload, x->body_chunked);
    fa_sha1_update(k->sha_block, x->response_head, x->response_head_len);
    if (x->body && x->body->size) rc = fa_spool_foreach(x->body, hash_body, &h);
    fa_sha1_final(k->sha_block, d);
    fa_sha1_label(d, p->resp_block);
    fa_sha1_final(k->sha_payload, d);
    if (rc == 0 && h.pay.bad) {
        /* malformed chunking: the payload digest covers the raw body */
        fa_log_debug("warc", "%s: malformed chunked body, payload digest over raw bytes",
                     x->target_uri);
        rc = fa_spool_foreach(x->body, warc__payload_feed,
                              &(warc__payload){k->sha_payload, {0}, 0, 0});
        fa_sha1_final(k->sha_payload, d);
    }
    fa_sha1_label(d, p->resp_payload);
    return rc;
}

static int build_header(fa_buf *b, const char *type, const char *id, const pair *p,
                        const warc_exchange *x, const char *concurrent, const char *block_digest,
                        const char *payload_digest, uint64_t content_length)
{
    fa_buf_reset(b);
    int rc = fa_buf_printf(b,
                           WARC__VERSION "\r\nWARC-Type: %s\r\nWARC-Record-ID: %s\r\n"
                                         "WARC-Date: %s\r\nWARC-Target-URI: %s\r\n",
                           type, id, p->date, x->target_uri);
    if (rc == 0 && x->ip_address) rc = fa_buf_printf(b, "WARC-IP-Address: %s\r\n", x->ip_address);
    if (rc == 0 && concurrent) rc = fa_buf_printf(b, "WARC-Concurrent-To: %s\r\n", concurrent);
    if (rc == 0)
        rc = fa_buf_printf(b,
                           "Content-Type: application/http;msgtype=%s\r\n"
                           "WARC-Block-Digest: %s\r\n",
                           type, block_digest);
    if (rc == 0 && payload_digest)
        rc = fa_buf_printf(b, "WARC-Payload-Digest: %s\r\n", payload_digest);
    if (rc == 0)
        rc = fa_buf_printf(b, "Content-Length: %llu\r\n\r\n", (unsigned long long)content_length);
    return rc;
}

static int open_tmp(const char *dir)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/feedarc-frame-XXXXXX", dir);
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0) unlink(path);
    return fd;
}

/* Steps 1b + 1c: headers, then the two frames. */
static int compress_pair(segment_writer *w, worker *k, const warc_exchange *x, pair *p)
{
    const fa_spool *body = x->body && x->body->size ? x->body : NULL;
    uint64_t body_len = body ? body->size : 0;
    uint64_t resp_block = x->response_head_len + body_len;
    int to_file = body && fa_spool_memory(body) == NULL;
    int rc;
    const char *what = "request";

    fa_buf_reset(&k->out);
    k->out.max = ZSTD_compressBound(MAX_HEADER + x->request_len) + 2 * ZSTD_CStreamOutSize() +
                 (to_file ? TMP_FLUSH : ZSTD_compressBound(MAX_HEADER + (size_t)resp_block));
    zsink z = {k->cctx, &k->out, -1, 0, 0, NULL};

    rc = build_header(&k->hdr, "request", p->req_id, p, x, p->resp_id, p->req_block,
                      p->req_has_payload ? p->req_payload : NULL, x->request_len);
    if (rc == 0) rc = compress_record(&z, &k->hdr, x->request, x->request_len, NULL, &p->req_frame);
    if (rc < 0) goto out;
    p->uncompressed = k->hdr.len + x->request_len + WARC__TRAILER_LEN;

    what = "response";
    rc = build_header(&k->hdr, "response", p->resp_id, p, x, NULL, p->resp_block, p->resp_payload,
                      resp_block);
    if (rc < 0) goto out;
    if (to_file) {
        const char *tmp = body->tmp_dir ? body->tmp_dir : "/tmp";
        p->tmpfd = open_tmp(tmp);
        if (p->tmpfd < 0) {
            rc = fa_err_from_errno(errno);
            what = "response (no temporary file)";
            goto out;
        }
        /* the request frame stays in k->out; stage the response separately */
        fa_buf stage;
        fa_buf_init(&stage, TMP_FLUSH + ZSTD_CStreamOutSize());
        zsink zf = {k->cctx, &stage, p->tmpfd, 0, 0, NULL};
        rc = compress_record(&zf, &k->hdr, x->response_head, x->response_head_len, body,
                             &p->resp_frame);
        fa_buf_free(&stage);
        z.zerr = zf.zerr;
    } else {
        rc = compress_record(&z, &k->hdr, x->response_head, x->response_head_len, body,
                             &p->resp_frame);
    }
    if (rc < 0) goto out;
    p->uncompressed += k->hdr.len + resp_block + WARC__TRAILER_LEN;
out:
    if (rc < 0) {
        pthread_mutex_lock(&w->lock);
        set_err(w, "%s: compressing the %s record: %s%s%s", x->target_uri, what, fa_strerror(rc),
                z.zerr ? ": " : "", z.zerr ? z.zerr : "");
        pthread_mutex_unlock(&w->lock);
    }
    return rc;
}

/* Step 2, under w->lock: roll over if needed and append both frames. */
static int append_pair(segment_writer *w, worker *k, pair *p, warc_written *out)
{
    int rc;
    uint64_t pair_len = p->req_frame + p->resp_frame;
    /* A failed close of the old segment is logged and kept as the last
     * error; it says nothing about this pair, which goes to the new one. */
    if (w->fd >= 0 && (w->broken || (w->size + pair_len > w->max_size && w->size > w->info_size)))
        (void)close_segment(w);
    if (w->fd < 0) {
        rc = open_segment(w);
        if (rc < 0) return rc;
    }
    uint64_t start = w->size;
    if (pwrite_all(w->fd, k->out.data, k->out.len, start) < 0 ||
        (p->tmpfd >= 0 && copy_range(p->tmpfd, p->resp_frame, w->fd, start + k->out.len) < 0)) {
        int e = errno;
        rc = fa_err_from_errno(e);
        if (ftruncate(w->fd, (off_t)start) < 0) {
            w->broken = 1;
            set_err(w,
                    "%s/%s.open: appending %llu bytes at %llu: %s (and truncating back "
                    "failed: %s; a new segment will be started)",
                    w->dir, w->name, (unsigned long long)pair_len, (unsigned long long)start,
                    strerror(e), strerror(errno));
        } else {
            set_err(w,
                    "%s/%s.open: appending %llu bytes at %llu: %s (truncated back to the "
                    "last whole record)",
                    w->dir, w->name, (unsigned long long)pair_len, (unsigned long long)start,
                    strerror(e));
        }
        return rc;
    }
    w->size += pair_len;
    w->st.records += 2;
    w->st.bytes_on_disk += pair_len;
    w->st.bytes_uncompressed += p->uncompressed;
    w->st.open_segment_size = w->size;
    if (out) {
        memcpy(out->request_id, p->req_id, sizeof out->request_id);
        memcpy(out->response_id, p->resp_id, sizeof out->response_id);
        memcpy(out->payload_digest, p->resp_payload, sizeof out->payload_digest);
        snprintf(out->segment, sizeof out->segment, "%s", w->name);
        out->response_offset = start + p->req_frame;
        out->response_length = p->resp_frame;
    }
    return 0;
}

int segment_writer_write_exchange(segment_writer *w, const warc_exchange *x, warc_written *out)
{
    int rc;
    worker *k = NULL;
    pair p;
    memset(&p, 0, sizeof p);
    p.tmpfd = -1;
    if (w == NULL || x == NULL) return FA_EINVAL;
    const char *bad = NULL;
    if (x->target_uri == NULL || x->target_uri[0] == '\0' ||
        !warc__value_ok(x->target_uri, MAX_URI))
        bad = "target_uri is missing, longer than 8192 bytes or holds control characters";
    else if (x->ip_address && !warc__value_ok(x->ip_address, 64))
        bad = "ip_address holds control characters";
    else if (x->request == NULL || x->request_len == 0)
        bad = "request is empty";
    else if (x->response_head == NULL || x->response_head_len == 0 ||
             warc__http_head_len(x->response_head, x->response_head_len) != x->response_head_len)
        bad = "response_head must be exactly one HTTP head ending with its empty line";
    if (bad) {
        pthread_mutex_lock(&w->lock);
        set_err(w, "%s: cannot archive: %s", x->target_uri ? x->target_uri : "(null)", bad);
        pthread_mutex_unlock(&w->lock);
        return FA_EINVAL;
    }
    k = worker_get(w);
    if (k == NULL) {
        rc = FA_ENOMEM;
        goto out;
    }
    fa_uuid_urn(p.req_id);
    fa_uuid_urn(p.resp_id);
    fa_time_format_iso(x->date_ns ? x->date_ns : fa_time_now_ns(), 6, p.date, sizeof p.date);
    rc = digest_pair(k, x, &p);
    if (rc < 0) {
        pthread_mutex_lock(&w->lock);
        set_err(w, "%s: reading the body spool: %s", x->target_uri, fa_strerror(rc));
        pthread_mutex_unlock(&w->lock);
        goto out;
    }
    rc = compress_pair(w, k, x, &p);
    if (rc < 0) goto out;
    pthread_mutex_lock(&w->lock);
    rc = append_pair(w, k, &p, out);
    pthread_mutex_unlock(&w->lock);
out:
    if (p.tmpfd >= 0) close(p.tmpfd);
    worker_put(w, k);
    return rc;
}

int segment_writer_sync(segment_writer *w)
{
    int rc = 0;
    pthread_mutex_lock(&w->lock);
    if (w->fd >= 0 && fdatasync(w->fd) < 0) {
        rc = fa_err_from_errno(errno);
        set_err(w, "%s/%s.open: fdatasync: %s", w->dir, w->name, strerror(errno));
    }
    pthread_mutex_unlock(&w->lock);
    return rc;
}

void segment_writer_get_stats(segment_writer *w, segment_writer_stats *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->st;
    pthread_mutex_unlock(&w->lock);
}

void segment_writer_last_error(segment_writer *w, char *buf, size_t len)
{
    if (len == 0) return;
    pthread_mutex_lock(&w->lock);
    snprintf(buf, len, "%s", w->err);
    pthread_mutex_unlock(&w->lock);
}

int segment_writer_close(segment_writer *w)
{
    int rc = 0;
    if (w == NULL) return 0;
    pthread_mutex_lock(&w->lock);
    rc = close_segment(w);
    pthread_mutex_unlock(&w->lock);
    while (w->pool) {
        worker *k = w->pool;
        w->pool = k->next;
        worker_free(k);
    }
    if (w->dirfd >= 0) close(w->dirfd);
    pthread_mutex_destroy(&w->lock);
    pthread_mutex_destroy(&w->pool_lock);
    free(w->dir);
    free(w->prefix);
    free(w->software);
    free(w->operator_name);
    free(w);
    return rc;
}
