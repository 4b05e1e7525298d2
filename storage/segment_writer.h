/*
 * segment_writer.h - appends WARC/1.1 records to zstd-compressed segments.
 *
 * A segment is a file `<prefix>-<YYYYMMDDhhmmss>-<serial>.warc.zst` made of
 * independent zstd frames, one per WARC record (the warc.zst convention), so
 * any record can be decompressed from its offset alone.  Each frame carries
 * its content size and a checksum.  The first record of every segment is a
 * `warcinfo`.  While written, the file is named `*.warc.zst.open`; closing
 * it means fsync + rename to the final name.  A new segment starts when the
 * next record would take the current one past max_size.
 *
 * Threads: segment_writer_write_exchange may be called from several threads
 * at once.  Hashing and compression run in the caller's thread, outside the
 * lock; only the append of the finished frames (request and response
 * together, adjacent) is serialised.
 */
#ifndef SEGMENT_WRITER_H
#define SEGMENT_WRITER_H

#include "common/fa_spool.h"

#include <stdint.h>

typedef struct segment_writer segment_writer;

typedef struct segment_writer_options {
    const char *dir;       /* archive folder, created if missing (required) */
    const char *prefix;    /* file name prefix; NULL means "feedarc" */
    uint64_t max_size;     /* roll over past this many bytes on disk; 0 = 1 GiB */
    int level;             /* zstd level; 0 means 3 */
    const char *software;  /* warcinfo `software:`; NULL means "feedarc/<version>" */
    const char *operator_name; /* warcinfo `operator:`; may be NULL */
    int lazy_open;         /* open the first segment with the first record, so a
                              run that archives nothing leaves no file */
} segment_writer_options;

/* A fetched HTTP exchange, archived as a `request` + `response` pair linked
 * by WARC-Concurrent-To.  Everything is borrowed for the duration of the
 * call only. */
typedef struct warc_exchange {
    const char *target_uri;      /* required */
    const char *ip_address;      /* WARC-IP-Address, or NULL when unknown */
    int64_t date_ns;             /* when the request was sent (WARC-Date); 0 = now */
    const void *request;         /* request line + headers (+ body) as sent */
    size_t request_len;
    const void *response_head;   /* status line + headers + empty line, as received */
    size_t response_head_len;
    const fa_spool *body;        /* the body exactly as transferred; may be NULL (empty) */
    int body_chunked;            /* body carries chunked framing: the payload digest
                                    is computed over the de-chunked bytes */
} warc_exchange;

/* Where a record pair landed. */
typedef struct warc_written {
    char request_id[48];         /* "<urn:uuid:...>" */
    char response_id[48];
    char payload_digest[40];     /* "sha1:BASE32" of the payload */
    char segment[256];           /* final file name (no folder, no .open) */
    uint64_t response_offset;    /* offset of the response frame in the file */
    uint64_t response_length;    /* compressed length of that frame */
} warc_written;

typedef struct segment_writer_stats {
    uint64_t records;            /* records written, warcinfo included */
    uint64_t bytes_on_disk;      /* compressed bytes, all segments */
    uint64_t bytes_uncompressed; /* WARC bytes before compression */
    uint64_t segments;           /* segments opened */
    uint64_t open_segment_size;  /* bytes of the current segment */
} segment_writer_stats;

/* Creates the writer and opens the first segment.  On success *out is owned
 * by the caller (release with segment_writer_close).  Returns 0, or a
 * negative FA_E* code with a message in err (errlen bytes; err may be NULL). */
int segment_writer_open(const segment_writer_options *opt, segment_writer **out, char *err,
                        size_t errlen);

/* Archives one exchange.  out may be NULL.  Returns 0 or a negative code
 * (FA_ENOSPC, FA_EIO, FA_EACCES ...); on failure nothing partial stays in
 * the segment (the file is truncated back to the last whole record). */
int segment_writer_write_exchange(segment_writer *w, const warc_exchange *x, warc_written *out);

/* Flushes the segment's data to disk (fsync) without closing it. */
int segment_writer_sync(segment_writer *w);

void segment_writer_get_stats(segment_writer *w, segment_writer_stats *out);

/* Copies the message of the writer's most recent error (write, roll-over,
 * sync or close; "" if none) into buf (len bytes, NUL-terminated).  The
 * same message is logged at error level with component "warc".  Safe from
 * any thread; with several writing threads it may describe another
 * thread's failure. */
void segment_writer_last_error(segment_writer *w, char *buf, size_t len);

/* Closes the current segment (fsync + rename) and frees the writer.  NULL is
 * accepted.  Returns 0 or the first error met. */
int segment_writer_close(segment_writer *w);

#endif
