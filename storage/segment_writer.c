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
 *      temporary file).  Nothing else happens under the lock: a roll-over
 *      only takes the old segment off the writer, and the thread closes it
 *      (fsync, rename, index) once the lock is released.
 *
 * Files and failure
 * -----------------
 * The segment being written is `<prefix>-<YYYYMMDDhhmmss>-<NNNNN>.warc.zst
 * .open`.  Closing it is fsync(file), rename to drop `.open` (refusing to
 * replace an existing file), fsync(dir): after a crash, a name without
 * `.open` is a complete segment.  The serial grows with each segment of a
 * writer and skips names already present in the folder, and a new name
 * sorts after every segment of the prefix in the folder (find_newest):
 * reconciliation after a crash reads the segments from a name on.
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
 *
 * Dictionary (issue 14)
 * ---------------------
 * Every frame of a segment uses the segment's dictionary or none.  A writer
 * takes a dictionary once: at open, or later (segment_writer_set_dictionary,
 * or trained by the writer itself after train_dict_after records, from the
 * sampler of segment_dict.h that sees every record it writes).  Taking it
 * closes the current segment and bumps dict_gen; a group compressed under
 * the old generation is compressed again before it is appended, and while
 * the writer trains, other groups wait at the append, so the
 * dictionary-less first segment holds about train_dict_after records.
 */
#include "storage/segment_writer.h"
#include "storage/cdxj.h"
#include "storage/segment_dict.h"
#include "storage/warc_format.h"
#include "storage/warc_record.h"

#include "common/fa_fs.h"
#include "common/fa_buf.h"
#include "common/fa_digest.h"
#include "common/fa_err.h"
#include "common/fa_limits.h"
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
#define MAX_URI (FA_URL_MAX - 1)   /* ceiling on WARC-Target-URI (fa_limits.h) */
#define MAX_HEADER (MAX_URI + 2048)
#define MAX_SERIAL_TRIES 100000
/* index lines in memory before a spill: at 4 MiB the long crawl's peak
 * was ~1 MB higher and no run faster (docs/BENCHMARKS.md, "Session 13") */
#define INDEX_MEM_DEFAULT (1u << 20)

typedef struct worker {
    struct worker *next;
    ZSTD_CCtx *cctx;
    unsigned dict_gen; /* the writer's dictionary cctx refers to */
    fa_sha1 *sha_block;
    fa_sha1 *sha_payload;
    fa_sha1 *sha_raw; /* a chunked payload as transferred (warc_payload) */
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
    char newest[256];   /* the newest segment name of this prefix in the folder
                           (at open, then each one opened): new names sort after it */
    segment_writer_stats st;
    char err[512];

    /* A copy of st for readers on the event loop (segment_writer_get_stats):
     * they take only stats_lock, held for a struct copy, never the writer
     * lock that a roll-over holds across its fsyncs. */
    pthread_mutex_t stats_lock;
    segment_writer_stats st_pub;
    char name_pub[256]; /* the newest segment opened (under stats_lock) */

    pthread_mutex_t pool_lock;
    worker *pool;
    unsigned pool_n;

    cdxj__acc idx;  /* index lines of the current segment */
    int idx_broken; /* a line was lost: no index at close (feedarc index) */

    /* The dictionary: set at open or once later (segment_writer_set_dictionary);
     * cdict and dict_gen are read under pool_lock, dict_frame under lock. */
    ZSTD_CDict *cdict; /* shared by every worker; or NULL */
    unsigned dict_gen; /* 0 without a dictionary, 1 with */
    void *dict_frame;  /* its skippable frame, written first in each segment */
    size_t dict_frame_len;
    /* (issue 14) training a first run's dictionary from its own records */
    segment__sampler *sampler; /* NULL: no sampling */
    uint64_t train_after;      /* records written before training; under lock */
    size_t train_size;
    int training;           /* a thread is training (under lock) */
    pthread_cond_t trained; /* training ended (with lock) */

    /* read-only after open */
    int index; /* write <segment>.cdxj at close */
    size_t index_mem_max;
    unsigned file_mode; /* of each segment */
    char *dir, *prefix, *software, *operator_name, *node;
    char hostname[256];
    uint64_t max_size;
    int level;
    fa_observer obs; /* zeroed: nobody listens */
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
        if (fa_pwrite_all(dst, buf, (size_t)n, (uint64_t)outoff) < 0) return -1;
        in += n;
        outoff += n;
        len -= (uint64_t)n;
    }
    return 0;
}

/* ---- workers: compression and hashing state, pooled ------------------- */

static void worker_free(worker *k)
{
    if (k == NULL) return;
    ZSTD_freeCCtx(k->cctx);
    fa_sha1_free(k->sha_block);
    fa_sha1_free(k->sha_payload);
    fa_sha1_free(k->sha_raw);
    fa_buf_free(&k->hdr);
    fa_buf_free(&k->out);
    free(k);
}

/* Points k's context at the writer's current dictionary (a CDict lives
 * until the writer is closed, so it may be used outside the lock). */
