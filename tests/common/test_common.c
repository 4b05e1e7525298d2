/* test_common.c - buffers with ceilings, timestamps, digests, de-chunking,
 * the memory-to-file spool, signals, FA_CONTAINER_OF, the allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_alloc.h"
#include "common/fa_buf.h"
#include "common/fa_container.h"
#include "common/fa_dechunk.h"
#include "common/fa_digest.h"
#include "common/fa_err.h"
#include "common/fa_signal.h"
#include "common/fa_spool.h"
#include "common/fa_time.h"
#include "common/fa_worker.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void buf_ceiling(void **state)
{
    (void)state;
    fa_buf b;
    fa_buf_init(&b, 10);
    assert_int_equal(fa_buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(fa_buf_append(&b, "x", 1), FA_ETOOBIG);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    fa_buf_reset(&b);
    assert_int_equal(fa_buf_printf(&b, "%d-%s", 42, "ab"), 0);
    assert_string_equal(b.data, "42-ab");
    assert_int_equal(fa_buf_printf(&b, "%s", "too long now"), FA_ETOOBIG);
    fa_buf_free(&b);
    fa_buf_free(&b); /* twice is harmless */
}

static void time_formats(void **state)
{
    (void)state;
    int64_t t = 1795448220LL * 1000000000LL + 123456789; /* 2026-11-23T15:37:00.123456789Z */
    char iso[40], d14[15];
    assert_true(fa_time_format_iso(t, 0, iso, sizeof iso) > 0);
    assert_string_equal(iso, "2026-11-23T15:37:00Z");
    fa_time_format_iso(t, 6, iso, sizeof iso);
    assert_string_equal(iso, "2026-11-23T15:37:00.123456Z");
    fa_time_format_14(t, d14);
    assert_string_equal(d14, "20261123153700");
    int64_t back;
    assert_int_equal(fa_time_parse_rfc3339("2026-11-23T16:37:00.5+01:00", &back), 0);
    assert_true(back == 1795448220LL * 1000000000LL + 500000000);
    assert_int_equal(fa_time_parse_rfc3339("2026-13-01T00:00:00Z", &back), FA_EPARSE);
    assert_int_equal(fa_time_parse_rfc3339("yesterday", &back), FA_EPARSE);
    assert_true(fa_time_from_civil(1970, 1, 1, 0, 0, 0) == 0);
    assert_true(fa_time_from_civil(2000, 3, 1, 0, 0, 0) == 951868800);
}

static void digests(void **state)
{
    (void)state;
    uint8_t d[20];
    char label[40], b32[64];
    fa_sha1_oneshot("", 0, d);
    fa_sha1_label(d, label);
    /* SHA-1 of the empty string, base32: as written by wget and Heritrix. */
    assert_string_equal(label, "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
    fa_base32_encode((const uint8_t *)"foobar", 6, b32); /* RFC 4648 test vector */
    assert_string_equal(b32, "MZXW6YTBOI======");
    fa_sha1 *s = fa_sha1_new();
    assert_non_null(s);
    fa_sha1_update(s, "ab", 2);
    fa_sha1_update(s, "c", 1);
    uint8_t d2[20], d3[20];
    fa_sha1_final(s, d2);
    fa_sha1_oneshot("abc", 3, d3);
    assert_memory_equal(d2, d3, 20);
    fa_sha1_free(s);
    char u1[48], u2[48];
    fa_uuid_urn(u1);
    fa_uuid_urn(u2);
    assert_int_equal(strlen(u1), 47);
    assert_memory_equal(u1, "<urn:uuid:", 10);
    assert_int_equal(u1[24], '4');
    assert_string_not_equal(u1, u2);
}

/* Record ids: version 4, variant 10, the hyphens in place, no repeats
 * over many pool refills; and a forked child never draws the id its
 * parent draws next (the pool of random bytes is per process). */
static int cmp_id(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void uuid_ids(void **state)
{
    (void)state;
    enum { N = 2000 };
    char **ids = calloc(N, sizeof *ids);
    assert_non_null(ids);
    for (int i = 0; i < N; i++) {
        ids[i] = malloc(48);
        fa_uuid_urn(ids[i]);
        const char *u = ids[i];
        assert_int_equal(strlen(u), 47);
        assert_true(u[18] == '-' && u[23] == '-' && u[28] == '-' && u[33] == '-' && u[46] == '>');
        assert_int_equal(u[24], '4');
        assert_non_null(strchr("89ab", u[29]));
    }
    qsort(ids, N, sizeof *ids, cmp_id);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    for (int i = 0; i < N; i++)
        free(ids[i]);
    free(ids);

    char parent[48], child[48] = "";
    fa_uuid_urn(parent); /* the pool holds more ids now */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char id[48];
        fa_uuid_urn(id);
        ssize_t w = write(fds[1], id, sizeof id);
        _exit(w == (ssize_t)sizeof id ? 0 : 1);
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], child, sizeof child), (ssize_t)sizeof child);
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    fa_uuid_urn(parent);
    assert_string_not_equal(parent, child);
}

