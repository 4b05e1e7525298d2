/*
 * test_dedup_text.c - extraction, normalisation, shingling and signatures.
 */
#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "dedup/shingle.h"
#include "dedup/signature.h"
#include "dedup/text_extract.h"
#include "dedup/text_extract_internal.h"
#include "dedup/text_norm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <unicase.h>
#include <uninorm.h>
#include <unistr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *norm(const char *s)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 20);
    assert_int_equal(text_normalize(s, strlen(s), &b), 0);
    return fa_buf_steal(&b, NULL);
}

static void expect_norm(const char *in, const char *want)
{
    char *got = norm(in);
    assert_string_equal(got, want);
    free(got);
}

static void test_normalize(void **state)
{
    (void)state;
    expect_norm("  Hello,\t\n  World  ", "hello, world");
    expect_norm("\xE2\x80\x9CQuoted\xE2\x80\x9D \xE2\x80\x94 it\xE2\x80\x99s", "\"quoted\" - it's");
    expect_norm("\xEF\xBC\xA6\xEF\xBD\x95\xEF\xBD\x8C\xEF\xBD\x8C", "full"); /* fullwidth */
    expect_norm("Stra\xC3\x9F"
                "e",
                "strasse");                      /* case fold */
    expect_norm("\xEF\xAC\x81nance", "finance"); /* ligature */
    expect_norm("a\xC2\xA0"
                "b\xE2\x80\x8B"
                "c",
                "a bc"); /* nbsp, zwsp */
    expect_norm("\xCE\x91\xCE\x98\xCE\x97\xCE\x9D\xCE\x91",
                "\xCE\xB1\xCE\xB8\xCE\xB7\xCE\xBD\xCE\xB1");
    expect_norm("bad \xFF byte", "bad \xEF\xBF\xBD byte");
    /* half-width katakana to full width (NFKC) */
    expect_norm("\xEF\xBD\xB6\xEF\xBE\x80\xEF\xBD\xB6\xEF\xBE\x85",
                "\xE3\x82\xAB\xE3\x82\xBF\xE3\x82\xAB\xE3\x83\x8A");
}

/* What NFKC and full case folding make of s (libunistring, as the full
 * path does before its post-pass; s holds nothing that pass changes). */
static char *nfkc_fold(const char *s)
{
    size_t n = 0;
    uint8_t *r = u8_casefold((const uint8_t *)s, strlen(s), NULL, UNINORM_NFKC, NULL, &n);
    assert_non_null(r);
    char *z = malloc(n + 1);
    memcpy(z, r, n);
    z[n] = 0;
    free(r);
    return z;
}

/* Chinese, Japanese and Korean text, and Latin-1 letters, take the
 * one-pass path (no NFKC: their characters do not change under it,
 * full-width ASCII becomes ASCII, Latin-1 capitals fold by table) and
 * gives the bytes NFKC with case folding gives: every code point of that
 * path, ASCII between them, and beside a character that composes with
 * them (a combining accent, the voiced sound mark, a final jamo after an
 * LV syllable), which sends the text to the full path. */
static void test_normalize_cjk_path(void **state)
{
    (void)state;
    static const uint32_t ranges[][2] = {
        {0x4E00, 0x9FFF}, {0x3041, 0x3096}, {0x30A1, 0x30FA}, {0x30FC, 0x30FC}, {0xAC00, 0xD7A3},
        {0x3001, 0x3002}, {0x3005, 0x3005}, {0x3008, 0x3011}, {0xFF01, 0xFF5E}, {0xC0, 0xFF}};
    static const uint32_t after[] = {0, 0x0301, 0x3099, 0x11A8, 'Q'};
    char buf[64 * 8 + 1];
    for (size_t r = 0; r < sizeof ranges / sizeof *ranges; r++)
        for (size_t a = 0; a < sizeof after / sizeof *after; a++)
            for (uint32_t c0 = ranges[r][0]; c0 <= ranges[r][1]; c0 += 64) {
                size_t n = 0;
                for (uint32_t c = c0; c <= ranges[r][1] && c < c0 + 64; c++) {
                    n += (size_t)u8_uctomb((uint8_t *)buf + n, c, 8);
                    if (after[a] && c % 7 == 0)
                        n += (size_t)u8_uctomb((uint8_t *)buf + n, after[a], 8);
                }
                buf[n] = 0;
                char *want = nfkc_fold(buf), *got = norm(buf);
                assert_string_equal(got, want);
                free(want);
                free(got);
            }
    /* full-width letters fold like ASCII ones; a space between CJK words */
    expect_norm("\xEF\xBC\xA1\xEF\xBD\x82 \xED\x95\x9C\xEA\xB5\xAD\xE3\x80\x80\xE6\x97\xA5",
                "ab \xED\x95\x9C\xEA\xB5\xAD \xE6\x97\xA5");
}

