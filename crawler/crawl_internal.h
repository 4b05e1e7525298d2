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
 *
 * Threads: everything here belongs to the loop thread, except where a
 * comment says a worker thread reads or writes it (archiving: the job's
 * archive results; the dictionary samples and dedup counters, which have
 * their own lock or are atomic).
 */
#ifndef CRAWL_INTERNAL_H
#define CRAWL_INTERNAL_H

#include "common/fa_buf.h"
#include "common/fa_hashset.h"
#include "common/fa_observer.h"
#include "crawler/crawl.h"
#include "crawler/fetcher.h"
#include "crawler/host_queue.h"
#include "crawler/politeness.h"
#include "crawler/robots_gate.h"
#include "crawler/state_batch.h"
#include "dedup/dedup_engine.h"
#include "crawler/feeds/source_parser.h"
#include "storage/state/crawl_state.h"
#include "storage/archive_lock.h"
#include "storage/segment_writer.h"

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <uv.h>

typedef struct crawl crawl;
typedef struct crawl_job crawl_job;

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
 * except archive, which runs on a libuv worker.  NULL members do nothing. */
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
    /* Worker thread: archives the exchange x; 0 or a negative code. */
    int (*archive)(crawl_job *j, const warc_exchange *x);
    /* The url record the fetch leaves (fields of its kind added to r). */
    void (*record)(const crawl_job *j, url_record *r);
    /* The exchange is archived and r is its url record: kept for the state. */
    void (*archived)(crawl_job *j, const url_record *r);
    /* Stopping: the job is dropped from the host queue unfetched. */
    void (*dropped)(crawl_job *j);
    /* Frees the per-kind data. */
    void (*release)(crawl_job *j);
} crawl_job_ops;

extern const crawl_job_ops crawl__feed_ops, crawl__page_ops, crawl__robots_ops;

/* A feed item with no page of its own, kept for dedup: the loop thread
 * fills it while the feed streams in, the worker that archives the feed
 * reads it (crawl__archive_items).  One allocation: the strings follow. */
typedef struct crawl_feed_item {
    struct crawl_feed_item *next;
    const char *url;     /* the item's link, or its id when that is a URI */
    const char *id;      /* the item's id ("" when none) */
    const char *content; /* its content, or its summary */
} crawl_feed_item;

/* Feed and API jobs (crawl_feed.c): the source parser reads the body while
 * it streams in. */
typedef struct crawl_feed_job {
    source_parser *sp;            /* the parser this response streams into */
    source_json_mapping json_map; /* the parser borrows it: lives with the job */
    enum source_format format;    /* how to read it (AUTO: from the bytes) */
    unsigned page;                /* 1-based page of a paginated source */
    unsigned depth;               /* sitemap index / autodiscovery nesting */
    int parse_rc;                 /* first error from the parser */
    int resp_given;               /* source_parser_response was called */
    int resp_wanted;              /* ... and wanted the body */
    crawl_feed_item *items;       /* items without a page, for dedup (owned), in */
    crawl_feed_item **items_tail; /* feed order; items_bytes of text, at most ITEMS_MAX */
    size_t items_bytes;
    char encoding[192];           /* the body's encoding, as the metadata records say it */
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
 * worker archives it. */
struct crawl_job {
    host_queue_entry qe; /* first: the host queue hands it back */
    robots_gate_wait rw; /* parked until the host's robots.txt is known */
    fetch_transfer t;
    uv_work_t work;
    crawl *c;
    const crawl_job_ops *ops; /* the job's kind */
    char *url;
    unsigned source;
    unsigned redirects;
    unsigned attempts;          /* earlier tries of this URL in this run */
    uint64_t backoff_ms;        /* the host's backoff after this job's transient error */
    struct curl_slist *headers; /* this request's extra headers (owned) */
    int known;                  /* a url record existed before this fetch */
    int prev_read;              /* known and prev are read (once per job) */
    url_record prev;            /* ... and this was it */
    char host[512];             /* host key: scheme://host:port */
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

struct crawl {
    const config *cfg;
    source_rt *src;
    uv_loop_t loop;
    fetcher *f;
    host_queue *q;
    segment_writer *w;
    crawl_state *st; /* durable state (borrowed or owned) */
    int own_state;
    archive_lock *archive_lock; /* one writer per archive folder */
    state_batch *batch;         /* url records committed after fsync */
    robots_gate *gate;          /* robots.txt before anything else */
    fa_hashset seen;            /* page URLs already queued this run */
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
    dedup_engine *dedup;   /* near-duplicates, containment, boilerplate */
    atomic_ulong findings; /* counted on worker threads */
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
    fa_observer observer; /* storage's and dedup's events -> metrics (crawl_observer.c) */
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
/* host_queue's start callback. */
int crawl__job_start(void *ud, host_queue_entry *e);
/* The url record a finished fetch leaves (validators from the response). */
void crawl__job_record(const crawl_job *j, url_record *r);
/* Marks url as queued in this run (once) or this poll (serve), as a feed
 * (feed != 0) or a page: 1 when new, 0 when queued already, FA_ENOMEM. */
int crawl__seen_add(crawl *c, unsigned src, int feed, const char *url);
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
int crawl__feed_push(crawl *c, char *url, unsigned src, enum source_format format, unsigned page,
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
/* crawl_page.c: queues an item's page (url taken over); prev is the url
 * record the caller read (known: it exists), so it is not read again. */
int crawl__page_push(crawl *c, char *url, unsigned src, const feed_item *item, const char *via,
                     int known, const url_record *prev);
/* crawl_robots.c: fetches host_key's robots.txt for the gate. */
int crawl__robots_push(crawl *c, const char *host_key, unsigned src);
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
/* A job of source src was freed: the source's last one ends its poll. */
void crawl__source_job_ended(crawl *c, unsigned src);
/* serve: the first polls, from the state's next_due. */
void crawl__schedule_all(crawl *c);
void crawl__serve_open(crawl *c);
void crawl__serve_stop(crawl *c);
void crawl__serve_close(crawl *c);

/* ---- crawl_signals.c ---- */

/* From the lag timer: act on the signals counted since the last look. */
void crawl__check_signals(crawl *c);
void crawl__open_stop_handles(crawl *c);
void crawl__close_stop_handles(crawl *c);

/* ---- crawl_telemetry.c ---- */

void crawl__lag_start(crawl *c);
void crawl__lag_report(const crawl *c, crawl_summary *out);
void crawl__show_progress(crawl *c, int last);
/* A transfer ended: counters, the fetch log line, metrics. */
void crawl__count_fetch(crawl *c, const crawl_job *j);

/* A parked job from its robots_gate_wait. */
static inline crawl_job *crawl__job_of_wait(robots_gate_wait *w)
{
    return (crawl_job *)((char *)w - offsetof(crawl_job, rw));
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
void crawl__train_dictionary(crawl *c);

#endif