static int collect(void *ud, const void *data, size_t n)
{
    return fa_buf_append(ud, data, n);
}

static void dechunk_every_split(void **state)
{
    (void)state;
    const char *in = "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: y\r\n\r\n";
    size_t n = strlen(in);
    /* Feed in two pieces at every split point: output must not depend on it. */
    for (size_t cut = 0; cut <= n; cut++) {
        fa_dechunk d;
        fa_dechunk_init(&d);
        fa_buf out;
        fa_buf_init(&out, 1024);
        int rc = fa_dechunk_feed(&d, in, cut, collect, &out);
        assert_true(rc == 0 || (rc == 1 && cut == n));
        rc = fa_dechunk_feed(&d, in + cut, n - cut, collect, &out);
        assert_int_equal(rc, 1);
        assert_string_equal(out.data, "Wikipedia in\r\n\r\nchunks.");
        fa_buf_free(&out);
    }
    fa_dechunk d;
    fa_dechunk_init(&d);
    fa_buf out;
    fa_buf_init(&out, 1024);
    assert_int_equal(fa_dechunk_feed(&d, "zz\r\n", 4, collect, &out), FA_EPARSE);
    fa_dechunk_init(&d);
    assert_int_equal(fa_dechunk_feed(&d, "3\r\nabcX", 7, collect, &out), FA_EPARSE);
    fa_buf_free(&out);
}

static int count_bytes(void *ud, const void *data, size_t n)
{
    (void)data;
    *(uint64_t *)ud += n;
    return 0;
}

/* An announced length makes the body's room at once: the buffer is not
 * moved as the body arrives.  Past the memory limit, after a spill, or
 * shorter than what is held, the hint does nothing; a body longer than
 * announced is spooled all the same. */
static void spool_expect_makes_room(void **state)
{
    (void)state;
    fa_spool s;
    fa_spool_init(&s, 1u << 20, 4u << 20, "/tmp");
    fa_spool_expect(&s, 700000);
    assert_true(s.mem.cap > 700000);
    const char *room = s.mem.data;
    char chunk[16384];
    size_t written = 0;
    for (int i = 0; written + sizeof chunk <= 700000; i++, written += sizeof chunk) {
        memset(chunk, 'a' + i % 26, sizeof chunk);
        assert_int_equal(fa_spool_write(&s, chunk, sizeof chunk), 0);
        assert_ptr_equal(fa_spool_memory(&s), room); /* never moved */
    }
    assert_int_equal(fa_spool_write(&s, chunk, 700000 - written), 0);
    assert_ptr_equal(fa_spool_memory(&s), room);
    assert_int_equal(s.size, 700000);
    assert_int_equal(fa_spool_memory(&s)[16384], 'b');
    fa_spool_expect(&s, 1000); /* shorter than held: nothing */
    assert_int_equal(s.size, 700000);
    for (int i = 0; i < 4; i++) /* longer than announced: still spooled */
        assert_int_equal(fa_spool_write(&s, chunk, sizeof chunk), 0);
    assert_int_equal(s.size, 700000 + 4 * sizeof chunk);
    fa_spool_free(&s);

    fa_spool_init(&s, 1u << 20, 4u << 20, "/tmp");
    fa_spool_expect(&s, (2u << 20)); /* past the memory limit: nothing reserved */
    assert_int_equal(s.mem.cap, 0);
    fa_spool_expect(&s, (8u << 20)); /* past the ceiling: nothing */
    assert_int_equal(s.mem.cap, 0);
    fa_spool_free(&s);

    fa_spool_init(&s, 1000, 100000, "/tmp");
    memset(chunk, 'z', 1200);
    assert_int_equal(fa_spool_write(&s, chunk, 1200), 0); /* spilled */
    assert_null(fa_spool_memory(&s));
    fa_spool_expect(&s, 900); /* a spilled body: nothing */
    assert_null(fa_spool_memory(&s));
    assert_int_equal(s.mem.cap, 0);
    fa_spool_free(&s);
}

