/*
 * crawl_internal.h - what crawl.c and crawl_archive.c share: the crawl's
 * state, its jobs and the per-source bookkeeping.  Not for other modules:
 * everything outside crawler/ sees only crawl.h.
 */
#ifndef CRAWL_INTERNAL_H
#define CRAWL_INTERNAL_H

#include "common/fa_buf.h"
#include "common/fa_hashset.h"
#include "crawler/crawl.h"
#include "crawler/fetcher.h"
#include "crawler/host_queue.h"
#include "crawler/robots_gate.h"
#include "crawler/state_batch.h"
#include "dedup/dedup_engine.h"
#include "feeds/source_parser.h"
#include "state/crawl_state.h"
#include "storage/archive_lock.h"
#include "storage/segment_writer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>

enum job_kind { JOB_FEED, JOB_PAGE, JOB_ROBOTS };

typedef struct crawl crawl;

typedef struct crawl_job {
    host_queue_entry qe;
    robots_gate_wait rw;  /* parked until the host's robots.txt is known */
    fetch_transfer t;
    uv_work_t work;
    crawl *c;
    char *url;
    enum job_kind kind;
    unsigned source;
    unsigned redirects;
    unsigned attempts;  /* earlier tries of this URL in this run */
    uint64_t backoff_ms; /* the host's backoff after this job's transient error */
    source_parser *sp;  /* feeds and APIs: the parser this response streams into */
    source_json_mapping json_map; /* the parser borrows it: lives with the job */
    enum source_format format; /* how to read it (AUTO: from the bytes) */
    unsigned page;      /* 1-based page of a paginated source */
    unsigned depth;     /* sitemap index / autodiscovery nesting */
    int parse_rc;       /* first error from the parser */
    int resp_given;     /* source_parser_response was called */
    int resp_wanted;    /* ... and wanted the body */
    int archive_rc;
    warc_written written;
    int revisit;        /* a 304 archived as a revisit record */
    int dedup_records;  /* metadata/conversion records written with it */
    int exact_dup;      /* archived as an identical-payload revisit */
    fa_buf decoded;     /* pages: the decoded payload, for dedup */
    fa_buf items;       /* feeds: items without a page, for dedup: "url\0id\0content\0"... */
    char encoding[192]; /* feeds: the body's encoding, as the metadata records say it */
    char *via;          /* pages: the feed/API URL that listed it */
    struct curl_slist *headers; /* this request's extra headers (owned) */
    char *item_id, *item_published, *item_updated; /* pages: from the feed item */
    char *item_title;   /* pages: the feed item's title (metadata record, WACZ pages) */
    int known;          /* a url record existed before this fetch */
    url_record prev;    /* ... and this was it */
    char host[512];     /* host key: scheme://host:port */
    char *robots_for;   /* robots jobs: the host key whose rules this fetch decides */
    fa_buf robots_body; /* robots jobs: the payload, first 500 KiB */
} crawl_job;

#define ROBOTS_MAX_BYTES (500u * 1024u)
#define ROBOTS_MAX_REDIRECTS 5

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
    uv_timer_t due;          /* serve: fires when the source is due again */
    int in_round;            /* serve: a poll of the source is under way */
    unsigned alive;          /* feed and page jobs of the source not yet freed */
    deferred_url *deferred;
    unsigned sitemaps;       /* child sitemaps and discovered feeds queued */
    char newest_modified[40];/* WordPress: the newest modified_gmt seen */
    int failing;             /* serve: failed METRICS_SOURCE_FAILING_AFTER times in a row */
    int incomplete;          /* a URL was deferred, or a page failed for a transient
                                reason: the feed records are not committed, so the
                                next poll or run sees the items again (no 304) */
    fa_hashset seen_pages, seen_feeds; /* serve: URLs queued in this poll */
} source_rt;

#define MAX_SOURCE_DEPTH 4      /* sitemap index -> sitemap ..., HTML -> feed */
#define MAX_SOURCE_CHILDREN 1000 /* child sitemaps / discovered feeds per source */

