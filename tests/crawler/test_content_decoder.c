/* test_content_decoder.c - crawler/content_decoder.c: the Content-Encodings
 * decode whatever way the body is cut into pieces; corrupt bodies end in an
 * error, once, and quickly (a body that is neither zlib, gzip nor raw
 * deflate once looped for ever); the decoded-size ceiling holds for every
 * codec, to the byte; a raw deflate body whose first piece is short is
 * still recognised; truncated streams give a prefix and no error; a chain
 * of encodings is refused; bytes after the end are ignored. */
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

/* A text of len bytes that compresses well but not to nothing. */
static unsigned char *sample(size_t len)
{
    unsigned char *p = malloc(len);
    assert_non_null(p);
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)("<item>lorem ipsum dolor</item>\n"[i % 31] + (i / 4096) % 3);
    return p;
}

typedef struct encoded {
    const char *encoding;
    unsigned char *data;
    size_t len;
} encoded;

/* raw encoded as gzip, zlib ("deflate"), raw deflate, br and zstd. */
static size_t encode_all(const unsigned char *raw, size_t raw_len, encoded out[5])
{
    size_t cap = compressBound((uLong)raw_len) + 64;
    const int bits[] = {15 + 16, 15, -15};
    const char *names[] = {"gzip", "deflate", "deflate"};
    for (int i = 0; i < 3; i++) {
        out[i].encoding = names[i];
        out[i].data = malloc(cap);
        out[i].len = deflate_as(bits[i], raw, raw_len, out[i].data, cap);
    }
    size_t br_len = BrotliEncoderMaxCompressedSize(raw_len);
    out[3] = (encoded){"br", malloc(br_len), br_len};
    assert_true(BrotliEncoderCompress(5, 22, BROTLI_MODE_TEXT, raw_len, raw, &out[3].len,
                                      out[3].data));
    size_t zs_cap = ZSTD_compressBound(raw_len);
    out[4] = (encoded){"zstd", malloc(zs_cap), 0};
    out[4].len = ZSTD_compress(out[4].data, zs_cap, raw, raw_len, 3);
    assert_false(ZSTD_isError(out[4].len));
    return 5;
}

static void free_all(encoded *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].data);
}

/* Decodes e cut at first, then in pieces of step; returns the first error. */
static int decode_cut(const encoded *e, size_t first, size_t step, uint64_t max, sink *out)
{
    content_decoder *d = NULL;
    assert_int_equal(content_decoder_new(e->encoding, max, &d), 0);
    int rc = content_decoder_feed(d, e->data, first < e->len ? first : e->len, sink_emit, out);
    for (size_t off = first; off < e->len && rc == 0; off += step)
        rc = content_decoder_feed(d, e->data + off, e->len - off < step ? e->len - off : step,
                                  sink_emit, out);
    content_decoder_free(d);
    return rc;
}

/* Every codec, 1-byte pieces and a short first piece then the rest: a
 * raw deflate body whose first piece was 1..63 bytes and whose next one
 * took it past 64 was refused (FA_EPARSE) - the retry as raw deflate only
 * started over when every byte fed so far was in one piece or in the
 * first 64.  (A server's first body bytes can come in a packet of their
 * own, or as a chunk of one byte.) */
static void every_codec_every_cut(void **state)
{
    (void)state;
    const size_t raw_len = 100000;
    unsigned char *raw = sample(raw_len);
    encoded e[5];
    size_t n = encode_all(raw, raw_len, e);
    const size_t firsts[] = {1, 2, 5, 63, 64, 65, 1000};
    for (size_t i = 0; i < n; i++) {
        for (size_t f = 0; f < sizeof firsts / sizeof firsts[0]; f++) {
            sink s = {0};
            int rc = decode_cut(&e[i], firsts[f], e[i].len, 0, &s);
            if (rc != 0)
                fail_msg("%s #%zu, first piece %zu bytes: %d", e[i].encoding, i, firsts[f], rc);
            assert_int_equal(s.len, raw_len);
            assert_memory_equal(s.data, raw, raw_len);
            free(s.data);
        }
        sink s = {0};
        assert_int_equal(decode_cut(&e[i], 1, 1, 0, &s), 0);
        assert_int_equal(s.len, raw_len);
        assert_memory_equal(s.data, raw, raw_len);
        free(s.data);
    }
    free_all(e, n);
    free(raw);
}

/* Cut short anywhere, a stream gives a prefix of the text and no error:
 * the decoder cannot know the body ended (the transfer does: a short
 * Content-Length or chunk framing is its error). */
