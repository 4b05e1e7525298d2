/* test_fa_fs.c - common/fa_fs (write_all, pwrite_all, directory listing)
 * and common/fa_url on real files in a fresh folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_fs.h"
#include "common/fa_url.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int keep_txt(void *ud, const char *name)
{
    (*(int *)ud)++;
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".txt") == 0;
}

static void files_and_listing(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/fa-fs-XXXXXX", path[256];
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    static const char *names[] = {"c.txt", "a.txt", "b.bin", "b.txt"};
    static char big[1 << 20];
    memset(big, 'x', sizeof big);
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(fa_write_all(fd, big, sizeof big), 0);
        assert_int_equal(fa_pwrite_all(fd, "yz", 2, 3), 0);
        close(fd);
        FILE *f = fopen(path, "rb");
        char head[6];
        assert_int_equal(fread(head, 1, 6, f), 6);
        assert_memory_equal(head, "xxxyzx", 6);
        fseek(f, 0, SEEK_END);
        assert_int_equal(ftell(f), sizeof big);
        fclose(f);
    }
    assert_int_equal(fa_write_all(-1, "a", 1), -1);
    assert_int_equal(errno, EBADF);

    char **v;
    size_t n;
    int calls = 0;
    assert_int_equal(fa_dir_list(dir, keep_txt, &calls, &v, &n), 0);
    assert_int_equal(calls, 4); /* "." and ".." never asked */
    assert_int_equal(n, 3);
    assert_string_equal(v[0], "a.txt");
    assert_string_equal(v[1], "b.txt");
    assert_string_equal(v[2], "c.txt");
    fa_dir_list_free(v, n);
    assert_int_equal(fa_dir_list(dir, NULL, NULL, &v, &n), 0);
    assert_int_equal(n, 4);
    fa_dir_list_free(v, n);
    fa_dir_list_free(NULL, 0);
    snprintf(path, sizeof path, "%s/none", dir);
    assert_int_equal(fa_dir_list(path, NULL, NULL, &v, &n), -1);
    assert_int_equal(errno, ENOENT);
    assert_null(v);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void http_urls(void **state)
{
    (void)state;
    int https = -1;
    assert_int_equal(fa_url_http_prefix("http://a/", &https), 7);
    assert_int_equal(https, 0);
    assert_int_equal(fa_url_http_prefix("HTTPS://a/", &https), 8);
    assert_int_equal(https, 1);
    assert_int_equal(fa_url_http_prefix("ftp://a/", &https), 0);
    assert_int_equal(fa_url_http_prefix("http:/a", NULL), 0);
    assert_int_equal(fa_url_http_prefix(NULL, NULL), 0);
    assert_true(fa_url_is_http("https://x"));
    assert_false(fa_url_is_http("file:///etc/passwd"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(files_and_listing),
        cmocka_unit_test(http_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
