/*
 * test_dedup_redis.c - the dedup index on Redis (dedup_index_redis.c), the
 * one a cluster's nodes share (issue 15): two nodes' engines on one Redis
 * find each other's documents, the finding naming the other node's
 * WARC-Record-ID, the candidate confirmed on the text the other node
 * stored; the first node's parameters hold for the next; the findings on
 * the generated corpora are the same as with the file index, document for
 * document (tests/dedup/corpus.c: one generator's pages and the
 * combined-edits corpus); candidates ranked as the file index ranks them
 * (a short story carried by a long page found behind 100 pages of more
 * raw hits, also in an index without dd:len); Redis stopped makes
 * analysis fail with FA_EIO
 * and it works again once Redis is back.  Against a real redis-server on
 * loopback; exits 77 without one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "corpus.h"
#include "dedup/dedup_engine.h"
#include "index_checks.h"
#include "redis/redis_test_util.h"
#include "util/test_fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static redis_test_server srv;

static dedup_engine *open_node(const char *prefix, const dedup_options *o)
{
    dedup_redis_index_options ro = {.url = srv.url, .prefix = prefix};
    dedup_engine *e = NULL;
    char err[256] = "";
    int rc = dedup_engine_open_redis(&ro, o, &e, err, sizeof err);
    if (rc < 0) fprintf(stderr, "open: %s: %s\n", fa_strerror(rc), err);
    assert_int_equal(rc, 0);
    return e;
}

/* A story of n paragraphs drawn from a seeded stream of words. */
static char *story(uint32_t seed, int paragraphs, const char *extra)
{
    static const char *const words[] = {
        "council", "river",   "bridge",  "budget",   "harbour", "school", "winter", "mayor",
        "tunnel",  "market",  "museum",  "railway",  "storm",   "repair", "vote",   "parish",
        "ferry",   "orchard", "library", "festival", "quarry",  "signal", "meadow", "clinic"};
    size_t cap = 16384, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    uint32_t x = seed * 2654435761u + 1;
    for (int p = 0; p < paragraphs; p++) {
        len += (size_t)snprintf(s + len, cap - len, "<p>");
        for (int w = 0; w < 60; w++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            len += (size_t)snprintf(s + len, cap - len, "%s%s", w ? " " : "", words[x % 24]);
            if (w % 12 == 11) len += (size_t)snprintf(s + len, cap - len, ".");
        }
        len += (size_t)snprintf(s + len, cap - len, ".</p>\n");
    }
    if (extra) len += (size_t)snprintf(s + len, cap - len, "<p>%s</p>\n", extra);
    return s;
}

static void analyze(dedup_engine *e, const char *url, const char *rid, const char *html,
                    int64_t date, dedup_result *res)
{
    dedup_input in = {.url = url,
                      .record_id = rid,
                      .date = date,
                      .type = DEDUP_HTML_FRAGMENT,
                      .content = html,
                      .len = strlen(html)};
    assert_int_equal(dedup_analyze(e, &in, res), 0);
}

static void two_nodes(void **state)
{
    (void)state;
    dedup_engine *a = open_node("two:", NULL), *b = open_node("two:", NULL);
    char *orig = story(1, 6, NULL);
    char *copy = story(1, 6, "A sentence the reprint added at the end of the wire story today.");
    char *other = story(99, 6, NULL);
    dedup_result r;
    analyze(a, "http://a.example/story", "<urn:uuid:aaaaaaaa-0000-4000-8000-000000000001>", orig,
            1000, &r);
    assert_int_equal(r.n_findings, 0);
    assert_int_equal(r.doc, 0);
    dedup_result_free(&r);
    analyze(b, "http://b.example/unrelated", "<urn:uuid:bbbbbbbb-0000-4000-8000-000000000002>",
            other, 1001, &r);
    assert_int_equal(r.n_findings, 0);
    assert_int_equal(r.doc, 1); /* ids are the cluster's */
    dedup_result_free(&r);
    /* the text a confirmation needs is in Redis, not on node A */
    assert_int_equal(redis_test_int(&srv, "EXISTS two:dd:t:0"), 1);
    analyze(b, "http://b.example/reprint", "<urn:uuid:bbbbbbbb-0000-4000-8000-000000000003>", copy,
            1002, &r);
    assert_int_equal(r.n_findings, 1);
    assert_int_equal(r.findings[0].kind, DEDUP_NEAR);
    assert_string_equal(r.findings[0].url, "http://a.example/story");
    assert_string_equal(r.findings[0].record_id, "<urn:uuid:aaaaaaaa-0000-4000-8000-000000000001>");
    assert_int_equal(r.findings[0].date, 1000);
    assert_true(r.findings[0].score > 0.8);
    dedup_result_free(&r);
    assert_int_equal(dedup_engine_count(a), 3);
    /* URL lookups see the other node's documents too */
    char rid[80];
    uint32_t d;
    assert_int_equal(dedup_engine_lookup_url(a, "http://b.example/reprint?utm_source=x", &d, NULL,
                                             0, rid, sizeof rid),
                     0);
    assert_int_equal(d, 2);
    assert_string_equal(rid, "<urn:uuid:bbbbbbbb-0000-4000-8000-000000000003>");
    dedup_engine_close(a);
    dedup_engine_close(b);
    free(orig), free(copy), free(other);
}

