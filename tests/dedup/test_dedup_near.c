/*
 * test_dedup_near.c - the near-duplicate decision on aligned texts (issue
 * 13, seventh round; docs/DEDUP.md, "Confirmation"): two copies of a short
 * story shaped as edited copies are near below confirm_near (rule 6), a
 * story sharing as much with a text of its own paragraphs is not; a page
 * with more than five blocks of its own beside another is not near it
 * unless the headlines match and both were edited.  Each case is also
 * run (or was checked) with the rule off, where the decision differs.
 * Eighth round: a page reports every near copy among its candidates (the
 * earliest first), within the result's capacity.
 */
#include "common/fa_buf.h"
#include "dedup/dedup_engine.h"
#include "util/test_fs.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;

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

/* Sentence s of story `story`: 14 pseudo-words, '.'-terminated. */
static void sentence(fa_buf *b, unsigned story, unsigned s)
{
    uint64_t x = (uint64_t)story * 0x9E3779B97F4A7C15ull + s * 7919u + 1;
    for (int w = 0; w < 14; w++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        fa_buf_printf(b, "%sw%u", w ? " " : "", (unsigned)(x % 3000));
    }
    fa_buf_puts(b, ". ");
}

/* A text: a headline (sentence 100 of story head), then paragraphs of
 * three sentences; sentence k is sentence k of story from[k]
 * (n sentences). */
static char *text(unsigned head, const unsigned *from, unsigned n)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 20);
    sentence(&b, head, 100);
    for (unsigned k = 0; k < n; k++) {
        if (k % 3 == 0) fa_buf_puts(&b, "\n\n");
        sentence(&b, from[k], k);
    }
    return fa_buf_steal(&b, NULL);
}

typedef struct near_trace {
    double best, shares[2];
    int confirmed;
} near_trace;

static void trace_cb(void *ud, const dedup_trace *t)
{
    near_trace *st = ud;
    double b = t->sketch_res > t->sketch_other_in_me ? t->sketch_res : t->sketch_other_in_me;
    st->best = t->sketch_me_in_other > b ? t->sketch_me_in_other : b;
    st->confirmed = t->confirmed;
    st->shares[0] = t->other_in_me, st->shares[1] = t->me_in_other;
}

/* a then b through an engine with options o in a new directory under dir
 * named name; the kind b's result names a with, *st b's candidate a as
 * traced. */
static int pair_kind(const char *name, dedup_options o, const char *a, const char *b,
                     near_trace *st)
{
    char d[96];
    snprintf(d, sizeof d, "%s/%s", dir, name);
    assert_int_equal(mkdir(d, 0755), 0);
    memset(st, 0, sizeof *st);
    o.trace = trace_cb, o.trace_ud = st;
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(d, &o, &e), 0);
    dedup_result r;
    dedup_input in = {"https://a.example/a", NULL, NULL,      NULL, "<urn:uuid:a>", 1,
                      DEDUP_PLAIN_TEXT,      a,    strlen(a), NULL};
    assert_int_equal(dedup_analyze(e, &in, &r), 0);
    dedup_result_free(&r);
    in.url = "https://b.example/b", in.record_id = "<urn:uuid:b>", in.content = b,
    in.len = strlen(b);
    assert_int_equal(dedup_analyze(e, &in, &r), 0);
    int kind = 0;
    for (size_t i = 0; i < r.n_findings; i++)
        if (strcmp(r.findings[i].url, "https://a.example/a") == 0) kind = r.findings[i].kind;
    dedup_result_free(&r);
    dedup_engine_close(e);
    return kind;
}

static double lo_share(const near_trace *st)
{
    return st->shares[0] < st->shares[1] ? st->shares[0] : st->shares[1];
}

/* Rule 6: two copies of a short story (three paragraphs of three
 * sentences, story 1) under headlines of their own, each with a sentence
 * of every paragraph rewritten, differently (4 of 9 sentences in common):
 * both shares ~0.42, under confirm_near, one block found and two of their
 * own on each side.  Near; with confirm_near_copy at 0.99, unrelated (as
 * before the rule).  A story with two of the story's paragraphs beside
 * three of its own shares as much (0.39 of it found in the story, 0.64 of
 * the story in it) but has three blocks of its own: not near, rule or
 * not. */
