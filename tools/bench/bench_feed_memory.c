/*
 * bench_feed_memory.c - peak memory of parsing a feed through
 * crawler/feeds/source_parser: a 20 MB feed against a 200 KB one.
 *
 * The claim to check: parsers are streamed, so memory grows with the
 * largest item, not with the response.  For each format (RSS 2.0,
 * WordPress REST JSON, a sitemap) and each size, a child process is
 * forked that generates the body on the fly (never holding it: each
 * 64 KiB chunk is produced, pushed and overwritten), parses it with
 * source_parser in 64 KiB chunks, and reports getrusage's ru_maxrss (peak
 * resident set, KiB) and the items it saw.  Both sizes use the same
 * item shapes (about 2 KB each), so the 20 MB body has 100 times the
 * items of the 200 KB one.  The difference in peak RSS is what the
 * bigger body costs.
 *
 *   usage: bench_feed_memory [SMALL_BYTES BIG_BYTES]   (default 200000 20000000)
 *
 * Run by hand; results in docs/BENCHMARKS.md ("Streaming feed parsing:
 * memory").
 */
#include "crawler/feeds/source_parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK ((size_t)64 << 10)

enum fmt { F_RSS, F_WP, F_SITEMAP, F_COUNT };
static const char *const fmt_name[] = {"RSS 2.0", "WordPress JSON", "sitemap"};

typedef struct gen {
    enum fmt f;
    size_t target, produced;
    unsigned item;
    int state; /* 0 head, 1 items, 2 tail, 3 done */
} gen;

static const char lorem[] =
    "Harbour works continue through the winter; the council says the new quay will "
    "open in spring &amp; the ferries keep their timetable. ";

/* Appends the next piece of the document to b (len at most cap); returns
 * the new length. */
static size_t gen_piece(gen *g, char *b, size_t len, size_t cap)
{
    char item[4096];
    int n = 0;
    if (g->state == 0) {
        static const char *const heads[] = {
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" "
            "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>"
            "<title>Bench</title><link>https://bench.example.org/</link>\n",
            "[\n",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset "
            "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"};
        n = snprintf(item, sizeof item, "%s", heads[g->f]);
        g->state = 1;
    } else if (g->state == 1) {
        unsigned i = g->item++;
        char text[1800];
        size_t t = 0;
        while (t + sizeof lorem < sizeof text) {
            memcpy(text + t, lorem, sizeof lorem - 1);
            t += sizeof lorem - 1;
        }
        text[t] = '\0';
        if (g->f == F_RSS)
            n = snprintf(item, sizeof item,
                         "<item><title>Story %u about the harbour</title>"
                         "<link>https://bench.example.org/2026/11/story-%u</link>"
                         "<guid isPermaLink=\"false\">bench-%u</guid>"
                         "<pubDate>Mon, 23 Nov 2026 15:37:00 +0000</pubDate>"
                         "<description>Summary of story %u</description>"
                         "<content:encoded><![CDATA[<p>%s</p>]]></content:encoded></item>\n",
                         i, i, i, i, text);
        else if (g->f == F_WP)
            n = snprintf(item, sizeof item,
                         "%s{\"id\":%u,\"date_gmt\":\"2026-11-20T09:00:00\","
                         "\"modified_gmt\":\"2026-11-21T11:30:00\","
                         "\"link\":\"https://bench.example.org/2026/11/story-%u/\","
                         "\"title\":{\"rendered\":\"Story %u &#8211; harbour\"},"
                         "\"content\":{\"rendered\":\"<p>%s</p>\",\"protected\":false}}\n",
                         i ? "," : "", i, i, i, text);
        else
            n = snprintf(item, sizeof item,
                         "<url><loc>https://bench.example.org/2026/11/story-%u-%.1500s</loc>"
                         "<lastmod>2026-11-21T11:30:00Z</lastmod></url>\n",
                         i,
                         "padding-padding-padding-padding-padding-padding-padding-padding-"
                         "padding-padding-padding-padding-padding-padding-padding-padding-"
                         "padding-padding-padding-padding-padding-padding-padding-padding-"
                         "padding-padding-padding-padding-padding-padding-padding-padding-"
                         "padding-padding-padding-padding-padding-padding-padding-padding-");
        if (g->produced + (size_t)n >= g->target) g->state = 2;
    } else if (g->state == 2) {
        static const char *const tails[] = {"</channel></rss>\n", "]\n", "</urlset>\n"};
        n = snprintf(item, sizeof item, "%s", tails[g->f]);
        g->state = 3;
    }
    if (n <= 0 || (size_t)n > cap - len) return len; /* caller flushes first */
    memcpy(b + len, item, (size_t)n);
    g->produced += (size_t)n;
    return len + (size_t)n;
}

