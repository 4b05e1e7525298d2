/*
 * crawl_internal.h - what the files of the crawl share: the crawl's state,
 * its jobs (a kind-independent header, per-kind data and a table of
 * operations per kind) and the per-source bookkeeping.  Not for other
 * modules: everything outside crawler/ sees only crawl.h.
 *
 *   crawl.c            the job life cycle; dispatch through crawl_job_ops
 *   crawl_run.c        crawl_run_once: set-up, the loop, tear-down
 *   crawl_feed.c       feed and API jobs (WordPress included)
 *   crawl_page.c       page jobs
 *   crawl_robots.c     robots.txt jobs
 *   crawl_redirect.c   redirects and 304s of feed and page jobs
 *   crawl_retry.c      transient errors: host backoff and retries
 *   crawl_serve.c      per-source records; the service's schedule
 *   crawl_signals.c    stop, reload, deadline, grace period
 *   crawl_telemetry.c  loop lag, heartbeat, progress, fetch log, metrics
 *   crawl_archive.c    what worker threads do with an exchange (dedup)
 *   crawl_cluster.c    several nodes as one through Redis (config cluster:)
 *
 * Threads: everything here belongs to the loop thread, except where a
 * comment says a worker thread reads or writes it (archiving: the job's
 * archive results, a feed's parse - its events, items and parse results;
 * the dictionary samples and dedup counters, which have their own lock or
 * are atomic).  A worker owns its job while it archives it: the loop
 * thread does not touch the job between fa_workpool_submit and archive_done.
 */
#ifndef CRAWL_INTERNAL_H
#define CRAWL_INTERNAL_H

#include "common/fa_buf.h"
#include "common/fa_container.h"
#include "common/fa_hashset.h"
#include "common/fa_observer.h"
#include "common/fa_workpool.h"
#include "crawler/crawl.h"
#include "crawler/fetcher.h"
#include "crawler/host_queue.h"
#include "crawler/politeness.h"
#include "crawler/robots_gate.h"
#include "crawler/state_batch.h"
#include "dedup/dedup_engine.h"
#include "crawler/feeds/source_parser.h"
#include "storage/state/cluster_host_gate.h"
#include "storage/state/crawl_state.h"
#include "storage/archive_lock.h"
#include "storage/segment_writer.h"

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <uv.h>

typedef struct crawl crawl;
typedef struct crawl_job crawl_job;
typedef struct crawl_cluster crawl_cluster;

/* What a job does next once its transfer has ended. */
enum crawl_job_next {
    CRAWL_JOB_END = 0, /* nothing to archive: the job is freed */
    CRAWL_JOB_ARCHIVE  /* the exchange goes to a worker thread for the archive */
};

/* What differs between kinds of job (feed/API, page, robots.txt): crawl.c
 * runs every job's life cycle and calls through its kind's table where the
 * kinds differ, as curl dispatches on a transfer's state and libuv on a
 * handle's type.  One table per kind, in its own file (crawl_feed.c,
 * crawl_page.c, crawl_robots.c).  Every function runs on the loop thread
 * except archive, which runs on a worker thread (fa_workpool).  NULL members do nothing. */
