/*
 * warc_export.c - an archive folder as .warc.gz + CDXJ, or as a WACZ
 * package; see warc_export.h for what is written.
 *
 * One pass over the source files, record by record (warc_reader):
 *
 *   - a warcinfo record is copied at once when nothing is filtered, else
 *     kept (one per source file) and copied before the first record
 *     selected from that file;
 *   - a request is held until the next record: when that is the response
 *     it is concurrent to, the pair goes (or not) together; otherwise the
 *     request is decided on its own date and URI;
 *   - a response or revisit is decided on its own WARC-Date and
 *     WARC-Target-URI, and the decision is remembered under its record id
 *     in a direct-mapped table of RECENT_SLOTS ids (XXH3-64): a metadata or
 *     conversion record naming it in WARC-Concurrent-To or WARC-Refers-To
 *     follows it.  The crawler writes a response with its metadata and
 *     conversion as one adjacent group, and the feed items' records soon
 *     after their feed, so the table needs to remember only the recent
 *     past; a record whose referent has been evicted is decided on its own.
 *
 * Each selected record's bytes (warc_record.raw: header, block, CRLF CRLF
 * exactly as stored) become one gzip member (warc_gz.c, ISA-L igzip), its
 * CDXJ line is made by the same code as the segment indexes
 * (cdxj__record_line) with the member's offset and length, and the line
 * goes to a sorting accumulator (cdxj__acc: runs spilled to unlinked files
 * next to the output, merged at the end).
 *
 * Pages (WACZ): a selected 200 text/html (or xhtml) response or revisit is
 * a page; its title is the `feed-item-title` of the metadata record the
 * crawler wrote with it (WARC-Concurrent-To = the response), else the
 * page's own <title> (identity-encoded bodies only; the first 256 KiB).
 * Page lines are written to an unlinked temporary file as they are found
 * and copied into the package at the end.
 */
#include "storage/warc_export.h"
#include "storage/cdxj.h"
#include "storage/segment_recover.h"
#include "storage/warc_format.h"
#include "storage/warc_gz.h"
#include "storage/warc_reader.h"
#include "storage/warc_record.h"
#include "storage/zip_writer.h"

#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "common/fa_time.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define RECENT_SLOTS 8192 /* power of two */
#define ZIPNUM_LINES 3000 /* index lines per gzip member of index.cdx.gz */
#define OUT_BUF (1u << 20)
#define TITLE_MAX 1000
#define TITLE_SCAN ((size_t)256 * 1024)
#define ID_MAX 256
#define WACZ_WARC "data.warc.gz"
#define WACZ_CDX "index.cdx.gz"

typedef struct recent_slot {
    uint64_t h;
    uint8_t used, selected;
} recent_slot;

typedef struct wacz_resource {
    char path[64];
    uint64_t bytes;
    uint8_t sha[32];
} wacz_resource;

typedef struct exporter {
    const warc_export_options *opt;
    warc_export_stats st;
    int filtering;
    char since[15], until[15];
    const char *dir;
    /* output: a plain file (OUT.tmp) or a ZIP entry */
    const char *out_path;
    char *tmp_path;
    int fd;
    uint8_t *obuf;
    size_t olen;
    zip_writer *zip;
    uint64_t pos; /* bytes of .warc.gz written */
    const char *warc_name;
    int dirfd; /* the output's folder: temporary files, the .cdxj */
    warc__gz_out *gz;
    cdxj__acc acc;
    fa_buf line;
    /* the current source file */
    const char *segment;
    fa_buf info; /* its warcinfo, raw, when filtering */
    int info_written;
    /* a request waiting for its response */
    fa_buf req;
    int req_held, req_selected;
    char req_for[ID_MAX];
    recent_slot *recent;
    /* pages */
    FILE *pages;
    int page_open;
    char page_id[ID_MAX], page_resp[ID_MAX], page_ts[40];
    fa_buf page_url, page_title, page_item_title;
    wacz_resource res[6];
    size_t n_res;
    char err[768];
} exporter;

