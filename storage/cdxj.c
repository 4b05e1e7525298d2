/*
 * cdxj.c - SURT keys, CDXJ lines, per-segment index files (sorted in memory
 * or by spilled runs), and the streaming k-way merge; see cdxj.h.
 *
 * The writer builds each line in two halves: the head (key, timestamp, url,
 * mime, status, digest, length) in the caller's thread, the tail (offset,
 * filename) under its lock once the frame has a place.  Reading a segment
 * back (cdxj_index_segment) produces the same bytes from the record, so an
 * index rebuilt later equals the one written at close.
 */
#include "storage/cdxj.h"
#include "common/fa_url.h"
#include "storage/segment_recover.h"
#include "storage/warc_reader.h"
#include "storage/warc_record.h"

#include "common/fa_err.h"
#include "common/fa_time.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINE (1u << 20)
#define MAX_QUERY_ARGS 512
#define HEAD_KEEP (1u << 20) /* block bytes held while indexing (see warc_reader.h) */

/* ---- SURT -------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int over;
} sbuf;

static void sb_put(sbuf *s, const char *d, size_t n)
{
    if (s->len + n >= s->cap) {
        n = s->len < s->cap ? s->cap - 1 - s->len : 0;
        s->over = 1;
    }
    memcpy(s->p + s->len, d, n);
    s->len += n;
    s->p[s->len] = '\0';
}

static int cmp_arg(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cdxj_surt(const char *url, char *out, size_t outlen)
{
    if (outlen == 0) return FA_ETOOBIG;
    sbuf s = {out, 0, outlen, 0};
    out[0] = '\0';
    int https = 0;
    size_t skip = fa_url_http_prefix(url, &https);
    if (skip == 0) {
        sb_put(&s, url, strlen(url));
        return s.over ? FA_ETOOBIG : 0;
    }
    size_t n = strlen(url);
    char *low = malloc(n + 1);
    if (low == NULL) return FA_ENOMEM;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)url[i]);
    char *p = low + skip;
    /* "www.", "www2." ... go */
    if (strncmp(p, "www", 3) == 0) {
        char *q = p + 3;
        while (*q >= '0' && *q <= '9')
            q++;
        if (*q == '.') p = q + 1;
    }
    char *auth_end = p + strcspn(p, "/?#");
    char *at = memchr(p, '@', (size_t)(auth_end - p));
    while (at) { /* userinfo: the last '@' of the authority */
        p = at + 1;
        at = memchr(p, '@', (size_t)(auth_end - p));
    }
    char *host = p, *host_end = auth_end, *port = NULL;
    char *colon = NULL;
    for (char *c = host; c < auth_end; c++)
        if (*c == ':')
            colon = c;
        else if (*c == ']')
            colon = NULL;
    if (colon) {
        host_end = colon;
        port = colon + 1;
    }
    /* host labels, reversed */
    char *end = host_end;
    while (end > host) {
        char *dot = end;
        while (dot > host && dot[-1] != '.')
            dot--;
        sb_put(&s, dot, (size_t)(end - dot));
        if (dot > host) sb_put(&s, ",", 1);
        end = dot > host ? dot - 1 : host;
    }
    if (port && port < auth_end) {
        size_t pl = (size_t)(auth_end - port);
        int deflt = (!https && pl == 2 && memcmp(port, "80", 2) == 0) ||
                    (https && pl == 3 && memcmp(port, "443", 3) == 0);
        if (!deflt) {
            sb_put(&s, ":", 1);
            sb_put(&s, port, pl);
        }
    }
    sb_put(&s, ")", 1);
    char *path = auth_end, *path_end = path + strcspn(path, "?#");
    if (path_end == path || *path != '/') sb_put(&s, "/", 1);
    sb_put(&s, path, (size_t)(path_end - path));
    if (*path_end == '?') {
        char *q = path_end + 1, *q_end = q + strcspn(q, "#");
        *q_end = '\0';
        if (q < q_end) {
            char *args[MAX_QUERY_ARGS];
            size_t na = 0;
            for (char *a = q; a && na < MAX_QUERY_ARGS;) {
                char *amp = strchr(a, '&');
                if (amp) *amp = '\0';
                args[na++] = a;
                a = amp ? amp + 1 : NULL;
            }
            qsort(args, na, sizeof *args, cmp_arg);
            sb_put(&s, "?", 1);
            for (size_t i = 0; i < na; i++) {
                if (i) sb_put(&s, "&", 1);
                sb_put(&s, args[i], strlen(args[i]));
            }
        }
    }
    free(low);
    return s.over ? FA_ETOOBIG : 0;
}