static worker *worker_sync_dict(segment_writer *w, worker *k)
{
    pthread_mutex_lock(&w->pool_lock);
    unsigned gen = w->dict_gen;
    ZSTD_CDict *cd = w->cdict;
    pthread_mutex_unlock(&w->pool_lock);
    if (k->dict_gen == gen) return k;
    if (ZSTD_isError(ZSTD_CCtx_refCDict(k->cctx, cd))) {
        worker_free(k);
        return NULL;
    }
    k->dict_gen = gen;
    return k;
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
    if (k) return worker_sync_dict(w, k);
    k = calloc(1, sizeof *k);
    if (k == NULL) return NULL;
    fa_buf_init(&k->hdr, MAX_HEADER);
    fa_buf_init(&k->out, 0);
    k->cctx = ZSTD_createCCtx();
    k->sha_block = fa_sha1_new();
    k->sha_payload = fa_sha1_new();
    k->sha_raw = fa_sha1_new();
    if (k->cctx == NULL || k->sha_block == NULL || k->sha_payload == NULL || k->sha_raw == NULL ||
        ZSTD_isError(ZSTD_CCtx_setParameter(k->cctx, ZSTD_c_compressionLevel, w->level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(k->cctx, ZSTD_c_checksumFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(k->cctx, ZSTD_c_contentSizeFlag, 1))) {
        worker_free(k);
        return NULL;
    }
    return worker_sync_dict(w, k);
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
            if (fa_write_all(z->fd, z->buf->data, z->buf->len) < 0) return fa_err_from_errno(errno);
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
        if (fa_write_all(z->fd, z->buf->data, z->buf->len) < 0) return fa_err_from_errno(errno);
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

/* Publishes st to get_stats' readers; called with the writer lock held
 * wherever st changed. */
static void publish_stats(segment_writer *w)
{
    pthread_mutex_lock(&w->stats_lock);
    w->st_pub = w->st;
    pthread_mutex_unlock(&w->stats_lock);
}

/* A segment taken off the writer to be closed.  Its close - fsync, rename,
 * fsync of the folder, the CDXJ index written - runs outside the writer
 * lock, so the other threads append to the next segment meanwhile: a
 * roll-over, or the switch to a first run's early dictionary, holds them
 * for no fsync (issue 14). */
typedef struct closing_segment {
    int fd; /* -1: nothing to close */
    int broken;
    char name[256];
    uint64_t size;
    cdxj__acc idx;
    int idx_broken;
} closing_segment;

/* Under w->lock: takes the current segment (if any) off the writer into c;
 * the next record opens a new one. */
static void detach_segment(segment_writer *w, closing_segment *c)
{
    c->fd = w->fd;
    if (w->fd < 0) return;
    c->broken = w->broken;
    memcpy(c->name, w->name, sizeof c->name);
    c->size = w->size;
    c->idx = w->idx;
    c->idx_broken = w->idx_broken;
    cdxj__acc_init(&w->idx, w->dirfd, w->index_mem_max);
    w->idx_broken = 0;
    w->fd = -1;
    w->broken = 0;
    w->size = w->info_size = 0;
    w->st.open_segment_size = 0;
    publish_stats(w);
}

/* set_err for a thread that does not hold w->lock. */
static void set_err_unlocked(segment_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_err_unlocked(segment_writer *w, const char *fmt, ...)
{
    char msg[sizeof w->err];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&w->lock);
    set_err(w, "%s", msg);
    pthread_mutex_unlock(&w->lock);
}

/* Without w->lock: closes a detached segment (fsync, rename to drop
 * `.open`, fsync of the folder, its index) and frees what c holds. */
static int finish_segment(segment_writer *w, closing_segment *c)
{
    int rc = 0;
    if (c->fd < 0) return 0;
    char open_name[272];
    snprintf(open_name, sizeof open_name, "%s.open", c->name);
    if (fsync(c->fd) < 0) {
        rc = fa_err_from_errno(errno);
        set_err_unlocked(w, "%s/%s: fsync: %s; left with its .open name", w->dir, open_name,
                         strerror(errno));
        close(c->fd);
        goto out;
    }
    close(c->fd);
    if (c->broken)
        fa_log_warn("warc", "%s/%s ends with a partial record that could not be removed", w->dir,
                    c->name);
    int r = renameat2(w->dirfd, open_name, w->dirfd, c->name, RENAME_NOREPLACE);
    if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
        /* a file system without RENAME_NOREPLACE: check, then plain rename */
        struct stat st;
        if (fstatat(w->dirfd, c->name, &st, 0) == 0)
            errno = EEXIST;
        else
            r = renameat(w->dirfd, open_name, w->dirfd, c->name);
    }
    if (r < 0) {
        rc = fa_err_from_errno(errno);
        set_err_unlocked(w, "%s/%s: rename to %s: %s", w->dir, open_name, c->name,
                         strerror(errno));
        goto out;
    }
    if (fsync(w->dirfd) < 0) {
        rc = fa_err_from_errno(errno);
        set_err_unlocked(w, "%s: fsync of the folder: %s", w->dir, strerror(errno));
    }
    if (w->obs.segment_closed) w->obs.segment_closed(w->obs.ud, c->name, c->size);
    if (w->index && !c->idx_broken) {
        char idx_name[272];
        snprintf(idx_name, sizeof idx_name, "%s" CDXJ_SUFFIX, c->name);
        int r2 = cdxj__acc_finish(&c->idx, idx_name);
        if (r2 < 0) {
            set_err_unlocked(w,
                             "%s/%s: writing the index: %s (the segment is whole; `feedarc "
                             "index %s` rebuilds it)",
                             w->dir, idx_name, r2 == FA_ENOMEM ? "out of memory" : strerror(errno),
                             w->dir);
            if (rc == 0) rc = r2;
        }
    } else if (w->index) {
        fa_log_warn("warc",
                    "%s/%s: index lines were lost; no index written (`feedarc index %s` "
                    "rebuilds it)",
                    w->dir, c->name, w->dir);
    }
out:
    cdxj__acc_reset(&c->idx);
    c->fd = -1;
    return rc;
}

static int build_warcinfo(segment_writer *w, worker *k, const char *filename, uint64_t *len_out)
{
    fa_buf body;
    char id[48], date[40], digest[40];
    uint8_t d[20];
    int rc;
    fa_buf_init(&body, 4096 + strlen(w->software) + strlen(w->operator_name) + strlen(w->node));
    rc = fa_buf_printf(&body,
                       "software: %s\r\nformat: WARC File Format 1.1\r\n"
                       "conformsTo: http://iipc.github.io/warc-specifications/specifications/"
                       "warc-format/warc-1.1/\r\nhostname: %s\r\n",
                       w->software, w->hostname);
    if (rc == 0 && w->operator_name[0])
        rc = fa_buf_printf(&body, "operator: %s\r\n", w->operator_name);
    if (rc == 0 && w->node[0]) rc = fa_buf_printf(&body, "node: %s\r\n", w->node);
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

void segment_writer_first_name(const char *prefix, int64_t now_ns, char *out, size_t len)
{
    char ts[15];
    fa_time_format_14(now_ns, ts);
    snprintf(out, len, "%s-%s-%05u.warc.zst", prefix, ts, 0u);
}

/* A segment name of this writer's prefix: "<prefix>-<14 digits>-..." */
static int own_name(const segment_writer *w, const char *name)
{
    size_t n = strlen(w->prefix);
    if (strncmp(name, w->prefix, n) != 0 || name[n] != '-') return 0;
    for (size_t i = 1; i <= 14; i++)
        if (name[n + i] < '0' || name[n + i] > '9') return 0;
    return name[n + 15] == '-' && strstr(name + n + 16, ".warc.zst") != NULL;
}

static int keep_own(void *ud, const char *name)
{
    return own_name(ud, name);
}

/* w->newest from the folder: the greatest of this prefix's segment names
 * (up to ".warc.zst": an index's or an .open's suffix left off).  Names
 * must sort in the order segments were opened - reconciliation after a
 * crash reads from a name on - and a serial that starts at 0 in each
 * process does not see to that alone: a run killed after its dictionary
 * switch leaves <ts>-00002 behind, and the next run in that second would
 * open <ts>-00000. */
/* Takes name (up to ".warc.zst") as w->newest when it sorts after it. */
static void newest_at_least(segment_writer *w, const char *name)
{
    char base[256];
    snprintf(base, sizeof base, "%s", name);
    char *ext = strstr(base, ".warc.zst");
    if (ext) ext[sizeof ".warc.zst" - 1] = '\0';
    if (strcmp(base, w->newest) > 0) memcpy(w->newest, base, sizeof base);
}

/* ... and after names_after (segment_writer_options), when it is one of
 * the prefix's: the state's mark may be past every segment in the folder
 * (a clock set back since it was written, the segments moved away), and a
 * segment named before it is not read back after a crash. */
static void find_newest(segment_writer *w, const char *names_after)
{
    char **names = NULL;
    size_t n = 0;
    w->newest[0] = '\0';
    if (names_after && strlen(names_after) < sizeof w->newest && own_name(w, names_after))
        newest_at_least(w, names_after);
    if (fa_dir_list(w->dir, keep_own, w, &names, &n) < 0) return;
    for (size_t i = 0; i < n; i++)
        newest_at_least(w, names[i]);
    fa_dir_list_free(names, n);
}

static int open_segment(segment_writer *w)
{
    char ts[15], name[256], open_name[272];
    int fd = -1, rc = 0;
    worker *k = NULL;
    struct stat st;
    fa_time_format_14(fa_time_now_ns(), ts);
    if (w->newest[0]) { /* never before the newest name (a clock set back, a run this second) */
        size_t n = strlen(w->prefix) + 1;
        if (memcmp(w->newest + n, ts, 14) > 0) memcpy(ts, w->newest + n, 14);
    }
    for (unsigned tries = 0;; tries++, w->serial++) {
        if (tries == MAX_SERIAL_TRIES) {
            rc = FA_EIO;
            set_err(w, "%s: no free segment name for %s-%s-*", w->dir, w->prefix, ts);
            goto out;
        }
        snprintf(name, sizeof name, "%s-%s-%05u.warc.zst", w->prefix, ts, w->serial);
        snprintf(open_name, sizeof open_name, "%s.open", name);
        if (strcmp(name, w->newest) <= 0) continue;
        if (fstatat(w->dirfd, name, &st, 0) == 0) continue;
        fd = openat(w->dirfd, open_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                    (mode_t)w->file_mode);
        if (fd >= 0 && fchmod(fd, (mode_t)w->file_mode) < 0) {
            rc = fa_err_from_errno(errno);
            set_err(w, "%s/%s: cannot set its mode: %s", w->dir, open_name, strerror(errno));
            close(fd);
            unlinkat(w->dirfd, open_name, 0);
            fd = -1;
            goto out;
        }
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
    uint64_t len = 0, dict_len = w->dict_frame_len;
    if (dict_len && fa_pwrite_all(fd, w->dict_frame, dict_len, 0) < 0) {
        rc = fa_err_from_errno(errno);
        set_err(w, "%s/%s: writing the dictionary frame: %s", w->dir, open_name, strerror(errno));
        goto out;
    }
    rc = build_warcinfo(w, k, name, &len);
    if (rc < 0) {
        set_err(w, "%s/%s: building warcinfo: %s", w->dir, open_name, fa_strerror(rc));
        goto out;
    }
    if (fa_pwrite_all(fd, k->out.data, k->out.len, dict_len) < 0) {
        rc = fa_err_from_errno(errno);
        set_err(w, "%s/%s: writing warcinfo: %s", w->dir, open_name, strerror(errno));
        goto out;
    }
    len += dict_len;
    memcpy(w->name, name, sizeof name);
    memcpy(w->newest, name, sizeof name);
    w->fd = fd;
    fd = -1;
    cdxj__acc_reset(&w->idx);
    w->idx_broken = 0;
    w->size = w->info_size = len;
    w->broken = 0;
    w->st.segments++;
    w->st.records++;
    w->st.bytes_on_disk += len;
    w->st.open_segment_size = len;
    publish_stats(w);
    pthread_mutex_lock(&w->stats_lock);
    memcpy(w->name_pub, w->name, sizeof w->name_pub);
    pthread_mutex_unlock(&w->stats_lock);
    if (w->obs.segment_opened) w->obs.segment_opened(w->obs.ud, w->name);
    if (w->obs.record_written) w->obs.record_written(w->obs.ud, WARC_TYPE_WARCINFO, len - dict_len);
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
        (opt->operator_name && !warc__value_ok(opt->operator_name, 1024)) ||
        (opt->node && !warc__value_ok(opt->node, 1024))) {
        rc = FA_EINVAL;
        snprintf(msg, sizeof msg,
                 "segment writer: software/operator/node must be one line of at "
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
    pthread_mutex_init(&w->stats_lock, NULL);
    pthread_mutex_init(&w->pool_lock, NULL);
    pthread_cond_init(&w->trained, NULL);
    w->dir = strdup(opt->dir);
    w->prefix = strdup(prefix);
    w->software = strdup(opt->software ? opt->software : "feedarc/" FEEDARC_VERSION);
    w->operator_name = strdup(opt->operator_name ? opt->operator_name : "");
    w->node = strdup(opt->node ? opt->node : "");
    if (!w->dir || !w->prefix || !w->software || !w->operator_name || !w->node) {
        rc = FA_ENOMEM;
        goto out;
    }
    w->max_size = opt->max_size ? opt->max_size : DEFAULT_MAX_SIZE;
    w->level = opt->level ? opt->level : 3;
    w->index = !opt->no_index;
    /* 4 MiB: ~15,000 lines between spills, and 12 MB less at the peak of a
     * long crawl than the 16 MiB it was (docs/BENCHMARKS.md, session 10) */
    w->index_mem_max = opt->index_mem_max ? opt->index_mem_max : INDEX_MEM_DEFAULT;
    if (opt->observer) w->obs = *opt->observer;
    w->file_mode = opt->file_mode ? opt->file_mode & 0777 : 0640;
    if (opt->dict || opt->dict_len) {
        if (segment_dict_id(opt->dict, opt->dict_len) == 0 || opt->dict_len > SEGMENT_DICT_MAX) {
            rc = FA_EINVAL;
            snprintf(msg, sizeof msg,
                     "segment writer: the dictionary (%zu bytes) is not a zstd dictionary with a "
                     "Dictionary_ID, or larger than 8 MiB",
                     opt->dict_len);
            goto out;
        }
        /* ZSTD_createCDict copies the dictionary */
        w->cdict = ZSTD_createCDict(opt->dict, opt->dict_len, w->level);
        w->dict_gen = 1;
        rc = w->cdict
                 ? segment__dict_frame(opt->dict, opt->dict_len, &w->dict_frame, &w->dict_frame_len)
                 : FA_ENOMEM;
        if (rc < 0) goto out;
    }
    if (opt->train_dict_after) {
        w->train_after = opt->train_dict_after;
        w->train_size = opt->train_dict_size ? opt->train_dict_size : 112u << 10;
        if ((w->sampler = segment__sampler_new()) == NULL) {
            rc = FA_ENOMEM;
            goto out;
        }
    }
    if (gethostname(w->hostname, sizeof w->hostname - 1) < 0 || !warc__value_ok(w->hostname, 255))
        snprintf(w->hostname, sizeof w->hostname, "localhost");
    if (fa_mkdir_p(w->dir) < 0 || (w->dirfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        rc = fa_err_from_errno(errno);
        snprintf(msg, sizeof msg, "%s: cannot create or open the archive folder: %s", w->dir,
                 strerror(errno));
        goto out;
    }
    cdxj__acc_init(&w->idx, w->dirfd, w->index_mem_max);
    find_newest(w, opt->names_after);
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
    warc_payload pay;
} resp_hash;

static int hash_body(void *ud, const void *data, size_t len)
{
    resp_hash *h = ud;
    fa_sha1_update(h->block, data, len);
    return warc_payload_feed(&h->pay, data, len);
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
        warc_payload rp;
        warc_payload_begin(&rp, k->sha_payload, k->sha_raw,
                           warc__http_is_chunked(x->request, head));
        warc_payload_feed(&rp, (const char *)x->request + head, x->request_len - head);
        warc_payload_end(&rp, d);
        fa_sha1_label(d, p->req_payload);
        p->req_has_payload = 1;
    }
    /* response: block = head + body; payload = body, de-chunked if framed */
    resp_hash h = {k->sha_block, {0}};
    warc_payload_begin(&h.pay, k->sha_payload, k->sha_raw, x->body_chunked);
    fa_sha1_update(k->sha_block, x->response_head, x->response_head_len);
    if (x->body && x->body->size) rc = fa_spool_foreach(x->body, hash_body, &h);
    fa_sha1_final(k->sha_block, d);
    fa_sha1_label(d, p->resp_block);
    warc_payload_end(&h.pay, d);
    if (rc == 0 && h.pay.bad) /* warc_format.h: then the digest covers the raw body */
        fa_log_debug("warc", "%s: malformed chunked body, payload digest over raw bytes",
                     x->target_uri);
    fa_sha1_label(d, p->resp_payload);
    return rc;
}

static int build_header(fa_buf *b, warc_type t, const char *id, const pair *p,
                        const warc_exchange *x, const char *concurrent, const char *block_digest,
                        const char *payload_digest, uint64_t content_length)
{
    const char *type = warc_type_name(t);
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

    k->out.max = k->out.len + ZSTD_compressBound(MAX_HEADER + x->request_len) +
                 2 * ZSTD_CStreamOutSize() +
                 (to_file ? TMP_FLUSH : ZSTD_compressBound(MAX_HEADER + (size_t)resp_block));
    zsink z = {k->cctx, &k->out, -1, 0, 0, NULL};

    rc = build_header(&k->hdr, WARC_TYPE_REQUEST, p->req_id, p, x, p->resp_id, p->req_block,
                      p->req_has_payload ? p->req_payload : NULL, x->request_len);
    if (rc == 0) rc = compress_record(&z, &k->hdr, x->request, x->request_len, NULL, &p->req_frame);
    if (rc < 0) goto out;
    p->uncompressed = k->hdr.len + x->request_len + WARC__TRAILER_LEN;
    if (w->sampler)
        segment__sampler_add(w->sampler, k->hdr.data, k->hdr.len, x->request, x->request_len, NULL,
                             0);

    what = "response";
    rc = build_header(&k->hdr, WARC_TYPE_RESPONSE, p->resp_id, p, x, NULL, p->resp_block,
                      p->resp_payload, resp_block);
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
    if (w->sampler) {
        const char *mem = body ? fa_spool_memory(body) : NULL; /* a spilled body: head only */
        segment__sampler_add(w->sampler, k->hdr.data, k->hdr.len, x->response_head,
                             x->response_head_len, mem, mem ? (size_t)body->size : 0);
    }
out:
    if (rc < 0) {
        pthread_mutex_lock(&w->lock);
        set_err(w, "%s: compressing the %s record: %s%s%s", x->target_uri, what, fa_strerror(rc),
                z.zerr ? ": " : "", z.zerr ? z.zerr : "");
        pthread_mutex_unlock(&w->lock);
    }
    return rc;
}

/* ---- groups of records ------------------------------------------------ *
 *
 * segment_writer_write_records builds every record of a group in the
 * caller's thread (digests, headers, one zstd frame each, all in the
 * worker's buffer except a spilled exchange body's frame, which goes to a
 * temporary file), then appends the frames together under the lock, in
 * order, and adds their index lines.  An exchange is the request+response
 * pair of segment_writer_write_exchange.
 */

#define MAX_BLOCK (256u << 20)      /* revisit/metadata/conversion blocks */
#define MAX_FIELD_VALUE (64u << 10) /* one metadata value */
#define MAX_FIELDS 10000
#define MAX_GROUP 1024

typedef struct frame_info {
    uint64_t len;    /* compressed */
    uint64_t offset; /* in the segment, once appended */
    int in_tmp;      /* in the temporary file, not in k->out */
    warc_type type;  /* of the record it holds */
    int indexed;     /* has an index line head in batch.lines */
    size_t line_off, line_len;
} frame_info;

typedef struct batch {
    frame_info *fr;
    size_t n_fr;
    size_t *main_frame; /* per spec: its frame (the response of an exchange) */
    char (*ids)[48];    /* per spec: record id */
    char (*pay)[40];    /* per spec: payload digest or "" */
    fa_buf lines;
    pair p;          /* the exchange, if any */
    size_t exchange; /* its spec, or (size_t)-1 */
    uint64_t uncompressed;
} batch;

void segment_writer_new_record_id(char out[48])
{
    fa_uuid_urn(out);
}

static int id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 3 || n > 47 || s[0] != '<' || s[n - 1] != '>') return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f) return 0;
    return 1;
}

static int digest_ok(const char *s)
{
    const char *c = s ? strchr(s, ':') : NULL;
    if (c == NULL || c == s || strlen(s) > 39 || c[1] == '\0') return 0;
    for (const char *p = s; p < c; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-'))
            return 0;
    for (const char *p = c + 1; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '+' || *p == '/' || *p == '='))
            return 0;
    return 1;
}

static int token_ok(const char *s, size_t max)
{
    size_t n = 0;
    for (; s && s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= max || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c)))
            return 0;
    }
    return n > 0;
}