struct crawl {
    const config *cfg;
    source_rt *src;
    uv_loop_t loop;
    fetcher *f;
    host_queue *q;
    segment_writer *w;
    crawl_state *st;                 /* durable state (borrowed or owned) */
    int own_state;
    archive_lock *archive_lock;      /* one writer per archive folder (issue 11) */
    state_batch *batch;              /* url records committed after fsync */
    robots_gate *gate;               /* robots.txt before anything else */
    fa_hashset seen;                 /* page URLs already queued this run */
    fa_hashset hosts_seen;           /* hosts whose stored backoff was looked up */
    fa_hashset hosts_deferred;       /* once: hosts backing off past the run's end */
    uint64_t deadline_ns;            /* once: fa_time_mono_ns when the run stops, 0 = none */
    uv_timer_t deadline;
    fa_hashset feeds_seen;           /* feed/API/sitemap URLs queued this run */
    uint64_t rng;                    /* xorshift state for backoff jitter */
    unsigned retries;                /* extra tries after transient errors */
    uint64_t backoff_base_ms, backoff_max_ms, max_retry_after_ms;
    crawl_summary *sum;
    struct curl_slist **src_headers; /* per source, for its feed requests */
    unsigned archive_pending, max_pending;
    int paused, stopping, finishing;
    int storage_failed;              /* archiving is pointless: drop what comes */
    const crawl_options *opt;
    int serve;
    enum crawl_end end;
    uv_timer_t grace;
    int signals_on, grace_on;
    unsigned long stops_seen, hups_seen; /* fa_signal.h counts acted on */
    int stop_signal;                 /* SIGTERM or SIGINT that stopped the crawl */
    uint64_t last_beat_ns;
    uint64_t last_written;           /* bytes on disk already counted in metrics */
    /* dictionary: the one in use, or samples for training one */
    void *dict;
    size_t dict_len;
    int sampling;
    pthread_mutex_t sample_lock;
    fa_buf samples;
    size_t *sample_sizes;
    unsigned n_samples;
    unsigned max_samples; /* crawl_options.dict_samples, or DICT_SAMPLES */
    int samples_full;     /* a sample found no room (under sample_lock) */
    int dict_training;    /* 0, 1 training on a worker, 2 trained or given up */
    uv_work_t dict_work;
    char dict_path[4096]; /* what dict_work saved ("" when it failed) */
    size_t dict_len_new;
    int dict_rc;                     /* dict_work: records trained on, or FA_E* */
    dedup_engine *dedup;             /* near-duplicates, containment, boilerplate */
    atomic_ulong findings;           /* counted on worker threads */
    pthread_mutex_t written_lock;
    fa_hashset written_ids;          /* record ids written lately (note_written) */
    unsigned sources_done;           /* once: sources whose jobs have all ended */
    size_t new_urls;                 /* kept in results[].new_urls, all sources */
    int progress_shown;
    uint64_t start_ns;
    /* Loop-lag probe: a 10 ms repeating timer; how late it fires is how long
     * the loop thread was busy with something else (parsing, callbacks). */
    uv_timer_t lag_timer;
    uint64_t lag_expected_ns;
    uint32_t lag_hist[64]; /* bucket i: lag in [i, i+1) ms; the last is 63+ ms */
    uint64_t lag_samples, lag_max_ns;
};

/* ---- crawl_archive.c: what the worker threads do with an exchange ---- */

/* Analyses a page and archives it with its findings (metadata and
 * conversion records; a revisit for a known exact duplicate). */
int crawl__archive_with_findings(crawl_job *j, const warc_exchange *x);

/* Describes an encoding decision into out (fa_charset_describe; "" for
 * NULL) and counts detections and refused guesses in the metrics. */
void crawl__note_charset(crawl *c, const fa_charset_decision *d, char *out, size_t outlen);

/* Analyses and archives the feed items kept for dedup (no page of their own). */
int crawl__archive_items(crawl_job *j);

/* (issue 11) Replaces the values of the http.redact_headers fields in the
 * request the job sent (j->t.request) by "[redacted]" before anything reads
 * it for the archive (records, dictionary samples).  0, or FA_ENOMEM (the
 * request is then left out: an empty request block, never the secret). */
int crawl__redact_request(crawl_job *j);

/* Dictionary: choose one (storage.dictionary), sample records, train one. */
void crawl__pick_dictionary(crawl *c);
void crawl__add_sample(crawl *c, const warc_exchange *x);
void crawl__train_dictionary(crawl *c);
/* (issue 11) Loop thread, after each archived exchange: once the samples
 * are full, trains the dictionary on a worker thread and frees them - a
 * `serve` that runs for weeks holds them only until then. */
void crawl__train_when_full(crawl *c);

#endif
