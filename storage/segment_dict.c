/* segment_dict.c - zstd dictionaries: training (ZDICT), the state folder's
 * <dictid>.zdict files, and the warc.zst dictionary frame; see
 * segment_dict.h. */
#include "storage/segment_dict.h"

#include "common/fa_err.h"
#include "common/fa_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define ZDICT_STATIC_LINKING_ONLY /* ZDICT_trainFromBuffer_fastCover */
#include <zdict.h>
#include <zstd.h>

/* The dictionary's frame, written at the start of every segment that uses
 * it, is compressed when a writer opens or takes a dictionary: before a
 * run's first fetch, and while a first run's writers wait for the early
 * dictionary.  Level 9: a 256 KiB dictionary in 13 ms to 47.9 KB; level 19
 * took 97 ms for 45.2 KB (2.7 KB less per segment), a twentieth of a later
 * run's wall time on the bench (docs/BENCHMARKS.md, "Session 15"). */
#define DICT_FRAME_LEVEL 9

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

unsigned segment__fastcover_f(size_t samples_bytes)
{
    unsigned f = 16;
    while (f < 20 && ((size_t)1 << (f + 4)) <= samples_bytes)
        f++;
    return f;
}

int segment_dict_train(const void *samples, const size_t *sizes, unsigned n, size_t dict_size,
                       void **dict, size_t *len, const fa_observer *obs)
{
    *dict = NULL;
    *len = 0;
    if (samples == NULL || sizes == NULL || n == 0 || dict_size < 256 ||
        dict_size > SEGMENT_DICT_MAX)
        return FA_EINVAL;
    void *buf = malloc(dict_size);
    if (buf == NULL) return FA_ENOMEM;
    /* fastCover with its parameters fixed (d=8, f=20, k=1000, accel 4,
     * every sample trained on), not ZDICT_trainFromBuffer's search over k:
     * the search trains several dictionaries and compresses held-out
     * samples with each, 4-8 times the CPU (bench_dict on a first run's
     * records: 0.39 s against 0.05 s for the 256 KiB one of a run's end,
     * 0.16 s against 0.03 s for the early 112 KiB one; 0.91 / 0.23 s and
     * 0.40 / 0.11 s on ~100 KB pages), for archives within 1.2% of
     * k=1000's either way.  accel 4 (fastCover counts the frequency of
     * every fourth d-mer and builds the entropy tables on a quarter of the
     * samples) halves the CPU again for archives within 0.6% of accel 1's
     * (docs/STORAGE.md, "Training").
     * The early training holds the writers while it runs; the last one
     * stands between the run's last page and its exit.
     * f, the log2 of fastCover's d-mer frequency table, follows the
     * samples' bytes (log2 of them less 3, 16-20): its 4-byte counters
     * are allocated and touched whole (4 MiB at f=20, ~20 us a fresh
     * page on the bench's VM), and a first run's early 500 records (~3
     * MB on news pages of 7-17 KB) fill a 2^18 table as well: its training
     * 0.07-0.08 -> 0.03-0.05 s, the archives +0.1-0.5% (docs/STORAGE.md,
     * "f by the samples' bytes").  A run's end has 2,000 records: 6.5 MB
     * of compact pages (f=19, its later runs' archives unchanged), 12 MiB
     * of ~100 KB ones (f=20). */
    size_t total = 0;
    for (unsigned i = 0; i < n; i++)
        total += sizes[i];
    ZDICT_fastCover_params_t p;
    memset(&p, 0, sizeof p);
    p.d = 8;
    p.f = segment__fastcover_f(total);
    p.k = dict_size < 1000 ? (unsigned)dict_size : 1000;
    p.accel = 4;
    p.splitPoint = 1.0;
    p.zParams.compressionLevel = ZSTD_CLEVEL_DEFAULT;
    size_t r = ZDICT_trainFromBuffer_fastCover(buf, dict_size, samples, sizes, n, p);
    if (ZDICT_isError(r)) {
        free(buf);
        return FA_EPARSE;
    }
    void *shrunk = realloc(buf, r);
    *dict = shrunk ? shrunk : buf;
    *len = r;
    if (obs && obs->dictionary_trained) obs->dictionary_trained(obs->ud, r, n);
    return 0;
}

