/*
 * state_sqlite.c - the SQLite crawl_state backend.
 *
 * Files, in the state folder:
 *
 *   feedarc.lock            flock(2)'d exclusively while open; holds the pid
 *   feedarc-state.sqlite    the database (+ -wal, -shm while open)
 *
 * Why these choices:
 *
 *   - WAL journal: a commit appends to the WAL and (synchronous=FULL)
 *     fsyncs it: one sequential write + one fsync per commit, readers never
 *     block.  Batched commits (crawl_state.h) make the fsync cost per record
 *     negligible.
 *   - synchronous=FULL, not NORMAL: under WAL, NORMAL survives kill -9 too
 *     (committed pages are in the OS page cache, which outlives the process)
 *     but may lose the last commits on power loss.  Losing them would be
 *     safe - state would claim *less* than the archive, so those items are
 *     fetched and archived again - but with batching FULL costs one fsync a
 *     batch, so we take the stronger promise: committed means on disk.
 *   - The flock'ed lock file: SQLite's own locks allow several writers in
 *     turn; two crawlers in turn on one state would each believe their view
 *     is current.  flock is released by the kernel when the process dies,
 *     so a kill -9 never leaves a stale lock.
 *   - Before SQLite touches the file, its first 16 bytes must read "SQLite
 *     format 3" (or the file be empty): SQLite would report a foreign file
 *     too, but the check is ours and explicit.  A database without our
 *     application_id and with tables of its own is refused too.  Nothing is
 *     written before both checks passed.
 *   - Statements are prepared once at open (SQLITE_PREPARE_PERSISTENT) and
 *     reset after each use; a put is one INSERT OR REPLACE.
 *   - busy_timeout: the lock file keeps other feedarcs out, but a person
 *     running `sqlite3` on the file can hold a read lock briefly.
 *
 * Schema versions: kv 'schema_version' holds the version the tables follow.
 * A new database is created at SCHEMA_VERSION; an older one is migrated
 * step by step by migrations[] inside one transaction; a newer one is
 * refused (an older feedarc must not write a newer layout).
 *
 * Read-only handles (crawl_state_open_sqlite_readonly, for `feedarc status`)
 * skip the lock file and open with SQLITE_OPEN_READONLY: under WAL a reader
 * never blocks the writer nor waits for it, and sees committed
 * transactions only.  They check the file as strictly, and refuse a schema
 * version other than SCHEMA_VERSION (they cannot migrate).
 *
 * All times are INTEGER ns since the epoch, UTC (fa_time_now_ns), so that
 * `sqlite3` queries can compare them directly.
 */
#include "storage/state/crawl_state_backend.h"

#include "common/fa_fs.h"
#include "common/fa_container.h"
#include "common/fa_err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHEMA_VERSION 1
#define APPLICATION_ID 0x46415354 /* "FAST": feedarc state */
#define BUSY_TIMEOUT_MS 5000
/* Page cache per connection (a ceiling, filled as used).  8 MiB, not 64:
 * the crawl's lookups are mostly misses ("seen?" for a new item), answered
 * from the upper levels of the index, and its puts are batched; the cache
 * filled with the whole state of a long crawl instead (23 MiB at 41,023
 * URLs: peak RSS of that crawl's first run 111 -> 107 MiB, its later run
 * 77 -> 61 MiB).  bench_state at 300k URLs: puts and misses level, hits
 * of present URLs 84k -> 60k/s (docs/BENCHMARKS.md).  Not 4 MiB: 3 MB
 * less at the long crawl's peak, but at 300k URLs misses 150-181k ->
 * 82k/s and puts 25-27k -> 18-19k/s (BENCHMARKS.md, "Session 13"). */
#define CACHE_KIB 8192
/* Checkpoint (copy the WAL back into the database) every this many pages
 * (4 KiB each) instead of SQLite's 1000: inserts at scattered keys dirty
 * about one page each, so a 1000-put commit is ~1000 pages and the default
 * would checkpoint after every commit.  Measured: 10.6k -> 18.8k puts/s at
 * 300k urls.  The WAL then grows to ~40 MiB between checkpoints. */
#define WAL_CHECKPOINT_PAGES 10000

/* ---- schema ---- */

