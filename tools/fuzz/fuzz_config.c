/*
 * fuzz_config.c - libFuzzer target for config/: the YAML config loader
 * and validator (libyaml, every key, the error messages), the effective
 * config writer (config_dump), durations and sizes.
 *
 * Input: byte 0 the mode (0-1: a config text; 2: a duration; 3: a size),
 * then the text.  Checks the promises of config.h: config_dump's text
 * loads back, and dumping that again gives the same text; a duration or
 * size parses back from its formatted form to the same value.  Built by
 * tools/fuzz/CMakeLists.txt; see tools/fuzz/README.md.
 *
 * A defect this harness found: YAML anchors take quadratic time (47 s for
 * 150k anchors in 1.5 MB); at the fuzzer's 64 KiB -max_len it stays
 * well under a second, so no cap is set.
 */
#include "config/config.h"
#include "config/config_internal.h"
#include "tools/fuzz/fuzz_util.h"

#include <stdio.h>

static void load_dump_reload(const char *text, size_t len)
{
    config *c = NULL, *c2 = NULL;
    char *errors = NULL, *dump = NULL, *dump2 = NULL;
    if (config_load_string(text, len, "fuzz.yaml", "/tmp", &c, &errors) < 0) goto out;
    if (config_dump(c, &dump) < 0) goto out; /* e.g. a string that is not UTF-8 */
    if (config_load_string(dump, strlen(dump), "dump.yaml", "/tmp", &c2, &errors) < 0) {
        fprintf(stderr, "config_dump's text does not load back:\n%s\n--- errors:\n%s\n", dump,
                errors ? errors : "");
        abort();
    }
    if (config_dump(c2, &dump2) < 0 || strcmp(dump, dump2) != 0) {
        fprintf(stderr, "config_dump differs after a reload:\n%s\n--- then:\n%s\n", dump,
                dump2 ? dump2 : "(failed)");
        abort();
    }
out:
    free(errors);
    free(dump);
    free(dump2);
    config_free(c);
    config_free(c2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    unsigned mode = fuzz_byte(&in) & 3;
    if (mode < 2) {
        load_dump_reload((const char *)in.p, in.n);
        return 0;
    }
    char *s = fuzz_strndup(in.p, in.n);
    if (s == NULL) return 0;
    char out[32];
    uint64_t v = 0, v2 = 0;
    if (mode == 2 && config_parse_duration(s, &v) == 0) {
        config__format_duration(v, out);
        if (config_parse_duration(out, &v2) != 0 || v2 != v) {
            fprintf(stderr, "duration \"%s\" = %llu ms, formatted \"%s\"\n", s,
                    (unsigned long long)v, out);
            abort();
        }
    }
    if (mode == 3 && config_parse_size(s, &v) == 0) {
        config__format_size(v, out);
        if (config_parse_size(out, &v2) != 0 || v2 != v) {
            fprintf(stderr, "size \"%s\" = %llu bytes, formatted \"%s\"\n", s,
                    (unsigned long long)v, out);
            abort();
        }
    }
    free(s);
    return 0;
}
