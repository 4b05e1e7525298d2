/*
 * redis_loop_util.h - for tests of the asynchronous cluster modules: fa_redis
 * connections on one libuv loop, and a way to wait for a callback.
 */
#ifndef REDIS_LOOP_UTIL_H
#define REDIS_LOOP_UTIL_H

#include "common/fa_redis.h"

#include <uv.h>

typedef struct test_loop {
    uv_loop_t loop;
    uv_timer_t tick; /* keeps uv_run(ONCE) from sleeping for ever */
    int ready[32];   /* of each connection made by test_loop_connect */
    int n_conns;
} test_loop;

void test_loop_init(test_loop *t);

/* Runs the loop until *flag == want or ms pass; 1 if it came. */
int test_loop_until(test_loop *t, const int *flag, int want, int ms);

/* Runs the loop for ms. */
void test_loop_for(test_loop *t, int ms);

/* Opens a connection to url and waits until it is ready (fails the test
 * otherwise). */
fa_redis *test_loop_connect(test_loop *t, const char *url);

/* Closes the connections (n of them, NULLs skipped), the loop's handles,
 * and the loop. */
void test_loop_finish(test_loop *t, fa_redis **conns, int n);

#endif
