/* test_storage.c - the WARC segment writer and reader: round trips of every
 * body shape, frame layout, roll-over, names, concurrency, the zstd CLI,
 * failure injection (RLIMIT_FSIZE) and corrupt input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/test_fs.h"

#include "common/fa_digest.h"
#include "common/fa_err.h"
#include "common/fa_spool.h"
#include "common/fa_time.h"
#include "storage/segment_writer.h"
#include "storage/warc_reader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

/* ---- helpers ---------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static void fill_random(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        p[i] = (uint8_t)rng_state;
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in dir that end with suffix, sorted; returns the count. */
static size_t list_files(const char *dir, const char *suffix, char **names, size_t max)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0, sl = strlen(suffix);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l >= sl && strcmp(e->d_name + l - sl, suffix) == 0) {
            assert_true(n < max);
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    return n;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

static segment_writer *open_writer(const char *dir, uint64_t max_size)
{
    segment_writer_options o = {0};
    o.dir = dir;
    o.prefix = "test";
    o.max_size = max_size;
    o.operator_name = "storage tests";
    segment_writer *w = NULL;
    char err[256];
    int rc = segment_writer_open(&o, &w, err, sizeof err);
    if (rc < 0) fail_msg("segment_writer_open: %s", err);
    return w;
}

static const char REQ_GET[] = "GET /page HTTP/1.1\r\nHost: example.org\r\nAccept: */*\r\n\r\n";

typedef struct exch {
    warc_exchange x;
    fa_spool body;
    char head[256];
    char uri[128];
} exch;

/* An exchange with a body of len bytes from data (NULL: random), spilled
 * to a file when mem_limit < len. */
static void exch_make(exch *e, const char *uri, const void *data, size_t len, size_t mem_limit,
                      int chunked)
{
    memset(e, 0, sizeof *e);
    snprintf(e->uri, sizeof e->uri, "%s", uri);
    fa_spool_init(&e->body, mem_limit, 1ULL << 32, "/tmp");
    uint8_t *tmp = NULL;
    if (data == NULL && len) {
        tmp = malloc(len);
        fill_random(tmp, len);
        data = tmp;
    }
    if (len) assert_int_equal(fa_spool_write(&e->body, data, len), 0);
    free(tmp);
    snprintf(e->head, sizeof e->head,
             chunked ? "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n"
                     : "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                       "Content-Length: %zu\r\n\r\n",
             len);
    e->x.target_uri = e->uri;
    e->x.ip_address = "192.0.2.7";
    e->x.date_ns = fa_time_now_ns();
    e->x.request = REQ_GET;
    e->x.request_len = sizeof REQ_GET - 1;
    e->x.response_head = e->head;
    e->x.response_head_len = strlen(e->head);
    e->x.body = &e->body;
    e->x.body_chunked = chunked;
}

static void exch_free(exch *e)
{
    fa_spool_free(&e->body);
}

/* Checks the frame at off in path independently of the reader: its header
 * states the content size, and it spans exactly len bytes. */
static void check_frame(const char *path, uint64_t off, uint64_t len)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    uint8_t *buf = malloc(len);
    assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
    close(fd);
    unsigned long long cs = ZSTD_getFrameContentSize(buf, len);
    assert_true(cs != ZSTD_CONTENTSIZE_UNKNOWN && cs != ZSTD_CONTENTSIZE_ERROR);
    assert_int_equal(ZSTD_findFrameCompressedSize(buf, len), len);
    char *dec = malloc(cs + 1);
    assert_int_equal(ZSTD_decompress(dec, cs, buf, len), cs);
    assert_memory_equal(dec, "WARC/1.1\r\n", 10);
    assert_memory_equal(dec + cs - 4, "\r\n\r\n", 4);
    free(dec);
    free(buf);
}

typedef struct seg_summary {
    size_t records, pairs;
    uint64_t end; /* offset after the last frame */
} seg_summary;

/* Reads a whole segment: warcinfo first, then request/response pairs
 * linked by WARC-Concurrent-To, every digest verified, frames contiguous. */
