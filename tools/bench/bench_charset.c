/*
 * bench_charset.c - issue 17: how often the encoding decision is right on
 * the project's fixtures (tests/charset/charset_texts.c, nine encodings),
 * by length of text, and what deciding and decoding cost per page.
 *
 *   build/tools/bench/bench_charset [iterations]
 *
 * Accuracy: every text, undeclared, as an HTML page holding (a) the title
 * only, (b) the title and the first paragraph, (c) everything; and the
 * whole page declared UTF-8 wrongly; then title-only feed items cut to 2
 * to 24 characters, with the confidence guard and without it.  "ok" = the
 * decoded text equals the original; "refused" = the
 * detector's guess was below the confidence threshold and UTF-8 with
 * replacement was kept (counted, no mojibake); "WRONG" = another encoding
 * was used.
 *
 * Cost (thread CPU time): a 100 KiB article page (an 80 KiB ASCII template - scripts, menus -
 * around the text) decoded with fa_charset_decode_all, by case, against
 * text_extract_html on the same page for scale; and short undeclared pages
 * in the nine encodings in turn, where the per-document fixed costs show.
 */
#include "charset/charset_texts.h"
#include "common/fa_charset.h"
#include "dedup/text_extract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CPU time of this thread (the machine is shared: wall time would count
 * the other processes' turns). */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

enum outcome { OK, REFUSED, WRONG };

static double min_conf; /* 0 = the default threshold */

static enum outcome judge(const charset_text *t, const char *utf8_doc, const char *http)
{
    fa_buf raw, got;
    fa_buf_init(&raw, 1 << 22);
    fa_buf_init(&got, 1 << 22);
    charset_convert(t->iconv, utf8_doc, &raw);
    fa_charset_options o = {.http_charset = http, .min_confidence = min_conf};
    fa_charset_decision d;
    fa_charset_decode_all(&o, raw.data, raw.len, &got, &d);
    enum outcome r = WRONG;
    if (got.data && strcmp(got.data, utf8_doc) == 0)
        r = OK; /* the text is right (an all-ASCII prefix is, whatever the name) */
    else if (d.refused && strcmp(d.name, "UTF-8") == 0)
        r = REFUSED;
    fa_buf_free(&raw);
    fa_buf_free(&got);
    return r;
}

static const char *name_of(enum outcome o)
{
    return o == OK ? "ok" : o == REFUSED ? "refused" : "WRONG";
}

static void page(const charset_text *t, int paras, fa_buf *out)
{
    fa_buf_reset(out);
    fa_buf_printf(out, "<html><body><h1>%s</h1>", t->title);
    for (int i = 0; i < paras; i++)
        fa_buf_printf(out, "<p>%s</p>", t->paras[i]);
    fa_buf_puts(out, "</body></html>");
}

static size_t nonascii(const charset_text *t, int paras)
{
    fa_buf u, raw;
    fa_buf_init(&u, 1 << 20);
    fa_buf_init(&raw, 1 << 20);
    page(t, paras, &u);
    charset_convert(t->iconv, u.data, &raw);
    size_t n = 0;
    for (size_t i = 0; i < raw.len; i++)
        n += (unsigned char)raw.data[i] >= 0x80;
    fa_buf_free(&u);
    fa_buf_free(&raw);
    return n;
}