static void spool_spills_to_file(void **state)
{
    (void)state;
    fa_spool s;
    fa_spool_init(&s, 1000, 100000, "/tmp");
    char chunk[300];
    memset(chunk, 'a', sizeof chunk);
    for (int i = 0; i < 3; i++)
        assert_int_equal(fa_spool_write(&s, chunk, sizeof chunk), 0);
    assert_non_null(fa_spool_memory(&s));
    assert_int_equal(fa_spool_write(&s, chunk, sizeof chunk), 0); /* 1200 > 1000: spills */
    assert_null(fa_spool_memory(&s));
    assert_true(s.fd >= 0);
    uint64_t total = 0;
    assert_int_equal(fa_spool_foreach(&s, count_bytes, &total), 0);
    assert_int_equal(total, 1200);
    for (int i = 0; i < 329; i++)
        assert_int_equal(fa_spool_write(&s, chunk, sizeof chunk), 0);
    assert_int_equal(fa_spool_write(&s, chunk, sizeof chunk), FA_ETOOBIG); /* 99900 + 300 */
    assert_int_equal(s.size, 99900);
    fa_spool_free(&s);
}

/* SIGINT and SIGHUP ignored when feedarc starts (nohup, a shell's
 * background job) stay ignored; SIGTERM is recorded.  In a child: the
 * handlers are installed once per process. */