static const char schema_v1[] = "CREATE TABLE kv ("
                                "  key TEXT PRIMARY KEY,"
                                "  value TEXT NOT NULL"
                                ") WITHOUT ROWID;"
                                "CREATE TABLE urls ("
                                "  url TEXT PRIMARY KEY,"
                                "  kind INTEGER NOT NULL," /* 1 feed, 2 page, 3 api */
                                "  source TEXT NOT NULL,"
                                "  item_id TEXT NOT NULL,"
                                "  item_published TEXT NOT NULL," /* RFC 3339 or '' */
                                "  item_updated TEXT NOT NULL,"
                                "  etag TEXT NOT NULL,"
                                "  last_modified TEXT NOT NULL,"
                                "  http_status INTEGER NOT NULL,"
                                "  last_fetch_ns INTEGER NOT NULL,"
                                "  payload_digest TEXT NOT NULL,"
                                "  warc_record_id TEXT NOT NULL,"
                                "  warc_segment TEXT NOT NULL,"
                                "  warc_offset INTEGER NOT NULL,"
                                "  warc_length INTEGER NOT NULL,"
                                "  fetch_count INTEGER NOT NULL"
                                ") WITHOUT ROWID;"
                                "CREATE TABLE sources ("
                                "  name TEXT PRIMARY KEY,"
                                "  url TEXT NOT NULL,"
                                "  last_attempt_ns INTEGER NOT NULL,"
                                "  last_success_ns INTEGER NOT NULL,"
                                "  last_status INTEGER NOT NULL,"
                                "  last_error TEXT NOT NULL,"
                                "  items_archived INTEGER NOT NULL,"
                                "  consecutive_failures INTEGER NOT NULL,"
                                "  next_due_ns INTEGER NOT NULL"
                                ") WITHOUT ROWID;"
                                "CREATE TABLE robots (" /* rowid table: rows up to 500 KiB */
                                "  host TEXT PRIMARY KEY,"
                                "  fetched_at_ns INTEGER NOT NULL,"
                                "  expires_at_ns INTEGER NOT NULL,"
                                "  http_status INTEGER NOT NULL,"
                                "  body BLOB NOT NULL"
                                ");"
                                "CREATE TABLE host_backoff ("
                                "  host TEXT PRIMARY KEY,"
                                "  backoff_until_ns INTEGER NOT NULL,"
                                "  consecutive_errors INTEGER NOT NULL,"
                                "  retry_after_until_ns INTEGER NOT NULL"
                                ") WITHOUT ROWID;";

/* migrations[v] brings a database from version v to v + 1 (SQL run inside
 * the open transaction).  Empty while SCHEMA_VERSION is 1; the first change
 * of layout adds migrations[1] and bumps SCHEMA_VERSION to 2. */
static const char *const migrations[SCHEMA_VERSION + 1] = {NULL};

/* ---- statements ---- */

enum {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_URL_GET,
    S_URL_PUT,
    S_SRC_GET,
    S_SRC_PUT,
    S_SRC_LIST,
    S_ROBOTS_GET,
    S_ROBOTS_PUT,
    S_BACKOFF_GET,
    S_BACKOFF_PUT,
    S_KV_GET,
    S_KV_PUT,
    S_COUNT
};

#define URL_COLS                                                                                   \
    "kind, source, item_id, item_published, item_updated, etag, last_modified, http_status, "      \
    "last_fetch_ns, payload_digest, warc_record_id, warc_segment, warc_offset, warc_length, "      \
    "fetch_count"
#define SRC_COLS                                                                                   \
    "name, url, last_attempt_ns, last_success_ns, last_status, last_error, items_archived, "       \
    "consecutive_failures, next_due_ns"

static const char *const statement_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_URL_GET] = "SELECT " URL_COLS " FROM urls WHERE url = ?1",
    [S_URL_PUT] = "INSERT OR REPLACE INTO urls (url, " URL_COLS ") VALUES "
                  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    [S_SRC_GET] = "SELECT " SRC_COLS " FROM sources WHERE name = ?1",
    [S_SRC_PUT] = "INSERT OR REPLACE INTO sources (" SRC_COLS ") VALUES "
                  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [S_SRC_LIST] = "SELECT " SRC_COLS " FROM sources ORDER BY name",
    [S_ROBOTS_GET] = "SELECT fetched_at_ns, expires_at_ns, http_status, body FROM robots "
                     "WHERE host = ?1",
    [S_ROBOTS_PUT] = "INSERT OR REPLACE INTO robots (host, fetched_at_ns, expires_at_ns, "
                     "http_status, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_BACKOFF_GET] = "SELECT backoff_until_ns, consecutive_errors, retry_after_until_ns "
                      "FROM host_backoff WHERE host = ?1",
    [S_BACKOFF_PUT] = "INSERT OR REPLACE INTO host_backoff (host, backoff_until_ns, "
                      "consecutive_errors, retry_after_until_ns) VALUES (?1, ?2, ?3, ?4)",
    [S_KV_GET] = "SELECT value FROM kv WHERE key = ?1",
    [S_KV_PUT] = "INSERT OR REPLACE INTO kv (key, value) VALUES (?1, ?2)",
};

typedef struct sqlite_state {
    crawl_state base; /* the handle given out (sql_of) */
    sqlite3 *db;
    sqlite3_stmt *stmt[S_COUNT];
    int lock_fd;
    char *path; /* the database file, for messages */
} sqlite_state;

