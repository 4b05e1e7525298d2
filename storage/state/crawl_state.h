/*
 * crawl_state.h - the crawl's durable memory, behind a narrow interface.
 *
 * What feedarc remembers between runs (`feedarc once` from a systemd timer
 * resumes from here; a service keeps it open for months):
 *
 *   url records      keyed by URL: what kind of URL, which source and item it
 *                    belongs to, the validators for a conditional GET (ETag,
 *                    Last-Modified), the last status, the payload digest and
 *                    where the archived response is (WARC-Record-ID, segment
 *                    file, offset, length) so a revisit record can refer to
 *                    it and a 304 can be traced;
 *   sources          keyed by name: last attempt/success, last status or
 *                    error, items archived, consecutive failures, next due
 *                    (what `feedarc status` prints);
 *   robots cache     keyed by host key "scheme://host:port": robots.txt body
 *                    (at most CRAWL_STATE_ROBOTS_MAX bytes) and its lifetime;
 *   host backoff     keyed by host key: back off until, consecutive errors,
 *                    the last Retry-After;
 *   kv               small key/value pairs (crawl ids, ...).
 *
 * It stores facts, not WARC: nothing here knows about segments beyond the
 * names and offsets the crawler hands over.
 *
 * The crawler sees only this header: an opaque crawl_state handle whose calls
 * dispatch through a table of functions (crawl_state_ops, in
 * crawl_state_backend.h), so the store can be swapped.  Backends today:
 *
 *   crawl_state_open_sqlite   one SQLite database in a state folder (below);
 *   crawl_state_open_memory   nothing survives close; for tests;
 *   crawl_state_open_redis    Redis, shared by the nodes of a cluster (its keys:
 *                             storage/state/state_redis.c; the durability window:
 *                             docs/SCALING.md).
 *
 * ---- The durability contract (why there are explicit transactions) ----
 *
 * State may only ever claim what the archive holds.  The crawler therefore:
 *
 *   1. writes the WARC records of a batch of fetches and fsyncs the segment
 *      (segment_writer_sync);
 *   2. crawl_state_begin(); one put per fact the batch established;
 *      crawl_state_commit().
 *
 * When commit returns 0 the batch is durable.  A kill -9 at any moment then
 * loses no archived item: at worst the items archived after the last commit
 * are fetched again (archived twice), never forgotten.  Batch commits (every
 * ~100 records or ~1 s): one commit costs one fsync, a put costs
 * microseconds; the SQLite backend sustains well over 5,000 url puts/s this
 * way (see tools/bench/bench_state.c).  Puts outside begin/commit are allowed and
 * are each their own commit (one fsync each: slow).  A transaction that is
 * not committed - rollback, close, crash, kill -9 - leaves the state exactly
 * as it was before crawl_state_begin.
 *
 * ---- The SQLite backend ----
 *
 * `<state_dir>/feedarc-state.sqlite` (+ `-wal`, `-shm` beside it while open)
 * in WAL mode with synchronous=FULL: a commit returns after the WAL is
 * fsync'd, so committed state survives kill -9 *and* power loss or a kernel
 * crash (on disks that honour fsync).  `<state_dir>/feedarc.lock` is held
 * with flock(2) while the state is open and holds the owner's pid: a second
 * feedarc on the same folder gets "state ... is locked by another feedarc
 * (pid N)" instead of interleaving writes.  The lock is released by close or
 * by the process's death (kill -9 included; no stale lock to clean up).  A
 * file that is not an SQLite database, or an SQLite database that is not
 * feedarc's, or a schema newer than this build knows, makes open fail with a
 * message; the file is never overwritten.
 *
 * Inspect it with `sqlite3 <state_dir>/feedarc-state.sqlite` (read-only
 * queries are safe while feedarc runs; times are ns since the epoch, UTC).
 *
 * Resetting the state: stop feedarc and delete the whole state folder
 * (there is no command for it); the next open starts empty.  Deleting
 * only the .sqlite file but not its -wal file is NOT a reset: remove the
 * folder.  The archive is untouched by a reset; the crawl then re-fetches
 * everything once.
 *
 * ---- Threads, fork ----
 *
 * A handle may be used from several threads: calls are serialised by a
 * mutex inside the handle.  The transaction belongs to the handle, not to a
 * thread: puts made by any thread between begin and commit join it.  A
 * child process after fork(2) must not use its parent's handle (open its
 * own, after the parent's is closed - the lock would refuse it otherwise).
 *
 * ---- Returns ----
 *
 * 0 (or 1 = found for the getters) on success, a negative FA_E* code on
 * failure (common/fa_err.h): FA_EINVAL for a bad argument (NULL, empty key,
 * a string not NUL-terminated inside its field, nested begin, a call from
 * inside a list callback), FA_ETOOBIG for a key or body over its ceiling,
 * FA_EIO / FA_ENOSPC / FA_EACCES / FA_ECORRUPT / FA_ENOMEM from the store.
 * crawl_state_errmsg says more after a failure.
 */
