/*
 * segment_recover.h - after a crash: make every segment whole again, and
 * tell the crawler what the archive really holds.
 *
 * A segment being written is `*.warc.zst.open`.  If feedarc died (kill -9,
 * power loss), the file may end in a partial frame, a record whose digests
 * do not verify, or a request whose response never came.  Recovery reads it
 * frame by frame, keeps everything up to the last complete request+response
 * pair (or warcinfo) whose frames decompress and whose digests verify,
 * truncates the rest, fsyncs, renames it to its final name and writes its
 * CDXJ index (cdxj.h).  A file with nothing valid in it is removed.  A
 * group of records (segment_writer_write_records) cut by the crash keeps
 * its whole records: a response always keeps its request.
 *
 * Each kept response (and revisit) record is reported to a callback, so the crawl state
 * can be reconciled with the disk: records written after the last state
 * commit are then known, and not fetched (and archived) again.
 */
#ifndef SEGMENT_RECOVER_H
#define SEGMENT_RECOVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct segment_response_info {
    const char *segment;        /* final file name, no folder */
    const char *target_uri;
    const char *record_id;      /* "<urn:uuid:...>" */
    const char *payload_digest; /* "sha1:..." or "" */
    const char *warc_date;      /* as written */
    uint64_t offset, length;    /* the response frame in the file */
    const char *http_head;      /* status line + headers (not NUL-terminated) */
    size_t http_head_len;
} segment_response_info;

/* Return 0 to go on, negative to stop (the code is returned). */
typedef int (*segment_response_cb)(void *ud, const segment_response_info *r);

/* Recovers every `*.warc.zst.open` in dir (see above), calling cb (may be
 * NULL) for each response kept.  Returns the number of segments recovered
 * (>= 0) or a negative code with a message in err. */
int segment_recover_dir(const char *dir, segment_response_cb cb, void *ud, char *err,
                        size_t errlen);

/* The final name (without ".open") of the oldest `*.warc.zst.open` in dir
 * into out.  Returns 1 when there is one, 0 when there is none, or a
 * negative code. */
int segment_oldest_open(const char *dir, char *out, size_t outlen);

/* Calls cb for each response record of one closed segment (path), in
 * order.  Returns 0 or a negative code with a message in err. */
int segment_scan_responses(const char *path, segment_response_cb cb, void *ud, char *err,
                           size_t errlen);

/* Lists the closed segments in dir whose names sort at or after `from`
 * (all when from is NULL or ""), in name order (which is time order);
 * calls fn for each.  Returns 0 or a negative code. */
int segment_list_from(const char *dir, const char *from,
                      int (*fn)(void *ud, const char *name), void *ud);

/* The same for the readers (ls, get, verify, index, text, dedup-report):
 * every closed segment and every `*.warc.gz` and `*.warc` file of dir (an
 * export, a wget or Browsertrix WARC dropped into the folder), in name
 * order.  The crawler's own scans use segment_list_from. */
int segment_list_readable(const char *dir, int (*fn)(void *ud, const char *name), void *ud);

#endif