static int count_item(void *ud, const feed_item *it)
{
    (*(unsigned long *)ud)++;
    return it->id[0] ? 0 : -1;
}

/* In a child: generate and parse; print "items rss_kib bytes". */
static int child(enum fmt f, size_t target)
{
    unsigned long items = 0;
    source_parser_options o = {.url = "https://bench.example.org/feed",
                               .limits = {.max_items = 100000000}};
    if (f == F_WP) o.format = FA_SOURCE_WORDPRESS;
    source_parser_callbacks cb = {count_item, NULL};
    source_parser *p = source_parser_new(&o, &cb, &items);
    char *buf = malloc(CHUNK);
    if (p == NULL || buf == NULL) return 1;
    gen g = {.f = f, .target = target};
    while (g.state != 3) {
        size_t len = 0;
        for (;;) {
            size_t before = len;
            len = gen_piece(&g, buf, len, CHUNK);
            if (len == before || g.state == 3) break;
        }
        if (source_parser_push(p, buf, len) < 0) {
            fprintf(stderr, "push: %s\n", source_parser_error(p));
            return 1;
        }
    }
    int n = source_parser_finish(p);
    if (n < 0) {
        fprintf(stderr, "finish: %s\n", source_parser_error(p));
        return 1;
    }
    source_parser_free(p);
    free(buf);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%lu %ld %zu\n", items, ru.ru_maxrss, g.produced);
    fflush(stdout); /* the caller leaves with _exit */
    return 0;
}

static int measure(enum fmt f, size_t target, unsigned long *items, long *kib, size_t *bytes,
                   double *secs)
{
    int fds[2];
    if (pipe(fds) < 0) return -1;
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 1);
        fflush(stdout);
        _exit(child(f, target));
    }
    close(fds[1]);
    char out[128] = "";
    ssize_t n = read(fds[0], out, sizeof out - 1);
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    gettimeofday(&t1, NULL);
    *secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_usec - t0.tv_usec) / 1e6;
    if (n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    out[n] = '\0';
    return sscanf(out, "%lu %ld %zu", items, kib, bytes) == 3 ? 0 : -1;
}

int main(int argc, char **argv)
{
    size_t small = argc > 2 ? strtoul(argv[1], NULL, 10) : 200000;
    size_t big = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000000;
    printf("%-15s %12s %8s %14s %8s\n", "format", "body bytes", "items", "peak RSS KiB", "secs");
    int rc = 0;
    for (int f = 0; f < F_COUNT; f++) {
        long kib[2];
        for (int s = 0; s < 2; s++) {
            unsigned long items;
            size_t bytes;
            double secs;
            if (measure((enum fmt)f, s ? big : small, &items, &kib[s], &bytes, &secs) < 0) {
                fprintf(stderr, "%s: child failed\n", fmt_name[f]);
                return 1;
            }
            printf("%-15s %12zu %8lu %14ld %8.2f\n", fmt_name[f], bytes, items, kib[s], secs);
        }
        long d = kib[1] - kib[0];
        printf("%-15s difference: %+ld KiB (%.2f MiB)\n", fmt_name[f], d, (double)d / 1024.0);
        if (d > 4096) rc = 2; /* more than a few MB: the streaming claim fails */
    }
    return rc;
}
