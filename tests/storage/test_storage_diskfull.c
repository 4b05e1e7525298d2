/* test_storage_diskfull.c - a full disk and a read-only folder.
 *
 *   test_storage_diskfull          ENOSPC on a 2 MiB tmpfs (root only: a
 *                                  private mount namespace when unshare
 *                                  works); exits 77 (skipped) otherwise
 *   test_storage_diskfull readonly a read-only archive folder: a read-only
 *                                  bind mount as root, chmod 0555 otherwise;
 *                                  exits 77 when neither can be set up
 *
 * Either way: a clear error naming the file, every closed segment and every
 * complete record intact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "common/fa_spool.h"
#include "common/fa_time.h"
#include "storage/segment_writer.h"
#include "storage/warc_reader.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define SKIP_CODE 77

static char root[64], archive[128];

static uint64_t rng = 0x243F6A8885A308D3ULL;
static void fill_random(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        p[i] = (uint8_t)rng;
    }
}

static int write_one(segment_writer *w, int i, size_t size)
{
    static uint8_t body[1 << 17];
    char uri[64], head[128];
    static const char req[] = "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n";
    fa_spool sp;
    fa_spool_init(&sp, 1 << 20, 1 << 24, "/tmp");
    fill_random(body, size); /* incompressible: fills the disk */
    assert_int_equal(fa_spool_write(&sp, body, size), 0);
    snprintf(uri, sizeof uri, "http://example.org/%d", i);
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", size);
    warc_exchange x = {uri, NULL, 0, req, sizeof req - 1, head, strlen(head), &sp, 0};
    int rc = segment_writer_write_exchange(w, &x, NULL);
    fa_spool_free(&sp);
    return rc;
}

/* Reads every closed segment in dir: all frames and digests good.  Returns
 * the number of responses; asserts no .open file is left. */
static int check_closed(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int responses = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".open") == 0) fail_msg("left open: %s", e->d_name);
        if (l <= 9 || strcmp(e->d_name + l - 9, ".warc.zst") != 0) continue;
        char path[512], err[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        warc_reader *r;
        warc_record rec;
        assert_int_equal(warc_reader_open(path, 0, &r, err, sizeof err), 0);
        int rc;
        while ((rc = warc_reader_next(r, &rec)) == 1) {
            if (warc_record_verify_digests(&rec, err, sizeof err) != 0) fail_msg("%s", err);
            if (strcmp(warc_record_field(&rec, "WARC-Type"), "response") == 0) responses++;
        }
        if (rc != 0) fail_msg("%s", warc_reader_error(r));
        warc_reader_close(r);
    }
    closedir(d);
    return responses;
}

static void disk_full(void **state)
{
    (void)state;
    segment_writer_options o = {.dir = archive, .prefix = "full", .max_size = 400 * 1024};
    segment_writer *w;
    char err[512];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    int ok = 0, rc = 0;
    for (int i = 0; i < 1000; i++) {
        rc = write_one(w, i, 60000);
        if (rc < 0) break;
        ok++;
    }
    assert_int_equal(rc, FA_ENOSPC);
    segment_writer_last_error(w, err, sizeof err);
    printf("after %d exchanges: %s\n", ok, err);
    assert_non_null(strstr(err, archive));
    assert_non_null(strstr(err, "No space left on device"));
    assert_true(ok > 5);
    /* still full: still a clear error, never a broken record */
    for (int i = 0; i < 3; i++)
        assert_int_equal(write_one(w, 2000 + i, 60000), FA_ENOSPC);
    /* small records may still fit in what is left */
    int small = 0;
    while (small < 100 && write_one(w, 3000 + small, 100) == 0)
        small++;
    rc = segment_writer_close(w);
    if (rc < 0) {
        /* the index of the last segment may not fit; the segment does */
        printf("close: %s (%s)\n", fa_strerror(rc), "expected when the index cannot be written");
        assert_int_equal(rc, FA_ENOSPC);
    }
    assert_int_equal(check_closed(archive), ok + small);
}

static void read_only_folder(void **state)
{
    (void)state;
    /* an archive written before the folder became read-only */
    segment_writer_options o = {.dir = archive, .prefix = "ro"};
    segment_writer *w;
    char err[512];
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(write_one(w, i, 1000), 0);
    assert_int_equal(segment_writer_close(w), 0);

    int bound = 0;
    if (geteuid() == 0) {
        if (mount(archive, archive, NULL, MS_BIND, NULL) < 0 ||
            mount(NULL, archive, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) {
            umount(archive);
            skip();
        }
        bound = 1;
    } else {
        assert_int_equal(chmod(archive, 0555), 0);
    }
    o.lazy_open = 1;
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), FA_EACCES);
    printf("lazy open: %s\n", err);
    assert_non_null(strstr(err, archive));
    o.lazy_open = 0;
    assert_int_equal(segment_writer_open(&o, &w, err, sizeof err), FA_EACCES);
    printf("open: %s\n", err);
    assert_non_null(strstr(err, archive));
    assert_non_null(strstr(err, ".open"));
    assert_int_equal(check_closed(archive), 3);
    if (bound)
        assert_int_equal(umount(archive), 0);
    else
        assert_int_equal(chmod(archive, 0755), 0);
    assert_int_equal(check_closed(archive), 3);
}

int main(int argc, char **argv)
{
    int readonly = argc > 1 && strcmp(argv[1], "readonly") == 0;
    snprintf(root, sizeof root, "/tmp/fa-diskfull-XXXXXX");
    if (mkdtemp(root) == NULL) return 1;
    snprintf(archive, sizeof archive, "%s/archive", root);
    int mounted = 0, rc;
    if (!readonly) {
        if (geteuid() != 0) {
            printf("SKIP: ENOSPC needs root to mount a 2 MiB tmpfs\n");
            rmdir(root);
            return SKIP_CODE;
        }
        if (unshare(CLONE_NEWNS) == 0) mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
        if (mount("tmpfs", root, "tmpfs", 0, "size=2m") < 0) {
            printf("SKIP: cannot mount a tmpfs on %s: %s\n", root, strerror(errno));
            rmdir(root);
            return SKIP_CODE;
        }
        mounted = 1;
    } else if (geteuid() == 0 && unshare(CLONE_NEWNS) == 0) {
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    }
    if (mkdir(archive, 0755) < 0) return 1;
    const struct CMUnitTest full[] = {cmocka_unit_test(disk_full)};
    const struct CMUnitTest ro[] = {cmocka_unit_test(read_only_folder)};
    rc = readonly ? cmocka_run_group_tests(ro, NULL, NULL)
                  : cmocka_run_group_tests(full, NULL, NULL);
    if (mounted) umount(root);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", root, root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
    return rc;
}
