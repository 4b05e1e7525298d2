/* state_batch.c - the crawl's state writes, committed on a worker after
 * the archive's fsync; see state_batch.h.
 *
 * Updates wait in one list, in the order they were added.  A flush takes
 * the whole list and hands it to a worker thread (fa_workpool), which fsyncs the open
 * segment, then applies every update inside one transaction and commits;
 * back on the loop thread the list is freed (and an error recorded).  At
 * most one flush runs, so batches commit in order, and the loop thread
 * never waits for an fsync. */
#include "crawler/state_batch.h"
#include "common/fa_err.h"
#include "common/fa_hashset.h"
#include "common/fa_log.h"
#include "common/fa_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#define BATCH_MAX 256
#define BATCH_PERIOD_MS 1000

enum pending_kind {
    PENDING_URL,
    PENDING_BACKOFF,
    PENDING_ROBOTS,
    PENDING_KV,
    PENDING_OP,
    PENDING_NOTE /* state_batch_after_commit: nothing to apply, a callback after */
};

typedef struct pending {
    struct pending *next;
    enum pending_kind kind;
    union {
        url_record url;
        backoff_record backoff;
        robots_record robots;
    } rec;
    int (*apply)(crawl_state *st, void *arg); /* PENDING_OP */
    void *arg;
    void (*free_arg)(void *arg);
    void (*note)(void *ud, int rc); /* PENDING_NOTE (arg is its ud); NULL once called */
    const char *value;              /* kv value, robots.txt body: after key in the same block */
    size_t value_len;
    char key[]; /* url, host or kv key */
} pending;

struct state_batch {
    uv_loop_t *loop;
    crawl_state *st;
    segment_writer *w;
    pending *waiting, **waiting_tail; /* added since the last flush began */
    pending *flushing;                /* being committed now (the worker's) */
    size_t n_waiting, n_flushing;
    int urgent; /* something waiting wants a flush soon */
    int flush_running;
    int sync_rc, commit_rc; /* the worker's results */
    char commit_msg[200];
    fa_workpool *pool; /* NULL: flushes run on the loop thread */
    fa_work work;
    uv_timer_t timer;
    int error;
    char message[256];
    int closing;
    int timer_closed; /* the handle is closed; free once no flush runs */
    /* state_batch_set_retry */
    int retry;
    uint64_t give_up_ms, wait_ms, retries;
    uint64_t hold_until_ns; /* no flush before this (fa_time_mono_ns) after a failure */
    char segment_key[CRAWL_STATE_KV_KEY_MAX];
    /* state_batch_set_mark_floor; the floor asked when the running flush began */
    void (*floor)(void *ud, char *out, size_t len);
    void *floor_ud;
    char flush_floor[256];
    /* the writer's newest segment when the running flush began: every url
     * record in the flush was archived before, so into it or an older one */
    char flush_segment[256];
    /* XXH3 of the urls of the url records in waiting and flushing (a
     * filter for state_batch_get_url: may still hold some that are gone;
     * rebuilt from waiting whenever a flush ends) */
    fa_hashset url_keys;
};

/* The notes of list p, told rc. */
static void notify(pending *p, int rc)
{
    for (; p; p = p->next)
        if (p->kind == PENDING_NOTE && p->note) {
            void (*cb)(void *, int) = p->note;
            p->note = NULL;
            cb(p->arg, rc);
        }
}

static void free_list(pending *p)
{
    notify(p, FA_ECANCELED);
    while (p) {
        pending *next = p->next;
        if (p->kind == PENDING_OP && p->free_arg) p->free_arg(p->arg);
        free(p);
        p = next;
    }
}

static void release(state_batch *b);

static void on_timer(uv_timer_t *t)
{
    state_batch_flush(t->data);
}

int state_batch_new(uv_loop_t *loop, fa_workpool *pool, crawl_state *st, segment_writer *w,
                    state_batch **out)
{
    state_batch *b = calloc(1, sizeof *b);
    if (b == NULL) return FA_ENOMEM;
    b->loop = loop;
    b->pool = pool;
    b->st = st;
    b->w = w;
    b->waiting_tail = &b->waiting;
    snprintf(b->segment_key, sizeof b->segment_key, "%s", STATE_BATCH_KV_LAST_SEGMENT);
    uv_timer_init(loop, &b->timer);
    b->timer.data = b;
    uv_timer_start(&b->timer, on_timer, BATCH_PERIOD_MS, BATCH_PERIOD_MS);
    *out = b;
    return 0;
}

