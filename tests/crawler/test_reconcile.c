/*
 * test_reconcile.c - archive_reconcile after kills at the worst moments:
 * the state must learn every response the archive holds, whichever step
 * the kill interrupted, or the next crawl fetches and archives those pages
 * a second time (test_kill9 saw that under ASan).
 *
 * Segments are written here by the segment writer; a kill is reproduced by
 * the files it leaves: a closed segment the state never heard of (killed
 * after recovery renamed it, before the state commit), and an .open one
 * (killed while writing).
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

/* Killed after recovery renamed the segment, before the state commit (and
 * before any commit of the crawl that wrote it): the state knows no
 * segment, the archive holds a closed one. */
static void closed_segment_unknown_to_the_state(void **state)
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
    assert_int_equal(res.records_added, 3);
    assert_known(st, "a", 3, seg);
    /* and where the next reconciliation starts is recorded */
    assert_int_equal(crawl_state_get_kv(st, STATE_BATCH_KV_LAST_SEGMENT, last, sizeof last), 1);
    assert_string_equal(last, seg);
    /* again: nothing new */
    assert_int_equal(archive_reconcile(dir, st, &res, err, sizeof err), 0);
    assert_int_equal(res.records_added, 0);
    crawl_state_close(st);
    test_rm_rf(dir);
    free(dir);
}

/* Killed while writing: an .open segment beside a closed one the state
 * knows nothing of either; then the state knows the first, and a later
 * segment is left .open. */
static void open_and_closed_segments(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    char a[256], b[256], path[1024], open_path[1100], err[512] = "";
    write_segment(dir, "a", 2, a, sizeof a);
    write_segment(dir, "b", 4, b, sizeof b);
    snprintf(path, sizeof path, "%s/%s", dir, b);
    snprintf(open_path, sizeof open_path, "%s.open", path);
    assert_int_equal(rename(path, open_path), 0);
    crawl_state *st;
    assert_int_equal(crawl_state_open_memory(&st), 0);
    reconcile_result res;
    if (archive_reconcile(dir, st, &res, err, sizeof err) < 0) fail_msg("%s", err);
    assert_int_equal(res.segments_recovered, 1);
    assert_int_equal(access(path, F_OK), 0);
    assert_known(st, "a", 2, a);
    assert_known(st, "b", 4, b);
    crawl_state_close(st);
    test_rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(closed_segment_unknown_to_the_state),
        cmocka_unit_test(open_and_closed_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