static seg_summary check_segment(const char *dir, const char *name)
{
    char path[512], err[512];
    seg_summary s = {0};
    snprintf(path, sizeof path, "%s/%s", dir, name);
    warc_reader *r = NULL;
    int rc = warc_reader_open(path, 0, &r, err, sizeof err);
    if (rc < 0) fail_msg("%s", err);
    warc_record rec;
    char pending[64] = "";
    uint64_t expect_off = 0;
    while ((rc = warc_reader_next(r, &rec)) == 1) {
        assert_int_equal(rec.offset, expect_off);
        check_frame(path, rec.offset, rec.length);
        expect_off = rec.offset + rec.length;
        assert_string_equal(rec.version, "WARC/1.1");
        assert_non_null(warc_record_field(&rec, "WARC-Record-ID"));
        assert_non_null(warc_record_field(&rec, "WARC-Date"));
        if (warc_record_verify_digests(&rec, err, sizeof err) < 0) fail_msg("%s", err);
        const char *type = warc_record_field(&rec, "WARC-Type");
        assert_non_null(type);
        if (s.records == 0) {
            assert_string_equal(type, "warcinfo");
            char want[256];
            snprintf(want, sizeof want, "%s", name);
            char *dot = strstr(want, ".open");
            if (dot) *dot = '\0';
            assert_string_equal(warc_record_field(&rec, "WARC-Filename"), want);
            assert_string_equal(warc_record_field(&rec, "Content-Type"), "application/warc-fields");
            assert_non_null(strstr((const char *)rec.block, "format: WARC File Format 1.1\r\n"));
            assert_non_null(strstr((const char *)rec.block, "hostname: "));
            assert_non_null(strstr((const char *)rec.block, "operator: storage tests\r\n"));
        } else if (strcmp(type, "request") == 0) {
            assert_string_equal(pending, "");
            assert_string_equal(warc_record_field(&rec, "Content-Type"),
                                "application/http;msgtype=request");
            const char *to = warc_record_field(&rec, "WARC-Concurrent-To");
            assert_non_null(to);
            snprintf(pending, sizeof pending, "%s", to);
        } else {
            assert_string_equal(type, "response");
            assert_string_equal(warc_record_field(&rec, "Content-Type"),
                                "application/http;msgtype=response");
            assert_string_equal(warc_record_field(&rec, "WARC-Record-ID"), pending);
            assert_non_null(warc_record_field(&rec, "WARC-Payload-Digest"));
            assert_non_null(warc_record_field(&rec, "WARC-Block-Digest"));
            pending[0] = '\0';
            s.pairs++;
        }
        s.records++;
    }
    if (rc < 0) fail_msg("%s", warc_reader_error(r));
    assert_string_equal(pending, "");
    assert_int_equal(expect_off, file_size(path));
    s.end = expect_off;
    warc_reader_close(r);
    return s;
}

/* Reads the response at w->response_offset and checks it against e. */
static void check_written(const char *dir, const warc_written *wr, exch *e)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/%s", dir, wr->segment);
    warc_reader *r = NULL;
    assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
    warc_record rec;
    int rc = warc_reader_read_at(r, wr->response_offset, &rec);
    if (rc != 1) fail_msg("%s", warc_reader_error(r));
    assert_int_equal(rec.length, wr->response_length);
    assert_string_equal(warc_record_field(&rec, "WARC-Type"), "response");
    assert_string_equal(warc_record_field(&rec, "WARC-Record-ID"), wr->response_id);
    assert_string_equal(warc_record_field(&rec, "WARC-Payload-Digest"), wr->payload_digest);
    assert_string_equal(warc_record_field(&rec, "WARC-Target-URI"), e->uri);
    assert_string_equal(warc_record_field(&rec, "WARC-IP-Address"), "192.0.2.7");
    /* WARC-Date: microseconds, UTC */
    const char *date = warc_record_field(&rec, "WARC-Date");
    assert_int_equal(strlen(date), strlen("2026-11-23T15:37:00.123456Z"));
    int64_t t;
    assert_int_equal(fa_time_parse_rfc3339(date, &t), 0);
    assert_true(t / 1000 == e->x.date_ns / 1000);
    /* block = head + body, byte for byte */
    size_t hl = e->x.response_head_len;
    assert_int_equal(rec.block_len, hl + e->body.size);
    assert_memory_equal(rec.block, e->head, hl);
    char cl[32];
    snprintf(cl, sizeof cl, "%zu", rec.block_len);
    assert_string_equal(warc_record_field(&rec, "Content-Length"), cl);
    if (fa_spool_memory(&e->body)) {
        assert_memory_equal(rec.block + hl, fa_spool_memory(&e->body), e->body.size);
    } else {
        uint8_t *b = malloc(e->body.size + 1);
        assert_int_equal(pread(e->body.fd, b, e->body.size, 0), (ssize_t)e->body.size);
        assert_memory_equal(rec.block + hl, b, e->body.size);
        free(b);
    }
    /* the request frame is right before: it names this response */
    assert_true(wr->response_offset > 0);
    warc_reader_close(r);
}

static void payload_label(const void *data, size_t len, char out[40])
{
    uint8_t d[20];
    fa_sha1_oneshot(data, len, d);
    fa_sha1_label(d, out);
}

/* ---- tests ------------------------------------------------------------ */

