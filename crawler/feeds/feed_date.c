/*
 * feed_date.c - lenient date parsing for feeds; see feed_date.h.
 *
 * Two readers, chosen by the first characters:
 *
 *  - ISO form, when the text starts with four digits and '-' (or eight
 *    digits and 'T'): RFC 3339 / ISO 8601 / W3C-DTF, i.e.
 *    YYYY[-MM[-DD[(T|t| )hh:mm[:ss[.frac]][Z|+hh[:mm]|+hhmm|+hh]]]], and the
 *    basic form YYYYMMDDThhmmss[Z].  Fractions are dropped (feeds are
 *    archived to the second).
 *
 *  - Token form for everything else, meant for RFC 822/1123/2822 and the
 *    ways templates break it.  The text is cut into words, numbers, times
 *    (h:mm[:ss]) and numeric zones; a word may be a weekday (ignored, even
 *    when wrong), a month (abbreviated, full, "Sept", any case), AM/PM or a
 *    zone name; parenthesised comments and unknown words are skipped.  The
 *    year is the number with three or more digits (two-digit years follow
 *    RFC 2822: 00-49 are 20xx, 50-99 are 19xx); the day is the first other
 *    number.  Without a month name, "YYYY/MM/DD" is accepted (year first
 *    only: "01/02/2026" is ambiguous and refused).
 *
 * Military zone letters use their usual meaning (A = +01:00 ... M = +12:00,
 * N = -01:00 ... Y = -12:00, Z = UTC); RFC 822 printed the signs reversed
 * and RFC 2822 says to treat them as unknown, but feeds that use them mean
 * the military convention.
 *
 * Everything is validated against the calendar (day within the month, leap
 * years) so that "31 Feb" is refused rather than rolled into March.
 */
#include "crawler/feeds/feed_date.h"

#include "common/fa_err.h"
#include "common/fa_time.h"

#include <stdio.h>
#include <string.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Reads exactly n digits. */
static int read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i])) return FA_EPARSE;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int count_digits(const char *p)
{
    int n = 0;
    while (is_digit(p[n]))
        n++;
    return n;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return days[m - 1];
}

static int make_time(int Y, int M, int D, int h, int m, int s, int off, int64_t *out)
{
    if (Y < 1000 || Y > 9999 || M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M))
        return FA_EPARSE;
    /* 24:00:00 is the end of the day; 60 seconds is a leap second. */
    if (h > 24 || m > 59 || s > 60 || (h == 24 && (m != 0 || s != 0))) return FA_EPARSE;
    *out = fa_time_from_civil(Y, M, D, h, m, s) - off;
    return 0;
}

/* Skips whitespace and parenthesised comments (nesting allowed); true when
 * nothing else is left. */
static int only_trailer(const char *p)
{
    int nest = 0;
    for (; *p; p++) {
        if (*p == '(')
            nest++;
        else if (*p == ')' && nest > 0)
            nest--;
        else if (nest == 0 && !is_space(*p))
            return 0;
    }
    return 1;
}

/* "+hh:mm", "+hhmm", "+hh", "-..." at *p; returns the offset in seconds. */
static int read_offset(const char **p, int *off)
{
    const char *q = *p;
    int sign = *q == '-' ? -1 : 1, h, m = 0;
    q++;
    int n = count_digits(q);
    if (n == 4 || n == 3) {
        /* "+0530", or "+530" from a template that forgot the padding */
        h = n == 4 ? (q[0] - '0') * 10 + (q[1] - '0') : q[0] - '0';
        q += n - 2;
        m = (q[0] - '0') * 10 + (q[1] - '0');
        q += 2;
    } else if (n == 2 || n == 1) {
        h = n == 2 ? (q[0] - '0') * 10 + (q[1] - '0') : q[0] - '0';
        q += n;
        if (*q == ':' && count_digits(q + 1) == 2) {
            m = (q[1] - '0') * 10 + (q[2] - '0');
            q += 3;
        }
    } else {
        return FA_EPARSE;
    }
    if (h > 23 || m > 59) return FA_EPARSE;
    *off = sign * (h * 3600 + m * 60);
    *p = q;
    return 0;
}

