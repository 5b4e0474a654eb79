/* SPDX-License-Identifier: MIT */
/*
 * memory_op: the queries a PV guest makes about its memory, and the
 * operations that move frames between a domain and the free pool:
 * increase_reservation, decrease_reservation, populate_physmap (Linux's
 * balloon) and exchange (Linux's swiotlb trades single frames for a
 * contiguous run below 4 GiB).  A domain may act on itself (DOMID_SELF or
 * its id); a privileged domain may act on any.
 *
 * Invariants (docs/mm.md, "Ballooning and reservations"):
 * - tot_pages never exceeds max_pages: frames are charged before they are
 *   handed over, an extent all or nothing (exchange swaps like for like).
 * - A frame reaches a domain zeroed, and leaves the pool only through
 *   alloc_extent()/alloc_domain_frame(), which zero it; a frame a domain
 *   gives back is scrubbed when its last reference goes (page.c), never
 *   before, so a page table, pin or mapping that still holds it keeps it
 *   away from everyone else.
 * - decrease_reservation takes only frames the domain owns and holds by its
 *   allocation reference, not used as page or descriptor tables, not the
 *   shared_info frame the hypervisor writes to; exchange takes only frames
 *   held by the allocation reference alone.  An extent that fails any check
 *   changes nothing.
 * - The reservation operations report how many extents they completed, as
 *   Xen does, and continue through the command's bits 6 and up; exchange
 *   reports nr_exchanged and continues through it.  Each call does at most
 *   MEMOP_BUDGET frames' worth of extents (at least one).
 */
#include <abi/memory.h>
#include <mica/bug.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/multiboot2.h>
#include <mica/paging.h>
#include <mica/string.h>
/* memory_op's command: the operation, and for the batched ones the
 * extent to start from (Xen's encoding, internal to the hypervisor). */
#define MEMOP_EXTENT_SHIFT 6
#define MEMOP_CMD_MASK ((1UL << MEMOP_EXTENT_SHIFT) - 1)
#define MEMOP_BUDGET 512            /* frames per call before continuing */
/* Largest extents (Xen's defaults): a 2 MiB superpage for an ordinary
 * domain, 1 GiB for the control domain. */
#define DOMU_MAX_ORDER 9
#define CTLDOM_MAX_ORDER 18
#define MAX_NUMNODES 64

static struct domain *target(domid_t id)
{
    struct domain *self = current->domain;

    if (id == DOMID_SELF || id == self->domain_id)
        return self;
    return self->is_privileged ? domain_by_id(id) : NULL;
}

static unsigned int max_order(const struct domain *caller)
{
    return caller->is_privileged ? CTLDOM_MAX_ORDER : DOMU_MAX_ORDER;
}

/* The NUMA part of mem_flags: Mica has one node and no virtual NUMA, so a
 * node is only refused where Xen refuses it (out of range for the control
 * domain; an exact request from anyone else). */
static bool node_ok(uint32_t flags)
{
    if ((flags & XENMEMF_vnode) || XENMEMF_get_node(flags) == 0xff)
        return true;
    if (current->domain->is_privileged)
        return XENMEMF_get_node(flags) < MAX_NUMNODES;
    return !(flags & XENMEMF_exact_node_request);
}

/* ---- increase_reservation, decrease_reservation, populate_physmap -------- */

struct memop {
    struct domain *d;
    uint64_t list;              /* guest array of xen_pfn_t, 0 = none */
    uint64_t nr;                /* extents */
    unsigned int order;
    unsigned int bits;          /* address limit of new frames, 0 = none */
};

/* The smallest order whose extent covers every machine frame. */
static unsigned int machine_order(void)
{
    unsigned int o = 0;

    while (o < 63 && (1UL << o) < max_page)
        o++;
    return o;
}

/* Decode and check a reservation; false when nothing can be done (Xen then
 * returns the start extent, never an errno). */
