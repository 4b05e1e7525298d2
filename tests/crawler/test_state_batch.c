/*
 * test_state_batch.c - the crawl's state writer on a real SQLite state and
 * a real segment: updates are committed only by a flush, in the order they
 * were added, on a worker thread (never the loop thread), after the
 * segment's fsync; an urgent update or a full batch flushes before the
 * one-second timer; a failed commit is reported and nothing is claimed;
 * an update dropped unflushed still has its argument freed; the url
 * records not yet committed are read back (the newest, waiting or being
 * flushed; none once committed); (cluster) in
 * retry mode a failed commit is made again until it succeeds, and a note
 * after the updates hears once how they ended.
 *
 * What is committed is read through a second, read-only handle (as
 * `feedarc status` reads beside a running crawl): it sees committed
 * transactions only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "crawler/state_batch.h"
#include "crawler/archive_reconcile.h"
#include "crawl_test_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

typedef struct fixture {
    char *dir;
    char state_dir[600], archive_dir[600];
    uv_loop_t loop;
    crawl_state *st;
    segment_writer *w;
    state_batch *b;
    fa_workpool *pool;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = test_tmpdir_new();
    snprintf(f->state_dir, sizeof f->state_dir, "%s/state", f->dir);
    snprintf(f->archive_dir, sizeof f->archive_dir, "%s/archive", f->dir);
    char err[512] = "";
    assert_int_equal(crawl_state_open_sqlite(f->state_dir, &f->st, err, sizeof err), 0);
    segment_writer_options wo = {.dir = f->archive_dir, .lazy_open = 1};
    assert_int_equal(segment_writer_open(&wo, &f->w, err, sizeof err), 0);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(fa_workpool_new(&f->loop, 2, &f->pool), 0);
    assert_int_equal(state_batch_new(&f->loop, f->pool, f->st, f->w, &f->b), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->b) {
        state_batch_close(f->b);
        uv_run(&f->loop, UV_RUN_DEFAULT);
    }
    fa_workpool_close(f->pool);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    assert_int_equal(segment_writer_close(f->w), 0);
    crawl_state_close(f->st);
    test_rm_rf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* What another process sees: a read-only handle on the state folder. */
static crawl_state *reader(const fixture *f)
{
    crawl_state *ro = NULL;
    char err[512] = "";
    assert_int_equal(crawl_state_open_sqlite_readonly(f->state_dir, &ro, err, sizeof err), 0);
    return ro;
}

static int committed_url(const fixture *f, const char *url, url_record *out)
{
    crawl_state *ro = reader(f);
    url_record r;
    int rc = crawl_state_get_url(ro, url, out ? out : &r);
    crawl_state_close(ro);
    return rc;
}

static void committed_kv(const fixture *f, const char *key, char *val, size_t cap)
{
    crawl_state *ro = reader(f);
    if (crawl_state_get_kv(ro, key, val, cap) != 1) val[0] = '\0';
    crawl_state_close(ro);
}

/* Runs the loop for about ms milliseconds (a flush's worker may finish). */
static void on_stop(uv_timer_t *t)
{
    (void)t;
}

static void run_for(fixture *f, uint64_t ms)
{
    uv_timer_t t;
    uv_timer_init(&f->loop, &t);
    uv_timer_start(&t, on_stop, ms, 0);
    while (uv_is_active((uv_handle_t *)&t))
        uv_run(&f->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&f->loop, UV_RUN_NOWAIT);
}

static void archive_one(fixture *f, const char *uri, warc_written *out)
{
    warc_field field = {.name = "note", .value = "archived before its state"};
    warc_record_spec spec = {
        .record_type = WARC_TYPE_METADATA, .target_uri = uri, .fields = &field, .n_fields = 1};
    assert_int_equal(segment_writer_write_record(f->w, &spec, out), 0);
}

static url_record record_for(const warc_written *wr)
{
    url_record r;
    memset(&r, 0, sizeof r);
    r.kind = URL_KIND_PAGE;
    r.http_status = 200;
    r.fetch_count = 1;
    snprintf(r.source, sizeof r.source, "test");
    snprintf(r.warc_record_id, sizeof r.warc_record_id, "%s", wr->response_id);
    snprintf(r.warc_segment, sizeof r.warc_segment, "%s", wr->segment);
    r.warc_offset = wr->response_offset;
    r.warc_length = wr->response_length;
    return r;
}

