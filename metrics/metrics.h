/*
 * metrics.h - feedarc's metrics: a registry of counters, gauges and
 * histograms, rendered in the Prometheus text exposition format 0.0.4.
 *
 * The idea: every series - one metric name with one fixed set of label
 * values, e.g. feedarc_fetches_total{class="2xx"} - is registered once, at
 * start-up, and handed out as a pointer to a small struct of atomics.  The
 * hot path (the crawl's loop thread, libuv's worker threads) then only does
 * relaxed atomic adds and stores on that struct: no lock, no lookup, no
 * allocation, no formatting.  Only registration and rendering (the HTTP
 * thread, a few times a minute) take the registry's mutex.  Series are never
 * removed, so a handle stays valid until metrics_registry_free.
 *
 *   register (start-up, mutex)   bump (anywhere, atomics)   render (scrape, mutex)
 *   family "feedarc_x_total" --> series {class="2xx"} <--- metrics_counter_add
 *                                series {class="5xx"}      metrics_render -> text
 *
 * Values: counters are uint64 (events, bytes); gauges and histogram sums
 * are doubles kept as their bit pattern in an atomic uint64 (an add is a
 * compare-and-swap loop); a histogram keeps one atomic count per bucket
 * (not cumulative; rendering adds them up, so `_count` always equals the
 * `+Inf` bucket).  A scrape concurrent with bumps sees each value at some
 * instant, not all values at one instant - as with every Prometheus client.
 *
 * Naming (enforced at registration): every name starts with "feedarc_",
 * matches [a-zA-Z_:][a-zA-Z0-9_:]*, counters end in "_total"; base units
 * (seconds, bytes) are the caller's job and belong in the name
 * ("feedarc_fetch_duration_seconds").  Label values are fixed strings chosen
 * by feedarc (status class, record type), never a host or URL: the series
 * count is fixed at start-up.
 *
 * Format reference: https://prometheus.io/docs/instrumenting/exposition_formats/
 * (text format 0.0.4).
 */
#ifndef METRICS_H
#define METRICS_H

#include "common/fa_buf.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* The Content-Type of metrics_render's output. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Ceilings: families and series per registry, label pairs per series,
 * histogram buckets, and the rendered text. */
#define METRICS_MAX_FAMILIES 256
#define METRICS_MAX_SERIES 4096
#define METRICS_MAX_LABELS 4
#define METRICS_MAX_BUCKETS 32
#define METRICS_MAX_RENDER ((size_t)4 << 20)

typedef struct metrics_registry metrics_registry;

/* A counter series.  Treat as opaque; the fields are here so that bumping
 * inlines to one atomic add. */
typedef struct metrics_counter {
    _Atomic uint64_t value;
} metrics_counter;

/* A gauge series: a double, as its bits. */
typedef struct metrics_gauge {
    _Atomic uint64_t bits;
} metrics_gauge;

/* A histogram series with fixed upper bounds. */
typedef struct metrics_histogram {
    size_t n_bounds;
    double bounds[METRICS_MAX_BUCKETS];     /* ascending, finite */
    _Atomic uint64_t counts[METRICS_MAX_BUCKETS + 1]; /* per bucket; last: above all bounds */
    _Atomic uint64_t sum_bits;              /* double */
} metrics_histogram;

/* ---- the registry ---- */

/* A new, empty registry, or NULL when out of memory.  Free with
 * metrics_registry_free. */
metrics_registry *metrics_registry_new(void);

/* Frees r and every series in it (handles become invalid).  NULL is
 * accepted.  Nobody may bump or render concurrently. */
void metrics_registry_free(metrics_registry *r);

/*
 * Registers one series and hands out its handle in *out (owned by r).
 *
 * name:   the family name (rules above); help: its HELP text (one line,
 *         required; the first registration of a family sets it).
 * labels: NULL or "" for none, else "key=value" pairs joined by ',', e.g.
 *         "class=2xx" or "queue=in_flight"; keys are label names
 *         ([a-zA-Z_][a-zA-Z0-9_]*, not "__..."; not "le" on histograms),
 *         values any UTF-8 without ',' (escaped when rendered).  Every
 *         series of a family must use the same keys in the same order.
 *
 * Returns 0, or FA_EINVAL (a bad name, help or label set, a name already
 * registered with another type or other label keys, a series registered
 * twice), FA_ETOOBIG (past a ceiling) or FA_ENOMEM.  Thread-safe.
 */
