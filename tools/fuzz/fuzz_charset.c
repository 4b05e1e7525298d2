/*
 * fuzz_charset.c - libFuzzer target for common/fa_charset.c.
 *
 * The first byte picks the Content-Type label (or none) and the window;
 * the rest is fed to the decoder in two chunks split at the offset given
 * by the second byte, so chunk boundaries inside multi-byte sequences are
 * fuzzed with the content.  Every output piece must be valid UTF-8 (an
 * abort otherwise), and the decision must describe itself.
 *
 * Not part of the CMake build (tests/charset/test_charset.c's
 * test_random_inputs is the ctest-run relative).  From the repository root:
 *
 *   clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -I. \
 *       tools/fuzz/fuzz_charset.c common/fa_charset.c common/fa_buf.c common/fa_err.c \
 *       $(pkg-config --cflags --libs uchardet) -o fuzz_charset
 *   ./fuzz_charset -max_len=32768
 */
#include "common/fa_charset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_utf8(void *ud, const char *s, size_t n)
{
    (void)ud;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = u[i], need = c < 0x80 ? 0 : c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
        if ((c >= 0x80 && (c < 0xC2 || c > 0xF4)) || i + need >= n + !need) abort();
        for (unsigned k = 1; k <= need; k++)
            if ((u[i + k] & 0xC0) != 0x80) abort();
        i += need + 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const labels[] = {NULL,       "utf-8",       "euc-kr",  "shift_jis",
                                         "gb2312",   "big5",        "koi8-r",  "windows-1251",
                                         "latin1",   "latin2",      "euc-jp",  "utf-16le",
                                         "utf-16be", "iso-2022-jp", "x-bogus", "gb18030"};
    if (size < 2) return 0;
    fa_charset_options o = {.http_charset = labels[data[0] & 15],
                            .window = (data[0] >> 4) ? (size_t)(data[0] >> 4) * 700 : 0};
    size_t split = size > 2 ? data[1] % (size - 2) : 0;
    data += 2;
    size -= 2;
    fa_charset_decoder *d = fa_charset_decoder_new(&o, check_utf8, NULL);
    if (d == NULL) return 0;
    if (fa_charset_push(d, data, split) == 0) fa_charset_push(d, data + split, size - split);
    fa_charset_finish(d);
    char desc[256];
    fa_charset_describe(fa_charset_decoder_decision(d), desc, sizeof desc);
    fa_charset_decoder_free(d);
    return 0;
}
