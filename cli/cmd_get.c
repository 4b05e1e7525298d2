/*
 * cmd_get.c - `feedarc get DIR... URL [--at YYYYMMDDhhmmss]`: the archived
 * payload of URL on stdout.  Several folders (a cluster's nodes' archives,
 * docs/SCALING.md) are one collection: the capture closest to --at (else
 * the latest) among all of them, and a revisit is followed into whichever
 * folder holds the original.
 *
 * The capture is found through the CDXJ indexes (cdxj_find: the closest to
 * --at, else the latest; a segment without an index is read instead), and
 * only its frame is decompressed (warc_reader_read_at).  A revisit is
 * followed to the record it refers to (WARC-Refers-To-Target-URI at
 * WARC-Refers-To-Date).  The payload is the HTTP body with any chunked
 * transfer framing removed; a Content-Encoding (gzip, br) is left as
 * archived - pipe through `gzip -d` when the stored headers say so
 * (--headers shows them).  Digests are checked before anything is written.
 *
 * Exit status: 0 written; 1 no capture of URL; 64 bad usage; 65 the record
 * is corrupt; 66 DIR cannot be read; 74 write error.
 */
#include "cli/cli.h"
#include "common/fa_dechunk.h"
#include "common/fa_err.h"
#include "storage/cdxj.h"
#include "storage/warc_format.h"
#include "storage/warc_reader.h"
#include "storage/warc_record.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int discard(void *ud, const void *data, size_t n)
{
    (void)ud;
    (void)data;
    (void)n;
    return 0;
}

static int put(void *ud, const void *data, size_t n)
{
    return fwrite(data, 1, n, ud) == n ? 0 : FA_EIO;
}

/* Seconds since the epoch of a 14-digit timestamp ("at" padded with zeros). */
static int64_t ts_seconds(const char *ts)
{
    char d[15] = "00000101000000";
    size_t n = strlen(ts);
    memcpy(d, ts, n < 14 ? n : 14);
    struct tm tm = {0};
    tm.tm_year = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0') - 1900;
    tm.tm_mon = (d[4] - '0') * 10 + (d[5] - '0') - 1;
    tm.tm_mday = (d[6] - '0') * 10 + (d[7] - '0');
    tm.tm_hour = (d[8] - '0') * 10 + (d[9] - '0');
    tm.tm_min = (d[10] - '0') * 10 + (d[11] - '0');
    tm.tm_sec = (d[12] - '0') * 10 + (d[13] - '0');
    if (tm.tm_mon < 0) tm.tm_mon = 0;
    if (tm.tm_mday < 1) tm.tm_mday = 1;
    return (int64_t)timegm(&tm);
}

/* 1 when capture a (of one folder) is a better answer than b (of an
 * earlier folder): closer to at (a tie goes to the later), or later. */
static int better(const cdxj_capture *a, const cdxj_capture *b, const char *at)
{
    int64_t ta = ts_seconds(a->timestamp), tb = ts_seconds(b->timestamp);
    if (at) {
        int64_t w = ts_seconds(at), da = llabs(ta - w), db = llabs(tb - w);
        if (da != db) return da < db;
    }
    return ta >= tb;
}

