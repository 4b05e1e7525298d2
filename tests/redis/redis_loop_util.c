/*
 * redis_loop_util.c - see redis_loop_util.h.
 */
#include "redis/redis_loop_util.h"
#include "common/fa_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void tick_cb(uv_timer_t *t)
{
    (void)t;
}

void test_loop_init(test_loop *t)
{
    memset(t, 0, sizeof *t);
    uv_loop_init(&t->loop);
    uv_timer_init(&t->loop, &t->tick);
    uv_timer_start(&t->tick, tick_cb, 10, 10);
}

int test_loop_until(test_loop *t, const int *flag, int want, int ms)
{
    uint64_t end = fa_time_mono_ns() + (uint64_t)ms * 1000000u;
    while (*flag != want && fa_time_mono_ns() < end)
        uv_run(&t->loop, UV_RUN_ONCE);
    return *flag == want;
}

void test_loop_for(test_loop *t, int ms)
{
    int never = 0;
    test_loop_until(t, &never, 1, ms);
}

static void on_state(fa_redis *r, void *ud, int ready, const char *why)
{
    (void)r;
    (void)why;
    *(int *)ud = ready;
}

fa_redis *test_loop_connect(test_loop *t, const char *url)
{
    if (t->n_conns >= 32) abort();
    int *ready = &t->ready[t->n_conns++];
    fa_redis *r = NULL;
    char err[256];
    fa_redis_options o = {
        .url = url, .on_state = on_state, .ud = ready, .backoff_min_ms = 20, .backoff_max_ms = 200};
    if (fa_redis_open(&t->loop, &o, &r, err, sizeof err) < 0) {
        fprintf(stderr, "test_loop_connect: %s\n", err);
        abort();
    }
    if (!test_loop_until(t, ready, 1, 5000)) {
        fprintf(stderr, "test_loop_connect: not ready: %s\n", fa_redis_last_error(r));
        abort();
    }
    return r;
}

void test_loop_finish(test_loop *t, fa_redis **conns, int n)
{
    for (int i = 0; i < n; i++)
        if (conns[i] != NULL) fa_redis_close(conns[i], NULL, NULL);
    uv_close((uv_handle_t *)&t->tick, NULL);
    while (uv_run(&t->loop, UV_RUN_DEFAULT) != 0) {
    }
    uv_loop_close(&t->loop);
}
