/*
 * test_fs.h - the file helpers every test folder needs: a fresh temp
 * folder, its removal, and a walk over the files of a folder that end with
 * a suffix.  Linked into every test by feedarc_test (tests/CMakeLists.txt);
 * failures abort the running test through cmocka's assertions, so call
 * these only from inside a cmocka test (or its setup and teardown).
 */
#ifndef TEST_FS_H
#define TEST_FS_H

#include <stddef.h>

/* A new empty folder under $TMPDIR (or /tmp), named feedarc-test-XXXXXX.
 * Returns its path, malloc'd: the caller frees it (after test_rm_rf). */
char *test_tmpdir_new(void);

/* Removes dir and everything below it (symlinks are removed, never
 * followed).  A dir that does not exist is not an error. */
void test_rm_rf(const char *dir);

/* Calls fn(path, ud) for each regular file of dir (not below it) whose name
 * ends with suffix ("" for all), in no particular order; path is
 * "dir/name", valid during the call.  Returns how many files were passed. */
unsigned test_each_file(const char *dir, const char *suffix,
                        void (*fn)(const char *path, void *ud), void *ud);

#endif
