// SPDX-License-Identifier: MIT
/*
 * mm: conformance of the PV MMU hypercalls -- mmu_update (normal and
 * preserve-A/D, batches with *pdone), update_va_mapping, mmuext_op (pin,
 * unpin, TLB flush, INVLPG), writable page tables -- and, next to them, the
 * hostile uses that must be refused with Xen's errno and change nothing:
 * writable mappings of page tables, foreign and hypervisor frames, the
 * hypervisor's L4 slots, self-mapping tables, superpages, bad pointers and
 * unknown commands.
 *
 * Every test takes its own fresh frames (memory.h) and puts the scratch
 * pages and the window back when it succeeds.  Tests that fault if the
 * hypervisor lacks a feature (writable page tables, the M2P mapping) come
 * last, so everything before them still reports.
 */
#include "hypercall.h"
#include "kit.h"
#include "memory.h"

#define MFN_BEYOND_RAM (1UL << 36)      /* 256 TiB: no machine has it */
#define MFN_FIRST_MIB  1                /* the hypervisor keeps the first MiB */

static volatile uint64_t *page(unsigned int slot)
{
    return (volatile uint64_t *)kit_scratch_va(slot);
}

static void fill(unsigned int slot, uint64_t seed)
{
    for (unsigned int i = 0; i < PT_ENTRIES; i++)
        page(slot)[i] = seed ^ i;
}

/* A fresh frame, mapped RW at slot and filled from seed; 0 if none left. */
static uint64_t fresh(unsigned int slot, uint64_t seed)
{
    uint64_t mfn = kit_scratch_fresh(slot);

    if (mfn)
        fill(slot, seed);
    return mfn;
}

static bool holds(uint64_t va, uint64_t seed)
{
    const volatile uint64_t *p = (const volatile uint64_t *)va;

    return p[0] == seed && p[7] == (seed ^ 7) && p[PT_ENTRIES - 1] == (seed ^ (PT_ENTRIES - 1));
}

static uint64_t l1e(unsigned int slot)
{
    return *kit_l1e_ptr(kit_scratch_va(slot));
}

static long restore(unsigned int first, unsigned int n)
{
    long rc = 0;

    for (unsigned int s = first; s < first + n && !rc; s++)
        rc = kit_scratch_restore(s);
    return rc;
}

#define expect_frame(mfn) expect_true((mfn) != 0, "no free frame left")
#define expect_restored(first, n) expect_ok(restore(first, n), "restoring the scratch pages")

/* ---- the builder's layout -------------------------------------------------- */

static int region_maps_pfns_one_to_one(void)
{
    uint64_t vas[] = { VIRT_BASE, (uint64_t)_image_start, (uint64_t)_image_end - PAGE_SIZE,
                       (uint64_t)kit_si, kit_scratch_va(0), kit_mem.mapped_end - PAGE_SIZE };

    for (size_t i = 0; i < ARRAY_SIZE(vas); i++) {
        const uint64_t *e = kit_l1e_ptr(vas[i]);
        expect_true(e != NULL, "no bootstrap L1 for a VA of the region");
        if (!(*e & _PAGE_PRESENT) || pte_mfn(*e) != virt_to_mfn((void *)vas[i]))
            return kit_fail("VA %#lx maps %#lx, want mfn %#lx (p2m of pfn %#lx)", vas[i], *e,
                            virt_to_mfn((void *)vas[i]), virt_to_pfn((void *)vas[i]));
    }
    kit_printf("kit: note: region %#lx-%#lx, builder data to %#lx, %lu pages, first free "
               "pfn %#lx, window L2 slot %u\n", VIRT_BASE, kit_mem.mapped_end,
               kit_mem.known_end, kit_mem.nr_pages, kit_mem.next_free_pfn,
               kit_mem.window_slot);
    expect_true(kit_mem.mapped_end - kit_mem.known_end >= 512 * 1024,
                "less than 512 KiB of mapped slack after the bootstrap stack");
    expect_eq(kit_mem.mapped_end & ((4UL << 20) - 1), 0, "region end modulo 4 MiB");
    return KIT_PASS;
}

static int bootstrap_page_tables_are_mapped_read_only(void)
{
    for (uint64_t i = 0; i < kit_si->nr_pt_frames; i++) {
        uint64_t va = kit_si->pt_base + i * PAGE_SIZE;
        uint64_t e = *kit_l1e_ptr(va);
        if (!(e & _PAGE_PRESENT) || (e & _PAGE_RW))
            return kit_fail("page-table frame %lu at %#lx is mapped %#lx", i, va, e);
    }
    expect_true(l1e(0) & _PAGE_RW, "slack page not writable");
    return KIT_PASS;
}

/* ---- mmu_update ---------------------------------------------------------- */

