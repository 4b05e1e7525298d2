/* crawl_test_util.c - see crawl_test_util.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crawl_test_util.h"
#include "storage/warc_reader.h"

#include <dirent.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *test_tmpdir_new(void)
{
    char tmpl[] = "/tmp/feedarc-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

void test_rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

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

unsigned test_count_responses(const char *dir, const char *uri)
{
    unsigned n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 9 || strcmp(de->d_name + len - 9, ".warc.zst") != 0) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        warc_reader *r = NULL;
        char err[256];
        assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
        warc_record rec;
        while (warc_reader_next(r, &rec) == 1) {
            const char *type = warc_record_field(&rec, "WARC-Type");
            const char *target = warc_record_field(&rec, "WARC-Target-URI");
            if (type && strcmp(type, "response") == 0 &&
                (uri == NULL || (target && strcmp(target, uri) == 0)))
                n++;
        }
        warc_reader_close(r);
    }
    closedir(d);
    return n;
}
