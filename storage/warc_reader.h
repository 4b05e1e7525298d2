/*
 * warc_reader.h - reads WARC records back from a warc.zst segment (or a
 * .warc.gz or plain .warc file), frame by frame (gzip member by member),
 * verifying what can be verified.
 *
 * Used by the tests and by `feedarc ls|get|verify`.  A segment that starts
 * with a dictionary frame (warc.zst convention) is read transparently.  Each record is
 * decompressed whole into memory; a ceiling on the decompressed size guards
 * against hostile or corrupt frames.
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
    const uint8_t *block; /* Content-Length bytes */
    size_t block_len;
    uint64_t offset; /* of the record's frame (gzip member) in the file */
    uint64_t length; /* compressed length of the frame (member) */
    const uint8_t *raw; /* the whole record as stored: header, block, CRLF CRLF */
    size_t raw_len;
} warc_record;

/* Opens path for reading.  max_record bounds the decompressed size of one
 * record (0 = 1 GiB).  Returns 0 or a negative code with a message in err. */
int warc_reader_open(const char *path, uint64_t max_record, warc_reader **out, char *err,
                     size_t errlen);

/* Reads the next record into *rec (valid until the next call or close).
 * Returns 1 when a record was read, 0 at a clean end of file, or a negative
 * code (FA_ECORRUPT, FA_EPARSE, FA_ETOOBIG, FA_EIO) with a message
 * available from warc_reader_error. */
int warc_reader_next(warc_reader *r, warc_record *rec);

/* After an error the position is unspecified: stop, or resume with
 * warc_reader_read_at.  A frame holding several records (a whole .warc
 * compressed as one frame) yields them in turn, all with the frame's offset
 * and length.  (Added:) the record pointers stay valid until the next call
 * on the reader; warc_reader_next on an `.open` segment that is still
 * growing sees records appended since the last end of file. */

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
