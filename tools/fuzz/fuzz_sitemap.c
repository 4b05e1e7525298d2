/*
 * fuzz_sitemap.c - libFuzzer target for crawler/feeds/sitemap.c (urlset, sitemap
 * index, Google News extension).
 *
 * Input: byte 0 how the body is cut into pushes, byte 1 the Content-Type
 * charset assumed, then the body.  Built by tools/fuzz/CMakeLists.txt; see
 * tools/fuzz/README.md.
 */
#include "crawler/feeds/sitemap.h"
#include "tools/fuzz/fuzz_util.h"

static int touch_item(void *ud, const feed_item *it)
{
    size_t *sum = ud;
    const char *f[] = {it->id,        it->link,    it->title,   it->author,
                       it->published, it->updated, it->summary, it->content};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        *sum += strlen(f[i]);
    for (const char *const *e = it->enclosures; *e; e++)
        *sum += strlen(*e);
    return 0;
}

static int touch_child(void *ud, const char *url)
{
    *(size_t *)ud += strlen(url);
    return 0;
}

static int push(void *ud, const uint8_t *p, size_t n)
{
    return sitemap_parser_push(ud, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const charsets[] = {NULL, "utf-8", "iso-8859-1", "utf-16"};
    fuzz_input in = {data, size};
    unsigned mode = fuzz_byte(&in);
    const char *charset = charsets[fuzz_byte(&in) % 4];
    feed_parser_limits lim = {.max_item_bytes = 1 << 14, .max_items = 100, .max_depth = 32};
    size_t sum = 0;
    sitemap_parser *p = sitemap_parser_new("https://fuzz.example.org/maps/sitemap.xml", &lim,
                                           touch_item, touch_child, &sum);
    if (p == NULL) return 0;
    if (charset != NULL) sitemap_parser_set_default_encoding(p, charset);
    (void)fuzz_push_pieces(in.p, in.n, mode, push, p);
    sitemap_parser_finish(p);
    sum += (size_t)sitemap_parser_is_index(p) + strlen(sitemap_parser_error(p));
    sitemap_parser_free(p);
    return 0;
}
