/*
 * cmd_verify.c - `feedarc verify DIR...`: checks everything that can be
 * checked in an archive folder, and names each fault precisely.  Several
 * folders (a cluster's nodes' archives) are checked one after the other, a
 * summary line each and a total.
 *
 * For every closed segment, in name order:
 *   - every zstd frame decompresses and its checksum matches (the reader;
 *     a dictionary frame is loaded and each frame's Dictionary_ID checked);
 *   - every record parses (WARC/1.x, fields, Content-Length, CRLF CRLF);
 *   - the WARC 1.1 mandatory fields are there and well-formed
 *     (WARC-Record-ID, WARC-Date, WARC-Type, Content-Length; WARC-Target-URI
 *     for request, response, resource, revisit, conversion; for a revisit
 *     WARC-Refers-To-Target-URI, WARC-Refers-To-Date, WARC-Profile, and
 *     WARC-Payload-Digest for the identical-payload-digest profile);
 *   - WARC-Block-Digest and WARC-Payload-Digest match;
 *   - its `.cdxj`, when there is one: sorted in byte order, one line per
 *     indexed record, each line's offset the start of a frame whose record
 *     has that URL, with the frame's length.
 * After a corrupt frame the scan resumes at the next zstd frame magic (gzip
 * member magic in a .warc.gz, "WARC/" in a .warc), so one fault does not
 * hide the next.  .warc.gz and .warc files in DIR are checked the same way
 * (an export, see cmd_export.c).
 *
 * Each fault is one line on stdout:  FILE: offset N: record ID: what
 * then a summary.  Exit status: 0 no fault; 65 (EX_DATAERR) faults found;
 * 64 bad usage; 66 DIR cannot be read.
 */
#include "cli/cli.h"
#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "common/fa_time.h"
#include "storage/cdxj.h"
#include "storage/segment_recover.h"
#include "storage/warc_format.h"
#include "storage/warc_reader.h"
#include "storage/warc_record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define MAX_FAULTS_PER_SEGMENT 1000

typedef struct frame_seen {
    uint64_t offset, length;
    char *uri;   /* WARC-Target-URI or NULL */
    int indexed; /* the record belongs in the index */
    int matched; /* an index line pointed at it */
} frame_seen;

typedef struct verify_ctx {
    const char *dir;
    unsigned segments;
    uint64_t records, faults, seg_faults;
    frame_seen *frames;
    size_t n, cap;
} verify_ctx;

static void fault(verify_ctx *v, const char *file, uint64_t off, const char *id, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));
static void fault(verify_ctx *v, const char *file, uint64_t off, const char *id, const char *fmt,
                  ...)
{
    va_list ap;
    v->faults++;
    v->seg_faults++;
    if (v->seg_faults > MAX_FAULTS_PER_SEGMENT) return;
    printf("%s: offset %llu: record %s: ", file, (unsigned long long)off, id ? id : "-");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static int id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 3 || s[0] != '<' || s[n - 1] != '>') return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20) return 0;
    return 1;
}

