/*
 * crawl_retry.c - transient errors: the host backs off, the URL is tried
 * again (the policy is politeness.h's; the waits are the host queue's).
 *
 * A transient error (politeness_is_transient) makes the whole host wait -
 * Retry-After when the server gives one, else an exponential backoff with
 * jitter - and the job is queued again as a new job (same kind, same
 * per-kind data, one more attempt) behind that wait, up to http.retries
 * times.  The backoff is stored in the state per host, so the next run
 * (or a restarted service) keeps honouring it: load_backoff reads it at a
 * host's first sight.  `once` never sleeps longer than the run can wait
 * (CRAWL_ONCE_MAX_WAIT_MS, or what is left of --max-duration): a host that
 * backs off longer has its URLs deferred to the next run.
 *
 * Threads: loop thread only.
 */
#include "crawler/crawl_internal.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "common/fa_time.h"
#include "metrics/metrics.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* once: how long the run may still wait for a host (ms). */
static uint64_t once_wait_limit(const crawl *c)
{
    if (c->deadline_ns == 0) return CRAWL_ONCE_MAX_WAIT_MS;
    uint64_t now = fa_time_mono_ns();
    uint64_t left = c->deadline_ns > now ? (c->deadline_ns - now) / 1000000 : 0;
    return left < CRAWL_ONCE_MAX_WAIT_MS ? left : CRAWL_ONCE_MAX_WAIT_MS;
}

int crawl__host_is_deferred(crawl *c, const char *host)
{
    return !c->serve && fa_hashset_has(&c->hosts_deferred, XXH3_64bits(host, strlen(host)));
}

/* once: the host backs off longer than the run can wait - its URLs wait
 * for the next run. */
static void defer_host(crawl *c, const char *host, uint64_t ms, const char *why)
{
    if (fa_hashset_add(&c->hosts_deferred, XXH3_64bits(host, strlen(host))) == 1)
        fa_log_warn("crawl",
                    "%s backs off for %llu s more (%s): its URLs are deferred to the "
                    "next run",
                    host, (unsigned long long)(ms / 1000), why);
}

static void save_backoff(crawl *c, const char *host, uint64_t delay_ms, unsigned errors,
                         int64_t retry_after)
{
    backoff_record b = {0};
    int64_t now = fa_time_now_ns();
    b.backoff_until_ns = delay_ms ? now + (int64_t)delay_ms * 1000000LL : 0;
    b.consecutive_errors = errors;
    b.retry_after_until_ns = retry_after >= 0 ? now + retry_after * 1000000LL : 0;
    crawl__keep_backoff(c, host, &b);
}

void crawl__host_answered(crawl *c, const crawl_job *j)
{
    if (!politeness_is_transient(&j->t) && host_queue_host_ok(c->q, j->host) > 0)
        save_backoff(c, j->host, 0, 0, -1); /* the host recovered */
}

/* The job again, as a new job behind the host's backoff. */
static int requeue(crawl *c, crawl_job *j)
{
    char *url = strdup(j->url);
    crawl_job *n = url ? crawl__job_new(c, url, j->host, j->ops, j->source) : NULL;
    if (n == NULL) return 0;
    n->redirects = j->redirects;
    n->attempts = j->attempts + 1;
    if ((j->ops->copy && j->ops->copy(n, j) < 0) || host_queue_push(c->q, n->host, &n->qe) < 0) {
        crawl__job_free(n);
        return 0;
    }
    /* the URL stays live through the new job (j is freed after this) */
    if (j->live_key && !n->live_key) {
        n->live_key = j->live_key;
        j->live_key = 0;
    }
    c->sum->retries++;
    if (c->opt && c->opt->metrics) metrics_counter_add(c->opt->metrics->retries, 1);
    return 1;
}

int crawl__retry(crawl *c, crawl_job *j)
{
    fetch_transfer *t = &j->t;
    if (c->stopping || !politeness_is_transient(t)) return 0;
    unsigned errors = host_queue_host_error(c->q, j->host);
    int64_t ra = (t->status == 429 || t->status == 503) ? politeness_retry_after_ms(t) : -1;
    uint64_t delay;
    if (ra >= 0) {
        delay = (uint64_t)ra;
    } else {
        delay = politeness_backoff_ms(&c->rng, c->backoff_base_ms, c->backoff_max_ms, errors);
        /* a service polls the source again after its interval anyway */
        uint64_t every = c->cfg->sources[j->source].interval_ms;
        if (c->serve && every && delay > every) delay = every;
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
    return requeue(c, j);
}

void crawl__load_backoff(crawl *c, const char *host)
{
    if (fa_hashset_add(&c->hosts_seen, XXH3_64bits(host, strlen(host))) != 1) return;
    backoff_record b;
    if (crawl_state_get_backoff(c->st, host, &b) != 1) return;
    int64_t now = fa_time_now_ns();
    int64_t until =
        b.backoff_until_ns > b.retry_after_until_ns ? b.backoff_until_ns : b.retry_after_until_ns;
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
