/* test_state_redis.c - what only the Redis backend of crawl_state has
 * (test_state.c runs the common suite on it): two nodes' handles on one
 * prefix share the state and see each other's commits, not each other's
 * open transactions; different prefixes do not meet; worker threads share a
 * handle; Redis stopped mid-crawl makes calls fail with FA_EIO (a commit
 * lost whole) and the handle works again once Redis is back; AUTH with the
 * password beside the URL; a foreign schema_version and bad prefixes are
 * refused; a record of any kind that does not decode (or does not fit)
 * fails the same way, with a message naming its kind and key.  Against a
 * real redis-server; exits 77 without one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "redis/redis_test_util.h"
#include "storage/state/crawl_state.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static redis_test_server srv;

static void put(crawl_state *st, const char *url, const char *etag)
{
    url_record r = {.kind = URL_KIND_PAGE, .http_status = 200};
    snprintf(r.etag, sizeof r.etag, "%s", etag);
    assert_int_equal(crawl_state_put_url(st, url, &r), 0);
}

static int etag_of(crawl_state *st, const char *url, char *out, size_t cap)
{
    url_record r;
    int rc = crawl_state_get_url(st, url, &r);
    snprintf(out, cap, "%.60s", rc == 1 ? r.etag : "");
    return rc;
}

static void two_nodes_share(void **state)
{
    (void)state;
    crawl_state *a, *b, *other;
    char err[256], e[64];
    assert_int_equal(crawl_state_open_redis(srv.url, NULL, "share:", &a, err, sizeof err), 0);
    assert_int_equal(crawl_state_open_redis(srv.url, NULL, "share:", &b, err, sizeof err), 0);
    assert_int_equal(crawl_state_open_redis(srv.url, NULL, "other:", &other, err, sizeof err), 0);
    assert_string_equal(crawl_state_backend_name(a), "redis");

    assert_int_equal(crawl_state_begin(a), 0);
    put(a, "https://x/1", "\"a1\"");
    assert_int_equal(etag_of(a, "https://x/1", e, sizeof e), 1); /* a sees its own */
    assert_int_equal(etag_of(b, "https://x/1", e, sizeof e), 0); /* b does not, yet */
    assert_int_equal(crawl_state_commit(a), 0);
    assert_int_equal(etag_of(b, "https://x/1", e, sizeof e), 1);
    assert_string_equal(e, "\"a1\"");
    assert_int_equal(etag_of(other, "https://x/1", e, sizeof e), 0);
    /* b overwrites; a reads b's */
    put(b, "https://x/1", "\"b1\"");
    assert_int_equal(etag_of(a, "https://x/1", e, sizeof e), 1);
    assert_string_equal(e, "\"b1\"");
    /* the record is one hash under the prefix, as documented */
    char *v = redis_test_str(&srv, "HGET share:url:https://x/1 e");
    assert_string_equal(v, "\"b1\"");
    free(v);
    assert_int_equal(redis_test_int(&srv, "HLEN share:url:https://x/1"), 3); /* k, e, h */
    crawl_state_close(a);
    crawl_state_close(b);
    crawl_state_close(other);
}

typedef struct worker {
    crawl_state *st;
    int id;
    int failures;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    char url[64];
    for (int b = 0; b < 20; b++) {
        /* each thread its own single puts (no shared transaction) */
        for (int i = 0; i < 10; i++) {
            url_record r = {.kind = URL_KIND_PAGE, .fetch_count = (uint64_t)(b * 10 + i)};
            snprintf(url, sizeof url, "https://t%d/%d", w->id, b * 10 + i);
            if (crawl_state_put_url(w->st, url, &r) < 0) w->failures++;
        }
    }
    return NULL;
}