static void roundtrip_bodies(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    char sub[512];
    snprintf(sub, sizeof sub, "%s/a/b/archive", dir); /* mkdir -p */
    segment_writer *w = open_writer(sub, 0);
    exch e[6];
    warc_written wr[6];
    char want[40];
    static const char chunked[] = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\n";
    exch_make(&e[0], "http://example.org/mem", "small body", 10, 1 << 16, 0);
    exch_make(&e[1], "http://example.org/file", NULL, 3 << 20, 4096, 0);
    exch_make(&e[2], "http://example.org/chunked", chunked, sizeof chunked - 1, 1 << 16, 1);
    exch_make(&e[3], "http://example.org/empty", NULL, 0, 1 << 16, 0);
    exch_make(&e[4], "http://example.org/null-body", NULL, 0, 1 << 16, 0);
    e[4].x.body = NULL;
    static const char bad_chunks[] = "zz\r\nnot chunked at all";
    exch_make(&e[5], "http://example.org/bad-chunks", bad_chunks, sizeof bad_chunks - 1, 1 << 16,
              1);
    assert_null(fa_spool_memory(&e[1].body)); /* really file-backed */
    for (int i = 0; i < 6; i++)
        assert_int_equal(segment_writer_write_exchange(w, &e[i].x, &wr[i]), 0);

    payload_label("small body", 10, want);
    assert_string_equal(wr[0].payload_digest, want);
    payload_label("hello world", 11, want);
    assert_string_equal(wr[2].payload_digest, want);
    assert_string_equal(wr[3].payload_digest, "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
    assert_string_equal(wr[4].payload_digest, "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
    payload_label(bad_chunks, sizeof bad_chunks - 1, want); /* raw fallback */
    assert_string_equal(wr[5].payload_digest, want);

    char *names[4];
    assert_int_equal(list_files(sub, ".warc.zst.open", names, 4), 1);
    assert_int_equal(list_files(sub, ".warc.zst", names + 1, 3), 0);
    free_names(names, 1);
    assert_int_equal(segment_writer_close(w), 0);

    assert_int_equal(list_files(sub, ".open", names, 4), 0);
    assert_int_equal(list_files(sub, ".warc.zst", names, 4), 1);
    for (int i = 0; i < 6; i++) {
        assert_string_equal(wr[i].segment, names[0]);
        check_written(sub, &wr[i], &e[i]);
    }
    seg_summary s = check_segment(sub, names[0]);
    assert_int_equal(s.pairs, 6);
    assert_int_equal(s.records, 13);
    free_names(names, 1);
    for (int i = 0; i < 6; i++)
        exch_free(&e[i]);
    test_rm_rf(dir);
    free(dir);
}

static void request_payload_digest(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    segment_writer *w = open_writer(dir, 0);
    exch e;
    exch_make(&e, "http://example.org/post", "ok", 2, 1024, 0);
    static const char post[] = "POST /api HTTP/1.1\r\nHost: example.org\r\nContent-Length: 7\r\n"
                               "\r\na=1&b=2";
    e.x.request = post;
    e.x.request_len = sizeof post - 1;
    warc_written wr;
    assert_int_equal(segment_writer_write_exchange(w, &e.x, &wr), 0);
    assert_int_equal(segment_writer_close(w), 0);
    char *names[2], path[512], err[256], want[40];
    assert_int_equal(list_files(dir, ".warc.zst", names, 2), 1);
    snprintf(path, sizeof path, "%s/%s", dir, names[0]);
    warc_reader *r;
    assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
    warc_record rec;
    assert_int_equal(warc_reader_next(r, &rec), 1); /* warcinfo */
    assert_int_equal(warc_reader_next(r, &rec), 1);
    assert_string_equal(warc_record_field(&rec, "WARC-Type"), "request");
    assert_string_equal(warc_record_field(&rec, "WARC-Concurrent-To"), wr.response_id);
    assert_string_equal(warc_record_field(&rec, "WARC-Record-ID"), wr.request_id);
    payload_label("a=1&b=2", 7, want);
    assert_string_equal(warc_record_field(&rec, "WARC-Payload-Digest"), want);
    assert_int_equal(rec.block_len, sizeof post - 1);
    assert_memory_equal(rec.block, post, sizeof post - 1);
    assert_int_equal(warc_record_verify_digests(&rec, err, sizeof err), 0);
    /* a GET has no payload digest */
    warc_reader_close(r);
    free_names(names, 1);
    exch_free(&e);
    test_rm_rf(dir);
    free(dir);
}

static void rolls_over_at_limit(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    const uint64_t limit = 16 * 1024;
    segment_writer *w = open_writer(dir, limit);
    warc_written wr[40];
    for (int i = 0; i < 40; i++) {
        exch e;
        char uri[64];
        snprintf(uri, sizeof uri, "http://example.org/%d", i);
        /* random bodies do not compress: ~2.5 KiB a pair */
        exch_make(&e, uri, NULL, 2000 + (size_t)i * 10, 1 << 16, 0);
        assert_int_equal(segment_writer_write_exchange(w, &e.x, &wr[i]), 0);
        exch_free(&e);
    }
    /* one oversized pair gets a segment of its own */
    exch big;
    exch_make(&big, "http://example.org/big", NULL, 40 * 1024, 1 << 20, 0);
    warc_written wbig, wafter;
    assert_int_equal(segment_writer_write_exchange(w, &big.x, &wbig), 0);
    exch_free(&big);
    exch small;
    exch_make(&small, "http://example.org/after", "x", 1, 1024, 0);
    assert_int_equal(segment_writer_write_exchange(w, &small.x, &wafter), 0);
    exch_free(&small);
    assert_string_not_equal(wbig.segment, wafter.segment);

    segment_writer_stats st;
    segment_writer_get_stats(w, &st);
    assert_int_equal(segment_writer_close(w), 0);

    char *names[64];
    size_t n = list_files(dir, ".warc.zst", names, 64);
    assert_true(n >= 5);
    assert_int_equal(st.segments, n);
    assert_int_equal(st.records, n + 2 * 42);
    assert_int_equal(list_files(dir, ".open", names + n, 1), 0);
    size_t pairs = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        seg_summary s = check_segment(dir, names[i]);
        uint64_t size = file_size(path);
        total += size;
        assert_true(s.pairs >= 1);
        if (s.pairs > 1)
            assert_true(size <= limit);
        else if (strcmp(names[i], wbig.segment) == 0)
            assert_true(size > limit);
        pairs += s.pairs;
        /* serials: <prefix>-<14 digits>-<5 digits>, increasing */
        assert_int_equal(strlen(names[i]), strlen("test-20261123153700-00000.warc.zst"));
        if (i > 0) assert_true(strcmp(names[i - 1] + 20, names[i] + 20) < 0);
    }
    assert_int_equal(pairs, 42);
    assert_int_equal(st.bytes_on_disk, total);
    assert_true(st.bytes_uncompressed > 40 * 2000);
    free_names(names, n);
    test_rm_rf(dir);
    free(dir);
}

/* A roll-over closes the old segment (fsync, rename, index) without the
 * writer lock: another thread's record goes to the next segment while the
 * old one is being closed.  The observer's segment_closed runs inside that
 * close; a write started from it must finish before it returns (before
 * the fix it waited for the lock the close held: 5 s, then "blocked"). */
typedef struct close_probe {
    segment_writer *w;
    pthread_mutex_t m;
    pthread_cond_t cv;
    int closes, done, blocked, rc;
    char closing[256];
    warc_written wr;
    pthread_t t;
} close_probe;

static void *probe_write(void *arg)
{
    close_probe *p = arg;
    exch e;
    exch_make(&e, "http://example.org/during-close", "y", 1, 1024, 0);
    int rc = segment_writer_write_exchange(p->w, &e.x, &p->wr);
    exch_free(&e);
    pthread_mutex_lock(&p->m);
    p->rc = rc;
    p->done = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->m);
    return NULL;
}