static sqlite_state *sql_of(crawl_state *st)
{
    return FA_CONTAINER_OF(st, sqlite_state, base);
}

/* Maps an SQLite result code to an FA_E* code. */
static int map_sqlite_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return 0;
    case SQLITE_NOMEM:
        return FA_ENOMEM;
    case SQLITE_FULL:
        return FA_ENOSPC;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return FA_ECORRUPT;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_CANTOPEN:
        return FA_EACCES;
    case SQLITE_TOOBIG:
        return FA_ETOOBIG;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
        return FA_EINVAL;
    default:
        return FA_EIO;
    }
}

/* Records the connection's error and returns its FA_E* code. */
static int fail(sqlite_state *s, const char *what, int rc)
{
    crawl_state__set_error(&s->base, "%s: %s: %s", s->path, what,
                           s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    return map_sqlite_rc(rc);
}

/* Runs a statement that returns no rows. */
static int run(sqlite_state *s, int which)
{
    sqlite3_stmt *q = s->stmt[which];
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) return fail(s, statement_sql[which], rc);
    return 0;
}

/* Steps a keyed SELECT: 1 with a row ready, 0 when none, or an error (the
 * statement is reset except on 1). */
static int step_row(sqlite_state *s, int which)
{
    sqlite3_stmt *q = s->stmt[which];
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) return 1;
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    if (rc == SQLITE_DONE) return 0;
    return fail(s, statement_sql[which], rc);
}

/* Finishes a statement after the row was read. */
static int done(sqlite_state *s, int which, int rc)
{
    sqlite3_reset(s->stmt[which]);
    sqlite3_clear_bindings(s->stmt[which]);
    if (rc == FA_ECORRUPT && !s->base.errmsg[0])
        crawl_state__set_error(&s->base, "%s: a stored value is longer than its field", s->path);
    return rc;
}

static int col_text(sqlite3_stmt *q, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    int n = sqlite3_column_bytes(q, col);
    return crawl_state__copy_field(dst, cap, t ? (const char *)t : "", t ? (size_t)n : 0);
}

