/*
 * state_test_util.h - test helpers around the crawl state's SQLite
 * backend: the writer's handle held busy from another thread, as a
 * worker's commit holds it through its fsync, to show that a reader does
 * not wait for it.
 */
#ifndef STATE_TEST_UTIL_H
#define STATE_TEST_UTIL_H

#include "storage/state/crawl_state_backend.h"

#include <pthread.h>

typedef struct state_writer_hold {
    crawl_state *st;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int holding, release;
} state_writer_hold;

/* Takes st's writer mutex on a new thread and returns once it holds it;
 * the thread lets go at state_writer_release, or after 10 s.  0, or -1
 * (no thread). */
int state_writer_hold_start(state_writer_hold *h, crawl_state *st);

/* Lets the writer go and joins the thread. */
void state_writer_hold_release(state_writer_hold *h);

#endif