typedef struct crawl_job_ops {
    const char *name; /* "feed", "page", "robots": the fetch log's kind */
    int in_source;    /* 1: the job counts in its source's alive jobs, passes
                         the robots gate and is counted when deferred */
    int url_kind;     /* URL_KIND_* of the url record a fetch leaves */
    /* A new job: per-kind defaults. */
    void (*init)(crawl_job *j);
    /* A retry or a redirect hop: the per-kind data of from copied into to
     * (a fresh job of the same kind).  0 or FA_ENOMEM. */
    int (*copy)(crawl_job *to, const crawl_job *from);
    /* A redirect hop: what of from the hop (a fresh job of the same kind,
     * for the Location) keeps.  0; 1 when the hop is not to be fetched
     * (already queued this run); or FA_ENOMEM. */
    int (*hop)(crawl_job *to, const crawl_job *from);
    /* Before the transfer: request headers, payload sink, parser.  0, or a
     * negative code (the job then fails: failed). */
    int (*start)(crawl_job *j);
    /* The job's URL failed without an answer to count on (its source was
     * told why): a page counts as failed; robots.txt fails its host. */
    void (*failed)(crawl_job *j);
    /* The transfer ended, whatever came of it (before any retry). */
    void (*ended)(crawl_job *j);
    /* The host's robots.txt forbids the job, or got no answer (why). */
    void (*disallowed)(crawl_job *j, const robots_verdict *v);
    void (*unreachable)(crawl_job *j, const char *why);
    /* The transfer ended and no retry was queued: counts, parse, redirect;
     * says whether the exchange is archived. */
    enum crawl_job_next (*fetched)(crawl_job *j);
    /* Worker thread: archives the exchange x; 0, 1 (nothing archived and
     * nothing to record: a failed transfer's body parsed for its cause)
     * or a negative code. */
    int (*archive)(crawl_job *j, const warc_exchange *x);
    /* The url record the fetch leaves (fields of its kind added to r). */
    void (*record)(const crawl_job *j, url_record *r);
    /* The exchange is archived and r is its url record: kept for the state. */
    void (*archived)(crawl_job *j, const url_record *r);
    /* After the worker's archive, whatever came of it: 1 when the kind
     * keeps the job for more work on the loop thread (it is counted in
     * held, and crawl__job_release frees it), 0 to free it now. */
    int (*after_archive)(crawl_job *j);
    /* Stopping: the job is dropped from the host queue unfetched. */
    void (*dropped)(crawl_job *j);
    /* Frees the per-kind data. */
    void (*release)(crawl_job *j);
} crawl_job_ops;

extern const crawl_job_ops crawl__feed_ops, crawl__page_ops, crawl__robots_ops;

/* A feed item with no page of its own, kept for dedup: the worker that
 * archives the feed fills it while it parses the body, and analyses it
 * after the feed is written (crawl__archive_items).  One allocation: the
 * strings follow. */
typedef struct crawl_feed_item {
    struct crawl_feed_item *next;
    const char *url;     /* the item's link, or its id when that is a URI */
    const char *id;      /* the item's id ("" when none) */
    const char *content; /* its content, or its summary */
} crawl_feed_item;

/* What the source parser found in a response, in the order it found it:
 * an item (counted; its page queued) or a link (a next page, a child
 * sitemap, a discovered feed).  The worker that parses the body fills the
 * list (links already resolved against the response's URL); the loop
 * thread acts on it afterwards, a slice per loop iteration (crawl_feed.c).
 * One allocation with its strings, except url. */
typedef struct crawl_feed_event {
    struct crawl_feed_event *next;
    int link_kind;    /* -1: an item; else enum source_link_kind */
    int page;         /* an item whose page is to be fetched */
    int resolve_rc;   /* the link resolved: 0 (url is set), or url_resolve's code */
    char *url;        /* the resolved URL (owned; taken by the job it becomes) */
    const char *link; /* the link as given, when it did not resolve; else "" */
    const char *id, *published, *updated, *title; /* an item's; "" for a link */
    const char *host_key; /* an item's page: url_host_key of url, taken on the
                             worker so that the loop parses no URL; else "" */
} crawl_feed_event;

enum crawl_feed_parse {
    FEED_PARSE_NONE = 0, /* no body to read (3xx, 4xx/5xx, 304) */
    FEED_PARSE_WHOLE,    /* parsed and archived */
    FEED_PARSE_PARTIAL   /* the transfer failed: what arrived is parsed, for the
                            cause to name and its items, and not archived */
};

/* Feed and API jobs (crawl_feed.c): the body is parsed on the worker that
 * archives it (decoded from the spool), not on the loop thread. */
typedef struct crawl_feed_job {
    source_parser *sp;            /* the parser (created on the loop, fed on the worker) */
    source_json_mapping json_map; /* the parser borrows it: lives with the job */
    enum fa_source_kind format;   /* how to read it (AUTO: from the bytes) */
    unsigned page;                /* 1-based page of a paginated source */
    unsigned depth;               /* sitemap index / autodiscovery nesting */
    enum crawl_feed_parse parse;  /* what the worker does with the body */
    int keep_for_dedup;           /* items without a page are kept for dedup */
    int parse_rc;                 /* first error from the parser (worker) */
    int parse_n;                  /* source_parser_finish's result (worker) */
    int resp_given;               /* source_parser_response was called */
    int resp_wanted;              /* ... and wanted the body */
    const char *kind;             /* once parsed: source_parser_kind_name (static) */
    char *parse_error;            /* once parsed: the parser's message (owned), NULL
                                     when none - the parser itself is freed by then */
    crawl_feed_item *items;       /* items without a page, for dedup (owned), in */
    crawl_feed_item **items_tail; /* feed order; items_bytes of text, at most ITEMS_MAX */
    size_t items_bytes;
    unsigned items_without_page;    /* kept for dedup (worker), counted on the loop */
    crawl_feed_event *events;       /* what the parser found (owned), in order; */
    crawl_feed_event **events_tail; /* events_bytes of it, at most EVENTS_MAX */
    size_t events_bytes;
    crawl_job *intake_next; /* in the crawl's intake queue (loop thread) */
    int intake_held;        /* its next page's host had too many jobs waiting:
                               it goes on once they are down to half */
    char encoding[192];     /* the body's encoding, as the metadata records say it */
} crawl_feed_job;