/* Binds text; SQLITE_STATIC: the caller's string outlives the step. */
static int bind_text(sqlite3_stmt *q, int i, const char *s)
{
    return sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

/* ---- transactions ---- */

static int sql_begin(crawl_state *st)
{
    return run(sql_of(st), S_BEGIN);
}

static int sql_commit(crawl_state *st)
{
    return run(sql_of(st), S_COMMIT);
}

static int sql_rollback(crawl_state *st)
{
    sqlite_state *s = sql_of(st);
    /* After some errors SQLite has already rolled back by itself. */
    if (sqlite3_get_autocommit(s->db)) return 0;
    return run(s, S_ROLLBACK);
}

/* ---- records ---- */

static int sql_get_url(crawl_state *st, const char *url, url_record *out)
{
    sqlite_state *s = sql_of(st);
    sqlite3_stmt *q = s->stmt[S_URL_GET];
    int rc;

    bind_text(q, 1, url);
    if ((rc = step_row(s, S_URL_GET)) != 1) return rc;
    out->kind = sqlite3_column_int(q, 0);
    rc = col_text(q, 1, out->source, sizeof out->source);
    rc |= col_text(q, 2, out->item_id, sizeof out->item_id);
    rc |= col_text(q, 3, out->item_published, sizeof out->item_published);
    rc |= col_text(q, 4, out->item_updated, sizeof out->item_updated);
    rc |= col_text(q, 5, out->etag, sizeof out->etag);
    rc |= col_text(q, 6, out->last_modified, sizeof out->last_modified);
    out->http_status = sqlite3_column_int(q, 7);
    out->last_fetch_ns = sqlite3_column_int64(q, 8);
    rc |= col_text(q, 9, out->payload_digest, sizeof out->payload_digest);
    rc |= col_text(q, 10, out->warc_record_id, sizeof out->warc_record_id);
    rc |= col_text(q, 11, out->warc_segment, sizeof out->warc_segment);
    out->warc_offset = (uint64_t)sqlite3_column_int64(q, 12);
    out->warc_length = (uint64_t)sqlite3_column_int64(q, 13);
    out->fetch_count = (uint64_t)sqlite3_column_int64(q, 14);
    return done(s, S_URL_GET, rc ? FA_ECORRUPT : 1);
}

static int sql_put_url(crawl_state *st, const char *url, const url_record *r)
{
    sqlite_state *s = sql_of(st);
    sqlite3_stmt *q = s->stmt[S_URL_PUT];
    int rc;

    bind_text(q, 1, url);
    sqlite3_bind_int(q, 2, r->kind);
    bind_text(q, 3, r->source);
    bind_text(q, 4, r->item_id);
    bind_text(q, 5, r->item_published);
    bind_text(q, 6, r->item_updated);
    bind_text(q, 7, r->etag);
    bind_text(q, 8, r->last_modified);
    sqlite3_bind_int(q, 9, r->http_status);
    sqlite3_bind_int64(q, 10, r->last_fetch_ns);
    bind_text(q, 11, r->payload_digest);
    bind_text(q, 12, r->warc_record_id);
    bind_text(q, 13, r->warc_segment);
    sqlite3_bind_int64(q, 14, (sqlite3_int64)r->warc_offset);
    sqlite3_bind_int64(q, 15, (sqlite3_int64)r->warc_length);
    sqlite3_bind_int64(q, 16, (sqlite3_int64)r->fetch_count);
    rc = run(s, S_URL_PUT);
    sqlite3_clear_bindings(q);
    return rc;
}

/* Reads a sources row (columns SRC_COLS). */
static int read_source(sqlite3_stmt *q, source_record *out)
{
    int rc = col_text(q, 0, out->name, sizeof out->name);
    rc |= col_text(q, 1, out->url, sizeof out->url);
    out->last_attempt_ns = sqlite3_column_int64(q, 2);
    out->last_success_ns = sqlite3_column_int64(q, 3);
    out->last_status = sqlite3_column_int(q, 4);
    rc |= col_text(q, 5, out->last_error, sizeof out->last_error);
    out->items_archived = (uint64_t)sqlite3_column_int64(q, 6);
    out->consecutive_failures = (uint32_t)sqlite3_column_int64(q, 7);
    out->next_due_ns = sqlite3_column_int64(q, 8);
    return rc ? FA_ECORRUPT : 0;
}

static int sql_get_source(crawl_state *st, const char *name, source_record *out)
{
    sqlite_state *s = sql_of(st);
    int rc;

    bind_text(s->stmt[S_SRC_GET], 1, name);
    if ((rc = step_row(s, S_SRC_GET)) != 1) return rc;
    rc = read_source(s->stmt[S_SRC_GET], out);
    return done(s, S_SRC_GET, rc < 0 ? rc : 1);
}

static int sql_put_source(crawl_state *st, const source_record *r)
{
    sqlite_state *s = sql_of(st);
    sqlite3_stmt *q = s->stmt[S_SRC_PUT];
    int rc;

    bind_text(q, 1, r->name);
    bind_text(q, 2, r->url);
    sqlite3_bind_int64(q, 3, r->last_attempt_ns);
    sqlite3_bind_int64(q, 4, r->last_success_ns);
    sqlite3_bind_int(q, 5, r->last_status);
    bind_text(q, 6, r->last_error);
    sqlite3_bind_int64(q, 7, (sqlite3_int64)r->items_archived);
    sqlite3_bind_int64(q, 8, r->consecutive_failures);
    sqlite3_bind_int64(q, 9, r->next_due_ns);
    rc = run(s, S_SRC_PUT);
    sqlite3_clear_bindings(q);
    return rc;
}

static int sql_list_sources(crawl_state *st, crawl_state_source_cb cb, void *ud)
{
    sqlite_state *s = sql_of(st);
    sqlite3_stmt *q = s->stmt[S_SRC_LIST];
    source_record *rec = malloc(sizeof *rec);
    int rc = 0, step;

    if (!rec) return FA_ENOMEM;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        memset(rec, 0, sizeof *rec);
        if ((rc = read_source(q, rec)) < 0) {
            crawl_state__set_error(st, "%s: a stored source is longer than its fields", s->path);
            break;
        }
        if ((rc = cb(ud, rec)) != 0) break;
    }
    if (rc == 0 && step != SQLITE_DONE) rc = fail(s, statement_sql[S_SRC_LIST], step);
    sqlite3_reset(q);
    free(rec);
    return rc;
}

static int sql_get_robots(crawl_state *st, const char *host, robots_record *out, fa_buf *body)
{
    sqlite_state *s = sql_of(st);
    sqlite3_stmt *q = s->stmt[S_ROBOTS_GET];
    int rc;

    bind_text(q, 1, host);
    if ((rc = step_row(s, S_ROBOTS_GET)) != 1) return rc;
    out->fetched_at_ns = sqlite3_column_int64(q, 0);
    out->expires_at_ns = sqlite3_column_int64(q, 1);
    out->http_status = sqlite3_column_int(q, 2);
    out->body_len = (size_t)sqlite3_column_bytes(q, 3);
    rc = 1;
    if (body && out->body_len) {
        int arc = fa_buf_append(body, sqlite3_column_blob(q, 3), out->body_len);
        if (arc < 0) {
            crawl_state__set_error(st, "robots.txt for %s: %zu bytes do not fit the buffer", host,
                                   out->body_len);
            rc = arc;
        }
    }
    return done(s, S_ROBOTS_GET, rc);
}

