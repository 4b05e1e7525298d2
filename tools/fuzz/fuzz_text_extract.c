/*
 * fuzz_text_extract.c - libFuzzer target for dedup/text_extract.c: HTML to
 * classified text blocks (libxml2's HTML push parser, SAX; block
 * signals, the main-container search, fragments), and the WordPress REST
 * entry point text_extract_wp_json.
 *
 * Input: byte 0 the mode (bits 0-1: page, fragment, WordPress JSON, page
 * re-classified as a fragment; bit 2: small ceilings), byte 1 how the HTML
 * is cut into pushes, then the document.  Built by tools/fuzz/CMakeLists.txt;
 * see tools/fuzz/README.md.
 */
#include "common/fa_buf.h"
#include "dedup/text_extract.h"
#include "tools/fuzz/fuzz_util.h"

static int push(void *ud, const uint8_t *p, size_t n)
{
    return text_extractor_push(ud, (const char *)p, n);
}

static void touch(text_doc *d)
{
    size_t sum = d->title ? strlen(d->title) : 0;
    for (size_t i = 0; i < d->n_blocks; i++) {
        const text_block *b = &d->blocks[i];
        if (strlen(b->text) != b->len) abort();
        sum += strlen(b->tag) + strlen(b->path) + strlen(b->reason) + b->chars + b->weight;
    }
    fa_buf out;
    fa_buf_init(&out, 1 << 24);
    (void)text_doc_main_text(d, &out);
    fa_buf_free(&out);
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    unsigned mode = fuzz_byte(&in);
    unsigned cut = fuzz_byte(&in);
    text_extract_options o = {.fragment = (mode & 3) == 1};
    if (mode & 4) {
        o.max_input = 16384;
        o.max_text = 4096;
        o.max_depth = 8;
        o.max_blocks = 16;
    }
    text_doc *d = NULL;
    if ((mode & 3) == 2) {
        if (text_extract_wp_json((const char *)in.p, in.n, &o, &d) == 0 && d != NULL) touch(d);
        text_doc_free(d);
        return 0;
    }
    text_extractor *x = text_extractor_new(&o);
    if (x == NULL) return 0;
    if (fuzz_push_pieces(in.p, in.n, cut, push, x) == 0 && text_extractor_finish(x, &d) == 0 &&
        d != NULL) {
        touch(d);
        if ((mode & 3) == 3) {
            text_doc_classify(d, 1);
            touch(d);
        }
    }
    text_doc_free(d);
    text_extractor_free(x);
    return 0;
}
