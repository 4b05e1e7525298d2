/*
 * fuzz_opml.c - libFuzzer target for crawler/feeds/opml.c (OPML 1.0/2.0
 * subscription lists, nested folders).
 *
 * Input: byte 0 how the body is cut into pushes, byte 1 the nesting
 * ceiling (0 = the default), then the document.  Built by
 * tools/fuzz/CMakeLists.txt; see tools/fuzz/README.md.
 */
#include "crawler/feeds/opml.h"
#include "tools/fuzz/fuzz_util.h"

static int touch_outline(void *ud, const opml_outline *o)
{
    size_t *sum = ud;
    *sum += strlen(o->xml_url) + strlen(o->html_url) + strlen(o->title) + strlen(o->type) +
            strlen(o->category) + (size_t)o->line;
    return 0;
}

static int push(void *ud, const uint8_t *p, size_t n)
{
    return opml_parser_push(ud, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    unsigned mode = fuzz_byte(&in);
    unsigned depth = fuzz_byte(&in) % 40;
    size_t sum = 0;
    opml_parser *p = opml_parser_new(depth & 1 ? "https://fuzz.example.org/lists/x.opml" : NULL,
                                     depth, touch_outline, &sum);
    if (p == NULL) return 0;
    (void)fuzz_push_pieces(in.p, in.n, mode, push, p);
    opml_parser_finish(p);
    int line = 0;
    sum += strlen(opml_parser_error(p, &line)) + (size_t)line;
    opml_parser_free(p);
    return 0;
}
