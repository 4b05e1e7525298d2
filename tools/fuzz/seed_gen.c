/*
 * seed_gen.c - writes the seed inputs tools/fuzz/seed_corpus.sh cannot make with
 * shell tools: warc.zst segments written by the real segment writer (no
 * dictionary, a compressed dictionary frame, a raw dictionary frame, a
 * chunked response, revisit/metadata/conversion records) and brotli
 * bodies.  Run by tools/fuzz/seed_corpus.sh only; not part of the suite.
 *
 *   fuzz_seed_gen warc OUTDIR     segments into OUTDIR (seed-*.warc.zst)
 *   fuzz_seed_gen br IN OUT       OUT = brotli(IN)
 */
#include "common/fa_spool.h"
#include "storage/segment_dict.h"
#include "storage/segment_writer.h"

#include <brotli/encode.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int die(const char *what)
{
    fprintf(stderr, "fuzz_seed_gen: %s\n", what);
    return 1;
}

static int brotli_file(const char *in, const char *out)
{
    FILE *f = fopen(in, "rb");
    if (f == NULL) return die("cannot open input");
    static uint8_t buf[1 << 20], enc[(1 << 20) + 1024];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    size_t en = sizeof enc;
    if (!BrotliEncoderCompress(5, 18, BROTLI_MODE_TEXT, n, buf, &en, enc)) return die("brotli");
    f = fopen(out, "wb");
    if (f == NULL || fwrite(enc, 1, en, f) != en) return die("cannot write output");
    fclose(f);
    return 0;
}

/* Writes one segment with a few records of every kind into dir, renamed
 * to out_name.  dict may be NULL. */
