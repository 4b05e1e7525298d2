/*
 * crawl.c - a crawl over all sources: once, or as a service.  See crawl.h.
 *
 * Life of a job (one URL to fetch):
 *   job_push_ex -> robots gate (the host's robots.txt first; the job may
 *   wait for it) -> host_queue (waits for the host's turn) -> job_start ->
 *   fetcher (streams; for feeds and APIs the source parser reads the body
 *   as it arrives and pushes item pages, next pages, child sitemaps as new
 *   jobs) -> job_fetched (loop thread: counted, redirects followed,
 *   transient errors retried after a host backoff, 304s recorded) ->
 *   archive_work (a libuv worker thread: crawl_archive.c - dedup analysis,
 *   digests, zstd, append to the segment) -> archive_done (loop thread:
 *   url record queued for the state after the next fsync, job freed,
 *   backpressure released).
 * Once: the crawl ends when no job waits, none is in flight and none is
 * being archived; a host backing off longer than the run can wait has its
 * URLs deferred (counted, not recorded: the next run fetches them).  Serve:
 * each source has a due timer; a poll ends when the source's last job
 * ends, and the next is scheduled from its interval.
 * Signals come through fa_signal.h, read by the 10 ms lag timer:
 * SIGTERM/SIGINT stop gracefully (a second one cancels transfers in
 * flight), SIGHUP ends the run for a reload.  A robots.txt that got no
 * answer is a network failure, not a robots decision (robots_gate.h).
 */
#include "crawler/crawl.h"
#include "crawler/crawl_internal.h"
#include "common/fa_dechunk.h"
#include "common/fa_digest.h"
#include "common/fa_err.h"
#include "common/fa_hashset.h"
#include "common/fa_limits.h"
#include "common/fa_log.h"
#include "common/fa_signal.h"
#include "common/fa_time.h"
#include "crawler/archive_reconcile.h"
#include "crawler/fetcher.h"
#include "crawler/host_queue.h"
#include "crawler/robots_gate.h"
#include "crawler/state_batch.h"
#include "crawler/url.h"
#include "dedup/dedup_engine.h"
#include "metrics/metrics.h"
#include "crawler/source_list.h"
#include "feeds/source_parser.h"
#include "state/crawl_state.h"
#include "storage/segment_dict.h"
#include "storage/segment_writer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <signal.h>
#include <time.h>
#include <xxhash.h>

#define LAG_PERIOD_MS 10

static void maybe_finish(crawl *c);

static void beat(crawl *c);
static void check_signals(crawl *c);

/* once, on a terminal: one line, rewritten every second. */
static void show_progress(crawl *c, int last)
{
    double secs = (double)(fa_time_mono_ns() - c->start_ns) / 1e9;
    uint64_t written = c->sum->bytes_on_disk; /* once the writer is closed */
    if (c->w) {
        segment_writer_stats st;
        segment_writer_get_stats(c->w, &st);
        written = st.bytes_on_disk;
    }
    fprintf(stderr, "\r\033[Ksources %u/%u  pages %llu  %.0f pages/s  written %.1f MiB  findings %lu",
            c->sources_done, c->sum->sources, (unsigned long long)c->sum->pages_fetched,
            secs > 0 ? (double)c->sum->pages_fetched / secs : 0.0, (double)written / 1048576.0,
            (unsigned long)atomic_load(&c->findings));
    if (last)
        fputs("\n", stderr);
    fa_log_set_progress_line(!last); /* log lines clear it first (issue 11) */
    c->progress_shown = 1;
}

static void on_lag_tick(uv_timer_t *t)
{
    crawl *c = t->data;
    uint64_t now = fa_time_mono_ns();
    uint64_t lag = now > c->lag_expected_ns ? now - c->lag_expected_ns : 0;
    if (lag > c->lag_max_ns)
        c->lag_max_ns = lag;
    uint64_t ms = lag / 1000000;
    c->lag_hist[ms < 63 ? ms : 63]++;
    c->lag_samples++;
    c->lag_expected_ns = now + LAG_PERIOD_MS * 1000000ULL;
    if (c->opt && c->opt->metrics && lag > 2000000) /* lags below 2 ms are the timer's own */
        metrics_histogram_observe(c->opt->metrics->loop_lag, (double)lag / 1e9);
    check_signals(c);
    if (now - c->last_beat_ns >= 1000000000ULL) {
        c->last_beat_ns = now;
        beat(c);
    }
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
    if (c->opt && c->opt->heartbeat)
        c->opt->heartbeat(c->opt->heartbeat_ud);
    if (c->opt && c->opt->progress)
        show_progress(c, 0);
}

static void lag_report(const crawl *c, crawl_summary *out)
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

