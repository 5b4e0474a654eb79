// SPDX-License-Identifier: MIT
/*
 * isolation: the holes of issue 13, each tried from an unprivileged guest
 * (tests/system/test_isolation.py boots it alone from a boot configuration,
 * with two vCPUs).  Before their fixes every test here either escaped --
 * wrote into a page table or descriptor page Mica had validated -- or
 * stopped the machine; now each must be refused or contained:
 *
 *  - a writable translation left in the TLB after its L1 entry went must
 *    be gone before the frame becomes an L1 table or a GDT frame (mm/tlb.c);
 *  - MMUEXT_NEW_BASEPTR with a frame that is not RAM (~0, 0, max_page)
 *    is refused, never loaded into CR3;
 *  - SEGBASE_GS_USER_SEL and HYPERVISOR_iret with LDT selectors (no LDT
 *    page, not present, wrong type) never fault in Mica: the selector
 *    loads null, the iret crashes the domain, and a good LDT selector
 *    works (its page is mapped from ring 0);
 *  - VCPUOP_initialise refuses state ring 0 would fault on: MXCSR bits the
 *    CPU rejects, non-canonical bases and stacks, callbacks outside the
 *    guest's range.
 *
 * A test that may stop the machine on a broken Mica, or must crash the
 * domain, runs in a boot of its own (kit.only=<name>).  Under QEMU's TCG a
 * stale TLB entry survives exactly as on hardware (no flush, no entry
 * change noticed), so the retype tests escape there too when the flush is
 * missing; the global-entry half of the finding (E) is invisible to TCG
 * and is proved by the host model (hypervisor/tests).
 */
#include <abi/sysctl.h>
#include <abi/memory.h>
#include <abi/vcpu.h>
#include "hypercall.h"
#include "kit.h"
#include "memory.h"
#include "traps.h"

#define SLOT_X    0         /* the frame that changes type */
#define SLOT_VIEW 1         /* a read-only look at it */
#define SLOT_LDT  2
#define MARK      0xbad0UL  /* not present: harmless in any table */
#define HV_TEXT   0xffff82d040000000UL

/* ---- stale writable translations --------------------------------------- */

/*
 * A fresh frame mapped writable at SLOT_X and written (the TLB now holds
 * the translation), then its L1 entry cleared with no flush asked for: the
 * frame has no writable mapping left, only the cached translation.
 */
static uint64_t cached_only(void)
{
    uint64_t x = kit_scratch_fresh(SLOT_X);
    volatile uint64_t *v = (volatile uint64_t *)kit_scratch_va(SLOT_X);

    if (!x)
        return 0;
    v[0] = 0;
    if (kit_mmu_update1(kit_l1e_maddr(kit_scratch_va(SLOT_X)), MMU_NORMAL_PT_UPDATE, 0))
        return 0;
    return x;
}

/* Store MARK at entry i through SLOT_X's stale translation, if any is
 * left: true when the store went through (no fault). */
static bool store_through_stale(unsigned int i)
{
    volatile uint64_t *p = (volatile uint64_t *)kit_scratch_va(SLOT_X) + i;

    KIT_PROBE("movq %0, (%1)", : : "r"(MARK), "r"(p) : KIT_RESUME_CLOBBERS);
    return kit_trap_count == 0;
}

/* What entry i of frame x holds, read through a fresh read-only mapping. */
static uint64_t peek(uint64_t x, unsigned int i)
{
    if (kit_scratch_map(SLOT_VIEW, x, PTE_RO))
        return ~0UL;
    uint64_t e = ((volatile uint64_t *)kit_scratch_va(SLOT_VIEW))[i];
    kit_scratch_restore(SLOT_VIEW);
    return e;
}

static int stale_writable_tlb_entry_cannot_write_a_new_l1(void)
{
    expect_ok(kit_traps_install(NULL), "exception stubs");
    uint64_t x = cached_only();
    expect_true(x != 0, "a frame with only a cached writable translation");
    expect_ok(kit_mmuext1(MMUEXT_PIN_L1_TABLE, x), "pin it as an L1");
    bool stored = store_through_stale(7);
    uint64_t e = peek(x, 7);
    if (stored)     /* undo through the same translation, or unpin breaks */
        *((volatile uint64_t *)kit_scratch_va(SLOT_X) + 7) = 0;
    expect_ok(kit_mmuext1(MMUEXT_UNPIN_TABLE, x), "unpin");
    expect_ok(kit_scratch_restore(SLOT_X), "restore the slot");
    expect_true(!stored, "a store through the stale translation did not fault");
    expect_eq(e, 0, "entry 7 of the validated L1");
    expect_eq(kit_trap_last.vector, 14, "the store's fault");
    return KIT_PASS;
}

