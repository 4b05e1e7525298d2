/*
 * bench_dict.c - what the warc.zst layout (one zstd frame per record) costs
 * per record type, and what each way of compressing those frames saves:
 * the alternatives of docs/STORAGE.md "Why the first run has a dictionary".
 *
 * usage: bench_dict WARC [GENERIC.zdict]
 *
 * WARC is an uncompressed WARC file (`zstd -dc` of feedarc's segments, or
 * `feedarc export` + `gzip -dc`).  Every record is compressed on its own, as
 * the segment writer does, under each configuration below, and one
 * Markdown row is printed per configuration: bytes per record type and the
 * total.  A dictionary's own bytes (its frame, compressed at level 19) are
 * counted once, as a segment carries it once.
 *
 *   none L3 / L9 / L19        no dictionary (the old first run: L3)
 *   generic                   GENERIC.zdict, when given (a dictionary
 *                             trained elsewhere, built into the program)
 *   early N, SIZE             trained on the first N records of this crawl
 *                             (what the crawler can do while it runs; the
 *                             first N records are counted without it)
 *   full, SIZE                trained on 2,000 records picked at random over
 *                             the whole crawl (what a later run gets)
 *   trainers (BENCH_DICT_TRAINERS=1 in the environment: only these, after
 *             the rows without a dictionary) the first run's two trainings
 *             (early 500 records, 112 KiB; 2,000 records at random, 256
 *             KiB) by zstd's search over k (ZDICT_trainFromBuffer's
 *             fastCover, d=8, 4 steps, one thread: feedarc before session
 *             9) and by fastCover with k fixed (200, 1000: feedarc's, 2000),
 *             each row with its training's CPU seconds
 *   templates (BENCH_DICT_TEMPLATES=1 in the environment: only this, after
 *             the rows without a dictionary) one whole page per host among
 *             the first 500 records, then the content of a dictionary
 *             trained on them, finalized (ZDICT_finalizeDictionary)
 */
#define ZDICT_STATIC_LINKING_ONLY /* the fastCover trainers */
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zdict.h>
#include <zstd.h>

enum { T_WARCINFO, T_REQUEST, T_RESPONSE, T_METADATA, T_CONVERSION, T_REVISIT, T_OTHER, T_N };
static const char *const type_names[T_N] = {"warcinfo",   "request", "response", "metadata",
                                            "conversion", "revisit", "other"};

typedef struct rec {
    const char *p;
    size_t len;
    int type;
} rec;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static size_t split(const char *b, size_t len, rec **out)
{
    size_t n = 0, cap = 1024, off = 0;
    rec *r = malloc(cap * sizeof *r);
    while (off + 8 < len && memcmp(b + off, "WARC/", 5) == 0) {
        const char *end = memmem(b + off, len - off, "\r\n\r\n", 4);
        if (end == NULL) break;
        const char *cl = memmem(b + off, (size_t)(end - (b + off)), "Content-Length:", 15);
        if (cl == NULL) break;
        size_t body = strtoull(cl + 15, NULL, 10);
        size_t rlen = (size_t)(end + 4 - (b + off)) + body + 4;
        if (off + rlen > len) break;
        const char *t = memmem(b + off, (size_t)(end - (b + off)), "WARC-Type: ", 11);
        int type = T_OTHER;
        for (int i = 0; t && i < T_OTHER; i++)
            if (strncmp(t + 11, type_names[i], strlen(type_names[i])) == 0) type = i;
        if (n == cap) r = realloc(r, (cap *= 2) * sizeof *r);
        r[n++] = (rec){b + off, rlen, type};
        off += rlen;
    }
    *out = r;
    return n;
}

static double cpu_now(void);
static unsigned trainer_k;  /* 0: ZDICT_trainFromBuffer; 1: its search, one thread; else k */
static double train_cpu;    /* the last training's CPU seconds */

/* Trains on `want` of the records [0, n) picked at random (all when n <=
 * want), their first 32 KiB each - what the segment writer samples. */
/* the fastCover parameters of the rows with k fixed (BENCH_DICT_FAST varies them) */
static unsigned trainer_accel = 1, trainer_f = 20;
static size_t trainer_cut = 32768; /* bytes of each record sampled (SEGMENT__SAMPLE_MAX) */

