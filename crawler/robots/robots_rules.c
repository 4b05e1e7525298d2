/*
 * robots_rules.c - robots.txt parsing and matching (RFC 9309); see
 * robots_rules.h for the interface and the matching rules.
 *
 * Parsing is one pass over the body, line by line, in the manner of Google's
 * reference parser (github.com/google/robotstxt, robots.cc), which RFC 9309
 * was written from:
 *
 *   - the body is UTF-8 whatever a header says (RFC 9309): it is never
 *     transcoded.  Patterns are matched on their octets, percent-encoded
 *     (§2.2.2), so a Disallow a legacy site wrote in EUC-KR still matches
 *     that site's EUC-KR-encoded URLs - replacing its bytes by U+FFFD
 *     would silently drop the rule.  What feedarc shows or fetches from
 *     the file - a verdict's rule text, Sitemap URLs - is valid UTF-8:
 *     there invalid sequences become U+FFFD (common/fa_charset);
 *   - a leading UTF-8 byte order mark (or a prefix of one) is skipped;
 *   - lines end at LF, CR or CRLF; a line keeps at most ROBOTS_MAX_LINE
 *     bytes (and nothing after a NUL byte);
 *   - "#" starts a comment; blanks around keys and values are dropped;
 *   - "key: value"; a missing colon is tolerated only when the line is
 *     exactly two words ("disallow /x"), where it cannot be misread;
 *   - keys are case-insensitive and matched by prefix, with Google's list of
 *     common typos ("useragent", "disalow", ...): accepting a misspelt key
 *     only ever honours what the site owner meant;
 *   - a user-agent line that follows a rule line starts a new group;
 *     consecutive user-agent lines share one; blank lines, sitemap,
 *     crawl-delay and unknown lines neither start nor end a group;
 *   - rules before the first user-agent line belong to no group.
 *
 * The parser knows the product token up front, so it keeps only two rule
 * sets: "specific" (groups naming the token) and "global" (groups named
 * "*").  Once a specific group is seen the global set is dropped, since
 * it can no longer apply (RFC 9309 §2.2.1).  Each set is an array of
 * robots_rule in one fa_buf plus the pattern bytes in another, both with
 * ceilings.  Patterns are stored in canonical form (see
 * robots__escape_pattern) with a trailing "$" turned into a flag; the text
 * as written is kept beside it only when it differs, for verdicts.
 *
 * After parsing, the chosen set is sorted by decreasing priority (pattern
 * length in octets, "$" included), allow before disallow, then by line, so
 * the first rule that matches decides.
 */
#include "crawler/robots/robots_rules.h"
#include "crawler/robots/robots_internal.h"

#include "common/fa_buf.h"
#include "common/fa_charset.h"
#include "common/fa_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pattern bytes kept per rule set: the canonical form can be three times
 * the written one, plus the written one beside it. */
#define ROBOTS_POOL_MAX (4 * ROBOTS_MAX_BODY)

typedef struct robots_rule {
    uint32_t pattern_off; /* canonical pattern in the pool, without the final '$' */
    uint32_t pattern_len;
    uint32_t text_off; /* the value as written (may equal the pattern) */
    uint32_t text_len;
    uint32_t line;
    uint32_t priority; /* canonical length including a final '$' */
    uint8_t allow;
    uint8_t anchored;
} robots_rule;

typedef struct rule_set {
    fa_buf rules;            /* robots_rule[] */
    fa_buf pool;             /* pattern and text bytes */
    uint64_t crawl_delay_ms; /* largest seen, 0 if none */
} rule_set;

enum robots_mode { ROBOTS_MODE_PARSED, ROBOTS_MODE_ALLOW_ALL, ROBOTS_MODE_DISALLOW_ALL };

struct robots_rules {
    enum robots_mode mode;
    rule_set chosen;       /* sorted; the rules that apply to the token */
    fa_buf sitemap_pool;   /* NUL-separated Sitemap: values */
    const char **sitemaps; /* pointers into sitemap_pool */
    size_t n_sitemaps;
    robots_stats stats;
};

enum robots_key {
    ROBOTS_KEY_USER_AGENT,
    ROBOTS_KEY_ALLOW,
    ROBOTS_KEY_DISALLOW,
    ROBOTS_KEY_SITEMAP,
    ROBOTS_KEY_CRAWL_DELAY,
    ROBOTS_KEY_UNKNOWN
};

