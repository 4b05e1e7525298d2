/*
 * test_robots_gate.c - the robots gate's outcomes that are not robots.txt
 * rules: a fetch that got no answer (robots_gate_fail) is no decision and
 * is asked for again after its retry time; a 5xx disallows, for the run or
 * until the unavailable hold is over.  And its cache in a real SQLite
 * state: a 2xx or 4xx outlives the gate (the next run fetches nothing) until
 * its lifetime is over, a 5xx is never cached, and through the state writer
 * (robots_gate_set_writer) the entry is committed by the writer's flush,
 * not by the gate.  Parked jobs come back in arrival order; the user
 * agent's own group wins over '*'; Crawl-delay is handed back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crawler/robots_gate.h"
#include "crawler/state_batch.h"
#include "crawl_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

static const char *host = "http://127.0.0.1:8080";

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void unreachable_is_no_decision(void **state)
{
    (void)state;
    robots_gate *g = NULL;
    assert_int_equal(robots_gate_new(NULL, "feedarc", 0, &g), 0);
    robots_gate_wait w1, w2, w3, w4;
    robots_verdict v;
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/feed", &w1, &v),
                     ROBOTS_GATE_FETCH);
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/a", &w2, &v),
                     ROBOTS_GATE_PARKED);
    robots_gate_wait *back = robots_gate_fail(g, host, "connection refused (x)", 150);
    assert_ptr_equal(back, &w1);
    assert_ptr_equal(back->next, &w2);
    /* until the retry time: unreachable, with the cause - not disallowed */
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/b", &w3, &v),
                     ROBOTS_GATE_UNREACHABLE);
    assert_string_equal(robots_gate_failure(g, host), "connection refused (x)");
    /* then robots.txt is asked for again, and a 200 decides */
    sleep_ms(200);
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/c", &w4, &v),
                     ROBOTS_GATE_FETCH);
    assert_null(robots_gate_failure(g, host));
    const char *txt = "User-agent: *\nDisallow: /private/\n";
    back = robots_gate_resolve(g, host, 200, txt, strlen(txt), NULL);
    assert_ptr_equal(back, &w4);
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/c", &w4, &v),
                     ROBOTS_GATE_ALLOW);
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/private/x", &w4, &v),
                     ROBOTS_GATE_DISALLOW);
    robots_gate_free(g);
}

static void unreachable_for_good_without_retry(void **state)
{
    (void)state;
    robots_gate *g = NULL;
    assert_int_equal(robots_gate_new(NULL, "feedarc", 0, &g), 0);
    robots_gate_wait w;
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/", &w, NULL),
                     ROBOTS_GATE_FETCH);
    robots_gate_fail(g, host, NULL, 0);
    sleep_ms(20);
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/", &w, NULL),
                     ROBOTS_GATE_UNREACHABLE);
    assert_string_equal(robots_gate_failure(g, host), "no answer");
    robots_gate_free(g);
}

static void server_error_holds_then_asks_again(void **state)
{
    (void)state;
    robots_gate *g = NULL;
    assert_int_equal(robots_gate_new(NULL, "feedarc", 0, &g), 0);
    robots_gate_set_unavailable_hold(g, 150);
    robots_gate_wait w;
    robots_verdict v;
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/", &w, &v),
                     ROBOTS_GATE_FETCH);
    robots_gate_resolve(g, host, 503, "", 0, NULL);
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/", &w, &v),
                     ROBOTS_GATE_DISALLOW);
    assert_int_equal(v.reason, ROBOTS_BY_UNAVAILABLE);
    sleep_ms(200);
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/", &w, &v),
                     ROBOTS_GATE_FETCH);
    robots_gate_free(g);
}

static crawl_state *open_state(const char *dir)
{
    crawl_state *st = NULL;
    char err[512] = "";
    assert_int_equal(crawl_state_open_sqlite(dir, &st, err, sizeof err), 0);
    return st;
}

static int cached_in(const char *dir)
{
    crawl_state *ro = NULL;
    char err[512] = "";
    assert_int_equal(crawl_state_open_sqlite_readonly(dir, &ro, err, sizeof err), 0);
    robots_record rec;
    fa_buf body;
    fa_buf_init(&body, CRAWL_STATE_ROBOTS_MAX);
    int rc = crawl_state_get_robots(ro, host, &rec, &body);
    fa_buf_free(&body);
    crawl_state_close(ro);
    return rc;
}

