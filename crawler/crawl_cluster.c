/*
 * crawl_cluster.c - several feedarc nodes crawling as one (config
 * `cluster:`, docs/SCALING.md): what a node asks Redis before it does
 * anything the other nodes must not do at the same time.
 *
 * One asynchronous Redis connection (common/fa_redis.h) on the crawl's
 * loop carries the source leases (storage/state/cluster_lease.h) and the
 * host gate (storage/state/cluster_host_gate.h); the crawl state itself is
 * the Redis backend of crawl_state.h, opened by crawl_run.c.
 *
 *   sources, once   each node claims sources (claim_once, in a run id the
 *                   nodes share: `P once:run`) and polls those it gets; a
 *                   source's jobs all ended and their records committed, it
 *                   is marked done for the run.  A source another node
 *                   holds is asked for again every second (at most every
 *                   lease/3): the answer "done" is how a node learns that
 *                   the other polled it, and the run of a node ends when
 *                   every source is done (a holder that dies leaves its
 *                   lease to expire, then a node asking gets it).
 *   sources, serve  a source's due timer claims it; the claim won, the
 *                   shared source record says whether another node polled
 *                   it meanwhile (then the lease goes back and the timer
 *                   waits for the recorded next due time); else it is
 *                   polled, its lease renewed every lease/3 while the poll
 *                   runs and released once the poll's record is committed.
 *                   A source held elsewhere is looked at again after lease/2.
 *   pages           when its request is about to start, a page not yet
 *                   archived is claimed (`P lease:page:<url>`, for one lease:
 *                   it covers the fetch, the archiving and the commit) and
 *                   the state read again: when two sources on two nodes list
 *                   one page, one node fetches it.  A page another node
 *                   holds goes back to its host's queue for 500 ms, until
 *                   the state has it (skipped) or the claim is gone (that
 *                   node died: this one fetches it).
 *   requests        host_queue's start goes through the host gate: one
 *                   Lua step grants a slot under the cluster-wide per-host
 *                   cap and minimum delay (Crawl-delay and the adaptive
 *                   delay included) or says how long to wait (the job goes
 *                   back to the head of its host's queue); the transfer
 *                   done, the slot is released with the host's backoff or
 *                   Retry-After, so every node waits it out.
 *   robots.txt      fetched by the node that claims `P lease:robots:<host>`;
 *                   the others keep the host's jobs parked and read the
 *                   shared robots cache until it is there (or the lease
 *                   runs out: then they claim and fetch it themselves).
 *
 * Outages: while the connection is not ready the host queue is paused
 * (transfers in flight finish and are archived; their records wait in the
 * state batcher, which retries its commits), nothing is claimed, and
 * opt->ready and the feedarc_cluster_redis_up gauge say so.  fa_redis
 * reconnects with backoff; then claims and starts resume.
 *
 * Threads: loop thread only.
 */
#include "crawler/crawl_internal.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "common/fa_time.h"
#include "metrics/metrics.h"
#include "storage/state/cluster_host_gate.h"
#include "storage/state/cluster_lease.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS 250
#define ROBOTS_RETRY_MS 1000 /* a robots lease held elsewhere: claimed again after */
#define CAP_RETRY_MS 100     /* a host at the cluster's cap: asked again after */
#define DOWN_RETRY_MS 1000   /* Redis away: a refused start is tried again after */
#define PAGE_RETRY_MS 500    /* a page another node fetches: looked at again after */
#define HELD_RETRY_MS 1000   /* once: a source another node holds: asked again after */

enum src_phase {
    SRC_TODO = 0, /* once: not claimed yet, or held elsewhere */
    SRC_ASKING,   /* a claim is out */
    SRC_MINE,     /* this node polls it */
    SRC_MARKING,  /* once: polled and committed; mark_done is out */
    SRC_DONE      /* once: done in this run (by any node) */
};

typedef struct cluster_src {
    crawl_cluster *cl;
    unsigned index;
    enum src_phase phase;
    int held;             /* this node holds the lease */
    int renewing;         /* a renew is out */
    uint64_t next_try_ns; /* once: no claim before (fa_time_mono_ns) */
} cluster_src;

