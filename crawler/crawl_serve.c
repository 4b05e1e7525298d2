/*
 * crawl_serve.c - per-source bookkeeping across polls, and the service's
 * schedule.
 *
 * `feedarc once` pushes every source's first request at the start and ends
 * when no job is left.  `feedarc serve` gives each source a due timer: when
 * it fires a poll starts (start_round: the per-poll counters reset, the
 * source's first request pushed); the poll ends when the last job of the
 * source is freed (crawl__source_job_ended -> round_done), which records
 * what the poll found (the source record: `feedarc status`) and arms the
 * timer again: the source's interval, or sooner for a failing source (1
 * minute doubling per failure, up to the interval), with +-10 % jitter so
 * sources with one interval do not fire together.  At start each source is
 * due when the state says (a restart keeps the schedule), those already
 * due spread over the first two seconds.
 *
 * Threads: loop thread only.
 */
#include "crawler/crawl_internal.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "common/fa_time.h"
#include "metrics/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one poll of a source found, copied for the state writer. */
typedef struct source_poll {
    char name[CRAWL_STATE_NAME_MAX];
    char url[CRAWL_STATE_URL_MAX];
    int ok, last_status;
    char error[512];
    uint64_t items;
    int64_t at_ns, next_due_ns;
    char since_key[CRAWL_STATE_KV_KEY_MAX]; /* WordPress: "" or the kv to set */
    char since[64];
} source_poll;

static void poll_of(crawl *c, unsigned i, int64_t next_due_ns, source_poll *p)
{
    const crawl_source_result *r = &c->sum->results[i];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", r->name);
    snprintf(p->url, sizeof p->url, "%s", r->url);
    p->ok = r->ok;
    p->last_status = r->last_status;
    snprintf(p->error, sizeof p->error, "%s", r->error ? r->error : "failed");
    p->items = r->pages_ok + r->items_without_page;
    p->at_ns = fa_time_now_ns();
    p->next_due_ns = next_due_ns;
}

/* The source record with the poll applied: the consecutive failures now
 * recorded, or a negative code.  Any thread (the state writer's in serve). */
static int poll_save(crawl_state *st, const source_poll *p)
{
    source_record s;
    int found = crawl_state_get_source(st, p->name, &s);
    if (found < 0) return found;
    if (found == 0) {
        memset(&s, 0, sizeof s);
        snprintf(s.name, sizeof s.name, "%s", p->name);
    }
    snprintf(s.url, sizeof s.url, "%s", p->url);
    s.last_attempt_ns = p->at_ns;
    s.last_status = p->last_status;
    if (p->ok) {
        s.last_success_ns = p->at_ns;
        s.last_error[0] = '\0';
        s.consecutive_failures = 0;
    } else {
        snprintf(s.last_error, sizeof s.last_error, "%s", p->error);
        s.consecutive_failures++;
    }
    s.items_archived += p->items;
    s.next_due_ns = p->next_due_ns;
    int rc = crawl_state_put_source(st, &s);
    if (rc == 0 && p->since_key[0]) rc = crawl_state_put_kv(st, p->since_key, p->since);
    return rc < 0 ? rc : (int)s.consecutive_failures;
}

static int poll_apply(crawl_state *st, void *arg)
{
    int rc = poll_save(st, arg);
    return rc < 0 ? rc : 0;
}

int crawl__save_source(crawl *c, unsigned i, int64_t next_due_ns)
{
    source_poll p;
    poll_of(c, i, next_due_ns, &p);
    return poll_save(c->st, &p);
}

void crawl__save_sources(crawl *c)
{
    int rc = crawl_state_begin(c->st);
    for (unsigned i = 0; rc == 0 && i < c->sum->sources; i++) {
        int n = crawl__save_source(c, i, 0);
        rc = n < 0 ? n : 0;
    }
    if (rc == 0) rc = crawl_state_commit(c->st);
    if (rc < 0) {
        if (crawl_state_in_transaction(c->st)) crawl_state_rollback(c->st);
        crawl__state_fail(c, rc);
    }
}

int crawl__queue_source_record(crawl *c, unsigned i, int64_t next_due_ns)
{
    source_poll *p = malloc(sizeof *p);
    if (p == NULL) return FA_ENOMEM;
    poll_of(c, i, next_due_ns, p);
    if (c->sum->results[i].ok)
        crawl__feed_since(c, i, p->since_key, sizeof p->since_key, p->since, sizeof p->since);
    return state_batch_put_op(c->batch, poll_apply, p, free, 1);
}

static uint64_t jittered(crawl *c, uint64_t ms)
{
    /* +-10 %, so sources with one interval do not fire together */
    return (uint64_t)((double)ms * (0.9 + 0.2 * (politeness_jitter(&c->rng) - 0.5)));
}

static void on_due(uv_timer_t *t);

void crawl__schedule_source(crawl *c, unsigned i, uint64_t delay_ms)
{
    if (c->stopping) return;
    uv_timer_start(&c->src[i].due, on_due, delay_ms, 0);
}