uint32_t segment_dict_id(const void *dict, size_t len)
{
    if (dict == NULL || len < 8 || le32(dict) != ZSTD_MAGIC_DICTIONARY) return 0;
    return ZDICT_getDictID(dict, len);
}

static int read_file(const char *path, size_t max, void **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fa_err_from_errno(errno);
    struct stat st;
    int rc = 0;
    uint8_t *buf = NULL;
    if (fstat(fd, &st) < 0) {
        rc = fa_err_from_errno(errno);
        goto out;
    }
    if ((uint64_t)st.st_size > max) {
        rc = FA_ETOOBIG;
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        rc = FA_ENOMEM;
        goto out;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = fa_err_from_errno(errno);
            goto out;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    *data = buf;
    *len = got;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return rc;
}

int segment_dict_save(const char *dir, const void *dict, size_t len, unsigned mode, char *path_out)
{
    mode = mode ? mode & 0777 : 0640;
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    uint32_t id = segment_dict_id(dict, len);
    if (id == 0) return FA_EINVAL;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) return fa_err_from_errno(errno);
    int n = snprintf(path, sizeof path, "%s/%u.zdict", dir, id);
    if (n < 0 || (size_t)n >= sizeof path) return FA_EINVAL;
    if (path_out) memcpy(path_out, path, (size_t)n + 1);
    void *old = NULL;
    size_t old_len = 0;
    if (read_file(path, SEGMENT_DICT_MAX, &old, &old_len) == 0) {
        int same = old_len == len && memcmp(old, dict, len) == 0;
        free(old);
        if (same) return 0;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    if (fd < 0) return fa_err_from_errno(errno);
    if (fchmod(fd, (mode_t)mode) < 0 || fa_write_all(fd, dict, len) < 0 || fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return fa_err_from_errno(e);
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return fa_err_from_errno(e);
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        int r = fsync(dfd);
        int e = errno;
        close(dfd);
        if (r < 0) return fa_err_from_errno(e);
    }
    return 0;
}

int segment_dict_load(const char *path, void **dict, size_t *len, char *err, size_t errlen)
{
    *dict = NULL;
    *len = 0;
    int rc = read_file(path, SEGMENT_DICT_MAX, dict, len);
    if (rc < 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path,
                     rc == FA_ETOOBIG ? "larger than 8 MiB: not a dictionary" : strerror(errno));
        return rc;
    }
    if (segment_dict_id(*dict, *len) == 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s: not a zstd dictionary with a Dictionary_ID", path);
        free(*dict);
        *dict = NULL;
        *len = 0;
        return FA_EINVAL;
    }
    return 0;
}

int segment__dict_frame(const void *dict, size_t len, void **frame, size_t *frame_len)
{
    *frame = NULL;
    *frame_len = 0;
    size_t bound = ZSTD_compressBound(len);
    uint8_t *f = malloc(8 + bound);
    if (f == NULL) return FA_ENOMEM;
    ZSTD_CCtx *c = ZSTD_createCCtx();
    if (c == NULL) {
        free(f);
        return FA_ENOMEM;
    }
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, DICT_FRAME_LEVEL);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1);
    size_t z = ZSTD_compress2(c, f + 8, bound, dict, len);
    ZSTD_freeCCtx(c);
    if (ZSTD_isError(z) || z > UINT32_MAX) {
        free(f);
        return FA_EINVAL;
    }
    put_le32(f, SEGMENT_DICT_MAGIC);
    put_le32(f + 4, (uint32_t)z);
    *frame = f;
    *frame_len = 8 + z;
    return 0;
}

