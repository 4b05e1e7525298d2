/*
 * crawl_state.c - the public crawl_state functions: check arguments, take
 * the handle's mutex, keep the transaction bookkeeping, dispatch to the
 * backend's op.  Everything that must behave the same whichever backend is
 * behind the handle lives here, so backends stay small and interchangeable
 * (see crawl_state_backend.h for the division of work).
 */
#include "storage/state/crawl_state_backend.h"

#include "common/fa_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define KV_RESERVED_KEY "schema_version"

int crawl_state__init(crawl_state *st, const crawl_state_ops *ops)
{
    pthread_mutexattr_t attr;
    int rc = FA_ENOMEM;

    memset(st, 0, sizeof *st);
    st->ops = ops;
    if (pthread_mutexattr_init(&attr) != 0) return FA_ENOMEM;
    if (pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK) == 0 &&
        pthread_mutex_init(&st->lock, &attr) == 0)
        rc = 0;
    pthread_mutexattr_destroy(&attr);
    return rc;
}

void crawl_state__destroy(crawl_state *st)
{
    pthread_mutex_destroy(&st->lock);
}

void crawl_state__set_error(crawl_state *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->errmsg, sizeof st->errmsg, fmt, ap);
    va_end(ap);
}

int crawl_state__copy_field(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap) return FA_ECORRUPT;
    if (len) memcpy(dst, src, len);
    dst[len] = '\0';
    return 0;
}

/* ---- argument checks ---- */

/* A key: non-NULL, non-empty, shorter than max bytes. */
static int check_key(crawl_state *st, const char *what, const char *key, size_t max)
{
    if (!key || !*key) {
        crawl_state__set_error(st, "%s is empty", what);
        return FA_EINVAL;
    }
    if (strnlen(key, max) >= max) {
        crawl_state__set_error(st, "%s is %zu bytes or longer", what, max);
        return FA_ETOOBIG;
    }
    return 0;
}

/* A fixed field must hold its NUL. */
#define FIELD_OK(f) (memchr((f), '\0', sizeof(f)) != NULL)

static int check_url_record(crawl_state *st, const url_record *r)
{
    if (r->kind != URL_KIND_FEED && r->kind != URL_KIND_PAGE && r->kind != URL_KIND_API) {
        crawl_state__set_error(st, "url record: kind %d is not a url_kind", r->kind);
        return FA_EINVAL;
    }
    if (!FIELD_OK(r->source) || !FIELD_OK(r->item_id) || !FIELD_OK(r->item_published) ||
        !FIELD_OK(r->item_updated) || !FIELD_OK(r->etag) || !FIELD_OK(r->last_modified) ||
        !FIELD_OK(r->payload_digest) || !FIELD_OK(r->warc_record_id) ||
        !FIELD_OK(r->warc_segment)) {
        crawl_state__set_error(st, "url record: a string field is not NUL-terminated");
        return FA_EINVAL;
    }
    if (r->warc_offset > INT64_MAX || r->warc_length > INT64_MAX || r->fetch_count > INT64_MAX) {
        crawl_state__set_error(st, "url record: a count is out of range");
        return FA_EINVAL;
    }
    return 0;
}

static int check_source_record(crawl_state *st, const source_record *r)
{
    if (!FIELD_OK(r->name) || !FIELD_OK(r->url) || !FIELD_OK(r->last_error)) {
        crawl_state__set_error(st, "source record: a string field is not NUL-terminated");
        return FA_EINVAL;
    }
    if (!r->name[0]) {
        crawl_state__set_error(st, "source record: name is empty");
        return FA_EINVAL;
    }
    if (r->items_archived > INT64_MAX) {
        crawl_state__set_error(st, "source record: items_archived is out of range");
        return FA_EINVAL;
    }
    return 0;
}

/* ---- locking ---- */

/* Takes the handle's mutex; a relock from inside a list callback fails
 * (error-checking mutex) instead of deadlocking. */
static int enter(crawl_state *st)
{
    if (pthread_mutex_lock(&st->lock) != 0) return FA_EINVAL;
    st->errmsg[0] = '\0';
    return 0;
}

static void leave(crawl_state *st)
{
    pthread_mutex_unlock(&st->lock);
}

/* ---- public functions ---- */

