/* test_redis_conn.c - common/fa_redis_url, fa_redis (async on libuv) and
 * fa_redis_sync against a real redis-server on loopback: connect, AUTH,
 * SELECT, commands, a Redis killed and restarted (unready, then ready again
 * by itself), a frozen Redis (SIGSTOP: the command times out, the
 * connection is remade), close from inside a callback.  Exits 77 without
 * redis-server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "common/fa_redis.h"
#include "common/fa_redis_url.h"
#include "common/fa_time.h"
#include "redis/redis_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- URLs (no server needed) ---- */

static void url_parsing(void **state)
{
    (void)state;
    fa_redis_url u;
    char why[160], pub[256];
    assert_int_equal(fa_redis_url_parse("redis://127.0.0.1", &u, why, sizeof why), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 0);
    assert_int_equal(u.tls, 0);
    assert_int_equal(
        fa_redis_url_parse("redis://us%65r:p%40ss:w@[::1]:7000/3", &u, why, sizeof why), 0);
    assert_string_equal(u.user, "user");
    assert_string_equal(u.password, "p@ss:w");
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 7000);
    assert_int_equal(u.db, 3);
    assert_int_equal(fa_redis_url_format_public(&u, pub, sizeof pub), 0);
    assert_string_equal(pub, "redis://user@[::1]:7000/3");
    assert_int_equal(fa_redis_url_parse(pub, &u, why, sizeof why), 0);
    assert_string_equal(u.password, "");
    assert_int_equal(fa_redis_url_parse("redis://:pw@h/", &u, why, sizeof why), 0);
    assert_string_equal(u.user, "");
    assert_string_equal(u.password, "pw");
    assert_int_equal(fa_redis_url_parse("rediss://h:6380/1", &u, why, sizeof why), 0);
    assert_int_equal(u.tls, 1);

    static const char *const bad[] = {
        "",
        "http://h",
        "redis://",
        "redis://:6379",
        "redis://h:0",
        "redis://h:65536",
        "redis://h:12x",
        "redis://h/abc",
        "redis://h/1?x=1",
        "redis://h#f",
        "redis://a b",
        "redis://[::1",
        "redis://u:@h",
        "redis://@h",
        "redis://u:p%4@h",
        "redis://u:p%00@h",
        "redis://h/1000001",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (fa_redis_url_parse(bad[i], &u, why, sizeof why) != FA_EINVAL)
            fail_msg("accepted %s", bad[i]);
        assert_true(why[0] != '\0');
    }
    /* the password never appears in a message */
    assert_int_equal(fa_redis_url_parse("redis://u:hunter2@h:99999", &u, why, sizeof why),
                     FA_EINVAL);
    assert_null(strstr(why, "hunter2"));
}

/* ---- the async connection ---- */

typedef struct watch {
    int ready, changes, replies, failures;
    char why[256];
    char last[256];
    fa_redis *r;
    int closed;
} watch;

static void on_state(fa_redis *r, void *ud, int ready, const char *why)
{
    watch *w = ud;
    (void)r;
    w->ready = ready;
    w->changes++;
    snprintf(w->why, sizeof w->why, "%s", why);
}

static void on_reply(fa_redis *r, void *ud, redisReply *reply, const char *err)
{
    watch *w = ud;
    (void)r;
    if (reply != NULL) {
        w->replies++;
        snprintf(w->last, sizeof w->last, "%.*s", reply->str ? (int)reply->len : 0,
                 reply->str ? reply->str : "");
        if (reply->type == REDIS_REPLY_INTEGER)
            snprintf(w->last, sizeof w->last, "%lld", reply->integer);
    } else {
        assert_non_null(err);
        w->failures++;
        snprintf(w->last, sizeof w->last, "ERR:%s", err);
    }
}

static void on_closed(void *ud)
{
    ((watch *)ud)->closed = 1;
}

/* Runs the loop until *flag is non-zero (or want) or ms pass; returns 1 if
 * it came. */
static int run_until(uv_loop_t *loop, int *flag, int want, int ms)
{
    uint64_t end = fa_time_mono_ns() + (uint64_t)ms * 1000000u;
    while (*flag != want && fa_time_mono_ns() < end)
        uv_run(loop, UV_RUN_ONCE);
    return *flag == want;
}

static int tick_cb_fired;
static void tick_cb(uv_timer_t *t)
{
    (void)t;
    tick_cb_fired = 1;
}