static int fail(exporter *x, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(exporter *x, int code, const char *fmt, ...)
{
    va_list ap;
    if (x->err[0]) return code; /* keep the first message */
    va_start(ap, fmt);
    vsnprintf(x->err, sizeof x->err, fmt, ap);
    va_end(ap);
    return code;
}

int warc_export_time_bound(const char *in, int upper, char out[15])
{
    char d[15];
    size_t n = 0;
    if (in == NULL || *in == '\0') return FA_EINVAL;
    size_t len = strlen(in);
    if ((strchr(in, 'T') || strchr(in, 't')) && in[len - 1] != 'Z' && in[len - 1] != 'z') {
        /* ISO 8601 with a UTC offset: to UTC */
        int64_t ns;
        if (fa_time_parse_rfc3339(in, &ns) < 0) return FA_EINVAL;
        return fa_time_format_14(ns, out) < 0 ? FA_EINVAL : 0;
    }
    for (const char *p = in; *p; p++) {
        if (*p == '.' && n == 14) { /* UTC with a fraction of a second */
            while (p[1] >= '0' && p[1] <= '9')
                p++;
        } else if (*p == 'T' || *p == 't' || ((*p == 'Z' || *p == 'z') && p[1] == '\0')) {
            continue;
        } else if (*p >= '0' && *p <= '9') {
            if (n == 14) return FA_EINVAL;
            d[n++] = *p;
        } else if (*p != '-' && *p != ':' && *p != ' ') {
            return FA_EINVAL;
        }
    }
    if (n < 4) return FA_EINVAL;
    while (n < 14)
        d[n++] = upper ? '9' : '0';
    memcpy(out, d, 14);
    out[14] = '\0';
    return 0;
}

/* ---- output ------------------------------------------------------------ */

static int write_fd(exporter *x, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(x->fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0)
            return fail(x, fa_err_from_errno(errno), "%s: writing: %s", x->tmp_path,
                        strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int flush_plain(exporter *x)
{
    int rc = write_fd(x, x->obuf, x->olen);
    x->olen = 0;
    return rc;
}

static int out_write(exporter *x, const void *data, size_t len)
{
    if (x->zip) {
        int rc = zip_writer_write(x->zip, data, len);
        return rc < 0 ? fail(x, rc, "%s", zip_writer_error(x->zip)) : 0;
    }
    if (x->olen + len > OUT_BUF) {
        int rc = flush_plain(x);
        if (rc < 0) return rc;
    }
    if (len > OUT_BUF) return write_fd(x, data, len); /* a big piece goes straight through */
    memcpy(x->obuf + x->olen, data, len);
    x->olen += len;
    return 0;
}

/* Writes one record (raw bytes) as a gzip member; indexes it when rec is
 * given and indexable. */
static int emit(exporter *x, const uint8_t *raw, size_t raw_len, const warc_record *rec)
{
    const uint8_t *member;
    size_t mlen = warc__gz_compress(x->gz, raw, raw_len, &member);
    if (mlen == 0) return fail(x, FA_ENOMEM, "out of memory compressing a record");
    uint64_t off = x->pos;
    int rc = out_write(x, member, mlen);
    if (rc < 0) return rc;
    x->pos += mlen;
    x->st.out_bytes = x->pos;
    x->st.records_written++;
    x->st.warc_bytes += raw_len;
    /* the WACZ index leaves conversions out: ReplayWeb.page keys its index
     * by URL and time, and a conversion shares both with the page it was
     * made from - its line would hide the page */
    if (rec && x->zip && warc_type_of(warc_record_field(rec, "WARC-Type")) == WARC_TYPE_CONVERSION)
        rec = NULL;
    if (rec) {
        warc_record placed = *rec;
        placed.offset = off;
        placed.length = mlen;
        fa_buf_reset(&x->line);
        rc = cdxj__record_line(&x->line, &placed, x->warc_name);
        if (rc == 1) {
            rc = cdxj__acc_add(&x->acc, x->line.data, x->line.len);
            if (rc == 0) x->st.index_lines++;
        }
        if (rc < 0) return fail(x, rc, "indexing a record: %s", fa_strerror(rc));
    }
    return 0;
}

/* ---- selection --------------------------------------------------------- */

static int own_choice(const exporter *x, const warc_record *rec)
{
    if (!x->filtering) return 1;
    const char *uri = warc_record_field(rec, "WARC-Target-URI");
    const char *date = warc_record_field(rec, "WARC-Date");
    if (x->opt->url_prefix && x->opt->url_prefix[0] &&
        (uri == NULL || strncmp(uri, x->opt->url_prefix, strlen(x->opt->url_prefix)) != 0))
        return 0;
    if (x->since[0] || x->until[0]) {
        char ts[15];
        size_t t = 0;
        for (const char *d = date; d && *d && t < 14; d++)
            if (*d >= '0' && *d <= '9') ts[t++] = *d;
        if (t == 0) return 0;
        while (t < 14)
            ts[t++] = '0';
        ts[14] = '\0';
        if (x->since[0] && strcmp(ts, x->since) < 0) return 0;
        if (x->until[0] && strcmp(ts, x->until) > 0) return 0;
    }
    return 1;
}

static recent_slot *recent_slot_of(exporter *x, const char *id, uint64_t *h)
{
    *h = XXH3_64bits(id, strlen(id));
    return &x->recent[*h & (RECENT_SLOTS - 1)];
}

static void remember(exporter *x, const char *id, int selected)
{
    uint64_t h;
    if (id == NULL) return;
    recent_slot *s = recent_slot_of(x, id, &h);
    s->h = h;
    s->used = 1;
    s->selected = (uint8_t)selected;
}

/* 1 or 0 when id is a recent response or revisit, -1 when unknown. */
static int recall(exporter *x, const char *id)
{
    uint64_t h;
    if (id == NULL) return -1;
    recent_slot *s = recent_slot_of(x, id, &h);
    return s->used && s->h == h ? s->selected : -1;
}

static int write_info(exporter *x)
{
    if (!x->filtering || x->info_written || x->info.len == 0) return 0;
    x->info_written = 1;
    return emit(x, (const uint8_t *)x->info.data, x->info.len, NULL);
}

static int flush_request(exporter *x, int selected)
{
    int rc = 0;
    if (!x->req_held) return 0;
    x->req_held = 0;
    if (selected) rc = write_info(x);
    if (rc == 0 && selected) rc = emit(x, (const uint8_t *)x->req.data, x->req.len, NULL);
    return rc;
}

/* ---- pages ------------------------------------------------------------- */

/* Appends s (n bytes) as a JSON string; invalid UTF-8 becomes U+FFFD. */
static int json_string(fa_buf *b, const char *s, size_t n)
{
    int rc = fa_buf_puts(b, "\"");
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (rc == 0 && p < end) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            rc = fa_buf_printf(b, "\\%c", c);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            rc = fa_buf_printf(b, "\\u%04x", c);
            p++;
        } else if (c < 0x80) {
            rc = fa_buf_append(b, p, 1);
            p++;
        } else {
            size_t len = c >= 0xC2 && c <= 0xDF   ? 2
                         : c >= 0xE0 && c <= 0xEF ? 3
                         : c >= 0xF0 && c <= 0xF4 ? 4
                                                  : 0;
            uint32_t cp = len == 2 ? c & 0x1Fu : len == 3 ? c & 0x0Fu : c & 0x07u;
            int ok = len && (size_t)(end - p) >= len;
            for (size_t i = 1; ok && i < len; i++) {
                if ((p[i] & 0xC0) != 0x80) ok = 0;
                cp = cp << 6 | (p[i] & 0x3Fu);
            }
            if (ok && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
                       (cp >= 0xD800 && cp <= 0xDFFF)))
                ok = 0;
            if (ok) {
                rc = fa_buf_append(b, p, len);
                p += len;
            } else {
                rc = fa_buf_puts(b, "\xEF\xBF\xBD");
                p++;
            }
        }
    }
    return rc ? rc : fa_buf_puts(b, "\"");
}

