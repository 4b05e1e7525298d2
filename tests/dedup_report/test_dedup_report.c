/*
 * test_dedup_report.c - `feedarc dedup-report` and `feedarc text` end to
 * end: archives written here with segment_writer_write_records in the
 * record format the crawler writes (response + metadata + conversion
 * groups, revisit + metadata for an exact duplicate), read by the real
 * binary (FEEDARC_BIN), its JSON lines parsed with yajl's tree parser.
 *
 * Each case builds its own archive folder: near-duplicate chains in both
 * read orders, containment recorded from either side, exact duplicates by
 * revisit, a re-fetched URL, a segment with a dictionary, a corrupt
 * segment, and the text command.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/test_fs.h"

#include "common/fa_spool.h"
#include "common/fa_time.h"
#include "storage/segment_dict.h"
#include "storage/segment_writer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

/* ---- archives ---------------------------------------------------------- */

#define T0 1795448220LL /* 2026-11-23T15:37:00Z */

typedef struct page {
    const char *url;
    int64_t t;
    char rid[48];
    char date[40];
    char digest[40];
    char conv_id[48];
    char segment[256];
    uint64_t meta_offset, meta_length;
} page;

typedef struct meta {
    warc_field f[24];
    char names[24][64];
    char values[24][1024];
    size_t n;
} meta;

static void page_init(page *p, const char *url, int minute)
{
    memset(p, 0, sizeof *p);
    p->url = url;
    p->t = (T0 + minute * 60LL) * 1000000000LL + 123456000LL;
    assert_true(fa_time_format_iso(p->t, 6, p->date, sizeof p->date) > 0);
}

static void meta_add(meta *m, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void meta_add(meta *m, const char *name, const char *fmt, ...)
{
    assert_true(m->n < 24);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->values[m->n], sizeof m->values[0], fmt, ap);
    va_end(ap);
    snprintf(m->names[m->n], sizeof m->names[0], "%s", name);
    m->f[m->n].name = m->names[m->n];
    m->f[m->n].value = m->values[m->n];
    m->n++;
}

/* A finding line naming other: "<url> <record-id> <date> [<score>]". */
static void meta_ref(meta *m, const char *name, const page *other, double score)
{
    if (score < 0)
        meta_add(m, name, "%s %s %s", other->url, other->rid, other->date);
    else
        meta_add(m, name, "%s %s %s %.3f", other->url, other->rid, other->date, score);
}

static void meta_chars(meta *m, int main_chars, int novel, int boilerplate)
{
    meta_add(m, "feedarc-main-chars", "%d", main_chars);
    meta_add(m, "feedarc-novel-chars", "%d", novel);
    meta_add(m, "feedarc-boilerplate-chars", "%d", boilerplate);
}

/* The metadata block: feedarc-document first, then the caller's lines. */
static void meta_for(meta *out, const char *document, const meta *lines)
{
    memset(out, 0, sizeof *out);
    meta_add(out, "feedarc-document", "%s", document);
    for (size_t i = 0; lines && i < lines->n; i++)
        meta_add(out, lines->names[i], "%s", lines->values[i]);
}

static segment_writer *arch_open(const char *dir, const char *prefix, const void *dict,
                                 size_t dict_len)
{
    segment_writer_options o = {.dir = dir, .prefix = prefix, .dict = dict, .dict_len = dict_len};
    segment_writer *w = NULL;
    char err[256];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    return w;
}

