/*
 * feed_date.h - the dates feeds really carry, turned into one form.
 *
 * Feeds promise RFC 822 (RSS pubDate) or RFC 3339 (Atom, dc:date as W3C-DTF)
 * and deliver every variation a hand-written template can produce: missing
 * weekdays, full month names, two-digit years, missing seconds, named US
 * zones, military letters, "+05:30" where "+0530" belongs, trailing
 * "(PST)".  feed_date_parse accepts all of those; anything it cannot place
 * on the calendar is refused rather than guessed at.
 *
 * Pure functions: no allocation, no locale, no global state, safe from any
 * thread.
 */
#ifndef FEED_DATE_H
#define FEED_DATE_H

#include <stddef.h>
#include <stdint.h>

/* Length of "YYYY-MM-DDThh:mm:ssZ" plus its NUL. */
#define FEED_DATE_LEN 21

/* Parses s (RFC 822/1123/2822 with the common broken variants, or RFC 3339 /
 * ISO 8601 / W3C-DTF, date-only allowed) into seconds since the epoch, UTC.
 * A date without a zone is taken as UTC; a date without a time as midnight.
 * s may be NULL.  Returns 0, or FA_EPARSE (t_seconds untouched). */
int feed_date_parse(const char *s, int64_t *t_seconds);

/* Parses s as feed_date_parse does and writes the RFC 3339 UTC form
 * "2026-11-23T15:37:00Z" into out (at least FEED_DATE_LEN bytes).  Returns
 * the length (20), or FA_EPARSE with out set to "" when s is no date, or
 * FA_EINVAL when out is too small. */
int feed_date_normalize(const char *s, char *out, size_t outlen);

#endif