static int parse_iso(const char *p, int64_t *out)
{
    int Y, M = 1, D = 1, h = 0, m = 0, s = 0, off = 0;
    int basic = count_digits(p) == 8;
    if (read_digits(&p, 4, &Y)) return FA_EPARSE;
    if (basic) {
        if (read_digits(&p, 2, &M) || read_digits(&p, 2, &D)) return FA_EPARSE;
    } else if (*p == '-') {
        p++;
        if (read_digits(&p, 2, &M)) return FA_EPARSE;
        if (*p == '-') {
            p++;
            if (read_digits(&p, 2, &D)) return FA_EPARSE;
        }
    }
    if ((*p == 'T' || *p == 't' || *p == ' ') && is_digit(p[1])) {
        p++;
        if (read_digits(&p, 2, &h)) return FA_EPARSE;
        if (*p == ':') p++;
        if (read_digits(&p, 2, &m)) return FA_EPARSE;
        if (*p == ':') p++;
        if (is_digit(*p) && read_digits(&p, 2, &s)) return FA_EPARSE;
        if ((*p == '.' || *p == ',') && is_digit(p[1])) {
            p++;
            while (is_digit(*p))
                p++;
        }
        while (*p == ' ')
            p++;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if ((*p == '+' || *p == '-') && is_digit(p[1])) {
            if (read_offset(&p, &off)) return FA_EPARSE;
        } else if (strncmp(p, "UTC", 3) == 0 || strncmp(p, "GMT", 3) == 0) {
            p += 3;
        }
    }
    if (!only_trailer(p)) return FA_EPARSE;
    return make_time(Y, M, D, h, m, s, off, out);
}

/* ---- token form ---- */

static const char *const month_names[12] = {"january",   "february", "march",    "april",
                                            "may",       "june",     "july",     "august",
                                            "september", "october",  "november", "december"};
static const char *const day_names[7] = {"monday", "tuesday",  "wednesday", "thursday",
                                         "friday", "saturday", "sunday"};

static const struct {
    const char *name;
    int hours_x100; /* offset as hhmm, signed */
} zone_names[] = {
    {"ut", 0},      {"utc", 0},     {"gmt", 0},     {"z", 0},      {"est", -500}, {"edt", -400},
    {"cst", -600},  {"cdt", -500},  {"mst", -700},  {"mdt", -600}, {"pst", -800}, {"pdt", -700},
    {"akst", -900}, {"akdt", -800}, {"hst", -1000}, {"ast", -400}, {"adt", -300}, {"nst", -330},
    {"ndt", -230},  {"wet", 0},     {"west", 100},  {"bst", 100},  {"cet", 100},  {"cest", 200},
    {"met", 100},   {"mest", 200},  {"eet", 200},   {"eest", 300}, {"msk", 300},  {"jst", 900},
    {"kst", 900},   {"hkt", 800},   {"sgt", 800},   {"awst", 800}, {"acst", 930}, {"aest", 1000},
    {"aedt", 1100}, {"nzst", 1200}, {"nzdt", 1300},
};

/* Does word w (n letters, any case) name the full name or a prefix of at
 * least three letters of full? */
static int word_matches(const char *w, int n, const char *full)
{
    int len = (int)strlen(full);
    if (n < 3 || n > len) return 0;
    for (int i = 0; i < n; i++)
        if (lower(w[i]) != full[i]) return 0;
    return 1;
}

static int word_is(const char *w, int n, const char *s)
{
    if ((int)strlen(s) != n) return 0;
    for (int i = 0; i < n; i++)
        if (lower(w[i]) != s[i]) return 0;
    return 1;
}

static int military_offset(char c)
{
    c = lower(c);
    if (c == 'z') return 0;
    if (c >= 'a' && c <= 'i') return (c - 'a' + 1) * 3600;
    if (c >= 'k' && c <= 'm') return (c - 'k' + 10) * 3600;
    if (c >= 'n' && c <= 'y') return -(c - 'n' + 1) * 3600;
    return -1; /* 'j' is not a zone */
}