static void worker_threads(void **state)
{
    (void)state;
    crawl_state *st;
    char err[256];
    assert_int_equal(crawl_state_open_redis(srv.url, NULL, "threads:", &st, err, sizeof err), 0);
    pthread_t th[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){st, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    url_record r;
    for (int t = 0; t < 4; t++)
        for (int i = 0; i < 200; i += 37) {
            char url[64];
            snprintf(url, sizeof url, "https://t%d/%d", t, i);
            assert_int_equal(crawl_state_get_url(st, url, &r), 1);
            assert_true(r.fetch_count == (uint64_t)i);
        }
    crawl_state_close(st);
}

static void outage(void **state)
{
    (void)state;
    crawl_state *st;
    char err[256], e[64];
    assert_int_equal(crawl_state_open_redis(srv.url, NULL, "outage:", &st, err, sizeof err), 0);
    put(st, "https://o/kept", "\"k\"");
    redis_test_halt(&srv);
    /* Redis is gone: a transaction's puts are kept locally, its commit fails */
    assert_int_equal(crawl_state_begin(st), 0);
    put(st, "https://o/lost", "\"l\"");
    assert_int_equal(crawl_state_commit(st), FA_EIO);
    assert_non_null(strstr(crawl_state_errmsg(st), "redis"));
    assert_int_equal(crawl_state_in_transaction(st), 0);
    assert_int_equal(etag_of(st, "https://o/kept", e, sizeof e), FA_EIO);
    /* it comes back (with its data: the test server saves nothing, so a
     * restart is a fresh Redis - the schema key is written again on use) */
    assert_int_equal(redis_test_restart(&srv), 0);
    assert_int_equal(etag_of(st, "https://o/lost", e, sizeof e), 0);
    put(st, "https://o/after", "\"a\"");
    assert_int_equal(etag_of(st, "https://o/after", e, sizeof e), 1);
    crawl_state_close(st);
}

static void refusals(void **state)
{
    (void)state;
    crawl_state *st = NULL;
    char err[256];
    assert_int_equal(crawl_state_open_redis(srv.url, NULL, "", &st, err, sizeof err), FA_EINVAL);
    assert_int_equal(crawl_state_open_redis(srv.url, NULL, "a b", &st, err, sizeof err), FA_EINVAL);
    assert_int_equal(
        crawl_state_open_redis("rediss://127.0.0.1:1/0", NULL, NULL, &st, err, sizeof err),
        FA_EINVAL);
    assert_non_null(strstr(err, "hiredis >= 1.0"));
    assert_null(st);
    /* a state written by a newer feedarc (or not feedarc's) */
    assert_int_equal(redis_test_int(&srv, "HSET newer:kv schema_version 2"), 1);
    assert_int_equal(crawl_state_open_redis(srv.url, NULL, "newer:", &st, err, sizeof err),
                     FA_EINVAL);
    assert_non_null(strstr(err, "schema_version is 2"));
    /* nobody listening */
    assert_int_equal(
        crawl_state_open_redis("redis://127.0.0.1:1/0", NULL, NULL, &st, err, sizeof err), FA_EIO);
    assert_non_null(strstr(err, "cannot connect"));
}

static void password(void **state)
{
    (void)state;
    redis_test_server locked;
    crawl_state *st = NULL;
    char err[256];
    assert_int_equal(redis_test_start(&locked, "pw-123"), 0);
    assert_int_equal(crawl_state_open_redis(locked.url, NULL, NULL, &st, err, sizeof err), FA_EIO);
    assert_null(st);
    assert_int_equal(crawl_state_open_redis(locked.url, "wrong", NULL, &st, err, sizeof err),
                     FA_EIO);
    assert_non_null(strstr(err, "AUTH refused"));
    assert_null(strstr(err, "wrong"));
    assert_int_equal(crawl_state_open_redis(locked.url, "pw-123", NULL, &st, err, sizeof err), 0);
    put(st, "https://p/1", "\"p\"");
    crawl_state_close(st);
    redis_test_stop(&locked);
}

/* The message after a failed get names the kind and the record. */
static void assert_errmsg(crawl_state *st, const char *want)
{
    const char *m = crawl_state_errmsg(st);
    if (strstr(m, want) == NULL) fail_msg("message \"%s\", wanted \"%s\"", m, want);
}

static void undecodable_records(void **state)
{
    (void)state;
    crawl_state *st;
    char err[256];
    assert_int_equal(crawl_state_open_redis(srv.url, NULL, "bad:", &st, err, sizeof err), 0);
    /* written by hand: a number field that is no number, per kind */
    assert_int_equal(redis_test_int(&srv, "HSET bad:url:https://x/1 k notanumber"), 1);
    assert_int_equal(redis_test_int(&srv, "HSET bad:source:s1 a notanumber"), 1);
    assert_int_equal(redis_test_int(&srv, "HSET bad:robots:https://h:443 f notanumber"), 1);
    assert_int_equal(redis_test_int(&srv, "HSET bad:backoff:https://h:443 u notanumber"), 1);
    url_record u;
    source_record s;
    robots_record r;
    backoff_record b;
    assert_int_equal(crawl_state_get_url(st, "https://x/1", &u), FA_ECORRUPT);
    assert_errmsg(st, "redis: url record of https://x/1: a field does not decode");
    assert_int_equal(crawl_state_get_source(st, "s1", &s), FA_ECORRUPT);
    assert_errmsg(st, "redis: source record of s1: a field does not decode");
    assert_int_equal(crawl_state_get_robots(st, "https://h:443", &r, NULL), FA_ECORRUPT);
    assert_errmsg(st, "redis: robots.txt record of https://h:443: a field does not decode");
    assert_int_equal(crawl_state_get_backoff(st, "https://h:443", &b), FA_ECORRUPT);
    assert_errmsg(st, "redis: backoff record of https://h:443: a field does not decode");

    /* a robots.txt body past the caller's buffer, committed or still in the
     * open transaction: the same failure either way */
    robots_record rr = {.http_status = 200};
    static const char body[] = "User-agent: *\nDisallow: /private/\n";
    fa_buf small;
    fa_buf_init(&small, 8);
    assert_int_equal(crawl_state_put_robots(st, "https://ok:443", &rr, body, sizeof body - 1), 0);
    assert_int_equal(crawl_state_get_robots(st, "https://ok:443", &r, &small), FA_ETOOBIG);
    assert_errmsg(st,
                  "redis: robots.txt record of https://ok:443: too large for the caller's buffer");
    assert_int_equal(crawl_state_begin(st), 0);
    assert_int_equal(crawl_state_put_robots(st, "https://tx:443", &rr, body, sizeof body - 1), 0);
    assert_int_equal(crawl_state_get_robots(st, "https://tx:443", &r, &small), FA_ETOOBIG);
    assert_errmsg(st,
                  "redis: robots.txt record of https://tx:443: too large for the caller's buffer");
    assert_int_equal(crawl_state_rollback(st), 0);
    fa_buf_free(&small);
    /* and a good one still reads */
    assert_int_equal(crawl_state_get_robots(st, "https://ok:443", &r, NULL), 1);
    assert_int_equal(r.body_len, sizeof body - 1);
    crawl_state_close(st);
}

int main(void)
{
    redis_test_require();
    if (redis_test_start(&srv, NULL) < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_nodes_share), cmocka_unit_test(worker_threads),
        cmocka_unit_test(refusals),        cmocka_unit_test(password),
        cmocka_unit_test(outage),          cmocka_unit_test(undecodable_records),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    redis_test_stop(&srv);
    return failed ? 1 : 0;
}
