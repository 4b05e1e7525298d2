/*
 * crawl_run.c - crawl_run_once: what a run opens before its first request
 * and closes after its last, in this order.
 *
 *   the durable state (crawl_state_open_sqlite unless the caller lends one;
 *   crawl_state_open_redis with a cluster: section, and the node's name in
 *   its segments' names, their warcinfo and its reconciliation mark)
 *   -> the archive folder's lock, then reconciliation of what a crash left
 *   (archive_reconcile.h) -> the dictionary and the dedup index -> the
 *   segment writer -> the loop, with the lag probe, the state batcher
 *   (state_batch.h), the robots gate, the fetcher and the host queue ->
 *   (cluster) the Redis connection for leases and the host gate ->
 *   the first requests (once) or the schedule (serve) -> uv_run.
 *
 * After the loop: the last url records committed after the last fsync,
 * then (once, if the run was not cut short) the per-source records and
 * the WordPress "since" marks, a dictionary trained on the records the
 * segment writer sampled, and everything closed in reverse.  Setup failing part-way closes what it
 * opened and reports why in the summary.
 *
 * Threads: the caller's thread is the loop thread.
 */
#include "crawler/crawl.h"
#include "crawler/crawl_internal.h"
#include "common/fa_alloc.h"
#include "common/fa_err.h"
#include "common/fa_fs.h"
#include "common/fa_log.h"
#include "common/fa_signal.h"
#include "common/fa_time.h"
#include "crawler/archive_reconcile.h"
#include "crawler/source_list.h"
#include "metrics/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void on_queue_idle(void *ud)
{
    crawl__maybe_finish(ud);
}

static void on_host_drained(void *ud, const char *host_key)
{
    (void)host_key;
    crawl__feed_intake_wake(ud);
}

/* How many jobs may wait before a feed's next page waits as an item: per
 * host, enough for several rounds of its connections; in all, enough for
 * every connection's several rounds (crawl_feed.c's intake). */
static void intake_bounds(crawl *c)
{
    unsigned per_host = c->cfg->politeness.max_connections_per_host;
    unsigned all = c->cfg->politeness.max_connections;
    c->host_waiting_max = per_host < 4 ? 32 : 8 * per_host;
    c->waiting_max = all < 16 ? 256 : 16 * all;
}

/* (cluster) kv key of the newest segment committed: one per node. */
static void segment_key(const config *cfg, char *out, size_t len)
{
    if (cfg->cluster.enabled)
        snprintf(out, len, "%s:%s", STATE_BATCH_KV_LAST_SEGMENT, cfg->cluster.node);
    else
        snprintf(out, len, "%s", STATE_BATCH_KV_LAST_SEGMENT);
}

/* A first run's early dictionary is trained on its first this many records
 * (issue 14).  Every writer waits while it trains (~25-50 ms); 250 records
 * learn the site's templates and the WARC and HTTP header lines as well as
 * 500 did and leave fewer records in the dictionary-less first segment:
 * alternated first runs (docs/BENCHMARKS.md, session 21), archives 0.7%
 * (compact pages) and 1.7% (~100 KB pages) smaller, the crawl level or
 * faster; 150 records learn too little (+6%). */
#define CRAWL_EARLY_DICT_RECORDS 250

/* The prefix of this node's segment names (a cluster node's carry its name). */
static void segment_prefix(const config *cfg, char *out, size_t len)
{
    snprintf(out, len, "%s%s%s", cfg->storage.prefix, cfg->cluster.enabled ? "-" : "",
             cfg->cluster.enabled ? cfg->cluster.node : "");
}

/* The mark (the segment reconciliation reads from after a crash) is
 * committed by the state batches with the records they commit.  A state
 * without one - a first run, or every run so far killed before its first
 * commit - gets one now, before this run writes a record: the lowest name
 * its segments can have.  Without it, a run killed after the first run's
 * dictionary switch and before its first commit left its first segment
 * (closed at the switch, so not .open) unread, and its pages were fetched
 * and archived again (test_kill9).  0 or a negative code (err says). */
