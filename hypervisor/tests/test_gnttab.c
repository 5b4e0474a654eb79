/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the grant-table v1 core (common/grant_table.c), group
 * hv-gnttab: every implemented GNTTABOP and each of its refusals, the
 * GTF_reading / GTF_writing protocol as a guest revoking access sees it,
 * copies in both directions with their bounds, per-domain frame limits,
 * teardown leaving no reference behind, and a random run of pins, copies
 * and guest writes that checks the counts after every step.  The real
 * frame table and page-table code (mm/page.c, mm/pt.c) and the domain
 * registry run against a fake machine of NR_FRAMES frames; guest arguments
 * are host pointers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <mica/errno.h>
#include <mica/grant.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include "host_stubs.h"

/* ---------------------------------------------------------------- harness */

#define NR_FRAMES   160
#define FIRST_XEN   2       /* 0-1 I/O, 2-7 hypervisor, 8.. free */
#define FIRST_FREE  8

static _Alignas(4096) uint8_t mem[NR_FRAMES][PAGE_SIZE];
static struct page_info table[NR_FRAMES];
static int fail_frame_in;       /* n > 0: the n-th next frame allocation fails */
static unsigned int frees;

void *mm_map_frame(mfn_t mfn)
{
    assert_true(mfn < NR_FRAMES);
    return mem[mfn];
}

/* The VA form of host_addr: this L1 entry for every address but 0 (and
 * 0x1000, unmap_and_replace's new_addr, when replace_l1e is set). */
static uint64_t va_l1e, replace_l1e;

uint64_t l1e_maddr_of(const struct vcpu *v, uint64_t va)
{
    (void)v;
    if (va == 0x1000 && replace_l1e)
        return replace_l1e;
    return va ? va_l1e : 0;
}

uint64_t paging_nx_bit(void)
{
    return _PAGE_NX;
}

void arch_flush_tlb_all(void)
{
}

void mm_free_frame(mfn_t mfn)
{
    (void)mfn;
    frees++;
}

mfn_t alloc_domain_frame(struct domain *d)
{
    if (fail_frame_in > 0 && --fail_frame_in == 0)
        return INVALID_MFN;
    for (mfn_t m = FIRST_FREE; m < NR_FRAMES; m++) {
        if (table[m].owner == OWNER_FREE) {
            memset(mem[m], 0, PAGE_SIZE);
            return assign_page(d, m) ? INVALID_MFN : m;
        }
    }
    return INVALID_MFN;
}

/* dom0 (privileged), dom1, dom2 (max 4 grant frames), dom5 (no table). */
#define NR_DOMS 4
static struct domain doms[NR_DOMS];
static struct vcpu vcpus[NR_DOMS];
static const domid_t dom_ids[NR_DOMS] = { 0, 1, 2, 5 };
#define D0 (&doms[0])
#define D1 (&doms[1])
#define D2 (&doms[2])
#define D5 (&doms[3])
#define DOM_MAX_PAGES 40

static int setup(void **state)
{
    static struct memmap ram, fr;

    (void)state;
    memset(mem, 0, sizeof(mem));
    memset(doms, 0, sizeof(doms));
    live_allocs = 0;
    fail_alloc_in = fail_frame_in = 0;
    frees = 0;
    ro_arg = bad_range = NULL;
    va_l1e = 0;
    ram.nr = 1;
    ram.r[0] = (struct range){ FIRST_XEN * PAGE_SIZE, NR_FRAMES * PAGE_SIZE };
    fr.nr = 1;
    fr.r[0] = (struct range){ FIRST_FREE * PAGE_SIZE, NR_FRAMES * PAGE_SIZE };
    frame_table_init(table, NR_FRAMES, &ram, &fr);
    for (unsigned int i = 0; i < NR_DOMS; i++) {
        doms[i].domain_id = dom_ids[i];
        doms[i].is_privileged = i == 0;
        vcpus[i] = (struct vcpu){ .domain = &doms[i] };
        doms[i].vcpu0 = &vcpus[i];
        domain_mm_init(&doms[i], DOM_MAX_PAGES);
        assert_int_equal(domain_register(&doms[i]), 0);
    }
    assert_int_equal(gnttab_domain_init(D0, 0), 0);
    assert_int_equal(gnttab_domain_init(D1, 0), 0);
    assert_int_equal(gnttab_domain_init(D2, 4), 0);
    current = &vcpus[0];
    return 0;
}

/* Destroy every table, give back every frame the tests allocated, and
 * check that nothing (no reference, no heap object) was left behind. */
static int teardown(void **state)
{
    (void)state;
    for (unsigned int i = 0; i < NR_DOMS; i++) {
        struct domain *d = &doms[i];
        assert_int_equal(gnttab_domain_destroy(d), 0);
        assert_null(d->grant);
        for (mfn_t m = 0; m < NR_FRAMES; m++)
            if (table[m].owner == d->domain_id && (table[m].flags & PGF_allocated))
                assert_int_equal(release_page(d, m), 0);
        assert_int_equal(d->tot_pages, 0);
        assert_int_equal(d->max_pages, DOM_MAX_PAGES);
        domain_unregister(d);
    }
    for (mfn_t m = FIRST_FREE; m < NR_FRAMES; m++)
        assert_int_equal(table[m].owner, OWNER_FREE);
    assert_int_equal(live_allocs, 0);
    return 0;
}

/* ------------------------------------------------------------- helpers */

/* grant_table_op as the dispatcher makes it, from a[] (which a
 * continuation rewrites). */
static long gnttab_call(uint64_t *a)
{
    current->hypercall_args = a;
    return do_grant_table_op((uint32_t)a[0], a[1], (unsigned int)a[2]);
}

static long hc(struct domain *d, unsigned int cmd, const void *arg, uint64_t count)
{
    uint64_t a[HYPERCALL_MAX_ARGS] = { cmd, (uintptr_t)arg, count };

    current = d->vcpu0;
    return gnttab_call(a);
}

static mfn_t frame_of(struct domain *d)
{
    mfn_t m = alloc_domain_frame(d);
    assert_true(m != INVALID_MFN);
    return m;
}

static struct grant_entry_v1 *entry(struct domain *d, grant_ref_t ref)
{
    struct grant_entry_v1 *e = mm_map_frame(gnttab_frame(d, ref / 512));
    return &e[ref % 512];
}

/* What a front end does: frame and domid, then flags. */
static void grant(struct domain *d, grant_ref_t ref, domid_t to, mfn_t f, uint16_t flags)
{
    struct grant_entry_v1 *e = entry(d, ref);
    e->frame = (uint32_t)f;
    e->domid = to;
    __atomic_store_n(&e->flags, flags, __ATOMIC_SEQ_CST);
}

/* What Linux's gnttab_end_foreign_access_ref does (v1): cmpxchg to 0
 * unless the hypervisor has the entry in use. */
