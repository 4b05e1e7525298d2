/*
 * fa_err.h - feedarc's error codes.
 *
 * Every fallible function in feedarc returns 0 (or a non-negative count) on
 * success and one of these negative codes on failure, in the manner of libuv.
 * Where a human-readable explanation matters (config, parsers), modules keep
 * their own message buffer beside the code; the code alone says the class.
 */
#ifndef FA_ERR_H
#define FA_ERR_H

enum {
    FA_OK = 0,
    FA_ENOMEM = -1,   /* allocation failed */
    FA_EINVAL = -2,   /* bad argument or value */
    FA_EIO = -3,      /* read/write/fsync failed; errno has the detail */
    FA_ETOOBIG = -4,  /* a ceiling (body size, depth, ...) was exceeded */
    FA_EPARSE = -5,   /* malformed input */
    FA_ENOENT = -6,   /* not found */
    FA_ENOSPC = -7,   /* no space left on device */
    FA_EACCES = -8,   /* permission denied / read-only */
    FA_EFETCH = -9,   /* transfer failed (network, HTTP) */
    FA_ECANCELED = -10,
    FA_ECORRUPT = -11 /* stored data failed a check (digest, frame) */
};

/* Returns a static string describing code (never NULL). */
const char *fa_strerror(int code);

/* Maps an errno value to the closest FA_E* code. */
int fa_err_from_errno(int err);

#endif