static void committed_by_finish_in_order(void **state)
{
    fixture *f = *state;
    warc_written wr;
    archive_one(f, "http://127.0.0.1/a", &wr);
    url_record r = record_for(&wr);
    assert_int_equal(state_batch_put_url(f->b, "http://127.0.0.1/a", &r), 0);
    assert_int_equal(state_batch_put_kv(f->b, "order", "first"), 0);
    assert_int_equal(state_batch_put_kv(f->b, "order", "second"), 0);
    backoff_record bo = {.backoff_until_ns = 42, .consecutive_errors = 3};
    assert_int_equal(state_batch_put_backoff(f->b, "http://127.0.0.1:1", &bo), 0);
    assert_int_equal(state_batch_pending(f->b), 4);
    /* nothing is claimed before a flush */
    assert_int_equal(committed_url(f, "http://127.0.0.1/a", NULL), 0);

    char msg[256] = "";
    assert_int_equal(state_batch_finish(f->b, msg, sizeof msg), 0);
    f->b = NULL;
    url_record got;
    assert_int_equal(committed_url(f, "http://127.0.0.1/a", &got), 1);
    assert_string_equal(got.warc_record_id, wr.response_id);
    char val[256];
    committed_kv(f, "order", val, sizeof val);
    assert_string_equal(val, "second");
    committed_kv(f, STATE_BATCH_KV_LAST_SEGMENT, val, sizeof val);
    assert_string_equal(val, wr.segment);
    crawl_state *ro = reader(f);
    backoff_record bgot;
    assert_int_equal(crawl_state_get_backoff(ro, "http://127.0.0.1:1", &bgot), 1);
    assert_int_equal(bgot.consecutive_errors, 3);
    crawl_state_close(ro);
}

/* The floor a flush asks for (state_batch_set_mark_floor). */
static void older_floor(void *ud, char *out, size_t len)
{
    snprintf(out, len, "%s", (const char *)ud);
}

/* A record still on its way to the batch may sit in an older segment
 * than the one the batch names: the mark the flush commits stops at the
 * floor it was given, and without a floor it is the batch's newest. */
static void mark_stops_at_the_floor(void **state)
{
    fixture *f = *state;
    warc_written wr;
    archive_one(f, "http://127.0.0.1/a", &wr);
    url_record r = record_for(&wr);
    state_batch_set_mark_floor(f->b, older_floor, "0-an-older-segment.warc.zst");
    assert_int_equal(state_batch_put_url(f->b, "http://127.0.0.1/a", &r), 0);
    char msg[256] = "";
    assert_int_equal(state_batch_finish(f->b, msg, sizeof msg), 0);
    f->b = NULL;
    char val[256];
    committed_kv(f, STATE_BATCH_KV_LAST_SEGMENT, val, sizeof val);
    assert_string_equal(val, "0-an-older-segment.warc.zst");
}

/* ---- the mark and the captures a batch carries ------------------------
 *
 * A url record does not always name a segment this run wrote: a 304 (and
 * its revisit) keeps the record of the capture it confirms, whose segment
 * is an earlier run's - or, in a cluster, another node's (the url records
 * are shared in Redis, the segments are each node's own).  The mark must
 * still name a segment of this writer, at or before every segment whose
 * records are not committed. */

/* A response for uri appended by w (reconciliation reads responses). */
static void archive_response(segment_writer *w, const char *uri, warc_written *out)
{
    static const char req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    warc_exchange x = {
        .target_uri = uri,
        .request = req,
        .request_len = sizeof req - 1,
        .response_head = head,
        .response_head_len = sizeof head - 1,
    };
    assert_int_equal(segment_writer_write_exchange(w, &x, out), 0);
}

/* The fixture's batcher and writer replaced by a writer of prefix whose
 * every response gets a segment of its own (a roll-over each). */
static void refixture(fixture *f, const char *prefix)
{
    state_batch_close(f->b);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    f->b = NULL;
    assert_int_equal(segment_writer_close(f->w), 0);
    f->w = NULL;
    char err[512] = "";
    segment_writer_options wo = {
        .dir = f->archive_dir, .prefix = prefix, .lazy_open = 1, .max_size = 1};
    assert_int_equal(segment_writer_open(&wo, &f->w, err, sizeof err), 0);
    assert_int_equal(state_batch_new(&f->loop, f->pool, f->st, f->w, &f->b), 0);
}

/* Flushes everything queued and waits until it is committed. */
static void commit_now(fixture *f, state_batch *b)
{
    for (int i = 0; i < 500 && state_batch_pending(b); i++) {
        state_batch_flush(b);
        run_for(f, 10);
    }
    assert_int_equal(state_batch_pending(b), 0);
}

/* (cluster) Node alpha's batch carries a 304 for a page node zulu
 * captured: its record names zulu's segment, which sorts after every
 * one of alpha's.  Alpha then archives a page into a segment that a
 * roll-over closes, and is killed before that page is committed: the
 * restart's reconciliation must find it - it read from zulu's name, past
 * all of alpha's segments, and the page was fetched and archived again. */