static void *train(const rec *r, size_t n, size_t want, size_t size, size_t *dlen)
{
    size_t total = 0, k = 0;
    char *pick = calloc(n, 1);
    uint64_t x = 88172645463325252ull;
    for (size_t got = 0; got < want && got < n;) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t i = n <= want ? got : (size_t)(x % n);
        if (!pick[i]) pick[i] = 1, got++;
    }
    for (size_t i = 0; i < n; i++)
        if (pick[i]) total += r[i].len < trainer_cut ? r[i].len : trainer_cut;
    char *s = malloc(total);
    size_t *sizes = malloc((n + 1) * sizeof *sizes), off = 0;
    for (size_t i = 0; i < n; i++) {
        if (!pick[i]) continue;
        size_t l = r[i].len < trainer_cut ? r[i].len : trainer_cut;
        memcpy(s + off, r[i].p, l);
        off += l;
        sizes[k++] = l;
    }
    free(pick);
    void *d = malloc(size);
    double c0 = cpu_now();
    ZDICT_fastCover_params_t p;
    memset(&p, 0, sizeof p);
    p.d = 8;
    p.zParams.compressionLevel = 3;
    size_t got;
    if (trainer_k == 0) {
        got = ZDICT_trainFromBuffer(d, size, s, sizes, (unsigned)k);
    } else if (trainer_k == 1) {
        p.steps = 4;
        p.nbThreads = 1;
        got = ZDICT_optimizeTrainFromBuffer_fastCover(d, size, s, sizes, (unsigned)k, &p);
    } else {
        p.f = trainer_f;
        p.k = trainer_k;
        p.accel = trainer_accel;
        p.splitPoint = 1.0;
        got = ZDICT_trainFromBuffer_fastCover(d, size, s, sizes, (unsigned)k, p);
    }
    train_cpu = cpu_now() - c0;
    free(s);
    free(sizes);
    if (ZDICT_isError(got)) {
        fprintf(stderr, "training: %s\n", ZDICT_getErrorName(got));
        free(d);
        return NULL;
    }
    *dlen = got;
    return d;
}

/* (the "templates" alternative) A dictionary whose content is the first
 * response of each host among records [0, first) - a site's template, whole
 * - followed by the content of a ZDICT dictionary trained on those records
 * (WARC/HTTP lines, small records), finalized with their statistics. */
static void *train_templates(const rec *r, size_t first, size_t max_total, size_t *dlen)
{
    size_t zlen;
    void *z = train(r, first, first, 112 << 10, &zlen);
    if (z == NULL) return NULL;
    size_t zhead = ZDICT_getDictHeaderSize(z, zlen);
    char *content = malloc(max_total + zlen);
    size_t used = 0;
    char hosts[256][128];
    unsigned n_hosts = 0;
    for (size_t i = 0; i < first && n_hosts < 256; i++) {
        if (r[i].type != T_RESPONSE || r[i].len < 16384) continue;
        const char *u = memmem(r[i].p, r[i].len < 4096 ? r[i].len : 4096, "WARC-Target-URI: ", 17);
        if (u == NULL) continue;
        const char *h = u + 17 + 7, *e = h;
        while (*e && *e != '/' && *e != '\r' && e - h < 120) e++;
        char host[128];
        snprintf(host, sizeof host, "%.*s", (int)(e - h), h);
        unsigned k = 0;
        while (k < n_hosts && strcmp(hosts[k], host) != 0) k++;
        if (k < n_hosts) continue;
        size_t take = r[i].len < (128u << 10) ? r[i].len : (128u << 10);
        if (used + take > max_total) break;
        snprintf(hosts[n_hosts++], sizeof hosts[0], "%s", host);
        memcpy(content + used, r[i].p, take);
        used += take;
    }
    memcpy(content + used, (char *)z + zhead, zlen - zhead);
    used += zlen - zhead;
    free(z);
    size_t total = 0;
    for (size_t i = 0; i < first; i++) total += r[i].len < 32768 ? r[i].len : 32768;
    char *s = malloc(total);
    size_t *sizes = malloc(first * sizeof *sizes), off = 0;
    for (size_t i = 0; i < first; i++) {
        sizes[i] = r[i].len < 32768 ? r[i].len : 32768;
        memcpy(s + off, r[i].p, sizes[i]);
        off += sizes[i];
    }
    ZDICT_params_t zp = {.compressionLevel = 3};
    size_t cap = used + 65536;
    void *d = malloc(cap);
    size_t got = ZDICT_finalizeDictionary(d, cap, content, used, s, sizes, (unsigned)first, zp);
    free(content);
    free(s);
    free(sizes);
    fprintf(stderr, "templates: %u hosts, %zu bytes of content\n", n_hosts, used);
    if (ZDICT_isError(got)) {
        fprintf(stderr, "finalizing: %s\n", ZDICT_getErrorName(got));
        free(d);
        return NULL;
    }
    *dlen = got;
    return d;
}

