/*
 * test_reconcile.c - archive_reconcile after kills at the worst moments:
 * the state must learn every response the archive holds, whichever step
 * the kill interrupted, or the next crawl fetches and archives those pages
 * a second time (test_kill9 saw that under ASan).  And its decisions on
 * real segments beside a real SQLite state: a state that knows newer
 * captures, segments the state never heard of, torn .open segments, an
 * .open segment older than the mark, an unreadable segment (rolled back).
 *
 * Segments are written here by the segment writer; an .open one is a
 * closed one renamed (a crawl killed while writing), and the kill inside
 * reconciliation is a real SIGKILL in a child process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_spool.h"
#include "common/fa_time.h"
#include "crawl_test_util.h"
#include "crawler/archive_reconcile.h"
#include "crawler/state_batch.h"
#include "storage/state/crawl_state.h"
#include "storage/segment_writer.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A closed segment in dir, named after prefix, with one response per uri
 * (head as the HTTP response head); its name into name. */
static void write_uris(const char *dir, const char *prefix, const char *const *uris, int n,
                       const char *head, char *name, size_t len)
{
    segment_writer_options o = {.dir = dir, .prefix = prefix};
    segment_writer *w;
    char err[256];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    for (int i = 0; i < n; i++) {
        char req[9000];
        const char *path = strchr(uris[i] + strlen("http://"), '/');
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: example.com\r\n\r\n", path);
        fa_spool sp;
        fa_spool_init(&sp, 1 << 20, 1 << 20, "/tmp");
        assert_int_equal(fa_spool_write(&sp, uris[i], strlen(uris[i])), 0);
        warc_exchange x = {.target_uri = uris[i],
                           .date_ns = fa_time_now_ns(),
                           .request = req,
                           .request_len = strlen(req),
                           .response_head = head,
                           .response_head_len = strlen(head),
                           .body = &sp};
        warc_written out;
        assert_int_equal(segment_writer_write_exchange(w, &x, &out), 0);
        snprintf(name, len, "%s", out.segment);
        fa_spool_free(&sp);
    }
    assert_int_equal(segment_writer_close(w), 0);
}

#define OK_HEAD "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"

/* A closed segment in dir with n responses for http://example.com/<tag><i>;
 * its name into name. */
static void write_segment(const char *dir, const char *tag, int n, char *name, size_t len)
{
    char uris[64][128];
    const char *p[64];
    assert_true(n <= 64);
    for (int i = 0; i < n; i++) {
        snprintf(uris[i], sizeof uris[i], "http://example.com/%s%d", tag, i);
        p[i] = uris[i];
    }
    write_uris(dir, tag, p, n, OK_HEAD, name, len);
}

static void assert_known(crawl_state *st, const char *tag, int n, const char *segment)
{
    for (int i = 0; i < n; i++) {
        char uri[128];
        snprintf(uri, sizeof uri, "http://example.com/%s%d", tag, i);
        url_record r;
        if (crawl_state_get_url(st, uri, &r) != 1)
            fail_msg("%s: not in the state after reconciliation", uri);
        assert_string_equal(r.warc_segment, segment);
        assert_true(r.warc_record_id[0] != '\0');
    }
}

/* A new (or deleted) state beside an archive of closed segments learns
 * nothing from it: that is a reset, and the next crawl fetches again. */
static void reset_reads_nothing(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    char seg[256], err[512] = "", last[256];
    write_segment(dir, "a", 3, seg, sizeof seg);
    crawl_state *st;
    assert_int_equal(crawl_state_open_memory(&st), 0);
    reconcile_result res;
    if (archive_reconcile(dir, st, &res, err, sizeof err) < 0) fail_msg("%s", err);
    assert_int_equal(res.segments_recovered, 0);
    assert_int_equal(res.records_added, 0);
    assert_int_equal(crawl_state_get_kv(st, STATE_BATCH_KV_LAST_SEGMENT, last, sizeof last), 0);
    crawl_state_close(st);
    test_rm_rf(dir);
    free(dir);
}

