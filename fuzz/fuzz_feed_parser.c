/*
 * fuzz_feed_parser.c - libFuzzer target for feeds/feed_parser.c.
 *
 * The input is fed to the streaming parser in two chunks split at the
 * offset given by its first byte (data[0] % size), so chunk boundaries are
 * fuzzed along with the content; small limits make the ceilings reachable.
 * Every item's strings are read to let ASan see bad pointers.
 *
 * Not part of the CMake build.  From the repository root:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *       fuzz/fuzz_feed_parser.c feeds/feed_*.c common/fa_buf.c common/fa_err.c \
 *       common/fa_time.c $(pkg-config --cflags --libs libxml-2.0) \
 *       -o fuzz_feed_parser
 *   cp -r tests/feeds/data corpus
 *   ./fuzz_feed_parser -max_len=65536 corpus
 *
 * A crash file goes into tests/feeds/data/ as a regression fixture.
 */
#include "feeds/feed_parser.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    size_t split = data[0] % size;
    feed_parser_limits lim = {.max_item_bytes = 1 << 16, .max_items = 100, .max_depth = 64};
    size_t sum = 0;
    feed_parser *p =
        feed_parser_new("https://fuzz.example.org/dir/feed.xml", &lim, touch_item, &sum);
    if (p == NULL) return 0;
    if (feed_parser_push(p, data, split) == 0) feed_parser_push(p, data + split, size - split);
    feed_parser_finish(p);
    (void)feed_parser_error(p);
    feed_parser_free(p);
    return 0;
}
