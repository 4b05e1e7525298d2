/* test_content_decoder.c - crawler/content_decoder.c: the Content-Encodings
 * decode whatever way the body is cut into pieces; corrupt bodies end in an
 * error, once, and quickly (a body that is neither zlib, gzip nor raw
 * deflate once looped for ever); the decoded-size ceiling holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "crawler/content_decoder.h"

#include <brotli/encode.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

typedef struct sink {
    unsigned char *data;
    size_t len, cap;
} sink;

static int sink_emit(void *ud, const void *p, size_t n)
{
    sink *s = ud;
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->data = realloc(s->data, s->cap);
        assert_non_null(s->data);
    }
    memcpy(s->data + s->len, p, n);
    s->len += n;
    return 0;
}

/* Decodes in with encoding, fed step bytes at a time; returns the first
 * error (and stops there) or 0. */
static int decode(const char *encoding, const void *in, size_t len, size_t step, uint64_t max,
                  sink *out)
{
    content_decoder *d = NULL;
    int rc = content_decoder_new(encoding, max, &d);
    assert_int_equal(rc, 0);
    assert_non_null(d);
    const unsigned char *p = in;
    for (size_t off = 0; off < len && rc == 0; off += step)
        rc = content_decoder_feed(d, p + off, len - off < step ? len - off : step, sink_emit, out);
    content_decoder_free(d);
    return rc;
}

static const char text[] = "<rss version=\"2.0\"><channel><title>T</title></channel></rss>\n";

/* windowBits: 15 zlib, 15 + 16 gzip, -15 raw deflate */
static size_t deflate_as(int window_bits, const void *in, size_t len, unsigned char *out,
                         size_t cap)
{
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = z.total_out;
    deflateEnd(&z);
    return n;
}

static void zlib_gzip_and_raw_deflate_decode(void **state)
{
    (void)state;
    const int bits[] = {15, 15 + 16, -15};
    const char *enc[] = {"deflate", "gzip", "deflate"};
    for (int i = 0; i < 3; i++) {
        unsigned char z[512];
        size_t n = deflate_as(bits[i], text, sizeof text - 1, z, sizeof z);
        const size_t steps[] = {1, 3, n};
        for (int k = 0; k < 3; k++) {
            sink s = {0};
            assert_int_equal(decode(enc[i], z, n, steps[k], 0, &s), 0);
            assert_int_equal(s.len, sizeof text - 1);
            assert_memory_equal(s.data, text, s.len);
            free(s.data);
        }
    }
}

/* Neither zlib, gzip nor raw deflate: an error at once, whatever the
 * pieces; the decoder answers the same error if fed again. */
static void garbage_fails_once_and_fast(void **state)
{
    (void)state;
    alarm(10); /* the old decoder span for ever on these bytes */
    const unsigned char ff[4] = {0xff, 0xff, 0xff, 0xff};
    const char *encs[] = {"gzip", "x-gzip", "deflate", "br", "zstd"};
    for (int i = 0; i < 5; i++) {
        for (size_t step = 1; step <= sizeof ff; step++) {
            sink s = {0};
            assert_int_equal(decode(encs[i], ff, sizeof ff, step, 0, &s), FA_EPARSE);
            free(s.data);
        }
        content_decoder *d = NULL;
        assert_int_equal(content_decoder_new(encs[i], 0, &d), 0);
        sink s = {0};
        assert_int_equal(content_decoder_feed(d, ff, sizeof ff, sink_emit, &s), FA_EPARSE);
        assert_int_equal(content_decoder_feed(d, ff, sizeof ff, sink_emit, &s), FA_EPARSE);
        content_decoder_free(d);
        free(s.data);
    }
    /* garbage after a valid start of a zlib stream, and a big garbage body */
    unsigned char z[512];
    size_t n = deflate_as(15, text, sizeof text - 1, z, sizeof z);
    z[n / 2] ^= 0xff;
    z[n / 2 + 1] ^= 0xff;
    sink s = {0};
    assert_true(decode("deflate", z, n, 1, 0, &s) < 0);
    free(s.data);
    size_t big = 1u << 20;
    unsigned char *g = malloc(big);
    memset(g, 0xff, big);
    s = (sink){0};
    assert_int_equal(decode("gzip", g, big, 4096, 0, &s), FA_EPARSE);
    free(s.data);
    free(g);
    alarm(0);
}

static void ceiling_holds(void **state)
{
    (void)state;
    size_t raw_len = 4u << 20;
    unsigned char *raw = calloc(1, raw_len);
    size_t cap = compressBound((uLong)raw_len) + 64;
    unsigned char *z = malloc(cap);
    size_t n = deflate_as(15 + 16, raw, raw_len, z, cap);
    sink s = {0};
    assert_int_equal(decode("gzip", z, n, 1000, 1u << 20, &s), FA_ETOOBIG);
    assert_true(s.len <= 1u << 20);
    free(s.data);
    free(z);
    free(raw);
}

static void brotli_and_zstd_decode(void **state)
{
    (void)state;
    size_t br_len = BrotliEncoderMaxCompressedSize(sizeof text - 1);
    uint8_t *br = malloc(br_len);
    assert_true(BrotliEncoderCompress(5, 22, BROTLI_MODE_TEXT, sizeof text - 1,
                                      (const uint8_t *)text, &br_len, br));
    size_t zs_cap = ZSTD_compressBound(sizeof text - 1);
    void *zs = malloc(zs_cap);
    size_t zs_len = ZSTD_compress(zs, zs_cap, text, sizeof text - 1, 3);
    assert_false(ZSTD_isError(zs_len));
    for (size_t step = 1; step < 8; step += 6) {
        sink s = {0};
        assert_int_equal(decode("br", br, br_len, step, 0, &s), 0);
        assert_int_equal(s.len, sizeof text - 1);
        free(s.data);
        s = (sink){0};
        assert_int_equal(decode("zstd", zs, zs_len, step, 0, &s), 0);
        assert_int_equal(s.len, sizeof text - 1);
        free(s.data);
    }
    free(br);
    free(zs);
    content_decoder *d = (content_decoder *)1;
    assert_int_equal(content_decoder_new("identity", 0, &d), 0);
    assert_null(d);
    assert_int_equal(content_decoder_new("compress", 0, &d), FA_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zlib_gzip_and_raw_deflate_decode),
        cmocka_unit_test(garbage_fails_once_and_fast),
        cmocka_unit_test(ceiling_holds),
        cmocka_unit_test(brotli_and_zstd_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
