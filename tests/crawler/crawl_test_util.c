/* crawl_test_util.c - see crawl_test_util.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crawl_test_util.h"

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
    if (rc < 0)
        fprintf(stderr, "config errors:\n%s", errors ? errors : "?");
    free(errors);
    assert_int_equal(rc, 0);
    return cfg;
}