static void check_record(verify_ctx *v, const char *file, const warc_record *rec)
{
    const char *id = warc_record_field(rec, "WARC-Record-ID");
    const char *type = warc_record_field(rec, "WARC-Type");
    warc_type t = warc_type_of(type);
    const char *date = warc_record_field(rec, "WARC-Date");
    const char *uri = warc_record_field(rec, "WARC-Target-URI");
    char why[1024];
    int64_t ns;
    if (strcmp(rec->version, "WARC/1.1") != 0 && strcmp(rec->version, "WARC/1.0") != 0)
        fault(v, file, rec->offset, id, "version \"%s\" is not WARC/1.1 or WARC/1.0", rec->version);
    if (!id_ok(id)) fault(v, file, rec->offset, id, "WARC-Record-ID missing or not \"<URI>\"");
    if (type == NULL) fault(v, file, rec->offset, id, "WARC-Type missing");
    if (date == NULL || fa_time_parse_rfc3339(date, &ns) < 0)
        fault(v, file, rec->offset, id, "WARC-Date missing or not an ISO 8601 date: %s",
              date ? date : "(none)");
    if ((t == WARC_TYPE_REQUEST || t == WARC_TYPE_RESPONSE || t == WARC_TYPE_RESOURCE ||
         t == WARC_TYPE_REVISIT || t == WARC_TYPE_CONVERSION) &&
        (uri == NULL || uri[0] == '\0'))
        fault(v, file, rec->offset, id, "a %s record without WARC-Target-URI", type);
    if (t == WARC_TYPE_REVISIT) {
        const char *profile = warc_record_field(rec, "WARC-Profile");
        const char *rdate = warc_record_field(rec, "WARC-Refers-To-Date");
        if (warc_record_field(rec, "WARC-Refers-To-Target-URI") == NULL)
            fault(v, file, rec->offset, id, "revisit without WARC-Refers-To-Target-URI");
        if (rdate == NULL || fa_time_parse_rfc3339(rdate, &ns) < 0)
            fault(v, file, rec->offset, id, "revisit without a valid WARC-Refers-To-Date");
        if (profile == NULL)
            fault(v, file, rec->offset, id, "revisit without WARC-Profile");
        else if (strstr(profile, "identical-payload-digest") &&
                 warc_record_field(rec, "WARC-Payload-Digest") == NULL)
            fault(v, file, rec->offset, id,
                  "identical-payload-digest revisit without WARC-Payload-Digest");
    }
    if ((t == WARC_TYPE_RESPONSE || t == WARC_TYPE_REQUEST || t == WARC_TYPE_REVISIT ||
         t == WARC_TYPE_WARCINFO || t == WARC_TYPE_METADATA || t == WARC_TYPE_CONVERSION) &&
        warc_record_field(rec, "WARC-Block-Digest") == NULL)
        fault(v, file, rec->offset, id, "no WARC-Block-Digest");
    if (warc_record_verify_digests(rec, why, sizeof why) < 0) {
        /* the message starts with "record <id> at offset N: " */
        const char *what = strstr(why, ": ");
        fault(v, file, rec->offset, id, "%s", what ? what + 2 : why);
    }
}

/* The next offset after from where the file's frame marker (zstd magic,
 * gzip magic, "WARC/": warc_reader_sync_marker) starts, or the file size. */
static uint64_t next_magic(const char *path, uint64_t from, const uint8_t *magic, size_t mlen)
{
    uint8_t buf[65536 + 4];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (fd >= 0) close(fd);
        return UINT64_MAX;
    }
    uint64_t off = from;
    while (off < (uint64_t)st.st_size) {
        ssize_t n = pread(fd, buf, sizeof buf, (off_t)off);
        if (n < (ssize_t)mlen) break;
        for (ssize_t i = 0; i + (ssize_t)mlen <= n; i++)
            if (memcmp(buf + i, magic, mlen) == 0) {
                close(fd);
                return off + (uint64_t)i;
            }
        off += (uint64_t)n - (mlen - 1);
    }
    close(fd);
    return (uint64_t)st.st_size;
}

static void frames_clear(verify_ctx *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->frames[i].uri);
    v->n = 0;
}

static frame_seen *frame_at(verify_ctx *v, uint64_t off)
{
    size_t lo = 0, hi = v->n; /* frames are appended in offset order */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->frames[mid].offset < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->n && v->frames[lo].offset == off ? &v->frames[lo] : NULL;
}

static void remember(verify_ctx *v, const warc_record *rec)
{
    if (v->n && v->frames[v->n - 1].offset >= rec->offset) return; /* several per frame */
    if (v->n == v->cap) {
        size_t c = v->cap ? v->cap * 2 : 1024;
        frame_seen *nf = realloc(v->frames, c * sizeof *nf);
        if (nf == NULL) return;
        v->frames = nf;
        v->cap = c;
    }
    const char *uri = warc_record_field(rec, "WARC-Target-URI");
    frame_seen *f = &v->frames[v->n++];
    f->offset = rec->offset;
    f->length = rec->length;
    f->uri = uri ? strdup(uri) : NULL;
    f->indexed = cdxj__indexable(warc_type_of(warc_record_field(rec, "WARC-Type")),
                                 warc_record_field(rec, "Content-Type")) &&
                 uri != NULL;
    f->matched = 0;
}