/* Hits through stock anchor values weigh less for a page written in
 * words, as in the file index (index_checks.c) */
static void stock_anchors(void **state)
{
    (void)state;
    dedup_redis_index_options ro = {.url = srv.url, .prefix = "stock:"};
    dedup_index *ix;
    char err[256];
    dedup_index_params p = {4, 4, 7};
    assert_int_equal(dedup_redis_index_open(&ro, &p, &ix, err, sizeof err), 0);
    index_check_stock_anchors(ix);
    ix->ops->close(ix);
}

/* ... and a document met through an anchor value of its own story alone
 * is a candidate under the score floor, as in the file index */
static void unique_anchor(void **state)
{
    (void)state;
    dedup_redis_index_options ro = {.url = srv.url, .prefix = "uniq:"};
    dedup_index *ix;
    char err[256];
    dedup_index_params p = {4, 4, 7};
    assert_int_equal(dedup_redis_index_open(&ro, &p, &ix, err, sizeof err), 0);
    index_check_unique_anchor(ix);
    ix->ops->close(ix);
}

static void parameters_kept(void **state)
{
    (void)state;
    dedup_options o = {.shingle_n = 5, .sample_rate = 8, .seed = 77};
    dedup_redis_index_options ro = {.url = srv.url, .prefix = "par:"};
    dedup_index *ix;
    char err[256];
    dedup_index_params p = {5, 8, 77};
    assert_int_equal(dedup_redis_index_open(&ro, &p, &ix, err, sizeof err), 0);
    ix->ops->close(ix);
    dedup_index_params q = {3, 2, 1};
    assert_int_equal(dedup_redis_index_open(&ro, &q, &ix, err, sizeof err), 0);
    assert_int_equal(ix->params.shingle_n, 5);
    assert_int_equal(ix->params.sample_rate, 8);
    assert_int_equal(ix->params.seed, 77);
    ix->ops->close(ix);
    (void)o;
    ro.prefix = "bad prefix";
    assert_int_equal(dedup_redis_index_open(&ro, &p, &ix, err, sizeof err), FA_EINVAL);
    ro.prefix = "par:";
    ro.url = "redis://127.0.0.1:1/0";
    assert_int_equal(dedup_redis_index_open(&ro, &p, &ix, err, sizeof err), FA_EIO);
}

static void print_score(const char *what, const corpus_score *s)
{
    printf("%-6s near tp %zu fp %zu fn %zu | contain tp %zu fp %zu fn %zu | exact tp %zu fp %zu "
           "fn %zu | hard neg fp %zu/%zu | %.2f s\n",
           what, s->near.tp, s->near.fp, s->near.fn, s->contain.tp, s->contain.fp, s->contain.fn,
           s->exact.tp, s->exact.fp, s->exact.fn, s->hardneg_fp, s->hardneg_pairs, s->seconds);
}

/* The same corpus through the file index and a fresh Redis prefix. */
static void same_as_file(const corpus *c, const char *prefix)
{
    char *dir = test_tmpdir_new();
    corpus_score f, r;
    assert_int_equal(corpus_score_run(c, dir, NULL, &f), 0);
    test_rm_rf(dir);
    free(dir);
    dedup_engine *e = open_node(prefix, NULL);
    assert_int_equal(corpus_score_run_engine(c, e, &r), 0);
    dedup_engine_close(e);
    print_score("file", &f);
    print_score("redis", &r);
    assert_int_equal(r.near.tp, f.near.tp);
    assert_int_equal(r.near.fp, f.near.fp);
    assert_int_equal(r.contain.tp, f.contain.tp);
    assert_int_equal(r.contain.fp, f.contain.fp);
    assert_int_equal(r.exact.tp, f.exact.tp);
    assert_int_equal(r.exact.fp, f.exact.fp);
    assert_int_equal(r.hardneg_fp, f.hardneg_fp);
}

static void quality_generated(void **state)
{
    (void)state;
    corpus c;
    assert_int_equal(corpus_generate(0, 1, 24, &c), 0);
    same_as_file(&c, "q0:");
    corpus_free(&c);
}

