/*
 * fa_digest.h - SHA-1/SHA-256 digests (OpenSSL libcrypto) in the labelled
 * forms WARC uses ("sha1:" + RFC 4648 base32, as Heritrix and wget write),
 * and random urn:uuid identifiers.
 */
#ifndef FA_DIGEST_H
#define FA_DIGEST_H

#include <stddef.h>
#include <stdint.h>

typedef struct fa_sha1 fa_sha1;  /* opaque incremental SHA-1 */

/* Creates a SHA-1 context; NULL on allocation failure. */
fa_sha1 *fa_sha1_new(void);
void fa_sha1_update(fa_sha1 *s, const void *data, size_t len);
/* Finishes into out[20]; the context is reset and can be reused. */
void fa_sha1_final(fa_sha1 *s, uint8_t out[20]);
void fa_sha1_free(fa_sha1 *s);

/* One-shot SHA-1. */
void fa_sha1_oneshot(const void *data, size_t len, uint8_t out[20]);

/* RFC 4648 base32 (uppercase, no padding needed for 20 bytes).  out must
 * hold 8*ceil(len/5)+1 bytes.  Returns the string length. */
size_t fa_base32_encode(const uint8_t *data, size_t len, char *out);

/* Writes "sha1:<32 base32 chars>" into out (at least 38 bytes). */
void fa_sha1_label(const uint8_t digest[20], char out[38]);

/* Writes "<urn:uuid:xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx>" (a random version
 * 4 UUID, angle brackets included, as WARC-Record-ID wants) into out[48]. */
void fa_uuid_urn(char out[48]);

#endif