static void truncated_streams_give_a_prefix(void **state)
{
    (void)state;
    const size_t raw_len = 20000;
    unsigned char *raw = sample(raw_len);
    encoded e[5];
    size_t n = encode_all(raw, raw_len, e);
    for (size_t i = 0; i < n; i++) {
        for (size_t cut = 0; cut < e[i].len; cut += 1 + cut / 3) {
            encoded c = e[i];
            c.len = cut;
            sink s = {0};
            int rc = decode_cut(&c, 7, 7, 0, &s);
            if (rc != 0)
                fail_msg("%s #%zu cut at %zu: %d", e[i].encoding, i, cut, rc);
            assert_true(s.len < raw_len);
            if (s.len)
                assert_memory_equal(s.data, raw, s.len);
            free(s.data);
        }
    }
    free_all(e, n);
    free(raw);
}

/* The ceiling holds for every codec to the byte: max_out bytes pass, one
 * more is FA_ETOOBIG, and nothing past the ceiling reaches emit. */
static void ceiling_to_the_byte(void **state)
{
    (void)state;
    const size_t raw_len = 300000;
    unsigned char *raw = sample(raw_len);
    encoded e[5];
    size_t n = encode_all(raw, raw_len, e);
    for (size_t i = 0; i < n; i++) {
        sink s = {0};
        assert_int_equal(decode_cut(&e[i], 100, 100, raw_len, &s), 0);
        assert_int_equal(s.len, raw_len);
        free(s.data);
        s = (sink){0};
        assert_int_equal(decode_cut(&e[i], 100, 100, raw_len - 1, &s), FA_ETOOBIG);
        assert_true(s.len <= raw_len - 1);
        free(s.data);
        s = (sink){0};
        assert_int_equal(decode_cut(&e[i], e[i].len, 1, 1000, &s), FA_ETOOBIG);
        assert_true(s.len <= 1000);
        free(s.data);
    }
    free_all(e, n);
    free(raw);
}

/* Bombs of 64 MiB of zeros in br and zstd (gzip: ceiling_holds) stop at a
 * 1 MiB ceiling, fed in small pieces, with no more than 1 MiB emitted. */
static void bombs_stop_at_the_ceiling(void **state)
{
    (void)state;
    const size_t raw_len = 64u << 20;
    unsigned char *zeros = calloc(1, raw_len);
    assert_non_null(zeros);
    size_t br_len = BrotliEncoderMaxCompressedSize(raw_len);
    encoded br = {"br", malloc(br_len), br_len};
    assert_true(BrotliEncoderCompress(1, 22, BROTLI_MODE_GENERIC, raw_len, zeros, &br.len,
                                      br.data));
    size_t zs_cap = ZSTD_compressBound(raw_len);
    encoded zs = {"zstd", malloc(zs_cap), 0};
    zs.len = ZSTD_compress(zs.data, zs_cap, zeros, raw_len, 1);
    assert_false(ZSTD_isError(zs.len));
    free(zeros);
    assert_true(br.len < 64 * 1024 && zs.len < 64 * 1024);
    encoded *bombs[] = {&br, &zs};
    for (int i = 0; i < 2; i++) {
        sink s = {0};
        assert_int_equal(decode_cut(bombs[i], 16, 16, 1u << 20, &s), FA_ETOOBIG);
        assert_true(s.len <= 1u << 20);
        free(s.data);
        free(bombs[i]->data);
    }
}

/* A zstd frame that asks for a window over 8 MiB is refused (the decoder
 * would need that much memory whatever the ceiling). */
static void zstd_large_window_refused(void **state)
{
    (void)state;
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    assert_non_null(cc);
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, 27)));
    unsigned char out[4096];
    ZSTD_outBuffer ob = {out, sizeof out, 0};
    ZSTD_inBuffer ib = {text, sizeof text - 1, 0};
    /* streamed without a pledged size, so the frame header names the window */
    assert_false(ZSTD_isError(ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_continue)));
    ib = (ZSTD_inBuffer){NULL, 0, 0};
    assert_int_equal(ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_end), 0);
    ZSTD_freeCCtx(cc);
    encoded e = {"zstd", out, ob.pos};
    sink s = {0};
    assert_int_equal(decode_cut(&e, ob.pos, 1, 0, &s), FA_EPARSE);
    free(s.data);
}

/* Several encodings are refused (the body is archived, not parsed); names
 * are matched whatever their case; "identity" and none need no decoder. */