static void signals_ignored_stay_ignored(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        if (fa_signal_install() != 0) _exit(10);
        raise(SIGINT);
        raise(SIGHUP);
        if (fa_signal_stops() != 0) _exit(11); /* SIGINT was taken */
        if (fa_signal_hups() != 0) _exit(12);  /* SIGHUP was taken */
        raise(SIGTERM);
        if (fa_signal_stops() != 1 || fa_signal_stop_first() != SIGTERM) _exit(13);
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* With the default dispositions all three are recorded. */
static void signals_recorded(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        if (fa_signal_install() != 0) _exit(10);
        raise(SIGINT);
        raise(SIGHUP);
        raise(SIGTERM);
        if (fa_signal_stops() != 2 || fa_signal_stop_first() != SIGINT) _exit(11);
        if (fa_signal_hups() != 1) _exit(12);
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* FA_CONTAINER_OF gets the owner back from a member anywhere in it. */
static void container_of(void **state)
{
    (void)state;
    struct owner {
        char pad[3];
        double d;
        struct inner {
            int x;
        } first, second;
    } o;
    assert_ptr_equal(FA_CONTAINER_OF(&o.second, struct owner, second), &o);
    assert_ptr_equal(FA_CONTAINER_OF(&o.first, struct owner, first), &o);
    assert_ptr_equal(FA_CONTAINER_OF(&o.d, struct owner, d), &o);
    assert_ptr_equal(FA_CONTAINER_OF(o.pad, struct owner, pad), &o);
}

static void *give_way_thread(void *arg)
{
    *(int *)arg = fa_worker_give_way();
    return NULL;
}

/* A child process reads FEEDARC_WORKER_YIELD afresh (the value is read
 * once a process); returns its exit status: 0 when every check held. */
static int give_way_child(const char *env)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (env) setenv("FEEDARC_WORKER_YIELD", env, 1);
        else unsetenv("FEEDARC_WORKER_YIELD");
        if (env && strcmp(env, "0") == 0) { /* never */
            int any = fa_worker_give_way() | fa_worker_give_way();
            _exit(any != 0 || fa_worker_yields() != 0 ? 1 : 0);
        }
        if (fa_worker_give_way() != 1) _exit(2); /* a thread's first item */
        if (env == NULL) _exit(fa_worker_yields() == 1 ? 0 : 3);
        /* 200 ms: the next item comes long before that */
        if (fa_worker_give_way() != 0) _exit(4);
        int other = -1; /* the interval is per thread */
        pthread_t t;
        if (pthread_create(&t, NULL, give_way_thread, &other) != 0) _exit(5);
        pthread_join(t, NULL);
        if (other != 1) _exit(6);
        struct timespec nap = {0, 250 * 1000000L};
        nanosleep(&nap, NULL);
        if (fa_worker_give_way() != 1) _exit(7);
        _exit(fa_worker_yields() == 3 ? 0 : 8);
    }
    int status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Issue 14: a worker yields its core at most once every
 * FEEDARC_WORKER_YIELD microseconds (common/fa_worker.h); 0 never. */
static void workers_give_way(void **state)
{
    (void)state;
    assert_int_equal(give_way_child("200000"), 0);
    assert_int_equal(give_way_child("0"), 0);
    assert_int_equal(give_way_child(NULL), 0); /* the default */
}

#ifndef FEEDARC_SANITIZE
/* The process's resident pages, from /proc/self/statm (bytes). */
static size_t resident_bytes(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL) return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}
#endif

/* The test programs keep glibc's malloc (only the feedarc executable links
 * jemalloc; test_cli checks that one): fa_alloc says so, and
 * fa_alloc_give_back returns free pages held inside the heap - freed
 * blocks below one still in use, which glibc never trims by itself. */
static void alloc_gives_back(void **state)
{
    (void)state;
#ifdef FEEDARC_SANITIZE
    skip(); /* the sanitizer's allocator keeps freed blocks in quarantine */
#else
    enum { N = 8192, SIZE = 4000 }; /* 32 MB of heap blocks (under mmap's threshold) */
    assert_int_equal(fa_alloc_is_jemalloc(), 0);
    assert_string_equal(fa_alloc_name(), "glibc");
    char **blocks = malloc(N * sizeof *blocks);
    assert_non_null(blocks);
    for (int i = 0; i < N; i++) {
        blocks[i] = malloc(SIZE);
        assert_non_null(blocks[i]);
        memset(blocks[i], 0x5a, SIZE);
    }
    char *pin = malloc(SIZE); /* holds the heap's top: nothing is trimmed by free alone */
    assert_non_null(pin);
    for (int i = 0; i < N; i++)
        free(blocks[i]);
    size_t before = resident_bytes();
    fa_alloc_give_back();
    size_t after = resident_bytes();
    free(pin);
    free(blocks);
    assert_true(before > after);
    assert_true(before - after >= (size_t)N * SIZE / 2); /* most of the 32 MB went back */
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_ceiling),
        cmocka_unit_test(time_formats),
        cmocka_unit_test(digests),
        cmocka_unit_test(uuid_ids),
        cmocka_unit_test(dechunk_every_split),
        cmocka_unit_test(spool_spills_to_file),
        cmocka_unit_test(spool_expect_makes_room),
        cmocka_unit_test(signals_ignored_stay_ignored),
        cmocka_unit_test(signals_recorded),
        cmocka_unit_test(container_of),
        cmocka_unit_test(workers_give_way),
        cmocka_unit_test(alloc_gives_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
