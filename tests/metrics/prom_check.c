/* prom_check.c - see prom_check.h. */
#include "prom_check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAMILIES 512
#define MAX_SERIES 8192
#define MAX_LINE 4096

typedef struct checker {
    char *why;
    size_t whylen;
    int line;
    char families[MAX_FAMILIES][128];
    size_t n_families;
    char *series[MAX_SERIES];
    size_t n_series;
    /* the current family */
    char fam[128], type[16];
    int has_help, has_type;
    /* the current histogram series */
    char group[MAX_LINE];
    int in_group, inf_seen, sum_seen;
    double last_le, last_count, inf_count;
} checker;

static int bad(checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(checker *c, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(c->why, c->whylen, "line %d: ", c->line);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < c->whylen) vsnprintf(c->why + n, c->whylen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int is_name_char(char ch, int first, int metric)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_') return 1;
    if (metric && ch == ':') return 1;
    return !first && ch >= '0' && ch <= '9';
}

static size_t name_len(const char *s, int metric)
{
    size_t i = 0;
    while (s[i] && is_name_char(s[i], i == 0, metric))
        i++;
    return i;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A sample value: +Inf, -Inf, NaN or a decimal float. */
static int parse_value(const char *s, double *v)
{
    if (strcmp(s, "+Inf") == 0) {
        *v = INFINITY;
        return 0;
    }
    if (strcmp(s, "-Inf") == 0) {
        *v = -INFINITY;
        return 0;
    }
    if (strcmp(s, "NaN") == 0) {
        *v = NAN;
        return 0;
    }
    if (*s == '\0' || strspn(s, "0123456789.eE+-") != strlen(s)) return -1;
    char *end;
    *v = strtod(s, &end);
    return *end == '\0' ? 0 : -1;
}

static int end_group(checker *c)
{
    if (c->in_group && (!c->inf_seen || !c->sum_seen))
        return bad(c, "histogram series %s{%s} ended without +Inf bucket, _sum and _count",
                   c->fam, c->group);
    c->in_group = 0;
    return 0;
}

static int end_family(checker *c)
{
    if (end_group(c) < 0) return -1;
    c->fam[0] = '\0';
    c->has_help = c->has_type = 0;
    return 0;
}

static int comment(checker *c, const char *l)
{
    int help = strncmp(l, "# HELP ", 7) == 0, type = strncmp(l, "# TYPE ", 7) == 0;
    if (!help && !type) return bad(c, "a comment that is neither HELP nor TYPE");
    const char *name = l + 7;
    size_t n = name_len(name, 1);
    if (n == 0 || n >= 128 || name[n] != ' ') return bad(c, "bad metric name in %.20s", l);
    char fam[128];
    memcpy(fam, name, n);
    fam[n] = '\0';
    if (strcmp(fam, c->fam) != 0) { /* a new family */
        if (end_family(c) < 0) return -1;
        for (size_t i = 0; i < c->n_families; i++)
            if (strcmp(c->families[i], fam) == 0) return bad(c, "family %s appears twice", fam);
        if (c->n_families == MAX_FAMILIES) return bad(c, "too many families");
        snprintf(c->families[c->n_families++], 128, "%s", fam);
        snprintf(c->fam, sizeof c->fam, "%s", fam);
        if (strncmp(fam, "feedarc_", 8) != 0) return bad(c, "%s lacks the feedarc_ prefix", fam);
    }
    const char *rest = name + n + 1;
    if (help) {
        if (c->has_help++) return bad(c, "second HELP for %s", fam);
        if (*rest == '\0') return bad(c, "empty HELP for %s", fam);
        for (const char *p = rest; *p; p++)
            if (*p == '\\' && p[1] != '\\' && p[1] != 'n') return bad(c, "bad escape in HELP");
            else if (*p == '\\') p++;
        return 0;
    }
    if (c->has_type++) return bad(c, "second TYPE for %s", fam);
    if (strcmp(rest, "counter") != 0 && strcmp(rest, "gauge") != 0 &&
        strcmp(rest, "histogram") != 0)
        return bad(c, "unexpected type \"%s\"", rest);
    snprintf(c->type, sizeof c->type, "%s", rest);
    if (strcmp(rest, "counter") == 0 && !ends_with(fam, "_total"))
        return bad(c, "counter %s does not end in _total", fam);
    return 0;
}

/* Parses '{k="v",...}' at *p; fills group (the pairs without le) and le. */
static int labels(checker *c, const char **p, char *group, size_t cap, char *le, size_t lecap)
{
    const char *s = *p;
    size_t g = 0;
    group[0] = le[0] = '\0';
    if (*s != '{') return 0;
    s++;
    for (;;) {
        size_t n = name_len(s, 0);
        if (n == 0) return bad(c, "bad label name");
        if (n >= 2 && s[0] == '_' && s[1] == '_') return bad(c, "reserved label name");
        if (s[n] != '=' || s[n + 1] != '"') return bad(c, "label without =\"");
        int is_le = n == 2 && strncmp(s, "le", 2) == 0;
        const char *start = s;
        s += n + 2;
        char val[1024];
        size_t v = 0;
        while (*s != '"') {
            if (*s == '\0' || *s == '\n') return bad(c, "unterminated label value");
            if (*s == '\\') {
                if (s[1] != '\\' && s[1] != '"' && s[1] != 'n') return bad(c, "bad escape");
                if (v + 2 < sizeof val) val[v++] = *s;
                s++;
            }
            if (v + 2 < sizeof val) val[v++] = *s;
            s++;
        }
        val[v] = '\0';
        s++;
        if (is_le) {
            snprintf(le, lecap, "%s", val);
        } else {
            size_t len = (size_t)(s - start);
            if (g + len + 2 >= cap) return bad(c, "labels too long");
            if (g) group[g++] = ',';
            memcpy(group + g, start, len);
            g += len;
            group[g] = '\0';
        }
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == '}') break;
        return bad(c, "expected , or } in labels");
    }
    *p = s + 1;
    return 0;
}

static int sample(checker *c, const char *l)
{
    size_t n = name_len(l, 1);
    char name[128], group[MAX_LINE], le[64];
    if (n == 0 || n >= sizeof name) return bad(c, "bad sample name");
    memcpy(name, l, n);
    name[n] = '\0';
    if (!c->has_type || !c->has_help) return bad(c, "sample %s before its HELP and TYPE", name);
    const char *p = l + n;
    if (labels(c, &p, group, sizeof group, le, sizeof le) < 0) return -1;
    if (*p != ' ') return bad(c, "expected one space before the value");
    double v;
    if (parse_value(p + 1, &v) < 0) return bad(c, "bad value \"%s\"", p + 1);

    /* unique series */
    size_t series_len = (size_t)(p - l);
    for (size_t i = 0; i < c->n_series; i++)
        if (strlen(c->series[i]) == series_len && strncmp(c->series[i], l, series_len) == 0)
            return bad(c, "series %.*s appears twice", (int)series_len, l);
    if (c->n_series == MAX_SERIES) return bad(c, "too many series");
    c->series[c->n_series] = strndup(l, series_len);
    if (c->series[c->n_series] == NULL) return bad(c, "out of memory");
    c->n_series++;

    if (strcmp(c->type, "counter") == 0 || strcmp(c->type, "gauge") == 0) {
        if (strcmp(name, c->fam) != 0) return bad(c, "sample %s inside family %s", name, c->fam);
        if (le[0]) return bad(c, "le label outside a histogram");
        if (strcmp(c->type, "counter") == 0 && !(v >= 0)) return bad(c, "negative counter");
        return 0;
    }
    /* histogram */
    size_t fl = strlen(c->fam);
    if (strncmp(name, c->fam, fl) != 0) return bad(c, "sample %s inside family %s", name, c->fam);
    const char *suffix = name + fl;
    if (strcmp(suffix, "_bucket") == 0) {
        if (!le[0]) return bad(c, "bucket without le");
        if (!c->in_group || strcmp(group, c->group) != 0) {
            if (end_group(c) < 0) return -1;
            snprintf(c->group, sizeof c->group, "%s", group);
            c->in_group = 1;
            c->inf_seen = c->sum_seen = 0;
            c->last_le = -INFINITY;
            c->last_count = 0;
        }
        double lev;
        if (c->inf_seen) return bad(c, "bucket after +Inf");
        if (parse_value(le, &lev) < 0 || isnan(lev)) return bad(c, "bad le \"%s\"", le);
        if (!(lev > c->last_le)) return bad(c, "le %s not ascending", le);
        if (!(v >= c->last_count) || v != floor(v)) return bad(c, "bucket count decreases");
        c->last_le = lev;
        c->last_count = v;
        if (isinf(lev)) {
            c->inf_seen = 1;
            c->inf_count = v;
        }
        return 0;
    }
    if (le[0]) return bad(c, "le label on %s", name);
    if (!c->in_group || strcmp(group, c->group) != 0 || !c->inf_seen)
        return bad(c, "%s before its buckets", name);
    if (strcmp(suffix, "_sum") == 0) {
        c->sum_seen = 1;
        return 0;
    }
    if (strcmp(suffix, "_count") == 0) {
        if (!c->sum_seen) return bad(c, "_count before _sum");
        if (v != c->inf_count) return bad(c, "_count %g != +Inf bucket %g", v, c->inf_count);
        c->in_group = 0;
        return 0;
    }
    return bad(c, "sample %s inside histogram %s", name, c->fam);
}

int prom_check(const char *text, char *why, size_t whylen, size_t *n_families, size_t *n_samples)
{
    checker *c = calloc(1, sizeof *c);
    int rc = 0;
    if (c == NULL) return -1;
    c->why = why;
    c->whylen = whylen;
    if (why && whylen) why[0] = '\0';
    const char *p = text;
    if (*p == '\0') rc = bad(c, "empty text");
    while (rc == 0 && *p != '\0') {
        c->line++;
        const char *nl = strchr(p, '\n');
        if (nl == NULL) {
            rc = bad(c, "last line has no newline");
            break;
        }
        char l[MAX_LINE];
        size_t len = (size_t)(nl - p);
        if (len >= sizeof l) {
            rc = bad(c, "line too long");
            break;
        }
        memcpy(l, p, len);
        l[len] = '\0';
        if (len == 0)
            rc = bad(c, "empty line");
        else if (l[0] == '#')
            rc = comment(c, l);
        else
            rc = sample(c, l);
        p = nl + 1;
    }
    if (rc == 0) rc = end_family(c);
    if (n_families) *n_families = c->n_families;
    if (n_samples) *n_samples = c->n_series;
    for (size_t i = 0; i < c->n_series; i++)
        free(c->series[i]);
    free(c);
    return rc;
}

double prom_value(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ') {
            char val[64];
            size_t k = strcspn(p + n + 1, "\n");
            if (k >= sizeof val) return -1;
            memcpy(val, p + n + 1, k);
            val[k] = '\0';
            double v;
            return parse_value(val, &v) == 0 ? v : -1;
        }
    }
    return -1;
}