/* A host whose robots.txt another node fetches: its jobs stay parked. */
typedef struct robots_wait {
    struct robots_wait *next;
    crawl_cluster *cl;
    unsigned source;
    int asking;           /* a claim is out */
    int gone;             /* resolved or given up: freed when no claim is out */
    uint64_t next_try_ns; /* the next claim */
    char host[];
} robots_wait;

struct crawl_cluster {
    crawl *c;
    fa_redis *r;
    cluster_lease *lease;
    cluster_host_gate *gate;
    cluster_src *src;
    robots_wait *robots;
    uv_timer_t tick;
    int ready, closing, closed, tick_closed, redis_closed;
    unsigned jobs_waiting; /* page and robots claims out, jobs at the gate */
    unsigned releases_out; /* closing: lease releases not yet answered */
    uint64_t close_by_ns;
    uint64_t last_renew_ns;
    char run[96]; /* once: the run id, "" until known */
    int run_asking;
    fa_redis_script run_script;
    char node[CONFIG_NODE_NAME_MAX + 1];
};

/* KEYS[1] P once:run; ARGV id, ms.  The run the nodes share: the first node
 * names it, each node keeps it alive while it runs. */
static const char run_lua[] = "redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) "
                              "redis.call('PEXPIRE', KEYS[1], ARGV[2]) "
                              "return redis.call('GET', KEYS[1])";

static const char *src_name(const crawl_cluster *cl, unsigned i)
{
    return cl->c->sum->results[i].name;
}

static uint64_t lease_ms(const crawl_cluster *cl)
{
    return cl->c->cfg->cluster.lease_ms ? cl->c->cfg->cluster.lease_ms : 30000;
}

int crawl__cluster_down(const crawl *c)
{
    return c->cluster != NULL && !c->cluster->ready;
}

void crawl__update_pause(crawl *c)
{
    if (c->q) host_queue_pause(c->q, c->paused || crawl__cluster_down(c));
}

/* ---- once: claims until every source is done ---- */

static void claim_more(crawl_cluster *cl);

static int all_done(const crawl_cluster *cl)
{
    for (unsigned i = 0; i < cl->c->sum->sources; i++)
        if (cl->src[i].phase != SRC_DONE) return 0;
    return 1;
}

static void on_marked(void *ud, int result, const char *err)
{
    cluster_src *s = ud;
    crawl_cluster *cl = s->cl;
    if (result < 0) { /* tried again at the next tick */
        if (!cl->closing)
            fa_log_warn("cluster", "cannot mark source %s done: %s", src_name(cl, s->index),
                        err ? err : "?");
        s->phase = SRC_MARKING;
        s->next_try_ns = fa_time_mono_ns() + DOWN_RETRY_MS * 1000000ULL;
        return;
    }
    s->phase = SRC_DONE;
    s->held = 0;
    s->next_try_ns = 0;
    if (!cl->closing) claim_more(cl);
    crawl__maybe_finish(cl->c);
}

static void mark_done(crawl_cluster *cl, cluster_src *s)
{
    s->phase = SRC_MARKING;
    s->next_try_ns = UINT64_MAX; /* until the reply */
    if (cluster_lease_mark_done(cl->lease, cl->run, src_name(cl, s->index), on_marked, s) < 0)
        s->next_try_ns = fa_time_mono_ns() + DOWN_RETRY_MS * 1000000ULL;
}

/* The source's records are committed: done for the cluster's run. */
static void source_committed(void *ud, int rc)
{
    cluster_src *s = ud;
    crawl_cluster *cl = s->cl;
    if (cl->closing) return;
    if (rc < 0) {
        /* its records are not in the state: not done (another run, or
         * another node after the lease, polls it again) */
        s->phase = SRC_DONE;
        crawl__maybe_finish(cl->c);
        return;
    }
    mark_done(cl, s);
}

void crawl__cluster_source_done(crawl *c, unsigned i)
{
    crawl_cluster *cl = c->cluster;
    cluster_src *s = &cl->src[i];
    if (c->serve || s->phase != SRC_MINE) return;
    if (c->stopping) { /* cut short: not done; its lease goes back at close */
        s->phase = SRC_TODO;
        s->next_try_ns = UINT64_MAX;
        return;
    }
    s->phase = SRC_MARKING;
    s->next_try_ns = UINT64_MAX; /* mark_done after the commit */
    /* what the poll found, then (once committed) the mark */
    if (crawl__queue_source_record(c, i, 0) < 0 ||
        state_batch_after_commit(c->batch, source_committed, s) < 0) {
        crawl__state_fail(c, FA_ENOMEM);
        s->phase = SRC_DONE;
    }
}