/* The SURT key of url in a buffer of its own (malloc'd into *out): any URI
 * the writer accepts has one, however long. */
static int surt_new(const char *url, char **out)
{
    size_t cap = strlen(url) + CDXJ_SURT_SLACK + 1;
    *out = malloc(cap);
    if (*out == NULL) return FA_ENOMEM;
    int rc = cdxj_surt(url, *out, cap);
    if (rc < 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- lines ------------------------------------------------------------- */

int cdxj__indexable(warc_type type, const char *content_type)
{
    switch (type) {
    case WARC_TYPE_RESPONSE:
    case WARC_TYPE_REVISIT:
    case WARC_TYPE_RESOURCE:
    case WARC_TYPE_CONVERSION:
        return 1;
    case WARC_TYPE_METADATA:
        return content_type == NULL ||
               strncasecmp(content_type, "application/warc-fields", 23) != 0;
    default:
        return 0;
    }
}

void cdxj__http_info(const void *head, size_t len, char mime[128], char status[4])
{
    const char *p = head, *end = p + len;
    mime[0] = status[0] = '\0';
    /* status line: HTTP/x.y SP 3DIGIT */
    if (len > 12 && memcmp(p, "HTTP/", 5) == 0) {
        const char *sp = memchr(p, ' ', len);
        if (sp && end - sp > 3 && isdigit((unsigned char)sp[1]) && isdigit((unsigned char)sp[2]) &&
            isdigit((unsigned char)sp[3])) {
            memcpy(status, sp + 1, 3);
            status[3] = '\0';
        }
    }
    const char *line = memchr(p, '\n', len);
    while (line && line + 1 < end) {
        line++;
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        size_t n = eol ? (size_t)(eol - line) : (size_t)(end - line);
        if (n > 13 && strncasecmp(line, "content-type:", 13) == 0) {
            const char *v = line + 13, *ve = line + n;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            for (const char *c = v; c < ve; c++)
                if (*c == ';') {
                    ve = c;
                    break;
                }
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
                ve--;
            size_t m = (size_t)(ve - v) < 127 ? (size_t)(ve - v) : 127;
            memcpy(mime, v, m);
            mime[m] = '\0';
            return;
        }
        line = eol;
    }
}

static int json_str(fa_buf *b, const char *s)
{
    int rc = fa_buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p; p++) {
        if (*p == '"' || *p == '\\')
            rc = fa_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            rc = fa_buf_printf(b, "\\u%04x", *p);
        else
            rc = fa_buf_append(b, p, 1);
    }
    return rc ? rc : fa_buf_puts(b, "\"");
}

int cdxj__line_head(fa_buf *b, const char *uri, const char *warc_date, const char *mime,
                    const char *status, const char *digest, uint64_t length)
{
    char *surt = NULL, ts[15];
    size_t t = 0;
    int rc = surt_new(uri, &surt);
    if (rc < 0) return rc;
    for (const char *d = warc_date; d && *d && t < 14; d++)
        if (*d >= '0' && *d <= '9') ts[t++] = *d;
    while (t < 14)
        ts[t++] = '0';
    ts[14] = '\0';
    rc = fa_buf_puts(b, surt);
    free(surt);
    if (rc == 0) rc = fa_buf_printf(b, " %s {\"url\":", ts);
    if (rc == 0) rc = json_str(b, uri);
    if (rc == 0 && mime && *mime) {
        rc = fa_buf_puts(b, ",\"mime\":");
        if (rc == 0) rc = json_str(b, mime);
    }
    if (rc == 0 && status && *status) rc = fa_buf_printf(b, ",\"status\":\"%s\"", status);
    if (digest && strncmp(digest, "sha1:", 5) == 0) digest += 5; /* as warcio and pywb */
    if (rc == 0 && digest && *digest) {
        rc = fa_buf_puts(b, ",\"digest\":");
        if (rc == 0) rc = json_str(b, digest);
    }
    if (rc == 0) rc = fa_buf_printf(b, ",\"length\":\"%llu\",", (unsigned long long)length);
    return rc;
}

int cdxj__line_tail(fa_buf *b, uint64_t offset, const char *filename)
{
    int rc = fa_buf_printf(b, "\"offset\":\"%llu\",\"filename\":", (unsigned long long)offset);
    if (rc == 0) rc = json_str(b, filename);
    if (rc == 0) rc = fa_buf_puts(b, "}\n");
    return rc;
}

int cdxj__record_line(fa_buf *b, const warc_record *rec, const char *filename)
{
    warc_type type = warc_type_of(warc_record_field(rec, "WARC-Type"));
    const char *ct = warc_record_field(rec, "Content-Type");
    const char *uri = warc_record_field(rec, "WARC-Target-URI");
    if (!cdxj__indexable(type, ct) || uri == NULL) return 0;
    char mime[128] = "", status[4] = "";
    if (type == WARC_TYPE_RESPONSE || type == WARC_TYPE_REVISIT) {
        size_t head = warc__http_head_len(rec->block, rec->block_len);
        cdxj__http_info(rec->block, head ? head : rec->block_len, mime, status);
        if (type == WARC_TYPE_REVISIT) snprintf(mime, sizeof mime, "warc/revisit");
    } else if (ct) {
        snprintf(mime, sizeof mime, "%s", ct); /* whole, as warcio does */
    }
    int rc = cdxj__line_head(b, uri, warc_record_field(rec, "WARC-Date"), mime, status,
                             warc_record_field(rec, "WARC-Payload-Digest"), rec->length);
    if (rc == 0) rc = cdxj__line_tail(b, rec->offset, filename);
    return rc < 0 ? rc : 1;
}

/* ---- sorted files ------------------------------------------------------ */

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct head {
    char *line;
    size_t cap;
    FILE *f;
} head;

static int head_next(head *h)
{
    ssize_t n = getline(&h->line, &h->cap, h->f);
    if (n < 0) {
        if (ferror(h->f)) return FA_EIO;
        free(h->line);
        h->line = NULL;
        return 0;
    }
    if ((size_t)n > MAX_LINE) return FA_ETOOBIG;
    if (n == 0 || h->line[n - 1] != '\n') { /* a last line without LF */
        char *nl = realloc(h->line, (size_t)n + 2);
        if (nl == NULL) return FA_ENOMEM;
        h->line = nl;
        h->cap = (size_t)n + 2;
        h->line[n] = '\n';
        h->line[n + 1] = '\0';
    }
    return 1;
}

static void sift_down(head *hs, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && strcmp(hs[l].line, hs[m].line) < 0) m = l;
        if (r < n && strcmp(hs[r].line, hs[m].line) < 0) m = r;
        if (m == i) return;
        head t = hs[i];
        hs[i] = hs[m];
        hs[m] = t;
        i = m;
    }
}

