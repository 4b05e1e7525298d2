/*
 * test_dedup_confirm.c - the confirmation step (issue 13): sentence
 * alignment (dedup/align.c), the main-text store (dedup/text_store.c) and
 * the engine deciding on them: an edited wire copy found, a story sharing
 * one background paragraph not, an aggregator's blocks marked with the
 * story each repeats, the store surviving a torn tail.
 */
#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "dedup/align.h"
#include "dedup/dedup_engine.h"
#include "dedup/text_extract.h"
#include "dedup/text_norm.h"
#include "dedup/text_store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/fa-dedup-confirm-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Sentence s of story `story`: 14 pseudo-words, '.'-terminated. */
static void sentence(fa_buf *b, unsigned story, unsigned s, int typo)
{
    uint64_t x = (uint64_t)story * 0x9E3779B97F4A7C15ull + s * 7919u + 1;
    for (int w = 0; w < 14; w++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        fa_buf_printf(b, "%s%s%u", w ? " " : "", typo && w == 6 ? "wx" : "w", (unsigned)(x % 3000));
    }
    fa_buf_puts(b, ". ");
}

/* A roundup's headline and its own story: n sentences of story 3 in
 * paragraphs of three. */
static void roundup_own_story(fa_buf *page, unsigned n)
{
    fa_buf_puts(page, "The roundup's headline\n\n");
    for (unsigned s = 0; s < n; s++) {
        sentence(page, 3, s, 0);
        if (s % 3 == 2) fa_buf_puts(page, "\n\n");
    }
}

/* Another story a roundup carries after the one a test looks at: two
 * paragraphs of three sentences of story 7. */
static void roundup_other_story(fa_buf *page)
{
    for (unsigned s = 0; s < 6; s++) {
        sentence(page, 7, s, 0);
        if (s % 3 == 2) fa_buf_puts(page, "\n\n");
    }
}

static align_text build(const char *s)
{
    fa_buf n;
    fa_buf_init(&n, 1 << 20);
    assert_int_equal(text_normalize(s, strlen(s), &n), 0);
    align_text t;
    assert_int_equal(align_text_build(&t, n.data ? n.data : "", n.len, 0), 0);
    fa_buf_free(&n);
    return t;
}

static void test_align(void **state)
{
    (void)state;
    fa_buf a, b;
    fa_buf_init(&a, 1 << 20);
    fa_buf_init(&b, 1 << 20);
    /* b: sentences 0-9 of story 1; a: 0-7 with a typo in 2 and 5, 8-9 rewritten, swapped order */
    for (unsigned s = 0; s < 10; s++)
        sentence(&b, 1, s, 0);
    for (unsigned s = 7; s < 8; s--)
        sentence(&a, s < 8 ? 1 : 2, s, s == 2 || s == 5);
    sentence(&a, 2, 8, 0);
    sentence(&a, 2, 9, 0);
    align_text ta = build(a.data), tb = build(b.data);
    assert_int_equal(ta.n_s, 10);
    assert_int_equal(tb.n_s, 10);
    double share, blk;
    const align_params ap = {0.5, 0.5, 0, 0, 0, 0, 0};
    align_shares(&ta, &tb, &ap, &share, &blk, NULL);
    assert_true(share > 0.79 && share < 0.81); /* 8 of 10 equal sentences */
    align_shares(&tb, &ta, &ap, &share, &blk, NULL);
    assert_true(share > 0.79 && share < 0.81);
    /* a typo leaves the sentence found; the rewritten ones are not */
    assert_true(align_sentence_found(&ta, 5, &tb, &ap)); /* sentence 2 with its typo */
    assert_false(align_sentence_found(&ta, 8, &tb, &ap));
    /* an unrelated story shares nothing */
    fa_buf_reset(&a);
    for (unsigned s = 0; s < 10; s++)
        sentence(&a, 3, s, 0);
    align_text_free(&ta);
    ta = build(a.data);
    align_shares(&ta, &tb, &ap, &share, &blk, NULL);
    assert_true(share < 0.01);
    /* a unspaced script is counted as such */
    align_text tj = build("東京都は新しい交通計画を発表した。住民は歓迎した。");
    assert_int_equal(tj.n_s, 2);
    assert_true(tj.unspaced * 2 > tj.tokens);
    align_text_free(&tj);
    align_text_free(&ta);
    align_text_free(&tb);
    fa_buf_free(&a);
    fa_buf_free(&b);
}

/* Chinese sentences of one register: every one ends in the same stock
 * phrase, and two unrelated ones share a verb and an object.  Counted at
 * half of the character trigrams with the stock phrase in, the unrelated
 * sentence was "found" (the first round kept Japanese and Chinese off
 * alignment for this); at 0.7 without the pair's stock trigrams it is
 * not, and a copy with one changed character still is. */
static void test_align_chars(void **state)
{
    (void)state;
    align_text tb = build("北京国务院12日宣布新的交通规划，涉及资金约123亿元。"
                          "广州央行5日批准了明年的预算草案，涉及资金约77亿元。"
                          "深圳研究人员20日推迟了防震措施，涉及资金约310亿元。"
                          "成都铁路部门9日公布了物价预期，涉及资金约52亿元。");
    align_text other = build("上海该公司3日宣布新的交通规划，涉及资金约45亿元。");
    align_text copy = build("北京国务院12日宣布新的交通规戈，涉及资金约123亿元。");
    assert_int_equal(tb.n_s, 4);
    assert_int_equal(other.n_s, 1);
    const align_params words_rule = {0.5, 0.5, 0, 0, 0, 0, 0},
                       chars_rule = {0.5, 0.7, 3, 0, 0, 0, 0};
    assert_true(align_sentence_found(&other, 0, &tb, &words_rule));
    assert_false(align_sentence_found(&other, 0, &tb, &chars_rule));
    assert_true(align_sentence_found(&copy, 0, &tb, &chars_rule));
    /* the stock phrase alone does not make the copy's sentences of b found in other */
    double share, blk;
    align_shares(&tb, &other, &chars_rule, &share, &blk, NULL);
    assert_true(share < 0.01);
    align_text_free(&tb);
    align_text_free(&other);
    align_text_free(&copy);
}

/* Twenty-fifth round: whole sentences in common, in order
 * (align_sentence_keys, align_keys_in_order; the engine's
 * carried_prefilter).  Sentences are cut where align_text_build cuts (。,
 * block ends, ". " in words) and trimmed; under ALIGN_WHOLE_KEY_MIN bytes
 * they are left out.  A story's three sentences stand in a page after a
 * stock line the story also has at its end: 3 in order (the stock line
 * early in the page does not hide them); one changed character takes a
 * sentence out; the same sentences in reverse order count 1. */
static void test_align_whole_keys(void **state)
{
    (void)state;
    static const char story[] = "北京国务院12日宣布新的交通规划，涉及资金约123亿元。"
                                "广州央行5日批准了明年的预算草案，涉及资金约77亿元。\n"
                                "深圳研究人员20日推迟了防震措施，涉及资金约310亿元。\n"
                                "读者服务中心将在两个工作日内核实。\n短句。";
    static const char page[] = "读者服务中心将在两个工作日内核实。\n"
                               "成都铁路部门9日公布了物价预期，涉及资金约52亿元。\n"
                               "北京国务院12日宣布新的交通规划，涉及资金约123亿元。"
                               "广州央行5日批准了明年的预算草案，涉及资金约77亿元。\n"
                               "深圳研究人员20日推迟了防震措施，涉及资金约310亿元。";
    static const char typo[] = "北京国务院12日宣布新的交通规戈，涉及资金约123亿元。"
                               "广州央行5日批准了明年的预算草案，涉及资金约77亿元。\n"
                               "深圳研究人员20日推迟了防震措施，涉及资金约310亿元。";
    static const char reversed[] = "深圳研究人员20日推迟了防震措施，涉及资金约310亿元。\n"
                                   "广州央行5日批准了明年的预算草案，涉及资金约77亿元。\n"
                                   "北京国务院12日宣布新的交通规划，涉及资金约123亿元。";
    static const char words[] = "The port board delayed the canal works. It fell.\n"
                                "  The port board delayed the canal works.  ";
    uint64_t *ks = NULL, *kp = NULL, *kt = NULL, *kr = NULL, *kw = NULL;
    long ns = align_sentence_keys(story, strlen(story), 7, &ks);
    long np = align_sentence_keys(page, strlen(page), 7, &kp);
    long nt = align_sentence_keys(typo, strlen(typo), 7, &kt);
    long nr = align_sentence_keys(reversed, strlen(reversed), 7, &kr);
    long nw = align_sentence_keys(words, strlen(words), 7, &kw);
    assert_int_equal(ns, 4); /* "短句。" is under ALIGN_WHOLE_KEY_MIN */
    assert_int_equal(np, 5);
    assert_int_equal(nw, 2); /* "It fell." is too short; the copy is trimmed */
    assert_true(kw[0] == kw[1]);
    assert_int_equal(align_keys_in_order(ks, (size_t)ns, kp, (size_t)np), 3);
    assert_int_equal(align_keys_in_order(kt, (size_t)nt, kp, (size_t)np), 2);
    assert_int_equal(align_keys_in_order(kr, (size_t)nr, kp, (size_t)np), 1);
    assert_int_equal(align_keys_in_order(ks, (size_t)ns, kp, 0), 0);
    free(ks), free(kp), free(kt), free(kr), free(kw);
}

/* Frames compressed on worker threads (text_store_frame_make, each with
 * its thread's own context) and appended afterwards make the same file,
 * byte for byte, as text_store_put does on one thread; each text reads
 * back; a buffer that is not such a frame is refused. */
enum { FRAME_THREADS = 4, FRAME_DOCS = 12 };

typedef struct frame_job {
    int first;
    fa_buf frames[FRAME_DOCS];
    int rc;
} frame_job;

static void frame_text(int doc, char *buf, size_t cap)
{
    size_t o = 0;
    for (int k = 0; k < 40 + doc * 7 && o + 64 < cap; k++)
        o += (size_t)snprintf(buf + o, cap - o, "document %d sentence %d of the story\n", doc, k);
}

static void *frame_thread(void *arg)
{
    frame_job *j = arg;
    char text[8192];
    for (int d = j->first; d < FRAME_DOCS; d += FRAME_THREADS) {
        frame_text(d, text, sizeof text);
        int rc = text_store_frame_make(text, strlen(text), &j->frames[d]);
        if (rc < 0) j->rc = rc;
    }
    return NULL;
}

static void test_text_store_frames_off_lock(void **state)
{
    (void)state;
    char a[96], b[96], text[8192];
    snprintf(a, sizeof a, "%s/put", dir);
    snprintf(b, sizeof b, "%s/frames", dir);
    assert_int_equal(mkdir(a, 0700), 0);
    assert_int_equal(mkdir(b, 0700), 0);
    text_store *sa, *sb;
    assert_int_equal(text_store_open(a, &sa), 0);
    assert_int_equal(text_store_open(b, &sb), 0);
    for (int d = 0; d < FRAME_DOCS; d++) {
        frame_text(d, text, sizeof text);
        assert_int_equal(text_store_put(sa, (uint32_t)d, text, strlen(text)), 0);
    }
    frame_job jobs[FRAME_THREADS];
    pthread_t th[FRAME_THREADS];
    memset(jobs, 0, sizeof jobs);
    for (int t = 0; t < FRAME_THREADS; t++) {
        jobs[t].first = t;
        for (int d = 0; d < FRAME_DOCS; d++)
            fa_buf_init(&jobs[t].frames[d], 1 << 20);
        assert_int_equal(pthread_create(&th[t], NULL, frame_thread, &jobs[t]), 0);
    }
    for (int t = 0; t < FRAME_THREADS; t++) {
        assert_int_equal(pthread_join(th[t], NULL), 0);
        assert_int_equal(jobs[t].rc, 0);
    }
    for (int d = 0; d < FRAME_DOCS; d++)
        assert_int_equal(text_store_put_frame(sb, (uint32_t)d, &jobs[d % FRAME_THREADS].frames[d]),
                         0);
    fa_buf junk;
    fa_buf_init(&junk, 1 << 10);
    assert_int_equal(fa_buf_append(&junk, "not a frame, but long enough to have a header", 46), 0);
    assert_int_equal(text_store_put_frame(sb, FRAME_DOCS, &junk), FA_EINVAL);
    fa_buf_free(&junk);
    assert_int_equal(text_store_file_bytes(sa), text_store_file_bytes(sb));
    fa_buf out;
    fa_buf_init(&out, 1 << 20);
    for (int d = 0; d < FRAME_DOCS; d++) {
        frame_text(d, text, sizeof text);
        assert_int_equal(text_store_get(sb, (uint32_t)d, &out), 0);
        assert_string_equal(out.data, text);
    }
    fa_buf_free(&out);
    text_store_close(sa);
    text_store_close(sb);
    char pa[128], pb[128];
    snprintf(pa, sizeof pa, "%s/dedup.txt", a);
    snprintf(pb, sizeof pb, "%s/dedup.txt", b);
    FILE *fa = fopen(pa, "rb"), *fb = fopen(pb, "rb");
    assert_non_null(fa);
    assert_non_null(fb);
    int ca, cb;
    do {
        ca = fgetc(fa);
        cb = fgetc(fb);
        assert_int_equal(ca, cb);
    } while (ca != EOF);
    fclose(fa);
    fclose(fb);
    for (int t = 0; t < FRAME_THREADS; t++)
        for (int d = 0; d < FRAME_DOCS; d++)
            fa_buf_free(&jobs[t].frames[d]);
    unlink(pa);
    unlink(pb);
    rmdir(a);
    rmdir(b);
}

/* Korean: a sentence of 13 words with three typos keeps 4 of its 11 word
 * trigrams - lost, word by word - but most of its syllable trigrams, so it
 * is found; a sentence of the same register sharing a time phrase and the
 * "...억 원 규모로" ending of every sentence is not (those syllable
 * trigrams stand in every sentence of b: stock phrases). */
static void test_align_hangul(void **state)
{
    (void)state;
    align_text tb =
        build("다음 달부터 울산 교육청은 다음 달부터 배터리 개발 계획을 83억 원 규모로 철회했다. "
              "기자회견에서 부산 한국은행은 이번 주 초 항만 확장 사업을 379억 원 규모로 "
              "검토하고 있다. 공청회를 거쳐 울산 서울시는 관계자에 따르면 재생에너지 도입을 "
              "777억 원 규모로 확정했다. 올해 안에 서울 연구진은 다음 달부터 항만 확장 "
              "사업을 837억 원 규모로 철회했다.");
    align_text copy =
        build("다음 달부터 울산 교육청은 다음 달부터 배턱리 개발 곅획을 83억 원 규모록 철회했다.");
    align_text other =
        build("지난 10일 울산 보건복지부는 이번 주 초 노인 지원책을 316억 원 규모로 재검토할 "
              "방침이다.");
    assert_int_equal(tb.n_s, 4);
    assert_int_equal(copy.n_s, 1);
    assert_true(copy.s[0].hangul * 2 > copy.s[0].tokens);
    assert_int_equal(tb.unspaced, 0); /* not Han/Kana: the engine's candidate floor stays */
    const align_params rule = {0.5, 0.7, 3, DEDUP_DEFAULT_SENTENCE_MIN_HANGUL, 0, 0, 0};
    assert_true(align_sentence_found(&copy, 0, &tb, &rule));
    assert_false(align_sentence_found(&other, 0, &tb, &rule));
    double share, blk;
    align_shares(&tb, &copy, &rule, &share, &blk, NULL);
    assert_true(share > 0.2 && share < 0.3); /* 1 of 4 sentences */
    align_text_free(&tb);
    align_text_free(&copy);
    align_text_free(&other);
}

static void test_text_store(void **state)
{
    (void)state;
    text_store *st;
    assert_int_equal(text_store_open(dir, &st), 0);
    const char *t0 = "first text\nsecond line", *t1 = "another document";
    assert_int_equal(text_store_put(st, 0, t0, strlen(t0)), 0);
    assert_int_equal(text_store_put(st, 1, t1, strlen(t1)), 0);
    fa_buf out;
    fa_buf_init(&out, 1 << 20);
    assert_int_equal(text_store_get(st, 0, &out), 0);
    assert_string_equal(out.data, t0);
    assert_int_equal(text_store_get(st, 7, &out), FA_ENOENT);
    uint64_t size = text_store_file_bytes(st);
    text_store_close(st);
    /* reopened: both texts; a torn third frame is cut off */
    char path[128];
    snprintf(path, sizeof path, "%s/dedup.txt", dir);
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    static const char torn[] = "FTXT\x02\0\0\0\x40\0\0\0\x40\0\0\0garbage";
    assert_int_equal(write(fd, torn, sizeof torn - 1), (ssize_t)(sizeof torn - 1));
    close(fd);
    assert_int_equal(text_store_open(dir, &st), 0);
    assert_int_equal(text_store_file_bytes(st), size);
    assert_int_equal(text_store_get(st, 1, &out), 0);
    assert_string_equal(out.data, t1);
    assert_int_equal(text_store_get(st, 2, &out), FA_ENOENT);
    /* a last frame whose bytes were damaged is cut off too */
    text_store_close(st);
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "XX", 2, (off_t)size - 2), 2);
    close(fd);
    assert_int_equal(text_store_open(dir, &st), 0);
    assert_int_equal(text_store_get(st, 1, &out), FA_ENOENT);
    assert_int_equal(text_store_get(st, 0, &out), 0);
    text_store_close(st);
    fa_buf_free(&out);
}

/* Frames of every size, stored out of id order: text_store_get reads a
 * frame with one pread when it guessed its length (the next frame's
 * offset, or 8 KiB) and must still read longer frames whole. */
static void test_text_store_frame_sizes(void **state)
{
    (void)state;
    text_store *st;
    assert_int_equal(text_store_open(dir, &st), 0);
    static const size_t lens[] = {1, 300, 9000, 70000, 200000, 5};
    static const uint32_t order[] = {3, 0, 5, 1, 4, 2};
    enum { N = sizeof lens / sizeof lens[0] };
    char *t[N];
    uint32_t x = 12345;
    for (size_t i = 0; i < N; i++) {
        t[i] = malloc(lens[i] + 1);
        assert_non_null(t[i]);
        for (size_t j = 0; j < lens[i]; j++) { /* barely compressible */
            x = x * 1103515245u + 12345u;
            t[i][j] = (char)('a' + (x >> 16) % 26);
        }
        t[i][lens[i]] = 0;
    }
    for (size_t k = 0; k < N; k++)
        assert_int_equal(text_store_put(st, order[k], t[order[k]], lens[order[k]]), 0);
    fa_buf out;
    fa_buf_init(&out, 1 << 20);
    for (int pass = 0; pass < 2; pass++) { /* written, then reopened */
        for (size_t i = 0; i < N; i++) {
            assert_int_equal(text_store_get(st, (uint32_t)i, &out), 0);
            assert_int_equal(out.len, lens[i]);
            assert_memory_equal(out.data, t[i], lens[i]);
        }
        text_store_close(st);
        if (pass == 0) assert_int_equal(text_store_open(dir, &st), 0);
    }
    for (size_t i = 0; i < N; i++)
        free(t[i]);
    fa_buf_free(&out);
}

/* A story as plain text: paragraphs of 3 sentences (blank-line separated). */
static char *story(unsigned id, unsigned from, unsigned to, unsigned typo_every,
                   unsigned rewrite_every, const char *lede)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 20);
    if (lede) fa_buf_printf(&b, "%s\n\n", lede);
    for (unsigned s = from; s < to; s++) {
        if (rewrite_every && s % rewrite_every == 1)
            sentence(&b, id + 1000, s, 0);
        else
            sentence(&b, id, s, typo_every && s % typo_every == 0);
        if (s % 3 == 2) fa_buf_puts(&b, "\n\n");
    }
    return fa_buf_steal(&b, NULL);
}

static int analyze(dedup_engine *e, const char *url, const char *text, dedup_result *r)
{
    dedup_input in = {url,  NULL,         NULL, NULL, "<urn:uuid:x>", 1, DEDUP_PLAIN_TEXT,
                      text, strlen(text), NULL};
    return dedup_analyze(e, &in, r);
}

