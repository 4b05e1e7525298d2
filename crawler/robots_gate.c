/* robots_gate.c - robots.txt before anything else, per host; see
 * robots_gate.h.  Hosts live in a small chained hash table keyed by XXH3 of
 * the host key. */
#include "crawler/robots_gate.h"
#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "common/fa_time.h"
#include "crawler/state_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* READY: rules known (the 5xx "disallow all" included, until retry_at_ns);
 * UNREACHABLE: robots.txt got no HTTP answer, so nothing is known - the
 * host's jobs fail with the cause until retry_at_ns, then it is fetched again. */
enum host_phase { PHASE_FETCHING, PHASE_READY, PHASE_UNREACHABLE };

typedef struct gate_host {
    struct gate_host *next_in_bucket;
    uint64_t hash;
    enum host_phase phase;
    robots_rules *rules;
    robots_gate_wait *head, *tail;
    int64_t retry_at_ns;   /* 0: for good (this run); else when to fetch again */
    char *cause;           /* UNREACHABLE: why (owned) */
    int cached_delay_untold; /* rules read from the cache: their Crawl-delay not yet taken */
    char key[];
} gate_host;

struct robots_gate {
    crawl_state *st;
    state_batch *batch; /* writes go here when set (robots_gate_set_writer) */
    char *token;
    uint64_t ttl_ns;
    uint64_t unavailable_ns; /* a 5xx robots.txt holds this long; 0: the run */
    gate_host **buckets;
    size_t n_buckets, n_hosts;
};

void robots_gate_set_writer(robots_gate *g, state_batch *b)
{
    g->batch = b;
}

int robots_gate_new(crawl_state *st, const char *product_token, uint64_t ttl_ms,
                    robots_gate **out)
{
    robots_gate *g = calloc(1, sizeof *g);
    if (g == NULL)
        return FA_ENOMEM;
    g->st = st;
    g->token = strdup(product_token && *product_token ? product_token : "feedarc");
    g->ttl_ns = (ttl_ms ? ttl_ms : 24ULL * 3600 * 1000) * 1000000ULL;
    g->n_buckets = 256;
    g->buckets = calloc(g->n_buckets, sizeof *g->buckets);
    if (g->token == NULL || g->buckets == NULL) {
        robots_gate_free(g);
        return FA_ENOMEM;
    }
    *out = g;
    return 0;
}

static void grow(robots_gate *g)
{
    size_t n = g->n_buckets * 2;
    gate_host **b = calloc(n, sizeof *b);
    if (b == NULL)
        return; /* keep the longer chains */
    for (size_t i = 0; i < g->n_buckets; i++)
        for (gate_host *h = g->buckets[i], *next; h; h = next) {
            next = h->next_in_bucket;
            h->next_in_bucket = b[h->hash & (n - 1)];
            b[h->hash & (n - 1)] = h;
        }
    free(g->buckets);
    g->buckets = b;
    g->n_buckets = n;
}

static gate_host *find(robots_gate *g, const char *key)
{
    uint64_t hash = XXH3_64bits(key, strlen(key));
    for (gate_host *h = g->buckets[hash & (g->n_buckets - 1)]; h; h = h->next_in_bucket)
        if (h->hash == hash && strcmp(h->key, key) == 0)
            return h;
    return NULL;
}

static gate_host *add(robots_gate *g, const char *key)
{
    if (g->n_hosts >= g->n_buckets)
        grow(g);
    size_t n = strlen(key);
    gate_host *h = calloc(1, sizeof *h + n + 1);
    if (h == NULL)
        return NULL;
    memcpy(h->key, key, n + 1);
    h->hash = XXH3_64bits(key, n);
    h->next_in_bucket = g->buckets[h->hash & (g->n_buckets - 1)];
    g->buckets[h->hash & (g->n_buckets - 1)] = h;
    g->n_hosts++;
    return h;
}

