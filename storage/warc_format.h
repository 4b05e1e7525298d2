/*
 * warc_format.h - the pieces of the WARC format that modules outside
 * storage/ must agree on with it: the record types and the payload digest.
 *
 * Record types.  WARC 1.1 (ISO 28500:2017, section 6) names eight record
 * types.  Everywhere feedarc decides by a record's type - the writer
 * validating a spec, the index choosing what to list, recovery pairing a
 * request with its response, verify checking digests, the crawler picking
 * a revisit - it holds a warc_type, and the names live only in the table
 * behind warc_type_name / warc_type_of.  A name is matched exactly, as the
 * standard spells it (lower case).
 *
 * Payload digest.  WARC-Payload-Digest covers a response's payload: its
 * body with the chunked transfer framing removed (Content-Encoding kept).
 * The rule for a body whose chunk framing is broken is fixed here once:
 * the digest then covers the body as transferred (a digest that can be
 * recomputed beats none); a chunked body cut short before its last chunk
 * is digested over the bytes that were decoded.  The writer, the reader
 * (verify) and the crawler (its dedup index) all digest through
 * warc_payload, so the three always answer the same for the same bytes.
 */
#ifndef WARC_FORMAT_H
#define WARC_FORMAT_H

#include "common/fa_dechunk.h"
#include "common/fa_digest.h"
#include "common/fa_spool.h"

#include <stddef.h>
#include <stdint.h>

typedef enum warc_type {
    WARC_TYPE_UNKNOWN = 0, /* a missing or unknown WARC-Type */
    WARC_TYPE_WARCINFO,
    WARC_TYPE_RESPONSE,
    WARC_TYPE_RESOURCE,
    WARC_TYPE_REQUEST,
    WARC_TYPE_METADATA,
    WARC_TYPE_REVISIT,
    WARC_TYPE_CONVERSION,
    WARC_TYPE_CONTINUATION,
    WARC_TYPE_COUNT
} warc_type;

/* The WARC-Type value of t ("response"), or NULL for WARC_TYPE_UNKNOWN and
 * anything out of range. */
const char *warc_type_name(warc_type t);

/* The type a WARC-Type value names; WARC_TYPE_UNKNOWN for NULL or a name
 * the standard does not define. */
warc_type warc_type_of(const char *name);

/* Incremental payload digest over a body fed in pieces (any split).  Both
 * contexts are borrowed; raw is needed only when chunked (it digests the
 * body as transferred, in case the framing turns out broken) and may be
 * NULL otherwise.  Neither is reset by begin: pass fresh or finished ones. */
typedef struct warc_payload {
    fa_sha1 *sha;
    fa_sha1 *raw;
    fa_dechunk dc;
    int chunked;
    int bad; /* the chunk framing was malformed: the digest is the raw one */
} warc_payload;

void warc_payload_begin(warc_payload *p, fa_sha1 *sha, fa_sha1 *raw, int chunked);
/* Feeds body bytes.  Never fails (the signature fits fa_spool_foreach). */
int warc_payload_feed(void *p, const void *data, size_t len);
/* The digest of everything fed into out; both contexts are finished (and
 * so reusable). */
void warc_payload_end(warc_payload *p, uint8_t out[20]);

/* The payload digest of a body in memory, or in a spool (NULL: empty), in
 * one call.  Return 0, FA_ENOMEM, or the spool's read error. */
int warc_payload_digest_mem(const void *body, size_t len, int chunked, uint8_t out[20]);
int warc_payload_digest_spool(const fa_spool *body, int chunked, uint8_t out[20]);

#endif
