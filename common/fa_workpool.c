/*
 * fa_workpool.c - worker threads for a libuv loop; see fa_workpool.h for
 * why feedarc does not use libuv's own pool.
 *
 * Two lists, each under its own mutex: the work waiting for a thread
 * (queue) and the work finished and waiting for its done callback (done).
 * The idle threads wait on a semaphore, posted once per item (and once per
 * thread to stop them): sem_post never waits, where pthread_cond_signal
 * can - glibc's signal waits for the waiters woken by an earlier signal to
 * have left (__condvar_quiesce_and_switch_g1), and a woken worker that was
 * preempted before it left held the loop thread 12.8 ms once (perf trace).
 * Each mutex guards a few instructions.  A worker appends to
 * done, lets go of the mutex, then writes 1 to the eventfd: whatever
 * happens to the worker after that (the loop thread it wakes often takes
 * its core), it holds nothing the loop thread needs.  The loop thread
 * reads the eventfd (clearing its count), swaps the done list out under
 * the mutex and runs the callbacks with no lock held.  A worker that
 * appends while the loop is running callbacks has written the eventfd
 * again, so the loop comes back for it.
 */
#include "common/fa_workpool.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "common/fa_worker.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define MAX_THREADS 128
#define STACK_SIZE (8u << 20) /* as libuv's pool: parsers recurse */

void (*fa_workpool__after_notify)(void);

struct fa_workpool {
    uv_loop_t *loop;
    uv_poll_t poll; /* readable when the eventfd counts finished work */
    int efd;
    unsigned n_threads, n_started;
    pthread_t *threads;
    pthread_mutex_t queue_mu;
    sem_t queue_sem;              /* posted once per item queued, and per thread at the stop */
    fa_work *queue, **queue_tail; /* submitted, no thread yet (queue_mu) */
    pthread_mutex_t done_mu;
    fa_work *done, **done_tail; /* finished, done callback not yet run (done_mu) */
    size_t outstanding;         /* loop thread: submitted, done not yet run */
    int closing;
    int finalized;
    int warned; /* that no thread could start */
};

static unsigned threads_wanted(unsigned asked)
{
    if (asked) return asked > MAX_THREADS ? MAX_THREADS : asked;
    const char *e = getenv("UV_THREADPOOL_SIZE");
    if (e && *e) {
        char *end;
        long v = strtol(e, &end, 10);
        if (*end == '\0' && v >= 1) return v > MAX_THREADS ? MAX_THREADS : (unsigned)v;
    }
    return FA_WORKPOOL_DEFAULT_THREADS;
}

static void *worker(void *arg)
{
    fa_workpool *p = arg;
    fa_worker_yield_to_loop(); /* a step below the loop thread (fa_worker.h) */
    for (;;) {
        while (sem_wait(&p->queue_sem) != 0) { /* EINTR */
        }
        pthread_mutex_lock(&p->queue_mu);
        fa_work *w = p->queue;
        if (w == NULL) { /* a stop: the queue is empty once the pool closes */
            pthread_mutex_unlock(&p->queue_mu);
            return NULL;
        }
        p->queue = w->next__;
        if (p->queue == NULL) p->queue_tail = &p->queue;
        pthread_mutex_unlock(&p->queue_mu);

        w->work__(w);

        w->next__ = NULL;
        pthread_mutex_lock(&p->done_mu);
        *p->done_tail = w;
        p->done_tail = &w->next__;
        pthread_mutex_unlock(&p->done_mu);
        uint64_t one = 1;
        while (write(p->efd, &one, sizeof one) < 0 && errno == EINTR) {
        }
        if (fa_workpool__after_notify) fa_workpool__after_notify();
    }
}

/* Starts the threads; the workers block every signal (the loop thread
 * takes them).  0 when at least one thread runs. */
static int start_threads(fa_workpool *p)
{
    if (p->threads == NULL) p->threads = calloc(p->n_threads, sizeof *p->threads);
    if (p->threads == NULL) return FA_ENOMEM;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) return FA_ENOMEM;
    pthread_attr_setstacksize(&attr, STACK_SIZE);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (unsigned i = 0; i < p->n_threads; i++) {
        if (pthread_create(&p->threads[p->n_started], &attr, worker, p) != 0) break;
        pthread_setname_np(p->threads[p->n_started], "feedarc-worker");
        p->n_started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return p->n_started ? 0 : FA_EIO;
}

