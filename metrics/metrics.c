/*
 * metrics.c - the registry, the atomic bumps and the text format 0.0.4.
 *
 * Layout: a registry holds families (name, help, type, label keys) in
 * registration order; a family holds its series, each allocated on its own
 * so the handle given out never moves.  Each series keeps its label pairs
 * pre-rendered ('class="2xx"'), so rendering is appending text and loading
 * atomics.  See metrics.h for the idea.
 */
#include "metrics/metrics.h"

#include "common/fa_err.h"
#include "common/fa_time.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FEEDARC_VERSION
#define FEEDARC_VERSION "0"
#endif

#define MAX_NAME 128
#define MAX_HELP 512
#define MAX_LABEL_TEXT 512

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM };

static const char *const type_names[] = {"counter", "gauge", "histogram"};

typedef struct series {
    char *labels; /* 'k="v",k2="v2"' (no braces); "" for none */
    union {
        metrics_counter counter;
        metrics_gauge gauge;
        metrics_histogram histogram;
    } v;
} series;

typedef struct family {
    char *name;
    char *help;
    enum metrics_type type;
    char *keys; /* the label keys, "k,k2" */
    series **series;
    size_t n_series, cap_series;
} family;

struct metrics_registry {
    pthread_mutex_t lock;
    family **families;
    size_t n_families, cap_families;
    size_t n_series; /* over all families */
};

