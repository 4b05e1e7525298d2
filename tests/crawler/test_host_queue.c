/*
 * test_host_queue.c - the politeness scheduler on a real libuv loop, with
 * "requests" that are timers: caps, delays, FIFO order per host, and host
 * independence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_time.h"
#include "crawler/host_queue.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

typedef struct fake_job {
    host_queue_entry qe; /* first */
    uv_timer_t timer;
    int host;            /* 0 or 1 */
    int seq;
    unsigned duration_ms;
    uint64_t started_ns;
} fake_job;

typedef struct harness {
    uv_loop_t loop;
    host_queue *q;
    unsigned in_flight[2], peak[2], global, peak_global;
    uint64_t starts[2][64];
    int order[2][64];
    unsigned n[2];
    uint64_t last_end[2];
    unsigned remaining;
} harness;

static harness *H;

static void job_closed(uv_handle_t *h)
{
    free(h->data);
}

static void job_closed_plain(uv_handle_t *h)
{
    free(h);
}

static void job_end(uv_timer_t *t)
{
    fake_job *j = t->data;
    H->in_flight[j->host]--;
    H->global--;
    H->last_end[j->host] = fa_time_mono_ns();
    host_queue_done(H->q, &j->qe);
    uv_close((uv_handle_t *)&j->timer, job_closed);
    if (--H->remaining == 0)
        host_queue_close(H->q);
}

static int start(void *ud, host_queue_entry *e)
{
    (void)ud;
    fake_job *j = (fake_job *)e;
    int h = j->host;
    H->starts[h][H->n[h]] = fa_time_mono_ns();
    H->order[h][H->n[h]++] = j->seq;
    if (++H->in_flight[h] > H->peak[h])
        H->peak[h] = H->in_flight[h];
    if (++H->global > H->peak_global)
        H->peak_global = H->global;
    uv_timer_init(&H->loop, &j->timer);
    j->timer.data = j;
    uv_timer_start(&j->timer, job_end, j->duration_ms, 0);
    return 0;
}

static void run(unsigned cap, unsigned delay_ms, unsigned global, unsigned per_host,
                unsigned dur0, unsigned dur1)
{
    H = calloc(1, sizeof *H);
    uv_loop_init(&H->loop);
    host_queue_options o = {.per_host_cap = cap, .min_delay_ms = delay_ms, .global_cap = global};
    assert_int_equal(host_queue_new(&H->loop, &o, start, NULL, &H->q), 0);
    for (unsigned i = 0; i < per_host * 2; i++) {
        fake_job *j = calloc(1, sizeof *j);
        j->host = (int)(i % 2);
        j->seq = (int)(i / 2);
        j->duration_ms = j->host ? dur1 : dur0;
        assert_int_equal(host_queue_push(H->q, j->host ? "http://b:80" : "http://a:80", &j->qe),
                         0);
        H->remaining++;
    }
    assert_int_equal(host_queue_pending(H->q), per_host * 2);
    uv_run(&H->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&H->loop), 0);
}

static void caps_delay_and_order(void **state)
{
    (void)state;
    run(2, 30, 8, 10, 40, 40);
    for (int h = 0; h < 2; h++) {
        assert_int_equal(H->n[h], 10);
        assert_true(H->peak[h] <= 2);
        for (unsigned i = 0; i < 10; i++)
            assert_int_equal(H->order[h][i], (int)i); /* FIFO per host */
        for (unsigned i = 1; i < 10; i++)
            assert_true(H->starts[h][i] - H->starts[h][i - 1] >= 30 * 1000000ULL);
    }
    assert_int_equal(H->peak[0], 2); /* the cap is used, not just respected */
    free(H);
}

static void global_cap_holds(void **state)
{
    (void)state;
    run(4, 0, 3, 8, 20, 20);
    assert_true(H->peak_global <= 3);
    assert_int_equal(H->peak_global, 3);
    free(H);
}

static void slow_host_does_not_delay_fast_host(void **state)
{
    (void)state;
    /* host a: 400 ms per request; host b: 5 ms.  b must finish while a is
     * still working. */
    run(1, 0, 4, 5, 400, 5);
    assert_true(H->last_end[1] + 1000000000ULL < H->last_end[0]);
    free(H);
}

/* A start that takes longer than the hosts' delay (a slow callback, a busy
 * loop): the earliest due time of a waiting host is then already past when
 * the pass ends, and must make the timer fire at once, not overflow. */
static unsigned slow_left;
static uv_loop_t slow_loop;
static host_queue *slow_q;

static void slow_done(uv_timer_t *t)
{
    host_queue_done(slow_q, t->data);
    uv_close((uv_handle_t *)t, job_closed_plain);
    if (--slow_left == 0)
        host_queue_close(slow_q);
}

static int slow_start(void *ud, host_queue_entry *e)
{
    (void)ud;
    uint64_t until = fa_time_mono_ns() + 2000000; /* 2 ms of work */
    while (fa_time_mono_ns() < until)
        ;
    uv_timer_t *t = malloc(sizeof *t);
    uv_timer_init(&slow_loop, t);
    t->data = e;
    uv_timer_start(t, slow_done, 0, 0);
    return 0;
}