int crawl_state_checkpoint(crawl_state *st)
{
    int rc;
    if (!st) return FA_EINVAL;
    if ((rc = enter(st)) < 0) return rc;
    if (st->in_txn) {
        crawl_state__set_error(st, "checkpoint inside a transaction");
        rc = FA_EINVAL;
    } else if (st->ops->checkpoint) {
        rc = st->ops->checkpoint(st);
    }
    leave(st);
    return rc;
}

void crawl_state_close(crawl_state *st)
{
    if (!st) return;
    if (pthread_mutex_lock(&st->lock) == 0) {
        if (st->in_txn) st->ops->rollback(st);
        st->in_txn = 0;
        pthread_mutex_unlock(&st->lock);
    }
    st->ops->close(st);
}

const char *crawl_state_backend_name(const crawl_state *st)
{
    return st ? st->ops->name : "none";
}

const char *crawl_state_errmsg(crawl_state *st)
{
    return st ? st->errmsg : "no state";
}

int crawl_state_begin(crawl_state *st)
{
    int rc;
    if (!st) return FA_EINVAL;
    if ((rc = enter(st)) < 0) return rc;
    if (st->in_txn) {
        crawl_state__set_error(st, "begin: a transaction is already open");
        rc = FA_EINVAL;
        goto out;
    }
    rc = st->ops->begin(st);
    if (rc == 0) st->in_txn = 1;
out:
    leave(st);
    return rc;
}

int crawl_state_commit(crawl_state *st)
{
    int rc;
    if (!st) return FA_EINVAL;
    if ((rc = enter(st)) < 0) return rc;
    if (!st->in_txn) {
        crawl_state__set_error(st, "commit: no transaction is open");
        rc = FA_EINVAL;
        goto out;
    }
    rc = st->ops->commit(st);
    if (rc < 0) {
        char keep[sizeof st->errmsg];
        memcpy(keep, st->errmsg, sizeof keep);
        st->ops->rollback(st);
        memcpy(st->errmsg, keep, sizeof keep);
    }
    st->in_txn = 0;
out:
    leave(st);
    return rc;
}

int crawl_state_rollback(crawl_state *st)
{
    int rc;
    if (!st) return FA_EINVAL;
    if ((rc = enter(st)) < 0) return rc;
    if (!st->in_txn) {
        crawl_state__set_error(st, "rollback: no transaction is open");
        rc = FA_EINVAL;
        goto out;
    }
    rc = st->ops->rollback(st);
    st->in_txn = 0;
out:
    leave(st);
    return rc;
}

int crawl_state_in_transaction(crawl_state *st)
{
    int r;
    if (!st || enter(st) < 0) return 0;
    r = st->in_txn;
    leave(st);
    return r;
}

int crawl_state_get_url(crawl_state *st, const char *url, url_record *out)
{
    int rc;
    if (!st || !out) return FA_EINVAL;
    memset(out, 0, sizeof *out);
    if ((rc = enter(st)) < 0) return rc;
    if ((rc = check_key(st, "url", url, CRAWL_STATE_URL_MAX)) == 0)
        rc = st->ops->get_url(st, url, out);
    if (rc != 1) memset(out, 0, sizeof *out);
    leave(st);
    return rc;
}

int crawl_state_put_url(crawl_state *st, const char *url, const url_record *rec)
{
    int rc;
    if (!st || !rec) return FA_EINVAL;
    if ((rc = enter(st)) < 0) return rc;
    if ((rc = check_key(st, "url", url, CRAWL_STATE_URL_MAX)) == 0 &&
        (rc = check_url_record(st, rec)) == 0)
        rc = st->ops->put_url(st, url, rec);
    leave(st);
    return rc;
}

int crawl_state_get_source(crawl_state *st, const char *name, source_record *out)
{
    int rc;
    if (!st || !out) return FA_EINVAL;
    memset(out, 0, sizeof *out);
    if ((rc = enter(st)) < 0) return rc;
    if ((rc = check_key(st, "source name", name, CRAWL_STATE_NAME_MAX)) == 0)
        rc = st->ops->get_source(st, name, out);
    if (rc != 1) memset(out, 0, sizeof *out);
    leave(st);
    return rc;
}

int crawl_state_put_source(crawl_state *st, const source_record *rec)
{
    int rc;
    if (!st || !rec) return FA_EINVAL;
    if ((rc = enter(st)) < 0) return rc;
    if ((rc = check_source_record(st, rec)) == 0) rc = st->ops->put_source(st, rec);
    leave(st);
    return rc;
}

