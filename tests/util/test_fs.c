/* test_fs.c - temp folders and folder walks for the tests; see test_fs.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/test_fs.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *test_tmpdir_new(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/feedarc-test-XXXXXX", base && base[0] ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    if (d == NULL)
        fail_msg("mkdtemp %s: %s", tmpl, strerror(errno));
    d = strdup(d);
    assert_non_null(d);
    return d;
}

static int remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    int rc = type == FTW_DP ? rmdir(path) : unlink(path);
    if (rc != 0 && errno != ENOENT) {
        fprintf(stderr, "test_rm_rf: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

void test_rm_rf(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) != 0 && errno == ENOENT)
        return;
    /* FTW_DEPTH: a folder after its contents; FTW_PHYS: links not followed */
    assert_int_equal(nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

unsigned test_each_file(const char *dir, const char *suffix,
                        void (*fn)(const char *path, void *ud), void *ud)
{
    unsigned n = 0;
    size_t slen = strlen(suffix);
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("opendir %s: %s", dir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < slen || strcmp(de->d_name + len - slen, suffix) != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        fn(path, ud);
        n++;
    }
    closedir(d);
    return n;
}