static int uri_ok(const char *s)
{
    return s && s[0] && warc__value_ok(s, MAX_URI);
}

/* The reason spec cannot be written, or NULL. */
static const char *spec_invalid(const warc_record_spec *s)
{
    warc_type t = s->record_type;
    if (t == WARC_TYPE_UNKNOWN) return "record_type is missing";
    if (s->record_id && !id_ok(s->record_id))
        return "record_id must be \"<URI>\" of at most 47 characters without spaces";
    if (t == WARC_TYPE_RESPONSE) {
        const warc_exchange *x = s->exchange;
        if (x == NULL) return "a response needs its exchange";
        if (!uri_ok(x->target_uri))
            return "target_uri is missing, longer than 8191 bytes or holds control characters";
        if (x->ip_address && !warc__value_ok(x->ip_address, 64))
            return "ip_address holds control characters";
        if (x->request == NULL || x->request_len == 0) return "request is empty";
        if (x->response_head == NULL || x->response_head_len == 0 ||
            warc__http_head_len(x->response_head, x->response_head_len) != x->response_head_len)
            return "response_head must be exactly one HTTP head ending with its empty line";
        return NULL;
    }
    if (s->exchange) return "only a response carries an exchange";
    if (s->concurrent_to && !id_ok(s->concurrent_to))
        return "concurrent_to must be a record id \"<URI>\"";
    if (s->refers_to && !id_ok(s->refers_to)) return "refers_to must be a record id \"<URI>\"";
    if (s->ip_address && !warc__value_ok(s->ip_address, 64))
        return "ip_address holds control characters";
    if (s->target_uri && !uri_ok(s->target_uri))
        return "target_uri is empty, longer than 8191 bytes or holds control characters";
    if (s->block_len > MAX_BLOCK) return "block is larger than 256 MiB";
    if (s->block_len && s->block == NULL) return "block is NULL but block_len is not 0";
    if (t == WARC_TYPE_REVISIT) {
        int64_t ns;
        if (s->target_uri == NULL) return "a revisit needs target_uri";
        if (s->refers_to == NULL) return "a revisit needs refers_to (the original's record id)";
        if (!uri_ok(s->refers_to_target_uri)) return "a revisit needs refers_to_target_uri";
        if (s->refers_to_date == NULL || !warc__value_ok(s->refers_to_date, 64) ||
            fa_time_parse_rfc3339(s->refers_to_date, &ns) < 0)
            return "a revisit needs refers_to_date as an ISO 8601 UTC date (the original's "
                   "WARC-Date)";
        if (s->profile == NULL || (strcmp(s->profile, WARC_PROFILE_IDENTICAL) != 0 &&
                                   strcmp(s->profile, WARC_PROFILE_NOT_MODIFIED) != 0))
            return "profile must be WARC_PROFILE_IDENTICAL or WARC_PROFILE_NOT_MODIFIED";
        if (strcmp(s->profile, WARC_PROFILE_IDENTICAL) == 0 && !digest_ok(s->payload_digest))
            return "an identical-payload-digest revisit needs payload_digest (\"sha1:BASE32\")";
        if (s->payload_digest && !digest_ok(s->payload_digest))
            return "payload_digest must be \"algorithm:value\"";
        if (s->block_len == 0 || memcmp(s->block, "HTTP/", 5 < s->block_len ? 5 : s->block_len) ||
            warc__http_head_len(s->block, s->block_len) != s->block_len)
            return "a revisit's block must be exactly the HTTP response head (status line, "
                   "headers, empty line)";
        if (s->fields || s->n_fields) return "a revisit takes no fields";
        return NULL;
    }
    if (t == WARC_TYPE_METADATA) {
        if (s->n_fields == 0 || s->fields == NULL) return "a metadata record needs fields";
        if (s->n_fields > MAX_FIELDS) return "more than 10000 fields";
        if (s->block || s->block_len) return "a metadata record's block is built from fields";
        if (s->payload_digest || s->profile || s->refers_to_target_uri || s->refers_to_date)
            return "a metadata record takes no payload_digest, profile or refers_to_*";
        for (size_t i = 0; i < s->n_fields; i++) {
            if (!token_ok(s->fields[i].name, 256))
                return "a field name must be 1-256 token characters (no spaces, ':' or controls)";
            if (s->fields[i].value == NULL || !warc__value_ok(s->fields[i].value, MAX_FIELD_VALUE))
                return "a field value must be one line of at most 64 KiB without control "
                       "characters";
        }
        return NULL;
    }
    if (t == WARC_TYPE_CONVERSION) {
        if (s->target_uri == NULL) return "a conversion needs target_uri";
        if (s->refers_to == NULL) return "a conversion needs refers_to (the converted record's id)";
        if (s->content_type && !warc__value_ok(s->content_type, 256))
            return "content_type must be one line of at most 256 characters";
        if (s->fields || s->n_fields || s->payload_digest || s->profile ||
            s->refers_to_target_uri || s->refers_to_date)
            return "a conversion takes no fields, payload_digest, profile or refers_to_*";
        return NULL;
    }
    return "type must be response, revisit, metadata or conversion";
}