/* A page's body: words that vary with the URL, so pages differ. */
static size_t page_html(char *buf, size_t cap, const char *seed)
{
    static const char *words[] = {"council", "harbour",  "flood",  "barrier",  "school", "budget",
                                  "river",   "district", "review", "approved", "delays", "port"};
    unsigned h = 5381;
    for (const char *s = seed; *s; s++)
        h = h * 33 + (unsigned char)*s;
    size_t n = (size_t)snprintf(buf, cap,
                                "<!DOCTYPE html>\n<html><head><title>%s</title></head><body>"
                                "<nav><a href=\"/\">Home</a></nav><article>\n",
                                seed);
    for (int p = 0; p < 10 && n + 200 < cap; p++)
        n += (size_t)snprintf(buf + n, cap - n, "<p>The %s %s was %s after %u %s.</p>\n",
                              words[(h + (unsigned)p) % 12], words[(h / 7 + (unsigned)p) % 12],
                              words[(h / 3 + (unsigned)p * 5) % 12], h % 97 + (unsigned)p,
                              words[(unsigned)p * 11 % 12]);
    n += (size_t)snprintf(buf + n, cap - n, "</article><footer>(c)</footer></body></html>\n");
    return n;
}

/* Archives p as the crawler does: response + metadata + conversion. */
static void put_page(segment_writer *w, page *p, const meta *lines, const char *text)
{
    char html[4096], req[512], head[256], meta_id[48];
    char *conv_id = p->conv_id;
    size_t n = page_html(html, sizeof html, p->url);
    const char *path = strchr(p->url + 8, '/');
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: example\r\n\r\n", path ? path : "/");
    snprintf(head, sizeof head,
             "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
             "Content-Length: %zu\r\n\r\n",
             n);
    fa_spool body;
    fa_spool_init(&body, 1 << 20, 1 << 24, "/tmp");
    assert_int_equal(fa_spool_write(&body, html, n), 0);
    warc_exchange x = {.target_uri = p->url,
                       .ip_address = "192.0.2.1",
                       .date_ns = p->t,
                       .request = req,
                       .request_len = strlen(req),
                       .response_head = head,
                       .response_head_len = strlen(head),
                       .body = &body};
    if (p->rid[0] == '\0') segment_writer_new_record_id(p->rid);
    segment_writer_new_record_id(meta_id);
    segment_writer_new_record_id(conv_id);
    meta m;
    meta_for(&m, p->url, lines);
    if (text == NULL) text = "A story.\n";
    warc_record_spec group[3] = {
        {.record_type = WARC_TYPE_RESPONSE, .exchange = &x, .record_id = p->rid},
        {.record_type = WARC_TYPE_METADATA,
         .record_id = meta_id,
         .target_uri = p->url,
         .date_ns = p->t,
         .concurrent_to = p->rid,
         .fields = m.f,
         .n_fields = m.n},
        {.record_type = WARC_TYPE_CONVERSION,
         .record_id = conv_id,
         .target_uri = p->url,
         .date_ns = p->t,
         .refers_to = p->rid,
         .block = text,
         .block_len = strlen(text)},
    };
    warc_written outs[3];
    char err[256] = "";
    int rc = segment_writer_write_records(w, group, 3, outs);
    if (rc != 0) segment_writer_last_error(w, err, sizeof err);
    assert_string_equal(err, "");
    assert_int_equal(rc, 0);
    snprintf(p->digest, sizeof p->digest, "%s", outs[0].payload_digest);
    snprintf(p->segment, sizeof p->segment, "%s", outs[1].segment);
    p->meta_offset = outs[1].response_offset;
    p->meta_length = outs[1].response_length;
    fa_spool_free(&body);
}

/* Archives p as an exact duplicate of orig: revisit + metadata. */
static void put_revisit(segment_writer *w, page *p, const page *orig, const meta *lines)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n";
    char meta_id[48];
    segment_writer_new_record_id(p->rid);
    segment_writer_new_record_id(meta_id);
    meta m;
    meta_for(&m, p->url, lines);
    warc_record_spec group[2] = {
        {.record_type = WARC_TYPE_REVISIT,
         .record_id = p->rid,
         .target_uri = p->url,
         .date_ns = p->t,
         .refers_to = orig->rid,
         .refers_to_target_uri = orig->url,
         .refers_to_date = orig->date,
         .profile = WARC_PROFILE_IDENTICAL,
         .payload_digest = orig->digest,
         .block = head,
         .block_len = sizeof head - 1},
        {.record_type = WARC_TYPE_METADATA,
         .record_id = meta_id,
         .target_uri = p->url,
         .date_ns = p->t,
         .concurrent_to = p->rid,
         .fields = m.f,
         .n_fields = m.n},
    };
    assert_int_equal(segment_writer_write_records(w, group, 2, NULL), 0);
}