static enum dedup_finding_kind kind_of(const dedup_result *r, const char *url)
{
    for (size_t i = 0; i < r->n_findings; i++)
        if (strcmp(r->findings[i].url, url) == 0) return r->findings[i].kind;
    return 0;
}

/* A story orig, then a page carrying it, through a new engine with
 * options o in the folder d (made here): the kind the page's result names
 * the story with (0: none). */
static enum dedup_finding_kind carried_kind(const char *d, dedup_options o, const char *orig,
                                            const char *page)
{
    assert_int_equal(mkdir(d, 0755), 0);
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(d, &o, &e), 0);
    dedup_result r;
    assert_int_equal(analyze(e, "https://a.example/orig", orig, &r), 0);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://c.example/page", page, &r), 0);
    enum dedup_finding_kind kind = kind_of(&r, "https://a.example/orig");
    dedup_result_free(&r);
    dedup_engine_close(e);
    return kind;
}

/* Asserts that the page is found to contain the story (contained) or
 * not (carried_kind in folder d), then frees both texts. */
static void expect_contained(const char *d, dedup_options o, fa_buf *orig, fa_buf *page,
                             int contained)
{
    enum dedup_finding_kind kind = carried_kind(d, o, orig->data, page->data);
    if (contained)
        assert_int_equal(kind, DEDUP_CONTAINS);
    else
        assert_int_not_equal(kind, DEDUP_CONTAINS);
    fa_buf_free(orig);
    fa_buf_free(page);
}

static void test_engine_confirms(void **state)
{
    (void)state;
    for (int confirm = 0; confirm < 2; confirm++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, confirm);
        assert_int_equal(mkdir(d, 0755), 0);
        dedup_options o = {0};
        o.no_confirm = !confirm;
        dedup_engine *e;
        assert_int_equal(dedup_engine_open(d, &o, &e), 0);
        dedup_result r;
        char *orig = story(1, 0, 15, 0, 0, NULL);
        /* a copy with a local lede, the last paragraph cut, a typo in every
         * fourth sentence and every fifth rewritten */
        char *copy = story(1, 0, 12, 4, 5,
                           "Residents of the river district were the first to notice the change.");
        /* a story repeating one background paragraph of the original */
        char *bg = story(2, 0, 12, 0, 0, NULL);
        char *bg2 = malloc(strlen(bg) + 2000);
        char *para = story(1, 3, 6, 0, 0, NULL);
        sprintf(bg2, "%s%s", bg, para);
        assert_int_equal(analyze(e, "https://a.example/orig", orig, &r), 0);
        dedup_result_free(&r);
        assert_int_equal(analyze(e, "https://b.example/copy", copy, &r), 0);
        int near = kind_of(&r, "https://a.example/orig") == DEDUP_NEAR;
        dedup_result_free(&r);
        assert_int_equal(analyze(e, "https://c.example/background", bg2, &r), 0);
        assert_int_equal(r.n_findings, 0);
        dedup_result_free(&r);
        /* the sketch alone misses the copy (resemblance ~0.4); confirmed it is near */
        if (confirm)
            assert_true(near);
        else
            assert_false(near);
        free(orig), free(copy), free(bg), free(bg2), free(para);
        dedup_engine_close(e);
    }
}

/* An aggregator page: its own story, then two archived stories (one with
 * a typo per paragraph) under "Related Articles": each carried block is
 * marked with the finding of the story it repeats. */
/* A copy that is the other text with paragraphs cut at its end is near it,
 * not contained in it, however much was cut: the longer text's own blocks
 * (its headline aside) all come after the last one they share.  A page
 * with text of its own before what it carries still contains it. */
static void test_cut_end_is_near(void **state)
{
    (void)state;
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    dedup_result r;
    char *body = story(1, 0, 15, 0, 0, NULL), *cut = story(1, 0, 9, 4, 0, NULL);
    char *own = story(3, 0, 9, 0, 0, NULL);
    char *full = malloc(strlen(body) + 100), *copy = malloc(strlen(cut) + 100);
    char *roundup = malloc(strlen(own) + strlen(cut) + 100);
    sprintf(full, "The original headline of the story\n\n%s", body);
    sprintf(copy, "A headline of the copy's own\n\n%s", cut);
    sprintf(roundup, "The roundup's headline\n\n%s%s", own, cut);
    assert_int_equal(analyze(e, "https://a.example/full", full, &r), 0);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://b.example/cut", copy, &r), 0);
    assert_int_equal(kind_of(&r, "https://a.example/full"), DEDUP_NEAR);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://c.example/roundup", roundup, &r), 0);
    assert_int_equal(kind_of(&r, "https://b.example/cut"), DEDUP_CONTAINS);
    dedup_result_free(&r);
    free(body), free(cut), free(own), free(full), free(copy), free(roundup);
    dedup_engine_close(e);
}

/* A short story's copy under a new headline, with a local lede before it
 * and a paragraph of its own after it, is over 1.3 times the story and has
 * 40% of its text in blocks of its own, as a page carrying the story
 * beside one of its own has: but those are two blocks, where the carrying
 * page has a story of its own of three paragraphs.  The copy is near the
 * story (it was called its container), the page contains it. */
static void test_short_copy_with_lede_is_near(void **state)
{
    (void)state;
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    dedup_result r;
    char *body = story(1, 0, 6, 0, 0, NULL), *lede = story(5, 0, 2, 0, 0, NULL);
    char *added = story(6, 0, 2, 0, 0, NULL), *own = story(3, 0, 9, 0, 0, NULL);
    size_t n = strlen(body) + strlen(lede) + strlen(added) + strlen(own) + 200;
    char *orig = malloc(n), *copy = malloc(n), *page = malloc(n);
    sprintf(orig, "The original headline of the story\n\n%s", body);
    sprintf(copy, "A headline of the copy's own\n\n%s\n\n%s%s", lede, body, added);
    sprintf(page, "The page's headline\n\n%s%s", own, body);
    assert_int_equal(analyze(e, "https://a.example/orig", orig, &r), 0);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://b.example/copy", copy, &r), 0);
    assert_int_equal(kind_of(&r, "https://a.example/orig"), DEDUP_NEAR);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://c.example/page", page, &r), 0);
    assert_int_equal(kind_of(&r, "https://a.example/orig"), DEDUP_CONTAINS);
    dedup_result_free(&r);
    free(body), free(lede), free(added), free(own), free(orig), free(copy), free(page);
    dedup_engine_close(e);
}

/* Sentence s of story `story` (14 words, as sentence()) with its word
 * `pos` changed (a substitution or a typo). */
static void sentence_changed(fa_buf *b, unsigned story, unsigned s, int pos)
{
    uint64_t x = (uint64_t)story * 0x9E3779B97F4A7C15ull + s * 7919u + 1;
    for (int w = 0; w < 14; w++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        fa_buf_printf(b, "%s%s%u", w ? " " : "", w == pos ? "x" : "w", (unsigned)(x % 3000));
    }
    fa_buf_puts(b, ". ");
}

/* A short story's copy as an HTML fragment under `headline`: lede_story's
 * two sentences as a lede (0: none), then the story's sentences 0-5 in
 * two paragraphs with word `pos` changed in each, sentence `rewritten`
 * taken from story 95 instead (-1: none), and one sentence of story 96
 * added at the end when `added`. */
static void short_copy(fa_buf *b, const char *headline, unsigned story, unsigned lede_story,
                       int pos, int rewritten, int added)
{
    fa_buf_printf(b, "<h1>%s</h1>\n", headline);
    if (lede_story) {
        fa_buf_puts(b, "<p>");
        sentence(b, lede_story, 0, 0);
        sentence(b, lede_story, 1, 0);
        fa_buf_puts(b, "</p>\n");
    }
    for (int p = 0; p < 2; p++) {
        fa_buf_puts(b, "<p>");
        for (int s = 3 * p; s < 3 * p + 3; s++) {
            if (s == rewritten)
                sentence(b, 95, (unsigned)s, 0);
            else
                sentence_changed(b, story, (unsigned)s, pos);
        }
        if (p == 1 && added) sentence(b, 96, 0, 0);
        fa_buf_puts(b, "</p>\n");
    }
}

/* headline_pair: two copies of a short story under one headline, each
 * edited - one with a lede and a sentence rewritten, the other with
 * another sentence rewritten and one added, a word changed in every
 * sentence of each - keep four of the story's six sentences in common
 * (found at 0.50 and 0.57 of each text), but share about a fifth of their
 * word 4-grams (0.19, 0.22), so their sketches meet under the short
 * pair's floor and they were never aligned.  Aligned because the second
 * copy's headline is a block the first stores, they are near (rule 1).
 * Under another headline they stay unrelated, and so does an unrelated
 * short story under the same headline (aligned, shares ~0). */
static void test_short_copies_same_headline(void **state)
{
    (void)state;
    for (int variant = 0; variant < 3; variant++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, variant);
        assert_int_equal(mkdir(d, 0755), 0);
        dedup_options o = {0};
        dedup_engine *e;
        assert_int_equal(dedup_engine_open(d, &o, &e), 0);
        fa_buf a, b;
        fa_buf_init(&a, 1 << 16), fa_buf_init(&b, 1 << 16);
        const char *head = "Harbour board approves the night ferry timetable";
        short_copy(&a, head, 80, 81, 2, 4, 0);
        if (variant == 2)
            short_copy(&b, head, 82, 0, 11, 1, 1); /* another story */
        else
            short_copy(&b, variant == 1 ? "Night ferries to run from May, board says" : head, 80, 0,
                       11, 1, 1);
        dedup_input in = {"https://a.example/one", NULL,   NULL,  NULL, "<urn:uuid:a>", 1,
                          DEDUP_HTML_FRAGMENT,     a.data, a.len, NULL};
        dedup_result r;
        assert_int_equal(dedup_analyze(e, &in, &r), 0);
        dedup_result_free(&r);
        in.url = "https://b.example/two", in.record_id = "<urn:uuid:b>";
        in.content = b.data, in.len = b.len;
        assert_int_equal(dedup_analyze(e, &in, &r), 0);
        enum dedup_finding_kind kind = kind_of(&r, "https://a.example/one");
        dedup_result_free(&r);
        if (variant == 0)
            assert_int_equal(kind, DEDUP_NEAR);
        else
            assert_int_equal(kind, 0);
        fa_buf_free(&a), fa_buf_free(&b);
        dedup_engine_close(e);
    }
}

/* A wire copy under a new headline with a local lede, one paragraph
 * rewritten and the paragraph the original cut at its end kept: three
 * blocks of its own (its headline aside), 1.5 times the original, 0.75 of
 * the original found in it - the measures of a page carrying the original
 * beside a short story of its own.  On the generator every text with three
 * own blocks called a container was such a copy but one (seeds 1-3: 8
 * near pairs, 1 roundup), so a container has four or more
 * (COPY_OWN_BLOCKS 3): the copy is not called its container. */
static void test_three_own_blocks_copy_not_container(void **state)
{
    (void)state;
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    dedup_result r;
    char *body = story(1, 0, 12, 0, 0, NULL), *lede = story(5, 0, 3, 0, 0, NULL);
    char *p0 = story(1, 0, 3, 0, 0, NULL), *p1 = story(7, 3, 6, 0, 0, NULL);
    char *rest = story(1, 6, 15, 0, 0, NULL), *own = story(3, 0, 12, 0, 0, NULL);
    size_t n =
        strlen(body) + strlen(lede) + strlen(p0) + strlen(p1) + strlen(rest) + strlen(own) + 200;
    char *orig = malloc(n), *copy = malloc(n), *page = malloc(n);
    sprintf(orig, "The original headline of the story\n\n%s", body);
    sprintf(copy, "A headline of the copy's own\n\n%s%s%s%s", lede, p0, p1, rest);
    sprintf(page, "The page's headline\n\n%s%s", own, body);
    assert_int_equal(analyze(e, "https://a.example/orig", orig, &r), 0);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://b.example/copy", copy, &r), 0);
    assert_int_not_equal(kind_of(&r, "https://a.example/orig"), DEDUP_CONTAINS);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://c.example/page", page, &r), 0);
    assert_int_equal(kind_of(&r, "https://a.example/orig"), DEDUP_CONTAINS);
    dedup_result_free(&r);
    free(body), free(lede), free(p0), free(p1), free(rest), free(own);
    free(orig), free(copy), free(page);
    dedup_engine_close(e);
}

/* A wire copy under a new headline with a local lede, a paragraph of its
 * own and, next to what it shares with the original, the original's first
 * paragraph with sentences added (3 of 5 its own, so under half found):
 * three own blocks before the shared text, 1.75 times the original, all
 * of the original found in it - a page's measures.  But the third block
 * holds sentences of the original: it is the shared text edited, where a
 * page's own story (or another story it carries) rarely holds any.
 * Without it the copy has two own blocks - a copy, not a container (seeds
 * 1-3 and 11-13: 3 near pairs called containment, no container of a
 * carried story had two).  The
 * page with a story of its own of three paragraphs still contains the
 * original (align_layout.lead_edge, copy_own_blocks). */
static void test_edited_edge_block_is_shared(void **state)
{
    (void)state;
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    dedup_result r;
    char *body = story(1, 0, 12, 0, 0, NULL), *lede = story(5, 0, 3, 0, 0, NULL);
    char *para = story(6, 0, 3, 0, 0, NULL), *rest = story(1, 3, 12, 0, 0, NULL);
    char *own = story(3, 0, 9, 0, 0, NULL);
    fa_buf edited; /* the original's first paragraph, three sentences added */
    fa_buf_init(&edited, 1 << 20);
    sentence(&edited, 7, 0, 0);
    sentence(&edited, 1, 0, 0);
    sentence(&edited, 7, 1, 0);
    sentence(&edited, 1, 1, 0);
    sentence(&edited, 7, 2, 0);
    fa_buf_puts(&edited, "\n\n");
    sentence(&edited, 1, 2, 0);
    fa_buf_puts(&edited, "\n\n");
    size_t n =
        strlen(body) + strlen(lede) + strlen(para) + strlen(rest) + strlen(own) + edited.len + 200;
    char *orig = malloc(n), *copy = malloc(n), *page = malloc(n);
    sprintf(orig, "The original headline of the story\n\n%s", body);
    sprintf(copy, "A headline of the copy's own\n\n%s%s%s%s", lede, para, edited.data, rest);
    sprintf(page, "The page's headline\n\n%s%s", own, body);
    assert_int_equal(analyze(e, "https://a.example/orig", orig, &r), 0);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://b.example/copy", copy, &r), 0);
    assert_int_not_equal(kind_of(&r, "https://a.example/orig"), DEDUP_CONTAINS);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://c.example/page", page, &r), 0);
    assert_int_equal(kind_of(&r, "https://a.example/orig"), DEDUP_CONTAINS);
    dedup_result_free(&r);
    fa_buf_free(&edited);
    free(body), free(lede), free(para), free(rest), free(own);
    free(orig), free(copy), free(page);
    dedup_engine_close(e);
}

/* align_found_run: a story carried by a page is one run of the page's
 * sentences, no longer than the story; the same sentences scattered over
 * the page are not.  Only the sentences found verbatim count as whole. */
static void test_found_run(void **state)
{
    (void)state;
    fa_buf a, b, c;
    fa_buf_init(&a, 1 << 20);
    fa_buf_init(&b, 1 << 20);
    fa_buf_init(&c, 1 << 20);
    /* a: story 1, sentences 0-8; b: a story of its own (10 sentences),
     * then sentences 0-5 of story 1, the second with a typo; c: the same
     * six sentences, each after two of c's own */
    for (unsigned s = 0; s < 9; s++)
        sentence(&a, 1, s, 0);
    for (unsigned s = 0; s < 10; s++)
        sentence(&b, 3, s, 0);
    for (unsigned s = 0; s < 6; s++) {
        sentence(&b, 1, s, s == 1);
        sentence(&c, 4, 2 * s, 0);
        sentence(&c, 4, 2 * s + 1, 0);
        sentence(&c, 1, s, s == 1);
    }
    align_text ta = build(a.data), tb = build(b.data), tc = build(c.data);
    const align_params ap = {0.5, 0.7, 3, 0.6, 0, 0, 0};
    uint8_t found[9];
    double share, blk;
    align_run run;
    align_shares(&ta, &tb, &ap, &share, &blk, found);
    assert_true(share > 0.66 && share < 0.67); /* 6 of 9 */
    align_found_run(&ta, found, &tb, &ap, &run);
    assert_int_equal(run.span, 6);
    assert_true(run.whole > 0.55 && run.whole < 0.56); /* 5 of 9: the typo is not whole */
    align_shares(&ta, &tc, &ap, &share, &blk, found);
    assert_true(share > 0.66 && share < 0.67);
    align_found_run(&ta, found, &tc, &ap, &run);
    assert_int_equal(run.span, 16);      /* c's sentences 2 .. 17 */
    assert_int_equal(run.span_core, 13); /* one end left out: still scattered */
    static const uint8_t none[9] = {0};
    align_found_run(&ta, none, &tb, &ap, &run);
    assert_int_equal(run.span, 0);
    assert_true(run.whole == 0);
    align_text_free(&ta);
    align_text_free(&tb);
    align_text_free(&tc);
    fa_buf_free(&a);
    fa_buf_free(&b);
    fa_buf_free(&c);
}

/* Text already in normal form, its blocks a line each (build normalises
 * the whole string: one block). */
static align_text build_lines(const char *s)
{
    align_text t;
    assert_int_equal(align_text_build(&t, s, strlen(s), 0), 0);
    return t;
}

/* align_shares, next to a found sentence (align_params.next_to_found,
 * align.h ALIGN_NEXT_*): a story of four sentences of one register (an
 * agency, a date, an action, an amount) is carried by a page after a
 * paragraph of its own, its second and fourth sentences with three typos
 * each.  Those two keep 13 of their 22 counted trigrams in their copies
 * (0.59, under sentence_min_chars 0.7), so they are not found alone; next
 * to the found first and third, in the page's sentences next to theirs,
 * they are found, and the run places them there.  Without the rule they are
 * not found.  A sentence of the same template stating other figures (a
 * date and an amount) in that place is not found: numbers_kept. */
static void test_next_to_found(void **state)
{
    (void)state;
    static const char *story = "成都交通局3日批准了地铁延长线工程，投资约128亿元。"
                               "青岛水务集团12日公布了污水处理改造方案，投资约56亿元。"
                               "厦门港务公司20日启动了码头自动化项目，投资约311亿元。"
                               "大连市政府8日通过了老旧小区改造计划，投资约97亿元。";
    static const char *own =
        "今天上午，本报记者走访了多个建设工地。多位工人表示工期安排比较紧张。\n";
    static const char *second[2] = {"青岛水务集圃12日公布了污水处埋改造方桉，投资约56亿元。",
                                    "威海水务集团15日公布了污水处理改造方案，投资约65亿元。"};
    for (int figures = 0; figures < 2; figures++) {
        fa_buf b;
        fa_buf_init(&b, 1 << 20);
        fa_buf_puts(&b, own);
        fa_buf_puts(&b, "成都交通局3日批准了地铁延长线工程，投资约128亿元。");
        fa_buf_puts(&b, second[figures]);
        fa_buf_puts(&b, "厦门港务公司20日启动了码头自动化项目，投资约311亿元。"
                        "大连市政甫8日通过了老旧小区攻造计刬，投资约97亿元。");
        align_text ta = build_lines(story), tb = build_lines(b.data);
        assert_int_equal(ta.n_s, 4);
        assert_int_equal(tb.n_s, 6);
        align_params ap = {0.5, 0.7, 3, 0.6, 0, 1, 0};
        uint8_t found[4];
        double share, blk;
        align_run run;
        align_shares(&ta, &tb, &ap, &share, &blk, found);
        assert_true(found[0] && found[2] && found[3]);
        assert_int_equal(found[1], !figures);
        align_found_run(&ta, found, &tb, &ap, &run);
        assert_int_equal(run.matched, figures ? 3 : 4);
        assert_int_equal(run.first, 2);
        assert_int_equal(run.last, 5);
        assert_int_equal(run.inversions, 0);
        assert_true(run.whole < 0.75); /* a typo is never whole */
        ap.next_to_found = 0;
        align_shares(&ta, &tb, &ap, &share, &blk, found);
        assert_true(found[0] && found[2]);
        assert_false(found[1] || found[3]);
        assert_true(share > 0.45 && share < 0.55);
        align_text_free(&ta);
        align_text_free(&tb);
        fa_buf_free(&b);
    }
}