static int sql_put_robots(crawl_state *st, const char *host, const robots_record *r,
                          const void *body, size_t len)
{
    sqlite_state *s = sql_of(st);
    sqlite3_stmt *q = s->stmt[S_ROBOTS_PUT];
    int rc;

    bind_text(q, 1, host);
    sqlite3_bind_int64(q, 2, r->fetched_at_ns);
    sqlite3_bind_int64(q, 3, r->expires_at_ns);
    sqlite3_bind_int(q, 4, r->http_status);
    sqlite3_bind_blob(q, 5, body, (int)len, SQLITE_STATIC);
    rc = run(s, S_ROBOTS_PUT);
    sqlite3_clear_bindings(q);
    return rc;
}

static int sql_get_backoff(crawl_state *st, const char *host, backoff_record *out)
{
    sqlite_state *s = sql_of(st);
    sqlite3_stmt *q = s->stmt[S_BACKOFF_GET];
    int rc;

    bind_text(q, 1, host);
    if ((rc = step_row(s, S_BACKOFF_GET)) != 1) return rc;
    out->backoff_until_ns = sqlite3_column_int64(q, 0);
    out->consecutive_errors = (uint32_t)sqlite3_column_int64(q, 1);
    out->retry_after_until_ns = sqlite3_column_int64(q, 2);
    return done(s, S_BACKOFF_GET, 1);
}

static int sql_put_backoff(crawl_state *st, const char *host, const backoff_record *r)
{
    sqlite_state *s = sql_of(st);
    sqlite3_stmt *q = s->stmt[S_BACKOFF_PUT];
    int rc;

    bind_text(q, 1, host);
    sqlite3_bind_int64(q, 2, r->backoff_until_ns);
    sqlite3_bind_int64(q, 3, r->consecutive_errors);
    sqlite3_bind_int64(q, 4, r->retry_after_until_ns);
    rc = run(s, S_BACKOFF_PUT);
    sqlite3_clear_bindings(q);
    return rc;
}

static int sql_get_kv(crawl_state *st, const char *key, char *val, size_t cap)
{
    sqlite_state *s = sql_of(st);
    sqlite3_stmt *q = s->stmt[S_KV_GET];
    int rc;

    bind_text(q, 1, key);
    if ((rc = step_row(s, S_KV_GET)) != 1) return rc;
    if (col_text(q, 0, val, cap) < 0) {
        crawl_state__set_error(st, "value of \"%s\": %d bytes do not fit %zu", key,
                               sqlite3_column_bytes(q, 0), cap);
        rc = FA_ETOOBIG;
    }
    return done(s, S_KV_GET, rc);
}

static int sql_put_kv(crawl_state *st, const char *key, const char *val)
{
    sqlite_state *s = sql_of(st);
    sqlite3_stmt *q = s->stmt[S_KV_PUT];
    int rc;

    bind_text(q, 1, key);
    bind_text(q, 2, val);
    rc = run(s, S_KV_PUT);
    sqlite3_clear_bindings(q);
    return rc;
}

/* Finalises statements, closes the database, releases the lock, frees s.
 * Used on every open failure too, so each part may be missing. */
static void destroy(sqlite_state *s)
{
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    if (s->db) sqlite3_close_v2(s->db);     /* checkpoints the WAL when last to close */
    if (s->lock_fd >= 0) close(s->lock_fd); /* releases the flock */
    free(s->path);
    crawl_state__destroy(&s->base);
    free(s);
}

/* PASSIVE: copies the frames no reader still needs and waits for no one;
 * the close's own checkpoint then has only what came after. */
static int sql_checkpoint(crawl_state *st)
{
    sqlite_state *s = sql_of(st);
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (rc == SQLITE_OK || rc == SQLITE_BUSY) return 0; /* busy: another process's checkpoint */
    return fail(s, "checkpoint", rc);
}

static void sql_close(crawl_state *st)
{
    destroy(sql_of(st));
}

static const crawl_state_ops sqlite_ops = {
    .name = "sqlite",
    .begin = sql_begin,
    .commit = sql_commit,
    .rollback = sql_rollback,
    .get_url = sql_get_url,
    .put_url = sql_put_url,
    .get_source = sql_get_source,
    .put_source = sql_put_source,
    .list_sources = sql_list_sources,
    .get_robots = sql_get_robots,
    .put_robots = sql_put_robots,
    .get_backoff = sql_get_backoff,
    .put_backoff = sql_put_backoff,
    .get_kv = sql_get_kv,
    .put_kv = sql_put_kv,
    .checkpoint = sql_checkpoint,
    .close = sql_close,
};

