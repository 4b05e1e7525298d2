/* test_storage_archive.c - what issue 5 added to storage/: every record
 * type round trip and its validation, atomic groups, dictionaries (trained,
 * saved, loaded, in the dictionary frame, read back, `zstd -D`), CDXJ
 * indexes (sorted, offsets on frames, spill = in memory = rebuilt), SURT
 * keys, and recovery of a segment cut at every byte of its last records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/test_fs.h"

#include "common/fa_err.h"
#include "common/fa_limits.h"
#include "common/fa_spool.h"
#include "common/fa_time.h"
#include "storage/cdxj.h"
#include "storage/segment_dict.h"
#include "storage/segment_recover.h"
#include "storage/segment_writer.h"
#include "storage/warc_reader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

/* ---- helpers ---------------------------------------------------------- */

/* The single closed segment in dir (name into out); asserts there is one. */
static void only_segment(const char *dir, char *out, size_t len)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 9 && strcmp(e->d_name + l - 9, ".warc.zst") == 0) {
            snprintf(out, len, "%s", e->d_name);
            n++;
        }
    }
    closedir(d);
    assert_int_equal(n, 1);
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A page that looks like the sample sites' (so a dictionary has something
 * to learn). */
static size_t make_page(char *buf, size_t cap, int i)
{
    static const char *words[] = {"council", "harbour",  "flood",  "barrier",  "school", "budget",
                                  "river",   "district", "review", "approved", "delays", "port"};
    size_t n =
        (size_t)snprintf(buf, cap,
                         "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
                         "<title>Story %d | The Harbour Ledger</title>\n</head>\n<body>\n"
                         "<nav><a href=\"/\">Home</a> <a href=\"/news/\">News</a></nav>\n"
                         "<article><h1>Story %d</h1>\n",
                         i, i);
    for (int p = 0; p < 12 && n + 200 < cap; p++) {
        n += (size_t)snprintf(buf + n, cap - n, "<p>The %s %s was %s after a %d-month %s.</p>\n",
                              words[(i + p) % 12], words[(i * 7 + p) % 12],
                              words[(i * 3 + p * 5) % 12], (i + p) % 40, words[(p * 11) % 12]);
    }
    n += (size_t)snprintf(buf + n, cap - n,
                          "</article>\n<footer>(c) The Harbour Ledger</footer>\n"
                          "</body>\n</html>\n");
    return n;
}

typedef struct page_exchange {
    char uri[128], req[256], head[256];
    fa_spool body;
    warc_exchange x;
} page_exchange;

static void page_make(page_exchange *p, int i, int chunked)
{
    char page[8192];
    size_t n = make_page(page, sizeof page, i);
    snprintf(p->uri, sizeof p->uri, "http://www.Example.org/news/%d.html?b=2&a=%d", i, i);
    snprintf(p->req, sizeof p->req,
             "GET /news/%d.html?b=2&a=%d HTTP/1.1\r\nHost: www.example.org\r\n\r\n", i, i);
    fa_spool_init(&p->body, 1 << 20, 1 << 24, "/tmp");
    if (chunked) {
        char hex[32];
        int h = snprintf(hex, sizeof hex, "%zx\r\n", n);
        assert_int_equal(fa_spool_write(&p->body, hex, (size_t)h), 0);
        assert_int_equal(fa_spool_write(&p->body, page, n), 0);
        assert_int_equal(fa_spool_write(&p->body, "\r\n0\r\n\r\n", 7), 0);
        snprintf(p->head, sizeof p->head,
                 "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n");
    } else {
        assert_int_equal(fa_spool_write(&p->body, page, n), 0);
        snprintf(p->head, sizeof p->head,
                 "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                 "Content-Length: %zu\r\n\r\n",
                 n);
    }
    warc_exchange x = {p->uri,  "192.0.2.1",     0,        p->req, strlen(p->req),
                       p->head, strlen(p->head), &p->body, chunked};
    x.date_ns = fa_time_now_ns() - (int64_t)i * 1000000000LL;
    p->x = x;
}

static void page_free(page_exchange *p)
{
    fa_spool_free(&p->body);
}

/* Checks a whole folder in-process the way `feedarc verify` does: every
 * frame and digest, and every index line on its record's frame. Returns the
 * number of records. */
static size_t check_dir(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    size_t records = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l <= 9 || strcmp(e->d_name + l - 9, ".warc.zst") != 0) continue;
        char path[1024], err[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        warc_reader *r;
        warc_record rec;
        assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
        int rc;
        size_t indexed = 0;
        while ((rc = warc_reader_next(r, &rec)) == 1) {
            records++;
            if (warc_record_verify_digests(&rec, err, sizeof err) != 0) fail_msg("%s", err);
            if (cdxj__indexable(warc_type_of(warc_record_field(&rec, "WARC-Type")),
                                warc_record_field(&rec, "Content-Type")))
                indexed++;
        }
        if (rc != 0) fail_msg("%s", warc_reader_error(r));
        /* the index: sorted, each offset on a frame of the right URL */
        char idx[1100];
        snprintf(idx, sizeof idx, "%s.cdxj", path);
        FILE *f = fopen(idx, "r");
        if (f == NULL) fail_msg("%s: no index", idx);
        char *line = NULL, prev[16384] = "";
        size_t cap = 0, lines = 0;
        while (getline(&line, &cap, f) > 0) {
            lines++;
            assert_true(strcmp(prev, line) <= 0);
            snprintf(prev, sizeof prev, "%s", line);
            char off[32], len[32], url[4096], file[512];
            const char *json = strchr(line, '{');
            assert_true(cdxj_json_field(json, "offset", off, sizeof off));
            assert_true(cdxj_json_field(json, "length", len, sizeof len));
            assert_true(cdxj_json_field(json, "url", url, sizeof url));
            assert_true(cdxj_json_field(json, "filename", file, sizeof file));
            assert_string_equal(file, e->d_name);
            assert_int_equal(warc_reader_read_at(r, strtoull(off, NULL, 10), &rec), 1);
            assert_int_equal(rec.offset, strtoull(off, NULL, 10));
            assert_int_equal(rec.length, strtoull(len, NULL, 10));
            assert_string_equal(warc_record_field(&rec, "WARC-Target-URI"), url);
        }
        free(line);
        fclose(f);
        assert_int_equal(lines, indexed);
        warc_reader_close(r);
    }
    closedir(d);
    return records;
}

/* ---- record types ----------------------------------------------------- */

