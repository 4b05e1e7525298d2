/*
 * robots_rules.h - robots.txt (RFC 9309) parsed for one crawler, and the
 * question "may this crawler fetch this path?".
 *
 * The module is pure: bytes and strings in, answers out.  It knows nothing
 * of HTTP, caching, the event loop or storage.  The crawler fetches
 * /robots.txt itself and picks the constructor by the outcome (RFC 9309
 * §2.3.1): a 2xx body goes to robots_rules_parse, a 4xx means
 * robots_rules_allow_all, a 5xx or an unreachable host means
 * robots_rules_disallow_all.
 *
 * Parsing keeps only what the given product token needs: the rules of every
 * group whose user-agent line names the token (merged; RFC 9309 §2.2.1), or,
 * when no group names it, the rules of every "*" group.  Memory therefore
 * grows with the rules kept, never with the whole file, and each of the
 * ceilings below bounds it.
 *
 * Matching follows RFC 9309 §2.2.2 and Google's reference parser
 * (github.com/google/robotstxt), which the RFC was written from:
 *   - the rule with the longest pattern (in octets, after percent-encoding)
 *     that matches wins; on equal length allow wins over disallow;
 *   - "*" matches any run of octets, a final "$" anchors the end; elsewhere
 *     "$" is an ordinary octet;
 *   - a pattern matches a prefix of the path (unless anchored);
 *   - octets >= 0x80 in a pattern are percent-encoded ("/ツ" becomes
 *     "/%E3%83%84") and %-escapes compare with hex digits case-insensitive.
 *     Escapes are not decoded ("%62" does not match "b"), as in the
 *     reference tests; the path must be given encoded as sent on the wire;
 *   - an empty "disallow:" (or "allow:") matches nothing;
 *   - "/robots.txt" itself is always allowed (§2.2.2).
 *
 * The matcher takes a pattern as the literal runs between its "*"s and
 * finds each run at its leftmost place after the previous one with a
 * linear substring search ("$" makes the last run a suffix): O(path +
 * pattern) time per rule, no backtracking, no blow-up on patterns full of
 * "*" or on long runs against long paths.  Rules are kept sorted by
 * decreasing length so a check usually stops at the first rule that matches.
 */
#ifndef ROBOTS_RULES_H
#define ROBOTS_RULES_H

#include <stddef.h>
#include <stdint.h>

/* Ceilings.  Input past them is ignored (never an error) and counted in
 * robots_stats. */
#define ROBOTS_MAX_BODY ((size_t)500 * 1024) /* bytes parsed (RFC 9309 §2.5) */
#define ROBOTS_MAX_LINE (2083 * 8 - 1)       /* bytes kept of one line (Google's cut) */
#define ROBOTS_MAX_RULES 16384u              /* allow/disallow rules kept */
#define ROBOTS_MAX_SITEMAPS 1024u            /* Sitemap: lines kept */
#define ROBOTS_MAX_CRAWL_DELAY_MS 60000u     /* Crawl-delay is capped at 60 s */

typedef struct robots_rules robots_rules;

/* Parses a robots.txt body for one crawler.
 *
 * body: any bytes (need not be NUL-terminated; NULL when len is 0).  Only
 * the first ROBOTS_MAX_BODY bytes are parsed; when the body is longer, the
 * line cut by that limit is dropped as well.  A UTF-8 byte order mark
 * (or a leading part of one) is skipped; lines end at CR, LF or CRLF.
 *
 * product_token: the crawler's name as it expects to see it in user-agent
 * lines, e.g. "feedarc" - not the whole User-Agent header.  It is compared
 * case-insensitively with the name part of each user-agent line (the
 * leading [A-Za-z_-] characters: "FeedArc/1.2 (+url)" names "feedarc").
 * NULL or "" means only "*" groups apply.
 *
 * Never fails on malformed input.  Returns a new object owned by the caller
 * (free it with robots_rules_free), or NULL when allocation failed. */
robots_rules *robots_rules_parse(const char *body, size_t len, const char *product_token);

/* Everything allowed: robots.txt answered 4xx (RFC 9309 §2.3.1.3).
 * Returns NULL only when allocation failed. */
robots_rules *robots_rules_allow_all(void);

