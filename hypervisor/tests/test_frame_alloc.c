/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the boot memory map arithmetic and the frame pool: firmware
 * maps that overlap, repeat, come unsorted or hold empty entries; reserved
 * ranges over usable RAM; the mem= cap; exhausting and refilling the pool;
 * frees the pool must refuse; aligned runs below a limit (first fit, holes,
 * padding, refusals that change nothing).  A brute-force model (one flag per page)
 * checks memmap_build() on random maps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include <mica/frame_alloc.h>
#include <mica/string.h>

#define R(b, l, t) { (b), (l), (t) }
#define AVAIL MB2_MEM_AVAILABLE
#define RSVD  MB2_MEM_RESERVED

static struct memmap m;

static void assert_ranges(const struct memmap *mm, const struct range *want, unsigned int n)
{
    assert_int_equal(mm->nr, n);
    for (unsigned int i = 0; i < n; i++) {
        assert_int_equal(mm->r[i].start, want[i].start);
        assert_int_equal(mm->r[i].end, want[i].end);
    }
}

static void qemu_like_map(void **state)
{
    (void)state;
    struct mb2_region regs[] = {
        R(0, 0x9fc00, AVAIL), R(0x9fc00, 0x400, RSVD), R(0xf0000, 0x10000, RSVD),
        R(0x100000, 0x7fee0000, AVAIL), R(0x7ffe0000, 0x20000, RSVD),
        R(0xfffc0000, 0x40000, RSVD),
    };
    struct range keep[] = { { 0, 0x100000 }, { 0x200000, 0x233000 },
                            { 0x11a4d0, 0x11abb0 }, { 0x11b000, 0x11b04a } };

    memmap_build(&m, regs, 6, keep, 4, 0);
    /* The info block and the module take whole pages (rounded outwards). */
    struct range want[] = { { 0x100000, 0x11a000 }, { 0x11c000, 0x200000 },
                          { 0x233000, 0x7ffe0000 } };
    assert_ranges(&m, want, 3);
    assert_int_equal(memmap_highest(&m), 0x7ffe0000);
    assert_int_equal(memmap_total(&m), (0x11a000 - 0x100000) + (0x200000 - 0x11c000) +
                                       (0x7ffe0000 - 0x233000));
}

static void unaligned_regions_shrink_inward(void **state)
{
    (void)state;
    struct mb2_region regs[] = { R(0x100123, 0x3000, AVAIL), R(0x200000, 0xfff, AVAIL) };

    memmap_build(&m, regs, 2, NULL, 0, 0);
    struct range want[] = { { 0x101000, 0x103000 } };  /* 2nd: less than a page */
    assert_ranges(&m, want, 1);
}

static void reserved_wins_over_usable_in_any_order(void **state)
{
    (void)state;
    struct mb2_region a[] = { R(0x100000, 0x100000, AVAIL), R(0x180000, 0x1, RSVD) };
    struct mb2_region b[] = { R(0x180000, 0x1, RSVD), R(0x100000, 0x100000, AVAIL) };
    struct range want[] = { { 0x100000, 0x180000 }, { 0x181000, 0x200000 } };

    memmap_build(&m, a, 2, NULL, 0, 0);
    assert_ranges(&m, want, 2);
    memmap_build(&m, b, 2, NULL, 0, 0);
    assert_ranges(&m, want, 2);
}

static void overlapping_and_duplicate_usable_merge(void **state)
{
    (void)state;
    struct mb2_region regs[] = {
        R(0x300000, 0x100000, AVAIL), R(0x100000, 0x100000, AVAIL),
        R(0x150000, 0x100000, AVAIL), R(0x100000, 0x100000, AVAIL),
        R(0x400000, 0, AVAIL), R(0x250000, 0xb0000, AVAIL),
    };
    memmap_build(&m, regs, 6, NULL, 0, 0);
    struct range want[] = { { 0x100000, 0x400000 } };
    assert_ranges(&m, want, 1);
}

