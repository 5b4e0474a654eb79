/* SPDX-License-Identifier: MIT */
/*
 * Guest segment descriptors: which GDT/LDT entries a 64-bit PV guest may
 * own, and the fix-ups applied as they are accepted (Xen's check_descriptor;
 * docs ref xen-pv-mechanics.md section 2).
 *
 * The invariant: no descriptor a guest owns can ever give anyone a
 * privilege level below 3 or a way into the hypervisor.
 *
 *  - Not present (P = 0): any use faults, whatever the other bits say, so
 *    the value is kept as written.
 *  - Present: the DPL is raised to 3.  The guest kernel runs in ring 3, so a
 *    DPL 0-2 segment is one it could not use anyway; with DPL 3 a code
 *    segment can only ever run at CPL 3, even if some path reached it
 *    through a gate.
 *  - Code and data (S = 1): long mode ignores base and limit for CS, DS,
 *    ES and SS, and compat-mode code can only address the low 4 GiB, which
 *    the guest owns; nothing else to check.
 *  - System type 0: not a descriptor type at all, so any use faults; it is
 *    what the upper half of a 16-byte gate looks like.  Kept unchanged
 *    (Xen stores nothing for it, not even the DPL fix-up: those bits are
 *    part of the upper half's reserved dword).
 *  - Call gate (0xc): stored with DPL 0, so using it from ring 3 always
 *    faults with #GP(gate); the guest gets that fault back (gate emulation
 *    is for 32-bit guests only, which Mica does not run).  Its DPL, after
 *    the raise above and therefore always 3, is kept in the target
 *    selector's RPL, where an emulator would look for it.  The target must
 *    still be a guest selector (a guest GDT index, an LDT selector, or
 *    exactly FLAT_KERNEL_CS) and the reserved byte must be 0, so a guest
 *    sees the same accept/refuse answers as on Xen.
 *  - Everything else (LDT and TSS descriptors, task, interrupt and trap
 *    gates, the types long mode does not define) is refused: the guest
 *    cannot load an LDTR or TR itself, and the hypervisor must never be
 *    able to be led into loading one the guest wrote.
 *
 * A 16-byte system descriptor occupies two slots, and guests write it with
 * two update_descriptor calls, so each slot is checked alone: each must be
 * harmless whichever way the CPU reads it.  That holds slot by slot: a gate
 * whose upper half is not type 0 is refused by the CPU when used, and any
 * slot read as an upper half contributes only offset bits to a gate that
 * was itself checked.
 *
 * The fix-ups are idempotent (checking an accepted value again accepts it
 * unchanged), which matters because a frame loses and regains its seg_desc
 * type, and guests read back and rewrite what they stored.
 */
#include <abi/xen.h>
#include <mica/desc_check.h>
#include <mica/errno.h>

bool desc_gate_selector_ok(uint16_t sel)
{
    return (sel >> 3) < FIRST_RESERVED_GDT_ENTRY || sel == FLAT_KERNEL_CS ||
           (sel & 4) != 0;
}

/* The checked value of d in *out, or false. */
static bool desc_fixup(uint64_t d, uint64_t *out)
{
    if (!(d & DESC_P)) {
        *out = d;
        return true;
    }
    /* A 64-bit guest's kernel RPL is 3, so "raised to 3" is "set to 3". */
    uint64_t raised = d | DESC_DPL_MASK;

    if (d & DESC_S) {
        *out = raised;
        return true;
    }
    switch ((d & DESC_TYPE_MASK) >> DESC_TYPE_SHIFT) {
    case DESC_SYS_UPPER_HALF:
        *out = d;
        return true;
    case DESC_SYS_CALL_GATE: {
        uint16_t sel = (uint16_t)(d >> DESC_GATE_SEL_SHIFT);
        uint16_t dpl = (uint16_t)((raised & DESC_DPL_MASK) >> DESC_DPL_SHIFT);

        if (!desc_gate_selector_ok(sel) || (d & DESC_GATE_RSVD_MASK))
            return false;
        sel = (uint16_t)((sel & ~3u) | dpl);
        *out = (d & ~(DESC_DPL_MASK | DESC_GATE_SEL_MASK)) |
               ((uint64_t)sel << DESC_GATE_SEL_SHIFT);
        return true;
    }
    default:
        return false;
    }
}

bool desc_check(uint64_t *d)
{
    uint64_t v;

    if (!desc_fixup(*d, &v))
        return false;
    *d = v;
    return true;
}

/* Two passes, so that a refused page is left exactly as the guest wrote it:
 * check everything, then store the fix-ups. */
int desc_page_check(uint64_t page[DESC_PER_PAGE])
{
    uint64_t v;

    for (unsigned int i = 0; i < DESC_PER_PAGE; i++)
        if (!desc_fixup(page[i], &v))
            return -EINVAL;
    for (unsigned int i = 0; i < DESC_PER_PAGE; i++) {
        desc_fixup(page[i], &v);
        if (v != page[i])
            page[i] = v;
    }
    return 0;
}