/* ---- doubles in atomics ---- */

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double double_of(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void atomic_double_add(_Atomic uint64_t *bits, double delta)
{
    uint64_t old = atomic_load_explicit(bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(bits, &old, bits_of(double_of(old) + delta),
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}

void metrics_gauge_set(metrics_gauge *g, double v)
{
    if (g != NULL) atomic_store_explicit(&g->bits, bits_of(v), memory_order_relaxed);
}

double metrics_gauge_get(const metrics_gauge *g)
{
    if (g == NULL) return 0;
    return double_of(atomic_load_explicit(&((metrics_gauge *)g)->bits, memory_order_relaxed));
}

void metrics_gauge_add(metrics_gauge *g, double delta)
{
    if (g != NULL) atomic_double_add(&g->bits, delta);
}

void metrics_histogram_observe(metrics_histogram *h, double v)
{
    if (h == NULL || isnan(v)) return;
    size_t i = 0;
    while (i < h->n_bounds && v > h->bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->counts[i], 1, memory_order_relaxed);
    atomic_double_add(&h->sum_bits, v);
}

uint64_t metrics_histogram_count(const metrics_histogram *h)
{
    uint64_t n = 0;
    if (h == NULL) return 0;
    for (size_t i = 0; i <= h->n_bounds; i++)
        n += atomic_load_explicit(&((metrics_histogram *)h)->counts[i], memory_order_relaxed);
    return n;
}

double metrics_histogram_sum(const metrics_histogram *h)
{
    if (h == NULL) return 0;
    return double_of(
        atomic_load_explicit(&((metrics_histogram *)h)->sum_bits, memory_order_relaxed));
}

/* ---- names and labels ---- */

static int name_ok(const char *s, int metric)
{
    if (s == NULL || *s == '\0' || strlen(s) >= MAX_NAME) return 0;
    for (size_t i = 0; s[i]; i++) {
        char ch = s[i];
        int alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
                    (metric && ch == ':');
        if (!alpha && !(i > 0 && ch >= '0' && ch <= '9')) return 0;
    }
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Appends v as a label value: \ " and newline escaped. */
static int put_label_value(fa_buf *b, const char *v, size_t len)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < len; i++) {
        if (v[i] == '\\')
            rc = fa_buf_puts(b, "\\\\");
        else if (v[i] == '"')
            rc = fa_buf_puts(b, "\\\"");
        else if (v[i] == '\n')
            rc = fa_buf_puts(b, "\\n");
        else
            rc = fa_buf_append(b, v + i, 1);
    }
    return rc;
}

/* Parses "k=v,k2=v2" into rendered pairs (*text) and the keys (*keys),
 * both malloc'd.  Returns 0, FA_EINVAL or FA_ENOMEM/FA_ETOOBIG. */
static int parse_labels(const char *spec, int histogram, char **text, char **keys)
{
    fa_buf t, k;
    int rc = 0;
    size_t n = 0;
    fa_buf_init(&t, MAX_LABEL_TEXT);
    fa_buf_init(&k, MAX_LABEL_TEXT);
    *text = *keys = NULL;
    const char *p = spec ? spec : "";
    while (*p != '\0') {
        size_t pair_len = strcspn(p, ",");
        const char *eq = memchr(p, '=', pair_len);
        char key[MAX_NAME];
        if (eq == NULL || eq == p || (size_t)(eq - p) >= sizeof key || ++n > METRICS_MAX_LABELS) {
            rc = FA_EINVAL;
            goto out;
        }
        memcpy(key, p, (size_t)(eq - p));
        key[eq - p] = '\0';
        if (!name_ok(key, 0) || strncmp(key, "__", 2) == 0 ||
            (histogram && strcmp(key, "le") == 0)) {
            rc = FA_EINVAL;
            goto out;
        }
        /* a key used twice in one series */
        for (const char *q = k.data; q != NULL && *q != '\0';) {
            size_t l = strcspn(q, ",");
            if (l == strlen(key) && strncmp(q, key, l) == 0) {
                rc = FA_EINVAL;
                goto out;
            }
            q += l + (q[l] == ',');
        }
        if ((rc = fa_buf_printf(&t, "%s%s=\"", n > 1 ? "," : "", key)) < 0 ||
            (rc = put_label_value(&t, eq + 1, pair_len - (size_t)(eq + 1 - p))) < 0 ||
            (rc = fa_buf_puts(&t, "\"")) < 0 ||
            (rc = fa_buf_printf(&k, "%s%s", n > 1 ? "," : "", key)) < 0)
            goto out;
        p += pair_len;
        if (*p == ',') {
            p++;
            if (*p == '\0') {
                rc = FA_EINVAL;
                goto out;
            }
        }
    }
    *text = fa_buf_steal(&t, NULL);
    *keys = fa_buf_steal(&k, NULL);
    if (*text == NULL || *keys == NULL) {
        free(*text);
        free(*keys);
        *text = *keys = NULL;
        rc = FA_ENOMEM;
    }
out:
    fa_buf_free(&t);
    fa_buf_free(&k);
    return rc;
}

/* ---- the registry ---- */

metrics_registry *metrics_registry_new(void)
{
    metrics_registry *r = calloc(1, sizeof *r);
    if (r == NULL) return NULL;
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r);
        return NULL;
    }
    return r;
}

static void family_free(family *f)
{
    if (f == NULL) return;
    for (size_t i = 0; i < f->n_series; i++) {
        free(f->series[i]->labels);
        free(f->series[i]);
    }
    free(f->series);
    free(f->name);
    free(f->help);
    free(f->keys);
    free(f);
}

