/*
 * cmd_status.c - `feedarc status -c FILE [--json]`: what the state says
 * about each source, so that no source dies silently.
 *
 * Per source: last attempt, last success, last HTTP status or error, items
 * archived, consecutive failures, when it is next due; a source whose last
 * METRICS_SOURCE_FAILING_AFTER (3) or more polls failed in a row is flagged
 * FAILING.  The state is opened read-only and without the lock
 * (crawl_state_open_sqlite_readonly), so this works while `feedarc serve`
 * or a timer's `feedarc once` runs.  With a `cluster:` section the state
 * read is the cluster's, in Redis: every node's polls, seen from any node.
 * Sources in the config come first, in
 * config order; sources the state remembers but the config no longer lists
 * follow, marked as removed.
 *
 * Exit status: 0 no source failing repeatedly; 1 some source is (so
 * `feedarc status -c F >/dev/null || alert` works); 64 bad usage; 74 the
 * state cannot be read; 78 invalid config.
 */
#include "cli/cli.h"
#include "common/fa_err.h"
#include "common/fa_time.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "storage/state/crawl_state.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#define ERROR_COLUMN 48 /* the status/error column of the table is cut here */

typedef struct status_row {
    source_record rec; /* zeroed (name, url from the config) when never polled */
    int configured;    /* listed in the config */
    int known;         /* the state has a record */
} status_row;

typedef struct status_list {
    status_row *rows;
    size_t n, cap;
} status_list;

static status_row *list_add(status_list *l)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        status_row *grown = realloc(l->rows, cap * sizeof *grown);
        if (grown == NULL) return NULL;
        l->rows = grown;
        l->cap = cap;
    }
    status_row *r = &l->rows[l->n++];
    memset(r, 0, sizeof *r);
    return r;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* What add_removed needs: the list, and the configured names sorted. */
typedef struct removed_ctx {
    status_list *list;
    const char **names;
    size_t n_names;
} removed_ctx;

/* list_sources callback: the records the config does not list. */
static int add_removed(void *ud, const source_record *rec)
{
    removed_ctx *ctx = ud;
    const char *key = rec->name;
    if (ctx->n_names > 0 &&
        bsearch(&key, ctx->names, ctx->n_names, sizeof *ctx->names, cmp_name) != NULL)
        return 0;
    status_row *r = list_add(ctx->list);
    if (r == NULL) return FA_ENOMEM;
    r->rec = *rec;
    r->known = 1;
    return 0;
}

static int failing(const status_row *r)
{
    return r->rec.consecutive_failures >= METRICS_SOURCE_FAILING_AFTER;
}

/* "never", "now", "3m ago", "in 2h" - t against now, to the largest unit. */
static const char *relative(int64_t t_ns, int64_t now_ns, int future_ok, char out[32])
{
    if (t_ns == 0) return future_ok ? "now" : "never";
    int64_t d = (now_ns - t_ns) / 1000000000LL;
    int ahead = d < 0;
    if (ahead) d = -d;
    if (future_ok && !ahead) return "now";
    const char *unit = "s";
    if (d >= 2 * 86400) {
        d /= 86400;
        unit = "d";
    } else if (d >= 2 * 3600) {
        d /= 3600;
        unit = "h";
    } else if (d >= 120) {
        d /= 60;
        unit = "m";
    }
    snprintf(out, 32, ahead ? "in %lld%s" : "%lld%s ago", (long long)d, unit);
    return out;
}

/* The status column: the error when the last attempt failed (without the
 * source's own URL in front: the row names the source), else the HTTP
 * status, else "-". */
static const char *status_text(const source_record *r, char out[32])
{
    if (r->last_error[0] != '\0') {
        size_t n = strlen(r->url);
        if (n > 0 && strncmp(r->last_error, r->url, n) == 0 && r->last_error[n] == ':' &&
            r->last_error[n + 1] == ' ' && r->last_error[n + 2] != '\0')
            return r->last_error + n + 2;
        return r->last_error;
    }
    if (r->last_status > 0) {
        snprintf(out, 32, "%d", r->last_status);
        return out;
    }
    return "-";
}

/* The next piece of s that fits in width columns, cut at a space when s
 * is longer (at width only when a word is longer than the column).
 * Returns its length; *rest is where the next piece starts. */
static size_t wrap_piece(const char *s, size_t width, const char **rest)
{
    size_t n = strlen(s);
    if (n <= width) {
        *rest = s + n;
        return n;
    }
    size_t cut = width;
    while (cut > 0 && s[cut] != ' ')
        cut--;
    if (cut == 0) cut = width; /* one long word: cut it */
    size_t len = cut;
    while (len > 0 && s[len - 1] == ' ')
        len--;
    const char *r = s + cut;
    while (*r == ' ')
        r++;
    *rest = r;
    return len;
}