static void probe_closed(void *ud, const char *name, uint64_t bytes)
{
    close_probe *p = ud;
    (void)bytes;
    if (p->closes++) return; /* the first roll-over only */
    snprintf(p->closing, sizeof p->closing, "%s", name);
    assert_int_equal(pthread_create(&p->t, NULL, probe_write, p), 0);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&p->m);
    while (!p->done)
        if (pthread_cond_timedwait(&p->cv, &p->m, &until) == ETIMEDOUT) break;
    p->blocked = !p->done;
    pthread_mutex_unlock(&p->m);
    /* joined by the test: blocked, it waits for this close to return */
}

static void roll_over_close_holds_no_writer(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    close_probe p = {.m = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    fa_observer obs = {.ud = &p, .segment_closed = probe_closed};
    segment_writer_options o = {
        .dir = dir, .prefix = "test", .max_size = 16 * 1024, .operator_name = "storage tests"};
    o.observer = &obs;
    char err[256];
    assert_int_equal(segment_writer_open(&o, &p.w, err, sizeof err), 0);
    for (int i = 0; i < 12; i++) {
        exch e;
        char uri[64];
        snprintf(uri, sizeof uri, "http://example.org/%d", i);
        exch_make(&e, uri, NULL, 3000, 1 << 16, 0); /* random: ~3 KiB a pair */
        assert_int_equal(segment_writer_write_exchange(p.w, &e.x, NULL), 0);
        exch_free(&e);
    }
    assert_true(p.closes >= 1);
    pthread_join(p.t, NULL);
    assert_false(p.blocked);
    assert_int_equal(p.rc, 0);
    /* the record written during the close is in a later segment */
    assert_string_not_equal(p.wr.segment, p.closing);
    assert_int_equal(segment_writer_close(p.w), 0);
    char *names[16];
    size_t n = list_files(dir, ".warc.zst", names, 16);
    assert_int_equal(list_files(dir, ".open", names + n, 1), 0);
    size_t pairs = 0;
    for (size_t i = 0; i < n; i++)
        pairs += check_segment(dir, names[i]).pairs;
    assert_int_equal(pairs, 13);
    free_names(names, n);
    test_rm_rf(dir);
    free(dir);
}

static void skips_existing_names(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    char ts[15], path[512];
    int64_t now = fa_time_now_ns();
    /* occupy serials 0 and 1 for this second and the next two */
    for (int s = 0; s < 3; s++) {
        fa_time_format_14(now + (int64_t)s * 1000000000LL, ts);
        snprintf(path, sizeof path, "%s/test-%s-00000.warc.zst", dir, ts);
        close(open(path, O_CREAT | O_WRONLY, 0644));
        snprintf(path, sizeof path, "%s/test-%s-00001.warc.zst.open", dir, ts);
        close(open(path, O_CREAT | O_WRONLY, 0644));
    }
    segment_writer *w = open_writer(dir, 0);
    exch e;
    exch_make(&e, "http://example.org/", "x", 1, 1024, 0);
    warc_written wr;
    assert_int_equal(segment_writer_write_exchange(w, &e.x, &wr), 0);
    exch_free(&e);
    assert_int_equal(segment_writer_close(w), 0);
    assert_string_equal(wr.segment + strlen("test-20261123153700-"), "00002.warc.zst");
    char *names[16];
    size_t n = list_files(dir, ".warc.zst", names, 16);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (strcmp(names[i], wr.segment) != 0)
            assert_int_equal(file_size(path), 0); /* untouched */
        else
            check_segment(dir, names[i]);
    }
    free_names(names, n);
    test_rm_rf(dir);
    free(dir);
}

