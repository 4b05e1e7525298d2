/* state_batch.c - commit crawl state after the archive's fsync; see
 * state_batch.h. */
#include "crawler/state_batch.h"
#include "common/fa_err.h"
#include "common/fa_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX 256
#define BATCH_PERIOD_MS 1000

typedef struct pending_url {
    struct pending_url *next;
    url_record rec;
    char url[];
} pending_url;

struct state_batch {
    uv_loop_t *loop;
    crawl_state *st;
    segment_writer *w;
    pending_url *waiting, **waiting_tail; /* added since the last flush began */
    pending_url *flushing;                /* being committed now */
    size_t n_waiting, n_flushing;
    int flush_running;
    int sync_rc;
    uv_work_t work;
    uv_timer_t timer;
    int error;
    char message[256];
    int closing;
    int timer_closed; /* the handle is closed; free once no flush runs */
};

static void free_list(pending_url *p)
{
    while (p) {
        pending_url *next = p->next;
        free(p);
        p = next;
    }
}

static void release(state_batch *b);

static void on_timer(uv_timer_t *t)
{
    state_batch_flush(t->data);
}

int state_batch_new(uv_loop_t *loop, crawl_state *st, segment_writer *w, state_batch **out)
{
    state_batch *b = calloc(1, sizeof *b);
    if (b == NULL)
        return FA_ENOMEM;
    b->loop = loop;
    b->st = st;
    b->w = w;
    b->waiting_tail = &b->waiting;
    uv_timer_init(loop, &b->timer);
    b->timer.data = b;
    uv_timer_start(&b->timer, on_timer, BATCH_PERIOD_MS, BATCH_PERIOD_MS);
    *out = b;
    return 0;
}

int state_batch_put_url(state_batch *b, const char *url, const url_record *rec)
{
    size_t n = strlen(url);
    pending_url *p = malloc(sizeof *p + n + 1);
    if (p == NULL)
        return FA_ENOMEM;
    p->next = NULL;
    p->rec = *rec;
    memcpy(p->url, url, n + 1);
    *b->waiting_tail = p;
    b->waiting_tail = &p->next;
    if (++b->n_waiting >= BATCH_MAX)
        state_batch_flush(b);
    return 0;
}

static void set_error(state_batch *b, int rc, const char *what)
{
    if (b->error)
        return;
    b->error = rc;
    snprintf(b->message, sizeof b->message, "%s: %s", what, fa_strerror(rc));
    fa_log_error("state", "%s", b->message);
}

static void sync_work(uv_work_t *w)
{
    state_batch *b = w->data;
    b->sync_rc = b->w ? segment_writer_sync(b->w) : 0;
}

static void commit(state_batch *b)
{
    int rc = crawl_state_begin(b->st);
    const char *newest = "";
    for (pending_url *p = b->flushing; rc == 0 && p; p = p->next) {
        rc = crawl_state_put_url(b->st, p->url, &p->rec);
        if (strcmp(p->rec.warc_segment, newest) > 0)
            newest = p->rec.warc_segment;
    }
    /* Where reconciliation after a crash starts reading (segment names
     * sort in time order). */
    if (rc == 0 && newest[0])
        rc = crawl_state_put_kv(b->st, STATE_BATCH_KV_LAST_SEGMENT, newest);
    if (rc == 0)
        rc = crawl_state_commit(b->st);
    if (rc < 0) {
        if (crawl_state_in_transaction(b->st))
            crawl_state_rollback(b->st);
        set_error(b, rc, crawl_state_errmsg(b->st));
    }
}

static void sync_done(uv_work_t *w, int status)
{
    state_batch *b = w->data;
    if (status < 0)
        set_error(b, FA_ECANCELED, "state flush");
    else if (b->sync_rc < 0)
        set_error(b, b->sync_rc, "fsync of the open segment before committing state");
    else
        commit(b);
    free_list(b->flushing);
    b->flushing = NULL;
    b->n_flushing = 0;
    b->flush_running = 0;
    if (b->timer_closed) {
        release(b);
        return;
    }
    if (b->n_waiting >= BATCH_MAX && !b->closing)
        state_batch_flush(b);
}

void state_batch_flush(state_batch *b)
{
    if (b->flush_running || b->n_waiting == 0 || b->error || b->closing)
        return;
    b->flushing = b->waiting;
    b->n_flushing = b->n_waiting;
    b->waiting = NULL;
    b->waiting_tail = &b->waiting;
    b->n_waiting = 0;
    b->flush_running = 1;
    b->work.data = b;
    if (uv_queue_work(b->loop, &b->work, sync_work, sync_done) != 0) {
        /* no worker: sync here */
        sync_work(&b->work);
        sync_done(&b->work, 0);
    }
}

size_t state_batch_pending(const state_batch *b)
{
    return b->n_waiting + b->n_flushing;
}

int state_batch_error(const state_batch *b, const char **message)
{
    if (message)
        *message = b->message;
    return b->error;
}

static void release(state_batch *b)
{
    free_list(b->waiting);
    free_list(b->flushing);
    free(b);
}

static void on_closed(uv_handle_t *h)
{
    state_batch *b = h->data;
    b->timer_closed = 1;
    if (!b->flush_running)
        release(b);
}

void state_batch_unref(state_batch *b)
{
    uv_unref((uv_handle_t *)&b->timer);
}

int state_batch_finish(state_batch *b, char *msg, size_t len)
{
    uv_timer_stop(&b->timer);
    while (!b->error && (b->flush_running || b->n_waiting)) {
        state_batch_flush(b);
        if (b->flush_running)
            uv_run(b->loop, UV_RUN_ONCE);
    }
    int rc = b->error;
    if (rc && msg && len)
        snprintf(msg, len, "%s", b->message);
    state_batch_close(b);
    uv_run(b->loop, UV_RUN_DEFAULT);
    return rc;
}

void state_batch_close(state_batch *b)
{
    if (b == NULL || b->closing)
        return;
    b->closing = 1;
    uv_timer_stop(&b->timer);
    uv_close((uv_handle_t *)&b->timer, on_closed);
}
