/*
 * zip_writer.h - a minimal ZIP writer for WACZ packages: stored (not
 * deflated) entries, written in one pass, in constant memory, ZIP64 when an
 * entry or the file passes 4 GiB.
 *
 * WACZ (https://specs.webrecorder.net/wacz/1.1.1/) wants its WARC files
 * stored, so that a replay tool can read one record by HTTP range request:
 * the offset of a record inside the WARC plus the offset of the entry's
 * data inside the ZIP.  Nothing here compresses.
 *
 * Each entry is streamed: zip_writer_begin writes a local header with
 * placeholders, zip_writer_write appends data (computing CRC-32, size and
 * SHA-256 as it goes), zip_writer_end seeks back and patches the header -
 * so the output must be a regular file, and no data descriptors are needed
 * (every reader, streaming or not, finds the sizes in the local header).
 * Local headers and central directory entries always carry a ZIP64 extra
 * field with the real sizes (the 32-bit fields say 0xFFFFFFFF), as
 * Python's zipfile does with force_zip64 - both, because ReplayWeb.page
 * finds an entry's data with the central entry's extra field length when
 * it is 0 (it assumes the local one is 0 too).  The central entry adds the
 * header offset to its extra field, and the ZIP64 end records are
 * written, only when an offset needs 64 bits.  Names are UTF-8 (flag bit
 * 11).
 *
 * The file is written as PATH.tmp and renamed to PATH by zip_writer_close
 * after an fsync; zip_writer_abort (or a failed close) removes it.
 */
#ifndef ZIP_WRITER_H
#define ZIP_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct zip_writer zip_writer;

/* Creates path.tmp.  Returns 0 or a negative code with a message in err. */
int zip_writer_open(const char *path, zip_writer **out, char *err, size_t errlen);

/* Starts a stored entry named name (UTF-8, no leading '/', at most 1024
 * bytes).  One entry at a time.  Returns 0 or a negative code. */
int zip_writer_begin(zip_writer *z, const char *name);

/* Appends len bytes to the current entry.  Returns 0 or a negative code. */
int zip_writer_write(zip_writer *z, const void *data, size_t len);

/* Ends the current entry (patches its local header).  bytes and sha256
 * (may be NULL) get its size and SHA-256.  Returns 0 or a negative code. */
int zip_writer_end(zip_writer *z, uint64_t *bytes, uint8_t sha256[32]);

/* The offset in the file where the current entry's data starts (valid
 * after zip_writer_begin), and the bytes written to it so far. */
uint64_t zip_writer_entry_data_offset(const zip_writer *z);
uint64_t zip_writer_entry_size(const zip_writer *z);

/* Writes the central directory, fsyncs, renames path.tmp to path and frees
 * z (whatever the result).  Returns 0 or a negative code with a message in
 * err. */
int zip_writer_close(zip_writer *z, char *err, size_t errlen);

/* Removes path.tmp and frees z.  NULL is accepted. */
void zip_writer_abort(zip_writer *z);

/* The last error, for the functions without err (never NULL). */
const char *zip_writer_error(const zip_writer *z);

#endif
