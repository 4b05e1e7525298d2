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
    assert_int_equal(state_batch_new(&f->loop, f->st, f->w, &f->b), 0);
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
    assert_int_equal(state_batch_new(&f->loop, ro, f->w, &b), 0);
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
    url_record r;
    memset(&r, 0, sizeof r);
    r.kind = URL_KIND_PAGE;
    snprintf(r.warc_segment, sizeof r.warc_segment, "feedarc-node-a-1.warc.zst");
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
    assert_string_equal(val, "feedarc-node-a-1.warc.zst");
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
