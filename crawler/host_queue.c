/*
 * host_queue.c - per-host politeness scheduling.  See host_queue.h.
 *
 * Data: a hash table of hosts (open hashing on XXH3 of the key); each host
 * has a FIFO of entries, its in-flight count and the earliest monotonic time
 * its next request may start.  Hosts with waiting entries are on a "ready"
 * ring, visited round-robin by schedule(), so no host starves another.
 *
 * schedule() runs from a uv_idle-like zero timer ("kick") and from the
 * delay timer.  For each waiting host it starts entries while the caps and
 * the delay allow; it then arms the delay timer for the earliest host that
 * had to wait.  Cost is O(hosts with waiting entries) per pass.
 */
#include "crawler/host_queue.h"
#include "common/fa_err.h"
#include "common/fa_time.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

struct host_queue_host {
    char *key;
    uint64_t hash;
    host_queue_host *next_in_bucket;
    host_queue_entry *head, *tail;
    uint64_t waiting;
    unsigned in_flight;
    uint64_t next_start_ns;
    uint64_t last_start_ns;       /* of the latest request started, 0: none yet */
    uint64_t delay_ms;            /* host-specific floor (Crawl-delay) */
    uint64_t adaptive_ms;         /* delay_factor x recent response time */
    double rt_avg_ms;             /* exponentially weighted response time */
    uint64_t deferred_until_ns;   /* Retry-After / backoff */
    unsigned errors;              /* consecutive */
    host_queue_host *ready_next;  /* ring of hosts with waiting entries */
    int on_ready;
    int watched;                  /* opt.drained when waiting drops to watch_mark */
    uint64_t watch_mark;
};

struct host_queue {
    uv_loop_t *loop;
    host_queue_options opt;
    host_queue_start_fn start;
    void *ud;
    host_queue_host **buckets;
    size_t n_buckets, n_hosts;
    host_queue_host *ready; /* a cursor into a singly linked circular list */
    host_queue_host *ready_prev;
    uint64_t pending;
    unsigned in_flight;
    int paused;
    int kick_armed;
    uv_timer_t kick;  /* zero-delay timer: run schedule() on the next turn */
    uv_timer_t delay; /* wakes schedule() when a delayed host may start */
    uint64_t delay_due_ns;
    int closing, closed_handles;
};

static void on_timer(uv_timer_t *h);

int host_queue_new(uv_loop_t *loop, const host_queue_options *opt, host_queue_start_fn start,
                   void *ud, host_queue **out)
{
    host_queue *q = calloc(1, sizeof *q);
    if (q == NULL)
        return FA_ENOMEM;
    q->n_buckets = 256;
    q->buckets = calloc(q->n_buckets, sizeof *q->buckets);
    if (q->buckets == NULL) {
        free(q);
        return FA_ENOMEM;
    }
    q->loop = loop;
    q->opt = *opt;
    if (q->opt.per_host_cap == 0)
        q->opt.per_host_cap = 1;
    if (q->opt.global_cap == 0)
        q->opt.global_cap = 1;
    q->start = start;
    q->ud = ud;
    uv_timer_init(loop, &q->kick);
    uv_timer_init(loop, &q->delay);
    q->kick.data = q->delay.data = q;
    *out = q;
    return 0;
}

static int grow(host_queue *q)
{
    size_t n = q->n_buckets * 2;
    host_queue_host **b = calloc(n, sizeof *b);
    if (b == NULL)
        return FA_ENOMEM;
    for (size_t i = 0; i < q->n_buckets; i++) {
        host_queue_host *h = q->buckets[i];
        while (h) {
            host_queue_host *next = h->next_in_bucket;
            h->next_in_bucket = b[h->hash & (n - 1)];
            b[h->hash & (n - 1)] = h;
            h = next;
        }
    }
    free(q->buckets);
    q->buckets = b;
    q->n_buckets = n;
    return 0;
}

static host_queue_host *find_host(host_queue *q, const char *key, int create)
{
    size_t len = strlen(key);
    uint64_t hash = XXH3_64bits(key, len);
    for (host_queue_host *h = q->buckets[hash & (q->n_buckets - 1)]; h; h = h->next_in_bucket)
        if (h->hash == hash && strcmp(h->key, key) == 0)
            return h;
    if (!create)
        return NULL;
    if (q->n_hosts >= q->n_buckets && grow(q) < 0)
        return NULL;
    host_queue_host *h = calloc(1, sizeof *h);
    if (h == NULL || (h->key = strdup(key)) == NULL) {
        free(h);
        return NULL;
    }
    h->hash = hash;
    h->next_in_bucket = q->buckets[hash & (q->n_buckets - 1)];
    q->buckets[hash & (q->n_buckets - 1)] = h;
    q->n_hosts++;
    return h;
}