void metrics_registry_free(metrics_registry *r)
{
    if (r == NULL) return;
    for (size_t i = 0; i < r->n_families; i++)
        family_free(r->families[i]);
    free(r->families);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* Finds or creates the family (r->lock held). */
static int get_family(metrics_registry *r, const char *name, const char *help,
                      enum metrics_type type, const char *keys, family **out)
{
    for (size_t i = 0; i < r->n_families; i++) {
        family *f = r->families[i];
        if (strcmp(f->name, name) != 0) continue;
        if (f->type != type || strcmp(f->keys, keys) != 0) return FA_EINVAL;
        *out = f;
        return 0;
    }
    if (r->n_families >= METRICS_MAX_FAMILIES) return FA_ETOOBIG;
    if (r->n_families == r->cap_families) {
        size_t cap = r->cap_families ? r->cap_families * 2 : 16;
        family **grown = realloc(r->families, cap * sizeof *grown);
        if (grown == NULL) return FA_ENOMEM;
        r->families = grown;
        r->cap_families = cap;
    }
    family *f = calloc(1, sizeof *f);
    if (f == NULL) return FA_ENOMEM;
    f->type = type;
    if ((f->name = strdup(name)) == NULL || (f->help = strdup(help)) == NULL ||
        (f->keys = strdup(keys)) == NULL) {
        family_free(f);
        return FA_ENOMEM;
    }
    r->families[r->n_families++] = f;
    *out = f;
    return 0;
}

static int bounds_ok(const double *bounds, size_t n)
{
    if (bounds == NULL || n == 0 || n > METRICS_MAX_BUCKETS) return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(bounds[i])) return 0;
        if (i > 0 && !(bounds[i] > bounds[i - 1])) return 0;
    }
    return 1;
}

static int register_series(metrics_registry *r, const char *name, const char *help,
                           const char *labels, enum metrics_type type, const double *bounds,
                           size_t n_bounds, series **out)
{
    char *text = NULL, *keys = NULL;
    int rc;
    *out = NULL;
    if (r == NULL || !name_ok(name, 1) || strncmp(name, "feedarc_", 8) != 0 || help == NULL ||
        *help == '\0' || strlen(help) >= MAX_HELP || strchr(help, '\n') != NULL)
        return FA_EINVAL;
    if (type == METRICS_COUNTER && !ends_with(name, "_total")) return FA_EINVAL;
    if (type != METRICS_COUNTER && ends_with(name, "_total")) return FA_EINVAL;
    if (type == METRICS_HISTOGRAM && !bounds_ok(bounds, n_bounds)) return FA_EINVAL;
    if ((rc = parse_labels(labels, type == METRICS_HISTOGRAM, &text, &keys)) < 0)
        return rc == FA_ETOOBIG ? FA_EINVAL : rc;

    pthread_mutex_lock(&r->lock);
    family *f = NULL;
    series *s = NULL;
    if (r->n_series >= METRICS_MAX_SERIES) {
        rc = FA_ETOOBIG;
        goto out;
    }
    if ((rc = get_family(r, name, help, type, keys, &f)) < 0) goto out;
    for (size_t i = 0; i < f->n_series; i++) {
        if (strcmp(f->series[i]->labels, text) == 0) {
            rc = FA_EINVAL; /* the same series twice */
            goto out;
        }
    }
    if (type == METRICS_HISTOGRAM && f->n_series > 0) {
        const metrics_histogram *h0 = &f->series[0]->v.histogram;
        if (h0->n_bounds != n_bounds ||
            memcmp(h0->bounds, bounds, n_bounds * sizeof bounds[0]) != 0) {
            rc = FA_EINVAL;
            goto out;
        }
    }
    if (f->n_series == f->cap_series) {
        size_t cap = f->cap_series ? f->cap_series * 2 : 8;
        series **grown = realloc(f->series, cap * sizeof *grown);
        if (grown == NULL) {
            rc = FA_ENOMEM;
            goto out;
        }
        f->series = grown;
        f->cap_series = cap;
    }
    if ((s = calloc(1, sizeof *s)) == NULL) {
        rc = FA_ENOMEM;
        goto out;
    }
    s->labels = text;
    text = NULL;
    if (type == METRICS_HISTOGRAM) {
        s->v.histogram.n_bounds = n_bounds;
        memcpy(s->v.histogram.bounds, bounds, n_bounds * sizeof bounds[0]);
    }
    f->series[f->n_series++] = s;
    r->n_series++;
    *out = s;
out:
    pthread_mutex_unlock(&r->lock);
    free(text);
    free(keys);
    return rc;
}

int metrics_counter_register(metrics_registry *r, const char *name, const char *help,
                             const char *labels, metrics_counter **out)
{
    series *s;
    if (out == NULL) return FA_EINVAL;
    int rc = register_series(r, name, help, labels, METRICS_COUNTER, NULL, 0, &s);
    *out = rc < 0 ? NULL : &s->v.counter;
    return rc;
}

