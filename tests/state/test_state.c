/* test_state.c - the crawl_state behaviour, run against every backend.
 *
 * One suite, a table of backends: each test runs once per backend (cmocka
 * groups "sqlite", "memory" and "redis").  Tests of what only a persistent
 * store can show - reopen, kill -9 in the middle of a transaction - skip on
 * the memory backend; those of the SQLite files (the lock, a corrupt file)
 * run on SQLite only.  The Redis backend runs against a real redis-server
 * started on a random loopback port (the group is skipped, with the reason,
 * when redis-server is not installed); each test gets its own key prefix.  Crashes are real: a
 * forked child opens the state, writes, and dies by SIGKILL or _exit without commit; the parent
 * reopens and checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/test_fs.h"

#include "common/fa_err.h"
#include "common/fa_time.h"
#include "storage/state/crawl_state.h"
#include "redis/redis_test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the backend table ---- */

typedef struct backend {
    const char *name;
    int persistent;
    int sqlite; /* the tests of SQLite's files and lock apply */
    int (*open)(const char *dir, crawl_state **out, char *err, size_t errlen);
} backend;

static redis_test_server redis_srv;

/* The Redis backend: the test's folder names its key prefix, so a reopen
 * (and a forked child) finds the same state. */
static int open_redis(const char *dir, crawl_state **out, char *err, size_t errlen)
{
    char prefix[64];
    const char *slash = strrchr(dir, '/');
    const char *leaf = dir;
    /* root/state: the root's leaf (fa-state-XXXXXX) is unique */
    for (const char *p = dir; slash != NULL && p < slash; p++)
        if (*p == '/') leaf = p + 1;
    snprintf(prefix, sizeof prefix, "t:%.*s:", (int)(slash ? slash - leaf : 8), leaf);
    return crawl_state_open_redis(redis_srv.url, NULL, prefix, out, err, errlen);
}

static int open_memory(const char *dir, crawl_state **out, char *err, size_t errlen)
{
    (void)dir;
    if (err && errlen) err[0] = '\0';
    return crawl_state_open_memory(out);
}

static const backend backends[] = {
    {"sqlite", 1, 1, crawl_state_open_sqlite},
    {"memory", 0, 0, open_memory},
    {"redis", 1, 0, open_redis},
};

typedef struct fixture {
    const backend *be;
    char *root;     /* test_tmpdir_new */
    char dir[300];  /* root/state: not created, open must create it */
    crawl_state *st;
} fixture;

static int setup(void **state)
{
    const backend *be = *state;
    fixture *f = calloc(1, sizeof *f);
    char err[512];
    if (!f) return -1;
    f->be = be;
    f->root = test_tmpdir_new();
    snprintf(f->dir, sizeof f->dir, "%s/state", f->root);
    if (be->open(f->dir, &f->st, err, sizeof err) < 0) {
        fprintf(stderr, "open %s: %s\n", be->name, err);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    crawl_state_close(f->st);
    test_rm_rf(f->root);
    free(f->root);
    free(f);
    return 0;
}

/* Reopens the fixture's state (persistent backends). */
static void reopen(fixture *f)
{
    char err[512];
    crawl_state_close(f->st);
    f->st = NULL;
    int rc = f->be->open(f->dir, &f->st, err, sizeof err);
    if (rc < 0) fail_msg("reopen: %s", err);
}

/* ---- helpers ---- */

static void make_url(char *out, size_t cap, int i)
{
    snprintf(out, cap, "https://news.example.org/2026/11/23/story-%d.html?utm=x", i);
}

/* A url record with every field set, distinct per (i, tag). */
static void fill_url(url_record *r, int i, const char *tag)
{
    memset(r, 0, sizeof *r);
    r->kind = (i % 3) + 1;
    snprintf(r->source, sizeof r->source, "source-%d", i % 7);
    snprintf(r->item_id, sizeof r->item_id, "tag:example.org,2026:%s:%d", tag, i);
    snprintf(r->item_published, sizeof r->item_published, "2026-11-23T15:%02d:00Z", i % 60);
    snprintf(r->item_updated, sizeof r->item_updated, "2026-11-24T01:%02d:00Z", i % 60);
    snprintf(r->etag, sizeof r->etag, "W/\"%s-%d\"", tag, i);
    snprintf(r->last_modified, sizeof r->last_modified, "Mon, 23 Nov 2026 15:37:00 GMT");
    r->http_status = 200 + i % 5;
    r->last_fetch_ns = 1795448220LL * 1000000000LL + i;
    snprintf(r->payload_digest, sizeof r->payload_digest, "sha1:%032d", i);
    snprintf(r->warc_record_id, sizeof r->warc_record_id,
             "<urn:uuid:00000000-0000-4000-8000-%012d>", i);
    snprintf(r->warc_segment, sizeof r->warc_segment, "feedarc-20261123153700-%05d.warc.zst",
             i / 1000);
    r->warc_offset = (uint64_t)i * 4096u + 5000000000ull; /* past 32 bits */
    r->warc_length = 1234u + (uint64_t)i;
    r->fetch_count = 1u + (uint64_t)i % 4;
}

static void assert_url_equal(const url_record *a, const url_record *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_string_equal(a->source, b->source);
    assert_string_equal(a->item_id, b->item_id);
    assert_string_equal(a->item_published, b->item_published);
    assert_string_equal(a->item_updated, b->item_updated);
    assert_string_equal(a->etag, b->etag);
    assert_string_equal(a->last_modified, b->last_modified);
    assert_int_equal(a->http_status, b->http_status);
    assert_true(a->last_fetch_ns == b->last_fetch_ns);
    assert_string_equal(a->payload_digest, b->payload_digest);
    assert_string_equal(a->warc_record_id, b->warc_record_id);
    assert_string_equal(a->warc_segment, b->warc_segment);
    assert_true(a->warc_offset == b->warc_offset);
    assert_true(a->warc_length == b->warc_length);
    assert_true(a->fetch_count == b->fetch_count);
}

/* Checks url i holds fill_url(i, tag). */
static void expect_url(crawl_state *st, int i, const char *tag)
{
    char url[128];
    url_record want, got;
    make_url(url, sizeof url, i);
    fill_url(&want, i, tag);
    assert_int_equal(crawl_state_get_url(st, url, &got), 1);
    assert_url_equal(&got, &want);
}

static void expect_no_url(crawl_state *st, int i)
{
    char url[128];
    url_record got;
    make_url(url, sizeof url, i);
    assert_int_equal(crawl_state_get_url(st, url, &got), 0);
}

static int put_url_i(crawl_state *st, int i, const char *tag)
{
    char url[128];
    url_record r;
    make_url(url, sizeof url, i);
    fill_url(&r, i, tag);
    return crawl_state_put_url(st, url, &r);
}

static void fill_source(source_record *s, const char *name, int n)
{
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->url, sizeof s->url, "https://%s.example/feed.xml", name);
    s->last_attempt_ns = 1000 + n;
    s->last_success_ns = 900 + n;
    s->last_status = n % 2 ? 503 : 200;
    snprintf(s->last_error, sizeof s->last_error, n % 2 ? "HTTP 503 from %s" : "", name);
    s->items_archived = 10000000000ull + (uint64_t)n;
    s->consecutive_failures = (uint32_t)n;
    s->next_due_ns = 2000 + n;
}