static void accuracy(void)
{
    printf("| encoding | title only, undeclared | title + 1 paragraph | whole page | whole page "
           "declared UTF-8 |\n| --- | --- | --- | --- | --- |\n");
    unsigned tot[4][3] = {{0}};
    fa_buf u;
    fa_buf_init(&u, 1 << 20);
    for (int i = 0; i < CHARSET_TEXT_COUNT; i++) {
        const charset_text *t = &charset_texts[i];
        enum outcome o[4];
        page(t, 0, &u);
        o[0] = judge(t, u.data, NULL);
        page(t, 1, &u);
        o[1] = judge(t, u.data, NULL);
        page(t, 3, &u);
        o[2] = judge(t, u.data, NULL);
        o[3] = judge(t, u.data, "utf-8");
        printf("| %s | %s (%zu B) | %s (%zu B) | %s (%zu B) | %s |\n", t->whatwg, name_of(o[0]),
               nonascii(t, 0), name_of(o[1]), nonascii(t, 1), name_of(o[2]), nonascii(t, 3),
               name_of(o[3]));
        for (int k = 0; k < 4; k++)
            tot[k][o[k]]++;
    }
    printf("| all nine | %u ok, %u refused, %u wrong | %u/%u/%u | %u/%u/%u | %u/%u/%u |\n",
           tot[0][0], tot[0][1], tot[0][2], tot[1][0], tot[1][1], tot[1][2], tot[2][0], tot[2][1],
           tot[2][2], tot[3][0], tot[3][1], tot[3][2]);
    printf("(B = non-ASCII bytes of the text in that encoding)\n\n");
    fa_buf_free(&u);
}

/* The first `chars` characters of s (UTF-8) into out. */
static void prefix(const char *s, int chars, fa_buf *out)
{
    size_t i = 0;
    for (int c = 0; s[i] && c < chars; c++) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
    }
    fa_buf_append(out, s, i);
}

/* Short texts: a title-only feed item cut to 2..24 characters of the
 * first paragraph, undeclared, judged with the guard and without it. */
static void short_texts(void)
{
    static const int lens[] = {2, 4, 6, 8, 12, 16, 24};
    const int nl = (int)(sizeof lens / sizeof lens[0]);
    printf("| encoding | characters: outcome with the guard / without |\n| --- | --- |\n");
    unsigned wrong_guard = 0, wrong_free = 0, ok_guard = 0, ok_free = 0, total = 0;
    fa_buf u;
    fa_buf_init(&u, 1 << 20);
    for (int i = 0; i < CHARSET_TEXT_COUNT; i++) {
        const charset_text *t = &charset_texts[i];
        printf("| %s |", t->whatwg);
        for (int k = 0; k < nl; k++) {
            fa_buf_reset(&u);
            fa_buf_puts(&u, "<rss version=\"2.0\"><channel><item><title>");
            prefix(t->paras[0], lens[k], &u);
            fa_buf_puts(&u, "</title></item></channel></rss>");
            min_conf = 0;
            enum outcome g = judge(t, u.data, NULL);
            min_conf = 1e-9;
            enum outcome f = judge(t, u.data, NULL);
            min_conf = 0;
            printf(" %d: %s/%s;", lens[k], name_of(g), name_of(f));
            total++;
            wrong_guard += g == WRONG;
            wrong_free += f == WRONG;
            ok_guard += g == OK;
            ok_free += f == OK;
        }
        printf(" |\n");
    }
    printf("\n%u short titles: with the guard %u ok, %u wrong (the rest refused); without it "
           "%u ok, %u wrong\n\n",
           total, ok_guard, wrong_guard, ok_free, wrong_free);
    fa_buf_free(&u);
}

/* A 100 KiB page: 80 KiB of ASCII template around the text. */
static void big_page(const charset_text *t, fa_buf *out)
{
    fa_buf_reset(out);
    fa_buf_printf(out, "<!DOCTYPE html><html><head><title>%s</title><script>\n", t->title);
    while (out->len < 60 * 1024)
        fa_buf_puts(out, "window.dataLayer = window.dataLayer || []; function gtag(){dataLayer."
                         "push(arguments);} /* analytics, menus and the like */\n");
    fa_buf_puts(out, "</script></head><body><nav><ul>");
    while (out->len < 80 * 1024)
        fa_buf_puts(out, "<li><a href=\"/section/news/local/page\">Section</a></li>");
    fa_buf_printf(out, "</ul></nav><article><h1>%s</h1>", t->title);
    while (out->len < 100 * 1024)
        for (int i = 0; i < 3; i++)
            fa_buf_printf(out, "<p>%s</p>", t->paras[i]);
    fa_buf_puts(out, "</article></body></html>");
}

