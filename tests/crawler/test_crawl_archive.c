/*
 * test_crawl_archive.c - a page's archiving on a worker (crawl_archive.c)
 * with a real segment writer and a real dedup index: a page (or a feed
 * item) whose records cannot be written - the open segment's descriptor
 * turned into /dev/full for the call, a full disk (ENOSPC) for the segment
 * alone - leaves the dedup index without it; once written, it is in the
 * index, and the same payload at another URL is archived as a revisit of
 * it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "crawl_test_util.h"
#include "crawler/crawl_internal.h"
#include "state/state_test_util.h" /* the writer held busy, as a commit holds it */

#include <dirent.h>
#include <pthread.h>
#include <time.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fixture {
    char *dir;
    crawl_options opt;
    crawl c;
    char *html;
} fixture;

/* An article of n paragraphs of pseudo-words drawn from seed. */
static char *article(uint64_t seed, unsigned n)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 20);
    fa_buf_puts(&b, "<html><head><title>Story</title></head><body><article><h1>Story</h1>\n");
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (unsigned p = 0; p < n; p++) {
        fa_buf_puts(&b, "<p>");
        for (int w = 0; w < 60; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            fa_buf_printf(&b, "%sw%u", w ? " " : "", (unsigned)(x % 5000));
        }
        fa_buf_puts(&b, ".</p>\n");
    }
    fa_buf_puts(&b, "</article></body></html>");
    return fa_buf_steal(&b, NULL);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = test_tmpdir_new();
    char archive[600], dedup[600], err[512] = "";
    snprintf(archive, sizeof archive, "%s/archive", f->dir);
    snprintf(dedup, sizeof dedup, "%s/dedup", f->dir);
    assert_int_equal(mkdir(dedup, 0700), 0);
    segment_writer_options wo = {.dir = archive};
    assert_int_equal(segment_writer_open(&wo, &f->c.w, err, sizeof err), 0);
    assert_int_equal(dedup_engine_open(dedup, NULL, &f->c.dedup), 0);
    f->c.opt = &f->opt;
    pthread_mutex_init(&f->c.written_lock, NULL);
    f->html = article(42, 8);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    assert_int_equal(segment_writer_close(f->c.w), 0);
    dedup_engine_close(f->c.dedup);
    fa_hashset_free(&f->c.written_ids);
    pthread_mutex_destroy(&f->c.written_lock);
    test_rm_rf(f->dir);
    free(f->dir);
    free(f->html);
    free(f);
    return 0;
}

/* The disk under the open segment (and nothing else) fills: its
 * descriptor becomes /dev/full.  Returns a copy of the segment's own
 * descriptor for disk_back. */
static int disk_full(int *seg_fd)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    *seg_fd = -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char link[300], target[1024];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = '\0';
        if (n > 14 && strcmp(target + n - 14, ".warc.zst.open") == 0) *seg_fd = atoi(e->d_name);
    }
    closedir(d);
    assert_true(*seg_fd >= 0);
    int saved = dup(*seg_fd), full = open("/dev/full", O_WRONLY);
    assert_true(saved >= 0 && full >= 0);
    assert_int_equal(dup2(full, *seg_fd), *seg_fd);
    close(full);
    return saved;
}

static void disk_back(int seg_fd, int saved)
{
    assert_int_equal(dup2(saved, seg_fd), seg_fd);
    close(saved);
}