int cdxj_merge(FILE **in, size_t n, FILE *out)
{
    head *hs = calloc(n ? n : 1, sizeof *hs);
    if (hs == NULL) return FA_ENOMEM;
    size_t live = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        hs[live].f = in[i];
        rc = head_next(&hs[live]);
        if (rc < 0) goto out;
        if (rc == 1) live++;
    }
    rc = 0;
    for (size_t i = live; i-- > 0;)
        sift_down(hs, live, i);
    while (live) {
        if (fputs(hs[0].line, out) == EOF) {
            rc = fa_err_from_errno(errno);
            goto out;
        }
        rc = head_next(&hs[0]);
        if (rc < 0) goto out;
        if (rc == 0) {
            hs[0] = hs[--live];
            memset(&hs[live], 0, sizeof hs[live]);
        }
        rc = 0;
        sift_down(hs, live, 0);
    }
out:
    for (size_t i = 0; i < n; i++)
        free(hs[i].line);
    free(hs);
    return rc;
}

/* The permission bits of segment (or of its .open while it is written)
 * in dirfd: an index is as readable as what it indexes.  0640 when there
 * is no such file. */
static mode_t segment_mode(int dirfd, const char *segment)
{
    struct stat st;
    char open_name[PATH_MAX + 8];
    if (segment == NULL) return 0640;
    if (fstatat(dirfd, segment, &st, 0) == 0) return st.st_mode & 0777;
    snprintf(open_name, sizeof open_name, "%.4000s.open", segment);
    if (fstatat(dirfd, open_name, &st, 0) == 0) return st.st_mode & 0777;
    return 0640;
}