/* ---- running the binary ------------------------------------------------ */

typedef struct run {
    int status;
    yajl_val lines[64];
    size_t n;
    char *err; /* stderr */
} run;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    size_t got;
    while ((got = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) s = realloc(s, cap *= 2);
    }
    s[n] = '\0';
    fclose(f);
    return s;
}

static void run_cmd(run *r, const char *args)
{
    const char *bin = getenv("FEEDARC_BIN");
    assert_non_null(bin);
    char out[] = "/tmp/fa-report-out-XXXXXX", err[] = "/tmp/fa-report-err-XXXXXX";
    int fo = mkstemp(out), fe = mkstemp(err);
    assert_true(fo >= 0 && fe >= 0);
    close(fo);
    close(fe);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s >%s 2>%s", bin, args, out, err);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    memset(r, 0, sizeof *r);
    r->status = WEXITSTATUS(st);
    char *text = slurp(out);
    r->err = slurp(err);
    unlink(out);
    unlink(err);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char perr[256];
        yajl_val v = yajl_tree_parse(line, perr, sizeof perr);
        if (v == NULL) fail_msg("not JSON: %s (%s)", line, perr);
        assert_true(YAJL_IS_OBJECT(v));
        assert_true(r->n < 64);
        r->lines[r->n++] = v;
    }
    free(text);
    if (r->err[0]) fprintf(stderr, "[stderr of %s]\n%s", args, r->err);
}

static void run_report(run *r, const char *dir)
{
    char args[1024];
    snprintf(args, sizeof args, "dedup-report '%s'", dir);
    run_cmd(r, args);
}

static void run_free(run *r)
{
    for (size_t i = 0; i < r->n; i++)
        yajl_tree_free(r->lines[i]);
    free(r->err);
}

static yajl_val get(yajl_val obj, const char *key)
{
    const char *path[] = {key, NULL};
    return yajl_tree_get(obj, path, yajl_t_any);
}

/* The string v (which must be one). */
static const char *str(yajl_val v)
{
    if (v == NULL || !YAJL_IS_STRING(v)) fail_msg("not a string");
    return v->u.string;
}

/* The line of url (exactly one). */
static yajl_val doc(const run *r, const char *url)
{
    yajl_val found = NULL;
    for (size_t i = 0; i < r->n; i++) {
        yajl_val u = get(r->lines[i], "url");
        if (u && YAJL_IS_STRING(u) && strcmp(str(u), url) == 0) {
            if (found) fail_msg("%s has two lines", url);
            found = r->lines[i];
        }
    }
    if (found == NULL) fail_msg("%s has no line", url);
    return found;
}

/* key is null (want NULL) or the string want. */
static void expect_url(const run *r, const char *url, const char *key, const char *want)
{
    yajl_val v = get(doc(r, url), key);
    assert_non_null(v);
    if (want == NULL) {
        if (!YAJL_IS_NULL(v)) fail_msg("%s: %s is %s, not null", url, key, str(v));
    } else {
        if (!YAJL_IS_STRING(v)) fail_msg("%s: %s is not %s", url, key, want);
        assert_string_equal(str(v), want);
    }
}

static double num(yajl_val v)
{
    assert_true(YAJL_IS_NUMBER(v));
    return YAJL_GET_DOUBLE(v);
}

/* The list key of url holds exactly the n URLs given (any order), with
 * the scores given. */
