/* findings_record.c - writer and parser of the findings record; see
 * findings_record.h for its layout. */
#include "dedup/findings_record.h"
#include "common/fa_err.h"
#include "common/fa_time.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const field_names[FINDINGS_FIELD_COUNT] = {
    [FINDINGS_DOCUMENT] = "feedarc-document",
    [FINDINGS_VIA] = "via",
    [FINDINGS_ITEM_ID] = "feed-item-id",
    [FINDINGS_ITEM_TITLE] = "feed-item-title",
    [FINDINGS_EXACT] = "feedarc-exact-duplicate-of",
    [FINDINGS_NEAR] = "feedarc-near-duplicate-of",
    [FINDINGS_CONTAINS] = "feedarc-contains",
    [FINDINGS_CONTAINED_IN] = "feedarc-contained-in",
    [FINDINGS_ENCODING] = "feedarc-encoding",
    [FINDINGS_MAIN_CHARS] = "feedarc-main-chars",
    [FINDINGS_NOVEL_CHARS] = "feedarc-novel-chars",
    [FINDINGS_BOILERPLATE_CHARS] = "feedarc-boilerplate-chars",
    [FINDINGS_COPIED_BLOCK] = "feedarc-copied-block",
};

#define MAX_LINE_VALUE 2048 /* item id and title: longer ones are left out */

const char *findings_field_name(enum findings_field f)
{
    return (unsigned)f < FINDINGS_FIELD_COUNT ? field_names[f] : NULL;
}

enum findings_field findings_field_of(const char *name, size_t len)
{
    for (int f = FINDINGS_OTHER + 1; f < FINDINGS_FIELD_COUNT; f++)
        if (strlen(field_names[f]) == len && strncasecmp(name, field_names[f], len) == 0)
            return (enum findings_field)f;
    return FINDINGS_OTHER;
}

static int is_ref(enum findings_field f)
{
    return f >= FINDINGS_EXACT && f <= FINDINGS_CONTAINED_IN;
}

/* ---- writing ---------------------------------------------------------- */

static int put(fa_buf *b, enum findings_field f, const char *value, int *n)
{
    int rc = fa_buf_puts(b, field_names[f]);
    if (rc == 0) rc = fa_buf_append(b, "", 1);
    if (rc == 0) rc = fa_buf_puts(b, value);
    if (rc == 0) rc = fa_buf_append(b, "", 1);
    if (rc == 0) (*n)++;
    return rc;
}

/* 1 when s can be one field line: shorter than MAX_LINE_VALUE, no control
 * character. */
static int one_line(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || i + 1 >= MAX_LINE_VALUE) return 0;
    return 1;
}

static int put_ref(fa_buf *b, const findings_ref *f, int *n)
{
    char date[40];
    fa_time_format_iso(f->date_ns, 0, date, sizeof date);
    int rc = fa_buf_printf(b, "%s%c%.*s %.*s %s %.3f", field_names[f->kind], 0, (int)f->url_len,
                           f->url, f->record_id_len ? (int)f->record_id_len : 1,
                           f->record_id_len ? f->record_id : "-", date, f->score);
    if (rc == 0) rc = fa_buf_append(b, "", 1);
    if (rc == 0) (*n)++;
    return rc;
}

static int put_count(fa_buf *b, enum findings_field f, uint64_t v, int *n)
{
    int rc = fa_buf_printf(b, "%s%c%llu", field_names[f], 0, (unsigned long long)v);
    if (rc == 0) rc = fa_buf_append(b, "", 1);
    if (rc == 0) (*n)++;
    return rc;
}

int findings_record_write(const findings_record *r, fa_buf *out)
{
    int n = 0, rc;
    if (r == NULL || r->document == NULL) return FA_EINVAL;
    rc = put(out, FINDINGS_DOCUMENT, r->document, &n);
    if (rc == 0 && r->via) rc = put(out, FINDINGS_VIA, r->via, &n);
    /* an item id may hold other control characters (it is not shown) */
    if (rc == 0 && r->item_id && strlen(r->item_id) < MAX_LINE_VALUE &&
        !strpbrk(r->item_id, "\r\n"))
        rc = put(out, FINDINGS_ITEM_ID, r->item_id, &n);
    /* the item's title: the page's name in a WACZ export (pages.jsonl) */
    if (rc == 0 && r->item_title && r->item_title[0] && one_line(r->item_title))
        rc = put(out, FINDINGS_ITEM_TITLE, r->item_title, &n);
    for (size_t i = 0; rc == 0 && i < r->n_refs; i++)
        if (is_ref(r->refs[i].kind)) rc = put_ref(out, &r->refs[i], &n);
    if (rc == 0 && r->encoding && r->encoding[0]) rc = put(out, FINDINGS_ENCODING, r->encoding, &n);
    if (rc == 0) rc = put_count(out, FINDINGS_MAIN_CHARS, r->main_chars, &n);
    if (rc == 0) rc = put_count(out, FINDINGS_NOVEL_CHARS, r->novel_chars, &n);
    if (rc == 0) rc = put_count(out, FINDINGS_BOILERPLATE_CHARS, r->boilerplate_chars, &n);
    return rc < 0 ? rc : n;
}

