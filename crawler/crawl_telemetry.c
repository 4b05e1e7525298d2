/*
 * crawl_telemetry.c - what a crawl tells about itself while it runs: the
 * loop-lag probe, the once-a-second beat (gauges, the owner's heartbeat,
 * the progress line), the fetch log line and the per-fetch and per-record
 * metrics.
 *
 * The loop-lag probe is a 10 ms repeating timer: how late it fires is how
 * long the loop thread was busy with something else (parsing, callbacks,
 * anything blocking) - or waited for a core.  Its lags go into a 1 ms
 * histogram (p99 and max in the summary) and, above 2 ms, into the
 * loop_lag metric.  Each lag bounded by the loop thread's CPU time since
 * the tick before (CLOCK_THREAD_CPUTIME_ID) goes into a second histogram:
 * at most that much of the lag was the loop's own work, so on a machine
 * shared with other processes it still says whether the loop thread
 * stalls its fetches.  The same timer reads the signals (crawl_signals.c)
 * and drives the beat.
 *
 * Threads: loop thread only.
 */
#include "crawler/crawl_internal.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "common/fa_time.h"
#include "common/fa_worker.h"
#include "metrics/metrics.h"

#include <stdio.h>
#include <time.h>

#define LAG_PERIOD_MS 10

static uint64_t cpu_ns(clockid_t clock)
{
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
    return cpu_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* p99 of a 1 ms histogram: the upper bound of its bucket. */
static double hist_p99(const uint32_t *hist, uint64_t samples)
{
    uint64_t want = samples - samples / 100, seen = 0;
    for (int i = 0; i < 64 && samples; i++) {
        seen += hist[i];
        if (seen >= want) return i + 1;
    }
    return 0;
}

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
    uint64_t cpu = thread_cpu_ns(), busy = cpu - c->cpu_last_ns;
    c->cpu_last_ns = cpu;
    if (busy > lag) busy = lag;
    if (busy > c->busy_max_ns) c->busy_max_ns = busy;
    c->busy_hist[busy / 1000000 < 63 ? busy / 1000000 : 63]++;
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
    c->cpu_start_ns = c->cpu_last_ns = thread_cpu_ns();
    c->yields_start = fa_worker_yields();
    c->phase_start_ns = fa_time_mono_ns();
    c->phase_start_cpu_ns = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
    uv_timer_start(&c->lag_timer, on_lag_tick, LAG_PERIOD_MS, LAG_PERIOD_MS);
}

/* The last page is archived: the crawl's own span ends (the close follows). */
void crawl__phase_end(crawl *c)
{
    if (c->phase_end_ns) return;
    c->phase_end_ns = fa_time_mono_ns();
    c->phase_end_cpu_ns = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
}

void crawl__lag_report(const crawl *c, crawl_summary *out)
{
    if (c->phase_end_ns > c->phase_start_ns) {
        out->crawl_phase_s = (double)(c->phase_end_ns - c->phase_start_ns) / 1e9;
        out->crawl_phase_cpu_s = (double)(c->phase_end_cpu_ns - c->phase_start_cpu_ns) / 1e9;
    }
    out->loop_lag_max_ms = (double)c->lag_max_ns / 1e6;
    out->loop_lag_p99_ms = hist_p99(c->lag_hist, c->lag_samples);
    out->loop_busy_max_ms = (double)c->busy_max_ns / 1e6;
    out->loop_busy_p99_ms = hist_p99(c->busy_hist, c->lag_samples);
    out->loop_cpu_s = (double)(c->cpu_last_ns - c->cpu_start_ns) / 1e9;
    out->worker_yields = fa_worker_yields() - c->yields_start;
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