static int batch_frame(batch *b, warc_type type, uint64_t len, int in_tmp, frame_info **out)
{
    frame_info *f = &b->fr[b->n_fr++];
    memset(f, 0, sizeof *f);
    f->len = len;
    f->in_tmp = in_tmp;
    f->type = type;
    *out = f;
    return 0;
}

/* Adds the head of the frame's index line (when its record is indexed). */
static int batch_index(segment_writer *w, batch *b, frame_info *f, warc_type type,
                       const char *content_type, const char *uri, const char *date,
                       const void *http_head, size_t head_len, const char *digest)
{
    char mime[128] = "", status[4] = "";
    if (!w->index || uri == NULL || !cdxj__indexable(type, content_type)) return 0;
    if (http_head) cdxj__http_info(http_head, head_len, mime, status);
    if (type == WARC_TYPE_REVISIT)
        snprintf(mime, sizeof mime, "warc/revisit");
    else if (http_head == NULL && content_type)
        snprintf(mime, sizeof mime, "%s", content_type); /* whole, as warcio does */
    f->line_off = b->lines.len;
    int rc = cdxj__line_head(&b->lines, uri, date, mime, status, digest, f->len);
    f->line_len = b->lines.len - f->line_off;
    f->indexed = rc == 0;
    return rc;
}