static void source_fail(crawl *c, unsigned src, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void source_fail(crawl *c, unsigned src, const char *fmt, ...)
{
    crawl_source_result *r = &c->sum->results[src];
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *kv[] = {"source", r->name, NULL};
    fa_log_kv(FA_LOG_WARN, "crawl", kv, "%s", msg);
    r->ok = 0;
    if (r->error == NULL)
        r->error = strdup(msg);
}

static void source_job_ended(crawl *c, unsigned src);

static void job_free(crawl_job *j)
{
    if (j == NULL)
        return;
    if (j->kind != JOB_ROBOTS)
        source_job_ended(j->c, j->source);
    fetch_transfer_cleanup(&j->t);
    source_parser_free(j->sp);
    curl_slist_free_all(j->headers);
    free(j->robots_for);
    fa_buf_free(&j->robots_body);
    fa_buf_free(&j->decoded);
    fa_buf_free(&j->items);
    free(j->via);
    free(j->item_id);
    free(j->item_published);
    free(j->item_updated);
    free(j->item_title);
    free(j->url);
    free(j);
}

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

static void state_fail(crawl *c, int rc)
{
    if (c->sum->storage_error)
        return;
    c->sum->storage_error = rc;
    snprintf(c->sum->storage_message, sizeof c->sum->storage_message,
             "crawl state in %s: %s", c->cfg->storage.state_dir, crawl_state_errmsg(c->st));
    fa_log_error("state", "%s", c->sum->storage_message);
}

static int job_push_robots(crawl *c, const char *host_key, unsigned src);
static void load_backoff(crawl *c, const char *host);

/* Counts a job robots.txt forbids, and frees it. */
static void job_disallowed(crawl *c, crawl_job *j, const robots_verdict *v)
{
    const char *kv[] = {"url", j->url, NULL};
    if (v->reason == ROBOTS_BY_UNAVAILABLE)
        fa_log_kv(FA_LOG_INFO, "robots", kv, "skipped: robots.txt unavailable");
    else
        fa_log_kv(FA_LOG_DEBUG, "robots", kv, "disallowed (line %d: %s)", v->line, v->rule);
    if (j->kind == JOB_FEED)
        source_fail(c, j->source, "%s: disallowed by robots.txt%s%s", j->url,
                    v->rule[0] ? ": " : "", v->rule[0] ? v->rule : "");
    c->sum->results[j->source].pages_disallowed++;
    c->sum->pages_disallowed++;
    if (c->opt && c->opt->metrics)
        metrics_counter_add(c->opt->metrics->robots_disallowed, 1);
    job_free(j);
}

/* A job whose host's robots.txt got no HTTP answer (refused, DNS, TLS,
 * timeout, reset): it fails with that cause - a network failure, never a
 * robots decision. */
static void job_unreachable(crawl *c, crawl_job *j)
{
    const char *why = robots_gate_failure(c->gate, j->host);
    source_fail(c, j->source, "%s: %s (fetching robots.txt)", j->url, why ? why : "no answer");
    if (j->kind == JOB_FEED) /* the fetcher's text names its cause (fetcher.c) */
        for (int k = FETCH_CAUSE_REFUSED; k < FETCH_CAUSE_NONE; k++)
            if (why && strcasestr(why, fetch_cause_name((enum fetch_cause)k))) {
                c->sum->results[j->source].cause = fetch_cause_name((enum fetch_cause)k);
                break;
            }
    if (j->kind == JOB_PAGE) {
        c->sum->results[j->source].pages_failed++, c->sum->pages_failed++;
        c->src[j->source].incomplete = 1; /* tried again with the feed, next time */
    }
    job_free(j);
}

/* once: how long the run may still wait for a host (ms). */
static uint64_t once_wait_limit(const crawl *c)
{
    if (c->deadline_ns == 0)
        return CRAWL_ONCE_MAX_WAIT_MS;
    uint64_t now = fa_time_mono_ns();
    uint64_t left = c->deadline_ns > now ? (c->deadline_ns - now) / 1000000 : 0;
    return left < CRAWL_ONCE_MAX_WAIT_MS ? left : CRAWL_ONCE_MAX_WAIT_MS;
}

/* Leaves a job's URL for the next run: counted, its source's feed records
 * not committed, the job freed.  Robots jobs are not counted (the jobs
 * that waited for them are). */
static void job_defer(crawl *c, crawl_job *j)
{
    if (j->kind != JOB_ROBOTS) {
        c->sum->results[j->source].deferred++;
        c->sum->deferred++;
        c->src[j->source].incomplete = 1;
        const char *kv[] = {"url", j->url, NULL};
        fa_log_kv(FA_LOG_DEBUG, "crawl", kv, "deferred to the next run");
    }
    job_free(j);
}

static int host_is_deferred(crawl *c, const char *host)
{
    return !c->serve && fa_hashset_has(&c->hosts_deferred, XXH3_64bits(host, strlen(host)));
}

/* once: the host backs off longer than the run can wait - its URLs wait
 * for the next run. */
static void defer_host(crawl *c, const char *host, uint64_t ms, const char *why)
{
    if (fa_hashset_add(&c->hosts_deferred, XXH3_64bits(host, strlen(host))) == 1)
        fa_log_warn("crawl", "%s backs off for %llu s more (%s): its URLs are deferred to the "
                             "next run", host, (unsigned long long)(ms / 1000), why);
}

/* Robots jobs go straight to the host queue; every other job passes the
 * robots gate first (and may wait there for the host's robots.txt). */
static int job_admit(crawl *c, crawl_job *j)
{
    load_backoff(c, j->host); /* at the host's first sight: a stored backoff */
    if (host_is_deferred(c, j->host)) {
        job_defer(c, j);
        return 0;
    }
    if (j->kind != JOB_ROBOTS && !c->cfg->sources[j->source].ignore_robots) {
        robots_verdict v;
        switch (robots_gate_check(c->gate, j->host, j->url, &j->rw, &v)) {
        case ROBOTS_GATE_ALLOW: break;
        case ROBOTS_GATE_DISALLOW: job_disallowed(c, j, &v); return 0;
        case ROBOTS_GATE_PARKED: return 0;
        case ROBOTS_GATE_FETCH: return job_push_robots(c, j->host, j->source);
        case ROBOTS_GATE_UNREACHABLE: job_unreachable(c, j); return 0;
        }
    }
    int rc = host_queue_push(c->q, j->host, &j->qe);
    if (rc < 0)
        job_free(j);
    return rc;
}

/* Queues url (already absolute and normalised; taken over) as a job;
 * item is the feed item a page job comes from (NULL otherwise). */
/* A new job for url (taken over) on host_key; NULL (url freed) when out of
 * memory.  Feed and page jobs count in their source's alive jobs. */
static crawl_job *job_new(crawl *c, char *url, const char *host_key, enum job_kind kind,
                          unsigned src)
{
    crawl_job *j = calloc(1, sizeof *j);
    if (j == NULL) {
        free(url);
        return NULL;
    }
    snprintf(j->host, sizeof j->host, "%s", host_key);
    fa_buf_init(&j->robots_body, ROBOTS_MAX_BYTES);
    j->c = c;
    j->url = url;
    j->kind = kind;
    j->source = src;
    j->page = 1;
    if (kind != JOB_ROBOTS)
        c->src[src].alive++;
    fetch_transfer_init(&j->t);
    return j;
}

/* How a feed job reads its response (copied into the job). */
typedef struct feed_spec {
    enum source_format format;
    unsigned page, depth;
} feed_spec;

static int job_push_ex(crawl *c, char *url, enum job_kind kind, unsigned src, unsigned redirects,
                       const feed_item *item, const feed_spec *fs, const char *via)
{
    char key[512];
    if (url_host_key(url, key, sizeof key) < 0) {
        source_fail(c, src, "not an http(s) URL: %s", url);
        free(url);
        return FA_EINVAL;
    }
    crawl_job *j = job_new(c, url, key, kind, src);
    if (j == NULL)
        return FA_ENOMEM;
    j->redirects = redirects;
    if (item) {
        j->item_id = dup_or_null(item->id);
        j->item_published = dup_or_null(item->published);
        j->item_updated = dup_or_null(item->updated);
        j->item_title = dup_or_null(item->title);
    }
    if (via)
        j->via = strdup(via);
    if (fs) {
        j->format = fs->format;
        j->page = fs->page ? fs->page : 1;
        j->depth = fs->depth;
    }
    return job_admit(c, j);
}



/* Marks url as queued; returns 1 when it was new, 0 when it was queued
 * already (or FA_ENOMEM).  A run of `once` fetches each URL once across all
 * sources; a service remembers per source and per poll (the state keeps
 * archived pages from being fetched again), so memory does not grow with
 * the months it runs. */
static int seen_add(crawl *c, unsigned src, int feed, const char *url)
{
    fa_hashset *set = c->serve ? (feed ? &c->src[src].seen_feeds : &c->src[src].seen_pages)
                               : (feed ? &c->feeds_seen : &c->seen);
    return fa_hashset_add(set, XXH3_64bits(url, strlen(url)));
}

/* Queues a feed/API/sitemap URL of a source (taken over), once per run. */
static int push_feed(crawl *c, char *url, unsigned src, enum source_format format, unsigned page,
                     unsigned depth)
{
    if (seen_add(c, src, 1, url) == 0) {
        free(url);
        return 0;
    }
    feed_spec fs = {.format = format, .page = page, .depth = depth};
    return job_push_ex(c, url, JOB_FEED, src, 0, NULL, &fs, NULL);
}

static int job_push_robots(crawl *c, const char *host_key, unsigned src)
{
    char *url = malloc(strlen(host_key) + sizeof "/robots.txt");
    if (url == NULL)
        return FA_ENOMEM;
    strcpy(url, host_key);
    strcat(url, "/robots.txt");
    crawl_job *j = job_new(c, url, host_key, JOB_ROBOTS, src);
    if (j == NULL)
        return FA_ENOMEM;
    if ((j->robots_for = strdup(host_key)) == NULL) {
        job_free(j);
        return FA_ENOMEM;
    }
    c->sum->robots_fetched++;
    return job_admit(c, j);
}

/* A robots.txt redirect: the next hop decides for the same host key. */
static int job_push_robots_redirect(crawl *c, const crawl_job *from, char *next)
{
    char key[512];
    if (url_host_key(next, key, sizeof key) < 0) {
        free(next);
        return FA_EINVAL;
    }
    crawl_job *j = job_new(c, next, key, JOB_ROBOTS, from->source);
    if (j == NULL)
        return FA_ENOMEM;
    if ((j->robots_for = strdup(from->robots_for)) == NULL) {
        job_free(j);
        return FA_ENOMEM;
    }
    j->redirects = from->redirects + 1;
    int rc = host_queue_push(c->q, key, &j->qe);
    if (rc < 0)
        job_free(j);
    return rc;
}

/* Jobs that waited for a robots.txt: checked again (or dropped, stopping). */
static void robots_release(crawl *c, robots_gate_wait *w)
{
    while (w) {
        crawl_job *j = (crawl_job *)((char *)w - offsetof(crawl_job, rw));
        w = w->next;
        if (c->stopping) {
            job_defer(c, j);
            continue;
        }
        job_admit(c, j);
    }
}

static uint64_t shortest_interval(const config *cfg);

/* The robots.txt outcome for robots_for is known: record it and let the
 * jobs that waited for it through (or not). */
static void robots_resolved(crawl *c, const char *host_key, int status, const fa_buf *body)
{
    uint64_t delay = 0;
    robots_gate_wait *w = robots_gate_resolve(c->gate, host_key, status,
                                              body && body->data ? body->data : "",
                                              body ? body->len : 0, &delay);
    if (delay)
        host_queue_set_delay(c->q, host_key, delay);
    robots_release(c, w);
}

/* The robots.txt fetch for host_key got no HTTP answer (why): its jobs fail
 * with that cause; a service asks again after retry_ms (0: not this run). */
static void robots_failed(crawl *c, const char *host_key, const char *why, uint64_t retry_ms)
{
    if (!c->stopping)
        fa_log_warn("robots", "%s/robots.txt got no answer: %s; the host's URLs fail%s",
                    host_key, why, retry_ms ? " until it is asked for again" : " for this run");
    /* the jobs that waited fail with the cause (even if the host is now
     * deferred: they are what this failure was about) */
    robots_gate_wait *w = robots_gate_fail(c->gate, host_key, why, retry_ms);
    while (w) {
        crawl_job *j = (crawl_job *)((char *)w - offsetof(crawl_job, rw));
        w = w->next;
        if (c->stopping)
            job_defer(c, j);
        else
            job_unreachable(c, j);
    }
}

#define DEDUP_MAX_PAGE (8u << 20) /* decoded bytes of a page analysed */

static int on_page_payload(fetch_transfer *t, const void *data, size_t len)
{
    crawl_job *j = t->ud;
    if (t->status < 200 || t->status > 299)
        return -1;
    return fa_buf_append(&j->decoded, data, len) < 0 ? -1 : 0; /* past the cap: not analysed */
}

static int on_robots_payload(fetch_transfer *t, const void *data, size_t len)
{
    crawl_job *j = t->ud;
    fa_buf *b = &j->robots_body;
    size_t room = b->max - b->len;
    fa_buf_append(b, data, len < room ? len : room);
    return len < room ? 0 : -1; /* RFC 9309: parse the first 500 KiB */
}

/* ---- feeds ---- */

#define ITEMS_MAX (16u << 20) /* item text kept per feed response for dedup */

/* An item that will have no page of its own is a document by itself: its
 * content is analysed (on a worker, with the feed's archiving). */
static void keep_item_for_dedup(crawl *c, crawl_job *j, const feed_item *item)
{
    const char *content = item->content[0] ? item->content : item->summary;
    char *doc = NULL;
    if (content[0] == '\0')
        return;
    if (item->link[0] && url_resolve(j->url, item->link, &doc) < 0)
        doc = NULL;
    if (doc == NULL && strchr(item->id, ':') && !strpbrk(item->id, " \t\r\n"))
        doc = strdup(item->id); /* a URI such as urn:uuid:... */
    if (doc == NULL)
        return;
    if (j->items.max == 0)
        fa_buf_init(&j->items, ITEMS_MAX);
    size_t mark = j->items.len;
    if (fa_buf_append(&j->items, doc, strlen(doc) + 1) < 0 ||
        fa_buf_append(&j->items, item->id, strlen(item->id) + 1) < 0 ||
        fa_buf_append(&j->items, content, strlen(content) + 1) < 0) {
        j->items.len = mark; /* over the ceiling: this item is not analysed */
    } else {
        c->sum->results[j->source].items_without_page++;
    }
    free(doc);
}

static int on_item(void *ud, const feed_item *item)
{
    crawl_job *j = ud;
    crawl *c = j->c;
    const config_source *s = &c->cfg->sources[j->source];
    c->sum->results[j->source].items++;
    c->sum->items++;
    source_rt *rt = &c->src[j->source];
    if (strcmp(item->updated, rt->newest_modified) > 0 && strlen(item->updated) < sizeof rt->newest_modified)
        strcpy(rt->newest_modified, item->updated);
    if ((!s->fetch_pages || item->link[0] == '\0') && c->dedup && !c->stopping)
        keep_item_for_dedup(c, j, item);
    if (!s->fetch_pages || item->link[0] == '\0' || c->stopping)
        return 0;
    char *url = NULL;
    int ur = url_resolve(j->url, item->link, &url);
    if (ur == FA_ETOOBIG) { /* that page's failure, not the crawl's */
        source_fail(c, j->source, "%.200s...: URL longer than %d bytes", item->link,
                    FA_URL_MAX - 1);
        c->sum->results[j->source].pages_failed++, c->sum->pages_failed++;
        return 0;
    }
    if (ur < 0) {
        const char *kv[] = {"source", s->name, "link", item->link, NULL};
        fa_log_kv(FA_LOG_DEBUG, "crawl", kv, "item link skipped: not an http(s) URL");
        return 0;
    }
    int added = seen_add(c, j->source, 0, url);
    if (added <= 0) {
        free(url);
        return added < 0 ? added : 0;
    }
    /* Archived in an earlier run, and the feed does not say it changed:
     * nothing to fetch. */
    url_record prev;
    int known = crawl_state_get_url(c->st, url, &prev);
    if (known < 0) {
        state_fail(c, known);
        free(url);
        return 0;
    }
    /* (a 429 or 5xx archived as evidence is no capture: fetched again) */
    if (known == 1 && prev.warc_record_id[0] && prev.http_status != 429 &&
        prev.http_status < 500 &&
        (item->updated[0] == '\0' || prev.item_updated[0] == '\0' ||
         strcmp(item->updated, prev.item_updated) == 0)) {
        c->sum->results[j->source].pages_unchanged++;
        c->sum->pages_unchanged++;
        free(url);
        return 0;
    }
    return job_push_ex(c, url, JOB_PAGE, j->source, 0, item, NULL, j->url) == FA_ENOMEM ? FA_ENOMEM
                                                                                  : 0;
}

/* The parser decides from the status and headers whether the body is for
 * it (2xx; WordPress's 400 past the last page). */
static int feed_response(crawl_job *j)
{
    if (!j->resp_given) {
        fetch_transfer *t = &j->t;
        j->resp_given = 1;
        j->resp_wanted = source_parser_response(
                             j->sp, t->status, t->response_head.data ? t->response_head.data : "",
                             t->response_head.len) == 1;
    }
    return j->resp_wanted;
}

static int on_feed_payload(fetch_transfer *t, const void *data, size_t len)
{
    crawl_job *j = t->ud;
    if (!feed_response(j))
        return -1; /* an error page or redirect body is no feed */
    int rc = source_parser_push(j->sp, data, len);
    if (rc < 0) {
        j->parse_rc = rc;
        return -1;
    }
    return 0;
}

static int push_feed(crawl *c, char *url, unsigned src, enum source_format format, unsigned page,
                     unsigned depth);

/* Links a source response points to: its next page, feeds found in an HTML
 * page or an OPML file, the sitemaps of a sitemap index. */
static int on_link(void *ud, enum source_link_kind kind, const char *link, const char *title)
{
    (void)title;
    crawl_job *j = ud;
    crawl *c = j->c;
    if (c->stopping)
        return 0;
    char *url = NULL;
    int ur = url_resolve(j->url, link, &url);
    if (ur == FA_ETOOBIG)
        source_fail(c, j->source, "%.200s...: URL longer than %d bytes", link, FA_URL_MAX - 1);
    if (ur < 0)
        return 0;
    source_rt *s = &c->src[j->source];
    switch (kind) {
    case SOURCE_LINK_NEXT_PAGE:
        return push_feed(c, url, j->source, j->format, j->page + 1, j->depth) == FA_ENOMEM
                   ? FA_ENOMEM
                   : 0;
    case SOURCE_LINK_FEED:
    case SOURCE_LINK_SITEMAP:
        if (j->depth + 1 > MAX_SOURCE_DEPTH || s->sitemaps >= MAX_SOURCE_CHILDREN) {
            const char *kv[] = {"url", url, NULL};
            fa_log_kv(FA_LOG_WARN, "crawl", kv, "not followed: the source's %s cap is reached",
                      j->depth + 1 > MAX_SOURCE_DEPTH ? "nesting" : "child count");
            free(url);
            return 0;
        }
        s->sitemaps++;
        return push_feed(c, url, j->source,
                         kind == SOURCE_LINK_SITEMAP ? SOURCE_FORMAT_SITEMAP : SOURCE_FORMAT_AUTO,
                         1, j->depth + 1) == FA_ENOMEM
                   ? FA_ENOMEM
                   : 0;
    }
    free(url);
    return 0;
}

static void archive_work(uv_work_t *w)
{
    crawl_job *j = w->data;
    fetch_transfer *t = &j->t;
    crawl__redact_request(j); /* (issue 11) before anything reads it */
    warc_exchange x = {
        .target_uri = j->url,
        .ip_address = t->ip[0] ? t->ip : NULL,
        .date_ns = t->date_ns,
        .request = t->request.data ? t->request.data : "",
        .request_len = t->request.len,
        .response_head = t->response_head.data ? t->response_head.data : "",
        .response_head_len = t->response_head.len,
        .body = &t->body,
        .body_chunked = t->chunked,
    };
    if (j->revisit) {
        /* server-not-modified: the 304's head, referring to the capture
         * the state knows (whose WARC-Date is its last_fetch_ns) */
        char date[40];
        fa_time_format_iso(j->prev.last_fetch_ns, 6, date, sizeof date);
        warc_record_spec spec = {
            .type = "revisit",
            .target_uri = j->url,
            .date_ns = t->date_ns,
            .ip_address = x.ip_address,
            .refers_to = j->prev.warc_record_id,
            .refers_to_target_uri = j->url,
            .refers_to_date = date,
            .profile = WARC_PROFILE_NOT_MODIFIED,
            .block = x.response_head,
            .block_len = x.response_head_len,
        };
        j->archive_rc = segment_writer_write_record(j->c->w, &spec, &j->written);
        return;
    }
    if (j->kind == JOB_PAGE && j->c->dedup && t->status >= 200 && t->status <= 299 &&
        j->decoded.len > 0 && !t->payload_error &&
        (t->content_type[0] == '\0' || strstr(t->content_type, "html"))) {
        j->archive_rc = crawl__archive_with_findings(j, &x);
    } else {
        j->archive_rc = segment_writer_write_exchange(j->c->w, &x, &j->written);
        if (j->archive_rc == 0 && j->kind == JOB_FEED && j->items.len && j->c->dedup)
            j->archive_rc = crawl__archive_items(j);
    }
    if (j->archive_rc == 0 && j->c->sampling)
        crawl__add_sample(j->c, &x);
}

static int job_url_kind(const crawl_job *j)
{
    return j->kind == JOB_FEED ? URL_KIND_FEED : URL_KIND_PAGE;
}

/* The url record of a finished fetch (validators from the response). */
static void job_record(const crawl *c, const crawl_job *j, url_record *r)
{
    const fetch_transfer *t = &j->t;
    if (j->known)
        *r = j->prev;
    else
        memset(r, 0, sizeof *r);
    r->kind = job_url_kind(j);
    snprintf(r->source, sizeof r->source, "%s", c->sum->results[j->source].name);
    if (j->item_id)
        snprintf(r->item_id, sizeof r->item_id, "%s", j->item_id);
    if (j->item_published)
        snprintf(r->item_published, sizeof r->item_published, "%s", j->item_published);
    if (j->item_updated)
        snprintf(r->item_updated, sizeof r->item_updated, "%s", j->item_updated);
    r->http_status = (int)t->status;
    if (t->status != 304) /* the date of the archived capture (revisits refer to it) */
        r->last_fetch_ns = t->date_ns;
    r->fetch_count++;
    if (t->status != 304) {
        const char *head = t->response_head.data ? t->response_head.data : "";
        /* A validator cut short would make wrong conditional requests:
         * one that does not fit is not kept at all. */
        char v[1024];
        fetch_header_value(head, t->response_head.len, "ETag", v, sizeof v);
        size_t n = strlen(v);
        n = n < sizeof r->etag ? n : 0;
        memcpy(r->etag, v, n);
        r->etag[n] = '\0';
        fetch_header_value(head, t->response_head.len, "Last-Modified", v, sizeof v);
        n = strlen(v);
        n = n < sizeof r->last_modified ? n : 0;
        memcpy(r->last_modified, v, n);
        r->last_modified[n] = '\0';
    }
}

static void stop_crawl(crawl *c);

static void defer_url(crawl *c, unsigned src, const char *url, const url_record *r)
{
    size_t n = strlen(url);
    deferred_url *d = malloc(sizeof *d + n + 1);
    if (d == NULL) {
        state_fail(c, FA_ENOMEM);
        return;
    }
    d->rec = *r;
    memcpy(d->url, url, n + 1);
    d->next = c->src[src].deferred;
    c->src[src].deferred = d;
}

static void source_round_done(crawl *c, unsigned src);

static void source_job_ended(crawl *c, unsigned src)
{
    source_rt *s = &c->src[src];
    if (s->alive && --s->alive > 0)
        return;
    /* the source's last job: its feed records may now be committed */
    while (s->deferred) {
        deferred_url *d = s->deferred;
        s->deferred = d->next;
        if (!c->stopping && !s->incomplete && state_batch_put_url(c->batch, d->url, &d->rec) < 0)
            state_fail(c, FA_ENOMEM);
        free(d);
    }
    if (c->serve && s->in_round) {
        s->in_round = 0;
        source_round_done(c, src);
    } else if (!c->serve) {
        c->sources_done++;
    }
}

/* collect_new_urls: a page archived with a new capture. */
static void keep_new_url(crawl *c, const crawl_job *j)
{
    crawl_source_result *r = &c->sum->results[j->source];
    if (!c->opt->collect_new_urls || c->new_urls >= CRAWL_NEW_URLS_MAX ||
        j->t.status < 200 || j->t.status > 299)
        return;
    char *u = strdup(j->url);
    char **grown = u ? realloc(r->new_urls, (r->n_new_urls + 1) * sizeof *grown) : NULL;
    if (grown == NULL) {
        free(u);
        return;
    }
    r->new_urls = grown;
    r->new_urls[r->n_new_urls++] = u;
    c->new_urls++;
}

static void archive_done(uv_work_t *w, int status)
{
    crawl_job *j = w->data;
    crawl *c = j->c;
    c->archive_pending--;
    if (status < 0 && j->archive_rc == 0)
        j->archive_rc = FA_ECANCELED;
    if (j->archive_rc < 0 && !c->sum->storage_error) {
        c->sum->storage_error = j->archive_rc;
        snprintf(c->sum->storage_message, sizeof c->sum->storage_message,
                 "cannot write to the archive in %s: %s", c->cfg->storage.dir,
                 fa_strerror(j->archive_rc));
        fa_log_error("warc", "%s", c->sum->storage_message);
        c->storage_failed = 1;
        stop_crawl(c);
    }
    if (j->archive_rc == 0 && c->opt && c->opt->metrics) {
        feedarc_metrics *m = c->opt->metrics;
        if (j->dedup_records) {
            metrics_counter_add(m->records[METRICS_RECORD_METADATA], 1);
            if (j->dedup_records > 1)
                metrics_counter_add(m->records[METRICS_RECORD_CONVERSION], 1);
        }
        if (j->revisit || j->exact_dup) {
            metrics_counter_add(m->records[METRICS_RECORD_REVISIT], 1);
        } else {
            metrics_counter_add(m->records[METRICS_RECORD_REQUEST], 1);
            metrics_counter_add(m->records[METRICS_RECORD_RESPONSE], 1);
        }
    }
    if (j->archive_rc == 0 && j->revisit) {
        url_record r;
        job_record(c, j, &r); /* still refers to the original capture */
        if (state_batch_put_url(c->batch, j->url, &r) < 0)
            state_fail(c, FA_ENOMEM);
    } else if (j->archive_rc == 0) {
        url_record r;
        job_record(c, j, &r);
        snprintf(r.payload_digest, sizeof r.payload_digest, "%s", j->written.payload_digest);
        snprintf(r.warc_record_id, sizeof r.warc_record_id, "%s", j->written.response_id);
        snprintf(r.warc_segment, sizeof r.warc_segment, "%s", j->written.segment);
        r.warc_offset = j->written.response_offset;
        r.warc_length = j->written.response_length;
        if (j->kind == JOB_FEED)
            defer_url(c, j->source, j->url, &r);
        else if (state_batch_put_url(c->batch, j->url, &r) < 0)
            state_fail(c, FA_ENOMEM);
        if (j->kind == JOB_PAGE) /* an identical payload is still a new URL */
            keep_new_url(c, j);
    }
    if (c->paused && c->archive_pending <= c->max_pending / 2) {
        c->paused = 0;
        host_queue_pause(c->q, 0);
    }
    job_free(j);
    maybe_finish(c);
}

/* ---- fetching (loop thread) ---- */

static int is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static void follow_redirect(crawl *c, crawl_job *j)
{
    fetch_transfer *t = &j->t;
    if (j->redirects >= c->cfg->http.max_redirects) {
        source_fail(c, j->source, "%s: more than %u redirects", j->url,
                    c->cfg->http.max_redirects);
        if (j->kind == JOB_PAGE)
            c->sum->results[j->source].pages_failed++, c->sum->pages_failed++;
        return;
    }
    char *next = NULL;
    if (url_resolve(j->url, t->location, &next) < 0) {
        source_fail(c, j->source, "%s: redirect to an unusable URL: %.200s", j->url, t->location);
        if (j->kind == JOB_PAGE)
            c->sum->results[j->source].pages_failed++, c->sum->pages_failed++;
        return;
    }
    c->sum->redirects++;
    if (j->kind == JOB_PAGE && seen_add(c, j->source, 0, next) == 0) {
        free(next); /* already queued or archived this run */
        return;
    }
    feed_spec fs = {.format = j->format, .page = j->page, .depth = j->depth};
    job_push_ex(c, next, j->kind, j->source, j->redirects + 1, NULL,
                j->kind == JOB_FEED ? &fs : NULL, j->via);
}

/* ---- retries and backoff ---- */

static int is_transient(const fetch_transfer *t)
{
    if (t->error_code)
        return t->error_code == FA_EFETCH; /* timeouts, refused, reset */
    return t->status == 429 || t->status == 500 || t->status == 502 || t->status == 503 ||
           t->status == 504;
}

static double jitter(crawl *c)
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    return 0.5 + (double)(c->rng % 1000) / 1000.0; /* 0.5 .. 1.5 */
}

