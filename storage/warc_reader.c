/*
 * warc_reader.c - WARC records back out of .warc.zst segments and .warc
 * files.
 *
 * How a file is walked
 * --------------------
 * The first four bytes decide the kind: a zstd frame or skippable-frame
 * magic means warc.zst, the gzip magic 1F 8B means .warc.gz, "WARC/" means
 * an uncompressed WARC.
 *
 * warc.zst: the file is a sequence of frames.  At each offset:
 *   - a skippable frame (magic 0x184D2A50..5F) is stepped over using the
 *     size in its 8-byte header.  The dictionary frame (0x184D2A5D) at the
 *     start of a file was read at open: its dictionary (raw or itself
 *     zstd-compressed, see segment_dict.h) is referenced by the DCtx as a
 *     DDict, so every frame after it decompresses with it, and a frame that
 *     names another Dictionary_ID is reported as such;
 *   - a zstd frame is located with ZSTD_findFrameCompressedSize over a read
 *     window that doubles until the whole frame is in it (capped: a frame can
 *     never be larger than ZSTD_compressBound(max_record)), then
 *     decompressed with the streaming API, the output buffer growing with
 *     the bytes that come out - never allocated from the size the frame
 *     header declares (a 200-byte frame may claim 1 GiB) - under the
 *     max_record ceiling; windows over 128 MiB are refused.  With a block
 *     limit (ls, verify), a record longer than the limit keeps only its
 *     head: the rest goes through a 128 KiB scratch buffer into SHA-1s of
 *     the block and the payload, so an RLE bomb (a few KiB inflating to
 *     900 MiB) costs time, not memory.  The frame checksum is verified by
 *     zstd.  After an error inside a frame the reader is positioned at the
 *     next frame (warc_reader_tell).
 *   - the decompressed bytes hold one WARC record (feedarc's layout) or
 *     several (a whole .warc compressed as one frame); each is parsed in
 *     turn and reports the frame's offset.
 * .warc.gz: the same walk, member by member: each gzip member is inflated
 * whole (warc_gz.c, under the same ceiling) and plays the part of a frame
 * (its offset and compressed length are the record's).
 * .warc: records are parsed straight from the read window.
 *
 * A record is parsed strictly: "WARC/x.y" CRLF, fields "Name: value" CRLF
 * (folded continuation lines are joined), an empty line, Content-Length
 * bytes of block, CRLF CRLF.  The header text is copied into the reader so
 * that names and values can be NUL-terminated; the block is not copied.
 *
 * Every error names the file offset and what was wrong there.
 */
#include "storage/warc_reader.h"
#include "storage/segment_dict.h"
#include "storage/warc_format.h"
#include "storage/warc_gz.h"
#include "storage/warc_record.h"

#include "common/fa_digest.h"
#include "common/fa_err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#define DEFAULT_MAX_RECORD (1ULL << 30)
#define MAX_HELD_FRAME (64u << 20) /* with a block limit: several records' frame */
#define WINDOW_LOG_MAX 27          /* 128 MiB, zstd's own default ceiling */
#define MAX_WARC_HEADER (1u << 20) /* ceiling on one record's header text */
#define MAX_FIELDS 1024
#define WINDOW_MIN (1u << 20)
#define FRAME_PEEK 18 /* the largest zstd frame header */

enum { KIND_ZST, KIND_PLAIN, KIND_GZ };

struct warc_reader {
    int fd;
    int kind;
    char *path;
    uint64_t file_size;
    uint64_t max_record;
    uint64_t pos; /* next frame (or plain record) in the file */
    ZSTD_DCtx *dctx;
    ZSTD_DDict *ddict; /* the segment's dictionary, or NULL */
    uint32_t dict_id;
    warc__gz_in *gz;   /* .warc.gz: the inflate state */

    /* read window: win_len bytes of the file from win_off */
    uint8_t *win;
    size_t win_len, win_cap, win_max;
    uint64_t win_off;

    /* decompressed content of the frame at frame_off */
    uint8_t *dec;
    size_t dec_len, dec_cap, dec_pos;
    uint64_t frame_off, frame_len;

    /* block limit (0: whole blocks); see warc_reader_set_block_limit */
    size_t keep;
    size_t last_hl;    /* header length and Content-Length of the last */
    uint64_t last_len; /* header parse_record got through */
    /* the frame's one record, streamed past its first keep block bytes */
    int streaming;
    size_t s_hl, s_head; /* its header length; its HTTP head length (0: none) */
    uint64_t s_len, s_seen; /* its Content-Length; bytes of it seen so far */
    uint8_t s_trailer[WARC__TRAILER_LEN];
    fa_sha1 *sha_block, *sha_payload, *sha_raw;
    warc_payload payload;
    uint8_t block_sha1[20], payload_sha1[20];
    uint8_t *scratch;

