/* test_robots.c - robots.txt parsing and matching (crawler/robots/robots_rules.h).
 *
 * `test_robots` (every checkout): the project's own RFC 9309 cases in
 * data/rfc9309_cases.txt, the RFC 9309 §5 examples, verdict details, group
 * selection, Crawl-delay, Sitemap lines, every ceiling (body, line, rules,
 * sitemaps), patterns built to make a naive matcher explode, and the
 * allow_all / disallow_all constructors.
 *
 * `test_robots conformance` (ctest: test_robots_conformance): the 145
 * matcher cases and the auxiliary cases transcribed from Google's reference
 * parser tests, read from $FEEDARC_ROBOTS_CONFORMANCE or
 * $FEEDARC_SOURCE_DIR/../shared/conformance/robots/ - beside the
 * repository, not in it, so a fresh clone has none: then it exits 77
 * (skipped) and says why.  Every ID_ (RFC 9309) case must pass; the
 * GoogleOnly_ cases we deliberately do not follow are listed in
 * known_deviations[] and asserted to still deviate, so the list cannot
 * drift silently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "crawler/robots/robots_internal.h"
#include "crawler/robots/robots_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_tree.h>

/* ---- harness ---- */

static char *read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fa_buf b;
    fa_buf_init(&b, 16u << 20);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        assert_int_equal(fa_buf_append(&b, chunk, got), 0);
    fclose(f);
    return fa_buf_steal(&b, len_out);
}

/* The folder of the reference cases: $FEEDARC_ROBOTS_CONFORMANCE, else
 * $FEEDARC_SOURCE_DIR/../shared/conformance/robots (beside the repository;
 * a fresh clone has none: `test_robots conformance` then exits 77). */
static int conformance_dir(char *out, size_t outlen)
{
    const char *dir = getenv("FEEDARC_ROBOTS_CONFORMANCE");
    const char *src = getenv("FEEDARC_SOURCE_DIR");
    if (dir != NULL && *dir)
        snprintf(out, outlen, "%s", dir);
    else if (src != NULL)
        snprintf(out, outlen, "%s/../shared/conformance/robots", src);
    else
        return -1;
    return 0;
}

/* Reads a conformance file; a missing one fails the test with a message
 * naming where it was looked for. */
static char *read_conformance(const char *name, size_t *len)
{
    char dir[4096], path[4200];
    if (conformance_dir(dir, sizeof dir) < 0)
        fail_msg("FEEDARC_SOURCE_DIR is not set (run the test under ctest)");
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *data = read_file(path, len);
    if (data == NULL) fail_msg("conformance file %s is missing", path);
    return data;
}

static const char *json_str(yajl_val obj, const char *key)
{
    const char *p[] = {key, NULL};
    yajl_val v = yajl_tree_get(obj, p, yajl_t_string);
    return v != NULL ? YAJL_GET_STRING(v) : NULL;
}

static int json_int(yajl_val obj, const char *key, int dflt)
{
    const char *p[] = {key, NULL};
    yajl_val v = yajl_tree_get(obj, p, yajl_t_number);
    return v != NULL ? (int)YAJL_GET_INTEGER(v) : dflt;
}

/* Allowed for a whole URL, as the reference tests ask it. */
static int url_allowed(const char *robotstxt, size_t len, const char *agent, const char *url)
{
    size_t cap = strlen(url) + 2;
    char *path = malloc(cap);
    assert_non_null(path);
    assert_true(robots_path_from_url(url, path, cap) > 0);
    robots_rules *r = robots_rules_parse(robotstxt, len, agent);
    assert_non_null(r);
    int allowed = robots_rules_allowed(r, path);
    robots_rules_free(r);
    free(path);
    return allowed;
}

static int allowed_for(const char *robotstxt, const char *agent, const char *path)
{
    robots_rules *r = robots_rules_parse(robotstxt, strlen(robotstxt), agent);
    assert_non_null(r);
    int allowed = robots_rules_allowed(r, path);
    robots_rules_free(r);
    return allowed;
}

/* ---- conformance: the matcher cases ---- */

/* GoogleOnly_ cases we deliberately do not follow (test name, line). */
static const struct {
    const char *test;
    int line;
    const char *why;
} known_deviations[] = {
    {"GoogleOnly_IndexHTMLisDirectory", 505,
     "an allow for /dir/index.html is not stretched to allow /dir/ too: RFC 9309 has no such "
     "rule and it would fetch a URL the rules disallow"},
};

static int deviation_index(const char *test, int line)
{
    for (size_t i = 0; i < sizeof known_deviations / sizeof known_deviations[0]; i++)
        if (strcmp(known_deviations[i].test, test) == 0 && known_deviations[i].line == line)
            return (int)i;
    return -1;
}

static void conformance_matcher(void **state)
{
    (void)state;
    size_t len;
    char *data = read_conformance("robots_test_cases.jsonl", &len);
    int id_total = 0, id_pass = 0, google_total = 0, google_pass = 0, deviated = 0, failures = 0;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char err[256];
        yajl_val obj = yajl_tree_parse(line, err, sizeof err);
        if (obj == NULL) fail_msg("robots_test_cases.jsonl: bad JSON: %s", err);
        const char *test = json_str(obj, "test");
        const char *robotstxt = json_str(obj, "robotstxt");
        const char *agent = json_str(obj, "useragent");
        const char *url = json_str(obj, "url");
        int src_line = json_int(obj, "line", 0);
        const char *p[] = {"expect_allowed", NULL};
        yajl_val want_v = yajl_tree_get(obj, p, yajl_t_any);
        assert_non_null(test);
        assert_non_null(robotstxt);
        assert_non_null(agent);
        assert_non_null(url);
        assert_true(want_v != NULL && (YAJL_IS_TRUE(want_v) || YAJL_IS_FALSE(want_v)));
        int want = YAJL_IS_TRUE(want_v);
        int got = url_allowed(robotstxt, strlen(robotstxt), agent, url);
        int is_id = strncmp(test, "ID_", 3) == 0;
        int dev = deviation_index(test, src_line);
        if (is_id) {
            id_total++;
            id_pass += got == want;
        } else {
            google_total++;
            google_pass += got == want;
        }
        if (dev >= 0) {
            deviated++;
            if (got == want) {
                printf("DRIFT %s line %d now passes: remove it from known_deviations\n", test,
                       src_line);
                failures++;
            }
        } else if (got != want) {
            printf("FAIL %s line %d: got %s, want %s (agent \"%s\", url \"%.80s\")\n", test,
                   src_line, got ? "allowed" : "disallowed", want ? "allowed" : "disallowed", agent,
                   url);
            failures++;
        }
        yajl_tree_free(obj);
    }
    free(data);
    printf("conformance: ID_ %d/%d pass; GoogleOnly_ %d/%d pass, %d deliberate deviation(s)\n",
           id_pass, id_total, google_pass, google_total, deviated);
    for (size_t i = 0; i < sizeof known_deviations / sizeof known_deviations[0]; i++)
        printf("  deviation: %s line %d: %s\n", known_deviations[i].test, known_deviations[i].line,
               known_deviations[i].why);
    assert_int_equal(failures, 0);
    assert_int_equal(id_total, 72);
    assert_int_equal(id_pass, id_total);
    assert_int_equal(id_total + google_total, 145);
    assert_int_equal(deviated, (int)(sizeof known_deviations / sizeof known_deviations[0]));
    assert_int_equal(google_pass, google_total - deviated);
}