static void test_copies_near_below_confirm_near(void **state)
{
    (void)state;
    /* copy x: s0 s1 x2 | s3 s4 x5 | x6 s7 x8 | x9 x10 s11, copy y: s0 s1 y2 |
     * s3 s4 y5 | y6 s7 y8 | y9 y10 s11 (x: story 2, y: story 3): six
     * sentences in common, the first two paragraphs the only ones half
     * found on either side */
    const unsigned fx[12] = {1, 1, 2, 1, 1, 2, 2, 1, 2, 2, 2, 1};
    const unsigned fy[12] = {1, 1, 3, 1, 1, 3, 3, 1, 3, 3, 3, 1};
    char *x = text(4, fx, 12), *y = text(5, fy, 12);
    for (int rule = 0; rule < 2; rule++) {
        dedup_options o = {0};
        if (!rule) o.confirm_near_copy = 0.99;
        near_trace st;
        int kind = pair_kind(rule ? "copy1" : "copy0", o, x, y, &st);
        assert_int_equal(st.confirmed, 1);
        assert_true(lo_share(&st) >= DEDUP_DEFAULT_CONFIRM_NEAR_COPY &&
                    lo_share(&st) < DEDUP_DEFAULT_CONFIRM_NEAR);
        assert_int_equal(kind, rule ? DEDUP_NEAR : 0);
    }
    /* the story whole, and one with its first two paragraphs and three of
     * its own (story 6) */
    const unsigned fo[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    const unsigned fb[15] = {1, 1, 1, 1, 1, 1, 6, 6, 6, 6, 6, 6, 6, 6, 6};
    char *orig = text(1, fo, 9), *bg = text(7, fb, 15);
    for (int rule = 0; rule < 2; rule++) {
        dedup_options o = {0};
        if (!rule) o.confirm_near_copy = 0.99;
        near_trace st;
        int kind = pair_kind(rule ? "bg1" : "bg0", o, orig, bg, &st);
        assert_int_equal(st.confirmed, 1);
        assert_true(lo_share(&st) >= DEDUP_DEFAULT_CONFIRM_NEAR_COPY);
        assert_int_equal(kind, 0);
    }
    free(x), free(y), free(orig), free(bg);
}

/* Two roundups, each with a story of its own of six paragraphs and the
 * same two carried stories of six paragraphs each (24 sentences):
 * two thirds of either found in the other, over confirm_near, yet six
 * blocks of its own on each side.  Not near (it was, before
 * NEAR_OWN_BLOCKS); under one headline, two copies of a long story edited
 * on both sides - the same shares, six rewritten paragraphs each - are. */
static void test_own_blocks_not_near(void **state)
{
    (void)state;
    unsigned f1[54], f2[54];
    for (unsigned k = 0; k < 54; k++) {
        f1[k] = k < 18 ? 10 : k < 36 ? 11 : 12; /* own story 10, carried 11 and 12 */
        f2[k] = k < 18 ? 20 : k < 36 ? 11 : 12; /* own story 20 */
    }
    char *r1 = text(30, f1, 54), *r2 = text(31, f2, 54);
    near_trace st;
    assert_int_equal(pair_kind("roundups", (dedup_options){0}, r1, r2, &st), 0);
    assert_int_equal(st.confirmed, 1);
    assert_true(lo_share(&st) >= DEDUP_DEFAULT_CONFIRM_NEAR);
    /* copies of story 40 (30 paragraphs) under its headline: a rewrote
     * paragraphs 0-5 (story 41), b paragraphs 24-29 (story 42) */
    unsigned fa[90], fb[90];
    for (unsigned k = 0; k < 90; k++) {
        fa[k] = k < 18 ? 41 : 40;
        fb[k] = k >= 72 ? 42 : 40;
    }
    char *a = text(40, fa, 90), *b = text(40, fb, 90);
    assert_int_equal(pair_kind("copies", (dedup_options){0}, a, b, &st), DEDUP_NEAR);
    assert_int_equal(st.confirmed, 1);
    free(r1), free(r2), free(a), free(b);
}

/* A follow-up quoting two paragraphs of a story of four, between three
 * paragraphs of its own (first, middle, last): 0.4 of it found in the
 * story, 0.5 of the story in it, and three blocks of its own, spread.
 * Spread like that they make an edited copy rather than a container
 * (copy_own_blocks, for the containment rules), but rule 6 takes only
 * close copies (at most two of their own): not near.  It was, when rule 6
 * took copy_own_blocks's shape (follow-ups near their stories on seeds
 * 1-3 and 11-13 in four languages). */
static void test_follow_up_not_near(void **state)
{
    (void)state;
    const unsigned fs[12] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    const unsigned ff[15] = {8, 8, 8, 1, 1, 1, 8, 8, 8, 1, 1, 1, 8, 8, 8};
    char *story = text(1, fs, 12), *follow = text(9, ff, 15);
    near_trace st;
    assert_int_equal(pair_kind("follow", (dedup_options){0}, story, follow, &st), 0);
    assert_int_equal(st.confirmed, 1);
    assert_true(lo_share(&st) >= DEDUP_DEFAULT_CONFIRM_NEAR_COPY &&
                lo_share(&st) < DEDUP_DEFAULT_CONFIRM_NEAR);
    free(story), free(follow);
}

/* A page near two earlier copies of its story that are not near each
 * other names both.  Story 1 of six paragraphs; copy a under a headline
 * of its own rewrote the last two paragraphs (story 4), copy b the first
 * two (story 5): each has 0.6 of its text found in the whole story and
 * two blocks of its own, but a and b share two paragraphs of six (a third
 * of each) and are unrelated.  The whole story, archived after them, is
 * near both: its result names a first (the earliest) and b too.  Until
 * the eighth round it named only the earliest near copy, so a, b and the
 * story made two groups where a reader sees one. */
static void test_every_near_copy_reported(void **state)
{
    (void)state;
    unsigned fo[18], fa[18], fb[18];
    for (unsigned k = 0; k < 18; k++) {
        fo[k] = 1;
        fa[k] = k < 12 ? 1 : 4;
        fb[k] = k < 6 ? 5 : 1;
    }
    char *texts[3] = {text(2, fa, 18), text(3, fb, 18), text(1, fo, 18)};
    static const char *const urls[3] = {"https://a.example/a", "https://b.example/b",
                                        "https://c.example/c"};
    char d[96];
    snprintf(d, sizeof d, "%s/every", dir);
    assert_int_equal(mkdir(d, 0755), 0);
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(d, &(dedup_options){0}, &e), 0);
    for (int i = 0; i < 3; i++) {
        dedup_result r;
        dedup_input in = {
            urls[i],          NULL, NULL, NULL, NULL, 1 + i, DEDUP_PLAIN_TEXT, texts[i],
            strlen(texts[i]), NULL};
        assert_int_equal(dedup_analyze(e, &in, &r), 0);
        if (i == 1) assert_int_equal(r.n_findings, 0); /* b: a is not near it */
        if (i == 2) {
            int near[2] = {-1, -1};
            for (size_t k = 0; k < r.n_findings; k++)
                for (int j = 0; j < 2; j++)
                    if (r.findings[k].kind == DEDUP_NEAR && strcmp(r.findings[k].url, urls[j]) == 0)
                        near[j] = (int)k;
            assert_int_equal(r.n_findings, 2);
            assert_true(near[0] >= 0 && near[1] >= 0);
            assert_true(near[0] < near[1]); /* the earliest first */
        }
        dedup_result_free(&r);
    }
    dedup_engine_close(e);
    for (int i = 0; i < 3; i++)
        free(texts[i]);
}