/* Killed while writing (a first run, before its first state commit): an
 * .open segment, and a closed one before it the state knows nothing of
 * (left as is: it is older than the mark). */
static void open_segment_recovered_and_known(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    char a[256], b[256], path[1024], open_path[1100], err[512] = "", last[256];
    write_segment(dir, "b", 4, b, sizeof b);
    snprintf(path, sizeof path, "%s/%s", dir, b);
    snprintf(open_path, sizeof open_path, "%s.open", path);
    assert_int_equal(rename(path, open_path), 0);
    crawl_state *st;
    assert_int_equal(crawl_state_open_memory(&st), 0);
    reconcile_result res;
    if (archive_reconcile(dir, st, &res, err, sizeof err) < 0) fail_msg("%s", err);
    assert_int_equal(res.segments_recovered, 1);
    assert_int_equal(res.records_added, 4);
    assert_int_equal(access(path, F_OK), 0);
    assert_known(st, "b", 4, b);
    assert_int_equal(crawl_state_get_kv(st, STATE_BATCH_KV_LAST_SEGMENT, last, sizeof last), 1);
    assert_string_equal(last, b);
    /* a later segment, closed, written after the mark: read next time */
    write_segment(dir, "c", 2, a, sizeof a);
    assert_int_equal(archive_reconcile(dir, st, &res, err, sizeof err), 0);
    assert_int_equal(res.records_added, 2);
    assert_known(st, "c", 2, a);
    crawl_state_close(st);
    test_rm_rf(dir);
    free(dir);
}

/* The kill -9 duplicates: a start-up killed after recovery renamed the
 * .open segment and before the state commit (a real SIGKILL, through the
 * FEEDARC_TEST_KILL_IN_RECONCILE fault injection), on a state that knew no
 * segment yet.  The next start must still teach the state every response
 * of that segment. */