typedef struct thread_arg {
    segment_writer *w;
    int id, n;
    int failures;
} thread_arg;

static void *writer_thread(void *p)
{
    thread_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        exch e;
        char uri[64];
        snprintf(uri, sizeof uri, "http://t%d.example.org/%d", a->id, i);
        /* every 25th body spills to a file */
        size_t len = (size_t)(i % 7) * 300 + 50;
        exch_make(&e, uri, NULL, i % 25 == 0 ? 70000 : len, 65536, 0);
        if (segment_writer_write_exchange(a->w, &e.x, NULL) < 0) a->failures++;
        exch_free(&e);
    }
    return NULL;
}

static void concurrent_writers(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    segment_writer *w = open_writer(dir, 256 * 1024);
    pthread_t t[4];
    thread_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (thread_arg){w, i, 300, 0};
        assert_int_equal(pthread_create(&t[i], NULL, writer_thread, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].failures, 0);
    }
    assert_int_equal(segment_writer_sync(w), 0);
    assert_int_equal(segment_writer_close(w), 0);
    char *names[256];
    size_t n = list_files(dir, ".warc.zst", names, 256);
    assert_true(n > 1);
    size_t pairs = 0;
    static uint8_t seen[4][300];
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < n; i++) {
        pairs += check_segment(dir, names[i]).pairs;
        char path[512], err[256];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        warc_reader *r;
        assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
        warc_record rec;
        while (warc_reader_next(r, &rec) == 1) {
            int tid, k;
            const char *u = warc_record_field(&rec, "WARC-Target-URI");
            if (u && strcmp(warc_record_field(&rec, "WARC-Type"), "response") == 0) {
                assert_int_equal(sscanf(u, "http://t%d.example.org/%d", &tid, &k), 2);
                seen[tid][k]++;
            }
        }
        warc_reader_close(r);
    }
    assert_int_equal(pairs, 1200);
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 300; k++)
            assert_int_equal(seen[i][k], 1);
    free_names(names, n);
    test_rm_rf(dir);
    free(dir);
}

