/* crawl_test_util.h - small helpers shared by the crawler's tests: temp
 * folders and configs from YAML text.  Failures abort the test (cmocka). */
#ifndef CRAWL_TEST_UTIL_H
#define CRAWL_TEST_UTIL_H

#include "config/config.h"

/* A new empty folder under /tmp (malloc'd path). */
char *test_tmpdir_new(void);

/* rm -rf dir. */
void test_rm_rf(const char *dir);

/* Loads a config from YAML text with base as its folder; asserts success. */
config *test_load_yaml(const char *yaml, const char *base);

#endif
