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

#include "common/fa_observer.h"
#include "common/fa_spool.h"
#include "storage/warc_format.h"

#include <stdint.h>

typedef struct segment_writer segment_writer;

typedef struct segment_writer_options {
    const char *dir;           /* archive folder, created if missing (required) */
    const char *prefix;        /* file name prefix; NULL means "feedarc" */
    uint64_t max_size;         /* roll over past this many bytes on disk; 0 = 1 GiB */
    int level;                 /* zstd level; 0 means 3 */
    const char *software;      /* warcinfo `software:`; NULL means "feedarc/<version>" */
    const char *operator_name; /* warcinfo `operator:`; may be NULL */
    const char *node;          /* warcinfo `node:`, the cluster node writing it
                                  (config cluster.node); NULL = no such line */
    int lazy_open;             /* open the first segment with the first record, so a
                                  run that archives nothing leaves no file */
    /* Left zero, the fields below mean: no dictionary, a CDXJ index next
     * to each closed segment, index lines spill past 4 MiB, mode 0640. */
    const void *dict; /* a zstd dictionary (segment_dict.h) used by every
                         frame of every segment, carried in a dictionary
                         frame at the start of each; copied at open; NULL
                         = none */
    size_t dict_len;
    int no_index;         /* 1: write no `<segment>.cdxj` at close */
    size_t index_mem_max; /* index lines kept in memory before they spill to
                             a temporary file in dir; 0 = 1 MiB */
    unsigned file_mode;   /* permission bits of the segments, set
                             exactly (umask aside); their indexes get the same;
                             0 = 0640 */
    /* who hears of segments opened and closed and of every record written
     * (record_written's type is a warc_type); copied at open; NULL = nobody.
     * Called from the writing thread: record_written and segment_opened
     * under the writer's lock, segment_closed without it (a segment is
     * closed - fsync, rename, index - while the others append to the next
     * one), so it may come after the next segment's first records. */
    const fa_observer *observer;
    /* A first run's dictionary, trained while it runs.  When
     * train_dict_after > 0 the writer samples every record it writes (its
     * first 32 KiB: WARC header, HTTP head, start of the body; up to 2,000
     * records picked at random over the run, 12 MiB in all).  If it has no
     * dictionary when the train_dict_after-th record is written, it trains
     * one of train_dict_size bytes (0 = 112 KiB) on the records written so
     * far, closes the current segment (those records stay there, without a
     * dictionary) and writes every later segment with it; records written
     * by other threads meanwhile wait for it.  The samples stay for
     * segment_writer_take_samples.  0 = no sampling. */
    unsigned train_dict_after;
    size_t train_dict_size;
    /* A name every new segment's sorts after when it is one of this
     * prefix's (the state's reconciliation mark, which reconciliation after
     * a crash reads from), as it sorts after every segment of the prefix
     * in the folder.  NULL or another prefix's: none. */
    const char *names_after;
} segment_writer_options;

/* A fetched HTTP exchange, archived as a `request` + `response` pair linked
 * by WARC-Concurrent-To.  Everything is borrowed for the duration of the
 * call only. */
typedef struct warc_exchange {
    const char *target_uri; /* required */
    const char *ip_address; /* WARC-IP-Address, or NULL when unknown */
    int64_t date_ns;        /* when the request was sent (WARC-Date); 0 = now */
    const void *request;    /* request line + headers (+ body) as sent */
    size_t request_len;
    const void *response_head; /* status line + headers + empty line, as received */
    size_t response_head_len;
    const fa_spool *body; /* the body exactly as transferred; may be NULL (empty) */
    int body_chunked;     /* body carries chunked framing: the payload digest
                             is computed over the de-chunked bytes */
} warc_exchange;

/* Where a record pair landed.  For the records of
 * segment_writer_write_records other than an exchange, response_id is the
 * record's id, request_id is "", and response_offset/length its frame. */