static bool revoke(struct domain *d, grant_ref_t ref)
{
    uint16_t *f = &entry(d, ref)->flags;
    uint16_t old = __atomic_load_n(f, __ATOMIC_SEQ_CST);
    for (;;) {
        if (old & (GTF_reading | GTF_writing))
            return false;
        if (__atomic_compare_exchange_n(f, &old, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            return true;
    }
}

static struct gnttab_copy cop(uint16_t flags, uint64_t s, domid_t sd, uint16_t so,
                              uint64_t dd_ref, domid_t dd, uint16_t doff, uint16_t len)
{
    struct gnttab_copy c = { .len = len, .flags = flags, .status = 77 };

    if (flags & GNTCOPY_source_gref)
        c.source.u.ref = (grant_ref_t)s;
    else
        c.source.u.gmfn = s;
    c.source.domid = sd;
    c.source.offset = so;
    if (flags & GNTCOPY_dest_gref)
        c.dest.u.ref = (grant_ref_t)dd_ref;
    else
        c.dest.u.gmfn = dd_ref;
    c.dest.domid = dd;
    c.dest.offset = doff;
    return c;
}

/* Status of one copy issued by d. */
static int copy1(struct domain *d, struct gnttab_copy c)
{
    assert_int_equal(hc(d, GNTTABOP_copy, &c, 1), 0);
    return c.status;
}

static void fill(mfn_t m, uint8_t v)
{
    memset(mem[m], v, PAGE_SIZE);
}

/* ------------------------------------------------------------ map/unmap */

/* A pinned L1 table of d, its machine address for entry i. */
static mfn_t pinned_l1(struct domain *d)
{
    struct pt_ctx c = { d, PT_BUDGET, NULL };
    mfn_t l1 = frame_of(d);
    assert_int_equal(pt_pin(&c, l1, PGT_l1), 0);
    return l1;
}

static void unpin(struct domain *d, mfn_t l1)
{
    struct pt_ctx c = { d, PT_BUDGET, NULL };
    assert_int_equal(pt_unpin(&c, l1), 0);
    assert_int_equal(pt_drain(&c), 0);
}

static uint64_t slot(mfn_t l1, unsigned int i)
{
    return ((uint64_t)l1 << PAGE_SHIFT) + i * 8;
}

static uint64_t l1e(mfn_t l1, unsigned int i)
{
    return ((uint64_t *)mem[l1])[i];
}

static struct gnttab_map_grant_ref mop(uint64_t host, uint32_t flags, grant_ref_t ref,
                                       domid_t dom)
{
    return (struct gnttab_map_grant_ref){ .host_addr = host, .flags = flags, .ref = ref,
                                          .dom = dom, .status = 77, .handle = ~0U };
}

static int map1(struct domain *d, struct gnttab_map_grant_ref *op)
{
    assert_int_equal(hc(d, GNTTABOP_map_grant_ref, op, 1), 0);
    return op->status;
}

static int unmap1(struct domain *d, uint64_t host, uint64_t dev, grant_handle_t h)
{
    struct gnttab_unmap_grant_ref u = { .host_addr = host, .dev_bus_addr = dev,
                                        .handle = h, .status = 77 };
    assert_int_equal(hc(d, GNTTABOP_unmap_grant_ref, &u, 1), 0);
    return u.status;
}

static void map_by_pte_and_unmap(void **state)
{
    (void)state;
    mfn_t f = frame_of(D1), l1 = pinned_l1(D0);
    grant(D1, 3, 0, f, GTF_permit_access);

    struct gnttab_map_grant_ref op = mop(slot(l1, 5), GNTMAP_host_map | GNTMAP_contains_pte |
                                         (5U << _GNTMAP_guest_avail0), 3, 1);
    assert_int_equal(map1(D0, &op), GNTST_okay);
    assert_int_equal(op.handle, 0);
    /* XENFEAT_gnttab_map_avail_bits: the guest's bits in PTE bits 9-11;
     * never executable. */
    assert_int_equal((l1e(l1, 5) >> 9) & 7, 5);
    assert_true(l1e(l1, 5) & _PAGE_NX);
    assert_true(l1e(l1, 5) & _PAGE_PRESENT);
    assert_true(l1e(l1, 5) & _PAGE_RW);
    assert_int_equal(pte_mfn(l1e(l1, 5)), f);
    assert_int_equal(entry(D1, 3)->flags, GTF_permit_access | GTF_reading | GTF_writing);
    assert_int_equal(table[f].type, PGT_writable);
    assert_int_equal(table[f].type_count, 2);       /* the pin and the PTE */
    assert_false(revoke(D1, 3));
    /* The frame cannot become a page table while mapped. */
    struct pt_ctx c1 = { D1, PT_BUDGET, NULL };
    assert_int_equal(pt_pin(&c1, f, PGT_l1), -EINVAL);

    /* Unmap: a wrong address, then the right one, then again. */
    assert_int_equal(unmap1(D0, slot(l1, 6), 0, op.handle), GNTST_general_error);
    assert_int_equal(unmap1(D0, slot(l1, 5), 0, 7), GNTST_bad_handle);
    assert_int_equal(unmap1(D0, slot(l1, 5), 0, op.handle), GNTST_okay);
    assert_int_equal(l1e(l1, 5), 0);
    assert_int_equal(table[f].type_count, 0);
    assert_int_equal(entry(D1, 3)->flags, GTF_permit_access);
    assert_int_equal(unmap1(D0, slot(l1, 5), 0, op.handle), GNTST_bad_handle);
    assert_true(revoke(D1, 3));
    unpin(D0, l1);
}

static void map_read_only_by_va_and_device(void **state)
{
    (void)state;
    mfn_t f = frame_of(D1), l1 = pinned_l1(D0);
    grant(D1, 4, 0, f, GTF_permit_access | GTF_readonly);
    va_l1e = slot(l1, 9);

    struct gnttab_map_grant_ref w = mop(0x1000, GNTMAP_host_map, 4, 1);
    assert_int_equal(map1(D0, &w), GNTST_general_error);     /* read-only grant */
    assert_int_equal(entry(D1, 4)->flags, GTF_permit_access | GTF_readonly);
    assert_int_equal(l1e(l1, 9), 0);

    struct gnttab_map_grant_ref r = mop(0x1000, GNTMAP_host_map | GNTMAP_readonly |
                                        GNTMAP_device_map, 4, 1);
    assert_int_equal(map1(D0, &r), GNTST_okay);
    assert_int_equal(r.dev_bus_addr, (uint64_t)f << PAGE_SHIFT);
    assert_false(l1e(l1, 9) & _PAGE_RW);
    assert_int_equal(pte_mfn(l1e(l1, 9)), f);
    assert_int_equal(entry(D1, 4)->flags, GTF_permit_access | GTF_readonly | GTF_reading);
    /* A second, device-only mapping of the same grant: another handle. */
    struct gnttab_map_grant_ref dv = mop(0, GNTMAP_device_map | GNTMAP_readonly, 4, 1);
    assert_int_equal(map1(D0, &dv), GNTST_okay);
    assert_int_not_equal(dv.handle, r.handle);

    assert_int_equal(unmap1(D0, 0, 0x5000, dv.handle), GNTST_general_error);
    assert_int_equal(unmap1(D0, 0, 0, dv.handle), GNTST_okay);      /* names nothing */
    assert_int_equal(unmap1(D0, 0x1000, 0, dv.handle), GNTST_okay); /* no host part */
    assert_int_equal(unmap1(D0, 0, r.dev_bus_addr, dv.handle), GNTST_okay);
    assert_int_equal(unmap1(D0, 0, r.dev_bus_addr, dv.handle), GNTST_bad_handle);
    /* Host and device parts go separately (XSA-224); the pin with the last. */
    assert_int_equal(unmap1(D0, 0, 0, r.handle), GNTST_okay);
    assert_int_equal(pte_mfn(l1e(l1, 9)), f);
    assert_int_equal(unmap1(D0, 0x1000, 0, r.handle), GNTST_okay);
    assert_int_equal(l1e(l1, 9), 0);
    assert_int_equal(entry(D1, 4)->flags, GTF_permit_access | GTF_readonly | GTF_reading);
    assert_int_equal(unmap1(D0, 0x1000, 0, r.handle), GNTST_okay);  /* host part gone */
    assert_int_equal(entry(D1, 4)->flags, GTF_permit_access | GTF_readonly | GTF_reading);
    assert_int_equal(unmap1(D0, 0, r.dev_bus_addr, r.handle), GNTST_okay);
    assert_int_equal(entry(D1, 4)->flags, GTF_permit_access | GTF_readonly);
    assert_int_equal(unmap1(D0, 0, r.dev_bus_addr, r.handle), GNTST_bad_handle);
    unpin(D0, l1);
}

static void map_refusals(void **state)
{
    (void)state;
    mfn_t f = frame_of(D1), l1 = pinned_l1(D0), plain = frame_of(D0);
    grant(D1, 5, 0, f, GTF_permit_access);
    grant(D1, 6, 2, f, GTF_permit_access);          /* to dom2 */
    uint32_t pte = GNTMAP_host_map | GNTMAP_contains_pte;

    struct gnttab_map_grant_ref op = mop(slot(l1, 1), 0, 5, 1);
    assert_int_equal(map1(D0, &op), GNTST_general_error);               /* no map kind */
    op = mop(slot(l1, 1), pte | (1U << 8), 5, 1);
    assert_int_equal(map1(D0, &op), GNTST_general_error);               /* unknown flag */
    op = mop(slot(l1, 1), pte, 6, 1);
    assert_int_equal(map1(D0, &op), GNTST_general_error);               /* not ours */
    op = mop(slot(l1, 1), pte, 1U << 20, 1);
    assert_int_equal(map1(D0, &op), GNTST_bad_gntref);
    op = mop(slot(l1, 1), pte, 5, 9);
    assert_int_equal(map1(D0, &op), GNTST_bad_domain);
    op = mop(slot(plain, 1), pte, 5, 1);
    assert_int_equal(map1(D0, &op), GNTST_general_error);               /* not an L1 */
    op = mop(slot(l1, 1) + 3, pte, 5, 1);
    assert_int_equal(map1(D0, &op), GNTST_general_error);               /* misaligned */
    op = mop(slot(f, 1), pte, 5, 1);
    assert_int_equal(map1(D0, &op), GNTST_general_error);               /* D1's frame */
    op = mop(0x2000, GNTMAP_host_map, 5, 1);                            /* va_l1e = 0 */
    assert_int_equal(map1(D0, &op), GNTST_general_error);
    assert_int_equal(entry(D1, 5)->flags, GTF_permit_access);           /* nothing held */
    assert_int_equal(table[f].type_count, 0);
    assert_int_equal(mem[plain][8], 0);

    /* Results that cannot be written: nothing is mapped. */
    op = mop(slot(l1, 1), pte, 5, 1);
    ro_arg = &op;
    assert_int_equal(hc(D0, GNTTABOP_map_grant_ref, &op, 1), -EFAULT);
    assert_int_equal(l1e(l1, 1), 0);
    assert_int_equal(entry(D1, 5)->flags, GTF_permit_access);
    ro_arg = NULL;
    assert_int_equal(hc(D0, GNTTABOP_map_grant_ref, NULL, 1), -EFAULT);
    unpin(D0, l1);
}

static void map_replaces_and_is_overwritten(void **state)
{
    (void)state;
    mfn_t f = frame_of(D1), own = frame_of(D0), l1 = pinned_l1(D0);
    struct pt_ctx c = { D0, PT_BUDGET, NULL };
    grant(D1, 7, 0, f, GTF_permit_access);

    /* The slot maps one of D0's frames first: the map replaces it. */
    assert_int_equal(pt_update_entry(&c, slot(l1, 2),
                                     ((uint64_t)own << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_RW,
                                     false), 0);
    assert_int_equal(table[own].type_count, 1);
    struct gnttab_map_grant_ref op = mop(slot(l1, 2), GNTMAP_host_map | GNTMAP_contains_pte,
                                         7, 1);
    assert_int_equal(map1(D0, &op), GNTST_okay);
    assert_int_equal(table[own].type_count, 0);
    assert_int_equal(pte_mfn(l1e(l1, 2)), f);

    /* The guest overwrites the grant PTE itself: the PTE's references go,
     * the pin stays (unmap no longer matches) until D0's table goes. */
    assert_int_equal(pt_update_entry(&c, slot(l1, 2), 0, false), 0);
    assert_int_equal(table[f].type_count, 1);
    assert_int_equal(unmap1(D0, slot(l1, 2), 0, op.handle), GNTST_general_error);
    assert_false(revoke(D1, 7));
    assert_int_equal(gnttab_domain_destroy(D1), -EBUSY);
    assert_int_equal(gnttab_domain_destroy(D0), 0);     /* releases its pins */
    assert_int_equal(table[f].type_count, 0);
    assert_true(revoke(D1, 7));
    unpin(D0, l1);
}

/* unmap_and_replace, in XSA-234's shape: a read-only grant mapping is
 * replaced by the entry of another slot -- a writable grant mapping --
 * which moves there with its references and leaves its slot empty.  The
 * moved grant can no longer be unmapped by its old slot, even when the
 * guest maps the frame there again read-only: its write pin stays. */
static void unmap_and_replace_moves_the_entry(void **state)
{
    (void)state;
    mfn_t f = frame_of(D1), g = frame_of(D1), l1 = pinned_l1(D0);
    grant(D1, 5, 0, f, GTF_permit_access);
    grant(D1, 6, 0, g, GTF_permit_access);

    struct gnttab_map_grant_ref w = mop(slot(l1, 1), GNTMAP_host_map | GNTMAP_contains_pte, 5, 1);
    struct gnttab_map_grant_ref r = mop(slot(l1, 2), GNTMAP_host_map | GNTMAP_contains_pte |
                                        GNTMAP_readonly, 6, 1);
    assert_int_equal(map1(D0, &w), GNTST_okay);
    assert_int_equal(map1(D0, &r), GNTST_okay);
    assert_int_equal(table[f].type_count, 2);               /* pin and PTE */

    /* With GNTMAP_contains_pte there is no replacing, as in Xen. */
    struct gnttab_unmap_and_replace ur = { .host_addr = slot(l1, 2), .new_addr = 0x1000,
                                           .handle = r.handle, .status = 77 };
    replace_l1e = slot(l1, 1);
    assert_int_equal(hc(D0, GNTTABOP_unmap_and_replace, &ur, 1), 0);
    assert_int_equal(ur.status, GNTST_general_error);

    /* Map g read-only by VA, then replace it with the entry at new_addr. */
    assert_int_equal(unmap1(D0, slot(l1, 2), 0, r.handle), GNTST_okay);
    r = mop(0x2000, GNTMAP_host_map | GNTMAP_readonly, 6, 1);
    va_l1e = slot(l1, 2);
    assert_int_equal(map1(D0, &r), GNTST_okay);
    ur = (struct gnttab_unmap_and_replace){ .host_addr = 0x2000, .new_addr = 0x1000,
                                            .handle = r.handle, .status = 77 };
    assert_int_equal(hc(D0, GNTTABOP_unmap_and_replace, &ur, 1), 0);
    replace_l1e = 0;
    assert_int_equal(ur.status, GNTST_okay);
    assert_int_equal(l1e(l1, 1), 0);
    assert_int_equal(pte_mfn(l1e(l1, 2)), f);               /* f's PTE moved */
    assert_true(l1e(l1, 2) & _PAGE_RW);
    assert_int_equal(table[f].type_count, 2);               /* its references with it */
    assert_int_equal(entry(D1, 6)->flags, GTF_permit_access);   /* g's pin gone */

    /* Unmapping the writable grant by its old slot fails: f keeps its
     * writable references; by the slot it moved to it goes. */
    assert_int_equal(unmap1(D0, slot(l1, 1), 0, w.handle), GNTST_general_error);
    assert_int_equal(table[f].type_count, 2);
    assert_int_equal(unmap1(D0, slot(l1, 2), 0, w.handle), GNTST_okay);
    assert_int_equal(table[f].type_count, 0);
    assert_int_equal(entry(D1, 5)->flags, GTF_permit_access);
    unpin(D0, l1);
}

static void map_many_and_batches(void **state)
{
    (void)state;
    static struct gnttab_map_grant_ref ops[100];
    static struct gnttab_unmap_grant_ref uops[100];
    mfn_t f = frame_of(D1);
    grant(D1, 8, 0, f, GTF_permit_access);

    for (unsigned int i = 0; i < 100; i++)
        ops[i] = mop(0, GNTMAP_device_map, 8, 1);
    /* 100 operations: a continuation after GNTTAB_BATCH. */
    uint64_t a[HYPERCALL_MAX_ARGS] = { GNTTABOP_map_grant_ref, (uintptr_t)ops, 100 };
    current = D0->vcpu0;
    long rc;
    while ((rc = gnttab_call(a)) == -ERESTART)
        ;
    assert_int_equal(rc, 0);
    for (unsigned int i = 0; i < 100; i++) {
        assert_int_equal(ops[i].status, GNTST_okay);
        uops[i] = (struct gnttab_unmap_grant_ref){ .handle = ops[i].handle,
                                                   .dev_bus_addr = ops[i].dev_bus_addr };
    }
    assert_int_equal(table[f].type_count, 100);
    a[0] = GNTTABOP_unmap_grant_ref, a[1] = (uintptr_t)uops, a[2] = 100;
    while ((rc = gnttab_call(a)) == -ERESTART)
        ;
    assert_int_equal(rc, 0);
    for (unsigned int i = 0; i < 100; i++)
        assert_int_equal(uops[i].status, GNTST_okay);
    assert_int_equal(table[f].type_count, 0);
    assert_int_equal(entry(D1, 8)->flags, GTF_permit_access);
}

/* ------------------------------------------------------------ init/destroy */

static void init_gives_one_owned_writable_frame(void **state)
{
    (void)state;
    assert_int_equal(gnttab_nr_frames(D1), GNTTAB_INITIAL_FRAMES);
    assert_int_equal(gnttab_max_frames(D1), GNTTAB_DEFAULT_MAX_FRAMES);
    assert_int_equal(gnttab_max_frames(D2), 4);
    mfn_t f = gnttab_frame(D1, 0);
    assert_true(f != INVALID_MFN);
    assert_true(gnttab_frame(D1, 1) == INVALID_MFN);
    assert_true(gnttab_frame(D5, 0) == INVALID_MFN);
    assert_int_equal(gnttab_nr_frames(D5), 0);
    struct page_info *pg = &table[f];
    assert_int_equal(pg->owner, 1);
    assert_int_equal(pg->count, 2);             /* allocation + the table */
    assert_int_equal(pg->type, PGT_writable);
    assert_int_equal(pg->type_count, 1);
    assert_int_equal(D1->tot_pages, 1);
    assert_int_equal(D1->max_pages, DOM_MAX_PAGES + 1);     /* not charged */
    /* A grant frame can never become a page table. */
    struct pt_ctx c = { D1, PT_BUDGET, NULL };
    assert_int_equal(pt_pin(&c, f, PGT_l1), -EINVAL);
}

static void init_refusals(void **state)
{
    (void)state;
    assert_int_equal(gnttab_domain_init(D5, GNTTAB_MAX_FRAMES + 1), -EINVAL);
    assert_null(D5->grant);
    fail_alloc_in = 1;                  /* the table itself */
    assert_int_equal(gnttab_domain_init(D5, 0), -ENOMEM);
    assert_null(D5->grant);
    fail_alloc_in = 2;                  /* the first active page */
    assert_int_equal(gnttab_domain_init(D5, 0), -ENOMEM);
    fail_alloc_in = 3;                  /* the second active page */
    assert_int_equal(gnttab_domain_init(D5, 0), -ENOMEM);
    fail_frame_in = 1;                  /* the frame */
    assert_int_equal(gnttab_domain_init(D5, 0), -ENOMEM);
    assert_null(D5->grant);
    assert_int_equal(D5->tot_pages, 0);
    assert_int_equal(D5->max_pages, DOM_MAX_PAGES);
    assert_int_equal(live_allocs, 3 * 3);   /* D0-D2: table + 2 active pages */
    /* Allowed again once memory is back. */
    assert_int_equal(gnttab_domain_init(D5, 1), 0);
    assert_int_equal(gnttab_max_frames(D5), 1);
}

static void destroy_refused_while_pinned(void **state)
{
    (void)state;
    mfn_t f = frame_of(D1), got;
    grant(D1, 8, 0, f, GTF_permit_access);
    assert_int_equal(gnttab_acquire(D1, 8, D0, false, &got), GNTST_okay);
    assert_int_equal(gnttab_domain_destroy(D1), -EBUSY);
    assert_non_null(D1->grant);
    gnttab_release(D1, 8, false);
    assert_int_equal(gnttab_domain_destroy(D1), 0);
    assert_int_equal(gnttab_domain_destroy(D1), 0);     /* NULL is fine */
}

static void destroy_with_frame_still_mapped(void **state)
{
    (void)state;
    mfn_t g = gnttab_frame(D1, 0);
    /* The guest maps its grant frame (a PTE's general reference). */
    assert_true(get_page(&table[g], D1));
    unsigned int before = frees;
    assert_int_equal(gnttab_domain_destroy(D1), 0);
    assert_int_equal(frees, before);           /* still mapped: kept */
    assert_int_equal(table[g].owner, 1);
    assert_int_equal(table[g].type_count, 0);
    put_page(&table[g]);                        /* the PTE goes */
    assert_int_equal(frees, before + 1);
    assert_int_equal(table[g].owner, OWNER_FREE);
}

static void destroy_after_guest_gave_frame_back(void **state)
{
    (void)state;
    mfn_t g = gnttab_frame(D1, 0);
    assert_int_equal(release_page(D1, g), 0);   /* decrease_reservation */
    assert_int_equal(table[g].owner, 1);        /* the table still holds it */
    assert_int_equal(table[g].count, 1);
    unsigned int before = frees;
    assert_int_equal(gnttab_domain_destroy(D1), 0);
    assert_int_equal(frees, before + 1);
}

/* ------------------------------------------------------ setup/query/version */

static void query_size_all_cases(void **state)
{
    (void)state;
    struct gnttab_query_size q = { .dom = DOMID_SELF, .status = 99 };
    assert_int_equal(hc(D1, GNTTABOP_query_size, &q, 1), 0);
    assert_int_equal(q.status, GNTST_okay);
    assert_int_equal(q.nr_frames, 1);
    assert_int_equal(q.max_nr_frames, GNTTAB_DEFAULT_MAX_FRAMES);

    q = (struct gnttab_query_size){ .dom = 2 };
    assert_int_equal(hc(D0, GNTTABOP_query_size, &q, 1), 0);   /* privileged */
    assert_int_equal(q.status, GNTST_okay);
    assert_int_equal(q.max_nr_frames, 4);

    q = (struct gnttab_query_size){ .dom = 2 };
    assert_int_equal(hc(D1, GNTTABOP_query_size, &q, 1), 0);
    assert_int_equal(q.status, GNTST_permission_denied);
    q = (struct gnttab_query_size){ .dom = 1 };
    assert_int_equal(hc(D1, GNTTABOP_query_size, &q, 1), 0);   /* own id */
    assert_int_equal(q.status, GNTST_okay);
    q = (struct gnttab_query_size){ .dom = 9 };
    assert_int_equal(hc(D0, GNTTABOP_query_size, &q, 1), 0);
    assert_int_equal(q.status, GNTST_bad_domain);
    q = (struct gnttab_query_size){ .dom = 5 };                 /* no table */
    assert_int_equal(hc(D0, GNTTABOP_query_size, &q, 1), 0);
    assert_int_equal(q.status, GNTST_bad_domain);

    assert_int_equal(hc(D1, GNTTABOP_query_size, &q, 0), -EINVAL);
    assert_int_equal(hc(D1, GNTTABOP_query_size, &q, 2), -EINVAL);
    assert_int_equal(hc(D1, GNTTABOP_query_size, NULL, 1), -EFAULT);
    ro_arg = &q;
    assert_int_equal(hc(D1, GNTTABOP_query_size, &q, 1), -EFAULT);
}

static void setup_table_grows_and_returns_frames(void **state)
{
    (void)state;
    xen_pfn_t list[8];
    memset(list, 0xff, sizeof(list));
    struct gnttab_setup_table s = { .dom = DOMID_SELF, .nr_frames = 4, .status = 99 };
    s.frame_list.p = list;
    assert_int_equal(hc(D1, GNTTABOP_setup_table, &s, 1), 0);
    assert_int_equal(s.status, GNTST_okay);
    assert_int_equal(gnttab_nr_frames(D1), 4);
    for (unsigned int i = 0; i < 4; i++) {
        assert_int_equal(list[i], gnttab_frame(D1, i));
        assert_int_equal(table[list[i]].owner, 1);
        assert_int_equal(table[list[i]].type, PGT_writable);
        for (unsigned int j = 0; j < i; j++)
            assert_true(list[i] != list[j]);
    }
    assert_true(list[4] == (xen_pfn_t)-1);      /* nothing past nr_frames */
    assert_int_equal(D1->max_pages, DOM_MAX_PAGES + 4);

    /* Smaller: never shrinks, returns the first frames. */
    xen_pfn_t first = list[0];
    memset(list, 0, sizeof(list));
    s = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 1 };
    s.frame_list.p = list;
    assert_int_equal(hc(D1, GNTTABOP_setup_table, &s, 1), 0);
    assert_int_equal(s.status, GNTST_okay);
    assert_int_equal(list[0], first);
    assert_int_equal(list[1], 0);
    assert_int_equal(gnttab_nr_frames(D1), 4);

    /* nr_frames 0: nothing to do. */
    s = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 0 };
    assert_int_equal(hc(D1, GNTTABOP_setup_table, &s, 1), 0);
    assert_int_equal(s.status, GNTST_okay);

    /* The toolstack's form: dom0 sets up a guest's table. */
    s = (struct gnttab_setup_table){ .dom = 2, .nr_frames = 1 };
    s.frame_list.p = list;
    assert_int_equal(hc(D0, GNTTABOP_setup_table, &s, 1), 0);
    assert_int_equal(s.status, GNTST_okay);
    assert_int_equal(list[0], gnttab_frame(D2, 0));
}

static void setup_table_refusals(void **state)
{
    (void)state;
    xen_pfn_t list[8];
    struct gnttab_setup_table s = { .dom = DOMID_SELF, .nr_frames = 5 };
    s.frame_list.p = list;
    assert_int_equal(hc(D2, GNTTABOP_setup_table, &s, 1), 0);   /* max is 4 */
    assert_int_equal(s.status, GNTST_general_error);
    assert_int_equal(gnttab_nr_frames(D2), 1);
    s.nr_frames = 4;
    assert_int_equal(hc(D2, GNTTABOP_setup_table, &s, 1), 0);
    assert_int_equal(s.status, GNTST_okay);
    s.nr_frames = 0xffffffffu;
    assert_int_equal(hc(D2, GNTTABOP_setup_table, &s, 1), 0);
    assert_int_equal(s.status, GNTST_general_error);

    s = (struct gnttab_setup_table){ .dom = 2, .nr_frames = 1 };
    s.frame_list.p = list;
    assert_int_equal(hc(D1, GNTTABOP_setup_table, &s, 1), 0);
    assert_int_equal(s.status, GNTST_permission_denied);
    s.dom = 9;
    assert_int_equal(hc(D0, GNTTABOP_setup_table, &s, 1), 0);
    assert_int_equal(s.status, GNTST_bad_domain);

    /* Argument faults. */
    s = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 1 };
    s.frame_list.p = list;
    assert_int_equal(hc(D1, GNTTABOP_setup_table, &s, 2), -EINVAL);
    assert_int_equal(hc(D1, GNTTABOP_setup_table, NULL, 1), -EFAULT);
    bad_range = list;
    assert_int_equal(hc(D1, GNTTABOP_setup_table, &s, 1), -EFAULT);
    bad_range = NULL;
    ro_arg = &list[1];                          /* second MFN cannot be written */
    s.nr_frames = 2;
    assert_int_equal(hc(D1, GNTTABOP_setup_table, &s, 1), 0);
    assert_int_equal(s.status, GNTST_bad_virt_addr);
    ro_arg = &s.status;
    assert_int_equal(hc(D1, GNTTABOP_setup_table, &s, 1), -EFAULT);
    ro_arg = NULL;

    /* Out of memory while growing: the frames added so far stay. */
    s = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 6 };
    s.frame_list.p = list;
    fail_frame_in = 2;                          /* frame 3 of D1 (2 exist) */
    assert_int_equal(hc(D1, GNTTABOP_setup_table, &s, 1), 0);
    assert_int_equal(s.status, GNTST_general_error);
    assert_int_equal(gnttab_nr_frames(D1), 3);
    fail_alloc_in = 1;
    assert_int_equal(hc(D1, GNTTABOP_setup_table, &s, 1), 0);
    assert_int_equal(s.status, GNTST_general_error);
    assert_int_equal(gnttab_nr_frames(D1), 3);
    assert_int_equal(hc(D1, GNTTABOP_setup_table, &s, 1), 0);
    assert_int_equal(s.status, GNTST_okay);
    assert_int_equal(gnttab_nr_frames(D1), 6);
}

