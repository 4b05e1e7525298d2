/*
 * state_batch.h - crawl state written only after the archive holds it.
 *
 * The durability rule (state/crawl_state.h): the state may never claim what
 * the archive does not hold.  So the crawler does not write url records as
 * fetches finish; it adds them here once their WARC records are written,
 * and a flush then (1) fsyncs the open segment on a libuv worker thread and
 * (2) back on the loop thread commits every update added before the fsync
 * started in one transaction.  Updates added while a flush runs wait for
 * the next one.  Flushes start when BATCH_MAX updates wait or a second has
 * passed, and at the end of a run.
 *
 * A kill -9 loses at most the updates of one batch: those items are fetched
 * again on the next run (and the archive's recovery reconciles them).
 *
 * Threads: loop thread only (the fsync runs on a worker by itself).
 */
#ifndef STATE_BATCH_H
#define STATE_BATCH_H

#include "state/crawl_state.h"
#include "storage/segment_writer.h"

#include <uv.h>

typedef struct state_batch state_batch;

/* kv key: the newest segment named by a committed url record. */
#define STATE_BATCH_KV_LAST_SEGMENT "last_committed_segment"

/* Creates a batcher for st (borrowed) that syncs w (borrowed) before each
 * commit.  Returns 0 or FA_ENOMEM. */
int state_batch_new(uv_loop_t *loop, crawl_state *st, segment_writer *w, state_batch **out);

/* Queues a url record (copied) for the next commit. */
int state_batch_put_url(state_batch *b, const char *url, const url_record *rec);

/* Queues a url record that needs no fsync first (nothing new was archived,
 * e.g. a 304): still committed with the next batch. */
#define state_batch_put_url_unarchived state_batch_put_url

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

/* Stops the timer and frees; what was not committed is dropped. */
void state_batch_close(state_batch *b);

/* Call when the loop is winding down for other reasons: the batcher's
 * timer will not keep it alive. */
void state_batch_unref(state_batch *b);

#endif
