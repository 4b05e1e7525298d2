/*
 * crawl.c - the life of a job: one URL from its admission to its archive.
 * See crawl.h for the crawl as a whole.
 *
 *   crawl__job_admit -> robots gate (the host's robots.txt first; the job
 *   may wait for it: crawl_robots.c) -> host_queue (waits for the host's
 *   turn) -> crawl__job_start -> fetcher (streams the body into a spool)
 *   -> job_fetched (counted; a transient error retried after a host
 *   backoff: crawl_retry.c; then the kind decides: redirects followed, 304s
 *   recorded) -> archive_work (a worker thread, fa_workpool: the kind's archive -
 *   a feed's body parsed, crawl_archive.c for dedup - digests, zstd, append
 *   to the segment) -> archive_done (loop thread: url record queued for the
 *   state after the next fsync, backpressure released, job freed - or kept
 *   a while by its kind: a feed's items and links become jobs a slice per
 *   loop iteration, crawl_feed.c).
 *
 * Jobs come in three kinds - feed/API (crawl_feed.c), page (crawl_page.c)
 * and robots.txt (crawl_robots.c) - and this file never asks which: where
 * they differ it calls through the job's crawl_job_ops (crawl_internal.h).
 * Backpressure: when max_pending exchanges wait for the writer, the host
 * queue pauses until half of them are written; and a feed's items become
 * jobs only while few jobs wait for their host (crawl_feed.c: jobs_waiting,
 * counted from a job's creation to its transfer's start), so memory stays
 * flat however long the feeds are.
 *
 * Once: the crawl ends when no job waits, none is in flight and none is
 * being archived (crawl__maybe_finish); a host backing off longer than the
 * run can wait has its URLs deferred (counted, not recorded: the next run
 * fetches them).  Serve: see crawl_serve.c.  Stopping: crawl_signals.c.
 *
 * Threads: loop thread, except archive_work.
 */
#include "crawler/crawl.h"
#include "crawler/crawl_internal.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "common/fa_time.h"
#include "common/fa_worker.h"
#include "crawler/url.h"
#include "metrics/metrics.h"
#include "storage/warc_format.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

void crawl__source_fail(crawl *c, unsigned src, const char *fmt, ...)
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
    if (r->error == NULL) r->error = strdup(msg);
}

void crawl__state_fail(crawl *c, int rc)
{
    if (c->sum->storage_error) return;
    c->sum->storage_error = rc;
    snprintf(c->sum->storage_message, sizeof c->sum->storage_message, "crawl state in %s: %s",
             c->cfg->storage.state_dir, crawl_state_errmsg(c->st));
    fa_log_error("state", "%s", c->sum->storage_message);
}

void crawl__keep_url_record(crawl *c, const char *url, const url_record *r)
{
    if (state_batch_put_url(c->batch, url, r) < 0) crawl__state_fail(c, FA_ENOMEM);
}

void crawl__keep_backoff(crawl *c, const char *host, const backoff_record *b)
{
    if (state_batch_put_backoff(c->batch, host, b) < 0)
        fa_log_warn("state", "cannot record the backoff of %s: out of memory", host);
}

/* ---- jobs: created, admitted, deferred, freed ---- */

crawl_job *crawl__job_new(crawl *c, char *url, const char *host_key, const crawl_job_ops *ops,
                          unsigned src)
{
    size_t hn = strlen(host_key) + 1;
    crawl_job *j = calloc(1, sizeof *j + hn);
    if (j == NULL) {
        free(url);
        return NULL;
    }
    memcpy(j->host, host_key, hn);
    if (ops->url_kind == URL_KIND_PAGE) { /* out of memory: only not registered */
        uint64_t key = XXH3_64bits(url, strlen(url));
        if (fa_hashset_add(&c->pages_live, key) == 1) j->live_key = key;
    }
    j->c = c;
    j->url = url;
    j->ops = ops;
    j->source = src;
    j->waiting = 1;
    c->jobs_waiting++;
    if (++c->jobs_alive > c->sum->jobs_peak) c->sum->jobs_peak = c->jobs_alive;
    if (ops->in_source) c->src[src].alive++;
    if (ops->init) ops->init(j);
    fetch_transfer_init(&j->t);
    return j;
}

int crawl__job_set_prev(crawl_job *j, const url_record *prev)
{
    if (j->prev == NULL && (j->prev = malloc(sizeof *j->prev)) == NULL) return FA_ENOMEM;
    *j->prev = *prev;
    j->known = 1;
    return 0;
}

