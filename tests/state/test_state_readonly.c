/* test_state_readonly.c - crawl_state_open_sqlite_readonly, the way
 * `feedarc status` uses it: beside a writer that holds the lock (it sees
 * each committed transaction and nothing uncommitted), after the writer
 * closed, with no state yet (nothing created), on a foreign file; and every
 * write through it is refused while the writer's lock stays intact.  And
 * the way the crawl's loop thread uses one for its url look-ups: a read
 * does not wait while the writer's handle is busy (a worker's commit
 * holds its mutex through the fsync), and sees committed records only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/test_fs.h"

#include "common/fa_err.h"
#include "storage/state/crawl_state.h"
#include "state/state_test_util.h" /* the writer held busy, as a commit holds it */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = test_tmpdir_new();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rm_rf(dir);
    free(dir);
    dir = NULL;
    return 0;
}

static void put_source(crawl_state *st, const char *name, uint32_t failures)
{
    source_record r;
    memset(&r, 0, sizeof r);
    snprintf(r.name, sizeof r.name, "%s", name);
    snprintf(r.url, sizeof r.url, "https://%s.example/feed", name);
    r.last_attempt_ns = 1700000000000000000LL;
    r.consecutive_failures = failures;
    r.items_archived = 42;
    assert_int_equal(crawl_state_put_source(st, &r), 0);
}

static int count_cb(void *ud, const source_record *rec)
{
    (void)rec;
    (*(int *)ud)++;
    return 0;
}

static int count_sources(crawl_state *st)
{
    int n = 0;
    assert_int_equal(crawl_state_list_sources(st, count_cb, &n), 0);
    return n;
}

static void no_state_yet(void **state)
{
    (void)state;
    char sub[128], err[512];
    crawl_state *ro = (crawl_state *)1;
    snprintf(sub, sizeof sub, "%s/none", dir);
    assert_int_equal(crawl_state_open_sqlite_readonly(sub, &ro, err, sizeof err), FA_ENOENT);
    assert_null(ro);
    assert_non_null(strstr(err, "no state in"));
    struct stat sb;
    assert_int_not_equal(stat(sub, &sb), 0); /* nothing created */
    assert_int_equal(crawl_state_open_sqlite_readonly(NULL, &ro, err, sizeof err), FA_EINVAL);
}

