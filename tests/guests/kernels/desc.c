// SPDX-License-Identifier: MIT
/*
 * desc: the guest's own descriptor tables.  set_gdt takes frames the guest
 * owns and has mapped read-only, checks every descriptor (DPL raised to 3,
 * system descriptors other than call gates refused) and makes selectors
 * below 0xe000 the guest's; update_descriptor edits one entry under the
 * same checks.  A live GDT frame can never be mapped writable.
 */
#include "hypercall.h"
#include "kit.h"
#include "memory.h"
#include "traps.h"

#define SLOT_GDT   10
#define SLOT_OTHER 11

static inline long HYPERVISOR_update_descriptor(uint64_t maddr, uint64_t desc)
{
    return _hypercall2(__HYPERVISOR_update_descriptor, maddr, desc);
}

/* Linux's GDT layout: 0x10 kernel code (DPL 0, raised to 3 by Mica),
 * 0x18 kernel data, 0x2b user data, 0x33 user code. */
#define KERNEL_CS_DPL0 0x00af9b000000ffffUL
#define KERNEL_DS_DPL0 0x00cf93000000ffffUL
#define USER_DS        0x00cff3000000ffffUL
#define USER_CS        0x00affb000000ffffUL
#define TSS_DESC       0x0000890000000067UL
#define DPL3           (3UL << 45)

static uint64_t gdt_mfn;

static long build_gdt(uint64_t extra, unsigned int at)
{
    volatile uint64_t *g = (volatile uint64_t *)kit_scratch_va(SLOT_GDT);

    gdt_mfn = kit_scratch_fresh(SLOT_GDT);
    if (!gdt_mfn)
        return -1;
    g[2] = KERNEL_CS_DPL0;
    g[3] = KERNEL_DS_DPL0;
    g[5] = USER_DS;
    g[6] = USER_CS;
    if (at)
        g[at] = extra;
    return kit_scratch_map(SLOT_GDT, gdt_mfn, PTE_RO);
}

static int set_gdt_of_read_only_frame_works(void)
{
    uint64_t frames[1];

    expect_ok(build_gdt(0, 0), "build a GDT frame, then map it read-only");
    frames[0] = gdt_mfn;
    expect_ok(HYPERVISOR_set_gdt(frames, 8), "set_gdt");
    volatile uint64_t *g = (volatile uint64_t *)kit_scratch_va(SLOT_GDT);
    expect_eq(g[2] & (3UL << 45), DPL3, "kernel code DPL raised to 3");
    expect_eq(g[3] & (3UL << 45), DPL3, "kernel data DPL raised to 3");
    /* The guest's data selector (index 5, RPL 3) now loads. */
    uint16_t sel = 0x2b, got;
    __asm__ volatile("movw %1, %%ds; movw %%ds, %0" : "=r"(got) : "r"(sel) : "memory");
    expect_eq(got, 0x2b, "ds loaded from the guest's GDT");
    sel = 0;
    __asm__ volatile("movw %0, %%ds" : : "r"(sel) : "memory");
    return KIT_PASS;
}

static int live_gdt_frame_cannot_be_mapped_writable(void)
{
    expect_rc(kit_scratch_map(SLOT_OTHER, gdt_mfn, PTE_RW), -XEN_EINVAL,
              "writable mapping of a live GDT frame");
    return KIT_PASS;
}

static int update_descriptor_checks_and_writes(void)
{
    uint64_t ma = (gdt_mfn << PAGE_SHIFT) + 7 * 8;
    volatile uint64_t *g = (volatile uint64_t *)kit_scratch_va(SLOT_GDT);

    expect_ok(HYPERVISOR_update_descriptor(ma, KERNEL_DS_DPL0), "data descriptor");
    expect_eq(g[7], KERNEL_DS_DPL0 | DPL3, "written with DPL 3");
    expect_rc(HYPERVISOR_update_descriptor(ma, TSS_DESC), -XEN_EINVAL, "a TSS");
    expect_eq(g[7], KERNEL_DS_DPL0 | DPL3, "unchanged after the refusal");
    expect_rc(HYPERVISOR_update_descriptor(ma + 4, USER_DS), -XEN_EINVAL, "misaligned");
    expect_rc(HYPERVISOR_update_descriptor(1UL << PAGE_SHIFT, USER_DS), -XEN_EINVAL,
              "a frame we do not own");
    uint64_t pt = kit_l1e_maddr(kit_scratch_va(0)) & ~0xfffUL;
    expect_rc(HYPERVISOR_update_descriptor(pt, USER_DS), -XEN_EINVAL, "into a page table");
    return KIT_PASS;
}