static void assert_source_equal(const source_record *a, const source_record *b)
{
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->url, b->url);
    assert_true(a->last_attempt_ns == b->last_attempt_ns);
    assert_true(a->last_success_ns == b->last_success_ns);
    assert_int_equal(a->last_status, b->last_status);
    assert_string_equal(a->last_error, b->last_error);
    assert_true(a->items_archived == b->items_archived);
    assert_int_equal(a->consecutive_failures, b->consecutive_failures);
    assert_true(a->next_due_ns == b->next_due_ns);
}

/* ---- every backend ---- */

static void url_round_trip(void **state)
{
    fixture *f = *state;
    url_record got;
    memset(&got, 0x55, sizeof got);
    expect_no_url(f->st, 1);
    assert_int_equal(crawl_state_get_url(f->st, "https://nowhere.example/", &got), 0);
    assert_int_equal(got.kind, 0); /* zeroed on not found */
    assert_string_equal(got.etag, "");
    for (int i = 0; i < 50; i++)
        assert_int_equal(put_url_i(f->st, i, "a"), 0);
    for (int i = 0; i < 50; i++)
        expect_url(f->st, i, "a");
    expect_no_url(f->st, 50);

    /* Longest values each field can hold survive intact. */
    url_record big, back;
    memset(&big, 0, sizeof big);
    big.kind = URL_KIND_API;
    memset(big.item_id, 'i', sizeof big.item_id - 1);
    memset(big.etag, 'e', sizeof big.etag - 1);
    memset(big.warc_segment, 's', sizeof big.warc_segment - 1);
    char *long_url = malloc(CRAWL_STATE_URL_MAX);
    assert_non_null(long_url);
    memset(long_url, 'u', CRAWL_STATE_URL_MAX - 1);
    memcpy(long_url, "https://", 8);
    long_url[CRAWL_STATE_URL_MAX - 1] = '\0';
    assert_int_equal(crawl_state_put_url(f->st, long_url, &big), 0);
    assert_int_equal(crawl_state_get_url(f->st, long_url, &back), 1);
    assert_url_equal(&back, &big);
    free(long_url);
}

static void url_overwrite(void **state)
{
    fixture *f = *state;
    url_record r, got;
    fill_url(&r, 7, "first-with-a-long-tag");
    assert_int_equal(crawl_state_put_url(f->st, "https://x.example/a", &r), 0);
    /* A record with shorter and emptied fields replaces it entirely. */
    memset(&r, 0, sizeof r);
    r.kind = URL_KIND_PAGE;
    snprintf(r.etag, sizeof r.etag, "\"2\"");
    r.http_status = 304;
    r.fetch_count = 2;
    assert_int_equal(crawl_state_put_url(f->st, "https://x.example/a", &r), 0);
    assert_int_equal(crawl_state_get_url(f->st, "https://x.example/a", &got), 1);
    assert_url_equal(&got, &r);
    assert_string_equal(got.item_id, "");
    assert_string_equal(got.warc_segment, "");
    /* Keys are exact: no normalisation, case matters. */
    assert_int_equal(crawl_state_get_url(f->st, "https://x.example/A", &got), 0);
    assert_int_equal(crawl_state_get_url(f->st, "https://x.example/a/", &got), 0);
}