static void past_due_hosts_still_start(void **state)
{
    (void)state;
    uv_loop_init(&slow_loop);
    host_queue_options o = {.per_host_cap = 1, .min_delay_ms = 1, .global_cap = 64};
    assert_int_equal(host_queue_new(&slow_loop, &o, slow_start, NULL, &slow_q), 0);
    host_queue_entry *es = calloc(200, sizeof *es);
    for (unsigned i = 0; i < 200; i++) {
        char key[32];
        snprintf(key, sizeof key, "http://h%u:80", i % 20);
        host_queue_push(slow_q, key, &es[i]);
    }
    slow_left = 200;
    uint64_t t0 = fa_time_mono_ns();
    uv_run(&slow_loop, UV_RUN_DEFAULT);
    assert_int_equal(slow_left, 0);
    assert_true(fa_time_mono_ns() - t0 < 10ULL * 1000000000ULL);
    assert_int_equal(uv_loop_close(&slow_loop), 0);
    free(es);
}

/* (cluster) An entry start() took but did not start after all (the
 * cluster's host gate said "not yet") goes back to the head of its host's
 * queue, is no longer in flight, and starts when the wait is over - still
 * before the entries behind it. */
typedef struct requeue_run {
    uv_loop_t loop;
    host_queue *q;
    fake_job jobs[3];
    int refused, order[3], n;
    unsigned done;
    uint64_t refused_ns, started_ns[3];
} requeue_run;

static requeue_run *RQ;

static void requeue_end(uv_timer_t *t)
{
    fake_job *j = t->data;
    host_queue_done(RQ->q, &j->qe);
    uv_close((uv_handle_t *)&j->timer, NULL);
    if (++RQ->done == 3) host_queue_close(RQ->q);
}

static int requeue_start(void *ud, host_queue_entry *e)
{
    (void)ud;
    fake_job *j = (fake_job *)e;
    uint64_t now = fa_time_mono_ns();
    if (j->seq == 0 && !RQ->refused) {
        RQ->refused = 1;
        RQ->refused_ns = now;
        /* one request in flight at most: the refused one must not count */
        assert_int_equal(host_queue_in_flight(RQ->q), 1);
        host_queue_requeue(RQ->q, e, now + 150 * 1000000ULL);
        assert_int_equal(host_queue_in_flight(RQ->q), 0);
        return 0;
    }
    RQ->started_ns[RQ->n] = now;
    RQ->order[RQ->n++] = j->seq;
    uv_timer_init(&RQ->loop, &j->timer);
    j->timer.data = j;
    uv_timer_start(&j->timer, requeue_end, 5, 0);
    return 0;
}

static void requeued_entry_starts_first_after_its_wait(void **state)
{
    (void)state;
    requeue_run r;
    memset(&r, 0, sizeof r);
    RQ = &r;
    uv_loop_init(&r.loop);
    host_queue_options o = {.per_host_cap = 1, .min_delay_ms = 20, .global_cap = 4};
    assert_int_equal(host_queue_new(&r.loop, &o, requeue_start, NULL, &r.q), 0);
    for (int i = 0; i < 3; i++) {
        r.jobs[i].seq = i;
        assert_int_equal(host_queue_push(r.q, "http://a:80", &r.jobs[i].qe), 0);
    }
    assert_int_equal(host_queue_delay_ms(r.q, "http://a:80"), 20);
    assert_int_equal(host_queue_backoff_left_ms(r.q, "http://a:80"), 0);
    host_queue_defer(r.q, "http://b:80", fa_time_mono_ns() + 1000 * 1000000ULL);
    assert_true(host_queue_backoff_left_ms(r.q, "http://b:80") > 900);
    uv_run(&r.loop, UV_RUN_DEFAULT);
    assert_int_equal(r.n, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(r.order[i], i);
    assert_true(r.started_ns[0] - r.refused_ns >= 150 * 1000000ULL);
    assert_int_equal(uv_loop_close(&r.loop), 0);
}

/* host_queue_watch: drained is called once, when the watched host's
 * waiting entries are down to the mark, and not for another host. */
static unsigned drained_calls;
static uint64_t drained_waiting;

static void on_drained(void *ud, const char *host_key)
{
    (void)ud;
    assert_string_equal(host_key, "http://a:80");
    drained_calls++;
    drained_waiting = host_queue_host_waiting(H->q, host_key);
}

static void watched_host_calls_drained_at_its_mark(void **state)
{
    (void)state;
    H = calloc(1, sizeof *H);
    uv_loop_init(&H->loop);
    host_queue_options o = {.per_host_cap = 1, .global_cap = 4, .drained = on_drained};
    assert_int_equal(host_queue_new(&H->loop, &o, start, NULL, &H->q), 0);
    for (unsigned i = 0; i < 20; i++) {
        fake_job *j = calloc(1, sizeof *j);
        j->host = (int)(i % 2);
        j->seq = (int)(i / 2);
        j->duration_ms = 2;
        assert_int_equal(host_queue_push(H->q, j->host ? "http://b:80" : "http://a:80", &j->qe),
                         0);
        H->remaining++;
    }
    assert_int_equal(host_queue_host_waiting(H->q, "http://a:80"), 10);
    assert_int_equal(host_queue_host_waiting(H->q, "http://c:80"), 0);
    host_queue_watch(H->q, "http://a:80", 4);
    uv_run(&H->loop, UV_RUN_DEFAULT);
    assert_int_equal(drained_calls, 1);
    assert_int_equal(drained_waiting, 4);
    assert_int_equal(H->n[0], 10);
    assert_int_equal(uv_loop_close(&H->loop), 0);
    free(H);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(caps_delay_and_order),
        cmocka_unit_test(global_cap_holds),
        cmocka_unit_test(slow_host_does_not_delay_fast_host),
        cmocka_unit_test(past_due_hosts_still_start),
        cmocka_unit_test(requeued_entry_starts_first_after_its_wait),
        cmocka_unit_test(watched_host_calls_drained_at_its_mark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
