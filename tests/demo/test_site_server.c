/* test_site_server.c - the loopback site server over real HTTP (libcurl as
 * the client): routes and their fallbacks, 404, conditional requests,
 * chunked bodies, HEAD, delays, keep-alive, the request log and its
 * ceiling, peak concurrency, and a second loopback address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "common/fa_time.h"
#include "demo/demo_http.h"
#include "demo/site_server.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *url_of(const site_server *s, const char *path)
{
    static __thread char buf[1024];
    snprintf(buf, sizeof buf, "%s%s", site_server_origin(s), path);
    return buf;
}

static void routes_and_fallbacks(void **state)
{
    (void)state;
    site_server *s = site_server_start("127.0.0.1", 0);
    assert_non_null(s);
    assert_true(site_server_port(s) != 0);
    assert_int_equal(site_server_route(s, "/a", 200, "text/plain", "hello", 5,
                                       "X-Test: one\r\nCache-Control: max-age=60\r\n", 0),
                     0);
    assert_int_equal(site_server_route(s, "/b?x=1", 200, "text/plain", "exact", 5, NULL, 0), 0);
    assert_int_equal(site_server_route(s, "/b", 201, "text/plain", "plain", 5, NULL, 0), 0);
    assert_int_equal(site_server_route(s, "/bad", 200, NULL, "", 0, "no colon here\r\n", 0),
                     FA_EINVAL);
    assert_int_equal(site_server_route(s, "/bad", 200, NULL, "", 0, "Content-Length: 3\r\n", 0),
                     FA_EINVAL);

    demo_http r;
    char v[256];
    assert_int_equal(demo_http_get(url_of(s, "/a"), NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.data, "hello");
    assert_int_equal(demo_http_header(&r, "x-test", v, sizeof v), 0);
    assert_string_equal(v, "one");
    assert_int_equal(demo_http_header(&r, "Content-Type", v, sizeof v), 0);
    assert_string_equal(v, "text/plain");
    assert_int_equal(demo_http_header(&r, "Content-Length", v, sizeof v), 0);
    assert_string_equal(v, "5");
    demo_http_free(&r);

    demo_http_get(url_of(s, "/b?x=1"), NULL, 0, &r);
    assert_string_equal(r.body.data, "exact");
    demo_http_free(&r);
    demo_http_get(url_of(s, "/b?utm_source=feed"), NULL, 0, &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.body.data, "plain");
    demo_http_free(&r);

    /* unknown: 404 with a little HTML */
    demo_http_get(url_of(s, "/nope"), NULL, 0, &r);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body.data, "<html>"));
    demo_http_free(&r);

    /* replacing a route, then a "*" catch-all */
    assert_int_equal(site_server_route(s, "/a", 200, "text/plain", "again", 5, NULL, 0), 0);
    assert_int_equal(site_server_route(s, "*", 410, "text/plain", "gone", 4, NULL, 0), 0);
    demo_http_get(url_of(s, "/a"), NULL, 0, &r);
    assert_string_equal(r.body.data, "again");
    demo_http_free(&r);
    demo_http_get(url_of(s, "/nope"), NULL, 0, &r);
    assert_int_equal(r.status, 410);
    assert_string_equal(r.body.data, "gone");
    demo_http_free(&r);

    /* HEAD: headers, Content-Length, no body */
    assert_int_equal(demo_http_get(url_of(s, "/b"), NULL, 1, &r), 0);
    assert_int_equal(r.status, 201);
    assert_int_equal(r.body.len, 0);
    assert_int_equal(demo_http_header(&r, "Content-Length", v, sizeof v), 0);
    assert_string_equal(v, "5");
    demo_http_free(&r);

    site_request_log *log;
    size_t n = site_server_log(s, &log);
    assert_int_equal(n, 7);
    assert_string_equal(log[0].path, "/a");
    assert_string_equal(log[0].method, "GET");
    assert_int_equal(log[0].status, 200);
    assert_string_equal(log[0].user_agent, "demo-test/1.0");
    assert_string_equal(log[2].path, "/b?utm_source=feed");
    assert_int_equal(log[3].status, 404);
    assert_string_equal(log[6].method, "HEAD");
    for (size_t i = 0; i < n; i++) {
        assert_true(log[i].end_ns >= log[i].start_ns && log[i].connection >= 1);
        /* the kernel's receive time: before the thread ran the request, and
         * not long before (ms since the last data, counted in jiffies) */
        assert_true(log[i].arrival_ns > 0 && log[i].arrival_ns <= log[i].start_ns);
        assert_true(log[i].start_ns - log[i].arrival_ns < 5000000000ULL);
    }
    free(log);
    site_server_stop(s);
    site_server_stop(NULL);
}

