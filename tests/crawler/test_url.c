/* test_url.c - crawler/url.c on its own: reference resolution against the
 * examples of RFC 3986 section 5.4 (normal and abnormal), fragments never
 * kept, queries kept as written, only http and https, the FA_URL_MAX
 * ceiling, percent-encoding and IDN hosts as libcurl's URL API leaves
 * them, host keys, and the SURT key the index files resolved URLs under.
 * Every URL the crawler fetches passes url_resolve, so a resolved URL must
 * resolve to itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "common/fa_limits.h"
#include "crawler/url.h"
#include "storage/cdxj.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ref_case {
    const char *ref;
    const char *want; /* NULL: rejected with FA_EINVAL */
} ref_case;

#define RFC_BASE "http://a/b/c/d;p?q"

/* ref against base must give want, and want must resolve to itself. */
static void check(const char *base, const ref_case *c)
{
    char *out = NULL;
    int rc = url_resolve(base, c->ref, &out);
    if (c->want == NULL) {
        if (rc != FA_EINVAL)
            fail_msg("\"%s\" against \"%s\": %d \"%s\", want FA_EINVAL", c->ref,
                     base ? base : "(none)", rc, out ? out : "");
        return;
    }
    if (rc != 0)
        fail_msg("\"%s\" against \"%s\": %d, want \"%s\"", c->ref, base ? base : "(none)", rc,
                 c->want);
    if (strcmp(out, c->want) != 0)
        fail_msg("\"%s\" against \"%s\": \"%s\", want \"%s\"", c->ref, base ? base : "(none)",
                 out, c->want);
    char *again = NULL;
    assert_int_equal(url_resolve(NULL, out, &again), 0);
    assert_string_equal(again, out);
    free(again);
    free(out);
}

/* RFC 3986 5.4.1, with the fragment dropped from every result (it is never
 * sent) and "g:h" refused (not http). */