/* What the parser carries from line to line. */
typedef struct robots_parser {
    robots_rules *out;
    const char *token;
    size_t token_len;
    int group_is_specific; /* the current group names the token */
    int group_is_global;   /* the current group is "*" */
    int group_has_rules;   /* a rule line followed its user-agent lines */
    int ever_specific;     /* some group named the token */
    rule_set specific;
    rule_set global;
    int rc; /* first allocation failure */
} robots_parser;

/* ---- small ASCII helpers (locale-independent) ---- */

static int ascii_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int ascii_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int ascii_is_xdigit(unsigned char c)
{
    return ascii_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static unsigned char ascii_upper(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
}

static int starts_with_nocase(const char *s, size_t n, const char *prefix)
{
    size_t plen = strlen(prefix);
    if (n < plen) return 0;
    for (size_t i = 0; i < plen; i++)
        if (ascii_lower((unsigned char)s[i]) != (unsigned char)prefix[i]) return 0;
    return 1;
}

static int equals_nocase(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen) return 0;
    for (size_t i = 0; i < alen; i++)
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i])) return 0;
    return 1;
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && ascii_is_space((unsigned char)(*s)[0])) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ascii_is_space((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* ---- rule sets ---- */

static void rule_set_init(rule_set *set)
{
    fa_buf_init(&set->rules, (size_t)ROBOTS_MAX_RULES * sizeof(robots_rule));
    fa_buf_init(&set->pool, ROBOTS_POOL_MAX);
    set->crawl_delay_ms = 0;
}

static void rule_set_free(rule_set *set)
{
    fa_buf_free(&set->rules);
    fa_buf_free(&set->pool);
}

static size_t rule_set_count(const rule_set *set)
{
    return set->rules.len / sizeof(robots_rule);
}

static const robots_rule *rule_set_at(const rule_set *set, size_t i)
{
    return (const robots_rule *)(const void *)set->rules.data + i;
}

/* Adds a non-empty rule.  Returns 0, FA_ETOOBIG past a ceiling (nothing
 * added) or FA_ENOMEM. */
static int rule_set_add(rule_set *set, int allow, const char *value, size_t len, unsigned line)
{
    if (rule_set_count(set) >= ROBOTS_MAX_RULES) return FA_ETOOBIG;
    size_t pool_mark = set->pool.len;
    robots_rule rule = {0};
    int rc = robots__escape_pattern(value, len, &set->pool);
    if (rc < 0) goto out;
    rule.pattern_off = (uint32_t)pool_mark;
    rule.pattern_len = (uint32_t)(set->pool.len - pool_mark);
    rule.priority = rule.pattern_len;
    if (rule.pattern_len > 0 && set->pool.data[set->pool.len - 1] == '$') {
        rule.anchored = 1;
        rule.pattern_len--;
    }
    rule.text_off = rule.pattern_off;
    rule.text_len = rule.priority;
    if (rule.text_len != len || memcmp(set->pool.data + rule.text_off, value, len) != 0) {
        rule.text_off = (uint32_t)set->pool.len;
        rule.text_len = (uint32_t)len;
        rc = fa_buf_append(&set->pool, value, len);
        if (rc < 0) goto out;
    }
    rule.line = line;
    rule.allow = (uint8_t)(allow != 0);
    rc = fa_buf_append(&set->rules, &rule, sizeof rule);
out:
    if (rc < 0) {
        set->pool.len = pool_mark;
        if (set->pool.data != NULL) set->pool.data[pool_mark] = '\0';
    }
    return rc;
}

static int rule_order(const void *a, const void *b)
{
    const robots_rule *x = a, *y = b;
    if (x->priority != y->priority) return x->priority > y->priority ? -1 : 1;
    if (x->allow != y->allow) return x->allow ? -1 : 1;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    return 0;
}

/* ---- patterns ---- */

int robots__escape_pattern(const char *pattern, size_t len, fa_buf *out)
{
    size_t need = 0;
    for (size_t i = 0; i < len; i++)
        need += ((unsigned char)pattern[i] & 0x80) ? 3 : 1;
    int rc = fa_buf_reserve(out, need);
    if (rc < 0) return rc;
    static const char hex[] = "0123456789ABCDEF";
    char *w = out->data + out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)pattern[i];
        if (c == '%' && i + 2 < len && ascii_is_xdigit((unsigned char)pattern[i + 1]) &&
            ascii_is_xdigit((unsigned char)pattern[i + 2])) {
            *w++ = '%';
            *w++ = (char)ascii_upper((unsigned char)pattern[i + 1]);
            *w++ = (char)ascii_upper((unsigned char)pattern[i + 2]);
            i += 2;
        } else if (c & 0x80) {
            *w++ = '%';
            *w++ = hex[c >> 4];
            *w++ = hex[c & 0xF];
        } else {
            *w++ = (char)c;
        }
    }
    out->len += need;
    out->data[out->len] = '\0';
    return 0;
}

