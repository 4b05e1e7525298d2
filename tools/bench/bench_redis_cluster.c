/*
 * bench_redis_cluster.c - what the cluster mode costs Redis (issue 15):
 * commands, bytes sent and memory per url record, per source and per
 * request, measured on a real redis-server started on a random loopback
 * port (like the tests; exits 77 without redis-server).
 *
 *   build/tools/bench/bench_redis_cluster [N]     (N url records, default 100000)
 *
 * Url records are realistic (an 80-byte URL, item id, dates, ETag,
 * Last-Modified, digest, record id, segment name, offset, length) and put
 * through crawl_state in transactions of 100, as the crawler commits.
 * Memory: INFO memory's used_memory before and after, divided by N, and
 * MEMORY USAGE of one record's key.  Commands and bytes: INFO stats
 * (total_commands_processed, total_net_input_bytes) around the run, minus
 * the INFO calls themselves.  Leases and the host gate: fa_redis's own
 * counters (commands, bytes sent).  Results go to docs/SCALING.md.
 */
#include "common/fa_err.h"
#include "common/fa_redis.h"
#include "common/fa_time.h"
#include "redis/redis_loop_util.h"
#include "redis/redis_test_util.h"
#include "storage/state/cluster_host_gate.h"
#include "storage/state/cluster_lease.h"
#include "storage/state/crawl_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static redis_test_server srv;

/* A field of INFO <section> as a number. */
static long long info(const char *section, const char *field)
{
    char *text = redis_test_str(&srv, "INFO %s", section);
    long long v = -1;
    if (text == NULL) return -1;
    char want[96];
    snprintf(want, sizeof want, "\n%s:", field);
    char *p = strstr(text, want);
    if (p != NULL) v = strtoll(p + strlen(want), NULL, 10);
    free(text);
    return v;
}

static void fill(url_record *r, int i)
{
    memset(r, 0, sizeof *r);
    r->kind = URL_KIND_PAGE;
    snprintf(r->source, sizeof r->source, "news.example.org/feed");
    snprintf(r->item_id, sizeof r->item_id, "https://news.example.org/?p=%d", 100000 + i);
    snprintf(r->item_published, sizeof r->item_published, "2026-11-%02dT10:%02d:00Z", 1 + i % 28,
             i % 60);
    snprintf(r->item_updated, sizeof r->item_updated, "%s", r->item_published);
    snprintf(r->etag, sizeof r->etag, "\"%08x-5f3a\"", (unsigned)i * 2654435761u);
    snprintf(r->last_modified, sizeof r->last_modified, "Mon, 23 Nov 2026 15:37:00 GMT");
    r->http_status = 200;
    r->last_fetch_ns = 1795000000000000000LL + (int64_t)i * 1000000007LL;
    snprintf(r->payload_digest, sizeof r->payload_digest, "sha1:%032d",
             i); /* 32 base32 characters in real life */
    snprintf(r->warc_record_id, sizeof r->warc_record_id, "<urn:uuid:%08x-1b2c-4d5e-8f90-%012d>",
             (unsigned)i, i);
    snprintf(r->warc_segment, sizeof r->warc_segment, "feedarc-node-a-20261202-000%d.warc.zst",
             i / 50000);
    r->warc_offset = (uint64_t)i * 23456u;
    r->warc_length = 23456;
    r->fetch_count = 1;
}

static void url_of(char *out, size_t cap, int i)
{
    snprintf(out, cap, "https://news.example.org/2026/11/%02d/a-story-about-something-%07d/",
             1 + i % 28, i);
}

/* ---- leases and host gate: counts from fa_redis ---- */

static int done_flag;
static void on_lease(void *ud, int v, const char *err)
{
    (void)ud;
    (void)v;
    (void)err;
    done_flag = 1;
}
static char slot[CLUSTER_HOST_SLOT_MAX];
static void on_acq(void *ud, int granted, const char *s, int64_t w, int c, int64_t now,
                   const char *err)
{
    (void)ud, (void)w, (void)c, (void)now, (void)err;
    if (granted) snprintf(slot, sizeof slot, "%s", s);
    done_flag = 1;
}
static void on_rel(void *ud, int64_t next, const char *err)
{
    (void)ud, (void)next, (void)err;
    done_flag = 1;
}

