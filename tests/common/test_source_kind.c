/*
 * test_source_kind.c - the table of source kinds (common/fa_source_kind.h):
 * every kind named once and found by its name, the reader and flags each
 * kind's behaviour rests on, a WordPress REST URL without a type, and
 * values that are no kind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "common/fa_source_kind.h"

#include <string.h>

static void test_names_round_trip(void **state)
{
    (void)state;
    for (unsigned k = 0; k < FA_SOURCE_KIND_COUNT; k++) {
        const fa_source_kind_info *i = fa_source_kind_get((enum fa_source_kind)k);
        assert_non_null(i);
        assert_int_equal(i->kind, k); /* the rows are in enum order */
        enum fa_source_kind back = FA_SOURCE_KIND_COUNT;
        assert_int_equal(fa_source_kind_by_name(i->name, &back), 0);
        assert_int_equal(back, k);
        assert_string_equal(fa_source_kind_name((enum fa_source_kind)k), i->name);
    }
    enum fa_source_kind k;
    assert_int_equal(fa_source_kind_by_name("podcast", &k), FA_EINVAL);
    assert_int_equal(fa_source_kind_by_name("RSS", &k), FA_EINVAL);
    assert_int_equal(fa_source_kind_by_name(NULL, &k), FA_EINVAL);
    assert_null(fa_source_kind_get(FA_SOURCE_KIND_COUNT));
    assert_null(fa_source_kind_name((enum fa_source_kind)99));
    assert_false(fa_source_kind_has((enum fa_source_kind)99, 0));
}

static void test_readers_and_flags(void **state)
{
    (void)state;
    assert_int_equal(fa_source_kind_get(FA_SOURCE_AUTO)->reader, FA_READER_SNIFF);
    assert_int_equal(fa_source_kind_get(FA_SOURCE_RSS)->reader, FA_READER_XML_FEED);
    assert_int_equal(fa_source_kind_get(FA_SOURCE_ATOM)->reader, FA_READER_XML_FEED);
    assert_int_equal(fa_source_kind_get(FA_SOURCE_JSONFEED)->reader, FA_READER_JSON_FEED);
    assert_int_equal(fa_source_kind_get(FA_SOURCE_WORDPRESS)->reader, FA_READER_WORDPRESS);
    assert_int_equal(fa_source_kind_get(FA_SOURCE_JSON)->reader, FA_READER_JSON_MAPPED);
    assert_int_equal(fa_source_kind_get(FA_SOURCE_SITEMAP)->reader, FA_READER_SITEMAP);
    assert_int_equal(fa_source_kind_get(FA_SOURCE_OPML)->reader, FA_READER_OPML);
    /* paginated: wordpress and json; only wordpress keeps a watermark;
     * only json needs a mapping; opml is no config type */
    for (unsigned k = 0; k < FA_SOURCE_KIND_COUNT; k++) {
        enum fa_source_kind e = (enum fa_source_kind)k;
        assert_int_equal(fa_source_kind_has(e, FA_SOURCE_PAGINATED),
                         e == FA_SOURCE_WORDPRESS || e == FA_SOURCE_JSON);
        assert_int_equal(fa_source_kind_has(e, FA_SOURCE_WATERMARK), e == FA_SOURCE_WORDPRESS);
        assert_int_equal(fa_source_kind_has(e, FA_SOURCE_MAPPED), e == FA_SOURCE_JSON);
        assert_int_equal(fa_source_kind_has(e, FA_SOURCE_CONFIG_TYPE), e != FA_SOURCE_OPML);
    }
    assert_true(fa_source_kind_has(FA_SOURCE_JSON, FA_SOURCE_PAGINATED | FA_SOURCE_MAPPED));
    assert_false(fa_source_kind_has(FA_SOURCE_JSON, FA_SOURCE_PAGINATED | FA_SOURCE_WATERMARK));
}

static void test_kind_for_url(void **state)
{
    (void)state;
    const char *wp = "https://blog.example/wp-json/wp/v2/posts";
    assert_int_equal(fa_source_kind_for_url(FA_SOURCE_AUTO, wp), FA_SOURCE_WORDPRESS);
    assert_int_equal(fa_source_kind_for_url(FA_SOURCE_JSON, wp), FA_SOURCE_JSON);
    assert_int_equal(fa_source_kind_for_url(FA_SOURCE_AUTO, "https://blog.example/feed"),
                     FA_SOURCE_AUTO);
    assert_int_equal(fa_source_kind_for_url(FA_SOURCE_AUTO, NULL), FA_SOURCE_AUTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_readers_and_flags),
        cmocka_unit_test(test_kind_for_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