static void versions(void **state)
{
    (void)state;
    struct gnttab_set_version sv = { .version = 1 };
    assert_int_equal(hc(D1, GNTTABOP_set_version, &sv, 1), 0);
    assert_int_equal(sv.version, 1);
    sv.version = 0;
    assert_int_equal(hc(D1, GNTTABOP_set_version, &sv, 1), -EINVAL);
    assert_int_equal(sv.version, 1);
    sv.version = 3;
    assert_int_equal(hc(D1, GNTTABOP_set_version, &sv, 1), -EINVAL);
    assert_int_equal(hc(D1, GNTTABOP_set_version, &sv, 2), -EINVAL);
    assert_int_equal(hc(D1, GNTTABOP_set_version, NULL, 1), -EFAULT);
    ro_arg = &sv;
    assert_int_equal(hc(D1, GNTTABOP_set_version, &sv, 1), -EFAULT);
    ro_arg = NULL;

    struct gnttab_get_version gv = { .dom = DOMID_SELF, .version = 7 };
    assert_int_equal(hc(D1, GNTTABOP_get_version, &gv, 1), 0);
    assert_int_equal(gv.version, 1);
    gv = (struct gnttab_get_version){ .dom = 1, .version = 7 };
    assert_int_equal(hc(D0, GNTTABOP_get_version, &gv, 1), 0);
    assert_int_equal(gv.version, 1);
    gv.dom = 0;
    assert_int_equal(hc(D1, GNTTABOP_get_version, &gv, 1), -EPERM);
    gv.dom = 9;
    assert_int_equal(hc(D0, GNTTABOP_get_version, &gv, 1), -ESRCH);
    gv.dom = DOMID_SELF;
    assert_int_equal(hc(D1, GNTTABOP_get_version, &gv, 2), -EINVAL);
    assert_int_equal(hc(D1, GNTTABOP_get_version, NULL, 1), -EFAULT);
    ro_arg = &gv;
    assert_int_equal(hc(D1, GNTTABOP_get_version, &gv, 1), -EFAULT);
}