static int set_gdt_refusals(void)
{
    uint64_t frames[15];
    uint64_t old = gdt_mfn;

    expect_rc(HYPERVISOR_set_gdt(frames, 7169), -XEN_EINVAL, "more than 7168 entries");
    expect_rc(HYPERVISOR_set_gdt((void *)0xffff82d040000000UL, 8), -XEN_EFAULT,
              "frame list in the hypervisor");
    frames[0] = 1;
    expect_rc(HYPERVISOR_set_gdt(frames, 8), -XEN_EINVAL, "a frame we do not own");
    /* A TSS descriptor in the table: refused, nothing taken. */
    expect_ok(build_gdt(TSS_DESC, 8), "GDT with a TSS descriptor");
    frames[0] = gdt_mfn;
    expect_rc(HYPERVISOR_set_gdt(frames, 16), -XEN_EINVAL, "TSS descriptor");
    expect_ok(kit_scratch_map(SLOT_GDT, gdt_mfn, PTE_RW), "the refused frame is plain again");
    /* A frame still mapped writable somewhere cannot become a GDT. */
    frames[0] = gdt_mfn;
    expect_rc(HYPERVISOR_set_gdt(frames, 8), -XEN_EINVAL, "writable-mapped frame");
    /* Back to the good table. */
    gdt_mfn = old;
    frames[0] = old;
    expect_ok(kit_scratch_map(SLOT_GDT, old, PTE_RO), "map the good one again");
    expect_ok(HYPERVISOR_set_gdt(frames, 8), "the previous GDT still works");
    return KIT_PASS;
}

static uint64_t rdmsr(uint32_t msr)     /* emulated for the GS/FS bases */
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static int gs_user_sel_loads_the_user_gs_base(void)
{
    const uint32_t GS_BASE = 0xc0000101, SHADOW_GS_BASE = 0xc0000102;
    uint64_t kernel_gs = rdmsr(GS_BASE);

    expect_ok(HYPERVISOR_set_segment_base(1 /* GS_USER */, 0x12345000), "user GS base");
    expect_eq(rdmsr(SHADOW_GS_BASE), 0x12345000, "user base in the shadow");
    /* The guest's user data selector (base 0) replaces it. */
    expect_ok(HYPERVISOR_set_segment_base(3 /* GS_USER_SEL */, 0x2b), "GS_USER_SEL 0x2b");
    expect_eq(rdmsr(SHADOW_GS_BASE), 0, "user base from the descriptor");
    /* A selector the CPU refuses loads NUL, with no error (as Xen). */
    expect_ok(HYPERVISOR_set_segment_base(1, 0x777000), "user GS base again");
    expect_ok(HYPERVISOR_set_segment_base(3, 0x1000 | 3), "a selector past the GDT");
    expect_eq(rdmsr(SHADOW_GS_BASE), 0, "NUL loaded: base 0");
    expect_eq(rdmsr(GS_BASE), kernel_gs, "the kernel GS base untouched");
    return KIT_PASS;
}

#define SLOT_LDT 12
#define LDT_DATA_SEL 0x0f               /* index 1, LDT, RPL 3 */

static uint64_t ldt_mfn;

/* An LDT page holding `d` at index 1, mapped read-only at SLOT_LDT. */
static long build_ldt(uint64_t d)
{
    volatile uint64_t *l = (volatile uint64_t *)kit_scratch_va(SLOT_LDT);

    ldt_mfn = kit_scratch_fresh(SLOT_LDT);
    if (!ldt_mfn)
        return -1;
    l[1] = d;
    return kit_scratch_map(SLOT_LDT, ldt_mfn, PTE_RO);
}

static int ldt_selector_loads_after_lazy_mapping(void)
{
    expect_ok(build_ldt(USER_DS), "an LDT page, mapped read-only");
    expect_ok(kit_set_ldt(kit_scratch_va(SLOT_LDT), 2), "SET_LDT, 2 entries");
    uint16_t sel = LDT_DATA_SEL, got;
    __asm__ volatile("movw %1, %%ds; movw %%ds, %0" : "=r"(got) : "r"(sel) : "memory");
    expect_eq(got, LDT_DATA_SEL, "ds loaded from the LDT");
    sel = 0;
    __asm__ volatile("movw %0, %%ds" : : "r"(sel) : "memory");
    expect_rc(kit_scratch_map(SLOT_OTHER, ldt_mfn, PTE_RW), -XEN_EINVAL,
              "a live LDT page cannot be mapped writable");
    expect_ok(kit_set_ldt(0, 0), "no LDT");
    expect_ok(kit_scratch_map(SLOT_OTHER, ldt_mfn, PTE_RW), "the page is plain again");
    expect_ok(kit_scratch_restore(SLOT_OTHER), "restore");
    return KIT_PASS;
}

