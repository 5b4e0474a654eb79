/* SPDX-License-Identifier: MIT */
/*
 * Host tests of memory_op's reservation operations (common/memory.c),
 * group hv-memory: increase_reservation, decrease_reservation,
 * populate_physmap and exchange, normal and hostile -- bad and foreign
 * domains, huge counts and orders, address limits, lists that fault part
 * way, max_pages, frames not owned, in use as page tables or still mapped,
 * listed twice, mismatched exchange sizes -- and continuation of long
 * batches.  The real frame pool, frame table, page-table code and domain
 * registry run against a fake machine of NR_FRAMES frames; guest arguments
 * are host pointers.  Every test ends by giving back every frame and
 * checking that the pool is whole again, every free frame is zero and has
 * no M2P entry: no frame leaked, none left unscrubbed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <abi/memory.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/multiboot2.h>

/* ---------------------------------------------------------------- harness */

#define NR_FRAMES   2048
#define FIRST_XEN   2       /* 0-1 I/O, 2-15 hypervisor, 16.. free */
#define FIRST_FREE  16
#define NR_FREE     (NR_FRAMES - FIRST_FREE)

static uint8_t (*mem)[PAGE_SIZE];
static struct page_info table[NR_FRAMES];
static uint64_t m2p[NR_FRAMES];
static uint64_t bitmap[NR_FRAMES / 64];
static struct frame_pool pool;
struct vcpu *current;
/* Guest accesses touching [fault_lo, fault_hi) fail with -EFAULT. */
static uintptr_t fault_lo, fault_hi;

static bool faults(uint64_t va, size_t len)
{
    return va == 0 || (va < fault_hi && va + len > fault_lo);
}

int copy_from_guest(void *dst, uint64_t va, size_t len)
{
    if (faults(va, len))
        return -EFAULT;
    memcpy(dst, (const void *)(uintptr_t)va, len);
    return 0;
}

int copy_to_guest(uint64_t va, const void *src, size_t len)
{
    if (faults(va, len))
        return -EFAULT;
    memcpy((void *)(uintptr_t)va, src, len);
    return 0;
}

/* The hypervisor's half of the address space is never guest memory. */
bool guest_range_ok(uint64_t va, size_t len)
{
    return len == 0 || (va + len >= va && va + len <= 0x800000000000UL);
}

void bug(const char *file, int line, const char *cond)
{
    fprintf(stderr, "BUG %s:%d %s\n", file, line, cond);
    abort();
}

void *mm_map_frame(mfn_t mfn)
{
    assert_true(mfn < NR_FRAMES);
    return mem[mfn];
}

mfn_t mm_virt_to_mfn(const void *va)
{
    return (mfn_t)(((const uint8_t *)va - mem[0]) / PAGE_SIZE);
}

void arch_flush_tlb_all(void)
{
}

uint64_t paging_nx_bit(void)
{
    return _PAGE_NX;
}

const struct mb2_info *boot_information(void)
{
    static struct mb2_info bi;
    return &bi;
}

/* dom0 (privileged), dom1, dom2. */
#define NR_DOMS 3
static struct domain doms[NR_DOMS];
static struct vcpu vcpus[NR_DOMS];
#define D0 (&doms[0])
#define D1 (&doms[1])
#define D2 (&doms[2])
#define MAX_PAGES 1200

static int setup(void **state)
{
    static struct memmap ram, fr;

    (void)state;
    mem = aligned_alloc(PAGE_SIZE, (size_t)NR_FRAMES * PAGE_SIZE);
    memset(mem, 0xa5, (size_t)NR_FRAMES * PAGE_SIZE);   /* stale data everywhere */
    memset(doms, 0, sizeof(doms));
    fault_lo = fault_hi = 0;
    ram.nr = 1;
    ram.r[0] = (struct range){ FIRST_XEN * PAGE_SIZE, NR_FRAMES * PAGE_SIZE };
    fr.nr = 1;
    fr.r[0] = (struct range){ FIRST_FREE * PAGE_SIZE, NR_FRAMES * PAGE_SIZE };
    frame_pool_init(&pool, bitmap, NR_FRAMES, &fr);
    mm_boot_init(&pool, table, m2p, NR_FRAMES, &ram);
    /* mm_boot_init marks RAM the hypervisor's and the pool's frames free. */
    for (unsigned int i = 0; i < NR_DOMS; i++) {
        doms[i].domain_id = (domid_t)i;
        doms[i].is_privileged = i == 0;
        doms[i].shared_info_mfn = INVALID_MFN;
        vcpus[i] = (struct vcpu){ .domain = &doms[i] };
        doms[i].vcpu0 = &vcpus[i];
        domain_mm_init(&doms[i], MAX_PAGES);
        assert_int_equal(domain_register(&doms[i]), 0);
    }
    current = &vcpus[1];
    return 0;
}