/* Version 2: 16-byte entries, status bits in status frames the guest gets
 * from get_status_frames; the reserved entries survive a switch, the rest
 * is cleared; no switch while anything is pinned, and none back to 1 while
 * the guest holds a status frame (XSA-255). */
static void version_2_entries_status_frames_and_switching(void **state)
{
    (void)state;
    mfn_t f = frame_of(D1), got = 0, l1 = pinned_l1(D1);
    struct pt_ctx c = { D1, PT_BUDGET, NULL };
    uint64_t sf[2] = { 0, 0 };
    struct gnttab_get_status_frames gs = { .nr_frames = 1, .dom = DOMID_SELF,
                                           .frame_list.p = sf, .status = 77 };
    struct gnttab_set_version sv = { .version = 2 };

    grant(D1, 1, 0, f, GTF_permit_access);              /* a reserved entry */
    grant(D1, 9, 0, f, GTF_permit_access);
    assert_int_equal(hc(D1, GNTTABOP_get_status_frames, &gs, 1), 0);
    assert_int_equal(gs.status, GNTST_general_error);   /* none in version 1 */

    /* Pinned: no switch. */
    assert_int_equal(gnttab_acquire(D1, 9, D0, false, &got), GNTST_okay);
    assert_int_equal(hc(D1, GNTTABOP_set_version, &sv, 1), -EBUSY);
    assert_int_equal(sv.version, 1);
    gnttab_release(D1, 9, false);

    sv.version = 2;
    assert_int_equal(hc(D1, GNTTABOP_set_version, &sv, 1), 0);
    assert_int_equal(sv.version, 2);
    struct gnttab_get_version gv = { .dom = DOMID_SELF };
    assert_int_equal(hc(D1, GNTTABOP_get_version, &gv, 1), 0);
    assert_int_equal(gv.version, 2);
    union grant_entry_v2 *v2 = mm_map_frame(gnttab_frame(D1, 0));
    assert_int_equal(v2[1].hdr.flags, GTF_permit_access);       /* carried over */
    assert_int_equal(v2[1].full_page.frame, f);
    assert_int_equal(v2[9].hdr.flags, 0);                       /* cleared */
    gs.status = 77;
    assert_int_equal(hc(D1, GNTTABOP_get_status_frames, &gs, 1), 0);
    assert_int_equal(gs.status, GNTST_okay);
    assert_true(sf[0] != 0);
    gs.nr_frames = 2;
    assert_int_equal(hc(D1, GNTTABOP_get_status_frames, &gs, 1), 0);
    assert_int_equal(gs.status, GNTST_general_error);           /* only one */
    gs.nr_frames = 1;
    grant_status_t *st = mm_map_frame(sf[0]);

    /* A pin sets the status bits, not the flags; a write pin both. */
    v2[200].full_page.frame = f;
    v2[200].hdr.domid = 0;
    v2[200].hdr.flags = GTF_permit_access;
    assert_int_equal(gnttab_acquire(D1, 200, D0, true, &got), GNTST_okay);
    assert_int_equal(got, f);
    assert_int_equal(st[200], GTF_reading | GTF_writing);
    assert_int_equal(v2[200].hdr.flags, GTF_permit_access);
    assert_int_equal(table[f].type_count, 1);
    assert_int_equal(hc(D1, GNTTABOP_set_version, &(struct gnttab_set_version){ 1 }, 1),
                     -EBUSY);
    gnttab_release(D1, 200, true);
    assert_int_equal(st[200], 0);
    assert_int_equal(table[f].type_count, 0);
    /* Entries past version 2's 256 per frame, read-only, revoked ones. */
    assert_int_equal(gnttab_acquire(D1, 256 * 1, D0, false, &got), GNTST_bad_gntref);
    v2[200].hdr.flags = GTF_permit_access | GTF_readonly;
    assert_int_equal(gnttab_acquire(D1, 200, D0, true, &got), GNTST_general_error);
    assert_int_equal(st[200], 0);
    v2[200].hdr.flags = 0;
    assert_int_equal(gnttab_acquire(D1, 200, D0, false, &got), GNTST_general_error);
    v2[200].full_page.frame = 1UL << 40;                        /* no such frame */
    v2[200].hdr.flags = GTF_permit_access;
    assert_int_equal(gnttab_acquire(D1, 200, D0, false, &got), GNTST_general_error);
    assert_int_equal(st[200], 0);

    /* The guest maps its status frame: no way back to 1 until it stops. */
    assert_int_equal(pt_update_entry(&c, slot(l1, 3), (sf[0] << PAGE_SHIFT) | _PAGE_PRESENT,
                                     false), 0);
    sv.version = 1;
    assert_int_equal(hc(D1, GNTTABOP_set_version, &sv, 1), -EBUSY);
    assert_int_equal(sv.version, 2);
    assert_int_equal(pt_update_entry(&c, slot(l1, 3), 0, false), 0);
    sv.version = 1;
    assert_int_equal(hc(D1, GNTTABOP_set_version, &sv, 1), 0);
    assert_int_equal(sv.version, 1);
    assert_int_equal(entry(D1, 1)->flags, GTF_permit_access);   /* carried back */
    assert_int_equal(entry(D1, 1)->frame, f);
    assert_int_equal(table[sf[0]].owner, OWNER_FREE);           /* the status frame went */
    unpin(D1, l1);
}