static void mark_is_not_another_nodes_segment(void **state)
{
    fixture *f = *state;
    const char *key = "last_committed_segment:alpha";
    char err[512] = "";
    refixture(f, "feedarc-alpha");
    state_batch *b = f->b;
    segment_writer *w = f->w;
    assert_int_equal(state_batch_set_segment_key(b, key), 0);

    warc_written wa, wc;
    archive_response(w, "http://127.0.0.1/a", &wa);
    url_record ra = record_for(&wa);
    assert_int_equal(state_batch_put_url(b, "http://127.0.0.1/a", &ra), 0);
    url_record rz; /* the 304: zulu's capture, kept */
    memset(&rz, 0, sizeof rz);
    rz.kind = URL_KIND_PAGE;
    rz.http_status = 304;
    snprintf(rz.warc_segment, sizeof rz.warc_segment, "feedarc-zulu-20261201000000-00003.warc.zst");
    assert_int_equal(state_batch_put_url_unarchived(b, "http://127.0.0.1/z", &rz), 0);
    commit_now(f, b);

    /* c lands in a segment the next response's roll-over closes; killed
     * before c's record is committed */
    archive_response(w, "http://127.0.0.1/c", &wc);
    warc_written wd;
    archive_response(w, "http://127.0.0.1/d", &wd);
    assert_string_not_equal(wc.segment, wd.segment);
    state_batch_close(b); /* dropped, as by kill -9 */
    f->b = NULL;
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(segment_writer_close(w), 0);
    f->w = NULL;

    char mark[256];
    committed_kv(f, key, mark, sizeof mark);
    reconcile_result res;
    assert_int_equal(archive_reconcile_key(f->archive_dir, f->st, key, &res, err, sizeof err), 0);
    url_record got;
    if (crawl_state_get_url(f->st, "http://127.0.0.1/c", &got) != 1)
        fail_msg("c (in %s) not found again: the mark was %s", wc.segment, mark);
    assert_string_equal(got.warc_record_id, wc.response_id);
}

/* A batch of 304s alone (a poll where nothing changed) names only old
 * captures' segments: the mark must not go back to them - every start
 * reads every segment from the mark on, and a mark moved back to a page
 * first archived a month ago had it read a month of archive again. */
static void mark_does_not_go_back_to_old_captures(void **state)
{
    fixture *f = *state;
    refixture(f, "feedarc");
    state_batch *b = f->b;
    segment_writer *w = f->w;

    warc_written wa, wb;
    archive_response(w, "http://127.0.0.1/a", &wa); /* long ago */
    url_record ra = record_for(&wa);
    assert_int_equal(state_batch_put_url(b, "http://127.0.0.1/a", &ra), 0);
    commit_now(f, b);
    archive_response(w, "http://127.0.0.1/b", &wb); /* lately */
    url_record rb = record_for(&wb);
    assert_int_equal(state_batch_put_url(b, "http://127.0.0.1/b", &rb), 0);
    commit_now(f, b);
    char mark[256];
    committed_kv(f, STATE_BATCH_KV_LAST_SEGMENT, mark, sizeof mark);
    assert_string_equal(mark, wb.segment);

    ra.http_status = 304; /* a confirmed, unchanged: its record as it was */
    ra.fetch_count++;
    assert_int_equal(state_batch_put_url_unarchived(b, "http://127.0.0.1/a", &ra), 0);
    commit_now(f, b);
    committed_kv(f, STATE_BATCH_KV_LAST_SEGMENT, mark, sizeof mark);
    if (strcmp(mark, wb.segment) < 0)
        fail_msg("the mark went back from %s to %s", wb.segment, mark);
}

/* An op that holds its flush on the worker until told to go on. */
typedef struct gate_op {
    atomic_int entered, go;
} gate_op;

static int gate_apply(crawl_state *st, void *arg)
{
    (void)st;
    gate_op *g = arg;
    atomic_store(&g->entered, 1);
    while (!atomic_load(&g->go))
        usleep(1000);
    return 0;
}

/* The crawl reads its own writes: a url record queued and not committed
 * is found (the newest of several, whether waiting or in the flush that
 * runs), and after the commit only the state has it. */