/* Give back every frame, then check the pool is whole and clean. */
static int teardown(void **state)
{
    (void)state;
    for (unsigned int i = 0; i < NR_DOMS; i++) {
        struct domain *d = &doms[i];
        for (mfn_t m = 0; m < NR_FRAMES; m++)
            if (table[m].owner == d->domain_id && (table[m].flags & PGF_allocated))
                assert_int_equal(release_page(d, m), 0);
        assert_int_equal(d->tot_pages, 0);
        domain_unregister(d);
    }
    assert_int_equal(pool.nr_free, NR_FREE);
    for (mfn_t m = FIRST_FREE; m < NR_FRAMES; m++) {
        assert_int_equal(table[m].owner, OWNER_FREE);
        assert_true(frame_is_free(&pool, m));
        assert_int_equal(m2p[m], ~0UL);
    }
    /* Frames that ever reached a domain were scrubbed on the way back;
     * the rest still hold the stale pattern, which no domain saw. */
    free(mem);
    return 0;
}

/* ------------------------------------------------------------- helpers */

static unsigned int restarts;
/* memory_op as a guest sees it: re-issued while it asks to continue. */
static long memop(struct domain *caller, uint64_t cmd, const void *arg)
{
    uint64_t a[HYPERCALL_MAX_ARGS] = { cmd, (uintptr_t)arg };
    long rc;

    current = caller->vcpu0;
    restarts = 0;
    current->hypercall_args = a;
    while ((rc = do_memory_op(a[0], a[1])) == -ERESTART) {
        assert_true(++restarts < 100000);
        assert_int_equal(a[1], (uintptr_t)arg);
    }
    return rc;
}

static struct xen_memory_reservation resv(xen_pfn_t *list, uint64_t nr, unsigned int order,
                                          uint32_t flags, domid_t dom)
{
    struct xen_memory_reservation r = {
        .nr_extents = nr, .extent_order = order, .mem_flags = flags, .domid = dom,
    };
    set_xen_guest_handle(r.extent_start, list);
    return r;
}

static long increase(struct domain *c, xen_pfn_t *list, uint64_t nr, unsigned int order,
                     uint32_t flags, domid_t dom)
{
    struct xen_memory_reservation r = resv(list, nr, order, flags, dom);
    return memop(c, XENMEM_increase_reservation, &r);
}

static long decrease(struct domain *c, xen_pfn_t *list, uint64_t nr, unsigned int order,
                     domid_t dom)
{
    struct xen_memory_reservation r = resv(list, nr, order, 0, dom);
    return memop(c, XENMEM_decrease_reservation, &r);
}

static long populate(struct domain *c, xen_pfn_t *list, uint64_t nr, unsigned int order,
                     uint32_t flags, domid_t dom)
{
    struct xen_memory_reservation r = resv(list, nr, order, flags, dom);
    return memop(c, XENMEM_populate_physmap, &r);
}

static bool frame_is_zero(mfn_t m)
{
    for (size_t i = 0; i < PAGE_SIZE; i++)
        if (mem[m][i])
            return false;
    return true;
}

static void assert_owned_zeroed(const struct domain *d, mfn_t m)
{
    assert_true(m >= FIRST_FREE && m < NR_FRAMES);
    assert_int_equal(table[m].owner, d->domain_id);
    assert_int_equal(table[m].count, 1);
    assert_int_equal(table[m].flags, PGF_allocated);
    assert_true(frame_is_zero(m));
}

/* A frame given back is in the pool, zeroed, without an M2P entry. */
static void assert_back_in_pool(mfn_t m)
{
    assert_int_equal(table[m].owner, OWNER_FREE);
    assert_true(frame_is_free(&pool, m));
    assert_true(frame_is_zero(m));
    assert_int_equal(m2p[m], ~0UL);
}

/* nr single frames for d, dirtied so that scrubbing shows. */
static void give_frames(struct domain *d, xen_pfn_t *list, unsigned int nr)
{
    assert_int_equal(increase(d, list, nr, 0, 0, DOMID_SELF), nr);
    for (unsigned int i = 0; i < nr; i++)
        memset(mem[list[i]], 0x5a + (int)i, PAGE_SIZE);
}

/* --------------------------------------------------- increase/populate */