void crawl__start_round(crawl *c, unsigned i)
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
    crawl__push_source(c, i);
    crawl__source_job_ended(c, i);
}

static void on_due(uv_timer_t *t)
{
    source_rt *s = t->data;
    crawl *c = s->c;
    if (c->stopping) return;
    if (s->in_round) { /* the last poll has not finished: look again soon */
        crawl__schedule_source(c, s->index, 1000);
        return;
    }
    if (c->cluster) { /* polled by the node that claims it */
        crawl__cluster_due(c, s->index);
        return;
    }
    crawl__start_round(c, s->index);
}

/* A poll of source i has ended: record it (on the state writer, at once:
 * `feedarc status` shows it), and schedule the next.  The consecutive
 * failures are counted here too (source_rt.failures, read from the state
 * at start), so the loop need not read back what the writer wrote. */
static void round_done(crawl *c, unsigned i)
{
    if (c->stopping) return; /* cut short: the next start polls it again */
    const config_source *src = &c->cfg->sources[i];
    crawl_source_result *r = &c->sum->results[i];
    source_rt *rt = &c->src[i];
    uint64_t interval = src->interval_ms ? src->interval_ms : 15 * 60 * 1000;
    rt->failures = r->ok ? 0 : rt->failures + 1;
    unsigned failures = rt->failures;
    /* a failing source is retried sooner, backing off up to its interval */
    uint64_t next = interval;
    if (failures > 0) {
        uint64_t b = 60000ULL << (failures > 10 ? 10 : failures - 1);
        next = b < interval ? b : interval;
        const char *kv[] = {"source", r->name, NULL};
        fa_log_kv(failures >= METRICS_SOURCE_FAILING_AFTER ? FA_LOG_ERROR : FA_LOG_WARN, "crawl",
                  kv, "poll failed (%u in a row): %s; next try in %llu s", failures,
                  r->error ? r->error : "?", (unsigned long long)(next / 1000));
    }
    next = jittered(c, next);
    /* one transaction (one fsync) for what a poll records, with when it is
     * due (for a restart or `feedarc status`) */
    if (crawl__queue_source_record(c, i, fa_time_now_ns() + (int64_t)next * 1000000LL) < 0)
        crawl__state_fail(c, FA_ENOMEM);
    if (c->cluster) crawl__cluster_round_done(c, i); /* the lease goes once committed */
    if (c->opt->metrics) {
        feedarc_metrics *m = c->opt->metrics;
        metrics_counter_add(m->source_polls[r->ok ? METRICS_RESULT_OK : METRICS_RESULT_FAILED], 1);
        if (r->ok) metrics_gauge_set(m->last_poll_success, (double)fa_time_now_ns() / 1e9);
        rt->failing = failures >= METRICS_SOURCE_FAILING_AFTER;
        unsigned failing = 0;
        for (unsigned k = 0; k < c->sum->sources; k++)
            failing += c->src[k].failing;
        metrics_gauge_set(m->sources_failing, failing);
    }
    crawl__schedule_source(c, i, next);
}

void crawl__source_job_ended(crawl *c, unsigned src)
{
    source_rt *s = &c->src[src];
    if (s->alive && --s->alive > 0) return;
    /* the source's last job: its feed records may now be committed */
    crawl__feed_commit_deferred(c, src);
    if (c->serve && s->in_round) {
        s->in_round = 0;
        round_done(c, src);
    } else if (!c->serve) {
        c->sources_done++;
        if (c->cluster) crawl__cluster_source_done(c, src); /* its mark for the cluster */
    }
}

/* Before the loop runs: reads the state once per source. */
void crawl__schedule_all(crawl *c)
{
    int64_t now = fa_time_now_ns();
    for (unsigned i = 0; i < c->sum->sources; i++) {
        source_record rec;
        uint64_t delay = (uint64_t)(politeness_jitter(&c->rng) * 1000) % 2000; /* 0..2 s */
        if (crawl_state_get_source(c->st, c->sum->results[i].name, &rec) == 1) {
            c->src[i].failures = rec.consecutive_failures;
            if (rec.next_due_ns > now) delay = (uint64_t)((rec.next_due_ns - now) / 1000000);
        }
        crawl__schedule_source(c, i, delay);
    }
}

void crawl__serve_open(crawl *c)
{
    for (unsigned i = 0; c->serve && i < c->sum->sources; i++) {
        uv_timer_init(&c->loop, &c->src[i].due);
        c->src[i].due.data = &c->src[i];
    }
}

void crawl__serve_stop(crawl *c)
{
    for (unsigned i = 0; c->serve && i < c->sum->sources; i++)
        uv_timer_stop(&c->src[i].due);
}

void crawl__serve_close(crawl *c)
{
    for (unsigned i = 0; c->serve && i < c->sum->sources; i++)
        uv_close((uv_handle_t *)&c->src[i].due, NULL);
}
