/*
 * config_units.c - durations ("500ms", "15m") and sizes ("64KiB", "10MB")
 * as written in feedarc.yaml, parsed and formatted.
 *
 * Grammar, both kinds: decimal digits, optional spaces, optional unit.  No
 * sign, no fraction, no exponent; anything else (including an empty string
 * or a value that does not fit in 64 bits) is FA_EINVAL.
 *
 *   durations  ms  s  m  h  d      (no unit = seconds; units are lower case)
 *   sizes      B  KiB MiB GiB TiB  (powers of 1024)
 *                 KB  MB  GB  TB   (powers of 1000; no unit = bytes)
 *              size units ignore case, so "kb" and "kB" are also 1000.
 */
#include "config/config.h"
#include "config/config_internal.h"
#include "common/fa_err.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

struct unit {
    const char *name;
    uint64_t factor;
};

static const struct unit duration_units[] = {
    {"ms", 1},
    {"s", 1000},
    {"m", 60ULL * 1000},
    {"h", 60ULL * 60 * 1000},
    {"d", 24ULL * 60 * 60 * 1000},
};

static const struct unit size_units[] = {
    {"B", 1},
    {"KiB", (uint64_t)1 << 10},
    {"MiB", (uint64_t)1 << 20},
    {"GiB", (uint64_t)1 << 30},
    {"TiB", (uint64_t)1 << 40},
    {"KB", 1000},
    {"MB", 1000ULL * 1000},
    {"GB", 1000ULL * 1000 * 1000},
    {"TB", (uint64_t)1000 * 1000 * 1000 * 1000},
};

/* Splits s into a number and a unit; *unit points into s (maybe at "").
 * Returns 0, or FA_EINVAL when there are no digits or the number overflows. */
static int parse_number(const char *s, uint64_t *n, const char **unit)
{
    uint64_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9') return FA_EINVAL;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return FA_EINVAL;
        v = v * 10 + d;
    }
    while (*p == ' ')
        p++;
    *n = v;
    *unit = p;
    return 0;
}

static int scale(const char *s, const struct unit *units, size_t n_units, int ignore_case,
                 uint64_t no_unit_factor, uint64_t *out)
{
    uint64_t n;
    const char *unit;
    if (s == NULL || out == NULL || parse_number(s, &n, &unit) < 0) return FA_EINVAL;
    uint64_t factor = 0;
    if (*unit == '\0') {
        if (unit != s && unit[-1] == ' ') return FA_EINVAL; /* trailing spaces without a unit */
        factor = no_unit_factor;
    } else {
        for (size_t i = 0; i < n_units; i++) {
            int same = ignore_case ? strcasecmp(unit, units[i].name) == 0
                                   : strcmp(unit, units[i].name) == 0;
            if (same) {
                factor = units[i].factor;
                break;
            }
        }
    }
    if (factor == 0 || (n != 0 && n > UINT64_MAX / factor)) return FA_EINVAL;
    *out = n * factor;
    return 0;
}

int config_parse_duration(const char *s, uint64_t *ms)
{
    return scale(s, duration_units, sizeof duration_units / sizeof duration_units[0], 0, 1000, ms);
}

int config_parse_size(const char *s, uint64_t *bytes)
{
    return scale(s, size_units, sizeof size_units / sizeof size_units[0], 1, 1, bytes);
}

void config__format_duration(uint64_t ms, char out[32])
{
    static const struct unit order[] = {
        {"d", 24ULL * 60 * 60 * 1000},
        {"h", 60ULL * 60 * 1000},
        {"m", 60ULL * 1000},
        {"s", 1000},
    };
    if (ms == 0) {
        snprintf(out, 32, "0s");
        return;
    }
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (ms % order[i].factor == 0) {
            snprintf(out, 32, "%llu%s", (unsigned long long)(ms / order[i].factor), order[i].name);
            return;
        }
    }
    snprintf(out, 32, "%llums", (unsigned long long)ms);
}

void config__format_size(uint64_t bytes, char out[32])
{
    /* the unit that divides exactly and leaves the smallest number, binary
     * or decimal: 1GiB stays 1GiB, 1TB stays 1TB (not 976562500KiB) */
    const struct unit *best = NULL;
    for (size_t i = 1; bytes != 0 && i < sizeof size_units / sizeof size_units[0]; i++)
        if (bytes % size_units[i].factor == 0 &&
            (best == NULL || size_units[i].factor > best->factor))
            best = &size_units[i];
    if (best == NULL) {
        snprintf(out, 32, "%llu", (unsigned long long)bytes);
        return;
    }
    snprintf(out, 32, "%llu%s", (unsigned long long)(bytes / best->factor), best->name);
}

int config__node_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CONFIG_NODE_NAME_MAX || s[0] == '.' || s[0] == '-') return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}
