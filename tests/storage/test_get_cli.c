/*
 * test_get_cli.c - `feedarc get` (the binary, FEEDARC_BIN) on segments
 * written here by the segment writer: a chunked response comes out
 * de-chunked - the page's bytes, no chunk sizes - whether the chunked body
 * is whole or was cut short; a broken framing comes out raw.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/test_fs.h"

#include "common/fa_spool.h"
#include "common/fa_time.h"
#include "storage/segment_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char page[] = "<html><body><p>Chunks of a page.</p></body></html>\n";

/* Writes one response for uri whose body is `body` (as transferred). */
static void write_response(segment_writer *w, const char *uri, const char *body, int chunked)
{
    char head[256], req[256];
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n%s\r\n",
             chunked ? "Transfer-Encoding: chunked\r\n" : "");
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    fa_spool sp;
    fa_spool_init(&sp, 1 << 20, 1 << 20, "/tmp");
    assert_int_equal(fa_spool_write(&sp, body, strlen(body)), 0);
    warc_exchange x = {.target_uri = uri,
                       .date_ns = fa_time_now_ns(),
                       .request = req,
                       .request_len = strlen(req),
                       .response_head = head,
                       .response_head_len = strlen(head),
                       .body = &sp,
                       .body_chunked = chunked};
    warc_record_spec spec = {.record_type = WARC_TYPE_RESPONSE, .exchange = &x};
    assert_int_equal(segment_writer_write_record(w, &spec, NULL), 0);
    fa_spool_free(&sp);
}

/* Output of `feedarc get dir uri` (malloc'd); asserts exit 0. */
static char *get(const char *dir, const char *uri)
{
    const char *bin = getenv("FEEDARC_BIN");
    assert_non_null(bin);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' get '%s' '%s'", bin, dir, uri);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *out = calloc(1, 65536);
    size_t n = fread(out, 1, 65535, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    return out;
}

static void chunked_bodies_come_out_dechunked(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    segment_writer_options o = {.dir = dir, .prefix = "get"};
    segment_writer *w;
    char err[256];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    char whole[512], cut[512], broken[512];
    size_t half = sizeof page / 2;
    snprintf(whole, sizeof whole, "%zx\r\n%.*s\r\n%zx\r\n%s\r\n0\r\n\r\n", half, (int)half, page,
             strlen(page + half), page + half);
    snprintf(cut, sizeof cut, "%zx\r\n%.*s\r\n", half, (int)half, page);
    snprintf(broken, sizeof broken, "zz\r\n%s", page);
    write_response(w, "http://example.com/whole", whole, 1);
    write_response(w, "http://example.com/cut", cut, 1);
    write_response(w, "http://example.com/broken", broken, 1);
    write_response(w, "http://example.com/plain", page, 0);
    assert_int_equal(segment_writer_close(w), 0);

    char *out = get(dir, "http://example.com/whole");
    assert_string_equal(out, page);
    free(out);
    out = get(dir, "http://example.com/cut");
    assert_int_equal(strlen(out), half);
    assert_memory_equal(out, page, half);
    free(out);
    out = get(dir, "http://example.com/broken");
    assert_string_equal(out, broken);
    free(out);
    out = get(dir, "http://example.com/plain");
    assert_string_equal(out, page);
    free(out);
    test_rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chunked_bodies_come_out_dechunked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