/* Keeps the loop from blocking forever while waiting for a flag. */
static void start_tick(uv_loop_t *loop, uv_timer_t *t)
{
    uv_timer_init(loop, t);
    uv_timer_start(t, tick_cb, 20, 20);
}

static void finish(uv_loop_t *loop, uv_timer_t *tick, fa_redis *r, watch *w)
{
    fa_redis_close(r, on_closed, w);
    uv_close((uv_handle_t *)tick, NULL);
    while (uv_run(loop, UV_RUN_DEFAULT) != 0) {
    }
    assert_int_equal(w->closed, 1);
    assert_int_equal(uv_loop_close(loop), 0);
}

static void set_get(fa_redis *r, watch *w, uv_loop_t *loop, const char *k, const char *v)
{
    const char *set[] = {"SET", k, v};
    const char *get[] = {"GET", k};
    int n = w->replies;
    assert_int_equal(fa_redis_command(r, on_reply, w, 3, set, NULL), 0);
    assert_int_equal(fa_redis_command(r, on_reply, w, 2, get, NULL), 0);
    int want = n + 2;
    assert_true(run_until(loop, &w->replies, want, 5000));
    assert_string_equal(w->last, v);
}

static void async_basics(void **state)
{
    (void)state;
    redis_test_server srv;
    assert_int_equal(redis_test_start(&srv, NULL), 0);
    uv_loop_t loop;
    uv_timer_t tick;
    uv_loop_init(&loop);
    start_tick(&loop, &tick);
    watch w = {0};
    fa_redis_options o = {.url = srv.url, .on_state = on_state, .ud = &w};
    char err[256];
    assert_int_equal(fa_redis_open(&loop, &o, &w.r, err, sizeof err), 0);
    /* not ready yet: refused at once, nothing queued */
    const char *ping[] = {"PING"};
    assert_int_equal(fa_redis_command(w.r, on_reply, &w, 1, ping, NULL), FA_EIO);
    assert_true(run_until(&loop, &w.ready, 1, 5000));
    assert_int_equal(w.changes, 1);
    set_get(w.r, &w, &loop, "k", "v1");
    /* binary values with explicit lengths */
    const char *bin[] = {"SET", "b", "a\0b"};
    size_t lens[] = {3, 1, 3};
    assert_int_equal(fa_redis_command(w.r, on_reply, &w, 3, bin, lens), 0);
    assert_true(run_until(&loop, &w.replies, 3, 5000));
    assert_int_equal(redis_test_int(&srv, "STRLEN b"), 3);
    /* an error reply is a reply */
    const char *bad[] = {"INCR", "k"};
    assert_int_equal(fa_redis_command(w.r, on_reply, &w, 2, bad, NULL), 0);
    assert_true(run_until(&loop, &w.replies, 4, 5000));
    assert_non_null(strstr(w.last, "not an integer"));
    fa_redis_stats st;
    fa_redis_get_stats(w.r, &st);
    assert_true(st.commands == 4 && st.replies == 4 && st.failures == 0 && st.connects == 1);
    assert_true(st.bytes_sent > 40);
    finish(&loop, &tick, w.r, &w);
    redis_test_stop(&srv);

    /* rediss:// is refused with the reason */
    uv_loop_init(&loop);
    fa_redis *r = NULL;
    o.url = "rediss://127.0.0.1:1/0";
    assert_int_equal(fa_redis_open(&loop, &o, &r, err, sizeof err), FA_EINVAL);
    assert_non_null(strstr(err, "hiredis >= 1.0"));
    assert_null(r);
    uv_loop_close(&loop);
}