/* The exchange of a group: digests, then the two frames. */
static int build_exchange(segment_writer *w, worker *k, const warc_record_spec *s, batch *b,
                          size_t i)
{
    const warc_exchange *x = s->exchange;
    pair *p = &b->p;
    frame_info *f;
    fa_uuid_urn(p->req_id);
    if (s->record_id)
        snprintf(p->resp_id, sizeof p->resp_id, "%s", s->record_id);
    else
        fa_uuid_urn(p->resp_id);
    fa_time_format_iso(x->date_ns ? x->date_ns : fa_time_now_ns(), 6, p->date, sizeof p->date);
    int rc = digest_pair(k, x, p);
    if (rc < 0) {
        pthread_mutex_lock(&w->lock);
        set_err(w, "%s: reading the body spool: %s", x->target_uri, fa_strerror(rc));
        pthread_mutex_unlock(&w->lock);
        return rc;
    }
    rc = compress_pair(w, k, x, p);
    if (rc < 0) return rc;
    batch_frame(b, WARC_TYPE_REQUEST, p->req_frame, 0, &f);
    batch_frame(b, WARC_TYPE_RESPONSE, p->resp_frame, p->tmpfd >= 0, &f);
    b->main_frame[i] = b->n_fr - 1;
    memcpy(b->ids[i], p->resp_id, sizeof b->ids[i]);
    memcpy(b->pay[i], p->resp_payload, sizeof b->pay[i]);
    b->uncompressed += p->uncompressed;
    return batch_index(w, b, f, WARC_TYPE_RESPONSE, "application/http;msgtype=response",
                       x->target_uri, p->date, x->response_head, x->response_head_len,
                       p->resp_payload);
}

