/*
 * bench_state.c - how fast the crawl state takes and answers url records.
 *
 *   bench_state [N [BATCH [DIR]]]     defaults: 1000000 urls, batches of 1000,
 *                                     a fresh folder under $TMPDIR or /tmp
 *
 * For each backend (sqlite in DIR, then memory) it measures, with realistic
 * records (~100-byte URLs, item ids, ETags, digests, WARC locations):
 *
 *   put     N new urls, crawl_state_begin/commit around every BATCH puts
 *           (the crawler's pattern: commit after the segment's fsync);
 *   get     N lookups of present urls in a scattered order;
 *   miss    N lookups of absent urls (the "seen?" check for new items);
 *   update  N/10 overwrites of present urls (a re-fetch, a 304).
 *
 * It prints one line per measurement; nothing is asserted.  A folder it
 * created is removed at the end; a DIR given is left (delete it yourself).
 */
#include "common/fa_err.h"
#include "common/fa_time.h"
#include "storage/state/crawl_state.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void make_url(char *out, size_t cap, uint64_t i, int present)
{
    snprintf(out, cap, "https://www.news-site-%llu.example/%s/2026/11/23/a-rather-long-slug-%llu",
             (unsigned long long)(i % 500), present ? "politics" : "missing",
             (unsigned long long)i);
}

static void fill(url_record *r, uint64_t i)
{
    memset(r, 0, sizeof *r);
    r->kind = URL_KIND_PAGE;
    snprintf(r->source, sizeof r->source, "source-%llu", (unsigned long long)(i % 500));
    snprintf(r->item_id, sizeof r->item_id, "https://www.news-site.example/?p=%llu",
             (unsigned long long)i);
    snprintf(r->item_published, sizeof r->item_published, "2026-11-23T15:37:00Z");
    snprintf(r->etag, sizeof r->etag, "\"%016llx\"", (unsigned long long)i * 2654435761u);
    snprintf(r->last_modified, sizeof r->last_modified, "Mon, 23 Nov 2026 15:37:00 GMT");
    r->http_status = 200;
    r->last_fetch_ns = fa_time_now_ns();
    snprintf(r->payload_digest, sizeof r->payload_digest, "sha1:%032llu", (unsigned long long)i);
    snprintf(r->warc_record_id, sizeof r->warc_record_id,
             "<urn:uuid:6f1e2d3c-4b5a-4978-8a6b-%012llu>", (unsigned long long)i);
    snprintf(r->warc_segment, sizeof r->warc_segment, "feedarc-20261123153700-%05llu.warc.zst",
             (unsigned long long)(i / 20000));
    r->warc_offset = (i % 20000) * 50000;
    r->warc_length = 48000;
    r->fetch_count = 1;
}

static double rate(uint64_t n, uint64_t t0, uint64_t t1)
{
    return (double)n / ((double)(t1 - t0) / 1e9);
}

static int bench(crawl_state *st, uint64_t n, uint64_t batch)
{
    url_record r;
    char url[256];
    uint64_t t0, t1, hits = 0;
    int rc;

    t0 = fa_time_mono_ns();
    for (uint64_t i = 0; i < n; i += batch) {
        if ((rc = crawl_state_begin(st)) < 0) goto fail;
        for (uint64_t j = i; j < i + batch && j < n; j++) {
            make_url(url, sizeof url, j, 1);
            fill(&r, j);
            if ((rc = crawl_state_put_url(st, url, &r)) < 0) goto fail;
        }
        if ((rc = crawl_state_commit(st)) < 0) goto fail;
    }
    t1 = fa_time_mono_ns();
    printf("%-7s put     %9llu urls, batches of %llu: %10.0f /s (%.2f s)\n",
           crawl_state_backend_name(st), (unsigned long long)n, (unsigned long long)batch,
           rate(n, t0, t1), (double)(t1 - t0) / 1e9);

    t0 = fa_time_mono_ns();
    for (uint64_t i = 0; i < n; i++) {
        make_url(url, sizeof url, (i * 2654435761u) % n, 1);
        if ((rc = crawl_state_get_url(st, url, &r)) < 0) goto fail;
        hits += (uint64_t)rc;
    }
    t1 = fa_time_mono_ns();
    printf("%-7s get     %9llu present (%llu found):      %10.0f /s\n",
           crawl_state_backend_name(st), (unsigned long long)n, (unsigned long long)hits,
           rate(n, t0, t1));

    hits = 0;
    t0 = fa_time_mono_ns();
    for (uint64_t i = 0; i < n; i++) {
        make_url(url, sizeof url, i, 0);
        if ((rc = crawl_state_get_url(st, url, &r)) < 0) goto fail;
        hits += (uint64_t)rc;
    }
    t1 = fa_time_mono_ns();
    printf("%-7s miss    %9llu absent (%llu found):        %10.0f /s\n",
           crawl_state_backend_name(st), (unsigned long long)n, (unsigned long long)hits,
           rate(n, t0, t1));

    t0 = fa_time_mono_ns();
    for (uint64_t i = 0; i < n / 10; i += batch) {
        if ((rc = crawl_state_begin(st)) < 0) goto fail;
        for (uint64_t j = i; j < i + batch && j < n / 10; j++) {
            uint64_t k = (j * 7919u) % n;
            make_url(url, sizeof url, k, 1);
            fill(&r, k);
            r.http_status = 304;
            r.fetch_count = 2;
            if ((rc = crawl_state_put_url(st, url, &r)) < 0) goto fail;
        }
        if ((rc = crawl_state_commit(st)) < 0) goto fail;
    }
    t1 = fa_time_mono_ns();
    printf("%-7s update  %9llu present, batches of %llu: %8.0f /s\n", crawl_state_backend_name(st),
           (unsigned long long)(n / 10), (unsigned long long)batch, rate(n / 10, t0, t1));
    return 0;
fail:
    fprintf(stderr, "bench_state: %s: %s\n", fa_strerror(rc), crawl_state_errmsg(st));
    return rc;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    uint64_t batch = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000;
    char dir[512], err[512];
    int own_dir = argc <= 3, rc = 0;
    crawl_state *st = NULL;
    struct stat sb;

    if (n == 0 || batch == 0) {
        fprintf(stderr, "usage: bench_state [N [BATCH [DIR]]]\n");
        return 64;
    }
    if (own_dir) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/bench-state-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 73;
        }
    } else {
        snprintf(dir, sizeof dir, "%s", argv[3]);
    }

    if (crawl_state_open_sqlite(dir, &st, err, sizeof err) < 0) {
        fprintf(stderr, "bench_state: %s\n", err);
        rc = 1;
        goto out;
    }
    printf("sqlite state in %s\n", dir);
    rc = bench(st, n, batch);
    crawl_state_close(st);
    st = NULL;
    {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, CRAWL_STATE_SQLITE_FILE);
        if (stat(path, &sb) == 0)
            printf("sqlite  database file: %.1f MiB (%.0f bytes/url)\n",
                   (double)sb.st_size / 1048576.0, (double)sb.st_size / (double)n);
    }
    if (rc < 0) goto out;

    if (crawl_state_open_memory(&st) < 0) {
        fprintf(stderr, "bench_state: out of memory\n");
        rc = 1;
        goto out;
    }
    rc = bench(st, n, batch);
    crawl_state_close(st);
out:
    if (own_dir) nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc < 0 ? 1 : rc;
}