static void killed_between_rename_and_commit(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    char archive[600], state_dir[600], b[256], path[1024], open_path[1100], err[512] = "";
    snprintf(archive, sizeof archive, "%s/archive", dir);
    snprintf(state_dir, sizeof state_dir, "%s/state", dir);
    assert_int_equal(mkdir(archive, 0700), 0);
    write_segment(archive, "b", 5, b, sizeof b);
    snprintf(path, sizeof path, "%s/%s", archive, b);
    snprintf(open_path, sizeof open_path, "%s.open", path);
    assert_int_equal(rename(path, open_path), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("FEEDARC_TEST_KILL_IN_RECONCILE", "1", 1);
        crawl_state *st;
        if (crawl_state_open_sqlite(state_dir, &st, err, sizeof err) < 0) _exit(2);
        reconcile_result res;
        archive_reconcile(archive, st, &res, err, sizeof err);
        _exit(3); /* not reached: killed inside */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(access(path, F_OK), 0); /* renamed before the kill */
    crawl_state *st;
    if (crawl_state_open_sqlite(state_dir, &st, err, sizeof err) < 0) fail_msg("%s", err);
    reconcile_result res;
    if (archive_reconcile(archive, st, &res, err, sizeof err) < 0) fail_msg("%s", err);
    assert_int_equal(res.segments_recovered, 0);
    assert_known(st, "b", 5, b);
    crawl_state_close(st);
    test_rm_rf(dir);
    free(dir);
}

/* ---- decisions on real segments and a real SQLite state ---- */

typedef struct fixture {
    char *top;
    char archive[600], state_dir[600];
    crawl_state *st;
} fixture;

static void fixture_open(fixture *f)
{
    char err[512];
    f->top = test_tmpdir_new();
    snprintf(f->archive, sizeof f->archive, "%s/archive", f->top);
    snprintf(f->state_dir, sizeof f->state_dir, "%s/state", f->top);
    assert_int_equal(mkdir(f->archive, 0700), 0);
    if (crawl_state_open_sqlite(f->state_dir, &f->st, err, sizeof err) < 0) fail_msg("%s", err);
}

static void fixture_close(fixture *f)
{
    crawl_state_close(f->st);
    test_rm_rf(f->top);
    free(f->top);
}

static void reconcile_ok(fixture *f, reconcile_result *res)
{
    char err[512] = "";
    if (archive_reconcile(f->archive, f->st, res, err, sizeof err) < 0) fail_msg("%s", err);
    assert_int_equal(crawl_state_in_transaction(f->st), 0);
}

static void assert_mark(crawl_state *st, const char *want)
{
    char last[256];
    assert_int_equal(crawl_state_get_kv(st, STATE_BATCH_KV_LAST_SEGMENT, last, sizeof last), 1);
    assert_string_equal(last, want);
}

static void to_open(const char *dir, const char *name)
{
    char path[1024], open_path[1100];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(open_path, sizeof open_path, "%s.open", path);
    assert_int_equal(rename(path, open_path), 0);
}

static void put_record(crawl_state *st, const char *uri, int kind, const char *segment,
                       uint64_t offset, const char *etag, uint64_t fetch_count)
{
    url_record r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.http_status = 200;
    snprintf(r.etag, sizeof r.etag, "%s", etag);
    snprintf(r.warc_record_id, sizeof r.warc_record_id, "<urn:uuid:from-the-state>");
    snprintf(r.warc_segment, sizeof r.warc_segment, "%s", segment);
    r.warc_offset = offset;
    r.fetch_count = fetch_count;
    assert_int_equal(crawl_state_put_url(st, uri, &r), 0);
}

/* The state knows newer captures than some of the segments read: a record
 * in a later segment, or later in the same one, is kept; one in an older
 * segment is replaced by the archived response - its validators dropped,
 * its kind kept, its fetch counted. */
static void state_ahead_of_segments(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f);
    const char *uris[] = {"http://example.com/newer-segment", "http://example.com/later-offset",
                          "http://example.com/older-segment"};
    char s1[256], s2[256];
    write_uris(f.archive, "s1", uris, 3, OK_HEAD, s1, sizeof s1);
    write_uris(f.archive, "s2", uris, 1, OK_HEAD, s2, sizeof s2);
    assert_int_equal(crawl_state_put_kv(f.st, STATE_BATCH_KV_LAST_SEGMENT, s1), 0);
    put_record(f.st, uris[0], URL_KIND_PAGE, "s9-20991231000000-00001.warc.zst", 0, "\"a\"", 1);
    put_record(f.st, uris[1], URL_KIND_PAGE, s1, UINT64_MAX / 2, "\"b\"", 1);
    put_record(f.st, uris[2], URL_KIND_FEED, "s0-20000101000000-00001.warc.zst", 0, "\"c\"", 3);
    reconcile_result res;
    reconcile_ok(&f, &res);
    assert_int_equal(res.segments_recovered, 0);
    assert_int_equal(res.responses_seen, 4);
    assert_int_equal(res.records_added, 1);
    url_record r;
    assert_int_equal(crawl_state_get_url(f.st, uris[0], &r), 1);
    assert_string_equal(r.warc_record_id, "<urn:uuid:from-the-state>");
    assert_string_equal(r.etag, "\"a\"");
    assert_int_equal(crawl_state_get_url(f.st, uris[1], &r), 1);
    assert_string_equal(r.warc_record_id, "<urn:uuid:from-the-state>");
    assert_string_equal(r.etag, "\"b\"");
    assert_int_equal(crawl_state_get_url(f.st, uris[2], &r), 1);
    assert_string_equal(r.warc_segment, s1);
    assert_true(strncmp(r.warc_record_id, "<urn:uuid:", 10) == 0);
    assert_string_not_equal(r.warc_record_id, "<urn:uuid:from-the-state>");
    assert_string_equal(r.etag, "");
    assert_int_equal(r.kind, URL_KIND_FEED);
    assert_int_equal(r.fetch_count, 4);
    assert_int_equal(r.http_status, 200);
    assert_true(r.last_fetch_ns > 0);
    assert_true(strncmp(r.payload_digest, "sha1:", 5) == 0);
    assert_true(r.warc_length > 0);
    assert_mark(f.st, s2);
    /* again: s2 only (the mark), nothing new */
    reconcile_ok(&f, &res);
    assert_int_equal(res.responses_seen, 1);
    assert_int_equal(res.records_added, 0);
    assert_int_equal(crawl_state_get_url(f.st, uris[2], &r), 1);
    assert_int_equal(r.fetch_count, 4);
    fixture_close(&f);
}