/* Appends text with the common entities decoded and white space collapsed. */
static void clean_text(fa_buf *b, const char *s, size_t n)
{
    static const struct {
        const char *e;
        char c;
    } ents[] = {{"&amp;", '&'},  {"&lt;", '<'},   {"&gt;", '>'},
                {"&quot;", '"'}, {"&#39;", '\''}, {"&apos;", '\''}};
    int space = 1; /* drop leading space */
    for (size_t i = 0; i < n && b->len < TITLE_MAX; i++) {
        char c = s[i];
        if (c == '&') {
            size_t k;
            for (k = 0; k < sizeof ents / sizeof ents[0]; k++) {
                size_t el = strlen(ents[k].e);
                if (n - i >= el && strncasecmp(s + i, ents[k].e, el) == 0) break;
            }
            if (k < sizeof ents / sizeof ents[0]) {
                fa_buf_append(b, &ents[k].c, 1);
                i += strlen(ents[k].e) - 1;
                space = 0;
                continue;
            }
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            if (!space) fa_buf_append(b, " ", 1);
            space = 1;
            continue;
        }
        fa_buf_append(b, &c, 1);
        space = 0;
    }
    while (b->len && b->data[b->len - 1] == ' ')
        b->len--;
}

/* 1 when the HTTP head names a Content-Encoding other than identity. */
static int encoded(const char *head, size_t len)
{
    for (const char *l = head; l && l < head + len;) {
        const char *eol = memchr(l, '\n', (size_t)(head + len - l));
        size_t n = eol ? (size_t)(eol - l) : (size_t)(head + len - l);
        if (n > 17 && strncasecmp(l, "content-encoding:", 17) == 0) {
            const char *v = l + 17;
            while (v < l + n && (*v == ' ' || *v == '\t'))
                v++;
            return strncasecmp(v, "identity", 8) != 0;
        }
        l = eol ? eol + 1 : NULL;
    }
    return 0;
}

