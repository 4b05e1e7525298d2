/*
 * fuzz_util.h - helpers shared by the harnesses of tools/fuzz/ (header-only,
 * static functions): reading selector bytes off the front of an input,
 * NUL-terminated copies, and pushing a body in pieces so that chunk
 * boundaries are fuzzed along with the content.
 *
 * Convention: a harness that needs choices (a format, a codec, a split)
 * takes them from the first bytes of its input, then treats the rest as the
 * document.  Seeds in tools/fuzz/corpus/ carry those bytes in front of the
 * fixture they were made from (tools/fuzz/seed_corpus.sh).
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fuzz_input {
    const uint8_t *p;
    size_t n;
} fuzz_input;

/* The next byte (0 once the input is used up). */
static inline unsigned fuzz_byte(fuzz_input *in)
{
    if (in->n == 0) return 0;
    in->n--;
    return *in->p++;
}

/* A malloc'd NUL-terminated copy of len bytes (NULL on allocation failure). */
static inline char *fuzz_strndup(const void *p, size_t len)
{
    char *s = malloc(len + 1);
    if (s == NULL) return NULL;
    if (len) memcpy(s, p, len);
    s[len] = '\0';
    return s;
}

/* Takes the bytes up to the next sep (or the end) as a malloc'd string and
 * steps past the separator. */
static inline char *fuzz_take_until(fuzz_input *in, uint8_t sep)
{
    const uint8_t *end = in->n ? memchr(in->p, sep, in->n) : NULL;
    size_t len = end ? (size_t)(end - in->p) : in->n;
    char *s = fuzz_strndup(in->p, len);
    in->p += len;
    in->n -= len;
    if (end) {
        in->p++;
        in->n--;
    }
    return s;
}

/* Calls push(ud, piece, n) over data in pieces chosen by mode: below 128,
 * two pieces split at mode/128 of the length; from 128, pieces of
 * mode - 127 bytes (1..128), whatever the length (issue 12 #9, feed
 * sniffing rescanning the held prefix on every push, is fixed: a document
 * pushed a byte at a time costs what it costs in one piece, give or take
 * the calls).  Stops at the first negative return and returns it; else 0. */
static inline int fuzz_push_pieces(const uint8_t *data, size_t len, unsigned mode,
                                   int (*push)(void *ud, const uint8_t *p, size_t n), void *ud)
{
    mode &= 0xff;
    if (mode >= 128) {
        size_t step = mode - 127;
        for (size_t off = 0; off < len; off += step) {
            size_t n = len - off < step ? len - off : step;
            int rc = push(ud, data + off, n);
            if (rc < 0) return rc;
        }
        return 0;
    }
    size_t split = len * mode / 128;
    int rc = push(ud, data, split);
    if (rc < 0) return rc;
    return push(ud, data + split, len - split);
}

#endif
