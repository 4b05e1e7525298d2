/*
 * cmd_ls.c - `feedarc ls DIR...`: one line per record of every closed segment
 * of an archive folder, in segment name order (which is time order); with
 * several folders (a cluster's nodes' archives, docs/SCALING.md) one folder
 * after the other, as one collection:
 *
 *   20261123153700 response 200 14233 http://example.org/news/1
 *
 * time (WARC-Date, 14 digits), WARC-Type, HTTP status ("-" when the record
 * is not an HTTP message), block size in bytes (Content-Length), target
 * URI ("-" when none).  Exit status: 0 listed; 64 bad usage; 65 a segment
 * is corrupt (what was read before is listed; the fault goes to stderr);
 * 66 DIR cannot be read.
 */
#include "cli/cli.h"
#include "common/fa_err.h"
#include "storage/cdxj.h"
#include "storage/segment_recover.h"
#include "storage/warc_reader.h"
#include "storage/warc_record.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Block bytes held per record (the HTTP head must be in them); the rest
 * only streams by.  A listing that finds this many bad frames stops. */
#define LS_BLOCK_KEEP (1u << 20)
#define MAX_FAULTS 1000

typedef struct ls_ctx {
    const char *dir;
    int faults;
} ls_ctx;

static int ls_segment(void *ud, const char *name)
{
    ls_ctx *c = ud;
    char path[4096], err[512];
    warc_reader *r = NULL;
    warc_record rec;
    int rc;
    snprintf(path, sizeof path, "%s/%s", c->dir, name);
    if (warc_reader_open(path, 0, &r, err, sizeof err) < 0) {
        fprintf(stderr, "feedarc ls: %s\n", err);
        c->faults++;
        return 0;
    }
    warc_reader_set_block_limit(r, LS_BLOCK_KEEP);
    uint64_t at = 0;
    for (;;) {
        rc = warc_reader_next(r, &rec);
        if (rc == 0) break;
        if (rc < 0) { /* report the bad frame, go on after it */
            fprintf(stderr, "feedarc ls: %s\n", warc_reader_error(r));
            c->faults++;
            if (warc_reader_tell(r) <= at || c->faults > MAX_FAULTS) break;
            at = warc_reader_tell(r);
            continue;
        }
        at = warc_reader_tell(r);
        const char *type = warc_record_field(&rec, "WARC-Type");
        const char *date = warc_record_field(&rec, "WARC-Date");
        const char *uri = warc_record_field(&rec, "WARC-Target-URI");
        const char *ct = warc_record_field(&rec, "Content-Type");
        char ts[15] = "-", mime[128], status[4] = "";
        size_t t = 0;
        for (const char *d = date; d && *d && t < 14; d++)
            if (*d >= '0' && *d <= '9') ts[t++] = *d;
        if (t) ts[t] = '\0';
        if (ct && strncmp(ct, "application/http", 16) == 0) {
            size_t head = warc__http_head_len(rec.block, rec.block_len);
            cdxj__http_info(rec.block, head ? head : rec.block_len, mime, status);
        }
        printf("%s %s %s %llu %s\n", ts, type ? type : "-", status[0] ? status : "-",
               (unsigned long long)rec.content_length, uri ? uri : "-");
    }
    warc_reader_close(r);
    return 0;
}

int cmd_ls(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: feedarc ls DIR... (see feedarc help ls)\n");
        return EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int e = stat(argv[i], &st) < 0 ? errno : 0;
        if (e || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "feedarc ls: %s: %s\n", argv[i], e ? strerror(e) : "not a folder");
            return 66;
        }
    }
    ls_ctx c = {NULL, 0};
    for (int i = 1; i < argc; i++) {
        c.dir = argv[i];
        int rc = segment_list_readable(argv[i], ls_segment, &c);
        if (rc < 0) {
            fprintf(stderr, "feedarc ls: %s: %s\n", argv[i], fa_strerror(rc));
            return 66;
        }
    }
    if (fflush(stdout) == EOF) return EXIT_IOERR;
    return c.faults ? 65 : 0;
}
