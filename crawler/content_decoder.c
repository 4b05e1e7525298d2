/* content_decoder.c - gzip/deflate (zlib), br (libbrotli), zstd; see
 * content_decoder.h. */
#include "crawler/content_decoder.h"
#include "common/fa_err.h"

#include <brotli/decode.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

enum codec { CODEC_ZLIB, CODEC_BROTLI, CODEC_ZSTD };

struct content_decoder {
    enum codec codec;
    uint64_t max_out, total;
    int ended;
    int raw_retried;        /* the raw-deflate retry is made once, never again */
    uint64_t fed;           /* bytes fed so far */
    unsigned char head[64]; /* the first bytes fed, for the raw-deflate retry */
    int error;              /* the first error; every later feed answers it */
    z_stream z;
    BrotliDecoderState *br;
    ZSTD_DStream *zs;
    unsigned char buf[16384];
};

const char *content_decoder_accept_encoding(void)
{
    static char value[64];
    if (value[0])
        return value;
    curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    strcpy(value, "gzip, deflate");
    if (v->features & CURL_VERSION_BROTLI)
        strcat(value, ", br");
    if (v->features & CURL_VERSION_ZSTD)
        strcat(value, ", zstd");
    return value;
}

int content_decoder_new(const char *encoding, uint64_t max_out, content_decoder **out)
{
    *out = NULL;
    if (encoding == NULL || encoding[0] == '\0' || strcasecmp(encoding, "identity") == 0)
        return 0;
    content_decoder *d = calloc(1, sizeof *d);
    if (d == NULL)
        return FA_ENOMEM;
    d->max_out = max_out ? max_out : UINT64_MAX;
    if (strcasecmp(encoding, "gzip") == 0 || strcasecmp(encoding, "x-gzip") == 0 ||
        strcasecmp(encoding, "deflate") == 0) {
        d->codec = CODEC_ZLIB;
        /* 15 + 32: gzip or zlib header, detected; raw deflate is retried */
        if (inflateInit2(&d->z, 15 + 32) != Z_OK)
            goto nomem;
    } else if (strcasecmp(encoding, "br") == 0) {
        d->codec = CODEC_BROTLI;
        if ((d->br = BrotliDecoderCreateInstance(NULL, NULL, NULL)) == NULL)
            goto nomem;
    } else if (strcasecmp(encoding, "zstd") == 0) {
        d->codec = CODEC_ZSTD;
        if ((d->zs = ZSTD_createDStream()) == NULL)
            goto nomem;
        /* a window larger than 8 MiB is refused (RFC 8878 recommends it) */
        ZSTD_DCtx_setParameter(d->zs, ZSTD_d_windowLogMax, 23);
    } else {
        free(d);
        return FA_EINVAL;
    }
    *out = d;
    return 0;
nomem:
    free(d);
    return FA_ENOMEM;
}

static int emit_buf(content_decoder *d, size_t n, int (*emit)(void *, const void *, size_t),
                    void *ud)
{
    if (n == 0)
        return 0;
    d->total += n;
    if (d->total > d->max_out)
        return FA_ETOOBIG;
    return emit(ud, d->buf, n);
}

#define RETRY_RAW 1 /* inflate_piece: start over as raw deflate */

/* Inflates one piece.  Returns 0, a negative code, or RETRY_RAW when the
 * stream is neither zlib nor gzip before any output and may_retry. */
static int inflate_piece(content_decoder *d, const void *in, size_t len, int may_retry,
                         int (*emit)(void *, const void *, size_t), void *ud)
{
    d->z.next_in = (Bytef *)(uintptr_t)in;
    d->z.avail_in = (uInt)len;
    while (d->z.avail_in > 0 && !d->ended) {
        d->z.next_out = d->buf;
        d->z.avail_out = sizeof d->buf;
        int zrc = inflate(&d->z, Z_NO_FLUSH);
        int rc = emit_buf(d, sizeof d->buf - d->z.avail_out, emit, ud);
        if (rc < 0)
            return rc;
        if (zrc == Z_STREAM_END) {
            d->ended = 1;
        } else if (zrc == Z_DATA_ERROR && may_retry && d->z.total_out == 0) {
            return RETRY_RAW;
        } else if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
            return FA_EPARSE;
        } else if (zrc == Z_BUF_ERROR && d->z.avail_out == sizeof d->buf) {
            break;
        }
    }
    return 0;
}

