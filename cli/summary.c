/* summary.c - the end-of-run summary and exit code shared by once/demo. */
#include "cli/cli.h"
#include "common/fa_err.h"

#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <yajl/yajl_gen.h>

const char *cli_human_bytes(uint64_t n, char out[32])
{
    static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, 32, "%" PRIu64 " B", n);
    else
        snprintf(out, 32, "%.1f %s", v, unit[u]);
    return out;
}

void cli_print_summary(FILE *f, const crawl_summary *s, const char *archive_dir)
{
    char a[32], b[32], c[32];
    fprintf(f, "sources:  %u (%u failed)\n", s->sources, s->sources_failed);
    /* Every source when there are few; only the failed ones otherwise. */
    int all = s->sources <= 20;
    for (unsigned i = 0; i < s->sources; i++) {
        const crawl_source_result *r = &s->results[i];
        if (!all && r->ok)
            continue;
        fprintf(f, "  %-4s %s  %s%s%" PRIu64 " items, %" PRIu64 " pages%s%s\n",
                !r->ok ? "FAIL" : r->interrupted ? "part" : "ok", r->name, r->kind && *r->kind ? r->kind : "",
                r->kind && *r->kind ? ", " : "", r->items, r->pages_ok, r->error ? "  - " : "",
                r->error ? r->error : r->interrupted ? "cut short" : "");
        if (r->deferred)
            fprintf(f, "       %" PRIu64 " URL%s deferred to the next run\n", r->deferred,
                    r->deferred == 1 ? "" : "s");
    }
    if (!all)
        fprintf(f, "  (%u sources ok, not listed)\n", s->sources - s->sources_failed);
    fprintf(f, "items:    %" PRIu64 "\n", s->items);
    fprintf(f, "pages:    %" PRIu64 " archived, %" PRIu64 " unchanged since the last run, %" PRIu64
               " failed\n",
            s->pages_fetched, s->pages_unchanged, s->pages_failed);
    fprintf(f, "requests: %" PRIu64 " (%" PRIu64 " not modified, %" PRIu64 " redirects), %s fetched\n",
            s->requests, s->not_modified, s->redirects, cli_human_bytes(s->bytes_fetched, a));
    fprintf(f, "findings: %" PRIu64 " (exact, near-duplicate and containment)\n", s->findings);
    fprintf(f, "records:  %" PRIu64 " in %" PRIu64 " segment%s\n", s->records, s->segments,
            s->segments == 1 ? "" : "s");
    fprintf(f, "on disk:  %s (%s of WARC before compression) in %s\n",
            cli_human_bytes(s->bytes_on_disk, b), cli_human_bytes(s->bytes_uncompressed, c),
            archive_dir);
    fprintf(f, "elapsed:  %.2f s", s->elapsed_s);
    if (s->elapsed_s > 0)
        fprintf(f, " (%.0f pages/s)", (double)s->pages_fetched / s->elapsed_s);
    fprintf(f, "\n");
    fprintf(f, "loop lag: max %.1f ms, p99 < %.0f ms (its own work at most: max %.1f ms, p99 < %.0f "
               "ms; loop thread CPU %.2f s; workers gave way %" PRIu64 " times; %" PRIu64
               " ready sockets left for the next iteration)\n",
            s->loop_lag_max_ms, s->loop_lag_p99_ms, s->loop_busy_max_ms, s->loop_busy_p99_ms,
            s->loop_cpu_s, s->worker_yields, s->sockets_deferred);
    if (s->crawl_phase_s > 0)
        fprintf(f,
                "crawling: %.2f s from the loop's start to the last page archived, %.2f CPU s "
                "(%.2f cores; the rest of the run is its set-up and close)\n",
                s->crawl_phase_s, s->crawl_phase_cpu_s, s->crawl_phase_cpu_s / s->crawl_phase_s);
    if (s->storage_error)
        fprintf(f, "storage:  %s\n", s->storage_message);
    if (s->deferred)
        fprintf(f, "deferred: %" PRIu64 " URL%s left for the next run\n", s->deferred,
                s->deferred == 1 ? "" : "s");
    if (s->end == CRAWL_END_SIGNAL)
        fprintf(f, "status:   interrupted by %s: what was fetched is archived and committed; "
                   "the rest is left for the next run\n",
                s->signal == SIGINT ? "SIGINT" : "SIGTERM");
    else if (s->end == CRAWL_END_DEADLINE)
        fprintf(f, "status:   stopped at --max-duration: what was fetched is archived and "
                   "committed; the rest is left for the next run\n");
}