static void expect_list(const run *r, const char *url, const char *key, size_t n,
                        const char *const *urls, const double *scores)
{
    yajl_val a = get(doc(r, url), key);
    assert_non_null(a);
    assert_true(YAJL_IS_ARRAY(a));
    if (a->u.array.len != n)
        fail_msg("%s: %s has %zu entries, not %zu", url, key, a->u.array.len, n);
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < a->u.array.len; j++) {
            yajl_val e = a->u.array.values[j];
            if (strcmp(str(get(e, "url")), urls[i]) == 0) {
                seen++;
                assert_true(fabs(num(get(e, "containment")) - scores[i]) < 1e-9);
            }
        }
        if (seen != 1) fail_msg("%s: %s lists %s %d times", url, key, urls[i], seen);
    }
}

static const char *const NONE_URLS[1] = {""};
static const double NONE_SCORES[1] = {0};

static void expect_similarity(const run *r, const char *url, double want)
{
    yajl_val v = get(doc(r, url), "similarity");
    assert_non_null(v);
    if (want < 0)
        assert_true(YAJL_IS_NULL(v));
    else
        assert_true(fabs(num(v) - want) < 1e-9);
}

static void expect_chars(const run *r, const char *url, const char *key, long long want)
{
    yajl_val v = get(doc(r, url), key);
    assert_non_null(v);
    assert_true(YAJL_IS_INTEGER(v));
    assert_int_equal(YAJL_GET_INTEGER(v), want);
}

/* ---- near-duplicate chains --------------------------------------------- */

#define A_URL "http://a.example/story"
#define B_URL "http://b.example/story?id=2"
#define C_URL "http://c.example/copy/story"

/* A, then B near A, then C near B; read in date order (forward) or with
 * C's segment first and A's last. */
static void near_chain(int reverse)
{
    char *dir = test_tmpdir_new();
    page a, b, c;
    page_init(&a, A_URL, 0);
    page_init(&b, B_URL, 10);
    page_init(&c, C_URL, 20);
    meta m = {0};
    segment_writer *w1 = arch_open(dir, reverse ? "z" : "a", NULL, 0);
    meta_chars(&m, 1000, 1000, 300);
    put_page(w1, &a, &m, NULL);
    assert_int_equal(segment_writer_close(w1), 0);

    segment_writer *w2 = arch_open(dir, "m", NULL, 0);
    memset(&m, 0, sizeof m);
    meta_ref(&m, "feedarc-near-duplicate-of", &a, 0.9);
    meta_chars(&m, 1010, 40, 250);
    put_page(w2, &b, &m, NULL);
    assert_int_equal(segment_writer_close(w2), 0);

    segment_writer *w3 = arch_open(dir, reverse ? "a" : "z", NULL, 0);
    memset(&m, 0, sizeof m);
    meta_ref(&m, "feedarc-near-duplicate-of", &b, 0.85);
    meta_chars(&m, 990, 0, 310);
    put_page(w3, &c, &m, NULL);
    assert_int_equal(segment_writer_close(w3), 0);

    run r;
    run_report(&r, dir);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.n, 3);
    expect_url(&r, A_URL, "duplicate_of", NULL);
    expect_similarity(&r, A_URL, -1);
    expect_url(&r, B_URL, "duplicate_of", A_URL);
    expect_similarity(&r, B_URL, 0.9);
    expect_url(&r, C_URL, "duplicate_of", A_URL); /* the earliest of the chain */
    expect_similarity(&r, C_URL, 0.85);
    for (size_t i = 0; i < r.n; i++) {
        yajl_val ex = get(r.lines[i], "exact_duplicate_of");
        assert_true(ex && YAJL_IS_NULL(ex));
    }
    expect_chars(&r, A_URL, "novel_chars", 1000);
    expect_chars(&r, B_URL, "novel_chars", 40);
    expect_chars(&r, C_URL, "boilerplate_chars", 310);
    expect_list(&r, C_URL, "contains", 0, NONE_URLS, NONE_SCORES);
    run_free(&r);

    run_cmd(&r, "dedup-report --summary /nonexistent-folder-of-feedarc");
    assert_int_equal(r.status, 66);
    run_free(&r);
    char args[1024];
    snprintf(args, sizeof args, "dedup-report --summary '%s'", dir);
    run_cmd(&r, args);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(YAJL_GET_INTEGER(get(r.lines[0], "documents")), 3);
    assert_int_equal(YAJL_GET_INTEGER(get(r.lines[0], "near_duplicates")), 2);
    assert_int_equal(YAJL_GET_INTEGER(get(r.lines[0], "exact_duplicates")), 0);
    assert_int_equal(YAJL_GET_INTEGER(get(r.lines[0], "containment_pairs")), 0);
    run_free(&r);
    run_cmd(&r, "dedup-report");
    assert_int_equal(r.status, 64);
    run_free(&r);
    test_rm_rf(dir);
    free(dir);
}