int crawl__job_new_url(crawl *c, char *url, const crawl_job_ops *ops, unsigned src, crawl_job **out)
{
    char key[512];
    *out = NULL;
    if (url_host_key(url, key, sizeof key) < 0) {
        crawl__source_fail(c, src, "not an http(s) URL: %s", url);
        free(url);
        return FA_EINVAL;
    }
    *out = crawl__job_new(c, url, key, ops, src);
    return *out ? 0 : FA_ENOMEM;
}

void crawl__job_stop_waiting(crawl_job *j)
{
    crawl *c = j->c;
    if (!j->waiting) return;
    j->waiting = 0;
    c->jobs_waiting--;
    if (c->intake_full && c->jobs_waiting <= c->waiting_max / 2) {
        c->intake_full = 0;
        crawl__feed_intake_wake(c);
    }
}

void crawl__job_free(crawl_job *j)
{
    if (j == NULL) return;
    crawl__job_stop_waiting(j);
    if (j->live_key) fa_hashset_remove(&j->c->pages_live, j->live_key);
    j->c->jobs_alive--;
    if (j->ops->in_source) crawl__source_job_ended(j->c, j->source);
    fetch_transfer_cleanup(&j->t);
    if (j->ops->release) j->ops->release(j);
    curl_slist_free_all(j->headers);
    free(j->prev);
    free(j->url);
    free(j);
}

void crawl__job_defer(crawl *c, crawl_job *j)
{
    if (j->ops->in_source) { /* robots jobs are not counted: the jobs they held are */
        c->sum->results[j->source].deferred++;
        c->sum->deferred++;
        c->src[j->source].incomplete = 1;
        const char *kv[] = {"url", j->url, NULL};
        fa_log_kv(FA_LOG_DEBUG, "crawl", kv, "deferred to the next run");
    }
    crawl__job_free(j);
}

/* Counts a job robots.txt forbids, and frees it. */
static void job_disallowed(crawl *c, crawl_job *j, const robots_verdict *v)
{
    const char *kv[] = {"url", j->url, NULL};
    if (v->reason == ROBOTS_BY_UNAVAILABLE)
        fa_log_kv(FA_LOG_INFO, "robots", kv, "skipped: robots.txt unavailable");
    else
        fa_log_kv(FA_LOG_DEBUG, "robots", kv, "disallowed (line %d: %s)", v->line, v->rule);
    if (j->ops->disallowed) j->ops->disallowed(j, v);
    c->sum->results[j->source].pages_disallowed++;
    c->sum->pages_disallowed++;
    if (c->opt && c->opt->metrics) metrics_counter_add(c->opt->metrics->robots_disallowed, 1);
    crawl__job_free(j);
}

void crawl__job_unreachable(crawl *c, crawl_job *j)
{
    const char *why = robots_gate_failure(c->gate, j->host);
    crawl__source_fail(c, j->source, "%s: %s (fetching robots.txt)", j->url,
                       why ? why : "no answer");
    if (j->ops->unreachable) j->ops->unreachable(j, why);
    crawl__job_free(j);
}

int crawl__job_admit(crawl *c, crawl_job *j)
{
    crawl__load_backoff(c, j->host); /* at the host's first sight: a stored backoff */
    if (crawl__host_is_deferred(c, j->host)) {
        crawl__job_defer(c, j);
        return 0;
    }
    if (j->ops->in_source && !c->cfg->sources[j->source].ignore_robots) {
        robots_verdict v;
        enum robots_gate_answer a = robots_gate_check(c->gate, j->host, j->url, &j->rw, &v);
        /* rules from the cache: their Crawl-delay holds as a fetched one's */
        uint64_t cached_delay = robots_gate_take_cached_delay(c->gate, j->host);
        if (cached_delay) host_queue_set_delay(c->q, j->host, cached_delay);
        switch (a) {
        case ROBOTS_GATE_ALLOW:
            break;
        case ROBOTS_GATE_DISALLOW:
            job_disallowed(c, j, &v);
            return 0;
        case ROBOTS_GATE_PARKED:
            return 0;
        case ROBOTS_GATE_FETCH: /* a cluster fetches it once for all nodes */
            return c->cluster ? crawl__cluster_robots(c, j->host, j->source)
                              : crawl__robots_push(c, j->host, j->source);
        case ROBOTS_GATE_UNREACHABLE:
            crawl__job_unreachable(c, j);
            return 0;
        }
    }
    int rc = host_queue_push(c->q, j->host, &j->qe);
    if (rc < 0) crawl__job_free(j);
    return rc;
}

