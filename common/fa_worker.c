/*
 * fa_worker.c - worker threads give way to the event-loop thread; see
 * fa_worker.h.
 *
 * Linux keeps a nice value per thread: setpriority(PRIO_PROCESS, tid)
 * changes the calling thread's alone.  The step is relative to the
 * thread's nice value now (a process started under `nice -n 10` gets
 * workers at 15), capped at 19.
 */
#include "common/fa_worker.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int fa_worker_nice_step(void)
{
    const char *e = getenv("FEEDARC_WORKER_NICE");
    if (e == NULL || *e == '\0') return FA_WORKER_NICE;
    char *end;
    long v = strtol(e, &end, 10);
    if (*end != '\0' || v < 0) return FA_WORKER_NICE;
    return v > 19 ? 19 : (int)v;
}

void fa_worker_yield_to_loop(void)
{
    static _Thread_local int done;
    if (done) return;
    done = 1;
    int step = fa_worker_nice_step();
    if (step == 0) return;
    id_t tid = (id_t)syscall(SYS_gettid);
    errno = 0;
    int now = getpriority(PRIO_PROCESS, tid);
    if (now == -1 && errno != 0) return;
    int want = now + step > 19 ? 19 : now + step;
    if (want > now) (void)setpriority(PRIO_PROCESS, tid, want);
}

static atomic_ulong yields;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The least time between two yields of one thread, ns; 0: never yield. */
static uint64_t yield_every_ns(void)
{
    static _Atomic int64_t ns = -1; /* -1: the environment not read yet */
    int64_t v = atomic_load_explicit(&ns, memory_order_relaxed);
    if (v < 0) {
        v = (int64_t)FA_WORKER_YIELD_US * 1000;
        const char *e = getenv("FEEDARC_WORKER_YIELD");
        if (e != NULL && *e != '\0') {
            char *end;
            long us = strtol(e, &end, 10);
            if (*end == '\0' && us >= 0 && us <= 1000000) v = (int64_t)us * 1000;
        }
        atomic_store_explicit(&ns, v, memory_order_relaxed);
    }
    return (uint64_t)v;
}

int fa_worker_give_way(void)
{
    static _Thread_local uint64_t last; /* this thread's last yield */
    uint64_t every = yield_every_ns();
    if (every == 0) return 0;
    uint64_t now = mono_ns();
    if (now - last < every) return 0;
    last = now;
    (void)sched_yield();
    atomic_fetch_add_explicit(&yields, 1, memory_order_relaxed);
    return 1;
}

unsigned long fa_worker_yields(void)
{
    return atomic_load_explicit(&yields, memory_order_relaxed);
}
