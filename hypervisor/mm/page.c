/* SPDX-License-Identifier: MIT */
/*
 * The frame table: one struct page_info per machine frame, giving its owner
 * and its general reference count, and each domain's list of the frames it
 * owns.  Types and page-table validation are in mm/pt.c.
 *
 * Ownership: at boot every frame is free (usable RAM), the hypervisor's
 * (image, frame table, heap, boot data) or I/O (everything else).  A free
 * frame is given to a domain with its allocation reference (count 1,
 * PGF_allocated); the domain gives it back by dropping that reference, and
 * the frame returns to the pool only when the count reaches zero, i.e. when
 * no page-table entry, pin or base pointer still refers to it.  A frame
 * never changes owner while its count is non-zero.
 */
#include <mica/bug.h>
#include <mica/errno.h>
#include <mica/mm.h>
#include <mica/string.h>

struct page_info *frame_table;
mfn_t max_page;
/* Frames at or above this are beyond the CPU's physical address width
 * (paging_init sets it from CPUID; 2^46 bytes until then). */
mfn_t io_mfn_end = 1UL << (46 - PAGE_SHIFT);

bool io_frame_ok(mfn_t mfn)
{
    if (mfn >= io_mfn_end)
        return false;
    /* The interrupt hardware is Mica's: the I/O APIC's registers and the
     * local APIC / MSI window, as Xen keeps them from dom0. */
    return mfn != 0xfec00 && !(mfn >= 0xfee00 && mfn < 0xfef00);
}

static void set_owner(struct page_info *table, mfn_t nr_frames,
                      const struct memmap *m, domid_t owner)
{
    for (unsigned int i = 0; i < m->nr; i++)
        for (mfn_t f = m->r[i].start >> PAGE_SHIFT;
             f < (m->r[i].end >> PAGE_SHIFT) && f < nr_frames; f++)
            table[f].owner = owner;
}

void frame_table_init(struct page_info *table, mfn_t nr_frames,
                      const struct memmap *ram, const struct memmap *free)
{
    frame_table = table;
    max_page = nr_frames;
    for (mfn_t m = 0; m < nr_frames; m++)
        table[m] = (struct page_info){
            .owner = DOMID_IO, .next = PAGE_LIST_NONE, .prev = PAGE_LIST_NONE,
            .qnext = PAGE_LIST_NONE, .qprev = PAGE_LIST_NONE,
        };
    set_owner(table, nr_frames, ram, DOMID_XEN);
    set_owner(table, nr_frames, free, OWNER_FREE);
}

void domain_mm_init(struct domain *d, uint64_t max_pages)
{
    d->page_head = d->page_tail = INVALID_MFN;
    d->deval_head = INVALID_MFN;
    d->relinquish_at = INVALID_MFN;
    d->tot_pages = 0;
    d->max_pages = max_pages;
}

static void list_add(struct domain *d, mfn_t mfn)
{
    struct page_info *pg = mfn_to_page(mfn);

    pg->next = PAGE_LIST_NONE;
    pg->prev = d->page_tail == INVALID_MFN ? PAGE_LIST_NONE : (uint32_t)d->page_tail;
    if (d->page_tail == INVALID_MFN)
        d->page_head = mfn;
    else
        mfn_to_page(d->page_tail)->next = (uint32_t)mfn;
    d->page_tail = mfn;
}

static void list_del(struct domain *d, mfn_t mfn)
{
    struct page_info *pg = mfn_to_page(mfn);

    if (pg->prev == PAGE_LIST_NONE)
        d->page_head = pg->next == PAGE_LIST_NONE ? INVALID_MFN : pg->next;
    else
        mfn_to_page(pg->prev)->next = pg->next;
    if (pg->next == PAGE_LIST_NONE)
        d->page_tail = pg->prev == PAGE_LIST_NONE ? INVALID_MFN : pg->prev;
    else
        mfn_to_page(pg->next)->prev = pg->prev;
    pg->next = pg->prev = PAGE_LIST_NONE;
}

/* A free frame becomes d's, held by its allocation reference. */
static void give(struct domain *d, mfn_t mfn)
{
    struct page_info *pg = mfn_to_page(mfn);

    pg->owner = d->domain_id;
    pg->count = 1;
    pg->type_count = 0;
    pg->type = PGT_none;
    pg->flags = PGF_allocated;
    pg->nr_done = 0;
    list_add(d, mfn);
    d->tot_pages++;
}

void frame_prepare(mfn_t mfn)
{
    tlb_flush_stale(mfn_to_page(mfn));      /* first: then no one writes it */
    memset(mm_map_frame(mfn), 0, PAGE_SIZE);
}

int assign_page(struct domain *d, mfn_t mfn)
{
    if (!mfn_valid(mfn) || mfn_to_page(mfn)->owner != OWNER_FREE)
        return -EINVAL;
    if (d->tot_pages >= d->max_pages)
        return -ENOMEM;
    give(d, mfn);
    return 0;
}