/* Page jobs (crawl_page.c): an item's page; its decoded payload feeds dedup. */
typedef struct crawl_page_job {
    fa_buf decoded; /* the decoded payload, for dedup (first DEDUP_MAX_PAGE bytes) */
    char *via;      /* the feed/API URL that listed it */
    char *item_id, *item_published, *item_updated; /* from the feed item */
    char *item_title; /* the feed item's title (metadata record, WACZ pages) */
} crawl_page_job;

/* robots.txt jobs (crawl_robots.c): they decide for a host key. */
typedef struct crawl_robots_job {
    char *robots_for; /* the host key whose rules this fetch decides */
    fa_buf body;      /* the payload, first ROBOTS_MAX_BYTES */
} crawl_robots_job;

/* One URL to fetch, from its admission to its archiving.  Owned by the
 * crawl; freed by crawl__job_free, on the loop thread, and never while a
 * worker archives it.  Hundreds wait in the host queues at once (a feed's
 * items become jobs as the queues drain: crawl_feed.c), so a job is kept
 * small: what only some jobs need is allocated when needed (prev; the
 * transfer's Location), and the host key is stored in the job's own
 * allocation. */
struct crawl_job {
    host_queue_entry qe; /* the host queue hands it back (crawl__job_of_entry) */
    robots_gate_wait rw; /* parked until the host's robots.txt is known */
    fetch_transfer t;
    fa_work work;
    uint64_t held_bytes; /* memory its exchange holds while it waits for the writer */
    size_t inflight;     /* 1 + its entry in the crawl's inflight while archived; 0 */
    crawl *c;
    const crawl_job_ops *ops; /* the job's kind */
    char *url;
    unsigned source;
    unsigned redirects;
    unsigned attempts;          /* earlier tries of this URL in this run */
    uint64_t backoff_ms;        /* the host's backoff after this job's transient error */
    struct curl_slist *headers; /* this request's extra headers (owned) */
    uint64_t live_key;          /* page: its URL's key in pages_live, 0 = none */
    int known;                  /* a url record existed before this fetch */
    int prev_read;              /* known and prev are read (once per job) */
    url_record *prev;           /* ... and this was it (owned; NULL unless known) */
    /* cluster: the host gate's slot while the request runs, "" when none */
    char slot[CLUSTER_HOST_SLOT_MAX];
    int page_claim; /* cluster: claim the page before each start */
    int waiting;    /* counted in the crawl's jobs_waiting: its transfer has
                       not started (robots gate, host queue, cluster gate) */
    /* archiving (a worker writes these, the loop reads them after) */
    int archive_rc;
    warc_written written;
    int revisit;       /* a 304 archived as a revisit record */
    int dedup_records; /* metadata/conversion records written with it */
    int exact_dup;     /* archived as an identical-payload revisit */
    union {            /* per kind: ops tells which member is in use */
        crawl_feed_job feed;
        crawl_page_job page;
        crawl_robots_job robots;
    };
    char host[]; /* host key: scheme://host:port (in the job's allocation) */
};

#define ROBOTS_MAX_BYTES (500u * 1024u) /* RFC 9309 §2.5: at least 500 KiB parsed */

/* A feed's url record waits here until every page job of its source has
 * ended: committing the feed's validators earlier would let a crash leave
 * items unfetched behind a 304 on the next run. */
typedef struct deferred_url {
    struct deferred_url *next;
    url_record rec;
    char url[];
} deferred_url;