/* A new update of kind for key, with value_len bytes of value after it
 * (NUL-terminated); not yet queued.  NULL when out of memory. */
static pending *pending_new(enum pending_kind kind, const char *key, const void *value,
                            size_t value_len)
{
    size_t n = strlen(key);
    pending *p = malloc(sizeof *p + n + 1 + value_len + 1);
    if (p == NULL) return NULL;
    memset(p, 0, sizeof *p);
    p->kind = kind;
    memcpy(p->key, key, n + 1);
    char *v = p->key + n + 1;
    if (value_len) memcpy(v, value, value_len);
    v[value_len] = '\0';
    p->value = v;
    p->value_len = value_len;
    return p;
}

static void enqueue(state_batch *b, pending *p)
{
    *b->waiting_tail = p;
    b->waiting_tail = &p->next;
    if (++b->n_waiting >= BATCH_MAX || b->urgent) state_batch_flush(b);
}

static uint64_t url_key(const char *url)
{
    return XXH3_64bits(url, strlen(url));
}

int state_batch_put_url(state_batch *b, const char *url, const url_record *rec)
{
    pending *p = pending_new(PENDING_URL, url, NULL, 0);
    if (p == NULL || fa_hashset_add(&b->url_keys, url_key(url)) < 0) {
        free(p);
        return FA_ENOMEM;
    }
    p->rec.url = *rec;
    enqueue(b, p);
    return 0;
}

/* The last url record for url in list p, or NULL. */
static const pending *last_url(const pending *p, const char *url)
{
    const pending *found = NULL;
    for (; p; p = p->next)
        if (p->kind == PENDING_URL && strcmp(p->key, url) == 0) found = p;
    return found;
}

int state_batch_get_url(const state_batch *b, const char *url, url_record *out)
{
    if (!fa_hashset_has(&b->url_keys, url_key(url))) return 0;
    /* (flushing is read by the worker too, never changed while it runs) */
    const pending *p = last_url(b->waiting, url);
    if (p == NULL) p = last_url(b->flushing, url);
    if (p == NULL) return 0;
    *out = p->rec.url;
    return 1;
}

/* After a flush: the filter holds the urls still waiting.  (Out of memory
 * it keeps what it had: a superset, still right as a filter.) */
static void rebuild_url_keys(state_batch *b)
{
    fa_hashset keys;
    fa_hashset_init(&keys);
    for (const pending *p = b->waiting; p; p = p->next)
        if (p->kind == PENDING_URL && fa_hashset_add(&keys, url_key(p->key)) < 0) {
            fa_hashset_free(&keys);
            return;
        }
    fa_hashset_free(&b->url_keys);
    b->url_keys = keys;
}

int state_batch_put_backoff(state_batch *b, const char *host, const backoff_record *rec)
{
    pending *p = pending_new(PENDING_BACKOFF, host, NULL, 0);
    if (p == NULL) return FA_ENOMEM;
    p->rec.backoff = *rec;
    enqueue(b, p);
    return 0;
}

int state_batch_put_robots(state_batch *b, const char *host, const robots_record *rec,
                           const void *body, size_t len)
{
    if (len > CRAWL_STATE_ROBOTS_MAX) return FA_EINVAL;
    pending *p = pending_new(PENDING_ROBOTS, host, body, len);
    if (p == NULL) return FA_ENOMEM;
    p->rec.robots = *rec;
    enqueue(b, p);
    return 0;
}

int state_batch_put_kv(state_batch *b, const char *key, const char *value)
{
    size_t n = strlen(value);
    if (strlen(key) >= CRAWL_STATE_KV_KEY_MAX || n >= CRAWL_STATE_KV_VALUE_MAX) return FA_EINVAL;
    pending *p = pending_new(PENDING_KV, key, value, n);
    if (p == NULL) return FA_ENOMEM;
    enqueue(b, p);
    return 0;
}

int state_batch_put_op(state_batch *b, int (*apply)(crawl_state *st, void *arg), void *arg,
                       void (*free_arg)(void *arg), int urgent)
{
    pending *p = pending_new(PENDING_OP, "", NULL, 0);
    if (p == NULL) {
        if (free_arg) free_arg(arg);
        return FA_ENOMEM;
    }
    p->apply = apply;
    p->arg = arg;
    p->free_arg = free_arg;
    if (urgent) b->urgent = 1;
    enqueue(b, p);
    return 0;
}