static void check_index(verify_ctx *v, const char *name, const char *path)
{
    char idx[4096], prev_ok = 0;
    snprintf(idx, sizeof idx, "%s" CDXJ_SUFFIX, path);
    FILE *in = fopen(idx, "r");
    if (in == NULL) {
        fprintf(stderr, "feedarc verify: note: %s has no index (feedarc index %s writes it)\n",
                path, v->dir);
        return;
    }
    char *line = NULL, *prev = NULL;
    size_t cap = 0, prev_cap = 0;
    ssize_t n;
    uint64_t lineno = 0;
    while ((n = getline(&line, &cap, in)) > 0) {
        lineno++;
        char off[32], len[32], file[512], url[8192];
        const char *json = strchr(line, '{');
        if (prev_ok && strcmp(prev, line) > 0)
            fault(v, idx, 0, NULL, "line %llu is out of order (the index must be sorted)",
                  (unsigned long long)lineno);
        if (json == NULL || !cdxj_json_field(json, "offset", off, sizeof off) ||
            !cdxj_json_field(json, "length", len, sizeof len) ||
            !cdxj_json_field(json, "filename", file, sizeof file) ||
            !cdxj_json_field(json, "url", url, sizeof url)) {
            fault(v, idx, 0, NULL, "line %llu lacks url, offset, length or filename",
                  (unsigned long long)lineno);
            goto next;
        }
        uint64_t o = strtoull(off, NULL, 10), l = strtoull(len, NULL, 10);
        frame_seen *f = frame_at(v, o);
        if (strcmp(file, name) != 0)
            fault(v, idx, o, NULL, "line %llu names file %s, not %s", (unsigned long long)lineno,
                  file, name);
        else if (f == NULL)
            fault(v, idx, o, NULL,
                  "line %llu: offset %llu is not the start of a readable frame of %s",
                  (unsigned long long)lineno, (unsigned long long)o, name);
        else if (f->length != l)
            fault(v, idx, o, NULL, "line %llu: length %llu but the frame is %llu bytes",
                  (unsigned long long)lineno, (unsigned long long)l, (unsigned long long)f->length);
        else if (f->uri == NULL || strcmp(f->uri, url) != 0)
            fault(v, idx, o, NULL, "line %llu: url %s but the record there is for %s",
                  (unsigned long long)lineno, url, f->uri ? f->uri : "(no URI)");
        else
            f->matched++;
    next:
        if ((size_t)n + 1 > prev_cap) {
            char *np = realloc(prev, (size_t)n + 1);
            if (np == NULL) break;
            prev = np;
            prev_cap = (size_t)n + 1;
        }
        memcpy(prev, line, (size_t)n + 1);
        prev_ok = 1;
    }
    fclose(in);
    free(line);
    free(prev);
    for (size_t i = 0; i < v->n; i++) {
        if (v->frames[i].indexed && v->frames[i].matched == 0)
            fault(v, idx, v->frames[i].offset, NULL, "the %s record at this offset is not indexed",
                  v->frames[i].uri ? v->frames[i].uri : "");
        else if (v->frames[i].matched > 1)
            fault(v, idx, v->frames[i].offset, NULL, "indexed %d times", v->frames[i].matched);
    }
}