/* Retry-After as seconds or an HTTP date; returns ms from now, or -1. */
static int64_t retry_after_ms(const fetch_transfer *t)
{
    char v[128];
    if (fetch_header_value(t->response_head.data ? t->response_head.data : "",
                           t->response_head.len, "Retry-After", v, sizeof v) < 0 || !v[0])
        return -1;
    char *end;
    long long secs = strtoll(v, &end, 10);
    if (*end == '\0' && secs >= 0)
        return secs * 1000;
    time_t when = curl_getdate(v, NULL);
    if (when < 0)
        return -1;
    int64_t ms = ((int64_t)when * 1000000000LL - fa_time_now_ns()) / 1000000;
    return ms > 0 ? ms : 0;
}

static void save_backoff(crawl *c, const char *host, uint64_t delay_ms, unsigned errors,
                         int64_t retry_after)
{
    backoff_record b = {0};
    int64_t now = fa_time_now_ns();
    b.backoff_until_ns = delay_ms ? now + (int64_t)delay_ms * 1000000LL : 0;
    b.consecutive_errors = errors;
    b.retry_after_until_ns = retry_after >= 0 ? now + retry_after * 1000000LL : 0;
    if (crawl_state_put_backoff(c->st, host, &b) < 0)
        fa_log_warn("state", "cannot record the backoff of %s: %s", host,
                    crawl_state_errmsg(c->st));
}

