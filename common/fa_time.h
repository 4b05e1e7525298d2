/*
 * fa_time.h - wall-clock and monotonic time, and the timestamp formats WARC,
 * CDXJ and logs use.  All times are nanoseconds; wall time is since the Unix
 * epoch, UTC.
 */
#ifndef FA_TIME_H
#define FA_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock time (CLOCK_REALTIME) in ns since the epoch. */
int64_t fa_time_now_ns(void);

/* Monotonic time (CLOCK_MONOTONIC) in ns, for intervals and scheduling. */
uint64_t fa_time_mono_ns(void);

/* Formats t as ISO 8601 UTC, "2026-11-23T15:37:00Z"; frac_digits (0..9)
 * digits of fraction after the seconds ("...:00.123Z" for 3).  Returns the
 * length written, or FA_EINVAL when the buffer is too small. */
int fa_time_format_iso(int64_t t_ns, int frac_digits, char *out, size_t outlen);

/* Formats t as the 14-digit WARC/CDX timestamp "20261123153700". */
int fa_time_format_14(int64_t t_ns, char out[15]);

/* Parses "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)" (RFC 3339) into ns.
 * Returns 0 or FA_EPARSE. */
int fa_time_parse_rfc3339(const char *s, int64_t *t_ns);

/* Days-from-civil: seconds since the epoch for a UTC calendar time; fields as
 * in struct tm but year is the full year and mon is 1..12. */
int64_t fa_time_from_civil(int year, int mon, int day, int hour, int min, int sec);

#endif
