/*
 * archive_reconcile.h - at start-up, make the archive whole and the crawl
 * state agree with it.
 *
 * After a crash the last segment is still `.open` and may end in a partial
 * record, and records written after the last state commit are unknown to
 * the state.  Before crawling, feedarc therefore (0) moves the state's
 * mark (the segment reconciliation reads from) back to the oldest `.open`
 * segment, committed before any file changes; (1) recovers every `.open`
 * segment (storage/segment_recover.h: truncated to the last whole pair,
 * fsync'd, renamed); and (2) reads the responses of every segment from the
 * mark on, recording each response the state does not have yet - so those
 * URLs are not fetched and archived a second time - and the new mark, in
 * one transaction.  A kill at any point is undone by doing it all again:
 * step 1 touches only files, step 2 only the state, and the mark written in
 * step 0 finds the segments step 1 renamed.  (Before, step 1 fed the state
 * while recovering and the commit came after the renames: a first run
 * killed before its first commit, then a start killed between a rename and
 * that commit, left a closed segment the state knew nothing of and no mark
 * to find it - its pages were archived twice, as the kill -9 test saw.)
 * A state without a mark beside segments that are all closed (a new or
 * deleted state) reads nothing: that is a reset.
 *
 * Reconciled records carry no validators (ETag, Last-Modified): a feed
 * recorded this way is fetched in full next time, so items that were
 * still waiting when feedarc died are found again.
 */
#ifndef ARCHIVE_RECONCILE_H
#define ARCHIVE_RECONCILE_H

#include "storage/state/crawl_state.h"

#include <stddef.h>
#include <stdint.h>

typedef struct reconcile_result {
    unsigned segments_recovered;  /* .open segments made whole */
    uint64_t responses_seen;      /* responses read in the segments scanned */
    uint64_t records_added;       /* url records the state did not have */
} reconcile_result;

/* Returns 0 or a negative code with a message in err. */
int archive_reconcile(const char *archive_dir, crawl_state *st, reconcile_result *out, char *err,
                      size_t errlen);

/* The same with the mark kept under kv key (a node's own when nodes share
 * one state: state_batch_set_segment_key); archive_reconcile uses
 * STATE_BATCH_KV_LAST_SEGMENT. */
int archive_reconcile_key(const char *archive_dir, crawl_state *st, const char *key,
                          reconcile_result *out, char *err, size_t errlen);

#endif