static void rfc3986_normal_examples(void **state)
{
    (void)state;
    const ref_case cases[] = {
        {"g:h", NULL},
        {"g", "http://a/b/c/g"},
        {"./g", "http://a/b/c/g"},
        {"g/", "http://a/b/c/g/"},
        {"/g", "http://a/g"},
        {"//g", "http://g/"},
        {"?y", "http://a/b/c/d;p?y"},
        {"g?y", "http://a/b/c/g?y"},
        {"#s", "http://a/b/c/d;p?q"},
        {"g#s", "http://a/b/c/g"},
        {"g?y#s", "http://a/b/c/g?y"},
        {";x", "http://a/b/c/;x"},
        {"g;x", "http://a/b/c/g;x"},
        {"g;x?y#s", "http://a/b/c/g;x?y"},
        {"", "http://a/b/c/d;p?q"},
        {".", "http://a/b/c/"},
        {"./", "http://a/b/c/"},
        {"..", "http://a/b/"},
        {"../", "http://a/b/"},
        {"../g", "http://a/b/g"},
        {"../..", "http://a/"},
        {"../../", "http://a/"},
        {"../../g", "http://a/g"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check(RFC_BASE, &cases[i]);
}

/* RFC 3986 5.4.2: more ".." than the path has, dot segments inside names,
 * dots in the query and the fragment (not segments there). */
static void rfc3986_abnormal_examples(void **state)
{
    (void)state;
    const ref_case cases[] = {
        {"../../../g", "http://a/g"},
        {"../../../../g", "http://a/g"},
        {"/./g", "http://a/g"},
        {"/../g", "http://a/g"},
        {"g.", "http://a/b/c/g."},
        {".g", "http://a/b/c/.g"},
        {"g..", "http://a/b/c/g.."},
        {"..g", "http://a/b/c/..g"},
        {"./../g", "http://a/b/g"},
        {"./g/.", "http://a/b/c/g/"},
        {"g/./h", "http://a/b/c/g/h"},
        {"g/../h", "http://a/b/c/h"},
        {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
        {"g;x=1/../y", "http://a/b/c/y"},
        {"g?y/./x", "http://a/b/c/g?y/./x"},
        {"g?y/../x", "http://a/b/c/g?y/../x"},
        {"g#s/./x", "http://a/b/c/g"},
        {"g#s/../x", "http://a/b/c/g"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check(RFC_BASE, &cases[i]);
    /* "http:g": the strict reading is a URL without a host (refused), the
     * lenient one "http://a/b/c/g"; either is safe, anything else is not */
    char *out = NULL;
    int rc = url_resolve(RFC_BASE, "http:g", &out);
    assert_true(rc == FA_EINVAL || (rc == 0 && strcmp(out, "http://a/b/c/g") == 0));
    free(out);
}

/* A fragment-only link is the document itself (a feed item linking
 * "#comments" must not become the folder's URL); a same-document link of a
 * base without a query or a path. */
static void fragments_and_queries(void **state)
{
    (void)state;
    const char *base = "https://example.com/news/item.html?id=7&lang=en#top";
    const ref_case cases[] = {
        {"#comments", "https://example.com/news/item.html?id=7&lang=en"},
        {"", "https://example.com/news/item.html?id=7&lang=en"},
        {"?id=8", "https://example.com/news/item.html?id=8"},
        {"other.html#x", "https://example.com/news/other.html"},
        {"?a=1&b=2&a=3", "https://example.com/news/item.html?a=1&b=2&a=3"},
        {"/?", "https://example.com/"}, /* an empty query is dropped */
        {"https://example.com/p?q=a%20b#f", "https://example.com/p?q=a%20b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check(base, &cases[i]);
    ref_case bare = {"#x", "http://example.com/"};
    check("http://example.com", &bare);
    ref_case q = {"#x", "http://example.com/?q"};
    check("http://example.com/?q", &q);
}

/* Only http and https, whichever case; a relative reference needs a base. */
static void schemes_and_bases(void **state)
{
    (void)state;
    const ref_case cases[] = {
        {"ftp://example.com/f", NULL},
        {"file:///etc/passwd", NULL},
        {"javascript:alert(1)", NULL},
        {"mailto:someone@example.com", NULL},
        {"data:text/plain,hi", NULL},
        {"gopher://example.com/", NULL},
        {"http://", NULL},
        {"HTTP://example.com/x", "http://example.com/x"},
        {"HtTpS://example.com/x", "https://example.com/x"},
        {"http://example.com", "http://example.com/"},
        {"http://[::1]:8080/x", "http://[::1]:8080/x"},
        {"http://127.0.0.1:1/", "http://127.0.0.1:1/"},
        {"http://user:pw@example.com/", "http://user:pw@example.com/"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check(NULL, &cases[i]);
        check("https://base.example/dir/", &cases[i]);
    }
    const ref_case relative[] = {{"g", NULL}, {"/x", NULL}, {"//h/x", NULL}, {"", NULL},
                                 {"#f", NULL}};
    for (size_t i = 0; i < sizeof relative / sizeof relative[0]; i++)
        check(NULL, &relative[i]);
    /* a base that is not http(s) or not a URL gives nothing */
    ref_case g = {"g", NULL};
    check("ftp://example.com/dir/", &g);
    char *out = NULL;
    assert_int_equal(url_resolve("not a url at all", "g", &out), FA_EINVAL);
    assert_null(out);
}

/* Percent-encoding is passed on as written (neither decoded nor re-cased,
 * "%2e%2e" is no dot segment); a space or a line break is refused; a
 * non-ASCII path or an IDN host is kept as UTF-8 (libcurl converts the
 * host at connect time). */
static void encoding_and_idn(void **state)
{
    (void)state;
    const ref_case cases[] = {
        {"http://example.com/%7Efoo", "http://example.com/%7Efoo"},
        {"http://example.com/a/%2e%2e/b", "http://example.com/a/%2e%2e/b"},
        {"http://example.com/a/%2E%2E/b", "http://example.com/a/%2E%2E/b"},
        {"http://example.com/caf%C3%A9", "http://example.com/caf%C3%A9"},
        {"http://example.com/caf\xc3\xa9", "http://example.com/caf\xc3\xa9"},
        {"http://b\xc3\xbc"
         "cher.de/",
         "http://b\xc3\xbc"
         "cher.de/"},
        {"http://xn--bcher-kva.de/", "http://xn--bcher-kva.de/"},
        {"http://example.com/a b", NULL},
        {"http://example.com/a\nb", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check(NULL, &cases[i]);
}

/* The URL ceiling: FA_URL_MAX - 1 characters pass, FA_URL_MAX do not,
 * whether the length comes from the reference or from resolving it. */
static void url_ceiling(void **state)
{
    (void)state;
    const char *prefix = "http://example.com/";
    size_t plen = strlen(prefix);
    char *u = malloc(FA_URL_MAX + 2);
    assert_non_null(u);
    memcpy(u, prefix, plen);
    memset(u + plen, 'a', FA_URL_MAX + 1 - plen);
    char *out = NULL;
    u[FA_URL_MAX - 1] = '\0'; /* strlen FA_URL_MAX - 1 */
    assert_int_equal(url_resolve(NULL, u, &out), 0);
    assert_int_equal(strlen(out), FA_URL_MAX - 1);
    free(out);
    out = NULL;
    u[FA_URL_MAX - 1] = 'a';
    u[FA_URL_MAX] = '\0'; /* strlen FA_URL_MAX */
    assert_int_equal(url_resolve(NULL, u, &out), FA_ETOOBIG);
    assert_null(out);
    /* a short reference that the base makes too long */
    u[FA_URL_MAX - 2] = '/';
    u[FA_URL_MAX - 1] = '\0';
    assert_int_equal(url_resolve(u, "b", &out), FA_ETOOBIG);
    assert_null(out);
    assert_int_equal(url_resolve(u, "/b", &out), 0);
    assert_string_equal(out, "http://example.com/b");
    free(out);
    free(u);
}

static void host_keys(void **state)
{
    (void)state;
    const ref_case cases[] = {
        {"http://Example.COM/a?b#c", "http://example.com:80"},
        {"HTTPS://example.com/", "https://example.com:443"},
        {"http://example.com:8080/", "http://example.com:8080"},
        {"https://example.com:80/", "https://example.com:80"},
        {"http://[::1]:9/x", "http://[::1]:9"},
        {"http://127.0.0.1/", "http://127.0.0.1:80"},
        {"http://user:pw@example.com/", "http://example.com:80"},
        {"ftp://example.com/", NULL},
        {"example.com", NULL},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char key[128];
        int rc = url_host_key(cases[i].ref, key, sizeof key);
        if (cases[i].want == NULL) {
            assert_int_equal(rc, FA_EINVAL);
            continue;
        }
        if (rc != 0)
            fail_msg("%s: %d", cases[i].ref, rc);
        assert_string_equal(key, cases[i].want);
    }
    /* out too small by one byte, and just large enough */
    char key[sizeof "http://example.com:80"];
    assert_int_equal(url_host_key("http://example.com/", key, sizeof key - 1), FA_EINVAL);
    assert_int_equal(url_host_key("http://example.com/", key, sizeof key), 0);
    assert_string_equal(key, "http://example.com:80");
}

/* The SURT key the CDXJ index files a resolved URL under: the host
 * reversed and lowercased, the rest kept, so the same page found through
 * two spellings of its host is one key. */
static void surt_of_resolved(void **state)
{
    (void)state;
    char *a = NULL, *b = NULL, sa[256], sb[256];
    assert_int_equal(url_resolve("http://WWW.Example.com/news/", "../p?x=1#f", &a), 0);
    assert_int_equal(url_resolve(NULL, "http://www.example.com/p?x=1", &b), 0);
    assert_int_equal(cdxj_surt(a, sa, sizeof sa), 0);
    assert_int_equal(cdxj_surt(b, sb, sizeof sb), 0);
    assert_string_equal(sa, sb);
    assert_non_null(strstr(sa, "com,example"));
    assert_null(strchr(sa, '#'));
    free(a);
    free(b);
}

/* What url_resolve normalises and what it leaves as written (libcurl 7.88):
 * the scheme is lowercased and an empty path becomes "/", dot segments go;
 * an empty query is dropped; the host's case and an explicit default port
 * are kept as written, so two spellings of one page are two URLs for the
 * state and the seen-sets (the host key folds both; the SURT key the
 * host's case). */
static void normalisation(void **state)
{
    (void)state;
    const ref_case cases[] = {
        {"HTTP://example.com", "http://example.com/"},
        {"http://example.com/a/./b/../c", "http://example.com/a/c"},
        {"http://EXAMPLE.com/x", "http://EXAMPLE.com/x"},
        {"http://example.com:80/x", "http://example.com:80/x"},
        {"https://example.com:443/x", "https://example.com:443/x"},
        {"http://example.com/x?", "http://example.com/x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check(NULL, &cases[i]);
    char a[64], b[64];
    assert_int_equal(url_host_key("http://EXAMPLE.com:80/x", a, sizeof a), 0);
    assert_int_equal(url_host_key("http://example.com/x", b, sizeof b), 0);
    assert_string_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc3986_normal_examples), cmocka_unit_test(rfc3986_abnormal_examples),
        cmocka_unit_test(fragments_and_queries),   cmocka_unit_test(schemes_and_bases),
        cmocka_unit_test(encoding_and_idn),        cmocka_unit_test(url_ceiling),
        cmocka_unit_test(host_keys),               cmocka_unit_test(surt_of_resolved),
        cmocka_unit_test(normalisation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