typedef struct list_ctx {
    int n;
    char names[8][CRAWL_STATE_NAME_MAX];
    crawl_state *st;
    int stop_after;
    int reentry_rc;
} list_ctx;

static int list_cb(void *ud, const source_record *rec)
{
    list_ctx *c = ud;
    if (c->n < 8) snprintf(c->names[c->n], sizeof c->names[0], "%s", rec->name);
    c->n++;
    if (c->st) {
        url_record r;
        c->reentry_rc = crawl_state_get_url(c->st, "https://x.example/", &r);
    }
    return c->stop_after && c->n == c->stop_after ? 42 : 0;
}

static void sources(void **state)
{
    fixture *f = *state;
    source_record s, got;
    list_ctx c;

    memset(&c, 0, sizeof c);
    assert_int_equal(crawl_state_list_sources(f->st, list_cb, &c), 0);
    assert_int_equal(c.n, 0);
    assert_int_equal(crawl_state_get_source(f->st, "lemonde", &got), 0);

    const char *names[] = {"zeit", "lemonde", "bbc", "ap"};
    for (int i = 0; i < 4; i++) {
        fill_source(&s, names[i], i);
        assert_int_equal(crawl_state_put_source(f->st, &s), 0);
    }
    fill_source(&s, "lemonde", 1);
    assert_int_equal(crawl_state_get_source(f->st, "lemonde", &got), 1);
    assert_source_equal(&got, &s);

    /* Overwrite: a success clears the error and the failure count. */
    s.last_status = 200;
    s.last_error[0] = '\0';
    s.consecutive_failures = 0;
    s.items_archived += 5;
    assert_int_equal(crawl_state_put_source(f->st, &s), 0);
    assert_int_equal(crawl_state_get_source(f->st, "lemonde", &got), 1);
    assert_source_equal(&got, &s);

    /* Listed in name order; a non-zero return stops and is passed on. */
    assert_int_equal(crawl_state_list_sources(f->st, list_cb, &c), 0);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.names[0], "ap");
    assert_string_equal(c.names[1], "bbc");
    assert_string_equal(c.names[2], "lemonde");
    assert_string_equal(c.names[3], "zeit");
    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    assert_int_equal(crawl_state_list_sources(f->st, list_cb, &c), 42);
    assert_int_equal(c.n, 2);

    /* Calling back into the state from the callback fails, not deadlocks. */
    memset(&c, 0, sizeof c);
    c.st = f->st;
    assert_int_equal(crawl_state_list_sources(f->st, list_cb, &c), 0);
    assert_int_equal(c.reentry_rc, FA_EINVAL);
    /* ... and the handle still works afterwards. */
    assert_int_equal(crawl_state_get_source(f->st, "zeit", &got), 1);
}

static void robots(void **state)
{
    fixture *f = *state;
    robots_record r = {.fetched_at_ns = 111, .expires_at_ns = 222, .http_status = 200};
    robots_record got;
    fa_buf body;
    const char text[] = "User-agent: *\nDisallow: /private\n\0binary\xff";
    fa_buf_init(&body, CRAWL_STATE_ROBOTS_MAX);

    assert_int_equal(crawl_state_get_robots(f->st, "https://a.example:443", &got, &body), 0);
    assert_int_equal(
        crawl_state_put_robots(f->st, "https://a.example:443", &r, text, sizeof text - 1), 0);
    assert_int_equal(crawl_state_get_robots(f->st, "https://a.example:443", &got, &body), 1);
    assert_true(got.fetched_at_ns == 111 && got.expires_at_ns == 222);
    assert_int_equal(got.http_status, 200);
    assert_int_equal(got.body_len, sizeof text - 1);
    assert_int_equal(body.len, sizeof text - 1);
    assert_memory_equal(body.data, text, sizeof text - 1);
    /* Metadata only. */
    assert_int_equal(crawl_state_get_robots(f->st, "https://a.example:443", &got, NULL), 1);
    assert_int_equal(got.body_len, sizeof text - 1);

    /* Empty body (404 = allow all), NULL body pointer. */
    robots_record r404 = {.fetched_at_ns = 5, .expires_at_ns = 6, .http_status = 404};
    assert_int_equal(crawl_state_put_robots(f->st, "http://b.example:80", &r404, NULL, 0), 0);
    assert_int_equal(crawl_state_get_robots(f->st, "http://b.example:80", &got, &body), 1);
    assert_int_equal(got.http_status, 404);
    assert_int_equal(body.len, 0);

    /* The ceiling: exactly 500 KiB is fine, one byte more is refused. */
    char *big = malloc(CRAWL_STATE_ROBOTS_MAX + 1);
    assert_non_null(big);
    for (size_t i = 0; i <= CRAWL_STATE_ROBOTS_MAX; i++)
        big[i] = (char)('a' + i % 26);
    assert_int_equal(
        crawl_state_put_robots(f->st, "https://a.example:443", &r, big, CRAWL_STATE_ROBOTS_MAX + 1),
        FA_ETOOBIG);
    assert_int_equal(crawl_state_get_robots(f->st, "https://a.example:443", &got, &body), 1);
    assert_int_equal(body.len, sizeof text - 1); /* unchanged */
    assert_int_equal(
        crawl_state_put_robots(f->st, "https://a.example:443", &r, big, CRAWL_STATE_ROBOTS_MAX), 0);
    assert_int_equal(crawl_state_get_robots(f->st, "https://a.example:443", &got, &body), 1);
    assert_int_equal(body.len, CRAWL_STATE_ROBOTS_MAX);
    assert_memory_equal(body.data, big, CRAWL_STATE_ROBOTS_MAX);

    /* A caller's buffer with a smaller ceiling gets FA_ETOOBIG. */
    fa_buf small;
    fa_buf_init(&small, 1024);
    assert_int_equal(crawl_state_get_robots(f->st, "https://a.example:443", &got, &small),
                     FA_ETOOBIG);
    assert_int_equal(small.len, 0);
    fa_buf_free(&small);
    free(big);
    fa_buf_free(&body);
}