/* Finds url (at `at`) in dirs[0..n), reads its record; returns an exit code. */
static int get_one(char **dirs, int n, const char *url, const char *at, int originals_only,
                   int headers, int depth)
{
    cdxj_capture c, k;
    memset(&c, 0, sizeof c);
    char err[1024] = "", path[4096];
    const char *dir = NULL;
    for (int i = 0; i < n; i++) {
        int rc = cdxj_find(dirs[i], url, at, originals_only, &k, err, sizeof err);
        if (rc < 0) {
            fprintf(stderr, "feedarc get: %s\n", err);
            return rc == FA_ECORRUPT || rc == FA_EPARSE ? 65 : 66;
        }
        if (rc > 0 && (dir == NULL || better(&k, &c, at))) c = k, dir = dirs[i];
    }
    if (dir == NULL) {
        fprintf(stderr, "feedarc get: no capture of %s%s%s in %s%s\n", url, at ? " at " : "",
                at ? at : "", dirs[0], n > 1 ? " (nor the other folders)" : "");
        return 1;
    }
    snprintf(path, sizeof path, "%s/%s", dir, c.segment);
    warc_reader *r = NULL;
    warc_record rec;
    if (warc_reader_open(path, 0, &r, err, sizeof err) < 0) {
        fprintf(stderr, "feedarc get: %s\n", err);
        return 65;
    }
    int code = 0;
    int rc = warc_reader_read_at(r, c.offset, &rec);
    if (rc != 1) {
        fprintf(stderr, "feedarc get: %s (the index points to offset %llu)\n", warc_reader_error(r),
                (unsigned long long)c.offset);
        code = 65;
        goto out;
    }
    if (warc_type_of(warc_record_field(&rec, "WARC-Type")) == WARC_TYPE_REVISIT) {
        const char *to = warc_record_field(&rec, "WARC-Refers-To-Target-URI");
        const char *date = warc_record_field(&rec, "WARC-Refers-To-Date");
        char ts[15] = "";
        size_t t = 0;
        for (const char *d = date; d && *d && t < 14; d++)
            if (*d >= '0' && *d <= '9') ts[t++] = *d;
        ts[t] = '\0';
        if (to == NULL || t != 14 || depth > 0) {
            fprintf(stderr, "feedarc get: %s: the revisit at offset %llu names no original\n", path,
                    (unsigned long long)c.offset);
            code = 65;
            goto out;
        }
        char target[8192];
        snprintf(target, sizeof target, "%s", to);
        warc_reader_close(r);
        return get_one(dirs, n, target, ts, 1, headers, depth + 1);
    }
    if (warc_record_verify_digests(&rec, err, sizeof err) < 0) {
        fprintf(stderr, "feedarc get: %s: %s\n", path, err);
        code = 65;
        goto out;
    }
    size_t head = warc__http_head_len(rec.block, rec.block_len);
    if (head == 0) {
        fprintf(stderr, "feedarc get: %s: offset %llu: the HTTP head never ends\n", path,
                (unsigned long long)c.offset);
        code = 65;
        goto out;
    }
    if (headers) fwrite(rec.block, 1, head, stderr);
    const uint8_t *body = rec.block + head;
    size_t body_len = rec.block_len - head;
    if (warc__http_is_chunked(rec.block, head)) {
        fa_dechunk dc;
        fa_dechunk_init(&dc);
        /* check the framing first, so a broken one writes the raw body
         * (1: complete; 0: well-formed but cut short - its chunks so far) */
        if (fa_dechunk_feed(&dc, body, body_len, discard, NULL) >= 0) {
            fa_dechunk_init(&dc);
            rc = fa_dechunk_feed(&dc, body, body_len, put, stdout);
            if (rc < 0) code = EXIT_IOERR;
            goto out;
        }
    }
    if (put(stdout, body, body_len) < 0) code = EXIT_IOERR;
out:
    warc_reader_close(r);
    if (code == 0 && fflush(stdout) == EOF) code = EXIT_IOERR;
    return code;
}

int cmd_get(int argc, char **argv)
{
    static const struct option opts[] = {{"at", required_argument, NULL, 'a'},
                                         {"headers", no_argument, NULL, 'H'},
                                         {NULL, 0, NULL, 0}};
    const char *at = NULL;
    int headers = 0, ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "a:H", opts, NULL)) != -1) {
        switch (ch) {
        case 'a':
            at = optarg;
            break;
        case 'H':
            headers = 1;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind + 2 > argc) {
        fprintf(stderr,
                "usage: feedarc get DIR... URL [--at YYYYMMDDhhmmss] (see feedarc help get)\n");
        return EXIT_USAGE;
    }
    if (at) {
        size_t n = strlen(at);
        if (n < 4 || n > 14 || strspn(at, "0123456789") != n) {
            fprintf(stderr, "feedarc get: --at %s: want YYYYMMDDhhmmss (4 to 14 digits)\n", at);
            return EXIT_USAGE;
        }
    }
    int n = argc - optind - 1;
    for (int i = optind; i < argc - 1; i++) {
        struct stat st;
        if (stat(argv[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "feedarc get: %s: not a readable folder\n", argv[i]);
            return 66;
        }
    }
    return get_one(argv + optind, n, argv[argc - 1], at, 0, headers, 0);
}
