/*
 * prom_check.h - a strict checker of the Prometheus text exposition format
 * 0.0.4, as feedarc writes it, for the tests.
 *
 * Stricter than Prometheus itself where feedarc promises more: every family
 * has exactly one HELP and one TYPE line before its samples, families are
 * contiguous and unique, every series is unique, every name starts with
 * "feedarc_", counters end in _total and are >= 0, histogram buckets have
 * ascending le ending at +Inf with non-decreasing counts, and _count equals
 * the +Inf bucket.
 */
#ifndef PROM_CHECK_H
#define PROM_CHECK_H

#include <stddef.h>

/* Checks text (NUL-terminated).  Returns 0, or -1 with the first problem
 * ("line N: ...") in why.  *n_families / *n_samples (may be NULL) count
 * what was seen. */
int prom_check(const char *text, char *why, size_t whylen, size_t *n_families, size_t *n_samples);

/* The value of the sample whose line starts with series followed by a space
 * (e.g. "feedarc_fetches_total{class=\"2xx\"}"); -1 when absent. */
double prom_value(const char *text, const char *series);

#endif