static void on_claimed_once(void *ud, int result, const char *err)
{
    cluster_src *s = ud;
    crawl_cluster *cl = s->cl;
    crawl *c = cl->c;
    s->phase = SRC_TODO;
    if (result == CLUSTER_LEASE_DONE) {
        s->phase = SRC_DONE;
        crawl__maybe_finish(c);
        return;
    }
    if (result == CLUSTER_LEASE_HELD && (cl->closing || c->stopping)) {
        cluster_lease_release(cl->lease, src_name(cl, s->index), NULL, NULL);
        crawl__maybe_finish(c);
        return;
    }
    if (result == CLUSTER_LEASE_HELD) {
        s->phase = SRC_MINE;
        s->held = 1;
        const char *kv[] = {"source", src_name(cl, s->index), NULL};
        fa_log_kv(FA_LOG_DEBUG, "cluster", kv, "claimed");
        c->src[s->index].alive++; /* held while the first job is queued */
        crawl__push_source(c, s->index);
        crawl__source_job_ended(c, s->index);
        return;
    }
    if (result < 0 && !cl->closing)
        fa_log_debug("cluster", "claim of %s failed: %s", src_name(cl, s->index), err ? err : "?");
    /* held elsewhere (or no answer): asked again later - soon, as a node
     * learns that another one has polled it only by asking (done), and
     * ends only once it knows every source done.  At most a lease/3 (its
     * holder dead, it is free after the lease anyway).  Costs at most one
     * claim a second per source the other nodes hold: their windows. */
    uint64_t held_ms = lease_ms(cl) / 3 < HELD_RETRY_MS ? lease_ms(cl) / 3 : HELD_RETRY_MS;
    s->next_try_ns = fa_time_mono_ns() + (result < 0 ? DOWN_RETRY_MS : held_ms) * 1000000ULL;
    crawl__maybe_finish(c);
}

/* Sources under way on this node, at most: enough to keep the connections
 * busy, few enough that nodes starting together share the sources. */
static unsigned window(const crawl_cluster *cl)
{
    unsigned w = cl->c->cfg->politeness.max_connections / 4;
    return w < 2 ? 2 : w;
}

static void claim_more(crawl_cluster *cl)
{
    crawl *c = cl->c;
    if (c->serve || !cl->ready || cl->closing || c->stopping || !cl->run[0]) return;
    unsigned n = c->sum->sources, busy = 0;
    for (unsigned i = 0; i < n; i++)
        busy += cl->src[i].phase == SRC_ASKING || cl->src[i].phase == SRC_MINE;
    uint64_t now = fa_time_mono_ns();
    /* each node starts at its own place in the list, so that nodes starting
     * together do not all ask for the same sources first */
    unsigned start = n ? (unsigned)((politeness_jitter(&c->rng) - 0.5) * n) % n : 0;
    for (unsigned k = 0; k < n && busy < window(cl); k++) {
        cluster_src *s = &cl->src[(start + k) % n];
        if (s->phase == SRC_MARKING && s->next_try_ns <= now) {
            mark_done(cl, s);
            continue;
        }
        if (s->phase != SRC_TODO || s->next_try_ns > now) continue;
        s->phase = SRC_ASKING;
        if (cluster_lease_claim_once(cl->lease, cl->run, src_name(cl, s->index), on_claimed_once,
                                     s) < 0) {
            s->phase = SRC_TODO;
            s->next_try_ns = now + DOWN_RETRY_MS * 1000000ULL;
            continue;
        }
        busy++;
    }
}

static void on_run(fa_redis *r, void *ud, redisReply *reply, const char *err)
{
    crawl_cluster *cl = ud;
    (void)r;
    cl->run_asking = 0;
    if (reply == NULL || reply->type != REDIS_REPLY_STRING) {
        if (!cl->closing)
            fa_log_warn("cluster", "cannot learn the cluster's run id: %s",
                        err                                         ? err
                        : reply && reply->type == REDIS_REPLY_ERROR ? reply->str
                                                                    : "unexpected reply");
        return;
    }
    if (cl->run[0] == '\0') {
        snprintf(cl->run, sizeof cl->run, "%.*s", (int)reply->len, reply->str);
        fa_log_info("cluster", "node %s joins run %s", cl->node, cl->run);
        claim_more(cl);
    }
}