static void unknown_ops_and_no_table(void **state)
{
    (void)state;
    uint8_t arg[64] = { 0 };
    static const unsigned int nosys[] = {
        GNTTABOP_dump_table,
        GNTTABOP_transfer,
        GNTTABOP_swap_grant_ref, GNTTABOP_cache_flush, 13, 0xffffffffu,
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(nosys); i++)
        assert_int_equal(hc(D1, nosys[i], arg, 1), -ENOSYS);
    assert_int_equal(hc(D5, GNTTABOP_query_size, arg, 1), -ENOSYS);
    assert_int_equal(hc(D1, GNTTABOP_copy, arg, 0x80000000u), -EINVAL);
    assert_int_equal(hc(D1, GNTTABOP_copy, arg, 0), 0);
}

/* ------------------------------------------------------------------ pins */

static void pin_protocol_and_revoke(void **state)
{
    (void)state;
    mfn_t f = frame_of(D1), got = 0;
    uint32_t count0 = table[f].count;

    grant(D1, 10, 0, f, GTF_permit_access);
    assert_int_equal(gnttab_acquire(D1, 10, D0, false, &got), GNTST_okay);
    assert_int_equal(got, f);
    assert_int_equal(entry(D1, 10)->flags, GTF_permit_access | GTF_reading);
    assert_int_equal(table[f].count, count0 + 1);
    assert_int_equal(table[f].type_count, 0);
    assert_false(revoke(D1, 10));               /* in use: revoke fails */

    /* A write pin joins: writing set, writable type taken. */
    assert_int_equal(gnttab_acquire(D1, 10, D0, true, &got), GNTST_okay);
    assert_int_equal(entry(D1, 10)->flags, GTF_permit_access | GTF_reading | GTF_writing);
    assert_int_equal(table[f].count, count0 + 2);
    assert_int_equal(table[f].type, PGT_writable);
    assert_int_equal(table[f].type_count, 1);
    /* The frame can no longer become a page table. */
    struct pt_ctx c = { D1, PT_BUDGET, NULL };
    assert_int_equal(pt_pin(&c, f, PGT_l1), -EINVAL);

    /* The guest changes the frame while pinned: ignored until idle. */
    mfn_t f2 = frame_of(D1);
    entry(D1, 10)->frame = (uint32_t)f2;
    assert_int_equal(gnttab_acquire(D1, 10, D0, false, &got), GNTST_okay);
    assert_int_equal(got, f);
    gnttab_release(D1, 10, false);

    /* Another grantee may not share the pinned entry. */
    assert_int_equal(gnttab_acquire(D1, 10, D2, false, &got), GNTST_general_error);

    gnttab_release(D1, 10, true);
    assert_int_equal(entry(D1, 10)->flags, GTF_permit_access | GTF_reading);
    assert_int_equal(table[f].type_count, 0);
    assert_false(revoke(D1, 10));
    gnttab_release(D1, 10, false);
    assert_int_equal(entry(D1, 10)->flags, GTF_permit_access);
    assert_int_equal(table[f].count, count0);
    assert_true(revoke(D1, 10));                /* idle: revoke succeeds */
    assert_int_equal(entry(D1, 10)->flags, 0);
    /* Revoked: no new pin. */
    assert_int_equal(gnttab_acquire(D1, 10, D0, false, &got), GNTST_general_error);
    assert_int_equal(entry(D1, 10)->flags, 0);
}