int assign_pages(struct domain *d, mfn_t mfn, unsigned int order, bool within_max)
{
    uint64_t n = 1UL << order;

    if (within_max && (d->tot_pages > d->max_pages || n > d->max_pages - d->tot_pages))
        return -ENOMEM;
    for (uint64_t i = 0; i < n; i++) {
        /* The caller took them from the pool: they are free frames. */
        BUG_ON(!mfn_valid(mfn + i) || mfn_to_page(mfn + i)->owner != OWNER_FREE);
        give(d, mfn + i);
    }
    return 0;
}

/*
 * Exchange: a frame leaves d's hands in two steps, so that a chunk of
 * frames can be given back untouched if any of them (or the allocation of
 * the new ones) fails.  Stealing drops the allocation flag but keeps its
 * reference, now held by the exchange, and links the frame on a chain
 * through its devalidation-queue link (free: the frame is on no queue).
 * A frame listed twice is refused the second time (no longer allocated).
 */
int steal_page(struct domain *d, mfn_t mfn, mfn_t *chain)
{
    if (!mfn_valid(mfn))
        return -EINVAL;
    struct page_info *pg = mfn_to_page(mfn);
    if (pg->owner != d->domain_id || pg->flags != PGF_allocated || pg->count != 1 ||
        pg->type_count)
        return -EINVAL;
    pg->flags = 0;
    pg->qnext = *chain == INVALID_MFN ? PAGE_LIST_NONE : (uint32_t)*chain;
    *chain = mfn;
    return 0;
}

static mfn_t unchain(mfn_t *chain)
{
    mfn_t mfn = *chain;
    struct page_info *pg = mfn_to_page(mfn);

    *chain = pg->qnext == PAGE_LIST_NONE ? INVALID_MFN : pg->qnext;
    pg->qnext = PAGE_LIST_NONE;
    return mfn;
}

void unsteal_pages(mfn_t chain)
{
    while (chain != INVALID_MFN)
        mfn_to_page(unchain(&chain))->flags = PGF_allocated;
}

void free_stolen_pages(mfn_t chain)
{
    while (chain != INVALID_MFN)
        put_page(mfn_to_page(unchain(&chain)));     /* the last reference */
}

/* The last reference went: the frame leaves its owner for the pool.  The
 * hypervisor scrubs frames before they go to another domain. */
static void free_domain_page(struct page_info *pg, struct domain *d)
{
    mfn_t mfn = page_to_mfn(pg);

    /* Nothing may still use it: types and queues hold general refs. */
    BUG_ON(pg->type_count || (pg->flags & (PGF_queued | PGF_partial | PGF_pinned)));
    list_del(d, mfn);
    d->tot_pages--;
    pg->owner = OWNER_FREE;
    pg->flags = 0;
    pg->type = PGT_none;
    tlb_stamp(pg);          /* d's TLB entries may still map it (mm/tlb.c) */
    mm_free_frame(mfn);
}

int release_page(struct domain *d, mfn_t mfn)
{
    if (!mfn_valid(mfn))
        return -EINVAL;
    struct page_info *pg = mfn_to_page(mfn);
    if (pg->owner != d->domain_id || !(pg->flags & PGF_allocated))
        return -EINVAL;
    pg->flags &= (uint8_t)~PGF_allocated;
    if (--pg->count == 0)
        free_domain_page(pg, d);
    return 0;
}

/* Take a general reference on a frame owned by d and still allocated (or
 * still referenced).  Fails rather than overflow the count. */
bool get_page(struct page_info *pg, const struct domain *d)
{
    if (pg->owner != d->domain_id || pg->count == 0 || pg->count >= REF_MAX)
        return false;
    pg->count++;
    return true;
}

/* The count only reaches zero for a frame a domain owns (the hypervisor's
 * and I/O frames are never counted), and a domain stays registered, dying
 * if need be, until all its frames are gone, so the owner is always found. */
void put_page(struct page_info *pg)
{
    if (--pg->count == 0)
        free_domain_page(pg, domain_by_id_any(pg->owner));
}

/* A dying domain (after pt_relinquish) lets go of every frame: each one
 * nothing else holds goes back to the pool now, the others when their
 * last reference goes.  Freeing one frame frees no other (it holds
 * nothing: its type count is zero and it is on no queue). */
void mm_release_all(struct domain *d)
{
    for (mfn_t m = d->page_head; m != INVALID_MFN;) {
        struct page_info *pg = mfn_to_page(m);
        m = pg->next == PAGE_LIST_NONE ? INVALID_MFN : pg->next;
        if (pg->flags & PGF_allocated)
            BUG_ON(release_page(d, page_to_mfn(pg)));
    }
}