int segment__dict_decode(const void *user_data, size_t len, void **dict, size_t *dict_len,
                         const char **why)
{
    const uint8_t *p = user_data;
    *dict = NULL;
    *dict_len = 0;
    if (len < 8) {
        *why = "dictionary frame too short";
        return FA_ECORRUPT;
    }
    if (le32(p) == ZSTD_MAGIC_DICTIONARY) {
        if ((*dict = malloc(len)) == NULL) return FA_ENOMEM;
        memcpy(*dict, p, len);
        *dict_len = len;
        return 0;
    }
    if (le32(p) != ZSTD_MAGICNUMBER) {
        *why = "dictionary frame holds neither a dictionary nor a zstd frame";
        return FA_ECORRUPT;
    }
    if (ZSTD_findFrameCompressedSize(p, len) != len) {
        *why = "dictionary frame must hold exactly one zstd frame";
        return FA_ECORRUPT;
    }
    unsigned long long size = ZSTD_getFrameContentSize(p, len);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size < 8 ||
        size > SEGMENT_DICT_MAX) {
        *why = "compressed dictionary without a usable content size (or over 8 MiB)";
        return FA_ECORRUPT;
    }
    uint8_t *d = malloc((size_t)size);
    if (d == NULL) return FA_ENOMEM;
    size_t n = ZSTD_decompress(d, (size_t)size, p, len);
    if (ZSTD_isError(n) || n != size || le32(d) != ZSTD_MAGIC_DICTIONARY) {
        free(d);
        *why = ZSTD_isError(n) ? ZSTD_getErrorName(n)
                               : "compressed dictionary does not decompress to a dictionary";
        return FA_ECORRUPT;
    }
    *dict = d;
    *dict_len = n;
    return 0;
}

int segment_dict_from_segment(const char *path, void **dict, size_t *len, char *err, size_t errlen)
{
    uint8_t hdr[8];
    int rc = 0;
    uint8_t *ud = NULL;
    const char *why = NULL;
    *dict = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = fa_err_from_errno(errno);
        if (err && errlen) snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return rc;
    }
    ssize_t n = pread(fd, hdr, sizeof hdr, 0);
    if (n < 8 || le32(hdr) != SEGMENT_DICT_MAGIC) {
        rc = FA_ENOENT;
        if (err && errlen) snprintf(err, errlen, "%s: no dictionary frame at its start", path);
        goto out;
    }
    uint32_t ulen = le32(hdr + 4);
    if (ulen > SEGMENT_DICT_MAX) {
        rc = FA_ECORRUPT;
        why = "dictionary frame larger than 8 MiB";
        goto out;
    }
    ud = malloc(ulen ? ulen : 1);
    if (ud == NULL) {
        rc = FA_ENOMEM;
        goto out;
    }
    n = pread(fd, ud, ulen, 8);
    if (n < 0 || (uint32_t)n != ulen) {
        rc = n < 0 ? fa_err_from_errno(errno) : FA_ECORRUPT;
        why = n < 0 ? strerror(errno) : "dictionary frame runs past the end of the file";
        goto out;
    }
    rc = segment__dict_decode(ud, ulen, dict, len, &why);
out:
    if (rc < 0 && why && err && errlen) snprintf(err, errlen, "%s: offset 0: %s", path, why);
    free(ud);
    close(fd);
    return rc;
}

/* ---- the reservoir of training samples -------------------------------- */

/* The samples live side by side in one arena rather than in a block each,
 * so that the run's last training takes them as they lie: no copy into
 * fresh memory between the run's last page and its exit (a run's 6.5-12
 * MB of samples faulted in page by page, 25 ms on the bench's VM), and no
 * 2,000 blocks to free.  A sample that replaces a longer one is written
 * over it (the difference stays a hole); a longer one goes after the last.
 * Once the holes come to a quarter of the bytes kept (HOLES_MIN at least)
 * or the arena's end is reached, the samples are moved down over the holes
 * (compact: a memmove of the bytes kept, ~1.5 ms for 6.5 MB, a few times
 * in a run), so the arena's pages written - its share of the process's
 * memory - stay within about 1.25 times the samples.  The arena is
 * allocated once, at its full size: a page is resident once written. */
#define ARENA_CAP ((size_t)SEGMENT__SAMPLES_BYTES + ((size_t)4 << 20))
#define HOLES_MIN ((size_t)1 << 20)

