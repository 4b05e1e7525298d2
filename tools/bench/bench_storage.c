/*
 * bench_storage.c - bytes on disk and write throughput of the segment
 * writer, without and with a trained dictionary, on real exchanges.
 *
 * usage: bench_storage SRC_DIR WORK_DIR [LEVEL]
 *
 * Loads every request/response pair archived in SRC_DIR (e.g. what
 * `feedarc once` wrote for tools/bench/bench_storage.sh) into memory, trains a
 * 112 KiB dictionary on the first 1000 records (as the crawler would), then
 * writes all the exchanges again into WORK_DIR/<run> with 1 and 2 writing
 * threads, without and with the dictionary, and prints one Markdown table
 * row per run: records, WARC bytes, bytes on disk (segments only; the CDXJ
 * index is listed apart), ratio, seconds, MB/s of uncompressed WARC.
 * Everything is in memory before the clock starts; the clock covers
 * hashing, compression, write(2) and the final fsync + rename + index.
 */
#include "common/fa_buf.h"
#include "common/fa_spool.h"
#include "common/fa_time.h"
#include "storage/segment_dict.h"
#include "storage/segment_recover.h"
#include "storage/segment_writer.h"
#include "storage/warc_reader.h"
#include "storage/warc_record.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DICT_SIZE (112 * 1024)
#define DICT_RECORDS 1000

typedef struct ex {
    char *uri;
    char *req;
    size_t req_len;
    char *head;
    size_t head_len;
    fa_spool body;
    int chunked;
    int64_t date_ns;
} ex;

static ex *exs;
static size_t n_ex, cap_ex;
static fa_buf samples;
static size_t sizes[DICT_RECORDS];
static unsigned n_samples;
static const char *src;

