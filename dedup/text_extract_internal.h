/*
 * text_extract_internal.h - text_extract.c's own checks, exposed for its
 * tests only.  Not part of the module's interface.
 */
#ifndef TEXT_EXTRACT_INTERNAL_H
#define TEXT_EXTRACT_INTERNAL_H

#include <stddef.h>

/* 1 when the tag table and the class/id word table are sorted as their
 * binary searches need; else 0, with the first pair out of order written
 * into why. */
int text__tables_sorted(char *why, size_t why_len);

#endif
