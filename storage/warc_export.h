/*
 * warc_export.h - the records of an archive folder as a standard .warc.gz
 * (with its CDXJ index) or as a WACZ package, for the tools archivists
 * open archives with (pywb, ReplayWeb.page, warcio, wget's users' tools).
 *
 * Records are copied byte for byte: the WARC record bytes in the output are
 * those stored in the warc.zst frames (same headers, record ids, digests),
 * each compressed as one gzip member.  Selection (since, until, URL prefix)
 * is by WARC-Date and WARC-Target-URI; the records that belong to a
 * selected response come along whatever their own date or URI: its request
 * (WARC-Concurrent-To names the response), its metadata and conversion
 * records (WARC-Concurrent-To or WARC-Refers-To names it).  Each source
 * segment's warcinfo record is copied before the first record selected
 * from that segment.
 *
 * .warc.gz: OUT and OUT.cdxj (sorted CDXJ, offsets and lengths of the gzip
 * members in OUT, filename = OUT's file name; the lines `warcio cdx-index`
 * prints for OUT).
 *
 * WACZ 1.1.1 (https://specs.webrecorder.net/wacz/1.1.1/), a ZIP with every
 * entry stored:
 *   archive/data.warc.gz    the .warc.gz above
 *   indexes/index.cdx.gz    the CDXJ, sorted, in gzip members of 3,000
 *                           lines (the ZipNum layout) - without the
 *                           conversion records' lines: ReplayWeb.page keys
 *                           its index by URL and time, which a conversion
 *                           shares with its page, and would serve the text
 *                           for the page (or nothing) - and
 *   indexes/index.idx       one line per member: its first key, offset and
 *                           length (ReplayWeb.page loads an index.cdx.gz
 *                           through its .idx)
 *   pages/pages.jsonl       {"format": "json-pages-1.0", "id": "pages",
 *                           "title": "All Pages"}, then one line per page
 *                           (a 200 text/html response or revisit): id, url,
 *                           ts, title (the feed item's title from feedarc's
 *                           metadata record, else the page's <title>)
 *   datapackage.json        profile "data-package", wacz_version "1.1.1",
 *                           resources: name, path, hash "sha256:...", bytes
 *   datapackage-digest.json the SHA-256 of datapackage.json
 *
 * Memory does not grow with the archive: records stream through; the
 * index lines are sorted in runs of at most 16 MiB spilled to unlinked
 * temporary files next to OUT and merged; pages go to such a file too.
 * Outputs are written as NAME.tmp and renamed when complete.
 */
#ifndef WARC_EXPORT_H
#define WARC_EXPORT_H

#include <stddef.h>
#include <stdint.h>

typedef struct warc_export_stats {
    uint64_t segments;        /* source files read */
    uint64_t records_read;    /* records seen */
    uint64_t records_written; /* records exported */
    uint64_t warc_bytes;      /* uncompressed WARC bytes exported */
    uint64_t out_bytes;       /* bytes of the .warc.gz (or its entry) so far */
    uint64_t index_lines;
    uint64_t pages;
    const char *segment; /* being read (valid during the progress call) */
} warc_export_stats;

/* The level `feedarc export` uses (docs/BENCHMARKS.md: speed and size). */
#define WARC_EXPORT_DEFAULT_LEVEL 0

typedef struct warc_export_options {
    /* WARC-Date bounds as 14 digits ("YYYYMMDDhhmmss"), inclusive; NULL or
     * "" for none (see warc_export_time_bound) */
    const char *since, *until;
    const char *url_prefix; /* WARC-Target-URI starts with it; NULL for any */
    int wacz;               /* 1: a WACZ package instead of .warc.gz */
    int level;              /* gzip level 0..3 (ISA-L igzip; 0 fastest) */
    const char *software;   /* datapackage.json "software"; NULL: "feedarc" */
    /* called after every record (may be NULL); must not keep the pointer */
    void (*progress)(void *ud, const warc_export_stats *st);
    void *progress_ud;
} warc_export_options;

/* Exports the records of every readable file of dir (closed warc.zst
 * segments, .warc.gz, .warc; see segment_list_readable) to out_path.
 * stats may be NULL.  Returns 0, or a negative code with a message in err
 * (nothing is left at out_path then).  A source file that cannot be read
 * to its end is an error (FA_ECORRUPT): `feedarc verify` says more. */
int warc_export(const char *dir, const char *out_path, const warc_export_options *opt,
                warc_export_stats *stats, char *err, size_t errlen);

/* Turns a user's time into a 14-digit bound: "YYYY[MM[DD[hh[mm[ss]]]]]"
 * (4 to 14 digits) or an ISO 8601 date-time ("2026-11-23T15:37:00Z";
 * punctuation is dropped the same way).  Missing digits are filled for the
 * start of the period (upper = 0: "2026" -> 20260000000000) or its end
 * (upper = 1: "2026" -> 20269999999999).  Returns 0, or FA_EINVAL. */
int warc_export_time_bound(const char *in, int upper, char out[15]);

#endif