/* Names the run or joins it; repeated to keep it alive. */
static void ask_run(crawl_cluster *cl)
{
    if (cl->run_asking || !cl->ready || cl->closing) return;
    char key[128], id[96], ms[24];
    snprintf(key, sizeof key, "%sonce:run", CRAWL_STATE_REDIS_PREFIX);
    snprintf(id, sizeof id, "%s-%lld", cl->node, (long long)fa_time_now_ns());
    snprintf(ms, sizeof ms, "%llu", (unsigned long long)lease_ms(cl));
    const char *keys[] = {key};
    const char *args[] = {id, ms};
    if (fa_redis_eval(cl->r, &cl->run_script, 1, keys, 2, args, on_run, cl) == 0)
        cl->run_asking = 1;
}

void crawl__cluster_start(crawl *c)
{
    ask_run(c->cluster);
}

/* ---- serve: a claim per poll ---- */

static void on_claimed_serve(void *ud, int result, const char *err)
{
    cluster_src *s = ud;
    crawl_cluster *cl = s->cl;
    crawl *c = cl->c;
    unsigned i = s->index;
    s->phase = SRC_TODO;
    if (cl->closing || c->stopping) {
        if (result == CLUSTER_LEASE_HELD)
            cluster_lease_release(cl->lease, src_name(cl, i), NULL, NULL);
        return;
    }
    if (result != CLUSTER_LEASE_HELD) {
        /* polled by another node now (its lease ends at the latest after
         * one lease: looked at again before), or Redis away */
        if (result < 0)
            fa_log_debug("cluster", "claim of %s failed: %s", src_name(cl, i), err ? err : "?");
        uint64_t again = result < 0 ? DOWN_RETRY_MS : lease_ms(cl) / 2;
        crawl__schedule_source(c, i, again + (uint64_t)((politeness_jitter(&c->rng) - 0.5) * 500));
        return;
    }
    s->held = 1;
    /* did another node poll it while this one waited? */
    source_record rec;
    int found = crawl_state_get_source(c->st, src_name(cl, i), &rec);
    int64_t now = fa_time_now_ns();
    if (found < 0 || (found == 1 && rec.next_due_ns > now + 1000000000LL)) {
        s->held = 0;
        cluster_lease_release(cl->lease, src_name(cl, i), NULL, NULL);
        uint64_t wait = found < 0 ? DOWN_RETRY_MS : (uint64_t)((rec.next_due_ns - now) / 1000000);
        if (found == 1) c->src[i].failures = rec.consecutive_failures;
        crawl__schedule_source(c, i, wait);
        return;
    }
    if (found == 1) c->src[i].failures = rec.consecutive_failures;
    s->phase = SRC_MINE;
    crawl__start_round(c, i);
}

void crawl__cluster_due(crawl *c, unsigned i)
{
    crawl_cluster *cl = c->cluster;
    cluster_src *s = &cl->src[i];
    if (s->phase == SRC_ASKING) return;
    s->phase = SRC_ASKING;
    if (cluster_lease_claim(cl->lease, src_name(cl, i), on_claimed_serve, s) < 0) {
        s->phase = SRC_TODO;
        crawl__schedule_source(
            c, i, DOWN_RETRY_MS + (uint64_t)((politeness_jitter(&c->rng) - 0.5) * 500));
    }
}

static void on_released(void *ud, int result, const char *err)
{
    cluster_src *s = ud;
    crawl_cluster *cl = s->cl;
    (void)result, (void)err;
    if (cl->releases_out) cl->releases_out--;
}

/* serve: the poll's record is committed: the lease goes back. */
static void round_committed(void *ud, int rc)
{
    cluster_src *s = ud;
    crawl_cluster *cl = s->cl;
    (void)rc;
    s->phase = SRC_TODO;
    if (!s->held || cl->closing) return;
    s->held = 0;
    cluster_lease_release(cl->lease, src_name(cl, s->index), NULL, NULL);
}

void crawl__cluster_round_done(crawl *c, unsigned i)
{
    cluster_src *s = &c->cluster->src[i];
    if (state_batch_after_commit(c->batch, round_committed, s) < 0) round_committed(s, FA_ENOMEM);
}