static int write_segment(const char *dir, const char *out_name, const void *dict, size_t dict_len)
{
    static const char req[] = "GET /news/1 HTTP/1.1\r\nHost: www.example.com\r\n\r\n";
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                               "Content-Length: 60\r\n\r\n";
    static const char body[] = "<html><title>One</title><p>The bridge reopens today.</p></html>";
    static const char chead[] = "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n";
    static const char cbody[] = "10\r\n<rss><channel><\r\n8\r\n/channel\r\n6;x=y\r\n></rss\r\n"
                                "1\r\n>\r\n0\r\nX-Trailer: 1\r\n\r\n";
    char err[256], id[48], rid[48];
    segment_writer_options o = {.dir = dir,
                                .prefix = "seed",
                                .operator_name = "fuzz seeds",
                                .dict = dict,
                                .dict_len = dict_len,
                                .no_index = 1};
    segment_writer *w = NULL;
    if (segment_writer_open(&o, &w, err, sizeof err) < 0) return die(err);
    fa_spool b1, b2;
    fa_spool_init(&b1, 1 << 20, 1 << 20, "/tmp");
    fa_spool_init(&b2, 1 << 20, 1 << 20, "/tmp");
    fa_spool_write(&b1, body, strlen(body));
    fa_spool_write(&b2, cbody, strlen(cbody));
    warc_exchange x1 = {.target_uri = "http://www.example.com/news/1?b=2&a=1",
                        .ip_address = "192.0.2.7",
                        .request = req,
                        .request_len = strlen(req),
                        .response_head = head,
                        .response_head_len = strlen(head),
                        .body = &b1};
    warc_exchange x2 = x1;
    x2.target_uri = "https://feeds.example.org:8443/rss";
    x2.response_head = chead;
    x2.response_head_len = strlen(chead);
    x2.body = &b2;
    x2.body_chunked = 1;
    warc_written wr;
    int rc = segment_writer_write_exchange(w, &x1, &wr);
    if (rc == 0) rc = segment_writer_write_exchange(w, &x2, NULL);
    segment_writer_new_record_id(id);
    segment_writer_new_record_id(rid);
    warc_field fields[] = {{"feedarc-dedup", "novel"}, {"via", "https://feeds.example.org/rss"}};
    warc_record_spec specs[] = {
        {.record_type = WARC_TYPE_REVISIT,
         .target_uri = "http://www.example.com/news/1?b=2&a=1",
         .refers_to = wr.response_id,
         .refers_to_target_uri = "http://www.example.com/news/1?b=2&a=1",
         .refers_to_date = "2026-11-23T15:37:00Z",
         .profile = WARC_PROFILE_IDENTICAL,
         .payload_digest = wr.payload_digest,
         .block = head,
         .block_len = strlen(head)},
        {.record_type = WARC_TYPE_METADATA,
         .record_id = id,
         .target_uri = "http://www.example.com/news/1",
         .refers_to = wr.response_id,
         .fields = fields,
         .n_fields = 2},
        {.record_type = WARC_TYPE_CONVERSION,
         .record_id = rid,
         .target_uri = "http://www.example.com/news/1",
         .refers_to = wr.response_id,
         .block = "The bridge reopens today.\n",
         .block_len = 26},
    };
    if (rc == 0) rc = segment_writer_write_records(w, specs, 3, NULL);
    if (rc < 0) {
        segment_writer_last_error(w, err, sizeof err);
        return die(err);
    }
    if (segment_writer_close(w) < 0) return die("close");
    fa_spool_free(&b1);
    fa_spool_free(&b2);
    /* the one closed segment: rename it */
    DIR *d = opendir(dir);
    struct dirent *e;
    char from[4096] = "", to[4096];
    while (d && (e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "seed-", 5) == 0 && strstr(e->d_name, ".warc.zst") &&
            !strstr(e->d_name, ".cdxj"))
            snprintf(from, sizeof from, "%s/%s", dir, e->d_name);
    if (d) closedir(d);
    snprintf(to, sizeof to, "%s/%s", dir, out_name);
    if (from[0] == '\0' || rename(from, to) < 0) return die("no segment written");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "br") == 0) return brotli_file(argv[2], argv[3]);
    if (argc != 3 || strcmp(argv[1], "warc") != 0)
        return die("usage: fuzz_seed_gen warc OUTDIR | br IN OUT");
    const char *dir = argv[2];
    if (write_segment(dir, "plain.warc.zst", NULL, 0)) return 1;
    /* a small dictionary trained on WARC-like text */
    enum { N = 400 };
    size_t sizes[N], total = 0;
    char *samples = malloc((size_t)N * 1024);
    for (unsigned i = 0; i < N; i++) {
        int n = snprintf(samples + total, 1024,
                         "WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: "
                         "http://www.example.com/news/%u\r\nWARC-Date: 2026-11-%02uT15:%02u:00Z\r\n"
                         "Content-Type: application/http;msgtype=response\r\n"
                         "Content-Length: %u\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                         "\r\n<html><title>Story %u</title><p>Paragraph %u of the day %u.</p>",
                         i, 1 + i % 28, i % 60, 100 + i * 7, i, i * 13, i % 31);
        sizes[i] = (size_t)n;
        total += (size_t)n;
    }
    void *dict = NULL;
    size_t dict_len = 0;
    if (segment_dict_train(samples, sizes, N, 2048, &dict, &dict_len, NULL) < 0)
        return die("train");
    free(samples);
    if (write_segment(dir, "dict.warc.zst", dict, dict_len)) return 1;
    /* the same with the dictionary stored raw in its frame */
    char path[4096];
    snprintf(path, sizeof path, "%s/dict.warc.zst", dir);
    FILE *f = fopen(path, "rb");
    static uint8_t seg[1 << 20];
    size_t n = f ? fread(seg, 1, sizeof seg, f) : 0;
    if (f) fclose(f);
    if (n < 8) return die("short segment");
    uint32_t skip =
        (uint32_t)seg[4] | (uint32_t)seg[5] << 8 | (uint32_t)seg[6] << 16 | (uint32_t)seg[7] << 24;
    snprintf(path, sizeof path, "%s/rawdict.warc.zst", dir);
    f = fopen(path, "wb");
    uint8_t hdr[8] = {0x5D,
                      0x2A,
                      0x4D,
                      0x18,
                      (uint8_t)dict_len,
                      (uint8_t)(dict_len >> 8),
                      (uint8_t)(dict_len >> 16),
                      (uint8_t)(dict_len >> 24)};
    if (f == NULL || fwrite(hdr, 1, 8, f) != 8 || fwrite(dict, 1, dict_len, f) != dict_len ||
        fwrite(seg + 8 + skip, 1, n - 8 - skip, f) != n - 8 - skip)
        return die("cannot write rawdict");
    fclose(f);
    free(dict);
    return 0;
}