/* Creates dirfd/name.tmp for writing, with the mode of the segment it
 * indexes (name without ".cdxj"), or of first_segment for the merged
 * index. */
static FILE *open_tmp_out(int dirfd, const char *name, const char *first_segment, char *tmp,
                          size_t tmplen)
{
    char seg[PATH_MAX];
    size_t n = strlen(name), sl = strlen(CDXJ_SUFFIX);
    const char *of = first_segment;
    if (of == NULL && n > sl && n < sizeof seg && strcmp(name + n - sl, CDXJ_SUFFIX) == 0) {
        memcpy(seg, name, n - sl);
        seg[n - sl] = '\0';
        of = seg;
    }
    mode_t mode = segment_mode(dirfd, of);
    snprintf(tmp, tmplen, "%s.tmp", name);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return NULL;
    if (fchmod(fd, mode) < 0) { /* exact, whatever the umask */
        int e = errno;
        close(fd);
        unlinkat(dirfd, tmp, 0);
        errno = e;
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        int e = errno;
        close(fd);
        unlinkat(dirfd, tmp, 0);
        errno = e;
    }
    return f;
}

/* Flushes, fsyncs and closes f, renames tmp to name, fsyncs the folder.
 * On failure the temporary file is removed. */
static int commit_tmp(int dirfd, FILE *f, const char *tmp, const char *name)
{
    int rc = 0;
    if (fflush(f) == EOF || fsync(fileno(f)) < 0) rc = fa_err_from_errno(errno);
    if (fclose(f) == EOF && rc == 0) rc = fa_err_from_errno(errno);
    if (rc == 0 && renameat(dirfd, tmp, dirfd, name) < 0) rc = fa_err_from_errno(errno);
    if (rc == 0 && fsync(dirfd) < 0) rc = fa_err_from_errno(errno);
    if (rc < 0) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        errno = e;
    }
    return rc;
}

void cdxj__acc_init(cdxj__acc *a, int dirfd, size_t max_bytes)
{
    memset(a, 0, sizeof *a);
    a->dirfd = dirfd;
    a->max_bytes = max_bytes ? max_bytes : (16u << 20);
}

void cdxj__acc_reset(cdxj__acc *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->lines[i]);
    for (size_t i = 0; i < a->n_runs; i++)
        fclose(a->runs[i]);
    free(a->lines);
    free(a->runs);
    int dirfd = a->dirfd;
    size_t max = a->max_bytes;
    memset(a, 0, sizeof *a);
    a->dirfd = dirfd;
    a->max_bytes = max;
}

/* Sorts the lines in memory and writes them to f. */
static int write_sorted(cdxj__acc *a, FILE *f)
{
    if (a->n > 1) qsort(a->lines, a->n, sizeof *a->lines, cmp_line);
    for (size_t i = 0; i < a->n; i++)
        if (fputs(a->lines[i], f) == EOF) return fa_err_from_errno(errno);
    return 0;
}

static int spill(cdxj__acc *a)
{
    FILE **nr = realloc(a->runs, (a->n_runs + 1) * sizeof *nr);
    if (nr == NULL) return FA_ENOMEM;
    a->runs = nr;
    int fd = openat(a->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) return fa_err_from_errno(errno);
    FILE *f = fdopen(fd, "w+");
    if (f == NULL) {
        int e = errno;
        close(fd);
        return fa_err_from_errno(e);
    }
    int rc = write_sorted(a, f);
    if (rc == 0 && fflush(f) == EOF) rc = fa_err_from_errno(errno);
    if (rc < 0) {
        fclose(f);
        return rc;
    }
    a->runs[a->n_runs++] = f;
    for (size_t i = 0; i < a->n; i++)
        free(a->lines[i]);
    a->n = 0;
    a->bytes = 0;
    return 0;
}