/* ---- renewals ---- */

static void on_renewed(void *ud, int result, const char *err)
{
    cluster_src *s = ud;
    crawl_cluster *cl = s->cl;
    s->renewing = 0;
    if (cl->closing || result != CLUSTER_LEASE_OTHER || !s->held) return;
    (void)err;
    /* lost (Redis forgot it, or this node was away past the lease): the
     * poll under way finishes; the next is claimed again */
    s->held = 0;
    const char *kv[] = {"source", src_name(cl, s->index), NULL};
    fa_log_kv(FA_LOG_WARN, "cluster", kv,
              "lease lost while polling (Redis restarted without it, or this node was away "
              "longer than cluster.lease): another node may poll it too");
}

static void renew_all(crawl_cluster *cl)
{
    for (unsigned i = 0; i < cl->c->sum->sources; i++) {
        cluster_src *s = &cl->src[i];
        if (!s->held || s->renewing || (s->phase != SRC_MINE && s->phase != SRC_MARKING)) continue;
        /* claim, not renew: a lease Redis lost (restart) is taken back */
        if (cluster_lease_claim(cl->lease, src_name(cl, i), on_renewed, s) == 0) s->renewing = 1;
    }
}

/* ---- robots.txt once per host for the cluster ---- */

static void robots_wait_free_gone(crawl_cluster *cl)
{
    robots_wait **p = &cl->robots;
    while (*p) {
        robots_wait *w = *p;
        if (w->gone && !w->asking) {
            *p = w->next;
            free(w);
        } else {
            p = &w->next;
        }
    }
}

static void robots_claim(robots_wait *w);

static void on_robots_claimed(void *ud, int result, const char *err)
{
    robots_wait *w = ud;
    crawl_cluster *cl = w->cl;
    crawl *c = cl->c;
    (void)err;
    w->asking = 0;
    cl->jobs_waiting--;
    if (w->gone || cl->closing) {
        crawl__maybe_finish(c);
        return;
    }
    if (result == CLUSTER_LEASE_HELD) {
        /* this node fetches it (the robots job is in the host queue now) */
        w->gone = 1;
        if (c->stopping || crawl__robots_push(c, w->host, w->source) < 0)
            crawl__robots_give_up(c, w->host);
        crawl__maybe_finish(c);
        return;
    }
    /* another node fetches it: its jobs wait for the shared cache */
    w->next_try_ns = fa_time_mono_ns() + ROBOTS_RETRY_MS * 1000000ULL;
}

static void robots_claim(robots_wait *w)
{
    crawl_cluster *cl = w->cl;
    char name[CLUSTER_LEASE_KEY_MAX];
    snprintf(name, sizeof name, "robots:%s", w->host);
    w->next_try_ns = UINT64_MAX;
    if (cluster_lease_claim(cl->lease, name, on_robots_claimed, w) == 0) {
        w->asking = 1;
        cl->jobs_waiting++;
    } else {
        w->next_try_ns = fa_time_mono_ns() + DOWN_RETRY_MS * 1000000ULL;
    }
}

int crawl__cluster_robots(crawl *c, const char *host_key, unsigned src)
{
    crawl_cluster *cl = c->cluster;
    size_t n = strlen(host_key);
    robots_wait *w = calloc(1, sizeof *w + n + 1);
    if (w == NULL) return FA_ENOMEM;
    memcpy(w->host, host_key, n + 1);
    w->cl = cl;
    w->source = src;
    w->next = cl->robots;
    cl->robots = w;
    robots_claim(w);
    return 0;
}

static void robots_poll(crawl_cluster *cl)
{
    crawl *c = cl->c;
    uint64_t now = fa_time_mono_ns();
    for (robots_wait *w = cl->robots; w; w = w->next) {
        if (w->gone || w->asking) continue;
        if (c->stopping) {
            w->gone = 1;
            crawl__robots_give_up(c, w->host);
            continue;
        }
        if (!cl->ready) continue;
        robots_gate_wait *released;
        uint64_t delay;
        if (robots_gate_from_cache(c->gate, w->host, &released, &delay) == 1) {
            w->gone = 1;
            crawl__robots_known(c, w->host, released, delay);
            continue;
        }
        if (w->next_try_ns <= now) robots_claim(w);
    }
    robots_wait_free_gone(cl);
}