/* ---- parsing ---------------------------------------------------------- */

int findings_record_foreach(const void *block, size_t len,
                            int (*fn)(void *ud, enum findings_field f, const char *name,
                                      size_t name_len, const char *value, size_t value_len),
                            void *ud)
{
    const char *p = block, *end = p + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if (e > p && e[-1] == '\r') e--;
        const char *colon = memchr(p, ':', (size_t)(e - p));
        if (colon) {
            const char *v = colon + 1;
            while (v < e && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = e;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            size_t nlen = (size_t)(colon - p);
            int rc = fn(ud, findings_field_of(p, nlen), p, nlen, v, (size_t)(ve - v));
            if (rc < 0) return rc;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

typedef struct span {
    const char *p;
    size_t n;
} span;

/* Splits v into at most max blank-separated tokens; returns the count
 * (max + 1 when there are more). */
static size_t split_tokens(const char *v, size_t len, span *tok, size_t max)
{
    size_t n = 0, i = 0;
    while (i < len) {
        while (i < len && (v[i] == ' ' || v[i] == '\t'))
            i++;
        if (i == len) break;
        size_t b = i;
        while (i < len && v[i] != ' ' && v[i] != '\t')
            i++;
        if (n == max) return max + 1;
        tok[n++] = (span){v + b, i - b};
    }
    return n;
}

static int parse_score(span s, double *out)
{
    char buf[64], *end;
    if (s.n == 0 || s.n >= sizeof buf) return -1;
    memcpy(buf, s.p, s.n);
    buf[s.n] = '\0';
    errno = 0;
    double v = strtod(buf, &end);
    if (*end != '\0' || errno || !isfinite(v) || v < 0) return -1;
    *out = v;
    return 0;
}

static int parse_date(span s, int64_t *out)
{
    char buf[64];
    if (s.n == 0 || s.n >= sizeof buf) return -1;
    memcpy(buf, s.p, s.n);
    buf[s.n] = '\0';
    return fa_time_parse_rfc3339(buf, out) < 0 ? -1 : 0;
}

/* The "<url> <record-id>" pair of a line: record id NULL for "-". */
static void take_doc(span url, span rid, const char **u, size_t *u_len, const char **r,
                     size_t *r_len)
{
    *u = url.p;
    *u_len = url.n;
    if (!(rid.n == 1 && rid.p[0] == '-')) {
        *r = rid.p;
        *r_len = rid.n;
    }
}

int findings_record_parse_ref(enum findings_field f, const char *value, size_t len,
                              findings_ref *out, const char **why)
{
    span t[4];
    int with_score = f != FINDINGS_EXACT;
    size_t n = split_tokens(value, len, t, 4);
    memset(out, 0, sizeof *out);
    out->kind = f;
    out->score = 1.0;
    /* an exact duplicate may carry a score too (1): tolerated, not needed */
    if (!is_ref(f) || (n != 4 && !(n == 3 && !with_score))) {
        *why = with_score ? "expected <url> <record-id> <date> <score>"
                          : "expected <url> <record-id> <date>";
        return FA_EPARSE;
    }
    if (parse_date(t[2], &out->date_ns) < 0) {
        *why = "the date is not ISO 8601";
        return FA_EPARSE;
    }
    if (n == 4 && parse_score(t[3], &out->score) < 0) {
        *why = "the score is not a number";
        return FA_EPARSE;
    }
    out->has_score = n == 4;
    take_doc(t[0], t[1], &out->url, &out->url_len, &out->record_id, &out->record_id_len);
    return 0;
}

int findings_record_parse_count(const char *value, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 19) return FA_EPARSE;
    for (size_t i = 0; i < len; i++) {
        if (value[i] < '0' || value[i] > '9') return FA_EPARSE;
        v = v * 10 + (uint64_t)(value[i] - '0');
    }
    *out = v;
    return 0;
}

typedef struct parse_ctx {
    findings_record *r;
    size_t cap, counts;
    const char *why;
} parse_ctx;

static int parse_line(void *ud, enum findings_field f, const char *name, size_t name_len,
                      const char *value, size_t value_len)
{
    parse_ctx *c = ud;
    findings_record *r = c->r;
    char *v = (char *)value; /* into r->mem_, writable */
    (void)name;
    (void)name_len;
    if (is_ref(f)) {
        if (r->n_refs == c->cap) {
            size_t cap = c->cap ? 2 * c->cap : 8;
            findings_ref *nr = realloc(r->refs, cap * sizeof *nr);
            if (nr == NULL) return FA_ENOMEM;
            r->refs = nr;
            c->cap = cap;
        }
        int rc = findings_record_parse_ref(f, value, value_len, &r->refs[r->n_refs], &c->why);
        if (rc < 0) return rc;
        r->n_refs++;
        return 0;
    }
    uint64_t *count = f == FINDINGS_MAIN_CHARS          ? &r->main_chars
                      : f == FINDINGS_NOVEL_CHARS       ? &r->novel_chars
                      : f == FINDINGS_BOILERPLATE_CHARS ? &r->boilerplate_chars
                                                        : NULL;
    if (count) {
        if (findings_record_parse_count(value, value_len, count) < 0) {
            c->why = "a count is not a number";
            return FA_EPARSE;
        }
        c->counts |= 1u << (f - FINDINGS_MAIN_CHARS);
        return 0;
    }
    const char **slot = f == FINDINGS_DOCUMENT     ? &r->document
                        : f == FINDINGS_VIA        ? &r->via
                        : f == FINDINGS_ITEM_ID    ? &r->item_id
                        : f == FINDINGS_ITEM_TITLE ? &r->item_title
                        : f == FINDINGS_ENCODING   ? &r->encoding
                                                   : NULL;
    if (slot && *slot == NULL) {
        v[value_len] = '\0'; /* over the line's CR, LF or a blank: read already */
        *slot = v;
    }
    return 0;
}

int findings_record_parse(const void *block, size_t len, findings_record *out, const char **why)
{
    const char *dummy;
    memset(out, 0, sizeof *out);
    if (why == NULL) why = &dummy;
    out->mem_ = malloc(len + 1);
    if (out->mem_ == NULL) return FA_ENOMEM;
    memcpy(out->mem_, block, len);
    out->mem_[len] = '\0';
    parse_ctx c = {.r = out};
    int rc = findings_record_foreach(out->mem_, len, parse_line, &c);
    if (rc == FA_EPARSE) *why = c.why;
    if (rc == 0 && out->document == NULL) {
        *why = "no feedarc-document";
        rc = FA_EPARSE;
    }
    out->has_chars = c.counts == 7;
    return rc;
}

/* ---- copied blocks ----------------------------------------------------- */

int findings_copied_block_write(const findings_copied_block *b, fa_buf *out)
{
    if (b == NULL || b->start > b->end || b->url == NULL || b->url_len == 0) return FA_EINVAL;
    int rc = fa_buf_printf(out, "%s%c%llu %llu %.*s %.*s", field_names[FINDINGS_COPIED_BLOCK], 0,
                           (unsigned long long)b->start, (unsigned long long)b->end,
                           (int)b->url_len, b->url, b->record_id_len ? (int)b->record_id_len : 1,
                           b->record_id_len ? b->record_id : "-");
    if (rc == 0) rc = fa_buf_append(out, "", 1);
    return rc;
}

int findings_copied_block_parse(const char *value, size_t len, findings_copied_block *out)
{
    span t[4];
    memset(out, 0, sizeof *out);
    if (split_tokens(value, len, t, 4) != 4 ||
        findings_record_parse_count(t[0].p, t[0].n, &out->start) < 0 ||
        findings_record_parse_count(t[1].p, t[1].n, &out->end) < 0 || out->start > out->end)
        return FA_EPARSE;
    take_doc(t[2], t[3], &out->url, &out->url_len, &out->record_id, &out->record_id_len);
    return 0;
}

void findings_record_free(findings_record *r)
{
    if (r == NULL) return;
    free(r->refs);
    free(r->mem_);
    r->refs = NULL;
    r->mem_ = NULL;
}