int cdxj__acc_add(cdxj__acc *a, const char *line, size_t len)
{
    if (a->n == a->cap) {
        size_t c = a->cap ? a->cap * 2 : 256;
        char **nl = realloc(a->lines, c * sizeof *nl);
        if (nl == NULL) return FA_ENOMEM;
        a->lines = nl;
        a->cap = c;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL) return FA_ENOMEM;
    memcpy(copy, line, len);
    copy[len] = '\0';
    a->lines[a->n++] = copy;
    a->bytes += len + sizeof(char *);
    if (a->bytes > a->max_bytes) return spill(a);
    return 0;
}

int cdxj__acc_write(cdxj__acc *a, FILE *out)
{
    int rc = 0;
    if (a->n_runs == 0) {
        rc = write_sorted(a, out);
    } else {
        if (a->n) rc = spill(a);
        for (size_t i = 0; rc == 0 && i < a->n_runs; i++)
            if (fseek(a->runs[i], 0, SEEK_SET) < 0) rc = fa_err_from_errno(errno);
        if (rc == 0) rc = cdxj_merge(a->runs, a->n_runs, out);
    }
    cdxj__acc_reset(a);
    return rc;
}

int cdxj__acc_finish(cdxj__acc *a, const char *name)
{
    char tmp[PATH_MAX];
    int rc = 0;
    FILE *f = open_tmp_out(a->dirfd, name, NULL, tmp, sizeof tmp);
    if (f == NULL) {
        rc = fa_err_from_errno(errno);
        goto out;
    }
    if (a->n_runs == 0) {
        rc = write_sorted(a, f);
    } else {
        if (a->n) rc = spill(a);
        for (size_t i = 0; rc == 0 && i < a->n_runs; i++)
            if (fseek(a->runs[i], 0, SEEK_SET) < 0) rc = fa_err_from_errno(errno);
        if (rc == 0) rc = cdxj_merge(a->runs, a->n_runs, f);
    }
    if (rc < 0) {
        int e = errno;
        fclose(f);
        unlinkat(a->dirfd, tmp, 0);
        errno = e;
        goto out;
    }
    rc = commit_tmp(a->dirfd, f, tmp, name);
out:
    cdxj__acc_reset(a);
    return rc;
}

/* ---- indexing what is on disk ----------------------------------------- */

static int index_segment_fd(int dirfd, const char *dir, const char *segment, uint64_t *lines,
                            char *err, size_t errlen)
{
    char path[PATH_MAX], name[PATH_MAX];
    warc_reader *r = NULL;
    cdxj__acc acc;
    fa_buf line;
    uint64_t count = 0;
    int rc;
    cdxj__acc_init(&acc, dirfd, 0);
    fa_buf_init(&line, MAX_LINE);
    snprintf(path, sizeof path, "%s/%s", dir, segment);
    snprintf(name, sizeof name, "%s" CDXJ_SUFFIX, segment);
    rc = warc_reader_open(path, 0, &r, err, errlen);
    if (rc < 0) goto out;
    warc_reader_set_block_limit(r, HEAD_KEEP); /* a line needs the HTTP head only */
    warc_record rec;
    while ((rc = warc_reader_next(r, &rec)) == 1) {
        fa_buf_reset(&line);
        rc = cdxj__record_line(&line, &rec, segment);
        if (rc < 0) {
            snprintf(err, errlen, "%s: offset %llu: cannot build its index line: %s", path,
                     (unsigned long long)rec.offset, fa_strerror(rc));
            goto out;
        }
        if (rc == 1) {
            rc = cdxj__acc_add(&acc, line.data, line.len);
            if (rc < 0) {
                snprintf(err, errlen, "%s/%s: %s", dir, name, fa_strerror(rc));
                goto out;
            }
            count++;
        }
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s", warc_reader_error(r));
        goto out;
    }
    rc = cdxj__acc_finish(&acc, name);
    if (rc < 0) snprintf(err, errlen, "%s/%s: writing the index: %s", dir, name, strerror(errno));
    if (lines) *lines = count;
out:
    cdxj__acc_reset(&acc);
    fa_buf_free(&line);
    warc_reader_close(r);
    return rc;
}

int cdxj_index_segment(const char *dir, const char *segment, uint64_t *lines, char *err,
                       size_t errlen)
{
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return fa_err_from_errno(errno);
    }
    int rc = index_segment_fd(dirfd, dir, segment, lines, err, errlen);
    close(dirfd);
    return rc;
}