/* The one-pass paths copy runs of characters in one append and fold them
 * in place: random texts of ASCII, Latin-1, CJK, typographic, full-width,
 * space, invisible and invalid pieces give the bytes the full path gives.
 * The full path is forced by a combining mark after a final space (it
 * attaches to that space, so it changes nothing before it): the reference
 * is that output less its last three bytes (the space and the mark). */
static const char *const run_pieces[] = {"a",
                                         "Z",
                                         "Hello",
                                         "\xC3\x80",
                                         "\xC3\x9F",
                                         "\xC3\x97",
                                         "\xC3\xBF",
                                         " ",
                                         "  \t",
                                         "\xC2\xA0",
                                         "\xE6\x97\xA5",
                                         "\xED\x95\x9C",
                                         "\xE3\x81\x82",
                                         ",",
                                         "-",
                                         "\xE2\x80\x9C",
                                         "\xE2\x80\x94",
                                         "\xEF\xBC\xA1",
                                         "\xE2\x80\x8B",
                                         "\xFF",
                                         "\xC3\x9E\xC3\x9FX",
                                         "\xE3\x80\x80",
                                         "7.5%"};

static void test_normalize_runs_random(void **state)
{
    (void)state;
    uint64_t x = 0x2545F4914F6CDD1Dull;
    size_t np = sizeof run_pieces / sizeof *run_pieces;
    for (int round = 0; round < 3000; round++) {
        char in[512];
        size_t n = 0;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int pieces = 1 + (int)(x % 24);
        for (int p = 0; p < pieces; p++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            const char *piece = run_pieces[x % np];
            memcpy(in + n, piece, strlen(piece));
            n += strlen(piece);
        }
        in[n] = 0;
        char forced[520];
        snprintf(forced, sizeof forced, "%sx \xCC\x81", in);
        char *got = NULL, *want = norm(forced);
        size_t wl = strlen(want);
        assert_true(wl >= 4);
        want[wl - 4] = 0; /* the "x", the space, the mark */
        snprintf(forced, sizeof forced, "%sx", in);
        got = norm(forced);
        got[strlen(got) - 1] = 0;
        if (strcmp(got, want) != 0) fail_msg("'%s': '%s' != '%s'", in, got, want);
        free(got);
        free(want);
        /* the display form: spaces collapsed, the rest as it is */
        fa_buf b, r;
        fa_buf_init(&b, 1 << 20);
        fa_buf_init(&r, 1 << 20);
        assert_int_equal(text_collapse_space(in, n, &b), 0);
        int pending = 0;
        for (size_t i = 0; i < n;) {
            uint32_t c;
            size_t m = text_utf8_next((const uint8_t *)in + i, n - i, &c);
            int space = c <= 0x20 || c == 0x7F || (c >= 0x80 && c <= 0xA0) || c == 0x3000;
            if (space) {
                pending = 1;
            } else {
                if (pending && r.len) fa_buf_append(&r, " ", 1);
                pending = 0;
                if (c == 0xFFFD && m == 1)
                    fa_buf_append(&r, "\xEF\xBF\xBD", 3);
                else
                    fa_buf_append(&r, in + i, m);
            }
            i += m;
        }
        if (b.len != r.len || (b.len && memcmp(b.data, r.data, b.len) != 0))
            fail_msg("display '%s': '%.*s' != '%.*s'", in, (int)b.len, b.len ? b.data : "",
                     (int)r.len, r.len ? r.data : "");
        fa_buf_free(&b);
        fa_buf_free(&r);
    }
}