/* Segments closed after the state's last commit (the commit was lost):
 * every one from the mark on is read, the mark moves to the newest, and
 * each response's status and date are taken from the record. */
static void segments_ahead_of_state(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f);
    char s1[256], s2[256], s3[256];
    write_segment(f.archive, "s1", 2, s1, sizeof s1);
    to_open(f.archive, s1);
    reconcile_result res;
    reconcile_ok(&f, &res);
    assert_int_equal(res.segments_recovered, 1);
    assert_int_equal(res.records_added, 2);
    assert_mark(f.st, s1);
    write_segment(f.archive, "s2", 3, s2, sizeof s2);
    const char *gone[] = {"http://example.com/gone0", "http://example.com/gone1"};
    int64_t before = fa_time_now_ns();
    write_uris(f.archive, "s3", gone, 2, "HTTP/1.1 404 Not Found\r\n\r\n", s3, sizeof s3);
    reconcile_ok(&f, &res);
    assert_int_equal(res.segments_recovered, 0);
    assert_int_equal(res.responses_seen, 2 + 3 + 2);
    assert_int_equal(res.records_added, 5);
    assert_known(f.st, "s1", 2, s1);
    assert_known(f.st, "s2", 3, s2);
    url_record r;
    assert_int_equal(crawl_state_get_url(f.st, gone[1], &r), 1);
    assert_int_equal(r.http_status, 404);
    assert_int_equal(r.kind, URL_KIND_PAGE);
    assert_int_equal(r.fetch_count, 1);
    assert_true(r.last_fetch_ns >= before - 2000000000LL);
    assert_string_equal(r.warc_segment, s3);
    assert_mark(f.st, s3);
    /* the state survives a reopen: committed */
    crawl_state_close(f.st);
    char err[512];
    if (crawl_state_open_sqlite(f.state_dir, &f.st, err, sizeof err) < 0) fail_msg("%s", err);
    assert_mark(f.st, s3);
    assert_known(f.st, "s2", 3, s2);
    fixture_close(&f);
}

static uint64_t size_of(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (uint64_t)sb.st_size;
}

/* Two .open segments: one torn inside its last record (a kill mid-write),
 * one with garbage after its last whole record.  Both are made whole and
 * closed; the torn record's URL is not claimed, every whole one is. */
static void torn_open_segments(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f);
    char s1[256], s2[256], path[1200];
    write_segment(f.archive, "s1", 5, s1, sizeof s1);
    write_segment(f.archive, "s2", 3, s2, sizeof s2);
    uint64_t s1_size = size_of(f.archive, s1), s2_size = size_of(f.archive, s2);
    to_open(f.archive, s1);
    to_open(f.archive, s2);
    snprintf(path, sizeof path, "%s/%s.open", f.archive, s1);
    assert_int_equal(truncate(path, (off_t)s1_size - 7), 0);
    snprintf(path, sizeof path, "%s/%s.open", f.archive, s2);
    FILE *fp = fopen(path, "ab");
    assert_non_null(fp);
    for (int i = 0; i < 300; i++)
        fputc(0xAB, fp);
    fclose(fp);
    reconcile_result res;
    reconcile_ok(&f, &res);
    assert_int_equal(res.segments_recovered, 2);
    assert_int_equal(res.records_added, 4 + 3);
    assert_known(f.st, "s1", 4, s1);
    url_record r;
    assert_int_equal(crawl_state_get_url(f.st, "http://example.com/s14", &r), 0);
    assert_known(f.st, "s2", 3, s2);
    assert_true(size_of(f.archive, s1) < s1_size - 7);
    assert_int_equal(size_of(f.archive, s2), s2_size);
    snprintf(path, sizeof path, "%s/%s.open", f.archive, s1);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_mark(f.st, s2);
    fixture_close(&f);
}