static void conditional_requests(void **state)
{
    (void)state;
    site_server *s = site_server_start("127.0.0.1", 0);
    assert_non_null(s);
    const char *lm = "Tue, 05 Mar 2024 08:00:00 GMT";
    char hdrs[256];
    snprintf(hdrs, sizeof hdrs, "ETag: \"v1\"\r\nLast-Modified: %s\r\n", lm);
    assert_int_equal(
        site_server_route(s, "/feed.xml", 200, "application/rss+xml", "<rss/>", 6, hdrs, 0), 0);
    assert_int_equal(site_server_route(s, "/lm", 200, "text/plain", "x", 1,
                                       "Last-Modified: Tue, 05 Mar 2024 08:00:00 GMT\r\n", 0),
                     0);

    demo_http r;
    char v[128];
    const char *inm_hit[] = {"If-None-Match: \"v0\", \"v1\"", NULL};
    demo_http_get(url_of(s, "/feed.xml"), inm_hit, 0, &r);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.body.len, 0);
    assert_int_equal(demo_http_header(&r, "ETag", v, sizeof v), 0);
    assert_string_equal(v, "\"v1\"");
    demo_http_free(&r);

    const char *inm_miss[] = {"If-None-Match: \"v2\"", NULL};
    demo_http_get(url_of(s, "/feed.xml"), inm_miss, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.data, "<rss/>");
    demo_http_free(&r);

    char ims[128];
    snprintf(ims, sizeof ims, "If-Modified-Since: %s", lm);
    const char *ims_hit[] = {ims, NULL};
    demo_http_get(url_of(s, "/lm"), ims_hit, 0, &r);
    assert_int_equal(r.status, 304);
    demo_http_free(&r);
    const char *ims_miss[] = {"If-Modified-Since: Mon, 04 Mar 2024 08:00:00 GMT", NULL};
    demo_http_get(url_of(s, "/lm"), ims_miss, 0, &r);
    assert_int_equal(r.status, 200);
    demo_http_free(&r);
    /* If-None-Match decides alone when present */
    const char *both[] = {"If-None-Match: \"v2\"", ims, NULL};
    demo_http_get(url_of(s, "/feed.xml"), both, 0, &r);
    assert_int_equal(r.status, 200);
    demo_http_free(&r);

    site_request_log *log;
    size_t n = site_server_log(s, &log);
    assert_int_equal(n, 5);
    assert_string_equal(log[0].if_none_match, "\"v0\", \"v1\"");
    assert_int_equal(log[0].status, 304);
    assert_string_equal(log[1].if_modified_since, "");
    assert_string_equal(log[2].if_modified_since, lm);
    assert_int_equal(log[2].status, 304);
    free(log);
    site_server_stop(s);
}