/* A revisit, metadata or conversion record. */
static int build_simple(segment_writer *w, worker *k, const warc_record_spec *s, batch *b, size_t i)
{
    char date[40], block_digest[40], payload[40] = "";
    uint8_t d[20];
    fa_buf fields;
    warc_type type = s->record_type;
    const char *ct;
    const void *block = s->block;
    size_t block_len = s->block_len;
    frame_info *f;
    int rc = 0;
    fa_buf_init(&fields, MAX_BLOCK);
    if (s->record_id)
        snprintf(b->ids[i], sizeof b->ids[i], "%s", s->record_id);
    else
        fa_uuid_urn(b->ids[i]);
    fa_time_format_iso(s->date_ns ? s->date_ns : fa_time_now_ns(), 6, date, sizeof date);
    if (type == WARC_TYPE_REVISIT) {
        ct = "application/http;msgtype=response";
        if (s->payload_digest) snprintf(payload, sizeof payload, "%s", s->payload_digest);
    } else if (type == WARC_TYPE_METADATA) {
        ct = "application/warc-fields";
        for (size_t j = 0; rc == 0 && j < s->n_fields; j++)
            rc = fa_buf_printf(&fields, "%s: %s\r\n", s->fields[j].name, s->fields[j].value);
        if (rc < 0) goto out;
        block = fields.data;
        block_len = fields.len;
    } else {
        ct = s->content_type ? s->content_type : "text/plain; charset=utf-8";
    }
    fa_sha1_oneshot(block_len ? block : "", block_len, d);
    fa_sha1_label(d, block_digest);
    if (type == WARC_TYPE_CONVERSION) memcpy(payload, block_digest, sizeof payload);
    memcpy(b->pay[i], payload, sizeof b->pay[i]);

    fa_buf *h = &k->hdr;
    fa_buf_reset(h);
    rc = fa_buf_printf(h,
                       WARC__VERSION "\r\nWARC-Type: %s\r\nWARC-Record-ID: %s\r\nWARC-Date: %s\r\n",
                       warc_type_name(type), b->ids[i], date);
    if (rc == 0 && s->target_uri) rc = fa_buf_printf(h, "WARC-Target-URI: %s\r\n", s->target_uri);
    if (rc == 0 && s->ip_address) rc = fa_buf_printf(h, "WARC-IP-Address: %s\r\n", s->ip_address);
    if (rc == 0 && s->concurrent_to)
        rc = fa_buf_printf(h, "WARC-Concurrent-To: %s\r\n", s->concurrent_to);
    if (rc == 0 && s->refers_to) rc = fa_buf_printf(h, "WARC-Refers-To: %s\r\n", s->refers_to);
    if (rc == 0 && s->refers_to_target_uri)
        rc = fa_buf_printf(h, "WARC-Refers-To-Target-URI: %s\r\n", s->refers_to_target_uri);
    if (rc == 0 && s->refers_to_date)
        rc = fa_buf_printf(h, "WARC-Refers-To-Date: %s\r\n", s->refers_to_date);
    if (rc == 0 && s->profile) rc = fa_buf_printf(h, "WARC-Profile: %s\r\n", s->profile);
    if (rc == 0)
        rc = fa_buf_printf(h, "Content-Type: %s\r\nWARC-Block-Digest: %s\r\n", ct, block_digest);
    if (rc == 0 && payload[0]) rc = fa_buf_printf(h, "WARC-Payload-Digest: %s\r\n", payload);
    if (rc == 0) rc = fa_buf_printf(h, "Content-Length: %zu\r\n\r\n", block_len);
    if (rc < 0) goto out;

    uint64_t frame_len = 0;
    k->out.max = k->out.len + ZSTD_compressBound(h->len + block_len + WARC__TRAILER_LEN) +
                 2 * ZSTD_CStreamOutSize();
    zsink z = {k->cctx, &k->out, -1, 0, 0, NULL};
    rc = compress_record(&z, h, block, block_len, NULL, &frame_len);
    if (rc < 0) {
        pthread_mutex_lock(&w->lock);
        set_err(w, "%s: compressing the %s record: %s%s%s",
                s->target_uri ? s->target_uri : b->ids[i], warc_type_name(type), fa_strerror(rc),
                z.zerr ? ": " : "", z.zerr ? z.zerr : "");
        pthread_mutex_unlock(&w->lock);
        goto out;
    }
    b->uncompressed += h->len + block_len + WARC__TRAILER_LEN;
    if (w->sampler) segment__sampler_add(w->sampler, h->data, h->len, block, block_len, NULL, 0);
    batch_frame(b, type, frame_len, 0, &f);
    b->main_frame[i] = b->n_fr - 1;
    int http = type == WARC_TYPE_REVISIT;
    rc = batch_index(w, b, f, type, ct, s->target_uri, date, http ? block : NULL,
                     http ? block_len : 0, payload);
out:
    fa_buf_free(&fields);
    return rc;
}

/* Under w->lock: roll over if needed, append every frame of the group in
 * order, index them, fill outs. */