/* The path's octet at i, with the hex digits of a %xx escape upper-cased
 * so that they compare equal to the canonical pattern's. */
static unsigned char path_octet(const char *path, size_t n, size_t i)
{
    unsigned char c = (unsigned char)path[i];
    if (c < 'a' || c > 'f') return c;
    int first_digit =
        i >= 1 && path[i - 1] == '%' && i + 1 < n && ascii_is_xdigit((unsigned char)path[i + 1]);
    int second_digit = i >= 2 && path[i - 2] == '%' && ascii_is_xdigit((unsigned char)path[i - 1]);
    return first_digit || second_digit ? ascii_upper(c) : c;
}

/* The path with the hex digits of its %xx escapes upper-cased: path itself
 * when it has no '%', else a malloc'd copy in *copy (NULL when out of
 * memory). */
static const char *canonical_path(const char *path, size_t n, char **copy)
{
    *copy = NULL;
    if (memchr(path, '%', n) == NULL) return path;
    if ((*copy = malloc(n + 1)) == NULL) return NULL;
    for (size_t i = 0; i < n; i++)
        (*copy)[i] = (char)path_octet(path, n, i);
    (*copy)[n] = '\0';
    return *copy;
}

/* Whether canonical pattern (m bytes) matches canonical path (n bytes).
 *
 * The pattern is literal runs separated by '*': r0*r1*...*rk.  r0 must be
 * a prefix of the path; each middle run is then found at its leftmost
 * place after the previous one (leftmost is never worse, since a '*'
 * before the next run can absorb whatever lies between); the last run is
 * found the same way, or, when anchored, must be a suffix of what is left.
 * Each search is a linear substring search (glibc's memmem, two-way) over
 * the path from where the previous run ended, so one rule costs
 * O(path + pattern) - no backtracking (a 15 KB "/x*aaa...ab" rule against
 * a 30 KB path of 'a's once took tens of seconds). */
static int match_canonical(const char *pattern, size_t m, int anchored, const char *path, size_t n)
{
    const char *star = memchr(pattern, '*', m);
    size_t run = star ? (size_t)(star - pattern) : m;
    if (run > n || memcmp(pattern, path, run) != 0) return 0;
    if (star == NULL) return !anchored || run == n;
    size_t s = run, p = run + 1; /* path position, pattern position after the '*' */
    for (;;) {
        star = memchr(pattern + p, '*', m - p);
        run = star ? (size_t)(star - (pattern + p)) : m - p;
        if (star == NULL) break; /* pattern[p, m) is the last run */
        if (run > 0) {
            const char *at = memmem(path + s, n - s, pattern + p, run);
            if (at == NULL) return 0;
            s = (size_t)(at - path) + run;
        }
        p += run + 1;
    }
    if (anchored) return run <= n - s && memcmp(path + n - run, pattern + p, run) == 0;
    return run == 0 || memmem(path + s, n - s, pattern + p, run) != NULL;
}

int robots__pattern_matches(const char *pattern, size_t pattern_len, int anchored, const char *path,
                            size_t path_len)
{
    char *copy;
    const char *canon = canonical_path(path, path_len, &copy);
    if (canon == NULL) return FA_ENOMEM;
    int rc = match_canonical(pattern, pattern_len, anchored, canon, path_len);
    free(copy);
    return rc;
}

/* ---- line parsing ---- */

