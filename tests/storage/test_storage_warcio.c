/* test_storage_warcio.c - interoperability: segments written by feedarc are
 * decompressed with the zstd CLI and read by Webrecorder's warcio.js (an
 * independent WARC implementation), which must see the same records and
 * agree with every payload digest (tests/storage/warcio_check.cjs).
 *
 * Needs node, npm and zstd; warcio is installed once into <build>/npm
 * (`npm install --prefix <build>/npm warcio`) and reused afterwards.  When
 * any of that is unavailable the test exits 77, which ctest reports as
 * skipped (SKIP_RETURN_CODE), never as passed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/test_fs.h"

#include "common/fa_spool.h"
#include "common/fa_time.h"
#include "storage/segment_writer.h"
#include "storage/warc_reader.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FEEDARC_NPM_DIR
#error "FEEDARC_NPM_DIR must name the npm prefix in the build folder"
#endif
#ifndef FEEDARC_WARCIO_CDXJ
#error "FEEDARC_WARCIO_CDXJ must name warcio_cdxj.cjs"
#endif
#ifndef FEEDARC_WARCIO_CHECK
#error "FEEDARC_WARCIO_CHECK must name warcio_check.cjs"
#endif

#define SKIP_CODE 77

static int have_command(const char *name)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

static int ensure_warcio(void)
{
    char cmd[1024];
    if (access(FEEDARC_NPM_DIR "/node_modules/warcio/package.json", R_OK) == 0)
        return 0; /* cached from an earlier run */
    printf("installing warcio into %s\n", FEEDARC_NPM_DIR);
    fflush(stdout);
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s' && npm install --prefix '%s' --no-audit --no-fund warcio@2 "
             "> '%s/install.log' 2>&1",
             FEEDARC_NPM_DIR, FEEDARC_NPM_DIR, FEEDARC_NPM_DIR);
    return system(cmd) == 0 ? 0 : -1;
}

static char *tmpdir;

static int make_tmpdir(void **state)
{
    (void)state;
    tmpdir = test_tmpdir_new();
    return 0;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    test_rm_rf(tmpdir);
    free(tmpdir);
    return 0;
}

static void write_segments(void)
{
    segment_writer_options o = {0};
    o.dir = tmpdir;
    o.prefix = "interop";
    o.max_size = 3000; /* several segments */
    segment_writer *w = NULL;
    char err[256];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    static const char get[] = "GET /x HTTP/1.1\r\nHost: example.org\r\n\r\n";
    static const char post[] = "POST /api HTTP/1.1\r\nHost: example.org\r\nContent-Length: 3\r\n"
                               "\r\na=1";
    static const char chunked[] = "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n";
    char *big = malloc(200000);
    for (size_t i = 0; i < 200000; i++)
        big[i] = (char)('a' + (i * 7919 % 26));
    for (int i = 0; i < 30; i++) {
        fa_spool body;
        char uri[64], head[256];
        int kind = i % 5;
        fa_spool_init(&body, 4096, 1 << 20, "/tmp");
        snprintf(uri, sizeof uri, "http://example.org/%d", i);
        size_t len = kind == 0 ? 0 : kind == 1 ? 100 : kind == 2 ? sizeof chunked - 1 : 200000;
        const char *data = kind == 2 ? chunked : big;
        if (len) assert_int_equal(fa_spool_write(&body, data, len), 0);
        snprintf(head, sizeof head,
                 kind == 2 ? "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n"
                           : "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                             "Content-Length: %zu\r\n\r\n",
                 len);
        warc_exchange x = {uri,
                           kind == 4 ? NULL : "198.51.100.4",
                           fa_time_now_ns(),
                           kind == 1 ? post : get,
                           kind == 1 ? sizeof post - 1 : sizeof get - 1,
                           head,
                           strlen(head),
                           &body,
                           kind == 2};
        assert_int_equal(segment_writer_write_exchange(w, &x, NULL), 0);
        fa_spool_free(&body);
    }
    free(big);
    assert_int_equal(segment_writer_close(w), 0);
}

static void warcio_reads_segments(void **state)
{
    (void)state;
    write_segments();
    DIR *d = opendir(tmpdir);
    assert_non_null(d);
    struct dirent *e;
    int segments = 0, pairs = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 9 || strcmp(e->d_name + l - 9, ".warc.zst") != 0) continue;
        segments++;
        char cmd[2048], line[512] = "";
        snprintf(cmd, sizeof cmd, "zstd -q -dc '%s/%s' > '%s/%s.warc'", tmpdir, e->d_name, tmpdir,
                 e->d_name);
        assert_int_equal(system(cmd), 0);
        /* our own count, to compare with warcio's */
        snprintf(cmd, sizeof cmd, "%s/%s", tmpdir, e->d_name);
        warc_reader *r;
        char err[256];
        assert_int_equal(warc_reader_open(cmd, 0, &r, err, sizeof err), 0);
        warc_record rec;
        int n = 0;
        while (warc_reader_next(r, &rec) == 1)
            n++;
        warc_reader_close(r);
        assert_true(n >= 3 && n % 2 == 1);
        pairs += (n - 1) / 2;

        snprintf(cmd, sizeof cmd, "node '%s' '%s' '%s/%s.warc' 2>&1", FEEDARC_WARCIO_CHECK,
                 FEEDARC_NPM_DIR, tmpdir, e->d_name);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        char all[4096] = "";
        while (fgets(line, sizeof line, p))
            strncat(all, line, sizeof all - strlen(all) - 1);
        int status = pclose(p);
        printf("%s: %s", e->d_name, all);
        if (status != 0) fail_msg("warcio rejected %s: %s", e->d_name, all);
        char want[128];
        snprintf(want, sizeof want, "OK records=%d warcinfo=1 request=%d response=%d\n", n,
                 (n - 1) / 2, (n - 1) / 2);
        assert_string_equal(all, want);
    }
    closedir(d);
    assert_true(segments >= 3);
    assert_int_equal(pairs, 30);
}

