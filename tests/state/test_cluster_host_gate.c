/* test_cluster_host_gate.c - cluster-wide host politeness
 * (storage/state/cluster_host_gate.c) against a real redis-server: four nodes, each
 * on its own connection, race for one host with a cap of 2 and a minimum
 * delay: never more than 2 in flight, starts (by Redis's clock) at least
 * the delay apart, the cap reached; a node that dies holding a slot frees
 * it after the slot's lifetime; a release with a Retry-After holds the
 * host for every node.  Exits 77 without redis-server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "common/fa_time.h"
#include "redis/redis_loop_util.h"
#include "redis/redis_test_util.h"
#include "storage/state/cluster_host_gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static redis_test_server srv;

enum { N_NODES = 4, CAP = 2, MIN_DELAY = 40, HOLD = 150, GRANTS = 24 };
static const char HOST[] = "https://polite.example:443";

typedef struct gnode {
    cluster_host_gate *g;
    uv_timer_t timer; /* hold, or wait before retrying */
    char slot[CLUSTER_HOST_SLOT_MAX];
    int in_flight;
    int asking;
} gnode;

static int inflight, max_inflight, grants, refusals_cap, refusals_delay;
static int64_t starts[GRANTS * 2];
static int stop_all;

static void ask(gnode *n);

static int releases_pending;

static void on_released(void *ud, int64_t next_ms, const char *err)
{
    (void)ud;
    (void)next_ms;
    if (err != NULL) fail_msg("release: %s", err);
    releases_pending--;
}

static void timer_cb(uv_timer_t *t)
{
    gnode *n = t->data;
    if (n->in_flight) {
        /* the request ends: release, then ask again */
        n->in_flight = 0;
        inflight--;
        releases_pending++;
        assert_int_equal(cluster_host_gate_release(n->g, HOST, n->slot, 0, on_released, NULL), 0);
    }
    if (!stop_all) ask(n);
}

static void on_acquire(void *ud, int granted, const char *slot, int64_t wait_ms, int at_cap,
                       int64_t server_ms, const char *err)
{
    gnode *n = ud;
    n->asking = 0;
    if (err != NULL) fail_msg("acquire: %s", err);
    assert_true(granted >= 0);
    if (granted) {
        inflight++;
        if (inflight > max_inflight) max_inflight = inflight;
        assert_true(inflight <= CAP);
        if (grants < GRANTS * 2) starts[grants] = server_ms;
        grants++;
        if (grants >= GRANTS) stop_all = 1;
        snprintf(n->slot, sizeof n->slot, "%s", slot);
        n->in_flight = 1;
        uv_timer_start(&n->timer, timer_cb, HOLD, 0);
        return;
    }
    if (at_cap)
        refusals_cap++;
    else
        refusals_delay++;
    assert_true(wait_ms >= 0);
    if (!stop_all) uv_timer_start(&n->timer, timer_cb, at_cap ? 10 : (uint64_t)wait_ms, 0);
}

