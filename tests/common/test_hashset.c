/* test_hashset.c - common/fa_hashset.c: adds and look-ups, duplicates, the
 * reserved key 0, growth at three quarters full with every key kept,
 * clusters of keys that land on one slot (at the start of the table and
 * wrapping around its end), a million entries, and a randomised run
 * checked step by step against a plain bitmap; removal from the middle of a
 * cluster that wraps around the table's end, and random adds, removals and
 * look-ups against a bitmap (the crawler's set of pages in flight). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_hashset.h"

#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The slot fa_hashset.c starts probing at, for a table of cap slots. */
static size_t home_slot(uint64_t key, size_t cap)
{
    return (size_t)(key * 0x9E3779B97F4A7C15ULL >> 7) & (cap - 1);
}

static void check_shape(const fa_hashset *s)
{
    assert_true(s->cap == 0 || (s->cap & (s->cap - 1)) == 0);
    assert_true(s->count * 4 <= s->cap * 3);
}

static void add_has_and_duplicates(void **state)
{
    (void)state;
    fa_hashset s;
    fa_hashset_init(&s);
    assert_int_equal(fa_hashset_has(&s, 42), 0); /* empty: no table yet */
    assert_int_equal(s.cap, 0);
    assert_int_equal(fa_hashset_add(&s, 42), 1);
    assert_int_equal(fa_hashset_add(&s, 42), 0);
    assert_int_equal(s.count, 1);
    assert_int_equal(fa_hashset_has(&s, 42), 1);
    assert_int_equal(fa_hashset_has(&s, 43), 0);
    assert_int_equal(fa_hashset_add(&s, UINT64_MAX), 1);
    assert_int_equal(fa_hashset_has(&s, UINT64_MAX), 1);
    /* key 0 is reserved: it stands for 1 (documented; harmless for hashes) */
    assert_int_equal(fa_hashset_has(&s, 0), 0);
    assert_int_equal(fa_hashset_add(&s, 0), 1);
    assert_int_equal(fa_hashset_has(&s, 0), 1);
    assert_int_equal(fa_hashset_has(&s, 1), 1);
    assert_int_equal(fa_hashset_add(&s, 1), 0);
    assert_int_equal(s.count, 3);
    fa_hashset_free(&s);
    assert_null(s.slots);
    assert_int_equal(s.count, 0);
    assert_int_equal(fa_hashset_has(&s, 42), 0);
    fa_hashset_free(&s); /* twice: harmless */
    /* a freed set is an empty one and can be used again */
    assert_int_equal(fa_hashset_add(&s, 42), 1);
    assert_int_equal(fa_hashset_has(&s, 42), 1);
    fa_hashset_free(&s);
}

/* The table doubles when the next key would pass three quarters; every key
 * added before is still found after each doubling. */
static void growth_keeps_every_key(void **state)
{
    (void)state;
    fa_hashset s;
    fa_hashset_init(&s);
    uint64_t keys[5000];
    size_t last_cap = 0;
    unsigned growths = 0;
    for (size_t i = 0; i < 5000; i++) {
        keys[i] = next_rand() | 1;
        assert_int_equal(fa_hashset_add(&s, keys[i]), 1);
        check_shape(&s);
        if (s.cap != last_cap) {
            if (last_cap) {
                assert_int_equal(s.cap, last_cap * 2);
                assert_int_equal(i, last_cap * 3 / 4); /* the one past 3/4 */
            } else {
                assert_int_equal(s.cap, 64);
            }
            last_cap = s.cap;
            growths++;
            for (size_t k = 0; k <= i; k++)
                assert_int_equal(fa_hashset_has(&s, keys[k]), 1);
        }
    }
    assert_int_equal(growths, 8); /* 64 ... 8192 */
    assert_int_equal(s.count, 5000);
    for (size_t i = 0; i < 5000; i++)
        assert_int_equal(fa_hashset_add(&s, keys[i]), 0);
    assert_int_equal(s.count, 5000);
    fa_hashset_free(&s);
}

/* Keys that are multiples of 2^20 all start at slot 0 while the table has
 * at most 8192 slots: one long cluster, moved whole at each growth. */