static int feed_zlib(content_decoder *d, const void *in, size_t len,
                     int (*emit)(void *, const void *, size_t), void *ud)
{
    uint64_t fed_before = d->fed;
    if (fed_before < sizeof d->head)
        memcpy(d->head + fed_before, in,
               len < sizeof d->head - fed_before ? len : sizeof d->head - fed_before);
    d->fed += len;
    /* "deflate" sent raw, without the zlib wrapper: start over raw from the
     * first byte, once - possible while every byte fed before this piece
     * is in head (the piece itself may be of any size); bytes that are not
     * raw deflate either are an error */
    int rc = inflate_piece(d, in, len, !d->raw_retried && fed_before <= sizeof d->head, emit,
                           ud);
    if (rc != RETRY_RAW)
        return rc;
    d->raw_retried = 1;
    inflateEnd(&d->z);
    memset(&d->z, 0, sizeof d->z);
    if (inflateInit2(&d->z, -15) != Z_OK)
        return FA_ENOMEM;
    rc = inflate_piece(d, d->head, (size_t)fed_before, 0, emit, ud);
    if (rc == 0)
        rc = inflate_piece(d, in, len, 0, emit, ud);
    return rc;
}

static int feed_brotli(content_decoder *d, const void *in, size_t len,
                       int (*emit)(void *, const void *, size_t), void *ud)
{
    const uint8_t *next_in = in;
    size_t avail_in = len;
    for (;;) {
        uint8_t *next_out = d->buf;
        size_t avail_out = sizeof d->buf;
        BrotliDecoderResult r =
            BrotliDecoderDecompressStream(d->br, &avail_in, &next_in, &avail_out, &next_out, NULL);
        int rc = emit_buf(d, sizeof d->buf - avail_out, emit, ud);
        if (rc < 0)
            return rc;
        if (r == BROTLI_DECODER_RESULT_ERROR)
            return FA_EPARSE;
        if (r == BROTLI_DECODER_RESULT_SUCCESS) {
            d->ended = 1;
            return 0;
        }
        if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
            return 0;
        /* NEEDS_MORE_OUTPUT: loop */
    }
}

static int feed_zstd(content_decoder *d, const void *in, size_t len,
                     int (*emit)(void *, const void *, size_t), void *ud)
{
    ZSTD_inBuffer ib = {in, len, 0};
    while (ib.pos < ib.size || !d->ended) {
        ZSTD_outBuffer ob = {d->buf, sizeof d->buf, 0};
        size_t r = ZSTD_decompressStream(d->zs, &ob, &ib);
        if (ZSTD_isError(r))
            return FA_EPARSE;
        int rc = emit_buf(d, ob.pos, emit, ud);
        if (rc < 0)
            return rc;
        if (r == 0) { /* a frame ended; more frames may follow */
            if (ib.pos == ib.size)
                break;
            continue;
        }
        if (ib.pos == ib.size && ob.pos < ob.size)
            break; /* needs more input */
    }
    return 0;
}

int content_decoder_feed(content_decoder *d, const void *in, size_t len,
                         int (*emit)(void *ud, const void *data, size_t n), void *ud)
{
    if (d->error)
        return d->error;
    if (d->ended || len == 0)
        return 0;
    int rc = FA_EINVAL;
    switch (d->codec) {
    case CODEC_ZLIB: rc = feed_zlib(d, in, len, emit, ud); break;
    case CODEC_BROTLI: rc = feed_brotli(d, in, len, emit, ud); break;
    case CODEC_ZSTD: rc = feed_zstd(d, in, len, emit, ud); break;
    }
    if (rc < 0)
        d->error = rc;
    return rc;
}

void content_decoder_free(content_decoder *d)
{
    if (d == NULL)
        return;
    if (d->codec == CODEC_ZLIB)
        inflateEnd(&d->z);
    if (d->br)
        BrotliDecoderDestroyInstance(d->br);
    ZSTD_freeDStream(d->zs);
    free(d);
}