typedef struct source_rt {
    struct crawl *c;
    unsigned index;
    uv_timer_t due; /* serve: fires when the source is due again */
    int in_round;   /* serve: a poll of the source is under way */
    unsigned alive; /* feed and page jobs of the source not yet freed */
    deferred_url *deferred;
    unsigned sitemaps;        /* child sitemaps and discovered feeds queued */
    char newest_modified[40]; /* WordPress: the newest modified_gmt seen */
    int failing;              /* serve: failed METRICS_SOURCE_FAILING_AFTER times in a row */
    unsigned failures;        /* serve: polls failed in a row (as the state records them) */
    int incomplete;           /* a URL was deferred, or a page failed for a transient
                                 reason: the feed records are not committed, so the
                                 next poll or run sees the items again (no 304) */
    fa_hashset seen_pages, seen_feeds; /* serve: URLs queued in this poll */
} source_rt;

#define MAX_SOURCE_DEPTH 4       /* sitemap index -> sitemap ..., HTML -> feed */
#define MAX_SOURCE_CHILDREN 1000 /* child sitemaps / discovered feeds per source */

typedef struct crawl_dict_training crawl_dict_training;

struct crawl {
    const config *cfg;
    source_rt *src;
    uv_loop_t loop;
    fa_workpool *pool; /* the archive jobs' and the state commits' threads */
    fetcher *f;
    host_queue *q;
    segment_writer *w;
    crawl_state *st; /* durable state (borrowed or owned) */
    /* A read-only handle on the same SQLite state, for the loop thread's
     * url look-ups (crawl__get_url): its own connection and mutex, so a
     * look-up never waits for a commit (its fsync) that a worker is making
     * through st; WAL lets it read the last committed state meanwhile.
     * NULL: look-ups go through st (a borrowed or Redis state). */
    crawl_state *reader;
    int own_state;
    archive_lock *archive_lock; /* one writer per archive folder */
    state_batch *batch;         /* url records committed after fsync */
    robots_gate *gate;          /* robots.txt before anything else */
    fa_hashset seen;            /* page URLs already queued this run */
    fa_hashset pages_live;      /* page URLs with a live job (serve: another
                                   source listing one is not fetched twice) */
    fa_hashset hosts_seen;      /* hosts whose stored backoff was looked up */
    fa_hashset hosts_deferred;  /* once: hosts backing off past the run's end */
    uint64_t deadline_ns;       /* once: fa_time_mono_ns when the run stops, 0 = none */
    uv_timer_t deadline;
    fa_hashset feeds_seen; /* feed/API/sitemap URLs queued this run */
    politeness_rng rng;    /* backoff and schedule jitter */
    unsigned retries;      /* extra tries after transient errors */
    uint64_t backoff_base_ms, backoff_max_ms, max_retry_after_ms;
    crawl_summary *sum;
    struct curl_slist **src_headers; /* per source, for its feed requests */
    unsigned archive_pending, max_pending;
    /* The archive jobs on a worker, by the segment the writer had open when
     * each was queued: their records are in it or a later one.  The state's
     * reconciliation mark never passes the oldest (crawl__mark_floor). */
    struct crawl_inflight {
        char segment[256];
        unsigned jobs; /* 0: a free entry */
    } *inflight;
    size_t n_inflight;
    /* the state's reconciliation mark as the run began (its segments' names
     * sort after it) */
    char start_mark[CRAWL_STATE_KV_VALUE_MAX];
    unsigned long yields_start; /* fa_worker_yields() when the loop started */
    uint64_t archive_pending_bytes, max_pending_bytes; /* the response bytes they hold in memory */
    int paused, stopping, finishing;
    int storage_failed; /* archiving is pointless: drop what comes */
    const crawl_options *opt;
    int serve;
    enum crawl_end end;
    uv_timer_t grace;
    int signals_on, grace_on;
    unsigned long stops_seen, hups_seen; /* fa_signal.h counts acted on */
    int stop_signal;                     /* SIGTERM or SIGINT that stopped the crawl */
    uint64_t last_beat_ns;
    uint64_t last_written; /* bytes on disk already counted in metrics */
    /* dictionary: the one in use; sampling: none yet, the segment writer
     * samples its records and trains one (segment_writer_options) */
    void *dict;
    size_t dict_len;
    int sampling;
    crawl_dict_training *dict_training; /* the later runs' (crawl_run.c's) */
    dedup_engine *dedup;            /* near-duplicates, containment, boilerplate */
    atomic_ulong findings;          /* counted on worker threads */
    atomic_int dedup_insert_failed; /* the dedup index refused a document (logged once) */
    pthread_mutex_t written_lock;
    fa_hashset written_ids; /* record ids written lately (note_written) */
    unsigned sources_done;  /* once: sources whose jobs have all ended */
    size_t new_urls;        /* kept in results[].new_urls, all sources */
    int progress_shown;
    uint64_t start_ns;
    /* Loop-lag probe: a 10 ms repeating timer; how late it fires is how long
     * the loop thread was busy with something else (parsing, callbacks). */
    uv_timer_t lag_timer;
    uint64_t lag_expected_ns;
    uint32_t lag_hist[64]; /* bucket i: lag in [i, i+1) ms; the last is 63+ ms */
    uint64_t lag_samples, lag_max_ns;
    /* The same lags bounded by the loop thread's CPU time since the tick
     * before: the part that can be its own work, not waiting for a core
     * (on a loaded machine most of the lag is the latter). */
    uint32_t busy_hist[64];
    uint64_t busy_max_ns, cpu_start_ns, cpu_last_ns;
    /* The crawl itself, from the loop's start to the last page archived
     * (crawl__maybe_finish): wall and the process's CPU time, without the
     * run's set-up and close (crawl_summary.crawl_phase_*). */
    uint64_t phase_start_ns, phase_start_cpu_ns, phase_end_ns, phase_end_cpu_ns;
    fa_observer observer; /* storage's and dedup's events -> metrics (crawl_observer.c) */
    /* Jobs kept on the loop after their archive (after_archive): feeds
     * whose parsed items and links become jobs a slice per loop iteration
     * (crawl_feed.c), in the intake queue, which an idle handle works on. */
    unsigned held;
    uv_idle_t intake;
    crawl_job *intake_first, **intake_last;
    /* Backpressure on the intake: a feed's next page becomes a job only
     * while fewer than host_waiting_max jobs wait for its host and fewer
     * than waiting_max for any (crawl_feed.c); the rest of the feed waits
     * as events, a few hundred bytes an item instead of a job's 2 KB. */
    unsigned jobs_alive, jobs_waiting; /* jobs in memory; not started yet */
    unsigned waiting_max, host_waiting_max;
    int intake_full; /* waiting_max reached: the intake
                        waits until half of them started */
    /* config cluster: Redis leases and host gate (crawl_cluster.c); NULL = one node */
    crawl_cluster *cluster;
};