/* An .open segment older than the state's mark (the mark was committed
 * past it): the mark moves back to it, so it is read after recovery -
 * and the segments before it are still not. */
static void mark_moves_back_to_oldest_open(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f);
    char s1[256], s2[256], s3[256];
    write_segment(f.archive, "s1", 2, s1, sizeof s1);
    write_segment(f.archive, "s2", 2, s2, sizeof s2);
    write_segment(f.archive, "s3", 2, s3, sizeof s3);
    to_open(f.archive, s2);
    assert_int_equal(crawl_state_put_kv(f.st, STATE_BATCH_KV_LAST_SEGMENT, s3), 0);
    reconcile_result res;
    reconcile_ok(&f, &res);
    assert_int_equal(res.segments_recovered, 1);
    assert_int_equal(res.responses_seen, 4);
    assert_int_equal(res.records_added, 4);
    assert_known(f.st, "s2", 2, s2);
    assert_known(f.st, "s3", 2, s3);
    url_record r;
    assert_int_equal(crawl_state_get_url(f.st, "http://example.com/s10", &r), 0);
    assert_mark(f.st, s3);
    fixture_close(&f);
}

/* A segment after the mark that cannot be read: an error that names it,
 * and nothing of the scan is committed - neither the responses read
 * before it nor a new mark. */
static void unreadable_segment_rolls_back(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f);
    char s1[256], s2[256], path[1200];
    write_segment(f.archive, "s1", 1, s1, sizeof s1);
    to_open(f.archive, s1);
    reconcile_ok(&f, &(reconcile_result){0});
    write_segment(f.archive, "s2", 2, s2, sizeof s2);
    snprintf(path, sizeof path, "%s/s3-20991231000000-00001.warc.zst", f.archive);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs("this is not a zstd frame, let alone a WARC record\n", fp);
    fclose(fp);
    char err[512] = "";
    reconcile_result res;
    assert_true(archive_reconcile(f.archive, f.st, &res, err, sizeof err) < 0);
    printf("unreadable segment: %s\n", err);
    assert_non_null(strstr(err, "s3-20991231000000-00001.warc.zst"));
    assert_int_equal(crawl_state_in_transaction(f.st), 0);
    url_record r;
    assert_int_equal(crawl_state_get_url(f.st, "http://example.com/s20", &r), 0);
    assert_mark(f.st, s1);
    /* the file removed, the next start reads s2 */
    assert_int_equal(unlink(path), 0);
    reconcile_ok(&f, &res);
    assert_int_equal(res.records_added, 2);
    assert_mark(f.st, s2);
    fixture_close(&f);
}

/* An archive folder not made yet (a first start): nothing to do, no mark. */
static void missing_archive(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f);
    char missing[700], err[512] = "", last[256];
    snprintf(missing, sizeof missing, "%s/no-such-folder", f.top);
    reconcile_result res;
    assert_int_equal(archive_reconcile(missing, f.st, &res, err, sizeof err), 0);
    assert_int_equal(res.segments_recovered, 0);
    assert_int_equal(res.records_added, 0);
    assert_int_equal(crawl_state_get_kv(f.st, STATE_BATCH_KV_LAST_SEGMENT, last, sizeof last), 0);
    assert_int_equal(crawl_state_in_transaction(f.st), 0);
    fixture_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reset_reads_nothing),
        cmocka_unit_test(open_segment_recovered_and_known),
        cmocka_unit_test(killed_between_rename_and_commit),
        cmocka_unit_test(state_ahead_of_segments),
        cmocka_unit_test(segments_ahead_of_state),
        cmocka_unit_test(torn_open_segments),
        cmocka_unit_test(mark_moves_back_to_oldest_open),
        cmocka_unit_test(unreadable_segment_rolls_back),
        cmocka_unit_test(missing_archive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