static void backoff_and_kv(void **state)
{
    fixture *f = *state;
    backoff_record b = {.backoff_until_ns = 1795448220LL * 1000000000LL,
                        .consecutive_errors = 3,
                        .retry_after_until_ns = 1795448280LL * 1000000000LL};
    backoff_record got;
    char val[64];

    assert_int_equal(crawl_state_get_backoff(f->st, "https://slow.example:443", &got), 0);
    assert_int_equal(crawl_state_put_backoff(f->st, "https://slow.example:443", &b), 0);
    assert_int_equal(crawl_state_get_backoff(f->st, "https://slow.example:443", &got), 1);
    assert_true(got.backoff_until_ns == b.backoff_until_ns);
    assert_int_equal(got.consecutive_errors, 3);
    assert_true(got.retry_after_until_ns == b.retry_after_until_ns);
    memset(&b, 0, sizeof b); /* cleared */
    assert_int_equal(crawl_state_put_backoff(f->st, "https://slow.example:443", &b), 0);
    assert_int_equal(crawl_state_get_backoff(f->st, "https://slow.example:443", &got), 1);
    assert_int_equal(got.consecutive_errors, 0);

    assert_int_equal(crawl_state_get_kv(f->st, "schema_version", val, sizeof val), 1);
    assert_string_equal(val, "1");
    assert_int_equal(crawl_state_put_kv(f->st, "schema_version", "2"), FA_EINVAL);
    assert_int_equal(crawl_state_get_kv(f->st, "crawl_id", val, sizeof val), 0);
    assert_string_equal(val, "");
    assert_int_equal(crawl_state_put_kv(f->st, "crawl_id", "run-1"), 0);
    assert_int_equal(crawl_state_put_kv(f->st, "crawl_id", "run-2"), 0);
    assert_int_equal(crawl_state_get_kv(f->st, "crawl_id", val, sizeof val), 1);
    assert_string_equal(val, "run-2");
    assert_int_equal(crawl_state_get_kv(f->st, "crawl_id", val, 5), FA_ETOOBIG);
    assert_string_equal(val, "");
    assert_int_equal(crawl_state_put_kv(f->st, "empty", ""), 0);
    assert_int_equal(crawl_state_get_kv(f->st, "empty", val, sizeof val), 1);
    assert_string_equal(val, "");
}

static void bad_arguments(void **state)
{
    fixture *f = *state;
    url_record r, got;
    source_record s;
    char *huge = malloc(CRAWL_STATE_URL_MAX + 1);
    assert_non_null(huge);
    memset(huge, 'x', CRAWL_STATE_URL_MAX);
    huge[CRAWL_STATE_URL_MAX] = '\0';

    fill_url(&r, 1, "a");
    assert_int_equal(crawl_state_put_url(NULL, "https://a/", &r), FA_EINVAL);
    assert_int_equal(crawl_state_put_url(f->st, NULL, &r), FA_EINVAL);
    assert_int_equal(crawl_state_put_url(f->st, "", &r), FA_EINVAL);
    assert_int_equal(crawl_state_put_url(f->st, "https://a/", NULL), FA_EINVAL);
    assert_int_equal(crawl_state_put_url(f->st, huge, &r), FA_ETOOBIG);
    assert_int_equal(crawl_state_get_url(f->st, huge, &got), FA_ETOOBIG);
    assert_int_equal(crawl_state_get_url(f->st, "https://a/", NULL), FA_EINVAL);
    r.kind = 0;
    assert_int_equal(crawl_state_put_url(f->st, "https://a/", &r), FA_EINVAL);
    assert_true(strstr(crawl_state_errmsg(f->st), "kind") != NULL);
    fill_url(&r, 1, "a");
    memset(r.etag, 'e', sizeof r.etag); /* no NUL */
    assert_int_equal(crawl_state_put_url(f->st, "https://a/", &r), FA_EINVAL);
    assert_int_equal(crawl_state_get_url(f->st, "https://a/", &got), 0);

    memset(&s, 0, sizeof s);
    assert_int_equal(crawl_state_put_source(f->st, &s), FA_EINVAL); /* no name */
    assert_int_equal(crawl_state_get_source(f->st, "", &s), FA_EINVAL);
    assert_int_equal(crawl_state_list_sources(f->st, NULL, NULL), FA_EINVAL);
    assert_int_equal(crawl_state_put_kv(f->st, "k", huge), FA_ETOOBIG);
    assert_int_equal(crawl_state_put_backoff(f->st, huge, &(backoff_record){0}), FA_ETOOBIG);

    assert_int_equal(crawl_state_commit(f->st), FA_EINVAL);
    assert_int_equal(crawl_state_rollback(f->st), FA_EINVAL);
    assert_int_equal(crawl_state_begin(f->st), 0);
    assert_int_equal(crawl_state_begin(f->st), FA_EINVAL);
    assert_int_equal(crawl_state_in_transaction(f->st), 1);
    assert_int_equal(crawl_state_commit(f->st), 0);
    assert_int_equal(crawl_state_in_transaction(f->st), 0);
    crawl_state_close(NULL); /* harmless */
    assert_string_equal(crawl_state_backend_name(f->st), f->be->name);
    free(huge);
}

