/* test_warc_format.c - the WARC record type table, and one payload digest:
 * a chunked body with broken framing (and one cut short, and a good one)
 * gets the same WARC-Payload-Digest from the writer, from the reader (whole
 * records and streamed ones) and from warc_payload_digest_spool, which the
 * crawler gives its dedup index.  (The crawler had a copy of its own that
 * failed on broken framing where the writer digested the raw body.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_digest.h"
#include "common/fa_spool.h"
#include "storage/segment_writer.h"
#include "storage/warc_format.h"
#include "storage/warc_reader.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void type_table(void **state)
{
    (void)state;
    static const char *const names[] = {"warcinfo", "response", "resource",   "request",
                                        "metadata", "revisit",  "conversion", "continuation"};
    assert_int_equal(sizeof names / sizeof names[0], WARC_TYPE_COUNT - 1);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        warc_type t = warc_type_of(names[i]);
        assert_int_not_equal(t, WARC_TYPE_UNKNOWN);
        assert_string_equal(warc_type_name(t), names[i]);
    }
    for (int t = 1; t < WARC_TYPE_COUNT; t++)
        assert_int_equal(warc_type_of(warc_type_name((warc_type)t)), t);
    assert_int_equal(warc_type_of(NULL), WARC_TYPE_UNKNOWN);
    assert_int_equal(warc_type_of("Response"), WARC_TYPE_UNKNOWN); /* as spelt, lower case */
    assert_int_equal(warc_type_of("responses"), WARC_TYPE_UNKNOWN);
    assert_int_equal(warc_type_of(""), WARC_TYPE_UNKNOWN);
    assert_null(warc_type_name(WARC_TYPE_UNKNOWN));
    assert_null(warc_type_name(WARC_TYPE_COUNT));
}

enum { GOOD, BROKEN, CUT, N_BODIES };

#define FIRST                                                                                      \
    200000 /* payload bytes in the first chunk: a record the reader                                \
              streams past its block limit */
#define CAP (FIRST + 64)

/* A chunked body of each kind, and what its payload digest must cover. */
static size_t make_body(int kind, char *body, char *expect, size_t *expect_len)
{
    char *a = malloc(FIRST + 1);
    assert_non_null(a);
    for (size_t i = 0; i < FIRST; i++)
        a[i] = (char)('a' + (i * 7 + (size_t)kind) % 26);
    a[FIRST] = '\0';
    switch (kind) {
    case GOOD:
        snprintf(body, CAP, "30d40\r\n%s\r\n6\r\n world\r\n0\r\n\r\n", a);
        *expect_len = (size_t)snprintf(expect, CAP, "%s world", a);
        break;
    case BROKEN: /* "ZZ" is no chunk size: the digest covers the raw bytes */
        snprintf(body, CAP, "30d40\r\n%s\r\nZZ\r\n world\r\n0\r\n\r\n", a);
        *expect_len = (size_t)snprintf(expect, CAP, "%s", body);
        break;
    default: /* cut inside the second chunk: the bytes decoded */
        snprintf(body, CAP, "30d40\r\n%s\r\n6\r\n wo", a);
        *expect_len = (size_t)snprintf(expect, CAP, "%s wo", a);
        break;
    }
    free(a);
    return strlen(body);
}

static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n";

static void one_digest_everywhere(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/fa-warcfmt-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    segment_writer_options o = {.dir = dir, .prefix = "fmt", .no_index = 1};
    segment_writer *w;
    char err[512], want[N_BODIES][40], written[N_BODIES][40];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    for (int kind = 0; kind < N_BODIES; kind++) {
        char *body = malloc(CAP), *expect = malloc(CAP), label[40];
        assert_true(body && expect);
        size_t expect_len, len = make_body(kind, body, expect, &expect_len);
        uint8_t d[20], s[20], m[20];
        fa_sha1_oneshot(expect, expect_len, d);
        fa_sha1_label(d, want[kind]);
        /* the crawler's call, from a spool in memory and from one spilled
         * to a file */
        for (int spill = 0; spill < 2; spill++) {
            fa_spool sp;
            fa_spool_init(&sp, spill ? 16 : 1 << 20, 1 << 20, "/tmp");
            assert_int_equal(fa_spool_write(&sp, body, 100), 0);
            assert_int_equal(fa_spool_write(&sp, body + 100, len - 100), 0);
            assert_int_equal(warc_payload_digest_spool(&sp, 1, s), 0);
            fa_sha1_label(s, label);
            assert_string_equal(label, want[kind]);
            /* the writer's, through the same spool */
            if (spill == kind % 2) {
                warc_exchange x = {.target_uri = "http://example.test/p",
                                   .request = "GET /p HTTP/1.1\r\nHost: example.test\r\n\r\n",
                                   .request_len = 39,
                                   .response_head = head,
                                   .response_head_len = sizeof head - 1,
                                   .body = &sp,
                                   .body_chunked = 1};
                warc_written out;
                assert_int_equal(segment_writer_write_exchange(w, &x, &out), 0);
                snprintf(written[kind], sizeof written[kind], "%s", out.payload_digest);
                assert_string_equal(written[kind], want[kind]);
            }
            fa_spool_free(&sp);
        }
        assert_int_equal(warc_payload_digest_mem(body, len, 1, m), 0);
        assert_memory_equal(m, d, 20);
        /* not chunked: the body as it is */
        assert_int_equal(warc_payload_digest_mem(body, len, 0, m), 0);
        fa_sha1_oneshot(body, len, d);
        assert_memory_equal(m, d, 20);
        free(body);
        free(expect);
    }
    assert_int_equal(segment_writer_close(w), 0);

    /* the reader: whole records, then streamed past a block limit */
    DIR *dd = opendir(dir);
    struct dirent *e;
    char path[1024] = "";
    while ((e = readdir(dd)) != NULL)
        if (strstr(e->d_name, ".warc.zst")) snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    closedir(dd);
    for (int streamed = 0; streamed < 2; streamed++) {
        warc_reader *r;
        warc_record rec;
        int rc, kind = 0;
        assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
        if (streamed) warc_reader_set_block_limit(r, 200);
        while ((rc = warc_reader_next(r, &rec)) == 1) {
            if (warc_type_of(warc_record_field(&rec, "WARC-Type")) != WARC_TYPE_RESPONSE) continue;
            assert_true(kind < N_BODIES);
            assert_string_equal(warc_record_field(&rec, "WARC-Payload-Digest"), want[kind]);
            if (warc_record_verify_digests(&rec, err, sizeof err) != 0) fail_msg("%s", err);
            uint8_t m[20];
            char label[40];
            if (streamed) {
                assert_non_null(rec.payload_sha1);
                memcpy(m, rec.payload_sha1, 20);
            } else {
                const char *blk = (const char *)rec.block;
                assert_int_equal(warc_payload_digest_mem(blk + sizeof head - 1,
                                                         rec.block_len - (sizeof head - 1), 1, m),
                                 0);
            }
            fa_sha1_label(m, label);
            assert_string_equal(label, want[kind]);
            kind++;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(kind, N_BODIES);
        warc_reader_close(r);
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(type_table),
        cmocka_unit_test(one_digest_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