/* ---- conformance: the auxiliary cases ---- */

static yajl_val aux_cases(char **data_out)
{
    size_t len;
    *data_out = read_conformance("robots_aux_cases.json", &len);
    char err[256];
    yajl_val root = yajl_tree_parse(*data_out, err, sizeof err);
    if (root == NULL) fail_msg("robots_aux_cases.json: bad JSON: %s", err);
    return root;
}

static yajl_val aux_array(yajl_val root, const char *key)
{
    const char *p[] = {key, NULL};
    yajl_val v = yajl_tree_get(root, p, yajl_t_array);
    if (v == NULL) fail_msg("robots_aux_cases.json: no array \"%s\"", key);
    return v;
}

/* The two strings of a ["in", "out"] pair; fails on anything else. */
static void json_pair(yajl_val pair, const char **first, const char **second)
{
    if (!YAJL_IS_ARRAY(pair) || YAJL_GET_ARRAY(pair)->len != 2 ||
        !YAJL_IS_STRING(YAJL_GET_ARRAY(pair)->values[0]) ||
        !YAJL_IS_STRING(YAJL_GET_ARRAY(pair)->values[1]))
        fail_msg("robots_aux_cases.json: expected a pair of strings");
    *first = YAJL_GET_STRING(YAJL_GET_ARRAY(pair)->values[0]);
    *second = YAJL_GET_STRING(YAJL_GET_ARRAY(pair)->values[1]);
}

static void conformance_path_from_url(void **state)
{
    (void)state;
    char *data;
    yajl_val root = aux_cases(&data);
    yajl_val cases = aux_array(root, "get_path_params_query");
    assert_true(YAJL_GET_ARRAY(cases)->len >= 19);
    for (size_t i = 0; i < YAJL_GET_ARRAY(cases)->len; i++) {
        yajl_val pair = YAJL_GET_ARRAY(cases)->values[i];
        const char *url, *want;
        json_pair(pair, &url, &want);
        char out[512];
        int rc = robots_path_from_url(url, out, sizeof out);
        if (rc < 0 || strcmp(out, want) != 0)
            fail_msg("path of \"%s\": got \"%s\" (rc %d), want \"%s\"", url, out, rc, want);
        assert_int_equal(rc, (int)strlen(want));
    }
    yajl_tree_free(root);
    free(data);
}

static void conformance_escape_pattern(void **state)
{
    (void)state;
    char *data;
    yajl_val root = aux_cases(&data);
    yajl_val cases = aux_array(root, "maybe_escape_pattern");
    assert_true(YAJL_GET_ARRAY(cases)->len >= 4);
    for (size_t i = 0; i < YAJL_GET_ARRAY(cases)->len; i++) {
        yajl_val pair = YAJL_GET_ARRAY(cases)->values[i];
        const char *in, *want;
        json_pair(pair, &in, &want);
        fa_buf b;
        fa_buf_init(&b, 1024);
        assert_int_equal(robots__escape_pattern(in, strlen(in), &b), 0);
        assert_string_equal(b.data, want);
        fa_buf_free(&b);
    }
    yajl_tree_free(root);
    free(data);
}

/* The file stands raw bytes 0x80-0xFF as \u0080-\u00FF (see its _note):
 * turns yajl's UTF-8 for those back into single bytes, in place. */