static void transactions(void **state)
{
    fixture *f = *state;
    source_record s, got;

    for (int i = 0; i < 10; i++)
        assert_int_equal(put_url_i(f->st, i, "before"), 0);
    fill_source(&s, "src", 1);
    assert_int_equal(crawl_state_put_source(f->st, &s), 0);

    /* Rolled back: new records vanish, overwritten ones come back -
     * including a key written twice in the same transaction. */
    assert_int_equal(crawl_state_begin(f->st), 0);
    for (int i = 5; i < 15; i++)
        assert_int_equal(put_url_i(f->st, i, "txn"), 0);
    assert_int_equal(put_url_i(f->st, 5, "txn-again"), 0);
    expect_url(f->st, 5, "txn-again"); /* visible inside the transaction */
    expect_url(f->st, 12, "txn");
    fill_source(&s, "src", 2);
    assert_int_equal(crawl_state_put_source(f->st, &s), 0);
    assert_int_equal(crawl_state_put_kv(f->st, "k", "v"), 0);
    assert_int_equal(crawl_state_put_backoff(f->st, "https://h:443", &(backoff_record){1, 2, 3}),
                     0);
    assert_int_equal(crawl_state_rollback(f->st), 0);
    for (int i = 0; i < 10; i++)
        expect_url(f->st, i, "before");
    for (int i = 10; i < 15; i++)
        expect_no_url(f->st, i);
    fill_source(&s, "src", 1);
    assert_int_equal(crawl_state_get_source(f->st, "src", &got), 1);
    assert_source_equal(&got, &s);
    char v[8];
    assert_int_equal(crawl_state_get_kv(f->st, "k", v, sizeof v), 0);
    backoff_record b;
    assert_int_equal(crawl_state_get_backoff(f->st, "https://h:443", &b), 0);

    /* Committed in batches of 100. */
    for (int batch = 0; batch < 5; batch++) {
        assert_int_equal(crawl_state_begin(f->st), 0);
        for (int i = 0; i < 100; i++)
            assert_int_equal(put_url_i(f->st, 1000 + batch * 100 + i, "batched"), 0);
        assert_int_equal(crawl_state_commit(f->st), 0);
    }
    for (int i = 1000; i < 1500; i++)
        expect_url(f->st, i, "batched");

    if (f->be->persistent) {
        /* Close with a transaction open: rolled back. */
        assert_int_equal(crawl_state_begin(f->st), 0);
        assert_int_equal(put_url_i(f->st, 0, "never"), 0);
        assert_int_equal(put_url_i(f->st, 5000, "never"), 0);
        reopen(f);
        expect_url(f->st, 0, "before");
        expect_no_url(f->st, 5000);
        expect_url(f->st, 1499, "batched");
    }
}

static void throughput(void **state)
{
    fixture *f = *state;
    enum { N = 100000, BATCH = 1000 };
    uint64_t t0 = fa_time_mono_ns();
    for (int b = 0; b < N / BATCH; b++) {
        assert_int_equal(crawl_state_begin(f->st), 0);
        for (int i = 0; i < BATCH; i++)
            assert_int_equal(put_url_i(f->st, b * BATCH + i, "bulk"), 0);
        assert_int_equal(crawl_state_commit(f->st), 0);
    }
    uint64_t t1 = fa_time_mono_ns();
    url_record r;
    char url[128];
    for (int i = 0; i < N; i++) {
        make_url(url, sizeof url, (int)(((uint64_t)i * 7919u) % N));
        assert_int_equal(crawl_state_get_url(f->st, url, &r), 1);
    }
    uint64_t t2 = fa_time_mono_ns();
    expect_url(f->st, N - 1, "bulk");
    printf("[ %s ] %d url puts in batches of %d: %.0f puts/s; %d gets: %.0f gets/s\n", f->be->name,
           N, BATCH, N / ((double)(t1 - t0) / 1e9), N, N / ((double)(t2 - t1) / 1e9));
}

/* crawl_state_checkpoint: refused inside a transaction, a no-op or a copy
 * of the journal outside one - for SQLite the WAL's pages reach the
 * database file itself, which grows - and nothing read changes. */