/* The text of the first <title> element of an HTML body, into out. */
static void html_title(const char *body, size_t len, fa_buf *out)
{
    if (len > TITLE_SCAN) len = TITLE_SCAN;
    for (const char *p = body; (p = memchr(p, '<', (size_t)(body + len - p))) != NULL; p++) {
        if ((size_t)(body + len - p) < 7 || strncasecmp(p + 1, "title", 5) != 0 ||
            (p[6] != '>' && p[6] != ' ' && p[6] != '\t' && p[6] != '\n'))
            continue;
        const char *s = memchr(p, '>', (size_t)(body + len - p));
        if (s == NULL) return;
        s++;
        for (const char *e = s; (e = memchr(e, '<', (size_t)(body + len - e))) != NULL; e++)
            if ((size_t)(body + len - e) >= 8 && strncasecmp(e, "</title", 7) == 0) {
                clean_text(out, s, (size_t)(e - s));
                return;
            }
        return;
    }
}

/* The value of `name: value` in an application/warc-fields block. */
static int warc_fields_value(const uint8_t *block, size_t len, const char *name, fa_buf *out)
{
    size_t nl = strlen(name);
    const char *p = (const char *)block, *end = p + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
        if (n > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1, *ve = p + n;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            fa_buf_reset(out);
            clean_text(out, v, (size_t)(ve - v));
            return 1;
        }
        p = eol ? eol + 1 : end;
    }
    return 0;
}

static int page_flush(exporter *x)
{
    if (!x->page_open) return 0;
    x->page_open = 0;
    fa_buf *b = &x->line;
    fa_buf_reset(b);
    int rc = fa_buf_puts(b, "{\"id\": ");
    if (rc == 0) rc = json_string(b, x->page_id, strlen(x->page_id));
    if (rc == 0) rc = fa_buf_puts(b, ", \"url\": ");
    if (rc == 0) rc = json_string(b, x->page_url.data, x->page_url.len);
    if (rc == 0) rc = fa_buf_printf(b, ", \"ts\": \"%s\"", x->page_ts);
    fa_buf *t = x->page_item_title.len ? &x->page_item_title : &x->page_title;
    if (rc == 0 && t->len) {
        rc = fa_buf_puts(b, ", \"title\": ");
        if (rc == 0) rc = json_string(b, t->data, t->len);
    }
    if (rc == 0) rc = fa_buf_puts(b, "}\n");
    if (rc < 0) return fail(x, rc, "a page line: %s", fa_strerror(rc));
    if (fwrite(b->data, 1, b->len, x->pages) != b->len)
        return fail(x, fa_err_from_errno(errno), "writing the page list: %s", strerror(errno));
    x->st.pages++;
    return 0;
}

static int page_start(exporter *x, const warc_record *rec)
{
    const char *uri = warc_record_field(rec, "WARC-Target-URI");
    const char *id = warc_record_field(rec, "WARC-Record-ID");
    const char *date = warc_record_field(rec, "WARC-Date");
    size_t head = warc__http_head_len(rec->block, rec->block_len);
    char mime[128], status[4];
    int64_t ns;
    if (uri == NULL || id == NULL || date == NULL || head == 0 ||
        fa_time_parse_rfc3339(date, &ns) < 0)
        return 0;
    cdxj__http_info(rec->block, head, mime, status);
    if (strcmp(status, "200") != 0 ||
        (strcasecmp(mime, "text/html") != 0 && strcasecmp(mime, "application/xhtml+xml") != 0))
        return 0;
    /* id: the record's UUID, without "<urn:uuid:" and ">" */
    const char *u = strncmp(id, "<urn:uuid:", 10) == 0 ? id + 10 : id;
    snprintf(x->page_id, sizeof x->page_id, "%.*s", (int)strcspn(u, ">"), u);
    snprintf(x->page_resp, sizeof x->page_resp, "%s", id);
    fa_time_format_iso(ns, 3, x->page_ts, sizeof x->page_ts);
    fa_buf_reset(&x->page_url);
    fa_buf_reset(&x->page_title);
    fa_buf_reset(&x->page_item_title);
    if (fa_buf_puts(&x->page_url, uri) < 0) return 0;
    if (!encoded((const char *)rec->block, head))
        html_title((const char *)rec->block + head, rec->block_len - head, &x->page_title);
    x->page_open = 1;
    return 0;
}