static int stale_writable_tlb_entry_cannot_write_a_new_gdt_frame(void)
{
    expect_ok(kit_traps_install(NULL), "exception stubs");
    uint64_t x = cached_only(), frames[1] = { x };
    expect_true(x != 0, "a frame with only a cached writable translation");
    expect_ok(HYPERVISOR_set_gdt(frames, 8), "set_gdt: it becomes a descriptor page");
    bool stored = store_through_stale(7);
    uint64_t e = peek(x, 7);
    if (stored)
        *((volatile uint64_t *)kit_scratch_va(SLOT_X) + 7) = 0;
    expect_ok(HYPERVISOR_set_gdt(NULL, 0), "drop the GDT");
    expect_ok(kit_scratch_restore(SLOT_X), "restore the slot");
    expect_true(!stored, "a store through the stale translation did not fault");
    expect_eq(e, 0, "descriptor 7 of the live GDT frame");
    return KIT_PASS;
}

/* ---- base pointers ------------------------------------------------------ */

static int new_baseptr_refuses_frames_that_are_not_ram(void)
{
    long max = HYPERVISOR_memory_op(XENMEM_maximum_ram_page, NULL);   /* highest mfn */

    expect_true(max > 0, "XENMEM_maximum_ram_page");
    expect_rc(kit_mmuext1(MMUEXT_NEW_BASEPTR, 0), -XEN_EINVAL, "frame 0");
    expect_rc(kit_mmuext1(MMUEXT_NEW_BASEPTR, (uint64_t)max + 1), -XEN_EINVAL, "max_page");
    expect_rc(kit_mmuext1(MMUEXT_NEW_BASEPTR, 1UL << 40), -XEN_EINVAL, "2^40");
    expect_rc(kit_mmuext1(MMUEXT_NEW_USER_BASEPTR, (uint64_t)max + 1), -XEN_EINVAL,
              "user: max_page");
    /* ~0 is the hypervisor's "none": it must not skip the checks. */
    expect_rc(kit_mmuext1(MMUEXT_NEW_BASEPTR, ~0UL), -XEN_EINVAL, "~0");
    expect_rc(kit_mmuext1(MMUEXT_NEW_USER_BASEPTR, ~0UL), -XEN_EINVAL, "user: ~0");
    expect_ok(kit_mmuext1(MMUEXT_TLB_FLUSH_LOCAL, 0), "still running on our tables");
    return KIT_PASS;
}

/* ---- LDT selectors loaded by Mica ---------------------------------------- */

#define LDT_SEL        0x07             /* index 0, LDT, RPL 3 */
#define USER_DS        0x00cff3000000ffffUL
#define USER_DS_NP     (USER_DS & ~(1UL << 47))
#define USER_CS64      0x00affb000000ffffUL
#define TSS_DESC       0x0000890000000067UL

static uint16_t gs_sel(void)
{
    uint16_t s;

    __asm__ volatile("movw %%gs, %0" : "=r"(s));
    return s;
}

/* An LDT page holding d at index 0, mapped read-only at SLOT_LDT (or, with
 * unmapped, its slot pointing at nothing), loaded with one entry. */
static long ldt_with(uint64_t d, bool unmapped)
{
    uint64_t m = kit_scratch_fresh(SLOT_LDT);
    long rc;

    if (!m)
        return -XEN_ENOMEM;
    ((volatile uint64_t *)kit_scratch_va(SLOT_LDT))[0] = d;
    rc = unmapped ? kit_mmu_update1(kit_l1e_maddr(kit_scratch_va(SLOT_LDT)),
                                    MMU_NORMAL_PT_UPDATE, 0)
                  : kit_scratch_map(SLOT_LDT, m, PTE_RO);
    if (!rc)
        rc = kit_mmuext1(MMUEXT_INVLPG_LOCAL, kit_scratch_va(SLOT_LDT));
    return rc ? rc : kit_set_ldt(kit_scratch_va(SLOT_LDT), 1);
}

static int ldt_done(void)
{
    expect_ok(HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, 0), "null user gs");
    expect_ok(kit_set_ldt(0, 0), "no LDT");
    expect_ok(kit_scratch_restore(SLOT_LDT), "restore the slot");
    return KIT_PASS;
}

/* One case: the selector must load as `want` and the call succeed. */
static int gs_user_sel_case(uint64_t d, bool unmapped, uint16_t want, const char *what)
{
    expect_ok(ldt_with(d, unmapped), what);
    expect_ok(HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, LDT_SEL), what);
    expect_eq(gs_sel(), want, what);
    return ldt_done();
}