static void cache_outlives_the_gate_but_not_its_lifetime(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    crawl_state *st = open_state(dir);
    robots_gate *g = NULL;
    robots_gate_wait w;
    robots_verdict v;
    assert_int_equal(robots_gate_new(st, "feedarc", 0, &g), 0);
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/", &w, &v),
                     ROBOTS_GATE_FETCH);
    const char *txt = "User-agent: *\nDisallow: /private/\n";
    robots_gate_resolve(g, host, 200, txt, strlen(txt), NULL);
    robots_gate_free(g);
    /* the next run: decided from the cache, nothing fetched */
    assert_int_equal(robots_gate_new(st, "feedarc", 0, &g), 0);
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/private/a", &w, &v),
                     ROBOTS_GATE_DISALLOW);
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/public", &w, &v),
                     ROBOTS_GATE_ALLOW);
    robots_gate_free(g);
    /* an entry written with a 1 ms lifetime is stale for the next gate */
    const char *host2 = "http://127.0.0.1:8081";
    assert_int_equal(robots_gate_new(st, "feedarc", 1, &g), 0);
    assert_int_equal(robots_gate_check(g, host2, "http://127.0.0.1:8081/", &w, &v),
                     ROBOTS_GATE_FETCH);
    robots_gate_resolve(g, host2, 200, "", 0, NULL);
    robots_gate_free(g);
    sleep_ms(20);
    assert_int_equal(robots_gate_new(st, "feedarc", 0, &g), 0);
    assert_int_equal(robots_gate_check(g, host2, "http://127.0.0.1:8081/", &w, &v),
                     ROBOTS_GATE_FETCH);
    robots_gate_free(g);
    /* a 5xx is never cached: the next gate asks again */
    const char *host3 = "http://127.0.0.1:8082";
    assert_int_equal(robots_gate_new(st, "feedarc", 0, &g), 0);
    assert_int_equal(robots_gate_check(g, host3, "http://127.0.0.1:8082/", &w, &v),
                     ROBOTS_GATE_FETCH);
    robots_gate_resolve(g, host3, 503, "", 0, NULL);
    robots_gate_free(g);
    assert_int_equal(robots_gate_new(st, "feedarc", 0, &g), 0);
    assert_int_equal(robots_gate_check(g, host3, "http://127.0.0.1:8082/", &w, &v),
                     ROBOTS_GATE_FETCH);
    robots_gate_free(g);
    crawl_state_close(st);
    test_rm_rf(dir);
    free(dir);
}

static void cache_written_through_the_state_writer(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    crawl_state *st = open_state(dir);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    state_batch *b = NULL;
    assert_int_equal(state_batch_new(&loop, NULL, st, NULL, &b), 0);
    robots_gate *g = NULL;
    assert_int_equal(robots_gate_new(st, "feedarc", 0, &g), 0);
    robots_gate_set_writer(g, b);
    robots_gate_wait w;
    robots_verdict v;
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/", &w, &v),
                     ROBOTS_GATE_FETCH);
    robots_gate_resolve(g, host, 404, "", 0, NULL); /* 4xx: no restrictions, cached */
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/anything", &w, &v),
                     ROBOTS_GATE_ALLOW);
    /* the gate committed nothing itself: the writer's flush does */
    assert_int_equal(cached_in(dir), 0);
    assert_int_equal(state_batch_pending(b), 1);
    char msg[256] = "";
    assert_int_equal(state_batch_finish(b, msg, sizeof msg), 0);
    assert_int_equal(cached_in(dir), 1);
    robots_gate_free(g);
    assert_int_equal(uv_loop_close(&loop), 0);
    crawl_state_close(st);
    test_rm_rf(dir);
    free(dir);
}

static void parked_jobs_return_in_order_with_the_crawl_delay(void **state)
{
    (void)state;
    robots_gate *g = NULL;
    assert_int_equal(robots_gate_new(NULL, "feedarc", 0, &g), 0);
    robots_gate_wait w[4];
    robots_verdict v;
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/0", &w[0], &v),
                     ROBOTS_GATE_FETCH);
    for (int i = 1; i < 4; i++)
        assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/i", &w[i], &v),
                         ROBOTS_GATE_PARKED);
    /* the agent's own group wins over '*' */
    const char *txt = "User-agent: *\nDisallow: /\n\n"
                      "User-agent: feedarc\nDisallow: /no/\nCrawl-delay: 2\n";
    uint64_t delay = 0;
    robots_gate_wait *back = robots_gate_resolve(g, host, 200, txt, strlen(txt), &delay);
    for (int i = 0; i < 4; i++, back = back->next)
        assert_ptr_equal(back, &w[i]);
    assert_null(back);
    assert_int_equal(delay, 2000);
    assert_int_equal(robots_gate_crawl_delay(g, host), 2000);
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/yes", &w[0], &v),
                     ROBOTS_GATE_ALLOW);
    assert_int_equal(robots_gate_check(g, host, "http://127.0.0.1:8080/no/x", &w[0], &v),
                     ROBOTS_GATE_DISALLOW);
    robots_gate_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unreachable_is_no_decision),
        cmocka_unit_test(unreachable_for_good_without_retry),
        cmocka_unit_test(server_error_holds_then_asks_again),
        cmocka_unit_test(cache_outlives_the_gate_but_not_its_lifetime),
        cmocka_unit_test(cache_written_through_the_state_writer),
        cmocka_unit_test(parked_jobs_return_in_order_with_the_crawl_delay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