/* ---- the walk ---------------------------------------------------------- */

static int take(exporter *x, const warc_record *rec)
{
    warc_type type = warc_type_of(warc_record_field(rec, "WARC-Type"));
    const char *id = warc_record_field(rec, "WARC-Record-ID");
    int rc = 0, selected;
    x->st.records_read++;
    if (rec->raw == NULL) return fail(x, FA_EINVAL, "%s: a record without its bytes", x->segment);
    if (type == WARC_TYPE_WARCINFO) {
        if (!x->filtering) return emit(x, rec->raw, rec->raw_len, rec);
        fa_buf_reset(&x->info);
        x->info_written = 0;
        rc = fa_buf_append(&x->info, rec->raw, rec->raw_len);
        return rc < 0 ? fail(x, rc, "%s: a warcinfo record too big to hold", x->segment) : 0;
    }
    int exchange = type == WARC_TYPE_RESPONSE || type == WARC_TYPE_REVISIT;
    if (x->req_held) {
        if (exchange && id && strcmp(id, x->req_for) == 0)
            rc = flush_request(x, own_choice(x, rec));
        else
            rc = flush_request(x, x->req_selected);
        if (rc < 0) return rc;
    }
    if (type == WARC_TYPE_REQUEST) {
        const char *to = warc_record_field(rec, "WARC-Concurrent-To");
        fa_buf_reset(&x->req);
        rc = fa_buf_append(&x->req, rec->raw, rec->raw_len);
        if (rc < 0) return fail(x, rc, "%s: a request record too big to hold", x->segment);
        snprintf(x->req_for, sizeof x->req_for, "%s", to ? to : "");
        x->req_selected = own_choice(x, rec);
        x->req_held = 1;
        return 0;
    }
    if (exchange) {
        selected = own_choice(x, rec);
        remember(x, id, selected);
    } else {
        selected = recall(x, warc_record_field(rec, "WARC-Concurrent-To"));
        if (selected < 0) selected = recall(x, warc_record_field(rec, "WARC-Refers-To"));
        if (selected < 0) selected = own_choice(x, rec);
    }
    if (x->pages && exchange) {
        if ((rc = page_flush(x)) < 0) return rc;
        if (selected && (rc = page_start(x, rec)) < 0) return rc;
    } else if (x->pages && x->page_open && type == WARC_TYPE_METADATA) {
        const char *to = warc_record_field(rec, "WARC-Concurrent-To");
        if (to && strcmp(to, x->page_resp) == 0)
            warc_fields_value(rec->block, rec->block_len, "feed-item-title", &x->page_item_title);
    }
    if (!selected) return 0;
    if ((rc = write_info(x)) < 0) return rc;
    return emit(x, rec->raw, rec->raw_len, rec);
}

static int export_file(void *ud, const char *name)
{
    exporter *x = ud;
    char path[PATH_MAX], why[512];
    warc_reader *r = NULL;
    warc_record rec;
    int rc;
    snprintf(path, sizeof path, "%s/%s", x->dir, name);
    x->segment = name;
    x->st.segment = name;
    x->st.segments++;
    fa_buf_reset(&x->info);
    x->info_written = 0;
    if ((rc = warc_reader_open(path, 0, &r, why, sizeof why)) < 0) return fail(x, rc, "%s", why);
    while ((rc = warc_reader_next(r, &rec)) == 1) {
        if ((rc = take(x, &rec)) < 0) break;
        if (x->opt->progress) x->opt->progress(x->opt->progress_ud, &x->st);
    }
    if (rc < 0 && !x->err[0])
        fail(x, rc, "%s (feedarc verify %s says more)", warc_reader_error(r), x->dir);
    warc_reader_close(r);
    if (rc == 0) rc = flush_request(x, x->req_selected);
    return rc < 0 ? rc : 0;
}