static void stacked_and_named_encodings(void **state)
{
    (void)state;
    const char *refused[] = {"gzip, br", "gzip,gzip", "deflate, gzip", "br gzip", "compress",
                             "x-compress", "gzip2", "chunked"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        content_decoder *d = (content_decoder *)1;
        assert_int_equal(content_decoder_new(refused[i], 0, &d), FA_EINVAL);
        assert_null(d);
    }
    const char *none[] = {NULL, "", "identity", "IDENTITY"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        content_decoder *d = (content_decoder *)1;
        assert_int_equal(content_decoder_new(none[i], 0, &d), 0);
        assert_null(d);
    }
    content_decoder_free(NULL);
    unsigned char z[512];
    size_t n = deflate_as(15 + 16, text, sizeof text - 1, z, sizeof z);
    const char *names[] = {"GZIP", "X-Gzip", "Deflate"};
    for (size_t i = 0; i < 3; i++) {
        sink s = {0};
        assert_int_equal(decode(names[i], z, n, 5, 0, &s), 0);
        assert_int_equal(s.len, sizeof text - 1);
        free(s.data);
    }
    const char *ae = content_decoder_accept_encoding();
    assert_non_null(strstr(ae, "gzip"));
    assert_non_null(strstr(ae, "deflate"));
    assert_ptr_equal(ae, content_decoder_accept_encoding());
}

/* After a gzip member, br or zstd stream ends, later bytes are ignored (a
 * second gzip member too); two zstd frames are both decoded. */
static void after_the_end(void **state)
{
    (void)state;
    encoded e[5];
    size_t n = encode_all((const unsigned char *)text, sizeof text - 1, e);
    for (size_t i = 0; i < n; i++) {
        if (i == 4)
            continue;
        size_t len = e[i].len * 2 + 8;
        unsigned char *two = malloc(len);
        memcpy(two, e[i].data, e[i].len);
        memcpy(two + e[i].len, e[i].data, e[i].len);
        memset(two + 2 * e[i].len, 0xff, 8);
        sink s = {0};
        assert_int_equal(decode(e[i].encoding, two, len, 3, 0, &s), 0);
        assert_int_equal(s.len, sizeof text - 1);
        free(s.data);
        free(two);
    }
    unsigned char frames[1024];
    memcpy(frames, e[4].data, e[4].len);
    memcpy(frames + e[4].len, e[4].data, e[4].len);
    sink s = {0};
    assert_int_equal(decode("zstd", frames, 2 * e[4].len, 3, 0, &s), 0);
    assert_int_equal(s.len, 2 * (sizeof text - 1));
    free(s.data);
    free_all(e, n);
}

static int refuse_after(void *ud, const void *p, size_t n)
{
    (void)p;
    size_t *left = ud;
    if (n > *left)
        return -77;
    *left -= n;
    return 0;
}

/* emit's error stops the decoder, is returned, and answers every later
 * call; nothing more is emitted. */
static void emit_error_sticks(void **state)
{
    (void)state;
    const size_t raw_len = 100000;
    unsigned char *raw = sample(raw_len);
    encoded e[5];
    size_t n = encode_all(raw, raw_len, e);
    for (size_t i = 0; i < n; i++) {
        content_decoder *d = NULL;
        assert_int_equal(content_decoder_new(e[i].encoding, 0, &d), 0);
        size_t left = 20000;
        int rc = 0;
        size_t off = 0;
        for (; off < e[i].len && rc == 0; off += 10)
            rc = content_decoder_feed(d, e[i].data + off, e[i].len - off < 10 ? e[i].len - off : 10,
                                      refuse_after, &left);
        assert_int_equal(rc, -77);
        assert_int_equal(content_decoder_feed(d, e[i].data, 1, refuse_after, &left), -77);
        content_decoder_free(d);
    }
    free_all(e, n);
    free(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zlib_gzip_and_raw_deflate_decode),
        cmocka_unit_test(garbage_fails_once_and_fast),
        cmocka_unit_test(ceiling_holds),
        cmocka_unit_test(brotli_and_zstd_decode),
        cmocka_unit_test(every_codec_every_cut),
        cmocka_unit_test(truncated_streams_give_a_prefix),
        cmocka_unit_test(ceiling_to_the_byte),
        cmocka_unit_test(bombs_stop_at_the_ceiling),
        cmocka_unit_test(zstd_large_window_refused),
        cmocka_unit_test(stacked_and_named_encodings),
        cmocka_unit_test(after_the_end),
        cmocka_unit_test(emit_error_sticks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
