/*
 * cdxj.h - CDXJ indexes of warc.zst segments, the way pywb and OutbackCDX
 * read them.
 *
 * One line per indexed record:
 *
 *   com,example)/news?a=1&b=2 20261123153700 {"url":"http://www.example.com/news?b=2&a=1",
 *     "mime":"text/html","status":"200","digest":"BASE32","length":"1234",
 *     "offset":"5678","filename":"feedarc-20261123153700-00000.warc.zst"}
 *
 * (one line in the file).  The key is the SURT of the target URI as pywb,
 * OutbackCDX and warcio compute it: the URL lowercased, "www." (www2. ...)
 * dropped, the host's labels reversed and joined by ',', a non-default port
 * after ':', ')', the path ("/" when empty), and the query arguments sorted.
 * The timestamp is the 14 digits of WARC-Date.  offset and length are the
 * record's zstd frame in the compressed file: a reader seeks to offset and
 * decompresses length bytes.  mime is the HTTP Content-Type without
 * parameters (response), "warc/revisit" (revisit) or the record's whole
 * Content-Type (others, as warcio.js does); status and mime are left out
 * when there are none.  digest is WARC-Payload-Digest without its "sha1:"
 * prefix, as warcio's cdx-index and pywb's cdxj-indexer write it (another
 * algorithm keeps its label).  These are the bytes `warcio cdx-index`
 * prints for the same records, field for field.
 *
 * Indexed record types follow warcio (and pywb's cdxj-indexer): response,
 * revisit, resource, conversion, and metadata unless its Content-Type is
 * application/warc-fields; never warcinfo or request.
 *
 * Files: `<segment>.cdxj` next to each closed segment, sorted in byte order
 * (LC_ALL=C sort), written at close by the segment writer (tmp + fsync +
 * rename); `index.cdxj` in the archive folder is the merge of them all,
 * written by cdxj_index_dir (`feedarc index DIR`).
 */
#ifndef CDXJ_H
#define CDXJ_H

#include "common/fa_buf.h"
#include "storage/warc_format.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CDXJ_SUFFIX ".cdxj"
#define CDXJ_MERGED "index.cdxj"

/* Writes the SURT key of url into out (outlen bytes).  A URL that is not
 * http(s) is copied as it is.  A key is never longer than its URL plus
 * CDXJ_SURT_SLACK bytes, so an out of strlen(url) + CDXJ_SURT_SLACK + 1
 * bytes always holds it.  Returns 0, or FA_ETOOBIG when out is too small
 * (out then holds a truncated, NUL-terminated prefix), or FA_ENOMEM. */
#define CDXJ_SURT_SLACK 8
int cdxj_surt(const char *url, char *out, size_t outlen);

/* Writes the index of one closed segment, dir/segment + ".cdxj", reading
 * the segment (atomically: tmp + fsync + rename).  *lines (may be NULL)
 * gets the number of index lines.  Returns 0 or a negative code with a
 * message in err. */
int cdxj_index_segment(const char *dir, const char *segment, uint64_t *lines, char *err,
                       size_t errlen);

typedef struct cdxj_dir_stats {
    unsigned segments; /* closed segments seen */
    unsigned rebuilt;  /* of which (re)indexed */
    uint64_t lines;    /* lines in the merged index */
} cdxj_dir_stats;

/* Indexes every closed segment of dir that has no .cdxj (or all of them
 * when all is set), then writes dir/index.cdxj, the streaming k-way merge
 * of every segment's index (atomically).  stats may be NULL.  Returns 0 or
 * a negative code with a message in err. */
int cdxj_index_dir(const char *dir, int all, cdxj_dir_stats *stats, char *err, size_t errlen);

/* Merges n files of sorted lines into out, in byte order.  Streams: one line
 * per input in memory.  Lines are at most 1 MiB (FA_ETOOBIG past that).
 * Returns 0 or a negative code. */
int cdxj_merge(FILE **in, size_t n, FILE *out);

/* A capture found by cdxj_find. */
typedef struct cdxj_capture {
    char segment[256];  /* file name in the archive folder */
    char timestamp[15]; /* 14 digits */
    char status[4];
    int revisit; /* mime is warc/revisit */
    uint64_t offset, length;
} cdxj_capture;

/* Looks url up in the per-segment indexes of dir (a segment without a
 * .cdxj is read instead): among its HTTP captures (lines with a status:
 * responses and revisits), the one closest in time to at ("YYYYMMDDhhmmss",
 * fewer digits pad with zeros; ties go to the later), or the latest when at
 * is NULL.  originals_only skips revisits.  A segment's index speaks for
 * that segment only: a line whose filename is not the segment's own name
 * (say "../outside.warc.zst") is never followed, so out->segment is always
 * the name of a segment in dir.  Returns 1 with *out set, 0 when there is
 * no capture, FA_ECORRUPT (message in err) when the only lines for url name
 * another file, or another negative code with a message in err. */
int cdxj_find(const char *dir, const char *url, const char *at, int originals_only,
              cdxj_capture *out, char *err, size_t errlen);

/* Copies the string (or bare number) value of "key" in the JSON object text
 * of a CDXJ line into out (unescaping \" and \\).  Returns 1 when found. */
int cdxj_json_field(const char *json, const char *key, char *out, size_t outlen);

/* ---- internal to storage/ -------------------------------------------- */

/* 1 when a record of this type and Content-Type goes into the index. */
int cdxj__indexable(warc_type type, const char *content_type);

/* Mime (without parameters) and status ("200") of an HTTP message head;
 * empty strings when there are none. */
void cdxj__http_info(const void *head, size_t len, char mime[128], char status[4]);

/* Appends the part of a line that is known before the record is placed:
 * `SURT TS14 {"url":..,"mime":..,"status":..,"digest":..,"length":"N",`.
 * mime, status and digest may be NULL or "" (left out). */
int cdxj__line_head(fa_buf *b, const char *uri, const char *warc_date, const char *mime,
                    const char *status, const char *digest, uint64_t length);

/* Finishes the line: `"offset":"N","filename":"F"}` and LF. */
int cdxj__line_tail(fa_buf *b, uint64_t offset, const char *filename);

/* Appends the whole line of a record read back (see warc_reader.h).
 * Returns 1 when the record is indexed, 0 when it is not, or a negative
 * code. */
struct warc_record;
int cdxj__record_line(fa_buf *b, const struct warc_record *rec, const char *filename);

/* The index lines of one segment being written: kept in memory up to
 * max_bytes, then sorted and spilled to an unlinked temporary file in the
 * archive folder; cdxj__acc_finish sorts and merges it all into the final
 * file. */
typedef struct cdxj__acc {
    char **lines;
    size_t n, cap;
    size_t bytes, max_bytes;
    FILE **runs;
    size_t n_runs;
    int dirfd; /* borrowed */
} cdxj__acc;

void cdxj__acc_init(cdxj__acc *a, int dirfd, size_t max_bytes);
/* Takes a copy of line (with its LF). */
int cdxj__acc_add(cdxj__acc *a, const char *line, size_t len);
/* Writes dirfd/name (tmp + fsync + rename) and empties the accumulator. */
int cdxj__acc_finish(cdxj__acc *a, const char *name);
/* Writes every line so far, sorted, to out and empties the accumulator. */
int cdxj__acc_write(cdxj__acc *a, FILE *out);
/* Drops everything (the accumulator stays usable). */
void cdxj__acc_reset(cdxj__acc *a);

#endif
