/* test_metrics.c - the metrics registry: the rendered text is strict
 * Prometheus 0.0.4 (our checker and Debian's prometheus_client parser),
 * counters move, bumps from several threads during scrapes add up exactly,
 * histogram buckets are cumulative with inclusive upper bounds, bad
 * registrations are refused, and the checker itself rejects bad text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "metrics/metrics.h"
#include "prom_check.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *render(metrics_registry *r)
{
    fa_buf b;
    fa_buf_init(&b, METRICS_MAX_RENDER);
    assert_int_equal(metrics_render(r, &b), 0);
    char *text = fa_buf_steal(&b, NULL);
    fa_buf_free(&b);
    return text;
}

static void assert_valid(const char *text)
{
    char why[512];
    if (prom_check(text, why, sizeof why, NULL, NULL) != 0) fail_msg("%s\n---\n%s", why, text);
}

/* ---- feedarc's metric set ---- */

static void feedarc_set_renders(void **state)
{
    (void)state;
    feedarc_metrics *m = feedarc_metrics_new();
    assert_non_null(m);
    char *text = render(m->registry);
    size_t fams, samples;
    char why[512];
    if (prom_check(text, why, sizeof why, &fams, &samples) != 0) fail_msg("%s\n%s", why, text);
    /* every metric the issue asks for is there */
    const char *want[] = {
        "# TYPE feedarc_fetches_total counter",
        "feedarc_fetches_total{class=\"1xx\"} 0",
        "feedarc_fetches_total{class=\"error\"} 0",
        "# TYPE feedarc_fetched_bytes_total counter",
        "# TYPE feedarc_written_bytes_total counter",
        "feedarc_warc_records_total{type=\"warcinfo\"} 0",
        "feedarc_warc_records_total{type=\"conversion\"} 0",
        "feedarc_dedup_findings_total{kind=\"exact\"} 0",
        "feedarc_dedup_findings_total{kind=\"boilerplate\"} 0",
        "feedarc_queue_depth{queue=\"pending\"} 0",
        "feedarc_queue_depth{queue=\"in_flight\"} 0",
        "feedarc_queue_depth{queue=\"archive_pending\"} 0",
        "# TYPE feedarc_hosts_in_backoff gauge",
        "# TYPE feedarc_open_segment_bytes gauge",
        "# TYPE feedarc_fetch_duration_seconds histogram",
        "feedarc_fetch_duration_seconds_bucket{le=\"0.005\"} 0",
        "feedarc_fetch_duration_seconds_bucket{le=\"+Inf\"} 0",
        "# TYPE feedarc_event_loop_lag_seconds histogram",
        "# TYPE feedarc_sources gauge",
        "# TYPE feedarc_sources_failing gauge",
        "# TYPE feedarc_process_start_time_seconds gauge",
        "feedarc_build_info{version=\"" FEEDARC_VERSION "\"} 1",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (strstr(text, want[i]) == NULL) fail_msg("missing \"%s\" in\n%s", want[i], text);
    double start = prom_value(text, "feedarc_process_start_time_seconds");
    assert_true(start > 1.6e9 && start < 4e9);
    assert_true(fams >= 20);
    free(text);
    feedarc_metrics_free(m);
    feedarc_metrics_free(NULL);
}

static void counters_move(void **state)
{
    (void)state;
    feedarc_metrics *m = feedarc_metrics_new();
    assert_non_null(m);
    metrics_counter_add(m->fetches[metrics_fetch_class_of(200)], 1);
    metrics_counter_add(m->fetches[metrics_fetch_class_of(304)], 2);
    metrics_counter_add(m->fetches[metrics_fetch_class_of(503)], 3);
    metrics_counter_add(m->fetches[metrics_fetch_class_of(0)], 4);
    metrics_counter_add(m->fetches[metrics_fetch_class_of(-3)], 1);
    metrics_counter_add(m->fetched_bytes, 123456789012ULL);
    metrics_counter_add(m->records[METRICS_RECORD_RESPONSE], 7);
    metrics_counter_add(m->dedup_findings[METRICS_DEDUP_NEAR], 1);
    metrics_gauge_set(m->queue_depth[METRICS_QUEUE_IN_FLIGHT], 5);
    metrics_gauge_add(m->queue_depth[METRICS_QUEUE_IN_FLIGHT], -2);
    metrics_gauge_set(m->open_segment_bytes, 1048576);
    metrics_histogram_observe(m->fetch_duration, 0.2);
    metrics_counter_add(NULL, 1); /* no-ops */
    metrics_gauge_set(NULL, 1);
    metrics_histogram_observe(NULL, 1);
    char *text = render(m->registry);
    assert_valid(text);
    assert_true(prom_value(text, "feedarc_fetches_total{class=\"2xx\"}") == 1);
    assert_true(prom_value(text, "feedarc_fetches_total{class=\"3xx\"}") == 2);
    assert_true(prom_value(text, "feedarc_fetches_total{class=\"5xx\"}") == 3);
    assert_true(prom_value(text, "feedarc_fetches_total{class=\"error\"}") == 5);
    assert_true(prom_value(text, "feedarc_fetched_bytes_total") == 123456789012.0);
    assert_non_null(strstr(text, "feedarc_fetched_bytes_total 123456789012\n"));
    assert_true(prom_value(text, "feedarc_warc_records_total{type=\"response\"}") == 7);
    assert_true(prom_value(text, "feedarc_dedup_findings_total{kind=\"near\"}") == 1);
    assert_true(prom_value(text, "feedarc_queue_depth{queue=\"in_flight\"}") == 3);
    assert_true(prom_value(text, "feedarc_open_segment_bytes") == 1048576);
    assert_true(prom_value(text, "feedarc_fetch_duration_seconds_bucket{le=\"0.1\"}") == 0);
    assert_true(prom_value(text, "feedarc_fetch_duration_seconds_bucket{le=\"0.25\"}") == 1);
    assert_true(prom_value(text, "feedarc_fetch_duration_seconds_count") == 1);
    free(text);
    metrics_counter_add(m->fetches[METRICS_FETCH_2XX], 41);
    text = render(m->registry);
    assert_true(prom_value(text, "feedarc_fetches_total{class=\"2xx\"}") == 42);
    free(text);
    feedarc_metrics_free(m);
}

/* ---- histograms ---- */

static void histogram_buckets(void **state)
{
    (void)state;
    metrics_registry *r = metrics_registry_new();
    metrics_histogram *h, *h2;
    const double bounds[] = {0.1, 1, 10};
    assert_int_equal(metrics_histogram_register(r, "feedarc_t_seconds", "a test", "op=get", bounds,
                                                3, &h),
                     0);
    assert_int_equal(metrics_histogram_register(r, "feedarc_t_seconds", "a test", "op=put", bounds,
                                                3, &h2),
                     0);
    const double values[] = {0.05, 0.1 /* inclusive: le 0.1 */, 0.5, 1, 5, 10, 11, 1e9, -1};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        metrics_histogram_observe(h, values[i]);
    metrics_histogram_observe(h, NAN); /* ignored */
    assert_int_equal(metrics_histogram_count(h), 9);
    double sum = 0;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        sum += values[i];
    assert_true(fabs(metrics_histogram_sum(h) - sum) < 1e-6);
    char *text = render(r);
    assert_valid(text);
    assert_true(prom_value(text, "feedarc_t_seconds_bucket{op=\"get\",le=\"0.1\"}") == 3);
    assert_true(prom_value(text, "feedarc_t_seconds_bucket{op=\"get\",le=\"1\"}") == 5);
    assert_true(prom_value(text, "feedarc_t_seconds_bucket{op=\"get\",le=\"10\"}") == 7);
    assert_true(prom_value(text, "feedarc_t_seconds_bucket{op=\"get\",le=\"+Inf\"}") == 9);
    assert_true(prom_value(text, "feedarc_t_seconds_count{op=\"get\"}") == 9);
    assert_true(prom_value(text, "feedarc_t_seconds_count{op=\"put\"}") == 0);
    assert_true(fabs(prom_value(text, "feedarc_t_seconds_sum{op=\"get\"}") - sum) < 1e-3);
    /* one HELP/TYPE for both series */
    assert_null(strstr(strstr(text, "# TYPE") + 1, "# TYPE"));
    free(text);
    metrics_registry_free(r);
}

/* ---- registration rules ---- */

static void registration_rules(void **state)
{
    (void)state;
    metrics_registry *r = metrics_registry_new();
    metrics_counter *c;
    metrics_gauge *g;
    metrics_histogram *h;
    const double b[] = {1, 2};
    const double unsorted[] = {2, 1};
    const double inf[] = {1, INFINITY};
    assert_int_equal(metrics_counter_register(r, "feedarc_ok_total", "h", NULL, &c), 0);
    assert_int_equal(metrics_counter_register(r, "feedarc_ok_total", "h", NULL, &c), FA_EINVAL);
    assert_null(c);
    assert_int_equal(metrics_counter_register(r, "ok_total", "h", NULL, &c), FA_EINVAL);
    assert_int_equal(metrics_counter_register(r, "feedarc_no_suffix", "h", NULL, &c), FA_EINVAL);
    assert_int_equal(metrics_counter_register(r, "feedarc_bad-name_total", "h", NULL, &c),
                     FA_EINVAL);
    assert_int_equal(metrics_counter_register(r, "feedarc_x_total", "", NULL, &c), FA_EINVAL);
    assert_int_equal(metrics_counter_register(r, "feedarc_x_total", "two\nlines", NULL, &c),
                     FA_EINVAL);
    assert_int_equal(metrics_gauge_register(r, "feedarc_g_total", "h", NULL, &g), FA_EINVAL);
    assert_int_equal(metrics_gauge_register(r, "feedarc_ok_total", "h", "a=b", &g), FA_EINVAL);
    /* labels */
    assert_int_equal(metrics_gauge_register(r, "feedarc_g", "h", "a=1,b=2", &g), 0);
    assert_int_equal(metrics_gauge_register(r, "feedarc_g", "h", "a=1,b=3", &g), 0);
    assert_int_equal(metrics_gauge_register(r, "feedarc_g", "h", "b=1,a=3", &g), FA_EINVAL);
    assert_int_equal(metrics_gauge_register(r, "feedarc_g", "h", "a=1", &g), FA_EINVAL);
    assert_int_equal(metrics_gauge_register(r, "feedarc_g2", "h", "a", &g), FA_EINVAL);
    assert_int_equal(metrics_gauge_register(r, "feedarc_g2", "h", "=v", &g), FA_EINVAL);
    assert_int_equal(metrics_gauge_register(r, "feedarc_g2", "h", "a=1,", &g), FA_EINVAL);
    assert_int_equal(metrics_gauge_register(r, "feedarc_g2", "h", "a=1,a=2", &g), FA_EINVAL);
    assert_int_equal(metrics_gauge_register(r, "feedarc_g2", "h", "__a=1", &g), FA_EINVAL);
    assert_int_equal(metrics_gauge_register(r, "feedarc_g2", "h", "1a=1", &g), FA_EINVAL);
    assert_int_equal(metrics_gauge_register(r, "feedarc_g2", "h", "a=1,b=1,c=1,d=1,e=1", &g),
                     FA_EINVAL);
    /* histograms */
    assert_int_equal(metrics_histogram_register(r, "feedarc_h", "h", "le=1", b, 2, &h), FA_EINVAL);
    assert_int_equal(metrics_histogram_register(r, "feedarc_h", "h", NULL, unsorted, 2, &h),
                     FA_EINVAL);
    assert_int_equal(metrics_histogram_register(r, "feedarc_h", "h", NULL, inf, 2, &h), FA_EINVAL);
    assert_int_equal(metrics_histogram_register(r, "feedarc_h", "h", NULL, b, 0, &h), FA_EINVAL);
    assert_int_equal(metrics_histogram_register(r, "feedarc_h", "h", "x=1", b, 2, &h), 0);
    assert_int_equal(metrics_histogram_register(r, "feedarc_h", "h", "x=2", b, 1, &h), FA_EINVAL);
    assert_int_equal(metrics_histogram_register(NULL, "feedarc_h", "h", "x=3", b, 2, &h), FA_EINVAL);
    /* escaping: \ " and newline in a value */
    assert_int_equal(metrics_gauge_register(r, "feedarc_esc", "a \\ help", "v=a\"b\\c\nd", &g), 0);
    metrics_gauge_set(g, -2.5);
    char *text = render(r);
    assert_valid(text);
    assert_non_null(strstr(text, "feedarc_esc{v=\"a\\\"b\\\\c\\nd\"} -2.5\n"));
    assert_non_null(strstr(text, "# HELP feedarc_esc a \\\\ help\n"));
    free(text);
    metrics_registry_free(r);
    metrics_registry_free(NULL);
}

/* ---- the checker is strict ---- */

static void checker_rejects(void **state)
{
    (void)state;
    static const char *const badtexts[] = {
        "",
        "feedarc_x 1\n",                                        /* no HELP/TYPE */
        "# HELP feedarc_x h\n# TYPE feedarc_x gauge\nfeedarc_x 1",  /* no final newline */
        "# HELP feedarc_x h\n# TYPE feedarc_x gauge\nfeedarc_x  1\n",
        "# HELP feedarc_x h\n# TYPE feedarc_x gauge\nfeedarc_x one\n",
        "# HELP feedarc_x h\n# TYPE feedarc_x gauge\nfeedarc_x 1\nfeedarc_x 2\n",
        "# HELP feedarc_x h\n# TYPE feedarc_x gauge\nfeedarc_y 1\n",
        "# HELP feedarc_x h\n# TYPE feedarc_x counter\nfeedarc_x 1\n", /* no _total */
        "# HELP feedarc_x_total h\n# TYPE feedarc_x_total counter\nfeedarc_x_total -1\n",
        "# HELP x h\n# TYPE x gauge\nx 1\n",
        "# HELP feedarc_x h\n# TYPE feedarc_x gauge\nfeedarc_x{a=\"1\",} 1\n",
        "# HELP feedarc_x h\n# TYPE feedarc_x gauge\nfeedarc_x{a=\"\\t\"} 1\n",
        "# HELP feedarc_x h\n# TYPE feedarc_x gauge\nfeedarc_x{a=1} 1\n",
        "# HELP feedarc_h h\n# TYPE feedarc_h histogram\nfeedarc_h_bucket{le=\"1\"} 1\n"
        "feedarc_h_sum 1\nfeedarc_h_count 1\n", /* no +Inf */
        "# HELP feedarc_h h\n# TYPE feedarc_h histogram\nfeedarc_h_bucket{le=\"1\"} 2\n"
        "feedarc_h_bucket{le=\"+Inf\"} 1\nfeedarc_h_sum 1\nfeedarc_h_count 1\n",
        "# HELP feedarc_h h\n# TYPE feedarc_h histogram\nfeedarc_h_bucket{le=\"+Inf\"} 1\n"
        "feedarc_h_sum 1\nfeedarc_h_count 2\n",
        "# HELP feedarc_x h\n# TYPE feedarc_x gauge\nfeedarc_x 1\n"
        "# HELP feedarc_y h\n# TYPE feedarc_y gauge\nfeedarc_y 1\n# HELP feedarc_x h\n",
    };
    char why[256];
    for (size_t i = 0; i < sizeof badtexts / sizeof badtexts[0]; i++)
        if (prom_check(badtexts[i], why, sizeof why, NULL, NULL) == 0)
            fail_msg("checker accepted #%zu:\n%s", i, badtexts[i]);
    assert_int_equal(prom_check("# HELP feedarc_h h\n# TYPE feedarc_h histogram\n"
                                "feedarc_h_bucket{le=\"1\"} 1\nfeedarc_h_bucket{le=\"+Inf\"} 2\n"
                                "feedarc_h_sum 3\nfeedarc_h_count 2\n",
                                why, sizeof why, NULL, NULL),
                     0);
}

/* ---- Debian's prometheus_client parses it too ---- */

static void python_parser_agrees(void **state)
{
    (void)state;
    const char *data = getenv("FEEDARC_TEST_DATA");
    assert_non_null(data);
    feedarc_metrics *m = feedarc_metrics_new();
    metrics_counter_add(m->fetches[METRICS_FETCH_2XX], 3);
    metrics_histogram_observe(m->fetch_duration, 0.3);
    metrics_histogram_observe(m->loop_lag, 0.0004);
    char *text = render(m->registry);
    size_t fams, samples;
    char why[256];
    assert_int_equal(prom_check(text, why, sizeof why, &fams, &samples), 0);
    char path[] = "/tmp/feedarc-metrics-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char cmd[1024], out[256] = "";
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/metrics/prom_parse.py %s 2>&1", data, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    if (fgets(out, sizeof out, p) == NULL) out[0] = '\0';
    int status = pclose(p);
    unlink(path);
    if (status != 0) fail_msg("prometheus_client (python3-prometheus-client) says: %s", out);
    char want[64];
    snprintf(want, sizeof want, "families %zu samples %zu\n", fams, samples);
    assert_string_equal(out, want);
    free(text);
    feedarc_metrics_free(m);
}

/* ---- threads ---- */

#define THREADS 6
#define BUMPS 100000

typedef struct race {
    feedarc_metrics *m;
    _Atomic int stop;
    int render_failures, renders;
} race;

static void *bumper(void *arg)
{
    race *r = arg;
    for (int i = 0; i < BUMPS; i++) {
        metrics_counter_add(r->m->fetches[METRICS_FETCH_2XX], 1);
        metrics_counter_add(r->m->written_bytes, 3);
        metrics_gauge_add(r->m->queue_depth[METRICS_QUEUE_PENDING], 1);
        metrics_gauge_add(r->m->queue_depth[METRICS_QUEUE_PENDING], -0.5);
        metrics_histogram_observe(r->m->fetch_duration, (double)(i % 100) / 10.0);
    }
    return NULL;
}

static void *scraper(void *arg)
{
    race *r = arg;
    char why[256];
    while (!atomic_load(&r->stop)) {
        fa_buf b;
        fa_buf_init(&b, METRICS_MAX_RENDER);
        if (metrics_render(r->m->registry, &b) != 0 ||
            prom_check(b.data, why, sizeof why, NULL, NULL) != 0)
            r->render_failures++;
        r->renders++;
        fa_buf_free(&b);
    }
    return NULL;
}

static void concurrent_bumps(void **state)
{
    (void)state;
    race r = {.m = feedarc_metrics_new()};
    assert_non_null(r.m);
    pthread_t t[THREADS], s;
    assert_int_equal(pthread_create(&s, NULL, scraper, &r), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, bumper, &r), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    atomic_store(&r.stop, 1);
    pthread_join(s, NULL);
    assert_int_equal(r.render_failures, 0);
    assert_true(r.renders > 0);
    assert_int_equal(metrics_counter_get(r.m->fetches[METRICS_FETCH_2XX]),
                     (uint64_t)THREADS * BUMPS);
    assert_int_equal(metrics_counter_get(r.m->written_bytes), (uint64_t)THREADS * BUMPS * 3);
    assert_true(metrics_gauge_get(r.m->queue_depth[METRICS_QUEUE_PENDING]) ==
                (double)THREADS * BUMPS * 0.5);
    assert_int_equal(metrics_histogram_count(r.m->fetch_duration), (uint64_t)THREADS * BUMPS);
    /* sum of (i % 100) / 10 over BUMPS per thread: BUMPS/100 * 495 */
    double want = (double)THREADS * (BUMPS / 100) * 495.0;
    assert_true(fabs(metrics_histogram_sum(r.m->fetch_duration) - want) < 1e-3 * want);
    char *text = render(r.m->registry);
    assert_valid(text);
    free(text);
    feedarc_metrics_free(r.m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(feedarc_set_renders), cmocka_unit_test(counters_move),
        cmocka_unit_test(histogram_buckets),   cmocka_unit_test(registration_rules),
        cmocka_unit_test(checker_rejects),     cmocka_unit_test(python_parser_agrees),
        cmocka_unit_test(concurrent_bumps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