static void expect_display(const char *in, const char *want)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 20);
    assert_int_equal(text_collapse_space(in, strlen(in), &b), 0);
    char *got = fa_buf_steal(&b, NULL);
    assert_string_equal(got, want);
    free(got);
}

/* The display form keeps case and punctuation, collapses spaces and is
 * canonically composed (NFC, as trafilatura returns its text): a combining
 * accent joins its letter, a composition exclusion (Bengali U+09DF) and a
 * singleton (the ohm sign) become their canonical forms; composed text
 * and Hangul syllables are left as they are. */
static void test_display_form(void **state)
{
    (void)state;
    expect_display("  Caf\xC3\xA9\t \xE2\x80\x9Cx\xE2\x80\x9D ",
                   "Caf\xC3\xA9 \xE2\x80\x9Cx\xE2\x80\x9D");
    expect_display("Cafe\xCC\x81  ok", "Caf\xC3\xA9 ok");
    expect_display("\xE0\xA7\x9F", "\xE0\xA6\xAF\xE0\xA6\xBC");
    expect_display("5 \xE2\x84\xA6", "5 \xCE\xA9");
    expect_display("\xEA\xB0\x80 \xE1\x84\x80\xE1\x85\xA1", "\xEA\xB0\x80 \xEA\xB0\x80");
}

static text_doc *extract(const char *html, int fragment)
{
    text_extract_options o = {0};
    o.fragment = fragment;
    text_doc *d = NULL;
    assert_int_equal(text_extract_html(html, strlen(html), &o, &d), 0);
    return d;
}

static char *main_text(const text_doc *d)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 24);
    assert_int_equal(text_doc_main_text(d, &b), 0);
    return fa_buf_steal(&b, NULL);
}

static const char page[] =
    "<html><head><title>T &amp; x</title><style>p{color:red}</style>"
    "<script>var a = '<p>not text</p>';</script></head><body>"
    "<div class=\"cookie-banner\"><p>We use cookies to give you the best experience on our site "
    "and to show you relevant advertising from our many partners.</p></div>"
    "<nav><ul><li><a href=/>Home</a></li><li><a href=/n>News</a></li></ul></nav>"
    "<main><article><h1>Council approves the new bridge</h1>"
    "<p class=byline>By A. Writer</p>"
    "<p>The city council approved the long-awaited bridge on Tuesday after a debate that lasted "
    "more than four hours &mdash; the longest this year.</p>"
    "<p>Residents had asked for a safer crossing since the old ferry stopped running in the "
    "spring, and the vote was carried by a clear majority.</p>"
    "<p>It will open in 2027.</p>"
    "<div class=\"share\"><a href=#>Share</a> <a href=#>Tweet</a></div>"
    "<noscript><p>Enable JavaScript to see the comments section below.</p></noscript>"
    "<p>Construction starts next month, the council said in a statement that also listed the "
    "contractors and the expected costs of the works.</p>"
    "</article></main><aside><h3>Most read</h3><ul><li><a href=/a>Story one</a></li></ul></aside>"
    "<footer><p>Copyright 2025 The Daily Example. All rights reserved worldwide and "
    "everywhere else too.</p></footer></body></html>";

static void test_extract_page(void **state)
{
    (void)state;
    text_doc *d = extract(page, 0);
    assert_string_equal(d->title, "T & x");
    char *t = main_text(d);
    assert_non_null(strstr(t, "Council approves the new bridge\n"));
    assert_non_null(strstr(t, "four hours \xE2\x80\x94 the longest")); /* &mdash; decoded */
    assert_non_null(strstr(t, "It will open in 2027.\n"));             /* short but a sentence */
    assert_non_null(strstr(t, "Construction starts next month"));
    assert_null(strstr(t, "cookies"));
    assert_null(strstr(t, "Home"));
    assert_null(strstr(t, "not text"));
    assert_null(strstr(t, "JavaScript"));
    assert_null(strstr(t, "Copyright"));
    assert_null(strstr(t, "By A. Writer"));
    assert_null(strstr(t, "Share"));
    assert_null(strstr(t, "Story one"));
    /* signals */
    int seen_nav = 0;
    for (size_t i = 0; i < d->n_blocks; i++) {
        const text_block *b = &d->blocks[i];
        if (strcmp(b->text, "Home") == 0) {
            seen_nav = 1;
            assert_true(b->hints & TEXT_HINT_NAV);
            assert_true(b->link_density > 0.9f);
            assert_int_equal(b->cls, TEXT_BOILERPLATE);
        }
        if (strncmp(b->text, "The city council", 16) == 0) {
            assert_string_equal(b->tag, "p");
            assert_string_equal(b->path, "html>body>main>article>p");
            assert_true(b->hints & TEXT_HINT_ARTICLE);
            assert_string_equal(b->reason, "main");
        }
    }
    assert_true(seen_nav);
    free(t);
    text_doc_free(d);
}