#ifndef CRAWL_STATE_H
#define CRAWL_STATE_H

#include "common/fa_buf.h"
#include "common/fa_limits.h"

#include <stddef.h>
#include <stdint.h>

/* Ceilings.  Keys longer than these are refused with FA_ETOOBIG; the sizes
 * of the fixed fields below include the terminating NUL. */
#define CRAWL_STATE_URL_MAX FA_URL_MAX /* a URL key or source URL, NUL included */
#define CRAWL_STATE_HOST_MAX 320 /* "scheme://host:port" */
#define CRAWL_STATE_NAME_MAX 256 /* a source name */
#define CRAWL_STATE_KV_KEY_MAX 256
#define CRAWL_STATE_KV_VALUE_MAX 4096
#define CRAWL_STATE_ROBOTS_MAX ((size_t)500 * 1024) /* robots.txt body bytes */

/* The SQLite backend's files, inside the state folder. */
#define CRAWL_STATE_SQLITE_FILE "feedarc-state.sqlite"
#define CRAWL_STATE_LOCK_FILE "feedarc.lock"

typedef struct crawl_state crawl_state;

enum url_kind {
    URL_KIND_FEED = 1, /* a source's feed */
    URL_KIND_PAGE = 2, /* an item's page */
    URL_KIND_API = 3   /* an API endpoint */
};

/*
 * What is known about one URL.  Caller-owned: the strings are fixed arrays
 * inside the struct (no pointers, nothing to free), "" when unknown.  put
 * replaces the whole record: read, change, write back.  Zero-initialise
 * before filling one in.
 */
typedef struct url_record {
    int kind;                          /* enum url_kind */
    char source[CRAWL_STATE_NAME_MAX]; /* name of the source it came from */
    char item_id[2048];                /* feed item id (guid / atom:id) */
    char item_published[40];           /* RFC 3339 as the feed parser gives it */
    char item_updated[40];
    char etag[512];           /* ETag to send as If-None-Match */
    char last_modified[64];   /* Last-Modified to send as If-Modified-Since */
    int http_status;          /* last HTTP status; 0 = no response */
    int64_t last_fetch_ns;    /* wall time of the last fetch; 0 = never */
    char payload_digest[128]; /* "sha1:BASE32" of the archived payload */
    char warc_record_id[64];  /* "<urn:uuid:...>" of the archived response */
    char warc_segment[256];   /* segment file name (no folder) */
    uint64_t warc_offset;     /* offset of the response record's frame */
    uint64_t warc_length;     /* its compressed length */
    uint64_t fetch_count;     /* fetches so far (the caller counts) */
} url_record;

/* What is known about one source (a configured feed).  Caller-owned, fixed
 * arrays, like url_record.  Keyed by name. */
typedef struct source_record {
    char name[CRAWL_STATE_NAME_MAX]; /* the key; required, non-empty */
    char url[CRAWL_STATE_URL_MAX];
    int64_t last_attempt_ns; /* 0 = never */
    int64_t last_success_ns; /* 0 = never */
    int last_status;         /* HTTP status of the last attempt; 0 = none */
    char last_error[512];    /* "" when the last attempt succeeded */
    uint64_t items_archived; /* total, all runs */
    uint32_t consecutive_failures;
    int64_t next_due_ns; /* when to fetch the feed next; 0 = now */
} source_record;

