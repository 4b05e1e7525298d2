/*
 * content_decoder.h - streaming decoding of an HTTP Content-Encoding
 * (gzip, deflate, br, zstd) for the copy of a body that parsers read.
 *
 * The archive keeps the body exactly as sent; parsers need it decoded.
 * The decoder is fed the (de-chunked) body in any pieces and hands decoded
 * bytes on as they come, never holding more than one output buffer, with a
 * ceiling on the total decoded size (gzip bombs).  zlib, libbrotli and
 * libzstd do the work.
 */
#ifndef CONTENT_DECODER_H
#define CONTENT_DECODER_H

#include <stddef.h>
#include <stdint.h>

typedef struct content_decoder content_decoder;

/* The Accept-Encoding value feedarc can decode and libcurl was built with
 * ("gzip, deflate, br, zstd" on Debian bookworm). */
const char *content_decoder_accept_encoding(void);

/* Creates a decoder for a Content-Encoding value.  *out is NULL for
 * identity (no decoding needed).  Returns 0, FA_EINVAL for an encoding it
 * cannot decode (or a chain of several), FA_ENOMEM. */
int content_decoder_new(const char *encoding, uint64_t max_out, content_decoder **out);

/* Decodes len bytes, calling emit for each decoded run.  Returns 0,
 * FA_EPARSE on corrupt input, FA_ETOOBIG past max_out, or emit's negative
 * return; after an error every later call returns that error at once.  The
 * work is linear in len: corrupt input is an error, never a retry loop.
 * Bytes after the end of a gzip/deflate or brotli stream are ignored. */
int content_decoder_feed(content_decoder *d, const void *in, size_t len,
                         int (*emit)(void *ud, const void *data, size_t n), void *ud);

void content_decoder_free(content_decoder *d);

#endif