static void auth_and_select(void **state)
{
    (void)state;
    redis_test_server srv;
    assert_int_equal(redis_test_start(&srv, "s3cret"), 0);
    uv_loop_t loop;
    uv_timer_t tick;
    char url[160], err[256];

    /* a wrong password: never ready, the reason names AUTH */
    uv_loop_init(&loop);
    start_tick(&loop, &tick);
    watch w = {0};
    snprintf(url, sizeof url, "redis://:wrong@127.0.0.1:%d/0", srv.port);
    fa_redis_options o = {.url = url, .on_state = on_state, .ud = &w, .backoff_min_ms = 50};
    assert_int_equal(fa_redis_open(&loop, &o, &w.r, err, sizeof err), 0);
    int never = 1;
    run_until(&loop, &never, 0, 500);
    assert_int_equal(w.ready, 0);
    assert_non_null(strstr(fa_redis_last_error(w.r), "AUTH refused"));
    finish(&loop, &tick, w.r, &w);

    /* the password given beside the URL (REDIS_PASSWORD's way), database 3 */
    uv_loop_init(&loop);
    start_tick(&loop, &tick);
    memset(&w, 0, sizeof w);
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/3", srv.port);
    o.url = url;
    o.password = "s3cret";
    assert_int_equal(fa_redis_open(&loop, &o, &w.r, err, sizeof err), 0);
    assert_true(run_until(&loop, &w.ready, 1, 5000));
    set_get(w.r, &w, &loop, "in3", "yes");
    finish(&loop, &tick, w.r, &w);
    assert_int_equal(redis_test_int(&srv, "EXISTS in3"), 0);
    char *v = redis_test_str(&srv, "EVAL %s 0",
                             "redis.call('SELECT', 3) return redis.call('GET', 'in3')");
    assert_non_null(v);
    assert_string_equal(v, "yes");
    free(v);

    /* blocking: the same */
    fa_redis_sync *s = NULL;
    assert_int_equal(fa_redis_sync_open(url, "wrong", 1000, &s, err, sizeof err), FA_EIO);
    assert_non_null(strstr(err, "AUTH refused"));
    assert_int_equal(fa_redis_sync_open(url, "s3cret", 1000, &s, err, sizeof err), 0);
    redisReply *rep;
    const char *get[] = {"GET", "in3"};
    assert_int_equal(fa_redis_sync_command(s, &rep, 2, get, NULL), 0);
    assert_string_equal(rep->str, "yes");
    freeReplyObject(rep);
    fa_redis_sync_close(s);
    redis_test_stop(&srv);
}

/* Redis goes away with commands in flight: they fail, the state callback
 * says unready, commands are refused; Redis comes back: ready again. */
static void outage_and_reconnect(void **state)
{
    (void)state;
    redis_test_server srv;
    assert_int_equal(redis_test_start(&srv, NULL), 0);
    uv_loop_t loop;
    uv_timer_t tick;
    uv_loop_init(&loop);
    start_tick(&loop, &tick);
    watch w = {0};
    char err[256];
    fa_redis_options o = {.url = srv.url,
                          .on_state = on_state,
                          .ud = &w,
                          .backoff_min_ms = 20,
                          .backoff_max_ms = 200};
    assert_int_equal(fa_redis_open(&loop, &o, &w.r, err, sizeof err), 0);
    assert_true(run_until(&loop, &w.ready, 1, 5000));
    /* a command that blocks in Redis, then Redis is killed under it */
    const char *blpop[] = {"BLPOP", "nothing", "10"};
    assert_int_equal(fa_redis_command(w.r, on_reply, &w, 3, blpop, NULL), 0);
    uv_run(&loop, UV_RUN_NOWAIT);
    redis_test_halt(&srv);
    assert_true(run_until(&loop, &w.ready, 0, 5000));
    assert_true(run_until(&loop, &w.failures, 1, 5000));
    assert_non_null(strstr(w.last, "ERR:"));
    assert_int_equal(w.changes, 2);
    const char *ping[] = {"PING"};
    assert_int_equal(fa_redis_command(w.r, on_reply, &w, 1, ping, NULL), FA_EIO);
    /* several attempts fail while it is down (backoff 20 ms .. 200 ms) */
    int never = 1;
    run_until(&loop, &never, 0, 700);
    fa_redis_stats st;
    fa_redis_get_stats(w.r, &st);
    assert_true(st.losses >= 3);
    assert_true(st.losses < 40);
    assert_int_equal(redis_test_restart(&srv), 0);
    assert_true(run_until(&loop, &w.ready, 1, 5000));
    assert_int_equal(w.changes, 3);
    set_get(w.r, &w, &loop, "after", "back");
    finish(&loop, &tick, w.r, &w);
    redis_test_stop(&srv);
}

/* A frozen Redis (SIGSTOP) keeps the socket open but answers nothing: the
 * waiting command fails after command_timeout_ms, the connection is
 * remade when Redis thaws. */