static void pin_refusals_leave_nothing(void **state)
{
    (void)state;
    mfn_t f = frame_of(D1), other = frame_of(D2), got = 12345;
    uint32_t count0 = table[f].count;
    struct {
        uint16_t flags;
        domid_t domid;
        mfn_t frame;
        bool write;
    } bad[] = {
        { GTF_invalid, 0, f, false },
        { GTF_accept_transfer, 0, f, false },
        { GTF_transitive, 0, f, false },
        { GTF_permit_access | GTF_sub_page, 0, f, false },
        { GTF_permit_access, 2, f, false },         /* granted to someone else */
        { GTF_permit_access | GTF_readonly, 0, f, true },
        { GTF_permit_access, 0, other, false },     /* not the granter's frame */
        { GTF_permit_access, 0, 3, false },         /* the hypervisor's frame */
        { GTF_permit_access, 0, 0, false },         /* I/O */
        { GTF_permit_access, 0, 0xfffffff0u, false },   /* beyond the table */
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
        grant(D1, 20, bad[i].domid, bad[i].frame, bad[i].flags);
        assert_int_equal(gnttab_acquire(D1, 20, D0, bad[i].write, &got), GNTST_general_error);
        assert_int_equal(entry(D1, 20)->flags, bad[i].flags);   /* untouched */
    }
    assert_int_equal(got, 12345);
    assert_int_equal(table[f].count, count0);
    assert_int_equal(table[other].count, 1);

    /* Write access to a frame the granter uses as a page table. */
    struct pt_ctx c = { D1, PT_BUDGET, NULL };
    assert_int_equal(pt_pin(&c, f, PGT_l1), 0);
    grant(D1, 20, 0, f, GTF_permit_access);
    assert_int_equal(gnttab_acquire(D1, 20, D0, true, &got), GNTST_general_error);
    assert_int_equal(entry(D1, 20)->flags, GTF_permit_access);
    /* Reading it is fine. */
    assert_int_equal(gnttab_acquire(D1, 20, D0, false, &got), GNTST_okay);
    /* And a write upgrade then fails, keeping the read pin. */
    assert_int_equal(gnttab_acquire(D1, 20, D0, true, &got), GNTST_general_error);
    assert_int_equal(entry(D1, 20)->flags, GTF_permit_access | GTF_reading);
    gnttab_release(D1, 20, false);
    assert_int_equal(entry(D1, 20)->flags, GTF_permit_access);
    assert_int_equal(pt_unpin(&c, f), 0);
    assert_int_equal(pt_drain(&c), 0);

    /* References beyond the table. */
    assert_int_equal(gnttab_acquire(D1, 512, D0, false, &got), GNTST_bad_gntref);
    assert_int_equal(gnttab_acquire(D1, 0xffffffffu, D0, false, &got), GNTST_bad_gntref);
    assert_int_equal(gnttab_acquire(D5, 0, D0, false, &got), GNTST_bad_domain);
    assert_int_equal(table[f].count, count0);
}

/* ------------------------------------------------------------------ copy */

static void copy_from_grant_to_own_frame(void **state)
{
    (void)state;
    mfn_t src = frame_of(D1), dst = frame_of(D0);
    fill(src, 0xab);
    fill(dst, 0);
    grant(D1, 8, 0, src, GTF_permit_access | GTF_readonly);
    /* netback TX: copy out of a read-only grant. */
    assert_int_equal(copy1(D0, cop(GNTCOPY_source_gref, 8, 1, 100, dst, DOMID_SELF, 200, 300)),
                     GNTST_okay);
    assert_int_equal(mem[dst][199], 0);
    assert_int_equal(mem[dst][200], 0xab);
    assert_int_equal(mem[dst][499], 0xab);
    assert_int_equal(mem[dst][500], 0);
    assert_int_equal(entry(D1, 8)->flags, GTF_permit_access | GTF_readonly);
    assert_int_equal(table[src].count, 1);
    assert_int_equal(table[dst].type_count, 0);
}