static int mmu_update_maps_fresh_frame_rw(void)
{
    uint64_t mfn = kit_alloc_mfn();

    expect_frame(mfn);
    expect_ok(kit_mmu_update1(kit_l1e_maddr(kit_scratch_va(0)), MMU_NORMAL_PT_UPDATE,
                              pte(mfn, PTE_RW)), "mmu_update of a bootstrap L1 entry");
    expect_ok(kit_mmuext1(MMUEXT_INVLPG_LOCAL, kit_scratch_va(0)), "INVLPG_LOCAL");
    expect_eq(pte_mfn(l1e(0)), mfn, "frame in the updated entry");
    expect_eq(l1e(0) & (_PAGE_PRESENT | _PAGE_RW), _PAGE_PRESENT | _PAGE_RW, "P and RW bits");
    fill(0, 0x6d6d000000000000UL);
    /* A second, read-only mapping shows the same frame. */
    expect_ok(kit_scratch_map(1, mfn, PTE_RO), "read-only second mapping");
    expect_true(holds(kit_scratch_va(1), 0x6d6d000000000000UL),
                "the second mapping does not show what was written through the first");
    expect_restored(0, 2);
    return KIT_PASS;
}

static int mmu_update_of_plain_frame_is_ordinary_write(void)
{
    uint64_t mfn = fresh(0, 0);

    expect_frame(mfn);
    expect_ok(kit_mmu_update1((mfn << PAGE_SHIFT) + 5 * 8, MMU_NORMAL_PT_UPDATE, 0x1234567UL),
              "mmu_update into a frame that is not a page table");
    expect_eq(page(0)[5], 0x1234567UL, "word 5 of the frame");
    expect_eq(page(0)[4], 4, "word 4 (untouched)");
    expect_restored(0, 1);
    return KIT_PASS;
}

static int preserve_ad_keeps_accessed_and_dirty(void)
{
    uint64_t mfn = fresh(0, 0x11);
    uint64_t maddr = kit_l1e_maddr(kit_scratch_va(0));

    expect_frame(mfn);
    page(0)[0] = 1;             /* the CPU sets A and D, and we asked for them */
    expect_ok(kit_mmu_update1(maddr, MMU_PT_UPDATE_PRESERVE_AD,
                              pte(mfn, _PAGE_PRESENT | _PAGE_RW)),
              "MMU_PT_UPDATE_PRESERVE_AD without A/D");
    expect_eq(l1e(0) & (_PAGE_ACCESSED | _PAGE_DIRTY), _PAGE_ACCESSED | _PAGE_DIRTY,
              "A and D after a preserve-A/D update");
    expect_ok(kit_mmu_update1(maddr, MMU_NORMAL_PT_UPDATE,
                              pte(mfn, _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED)),
              "MMU_NORMAL_PT_UPDATE without D");
    expect_eq(l1e(0) & _PAGE_DIRTY, 0, "D after a normal update that clears it");
    expect_ok(kit_mmuext1(MMUEXT_INVLPG_LOCAL, kit_scratch_va(0)), "INVLPG_LOCAL");
    expect_restored(0, 1);
    return KIT_PASS;
}

static int mmu_update_batch_reports_done(void)
{
    struct mmu_update req[3];
    struct { unsigned int done, guard; } d = { 0xdeadbeef, 0x600dcafe };

    for (unsigned int i = 0; i < 3; i++) {
        uint64_t mfn = fresh(1 + i, 0xba00 + i);
        expect_frame(mfn);
        req[i] = (struct mmu_update){
            .ptr = kit_l1e_maddr(kit_scratch_va(4 + i)) | MMU_NORMAL_PT_UPDATE,
            .val = pte(mfn, PTE_RO),
        };
    }
    expect_ok(HYPERVISOR_mmu_update(req, 3, &d.done, DOMID_SELF), "mmu_update of 3");
    expect_eq(d.done, 3, "*pdone");
    expect_eq(d.guard, 0x600dcafe, "the word after *pdone (pdone is 32 bits)");
    expect_ok(kit_mmuext1(MMUEXT_TLB_FLUSH_LOCAL, 0), "TLB_FLUSH_LOCAL");
    for (unsigned int i = 0; i < 3; i++)
        expect_true(holds(kit_scratch_va(4 + i), 0xba00 + i), "a batched mapping shows "
                    "the wrong frame");
    expect_restored(1, 6);
    return KIT_PASS;
}