struct segment__sampler {
    pthread_mutex_t lock;
    uint8_t *arena; /* ARENA_CAP bytes, NULL until the first sample */
    size_t end;     /* the arena's bytes in use: the last sample's end */
    size_t off[SEGMENT__SAMPLES];
    size_t sizes[SEGMENT__SAMPLES];
    unsigned n;     /* samples kept */
    uint64_t seen;  /* records offered */
    size_t bytes;   /* kept in all */
    uint64_t state; /* xorshift64: which record replaces which sample */
};

segment__sampler *segment__sampler_new(void)
{
    segment__sampler *s = calloc(1, sizeof *s);
    if (s == NULL) return NULL;
    pthread_mutex_init(&s->lock, NULL);
    s->state = 0x9E3779B97F4A7C15ull; /* fixed: a run samples like the last one */
    return s;
}

void segment__sampler_free(segment__sampler *s)
{
    if (s == NULL) return;
    free(s->arena);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static uint64_t next_random(segment__sampler *s)
{
    s->state ^= s->state << 13;
    s->state ^= s->state >> 7;
    s->state ^= s->state << 17;
    return s->state;
}

typedef struct placed {
    size_t off;
    unsigned slot;
} placed;

static int by_offset(const void *x, const void *y)
{
    size_t a = ((const placed *)x)->off, b = ((const placed *)y)->off;
    return (a > b) - (a < b);
}

/* Moves the samples down over the holes, in the order they lie, so that
 * they fill arena[0, bytes); order[] (n of them, may be NULL) receives the
 * slots in that order.  Under the lock. */
static int compact(segment__sampler *s, unsigned *order)
{
    placed *p = malloc((s->n ? s->n : 1) * sizeof *p);
    if (p == NULL) return FA_ENOMEM;
    for (unsigned i = 0; i < s->n; i++)
        p[i] = (placed){s->off[i], i};
    qsort(p, s->n, sizeof *p, by_offset);
    size_t to = 0;
    for (unsigned i = 0; i < s->n; i++) {
        unsigned k = p[i].slot;
        if (s->off[k] != to && s->sizes[k])
            memmove(s->arena + to, s->arena + s->off[k], s->sizes[k]);
        s->off[k] = to;
        to += s->sizes[k];
        if (order) order[i] = k;
    }
    s->end = to;
    free(p);
    return 0;
}

uint64_t segment__sampler_add(segment__sampler *s, const void *a, size_t a_len, const void *b,
                              size_t b_len, const void *c, size_t c_len)
{
    if (a_len > SEGMENT__SAMPLE_MAX) a_len = SEGMENT__SAMPLE_MAX;
    if (b_len > SEGMENT__SAMPLE_MAX - a_len) b_len = SEGMENT__SAMPLE_MAX - a_len;
    if (c_len > SEGMENT__SAMPLE_MAX - a_len - b_len) c_len = SEGMENT__SAMPLE_MAX - a_len - b_len;
    size_t n = a_len + b_len + c_len;
    pthread_mutex_lock(&s->lock);
    uint64_t seen = ++s->seen;
    /* Algorithm R: once the reservoir is full (in count or in bytes), the
     * k-th record replaces a random sample with probability kept / k, so
     * every record of the run is about equally likely to be kept. */
    unsigned slot = s->n;
    if (s->n == SEGMENT__SAMPLES || s->bytes + n > SEGMENT__SAMPLES_BYTES)
        slot = (unsigned)(next_random(s) % seen);
    size_t old = slot < s->n ? s->sizes[slot] : 0;
    if (n == 0 || slot > s->n || slot == SEGMENT__SAMPLES ||
        s->bytes - old + n > SEGMENT__SAMPLES_BYTES)
        goto out;
    if (s->arena == NULL && (s->arena = malloc(ARENA_CAP)) == NULL) goto out;
    size_t at;
    if (slot < s->n && n <= old) {
        at = s->off[slot]; /* over the sample it replaces */
    } else {
        if (slot < s->n) s->sizes[slot] = 0; /* it goes: a hole compact() closes */
        size_t kept = s->bytes - old, holes = s->end - kept;
        if (s->end + n > ARENA_CAP || holes > (kept / 4 > HOLES_MIN ? kept / 4 : HOLES_MIN)) {
            if (compact(s, NULL) < 0) { /* out of memory: the old sample stays */
                if (slot < s->n) s->sizes[slot] = old;
                goto out;
            }
        }
        at = s->end; /* fits: the kept bytes are under SEGMENT__SAMPLES_BYTES */
        s->end += n;
    }
    if (a_len) memcpy(s->arena + at, a, a_len);
    if (b_len) memcpy(s->arena + at + a_len, b, b_len);
    if (c_len) memcpy(s->arena + at + a_len + b_len, c, c_len);
    if (slot == s->n) s->n++;
    s->off[slot] = at;
    s->sizes[slot] = n;
    s->bytes = s->bytes - old + n;
out:
    pthread_mutex_unlock(&s->lock);
    return seen;
}

/* One thread's share of a copy of the compacted samples. */
typedef struct copy_part {
    uint8_t *dst;
    const uint8_t *src;
    size_t len;
} copy_part;

static void *copy_part_run(void *arg)
{
    copy_part *c = arg;
    memcpy(c->dst, c->src, c->len);
    return NULL;
}

/* The samples kept, side by side in *samples, their sizes in *sizes (as
 * segment_dict_train wants them), compacted first.  consume: the arena
 * itself is handed over and the sampler starts empty (the run's last
 * training: nothing is copied; FA_EINVAL under min_samples leaves the
 * samples kept).  Otherwise (a first run's early training, while the run
 * goes on adding) the samples are copied: the copy is mostly page faults
 * on fresh memory (~20 us a page on the bench's VM), so past
 * COPY_SPLIT_BYTES a second thread copies the second half.  FA_EINVAL
 * (nothing copied) under min_samples, FA_ENOMEM. */
#define COPY_SPLIT_BYTES (2u << 20)
static int sampler_copy(segment__sampler *s, unsigned min_samples, int consume, void **samples,
                        size_t **sizes, unsigned *n)
{
    *samples = NULL;
    *sizes = NULL;
    *n = 0;
    pthread_mutex_lock(&s->lock);
    unsigned k = s->n;
    if (k < min_samples || k == 0) {
        pthread_mutex_unlock(&s->lock);
        return FA_EINVAL;
    }
    unsigned *order = malloc(k * sizeof *order);
    size_t *sz = malloc(k * sizeof *sz);
    uint8_t *all = NULL;
    if (order == NULL || sz == NULL || compact(s, order) < 0) goto nomem;
    for (unsigned i = 0; i < k; i++)
        sz[i] = s->sizes[order[i]];
    if (consume) {
        all = s->arena;
        s->arena = NULL;
        s->end = 0;
        s->n = 0;
        s->bytes = 0;
    } else {
        all = malloc(s->bytes ? s->bytes : 1);
        if (all == NULL) goto nomem;
        size_t half = s->bytes >= COPY_SPLIT_BYTES ? s->bytes / 2 : 0;
        copy_part second = {all + half, s->arena + half, s->bytes - half};
        pthread_t t;
        int threaded = half && pthread_create(&t, NULL, copy_part_run, &second) == 0;
        copy_part first = {all, s->arena, threaded ? half : s->bytes};
        copy_part_run(&first);
        if (threaded) pthread_join(t, NULL);
    }
    pthread_mutex_unlock(&s->lock);
    free(order);
    *samples = all;
    *sizes = sz;
    *n = k;
    return 0;
nomem:
    pthread_mutex_unlock(&s->lock);
    free(order);
    free(sz);
    return FA_ENOMEM;
}

int segment__sampler_take(segment__sampler *s, unsigned min_samples, void **samples,
                          size_t **sizes, unsigned *n)
{
    return sampler_copy(s, min_samples, 1, samples, sizes, n);
}

int segment__sampler_train(segment__sampler *s, unsigned min_samples, int consume, size_t dict_size,
                           void **dict, size_t *len, const fa_observer *obs)
{
    *dict = NULL;
    *len = 0;
    void *all;
    size_t *sizes;
    unsigned n;
    int rc = sampler_copy(s, min_samples, consume, &all, &sizes, &n);
    if (rc == 0) rc = segment_dict_train(all, sizes, n, dict_size, dict, len, obs);
    free(all);
    free(sizes);
    return rc;
}