/* next_to_found across a paragraph's edge: the story's second sentence
 * is a paragraph of its own, typo'd in the page.  Where the page keeps
 * the story's paragraphs, it is found (its neighbours' matches end and
 * begin blocks of the page too); where the page runs the story into one
 * paragraph, the page's sentence stands inside a block and it is not. */
static void test_next_to_found_paragraph_edge(void **state)
{
    (void)state;
    static const char *story = "成都交通局3日批准了地铁延长线工程，投资约128亿元。\n"
                               "青岛水务集团12日公布了污水处理改造方案，投资约56亿元。\n"
                               "厦门港务公司20日启动了码头自动化项目，投资约311亿元。"
                               "大连市政府8日通过了老旧小区改造计划，投资约97亿元。";
    for (int kept = 1; kept >= 0; kept--) {
        fa_buf b;
        fa_buf_init(&b, 1 << 20);
        fa_buf_puts(&b, "今天上午，本报记者走访了多个建设工地。多位工人表示工期安排比较紧张。\n");
        fa_buf_puts(&b, "成都交通局3日批准了地铁延长线工程，投资约128亿元。");
        if (kept) fa_buf_puts(&b, "\n");
        fa_buf_puts(&b, "青岛水务集圃12日公布了污水处埋改造方桉，投资约56亿元。");
        if (kept) fa_buf_puts(&b, "\n");
        fa_buf_puts(&b, "厦门港务公司20日启动了码头自动化项目，投资约311亿元。"
                        "大连市政府8日通过了老旧小区改造计划，投资约97亿元。");
        align_text ta = build_lines(story), tb = build_lines(b.data);
        assert_int_equal(ta.n_s, 4);
        assert_int_equal(tb.n_s, 6);
        const align_params ap = {0.5, 0.7, 3, 0.6, 0, 1, 0};
        uint8_t found[4];
        double share, blk;
        align_shares(&ta, &tb, &ap, &share, &blk, found);
        assert_true(found[0] && found[2] && found[3]);
        assert_int_equal(found[1], kept);
        align_text_free(&ta);
        align_text_free(&tb);
        fa_buf_free(&b);
    }
}

/* align_params.attribution: a register's stock quote under another
 * speaker is not the same sentence (ALIGN_ATTRIBUTION_MISSING); under the
 * same speaker, with a typo in the quote, it is.  Without the rule the
 * other speaker's is found (the quote outweighs the name).  A quote that
 * opens a block has the same attribution, and the same whole-sentence
 * key, as the same sentence inside a block (the mark is not taken for
 * the previous line's closing mark). */
static void test_quote_attribution(void **state)
{
    (void)state;
    align_text story = build("北京刘先生表示：“走到这一步花了太长时间”。");
    align_text other = build("天津杨先生表示：“走到这一步花了太长时间”。");
    align_text typo = build("北京刘先生表示：“走到这一步花了太长时问”。");
    assert_true(story.s[0].quoted && other.s[0].quoted);
    align_params on = {0.5, 0.7, 3, 0.6, 0, 0, 1}, off = on;
    off.attribution = 0;
    assert_true(align_sentence_found(&story, 0, &other, &off));
    assert_false(align_sentence_found(&story, 0, &other, &on));
    assert_true(align_sentence_found(&story, 0, &typo, &on));
    align_text_free(&story);
    align_text_free(&other);
    align_text_free(&typo);
    /* another name under the same role: with a mask of 64 bits the two
     * names' four bits fell on the other's but two (held) */
    align_text tom = build("\"This is a good start but there is more to do,\" said Tom Brennan, "
                           "the project manager.");
    align_text sam = build("\"This is a good start but there is more to do,\" said Samuel "
                           "Achebe, the project manager.");
    assert_true(align_sentence_found(&tom, 0, &sam, &off));
    assert_false(align_sentence_found(&tom, 0, &sam, &on));
    align_text_free(&tom);
    align_text_free(&sam);
    static const char *opens =
        "공청회를 거쳐 정부는 계획을 밝혔다.\n\"좋은 출발이지만 할 일이 많다\"라고 "
        "주민 대표 강도윤은 말했다.";
    static const char *inside =
        "공청회를 거쳐 정부는 계획을 밝혔다. \"좋은 출발이지만 할 일이 많다\"라고 "
        "주민 대표 강도윤은 말했다.";
    align_text a = build_lines(opens), b = build_lines(inside);
    assert_int_equal(a.n_s, 2);
    assert_int_equal(b.n_s, 2);
    assert_true(a.s[1].quoted && b.s[1].quoted);
    assert_memory_equal(a.s[1].attr, b.s[1].attr, sizeof a.s[1].attr);
    assert_true(align_sentence_found(&a, 1, &b, &on));
    align_text_free(&a);
    align_text_free(&b);
    /* the whole-sentence keys cut there too: the same key either way */
    uint64_t *ka = NULL, *kb = NULL;
    assert_int_equal(align_sentence_keys(opens, strlen(opens), 0, &ka), 2);
    assert_int_equal(align_sentence_keys(inside, strlen(inside), 0, &kb), 2);
    assert_true(ka[1] == kb[1]);
    free(ka);
    free(kb);
}

/* Sentence s of story `story` cut to its first nw words (or longer: nw
 * over 14), or (nw 0) whole with its last word changed. */
static void sentence_variant(fa_buf *b, unsigned story, unsigned s, int nw)
{
    uint64_t x = (uint64_t)story * 0x9E3779B97F4A7C15ull + s * 7919u + 1;
    int n = nw ? nw : 14;
    for (int w = 0; w < n; w++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (nw == 0 && w == 13)
            fa_buf_puts(b, " zz");
        else
            fa_buf_printf(b, "%sw%u", w ? " " : "", (unsigned)(x % 3000));
    }
    fa_buf_puts(b, ". ");
}

/* align_found_run, a match out of place: a page carries a story (8
 * sentences) with its fourth sentence trimmed (a quote cut to 9 of its 14
 * words), while its own story, earlier, says that sentence whole but for
 * its last word.  The story's sentence is found, and best matched in the
 * page's own story (11 of its 12 trigrams there, 7 in the trimmed copy);
 * the copy right after the previous match holds all its trigrams in it, so
 * the match is placed there: one run of 8, in order (else 13 sentences of
 * the page with an inversion).  When the carried copy has an unrelated
 * sentence there instead, the match stays where it is. */
static void test_found_run_in_place(void **state)
{
    (void)state;
    for (int trimmed = 1; trimmed >= 0; trimmed--) {
        fa_buf a, b;
        fa_buf_init(&a, 1 << 20);
        fa_buf_init(&b, 1 << 20);
        for (unsigned s = 0; s < 8; s++)
            sentence(&a, 1, s, 0);
        for (unsigned s = 0; s < 6; s++)
            sentence(&b, 3, s, 0);
        sentence_variant(&b, 1, 3, 0);
        for (unsigned s = 6; s < 10; s++)
            sentence(&b, 3, s, 0);
        for (unsigned s = 0; s < 8; s++) {
            if (s != 3)
                sentence(&b, 1, s, 0);
            else if (trimmed)
                sentence_variant(&b, 1, 3, 9);
            else
                sentence(&b, 5, 0, 0);
        }
        align_text ta = build(a.data), tb = build(b.data);
        const align_params ap = {0.5, 0.7, 3, 0.6, 0, 0, 0};
        uint8_t found[8];
        double share, blk;
        align_run run;
        align_shares(&ta, &tb, &ap, &share, &blk, found);
        assert_true(found[3]);
        align_found_run(&ta, found, &tb, &ap, &run);
        assert_int_equal(run.matched, 8);
        if (trimmed) {
            assert_int_equal(run.span, 8);
            assert_int_equal(run.first, 11);
            assert_int_equal(run.inversions, 0);
        } else {
            assert_int_equal(run.span, 13);
            assert_int_equal(run.first, 6);
            assert_int_equal(run.inversions, 1);
        }
        align_text_free(&ta);
        align_text_free(&tb);
        fa_buf_free(&a);
        fa_buf_free(&b);
    }
}

/* Twenty-sixth round, the engine on a match out of place: a story of a
 * headline and five paragraphs of three sentences, carried by a roundup
 * after its own story of four paragraphs with its last two paragraphs cut
 * and two quotes trimmed (sentences 4 and 7 cut to 9 of their 14 words),
 * which the roundup's own story says whole but for their last word.  The
 * story is found at 0.6, its trimmed sentences best matched in the
 * roundup's own story: two inversions and a span over the page's story,
 * neither one run nor a window of the story's length holding half of it -
 * contained only with the trimmed quotes placed where the copy has them
 * (align_found_run).  A match is not moved to a sentence that is not its
 * copy: with other sentences where the trimmed quotes were, the page stays
 * no container (as before the rule; the quotes' matches stay in the
 * roundup's own story). */
static void test_carried_trimmed_quotes(void **state)
{
    (void)state;
    for (int trimmed = 1; trimmed >= 0; trimmed--) {
        char d[96];
        snprintf(d, sizeof d, "%s/q%d", dir, trimmed);
        dedup_options o = {0};
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        fa_buf_puts(&orig, "The original headline of the story\n\n");
        for (unsigned s = 0; s < 15; s++) {
            sentence(&orig, 1, s, 0);
            if (s % 3 == 2) fa_buf_puts(&orig, "\n\n");
        }
        fa_buf_puts(&page, "The roundup's headline\n\n");
        for (unsigned s = 0; s < 12; s++) {
            sentence(&page, 3, s, 0);
            if (s == 4) sentence_variant(&page, 1, 4, 0);
            if (s == 7) sentence_variant(&page, 1, 7, 0);
            if (s % 3 == 2) fa_buf_puts(&page, "\n\n");
        }
        for (unsigned s = 0; s < 9; s++) {
            if (s != 4 && s != 7)
                sentence(&page, 1, s, 0);
            else if (trimmed)
                sentence_variant(&page, 1, s, 9);
            else
                sentence(&page, 5, s, 0);
            if (s % 3 == 2) fa_buf_puts(&page, "\n\n");
        }
        roundup_other_story(&page);
        expect_contained(d, o, &orig, &page, trimmed);
    }
}

/* A story a roundup carries with its last paragraph cut is found there at
 * two thirds of its tokens, under confirm_containment (0.7): contained, as
 * one run with one block not found, beside a story of the roundup's own of
 * four paragraphs.  A copy with the same cut under a lede of two
 * paragraphs and one paragraph added (three blocks of its own, 1.7 times
 * the story) is not a container of it. */
static void test_carried_run_contains(void **state)
{
    (void)state;
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    dedup_result r;
    char *body = story(1, 0, 9, 0, 0, NULL), *cut = story(1, 0, 6, 0, 0, NULL);
    char *own = story(3, 0, 12, 0, 0, NULL), *lede = story(5, 0, 6, 0, 0, NULL);
    char *added = story(6, 0, 3, 0, 0, NULL);
    size_t n = strlen(body) + strlen(own) + strlen(lede) + strlen(added) + 200;
    char *orig = malloc(n), *roundup = malloc(n), *copy = malloc(n);
    sprintf(orig, "The original headline of the story\n\n%s", body);
    sprintf(roundup, "The roundup's headline\n\n%s%s", own, cut);
    sprintf(copy, "A headline of the copy's own\n\n%s%s%s", lede, cut, added);
    assert_int_equal(analyze(e, "https://a.example/orig", orig, &r), 0);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://b.example/copy", copy, &r), 0);
    assert_int_not_equal(kind_of(&r, "https://a.example/orig"), DEDUP_CONTAINS);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://c.example/roundup", roundup, &r), 0);
    assert_int_equal(kind_of(&r, "https://a.example/orig"), DEDUP_CONTAINS);
    dedup_result_free(&r);
    free(body), free(cut), free(own), free(lede), free(added), free(orig), free(roundup);
    free(copy);
    dedup_engine_close(e);
}

/* A roundup carrying a story with its last paragraph cut (two thirds of
 * it, under confirm_containment) whose own story quotes one of the carried
 * sentences verbatim, where the carried copy has a typo in it: that
 * sentence's best match is in the roundup's own story, far before the
 * run, so the run's span was the whole page and the story was not called
 * carried.  The span is measured with its farthest match left out
 * (align_run.span_core): contained. */
static void test_carried_run_one_outlier(void **state)
{
    (void)state;
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    dedup_result r;
    fa_buf orig, page;
    fa_buf_init(&orig, 1 << 20);
    fa_buf_init(&page, 1 << 20);
    fa_buf_puts(&orig, "The original headline of the story\n\n");
    for (unsigned s = 0; s < 9; s++) {
        sentence(&orig, 1, s, 0);
        if (s % 3 == 2) fa_buf_puts(&orig, "\n\n");
    }
    fa_buf_puts(&page, "The roundup's headline\n\n");
    for (unsigned s = 0; s < 12; s++) {
        sentence(&page, 3, s, 0);
        if (s == 1) sentence(&page, 1, 4, 0); /* the quote, verbatim */
        if (s % 3 == 2) fa_buf_puts(&page, "\n\n");
    }
    for (unsigned s = 0; s < 6; s++) {
        sentence(&page, 1, s, s == 4); /* the carried copy: a typo in the quote */
        if (s % 3 == 2) fa_buf_puts(&page, "\n\n");
    }
    assert_int_equal(analyze(e, "https://a.example/orig", orig.data, &r), 0);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://c.example/roundup", page.data, &r), 0);
    assert_int_equal(kind_of(&r, "https://a.example/orig"), DEDUP_CONTAINS);
    dedup_result_free(&r);
    fa_buf_free(&orig);
    fa_buf_free(&page);
    dedup_engine_close(e);
}

/* The sentences of a story found in a page in no order of theirs, at two
 * thirds of its tokens, one run no longer than the story, verbatim, one
 * block of it not found, beside a story of the page's own of four
 * paragraphs: everything a carried story shows but its order - a topic's
 * stock phrases found by chance lie so.  Not contained
 * (CARRIED_MAX_INVERSIONS); in order, contained. */
static void test_carried_run_in_order(void **state)
{
    (void)state;
    static const unsigned order[2][6] = {{4, 5, 2, 3, 0, 1}, {0, 1, 2, 3, 4, 5}};
    for (int ordered = 0; ordered < 2; ordered++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, ordered);
        dedup_options o = {0};
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        fa_buf_puts(&orig, "The original headline of the story\n\n");
        for (unsigned s = 0; s < 9; s++) {
            sentence(&orig, 1, s, 0);
            if (s % 3 == 2) fa_buf_puts(&orig, "\n\n");
        }
        roundup_own_story(&page, 12);
        for (unsigned s = 0; s < 6; s++) {
            sentence(&page, 1, order[ordered][s], 0);
            if (s % 3 == 2) fa_buf_puts(&page, "\n\n");
        }
        expect_contained(d, o, &orig, &page, ordered);
    }
}

/* Sentence s of story `story` in characters: 40 Han characters and "。";
 * edited, three of them replaced (positions 8, 20, 32): 0.76 of its
 * character trigrams left - found (0.7), not whole (0.8). */
static void chars_sentence(fa_buf *b, unsigned story, unsigned s, int edited)
{
    uint64_t x = (uint64_t)story * 0x9E3779B97F4A7C15ull + s * 7919u + 1;
    for (int k = 0; k < 40; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned cp = 0x4E00 + (unsigned)(x % 3000);
        if (edited && k % 12 == 8) cp = 0x4E00 + 3000 + (unsigned)k;
        fa_buf_printf(b, "%c%c%c", 0xE0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3F),
                      0x80 | (cp & 0x3F));
    }
    fa_buf_puts(b, "\xE3\x80\x82");
}

/* A short story of characters (six sentences), each of its sentences
 * edited in three places (found, not whole), spread over a page of
 * characters one by one, out of order, between the page's own paragraphs:
 * 0.76 of the story found, its found sentences over most of the page,
 * none whole - what a register's stock phrases make of a short story in
 * an unrelated roundup (seeds 11-13, Japanese).  Not contained.  The same
 * edited sentences as one run, in order, are a carried story with typos:
 * contained (scattered_chars). */
static void test_scattered_chars_not_carried(void **state)
{
    (void)state;
    static const unsigned order[6] = {4, 1, 5, 0, 3, 2};
    for (int run = 0; run < 2; run++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, run);
        dedup_options o = {0};
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        fa_buf_puts(&orig, "\xE6\x96\xB0\xE9\x97\xBB\n\n"); /* a headline */
        for (unsigned k = 0; k < 6; k++) {
            chars_sentence(&orig, 1, k, 0);
            if (k % 3 == 2) fa_buf_puts(&orig, "\n\n");
        }
        fa_buf_puts(&page, "\xE6\x80\xBB\xE8\xA7\x88\n\n");
        for (unsigned p = 0; p < 8; p++) {
            for (unsigned k = 0; k < 3; k++)
                chars_sentence(&page, 3, p * 3 + k, 0);
            fa_buf_puts(&page, "\n\n");
            if (!run && p < 6) { /* one sentence of the story, its own block */
                chars_sentence(&page, 1, order[p], 1);
                fa_buf_puts(&page, "\n\n");
            }
        }
        for (unsigned k = 0; run && k < 6; k++) {
            chars_sentence(&page, 1, k, 1);
            if (k % 3 == 2) fa_buf_puts(&page, "\n\n");
        }
        expect_contained(d, o, &orig, &page, run);
    }
}

/* A story of six two-sentence paragraphs (its first one the block a page
 * takes for its headline) carried by a roundup with the last paragraph
 * cut and one sentence rewritten in each of four others: half of it found,
 * verbatim, one run in order, one block not found, beside a story of the
 * roundup's own of four paragraphs.  Contained at confirm_carried 0.5; at
 * 0.55 it was not. */
static void test_carried_half(void **state)
{
    (void)state;
    for (int at = 0; at < 2; at++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, at);
        dedup_options o = {0};
        o.confirm_carried = at ? 0 : 0.55; /* 0: the default */
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        for (unsigned s = 0; s < 12; s++) {
            sentence(&orig, 1, s, 0);
            if (s % 2 == 1) fa_buf_puts(&orig, "\n\n");
        }
        roundup_own_story(&page, 12);
        for (unsigned s = 0; s < 10; s++) {
            sentence(&page, s >= 2 && s % 2 == 1 ? 1001 : 1, s, 0); /* rewritten */
            if (s % 2 == 1) fa_buf_puts(&page, "\n\n");
        }
        expect_contained(d, o, &orig, &page, at);
    }
}

/* A story of four paragraphs (four, four, two and two sentences) carried
 * by a roundup with its last two cut: two blocks found, two not, the two
 * at its end - carried (two thirds of its tokens, one run).  As many
 * blocks not found as found had left it out; a page sharing the first
 * and the last paragraph of a story with two between (test_carried_two_cut)
 * still is. */
static void test_carried_end_cut_half(void **state)
{
    (void)state;
    static const unsigned para_end[4] = {4, 8, 10, 12};
    fa_buf orig, page;
    fa_buf_init(&orig, 1 << 20);
    fa_buf_init(&page, 1 << 20);
    fa_buf_puts(&orig, "The original headline of the story\n\n");
    roundup_own_story(&page, 12);
    for (unsigned s = 0, p = 0; s < 12; s++) {
        sentence(&orig, 1, s, 0);
        if (s < 8) sentence(&page, 1, s, 0);
        if (s + 1 == para_end[p]) {
            fa_buf_puts(&orig, "\n\n");
            if (s < 8) fa_buf_puts(&page, "\n\n");
            p++;
        }
    }
    char d[96];
    snprintf(d, sizeof d, "%s/0", dir);
    dedup_options o = {0};
    assert_int_equal(carried_kind(d, o, orig.data, page.data), DEDUP_CONTAINS);
    fa_buf_free(&orig);
    fa_buf_free(&page);
}

/* A story of five paragraphs carried by a roundup with its third
 * paragraph removed and its last cut: two blocks not found, three found,
 * one run in order - carried (CARRIED_OWN_BLOCKS 2).  A story of five
 * paragraphs (the first taken as its headline) of which a page repeats
 * the first two and the last is not: two of its blocks not found, as
 * many as found (a follow-up, shared background). */