static void near_chain_forward(void **state)
{
    (void)state;
    near_chain(0);
}

static void near_chain_reverse(void **state)
{
    (void)state;
    near_chain(1);
}

/* ---- containment from either side --------------------------------------- */

#define AGG_URL "http://roundup.example/today"
#define X_URL "http://x.example/a1"
#define Y_URL "http://y.example/a2"
#define AGG2_URL "http://roundup.example/yesterday"
#define P_URL "http://p.example/roundup"
#define Q_URL "http://q.example/article"

static void containment_both_orders(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    segment_writer *w = arch_open(dir, "feedarc", NULL, 0);
    page x, agg, agg2, y, p, q;
    meta m = {0};
    /* order 1: the article first; the aggregator's record finds it */
    page_init(&x, X_URL, 0);
    put_page(w, &x, NULL, NULL);
    page_init(&agg, AGG_URL, 5);
    meta_ref(&m, "feedarc-contains", &x, 0.97);
    meta_chars(&m, 5000, 3000, 400);
    put_page(w, &agg, &m, NULL);
    /* order 2: the aggregator first; the article's record finds it */
    page_init(&agg2, AGG2_URL, 10);
    put_page(w, &agg2, NULL, NULL);
    page_init(&y, Y_URL, 15);
    memset(&m, 0, sizeof m);
    meta_ref(&m, "feedarc-contained-in", &agg2, 0.95);
    put_page(w, &y, &m, NULL);
    /* both sides (a re-analysis): one pair, the higher score */
    page_init(&q, Q_URL, 20);
    page_init(&p, P_URL, 25);
    segment_writer_new_record_id(p.rid); /* known in advance, as the engine would */
    memset(&m, 0, sizeof m);
    meta_ref(&m, "feedarc-contained-in", &p, 0.95);
    put_page(w, &q, &m, NULL);
    memset(&m, 0, sizeof m);
    meta_ref(&m, "feedarc-contains", &q, 0.9);
    meta_ref(&m, "feedarc-contains", &x, 0.8);
    put_page(w, &p, &m, NULL);
    assert_int_equal(segment_writer_close(w), 0);

    run r;
    run_report(&r, dir);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.n, 6);
    const char *x_only[] = {X_URL}, *agg_only[] = {AGG_URL}, *y_only[] = {Y_URL},
               *agg2_only[] = {AGG2_URL}, *q_and_x[] = {Q_URL, X_URL}, *p_only[] = {P_URL},
               *aggs_of_x[] = {AGG_URL, P_URL};
    double s97[] = {0.97}, s95[] = {0.95}, s95_8[] = {0.95, 0.8}, s97_8[] = {0.97, 0.8};
    expect_list(&r, AGG_URL, "contains", 1, x_only, s97);
    expect_list(&r, AGG_URL, "contained_in", 0, NONE_URLS, NONE_SCORES);
    expect_list(&r, AGG2_URL, "contains", 1, y_only, s95);
    expect_list(&r, Y_URL, "contained_in", 1, agg2_only, s95);
    expect_list(&r, Y_URL, "contains", 0, NONE_URLS, NONE_SCORES);
    expect_list(&r, P_URL, "contains", 2, q_and_x, s95_8);
    expect_list(&r, Q_URL, "contained_in", 1, p_only, s95);
    expect_list(&r, X_URL, "contained_in", 2, aggs_of_x, s97_8);
    (void)agg_only;
    for (size_t i = 0; i < r.n; i++) {
        yajl_val d = get(r.lines[i], "duplicate_of");
        assert_true(d && YAJL_IS_NULL(d));
    }
    run_free(&r);
    char args[1024];
    snprintf(args, sizeof args, "dedup-report --summary '%s'", dir);
    run_cmd(&r, args);
    assert_int_equal(YAJL_GET_INTEGER(get(r.lines[0], "containment_pairs")), 4);
    run_free(&r);
    test_rm_rf(dir);
    free(dir);
}