static int mark_from_now(crawl *c, const char *key, char *err, size_t errlen)
{
    char have[CRAWL_STATE_KV_VALUE_MAX];
    int rc = crawl_state_get_kv(c->st, key, have, sizeof have);
    if (rc == 1) { /* a mark: the batches move it */
        snprintf(c->start_mark, sizeof c->start_mark, "%s", have);
        return 0;
    }
    if (rc < 0) {
        snprintf(err, errlen, "reading the state: %s", crawl_state_errmsg(c->st));
        return rc;
    }
    char prefix[512], name[600];
    segment_prefix(c->cfg, prefix, sizeof prefix);
    segment_writer_first_name(prefix, fa_time_now_ns(), name, sizeof name);
    rc = crawl_state_put_kv(c->st, key, name);
    if (rc < 0) snprintf(err, errlen, "writing the state: %s", crawl_state_errmsg(c->st));
    if (rc == 0) snprintf(c->start_mark, sizeof c->start_mark, "%s", name);
    return rc;
}

static int open_writer(crawl *c)
{
    const config *cfg = c->cfg;
    char prefix[512];
    segment_prefix(cfg, prefix, sizeof prefix);
    segment_writer_options wo = {
        .dir = cfg->storage.dir,
        .prefix = prefix,
        .node = cfg->cluster.enabled ? cfg->cluster.node : NULL,
        .max_size = cfg->storage.segment_max_size,
        .level = cfg->storage.compression_level,
        .lazy_open = 1,
        .dict = c->dict,
        .dict_len = c->dict_len,
        .file_mode = cfg->storage.file_mode,
        .operator_name = cfg->storage.operator_name,
        .train_dict_after = c->sampling ? CRAWL_EARLY_DICT_RECORDS : 0, /* trained early */
        .observer = crawl__observer(c),
        /* never before the mark: a clock set back since it was written
         * (mark_from_now's a moment ago) would name the first segments
         * before it, and reconciliation would not read them */
        .names_after = c->start_mark,
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
    crawl_dict_training dict_training = {0}; /* the later runs' dictionary */
    int dict_recorded = 0;
    c.cfg = cfg;
    c.sum = out;
    c.dict_training = &dict_training;
    c.opt = opt ? opt : &defaults;
    c.serve = c.opt->serve;
    c.max_pending = opt && opt->max_archive_pending ? opt->max_archive_pending : 256;
    c.max_pending_bytes =
        opt && opt->max_archive_pending_bytes ? opt->max_archive_pending_bytes : 16u << 20;
    c.start_ns = fa_time_mono_ns();
    fa_signal_install();
    c.hups_seen = fa_signal_hups();
    fa_hashset_init(&c.seen);
    fa_hashset_init(&c.hosts_seen);
    fa_hashset_init(&c.hosts_deferred);
    if (!c.serve && c.opt->max_duration_ms)
        c.deadline_ns = c.start_ns + c.opt->max_duration_ms * 1000000ULL;
    fa_hashset_init(&c.feeds_seen);
    c.rng.s = (uint64_t)fa_time_now_ns() | 1;
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
            if (l) c.src_headers[i] = l;
        }
    }

    if (opt && opt->state) {
        c.st = opt->state;
    } else {
        char err[512] = "";
        rc = cfg->cluster.enabled
                 ? crawl_state_open_redis(cfg->cluster.redis, cfg->cluster.password, NULL, &c.st,
                                          err, sizeof err)
                 : crawl_state_open_sqlite(cfg->storage.state_dir, &c.st, err, sizeof err);
        /* (cluster) the state is in Redis; the folder still keeps the node's
         * dedup index and dictionaries */
        if (rc == 0 && cfg->cluster.enabled && fa_mkdir_p(cfg->storage.state_dir) < 0)
            fa_log_warn("state", "cannot create %s", cfg->storage.state_dir);
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
        char key[CRAWL_STATE_KV_KEY_MAX];
        segment_key(cfg, key, sizeof key);
        rc = archive_reconcile_key(cfg->storage.dir, c.st, key, &rr, err, sizeof err);
        if (rc == 0) rc = mark_from_now(&c, key, err, sizeof err);
        if (rc < 0) {
            out->storage_error = rc;
            snprintf(out->storage_message, sizeof out->storage_message, "%s", err);
            goto out;
        }
    }
    if (source_list_migrate_state(cfg, c.st) < 0) /* records of host-named sources */
        fa_log_warn("state", "cannot move the records of sources named by host alone: %s",
                    crawl_state_errmsg(c.st));
    if (c.own_state && !cfg->cluster.enabled) {
        char err[512] = "";
        if (crawl_state_open_sqlite_readonly(cfg->storage.state_dir, &c.reader, err,
                                             sizeof err) < 0) {
            fa_log_warn("state", "no second connection for look-ups (%s): they share the writer's",
                        err);
            c.reader = NULL;
        }
    }
    pthread_mutex_init(&c.written_lock, NULL);
    crawl__pick_dictionary(&c);
    if (cfg->dedup.enabled) {
        char ddir[4096];
        snprintf(ddir, sizeof ddir, "%s/dedup", cfg->storage.state_dir);
        mkdir(ddir, 0777);
        dedup_options dopt = {.near_threshold = cfg->dedup.near_threshold,
                              .containment_threshold = cfg->dedup.containment_threshold,
                              .observer = crawl__observer(&c)};
        /* a cluster shares one index in Redis (docs/SCALING.md) */
        dedup_redis_index_options ro = {.url = cfg->cluster.redis,
                                        .password = cfg->cluster.password};
        char derr[256] = "";
        rc = cfg->cluster.enabled ? dedup_engine_open_redis(&ro, &dopt, &c.dedup, derr, sizeof derr)
                                  : dedup_engine_open(ddir, &dopt, &c.dedup);
        if (rc < 0) {
            out->storage_error = rc;
            snprintf(out->storage_message, sizeof out->storage_message,
                     "cannot open the dedup index in %.300s: %s",
                     cfg->cluster.enabled ? cfg->cluster.redis : ddir,
                     derr[0] ? derr : fa_strerror(rc));
            goto out;
        }
    }
    rc = open_writer(&c);
    if (rc < 0) goto out;
    if (uv_loop_init(&c.loop) != 0) {
        rc = FA_ENOMEM;
        goto out;
    }
    loop_ok = 1;
    const char *shared_arena = getenv("FEEDARC_LOOP_ARENA"); /* "0": share one (comparisons) */
    if (!(shared_arena && strcmp(shared_arena, "0") == 0)) fa_alloc_own_arena();
    crawl__lag_start(&c);
    crawl__feed_intake_open(&c);
    rc = fa_workpool_new(&c.loop, 0, &c.pool);
    if (rc < 0) goto out;
    rc = state_batch_new(&c.loop, c.pool, c.st, c.w, &c.batch);
    if (rc < 0) goto out;
    state_batch_set_mark_floor(c.batch, crawl__mark_floor, &c);
    if (cfg->cluster.enabled) { /* Redis may be away a while: commits wait for it */
        char key[CRAWL_STATE_KV_KEY_MAX];
        segment_key(cfg, key, sizeof key);
        state_batch_set_segment_key(c.batch, key);
        state_batch_set_retry(c.batch, 1, 0);
    }
    char token[64];
    crawl__robots_product_token(cfg->user_agent, token, sizeof token);
    rc = robots_gate_new(c.st, token, 0, &c.gate);
    if (rc < 0) goto out;
    robots_gate_set_writer(c.gate, c.batch);
    if (c.serve) /* a 5xx robots.txt is asked for again by the next polls */
        robots_gate_set_unavailable_hold(c.gate, crawl__shortest_interval(cfg));
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
        .sockets_deferred = &out->sockets_deferred,
    };
    rc = fetcher_new(&c.loop, &fo, &c.f);
    if (rc < 0) goto out;
    host_queue_options qo = {
        .per_host_cap = cfg->politeness.max_connections_per_host,
        .min_delay_ms = cfg->politeness.min_delay_ms,
        .global_cap = cfg->politeness.max_connections,
        .idle = on_queue_idle,
        .delay_factor = cfg->politeness.delay_factor,
        .max_delay_ms = cfg->politeness.max_delay_ms,
        .drained = on_host_drained,
    };
    intake_bounds(&c);
    rc = host_queue_new(&c.loop, &qo, crawl__job_start, &c, &c.q);
    if (rc < 0) {
        fetcher_close(c.f);
        c.f = NULL;
        goto out;
    }
    for (unsigned i = 0; i < cfg->n_sources; i++) {
        c.src[i].c = &c;
        c.src[i].index = i;
    }
    if (cfg->cluster.enabled && (rc = crawl__cluster_open(&c)) < 0) goto out;
    crawl__open_stop_handles(&c);
    if (c.opt->metrics) metrics_gauge_set(c.opt->metrics->sources, (double)cfg->n_sources);
    if (c.serve) {
        crawl__schedule_all(&c);
    } else if (c.cluster) { /* the sources the cluster gives this node */
        crawl__cluster_start(&c);
        crawl__maybe_finish(&c);
    } else {
        for (size_t i = 0; i < cfg->n_sources; i++)
            crawl__push_source(&c, (unsigned)i);
        crawl__maybe_finish(&c);
    }
    uv_run(&c.loop, UV_RUN_DEFAULT);