int metrics_counter_register(metrics_registry *r, const char *name, const char *help,
                             const char *labels, metrics_counter **out);
int metrics_gauge_register(metrics_registry *r, const char *name, const char *help,
                           const char *labels, metrics_gauge **out);

/* Same, for a histogram with n_bounds (1..METRICS_MAX_BUCKETS) finite,
 * strictly ascending bucket upper bounds; the +Inf bucket is implicit.
 * Every series of a family must have the same bounds. */
int metrics_histogram_register(metrics_registry *r, const char *name, const char *help,
                               const char *labels, const double *bounds, size_t n_bounds,
                               metrics_histogram **out);

/* Appends the whole registry to out in the text format 0.0.4: families in
 * registration order, each with its # HELP and # TYPE lines, then its
 * series in registration order.  Returns 0, FA_ETOOBIG past out's ceiling
 * (out then holds a partial text: discard it) or FA_ENOMEM.  Thread-safe;
 * bumps may go on during it. */
int metrics_render(metrics_registry *r, fa_buf *out);

/* ---- bumping: lock-free, any thread; a NULL handle is a no-op ---- */

static inline void metrics_counter_add(metrics_counter *c, uint64_t n)
{
    if (c != NULL) atomic_fetch_add_explicit(&c->value, n, memory_order_relaxed);
}

static inline uint64_t metrics_counter_get(const metrics_counter *c)
{
    return c != NULL ? atomic_load_explicit(&((metrics_counter *)c)->value, memory_order_relaxed)
                     : 0;
}

/* Sets / reads / adds to a gauge (add may be negative; a CAS loop). */
void metrics_gauge_set(metrics_gauge *g, double v);
double metrics_gauge_get(const metrics_gauge *g);
void metrics_gauge_add(metrics_gauge *g, double delta);

/* Counts one observation v (seconds, bytes, ...) into its bucket and the
 * sum.  NaN is ignored. */
void metrics_histogram_observe(metrics_histogram *h, double v);

/* Observations so far (all buckets) and their sum. */
uint64_t metrics_histogram_count(const metrics_histogram *h);
double metrics_histogram_sum(const metrics_histogram *h);

/* ---- feedarc's metric set ---- */

/* feedarc_fetches_total{class=...}: one per finished HTTP exchange. */
enum metrics_fetch_class {
    METRICS_FETCH_1XX = 0,
    METRICS_FETCH_2XX,
    METRICS_FETCH_3XX,
    METRICS_FETCH_4XX,
    METRICS_FETCH_5XX,
    METRICS_FETCH_ERROR, /* no HTTP status: DNS, connect, timeout, TLS, cut off */
    METRICS_FETCH_CLASSES
};

/* feedarc_fetch_errors_total{cause=...}: exchanges that got no HTTP
 * response, by what went wrong (the fetcher's fetch_cause, same order). */
enum metrics_fetch_cause {
    METRICS_CAUSE_REFUSED = 0, /* connection refused */
    METRICS_CAUSE_DNS,         /* the host name does not resolve */
    METRICS_CAUSE_TLS,         /* handshake or certificate */
    METRICS_CAUSE_TIMEOUT,     /* connect, transfer or low-speed timeout */
    METRICS_CAUSE_RESET,       /* reset, closed or cut short by the peer */
    METRICS_CAUSE_OTHER,
    METRICS_FETCH_CAUSES
};

/* feedarc_warc_records_total{type=...} */
enum metrics_record_type {
    METRICS_RECORD_WARCINFO = 0,
    METRICS_RECORD_REQUEST,
    METRICS_RECORD_RESPONSE,
    METRICS_RECORD_REVISIT,
    METRICS_RECORD_METADATA,
    METRICS_RECORD_CONVERSION,
    METRICS_RECORD_TYPES
};

/* feedarc_dedup_findings_total{kind=...} */
enum metrics_dedup_kind {
    METRICS_DEDUP_EXACT = 0,
    METRICS_DEDUP_NEAR,
    METRICS_DEDUP_CONTAINMENT,
    METRICS_DEDUP_BOILERPLATE,
    METRICS_DEDUP_KINDS
};