static int verify_segment(void *ud, const char *name)
{
    verify_ctx *v = ud;
    char path[4096], err[1024];
    warc_reader *r = NULL;
    warc_record rec;
    v->segments++;
    v->seg_faults = 0;
    frames_clear(v);
    snprintf(path, sizeof path, "%s/%s", v->dir, name);
    if (warc_reader_open(path, 0, &r, err, sizeof err) < 0) {
        const char *what = strncmp(err, path, strlen(path)) == 0 ? err + strlen(path) + 2 : err;
        fault(v, path, 0, NULL, "%s", what);
        return 0;
    }
    /* whole blocks are not needed: their digests are computed as they
     * stream by, so a frame's size never becomes memory */
    warc_reader_set_block_limit(r, 1u << 20);
    uint64_t end = 0; /* of the last good frame */
    int rc, first = 1;
    uint8_t magic[5];
    size_t mlen = warc_reader_sync_marker(r, magic);
    for (;;) {
        rc = warc_reader_next(r, &rec);
        if (rc == 0) break;
        if (rc == 1) {
            v->records++;
            warc_type type = warc_type_of(warc_record_field(&rec, "WARC-Type"));
            if (first && type != WARC_TYPE_WARCINFO)
                fprintf(stderr, "feedarc verify: note: %s does not start with a warcinfo record\n",
                        path);
            first = 0;
            check_record(v, path, &rec);
            remember(v, &rec);
            end = rec.offset + rec.length;
            continue;
        }
        /* a fault: report it, then resume at the next frame */
        const char *e = warc_reader_error(r);
        const char *what = strncmp(e, path, strlen(path)) == 0 ? e + strlen(path) + 2 : e;
        if (strncmp(what, "offset ", 7) == 0) { /* "offset N: ..." -> "..." */
            const char *c = strchr(what, ':');
            if (c) what = c + 2;
        }
        fault(v, path, end, NULL, "%s", what);
        if (v->seg_faults > MAX_FAULTS_PER_SEGMENT) break;
        uint64_t at = next_magic(path, end + 1, magic, mlen);
        for (;;) {
            struct stat st;
            if (stat(path, &st) < 0 || at >= (uint64_t)st.st_size) goto done;
            rc = warc_reader_read_at(r, at, &rec);
            if (rc == 1) break;
            at = next_magic(path, at + 1, magic, mlen);
        }
        v->records++;
        check_record(v, path, &rec);
        remember(v, &rec);
        end = rec.offset + rec.length;
    }
done:
    warc_reader_close(r);
    check_index(v, name, path);
    return 0;
}

/* One folder: its summary line; 0, 65 (faults) or 66. */
static int verify_dir(const char *dir, unsigned *segments, uint64_t *records, uint64_t *faults)
{
    struct stat st;
    int e = stat(dir, &st) < 0 ? errno : 0;
    if (e || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "feedarc verify: %s: %s\n", dir, e ? strerror(e) : "not a folder");
        return 66;
    }
    verify_ctx v = {.dir = dir};
    int rc = segment_list_readable(dir, verify_segment, &v);
    frames_clear(&v);
    free(v.frames);
    if (rc < 0) {
        fprintf(stderr, "feedarc verify: %s: %s\n", dir, fa_strerror(rc));
        return 66;
    }
    printf("%s: %u segments, %llu records, %llu fault%s\n", dir, v.segments,
           (unsigned long long)v.records, (unsigned long long)v.faults, v.faults == 1 ? "" : "s");
    *segments += v.segments, *records += v.records, *faults += v.faults;
    return v.faults ? 65 : 0;
}

int cmd_verify(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: feedarc verify DIR... (see feedarc help verify)\n");
        return EXIT_USAGE;
    }
    unsigned segments = 0;
    uint64_t records = 0, faults = 0;
    int code = 0;
    for (int i = 1; i < argc; i++) {
        int c = verify_dir(argv[i], &segments, &records, &faults);
        if (c > code) code = c; /* 66 over 65 over 0 */
    }
    if (argc > 2)
        printf("total: %d folders, %u segments, %llu records, %llu fault%s\n", argc - 1, segments,
               (unsigned long long)records, (unsigned long long)faults, faults == 1 ? "" : "s");
    fflush(stdout);
    return code;
}