static char *dup_mem(const void *p, size_t n)
{
    char *d = malloc(n + 1);
    memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

static void add_sample(const warc_record *rec)
{
    if (n_samples >= DICT_RECORDS) return;
    size_t before = samples.len;
    fa_buf_printf(&samples, "%s\r\n", rec->version);
    for (size_t i = 0; i < rec->n_fields; i++)
        fa_buf_printf(&samples, "%s: %s\r\n", rec->fields[i].name, rec->fields[i].value);
    fa_buf_append(&samples, "\r\n", 2);
    fa_buf_append(&samples, rec->block, rec->block_len);
    fa_buf_append(&samples, "\r\n\r\n", 4);
    sizes[n_samples++] = samples.len - before;
}

static int load_segment(void *ud, const char *name)
{
    (void)ud;
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/%s", src, name);
    warc_reader *r;
    warc_record rec;
    if (warc_reader_open(path, 0, &r, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    char *pending_req = NULL;
    size_t pending_len = 0;
    while (warc_reader_next(r, &rec) == 1) {
        add_sample(&rec);
        const char *type = warc_record_field(&rec, "WARC-Type");
        if (strcmp(type, "request") == 0) {
            free(pending_req);
            pending_req = dup_mem(rec.block, rec.block_len);
            pending_len = rec.block_len;
            continue;
        }
        if (strcmp(type, "response") != 0 || pending_req == NULL) continue;
        if (n_ex == cap_ex) {
            cap_ex = cap_ex ? cap_ex * 2 : 1024;
            exs = realloc(exs, cap_ex * sizeof *exs);
        }
        ex *e = &exs[n_ex++];
        size_t head = warc__http_head_len(rec.block, rec.block_len);
        e->uri = strdup(warc_record_field(&rec, "WARC-Target-URI"));
        e->req = pending_req;
        e->req_len = pending_len;
        pending_req = NULL;
        e->head = dup_mem(rec.block, head);
        e->head_len = head;
        e->chunked = warc__http_is_chunked(rec.block, head);
        fa_time_parse_rfc3339(warc_record_field(&rec, "WARC-Date"), &e->date_ns);
        fa_spool_init(&e->body, 64u << 20, 1u << 30, "/tmp");
        if (rec.block_len > head) fa_spool_write(&e->body, rec.block + head, rec.block_len - head);
    }
    free(pending_req);
    warc_reader_close(r);
    return 0;
}

typedef struct job {
    segment_writer *w;
    size_t from, step;
    int rc;
} job;

static void *writer(void *p)
{
    job *j = p;
    for (size_t i = j->from; i < n_ex && j->rc == 0; i += j->step) {
        ex *e = &exs[i];
        warc_exchange x = {e->uri,  NULL,        e->date_ns, e->req,    e->req_len,
                           e->head, e->head_len, &e->body,   e->chunked};
        j->rc = segment_writer_write_exchange(j->w, &x, NULL);
    }
    return NULL;
}

static uint64_t dir_bytes(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    uint64_t total = 0;
    size_t sl = strlen(suffix);
    while (d && (e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < sl || strcmp(e->d_name + l - sl, suffix) != 0) continue;
        char p[4096];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) == 0) total += (uint64_t)st.st_size;
    }
    if (d) closedir(d);
    return total;
}

static void run(const char *work, const char *label, const void *dict, size_t dict_len, int threads,
                int level)
{
    char dir[4096], cmd[4200];
    snprintf(dir, sizeof dir, "%s/%s-%dt", work, label, threads);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return;
    segment_writer_options o = {
        .dir = dir, .prefix = "bench", .level = level, .dict = dict, .dict_len = dict_len};
    segment_writer *w;
    char err[512];
    if (segment_writer_open(&o, &w, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    uint64_t t0 = fa_time_mono_ns();
    pthread_t th[8];
    job jobs[8];
    for (int i = 0; i < threads; i++) {
        jobs[i] = (job){w, (size_t)i, (size_t)threads, 0};
        pthread_create(&th[i], NULL, writer, &jobs[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        if (jobs[i].rc < 0) {
            segment_writer_last_error(w, err, sizeof err);
            fprintf(stderr, "write: %s\n", err);
            exit(1);
        }
    }
    segment_writer_stats st;
    segment_writer_get_stats(w, &st);
    if (segment_writer_close(w) < 0) exit(1);
    double s = (double)(fa_time_mono_ns() - t0) / 1e9;
    uint64_t on_disk = dir_bytes(dir, ".warc.zst"), idx = dir_bytes(dir, ".cdxj");
    printf("| %s | %d | %llu | %llu | %llu | %llu | %.3f | %.3f | %.0f |\n", label, threads,
           (unsigned long long)st.records, (unsigned long long)st.bytes_uncompressed,
           (unsigned long long)on_disk, (unsigned long long)idx,
           (double)on_disk / (double)st.bytes_uncompressed, s,
           (double)st.bytes_uncompressed / 1e6 / s);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_storage SRC_DIR WORK_DIR [LEVEL]\n");
        return 64;
    }
    src = argv[1];
    int level = argc > 3 ? atoi(argv[3]) : 0;
    fa_buf_init(&samples, (size_t)1 << 31);
    if (segment_list_from(src, NULL, load_segment, NULL) < 0) return 1;
    void *dict = NULL;
    size_t dict_len = 0;
    uint64_t t0 = fa_time_mono_ns();
    if (segment_dict_train(samples.data, sizes, n_samples, DICT_SIZE, &dict, &dict_len, NULL) < 0) {
        fprintf(stderr, "training on %u records failed\n", n_samples);
        return 1;
    }
    double train_s = (double)(fa_time_mono_ns() - t0) / 1e9;
    void *frame;
    size_t frame_len;
    segment__dict_frame(dict, dict_len, &frame, &frame_len);
    printf("%zu exchanges loaded; dictionary %u: %zu bytes trained on %u records (%zu bytes) "
           "in %.2f s; its frame in each segment: %zu bytes\n\n",
           n_ex, segment_dict_id(dict, dict_len), dict_len, n_samples, samples.len, train_s,
           frame_len);
    free(frame);
    printf("| run | threads | records | WARC bytes | bytes on disk | CDXJ bytes | ratio | "
           "seconds | MB/s |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (int threads = 1; threads <= 2; threads++) {
        run(argv[2], "no dictionary", NULL, 0, threads, level);
        run(argv[2], "dictionary", dict, dict_len, threads, level);
    }
    free(dict);
    return 0;
}