static size_t latin1_bytes(char *s)
{
    unsigned char *r = (unsigned char *)s, *w = r;
    while (*r) {
        if ((r[0] == 0xC2 || r[0] == 0xC3) && (r[1] & 0xC0) == 0x80) {
            *w++ = (unsigned char)(((r[0] & 0x03) << 6) | (r[1] & 0x3F));
            r += 2;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return (size_t)(w - (unsigned char *)s);
}

static void conformance_parse_stats(void **state)
{
    (void)state;
    char *data;
    yajl_val root = aux_cases(&data);
    yajl_val cases = aux_array(root, "parse_stats");
    assert_true(YAJL_GET_ARRAY(cases)->len >= 12);
    for (size_t i = 0; i < YAJL_GET_ARRAY(cases)->len; i++) {
        yajl_val c = YAJL_GET_ARRAY(cases)->values[i];
        const char *name = json_str(c, "name");
        const char *text = json_str(c, "robotstxt");
        const char *hex = json_str(c, "robotstxt_hex_prefix");
        assert_non_null(name);
        assert_non_null(text);
        char body[4096];
        size_t n = 0;
        for (size_t k = 0; hex != NULL && hex[k] && hex[k + 1]; k += 2) {
            char two[3] = {hex[k], hex[k + 1], '\0'}, *end;
            unsigned long v = strtoul(two, &end, 16);
            assert_true(*end == '\0' && v <= 0xFF);
            body[n++] = (char)v;
        }
        char copy[4096];
        size_t text_len = strlen(text);
        assert_true(text_len < sizeof copy);
        memcpy(copy, text, text_len + 1);
        size_t tlen = latin1_bytes(copy);
        assert_true(n + tlen < sizeof body);
        memcpy(body + n, copy, tlen);
        n += tlen;

        robots_rules *r = robots_rules_parse(body, n, "foo");
        assert_non_null(r);
        robots_stats st;
        robots_rules_stats(r, &st);
        int want_valid = json_int(c, "valid_directives", -1);
        int want_unknown = json_int(c, "unknown_directives", -1);
        int want_last = json_int(c, "last_line_seen", -1);
        const char *want_sitemap = json_str(c, "sitemap");
        if (want_valid >= 0 && (int)st.valid_directives != want_valid)
            fail_msg("%s: %u valid directives, want %d", name, st.valid_directives, want_valid);
        if (want_unknown >= 0 && (int)st.unknown_directives != want_unknown)
            fail_msg("%s: %u unknown directives, want %d", name, st.unknown_directives,
                     want_unknown);
        if (want_last >= 0 && (int)st.last_directive_line != want_last)
            fail_msg("%s: last line %u, want %d", name, st.last_directive_line, want_last);
        if (want_sitemap != NULL) {
            const char *const *maps;
            assert_int_equal(robots_rules_sitemaps(r, &maps), 1);
            assert_string_equal(maps[0], want_sitemap);
        }
        /* Where the BOM was skipped, the foo group's allow applies. */
        if (hex != NULL && want_valid == 2) {
            robots_verdict v;
            robots_rules_check(r, "/AnyValue", &v);
            assert_int_equal(v.reason, ROBOTS_BY_RULE);
            assert_int_equal(v.line, 2);
        }
        robots_rules_free(r);
    }
    yajl_tree_free(root);
    free(data);
}

/* ---- RFC 9309 §5 ---- */

static const char rfc_simple[] = "User-Agent: *\n"
                                 "Disallow: *.gif$\n"
                                 "Disallow: /example/\n"
                                 "Allow: /publications/\n"
                                 "\n"
                                 "User-Agent: foobot\n"
                                 "Disallow:/\n"
                                 "Allow:/example/page.html\n"
                                 "Allow:/example/allowed.gif\n"
                                 "\n"
                                 "User-Agent: barbot\n"
                                 "User-Agent: bazbot\n"
                                 "Disallow: /example/page.html\n"
                                 "\n"
                                 "User-Agent: quxbot\n"
                                 "\n"
                                 "EOF\n";

static void rfc_example_simple(void **state)
{
    (void)state;
    /* foobot: everything but the two allowed files. */
    assert_true(allowed_for(rfc_simple, "foobot", "/example/page.html"));
    assert_true(allowed_for(rfc_simple, "foobot", "/example/allowed.gif"));
    assert_false(allowed_for(rfc_simple, "foobot", "/"));
    assert_false(allowed_for(rfc_simple, "foobot", "/example/other.html"));
    assert_false(allowed_for(rfc_simple, "FOOBOT", "/publications/"));
    /* barbot and bazbot share a group; the "*" rules do not apply to them. */
    assert_false(allowed_for(rfc_simple, "barbot", "/example/page.html"));
    assert_false(allowed_for(rfc_simple, "bazbot", "/example/page.html"));
    assert_true(allowed_for(rfc_simple, "barbot", "/example/"));
    assert_true(allowed_for(rfc_simple, "bazbot", "/pic.gif"));
    /* quxbot has an empty group: allowed everything. */
    assert_true(allowed_for(rfc_simple, "quxbot", "/example/page.html"));
    assert_true(allowed_for(rfc_simple, "quxbot", "/a.gif"));
    /* Anyone else: the "*" group. */
    assert_false(allowed_for(rfc_simple, "otherbot", "/example/"));
    assert_false(allowed_for(rfc_simple, "otherbot", "/img/a.gif"));
    assert_true(allowed_for(rfc_simple, "otherbot", "/img/a.gif?x"));
    assert_true(allowed_for(rfc_simple, "otherbot", "/publications/"));
    assert_true(allowed_for(rfc_simple, "otherbot", "/news"));
    assert_true(allowed_for(rfc_simple, NULL, "/news"));
}

static void rfc_example_longest_match(void **state)
{
    (void)state;
    const char *txt = "User-Agent: foobot\n"
                      "Allow: /example/page/\n"
                      "Disallow: /example/page/disallowed.gif\n";
    assert_true(allowed_for(txt, "foobot", "/example/page/"));
    assert_true(allowed_for(txt, "foobot", "/example/page/other.gif"));
    assert_false(allowed_for(txt, "foobot", "/example/page/disallowed.gif"));
    assert_true(allowed_for(txt, "foobot", "/elsewhere"));
}

static void rfc_special_characters(void **state)
{
    (void)state;
    /* RFC 9309 §2.2.3 */
    const char *txt = "user-agent: a\n"
                      "disallow: /path\n"
                      "disallow: /*.php$\n"
                      "disallow: /fish*.html\n"
                      "disallow: /a$b\n";
    assert_false(allowed_for(txt, "a", "/path"));
    assert_false(allowed_for(txt, "a", "/path/file"));
    assert_false(allowed_for(txt, "a", "/pathology"));
    assert_true(allowed_for(txt, "a", "/Path"));
    assert_false(allowed_for(txt, "a", "/x/y.php"));
    assert_true(allowed_for(txt, "a", "/x/y.php?z"));
    assert_true(allowed_for(txt, "a", "/x/y.php5"));
    assert_false(allowed_for(txt, "a", "/fishy/cat.html"));
    assert_true(allowed_for(txt, "a", "/fish.htm"));
    /* '$' inside a pattern is an ordinary octet */
    assert_false(allowed_for(txt, "a", "/a$b"));
    assert_false(allowed_for(txt, "a", "/a$bc"));
    assert_true(allowed_for(txt, "a", "/ab"));
}

/* ---- our own cases ---- */

/* tests/robots/data/rfc9309_cases.txt (format in its top comment). */
static void rfc9309_case_file(void **state)
{
    (void)state;
    const char *data_dir = getenv("FEEDARC_TEST_DATA");
    if (data_dir == NULL) fail_msg("FEEDARC_TEST_DATA is not set (run the test under ctest)");
    char path[4096];
    snprintf(path, sizeof path, "%s/robots/data/rfc9309_cases.txt", data_dir);
    size_t len;
    char *data = read_file(path, &len);
    if (data == NULL) fail_msg("%s is missing", path);
    fa_buf txt;
    fa_buf_init(&txt, 1 << 20);
    char name[256] = "", agent[256] = "";
    int in_txt = 0, have_agent = 0, cases = 0, checks = 0, failures = 0;
    robots_rules *r = NULL;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "=== ", 4) == 0) {
            snprintf(name, sizeof name, "%s", line + 4);
            fa_buf_reset(&txt);
            in_txt = 1;
            cases++;
        } else if (strncmp(line, "--- agent", 9) == 0) {
            in_txt = 0;
            have_agent = line[9] == ' ';
            snprintf(agent, sizeof agent, "%s", have_agent ? line + 10 : "");
            robots_rules_free(r);
            r = robots_rules_parse(txt.data ? txt.data : "", txt.len,
                                   have_agent ? agent : NULL);
            assert_non_null(r);
        } else if (in_txt) {
            assert_int_equal(fa_buf_append(&txt, line, strlen(line)), 0);
            assert_int_equal(fa_buf_append(&txt, "\n", 1), 0);
        } else if (line[0] == '#' || line[0] == '\0') {
            continue;
        } else {
            int want = strncmp(line, "allow ", 6) == 0;
            const char *p = strchr(line, ' ');
            if (r == NULL || p == NULL || (!want && strncmp(line, "disallow ", 9) != 0))
                fail_msg("%s: bad line \"%s\"", path, line);
            checks++;
            if (robots_rules_allowed(r, p + 1) != want) {
                printf("FAIL %s: agent \"%s\": %s should be %s\n", name, agent, p + 1,
                       want ? "allowed" : "disallowed");
                failures++;
            }
        }
    }
    robots_rules_free(r);
    fa_buf_free(&txt);
    free(data);
    printf("rfc9309_cases.txt: %d cases, %d checks, %d failed\n", cases, checks, failures);
    assert_true(cases >= 15);
    assert_int_equal(failures, 0);
}

