/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the hypervisor heap (mm/heap.c) on a fake machine: the
 * real frame pool, frame table and hypervisor-frame code underneath.
 * Objects are aligned to their size class, zeroed, never overlap, are
 * reused after free, page-sized objects take whole frames back and forth,
 * the pool running dry gives NULL, and a double free is caught.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include <mica/heap.h>
#include <mica/mm.h>
#include <mica/string.h>

#define FRAMES 64
static uint8_t (*mem)[PAGE_SIZE];
static struct page_info table[FRAMES];
static struct frame_pool pool;
static uint64_t bitmap[1], m2p[FRAMES];
static bool expect_bug;
static jmp_buf bug_jmp;

void *mm_map_frame(mfn_t mfn) { return mem[mfn]; }
mfn_t mm_virt_to_mfn(const void *va) { return (mfn_t)(((const uint8_t *)va - mem[0]) / PAGE_SIZE); }
void arch_flush_tlb_all(void) { }
void bug(const char *file, int line, const char *cond)
{
    (void)file, (void)line, (void)cond;
    if (expect_bug)
        longjmp(bug_jmp, 1);
    fail_msg("BUG %s:%d %s", file, line, cond);
    abort();
}

/* One fake machine for the whole group: the heap's free lists live as long
 * as the hypervisor does, so the tests share it (exhaustion runs last). */
static int setup(void **state)
{
    (void)state;
    static struct memmap ram;
    mem = aligned_alloc(PAGE_SIZE, FRAMES * PAGE_SIZE);
    memset(mem, 0xa5, FRAMES * PAGE_SIZE);          /* stale data everywhere */
    ram.nr = 1;
    ram.r[0] = (struct range){ 0, FRAMES * PAGE_SIZE };
    frame_pool_init(&pool, bitmap, FRAMES, &ram);
    mm_boot_init(&pool, table, m2p, FRAMES, &ram);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(mem);
    return 0;
}

static void small_objects(void **state)
{
    (void)state;
    static const size_t sizes[] = { 1, 8, 16, 17, 100, 512, 1000, 2048 };
    void *p[ARRAY_SIZE(sizes)][20];

    for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
        size_t cls = 16;
        while (cls < sizes[s])
            cls <<= 1;
        for (int i = 0; i < 20; i++) {
            p[s][i] = xzalloc(sizes[s]);
            assert_non_null(p[s][i]);
            assert_int_equal((uintptr_t)p[s][i] % cls, 0);
            for (size_t b = 0; b < sizes[s]; b++)
                assert_int_equal(((uint8_t *)p[s][i])[b], 0);
            memset(p[s][i], (int)(s * 20 + i + 1), sizes[s]);
        }
    }
    /* No object was overwritten by another. */
    for (size_t s = 0; s < ARRAY_SIZE(sizes); s++)
        for (int i = 0; i < 20; i++)
            for (size_t b = 0; b < sizes[s]; b++)
                assert_int_equal(((uint8_t *)p[s][i])[b], (uint8_t)(s * 20 + i + 1));
    /* Freed objects come back, zeroed. */
    void *q = p[3][5];
    xfree(q);
    void *r = xzalloc(sizes[3]);
    assert_ptr_equal(r, q);
    for (size_t b = 0; b < sizes[3]; b++)
        assert_int_equal(((uint8_t *)r)[b], 0);
    assert_int_equal(table[mm_virt_to_mfn(r)].owner, DOMID_XEN);
}

static void page_objects_and_limits(void **state)
{
    (void)state;
    uint64_t free_before = pool.nr_free;
    void *a = xzalloc(PAGE_SIZE), *b = xzalloc(3000);

    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal((uintptr_t)a % PAGE_SIZE, 0);
    assert_int_equal(pool.nr_free, free_before - 2);
    xfree(a);
    xfree(b);
    assert_int_equal(pool.nr_free, free_before);
    assert_int_equal(table[mm_virt_to_mfn(a)].owner, OWNER_FREE);
    assert_null(xzalloc(PAGE_SIZE + 1));
    assert_null(xzalloc(0));
    xfree(NULL);
}

static void pool_exhaustion_gives_null(void **state)
{
    (void)state;
    int n = 0;
    while (xzalloc(PAGE_SIZE))
        n++;
    assert_true(n > 0 && n <= FRAMES);
    assert_null(xzalloc(PAGE_SIZE));
    assert_int_equal(pool.nr_free, 0);
}

static void double_free_is_a_bug(void **state)
{
    (void)state;
    void *p = xzalloc(64);
    xfree(p);
    expect_bug = true;
    if (setjmp(bug_jmp) == 0) {
        xfree(p);
        fail_msg("double free not caught");
    }
    expect_bug = false;
    /* An allocated object that happens to hold the poison word is fine. */
    uint64_t *q = xzalloc(64);
    q[1] = 0x6d6963614672ee00UL;
    xfree(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_objects),
        cmocka_unit_test(page_objects_and_limits),
        cmocka_unit_test(double_free_is_a_bug),
        cmocka_unit_test(pool_exhaustion_gives_null),
    };
    return cmocka_run_group_tests_name("hv-heap", tests, setup, teardown);
}
