/* test_cluster_lease.c - source leases (storage/state/cluster_lease.c) between two
 * nodes in one process, each on its own Redis connection, against a real
 * redis-server: claim, renew, release, owners; a node that stops renewing
 * (as a killed one does) loses its sources after the lease and the other
 * takes them over; the lost node cannot renew them back; `once`: three
 * nodes polling 20 sources together poll each exactly once.  Exits 77
 * without redis-server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "common/fa_time.h"
#include "redis/redis_loop_util.h"
#include "redis/redis_test_util.h"
#include "storage/state/cluster_lease.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static redis_test_server srv;

typedef struct result {
    int done;
    int value;
    char err[128];
} result;

static void on_result(void *ud, int value, const char *err)
{
    result *r = ud;
    r->value = value;
    snprintf(r->err, sizeof r->err, "%s", err ? err : "");
    r->done = 1;
}

/* Calls op and waits for its result. */
#define CALL(t, expr_with_cb_res, want)                                                            \
    do {                                                                                           \
        result res_ = {0};                                                                         \
        result *res = &res_;                                                                       \
        assert_int_equal((expr_with_cb_res), 0);                                                   \
        assert_true(test_loop_until((t), &res->done, 1, 5000));                                    \
        if (res->value != (want))                                                                  \
            fail_msg("%s: got %d (%s), want %d", #expr_with_cb_res, res->value, res->err, (want)); \
    } while (0)

typedef struct owners_seen {
    int done;
    char owner[4][32];
} owners_seen;

static void on_owners(void *ud, size_t n, const char *const *sources, const char *const *owners,
                      const char *err)
{
    owners_seen *o = ud;
    assert_null(err);
    for (size_t i = 0; i < n && i < 4; i++)
        snprintf(o->owner[i], sizeof o->owner[i], "%s", owners[i] ? owners[i] : "-");
    (void)sources;
    o->done = 1;
}

static void two_nodes(void **state)
{
    (void)state;
    test_loop t;
    test_loop_init(&t);
    fa_redis *conn[2] = {test_loop_connect(&t, srv.url), test_loop_connect(&t, srv.url)};
    cluster_lease *a, *b;
    const uint64_t lease = 400;
    assert_int_equal(cluster_lease_open(conn[0], "t1:", "node-a", lease, &a), 0);
    assert_int_equal(cluster_lease_open(conn[1], "t1:", "node-b", lease, &b), 0);

    CALL(&t, cluster_lease_claim(a, "s1", on_result, res), CLUSTER_LEASE_HELD);
    CALL(&t, cluster_lease_claim(b, "s1", on_result, res), CLUSTER_LEASE_OTHER);
    CALL(&t, cluster_lease_claim(b, "s2", on_result, res), CLUSTER_LEASE_HELD);
    CALL(&t, cluster_lease_claim(a, "s1", on_result, res), CLUSTER_LEASE_HELD); /* ours: kept */
    /* the key holds the owner and expires */
    char *who = redis_test_str(&srv, "GET t1:lease:s1");
    assert_string_equal(who, "node-a");
    free(who);
    long long ttl = redis_test_int(&srv, "PTTL t1:lease:s1");
    assert_true(ttl > 0 && ttl <= (long long)lease);

    owners_seen o = {0};
    const char *srcs[] = {"s1", "s2", "s3"};
    assert_int_equal(cluster_lease_owners(a, srcs, 3, on_owners, &o), 0);
    assert_true(test_loop_until(&t, &o.done, 1, 5000));
    assert_string_equal(o.owner[0], "node-a");
    assert_string_equal(o.owner[1], "node-b");
    assert_string_equal(o.owner[2], "-");

    /* renew and release act only for the owner */
    CALL(&t, cluster_lease_renew(b, "s1", on_result, res), CLUSTER_LEASE_OTHER);
    CALL(&t, cluster_lease_release(b, "s1", on_result, res), CLUSTER_LEASE_OTHER);
    CALL(&t, cluster_lease_renew(a, "s1", on_result, res), CLUSTER_LEASE_HELD);

    /* a keeps s1 by renewing every lease/4 while b keeps trying */
    uint64_t end = fa_time_mono_ns() + 3 * lease * 1000000u, last_renew = 0;
    while (fa_time_mono_ns() < end) {
        last_renew = fa_time_mono_ns();
        CALL(&t, cluster_lease_renew(a, "s1", on_result, res), CLUSTER_LEASE_HELD);
        CALL(&t, cluster_lease_claim(b, "s1", on_result, res), CLUSTER_LEASE_OTHER);
        test_loop_for(&t, (int)lease / 4);
    }

    /* a "dies": no more renewals.  Within the lease b cannot take s1;
     * after it, b claims it; a's late renewal fails. */
    uint64_t died = fa_time_mono_ns();
    CALL(&t, cluster_lease_claim(b, "s1", on_result, res), CLUSTER_LEASE_OTHER);
    int taken = 0;
    while (!taken) {
        result r = {0};
        assert_int_equal(cluster_lease_claim(b, "s1", on_result, &r), 0);
        assert_true(test_loop_until(&t, &r.done, 1, 5000));
        taken = r.value == CLUSTER_LEASE_HELD;
        if (!taken) test_loop_for(&t, 20);
        assert_true(fa_time_mono_ns() - died < 5 * lease * 1000000u);
    }
    /* never before the lease ran out since the last renewal was sent */
    uint64_t after_ms = (fa_time_mono_ns() - last_renew) / 1000000u;
    printf("takeover %llu ms after the last renewal (lease %llu ms)\n",
           (unsigned long long)after_ms, (unsigned long long)lease);
    assert_true(after_ms >= lease);
    CALL(&t, cluster_lease_renew(a, "s1", on_result, res), CLUSTER_LEASE_OTHER);
    CALL(&t, cluster_lease_claim(a, "s1", on_result, res), CLUSTER_LEASE_OTHER);

    /* release: the other node can claim at once */
    CALL(&t, cluster_lease_release(b, "s1", on_result, res), CLUSTER_LEASE_HELD);
    CALL(&t, cluster_lease_claim(a, "s1", on_result, res), CLUSTER_LEASE_HELD);

    /* a connection that is not ready refuses at once */
    redis_test_halt(&srv);
    result r = {0};
    int rc;
    uint64_t t0 = fa_time_mono_ns();
    while ((rc = cluster_lease_claim(a, "s9", on_result, &r)) == 0 &&
           fa_time_mono_ns() - t0 < 5000000000u) {
        assert_true(test_loop_until(&t, &r.done, 1, 5000));
        assert_true(r.value < 0); /* sent before the loss was seen: no reply */
        r.done = 0;
        test_loop_for(&t, 20);
    }
    assert_int_equal(rc, FA_EIO);
    assert_int_equal(redis_test_restart(&srv), 0);
    assert_true(test_loop_until(&t, &t.ready[0], 1, 5000));

    cluster_lease_free(a);
    cluster_lease_free(b);
    test_loop_finish(&t, conn, 2);
}

/* Three nodes poll 20 sources "once": each claims the sources in its own
 * order, polls (a few loop turns), marks done; together each source is
 * polled exactly once, and a source left undone by a node that died
 * mid-poll is polled by another after the lease. */
enum { N_SOURCES = 20, N_NODES = 3 };

typedef struct node {
    cluster_lease *l;
    int next; /* index into its order */
    int busy; /* waiting for a reply */
    int polled[N_SOURCES];
    int dead_after; /* stops (without release) after claiming this many; 0 = never */
    int claimed;
    int finished;
} node;

static int polls[N_SOURCES];
static char names[N_SOURCES][16];

typedef struct step {
    node *n;
    int src;
} step;

static void on_done(void *ud, int value, const char *err)
{
    step *s = ud;
    assert_int_equal(value, CLUSTER_LEASE_HELD);
    (void)err;
    s->n->busy = 0;
    free(s);
}

static void on_claim(void *ud, int value, const char *err)
{
    step *s = ud;
    node *n = s->n;
    assert_true(value >= 0);
    (void)err;
    if (value == CLUSTER_LEASE_HELD) {
        n->claimed++;
        if (n->dead_after && n->claimed > n->dead_after) {
            n->finished = 1; /* "killed" holding the lease: no poll, no release */
            free(s);
            return;
        }
        polls[s->src]++;
        n->polled[s->src] = 1;
        assert_int_equal(cluster_lease_mark_done(n->l, "run-1", names[s->src], on_done, s), 0);
        return;
    }
    n->busy = 0;
    free(s);
}

static void once_together(void **state)
{
    (void)state;
    test_loop t;
    test_loop_init(&t);
    fa_redis *conn[N_NODES];
    node nodes[N_NODES];
    memset(nodes, 0, sizeof nodes);
    memset(polls, 0, sizeof polls);
    for (int i = 0; i < N_SOURCES; i++)
        snprintf(names[i], sizeof names[i], "src-%02d", i);
    for (int k = 0; k < N_NODES; k++) {
        char nm[16];
        snprintf(nm, sizeof nm, "node-%d", k);
        conn[k] = test_loop_connect(&t, srv.url);
        assert_int_equal(cluster_lease_open(conn[k], "t2:", nm, 300, &nodes[k].l), 0);
    }
    nodes[2].dead_after = 3; /* node-2 dies holding its 4th source */
    /* rounds: every node not busy asks for its next source; a node that
     * went through all sources starts over (sources held by a dead node
     * come free later) until every source is done */
    uint64_t end = fa_time_mono_ns() + 10000000000u;
    for (;;) {
        int all = 1;
        for (int i = 0; i < N_SOURCES; i++)
            all &= polls[i] > 0;
        if (all) break;
        assert_true(fa_time_mono_ns() < end);
        for (int k = 0; k < N_NODES; k++) {
            node *n = &nodes[k];
            if (n->busy || n->finished) continue;
            int src = (n->next * 7 + k * 5) % N_SOURCES; /* each node its own order */
            n->next++;
            step *s = malloc(sizeof *s);
            s->n = n;
            s->src = src;
            n->busy = 1;
            int rc = cluster_lease_claim_once(n->l, "run-1", names[src], on_claim, s);
            if (rc != 0) fail_msg("claim_once: %d (%s)", rc, fa_redis_last_error(conn[k]));
        }
        uv_run(&t.loop, UV_RUN_ONCE);
    }
    /* let the last replies arrive */
    for (int k = 0; k < N_NODES; k++)
        assert_true(test_loop_until(&t, &nodes[k].busy, 0, 5000) || nodes[k].finished);
    int total = 0;
    for (int i = 0; i < N_SOURCES; i++) {
        if (polls[i] != 1) fail_msg("%s polled %d times", names[i], polls[i]);
        total += polls[i];
    }
    assert_int_equal(total, N_SOURCES);
    assert_int_equal(redis_test_int(&srv, "SCARD t2:once:run-1:done"), N_SOURCES);
    printf("once: node-0 polled %d, node-1 %d, node-2 %d (died holding one)\n", nodes[0].claimed,
           nodes[1].claimed, nodes[2].claimed - 1);
    /* everything is done now: no claim succeeds */
    for (int i = 0; i < N_SOURCES; i++)
        CALL(&t, cluster_lease_claim_once(nodes[0].l, "run-1", names[i], on_result, res),
             CLUSTER_LEASE_DONE);
    for (int k = 0; k < N_NODES; k++)
        cluster_lease_free(nodes[k].l);
    test_loop_finish(&t, conn, N_NODES);
}

static void bad_arguments(void **state)
{
    (void)state;
    cluster_lease *l = NULL;
    assert_int_equal(cluster_lease_open(NULL, NULL, "n", 1000, &l), FA_EINVAL);
    test_loop t;
    test_loop_init(&t);
    fa_redis *conn[1] = {test_loop_connect(&t, srv.url)};
    assert_int_equal(cluster_lease_open(conn[0], NULL, "", 1000, &l), FA_EINVAL);
    assert_int_equal(cluster_lease_open(conn[0], NULL, "n", 0, &l), FA_EINVAL);
    assert_int_equal(cluster_lease_open(conn[0], NULL, "n", 1000, &l), 0);
    assert_int_equal(cluster_lease_claim(l, "", on_result, NULL), FA_EINVAL);
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(cluster_lease_claim(l, big, on_result, NULL), FA_ETOOBIG);
    assert_int_equal(cluster_lease_claim_once(l, "", "s", on_result, NULL), FA_EINVAL);
    /* the default prefix */
    CALL(&t, cluster_lease_claim(l, "dflt", on_result, res), CLUSTER_LEASE_HELD);
    assert_int_equal(redis_test_int(&srv, "EXISTS feedarc:lease:dflt"), 1);
    cluster_lease_free(l);
    cluster_lease_free(NULL);
    test_loop_finish(&t, conn, 1);
}

int main(void)
{
    redis_test_require();
    if (redis_test_start(&srv, NULL) < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_nodes),
        cmocka_unit_test(once_together),
        cmocka_unit_test(bad_arguments),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    redis_test_stop(&srv);
    return failed ? 1 : 0;
}
