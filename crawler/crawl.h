/*
 * crawl.h - one crawl over a config's sources: feeds fetched, their items'
 * pages fetched, every exchange archived.
 *
 * This is where the pieces meet: the fetcher (curl on libuv) does the HTTP,
 * the host queue decides when each request may start, feed parsers turn
 * feed bodies into item links while they stream in, and the segment writer
 * archives each exchange on libuv's worker threads, off the loop thread.
 * Archive work is bounded: when too many exchanges wait to be written, new
 * requests wait (backpressure), so memory stays flat however long the crawl.
 */
#ifndef CRAWL_H
#define CRAWL_H

#include "config/config.h"

#include <stdint.h>

enum crawl_end {
    CRAWL_END_DONE = 0,   /* once: every source crawled */
    CRAWL_END_SIGNAL,     /* SIGTERM/SIGINT: stopped gracefully */
    CRAWL_END_RELOAD,     /* serve: SIGHUP - reload the config and go on */
    CRAWL_END_DEADLINE    /* once: opt->max_duration_ms reached */
};

typedef struct crawl_source_result {
    char *name;
    char *url;
    int ok;                  /* feed fetched and parsed, no page failed */
    char *error;             /* first error, NULL when ok */
    const char *kind;        /* "rss", "atom", ... once parsed */
    uint64_t items;          /* items in the feed */
    uint64_t pages_ok;       /* item pages archived with a 2xx/3xx answer */
    uint64_t pages_failed;   /* transfer errors or 4xx/5xx */
    uint64_t pages_unchanged;/* archived before and not changed since */
    uint64_t pages_disallowed; /* skipped: robots.txt forbids them */
    uint64_t items_without_page; /* items archived only as part of the feed */
    int last_status;         /* HTTP status of the feed, 0 when none */
    int interrupted;         /* once: a stop signal came before the source was done */
    uint64_t deferred;       /* URLs left for the next run (host backing off past
                                the run's end, --max-duration, a stop signal) */
    char **new_urls;         /* opt->collect_new_urls: pages archived with a new
                                capture in this run (owned), n_new_urls of them */
    size_t n_new_urls;
    const char *cause;       /* why the feed got no HTTP response ("connection
                                refused", ...), "" when it did (static) */
} crawl_source_result;

typedef struct crawl_summary {
    unsigned sources, sources_failed;
    crawl_source_result *results;   /* one per source, config order */
    uint64_t requests;              /* HTTP requests completed */
    uint64_t feeds_fetched, items, pages_fetched, pages_failed, redirects;
    uint64_t pages_unchanged;       /* skipped (archived before) or 304 */
    uint64_t not_modified;          /* 304 answers, feeds and pages */
    uint64_t pages_disallowed;      /* skipped because robots.txt forbids them */
    uint64_t robots_fetched;        /* robots.txt requests (cache misses) */
    uint64_t retries;               /* requests repeated after transient errors */
    unsigned jobs_peak;             /* the most jobs in memory at once (waiting,
                                       fetching, archiving, feeds being read) */
    unsigned feeds_held_peak;       /* the most parsed feeds at once whose items were
                                       still becoming jobs (waiting for the intake) */
    uint64_t archive_bytes_peak;    /* the most response bytes held in memory at once
                                       by exchanges waiting for the writer */
    uint64_t deferred;              /* URLs left for the next run (all sources) */
    uint64_t findings;              /* dedup findings (exact, near, containment) */
    uint64_t bytes_fetched;         /* bodies as transferred */
    uint64_t records, bytes_on_disk, bytes_uncompressed, segments;
    double elapsed_s;
    enum crawl_end end;             /* why the run ended */
    int signal;                     /* CRAWL_END_SIGNAL: SIGTERM or SIGINT */
    double loop_lag_max_ms;         /* worst delay of a 10 ms loop timer: how
                                       long the loop thread was ever busy */
    double loop_lag_p99_ms;
    double loop_busy_max_ms;        /* the same, bounded by the loop thread's CPU
                                       time: at most this much was its own work */
    double loop_busy_p99_ms;
    double loop_cpu_s;              /* the loop thread's CPU time while the loop ran */
    uint64_t worker_yields;         /* the times a worker yielded its core at an
                                       item's start (common/fa_worker.h) */
    uint64_t sockets_deferred;      /* ready sockets the loop left for its next
                                       iteration, its time for sockets used
                                       (fetcher_options.poll_pass_us) */
    double crawl_phase_s;           /* wall time from the loop's start to the last page
                                       archived: the run less its set-up and its close */
    double crawl_phase_cpu_s;       /* the process's CPU time (all threads) over it */
    int storage_error;              /* FA_E* when archiving failed, else 0 */
    char storage_message[768];
} crawl_summary;

