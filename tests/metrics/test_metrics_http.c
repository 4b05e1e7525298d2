/* test_metrics_http.c - the /metrics, /healthz, /readyz endpoint over real
 * loopback HTTP with libcurl: content and type of /metrics, counters moving
 * between scrapes, /healthz 200 -> 503 when the storage probe fails (cached
 * ~probe_cache_ms) or the heartbeat stops, the real folder probe, /readyz,
 * 404 and 405, IPv6, listen addresses, "none", a port already in use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "metrics/metrics_http.h"
#include "prom_check.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct response {
    long status;
    char type[128];
    fa_buf body;
} response;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    response *r = ud;
    return fa_buf_append(&r->body, p, size * n) == 0 ? size * n : 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    response *r = ud;
    size_t len = size * n;
    if (len > 14 && strncasecmp(p, "content-type: ", 14) == 0) {
        size_t k = len - 14;
        while (k > 0 && (p[14 + k - 1] == '\r' || p[14 + k - 1] == '\n'))
            k--;
        snprintf(r->type, sizeof r->type, "%.*s", (int)k, p + 14);
    }
    return len;
}

/* GET (or method) http://host:port/path; fills *r (free r->body). */
static void request(const char *host, int port, const char *path, const char *method, response *r)
{
    char url[256];
    memset(r, 0, sizeof *r);
    fa_buf_init(&r->body, 8 << 20);
    snprintf(url, sizeof url, "http://%s:%d%s", host, port, path);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (method != NULL && strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (method != NULL && strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x=1");
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) fail_msg("%s: %s", url, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup(c);
}

static long get_status(int port, const char *path, char *body, size_t cap)
{
    response r;
    request("127.0.0.1", port, path, NULL, &r);
    if (body) snprintf(body, cap, "%s", r.body.data ? r.body.data : "");
    fa_buf_free(&r.body);
    return r.status;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A storage probe the test switches. */
static _Atomic int storage_ok = 1;
static _Atomic int probe_calls = 0;

static int test_probe(void *ud, char *why, size_t whylen)
{
    (void)ud;
    atomic_fetch_add(&probe_calls, 1);
    if (atomic_load(&storage_ok)) return 0;
    snprintf(why, whylen, "test storage is full");
    return FA_ENOSPC;
}

static void metrics_endpoint(void **state)
{
    (void)state;
    feedarc_metrics *m = feedarc_metrics_new();
    metrics_http_options o = {.listen = "127.0.0.1:0", .registry = m->registry};
    metrics_http *srv = NULL;
    char err[256];
    assert_int_equal(metrics_http_start(&o, &srv, err, sizeof err), 0);
    int port = metrics_http_port(srv);
    assert_true(port > 0);

    response r;
    request("127.0.0.1", port, "/metrics", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.type, "text/plain; version=0.0.4; charset=utf-8");
    char why[256];
    if (prom_check(r.body.data, why, sizeof why, NULL, NULL) != 0) fail_msg("%s", why);
    assert_true(prom_value(r.body.data, "feedarc_fetches_total{class=\"2xx\"}") == 0);
    fa_buf_free(&r.body);

    metrics_counter_add(m->fetches[METRICS_FETCH_2XX], 5);
    metrics_counter_add(m->written_bytes, 1000);
    metrics_histogram_observe(m->fetch_duration, 0.07);
    request("127.0.0.1", port, "/metrics", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(prom_check(r.body.data, why, sizeof why, NULL, NULL), 0);
    assert_true(prom_value(r.body.data, "feedarc_fetches_total{class=\"2xx\"}") == 5);
    assert_true(prom_value(r.body.data, "feedarc_written_bytes_total") == 1000);
    assert_true(prom_value(r.body.data, "feedarc_fetch_duration_seconds_count") == 1);
    fa_buf_free(&r.body);

    request("127.0.0.1", port, "/metrics", "HEAD", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body.len, 0);
    fa_buf_free(&r.body);
    request("127.0.0.1", port, "/metrics", "POST", &r);
    assert_int_equal(r.status, 405);
    fa_buf_free(&r.body);
    assert_int_equal(get_status(port, "/", NULL, 0), 404);
    assert_int_equal(get_status(port, "/metrics/x", NULL, 0), 404);
    assert_int_equal(get_status(port, "/../etc/passwd", NULL, 0), 404);

    /* a second server on the same address: refused, with a reason */
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    metrics_http_options o2 = {.listen = listen};
    metrics_http *srv2 = (metrics_http *)1;
    assert_int_equal(metrics_http_start(&o2, &srv2, err, sizeof err), FA_EIO);
    assert_null(srv2);
    assert_non_null(strstr(err, listen));

    metrics_http_stop(srv);
    feedarc_metrics_free(m);
}

static void healthz_and_readyz(void **state)
{
    (void)state;
    metrics_http_options o = {.listen = "127.0.0.1:0",
                              .storage_probe = test_probe,
                              .probe_cache_ms = 100,
                              .stall_after_ms = 300};
    metrics_http *srv = NULL;
    assert_int_equal(metrics_http_start(&o, &srv, NULL, 0), 0);
    int port = metrics_http_port(srv);
    char body[512];

    metrics_http_beat(srv);
    assert_int_equal(get_status(port, "/healthz", body, sizeof body), 200);
    assert_string_equal(body, "ok\n");
    /* the probe's answer is cached */
    int calls = atomic_load(&probe_calls);
    assert_int_equal(get_status(port, "/healthz", NULL, 0), 200);
    assert_int_equal(atomic_load(&probe_calls), calls);

    /* storage fails: 503 once the cached answer expired */
    atomic_store(&storage_ok, 0);
    sleep_ms(150);
    metrics_http_beat(srv);
    assert_int_equal(get_status(port, "/healthz", body, sizeof body), 503);
    assert_string_equal(body, "unhealthy: test storage is full\n");
    atomic_store(&storage_ok, 1);
    sleep_ms(150);
    metrics_http_beat(srv);
    assert_int_equal(get_status(port, "/healthz", NULL, 0), 200);

    /* the loop stops beating: 503 after stall_after_ms; beating again heals */
    sleep_ms(450);
    assert_int_equal(get_status(port, "/healthz", body, sizeof body), 503);
    assert_non_null(strstr(body, "unhealthy: event loop stalled"));
    metrics_http_beat(srv);
    assert_int_equal(get_status(port, "/healthz", NULL, 0), 200);

    /* readyz */
    assert_int_equal(get_status(port, "/readyz", body, sizeof body), 503);
    assert_string_equal(body, "not ready\n");
    metrics_http_set_ready(srv, 1);
    assert_int_equal(get_status(port, "/readyz", body, sizeof body), 200);
    assert_string_equal(body, "ready\n");
    metrics_http_set_ready(srv, 0);
    assert_int_equal(get_status(port, "/readyz", NULL, 0), 503);
    /* no registry: an empty /metrics */
    assert_int_equal(get_status(port, "/metrics", body, sizeof body), 200);
    assert_string_equal(body, "");
    metrics_http_stop(srv);
}

static void folder_probe(void **state)
{
    (void)state;
    char dir[] = "/tmp/feedarc-probe-XXXXXX";
    assert_non_null(mkdtemp(dir));
    metrics_http_options o = {.listen = "127.0.0.1:0",
                              .storage_probe = metrics_probe_dir_writable,
                              .storage_ud = dir,
                              .probe_cache_ms = 50};
    metrics_http *srv = NULL;
    assert_int_equal(metrics_http_start(&o, &srv, NULL, 0), 0);
    int port = metrics_http_port(srv);
    char body[512], why[256];
    assert_int_equal(get_status(port, "/healthz", NULL, 0), 200);
    assert_int_equal(metrics_probe_dir_writable(dir, why, sizeof why), 0);
    /* no probe file left behind */
    char probe[512];
    snprintf(probe, sizeof probe, "%s/.feedarc-health-%ld", dir, (long)getpid());
    assert_int_not_equal(access(probe, F_OK), 0);

    assert_int_equal(chmod(dir, 0555), 0); /* root too: no write bit at all */
    sleep_ms(80);
    assert_int_equal(get_status(port, "/healthz", body, sizeof body), 503);
    assert_non_null(strstr(body, "not writable"));
    assert_true(metrics_probe_dir_writable(dir, why, sizeof why) < 0);
    assert_int_equal(chmod(dir, 0755), 0);
    sleep_ms(80);
    assert_int_equal(get_status(port, "/healthz", NULL, 0), 200);

    assert_int_equal(rmdir(dir), 0); /* the folder is gone */
    sleep_ms(80);
    assert_int_equal(get_status(port, "/healthz", body, sizeof body), 503);
    assert_non_null(strstr(body, "No such file"));
    assert_true(metrics_probe_dir_writable(NULL, why, sizeof why) < 0);
    metrics_http_stop(srv);
}

static void listen_addresses(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(metrics_parse_listen("none", &ss, &len), 1);
    assert_int_equal(metrics_parse_listen("127.0.0.1:9464", &ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(metrics_parse_listen("0.0.0.0:0", &ss, &len), 0);
    assert_int_equal(metrics_parse_listen("[::1]:9464", &ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(metrics_parse_listen("[::]:80", &ss, &len), 0);
    const char *bad[] = {"",           "9464",         ":9464",          "localhost:9464",
                         "127.0.0.1",  "127.0.0.1:",   "127.0.0.1:65536", "127.0.0.1:-1",
                         "::1:9464",   "[::1]9464",    "[::1]:",         "[zz]:1",
                         "1.2.3.4:1x", "NONE",         "127.0.0.1:123456"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (metrics_parse_listen(bad[i], &ss, &len) != FA_EINVAL) fail_msg("accepted \"%s\"", bad[i]);

    /* none: no server, and every call takes the NULL */
    metrics_http_options o = {.listen = "none"};
    metrics_http *srv = (metrics_http *)1;
    assert_int_equal(metrics_http_start(&o, &srv, NULL, 0), 0);
    assert_null(srv);
    metrics_http_beat(srv);
    metrics_http_set_ready(srv, 1);
    assert_int_equal(metrics_http_port(srv), 0);
    metrics_http_stop(srv);

    char err[256];
    o.listen = "localhost:9464";
    assert_int_equal(metrics_http_start(&o, &srv, err, sizeof err), FA_EINVAL);
    assert_non_null(strstr(err, "localhost:9464"));

    /* IPv6 loopback, when the machine has it */
    o.listen = "[::1]:0";
    if (metrics_http_start(&o, &srv, err, sizeof err) == 0) {
        response r;
        request("[::1]", metrics_http_port(srv), "/readyz", NULL, &r);
        assert_int_equal(r.status, 503);
        fa_buf_free(&r.body);
        metrics_http_stop(srv);
    } else {
        print_message("IPv6 loopback unavailable (%s); skipped\n", err);
    }
}

/* Many connections at once: the limit holds, the server survives. */
static void connection_ceiling(void **state)
{
    (void)state;
    metrics_http_options o = {.listen = "127.0.0.1:0", .max_connections = 4, .timeout_s = 1};
    metrics_http *srv = NULL;
    assert_int_equal(metrics_http_start(&o, &srv, NULL, 0), 0);
    int port = metrics_http_port(srv);
    /* a request head over the 16 KiB ceiling is refused */
    CURL *c = curl_easy_init();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", port);
    struct curl_slist *h = NULL;
    char *big = malloc(40000);
    memcpy(big, "X-Big: ", 7);
    memset(big + 7, 'a', 40000 - 8);
    big[40000 - 1] = '\0';
    h = curl_slist_append(h, big);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    assert_true(rc != CURLE_OK || status >= 400);
    curl_slist_free_all(h);
    free(big);
    curl_easy_cleanup(c);
    /* idle connections beyond the limit do not stop the server for long */
    for (int i = 0; i < 10; i++)
        assert_int_equal(get_status(port, "/readyz", NULL, 0), 503);
    metrics_http_stop(srv);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_endpoint), cmocka_unit_test(healthz_and_readyz),
        cmocka_unit_test(folder_probe),     cmocka_unit_test(listen_addresses),
        cmocka_unit_test(connection_ceiling),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
