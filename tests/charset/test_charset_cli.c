/*
 * test_charset_cli.c - `feedarc feed FILE` and `feedarc extract FILE` (the
 * real binary, FEEDARC_BIN) on the fixtures in nine encodings, declared in
 * the document, undeclared and declared wrong (the document says UTF-8):
 * the feed item's title and the page's main text are the UTF-8 originals,
 * and stderr names the encoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/test_fs.h"

#include "charset/charset_texts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dir;

/* Runs cmd; its stdout into out, its stderr into err. */
static int run(const char *cmd, fa_buf *out, fa_buf *err)
{
    char full[1024], errpath[128];
    snprintf(errpath, sizeof errpath, "%s/stderr", dir);
    snprintf(full, sizeof full, "%s 2>%s", cmd, errpath);
    FILE *p = popen(full, "r");
    assert_non_null(p);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        fa_buf_append(out, buf, n);
    int st = pclose(p);
    FILE *e = fopen(errpath, "rb");
    assert_non_null(e);
    while ((n = fread(buf, 1, sizeof buf, e)) > 0)
        fa_buf_append(err, buf, n);
    fclose(e);
    return st;
}

static void write_file(const char *path, const fa_buf *b)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
    fclose(f);
}

static void test_cli(void **state)
{
    (void)state;
    const char *bin = getenv("FEEDARC_BIN");
    assert_non_null(bin);
    static const enum charset_decl decls[] = {DECL_DOC, DECL_NONE, DECL_WRONG_DOC};
    for (int i = 0; i < CHARSET_TEXT_COUNT; i++) {
        const charset_text *t = &charset_texts[i];
        for (size_t k = 0; k < sizeof decls / sizeof decls[0]; k++) {
            char path[128], cmd[512], want_enc[96];
            snprintf(want_enc, sizeof want_enc, "encoding: %s (", t->whatwg);
            fa_buf raw, out, err, want;
            const char *http;
            /* feed */
            fa_buf_init(&raw, 1 << 20);
            fa_buf_init(&out, 1 << 20);
            fa_buf_init(&err, 1 << 20);
            assert_int_equal(charset_feed(t, decls[k], &raw, &http), 0);
            snprintf(path, sizeof path, "%s/feed.xml", dir);
            write_file(path, &raw);
            snprintf(cmd, sizeof cmd, "'%s' feed '%s'", bin, path);
            assert_int_equal(run(cmd, &out, &err), 0);
            char title[512];
            snprintf(title, sizeof title, "\"title\":\"%s\"", t->title);
            if (out.data == NULL || strstr(out.data, title) == NULL ||
                strstr(err.data, want_enc) == NULL)
                fail_msg("feedarc feed, %s decl %d: %s%s", t->whatwg, (int)decls[k],
                         out.data ? out.data : "", err.data ? err.data : "");
            fa_buf_free(&raw);
            fa_buf_free(&out);
            fa_buf_free(&err);
            /* page */
            fa_buf_init(&raw, 1 << 20);
            fa_buf_init(&out, 1 << 20);
            fa_buf_init(&err, 1 << 20);
            fa_buf_init(&want, 1 << 20);
            assert_int_equal(charset_page(t, decls[k], &raw, &http), 0);
            snprintf(path, sizeof path, "%s/page.html", dir);
            write_file(path, &raw);
            snprintf(cmd, sizeof cmd, "'%s' extract '%s'", bin, path);
            assert_int_equal(run(cmd, &out, &err), 0);
            fa_buf_printf(&want, "%s\n", t->title);
            charset_body_text(t, &want);
            if (out.data == NULL || strcmp(out.data, want.data) != 0 ||
                strstr(err.data, want_enc) == NULL)
                fail_msg("feedarc extract, %s decl %d: %s%s", t->whatwg, (int)decls[k],
                         out.data ? out.data : "", err.data ? err.data : "");
            fa_buf_free(&raw);
            fa_buf_free(&out);
            fa_buf_free(&err);
            fa_buf_free(&want);
        }
    }
}

/* --charset stands for the Content-Type charset: it wins over the meta. */
static void test_extract_charset_option(void **state)
{
    (void)state;
    const char *bin = getenv("FEEDARC_BIN");
    const charset_text *t = &charset_texts[5]; /* KOI8-R */
    fa_buf raw, out, err;
    fa_buf_init(&raw, 1 << 20);
    fa_buf_init(&out, 1 << 20);
    fa_buf_init(&err, 1 << 20);
    const char *http;
    assert_int_equal(charset_page(t, DECL_NONE, &raw, &http), 0);
    char path[128], cmd[512];
    snprintf(path, sizeof path, "%s/page.html", dir);
    write_file(path, &raw);
    snprintf(cmd, sizeof cmd, "'%s' extract --json --charset koi8-r '%s'", bin, path);
    assert_int_equal(run(cmd, &out, &err), 0);
    assert_non_null(strstr(err.data, "encoding: KOI8-R (http)"));
    assert_non_null(strstr(out.data, "\"encoding\": \"KOI8-R (http)\""));
    fa_buf_free(&raw);
    fa_buf_free(&out);
    fa_buf_free(&err);
}

static int setup(void **state)
{
    (void)state;
    dir = test_tmpdir_new();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rm_rf(dir);
    free(dir);
    dir = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_extract_charset_option),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