out:
    if (loop_ok) {
        if (!c.finishing) {
            /* setup failed part-way: close what exists */
            if (c.f) fetcher_close(c.f);
            if (c.q) host_queue_close(c.q);
            crawl__cluster_close(&c);
            crawl__close_stop_handles(&c);
            uv_close((uv_handle_t *)&c.lag_timer, NULL);
            crawl__feed_intake_close(&c);
        }
        uv_run(&c.loop, UV_RUN_DEFAULT);
        if (c.batch) {
            /* Every page is archived and inserted by now.  The later runs'
             * dictionary trains on a thread of its own (started by
             * crawl__maybe_finish as the last page was archived, or here
             * when the loop ended otherwise) while the dedup engine's
             * close, the url records' last batch, the sources and the
             * segment's close follow here.  It trains on the samples where
             * the writer kept them (no copy) and allocates zstd's tables
             * only after giving the allocator's free pages back, so the
             * run's peak stays the crawl's. */
            crawl__train_dictionary_start(&c, &dict_training, 1);
            dedup_engine_close(c.dedup);
            c.dedup = NULL;
            /* the last url records: fsync, then commit */
            char why[256] = "";
            int brc = state_batch_finish(c.batch, why, sizeof why);
            if (brc < 0 && !out->storage_error) {
                out->storage_error = brc;
                snprintf(out->storage_message, sizeof out->storage_message, "%s", why);
            }
            c.batch = NULL;
            dict_recorded = brc == 0;
            /* once: what the run found per source (serve records each poll
             * as it ends; an interrupted run records nothing) */
            if (brc == 0 && !c.serve && c.end == CRAWL_END_DONE && !c.cluster) {
                /* (a cluster node records each source it polled as it ends) */
                crawl__save_sources(&c);
                for (unsigned i = 0; i < c.sum->sources; i++) {
                    char key[CRAWL_STATE_KV_KEY_MAX], since[64];
                    if (crawl__feed_since(&c, i, key, sizeof key, since, sizeof since) &&
                        crawl_state_put_kv(c.st, key, since) < 0)
                        crawl__state_fail(&c, FA_EIO);
                }
            }
        }
        crawl__cluster_free(&c);
        fa_workpool_close(c.pool); /* idle by now: its threads end */
        uv_run(&c.loop, UV_RUN_DEFAULT);
        uv_loop_close(&c.loop);
        crawl__lag_report(&c, out);
    }
    if (c.w) {
        segment_writer_stats st;
        segment_writer_get_stats(c.w, &st);
        out->records = st.records;
        out->bytes_on_disk = st.bytes_on_disk;
        out->bytes_uncompressed = st.bytes_uncompressed;
        out->segments = st.segments;
        crawl__train_dictionary_wait_taken(&dict_training); /* the samples are off it */
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
    crawl_state_close(c.reader); /* before the writer: the last to close checkpoints */
    c.reader = NULL;
    /* the state's close would copy its journal back (SQLite: 15-17 ms of
     * WAL checkpoint on the bench): while the dictionary is still training,
     * copy it now, so the close after has only the dictionary's record */
    if (dict_training.threaded && c.st && crawl_state_checkpoint(c.st) < 0)
        fa_log_warn("state", "checkpoint: %s", crawl_state_errmsg(c.st));
    crawl__train_dictionary_finish(&c, &dict_training, dict_recorded);
    if (c.own_state) crawl_state_close(c.st);
    archive_lock_release(c.archive_lock);
    for (size_t i = 0; c.src_headers && i < cfg->n_sources; i++)
        curl_slist_free_all(c.src_headers[i]);
    free(c.src_headers);
    free(c.inflight);
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
    fa_hashset_free(&c.pages_live);
    fa_hashset_free(&c.hosts_seen);
    fa_hashset_free(&c.hosts_deferred);
    fa_hashset_free(&c.feeds_seen);
    fa_hashset_free(&c.written_ids);
    for (unsigned i = 0; out->results && i < out->sources; i++)
        if (!out->results[i].ok) out->sources_failed++;
    out->elapsed_s = (double)(fa_time_mono_ns() - c.start_ns) / 1e9;
    out->findings = atomic_load(&c.findings);
    if (c.progress_shown) crawl__show_progress(&c, 1);
    out->end = c.end;
    out->signal = c.end == CRAWL_END_SIGNAL ? c.stop_signal : 0;
    if (rc == 0 && out->storage_error) rc = out->storage_error;
    return rc;
}

void crawl_summary_free(crawl_summary *s)
{
    if (s == NULL) return;
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
