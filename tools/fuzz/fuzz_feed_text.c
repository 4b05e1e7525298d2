/*
 * fuzz_feed_text.c - libFuzzer target for the text helpers of crawler/feeds/: the
 * date parser (crawler/feeds/feed_date.c: RFC 822 and RFC 3339 with their broken
 * variants) and the in-place HTML helpers (crawler/feeds/feed_html.c: tags
 * removed, character and entity references decoded).
 *
 * Input: any bytes; each function gets a NUL-terminated copy of the exact
 * size (so ASan sees a read past the end).  Checks the promises the
 * headers make: a normalised date is 20 bytes and parses back to the same
 * second; the in-place functions never lengthen their text.  Built by
 * tools/fuzz/CMakeLists.txt; see tools/fuzz/README.md.
 */
#include "common/fa_err.h"
#include "crawler/feeds/feed_date.h"
#include "crawler/feeds/feed_html.h"
#include "tools/fuzz/fuzz_util.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strndup(data, size);
    if (s == NULL) return 0;
    int64_t t = 0, t2 = 0;
    char out[FEED_DATE_LEN];
    if (feed_date_parse(s, &t) == 0) {
        int n = feed_date_normalize(s, out, sizeof out);
        /* a year outside 0000..9999 has no RFC 3339 form: it may be refused */
        if (n >= 0 && (n != 20 || feed_date_parse(out, &t2) != 0 || t2 != t)) {
            fprintf(stderr, "feed_date: \"%s\" -> %lld, normalised \"%s\" -> %lld\n", s,
                    (long long)t, out, (long long)t2);
            abort();
        }
    }
    size_t len = strlen(s); /* the text up to a NUL in the input */
    size_t n = feed__html_to_text(s, len);
    if (n > len || s[n] != '\0') abort();
    free(s);
    s = fuzz_strndup(data, size);
    if (s == NULL) return 0;
    len = strlen(s);
    n = feed__attr_decode(s, len);
    if (n > len || s[n] != '\0') abort();
    free(s);
    return 0;
}
