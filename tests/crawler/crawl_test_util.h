/* crawl_test_util.h - small helpers shared by the crawler's tests: configs
 * from YAML text, counting archived records (temp folders: util/test_fs.h,
 * included here).  Failures abort the test (cmocka).
 */
#ifndef CRAWL_TEST_UTIL_H
#define CRAWL_TEST_UTIL_H

#include "config/config.h"
#include "storage/warc_reader.h"
#include "util/test_fs.h"

/* How many response records the .warc.zst segments of dir hold for target
 * uri (all responses when uri is NULL); asserts every segment reads. */
unsigned test_count_responses(const char *dir, const char *uri);

/* How many records of WARC-Type type the .warc.zst segments of dir hold for
 * which match(rec, arg) is non-zero; asserts every segment opens. */
unsigned test_count_records(const char *dir, const char *type,
                            int (*match)(const warc_record *rec, const void *arg),
                            const void *arg);

/* Loads a config from YAML text with base as its folder; asserts success. */
config *test_load_yaml(const char *yaml, const char *base);

/* How many times slower than the optimised build this build runs: a bound
 * on how long a product takes (a crawl ends within its timeouts plus some
 * slack) scales its slack by it.  ASan+UBSan: 3. */
#ifdef FEEDARC_SANITIZE
#define TEST_TIME_FACTOR 3
#else
#define TEST_TIME_FACTOR 1
#endif

#endif
