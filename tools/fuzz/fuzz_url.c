/*
 * fuzz_url.c - libFuzzer target for URL handling: resolution and host keys
 * (crawler/url.c, on libcurl's URL API), the SURT key of the CDXJ index
 * (storage/cdxj.c cdxj_surt), the request path robots.txt rules are
 * matched against (robots_path_from_url), and query parameters for
 * pagination (crawler/feeds/source_parser.c source_url_with_param,
 * source_first_url).
 *
 * Input: byte 0 the SURT buffer size (small ones make FA_ETOOBIG
 * reachable), then the base URL up to the first LF, the reference up to
 * the next LF, and a parameter value.  Checks: a resolved URL resolves to
 * itself; cdxj_surt's output always fits and is NUL-terminated.  Built by
 * tools/fuzz/CMakeLists.txt; see tools/fuzz/README.md.
 *
 * A defect this harness found (fixed): with '?' inside the
 * fragment, source_url_with_param computes a negative span (reported as
 * "out of memory"); it returns an error, so nothing is guarded here.
 */
#include "crawler/url.h"
#include "crawler/feeds/source_parser.h"
#include "tools/fuzz/fuzz_util.h"
#include "crawler/robots/robots_rules.h"
#include "storage/cdxj.h"

#include <stdio.h>

static void surt(const char *url, size_t outlen)
{
    char *out = malloc(outlen ? outlen : 1);
    if (out == NULL) return;
    memset(out, 'x', outlen);
    int rc = cdxj_surt(url, out, outlen);
    if (outlen > 0 && memchr(out, '\0', outlen) == NULL) abort();
    (void)rc;
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    size_t surt_len = fuzz_byte(&in);
    surt_len = surt_len < 128 ? surt_len : 8192;
    char *base = fuzz_take_until(&in, '\n');
    char *ref = fuzz_take_until(&in, '\n');
    char *value = fuzz_strndup(in.p, in.n);
    if (base == NULL || ref == NULL || value == NULL) goto out;

    char *abs = NULL, *again = NULL;
    if (url_resolve(*base ? base : NULL, ref, &abs) == 0) {
        if (url_resolve(NULL, abs, &again) != 0 || strcmp(abs, again) != 0) {
            fprintf(stderr, "url_resolve(\"%s\", \"%s\") = \"%s\", which resolves to \"%s\"\n",
                    base, ref, abs, again ? again : "(error)");
            abort();
        }
        char key[512];
        (void)url_host_key(abs, key, sizeof key);
        surt(abs, surt_len);
    }
    free(abs);
    free(again);
    surt(base, surt_len);
    surt(ref, surt_len);

    size_t plen = strlen(ref) + 2;
    char *path = malloc(plen);
    if (path != NULL) {
        int n = robots_path_from_url(ref, path, plen);
        if (n < 1) abort(); /* strlen + 2 is always enough */
        (void)robots_path_from_url(ref, path, (size_t)(value[0] & 7));
        free(path);
    }

    char *with = NULL;
    if (source_url_with_param(base, *ref ? ref : "page", value, &with) == 0 && with != NULL)
        surt(with, surt_len);
    free(with);
    static const source_json_mapping page = {
        .items = "/items", .paginate = JSON_PAGINATE_PAGE, .page_param = "p"};
    static const enum fa_source_kind formats[] = {FA_SOURCE_WORDPRESS, FA_SOURCE_JSON,
                                                  FA_SOURCE_RSS};
    for (size_t i = 0; i < 3; i++) {
        char *first = NULL;
        (void)source_first_url(base, formats[i], &page, i == 0 && *value ? value : NULL, &first);
        free(first);
    }
out:
    free(base);
    free(ref);
    free(value);
    return 0;
}