static void copy_into_grant_from_own_frame(void **state)
{
    (void)state;
    mfn_t buf = frame_of(D1), own = frame_of(D0);
    fill(own, 0x5a);
    grant(D1, 9, 0, buf, GTF_permit_access);
    /* netback RX / blkback read: write into a writable grant. */
    assert_int_equal(copy1(D0, cop(GNTCOPY_dest_gref, own, DOMID_SELF, 0, 9, 1, 4000, 96)),
                     GNTST_okay);
    assert_int_equal(mem[buf][3999], 0);
    assert_int_equal(mem[buf][4000], 0x5a);
    assert_int_equal(mem[buf][4095], 0x5a);
    assert_int_equal(entry(D1, 9)->flags, GTF_permit_access);
    assert_int_equal(table[buf].type_count, 0);

    /* Read-only grant as a destination: refused, nothing written. */
    fill(buf, 0);
    grant(D1, 9, 0, buf, GTF_permit_access | GTF_readonly);
    assert_int_equal(copy1(D0, cop(GNTCOPY_dest_gref, own, DOMID_SELF, 0, 9, 1, 0, 8)),
                     GNTST_general_error);
    assert_int_equal(mem[buf][0], 0);
    assert_int_equal(entry(D1, 9)->flags, GTF_permit_access | GTF_readonly);
}

static void copy_between_two_grants(void **state)
{
    (void)state;
    mfn_t a = frame_of(D1), b = frame_of(D2);
    fill(a, 0x11);
    fill(b, 0x22);
    grant(D1, 8, 0, a, GTF_permit_access | GTF_readonly);
    grant(D2, 8, 0, b, GTF_permit_access);
    assert_int_equal(copy1(D0, cop(GNTCOPY_source_gref | GNTCOPY_dest_gref, 8, 1, 0, 8, 2, 0,
                                   PAGE_SIZE)), GNTST_okay);
    assert_int_equal(mem[b][0], 0x11);
    assert_int_equal(mem[b][4095], 0x11);
    assert_int_equal(entry(D1, 8)->flags, GTF_permit_access | GTF_readonly);
    assert_int_equal(entry(D2, 8)->flags, GTF_permit_access);

    /* The same entry on both sides (read and write pin), overlapping. */
    for (unsigned int i = 0; i < 16; i++)
        mem[b][i] = (uint8_t)i;
    assert_int_equal(copy1(D0, cop(GNTCOPY_source_gref | GNTCOPY_dest_gref, 8, 2, 0, 8, 2, 4, 8)),
                     GNTST_okay);
    for (unsigned int i = 0; i < 8; i++)
        assert_int_equal(mem[b][4 + i], i);
    assert_int_equal(entry(D2, 8)->flags, GTF_permit_access);

    /* A guest granting to itself, DOMID_SELF on the gref side. */
    mfn_t own = frame_of(D1);
    grant(D1, 11, 1, own, GTF_permit_access);
    fill(own, 0);
    assert_int_equal(copy1(D1, cop(GNTCOPY_dest_gref, a, DOMID_SELF, 0, 11, DOMID_SELF, 0, 4)),
                     GNTST_okay);
    assert_int_equal(mem[own][3], 0x11);
    /* And own frame to own frame. */
    assert_int_equal(copy1(D1, cop(0, a, DOMID_SELF, 0, own, DOMID_SELF, 8, 4)), GNTST_okay);
    assert_int_equal(mem[own][11], 0x11);
}

static void copy_bounds(void **state)
{
    (void)state;
    mfn_t g = frame_of(D1), own = frame_of(D0);
    grant(D1, 8, 0, g, GTF_permit_access);
    static const struct { uint16_t so, doff, len; int st; } cases[] = {
        { 0, 0, 0, GNTST_okay },
        { 4096, 4096, 0, GNTST_okay },
        { 0, 0, 4096, GNTST_okay },
        { 1, 0, 4096, GNTST_bad_copy_arg },
        { 0, 1, 4096, GNTST_bad_copy_arg },
        { 4095, 0, 2, GNTST_bad_copy_arg },
        { 0, 4095, 2, GNTST_bad_copy_arg },
        { 0, 0, 4097, GNTST_bad_copy_arg },
        { 0xffff, 0, 1, GNTST_bad_copy_arg },
        { 0, 0, 0xffff, GNTST_bad_copy_arg },
        { 4095, 4095, 1, GNTST_okay },
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        /* Both directions. */
        assert_int_equal(copy1(D0, cop(GNTCOPY_source_gref, 8, 1, cases[i].so, own, DOMID_SELF,
                                       cases[i].doff, cases[i].len)), cases[i].st);
        assert_int_equal(copy1(D0, cop(GNTCOPY_dest_gref, own, DOMID_SELF, cases[i].so, 8, 1,
                                       cases[i].doff, cases[i].len)), cases[i].st);
        assert_int_equal(entry(D1, 8)->flags, GTF_permit_access);
    }
}

static void copy_refusals(void **state)
{
    (void)state;
    mfn_t g = frame_of(D1), own = frame_of(D0), theirs = frame_of(D2);
    grant(D1, 8, 0, g, GTF_permit_access);
    const uint16_t S = GNTCOPY_source_gref, D = GNTCOPY_dest_gref;

    assert_int_equal(copy1(D0, cop(S | 4, 8, 1, 0, own, DOMID_SELF, 0, 1)), GNTST_bad_copy_arg);
    assert_int_equal(copy1(D0, cop(S, 512, 1, 0, own, DOMID_SELF, 0, 1)), GNTST_bad_gntref);
    assert_int_equal(copy1(D0, cop(D, own, DOMID_SELF, 0, 1u << 31, 1, 0, 1)), GNTST_bad_gntref);
    assert_int_equal(copy1(D0, cop(S, 8, 9, 0, own, DOMID_SELF, 0, 1)), GNTST_bad_domain);
    assert_int_equal(copy1(D0, cop(S, 8, 5, 0, own, DOMID_SELF, 0, 1)), GNTST_bad_domain);
    assert_int_equal(copy1(D0, cop(D, own, DOMID_SELF, 0, 8, 9, 0, 1)), GNTST_bad_domain);
    /* By-MFN sides must be DOMID_SELF, even for dom0 and even its own id. */
    assert_int_equal(copy1(D0, cop(S, 8, 1, 0, theirs, 2, 0, 1)), GNTST_permission_denied);
    assert_int_equal(copy1(D0, cop(D, theirs, 2, 0, 8, 1, 0, 1)), GNTST_permission_denied);
    assert_int_equal(copy1(D0, cop(S, 8, 1, 0, own, 0, 0, 1)), GNTST_permission_denied);
    /* By-MFN frames must be the caller's. */
    assert_int_equal(copy1(D0, cop(S, 8, 1, 0, theirs, DOMID_SELF, 0, 1)), GNTST_bad_page);
    assert_int_equal(copy1(D0, cop(D, theirs, DOMID_SELF, 0, 8, 1, 0, 1)), GNTST_bad_page);
    assert_int_equal(copy1(D0, cop(D, 3, DOMID_SELF, 0, 8, 1, 0, 1)), GNTST_bad_page);
    assert_int_equal(copy1(D0, cop(D, 1ULL << 40, DOMID_SELF, 0, 8, 1, 0, 1)), GNTST_bad_page);
    /* The grant names someone else: D2 may not use D1's grant to D0. */
    mfn_t d2own = frame_of(D2);
    assert_int_equal(copy1(D2, cop(S, 8, 1, 0, d2own, DOMID_SELF, 0, 1)), GNTST_general_error);
    /* A page-table frame of the caller as destination. */
    struct pt_ctx c = { D0, PT_BUDGET, NULL };
    assert_int_equal(pt_pin(&c, own, PGT_l1), 0);
    assert_int_equal(copy1(D0, cop(S, 8, 1, 0, own, DOMID_SELF, 0, 1)), GNTST_general_error);
    assert_int_equal(entry(D1, 8)->flags, GTF_permit_access);   /* source released */
    /* ... is fine as a source. */
    assert_int_equal(copy1(D0, cop(D, own, DOMID_SELF, 0, 8, 1, 0, 1)), GNTST_okay);
    assert_int_equal(pt_unpin(&c, own), 0);
    assert_int_equal(pt_drain(&c), 0);
    /* Source fails after nothing was taken; dest fails after source taken. */
    grant(D1, 9, 0, g, GTF_permit_access | GTF_readonly);
    assert_int_equal(copy1(D0, cop(S | D, 8, 1, 0, 9, 1, 0, 1)), GNTST_general_error);
    assert_int_equal(entry(D1, 8)->flags, GTF_permit_access);
    assert_int_equal(entry(D1, 9)->flags, GTF_permit_access | GTF_readonly);
    assert_int_equal(table[g].count, 1);
    assert_int_equal(table[g].type_count, 0);
    assert_int_equal(table[own].count, 1);
    assert_int_equal(table[own].type_count, 0);
}