static int mmu_update_batch_stops_at_first_error(void)
{
    uint64_t l4 = virt_to_mfn(kit_mem.l4);
    uint64_t a = fresh(1, 0xa), b = fresh(2, 0xb);
    uint64_t untouched = l1e(6);
    unsigned int done = 99;

    expect_frame(a);
    expect_frame(b);
    struct mmu_update req[3] = {
        { kit_l1e_maddr(kit_scratch_va(4)), pte(a, PTE_RO) },
        { kit_l1e_maddr(kit_scratch_va(5)), pte(l4, PTE_RW) },  /* refused */
        { kit_l1e_maddr(kit_scratch_va(6)), pte(b, PTE_RO) },
    };
    expect_rc(HYPERVISOR_mmu_update(req, 3, &done, DOMID_SELF), -XEN_EINVAL,
              "batch whose second request maps the L4 writable");
    expect_eq(done, 1, "*pdone after the failure");
    expect_eq(pte_mfn(l1e(4)), a, "the request before the bad one took effect");
    expect_eq(l1e(6), untouched, "the request after the bad one was not applied");
    expect_restored(1, 6);
    return KIT_PASS;
}

/* ---- update_va_mapping --------------------------------------------------- */

static int update_va_mapping_invlpg_local_maps_frame(void)
{
    uint64_t mfn = fresh(1, 0x7a);

    expect_frame(mfn);
    expect_ok(HYPERVISOR_update_va_mapping(kit_scratch_va(0), pte(mfn, PTE_RW),
                                           UVMF_INVLPG | UVMF_LOCAL),
              "update_va_mapping(UVMF_INVLPG|UVMF_LOCAL)");
    expect_eq(pte_mfn(l1e(0)), mfn, "frame in the entry");
    expect_true(holds(kit_scratch_va(0), 0x7a), "new mapping does not show the frame");
    page(0)[3] = 0x77;
    expect_eq(page(1)[3], 0x77, "write through the new mapping, read through the old");
    expect_restored(0, 2);
    return KIT_PASS;
}

static int update_va_mapping_tlb_flush_maps_frame(void)
{
    uint64_t a = fresh(1, 0xa1), b = fresh(2, 0xb2);

    expect_frame(a);
    expect_frame(b);
    expect_ok(HYPERVISOR_update_va_mapping(kit_scratch_va(0), pte(a, PTE_RO),
                                           UVMF_TLB_FLUSH | UVMF_LOCAL), "map a");
    expect_true(holds(kit_scratch_va(0), 0xa1), "first mapping");
    expect_ok(HYPERVISOR_update_va_mapping(kit_scratch_va(0), pte(b, PTE_RO),
                                           UVMF_TLB_FLUSH | UVMF_ALL), "remap to b");
    expect_true(holds(kit_scratch_va(0), 0xb2), "remapped page shows the old frame");
    expect_restored(0, 3);
    return KIT_PASS;
}

/* ---- TLB flushes and mmuext batches -------------------------------------- */

/* Map a, read it (so the TLB holds it), switch the entry to b without a
 * flush, then let `flush` make b visible. */
static int remap_then(unsigned int cmd)
{
    uint64_t a = fresh(1, 0xaa), b = fresh(2, 0xbb);

    expect_frame(a);
    expect_frame(b);
    expect_ok(kit_scratch_map(0, a, PTE_RO), "map a");
    expect_true(holds(kit_scratch_va(0), 0xaa), "first mapping");
    expect_ok(kit_mmu_update1(kit_l1e_maddr(kit_scratch_va(0)), MMU_NORMAL_PT_UPDATE,
                              pte(b, PTE_RO)), "switch the entry to b");
    expect_ok(kit_mmuext1(cmd, kit_scratch_va(0)), "the flush");
    expect_true(holds(kit_scratch_va(0), 0xbb), "after the flush the page still shows a");
    expect_restored(0, 3);
    return KIT_PASS;
}

static int invlpg_local_makes_new_mapping_visible(void)
{
    return remap_then(MMUEXT_INVLPG_LOCAL);
}

static int tlb_flush_local_makes_new_mapping_visible(void)
{
    return remap_then(MMUEXT_TLB_FLUSH_LOCAL);
}

static int mmuext_batch_reports_done(void)
{
    struct mmuext_op ops[3] = {
        { .cmd = MMUEXT_TLB_FLUSH_LOCAL },
        { .cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = kit_scratch_va(0) },
        { .cmd = MMUEXT_TLB_FLUSH_ALL },
    };
    struct { unsigned int done, guard; } d = { 0xdeadbeef, 0x600dcafe };

    expect_ok(HYPERVISOR_mmuext_op(ops, 3, &d.done, DOMID_SELF), "mmuext_op of 3");
    expect_eq(d.done, 3, "*pdone");
    expect_eq(d.guard, 0x600dcafe, "the word after *pdone");
    return KIT_PASS;
}

/* ---- pinning ------------------------------------------------------------- */

