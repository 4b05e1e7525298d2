/*
 * state_test_util.c - see state_test_util.h.
 */
#include "state_test_util.h"

#include <string.h>
#include <time.h>

static void *hold_writer(void *arg)
{
    state_writer_hold *h = arg;
    pthread_mutex_lock(&h->st->lock);
    pthread_mutex_lock(&h->mu);
    h->holding = 1;
    pthread_cond_broadcast(&h->cv);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    while (!h->release)
        if (pthread_cond_timedwait(&h->cv, &h->mu, &until) != 0) break;
    pthread_mutex_unlock(&h->mu);
    pthread_mutex_unlock(&h->st->lock);
    return NULL;
}

int state_writer_hold_start(state_writer_hold *h, crawl_state *st)
{
    memset(h, 0, sizeof *h);
    h->st = st;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    if (pthread_create(&h->thread, NULL, hold_writer, h) != 0) {
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cv);
        return -1;
    }
    pthread_mutex_lock(&h->mu);
    while (!h->holding)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
    return 0;
}

void state_writer_hold_release(state_writer_hold *h)
{
    pthread_mutex_lock(&h->mu);
    h->release = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
}