static void quality_edits(void **state)
{
    (void)state;
    corpus c;
    assert_int_equal(corpus_generate_edits(0, 7919, 420, &c), 0);
    same_as_file(&c, "qe:");
    corpus_free(&c);
}

/* The same on a Japanese combined-edits corpus: character pages get
 * block anchors among their rare values, chosen on the postings each
 * backend's candidates lookup returns (docs/DEDUP.md, "Block anchors") */
static void quality_edits_chars(void **state)
{
    (void)state;
    corpus c;
    assert_int_equal(corpus_generate_edits(1, 7920, 420, &c), 0);
    same_as_file(&c, "qj:");
    corpus_free(&c);
}

/* Paragraph i of text seed: 60 pseudo-words (three syllables of 80). */
static size_t paragraph(char *s, size_t cap, uint32_t seed, uint32_t i)
{
    static const char cons[] = "bdfgklmnprstvzhj", vow[] = "aeiou";
    uint32_t x = (seed * 2654435761u) ^ (i * 2246822519u) ^ 0x9e3779b9u;
    size_t len = (size_t)snprintf(s, cap, "<p>");
    for (int w = 0; w < 60; w++) {
        if (w) s[len++] = ' ';
        for (int y = 0; y < 3; y++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            s[len++] = cons[x % 16];
            s[len++] = vow[(x >> 8) % 5];
        }
        if (w % 12 == 11) s[len++] = '.';
    }
    len += (size_t)snprintf(s + len, cap - len, "</p>\n");
    return len;
}

#define SHORT_PARAS 3
#define LONG_PARAS 60
#define SHARED_PARAS 12
#define LONG_DOCS 100

/* A long page carrying a short story, analysed after many pages of its
 * size that share a fifth of its other paragraphs: each of those has ~8
 * of its ~39 anchors in the page, more than the story's 4 (all hit), but
 * ~0.2 of what a related document would give against the story's 1.0.
 * Ranked by raw hits the story came after them and was cut at the 64
 * candidates (the Redis index before it ranked as the file index:
 * contains found by the file index, not by Redis).  drop: a Redis key
 * deleted before the page is analysed, or NULL. */
static void find_story_in(dedup_engine *e, const char *tag, const char *drop)
{
    size_t cap = (LONG_PARAS + SHORT_PARAS) * 600 + 64, len;
    char *html = malloc(cap), url[96];
    assert_non_null(html);
    dedup_result r;
    len = 0;
    for (uint32_t i = 0; i < SHORT_PARAS; i++)
        len += paragraph(html + len, cap - len, 1, i);
    analyze(e, "http://wire.example/story", "<urn:uuid:story>", html, 1, &r);
    dedup_result_free(&r);
    for (uint32_t d = 0; d < LONG_DOCS; d++) {
        len = 0;
        for (uint32_t i = 0; i < LONG_PARAS; i++) {
            if (i < SHARED_PARAS) /* a fifth of the page's paragraphs, a different fifth each */
                len += paragraph(html + len, cap - len, 2, (d * 7 + i * 5) % LONG_PARAS);
            else
                len += paragraph(html + len, cap - len, 100 + d, i);
        }
        snprintf(url, sizeof url, "http://topic%u.example/long", (unsigned)d);
        analyze(e, url, "", html, 2 + d, &r);
        dedup_result_free(&r);
    }
    if (drop) assert_int_equal(redis_test_int(&srv, "DEL %s", drop), 1);
    len = 0;
    for (uint32_t i = 0; i < LONG_PARAS; i++) {
        if (i == LONG_PARAS / 2)
            for (uint32_t j = 0; j < SHORT_PARAS; j++)
                len += paragraph(html + len, cap - len, 1, j);
        len += paragraph(html + len, cap - len, 2, i);
    }
    analyze(e, "http://paper.example/page", "<urn:uuid:page>", html, 1000, &r);
    int found = 0;
    for (size_t i = 0; i < r.n_findings; i++) {
        printf("%s: %s %s %.2f\n", tag, dedup_finding_name(r.findings[i].kind), r.findings[i].url,
               r.findings[i].score);
        if (r.findings[i].kind == DEDUP_CONTAINS &&
            strcmp(r.findings[i].url, "http://wire.example/story") == 0)
            found = 1;
    }
    dedup_result_free(&r);
    free(html);
    assert_true(found);
}

static void short_story_ranked(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    dedup_engine *f = NULL;
    assert_int_equal(dedup_engine_open(dir, NULL, &f), 0);
    find_story_in(f, "file", NULL);
    dedup_engine_close(f);
    test_rm_rf(dir);
    free(dir);
    dedup_engine *e = open_node("rank:", NULL);
    find_story_in(e, "redis", NULL);
    dedup_engine_close(e);
    /* an index written before the sketch lengths were kept (no dd:len):
     * the lengths are read from the records' headers */
    e = open_node("rank0:", NULL);
    find_story_in(e, "redis, no dd:len", "rank0:dd:len");
    dedup_engine_close(e);
}

