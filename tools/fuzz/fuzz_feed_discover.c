/*
 * fuzz_feed_discover.c - libFuzzer target for crawler/feeds/feed_discover.c (feed
 * autodiscovery in HTML pages: libxml2's HTML push parser, <base href>,
 * de-duplication, the choice of links kept).
 *
 * Input: byte 0 how the page is cut into pushes, byte 1 bit 0: no page URL
 * (links stay as written), then the page.  Built by tools/fuzz/CMakeLists.txt;
 * see tools/fuzz/README.md.
 */
#include "crawler/feeds/feed_discover.h"
#include "tools/fuzz/fuzz_util.h"

static int push(void *ud, const uint8_t *p, size_t n)
{
    return feed_discover_push(ud, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    unsigned mode = fuzz_byte(&in);
    unsigned flags = fuzz_byte(&in);
    feed_discover *d =
        feed_discover_new(flags & 1 ? NULL : "https://fuzz.example.org/blog/post?id=1");
    if (d == NULL) return 0;
    size_t sum = 0;
    (void)fuzz_push_pieces(in.p, in.n, mode, push, d);
    int n = feed_discover_finish(d);
    for (size_t i = 0; n > 0 && i <= (size_t)n; i++) {
        const char *title = NULL;
        const char *url = feed_discover_url(d, i, &title);
        if (url == NULL) break;
        sum += strlen(url) + (title ? strlen(title) : 0);
    }
    feed_discover_free(d);
    return (int)(sum & 0);
}
