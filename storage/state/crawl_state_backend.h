/*
 * crawl_state_backend.h - what a crawl_state backend implements.
 *
 * For backend authors only (storage/state/state_sqlite.c, storage/state/state_memory.c);
 * the crawler includes crawl_state.h alone.
 *
 * A backend embeds `struct crawl_state` as the first member of its own
 * handle, calls crawl_state__init with its ops table, and hands the base
 * pointer out.  The public functions in crawl_state.c do everything that is
 * the same for every backend before an op is called:
 *
 *   - argument checks: non-NULL pointers, non-empty keys under their
 *     ceilings, every fixed string field NUL-terminated, kind valid, robots
 *     body <= CRAWL_STATE_ROBOTS_MAX, reserved kv keys;
 *   - the handle's mutex (ops are never called concurrently, and never from
 *     inside a list callback);
 *   - transaction bookkeeping: begin is called only when no transaction is
 *     open, commit/rollback only when one is; a failed commit is followed by
 *     a rollback call;
 *   - zeroing *out before get ops.
 *
 * So an op may assume valid input and does only storage.  Ops return as the
 * public functions do; on failure they may describe it with
 * crawl_state__set_error.  get ops fill the fixed fields of *out and must
 * return FA_ECORRUPT (not truncate) if a stored value does not fit.
 */
#ifndef CRAWL_STATE_BACKEND_H
#define CRAWL_STATE_BACKEND_H

#include "storage/state/crawl_state.h"

#include <pthread.h>

typedef struct crawl_state_ops {
    const char *name;
    int (*begin)(crawl_state *st);
    int (*commit)(crawl_state *st);
    int (*rollback)(crawl_state *st);
    int (*get_url)(crawl_state *st, const char *url, url_record *out);
    int (*put_url)(crawl_state *st, const char *url, const url_record *rec);
    int (*get_source)(crawl_state *st, const char *name, source_record *out);
    int (*put_source)(crawl_state *st, const source_record *rec);
    int (*list_sources)(crawl_state *st, crawl_state_source_cb cb, void *ud);
    int (*get_robots)(crawl_state *st, const char *host, robots_record *out, fa_buf *body);
    int (*put_robots)(crawl_state *st, const char *host, const robots_record *rec, const void *body,
                      size_t len);
    int (*get_backoff)(crawl_state *st, const char *host, backoff_record *out);
    int (*put_backoff)(crawl_state *st, const char *host, const backoff_record *rec);
    int (*get_kv)(crawl_state *st, const char *key, char *val, size_t cap);
    int (*put_kv)(crawl_state *st, const char *key, const char *val);
    /* Optional (NULL: nothing to do): crawl_state_checkpoint, outside a
     * transaction. */
    int (*checkpoint)(crawl_state *st);
    /* Frees the backend; an open transaction has already been rolled back. */
    void (*close)(crawl_state *st);
} crawl_state_ops;

struct crawl_state {
    const crawl_state_ops *ops;
    pthread_mutex_t lock; /* error-checking: a relock from a callback fails */
    int in_txn;
    char errmsg[512];
};

/* Prepares the base part of a backend's handle.  Returns 0 or FA_ENOMEM. */
int crawl_state__init(crawl_state *st, const crawl_state_ops *ops);

/* Releases what crawl_state__init set up (the backend's close calls it). */
void crawl_state__destroy(crawl_state *st);

/* Records a failure message for crawl_state_errmsg. */
void crawl_state__set_error(crawl_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copies src into a fixed field of cap bytes: 0, or FA_ECORRUPT when it
 * does not fit (a stored value longer than the field allows). */
int crawl_state__copy_field(char *dst, size_t cap, const char *src, size_t len);

#endif
