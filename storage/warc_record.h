/*
 * warc_record.h - internal to storage/: the small pieces of WARC and HTTP
 * syntax that the writer and the reader must agree on byte for byte.
 *
 * The writer computes WARC-Payload-Digest while it streams a body; the
 * reader recomputes it from a record in memory.  Both go through the same
 * functions here, so "where does the HTTP head end", "is this body chunked"
 * and "what happens when the chunk framing is broken" have one answer:
 *
 *   - the HTTP head ends after the first empty line ("\r\n\r\n", or a bare
 *     "\n\n" from a sloppy server);
 *   - a message is chunked when its head has a Transfer-Encoding field whose
 *     value names `chunked`;
 *   - the payload is the body with the chunk framing removed (fa_dechunk);
 *     when the framing is malformed the payload is the body as transferred
 *     (the digest then covers the raw bytes - a digest that can be
 *     recomputed beats none).  A chunked body cut short is digested over the
 *     bytes that were decoded.
 *
 * Nothing here allocates except warc__payload_begin's caller-provided SHA-1.
 */
#ifndef WARC_RECORD_H
#define WARC_RECORD_H

#include "common/fa_dechunk.h"
#include "common/fa_digest.h"

#include <stddef.h>
#include <stdint.h>

#define WARC__VERSION "WARC/1.1"
#define WARC__TRAILER "\r\n\r\n" /* after every record's block */
#define WARC__TRAILER_LEN 4

/* Length of the HTTP head of msg (through its empty line), or 0 when msg
 * holds no empty line.  Looks at no more than len bytes. */
size_t warc__http_head_len(const void *msg, size_t len);

/* 1 when the HTTP head (head_len bytes) carries Transfer-Encoding: chunked. */
int warc__http_is_chunked(const void *head, size_t head_len);

/* 1 when s may go into a WARC header value: no CR, LF or other control
 * character, and not longer than max_len bytes. */
int warc__value_ok(const char *s, size_t max_len);

/* Incremental payload digest over a body fed in pieces.  sha is borrowed
 * (reset and reused by the caller).  When chunked and the framing turns out
 * malformed, `bad` is set and further input is ignored: the caller then
 * digests the raw body instead (see the top of this file). */
typedef struct warc__payload {
    fa_sha1 *sha;
    fa_dechunk dc;
    int chunked;
    int bad;
} warc__payload;

void warc__payload_begin(warc__payload *p, fa_sha1 *sha, int chunked);
/* Feeds body bytes.  Never fails (the signature fits fa_spool_foreach). */
int warc__payload_feed(void *p, const void *data, size_t len);
/* Payload digest of an in-memory body in one call (the reader's case). */
void warc__payload_digest_mem(fa_sha1 *sha, const void *body, size_t len, int chunked,
                              uint8_t out[20]);

/* Compares a stored digest value ("sha1:BASE32" or "sha1:hex") against
 * digest.  Returns 1 on a match, 0 on a mismatch, -1 when the algorithm is
 * not SHA-1 (cannot be checked here). */
int warc__digest_matches(const char *stored, const uint8_t digest[20]);

#endif