static void test_carried_two_cut(void **state)
{
    (void)state;
    static const int keep[2][5] = {{1, 1, 0, 1, 0}, {1, 1, 0, 0, 1}};
    for (int k = 0; k < 2; k++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, k);
        dedup_options o = {0};
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        if (k == 0) fa_buf_puts(&orig, "The original headline of the story\n\n");
        roundup_own_story(&page, 12);
        for (unsigned s = 0; s < 15 && keep[k][s / 3] >= 0; s++) {
            sentence(&orig, 1, s, 0);
            if (keep[k][s / 3]) sentence(&page, 1, s, 0);
            if (s % 3 == 2) {
                fa_buf_puts(&orig, "\n\n");
                if (keep[k][s / 3]) fa_buf_puts(&page, "\n\n");
            }
        }
        expect_contained(d, o, &orig, &page, k == 0);
    }
}

/* Twenty-third round, carried_kept: a short story (a headline, paragraphs
 * of three, three and four sentences) carried by a roundup after its own
 * story, with a sentence removed from its second paragraph, a typo in
 * another and its last paragraph cut: found at 0.48 of its tokens, not
 * every found sentence whole (verbatim_run) and under confirm_carried
 * (carried_run) - left out before.  Over the part the roundup keeps (the
 * headline it does not carry, the removed sentence, the cut paragraph)
 * it is found whole: carried (shape 0).  The same page against a story
 * with two paragraphs after the ones it holds - the start of a longer
 * story, not a story cut at its end - is not (shape 1). */
static void test_carried_kept(void **state)
{
    (void)state;
    static const unsigned para_end[2][4] = {{3, 6, 10, 0}, {3, 6, 8, 10}};
    for (int k = 0; k < 2; k++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, k);
        dedup_options o = {0};
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        fa_buf_puts(&orig, "The original headline of the story\n\n");
        roundup_own_story(&page, 12);
        for (unsigned s = 0, p = 0; s < 10; s++) {
            sentence(&orig, 1, s, 0);
            if (s < 6 && s != 4) sentence(&page, 1, s, s == 1);
            if (s + 1 == para_end[k][p]) {
                fa_buf_puts(&orig, "\n\n");
                if (s < 6) fa_buf_puts(&page, "\n\n");
                p++;
            }
        }
        roundup_other_story(&page);
        expect_contained(d, o, &orig, &page, k == 0);
    }
}

/* A story of seven paragraphs of three sentences (and a headline) carried
 * by a roundup after its own story of four paragraphs, with its third
 * paragraph rewritten (other sentences in its place), two sentences
 * removed from its sixth and its last paragraph cut: three blocks of the
 * story not found, two of them holding none of its found sentences, four
 * found (0.61 of it, verbatim, one run in order) - carried
 * (carried_majority; carried_run's own-block bounds refuse it).  A story
 * of six paragraphs with its second cut, two sentences removed from its
 * fifth and its last cut: three blocks found beside three not found (0.54)
 * - as many as a page sharing part of a story has - is not. */
static void test_carried_majority(void **state)
{
    (void)state;
    static const int keep[2][7] = {{3, 3, 0, 3, 3, 1, 0}, {3, 0, 3, 3, 1, 0, -1}};
    for (int k = 0; k < 2; k++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, k);
        dedup_options o = {0};
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        fa_buf_puts(&orig, "The original headline of the story\n\n");
        roundup_own_story(&page, 12);
        for (unsigned p = 0; p < 7 && keep[k][p] >= 0; p++) {
            for (unsigned s = 0; s < 3; s++) {
                sentence(&orig, 1, p * 3 + s, 0);
                if (k == 0 && p == 2)
                    sentence(&page, 5, s, 0); /* rewritten */
                else if (s < (unsigned)keep[k][p])
                    sentence(&page, 1, p * 3 + s, 0);
            }
            fa_buf_puts(&orig, "\n\n");
            if (keep[k][p] || (k == 0 && p == 2)) fa_buf_puts(&page, "\n\n");
        }
        roundup_other_story(&page); /* another story the roundup carries */
        expect_contained(d, o, &orig, &page, k == 0);
    }
}

/* A story of four paragraphs (three, three, five and five sentences; and
 * a headline) carried by a roundup after its own story with four
 * sentences removed from its third paragraph and its last cut: two
 * blocks found, two not (the first holding the sentence kept), 0.43 of
 * it found, every found sentence whole, one run - carried (verbatim_run
 * with two blocks not found; it took one).  The same paragraphs with a
 * paragraph of the page's own between the first two (a page quoting them
 * apart) are not. */
static void test_carried_verbatim_two_own(void **state)
{
    (void)state;
    static const unsigned para_end[4] = {3, 6, 11, 16};
    for (int apart = 0; apart < 2; apart++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, apart);
        dedup_options o = {0};
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        fa_buf_puts(&orig, "The original headline of the story\n\n");
        roundup_own_story(&page, 12);
        for (unsigned s = 0, p = 0; s < 16; s++) {
            sentence(&orig, 1, s, 0);
            if (s < 7) sentence(&page, 1, s, 0);
            if (s + 1 == para_end[p]) {
                fa_buf_puts(&orig, "\n\n");
                if (s < 7) fa_buf_puts(&page, "\n\n");
                if (apart && p == 0)
                    for (unsigned k = 0; k < 3; k++)
                        sentence(&page, 5, k, 0), fa_buf_puts(&page, k == 2 ? "\n\n" : "");
                p++;
            }
        }
        roundup_other_story(&page); /* another story the roundup carries */
        expect_contained(d, o, &orig, &page, !apart);
    }
}

/* A short story (a headline and two paragraphs of five sentences) carried
 * by a roundup with its last paragraph cut, between the roundup's own
 * story and another: 0.48 of it found, every found sentence whole, one
 * run of the page - contained (verbatim_run; under confirm_carried, 0.5,
 * it was not).  The same paragraph with a sentence of the page's own
 * between each two of its sentences (a page quoting a story's paragraph
 * apart, as a topic's stories share background) is not. */
static void test_carried_short_verbatim(void **state)
{
    (void)state;
    for (int spread = 0; spread < 2; spread++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, spread);
        dedup_options o = {0};
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        fa_buf_puts(&orig, "The original headline of the story\n\n");
        for (unsigned s = 0; s < 10; s++) {
            sentence(&orig, 1, s, 0);
            if (s % 5 == 4) fa_buf_puts(&orig, "\n\n");
        }
        roundup_own_story(&page, 12);
        for (unsigned s = 0; s < 5; s++) {
            sentence(&page, 1, s, 0);
            if (spread && s < 4) sentence(&page, 5, s, 0);
        }
        fa_buf_puts(&page, "\n\n");
        for (unsigned s = 0; s < 6; s++) {
            sentence(&page, 4, s, 0);
            if (s % 3 == 2) fa_buf_puts(&page, "\n\n");
        }
        expect_contained(d, o, &orig, &page, !spread);
    }
}

/* A story of ten two-sentence paragraphs (the first taken as its
 * headline) carried by a roundup with its last paragraph cut, one sentence
 * rewritten in each of five others and typos in four more: 0.65 of it
 * found, 0.45 of it verbatim, one run in order, beside a story of the
 * roundup's own of six paragraphs.  Contained (CARRIED_MIN_WHOLE 0.45;
 * whole >= confirm_carried, 0.5, left it out). */
static void test_carried_whole_typos(void **state)
{
    (void)state;
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    dedup_result r;
    fa_buf orig, page;
    fa_buf_init(&orig, 1 << 20);
    fa_buf_init(&page, 1 << 20);
    for (unsigned s = 0; s < 20; s++) {
        sentence(&orig, 1, s, 0);
        if (s % 2 == 1) fa_buf_puts(&orig, "\n\n");
    }
    roundup_own_story(&page, 18);
    for (unsigned s = 0; s < 18; s++) {
        int rewritten = s % 2 == 1 && s >= 3 && s <= 11;
        sentence(&page, rewritten ? 1001 : 1, s, s == 1 || s == 2 || s == 4 || s == 6);
        if (s % 2 == 1) fa_buf_puts(&page, "\n\n");
    }
    assert_int_equal(analyze(e, "https://a.example/orig", orig.data, &r), 0);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://c.example/page", page.data, &r), 0);
    assert_int_equal(kind_of(&r, "https://a.example/orig"), DEDUP_CONTAINS);
    dedup_result_free(&r);
    fa_buf_free(&orig);
    fa_buf_free(&page);
    dedup_engine_close(e);
}

/* A story of five four-sentence paragraphs (the first taken as its
 * headline) carried by a roundup with its last two cut and a typo in
 * seven of the twelve sentences it keeps: 0.6 of it found, 0.25 verbatim,
 * its found sentences one compact run of the page - contained
 * (CARRIED_COMPACT_MIN_WHOLE; under CARRIED_MIN_WHOLE, 0.45, it was not).
 * The same with a sentence of the page's own after each of its first two
 * carried paragraphs (two of the page's sentences inside the run) is
 * not. */
static void test_carried_compact_typos(void **state)
{
    (void)state;
    for (int apart = 0; apart < 2; apart++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, apart);
        dedup_options o = {0};
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        for (unsigned s = 0; s < 20; s++) {
            sentence(&orig, 1, s, 0);
            if (s % 4 == 3) fa_buf_puts(&orig, "\n\n");
        }
        roundup_own_story(&page, 18);
        for (unsigned s = 0; s < 12; s++) {
            sentence(&page, 1, s, s % 2 == 0 || s == 11);
            if (apart && (s == 3 || s == 7)) sentence(&page, 5, s, 0);
            if (s % 4 == 3) fa_buf_puts(&page, "\n\n");
        }
        expect_contained(d, o, &orig, &page, !apart);
    }
}

/* The two carried-run rules under the 0.45-whole one (verbatim_run: a
 * short story carried with its last paragraph cut, 0.48 found, all of it
 * whole; CARRIED_COMPACT_MIN_WHOLE: a story carried with its last two
 * paragraphs cut and typos in most sentences, 0.6 found, 0.25 whole) ask
 * the page to carry the story as a roundup does (carried_in_place): after
 * a story of its own (shape 0: contained) - not after one paragraph of
 * the page with the page's story going on after it (shape 1), and as
 * paragraphs of its own - not inside the page's paragraphs, a sentence of
 * the page's before and after what it shares (shape 2). */
static void test_carried_in_place(void **state)
{
    (void)state;
    for (int rule = 0; rule < 2; rule++)
        for (int shape = 0; shape < 3; shape++) {
            char d[96];
            snprintf(d, sizeof d, "%s/%d-%d", dir, rule, shape);
            dedup_options o = {0};
            fa_buf orig, page;
            fa_buf_init(&orig, 1 << 20);
            fa_buf_init(&page, 1 << 20);
            /* verbatim: a headline and two paragraphs of five sentences;
             * compact: five paragraphs of four (the first the headline) */
            unsigned n = rule ? 20 : 10, per = rule ? 4 : 5, carried = rule ? 12 : 5;
            if (!rule) fa_buf_puts(&orig, "The original headline of the story\n\n");
            for (unsigned s = 0; s < n; s++) {
                sentence(&orig, 1, s, 0);
                if (s % per == per - 1) fa_buf_puts(&orig, "\n\n");
            }
            /* the page: its own story (story 3) in paragraphs of three
             * sentences, four before what it carries (one in shape 1, the
             * other three after it), another story after */
            fa_buf_puts(&page, "The page's headline\n\n");
            unsigned before = shape == 1 ? 3 : 12;
            for (unsigned s = 0; s < before; s++) {
                sentence(&page, 3, s, 0);
                if (s % 3 == 2) fa_buf_puts(&page, "\n\n");
            }
            if (shape == 2) sentence(&page, 5, 0, 0);
            for (unsigned s = 0; s < carried; s++) {
                sentence(&page, 1, s, rule && (s % 2 == 0 || s == carried - 1));
                if (s % per == per - 1 && s + 1 < carried) fa_buf_puts(&page, "\n\n");
            }
            if (shape == 2) sentence(&page, 5, 1, 0);
            fa_buf_puts(&page, "\n\n");
            for (unsigned s = before; s < 12; s++) {
                sentence(&page, 3, s, 0);
                if (s % 3 == 2) fa_buf_puts(&page, "\n\n");
            }
            for (unsigned s = 0; s < 6; s++) {
                sentence(&page, 4, s, 0);
                if (s % 3 == 2) fa_buf_puts(&page, "\n\n");
            }
            expect_contained(d, o, &orig, &page, shape == 0);
        }
}

/* Own paragraphs of `n` sentences of story `story`, `count` of them from
 * sentence *s on (twelfth round's fixtures). */
static void own_paragraphs(fa_buf *b, unsigned story, unsigned *s, unsigned count, unsigned n)
{
    for (unsigned p = 0; p < count; p++) {
        for (unsigned k = 0; k < n; k++)
            sentence(b, story, (*s)++, 0);
        fa_buf_puts(b, "\n\n");
    }
}

/* A page whose own text is under confirm_novel_share of its tokens but
 * shaped as a carrier (twelfth round, novel_enough): shape 0, five short
 * blocks of its own around a long story it carries whole (one before, two
 * between its paragraphs, two after) - more than NEAR_OWN_BLOCKS, so it
 * is near the story under no rule, and it was left unrelated; shape 1,
 * its own story of three paragraphs before the story (more than
 * COPY_OWN_BLOCKS, under CARRIER_OWN_BLOCKS).  Both contain the story. */
static void test_novel_by_own_blocks(void **state)
{
    (void)state;
    for (int shape = 0; shape < 2; shape++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, shape);
        dedup_options o = {0};
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        fa_buf_puts(&orig, "The original headline of the story\n\n");
        unsigned so = 0, sc = 0, sp = 0;
        own_paragraphs(&orig, 11, &so, 8, 3);
        fa_buf_puts(&page, "The page's headline\n\n");
        if (shape == 0) {
            own_paragraphs(&page, 12, &sp, 1, 2);
            own_paragraphs(&page, 11, &sc, 4, 3);
            own_paragraphs(&page, 12, &sp, 2, 2);
            own_paragraphs(&page, 11, &sc, 4, 3);
            own_paragraphs(&page, 12, &sp, 2, 2);
        } else {
            own_paragraphs(&page, 12, &sp, 3, 3);
            own_paragraphs(&page, 11, &sc, 8, 3);
        }
        assert_int_equal(carried_kind(d, o, orig.data, page.data), DEDUP_CONTAINS);
        fa_buf_free(&orig);
        fa_buf_free(&page);
    }
}

/* A short story (a headline, a paragraph of four sentences, one of three)
 * whose first paragraph a page repeats verbatim: found at a little over
 * confirm_carried, one block not found, one compact run - carried_run's
 * shape.  The page carries it when its own story comes first (shape 0:
 * three paragraphs before it) or it has more than CARRIER_MANY_BLOCKS
 * blocks of its own (shape 2: two before, eight after, an aggregator's
 * other stories); a news story that quotes the paragraph after two of its
 * own and goes on for three more (shape 1) does not (twelfth round,
 * carrier_shaped). */
static void test_carrier_shaped(void **state)
{
    (void)state;
    for (int shape = 0; shape < 3; shape++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, shape);
        dedup_options o = {0};
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        fa_buf_puts(&orig, "A short headline\n\n");
        unsigned so = 0, sc = 0, sp = 0;
        own_paragraphs(&orig, 21, &so, 1, 4);
        own_paragraphs(&orig, 21, &so, 1, 3);
        fa_buf_puts(&page, "The page's headline\n\n");
        own_paragraphs(&page, 22, &sp, shape == 0 ? 3 : 2, 3);
        own_paragraphs(&page, 21, &sc, 1, 4);
        own_paragraphs(&page, 22, &sp, shape == 2 ? 8 : 3, 3);
        enum dedup_finding_kind kind = carried_kind(d, o, orig.data, page.data);
        if (shape == 1)
            assert_int_not_equal(kind, DEDUP_CONTAINS);
        else
            assert_int_equal(kind, DEDUP_CONTAINS);
        fa_buf_free(&orig);
        fa_buf_free(&page);
    }
}

/* Fourteenth round, carrier_first: a page with at most NEAR_OWN_BLOCKS
 * blocks of its own, at most COPY_OWN_BLOCKS of them before a story it
 * holds verbatim, is an edited copy of the story (a lede and an added
 * paragraph first, two more after: shape 0), not its container; with its
 * own story of three paragraphs first it is (shape 1).  Shape 2: one own
 * paragraph first, then one holding the story's first sentences each with
 * a typo (found, not verbatim: a roundup's own story of one topic holds
 * such chance matches), three own paragraphs, the story verbatim - the
 * layout's lead is 1, but the story's verbatim sentences begin after five
 * blocks of the page's own (align_run_lead): contained. */
static void test_copy_not_carrier_first(void **state)
{
    (void)state;
    for (int shape = 0; shape < 3; shape++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, shape);
        dedup_options o = {0};
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        fa_buf_puts(&orig, "The headline of the story\n\n");
        unsigned so = 0, sc = 0, sp = 0;
        own_paragraphs(&orig, 31, &so, 4, 3);
        fa_buf_puts(&page, "The page's own headline\n\n");
        if (shape == 0) {
            own_paragraphs(&page, 32, &sp, 2, 3);
            own_paragraphs(&page, 31, &sc, 4, 3);
            own_paragraphs(&page, 32, &sp, 2, 3);
        } else if (shape == 1) {
            own_paragraphs(&page, 32, &sp, 3, 3);
            own_paragraphs(&page, 31, &sc, 4, 3);
            own_paragraphs(&page, 32, &sp, 1, 3);
        } else {
            own_paragraphs(&page, 32, &sp, 1, 3);
            for (unsigned k = 0; k < 3; k++)
                sentence(&page, 31, k, 1);
            fa_buf_puts(&page, "\n\n");
            own_paragraphs(&page, 32, &sp, 3, 3);
            own_paragraphs(&page, 31, &sc, 4, 3);
        }
        enum dedup_finding_kind kind = carried_kind(d, o, orig.data, page.data);
        if (shape == 0)
            assert_int_not_equal(kind, DEDUP_CONTAINS);
        else
            assert_int_equal(kind, DEDUP_CONTAINS);
        fa_buf_free(&orig);
        fa_buf_free(&page);
    }
}

/* padded_copy (thirty-fourth round): a copy of a story (nine of its
 * fifteen sentences, 0.6 of it) under a new headline with a lede, a long
 * sentence of its own added to each of the story's first three paragraphs
 * (under half of each found: the layout reads four own blocks first, as a
 * roundup's own story) and a paragraph of its own at its end.  The
 * story's run in it begins in its second paragraph (after the lede) and
 * holds three own sentences: the copy was called the story's container
 * (shape 0); it is not.  Shape 1: the same page with two paragraphs of
 * its own before (the story's run after a story of two paragraphs, as a
 * roundup carries one) is. */
static void test_padded_copy_not_container(void **state)
{
    (void)state;
    for (int shape = 0; shape < 2; shape++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, shape);
        dedup_options o = {0};
        fa_buf text, page;
        fa_buf_init(&text, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        fa_buf_puts(&text, "The headline of the story\n\n");
        unsigned st = 0, so = 100, sp = 0;
        own_paragraphs(&text, 51, &st, 3, 3);
        own_paragraphs(&text, 53, &so, 2, 3);
        fa_buf_puts(&page, "A new headline for the copy\n\n");
        own_paragraphs(&page, 52, &sp, shape ? 2 : 1, shape ? 3 : 2);
        for (unsigned k = 0; k < 3; k++) {
            sentence(&page, 51, k, 0);
            sentence_variant(&page, 52, 10 + k, 28); /* twice a sentence's length */
            fa_buf_puts(&page, "\n\n");
        }
        for (unsigned k = 3; k < 9; k++)
            sentence(&page, 51, k, 0);
        fa_buf_puts(&page, "\n\n");
        own_paragraphs(&page, 52, &sp, 1, 3);
        expect_contained(d, o, &text, &page, shape == 1);
    }
}

/* Sentence s of story `story` with words 3 and 10 of its 14 changed: found
 * in the sentence (half of its trigrams), not closely (ALIGN_CLOSE) - as
 * two stories of one topic find each other's sentences by chance. */
