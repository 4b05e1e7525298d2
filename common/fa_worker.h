/*
 * fa_worker.h - worker threads give way to the event-loop thread.
 *
 * The loop thread only dispatches I/O; libuv's pool threads do the heavy
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
 * Thread-safe; no allocation; errors are ignored (a priority is a hint).
 */
#ifndef FA_WORKER_H
#define FA_WORKER_H

#define FA_WORKER_NICE 5

/* Lowers the calling thread's priority once (see above). */
void fa_worker_yield_to_loop(void);

/* The nice value step the first call applies (0: none). */
int fa_worker_nice_step(void);

#endif