static void chunked_body(void **state)
{
    (void)state;
    site_server *s = site_server_start("127.0.0.1", 0);
    assert_non_null(s);
    size_t len = 10000;
    char *body = malloc(len);
    for (size_t i = 0; i < len; i++)
        body[i] = (char)('a' + i % 26);
    assert_int_equal(site_server_route(s, "/c", 200, "text/html", body, len, NULL, 0), 0);
    assert_int_equal(site_server_route_chunked(s, "/c", 1), 0);
    assert_int_equal(site_server_route_chunked(s, "/missing", 1), FA_ENOENT);

    demo_http r;
    char v[64];
    assert_int_equal(demo_http_get(url_of(s, "/c"), NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(demo_http_header(&r, "Transfer-Encoding", v, sizeof v), 0);
    assert_string_equal(v, "chunked");
    assert_int_equal(demo_http_header(&r, "Content-Length", v, sizeof v), -1);
    assert_int_equal(r.body.len, len);
    assert_memory_equal(r.body.data, body, len);
    demo_http_free(&r);

    assert_int_equal(site_server_route_chunked(s, "/c", 0), 0);
    demo_http_get(url_of(s, "/c"), NULL, 0, &r);
    assert_int_equal(demo_http_header(&r, "Transfer-Encoding", v, sizeof v), -1);
    assert_int_equal(demo_http_header(&r, "Content-Length", v, sizeof v), 0);
    assert_int_equal(strtol(v, NULL, 10), (long)len);
    demo_http_free(&r);
    free(body);
    site_server_stop(s);
}

static void delay_and_keepalive(void **state)
{
    (void)state;
    site_server *s = site_server_start("127.0.0.1", 0);
    assert_non_null(s);
    assert_int_equal(site_server_route(s, "/slow", 200, "text/plain", "zz", 2, NULL, 200), 0);
    assert_int_equal(site_server_route(s, "/fast", 200, "text/plain", "ok", 2, NULL, 0), 0);
    uint64_t t0 = fa_time_mono_ns();
    demo_http r;
    assert_int_equal(demo_http_get(url_of(s, "/slow"), NULL, 0, &r), 0);
    assert_string_equal(r.body.data, "zz");
    demo_http_free(&r);
    assert_true(fa_time_mono_ns() - t0 >= 200000000ULL);
    site_request_log *log;
    assert_int_equal(site_server_log(s, &log), 1);
    assert_true(log[0].end_ns - log[0].start_ns >= 200000000ULL);
    free(log);

    /* one easy handle, several requests: one connection */
    site_server_reset_log(s);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url_of(s, "/fast"));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fwrite);
    FILE *devnull = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
    for (int i = 0; i < 5; i++)
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    fclose(devnull);
    size_t n = site_server_log(s, &log);
    assert_int_equal(n, 5);
    for (size_t i = 1; i < n; i++)
        assert_int_equal(log[i].connection, log[0].connection);
    free(log);
    assert_int_equal(site_server_peak_requests(s), 1);
    site_server_stop(s);
}

struct client_arg {
    const char *url;
    long status;
};

static void *client_thread(void *p)
{
    struct client_arg *a = p;
    demo_http r;
    demo_http_get(a->url, NULL, 0, &r);
    a->status = r.status;
    demo_http_free(&r);
    return NULL;
}

static void peak_concurrency(void **state)
{
    (void)state;
    enum { N = 6 };
    site_server *s = site_server_start("127.0.0.1", 0);
    assert_non_null(s);
    assert_int_equal(site_server_route(s, "/slow", 200, "text/plain", "zz", 2, NULL, 400), 0);
    char url[256];
    snprintf(url, sizeof url, "%s/slow", site_server_origin(s));
    pthread_t th[N];
    struct client_arg args[N];
    uint64_t t0 = fa_time_mono_ns();
    for (int i = 0; i < N; i++) {
        args[i] = (struct client_arg){url, 0};
        assert_int_equal(pthread_create(&th[i], NULL, client_thread, &args[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].status, 200);
    }
    /* the delays overlapped: far less than N * 400 ms */
    assert_true(fa_time_mono_ns() - t0 < 2ULL * 400000000ULL);
    assert_int_equal(site_server_peak_requests(s), N);
    assert_int_equal(site_server_peak_connections(s), N);
    site_request_log *log;
    size_t n = site_server_log(s, &log);
    assert_int_equal(n, N);
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++)
        seen |= 1u << log[i].connection;
    assert_int_equal(__builtin_popcount(seen), N); /* N distinct connections */
    free(log);

    /* sequential requests afterwards never overlap */
    site_server_reset_log(s);
    for (int i = 0; i < 3; i++)
        client_thread(&args[0]);
    assert_int_equal(site_server_peak_requests(s), 1);
    site_server_stop(s);
}

