/*
 * fuzz_warc_reader.c - libFuzzer target for storage/warc_reader.c: a
 * warc.zst segment (zstd frames, skippable frames, the dictionary frame of
 * the warc.zst convention with a raw or compressed dictionary) or a plain
 * WARC file, read record by record; each record's fields looked up, its
 * digests verified and its CDXJ line built (storage/cdxj.c), and records
 * read again by offset.  segment_dict_id is tried on the input too.
 *
 * Input: byte 0 options (bit 0: read every record again with
 * warc_reader_read_at; bit 1: a 64 KiB record ceiling instead of 2 MiB;
 * bit 2: a 1 MiB block limit, as ls, verify, index and recovery set),
 * then the file's bytes, written to a memfd that the reader opens by its
 * /proc/self/fd path.  Built by tools/fuzz/CMakeLists.txt; see tools/fuzz/README.md.
 *
 * Issue 12 #6 (the reader trusted a frame's declared content size) is
 * fixed in warc_reader.c: frames are streamed, memory follows the bytes
 * that come out; regression/warc_reader/ keeps the lying frame.  The
 * ceiling is 2 MiB rather than the readers' 1 GiB default: the code path
 * is the same, and a 33 KB frame of RLE blocks that really holds 1 GiB
 * takes 3 s to decompress (15 s under ASan), past the fuzzer's timeout -
 * work linear in the output, capped by the ceiling (tools/fuzz/README.md).
 */
#include "common/fa_buf.h"
#include "tools/fuzz/fuzz_util.h"
#include "storage/cdxj.h"
#include "storage/segment_dict.h"
#include "storage/warc_reader.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_RECORDS 64

static void touch(const warc_record *rec, fa_buf *line, size_t *sum)
{
    char err[256];
    *sum += strlen(rec->version) + rec->block_len + (size_t)rec->offset;
    for (size_t i = 0; i < rec->n_fields; i++)
        *sum += strlen(rec->fields[i].name) + strlen(rec->fields[i].value);
    if (rec->block_len) *sum += rec->block[0] + rec->block[rec->block_len - 1];
    const char *type = warc_record_field(rec, "WARC-Type");
    if (type != NULL) *sum += strlen(type);
    (void)warc_record_verify_digests(rec, err, sizeof err);
    fa_buf_reset(line);
    (void)cdxj__record_line(line, rec, "fuzz-20261123153700-00000.warc.zst");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    unsigned opt = fuzz_byte(&in);
    size_t sum = (size_t)segment_dict_id(in.p, in.n);
    int fd = memfd_create("fuzz-warc", MFD_CLOEXEC);
    if (fd < 0) return 0;
    if (in.n > 0 && write(fd, in.p, in.n) != (ssize_t)in.n) {
        close(fd);
        return 0;
    }
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    warc_reader *r = NULL;
    uint64_t ceiling = opt & 2 ? 64u << 10 : 2u << 20;
    if (warc_reader_open(path, ceiling, &r, err, sizeof err) < 0) {
        close(fd);
        return 0;
    }
    if (opt & 4) warc_reader_set_block_limit(r, 1u << 20);
    sum += warc_reader_dict_id(r);
    fa_buf line;
    fa_buf_init(&line, 1 << 20);
    uint64_t offsets[MAX_RECORDS];
    size_t n = 0;
    warc_record rec;
    while (n < MAX_RECORDS && warc_reader_next(r, &rec) == 1) {
        offsets[n++] = rec.offset;
        touch(&rec, &line, &sum);
    }
    sum += strlen(warc_reader_error(r));
    if (opt & 1) {
        for (size_t i = 0; i < n; i++)
            if (warc_reader_read_at(r, offsets[i], &rec) == 1) touch(&rec, &line, &sum);
        if (warc_reader_read_at(r, in.n / 2, &rec) == 1) touch(&rec, &line, &sum);
    }
    fa_buf_free(&line);
    warc_reader_close(r);
    close(fd);
    return 0;
}