int crawl__seen_add(crawl *c, unsigned src, int feed, const char *url)
{
    fa_hashset *set = c->serve ? (feed ? &c->src[src].seen_feeds : &c->src[src].seen_pages)
                               : (feed ? &c->feeds_seen : &c->seen);
    return fa_hashset_add(set, XXH3_64bits(url, strlen(url)));
}

int crawl__page_live(const crawl *c, const char *url)
{
    return fa_hashset_has(&c->pages_live, XXH3_64bits(url, strlen(url)));
}

int crawl__get_url(crawl *c, const char *url, url_record *out)
{
    /* what the batch holds first: what it is committing now is in the
     * state only once the commit is done, and the reader sees commits
     * only */
    if (state_batch_get_url(c->batch, url, out) == 1) return 1;
    return crawl_state_get_url(c->reader ? c->reader : c->st, url, out);
}

/* ---- archiving: a worker writes, the loop records ---- */

void crawl__job_record(const crawl_job *j, url_record *r)
{
    const crawl *c = j->c;
    const fetch_transfer *t = &j->t;
    if (j->known)
        *r = *j->prev;
    else
        memset(r, 0, sizeof *r);
    r->kind = j->ops->url_kind;
    snprintf(r->source, sizeof r->source, "%s", c->sum->results[j->source].name);
    if (j->ops->record) j->ops->record(j, r);
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

/* server-not-modified: the 304's head, referring to the capture the state
 * knows (whose WARC-Date is its last_fetch_ns). */
static int archive_revisit(crawl_job *j, const warc_exchange *x)
{
    char date[40];
    fa_time_format_iso(j->prev->last_fetch_ns, 6, date, sizeof date);
    warc_record_spec spec = {
        .record_type = WARC_TYPE_REVISIT,
        .target_uri = j->url,
        .date_ns = j->t.date_ns,
        .ip_address = x->ip_address,
        .refers_to = j->prev->warc_record_id,
        .refers_to_target_uri = j->url,
        .refers_to_date = date,
        .profile = WARC_PROFILE_NOT_MODIFIED,
        .block = x->response_head,
        .block_len = x->response_head_len,
    };
    return segment_writer_write_record(j->c->w, &spec, &j->written);
}

static void archive_work(fa_work *w)
{
    crawl_job *j = w->data;
    fetch_transfer *t = &j->t;
    fa_worker_give_way();
    crawl__redact_request(j); /* before anything reads it */
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
        j->archive_rc = archive_revisit(j, &x);
        return;
    }
    if (j->ops->archive)
        j->archive_rc = j->ops->archive(j, &x);
    else
        j->archive_rc = segment_writer_write_exchange(j->c->w, &x, &j->written);
}

static void archive_failed(crawl *c, int rc)
{
    if (c->sum->storage_error) return;
    c->sum->storage_error = rc;
    snprintf(c->sum->storage_message, sizeof c->sum->storage_message,
             "cannot write to the archive in %s: %s", c->cfg->storage.dir, fa_strerror(rc));
    fa_log_error("warc", "%s", c->sum->storage_message);
    c->storage_failed = 1;
    crawl__stop(c);
}

static void inflight_done(crawl *c, crawl_job *j);

static void archive_done(fa_work *w, int status)
{
    crawl_job *j = w->data;
    crawl *c = j->c;
    inflight_done(c, j); /* its url record joins the batch below, before a flush */
    c->archive_pending--;
    c->archive_pending_bytes -= j->held_bytes;
    j->held_bytes = 0;
    if (status < 0 && j->archive_rc == 0) j->archive_rc = FA_ECANCELED;
    if (j->archive_rc < 0) archive_failed(c, j->archive_rc);
    if (j->archive_rc == 0) {
        url_record r;
        crawl__job_record(j, &r);
        if (j->revisit) { /* still refers to the original capture */
            crawl__keep_url_record(c, j->url, &r);
        } else {
            snprintf(r.payload_digest, sizeof r.payload_digest, "%s", j->written.payload_digest);
            snprintf(r.warc_record_id, sizeof r.warc_record_id, "%s", j->written.response_id);
            snprintf(r.warc_segment, sizeof r.warc_segment, "%s", j->written.segment);
            r.warc_offset = j->written.response_offset;
            r.warc_length = j->written.response_length;
            j->ops->archived(j, &r);
        }
    }
    if (c->paused && c->archive_pending <= c->max_pending / 2 &&
        c->archive_pending_bytes <= c->max_pending_bytes / 2) {
        c->paused = 0;
        crawl__update_pause(c);
    }
    if (j->ops->after_archive && j->ops->after_archive(j)) {
        if (++c->held > c->sum->feeds_held_peak) /* crawl__job_release frees it */
            c->sum->feeds_held_peak = c->held;
        return;
    }
    crawl__job_free(j);
    crawl__maybe_finish(c);
}