/* Transient trouble (a timeout, a refused connection, 429, 5xx): the whole
 * host waits - Retry-After when the server gives one, else an exponential
 * backoff with jitter - and the URL is tried again, up to c->retries
 * times.  Returns 1 when a retry was queued. */
static int maybe_retry(crawl *c, crawl_job *j)
{
    fetch_transfer *t = &j->t;
    if (c->stopping || !is_transient(t))
        return 0;
    unsigned errors = host_queue_host_error(c->q, j->host);
    int64_t ra = (t->status == 429 || t->status == 503) ? retry_after_ms(t) : -1;
    uint64_t delay;
    if (ra >= 0) {
        delay = (uint64_t)ra;
    } else {
        unsigned shift = errors > 16 ? 16 : errors - 1;
        double d = (double)(c->backoff_base_ms << shift) * jitter(c);
        delay = d > (double)c->backoff_max_ms ? c->backoff_max_ms : (uint64_t)d;
        /* a service polls the source again after its interval anyway */
        uint64_t every = c->cfg->sources[j->source].interval_ms;
        if (c->serve && every && delay > every)
            delay = every;
    }
    j->backoff_ms = delay;
    save_backoff(c, j->host, delay, errors, ra);
    const char *kv[] = {"url", j->url, NULL};
    if (!c->serve && delay > once_wait_limit(c)) {
        /* the run would sleep through it: this URL fails, the host's others wait */
        fa_log_kv(FA_LOG_WARN, "crawl", kv, "not retried: the host backs off %llu s (%s)",
                  (unsigned long long)(delay / 1000), t->error_code ? t->error : "HTTP error");
        defer_host(c, j->host, delay, t->error_code ? t->error : "transient HTTP status");
        return 0;
    }
    if (j->attempts >= c->retries || (ra >= 0 && (uint64_t)ra > c->max_retry_after_ms)) {
        fa_log_kv(FA_LOG_WARN, "crawl", kv, "giving up after %u tries (%s)", j->attempts + 1,
                  t->error_code ? t->error : "HTTP error");
        host_queue_defer(c->q, j->host, fa_time_mono_ns() + delay * 1000000ULL);
        return 0;
    }
    fa_log_kv(FA_LOG_INFO, "crawl", kv, "%s: host backs off %llu ms, then try %u",
              t->error_code ? t->error : "transient HTTP status", (unsigned long long)delay,
              j->attempts + 2);
    host_queue_defer(c->q, j->host, fa_time_mono_ns() + delay * 1000000ULL);
    char *url = strdup(j->url);
    crawl_job *n = url ? job_new(c, url, j->host, j->kind, j->source) : NULL;
    if (n == NULL)
        return 0;
    n->redirects = j->redirects;
    n->attempts = j->attempts + 1;
    n->format = j->format;
    n->page = j->page;
    n->depth = j->depth;
    n->robots_for = j->robots_for ? strdup(j->robots_for) : NULL;
    n->item_id = j->item_id ? strdup(j->item_id) : NULL;
    n->item_published = j->item_published ? strdup(j->item_published) : NULL;
    n->item_updated = j->item_updated ? strdup(j->item_updated) : NULL;
    n->item_title = j->item_title ? strdup(j->item_title) : NULL;
    n->via = j->via ? strdup(j->via) : NULL;
    if (host_queue_push(c->q, n->host, &n->qe) < 0) {
        job_free(n);
        return 0;
    }
    c->sum->retries++;
    if (c->opt && c->opt->metrics)
        metrics_counter_add(c->opt->metrics->retries, 1);
    return 1;
}

