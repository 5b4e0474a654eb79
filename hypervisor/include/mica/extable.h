/* SPDX-License-Identifier: MIT */
/*
 * The exception table: every instruction of the hypervisor that loads or
 * touches a guest-chosen value and may fault on it (a copy from a guest
 * address, a segment selector, an MSR, an FPU image) is listed here with
 * the place to resume at.  A fault in ring 0 anywhere else is Mica's own
 * bug and fatal; a fault on a listed instruction never is: the exception
 * handler (arch/x86/traps.c) resumes at its fixup, which fails the load --
 * and the hypercall, or the domain -- with the registers as they were at
 * the fault.  A #PF in the LDT window is first given the chance to map the
 * guest's LDT page and retry (arch/x86/pv/pv_desc.c).
 *
 * From C, wrap the instruction with labels and put the fixup in .fixup:
 *
 *     "1: wrmsr\n2:\n"
 *     ".pushsection .fixup, \"ax\"\n3: mov $-1, %0\n jmp 2b\n.popsection\n"
 *     EX_TABLE(1b, 3b)
 *
 * From nasm, `EX_TABLE insn_label, fixup_label` (arch/x86/regs.inc).
 */
#ifndef MICA_EXTABLE_H
#define MICA_EXTABLE_H

#include <mica/types.h>

struct ex_entry {
    uint64_t insn;
    uint64_t fixup;
};

#define EX_TABLE(insn, fixup)                                           \
    ".pushsection .ex_table, \"a\"\n.balign 8\n"                        \
    ".quad " #insn ", " #fixup "\n.popsection\n"

/* Where to resume after a fault on the instruction at rip, or 0 when it
 * has no fixup. */
uint64_t extable_fixup(uint64_t rip);

#endif /* MICA_EXTABLE_H */