static enum robots_key classify_key(const char *key, size_t n)
{
    static const struct {
        const char *prefix;
        enum robots_key key;
    } keys[] = {
        {"user-agent", ROBOTS_KEY_USER_AGENT},   {"useragent", ROBOTS_KEY_USER_AGENT},
        {"user agent", ROBOTS_KEY_USER_AGENT},   {"allow", ROBOTS_KEY_ALLOW},
        {"disallow", ROBOTS_KEY_DISALLOW},       {"dissallow", ROBOTS_KEY_DISALLOW},
        {"dissalow", ROBOTS_KEY_DISALLOW},       {"disalow", ROBOTS_KEY_DISALLOW},
        {"diasllow", ROBOTS_KEY_DISALLOW},       {"disallaw", ROBOTS_KEY_DISALLOW},
        {"sitemap", ROBOTS_KEY_SITEMAP},         {"site-map", ROBOTS_KEY_SITEMAP},
        {"crawl-delay", ROBOTS_KEY_CRAWL_DELAY},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (starts_with_nocase(key, n, keys[i].prefix)) return keys[i].key;
    return ROBOTS_KEY_UNKNOWN;
}

/* Splits a line (comment already removed, trimmed) into key and value.
 * Returns 1, or 0 when the line is no "key: value" line. */
static int split_key_value(const char *line, size_t n, const char **key, size_t *key_len,
                           const char **value, size_t *value_len)
{
    const char *sep = memchr(line, ':', n);
    if (sep == NULL) {
        /* No colon: accept "key value" only when there are exactly two
         * words (Google's behaviour, RFC 9309 test ID_LineSyntax_Line). */
        size_t i = 0;
        while (i < n && line[i] != ' ' && line[i] != '\t')
            i++;
        if (i == n) return 0;
        sep = line + i;
        size_t j = i;
        while (j < n && (line[j] == ' ' || line[j] == '\t'))
            j++;
        for (; j < n; j++)
            if (line[j] == ' ' || line[j] == '\t') return 0;
    }
    *key = line;
    *key_len = (size_t)(sep - line);
    trim(key, key_len);
    if (*key_len == 0) return 0;
    *value = sep + 1;
    *value_len = n - (size_t)(sep + 1 - line);
    trim(value, value_len);
    return 1;
}

/* "10", "0.5", "2.25" seconds to milliseconds, capped.  Returns 0 or
 * FA_EPARSE. */
static int parse_crawl_delay(const char *v, size_t n, uint64_t *ms)
{
    const uint64_t cap_s = ROBOTS_MAX_CRAWL_DELAY_MS / 1000 + 1;
    uint64_t whole = 0, frac = 0;
    size_t i = 0, int_digits = 0, frac_digits = 0;
    for (; i < n && ascii_is_digit((unsigned char)v[i]); i++, int_digits++)
        if (whole <= cap_s) whole = whole * 10 + (uint64_t)(v[i] - '0');
    if (i < n && v[i] == '.')
        for (i++; i < n && ascii_is_digit((unsigned char)v[i]); i++, frac_digits++)
            if (frac_digits < 3) frac = frac * 10 + (uint64_t)(v[i] - '0');
    if (i != n || int_digits + frac_digits == 0) return FA_EPARSE;
    for (size_t k = frac_digits; k < 3; k++)
        frac *= 10;
    uint64_t total = whole * 1000 + frac;
    *ms = total > ROBOTS_MAX_CRAWL_DELAY_MS ? ROBOTS_MAX_CRAWL_DELAY_MS : total;
    return 0;
}

static void handle_user_agent(robots_parser *ps, const char *v, size_t n)
{
    if (ps->group_has_rules) {
        ps->group_is_specific = ps->group_is_global = ps->group_has_rules = 0;
    }
    /* "*" alone, or followed by blanks and more (Google), is the global
     * group. */
    if (n >= 1 && v[0] == '*' && (n == 1 || ascii_is_space((unsigned char)v[1]))) {
        ps->group_is_global = 1;
        return;
    }
    /* The product name: leading letters, '-' and '_' ("FooBot/1.2" names
     * "FooBot"). */
    size_t name_len = 0;
    while (name_len < n) {
        unsigned char c = (unsigned char)v[name_len];
        int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!letter && c != '-' && c != '_') break;
        name_len++;
    }
    if (name_len == 0 || !equals_nocase(v, name_len, ps->token, ps->token_len)) return;
    ps->group_is_specific = 1;
    if (!ps->ever_specific) {
        ps->ever_specific = 1;
        rule_set_free(&ps->global); /* can no longer apply */
        rule_set_init(&ps->global);
    }
}