/* First sight of a host in this run: a backoff stored by an earlier run
 * still holds. */
static void load_backoff(crawl *c, const char *host)
{
    if (fa_hashset_add(&c->hosts_seen, XXH3_64bits(host, strlen(host))) != 1)
        return;
    backoff_record b;
    if (crawl_state_get_backoff(c->st, host, &b) != 1)
        return;
    int64_t now = fa_time_now_ns();
    int64_t until = b.backoff_until_ns > b.retry_after_until_ns ? b.backoff_until_ns
                                                                 : b.retry_after_until_ns;
    if (until > now && !c->serve && (uint64_t)(until - now) / 1000000 > once_wait_limit(c)) {
        defer_host(c, host, (uint64_t)(until - now) / 1000000, "from an earlier run");
    } else if (until > now) {
        host_queue_defer(c->q, host, fa_time_mono_ns() + (uint64_t)(until - now));
        fa_log_info("crawl", "%s is backing off for %lld ms more (from an earlier run)", host,
                    (long long)((until - now) / 1000000));
    }
    for (unsigned i = 0; i < b.consecutive_errors && i < 16; i++)
        host_queue_host_error(c->q, host);
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
    const char *kind = j->kind == JOB_FEED ? "feed" : j->kind == JOB_ROBOTS ? "robots" : "page";
    const char *kv[] = {"method", "GET", "url", j->url, "status", status, "bytes", bytes,
                        "ms", ms, "kind", kind, "source", c->sum->results[j->source].name,
                        "cause", t->error_code ? t->error : "", NULL};
    fa_log_kv(FA_LOG_DEBUG, "fetch", kv, "fetched");
}

static void job_fetched(fetch_transfer *t)
{
    crawl_job *j = t->ud;
    crawl *c = j->c;
    crawl_source_result *r = &c->sum->results[j->source];
    host_queue_done(c->q, &j->qe);
    c->sum->requests++;
    c->sum->bytes_fetched += t->body.size;
    if (fa_log_get_level() <= FA_LOG_DEBUG)
        log_fetch(c, j);
    if (j->kind == JOB_FEED && t->error_code && t->error_code != FA_ECANCELED)
        r->cause = fetch_cause_name(t->cause);
    if (t->status > 0)
        host_queue_observe(c->q, j->host, (t->end_mono_ns - t->start_mono_ns) / 1000000);
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

    if (maybe_retry(c, j)) {
        if (t->error_code || c->stopping) {
            job_free(j);
            maybe_finish(c);
            return;
        }
        goto archive; /* the 429/5xx answer is evidence too */
    }
    if (j->kind == JOB_PAGE && is_transient(t))
        c->src[j->source].incomplete = 1; /* given up for now: the feed's validators
                                             must not hide the page from the next poll */
    if (!is_transient(t) && host_queue_host_ok(c->q, j->host) > 0)
        save_backoff(c, j->host, 0, 0, -1); /* the host recovered */

    if (j->kind == JOB_ROBOTS) {
        int redirect = !t->error_code && is_redirect(t->status) && t->location[0];
        if (redirect && j->redirects < ROBOTS_MAX_REDIRECTS && !c->stopping) {
            char *next = NULL;
            if (url_resolve(j->url, t->location, &next) == 0 &&
                job_push_robots_redirect(c, j, next) == 0)
                goto archive; /* the hop decides later */
        }
        if (t->error_code) { /* no answer: no robots decision either */
            uint64_t again = j->backoff_ms ? j->backoff_ms : shortest_interval(c->cfg);
            robots_failed(c, j->robots_for, t->error, c->serve ? again : 0);
            job_free(j);
            maybe_finish(c);
            return;
        }
        /* too many redirects: "unavailable", treated as 4xx */
        robots_resolved(c, j->robots_for, redirect ? 404 : (int)t->status, &j->robots_body);
        goto archive;
    }

    if (t->error_code) {
        if (t->error_code != FA_ECANCELED && j->kind == JOB_FEED &&
            (t->payload_error == FA_ETOOBIG || j->parse_rc < 0)) {
            /* the payload had failed first (a bomb or a non-feed sent
             * slowly, then cut off): that is the cause to name */
            const char *why = source_parser_error(j->sp);
            if (t->payload_error == FA_ETOOBIG)
                source_fail(c, j->source,
                            "%s: content decoding failed (%s): decoded size over "
                            "http.max_decoded_size; then %s",
                            j->url, t->content_encoding[0] ? t->content_encoding : "identity",
                            t->error);
            else
                source_fail(c, j->source, "%s: not a usable feed: %s; then %s", j->url,
                            why && *why ? why : fa_strerror(j->parse_rc), t->error);
        } else if (t->error_code != FA_ECANCELED) {
            source_fail(c, j->source, "%s: %s", j->url, t->error);
        }
        if (j->kind == JOB_PAGE)
            r->pages_failed++, c->sum->pages_failed++;
        job_free(j);
        maybe_finish(c);
        return;
    }
    if (t->status == 304) {
        /* Not modified: nothing new to archive, only the fact of the visit. */
        c->sum->not_modified++;
        if (j->kind == JOB_FEED)
            r->last_status = 304;
        if (j->kind == JOB_PAGE)
            r->pages_unchanged++, c->sum->pages_unchanged++;
        if (c->cfg->storage.revisit_not_modified && j->known && j->prev.warc_record_id[0]) {
            j->revisit = 1;
            goto archive;
        }
        url_record rec;
        job_record(c, j, &rec);
        if (state_batch_put_url_unarchived(c->batch, j->url, &rec) < 0)
            state_fail(c, FA_ENOMEM);
        job_free(j);
        maybe_finish(c);
        return;
    }
    if (j->kind == JOB_FEED) {
        r->last_status = (int)t->status;
        c->sum->feeds_fetched++;
        if (feed_response(j)) {
            int n = j->parse_rc < 0 ? j->parse_rc : source_parser_finish(j->sp);
            crawl__note_charset(c, source_parser_charset(j->sp), j->encoding, sizeof j->encoding);
            if (j->depth == 0 && j->page <= 1)
                r->kind = source_parser_kind_name(j->sp);
            if (t->payload_error) {
                /* the decoding stopped first: that is the cause to report */
                source_fail(c, j->source, "%s: content decoding failed (%s%s): %s", j->url,
                            t->content_encoding[0] ? t->content_encoding : "identity",
                            t->chunked ? ", chunked" : "",
                            t->payload_error == FA_ETOOBIG
                                ? "decoded size over http.max_decoded_size"
                                : "corrupt body or an encoding feedarc cannot decode");
            } else if (n < 0) {
                const char *why = source_parser_error(j->sp);
                source_fail(c, j->source, "%s: not a usable feed: %s", j->url,
                            why && *why ? why : fa_strerror(n));
            }
        } else if (!is_redirect(t->status)) {
            source_fail(c, j->source, "%s: HTTP %ld", j->url, t->status);
        }
    } else {
        if (t->status >= 400 || t->status < 200) {
            source_fail(c, j->source, "%s: HTTP %ld", j->url, t->status);
            r->pages_failed++, c->sum->pages_failed++;
        } else if (!is_redirect(t->status)) {
            r->pages_ok++;
            c->sum->pages_fetched++;
            if (t->payload_error) /* archived as sent, but not analysed */
                fa_log_warn("crawl", "%s: content decoding failed (%s): %s", j->url,
                            t->content_encoding[0] ? t->content_encoding : "identity",
                            fa_strerror(t->payload_error));
        }
    }
    if (is_redirect(t->status) && t->location[0] && !c->stopping)
        follow_redirect(c, j);
archive:
    if (c->storage_failed) {
        job_free(j);
        maybe_finish(c);
        return;
    }
    /* Hand the exchange to a worker thread for archiving. */
    j->work.data = j;
    c->archive_pending++;
    if (uv_queue_work(&c->loop, &j->work, archive_work, archive_done) != 0) {
        c->archive_pending--;
        job_free(j);
        maybe_finish(c);
        return;
    }
    if (!c->paused && c->archive_pending >= c->max_pending) {
        c->paused = 1;
        host_queue_pause(c->q, 1);
    }
}

static int job_start(void *ud, host_queue_entry *e)
{
    crawl *c = ud;
    crawl_job *j = (crawl_job *)e;
    fetch_transfer *t = &j->t;
    t->url = j->url;
    t->ud = j;
    t->on_done = job_fetched;
    if (j->kind == JOB_FEED)
        for (const struct curl_slist *h = c->src_headers[j->source]; h; h = h->next) {
            struct curl_slist *l = curl_slist_append(j->headers, h->data);
            if (l == NULL)
                goto fail;
            j->headers = l;
        }
    /* What we know of this URL: its validators make the request conditional. */
    int known = crawl_state_get_url(c->st, j->url, &j->prev);
    if (known < 0)
        state_fail(c, known);
    j->known = known == 1;
    if (j->known) {
        char line[700];
        if (j->prev.etag[0]) {
            snprintf(line, sizeof line, "If-None-Match: %s", j->prev.etag);
            struct curl_slist *l = curl_slist_append(j->headers, line);
            if (l)
                j->headers = l;
        }
        if (j->prev.last_modified[0]) {
            snprintf(line, sizeof line, "If-Modified-Since: %s", j->prev.last_modified);
            struct curl_slist *l = curl_slist_append(j->headers, line);
            if (l)
                j->headers = l;
        }
    }
    t->headers = j->headers;
    if (j->kind == JOB_ROBOTS) {
        t->want_payload = 1;
        t->on_payload = on_robots_payload;
    }
    if (j->kind == JOB_PAGE && c->dedup) {
        fa_buf_init(&j->decoded, DEDUP_MAX_PAGE);
        t->want_payload = 1;
        t->on_payload = on_page_payload;
    }
    if (j->kind == JOB_FEED) {
        const config_source *src = &c->cfg->sources[j->source];
        source_parser_options po = {
            .url = j->url,
            .format = j->format,
            .json = source_list_json_mapping(src, &j->json_map),
            .page = j->page,
            .max_pages = src->max_pages,
            .limits = {.max_items = src->max_items},
            .max_inflated_bytes = c->cfg->http.max_decoded_size,
        };
        source_parser_callbacks cb = {.item = on_item, .link = on_link};
        j->sp = source_parser_new(&po, &cb, j);
        if (j->sp == NULL)
            goto fail;
        t->want_payload = 1;
        t->on_payload = on_feed_payload;
    }
    if (fetcher_start(c->f, t) < 0)
        goto fail;
    return 0;
fail:
    source_fail(c, j->source, "%s: could not start the transfer", j->url);
    if (j->kind == JOB_PAGE)
        c->sum->results[j->source].pages_failed++, c->sum->pages_failed++;
    if (j->kind == JOB_ROBOTS)
        robots_failed(c, j->robots_for, "could not start the transfer", 0);
    job_free(j);
    /* host_queue counts it as done; finishing is checked on the next turn */
    return FA_ENOMEM;
}