typedef struct dir_walk {
    const char *dir;
    int dirfd, all;
    cdxj_dir_stats st;
    char **names;
    size_t n, cap;
    char *err;
    size_t errlen;
} dir_walk;

static int walk_segment(void *ud, const char *name)
{
    dir_walk *d = ud;
    char idx[PATH_MAX];
    struct stat st;
    d->st.segments++;
    snprintf(idx, sizeof idx, "%s" CDXJ_SUFFIX, name);
    if (d->all || fstatat(d->dirfd, idx, &st, 0) < 0) {
        int rc = index_segment_fd(d->dirfd, d->dir, name, NULL, d->err, d->errlen);
        if (rc < 0) return rc;
        d->st.rebuilt++;
    }
    if (d->n == d->cap) {
        size_t c = d->cap ? d->cap * 2 : 64;
        char **nn = realloc(d->names, c * sizeof *nn);
        if (nn == NULL) return FA_ENOMEM;
        d->names = nn;
        d->cap = c;
    }
    if ((d->names[d->n] = strdup(idx)) == NULL) return FA_ENOMEM;
    d->n++;
    return 0;
}

/* Merges files [from, to) of d->names into one; used in rounds so that no
 * more than a bounded number of files are open at once. */
#define MERGE_FANIN 256

static int merge_names(dir_walk *d, char **names, size_t n, FILE *out)
{
    FILE **in = calloc(n ? n : 1, sizeof *in);
    if (in == NULL) return FA_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        int fd = openat(d->dirfd, names[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (in[i] = fdopen(fd, "r")) == NULL) {
            rc = fa_err_from_errno(errno);
            snprintf(d->err, d->errlen, "%s/%s: %s", d->dir, names[i], strerror(errno));
            if (fd >= 0) close(fd);
            goto out;
        }
    }
    rc = cdxj_merge(in, n, out);
    if (rc < 0)
        snprintf(d->err, d->errlen, "%s/" CDXJ_MERGED ": merging: %s", d->dir,
                 rc == FA_EIO || rc == FA_ENOSPC ? strerror(errno) : fa_strerror(rc));
out:
    for (size_t i = 0; i < n; i++)
        if (in[i]) fclose(in[i]);
    free(in);
    return rc;
}

int cdxj_index_dir(const char *dir, int all, cdxj_dir_stats *stats, char *err, size_t errlen)
{
    dir_walk d = {.dir = dir, .all = all, .err = err, .errlen = errlen};
    char tmp[PATH_MAX];
    FILE *out = NULL;
    FILE **rounds = NULL;
    size_t n_rounds = 0;
    int rc;
    d.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d.dirfd < 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return fa_err_from_errno(errno);
    }
    rc = segment_list_readable(dir, walk_segment, &d);
    if (rc < 0) {
        if (err[0] == '\0') snprintf(err, errlen, "%s: listing segments: %s", dir, fa_strerror(rc));
        goto out;
    }
    out = open_tmp_out(d.dirfd, CDXJ_MERGED, d.n ? d.names[0] : NULL, tmp, sizeof tmp);
    if (out == NULL) {
        rc = fa_err_from_errno(errno);
        snprintf(err, errlen, "%s/%s: %s", dir, tmp, strerror(errno));
        goto out;
    }
    if (d.n <= MERGE_FANIN) {
        rc = merge_names(&d, d.names, d.n, out);
    } else {
        /* many segments: merge groups into unlinked temporary files first */
        n_rounds = (d.n + MERGE_FANIN - 1) / MERGE_FANIN;
        rounds = calloc(n_rounds, sizeof *rounds);
        rc = rounds ? 0 : FA_ENOMEM;
        for (size_t i = 0; rc == 0 && i < n_rounds; i++) {
            int fd = openat(d.dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
            if (fd < 0 || (rounds[i] = fdopen(fd, "w+")) == NULL) {
                rc = fa_err_from_errno(errno);
                snprintf(err, errlen, "%s: temporary file: %s", dir, strerror(errno));
                if (fd >= 0) close(fd);
                break;
            }
            size_t from = i * MERGE_FANIN, k = d.n - from < MERGE_FANIN ? d.n - from : MERGE_FANIN;
            rc = merge_names(&d, d.names + from, k, rounds[i]);
            if (rc == 0 && (fflush(rounds[i]) == EOF || fseek(rounds[i], 0, SEEK_SET) < 0))
                rc = fa_err_from_errno(errno);
        }
        if (rc == 0) rc = cdxj_merge(rounds, n_rounds, out);
    }
    if (rc < 0) {
        fclose(out);
        unlinkat(d.dirfd, tmp, 0);
        goto out;
    }
    rc = commit_tmp(d.dirfd, out, tmp, CDXJ_MERGED);
    if (rc < 0) {
        snprintf(err, errlen, "%s/" CDXJ_MERGED ": %s", dir, strerror(errno));
        goto out;
    }
    if (stats) {
        /* count the merged lines */
        int fd = openat(d.dirfd, CDXJ_MERGED, O_RDONLY | O_CLOEXEC);
        FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
        if (f) {
            int c;
            while ((c = getc(f)) != EOF)
                if (c == '\n') d.st.lines++;
            fclose(f);
        } else if (fd >= 0) {
            close(fd);
        }
        *stats = d.st;
    }
out:
    for (size_t i = 0; i < n_rounds; i++)
        if (rounds[i]) fclose(rounds[i]);
    free(rounds);
    for (size_t i = 0; i < d.n; i++)
        free(d.names[i]);
    free(d.names);
    close(d.dirfd);
    return rc;
}