/* ---- exact duplicates, re-fetched URLs ----------------------------------- */

#define ORIG_URL "http://wire.example/story"
#define MIRROR_URL "http://mirror.example/story?utm_source=rss"
#define LATE_URL "http://late.example/story-edited"

static void exact_duplicate_by_revisit(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    segment_writer *w = arch_open(dir, "feedarc", NULL, 0);
    page orig, mirror, late;
    meta m = {0};
    page_init(&orig, ORIG_URL, 0);
    meta_chars(&m, 800, 800, 100);
    put_page(w, &orig, &m, NULL);
    page_init(&mirror, MIRROR_URL, 3);
    memset(&m, 0, sizeof m);
    meta_add(&m, "via", "http://mirror.example/feed");
    meta_ref(&m, "feedarc-exact-duplicate-of", &orig, -1);
    meta_chars(&m, 800, 0, 100);
    put_revisit(w, &mirror, &orig, &m);
    /* a near copy of the mirror reaches the original through it */
    page_init(&late, LATE_URL, 9);
    memset(&m, 0, sizeof m);
    meta_ref(&m, "feedarc-near-duplicate-of", &mirror, 0.88);
    put_page(w, &late, &m, NULL);
    assert_int_equal(segment_writer_close(w), 0);

    run r;
    run_report(&r, dir);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.n, 3);
    expect_url(&r, ORIG_URL, "exact_duplicate_of", NULL);
    expect_url(&r, MIRROR_URL, "exact_duplicate_of", ORIG_URL);
    expect_url(&r, MIRROR_URL, "duplicate_of", NULL);
    expect_chars(&r, MIRROR_URL, "novel_chars", 0);
    expect_url(&r, LATE_URL, "exact_duplicate_of", NULL);
    expect_url(&r, LATE_URL, "duplicate_of", ORIG_URL);
    expect_similarity(&r, LATE_URL, 0.88);
    run_free(&r);
    test_rm_rf(dir);
    free(dir);
}

#define U_URL "http://u.example/live-blog"
#define V_URL "http://v.example/quote"
#define W_URL "http://w.example/roundup"
#define Z_URL "http://z.example/article"

/* U archived twice: its newest record speaks for it, whichever segment is
 * read first; a containment claim naming U's superseded version by its
 * record id is dropped, one naming the newest is kept. */
