/*
 * text_store.h - the normalised main text of every analysed document, kept
 * so that candidates can be confirmed on their whole text (align.h).
 *
 * One append-only file beside the index, DIR/dedup.txt:
 *   a 16-byte header {magic "FATXT001", 8 reserved bytes};
 *   one frame per document: {u32 magic, u32 doc id, u32 text bytes,
 *   u32 compressed bytes, u64 XXH3 of the compressed bytes} and the text
 *   compressed with zstd (level 1): the normalised content blocks of the
 *   document (learned template left out), one per line, at most
 *   TEXT_STORE_MAX_TEXT bytes (a longer text keeps its beginning).
 * RAM: 8 bytes per document (doc id -> frame offset), rebuilt at open by
 * walking the frame headers; a torn last frame (kill -9) is cut off, as
 * the index cuts its own tail.  A document the store does not have (an
 * index older than the store, a crash between the two appends) is simply
 * judged on its sketch.  Not thread-safe: the engine calls it under its
 * lock (one compression and one decompression context, reused) - except
 * text_store_frame_make, which compresses a frame on the calling thread
 * (a context kept per thread) so that the engine's lock is held only for
 * text_store_put_frame's write.
 */
#ifndef DEDUP_TEXT_STORE_H
#define DEDUP_TEXT_STORE_H

#include "common/fa_buf.h"

#include <stddef.h>
#include <stdint.h>

#define TEXT_STORE_MAX_TEXT (256u << 10)

typedef struct text_store text_store;

/* Opens (creating) DIR/dedup.txt.  Returns 0 and *out, FA_EIO, FA_ECORRUPT
 * (not a text store), FA_ENOMEM. */
int text_store_open(const char *dir, text_store **out);

/* Compresses text[0..len) (cut at TEXT_STORE_MAX_TEXT; zstd level 1, ~10
 * us for a 3 KB article) and appends it as doc's frame (one pwrite).  0,
 * FA_EIO, FA_ENOSPC, FA_ENOMEM. */
int text_store_put(text_store *st, uint32_t doc, const char *text, size_t len);

/* Compresses text[0..len) into a frame (as text_store_put does) in
 * *frame, for text_store_put_frame: thread-safe (the zstd context is the
 * calling thread's own, freed when the thread ends).  0 or FA_ENOMEM. */
int text_store_frame_make(const char *text, size_t len, fa_buf *frame);

/* Appends a frame made by text_store_frame_make as doc's (one pwrite).
 * 0, FA_EIO, FA_ENOSPC, FA_ENOMEM, FA_EINVAL (not such a frame). */
int text_store_put_frame(text_store *st, uint32_t doc, fa_buf *frame);

/* The text of doc appended to out (out is reset first).  0, FA_ENOENT,
 * FA_EIO, FA_ECORRUPT (the frame fails its check), FA_ETOOBIG. */
int text_store_get(text_store *st, uint32_t doc, fa_buf *out);

/* Bytes of RAM held; bytes of the file. */
size_t text_store_memory(const text_store *st);
uint64_t text_store_file_bytes(const text_store *st);

int text_store_sync(text_store *st);

/* Syncs and closes.  NULL is accepted. */
void text_store_close(text_store *st);

#endif
