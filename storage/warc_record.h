/*
 * warc_record.h - internal to storage/: the small pieces of WARC and HTTP
 * syntax that the writer and the reader must agree on byte for byte.
 *
 * The writer computes WARC-Payload-Digest while it streams a body; the
 * reader recomputes it from a record.  Both find the payload through the
 * functions here, so "where does the HTTP head end" and "is this body
 * chunked" have one answer:
 *
 *   - the HTTP head ends after the first empty line ("\r\n\r\n", or a bare
 *     "\n\n" from a sloppy server);
 *   - a message is chunked when its head has a Transfer-Encoding field whose
 *     value names `chunked`.
 *
 * The digest itself, and what a broken chunk framing gives, is
 * warc_payload in warc_format.h (the crawler computes it too).  Nothing
 * here allocates.
 */
#ifndef WARC_RECORD_H
#define WARC_RECORD_H

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

/* Compares a stored digest value ("sha1:BASE32" or "sha1:hex") against
 * digest.  Returns 1 on a match, 0 on a mismatch, -1 when the algorithm is
 * not SHA-1 (cannot be checked here). */
int warc__digest_matches(const char *stored, const uint8_t digest[20]);

#endif