static int gs_user_sel_with_ldt_selectors_never_faults_in_mica(void)
{
    int rc;

    if ((rc = gs_user_sel_case(USER_DS, true, 0, "LDT page not mapped: null")) ||
        (rc = gs_user_sel_case(USER_DS_NP, false, 0, "descriptor not present: null")) ||
        (rc = gs_user_sel_case(TSS_DESC, false, 0, "a TSS in the LDT: null")) ||
        (rc = gs_user_sel_case(USER_DS, false, LDT_SEL, "a data descriptor: loaded")))
        return rc;
    return KIT_PASS;
}

/* HYPERVISOR_iret to a code selector of our LDT: a kernel-mode return (RPL
 * 0 in the frame) loads it with RPL 3. */
static int iret_to_ldt(uint64_t d, bool unmapped, const char *what)
{
    uint64_t out[9];

    expect_ok(ldt_with(d, unmapped), what);
    kit_printf("kit: note: iret to LDT code selector: %s\n", what);
    kit_console_flush();
    kit_iret_probe(0, 0x202, out, LDT_SEL & ~3UL, FLAT_KERNEL_SS);
    expect_eq(out[4], LDT_SEL, "cs after the iret");
    expect_eq(out[0], 0xa1, "rax from the frame");
    return ldt_done();
}

static int iret_to_a_good_ldt_code_selector_works(void)
{
    return iret_to_ldt(USER_CS64, false, "a 64-bit code descriptor");
}

static int iret_to_an_unmapped_ldt_page_crashes_the_domain(void)
{
    iret_to_ldt(USER_CS64, true, "LDT page not mapped");
    return kit_fail("came back from the iret");
}

static int iret_to_a_not_present_ldt_selector_crashes_the_domain(void)
{
    iret_to_ldt(USER_CS64 & ~(1UL << 47), false, "descriptor not present");
    return kit_fail("came back from the iret");
}

static int iret_to_an_ldt_data_selector_crashes_the_domain(void)
{
    iret_to_ldt(USER_DS, false, "a data descriptor as cs");
    return kit_fail("came back from the iret");
}

/* ---- VCPUOP_initialise ----------------------------------------------------- */

static struct vcpu_guest_context ctx;
static uint8_t vcpu1_stack[4096] __attribute__((aligned(16)));

static void vcpu1_entry(void)
{
    for (;;)
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

/* A context vCPU 1 could start with: our kernel tables, a stack, a spin. */
static void good_context(void)
{
    memset(&ctx, 0, sizeof(ctx));
    ctx.flags = VGCF_in_kernel | VGCF_i387_valid;
    ctx.user_regs.rip = KIT_UL(vcpu1_entry);
    ctx.user_regs.rsp = KIT_UL(vcpu1_stack + sizeof(vcpu1_stack));
    ctx.user_regs.rflags = 0x202;
    ctx.kernel_ss = FLAT_KERNEL_SS;
    ctx.kernel_sp = ctx.user_regs.rsp;
    ctx.ctrlreg[3] = xen_pfn_to_cr3(virt_to_mfn(kit_mem.l4));
    ctx.fpu_ctxt.x[0] = 0x7f, ctx.fpu_ctxt.x[1] = 0x03;     /* FCW */
    *(uint32_t *)&ctx.fpu_ctxt.x[24] = 0x1f80;               /* MXCSR */
}

#define REFUSED(field, value, what)                                          \
    do {                                                                     \
        good_context();                                                      \
        field = value;                                                       \
        expect_rc(HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &ctx), -XEN_EINVAL, what); \
    } while (0)

/* Decode, then commit: a context refused for its GDT (a frame we map
 * writable) keeps no reference on the kernel table it named, so that frame
 * may be mapped writable again.  Before the fix the table stayed vCPU 1's. */
static int vcpu_initialise_refused_keeps_no_reference(void)
{
    uint64_t l4 = kit_scratch_fresh(0);

    expect_true(l4 != 0, "no free frame left");
    expect_ok(kit_scratch_restore(0), "unmap the frame (an empty L4)");
    good_context();
    ctx.ctrlreg[3] = xen_pfn_to_cr3(l4);
    ctx.gdt_ents = 1;
    ctx.gdt_frames[0] = virt_to_mfn(vcpu1_stack);
    expect_rc(HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &ctx), -XEN_EINVAL,
              "a GDT frame mapped writable");
    expect_ok(kit_scratch_map(0, l4, PTE_RW), "map the refused L4 writable");
    expect_ok(kit_scratch_restore(0), "and unmap it");
    return KIT_PASS;
}