static void every_record_type(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    segment_writer_options o = {.dir = dir, .prefix = "types", .operator_name = "Archive Team A"};
    segment_writer *w;
    char err[256], resp_id[48], meta_id[48], conv_id[48];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    page_exchange p;
    page_make(&p, 1, 1);
    segment_writer_new_record_id(resp_id);
    segment_writer_new_record_id(meta_id);
    segment_writer_new_record_id(conv_id);
    warc_field fields[] = {
        {"via", "http://www.example.org/feed.xml"},
        {"outlink", "http://www.example.org/news/2.html"},
        {"feed-item-id", "tag:example.org,2026:1"},
        {"dedup-near-duplicate-of", "<urn:uuid:00000000-0000-4000-8000-000000000000>"}};
    static const char text[] = "Story 1\n\nThe council flood was approved.\n";
    warc_record_spec group[3] = {
        {.record_type = WARC_TYPE_RESPONSE, .exchange = &p.x, .record_id = resp_id},
        {.record_type = WARC_TYPE_METADATA,
         .record_id = meta_id,
         .target_uri = p.uri,
         .concurrent_to = resp_id,
         .fields = fields,
         .n_fields = 4},
        {.record_type = WARC_TYPE_CONVERSION,
         .record_id = conv_id,
         .target_uri = p.uri,
         .refers_to = resp_id,
         .concurrent_to = resp_id,
         .block = text,
         .block_len = sizeof text - 1},
    };
    warc_written outs[3];
    assert_int_equal(segment_writer_write_records(w, group, 3, outs), 0);
    assert_string_equal(outs[0].response_id, resp_id);
    assert_string_equal(outs[1].response_id, meta_id);
    assert_int_equal(outs[1].response_offset, outs[0].response_offset + outs[0].response_length);
    assert_int_equal(outs[2].response_offset, outs[1].response_offset + outs[1].response_length);

    /* revisits of both profiles */
    char date[40];
    fa_time_format_iso(fa_time_now_ns() - 86400000000000LL, 0, date, sizeof date);
    static const char head304[] = "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n";
    static const char head200[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n";
    warc_record_spec rv1 = {.record_type = WARC_TYPE_REVISIT,
                            .target_uri = p.uri,
                            .refers_to = resp_id,
                            .refers_to_target_uri = p.uri,
                            .refers_to_date = date,
                            .profile = WARC_PROFILE_NOT_MODIFIED,
                            .block = head304,
                            .block_len = sizeof head304 - 1};
    warc_record_spec rv2 = {.record_type = WARC_TYPE_REVISIT,
                            .target_uri = "http://mirror.example.net/1",
                            .refers_to = resp_id,
                            .refers_to_target_uri = p.uri,
                            .refers_to_date = date,
                            .profile = WARC_PROFILE_IDENTICAL,
                            .payload_digest = outs[0].payload_digest,
                            .block = head200,
                            .block_len = sizeof head200 - 1};
    warc_written o1, o2;
    assert_int_equal(segment_writer_write_record(w, &rv1, &o1), 0);
    assert_int_equal(segment_writer_write_record(w, &rv2, &o2), 0);

    /* invalid specs: refused, nothing written */
    segment_writer_stats before, after;
    segment_writer_get_stats(w, &before);
    warc_record_spec bad[] = {
        {.record_type = WARC_TYPE_REVISIT,
         .target_uri = p.uri,
         .refers_to = resp_id,
         .refers_to_target_uri = p.uri,
         .profile = WARC_PROFILE_NOT_MODIFIED,
         .block = head304,
         .block_len = sizeof head304 - 1},
        {.record_type = WARC_TYPE_REVISIT,
         .target_uri = p.uri,
         .refers_to = resp_id,
         .refers_to_target_uri = p.uri,
         .refers_to_date = date,
         .profile = WARC_PROFILE_IDENTICAL,
         .block = head304,
         .block_len = sizeof head304 - 1},
        {.record_type = WARC_TYPE_REVISIT,
         .target_uri = p.uri,
         .refers_to = resp_id,
         .refers_to_target_uri = p.uri,
         .refers_to_date = "yesterday",
         .profile = WARC_PROFILE_NOT_MODIFIED,
         .block = head304,
         .block_len = sizeof head304 - 1},
        {.record_type = WARC_TYPE_REVISIT,
         .target_uri = p.uri,
         .refers_to = resp_id,
         .refers_to_target_uri = p.uri,
         .refers_to_date = date,
         .profile = WARC_PROFILE_NOT_MODIFIED,
         .block = "not http",
         .block_len = 8},
        {.record_type = WARC_TYPE_METADATA,
         .target_uri = p.uri,
         .fields = (warc_field[]){{"bad name", "x"}},
         .n_fields = 1},
        {.record_type = WARC_TYPE_METADATA,
         .target_uri = p.uri,
         .fields = (warc_field[]){{"via", "a\r\nb"}},
         .n_fields = 1},
        {.record_type = WARC_TYPE_METADATA, .target_uri = p.uri},
        {.record_type = WARC_TYPE_CONVERSION, .target_uri = p.uri, .block = "x", .block_len = 1},
        {.record_type = WARC_TYPE_CONVERSION,
         .target_uri = p.uri,
         .refers_to = "no-angle",
         .block = "x",
         .block_len = 1},
        {.record_type = WARC_TYPE_RESOURCE, .target_uri = p.uri},
        {.target_uri = p.uri, .block = "x", .block_len = 1}, /* no record_type */
        {.record_type = WARC_TYPE_RESPONSE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(segment_writer_write_record(w, &bad[i], NULL), FA_EINVAL);
        segment_writer_last_error(w, err, sizeof err);
        assert_true(strstr(err, "cannot archive") != NULL);
    }
    /* a group with one bad member writes nothing either */
    warc_record_spec mixed[2] = {group[1], bad[4]};
    assert_int_equal(segment_writer_write_records(w, mixed, 2, NULL), FA_EINVAL);
    segment_writer_get_stats(w, &after);
    assert_int_equal(before.records, after.records);
    assert_int_equal(before.bytes_on_disk, after.bytes_on_disk);
    assert_int_equal(segment_writer_close(w), 0);

    /* read back */
    char name[256], path[1024];
    only_segment(dir, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    warc_reader *r;
    warc_record rec;
    assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
    const char *want[] = {"warcinfo",   "request", "response", "metadata",
                          "conversion", "revisit", "revisit"};
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(warc_reader_next(r, &rec), 1);
        assert_string_equal(warc_record_field(&rec, "WARC-Type"), want[i]);
        assert_int_equal(warc_record_verify_digests(&rec, err, sizeof err), 0);
        assert_non_null(warc_record_field(&rec, "WARC-Record-ID"));
        assert_non_null(warc_record_field(&rec, "WARC-Date"));
        assert_non_null(warc_record_field(&rec, "WARC-Block-Digest"));
        if (i == 0)
            assert_non_null(strstr((const char *)rec.block, "operator: Archive Team A\r\n"));
        if (i == 3) {
            assert_string_equal(warc_record_field(&rec, "Content-Type"), "application/warc-fields");
            assert_string_equal(warc_record_field(&rec, "WARC-Concurrent-To"), resp_id);
            assert_non_null(strstr((const char *)rec.block,
                                   "via: http://www.example.org/feed.xml\r\noutlink: "));
            assert_int_equal(rec.offset, outs[1].response_offset);
        }
        if (i == 4) {
            assert_string_equal(warc_record_field(&rec, "WARC-Refers-To"), resp_id);
            assert_memory_equal(rec.block, text, sizeof text - 1);
            assert_string_equal(warc_record_field(&rec, "WARC-Payload-Digest"),
                                warc_record_field(&rec, "WARC-Block-Digest"));
        }
        if (i >= 5) {
            assert_string_equal(warc_record_field(&rec, "WARC-Refers-To-Target-URI"), p.uri);
            assert_string_equal(warc_record_field(&rec, "WARC-Refers-To-Date"), date);
            assert_string_equal(warc_record_field(&rec, "WARC-Refers-To"), resp_id);
            assert_string_equal(warc_record_field(&rec, "Content-Type"),
                                "application/http;msgtype=response");
        }
        if (i == 5) assert_null(warc_record_field(&rec, "WARC-Payload-Digest"));
        if (i == 6) {
            assert_string_equal(warc_record_field(&rec, "WARC-Profile"), WARC_PROFILE_IDENTICAL);
            assert_string_equal(warc_record_field(&rec, "WARC-Payload-Digest"),
                                outs[0].payload_digest);
        }
    }
    assert_int_equal(warc_reader_next(r, &rec), 0);
    warc_reader_close(r);
    assert_int_equal(check_dir(dir), 7);
    /* response, conversion, two revisits are indexed; metadata (warc-fields) is not */
    size_t len;
    snprintf(path, sizeof path, "%s/%s.cdxj", dir, name);
    char *idx = read_all(path, &len);
    assert_non_null(strstr(idx, "org,example)/news/1.html?a=1&b=2 "));
    assert_non_null(strstr(idx, "\"mime\":\"warc/revisit\",\"status\":\"304\""));
    assert_non_null(strstr(idx, "\"mime\":\"text/html\",\"status\":\"200\",\"digest\":\""));
    assert_non_null(strstr(idx, "net,example,mirror)/1 "));
    assert_null(strstr(idx, "warc-fields"));
    free(idx);
    page_free(&p);
    test_rm_rf(dir);
    free(dir);
}

/* ---- SURT ------------------------------------------------------------- */

static void surt_keys(void **state)
{
    (void)state;
    struct {
        const char *url, *surt;
    } cases[] = {
        {"http://www.Example.com/Path?b=2&a=1", "com,example)/path?a=1&b=2"},
        {"https://example.com", "com,example)/"},
        {"https://example.com:443/x", "com,example)/x"},
        {"http://example.com:8080/x#frag", "com,example:8080)/x"},
        {"http://user:pw@www2.example.co.uk/a/b?", "uk,co,example,www2)/a/b"}, /* as warcio */
        {"http://127.0.0.1:8000/feed.xml", "1,0,0,127:8000)/feed.xml"},
        {"urn:x-feedarc:1", "urn:x-feedarc:1"},
    };
    char out[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(cdxj_surt(cases[i].url, out, sizeof out), 0);
        assert_string_equal(out, cases[i].surt);
    }
    assert_int_equal(cdxj_surt("http://example.com/long/path", out, 8), FA_ETOOBIG);
}

/* The longest URI the writer accepts (FA_URL_MAX - 1 bytes) is indexed and
 * found again; one byte more is refused at the door. */
static void longest_uri_indexed(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    segment_writer_options o = {.dir = dir, .prefix = "long"};
    segment_writer *w;
    char err[256];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    char *uri = malloc(FA_URL_MAX + 1);
    assert_non_null(uri);
    memset(uri, 'a', FA_URL_MAX);
    memcpy(uri, "http://example.com/", 19);
    uri[FA_URL_MAX] = '\0';
    page_exchange p;
    page_make(&p, 1, 0);
    p.x.target_uri = uri;
    warc_record_spec rec = {.record_type = WARC_TYPE_RESPONSE, .exchange = &p.x};
    assert_int_equal(segment_writer_write_record(w, &rec, NULL), FA_EINVAL);
    uri[FA_URL_MAX - 1] = '\0';
    assert_int_equal(segment_writer_write_record(w, &rec, NULL), 0);
    page_free(&p);
    assert_int_equal(segment_writer_close(w), 0);
    cdxj_capture cap;
    assert_int_equal(cdxj_find(dir, uri, NULL, 0, &cap, err, sizeof err), 1);
    assert_string_equal(cap.status, "200");
    char *surt = malloc(FA_URL_MAX + CDXJ_SURT_SLACK);
    assert_int_equal(cdxj_surt(uri, surt, FA_URL_MAX + CDXJ_SURT_SLACK), 0);
    /* the segment's index holds its line, key and all */
    char name[256], path[1024];
    only_segment(dir, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s" CDXJ_SUFFIX, dir, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap_line = 0;
    int found = 0;
    while (getline(&line, &cap_line, f) > 0)
        found |= strncmp(line, surt, strlen(surt)) == 0 && line[strlen(surt)] == ' ';
    fclose(f);
    free(line);
    assert_true(found);
    free(surt);
    free(uri);
    test_rm_rf(dir);
    free(dir);
}

/* A crafted index whose filename leads out of the archive folder
 * ("../outside.warc.zst", a real segment there) is not followed. */
static void index_filename_stays_in_dir(void **state)
{
    (void)state;
    char *top = test_tmpdir_new();
    char dir[600], name[256], seg[1024], idx[1100], outside[700], cmd[3000];
    snprintf(dir, sizeof dir, "%s/archive", top);
    assert_int_equal(mkdir(dir, 0700), 0);
    segment_writer_options o = {.dir = dir, .prefix = "t"};
    segment_writer *w;
    char err[512];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    page_exchange p;
    page_make(&p, 3, 0);
    warc_record_spec rec = {.record_type = WARC_TYPE_RESPONSE, .exchange = &p.x};
    assert_int_equal(segment_writer_write_record(w, &rec, NULL), 0);
    assert_int_equal(segment_writer_close(w), 0);
    only_segment(dir, name, sizeof name);
    snprintf(seg, sizeof seg, "%s/%s", dir, name);
    snprintf(idx, sizeof idx, "%s" CDXJ_SUFFIX, seg);
    snprintf(outside, sizeof outside, "%s/outside.warc.zst", top);
    /* the same segment outside, and the index pointing there */
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && sed -i 's|\"filename\":\"[^\"]*\"|"
             "\"filename\":\"../outside.warc.zst\"|' '%s'", seg, outside, idx);
    assert_int_equal(system(cmd), 0);
    cdxj_capture cap;
    err[0] = '\0';
    assert_int_equal(cdxj_find(dir, p.uri, NULL, 0, &cap, err, sizeof err), FA_ECORRUPT);
    assert_non_null(strstr(err, "../outside.warc.zst"));
    /* a plain other name in the folder is refused the same way */
    snprintf(cmd, sizeof cmd, "sed -i 's|../outside.warc.zst|other.warc.zst|' '%s'", idx);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cdxj_find(dir, p.uri, NULL, 0, &cap, err, sizeof err), FA_ECORRUPT);
    /* the index removed: the segment itself is read, and names itself */
    assert_int_equal(unlink(idx), 0);
    assert_int_equal(cdxj_find(dir, p.uri, NULL, 0, &cap, err, sizeof err), 1);
    assert_string_equal(cap.segment, name);
    page_free(&p);
    test_rm_rf(top);
    free(top);
}

/* With a block limit, a record longer than the limit keeps only its head in
 * memory and its digests (block, and the de-chunked payload) are computed
 * as it streams by: they verify as the whole records do. */
static void block_limit_streams_digests(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    segment_writer_options o = {.dir = dir, .prefix = "lim"};
    segment_writer *w;
    char err[512], name[256], path[1024];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    for (int chunked = 0; chunked < 2; chunked++) {
        /* 400 KB of body: more than one piece out of the decompressor */
        page_exchange p;
        page_make(&p, 5 + chunked, 0);
        fa_spool_free(&p.body);
        fa_spool_init(&p.body, 1 << 20, 1 << 24, "/tmp");
        char line[128];
        if (chunked) assert_int_equal(fa_spool_write(&p.body, "61a80\r\n", 7), 0);
        for (int k = 0; k < 4000; k++) {
            int n = snprintf(line, sizeof line, "%0100d", k * 7919 + chunked);
            line[n - 1] = '\n';
            assert_int_equal(fa_spool_write(&p.body, line, (size_t)n), 0);
        }
        if (chunked) {
            assert_int_equal(fa_spool_write(&p.body, "\r\n0\r\n\r\n", 7), 0);
            snprintf(p.head, sizeof p.head,
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n");
        } else {
            snprintf(p.head, sizeof p.head,
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 400000\r\n\r\n");
        }
        p.x.response_head = p.head;
        p.x.response_head_len = strlen(p.head);
        p.x.body = &p.body;
        p.x.body_chunked = chunked;
        warc_record_spec rec = {.record_type = WARC_TYPE_RESPONSE, .exchange = &p.x};
        assert_int_equal(segment_writer_write_record(w, &rec, NULL), 0);
        page_free(&p);
    }
    assert_int_equal(segment_writer_close(w), 0);
    only_segment(dir, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    warc_reader *r;
    warc_record rec;
    assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
    warc_reader_set_block_limit(r, 300); /* the HTTP head fits, the page does not */
    int responses = 0, rc;
    uint64_t first_off = 0, first_len = 0;
    while ((rc = warc_reader_next(r, &rec)) == 1) {
        const char *type = warc_record_field(&rec, "WARC-Type");
        if (strcmp(type, "response") != 0) continue;
        if (responses++ == 0) first_off = rec.offset, first_len = rec.length;
        assert_int_equal(rec.block_len, 300);
        if (rec.content_length <= 400000) fail_msg("content_length %llu", (unsigned long long)rec.content_length);
        assert_non_null(rec.block_sha1);
        assert_non_null(rec.payload_sha1);
        assert_non_null(warc_record_field(&rec, "WARC-Payload-Digest"));
        if (warc_record_verify_digests(&rec, err, sizeof err) != 0) fail_msg("%s", err);
        uint64_t off = warc_reader_tell(r);
        assert_true(off > rec.offset);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(responses, 2);
    warc_reader_close(r);
    /* the same records, whole, give the same verdict */
    assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
    while ((rc = warc_reader_next(r, &rec)) == 1) {
        assert_null(rec.block_sha1);
        assert_int_equal(rec.block_len, rec.content_length);
        if (warc_record_verify_digests(&rec, err, sizeof err) != 0) fail_msg("%s", err);
    }
    assert_int_equal(rc, 0);
    warc_reader_close(r);
    /* the first response's frame broken in its middle (after streaming
     * began): an error, and the next call reads the next frame - nothing
     * of the broken one comes out as a record */
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t byte;
    off_t at = (off_t)(first_off + first_len / 2);
    assert_int_equal(pread(fd, &byte, 1, at), 1);
    byte ^= 0xFF;
    assert_int_equal(pwrite(fd, &byte, 1, at), 1);
    close(fd);
    assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
    warc_reader_set_block_limit(r, 300);
    int errors = 0, good = 0;
    for (;;) {
        rc = warc_reader_next(r, &rec);
        if (rc == 0) break;
        if (rc < 0) {
            errors++;
            assert_true(warc_reader_tell(r) == first_off + first_len);
            continue;
        }
        const char *type = warc_record_field(&rec, "WARC-Type");
        if (strcmp(type, "response") != 0) continue;
        assert_true(rec.offset != first_off);
        if (warc_record_verify_digests(&rec, err, sizeof err) != 0) fail_msg("%s", err);
        good++;
    }
    assert_int_equal(errors, 1);
    assert_int_equal(good, 1);
    warc_reader_close(r);
    test_rm_rf(dir);
    free(dir);
}

/* A record cut short says what is missing: block bytes, or only (part of)
 * the CRLF CRLF trailer after a whole block. */
static void truncated_says_what_is_missing(void **state)
{
    (void)state;
    static const char rec[] = "WARC/1.1\r\nWARC-Type: resource\r\n"
                              "WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000009>\r\n"
                              "WARC-Date: 2026-01-01T00:00:00Z\r\n"
                              "WARC-Target-URI: http://example.com/t\r\n"
                              "Content-Length: 5\r\n\r\nhello\r\n\r\n";
    struct {
        size_t cut; /* bytes removed from the end */
        const char *want;
    } cases[] = {
        {2, "trailer is cut after 2 of its 4 bytes"},
        {4, "trailer is cut after 0 of its 4 bytes"},
        {6, "only 3 bytes of block follow the header (and no CRLF CRLF trailer)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *dir = test_tmpdir_new(), path[600], err[512];
        snprintf(path, sizeof path, "%s/t.warc", dir);
        write_file(path, rec, sizeof rec - 1 - cases[i].cut);
        warc_reader *r;
        warc_record wr;
        assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
        assert_int_equal(warc_reader_next(r, &wr), FA_ECORRUPT);
        if (strstr(warc_reader_error(r), cases[i].want) == NULL)
            fail_msg("cut %zu: \"%s\" does not say \"%s\"", cases[i].cut, warc_reader_error(r),
                     cases[i].want);
        warc_reader_close(r);
        test_rm_rf(dir);
        free(dir);
    }
}

/* ---- dictionaries ----------------------------------------------------- */

static void *train_dict(size_t *len)
{
    size_t cap = 1 << 22, used = 0;
    char *samples = malloc(cap);
    size_t sizes[400];
    for (int i = 0; i < 400; i++) {
        sizes[i] = make_page(samples + used, cap - used, 1000 + i);
        used += sizes[i];
    }
    void *dict;
    assert_int_equal(segment_dict_train(samples, sizes, 400, 16384, &dict, len, NULL), 0);
    assert_true(*len > 1000 && *len <= 16384);
    assert_true(segment_dict_id(dict, *len) != 0);
    size_t l2;
    void *d2;
    assert_int_equal(segment_dict_train(samples, sizes, 0, 16384, &d2, &l2, NULL), FA_EINVAL);
    free(samples);
    return dict;
}

static uint64_t write_pages(const char *dir, const void *dict, size_t dict_len, int n)
{
    segment_writer_options o = {.dir = dir, .prefix = "dict", .dict = dict, .dict_len = dict_len};
    segment_writer *w;
    char err[256];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    for (int i = 0; i < n; i++) {
        page_exchange p;
        page_make(&p, i, i % 3 == 0);
        assert_int_equal(segment_writer_write_exchange(w, &p.x, NULL), 0);
        page_free(&p);
    }
    segment_writer_stats st;
    segment_writer_get_stats(w, &st);
    assert_int_equal(segment_writer_close(w), 0);
    return st.bytes_on_disk;
}

static void dictionary_segments(void **state)
{
    (void)state;
    char *plain = test_tmpdir_new(), *withd = test_tmpdir_new();
    size_t dict_len;
    void *dict = train_dict(&dict_len);
    uint32_t id = segment_dict_id(dict, dict_len);

    /* save / load, in the state folder layout */
    char sd[1100], saved[PATH_MAX], err[512];
    snprintf(sd, sizeof sd, "%s/dictionaries", withd);
    assert_int_equal(segment_dict_save(sd, dict, dict_len, 0, saved), 0);
    assert_int_equal(segment_dict_save(sd, dict, dict_len, 0, NULL), 0); /* same bytes: fine */
    char want[1200];
    snprintf(want, sizeof want, "%s/%u.zdict", sd, id);
    assert_string_equal(saved, want);
    struct stat dst;
    assert_int_equal(stat(saved, &dst), 0);
    assert_int_equal(dst.st_mode & 0777, 0640); /* (issue 11) not world-readable */
    unlink(saved);
    assert_int_equal(segment_dict_save(sd, dict, dict_len, 0600, NULL), 0);
    assert_int_equal(stat(saved, &dst), 0);
    assert_int_equal(dst.st_mode & 0777, 0600);
    void *loaded;
    size_t loaded_len;
    assert_int_equal(segment_dict_load(saved, &loaded, &loaded_len, err, sizeof err), 0);
    assert_int_equal(loaded_len, dict_len);
    assert_memory_equal(loaded, dict, dict_len);
    free(loaded);
    assert_int_equal(segment_dict_load("/nonexistent.zdict", &loaded, &loaded_len, err, sizeof err),
                     FA_ENOENT);
    assert_int_equal(segment_dict_save(sd, "not a dict", 10, 0, NULL), FA_EINVAL);
    test_rm_rf(sd);

    uint64_t bytes_plain = write_pages(plain, NULL, 0, 60);
    uint64_t bytes_dict = write_pages(withd, dict, dict_len, 60);
    printf("60 pages: %llu bytes without dictionary, %llu with a %zu-byte one\n",
           (unsigned long long)bytes_plain, (unsigned long long)bytes_dict, dict_len);
    assert_true(bytes_dict < bytes_plain);

    char name[256], path[1024], cmd[4096];
    only_segment(withd, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", withd, name);
    /* the file starts with the dictionary frame, then frames naming it */
    size_t len;
    uint8_t *raw = (uint8_t *)read_all(path, &len);
    static const uint8_t dict_magic[4] = {0x5D, 0x2A, 0x4D, 0x18};
    assert_memory_equal(raw, dict_magic, 4);
    uint32_t ulen =
        (uint32_t)raw[4] | (uint32_t)raw[5] << 8 | (uint32_t)raw[6] << 16 | (uint32_t)raw[7] << 24;
    assert_int_equal(ZSTD_getDictID_fromFrame(raw + 8 + ulen, len - 8 - ulen), id);
    assert_true(ZSTD_getFrameContentSize(raw + 8 + ulen, len - 8 - ulen) !=
                ZSTD_CONTENTSIZE_UNKNOWN);
    free(raw);
    /* feedarc's reader: transparent */
    warc_reader *r;
    assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
    assert_int_equal(warc_reader_dict_id(r), id);
    warc_reader_close(r);
    assert_int_equal(check_dir(withd), 121);
    assert_int_equal(check_dir(plain), 121);

    /* the dictionary comes back out of the segment */
    void *out;
    size_t out_len;
    assert_int_equal(segment_dict_from_segment(path, &out, &out_len, err, sizeof err), 0);
    assert_int_equal(out_len, dict_len);
    assert_memory_equal(out, dict, dict_len);
    free(out);
    char plain_name[256], plain_path[1024];
    only_segment(plain, plain_name, sizeof plain_name);
    snprintf(plain_path, sizeof plain_path, "%s/%s", plain, plain_name);
    assert_int_equal(segment_dict_from_segment(plain_path, &out, &out_len, err, sizeof err),
                     FA_ENOENT);

    /* zstd CLI: plain -d works without a dictionary; with one it needs -D */
    if (system("command -v zstd >/dev/null 2>&1") == 0) {
        char dpath[1100];
        snprintf(dpath, sizeof dpath, "%s/x.zdict", withd);
        write_file(dpath, dict, dict_len);
        snprintf(cmd, sizeof cmd, "zstd -q -dc '%s' > '%s/plain.warc'", plain_path, plain);
        assert_int_equal(system(cmd), 0);
        snprintf(cmd, sizeof cmd, "zstd -q -dc '%s' > /dev/null 2>&1", path);
        assert_true(system(cmd) != 0);
        snprintf(cmd, sizeof cmd, "zstd -q -dc -D '%s' '%s' > '%s/dict.warc'", dpath, path, withd);
        assert_int_equal(system(cmd), 0);
        /* same records: compare the WARC-Type lines */
        snprintf(cmd, sizeof cmd,
                 "test \"$(grep -ac '^WARC-Type: response' '%s/dict.warc')\" = 60 && "
                 "test \"$(grep -ac '^WARC-Type: request' '%s/plain.warc')\" = 60",
                 withd, plain);
        assert_int_equal(system(cmd), 0);
        unlink(dpath);
    } else {
        printf("zstd CLI missing: zstd -D not tested\n");
    }
    /* a dictionary the writer refuses */
    segment_writer_options o = {.dir = plain, .dict = "nope", .dict_len = 4};
    segment_writer *w;
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), FA_EINVAL);
    free(dict);
    test_rm_rf(plain);
    free(plain);
    test_rm_rf(withd);
    free(withd);
}

/* ---- a first run's dictionary, trained while it runs ------- */

typedef struct early_ctx {
    segment_writer *w;
    int from, to;
} early_ctx;

/* Writes pages from..to-1 as the crawler does: response + metadata +
 * conversion in one group, every fifth page alone. */
static void *early_writer(void *ud)
{
    early_ctx *c = ud;
    for (int i = c->from; i < c->to; i++) {
        page_exchange p;
        page_make(&p, i, i % 3 == 0);
        char resp[48], text[256];
        segment_writer_new_record_id(resp);
        snprintf(text, sizeof text, "Story %d\n\nThe council approved the harbour budget.\n", i);
        warc_field f[] = {{"via", "http://www.example.org/feed.xml"}, {"dedup-near", "none"}};
        warc_record_spec g[3] = {
            {.record_type = WARC_TYPE_RESPONSE, .exchange = &p.x, .record_id = resp},
            {.record_type = WARC_TYPE_METADATA,
             .target_uri = p.uri,
             .concurrent_to = resp,
             .fields = f,
             .n_fields = 2},
            {.record_type = WARC_TYPE_CONVERSION,
             .target_uri = p.uri,
             .refers_to = resp,
             .block = text,
             .block_len = strlen(text)},
        };
        assert_int_equal(segment_writer_write_records(c->w, g, i % 5 ? 3 : 1, NULL), 0);
        page_free(&p);
    }
    return NULL;
}

/* Writes 300 pages (900-odd records) with two threads; returns bytes on disk. */
static uint64_t write_early(const char *dir, unsigned train_after, segment_writer **keep)
{
    segment_writer_options o = {.dir = dir,
                                .prefix = "early",
                                .lazy_open = 1,
                                .train_dict_after = train_after,
                                .train_dict_size = 16384};
    segment_writer *w;
    char err[256];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    early_ctx a = {w, 0, 150}, b = {w, 150, 300};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, early_writer, &b), 0);
    early_writer(&a);
    pthread_join(t, NULL);
    segment_writer_stats st;
    segment_writer_get_stats(w, &st);
    if (keep) {
        *keep = w;
    } else {
        assert_int_equal(segment_writer_close(w), 0);
    }
    return st.bytes_on_disk;
}

static void dictionary_trained_early(void **state)
{
    (void)state;
    char *plain = test_tmpdir_new(), *early = test_tmpdir_new();
    uint64_t bytes_plain = write_early(plain, 0, NULL);
    segment_writer *w;
    uint64_t bytes_early = write_early(early, 200, &w);
    /* the writer has its dictionary now: it takes no other */
    size_t dl;
    void *d = train_dict(&dl);
    assert_int_equal(segment_writer_set_dictionary(w, d, dl), FA_EINVAL);
    free(d);
    /* what a later run gets: trained on records sampled over the whole run,
     * taken off the writer; they outlive it (trained after its close) */
    segment_samples taken, again;
    assert_int_equal(segment_writer_take_samples(w, &taken), 0);
    assert_true(taken.n >= 100);
    assert_int_equal(segment_writer_take_samples(w, &again), FA_EINVAL); /* given up */
    assert_int_equal(again.n, 0);
    assert_int_equal(segment_writer_close(w), 0);
    void *later;
    size_t later_len;
    assert_int_equal(segment_samples_train(&taken, 16384, &later, &later_len), 0);
    assert_true(segment_dict_id(later, later_len) != 0);
    free(later);
    segment_samples_free(&taken);
    assert_null(taken.data);
    printf("300 pages: %llu bytes without a dictionary, %llu with one trained after 200 records\n",
           (unsigned long long)bytes_plain, (unsigned long long)bytes_early);
    assert_true(bytes_early * 10 < bytes_plain * 8);

    /* two segments: the first records without a dictionary, then the rest
     * in a segment that starts with its dictionary frame; every record is
     * there once, every digest and index line right */
    size_t n_plain = check_dir(plain), n_early = check_dir(early);
    assert_int_equal(n_early, n_plain + 1); /* one more warcinfo */
    DIR *dir = opendir(early);
    assert_non_null(dir);
    struct dirent *e;
    char names[2][256];
    int n = 0;
    while ((e = readdir(dir)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 9 && strcmp(e->d_name + l - 9, ".warc.zst") == 0) {
            assert_true(n < 2);
            snprintf(names[n++], sizeof names[0], "%s", e->d_name);
        }
    }
    closedir(dir);
    assert_int_equal(n, 2);
    if (strcmp(names[0], names[1]) > 0) {
        char tmp[256];
        memcpy(tmp, names[0], sizeof tmp);
        memcpy(names[0], names[1], sizeof tmp);
        memcpy(names[1], tmp, sizeof tmp);
    }
    char first[1024], second[1024], err[512];
    snprintf(first, sizeof first, "%s/%s", early, names[0]);
    snprintf(second, sizeof second, "%s/%s", early, names[1]);
    size_t len;
    uint8_t *raw = (uint8_t *)read_all(first, &len);
    static const uint8_t zstd_magic[4] = {0x28, 0xB5, 0x2F, 0xFD},
                         dict_magic[4] = {0x5D, 0x2A, 0x4D, 0x18};
    assert_memory_equal(raw, zstd_magic, 4);
    free(raw);
    raw = (uint8_t *)read_all(second, &len);
    assert_memory_equal(raw, dict_magic, 4);
    free(raw);
    void *sd;
    size_t sd_len;
    assert_int_equal(segment_dict_from_segment(second, &sd, &sd_len, err, sizeof err), 0);
    warc_reader *r;
    assert_int_equal(warc_reader_open(second, 0, &r, err, sizeof err), 0);
    assert_int_equal(warc_reader_dict_id(r), segment_dict_id(sd, sd_len));
    warc_reader_close(r);
    free(sd);

    /* each segment on its own with the zstd CLI, as README.md says: the
     * first is plain zstd; the second's dictionary is the compressed frame
     * at its start (length: the 32-bit word at byte 4) */
    if (system("command -v zstd >/dev/null 2>&1") == 0) {
        char cmd[8192];
        snprintf(cmd, sizeof cmd,
                 "set -e; cd '%s'; zstd -q -dc '%s' > one.warc; "
                 "n=$(od -An -tu4 -j4 -N4 '%s' | tr -d ' '); "
                 "tail -c +9 '%s' | head -c \"$n\" | zstd -q -dc > seg.zdict; "
                 "zstd -q -dc -D seg.zdict '%s' > two.warc; "
                 "! zstd -q -dc '%s' > /dev/null 2>&1; "
                 "test \"$(cat one.warc two.warc | grep -ac '^WARC/1.1')\" = %zu; "
                 "test \"$(cat one.warc two.warc | grep -ac '^WARC-Type: conversion')\" = 240; "
                 "test \"$(cat one.warc two.warc | grep -ac '^WARC-Type: warcinfo')\" = 2",
                 early, names[0], names[1], names[1], names[1], names[1], n_early);
        assert_int_equal(system(cmd), 0);
    } else {
        printf("zstd CLI missing: not tested\n");
    }

    /* no sampling: nothing to train a later run's dictionary on */
    segment_writer_options o = {.dir = plain};
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    segment_samples none;
    assert_int_equal(segment_writer_take_samples(w, &none), FA_EINVAL);
    assert_null(none.data);
    assert_int_equal(segment_samples_train(&none, 16384, &later, &later_len), FA_EINVAL);
    assert_int_equal(segment_writer_set_dictionary(w, "nope", 4), FA_EINVAL);
    assert_int_equal(segment_writer_close(w), 0);
    test_rm_rf(plain);
    free(plain);
    test_rm_rf(early);
    free(early);
}

/* The groups that waited for the early dictionary go on as soon as the
 * writer has it, not after the dictionary-less segment is closed (fsync,
 * rename, index: 44-70 ms in a crawl, seconds on a slow disk).  A group
 * written while the dictionary trains must finish while that segment is
 * still being closed (before the fix it waited for the close: 5 s, then
 * "blocked"). */
typedef struct switch_probe {
    segment_writer *w;
    pthread_mutex_t m;
    pthread_cond_t cv;
    int started, done, closes, blocked;
    pthread_t t;
} switch_probe;

static void *switch_probe_write(void *ud)
{
    switch_probe *p = ud;
    early_ctx c = {p->w, 1000, 1001};
    early_writer(&c);
    pthread_mutex_lock(&p->m);
    p->done = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->m);
    return NULL;
}

static void switch_probe_trained(void *ud, size_t bytes, unsigned samples)
{
    switch_probe *p = ud;
    (void)bytes, (void)samples;
    if (p->started++) return;
    assert_int_equal(pthread_create(&p->t, NULL, switch_probe_write, p), 0);
    usleep(100 * 1000); /* the group compresses, then waits at the append */
}

static void switch_probe_closed(void *ud, const char *name, uint64_t bytes)
{
    switch_probe *p = ud;
    (void)name, (void)bytes;
    if (p->closes++ || !p->started) return; /* the switch's close only */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&p->m);
    while (!p->done)
        if (pthread_cond_timedwait(&p->cv, &p->m, &until) == ETIMEDOUT) break;
    p->blocked = !p->done;
    pthread_mutex_unlock(&p->m);
}

static void early_switch_wakes_waiters(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    switch_probe p = {.m = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    fa_observer obs = {.ud = &p,
                       .dictionary_trained = switch_probe_trained,
                       .segment_closed = switch_probe_closed};
    segment_writer_options o = {.dir = dir,
                                .prefix = "switch",
                                .lazy_open = 1,
                                .train_dict_after = 200,
                                .train_dict_size = 16384};
    o.observer = &obs;
    char err[256];
    assert_int_equal(segment_writer_open(&o, &p.w, err, sizeof err), 0);
    early_ctx c = {p.w, 0, 150};
    early_writer(&c); /* the 200th record trains, in this thread */
    assert_int_equal(p.started, 1);
    pthread_join(p.t, NULL);
    assert_int_equal(p.done, 1);
    assert_false(p.blocked);
    assert_int_equal(segment_writer_close(p.w), 0);
    /* every record there once: 150 + 1 pages, two warcinfo */
    size_t n = check_dir(dir), one = 0;
    char *solo = test_tmpdir_new();
    segment_writer_options so = {.dir = solo, .prefix = "solo"};
    segment_writer *sw;
    assert_int_equal(segment_writer_open(&so, &sw, err, sizeof err), 0);
    early_ctx a = {sw, 0, 150}, b = {sw, 1000, 1001};
    early_writer(&a);
    early_writer(&b);
    assert_int_equal(segment_writer_close(sw), 0);
    one = check_dir(solo);
    assert_int_equal(n, one + 1);
    test_rm_rf(solo);
    free(solo);
    test_rm_rf(dir);
    free(dir);
}

/* fastCover's frequency table follows the samples' bytes: a first run's
 * early ~3 MB get 2^18 counters, a run's end 12 MiB 2^20, never more. */
/* A new segment's name sorts after every segment of its prefix already
 * in the folder: reconciliation after a crash reads the segments from a
 * name on.  A run killed after its dictionary switch left <ts>-00001
 * behind, and the next run opened <ts>-00000 in the same second - before
 * it - so its pages were never read back and were archived again
 * (test_kill9).  Here the segment left behind is dated an hour ahead (a
 * clock set back since): the new one must still sort after it. */
static void segment_names_sort_after_existing(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    char ts[15], left[512], other[512], got[256];
    fa_time_format_14(fa_time_now_ns() + 3600 * 1000000000LL, ts);
    snprintf(left, sizeof left, "%s/names-%s-00001.warc.zst.open", dir, ts);
    write_file(left, "", 0);
    /* another prefix's newer name does not count */
    snprintf(other, sizeof other, "%s/names-node9-%s-00007.warc.zst", dir, "29991231235959");
    write_file(other, "", 0);
    segment_writer_options o = {.dir = dir, .prefix = "names", .lazy_open = 1};
    segment_writer *w;
    char err[256];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    page_exchange p;
    page_make(&p, 1, 0);
    warc_record_spec g = {.record_type = WARC_TYPE_RESPONSE, .exchange = &p.x};
    assert_int_equal(segment_writer_write_records(w, &g, 1, NULL), 0);
    segment_writer_segment_name(w, got, sizeof got);
    char want[256];
    snprintf(want, sizeof want, "names-%s-00002.warc.zst", ts);
    assert_string_equal(got, want);
    assert_int_equal(segment_writer_close(w), 0);
    page_free(&p);
    test_rm_rf(dir);
    free(dir);
}

static void fastcover_table_by_samples(void **state)
{
    (void)state;
    assert_int_equal(segment__fastcover_f(0), 16);
    assert_int_equal(segment__fastcover_f(1u << 20), 17);
    assert_int_equal(segment__fastcover_f(3u << 20), 18);
    assert_int_equal(segment__fastcover_f((4u << 20) - 1), 18);
    assert_int_equal(segment__fastcover_f(4u << 20), 19);
    assert_int_equal(segment__fastcover_f(SEGMENT__SAMPLES_BYTES), 20);
    assert_int_equal(segment__fastcover_f((size_t)1 << 40), 20);
}

/* The reservoir keeps whole records (cut at 32 KiB), at most 2,000 and
 * 12 MiB, and trains only with enough of them. */
static void sampler_reservoir(void **state)
{
    (void)state;
    segment__sampler *s = segment__sampler_new();
    assert_non_null(s);
    void *d;
    size_t dl;
    char page[8192];
    for (int i = 0; i < 50; i++) {
        size_t n = make_page(page, sizeof page, i);
        assert_int_equal(segment__sampler_add(s, "WARC/1.1\r\n", 10, page, n, NULL, 0),
                         (uint64_t)i + 1);
    }
    assert_int_equal(segment__sampler_train(s, 100, 0, 16384, &d, &dl, NULL), FA_EINVAL);
    /* 6,000 records of 40 KiB: each cut to 32 KiB, the budget holds */
    char *big = malloc(40 << 10);
    memset(big, 'x', 40 << 10);
    for (int i = 0; i < 6000; i++) {
        size_t n = make_page(page, sizeof page, i);
        segment__sampler_add(s, page, n, big, 40 << 10, big, 40 << 10);
    }
    free(big);
    for (int i = 0; i < 3000; i++) {
        size_t n = make_page(page, sizeof page, 7000 + i);
        assert_int_equal(segment__sampler_add(s, page, n, NULL, 0, NULL, 0), 6051u + (uint64_t)i);
    }
    assert_int_equal(segment__sampler_train(s, 100, 0, 16384, &d, &dl, NULL), 0);
    assert_true(segment_dict_id(d, dl) != 0);
    /* the run's last training gives the samples up: a dictionary from
     * them, then nothing left to train on, and the reservoir fills afresh */
    void *last;
    size_t last_len;
    assert_int_equal(segment__sampler_train(s, 100, 1, 16384, &last, &last_len, NULL), 0);
    assert_true(segment_dict_id(last, last_len) != 0);
    free(last);
    free(d);
    assert_int_equal(segment__sampler_train(s, 1, 1, 16384, &d, &dl, NULL), FA_EINVAL);
    assert_null(d);
    for (int i = 0; i < 120; i++) {
        size_t n = make_page(page, sizeof page, 20000 + i);
        assert_int_equal(segment__sampler_add(s, page, n, NULL, 0, NULL, 0), 9051u + (uint64_t)i);
    }
    assert_int_equal(segment__sampler_train(s, 100, 1, 16384, &d, &dl, NULL), 0);
    free(d);
    segment__sampler_free(s);
    segment__sampler_free(NULL);
}

/* The samples taken are the records kept, side by side and in order,
 * whether one thread copies them (under 2 MiB) or two (the second half of
 * the bytes on a thread of its own). */
static void sampler_take_in_order(void **state)
{
    (void)state;
    for (unsigned records = 40; records <= 400; records += 360) { /* 0.6 and 6 MB */
        segment__sampler *s = segment__sampler_new();
        assert_non_null(s);
        size_t each = 15000;
        char *rec = malloc(each);
        assert_non_null(rec);
        for (unsigned i = 0; i < records; i++) {
            size_t n = each - i % 7; /* sizes differ a little */
            for (size_t j = 0; j < n; j++)
                rec[j] = (char)('a' + (i * 31 + j) % 26);
            assert_int_equal(segment__sampler_add(s, rec, n, NULL, 0, NULL, 0), i + 1);
        }
        void *all;
        size_t *sizes;
        unsigned n;
        assert_int_equal(segment__sampler_take(s, 10, &all, &sizes, &n), 0);
        assert_int_equal(n, records);
        const char *p = all;
        for (unsigned i = 0; i < records; i++) {
            assert_int_equal(sizes[i], each - i % 7);
            for (size_t j = 0; j < sizes[i]; j++)
                if (p[j] != (char)('a' + (i * 31 + j) % 26)) fail_msg("record %u byte %zu", i, j);
            p += sizes[i];
        }
        free(all);
        free(sizes);
        free(rec);
        segment__sampler_free(s);
    }
}

/* Records of 8-32 KiB, far more than the 12 MiB the reservoir keeps: some
 * replace a longer sample in place, some go after the last one, and the
 * arena is compacted (samples moved down over the holes) more than once.
 * Every sample taken is one whole record, sizes and bytes agree, and the
 * records kept come from the whole run. */
static size_t varied_size(unsigned i)
{
    return 8192 + (size_t)(i * 2654435761u % 24577u);
}

static void sampler_replaces_and_compacts(void **state)
{
    (void)state;
    segment__sampler *s = segment__sampler_new();
    assert_non_null(s);
    char *rec = malloc(32 << 10);
    assert_non_null(rec);
    unsigned records = 8000;
    for (unsigned i = 0; i < records; i++) {
        size_t n = varied_size(i);
        memset(rec, 'a' + (int)(i % 26), n);
        int h = snprintf(rec, 32, "record %u:", i);
        assert_true(h > 0);
        assert_int_equal(segment__sampler_add(s, rec, n, NULL, 0, NULL, 0), i + 1);
    }
    void *all;
    size_t *sizes;
    unsigned n;
    assert_int_equal(segment__sampler_take(s, 10, &all, &sizes, &n), 0);
    assert_true(n > 300 && n <= SEGMENT__SAMPLES);
    const char *p = all;
    size_t total = 0;
    unsigned late = 0;
    char *seen = calloc(records, 1);
    assert_non_null(seen);
    for (unsigned k = 0; k < n; k++) {
        unsigned i;
        assert_int_equal(sscanf(p, "record %u:", &i), 1);
        assert_true(i < records);
        assert_false(seen[i]); /* each record kept once */
        seen[i] = 1;
        assert_int_equal(sizes[k], varied_size(i));
        size_t h = strlen(p); /* the header ends where snprintf put its NUL */
        for (size_t j = h + 1; j < sizes[k]; j++)
            if (p[j] != 'a' + (int)(i % 26)) fail_msg("record %u byte %zu", i, j);
        late += i >= records / 2;
        total += sizes[k];
        p += sizes[k];
    }
    assert_true(total <= SEGMENT__SAMPLES_BYTES);
    assert_true(total > SEGMENT__SAMPLES_BYTES - (32u << 10));
    assert_true(late > n / 4); /* replacements reached the run's second half */
    free(seen);
    free(all);
    free(sizes);
    /* taken: the sampler starts empty */
    assert_int_equal(segment__sampler_take(s, 1, &all, &sizes, &n), FA_EINVAL);
    free(rec);
    segment__sampler_free(s);
}

/* ---- CDXJ ------------------------------------------------------------- */

static void index_spill_equals_rebuild(void **state)
{
    (void)state;
    char *a = test_tmpdir_new();
    /* spill every few lines: the merged runs must equal the in-memory sort
     * and what reading the segment back produces */
    segment_writer_options o = {.dir = a, .prefix = "spill", .index_mem_max = 2048};
    segment_writer *w;
    char err[256];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    for (int i = 0; i < 80; i++) {
        page_exchange p;
        page_make(&p, (i * 37) % 80, 0);
        assert_int_equal(segment_writer_write_exchange(w, &p.x, NULL), 0);
        page_free(&p);
    }
    assert_int_equal(segment_writer_close(w), 0);
    char name[256], path[1024], copy[1100];
    only_segment(a, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s.cdxj", a, name);
    size_t l1, l2;
    char *written = read_all(path, &l1);
    snprintf(copy, sizeof copy, "%s.bak", path);
    rename(path, copy);
    uint64_t lines = 0;
    assert_int_equal(cdxj_index_segment(a, name, &lines, err, sizeof err), 0);
    assert_int_equal(lines, 80);
    char *rebuilt = read_all(path, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(written, rebuilt, l1);
    unlink(copy);
    /* LC_ALL=C sort agrees */
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "LC_ALL=C sort -c '%s'", path);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(check_dir(a), 161);

    /* index_dir: a segment without index gets one; the merge is sorted */
    unlink(path);
    cdxj_dir_stats st;
    assert_int_equal(cdxj_index_dir(a, 0, &st, err, sizeof err), 0);
    assert_int_equal(st.segments, 1);
    assert_int_equal(st.rebuilt, 1);
    assert_int_equal(st.lines, 80);
    snprintf(cmd, sizeof cmd, "LC_ALL=C sort -c '%s/index.cdxj' && cmp '%s/index.cdxj' '%s'", a, a,
             path);
    assert_int_equal(system(cmd), 0);

    /* lookups: latest, closest */
    cdxj_capture c;
    assert_int_equal(
        cdxj_find(a, "http://example.org/news/5.html?a=5&b=2", NULL, 0, &c, err, sizeof err), 1);
    assert_string_equal(c.status, "200");
    assert_int_equal(cdxj_find(a, "http://example.org/none", NULL, 0, &c, err, sizeof err), 0);
    free(written);
    free(rebuilt);
    test_rm_rf(a);
    free(a);
}

static void merge_many(void **state)
{
    (void)state;
    FILE *in[5];
    for (int i = 0; i < 5; i++) {
        in[i] = tmpfile();
        for (int j = 0; j < 100; j++)
            fprintf(in[i], "k%03d %d\n", j * 5 + i, i);
        rewind(in[i]);
    }
    FILE *out = tmpfile();
    assert_int_equal(cdxj_merge(in, 5, out), 0);
    rewind(out);
    char line[64], prev[64] = "";
    int n = 0;
    while (fgets(line, sizeof line, out)) {
        assert_true(strcmp(prev, line) <= 0);
        snprintf(prev, sizeof prev, "%s", line);
        n++;
    }
    assert_int_equal(n, 500);
    for (int i = 0; i < 5; i++)
        fclose(in[i]);
    fclose(out);
}

/* ---- recovery at every byte ------------------------------------------- */

static void truncated_everywhere(const void *dict, size_t dict_len)
{
    char *dir = test_tmpdir_new();
    segment_writer_options o = {.dir = dir, .prefix = "cut", .dict = dict, .dict_len = dict_len};
    segment_writer *w;
    char err[512];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    warc_written last;
    for (int i = 0; i < 3; i++) {
        page_exchange p;
        page_make(&p, i, i == 2);
        assert_int_equal(segment_writer_write_exchange(w, &p.x, &last), 0);
        page_free(&p);
    }
    assert_int_equal(segment_writer_close(w), 0);
    char name[256], path[1024], open_path[1100];
    only_segment(dir, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(open_path, sizeof open_path, "%s.open", path);
    size_t len;
    char *whole = read_all(path, &len);
    assert_int_equal(last.response_offset + last.response_length, len);
    /* the last pair starts with its request, right before the response */
    uint64_t pair_start = 0;
    {
        warc_reader *r;
        warc_record rec;
        assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
        while (warc_reader_next(r, &rec) == 1)
            if (rec.offset < last.response_offset) pair_start = rec.offset;
        warc_reader_close(r);
    }
    unlink(path);
    char idx[1100];
    snprintf(idx, sizeof idx, "%s.cdxj", path);
    unlink(idx);
    unsigned cuts = 0;
    for (uint64_t cut = pair_start; cut < len; cut++, cuts++) {
        write_file(open_path, whole, (size_t)cut);
        int rc = segment_recover_dir(dir, NULL, NULL, err, sizeof err);
        if (rc != 1)
            fail_msg("cut at %llu: recover returned %d: %s", (unsigned long long)cut, rc, err);
        assert_int_equal(access(open_path, F_OK), -1);
        assert_int_equal(file_size(path), pair_start);
        assert_int_equal(check_dir(dir), 5); /* warcinfo + 2 pairs */
        unlink(path);
        unlink(idx);
    }
    assert_true(cuts > 100);
    /* and uncut, the .open file is kept whole */
    write_file(open_path, whole, len);
    assert_int_equal(segment_recover_dir(dir, NULL, NULL, err, sizeof err), 1);
    assert_int_equal(file_size(path), len);
    assert_int_equal(check_dir(dir), 7);
    free(whole);
    test_rm_rf(dir);
    free(dir);
}

static void recovery_every_offset(void **state)
{
    (void)state;
    truncated_everywhere(NULL, 0);
    size_t dict_len;
    void *dict = train_dict(&dict_len);
    truncated_everywhere(dict, dict_len);
    free(dict);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_record_type),
        cmocka_unit_test(surt_keys),
        cmocka_unit_test(longest_uri_indexed),
        cmocka_unit_test(index_filename_stays_in_dir),
        cmocka_unit_test(block_limit_streams_digests),
        cmocka_unit_test(truncated_says_what_is_missing),
        cmocka_unit_test(dictionary_segments),
        cmocka_unit_test(dictionary_trained_early),
        cmocka_unit_test(early_switch_wakes_waiters),
        cmocka_unit_test(sampler_reservoir),
        cmocka_unit_test(fastcover_table_by_samples),
        cmocka_unit_test(segment_names_sort_after_existing),
        cmocka_unit_test(sampler_take_in_order),
        cmocka_unit_test(sampler_replaces_and_compacts),
        cmocka_unit_test(index_spill_equals_rebuild),
        cmocka_unit_test(merge_many),
        cmocka_unit_test(recovery_every_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