static bool memop_decode(unsigned int op, uint64_t arg, uint64_t start, struct memop *m)
{
    struct xen_memory_reservation r;

    if (copy_from_guest(&r, arg, sizeof(r)))
        return false;
    if (r.nr_extents > (UINT32_MAX >> MEMOP_EXTENT_SHIFT) || start >= r.nr_extents)
        return false;
    if (!(m->d = target(r.domid)))
        return false;       /* no such domain, or not the caller's to change */
    m->list = (uint64_t)(uintptr_t)r.extent_start.p;
    m->nr = r.nr_extents;
    m->order = r.extent_order;
    m->bits = XENMEMF_get_address_bits(r.mem_flags);
    if (m->bits >= machine_order() + PAGE_SHIFT)
        m->bits = 0;        /* every frame is below it anyway */
    if ((m->bits && m->bits <= PAGE_SHIFT) || !node_ok(r.mem_flags))
        return false;
    /* Populate-on-demand is for translated guests only. */
    if (op == XENMEM_populate_physmap && (r.mem_flags & XENMEMF_populate_on_demand))
        return false;
    if (m->order > max_order(current->domain))
        return false;
    /* The whole rest of the list must be guest memory (may be NULL only
     * for increase_reservation, which then reports nothing). */
    if (op == XENMEM_increase_reservation && !m->list)
        return true;
    return guest_range_ok(m->list + start * sizeof(xen_pfn_t),
                          (m->nr - start) * sizeof(xen_pfn_t));
}

/* A new extent for d (zeroed, owned by nobody yet) if d has room for it. */
static mfn_t new_extent(const struct memop *m)
{
    uint64_t n = 1UL << m->order;
    struct domain *d = m->d;

    if (d->tot_pages > d->max_pages || n > d->max_pages - d->tot_pages)
        return INVALID_MFN;
    return alloc_extent(m->order, m->bits);
}

/* increase_reservation (gpfn_list NULL: the list is 0) and populate_physmap:
 * one new extent per entry; populate reads the GPFN there and sets the
 * M2P.  The MFN is written back before the extent is handed over, so a
 * fault leaves the domain as it was. */
static int grow_one(const struct memop *m, unsigned int op, uint64_t i)
{
    uint64_t at = m->list + i * sizeof(xen_pfn_t), n = 1UL << m->order;
    xen_pfn_t gpfn = 0;

    if (op == XENMEM_populate_physmap && copy_from_guest(&gpfn, at, sizeof(gpfn)))
        return -EFAULT;
    mfn_t mfn = new_extent(m);
    if (mfn == INVALID_MFN)
        return -ENOMEM;
    if (m->list && copy_to_guest(at, &mfn, sizeof(mfn))) {
        free_extent(mfn, m->order);
        return -EFAULT;
    }
    BUG_ON(assign_pages(m->d, mfn, m->order, true));    /* room checked */
    if (op == XENMEM_populate_physmap)
        for (uint64_t j = 0; j < n; j++)
            machine_to_phys[mfn + j] = gpfn + j;
    return 0;
}

/* Whether d may give up its allocation of mfn (see the invariants). */
static bool releasable(const struct domain *d, mfn_t mfn)
{
    const struct page_info *pg = mfn_to_page(mfn);

    if (pg->owner != d->domain_id || !(pg->flags & PGF_allocated) || mfn == d->shared_info_mfn)
        return false;
    if (pg->flags & (PGF_pinned | PGF_queued | PGF_partial | PGF_parked | PGF_inflight))
        return false;
    return pg->type_count == 0 || pg->type == PGT_writable;
}

/* decrease_reservation: the extent at entry i, all of it or none. */
static int shrink_one(const struct memop *m, uint64_t i)
{
    uint64_t n = 1UL << m->order;
    xen_pfn_t mfn;

    if (copy_from_guest(&mfn, m->list + i * sizeof(mfn), sizeof(mfn)))
        return -EFAULT;
    if (!mfn_valid(mfn) || n > max_page - mfn)
        return -EINVAL;
    for (uint64_t j = 0; j < n; j++)
        if (!releasable(m->d, mfn + j))
            return -EINVAL;
    for (uint64_t j = 0; j < n; j++)
        BUG_ON(release_page(m->d, mfn + j));
    return 0;
}