static void verdict_details(void **state)
{
    (void)state;
    const char *txt = "# shop\n"
                      "User-agent: *\r\n"
                      "Disallow: /private/   # staff only\r\n"
                      "ALLOW: /private/public\r\n"
                      "Disallow: /ツ\r\n";
    robots_rules *r = robots_rules_parse(txt, strlen(txt), "feedarc");
    assert_non_null(r);
    robots_verdict v;
    robots_rules_check(r, "/private/a", &v);
    assert_int_equal(v.allowed, 0);
    assert_int_equal(v.reason, ROBOTS_BY_RULE);
    assert_int_equal(v.line, 3);
    assert_string_equal(v.rule, "disallow: /private/");
    robots_rules_check(r, "/private/public/x", &v);
    assert_int_equal(v.allowed, 1);
    assert_int_equal(v.line, 4);
    assert_string_equal(v.rule, "allow: /private/public");
    robots_rules_check(r, "/news", &v);
    assert_int_equal(v.allowed, 1);
    assert_int_equal(v.reason, ROBOTS_BY_DEFAULT);
    assert_int_equal(v.line, 0);
    assert_string_equal(v.rule, "");
    /* Non-ASCII patterns match the percent-encoded path, hex case aside,
     * and the verdict shows the rule as written. */
    robots_rules_check(r, "/%E3%83%84/a", &v);
    assert_int_equal(v.allowed, 0);
    assert_int_equal(v.line, 5);
    assert_string_equal(v.rule, "disallow: /ツ");
    assert_false(robots_rules_allowed(r, "/%e3%83%84"));
    /* /robots.txt is always allowed */
    robots_rules_check(r, "/robots.txt", &v);
    assert_int_equal(v.allowed, 1);
    assert_int_equal(v.reason, ROBOTS_BY_ROBOTS_TXT);
    robots_rules_free(r);

    /* A rule too long for the verdict is cut with "..." */
    char long_txt[1024];
    char pattern[601];
    memset(pattern, 'x', 600);
    pattern[0] = '/';
    pattern[600] = '\0';
    snprintf(long_txt, sizeof long_txt, "user-agent: *\ndisallow: %s\n", pattern);
    r = robots_rules_parse(long_txt, strlen(long_txt), "feedarc");
    assert_non_null(r);
    robots_rules_check(r, pattern, &v);
    assert_int_equal(v.allowed, 0);
    assert_int_equal(strlen(v.rule), ROBOTS_RULE_TEXT_MAX - 1);
    assert_int_equal(strncmp(v.rule, "disallow: /xxx", 14), 0);
    assert_string_equal(v.rule + ROBOTS_RULE_TEXT_MAX - 4, "...");
    robots_rules_free(r);
}

static void robots_txt_always_allowed(void **state)
{
    (void)state;
    const char *txt = "user-agent: *\ndisallow: /\ndisallow: /robots.txt$\n";
    assert_true(allowed_for(txt, "feedarc", "/robots.txt"));
    assert_false(allowed_for(txt, "feedarc", "/robots.txt.bak"));
    assert_false(allowed_for(txt, "feedarc", "/"));
    robots_rules *r = robots_rules_disallow_all();
    assert_non_null(r);
    assert_true(robots_rules_allowed(r, "/robots.txt"));
    robots_rules_free(r);
}

static void groups_and_agents(void **state)
{
    (void)state;
    /* Name part of the user-agent value, case-insensitive */
    const char *txt =
        "User-agent: *\nDisallow: /\n\nUser-agent: FeedArc/1.2 (+http://x)\nAllow: /\n";
    assert_true(allowed_for(txt, "feedarc", "/a"));
    assert_true(allowed_for(txt, "FEEDARC", "/a"));
    assert_false(allowed_for(txt, "feed", "/a"));
    assert_false(allowed_for(txt, "feedarcbot", "/a"));
    /* Groups for the same agent are merged, wherever they are */
    txt = "user-agent: feedarc\ndisallow: /a\n"
          "user-agent: other\ndisallow: /\n"
          "user-agent: feedarc\ndisallow: /b\n";
    assert_false(allowed_for(txt, "feedarc", "/a"));
    assert_false(allowed_for(txt, "feedarc", "/b"));
    assert_true(allowed_for(txt, "feedarc", "/c"));
    /* Rules before any user-agent line are ignored */
    txt = "disallow: /\nuser-agent: feedarc\ndisallow: /x\n";
    assert_true(allowed_for(txt, "feedarc", "/y"));
    /* An empty specific group still shadows "*" */
    txt = "user-agent: *\ndisallow: /\nuser-agent: feedarc\ndisallow:\n";
    assert_true(allowed_for(txt, "feedarc", "/y"));
    assert_false(allowed_for(txt, "other", "/y"));
    /* Missing colon accepted only for exactly two words */
    txt = "user-agent feedarc\ndisallow /x\ndisallow /y z\n";
    assert_false(allowed_for(txt, "feedarc", "/x"));
    assert_true(allowed_for(txt, "feedarc", "/y"));
    /* A common typo in the key still counts */
    txt = "useragent: feedarc\ndisalow: /x\n";
    assert_false(allowed_for(txt, "feedarc", "/x"));
    /* Bytes that are not text do not crash anything */
    const char bin[] = "user-agent: *\n\0\xff\xfe disallow: /\ndisallow: /z\x00zz\n";
    robots_rules *r = robots_rules_parse(bin, sizeof bin - 1, "feedarc");
    assert_non_null(r);
    assert_true(robots_rules_allowed(r, "/"));
    assert_false(robots_rules_allowed(r, "/z"));
    robots_rules_free(r);
}