/* ---- WACZ -------------------------------------------------------------- */

static FILE *tmp_file(exporter *x)
{
    int fd = openat(x->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "w+");
    if (f == NULL) close(fd);
    return f;
}

static int entry_end(exporter *x, const char *path)
{
    wacz_resource *r = &x->res[x->n_res++];
    snprintf(r->path, sizeof r->path, "%s", path);
    int rc = zip_writer_end(x->zip, &r->bytes, r->sha);
    return rc < 0 ? fail(x, rc, "%s", zip_writer_error(x->zip)) : 0;
}

static int entry_mem(exporter *x, const char *path, const void *data, size_t len)
{
    int rc = zip_writer_begin(x->zip, path);
    if (rc == 0) rc = zip_writer_write(x->zip, data, len);
    if (rc < 0) return fail(x, rc, "%s", zip_writer_error(x->zip));
    return entry_end(x, path);
}

/* index.cdx.gz (ZipNum: members of ZIPNUM_LINES sorted lines) and its
 * index.idx. */
static int wacz_index(exporter *x)
{
    int rc = 0;
    FILE *sorted = tmp_file(x);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    fa_buf block, idx;
    fa_buf_init(&block, 1u << 30);
    fa_buf_init(&idx, 256u << 20);
    if (sorted == NULL) {
        rc = fail(x, fa_err_from_errno(errno), "a temporary file next to %s: %s", x->out_path,
                  strerror(errno));
        goto out;
    }
    if ((rc = cdxj__acc_write(&x->acc, sorted)) < 0 || fflush(sorted) == EOF ||
        fseek(sorted, 0, SEEK_SET) < 0) {
        rc = fail(x, rc < 0 ? rc : FA_EIO, "sorting the index: %s",
                  rc < 0 ? fa_strerror(rc) : strerror(errno));
        goto out;
    }
    rc = fa_buf_puts(&idx,
                     "!meta 0 {\"format\": \"cdxj-gzip-1.0\", \"filename\": \"" WACZ_CDX "\"}\n");
    if (rc == 0 && (rc = zip_writer_begin(x->zip, "indexes/" WACZ_CDX)) < 0)
        fail(x, rc, "%s", zip_writer_error(x->zip));
    unsigned lines = 0;
    uint64_t off = 0;
    for (;;) {
        n = rc == 0 ? getline(&line, &cap, sorted) : -1;
        if (n > 0) {
            if (lines == 0) { /* the block's key: "SURT TIMESTAMP" */
                char *sp = strchr(line, ' ');
                sp = sp ? strchr(sp + 1, ' ') : NULL;
                size_t kl = sp ? (size_t)(sp - line) : (size_t)n - 1;
                rc = fa_buf_append(&idx, line, kl);
            }
            if (rc == 0) rc = fa_buf_append(&block, line, (size_t)n);
            lines++;
        }
        if (rc == 0 && lines > 0 && (lines == ZIPNUM_LINES || n <= 0)) {
            const uint8_t *m;
            size_t ml = warc__gz_compress(x->gz, block.data, block.len, &m);
            if (ml == 0) rc = FA_ENOMEM;
            if (rc == 0 && (rc = zip_writer_write(x->zip, m, ml)) < 0)
                fail(x, rc, "%s", zip_writer_error(x->zip));
            if (rc == 0)
                rc = fa_buf_printf(
                    &idx, " {\"offset\": %llu, \"length\": %zu, \"filename\": \"" WACZ_CDX "\"}\n",
                    (unsigned long long)off, ml);
            off += ml;
            lines = 0;
            fa_buf_reset(&block);
        }
        if (n <= 0 || rc < 0) break;
    }
    if (rc < 0) {
        fail(x, rc, "writing the index: %s", fa_strerror(rc));
        goto out;
    }
    if (ferror(sorted)) {
        rc = fail(x, FA_EIO, "reading the sorted index back: %s", strerror(errno));
        goto out;
    }
    if ((rc = entry_end(x, "indexes/" WACZ_CDX)) < 0) goto out;
    rc = entry_mem(x, "indexes/index.idx", idx.data, idx.len);
out:
    if (sorted) fclose(sorted);
    free(line);
    fa_buf_free(&block);
    fa_buf_free(&idx);
    return rc;
}