static int parse_tokens(const char *p, int64_t *out)
{
    int year = -1, mon = 0, day = -1, h = 0, m = 0, s = 0, off = 0;
    int have_time = 0, have_zone = 0, ampm = 0; /* 1 am, 2 pm */
    int nums[3], nnum = 0, year_first = 0;
    while (*p) {
        char c = *p;
        if (c == '(') {
            int nest = 0;
            do {
                if (*p == '(')
                    nest++;
                else if (*p == ')')
                    nest--;
                p++;
            } while (*p && nest > 0);
        } else if (is_alpha(c)) {
            const char *w = p;
            while (is_alpha(*p))
                p++;
            int n = (int)(p - w), found = 0;
            for (int i = 0; i < 12 && !found; i++) {
                if (word_matches(w, n, month_names[i]) || (i == 8 && word_is(w, n, "sept"))) {
                    if (mon != 0) return FA_EPARSE; /* two months: no date */
                    mon = i + 1;
                    found = 1;
                }
            }
            for (int i = 0; i < 7 && !found; i++)
                found = word_matches(w, n, day_names[i]) ||
                        (word_is(w, n, "tues") || word_is(w, n, "thur") || word_is(w, n, "thurs"));
            if (found) continue;
            if (word_is(w, n, "am") || word_is(w, n, "pm")) {
                ampm = lower(w[0]) == 'a' ? 1 : 2;
                continue;
            }
            if (have_zone) continue;
            for (size_t i = 0; i < sizeof zone_names / sizeof zone_names[0]; i++) {
                if (word_is(w, n, zone_names[i].name)) {
                    int z = zone_names[i].hours_x100, az = z < 0 ? -z : z;
                    off = (z < 0 ? -1 : 1) * ((az / 100) * 3600 + (az % 100) * 60);
                    have_zone = 1;
                    break;
                }
            }
            if (!have_zone && n == 1 && have_time && military_offset(w[0]) >= -12 * 3600 &&
                lower(w[0]) != 'j') {
                off = military_offset(w[0]);
                have_zone = 1;
            }
            /* Unknown words ("at", "on", a zone we do not know) are skipped. */
        } else if (is_digit(c)) {
            int n = count_digits(p);
            if (p[n] == ':') {
                if (have_time || n > 2) return FA_EPARSE;
                h = n == 2 ? (p[0] - '0') * 10 + (p[1] - '0') : p[0] - '0';
                p += n + 1;
                if (count_digits(p) != 2) return FA_EPARSE;
                read_digits(&p, 2, &m);
                if (*p == ':' && count_digits(p + 1) == 2) {
                    p++;
                    read_digits(&p, 2, &s);
                }
                if ((*p == '.' || *p == ',') && is_digit(p[1])) {
                    p++;
                    while (is_digit(*p))
                        p++;
                }
                have_time = 1;
                continue;
            }
            if (n > 4) return FA_EPARSE;
            int v = 0;
            for (int i = 0; i < n; i++)
                v = v * 10 + (p[i] - '0');
            p += n;
            if (n >= 3) {
                if (year >= 0) return FA_EPARSE;
                year = n == 3 ? v + 1900 : v;
                if (nnum == 0) year_first = 1;
            } else {
                if (nnum == 3) return FA_EPARSE;
                nums[nnum++] = v;
            }
            /* "23rd", "1st": ordinal suffixes */
            if (is_alpha(*p) && (word_is(p, 2, "st") || word_is(p, 2, "nd") ||
                                 word_is(p, 2, "rd") || word_is(p, 2, "th")))
                p += 2;
        } else if ((c == '+' || c == '-') && is_digit(p[1]) && have_time && !have_zone) {
            if (read_offset(&p, &off)) return FA_EPARSE;
            have_zone = 1;
        } else if ((c == '+' || c == '-') && is_digit(p[1]) && have_time && have_zone && off == 0) {
            /* "GMT+0100": the numeric offset refines the name */
            if (read_offset(&p, &off)) return FA_EPARSE;
        } else {
            p++; /* separators: space , . - / and anything unexpected */
        }
    }
    if (mon != 0) {
        if (year >= 0) {
            if (nnum != 1) return FA_EPARSE;
            day = nums[0];
        } else {
            if (nnum != 2) return FA_EPARSE;
            day = nums[0];
            year = nums[1] < 50 ? 2000 + nums[1] : 1900 + nums[1];
        }
    } else {
        /* numeric: only year-first "YYYY/MM/DD" is unambiguous */
        if (year < 0 || !year_first || nnum != 2) return FA_EPARSE;
        mon = nums[0];
        day = nums[1];
    }
    if (ampm) {
        if (h < 1 || h > 12) return FA_EPARSE;
        if (ampm == 2 && h < 12)
            h += 12;
        else if (ampm == 1 && h == 12)
            h = 0;
    }
    return make_time(year, mon, day, h, m, s, off, out);
}

/* Howard Hinnant's civil_from_days, the inverse of fa_time_from_civil. */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

int feed_date_parse(const char *s, int64_t *t_seconds)
{
    if (s == NULL) return FA_EPARSE;
    while (is_space(*s))
        s++;
    if (*s == '\0') return FA_EPARSE;
    int64_t t;
    int n = count_digits(s), rc;
    if ((n == 4 && (s[4] == '-' || s[4] == '\0')) || (n == 8 && (s[8] == 'T' || s[8] == 't')))
        rc = parse_iso(s, &t);
    else
        rc = parse_tokens(s, &t);
    if (rc < 0) return rc;
    *t_seconds = t;
    return 0;
}

int feed_date_normalize(const char *s, char *out, size_t outlen)
{
    if (outlen < FEED_DATE_LEN) {
        if (outlen > 0) out[0] = '\0';
        return FA_EINVAL;
    }
    int64_t t;
    if (feed_date_parse(s, &t) < 0) {
        out[0] = '\0';
        return FA_EPARSE;
    }
    /* Formatted here rather than with fa_time_format_iso: nanoseconds since
     * the epoch overflow after 2262, and feeds do say "9999". */
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sod = t - days * 86400;
    int Y, M, D;
    civil_from_days(days, &Y, &M, &D);
    int n = snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ", Y, M, D, (int)(sod / 3600),
                     (int)(sod / 60 % 60), (int)(sod % 60));
    if (n != FEED_DATE_LEN - 1) {
        out[0] = '\0';
        return FA_EPARSE;
    }
    return n;
}