static void uncommitted_url_records_read_back(void **state)
{
    fixture *f = *state;
    const char *a = "http://127.0.0.1/a", *b = "http://127.0.0.1/b";
    warc_written wr;
    archive_one(f, a, &wr);
    url_record r = record_for(&wr), got;
    assert_int_equal(state_batch_get_url(f->b, a, &got), 0);
    assert_int_equal(state_batch_put_url(f->b, a, &r), 0);
    r.fetch_count = 2;
    assert_int_equal(state_batch_put_url(f->b, a, &r), 0);
    assert_int_equal(state_batch_get_url(f->b, a, &got), 1);
    assert_int_equal(got.fetch_count, 2); /* the newest */
    assert_string_equal(got.warc_record_id, wr.response_id);
    assert_int_equal(state_batch_get_url(f->b, b, &got), 0);
    assert_int_equal(state_batch_get_url(f->b, "http://127.0.0.1/", &got), 0);

    /* a flush holding a on the worker: still read back, and a newer one
     * queued meanwhile wins */
    gate_op g = {0};
    assert_int_equal(state_batch_put_op(f->b, gate_apply, &g, NULL, 1), 0);
    while (!atomic_load(&g.entered))
        usleep(1000);
    assert_int_equal(state_batch_get_url(f->b, a, &got), 1);
    assert_int_equal(got.fetch_count, 2);
    r.fetch_count = 3;
    assert_int_equal(state_batch_put_url(f->b, a, &r), 0);
    assert_int_equal(state_batch_put_url(f->b, b, &r), 0);
    assert_int_equal(state_batch_get_url(f->b, a, &got), 1);
    assert_int_equal(got.fetch_count, 3);
    assert_int_equal(committed_url(f, a, NULL), 0);
    atomic_store(&g.go, 1);

    /* every flush done: nothing uncommitted is left, the state has them */
    for (int i = 0; i < 500 && state_batch_pending(f->b); i++) {
        state_batch_flush(f->b);
        run_for(f, 10);
    }
    assert_int_equal(state_batch_pending(f->b), 0);
    assert_int_equal(state_batch_get_url(f->b, a, &got), 0);
    assert_int_equal(state_batch_get_url(f->b, b, &got), 0);
    assert_int_equal(committed_url(f, a, &got), 1);
    assert_int_equal(got.fetch_count, 3);
    assert_int_equal(committed_url(f, b, NULL), 1);
}

typedef struct op_probe {
    pthread_t thread;
    int applied;
    int saw_url; /* the url put before it was in the transaction */
    int *freed;
} op_probe;

static int probe_apply(crawl_state *st, void *arg)
{
    op_probe *p = arg;
    url_record r;
    p->thread = pthread_self();
    p->applied++;
    p->saw_url = crawl_state_get_url(st, "http://127.0.0.1/before", &r) == 1;
    return 0;
}

static void probe_free(void *arg)
{
    op_probe *p = arg;
    (*p->freed)++;
}

static void commits_on_a_worker_after_earlier_updates(void **state)
{
    fixture *f = *state;
    warc_written wr;
    archive_one(f, "http://127.0.0.1/before", &wr);
    url_record r = record_for(&wr);
    int freed = 0;
    op_probe p = {.freed = &freed};
    assert_int_equal(state_batch_put_url(f->b, "http://127.0.0.1/before", &r), 0);
    assert_int_equal(state_batch_put_op(f->b, probe_apply, &p, probe_free, 0), 0);
    state_batch_flush(f->b);
    run_for(f, 300);
    assert_int_equal(p.applied, 1);
    assert_true(p.saw_url);
    assert_false(pthread_equal(p.thread, pthread_self())); /* not the loop thread */
    assert_int_equal(freed, 1);
    assert_int_equal(state_batch_pending(f->b), 0);
    assert_int_equal(committed_url(f, "http://127.0.0.1/before", NULL), 1);
}

static void urgent_and_full_batches_do_not_wait_for_the_timer(void **state)
{
    fixture *f = *state;
    int freed = 0;
    op_probe p = {.freed = &freed};
    assert_int_equal(state_batch_put_op(f->b, probe_apply, &p, probe_free, 1), 0);
    run_for(f, 300); /* the timer's period is a second */
    assert_int_equal(p.applied, 1);

    /* 256 updates (BATCH_MAX) start a flush by themselves */
    url_record r;
    memset(&r, 0, sizeof r);
    r.kind = URL_KIND_PAGE;
    r.http_status = 304;
    char url[64];
    for (int i = 0; i < 256; i++) {
        snprintf(url, sizeof url, "http://127.0.0.1/p%d", i);
        assert_int_equal(state_batch_put_url_unarchived(f->b, url, &r), 0);
    }
    run_for(f, 300);
    assert_int_equal(committed_url(f, "http://127.0.0.1/p255", NULL), 1);
    assert_int_equal(state_batch_pending(f->b), 0);
}