static void other_types_are_never_usable(void **state)
{
    (void)state;
    struct mb2_region regs[] = {
        R(0x100000, 0x100000, MB2_MEM_ACPI_RECLAIM), R(0x200000, 0x100000, MB2_MEM_NVS),
        R(0x300000, 0x100000, MB2_MEM_BAD), R(0x400000, 0x100000, 77),
    };
    memmap_build(&m, regs, 4, NULL, 0, 0);
    assert_int_equal(m.nr, 0);
    assert_int_equal(memmap_total(&m), 0);
    assert_int_equal(memmap_highest(&m), 0);
}

static void no_ram_above_1mib(void **state)
{
    (void)state;
    struct mb2_region regs[] = { R(0, 0x9fc00, AVAIL) };
    struct range keep[] = { { 0, 0x100000 } };

    memmap_build(&m, regs, 1, keep, 1, 0);
    assert_int_equal(m.nr, 0);      /* main() panics on this, saying why */
}

static void cap_cuts_ram(void **state)
{
    (void)state;
    struct mb2_region regs[] = { R(0x100000, 0x7ff00000, AVAIL),
                                 R(0x100000000ULL, 0x80000000, AVAIL) };

    memmap_build(&m, regs, 2, NULL, 0, 0x40000000);
    struct range want[] = { { 0x100000, 0x40000000 } };
    assert_ranges(&m, want, 1);
}

static void reserved_split_and_edges(void **state)
{
    (void)state;
    struct mb2_region regs[] = { R(0x100000, 0x100000, AVAIL) };
    struct range keep[] = { { 0x100000, 0x101000 }, { 0x1ff000, 0x300000 },
                            { 0x150800, 0x150801 }, { 0x150000, 0x150000 } };

    memmap_build(&m, regs, 1, keep, 4, 0);
    struct range want[] = { { 0x101000, 0x150000 }, { 0x151000, 0x1ff000 } };
    assert_ranges(&m, want, 2);
}

/* An empty reserved range (a zero-length module) takes nothing and splits
 * nothing: it once left two touching ranges (found by fuzz_boot). */
static void empty_reserved_range_changes_nothing(void **state)
{
    (void)state;
    struct mb2_region regs[] = { R(0x100000, 0x250000, AVAIL) };
    struct range keep[] = { { 0x300000, 0x300000 }, { 0x180800, 0x180800 } };

    memmap_build(&m, regs, 1, keep, 2, 0);
    struct range want[] = { { 0x100000, 0x350000 } };
    assert_ranges(&m, want, 1);
}

static void carve_takes_lowest_fit_below_limit(void **state)
{
    (void)state;
    struct mb2_region regs[] = { R(0x100000, 0x2000, AVAIL), R(0x200000, 0x10000, AVAIL),
                                 R(0x100000000ULL, 0x100000, AVAIL) };

    memmap_build(&m, regs, 3, NULL, 0, 0);
    assert_int_equal(memmap_carve(&m, 0x3000, 0x100000000ULL), 0x200000);
    assert_int_equal(m.r[1].start, 0x203000);
    assert_int_equal(memmap_carve(&m, 0x2000, 0x100000000ULL), 0x100000);
    assert_int_equal(m.nr, 2);                          /* first range used up */
    assert_int_equal(memmap_carve(&m, 0x20000, 0x100000000ULL), 0);  /* none below 4G */
    assert_int_equal(memmap_carve(&m, 0x20000, ~0ULL), 0x100000000ULL);
}

static void table_overflow_is_counted(void **state)
{
    (void)state;
    static struct mb2_region regs[MEMMAP_MAX_RANGES + 10];

    for (unsigned int i = 0; i < ARRAY_SIZE(regs); i++)
        regs[i] = (struct mb2_region)R(0x100000 + i * 0x2000ULL, 0x1000, AVAIL);
    memmap_build(&m, regs, ARRAY_SIZE(regs), NULL, 0, 0);
    assert_int_equal(m.nr, MEMMAP_MAX_RANGES);
    assert_int_equal(m.dropped, 10);
}