int state_batch_after_commit(state_batch *b, void (*cb)(void *ud, int rc), void *ud)
{
    pending *p = pending_new(PENDING_NOTE, "", NULL, 0);
    if (p == NULL) return FA_ENOMEM;
    p->note = cb;
    p->arg = ud;
    b->urgent = 1;
    enqueue(b, p);
    return 0;
}

void state_batch_set_retry(state_batch *b, int retry, uint64_t give_up_ms)
{
    b->retry = retry;
    b->give_up_ms = give_up_ms ? give_up_ms : 30000;
}

void state_batch_set_mark_floor(state_batch *b, void (*floor)(void *ud, char *out, size_t len),
                                void *ud)
{
    b->floor = floor;
    b->floor_ud = ud;
}

int state_batch_set_segment_key(state_batch *b, const char *key)
{
    if (strlen(key) >= sizeof b->segment_key) return FA_EINVAL;
    snprintf(b->segment_key, sizeof b->segment_key, "%s", key);
    return 0;
}

uint64_t state_batch_retries(const state_batch *b)
{
    return b->retries;
}

static void set_error(state_batch *b, int rc, const char *what)
{
    if (b->error) return;
    b->error = rc;
    snprintf(b->message, sizeof b->message, "%s: %s", what, fa_strerror(rc));
    fa_log_error("state", "%s", b->message);
}

static int apply_one(crawl_state *st, pending *p)
{
    switch (p->kind) {
    case PENDING_URL:
        return crawl_state_put_url(st, p->key, &p->rec.url);
    case PENDING_BACKOFF:
        return crawl_state_put_backoff(st, p->key, &p->rec.backoff);
    case PENDING_ROBOTS:
        return crawl_state_put_robots(st, p->key, &p->rec.robots, p->value, p->value_len);
    case PENDING_KV:
        return crawl_state_put_kv(st, p->key, p->value);
    case PENDING_OP:
        return p->apply(st, p->arg);
    case PENDING_NOTE:
        return 0;
    }
    return FA_EINVAL;
}

/* Worker thread: the updates of b->flushing in one transaction. */
static void commit(state_batch *b)
{
    int rc = crawl_state_begin(b->st);
    const char *newest = "";
    for (pending *p = b->flushing; rc == 0 && p; p = p->next) {
        rc = apply_one(b->st, p);
        if (b->w == NULL && p->kind == PENDING_URL && strcmp(p->rec.url.warc_segment, newest) > 0)
            newest = p->rec.url.warc_segment;
    }
    /* Where reconciliation after a crash starts reading (segment names
     * sort in time order): the writer's segment when the flush began, not
     * the newest segment the url records name - a 304 (or its revisit)
     * keeps the record of the capture it confirms, an earlier run's
     * segment (the mark went back to it, and every start read the archive
     * from there again) or, in a cluster, another node's (whose name may
     * sort after all of this node's: reconciliation then read none of
     * them).  Without a writer, the records' newest.  And not past a
     * segment that may hold records still on their way to a batch
     * (state_batch_set_mark_floor). */
    if (b->w) newest = b->flush_segment; /* "": nothing archived yet, the mark stays */
    if (newest[0] && b->flush_floor[0] && strcmp(b->flush_floor, newest) < 0)
        newest = b->flush_floor;
    if (rc == 0 && newest[0]) rc = crawl_state_put_kv(b->st, b->segment_key, newest);
    if (rc == 0) rc = crawl_state_commit(b->st);
    if (rc < 0) {
        snprintf(b->commit_msg, sizeof b->commit_msg, "%s", crawl_state_errmsg(b->st));
        if (crawl_state_in_transaction(b->st)) crawl_state_rollback(b->st);
    }
    b->commit_rc = rc;
}

/* Worker thread: the archive first, then the state that claims it. */
static void flush_work(fa_work *w)
{
    state_batch *b = w->data;
    b->commit_rc = 0;
    b->sync_rc = b->w ? segment_writer_sync(b->w) : 0;
    if (b->sync_rc == 0) commit(b);
}

