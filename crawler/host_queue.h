/*
 * host_queue.h - the politeness scheduler: a FIFO queue per host, and the
 * rules for when the next request to a host may start.
 *
 * A host (scheme://host:port) may have at most per_host_cap requests in
 * flight, and two request starts to it are at least min_delay apart (per
 * host: a host may ask for more later, see host_queue_set_delay).  Across
 * all hosts at most global_cap requests are in flight.  One slow or dead host
 * never delays another: hosts are independent queues, and a host whose next
 * start is in the future arms the one shared timer rather than blocking.
 *
 * The scheduler does not fetch: when an entry may start it calls start(),
 * and the owner reports the end with host_queue_done().  Starting is always
 * deferred to a loop callback (never inside host_queue_push), so pushing
 * from within another library's callback is safe.
 *
 * Threads: loop thread only.
 */
#ifndef HOST_QUEUE_H
#define HOST_QUEUE_H

#include <stdint.h>
#include <uv.h>

typedef struct host_queue host_queue;
typedef struct host_queue_host host_queue_host;

/* Embed one in each queued job; the scheduler links it, the owner does not
 * touch it. */
typedef struct host_queue_entry {
    struct host_queue_entry *next;
    host_queue_host *host;
} host_queue_entry;

/* Called to start e; returns 0 when started (host_queue_done will follow),
 * or negative when the job could not start (it counts as done at once). */
typedef int (*host_queue_start_fn)(void *ud, host_queue_entry *e);

typedef struct host_queue_options {
    unsigned per_host_cap;     /* >= 1 */
    uint64_t min_delay_ms;     /* between request starts to one host */
    unsigned global_cap;       /* >= 1 */
    /* Optional: called (from a loop callback) when a scheduling pass leaves
     * nothing waiting and nothing in flight - e.g. after start() failed for
     * the last entry. */
    void (*idle)(void *ud);
    /* Adaptive delay: delay_factor x the host's recent response time (an
     * exponentially weighted average), capped at max_delay_ms; a factor of
     * 0 turns it off. */
    double delay_factor;
    uint64_t max_delay_ms;
    /* Optional: called (from a scheduling pass) when a host watched with
     * host_queue_watch has drained to its mark; it must not push, requeue
     * or drain (it may start an idle handle that does). */
    void (*drained)(void *ud, const char *host_key);
} host_queue_options;

int host_queue_new(uv_loop_t *loop, const host_queue_options *opt, host_queue_start_fn start,
                   void *ud, host_queue **out);

/* Queues e for host_key ("scheme://host:port").  Returns 0 or FA_ENOMEM. */
int host_queue_push(host_queue *q, const char *host_key, host_queue_entry *e);

/* Reports that e's request ended (so its host's slot is free). */
void host_queue_done(host_queue *q, host_queue_entry *e);

/* Raises one host's minimum delay (e.g. robots.txt Crawl-delay); the larger
 * of this and the configured delay applies.  When the host has had a
 * request already (robots.txt, which told the delay), the next one starts
 * no sooner than the delay from now, so robots.txt and the request after it
 * are spaced by its own Crawl-delay too. */
void host_queue_set_delay(host_queue *q, const char *host_key, uint64_t delay_ms);

/* No request to host_key starts before until_mono_ns (fa_time_mono_ns):
 * Retry-After, or backoff after errors.  Later calls only extend it. */
void host_queue_defer(host_queue *q, const char *host_key, uint64_t until_mono_ns);

/* Reports how long a response from host_key took (feeds the adaptive
 * delay). */
void host_queue_observe(host_queue *q, const char *host_key, uint64_t response_ms);

/* Counts an error on host_key and returns the host's consecutive errors
 * (1 after the first); host_queue_host_ok resets the count and returns what
 * it was. */
unsigned host_queue_host_error(host_queue *q, const char *host_key);
unsigned host_queue_host_ok(host_queue *q, const char *host_key);

/* An entry start() took and did not start after all (a cluster's host gate
 * said "not yet", asynchronously): it goes back to the head of its host's
 * queue, no longer in flight, and the host starts nothing before
 * until_mono_ns.  Call it at most once per start, instead of
 * host_queue_done (also from inside start(), which then returns 0). */
void host_queue_requeue(host_queue *q, host_queue_entry *e, uint64_t until_mono_ns);

/* The host's delay between two request starts now (ms): the configured
 * minimum, Crawl-delay and the adaptive delay, the largest; and how long it
 * still backs off (Retry-After, errors; 0 = not).  0 for an unknown host. */
uint64_t host_queue_delay_ms(host_queue *q, const char *host_key);
uint64_t host_queue_backoff_left_ms(host_queue *q, const char *host_key);

/* Hosts currently deferred past now (in backoff). */
unsigned host_queue_hosts_deferred(const host_queue *q);

/* Stops/resumes starting new requests (backpressure from the archive). */
void host_queue_pause(host_queue *q, int paused);

/* Entries waiting (not started) and requests in flight. */
uint64_t host_queue_pending(const host_queue *q);
/* Entries of host_key waiting (not started); 0 for an unknown host. */
uint64_t host_queue_host_waiting(host_queue *q, const char *host_key);
/* The next time host_key's waiting entries drop to mark or fewer (as they
 * start), opt.drained is called once for it.  A later watch replaces the
 * mark.  Entries dropped by host_queue_drain do not call it. */
void host_queue_watch(host_queue *q, const char *host_key, uint64_t mark);
unsigned host_queue_in_flight(const host_queue *q);

/* Drops every waiting entry, calling drop(ud, e) for each (to free them). */
void host_queue_drain(host_queue *q, void (*drop)(void *ud, host_queue_entry *e), void *ud);

/* Closes the timers and frees the scheduler once the loop has run; the
 * queue must be empty.  NULL is accepted. */
void host_queue_close(host_queue *q);

#endif
