/*
 * test_reconcile.c - archive_reconcile after kills at the worst moments:
 * the state must learn every response the archive holds, whichever step
 * the kill interrupted, or the next crawl fetches and archives those pages
 * a second time (test_kill9 saw that under ASan).
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
#include "state/crawl_state.h"
#include "storage/segment_writer.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A closed segment in dir with n responses for http://example.com/<tag><i>;
 * its name into name. */
static void write_segment(const char *dir, const char *tag, int n, char *name, size_t len)
{
    segment_writer_options o = {.dir = dir, .prefix = tag};
    segment_writer *w;
    char err[256];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    for (int i = 0; i < n; i++) {
        char uri[128], req[256];
        snprintf(uri, sizeof uri, "http://example.com/%s%d", tag, i);
        snprintf(req, sizeof req, "GET /%s%d HTTP/1.1\r\nHost: example.com\r\n\r\n", tag, i);
        const char *head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n";
        fa_spool sp;
        fa_spool_init(&sp, 1 << 20, 1 << 20, "/tmp");
        assert_int_equal(fa_spool_write(&sp, uri, strlen(uri)), 0);
        warc_exchange x = {.target_uri = uri,
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reset_reads_nothing),
        cmocka_unit_test(open_segment_recovered_and_known),
        cmocka_unit_test(killed_between_rename_and_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