/* ---- crawl.c: the job life cycle ---- */

/* A new job of kind ops for url (taken over) on host_key; NULL (url freed)
 * when out of memory.  Jobs of a source count in its alive jobs. */
crawl_job *crawl__job_new(crawl *c, char *url, const char *host_key, const crawl_job_ops *ops,
                          unsigned src);
/* The same for an absolute URL whose host key is computed: 0, FA_EINVAL (not
 * an http(s) URL: the source is told, url freed) or FA_ENOMEM. */
int crawl__job_new_url(crawl *c, char *url, const crawl_job_ops *ops, unsigned src,
                       crawl_job **out);
/* The url record a job's URL had before this fetch (copied): the job is
 * known.  0 or FA_ENOMEM. */
int crawl__job_set_prev(crawl_job *j, const url_record *prev);
/* j's transfer started (or j ended before it did): it no longer counts in
 * jobs_waiting. */
void crawl__job_stop_waiting(crawl_job *j);
/* Lets a new job in: the host's stored backoff, the robots gate, the host
 * queue.  The job is the crawl's afterwards (freed on any failure).
 * 0 or a negative code. */
int crawl__job_admit(crawl *c, crawl_job *j);
/* Leaves a job's URL for the next run, and frees it. */
void crawl__job_defer(crawl *c, crawl_job *j);
/* The job's host's robots.txt got no answer: it fails with the cause. */
void crawl__job_unreachable(crawl *c, crawl_job *j);
/* NULL is accepted. */
void crawl__job_free(crawl_job *j);
/* state_batch_set_mark_floor's floor: the oldest segment an archive job
 * on a worker may be writing to ("" when none). */