    /* the current record's header, NUL-split, and its fields */
    char *hdr;
    size_t hdr_cap;
    warc_header_field *fields;
    size_t fields_cap;

    char err[512];
};

static int fail(warc_reader *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(warc_reader *r, int code, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(r->err, sizeof r->err, "%s: %s", r->path, what);
    return code;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Grows an allocation to hold need bytes (doubling); returns the possibly
 * moved block, or NULL (the old block untouched) when out of memory. */
static void *grow(void *p, size_t *cap, size_t need)
{
    if (need <= *cap && p != NULL) return p;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c = c > (size_t)-1 / 2 ? need : c * 2;
    void *np = realloc(p, c);
    if (np != NULL) *cap = c;
    return np;
}

/* Makes at least `need` bytes from off available in the window (fewer only
 * at the end of the file).  *p and *avail describe what is there. */
static int window(warc_reader *r, uint64_t off, size_t need, const uint8_t **p, size_t *avail)
{
    void *np;
    *p = NULL;
    *avail = 0;
    if (off >= r->win_off && off - r->win_off <= r->win_len) {
        size_t have = r->win_len - (size_t)(off - r->win_off);
        if (have >= need || off + have >= r->file_size) {
            *p = r->win + (off - r->win_off);
            *avail = have;
            return 0;
        }
    }
    uint64_t left = off < r->file_size ? r->file_size - off : 0;
    size_t want = need > WINDOW_MIN ? need : WINDOW_MIN;
    if (want > left) want = (size_t)left;
    if (want > r->win_max)
        return fail(r, FA_ETOOBIG, "offset %llu: record needs more than %zu bytes of buffer",
                    (unsigned long long)off, r->win_max);
    size_t keep = 0;
    if (off >= r->win_off && off - r->win_off < r->win_len) {
        keep = r->win_len - (size_t)(off - r->win_off);
        memmove(r->win, r->win + (off - r->win_off), keep);
    }
    if ((np = grow(r->win, &r->win_cap, want ? want : 1)) == NULL)
        return fail(r, FA_ENOMEM, "offset %llu: out of memory for %zu bytes",
                    (unsigned long long)off, want);
    r->win = np;
    size_t got = keep;
    while (got < want) {
        ssize_t n = pread(r->fd, r->win + got, want - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return fail(r, fa_err_from_errno(errno), "offset %llu: read: %s",
                        (unsigned long long)off + got, strerror(errno));
        if (n == 0) break; /* the file shrank under us */
        got += (size_t)n;
    }
    r->win_off = off;
    r->win_len = got;
    *p = r->win;
    *avail = got;
    return 0;
}

/* Parses the record at p (avail bytes known; complete = no more will come).
 * Returns 1 with *used set, 0 when more bytes are needed (*need), or an
 * error. */
static int parse_record(warc_reader *r, const uint8_t *p, size_t avail, int complete, uint64_t off,
                        warc_record *rec, size_t *used, size_t *need)
{
    void *np;
    size_t hl = 0;
    const uint8_t *q = p;
    size_t scan = avail < MAX_WARC_HEADER ? avail : MAX_WARC_HEADER;
    while (scan && (q = memchr(q, '\r', scan - (size_t)(q - p))) != NULL) {
        if ((size_t)(q - p) + 4 <= scan && memcmp(q, "\r\n\r\n", 4) == 0) {
            hl = (size_t)(q - p) + 4;
            break;
        }
        q++;
    }
    if (avail >= 5 && memcmp(p, "WARC/", 5) != 0)
        return fail(r, FA_EPARSE, "offset %llu: record does not start with \"WARC/\"",
                    (unsigned long long)off);
    if (hl == 0) {
        if (scan == MAX_WARC_HEADER)
            return fail(r, FA_ETOOBIG, "offset %llu: WARC header longer than %u bytes",
                        (unsigned long long)off, MAX_WARC_HEADER);
        if (complete)
            return fail(r, FA_ECORRUPT,
                        "offset %llu: record truncated inside its WARC header "
                        "(%zu bytes, no empty line)",
                        (unsigned long long)off, avail);
        *need = avail * 2 > MAX_WARC_HEADER ? MAX_WARC_HEADER : avail * 2;
        return 0;
    }
    if (memchr(p, '\0', hl) != NULL)
        return fail(r, FA_EPARSE, "offset %llu: NUL byte in the WARC header",
                    (unsigned long long)off);
    /* copy the header so that fields can be NUL-terminated in place */
    if ((np = grow(r->hdr, &r->hdr_cap, hl + 1)) == NULL)
        return fail(r, FA_ENOMEM, "offset %llu: out of memory", (unsigned long long)off);
    r->hdr = np;
    memcpy(r->hdr, p, hl);
    r->hdr[hl] = '\0';
    char *s = r->hdr, *end = r->hdr + hl - 2; /* end: the empty line */
    char *eol = strstr(s, "\r\n");
    *eol = '\0';
    rec->version = s;
    size_t nf = 0;
    char *wp = NULL; /* end of the last value, for folded lines */
    int line = 1;
    for (s = eol + 2; s < end; s = eol + 2) {
        line++;
        eol = strstr(s, "\r\n");
        *eol = '\0';
        if (*s == ' ' || *s == '\t') { /* continuation of the previous value */
            if (nf == 0)
                return fail(r, FA_EPARSE,
                            "offset %llu: header line %d is a continuation "
                            "with nothing to continue",
                            (unsigned long long)off, line);
            while (*s == ' ' || *s == '\t')
                s++;
            *wp++ = ' ';
            size_t n = strlen(s);
            memmove(wp, s, n + 1);
            wp += n;
            continue;
        }
        char *colon = strchr(s, ':');
        if (colon == NULL || colon == s)
            return fail(r, FA_EPARSE, "offset %llu: header line %d has no \"Name:\"",
                        (unsigned long long)off, line);
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        char *ve = v + strlen(v);
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            *--ve = '\0';
        if (nf == MAX_FIELDS)
            return fail(r, FA_ETOOBIG, "offset %llu: more than %d header fields",
                        (unsigned long long)off, MAX_FIELDS);
        if ((np = grow(r->fields, &r->fields_cap, (nf + 1) * sizeof *r->fields)) == NULL)
            return fail(r, FA_ENOMEM, "offset %llu: out of memory", (unsigned long long)off);
        r->fields = np;
        r->fields[nf].name = s;
        r->fields[nf].value = v;
        nf++;
        wp = ve;
    }
    rec->fields = r->fields;
    rec->n_fields = nf;
    const char *cl = warc_record_field(rec, "Content-Length");
    if (cl == NULL)
        return fail(r, FA_EPARSE, "offset %llu: no Content-Length", (unsigned long long)off);
    uint64_t len = 0;
    int overflow = 0;
    const char *c = cl;
    for (; *c >= '0' && *c <= '9'; c++) {
        if (len > (UINT64_MAX - 9) / 10)
            overflow = 1; /* all digits, but more than 64 bits hold */
        else
            len = len * 10 + (uint64_t)(*c - '0');
    }
    if (c == cl || *c != '\0')
        return fail(r, FA_EPARSE, "offset %llu: Content-Length \"%s\" is not a number",
                    (unsigned long long)off, cl);
    if (overflow)
        return fail(r, FA_ETOOBIG,
                    "offset %llu: Content-Length %s is too large (the ceiling is %llu bytes)",
                    (unsigned long long)off, cl, (unsigned long long)r->max_record);
    if (len > r->max_record)
        return fail(r, FA_ETOOBIG,
                    "offset %llu: Content-Length %llu exceeds the %llu-byte "
                    "ceiling",
                    (unsigned long long)off, (unsigned long long)len,
                    (unsigned long long)r->max_record);
    r->last_hl = hl;
    r->last_len = len;
    size_t total = hl + (size_t)len + WARC__TRAILER_LEN;
    if (total > avail) {
        if (complete && avail - hl < len)
            return fail(r, FA_ECORRUPT,
                        "offset %llu: record truncated: Content-Length %llu "
                        "but only %zu bytes of block follow the header (and no CRLF CRLF "
                        "trailer)",
                        (unsigned long long)off, (unsigned long long)len, avail - hl);
        if (complete)
            return fail(r, FA_ECORRUPT,
                        "offset %llu: record truncated: the block of Content-Length %llu is "
                        "whole but its CRLF CRLF trailer is cut after %zu of its 4 bytes",
                        (unsigned long long)off, (unsigned long long)len,
                        avail - hl - (size_t)len);
        *need = total;
        return 0;
    }
    if (memcmp(p + hl + len, WARC__TRAILER, WARC__TRAILER_LEN) != 0)
        return fail(r, FA_ECORRUPT,
                    "offset %llu: block of Content-Length %llu is not followed "
                    "by CRLF CRLF (wrong length?)",
                    (unsigned long long)off, (unsigned long long)len);
    rec->block = p + hl;
    rec->block_len = (size_t)len;
    rec->content_length = len;
    rec->raw = p;
    rec->raw_len = total;
    *used = total;
    return 1;
}

/* Feeds n bytes of the streamed record (those after the s_seen first) to
 * its digests: block bytes to the block digest (and, past the HTTP head, to
 * the payload digests), then the trailer; a byte beyond is an error. */
static int stream_feed(warc_reader *r, const uint8_t *d, size_t n)
{
    uint64_t pos = r->s_seen, end = pos + n;
    uint64_t b0 = r->s_hl, b1 = r->s_hl + r->s_len, t1 = b1 + WARC__TRAILER_LEN;
    r->s_seen = end;
    if (end > t1)
        return fail(r, FA_ECORRUPT,
                    "offset %llu: more bytes follow a record of %llu bytes in its frame (a record "
                    "larger than the block limit must be alone in its frame)",
                    (unsigned long long)r->frame_off, (unsigned long long)r->s_len);
    uint64_t a = pos > b0 ? pos : b0, z = end < b1 ? end : b1;
    if (a < z) {
        fa_sha1_update(r->sha_block, d + (a - pos), (size_t)(z - a));
        uint64_t h = b0 + r->s_head;
        if (r->s_head && z > h) {
            uint64_t ah = a > h ? a : h;
            warc_payload_feed(&r->payload, d + (ah - pos), (size_t)(z - ah));
        }
    }
    a = pos > b1 ? pos : b1;
    for (; a < end; a++)
        r->s_trailer[a - b1] = d[a - pos];
    return 0;
}

/* The streamed record's frame has ended: it must have been whole. */
static int stream_end(warc_reader *r)
{
    uint64_t total = r->s_hl + r->s_len + WARC__TRAILER_LEN;
    if (r->s_seen < total)
        return r->s_seen < r->s_hl + r->s_len
                   ? fail(r, FA_ECORRUPT,
                          "offset %llu: record truncated: Content-Length %llu but only %llu "
                          "bytes of block follow the header (and no CRLF CRLF trailer)",
                          (unsigned long long)r->frame_off, (unsigned long long)r->s_len,
                          (unsigned long long)(r->s_seen - r->s_hl))
                   : fail(r, FA_ECORRUPT,
                          "offset %llu: record truncated: the block of Content-Length %llu is "
                          "whole but its CRLF CRLF trailer is cut after %llu of its 4 bytes",
                          (unsigned long long)r->frame_off, (unsigned long long)r->s_len,
                          (unsigned long long)(r->s_seen - r->s_hl - r->s_len));
    if (memcmp(r->s_trailer, WARC__TRAILER, WARC__TRAILER_LEN) != 0)
        return fail(r, FA_ECORRUPT,
                    "offset %llu: block of Content-Length %llu is not followed by CRLF CRLF "
                    "(wrong length?)",
                    (unsigned long long)r->frame_off, (unsigned long long)r->s_len);
    fa_sha1_final(r->sha_block, r->block_sha1);
    if (r->s_head) warc_payload_end(&r->payload, r->payload_sha1);
    return 0;
}

/* With a block limit, while the frame's first record comes out: once its
 * header is known, a record longer than the limit switches the frame to
 * streaming (its first keep block bytes stay in r->dec).  *done is set once
 * that is decided. */
static int probe_record(warc_reader *r, uint64_t off, int *done)
{
    warc_record tmp;
    size_t used = 0, need = 0;
    memset(&tmp, 0, sizeof tmp);
    r->last_hl = 0;
    int rc = parse_record(r, r->dec, r->dec_len, 0, off, &tmp, &used, &need);
    if (rc < 0) return rc;
    if (rc == 1) { /* whole already: an ordinary record */
        *done = 1;
        return 0;
    }
    if (r->last_hl == 0) return 0; /* the header goes on */
    size_t hl = r->last_hl;
    if (r->last_len <= r->keep) {
        *done = 1;
        return 0;
    }
    if (r->dec_len < hl + r->keep) return 0; /* its first keep bytes first */
    /* switch to streaming */
    if (r->scratch == NULL && (r->scratch = malloc(ZSTD_DStreamOutSize())) == NULL)
        return fail(r, FA_ENOMEM, "offset %llu: out of memory", (unsigned long long)off);
    if ((r->sha_block == NULL && (r->sha_block = fa_sha1_new()) == NULL) ||
        (r->sha_payload == NULL && (r->sha_payload = fa_sha1_new()) == NULL) ||
        (r->sha_raw == NULL && (r->sha_raw = fa_sha1_new()) == NULL))
        return fail(r, FA_ENOMEM, "offset %llu: out of memory", (unsigned long long)off);
    r->s_hl = hl;
    r->s_len = r->last_len;
    r->s_seen = 0;
    memset(r->s_trailer, 0, sizeof r->s_trailer);
    const char *ct = warc_record_field(&tmp, "Content-Type");
    r->s_head = 0;
    if (ct && strncasecmp(ct, "application/http", 16) == 0)
        r->s_head = warc__http_head_len(r->dec + hl, r->keep);
    uint8_t dummy[20]; /* contexts left mid-way by an earlier broken frame */
    fa_sha1_final(r->sha_block, dummy);
    fa_sha1_final(r->sha_payload, dummy);
    fa_sha1_final(r->sha_raw, dummy);
    warc_payload_begin(&r->payload, r->sha_payload, r->sha_raw,
                       r->s_head && warc__http_is_chunked(r->dec + hl, r->s_head));
    size_t have = r->dec_len;
    r->dec_len = hl + r->keep;
    r->streaming = 1;
    *done = 1;
    return stream_feed(r, r->dec, have);
}

/* Decompresses the frame at r->pos into r->dec.  Returns 1, 0 at the end
 * of the file, or an error. */
static int next_frame(warc_reader *r)
{
    void *np;
    const uint8_t *p;
    size_t avail;
    int rc;
    for (;;) {
        uint64_t off = r->pos;
        if (off >= r->file_size) {
            struct stat st; /* an .open segment may have grown */
            if (fstat(r->fd, &st) == 0) r->file_size = (uint64_t)st.st_size;
            if (off >= r->file_size) return 0;
        }
        rc = window(r, off, FRAME_PEEK, &p, &avail);
        if (rc < 0) return rc;
        if (avail < 4)
            return fail(r, FA_ECORRUPT, "offset %llu: %zu stray bytes at the end of the file",
                        (unsigned long long)off, avail);
        uint32_t magic = le32(p);
        if ((magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START) {
            if (avail < 8)
                return fail(r, FA_ECORRUPT, "offset %llu: truncated skippable frame header",
                            (unsigned long long)off);
            uint64_t skip = 8 + (uint64_t)le32(p + 4);
            if (off + skip > r->file_size)
                return fail(r, FA_ECORRUPT,
                            "offset %llu: skippable frame of %llu bytes runs "
                            "past the end of the file",
                            (unsigned long long)off, (unsigned long long)skip);
            r->pos = off + skip;
            continue;
        }
        if (magic != ZSTD_MAGICNUMBER)
            return fail(r, FA_ECORRUPT, "offset %llu: not a zstd frame (magic 0x%08x)",
                        (unsigned long long)off, magic);
        size_t csize;
        for (;;) {
            csize = ZSTD_findFrameCompressedSize(p, avail);
            if (!ZSTD_isError(csize)) break;
            if (ZSTD_getErrorCode(csize) != ZSTD_error_srcSize_wrong)
                return fail(r, FA_ECORRUPT, "offset %llu: corrupt zstd frame: %s",
                            (unsigned long long)off, ZSTD_getErrorName(csize));
            if (off + avail >= r->file_size)
                return fail(r, FA_ECORRUPT,
                            "offset %llu: zstd frame truncated (file ends "
                            "%zu bytes later)",
                            (unsigned long long)off, avail);
            size_t more = avail > r->win_max / 2 ? r->win_max : avail * 2;
            if (more <= avail)
                return fail(r, FA_ETOOBIG, "offset %llu: zstd frame larger than %zu bytes",
                            (unsigned long long)off, r->win_max);
            rc = window(r, off, more, &p, &avail);
            if (rc < 0) return rc;
        }
        unsigned frame_dict = ZSTD_getDictID_fromFrame(p, csize);
        if (frame_dict != 0 && frame_dict != r->dict_id)
            return fail(r, FA_ECORRUPT,
                        r->dict_id ? "offset %llu: frame needs dictionary %u but the file's "
                                     "dictionary frame holds dictionary %u"
                                   : "offset %llu: frame needs dictionary %u but the file has "
                                     "no dictionary frame%.0u",
                        (unsigned long long)off, frame_dict, r->dict_id);
        unsigned long long content = ZSTD_getFrameContentSize(p, csize);
        if (content == ZSTD_CONTENTSIZE_ERROR)
            return fail(r, FA_ECORRUPT, "offset %llu: bad zstd frame header",
                        (unsigned long long)off);
        /* whatever happens inside the frame, the next one is after it */
        r->frame_off = off;
        r->frame_len = csize;
        r->pos = off + csize;
        r->dec_len = r->dec_pos = 0;
        r->streaming = 0;
        uint64_t hold = r->max_record;
        if (r->keep && hold > MAX_HELD_FRAME) hold = MAX_HELD_FRAME;
        if (content != ZSTD_CONTENTSIZE_UNKNOWN && content > r->max_record)
            return fail(r, FA_ETOOBIG,
                        "offset %llu: frame decompresses to %llu bytes, "
                        "over the %llu-byte ceiling",
                        (unsigned long long)off, content, (unsigned long long)r->max_record);
        /* Streamed, whatever the header declares: memory follows the
         * bytes that actually come out. */
        ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
        ZSTD_inBuffer in = {p, csize, 0};
        size_t ret = 1;
        int probed = r->keep == 0; /* the first record's size is known */
        while (ret != 0) {
            size_t room = ZSTD_DStreamOutSize();
            ZSTD_outBuffer out;
            if (r->streaming) {
                out = (ZSTD_outBuffer){r->scratch, room, 0};
            } else {
                if (r->dec_len > hold)
                    return fail(r, FA_ETOOBIG,
                                "offset %llu: frame decompresses to more than "
                                "the %llu-byte ceiling%s",
                                (unsigned long long)off, (unsigned long long)hold,
                                hold < r->max_record ? " for a frame of several records" : "");
                if ((np = grow(r->dec, &r->dec_cap, r->dec_len + room + 1)) == NULL)
                    return fail(r, FA_ENOMEM, "offset %llu: out of memory",
                                (unsigned long long)off);
                r->dec = np;
                out = (ZSTD_outBuffer){r->dec + r->dec_len, room, 0};
            }
            ret = ZSTD_decompressStream(r->dctx, &out, &in);
            if (ZSTD_isError(ret))
                return fail(r, FA_ECORRUPT, "offset %llu: zstd frame does not decompress: %s",
                            (unsigned long long)off, ZSTD_getErrorName(ret));
            if (ret != 0 && in.pos == in.size && out.pos == 0)
                return fail(r, FA_ECORRUPT, "offset %llu: zstd frame ends early",
                            (unsigned long long)off);
            if (r->streaming) {
                if ((rc = stream_feed(r, r->scratch, out.pos)) < 0) return rc;
                continue;
            }
            r->dec_len += out.pos;
            if (!probed && (rc = probe_record(r, off, &probed)) < 0) return rc;
        }
        if (r->streaming) {
            if ((rc = stream_end(r)) < 0) return rc;
            return 1;
        }
        if (r->dec_len > r->max_record)
            return fail(r, FA_ETOOBIG,
                        "offset %llu: frame decompresses to more than the "
                        "%llu-byte ceiling",
                        (unsigned long long)off, (unsigned long long)r->max_record);
        if (r->dec_len > 0) return 1;
        /* an empty frame holds no record: go on */
    }
}

/* .warc.gz: inflates the member at r->pos into r->dec.  Returns 1, 0 at
 * the end of the file, or an error. */
static int next_member(warc_reader *r)
{
    char why[400];
    for (;;) {
        uint64_t off = r->pos, clen = 0;
        if (off >= r->file_size) {
            struct stat st;
            if (fstat(r->fd, &st) == 0) r->file_size = (uint64_t)st.st_size;
            if (off >= r->file_size) return 0;
        }
        r->dec_len = r->dec_pos = 0;
        int rc = warc__gz_member(r->gz, r->fd, off, r->file_size, r->max_record, &r->dec,
                                 &r->dec_cap, &r->dec_len, &clen, why, sizeof why);
        if (rc < 0) return fail(r, rc, "%s", why);
        r->frame_off = off;
        r->frame_len = clen;
        r->pos = off + clen;
        if (r->dec_len > 0) return 1;
        /* an empty member holds no record: go on */
    }
}

int warc_reader_next(warc_reader *r, warc_record *rec)
{
    int rc;
    size_t used = 0, need = 0;
    memset(rec, 0, sizeof *rec);
    if (r->kind == KIND_PLAIN) {
        uint64_t off = r->pos;
        if (off >= r->file_size) {
            struct stat st;
            if (fstat(r->fd, &st) == 0) r->file_size = (uint64_t)st.st_size;
            if (off >= r->file_size) return 0;
        }
        need = (size_t)64 * 1024;
        for (;;) {
            const uint8_t *p;
            size_t avail;
            rc = window(r, off, need, &p, &avail);
            if (rc < 0) return rc;
            rc = parse_record(r, p, avail, off + avail >= r->file_size, off, rec, &used, &need);
            if (rc != 0) break;
        }
        if (rc < 0) return rc;
        rec->offset = off;
        rec->length = used;
        r->pos = off + used;
        return 1;
    }
    if (r->dec_pos >= r->dec_len) {
        rc = r->kind == KIND_GZ ? next_member(r) : next_frame(r);
        if (rc < 0) { /* nothing of a bad frame is read: the next call goes on after it */
            r->dec_len = r->dec_pos = 0;
            r->streaming = 0;
        }
        if (rc <= 0) return rc;
    }
    if (r->streaming) { /* its header and first keep block bytes are held */
        rc = parse_record(r, r->dec, r->dec_len, 0, r->frame_off, rec, &used, &need);
        r->dec_pos = r->dec_len;
        r->streaming = 0;
        if (rc < 0) return rc;
        rec->block = r->dec + r->s_hl;
        rec->block_len = r->dec_len - r->s_hl;
        rec->content_length = r->s_len;
        rec->raw = NULL; /* not whole in memory: streamed */
        rec->raw_len = 0;
        rec->block_sha1 = r->block_sha1;
        rec->payload_sha1 = r->s_head ? r->payload_sha1 : NULL;
        rec->offset = r->frame_off;
        rec->length = r->frame_len;
        return 1;
    }
    uint64_t at = r->dec_pos;
    rc = parse_record(r, r->dec + r->dec_pos, r->dec_len - r->dec_pos, 1, r->frame_off, rec, &used,
                      &need);
    if (rc < 0) {
        r->dec_pos = r->dec_len; /* do not parse the rest of a broken frame */
        if (at > 0) {
            size_t n = strlen(r->err);
            snprintf(r->err + n, sizeof r->err - n, " (at byte %llu of the decompressed frame)",
                     (unsigned long long)at);
        }
        return rc;
    }
    r->dec_pos += used;
    rec->offset = r->frame_off;
    rec->length = r->frame_len;
    return 1;
}

int warc_reader_read_at(warc_reader *r, uint64_t offset, warc_record *rec)
{
    r->pos = offset;
    r->dec_len = r->dec_pos = 0;
    int rc = warc_reader_next(r, rec);
    if (rc == 0)
        return fail(r, FA_ENOENT, "offset %llu: no record there (end of file)",
                    (unsigned long long)offset);
    return rc;
}

/* Reads the dictionary frame at offset 0 into a DDict the DCtx refers to. */
static int load_dict(warc_reader *r, char *msg, size_t msglen)
{
    void *dict = NULL;
    size_t len = 0;
    int rc = segment_dict_from_segment(r->path, &dict, &len, msg, msglen);
    if (rc < 0) return rc;
    r->ddict = ZSTD_createDDict(dict, len);
    r->dict_id = ZSTD_getDictID_fromDict(dict, len);
    free(dict);
    if (r->ddict == NULL || ZSTD_isError(ZSTD_DCtx_refDDict(r->dctx, r->ddict))) {
        snprintf(msg, msglen, "%s: offset 0: the dictionary frame's dictionary is unusable",
                 r->path);
        return FA_ECORRUPT;
    }
    return 0;
}

void warc_reader_set_block_limit(warc_reader *r, size_t keep)
{
    r->keep = keep;
}

uint64_t warc_reader_tell(const warc_reader *r)
{
    return r->pos;
}

size_t warc_reader_sync_marker(const warc_reader *r, uint8_t out[5])
{
    static const uint8_t zst[4] = {0x28, 0xB5, 0x2F, 0xFD};
    static const uint8_t gz[3] = {WARC__GZ_MAGIC0, WARC__GZ_MAGIC1, 8};
    if (r->kind == KIND_GZ) return memcpy(out, gz, 3), 3;
    if (r->kind == KIND_PLAIN) return memcpy(out, "WARC/", 5), 5;
    return memcpy(out, zst, 4), 4;
}

uint32_t warc_reader_dict_id(const warc_reader *r)
{
    return r ? r->dict_id : 0;
}

int warc_reader_open(const char *path, uint64_t max_record, warc_reader **out, char *err,
                     size_t errlen)
{
    int rc = 0;
    warc_reader *r = NULL;
    char msg[512] = "";
    *out = NULL;
    r = calloc(1, sizeof *r);
    if (r != NULL) r->fd = -1;
    if (r == NULL || (r->path = strdup(path)) == NULL) {
        rc = FA_ENOMEM;
        goto out;
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        rc = fa_err_from_errno(errno);
        snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
        goto out;
    }
    struct stat st;
    if (fstat(r->fd, &st) < 0) {
        rc = fa_err_from_errno(errno);
        snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
        goto out;
    }
    r->file_size = (uint64_t)st.st_size;
    r->max_record = max_record ? max_record : DEFAULT_MAX_RECORD;
    if (r->max_record > SIZE_MAX / 4) r->max_record = SIZE_MAX / 4;
    /* a frame is never bigger than the bound of its content; a plain record
     * is its header, block and trailer */
    r->win_max = ZSTD_compressBound((size_t)r->max_record) + MAX_WARC_HEADER + 64;
    r->dctx = ZSTD_createDCtx();
    if (r->dctx == NULL) {
        rc = FA_ENOMEM;
        goto out;
    }
    ZSTD_DCtx_setParameter(r->dctx, ZSTD_d_windowLogMax, WINDOW_LOG_MAX);
    uint8_t magic[5] = {0};
    ssize_t n = pread(r->fd, magic, sizeof magic, 0);
    if (n < 0) {
        rc = fa_err_from_errno(errno);
        snprintf(msg, sizeof msg, "%s: read: %s", path, strerror(errno));
        goto out;
    }
    uint32_t m = le32(magic);
    if (n == 0 || (n >= 4 && (m == ZSTD_MAGICNUMBER ||
                              (m & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START))) {
        r->kind = KIND_ZST; /* (an empty file has no records either way) */
        if (n >= 4 && m == SEGMENT_DICT_MAGIC) {
            rc = load_dict(r, msg, sizeof msg);
            if (rc < 0) goto out;
        }
    } else if (n >= 2 && magic[0] == WARC__GZ_MAGIC0 && magic[1] == WARC__GZ_MAGIC1) {
        r->kind = KIND_GZ;
        if ((r->gz = warc__gz_in_new()) == NULL) {
            rc = FA_ENOMEM;
            goto out;
        }
    } else if (n == 5 && memcmp(magic, "WARC/", 5) == 0) {
        r->kind = KIND_PLAIN;
    } else {
        rc = FA_EPARSE;
        snprintf(msg, sizeof msg,
                 "%s: neither a zstd-compressed, a gzip-compressed nor a plain WARC file "
                 "(first bytes %02x %02x %02x %02x)",
                 path, magic[0], magic[1], magic[2], magic[3]);
        goto out;
    }
out:
    if (rc < 0) {
        if (msg[0] == '\0') snprintf(msg, sizeof msg, "%s: %s", path, fa_strerror(rc));
        if (err && errlen) snprintf(err, errlen, "%s", msg);
        warc_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

const char *warc_reader_error(const warc_reader *r)
{
    return r ? r->err : "no reader";
}

const char *warc_record_field(const warc_record *rec, const char *name)
{
    for (size_t i = 0; i < rec->n_fields; i++)
        if (strcasecmp(rec->fields[i].name, name) == 0) return rec->fields[i].value;
    return NULL;
}

int warc_record_verify_digests(const warc_record *rec, char *err, size_t errlen)
{
    int rc = 0;
    uint8_t d[20];
    char have[40];
    const char *id = warc_record_field(rec, "WARC-Record-ID");
    id = id ? id : "(no WARC-Record-ID)";
    const char *bd = warc_record_field(rec, "WARC-Block-Digest");
    const char *pd = warc_record_field(rec, "WARC-Payload-Digest");
    if (err && errlen) err[0] = '\0';
    if (bd) {
        if (rec->block_sha1)
            memcpy(d, rec->block_sha1, sizeof d);
        else
            fa_sha1_oneshot(rec->block, rec->block_len, d);
        if (warc__digest_matches(bd, d) == 0) {
            fa_sha1_label(d, have);
            if (err && errlen)
                snprintf(err, errlen,
                         "record %s at offset %llu: WARC-Block-Digest is %s but "
                         "the block hashes to %s",
                         id, (unsigned long long)rec->offset, bd, have);
            rc = FA_ECORRUPT;
            goto out;
        }
    }
    /* a revisit's WARC-Payload-Digest is the original's payload, which this
     * record does not carry: nothing to recompute */
    if (warc_type_of(warc_record_field(rec, "WARC-Type")) == WARC_TYPE_REVISIT) pd = NULL;
    if (pd) {
        const char *ct = warc_record_field(rec, "Content-Type");
        const uint8_t *payload = rec->block;
        size_t plen = rec->block_len;
        int chunked = 0;
        if (ct && strncasecmp(ct, "application/http", 16) == 0) {
            size_t head = warc__http_head_len(rec->block, rec->block_len);
            if (head == 0) {
                if (err && errlen)
                    snprintf(err, errlen,
                             "record %s at offset %llu: has a "
                             "WARC-Payload-Digest but its HTTP head never ends",
                             id, (unsigned long long)rec->offset);
                rc = FA_ECORRUPT;
                goto out;
            }
            chunked = warc__http_is_chunked(rec->block, head);
            payload += head;
            plen -= head;
        }
        if (rec->block_sha1 && ct && strncasecmp(ct, "application/http", 16) == 0) {
            /* streamed: what was digested on the way (the head is in block) */
            memcpy(d, rec->payload_sha1, sizeof d);
        } else if (rec->block_sha1) {
            memcpy(d, rec->block_sha1, sizeof d); /* the payload is the block */
        } else {
            rc = warc_payload_digest_mem(payload, plen, chunked, d);
            if (rc < 0) goto out;
        }
        if (warc__digest_matches(pd, d) == 0) {
            fa_sha1_label(d, have);
            if (err && errlen)
                snprintf(err, errlen,
                         "record %s at offset %llu: WARC-Payload-Digest is %s but "
                         "the %spayload hashes to %s",
                         id, (unsigned long long)rec->offset, pd, chunked ? "de-chunked " : "",
                         have);
            rc = FA_ECORRUPT;
            goto out;
        }
    }
out:
    return rc;
}

void warc_reader_close(warc_reader *r)
{
    if (r == NULL) return;
    if (r->fd >= 0) close(r->fd);
    ZSTD_freeDCtx(r->dctx);
    ZSTD_freeDDict(r->ddict);
    warc__gz_in_free(r->gz);
    free(r->win);
    free(r->dec);
    free(r->hdr);
    free(r->fields);
    free(r->path);
    free(r->scratch);
    fa_sha1_free(r->sha_block);
    fa_sha1_free(r->sha_payload);
    fa_sha1_free(r->sha_raw);
    free(r);
}
