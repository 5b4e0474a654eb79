/* SPDX-License-Identifier: MIT */
/*
 * Validation of guest segment descriptors (GDT and LDT entries of a 64-bit
 * PV guest): the rule table of Xen's check_descriptor, as docs ref
 * xen-pv-mechanics.md section 2 lists it.  Pure logic, no locks and no
 * frame table: callers are set_gdt and the LDT fault path (through the
 * PGT_seg_desc type, desc_page_check) and update_descriptor (desc_check).
 */
#ifndef MICA_DESC_CHECK_H
#define MICA_DESC_CHECK_H

#include <mica/types.h>

/* Fields of an 8-byte descriptor, as masks of the whole 64-bit value. */
#define DESC_TYPE_SHIFT     40
#define DESC_TYPE_MASK      (0xfULL << DESC_TYPE_SHIFT)
#define DESC_S              (1ULL << 44)    /* 1: code/data, 0: system */
#define DESC_DPL_SHIFT      45
#define DESC_DPL_MASK       (3ULL << DESC_DPL_SHIFT)
#define DESC_P              (1ULL << 47)
#define DESC_GATE_SEL_SHIFT 16              /* call gate: target selector */
#define DESC_GATE_SEL_MASK  (0xffffULL << DESC_GATE_SEL_SHIFT)
#define DESC_GATE_RSVD_MASK (0xffULL << 32) /* call gate: low byte of high dword */

/* System descriptor types that matter here (S = 0, 64-bit mode). */
#define DESC_SYS_UPPER_HALF 0x0             /* second 8 bytes of a 16-byte one */
#define DESC_SYS_CALL_GATE  0xc

#define DESC_PER_PAGE       512

/*
 * May a guest gate name this code selector?  A guest GDT entry (index below
 * FIRST_RESERVED_GDT_ENTRY), any LDT entry, or exactly FLAT_KERNEL_CS.
 */
bool desc_gate_selector_ok(uint16_t sel);

/*
 * Check one descriptor.  On success *d holds the value to store (DPL raised
 * to 3; a call gate's DPL forced to 0 with its DPL moved into the target's
 * RPL); on failure *d is unchanged.  GDT and LDT entries follow the same
 * rules.  A 16-byte descriptor is checked as two independent 8-byte slots:
 * see the essay in common/desc_check.c.
 */
bool desc_check(uint64_t *d);

/*
 * Check and fix up a whole GDT/LDT frame in place, for the PGT_seg_desc
 * type.  Returns 0, or -EINVAL with the page unchanged.  The caller must
 * keep others from writing the page meanwhile (no writable type ref can
 * coexist with the validation of a seg_desc type).
 */
int desc_page_check(uint64_t page[DESC_PER_PAGE]);

#endif /* MICA_DESC_CHECK_H */