static void handle_rule(robots_parser *ps, int allow, const char *v, size_t n, unsigned line)
{
    if (!ps->group_is_specific && !ps->group_is_global)
        return; /* before any user-agent line, or a group for others */
    ps->group_has_rules = 1;
    if (n == 0) return; /* "disallow:" matches nothing */
    rule_set *set = ps->group_is_specific ? &ps->specific : ps->ever_specific ? NULL : &ps->global;
    if (set == NULL) return;
    int rc = rule_set_add(set, allow, v, n, line);
    if (rc == FA_ETOOBIG)
        ps->out->stats.rules_dropped++;
    else if (rc < 0)
        ps->rc = rc;
}

static void handle_crawl_delay(robots_parser *ps, const char *v, size_t n)
{
    uint64_t ms;
    if (parse_crawl_delay(v, n, &ms) < 0) return;
    rule_set *set = ps->group_is_specific                       ? &ps->specific
                    : ps->group_is_global && !ps->ever_specific ? &ps->global
                                                                : NULL;
    if (set != NULL && ms > set->crawl_delay_ms) set->crawl_delay_ms = ms;
}

static void handle_sitemap(robots_parser *ps, const char *v, size_t n)
{
    robots_rules *r = ps->out;
    if (n == 0) return;
    if (r->n_sitemaps >= ROBOTS_MAX_SITEMAPS) {
        r->stats.sitemaps_dropped++;
        return;
    }
    size_t mark = r->sitemap_pool.len;
    /* fetched later: valid UTF-8, invalid bytes replaced */
    fa_charset_options co = {.fixed_utf8 = 1};
    int rc = fa_charset_decode_all(&co, v, n, &r->sitemap_pool, NULL);
    if (rc == 0) rc = fa_buf_append(&r->sitemap_pool, "", 1);
    if (rc == 0) {
        r->n_sitemaps++;
        return;
    }
    r->sitemap_pool.len = mark;
    if (rc == FA_ETOOBIG)
        r->stats.sitemaps_dropped++;
    else
        ps->rc = rc;
}

static void parse_line(robots_parser *ps, const char *line, size_t n, unsigned line_no)
{
    const char *nul = memchr(line, '\0', n);
    if (nul != NULL) n = (size_t)(nul - line);
    if (n > ROBOTS_MAX_LINE) {
        n = ROBOTS_MAX_LINE;
        ps->out->stats.long_lines++;
    }
    const char *hash = memchr(line, '#', n);
    if (hash != NULL) n = (size_t)(hash - line);
    trim(&line, &n);
    const char *key, *value;
    size_t key_len, value_len;
    if (n == 0 || !split_key_value(line, n, &key, &key_len, &value, &value_len)) return;

    robots_stats *st = &ps->out->stats;
    st->last_directive_line = line_no;
    enum robots_key kind = classify_key(key, key_len);
    if (kind == ROBOTS_KEY_UNKNOWN) {
        st->unknown_directives++;
        return;
    }
    st->valid_directives++;
    switch (kind) {
    case ROBOTS_KEY_USER_AGENT:
        handle_user_agent(ps, value, value_len);
        break;
    case ROBOTS_KEY_ALLOW:
    case ROBOTS_KEY_DISALLOW:
        handle_rule(ps, kind == ROBOTS_KEY_ALLOW, value, value_len, line_no);
        break;
    case ROBOTS_KEY_SITEMAP:
        handle_sitemap(ps, value, value_len);
        break;
    case ROBOTS_KEY_CRAWL_DELAY:
        handle_crawl_delay(ps, value, value_len);
        break;
    case ROBOTS_KEY_UNKNOWN:
        break;
    }
}

/* How much of the body to parse: all of it, or up to the last line end
 * within ROBOTS_MAX_BODY (a line cut by the limit is dropped). */
static size_t parse_limit(const char *body, size_t len, int *truncated)
{
    *truncated = len > ROBOTS_MAX_BODY;
    if (!*truncated) return len;
    if (body[ROBOTS_MAX_BODY] == '\n' || body[ROBOTS_MAX_BODY] == '\r') return ROBOTS_MAX_BODY;
    size_t end = ROBOTS_MAX_BODY;
    while (end > 0 && body[end - 1] != '\n' && body[end - 1] != '\r')
        end--;
    return end;
}

