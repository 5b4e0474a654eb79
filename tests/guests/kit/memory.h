/* SPDX-License-Identifier: MIT */
/*
 * Guest memory for the tests, from what start_info says and what the
 * bootstrap page tables show (they are mapped read-only, so we can read
 * them).  The builder's region starts at VIRT_BASE and maps pfn N at
 * VIRT_BASE + N * 4 KiB; it ends with at least 512 KiB of mapped slack.
 *
 * - Scratch pages: the last KIT_NR_SCRATCH pages of that slack.  Tests
 *   point them at any frame (kit_scratch_map) and back at their own
 *   (kit_scratch_restore).
 * - Free frames: pfns from the end of the mapped region to nr_pages are
 *   mapped nowhere, so they can become page tables; kit_alloc_pfn() hands
 *   them out and never takes them back (tests are few).
 * - A window: one unused slot of the L2 that maps VIRT_BASE, for tests that
 *   hook a table of their own into the live tables (kit_window_*).
 */
#ifndef KIT_MEMORY_H
#define KIT_MEMORY_H

#include "kit.h"

/* Page-table entry bits (x86-64). */
#define _PAGE_PRESENT   (1UL << 0)
#define _PAGE_RW        (1UL << 1)
#define _PAGE_USER      (1UL << 2)
#define _PAGE_PWT       (1UL << 3)
#define _PAGE_PCD       (1UL << 4)
#define _PAGE_ACCESSED  (1UL << 5)
#define _PAGE_DIRTY     (1UL << 6)
#define _PAGE_PSE       (1UL << 7)
#define _PAGE_GLOBAL    (1UL << 8)
#define _PAGE_NX        (1UL << 63)
#define PTE_MFN_MASK    0x000ffffffffff000UL

#define PTE_RW   (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PTE_RO   (_PAGE_PRESENT | _PAGE_ACCESSED)
#define PT_ENTRIES 512

static inline uint64_t pte(uint64_t mfn, uint64_t flags)
{
    return (mfn << PAGE_SHIFT) | flags;
}

static inline uint64_t pte_mfn(uint64_t e)
{
    return (e & PTE_MFN_MASK) >> PAGE_SHIFT;
}

#define KIT_NR_SCRATCH 32

struct kit_mem {
    const uint64_t *p2m;        /* pfn -> mfn, nr_pages entries */
    uint64_t nr_pages;
    const uint64_t *l4;         /* bootstrap L4 (pt_base), read-only */
    const uint64_t *l2;         /* the L2 mapping VIRT_BASE's GiB */
    uint64_t l2_mfn;
    uint64_t mapped_end;        /* VA just past the mapped region */
    uint64_t known_end;         /* VA past everything the builder placed */
    uint64_t next_free_pfn;
    unsigned int window_slot;   /* an L2 slot that was empty at boot */
};
extern struct kit_mem kit_mem;

/* Read start_info and the bootstrap tables; 0, or -1 with a reason. */
int kit_mem_init(const struct start_info *si, char *why, size_t why_len);

uint64_t pfn_to_mfn(uint64_t pfn);
uint64_t virt_to_pfn(const volatile void *va);
uint64_t virt_to_mfn(const volatile void *va);
/* VA of a bootstrap page-table frame (they sit from pt_base on), or NULL. */
const uint64_t *pt_frame_va(uint64_t mfn);
/* The bootstrap L1 entry for a VA of the VIRT_BASE GiB: pointer (into the
 * read-only L1) and machine address; NULL / 0 if there is none. */
const uint64_t *kit_l1e_ptr(uint64_t va);
uint64_t kit_l1e_maddr(uint64_t va);

/* A frame no one maps; 0 when none are left. */
uint64_t kit_alloc_pfn(void);
uint64_t kit_alloc_mfn(void);

uint64_t kit_scratch_va(unsigned int slot);
/* Point scratch slot at mfn with the given PTE flags (mmu_update, then
 * INVLPG_LOCAL); returns the hypercall's result. */
long kit_scratch_map(unsigned int slot, uint64_t mfn, uint64_t flags);
long kit_scratch_restore(unsigned int slot);
/* A fresh frame, mapped RW at the slot and zero-filled; its mfn or 0. */
uint64_t kit_scratch_fresh(unsigned int slot);

/* The window: VA of its first page and machine address of its L2 entry. */
uint64_t kit_window_va(void);
uint64_t kit_window_l2e_maddr(void);

/* A fresh L1 table whose entry 0 is e0, built at the scratch slot, left
 * mapped there read-only and pinned.  Returns the hypercall result (or
 * -XEN_ENOMEM when no frame is left) and the table's mfn in *mfn. */
long kit_make_pinned_l1(unsigned int slot, uint64_t e0, uint64_t *mfn);

/* Thin wrappers around one-element batches. */
long kit_mmu_update1(uint64_t maddr, unsigned int cmd, uint64_t val);
long kit_mmuext1(unsigned int cmd, uint64_t arg1);

#endif /* KIT_MEMORY_H */