void crawl__mark_floor(void *ud, char *out, size_t len);
/* A job kept after its archive (after_archive) gives back what only its
 * fetch and archive needed: the transfer's buffers and spool, its request
 * headers, the url record it had (its new one is made by then).  The
 * transfer's fixed fields (status, error, content_encoding ...) stay. */
void crawl__job_shed(crawl_job *j);
/* A job kept after its archive (after_archive returned 1) is done: freed,
 * and the crawl ends if nothing else is left. */
void crawl__job_release(crawl_job *j);
/* host_queue's start callback. */
int crawl__job_start(void *ud, host_queue_entry *e);
/* Starts j's transfer now.  0, or a negative code: j failed and is freed
 * (counted: host_queue started it asynchronously and is told it is done). */
int crawl__job_launch(crawl *c, crawl_job *j, int counted);
/* Pauses or resumes the host queue: backpressure, or Redis away (cluster). */
void crawl__update_pause(crawl *c);
/* The url record a finished fetch leaves (validators from the response). */
void crawl__job_record(const crawl_job *j, url_record *r);
/* Marks url as queued in this run (once) or this poll (serve), as a feed
 * (feed != 0) or a page: 1 when new, 0 when queued already, FA_ENOMEM. */
int crawl__seen_add(crawl *c, unsigned src, int feed, const char *url);

/* A page job for url is alive (queued, fetching or being archived). */
int crawl__page_live(const crawl *c, const char *url);

/* What the crawl knows of url: the newest url record it queued for the
 * state and that is not committed yet, else the state's (read your own
 * writes).  1 (copied to *out), 0, or a negative code from the state. */