/* feedarc_queue_depth{queue=...} */
enum metrics_queue {
    METRICS_QUEUE_PENDING = 0,     /* requests waiting for their host's turn */
    METRICS_QUEUE_IN_FLIGHT,       /* transfers running */
    METRICS_QUEUE_ARCHIVE_PENDING, /* exchanges waiting for the WARC writer */
    METRICS_QUEUES
};

/* feedarc_source_polls_total{result=...}, feedarc_config_reloads_total{result=...} */
enum metrics_result { METRICS_RESULT_OK = 0, METRICS_RESULT_FAILED, METRICS_RESULTS };

/*
 * Every metric feedarc exports, as handles (docs/OPERATIONS.md lists them
 * with their meaning).  Owned by registry; all non-NULL after
 * feedarc_metrics_new.
 */
typedef struct feedarc_metrics {
    metrics_registry *registry;
    /* counters */
    metrics_counter *fetches[METRICS_FETCH_CLASSES]; /* feedarc_fetches_total{class} */
    metrics_counter *fetch_errors[METRICS_FETCH_CAUSES]; /* feedarc_fetch_errors_total{cause} */
    metrics_counter *fetched_bytes;                  /* feedarc_fetched_bytes_total */
    metrics_counter *written_bytes;                  /* feedarc_written_bytes_total */
    metrics_counter *records[METRICS_RECORD_TYPES];  /* feedarc_warc_records_total{type} */
    metrics_counter *dedup_findings[METRICS_DEDUP_KINDS]; /* feedarc_dedup_findings_total{kind} */
    metrics_counter *retries;                        /* feedarc_retries_total */
    metrics_counter *charset_detected;               /* feedarc_charset_detected_total */
    metrics_counter *charset_refused;                /* feedarc_charset_guesses_refused_total */
    metrics_counter *robots_disallowed;              /* feedarc_robots_disallowed_total */
    metrics_counter *segments_closed;                /* feedarc_segments_closed_total */
    metrics_counter *source_polls[METRICS_RESULTS];  /* feedarc_source_polls_total{result} */
    metrics_counter *config_reloads[METRICS_RESULTS]; /* feedarc_config_reloads_total{result} */
    /* gauges */
    metrics_gauge *queue_depth[METRICS_QUEUES]; /* feedarc_queue_depth{queue} */
    metrics_gauge *hosts_in_backoff;            /* feedarc_hosts_in_backoff */
    metrics_gauge *open_segment_bytes;          /* feedarc_open_segment_bytes */
    metrics_gauge *sources;                     /* feedarc_sources */
    metrics_gauge *sources_failing;             /* feedarc_sources_failing */
    metrics_gauge *last_poll_success;           /* feedarc_last_successful_poll_timestamp_seconds */
    metrics_gauge *start_time;                  /* feedarc_process_start_time_seconds (set) */
    metrics_gauge *build_info;                  /* feedarc_build_info{version} = 1 (set) */
    /* (issue 15) cluster: feedarc_cluster_redis_up, 1 while the node reaches
     * Redis, 0 while not (stays 0 without a cluster: section); and
     * feedarc_cluster_redis_losses_total */
    metrics_gauge *cluster_redis_up;
    metrics_counter *cluster_redis_losses;
    /* histograms */
    metrics_histogram *fetch_duration; /* feedarc_fetch_duration_seconds */
    metrics_histogram *loop_lag;       /* feedarc_event_loop_lag_seconds */
} feedarc_metrics;

/* A source with at least this many consecutive failures counts in
 * feedarc_sources_failing (and is flagged by `feedarc status`). */
#define METRICS_SOURCE_FAILING_AFTER 3

/* Creates a registry with every metric above registered (start time and
 * build info set).  Returns NULL when out of memory.  Free with
 * feedarc_metrics_free. */
feedarc_metrics *feedarc_metrics_new(void);

/* Frees m and its registry; NULL is accepted. */
void feedarc_metrics_free(feedarc_metrics *m);

/* The class of an HTTP status (100..599); anything else (0 = no response,
 * a negative error) is METRICS_FETCH_ERROR. */
enum metrics_fetch_class metrics_fetch_class_of(int http_status);

#endif