/* The binary-searched tables are sorted: "pagination" sat before "pager"
 * in the word table, so class="pagination" was never recognised. */
static void test_tables_sorted(void **state)
{
    (void)state;
    char why[160] = "";
    if (!text__tables_sorted(why, sizeof why)) fail_msg("not sorted: %s", why);
}

static void test_pagination_is_boilerplate(void **state)
{
    (void)state;
    static const char html[] =
        "<html><body><main><article><h1>Bridge</h1><p>The city council approved the new "
        "bridge on Tuesday after a debate of four hours, the longest of the year.</p>"
        "<p>Construction starts next month and will take two years to finish.</p></article>"
        "<div class=\"pagination\">Page two of ten, older stories below</div>"
        "<div id=\"site-pagination\">More pages of this kind of thing here</div>"
        "</main></body></html>";
    text_doc *d = NULL;
    assert_int_equal(text_extract_html(html, sizeof html - 1, NULL, &d), 0);
    int seen = 0;
    for (size_t i = 0; i < d->n_blocks; i++) {
        const text_block *b = &d->blocks[i];
        if (strncmp(b->text, "Page two", 8) == 0 || strncmp(b->text, "More pages", 10) == 0) {
            seen++;
            assert_true(b->hints & TEXT_HINT_NAV);
            assert_int_equal(b->cls, TEXT_BOILERPLATE);
        }
    }
    assert_int_equal(seen, 2);
    text_doc_free(d);
}

static void test_extract_chunked_same(void **state)
{
    (void)state;
    text_doc *whole = extract(page, 0);
    char *a = main_text(whole);
    text_extractor *x = text_extractor_new(NULL);
    for (size_t i = 0; i < strlen(page); i++)
        assert_int_equal(text_extractor_push(x, page + i, 1), 0);
    text_doc *d;
    assert_int_equal(text_extractor_finish(x, &d), 0);
    text_extractor_free(x);
    char *b = main_text(d);
    assert_string_equal(a, b);
    free(a), free(b);
    text_doc_free(d);
    text_doc_free(whole);
}

static void test_extract_related_kept(void **state)
{
    (void)state;
    const char *html =
        "<body><div class=content><article><h1>Roundup</h1><p>Our own story is about the "
        "weather this week, which has been unusually warm for the season in the valley.</p>"
        "</article><section class=related-articles><h2>Related Articles</h2>"
        "<article class=related><h3><a href=/x>Other story</a></h3>"
        "<p>The carried article has a long first paragraph that explains what happened at the "
        "harbour on Monday when the ferry ran aground near the pier.</p>"
        "<p>A second paragraph of the carried article follows with more detail about the "
        "rescue and the reactions of passengers and the crew on board.</p></article></section>"
        "</div><div class=related><ul><li><a href=/y>Link one</a></li></ul></div></body>";
    text_doc *d = extract(html, 0);
    char *t = main_text(d);
    assert_non_null(strstr(t, "ferry ran aground"));
    assert_non_null(strstr(t, "rescue and the reactions"));
    assert_null(strstr(t, "Link one"));
    assert_null(strstr(t, "Other story"));
    free(t);
    text_doc_free(d);
}