static void sentence_loose(fa_buf *b, unsigned story, unsigned s)
{
    fa_buf t;
    fa_buf_init(&t, 1 << 12);
    sentence(&t, story, s, 0);
    const char *p = t.data;
    for (int w = 0; *p; w++) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (w == 3 || w == 10)
            fa_buf_printf(b, "%sq%u", w ? " " : "", (unsigned)(w * 7 + s));
        else
            fa_buf_printf(b, "%s%.*s", w ? " " : "", (int)n, p);
        p += n;
        while (*p == ' ')
            p++;
    }
    fa_buf_puts(b, " ");
    fa_buf_free(&t);
}

/* Fourteenth round, shared_paragraphs: a story that repeats two paragraphs
 * of another verbatim, and whose other paragraphs hold sentences of it
 * found only loosely (half of their trigrams, the chance matches of one
 * topic's stories), has both shares over confirm_near (0.57 / 0.67) and
 * few blocks of its own: near under rule 4 before.  But the sentences the
 * two hold closely lie in two blocks of each, and each has four blocks or
 * more without one: two stories sharing background, not near (shape 0).
 * An edited copy whose sentences of two paragraphs are changed as much
 * keeps the others close: near (shape 1). */
static void test_shared_paragraphs_not_near(void **state)
{
    (void)state;
    for (int shape = 0; shape < 2; shape++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, shape);
        dedup_options o = {0};
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        fa_buf_puts(&orig, "The first story's headline\n\n");
        unsigned so = 0, sp = 0;
        own_paragraphs(&orig, 41, &so, 6, 3); /* sentences 0-17 */
        fa_buf_puts(&page, "The second story's headline\n\n");
        for (unsigned par = 0; par < 6; par++) {
            for (unsigned k = 0; k < 3; k++) {
                unsigned s = par * 3 + k;
                if (par == 1 || par == 2 || (shape == 1 && par != 3 && par != 4))
                    sentence(&page, 41, s, 0);
                else if (par == 3 || par == 4)
                    sentence_loose(&page, 41, s);
                else
                    sentence(&page, 42, sp++, 0);
            }
            fa_buf_puts(&page, "\n\n");
        }
        own_paragraphs(&page, 42, &sp, 1, 3);
        enum dedup_finding_kind kind = carried_kind(d, o, orig.data, page.data);
        if (shape == 0)
            assert_int_equal(kind, 0);
        else
            assert_int_equal(kind, DEDUP_NEAR);
        fa_buf_free(&orig);
        fa_buf_free(&page);
    }
}

/* paragraphs_apart: a five-paragraph story repeating the first and last
 * paragraphs of another verbatim (five sentences each), each of its three
 * other paragraphs holding one sentence of the other's middle paragraphs
 * loosely (half of its trigrams: a topic's stock sentence with a slot
 * changed), has both shares at 0.67 - near under rule 4 before, and short
 * of shared_paragraphs' four blocks without a close sentence.  Two blocks
 * found in each, three of its own each, different headlines: two stories
 * sharing background, not near (shape 0).  Under the same headline the
 * same pair is two copies of one story, each edited: near (shape 1). */
static void test_paragraphs_apart_not_near(void **state)
{
    (void)state;
    for (int shape = 0; shape < 2; shape++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, shape);
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        fa_buf_puts(&orig, "The first story's headline\n\n");
        fa_buf_puts(&page,
                    shape ? "The first story's headline\n\n" : "The second story's headline\n\n");
        unsigned sp = 0, s = 0;
        for (unsigned par = 0; par < 5; par++) {
            unsigned shared = par == 0 || par == 4;
            for (unsigned k = 0; k < (shared ? 5u : 3u); k++, s++) {
                sentence(&orig, 41, s, 0);
                if (shared)
                    sentence(&page, 41, s, 0);
                else if (k == 1)
                    sentence_loose(&page, 41, s);
                else
                    sentence(&page, 42, sp++, 0);
            }
            fa_buf_puts(&orig, "\n\n");
            fa_buf_puts(&page, "\n\n");
        }
        enum dedup_finding_kind kind = carried_kind(d, (dedup_options){0}, orig.data, page.data);
        if (shape == 0)
            assert_int_equal(kind, 0);
        else
            assert_int_equal(kind, DEDUP_NEAR);
        fa_buf_free(&orig);
        fa_buf_free(&page);
    }
}

/* Fourteenth round, CARRIED_CLOSE_MIN: a short story of words whose every
 * sentence a page holds only loosely (two words of fourteen changed: half
 * of the trigrams, as a topic's stock sentences match by chance) is found
 * there at over confirm_containment, after the page's own story: it was
 * called contained.  None of its sentences is held closely, so it is not
 * (shape 0); the same page holding the sentences verbatim contains it
 * (shape 1). */
static void test_loose_not_carried(void **state)
{
    (void)state;
    for (int shape = 0; shape < 2; shape++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, shape);
        dedup_options o = {0};
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        fa_buf_puts(&orig, "Short story\n\n");
        unsigned so = 0, sp = 0;
        own_paragraphs(&orig, 51, &so, 2, 3);
        fa_buf_puts(&page, "The page's own headline\n\n");
        own_paragraphs(&page, 52, &sp, 3, 3);
        for (unsigned par = 0; par < 2; par++) {
            for (unsigned k = 0; k < 3; k++) {
                if (shape == 0)
                    sentence_loose(&page, 51, par * 3 + k);
                else
                    sentence(&page, 51, par * 3 + k, 0);
            }
            fa_buf_puts(&page, "\n\n");
        }
        own_paragraphs(&page, 52, &sp, 1, 3);
        enum dedup_finding_kind kind = carried_kind(d, o, orig.data, page.data);
        if (shape == 0)
            assert_int_not_equal(kind, DEDUP_CONTAINS);
        else
            assert_int_equal(kind, DEDUP_CONTAINS);
        fa_buf_free(&orig);
        fa_buf_free(&page);
    }
}

/* The run-lead pages of the two tests below: story `story` of six
 * paragraphs in orig; in page the headline `head`, a first paragraph holding three
 * of the story's sentences loosely (a topic's chance matches), own_paras
 * paragraphs of story `own`, then the story verbatim.  The kind found for
 * page against orig. */
static enum dedup_finding_kind loose_lead_kind(const char *head, unsigned story, unsigned own,
                                               unsigned own_paras)
{
    dedup_options o = {0};
    fa_buf orig, page;
    fa_buf_init(&orig, 1 << 20);
    fa_buf_init(&page, 1 << 20);
    fa_buf_puts(&orig, "The long story's headline\n\n");
    unsigned so = 0, sc = 0, sp = 0;
    own_paragraphs(&orig, story, &so, 6, 3);
    fa_buf_puts(&page, head);
    fa_buf_puts(&page, "\n\n");
    for (unsigned k = 0; k < 3; k++)
        sentence_loose(&page, story, k);
    fa_buf_puts(&page, "\n\n");
    own_paragraphs(&page, own, &sp, own_paras, 3);
    own_paragraphs(&page, story, &sc, 6, 3);
    char d[96];
    snprintf(d, sizeof d, "%s/0", dir);
    enum dedup_finding_kind k = carried_kind(d, o, orig.data, page.data);
    fa_buf_free(&orig);
    fa_buf_free(&page);
    return k;
}

/* Fourteenth round, novel_enough by the run's lead: a roundup whose own
 * story (four paragraphs) is short beside a long story it carries (six
 * paragraphs), and whose first paragraph holds three of the story's
 * sentences loosely (a topic's chance matches: found, not verbatim), has
 * 0.36 of its tokens its own, its layout's lead 0 and four own blocks: not
 * novel enough, and near the story under rule 4 (shares 0.64 / 1.0),
 * merging the roundup into the story's cluster.  The story's verbatim
 * sentences begin after five of the page's blocks (align_run_lead): its
 * own story comes first, it contains the story. */
static void test_novel_by_run_lead(void **state)
{
    (void)state;
    assert_int_equal(loose_lead_kind("The roundup's headline", 61, 62, 4), DEDUP_CONTAINS);
}

/* Fourteenth round, rules 4 and 5 by the run's lead: a page whose first
 * paragraph holds three sentences of a story loosely (a topic's chance
 * matches), then three paragraphs of its own, then the story verbatim, is
 * shaped as an edited copy by its layout (three own blocks, none before
 * the found ones: copy_own_blocks), so no container, and was near the
 * story under rule 4 (shares 0.7 / 1.0).  But the story's verbatim
 * sentences begin after four of its blocks: a story of its own first, not
 * an edited copy - not near (left unrelated rather than joined to the
 * story's cluster). */
static void test_not_copy_by_run_lead(void **state)
{
    (void)state;
    assert_int_not_equal(loose_lead_kind("The page's own headline", 71, 72, 3), DEDUP_NEAR);
}

/* The first six words of sentence s of story `story` (sentence's). */
static void sentence_cut(fa_buf *b, unsigned story, unsigned s)
{
    fa_buf t;
    fa_buf_init(&t, 1 << 12);
    sentence(&t, story, s, 0);
    const char *p = t.data;
    for (int w = 0; w < 6 && p; w++)
        p = strchr(p + 1, ' ');
    fa_buf_append(b, t.data, p ? (size_t)(p - t.data) : t.len);
    fa_buf_puts(b, ". ");
    fa_buf_free(&t);
}

/* A short copy whose sentences are cut short (quotes trimmed) is found
 * whole in the fuller copy, which adds a lede: but none of the fuller
 * copy's blocks is half found in the short one, so it had no found block,
 * its own blocks uncounted, and was called the container.  A container
 * needs a block found, and its blocks are counted as the other's
 * sentences see them (align_mark_matches): the lede is its only own
 * block, an edited copy's - not a container. */
static void test_trimmed_copy_not_contained(void **state)
{
    (void)state;
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    dedup_result r;
    fa_buf shortc, full;
    fa_buf_init(&shortc, 1 << 20);
    fa_buf_init(&full, 1 << 20);
    fa_buf_puts(&shortc, "The headline of the story\n\n");
    fa_buf_puts(&full, "The headline of the story\n\n");
    for (unsigned s = 0; s < 3; s++)
        sentence(&full, 5, s, 0);
    fa_buf_puts(&full, "\n\n");
    for (unsigned s = 0; s < 9; s++) {
        sentence_cut(&shortc, 1, s);
        sentence(&full, 1, s, 0);
        if (s % 3 == 2) fa_buf_puts(&shortc, "\n\n"), fa_buf_puts(&full, "\n\n");
    }
    assert_int_equal(analyze(e, "https://a.example/short", shortc.data, &r), 0);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://b.example/full", full.data, &r), 0);
    assert_int_not_equal(kind_of(&r, "https://a.example/short"), DEDUP_CONTAINS);
    dedup_result_free(&r);
    fa_buf_free(&shortc);
    fa_buf_free(&full);
    dedup_engine_close(e);
}

/* Fifteenth round, the run's lead by its window: a roundup whose own
 * story (four paragraphs) says three of a story's sentences verbatim - a
 * register's stock quotes - in its first two paragraphs, then carries the
 * story with those three trimmed (cut to their first six words), then a
 * paragraph of another story.  The story's trimmed sentences match best in
 * the own story, so its earliest whole matches, and the layout's first
 * found block, are there (lead 0, four own blocks: an edited copy's shape
 * by the layout, and near the story under rule 4).  The window of the page
 * as long as the story holding most of its whole matches begins after
 * four of the page's blocks (align_run_lead): contained. */
static void test_run_lead_window(void **state)
{
    (void)state;
    dedup_options o = {0};
    fa_buf orig, page;
    fa_buf_init(&orig, 1 << 20);
    fa_buf_init(&page, 1 << 20);
    fa_buf_puts(&orig, "The story's headline\n\n");
    unsigned so = 0, sp = 0;
    own_paragraphs(&orig, 91, &so, 4, 3);
    fa_buf_puts(&page, "The roundup's headline\n\n");
    /* own story: the stock quotes 1 and 4 in its first paragraph, 7 in
     * its second */
    sentence(&page, 91, 1, 0);
    sentence(&page, 91, 4, 0);
    sentence(&page, 92, sp++, 0);
    fa_buf_puts(&page, "\n\n");
    sentence(&page, 92, sp++, 0);
    sentence(&page, 91, 7, 0);
    sentence(&page, 92, sp++, 0);
    fa_buf_puts(&page, "\n\n");
    own_paragraphs(&page, 92, &sp, 2, 3);
    for (unsigned k = 0; k < 12; k++) {
        if (k % 3 == 1)
            sentence_cut(&page, 91, k);
        else
            sentence(&page, 91, k, 0);
        if (k % 3 == 2) fa_buf_puts(&page, "\n\n");
    }
    unsigned sq = 0;
    own_paragraphs(&page, 93, &sq, 1, 3);
    char d[96];
    snprintf(d, sizeof d, "%s/0", dir);
    assert_int_equal(carried_kind(d, o, orig.data, page.data), DEDUP_CONTAINS);
    fa_buf_free(&orig);
    fa_buf_free(&page);
}

/* Sentence s of Chinese-like story `story`: 24 Han characters and 。; typo:
 * its 10th and 19th characters replaced. */
static void han_sentence(fa_buf *b, unsigned story, unsigned s, int typo)
{
    uint64_t x = (uint64_t)story * 0x9E3779B97F4A7C15ull + s * 7919u + 1;
    for (int c = 0; c < 24; c++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint32_t cp = 0x4E00 + (uint32_t)(typo && (c == 9 || c == 18) ? (x + 1) % 3000 : x % 3000);
        char u[4] = {(char)(0xE0 | (cp >> 12)), (char)(0x80 | ((cp >> 6) & 0x3F)),
                     (char)(0x80 | (cp & 0x3F)), 0};
        fa_buf_puts(b, u);
    }
    fa_buf_puts(b, "\xE3\x80\x82"); /* 。 */
}

/* A Chinese story of n sentences in paragraphs of three under the
 * headline of head_story (sentence 100); typo_mask: sentences with a
 * typo; rewritten: sentences replaced by one of another story. */
static char *han_long(unsigned id, unsigned head_story, unsigned n, unsigned typo_mask,
                      unsigned rewritten)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 16);
    han_sentence(&b, head_story, 100, 0);
    fa_buf_puts(&b, "\n\n");
    for (unsigned s = 0; s < n; s++) {
        if ((rewritten >> s) & 1)
            han_sentence(&b, id + 1000, s, 0);
        else
            han_sentence(&b, id, s, (typo_mask >> s) & 1);
        if (s % 3 == 2 && s + 1 < n) fa_buf_puts(&b, "\n\n");
    }
    return fa_buf_steal(&b, NULL);
}

/* A short story: a headline, then two paragraphs of three sentences;
 * rewritten: the one sentence replaced (or -1). */
static char *han_story(unsigned id, unsigned head_story, unsigned typo_mask, int rewritten)
{
    return han_long(id, head_story, 6, typo_mask, rewritten < 0 ? 0 : 1u << rewritten);
}

typedef struct short_trace {
    double best, shares[2], res;
    int confirmed, same_head;
    uint32_t n[2]; /* the page's sketch values, the candidate's */
} short_trace;

static void short_trace_cb(void *ud, const dedup_trace *t)
{
    short_trace *st = ud;
    double b = t->sketch_res > t->sketch_other_in_me ? t->sketch_res : t->sketch_other_in_me;
    st->best = t->sketch_me_in_other > b ? t->sketch_me_in_other : b;
    st->confirmed = t->confirmed;
    st->shares[0] = t->other_in_me, st->shares[1] = t->me_in_other;
    st->same_head = t->same_head;
    st->res = t->sketch_res;
    st->n[0] = t->sketch_n, st->n[1] = t->other_sketch_n;
}

/* text, then page, analysed on an engine on dir with default options,
 * tracing page's candidates to *st; returns the kind of page's finding on
 * text (0: none). */
static int traced_pair(short_trace *st, const char *text, const char *page)
{
    dedup_options o = {0};
    o.trace = short_trace_cb, o.trace_ud = st;
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    dedup_result r;
    assert_int_equal(analyze(e, "https://a.example/text", text, &r), 0);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://b.example/page", page, &r), 0);
    int kind = kind_of(&r, "https://a.example/text");
    dedup_result_free(&r);
    dedup_engine_close(e);
    return kind;
}

/* A short Chinese story's copy under a new headline, with typos in four of
 * its six sentences and one sentence rewritten: its character sketch (~40
 * values) puts it under the character floor (0.55), the aligned texts
 * share most of their sentences.  A short pair is aligned from the short
 * floor (0.4) and found near; with the short floor at the character one
 * it was left unrelated. */
static void test_short_chars_pair_aligned(void **state)
{
    (void)state;
    for (int lowered = 0; lowered < 2; lowered++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, lowered);
        assert_int_equal(mkdir(d, 0755), 0);
        short_trace st = {0, {0, 0}, 0, 0, 0, {0, 0}};
        dedup_options o = {0};
        o.trace = short_trace_cb, o.trace_ud = &st;
        if (!lowered) o.candidate_floor_short = DEDUP_DEFAULT_CANDIDATE_FLOOR_CHARS;
        dedup_engine *e;
        assert_int_equal(dedup_engine_open(d, &o, &e), 0);
        dedup_result r;
        char *orig = han_story(1, 1, 0, -1), *copy = han_story(1, 2, 0x3F, 4);
        assert_int_equal(analyze(e, "https://a.example/orig", orig, &r), 0);
        dedup_result_free(&r);
        assert_int_equal(analyze(e, "https://b.example/copy", copy, &r), 0);
        /* (at the character floor the candidate is not even kept from the
         * index: nothing traced) */
        if (lowered)
            assert_true(st.best >= DEDUP_DEFAULT_CANDIDATE_FLOOR_SHORT &&
                        st.best < DEDUP_DEFAULT_CANDIDATE_FLOOR_CHARS);
        assert_int_equal(st.confirmed, lowered);
        assert_int_equal(kind_of(&r, "https://a.example/orig"), lowered ? DEDUP_NEAR : 0);
        dedup_result_free(&r);
        free(orig), free(copy);
        dedup_engine_close(e);
    }
}

/* A Chinese story of four paragraphs and its copy under a new headline
 * with four of its twelve sentences rewritten and a typo in another: the
 * pair's sketches (80 values or more each: not a short pair) meet under
 * the character floor, by less than one standard error; the texts share
 * 0.6 of each other.  Aligned from the floor less that error
 * (SHORT_ERROR_SKETCH_CHARS) and found near; until the thirty-third
 * round it was left unrelated, unaligned. */
static void test_chars_pair_floor_error(void **state)
{
    (void)state;
    short_trace st = {0, {0, 0}, 0, 0, 0, {0, 0}};
    char *orig = han_long(1, 1, 12, 0, 0), *copy = han_long(1, 2, 12, 0x2, 0x78);
    int kind = traced_pair(&st, orig, copy);
    free(orig), free(copy);
    uint32_t n_small = st.n[0] < st.n[1] ? st.n[0] : st.n[1];
    assert_true(n_small >= DEDUP_SHORT_SKETCH);
    assert_true(st.best < DEDUP_DEFAULT_CANDIDATE_FLOOR_CHARS);
    double f = DEDUP_DEFAULT_CANDIDATE_FLOOR_CHARS;
    assert_true(st.best >= f - sqrt(f * (1 - f) / n_small));
    assert_int_equal(st.confirmed, 1);
    assert_true(st.shares[0] >= 0.5 && st.shares[1] >= 0.5);
    assert_int_equal(kind, DEDUP_NEAR);
}

/* A short Chinese story's copy under a new headline with three of its six
 * sentences rewritten (0, 2 and 4): aligned only from the short floor
 * (weak), 0.43 of each text found, both copy-shaped.  Rule 6 asked such a
 * pair for one text half found until the thirty-third round, and left it
 * unrelated; that guard is now for pairs under one headline only (a
 * same-desk story: test_weak_same_head_not_near). */
