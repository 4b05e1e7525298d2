/*
 * crawl_telemetry.c - what a crawl tells about itself while it runs: the
 * loop-lag probe, the once-a-second beat (gauges, the owner's heartbeat,
 * the progress line), the fetch log line and the per-fetch and per-record
 * metrics.
 *
 * The loop-lag probe is a 10 ms repeating timer: how late it fires is how
 * long the loop thread was busy with something else (parsing, callbacks,
 * anything blocking).  Its lags go into a 1 ms histogram (p99 and max in
 * the summary) and, above 2 ms, into the loop_lag metric.  The same timer
 * reads the signals (crawl_signals.c) and drives the beat.
 *
 * Threads: loop thread only.
 */
#include "crawler/crawl_internal.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "common/fa_time.h"
#include "metrics/metrics.h"

#include <stdio.h>

#define LAG_PERIOD_MS 10

void crawl__show_progress(crawl *c, int last)
{
    double secs = (double)(fa_time_mono_ns() - c->start_ns) / 1e9;
    uint64_t written = c->sum->bytes_on_disk; /* once the writer is closed */
    if (c->w) {
        segment_writer_stats st;
        segment_writer_get_stats(c->w, &st);
        written = st.bytes_on_disk;
    }
    fprintf(stderr,
            "\r\033[Ksources %u/%u  pages %llu  %.0f pages/s  written %.1f MiB  findings %lu",
            c->sources_done, c->sum->sources, (unsigned long long)c->sum->pages_fetched,
            secs > 0 ? (double)c->sum->pages_fetched / secs : 0.0, (double)written / 1048576.0,
            (unsigned long)atomic_load(&c->findings));
    if (last) fputs("\n", stderr);
    fa_log_set_progress_line(!last); /* log lines clear it first */
    c->progress_shown = 1;
}

/* About once a second: the gauges, and the owner's heartbeat. */
static void beat(crawl *c)
{
    feedarc_metrics *m = c->opt ? c->opt->metrics : NULL;
    if (m) {
        if (c->q) {
            metrics_gauge_set(m->queue_depth[METRICS_QUEUE_PENDING],
                              (double)host_queue_pending(c->q));
            metrics_gauge_set(m->queue_depth[METRICS_QUEUE_IN_FLIGHT],
                              (double)host_queue_in_flight(c->q));
            metrics_gauge_set(m->hosts_in_backoff, (double)host_queue_hosts_deferred(c->q));
        }
        metrics_gauge_set(m->queue_depth[METRICS_QUEUE_ARCHIVE_PENDING],
                          (double)c->archive_pending);
        if (c->w) {
            segment_writer_stats st;
            segment_writer_get_stats(c->w, &st);
            metrics_gauge_set(m->open_segment_bytes, (double)st.open_segment_size);
            if (st.bytes_on_disk > c->last_written) {
                metrics_counter_add(m->written_bytes, st.bytes_on_disk - c->last_written);
                c->last_written = st.bytes_on_disk;
            }
        }
    }
    if (c->opt && c->opt->heartbeat) c->opt->heartbeat(c->opt->heartbeat_ud);
    if (c->opt && c->opt->progress) crawl__show_progress(c, 0);
}

static void on_lag_tick(uv_timer_t *t)
{
    crawl *c = t->data;
    uint64_t now = fa_time_mono_ns();
    uint64_t lag = now > c->lag_expected_ns ? now - c->lag_expected_ns : 0;
    if (lag > c->lag_max_ns) c->lag_max_ns = lag;
    uint64_t ms = lag / 1000000;
    c->lag_hist[ms < 63 ? ms : 63]++;
    c->lag_samples++;
    c->lag_expected_ns = now + LAG_PERIOD_MS * 1000000ULL;
    if (lag > 50000000ULL) fa_log_debug("crawl", "the event loop was %.1f ms late", (double)lag / 1e6);
    if (c->opt && c->opt->metrics && lag > 2000000) /* lags below 2 ms are the timer's own */
        metrics_histogram_observe(c->opt->metrics->loop_lag, (double)lag / 1e9);
    crawl__check_signals(c);
    if (now - c->last_beat_ns >= 1000000000ULL) {
        c->last_beat_ns = now;
        beat(c);
    }
}

void crawl__lag_start(crawl *c)
{
    uv_timer_init(&c->loop, &c->lag_timer);
    c->lag_timer.data = c;
    c->lag_expected_ns = fa_time_mono_ns() + LAG_PERIOD_MS * 1000000ULL;
    uv_timer_start(&c->lag_timer, on_lag_tick, LAG_PERIOD_MS, LAG_PERIOD_MS);
}

void crawl__lag_report(const crawl *c, crawl_summary *out)
{
    out->loop_lag_max_ms = (double)c->lag_max_ns / 1e6;
    uint64_t want = c->lag_samples - c->lag_samples / 100, seen = 0;
    for (int i = 0; i < 64 && c->lag_samples; i++) {
        seen += c->lag_hist[i];
        if (seen >= want) {
            out->loop_lag_p99_ms = i + 1;
            break;
        }
    }
}

/* --verbose / log.level debug: one line per fetch, as Heritrix's crawl.log
 * has one: method, URL, status, bytes, milliseconds, cause. */
static void log_fetch(const crawl *c, const crawl_job *j)
{
    const fetch_transfer *t = &j->t;
    char status[16], bytes[24], ms[24];
    snprintf(status, sizeof status, "%ld", t->error_code ? 0L : t->status);
    snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)t->body.size);
    snprintf(ms, sizeof ms, "%llu",
             (unsigned long long)((t->end_mono_ns - t->start_mono_ns) / 1000000));
    const char *kv[] = {"method", "GET",
                        "url",    j->url,
                        "status", status,
                        "bytes",  bytes,
                        "ms",     ms,
                        "kind",   j->ops->name,
                        "source", c->sum->results[j->source].name,
                        "cause",  t->error_code ? t->error : "",
                        NULL};
    fa_log_kv(FA_LOG_DEBUG, "fetch", kv, "fetched");
}

void crawl__count_fetch(crawl *c, const crawl_job *j)
{
    const fetch_transfer *t = &j->t;
    c->sum->requests++;
    c->sum->bytes_fetched += t->body.size;
    if (fa_log_get_level() <= FA_LOG_DEBUG) log_fetch(c, j);
    if (c->opt && c->opt->metrics) {
        feedarc_metrics *m = c->opt->metrics;
        metrics_counter_add(m->fetches[metrics_fetch_class_of(t->error_code ? 0 : (int)t->status)],
                            1);
        metrics_counter_add(m->fetched_bytes, t->body.size);
        if (t->error_code && t->error_code != FA_ECANCELED && t->cause < FETCH_CAUSE_NONE)
            metrics_counter_add(m->fetch_errors[(int)t->cause], 1);
        metrics_histogram_observe(m->fetch_duration,
                                  (double)(t->end_mono_ns - t->start_mono_ns) / 1e9);
    }
}
