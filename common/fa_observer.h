/*
 * fa_observer.h - how storage/ and dedup/ tell whoever runs them what
 * happened, without knowing who listens.
 *
 * A module that has events to report takes a `const fa_observer *` in its
 * open options, copies the struct, and calls the callbacks that are set
 * (any may be NULL; a NULL observer means nobody listens).  The crawler
 * wires them to its metrics (crawler/crawl_observer.c); storage/ and dedup/
 * never include metrics/ or crawler/.
 *
 * Callbacks run in the thread that caused the event - any worker thread,
 * sometimes under the reporting module's lock - so they must be quick,
 * thread-safe (an atomic add) and must not call back into the module.
 */
#ifndef FA_OBSERVER_H
#define FA_OBSERVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct fa_observer {
    void *ud; /* passed to every callback */

    /* storage/segment_writer: a segment was created (its final name, no
     * folder); a segment was fsync'd, closed and renamed to name, bytes
     * long. */
    void (*segment_opened)(void *ud, const char *name);
    void (*segment_closed)(void *ud, const char *name, uint64_t bytes);
    /* A record is in a segment: type is storage's warc_type
     * (storage/warc_format.h), bytes its compressed frame. */
    void (*record_written)(void *ud, int type, uint64_t bytes);
    /* storage/segment_dict: a dictionary of bytes was trained on samples
     * records. */
    void (*dictionary_trained)(void *ud, size_t bytes, unsigned samples);

    /* dedup/dedup_engine: an analysed document got a finding; kind is
     * dedup's enum dedup_finding_kind (exact, near, contains, contained
     * in), or 0 when part of the document was the host's boilerplate. */
    void (*finding_made)(void *ud, int kind);
} fa_observer;

#endif