/* A cached robots.txt; the body travels separately (see get/put_robots). */
typedef struct robots_record {
    int64_t fetched_at_ns;
    int64_t expires_at_ns;
    int http_status; /* of the robots.txt fetch (404 = allow all, ...) */
    size_t body_len; /* filled in by get; ignored by put */
} robots_record;

/* Per-host backoff after errors. */
typedef struct backoff_record {
    int64_t backoff_until_ns; /* no request to the host before this */
    uint32_t consecutive_errors;
    int64_t retry_after_until_ns; /* the host's last Retry-After, as a wall time; 0 = none */
} backoff_record;

/* ---- opening and closing ---- */

/* Opens (creating if needed, parents included) the state folder state_dir
 * with the SQLite backend, takes its lock and brings the schema up to date.
 * On success *out is owned by the caller (crawl_state_close).  Returns 0, or
 * a negative code with a message in err (errlen bytes; err may be NULL):
 * FA_EACCES when another process holds the lock (message names its pid) or
 * the folder is not writable, FA_ECORRUPT when the database file is not a
 * feedarc state database (it is left untouched), FA_EINVAL when its schema
 * is newer than this build, FA_EIO otherwise. */
int crawl_state_open_sqlite(const char *state_dir, crawl_state **out, char *err, size_t errlen);

/* Opens the SQLite state in state_dir for reading only, for `feedarc
 * status` and other inspection while a crawler may be running: it takes no
 * lock (the running feedarc keeps its own), creates and migrates nothing,
 * and opens the database with SQLITE_OPEN_READONLY; WAL lets it read beside
 * a writer and see each committed transaction.  Every put and begin on the
 * handle fails with FA_EACCES; its backend name is "sqlite-readonly".  Returns 0, or FA_ENOENT when there
 * is no state there yet (nothing is created), FA_ECORRUPT for a foreign or
 * damaged file, FA_EINVAL for a schema version other than this build's
 * (newer, or older and not yet migrated by a crawl), FA_EACCES / FA_EIO
 * otherwise; err as for crawl_state_open_sqlite. */
int crawl_state_open_sqlite_readonly(const char *state_dir, crawl_state **out, char *err,
                                     size_t errlen);

/* Opens an empty in-memory state (same semantics, nothing persists).
 * Returns 0 or FA_ENOMEM. */
int crawl_state_open_memory(crawl_state **out);

/* The Redis backend's default key prefix: every key it writes starts with it. */
#define CRAWL_STATE_REDIS_PREFIX "feedarc:"

/* Opens the state kept in Redis at url ("redis://[user[:password]@]
 * host[:port][/db]"; password, when non-NULL and non-empty, overrides the
 * URL's) under the key prefix prefix (NULL = CRAWL_STATE_REDIS_PREFIX; 1 to
 * 64 printable bytes without spaces): several handles - several nodes - on
 * the same prefix share one state.  Nothing is locked: concurrent writers of
 * the same record are the cluster's business (source leases, docs/SCALING.md);
 * each commit is one atomic MULTI/EXEC.  Commit is as durable as the Redis
 * server's appendfsync setting makes it.  A blocking connection (5 s
 * timeouts) that is remade at the next call after a loss; a call that finds
 * Redis unreachable fails with FA_EIO.  Returns 0, FA_EINVAL (bad URL or
 * prefix, rediss://, or a schema_version other than this build's under the
 * prefix), FA_EIO (unreachable, authentication refused) or FA_ENOMEM; err as
 * for crawl_state_open_sqlite.  A forked child opens its own handle. */
int crawl_state_open_redis(const char *url, const char *password, const char *prefix,
                           crawl_state **out, char *err, size_t errlen);

/* Copies what the state's journal holds back into its store now (SQLite:
 * a WAL checkpoint, which its close would otherwise do), so that a close
 * that follows has little left to do: a process can do it while it waits
 * for something else.  Outside a transaction.  A backend without such a
 * journal does nothing.  Returns 0 or a negative code (FA_EINVAL inside a
 * transaction, FA_EIO). */
int crawl_state_checkpoint(crawl_state *st);

/* Rolls back a transaction left open, releases the lock and frees st.  NULL
 * is accepted. */
void crawl_state_close(crawl_state *st);