static void gen_str(yajl_gen g, const char *s)
{
    if (s == NULL)
        yajl_gen_null(g);
    else
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_key_u64(yajl_gen g, const char *key, uint64_t v)
{
    gen_str(g, key);
    yajl_gen_integer(g, (long long)v);
}

static const char *run_status(const crawl_summary *s)
{
    if (s->end == CRAWL_END_SIGNAL)
        return "interrupted";
    if (s->end == CRAWL_END_DEADLINE)
        return "max_duration";
    if (s->storage_error)
        return "storage_error";
    return s->sources_failed ? "sources_failed" : "ok";
}

int cli_print_summary_json(FILE *f, const crawl_summary *s, const char *archive_dir)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (g == NULL)
        return -1;
    yajl_gen_config(g, yajl_gen_validate_utf8, 1);
    yajl_gen_map_open(g);
    gen_str(g, "status");
    gen_str(g, run_status(s));
    gen_str(g, "signal");
    gen_str(g, s->end != CRAWL_END_SIGNAL ? NULL : s->signal == SIGINT ? "SIGINT" : "SIGTERM");
    gen_str(g, "sources");
    yajl_gen_array_open(g);
    for (unsigned i = 0; i < s->sources; i++) {
        const crawl_source_result *r = &s->results[i];
        yajl_gen_map_open(g);
        gen_str(g, "name");
        gen_str(g, r->name);
        gen_str(g, "url");
        gen_str(g, r->url);
        gen_str(g, "result");
        gen_str(g, !r->ok ? "failed" : r->interrupted ? "cut_short" : "ok");
        gen_str(g, "error");
        gen_str(g, r->error);
        gen_str(g, "cause");
        gen_str(g, r->cause && *r->cause ? r->cause : NULL);
        gen_str(g, "kind");
        gen_str(g, r->kind && *r->kind ? r->kind : NULL);
        gen_str(g, "last_status");
        if (r->last_status)
            yajl_gen_integer(g, r->last_status);
        else
            yajl_gen_null(g);
        gen_key_u64(g, "items", r->items);
        gen_key_u64(g, "pages_archived", r->pages_ok);
        gen_key_u64(g, "pages_failed", r->pages_failed);
        gen_key_u64(g, "pages_unchanged", r->pages_unchanged);
        gen_key_u64(g, "pages_disallowed", r->pages_disallowed);
        gen_key_u64(g, "deferred", r->deferred);
        gen_str(g, "new_urls");
        yajl_gen_array_open(g);
        for (size_t k = 0; k < r->n_new_urls; k++)
            gen_str(g, r->new_urls[k]);
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    gen_key_u64(g, "sources_failed", s->sources_failed);
    gen_key_u64(g, "items", s->items);
    gen_key_u64(g, "pages_archived", s->pages_fetched);
    gen_key_u64(g, "pages_unchanged", s->pages_unchanged);
    gen_key_u64(g, "pages_failed", s->pages_failed);
    gen_key_u64(g, "pages_disallowed", s->pages_disallowed);
    gen_key_u64(g, "deferred", s->deferred);
    gen_key_u64(g, "requests", s->requests);
    gen_key_u64(g, "not_modified", s->not_modified);
    gen_key_u64(g, "redirects", s->redirects);
    gen_key_u64(g, "retries", s->retries);
    gen_key_u64(g, "bytes_fetched", s->bytes_fetched);
    gen_key_u64(g, "findings", s->findings);
    gen_key_u64(g, "records", s->records);
    gen_key_u64(g, "segments", s->segments);
    gen_key_u64(g, "bytes_on_disk", s->bytes_on_disk);
    gen_key_u64(g, "bytes_uncompressed", s->bytes_uncompressed);
    gen_str(g, "archive_dir");
    gen_str(g, archive_dir);
    gen_str(g, "elapsed_s");
    yajl_gen_double(g, s->elapsed_s);
    gen_str(g, "storage_error");
    gen_str(g, s->storage_error ? s->storage_message : NULL);
    yajl_gen_map_close(g);
    const unsigned char *buf;
    size_t len;
    int rc = yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok ? 0 : -1;
    if (rc == 0) {
        fwrite(buf, 1, len, f);
        fputc('\n', f);
    }
    yajl_gen_free(g);
    return rc;
}

int cli_run_failed_at_start(const crawl_summary *s)
{
    return s->storage_error && s->requests == 0 && s->records == 0;
}

int cli_exit_code(int rc, const crawl_summary *s)
{
    if (s->storage_error) {
        if (s->records == 0 && s->segments == 0)
            return EXIT_CANTCREAT;
        return EXIT_IOERR;
    }
    if (rc < 0)
        return EXIT_SOFTWARE;
    if (s->end == CRAWL_END_SIGNAL)
        return EXIT_SIGNAL_BASE + (s->signal ? s->signal : SIGTERM);
    return s->sources_failed ? EXIT_SOURCES_FAILED : 0;
}