/* ---- lookups ------------------------------------------------------------ */

int cdxj_json_field(const char *json, const char *key, char *out, size_t outlen)
{
    size_t kl = strlen(key);
    for (const char *p = strchr(json, '"'); p; p = strchr(p + 1, '"')) {
        if (strncmp(p + 1, key, kl) != 0 || p[1 + kl] != '"') continue;
        const char *v = p + 2 + kl;
        while (*v == ' ')
            v++;
        if (*v++ != ':') continue;
        while (*v == ' ')
            v++;
        size_t n = 0;
        if (*v == '"') {
            for (v++; *v && *v != '"'; v++) {
                if (*v == '\\' && v[1]) v++;
                if (n + 1 < outlen) out[n++] = *v;
            }
        } else {
            for (; *v && *v != ',' && *v != '}' && *v != ' '; v++)
                if (n + 1 < outlen) out[n++] = *v;
        }
        if (outlen) out[n] = '\0';
        return 1;
    }
    return 0;
}

/* Seconds since the epoch of a 14-digit timestamp (missing digits: 0). */
static int64_t ts_seconds(const char *ts)
{
    char d[15] = "00000000000000";
    for (size_t i = 0; i < 14 && ts[i] >= '0' && ts[i] <= '9'; i++)
        d[i] = ts[i];
    int v[6], w[6] = {4, 2, 2, 2, 2, 2}, pos = 0;
    for (int i = 0; i < 6; i++) {
        v[i] = 0;
        for (int j = 0; j < w[i]; j++)
            v[i] = v[i] * 10 + (d[pos++] - '0');
    }
    return fa_time_from_civil(v[0], v[1] ? v[1] : 1, v[2] ? v[2] : 1, v[3], v[4], v[5]);
}

typedef struct find_ctx {
    const char *dir;
    char *surt; /* malloc'd */
    size_t surt_len;
    const char *at;
    int64_t at_s;
    int originals_only;
    int found;
    int64_t best_dist;
    char best_ts[15];
    cdxj_capture *out;
    char *err;
    size_t errlen;
    const char *segment;  /* the segment whose lines are read */
    char foreign[256];    /* the first matching line's filename naming another file */
    char foreign_in[256]; /* ... and the segment whose index held it */
} find_ctx;