int crawl_state_list_sources(crawl_state *st, crawl_state_source_cb cb, void *ud)
{
    int rc;
    if (!st || !cb) return FA_EINVAL;
    if ((rc = enter(st)) < 0) return rc;
    rc = st->ops->list_sources(st, cb, ud);
    leave(st);
    return rc;
}

int crawl_state_get_robots(crawl_state *st, const char *host, robots_record *out, fa_buf *body)
{
    int rc;
    if (!st || !out) return FA_EINVAL;
    memset(out, 0, sizeof *out);
    if (body) fa_buf_reset(body);
    if ((rc = enter(st)) < 0) return rc;
    if ((rc = check_key(st, "host", host, CRAWL_STATE_HOST_MAX)) == 0)
        rc = st->ops->get_robots(st, host, out, body);
    if (rc != 1) {
        memset(out, 0, sizeof *out);
        if (body) fa_buf_reset(body);
    }
    leave(st);
    return rc;
}

int crawl_state_put_robots(crawl_state *st, const char *host, const robots_record *rec,
                           const void *body, size_t len)
{
    int rc;
    if (!st || !rec || (!body && len)) return FA_EINVAL;
    if ((rc = enter(st)) < 0) return rc;
    if ((rc = check_key(st, "host", host, CRAWL_STATE_HOST_MAX)) < 0) goto out;
    if (len > CRAWL_STATE_ROBOTS_MAX) {
        crawl_state__set_error(st, "robots.txt for %s: %zu bytes, more than %zu", host, len,
                               CRAWL_STATE_ROBOTS_MAX);
        rc = FA_ETOOBIG;
        goto out;
    }
    rc = st->ops->put_robots(st, host, rec, body ? body : "", len);
out:
    leave(st);
    return rc;
}

int crawl_state_get_backoff(crawl_state *st, const char *host, backoff_record *out)
{
    int rc;
    if (!st || !out) return FA_EINVAL;
    memset(out, 0, sizeof *out);
    if ((rc = enter(st)) < 0) return rc;
    if ((rc = check_key(st, "host", host, CRAWL_STATE_HOST_MAX)) == 0)
        rc = st->ops->get_backoff(st, host, out);
    if (rc != 1) memset(out, 0, sizeof *out);
    leave(st);
    return rc;
}

int crawl_state_put_backoff(crawl_state *st, const char *host, const backoff_record *rec)
{
    int rc;
    if (!st || !rec) return FA_EINVAL;
    if ((rc = enter(st)) < 0) return rc;
    if ((rc = check_key(st, "host", host, CRAWL_STATE_HOST_MAX)) == 0)
        rc = st->ops->put_backoff(st, host, rec);
    leave(st);
    return rc;
}

int crawl_state_get_kv(crawl_state *st, const char *key, char *val, size_t cap)
{
    int rc;
    if (!st || !val || cap == 0) return FA_EINVAL;
    val[0] = '\0';
    if ((rc = enter(st)) < 0) return rc;
    if ((rc = check_key(st, "key", key, CRAWL_STATE_KV_KEY_MAX)) == 0)
        rc = st->ops->get_kv(st, key, val, cap);
    if (rc != 1) val[0] = '\0';
    leave(st);
    return rc;
}

int crawl_state_put_kv(crawl_state *st, const char *key, const char *val)
{
    int rc;
    if (!st || !val) return FA_EINVAL;
    if ((rc = enter(st)) < 0) return rc;
    if ((rc = check_key(st, "key", key, CRAWL_STATE_KV_KEY_MAX)) < 0) goto out;
    if (strcmp(key, KV_RESERVED_KEY) == 0) {
        crawl_state__set_error(st, "key \"%s\" is reserved for the state itself", key);
        rc = FA_EINVAL;
        goto out;
    }
    if (strnlen(val, CRAWL_STATE_KV_VALUE_MAX) >= CRAWL_STATE_KV_VALUE_MAX) {
        crawl_state__set_error(st, "value of \"%s\" is %d bytes or longer", key,
                               CRAWL_STATE_KV_VALUE_MAX);
        rc = FA_ETOOBIG;
        goto out;
    }
    rc = st->ops->put_kv(st, key, val);
out:
    leave(st);
    return rc;
}
