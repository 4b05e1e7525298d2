/*
 * state_batch.h - the crawl's writes to its durable state, made off the
 * loop thread, in order, and only after the archive holds what they claim.
 *
 * The durability rule (storage/state/crawl_state.h): the state may never claim what
 * the archive does not hold.  So the crawler does not write url records as
 * fetches finish; it adds them here once their WARC records are written,
 * and a flush then, on a worker thread (fa_workpool), (1) fsyncs the open segment
 * and (2) commits every update added before the flush started in one
 * transaction (one more fsync: SQLite's).  Updates added while a flush runs
 * wait for the next one; one flush runs at a time, so updates are committed
 * in the order they were added.  Flushes start when BATCH_MAX updates wait
 * or a second has passed, at once for an update marked urgent, and at the
 * end of a run.
 *
 * The crawl's other writes - a host's backoff, a robots.txt for the cache,
 * kv pairs, a source's poll record - come here too, so that no commit and
 * no fsync runs on the loop thread.  (Reads stay on the loop thread; they
 * take the state handle's mutex, so one may wait for a commit in progress.)
 *
 * A kill -9 loses at most the updates of one batch: those items are fetched
 * again on the next run (and the archive's recovery reconciles them).
 *
 * Threads: call everything from the loop thread.  The flush's fsync and
 * commit run on a worker, which uses st (a crawl_state handle serialises
 * its calls) and only the copies queued here.
 */
#ifndef STATE_BATCH_H
#define STATE_BATCH_H

#include "common/fa_workpool.h"
#include "storage/state/crawl_state.h"
#include "storage/segment_writer.h"

#include <uv.h>

typedef struct state_batch state_batch;

/* kv key: the reconciliation mark - the writer's newest segment when the
 * last commit's flush began (or, without a writer, the newest segment its
 * url records name), never past the floor (state_batch_set_mark_floor). */
#define STATE_BATCH_KV_LAST_SEGMENT "last_committed_segment"

/* Creates a batcher for st (borrowed) that syncs w (borrowed; NULL: no
 * archive to sync) before each commit, and commits on a thread of pool
 * (borrowed, on the same loop; it must outlive the batcher; NULL: on the
 * loop thread).  Returns 0 or FA_ENOMEM. */
int state_batch_new(uv_loop_t *loop, fa_workpool *pool, crawl_state *st, segment_writer *w,
                    state_batch **out);

/* Queues a url record (copied) for the next commit.  0 or FA_ENOMEM. */
int state_batch_put_url(state_batch *b, const char *url, const url_record *rec);

/* The newest url record queued for url and not yet committed (waiting, or
 * in the flush running now): copied to *out, 1; or 0.  The crawl reads
 * its own writes through this before the state, so that a page archived
 * a moment ago is not fetched again because its commit is still to come
 * (serve: another source listing it, the next poll). */
int state_batch_get_url(const state_batch *b, const char *url, url_record *out);

/* Queues a url record that needs no fsync first (nothing new was archived,
 * e.g. a 304): still committed with the next batch. */
#define state_batch_put_url_unarchived state_batch_put_url

/* Queue a host's backoff record, a robots.txt for the cache (rec, and len
 * bytes of body, at most CRAWL_STATE_ROBOTS_MAX), a kv pair: copied,
 * committed with the next batch.  0, FA_EINVAL (too long) or FA_ENOMEM. */
int state_batch_put_backoff(state_batch *b, const char *host, const backoff_record *rec);
int state_batch_put_robots(state_batch *b, const char *host, const robots_record *rec,
                           const void *body, size_t len);
int state_batch_put_kv(state_batch *b, const char *key, const char *value);

/* Queues a write the caller composes: apply(st, arg) runs on the worker
 * inside the batch's transaction, after the updates queued before it; it
 * returns 0 or a negative code (the batch is then rolled back).  arg is
 * taken over: free_arg(arg) (may be NULL) runs on the loop thread once the
 * batch is done, also when apply never ran.  urgent: flush as soon as
 * possible rather than within the second.  0 or FA_ENOMEM (arg freed). */
int state_batch_put_op(state_batch *b, int (*apply)(crawl_state *st, void *arg), void *arg,
                       void (*free_arg)(void *arg), int urgent);

/* Calls cb(ud, rc) on the loop thread once every update queued before it is
 * committed (rc 0), or when they never will be (rc < 0: a flush failed for
 * good, or the batcher closed first).  Flushed soon, like an urgent op.
 * 0 or FA_ENOMEM (cb is then not called). */
int state_batch_after_commit(state_batch *b, void (*cb)(void *ud, int rc), void *ud);

/* (cluster) A commit that fails is tried again - the same updates, in the
 * same order, after a wait that doubles from 250 ms to 5 s - instead of
 * stopping the batcher: for a state whose store can be away for a while
 * and come back (Redis).  Re-applying a batch Redis may already have run is
 * harmless: every put replaces its record.  An fsync that fails still
 * stops it.  give_up_ms bounds the retries at state_batch_finish (0 = 30 s). */
void state_batch_set_retry(state_batch *b, int retry, uint64_t give_up_ms);

/* The kv key that keeps the newest segment named by a committed url record
 * (copied; default STATE_BATCH_KV_LAST_SEGMENT): one per node when nodes
 * share a state.  0, FA_EINVAL (too long) or FA_ENOMEM. */
int state_batch_set_segment_key(state_batch *b, const char *key);

/* That mark is where reconciliation reads from after a crash, and it must
 * not pass a record the state does not hold yet.  A record still on its
 * way to the batch (its job archived, its url record not yet added) may
 * sit in a segment older than the newest one the batch names: one closed
 * by the first run's dictionary switch or a roll-over meanwhile.  floor
 * is asked on the loop thread as each flush begins for the oldest segment
 * such records may be in ("" when there are none); the mark the flush
 * commits is never past it.  NULL: no floor. */
void state_batch_set_mark_floor(state_batch *b, void (*floor)(void *ud, char *out, size_t len),
                                void *ud);

/* Commits that failed and were tried again (state_batch_set_retry). */
uint64_t state_batch_retries(const state_batch *b);

/* Starts a flush now if anything waits and none runs. */
void state_batch_flush(state_batch *b);

/* Updates waiting or being flushed. */
size_t state_batch_pending(const state_batch *b);

/* The first error a flush met (fsync or commit), or 0. */
int state_batch_error(const state_batch *b, const char **message);

/* Flushes what waits, runs the loop until that is committed, and frees
 * the batcher (its timer is closed; the loop must not be running).
 * Returns 0 or the first error, described in msg (len bytes). */
int state_batch_finish(state_batch *b, char *msg, size_t len);

/* Stops the timer and frees once no flush runs; what was not committed is
 * dropped.  NULL is accepted. */
void state_batch_close(state_batch *b);

/* Call when the loop is winding down for other reasons: the batcher's
 * timer will not keep it alive. */
void state_batch_unref(state_batch *b);

#endif