/* A name that fits in width columns: longer ones keep their start and
 * end around "..." (default names end in the feed's path). */
static const char *fit_name(const char *name, size_t width, char *out, size_t cap)
{
    size_t n = strlen(name);
    if (n <= width || width < 8 || width >= cap) return name;
    size_t head = (width - 3) / 2, tail = width - 3 - head;
    snprintf(out, cap, "%.*s...%s", (int)head, name, name + n - tail);
    return out;
}

static int print_table(FILE *f, const status_list *l, int64_t now)
{
    size_t name_w = 4, n_failing = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t w = strlen(l->rows[i].rec.name);
        if (w > name_w) name_w = w < 40 ? w : 40;
    }
    /* where the status column starts, for its continuation lines */
    int indent = (int)name_w + 2 + 10 + 10 + 9;
    fprintf(f, "%-*s  %-9s %-9s %-8s %-*s %8s  %s\n", (int)name_w, "NAME", "ATTEMPT", "SUCCESS",
            "DUE", ERROR_COLUMN, "LAST STATUS", "ITEMS", "FAILS");
    for (size_t i = 0; i < l->n; i++) {
        const status_row *r = &l->rows[i];
        char a[32], s[32], d[32], st[32], nm[64];
        const char *due = r->configured ? relative(r->rec.next_due_ns, now, 1, d) : "-";
        const char *rest, *text = status_text(&r->rec, st);
        size_t len = wrap_piece(text, ERROR_COLUMN, &rest);
        fprintf(f, "%-*s  %-9s %-9s %-8s %-*.*s %8llu  %u%s%s\n", (int)name_w,
                fit_name(r->rec.name, name_w, nm, sizeof nm),
                relative(r->rec.last_attempt_ns, now, 0, a),
                relative(r->rec.last_success_ns, now, 0, s), due, ERROR_COLUMN, (int)len, text,
                (unsigned long long)r->rec.items_archived, r->rec.consecutive_failures,
                failing(r) ? "  FAILING" : "", r->configured ? "" : "  (not in the config)");
        while (*rest != '\0') { /* the rest of the status, wrapped under it */
            text = rest;
            len = wrap_piece(text, ERROR_COLUMN, &rest);
            fprintf(f, "%*s%.*s\n", indent, "", (int)len, text);
        }
        n_failing += failing(r) && r->configured;
    }
    if (n_failing > 0) {
        fprintf(f, "\n%zu source%s failing (%d or more failures in a row):", n_failing,
                n_failing == 1 ? "" : "s", METRICS_SOURCE_FAILING_AFTER);
        for (size_t i = 0; i < l->n; i++)
            if (failing(&l->rows[i]) && l->rows[i].configured)
                fprintf(f, "\n  %s: %s", l->rows[i].rec.name,
                        l->rows[i].rec.last_error[0] ? l->rows[i].rec.last_error : "failed");
        fputc('\n', f);
    }
    return ferror(f) ? FA_EIO : 0;
}

/* ---- JSON ---- */

static void gen_str(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_time(yajl_gen g, const char *key, int64_t t_ns)
{
    char iso[40];
    gen_str(g, key);
    if (t_ns == 0 || fa_time_format_iso(t_ns, 0, iso, sizeof iso) < 0)
        yajl_gen_null(g);
    else
        gen_str(g, iso);
}

static int print_json(FILE *f, const config *cfg, const status_list *l, int64_t now, int no_state)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (g == NULL) return FA_ENOMEM;
    yajl_gen_config(g, yajl_gen_validate_utf8, 1);
    size_t n_failing = 0;
    yajl_gen_map_open(g);
    gen_str(g, "config");
    gen_str(g, cfg->path);
    gen_str(g, "state_dir");
    gen_str(g, cfg->storage.state_dir);
    gen_str(g, "state");
    gen_str(g, cfg->cluster.enabled ? "redis" : "sqlite");
    gen_str(g, "state_exists");
    yajl_gen_bool(g, !no_state);
    gen_time(g, "now", now);
    gen_str(g, "failing_after");
    yajl_gen_integer(g, METRICS_SOURCE_FAILING_AFTER);
    gen_str(g, "sources");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < l->n; i++) {
        const status_row *r = &l->rows[i];
        yajl_gen_map_open(g);
        gen_str(g, "name");
        gen_str(g, r->rec.name);
        gen_str(g, "url");
        gen_str(g, r->rec.url);
        gen_str(g, "configured");
        yajl_gen_bool(g, r->configured);
        gen_time(g, "last_attempt", r->rec.last_attempt_ns);
        gen_time(g, "last_success", r->rec.last_success_ns);
        gen_str(g, "last_status");
        if (r->rec.last_status > 0)
            yajl_gen_integer(g, r->rec.last_status);
        else
            yajl_gen_null(g);
        gen_str(g, "last_error");
        if (r->rec.last_error[0])
            gen_str(g, r->rec.last_error);
        else
            yajl_gen_null(g);
        gen_str(g, "items_archived");
        yajl_gen_integer(g, (long long)r->rec.items_archived);
        gen_str(g, "consecutive_failures");
        yajl_gen_integer(g, r->rec.consecutive_failures);
        gen_time(g, "next_due", r->rec.next_due_ns);
        gen_str(g, "failing");
        yajl_gen_bool(g, failing(r));
        yajl_gen_map_close(g);
        n_failing += failing(r) && r->configured;
    }
    yajl_gen_array_close(g);
    gen_str(g, "sources_failing");
    yajl_gen_integer(g, (long long)n_failing);
    yajl_gen_map_close(g);
    const unsigned char *buf;
    size_t len;
    int rc = 0;
    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
        rc = FA_EINVAL; /* invalid UTF-8 in a stored string */
    else if (fwrite(buf, 1, len, f) != len || fputc('\n', f) == EOF)
        rc = FA_EIO;
    yajl_gen_free(g);
    return rc;
}