static void test_weak_copy_new_headline_near(void **state)
{
    (void)state;
    short_trace st = {0, {0, 0}, 0, 0, 0, {0, 0}};
    char *orig = han_story(1, 1, 0, -1), *copy = han_long(1, 2, 6, 0, 0x15);
    int kind = traced_pair(&st, orig, copy);
    free(orig), free(copy);
    assert_true(st.best < DEDUP_DEFAULT_CANDIDATE_FLOOR_CHARS);
    assert_int_equal(st.confirmed, 1);
    assert_int_equal(st.same_head, 0);
    for (int k = 0; k < 2; k++)
        assert_true(st.shares[k] >= DEDUP_DEFAULT_CONFIRM_NEAR_COPY &&
                    st.shares[k] < DEDUP_DEFAULT_CONFIRM_NEAR);
    assert_int_equal(kind, DEDUP_NEAR);
}

/* The short floor is for pairs of similar size: a short story whose
 * character sketch is 0.4-0.55 inside a page over three times its size
 * (its typo'd copy beside twelve paragraphs of another story) is not
 * aligned from it. */
static void test_short_floor_not_for_long_pages(void **state)
{
    (void)state;
    short_trace st = {0, {0, 0}, 0, 0, 0, {0, 0}};
    char *orig = han_story(1, 1, 0, -1), *copy = han_story(1, 2, 0x3F, 4);
    fa_buf page;
    fa_buf_init(&page, 1 << 16);
    fa_buf_puts(&page, copy);
    for (unsigned s = 0; s < 36; s++) {
        fa_buf_puts(&page, s % 3 == 0 ? "\n\n" : "");
        han_sentence(&page, 9, s, 0);
    }
    traced_pair(&st, orig, page.data);
    free(orig), free(copy), fa_buf_free(&page);
    assert_true(st.best >= DEDUP_DEFAULT_CANDIDATE_FLOOR_SHORT &&
                st.best < DEDUP_DEFAULT_CANDIDATE_FLOOR_CHARS);
    assert_int_equal(st.confirmed, 0);
}

/* Two short stories under one headline sharing two of six sentences (a
 * same-topic story of the same desk): the sketch puts them under the
 * character floor, the short floor aligns them (sketch resemblance 0.254,
 * over short_pair_res), their headlines are found
 * in each other and both shares are 0.43, over confirm_near_same_head
 * (0.3).  A pair the sketch barely saw is not near on a shared headline
 * unless one text is half found in the other. */
/* The pair above with the own sentences of story `own`, analysed in d;
 * *st: the candidate as traced; returns the finding's kind. */
static int same_desk_pair(const char *d, unsigned own, short_trace *st)
{
    dedup_options o = {0};
    o.trace = short_trace_cb, o.trace_ud = st;
    dedup_engine *e;
    assert_int_equal(mkdir(d, 0755), 0);
    assert_int_equal(dedup_engine_open(d, &o, &e), 0);
    dedup_result r;
    char *a = han_story(1, 1, 0, -1);
    fa_buf b;
    fa_buf_init(&b, 1 << 16);
    han_sentence(&b, 1, 100, 0);
    fa_buf_puts(&b, "\n\n");
    for (unsigned s = 0; s < 6; s++) {
        han_sentence(&b, s < 2 ? 1 : own, s, 0);
        fa_buf_puts(&b, s == 2 ? "\n\n" : "");
    }
    assert_int_equal(analyze(e, "https://a.example/a", a, &r), 0);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://b.example/b", b.data, &r), 0);
    int kind = kind_of(&r, "https://a.example/a");
    dedup_result_free(&r);
    free(a), fa_buf_free(&b);
    dedup_engine_close(e);
    return kind;
}

static void test_weak_same_head_not_near(void **state)
{
    (void)state;
    char d[96];
    snprintf(d, sizeof d, "%s/14", dir);
    short_trace st = {0, {0, 0}, 0, 0, 0, {0, 0}};
    int kind = same_desk_pair(d, 14, &st);
    assert_true(st.best >= DEDUP_DEFAULT_CANDIDATE_FLOOR_SHORT &&
                st.best < DEDUP_DEFAULT_CANDIDATE_FLOOR_CHARS);
    assert_true(st.res >= DEDUP_DEFAULT_SHORT_PAIR_RES);
    assert_int_equal(st.confirmed, 1);
    assert_true(st.shares[0] >= DEDUP_DEFAULT_CONFIRM_NEAR_SAME_HEAD &&
                st.shares[0] < DEDUP_DEFAULT_CONFIRM_NEAR);
    assert_true(st.shares[1] >= DEDUP_DEFAULT_CONFIRM_NEAR_SAME_HEAD &&
                st.shares[1] < DEDUP_DEFAULT_CONFIRM_NEAR);
    assert_int_equal(st.same_head, 1);
    assert_int_equal(kind, 0);
}

/* Fifteenth round: the headlines of two stories sharing background.
 * Shape 0: each is said in the other's first background paragraph, not as
 * its headline (a Japanese headline is found in a same-topic story's body
 * on the few trigrams the register's stock phrases leave: seeds 41-43,
 * three background stories and a follow-up were near on rule 1, shares
 * 0.31-0.45).  Shape 1: one headline, a word of it changed in the second
 * (held at 0.75 of its trigrams: found, not whole - two headlines of one
 * template, a Japanese follow-up at 0.70 and a roundup beside a story it
 * carries at 0.71, seeds 31-33 to 51-53).  Neither is a headline match
 * (rule 1 does not apply).  Shape 2: one headline, whole in both: the
 * same story on rule 1. */
static void head_block(fa_buf *b, unsigned story, unsigned from, unsigned n, int typo)
{
    fa_buf raw;
    fa_buf_init(&raw, 1 << 16);
    for (unsigned s = from; s < from + n; s++)
        sentence(&raw, story, s, typo);
    assert_int_equal(text_normalize(raw.data, raw.len, b), 0);
    fa_buf_puts(b, "\n");
    fa_buf_free(&raw);
}

/* Its normalised text: the headline, two background paragraphs (the other
 * story's headline said in the first, shape 0), three paragraphs of its
 * own; one block a line, as the engine stores it.  second: the pair's
 * second text. */
static char *head_pair(unsigned story, unsigned other, int shape, int second)
{
    fa_buf b, raw;
    fa_buf_init(&b, 1 << 16);
    fa_buf_init(&raw, 1 << 16);
    head_block(&b, shape ? 1 : story, 100, 1, shape == 1 && second);
    for (unsigned s = 0; s < 3; s++)
        sentence(&raw, 5, s, 0);
    if (shape == 0) sentence(&raw, other, 100, 0);
    assert_int_equal(text_normalize(raw.data, raw.len, &b), 0);
    fa_buf_puts(&b, "\n");
    fa_buf_free(&raw);
    head_block(&b, 5, 3, 3, 0);
    for (unsigned k = 0; k < 3; k++)
        head_block(&b, story, 3 * k, 3, 0);
    return fa_buf_steal(&b, NULL);
}

static void test_head_found_as_head(void **state)
{
    (void)state;
    align_params p = {0.5, 0.7, 3, 0.6, 0, 0, 0};
    for (int shape = 0; shape < 3; shape++) {
        char *a = head_pair(1, 2, shape, 0), *b = head_pair(2, 1, shape, 1);
        align_text ta, tb;
        assert_int_equal(align_text_build(&ta, a, strlen(a), 0), 0);
        assert_int_equal(align_text_build(&tb, b, strlen(b), 0), 0);
        assert_int_equal(ta.s[ta.n_s - 1].block, 5);
        /* each headline is found in the other text */
        assert_true(align_sentence_found(&ta, 0, &tb, &p));
        assert_true(align_sentence_found(&tb, 0, &ta, &p));
        assert_int_equal(align_first_block_found(&ta, &tb, &p), shape == 2);
        assert_int_equal(align_first_block_found(&tb, &ta, &p), shape == 2);
        align_text_free(&ta), align_text_free(&tb);
        free(a), free(b);
    }
}

/* A short pair of Han/Kana texts whose sketches resemble each other under
 * short_pair_res (0.15) is not aligned from the short floor, however high
 * one's share in the other (0.43 here: three of a six-sentence story's
 * sentences in a page of seventeen, under 2.5 times its sketch): a short
 * text's share reaches 0.4 by chance on a register's stock 4-grams.
 * (0.25 until the thirty-third round: the same-desk pair of
 * test_weak_same_head_not_near with other sentences of its own, between
 * the two values, is now aligned, and unrelated.) */
static void test_short_pair_needs_resemblance(void **state)
{
    (void)state;
    short_trace st = {0, {0, 0}, 0, 0, 0, {0, 0}};
    char *a = han_story(1, 1, 0, -1);
    fa_buf b;
    fa_buf_init(&b, 1 << 16);
    han_sentence(&b, 9, 100, 0);
    fa_buf_puts(&b, "\n\n");
    for (unsigned s = 0; s < 17; s++) {
        han_sentence(&b, s < 3 ? 1 : 8, s, 0);
        fa_buf_puts(&b, s % 3 == 2 ? "\n\n" : "");
    }
    int kind = traced_pair(&st, a, b.data);
    free(a), fa_buf_free(&b);
    assert_int_equal(kind, 0);
    assert_true(st.best >= DEDUP_DEFAULT_CANDIDATE_FLOOR_SHORT &&
                st.best < DEDUP_DEFAULT_CANDIDATE_FLOOR_CHARS);
    uint32_t n_small = st.n[0] < st.n[1] ? st.n[0] : st.n[1];
    uint32_t n_large = st.n[0] < st.n[1] ? st.n[1] : st.n[0];
    assert_true(n_small < DEDUP_SHORT_SKETCH && n_large <= DEDUP_SHORT_PAIR_RATIO * n_small);
    assert_true(st.res < DEDUP_DEFAULT_SHORT_PAIR_RES);
    assert_int_equal(st.confirmed, 0);
}

/* A short Chinese story's copy under a new headline with three of its six
 * sentences rewritten (1, 4 and 5): the two sketches resemble at 0.17,
 * over short_pair_res (0.15) - aligned from the short floor, 0.43 of each
 * text found, near (rule 6).  Under the guard's value until the
 * thirty-third round (0.25) it was never aligned. */
static void test_short_copy_low_resemblance(void **state)
{
    (void)state;
    short_trace st = {0, {0, 0}, 0, 0, 0, {0, 0}};
    char *orig = han_story(1, 1, 0, -1), *copy = han_long(1, 2, 6, 0, 0x32);
    int kind = traced_pair(&st, orig, copy);
    free(orig), free(copy);
    assert_int_equal(st.confirmed, 1);
    assert_int_equal(kind, DEDUP_NEAR);
    assert_true(st.res >= DEDUP_DEFAULT_SHORT_PAIR_RES && st.res < 0.25);
}

/* A short Chinese story's copy under a new headline carrying five of its
 * six sentences and five added ones in two paragraphs of its own: the
 * story is 0.71 found in the copy, the copy 0.45 in the story, and the
 * copy's own text is two blocks, so it is no container (rule 2).  Texts
 * of characters are near when one share reaches confirm_containment and
 * the other confirm_near_chars (0.3); with that at 0.99 the pair was
 * left unrelated until the nineteenth round, whose rule 7 (a trimmed
 * copy: one share >= confirm_containment, the other >= NEAR_TRIMMED_MIN,
 * both copy-shaped, in any script) takes it too: rule 5 alone now decides
 * only the pairs aligned from the short floor (weak), which rule 7 leaves
 * out. */
static void test_chars_one_side_near(void **state)
{
    (void)state;
    for (int rule = 0; rule < 2; rule++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, rule);
        assert_int_equal(mkdir(d, 0755), 0);
        short_trace st = {0, {0, 0}, 0, 0, 0, {0, 0}};
        dedup_options o = {0};
        o.trace = short_trace_cb, o.trace_ud = &st;
        if (!rule) o.confirm_near_chars = 0.99;
        if (!rule) o.confirm_near_copy = 0.99; /* rule 6 (test_dedup_near.c) calls it near too */
        dedup_engine *e;
        assert_int_equal(dedup_engine_open(d, &o, &e), 0);
        dedup_result r;
        char *a = han_story(1, 1, 0, -1);
        fa_buf b;
        fa_buf_init(&b, 1 << 16);
        han_sentence(&b, 2, 100, 0);
        fa_buf_puts(&b, "\n\n");
        for (unsigned s = 0; s < 5; s++) {
            han_sentence(&b, 1, s, 0);
            fa_buf_puts(&b, s == 2 ? "\n\n" : "");
        }
        for (unsigned s = 0; s < 5; s++) {
            fa_buf_puts(&b, s == 0 || s == 3 ? "\n\n" : "");
            han_sentence(&b, 3, s, 0);
        }
        assert_int_equal(analyze(e, "https://a.example/a", a, &r), 0);
        dedup_result_free(&r);
        assert_int_equal(analyze(e, "https://b.example/b", b.data, &r), 0);
        assert_int_equal(st.confirmed, 1);
        double lo = st.shares[0] < st.shares[1] ? st.shares[0] : st.shares[1];
        double hi = st.shares[0] < st.shares[1] ? st.shares[1] : st.shares[0];
        assert_true(hi >= DEDUP_DEFAULT_CONFIRM_CONTAINMENT);
        assert_true(lo >= DEDUP_DEFAULT_CONFIRM_NEAR_CHARS && lo < DEDUP_DEFAULT_CONFIRM_NEAR);
        assert_int_equal(kind_of(&r, "https://a.example/a"), DEDUP_NEAR);
        dedup_result_free(&r);
        free(a), fa_buf_free(&b);
        dedup_engine_close(e);
    }
}

/* align_own_layout: where a text's own blocks lie against another's. */
static void test_own_layout(void **state)
{
    (void)state;
    /* blocks: 0 headline (aside), 1 own, 2 found, 3 own, 4 found, 5 own, 6 own */
    static const uint32_t blocks[] = {0, 1, 2, 2, 3, 4, 5, 6};
    static const uint8_t found[] = {1, 0, 1, 0, 0, 1, 0, 0};
    align_sentence s[8];
    memset(s, 0, sizeof s);
    for (size_t i = 0; i < 8; i++)
        s[i].block = blocks[i], s[i].tokens = 5;
    align_text t;
    memset(&t, 0, sizeof t);
    t.s = s, t.n_s = 8;
    align_layout lay;
    align_own_layout(&t, found, &lay);
    assert_int_equal(lay.lead, 1);
    assert_int_equal(lay.inner, 1);
    assert_int_equal(lay.trail, 2);
    assert_int_equal(lay.found, 2); /* block 2: half of its tokens found */
    static const uint8_t none[8] = {0};
    align_own_layout(&t, none, &lay);
    assert_int_equal(lay.found + lay.lead + lay.inner + lay.trail, 0);
    t.n_s = 0;
    align_own_layout(&t, none, &lay);
    assert_int_equal(lay.found, 0);
}

static void test_block_report(void **state)
{
    (void)state;
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, NULL, &e), 0);
    dedup_result r;
    char *s1 = story(11, 0, 9, 0, 0, NULL), *s2 = story(12, 0, 6, 0, 0, NULL);
    assert_int_equal(analyze(e, "https://a.example/one", s1, &r), 0);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://b.example/two", s2, &r), 0);
    dedup_result_free(&r);
    char *own = story(13, 0, 9, 0, 0, NULL), *c1 = story(11, 0, 9, 3, 0, NULL);
    fa_buf page;
    fa_buf_init(&page, 1 << 20);
    fa_buf_printf(&page, "%s%s%s", own, c1, s2);
    assert_int_equal(analyze(e, "https://agg.example/roundup", page.data, &r), 0);
    assert_int_equal(kind_of(&r, "https://a.example/one"), DEDUP_CONTAINS);
    assert_int_equal(kind_of(&r, "https://b.example/two"), DEDUP_CONTAINS);
    /* blocks: 3 own paragraphs, 3 of one, 2 of two */
    assert_int_equal(r.n_blocks, 8);
    for (size_t i = 0; i < r.n_blocks; i++) {
        int f = r.blocks[i].copied_from;
        const char *want = i < 3 ? NULL : i < 6 ? "https://a.example/one" : "https://b.example/two";
        if (want == NULL)
            assert_int_equal(f, -1);
        else
            assert_string_equal(r.findings[f].url, want);
    }
    dedup_result_free(&r);
    fa_buf_free(&page);
    free(s1), free(s2), free(own), free(c1);
    dedup_engine_close(e);
}

/* A text longer than the store keeps (one 2 MiB paragraph) is analysed,
 * and stored cut at TEXT_STORE_MAX_TEXT (regression: the whole text was
 * appended to a buffer with a 1.25 MiB ceiling and the analysis failed
 * with FA_ETOOBIG). */
static void test_long_text(void **state)
{
    (void)state;
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, NULL, &e), 0);
    size_t n = 2u << 20;
    char *t = malloc(n + 1);
    assert_non_null(t);
    for (size_t i = 0; i < n; i++)
        t[i] = i % 7 == 6 ? ' ' : (char)('a' + (i * 31 / 7) % 26);
    t[n] = 0;
    dedup_result r;
    assert_int_equal(analyze(e, "https://a.example/long", t, &r), 0);
    dedup_result_free(&r);
    dedup_engine_close(e);
    text_store *st;
    assert_int_equal(text_store_open(dir, &st), 0);
    fa_buf out;
    fa_buf_init(&out, 1 << 20);
    assert_int_equal(text_store_get(st, 0, &out), 0);
    assert_int_equal(out.len, TEXT_STORE_MAX_TEXT);
    fa_buf_free(&out);
    text_store_close(st);
    free(t);
}

/* A page with a short story of its own (four paragraphs, six sentences)
 * before a long story it carries whole (fifteen sentences): 0.29 of its
 * tokens are its own, under confirm_novel_share (0.4), but its own blocks
 * are a story before what it shares (CARRIER_OWN_BLOCKS), which an edited
 * copy never has (a lede at most): it contains the story.  It was called
 * near it (both shares over 0.5, four own blocks). */
static void test_own_story_before_long_carried(void **state)
{
    (void)state;
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    dedup_result r;
    fa_buf orig, page;
    fa_buf_init(&orig, 1 << 20);
    fa_buf_init(&page, 1 << 20);
    fa_buf_puts(&orig, "The original headline of the story\n\n");
    fa_buf_puts(&page, "The roundup's headline\n\n");
    for (unsigned s = 0; s < 6; s++) {
        sentence(&page, 3, s, 0);
        if (s != 0 && s != 2) fa_buf_puts(&page, "\n\n");
    }
    for (unsigned s = 0; s < 15; s++) {
        sentence(&orig, 1, s, 0);
        sentence(&page, 1, s, 0);
        if (s % 3 == 2) fa_buf_puts(&orig, "\n\n"), fa_buf_puts(&page, "\n\n");
    }
    assert_int_equal(analyze(e, "https://a.example/orig", orig.data, &r), 0);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://c.example/roundup", page.data, &r), 0);
    assert_int_equal(kind_of(&r, "https://a.example/orig"), DEDUP_CONTAINS);
    dedup_result_free(&r);
    fa_buf_free(&orig);
    fa_buf_free(&page);
    dedup_engine_close(e);
}

/* Paragraphs [from, to) of Han story `story`, three sentences each. */
static void han_paragraphs(fa_buf *b, unsigned story, unsigned from, unsigned to)
{
    for (unsigned p = from; p < to; p++) {
        for (unsigned s = 0; s < 3; s++)
            han_sentence(b, story, p * 3 + s, 0);
        fa_buf_puts(b, "\n\n");
    }
}

/* Short Chinese stories (two paragraphs) carried by a long roundup
 * archived before them find it through the roundup's block anchors: a
 * page of character shingles gets them too since the ninth round
 * (BLOCK_ANCHOR_MIN_SKETCH_CHARS), chosen among its rare values.  Before,
 * such a story found the roundup only when it held one of the roundup's
 * E smallest values (about half of the time). */
static void test_chars_carried_before(void **state)
{
    (void)state;
    enum { STORIES = 8 };
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    fa_buf page;
    fa_buf_init(&page, 1 << 20);
    fa_buf_puts(&page, "综述标题\n\n");
    han_paragraphs(&page, 1, 0, 6); /* its own story */
    for (unsigned k = 0; k < STORIES; k++)
        han_paragraphs(&page, 100 + k, 0, 2);
    dedup_result r;
    assert_int_equal(analyze(e, "https://c.example/roundup", page.data, &r), 0);
    dedup_result_free(&r);
    for (unsigned k = 0; k < STORIES; k++) {
        fa_buf st;
        fa_buf_init(&st, 1 << 16);
        fa_buf_printf(&st, "标题%u\n\n", k);
        han_paragraphs(&st, 100 + k, 0, 2);
        char url[64];
        snprintf(url, sizeof url, "https://s%u.example/story", k);
        assert_int_equal(analyze(e, url, st.data, &r), 0);
        assert_int_equal(kind_of(&r, "https://c.example/roundup"), DEDUP_CONTAINED_IN);
        dedup_result_free(&r);
        fa_buf_free(&st);
    }
    fa_buf_free(&page);
    dedup_engine_close(e);
}

