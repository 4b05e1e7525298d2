/*
 * cmd_dict.c - zstd dictionaries of warc.zst segments:
 *
 *   feedarc dict-extract SEGMENT OUT
 *       writes the dictionary carried in SEGMENT's dictionary frame (the
 *       IIPC warc.zst convention; decompressed when stored compressed) to
 *       OUT, for `zstd -d -D OUT SEGMENT`.
 *   feedarc dict-train DIR OUT [--size BYTES] [--records N]
 *       trains a dictionary (default 112 KiB) on the first N records
 *       (default 1000) of the archive in DIR, as the crawler does, and
 *       writes it to OUT.
 *
 * Exit status: 0 written; 64 bad usage; 65 no dictionary frame / corrupt
 * segment / too few samples to train; 66 input cannot be read; 73 OUT
 * cannot be written.
 */
#include "cli/cli.h"
#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "storage/segment_dict.h"
#include "storage/segment_recover.h"
#include "storage/warc_reader.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_out(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) == EOF) {
        fprintf(stderr, "feedarc: %s: %s\n", path, strerror(errno));
        return EXIT_CANTCREAT;
    }
    return 0;
}

int cmd_dict_extract(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr,
                "usage: feedarc dict-extract SEGMENT OUT (see feedarc help dict-extract)\n");
        return EXIT_USAGE;
    }
    void *dict = NULL;
    size_t len = 0;
    char err[1024];
    int rc = segment_dict_from_segment(argv[1], &dict, &len, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "feedarc dict-extract: %s\n", err);
        return rc == FA_ENOENT || rc == FA_ECORRUPT ? 65 : 66;
    }
    rc = write_out(argv[2], dict, len);
    if (rc == 0)
        fprintf(stderr, "%s: dictionary %u, %zu bytes\n", argv[2], segment_dict_id(dict, len), len);
    free(dict);
    return rc;
}

typedef struct train_ctx {
    const char *dir;
    unsigned want, n;
    fa_buf samples;
    size_t *sizes;
    char err[1024];
} train_ctx;

/* Adds the records of one segment (header lines rebuilt, block, trailer). */
static int train_segment(void *ud, const char *name)
{
    train_ctx *t = ud;
    char path[4096];
    warc_reader *r = NULL;
    warc_record rec;
    int rc;
    snprintf(path, sizeof path, "%s/%s", t->dir, name);
    if ((rc = warc_reader_open(path, 0, &r, t->err, sizeof t->err)) < 0) return rc;
    while (t->n < t->want && (rc = warc_reader_next(r, &rec)) == 1) {
        size_t before = t->samples.len;
        rc = fa_buf_printf(&t->samples, "%s\r\n", rec.version);
        for (size_t i = 0; rc == 0 && i < rec.n_fields; i++)
            rc = fa_buf_printf(&t->samples, "%s: %s\r\n", rec.fields[i].name, rec.fields[i].value);
        if (rc == 0) rc = fa_buf_append(&t->samples, "\r\n", 2);
        if (rc == 0) rc = fa_buf_append(&t->samples, rec.block, rec.block_len);
        if (rc == 0) rc = fa_buf_append(&t->samples, "\r\n\r\n", 4);
        if (rc < 0) break;
        t->sizes[t->n++] = t->samples.len - before;
    }
    if (rc < 0 && t->err[0] == '\0') snprintf(t->err, sizeof t->err, "%s", warc_reader_error(r));
    warc_reader_close(r);
    if (rc < 0) return rc;
    return t->n >= t->want ? 1 : 0; /* 1 stops the walk */
}

int cmd_dict_train(int argc, char **argv)
{
    static const struct option opts[] = {{"size", required_argument, NULL, 's'},
                                         {"records", required_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    size_t size = 112 * 1024;
    unsigned records = 1000;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "s:n:", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            size = strtoul(optarg, NULL, 10);
            break;
        case 'n':
            records = (unsigned)strtoul(optarg, NULL, 10);
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind + 2 != argc || records == 0) {
        fprintf(stderr, "usage: feedarc dict-train DIR OUT [--size BYTES] [--records N]\n");
        return EXIT_USAGE;
    }
    train_ctx t = {.dir = argv[optind], .want = records};
    fa_buf_init(&t.samples, (size_t)1 << 31);
    t.sizes = calloc(records, sizeof *t.sizes);
    if (t.sizes == NULL) return EXIT_SOFTWARE;
    int rc = segment_list_from(t.dir, NULL, train_segment, &t);
    int code = 0;
    void *dict = NULL;
    size_t len = 0;
    if (rc < 0) {
        fprintf(stderr, "feedarc dict-train: %s\n", t.err[0] ? t.err : fa_strerror(rc));
        code = 66;
        goto out;
    }
    rc = segment_dict_train(t.samples.data, t.sizes, t.n, size, &dict, &len, NULL);
    if (rc < 0) {
        fprintf(stderr,
                "feedarc dict-train: cannot train a %zu-byte dictionary on %u records "
                "(%zu bytes): %s\n",
                size, t.n, t.samples.len, fa_strerror(rc));
        code = 65;
        goto out;
    }
    code = write_out(argv[optind + 1], dict, len);
    if (code == 0)
        fprintf(stderr, "%s: dictionary %u, %zu bytes, from %u records\n", argv[optind + 1],
                segment_dict_id(dict, len), len, t.n);
out:
    free(dict);
    free(t.sizes);
    fa_buf_free(&t.samples);
    return code;
}