int crawl__get_url(crawl *c, const char *url, url_record *out);
/* A source's failure: logged, the first message kept in its result. */
void crawl__source_fail(crawl *c, unsigned src, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The state failed (rc): the run's storage error, logged once. */
void crawl__state_fail(crawl *c, int rc);
/* Durable facts, written off the loop thread in order (state_batch.h): a
 * url record after the segment's fsync, a host's backoff. */
void crawl__keep_url_record(crawl *c, const char *url, const url_record *r);
void crawl__keep_backoff(crawl *c, const char *host, const backoff_record *b);
/* Stops fetching: queued jobs are deferred. */
void crawl__stop(crawl *c);
/* Ends the loop's work when nothing is left (once) or stopping. */
void crawl__maybe_finish(crawl *c);

/* ---- per kind ---- */

/* crawl_feed.c: queues a feed/API/sitemap URL (taken over) of source src,
 * once per run or poll. */
int crawl__feed_push(crawl *c, char *url, unsigned src, enum fa_source_kind format, unsigned page,
                     unsigned depth);
/* The first request of source i (WordPress: only what changed since). */
void crawl__push_source(crawl *c, unsigned i);
/* After a good poll of a WordPress source: 1 and the kv pair that keeps
 * the newest modification seen (the next poll asks for what came after),
 * or 0 when there is none to keep. */
int crawl__feed_since(const crawl *c, unsigned i, char *key, size_t key_len, char *val,
                      size_t val_len);
/* The source's jobs have ended: its feed url records go to the state
 * (unless the source is incomplete or the crawl stopping). */
void crawl__feed_commit_deferred(crawl *c, unsigned src);
/* The intake queue's idle handle: opened with the loop, closed when the
 * crawl finishes (held is 0 by then). */
void crawl__feed_intake_open(crawl *c);
void crawl__feed_intake_close(crawl *c);
/* The intake goes on if it waits: jobs waiting for a host or for all have
 * started, or the crawl is stopping. */
void crawl__feed_intake_wake(crawl *c);
/* An item's page archived before (prev) that the item (its updated date,
 * NULL or "" when none) does not say changed: 1, nothing to fetch. */
int crawl__page_unchanged(const url_record *prev, const char *item_updated);
/* crawl_page.c: queues an item's page (url taken over); prev is the url
 * record the caller read (known: it exists), so it is not read again;
 * host_key is url's (url_host_key), or NULL or "" to work it out here. */
int crawl__page_push(crawl *c, char *url, const char *host_key, unsigned src, const feed_item *item,
                     const char *via, int known, const url_record *prev);
/* crawl_robots.c: fetches host_key's robots.txt for the gate. */
int crawl__robots_push(crawl *c, const char *host_key, unsigned src);
/* (cluster) host_key's robots.txt came from the shared cache: the jobs w
 * that waited go on, the host keeps its Crawl-delay. */
void crawl__robots_known(crawl *c, const char *host_key, robots_gate_wait *w, uint64_t delay_ms);
/* (cluster) host_key's robots.txt will not come: its waiting jobs are let
 * down (deferred when stopping). */
void crawl__robots_give_up(crawl *c, const char *host_key);
/* The product token robots.txt groups are matched against: the
 * User-Agent's first word ("feedarc" for "feedarc/0.1 (+https://...)"). */
void crawl__robots_product_token(const char *ua, char *out, size_t len);
/* The shortest source interval, at most a minute. */
uint64_t crawl__shortest_interval(const config *cfg);
/* crawl_redirect.c */
int crawl__is_redirect(long status);
/* Follows the job's redirect, if it is one (a new job, one hop further). */
void crawl__follow_redirect(crawl *c, crawl_job *j);
/* A 304: the visit recorded, or a revisit archived. */
enum crawl_job_next crawl__not_modified(crawl_job *j);

/* ---- crawl_retry.c: backoff and retries ---- */

/* A transient error: the host backs off; 1 when the URL was queued again. */
int crawl__retry(crawl *c, crawl_job *j);
/* An answer that is no transient error: a host backing off has recovered. */
void crawl__host_answered(crawl *c, const crawl_job *j);
/* At a host's first sight in the run: a backoff stored by an earlier run. */
void crawl__load_backoff(crawl *c, const char *host);
/* once: the host's URLs wait for the next run. */
int crawl__host_is_deferred(crawl *c, const char *host);

/* ---- crawl_serve.c ---- */

/* Records source i's poll (`feedarc status`): the consecutive failures now
 * recorded, or a negative code. */
int crawl__save_source(crawl *c, unsigned i, int64_t next_due_ns);
/* once: every source's record, in one transaction (after the loop). */
void crawl__save_sources(crawl *c);
/* Source i's poll record (with its WordPress mark) queued for the state
 * batcher's next commit.  0 or FA_ENOMEM. */
int crawl__queue_source_record(crawl *c, unsigned i, int64_t next_due_ns);
/* serve: a poll of source i now / its due timer in delay_ms. */
void crawl__start_round(crawl *c, unsigned i);
void crawl__schedule_source(crawl *c, unsigned i, uint64_t delay_ms);
/* A job of source src was freed: the source's last one ends its poll. */
void crawl__source_job_ended(crawl *c, unsigned src);
/* serve: the first polls, from the state's next_due. */
void crawl__schedule_all(crawl *c);
void crawl__serve_open(crawl *c);
void crawl__serve_stop(crawl *c);
void crawl__serve_close(crawl *c);

/* ---- crawl_cluster.c: several nodes as one (config cluster:) ---- */

/* Once the loop, the batcher and the host queue exist: the Redis
 * connection, leases and host gate; the queue waits for Redis.  0, or a
 * negative code (the summary's storage message says why). */
int crawl__cluster_open(crawl *c);
/* once: sources are claimed from the cluster rather than all pushed. */
void crawl__cluster_start(crawl *c);
/* 1 while the crawl must not end for the cluster's sake: Redis calls on
 * behalf of jobs out, robots.txt awaited from another node, (once) sources
 * the cluster has not done yet. */
int crawl__cluster_busy(crawl *c);
/* 1 while Redis is unreachable (0 without a cluster). */
int crawl__cluster_down(const crawl *c);
/* host_queue's start in a cluster: j (a page: once claimed) starts when
 * the host gate lets it (crawl__job_launch), or goes back to its host queue
 * to wait.  0. */
int crawl__cluster_start_job(crawl *c, crawl_job *j);
/* j's transfer is over: its gate slot released, the host's backoff with
 * it.  Nothing without a slot. */
void crawl__cluster_job_ended(crawl *c, crawl_job *j);
/* A page not archived yet: admitted; each start claims it first and reads
 * the state again (one node fetches a page two sources list).  As
 * crawl__job_admit. */
int crawl__cluster_admit_page(crawl *c, crawl_job *j);
/* robots.txt of host_key (the gate answered FETCH): fetched by this node if
 * it claims the host's robots lease, else read from the shared cache. */
int crawl__cluster_robots(crawl *c, const char *host_key, unsigned src);
/* once: every job of source i has ended: its record, then its mark. */
void crawl__cluster_source_done(crawl *c, unsigned i);
/* serve: source i's due timer fired / its poll ended and was queued. */
void crawl__cluster_due(crawl *c, unsigned i);
void crawl__cluster_round_done(crawl *c, unsigned i);
/* Finishing: leases given back, the connection closed (the loop runs it to
 * the end).  Then, after the state batcher's last commit and before the
 * loop closes, free. */
void crawl__cluster_close(crawl *c);
void crawl__cluster_free(crawl *c);

/* ---- crawl_signals.c ---- */

/* From the lag timer: act on the signals counted since the last look. */
void crawl__check_signals(crawl *c);
void crawl__open_stop_handles(crawl *c);
void crawl__close_stop_handles(crawl *c);

/* ---- crawl_telemetry.c ---- */

void crawl__lag_start(crawl *c);
void crawl__lag_report(const crawl *c, crawl_summary *out);
void crawl__phase_end(crawl *c);
void crawl__show_progress(crawl *c, int last);
/* A transfer ended: counters, the fetch log line, metrics. */
void crawl__count_fetch(crawl *c, const crawl_job *j);

/* A parked job from its robots_gate_wait. */
static inline crawl_job *crawl__job_of_wait(robots_gate_wait *w)
{
    return FA_CONTAINER_OF(w, crawl_job, rw);
}

/* A job from the host queue's entry. */
static inline crawl_job *crawl__job_of_entry(host_queue_entry *e)
{
    return FA_CONTAINER_OF(e, crawl_job, qe);
}

/* ---- crawl_archive.c: what the worker threads do with an exchange ---- */

/* Analyses a page and archives it with its findings (metadata and
 * conversion records; a revisit for a known exact duplicate). */
int crawl__archive_with_findings(crawl_job *j, const warc_exchange *x);

/* Describes an encoding decision into out (fa_charset_describe; "" for
 * NULL) and counts detections and refused guesses in the metrics. */
void crawl__note_charset(crawl *c, const fa_charset_decision *d, char *out, size_t outlen);

/* Analyses and archives the feed items kept for dedup (no page of their own). */
int crawl__archive_items(crawl_job *j);

/* Replaces the values of the http.redact_headers fields in the
 * request the job sent (j->t.request) by "[redacted]" before anything reads
 * it for the archive (records, dictionary samples).  0, or FA_ENOMEM (the
 * request is then left out: an empty request block, never the secret). */
int crawl__redact_request(crawl_job *j);

/* ---- crawl_observer.c: storage's and dedup's events into the metrics ---- */

/* The observer to hand the segment writer, the dedup engine and the
 * dictionary trainer at open: it bumps c->opt->metrics.  NULL when the
 * crawl keeps no metrics.  Fills c->observer on the first call. */
const fa_observer *crawl__observer(crawl *c);

/* Dictionary: choose one (storage.dictionary); after a run that sampled,
 * train one for the next run. */
void crawl__pick_dictionary(crawl *c);
/* The later runs' dictionary, trained at the end of a run that sampled, on
 * a thread of its own beside the run's last steps (the loop's close, the
 * url records' last batch, the segment's close): _start once every page
 * is archived (crawl__maybe_finish) on a struct zeroed before the first
 * call, a no-op when started already; when no thread can start it trains
 * on the calling thread if here_too is set, else starts nothing (the
 * loop thread asks without: the run's close trains then); the
 * samples leave the writer first (_wait_taken before segment_writer_close);
 * _finish joins and, when record is set, keeps the dictionary's path in
 * the state (kv "dictionary") for the next run, else removes the file.
 * Each is a no-op when nothing was started. */
struct crawl_dict_training {
    int started, threaded, taken_seen;
    int post_taken; /* the thread posts taken (set before it starts) */
    uv_thread_t thread;
    uv_sem_t taken;    /* posted once the samples are off the writer */
    segment_writer *w; /* borrowed until then */
    char dir[4096];
    unsigned mode;
    int rc; /* the training's result; FA_EINVAL: too few records to learn from */
    size_t len;
    char path[4096]; /* the dictionary file written */
};
void crawl__train_dictionary_start(crawl *c, crawl_dict_training *t, int here_too);
void crawl__train_dictionary_wait_taken(crawl_dict_training *t);
void crawl__train_dictionary_finish(crawl *c, crawl_dict_training *t, int record);

#endif