static uint64_t delay_for(const char *txt, const char *agent)
{
    robots_rules *r = robots_rules_parse(txt, strlen(txt), agent);
    assert_non_null(r);
    uint64_t ms = robots_rules_crawl_delay_ms(r);
    robots_rules_free(r);
    return ms;
}

static void crawl_delay(void **state)
{
    (void)state;
    assert_int_equal(delay_for("user-agent: *\ncrawl-delay: 10\n", "feedarc"), 10000);
    assert_int_equal(delay_for("user-agent: *\nCrawl-Delay: 0.5\n", "feedarc"), 500);
    assert_int_equal(delay_for("user-agent: *\ncrawl-delay: 1.2345\n", "feedarc"), 1234);
    assert_int_equal(delay_for("user-agent: *\ncrawl-delay: .25\n", "feedarc"), 250);
    assert_int_equal(delay_for("user-agent: *\ncrawl-delay: 3600\n", "feedarc"), 60000);
    assert_int_equal(
        delay_for("user-agent: *\ncrawl-delay: 99999999999999999999999999\n", "feedarc"), 60000);
    assert_int_equal(delay_for("user-agent: *\ncrawl-delay: -1\n", "feedarc"), 0);
    assert_int_equal(delay_for("user-agent: *\ncrawl-delay: soon\n", "feedarc"), 0);
    assert_int_equal(delay_for("user-agent: *\ncrawl-delay: 5s\n", "feedarc"), 0);
    assert_int_equal(delay_for("user-agent: *\ncrawl-delay: .\n", "feedarc"), 0);
    assert_int_equal(delay_for("user-agent: *\ncrawl-delay:\n", "feedarc"), 0);
    assert_int_equal(delay_for("crawl-delay: 7\nuser-agent: *\n", "feedarc"), 0);
    /* The chosen group's value; the largest when merged */
    const char *txt = "user-agent: *\ncrawl-delay: 5\n"
                      "user-agent: feedarc\ncrawl-delay: 2\ndisallow: /x\n"
                      "user-agent: feedarc\ncrawl-delay: 3\n";
    assert_int_equal(delay_for(txt, "feedarc"), 3000);
    assert_int_equal(delay_for(txt, "other"), 5000);
    assert_int_equal(robots_rules_crawl_delay_ms(NULL), 0);
}

static void sitemaps(void **state)
{
    (void)state;
    const char *txt = "Sitemap: https://a.example/one.xml\n"
                      "user-agent: other\n"
                      "disallow: /\n"
                      "SITEMAP:https://a.example/two.xml   # comment\n"
                      "site-map: https://a.example/three.xml\n"
                      "sitemap:\n";
    robots_rules *r = robots_rules_parse(txt, strlen(txt), "feedarc");
    assert_non_null(r);
    const char *const *maps;
    assert_int_equal(robots_rules_sitemaps(r, &maps), 3);
    assert_string_equal(maps[0], "https://a.example/one.xml");
    assert_string_equal(maps[1], "https://a.example/two.xml");
    assert_string_equal(maps[2], "https://a.example/three.xml");
    robots_rules_free(r);

    r = robots_rules_parse("user-agent: *\n", 14, "feedarc");
    assert_int_equal(robots_rules_sitemaps(r, &maps), 0);
    assert_null(maps);
    robots_rules_free(r);

    /* Ceiling */
    fa_buf b;
    fa_buf_init(&b, 1u << 20);
    for (unsigned i = 0; i < ROBOTS_MAX_SITEMAPS + 10; i++)
        assert_int_equal(fa_buf_printf(&b, "sitemap: https://a.example/%u.xml\n", i), 0);
    r = robots_rules_parse(b.data, b.len, "feedarc");
    assert_int_equal(robots_rules_sitemaps(r, &maps), ROBOTS_MAX_SITEMAPS);
    assert_string_equal(maps[ROBOTS_MAX_SITEMAPS - 1], "https://a.example/1023.xml");
    robots_stats st;
    robots_rules_stats(r, &st);
    assert_int_equal(st.sitemaps_dropped, 10);
    robots_rules_free(r);
    fa_buf_free(&b);
}

static void body_cut_off(void **state)
{
    (void)state;
    /* A file a little over 500 KiB: a rule before the limit counts, the
     * line cut by the limit and everything after do not. */
    size_t size = ROBOTS_MAX_BODY + 4096;
    char *body = malloc(size);
    assert_non_null(body);
    size_t n = (size_t)sprintf(body, "user-agent: *\ndisallow: /early\n");
    const char straddle[] = "disallow: /straddle\n";
    size_t straddle_at = ROBOTS_MAX_BODY - 8;
    while (n < straddle_at) {
        size_t chunk = straddle_at - n > 80 ? 80 : straddle_at - n;
        memset(body + n, ' ', chunk);
        body[n] = '#';
        body[n + chunk - 1] = '\n';
        n += chunk;
    }
    memcpy(body + n, straddle, sizeof straddle - 1);
    n += sizeof straddle - 1;
    n += (size_t)sprintf(body + n, "disallow: /late\n");
    assert_true(n > ROBOTS_MAX_BODY && n < size);

    robots_rules *r = robots_rules_parse(body, n, "feedarc");
    assert_non_null(r);
    assert_false(robots_rules_allowed(r, "/early"));
    assert_true(robots_rules_allowed(r, "/straddle"));
    assert_true(robots_rules_allowed(r, "/str"));
    assert_true(robots_rules_allowed(r, "/late"));
    robots_stats st;
    robots_rules_stats(r, &st);
    assert_int_equal(st.body_truncated, 1);
    robots_rules_free(r);

    /* Exactly 500 KiB ending in a complete line: all of it counts. */
    memset(body, '#', ROBOTS_MAX_BODY + 1);
    memcpy(body, "user-agent: *\n", 14);
    memcpy(body + ROBOTS_MAX_BODY - 16, "\ndisallow: /end\n", 16);
    r = robots_rules_parse(body, ROBOTS_MAX_BODY, "feedarc");
    assert_non_null(r);
    robots_rules_stats(r, &st);
    assert_int_equal(st.body_truncated, 0);
    assert_false(robots_rules_allowed(r, "/end"));
    robots_rules_free(r);
    /* A limit that falls right before a line end keeps that line... */
    body[ROBOTS_MAX_BODY - 1] = 'x';
    body[ROBOTS_MAX_BODY] = '\n';
    r = robots_rules_parse(body, ROBOTS_MAX_BODY + 1, "feedarc");
    assert_non_null(r);
    robots_rules_stats(r, &st);
    assert_int_equal(st.body_truncated, 1);
    assert_false(robots_rules_allowed(r, "/endx"));
    robots_rules_free(r);
    /* ...one that falls inside it drops it. */
    body[ROBOTS_MAX_BODY] = 'y';
    r = robots_rules_parse(body, ROBOTS_MAX_BODY + 1, "feedarc");
    assert_non_null(r);
    assert_true(robots_rules_allowed(r, "/endx"));
    assert_true(robots_rules_allowed(r, "/end"));
    robots_rules_free(r);
    free(body);
}

