/*
 * fa_worker.h - worker threads give way to the event-loop thread.
 *
 * The loop thread only dispatches I/O; the worker threads (fa_workpool.h) do the heavy
 * work (extraction, fingerprints, compression, fsyncs).  When runnable
 * workers outnumber the cores, the kernel shares them by weight, and at
 * equal weight a loop thread woken by a socket waits behind busy workers
 * - every host waits with it (loop lag).  A worker calls
 * fa_worker_yield_to_loop() at the start of each work item: the first
 * call on a thread lowers that thread's CPU priority by FA_WORKER_NICE
 * (an unprivileged change: only lowering), which gives the loop thread
 * about three times a worker's weight; later calls cost a thread-local
 * test.  The workers still take every cycle the loop leaves.  One lock is
 * shared with the loop: the state handle's, held by a (lowered) worker for
 * one batch commit at a time; a lowered thread still gets CPU, so the loop
 * can wait a little longer there, never for ever.
 *
 * FEEDARC_WORKER_NICE (0-19, default FA_WORKER_NICE) in the environment
 * sets the step; 0 leaves the threads as they are (for comparisons).
 *
 * A weight alone does not make the loop run at once.  A worker that
 * finishes an item takes the next queued one without sleeping, so the
 * kernel reconsiders who runs on its core only when a wake-up preempts it
 * or at the next scheduler tick (4 ms at HZ=250), and a loop thread woken
 * while a worker's slice is still protected waits for that tick.  So a
 * worker also calls fa_worker_give_way() at the start of each item: at
 * most once every FA_WORKER_YIELD_US it yields its core (sched_yield()),
 * a scheduling point at which a waiting loop thread runs; with nothing
 * waiting it returns at once.  FEEDARC_WORKER_YIELD (microseconds,
 * 0-1000000) sets the interval; 0 never yields (for comparisons).
 *
 * Thread-safe; no allocation; errors are ignored (a priority is a hint).
 */
#ifndef FA_WORKER_H
#define FA_WORKER_H

#define FA_WORKER_NICE 5
#define FA_WORKER_YIELD_US 1000

/* Lowers the calling thread's priority once (see above). */
void fa_worker_yield_to_loop(void);

/* The nice value step the first call applies (0: none). */
int fa_worker_nice_step(void);

/* The start of a work item: yields the core when this thread has not
 * for FEEDARC_WORKER_YIELD microseconds (see above).  Returns 1 when it
 * yielded. */
int fa_worker_give_way(void);

/* The times fa_worker_give_way() yielded in this process. */
unsigned long fa_worker_yields(void);

#endif
