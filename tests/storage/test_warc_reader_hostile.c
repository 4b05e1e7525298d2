/* test_warc_reader_hostile.c - storage/warc_reader.c on records whose
 * header lies about their size (issue 12): the error says what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "storage/warc_reader.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads the one record of a plain WARC holding text; returns next's answer
 * and the reader's message in msg. */
static int read_one(const char *text, char *msg, size_t msg_len)
{
    char path[] = "/tmp/feedarc-warc-hostile-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    warc_reader *r = NULL;
    char err[256];
    assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
    warc_record rec;
    int rc = warc_reader_next(r, &rec);
    snprintf(msg, msg_len, "%s", warc_reader_error(r));
    warc_reader_close(r);
    unlink(path);
    return rc;
}

/* 2^64 - 1 and beyond were "not a number"; they are numbers, too large. */
static void huge_content_length_is_too_large(void **state)
{
    (void)state;
    static const char *const lens[] = {"18446744073709551615", "18446744073709551616",
                                       "99999999999999999999999999"};
    char text[256], msg[512];
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        snprintf(text, sizeof text,
                 "WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: %s\r\n\r\nabc\r\n\r\n",
                 lens[i]);
        assert_int_equal(read_one(text, msg, sizeof msg), FA_ETOOBIG);
        if (strstr(msg, "too large") == NULL || strstr(msg, lens[i]) == NULL)
            fail_msg("Content-Length %s: \"%s\"", lens[i], msg);
    }
    /* a number below the ceiling that the file does not hold, and no number */
    assert_int_equal(read_one("WARC/1.1\r\nContent-Length: 1844674407370955161\r\n\r\nabc\r\n\r\n",
                              msg, sizeof msg),
                     FA_ETOOBIG);
    assert_non_null(strstr(msg, "ceiling"));
    assert_int_equal(
        read_one("WARC/1.1\r\nContent-Length: 12x\r\n\r\nabc\r\n\r\n", msg, sizeof msg), FA_EPARSE);
    assert_non_null(strstr(msg, "not a number"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(huge_content_length_is_too_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
