/*
 * fa_workpool.h - a fixed pool of worker threads for one libuv loop: work
 * runs on a worker, its done callback on the loop thread.  What
 * uv_queue_work does, without its wake-up's spin.
 *
 * Why not libuv's own pool: in libuv before 1.45 (Debian bookworm ships
 * 1.44) a worker tells the loop that work is done with uv_async_send,
 * which marks the handle busy, writes the loop's eventfd, then marks it
 * done; the loop thread, woken by that write, waits for the mark with a
 * spin and sched_yield() (uv__async_spin).  The write itself wakes the
 * loop thread, which often takes the worker's core at once - so the loop
 * yields to a worker that then runs a whole time slice of its next item
 * before it sets the mark.  On the 2-core bench the loop thread spent
 * 45-190 ms of a 1-1.5 s crawl in those yields, 1-5 ms at a time
 * (docs/BENCHMARKS.md, "Session 24").  libuv 1.45 removed the spin
 * (libuv/libuv#3879).  Here a worker appends its finished work to a list
 * under a mutex and writes an eventfd after letting go of it; the loop
 * thread reads the eventfd (a uv_poll_t), takes the whole list and runs
 * the done callbacks.  Nothing the loop waits for is held across the
 * write, so a preempted worker never holds the loop.
 *
 * Work runs in the order it was submitted (first free worker takes the
 * oldest); done callbacks run in the order the work finished.  Work is
 * never cancelled: fa_workpool_close lets what was submitted finish.
 *
 * Each thread runs at a lower priority than the loop thread
 * (fa_worker_yield_to_loop, common/fa_worker.h).
 *
 * The pool's handle keeps the loop alive while work is outstanding (like
 * a libuv request), and only then.
 *
 * Threads: fa_workpool_new, fa_workpool_submit and fa_workpool_close on
 * the loop thread; the work function on a worker; done on the loop thread.
 */
#ifndef FA_WORKPOOL_H
#define FA_WORKPOOL_H

#include <stddef.h>
#include <uv.h>

typedef struct fa_workpool fa_workpool;
typedef struct fa_work fa_work;

/* One piece of work; the caller owns it (usually embedded in a larger
 * struct) and must keep it alive until done has run. */
struct fa_work {
    void *data; /* the caller's */
    /* private */
    fa_work *next__;
    void (*work__)(fa_work *w);
    void (*done__)(fa_work *w, int status);
};

/* Threads when the caller asks for 0: UV_THREADPOOL_SIZE from the
 * environment (1..128), as for libuv's pool, else 4. */
#define FA_WORKPOOL_DEFAULT_THREADS 4

/* A pool of threads (0: FA_WORKPOOL_DEFAULT_THREADS or the environment's)
 * on loop; the threads start at the first submit.  0 or FA_ENOMEM /
 * FA_EIO. */
int fa_workpool_new(uv_loop_t *loop, unsigned threads, fa_workpool **out);

/* Runs work(w) on a worker, then done(w, 0) on the loop thread.  When no
 * thread can be started, both run here, before it returns (a warning the
 * first time).  0, or FA_EINVAL after fa_workpool_close (nothing runs). */
int fa_workpool_submit(fa_workpool *p, fa_work *w, void (*work)(fa_work *w),
                       void (*done)(fa_work *w, int status));

/* Work submitted and whose done callback has not run yet. */
size_t fa_workpool_outstanding(const fa_workpool *p);

/* No more submits.  Once the outstanding work's done callbacks have run,
 * the threads are joined and the handle closed; the pool's memory is
 * freed when the loop has run the handle's close (run the loop after).
 * NULL is accepted. */
void fa_workpool_close(fa_workpool *p);

/* Tests only: called by a worker right after it has told the loop of a
 * finished item (a worker stopped there must not hold the loop). */
extern void (*fa_workpool__after_notify)(void);

#endif