/* ---- opening ---- */

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
                                                          ...)
{
    va_list ap;
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is above */
    if (err && errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* mkdir -p, with the error said. */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
    if (fa_mkdir_p(dir) < 0) {
        int e = errno;
        set_err(err, errlen, "cannot create state folder %s: %s", dir, strerror(e));
        return fa_err_from_errno(e);
    }
    return 0;
}

/* Takes <dir>/feedarc.lock, or says who holds it. */
static int take_lock(sqlite_state *s, const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX], pid[32];
    ssize_t n;
    int len;

    if (snprintf(path, sizeof path, "%s/%s", dir, CRAWL_STATE_LOCK_FILE) >= (int)sizeof path) {
        set_err(err, errlen, "state folder \"%s\": path too long", dir);
        return FA_EINVAL;
    }
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lock_fd < 0) {
        int e = errno;
        set_err(err, errlen, "cannot open lock file %s: %s", path, strerror(e));
        return fa_err_from_errno(e);
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        if (e != EWOULDBLOCK) {
            set_err(err, errlen, "cannot lock %s: %s", path, strerror(e));
            return fa_err_from_errno(e);
        }
        n = pread(s->lock_fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        set_err(err, errlen, "state %s is locked by another feedarc (pid %s)", dir,
                pid[0] ? pid : "unknown");
        return FA_EACCES;
    }
    len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(s->lock_fd, 0) < 0 || pwrite(s->lock_fd, pid, (size_t)len, 0) != len) {
        int e = errno;
        set_err(err, errlen, "cannot write lock file %s: %s", path, strerror(e));
        return fa_err_from_errno(e);
    }
    return 0;
}

/* Refuses a file that is not SQLite before SQLite may touch it. */
static int check_header(const char *path, char *err, size_t errlen)
{
    static const char magic[16] = "SQLite format 3";
    char head[16];
    struct stat sb;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0) {
        int e = errno;
        if (e == ENOENT) return 0; /* a new state */
        set_err(err, errlen, "cannot open %s: %s", path, strerror(e));
        return fa_err_from_errno(e);
    }
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        set_err(err, errlen, "%s is not a regular file", path);
        rc = FA_EINVAL;
        goto out;
    }
    if (sb.st_size == 0) goto out; /* created but never written: SQLite treats it as new */
    n = pread(fd, head, sizeof head, 0);
    if (n != (ssize_t)sizeof head || memcmp(head, magic, sizeof magic) != 0) {
        set_err(err, errlen,
                "%s is not an SQLite database (corrupt or foreign file); left untouched - "
                "move it away, or delete the state folder to start over",
                path);
        rc = FA_ECORRUPT;
    }
out:
    close(fd);
    return rc;
}

/* Runs SQL text (no rows expected) during open. */
static int exec_open(sqlite_state *s, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        set_err(err, errlen, "%s: %s", s->path, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return map_sqlite_rc(rc);
    }
    return 0;
}

/* One integer from a query during open. */
static int query_int(sqlite_state *s, const char *sql, sqlite3_int64 *v, char *err, size_t errlen)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
    *v = 0;
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            *v = sqlite3_column_int64(q, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK) set_err(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
    sqlite3_finalize(q);
    return map_sqlite_rc(rc);
}

/* Reads (only) the schema and the application_id: a damaged or foreign
 * file fails here, before anything - even the switch to WAL - writes. */
static int check_owner(sqlite_state *s, char *err, size_t errlen)
{
    sqlite3_int64 app_id, tables;
    int rc;

    if ((rc = query_int(s, "SELECT count(*) FROM sqlite_master", &tables, err, errlen)) < 0 ||
        (rc = query_int(s, "PRAGMA application_id", &app_id, err, errlen)) < 0) {
        if (rc == FA_ECORRUPT && err && errlen)
            snprintf(err + strlen(err), errlen - strlen(err),
                     " (not an SQLite database or damaged; left untouched - move it away, "
                     "or delete the state folder to start over)");
        return rc;
    }
    if (tables > 0 && app_id != APPLICATION_ID) {
        set_err(err, errlen,
                "%s is an SQLite database but not a feedarc state (application_id %lld); "
                "left untouched",
                s->path, (long long)app_id);
        return FA_ECORRUPT;
    }
    return 0;
}

/* fsync(2)s the folder so a new database file's name is durable too. */
static int sync_dir(const char *dir, char *err, size_t errlen)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;
    if (fd < 0 || fsync(fd) < 0) {
        int e = errno;
        set_err(err, errlen, "cannot sync state folder %s: %s", dir, strerror(e));
        rc = fa_err_from_errno(e);
    }
    if (fd >= 0) close(fd);
    return rc;
}