static int have_command(const char *name)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* Writes a small segment with n pairs; returns its path (malloc'd). */
static char *small_segment(const char *dir, int n)
{
    segment_writer *w = open_writer(dir, 0);
    static const char chunked[] = "3\r\nabc\r\n0\r\n\r\n";
    for (int i = 0; i < n; i++) {
        exch e;
        char uri[64];
        snprintf(uri, sizeof uri, "http://example.org/%d", i);
        if (i % 3 == 2)
            exch_make(&e, uri, chunked, sizeof chunked - 1, 1024, 1);
        else
            exch_make(&e, uri, "<html>hello hello hello</html>", 30, 1024, 0);
        assert_int_equal(segment_writer_write_exchange(w, &e.x, NULL), 0);
        exch_free(&e);
    }
    assert_int_equal(segment_writer_close(w), 0);
    char *names[2];
    assert_int_equal(list_files(dir, ".warc.zst", names, 2), 1);
    char *path = malloc(600);
    snprintf(path, 600, "%s/%s", dir, names[0]);
    free_names(names, 1);
    return path;
}

static size_t count_records(const char *path, int *rc_out)
{
    char err[512];
    warc_reader *r;
    size_t n = 0;
    int rc = warc_reader_open(path, 0, &r, err, sizeof err);
    if (rc < 0) {
        *rc_out = rc;
        return 0;
    }
    warc_record rec;
    while ((rc = warc_reader_next(r, &rec)) == 1) {
        char verr[512];
        if (warc_record_verify_digests(&rec, verr, sizeof verr) < 0) {
            rc = FA_ECORRUPT;
            break;
        }
        n++;
    }
    if (rc < 0) assert_non_null(strstr(warc_reader_error(r), "offset "));
    *rc_out = rc;
    warc_reader_close(r);
    return n;
}

static void zstd_cli_reads_segment(void **state)
{
    (void)state;
    if (!have_command("zstd")) {
        print_message("SKIP: the zstd command is not installed (apt-get install zstd)\n");
        skip();
    }
    char *dir = test_tmpdir_new();
    char *seg = small_segment(dir, 5);
    char cmd[1400], plain[600];
    snprintf(plain, sizeof plain, "%s/plain.warc", dir);
    snprintf(cmd, sizeof cmd, "zstd -q -dc '%s' > '%s'", seg, plain);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "zstd -q -t '%s'", seg);
    assert_int_equal(system(cmd), 0);
    /* the concatenated records are a valid plain WARC */
    int rc;
    assert_int_equal(count_records(plain, &rc), 11);
    assert_int_equal(rc, 0);
    /* and the whole WARC recompressed as one frame reads back too */
    snprintf(cmd, sizeof cmd, "zstd -q -c '%s' > '%s.one.zst'", plain, plain);
    assert_int_equal(system(cmd), 0);
    char one[700];
    snprintf(one, sizeof one, "%s.one.zst", plain);
    assert_int_equal(count_records(one, &rc), 11);
    assert_int_equal(rc, 0);
    free(seg);
    test_rm_rf(dir);
    free(dir);
}