#define WAIT(expr)                                                                                 \
    do {                                                                                           \
        done_flag = 0;                                                                             \
        if ((expr) != 0 || !test_loop_until(&t, &done_flag, 1, 5000)) {                            \
            fprintf(stderr, "failed: %s\n", #expr);                                                \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    if (n < 1000) n = 1000;
    redis_test_require();
    if (redis_test_start(&srv, NULL) < 0) return 1;
    crawl_state *st = NULL;
    char err[256], url[256];
    if (crawl_state_open_redis(srv.url, NULL, NULL, &st, err, sizeof err) < 0) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    long long mem0 = info("memory", "used_memory");
    long long cmd0 = info("stats", "total_commands_processed");
    long long in0 = info("stats", "total_net_input_bytes");
    url_record r;
    uint64_t t0 = fa_time_mono_ns();
    for (int b = 0; b < n / 100; b++) {
        crawl_state_begin(st);
        for (int i = b * 100; i < b * 100 + 100; i++) {
            fill(&r, i);
            url_of(url, sizeof url, i);
            if (crawl_state_put_url(st, url, &r) < 0) {
                fprintf(stderr, "put: %s\n", crawl_state_errmsg(st));
                return 1;
            }
        }
        if (crawl_state_commit(st) < 0) {
            fprintf(stderr, "commit: %s\n", crawl_state_errmsg(st));
            return 1;
        }
    }
    uint64_t t1 = fa_time_mono_ns();
    long long cmd1 = info("stats", "total_commands_processed");
    long long in1 = info("stats", "total_net_input_bytes");
    long long mem1 = info("memory", "used_memory");
    url_of(url, sizeof url, n / 2);
    char key[320];
    snprintf(key, sizeof key, "%surl:%s", CRAWL_STATE_REDIS_PREFIX, url);
    long long usage = redis_test_int(&srv, "MEMORY USAGE %s", key);
    /* gets */
    for (int i = 0; i < n; i += 10) {
        url_of(url, sizeof url, i);
        if (crawl_state_get_url(st, url, &r) != 1) return 1;
    }
    uint64_t t2 = fa_time_mono_ns();
    long long cmd2 = info("stats", "total_commands_processed");
    long long in2 = info("stats", "total_net_input_bytes");
    /* (each info() is one command and ~20 bytes in) */
    printf("url records: %d put in transactions of 100 (%.0f puts/s), %d got (%.0f gets/s)\n", n,
           n / ((double)(t1 - t0) / 1e9), n / 10, (n / 10) / ((double)(t2 - t1) / 1e9));
    printf("  per put: %.2f commands, %.0f bytes sent; per get: %.2f commands, %.0f bytes sent\n",
           (double)(cmd1 - cmd0 - 2) / n, (double)(in1 - in0) / n,
           (double)(cmd2 - cmd1 - 3) / (n / 10), (double)(in2 - in1) / (n / 10));
    printf("  memory: %.0f bytes per record (used_memory), MEMORY USAGE of one: %lld bytes "
           "(key %zu bytes)\n",
           (double)(mem1 - mem0) / n, usage, strlen(key));

    /* sources */
    source_record s;
    long long mem3 = info("memory", "used_memory");
    long long cmd3 = info("stats", "total_commands_processed");
    long long in3 = info("stats", "total_net_input_bytes");
    int ns = n / 10;
    for (int i = 0; i < ns; i++) {
        memset(&s, 0, sizeof s);
        snprintf(s.name, sizeof s.name, "site-%06d.example.org/feed", i);
        snprintf(s.url, sizeof s.url, "https://site-%06d.example.org/feed", i);
        s.last_attempt_ns = s.last_success_ns = 1795000000000000000LL + i;
        s.last_status = 200;
        s.items_archived = 1234;
        s.next_due_ns = s.last_attempt_ns + 900000000000LL;
        if (crawl_state_put_source(st, &s) < 0) return 1; /* each its own MULTI/EXEC */
    }
    long long cmd4 = info("stats", "total_commands_processed");
    long long in4 = info("stats", "total_net_input_bytes");
    long long mem4 = info("memory", "used_memory");
    printf("sources: %d put one by one: %.2f commands, %.0f bytes sent, %.0f bytes of memory "
           "each (hash + sorted-set entry)\n",
           ns, (double)(cmd4 - cmd3 - 2) / ns, (double)(in4 - in3) / ns,
           (double)(mem4 - mem3) / ns);
    crawl_state_close(st);

    /* leases and host gate, per operation */
    test_loop t;
    test_loop_init(&t);
    fa_redis *conn[1] = {test_loop_connect(&t, srv.url)};
    cluster_lease *l;
    cluster_host_gate *g;
    fa_redis_stats a, b2;
    cluster_lease_open(conn[0], NULL, "node-a", 30000, &l);
    cluster_host_gate_open(conn[0], NULL, "node-a", 120000, &g);
    long long mem5 = info("memory", "used_memory");
    enum { OPS = 2000 };
    fa_redis_get_stats(conn[0], &a);
    for (int i = 0; i < OPS; i++) {
        char src[64];
        snprintf(src, sizeof src, "site-%06d.example.org/feed", i);
        WAIT(cluster_lease_claim(l, src, on_lease, NULL));
    }
    fa_redis_get_stats(conn[0], &b2);
    long long mem6 = info("memory", "used_memory");
    printf("lease claim: %.0f bytes sent each (EVALSHA); %.0f bytes of memory "
           "per lease held\n",
           (double)(b2.bytes_sent - a.bytes_sent) / OPS, (double)(mem6 - mem5) / OPS);
    fa_redis_get_stats(conn[0], &a);
    for (int i = 0; i < OPS; i++) {
        char src[64];
        snprintf(src, sizeof src, "site-%06d.example.org/feed", i);
        WAIT(cluster_lease_renew(l, src, on_lease, NULL));
    }
    fa_redis_get_stats(conn[0], &b2);
    printf("lease renew: %.0f bytes sent each\n", (double)(b2.bytes_sent - a.bytes_sent) / OPS);
    fa_redis_get_stats(conn[0], &a);
    uint64_t t3 = fa_time_mono_ns();
    for (int i = 0; i < OPS; i++) {
        char host[64];
        snprintf(host, sizeof host, "https://site-%06d.example.org:443", i);
        slot[0] = '\0';
        WAIT(cluster_host_gate_acquire(g, host, 1000, 0, on_acq, NULL));
        WAIT(cluster_host_gate_release(g, host, slot, 1000, on_rel, NULL));
    }
    uint64_t t4 = fa_time_mono_ns();
    fa_redis_get_stats(conn[0], &b2);
    long long mem7 = info("memory", "used_memory");
    printf("host gate: acquire + release = %.0f commands, %.0f bytes sent per request, %.0f us "
           "round trips per request on loopback; %.0f bytes of memory per host\n",
           (double)(b2.commands - a.commands) / OPS, (double)(b2.bytes_sent - a.bytes_sent) / OPS,
           (double)(t4 - t3) / 1e3 / OPS, (double)(mem7 - mem6) / OPS);
    cluster_lease_free(l);
    cluster_host_gate_free(g);
    test_loop_finish(&t, conn, 1);
    redis_test_stop(&srv);
    return 0;
}