static void drop_job(void *ud, host_queue_entry *e)
{
    crawl_job *j = (crawl_job *)e;
    if (j->kind == JOB_ROBOTS) /* stopping: frees the jobs it held */
        robots_release(ud, robots_gate_fail(((crawl *)ud)->gate, j->robots_for, "stopped", 0));
    job_defer(ud, j);
}

static void stop_crawl(crawl *c)
{
    if (c->stopping)
        return;
    c->stopping = 1;
    host_queue_drain(c->q, drop_job, c);
}

static void close_serve_handles(crawl *c);

static void maybe_finish(crawl *c)
{
    if (c->finishing || (c->serve && !c->stopping) || host_queue_pending(c->q) ||
        host_queue_in_flight(c->q) || c->archive_pending || fetcher_active(c->f))
        return;
    c->finishing = 1;
    close_serve_handles(c);
    state_batch_unref(c->batch);
    fetcher_close(c->f);
    host_queue_close(c->q);
    uv_timer_stop(&c->lag_timer);
    uv_close((uv_handle_t *)&c->lag_timer, NULL);
}

/* Per source: what this run found (for `feedarc status` and the service). */
/* Records what the last poll of source i found (for `feedarc status`);
 * next_due_ns is when it is due again (0: at the next run).  Returns the
 * consecutive failures now recorded, or a negative code. */
static int save_source(crawl *c, unsigned i, int64_t next_due_ns)
{
    const crawl_source_result *r = &c->sum->results[i];
    int64_t now = fa_time_now_ns();
    source_record s;
    int found = crawl_state_get_source(c->st, r->name, &s);
    if (found < 0)
        return found;
    if (found == 0) {
        memset(&s, 0, sizeof s);
        snprintf(s.name, sizeof s.name, "%s", r->name);
    }
    snprintf(s.url, sizeof s.url, "%s", r->url);
    s.last_attempt_ns = now;
    s.last_status = r->last_status;
    if (r->ok) {
        s.last_success_ns = now;
        s.last_error[0] = '\0';
        s.consecutive_failures = 0;
    } else {
        snprintf(s.last_error, sizeof s.last_error, "%s", r->error ? r->error : "failed");
        s.consecutive_failures++;
    }
    s.items_archived += r->pages_ok + r->items_without_page;
    s.next_due_ns = next_due_ns;
    int rc = crawl_state_put_source(c->st, &s);
    return rc < 0 ? rc : (int)s.consecutive_failures;
}

/* Per source: what this run found. */
static void save_sources(crawl *c)
{
    int rc = crawl_state_begin(c->st);
    for (unsigned i = 0; rc == 0 && i < c->sum->sources; i++) {
        int n = save_source(c, i, 0);
        rc = n < 0 ? n : 0;
    }
    if (rc == 0)
        rc = crawl_state_commit(c->st);
    if (rc < 0) {
        if (crawl_state_in_transaction(c->st))
            crawl_state_rollback(c->st);
        state_fail(c, rc);
    }
}

/* ---- serve: every source on its own interval ---- */

static uint64_t jittered(crawl *c, uint64_t ms)
{
    /* +-10 %, so sources with one interval do not fire together */
    return (uint64_t)((double)ms * (0.9 + 0.2 * (jitter(c) - 0.5)));
}

static void on_due(uv_timer_t *t);
static void push_source(crawl *c, unsigned i);

static void schedule_source(crawl *c, unsigned i, uint64_t delay_ms)
{
    if (c->stopping)
        return;
    uv_timer_start(&c->src[i].due, on_due, delay_ms, 0);
}

static void start_round(crawl *c, unsigned i)
{
    crawl_source_result *r = &c->sum->results[i];
    /* counters are per poll in serve mode */
    r->ok = 1;
    free(r->error);
    r->error = NULL;
    r->items = r->pages_ok = r->pages_failed = r->pages_unchanged = r->pages_disallowed = 0;
    r->items_without_page = 0;
    r->last_status = 0;
    r->cause = "";
    fa_hashset_free(&c->src[i].seen_pages);
    fa_hashset_free(&c->src[i].seen_feeds);
    c->src[i].sitemaps = 0;
    c->src[i].incomplete = 0;
    c->src[i].newest_modified[0] = '\0';
    c->src[i].in_round = 1;
    c->src[i].alive++; /* held while the first job is being queued */
    push_source(c, i);
    source_job_ended(c, i);
}

static void on_due(uv_timer_t *t)
{
    source_rt *s = t->data;
    crawl *c = s->c;
    if (c->stopping)
        return;
    if (s->in_round) { /* the last poll has not finished: look again soon */
        schedule_source(c, s->index, 1000);
        return;
    }
    start_round(c, s->index);
}

static void source_round_done(crawl *c, unsigned i)
{
    if (c->stopping)
        return; /* cut short: the next start polls it again */
    const config_source *src = &c->cfg->sources[i];
    crawl_source_result *r = &c->sum->results[i];
    uint64_t interval = src->interval_ms ? src->interval_ms : 15 * 60 * 1000;
    /* one transaction (one fsync) for what a poll records */
    int in_txn = crawl_state_begin(c->st) == 0;
    int failures = save_source(c, i, 0);
    if (failures < 0) {
        state_fail(c, failures);
        failures = 0;
    }
    /* a failing source is retried sooner, backing off up to its interval */
    uint64_t next = interval;
    if (failures > 0) {
        uint64_t b = 60000ULL << (failures > 10 ? 10 : failures - 1);
        next = b < interval ? b : interval;
        const char *kv[] = {"source", r->name, NULL};
        fa_log_kv(failures >= METRICS_SOURCE_FAILING_AFTER ? FA_LOG_ERROR : FA_LOG_WARN, "crawl",
                  kv, "poll failed (%d in a row): %s; next try in %llu s", failures,
                  r->error ? r->error : "?", (unsigned long long)(next / 1000));
    }
    next = jittered(c, next);
    /* when it is due, for a restart or `feedarc status` */
    source_record rec;
    if (crawl_state_get_source(c->st, r->name, &rec) == 1) {
        rec.next_due_ns = fa_time_now_ns() + (int64_t)next * 1000000LL;
        crawl_state_put_source(c->st, &rec);
    }
    if (r->ok && c->src[i].newest_modified[0] && src->url &&
        (src->type == SOURCE_WORDPRESS || strstr(src->url, "/wp-json/"))) {
        char key[CRAWL_STATE_KV_KEY_MAX];
        snprintf(key, sizeof key, "wordpress_since:%.200s", r->name);
        crawl_state_put_kv(c->st, key, c->src[i].newest_modified);
    }
    if (in_txn && crawl_state_commit(c->st) < 0) {
        if (crawl_state_in_transaction(c->st))
            crawl_state_rollback(c->st);
        state_fail(c, FA_EIO);
    }
    if (c->opt->metrics) {
        feedarc_metrics *m = c->opt->metrics;
        metrics_counter_add(m->source_polls[r->ok ? METRICS_RESULT_OK : METRICS_RESULT_FAILED], 1);
        if (r->ok)
            metrics_gauge_set(m->last_poll_success, (double)fa_time_now_ns() / 1e9);
        c->src[i].failing = failures >= METRICS_SOURCE_FAILING_AFTER;
        unsigned failing = 0;
        for (unsigned k = 0; k < c->sum->sources; k++)
            failing += c->src[k].failing;
        metrics_gauge_set(m->sources_failing, failing);
    }
    schedule_source(c, i, next);
}

/* ---- signals: stop gracefully, or reload ---- */

static void on_grace_over(uv_timer_t *t)
{
    crawl *c = t->data;
    fa_log_warn("crawl", "grace period over: cancelling %u transfer(s) in flight",
                fetcher_active(c->f));
    fetcher_close(c->f); /* their jobs end as canceled */
    maybe_finish(c);
}

static uint64_t grace_ms(const crawl *c)
{
    return c->opt && c->opt->grace_ms ? c->opt->grace_ms : 10000;
}

static void begin_stop(crawl *c, enum crawl_end why)
{
    if (c->stopping)
        return;
    c->end = why;
    uv_timer_stop(&c->deadline);
    for (unsigned i = 0; c->serve && i < c->sum->sources; i++)
        uv_timer_stop(&c->src[i].due);
    stop_crawl(c);
    for (unsigned i = 0; !c->serve && i < c->sum->sources; i++)
        c->sum->results[i].interrupted = c->src[i].alive > 0; /* once: cut short */
    uint64_t grace = grace_ms(c);
    if (why == CRAWL_END_RELOAD)
        grace = UINT64_MAX / 2000000; /* a reload never cuts a transfer */
    c->grace_on = 1;
    uv_timer_start(&c->grace, on_grace_over, grace, 0);
    maybe_finish(c);
}