static void ready_add(host_queue *q, host_queue_host *h)
{
    if (h->on_ready)
        return;
    h->on_ready = 1;
    if (q->ready == NULL) {
        h->ready_next = h;
        q->ready = h;
        q->ready_prev = h;
    } else {
        /* insert before the cursor: visited last in the current round */
        q->ready_prev->ready_next = h;
        h->ready_next = q->ready;
        q->ready_prev = h;
    }
}

static void kick(host_queue *q)
{
    if (q->kick_armed || q->closing)
        return;
    q->kick_armed = 1;
    uv_timer_start(&q->kick, on_timer, 0, 0);
}

int host_queue_push(host_queue *q, const char *host_key, host_queue_entry *e)
{
    host_queue_host *h = find_host(q, host_key, 1);
    if (h == NULL)
        return FA_ENOMEM;
    e->next = NULL;
    e->host = h;
    if (h->tail)
        h->tail->next = e;
    else
        h->head = e;
    h->tail = e;
    h->waiting++;
    q->pending++;
    ready_add(q, h);
    kick(q);
    return 0;
}

static uint64_t host_delay_ns(const host_queue *q, const host_queue_host *h)
{
    uint64_t ms = q->opt.min_delay_ms > h->delay_ms ? q->opt.min_delay_ms : h->delay_ms;
    if (h->adaptive_ms > ms)
        ms = h->adaptive_ms;
    return ms * 1000000ULL;
}

void host_queue_defer(host_queue *q, const char *host_key, uint64_t until_mono_ns)
{
    host_queue_host *h = find_host(q, host_key, 1);
    if (h == NULL)
        return;
    if (until_mono_ns > h->deferred_until_ns)
        h->deferred_until_ns = until_mono_ns;
    if (until_mono_ns > h->next_start_ns)
        h->next_start_ns = until_mono_ns;
    kick(q);
}

void host_queue_observe(host_queue *q, const char *host_key, uint64_t response_ms)
{
    if (q->opt.delay_factor <= 0)
        return;
    host_queue_host *h = find_host(q, host_key, 0);
    if (h == NULL)
        return;
    h->rt_avg_ms = h->rt_avg_ms == 0 ? (double)response_ms
                                     : 0.7 * h->rt_avg_ms + 0.3 * (double)response_ms;
    double d = q->opt.delay_factor * h->rt_avg_ms;
    uint64_t cap = q->opt.max_delay_ms ? q->opt.max_delay_ms : 30000;
    h->adaptive_ms = d > (double)cap ? cap : (uint64_t)d;
}

unsigned host_queue_host_error(host_queue *q, const char *host_key)
{
    host_queue_host *h = find_host(q, host_key, 1);
    return h ? ++h->errors : 1;
}

unsigned host_queue_host_ok(host_queue *q, const char *host_key)
{
    host_queue_host *h = find_host(q, host_key, 0);
    if (h == NULL)
        return 0;
    unsigned was = h->errors;
    h->errors = 0;
    return was;
}

unsigned host_queue_hosts_deferred(const host_queue *q)
{
    uint64_t now = fa_time_mono_ns();
    unsigned n = 0;
    for (size_t i = 0; i < q->n_buckets; i++)
        for (const host_queue_host *h = q->buckets[i]; h; h = h->next_in_bucket)
            n += h->deferred_until_ns > now;
    return n;
}

static void schedule(host_queue *q)
{
    if (q->paused || q->closing)
        return;
    uint64_t now = fa_time_mono_ns();
    uint64_t earliest = UINT64_MAX;
    /* One round over the ready ring; hosts that empty leave it. */
    size_t visits = 0, limit = q->n_hosts + 1;
    while (q->ready && visits++ < limit && q->in_flight < q->opt.global_cap) {
        host_queue_host *h = q->ready;
        int started = 0;
        while (h->head && h->in_flight < q->opt.per_host_cap && q->in_flight < q->opt.global_cap) {
            if (h->next_start_ns > now) {
                if (h->next_start_ns < earliest)
                    earliest = h->next_start_ns;
                break;
            }
            host_queue_entry *e = h->head;
            h->head = e->next;
            if (h->head == NULL)
                h->tail = NULL;
            h->waiting--;
            q->pending--;
            if (h->watched && h->waiting <= h->watch_mark) {
                h->watched = 0;
                if (q->opt.drained)
                    q->opt.drained(q->ud, h->key);
            }
            h->in_flight++;
            q->in_flight++;
            h->next_start_ns = now + host_delay_ns(q, h);
            h->last_start_ns = now;
            started = 1;
            if (q->start(q->ud, e) < 0) {
                h->in_flight--;
                q->in_flight--;
            }
            if (q->closing || q->paused)
                return;
            now = fa_time_mono_ns();
        }
        (void)started;
        if (h->head == NULL) {
            /* leave the ring */
            h->on_ready = 0;
            if (h->ready_next == h) {
                q->ready = q->ready_prev = NULL;
            } else {
                q->ready_prev->ready_next = h->ready_next;
                q->ready = h->ready_next;
            }
        } else {
            q->ready_prev = h;
            q->ready = h->ready_next;
        }
    }
    if (q->pending == 0 && q->in_flight == 0 && q->opt.idle) {
        q->opt.idle(q->ud);
        return;
    }
    if (earliest != UINT64_MAX) {
        /* Re-armed on every pass: a due time kept from an earlier pass may
         * already be past.  And now moved on while others were started: a
         * time already past is due at once (never a wrapped-around wait). */
        now = fa_time_mono_ns();
        uint64_t due_ms = earliest > now ? (earliest - now + 999999) / 1000000 : 0;
        q->delay_due_ns = earliest;
        uv_timer_start(&q->delay, on_timer, due_ms, 0);
    }
}

