/*
 * cmd_import_opml.c - `feedarc import-opml FILE`: the sources: entries an
 * OPML subscription list would add, as YAML to paste into a config.
 *
 * Reads FILE with crawler/feeds/opml (the same reader `- opml: FILE` sources use),
 * skips outlines whose xmlUrl repeats an earlier one or is not http(s)
 * (a warning with the line on stderr), and prints
 *
 *   sources:
 *     - url: "https://example.org/feed.xml"
 *       name: "Example"          # category: News/Local
 *       type: auto
 *
 * Strings are written as YAML double-quoted scalars, so any title is safe.
 * Exit status: 0 printed; 64 bad usage; 65 not OPML (EX_DATAERR); 66 FILE
 * cannot be opened; 74 read error.
 */
#include "cli/cli.h"
#include "common/fa_url.h"
#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "common/fa_hashset.h"
#include "crawler/feeds/opml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct import {
    fa_buf out;
    fa_hashset seen;
    const char *file;
    unsigned added, skipped;
} import;

/* Appends s as a YAML double-quoted scalar (control characters escaped). */
static int put_quoted(fa_buf *b, const char *s)
{
    int rc = fa_buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p; p++) {
        if (*p == '"' || *p == '\\')
            rc = fa_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            rc = fa_buf_printf(b, "\\x%02X", *p);
        else
            rc = fa_buf_append(b, p, 1);
    }
    if (rc == 0) rc = fa_buf_puts(b, "\"");
    return rc;
}

static int on_outline(void *ud, const opml_outline *o)
{
    import *im = ud;
    const char *u = o->xml_url;
    if (!fa_url_is_http(u)) {
        fprintf(stderr, "%s:%d: skipped: xmlUrl \"%.200s\" is not an http(s) URL\n", im->file,
                o->line, u);
        im->skipped++;
        return 0;
    }
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *s = (const unsigned char *)u; *s; s++)
        h = (h ^ *s) * 1099511628211ULL;
    int rc = fa_hashset_add(&im->seen, h ? h : 1);
    if (rc < 0) return rc;
    if (rc == 0) {
        fprintf(stderr, "%s:%d: skipped: %s is listed twice\n", im->file, o->line, u);
        im->skipped++;
        return 0;
    }
    rc = fa_buf_puts(&im->out, "  - url: ");
    if (rc == 0) rc = put_quoted(&im->out, u);
    if (rc == 0 && *o->title) rc = fa_buf_puts(&im->out, "\n    name: ");
    if (rc == 0 && *o->title) rc = put_quoted(&im->out, o->title);
    if (rc == 0 && *o->category) {
        /* a comment: keep it on one line */
        rc = fa_buf_puts(&im->out, "   # category: ");
        for (const char *c = o->category; rc == 0 && *c; c++)
            rc = fa_buf_append(&im->out, (*c == '\n' || *c == '\r') ? " " : c, 1);
    }
    if (rc == 0) rc = fa_buf_puts(&im->out, "\n    type: auto\n");
    if (rc < 0) return rc;
    im->added++;
    return 0;
}

int cmd_import_opml(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: feedarc import-opml FILE  (see feedarc help import-opml)\n");
        return EXIT_USAGE;
    }
import im;
    memset(&im, 0, sizeof im);
    im.file = argv[1];
    fa_buf_init(&im.out, (size_t)256 << 20);
    fa_hashset_init(&im.seen);
    char err[512];
    int code = 0;
    int rc = opml_read_file(argv[1], on_outline, &im, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "feedarc import-opml: %s\n", err[0] ? err : fa_strerror(rc));
        code = rc == FA_ENOENT   ? 66
               : rc == FA_EIO    ? EXIT_IOERR
               : rc == FA_ENOMEM ? EXIT_SOFTWARE
                                 : 65;
        goto out;
    }
    fputs(im.added ? "sources:\n" : "sources: []\n", stdout);
    if (im.out.len) fwrite(im.out.data, 1, im.out.len, stdout);
    fprintf(stderr, "%u feeds, %u skipped\n", im.added, im.skipped);
out:
    fa_buf_free(&im.out);
    fa_hashset_free(&im.seen);
    return code;
}