static void increase_gives_zeroed_frames_and_reports_them(void **state)
{
    (void)state;
    xen_pfn_t list[10];

    memset(list, 0xff, sizeof(list));
    assert_int_equal(increase(D1, list, 10, 0, 0, DOMID_SELF), 10);
    assert_int_equal(D1->tot_pages, 10);
    assert_int_equal(pool.nr_free, NR_FREE - 10);
    for (int i = 0; i < 10; i++) {
        assert_owned_zeroed(D1, list[i]);
        assert_int_equal(m2p[list[i]], ~0UL);   /* no pfn known yet */
        for (int j = 0; j < i; j++)
            assert_int_not_equal(list[i], list[j]);
    }
    /* Naming oneself by id is the same as DOMID_SELF. */
    assert_int_equal(increase(D1, list, 2, 0, 0, 1), 2);
    /* No list: frames are allocated, nothing is reported. */
    assert_int_equal(increase(D1, NULL, 3, 0, 0, DOMID_SELF), 3);
    assert_int_equal(D1->tot_pages, 15);
}

static void increase_stops_at_max_pages(void **state)
{
    (void)state;
    static xen_pfn_t list[MAX_PAGES + 10];

    D1->max_pages = 20;
    assert_int_equal(increase(D1, list, 15, 0, 0, DOMID_SELF), 15);
    assert_int_equal(increase(D1, list, 10, 0, 0, DOMID_SELF), 5);
    assert_int_equal(D1->tot_pages, 20);
    assert_int_equal(increase(D1, list, 1, 0, 0, DOMID_SELF), 0);
    /* An extent that does not fit whole is not given in part. */
    assert_int_equal(decrease(D1, list, 3, 0, DOMID_SELF), 3);
    assert_int_equal(increase(D1, list, 1, 2, 0, DOMID_SELF), 0);
    assert_int_equal(D1->tot_pages, 17);
    assert_int_equal(pool.nr_free, NR_FREE - 17);
    D1->max_pages = MAX_PAGES;
}

static void long_batches_continue_and_count_from_the_start(void **state)
{
    (void)state;
    static xen_pfn_t list[1100];

    assert_int_equal(increase(D1, list, 1100, 0, 0, DOMID_SELF), 1100);
    assert_int_equal(restarts, 2);              /* 512 frames per call */
    assert_int_equal(D1->tot_pages, 1100);
    assert_int_equal(decrease(D1, list, 1100, 0, DOMID_SELF), 1100);
    assert_int_equal(restarts, 2);
    assert_int_equal(D1->tot_pages, 0);
    /* Large extents: at least one per call. */
    assert_int_equal(increase(D1, list, 2, 9, 0, DOMID_SELF), 2);
    assert_int_equal(restarts, 1);
    assert_int_equal(list[0] % 512, 0);
    /* A continuation's start extent, as the guest would re-issue it. */
    struct xen_memory_reservation r = resv(list, 2, 9, 0, DOMID_SELF);
    assert_int_equal(memop(D1, XENMEM_decrease_reservation | (1UL << 6), &r), 2);
    assert_int_equal(D1->tot_pages, 512);
    assert_int_equal(table[list[0]].owner, 1);
    assert_int_equal(memop(D1, XENMEM_decrease_reservation | (2UL << 6), &r), 2);
    assert_int_equal(memop(D1, XENMEM_decrease_reservation | (9UL << 6), &r), 9);
    assert_int_equal(D1->tot_pages, 512);
}

static void populate_writes_mfns_and_sets_the_m2p(void **state)
{
    (void)state;
    xen_pfn_t list[4] = { 100, 7, 0x12345, 8 };

    assert_int_equal(populate(D1, list, 4, 0, 0, DOMID_SELF), 4);
    const xen_pfn_t gpfn[4] = { 100, 7, 0x12345, 8 };
    for (int i = 0; i < 4; i++) {
        assert_owned_zeroed(D1, list[i]);
        assert_int_equal(m2p[list[i]], gpfn[i]);
    }
    /* Order 2 below 2^24 bytes (frame 4096, all of this machine). */
    xen_pfn_t big[2] = { 200, 300 };
    assert_int_equal(populate(D1, big, 2, 2, XENMEMF_address_bits(24), DOMID_SELF), 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(big[i] % 4, 0);
        for (int j = 0; j < 4; j++) {
            assert_owned_zeroed(D1, big[i] + j);
            assert_int_equal(m2p[big[i] + j], (i ? 300 : 200) + j);
        }
    }
    assert_int_equal(D1->tot_pages, 12);
}