/* Rules from the durable cache, when fresh. */
static robots_rules *from_cache(robots_gate *g, const char *key)
{
    if (g->st == NULL)
        return NULL;
    robots_record rec;
    fa_buf body;
    fa_buf_init(&body, CRAWL_STATE_ROBOTS_MAX + 1);
    robots_rules *r = NULL;
    if (crawl_state_get_robots(g->st, key, &rec, &body) == 1 &&
        rec.expires_at_ns > fa_time_now_ns()) {
        if (rec.http_status >= 200 && rec.http_status < 300)
            r = robots_rules_parse(body.data ? body.data : "", body.len, g->token);
        else
            r = robots_rules_allow_all(); /* only 2xx and 4xx are cached */
    }
    fa_buf_free(&body);
    return r;
}

static enum robots_gate_answer decide(const gate_host *h, const char *url, robots_verdict *v)
{
    char path[8192];
    if (robots_path_from_url(url, path, sizeof path) < 0)
        snprintf(path, sizeof path, "/");
    robots_rules_check(h->rules, path, v);
    return v->allowed ? ROBOTS_GATE_ALLOW : ROBOTS_GATE_DISALLOW;
}

static void park(gate_host *h, robots_gate_wait *w)
{
    w->next = NULL;
    if (h->tail)
        h->tail->next = w;
    else
        h->head = w;
    h->tail = w;
}

enum robots_gate_answer robots_gate_check(robots_gate *g, const char *host_key, const char *url,
                                          robots_gate_wait *w, robots_verdict *verdict)
{
    robots_verdict scratch;
    if (verdict == NULL)
        verdict = &scratch;
    memset(verdict, 0, sizeof *verdict);
    gate_host *h = find(g, host_key);
    if (h && h->phase != PHASE_FETCHING && h->retry_at_ns &&
        fa_time_now_ns() >= h->retry_at_ns) {
        /* an unavailable or unreachable robots.txt is asked for again */
        robots_rules_free(h->rules);
        h->rules = NULL;
        free(h->cause);
        h->cause = NULL;
        h->retry_at_ns = 0;
        h->phase = PHASE_FETCHING;
        park(h, w);
        return ROBOTS_GATE_FETCH;
    }
    if (h && h->phase == PHASE_READY)
        return decide(h, url, verdict);
    if (h && h->phase == PHASE_UNREACHABLE) {
        verdict->allowed = 0;
        verdict->reason = ROBOTS_BY_UNAVAILABLE;
        return ROBOTS_GATE_UNREACHABLE;
    }
    if (h) {
        park(h, w);
        return ROBOTS_GATE_PARKED;
    }
    h = add(g, host_key);
    if (h == NULL) {
        verdict->allowed = 0;
        return ROBOTS_GATE_DISALLOW;
    }
    h->rules = from_cache(g, host_key);
    if (h->rules) {
        h->phase = PHASE_READY;
        h->cached_delay_untold = 1;
        return decide(h, url, verdict);
    }
    h->phase = PHASE_FETCHING;
    park(h, w);
    return ROBOTS_GATE_FETCH;
}