static void refetched_url_newest_wins(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    page u1, u2, v, w1, z, w2;
    meta m = {0};
    page_init(&u1, U_URL, 0);
    page_init(&v, V_URL, 5);
    page_init(&u2, U_URL, 30);
    page_init(&w1, W_URL, 1);
    page_init(&z, Z_URL, 6);
    page_init(&w2, W_URL, 31);

    /* segment "b" (read second) holds the first versions */
    segment_writer *wb = arch_open(dir, "b", NULL, 0);
    meta_chars(&m, 100, 100, 10);
    put_page(wb, &u1, &m, NULL);
    memset(&m, 0, sizeof m);
    meta_ref(&m, "feedarc-contained-in", &u1, 0.9); /* names U's old version */
    put_page(wb, &v, &m, NULL);
    put_page(wb, &w1, NULL, NULL);
    memset(&m, 0, sizeof m);
    meta_ref(&m, "feedarc-contained-in", &w1, 0.93); /* W's old version, W2 confirms */
    put_page(wb, &z, &m, NULL);
    assert_int_equal(segment_writer_close(wb), 0);

    /* segment "a" (read first) holds the newer versions */
    segment_writer *wa = arch_open(dir, "a", NULL, 0);
    memset(&m, 0, sizeof m);
    meta_chars(&m, 250, 200, 20);
    put_page(wa, &u2, &m, "Live blog, updated.\n");
    memset(&m, 0, sizeof m);
    meta_ref(&m, "feedarc-contains", &z, 0.94);
    put_page(wa, &w2, &m, NULL);
    assert_int_equal(segment_writer_close(wa), 0);

    run r;
    run_report(&r, dir);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.n, 4);
    expect_chars(&r, U_URL, "novel_chars", 200);
    expect_chars(&r, U_URL, "main_chars", 250);
    expect_list(&r, U_URL, "contains", 0, NONE_URLS, NONE_SCORES);
    expect_list(&r, V_URL, "contained_in", 0, NONE_URLS, NONE_SCORES);
    const char *z_only[] = {Z_URL}, *w_only[] = {W_URL};
    double s94[] = {0.94};
    expect_list(&r, W_URL, "contains", 1, z_only, s94);
    expect_list(&r, Z_URL, "contained_in", 1, w_only, s94);
    run_free(&r);

    /* text: every conversion, or the newest of one URL */
    char args[1024];
    snprintf(args, sizeof args, "text '%s'", dir);
    run_cmd(&r, args);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.n, 6);
    run_free(&r);
    snprintf(args, sizeof args, "text '%s' '%s'", dir, U_URL);
    run_cmd(&r, args);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(str(get(r.lines[0], "text")), "Live blog, updated.\n");
    assert_string_equal(str(get(r.lines[0], "record_id")), u2.conv_id);
    assert_string_equal(str(get(r.lines[0], "date")), u2.date);
    assert_string_equal(str(get(r.lines[0], "url")), U_URL);
    run_free(&r);
    snprintf(args, sizeof args, "text '%s' http://nowhere.example/", dir);
    run_cmd(&r, args);
    assert_int_equal(r.status, 1);
    assert_int_equal(r.n, 0);
    run_free(&r);
    test_rm_rf(dir);
    free(dir);
}

/* ---- dictionaries, corruption -------------------------------------------- */

static void dictionary_segment(void **state)
{
    (void)state;
    size_t cap = 1 << 22, used = 0, sizes[400];
    char *samples = malloc(cap);
    for (int i = 0; i < 400; i++) {
        char seed[64];
        snprintf(seed, sizeof seed, "http://s.example/%d", i);
        sizes[i] = page_html(samples + used, cap - used, seed);
        used += sizes[i];
    }
    void *dict;
    size_t dict_len;
    assert_int_equal(segment_dict_train(samples, sizes, 400, 16384, &dict, &dict_len, NULL), 0);
    free(samples);

    char *dir = test_tmpdir_new();
    page a, b;
    meta m = {0};
    segment_writer *w = arch_open(dir, "dict", dict, dict_len);
    page_init(&a, A_URL, 0);
    put_page(w, &a, NULL, "First.\n");
    page_init(&b, B_URL, 1);
    meta_ref(&m, "feedarc-near-duplicate-of", &a, 0.91);
    put_page(w, &b, &m, "[copied from " A_URL "] First.\n");
    page c;
    page_init(&c, C_URL, 2);
    put_page(w, &c, NULL, "Caf\xe9 au lait.\n"); /* Latin-1: not UTF-8 */
    assert_int_equal(segment_writer_close(w), 0);
    free(dict);
    char path[1024];
    unsigned char magic[4] = {0};
    snprintf(path, sizeof path, "%s/%s", dir, a.segment);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(magic, 1, 4, f), 4);
    fclose(f);
    assert_memory_equal(magic, "\x5D\x2A\x4D\x18", 4); /* starts with the dictionary frame */

    run r;
    run_report(&r, dir);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.n, 3);
    expect_url(&r, B_URL, "duplicate_of", A_URL);
    expect_similarity(&r, B_URL, 0.91);
    yajl_val mc = get(doc(&r, A_URL), "main_chars");
    assert_true(mc && YAJL_IS_NULL(mc)); /* no counts in its record */
    run_free(&r);
    char args[1024];
    snprintf(args, sizeof args, "text '%s' '%s'", dir, B_URL);
    run_cmd(&r, args);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(str(get(r.lines[0], "text")), "[copied from " A_URL "] First.\n");
    run_free(&r);
    snprintf(args, sizeof args, "text '%s' '%s'", dir, C_URL);
    run_cmd(&r, args);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(str(get(r.lines[0], "text")), "Caf\xEF\xBF\xBD au lait.\n"); /* U+FFFD */
    run_free(&r);
    test_rm_rf(dir);
    free(dir);
}

