/* test_workpool.c - common/fa_workpool.c on a real libuv loop: work runs
 * on the pool's threads and done callbacks on the loop thread, each once;
 * the loop stays alive exactly while work is outstanding; a done callback
 * may submit more; close lets submitted work finish and refuses new work;
 * the threads run in parallel, a nice step below the loop thread, with
 * every signal blocked; and a worker stopped right after telling the loop
 * of its item does not hold the loop (the defect of libuv 1.44's own
 * pool: its loop thread waits for the notifying worker). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "common/fa_worker.h"
#include "common/fa_workpool.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

typedef struct item {
    fa_work w;
    pthread_t worker, doner;
    uint64_t in, out; /* the work's input and result */
    int done_calls;
    int nice; /* the worker's nice value */
    int sigterm_blocked;
} item;

static pthread_t loop_thread;

static void square(fa_work *w)
{
    item *it = w->data;
    it->worker = pthread_self();
    it->out = it->in * it->in;
    errno = 0;
    it->nice = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
    sigset_t set;
    pthread_sigmask(SIG_BLOCK, NULL, &set);
    it->sigterm_blocked = sigismember(&set, SIGTERM) == 1;
}

static int dones;

static void count_done(fa_work *w, int status)
{
    item *it = w->data;
    assert_int_equal(status, 0);
    it->doner = pthread_self();
    it->done_calls++;
    dones++;
}

static void work_off_the_loop_done_on_it(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    loop_thread = pthread_self();
    errno = 0;
    int main_nice = getpriority(PRIO_PROCESS, 0);
    fa_workpool *p = NULL;
    assert_int_equal(fa_workpool_new(&loop, 3, &p), 0);
    enum { N = 500 };
    item *items = calloc(N, sizeof *items);
    assert_non_null(items);
    dones = 0;
    for (unsigned i = 0; i < N; i++) {
        items[i].w.data = &items[i];
        items[i].in = i + 7;
        assert_int_equal(fa_workpool_submit(p, &items[i].w, square, count_done), 0);
    }
    assert_int_equal(fa_workpool_outstanding(p), N);
    uv_run(&loop, UV_RUN_DEFAULT); /* returns only when every done has run */
    assert_int_equal(dones, N);
    assert_int_equal(fa_workpool_outstanding(p), 0);
    int want_nice = main_nice + fa_worker_nice_step() > 19 ? 19 : main_nice + fa_worker_nice_step();
    for (unsigned i = 0; i < N; i++) {
        assert_int_equal(items[i].done_calls, 1);
        assert_int_equal(items[i].out, (uint64_t)(i + 7) * (i + 7));
        assert_false(pthread_equal(items[i].worker, loop_thread));
        assert_true(pthread_equal(items[i].doner, loop_thread));
        assert_int_equal(items[i].nice, want_nice);
        assert_true(items[i].sigterm_blocked);
    }
    errno = 0;
    assert_int_equal(getpriority(PRIO_PROCESS, 0), main_nice); /* the loop thread's own */
    fa_workpool_close(p);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    free(items);
}

/* With nothing submitted the pool keeps no loop alive; with work
 * outstanding it does. */
static void sleep_200ms(fa_work *w)
{
    (void)w;
    usleep(200 * 1000);
}