/* Model: one flag per page over a small address space, built the slow way. */
#define MODEL_PAGES 256
static void model_build(bool *usable, const struct mb2_region *regs, unsigned int n,
                        const struct range *keep, unsigned int nk)
{
    for (unsigned int p = 0; p < MODEL_PAGES; p++) {
        uint64_t a = (uint64_t)p << PAGE_SHIFT, b = a + PAGE_SIZE;
        bool avail = false, other = false;
        for (unsigned int i = 0; i < n; i++) {
            uint64_t s = regs[i].base, e = regs[i].base + regs[i].len;
            if (regs[i].type == AVAIL && s <= a && e >= b)
                avail = true;
            if (regs[i].type != AVAIL && s < b && e > a)
                other = true;
        }
        for (unsigned int i = 0; i < nk; i++)
            if (keep[i].start < b && keep[i].end > a)
                other = true;
        usable[p] = avail && !other;
    }
}

static void random_maps_match_model(void **state)
{
    (void)state;
    srand(12345);
    for (int iter = 0; iter < 3000; iter++) {
        struct mb2_region regs[12];
        struct range keep[4];
        unsigned int n = (unsigned int)(rand() % 12), nk = (unsigned int)(rand() % 4);
        bool usable[MODEL_PAGES];

        for (unsigned int i = 0; i < n; i++) {
            uint64_t s = (uint64_t)(rand() % (MODEL_PAGES * 4096));
            uint64_t l = (uint64_t)(rand() % (64 * 4096));
            if (s + l > MODEL_PAGES * 4096ULL)
                l = MODEL_PAGES * 4096ULL - s;
            regs[i] = (struct mb2_region)R(s, l, rand() % 3 ? AVAIL : RSVD);
        }
        for (unsigned int i = 0; i < nk; i++) {
            uint64_t s = (uint64_t)(rand() % (MODEL_PAGES * 4096));
            keep[i] = (struct range){ s, s + (uint64_t)(rand() % (16 * 4096)) };
        }
        memmap_build(&m, regs, n, keep, nk, 0);
        model_build(usable, regs, n, keep, nk);
        for (unsigned int p = 0; p < MODEL_PAGES; p++) {
            uint64_t a = (uint64_t)p << PAGE_SHIFT;
            bool in = false;
            for (unsigned int i = 0; i < m.nr; i++)
                if (m.r[i].start <= a && a < m.r[i].end)
                    in = true;
            if (in != usable[p])
                fail_msg("iteration %d page %u: map says %d, model %d", iter, p, in, usable[p]);
        }
        for (unsigned int i = 0; i + 1 < m.nr; i++)
            assert_true(m.r[i].end < m.r[i + 1].start);     /* sorted, merged */
    }
}

static void pool_alloc_free_exhaust(void **state)
{
    (void)state;
    struct mb2_region regs[] = { R(0x100000, 0x10000, AVAIL), R(0x200000, 0x3000, AVAIL) };
    static struct frame_pool p;
    uint64_t *bm;

    memmap_build(&m, regs, 2, NULL, 0, 0);
    mfn_t nr = memmap_highest(&m) >> PAGE_SHIFT;
    bm = malloc(frame_pool_bitmap_bytes(nr));
    frame_pool_init(&p, bm, nr, &m);
    assert_int_equal(p.nr_free, 16 + 3);

    bool seen[0x203] = { false };
    for (int i = 0; i < 19; i++) {
        mfn_t f = frame_alloc(&p);
        assert_int_not_equal(f, INVALID_MFN);
        assert_true((f >= 0x100 && f < 0x110) || (f >= 0x200 && f < 0x203));
        assert_false(seen[f]);
        seen[f] = true;
    }
    assert_int_equal(frame_alloc(&p), INVALID_MFN);
    assert_int_equal(p.nr_free, 0);

    assert_true(frame_free(&p, 0x105));
    assert_false(frame_free(&p, 0x105));        /* double free refused */
    assert_true(frame_is_free(&p, 0x105));
    assert_int_equal(frame_alloc(&p), 0x105);

    assert_false(frame_free(&p, 0x150));        /* never RAM: refused */
    assert_false(frame_free(&p, 0x10));
    assert_false(frame_free(&p, nr));           /* past the end */
    assert_false(frame_free(&p, INVALID_MFN));
    assert_int_equal(frame_alloc(&p), INVALID_MFN);
    free(bm);
}

