/*
 * fuzz_json_items.c - libFuzzer target for crawler/feeds/json_items.c, the
 * streaming JSON item engine under JSON Feed, WordPress REST and mapped
 * JSON APIs (yajl; an arena per item; watched scalars).
 *
 * Input: byte 0 the flavor (auto, jsonfeed, wordpress, mapped), byte 1 how
 * the body is cut into pushes, then the document.  Built by
 * tools/fuzz/CMakeLists.txt; see tools/fuzz/README.md.
 *
 * A defect this harness found (fixed): the item arena never
 * frees a block, so duplicate-id items with growing titles grow memory with
 * the body; inputs stay far below the ceiling that matters at the fuzzer's
 * -max_len, so no cap is needed here.
 */
#include "crawler/feeds/json_items.h"
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
    return json_items_push(ud, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    enum json_flavor fl = (enum json_flavor)(fuzz_byte(&in) % 4);
    unsigned mode = fuzz_byte(&in);
    json_items_fields f = {
        .id = "/uid",
        .url = "/permalink",
        .title = "/headline/text",
        .date = "/published_at",
        .updated = "/changed",
        .content = "/body",
        .summary = "",
        .author = "/byline/name",
    };
    feed_parser_limits lim = {.max_item_bytes = 1 << 14, .max_items = 100, .max_depth = 32};
    size_t sum = 0;
    json_items *j = json_items_new(fl, "/data/stories", &f,
                                   "https://fuzz.example.org/wp-json/wp/v2/posts?page=1", &lim,
                                   touch_item, &sum);
    if (j == NULL) return 0;
    int w[4] = {json_items_watch(j, "/meta/next"), json_items_watch(j, "/meta/next_cursor"),
                json_items_watch(j, "/code"), json_items_watch(j, "")};
    (void)fuzz_push_pieces(in.p, in.n, mode, push, j);
    json_items_finish(j);
    for (int i = 0; i < 4; i++) {
        const char *v = w[i] >= 0 ? json_items_watched(j, w[i]) : NULL;
        if (v != NULL) sum += strlen(v);
    }
    feed_parser_stats st;
    json_items_get_stats(j, &st);
    sum += (size_t)json_items_flavor(j) + (size_t)json_items_found(j) + strlen(json_items_error(j));
    json_items_free(j);
    return 0;
}
