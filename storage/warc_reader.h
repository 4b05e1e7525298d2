/*
 * warc_reader.h - reads WARC records back from a warc.zst segment (or a
 * .warc.gz or plain .warc file), frame by frame (gzip member by member),
 * verifying what can be verified.
 *
 * Used by the tests and by `feedarc ls|get|verify`.  A segment that starts
 * with a dictionary frame (warc.zst convention) is read transparently.  Each record is
 * decompressed whole into memory (or only its head, with a block limit); a
 * ceiling on the decompressed size guards against hostile or corrupt
 * frames.
 */
#ifndef WARC_READER_H
#define WARC_READER_H

#include <stddef.h>
#include <stdint.h>

typedef struct warc_reader warc_reader;

typedef struct warc_header_field {
    char *name;
    char *value;
} warc_header_field;

typedef struct warc_record {
    char *version; /* "WARC/1.1" */
    warc_header_field *fields;
    size_t n_fields;
    const uint8_t *block; /* Content-Length bytes (or only its first ones, below) */
    size_t block_len;
    uint64_t offset; /* of the record's frame (gzip member) in the file */
    uint64_t length; /* compressed length of the frame (member) */
    const uint8_t *raw; /* the whole record as stored: header, block, CRLF CRLF;
                           NULL when streamed past a block limit */
    size_t raw_len;
    /* The record's Content-Length.  It equals block_len unless the
     * reader has a block limit (warc_reader_set_block_limit) and the block
     * is longer: then block holds its first block_len bytes only, and the
     * digests of the whole block were computed as it streamed by: */
    uint64_t content_length;
    const uint8_t *block_sha1;   /* SHA-1 of the whole block, or NULL (block is whole) */
    const uint8_t *payload_sha1; /* SHA-1 of the HTTP payload (de-chunked), or NULL when
                                    the block is whole or its HTTP head is not in block */
} warc_record;

/* Opens path for reading.  max_record bounds the Content-Length of one
 * record and the bytes one frame may decompress to (0 = 1 GiB).  Frames are
 * always decompressed as a stream: memory grows with the bytes that come
 * out, never with a size a frame header declares, and a frame whose window
 * is larger than 128 MiB (zstd's default limit) is refused.  Returns 0 or a
 * negative code with a message in err. */
int warc_reader_open(const char *path, uint64_t max_record, warc_reader **out, char *err,
                     size_t errlen);

/* Reads the next record into *rec (valid until the next call or close).
 * Returns 1 when a record was read, 0 at a clean end of file, or a negative
 * code (FA_ECORRUPT, FA_EPARSE, FA_ETOOBIG, FA_EIO) with a message
 * available from warc_reader_error. */
int warc_reader_next(warc_reader *r, warc_record *rec);

/* After an error in a warc.zst file the next call goes on at the next
 * frame (nothing of the bad one is returned); in a plain .warc the position
 * does not move (warc_reader_tell): stop, or resume with
 * warc_reader_read_at.  A frame holding several records (a whole .warc
 * compressed as one frame) yields them in turn, all with the frame's offset
 * and length.  The record pointers stay valid until the next call
 * on the reader; warc_reader_next on an `.open` segment that is still
 * growing sees records appended since the last end of file. */

/* Bounds the memory a reader holds, for readers that need the headers
 * (ls, verify) and not whole blocks: a record whose block is longer than
 * keep bytes (and than the first 128 KiB piece out of the decompressor)
 * keeps only its first keep bytes in rec->block (keep the HTTP head in
 * them); the rest is decompressed in small pieces and only digested
 * (rec->block_sha1, rec->payload_sha1, which warc_record_verify_digests
 * uses); such a record must be the only one of its frame.  A frame of
 * several records may then hold at most 64 MiB.  keep 0 restores the
 * default (whole blocks). */
void warc_reader_set_block_limit(warc_reader *r, size_t keep);

/* The file offset the next warc_reader_next starts from.  After an error
 * inside a frame it is the next frame's: a caller may go on from there
 * (stop when it did not move). */
uint64_t warc_reader_tell(const warc_reader *r);

/* Reads the one record whose frame starts at offset. Same returns, plus
 * FA_ENOENT when offset is at or past the end of the file. */
int warc_reader_read_at(warc_reader *r, uint64_t offset, warc_record *rec);

const char *warc_reader_error(const warc_reader *r);

/* The bytes every frame (zstd magic), gzip member (1F 8B 08) or plain
 * record ("WARC/") of this file starts with, for resuming a scan after a
 * fault: copied into out, their count returned. */
size_t warc_reader_sync_marker(const warc_reader *r, uint8_t out[5]);

/* The Dictionary_ID of the dictionary frame the file starts with (read at
 * open; every frame is decompressed with it), or 0 when there is none. */
uint32_t warc_reader_dict_id(const warc_reader *r);

/* Case-insensitive field lookup; NULL when absent. */
const char *warc_record_field(const warc_record *rec, const char *name);

/* Checks WARC-Block-Digest and, for HTTP response/request records that
 * carry one, WARC-Payload-Digest (de-chunking the payload when the HTTP
 * headers say chunked); a revisit's WARC-Payload-Digest names the
 * original's payload and is not checked.  Returns 0 when every present
 * digest matches,
 * FA_ECORRUPT with a message in err otherwise. */
int warc_record_verify_digests(const warc_record *rec, char *err, size_t errlen);

void warc_reader_close(warc_reader *r);

#endif
