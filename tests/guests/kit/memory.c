// SPDX-License-Identifier: MIT
/*
 * Guest memory helpers (see memory.h): the p2m, the bootstrap tables, free
 * frames, scratch pages and the window.  Everything is found by reading
 * start_info and walking the builder's tables L4[511] -> L3[510] -> L2, the
 * same path Linux's xen_setup_kernel_pagetable() takes, so a builder that
 * satisfies Linux satisfies the kit.  Nothing here trusts a pointer from
 * start_info before checking it lies in the VIRT_BASE gigabyte.
 */
#include "hypercall.h"
#include "memory.h"

#define GIB (1UL << 30)

struct kit_mem kit_mem;

static bool in_base_gib(uint64_t va, uint64_t len)
{
    return va >= VIRT_BASE && len <= GIB && va - VIRT_BASE <= GIB - len;
}

static uint64_t page_up(uint64_t va)
{
    return (va + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

uint64_t pfn_to_mfn(uint64_t pfn)
{
    return pfn < kit_mem.nr_pages ? kit_mem.p2m[pfn] : ~0UL;
}

uint64_t virt_to_pfn(const volatile void *va)
{
    return ((uint64_t)va - VIRT_BASE) >> PAGE_SHIFT;
}

uint64_t virt_to_mfn(const volatile void *va)
{
    return pfn_to_mfn(virt_to_pfn(va));
}

const uint64_t *pt_frame_va(uint64_t mfn)
{
    const struct start_info *si = kit_si;

    for (uint64_t i = 0; i < si->nr_pt_frames; i++) {
        uint64_t va = si->pt_base + i * PAGE_SIZE;
        if (virt_to_mfn((const void *)va) == mfn)
            return (const uint64_t *)va;
    }
    return NULL;
}

static const uint64_t *l1_of(uint64_t va)
{
    if (!in_base_gib(va, 1))
        return NULL;
    uint64_t l2e = kit_mem.l2[(va >> 21) & 511];
    return (l2e & _PAGE_PRESENT) ? pt_frame_va(pte_mfn(l2e)) : NULL;
}

const uint64_t *kit_l1e_ptr(uint64_t va)
{
    const uint64_t *l1 = l1_of(va);

    return l1 ? &l1[(va >> PAGE_SHIFT) & 511] : NULL;
}

uint64_t kit_l1e_maddr(uint64_t va)
{
    if (!in_base_gib(va, 1))
        return 0;
    uint64_t l2e = kit_mem.l2[(va >> 21) & 511];
    if (!(l2e & _PAGE_PRESENT))
        return 0;
    return (pte_mfn(l2e) << PAGE_SHIFT) | (((va >> PAGE_SHIFT) & 511) * 8);
}

static int why_fail(char *why, size_t len, const char *fmt, ...) __printf(3, 4);
static int why_fail(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    kit_vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* The next level's table behind entry e, among the bootstrap frames. */
static const uint64_t *next_table(uint64_t e)
{
    return (e & _PAGE_PRESENT) ? pt_frame_va(pte_mfn(e)) : NULL;
}

/* Where the builder's mapping of the VIRT_BASE gigabyte ends. */
static int find_mapped_end(char *why, size_t len)
{
    int last = -1;

    for (int i = 0; i < PT_ENTRIES; i++)
        if (kit_mem.l2[i] & _PAGE_PRESENT)
            last = i;
    if (last < 0)
        return why_fail(why, len, "the L2 for VIRT_BASE maps nothing");
    const uint64_t *l1 = next_table(kit_mem.l2[last]);
    if (!l1)
        return why_fail(why, len, "L2[%d] (mfn %#lx) is not among the page-table frames",
                        last, pte_mfn(kit_mem.l2[last]));
    int j = PT_ENTRIES - 1;
    while (j >= 0 && !(l1[j] & _PAGE_PRESENT))
        j--;
    kit_mem.mapped_end = VIRT_BASE + ((uint64_t)last << 21) + ((uint64_t)(j + 1) << 12);
    kit_mem.window_slot = 0;
    for (int i = PT_ENTRIES - 1; i > last; i--)
        if (!(kit_mem.l2[i] & _PAGE_PRESENT)) {
            kit_mem.window_slot = (unsigned int)i;
            break;
        }
    if (!kit_mem.window_slot)
        return why_fail(why, len, "no empty L2 slot above the region for the window");
    return 0;
}

/* The end of everything the builder says it placed in the region. */
static uint64_t builder_end(const struct start_info *si)
{
    uint64_t end = (uint64_t)_image_end;
    uint64_t ends[] = {
        (uint64_t)si + PAGE_SIZE,
        page_up(si->mfn_list + si->nr_pages * 8),
        si->pt_base + si->nr_pt_frames * PAGE_SIZE,
        page_up(kit_entry_rsp),
        (si->mod_len && !(si->flags & SIF_MOD_START_PFN)) ? page_up(si->mod_start + si->mod_len)
                                                          : 0,
    };

    for (size_t i = 0; i < ARRAY_SIZE(ends); i++)
        if (ends[i] > end)
            end = ends[i];
    return end;
}

int kit_mem_init(const struct start_info *si, char *why, size_t len)
{
    kit_mem = (struct kit_mem){ 0 };
    if (!si->nr_pages || !in_base_gib(si->mfn_list, si->nr_pages * 8) || (si->mfn_list & 7))
        return why_fail(why, len, "mfn_list %#lx / nr_pages %lu not a p2m in the VIRT_BASE GiB",
                        si->mfn_list, si->nr_pages);
    if (!si->nr_pt_frames || (si->pt_base & (PAGE_SIZE - 1)) ||
        !in_base_gib(si->pt_base, si->nr_pt_frames * PAGE_SIZE))
        return why_fail(why, len, "pt_base %#lx / nr_pt_frames %lu not in the VIRT_BASE GiB",
                        si->pt_base, si->nr_pt_frames);
    kit_mem.p2m = (const uint64_t *)si->mfn_list;
    kit_mem.nr_pages = si->nr_pages;
    kit_mem.l4 = (const uint64_t *)si->pt_base;

    const uint64_t *l3 = next_table(kit_mem.l4[511]);
    if (!l3)
        return why_fail(why, len, "L4[511] = %#lx: no L3 among the page-table frames",
                        kit_mem.l4[511]);
    kit_mem.l2 = next_table(l3[510]);
    if (!kit_mem.l2)
        return why_fail(why, len, "L3[510] = %#lx: no L2 among the page-table frames", l3[510]);
    kit_mem.l2_mfn = pte_mfn(l3[510]);
    if (find_mapped_end(why, len))
        return -1;

    kit_mem.known_end = builder_end(si);
    uint64_t scratch = kit_mem.mapped_end - KIT_NR_SCRATCH * PAGE_SIZE;
    if (scratch < kit_mem.known_end)
        return why_fail(why, len, "mapped region ends at %#lx, only %lu KiB after %#lx",
                        kit_mem.mapped_end,
                        kit_mem.mapped_end > kit_mem.known_end
                            ? (kit_mem.mapped_end - kit_mem.known_end) >> 10 : 0,
                        kit_mem.known_end);
    kit_mem.next_free_pfn = virt_to_pfn((const void *)kit_mem.mapped_end);
    return 0;
}

uint64_t kit_alloc_pfn(void)
{
    if (kit_mem.next_free_pfn == 0 || kit_mem.next_free_pfn >= kit_mem.nr_pages)
        return 0;
    return kit_mem.next_free_pfn++;
}

uint64_t kit_alloc_mfn(void)
{
    uint64_t pfn = kit_alloc_pfn();

    return pfn ? pfn_to_mfn(pfn) : 0;
}

uint64_t kit_scratch_va(unsigned int slot)
{
    return kit_mem.mapped_end - (KIT_NR_SCRATCH - slot % KIT_NR_SCRATCH) * PAGE_SIZE;
}

long kit_mmu_update1(uint64_t maddr, unsigned int cmd, uint64_t val)
{
    struct mmu_update req = { .ptr = maddr | cmd, .val = val };

    return HYPERVISOR_mmu_update(&req, 1, NULL, DOMID_SELF);
}

long kit_mmuext1(unsigned int cmd, uint64_t arg1)
{
    struct mmuext_op op = { .cmd = cmd, .arg1.mfn = arg1 };

    return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

long kit_scratch_map(unsigned int slot, uint64_t mfn, uint64_t flags)
{
    uint64_t va = kit_scratch_va(slot);
    long rc = kit_mmu_update1(kit_l1e_maddr(va), MMU_NORMAL_PT_UPDATE, pte(mfn, flags));

    return rc ? rc : kit_mmuext1(MMUEXT_INVLPG_LOCAL, va);
}

long kit_scratch_restore(unsigned int slot)
{
    return kit_scratch_map(slot, virt_to_mfn((const void *)kit_scratch_va(slot)), PTE_RW);
}

uint64_t kit_scratch_fresh(unsigned int slot)
{
    uint64_t mfn = kit_alloc_mfn();

    if (!mfn || kit_scratch_map(slot, mfn, PTE_RW))
        return 0;
    memset((void *)kit_scratch_va(slot), 0, PAGE_SIZE);
    return mfn;
}

uint64_t kit_window_va(void)
{
    return VIRT_BASE + ((uint64_t)kit_mem.window_slot << 21);
}

uint64_t kit_window_l2e_maddr(void)
{
    return (kit_mem.l2_mfn << PAGE_SHIFT) | (kit_mem.window_slot * 8UL);
}

long kit_make_pinned_l1(unsigned int slot, uint64_t e0, uint64_t *mfn)
{
    uint64_t t = kit_scratch_fresh(slot);
    long rc;

    *mfn = t;
    if (!t)
        return -XEN_ENOMEM;
    ((volatile uint64_t *)kit_scratch_va(slot))[0] = e0;
    if ((rc = kit_scratch_map(slot, t, PTE_RO)))
        return rc;
    return kit_mmuext1(MMUEXT_PIN_L1_TABLE, t);
}