static void beside_a_locked_writer(void **state)
{
    (void)state;
    char err[512];
    crawl_state *w = NULL, *ro = NULL, *w2 = NULL;
    assert_int_equal(crawl_state_open_sqlite(dir, &w, err, sizeof err), 0);
    put_source(w, "alpha", 0);

    /* the writer holds the lock: a second writer is refused, a reader is not */
    assert_int_equal(crawl_state_open_sqlite(dir, &w2, err, sizeof err), FA_EACCES);
    assert_non_null(strstr(err, "locked by another feedarc"));
    if (crawl_state_open_sqlite_readonly(dir, &ro, err, sizeof err) != 0) fail_msg("%s", err);
    assert_string_equal(crawl_state_backend_name(ro), "sqlite-readonly");
    assert_int_equal(count_sources(ro), 1);
    source_record rec;
    assert_int_equal(crawl_state_get_source(ro, "alpha", &rec), 1);
    assert_int_equal(rec.items_archived, 42);

    /* an open transaction of the writer is invisible; its commit is seen */
    assert_int_equal(crawl_state_begin(w), 0);
    put_source(w, "beta", 5);
    assert_int_equal(count_sources(ro), 1);
    assert_int_equal(crawl_state_commit(w), 0);
    assert_int_equal(count_sources(ro), 2);
    assert_int_equal(crawl_state_get_source(ro, "beta", &rec), 1);
    assert_int_equal(rec.consecutive_failures, 5);

    /* writes through the reader are refused; the writer is unaffected */
    source_record r;
    memset(&r, 0, sizeof r);
    snprintf(r.name, sizeof r.name, "gamma");
    assert_int_equal(crawl_state_put_source(ro, &r), FA_EACCES);
    assert_int_equal(crawl_state_put_kv(ro, "k", "v"), FA_EACCES);
    assert_int_equal(crawl_state_begin(ro), FA_EACCES);
    assert_non_null(strstr(crawl_state_errmsg(ro), "read-only"));
    assert_int_equal(crawl_state_in_transaction(ro), 0);
    put_source(w, "delta", 0);
    assert_int_equal(count_sources(ro), 3);

    /* closing the reader leaves the writer's lock in place */
    crawl_state_close(ro);
    assert_int_equal(crawl_state_open_sqlite(dir, &w2, err, sizeof err), FA_EACCES);
    crawl_state_close(w);

    /* after the writer closed (WAL checkpointed, -wal removed): still readable */
    if (crawl_state_open_sqlite_readonly(dir, &ro, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(count_sources(ro), 3);
    /* and a writer may open while the reader is there */
    assert_int_equal(crawl_state_open_sqlite(dir, &w, err, sizeof err), 0);
    put_source(w, "epsilon", 0);
    assert_int_equal(count_sources(ro), 4);
    crawl_state_close(w);
    crawl_state_close(ro);
}

static void foreign_file(void **state)
{
    (void)state;
    char sub[128], path[192], err[512];
    crawl_state *ro = NULL;
    snprintf(sub, sizeof sub, "%s/foreign", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(path, sizeof path, "%s/%s", sub, CRAWL_STATE_SQLITE_FILE);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("this is not a database, and is long enough to have a header\n", f);
    fclose(f);
    assert_int_equal(crawl_state_open_sqlite_readonly(sub, &ro, err, sizeof err), FA_ECORRUPT);
    assert_null(ro);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void reads_while_the_writer_is_busy(void **state)
{
    (void)state;
    char err[512] = "";
    crawl_state *w = NULL, *ro = NULL;
    assert_int_equal(crawl_state_open_sqlite(dir, &w, err, sizeof err), 0);
    url_record r;
    memset(&r, 0, sizeof r);
    r.kind = URL_KIND_PAGE;
    snprintf(r.etag, sizeof r.etag, "\"v1\"");
    assert_int_equal(crawl_state_put_url(w, "http://127.0.0.1/a", &r), 0);
    assert_int_equal(crawl_state_open_sqlite_readonly(dir, &ro, err, sizeof err), 0);
    /* an open transaction of the writer: its put is not seen */
    assert_int_equal(crawl_state_begin(w), 0);
    snprintf(r.etag, sizeof r.etag, "\"v2\"");
    assert_int_equal(crawl_state_put_url(w, "http://127.0.0.1/a", &r), 0);
    assert_int_equal(crawl_state_put_url(w, "http://127.0.0.1/b", &r), 0);
    /* the writer's handle busy on another thread */
    state_writer_hold b;
    assert_int_equal(state_writer_hold_start(&b, w), 0);
    uint64_t t0 = now_ms();
    url_record got;
    assert_int_equal(crawl_state_get_url(ro, "http://127.0.0.1/a", &got), 1);
    assert_string_equal(got.etag, "\"v1\"");
    assert_int_equal(crawl_state_get_url(ro, "http://127.0.0.1/b", &got), 0);
    uint64_t waited = now_ms() - t0;
    state_writer_hold_release(&b);
    printf("read-only look-ups beside a busy writer: %llu ms\n", (unsigned long long)waited);
    assert_true(waited < 5000); /* the writer let go after 10 s at the earliest */
    /* committed: seen */
    assert_int_equal(crawl_state_commit(w), 0);
    assert_int_equal(crawl_state_get_url(ro, "http://127.0.0.1/a", &got), 1);
    assert_string_equal(got.etag, "\"v2\"");
    assert_int_equal(crawl_state_get_url(ro, "http://127.0.0.1/b", &got), 1);
    crawl_state_close(ro);
    crawl_state_close(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(no_state_yet, setup, teardown),
        cmocka_unit_test_setup_teardown(beside_a_locked_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(foreign_file, setup, teardown),
        cmocka_unit_test_setup_teardown(reads_while_the_writer_is_busy, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
