/*
 * test_robots_gate.c - the robots gate's outcomes that are not robots.txt
 * rules: a fetch that got no answer (robots_gate_fail) is no decision and
 * is asked for again after its retry time; a 5xx disallows, for the run or
 * until the unavailable hold is over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crawler/robots_gate.h"

#include <string.h>
#include <time.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unreachable_is_no_decision),
        cmocka_unit_test(unreachable_for_good_without_retry),
        cmocka_unit_test(server_error_holds_then_asks_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