/* ---- requests: page claims, then the host gate ---- */

static void acquire(crawl *c, crawl_job *j);

/* j goes back to its host's queue for ms (it was started: no longer). */
static void requeue(crawl *c, crawl_job *j, uint64_t ms)
{
    host_queue_requeue(c->q, &j->qe, fa_time_mono_ns() + ms * 1000000ULL);
}

/* j will not start after all: its host queue is told, it is deferred. */
static void drop_started(crawl *c, crawl_job *j)
{
    crawl__cluster_job_ended(c, j);
    host_queue_done(c->q, &j->qe);
    if (j->ops->dropped) j->ops->dropped(j); /* robots.txt: its waiting jobs go too */
    crawl__job_defer(c, j);
    crawl__maybe_finish(c);
}

static void on_page_claimed(void *ud, int result, const char *err)
{
    crawl_job *j = ud;
    crawl *c = j->c;
    crawl_cluster *cl = c->cluster;
    cl->jobs_waiting--;
    if (c->stopping || cl->closing) {
        drop_started(c, j);
        return;
    }
    url_record prev;
    int known = result >= 0 ? crawl_state_get_url(c->st, j->url, &prev) : 0;
    if (result < 0 || known < 0) { /* Redis away: the page waits in its queue */
        const char *kv[] = {"url", j->url, NULL};
        fa_log_kv(FA_LOG_DEBUG, "cluster", kv, "page claim failed: %s",
                  result < 0 && err ? err : "no answer");
        requeue(c, j, DOWN_RETRY_MS);
        return;
    }
    if (known == 1 && crawl__page_unchanged(&prev, j->page.item_updated)) {
        /* archived by another node since this one read the state */
        c->sum->results[j->source].pages_unchanged++;
        c->sum->pages_unchanged++;
        host_queue_done(c->q, &j->qe);
        crawl__job_free(j);
        crawl__maybe_finish(c);
        return;
    }
    if (result != CLUSTER_LEASE_HELD) {
        /* another node fetches it now: asked again until it has archived it
         * or its claim is gone (it died: this node fetches it) */
        requeue(c, j, PAGE_RETRY_MS);
        return;
    }
    if (known == 1 && crawl__job_set_prev(j, &prev) < 0) {
        requeue(c, j, DOWN_RETRY_MS); /* out of memory: tried again later */
        return;
    }
    j->prev_read = 1;
    acquire(c, j);
}

/* Claims j's page for this node (one lease: it covers the fetch, the
 * archiving and the commit that follow at once).  Claimed again at every
 * start: a start the gate refuses prolongs it. */
static void page_claim(crawl *c, crawl_job *j)
{
    crawl_cluster *cl = c->cluster;
    char name[CLUSTER_LEASE_KEY_MAX];
    snprintf(name, sizeof name, "page:%s", j->url);
    if (cluster_lease_claim(cl->lease, name, on_page_claimed, j) < 0) {
        requeue(c, j, DOWN_RETRY_MS); /* Redis away */
        return;
    }
    cl->jobs_waiting++;
}

int crawl__cluster_admit_page(crawl *c, crawl_job *j)
{
    /* a key too long is not claimed (fetched by whichever node lists it) */
    j->page_claim = strlen(j->url) + 64 < CLUSTER_LEASE_KEY_MAX;
    return crawl__job_admit(c, j);
}

static void on_gate(void *ud, int granted, const char *slot, int64_t wait_ms, int at_cap,
                    int64_t server_ms, const char *err)
{
    crawl_job *j = ud;
    crawl *c = j->c;
    crawl_cluster *cl = c->cluster;
    (void)server_ms;
    cl->jobs_waiting--;
    if (granted == 1) snprintf(j->slot, sizeof j->slot, "%s", slot);
    if (c->stopping || cl->closing) {
        drop_started(c, j);
        return;
    }
    if (granted == 1) {
        crawl__job_launch(c, j, 1);
        return;
    }
    uint64_t ms;
    if (granted < 0) {
        const char *kv[] = {"url", j->url, NULL};
        fa_log_kv(FA_LOG_DEBUG, "cluster", kv, "host gate: %s", err ? err : "?");
        ms = DOWN_RETRY_MS;
    } else {
        ms = wait_ms > 0 ? (uint64_t)wait_ms : 1;
        if (at_cap && ms > CAP_RETRY_MS) ms = CAP_RETRY_MS; /* a release comes sooner */
    }
    requeue(c, j, ms);
}