/* A carried story most of which is one run of its page, in order, while
 * two of its sentences match best elsewhere in the page: the roundup
 * carries other sentences in their place (twenty-sixth round: not a typo
 * each, which align_found_run now places in the run - the copy holds its
 * sentence's trigrams - test_found_run_in_place), and its own story and
 * another story it carries quote them verbatim.  Found at 0.69, its matches spread over
 * the page (span_core longer than the story, two inversions), it was not
 * carried; the window of the page as long as the story holds 0.54 of it,
 * in order and whole, after a story of the page's own (five blocks): now
 * contained (carried_run, the window).  A page sharing text with a story
 * without its own story first (three blocks) is not given the window:
 * a Chinese background story repeating three of a story's paragraphs
 * was (seeds 21-23). */
static void test_carried_window(void **state)
{
    (void)state;
    for (int own_first = 0; own_first < 2; own_first++) {
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 16);
        fa_buf_init(&page, 1 << 16);
        han_sentence(&orig, 7, 100, 0);
        fa_buf_puts(&orig, "\n\n");
        for (unsigned p = 0; p < 3; p++) {
            for (unsigned s = 0; s < 4; s++)
                han_sentence(&orig, 7, p * 4 + s, 0);
            fa_buf_puts(&orig, "\n\n");
        }
        /* the page: its own story (5 or 3 paragraphs, the third quoting
         * sentence 1 of the story), the story with other sentences in
         * place of 1 and 6 and its last paragraph cut, then another story
         * quoting sentence 6 */
        han_sentence(&page, 50, 100, 0);
        fa_buf_puts(&page, "\n\n");
        unsigned own = own_first ? 5 : 3;
        for (unsigned p = 0; p < own; p++) {
            for (unsigned s = 0; s < 3; s++)
                han_sentence(&page, 50, p * 3 + s, 0);
            if (p == own - 2) han_sentence(&page, 7, 1, 0);
            fa_buf_puts(&page, "\n\n");
        }
        han_sentence(&page, 7, 100, 0);
        fa_buf_puts(&page, "\n\n");
        for (unsigned p = 0; p < 2; p++) {
            for (unsigned s = 0; s < 4; s++)
                if (p * 4 + s == 1 || p * 4 + s == 6)
                    han_sentence(&page, 70, p * 4 + s, 0);
                else
                    han_sentence(&page, 7, p * 4 + s, 0);
            fa_buf_puts(&page, "\n\n");
        }
        han_sentence(&page, 60, 100, 0);
        fa_buf_puts(&page, "\n\n");
        for (unsigned p = 0; p < 4; p++) {
            for (unsigned s = 0; s < 3; s++)
                han_sentence(&page, 60, p * 3 + s, 0);
            if (p == 1) han_sentence(&page, 7, 6, 0);
            fa_buf_puts(&page, "\n\n");
        }
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, own_first);
        dedup_options o = {0};
        enum dedup_finding_kind k = carried_kind(d, o, orig.data, page.data);
        if (own_first)
            assert_int_equal(k, DEDUP_CONTAINS);
        else
            assert_int_not_equal(k, DEDUP_CONTAINS);
        fa_buf_free(&orig);
        fa_buf_free(&page);
    }
}

/* Fifteenth round, the gapped run's bound on the story's start: an
 * English story of a headline and five paragraphs of three sentences, a
 * page with its own story of four paragraphs first, then a paragraph of
 * another story where the story's first paragraph would be, then the
 * story's other four paragraphs - six sentences verbatim, four with a word
 * changed (found, not whole), two rewritten (the gaps).  Found at 0.66,
 * 0.39 whole, one gapped run in order in the window as long as the story:
 * what gapped_run takes, but the story's first paragraph is not found (one
 * own block of the story before its found ones) - a story found by chance
 * or quoted, not pasted from its start by a roundup: not contained.  shape
 * 1: the story's first paragraph there (a word changed in its second
 * sentence), two sentences rewritten inside and its last paragraph (0.66
 * found, 0.33 whole): contained. */
static void test_gapped_run_from_start(void **state)
{
    (void)state;
    for (int shape = 0; shape < 2; shape++) {
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 16);
        fa_buf_init(&page, 1 << 16);
        fa_buf_puts(&orig, "The story's headline\n\n");
        unsigned so = 0, sp = 0;
        own_paragraphs(&orig, 95, &so, 5, 3);
        fa_buf_puts(&page, "The roundup's headline\n\n");
        own_paragraphs(&page, 96, &sp, 4, 3);
        for (unsigned k = 0; k < 15; k++) {
            if (k < 3 && shape == 0)
                sentence(&page, 97, k, 0); /* another story's paragraph */
            else if (k == 7 || k == 13 || (shape == 1 && (k == 5 || k == 12 || k == 14)))
                sentence(&page, 98, k, 0); /* rewritten */
            else
                sentence(&page, 95, k,
                         k == 4 || k == 6 || k == 10 || k == 11 || (shape == 1 && k == 1));
            if (k % 3 == 2) fa_buf_puts(&page, "\n\n");
        }
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, shape);
        dedup_options o = {0};
        enum dedup_finding_kind k = carried_kind(d, o, orig.data, page.data);
        if (shape == 1)
            assert_int_equal(k, DEDUP_CONTAINS);
        else
            assert_int_not_equal(k, DEDUP_CONTAINS);
        fa_buf_free(&orig);
        fa_buf_free(&page);
    }
}

/* Sentence s of Han story `story` with its characters at..at+2 replaced
 * (0.77 of its trigrams kept: found, not whole). */
static void han_sentence_typo_at(fa_buf *b, unsigned story, unsigned s, size_t at)
{
    fa_buf t;
    fa_buf_init(&t, 1 << 10);
    han_sentence(&t, story, s, 0);
    for (size_t c = at; c < at + 3; c++)
        t.data[c * 3 + 2] = (char)(0x80 | ((t.data[c * 3 + 2] + 1) & 0x3F));
    fa_buf_append(b, t.data, t.len);
    fa_buf_free(&t);
}

/* Sentence s of Chinese-like story `story` (han_sentence) with its 10th to
 * 12th characters replaced: found (0.77 of its trigrams), not whole. */
static void han_sentence_typo3(fa_buf *b, unsigned story, unsigned s)
{
    han_sentence_typo_at(b, story, s, 9);
}

/* Fifteenth round, the gapped run (gapped_run): a Chinese-like story of a
 * headline and four paragraphs of three sentences, carried by a roundup
 * after its own story of four paragraphs - its headline and five
 * sentences verbatim, four with two characters changed (found, not
 * whole), two rewritten (the roundup's own sentences in their place), its
 * last two sentences cut.  Found at 0.69 (under confirm_containment),
 * 0.38 whole (under CARRIED_MIN_WHOLE), its matches one stretch of the
 * page with two gaps (span 11 for 9 matches: not compact), all in the
 * window as long as the story: contained.  The same story carried after
 * two paragraphs of the page's own is not (no story of its own first:
 * CARRIER_OWN_BLOCKS). */
static void test_carried_gapped_run(void **state)
{
    (void)state;
    for (int own_first = 0; own_first < 2; own_first++) {
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 16);
        fa_buf_init(&page, 1 << 16);
        han_sentence(&orig, 8, 100, 0);
        fa_buf_puts(&orig, "\n\n");
        han_paragraphs(&orig, 8, 0, 4);
        han_sentence(&page, 51, 100, 0);
        fa_buf_puts(&page, "\n\n");
        han_paragraphs(&page, 51, 0, own_first ? 4 : 2);
        han_sentence(&page, 8, 100, 0);
        fa_buf_puts(&page, "\n\n");
        for (unsigned k = 0; k < 10; k++) {
            if (k == 2 || k == 5)
                han_sentence(&page, 52, k, 0); /* rewritten */
            else if (k == 1 || k == 4 || k == 7 || k == 8)
                han_sentence_typo3(&page, 8, k);
            else
                han_sentence(&page, 8, k, 0);
            if (k % 3 == 2 || k == 9) fa_buf_puts(&page, "\n\n");
        }
        han_paragraphs(&page, 53, 0, 2);
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, own_first);
        dedup_options o = {0};
        enum dedup_finding_kind k = carried_kind(d, o, orig.data, page.data);
        if (own_first)
            assert_int_equal(k, DEDUP_CONTAINS);
        else
            assert_int_not_equal(k, DEDUP_CONTAINS);
        fa_buf_free(&orig);
        fa_buf_free(&page);
    }
}

/* A crowded page of characters: a roundup whose own story is ten stock
 * sentences of its register, archived after 40 short stories made of
 * five of those sentences each (found whole in it, ranked first on the
 * sketch) and a story it carries with typos in half of its sentences.
 * The carried story ranked past the page's 6 alignments and was left
 * unrelated; the values it shares with the page are its own (held by no
 * other candidate), the stock stories' are held by a dozen of them each,
 * so rare_order gives it a slot: contained. */
static void test_crowded_rare_first(void **state)
{
    (void)state;
    enum { STOCK = 40 };
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    dedup_result r;
    for (unsigned k = 0; k < STOCK; k++) {
        fa_buf st;
        fa_buf_init(&st, 1 << 16);
        han_sentence(&st, 300 + k, 100, 0);
        fa_buf_puts(&st, "\n\n");
        for (unsigned j = 0; j < 5; j++)
            han_sentence(&st, 9, (k + j * (1 + k % 3)) % 10, 0);
        fa_buf_puts(&st, "\n\n");
        char url[64];
        snprintf(url, sizeof url, "https://s%u.example/stock", k);
        assert_int_equal(analyze(e, url, st.data, &r), 0);
        dedup_result_free(&r);
        fa_buf_free(&st);
    }
    char *carried = han_story(21, 21, 0, -1);
    assert_int_equal(analyze(e, "https://x.example/story", carried, &r), 0);
    dedup_result_free(&r);
    free(carried);
    fa_buf page;
    fa_buf_init(&page, 1 << 16);
    han_sentence(&page, 8, 100, 0);
    fa_buf_puts(&page, "\n\n");
    for (unsigned p = 0; p < 5; p++) {
        for (unsigned j = 0; j < 2; j++)
            han_sentence(&page, 9, p * 2 + j, 0);
        fa_buf_puts(&page, "\n\n");
    }
    char *copy = han_story(21, 21, 0x3F, -1); /* a typo in every sentence */
    fa_buf_puts(&page, copy);
    free(copy);
    assert_int_equal(analyze(e, "https://c.example/roundup", page.data, &r), 0);
    assert_int_equal(kind_of(&r, "https://x.example/story"), DEDUP_CONTAINS);
    dedup_result_free(&r);
    fa_buf_free(&page);
    dedup_engine_close(e);
}

/* The kind of the finding for the copy of test_crowded_rare_copy when
 * `stock` pages holding the page's 4-grams on cut sentences are archived
 * first (none of them may be called related). */
static int stock_then_copy(unsigned stock)
{
    enum { SENT = 9 };
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    dedup_result r;
    for (unsigned k = 0; k < stock; k++) {
        fa_buf st;
        fa_buf_init(&st, 1 << 16);
        han_sentence(&st, 500 + k, 100, 0);
        fa_buf_puts(&st, "\n\n");
        for (unsigned j = 0; j < SENT; j++) {
            fa_buf whole, own;
            fa_buf_init(&whole, 1 << 10);
            fa_buf_init(&own, 1 << 10);
            han_sentence(&whole, 9, j, 0);
            han_sentence(&own, 600 + k, j, 0);
            /* 12 characters (36 bytes) of the story, 12 of the page's */
            fa_buf_append(&st, whole.data, 36);
            fa_buf_append(&st, own.data, 36);
            fa_buf_puts(&st, "\xE3\x80\x82");
            fa_buf_append(&st, own.data + 36, 36);
            fa_buf_append(&st, whole.data + 36, 36);
            fa_buf_puts(&st, "\xE3\x80\x82");
            if (j % 3 == 2) fa_buf_puts(&st, "\n\n");
            fa_buf_free(&whole);
            fa_buf_free(&own);
        }
        char url[64];
        snprintf(url, sizeof url, "https://s%u.example/stock", k);
        assert_int_equal(analyze(e, url, st.data, &r), 0);
        dedup_result_free(&r);
        fa_buf_free(&st);
    }
    fa_buf copy, page;
    fa_buf_init(&copy, 1 << 16);
    fa_buf_init(&page, 1 << 16);
    han_sentence(&copy, 31, 100, 0);
    han_sentence(&page, 32, 100, 0);
    fa_buf_puts(&copy, "\n\n");
    fa_buf_puts(&page, "\n\n");
    for (unsigned j = 0; j <= SENT; j++) {
        unsigned story = j < SENT ? 9 : 22;
        if (j == 1 || j == 5)
            han_sentence(&copy, 700, j, 0); /* rewritten */
        else
            han_sentence_typo_at(&copy, story, j, 18); /* the cut's 4-grams kept */
        han_sentence(&page, story, j, 0);
        if (j % 3 == 2) {
            fa_buf_puts(&copy, "\n\n");
            fa_buf_puts(&page, "\n\n");
        }
    }
    assert_int_equal(analyze(e, "https://x.example/copy", copy.data, &r), 0);
    dedup_result_free(&r);
    assert_int_equal(analyze(e, "https://y.example/page", page.data, &r), 0);
    int kind = kind_of(&r, "https://x.example/copy");
    for (unsigned k = 0; k < stock; k++) {
        char url[64];
        snprintf(url, sizeof url, "https://s%u.example/stock", k);
        assert_int_equal(kind_of(&r, url), 0);
    }
    dedup_result_free(&r);
    fa_buf_free(&copy);
    fa_buf_free(&page);
    dedup_engine_close(e);
    return kind;
}

/* A crowded page of characters carried by nothing: a short story of ten
 * sentences (nine of story 9, the last of story 22) whose earlier copy
 * has another headline, two sentences rewritten and a typo in each other
 * one, archived after 40 larger pages that each hold the story's first
 * nine sentences cut in two halves, each half in a sentence of their own
 * - the register's stock 4-grams, 0.69 of the page's sketch, where the
 * copy holds 0.63.  The 40 ranked first on the sketch and took the page's
 * 6 alignments (none of them a text the page may carry, so rare_order
 * left them), and the copy was left unrelated (thirty-first round: 21 of
 * the 69 Japanese short near pairs missed on the tuning bases were left
 * so).  What the copy shares with the page that no other candidate holds
 * - the 4-grams across the halves' cut, the page's own sentence - gives
 * it a slot: near. */
static void test_crowded_rare_copy(void **state)
{
    (void)state;
    assert_int_equal(stock_then_copy(40), DEDUP_NEAR);
}

/* Alignments given back (MAX_REFUNDED): the same with 7 such pages - not
 * crowded, so no rare_order - took the page's 6 alignments, each finding
 * nothing, and the copy, ranked after all 7, was left unaligned
 * (over_cap): unrelated.  Two alignments that found nothing are given
 * back - the seventh page's and the copy's: near. */
static void test_empty_alignments_given_back(void **state)
{
    (void)state;
    assert_int_equal(stock_then_copy(7), DEDUP_NEAR);
}

/* A block anchor is a value held in the anchors of at most 16 documents
 * when the page is looked up (BLOCK_ANCHOR_RARE_POSTINGS): 60 roundups
 * sharing one stock paragraph (their other text their own) do not all
 * anchor its smallest value - each value is a block anchor of at most 17
 * of them - yet the paragraph keeps giving them block anchors (its next
 * rare values).  The smallest value alone put every page of a register
 * on its stock 4-grams' postings. */
static void test_block_anchors_rare(void **state)
{
    (void)state;
    enum { PAGES = 60 };
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    for (unsigned k = 0; k < PAGES; k++) {
        fa_buf page;
        fa_buf_init(&page, 1 << 20);
        fa_buf_printf(&page, "标题%u\n\n", k);
        han_paragraphs(&page, 200 + k, 0, 10);
        han_paragraphs(&page, 11, 0, 1); /* the stock paragraph */
        han_paragraphs(&page, 200 + k, 10, 20);
        char url[64];
        snprintf(url, sizeof url, "https://p%u.example/roundup", k);
        dedup_result r;
        assert_int_equal(analyze(e, url, page.data, &r), 0);
        assert_int_equal(r.n_findings, 0);
        dedup_result_free(&r);
        fa_buf_free(&page);
    }
    dedup_engine_close(e);
    dedup_index_params p = {0, 0, 0};
    dedup_index *ix;
    assert_int_equal(dedup_file_index_open(dir, &p, NULL, &ix), 0);
    /* how many pages anchor each value as a block anchor */
    uint32_t vals[PAGES * 64], counts[PAGES * 64], nv = 0, with = 0;
    for (uint32_t d = 0; d < PAGES; d++) {
        dedup_doc_record g;
        assert_int_equal(ix->ops->get_doc(ix, d, &g), 0);
        with += g.n_block_anchors > 0;
        for (uint32_t i = 0; i < g.n_block_anchors; i++) {
            uint32_t j = 0;
            while (j < nv && vals[j] != g.block_anchors[i])
                j++;
            if (j == nv) vals[nv] = g.block_anchors[i], counts[nv++] = 0;
            counts[j]++;
        }
    }
    uint32_t most = 0;
    for (uint32_t j = 0; j < nv; j++)
        if (counts[j] > most) most = counts[j];
    assert_int_equal(with, PAGES);
    assert_true(most >= 10); /* the stock paragraph's values are anchored ... */
    assert_true(most <= 17); /* ... each by at most 17 pages */
    ix->ops->close(ix);
}

/* Paragraphs of 3 sentences each, of stories first .. first + paras - 1. */
static void word_paragraphs(fa_buf *b, unsigned first, unsigned paras)
{
    for (unsigned p = 0; p < paras; p++) {
        for (unsigned s = 0; s < 3; s++)
            sentence(b, first + p, s, 0);
        fa_buf_puts(b, "\n\n");
    }
}

/* Closes the engine and opens the file index it wrote, to read its
 * records (the caller closes it). */
static dedup_index *index_after(dedup_engine *e)
{
    dedup_engine_close(e);
    dedup_index_params p = {0, 0, 0};
    dedup_index *ix;
    assert_int_equal(dedup_file_index_open(dir, &p, NULL, &ix), 0);
    return ix;
}

/* One page analysed by a fresh engine, then that engine's index: the
 * page is record 0 (the caller closes the index). */
/* The block anchors the index gives a page in words analysed alone (a
 * roundup's URL), its sketch asserted to hold min_sketch values or more
 * (block anchors are for pages of that size). */
static uint32_t block_anchors_of_one(const fa_buf *page, uint32_t min_sketch)
{
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    dedup_result r;
    assert_int_equal(analyze(e, "https://w.example/roundup", page->data, &r), 0);
    dedup_result_free(&r);
    dedup_index *ix = index_after(e);
    dedup_doc_record g;
    assert_int_equal(ix->ops->get_doc(ix, 0, &g), 0);
    assert_true(g.n_sketch >= min_sketch);
    uint32_t n = g.n_block_anchors;
    ix->ops->close(ix);
    return n;
}

/* A page written in words gets a block anchor in every block, also in
 * those holding one of its anchored smallest values: a carried story's
 * copy loses that value when an edit hits its shingle, and then met
 * nothing of the page (Korean containment recall 0.954 -> 0.971, seeds
 * 11-13).  Before, the blocks holding anchored values had none. */
static void test_words_block_anchor_every_block(void **state)
{
    (void)state;
    enum { PARAS = 20 };
    fa_buf page;
    fa_buf_init(&page, 1 << 20);
    word_paragraphs(&page, 40, PARAS);
    uint32_t anchors = block_anchors_of_one(&page, 96);
    fa_buf_free(&page);
    assert_true(anchors >= PARAS); /* one or more in every block */
}