static const char REQ[] = "GET /story HTTP/1.1\r\nHost: a.example\r\n\r\n";
static const char HEAD[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n";

/* A job as crawl_page.c leaves it for the worker: the body as transferred
 * and its decoded payload. */
static void job_init(fixture *f, crawl_job *j, const char *url)
{
    memset(j, 0, sizeof *j);
    j->c = &f->c;
    j->url = (char *)url;
    j->ops = &crawl__page_ops;
    fetch_transfer_init(&j->t);
    assert_int_equal(fa_spool_write(&j->t.body, f->html, strlen(f->html)), 0);
    snprintf(j->t.content_type, sizeof j->t.content_type, "text/html; charset=utf-8");
    j->t.date_ns = 1700000000LL * 1000000000LL;
    fa_buf_init(&j->page.decoded, 1 << 20);
    assert_int_equal(fa_buf_puts(&j->page.decoded, f->html), 0);
    j->page.via = "https://a.example/feed";
}

static void job_done(crawl_job *j)
{
    fetch_transfer_cleanup(&j->t);
    fa_buf_free(&j->page.decoded);
}

static int archive_page(fixture *f, const char *url, crawl_job *j)
{
    job_init(f, j, url);
    warc_exchange x = {.target_uri = url,
                       .date_ns = j->t.date_ns,
                       .request = REQ,
                       .request_len = sizeof REQ - 1,
                       .response_head = HEAD,
                       .response_head_len = sizeof HEAD - 1,
                       .body = &j->t.body};
    int rc = crawl__archive_with_findings(j, &x);
    job_done(j);
    return rc;
}

static void test_failed_write_not_indexed(void **state)
{
    fixture *f = *state;
    crawl_job j;
    int fd, saved = disk_full(&fd);
    int rc = archive_page(f, "https://a.example/story", &j);
    disk_back(fd, saved);
    assert_int_equal(rc, FA_ENOSPC);
    assert_int_equal(dedup_engine_count(f->c.dedup), 0);

    /* written: indexed */
    assert_int_equal(archive_page(f, "https://a.example/story", &j), 0);
    assert_int_equal(dedup_engine_count(f->c.dedup), 1);
    assert_int_equal(j.exact_dup, 0);
    /* the same payload elsewhere: a revisit of the record just written */
    assert_int_equal(archive_page(f, "https://b.example/copy", &j), 0);
    assert_int_equal(j.exact_dup, 1);
    assert_int_equal(dedup_engine_count(f->c.dedup), 2);
}

/* Feed items without a page of their own: the same rule. */
static void test_failed_item_not_indexed(void **state)
{
    fixture *f = *state;
    crawl_job j;
    memset(&j, 0, sizeof j);
    j.c = &f->c;
    j.url = (char *)"https://a.example/feed";
    j.ops = &crawl__feed_ops;
    j.t.date_ns = 1700000000LL * 1000000000LL;
    crawl_feed_item item = {NULL, "https://a.example/item", "item-1", f->html};
    j.feed.items = &item;
    snprintf(j.written.response_id, sizeof j.written.response_id, "<urn:uuid:feed>");
    int fd, saved = disk_full(&fd);
    int rc = crawl__archive_items(&j);
    disk_back(fd, saved);
    assert_int_equal(rc, FA_ENOSPC);
    assert_int_equal(dedup_engine_count(f->c.dedup), 0);
    assert_int_equal(crawl__archive_items(&j), 0);
    assert_int_equal(dedup_engine_count(f->c.dedup), 1);
}

/* The later runs' dictionary trained on its own thread
 * (crawl__train_dictionary_start / _wait_taken / _finish), many times
 * over: a thread that ended before its starter saw uv_thread_create
 * return never posted "taken" and the run hung in _wait_taken (found by
 * test_cluster_crawl under ASan, a node in 2 of 3 runs).  With too few
 * records the thread ends at once, which is when that happened; with
 * enough, a dictionary is written and, not recorded, removed again. */
static void test_dictionary_thread_start_and_wait(void **state)
{
    fixture *f = *state;
    char archive[600], states[600], dicts[700], err[512] = "";
    snprintf(archive, sizeof archive, "%s/sampled", f->dir);
    snprintf(states, sizeof states, "%s/state", f->dir);
    snprintf(dicts, sizeof dicts, "%s/dictionaries", states);
    assert_int_equal(mkdir(states, 0700), 0);
    config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.storage.state_dir = states;
    cfg.storage.file_mode = 0640;
    crawl c;
    memset(&c, 0, sizeof c);
    c.cfg = &cfg;
    c.sampling = 1;
    for (int round = 0; round < 2; round++) {
        segment_writer_options wo = {
            .dir = archive, .lazy_open = 1, .train_dict_after = 100000, .no_index = 1};
        assert_int_equal(segment_writer_open(&wo, &c.w, err, sizeof err), 0);
        unsigned records = round == 0 ? 3 : 400; /* too few, then enough */
        for (unsigned i = 0; i < records; i++) {
            char uri[64];
            snprintf(uri, sizeof uri, "https://a.example/%u", i);
            warc_record_spec r = {.record_type = WARC_TYPE_CONVERSION,
                                  .target_uri = uri,
                                  .content_type = "text/plain",
                                  .refers_to = "<urn:uuid:00000000-0000-4000-8000-000000000000>",
                                  .block = f->html,
                                  .block_len = strlen(f->html)};
            assert_int_equal(segment_writer_write_record(c.w, &r, NULL), 0);
        }
        unsigned tries = round == 0 ? 2000 : 3;
        for (unsigned i = 0; i < tries; i++) {
            crawl_dict_training t = {0}; /* zeroed: _start is a no-op once started */
            crawl__train_dictionary_start(&c, &t, 1);
            assert_true(t.started);
            crawl__train_dictionary_wait_taken(&t);
            crawl__train_dictionary_finish(&c, &t, 0);
            assert_int_equal(t.started, 0);
            if (round == 1 && i == 0) { /* trained and saved, then removed */
                assert_int_equal(t.rc, 0);
                assert_true(t.len > 0 && t.path[0] != '\0');
                assert_int_equal(access(t.path, F_OK), -1);
            } else {
                assert_int_equal(t.rc, FA_EINVAL); /* too few records, or none left */
            }
        }
        assert_int_equal(segment_writer_close(c.w), 0);
        c.w = NULL;
        /* not recorded: no dictionary left behind */
        DIR *d = opendir(dicts);
        for (struct dirent *e; d && (e = readdir(d)) != NULL;)
            assert_true(e->d_name[0] == '.');
        if (d) closedir(d);
    }
}

/* The loop thread's url look-ups (crawl__get_url) read the state batch's
 * uncommitted records, then the read-only connection crawl_run opens: a
 * worker's commit holds the writer's mutex through its fsync, and a
 * look-up must not wait for it.  Here the writer's mutex is held by
 * another thread for up to 10 s; both look-ups return at once. */
static void test_url_lookups_do_not_wait_for_the_writer(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    char err[512] = "";
    crawl c;
    memset(&c, 0, sizeof c);
    assert_int_equal(crawl_state_open_sqlite(dir, &c.st, err, sizeof err), 0);
    url_record r;
    memset(&r, 0, sizeof r);
    r.kind = URL_KIND_PAGE;
    snprintf(r.etag, sizeof r.etag, "\"committed\"");
    assert_int_equal(crawl_state_put_url(c.st, "http://127.0.0.1/old", &r), 0);
    assert_int_equal(crawl_state_open_sqlite_readonly(dir, &c.reader, err, sizeof err), 0);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(state_batch_new(&loop, NULL, c.st, NULL, &c.batch), 0);
    snprintf(r.etag, sizeof r.etag, "\"queued\"");
    assert_int_equal(state_batch_put_url(c.batch, "http://127.0.0.1/new", &r), 0);

    state_writer_hold h;
    assert_int_equal(state_writer_hold_start(&h, c.st), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    url_record got;
    assert_int_equal(crawl__get_url(&c, "http://127.0.0.1/old", &got), 1);
    assert_string_equal(got.etag, "\"committed\"");
    assert_int_equal(crawl__get_url(&c, "http://127.0.0.1/new", &got), 1);
    assert_string_equal(got.etag, "\"queued\"");
    assert_int_equal(crawl__get_url(&c, "http://127.0.0.1/none", &got), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    state_writer_hold_release(&h);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("three look-ups beside a busy writer: %.3f s\n", waited);
    assert_true(waited < 5.0); /* the writer let go after 10 s at the earliest */

    char msg[256] = "";
    assert_int_equal(state_batch_finish(c.batch, msg, sizeof msg), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
    crawl_state_close(c.reader);
    crawl_state_close(c.st);
    test_rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failed_write_not_indexed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_item_not_indexed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dictionary_thread_start_and_wait, setup, teardown),
        cmocka_unit_test(test_url_lookups_do_not_wait_for_the_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