void crawl__job_shed(crawl_job *j)
{
    fetch_transfer_cleanup(&j->t);
    curl_slist_free_all(j->headers);
    j->headers = NULL;
    free(j->prev);
    j->prev = NULL;
    j->known = 0; /* crawl__job_record is not called again */
}

void crawl__job_release(crawl_job *j)
{
    crawl *c = j->c;
    c->held--;
    crawl__job_free(j);
    crawl__maybe_finish(c);
}

/* The job is about to be archived: counted under the segment the writer
 * has open now, where its records go or before a later one.  0 or
 * FA_ENOMEM. */
static int inflight_add(crawl *c, crawl_job *j)
{
    char seg[sizeof c->inflight->segment];
    segment_writer_segment_name(c->w, seg, sizeof seg);
    if (seg[0] == '\0') return 0; /* none opened yet: its records open one */
    size_t slot = c->n_inflight;
    for (size_t i = 0; i < c->n_inflight; i++) {
        if (c->inflight[i].jobs && strcmp(c->inflight[i].segment, seg) == 0) {
            slot = i;
            break;
        }
        if (c->inflight[i].jobs == 0 && slot == c->n_inflight) slot = i;
    }
    if (slot == c->n_inflight) {
        struct crawl_inflight *n = realloc(c->inflight, (c->n_inflight + 1) * sizeof *n);
        if (n == NULL) return FA_ENOMEM;
        c->inflight = n;
        n[c->n_inflight++].jobs = 0;
    }
    if (c->inflight[slot].jobs++ == 0) memcpy(c->inflight[slot].segment, seg, sizeof seg);
    j->inflight = slot + 1;
    return 0;
}

static void inflight_done(crawl *c, crawl_job *j)
{
    if (j->inflight == 0) return;
    c->inflight[j->inflight - 1].jobs--;
    j->inflight = 0;
}

void crawl__mark_floor(void *ud, char *out, size_t len)
{
    const crawl *c = ud;
    const char *oldest = "";
    for (size_t i = 0; i < c->n_inflight; i++)
        if (c->inflight[i].jobs && (!oldest[0] || strcmp(c->inflight[i].segment, oldest) < 0))
            oldest = c->inflight[i].segment;
    if (len) snprintf(out, len, "%s", oldest);
}

/* Hands the exchange to a worker thread.  0, or a negative code (the job
 * is then the caller's to free). */
static int archive_queue(crawl *c, crawl_job *j)
{
    if (c->storage_failed) return FA_EIO;
    if (inflight_add(c, j) < 0) return FA_ENOMEM;
    j->work.data = j;
    /* what the exchange holds in memory until the writer has it: the body
     * while it is not spilled to a file, and the response head */
    j->held_bytes = (uint64_t)j->t.body.mem.cap + j->t.response_head.cap;
    c->archive_pending++;
    c->archive_pending_bytes += j->held_bytes;
    if (c->archive_pending_bytes > c->sum->archive_bytes_peak)
        c->sum->archive_bytes_peak = c->archive_pending_bytes;
    /* (with no worker thread, the pool archives it here and now) */
    if (fa_workpool_submit(c->pool, &j->work, archive_work, archive_done) != 0) {
        inflight_done(c, j);
        c->archive_pending--;
        c->archive_pending_bytes -= j->held_bytes;
        j->held_bytes = 0;
        return FA_ECANCELED; /* the pool is closed */
    }
    if (!c->paused && (c->archive_pending >= c->max_pending ||
                       c->archive_pending_bytes >= c->max_pending_bytes)) {
        c->paused = 1;
        crawl__update_pause(c);
    }
    return 0;
}

/* ---- fetching (loop thread) ---- */

/* After the transfer: a retry, or what the job's kind makes of it. */
static enum crawl_job_next job_next(crawl *c, crawl_job *j)
{
    const fetch_transfer *t = &j->t;
    if (crawl__retry(c, j)) /* the 429/5xx answer is evidence too */
        return t->error_code || c->stopping ? CRAWL_JOB_END : CRAWL_JOB_ARCHIVE;
    crawl__host_answered(c, j);
    return j->ops->fetched(j);
}

