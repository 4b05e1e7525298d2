/*
 * segment_dict.h - zstd dictionaries for warc.zst segments: training,
 * keeping them in the state folder, and the dictionary frame of the IIPC
 * warc.zst convention.
 *
 * The convention (https://iipc.github.io/warc-specifications/specifications/
 * warc-zstd/): a segment may start with a skippable frame of magic
 * 0x184D2A5D whose User_Data is one zstd dictionary, either raw (starting
 * with the dictionary magic 0x37 0xA4 0x30 0xEC) or itself compressed as one
 * zstd frame (without dictionary, with content size and checksum).  Every
 * zstd frame of that file is then compressed with that dictionary and names
 * its Dictionary_ID in its header.  feedarc writes the compressed form; its
 * reader accepts both.
 *
 * The crawler's flow (see docs/STORAGE.md):
 *   1. collect the first N records of a crawl (uncompressed WARC records),
 *   2. segment_dict_train() them into a dictionary (e.g. 112 KiB),
 *   3. segment_dict_save() it as <state>/dictionaries/<dictid>.zdict,
 *   4. pass it as segment_writer_options.dict/dict_len for new writers (the
 *      next segment of a running writer cannot change dictionary: reopen);
 *      on later runs segment_dict_load() the saved file.
 */
#ifndef SEGMENT_DICT_H
#define SEGMENT_DICT_H

#include "common/fa_observer.h"

#include <stddef.h>
#include <stdint.h>

#define SEGMENT_DICT_MAGIC 0x184D2A5Du /* the dictionary skippable frame */
#define SEGMENT_DICT_MAX (8u << 20)    /* the convention's decoder limit */

/* Trains a dictionary of at most dict_size bytes over n samples stored back
 * to back in samples (sizes[i] bytes each), with zstd's fastCover trainer.
 * On success *dict (malloc'ed, the caller frees it) and *len are set; the
 * dictionary carries a Dictionary_ID derived from its content.  Returns 0,
 * FA_EINVAL (no samples, dict_size outside 256 B..8 MiB), FA_ENOMEM, or
 * FA_EPARSE when zstd cannot train on these samples (too few or too small:
 * zstd wants roughly 100x dict_size bytes of samples, and at least ~10).
 * obs (may be NULL) hears dictionary_trained on success. */
int segment_dict_train(const void *samples, const size_t *sizes, unsigned n, size_t dict_size,
                       void **dict, size_t *len, const fa_observer *obs);

/* The Dictionary_ID of a zstd dictionary; 0 when dict is not one. */
uint32_t segment_dict_id(const void *dict, size_t len);

/* Writes dict into folder dir (created if missing) as <dictid>.zdict,
 * atomically (temporary file, fsync, rename, fsync of the folder).  An
 * existing file of that name is left alone when it holds the same bytes.
 * path_out (may be NULL) receives the path; it must hold PATH_MAX bytes.
 * The file gets the permission bits mode exactly (0 = 0640).
 * Returns 0, FA_EINVAL (not a dictionary), or an I/O code (FA_ENOSPC,
 * FA_EACCES, FA_EIO) with errno describing it. */
int segment_dict_save(const char *dir, const void *dict, size_t len, unsigned mode, char *path_out);

/* Reads a dictionary file (raw zstd dictionary, at most SEGMENT_DICT_MAX
 * bytes).  *dict is malloc'ed (the caller frees it).  Returns 0, FA_ENOENT,
 * FA_EINVAL (not a zstd dictionary), FA_ETOOBIG, or an I/O code; a message
 * goes to err (may be NULL). */
int segment_dict_load(const char *path, void **dict, size_t *len, char *err, size_t errlen);

/* Reads the dictionary from the dictionary frame at the start of segment
 * path (decompressing it when stored compressed).  *dict is malloc'ed.
 * Returns 0, FA_ENOENT when the segment has no dictionary frame, or a
 * negative code (FA_ECORRUPT, FA_EIO ...) with a message in err. */
int segment_dict_from_segment(const char *path, void **dict, size_t *len, char *err, size_t errlen);

/* ---- internal to storage/ -------------------------------------------- */

/* (issue 14) A reservoir of records to train a dictionary on, filled by the
 * segment writer from every record it writes: the first SEGMENT__SAMPLE_MAX
 * bytes of each (WARC header and the start of the block), up to
 * SEGMENT__SAMPLES records picked uniformly at random over the whole run
 * (reservoir sampling) and SEGMENT__SAMPLES_BYTES in all.  Thread-safe. */
#define SEGMENT__SAMPLES 2000u
#define SEGMENT__SAMPLE_MAX (32u << 10)
#define SEGMENT__SAMPLES_BYTES (12u << 20)

typedef struct segment__sampler segment__sampler;

/* The f of segment_dict_train's fastCover (log2 of its d-mer frequency
 * table) for samples of this many bytes in all: log2 of them less 3,
 * 16-20 (the reason is at segment_dict_train). */
unsigned segment__fastcover_f(size_t samples_bytes);

/* NULL when out of memory. */
segment__sampler *segment__sampler_new(void);
/* NULL is accepted. */
void segment__sampler_free(segment__sampler *s);

/* Offers one record made of up to three parts, in order (a WARC header,
 * an HTTP head, a body; NULL/0 for a part that is not there); the copy is
 * cut at SEGMENT__SAMPLE_MAX.  Returns the number of records offered. */
uint64_t segment__sampler_add(segment__sampler *s, const void *a, size_t a_len, const void *b,
                              size_t b_len, const void *c, size_t c_len);

/* Trains a dictionary of dict_size bytes on the samples kept (see
 * segment_dict_train).  FA_EINVAL when fewer than min_samples are kept.
 * consume: the training takes the samples where they lie and frees them
 * after (the last training of a run); the sampler starts empty after it.
 * Otherwise they are copied first and the sampler goes on. */
int segment__sampler_train(segment__sampler *s, unsigned min_samples, int consume, size_t dict_size,
                           void **dict, size_t *len, const fa_observer *obs);

/* Takes the samples kept off the sampler: *samples (one malloc'ed buffer,
 * the samples side by side - the sampler's own, handed over, not a copy)
 * and *sizes (malloc'ed, *n of them), as segment_dict_train wants them; the
 * sampler starts empty.  FA_EINVAL (nothing taken) when fewer than
 * min_samples are kept, FA_ENOMEM. */
int segment__sampler_take(segment__sampler *s, unsigned min_samples, void **samples,
                          size_t **sizes, unsigned *n);

/* Builds the dictionary frame (skippable frame, compressed dictionary) for
 * dict into *frame (malloc'ed) and *frame_len. */
int segment__dict_frame(const void *dict, size_t len, void **frame, size_t *frame_len);

/* Decodes the User_Data of a dictionary frame (raw or compressed
 * dictionary) into a malloc'ed dictionary.  Returns 0 or FA_ECORRUPT with a
 * reason in why (a static string). */
int segment__dict_decode(const void *user_data, size_t len, void **dict, size_t *dict_len,
                         const char **why);

#endif