typedef struct warc_written {
    char request_id[48]; /* "<urn:uuid:...>" */
    char response_id[48];
    char payload_digest[40];  /* "sha1:BASE32" of the payload */
    char segment[256];        /* final file name (no folder, no .open) */
    uint64_t response_offset; /* offset of the response frame in the file */
    uint64_t response_length; /* compressed length of that frame */
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

/* A name: value line of a `metadata` record (application/warc-fields).
 * name: 1-256 token characters (letters, digits, !#$%&'*+-.^_`|~); value:
 * one line without control characters, at most 64 KiB. */
typedef struct warc_field {
    const char *name;
    const char *value;
} warc_field;

#define WARC_PROFILE_IDENTICAL "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
#define WARC_PROFILE_NOT_MODIFIED "http://netpreserve.org/warc/1.1/revisit/server-not-modified"

/* One record for segment_writer_write_record(s).  Everything is borrowed for
 * the call only.  By record_type:
 *
 *   RESPONSE      exchange (required): the request + response pair of
 *                 segment_writer_write_exchange; record_id (optional) is the
 *                 response's id; the other fields are ignored.
 *   REVISIT       target_uri, refers_to (the original's WARC-Record-ID),
 *                 refers_to_target_uri, refers_to_date (the original's
 *                 WARC-Date) and profile are required; payload_digest too for
 *                 WARC_PROFILE_IDENTICAL (the original's, "sha1:BASE32").
 *                 block: the HTTP response head as received (status line,
 *                 headers, empty line) - written with Content-Type
 *                 application/http;msgtype=response.  ip_address optional.
 *   METADATA      fields/n_fields (at least one) become the
 *                 application/warc-fields block; target_uri optional (the
 *                 record describes it), refers_to optional.
 *   CONVERSION    target_uri and refers_to (the record converted) required;
 *                 block: the converted content, content_type (NULL means
 *                 "text/plain; charset=utf-8").  WARC-Payload-Digest equals
 *                 the block digest.
 *
 * concurrent_to (WARC-Concurrent-To) may be given for every type but
 * RESPONSE.  date_ns 0 means now.  Record ids are "<urn:uuid:...>"; make
 * them with segment_writer_new_record_id so a group can refer to each
 * other. */
typedef struct warc_record_spec {
    warc_type record_type; /* required */
    const warc_exchange *exchange;
    const char *record_id;
    const char *target_uri;
    int64_t date_ns;
    const char *ip_address;
    const char *concurrent_to;
    const char *refers_to;
    const char *refers_to_target_uri;
    const char *refers_to_date;
    const char *profile;
    const char *payload_digest;
    const char *content_type;
    const void *block;
    size_t block_len;
    const warc_field *fields;
    size_t n_fields;
} warc_record_spec;

/* Writes a fresh "<urn:uuid:...>" record id into out. */
void segment_writer_new_record_id(char out[48]);

/* Validates and archives one record (see warc_record_spec).  out may be
 * NULL.  Returns 0, FA_EINVAL (with the reason in segment_writer_last_error,
 * nothing written) or an I/O code as segment_writer_write_exchange. */
int segment_writer_write_record(segment_writer *w, const warc_record_spec *spec, warc_written *out);

/* Archives n records as one group: all of them or none, adjacent, in this
 * order, in the same segment (a response with its metadata and conversion).
 * At most one spec may be a RESPONSE exchange.  outs may be NULL, else
 * it has n entries.  Every spec is validated before anything is written.
 * Returns as segment_writer_write_record. */
int segment_writer_write_records(segment_writer *w, const warc_record_spec *specs, size_t n,
                                 warc_written *outs);

/* (issue 14) Makes dict the dictionary of the records that follow: the
 * current segment is closed, and the next one starts with dict's frame.  A
 * writer takes a dictionary once (at open, from train_dict_after, or here).
 * dict is copied.  Returns 0, FA_EINVAL (not a zstd dictionary with an ID;
 * or the writer has one already), FA_ENOMEM, or the error of closing the
 * current segment (the dictionary is in use all the same). */
int segment_writer_set_dictionary(segment_writer *w, const void *dict, size_t len);

/* (issue 14) What a later run should use: a dictionary trained once, at
 * the end of a run, on the records sampled over it (train_dict_after must
 * have been set), in two steps so that the training can run beside the
 * writer's close.  segment_writer_take_samples takes the records sampled
 * so far off the writer into *out (each freed as copied: the reservoir is
 * not held twice; records written after it are sampled afresh), which then
 * belongs to the caller and outlives the writer; segment_samples_train
 * trains dict_size bytes on them, from any thread (*dict malloc'ed, or as
 * segment_dict_train); segment_samples_free releases them.  take: 0,
 * FA_EINVAL (no sampling, or fewer than 100 records sampled; *out is left
 * empty), FA_ENOMEM. */
typedef struct segment_samples {
    void *data;    /* the samples side by side */
    size_t *sizes; /* n of them */
    unsigned n;
    fa_observer obs; /* the writer's, told of the dictionary trained */
} segment_samples;
int segment_writer_take_samples(segment_writer *w, segment_samples *out);
int segment_samples_train(const segment_samples *s, size_t dict_size, void **dict, size_t *len);
void segment_samples_free(segment_samples *s);

/* Flushes the segment's data to disk (fsync) without closing it. */
int segment_writer_sync(segment_writer *w);

void segment_writer_get_stats(segment_writer *w, segment_writer_stats *out);

/* The newest segment the writer has opened ("" before the first), copied
 * into out.  A record written from now on lands in it or in a later one
 * (names sort in time order).  Thread-safe; takes the statistics' lock,
 * never the writer's, so the loop thread may ask at any time. */
void segment_writer_segment_name(segment_writer *w, char *out, size_t len);

/* The lowest name a segment of a writer with this prefix opened at now_ns
 * or later can have (names sort in time order): where a reader looking
 * for everything written from now on starts. */
void segment_writer_first_name(const char *prefix, int64_t now_ns, char *out, size_t len);

/* Copies the message of the writer's most recent error (write, roll-over,
 * sync or close; "" if none) into buf (len bytes, NUL-terminated).  The
 * same message is logged at error level with component "warc".  Safe from
 * any thread; with several writing threads it may describe another
 * thread's failure. */
void segment_writer_last_error(segment_writer *w, char *buf, size_t len);

/* Closes the current segment (fsync + rename, then its CDXJ index
 * `<segment>.cdxj`, sorted, tmp + fsync + rename) and frees the writer.  NULL is
 * accepted.  Returns 0 or the first error met. */
int segment_writer_close(segment_writer *w);

#endif