static int set_ldt_refusals(void)
{
    expect_rc(kit_set_ldt(kit_scratch_va(SLOT_LDT), 8193), -XEN_EINVAL, "more than 8192 entries");
    expect_rc(kit_set_ldt(0xffff82d040000000UL, 16), -XEN_EINVAL, "an LDT in the hypervisor");
    expect_rc(kit_set_ldt(kit_scratch_va(SLOT_LDT) + 8, 16), -XEN_EINVAL, "not page-aligned");
    return KIT_PASS;
}

static int ldt_page_with_a_tss_gives_the_guest_a_page_fault(void)
{
    expect_ok(kit_traps_install(NULL), "exception stubs");
    expect_true(kit_vcpu_info() != NULL, "shared_info mapped (the stubs read cr2 there)");
    expect_ok(build_ldt(TSS_DESC), "an LDT page holding a TSS descriptor");
    uint64_t va = kit_scratch_va(SLOT_LDT);
    expect_ok(kit_set_ldt(va, 2), "SET_LDT");
    KIT_PROBE("movw %w0, %%ds", : : "r"((uint16_t)LDT_DATA_SEL) : KIT_RESUME_CLOBBERS);
    expect_eq(kit_trap_count, 1, "traps taken");
    expect_eq(kit_trap_last.vector, 14, "#PF");
    expect_eq(kit_trap_last.cr2, va + 8, "cr2: the descriptor's address in our LDT");
    expect_ok(kit_set_ldt(0, 0), "no LDT");
    return KIT_PASS;
}

static int empty_gdt_releases_the_frame(void)
{
    expect_ok(HYPERVISOR_set_gdt(NULL, 0), "no guest GDT");
    expect_ok(kit_scratch_map(SLOT_OTHER, gdt_mfn, PTE_RW), "the frame is writable again");
    expect_ok(kit_scratch_restore(SLOT_OTHER), "restore");
    return KIT_PASS;
}

/* A far call through an LDT selector with no LDT loaded is the CPU's
 * #GP(selector), and the guest gets exactly that (XTF xsa-298 expects
 * #GP(0x1004)).  m16:32 form, which AMD and Intel read alike. */
static int far_call_through_an_ldt_selector_without_ldt_is_gp_selector(void)
{
    static struct __attribute__((packed)) { uint32_t offset; uint16_t sel; } ptr = {
        .offset = 0x1000, .sel = 0x1007,
    };

    expect_ok(kit_traps_install(NULL), "exception stubs");
    expect_ok(kit_set_ldt(0, 0), "no LDT");
    KIT_PROBE("lcall *%0", : : "m"(ptr) : KIT_RESUME_CLOBBERS);
    expect_eq(kit_trap_count, 1, "traps taken");
    expect_eq(kit_trap_last.vector, 13, "#GP");
    expect_eq(kit_trap_last.error_code, 0x1004, "error code: the selector, RPL cleared");
    expect_eq(kit_trap_last.rip, kit_trap_probe_insn, "at the lcall");
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "set_gdt_of_read_only_frame_works", set_gdt_of_read_only_frame_works, KIT_MM },
    { "live_gdt_frame_cannot_be_mapped_writable", live_gdt_frame_cannot_be_mapped_writable,
      KIT_MM | KIT_HOSTILE },
    { "update_descriptor_checks_and_writes", update_descriptor_checks_and_writes,
      KIT_MM | KIT_HOSTILE },
    { "set_gdt_refusals", set_gdt_refusals, KIT_MM | KIT_HOSTILE },
    { "gs_user_sel_loads_the_user_gs_base", gs_user_sel_loads_the_user_gs_base, 0 },
    { "ldt_selector_loads_after_lazy_mapping", ldt_selector_loads_after_lazy_mapping, KIT_MM },
    { "set_ldt_refusals", set_ldt_refusals, KIT_MM | KIT_HOSTILE },
    { "ldt_page_with_a_tss_gives_the_guest_a_page_fault",
      ldt_page_with_a_tss_gives_the_guest_a_page_fault, KIT_MM | KIT_HOSTILE },
    { "far_call_through_an_ldt_selector_without_ldt_is_gp_selector",
      far_call_through_an_ldt_selector_without_ldt_is_gp_selector, KIT_HOSTILE },
    { "empty_gdt_releases_the_frame", empty_gdt_releases_the_frame, KIT_MM },
};

KIT_KERNEL("desc", tests);