static int pin_l1_refuses_writable_mappings_until_unpinned(void)
{
    uint64_t f = fresh(1, 0xf1), t = kit_scratch_fresh(0);

    expect_frame(f);
    expect_frame(t);
    page(0)[0] = pte(f, PTE_RW);
    page(0)[1] = pte(f, PTE_RO);
    expect_ok(kit_scratch_map(0, t, PTE_RO), "remap the new table read-only");
    expect_ok(kit_mmuext1(MMUEXT_PIN_L1_TABLE, t), "PIN_L1_TABLE");
    expect_rc(kit_scratch_map(2, t, PTE_RW), -XEN_EINVAL, "writable mapping of a pinned L1");
    expect_ok(kit_mmuext1(MMUEXT_UNPIN_TABLE, t), "UNPIN_TABLE");
    expect_ok(kit_scratch_map(2, t, PTE_RW), "writable mapping once unpinned");
    expect_restored(0, 3);
    return KIT_PASS;
}

static int pinned_l1_hooked_into_l2_maps_its_entries(void)
{
    uint64_t f = fresh(1, 0xf2), t;
    uint64_t w = kit_window_va();

    expect_frame(f);
    expect_ok(kit_make_pinned_l1(0, pte(f, PTE_RW), &t), "build and pin an L1");
    expect_ok(kit_mmu_update1(kit_window_l2e_maddr(), MMU_NORMAL_PT_UPDATE,
                              pte(t, _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED)),
              "hook the L1 into an empty L2 slot");
    expect_ok(kit_mmuext1(MMUEXT_TLB_FLUSH_LOCAL, 0), "TLB_FLUSH_LOCAL");
    expect_true(holds(w, 0xf2), "the window does not show the frame");
    *(volatile uint64_t *)(w + 8) = 0x5eed;
    expect_eq(page(1)[1], 0x5eed, "write through the window, read through the slot");
    expect_ok(kit_mmu_update1(kit_window_l2e_maddr(), MMU_NORMAL_PT_UPDATE, 0), "unhook");
    expect_ok(kit_mmuext1(MMUEXT_TLB_FLUSH_LOCAL, 0), "TLB_FLUSH_LOCAL");
    expect_ok(kit_mmuext1(MMUEXT_UNPIN_TABLE, t), "unpin");
    expect_restored(0, 2);
    return KIT_PASS;
}

/* ---- hostile: mappings that must be refused ------------------------------ */

static int refused_without_change(uint64_t mfn, uint64_t flags, const char *what)
{
    uint64_t va = kit_scratch_va(0), before = l1e(0);

    expect_rc(HYPERVISOR_update_va_mapping(va, pte(mfn, flags), UVMF_INVLPG), -XEN_EINVAL,
              what);
    expect_rc(kit_mmu_update1(kit_l1e_maddr(va), MMU_NORMAL_PT_UPDATE, pte(mfn, flags)),
              -XEN_EINVAL, what);
    expect_eq(l1e(0), before, "the entry after the refused update");
    return KIT_PASS;
}

static int writable_mapping_of_own_l4_refused(void)
{
    uint64_t l4 = virt_to_mfn(kit_mem.l4);
    int r = refused_without_change(l4, PTE_RW, "writable mapping of the live L4");

    if (r != KIT_PASS)
        return r;
    expect_ok(kit_scratch_map(0, l4, PTE_RO), "read-only mapping of the L4 (allowed)");
    expect_restored(0, 1);
    return KIT_PASS;
}

static int writable_mapping_of_own_l1_refused(void)
{
    /* The L1 that maps the scratch page itself. */
    uint64_t l1 = pte_mfn(kit_mem.l2[(kit_scratch_va(0) >> 21) & 511]);

    return refused_without_change(l1, PTE_RW, "writable mapping of a live L1");
}

static int mapping_frames_not_owned_refused(void)
{
    uint64_t m2p_l3 = kit_mem.l4[256];
    int r;

    if ((r = refused_without_change(MFN_FIRST_MIB, PTE_RO, "map mfn 1 (hypervisor's)")))
        return r;
    if ((r = refused_without_change(MFN_BEYOND_RAM, PTE_RO,
                                    "map an mfn beyond the physical address width")))
        return r;
    if ((r = refused_without_change(0xfee00, PTE_RO, "map the local APIC")))
        return r;
    /* I/O memory outside RAM (QEMU's HPET) is dom0's to map, uncounted. */
    expect_ok(kit_scratch_map(0, 0xfed00, PTE_RO | _PAGE_PCD), "map the HPET (dom0)");
    expect_restored(0, 1);
    /* L4 slot 256 holds the hypervisor's table for the M2P: its frame. */
    if (m2p_l3 & _PAGE_PRESENT)
        return refused_without_change(pte_mfn(m2p_l3), PTE_RO, "map the M2P's L3 frame");
    return KIT_PASS;
}

