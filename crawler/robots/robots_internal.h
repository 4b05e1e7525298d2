/*
 * robots_internal.h - robots_rules.c's building blocks, exposed for its
 * tests only.  Not part of the module's interface.
 */
#ifndef ROBOTS_INTERNAL_H
#define ROBOTS_INTERNAL_H

#include "common/fa_buf.h"

#include <stddef.h>

/* Appends pattern (len bytes) to out in canonical form (Google's
 * MaybeEscapePattern): octets >= 0x80 become %XX, the hex digits of
 * existing %xx escapes are upper-cased, the rest is copied.  Returns 0,
 * FA_ETOOBIG past out's ceiling or FA_ENOMEM. */
int robots__escape_pattern(const char *pattern, size_t len, fa_buf *out);

/* Whether a canonical pattern (no trailing "$"; anchored says whether it
 * had one) matches path: 1 or 0.  Without anchor the pattern need only
 * match a prefix of the path.  Hex digits of %xx escapes in path compare
 * case-insensitively.  O(path_len + pattern_len) time (linear substring
 * searches, no backtracking); a copy of the path when it holds a '%'.
 * FA_ENOMEM when that copy cannot be made. */
int robots__pattern_matches(const char *pattern, size_t pattern_len, int anchored, const char *path,
                            size_t path_len);

#endif
