// SPDX-License-Identifier: MIT
/*
 * ptwr_hostile: a write straight into a read-only page table that would
 * make the table map itself writable.  With writable page tables enabled
 * the hypervisor takes the page fault, decodes the write, validates the new
 * entry as an mmu_update would -- and must refuse it.  The fault is then
 * the guest's; this kernel registers no trap table, so the hypervisor must
 * crash the domain (and only the domain: it stays up to say so).
 *
 * First a valid write through the same path, so that the crash can only
 * come from the refusal.  Expected console, in order:
 *   (d0) kit: PASS ptwr_valid_mov_takes_effect
 *   (d0) kit: 1 passed, 0 failed, 0 skipped
 *   (d0) kit: EXPECT CRASH ptwr_writable_self_mapping_crashes_domain
 *   (mica) ... domain 0 crashed: ... page fault ...
 * and never "kit: FAIL".
 */
#include "hypercall.h"
#include "kit.h"
#include "memory.h"

/* A pinned L1 at scratch slot 0 (read-only) whose entry 0 maps a fresh,
 * zeroed frame RW, with writable page tables enabled. */
static int setup(uint64_t *t, uint64_t *f)
{
    *f = kit_scratch_fresh(1);
    expect_true(*f != 0, "no free frame left");
    expect_ok(HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables),
              "vm_assist(enable, writable_pagetables)");
    expect_ok(kit_make_pinned_l1(0, pte(*f, PTE_RW), t), "build and pin an L1");
    return KIT_PASS;
}

static int ptwr_valid_mov_takes_effect(void)
{
    volatile uint64_t *entry = (volatile uint64_t *)kit_scratch_va(0);
    uint64_t t, f;
    int r;

    if ((r = setup(&t, &f)))
        return r;
    __asm__ volatile("movq %1, %0" : "=m"(entry[1]) : "r"(pte(f, PTE_RO)) : "memory");
    expect_eq(entry[1] & (PTE_MFN_MASK | _PAGE_PRESENT | _PAGE_RW),
              pte(f, _PAGE_PRESENT), "entry 1 after the emulated mov");
    expect_ok(kit_mmuext1(MMUEXT_UNPIN_TABLE, t), "unpin");
    return KIT_PASS;
}

static int ptwr_writable_self_mapping_crashes_domain(void)
{
    volatile uint64_t *entry = (volatile uint64_t *)kit_scratch_va(0);
    uint64_t t, f;
    int r;

    if ((r = setup(&t, &f)))
        return r;
    kit_printf("kit: note: writing a writable mapping of pinned L1 %#lx into its own "
               "entry 1\n", t);
    __asm__ volatile("movq %1, %0" : "=m"(entry[1]) : "r"(pte(t, PTE_RW)) : "memory");
    return kit_fail("the write came back: entry 1 is now %#lx", entry[1]);
}

static const struct kit_test tests[] = {
    { "ptwr_valid_mov_takes_effect", ptwr_valid_mov_takes_effect, KIT_MM },
    { "ptwr_writable_self_mapping_crashes_domain", ptwr_writable_self_mapping_crashes_domain,
      KIT_MM | KIT_HOSTILE | KIT_CRASHES },
};

KIT_KERNEL("ptwr_hostile", tests);
