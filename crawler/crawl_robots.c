/*
 * crawl_robots.c - robots.txt jobs: nothing is fetched from a host before
 * its robots.txt (robots_gate.h decides; this fetches).
 *
 * The first feed or page job for a host the gate does not know parks in
 * the gate and makes it ask for http(s)://host:port/robots.txt: a robots
 * job, which goes straight to the host queue (it does not pass the gate
 * itself).  Its outcome goes back to the gate - the body (first 500 KiB,
 * RFC 9309 §2.5), or the status alone - which releases the parked jobs,
 * each checked again.  A redirect is followed up to five hops, each hop a
 * new robots job deciding for the same host key; more is "unavailable",
 * as a 4xx.  A fetch that gets no HTTP answer (refused, DNS, TLS, timeout,
 * reset) is no robots decision: the parked jobs fail with that cause, and
 * a service asks again after the host's backoff or the shortest source
 * interval.  The exchange is archived like any other.
 *
 * Threads: loop thread only.
 */
#include "crawler/crawl_internal.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "crawler/url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROBOTS_MAX_REDIRECTS 5

int crawl__robots_push(crawl *c, const char *host_key, unsigned src)
{
    char *url = malloc(strlen(host_key) + sizeof "/robots.txt");
    if (url == NULL) return FA_ENOMEM;
    strcpy(url, host_key);
    strcat(url, "/robots.txt");
    crawl_job *j = crawl__job_new(c, url, host_key, &crawl__robots_ops, src);
    if (j == NULL) return FA_ENOMEM;
    if ((j->robots.robots_for = strdup(host_key)) == NULL) {
        crawl__job_free(j);
        return FA_ENOMEM;
    }
    c->sum->robots_fetched++;
    return crawl__job_admit(c, j);
}

/* A robots.txt redirect: the next hop (taken over) decides for the same
 * host key. */
static int push_redirect(crawl *c, const crawl_job *from, char *next)
{
    char key[512];
    if (url_host_key(next, key, sizeof key) < 0) {
        free(next);
        return FA_EINVAL;
    }
    crawl_job *j = crawl__job_new(c, next, key, &crawl__robots_ops, from->source);
    if (j == NULL) return FA_ENOMEM;
    if ((j->robots.robots_for = strdup(from->robots.robots_for)) == NULL) {
        crawl__job_free(j);
        return FA_ENOMEM;
    }
    j->redirects = from->redirects + 1;
    int rc = host_queue_push(c->q, key, &j->qe);
    if (rc < 0) crawl__job_free(j);
    return rc;
}

/* Jobs that waited for a robots.txt: checked again (or deferred, stopping). */
static void release(crawl *c, robots_gate_wait *w)
{
    while (w) {
        crawl_job *j = crawl__job_of_wait(w);
        w = w->next;
        if (c->stopping) {
            crawl__job_defer(c, j);
            continue;
        }
        crawl__job_admit(c, j);
    }
}

/* The robots.txt outcome for host_key is known: record it and let the jobs
 * that waited for it through (or not). */
static void resolved(crawl *c, const char *host_key, int status, const fa_buf *body)
{
    uint64_t delay = 0;
    robots_gate_wait *w =
        robots_gate_resolve(c->gate, host_key, status, body && body->data ? body->data : "",
                            body ? body->len : 0, &delay);
    if (delay) host_queue_set_delay(c->q, host_key, delay);
    if (c->cluster) state_batch_flush(c->batch); /* the other nodes wait for it */
    release(c, w);
}

void crawl__robots_known(crawl *c, const char *host_key, robots_gate_wait *w, uint64_t delay_ms)
{
    if (delay_ms) host_queue_set_delay(c->q, host_key, delay_ms);
    release(c, w);
}

void crawl__robots_give_up(crawl *c, const char *host_key)
{
    release(c, robots_gate_fail(c->gate, host_key, "stopped", 0));
}

/* The robots.txt fetch for host_key got no HTTP answer (why): its jobs fail
 * with that cause; a service asks again after retry_ms (0: not this run). */