static int mmu_update_into_hypervisor_frames_refused(void)
{
    uint64_t m2p_l3 = kit_mem.l4[256];

    expect_rc(kit_mmu_update1(MFN_FIRST_MIB << PAGE_SHIFT, MMU_NORMAL_PT_UPDATE, 0),
              -XEN_EINVAL, "mmu_update into mfn 1");
    if (m2p_l3 & _PAGE_PRESENT)
        expect_rc(kit_mmu_update1(pte_mfn(m2p_l3) << PAGE_SHIFT, MMU_NORMAL_PT_UPDATE, 0),
                  -XEN_EINVAL, "mmu_update into the hypervisor's M2P L3");
    return KIT_PASS;
}

static int l4_hypervisor_slots_refused(void)
{
    static const unsigned int slots[] = { 256, 261, 271 };
    uint64_t l4 = virt_to_mfn(kit_mem.l4) << PAGE_SHIFT;

    for (size_t i = 0; i < ARRAY_SIZE(slots); i++) {
        uint64_t before = kit_mem.l4[slots[i]];
        expect_rc(kit_mmu_update1(l4 + slots[i] * 8, MMU_NORMAL_PT_UPDATE, 0), -XEN_EINVAL,
                  "clearing a hypervisor L4 slot");
        /* A valid guest L3 is still no business of a hypervisor slot. */
        expect_rc(kit_mmu_update1(l4 + slots[i] * 8, MMU_NORMAL_PT_UPDATE, kit_mem.l4[511]),
                  -XEN_EINVAL, "copying L4[511] into a hypervisor L4 slot");
        expect_eq(kit_mem.l4[slots[i]], before, "the hypervisor slot after the refusal");
    }
    return KIT_PASS;
}

static int l2_superpage_entry_refused(void)
{
    uint64_t f = kit_alloc_mfn();

    expect_frame(f);
    expect_rc(kit_mmu_update1(kit_window_l2e_maddr(), MMU_NORMAL_PT_UPDATE,
                              pte(f, _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_PSE)),
              -XEN_EINVAL, "an L2 entry with PSE");
    expect_eq(kit_mem.l2[kit_mem.window_slot], 0, "the L2 slot after the refusal");
    return KIT_PASS;
}

static int pin_l1_with_writable_self_mapping_refused(void)
{
    uint64_t t = kit_scratch_fresh(0);

    expect_frame(t);
    page(0)[0] = pte(t, PTE_RW);
    expect_ok(kit_scratch_map(0, t, PTE_RO), "remap the table read-only");
    expect_rc(kit_mmuext1(MMUEXT_PIN_L1_TABLE, t), -XEN_EINVAL,
              "PIN_L1_TABLE of a table mapping itself writable");
    /* The failed pin left no type behind: the frame is ordinary again. */
    expect_ok(kit_scratch_map(1, t, PTE_RW), "writable mapping after the failed pin");
    expect_restored(0, 2);
    return KIT_PASS;
}

/* Mica writes event bits and time into shared_info: were it an L1, the
 * guest could steer those writes into page-table entries.  Its contents
 * are made those of a valid (empty) table first, so that only Mica's own
 * hold on the frame can refuse the pin; then put back. */
static uint64_t saved_shared_info[512];

static int pin_shared_info_as_table_refused(void)
{
    uint64_t si = kit_si->shared_info >> 12;
    long rc[4];

    expect_ok(kit_scratch_map(0, si, PTE_RW), "map shared_info");
    for (unsigned int i = 0; i < 512; i++) {
        saved_shared_info[i] = page(0)[i];
        page(0)[i] = 0;
    }
    expect_ok(kit_scratch_restore(0), "unmap shared_info");
    for (unsigned int cmd = MMUEXT_PIN_L1_TABLE; cmd <= MMUEXT_PIN_L4_TABLE; cmd++)
        if ((rc[cmd - MMUEXT_PIN_L1_TABLE] = kit_mmuext1(cmd, si)) == 0)
            (void)kit_mmuext1(MMUEXT_UNPIN_TABLE, si);
    expect_ok(kit_scratch_map(0, si, PTE_RW), "map shared_info again");
    for (unsigned int i = 0; i < 512; i++)
        page(0)[i] = saved_shared_info[i];
    expect_restored(0, 1);
    for (unsigned int l = 0; l < 4; l++)
        expect_rc(rc[l], -XEN_EINVAL, "pinning an empty-looking shared_info as a page table");
    return KIT_PASS;
}

static int pin_of_pinned_table_refused(void)
{
    uint64_t t = kit_scratch_fresh(0);

    expect_frame(t);
    expect_ok(kit_scratch_map(0, t, PTE_RO), "remap the table read-only");
    expect_ok(kit_mmuext1(MMUEXT_PIN_L1_TABLE, t), "first pin");
    expect_rc(kit_mmuext1(MMUEXT_PIN_L1_TABLE, t), -XEN_EINVAL, "second pin");
    expect_ok(kit_mmuext1(MMUEXT_UNPIN_TABLE, t), "unpin");
    expect_restored(0, 1);
    return KIT_PASS;
}