static void test_extract_fragment_and_wp(void **state)
{
    (void)state;
    text_doc *d = extract("<p>One &amp; two</p><ul><li>three</li></ul>", 1);
    assert_int_equal(d->n_blocks, 2);
    assert_string_equal(d->blocks[0].text, "One & two");
    assert_int_equal(d->blocks[1].cls, TEXT_CONTENT);
    text_doc_free(d);
    const char *json = "{\"id\":1,\"title\":{\"rendered\":\"Hello &#8211; world\"},"
                       "\"content\":{\"rendered\":\"<p>First para.<\\/p>\\n<p>Second "
                       "\\u2019para.<\\/p>\"}}";
    assert_int_equal(text_extract_wp_json(json, strlen(json), NULL, &d), 0);
    assert_int_equal(d->n_blocks, 3);
    assert_string_equal(d->blocks[0].text, "Hello \xE2\x80\x93 world");
    assert_string_equal(d->blocks[2].text, "Second \xE2\x80\x99para.");
    text_doc_free(d);
    assert_int_equal(text_extract_wp_json("[1,2]", 5, NULL, &d), FA_EPARSE);
    assert_null(d);
}

static void test_extract_ceilings(void **state)
{
    (void)state;
    text_extract_options o = {0};
    o.max_input = 100;
    text_extractor *x = text_extractor_new(&o);
    char buf[200];
    memset(buf, 'a', sizeof buf);
    assert_int_equal(text_extractor_push(x, buf, sizeof buf), FA_ETOOBIG);
    text_extractor_free(x);
    /* deep nesting: flattened past max_depth, no crash */
    fa_buf b;
    fa_buf_init(&b, 1 << 24);
    /* (libxml2 itself stops at 256 levels; what was read is kept) */
    for (int i = 0; i < 200; i++)
        fa_buf_puts(&b, "<div>");
    fa_buf_puts(&b, "<p>The deep text is kept.</p>");
    for (int i = 0; i < 200; i++)
        fa_buf_puts(&b, "</div>");
    o.max_input = 0;
    o.max_depth = 64;
    text_doc *d = NULL;
    assert_int_equal(text_extract_html(b.data, b.len, &o, &d), 0);
    char *t = main_text(d);
    assert_non_null(strstr(t, "deep text"));
    free(t);
    text_doc_free(d);
    /* block ceiling */
    fa_buf_reset(&b);
    for (int i = 0; i < 100; i++)
        fa_buf_puts(&b, "<p>x</p>");
    o.max_depth = 0;
    o.max_blocks = 10;
    assert_int_equal(text_extract_html(b.data, b.len, &o, &d), FA_ETOOBIG);
    fa_buf_free(&b);
}

typedef struct toks {
    char buf[1024];
    int n;
} toks;

static void collect(const char *t, size_t len, void *ud)
{
    toks *k = ud;
    strncat(k->buf, t, len);
    strcat(k->buf, "|");
    k->n++;
}

static void expect_tokens(const char *text, const char *want)
{
    char *n = norm(text);
    toks k = {{0}, 0};
    shingle_tokens(n, strlen(n), collect, &k);
    assert_string_equal(k.buf, want);
    free(n);
}

static void test_tokens(void **state)
{
    (void)state;
    expect_tokens("The Mayor's plan, in 2025!", "the|mayor|s|plan|in|2025|");
    /* Japanese: one token per character, punctuation dropped, Latin words kept */
    expect_tokens("東京都は、NHKに", "東|京|都|は|nhk|に|");
    /* Chinese */
    expect_tokens("北京宣布。", "北|京|宣|布|");
    /* Thai: characters (marks included) */
    expect_tokens("\xE0\xB8\x81\xE0\xB8\xB2", "\xE0\xB8\x81|\xE0\xB8\xB2|");
    /* Korean: words */
    expect_tokens("서울 시장은 발표했다", "서울|시장은|발표했다|");
    /* Cyrillic, accents */
    expect_tokens("Привет мир café", "привет|мир|café|");
}

/* text_utf8_next3 decodes three-byte sequences itself: the same answers as
 * libunistring's u8_mbtoucr (text_utf8_next) for every lead and
 * continuation pair (overlong forms, surrogates, truncated and broken
 * sequences included). */