static void on_timer(uv_timer_t *t)
{
    host_queue *q = t->data;
    if (t == &q->kick)
        q->kick_armed = 0;
    schedule(q);
}

void host_queue_done(host_queue *q, host_queue_entry *e)
{
    host_queue_host *h = e->host;
    if (h && h->in_flight)
        h->in_flight--;
    if (q->in_flight)
        q->in_flight--;
    kick(q);
}

void host_queue_requeue(host_queue *q, host_queue_entry *e, uint64_t until_mono_ns)
{
    host_queue_host *h = e->host;
    if (h->in_flight)
        h->in_flight--;
    if (q->in_flight)
        q->in_flight--;
    e->next = h->head;
    h->head = e;
    if (h->tail == NULL)
        h->tail = e;
    h->waiting++;
    q->pending++;
    if (until_mono_ns > h->next_start_ns)
        h->next_start_ns = until_mono_ns;
    ready_add(q, h);
    kick(q);
}

uint64_t host_queue_delay_ms(host_queue *q, const char *host_key)
{
    host_queue_host *h = find_host(q, host_key, 0);
    return h ? host_delay_ns(q, h) / 1000000 : q->opt.min_delay_ms;
}

uint64_t host_queue_backoff_left_ms(host_queue *q, const char *host_key)
{
    host_queue_host *h = find_host(q, host_key, 0);
    uint64_t now = fa_time_mono_ns();
    return h && h->deferred_until_ns > now ? (h->deferred_until_ns - now) / 1000000 : 0;
}

void host_queue_set_delay(host_queue *q, const char *host_key, uint64_t delay_ms)
{
    host_queue_host *h = find_host(q, host_key, 1);
    if (h == NULL)
        return;
    h->delay_ms = delay_ms;
    /* The request just made (robots.txt, whose answer told us the delay)
     * counts: the next one waits the new delay from now, when that answer
     * has been read - so the server sees at least the delay between the
     * two requests, whatever the first connection's set-up took. */
    if (h->last_start_ns) {
        uint64_t next = fa_time_mono_ns() + host_delay_ns(q, h);
        if (next > h->next_start_ns)
            h->next_start_ns = next;
    }
}

void host_queue_pause(host_queue *q, int paused)
{
    q->paused = paused;
    if (!paused)
        kick(q);
}

uint64_t host_queue_pending(const host_queue *q)
{
    return q->pending;
}

uint64_t host_queue_host_waiting(host_queue *q, const char *host_key)
{
    host_queue_host *h = find_host(q, host_key, 0);
    return h ? h->waiting : 0;
}

void host_queue_watch(host_queue *q, const char *host_key, uint64_t mark)
{
    host_queue_host *h = find_host(q, host_key, 0);
    if (h == NULL)
        return;
    h->watched = 1;
    h->watch_mark = mark;
}

unsigned host_queue_in_flight(const host_queue *q)
{
    return q->in_flight;
}

void host_queue_drain(host_queue *q, void (*drop)(void *ud, host_queue_entry *e), void *ud)
{
    for (size_t i = 0; i < q->n_buckets; i++)
        for (host_queue_host *h = q->buckets[i]; h; h = h->next_in_bucket) {
            while (h->head) {
                host_queue_entry *e = h->head;
                h->head = e->next;
                h->waiting--;
                q->pending--;
                drop(ud, e);
            }
            h->tail = NULL;
            h->on_ready = 0;
        }
    q->ready = q->ready_prev = NULL;
}

static void on_closed(uv_handle_t *h)
{
    host_queue *q = h->data;
    if (++q->closed_handles < 2)
        return;
    for (size_t i = 0; i < q->n_buckets; i++) {
        host_queue_host *x = q->buckets[i];
        while (x) {
            host_queue_host *next = x->next_in_bucket;
            free(x->key);
            free(x);
            x = next;
        }
    }
    free(q->buckets);
    free(q);
}

void host_queue_close(host_queue *q)
{
    if (q == NULL || q->closing)
        return;
    q->closing = 1;
    uv_close((uv_handle_t *)&q->kick, on_closed);
    uv_close((uv_handle_t *)&q->delay, on_closed);
}