static void log_ceiling(void **state)
{
    (void)state;
    site_server *s = site_server_start("127.0.0.1", 0);
    assert_non_null(s);
    site_server_set_log_max(s, 3);
    demo_http r;
    for (int i = 0; i < 5; i++) {
        demo_http_get(url_of(s, "/x"), NULL, 0, &r);
        demo_http_free(&r);
    }
    site_request_log *log;
    assert_int_equal(site_server_log(s, &log), 3);
    free(log);
    assert_int_equal(site_server_log_dropped(s), 2);
    assert_int_equal(site_server_request_count(s), 5);
    site_server_reset_log(s);
    assert_int_equal(site_server_log(s, &log), 0);
    assert_null(log);
    site_server_stop(s);
}

static void other_loopback_address(void **state)
{
    (void)state;
    site_server *a = site_server_start("127.0.0.2", 0);
    assert_non_null(a);
    assert_non_null(strstr(site_server_origin(a), "http://127.0.0.2:"));
    assert_string_equal(site_server_ip(a), "127.0.0.2");
    /* the same port on another address is another server */
    site_server *b = site_server_start("127.0.0.3", site_server_port(a));
    assert_non_null(b);
    assert_int_equal(site_server_route(a, "/", 200, "text/plain", "two", 3, NULL, 0), 0);
    assert_int_equal(site_server_route(b, "/", 200, "text/plain", "three", 5, NULL, 0), 0);
    demo_http r;
    assert_int_equal(demo_http_get(url_of(a, "/"), NULL, 0, &r), 0);
    assert_string_equal(r.body.data, "two");
    demo_http_free(&r);
    demo_http_get(url_of(b, "/"), NULL, 0, &r);
    assert_string_equal(r.body.data, "three");
    demo_http_free(&r);
    assert_null(site_server_start("not-an-ip", 0));
    assert_null(site_server_start("127.0.0.2", site_server_port(a))); /* in use */
    site_server_stop(a);
    site_server_stop(b);
}

struct body_arg {
    const char *url;
    long status;
    size_t len;
    int same;
    const char *want;
};

static void *body_thread(void *p)
{
    struct body_arg *a = p;
    for (int k = 0; k < 3; k++) { /* three requests, each on its own connection */
        demo_http r;
        demo_http_get(a->url, NULL, 0, &r);
        a->status = r.status;
        a->len = r.body.len;
        a->same = r.body.len == strlen(a->want) && memcmp(r.body.data, a->want, r.body.len) == 0;
        demo_http_free(&r);
        if (a->status != 200 || !a->same) break;
    }
    return NULL;
}

/* One epoll thread serves every connection: bodies larger than one read
 * callback arrive whole on each of several connections at once, every
 * request is logged - and a delay holds the whole server (three delayed
 * requests take three delays), which tells the mode is really in use. */
