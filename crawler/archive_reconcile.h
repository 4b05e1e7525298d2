/*
 * archive_reconcile.h - at start-up, make the archive whole and the crawl
 * state agree with it.
 *
 * After a crash the last segment is still `.open` and may end in a partial
 * record, and records written after the last state commit are unknown to
 * the state.  Before crawling, feedarc therefore (1) recovers every `.open`
 * segment (storage/segment_recover.h: truncated to the last whole pair,
 * fsync'd, renamed), and (2) reads the responses of every segment from the
 * last one the state knows about (every segment when it knows none),
 * recording each response the state does not have yet and that segment
 * mark in one transaction - so those URLs are not fetched and archived a
 * second time.  Both steps can be killed and done again: step 1 touches
 * only files, step 2 only the state.  (Step 1 used to feed the state while
 * recovering, and only .open segments when the state knew no segment: a
 * kill after the rename left a closed segment nobody read again, and its
 * pages were archived twice.)
 *
 * Reconciled records carry no validators (ETag, Last-Modified): a feed
 * recorded this way is fetched in full next time, so items that were
 * still waiting when feedarc died are found again.
 */
#ifndef ARCHIVE_RECONCILE_H
#define ARCHIVE_RECONCILE_H

#include "state/crawl_state.h"

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

#endif