static void failed(crawl *c, const char *host_key, const char *why, uint64_t retry_ms)
{
    if (!c->stopping)
        fa_log_warn("robots", "%s/robots.txt got no answer: %s; the host's URLs fail%s", host_key,
                    why, retry_ms ? " until it is asked for again" : " for this run");
    /* the jobs that waited fail with the cause (even if the host is now
     * deferred: they are what this failure was about) */
    robots_gate_wait *w = robots_gate_fail(c->gate, host_key, why, retry_ms);
    while (w) {
        crawl_job *j = crawl__job_of_wait(w);
        w = w->next;
        if (c->stopping)
            crawl__job_defer(c, j);
        else
            crawl__job_unreachable(c, j);
    }
}

static int on_payload(fetch_transfer *t, const void *data, size_t len)
{
    crawl_job *j = t->ud;
    fa_buf *b = &j->robots.body;
    size_t room = b->max - b->len;
    fa_buf_append(b, data, len < room ? len : room);
    return len < room ? 0 : -1; /* RFC 9309: parse the first 500 KiB */
}

void crawl__robots_product_token(const char *ua, char *out, size_t len)
{
    size_t n = 0;
    while (ua && ua[n] && n + 1 < len &&
           ((ua[n] >= 'a' && ua[n] <= 'z') || (ua[n] >= 'A' && ua[n] <= 'Z') || ua[n] == '-' ||
            ua[n] == '_'))
        n++;
    memcpy(out, ua ? ua : "", n);
    out[n] = '\0';
    if (n == 0) snprintf(out, len, "feedarc");
}

uint64_t crawl__shortest_interval(const config *cfg)
{
    uint64_t ms = 60000;
    for (size_t i = 0; i < cfg->n_sources; i++)
        if (cfg->sources[i].interval_ms && cfg->sources[i].interval_ms < ms)
            ms = cfg->sources[i].interval_ms;
    return ms;
}

/* ---- the robots job's operations ---- */

static void robots_init(crawl_job *j)
{
    fa_buf_init(&j->robots.body, ROBOTS_MAX_BYTES);
}

static int robots_copy(crawl_job *to, const crawl_job *from)
{
    to->robots.robots_for = strdup(from->robots.robots_for);
    return to->robots.robots_for ? 0 : FA_ENOMEM;
}

static int robots_start(crawl_job *j)
{
    j->t.want_payload = 1;
    j->t.on_payload = on_payload;
    return 0;
}

static void robots_start_failed(crawl_job *j)
{
    failed(j->c, j->robots.robots_for, "could not start the transfer", 0);
}

static enum crawl_job_next robots_fetched(crawl_job *j)
{
    crawl *c = j->c;
    fetch_transfer *t = &j->t;
    int redirect = !t->error_code && crawl__is_redirect(t->status) && t->location[0];
    if (redirect && j->redirects < ROBOTS_MAX_REDIRECTS && !c->stopping) {
        char *next = NULL;
        if (url_resolve(j->url, t->location, &next) == 0 && push_redirect(c, j, next) == 0)
            return CRAWL_JOB_ARCHIVE; /* the hop decides later */
    }
    if (t->error_code) { /* no answer: no robots decision either */
        uint64_t again = j->backoff_ms ? j->backoff_ms : crawl__shortest_interval(c->cfg);
        failed(c, j->robots.robots_for, t->error, c->serve ? again : 0);
        return CRAWL_JOB_END;
    }
    /* too many redirects: "unavailable", treated as 4xx */
    resolved(c, j->robots.robots_for, redirect ? 404 : (int)t->status, &j->robots.body);
    return CRAWL_JOB_ARCHIVE;
}

static void robots_archived(crawl_job *j, const url_record *r)
{
    crawl__keep_url_record(j->c, j->url, r);
}

static void robots_dropped(crawl_job *j)
{
    /* stopping: the jobs it held are deferred with it */
    release(j->c, robots_gate_fail(j->c->gate, j->robots.robots_for, "stopped", 0));
}

static void robots_release(crawl_job *j)
{
    free(j->robots.robots_for);
    fa_buf_free(&j->robots.body);
}

const crawl_job_ops crawl__robots_ops = {
    .name = "robots",
    .in_source = 0,
    .url_kind = URL_KIND_PAGE,
    .init = robots_init,
    .copy = robots_copy,
    .start = robots_start,
    .failed = robots_start_failed,
    .fetched = robots_fetched,
    .archived = robots_archived,
    .dropped = robots_dropped,
    .release = robots_release,
};