static void ceilings(void **state)
{
    (void)state;
    /* Rules past ROBOTS_MAX_RULES are dropped and counted. */
    fa_buf b;
    fa_buf_init(&b, ROBOTS_MAX_BODY);
    assert_int_equal(fa_buf_puts(&b, "user-agent: *\n"), 0);
    for (unsigned i = 0; i < ROBOTS_MAX_RULES + 100; i++)
        assert_int_equal(fa_buf_printf(&b, "disallow: /%u\n", i), 0);
    robots_rules *r = robots_rules_parse(b.data, b.len, "feedarc");
    assert_non_null(r);
    robots_stats st;
    robots_rules_stats(r, &st);
    assert_int_equal(st.rules_kept, ROBOTS_MAX_RULES);
    assert_int_equal(st.rules_dropped, 100);
    assert_false(robots_rules_allowed(r, "/0"));
    assert_true(robots_rules_allowed(r, "/x"));
    robots_rules_free(r);
    fa_buf_free(&b);

    /* Lines longer than ROBOTS_MAX_LINE are cut. */
    fa_buf_init(&b, ROBOTS_MAX_BODY);
    assert_int_equal(fa_buf_puts(&b, "user-agent: *\ndisallow: /"), 0);
    for (int i = 0; i < ROBOTS_MAX_LINE; i++)
        assert_int_equal(fa_buf_append(&b, "a", 1), 0);
    assert_int_equal(fa_buf_puts(&b, "b\n"), 0);
    r = robots_rules_parse(b.data, b.len, "feedarc");
    robots_rules_stats(r, &st);
    assert_int_equal(st.long_lines, 1);
    assert_int_equal(st.rules_kept, 1);
    robots_rules_free(r);
    fa_buf_free(&b);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void pathological_patterns(void **state)
{
    (void)state;
    /* 1000 '*' then a byte the path lacks, against a 64 KiB path; and a
     * "*a*a*a...*b" pattern against "aaaa...": exponential for a
     * backtracking matcher, linear here. */
    size_t path_len = (size_t)64 * 1024;
    char *path = malloc(path_len + 1);
    assert_non_null(path);
    path[0] = '/';
    memset(path + 1, 'a', path_len - 1);
    path[path_len] = '\0';

    fa_buf b;
    fa_buf_init(&b, ROBOTS_MAX_BODY);
    assert_int_equal(fa_buf_puts(&b, "user-agent: *\ndisallow: /"), 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(fa_buf_append(&b, "*", 1), 0);
    assert_int_equal(fa_buf_puts(&b, "x\ndisallow: /"), 0);
    for (int i = 0; i < 500; i++)
        assert_int_equal(fa_buf_append(&b, "*a", 2), 0);
    assert_int_equal(fa_buf_puts(&b, "*b$\nallow: /"), 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(fa_buf_append(&b, "*", 1), 0);
    assert_int_equal(fa_buf_puts(&b, "a$\n"), 0);

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    robots_rules *r = robots_rules_parse(b.data, b.len, "feedarc");
    assert_non_null(r);
    robots_verdict v;
    robots_rules_check(r, path, &v);
    assert_int_equal(v.allowed, 1);
    assert_int_equal(v.line, 4); /* the anchored allow */
    path[path_len - 1] = 'b';
    robots_rules_check(r, path, &v);
    assert_int_equal(v.allowed, 0);
    assert_int_equal(v.line, 3);
    path[path_len - 1] = 'x';
    robots_rules_check(r, path, &v);
    assert_int_equal(v.allowed, 0);
    assert_int_equal(v.line, 2);
    robots_rules_free(r);
    fa_buf_reset(&b);
    /* The greedy matcher's worst case, O(n*m) (that matcher was replaced,
     * see long_star_rules_against_long_paths): "*aaa...ab" against
     * "aaaa...". */
    assert_int_equal(fa_buf_puts(&b, "user-agent: *\ndisallow: /*"), 0);
    for (int i = 0; i < 200; i++)
        assert_int_equal(fa_buf_append(&b, "a", 1), 0);
    assert_int_equal(fa_buf_puts(&b, "b\n"), 0);
    r = robots_rules_parse(b.data, b.len, "feedarc");
    assert_non_null(r);
    path[path_len - 1] = 'a';
    assert_true(robots_rules_allowed(r, path));
    double took = seconds_since(&t0);
    printf("pathological patterns: %.3f s\n", took);
    assert_true(took < 5.0); /* generous for sanitizer builds; ~10 ms normally */
    robots_rules_free(r);
    fa_buf_free(&b);
    free(path);
}

/* Issue 12: a 480 KB robots.txt of 30 "disallow: /(star)aaa...ab" rules (16,000
 * 'a's each) against 8,000-byte and 30 KB paths of 'a's.  The greedy
 * matcher with backtracking to the last '*' took about a second for the
 * first path and tens of seconds for the second; matching run by run with
 * a linear substring search takes well under a millisecond. */
static void long_star_rules_against_long_paths(void **state)
{
    (void)state;
    fa_buf b;
    fa_buf_init(&b, ROBOTS_MAX_BODY);
    assert_int_equal(fa_buf_puts(&b, "user-agent: *\n"), 0);
    char *run = malloc(16021);
    assert_non_null(run);
    for (int i = 0; i < 30; i++) {
        size_t n = 16020 - (size_t)i;
        memset(run, 'a', n);
        run[n] = '\0';
        assert_int_equal(fa_buf_puts(&b, "disallow: /*"), 0);
        assert_int_equal(fa_buf_puts(&b, run), 0);
        assert_int_equal(fa_buf_puts(&b, "b\n"), 0);
    }
    free(run);
    assert_true(b.len > 480000);
    robots_rules *r = robots_rules_parse(b.data, b.len, "feedarc");
    assert_non_null(r);
    const size_t lens[] = {8000, 30 * 1024};
    double worst = 0;
    for (int k = 0; k < 2; k++) {
        size_t n = lens[k];
        char *path = malloc(n + 1);
        assert_non_null(path);
        path[0] = '/';
        memset(path + 1, 'a', n - 2);
        path[n - 1] = 'c';
        path[n] = '\0';
        for (int end_b = 0; end_b < 2; end_b++) {
            int want = !(end_b && n > 20000); /* long enough for a rule, and ends in "ab" */
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            robots_verdict v;
            robots_rules_check(r, path, &v);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
            printf("%zu-byte path ending in '%c': %s in %.6f s\n", n, path[n - 1],
                   v.allowed ? "allowed" : "disallowed", took);
            if (took > worst) worst = took;
            assert_int_equal(v.allowed, want);
            if (!want) assert_int_equal(v.line, 2); /* the longest rule decides */
            path[n - 1] = 'b';
        }
        free(path);
    }
    /* generous for sanitizer builds on a busy machine; microseconds normally */
    assert_true(worst < 1.0);
    robots_rules_free(r);
    fa_buf_free(&b);
}

static void matcher_unit(void **state)
{
    (void)state;
    struct {
        const char *pattern;
        int anchored;
        const char *path;
        int want;
    } cases[] = {
        {"", 0, "/anything", 1},   {"", 1, "", 1},           {"", 1, "/", 0},
        {"/", 0, "/", 1},          {"/a", 0, "/", 0},        {"/*", 1, "/abc", 1},
        {"/a*c", 1, "/abcbc", 1},  {"/a*c", 1, "/abcb", 0},  {"*", 0, "", 1},
        {"**", 1, "x", 1},         {"/%AB", 0, "/%ab", 1},   {"/%AB", 0, "/%Ab", 1},
        {"/ab", 0, "/AB", 0},      {"/a", 0, "/%61", 0},     {"/x*%2F", 0, "/xyz%2f", 1},
        {"/*/b$", 1, "/a/b/b", 0}, {"/*/b", 1, "/a/b/b", 1}, /* anchored flag without '$' */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = robots__pattern_matches(cases[i].pattern, strlen(cases[i].pattern),
                                          cases[i].anchored, cases[i].path, strlen(cases[i].path));
        if (got != cases[i].want)
            fail_msg("pattern \"%s\"%s vs \"%s\": got %d", cases[i].pattern,
                     cases[i].anchored ? " (anchored)" : "", cases[i].path, got);
    }
}

/* The reference matcher (Google's robots.cc Matches, re-derived): the set
 * of path positions reachable after each pattern octet.  O(n*m) space. */
static int reference_matches(const char *pat, size_t m, int anchored, const char *path, size_t n)
{
    char *reach = calloc(n + 1, 1), *next = calloc(n + 1, 1);
    assert_non_null(reach);
    assert_non_null(next);
    reach[0] = 1;
    for (size_t j = 0; j < m; j++) {
        memset(next, 0, n + 1);
        int any = 0;
        for (size_t i = 0; i <= n; i++) {
            if (!reach[i]) continue;
            if (pat[j] == '*') {
                for (size_t k = i; k <= n; k++)
                    next[k] = 1;
                any = 1;
                break;
            }
            if (i < n && path[i] == pat[j]) next[i + 1] = any = 1;
        }
        char *t = reach;
        reach = next;
        next = t;
        if (!any) break;
    }
    int ok = 0;
    for (size_t i = 0; i <= n; i++)
        if (reach[i] && (!anchored || i == n)) ok = 1;
    free(reach);
    free(next);
    return ok;
}

static void matcher_differential(void **state)
{
    (void)state;
    /* Random short patterns and paths over a tiny alphabet, where every
     * corner (empty runs, adjacent stars, anchors) comes up often. */
    unsigned seed = 12345;
    char pat[16], path[24];
    for (int round = 0; round < 200000; round++) {
        seed = seed * 1103515245u + 12345u;
        size_t m = (seed >> 16) % 9, n = (seed >> 8) % 13;
        for (size_t j = 0; j < m; j++) {
            seed = seed * 1103515245u + 12345u;
            pat[j] = "ab*"[(seed >> 16) % 3u];
        }
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            path[i] = "ab"[(seed >> 16) % 2];
        }
        int anchored = (int)((seed >> 4) & 1);
        int got = robots__pattern_matches(pat, m, anchored, path, n);
        int want = reference_matches(pat, m, anchored, path, n);
        if (got != want)
            fail_msg("pattern \"%.*s\"%s vs \"%.*s\": got %d, want %d", (int)m, pat,
                     anchored ? "$" : "", (int)n, path, got, want);
    }
}

static void allow_all_disallow_all(void **state)
{
    (void)state;
    robots_rules *a = robots_rules_allow_all();
    robots_rules *d = robots_rules_disallow_all();
    assert_non_null(a);
    assert_non_null(d);
    robots_verdict v;
    robots_rules_check(a, "/private", &v);
    assert_int_equal(v.allowed, 1);
    assert_int_equal(v.reason, ROBOTS_BY_DEFAULT);
    robots_rules_check(d, "/private", &v);
    assert_int_equal(v.allowed, 0);
    assert_int_equal(v.reason, ROBOTS_BY_UNAVAILABLE);
    assert_int_equal(v.line, 0);
    assert_false(robots_rules_allowed(d, "/"));
    assert_true(robots_rules_allowed(d, "/robots.txt"));
    assert_int_equal(robots_rules_crawl_delay_ms(a), 0);
    const char *const *maps;
    assert_int_equal(robots_rules_sitemaps(d, &maps), 0);
    robots_rules_free(a);
    robots_rules_free(d);
}

/* issue 17: robots.txt is never transcoded.  A rule written in a legacy
 * encoding (here EUC-KR "/검색", and a Latin-1 e-acute) keeps matching the
 * site's URLs in that encoding, octet for octet; what is shown or fetched
 * (the verdict's rule text, Sitemap URLs) is valid UTF-8, invalid bytes
 * replaced. */
static void invalid_utf8_replaced(void **state)
{
    (void)state;
    const char *txt = "user-agent: *\ndisallow: /\xB0\xCB\xBB\xF6\ndisallow: /caf\xE9/\n"
                      "disallow: /caf\xC3\xA9s/\ndisallow: /ok/\n"
                      "sitemap: http://example.test/s\xE9.xml\n";
    assert_false(allowed_for(txt, "x", "/%B0%CB%BB%F6?q=1"));
    assert_false(allowed_for(txt, "x", "/caf%E9/menu"));
    assert_true(allowed_for(txt, "x", "/caf%C3%A9/menu"));
    assert_false(allowed_for(txt, "x", "/caf%C3%A9s/menu"));
    assert_false(allowed_for(txt, "x", "/ok/x"));
    assert_true(allowed_for(txt, "x", "/other"));
    robots_rules *r = robots_rules_parse(txt, strlen(txt), "x");
    robots_verdict v;
    robots_rules_check(r, "/caf%E9/menu", &v);
    assert_string_equal(v.rule, "disallow: /caf\xEF\xBF\xBD/");
    const char *const *sm;
    assert_int_equal(robots_rules_sitemaps(r, &sm), 1);
    assert_string_equal(sm[0], "http://example.test/s\xEF\xBF\xBD.xml");
    robots_rules_free(r);
}

static void null_and_empty(void **state)
{
    (void)state;
    robots_rules_free(NULL);
    robots_rules *r = robots_rules_parse(NULL, 0, NULL);
    assert_non_null(r);
    assert_true(robots_rules_allowed(r, NULL));
    assert_true(robots_rules_allowed(r, ""));
    robots_rules_free(r);
    /* NULL rules count as disallow_all */
    assert_false(robots_rules_allowed(NULL, "/a"));
    robots_stats st;
    robots_rules_stats(NULL, &st);
    assert_int_equal(st.valid_directives, 0);
    /* Empty path counts as "/" */
    assert_false(allowed_for("user-agent: *\ndisallow: /$\n", "x", ""));

    char out[8];
    assert_int_equal(robots_path_from_url(NULL, out, sizeof out), FA_EINVAL);
    assert_int_equal(robots_path_from_url("http://x/", NULL, 0), FA_EINVAL);
    assert_int_equal(robots_path_from_url("http://x/0123456789", out, sizeof out), FA_ETOOBIG);
    assert_string_equal(out, "");
    assert_int_equal(robots_path_from_url("http://x/012345", out, sizeof out), 7);
    assert_string_equal(out, "/012345");
    assert_int_equal(robots_path_from_url("http://x?q", out, 4), 3);
    assert_string_equal(out, "/?q");
}

/* ---- allocation failure injection ----
 * The test is linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
 * (tests.cmake), so every allocation of fa_robots and fa_common goes
 * through here; fail_at > 0 makes that allocation (counting from 1) fail. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static long alloc_count, fail_at;

static int alloc_should_fail(void)
{
    return fail_at > 0 && ++alloc_count == fail_at;
}

void *__wrap_malloc(size_t n)
{
    return alloc_should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return alloc_should_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return alloc_should_fail() ? NULL : __real_realloc(p, n);
}

static void allocation_failures(void **state)
{
    (void)state;
    /* Every allocation made while parsing fails in turn: the parser must
     * return NULL without leaking (LeakSanitizer checks in the ASan build)
     * or, when the failure hit nothing it needed, the same answers. */
    const char *txt = "sitemap: https://a.example/s.xml\n"
                      "user-agent: *\ndisallow: /x\ncrawl-delay: 1\n"
                      "user-agent: feedarc\ndisallow: /ツ\nallow: /a\n"
                      "sitemap: https://a.example/t.xml\n";
    int nulls = 0;
    for (long k = 1;; k++) {
        alloc_count = 0;
        fail_at = k;
        robots_rules *r = robots_rules_parse(txt, strlen(txt), "feedarc");
        int injected = alloc_count >= k;
        fail_at = 0;
        if (r == NULL) {
            assert_true(injected);
            nulls++;
            continue;
        }
        assert_false(robots_rules_allowed(r, "/%E3%83%84"));
        assert_true(robots_rules_allowed(r, "/x"));
        const char *const *maps;
        assert_int_equal(robots_rules_sitemaps(r, &maps), 2);
        robots_rules_free(r);
        if (!injected) break;
    }
    assert_true(nulls >= 3);
    for (long k = 1; k <= 2; k++) {
        fail_at = k;
        alloc_count = 0;
        robots_rules *a = robots_rules_allow_all();
        fail_at = 0;
        if (k == 1) assert_null(a);
        robots_rules_free(a);
    }
}

/* `test_robots` runs the project's own cases; `test_robots conformance`
 * the reference cases, or exits 77 (skipped) when they are not there. */
int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "conformance") == 0) {
        char dir[4096], path[4200];
        FILE *f = NULL;
        if (conformance_dir(dir, sizeof dir) == 0) {
            snprintf(path, sizeof path, "%s/robots_test_cases.jsonl", dir);
            f = fopen(path, "r");
        }
        if (f == NULL) {
            printf("skipped: the RFC 9309 reference cases are not in %s (they live beside the "
                   "repository, not in it; set FEEDARC_ROBOTS_CONFORMANCE to their folder). "
                   "The project's own cases run in test_robots.\n",
                   conformance_dir(dir, sizeof dir) == 0 ? dir : "(FEEDARC_SOURCE_DIR unset)");
            return 77;
        }
        fclose(f);
        const struct CMUnitTest conformance[] = {
            cmocka_unit_test(conformance_matcher),
            cmocka_unit_test(conformance_path_from_url),
            cmocka_unit_test(conformance_escape_pattern),
            cmocka_unit_test(conformance_parse_stats),
        };
        return cmocka_run_group_tests(conformance, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc9309_case_file),
        cmocka_unit_test(rfc_example_simple),
        cmocka_unit_test(rfc_example_longest_match),
        cmocka_unit_test(rfc_special_characters),
        cmocka_unit_test(verdict_details),
        cmocka_unit_test(robots_txt_always_allowed),
        cmocka_unit_test(groups_and_agents),
        cmocka_unit_test(crawl_delay),
        cmocka_unit_test(sitemaps),
        cmocka_unit_test(body_cut_off),
        cmocka_unit_test(ceilings),
        cmocka_unit_test(pathological_patterns),
        cmocka_unit_test(long_star_rules_against_long_paths),
        cmocka_unit_test(matcher_unit),
        cmocka_unit_test(matcher_differential),
        cmocka_unit_test(allow_all_disallow_all),
        cmocka_unit_test(null_and_empty),
        cmocka_unit_test(invalid_utf8_replaced),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