/* From the lag timer (every 10 ms): signals recorded by fa_signal.h since
 * the last look.  A stop signal also ends a reload that is under way; a
 * second one cancels the transfers still in flight at once. */
static void check_signals(crawl *c)
{
    unsigned long stops = fa_signal_stops();
    if (stops != c->stops_seen && !c->finishing) {
        int first = c->stops_seen == 0 || c->end == CRAWL_END_RELOAD;
        int sig = fa_signal_stop_first();
        c->stops_seen = stops;
        if (first) {
            c->stop_signal = sig;
            fa_log_info("crawl", "%s: stopping; %u transfer(s) in flight may finish",
                        sig == SIGINT ? "SIGINT" : "SIGTERM", fetcher_active(c->f));
            if (c->end == CRAWL_END_RELOAD) { /* a reload was waiting: stop instead */
                c->end = CRAWL_END_SIGNAL;
                uv_timer_stop(&c->grace);
                uv_timer_start(&c->grace, on_grace_over, grace_ms(c), 0);
            } else {
                begin_stop(c, CRAWL_END_SIGNAL);
            }
        }
        if (!first || stops >= 2) { /* asked twice: do not wait */
            fa_log_warn("crawl", "stop signal repeated: not waiting for transfers in flight");
            if (!c->finishing)
                on_grace_over(&c->grace);
        }
    }
    unsigned long hups = fa_signal_hups();
    if (hups != c->hups_seen) {
        c->hups_seen = hups;
        if (c->serve && !c->stopping) {
            fa_log_info("crawl", "SIGHUP: reloading the config once transfers in flight end");
            begin_stop(c, CRAWL_END_RELOAD);
        }
    }
}

static void on_deadline(uv_timer_t *t)
{
    crawl *c = t->data;
    fa_log_info("crawl", "--max-duration reached: stopping; %u transfer(s) in flight may finish, "
                         "%llu request(s) left for the next run",
                fetcher_active(c->f), (unsigned long long)host_queue_pending(c->q));
    begin_stop(c, CRAWL_END_DEADLINE);
}

static void open_serve_handles(crawl *c)
{
    uv_timer_init(&c->loop, &c->deadline);
    c->deadline.data = c;
    if (c->deadline_ns)
        uv_timer_start(&c->deadline, on_deadline, c->opt->max_duration_ms, 0);
    uv_timer_init(&c->loop, &c->grace);
    c->grace.data = c;
    c->signals_on = 1;
    for (unsigned i = 0; c->serve && i < c->sum->sources; i++) {
        uv_timer_init(&c->loop, &c->src[i].due);
        c->src[i].due.data = &c->src[i];
    }
}

static void close_serve_handles(crawl *c)
{
    if (!c->signals_on)
        return;
    c->signals_on = 0;
    uv_close((uv_handle_t *)&c->deadline, NULL);
    uv_close((uv_handle_t *)&c->grace, NULL);
    for (unsigned i = 0; c->serve && i < c->sum->sources; i++)
        uv_close((uv_handle_t *)&c->src[i].due, NULL);
}

/* First polls of a service: each source when the state says it is due,
 * those already due spread over the first seconds. */
static void schedule_all(crawl *c)
{
    int64_t now = fa_time_now_ns();
    for (unsigned i = 0; i < c->sum->sources; i++) {
        source_record rec;
        uint64_t delay = (uint64_t)(jitter(c) * 1000) % 2000; /* 0..2 s */
        if (crawl_state_get_source(c->st, c->sum->results[i].name, &rec) == 1 &&
            rec.next_due_ns > now)
            delay = (uint64_t)((rec.next_due_ns - now) / 1000000);
        schedule_source(c, i, delay);
    }
}

/* The first request of source i: its URL as configured, or for a paginated
 * API its first page (WordPress: only what changed since the newest
 * modification already archived). */
static void push_source(crawl *c, unsigned i)
{
    const config_source *s = &c->cfg->sources[i];
    if (s->url == NULL) {
        source_fail(c, i, "an OPML entry was not expanded");
        return;
    }
    enum source_format f = source_list_format(s->type);
    source_json_mapping map;
    char since[64] = "", key[CRAWL_STATE_KV_KEY_MAX];
    if (f == SOURCE_FORMAT_WORDPRESS || strstr(s->url, "/wp-json/")) {
        snprintf(key, sizeof key, "wordpress_since:%.200s", c->sum->results[i].name);
        if (crawl_state_get_kv(c->st, key, since, sizeof since) != 1)
            since[0] = '\0';
    }
    char *first = NULL, *url = NULL;
    int ur = FA_EINVAL;
    if (source_first_url(s->url, f, source_list_json_mapping(s, &map), since[0] ? since : NULL,
                         &first) < 0 ||
        (ur = url_resolve(NULL, first, &url)) < 0) {
        if (ur == FA_ETOOBIG)
            source_fail(c, i, "%.200s...: URL longer than %d bytes", s->url, FA_URL_MAX - 1);
        else
            source_fail(c, i, "not an http(s) URL: %s", s->url);
        free(first);
        return;
    }
    free(first);
    push_feed(c, url, i, f, 1, 0);
}

/* After a good run of a WordPress source: the next run asks only for what
 * was modified after the newest post seen now. */
static void save_wordpress_since(crawl *c)
{
    for (unsigned i = 0; i < c->sum->sources; i++) {
        const config_source *s = &c->cfg->sources[i];
        const char *nm = c->src[i].newest_modified;
        if (!c->sum->results[i].ok || !nm[0] || s->url == NULL ||
            (s->type != SOURCE_WORDPRESS && !strstr(s->url, "/wp-json/")))
            continue;
        char key[CRAWL_STATE_KV_KEY_MAX];
        snprintf(key, sizeof key, "wordpress_since:%.200s", c->sum->results[i].name);
        if (crawl_state_put_kv(c->st, key, nm) < 0)
            state_fail(c, FA_EIO);
    }
}

/* The product token robots.txt groups are matched against: the User-Agent's
 * first word up to '/' ("feedarc" for "feedarc/0.1 (+https://...)"). */
static void product_token(const char *ua, char *out, size_t len)
{
    size_t n = 0;
    while (ua && ua[n] && n + 1 < len &&
           ((ua[n] >= 'a' && ua[n] <= 'z') || (ua[n] >= 'A' && ua[n] <= 'Z') || ua[n] == '-' ||
            ua[n] == '_'))
        n++;
    memcpy(out, ua ? ua : "", n);
    out[n] = '\0';
    if (n == 0)
        snprintf(out, len, "feedarc");
}

/* The shortest source interval, at most a minute. */
static uint64_t shortest_interval(const config *cfg)
{
    uint64_t ms = 60000;
    for (size_t i = 0; i < cfg->n_sources; i++)
        if (cfg->sources[i].interval_ms && cfg->sources[i].interval_ms < ms)
            ms = cfg->sources[i].interval_ms;
    return ms;
}

static void on_queue_idle(void *ud)
{
    maybe_finish(ud);
}

/* ---- setup ---- */

static int open_writer(crawl *c)
{
    const config *cfg = c->cfg;
    segment_writer_options wo = {
        .dir = cfg->storage.dir,
        .prefix = cfg->storage.prefix,
        .max_size = cfg->storage.segment_max_size,
        .level = cfg->storage.compression_level,
        .lazy_open = 1,
        .dict = c->dict,
        .dict_len = c->dict_len,
        .train_dict_after = c->sampling ? 500 : 0, /* (issue 14) trained early */
        .file_mode = cfg->storage.file_mode,
        .operator_name = cfg->storage.operator_name,
    };
    char err[256] = "";
    int rc = segment_writer_open(&wo, &c->w, err, sizeof err);
    if (rc < 0) {
        c->sum->storage_error = rc;
        snprintf(c->sum->storage_message, sizeof c->sum->storage_message, "%s",
                 err[0] ? err : fa_strerror(rc));
    }
    return rc;
}