int metrics_gauge_register(metrics_registry *r, const char *name, const char *help,
                           const char *labels, metrics_gauge **out)
{
    series *s;
    if (out == NULL) return FA_EINVAL;
    int rc = register_series(r, name, help, labels, METRICS_GAUGE, NULL, 0, &s);
    *out = rc < 0 ? NULL : &s->v.gauge;
    return rc;
}

int metrics_histogram_register(metrics_registry *r, const char *name, const char *help,
                               const char *labels, const double *bounds, size_t n_bounds,
                               metrics_histogram **out)
{
    series *s;
    if (out == NULL) return FA_EINVAL;
    int rc = register_series(r, name, help, labels, METRICS_HISTOGRAM, bounds, n_bounds, &s);
    *out = rc < 0 ? NULL : &s->v.histogram;
    return rc;
}

/* ---- rendering ---- */

/* The shortest text that reads back as d; Prometheus spellings for the
 * special values. */
static const char *format_double(double d, char out[40])
{
    if (isnan(d)) return "NaN";
    if (isinf(d)) return d > 0 ? "+Inf" : "-Inf";
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(out, 40, "%.*g", prec, d);
        if (strtod(out, NULL) == d) break;
    }
    return out;
}

/* Appends "{pairs[,extra]}" or nothing when both are empty. */
static int put_labels(fa_buf *b, const char *pairs, const char *extra)
{
    if (*pairs == '\0' && extra == NULL) return 0;
    return fa_buf_printf(b, "{%s%s%s}", pairs, *pairs && extra ? "," : "", extra ? extra : "");
}

static int render_series(fa_buf *b, const family *f, const series *s)
{
    char num[40], le[64];
    int rc;
    switch (f->type) {
    case METRICS_COUNTER:
        if ((rc = fa_buf_puts(b, f->name)) < 0 || (rc = put_labels(b, s->labels, NULL)) < 0) return rc;
        return fa_buf_printf(b, " %" PRIu64 "\n", metrics_counter_get(&s->v.counter));
    case METRICS_GAUGE:
        if ((rc = fa_buf_puts(b, f->name)) < 0 || (rc = put_labels(b, s->labels, NULL)) < 0) return rc;
        return fa_buf_printf(b, " %s\n", format_double(metrics_gauge_get(&s->v.gauge), num));
    case METRICS_HISTOGRAM: {
        const metrics_histogram *h = &s->v.histogram;
        uint64_t cumulative = 0;
        for (size_t i = 0; i <= h->n_bounds; i++) {
            cumulative += atomic_load_explicit(&((metrics_histogram *)h)->counts[i],
                                               memory_order_relaxed);
            snprintf(le, sizeof le, "le=\"%s\"",
                     i < h->n_bounds ? format_double(h->bounds[i], num) : "+Inf");
            if ((rc = fa_buf_printf(b, "%s_bucket", f->name)) < 0 ||
                (rc = put_labels(b, s->labels, le)) < 0 ||
                (rc = fa_buf_printf(b, " %" PRIu64 "\n", cumulative)) < 0)
                return rc;
        }
        if ((rc = fa_buf_printf(b, "%s_sum", f->name)) < 0 ||
            (rc = put_labels(b, s->labels, NULL)) < 0 ||
            (rc = fa_buf_printf(b, " %s\n", format_double(metrics_histogram_sum(h), num))) < 0 ||
            (rc = fa_buf_printf(b, "%s_count", f->name)) < 0 ||
            (rc = put_labels(b, s->labels, NULL)) < 0)
            return rc;
        return fa_buf_printf(b, " %" PRIu64 "\n", cumulative);
    }
    }
    return FA_EINVAL;
}