/* Creates or migrates the schema (one transaction). */
static int setup_schema(sqlite_state *s, char *err, size_t errlen)
{
    sqlite3_int64 tables, has_kv, version = 0;
    char sql[128];
    int rc;

    if ((rc = exec_open(s, "BEGIN IMMEDIATE", err, errlen)) < 0) return rc;
    if ((rc = query_int(s, "SELECT count(*) FROM sqlite_master", &tables, err, errlen)) < 0)
        goto out;
    if (tables == 0) {
        snprintf(sql, sizeof sql, "PRAGMA application_id = %d", APPLICATION_ID);
        if ((rc = exec_open(s, sql, err, errlen)) < 0 ||
            (rc = exec_open(s, schema_v1, err, errlen)) < 0)
            goto out;
        version = 1;
    } else {
        if ((rc = query_int(s, "SELECT count(*) FROM sqlite_master WHERE name = 'kv'", &has_kv, err,
                            errlen)) < 0)
            goto out;
        if (has_kv && (rc = query_int(s,
                                      "SELECT CAST(value AS INTEGER) FROM kv WHERE key = "
                                      "'schema_version'",
                                      &version, err, errlen)) < 0)
            goto out;
        if (version < 1) {
            set_err(err, errlen, "%s: no schema_version; not a usable feedarc state", s->path);
            rc = FA_ECORRUPT;
            goto out;
        }
        if (version > SCHEMA_VERSION) {
            set_err(err, errlen,
                    "%s: state schema version %lld is newer than this feedarc supports (%d); "
                    "use a newer feedarc",
                    s->path, (long long)version, SCHEMA_VERSION);
            rc = FA_EINVAL;
            goto out;
        }
    }
    for (; version < SCHEMA_VERSION; version++) {
        if (!migrations[version]) {
            set_err(err, errlen, "%s: no migration from schema version %lld", s->path,
                    (long long)version);
            rc = FA_EINVAL;
            goto out;
        }
        if ((rc = exec_open(s, migrations[version], err, errlen)) < 0) goto out;
    }
    snprintf(sql, sizeof sql,
             "INSERT OR REPLACE INTO kv (key, value) VALUES ('schema_version', '%d')",
             SCHEMA_VERSION);
    if ((rc = exec_open(s, sql, err, errlen)) < 0) goto out;
    rc = exec_open(s, "COMMIT", err, errlen);
out:
    if (rc < 0 && !sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* The one way the state's database is opened: read-write (created when
 * missing) for a crawl, read-only for status and export; either way with
 * the busy timeout, and refused when another user owns the file
 * (check_owner).  Returns 0 or a negative code with the message in err. */
static int open_db(sqlite_state *s, int read_only, char *err, size_t errlen)
{
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
                (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(s->path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, errlen, "cannot open %s: %s", s->path,
                s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        return map_sqlite_rc(rc);
    }
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    return check_owner(s, err, errlen);
}

int crawl_state_open_sqlite(const char *state_dir, crawl_state **out, char *err, size_t errlen)
{
    sqlite_state *s = NULL;
    char journal[16] = "";
    size_t plen;
    int rc;

    if (err && errlen) err[0] = '\0';
    if (!out || !state_dir) {
        set_err(err, errlen, "no state folder given");
        return FA_EINVAL;
    }
    *out = NULL;
    if ((rc = make_dirs(state_dir, err, errlen)) < 0) return rc;
    s = calloc(1, sizeof *s);
    if (!s || crawl_state__init(&s->base, &sqlite_ops) < 0) {
        free(s);
        set_err(err, errlen, "out of memory");
        return FA_ENOMEM;
    }
    s->lock_fd = -1;
    plen = strlen(state_dir) + sizeof "/" CRAWL_STATE_SQLITE_FILE;
    if (!(s->path = malloc(plen))) {
        rc = FA_ENOMEM;
        set_err(err, errlen, "out of memory");
        goto out;
    }
    snprintf(s->path, plen, "%s/%s", state_dir, CRAWL_STATE_SQLITE_FILE);

    if ((rc = take_lock(s, state_dir, err, errlen)) < 0 ||
        (rc = check_header(s->path, err, errlen)) < 0)
        goto out;

    if ((rc = open_db(s, 0, err, errlen)) < 0) goto out;
    {
        sqlite3_stmt *q = NULL;
        rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &q, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
            const unsigned char *m = sqlite3_column_text(q, 0);
            snprintf(journal, sizeof journal, "%s", m ? (const char *)m : "");
            rc = SQLITE_OK;
        }
        if (rc != SQLITE_OK) set_err(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
        sqlite3_finalize(q);
        if (rc != SQLITE_OK) {
            rc = map_sqlite_rc(rc);
            goto out;
        }
        if (strcmp(journal, "wal") != 0) {
            set_err(err, errlen, "%s: cannot switch to WAL mode (journal_mode is %s)", s->path,
                    journal);
            rc = FA_EIO;
            goto out;
        }
    }
    {
        char pragmas[256];
        snprintf(pragmas, sizeof pragmas,
                 "PRAGMA synchronous = FULL; PRAGMA cache_size = -%d; "
                 "PRAGMA wal_autocheckpoint = %d; PRAGMA journal_size_limit = 67108864; "
                 "PRAGMA foreign_keys = OFF",
                 CACHE_KIB, WAL_CHECKPOINT_PAGES);
        if ((rc = exec_open(s, pragmas, err, errlen)) < 0) goto out;
    }
    if ((rc = setup_schema(s, err, errlen)) < 0 || (rc = sync_dir(state_dir, err, errlen)) < 0)
        goto out;
    for (int i = 0; i < S_COUNT; i++) {
        int src = sqlite3_prepare_v3(s->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                     &s->stmt[i], NULL);
        if (src != SQLITE_OK) {
            set_err(err, errlen, "%s: preparing \"%s\": %s", s->path, statement_sql[i],
                    sqlite3_errmsg(s->db));
            rc = map_sqlite_rc(src);
            goto out;
        }
    }
    *out = &s->base;
    return 0;
out:
    destroy(s);
    return rc < 0 ? rc : FA_EIO;
}

/* Read-only handles: the same ops, but no transaction can start (SQLite
 * would start one and commit it empty). */
static int sql_begin_readonly(crawl_state *st)
{
    crawl_state__set_error(st, "%s: opened read-only", sql_of(st)->path);
    return FA_EACCES;
}

static const crawl_state_ops sqlite_readonly_ops = {
    .name = "sqlite-readonly",
    .begin = sql_begin_readonly,
    .commit = sql_commit,
    .rollback = sql_rollback,
    .get_url = sql_get_url,
    .put_url = sql_put_url,
    .get_source = sql_get_source,
    .put_source = sql_put_source,
    .list_sources = sql_list_sources,
    .get_robots = sql_get_robots,
    .put_robots = sql_put_robots,
    .get_backoff = sql_get_backoff,
    .put_backoff = sql_put_backoff,
    .get_kv = sql_get_kv,
    .put_kv = sql_put_kv,
    .close = sql_close,
};

int crawl_state_open_sqlite_readonly(const char *state_dir, crawl_state **out, char *err,
                                     size_t errlen)
{
    sqlite_state *s = NULL;
    sqlite3_int64 has_kv = 0, version = 0;
    size_t plen;
    int rc;

    if (err && errlen) err[0] = '\0';
    if (!out || !state_dir) {
        set_err(err, errlen, "no state folder given");
        return FA_EINVAL;
    }
    *out = NULL;
    s = calloc(1, sizeof *s);
    if (!s || crawl_state__init(&s->base, &sqlite_readonly_ops) < 0) {
        free(s);
        set_err(err, errlen, "out of memory");
        return FA_ENOMEM;
    }
    s->lock_fd = -1; /* no lock: the running feedarc (if any) holds it */
    plen = strlen(state_dir) + sizeof "/" CRAWL_STATE_SQLITE_FILE;
    if (!(s->path = malloc(plen))) {
        rc = FA_ENOMEM;
        set_err(err, errlen, "out of memory");
        goto out;
    }
    snprintf(s->path, plen, "%s/%s", state_dir, CRAWL_STATE_SQLITE_FILE);
    if (access(s->path, F_OK) < 0) {
        int e = errno;
        rc = e == ENOENT ? FA_ENOENT : fa_err_from_errno(e);
        if (e == ENOENT)
            set_err(err, errlen, "no state in %s yet (feedarc has not crawled with this config)",
                    state_dir);
        else
            set_err(err, errlen, "cannot open %s: %s", s->path, strerror(e));
        goto out;
    }
    if ((rc = check_header(s->path, err, errlen)) < 0) goto out;
    if ((rc = open_db(s, 1, err, errlen)) < 0 ||
        (rc = query_int(s, "SELECT count(*) FROM sqlite_master WHERE name = 'kv'", &has_kv, err,
                        errlen)) < 0)
        goto out;
    if (has_kv && (rc = query_int(s,
                                  "SELECT CAST(value AS INTEGER) FROM kv WHERE key = "
                                  "'schema_version'",
                                  &version, err, errlen)) < 0)
        goto out;
    if (version != SCHEMA_VERSION) {
        if (version < 1)
            set_err(err, errlen, "%s: no schema_version; not a usable feedarc state", s->path);
        else
            set_err(err, errlen,
                    "%s: state schema version %lld, this feedarc reads %d%s", s->path,
                    (long long)version, SCHEMA_VERSION,
                    version > SCHEMA_VERSION ? " (use a newer feedarc)"
                                             : " (a crawl with this feedarc migrates it)");
        rc = version < 1 ? FA_ECORRUPT : FA_EINVAL;
        goto out;
    }
    for (int i = 0; i < S_COUNT; i++) {
        int src = sqlite3_prepare_v3(s->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                     &s->stmt[i], NULL);
        if (src != SQLITE_OK) {
            set_err(err, errlen, "%s: preparing \"%s\": %s", s->path, statement_sql[i],
                    sqlite3_errmsg(s->db));
            rc = map_sqlite_rc(src);
            goto out;
        }
    }
    *out = &s->base;
    return 0;
out:
    destroy(s);
    return rc < 0 ? rc : FA_EIO;
}