static void frozen_redis(void **state)
{
    (void)state;
    redis_test_server srv;
    assert_int_equal(redis_test_start(&srv, NULL), 0);
    uv_loop_t loop;
    uv_timer_t tick;
    uv_loop_init(&loop);
    start_tick(&loop, &tick);
    watch w = {0};
    char err[256];
    fa_redis_options o = {.url = srv.url,
                          .on_state = on_state,
                          .ud = &w,
                          .command_timeout_ms = 300,
                          .connect_timeout_ms = 300,
                          .backoff_min_ms = 20,
                          .backoff_max_ms = 100};
    assert_int_equal(fa_redis_open(&loop, &o, &w.r, err, sizeof err), 0);
    assert_true(run_until(&loop, &w.ready, 1, 5000));
    redis_test_freeze(&srv);
    const char *ping[] = {"PING"};
    uint64_t t0 = fa_time_mono_ns();
    assert_int_equal(fa_redis_command(w.r, on_reply, &w, 1, ping, NULL), 0);
    assert_true(run_until(&loop, &w.failures, 1, 5000));
    uint64_t ms = (fa_time_mono_ns() - t0) / 1000000u;
    assert_true(ms >= 250 && ms < 2000);
    assert_non_null(strstr(w.last, "no reply"));
    assert_int_equal(w.ready, 0);
    redis_test_thaw(&srv);
    assert_true(run_until(&loop, &w.ready, 1, 5000));
    set_get(w.r, &w, &loop, "thawed", "1");
    finish(&loop, &tick, w.r, &w);

    /* blocking: a frozen Redis costs one timeout, then reconnects */
    fa_redis_sync *s = NULL;
    assert_int_equal(fa_redis_sync_open(srv.url, NULL, 300, &s, err, sizeof err), 0);
    redis_test_freeze(&srv);
    redisReply *rep;
    assert_int_equal(fa_redis_sync_command(s, &rep, 1, ping, NULL), FA_EIO);
    assert_null(rep);
    redis_test_thaw(&srv);
    assert_int_equal(fa_redis_sync_command(s, &rep, 1, ping, NULL), 0);
    assert_string_equal(rep->str, "PONG");
    freeReplyObject(rep);
    /* a pipeline: three appends, three replies in order */
    const char *a1[] = {"SET", "p", "1"}, *a2[] = {"INCR", "p"}, *a3[] = {"GET", "p"};
    assert_int_equal(fa_redis_sync_append(s, 3, a1, NULL), 0);
    assert_int_equal(fa_redis_sync_append(s, 2, a2, NULL), 0);
    assert_int_equal(fa_redis_sync_append(s, 2, a3, NULL), 0);
    assert_int_equal(fa_redis_sync_read(s, &rep), 0);
    freeReplyObject(rep);
    assert_int_equal(fa_redis_sync_read(s, &rep), 0);
    assert_int_equal(rep->integer, 2);
    freeReplyObject(rep);
    assert_int_equal(fa_redis_sync_read(s, &rep), 0);
    assert_string_equal(rep->str, "2");
    freeReplyObject(rep);
    assert_int_equal(fa_redis_sync_read(s, &rep), FA_EIO); /* nothing queued */
    /* Redis restarted between calls: the next call reconnects */
    assert_int_equal(redis_test_restart(&srv), 0);
    assert_int_equal(fa_redis_sync_command(s, &rep, 1, ping, NULL), FA_EIO);
    assert_int_equal(fa_redis_sync_command(s, &rep, 1, ping, NULL), 0);
    freeReplyObject(rep);
    fa_redis_sync_close(s);
    redis_test_stop(&srv);
}

/* Closing from inside a reply callback: the commands still waiting get
 * "closed", nothing after. */
static watch *close_w;
static void close_in_cb(fa_redis *r, void *ud, redisReply *reply, const char *err)
{
    on_reply(r, ud, reply, err);
    fa_redis_close(r, on_closed, close_w);
}

static void close_inside_callback(void **state)
{
    (void)state;
    redis_test_server srv;
    assert_int_equal(redis_test_start(&srv, NULL), 0);
    uv_loop_t loop;
    uv_loop_init(&loop);
    watch w = {0};
    close_w = &w;
    char err[256];
    fa_redis_options o = {.url = srv.url, .on_state = on_state, .ud = &w};
    assert_int_equal(fa_redis_open(&loop, &o, &w.r, err, sizeof err), 0);
    uv_timer_t tick;
    start_tick(&loop, &tick);
    assert_true(run_until(&loop, &w.ready, 1, 5000));
    const char *ping[] = {"PING"};
    const char *blpop[] = {"BLPOP", "nothing", "5"};
    assert_int_equal(fa_redis_command(w.r, close_in_cb, &w, 1, ping, NULL), 0);
    assert_int_equal(fa_redis_command(w.r, on_reply, &w, 3, blpop, NULL), 0);
    assert_int_equal(fa_redis_command(w.r, on_reply, &w, 3, blpop, NULL), 0);
    uv_close((uv_handle_t *)&tick, NULL);
    uint64_t t0 = fa_time_mono_ns();
    while (uv_run(&loop, UV_RUN_DEFAULT) != 0) {
    }
    assert_true(fa_time_mono_ns() - t0 < 2000000000u);
    assert_int_equal(w.closed, 1);
    assert_int_equal(w.replies, 1);
    assert_int_equal(w.failures, 2);
    assert_string_equal(w.last, "ERR:closed");
    assert_int_equal(w.changes, 1); /* no unready callback after close */
    assert_int_equal(uv_loop_close(&loop), 0);
    redis_test_stop(&srv);
}