static int wacz_pages(exporter *x)
{
    static const char header[] =
        "{\"format\": \"json-pages-1.0\", \"id\": \"pages\", \"title\": \"All Pages\"}\n";
    char buf[65536];
    size_t n;
    int rc = page_flush(x);
    if (rc < 0) return rc;
    if (fflush(x->pages) == EOF || fseek(x->pages, 0, SEEK_SET) < 0)
        return fail(x, FA_EIO, "the page list: %s", strerror(errno));
    if ((rc = zip_writer_begin(x->zip, "pages/pages.jsonl")) == 0)
        rc = zip_writer_write(x->zip, header, sizeof header - 1);
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, x->pages)) > 0)
        rc = zip_writer_write(x->zip, buf, n);
    if (rc < 0) return fail(x, rc, "%s", zip_writer_error(x->zip));
    if (ferror(x->pages)) return fail(x, FA_EIO, "reading the page list: %s", strerror(errno));
    return entry_end(x, "pages/pages.jsonl");
}

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static int wacz_package(exporter *x)
{
    fa_buf b;
    char h[65], created[40];
    int rc;
    fa_buf_init(&b, 1u << 20);
    fa_time_format_iso(fa_time_now_ns(), 0, created, sizeof created);
    rc = fa_buf_printf(&b,
                       "{\n  \"profile\": \"data-package\",\n  \"wacz_version\": \"1.1.1\",\n"
                       "  \"title\": \"feedarc export\",\n  \"created\": \"%s\",\n"
                       "  \"software\": ",
                       created);
    const char *sw = x->opt->software ? x->opt->software : "feedarc";
    if (rc == 0) rc = json_string(&b, sw, strlen(sw));
    if (rc == 0) rc = fa_buf_puts(&b, ",\n  \"resources\": [");
    for (size_t i = 0; rc == 0 && i < x->n_res; i++) {
        const char *name = strrchr(x->res[i].path, '/');
        hex(x->res[i].sha, 32, h);
        rc = fa_buf_printf(&b,
                           "%s\n    {\"name\": \"%s\", \"path\": \"%s\", \"hash\": \"sha256:%s\", "
                           "\"bytes\": %llu}",
                           i ? "," : "", name ? name + 1 : x->res[i].path, x->res[i].path, h,
                           (unsigned long long)x->res[i].bytes);
    }
    if (rc == 0) rc = fa_buf_puts(&b, "\n  ]\n}\n");
    if (rc < 0) {
        fa_buf_free(&b);
        return fail(x, rc, "datapackage.json: %s", fa_strerror(rc));
    }
    rc = entry_mem(x, "datapackage.json", b.data, b.len);
    fa_buf_free(&b);
    if (rc < 0) return rc;
    hex(x->res[x->n_res - 1].sha, 32, h);
    char digest[160];
    int dl = snprintf(digest, sizeof digest,
                      "{\"path\": \"datapackage.json\", \"hash\": \"sha256:%s\"}\n", h);
    rc = entry_mem(x, "datapackage-digest.json", digest, (size_t)dl);
    x->n_res--; /* the digest file is not a resource of the package */
    return rc;
}

/* ---- the whole --------------------------------------------------------- */

