/* SPDX-License-Identifier: MIT */
/*
 * When translations a guest may still have cached must go: the TLB flush
 * discipline of the PV memory core.
 *
 * The type rules of mm/pt.c speak of page-table entries, but the CPU acts on
 * what its TLB caches, and an entry that has been cleared or overwritten
 * stays usable through the TLB until a flush.  Mica flushes nothing when a
 * guest clears an L1 entry (the guest asks for flushes itself, as on bare
 * metal), so a translation may outlive its entry, and two rules keep that
 * harmless:
 *
 *  1. A frame whose last writable mapping went (its writable type count
 *     reached zero) may still be writable through the TLB.  Before it takes
 *     any other type -- page table, descriptor page -- every translation
 *     cached since then must be flushed; else a guest writes a PTE through
 *     the stale entry into a table Mica has just validated.
 *
 *  2. A frame that was freed may still be mapped (readable, or writable)
 *     through its last owner's TLB entries.  Before it is handed out again
 *     -- to any domain, or to Mica itself -- the same holds.
 *
 * Rather than flushing at every such change, each frame carries a stamp:
 * the flush clock's value when its mappings were last dropped.  The clock
 * ticks on every full flush, so a frame needs one only while the clock still
 * shows its stamp.  Stamps are 16 bits: after 65536 flushes an old stamp
 * can match again, which costs one flush too many, never one too few.  (One
 * CPU today: with SMP each CPU keeps the time of its last flush and the
 * check asks for a flush on every CPU that has not flushed since.)
 *
 * Full flushes remove global entries too.  Guest user mappings are global
 * (mm/pt.c rule 3), so that switching between a vCPU's kernel and user page
 * tables keeps them; every other change of address space -- a domain or
 * vCPU switch, a new base pointer -- and every flush a guest asks for, and
 * every L2-L4 change must drop them, or one domain (or process) would use
 * another's user translations.
 */
#include <mica/mm.h>

static uint16_t flush_clock = 1;    /* 0 is "nothing cached" in a stamp */

void tlb_flush_all(void)
{
    arch_flush_tlb_all();
    if (++flush_clock == 0)
        flush_clock = 1;
}

void tlb_stamp(struct page_info *pg)
{
    pg->tlbflush_stamp = flush_clock;
}

void tlb_flush_stale(struct page_info *pg)
{
    if (pg->tlbflush_stamp == flush_clock)
        tlb_flush_all();
    pg->tlbflush_stamp = 0;
}
