/* crawl_test_util.c - see crawl_test_util.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crawl_test_util.h"
#include "storage/warc_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

config *test_load_yaml(const char *yaml, const char *base)
{
    config *cfg = NULL;
    char *errors = NULL;
    int rc = config_load_string(yaml, strlen(yaml), "test.yaml", base, &cfg, &errors);
    if (rc < 0) fprintf(stderr, "config errors:\n%s", errors ? errors : "?");
    free(errors);
    assert_int_equal(rc, 0);
    return cfg;
}

typedef struct record_walk {
    const char *type;
    int (*match)(const warc_record *rec, const void *arg);
    const void *arg;
    unsigned n;
} record_walk;

static void count_in_segment(const char *path, void *ud)
{
    record_walk *w = ud;
    warc_reader *r = NULL;
    char err[256];
    if (warc_reader_open(path, 0, &r, err, sizeof err) != 0)
        fail_msg("%s: %s", path, err);
    warc_record rec;
    while (warc_reader_next(r, &rec) == 1) {
        const char *type = warc_record_field(&rec, "WARC-Type");
        if (type && strcmp(type, w->type) == 0 && w->match(&rec, w->arg))
            w->n++;
    }
    warc_reader_close(r);
}

unsigned test_count_records(const char *dir, const char *type,
                            int (*match)(const warc_record *rec, const void *arg),
                            const void *arg)
{
    record_walk w = {.type = type, .match = match, .arg = arg};
    test_each_file(dir, ".warc.zst", count_in_segment, &w);
    return w.n;
}

static int target_is(const warc_record *rec, const void *uri)
{
    const char *target = warc_record_field(rec, "WARC-Target-URI");
    return uri == NULL || (target && strcmp(target, uri) == 0);
}

unsigned test_count_responses(const char *dir, const char *uri)
{
    return test_count_records(dir, "response", target_is, uri);
}