/* A page near more copies than a result holds, that also contains a
 * story: every analysis succeeds, the containment and the earliest near
 * copy are reported, and the findings stop at the result's capacity
 * (32).  Story 1 (six paragraphs), then 36 copies of a page carrying it
 * before a story of its own (story 3) on hosts of their own: each copy
 * contains story 1 and is near every earlier copy.  On the sketch
 * (no_confirm, or an index whose documents have no stored text): with
 * confirmation a page aligns at most six candidates and leaves the rest
 * within the floor unrelated, so it is never near this many.  With every
 * near copy kept and no room left for them past the containment, the
 * 33rd finding failed the analysis (FA_ENOMEM). */
static void test_near_copies_past_capacity(void **state)
{
    (void)state;
    unsigned fs[18], fx[36];
    for (unsigned k = 0; k < 36; k++) {
        if (k < 18) fs[k] = 1;
        fx[k] = k < 18 ? 1 : 3;
    }
    char *story = text(1, fs, 18), *page = text(2, fx, 36);
    char d[96];
    snprintf(d, sizeof d, "%s/capacity", dir);
    assert_int_equal(mkdir(d, 0755), 0);
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(d, &(dedup_options){.no_confirm = 1}, &e), 0);
    dedup_result r;
    dedup_input in = {"https://s.example/story", NULL,  NULL,          NULL, NULL, 1,
                      DEDUP_PLAIN_TEXT,          story, strlen(story), NULL};
    assert_int_equal(dedup_analyze(e, &in, &r), 0);
    dedup_result_free(&r);
    char url[64];
    for (int i = 0; i < 36; i++) {
        snprintf(url, sizeof url, "https://h%d.example/page", i);
        in.url = url, in.date = 2 + i, in.content = page, in.len = strlen(page);
        assert_int_equal(dedup_analyze(e, &in, &r), 0);
        if (i == 35) {
            int contains = 0, first_near = -1;
            for (size_t k = 0; k < r.n_findings; k++) {
                if (r.findings[k].kind == DEDUP_CONTAINS &&
                    strcmp(r.findings[k].url, "https://s.example/story") == 0)
                    contains = 1;
                if (r.findings[k].kind == DEDUP_NEAR && first_near < 0) first_near = (int)k;
            }
            assert_int_equal(r.n_findings, 32);
            assert_true(contains);
            assert_true(first_near >= 0);
            assert_string_equal(r.findings[first_near].url, "https://h0.example/page");
        }
        dedup_result_free(&r);
    }
    dedup_engine_close(e);
    free(story), free(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_copies_near_below_confirm_near, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_blocks_not_near, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_up_not_near, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_near_copy_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_near_copies_past_capacity, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