static int unpin_of_unpinned_frame_refused(void)
{
    uint64_t f = kit_alloc_mfn();

    expect_frame(f);
    expect_rc(kit_mmuext1(MMUEXT_UNPIN_TABLE, f), -XEN_EINVAL, "UNPIN of a plain frame");
    expect_rc(kit_mmuext1(MMUEXT_UNPIN_TABLE, MFN_FIRST_MIB), -XEN_EINVAL,
              "UNPIN of the hypervisor's mfn 1");
    return KIT_PASS;
}

static int bad_request_pointers_are_efault(void)
{
    static const uint64_t bad[] = {
        0x1000,                         /* unmapped guest address */
        0x0000800000000000UL,           /* not canonical */
        HYPERVISOR_VIRT_START,          /* the M2P: guest-readable, still not a guest array */
        HYPERVISOR_VIRT_START + 0x3000000000UL,  /* hypervisor-only mappings */
        0xffff82d040000000UL,           /* Mica's image */
    };

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        unsigned int done = 77;
        long rc = HYPERVISOR_mmu_update((const struct mmu_update *)bad[i], 1, &done, DOMID_SELF);
        if (rc != -XEN_EFAULT)
            return kit_fail("mmu_update with requests at %#lx: got %ld (%s), want -EFAULT",
                            bad[i], rc, kit_errno_name(rc));
        rc = HYPERVISOR_mmuext_op((const struct mmuext_op *)bad[i], 1, &done, DOMID_SELF);
        if (rc != -XEN_EFAULT)
            return kit_fail("mmuext_op with ops at %#lx: got %ld (%s), want -EFAULT",
                            bad[i], rc, kit_errno_name(rc));
    }
    return KIT_PASS;
}

static int update_va_mapping_outside_guest_tables_refused(void)
{
    uint64_t f = kit_alloc_mfn();

    expect_frame(f);
    expect_rc(HYPERVISOR_update_va_mapping(HYPERVISOR_VIRT_START + 0x3000000000UL,
                                           pte(f, PTE_RW), UVMF_INVLPG), -XEN_EINVAL,
              "update_va_mapping of a hypervisor VA");
    expect_rc(HYPERVISOR_update_va_mapping(kit_window_va(), pte(f, PTE_RW), UVMF_INVLPG),
              -XEN_EINVAL, "update_va_mapping of a VA without an L1");
    return KIT_PASS;
}

static int foreign_domain_without_privilege_is_esrch(void)
{
    struct mmu_update req = { kit_l1e_maddr(kit_scratch_va(0)) | MMU_NORMAL_PT_UPDATE, l1e(0) };
    struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };

    expect_rc(HYPERVISOR_mmu_update(&req, 1, NULL, 42), -XEN_ESRCH,
              "mmu_update on behalf of domain 42 (none)");
    expect_rc(HYPERVISOR_mmuext_op(&op, 1, NULL, 42), -XEN_ESRCH,
              "mmuext_op on behalf of domain 42 (none)");
    /* As in Xen: a domain may not name itself by its id, only DOMID_SELF. */
    expect_rc(HYPERVISOR_mmu_update(&req, 1, NULL, 0), -XEN_ESRCH,
              "mmu_update naming our own id (0) as the foreign domain");
    return KIT_PASS;
}

static int unknown_mmuext_command_is_enosys(void)
{
    static const unsigned int cmds[] = { 14, 21, 1000 };

    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
        struct mmuext_op op = { .cmd = cmds[i] };
        unsigned int done = 77;
        expect_rc(HYPERVISOR_mmuext_op(&op, 1, &done, DOMID_SELF), -XEN_ENOSYS,
                  "unknown mmuext command");
        expect_eq(done, 0, "*pdone after the unknown command");
    }
    return KIT_PASS;
}

static int unknown_hypercall_is_enosys(void)
{
    static const unsigned long nrs[] = { 11, 60, 63, 64, 1000 };

    for (size_t i = 0; i < ARRAY_SIZE(nrs); i++) {
        long rc = _hypercall2(nrs[i], 0, 0);
        if (rc != -XEN_ENOSYS)
            return kit_fail("hypercall %lu: got %ld (%s), want -ENOSYS", nrs[i], rc,
                            kit_errno_name(rc));
    }
    return KIT_PASS;
}

/* ---- writable page tables (a write the hypervisor does not emulate ends
 * the domain, so these run late) ----------------------------------------- */

static int vm_assist_enables_writable_pagetables(void)
{
    expect_ok(HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables),
              "vm_assist(enable, writable_pagetables)");
    return KIT_PASS;
}