static void one_cluster(void **state)
{
    (void)state;
    fa_hashset s;
    fa_hashset_init(&s);
    const uint64_t n = 3000;
    for (uint64_t i = 1; i <= n; i++) {
        assert_int_equal(home_slot(i << 20, s.cap ? s.cap : 64), 0);
        assert_int_equal(fa_hashset_add(&s, i << 20), 1);
    }
    assert_int_equal(s.cap, 4096);
    for (uint64_t i = 1; i <= n; i++) {
        assert_int_equal(fa_hashset_has(&s, i << 20), 1);
        assert_int_equal(fa_hashset_add(&s, i << 20), 0);
    }
    /* absent keys of the same home slot probe the whole cluster */
    for (uint64_t i = n + 1; i <= n + 100; i++)
        assert_int_equal(fa_hashset_has(&s, i << 20), 0);
    assert_int_equal(s.count, n);
    fa_hashset_free(&s);
}

/* A cluster that starts at the last slot and wraps to the first ones. */
static void cluster_wraps_around(void **state)
{
    (void)state;
    fa_hashset s;
    fa_hashset_init(&s);
    uint64_t at_end[60];
    size_t n = 0;
    while (n < 60) {
        uint64_t k = next_rand() | 1;
        if (home_slot(k, 64) == 63) at_end[n++] = k;
    }
    /* 40 keys in a table of 64: no growth, 39 of them past the end */
    for (size_t i = 0; i < 40; i++)
        assert_int_equal(fa_hashset_add(&s, at_end[i]), 1);
    assert_int_equal(s.cap, 64);
    assert_int_equal(s.slots[63], at_end[0]);
    assert_int_equal(s.slots[0], at_end[1]);
    for (size_t i = 0; i < 40; i++)
        assert_int_equal(fa_hashset_has(&s, at_end[i]), 1);
    for (size_t i = 40; i < 60; i++)
        assert_int_equal(fa_hashset_has(&s, at_end[i]), 0);
    /* the 49th key doubles the table; the wrapped cluster is re-placed */
    for (size_t i = 40; i < 60; i++)
        assert_int_equal(fa_hashset_add(&s, at_end[i]), 1);
    assert_int_equal(s.cap, 128);
    for (size_t i = 0; i < 60; i++)
        assert_int_equal(fa_hashset_has(&s, at_end[i]), 1);
    fa_hashset_free(&s);
}

static void a_million(void **state)
{
    (void)state;
    fa_hashset s;
    fa_hashset_init(&s);
    const size_t n = 1000000;
    uint64_t seed = rng;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(fa_hashset_add(&s, next_rand()), 1);
    assert_int_equal(s.count, n);
    assert_int_equal(s.cap, 2u << 20); /* 16 MiB for a million keys */
    check_shape(&s);
    rng = seed;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(fa_hashset_has(&s, next_rand()), 1);
    /* others: high bit flipped (xorshift never yields them in a million) */
    rng = seed;
    size_t found = 0;
    for (size_t i = 0; i < n; i++)
        found += (size_t)fa_hashset_has(&s, next_rand() ^ (1ULL << 63));
    assert_true(found <= 2);
    fa_hashset_free(&s);
}

/* Random adds and look-ups over 2^18 keys (spread by an odd multiplier),
 * each answer compared with a bitmap. */
static void randomised_against_bitmap(void **state)
{
    (void)state;
    enum { DOMAIN_BITS = 18 };
    const size_t domain = (size_t)1 << DOMAIN_BITS;
    unsigned char *ref = calloc(domain, 1);
    assert_non_null(ref);
    fa_hashset s;
    fa_hashset_init(&s);
    size_t present = 0;
    for (unsigned step = 0; step < 600000; step++) {
        uint64_t r = next_rand();
        /* mostly a narrow window that slides, so look-ups hit both ways */
        size_t x = (size_t)(r >> 20) % (step / 4 + 1024);
        x = (x + step / 8) & (domain - 1);
        if (x == 0) x = 1; /* 0 and 1 are one key */
        uint64_t key = (uint64_t)x * 0xD1B54A32D192ED03ULL;
        if (r & 3) {
            int got = fa_hashset_has(&s, key);
            if (got != ref[x]) fail_msg("step %u: has(%zu) = %d, bitmap %d", step, x, got, ref[x]);
        } else {
            int got = fa_hashset_add(&s, key);
            if (got != !ref[x]) fail_msg("step %u: add(%zu) = %d, bitmap %d", step, x, got, ref[x]);
            present += !ref[x];
            ref[x] = 1;
        }
        if (s.count != present) fail_msg("step %u: count %zu, bitmap %zu", step, s.count, present);
    }
    for (size_t x = 1; x < domain; x++)
        assert_int_equal(fa_hashset_has(&s, (uint64_t)x * 0xD1B54A32D192ED03ULL), ref[x]);
    check_shape(&s);
    fa_hashset_free(&s);
    free(ref);
}