static long reservation_op(uint64_t arg, unsigned int op, uint64_t start)
{
    struct memop m;
    uint64_t i, work = 0;

    if (!memop_decode(op, arg, start, &m))
        return (long)start;
    if (op == XENMEM_decrease_reservation) {
        /* Tables the domain dropped earlier are devalidated first, so that
         * they count as plain frames again. */
        struct pt_ctx c = { m.d, PT_BUDGET, NULL };
        if (pt_drain(&c) == -ERESTART)
            return -ERESTART;           /* same arguments, after the rest */
    }
    for (i = start; i < m.nr; i++, work += 1UL << m.order) {
        if (i != start && work >= MEMOP_BUDGET)
            return hypercall_continue(op | (i << MEMOP_EXTENT_SHIFT));
        int rc = op == XENMEM_decrease_reservation ? shrink_one(&m, i) : grow_one(&m, op, i);
        if (rc)
            break;
    }
    return (long)i;
}

/* ---- exchange ------------------------------------------------------------ */

/* Whether entries [first, nr_extents) of r's list are guest memory. */
static bool list_ok(const struct xen_memory_reservation *r, uint64_t first)
{
    uint64_t left = r->nr_extents - first;

    return first <= r->nr_extents && left <= UINT64_MAX / sizeof(xen_pfn_t) &&
           guest_range_ok((uint64_t)(uintptr_t)r->extent_start.p + first * sizeof(xen_pfn_t),
                          left * sizeof(xen_pfn_t));
}

/* Checks before anything moves, in Xen's order and with its errnos. */
static long exchange_decode(const struct xen_memory_exchange *x, struct domain **dp)
{
    const struct xen_memory_reservation *in = &x->in, *out = &x->out;

    if (MAX(in->extent_order, out->extent_order) > max_order(current->domain))
        return -EPERM;
    if (x->nr_exchanged > in->nr_extents || in->domid != out->domid ||
        (~0UL >> in->extent_order) < in->nr_extents ||
        (~0UL >> out->extent_order) < out->nr_extents ||
        (in->nr_extents << in->extent_order) != (out->nr_extents << out->extent_order))
        return -EINVAL;
    /* Both lists from the first extent not yet exchanged to the end. */
    uint64_t in_first = x->nr_exchanged;
    uint64_t out_first = (x->nr_exchanged << in->extent_order) >> out->extent_order;
    if (!list_ok(in, in_first) || !list_ok(out, out_first))
        return -EFAULT;
    if (!node_ok(out->mem_flags))
        return -EINVAL;
    struct domain *self = current->domain;
    domid_t id = in->domid;
    *dp = id == DOMID_SELF || id == self->domain_id ? self : domain_by_id(id);
    if (!*dp)
        return -ESRCH;
    if (*dp != self && !self->is_privileged)
        return -EPERM;
    return 0;
}

/*
 * One chunk: the input extents and the output extents that cover the same
 * 2^chunk_order frames.  Inputs are stolen, outputs allocated and their
 * MFNs written to the guest; only when all of that worked do the inputs go
 * to the pool and the outputs to the domain.  Otherwise nothing changed.
 */