static void checkpoint(void **state)
{
    fixture *f = *state;
    assert_int_equal(crawl_state_checkpoint(NULL), FA_EINVAL);
    assert_int_equal(crawl_state_begin(f->st), 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(put_url_i(f->st, i, "ckpt"), 0);
    assert_int_equal(crawl_state_checkpoint(f->st), FA_EINVAL); /* inside the transaction */
    assert_int_equal(crawl_state_commit(f->st), 0);
    char path[512];
    struct stat before, after;
    snprintf(path, sizeof path, "%s/%s", f->dir, CRAWL_STATE_SQLITE_FILE);
    if (f->be->sqlite) assert_int_equal(stat(path, &before), 0);
    assert_int_equal(crawl_state_checkpoint(f->st), 0);
    if (f->be->sqlite) {
        assert_int_equal(stat(path, &after), 0);
        assert_true(after.st_size > before.st_size + 64 * 1024);
    }
    assert_int_equal(crawl_state_checkpoint(f->st), 0); /* nothing left: still 0 */
    for (int i = 0; i < 1000; i += 97)
        expect_url(f->st, i, "ckpt");
    if (!f->be->persistent) return;
    reopen(f);
    for (int i = 0; i < 1000; i += 97)
        expect_url(f->st, i, "ckpt");
}

/* ---- persistent backends ---- */

static void persistence(void **state)
{
    fixture *f = *state;
    source_record s, sg;
    robots_record rr = {.fetched_at_ns = 1, .expires_at_ns = 2, .http_status = 200}, rg;
    backoff_record b = {.backoff_until_ns = 10, .consecutive_errors = 2}, bg;
    fa_buf body;
    char v[32];

    if (!f->be->persistent) skip();
    for (int i = 0; i < 100; i++)
        assert_int_equal(put_url_i(f->st, i, "kept"), 0);
    fill_source(&s, "kept-source", 3);
    assert_int_equal(crawl_state_put_source(f->st, &s), 0);
    assert_int_equal(crawl_state_put_robots(f->st, "https://r:443", &rr, "Disallow: /\n", 12), 0);
    assert_int_equal(crawl_state_put_backoff(f->st, "https://r:443", &b), 0);
    assert_int_equal(crawl_state_put_kv(f->st, "crawl_id", "c-7"), 0);
    reopen(f);
    for (int i = 0; i < 100; i++)
        expect_url(f->st, i, "kept");
    assert_int_equal(crawl_state_get_source(f->st, "kept-source", &sg), 1);
    assert_source_equal(&sg, &s);
    fa_buf_init(&body, CRAWL_STATE_ROBOTS_MAX);
    assert_int_equal(crawl_state_get_robots(f->st, "https://r:443", &rg, &body), 1);
    assert_int_equal(body.len, 12);
    assert_memory_equal(body.data, "Disallow: /\n", 12);
    fa_buf_free(&body);
    assert_int_equal(crawl_state_get_backoff(f->st, "https://r:443", &bg), 1);
    assert_int_equal(bg.consecutive_errors, 2);
    assert_int_equal(crawl_state_get_kv(f->st, "crawl_id", v, sizeof v), 1);
    assert_string_equal(v, "c-7");
    assert_int_equal(crawl_state_get_kv(f->st, "schema_version", v, sizeof v), 1);
    assert_string_equal(v, "1");

    /* The files are where the header says. */
    if (!f->be->sqlite) return;
    char path[512];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", f->dir, CRAWL_STATE_SQLITE_FILE);
    assert_int_equal(stat(path, &sb), 0);
    snprintf(path, sizeof path, "%s/%s", f->dir, CRAWL_STATE_LOCK_FILE);
    assert_int_equal(stat(path, &sb), 0);
}

/* Forks a child that opens the state, commits batch "committed" (urls
 * 0..99), begins another transaction overwriting url 0 and adding 100..199,
 * and dies without commit: by SIGKILL, or by _exit(0). */
static void crash_child(const backend *be, const char *dir, int by_kill)
{
    crawl_state *c = NULL;
    char err[512];
    source_record s;
    if (be->open(dir, &c, err, sizeof err) < 0) _exit(10);
    if (crawl_state_begin(c) < 0) _exit(11);
    for (int i = 0; i < 100; i++)
        if (put_url_i(c, i, "committed") < 0) _exit(12);
    if (crawl_state_commit(c) < 0) _exit(13);
    if (crawl_state_begin(c) < 0) _exit(14);
    for (int i = 0; i < 200; i++)
        if (put_url_i(c, i, "in-flight") < 0) _exit(15);
    fill_source(&s, "in-flight", 1);
    if (crawl_state_put_source(c, &s) < 0 || crawl_state_put_kv(c, "crawl_id", "lost") < 0)
        _exit(16);
    if (by_kill) kill(getpid(), SIGKILL);
    _exit(0); /* no close, no commit */
}

static void crash_without_commit(void **state)
{
    fixture *f = *state;
    if (!f->be->persistent) skip();
    for (int by_kill = 1; by_kill >= 0; by_kill--) {
        crawl_state_close(f->st); /* the child needs the lock */
        f->st = NULL;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) crash_child(f->be, f->dir, by_kill);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (by_kill)
            assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        else
            assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        reopen(f);
        for (int i = 0; i < 100; i++)
            expect_url(f->st, i, "committed");
        for (int i = 100; i < 200; i++)
            expect_no_url(f->st, i);
        source_record s;
        char v[16];
        assert_int_equal(crawl_state_get_source(f->st, "in-flight", &s), 0);
        assert_int_equal(crawl_state_get_kv(f->st, "crawl_id", v, sizeof v), 0);
    }
}