/* Everything but /robots.txt disallowed: robots.txt answered 5xx or could
 * not be fetched (RFC 9309 §2.3.1.4).  Returns NULL only when allocation
 * failed. */
robots_rules *robots_rules_disallow_all(void);

/* Why a verdict was reached. */
enum robots_reason {
    ROBOTS_BY_RULE = 0,   /* an allow/disallow line decided (line, rule set) */
    ROBOTS_BY_DEFAULT,    /* no rule matched: allowed */
    ROBOTS_BY_ROBOTS_TXT, /* the path is /robots.txt: always allowed */
    ROBOTS_BY_UNAVAILABLE /* robots_rules_disallow_all (or r was NULL) */
};

#define ROBOTS_RULE_TEXT_MAX 256

typedef struct robots_verdict {
    int allowed; /* 1 allowed, 0 disallowed */
    enum robots_reason reason;
    int line; /* 1-based line of the deciding rule; 0 if none */
    /* The deciding rule as written, lower-case key and value with comments
     * and surrounding blanks removed: "disallow: /private/".  Cut to fit
     * (ending in "...") when longer.  "" unless reason is ROBOTS_BY_RULE. */
    char rule[ROBOTS_RULE_TEXT_MAX];
} robots_verdict;

/* Decides whether the path may be fetched and why.
 *
 * path_and_query: the URL's path, params and query exactly as they will be
 * sent in the request line, percent-encoded (robots_path_from_url extracts
 * it from a URL); NULL or "" counts as "/".  r NULL counts as
 * robots_rules_disallow_all.  out must not be NULL; it is always filled. */
void robots_rules_check(const robots_rules *r, const char *path_and_query, robots_verdict *out);

/* robots_rules_check reduced to 1 (allowed) or 0 (disallowed). */
int robots_rules_allowed(const robots_rules *r, const char *path_and_query);

/* The Crawl-delay of the group that applies, in milliseconds: the largest
 * valid value in the merged groups ("10", "0.5"), capped at
 * ROBOTS_MAX_CRAWL_DELAY_MS; 0 when none was given or r is NULL.
 * Crawl-delay is not part of RFC 9309; it is widely used. */
uint64_t robots_rules_crawl_delay_ms(const robots_rules *r);

/* The Sitemap: URLs, in file order, from anywhere in the file (they belong
 * to no group).  Sets *out to an array owned by r (valid until
 * robots_rules_free; NULL when there are none) and returns its length.
 * Values are as written, not resolved or checked. */
size_t robots_rules_sitemaps(const robots_rules *r, const char *const **out);

typedef struct robots_stats {
    unsigned last_directive_line; /* line of the last key: value line */
    unsigned valid_directives;    /* user-agent, allow, disallow, sitemap, crawl-delay */
    unsigned unknown_directives;  /* key: value lines with another key */
    unsigned rules_kept;          /* non-empty allow/disallow rules of the chosen group */
    unsigned rules_dropped;       /* rules of the chosen group past ROBOTS_MAX_RULES */
    unsigned sitemaps_dropped;    /* past ROBOTS_MAX_SITEMAPS */
    unsigned long_lines;          /* lines cut at ROBOTS_MAX_LINE */
    int body_truncated;           /* the body was longer than ROBOTS_MAX_BODY */
    int specific_group;           /* 1: a group names the product token; 0: "*" or none */
} robots_stats;

/* Fills out with what parsing saw (all zero for allow_all/disallow_all or
 * a NULL r). */
void robots_rules_stats(const robots_rules *r, robots_stats *out);

/* Writes the path, params and query of url (everything from the first '/',
 * '?' or ';' after the authority, up to '#') into out as a NUL-terminated
 * string, "/" when there is none; a path that would start with '?' or ';'
 * gets a '/' in front.  Works like Google's GetPathParamsQuery: the scheme
 * is optional ("example.com/a" gives "/a"), a leading "//" starts the
 * authority.  Nothing is decoded or encoded.  Returns the length written
 * (>= 1), FA_EINVAL when url or out is NULL, FA_ETOOBIG when outlen is too
 * small (out is then "" if outlen > 0).  A buffer of strlen(url) + 2 bytes
 * is always enough. */
int robots_path_from_url(const char *url, char *out, size_t outlen);

/* Releases r; NULL is accepted. */
void robots_rules_free(robots_rules *r);

#endif