static void pool_bitmap_padding_never_allocated(void **state)
{
    (void)state;
    /* 70 frames: the second bitmap word has 58 padding bits. */
    struct mb2_region regs[] = { R(0, 70 * 4096, AVAIL) };
    static struct frame_pool p;
    uint64_t bm[2];

    memmap_build(&m, regs, 1, NULL, 0, 0);
    frame_pool_init(&p, bm, 70, &m);
    for (int i = 0; i < 70; i++)
        assert_true(frame_alloc(&p) < 70);
    assert_int_equal(frame_alloc(&p), INVALID_MFN);
}

/* A pool over frames [0, nr) minus the listed holes. */
static void pool_with_holes(struct frame_pool *p, uint64_t *bm, mfn_t nr,
                            const mfn_t *holes, unsigned int nr_holes)
{
    struct mb2_region regs[] = { R(0, nr * 4096, AVAIL) };

    memmap_build(&m, regs, 1, NULL, 0, 0);
    for (unsigned int i = 0; i < nr_holes; i++)
        memmap_remove(&m, holes[i] * 4096, (holes[i] + 1) * 4096);
    frame_pool_init(p, bm, nr, &m);
}

static void extent_is_aligned_lowest_fit(void **state)
{
    (void)state;
    static struct frame_pool p;
    uint64_t bm[4];
    const mfn_t holes[] = { 1, 9, 70 };

    pool_with_holes(&p, bm, 256, holes, 3);
    /* Order 3: [0,8) and [8,16) hold holes; [16,24) is the first fit. */
    assert_int_equal(frame_alloc_extent(&p, 3, INVALID_MFN), 16);
    assert_int_equal(frame_alloc_extent(&p, 0, INVALID_MFN), 0);
    assert_int_equal(frame_alloc_extent(&p, 1, INVALID_MFN), 2);
    /* Order 6: [0,64) is broken, [64,128) holds 70: 128. */
    assert_int_equal(frame_alloc_extent(&p, 6, INVALID_MFN), 128);
    assert_int_equal(p.nr_free, 256 - 3 - 8 - 1 - 2 - 64);
    for (mfn_t f = 128; f < 192; f++)
        assert_false(frame_is_free(&p, f));
    assert_true(frame_is_free(&p, 192));
    assert_true(frame_is_free(&p, 64));
}

static void extent_respects_the_limit(void **state)
{
    (void)state;
    static struct frame_pool p;
    uint64_t bm[4];
    const mfn_t holes[] = { 3 };

    pool_with_holes(&p, bm, 256, holes, 1);
    /* Below frame 8: only [4,8) fits order 2; nothing fits order 3. */
    assert_int_equal(frame_alloc_extent(&p, 3, 8), INVALID_MFN);
    assert_int_equal(frame_alloc_extent(&p, 2, 8), 4);
    assert_int_equal(frame_alloc_extent(&p, 2, 8), INVALID_MFN);
    /* A run ending exactly at the limit is below it. */
    assert_int_equal(frame_alloc_extent(&p, 3, 16), 8);
    assert_int_equal(frame_alloc_extent(&p, 0, 0), INVALID_MFN);
    assert_int_equal(frame_alloc_extent(&p, 0, 1), 0);
    assert_int_equal(frame_alloc_extent(&p, 0, 1), INVALID_MFN);
}