int warc_export(const char *dir, const char *out_path, const warc_export_options *opt,
                warc_export_stats *stats, char *err, size_t errlen)
{
    int rc = 0;
    exporter *x = calloc(1, sizeof *x);
    char cdxj_name[PATH_MAX];
    if (x == NULL) {
        snprintf(err, errlen, "out of memory");
        return FA_ENOMEM;
    }
    x->opt = opt;
    x->dir = dir;
    x->out_path = out_path;
    x->fd = -1;
    x->dirfd = -1;
    fa_buf_init(&x->line, 4u << 20);
    fa_buf_init(&x->info, 16u << 20);
    fa_buf_init(&x->req, 64u << 20);
    fa_buf_init(&x->page_url, 64u << 10);
    fa_buf_init(&x->page_title, TITLE_MAX + 8);
    fa_buf_init(&x->page_item_title, TITLE_MAX + 8);
    if (opt->since && *opt->since) snprintf(x->since, sizeof x->since, "%s", opt->since);
    if (opt->until && *opt->until) snprintf(x->until, sizeof x->until, "%s", opt->until);
    x->filtering = x->since[0] || x->until[0] || (opt->url_prefix && opt->url_prefix[0]);
    const char *base = strrchr(out_path, '/');
    base = base ? base + 1 : out_path;
    x->warc_name = opt->wacz ? WACZ_WARC : base;
    char folder[PATH_MAX];
    snprintf(folder, sizeof folder, "%.*s", base > out_path ? (int)(base - out_path) : 1,
             base > out_path ? out_path : ".");
    x->dirfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    x->recent = calloc(RECENT_SLOTS, sizeof *x->recent);
    x->gz = warc__gz_out_new(opt->level);
    if (x->dirfd < 0) {
        rc = fail(x, fa_err_from_errno(errno), "%s: %s", folder, strerror(errno));
        goto out;
    }
    if (x->recent == NULL || x->gz == NULL) {
        rc = fail(x, FA_ENOMEM, "out of memory");
        goto out;
    }
    cdxj__acc_init(&x->acc, x->dirfd, 0);
    if (opt->wacz) {
        if ((rc = zip_writer_open(out_path, &x->zip, x->err, sizeof x->err)) < 0) goto out;
        if ((x->pages = tmp_file(x)) == NULL) {
            rc = fail(x, fa_err_from_errno(errno), "a temporary file next to %s: %s", out_path,
                      strerror(errno));
            goto out;
        }
        if ((rc = zip_writer_begin(x->zip, "archive/" WACZ_WARC)) < 0) {
            fail(x, rc, "%s", zip_writer_error(x->zip));
            goto out;
        }
    } else {
        size_t n = strlen(out_path) + 5;
        if ((x->tmp_path = malloc(n)) == NULL || (x->obuf = malloc(OUT_BUF)) == NULL) {
            rc = fail(x, FA_ENOMEM, "out of memory");
            goto out;
        }
        snprintf(x->tmp_path, n, "%s.tmp", out_path);
        x->fd = open(x->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (x->fd < 0) {
            rc = fail(x, fa_err_from_errno(errno), "%s: %s", x->tmp_path, strerror(errno));
            goto out;
        }
    }
    rc = segment_list_readable(dir, export_file, x);
    if (rc < 0) {
        fail(x, rc, "%s: %s", dir, fa_strerror(rc));
        goto out;
    }
    if (x->opt->progress) x->opt->progress(x->opt->progress_ud, &x->st);
    if (opt->wacz) {
        if ((rc = entry_end(x, "archive/" WACZ_WARC)) < 0) goto out;
        if ((rc = wacz_index(x)) < 0) goto out;
        if ((rc = wacz_pages(x)) < 0) goto out;
        if ((rc = wacz_package(x)) < 0) goto out;
        rc = zip_writer_close(x->zip, x->err, sizeof x->err);
        x->zip = NULL;
        if (rc < 0) goto out;
    } else {
        if ((rc = flush_plain(x)) < 0) goto out;
        if (fsync(x->fd) < 0 || close(x->fd) < 0) {
            x->fd = -1;
            rc = fail(x, fa_err_from_errno(errno), "%s: %s", x->tmp_path, strerror(errno));
            goto out;
        }
        x->fd = -1;
        snprintf(cdxj_name, sizeof cdxj_name, "%s" CDXJ_SUFFIX, base);
        if ((rc = cdxj__acc_finish(&x->acc, cdxj_name)) < 0) {
            fail(x, rc, "%s" CDXJ_SUFFIX ": %s", out_path,
                 rc == FA_ENOMEM ? "out of memory" : strerror(errno));
            goto out;
        }
        if (rename(x->tmp_path, out_path) < 0 || fsync(x->dirfd) < 0) {
            rc = fail(x, fa_err_from_errno(errno), "%s: %s", out_path, strerror(errno));
            goto out;
        }
        free(x->tmp_path);
        x->tmp_path = NULL;
    }
out:
    if (rc < 0) {
        snprintf(err, errlen, "%s", x->err[0] ? x->err : fa_strerror(rc));
        zip_writer_abort(x->zip);
        if (x->fd >= 0) close(x->fd);
        if (x->tmp_path) unlink(x->tmp_path);
    }
    if (stats) *stats = x->st;
    if (stats) stats->segment = NULL;
    cdxj__acc_reset(&x->acc);
    if (x->pages) fclose(x->pages);
    if (x->dirfd >= 0) close(x->dirfd);
    warc__gz_out_free(x->gz);
    free(x->recent);
    free(x->obuf);
    free(x->tmp_path);
    fa_buf_free(&x->line);
    fa_buf_free(&x->info);
    fa_buf_free(&x->req);
    fa_buf_free(&x->page_url);
    fa_buf_free(&x->page_title);
    fa_buf_free(&x->page_item_title);
    free(x);
    return rc;
}