/* A pinned L1 (entry 0 -> a, RW) hooked at the window; slot 0 maps it RO. */
static int ptwr_setup(uint64_t *a, uint64_t *b, uint64_t *t)
{
    *a = fresh(1, 0xa0a0);
    *b = fresh(2, 0xb0b0);
    expect_frame(*a);
    expect_frame(*b);
    expect_ok(HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables),
              "vm_assist(enable, writable_pagetables)");
    expect_ok(kit_make_pinned_l1(0, pte(*a, PTE_RW), t), "build and pin an L1");
    expect_ok(kit_mmu_update1(kit_window_l2e_maddr(), MMU_NORMAL_PT_UPDATE,
                              pte(*t, _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED)),
              "hook the L1 at the window");
    expect_ok(kit_mmuext1(MMUEXT_TLB_FLUSH_LOCAL, 0), "TLB_FLUSH_LOCAL");
    expect_true(holds(kit_window_va(), 0xa0a0), "the window does not show frame a");
    return KIT_PASS;
}

static int ptwr_teardown(uint64_t t)
{
    expect_ok(kit_mmu_update1(kit_window_l2e_maddr(), MMU_NORMAL_PT_UPDATE, 0), "unhook");
    expect_ok(kit_mmuext1(MMUEXT_TLB_FLUSH_LOCAL, 0), "TLB_FLUSH_LOCAL");
    expect_ok(kit_mmuext1(MMUEXT_UNPIN_TABLE, t), "unpin");
    expect_restored(0, 3);
    return KIT_PASS;
}

static int ptwr_mov_to_pinned_l1_takes_effect(void)
{
    uint64_t a, b, t, e = 0;
    volatile uint64_t *entry = page(0);
    int r;

    if ((r = ptwr_setup(&a, &b, &t)))
        return r;
    __asm__ volatile("movq %1, %0" : "=m"(entry[0]) : "r"(pte(b, PTE_RW)) : "memory");
    e = entry[0];
    expect_eq(pte_mfn(e), b, "entry 0 after the emulated mov");
    expect_ok(kit_mmuext1(MMUEXT_INVLPG_LOCAL, kit_window_va()), "INVLPG_LOCAL");
    expect_true(holds(kit_window_va(), 0xb0b0), "the window still shows frame a");
    return ptwr_teardown(t);
}

static int ptwr_xchg_clears_pinned_l1_entry(void)
{
    uint64_t a, b, t, old = 0;
    volatile uint64_t *entry = page(0);
    int r;

    if ((r = ptwr_setup(&a, &b, &t)))
        return r;
    /* Linux's ptep_get_and_clear. */
    __asm__ volatile("xchgq %0, %1" : "+r"(old), "+m"(entry[0]) : : "memory");
    expect_eq(pte_mfn(old), a, "old entry returned by xchg");
    expect_true(old & _PAGE_PRESENT, "old entry returned by xchg is not present");
    expect_eq(entry[0], 0, "entry 0 after the emulated xchg");
    return ptwr_teardown(t);
}

static int ptwr_lock_btr_write_protects_entry(void)
{
    uint64_t a, b, t;
    volatile uint64_t *entry = page(0);
    int r;

    if ((r = ptwr_setup(&a, &b, &t)))
        return r;
    /* Linux's ptep_set_wrprotect: clear_bit(_PAGE_BIT_RW). */
    __asm__ volatile("lock btrq $1, %0" : "+m"(entry[0]) : : "memory", "cc");
    expect_eq(entry[0] & (_PAGE_PRESENT | _PAGE_RW), _PAGE_PRESENT, "P/RW after lock btr");
    expect_eq(pte_mfn(entry[0]), a, "frame after lock btr");
    return ptwr_teardown(t);
}

/* ---- the M2P (unmapped, it faults: last) --------------------------------- */

static int m2p_inverts_p2m(void)
{
    const volatile uint64_t *m2p = (const volatile uint64_t *)MACH2PHYS_VIRT_START;
    uint64_t pfns[] = { 0, virt_to_pfn(_image_start), virt_to_pfn(kit_si),
                        virt_to_pfn(kit_mem.l4), kit_mem.nr_pages - 1 };

    for (size_t i = 0; i < ARRAY_SIZE(pfns); i++) {
        uint64_t mfn = pfn_to_mfn(pfns[i]);
        if (m2p[mfn] != pfns[i])
            return kit_fail("M2P[%#lx] = %#lx, want pfn %#lx", mfn, m2p[mfn], pfns[i]);
    }
    return KIT_PASS;
}

