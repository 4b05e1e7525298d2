/*
 * test_reader_bombs.c - hostile .warc.zst frames against `feedarc ls` and
 * `feedarc verify` and `feedarc index` (the binary, FEEDARC_BIN): a frame of RLE blocks that
 * inflates a few KiB into 256 MiB, and a 200-byte frame whose header claims
 * 1 GiB.  Memory must follow what is held, not what a frame declares or
 * inflates to: the peak RSS of the child (wait4's rusage) may grow by at
 * most 48 MiB over the same command on an ordinary segment; the bad frame
 * is reported and the records after it are still read.
 *
 * The frames are built by hand (RFC 8878): a frame header with a 1 MiB
 * window, raw blocks for the WARC header and trailer, and 128 KiB RLE
 * blocks (4 bytes each) for the block - so the test itself never holds the
 * inflated bytes either.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/test_fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#define BOMB_BYTES (256u << 20)
#define RLE_BLOCK (128u << 10)
#define MAX_GROWTH_KB (48 * 1024)

static void put(FILE *f, const void *p, size_t n)
{
    assert_int_equal(fwrite(p, 1, n, f), n);
}

static void le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void block_header(FILE *f, int last, int type, uint32_t size)
{
    uint8_t h[3];
    le(h, (uint32_t)last | (uint32_t)type << 1 | size << 3, 3);
    put(f, h, 3);
}

/* A frame with a 1 MiB window and an 8-byte content size. */
static void frame_header(FILE *f, uint64_t content_size)
{
    uint8_t h[14] = {0x28, 0xB5, 0x2F, 0xFD, 0xC0, 10 << 3};
    le(h + 6, content_size, 8);
    put(f, h, sizeof h);
}

/* An ordinary record, compressed by zstd as the writer would. */
static void small_record(FILE *f, const char *uri)
{
    char rec[1024];
    int n = snprintf(rec, sizeof rec,
                     "WARC/1.1\r\nWARC-Type: resource\r\n"
                     "WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n"
                     "WARC-Date: 2026-01-01T00:00:00Z\r\nWARC-Target-URI: %s\r\n"
                     "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello\r\n\r\n",
                     uri);
    char z[2048];
    size_t zn = ZSTD_compress(z, sizeof z, rec, (size_t)n, 3);
    assert_false(ZSTD_isError(zn));
    put(f, z, zn);
}

/* 256 MiB of 'A' in RLE blocks behind a WARC header that says so. */
static void bomb_record(FILE *f)
{
    char head[512];
    int hn =
        snprintf(head, sizeof head,
                 "WARC/1.1\r\nWARC-Type: resource\r\n"
                 "WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000002>\r\n"
                 "WARC-Date: 2026-01-01T00:00:00Z\r\nWARC-Target-URI: http://example.com/bomb\r\n"
                 "Content-Type: text/plain\r\nContent-Length: %u\r\n\r\n",
                 BOMB_BYTES);
    frame_header(f, (uint64_t)hn + BOMB_BYTES + 4);
    block_header(f, 0, 0, (uint32_t)hn);
    put(f, head, (size_t)hn);
    for (uint32_t i = 0; i < BOMB_BYTES / RLE_BLOCK; i++) {
        block_header(f, 0, 1, RLE_BLOCK);
        put(f, "A", 1);
    }
    block_header(f, 1, 0, 4);
    put(f, "\r\n\r\n", 4);
}

/* About 200 bytes whose single-segment header claims 1 GiB of content. */
static void liar_frame(FILE *f)
{
    uint8_t h[13] = {0x28, 0xB5, 0x2F, 0xFD, 0xE0};
    le(h + 5, 1ull << 30, 8);
    put(f, h, sizeof h);
    char body[180];
    memset(body, 'x', sizeof body);
    memcpy(body, "WARC/1.1\r\n", 10);
    block_header(f, 1, 0, sizeof body);
    put(f, body, sizeof body);
}

/* Runs FEEDARC_BIN cmd dir; returns the exit status, peak RSS (KiB) in
 * *rss_kb, stdout and stderr (malloc'd) in *out and *err. */
static int run(const char *cmd, const char *dir, long *rss_kb, char **out, char **err)
{
    const char *bin = getenv("FEEDARC_BIN");
    assert_non_null(bin);
    char of[] = "/tmp/fa-bomb-out-XXXXXX", ef[] = "/tmp/fa-bomb-err-XXXXXX";
    int ofd = mkstemp(of), efd = mkstemp(ef);
    assert_true(ofd >= 0 && efd >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(ofd, 1);
        dup2(efd, 2);
        execl(bin, bin, cmd, dir, (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    assert_int_equal(wait4(pid, &status, 0, &ru), pid);
    *rss_kb = ru.ru_maxrss;
    for (int k = 0; k < 2; k++) {
        int fd = k ? efd : ofd;
        off_t n = lseek(fd, 0, SEEK_END);
        char *b = malloc((size_t)n + 1);
        assert_int_equal(pread(fd, b, (size_t)n, 0), n);
        b[n] = '\0';
        *(k ? err : out) = b;
        close(fd);
    }
    unlink(of);
    unlink(ef);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void bombs_are_reported_not_inflated(void **state)
{
    (void)state;
    char *top = test_tmpdir_new();
    char good[600], bad[600], path[700];
    snprintf(good, sizeof good, "%s/good", top);
    snprintf(bad, sizeof bad, "%s/bad", top);
    assert_int_equal(mkdir(good, 0700), 0);
    assert_int_equal(mkdir(bad, 0700), 0);
    snprintf(path, sizeof path, "%s/a.warc.zst", good);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    small_record(f, "http://example.com/first");
    small_record(f, "http://example.com/last");
    fclose(f);
    snprintf(path, sizeof path, "%s/a.warc.zst", bad);
    f = fopen(path, "wb");
    assert_non_null(f);
    small_record(f, "http://example.com/first");
    bomb_record(f);
    char liar_at[64];
    snprintf(liar_at, sizeof liar_at, "offset %ld: ", ftell(f));
    liar_frame(f);
    small_record(f, "http://example.com/last");
    fclose(f);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size < 64 * 1024); /* 256 MiB in a few KiB */

    const char *cmds[] = {"ls", "verify", "index"};
    for (int c = 0; c < 3; c++) {
        long base_kb, bomb_kb;
        char *out, *err;
        assert_int_equal(run(cmds[c], good, &base_kb, &out, &err), 0);
        free(out);
        free(err);
        int rc = run(cmds[c], bad, &bomb_kb, &out, &err);
        printf("feedarc %s: peak RSS %ld KiB on the ordinary segment, %ld KiB on the bombs\n",
               cmds[c], base_kb, bomb_kb);
        printf("stdout:\n%sstderr:\n%s", out, err);
        assert_int_equal(rc, 65); /* a fault found */
        if (c == 0) {
            /* the bad frame named; the bomb listed with its size; the
             * record after the liar read */
            assert_non_null(strstr(err, liar_at));
            assert_non_null(strstr(out, "268435456 http://example.com/bomb"));
            assert_non_null(strstr(out, "http://example.com/last"));
        } else if (c == 1) {
            assert_non_null(strstr(out, liar_at));
            assert_non_null(strstr(out, "3 records, 1 fault"));
        } else {
            assert_non_null(strstr(err, liar_at)); /* index: the bomb's line, then the liar */
        }
        assert_true(bomb_kb - base_kb < MAX_GROWTH_KB);
        free(out);
        free(err);
    }
    test_rm_rf(top);
    free(top);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bombs_are_reported_not_inflated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