static void test_utf8_next_three_bytes(void **state)
{
    (void)state;
    for (unsigned a = 0xE0; a <= 0xEF; a++)
        for (unsigned b = 0; b < 256; b += (b >= 0x70 && b < 0xC8) ? 1 : 7)
            for (unsigned c = 0; c < 256; c += (c >= 0x70 && c < 0xC8) ? 1 : 7) {
                const uint8_t seq[3] = {(uint8_t)a, (uint8_t)b, (uint8_t)c};
                for (size_t n = 1; n <= 3; n++) {
                    uint32_t got;
                    size_t k = text_utf8_next3(seq, n, &got);
                    ucs4_t uc;
                    int want = u8_mbtoucr(&uc, seq, n);
                    if (want <= 0) {
                        assert_int_equal(k, 1);
                        assert_int_equal(got, 0xFFFD);
                    } else {
                        assert_int_equal(k, (size_t)want);
                        assert_int_equal(got, uc);
                    }
                }
            }
}

/* The shingler counts the words that begin with a Hangul syllable (the
 * engine's lower floor for short Korean pairs, dedup_engine.h). */
static void test_shingler_counts_hangul(void **state)
{
    (void)state;
    char *t = norm("서울 시장은 2025년 발표했다 today \xEA\xB0\x80 \xED\x9E\xA3 \xE3\x84\xB1");
    shingler s;
    shingle_vec v;
    shingle_vec_init(&v, 1024);
    shingler_init(&s, 4, 1);
    assert_int_equal(shingler_feed(&s, t, strlen(t), 0, &v), 0);
    assert_int_equal(shingler_finish(&s, &v), 0);
    /* 서울 시장은 발표했다 가 힣: Hangul; 2025년 and today and the jamo ㄱ not */
    assert_int_equal(s.tokens, 8);
    assert_int_equal(s.hangul, 5);
    assert_int_equal(s.unspaced, 0);
    shingle_vec_free(&v);
    free(t);
}

static size_t shingles_of(const char *text, unsigned n, uint64_t seed, shingle_vec *v)
{
    char *t = norm(text);
    shingler s;
    shingler_init(&s, n, seed);
    shingle_vec_reset(v);
    assert_int_equal(shingler_feed(&s, t, strlen(t), 0, v), 0);
    assert_int_equal(shingler_finish(&s, v), 0);
    free(t);
    return v->n;
}

static void test_shingles(void **state)
{
    (void)state;
    shingle_vec v;
    shingle_vec_init(&v, 0);
    assert_int_equal(shingles_of("a b c d e f", 4, 0, &v), 3);
    uint64_t first = v.hash[0];
    /* same words, other spacing/case/punctuation: same shingles */
    assert_int_equal(shingles_of("A,  b; C... d e f", 4, 0, &v), 3);
    assert_true(v.hash[0] == first);
    /* seed changes hashes */
    shingles_of("a b c d e f", 4, 99, &v);
    assert_true(v.hash[0] != first);
    /* short text: one shingle */
    assert_int_equal(shingles_of("a b", 4, 0, &v), 1);
    assert_int_equal(shingles_of("", 4, 0, &v), 0);
    /* CJK: character n-grams */
    assert_int_equal(shingles_of("東京都は新しい計画を発表した", 4, 0, &v), 14 - 3);
    /* the window crosses block boundaries */
    shingler s;
    shingler_init(&s, 3, 0);
    shingle_vec_reset(&v);
    shingler_feed(&s, "a b", 3, 0, &v);
    shingler_feed(&s, "c d", 3, 1, &v);
    shingler_finish(&s, &v);
    assert_int_equal(v.n, 2);
    assert_int_equal(v.block[0], 0);
    assert_int_equal(v.block[1], 0);
    shingle_vec_free(&v);
}