/* kill -9 at random moments of a child that commits batches back to back:
 * every batch the state says was committed is whole, no later one is seen
 * at all. */
static void kill9_at_random_moments(void **state)
{
    fixture *f = *state;
    enum { BATCH = 200 };
    if (!f->be->persistent) skip();
    crawl_state_close(f->st);
    f->st = NULL;
    srand((unsigned)time(NULL));
    for (int round = 0; round < 6; round++) {
        char err[512], v[32];
        int done_before = 0;
        /* Where the previous round stopped: the child continues from there. */
        {
            crawl_state *p = NULL;
            if (f->be->open(f->dir, &p, err, sizeof err) < 0) fail_msg("open: %s", err);
            if (crawl_state_get_kv(p, "batches", v, sizeof v) == 1)
                done_before = (int)strtol(v, NULL, 10);
            crawl_state_close(p);
        }
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            crawl_state *c = NULL;
            if (f->be->open(f->dir, &c, err, sizeof err) < 0) _exit(10);
            for (int b = done_before;; b++) {
                char tag[16], n[16];
                snprintf(tag, sizeof tag, "b%d", b);
                snprintf(n, sizeof n, "%d", b + 1);
                if (crawl_state_begin(c) < 0) _exit(11);
                for (int i = 0; i < BATCH; i++)
                    if (put_url_i(c, b * BATCH + i, tag) < 0) _exit(12);
                if (crawl_state_put_kv(c, "batches", n) < 0 || crawl_state_commit(c) < 0) _exit(13);
            }
        }
        struct timespec ts = {0, (long)(20 + rand() % 80) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));

        reopen(f);
        int batches = 0;
        if (crawl_state_get_kv(f->st, "batches", v, sizeof v) == 1)
            batches = (int)strtol(v, NULL, 10);
        assert_true(batches >= done_before);
        for (int b = 0; b < batches; b++) {
            char tag[16];
            snprintf(tag, sizeof tag, "b%d", b);
            expect_url(f->st, b * BATCH, tag);
            expect_url(f->st, b * BATCH + BATCH - 1, tag);
        }
        expect_no_url(f->st, batches * BATCH);
        expect_no_url(f->st, batches * BATCH + BATCH - 1);
        printf("[ %s ] kill -9 round %d: %d batches committed, state consistent\n", f->be->name,
               round, batches);
        crawl_state_close(f->st);
        f->st = NULL;
    }
}

static void lock_held(void **state)
{
    fixture *f = *state;
    crawl_state *second = NULL;
    char err[512], want[64];
    if (!f->be->sqlite) skip();

    /* The same process, a second open. */
    assert_int_equal(crawl_state_open_sqlite(f->dir, &second, err, sizeof err), FA_EACCES);
    assert_null(second);
    snprintf(want, sizeof want, "locked by another feedarc (pid %ld)", (long)getpid());
    assert_non_null(strstr(err, want));

    /* Another process. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        crawl_state *c = NULL;
        char e[512];
        int rc = crawl_state_open_sqlite(f->dir, &c, e, sizeof e);
        _exit(rc == FA_EACCES && strstr(e, want) ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    printf("[ sqlite ] second open: %s\n", err);

    /* A holder killed by SIGKILL leaves no stale lock. */
    crawl_state_close(f->st);
    f->st = NULL;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        crawl_state *c = NULL;
        char e[512];
        close(fds[0]);
        if (crawl_state_open_sqlite(f->dir, &c, e, sizeof e) < 0) _exit(1);
        if (write(fds[1], "k", 1) != 1) _exit(2);
        pause();
        _exit(0);
    }
    close(fds[1]);
    char ch;
    assert_int_equal(read(fds[0], &ch, 1), 1);
    close(fds[0]);
    snprintf(want, sizeof want, "(pid %ld)", (long)pid);
    assert_int_equal(crawl_state_open_sqlite(f->dir, &second, err, sizeof err), FA_EACCES);
    assert_non_null(strstr(err, want));
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    reopen(f);
    assert_non_null(f->st);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* Opening dir must fail with code and a message containing what; the
 * database file must be byte-for-byte as before. */