static long exchange_chunk(struct domain *d, const struct xen_memory_exchange *x,
                           uint64_t chunk, unsigned int in_per, unsigned int out_per)
{
    const struct xen_memory_reservation *in = &x->in, *out = &x->out;
    uint64_t in_list = (uint64_t)(uintptr_t)in->extent_start.p;
    uint64_t out_list = (uint64_t)(uintptr_t)out->extent_start.p;
    uint64_t in_n = 1UL << in->extent_order, out_n = 1UL << out->extent_order;
    unsigned int bits = XENMEMF_get_address_bits(out->mem_flags);
    mfn_t stolen = INVALID_MFN, fresh = INVALID_MFN;
    long rc = 0;

    for (uint64_t j = 0; j < in_per && !rc; j++) {
        xen_pfn_t mfn;
        if (copy_from_guest(&mfn, in_list + (chunk * in_per + j) * 8, sizeof(mfn))) {
            rc = -EFAULT;
            break;
        }
        if (!mfn_valid(mfn) || in_n > max_page - mfn) {
            rc = -EINVAL;
            break;
        }
        for (uint64_t k = 0; k < in_n && !rc; k++)
            if (mfn + k == d->shared_info_mfn || steal_page(d, mfn + k, &stolen))
                rc = -EINVAL;
    }
    /* The new extents, chained through their first frame's queue link. */
    for (uint64_t j = 0; j < out_per && !rc; j++) {
        xen_pfn_t gpfn;
        uint64_t at = out_list + (chunk * out_per + j) * 8;
        mfn_t mfn = alloc_extent(out->extent_order, bits);
        if (mfn == INVALID_MFN) {
            rc = -ENOMEM;
            break;
        }
        mfn_to_page(mfn)->qnext = fresh == INVALID_MFN ? PAGE_LIST_NONE : (uint32_t)fresh;
        fresh = mfn;
        if (copy_from_guest(&gpfn, at, sizeof(gpfn)) || copy_to_guest(at, &mfn, sizeof(mfn))) {
            rc = -EFAULT;
            break;
        }
        for (uint64_t k = 0; k < out_n; k++)
            machine_to_phys[mfn + k] = gpfn + k;
    }
    if (rc)
        unsteal_pages(stolen);
    else
        free_stolen_pages(stolen);
    while (fresh != INVALID_MFN) {
        mfn_t mfn = fresh;
        struct page_info *pg = mfn_to_page(mfn);
        fresh = pg->qnext == PAGE_LIST_NONE ? INVALID_MFN : pg->qnext;
        pg->qnext = PAGE_LIST_NONE;
        if (rc)
            free_extent(mfn, out->extent_order);
        else
            BUG_ON(assign_pages(d, mfn, out->extent_order, false)); /* like for like */
    }
    return rc;
}

static long memory_exchange(uint64_t arg)
{
    struct xen_memory_exchange x;
    struct domain *d = NULL;
    long rc;

    if (copy_from_guest(&x, arg, sizeof(x)))
        return -EFAULT;
    if ((rc = exchange_decode(&x, &d)) == 0 && x.nr_exchanged < x.in.nr_extents) {
        /* A chunk: one output extent per 2^k inputs, or the reverse. */
        unsigned int io = x.in.extent_order, oo = x.out.extent_order;
        unsigned int in_per = io <= oo ? 1U << (oo - io) : 1;
        unsigned int out_per = io <= oo ? 1 : 1U << (io - oo);
        uint64_t frames = (uint64_t)in_per << io, first = x.nr_exchanged / in_per;
        uint64_t chunk, work = 0;
        struct pt_ctx c = { d, PT_BUDGET, NULL };

        if (pt_drain(&c) == -ERESTART)
            return -ERESTART;
        for (chunk = first; chunk < x.in.nr_extents / in_per; chunk++, work += frames) {
            if (chunk != first && work >= MEMOP_BUDGET) {
                x.nr_exchanged = chunk * in_per;
                if (copy_to_guest(arg + offsetof(struct xen_memory_exchange, nr_exchanged),
                                  &x.nr_exchanged, sizeof(x.nr_exchanged)))
                    return -EFAULT;
                return -ERESTART;       /* same arguments: the guest's count */
            }
            if ((rc = exchange_chunk(d, &x, chunk, in_per, out_per)))
                break;
        }
        x.nr_exchanged = chunk * in_per;
    }
    if (copy_to_guest(arg + offsetof(struct xen_memory_exchange, nr_exchanged),
                      &x.nr_exchanged, sizeof(x.nr_exchanged)))
        rc = -EFAULT;
    return rc;
}

/* The guest's own E820: what the toolstack set, as much as the buffer
 * holds (as Xen), else its pseudo-physical memory as one RAM range. */
static long memory_map(struct domain *d, uint64_t arg)
{
    struct xen_memory_map map;
    struct mica_e820entry dflt = {
        .addr = 0, .size = (d->max_gpfn + 1) << PAGE_SHIFT, .type = MICA_E820_RAM,
    };
    const struct mica_e820entry *e = d->nr_e820 ? d->e820 : &dflt;
    unsigned int n = d->nr_e820 ? d->nr_e820 : 1;

    if (copy_from_guest(&map, arg, sizeof(map)))
        return -EFAULT;
    if (map.nr_entries < 1)
        return -EINVAL;
    n = MIN(n, map.nr_entries);
    if (copy_to_guest((uint64_t)(uintptr_t)map.buffer.p, e, n * sizeof(*e)))
        return -EFAULT;
    map.nr_entries = n;
    return copy_to_guest(arg, &map, sizeof(map)) ? -EFAULT : 0;
}