/* Scripts go by digest; the text only when Redis does not know it (first
 * use, after SCRIPT FLUSH or a restart), invisibly to the caller. */
static void scripts_by_digest(void **state)
{
    (void)state;
    redis_test_server srv;
    assert_int_equal(redis_test_start(&srv, NULL), 0);
    uv_loop_t loop;
    uv_timer_t tick;
    uv_loop_init(&loop);
    start_tick(&loop, &tick);
    watch w = {0};
    char err[256];
    fa_redis_options o = {.url = srv.url, .on_state = on_state, .ud = &w};
    assert_int_equal(fa_redis_open(&loop, &o, &w.r, err, sizeof err), 0);
    assert_true(run_until(&loop, &w.ready, 1, 5000));
    fa_redis_script sc;
    fa_redis_script_init(&sc, "return ARGV[1] .. KEYS[1]");
    /* the digest is Redis's own */
    char *sha = redis_test_str(&srv, "SCRIPT LOAD %s", "return ARGV[1] .. KEYS[1]");
    assert_string_equal(sha, sc.sha1);
    free(sha);
    assert_int_equal(redis_test_int(&srv, "SCRIPT FLUSH") == -1, 1); /* a status reply */
    const char *keys[] = {"k"}, *args[] = {"a"};
    fa_redis_stats s0, s1, s2, s3;
    fa_redis_get_stats(w.r, &s0);
    assert_int_equal(fa_redis_eval(w.r, &sc, 1, keys, 1, args, on_reply, &w), 0);
    assert_true(run_until(&loop, &w.replies, 1, 5000));
    assert_string_equal(w.last, "ak");
    fa_redis_get_stats(w.r, &s1);
    assert_true(s1.commands - s0.commands == 2); /* EVALSHA, NOSCRIPT, EVAL */
    assert_int_equal(fa_redis_eval(w.r, &sc, 1, keys, 1, args, on_reply, &w), 0);
    assert_true(run_until(&loop, &w.replies, 2, 5000));
    assert_string_equal(w.last, "ak");
    fa_redis_get_stats(w.r, &s2);
    assert_true(s2.commands - s1.commands == 1);
    assert_true(s2.bytes_sent - s1.bytes_sent < 120); /* ~85: the digest, not the text */
    assert_int_equal(redis_test_int(&srv, "SCRIPT FLUSH") == -1, 1);
    assert_int_equal(fa_redis_eval(w.r, &sc, 1, keys, 1, args, on_reply, &w), 0);
    assert_true(run_until(&loop, &w.replies, 3, 5000));
    assert_string_equal(w.last, "ak");
    fa_redis_get_stats(w.r, &s3);
    assert_true(s3.commands - s2.commands == 2);
    /* a script error is a reply */
    fa_redis_script bad;
    fa_redis_script_init(&bad, "return redis.call('NOPE')");
    assert_int_equal(fa_redis_eval(w.r, &bad, 0, NULL, 0, NULL, on_reply, &w), 0);
    assert_true(run_until(&loop, &w.replies, 4, 5000));
    assert_non_null(strstr(w.last, "nknown"));
    finish(&loop, &tick, w.r, &w);
    redis_test_stop(&srv);
}

int main(void)
{
    const struct CMUnitTest offline[] = {cmocka_unit_test(url_parsing)};
    int failed = cmocka_run_group_tests_name("url", offline, NULL, NULL);
    if (redis_test_binary() == NULL) {
        redis_test_require(); /* exits 77 with the reason */
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(async_basics),          cmocka_unit_test(auth_and_select),
        cmocka_unit_test(outage_and_reconnect),  cmocka_unit_test(frozen_redis),
        cmocka_unit_test(close_inside_callback), cmocka_unit_test(scripts_by_digest),
    };
    failed += cmocka_run_group_tests_name("redis", tests, NULL, NULL);
    return failed ? 1 : 0;
}