static void one_thread_serves_every_connection(void **state)
{
    (void)state;
    enum { N = 6, BODY = 40000 };
    site_server *s = site_server_start_threading("127.0.0.1", 0, SITE_SERVER_ONE_THREAD);
    assert_non_null(s);
    char *body = malloc(BODY + 1);
    assert_non_null(body);
    for (int i = 0; i < BODY; i++)
        body[i] = (char)('a' + (i * 7 + i / 26) % 26);
    body[BODY] = '\0';
    assert_int_equal(site_server_route(s, "/big", 200, "text/plain", body, BODY, NULL, 0), 0);
    assert_int_equal(site_server_route(s, "/slow", 200, "text/plain", "zz", 2, NULL, 300), 0);
    char big[256], slow[256];
    snprintf(big, sizeof big, "%s/big", site_server_origin(s));
    snprintf(slow, sizeof slow, "%s/slow", site_server_origin(s));

    pthread_t th[N];
    struct body_arg args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (struct body_arg){big, 0, 0, 0, body};
        assert_int_equal(pthread_create(&th[i], NULL, body_thread, &args[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].status, 200);
        assert_int_equal(args[i].len, BODY);
        assert_true(args[i].same);
    }
    site_request_log *log;
    size_t n = site_server_log(s, &log);
    assert_int_equal(n, 3 * N);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(log[i].status, 200);
    free(log);

    struct client_arg c[3];
    uint64_t t0 = fa_time_mono_ns();
    for (int i = 0; i < 3; i++) {
        c[i] = (struct client_arg){slow, 0};
        assert_int_equal(pthread_create(&th[i], NULL, client_thread, &c[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(c[i].status, 200);
    }
    assert_true(fa_time_mono_ns() - t0 >= 3ULL * 290000000ULL);
    site_server_stop(s);
    free(body);
}

static void stop_during_delay(void **state)
{
    (void)state;
    site_server *s = site_server_start("127.0.0.1", 0);
    assert_non_null(s);
    assert_int_equal(site_server_route(s, "/slow", 200, "text/plain", "zz", 2, NULL, 30000), 0);
    char url[256];
    snprintf(url, sizeof url, "%s/slow", site_server_origin(s));
    struct client_arg a = {url, 0};
    pthread_t th;
    pthread_create(&th, NULL, client_thread, &a);
    while (site_server_peak_requests(s) == 0)
        ;
    uint64_t t0 = fa_time_mono_ns();
    site_server_stop(s); /* wakes the sleeping request */
    assert_true(fa_time_mono_ns() - t0 < 5000000000ULL);
    pthread_join(th, NULL);
    assert_int_not_equal(a.status, 200);
}

/* review23: the same on one thread: the sleeping request holds the only
 * thread, a second client waits behind it; stop still returns at once. */
static void stop_during_delay_one_thread(void **state)
{
    (void)state;
    site_server *s = site_server_start_threading("127.0.0.1", 0, SITE_SERVER_ONE_THREAD);
    assert_non_null(s);
    assert_int_equal(site_server_route(s, "/slow", 200, "text/plain", "zz", 2, NULL, 30000), 0);
    char url[256];
    snprintf(url, sizeof url, "%s/slow", site_server_origin(s));
    struct client_arg a = {url, 0}, b = {url, 0};
    pthread_t th, th2;
    pthread_create(&th, NULL, client_thread, &a);
    while (site_server_peak_requests(s) == 0)
        ;
    pthread_create(&th2, NULL, client_thread, &b);
    struct timespec ts = {0, 100000000L};
    nanosleep(&ts, NULL);
    uint64_t t0 = fa_time_mono_ns();
    site_server_stop(s); /* wakes the sleeping request */
    assert_true(fa_time_mono_ns() - t0 < 5000000000ULL);
    pthread_join(th, NULL);
    pthread_join(th2, NULL);
    assert_int_not_equal(a.status, 200);
    assert_int_not_equal(b.status, 200);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes_and_fallbacks),   cmocka_unit_test(conditional_requests),
        cmocka_unit_test(chunked_body),           cmocka_unit_test(delay_and_keepalive),
        cmocka_unit_test(peak_concurrency),       cmocka_unit_test(log_ceiling),
        cmocka_unit_test(other_loopback_address), cmocka_unit_test(stop_during_delay),
        cmocka_unit_test(one_thread_serves_every_connection),
        cmocka_unit_test(stop_during_delay_one_thread),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