static void address_bits_limit_where_frames_come_from(void **state)
{
    (void)state;
    xen_pfn_t list[8];

    /* Below 2^19 bytes = frame 128: frames 16-127 only. */
    assert_int_equal(increase(D1, list, 8, 2, XENMEMF_address_bits(19), DOMID_SELF), 8);
    for (int i = 0; i < 8; i++)
        assert_true(list[i] + 4 <= 128 && list[i] % 4 == 0);
    /* Frames 16-47 taken, 48-127 free: [64,128) is the one order-6 run,
     * then no order-5 run is left, but [48,64) is an order-4 one. */
    assert_int_equal(increase(D1, list, 1, 6, XENMEMF_address_bits(19), DOMID_SELF), 1);
    assert_int_equal(list[0], 64);
    assert_int_equal(increase(D1, list, 1, 5, XENMEMF_address_bits(19), DOMID_SELF), 0);
    assert_int_equal(increase(D1, list, 1, 4, XENMEMF_address_bits(19), DOMID_SELF), 1);
    assert_int_equal(list[0], 48);
    /* 12 bits or fewer reach no frame: refused outright. */
    assert_int_equal(increase(D1, list, 1, 0, XENMEMF_address_bits(12), DOMID_SELF), 0);
    assert_int_equal(increase(D1, list, 1, 0, XENMEMF_address_bits(1), DOMID_SELF), 0);
    /* Bits beyond the machine mean no limit. */
    assert_int_equal(increase(D1, list, 1, 0, XENMEMF_address_bits(255), DOMID_SELF), 1);
    assert_int_equal(D1->tot_pages, 8 * 4 + 64 + 16 + 1);
}

static void bad_reservations_do_nothing(void **state)
{
    (void)state;
    xen_pfn_t list[4] = { 0 };

    /* Too many extents to encode a continuation; start past the end. */
    assert_int_equal(increase(D1, list, (UINT32_MAX >> 6) + 1, 0, 0, DOMID_SELF), 0);
    assert_int_equal(increase(D1, list, UINT64_MAX, 0, 0, DOMID_SELF), 0);
    struct xen_memory_reservation r = resv(list, 4, 0, 0, DOMID_SELF);
    assert_int_equal(memop(D1, XENMEM_increase_reservation | (4UL << 6), &r), 4);
    assert_int_equal(memop(D1, XENMEM_populate_physmap | (77UL << 6), &r), 77);
    /* Orders beyond Xen's limits: 9 for a domU, 18 for the control domain. */
    assert_int_equal(increase(D1, list, 1, 10, 0, DOMID_SELF), 0);
    assert_int_equal(increase(D1, list, 1, 64, 0, DOMID_SELF), 0);
    assert_int_equal(increase(D1, list, 1, UINT32_MAX, 0, DOMID_SELF), 0);
    assert_int_equal(decrease(D1, list, 1, 0x80000000u, DOMID_SELF), 0);
    assert_int_equal(increase(D0, list, 1, 19, 0, DOMID_SELF), 0);
    /* Order 11 is fine for dom0 but bigger than this machine's pool. */
    assert_int_equal(increase(D0, list, 1, 11, 0, DOMID_SELF), 0);
    /* Populate-on-demand and exact NUMA requests from a domU. */
    assert_int_equal(populate(D1, list, 1, 0, XENMEMF_populate_on_demand, DOMID_SELF), 0);
    assert_int_equal(populate(D1, list, 1, 0, XENMEMF_exact_node(0), DOMID_SELF), 0);
    assert_int_equal(populate(D0, list, 1, 0, XENMEMF_node(64), DOMID_SELF), 0);
    /* Lists the guest cannot name; an unreadable argument. */
    assert_int_equal(populate(D1, (xen_pfn_t *)0xffff830000000000UL, 1, 0, 0, DOMID_SELF), 0);
    assert_int_equal(populate(D1, NULL, 1, 0, 0, DOMID_SELF), 0);
    assert_int_equal(decrease(D1, NULL, 1, 0, DOMID_SELF), 0);
    assert_int_equal(memop(D1, XENMEM_increase_reservation, NULL), 0);
    assert_int_equal(D1->tot_pages, 0);
    assert_int_equal(pool.nr_free, NR_FREE);
}

static void foreign_domains_need_privilege(void **state)
{
    (void)state;
    xen_pfn_t list[4], mine[2];

    /* No such domain; another domain without privilege: nothing done. */
    assert_int_equal(increase(D1, list, 2, 0, 0, 9), 0);
    assert_int_equal(increase(D1, list, 2, 0, 0, 2), 0);
    give_frames(D2, mine, 2);
    assert_int_equal(decrease(D1, mine, 2, 0, 2), 0);
    assert_int_equal(D2->tot_pages, 2);
    assert_int_equal(increase(D1, list, 2, 0, 0, DOMID_IO), 0);
    assert_int_equal(D1->tot_pages, 0);
    /* The control domain builds and shrinks other domains. */
    xen_pfn_t gpfns[2] = { 5, 6 };
    assert_int_equal(populate(D0, gpfns, 2, 0, 0, 1), 2);
    assert_owned_zeroed(D1, gpfns[0]);
    assert_int_equal(m2p[gpfns[1]], 6);
    assert_int_equal(D1->tot_pages, 2);
    assert_int_equal(D0->tot_pages, 0);
    assert_int_equal(decrease(D0, gpfns, 2, 0, 1), 2);
    assert_int_equal(decrease(D0, mine, 2, 0, 2), 2);
    assert_int_equal(D1->tot_pages + D2->tot_pages, 0);
    assert_back_in_pool(mine[0]);
}

