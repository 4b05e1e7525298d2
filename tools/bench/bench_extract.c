/*
 * bench_extract.c - main-text extraction speed, MB/s of HTML per core.
 *
 *   bench_extract [--repeat N] [--generated-mb M] [DIR...]
 *
 * Loads every regular file of each DIR (e.g. trafilatura's tests/eval/,
 * kept outside this repository) into memory, plus the project's own
 * generated news pages (tests/dedup/corpus.c, both generators, M MB,
 * default 32, 0 for none), and
 * runs text_extract_html (charset decision, libxml2 SAX push parser,
 * classifier) over each set N times (default 5).  Printed per set: pages,
 * MB, and MB/s of HTML over the process's CPU time (so time the shared
 * machine gives to other processes is not counted), best and median of the
 * N runs.  Run it pinned to one core (taskset -c 1) from a RelWithDebInfo
 * build; figures go to docs/BENCHMARKS.md.
 */
#include "common/fa_buf.h"
#include "dedup/text_extract.h"
#include "tests/dedup/corpus.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct page_set {
    const char *name;
    char **html;
    size_t *len;
    size_t n, cap, bytes;
} page_set;

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int add_page(page_set *s, char *html, size_t len)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 256;
        char **nh = realloc(s->html, nc * sizeof *nh);
        if (nh == NULL) return -1;
        s->html = nh;
        size_t *nl = realloc(s->len, nc * sizeof *nl);
        if (nl == NULL) return -1;
        s->len = nl;
        s->cap = nc;
    }
    s->html[s->n] = html;
    s->len[s->n++] = len;
    s->bytes += len;
    return 0;
}

static int load_dir(page_set *s, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        perror(dir);
        return -1;
    }
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        FILE *f = fopen(path, "rb");
        if (f == NULL) continue;
        char *buf = malloc((size_t)st.st_size + 1);
        size_t got = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
        fclose(f);
        if (buf == NULL || add_page(s, buf, got) < 0) {
            free(buf);
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    return 0;
}

static int load_generated(page_set *s, size_t max_bytes)
{
    for (uint32_t seed = 1; s->bytes < max_bytes; seed++) {
        corpus c;
        if (corpus_generate((int)(seed % 2), seed, 40, &c) < 0) return -1;
        for (size_t i = 0; i < c.n_docs; i++) {
            char *h = malloc(c.docs[i].len);
            if (h == NULL) return -1;
            memcpy(h, c.docs[i].html, c.docs[i].len);
            if (add_page(s, h, c.docs[i].len) < 0) return -1;
        }
        corpus_free(&c);
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run_set(const page_set *s, int repeat)
{
    double rates[64];
    size_t content = 0;
    for (int r = 0; r < repeat; r++) {
        double t0 = cpu_now();
        content = 0;
        for (size_t i = 0; i < s->n; i++) {
            text_doc *d = NULL;
            if (text_extract_html(s->html[i], s->len[i], NULL, &d) < 0) continue;
            for (size_t k = 0; k < d->n_blocks; k++)
                if (d->blocks[k].cls == TEXT_CONTENT) content += d->blocks[k].len;
            text_doc_free(d);
        }
        rates[r] = (double)s->bytes / 1e6 / (cpu_now() - t0);
    }
    double best = 0;
    for (int r = 0; r < repeat; r++)
        if (rates[r] > best) best = rates[r];
    qsort(rates, (size_t)repeat, sizeof rates[0], cmp_double);
    printf("%-40s %6zu pages %7.1f MB  main text %6.1f MB  best %6.1f MB/s  median %6.1f MB/s\n",
           s->name, s->n, (double)s->bytes / 1e6, (double)content / 1e6, best,
           rates[repeat / 2]);
    return 0;
}

int main(int argc, char **argv)
{
    int repeat = 5, first = 1;
    long gen_mb = 32;
    while (first + 1 < argc && argv[first][0] == '-') {
        if (strcmp(argv[first], "--repeat") == 0)
            repeat = atoi(argv[first + 1]);
        else if (strcmp(argv[first], "--generated-mb") == 0)
            gen_mb = atol(argv[first + 1]);
        else
            break;
        first += 2;
    }
    if (repeat < 1 || repeat > 64 || gen_mb < 0 || gen_mb > 4096 ||
        (first < argc && argv[first][0] == '-')) {
        fprintf(stderr, "usage: bench_extract [--repeat N (1-64)] [--generated-mb M] [DIR...]\n");
        return 64;
    }
    for (int a = first; a < argc; a++) {
        page_set s = {.name = argv[a]};
        if (load_dir(&s, argv[a]) < 0) return 1;
        run_set(&s, repeat);
        for (size_t i = 0; i < s.n; i++)
            free(s.html[i]);
        free(s.html);
        free(s.len);
    }
    if (gen_mb == 0) return 0;
    page_set g = {.name = "generated (tests/dedup/corpus.c)"};
    if (load_generated(&g, (size_t)gen_mb << 20) < 0) return 1;
    run_set(&g, repeat);
    for (size_t i = 0; i < g.n; i++)
        free(g.html[i]);
    free(g.html);
    free(g.len);
    return 0;
}