/* CDXJ: feedarc's index agrees with warcio's CDXIndexer on every line
 * (responses, a chunked one, revisits of both profiles, a conversion; the
 * request and the warc-fields metadata are left out by both). */
static void warcio_agrees_with_cdxj(void **state)
{
    (void)state;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/cdxj", tmpdir);
    segment_writer_options o = {0};
    o.dir = dir;
    o.prefix = "cdxj";
    segment_writer *w = NULL;
    char err[256], date[40];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    static const char get[] = "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n";
    static const char chunked[] = "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n";
    const char *uris[] = {"http://www.Example.org/b?z=1&a=2", "https://example.org:8443/x/",
                          "http://example.org", "http://127.0.0.1:8080/feed.xml?page=2"};
    warc_written first;
    for (int i = 0; i < 4; i++) {
        fa_spool body;
        char head[256];
        fa_spool_init(&body, 4096, 1 << 20, "/tmp");
        if (i == 1) {
            assert_int_equal(fa_spool_write(&body, chunked, sizeof chunked - 1), 0);
            snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                        "Transfer-Encoding: chunked\r\n\r\n");
        } else {
            assert_int_equal(fa_spool_write(&body, "hello", 5), 0);
            snprintf(head, sizeof head, i == 3 ? "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\n"
                                               : "HTTP/1.1 200 OK\r\nContent-Type: Text/HTML\r\n"
                                                 "Content-Length: 5\r\n\r\n");
        }
        warc_exchange x = {uris[i], NULL, fa_time_now_ns() - i * 1000000000LL, get, sizeof get - 1,
                           head, strlen(head), &body, i == 1};
        assert_int_equal(segment_writer_write_exchange(w, &x, i == 0 ? &first : NULL), 0);
        fa_spool_free(&body);
    }
    fa_time_format_iso(fa_time_now_ns() - 3000000000LL, 0, date, sizeof date);
    static const char h304[] = "HTTP/1.1 304 Not Modified\r\n\r\n";
    static const char h200[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n";
    warc_field f[] = {{"via", uris[2]}};
    warc_record_spec specs[] = {
        {.record_type = WARC_TYPE_REVISIT,
         .target_uri = uris[0],
         .refers_to = first.response_id,
         .refers_to_target_uri = uris[0],
         .refers_to_date = date,
         .profile = WARC_PROFILE_NOT_MODIFIED,
         .block = h304,
         .block_len = sizeof h304 - 1},
        {.record_type = WARC_TYPE_REVISIT,
         .target_uri = "http://mirror.example.net/b",
         .refers_to = first.response_id,
         .refers_to_target_uri = uris[0],
         .refers_to_date = date,
         .profile = WARC_PROFILE_IDENTICAL,
         .payload_digest = first.payload_digest,
         .block = h200,
         .block_len = sizeof h200 - 1},
        {.record_type = WARC_TYPE_METADATA, .target_uri = uris[2], .fields = f, .n_fields = 1},
        {.record_type = WARC_TYPE_CONVERSION,
         .target_uri = uris[2],
         .refers_to = first.response_id,
         .block = "hello",
         .block_len = 5},
    };
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(segment_writer_write_record(w, &specs[i], NULL), 0);
    assert_int_equal(segment_writer_close(w), 0);

    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 9 || strcmp(e->d_name + l - 9, ".warc.zst") != 0) continue;
        n++;
        char cmd[2048], line[512], all[8192] = "";
        snprintf(cmd, sizeof cmd, "zstd -q -dc '%s/%s' > '%s/seg.warc'", dir, e->d_name, dir);
        assert_int_equal(system(cmd), 0);
        snprintf(cmd, sizeof cmd, "node '%s' '%s' '%s/seg.warc' '%s/%s.cdxj' 2>&1",
                 FEEDARC_WARCIO_CDXJ, FEEDARC_NPM_DIR, dir, dir, e->d_name);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        while (fgets(line, sizeof line, p))
            strncat(all, line, sizeof all - strlen(all) - 1);
        int status = pclose(p);
        printf("%s: %s", e->d_name, all);
        if (status != 0) fail_msg("warcio disagrees with the CDXJ of %s: %s", e->d_name, all);
        assert_string_equal(all, "OK lines=7\n");
    }
    closedir(d);
    assert_int_equal(n, 1);
}

int main(void)
{
    const char *need[] = {"node", "npm", "zstd"};
    for (size_t i = 0; i < 3; i++) {
        if (!have_command(need[i])) {
            printf("SKIP: %s is not installed; warcio interoperability not tested\n", need[i]);
            return SKIP_CODE;
        }
    }
    if (ensure_warcio() < 0) {
        printf("SKIP: npm install warcio failed (no registry access?); see %s/install.log\n",
               FEEDARC_NPM_DIR);
        return SKIP_CODE;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(warcio_reads_segments),
                                       cmocka_unit_test(warcio_agrees_with_cdxj)};
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