static void expect_refused(const char *dir, int code, const char *what)
{
    char path[512], err[512];
    crawl_state *st = NULL;
    struct stat before, after;
    snprintf(path, sizeof path, "%s/%s", dir, CRAWL_STATE_SQLITE_FILE);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char a[65536], b[65536];
    size_t na = fread(a, 1, sizeof a, fp);
    fclose(fp);
    assert_int_equal(stat(path, &before), 0);

    assert_int_equal(crawl_state_open_sqlite(dir, &st, err, sizeof err), code);
    assert_null(st);
    if (!strstr(err, what)) fail_msg("message \"%s\" lacks \"%s\"", err, what);
    printf("[ sqlite ] refused: %s\n", err);

    fp = fopen(path, "rb");
    assert_non_null(fp);
    size_t nb = fread(b, 1, sizeof b, fp);
    fclose(fp);
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    assert_true(before.st_size == after.st_size);
    assert_true(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
                before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
}

static void corrupt_or_foreign_file(void **state)
{
    fixture *f = *state;
    char path[512];
    if (!f->be->sqlite) skip();
    crawl_state_close(f->st);
    f->st = NULL;
    snprintf(path, sizeof path, "%s/%s", f->dir, CRAWL_STATE_SQLITE_FILE);
    char wal[600], shm[600];
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);

    /* 1. Not SQLite at all. */
    char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 131 + 7);
    memcpy(junk, "WARC/1.1\r\n", 10); /* NOLINT(bugprone-not-null-terminated-result) */
    write_file(path, junk, sizeof junk);
    expect_refused(f->dir, FA_ECORRUPT, "not an SQLite database");

    /* 2. SQLite's magic, garbage behind it. */
    memcpy(junk, "SQLite format 3", 16);
    write_file(path, junk, sizeof junk);
    expect_refused(f->dir, FA_ECORRUPT, "left untouched");
    assert_int_equal(access(wal, F_OK), -1); /* no WAL created beside it */

    /* 3. A real SQLite database of someone else. */
    unlink(path);
    unlink(shm);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    expect_refused(f->dir, FA_ECORRUPT, "not a feedarc state");

    /* 4. A feedarc state from a newer feedarc. */
    unlink(path);
    reopen(f);
    assert_int_equal(put_url_i(f->st, 1, "x"), 0);
    crawl_state_close(f->st);
    f->st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE kv SET value = '99' WHERE key = 'schema_version'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    expect_refused(f->dir, FA_EINVAL, "newer than this feedarc supports");
}

static void folder_is_a_file(void **state)
{
    fixture *f = *state;
    char path[512], err[512];
    crawl_state *st = NULL;
    if (!f->be->sqlite) skip();
    snprintf(path, sizeof path, "%s/plain-file", f->root);
    write_file(path, "x", 1);
    assert_true(crawl_state_open_sqlite(path, &st, err, sizeof err) < 0);
    assert_null(st);
    assert_true(err[0] != '\0');
    snprintf(path, sizeof path, "%s/a/b/c", f->root); /* parents created */
    assert_int_equal(crawl_state_open_sqlite(path, &st, err, sizeof err), 0);
    crawl_state_close(st);
}

#define STATE_TESTS(be)                                                                            \
    cmocka_unit_test_prestate_setup_teardown(url_round_trip, setup, teardown, (void *)(be)),       \
        cmocka_unit_test_prestate_setup_teardown(url_overwrite, setup, teardown, (void *)(be)),    \
        cmocka_unit_test_prestate_setup_teardown(sources, setup, teardown, (void *)(be)),          \
        cmocka_unit_test_prestate_setup_teardown(robots, setup, teardown, (void *)(be)),           \
        cmocka_unit_test_prestate_setup_teardown(backoff_and_kv, setup, teardown, (void *)(be)),   \
        cmocka_unit_test_prestate_setup_teardown(bad_arguments, setup, teardown, (void *)(be)),    \
        cmocka_unit_test_prestate_setup_teardown(transactions, setup, teardown, (void *)(be)),     \
        cmocka_unit_test_prestate_setup_teardown(checkpoint, setup, teardown, (void *)(be)),       \
        cmocka_unit_test_prestate_setup_teardown(persistence, setup, teardown, (void *)(be)),      \
        cmocka_unit_test_prestate_setup_teardown(crash_without_commit, setup, teardown,            \
                                                 (void *)(be)),                                    \
        cmocka_unit_test_prestate_setup_teardown(kill9_at_random_moments, setup, teardown,         \
                                                 (void *)(be)),                                    \
        cmocka_unit_test_prestate_setup_teardown(lock_held, setup, teardown, (void *)(be)),        \
        cmocka_unit_test_prestate_setup_teardown(corrupt_or_foreign_file, setup, teardown,         \
                                                 (void *)(be)),                                    \
        cmocka_unit_test_prestate_setup_teardown(folder_is_a_file, setup, teardown, (void *)(be)), \
        cmocka_unit_test_prestate_setup_teardown(throughput, setup, teardown, (void *)(be))

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {STATE_TESTS(&backends[0])};
    const struct CMUnitTest memory_tests[] = {STATE_TESTS(&backends[1])};
    const struct CMUnitTest redis_tests[] = {STATE_TESTS(&backends[2])};
    int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("memory", memory_tests, NULL, NULL);
    if (redis_test_binary() == NULL) {
        printf("[ redis ] SKIPPED: redis-server is not installed (Debian: redis-server, in "
               "deploy/debian-packages.txt)\n");
    } else if (redis_test_start(&redis_srv, NULL) < 0) {
        failed++;
    } else {
        failed += cmocka_run_group_tests_name("redis", redis_tests, NULL, NULL);
        redis_test_stop(&redis_srv);
    }
    return failed ? 1 : 0;
}