static void parse_body(robots_parser *ps, const char *body, size_t len)
{
    static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
    size_t limit = parse_limit(body, len, &ps->out->stats.body_truncated);
    size_t i = 0;
    while (i < limit && i < sizeof bom && (unsigned char)body[i] == bom[i])
        i++;
    unsigned line_no = 0;
    while (ps->rc == 0) {
        size_t start = i;
        while (i < limit && body[i] != '\n' && body[i] != '\r')
            i++;
        parse_line(ps, body + start, i - start, ++line_no);
        if (i >= limit) break;
        if (body[i] == '\r' && i + 1 < limit && body[i + 1] == '\n') i++;
        i++;
    }
}

/* ---- public interface ---- */

static robots_rules *rules_new(enum robots_mode mode)
{
    robots_rules *r = calloc(1, sizeof *r);
    if (r == NULL) return NULL;
    r->mode = mode;
    rule_set_init(&r->chosen);
    /* Sitemap values are lines of the parsed body. */
    fa_buf_init(&r->sitemap_pool, ROBOTS_MAX_BODY + ROBOTS_MAX_SITEMAPS);
    return r;
}

robots_rules *robots_rules_allow_all(void)
{
    return rules_new(ROBOTS_MODE_ALLOW_ALL);
}

robots_rules *robots_rules_disallow_all(void)
{
    return rules_new(ROBOTS_MODE_DISALLOW_ALL);
}

robots_rules *robots_rules_parse(const char *body, size_t len, const char *product_token)
{
    robots_rules *r = rules_new(ROBOTS_MODE_PARSED);
    if (r == NULL) return NULL;
    robots_parser ps = {0};
    ps.out = r;
    ps.token = product_token != NULL ? product_token : "";
    ps.token_len = strlen(ps.token);
    rule_set_init(&ps.specific);
    rule_set_init(&ps.global);
    if (body != NULL && len > 0) parse_body(&ps, body, len);
    if (ps.rc < 0) goto out;

    /* Keep the set that applies; the other is freed below. */
    rule_set *keep = ps.ever_specific ? &ps.specific : &ps.global;
    rule_set_free(&r->chosen);
    r->chosen = *keep;
    rule_set_init(keep);
    if (r->chosen.rules.len > 0)
        qsort(r->chosen.rules.data, rule_set_count(&r->chosen), sizeof(robots_rule), rule_order);
    r->stats.rules_kept = (unsigned)rule_set_count(&r->chosen);
    r->stats.specific_group = ps.ever_specific;

    if (r->n_sitemaps > 0) {
        r->sitemaps = malloc(r->n_sitemaps * sizeof *r->sitemaps);
        if (r->sitemaps == NULL) {
            ps.rc = FA_ENOMEM;
            goto out;
        }
        const char *p = r->sitemap_pool.data;
        for (size_t i = 0; i < r->n_sitemaps; i++) {
            r->sitemaps[i] = p;
            p += strlen(p) + 1;
        }
    }
out:
    rule_set_free(&ps.specific);
    rule_set_free(&ps.global);
    if (ps.rc < 0) {
        robots_rules_free(r);
        return NULL;
    }
    return r;
}

static void verdict_from_rule(const robots_rules *r, const robots_rule *rule, robots_verdict *out)
{
    out->allowed = rule->allow;
    out->reason = ROBOTS_BY_RULE;
    out->line = (int)rule->line;
    /* shown as valid UTF-8: invalid bytes of the rule as written replaced */
    char shown[3 * ROBOTS_RULE_TEXT_MAX]; /* a replaced byte takes 3 */
    fa_buf b;
    fa_buf_init(&b, sizeof shown);
    fa_charset_options co = {.fixed_utf8 = 1};
    size_t tl = rule->text_len < ROBOTS_RULE_TEXT_MAX ? rule->text_len : ROBOTS_RULE_TEXT_MAX;
    size_t sl = 0;
    if (fa_charset_decode_all(&co, r->chosen.pool.data + rule->text_off, tl, &b, NULL) == 0 &&
        b.data) {
        sl = b.len;
        memcpy(shown, b.data, sl);
    }
    fa_buf_free(&b);
    int n = snprintf(out->rule, sizeof out->rule, "%s: %.*s%s", rule->allow ? "allow" : "disallow",
                     (int)sl, shown, tl < rule->text_len ? "..." : "");
    if (n >= (int)sizeof out->rule) memcpy(out->rule + sizeof out->rule - 4, "...", 4);
}

