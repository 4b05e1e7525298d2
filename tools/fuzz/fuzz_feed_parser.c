/*
 * fuzz_feed_parser.c - libFuzzer target for crawler/feeds/feed_parser.c (RSS 0.9x/
 * 2.0, RDF, Atom through libxml2's push parser).
 *
 * Input: byte 0 chooses how the body is cut into pushes (fuzz_util.h),
 * byte 1 the Content-Type charset assumed (none, UTF-8, ISO-8859-1,
 * windows-1252, UTF-16), the rest is the body.  Small limits make the
 * ceilings reachable.  Every item's strings are read so ASan sees bad
 * pointers.  Built by tools/fuzz/CMakeLists.txt; see tools/fuzz/README.md.
 */
#include "crawler/feeds/feed_parser.h"
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

static int push(void *ud, const uint8_t *p, size_t n)
{
    return feed_parser_push(ud, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const charsets[] = {NULL, "utf-8", "iso-8859-1", "windows-1252", "utf-16"};
    fuzz_input in = {data, size};
    unsigned mode = fuzz_byte(&in);
    const char *charset = charsets[fuzz_byte(&in) % 5];
    feed_parser_limits lim = {.max_item_bytes = 1 << 16, .max_items = 100, .max_depth = 64};
    size_t sum = 0;
    feed_parser *p =
        feed_parser_new("https://fuzz.example.org/dir/feed.xml", &lim, touch_item, &sum);
    if (p == NULL) return 0;
    feed_parser_set_default_encoding(p, charset);
    (void)fuzz_push_pieces(in.p, in.n, mode, push, p);
    feed_parser_finish(p); /* also after an error: they are sticky */
    feed_parser_stats st;
    feed_parser_get_stats(p, &st);
    sum += strlen(feed_kind_name(feed_parser_kind(p))) + strlen(feed_parser_error(p));
    feed_parser_free(p);
    return 0;
}