static void extent_refusals_change_nothing(void **state)
{
    (void)state;
    static struct frame_pool p;
    uint64_t bm[2];
    const mfn_t holes[] = { 64 };

    /* 70 frames: the padding bits past the end are never part of a run. */
    pool_with_holes(&p, bm, 70, holes, 1);
    mfn_t before = p.nr_free;
    uint64_t copy[2] = { bm[0], bm[1] };
    assert_int_equal(frame_alloc_extent(&p, 7, INVALID_MFN), INVALID_MFN);
    assert_int_equal(frame_alloc_extent(&p, 40, INVALID_MFN), INVALID_MFN);
    assert_int_equal(frame_alloc_extent(&p, FRAME_EXTENT_MAX_ORDER + 1, INVALID_MFN),
                     INVALID_MFN);
    assert_int_equal(p.nr_free, before);
    assert_memory_equal(bm, copy, sizeof(copy));
    assert_int_equal(frame_alloc_extent(&p, 6, INVALID_MFN), 0);
    /* 65-69 are free, but no aligned order-2 or order-3 run fits there. */
    assert_int_equal(frame_alloc_extent(&p, 3, INVALID_MFN), INVALID_MFN);
    assert_int_equal(frame_alloc_extent(&p, 2, INVALID_MFN), INVALID_MFN);
    assert_int_equal(frame_alloc_extent(&p, 1, INVALID_MFN), 66);
}

/* Random allocations and frees against a one-flag-per-frame model. */
static void extent_random_matches_model(void **state)
{
    (void)state;
    enum { NR = 1000 };
    static struct frame_pool p;
    static uint64_t bm[(NR + 63) / 64];
    static bool used[NR];

    srand(7);
    pool_with_holes(&p, bm, NR, NULL, 0);
    memset(used, 0, sizeof(used));
    for (int iter = 0; iter < 20000; iter++) {
        if (rand() % 3) {
            unsigned int order = (unsigned int)(rand() % 6);
            mfn_t n = (mfn_t)1 << order, limit = (mfn_t)(rand() % (NR + 50));
            mfn_t want = INVALID_MFN;
            for (mfn_t b = 0; b + n <= MIN(limit, (mfn_t)NR) && want == INVALID_MFN; b += n) {
                bool ok = true;
                for (mfn_t f = b; f < b + n; f++)
                    ok = ok && !used[f];
                if (ok)
                    want = b;
            }
            mfn_t got = frame_alloc_extent(&p, order, limit);
            assert_int_equal(got, want);
            if (got != INVALID_MFN)
                for (mfn_t f = got; f < got + n; f++)
                    used[f] = true;
        } else {
            mfn_t f = (mfn_t)(rand() % NR);
            assert_int_equal(frame_free(&p, f), used[f]);
            used[f] = false;
        }
        mfn_t nfree = 0;
        for (mfn_t f = 0; f < NR; f++)
            nfree += !used[f];
        assert_int_equal(p.nr_free, nfree);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(qemu_like_map),
        cmocka_unit_test(unaligned_regions_shrink_inward),
        cmocka_unit_test(reserved_wins_over_usable_in_any_order),
        cmocka_unit_test(overlapping_and_duplicate_usable_merge),
        cmocka_unit_test(empty_reserved_range_changes_nothing),
        cmocka_unit_test(other_types_are_never_usable),
        cmocka_unit_test(no_ram_above_1mib),
        cmocka_unit_test(cap_cuts_ram),
        cmocka_unit_test(reserved_split_and_edges),
        cmocka_unit_test(carve_takes_lowest_fit_below_limit),
        cmocka_unit_test(table_overflow_is_counted),
        cmocka_unit_test(random_maps_match_model),
        cmocka_unit_test(pool_alloc_free_exhaust),
        cmocka_unit_test(pool_bitmap_padding_never_allocated),
        cmocka_unit_test(extent_is_aligned_lowest_fit),
        cmocka_unit_test(extent_respects_the_limit),
        cmocka_unit_test(extent_refusals_change_nothing),
        cmocka_unit_test(extent_random_matches_model),
    };
    return cmocka_run_group_tests_name("hv-frame-alloc", tests, NULL, NULL);
}