/* Two paragraphs of 22 pseudo-words (a short story), plain text. */
static char *short_text(uint64_t seed, int headline)
{
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    s[0] = 0;
    if (headline)
        len += (size_t)snprintf(s, cap, "Headline of story %llu\n\n", (unsigned long long)seed);
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int p = 0; p < 2; p++) {
        for (int w = 0; w < 22; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            len +=
                (size_t)snprintf(s + len, cap - len, "%sw%u", w ? " " : "", (unsigned)(x % 5000));
        }
        len += (size_t)snprintf(s + len, cap - len, ".\n\n");
    }
    return s;
}

/* Short stories carried by a long page archived before them find it
 * through the page's block anchors (dedup_index.h), which the Redis index
 * keeps among the anchors like the file index (test_dedup_engine.c). */
static void carried_before(void **state)
{
    (void)state;
    enum { STORIES = 8 };
    dedup_engine *e = open_node("carried:", NULL);
    size_t cap = 1 << 16, len = 0;
    char *pg = malloc(cap);
    assert_non_null(pg);
    len += (size_t)snprintf(pg, cap, "The roundup's headline\n\n");
    uint64_t x = 77;
    for (int p = 0; p < 24; p++) {
        for (int w = 0; w < 50; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            len +=
                (size_t)snprintf(pg + len, cap - len, "%sw%u", w ? " " : "", (unsigned)(x % 5000));
        }
        len += (size_t)snprintf(pg + len, cap - len, ".\n\n");
    }
    for (int k = 0; k < STORIES; k++) {
        char *body = short_text(500 + (uint64_t)k, 0);
        len += (size_t)snprintf(pg + len, cap - len, "%s", body);
        free(body);
    }
    dedup_result r;
    dedup_input in = {.url = "https://agg.example/r",
                      .record_id = "<urn:uuid:r>",
                      .date = 1,
                      .type = DEDUP_PLAIN_TEXT,
                      .content = pg,
                      .len = len};
    assert_int_equal(dedup_analyze(e, &in, &r), 0);
    uint32_t page_id = r.doc;
    dedup_result_free(&r);
    for (int k = 0; k < STORIES; k++) {
        char *st = short_text(500 + (uint64_t)k, 1), url[64];
        snprintf(url, sizeof url, "https://s%d.example/story", k);
        dedup_input si = {.url = url,
                          .record_id = "<urn:uuid:s>",
                          .date = 2 + k,
                          .type = DEDUP_PLAIN_TEXT,
                          .content = st,
                          .len = strlen(st)};
        assert_int_equal(dedup_analyze(e, &si, &r), 0);
        int found = 0;
        for (size_t i = 0; i < r.n_findings; i++)
            found |= r.findings[i].kind == DEDUP_CONTAINED_IN && r.findings[i].doc == page_id;
        assert_true(found);
        dedup_result_free(&r);
        free(st);
    }
    free(pg);
    dedup_engine_close(e);
}

static void outage(void **state)
{
    (void)state;
    dedup_engine *e = open_node("out:", NULL);
    char *s1 = story(5, 5, NULL), *s2 = story(6, 5, NULL);
    dedup_result r;
    analyze(e, "http://o.example/1", "<urn:uuid:1>", s1, 1, &r);
    dedup_result_free(&r);
    redis_test_halt(&srv);
    dedup_input in = {
        .url = "http://o.example/2", .type = DEDUP_HTML_FRAGMENT, .content = s2, .len = strlen(s2)};
    assert_int_equal(dedup_analyze(e, &in, &r), FA_EIO);
    dedup_result_free(&r);
    assert_int_equal(redis_test_restart(&srv), 0);
    analyze(e, "http://o.example/2", "<urn:uuid:2>", s2, 2, &r);
    dedup_result_free(&r);
    free(s1), free(s2);
    dedup_engine_close(e);
}

int main(void)
{
    redis_test_require();
    if (redis_test_start(&srv, NULL) < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_nodes),
        cmocka_unit_test(parameters_kept),
        cmocka_unit_test(stock_anchors),
        cmocka_unit_test(unique_anchor),
        cmocka_unit_test(quality_generated),
        cmocka_unit_test(quality_edits),
        cmocka_unit_test(quality_edits_chars),
        cmocka_unit_test(short_story_ranked),
        cmocka_unit_test(carried_before),
        cmocka_unit_test(outage),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    redis_test_stop(&srv);
    return failed ? 1 : 0;
}