static void failed_commit_is_reported_and_claims_nothing(void **state)
{
    fixture *f = *state;
    /* a batcher over a read-only handle: every put of the commit fails
     * (the fixture's own batcher must not keep the loop alive meanwhile) */
    state_batch_unref(f->b);
    crawl_state *ro = reader(f);
    state_batch *b = NULL;
    assert_int_equal(state_batch_new(&f->loop, f->pool, ro, f->w, &b), 0);
    url_record r;
    memset(&r, 0, sizeof r);
    assert_int_equal(state_batch_put_url(b, "http://127.0.0.1/x", &r), 0);
    char msg[256] = "";
    assert_true(state_batch_finish(b, msg, sizeof msg) < 0);
    assert_true(msg[0] != '\0');
    crawl_state_close(ro);
    assert_int_equal(committed_url(f, "http://127.0.0.1/x", NULL), 0);
}

/* (cluster) A store that fails its first two commits (Redis away) and
 * then comes back: in retry mode the same updates are committed in the
 * end, in order, and a note after them hears of it once, with 0; without
 * retry mode the note hears of the failure.  The per-node segment key. */
static int flaky_apply(crawl_state *st, void *arg)
{
    (void)st;
    int *calls = arg;
    return (*calls)++ < 2 ? FA_EIO : 0;
}

typedef struct note_probe {
    int calls, rc;
} note_probe;

static void note_cb(void *ud, int rc)
{
    note_probe *n = ud;
    n->calls++;
    n->rc = rc;
}

static void retried_commits_and_notes(void **state)
{
    fixture *f = *state;
    state_batch_set_retry(f->b, 1, 20000);
    assert_int_equal(state_batch_set_segment_key(f->b, "last_committed_segment:node-a"), 0);
    warc_written wr;
    archive_one(f, "http://127.0.0.1/a", &wr);
    url_record r = record_for(&wr);
    int calls = 0;
    note_probe n = {0};
    assert_int_equal(state_batch_put_url(f->b, "http://127.0.0.1/a", &r), 0);
    assert_int_equal(state_batch_put_op(f->b, flaky_apply, &calls, NULL, 0), 0);
    assert_int_equal(state_batch_after_commit(f->b, note_cb, &n), 0);
    run_for(f, 100);
    assert_int_equal(n.calls, 0); /* not committed yet: no note */
    char msg[256] = "";
    assert_int_equal(state_batch_finish(f->b, msg, sizeof msg), 0);
    f->b = NULL;
    assert_int_equal(calls, 3);
    assert_int_equal(n.calls, 1);
    assert_int_equal(n.rc, 0);
    assert_int_equal(committed_url(f, "http://127.0.0.1/a", NULL), 1);
    char val[256];
    committed_kv(f, "last_committed_segment:node-a", val, sizeof val);
    assert_string_equal(val, wr.segment);
    committed_kv(f, STATE_BATCH_KV_LAST_SEGMENT, val, sizeof val);
    assert_string_equal(val, "");
}

static void failed_commit_tells_notes(void **state)
{
    fixture *f = *state;
    int calls = 0;
    note_probe n = {0};
    assert_int_equal(state_batch_put_op(f->b, flaky_apply, &calls, NULL, 0), 0);
    assert_int_equal(state_batch_after_commit(f->b, note_cb, &n), 0);
    char msg[256] = "";
    assert_true(state_batch_finish(f->b, msg, sizeof msg) < 0);
    f->b = NULL;
    assert_int_equal(calls, 1);
    assert_int_equal(n.calls, 1);
    assert_true(n.rc < 0);
}

static void dropped_updates_free_their_arguments(void **state)
{
    fixture *f = *state;
    int freed = 0;
    op_probe p = {.freed = &freed};
    assert_int_equal(state_batch_put_op(f->b, probe_apply, &p, probe_free, 0), 0);
    state_batch_close(f->b); /* no flush: dropped */
    f->b = NULL;
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(p.applied, 0);
    assert_int_equal(freed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(committed_by_finish_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(mark_stops_at_the_floor, setup, teardown),
        cmocka_unit_test_setup_teardown(mark_is_not_another_nodes_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(mark_does_not_go_back_to_old_captures, setup, teardown),
        cmocka_unit_test_setup_teardown(commits_on_a_worker_after_earlier_updates, setup, teardown),
        cmocka_unit_test_setup_teardown(urgent_and_full_batches_do_not_wait_for_the_timer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(failed_commit_is_reported_and_claims_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(dropped_updates_free_their_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(retried_commits_and_notes, setup, teardown),
        cmocka_unit_test_setup_teardown(uncommitted_url_records_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_commit_tells_notes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