/* "sqlite", "memory" or "redis", for logs. */
const char *crawl_state_backend_name(const crawl_state *st);

/* The message of the most recent failure on st ("" if none), valid until the
 * next call on st.  With several threads it may describe another thread's
 * failure. */
const char *crawl_state_errmsg(crawl_state *st);

/* ---- transactions ---- */

/* Starts a transaction; every put until commit or rollback belongs to it and
 * is visible to gets on st at once.  Returns 0, or FA_EINVAL when one is
 * already open. */
int crawl_state_begin(crawl_state *st);

/* Makes the transaction's puts durable (SQLite: the WAL is fsync'd before
 * this returns).  Returns 0, or FA_EINVAL without an open transaction, or a
 * store error - then the transaction has been rolled back: none of its puts
 * are stored and the caller must treat them as lost. */
int crawl_state_commit(crawl_state *st);

/* Discards the transaction's puts.  Returns 0, or FA_EINVAL without an open
 * transaction. */
int crawl_state_rollback(crawl_state *st);

/* 1 while a transaction is open, else 0. */
int crawl_state_in_transaction(crawl_state *st);

/* ---- records ---- */

/* Looks url up.  On 1 (found) *out is filled; on 0 (not found) *out is
 * zeroed.  Returns 1, 0, or a negative code. */
int crawl_state_get_url(crawl_state *st, const char *url, url_record *out);

/* Stores rec under url, replacing any earlier record.  rec is only read.
 * Returns 0 or a negative code (FA_EINVAL for a bad kind or an unterminated
 * field, FA_ETOOBIG for a url of CRAWL_STATE_URL_MAX bytes or more). */
int crawl_state_put_url(crawl_state *st, const char *url, const url_record *rec);

/* Looks up the source named name; as get_url. */
int crawl_state_get_source(crawl_state *st, const char *name, source_record *out);

/* Stores rec under rec->name, replacing any earlier record. */
int crawl_state_put_source(crawl_state *st, const source_record *rec);

/* Called once per source, in name order; rec is valid during the call only.
 * Return 0 to go on; anything else stops the listing and is returned by
 * crawl_state_list_sources.  The callback must not call crawl_state
 * functions on the same handle (that fails with FA_EINVAL). */
typedef int (*crawl_state_source_cb)(void *ud, const source_record *rec);

/* Lists every source.  Returns 0, the callback's non-zero value, or a
 * negative code (the callback is not called after an error). */
int crawl_state_list_sources(crawl_state *st, crawl_state_source_cb cb, void *ud);

/* Looks up the robots.txt cached for host ("scheme://host:port").  On 1,
 * *out is filled (body_len included) and, unless body is NULL, the body
 * replaces body's contents (FA_ETOOBIG past body's ceiling: initialise it
 * with fa_buf_init(body, CRAWL_STATE_ROBOTS_MAX)).  The caller owns body. */
int crawl_state_get_robots(crawl_state *st, const char *host, robots_record *out, fa_buf *body);

/* Caches a robots.txt for host: rec (body_len ignored) and len bytes of
 * body (binary; may be NULL when len is 0), replacing any earlier entry.
 * Returns 0, FA_ETOOBIG when len > CRAWL_STATE_ROBOTS_MAX, or a negative
 * code. */
int crawl_state_put_robots(crawl_state *st, const char *host, const robots_record *rec,
                           const void *body, size_t len);

/* Per-host backoff; as get_url / put_url, keyed by host key.  To clear a
 * host's backoff, put a zeroed record. */
int crawl_state_get_backoff(crawl_state *st, const char *host, backoff_record *out);
int crawl_state_put_backoff(crawl_state *st, const char *host, const backoff_record *rec);

/* Small text values.  get copies the value into val (cap bytes, NUL
 * included): returns 1, 0 when absent (val set to ""), FA_ETOOBIG when it
 * does not fit.  put stores a value shorter than CRAWL_STATE_KV_VALUE_MAX
 * bytes.  The key "schema_version" belongs to the state itself (every
 * backend sets it; put refuses it with FA_EINVAL). */
int crawl_state_get_kv(crawl_state *st, const char *key, char *val, size_t cap);
int crawl_state_put_kv(crawl_state *st, const char *key, const char *val);

#endif