int metrics_render(metrics_registry *r, fa_buf *out)
{
    if (r == NULL || out == NULL) return FA_EINVAL;
    int rc = 0;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; rc == 0 && i < r->n_families; i++) {
        const family *f = r->families[i];
        rc = fa_buf_printf(out, "# HELP %s ", f->name);
        for (const char *p = f->help; rc == 0 && *p; p++) /* escape \ (no newlines here) */
            rc = *p == '\\' ? fa_buf_puts(out, "\\\\") : fa_buf_append(out, p, 1);
        if (rc == 0) rc = fa_buf_printf(out, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
        for (size_t j = 0; rc == 0 && j < f->n_series; j++)
            rc = render_series(out, f, f->series[j]);
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* ---- feedarc's metric set ---- */

enum metrics_fetch_class metrics_fetch_class_of(int http_status)
{
    if (http_status < 100 || http_status > 599) return METRICS_FETCH_ERROR;
    return (enum metrics_fetch_class)(http_status / 100 - 1);
}

static const double fetch_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                       1,     2.5,  5,     10,   30,  60};
static const double lag_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                     0.1,   0.25,   0.5,   1,    2.5,   10};

feedarc_metrics *feedarc_metrics_new(void)
{
    static const char *const classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx", "error"};
    static const char *const records[] = {"warcinfo", "request",  "response",
                                          "revisit",  "metadata", "conversion"};
    static const char *const dedup[] = {"exact", "near", "containment", "boilerplate"};
    static const char *const queues[] = {"pending", "in_flight", "archive_pending"};
    static const char *const results[] = {"ok", "failed"};
    static const char *const causes[] = {"refused", "dns", "tls", "timeout", "reset", "other"};
    char labels[64];
    int rc = 0;

    feedarc_metrics *m = calloc(1, sizeof *m);
    if (m == NULL || (m->registry = metrics_registry_new()) == NULL) {
        free(m);
        return NULL;
    }
    metrics_registry *r = m->registry;
#define COUNTER(slot, name, help, lab)                                                             \
    if (rc == 0) rc = metrics_counter_register(r, name, help, lab, &(slot))
#define GAUGE(slot, name, help, lab)                                                               \
    if (rc == 0) rc = metrics_gauge_register(r, name, help, lab, &(slot))

    for (size_t i = 0; i < METRICS_FETCH_CLASSES; i++) {
        snprintf(labels, sizeof labels, "class=%s", classes[i]);
        COUNTER(m->fetches[i], "feedarc_fetches_total",
                "HTTP exchanges finished, by status class (error: no HTTP response)", labels);
    }
    for (size_t i = 0; i < METRICS_FETCH_CAUSES; i++) {
        snprintf(labels, sizeof labels, "cause=%s", causes[i]);
        COUNTER(m->fetch_errors[i], "feedarc_fetch_errors_total",
                "Exchanges that got no HTTP response, by cause (refused, dns, tls, timeout, "
                "reset, other)",
                labels);
    }
    COUNTER(m->fetched_bytes, "feedarc_fetched_bytes_total",
            "Response bodies received, in bytes as transferred", NULL);
    COUNTER(m->written_bytes, "feedarc_written_bytes_total",
            "Bytes written to archive segments (compressed)", NULL);
    for (size_t i = 0; i < METRICS_RECORD_TYPES; i++) {
        snprintf(labels, sizeof labels, "type=%s", records[i]);
        COUNTER(m->records[i], "feedarc_warc_records_total", "WARC records written, by type",
                labels);
    }
    for (size_t i = 0; i < METRICS_DEDUP_KINDS; i++) {
        snprintf(labels, sizeof labels, "kind=%s", dedup[i]);
        COUNTER(m->dedup_findings[i], "feedarc_dedup_findings_total",
                "Duplicate findings, by kind", labels);
    }
    COUNTER(m->retries, "feedarc_retries_total",
            "Requests repeated after a transient error (timeout, refused, 429, 5xx)", NULL);
    COUNTER(m->charset_detected, "feedarc_charset_detected_total",
            "Responses whose encoding was detected (undeclared, or declared wrongly)", NULL);
    COUNTER(m->charset_refused, "feedarc_charset_guesses_refused_total",
            "Responses read as declared or as UTF-8 because detection was not confident", NULL);
    COUNTER(m->robots_disallowed, "feedarc_robots_disallowed_total",
            "Pages skipped because robots.txt disallows them", NULL);
    COUNTER(m->segments_closed, "feedarc_segments_closed_total",
            "Archive segments fsync'd, closed and renamed", NULL);
    for (size_t i = 0; i < METRICS_RESULTS; i++) {
        snprintf(labels, sizeof labels, "result=%s", results[i]);
        COUNTER(m->source_polls[i], "feedarc_source_polls_total",
                "Source polls finished (feed and its pages), by result", labels);
    }
    for (size_t i = 0; i < METRICS_RESULTS; i++) {
        snprintf(labels, sizeof labels, "result=%s", results[i]);
        COUNTER(m->config_reloads[i], "feedarc_config_reloads_total",
                "Config reloads (SIGHUP), by result", labels);
    }
    for (size_t i = 0; i < METRICS_QUEUES; i++) {
        snprintf(labels, sizeof labels, "queue=%s", queues[i]);
        GAUGE(m->queue_depth[i], "feedarc_queue_depth",
              "Requests waiting for their host (pending), transfers running (in_flight), "
              "exchanges waiting for the archive writer (archive_pending)",
              labels);
    }
    GAUGE(m->hosts_in_backoff, "feedarc_hosts_in_backoff",
          "Hosts held back after transient errors", NULL);
    GAUGE(m->open_segment_bytes, "feedarc_open_segment_bytes",
          "Size of the segment being written, in bytes (0 when none is open)", NULL);
    GAUGE(m->sources, "feedarc_sources", "Sources configured", NULL);
    GAUGE(m->sources_failing, "feedarc_sources_failing",
          "Sources whose last 3 or more polls failed in a row (see feedarc status)", NULL);
    GAUGE(m->last_poll_success, "feedarc_last_successful_poll_timestamp_seconds",
          "When a source poll last succeeded, in seconds since the epoch", NULL);
    GAUGE(m->start_time, "feedarc_process_start_time_seconds",
          "When the process started, in seconds since the epoch", NULL);
    GAUGE(m->build_info, "feedarc_build_info", "Always 1; the version in a label",
          "version=" FEEDARC_VERSION);
    GAUGE(m->cluster_redis_up, "feedarc_cluster_redis_up",
          "Cluster mode: 1 while this node reaches Redis, 0 while it does not (it then "
          "claims no new work and reports unready)",
          NULL);
    COUNTER(m->cluster_redis_losses, "feedarc_cluster_redis_losses_total",
            "Cluster mode: times the connection to Redis was lost", NULL);
    if (rc == 0)
        rc = metrics_histogram_register(
            r, "feedarc_fetch_duration_seconds",
            "Time from a request's start to the end of its response, in seconds", NULL,
            fetch_buckets, sizeof fetch_buckets / sizeof fetch_buckets[0], &m->fetch_duration);
    if (rc == 0)
        rc = metrics_histogram_register(
            r, "feedarc_event_loop_lag_seconds",
            "How late the event loop ran a periodic timer, in seconds", NULL, lag_buckets,
            sizeof lag_buckets / sizeof lag_buckets[0], &m->loop_lag);
#undef COUNTER
#undef GAUGE
    if (rc < 0) {
        feedarc_metrics_free(m);
        return NULL;
    }
    metrics_gauge_set(m->start_time, (double)(fa_time_now_ns() / 1000000) / 1000.0);
    metrics_gauge_set(m->build_info, 1);
    return m;
}

void feedarc_metrics_free(feedarc_metrics *m)
{
    if (m == NULL) return;
    metrics_registry_free(m->registry);
    free(m);
}