static void test_signatures(void **state)
{
    (void)state;
    enum { N = 4000 };
    uint64_t *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        a[i] = x;
        b[i] = i < 3000 ? x : ~x; /* |A∩B| = 3000, |A∪B| = 5000: J = 0.6 */
    }
    shingle_sketch sa = {0}, sb = {0};
    assert_int_equal(shingle_sketch_build(&sa, a, N, 4, 0), 0);
    assert_int_equal(shingle_sketch_build(&sb, b, 3000, 4, 0), 0); /* B ⊂ A */
    uint32_t c = sketch_common(sa.v, sa.n, sb.v, sb.n);
    assert_true(sketch_containment(sb.n, c) == 1.0);
    double r = sketch_resemblance(sa.n, sb.n, c);
    assert_true(r > 0.65 && r < 0.85); /* 0.75 */
    assert_int_equal(shingle_sketch_build(&sb, b, N, 4, 0), 0);
    c = sketch_common(sa.v, sa.n, sb.v, sb.n);
    r = sketch_resemblance(sa.n, sb.n, c);
    assert_true(r > 0.5 && r < 0.7);
    uint32_t ma[256], mb[256];
    minhash_oph(a, N, 256, ma);
    minhash_oph(b, N, 256, mb);
    double j = minhash_similarity(ma, mb, 256);
    assert_true(j > 0.5 && j < 0.7);
    assert_true(simhash_distance(simhash64(a, N), simhash64(a, N)) == 0);
    shingle_sketch_free(&sa);
    shingle_sketch_free(&sb);
    free(a);
    free(b);
}

/* Hand-made pages (tests/dedup/data/pages/NN_*.html) with their article
 * bodies marked by hand in NN_*.txt: word-level F1 of the main text. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fa_buf b;
    fa_buf_init(&b, 1 << 24);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fa_buf_append(&b, chunk, n);
    fclose(f);
    return fa_buf_steal(&b, len);
}

static double bag_f1(const char *a, const char *b)
{
    /* normalised words (unspaced scripts: characters) as multisets */
    char *na = norm(a), *nb = norm(b);
    toks ka = {{0}, 0};
    (void)ka;
    size_t ca = 0, cb = 0, common = 0;
    char *wa[8192], *wb[8192];
    for (char *t = strtok(na, " "); t && ca < 8192; t = strtok(NULL, " "))
        wa[ca++] = t;
    for (char *t = strtok(nb, " "); t && cb < 8192; t = strtok(NULL, " "))
        wb[cb++] = t;
    int *used = calloc(cb + 1, sizeof *used);
    for (size_t i = 0; i < ca; i++)
        for (size_t j = 0; j < cb; j++)
            if (!used[j] && strcmp(wa[i], wb[j]) == 0) {
                used[j] = 1;
                common++;
                break;
            }
    free(used);
    double p = ca ? (double)common / (double)ca : 0, r = cb ? (double)common / (double)cb : 0;
    free(na), free(nb);
    return p + r ? 2 * p * r / (p + r) : 0;
}

static void test_fixture_pages(void **state)
{
    (void)state;
    const char *data = getenv("FEEDARC_TEST_DATA");
    assert_non_null(data);
    static const char *const pages[] = {"01_wordpress", "02_table_layout", "03_div_soup",
                                        "04_japanese",  "05_amp",          "06_liveblog_lists"};
    double sum = 0;
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        char path[1024];
        size_t hl, tl;
        snprintf(path, sizeof path, "%s/dedup/data/pages/%s.html", data, pages[i]);
        char *html = slurp(path, &hl);
        assert_non_null(html);
        snprintf(path, sizeof path, "%s/dedup/data/pages/%s.txt", data, pages[i]);
        char *gold = slurp(path, &tl);
        assert_non_null(gold);
        text_doc *d = NULL;
        assert_int_equal(text_extract_html(html, hl, NULL, &d), 0);
        char *t = main_text(d);
        /* unspaced scripts: compare per character */
        double f1;
        if (strstr(pages[i], "japanese")) {
            fa_buf a, b;
            fa_buf_init(&a, 1 << 20), fa_buf_init(&b, 1 << 20);
            for (const char *p = t; *p; p++) {
                fa_buf_append(&a, p, 1);
                if (((unsigned char)p[1] & 0xC0) != 0x80) fa_buf_append(&a, " ", 1);
            }
            for (const char *p = gold; *p; p++) {
                fa_buf_append(&b, p, 1);
                if (((unsigned char)p[1] & 0xC0) != 0x80) fa_buf_append(&b, " ", 1);
            }
            f1 = bag_f1(a.data, b.data);
            fa_buf_free(&a), fa_buf_free(&b);
        } else {
            f1 = bag_f1(t, gold);
        }
        printf("  %-20s word F1 %.3f\n", pages[i], f1);
        if (f1 < 0.9) printf("--- extracted:\n%s--- gold:\n%s", t, gold);
        sum += f1;
        assert_true(f1 >= 0.85);
        free(t), free(html), free(gold);
        text_doc_free(d);
    }
    double mean = sum / (double)(sizeof pages / sizeof pages[0]);
    printf("  mean word F1 %.3f\n", mean);
    assert_true(mean >= 0.95);
}