static void copy_file(const char *from, const char *to, uint64_t len)
{
    int in = open(from, O_RDONLY), out = open(to, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    assert_true(in >= 0 && out >= 0);
    char *buf = malloc(len + 1);
    assert_int_equal(read(in, buf, len), (ssize_t)len);
    assert_int_equal(write(out, buf, len), (ssize_t)len);
    free(buf);
    close(in);
    close(out);
}

static void corrupt_and_truncated(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    char *seg = small_segment(dir, 4);
    uint64_t size = file_size(seg);
    char bad[700], err[512];
    snprintf(bad, sizeof bad, "%s/bad.warc.zst", dir);

    /* frame boundaries from a clean read */
    uint64_t bounds[16];
    size_t nb = 0;
    warc_reader *r;
    warc_record rec;
    assert_int_equal(warc_reader_open(seg, 0, &r, err, sizeof err), 0);
    while (warc_reader_next(r, &rec) == 1)
        bounds[nb++] = rec.offset + rec.length;
    warc_reader_close(r);
    assert_int_equal(nb, 9);

    /* every truncation: a clean prefix of records, then an error unless the
     * cut falls on a frame boundary */
    for (uint64_t cut = 1; cut < size; cut += 3) {
        copy_file(seg, bad, cut);
        int rc;
        size_t n = count_records(bad, &rc);
        int on_boundary = 0;
        size_t whole = 0;
        for (size_t i = 0; i < nb; i++) {
            if (bounds[i] <= cut) whole = i + 1;
            if (bounds[i] == cut) on_boundary = 1;
        }
        assert_int_equal(n, whole);
        if (on_boundary)
            assert_int_equal(rc, 0);
        else
            assert_true(rc == FA_ECORRUPT || rc == FA_EPARSE);
    }

    /* flipped bytes: never a crash; an error or a digest mismatch */
    copy_file(seg, bad, size);
    int fd = open(bad, O_RDWR);
    for (uint64_t at = 0; at < size; at += 5) {
        uint8_t b;
        assert_int_equal(pread(fd, &b, 1, (off_t)at), 1);
        uint8_t x = (uint8_t)(b ^ 0x5a);
        assert_int_equal(pwrite(fd, &x, 1, (off_t)at), 1);
        int rc;
        size_t n = count_records(bad, &rc);
        assert_true(rc < 0 || n == 9); /* 9 only if the flip hit nothing checked */
        assert_int_equal(pwrite(fd, &b, 1, (off_t)at), 1);
    }
    close(fd);

    /* not a WARC at all */
    fd = open(bad, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    assert_int_equal(write(fd, "hello world", 11), 11);
    close(fd);
    assert_int_equal(warc_reader_open(bad, 0, &r, err, sizeof err), FA_EPARSE);
    assert_non_null(strstr(err, "neither"));
    assert_int_equal(warc_reader_open("/nonexistent/x.warc.zst", 0, &r, err, sizeof err),
                     FA_ENOENT);

    /* plain WARC: wrong Content-Length, tampered block, missing field */
    static const char *cases[] = {
        "WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 5\r\n\r\nabcdef\r\n\r\n",
        "WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 50\r\n\r\nabc\r\n\r\n",
        "WARC/1.1\r\nWARC-Type: resource\r\n\r\nabc\r\n\r\n",
        "WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: x1\r\n\r\nabc\r\n\r\n",
        "WARC/1.1\r\nno colon here\r\nContent-Length: 3\r\n\r\nabc\r\n\r\n",
        "WARC/1.1\r\nContent-Length: 3\r\n",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fd = open(bad, O_CREAT | O_TRUNC | O_WRONLY, 0644);
        assert_int_equal(write(fd, cases[i], strlen(cases[i])), (ssize_t)strlen(cases[i]));
        close(fd);
        assert_int_equal(warc_reader_open(bad, 0, &r, err, sizeof err), 0);
        int rc = warc_reader_next(r, &rec);
        assert_true(rc == FA_ECORRUPT || rc == FA_EPARSE);
        assert_non_null(strstr(warc_reader_error(r), "offset 0"));
        warc_reader_close(r);
    }
    /* a record whose digest lies */
    static const char lie[] = "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Block-Digest: "
                              "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ\r\nContent-Length: 3\r\n"
                              "\r\nabc\r\n\r\n";
    fd = open(bad, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    assert_int_equal(write(fd, lie, sizeof lie - 1), (ssize_t)sizeof lie - 1);
    close(fd);
    assert_int_equal(warc_reader_open(bad, 0, &r, err, sizeof err), 0);
    assert_int_equal(warc_reader_next(r, &rec), 1);
    assert_int_equal(warc_record_verify_digests(&rec, err, sizeof err), FA_ECORRUPT);
    assert_non_null(strstr(err, "WARC-Block-Digest"));
    assert_int_equal(warc_reader_next(r, &rec), 0);
    warc_reader_close(r);

    /* a ceiling below the record size */
    assert_int_equal(warc_reader_open(seg, 100, &r, err, sizeof err), 0);
    assert_int_equal(warc_reader_next(r, &rec), FA_ETOOBIG);
    warc_reader_close(r);
    /* read_at past the end */
    assert_int_equal(warc_reader_open(seg, 0, &r, err, sizeof err), 0);
    assert_int_equal(warc_reader_read_at(r, size, &rec), FA_ENOENT);
    assert_int_equal(warc_reader_read_at(r, 1, &rec), FA_ECORRUPT);
    warc_reader_close(r);
    free(seg);
    test_rm_rf(dir);
    free(dir);
}

static void skippable_and_unsized_frames(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    char *seg = small_segment(dir, 2);
    uint64_t size = file_size(seg);
    char path[700];
    snprintf(path, sizeof path, "%s/mixed.warc.zst", dir);
    int out = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    /* an extension (skippable) frame first: the convention forbids one at
     * the start, but a reader steps over it (0x184D2A5D would have to hold
     * a dictionary, see dictionary tests) */
    uint8_t skip[8 + 5] = {0x50, 0x2A, 0x4D, 0x18, 5, 0, 0, 0, 'd', 'i', 'c', 't', '!'};
    assert_int_equal(write(out, skip, sizeof skip), (ssize_t)sizeof skip);
    char *buf = malloc(size);
    int in = open(seg, O_RDONLY);
    assert_int_equal(read(in, buf, size), (ssize_t)size);
    close(in);
    assert_int_equal(write(out, buf, size), (ssize_t)size);
    free(buf);
    /* then a record in a frame without a content size */
    static const char rec_txt[] = "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Target-URI: x:y\r\n"
                                  "Content-Length: 3\r\n\r\nabc\r\n\r\n";
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
    char z[256];
    size_t zn = ZSTD_compress2(c, z, sizeof z, rec_txt, sizeof rec_txt - 1);
    assert_false(ZSTD_isError(zn));
    assert_true(ZSTD_getFrameContentSize(z, zn) == ZSTD_CONTENTSIZE_UNKNOWN);
    ZSTD_freeCCtx(c);
    assert_int_equal(write(out, z, zn), (ssize_t)zn);
    close(out);

    char err[256];
    warc_reader *r;
    warc_record rec;
    assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
    size_t n = 0;
    int rc;
    const char *last = NULL;
    while ((rc = warc_reader_next(r, &rec)) == 1) {
        n++;
        last = warc_record_field(&rec, "WARC-Type");
        if (n == 1) assert_int_equal(rec.offset, sizeof skip);
        if (strcmp(last, "resource") == 0) {
            assert_int_equal(rec.block_len, 3);
            assert_memory_equal(rec.block, "abc", 3);
        }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, 6);
    assert_string_equal(last, "resource");
    warc_reader_close(r);
    /* the unsized frame over the ceiling is refused */
    assert_int_equal(warc_reader_open(path, 20, &r, err, sizeof err), 0);
    assert_int_equal(warc_reader_read_at(r, sizeof skip + size, &rec), FA_ETOOBIG);
    warc_reader_close(r);
    free(seg);
    test_rm_rf(dir);
    free(dir);
}

static void write_failure_truncates(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    segment_writer *w = open_writer(dir, 0);
    exch e;
    exch_make(&e, "http://example.org/first", "first body", 10, 4096, 0);
    assert_int_equal(segment_writer_write_exchange(w, &e.x, NULL), 0);
    exch_free(&e);
    segment_writer_stats st;
    segment_writer_get_stats(w, &st);
    uint64_t good = st.open_segment_size;

    /* the file may grow by only 300 more bytes: the next pair fails */
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = good + 300;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    exch_make(&e, "http://example.org/too-big", NULL, 20000, 1 << 20, 0);
    int rc = segment_writer_write_exchange(w, &e.x, NULL);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, FA_EIO);
    char msg[512];
    segment_writer_last_error(w, msg, sizeof msg);
    assert_non_null(strstr(msg, "truncated back"));
    char *names[2], path[700];
    assert_int_equal(list_files(dir, ".open", names, 2), 1);
    snprintf(path, sizeof path, "%s/%s", dir, names[0]);
    assert_int_equal(file_size(path), good);
    free_names(names, 1);

    /* still usable */
    assert_int_equal(segment_writer_write_exchange(w, &e.x, NULL), 0);
    exch_free(&e);
    segment_writer_get_stats(w, &st);
    assert_int_equal(st.records, 5);
    assert_int_equal(segment_writer_close(w), 0);
    assert_int_equal(list_files(dir, ".warc.zst", names, 2), 1);
    assert_int_equal(check_segment(dir, names[0]).pairs, 2);
    free_names(names, 1);
    test_rm_rf(dir);
    free(dir);
}

static void rejects_bad_input(void **state)
{
    (void)state;
    char err[256];
    segment_writer *w = NULL;
    segment_writer_options o = {0};
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), FA_EINVAL);
    assert_non_null(strstr(err, "folder"));
    o.dir = "/proc/feedarc-cannot-exist/x";
    assert_true(segment_writer_open(&o, &w, err, sizeof err) < 0);
    assert_non_null(strstr(err, "/proc/feedarc-cannot-exist/x"));
    assert_null(w);
    o.dir = "/tmp";
    o.prefix = "a/b";
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), FA_EINVAL);
    assert_int_equal(segment_writer_close(NULL), 0);
    warc_reader_close(NULL);

    char *dir = test_tmpdir_new();
    w = open_writer(dir, 0);
    exch e;
    exch_make(&e, "http://example.org/\r\nWARC-Type: evil", "x", 1, 1024, 0);
    assert_int_equal(segment_writer_write_exchange(w, &e.x, NULL), FA_EINVAL);
    segment_writer_last_error(w, err, sizeof err);
    assert_non_null(strstr(err, "control characters"));
    exch_free(&e);
    exch_make(&e, "http://example.org/", "x", 1, 1024, 0);
    e.x.response_head = "HTTP/1.1 200 OK\r\n";
    e.x.response_head_len = strlen(e.x.response_head);
    assert_int_equal(segment_writer_write_exchange(w, &e.x, NULL), FA_EINVAL);
    e.x.response_head = e.head;
    e.x.response_head_len = strlen(e.head);
    assert_int_equal(segment_writer_write_exchange(w, &e.x, NULL), 0);
    exch_free(&e);
    assert_int_equal(segment_writer_close(w), 0);
    char *names[2];
    assert_int_equal(list_files(dir, ".warc.zst", names, 2), 1);
    assert_int_equal(check_segment(dir, names[0]).pairs, 1);
    free_names(names, 1);
    test_rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip_bodies),        cmocka_unit_test(request_payload_digest),
        cmocka_unit_test(rolls_over_at_limit),     cmocka_unit_test(roll_over_close_holds_no_writer),
        cmocka_unit_test(skips_existing_names),
        cmocka_unit_test(concurrent_writers),      cmocka_unit_test(zstd_cli_reads_segment),
        cmocka_unit_test(corrupt_and_truncated),   cmocka_unit_test(skippable_and_unsized_frames),
        cmocka_unit_test(write_failure_truncates), cmocka_unit_test(rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
