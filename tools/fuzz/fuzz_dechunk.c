/*
 * fuzz_dechunk.c - libFuzzer target for common/fa_dechunk.c, the streaming
 * decoder of HTTP/1.1 chunked transfer coding.
 *
 * Input: byte 0 how the framed body is cut into feeds (fuzz_util.h), then
 * the body.  The decoder promises the same payload in any chunking of its
 * input: the result of the cut feeding (return code and payload bytes) is
 * compared with one feed of the whole body, and a difference aborts.
 * Built by tools/fuzz/CMakeLists.txt; see tools/fuzz/README.md.
 */
#include "common/fa_buf.h"
#include "common/fa_dechunk.h"
#include "common/fa_err.h"
#include "tools/fuzz/fuzz_util.h"

#include <stdio.h>

typedef struct run {
    fa_dechunk d;
    fa_buf out;
    int rc; /* last return of fa_dechunk_feed */
} run;

static int collect(void *ud, const void *data, size_t n)
{
    return fa_buf_append(ud, data, n);
}

static int feed(void *ud, const uint8_t *p, size_t n)
{
    run *r = ud;
    if (r->rc != 0) return 0; /* done (1) or failed (negative): no more feeding */
    r->rc = fa_dechunk_feed(&r->d, p, n, collect, &r->out);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    unsigned mode = fuzz_byte(&in);
    run whole = {.rc = 0}, cut = {.rc = 0};
    fa_dechunk_init(&whole.d);
    fa_dechunk_init(&cut.d);
    fa_buf_init(&whole.out, 1 << 20);
    fa_buf_init(&cut.out, 1 << 20);
    feed(&whole, in.p, in.n);
    (void)fuzz_push_pieces(in.p, in.n, mode, feed, &cut);
    if (whole.rc != cut.rc || whole.out.len != cut.out.len ||
        (whole.out.len && memcmp(whole.out.data, cut.out.data, whole.out.len) != 0)) {
        fprintf(stderr, "dechunk: whole feed rc %d, %zu bytes; cut feed rc %d, %zu bytes\n",
                whole.rc, whole.out.len, cut.rc, cut.out.len);
        abort();
    }
    fa_buf_free(&whole.out);
    fa_buf_free(&cut.out);
    return 0;
}