static int append_batch(segment_writer *w, worker *k, batch *b, const warc_record_spec *specs,
                        size_t n, warc_written *outs, int *train_now, closing_segment *old)
{
    int rc;
    uint64_t total = 0;
    for (size_t i = 0; i < b->n_fr; i++)
        total += b->fr[i].len;
    /* The old segment is closed by the caller once the lock is released
     * (finish_segment); a failed close is logged and kept as the last
     * error; it says nothing about this group, which goes to the new one. */
    if (w->fd >= 0 && (w->broken || (w->size + total > w->max_size && w->size > w->info_size)))
        detach_segment(w, old);
    if (w->fd < 0) {
        rc = open_segment(w);
        if (rc < 0) return rc;
    }
    uint64_t start = w->size, off = start;
    /* Frames in memory lie side by side in k->out: each run of them is
     * written with one pwrite (one system call per group, not per record;
     * the lock is held for less), a frame in a temporary file copied. */
    size_t pos = 0, run_pos = 0, run_len = 0;
    uint64_t run_off = start;
    for (size_t i = 0; i <= b->n_fr; i++) {
        frame_info *f = i < b->n_fr ? &b->fr[i] : NULL;
        int r = 0;
        if (f && !f->in_tmp) {
            if (run_len == 0) {
                run_pos = pos;
                run_off = off;
            }
            run_len += (size_t)f->len;
            pos += (size_t)f->len;
        } else if (run_len) { /* a file-backed frame or the end: the run first */
            r = fa_pwrite_all(w->fd, k->out.data + run_pos, run_len, run_off);
            run_len = 0;
        }
        if (r == 0 && f && f->in_tmp) r = copy_range(b->p.tmpfd, f->len, w->fd, off);
        if (f) {
            f->offset = off;
            off += f->len;
        }
        if (r < 0) {
            int e = errno;
            rc = fa_err_from_errno(e);
            if (ftruncate(w->fd, (off_t)start) < 0) {
                w->broken = 1;
                set_err(w,
                        "%s/%s.open: appending %llu bytes at %llu: %s (and truncating back "
                        "failed: %s; a new segment will be started)",
                        w->dir, w->name, (unsigned long long)total, (unsigned long long)start,
                        strerror(e), strerror(errno));
            } else {
                set_err(w,
                        "%s/%s.open: appending %llu bytes at %llu: %s (truncated back to the "
                        "last whole record)",
                        w->dir, w->name, (unsigned long long)total, (unsigned long long)start,
                        strerror(e));
            }
            return rc;
        }
    }
    w->size += total;
    w->st.records += b->n_fr;
    w->st.bytes_on_disk += total;
    w->st.bytes_uncompressed += b->uncompressed;
    w->st.open_segment_size = w->size;
    publish_stats(w);
    for (size_t i = 0; w->obs.record_written && i < b->n_fr; i++)
        w->obs.record_written(w->obs.ud, (int)b->fr[i].type, b->fr[i].len);
    fa_buf lb;
    fa_buf_init(&lb, 4 * MAX_URI + 4096);
    for (size_t i = 0; i < b->n_fr && w->index && !w->idx_broken; i++) {
        frame_info *f = &b->fr[i];
        if (!f->indexed) continue;
        fa_buf *line = &lb;
        fa_buf_reset(line);
        rc = fa_buf_append(line, b->lines.data + f->line_off, f->line_len);
        if (rc == 0) rc = cdxj__line_tail(line, f->offset, w->name);
        if (rc == 0) rc = cdxj__acc_add(&w->idx, line->data, line->len);
        if (rc < 0) {
            w->idx_broken = 1;
            cdxj__acc_reset(&w->idx);
            set_err(w,
                    "%s/%s.cdxj: keeping index lines: %s; the index of this segment will "
                    "not be written at close (`feedarc index` rebuilds it)",
                    w->dir, w->name, rc == FA_ENOMEM ? "out of memory" : strerror(errno));
        }
    }
    fa_buf_free(&lb);
    if (w->sampler && w->cdict == NULL && !w->training && w->st.records >= w->train_after) {
        w->training = 1; /* this thread trains, once the lock is released */
        *train_now = 1;
    }
    for (size_t i = 0; outs && i < n; i++) {
        warc_written *o = &outs[i];
        const frame_info *f = &b->fr[b->main_frame[i]];
        memset(o, 0, sizeof *o);
        if (i == b->exchange) memcpy(o->request_id, b->p.req_id, sizeof o->request_id);
        memcpy(o->response_id, b->ids[i], sizeof o->response_id);
        memcpy(o->payload_digest, b->pay[i], sizeof o->payload_digest);
        snprintf(o->segment, sizeof o->segment, "%s", w->name);
        o->response_offset = f->offset;
        o->response_length = f->len;
    }
    (void)specs;
    return 0;
}

int segment_writer_set_dictionary(segment_writer *w, const void *dict, size_t len)
{
    void *frame = NULL;
    size_t frame_len = 0;
    ZSTD_CDict *cd = NULL;
    int rc = 0;
    if (w == NULL || segment_dict_id(dict, len) == 0 || len > SEGMENT_DICT_MAX) return FA_EINVAL;
    cd = ZSTD_createCDict(dict, len, w->level);
    if (cd == NULL) return FA_ENOMEM;
    rc = segment__dict_frame(dict, len, &frame, &frame_len);
    if (rc < 0) goto out;
    pthread_mutex_lock(&w->lock);
    if (w->cdict) {
        pthread_mutex_unlock(&w->lock);
        rc = FA_EINVAL;
        goto out;
    }
    w->dict_frame = frame;
    w->dict_frame_len = frame_len;
    frame = NULL;
    pthread_mutex_lock(&w->pool_lock);
    w->cdict = cd;
    w->dict_gen++;
    pthread_mutex_unlock(&w->pool_lock);
    cd = NULL;
    /* the groups waiting for a first run's early dictionary go on now, not
     * after the old segment's close below (fsync, rename, index) */
    pthread_cond_broadcast(&w->trained);
    /* the next record opens a segment that starts with the dictionary; the
     * old one is closed with the lock released */
    closing_segment old = {.fd = -1};
    detach_segment(w, &old);
    pthread_mutex_unlock(&w->lock);
    rc = finish_segment(w, &old);
out:
    ZSTD_freeCDict(cd);
    free(frame);
    return rc;
}

/* (issue 14) The thread that wrote the train_after-th record trains the
 * dictionary and switches to it; nothing is held meanwhile, so the other
 * threads keep writing (without it) until the switch. */
static void train_and_switch(segment_writer *w)
{
    void *d = NULL;
    size_t len = 0;
    uint64_t t0 = fa_time_now_ns();
    int rc = segment__sampler_train(w->sampler, 10, 0, w->train_size, &d, &len, &w->obs);
    if (rc == 0) rc = segment_writer_set_dictionary(w, d, len);
    pthread_mutex_lock(&w->lock);
    if (rc == 0 || w->cdict) {
        fa_log_info("warc",
                    "%s: a %zu-byte dictionary (%u) trained in %.2f s on the first %llu records; "
                    "the segments from now on use it",
                    w->dir, len, segment_dict_id(d, len), (double)(fa_time_now_ns() - t0) / 1e9,
                    (unsigned long long)w->st.records);
    } else {
        fa_log_warn("warc",
                    "%s: no dictionary trained after %llu records (%s); trying again at %llu",
                    w->dir, (unsigned long long)w->st.records, fa_strerror(rc),
                    (unsigned long long)w->train_after * 2);
        w->train_after *= 2;
    }
    w->training = 0;
    pthread_cond_broadcast(&w->trained);
    pthread_mutex_unlock(&w->lock);
    free(d);
}

int segment_writer_take_samples(segment_writer *w, segment_samples *out)
{
    memset(out, 0, sizeof *out);
    if (w == NULL || w->sampler == NULL) return FA_EINVAL;
    out->obs = w->obs;
    return segment__sampler_take(w->sampler, 100, &out->data, &out->sizes, &out->n);
}

int segment_samples_train(const segment_samples *s, size_t dict_size, void **dict, size_t *len)
{
    *dict = NULL;
    *len = 0;
    if (s == NULL || s->n == 0) return FA_EINVAL;
    return segment_dict_train(s->data, s->sizes, s->n, dict_size, dict, len, &s->obs);
}

void segment_samples_free(segment_samples *s)
{
    if (s == NULL) return;
    free(s->data);
    free(s->sizes);
    s->data = NULL;
    s->sizes = NULL;
    s->n = 0;
}