/* Keys whose probe runs start at the table's last slots, so their cluster
 * wraps to slot 0; each removed in turn from the middle, the rest still
 * found (a removal that left a plain hole would cut their runs). */
static void remove_from_wrapped_cluster(void **state)
{
    (void)state;
    fa_hashset s;
    fa_hashset_init(&s);
    assert_int_equal(fa_hashset_remove(&s, 5), 0); /* no table yet */
    assert_int_equal(fa_hashset_add(&s, 7), 1);    /* the table: 64 slots */
    assert_int_equal(fa_hashset_remove(&s, 7), 1);
    assert_int_equal(s.count, 0);
    assert_int_equal(fa_hashset_has(&s, 7), 0);
    uint64_t keys[24];
    size_t n = 0;
    for (uint64_t k = 2; n < 24; k++) {
        size_t h = home_slot(k, 64);
        if (h >= 62 || h <= 1) keys[n++] = k; /* homes 62, 63, 0, 1 */
    }
    for (size_t i = 0; i < n; i++)
        assert_int_equal(fa_hashset_add(&s, keys[i]), 1);
    assert_int_equal(s.cap, 64);
    for (size_t r = 0; r < n; r++) {
        size_t victim = (r * 7 + 3) % n; /* an order that jumps about */
        while (!fa_hashset_has(&s, keys[victim]))
            victim = (victim + 1) % n;
        assert_int_equal(fa_hashset_remove(&s, keys[victim]), 1);
        assert_int_equal(fa_hashset_remove(&s, keys[victim]), 0);
        assert_int_equal(fa_hashset_has(&s, keys[victim]), 0);
        assert_int_equal(s.count, n - r - 1);
        size_t left = 0;
        for (size_t i = 0; i < n; i++)
            left += (size_t)fa_hashset_has(&s, keys[i]);
        assert_int_equal(left, n - r - 1);
    }
    for (size_t i = 0; i < s.cap; i++)
        assert_int_equal(s.slots[i], 0); /* no tombstone left */
    fa_hashset_free(&s);
}

/* Random adds, removals and look-ups over a few hundred keys kept in a
 * small table (long clusters), each answer compared with a bitmap. */
static void randomised_removals_against_bitmap(void **state)
{
    (void)state;
    enum { DOMAIN = 400 };
    unsigned char ref[DOMAIN] = {0};
    fa_hashset s;
    fa_hashset_init(&s);
    size_t present = 0;
    for (unsigned step = 0; step < 400000; step++) {
        uint64_t r = next_rand();
        size_t x = 1 + (size_t)(r >> 24) % (DOMAIN - 1);
        uint64_t key = (uint64_t)x * 0x9E3779B97F4A7C15ULL;
        int got;
        switch (r & 3) {
        case 0:
            got = fa_hashset_add(&s, key);
            if (got != !ref[x]) fail_msg("step %u: add(%zu) = %d, bitmap %d", step, x, got, ref[x]);
            present += !ref[x];
            ref[x] = 1;
            break;
        case 1:
            got = fa_hashset_remove(&s, key);
            if (got != ref[x])
                fail_msg("step %u: remove(%zu) = %d, bitmap %d", step, x, got, ref[x]);
            present -= ref[x];
            ref[x] = 0;
            break;
        default:
            got = fa_hashset_has(&s, key);
            if (got != ref[x]) fail_msg("step %u: has(%zu) = %d, bitmap %d", step, x, got, ref[x]);
        }
        if (s.count != present) fail_msg("step %u: count %zu, bitmap %zu", step, s.count, present);
    }
    for (size_t x = 1; x < DOMAIN; x++)
        assert_int_equal(fa_hashset_has(&s, (uint64_t)x * 0x9E3779B97F4A7C15ULL), ref[x]);
    fa_hashset_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(add_has_and_duplicates),
        cmocka_unit_test(growth_keeps_every_key),
        cmocka_unit_test(one_cluster),
        cmocka_unit_test(cluster_wraps_around),
        cmocka_unit_test(a_million),
        cmocka_unit_test(randomised_against_bitmap),
        cmocka_unit_test(remove_from_wrapped_cluster),
        cmocka_unit_test(randomised_removals_against_bitmap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
