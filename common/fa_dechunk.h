/*
 * fa_dechunk.h - streaming decoder for HTTP/1.1 chunked transfer coding.
 *
 * feedarc asks libcurl for the body exactly as transferred (transfer
 * decoding off), because a WARC response record must hold the bytes the
 * server sent.  The payload - what WARC-Payload-Digest covers and what the
 * parsers read - is that body with the chunk framing removed.  This decoder
 * turns framed bytes into payload bytes incrementally, in any chunking of
 * the input.  Chunk extensions and trailers are skipped.
 */
#ifndef FA_DECHUNK_H
#define FA_DECHUNK_H

#include <stddef.h>
#include <stdint.h>

typedef struct fa_dechunk {
    int state;
    uint64_t remaining; /* bytes left in the current chunk */
    unsigned digits;    /* hex digits seen in the size line */
    unsigned line_len;  /* bytes in the current extension/trailer line */
} fa_dechunk;

void fa_dechunk_init(fa_dechunk *d);

/* Decodes len bytes of framed input, calling out(ud, data, n) for each run
 * of payload bytes.  Returns 0 while more input is expected, 1 once the
 * terminating zero-size chunk and trailers are consumed (later input is
 * ignored), FA_EPARSE on malformed framing, or the first negative value
 * out returned. */
int fa_dechunk_feed(fa_dechunk *d, const void *in, size_t len,
                    int (*out)(void *ud, const void *data, size_t n), void *ud);

#endif