static void cost(int iters)
{
    printf("| case | CPU µs per page (100 KiB unless said) | MB/s |\n| --- | --- | --- |\n");
    fa_buf u, raw, out;
    fa_buf_init(&u, 1 << 22);
    fa_buf_init(&raw, 1 << 22);
    fa_buf_init(&out, 1 << 23);
    struct {
        const char *what;
        int text;
        const char *http;
        int utf8;
    } cases[] = {
        {"UTF-8 page, declared (validation only)", 0, "utf-8", 1},
        {"UTF-8 page, undeclared (validation only)", 0, NULL, 1},
        {"EUC-KR page, declared (iconv CP949)", 0, "euc-kr", 0},
        {"EUC-KR page, undeclared (uchardet + iconv)", 0, NULL, 0},
        {"EUC-KR page, declared UTF-8 wrongly (uchardet + iconv)", 0, "utf-8", 0},
        {"Shift_JIS page, undeclared", 2, NULL, 0},
        {"GB18030 page, undeclared", 3, NULL, 0},
        {"KOI8-R page, undeclared", 5, NULL, 0},
        {"windows-1252 page, undeclared", 7, NULL, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const charset_text *t = &charset_texts[cases[c].text];
        big_page(t, &u);
        fa_buf_reset(&raw);
        charset_convert(cases[c].utf8 ? "UTF-8" : t->iconv, u.data, &raw);
        fa_charset_options o = {.http_charset = cases[c].http};
        uint64_t t0 = cpu_ns();
        for (int i = 0; i < iters; i++) {
            fa_buf_reset(&out);
            fa_charset_decode_all(&o, raw.data, raw.len, &out, NULL);
        }
        double us = (double)(cpu_ns() - t0) / 1e3 / iters;
        printf("| %s | %.1f | %.0f |\n", cases[c].what, us, (double)raw.len / us);
    }
    /* short documents (a feed, a short page: the fixed costs of a
     * decision - descriptors, the detector, buffers - weigh most), the
     * nine encodings in turn as a crawl mixes them */
    fa_buf shorts[CHARSET_TEXT_COUNT];
    size_t short_bytes = 0;
    for (int k = 0; k < CHARSET_TEXT_COUNT; k++) {
        const char *h;
        fa_buf_init(&shorts[k], 1 << 20);
        charset_page(&charset_texts[k], DECL_NONE, &shorts[k], &h);
        short_bytes += shorts[k].len;
    }
    uint64_t s0 = cpu_ns();
    for (int i = 0; i < iters; i++)
        for (int k = 0; k < CHARSET_TEXT_COUNT; k++) {
            fa_buf_reset(&out);
            fa_charset_decode_all(NULL, shorts[k].data, shorts[k].len, &out, NULL);
        }
    double sus = (double)(cpu_ns() - s0) / 1e3 / iters / CHARSET_TEXT_COUNT;
    printf("| short pages (%zu B on average), undeclared, the nine encodings in turn | %.1f | %.0f "
           "|\n",
           short_bytes / CHARSET_TEXT_COUNT, sus, (double)short_bytes / CHARSET_TEXT_COUNT / sus);
    for (int k = 0; k < CHARSET_TEXT_COUNT; k++)
        fa_buf_free(&shorts[k]);
    /* for scale: the extraction the page goes through next */
    big_page(&charset_texts[0], &u);
    uint64_t t0 = cpu_ns();
    for (int i = 0; i < iters; i++) {
        text_doc *d = NULL;
        text_extract_html(u.data, u.len, NULL, &d);
        text_doc_free(d);
    }
    double us = (double)(cpu_ns() - t0) / 1e3 / iters;
    printf("| for scale: text_extract_html on the UTF-8 page (decoding included) | %.1f | %.0f |\n",
           us, (double)u.len / us);
    fa_buf_free(&u);
    fa_buf_free(&raw);
    fa_buf_free(&out);
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 200;
    if (iters < 1) iters = 1;
    accuracy();
    short_texts();
    cost(iters);
    return 0;
}