int crawl_run_once(const config *cfg, const crawl_options *opt, crawl_summary *out)
{
    memset(out, 0, sizeof *out);
    static const crawl_options defaults;
    crawl c = {0};
    c.cfg = cfg;
    c.sum = out;
    c.opt = opt ? opt : &defaults;
    c.serve = c.opt->serve;
    c.max_pending = opt && opt->max_archive_pending ? opt->max_archive_pending : 256;
    c.start_ns = fa_time_mono_ns();
    fa_signal_install();
    c.hups_seen = fa_signal_hups();
    fa_hashset_init(&c.seen);
    fa_hashset_init(&c.hosts_seen);
    fa_hashset_init(&c.hosts_deferred);
    if (!c.serve && c.opt->max_duration_ms)
        c.deadline_ns = c.start_ns + c.opt->max_duration_ms * 1000000ULL;
    fa_hashset_init(&c.feeds_seen);
    c.rng = (uint64_t)fa_time_now_ns() | 1;
    c.retries = cfg->http.retries;
    c.backoff_base_ms = cfg->http.backoff_base_ms;
    c.backoff_max_ms = cfg->http.backoff_max_ms;
    c.max_retry_after_ms = cfg->http.max_retry_after_ms;
    int rc = 0, loop_ok = 0;

    out->sources = (unsigned)cfg->n_sources;
    out->results = calloc(cfg->n_sources ? cfg->n_sources : 1, sizeof *out->results);
    c.src_headers = calloc(cfg->n_sources ? cfg->n_sources : 1, sizeof *c.src_headers);
    c.src = calloc(cfg->n_sources ? cfg->n_sources : 1, sizeof *c.src);
    if (out->results == NULL || c.src_headers == NULL || c.src == NULL) {
        rc = FA_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < cfg->n_sources; i++) {
        const config_source *s = &cfg->sources[i];
        out->results[i].name = strdup(s->name ? s->name : s->url);
        out->results[i].url = strdup(s->url);
        out->results[i].ok = 1;
        out->results[i].kind = "";
        out->results[i].cause = "";
        if (s->ignore_robots) {
            const char *kv[] = {"source", out->results[i].name, NULL};
            fa_log_kv(FA_LOG_WARN, "robots", kv,
                      "ignore_robots is set: robots.txt is not consulted for this source");
        }
        for (size_t h = 0; h < s->n_headers; h++) {
            char line[1024];
            snprintf(line, sizeof line, "%s: %s", s->headers[h].name, s->headers[h].value);
            struct curl_slist *l = curl_slist_append(c.src_headers[i], line);
            if (l)
                c.src_headers[i] = l;
        }
    }

    if (opt && opt->state) {
        c.st = opt->state;
    } else {
        char err[512] = "";
        rc = crawl_state_open_sqlite(cfg->storage.state_dir, &c.st, err, sizeof err);
        if (rc < 0) {
            out->storage_error = rc;
            snprintf(out->storage_message, sizeof out->storage_message, "%s", err);
            goto out;
        }
        c.own_state = 1;
    }
    {
        /* a crash leaves an .open segment and records the state does not
         * know: make both right before anything new is written - once no
         * other feedarc writes to the folder (its .open is live) */
        char err[768] = "";
        reconcile_result rr;
        rc = archive_lock_take(cfg->storage.dir, &c.archive_lock, err, sizeof err);
        if (rc < 0) {
            out->storage_error = rc;
            snprintf(out->storage_message, sizeof out->storage_message, "%s", err);
            goto out;
        }
        rc = archive_reconcile(cfg->storage.dir, c.st, &rr, err, sizeof err);
        if (rc < 0) {
            out->storage_error = rc;
            snprintf(out->storage_message, sizeof out->storage_message, "%s", err);
            goto out;
        }
    }
    if (source_list_migrate_state(cfg, c.st) < 0) /* (issue 11) records of host-named sources */
        fa_log_warn("state", "cannot move the records of sources named by host alone: %s",
                    crawl_state_errmsg(c.st));
    pthread_mutex_init(&c.sample_lock, NULL);
    pthread_mutex_init(&c.written_lock, NULL);
    crawl__pick_dictionary(&c);
    if (cfg->dedup.enabled) {
        char ddir[4096];
        snprintf(ddir, sizeof ddir, "%s/dedup", cfg->storage.state_dir);
        mkdir(ddir, 0777);
        dedup_options dopt = {.near_threshold = cfg->dedup.near_threshold,
                              .containment_threshold = cfg->dedup.containment_threshold};
        rc = dedup_engine_open(ddir, &dopt, &c.dedup);
        if (rc < 0) {
            out->storage_error = rc;
            snprintf(out->storage_message, sizeof out->storage_message,
                     "cannot open the dedup index in %.300s: %s", ddir, fa_strerror(rc));
            goto out;
        }
    }
    rc = open_writer(&c);
    if (rc < 0)
        goto out;
    if (uv_loop_init(&c.loop) != 0) {
        rc = FA_ENOMEM;
        goto out;
    }
    loop_ok = 1;
    uv_timer_init(&c.loop, &c.lag_timer);
    c.lag_timer.data = &c;
    c.lag_expected_ns = fa_time_mono_ns() + LAG_PERIOD_MS * 1000000ULL;
    uv_timer_start(&c.lag_timer, on_lag_tick, LAG_PERIOD_MS, LAG_PERIOD_MS);
    rc = state_batch_new(&c.loop, c.st, c.w, &c.batch);
    if (rc < 0)
        goto out;
    char token[64];
    product_token(cfg->user_agent, token, sizeof token);
    rc = robots_gate_new(c.st, token, 0, &c.gate);
    if (rc < 0)
        goto out;
    if (c.serve) /* a 5xx robots.txt is asked for again by the next polls */
        robots_gate_set_unavailable_hold(c.gate, shortest_interval(cfg));
    fetcher_options fo = {
        .user_agent = cfg->user_agent,
        .connect_timeout_ms = cfg->http.connect_timeout_ms,
        .timeout_ms = cfg->http.timeout_ms,
        .max_body_size = cfg->http.max_body_size,
        .max_decoded_size = cfg->http.max_decoded_size,
        .max_header_size = (size_t)cfg->http.max_header_size,
        .low_speed_time_ms = cfg->http.low_speed_time_ms,
        .accept_encoding = cfg->http.accept_encoding ? cfg->http.accept_encoding
                                                     : content_decoder_accept_encoding(),
        .tmp_dir = cfg->storage.dir,
        .max_connections = cfg->politeness.max_connections,
        .max_host_connections = cfg->politeness.max_connections_per_host,
    };
    rc = fetcher_new(&c.loop, &fo, &c.f);
    if (rc < 0)
        goto out;
    host_queue_options qo = {
        .per_host_cap = cfg->politeness.max_connections_per_host,
        .min_delay_ms = cfg->politeness.min_delay_ms,
        .global_cap = cfg->politeness.max_connections,
        .idle = on_queue_idle,
        .delay_factor = cfg->politeness.delay_factor,
        .max_delay_ms = cfg->politeness.max_delay_ms,
    };
    rc = host_queue_new(&c.loop, &qo, job_start, &c, &c.q);
    if (rc < 0) {
        fetcher_close(c.f);
        c.f = NULL;
        goto out;
    }
    for (unsigned i = 0; i < cfg->n_sources; i++) {
        c.src[i].c = &c;
        c.src[i].index = i;
    }
    open_serve_handles(&c);
    if (c.opt->metrics)
        metrics_gauge_set(c.opt->metrics->sources, (double)cfg->n_sources);
    if (c.serve) {
        schedule_all(&c);
    } else {
        for (size_t i = 0; i < cfg->n_sources; i++)
            push_source(&c, (unsigned)i);
        maybe_finish(&c);
    }
    uv_run(&c.loop, UV_RUN_DEFAULT);

out:
    if (loop_ok) {
        if (!c.finishing) {
            /* setup failed part-way: close what exists */
            if (c.f)
                fetcher_close(c.f);
            if (c.q)
                host_queue_close(c.q);
            close_serve_handles(&c);
            uv_close((uv_handle_t *)&c.lag_timer, NULL);
        }
        uv_run(&c.loop, UV_RUN_DEFAULT);
        if (c.batch) {
            /* the last url records: fsync, then commit */
            char why[256] = "";
            int brc = state_batch_finish(c.batch, why, sizeof why);
            if (brc < 0 && !out->storage_error) {
                out->storage_error = brc;
                snprintf(out->storage_message, sizeof out->storage_message, "%s", why);
            }
            c.batch = NULL;
            /* once: what the run found per source (serve records each poll
             * as it ends; an interrupted run records nothing) */
            if (brc == 0 && !c.serve && c.end == CRAWL_END_DONE) {
                save_sources(&c);
                save_wordpress_since(&c);
            }
            if (brc == 0)
                crawl__train_dictionary(&c);
        }
        uv_loop_close(&c.loop);
        lag_report(&c, out);
    }
    if (c.w) {
        segment_writer_stats st;
        segment_writer_get_stats(c.w, &st);
        out->records = st.records;
        out->bytes_on_disk = st.bytes_on_disk;
        out->bytes_uncompressed = st.bytes_uncompressed;
        out->segments = st.segments;
        int crc = segment_writer_close(c.w);
        c.w = NULL;
        if (crc < 0 && !out->storage_error) {
            out->storage_error = crc;
            snprintf(out->storage_message, sizeof out->storage_message,
                     "cannot close the segment in %s: %s", cfg->storage.dir, fa_strerror(crc));
        }
    }
    robots_gate_free(c.gate);
    dedup_engine_close(c.dedup);
    free(c.dict);
    free(c.sample_sizes);
    fa_buf_free(&c.samples);
    if (c.own_state)
        crawl_state_close(c.st);
    archive_lock_release(c.archive_lock);
    for (size_t i = 0; c.src_headers && i < cfg->n_sources; i++)
        curl_slist_free_all(c.src_headers[i]);
    free(c.src_headers);
    for (size_t i = 0; c.src && i < cfg->n_sources; i++) {
        fa_hashset_free(&c.src[i].seen_pages);
        fa_hashset_free(&c.src[i].seen_feeds);
    }
    for (size_t i = 0; c.src && i < cfg->n_sources; i++)
        while (c.src[i].deferred) { /* not committed: the run stopped early */
            deferred_url *d = c.src[i].deferred;
            c.src[i].deferred = d->next;
            free(d);
        }
    free(c.src);
    fa_hashset_free(&c.seen);
    fa_hashset_free(&c.hosts_seen);
    fa_hashset_free(&c.hosts_deferred);
    fa_hashset_free(&c.feeds_seen);
    fa_hashset_free(&c.written_ids);
    for (unsigned i = 0; out->results && i < out->sources; i++)
        if (!out->results[i].ok)
            out->sources_failed++;
    out->elapsed_s = (double)(fa_time_mono_ns() - c.start_ns) / 1e9;
    out->findings = atomic_load(&c.findings);
    if (c.progress_shown)
        show_progress(&c, 1);
    out->end = c.end;
    out->signal = c.end == CRAWL_END_SIGNAL ? c.stop_signal : 0;
    if (rc == 0 && out->storage_error)
        rc = out->storage_error;
    return rc;
}

void crawl_summary_free(crawl_summary *s)
{
    if (s == NULL)
        return;
    for (unsigned i = 0; s->results && i < s->sources; i++) {
        free(s->results[i].name);
        free(s->results[i].url);
        free(s->results[i].error);
        for (size_t k = 0; k < s->results[i].n_new_urls; k++)
            free(s->results[i].new_urls[k]);
        free(s->results[i].new_urls);
    }
    free(s->results);
    s->results = NULL;
}