static void ask(gnode *n)
{
    n->asking = 1;
    assert_int_equal(cluster_host_gate_acquire(n->g, HOST, CAP, MIN_DELAY, on_acquire, n), 0);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void concurrent_nodes(void **state)
{
    (void)state;
    test_loop t;
    test_loop_init(&t);
    fa_redis *conn[N_NODES];
    gnode nodes[N_NODES];
    memset(nodes, 0, sizeof nodes);
    for (int k = 0; k < N_NODES; k++) {
        char nm[16];
        snprintf(nm, sizeof nm, "node-%d", k);
        conn[k] = test_loop_connect(&t, srv.url);
        assert_int_equal(cluster_host_gate_open(conn[k], "t3:", nm, 5000, &nodes[k].g), 0);
        uv_timer_init(&t.loop, &nodes[k].timer);
        nodes[k].timer.data = &nodes[k];
    }
    for (int k = 0; k < N_NODES; k++)
        ask(&nodes[k]); /* all at once */
    assert_true(test_loop_until(&t, &stop_all, 1, 20000));
    /* let the requests in flight end */
    int zero = 0;
    for (int i = 0; i < 100 && inflight != zero; i++)
        test_loop_for(&t, 20);
    for (int k = 0; k < N_NODES; k++)
        assert_true(test_loop_until(&t, &nodes[k].asking, 0, 5000));
    assert_true(test_loop_until(&t, &releases_pending, 0, 5000));
    int n = grants < GRANTS * 2 ? grants : GRANTS * 2;
    qsort(starts, (size_t)n, sizeof starts[0], cmp64);
    int64_t min_gap = INT64_MAX;
    for (int i = 1; i < n; i++)
        if (starts[i] - starts[i - 1] < min_gap) min_gap = starts[i] - starts[i - 1];
    printf("%d grants to %d nodes, max in flight %d (cap %d), smallest gap between starts %lld ms "
           "(min delay %d), refused %d at the cap and %d for the delay\n",
           grants, N_NODES, max_inflight, CAP, (long long)min_gap, MIN_DELAY, refusals_cap,
           refusals_delay);
    assert_int_equal(max_inflight, CAP);
    assert_true(min_gap >= MIN_DELAY);
    assert_true(refusals_cap > 0 && refusals_delay > 0);
    assert_int_equal(redis_test_int(&srv, "ZCARD t3:host:%s:slots", HOST), 0);
    for (int k = 0; k < N_NODES; k++) {
        uv_close((uv_handle_t *)&nodes[k].timer, NULL);
        cluster_host_gate_free(nodes[k].g);
    }
    test_loop_finish(&t, conn, N_NODES);
}

typedef struct outcome {
    int done, granted, at_cap;
    int64_t wait_ms;
    char slot[CLUSTER_HOST_SLOT_MAX];
} outcome;

static void on_outcome(void *ud, int granted, const char *slot, int64_t wait_ms, int at_cap,
                       int64_t server_ms, const char *err)
{
    outcome *o = ud;
    (void)server_ms;
    assert_null(err);
    o->granted = granted;
    o->wait_ms = wait_ms;
    o->at_cap = at_cap;
    snprintf(o->slot, sizeof o->slot, "%s", slot ? slot : "");
    o->done = 1;
}

static outcome try_acquire(test_loop *t, cluster_host_gate *g, const char *host, unsigned cap,
                           uint64_t delay)
{
    outcome o = {0};
    assert_int_equal(cluster_host_gate_acquire(g, host, cap, delay, on_outcome, &o), 0);
    assert_true(test_loop_until(t, &o.done, 1, 5000));
    return o;
}

typedef struct rel {
    int done;
    int64_t next_ms;
} rel;

static void on_rel(void *ud, int64_t next_ms, const char *err)
{
    rel *r = ud;
    assert_null(err);
    r->next_ms = next_ms;
    r->done = 1;
}

static void dead_slot_and_retry_after(void **state)
{
    (void)state;
    test_loop t;
    test_loop_init(&t);
    fa_redis *conn[2] = {test_loop_connect(&t, srv.url), test_loop_connect(&t, srv.url)};
    cluster_host_gate *a, *b;
    assert_int_equal(cluster_host_gate_open(conn[0], "t4:", "a", 300, &a), 0);
    assert_int_equal(cluster_host_gate_open(conn[1], "t4:", "b", 300, &b), 0);

    /* a takes the only slot and "dies": b is refused at the cap until the
     * slot's 300 ms are over */
    uint64_t t0 = fa_time_mono_ns();
    outcome o = try_acquire(&t, a, "h1", 1, 0);
    assert_int_equal(o.granted, 1);
    o = try_acquire(&t, b, "h1", 1, 0);
    assert_int_equal(o.granted, 0);
    assert_int_equal(o.at_cap, 1);
    assert_true(o.wait_ms > 0 && o.wait_ms <= 300);
    while (!(o = try_acquire(&t, b, "h1", 1, 0)).granted)
        test_loop_for(&t, 20);
    uint64_t ms = (fa_time_mono_ns() - t0) / 1000000u;
    printf("a dead node's slot freed after %llu ms (slot lifetime 300 ms)\n",
           (unsigned long long)ms);
    assert_true(ms >= 280);

    /* b's response said Retry-After: 1 s - nobody starts before it */
    rel r = {0};
    assert_int_equal(cluster_host_gate_release(b, "h1", o.slot, 1000, on_rel, &r), 0);
    assert_true(test_loop_until(&t, &r.done, 1, 5000));
    assert_true(r.next_ms > 900 && r.next_ms <= 1000);
    o = try_acquire(&t, a, "h1", 4, 0);
    assert_int_equal(o.granted, 0);
    assert_int_equal(o.at_cap, 0);
    assert_true(o.wait_ms > 900 && o.wait_ms <= 1000);
    /* a shorter delay does not shorten it */
    memset(&r, 0, sizeof r);
    assert_int_equal(cluster_host_gate_defer(a, "h1", 10, on_rel, &r), 0);
    assert_true(test_loop_until(&t, &r.done, 1, 5000));
    assert_true(r.next_ms > 800);
    /* the key expires an hour after its next time */
    long long ttl = redis_test_int(&srv, "PTTL t4:host:h1");
    assert_true(ttl > 3600000 && ttl <= 3601000);
    /* another host is not affected */
    o = try_acquire(&t, a, "h2", 1, 0);
    assert_int_equal(o.granted, 1);

    /* bad arguments */
    assert_int_equal(cluster_host_gate_acquire(a, "", 1, 0, on_outcome, &o), FA_EINVAL);
    assert_int_equal(cluster_host_gate_acquire(a, "h", 0, 0, on_outcome, &o), FA_EINVAL);
    assert_int_equal(cluster_host_gate_release(a, "h", "", 0, NULL, NULL), FA_EINVAL);
    cluster_host_gate_free(a);
    cluster_host_gate_free(b);
    test_loop_finish(&t, conn, 2);
}

int main(void)
{
    redis_test_require();
    if (redis_test_start(&srv, NULL) < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrent_nodes),
        cmocka_unit_test(dead_slot_and_retry_after),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    redis_test_stop(&srv);
    return failed ? 1 : 0;
}