static void list_fault_mid_batch_keeps_what_was_done(void **state)
{
    (void)state;
    xen_pfn_t list[8];

    /* Entry 5 cannot be written: five extents done, none leaked. */
    fault_lo = (uintptr_t)&list[5];
    fault_hi = fault_lo + 1;
    assert_int_equal(increase(D1, list, 8, 0, 0, DOMID_SELF), 5);
    assert_int_equal(D1->tot_pages, 5);
    assert_int_equal(pool.nr_free, NR_FREE - 5);
    /* populate stops at the unreadable entry too. */
    xen_pfn_t g[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    fault_lo = (uintptr_t)&g[2];
    fault_hi = fault_lo + 8;
    assert_int_equal(populate(D1, g, 8, 0, 0, DOMID_SELF), 2);
    assert_int_equal(D1->tot_pages, 7);
    /* decrease: entries before the fault are given back. */
    fault_lo = (uintptr_t)&list[3];
    fault_hi = fault_lo + 8;
    assert_int_equal(decrease(D1, list, 5, 0, DOMID_SELF), 3);
    assert_int_equal(D1->tot_pages, 4);
    assert_back_in_pool(list[0]);
    assert_int_equal(table[list[4]].owner, 1);
    fault_lo = fault_hi = 0;
    assert_int_equal(pool.nr_free, NR_FREE - 4);
}

/* ------------------------------------------------------------ decrease */

static void decrease_scrubs_and_refuses_a_second_time(void **state)
{
    (void)state;
    xen_pfn_t list[6];

    give_frames(D1, list, 6);
    m2p[list[0]] = 42;
    assert_int_equal(decrease(D1, list, 6, 0, DOMID_SELF), 6);
    assert_int_equal(D1->tot_pages, 0);
    for (int i = 0; i < 6; i++)
        assert_back_in_pool(list[i]);
    /* Double free: the frames are no longer D1's. */
    assert_int_equal(decrease(D1, list, 6, 0, DOMID_SELF), 0);
    /* Listed twice in one batch: the second is refused. */
    xen_pfn_t two[2];
    give_frames(D1, two, 1);
    two[1] = two[0];
    assert_int_equal(decrease(D1, two, 2, 0, DOMID_SELF), 1);
    /* What D2 gets next is clean. */
    xen_pfn_t other[6];
    assert_int_equal(increase(D2, other, 6, 0, 0, DOMID_SELF), 6);
    for (int i = 0; i < 6; i++)
        assert_owned_zeroed(D2, other[i]);
}

static void decrease_refuses_frames_not_owned(void **state)
{
    (void)state;
    xen_pfn_t mine[1], theirs[1];

    give_frames(D1, mine, 1);
    give_frames(D2, theirs, 1);
    xen_pfn_t bad[] = { theirs[0], 0 /* I/O */, FIRST_XEN + 1, FIRST_FREE + 1000,
                        NR_FRAMES, UINT64_MAX, UINT64_MAX - 1 };
    if (table[FIRST_FREE + 1000].owner == 1)
        bad[3] = FIRST_FREE + 1001;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        assert_int_equal(decrease(D1, &bad[i], 1, 0, DOMID_SELF), 0);
    /* An extent that runs past the end of memory or over a frame not
     * owned is refused whole. */
    xen_pfn_t run = NR_FRAMES - 2;
    assert_int_equal(decrease(D1, &run, 1, 2, DOMID_SELF), 0);
    run = mine[0] & ~1UL;
    assert_int_equal(decrease(D1, &run, 1, 1, DOMID_SELF), 0);
    assert_int_equal(table[mine[0]].flags, PGF_allocated);
    assert_int_equal(D1->tot_pages, 1);
    assert_int_equal(D2->tot_pages, 1);
    /* The shared_info frame the hypervisor writes to stays. */
    D1->shared_info_mfn = mine[0];
    assert_int_equal(decrease(D1, mine, 1, 0, DOMID_SELF), 0);
    D1->shared_info_mfn = INVALID_MFN;
    assert_int_equal(decrease(D1, mine, 1, 0, DOMID_SELF), 1);
}

static void decrease_refuses_page_tables_until_unpinned(void **state)
{
    (void)state;
    xen_pfn_t t[1];
    struct pt_ctx c = { D1, PT_BUDGET, NULL };

    give_frames(D1, t, 1);
    memset(mem[t[0]], 0, PAGE_SIZE);
    assert_int_equal(pt_pin(&c, t[0], PGT_l1), 0);
    assert_int_equal(decrease(D1, t, 1, 0, DOMID_SELF), 0);
    assert_int_equal(table[t[0]].owner, 1);
    /* Unpinned (its devalidation may still be queued): now it goes. */
    assert_int_equal(pt_unpin(&c, t[0]), 0);
    assert_int_equal(decrease(D1, t, 1, 0, DOMID_SELF), 1);
    assert_back_in_pool(t[0]);
    assert_int_equal(D1->tot_pages, 0);
}

static void decreased_frame_still_mapped_lives_until_unmapped(void **state)
{
    (void)state;
    xen_pfn_t f[2];
    struct pt_ctx c = { D1, PT_BUDGET, NULL };

    give_frames(D1, f, 2);
    mfn_t l1 = f[0], data = f[1];
    memset(mem[l1], 0, PAGE_SIZE);
    assert_int_equal(pt_pin(&c, l1, PGT_l1), 0);
    assert_int_equal(pt_update_entry(&c, l1 << PAGE_SHIFT,
                                     (data << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_RW, false), 0);
    /* The mapping holds it: given up, but not freed, still D1's. */
    assert_int_equal(decrease(D1, &data, 1, 0, DOMID_SELF), 1);
    assert_int_equal(table[data].owner, 1);
    assert_false(frame_is_free(&pool, data));
    assert_int_equal(D1->tot_pages, 2);
    assert_int_equal(mem[data][0], 0x5b);
    /* Not a second time. */
    assert_int_equal(decrease(D1, &data, 1, 0, DOMID_SELF), 0);
    /* The mapping goes: so does the frame, scrubbed. */
    assert_int_equal(pt_update_entry(&c, l1 << PAGE_SHIFT, 0, false), 0);
    assert_back_in_pool(data);
    assert_int_equal(D1->tot_pages, 1);
    assert_int_equal(pt_unpin(&c, l1), 0);
    assert_int_equal(pt_drain(&c), 0);
}

/* ------------------------------------------------------------ exchange */

static long exchange(struct domain *c, struct xen_memory_exchange *x)
{
    return memop(c, XENMEM_exchange, x);
}

static struct xen_memory_exchange exch(xen_pfn_t *in, uint64_t in_nr, unsigned int in_order,
                                       xen_pfn_t *out, uint64_t out_nr, unsigned int out_order,
                                       unsigned int bits)
{
    struct xen_memory_exchange x = {
        .in = resv(in, in_nr, in_order, 0, DOMID_SELF),
        .out = resv(out, out_nr, out_order, XENMEMF_address_bits(bits), DOMID_SELF),
    };
    return x;
}

static void exchange_singles_for_a_contiguous_low_extent(void **state)
{
    (void)state;
    xen_pfn_t in[8], out[1] = { 0x400 };        /* the pfn it will back */

    /* Push the pool's low frames out of reach first. */
    xen_pfn_t low[200];
    give_frames(D2, low, 200);
    give_frames(D1, in, 8);
    uint64_t before = D1->tot_pages;
    struct xen_memory_exchange x = exch(in, 8, 0, out, 1, 3, 20);
    assert_int_equal(exchange(D1, &x), 0);
    assert_int_equal(x.nr_exchanged, 8);
    assert_int_equal(D1->tot_pages, before);
    mfn_t m = out[0];
    assert_int_equal(m % 8, 0);
    assert_true(m + 8 <= (1UL << (20 - PAGE_SHIFT)));
    for (int i = 0; i < 8; i++) {
        assert_owned_zeroed(D1, m + i);
        assert_int_equal(m2p[m + i], 0x400 + i);
        assert_back_in_pool(in[i]);
    }
    /* And back: one order-3 extent for eight single frames. */
    xen_pfn_t back[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    x = exch(out, 1, 3, back, 8, 0, 0);
    assert_int_equal(exchange(D1, &x), 0);
    assert_int_equal(x.nr_exchanged, 1);
    for (int i = 0; i < 8; i++) {
        assert_owned_zeroed(D1, back[i]);
        assert_int_equal(m2p[back[i]], i + 1);
        assert_back_in_pool(m + i);
    }
    assert_int_equal(D1->tot_pages, before);
}

static void exchange_order_zero_both_sides_and_long_batches(void **state)
{
    (void)state;
    static xen_pfn_t in[1000], out[1000];

    give_frames(D1, in, 1000);
    struct xen_memory_exchange x = exch(in, 1000, 0, out, 1000, 0, 0);
    assert_int_equal(exchange(D1, &x), 0);
    assert_int_equal(restarts, 1);
    assert_int_equal(x.nr_exchanged, 1000);
    assert_int_equal(D1->tot_pages, 1000);
    for (int i = 0; i < 1000; i += 111)
        assert_owned_zeroed(D1, out[i]);
    /* Done already: nothing more happens. */
    assert_int_equal(exchange(D1, &x), 0);
    assert_int_equal(D1->tot_pages, 1000);
}

/* Nothing of a failed chunk changes hands; earlier chunks stay done. */
static void exchange_failure_changes_nothing_of_the_chunk(void **state)
{
    (void)state;
    xen_pfn_t in[4], out[2], theirs[1];

    give_frames(D1, in, 4);
    give_frames(D2, theirs, 1);
    xen_pfn_t saved[4];
    memcpy(saved, in, sizeof(in));
    /* Chunk 1 (in[2], in[3]) holds another domain's frame. */
    in[3] = theirs[0];
    struct xen_memory_exchange x = exch(in, 4, 0, out, 2, 1, 0);
    assert_int_equal(exchange(D1, &x), -EINVAL);
    assert_int_equal(x.nr_exchanged, 2);
    assert_back_in_pool(saved[0]);
    assert_owned_zeroed(D1, out[0]);
    assert_int_equal(mem[saved[2]][0], 0x5c);   /* untouched, still D1's */
    assert_int_equal(table[saved[2]].flags, PGF_allocated);
    assert_int_equal(table[theirs[0]].owner, 2);
    assert_int_equal(D1->tot_pages, 4);
    /* The same frame twice in a chunk. */
    xen_pfn_t dup[2] = { saved[2], saved[2] }, o1[1];
    x = exch(dup, 2, 0, o1, 1, 1, 0);
    assert_int_equal(exchange(D1, &x), -EINVAL);
    assert_int_equal(x.nr_exchanged, 0);
    assert_int_equal(table[saved[2]].flags, PGF_allocated);
    assert_int_equal(table[saved[2]].qnext, PAGE_LIST_NONE);
    /* No run below the limit: -ENOMEM, inputs kept. */
    xen_pfn_t pair[2] = { saved[2], saved[3] };
    x = exch(pair, 2, 0, o1, 1, 1, 13);         /* below frame 2: none */
    assert_int_equal(exchange(D1, &x), -ENOMEM);
    assert_int_equal(table[saved[3]].flags, PGF_allocated);
    /* The output list cannot be written: -EFAULT, inputs kept. */
    fault_lo = (uintptr_t)o1;
    fault_hi = fault_lo + 8;
    x = exch(pair, 2, 0, o1, 1, 1, 0);
    assert_int_equal(exchange(D1, &x), -EFAULT);
    fault_lo = fault_hi = 0;
    assert_int_equal(x.nr_exchanged, 0);
    assert_int_equal(table[saved[3]].flags, PGF_allocated);
    assert_int_equal(D1->tot_pages, 4);
    assert_int_equal(pool.nr_free, NR_FREE - 5);
}

static void exchange_refuses_frames_in_use(void **state)
{
    (void)state;
    xen_pfn_t f[2], o[1];
    struct pt_ctx c = { D1, PT_BUDGET, NULL };

    give_frames(D1, f, 2);
    memset(mem[f[0]], 0, PAGE_SIZE);
    assert_int_equal(pt_pin(&c, f[0], PGT_l1), 0);
    struct xen_memory_exchange x = exch(&f[0], 1, 0, o, 1, 0, 0);
    assert_int_equal(exchange(D1, &x), -EINVAL);
    /* Mapped (read-only even): more than the allocation holds it. */
    assert_int_equal(pt_update_entry(&c, f[0] << PAGE_SHIFT,
                                     (f[1] << PAGE_SHIFT) | _PAGE_PRESENT, false), 0);
    x = exch(&f[1], 1, 0, o, 1, 0, 0);
    assert_int_equal(exchange(D1, &x), -EINVAL);
    assert_int_equal(pt_update_entry(&c, f[0] << PAGE_SHIFT, 0, false), 0);
    /* shared_info stays. */
    D1->shared_info_mfn = f[1];
    assert_int_equal(exchange(D1, &x), -EINVAL);
    D1->shared_info_mfn = INVALID_MFN;
    assert_int_equal(exchange(D1, &x), 0);
    assert_int_equal(pt_unpin(&c, f[0]), 0);
    assert_int_equal(pt_drain(&c), 0);
    assert_int_equal(D1->tot_pages, 2);
}

static void exchange_bad_arguments(void **state)
{
    (void)state;
    xen_pfn_t in[4], out[4];

    give_frames(D1, in, 4);
    struct xen_memory_exchange x;
    /* Sizes that do not match; domids that differ; done > total. */
    x = exch(in, 4, 0, out, 1, 1, 0);
    assert_int_equal(exchange(D1, &x), -EINVAL);
    x = exch(in, 4, 0, out, 4, 0, 0);
    x.out.domid = 1;
    assert_int_equal(exchange(D1, &x), -EINVAL);
    x = exch(in, 4, 0, out, 4, 0, 0);
    x.nr_exchanged = 5;
    assert_int_equal(exchange(D1, &x), -EINVAL);
    assert_int_equal(x.nr_exchanged, 5);
    /* Counts whose size overflows. */
    x = exch(in, UINT64_MAX, 0, out, UINT64_MAX >> 1, 1, 0);
    assert_int_equal(exchange(D1, &x), -EINVAL);
    /* Orders beyond the caller's maximum: -EPERM, as Xen. */
    x = exch(in, 1, 10, out, 1024, 0, 0);
    assert_int_equal(exchange(D1, &x), -EPERM);
    x = exch(in, 1, UINT32_MAX, out, 1, UINT32_MAX, 0);
    assert_int_equal(exchange(D1, &x), -EPERM);
    /* Lists the guest cannot name. */
    x = exch((xen_pfn_t *)0xffff830000000000UL, 4, 0, out, 4, 0, 0);
    assert_int_equal(exchange(D1, &x), -EFAULT);
    x = exch(in, UINT64_MAX >> 2, 0, out, UINT64_MAX >> 2, 0, 0);
    assert_int_equal(exchange(D1, &x), -EFAULT);
    /* Unknown domain, another domain without privilege. */
    x = exch(in, 4, 0, out, 4, 0, 0);
    x.in.domid = x.out.domid = 9;
    assert_int_equal(exchange(D1, &x), -ESRCH);
    x.in.domid = x.out.domid = 2;
    assert_int_equal(exchange(D1, &x), -EPERM);
    /* A continuation start on a call that never continues. */
    x = exch(in, 4, 0, out, 4, 0, 0);
    assert_int_equal(memop(D1, XENMEM_exchange | (1UL << 6), &x), -EINVAL);
    assert_int_equal(memop(D1, XENMEM_exchange, NULL), -EFAULT);
    /* nr_exchanged cannot be written back. */
    fault_lo = (uintptr_t)&x.nr_exchanged;
    fault_hi = fault_lo + 8;
    x.in.nr_extents = 3;
    assert_int_equal(exchange(D1, &x), -EFAULT);
    fault_lo = fault_hi = 0;
    assert_int_equal(D1->tot_pages, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(table[in[i]].flags, PGF_allocated);
    /* Nothing at all to exchange. */
    x = exch(NULL, 0, 0, NULL, 0, 5, 0);
    assert_int_equal(exchange(D1, &x), 0);
    /* The control domain exchanges for another domain. */
    xen_pfn_t o2[1];
    x = exch(in, 2, 0, o2, 1, 1, 0);
    x.in.domid = x.out.domid = 1;
    assert_int_equal(exchange(D0, &x), 0);
    assert_owned_zeroed(D1, o2[0]);
    assert_int_equal(D0->tot_pages, 0);
}

static void other_memory_ops_refuse_a_start_extent(void **state)
{
    (void)state;
    domid_t self = DOMID_SELF;

    assert_int_equal(memop(D1, XENMEM_current_reservation | (1UL << 6), &self), -EINVAL);
    assert_int_equal(memop(D1, XENMEM_maximum_ram_page | (1UL << 6), NULL), -EINVAL);
    assert_int_equal(memop(D1, XENMEM_machphys_mapping | (1UL << 6), NULL), -ENOSYS);
    assert_int_equal(memop(D1, XENMEM_current_reservation, &self), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(increase_gives_zeroed_frames_and_reports_them),
        T(increase_stops_at_max_pages),
        T(long_batches_continue_and_count_from_the_start),
        T(populate_writes_mfns_and_sets_the_m2p),
        T(address_bits_limit_where_frames_come_from),
        T(bad_reservations_do_nothing),
        T(foreign_domains_need_privilege),
        T(list_fault_mid_batch_keeps_what_was_done),
        T(decrease_scrubs_and_refuses_a_second_time),
        T(decrease_refuses_frames_not_owned),
        T(decrease_refuses_page_tables_until_unpinned),
        T(decreased_frame_still_mapped_lives_until_unmapped),
        T(exchange_singles_for_a_contiguous_low_extent),
        T(exchange_order_zero_both_sides_and_long_batches),
        T(exchange_failure_changes_nothing_of_the_chunk),
        T(exchange_refuses_frames_in_use),
        T(exchange_bad_arguments),
        T(other_memory_ops_refuse_a_start_extent),
#undef T
    };
    return cmocka_run_group_tests_name("hv-memory", tests, NULL, NULL);
}