static void loop_alive_only_while_outstanding(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    fa_workpool *p = NULL;
    assert_int_equal(fa_workpool_new(&loop, 2, &p), 0);
    uint64_t t0 = mono_ms();
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_true(mono_ms() - t0 < 150);
    item it = {0};
    it.w.data = &it;
    dones = 0;
    t0 = mono_ms();
    assert_int_equal(fa_workpool_submit(p, &it.w, sleep_200ms, count_done), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(mono_ms() - t0 >= 190);
    assert_int_equal(dones, 1);
    fa_workpool_close(p);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* A done callback submits the next item: a chain of 100. */
static fa_workpool *chain_pool;
static int chain_left;

static void chain_done(fa_work *w, int status)
{
    (void)status;
    dones++;
    if (--chain_left > 0)
        assert_int_equal(fa_workpool_submit(chain_pool, w, square, chain_done), 0);
}

static void done_may_submit_more(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(fa_workpool_new(&loop, 2, &chain_pool), 0);
    item it = {0};
    it.w.data = &it;
    it.in = 3;
    dones = 0;
    chain_left = 100;
    assert_int_equal(fa_workpool_submit(chain_pool, &it.w, square, chain_done), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(dones, 100);
    assert_int_equal(it.out, 9);
    fa_workpool_close(chain_pool);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* close while work is outstanding: it all finishes, its done callbacks
 * run, then the threads end; a submit after close is refused. */
static void close_lets_outstanding_work_finish(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    fa_workpool *p = NULL;
    assert_int_equal(fa_workpool_new(&loop, 2, &p), 0);
    item items[6];
    memset(items, 0, sizeof items);
    dones = 0;
    for (unsigned i = 0; i < 6; i++) {
        items[i].w.data = &items[i];
        assert_int_equal(fa_workpool_submit(p, &items[i].w, sleep_200ms, count_done), 0);
    }
    fa_workpool_close(p);
    item late = {0};
    late.w.data = &late;
    assert_int_equal(fa_workpool_submit(p, &late.w, square, count_done), FA_EINVAL);
    uv_run(&loop, UV_RUN_DEFAULT); /* the done callbacks, then the handle's close */
    assert_int_equal(dones, 6);
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(items[i].done_calls, 1);
    assert_int_equal(late.done_calls, 0);
    assert_int_equal(uv_loop_close(&loop), 0); /* nothing of the pool is left on it */
}

/* The threads run items at the same time: four items that each wait for
 * all four to have started finish only on a pool of four threads. */
static pthread_mutex_t meet_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t meet_cv = PTHREAD_COND_INITIALIZER;
static int meet_arrived;
static atomic_int meet_all_seen;

static void meet(fa_work *w)
{
    (void)w;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&meet_mu);
    meet_arrived++;
    pthread_cond_broadcast(&meet_cv);
    while (meet_arrived < 4)
        if (pthread_cond_timedwait(&meet_cv, &meet_mu, &until) == ETIMEDOUT) break;
    if (meet_arrived >= 4) atomic_fetch_add(&meet_all_seen, 1);
    pthread_mutex_unlock(&meet_mu);
}

static void threads_run_in_parallel(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    fa_workpool *p = NULL;
    assert_int_equal(fa_workpool_new(&loop, 4, &p), 0);
    item items[4];
    memset(items, 0, sizeof items);
    dones = 0;
    for (unsigned i = 0; i < 4; i++) {
        items[i].w.data = &items[i];
        assert_int_equal(fa_workpool_submit(p, &items[i].w, meet, count_done), 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(dones, 4);
    assert_int_equal(atomic_load(&meet_all_seen), 4);
    fa_workpool_close(p);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* A worker stopped right after it told the loop of its item (preempted
 * there, as the loop thread it wakes often takes its core) must not hold
 * the loop: the item's done callback runs while that worker is still
 * stopped.  libuv 1.44's pool fails this - its loop thread waits, with
 * sched_yield(), until the worker marks its notification finished. */
static atomic_int stopped_worker_released;
static atomic_int done_seen_while_stopped;

static void stop_after_notify(void)
{
    uint64_t until = mono_ms() + 10000;
    while (!atomic_load(&stopped_worker_released) && mono_ms() < until)
        usleep(1000);
}

static void release_stopped_worker(fa_work *w, int status)
{
    (void)w;
    (void)status;
    dones++;
    if (!atomic_load(&stopped_worker_released)) atomic_store(&done_seen_while_stopped, 1);
    atomic_store(&stopped_worker_released, 1);
}

static void stopped_notifier_does_not_hold_the_loop(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    fa_workpool *p = NULL;
    assert_int_equal(fa_workpool_new(&loop, 1, &p), 0);
    fa_workpool__after_notify = stop_after_notify;
    item it = {0};
    it.w.data = &it;
    dones = 0;
    uint64_t t0 = mono_ms();
    assert_int_equal(fa_workpool_submit(p, &it.w, square, release_stopped_worker), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(dones, 1);
    assert_int_equal(atomic_load(&done_seen_while_stopped), 1);
    assert_true(mono_ms() - t0 < 5000);
    fa_workpool_close(p); /* joins the worker, released by the done above */
    uv_run(&loop, UV_RUN_DEFAULT);
    fa_workpool__after_notify = NULL;
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* 0 threads: UV_THREADPOOL_SIZE decides, as for libuv's pool. */
static void threads_from_the_environment(void **state)
{
    (void)state;
    setenv("UV_THREADPOOL_SIZE", "4", 1);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    fa_workpool *p = NULL;
    assert_int_equal(fa_workpool_new(&loop, 0, &p), 0);
    item items[4];
    memset(items, 0, sizeof items);
    dones = 0;
    meet_arrived = 0;
    atomic_store(&meet_all_seen, 0);
    for (unsigned i = 0; i < 4; i++) {
        items[i].w.data = &items[i];
        assert_int_equal(fa_workpool_submit(p, &items[i].w, meet, count_done), 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(atomic_load(&meet_all_seen), 4); /* four threads met */
    fa_workpool_close(p);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    unsetenv("UV_THREADPOOL_SIZE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(work_off_the_loop_done_on_it),
        cmocka_unit_test(loop_alive_only_while_outstanding),
        cmocka_unit_test(done_may_submit_more),
        cmocka_unit_test(close_lets_outstanding_work_finish),
        cmocka_unit_test(threads_run_in_parallel),
        cmocka_unit_test(stopped_notifier_does_not_hold_the_loop),
        cmocka_unit_test(threads_from_the_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