typedef struct crawl_state crawl_state;
typedef struct feedarc_metrics feedarc_metrics;

typedef struct crawl_options {
    int serve;                     /* run until a signal, each source on its own
                                      interval (config sources[].interval) */
    uint64_t grace_ms;             /* after SIGTERM/SIGINT: how long transfers in
                                      flight may take to finish (0 = 10 s); a
                                      second stop signal cancels them at once */
    feedarc_metrics *metrics;      /* bumped as the crawl goes; may be NULL */
    void (*heartbeat)(void *ud);   /* called about once a second while the loop
                                      turns (health checks, watchdog); may be NULL */
    void *heartbeat_ud;
    int progress;                  /* once: a live progress line on stderr (a terminal) */
    crawl_state *state;            /* state to use (borrowed); NULL opens the
                                      SQLite state in cfg->storage.state_dir */
    unsigned max_archive_pending;  /* exchanges waiting for the writer before
                                      fetching pauses; 0 = 256 */
    uint64_t max_archive_pending_bytes; /* or the bytes of response they hold in
                                      memory; 0 = 16 MiB */
    int collect_new_urls;          /* fill results[].new_urls (at most
                                      CRAWL_NEW_URLS_MAX in all) */
    uint64_t max_duration_ms;      /* once: stop after this long (transfers in
                                      flight get grace_ms), leaving what is left
                                      for the next run; 0 = no cap */
    void (*ready)(void *ud, int ready); /* cluster: called with 0 when Redis becomes
                                      unreachable (no new work is claimed), 1 when it
                                      is back (/readyz); may be NULL */
    void *ready_ud;
} crawl_options;

/* Once never sleeps on a host longer than the run can wait: at most
 * CRAWL_ONCE_MAX_WAIT_MS, or what is left of opt->max_duration_ms.  A host
 * whose backoff (stored by an earlier run, or after this run's errors) is
 * longer has its URLs deferred: not fetched, counted in deferred, and not
 * recorded, so the next run fetches them. */
#define CRAWL_ONCE_MAX_WAIT_MS 30000

/* Ceiling on the new URLs kept for a summary (crawl_options.collect_new_urls). */
#define CRAWL_NEW_URLS_MAX 100000

/* Crawls every source of cfg once (or, with opt->serve, every source on its
 * interval until SIGTERM/SIGINT/SIGHUP) and archives into cfg->storage.dir.
 * SIGTERM and SIGINT stop gracefully in both modes: no new request starts,
 * transfers in flight get opt->grace_ms to finish and are archived, the
 * segment is closed and the state committed (out->end says why it ended).
 * Signals are taken through fa_signal.h (installed here if the caller has
 * not done it earlier): one received before the crawl started stops it at
 * once, so a program installs them first thing to be safe at any moment.
 * Fills *out (free with crawl_summary_free).  Returns 0 when the crawl ran
 * (sources may still have failed: see out->sources_failed), or a negative
 * code when it could not run or storage failed (out->storage_message). */
int crawl_run_once(const config *cfg, const crawl_options *opt, crawl_summary *out);

void crawl_summary_free(crawl_summary *s);

#endif
