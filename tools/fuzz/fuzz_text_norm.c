/*
 * fuzz_text_norm.c - libFuzzer target for dedup/text_norm.c: the text
 * normalisation every comparison in dedup/ uses (invalid UTF-8 to U+FFFD,
 * NFKC + case folding with libunistring, punctuation, whitespace), the
 * whitespace-only form, UTF-8 decoding and the script classes.
 *
 * Input: byte 0 the ceiling on the output (a small one makes FA_ETOOBIG
 * reachable), then the text.  Checks the promises of the header: the
 * output is valid UTF-8 with no leading, trailing or double space, and
 * normalising it again changes nothing.  Built by tools/fuzz/CMakeLists.txt; see
 * tools/fuzz/README.md.
 */
#include "common/fa_buf.h"
#include "dedup/text_norm.h"
#include "tools/fuzz/fuzz_util.h"

#include <stdio.h>

static void check_form(const fa_buf *b, const char *what)
{
    const uint8_t *s = (const uint8_t *)b->data;
    size_t n = b->len;
    if (n == 0) return;
    if (s[0] == ' ' || s[n - 1] == ' ') {
        fprintf(stderr, "%s: output starts or ends with a space\n", what);
        abort();
    }
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t k = text_utf8_next(s + i, n - i, &c);
        if (k == 0 || (c == 0xFFFD && k == 1)) {
            fprintf(stderr, "%s: invalid UTF-8 at byte %zu of the output\n", what, i);
            abort();
        }
        if (s[i] == ' ' && i + 1 < n && s[i + 1] == ' ') {
            fprintf(stderr, "%s: double space at byte %zu of the output\n", what, i);
            abort();
        }
        (void)text_script_class(c);
        i += k;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    unsigned c = fuzz_byte(&in);
    size_t max = c < 128 ? c : (size_t)1 << 20;
    const char *s = (const char *)in.p;
    fa_buf a, b, w;
    fa_buf_init(&a, max);
    fa_buf_init(&b, (size_t)1 << 22);
    fa_buf_init(&w, max);
    int rc = text_normalize(s, in.n, &a);
    if (rc == 0) {
        check_form(&a, "text_normalize");
        /* idempotent: the normal form is its own normal form */
        if (text_normalize(a.data ? a.data : "", a.len, &b) == 0 &&
            (b.len != a.len ||
             (a.len && (a.data == NULL || b.data == NULL || memcmp(a.data, b.data, a.len) != 0)))) {
            fprintf(stderr, "text_normalize is not idempotent: %zu bytes, then %zu\n", a.len,
                    b.len);
            abort();
        }
    }
    if (text_collapse_space(s, in.n, &w) == 0) check_form(&w, "text_collapse_space");
    (void)text_utf8_count(s, in.n);
    fa_buf_free(&a);
    fa_buf_free(&b);
    fa_buf_free(&w);
    return 0;
}
