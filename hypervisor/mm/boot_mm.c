/* SPDX-License-Identifier: MIT */
/*
 * The memory core on the real machine: the frame pool behind the frame
 * table, frames the hypervisor takes for itself, freeing (with scrubbing,
 * so no domain ever sees another's data), and the machine-to-physical
 * table guests read at 0xffff800000000000.
 */
#include <mica/bug.h>
#include <mica/mm.h>
#include <mica/paging.h>
#include <mica/string.h>

static struct frame_pool *pool;
uint64_t *machine_to_phys;      /* m2p[mfn] = guest pfn, ~0 when none */

void mm_boot_init(struct frame_pool *p, struct page_info *table, uint64_t *m2p,
                  mfn_t nr_frames, const struct memmap *ram)
{
    pool = p;
    machine_to_phys = m2p;
    memset(m2p, 0xff, nr_frames * sizeof(*m2p));
    frame_table_init(table, nr_frames, ram, &p->ram);
}

mfn_t alloc_xen_frame(void)
{
    mfn_t mfn = frame_alloc(pool);

    if (mfn != INVALID_MFN) {
        BUG_ON(frame_table[mfn].owner != OWNER_FREE);
        frame_prepare(mfn);
        frame_table[mfn].owner = DOMID_XEN;
    }
    return mfn;
}

/* No stamp (mm/tlb.c): no guest ever maps a frame of the hypervisor's. */
void free_xen_frame(mfn_t mfn)
{
    BUG_ON(frame_table[mfn].owner != DOMID_XEN || frame_table[mfn].count);
    frame_table[mfn].owner = OWNER_FREE;
    mm_free_frame(mfn);
}

mfn_t alloc_domain_frame(struct domain *d)
{
    mfn_t mfn = frame_alloc(pool);

    if (mfn == INVALID_MFN)
        return mfn;
    frame_prepare(mfn);
    if (assign_page(d, mfn) < 0) {
        BUG_ON(!frame_free(pool, mfn));
        return INVALID_MFN;
    }
    return mfn;
}

/* The frame numbers an address of `bits` bits reaches are those below
 * this (0 bits, or more than the pool covers: every frame). */
static mfn_t frame_limit(unsigned int bits)
{
    if (bits == 0 || bits >= 64)
        return INVALID_MFN;
    return bits < PAGE_SHIFT ? 0 : 1UL << (bits - PAGE_SHIFT);
}

mfn_t alloc_extent(unsigned int order, unsigned int bits)
{
    mfn_t limit = frame_limit(bits), mfn;

    mfn = order == 0 && limit >= pool->nr_frames ? frame_alloc(pool)
                                                 : frame_alloc_extent(pool, order, limit);
    if (mfn == INVALID_MFN)
        return mfn;
    for (mfn_t f = mfn; f < mfn + (1UL << order); f++) {
        BUG_ON(frame_table[f].owner != OWNER_FREE);
        frame_prepare(f);               /* at most one TLB flush for all */
    }
    return mfn;
}

/* Frames from alloc_extent() nobody was given: zeroed already; only the
 * M2P entries a caller may have set are undone. */
void free_extent(mfn_t mfn, unsigned int order)
{
    for (mfn_t f = mfn; f < mfn + (1UL << order); f++) {
        machine_to_phys[f] = ~0UL;
        BUG_ON(!frame_free(pool, f));
    }
}

uint64_t mm_free_frames(void)
{
    return pool->nr_free;
}

uint64_t mm_total_frames(void)
{
    return memmap_total(&pool->ram) >> PAGE_SHIFT;
}

void mm_free_frame(mfn_t mfn)
{
    memset(mm_map_frame(mfn), 0, PAGE_SIZE);
    machine_to_phys[mfn] = ~0UL;
    BUG_ON(!frame_free(pool, mfn));
}