/* XENMEM_set_memory_map: the toolstack gives a domain its E820 (a PV guest
 * that may balloon up to maxmem is shown RAM up to there).  Up to
 * DOMAIN_E820_MAX entries, taken as given (only the guest reads them);
 * none puts the default back. */
static long set_memory_map(uint64_t arg)
{
    struct xen_foreign_memory_map f;
    struct mica_e820entry e[DOMAIN_E820_MAX];
    struct domain *d;

    if (!current->domain->is_privileged)
        return -EPERM;
    if (copy_from_guest(&f, arg, sizeof(f)))
        return -EFAULT;
    if (f.map.nr_entries > DOMAIN_E820_MAX)
        return -EINVAL;
    if (!(d = target(f.domid)))
        return -ESRCH;
    if (copy_from_guest(e, (uint64_t)(uintptr_t)f.map.buffer.p, f.map.nr_entries * sizeof(e[0])))
        return -EFAULT;
    memcpy(d->e820, e, f.map.nr_entries * sizeof(e[0]));
    d->nr_e820 = f.map.nr_entries;
    return 0;
}

/* The machine's E820 (the firmware map Mica booted with), for the
 * privileged domain: Linux's dom0 lays out its memory and I/O holes by it. */
static long machine_memory_map(uint64_t arg)
{
    const struct mb2_info *bi = boot_information();
    struct xen_memory_map map;

    if (!current->domain->is_privileged)
        return -EPERM;
    if (copy_from_guest(&map, arg, sizeof(map)))
        return -EFAULT;
    if (map.nr_entries < bi->nr_regions)
        return -EINVAL;
    for (unsigned int i = 0; i < bi->nr_regions; i++) {
        struct mica_e820entry e = {
            .addr = bi->regions[i].base, .size = bi->regions[i].len,
            .type = bi->regions[i].type,    /* multiboot2 types are E820's */
        };
        if (copy_to_guest((uint64_t)(uintptr_t)map.buffer.p + i * sizeof(e), &e, sizeof(e)))
            return -EFAULT;
    }
    map.nr_entries = bi->nr_regions;
    return copy_to_guest(arg, &map, sizeof(map)) ? -EFAULT : 0;
}

long do_memory_op(uint64_t op, uint64_t arg)
{
    uint64_t cmd = op & MEMOP_CMD_MASK, start = op >> MEMOP_EXTENT_SHIFT;
    domid_t id;
    struct domain *d;

    switch (cmd) {
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
    case XENMEM_populate_physmap:
        return reservation_op(arg, (unsigned int)cmd, start);
    case XENMEM_exchange:
    case XENMEM_maximum_ram_page:
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    case XENMEM_maximum_gpfn:
        if (start)
            return -EINVAL;     /* these never continue */
        break;
    default:
        if (start)
            return -ENOSYS;     /* the architecture's: the whole cmd is the op */
        break;
    }
    switch (cmd) {
    case XENMEM_exchange:
        return memory_exchange(arg);
    case XENMEM_maximum_ram_page:
        return (long)(max_page - 1);
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    case XENMEM_maximum_gpfn:
        if (copy_from_guest(&id, arg, sizeof(id)))
            return -EFAULT;
        if (!(d = target(id)))
            return -ESRCH;
        return cmd == XENMEM_current_reservation ? (long)d->tot_pages
             : cmd == XENMEM_maximum_reservation ? (long)d->max_pages
             : (long)d->max_gpfn;
    case XENMEM_machphys_mapping: {
        struct xen_machphys_mapping m = {
            .v_start = RO_MPT_VIRT_START,
            .v_end = RO_MPT_VIRT_START + max_page * sizeof(uint64_t),
            .max_mfn = max_page - 1,
        };
        return copy_to_guest(arg, &m, sizeof(m)) ? -EFAULT : 0;
    }
    case XENMEM_memory_map:
        return memory_map(current->domain, arg);
    case XENMEM_set_memory_map:
        return set_memory_map(arg);
    case XENMEM_machine_memory_map:
        return machine_memory_map(arg);
    default:
        return -ENOSYS;
    }
}
