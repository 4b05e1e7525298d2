/*
 * fuzz_robots.c - libFuzzer target for crawler/robots/robots_rules.c: parsing a
 * robots.txt for one product token, then checking paths against it, and
 * robots_path_from_url.
 *
 * Input: byte 0 the product token ("feedarc", none, "FeedArc/2.0 (+x)"),
 * then the robots.txt body up to the first NUL byte; after it, paths
 * separated by NUL bytes (when there are none, a fixed list is checked).
 * Each path is also read as a URL by robots_path_from_url.  Built by
 * tools/fuzz/CMakeLists.txt; see tools/fuzz/README.md.
 *
 * Paths are checked whole (issue 12 #4, matching once O(path x pattern)
 * per rule, is fixed in robots_rules.c: each rule is a sequence of
 * linear substring searches); at most FUZZ_ROBOTS_MAX_PATHS per input, so
 * that one input's time goes to long paths and rules rather than to
 * thousands of short paths.
 */
#include "common/fa_err.h"
#include "tools/fuzz/fuzz_util.h"
#include "crawler/robots/robots_rules.h"

#define FUZZ_ROBOTS_MAX_PATHS 8

static void check(const robots_rules *r, const char *path, size_t *sum)
{
    robots_verdict v;
    robots_rules_check(r, path, &v);
    if (v.allowed != robots_rules_allowed(r, path)) abort();
    if (strlen(v.rule) >= sizeof v.rule) abort();
    *sum += (size_t)v.line + strlen(v.rule);
    size_t len = strlen(path);
    char *out = malloc(len + 2); /* the size the header promises is enough */
    if (out == NULL) return;
    int n = robots_path_from_url(path, out, len + 2);
    if (n < 1 || (size_t)n != strlen(out) || out[0] != '/') abort();
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const tokens[] = {"feedarc", NULL, "FeedArc/2.0 (+x)"};
    static const char *const fixed[] = {"/",           "/private/public", "/private/x",
                                        "/drafts/a",   "/a.pdf",          "/a.pdf?x=1",
                                        "/robots.txt", "/%E3%83%84",      "/$"};
    fuzz_input in = {data, size};
    const char *token = tokens[fuzz_byte(&in) % 3];
    const uint8_t *nul = in.n ? memchr(in.p, 0, in.n) : NULL;
    size_t body_len = nul ? (size_t)(nul - in.p) : in.n;
    /* exactly the body's size, not NUL-terminated */
    char *body = malloc(body_len ? body_len : 1);
    if (body == NULL) return 0;
    if (body_len) memcpy(body, in.p, body_len);
    robots_rules *r = robots_rules_parse(body_len ? body : NULL, body_len, token);
    free(body);
    if (r == NULL) return 0;
    size_t sum = (size_t)robots_rules_crawl_delay_ms(r);
    const char *const *maps;
    size_t nmaps = robots_rules_sitemaps(r, &maps);
    for (size_t i = 0; i < nmaps; i++)
        sum += strlen(maps[i]);
    robots_stats st;
    robots_rules_stats(r, &st);
    if (nul == NULL) {
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
            check(r, fixed[i], &sum);
    } else {
        in.p = nul + 1;
        in.n -= body_len + 1;
        for (int k = 0; k < FUZZ_ROBOTS_MAX_PATHS && in.n > 0; k++) {
            char *path = fuzz_take_until(&in, 0);
            if (path == NULL) break;
            check(r, path, &sum);
            free(path);
        }
    }
    robots_rules_free(r);
    return 0;
}