static int vcpu_initialise_refuses_state_ring0_cannot_load(void)
{
    uint32_t *mxcsr = (uint32_t *)&ctx.fpu_ctxt.x[24];

    REFUSED(*mxcsr, 0xffffffffU, "MXCSR all ones");
    REFUSED(*mxcsr, 0x1f80U | (1U << 16), "MXCSR bit 16 (reserved on every CPU)");
    REFUSED(ctx.fs_base, 0x0000800000000000UL, "non-canonical fs_base");
    REFUSED(ctx.gs_base_kernel, 0x8000000000000000UL, "non-canonical gs_base_kernel");
    REFUSED(ctx.gs_base_user, 0xffff7fffffffffffUL, "non-canonical gs_base_user");
    REFUSED(ctx.user_regs.rsp, 0x0000800000000000UL, "non-canonical rsp");
    REFUSED(ctx.kernel_sp, 0x8000000000000000UL, "non-canonical kernel_sp");
    REFUSED(ctx.event_callback_eip, HV_TEXT, "event callback in the hypervisor");
    REFUSED(ctx.failsafe_callback_eip, 0x0000800000000000UL, "non-canonical failsafe callback");
    REFUSED(ctx.syscall_callback_eip, HV_TEXT, "syscall callback in the hypervisor");
    /* The same context without the bad field is taken (and vCPU 1 stays
     * down: it is never brought up). */
    good_context();
    expect_ok(HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &ctx), "a good context");
    expect_rc(HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &ctx), -XEN_EEXIST, "only once");
    return KIT_PASS;
}

/* Xen's sysctl gate, as an unprivileged domain meets it: the whole
 * structure is read (-EFAULT), the interface version checked (-EACCES),
 * then any op refused with -EPERM (XTF livepatch-priv-check). */
static int sysctl_is_eperm_for_an_unprivileged_domain(void)
{
    static struct xen_sysctl op;

    op = (struct xen_sysctl){ .cmd = 77 /* livepatch_op */,
                              .interface_version = XEN_SYSCTL_INTERFACE_VERSION };
    expect_rc(_hypercall1(__HYPERVISOR_sysctl, KIT_UL(&op)), -XEN_EPERM, "sysctl at 4.17's version");
    op.cmd = 0;
    expect_rc(_hypercall1(__HYPERVISOR_sysctl, KIT_UL(&op)), -XEN_EPERM, "sysctl op 0");
    op.interface_version = XEN_SYSCTL_INTERFACE_VERSION - 1;
    expect_rc(_hypercall1(__HYPERVISOR_sysctl, KIT_UL(&op)), -XEN_EACCES, "an older version");
    expect_rc(_hypercall1(__HYPERVISOR_sysctl, 0xffff82d040000000UL), -XEN_EFAULT,
              "a structure in the hypervisor");
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "stale_writable_tlb_entry_cannot_write_a_new_l1",
      stale_writable_tlb_entry_cannot_write_a_new_l1, KIT_MM | KIT_HOSTILE },
    { "stale_writable_tlb_entry_cannot_write_a_new_gdt_frame",
      stale_writable_tlb_entry_cannot_write_a_new_gdt_frame, KIT_MM | KIT_HOSTILE },
    { "vcpu_initialise_refused_keeps_no_reference",
      vcpu_initialise_refused_keeps_no_reference, KIT_MM | KIT_HOSTILE },
    { "vcpu_initialise_refuses_state_ring0_cannot_load",
      vcpu_initialise_refuses_state_ring0_cannot_load, KIT_MM | KIT_HOSTILE },
    { "gs_user_sel_with_ldt_selectors_never_faults_in_mica",
      gs_user_sel_with_ldt_selectors_never_faults_in_mica, KIT_MM | KIT_HOSTILE },
    { "iret_to_a_good_ldt_code_selector_works",
      iret_to_a_good_ldt_code_selector_works, KIT_MM },
    { "new_baseptr_refuses_frames_that_are_not_ram",
      new_baseptr_refuses_frames_that_are_not_ram, KIT_MM | KIT_HOSTILE },
    { "sysctl_is_eperm_for_an_unprivileged_domain", sysctl_is_eperm_for_an_unprivileged_domain,
      KIT_HOSTILE },
    { "iret_to_an_unmapped_ldt_page_crashes_the_domain",
      iret_to_an_unmapped_ldt_page_crashes_the_domain, KIT_MM | KIT_HOSTILE | KIT_CRASHES },
    { "iret_to_a_not_present_ldt_selector_crashes_the_domain",
      iret_to_a_not_present_ldt_selector_crashes_the_domain,
      KIT_MM | KIT_HOSTILE | KIT_CRASHES },
    { "iret_to_an_ldt_data_selector_crashes_the_domain",
      iret_to_an_ldt_data_selector_crashes_the_domain, KIT_MM | KIT_HOSTILE | KIT_CRASHES },
};

KIT_KERNEL("isolation", tests);