static void acquire(crawl *c, crawl_job *j)
{
    crawl_cluster *cl = c->cluster;
    const config *cfg = c->cfg;
    uint64_t delay = host_queue_delay_ms(c->q, j->host);
    uint64_t crawl_delay = robots_gate_crawl_delay(c->gate, j->host);
    if (crawl_delay > delay) delay = crawl_delay;
    unsigned cap =
        cfg->politeness.max_connections_per_host ? cfg->politeness.max_connections_per_host : 1;
    j->slot[0] = '\0';
    if (cluster_host_gate_acquire(cl->gate, j->host, cap, delay, on_gate, j) < 0) {
        /* Redis away: politeness cannot be checked, the job waits */
        requeue(c, j, DOWN_RETRY_MS);
        return;
    }
    cl->jobs_waiting++;
}

int crawl__cluster_start_job(crawl *c, crawl_job *j)
{
    if (j->page_claim)
        page_claim(c, j);
    else
        acquire(c, j);
    return 0;
}

void crawl__cluster_job_ended(crawl *c, crawl_job *j)
{
    crawl_cluster *cl = c->cluster;
    if (cl == NULL || j->slot[0] == '\0') return;
    /* the host's backoff or Retry-After holds for every node */
    uint64_t after = host_queue_backoff_left_ms(c->q, j->host);
    if (!cl->closing) cluster_host_gate_release(cl->gate, j->host, j->slot, after, NULL, NULL);
    j->slot[0] = '\0';
}

/* ---- the connection ---- */

static void on_state(fa_redis *r, void *ud, int ready, const char *why)
{
    crawl_cluster *cl = ud;
    crawl *c = cl->c;
    (void)r;
    if (cl->closing) return;
    cl->ready = ready;
    feedarc_metrics *m = c->opt->metrics;
    if (m) metrics_gauge_set(m->cluster_redis_up, ready);
    if (ready) {
        fa_log_info("cluster", "node %s: Redis reachable", cl->node);
    } else {
        fa_log_warn("cluster", "node %s: Redis unreachable (%s): no new work until it is back",
                    cl->node, why && *why ? why : "?");
        if (m) metrics_counter_add(m->cluster_redis_losses, 1);
    }
    if (c->opt->ready) c->opt->ready(c->opt->ready_ud, ready);
    crawl__update_pause(c);
    if (ready) {
        if (!c->serve && !cl->run[0]) ask_run(cl);
        renew_all(cl);
        claim_more(cl);
    }
}

static void on_tick(uv_timer_t *t)
{
    crawl_cluster *cl = t->data;
    crawl *c = cl->c;
    uint64_t now = fa_time_mono_ns();
    if (cl->closing) {
        if (cl->releases_out == 0 || now >= cl->close_by_ns) crawl__cluster_close(c);
        return;
    }
    if (cl->ready && now - cl->last_renew_ns >= lease_ms(cl) / 3 * 1000000ULL) {
        cl->last_renew_ns = now;
        renew_all(cl);
        if (!c->serve && cl->run[0]) ask_run(cl); /* keeps the run alive */
    }
    if (!c->serve && cl->ready && !cl->run[0]) ask_run(cl);
    claim_more(cl);
    robots_poll(cl);
    if (!c->serve) crawl__maybe_finish(c);
}

