/* test_findings_record.c - the findings record (dedup/findings_record.h):
 * written as the crawler writes it, laid out as the segment writer lays
 * out a metadata block, parsed back to the same record; the lines the
 * parser refuses; the fields a writer leaves out; feedarc-copied-block
 * lines written after the record and read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "dedup/findings_record.h"

#include <stdio.h>
#include <string.h>

/* "name\0value\0" pairs -> "name: value\r\n" lines, as segment_writer
 * writes a metadata record's block. */
static void as_block(const fa_buf *pairs, fa_buf *block)
{
    for (const char *p = pairs->data; p && p < pairs->data + pairs->len;) {
        const char *name = p;
        p += strlen(p) + 1;
        const char *value = p;
        p += strlen(p) + 1;
        assert_int_equal(fa_buf_printf(block, "%s: %s\r\n", name, value), 0);
    }
}

static void assert_span(const char *p, size_t n, const char *want)
{
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

static void round_trip(void **state)
{
    (void)state;
    findings_ref refs[] = {
        {.kind = FINDINGS_EXACT,
         .url = "http://a.test/1",
         .url_len = 15,
         .record_id = "<urn:uuid:1>",
         .record_id_len = 12,
         .date_ns = 1700000000LL * 1000000000,
         .score = 1},
        {.kind = FINDINGS_NEAR,
         .url = "http://a.test/2",
         .url_len = 15,
         .date_ns = 1700000001LL * 1000000000,
         .score = 0.625},
        {.kind = FINDINGS_CONTAINS,
         .url = "http://b.test/3",
         .url_len = 15,
         .record_id = "<urn:uuid:3>",
         .record_id_len = 12,
         .date_ns = 1700000002LL * 1000000000,
         .score = 0.9},
        {.kind = FINDINGS_CONTAINED_IN,
         .url = "http://b.test/4",
         .url_len = 15,
         .record_id = "<urn:uuid:4>",
         .record_id_len = 12,
         .date_ns = 1700000003LL * 1000000000,
         .score = 1},
    };
    findings_record w = {.document = "http://a.test/page",
                         .via = "http://a.test/feed.xml",
                         .item_id = "tag:a.test,2026:1",
                         .item_title = "A title, \xe2\x80\x9cquoted\xe2\x80\x9d",
                         .encoding = "utf-8 (declared in Content-Type)",
                         .refs = refs,
                         .n_refs = 4,
                         .main_chars = 1234,
                         .novel_chars = 567,
                         .boilerplate_chars = 89};
    fa_buf pairs, block;
    fa_buf_init(&pairs, 1 << 20);
    fa_buf_init(&block, 1 << 20);
    assert_int_equal(findings_record_write(&w, &pairs), 12);
    as_block(&pairs, &block);
    assert_non_null(strstr(block.data, "feedarc-document: http://a.test/page\r\n"
                                       "via: http://a.test/feed.xml\r\n"));
    assert_non_null(strstr(block.data, "feedarc-near-duplicate-of: http://a.test/2 - "
                                       "2023-11-14T22:13:21Z 0.625\r\n"));

    findings_record r;
    const char *why = NULL;
    assert_int_equal(findings_record_parse(block.data, block.len, &r, &why), 0);
    assert_string_equal(r.document, w.document);
    assert_string_equal(r.via, w.via);
    assert_string_equal(r.item_id, w.item_id);
    assert_string_equal(r.item_title, w.item_title);
    assert_string_equal(r.encoding, w.encoding);
    assert_int_equal(r.main_chars, 1234);
    assert_int_equal(r.novel_chars, 567);
    assert_int_equal(r.boilerplate_chars, 89);
    assert_true(r.has_chars);
    assert_int_equal(r.n_refs, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(r.refs[i].kind, refs[i].kind);
        assert_span(r.refs[i].url, r.refs[i].url_len, refs[i].url);
        if (refs[i].record_id)
            assert_span(r.refs[i].record_id, r.refs[i].record_id_len, refs[i].record_id);
        else
            assert_null(r.refs[i].record_id);
        assert_true(r.refs[i].date_ns == refs[i].date_ns);
        assert_true(r.refs[i].has_score);
        assert_true(r.refs[i].score > refs[i].score - 0.0005 &&
                    r.refs[i].score < refs[i].score + 0.0005);
    }
    /* written again from what was parsed: the same bytes */
    fa_buf again;
    fa_buf_init(&again, 1 << 20);
    assert_int_equal(findings_record_write(&r, &again), 12);
    assert_int_equal(again.len, pairs.len);
    assert_memory_equal(again.data, pairs.data, pairs.len);
    findings_record_free(&r);
    fa_buf_free(&again);
    fa_buf_free(&pairs);
    fa_buf_free(&block);
}

static void optional_lines_left_out(void **state)
{
    (void)state;
    char long_title[2100];
    memset(long_title, 'x', sizeof long_title - 1);
    long_title[sizeof long_title - 1] = '\0';
    findings_record w = {
        .document = "http://a.test/p", .item_id = "two\nlines", .item_title = long_title};
    fa_buf pairs, block;
    fa_buf_init(&pairs, 1 << 20);
    fa_buf_init(&block, 1 << 20);
    assert_int_equal(findings_record_write(&w, &pairs), 4); /* document + 3 counts */
    as_block(&pairs, &block);
    assert_string_equal(block.data, "feedarc-document: http://a.test/p\r\n"
                                    "feedarc-main-chars: 0\r\n"
                                    "feedarc-novel-chars: 0\r\n"
                                    "feedarc-boilerplate-chars: 0\r\n");
    w.item_title = "tab\there";
    fa_buf_reset(&pairs);
    assert_int_equal(findings_record_write(&w, &pairs), 4);
    w.document = NULL;
    assert_int_equal(findings_record_write(&w, &pairs), FA_EINVAL);
    fa_buf_free(&pairs);
    fa_buf_free(&block);
}

static void refused_lines(void **state)
{
    (void)state;
    findings_ref f;
    const char *why;
    /* an exact duplicate needs no score; the others do */
    assert_int_equal(
        findings_record_parse_ref(FINDINGS_EXACT, "u - 2026-01-02T03:04:05Z", 24, &f, &why), 0);
    assert_false(f.has_score);
    assert_int_equal(
        findings_record_parse_ref(FINDINGS_NEAR, "u - 2026-01-02T03:04:05Z", 24, &f, &why),
        FA_EPARSE);
    assert_non_null(strstr(why, "<score>"));
    const char *bad_date = "u <r> yesterday 0.5";
    assert_int_equal(findings_record_parse_ref(FINDINGS_NEAR, bad_date, strlen(bad_date), &f, &why),
                     FA_EPARSE);
    assert_string_equal(why, "the date is not ISO 8601");
    const char *bad_score = "u <r> 2026-01-02T03:04:05.5Z much";
    assert_int_equal(
        findings_record_parse_ref(FINDINGS_CONTAINS, bad_score, strlen(bad_score), &f, &why),
        FA_EPARSE);
    assert_string_equal(why, "the score is not a number");
    uint64_t n;
    assert_int_equal(findings_record_parse_count("12x", 3, &n), FA_EPARSE);
    assert_int_equal(findings_record_parse_count("", 0, &n), FA_EPARSE);
    assert_int_equal(findings_record_parse_count("42", 2, &n), 0);
    assert_int_equal(n, 42);

    /* names without regard to case; a record without its document */
    assert_int_equal(findings_field_of("FEEDARC-Document", 16), FINDINGS_DOCUMENT);
    assert_int_equal(findings_field_of("feedarc-documents", 17), FINDINGS_OTHER);
    findings_record r;
    const char *block = "via: x\r\nfeedarc-main-chars: 3\r\n";
    assert_int_equal(findings_record_parse(block, strlen(block), &r, &why), FA_EPARSE);
    assert_string_equal(why, "no feedarc-document");
    findings_record_free(&r);
    block = "feedarc-document: d\nfeedarc-contains: u <r> 2026-01-02T03:04:05Z\n";
    assert_int_equal(findings_record_parse(block, strlen(block), &r, &why), FA_EPARSE);
    findings_record_free(&r);
    /* LF lines, blanks around values, unknown lines skipped */
    block = "x-other: 1\nfeedarc-document:   d  \nfeedarc-novel-chars: 7";
    assert_int_equal(findings_record_parse(block, strlen(block), &r, &why), 0);
    assert_string_equal(r.document, "d");
    assert_int_equal(r.novel_chars, 7);
    assert_false(r.has_chars);
    findings_record_free(&r);
}

typedef struct blocks_read {
    findings_copied_block b[4];
    size_t n;
    int other; /* lines of the record that are no copied block */
} blocks_read;

static int read_block(void *ud, enum findings_field f, const char *name, size_t name_len,
                      const char *value, size_t value_len)
{
    blocks_read *r = ud;
    (void)name;
    (void)name_len;
    if (f != FINDINGS_COPIED_BLOCK) {
        r->other++;
        return 0;
    }
    assert_true(r->n < 4);
    assert_int_equal(findings_copied_block_parse(value, value_len, &r->b[r->n]), 0);
    r->n++;
    return 0;
}

/* Copied blocks: written after the record's lines as the crawler writes
 * them, read back from the block as `feedarc text --blocks` reads them; the
 * record's parser passes over them. */
static void copied_blocks_round_trip(void **state)
{
    (void)state;
    fa_buf pairs, block;
    fa_buf_init(&pairs, 1 << 20);
    fa_buf_init(&block, 1 << 20);
    findings_record r = {.document = "http://agg.test/roundup"};
    assert_true(findings_record_write(&r, &pairs) > 0);
    findings_copied_block in[2] = {
        {.start = 17,
         .end = 512,
         .url = "http://a.test/1",
         .url_len = 15,
         .record_id = "<urn:uuid:1>",
         .record_id_len = 12},
        {.start = 600, .end = 600, .url = "http://b.test/2", .url_len = 15},
    };
    for (int i = 0; i < 2; i++)
        assert_int_equal(findings_copied_block_write(&in[i], &pairs), 0);
    as_block(&pairs, &block);
    assert_non_null(strstr(block.data, "feedarc-copied-block: 600 600 http://b.test/2 -\r\n"));

    blocks_read got = {0};
    assert_int_equal(findings_record_foreach(block.data, block.len, read_block, &got), 0);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.other, 4); /* the document and three counts */
    assert_int_equal(got.b[0].start, 17);
    assert_int_equal(got.b[0].end, 512);
    assert_span(got.b[0].url, got.b[0].url_len, "http://a.test/1");
    assert_span(got.b[0].record_id, got.b[0].record_id_len, "<urn:uuid:1>");
    assert_int_equal(got.b[1].start, 600);
    assert_span(got.b[1].url, got.b[1].url_len, "http://b.test/2");
    assert_null(got.b[1].record_id);

    findings_record back;
    const char *why = NULL;
    assert_int_equal(findings_record_parse(block.data, block.len, &back, &why), 0);
    assert_string_equal(back.document, "http://agg.test/roundup");
    assert_int_equal(back.n_refs, 0);
    findings_record_free(&back);

    /* refused: end before start, a missing token, a non-number */
    findings_copied_block bad = {.start = 5, .end = 4, .url = "u", .url_len = 1};
    assert_int_equal(findings_copied_block_write(&bad, &pairs), FA_EINVAL);
    bad.end = 5;
    bad.url_len = 0;
    assert_int_equal(findings_copied_block_write(&bad, &pairs), FA_EINVAL);
    findings_copied_block b;
    static const char *const refused[] = {
        "5 4 u -", "1 2 u", "1 2 u - x", "x 2 u -", "-1 2 u -", "", "1 99999999999999999999 u -"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        assert_int_equal(findings_copied_block_parse(refused[i], strlen(refused[i]), &b),
                         FA_EPARSE);
    fa_buf_free(&pairs);
    fa_buf_free(&block);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(optional_lines_left_out),
        cmocka_unit_test(refused_lines),
        cmocka_unit_test(copied_blocks_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