/* sketch_common (four values at a time, then a branch-free merge) counts
 * exactly the values two sorted sketches share: against a plain count on
 * random sorted sets, on every pair of lengths up to 40, with one side
 * empty, equal, disjoint, and with runs of the largest value. */
static void test_sketch_common_exact(void **state)
{
    (void)state;
    enum { N = 300 };
    uint32_t a[N], b[N];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int round = 0; round < 200; round++) {
        uint32_t na = 0, nb = 0, want = 0;
        uint32_t span = 1 + (uint32_t)(round % 7) * 97; /* dense to sparse */
        for (uint32_t v = 1; v < N * span && (na < N || nb < N); v += 1 + (uint32_t)(x % span)) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int in_a = (x & 3) != 0 && na < N, in_b = (x & 12) != 0 && nb < N;
            if (round % 50 == 0) in_b = 0; /* b empty */
            if (in_a) a[na++] = v;
            if (in_b) b[nb++] = v;
            want += in_a && in_b;
        }
        assert_int_equal(sketch_common(a, na, b, nb), want);
        assert_int_equal(sketch_common(b, nb, a, na), want);
        assert_int_equal(sketch_common(a, na, a, na), na);
        /* the marking merge: the same count, and a's common values marked */
        uint64_t hit[(N + 63) / 64] = {0};
        assert_int_equal(sketch_common_mark(a, na, b, nb, hit), want);
        for (uint32_t i = 0, j = 0; i < na; i++) {
            while (j < nb && b[j] < a[i])
                j++;
            int common = j < nb && b[j] == a[i];
            assert_int_equal((hit[i >> 6] >> (i & 63)) & 1, common);
        }
    }
    /* four at a time (SSE2): every length 0-40 against every other, one
     * side a dense run, the other every k-th value of it, so the blocks
     * stop at every offset */
    for (uint32_t la = 0; la <= 40; la++)
        for (uint32_t lb = 0; lb <= 40; lb++)
            for (uint32_t k = 1; k <= 5; k++) {
                uint32_t want = 0;
                for (uint32_t i = 0; i < la; i++)
                    a[i] = 100 + i;
                for (uint32_t i = 0; i < lb; i++) {
                    b[i] = 100 + i * k + (lb % 3);
                    want += b[i] < 100 + la;
                }
                assert_int_equal(sketch_common(a, la, b, lb), want);
                assert_int_equal(sketch_common(b, lb, a, la), want);
            }
    uint32_t hi[3] = {UINT32_MAX - 2, UINT32_MAX - 1, UINT32_MAX}, lo[2] = {1, 2};
    assert_int_equal(sketch_common(hi, 3, lo, 2), 0);
    assert_int_equal(sketch_common(lo, 2, hi, 3), 0);
    assert_int_equal(sketch_common(hi, 3, hi + 2, 1), 1);
    assert_int_equal(sketch_common(NULL, 0, hi, 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_normalize_cjk_path),
        cmocka_unit_test(test_normalize_runs_random),
        cmocka_unit_test(test_display_form),
        cmocka_unit_test(test_sketch_common_exact),
        cmocka_unit_test(test_extract_page),
        cmocka_unit_test(test_extract_chunked_same),
        cmocka_unit_test(test_tables_sorted),
        cmocka_unit_test(test_pagination_is_boilerplate),
        cmocka_unit_test(test_extract_related_kept),
        cmocka_unit_test(test_extract_fragment_and_wp),
        cmocka_unit_test(test_extract_ceilings),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_utf8_next_three_bytes),
        cmocka_unit_test(test_shingler_counts_hangul),
        cmocka_unit_test(test_shingles),
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_fixture_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