static void copy_batches_and_continuation(void **state)
{
    (void)state;
    mfn_t g = frame_of(D1), own = frame_of(D0);
    grant(D1, 8, 0, g, GTF_permit_access);
    static struct gnttab_copy ops[GNTTAB_BATCH + 6];
    for (unsigned int i = 0; i < ARRAY_SIZE(ops); i++)
        ops[i] = cop(GNTCOPY_dest_gref, own, DOMID_SELF, 0, 8, 1, (uint16_t)i, 1);
    ops[3].dest.u.ref = 9999;               /* one bad op does not stop the rest */
    ops[ARRAY_SIZE(ops) - 1].len = 5000;
    for (unsigned int i = 0; i < PAGE_SIZE; i++)
        mem[own][i] = (uint8_t)(i + 1);
    fill(g, 0);

    uint64_t a[HYPERCALL_MAX_ARGS] = { GNTTABOP_copy, (uintptr_t)ops, ARRAY_SIZE(ops) };
    current = D0->vcpu0;
    assert_int_equal(gnttab_call(a), -ERESTART);
    assert_int_equal(a[1], (uintptr_t)&ops[GNTTAB_BATCH]);
    assert_int_equal(a[2], 6);
    assert_int_equal(ops[GNTTAB_BATCH].status, 77);     /* not yet run */
    assert_int_equal(gnttab_call(a), 0);
    for (unsigned int i = 0; i < ARRAY_SIZE(ops); i++) {
        int want = i == 3 ? GNTST_bad_gntref :
                   i == ARRAY_SIZE(ops) - 1 ? GNTST_bad_copy_arg : GNTST_okay;
        assert_int_equal(ops[i].status, want);
    }
    assert_int_equal(mem[g][2], 1);
    assert_int_equal(mem[g][3], 0);
    assert_int_equal(mem[g][4], 1);

    /* Faults: the op cannot be read, its status cannot be written. */
    assert_int_equal(hc(D0, GNTTABOP_copy, NULL, 1), -EFAULT);
    ro_arg = &ops[1].status;
    assert_int_equal(hc(D0, GNTTABOP_copy, ops, 2), -EFAULT);
    ro_arg = NULL;
    assert_int_equal(entry(D1, 8)->flags, GTF_permit_access);
    assert_int_equal(table[g].count, 1);
}

/* ---------------------------------------------------------- random model */

/*
 * Random pins, releases, copies, guest rewrites and revokes on a few
 * entries of D1 granted to D0.  The test keeps its own count of pins per
 * entry and checks after every step that the shared flags and every
 * frame's counts are exactly what those pins imply.
 */
#define M_REFS 4
#define M_FRAMES 3

static void model_random_run(void **state)
{
    (void)state;
    mfn_t fr[M_FRAMES], own = frame_of(D0);
    unsigned int rd[M_REFS] = { 0 }, wr[M_REFS] = { 0 };
    mfn_t pinned_frame[M_REFS];
    uint16_t gflags[M_REFS] = { 0 };     /* what the guest last wrote */

    for (unsigned int i = 0; i < M_FRAMES; i++)
        fr[i] = frame_of(D1);
    srand(1234);
    for (unsigned int step = 0; step < 20000; step++) {
        unsigned int r = (unsigned int)rand() % M_REFS, op = (unsigned int)rand() % 6;
        grant_ref_t ref = 8 + r;
        bool write = rand() & 1;
        mfn_t got;

        switch (op) {
        case 0: {                       /* guest (re)grants, if not in use */
            if (rd[r] || wr[r])
                break;
            uint16_t fl = GTF_permit_access | (rand() & 1 ? GTF_readonly : 0);
            grant(D1, ref, rand() % 4 ? 0 : 2, fr[rand() % M_FRAMES], fl);
            gflags[r] = fl;
            break;
        }
        case 1: {                       /* guest revokes */
            bool ok = revoke(D1, ref);
            assert_int_equal(ok, !(rd[r] || wr[r]));
            if (ok)
                gflags[r] = 0;
            break;
        }
        case 2:
        case 3: {                       /* pin */
            struct grant_entry_v1 *e = entry(D1, ref);
            bool pinned = rd[r] || wr[r];
            bool ok = (gflags[r] & GTF_permit_access) && e->domid == 0 &&
                      !(write && (gflags[r] & GTF_readonly)) &&
                      !(write && !pinned && table[e->frame].type != PGT_writable &&
                        table[e->frame].type_count);
            int st = gnttab_acquire(D1, ref, D0, write, &got);
            assert_int_equal(st, ok ? GNTST_okay : GNTST_general_error);
            if (ok) {
                if (!pinned)
                    pinned_frame[r] = e->frame;
                assert_int_equal(got, pinned_frame[r]);
                if (write)
                    wr[r]++;
                else
                    rd[r]++;
            }
            break;
        }
        case 4:                         /* release */
            if (write ? wr[r] : rd[r]) {
                gnttab_release(D1, ref, write);
                if (write)
                    wr[r]--;
                else
                    rd[r]--;
            }
            break;
        case 5: {                       /* a copy through the grant */
            struct gnttab_copy c = write
                ? cop(GNTCOPY_dest_gref, own, DOMID_SELF, 0, ref, 1, 0, 16)
                : cop(GNTCOPY_source_gref, ref, 1, 0, own, DOMID_SELF, 0, 16);
            int st = copy1(D0, c);
            assert_true(st == GNTST_okay || st == GNTST_general_error);
            break;
        }
        }
        /* Check: flags and counts follow the pins exactly. */
        unsigned int cnt[M_FRAMES] = { 0 }, tcnt[M_FRAMES] = { 0 };
        for (unsigned int i = 0; i < M_REFS; i++) {
            uint16_t want = gflags[i] | (rd[i] || wr[i] ? GTF_reading : 0) |
                            (wr[i] ? GTF_writing : 0);
            assert_int_equal(entry(D1, 8 + i)->flags, want);
            for (unsigned int k = 0; k < M_FRAMES; k++)
                if ((rd[i] || wr[i]) && pinned_frame[i] == fr[k]) {
                    cnt[k] += rd[i] + wr[i];
                    tcnt[k] += wr[i];
                }
        }
        for (unsigned int k = 0; k < M_FRAMES; k++) {
            assert_int_equal(table[fr[k]].count, 1 + cnt[k]);
            assert_int_equal(table[fr[k]].type_count, tcnt[k]);
        }
    }
    for (unsigned int r = 0; r < M_REFS; r++) {
        while (rd[r]--)
            gnttab_release(D1, 8 + r, false);
        while (wr[r]--)
            gnttab_release(D1, 8 + r, true);
    }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(init_gives_one_owned_writable_frame),
        T(init_refusals),
        T(destroy_refused_while_pinned),
        T(destroy_with_frame_still_mapped),
        T(destroy_after_guest_gave_frame_back),
        T(query_size_all_cases),
        T(setup_table_grows_and_returns_frames),
        T(setup_table_refusals),
        T(versions),
        T(unknown_ops_and_no_table),
        T(pin_protocol_and_revoke),
        T(pin_refusals_leave_nothing),
        T(copy_from_grant_to_own_frame),
        T(copy_into_grant_from_own_frame),
        T(copy_between_two_grants),
        T(copy_bounds),
        T(copy_refusals),
        T(copy_batches_and_continuation),
        T(map_by_pte_and_unmap),
        T(map_read_only_by_va_and_device),
        T(map_refusals),
        T(map_replaces_and_is_overwritten),
        T(unmap_and_replace_moves_the_entry),
        T(version_2_entries_status_frames_and_switching),
        T(map_many_and_batches),
        T(model_random_run),
    };
    return cmocka_run_group_tests_name("hv-gnttab", tests, NULL, NULL);
}