static size_t dict_frame(const void *d, size_t len)
{
    size_t bound = ZSTD_compressBound(len);
    void *o = malloc(bound);
    size_t z = ZSTD_compress(o, bound, d, len, 19);
    free(o);
    return 8 + z;
}

/* Compresses records [from, n) with cd (NULL: none) at level; adds to by_type. */
static void run(ZSTD_CCtx *cc, const rec *r, size_t from, size_t n, const ZSTD_CDict *cd, int level,
                uint64_t *by_type)
{
    static char *out;
    static size_t cap;
    for (size_t i = from; i < n; i++) {
        size_t bound = ZSTD_compressBound(r[i].len);
        if (bound > cap) out = realloc(out, cap = bound);
        ZSTD_CCtx_reset(cc, ZSTD_reset_session_and_parameters);
        ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level);
        ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
        if (cd) ZSTD_CCtx_refCDict(cc, cd);
        size_t z = ZSTD_compress2(cc, out, cap, r[i].p, r[i].len);
        by_type[r[i].type] += ZSTD_isError(z) ? r[i].len : z;
    }
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
static double t0;

static void row(const char *name, const uint64_t *by_type, uint64_t extra)
{
    uint64_t total = extra;
    double cpu = cpu_now() - t0;
    printf("| %s |", name);
    for (int t = 0; t < T_N; t++) {
        printf(" %llu |", (unsigned long long)by_type[t]);
        total += by_type[t];
    }
    printf(" %llu | %llu | %.2f |\n", (unsigned long long)extra, (unsigned long long)total, cpu);
    t0 = cpu_now();
}