int cmd_status(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *path = NULL;
    int json = 0, ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:j", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': path = optarg; break;
        case 'j': json = 1; break;
        default: return EXIT_USAGE;
        }
    }
    if (path == NULL || optind != argc) {
        fprintf(stderr, "usage: feedarc status -c FILE [--json] (see feedarc help status)\n");
        return EXIT_USAGE;
    }
    char *errors = NULL;
    config *cfg = cli_load_config(path, &errors);
    if (cfg == NULL) {
        fprintf(stderr, "%s", errors ? errors : "invalid config\n");
        free(errors);
        return EXIT_CONFIG;
    }

    crawl_state *st = NULL;
    status_list l = {0};
    char err[1024];
    int code = 0, no_state = 0;
    /* a cluster's sources are in its Redis state, whichever node polled them */
    int rc = cfg->cluster.enabled
                 ? crawl_state_open_redis(cfg->cluster.redis, cfg->cluster.password, NULL, &st, err,
                                          sizeof err)
                 : crawl_state_open_sqlite_readonly(cfg->storage.state_dir, &st, err, sizeof err);
    if (rc == FA_ENOENT) {
        no_state = 1; /* never crawled: every source is "never" */
    } else if (rc < 0) {
        fprintf(stderr, "feedarc status: %s\n", err);
        code = EXIT_IOERR;
        goto out;
    }
    for (size_t i = 0; i < cfg->n_sources; i++) {
        const config_source *s = &cfg->sources[i];
        if (s->url == NULL || s->name == NULL) continue;
        status_row *r = list_add(&l);
        if (r == NULL) {
            rc = FA_ENOMEM;
            break;
        }
        r->configured = 1;
        rc = st ? crawl_state_get_source(st, s->name, &r->rec) : 0;
        if (rc < 0) break;
        r->known = rc == 1;
        if (!r->known) {
            snprintf(r->rec.name, sizeof r->rec.name, "%s", s->name);
            snprintf(r->rec.url, sizeof r->rec.url, "%s", s->url ? s->url : "");
        }
        rc = 0;
    }
    if (rc == 0 && st != NULL) {
        /* the config's strings: rows move as the list grows */
        removed_ctx ctx = {&l, calloc(cfg->n_sources + 1, sizeof(const char *)), 0};
        if (ctx.names == NULL) {
            rc = FA_ENOMEM;
        } else {
            for (size_t i = 0; i < cfg->n_sources; i++)
                if (cfg->sources[i].url != NULL && cfg->sources[i].name != NULL)
                    ctx.names[ctx.n_names++] = cfg->sources[i].name;
            qsort(ctx.names, ctx.n_names, sizeof *ctx.names, cmp_name);
            rc = crawl_state_list_sources(st, add_removed, &ctx);
            free(ctx.names);
        }
    }
    if (rc < 0) {
        fprintf(stderr, "feedarc status: reading the state: %s\n",
                st && crawl_state_errmsg(st)[0] ? crawl_state_errmsg(st) : fa_strerror(rc));
        code = EXIT_IOERR;
        goto out;
    }
    int64_t now = fa_time_now_ns();
    if (!json && no_state)
        printf("no state in %s yet: feedarc has not crawled with this config\n\n",
               cfg->storage.state_dir);
    rc = json ? print_json(stdout, cfg, &l, now, no_state) : print_table(stdout, &l, now);
    if (rc < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "feedarc status: cannot write the report: %s\n", fa_strerror(rc));
        code = rc == FA_EINVAL ? EXIT_SOFTWARE : EXIT_IOERR;
        goto out;
    }
    for (size_t i = 0; i < l.n; i++)
        if (l.rows[i].configured && failing(&l.rows[i])) code = EXIT_SOURCES_FAILED;
out:
    free(l.rows);
    crawl_state_close(st);
    config_free(cfg);
    return code;
}