static void find_line(find_ctx *f, const char *line)
{
    char status[8], mime[64], off[32], len[32], file[256];
    if (strncmp(line, f->surt, f->surt_len) != 0 || line[f->surt_len] != ' ') return;
    const char *ts = line + f->surt_len + 1;
    const char *json = strchr(ts, '{');
    if (json == NULL || json - ts < 15) return;
    if (!cdxj_json_field(json, "status", status, sizeof status) || status[0] == '\0') return;
    int revisit =
        cdxj_json_field(json, "mime", mime, sizeof mime) && strcmp(mime, "warc/revisit") == 0;
    if (revisit && f->originals_only) return;
    if (!cdxj_json_field(json, "offset", off, sizeof off) ||
        !cdxj_json_field(json, "length", len, sizeof len) ||
        !cdxj_json_field(json, "filename", file, sizeof file))
        return;
    /* A segment's index describes that segment only: a filename naming
     * another file (another folder, "../x") is not followed. */
    if (strcmp(file, f->segment) != 0) {
        if (f->foreign[0] == '\0') {
            snprintf(f->foreign, sizeof f->foreign, "%s", file[0] ? file : "\"\"");
            snprintf(f->foreign_in, sizeof f->foreign_in, "%s", f->segment);
        }
        return;
    }
    char t14[15];
    memcpy(t14, ts, 14);
    t14[14] = '\0';
    int64_t dist = 0;
    if (f->at) {
        dist = ts_seconds(t14) - f->at_s;
        if (dist < 0) dist = -dist;
    }
    /* closest (or latest); ties go to the later capture, then the later line */
    if (f->found) {
        if (f->at && dist > f->best_dist) return;
        if ((!f->at || dist == f->best_dist) && strcmp(t14, f->best_ts) < 0) return;
    }
    f->found = 1;
    f->best_dist = dist;
    memcpy(f->best_ts, t14, sizeof t14);
    cdxj_capture *c = f->out;
    snprintf(c->segment, sizeof c->segment, "%s", file);
    memcpy(c->timestamp, t14, sizeof t14);
    snprintf(c->status, sizeof c->status, "%.3s", status);
    c->revisit = revisit;
    c->offset = strtoull(off, NULL, 10);
    c->length = strtoull(len, NULL, 10);
}

static int find_segment(void *ud, const char *name)
{
    find_ctx *f = ud;
    char path[PATH_MAX];
    f->segment = name;
    snprintf(path, sizeof path, "%s/%s" CDXJ_SUFFIX, f->dir, name);
    FILE *in = fopen(path, "r");
    if (in) {
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, in) > 0)
            find_line(f, line);
        free(line);
        int bad = ferror(in);
        fclose(in);
        if (bad) {
            snprintf(f->err, f->errlen, "%s: read error", path);
            return FA_EIO;
        }
        return 0;
    }
    /* no index: read the segment */
    warc_reader *r = NULL;
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    int rc = warc_reader_open(path, 0, &r, f->err, f->errlen);
    if (rc < 0) return rc;
    warc_reader_set_block_limit(r, HEAD_KEEP);
    fa_buf b;
    fa_buf_init(&b, MAX_LINE);
    warc_record rec;
    while ((rc = warc_reader_next(r, &rec)) == 1) {
        fa_buf_reset(&b);
        if (cdxj__record_line(&b, &rec, name) == 1 && fa_buf_append(&b, "", 1) == 0)
            find_line(f, b.data);
    }
    if (rc < 0) snprintf(f->err, f->errlen, "%s", warc_reader_error(r));
    fa_buf_free(&b);
    warc_reader_close(r);
    return rc < 0 ? rc : 0;
}

int cdxj_find(const char *dir, const char *url, const char *at, int originals_only,
              cdxj_capture *out, char *err, size_t errlen)
{
    find_ctx f = {.dir = dir,
                  .at = at,
                  .originals_only = originals_only,
                  .out = out,
                  .err = err,
                  .errlen = errlen};
    memset(out, 0, sizeof *out);
    int rc = surt_new(url, &f.surt);
    if (rc < 0) {
        snprintf(err, errlen, "%s", fa_strerror(rc));
        return rc;
    }
    f.surt_len = strlen(f.surt);
    if (at) f.at_s = ts_seconds(at);
    rc = segment_list_readable(dir, find_segment, &f);
    free(f.surt);
    if (rc < 0) {
        if (err[0] == '\0') snprintf(err, errlen, "%s: %s", dir, fa_strerror(rc));
        return rc;
    }
    if (!f.found && f.foreign[0]) {
        snprintf(err, errlen, "%s/%s" CDXJ_SUFFIX ": a line for %s names file %s, not %s", dir,
                 f.foreign_in, url, f.foreign, f.foreign_in);
        return FA_ECORRUPT;
    }
    return f.found;
}