static void with_dict(ZSTD_CCtx *cc, const rec *r, size_t n, const char *name, const void *d,
                      size_t dlen, size_t first, int level)
{
    uint64_t by[T_N] = {0};
    t0 = cpu_now();
    if (first) run(cc, r, 0, first, NULL, 3, by);
    ZSTD_CDict *cd = ZSTD_createCDict(d, dlen, level);
    run(cc, r, first, n, cd, level, by);
    ZSTD_freeCDict(cd);
    row(name, by, dict_frame(d, dlen));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_dict WARC [GENERIC.zdict]\n");
        return 64;
    }
    size_t len, glen = 0;
    char *b = slurp(argv[1], &len);
    char *g = argc > 2 ? slurp(argv[2], &glen) : NULL;
    if (b == NULL || (argc > 2 && g == NULL)) {
        perror("reading");
        return 66;
    }
    rec *r;
    size_t n = split(b, len, &r);
    uint64_t raw[T_N] = {0}, cnt[T_N] = {0};
    for (size_t i = 0; i < n; i++)
        raw[r[i].type] += r[i].len, cnt[r[i].type]++;
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    printf("%zu records, %zu bytes\n\n| configuration |", n, len);
    for (int t = 0; t < T_N; t++)
        printf(" %s |", type_names[t]);
    printf(" dictionary frame | total | CPU s |\n|---|");
    for (int t = 0; t < T_N + 3; t++)
        printf("---:|");
    printf("\n");
    row("records", cnt, 0);
    row("uncompressed", raw, 0);
    int levels[] = {3, 9, 19};
    for (int i = 0; i < 3; i++) {
        uint64_t by[T_N] = {0};
        char name[64];
        t0 = cpu_now();
        run(cc, r, 0, n, NULL, levels[i], by);
        snprintf(name, sizeof name, "none, level %d", levels[i]);
        row(name, by, 0);
    }
    if (g) {
        with_dict(cc, r, n, "generic, level 3", g, glen, 0, 3);
        with_dict(cc, r, n, "generic, level 9", g, glen, 0, 9);
    }
    if (getenv("BENCH_DICT_FAST")) { /* after the rows without a dictionary */
        /* k=1000 (feedarc's) with cheaper settings: accel, f, bytes per record */
        static const struct { unsigned accel, f; size_t cut; } v[] = {
            {1, 20, 32768}, {2, 20, 32768}, {4, 20, 32768}, {8, 20, 32768},
            {1, 18, 32768}, {2, 18, 32768}, {4, 18, 32768}, {4, 16, 32768}, {1, 20, 16384}};
        trainer_k = 1000;
        for (int c = 0; c < 2; c++)
            for (size_t t = 0; t < sizeof v / sizeof v[0]; t++) {
                size_t dlen, want = c == 0 ? 500 : 2000;
                trainer_accel = v[t].accel, trainer_f = v[t].f, trainer_cut = v[t].cut;
                void *d = c == 0 ? train(r, want, want, 112 << 10, &dlen)
                                 : train(r, n, want, 256 << 10, &dlen);
                if (d == NULL) continue;
                char name[160];
                snprintf(name, sizeof name, "%s, accel %u, f %u, %zu KiB per record: training %.3f s",
                         c == 0 ? "early 500, 112 KiB" : "2,000 at random, 256 KiB", v[t].accel,
                         v[t].f, v[t].cut >> 10, train_cpu);
                with_dict(cc, r, n, name, d, dlen, c == 0 ? want : 0, 3);
                free(d);
            }
        return 0;
    }
    if (getenv("BENCH_DICT_TRAINERS")) { /* after the rows without a dictionary */
        unsigned ks[] = {1, 200, 1000, 2000};
        for (int c = 0; c < 2; c++)
            for (int t = 0; t < 4; t++) {
                size_t dlen, want = c == 0 ? 500 : 2000;
                trainer_k = ks[t];
                void *d = c == 0 ? train(r, want, want, 112 << 10, &dlen)
                                 : train(r, n, want, 256 << 10, &dlen);
                if (d == NULL) continue;
                char name[128];
                if (ks[t] == 1)
                    snprintf(name, sizeof name, "%s, search over k: training %.3f s",
                             c == 0 ? "early 500, 112 KiB" : "2,000 at random, 256 KiB", train_cpu);
                else
                    snprintf(name, sizeof name, "%s, k=%u: training %.3f s",
                             c == 0 ? "early 500, 112 KiB" : "2,000 at random, 256 KiB", ks[t],
                             train_cpu);
                with_dict(cc, r, n, name, d, dlen, c == 0 ? want : 0, 3);
                free(d);
            }
        return 0;
    }
    if (getenv("BENCH_DICT_TEMPLATES")) { /* after the rows without a dictionary */
        size_t caps[] = {1 << 20, 4 << 20};
        for (int c = 0; c < 2; c++) {
            size_t dlen;
            void *d = train_templates(r, 500, caps[c], &dlen);
            if (d == NULL) continue;
            char name[96];
            snprintf(name, sizeof name, "templates of the first 500 records, %zu KiB",
                     dlen >> 10);
            with_dict(cc, r, n, name, d, dlen, 500, 3);
            free(d);
        }
        return 0;
    }
    size_t early[] = {200, 500, 1000, 2000};
    size_t sizes[] = {112 << 10, 256 << 10, 512 << 10, 1024 << 10};
    for (int e = 0; e < 4; e++) {
        if (early[e] * 2 > n) break;
        size_t dlen;
        void *d = train(r, early[e], early[e], 112 << 10, &dlen);
        if (d == NULL) continue;
        char name[96];
        snprintf(name, sizeof name, "early %zu records, 112 KiB, level 3", early[e]);
        with_dict(cc, r, n, name, d, dlen, early[e], 3);
        free(d);
    }
    for (int s = 0; s < 4; s++) {
        size_t dlen;
        void *d = train(r, n, 2000, sizes[s], &dlen);
        if (d == NULL) continue;
        char name[96];
        for (int l = 3; l <= 9; l += 6) {
            snprintf(name, sizeof name, "full crawl, %zu KiB, level %d", sizes[s] >> 10, l);
            with_dict(cc, r, n, name, d, dlen, 0, l);
        }
        free(d);
    }
    ZSTD_freeCCtx(cc);
    return 0;
}