void robots_rules_check(const robots_rules *r, const char *path_and_query, robots_verdict *out)
{
    const char *path = path_and_query != NULL && path_and_query[0] != '\0' ? path_and_query : "/";
    memset(out, 0, sizeof *out);
    out->allowed = 1;
    out->reason = ROBOTS_BY_DEFAULT;
    if (strcmp(path, "/robots.txt") == 0) {
        out->reason = ROBOTS_BY_ROBOTS_TXT;
        return;
    }
    if (r == NULL || r->mode == ROBOTS_MODE_DISALLOW_ALL) {
        out->allowed = 0;
        out->reason = ROBOTS_BY_UNAVAILABLE;
        return;
    }
    size_t path_len = strlen(path);
    char *copy;
    const char *canon = canonical_path(path, path_len, &copy);
    if (canon == NULL) { /* out of memory: when in doubt, do not fetch */
        out->allowed = 0;
        out->reason = ROBOTS_BY_UNAVAILABLE;
        return;
    }
    size_t n = rule_set_count(&r->chosen);
    for (size_t i = 0; i < n; i++) {
        const robots_rule *rule = rule_set_at(&r->chosen, i);
        if (match_canonical(r->chosen.pool.data + rule->pattern_off, rule->pattern_len,
                            rule->anchored, canon, path_len)) {
            verdict_from_rule(r, rule, out);
            break;
        }
    }
    free(copy);
}

int robots_rules_allowed(const robots_rules *r, const char *path_and_query)
{
    robots_verdict v;
    robots_rules_check(r, path_and_query, &v);
    return v.allowed;
}

uint64_t robots_rules_crawl_delay_ms(const robots_rules *r)
{
    return r != NULL ? r->chosen.crawl_delay_ms : 0;
}

size_t robots_rules_sitemaps(const robots_rules *r, const char *const **out)
{
    if (r == NULL || r->n_sitemaps == 0) {
        if (out != NULL) *out = NULL;
        return 0;
    }
    if (out != NULL) *out = r->sitemaps;
    return r->n_sitemaps;
}

void robots_rules_stats(const robots_rules *r, robots_stats *out)
{
    if (r == NULL)
        memset(out, 0, sizeof *out);
    else
        *out = r->stats;
}

void robots_rules_free(robots_rules *r)
{
    if (r == NULL) return;
    rule_set_free(&r->chosen);
    fa_buf_free(&r->sitemap_pool);
    free(r->sitemaps);
    free(r);
}

/* ---- URLs ---- */

/* Index of the first octet of set in s[from, n), or n. */
static size_t find_first_of(const char *s, size_t n, size_t from, const char *set)
{
    for (size_t i = from; i < n; i++)
        if (strchr(set, s[i]) != NULL) return i;
    return n;
}

int robots_path_from_url(const char *url, char *out, size_t outlen)
{
    if (url == NULL || out == NULL) return FA_EINVAL;
    size_t n = strlen(url);
    /* A leading "//" introduces the authority (a scheme-relative URL). */
    size_t search = n >= 2 && url[0] == '/' && url[1] == '/' ? 2 : 0;
    size_t early_path = find_first_of(url, n, search, "/?;");
    const char *scheme_end = strstr(url + search, "://");
    size_t authority = search;
    /* "://" after the path has begun is part of the path or query. */
    if (scheme_end != NULL && (size_t)(scheme_end - url) <= early_path)
        authority = (size_t)(scheme_end - url) + 3;

    const char *path = "/";
    size_t path_len = 1;
    int add_slash = 0;
    size_t start = find_first_of(url, n, authority, "/?;");
    if (start < n) {
        const char *hash = strchr(url + search, '#');
        size_t end = hash != NULL ? (size_t)(hash - url) : n;
        if (end >= start) {
            path = url + start;
            path_len = end - start;
            add_slash = url[start] != '/';
        }
    }
    size_t total = path_len + (size_t)add_slash;
    if (total + 1 > outlen || total > (size_t)INT32_MAX) {
        if (outlen > 0) out[0] = '\0';
        return FA_ETOOBIG;
    }
    if (add_slash) out[0] = '/';
    memcpy(out + add_slash, path, path_len);
    out[total] = '\0';
    return (int)total;
}