static void job_fetched(fetch_transfer *t)
{
    crawl_job *j = t->ud;
    crawl *c = j->c;
    host_queue_done(c->q, &j->qe);
    crawl__count_fetch(c, j);
    if (j->ops->ended) j->ops->ended(j);
    if (t->status > 0)
        host_queue_observe(c->q, j->host, (t->end_mono_ns - t->start_mono_ns) / 1000000);
    enum crawl_job_next next = job_next(c, j);
    crawl__cluster_job_ended(c, j); /* after job_next: with the backoff it set */
    if (next == CRAWL_JOB_ARCHIVE && archive_queue(c, j) == 0) return; /* archive_done frees it */
    crawl__job_free(j);
    crawl__maybe_finish(c);
}

/* What we know of this URL (read once per job): its validators make the
 * request conditional. */
static int read_prev(crawl *c, crawl_job *j)
{
    if (!j->prev_read) {
        url_record prev;
        int known = crawl__get_url(c, j->url, &prev);
        if (known < 0 && c->cluster) return known; /* Redis away: the job waits */
        if (known < 0) crawl__state_fail(c, known);
        if (known == 1 && crawl__job_set_prev(j, &prev) < 0) return FA_ENOMEM;
        j->prev_read = 1;
    }
    return 0;
}

static int add_conditional_headers(crawl_job *j)
{
    if (!j->known) return 0;
    char line[700];
    if (j->prev->etag[0]) {
        snprintf(line, sizeof line, "If-None-Match: %s", j->prev->etag);
        struct curl_slist *l = curl_slist_append(j->headers, line);
        if (l) j->headers = l;
    }
    if (j->prev->last_modified[0]) {
        snprintf(line, sizeof line, "If-Modified-Since: %s", j->prev->last_modified);
        struct curl_slist *l = curl_slist_append(j->headers, line);
        if (l) j->headers = l;
    }
    return 0;
}

int crawl__job_start(void *ud, host_queue_entry *e)
{
    crawl *c = ud;
    crawl_job *j = crawl__job_of_entry(e);
    if (c->cluster) return crawl__cluster_start_job(c, j); /* the host gate first */
    return crawl__job_launch(c, j, 0);
}

int crawl__job_launch(crawl *c, crawl_job *j, int counted)
{
    fetch_transfer *t = &j->t;
    if (read_prev(c, j) < 0) { /* (cluster) Redis away: the job waits in its queue */
        crawl__cluster_job_ended(c, j);
        host_queue_requeue(c->q, &j->qe, fa_time_mono_ns() + 1000000000ULL);
        return 0;
    }
    t->url = j->url;
    t->ud = j;
    t->on_done = job_fetched;
    int rc = j->ops->start ? j->ops->start(j) : 0;
    if (rc == 0) rc = add_conditional_headers(j);
    t->headers = j->headers;
    if (rc == 0) rc = fetcher_start(c->f, t);
    if (rc == 0) {
        crawl__job_stop_waiting(j);
        return 0;
    }
    crawl__cluster_job_ended(c, j);
    if (counted) host_queue_done(c->q, &j->qe);
    crawl__source_fail(c, j->source, "%s: could not start the transfer", j->url);
    if (j->ops->failed) j->ops->failed(j);
    crawl__job_free(j);
    /* host_queue counts it as done; finishing is checked on the next turn */
    if (counted) crawl__maybe_finish(c);
    return FA_ENOMEM;
}

static void drop_job(void *ud, host_queue_entry *e)
{
    crawl_job *j = crawl__job_of_entry(e);
    if (j->ops->dropped) j->ops->dropped(j);
    crawl__job_defer(ud, j);
}

void crawl__stop(crawl *c)
{
    if (c->stopping) return;
    c->stopping = 1;
    host_queue_drain(c->q, drop_job, c);
    crawl__feed_intake_wake(c); /* what is left of the feeds is only counted */
}

void crawl__maybe_finish(crawl *c)
{
    if (c->finishing || (c->serve && !c->stopping) || host_queue_pending(c->q) ||
        host_queue_in_flight(c->q) || c->archive_pending || c->held || fetcher_active(c->f) ||
        crawl__cluster_busy(c))
        return;
    c->finishing = 1;
    crawl__phase_end(c);
    /* every page is archived: the later runs' dictionary trains while the
     * loop closes its connections and handles (10-15 ms on the bench) */
    if (c->dict_training) crawl__train_dictionary_start(c, c->dict_training, 0);
    crawl__cluster_close(c);
    crawl__close_stop_handles(c);
    state_batch_unref(c->batch);
    fetcher_close(c->f);
    host_queue_close(c->q);
    uv_timer_stop(&c->lag_timer);
    uv_close((uv_handle_t *)&c->lag_timer, NULL);
    crawl__feed_intake_close(c);
}