robots_gate_wait *robots_gate_resolve(robots_gate *g, const char *host_key, int status,
                                      const char *body, size_t len, uint64_t *crawl_delay_ms)
{
    gate_host *h = find(g, host_key);
    if (crawl_delay_ms)
        *crawl_delay_ms = 0;
    if (h == NULL)
        return NULL;
    robots_rules_free(h->rules);
    int cache = 0;
    if (status >= 200 && status < 300) {
        h->rules = robots_rules_parse(body ? body : "", body ? len : 0, g->token);
        cache = 1;
    } else if (status >= 400 && status < 500) {
        h->rules = robots_rules_allow_all();
        cache = 1;
    } else {
        /* 5xx, unreachable, or a redirect chain that never ended in 2xx/4xx */
        h->rules = robots_rules_disallow_all();
        h->retry_at_ns = g->unavailable_ns ? fa_time_now_ns() + (int64_t)g->unavailable_ns : 0;
        fa_log_warn("robots", "%s/robots.txt unavailable (HTTP %d): the host is treated as "
                              "disallowed %s", host_key, status,
                    g->unavailable_ns ? "until it is asked for again" : "for this run");
    }
    if (cache && g->st && h->rules) {
        robots_record rec = {0};
        int64_t now = fa_time_now_ns();
        rec.fetched_at_ns = now;
        rec.expires_at_ns = now + (int64_t)g->ttl_ns;
        rec.http_status = status;
        size_t keep = len < CRAWL_STATE_ROBOTS_MAX ? len : CRAWL_STATE_ROBOTS_MAX;
        int prc = g->batch ? state_batch_put_robots(g->batch, host_key, &rec,
                                                    status < 300 ? body : "",
                                                    status < 300 ? keep : 0)
                           : crawl_state_put_robots(g->st, host_key, &rec,
                                                    status < 300 ? body : "",
                                                    status < 300 ? keep : 0);
        if (prc < 0)
            fa_log_warn("robots", "cannot cache robots.txt of %s: %s", host_key,
                        g->batch ? fa_strerror(prc) : crawl_state_errmsg(g->st));
    }
    h->phase = PHASE_READY;
    if (crawl_delay_ms)
        *crawl_delay_ms = robots_rules_crawl_delay_ms(h->rules);
    robots_gate_wait *w = h->head;
    h->head = h->tail = NULL;
    return w;
}

int robots_gate_from_cache(robots_gate *g, const char *host_key, robots_gate_wait **released,
                           uint64_t *crawl_delay_ms)
{
    *released = NULL;
    *crawl_delay_ms = 0;
    gate_host *h = find(g, host_key);
    if (h == NULL || h->phase != PHASE_FETCHING)
        return 0;
    robots_rules *r = from_cache(g, host_key);
    if (r == NULL)
        return 0;
    robots_rules_free(h->rules);
    h->rules = r;
    h->phase = PHASE_READY;
    *crawl_delay_ms = robots_rules_crawl_delay_ms(r);
    *released = h->head;
    h->head = h->tail = NULL;
    return 1;
}

robots_gate_wait *robots_gate_fail(robots_gate *g, const char *host_key, const char *cause,
                                   uint64_t retry_ms)
{
    gate_host *h = find(g, host_key);
    if (h == NULL)
        return NULL;
    robots_rules_free(h->rules);
    h->rules = NULL;
    free(h->cause);
    h->cause = strdup(cause && *cause ? cause : "no answer");
    h->phase = PHASE_UNREACHABLE;
    h->retry_at_ns = retry_ms ? fa_time_now_ns() + (int64_t)retry_ms * 1000000LL : 0;
    robots_gate_wait *w = h->head;
    h->head = h->tail = NULL;
    return w;
}

const char *robots_gate_failure(robots_gate *g, const char *host_key)
{
    gate_host *h = find(g, host_key);
    if (h == NULL || h->phase != PHASE_UNREACHABLE)
        return NULL;
    return h->cause ? h->cause : "no answer";
}

void robots_gate_set_unavailable_hold(robots_gate *g, uint64_t ms)
{
    g->unavailable_ns = ms * 1000000ULL;
}

uint64_t robots_gate_take_cached_delay(robots_gate *g, const char *host_key)
{
    gate_host *h = find(g, host_key);
    if (h == NULL || !h->cached_delay_untold) return 0;
    h->cached_delay_untold = 0;
    return h->phase == PHASE_READY ? robots_rules_crawl_delay_ms(h->rules) : 0;
}

uint64_t robots_gate_crawl_delay(robots_gate *g, const char *host_key)
{
    gate_host *h = find(g, host_key);
    return h && h->phase == PHASE_READY ? robots_rules_crawl_delay_ms(h->rules) : 0;
}

void robots_gate_free(robots_gate *g)
{
    if (g == NULL)
        return;
    for (size_t i = 0; g->buckets && i < g->n_buckets; i++)
        for (gate_host *h = g->buckets[i], *next; h; h = next) {
            next = h->next_in_bucket;
            robots_rules_free(h->rules);
            free(h->cause);
            free(h);
        }
    free(g->buckets);
    free(g->token);
    free(g);
}