/* A block of a page in words anchors one value per 12 of its sampled
 * values (BLOCK_ANCHOR_SEGMENT; 6 since the thirty-first round, below,
 * which this page's counts hold too): a roundup that merges a carried story's
 * paragraphs into one block gave the whole story one anchor, and a copy
 * of the story whose edit hit that shingle met nothing of the roundup
 * archived before it (English and Korean pairs never candidates, seeds
 * 1-3 .. 51-53).  Twelve paragraphs of 3 sentences (~10 sampled values:
 * one anchor each) and one block of 30 sentences (~100 values). */
static void test_block_anchor_segments(void **state)
{
    (void)state;
    enum { PARAS = 12 };
    fa_buf page;
    fa_buf_init(&page, 1 << 20);
    word_paragraphs(&page, 70, PARAS);
    for (unsigned s = 0; s < 30; s++) /* the merged block */
        sentence(&page, 90, s, 0);
    fa_buf_puts(&page, "\n\n");
    uint32_t anchors = block_anchors_of_one(&page, 128);
    fa_buf_free(&page);
    assert_true(anchors >= PARAS + 4); /* one block: one anchor before */
}

/* Thirty-first round: one value per 6 (was 12).  A short story a roundup
 * carries is a paragraph or two of 12-23 sampled values, which had one
 * block anchor each: a copy of the story archived after the roundup whose
 * edits hit those shingles met nothing of it (English and Korean
 * containment pairs never candidates on the tuning bases).  Twelve
 * paragraphs of five sentences (~15 sampled values: one anchor each
 * before, two or three now). */
static void test_block_anchor_segments_short(void **state)
{
    (void)state;
    enum { PARAS = 12 };
    fa_buf page;
    fa_buf_init(&page, 1 << 20);
    for (unsigned p = 0; p < PARAS; p++) {
        for (unsigned s = 0; s < 5; s++)
            sentence(&page, 110, p * 5 + s, 0);
        fa_buf_puts(&page, "\n\n");
    }
    uint32_t anchors = block_anchors_of_one(&page, 128);
    fa_buf_free(&page);
    assert_true(anchors >= PARAS + PARAS / 2);
}

/* No block anchor is a shingle running into the next block: the window
 * runs across blocks, so a block's last three shingles hold the next
 * block's first words, which a carried story's own page never has after
 * it; when such a shingle was the block's smallest rare value the story
 * met nothing of the roundup (2 Korean stories never candidates, seeds
 * 1-3).  Every block anchor of a roundup of 40 paragraphs is a value of
 * one of the paragraphs on a page of its own. */
static void test_block_anchor_own_shingles(void **state)
{
    (void)state;
    enum { PARAS = 40 };
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    fa_buf page;
    fa_buf_init(&page, 1 << 20);
    word_paragraphs(&page, 500, PARAS);
    dedup_result r;
    assert_int_equal(analyze(e, "https://w.example/roundup", page.data, &r), 0);
    dedup_result_free(&r);
    fa_buf_free(&page);
    for (unsigned p = 0; p < PARAS; p++) {
        fa_buf st;
        fa_buf_init(&st, 1 << 16);
        fa_buf_printf(&st, "Headline %u\n\n", p);
        for (unsigned s = 0; s < 3; s++)
            sentence(&st, 500 + p, s, 0);
        char url[64];
        snprintf(url, sizeof url, "https://s%u.example/story", p);
        assert_int_equal(analyze(e, url, st.data, &r), 0);
        dedup_result_free(&r);
        fa_buf_free(&st);
    }
    dedup_index *ix = index_after(e);
    dedup_doc_record g;
    assert_int_equal(ix->ops->get_doc(ix, 0, &g), 0);
    assert_true(g.n_block_anchors >= PARAS / 2);
    uint32_t banch[64], nb = g.n_block_anchors;
    memcpy(banch, g.block_anchors, nb * sizeof *banch);
    for (uint32_t i = 0; i < nb; i++) {
        int held = 0;
        for (uint32_t d = 1; d <= PARAS && !held; d++) {
            dedup_doc_record s;
            assert_int_equal(ix->ops->get_doc(ix, d, &s), 0);
            for (uint32_t j = 0; j < s.n_sketch && !held; j++)
                held = s.sketch[j] == banch[i];
        }
        assert_true(held);
    }
    ix->ops->close(ix);
}

/* A page in words of 96-127 sketch values gets block anchors when it is
 * in sections - a heading after a paragraph, as a roundup's carried
 * stories under their own headings (BLOCK_ANCHOR_MIN_SKETCH_SECTIONS);
 * one story under its title still needs 128 (the crawl's articles).
 * English roundups of 98-127 values had none, and 5 of the stories they
 * carried, archived after them, were never candidates (seeds 1-3 ..
 * 51-53).  The same paragraphs with the heading as a paragraph: none.
 * layout: 0 the heading as a paragraph, 1 an <h2> of the text, 2 a
 * "Related Articles" box whose heading and linked titles the extractor
 * leaves out (twenty-seventh round: has_sections looked at the text's
 * headings only, and such roundups got none), 3 one story and a rail's
 * heading after it, left out too (not between two paragraphs: none). */
enum { SECTIONS_PARAGRAPH, SECTIONS_HEADING, SECTIONS_RELATED_BOX, SECTIONS_RAIL };
static uint32_t sections_block_anchors(int layout, uint32_t *n_sketch)
{
    fa_buf page;
    fa_buf_init(&page, 1 << 20);
    int whole = layout == SECTIONS_RELATED_BOX || layout == SECTIONS_RAIL;
    if (whole)
        fa_buf_puts(&page, "<!DOCTYPE html><html><head><title>Morning roundup</title></head>"
                           "<body><div class=\"content\">\n");
    fa_buf_puts(&page, "<h1>Morning roundup</h1>\n");
    for (unsigned p = 0; p < 11; p++) {
        if (p == 4 && layout == SECTIONS_RELATED_BOX)
            fa_buf_puts(&page, "<section class=\"related-articles\"><h2>Related Articles</h2>\n");
        if ((p == 4 || p == 8) && layout == SECTIONS_RELATED_BOX)
            fa_buf_printf(&page,
                          "%s<article class=\"related\"><h3><a href=\"https://n%u.example/s\">"
                          "Other news today</a></h3>\n",
                          p == 8 ? "</article>" : "", p);
        else if (p == 4 && layout != SECTIONS_RAIL)
            fa_buf_puts(&page, layout == SECTIONS_HEADING ? "<h2>Other news today</h2>\n"
                                                          : "<p>Other news today</p>\n");
        fa_buf_puts(&page, "<p>");
        for (unsigned s = 0; s < 3; s++)
            sentence(&page, 700 + p, s, 0);
        fa_buf_puts(&page, "</p>\n");
    }
    if (layout == SECTIONS_RELATED_BOX) fa_buf_puts(&page, "</article></section>");
    if (whole)
        fa_buf_puts(&page,
                    "</div><div class=\"rail\"><h3>Latest</h3><ul></ul></div></body></html>");
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    dedup_input in = {"https://w.example/roundup",
                      NULL,
                      NULL,
                      NULL,
                      "<urn:uuid:x>",
                      1,
                      whole ? DEDUP_HTML_PAGE : DEDUP_HTML_FRAGMENT,
                      page.data,
                      page.len,
                      NULL};
    /* the box's and the rail's headings are not in the text: the
     * extractor leaves them out */
    if (whole) {
        text_doc *doc;
        assert_int_equal(text_extract_html(page.data, page.len, NULL, &doc), 0);
        size_t paragraphs = 0, headings_after = 0;
        for (size_t i = 0; i < doc->n_blocks; i++) {
            const text_block *b = &doc->blocks[i];
            if (b->cls != TEXT_CONTENT) continue;
            if (b->heading)
                headings_after += paragraphs > 0;
            else
                paragraphs++;
        }
        assert_int_equal(paragraphs, 11);
        assert_int_equal(headings_after, 0);
        text_doc_free(doc);
    }
    dedup_result r;
    assert_int_equal(dedup_analyze(e, &in, &r), 0);
    dedup_result_free(&r);
    fa_buf_free(&page);
    dedup_index *ix = index_after(e);
    dedup_doc_record g;
    assert_int_equal(ix->ops->get_doc(ix, 0, &g), 0);
    uint32_t nb = g.n_block_anchors;
    *n_sketch = g.n_sketch;
    ix->ops->close(ix);
    return nb;
}

static void test_sections_block_anchors(void **state)
{
    (void)state;
    uint32_t n_sketch, n_plain, n_box;
    uint32_t with = sections_block_anchors(SECTIONS_HEADING, &n_sketch);
    assert_true(n_sketch >= 96 && n_sketch < 128);
    assert_true(with >= 8);
    assert_int_equal(teardown(state), 0);
    assert_int_equal(setup(state), 0);
    uint32_t without = sections_block_anchors(SECTIONS_PARAGRAPH, &n_plain);
    assert_true(n_plain >= 96 && n_plain < 128);
    assert_int_equal(without, 0);
    assert_int_equal(teardown(state), 0);
    assert_int_equal(setup(state), 0);
    uint32_t boxed = sections_block_anchors(SECTIONS_RELATED_BOX, &n_box);
    assert_true(n_box >= 96 && n_box < 128);
    assert_true(boxed >= 8);
    assert_int_equal(teardown(state), 0);
    assert_int_equal(setup(state), 0);
    uint32_t rail = sections_block_anchors(SECTIONS_RAIL, &n_box);
    assert_true(n_box >= 96 && n_box < 128);
    assert_int_equal(rail, 0);
}

/* A page of characters of 64-127 sketch values gets block anchors
 * (BLOCK_ANCHOR_MIN_SKETCH_CHARS, 128 before): a Chinese roundup of a
 * short own story and three one-paragraph stories has ~90 values and 8
 * anchors, and a story archived after it held none of them about a fifth
 * of the time - never a candidate (5 Chinese pairs, seeds 1-3 ..
 * 51-53).  Every story is now measured against its roundup (the first
 * carried story, next to the roundup's own story of two paragraphs, is
 * then not called carried: the layout's rules, not the candidates'). */
static uint32_t traced_want, traced_hit;
static void trace_want(void *ud, const dedup_trace *t)
{
    (void)ud;
    traced_hit |= t->other == traced_want;
}
static void test_chars_small_roundup_anchors(void **state)
{
    (void)state;
    enum { ROUNDUPS = 10, CARRIED = 3 };
    dedup_options o = {0};
    o.trace = trace_want;
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    for (unsigned k = 0; k < ROUNDUPS; k++) {
        fa_buf page;
        fa_buf_init(&page, 1 << 16);
        fa_buf_printf(&page, "综述标题%u\n\n", k);
        han_paragraphs(&page, 300 + k, 0, 2); /* its own story */
        for (unsigned j = 0; j < CARRIED; j++)
            han_paragraphs(&page, 400 + k * CARRIED + j, 0, 1);
        char url[64];
        snprintf(url, sizeof url, "https://c%u.example/roundup", k);
        dedup_result r;
        assert_int_equal(analyze(e, url, page.data, &r), 0);
        dedup_result_free(&r);
        fa_buf_free(&page);
    }
    unsigned found = 0, contained = 0;
    for (unsigned k = 0; k < ROUNDUPS; k++)
        for (unsigned j = 0; j < CARRIED; j++) {
            fa_buf st;
            fa_buf_init(&st, 1 << 16);
            fa_buf_printf(&st, "标题%u\n\n", k * CARRIED + j);
            han_paragraphs(&st, 400 + k * CARRIED + j, 0, 1);
            char url[64], rurl[64];
            snprintf(url, sizeof url, "https://s%u-%u.example/story", k, j);
            snprintf(rurl, sizeof rurl, "https://c%u.example/roundup", k);
            dedup_result r;
            traced_want = k, traced_hit = 0;
            assert_int_equal(analyze(e, url, st.data, &r), 0);
            found += traced_hit;
            contained += kind_of(&r, rurl) == DEDUP_CONTAINED_IN;
            dedup_result_free(&r);
            fa_buf_free(&st);
        }
    dedup_index *ix = index_after(e);
    for (uint32_t d = 0; d < ROUNDUPS; d++) {
        dedup_doc_record g;
        assert_int_equal(ix->ops->get_doc(ix, d, &g), 0);
        assert_true(g.n_sketch >= 64 && g.n_sketch < 128);
    }
    ix->ops->close(ix);
    assert_int_equal(found, ROUNDUPS * CARRIED);
    assert_int_equal(contained, ROUNDUPS * (CARRIED - 1));
}

/* A page of characters measures up to 384 of the index's candidates
 * (MAX_CANDIDATES; 256 before): a Japanese roundup has 350-420 documents
 * over the ranking's floor on its register's stock 4-grams, and a story
 * it carries ranked past 256 by its anchor hits was never measured.  Here
 * 300 pages sharing a two-paragraph story (each with a paragraph of its
 * own), then a page with that story: more than 256 measured (not all 300:
 * the story's smallest values, every page's anchors, hold 256 postings
 * each, POSTING_CAP). */
static unsigned measured_n;
static void count_measured(void *ud, const dedup_trace *t)
{
    (void)ud, (void)t;
    measured_n++;
}
static void test_chars_measure_384(void **state)
{
    (void)state;
    enum { PAGES = 300 };
    dedup_options o = {0};
    dedup_engine *e;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    for (unsigned k = 0; k < PAGES; k++) {
        fa_buf page;
        fa_buf_init(&page, 1 << 16);
        fa_buf_printf(&page, "标题%u\n\n", k);
        han_paragraphs(&page, 21, 0, 2);
        han_paragraphs(&page, 600 + k, 0, 1);
        char url[64];
        snprintf(url, sizeof url, "https://p%u.example/page", k);
        dedup_result r;
        assert_int_equal(analyze(e, url, page.data, &r), 0);
        dedup_result_free(&r);
        fa_buf_free(&page);
    }
    dedup_engine_close(e);
    o.trace = count_measured;
    assert_int_equal(dedup_engine_open(dir, &o, &e), 0);
    fa_buf page;
    fa_buf_init(&page, 1 << 16);
    fa_buf_puts(&page, "标题\n\n");
    han_paragraphs(&page, 21, 0, 2);
    han_paragraphs(&page, 999, 0, 1);
    measured_n = 0;
    dedup_result r;
    assert_int_equal(analyze(e, "https://q.example/page", page.data, &r), 0);
    dedup_result_free(&r);
    fa_buf_free(&page);
    dedup_engine_close(e);
    assert_true(measured_n > 256);
    assert_true(measured_n <= PAGES);
}

/* A Han "stock quote": speaker `who` (one character) then quote `q`'s 23
 * characters, the same in every story that quotes it. */
static void han_quote(fa_buf *b, unsigned who, unsigned q)
{
    uint32_t cp = 0x4E00 + 2000 + who;
    fa_buf_printf(b, "%c%c%c", 0xE0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F));
    uint64_t x = (uint64_t)(q + 900) * 0x9E3779B97F4A7C15ull + 1;
    for (int c = 0; c < 23; c++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        cp = 0x4E00 + (uint32_t)(x % 2000);
        fa_buf_printf(b, "%c%c%c", 0xE0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3F),
                      0x80 | (cp & 0x3F));
    }
    fa_buf_puts(b, "\xE3\x80\x82");
}

/* A short Chinese story whose first paragraph is two stock quotes (quote 1
 * by speaker 1, quote 2 by speaker 2) and whose second repeats quote 1
 * (speaker 3) beside two sentences of its own; a news page of its own
 * story (three paragraphs first, two after) that has quote 1 once and
 * quote 2 twice, other speakers.  Each quote is found whole in the other
 * text (the speaker aside), 0.6 of the story in one run of the page -
 * carried_run's shape; counted in the two texts together, each quote
 * stands in three sentences, a stock phrase of the pair (pair_shares,
 * twelfth round): not contained.  shape 1, the control: the page carries
 * the story's own sentences as well (the story with its second paragraph
 * cut after its own first sentence): contained. */
static void test_pair_stock_quotes(void **state)
{
    (void)state;
    for (int shape = 0; shape < 2; shape++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%d", dir, shape);
        dedup_options o = {0};
        o.candidate_floor_chars = 0.2, o.candidate_floor_short = 0.2;
        fa_buf orig, page;
        fa_buf_init(&orig, 1 << 20);
        fa_buf_init(&page, 1 << 20);
        fa_buf_puts(&orig, "\xE6\xA0\x87\xE9\xA2\x98\xE4\xB8\x80\n\n"); /* 标题一 */
        if (shape == 0) {
            han_quote(&orig, 1, 1), han_quote(&orig, 2, 2);
            fa_buf_puts(&orig, "\n\n");
            han_quote(&orig, 3, 1), han_sentence(&orig, 31, 0, 0), han_sentence(&orig, 31, 1, 0);
        } else {
            han_sentence(&orig, 31, 0, 0), han_sentence(&orig, 31, 1, 0);
            han_sentence(&orig, 31, 2, 0);
            fa_buf_puts(&orig, "\n\n");
            han_sentence(&orig, 31, 3, 0), han_sentence(&orig, 31, 4, 0);
        }
        fa_buf_puts(&orig, "\n\n");
        fa_buf_puts(&page, "\xE6\xA0\x87\xE9\xA2\x98\xE4\xBA\x8C\n\n"); /* 标题二 */
        han_paragraphs(&page, 32, 0, 3);
        if (shape == 0) {
            han_quote(&page, 4, 1), han_quote(&page, 5, 2);
        } else {
            han_sentence(&page, 31, 0, 0), han_sentence(&page, 31, 1, 0);
            han_sentence(&page, 31, 2, 0);
        }
        fa_buf_puts(&page, "\n\n");
        han_sentence(&page, 32, 9, 0), han_sentence(&page, 32, 10, 0);
        if (shape == 0) han_quote(&page, 6, 2);
        fa_buf_puts(&page, "\n\n");
        han_paragraphs(&page, 32, 4, 5);
        enum dedup_finding_kind kind = carried_kind(d, o, orig.data, page.data);
        if (shape == 0)
            assert_int_not_equal(kind, DEDUP_CONTAINS);
        else
            assert_int_equal(kind, DEDUP_CONTAINS);
        fa_buf_free(&orig);
        fa_buf_free(&page);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_align),
        cmocka_unit_test(test_align_chars),
        cmocka_unit_test(test_align_whole_keys),
        cmocka_unit_test(test_align_hangul),
        cmocka_unit_test_setup_teardown(test_text_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_store_frames_off_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_store_frame_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_confirms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_end_is_near, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_copy_with_lede_is_near, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_copies_same_headline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_chars_pair_aligned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chars_pair_floor_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weak_copy_new_headline_near, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_floor_not_for_long_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weak_same_head_not_near, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_found_as_head, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_pair_needs_resemblance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_copy_low_resemblance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chars_one_side_near, setup, teardown),
        cmocka_unit_test(test_own_layout),
        cmocka_unit_test(test_found_run),
        cmocka_unit_test(test_found_run_in_place),
        cmocka_unit_test(test_next_to_found),
        cmocka_unit_test(test_next_to_found_paragraph_edge),
        cmocka_unit_test(test_quote_attribution),
        cmocka_unit_test_setup_teardown(test_carried_trimmed_quotes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_run_contains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_run_one_outlier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_run_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scattered_chars_not_carried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_half, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trimmed_copy_not_contained, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_two_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_end_cut_half, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_majority, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_verbatim_two_own, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_short_verbatim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_whole_typos, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_compact_typos, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_novel_by_own_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carrier_shaped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_not_carrier_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_paragraphs_not_near, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paragraphs_apart_not_near, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loose_not_carried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_novel_by_run_lead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_copy_by_run_lead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pair_stock_quotes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_three_own_blocks_copy_not_container, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_edge_block_is_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_story_before_long_carried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chars_carried_before, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_lead_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_gapped_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gapped_run_from_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crowded_rare_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crowded_rare_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_alignments_given_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_anchors_rare, setup, teardown),
        cmocka_unit_test_setup_teardown(test_words_block_anchor_every_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_anchor_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_anchor_segments_short, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_anchor_own_shingles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sections_block_anchors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chars_small_roundup_anchors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chars_measure_384, setup, teardown),
        cmocka_unit_test_setup_teardown(test_padded_copy_not_container, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