static void on_closed(uv_handle_t *h)
{
    fa_workpool *p = h->data;
    close(p->efd);
    pthread_mutex_destroy(&p->queue_mu);
    sem_destroy(&p->queue_sem);
    pthread_mutex_destroy(&p->done_mu);
    free(p->threads);
    free(p);
}

/* Closing and nothing outstanding: the threads (idle) exit and are
 * joined, and the handle closes. */
static void finalize(fa_workpool *p)
{
    if (p->finalized) return;
    p->finalized = 1;
    for (unsigned i = 0; i < p->n_started; i++)
        sem_post(&p->queue_sem); /* the queue is empty: each thread takes one and ends */
    for (unsigned i = 0; i < p->n_started; i++)
        pthread_join(p->threads[i], NULL);
    uv_poll_stop(&p->poll);
    uv_close((uv_handle_t *)&p->poll, on_closed);
}

/* The handle holds the loop only while work is outstanding. */
static void update_ref(fa_workpool *p)
{
    if (p->outstanding)
        uv_ref((uv_handle_t *)&p->poll);
    else
        uv_unref((uv_handle_t *)&p->poll);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    fa_workpool *p = h->data;
    uint64_t count;
    while (read(p->efd, &count, sizeof count) < 0 && errno == EINTR) {
    }
    pthread_mutex_lock(&p->done_mu);
    fa_work *list = p->done;
    p->done = NULL;
    p->done_tail = &p->done;
    pthread_mutex_unlock(&p->done_mu);
    while (list) {
        fa_work *w = list;
        list = w->next__;
        w->next__ = NULL;
        p->outstanding--;
        w->done__(w, 0); /* may submit more, or close the pool */
    }
    update_ref(p);
    if (p->closing && p->outstanding == 0) finalize(p);
}

int fa_workpool_new(uv_loop_t *loop, unsigned threads, fa_workpool **out)
{
    fa_workpool *p = calloc(1, sizeof *p);
    if (p == NULL) return FA_ENOMEM;
    p->loop = loop;
    p->n_threads = threads_wanted(threads);
    p->queue_tail = &p->queue;
    p->done_tail = &p->done;
    p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->efd < 0) {
        free(p);
        return FA_EIO;
    }
    int made = 0; /* how many of the four below were made */
    if (pthread_mutex_init(&p->queue_mu, NULL) == 0 && ++made &&
        sem_init(&p->queue_sem, 0, 0) == 0 && ++made &&
        pthread_mutex_init(&p->done_mu, NULL) == 0 && ++made &&
        uv_poll_init(loop, &p->poll, p->efd) == 0)
        made++;
    if (made < 4) {
        if (made > 2) pthread_mutex_destroy(&p->done_mu);
        if (made > 1) sem_destroy(&p->queue_sem);
        if (made > 0) pthread_mutex_destroy(&p->queue_mu);
        close(p->efd);
        free(p);
        return FA_ENOMEM;
    }
    p->poll.data = p;
    uv_poll_start(&p->poll, UV_READABLE, on_readable);
    uv_unref((uv_handle_t *)&p->poll);
    *out = p;
    return 0;
}

int fa_workpool_submit(fa_workpool *p, fa_work *w, void (*work)(fa_work *w),
                       void (*done)(fa_work *w, int status))
{
    if (p->closing) return FA_EINVAL;
    if (p->n_started == 0 && start_threads(p) < 0) {
        /* no thread (a pids limit, no memory for stacks): the work is
         * done here rather than dropped; the next submit tries again */
        if (!p->warned) {
            p->warned = 1;
            fa_log_warn("workpool", "no worker thread could be started: work runs on the loop thread");
        }
        work(w);
        done(w, 0);
        return 0;
    }
    w->work__ = work;
    w->done__ = done;
    w->next__ = NULL;
    p->outstanding++;
    update_ref(p);
    pthread_mutex_lock(&p->queue_mu);
    *p->queue_tail = w;
    p->queue_tail = &w->next__;
    pthread_mutex_unlock(&p->queue_mu);
    sem_post(&p->queue_sem);
    return 0;
}

size_t fa_workpool_outstanding(const fa_workpool *p)
{
    return p ? p->outstanding : 0;
}

void fa_workpool_close(fa_workpool *p)
{
    if (p == NULL || p->closing) return;
    p->closing = 1;
    if (p->outstanding == 0) finalize(p);
}