static void flush_done(fa_work *w, int status)
{
    state_batch *b = w->data;
    if (status >= 0 && b->sync_rc == 0 && b->commit_rc < 0 && b->retry && !b->timer_closed) {
        /* the store is away: the same updates again, first, after a wait */
        b->retries++;
        b->wait_ms = b->wait_ms ? (b->wait_ms * 2 > 5000 ? 5000 : b->wait_ms * 2) : 250;
        b->hold_until_ns = fa_time_mono_ns() + b->wait_ms * 1000000ULL;
        if (b->retries == 1 || b->wait_ms < 5000)
            fa_log_warn("state", "commit failed (%s): tried again in %llu ms", b->commit_msg,
                        (unsigned long long)b->wait_ms);
        pending **tail = &b->flushing;
        while (*tail)
            tail = &(*tail)->next;
        *tail = b->waiting;
        if (b->waiting == NULL) b->waiting_tail = tail;
        b->waiting = b->flushing;
        b->n_waiting += b->n_flushing;
        b->flushing = NULL;
        b->n_flushing = 0;
        b->flush_running = 0;
        return;
    }
    if (status >= 0 && b->sync_rc == 0 && b->commit_rc == 0) {
        if (b->wait_ms) fa_log_info("state", "commit succeeded again");
        b->wait_ms = 0;
        notify(b->flushing, 0);
    }
    if (status < 0)
        set_error(b, FA_ECANCELED, "state flush");
    else if (b->sync_rc < 0)
        set_error(b, b->sync_rc, "fsync of the open segment before committing state");
    else if (b->commit_rc < 0)
        set_error(b, b->commit_rc, b->commit_msg);
    free_list(b->flushing);
    b->flushing = NULL;
    b->n_flushing = 0;
    b->flush_running = 0;
    rebuild_url_keys(b);
    if (b->timer_closed) {
        release(b);
        return;
    }
    if ((b->n_waiting >= BATCH_MAX || b->urgent) && !b->closing) state_batch_flush(b);
}

void state_batch_flush(state_batch *b)
{
    if (b->flush_running || b->n_waiting == 0 || b->error || b->closing) return;
    if (b->hold_until_ns && fa_time_mono_ns() < b->hold_until_ns) return; /* the timer retries */
    b->hold_until_ns = 0;
    b->flush_floor[0] = '\0';
    if (b->floor) b->floor(b->floor_ud, b->flush_floor, sizeof b->flush_floor);
    b->flush_segment[0] = '\0';
    if (b->w) segment_writer_segment_name(b->w, b->flush_segment, sizeof b->flush_segment);
    b->flushing = b->waiting;
    b->n_flushing = b->n_waiting;
    b->waiting = NULL;
    b->waiting_tail = &b->waiting;
    b->n_waiting = 0;
    b->urgent = 0;
    b->flush_running = 1;
    b->work.data = b;
    if (b->pool == NULL || fa_workpool_submit(b->pool, &b->work, flush_work, flush_done) != 0) {
        /* no worker: do it here */
        flush_work(&b->work);
        flush_done(&b->work, 0);
    }
}

size_t state_batch_pending(const state_batch *b)
{
    return b->n_waiting + b->n_flushing;
}

int state_batch_error(const state_batch *b, const char **message)
{
    if (message) *message = b->message;
    return b->error;
}

static void release(state_batch *b)
{
    free_list(b->waiting);
    free_list(b->flushing);
    fa_hashset_free(&b->url_keys);
    free(b);
}

static void on_closed(uv_handle_t *h)
{
    state_batch *b = h->data;
    b->timer_closed = 1;
    if (!b->flush_running) release(b);
}

void state_batch_unref(state_batch *b)
{
    uv_unref((uv_handle_t *)&b->timer);
}

int state_batch_finish(state_batch *b, char *msg, size_t len)
{
    uv_timer_stop(&b->timer);
    uint64_t give_up = fa_time_mono_ns() + (b->give_up_ms ? b->give_up_ms : 30000) * 1000000ULL;
    while (!b->error && (b->flush_running || b->n_waiting)) {
        state_batch_flush(b);
        if (b->flush_running) {
            uv_run(b->loop, UV_RUN_ONCE);
        } else if (b->hold_until_ns) { /* retrying (state_batch_set_retry) */
            if (fa_time_mono_ns() >= give_up) {
                set_error(b, FA_EIO, "state commit: the store did not come back");
                notify(b->waiting, FA_EIO);
                break;
            }
            usleep(50000);
        }
    }
    int rc = b->error;
    if (rc && msg && len) snprintf(msg, len, "%s", b->message);
    uv_loop_t *loop = b->loop;
    state_batch_close(b);
    uv_run(loop, UV_RUN_DEFAULT);
    return rc;
}

void state_batch_close(state_batch *b)
{
    if (b == NULL || b->closing) return;
    b->closing = 1;
    uv_timer_stop(&b->timer);
    uv_close((uv_handle_t *)&b->timer, on_closed);
}