static void corrupt_segment(void **state)
{
    (void)state;
    char *dir = test_tmpdir_new();
    page a, b1, b2, b3, c;
    meta m = {0};
    segment_writer *w = arch_open(dir, "a", NULL, 0);
    page_init(&a, A_URL, 0);
    put_page(w, &a, NULL, NULL);
    assert_int_equal(segment_writer_close(w), 0);
    w = arch_open(dir, "b", NULL, 0);
    page_init(&b1, "http://b.example/1", 1);
    put_page(w, &b1, NULL, NULL);
    page_init(&b2, "http://b.example/2", 2);
    put_page(w, &b2, NULL, NULL);
    page_init(&b3, "http://b.example/3", 3);
    meta_ref(&m, "feedarc-near-duplicate-of", &a, 0.8);
    put_page(w, &b3, &m, NULL);
    assert_int_equal(segment_writer_close(w), 0);
    w = arch_open(dir, "c", NULL, 0);
    page_init(&c, C_URL, 4);
    put_page(w, &c, NULL, NULL);
    assert_int_equal(segment_writer_close(w), 0);

    /* damage the middle of b2's metadata frame */
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, b2.segment);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    uint64_t at = b2.meta_offset + b2.meta_length / 2;
    assert_int_equal(fseek(f, (long)at, SEEK_SET), 0);
    unsigned char junk[4] = {0xde, 0xad, 0xbe, 0xef};
    assert_int_equal(fwrite(junk, 1, 4, f), 4);
    fclose(f);

    run r;
    run_report(&r, dir);
    assert_int_equal(r.status, 65);
    assert_non_null(strstr(r.err, b2.segment)); /* says where */
    assert_int_equal(r.n, 4);
    doc(&r, A_URL);
    doc(&r, "http://b.example/1");
    expect_url(&r, "http://b.example/3", "duplicate_of", A_URL); /* after the fault */
    doc(&r, C_URL);
    for (size_t i = 0; i < r.n; i++)
        assert_string_not_equal(str(get(r.lines[i], "url")), "http://b.example/2");
    run_free(&r);
    char args[1024];
    snprintf(args, sizeof args, "text '%s'", dir);
    run_cmd(&r, args);
    assert_int_equal(r.status, 65);
    assert_int_equal(r.n, 5); /* every conversion record survives */
    run_free(&r);
    test_rm_rf(dir);
    free(dir);
}

int main(void)
{
    if (getenv("FEEDARC_BIN") == NULL) {
        fprintf(stderr, "FEEDARC_BIN is not set: skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(near_chain_forward),        cmocka_unit_test(near_chain_reverse),
        cmocka_unit_test(containment_both_orders),   cmocka_unit_test(exact_duplicate_by_revisit),
        cmocka_unit_test(refetched_url_newest_wins), cmocka_unit_test(dictionary_segment),
        cmocka_unit_test(corrupt_segment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
