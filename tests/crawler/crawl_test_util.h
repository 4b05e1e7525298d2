/* crawl_test_util.h - small helpers shared by the crawler's tests: temp
 * folders, configs from YAML text, counting archived responses.  Failures abort the test (cmocka).
 */
#ifndef CRAWL_TEST_UTIL_H
#define CRAWL_TEST_UTIL_H

#include "config/config.h"

/* A new empty folder under /tmp (malloc'd path). */
char *test_tmpdir_new(void);

/* rm -rf dir. */
void test_rm_rf(const char *dir);

/* How many response records the .warc.zst segments of dir hold for target
 * uri (all responses when uri is NULL); asserts every segment reads. */
unsigned test_count_responses(const char *dir, const char *uri);

/* Loads a config from YAML text with base as its folder; asserts success. */
config *test_load_yaml(const char *yaml, const char *base);

#endif
