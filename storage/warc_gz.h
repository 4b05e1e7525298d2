/*
 * warc_gz.h - internal to storage/: .warc.gz files, one gzip member per
 * record, the way wget, Heritrix, warcio and pywb write and read them.
 *
 * Reading (warc_reader.c): a member at a file offset is inflated whole into
 * a caller-owned buffer, under a ceiling, and its compressed length found
 * (zlib finds where the deflate stream and the 8-byte trailer end; the
 * trailer's CRC-32 and size are checked by zlib).  A member that holds
 * several records (a whole .warc gzipped as one member) is fine: the
 * caller parses what comes out.
 *
 * Writing (warc_export.c): one record, a whole buffer, becomes one member
 * with ISA-L's igzip in one call (isal_deflate_stateless): a standard RFC
 * 1952 member (magic 1F 8B, method 8).  Measured on the crawler's records
 * (docs/BENCHMARKS.md): igzip level 1 compresses as well as libdeflate
 * level 1 and zlib -1 (a record is too small for the higher levels to find
 * much more) and is 1.6x faster than libdeflate; level 0, which builds no
 * Huffman tables per member, is 2x faster again, and with tables learnt
 * from the first records (below) writes only 10% more than level 1.
 */
#ifndef WARC_GZ_H
#define WARC_GZ_H

#include <stddef.h>
#include <stdint.h>

#define WARC__GZ_MAGIC0 0x1f
#define WARC__GZ_MAGIC1 0x8b

/* ---- reading ----------------------------------------------------------- */

typedef struct warc__gz_in warc__gz_in;

/* A reader's inflate state and read buffer.  NULL on allocation failure. */
warc__gz_in *warc__gz_in_new(void);
void warc__gz_in_free(warc__gz_in *g); /* NULL ok */

/* Inflates the member at off of fd (file_size bytes) into *out (grown with
 * realloc as needed; *cap its size; the caller owns and frees it), at most
 * max_out bytes.  Sets *out_len and *member_len (compressed bytes, trailer
 * included).  Returns 0, or FA_ECORRUPT (not a gzip member, bad data, CRC,
 * truncated), FA_ETOOBIG (past max_out), FA_ENOMEM or FA_EIO, with a
 * message (starting "offset N: ") in err. */
int warc__gz_member(warc__gz_in *g, int fd, uint64_t off, uint64_t file_size, uint64_t max_out,
                    uint8_t **out, size_t *cap, size_t *out_len, uint64_t *member_len, char *err,
                    size_t errlen);

/* ---- writing ----------------------------------------------------------- */

typedef struct warc__gz_out warc__gz_out;

/* A compressor at level 0..3 (ISA-L's scale: 0 fastest, 1 about gzip -1,
 * 3 about gzip -4 on records).  NULL on allocation failure. */
warc__gz_out *warc__gz_out_new(int level);
void warc__gz_out_free(warc__gz_out *g); /* NULL ok */

/* Compresses len bytes into one gzip member.  *member points into g
 * (valid until the next call); returns its length, or 0 when out of
 * memory. */
size_t warc__gz_compress(warc__gz_out *g, const void *data, size_t len, const uint8_t **member);

#endif