int segment_writer_write_records(segment_writer *w, const warc_record_spec *specs, size_t n,
                                 warc_written *outs)
{
    int rc = 0;
    worker *k = NULL;
    batch b;
    memset(&b, 0, sizeof b);
    b.p.tmpfd = -1;
    b.exchange = (size_t)-1;
    fa_buf_init(&b.lines, (size_t)n * (MAX_URI * 2 + 1024));
    if (w == NULL || specs == NULL || n == 0 || n > MAX_GROUP) {
        rc = FA_EINVAL;
        if (w) {
            pthread_mutex_lock(&w->lock);
            set_err(w, "cannot archive a group of %zu records (1-%d)", n, MAX_GROUP);
            pthread_mutex_unlock(&w->lock);
        }
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const warc_record_spec *s = &specs[i];
        const char *bad = spec_invalid(s);
        if (bad == NULL && s->exchange) {
            if (b.exchange != (size_t)-1) bad = "a group holds at most one exchange";
            b.exchange = i;
        }
        if (bad) {
            const char *uri = s->exchange ? s->exchange->target_uri : s->target_uri;
            pthread_mutex_lock(&w->lock);
            if (n == 1)
                set_err(w, "%s: cannot archive: %s", uri ? uri : "(null)", bad);
            else
                set_err(w, "%s: cannot archive record %zu of the group (%s): %s",
                        uri ? uri : "(null)", i,
                        warc_type_name(s->record_type) ? warc_type_name(s->record_type) : "no type",
                        bad);
            pthread_mutex_unlock(&w->lock);
            rc = FA_EINVAL;
            goto out;
        }
    }
    b.fr = calloc(n + 1, sizeof *b.fr);
    b.main_frame = calloc(n, sizeof *b.main_frame);
    b.ids = calloc(n, sizeof *b.ids);
    b.pay = calloc(n, sizeof *b.pay);
    k = worker_get(w);
    if (!b.fr || !b.main_frame || !b.ids || !b.pay || k == NULL) {
        rc = FA_ENOMEM;
        goto out;
    }
    int train_now = 0;
    closing_segment old = {.fd = -1};
    for (;;) {
        fa_buf_reset(&k->out);
        k->out.max = 0;
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = specs[i].exchange ? build_exchange(w, k, &specs[i], &b, i)
                                   : build_simple(w, k, &specs[i], &b, i);
        if (rc < 0) goto out;
        pthread_mutex_lock(&w->lock);
        /* (issue 14) while the first dictionary is trained, groups wait
         * here rather than fill the dictionary-less segment */
        while (w->training && w->cdict == NULL)
            pthread_cond_wait(&w->trained, &w->lock);
        if (k->dict_gen == w->dict_gen) break;
        /* the dictionary changed while this group was compressed: its
         * frames belong to no segment now; compress them again */
        pthread_mutex_unlock(&w->lock);
        if (b.p.tmpfd >= 0) close(b.p.tmpfd);
        memset(&b.p, 0, sizeof b.p);
        b.p.tmpfd = -1;
        b.n_fr = 0;
        b.uncompressed = 0;
        fa_buf_reset(&b.lines);
        if (worker_sync_dict(w, k) == NULL) {
            k = NULL; /* freed */
            rc = FA_ENOMEM;
            goto out;
        }
    }
    rc = append_batch(w, k, &b, specs, n, outs, &train_now, &old);
    pthread_mutex_unlock(&w->lock);
    (void)finish_segment(w, &old); /* a roll-over's old segment */
    if (train_now) train_and_switch(w);
out:
    if (b.p.tmpfd >= 0) close(b.p.tmpfd);
    worker_put(w, k);
    free(b.fr);
    free(b.main_frame);
    free(b.ids);
    free(b.pay);
    fa_buf_free(&b.lines);
    return rc;
}

int segment_writer_write_record(segment_writer *w, const warc_record_spec *spec, warc_written *out)
{
    return segment_writer_write_records(w, spec, 1, out);
}

int segment_writer_write_exchange(segment_writer *w, const warc_exchange *x, warc_written *out)
{
    if (w == NULL || x == NULL) return FA_EINVAL;
    warc_record_spec s = {.record_type = WARC_TYPE_RESPONSE, .exchange = x};
    return segment_writer_write_records(w, &s, 1, out);
}

/* The fdatasync runs on a duplicate of the segment's descriptor, outside
 * the writer lock: appends go on meanwhile (a record appended after the dup
 * may or may not be covered; those before it are).  A segment closed in
 * between was fsynced by its close. */
int segment_writer_sync(segment_writer *w)
{
    int rc = 0, fd = -1;
    pthread_mutex_lock(&w->lock);
    if (w->fd >= 0 && (fd = fcntl(w->fd, F_DUPFD_CLOEXEC, 0)) < 0) {
        rc = fa_err_from_errno(errno);
        set_err(w, "%s/%s.open: dup for fdatasync: %s", w->dir, w->name, strerror(errno));
    }
    pthread_mutex_unlock(&w->lock);
    if (fd >= 0 && fdatasync(fd) < 0) {
        int e = errno;
        rc = fa_err_from_errno(e);
        pthread_mutex_lock(&w->lock);
        set_err(w, "%s/%s.open: fdatasync: %s", w->dir, w->name, strerror(e));
        pthread_mutex_unlock(&w->lock);
    }
    if (fd >= 0) close(fd);
    return rc;
}

void segment_writer_get_stats(segment_writer *w, segment_writer_stats *out)
{
    pthread_mutex_lock(&w->stats_lock);
    *out = w->st_pub;
    pthread_mutex_unlock(&w->stats_lock);
}

void segment_writer_segment_name(segment_writer *w, char *out, size_t len)
{
    if (len == 0) return;
    pthread_mutex_lock(&w->stats_lock);
    snprintf(out, len, "%s", w->name_pub);
    pthread_mutex_unlock(&w->stats_lock);
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
    closing_segment last = {.fd = -1};
    pthread_mutex_lock(&w->lock);
    detach_segment(w, &last);
    pthread_mutex_unlock(&w->lock);
    rc = finish_segment(w, &last);
    while (w->pool) {
        worker *k = w->pool;
        w->pool = k->next;
        worker_free(k);
    }
    cdxj__acc_reset(&w->idx);
    if (w->dirfd >= 0) close(w->dirfd);
    ZSTD_freeCDict(w->cdict);
    free(w->dict_frame);
    segment__sampler_free(w->sampler);
    pthread_mutex_destroy(&w->lock);
    pthread_mutex_destroy(&w->stats_lock);
    pthread_mutex_destroy(&w->pool_lock);
    pthread_cond_destroy(&w->trained);
    free(w->dir);
    free(w->prefix);
    free(w->software);
    free(w->operator_name);
    free(w->node);
    free(w);
    return rc;
}