static int machphys_update_sets_m2p(void)
{
    const volatile uint64_t *m2p = (const volatile uint64_t *)MACH2PHYS_VIRT_START;
    uint64_t pfn = kit_alloc_pfn(), mfn = pfn_to_mfn(pfn);

    expect_frame(pfn);
    expect_ok(kit_mmu_update1(mfn << PAGE_SHIFT, MMU_MACHPHYS_UPDATE, 0x4242),
              "MMU_MACHPHYS_UPDATE of an own frame");
    expect_eq(m2p[mfn], 0x4242, "M2P entry after the update");
    expect_ok(kit_mmu_update1(mfn << PAGE_SHIFT, MMU_MACHPHYS_UPDATE, pfn), "put it back");
    expect_rc(kit_mmu_update1(MFN_FIRST_MIB << PAGE_SHIFT, MMU_MACHPHYS_UPDATE, 0),
              -XEN_EINVAL, "MMU_MACHPHYS_UPDATE of the hypervisor's mfn 1");
    return KIT_PASS;
}

#define MM  KIT_MM
#define BAD (KIT_MM | KIT_HOSTILE)
static const struct kit_test tests[] = {
    { "region_maps_pfns_one_to_one", region_maps_pfns_one_to_one, MM },
    { "bootstrap_page_tables_are_mapped_read_only",
      bootstrap_page_tables_are_mapped_read_only, MM },
    { "mmu_update_maps_fresh_frame_rw", mmu_update_maps_fresh_frame_rw, MM },
    { "mmu_update_of_plain_frame_is_ordinary_write",
      mmu_update_of_plain_frame_is_ordinary_write, MM },
    { "preserve_ad_keeps_accessed_and_dirty", preserve_ad_keeps_accessed_and_dirty, MM },
    { "mmu_update_batch_reports_done", mmu_update_batch_reports_done, MM },
    { "mmu_update_batch_stops_at_first_error", mmu_update_batch_stops_at_first_error, BAD },
    { "update_va_mapping_invlpg_local_maps_frame",
      update_va_mapping_invlpg_local_maps_frame, MM },
    { "update_va_mapping_tlb_flush_maps_frame", update_va_mapping_tlb_flush_maps_frame, MM },
    { "invlpg_local_makes_new_mapping_visible", invlpg_local_makes_new_mapping_visible, MM },
    { "tlb_flush_local_makes_new_mapping_visible",
      tlb_flush_local_makes_new_mapping_visible, MM },
    { "mmuext_batch_reports_done", mmuext_batch_reports_done, MM },
    { "pin_l1_refuses_writable_mappings_until_unpinned",
      pin_l1_refuses_writable_mappings_until_unpinned, MM },
    { "pinned_l1_hooked_into_l2_maps_its_entries",
      pinned_l1_hooked_into_l2_maps_its_entries, MM },
    { "writable_mapping_of_own_l4_refused", writable_mapping_of_own_l4_refused, BAD },
    { "writable_mapping_of_own_l1_refused", writable_mapping_of_own_l1_refused, BAD },
    { "mapping_frames_not_owned_refused", mapping_frames_not_owned_refused, BAD },
    { "mmu_update_into_hypervisor_frames_refused",
      mmu_update_into_hypervisor_frames_refused, BAD },
    { "l4_hypervisor_slots_refused", l4_hypervisor_slots_refused, BAD },
    { "l2_superpage_entry_refused", l2_superpage_entry_refused, BAD },
    { "pin_l1_with_writable_self_mapping_refused",
      pin_l1_with_writable_self_mapping_refused, BAD },
    { "pin_shared_info_as_table_refused", pin_shared_info_as_table_refused, BAD },
    { "pin_of_pinned_table_refused", pin_of_pinned_table_refused, BAD },
    { "unpin_of_unpinned_frame_refused", unpin_of_unpinned_frame_refused, BAD },
    { "bad_request_pointers_are_efault", bad_request_pointers_are_efault, BAD },
    { "update_va_mapping_outside_guest_tables_refused",
      update_va_mapping_outside_guest_tables_refused, BAD },
    { "foreign_domain_without_privilege_is_esrch",
      foreign_domain_without_privilege_is_esrch, BAD },
    { "unknown_mmuext_command_is_enosys", unknown_mmuext_command_is_enosys, KIT_HOSTILE },
    { "unknown_hypercall_is_enosys", unknown_hypercall_is_enosys, KIT_HOSTILE },
    { "vm_assist_enables_writable_pagetables", vm_assist_enables_writable_pagetables, 0 },
    { "ptwr_mov_to_pinned_l1_takes_effect", ptwr_mov_to_pinned_l1_takes_effect, MM },
    { "ptwr_xchg_clears_pinned_l1_entry", ptwr_xchg_clears_pinned_l1_entry, MM },
    { "ptwr_lock_btr_write_protects_entry", ptwr_lock_btr_write_protects_entry, MM },
    { "m2p_inverts_p2m", m2p_inverts_p2m, MM },
    { "machphys_update_sets_m2p", machphys_update_sets_m2p, MM },
};

KIT_KERNEL("mm", tests);