int crawl__cluster_open(crawl *c)
{
    const config *cfg = c->cfg;
    crawl_cluster *cl = calloc(1, sizeof *cl);
    if (cl == NULL) return FA_ENOMEM;
    cl->c = c;
    snprintf(cl->node, sizeof cl->node, "%s", cfg->cluster.node);
    cl->src = calloc(cfg->n_sources ? cfg->n_sources : 1, sizeof *cl->src);
    if (cl->src == NULL) {
        free(cl);
        return FA_ENOMEM;
    }
    for (unsigned i = 0; i < cfg->n_sources; i++) {
        cl->src[i].cl = cl;
        cl->src[i].index = i;
    }
    fa_redis_script_init(&cl->run_script, run_lua);
    uv_timer_init(&c->loop, &cl->tick);
    cl->tick.data = cl;
    c->cluster = cl; /* from here crawl__cluster_close undoes it */
    fa_redis_options ro = {.url = cfg->cluster.redis,
                           .password = cfg->cluster.password,
                           .on_state = on_state,
                           .ud = cl};
    char err[256] = "";
    int rc = fa_redis_open(&c->loop, &ro, &cl->r, err, sizeof err);
    uint64_t slot_ttl = cfg->http.timeout_ms + cfg->http.connect_timeout_ms + 30000;
    if (rc == 0) rc = cluster_lease_open(cl->r, NULL, cl->node, lease_ms(cl), &cl->lease);
    if (rc == 0) rc = cluster_host_gate_open(cl->r, NULL, cl->node, slot_ttl, &cl->gate);
    if (rc < 0) {
        c->sum->storage_error = rc;
        snprintf(c->sum->storage_message, sizeof c->sum->storage_message,
                 "cluster: cannot use Redis at %s: %s", cfg->cluster.redis,
                 err[0] ? err : fa_strerror(rc));
        return rc;
    }
    if (c->opt->metrics) metrics_gauge_set(c->opt->metrics->cluster_redis_up, 0);
    if (c->opt->ready) c->opt->ready(c->opt->ready_ud, 0); /* until Redis answers */
    uv_timer_start(&cl->tick, on_tick, TICK_MS, TICK_MS);
    crawl__update_pause(c); /* nothing starts before Redis answers */
    return 0;
}

int crawl__cluster_busy(crawl *c)
{
    crawl_cluster *cl = c->cluster;
    if (cl == NULL || cl->closing) return 0;
    if (cl->jobs_waiting) return 1;
    for (robots_wait *w = cl->robots; w; w = w->next)
        if (!w->gone) return 1;
    if (c->serve || c->stopping) {
        /* stopping: no new claims; what is being marked or asked may end */
        for (unsigned i = 0; c->stopping && i < c->sum->sources; i++)
            if (cl->src[i].phase == SRC_ASKING) return 1;
        return 0;
    }
    return !all_done(cl);
}

static void on_tick_closed(uv_handle_t *h)
{
    crawl_cluster *cl = h->data;
    cl->tick_closed = 1;
}

static void on_redis_closed(void *ud)
{
    crawl_cluster *cl = ud;
    cl->redis_closed = 1;
}

void crawl__cluster_close(crawl *c)
{
    crawl_cluster *cl = c->cluster;
    if (cl == NULL || cl->closed) return;
    if (!cl->closing) {
        cl->closing = 1;
        /* leases held (a serve stopping mid-poll) go back at once rather
         * than after a lease: sent now, the connection closed once they are
         * answered (or after 2 s) */
        for (unsigned i = 0; cl->ready && i < c->sum->sources; i++) {
            if (!cl->src[i].held) continue;
            cl->src[i].held = 0;
            if (cluster_lease_release(cl->lease, src_name(cl, i), on_released, &cl->src[i]) == 0)
                cl->releases_out++;
        }
        cl->close_by_ns = fa_time_mono_ns() + 2000000000ULL;
        if (cl->releases_out) return; /* the tick comes back */
    }
    cl->closed = 1;
    uv_timer_stop(&cl->tick);
    uv_close((uv_handle_t *)&cl->tick, on_tick_closed);
    if (cl->r)
        fa_redis_close(cl->r, on_redis_closed, cl);
    else
        cl->redis_closed = 1;
    if (c->opt->metrics) metrics_gauge_set(c->opt->metrics->cluster_redis_up, 0);
}

void crawl__cluster_free(crawl *c)
{
    crawl_cluster *cl = c->cluster;
    if (cl == NULL) return;
    if (!cl->closed) { /* setup failed part-way: closed here */
        cl->releases_out = 0;
        crawl__cluster_close(c);
    }
    if (!cl->tick_closed || !cl->redis_closed) uv_run(&c->loop, UV_RUN_DEFAULT);
    cluster_lease_free(cl->lease);
    cluster_host_gate_free(cl->gate);
    while (cl->robots) {
        robots_wait *w = cl->robots;
        cl->robots = w->next;
        free(w);
    }
    free(cl->src);
    free(cl);
    c->cluster = NULL;
}
