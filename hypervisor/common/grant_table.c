/* SPDX-License-Identifier: MIT */
/*
 * Grant tables, v1 and v2: each domain's table of entries through which it
 * lets another domain map, copy from or into one of its frames, the
 * hypervisor's bookkeeping of which entries are in use and mapped, and
 * hypercall 20 (grant_table_op) with setup_table, query_size, set_version,
 * get_version, get_status_frames, copy, map_grant_ref, unmap_grant_ref
 * (host mappings by VA or PTE address, device mappings) and
 * unmap_and_replace.  The other operations answer -ENOSYS.  (At ~1000
 * lines this file is due a split: the copy and map/unmap operations could
 * go to a file of their own behind an internal header.)
 *
 * Invariants
 *
 * 1. Frames.  A table has nr_frames (1..max_frames) frames of 512 entries;
 *    frames are only ever added (setup_table grows, never shrinks), so
 *    every reference below nr_frames * 512 is valid for the life of the
 *    table.  Each grant frame is owned by the domain itself -- a 64-bit PV
 *    guest maps the MFNs setup_table returns with its own PTEs, and the
 *    page-table rules (mm/pt.c) only let it map frames it owns -- and the
 *    table holds on it, from allocation to gnttab_domain_destroy: the
 *    allocation reference, one more general reference (so that the guest
 *    giving the frame back, e.g. by decrease_reservation, cannot free it
 *    under us) and one writable type reference, so that a grant frame can
 *    never become a page table or descriptor page while the hypervisor
 *    writes GTF_ bits into it.  Grant frames are not charged to the guest:
 *    max_pages grows by one for each.
 *
 * 2. Shared entries belong to the guest, which may write anything at any
 *    moment.  The hypervisor changes an entry's flags only with atomic
 *    operations: a 32-bit compare-and-exchange over {flags, domid} to start
 *    using it (so a concurrent change of either makes the exchange fail and
 *    the entry is re-read; after 4 failed tries the operation fails), and
 *    atomic and-not to stop.  It sets GTF_reading (and GTF_writing for
 *    write access) while the entry is pinned.  This is what lets a guest
 *    revoke: it exchanges flags from "permit access" to 0, which fails
 *    while either bit is set.  An entry is accepted only when its type is
 *    GTF_permit_access, GTF_sub_page is clear (v1 sub-page grants are not
 *    supported), its domid is the grantee's, and, for write access,
 *    GTF_readonly is clear.  The frame is read once, when the first pin is
 *    taken, and remembered: later changes by the guest are ignored until
 *    the entry is idle again.
 *
 * 3. Active entries.  Beside each shared entry the hypervisor keeps a
 *    private one: counts of read and write pins, the grantee and the frame.
 *    The shared GTF_writing bit is set exactly while wr > 0 and GTF_reading
 *    exactly while rd + wr > 0 (as far as the hypervisor is concerned: the
 *    guest may write the bits itself, which only hurts itself).  Every
 *    pin holds one general reference on its frame, every write pin also a
 *    writable type reference, taken against the granting domain (the
 *    frame's owner); so a frame in use cannot be freed, and a frame written
 *    through a grant can never be a page table at the same time.  The
 *    table counts its pins; it may be destroyed only when none is left.
 *
 * 4. Decode, then commit.  Each operation copies its argument in once and
 *    checks everything it can before changing anything; the steps that
 *    can only fail late (the flag exchange, taking frame references) are
 *    undone in reverse order when a later one fails, so a failed operation
 *    leaves no flag set and no reference behind.  A copy pins both sides,
 *    copies, and unpins both within the one operation.
 *
 * 5. Mappings.  A grantee's map_grant_ref takes one pin (a write pin
 *    unless GNTMAP_readonly) and records it in the grantee's maptrack,
 *    whose index is the handle; unmap_grant_ref removes the parts (host,
 *    device) it names, and gives the pin back and frees the handle once
 *    every part of the mapping is gone.  A host
 *    mapping is an L1 entry of the grantee that holds its own frame
 *    references (mm/pt.c), so the pin and the PTE are counted separately:
 *    a guest that overwrites the PTE itself drops the PTE's references and
 *    keeps the pin, which a later unmap cannot undo (the PTE no longer
 *    matches) -- as in Xen, such a pin lives until the grantee's table is
 *    torn down.  A table with maptrack entries in use is not destroyed.
 *
 * 6. Versions.  A table starts in version 1 (8-byte entries, the status
 *    bits GTF_reading/GTF_writing in each entry's flags).  In version 2
 *    entries are 16 bytes (256 per frame, the frame number 64-bit) and the
 *    status bits live in status frames of 2-byte words, one per entry,
 *    allocated and held like grant frames (invariant 1) for every entry
 *    and handed out by get_status_frames.  Only full-page grants are
 *    accepted (no sub-page or transitive ones, as in v1).  Since the
 *    guest's revoke clears its flags and then reads the status, a pin sets
 *    the status bits first and checks the entry again after, undoing them
 *    if it changed.  set_version switches only while nothing is pinned
 *    (the eight reserved entries are carried over, the rest cleared), and
 *    back to 1 only while no status frame is held beyond the table's own
 *    references -- a guest mapping of one would otherwise outlive it
 *    (XSA-255).
 *
 * Callers: everything here runs with one CPU in the hypervisor (the
 * per-table lock arrives with SMP; lock order will be grantee before
 * granter, lower domid first for a copy that names two granters).
 */
#include <mica/bug.h>
#include <mica/errno.h>
#include <mica/grant.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/paging.h>
#include <mica/string.h>
#include <mica/x86.h>

/* The hypervisor's side of one entry (invariant 3). */
struct active_grant {
    uint32_t mfn;           /* the frame, read when the first pin was taken */
    domid_t domid;          /* the grantee holding the pins */
    uint16_t rd, wr;        /* read and write pins */
    uint16_t pad[3];
};
_Static_assert(sizeof(struct active_grant) == 16, "active_grant");

#define ACT_PER_PAGE   (PAGE_SIZE / sizeof(struct active_grant))
#define ACT_PER_FRAME  (GNTTAB_ENTRIES_PER_FRAME / ACT_PER_PAGE)
#define PIN_MAX        (UINT16_MAX - 1)
#define CMPXCHG_TRIES  4

/* One of the grantee's mappings (invariant 5); the handle is its index. */
struct maptrack {
    grant_ref_t ref;
    domid_t dom;            /* the granter */
    uint16_t flags;         /* GNTMAP_* as mapped; 0 = free */
    uint32_t mfn;
    uint32_t pad;
};
_Static_assert(sizeof(struct maptrack) == 16, "maptrack");
#define MAPTRACK_PER_PAGE (PAGE_SIZE / sizeof(struct maptrack))
#define MAPTRACK_PAGES    16U       /* 4096 mappings per grantee */
#define MAP_FLAGS (GNTMAP_device_map | GNTMAP_host_map | GNTMAP_readonly | \
                   GNTMAP_application_map | GNTMAP_contains_pte)

/* Version 2 (invariant 6): 16-byte entries, GTF_reading/GTF_writing in
 * separate status frames of 2-byte words. */
#define V2_PER_FRAME      (PAGE_SIZE / sizeof(union grant_entry_v2))
#define STATUS_PER_FRAME  (PAGE_SIZE / sizeof(grant_status_t))
#define MAX_STATUS_FRAMES ((GNTTAB_MAX_FRAMES * V2_PER_FRAME + STATUS_PER_FRAME - 1) / \
                           STATUS_PER_FRAME)
#define NR_RESERVED_ENTRIES 8

struct grant_table {
    unsigned int version;                   /* 1 or 2 */
    unsigned int nr_status;                 /* status frames (version 2) */
    mfn_t status[MAX_STATUS_FRAMES];
    unsigned int nr_frames, max_frames;
    unsigned long pins;                     /* all rd + wr of the table */
    unsigned long maps;                     /* maptrack entries in use */
    mfn_t frame[GNTTAB_MAX_FRAMES];
    struct active_grant *act[GNTTAB_MAX_FRAMES * ACT_PER_FRAME];
    struct maptrack *mt[MAPTRACK_PAGES];    /* allocated as needed */
};
_Static_assert(sizeof(struct grant_table) <= PAGE_SIZE, "grant_table fits the heap");

static unsigned int per_frame(const struct grant_table *gt)
{
    return gt->version == 2 ? (unsigned int)V2_PER_FRAME : (unsigned int)GNTTAB_ENTRIES_PER_FRAME;
}

/* In version 2 only entries with a status word exist (a failed growth
 * may leave grant frames without one). */
static unsigned int nr_entries(const struct grant_table *gt)
{
    unsigned int n = gt->nr_frames * per_frame(gt);

    return gt->version == 2 ? MIN(n, gt->nr_status * (unsigned int)STATUS_PER_FRAME) : n;
}

/* The shared entry's first 32-bit word, in both versions: flags low,
 * domid high. */
typedef uint32_t __attribute__((may_alias)) entry_word_t;

static entry_word_t *shared_word(const struct grant_table *gt, grant_ref_t ref)
{
    uint8_t *f = mm_map_frame(gt->frame[ref / per_frame(gt)]);
    size_t size = gt->version == 2 ? sizeof(union grant_entry_v2) : sizeof(struct grant_entry_v1);

    return (entry_word_t *)(f + (ref % per_frame(gt)) * size);
}

static struct grant_entry_v1 *shared_entry(const struct grant_table *gt, grant_ref_t ref)
{
    return (struct grant_entry_v1 *)shared_word(gt, ref);
}

static union grant_entry_v2 *shared_entry_v2(const struct grant_table *gt, grant_ref_t ref)
{
    return (union grant_entry_v2 *)shared_word(gt, ref);
}

/* The frame an entry names (v2: a 64-bit field; no frame is that large). */
static uint64_t shared_frame(const struct grant_table *gt, grant_ref_t ref)
{
    if (gt->version == 2)
        return __atomic_load_n(&shared_entry_v2(gt, ref)->full_page.frame, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&shared_entry(gt, ref)->frame, __ATOMIC_SEQ_CST);
}

/* Version 2: where GTF_reading/GTF_writing of ref live. */
static grant_status_t *status_word(const struct grant_table *gt, grant_ref_t ref)
{
    grant_status_t *f = mm_map_frame(gt->status[ref / STATUS_PER_FRAME]);

    return &f[ref % STATUS_PER_FRAME];
}

static struct active_grant *active(const struct grant_table *gt, grant_ref_t ref)
{
    return &gt->act[ref / ACT_PER_PAGE][ref % ACT_PER_PAGE];
}

static void clear_flags(const struct grant_table *gt, grant_ref_t ref, uint16_t bits)
{
    uint16_t *w = gt->version == 2 ? status_word(gt, ref) : &shared_entry(gt, ref)->flags;

    __atomic_fetch_and(w, (uint16_t)~bits, __ATOMIC_SEQ_CST);
}

/* ---- frames ------------------------------------------------------------- */

static void drop_frame(struct domain *d, mfn_t mfn)
{
    (void)release_page(d, mfn);     /* -EINVAL: the guest gave it back already */
    mm_drop_writable(d, mfn);       /* the table's hold: the frame goes */
    d->max_pages--;
}

/* A frame of d held by its table (invariant 1): mfn or INVALID_MFN. */
static mfn_t table_frame(struct domain *d)
{
    d->max_pages++;
    mfn_t mfn = alloc_domain_frame(d);
    if (mfn == INVALID_MFN) {
        d->max_pages--;
        return INVALID_MFN;
    }
    BUG_ON(mm_hold_writable(d, mfn));   /* a fresh frame of d: cannot fail */
    return mfn;
}

/* Add one frame (and its active pages) to d's table: 0 or -ENOMEM. */
static int grow_one(struct domain *d, struct grant_table *gt)
{
    unsigned int i = gt->nr_frames;
    struct active_grant *act[ACT_PER_FRAME];
    unsigned int a;

    for (a = 0; a < ACT_PER_FRAME; a++)
        if (!(act[a] = xzalloc(PAGE_SIZE)))
            goto fail_act;
    mfn_t mfn = table_frame(d);
    if (mfn == INVALID_MFN)
        goto fail_act;
    gt->frame[i] = mfn;
    for (a = 0; a < ACT_PER_FRAME; a++)
        gt->act[i * ACT_PER_FRAME + a] = act[a];
    gt->nr_frames = i + 1;
    return 0;

fail_act:
    while (a-- > 0)
        xfree(act[a]);
    return -ENOMEM;
}

static unsigned int status_frames_for(unsigned int nr_frames)
{
    return (unsigned int)((nr_frames * V2_PER_FRAME + STATUS_PER_FRAME - 1) / STATUS_PER_FRAME);
}

/* Version 2's status frames for every entry: 0 or -ENOMEM. */
static int grow_status(struct domain *d, struct grant_table *gt)
{
    while (gt->nr_status < status_frames_for(gt->nr_frames)) {
        mfn_t mfn = table_frame(d);
        if (mfn == INVALID_MFN)
            return -ENOMEM;     /* the frames added so far stay */
        gt->status[gt->nr_status++] = mfn;
    }
    return 0;
}

static int grow_to(struct domain *d, unsigned int nr)
{
    while (d->grant->nr_frames < nr)
        if (grow_one(d, d->grant))
            return -ENOMEM;     /* the frames added so far stay */
    return d->grant->version == 2 ? grow_status(d, d->grant) : 0;
}

/* ---- maptrack (invariant 5) -------------------------------------------------- */

static struct maptrack *maptrack(const struct grant_table *gt, grant_handle_t h)
{
    if (h >= MAPTRACK_PAGES * MAPTRACK_PER_PAGE || !gt->mt[h / MAPTRACK_PER_PAGE])
        return NULL;
    struct maptrack *m = &gt->mt[h / MAPTRACK_PER_PAGE][h % MAPTRACK_PER_PAGE];
    return m->flags ? m : NULL;
}

/* A free entry of gt and its handle, allocating a page if needed; NULL
 * when the grantee has no handle left. */
static struct maptrack *maptrack_get(struct grant_table *gt, grant_handle_t *h)
{
    for (unsigned int p = 0; p < MAPTRACK_PAGES; p++) {
        if (!gt->mt[p] && !(gt->mt[p] = xzalloc(PAGE_SIZE)))
            return NULL;
        for (unsigned int i = 0; i < MAPTRACK_PER_PAGE; i++)
            if (!gt->mt[p][i].flags) {
                *h = (grant_handle_t)(p * MAPTRACK_PER_PAGE + i);
                return &gt->mt[p][i];
            }
    }
    return NULL;
}

/* Give back the pin of mapping m (in use) of grantee table gt, and m. */
static void maptrack_put(struct grant_table *gt, struct maptrack *m)
{
    struct domain *rd = domain_by_id_any(m->dom);   /* dying or not */

    BUG_ON(!rd || !rd->grant);          /* its table holds our pin */
    gnttab_release(rd, m->ref, !(m->flags & GNTMAP_readonly));
    m->flags = 0;
    gt->maps--;
}

int gnttab_domain_init(struct domain *d, unsigned int max_frames)
{
    if (max_frames == 0)
        max_frames = GNTTAB_DEFAULT_MAX_FRAMES;
    if (max_frames > GNTTAB_MAX_FRAMES || max_frames < GNTTAB_INITIAL_FRAMES)
        return -EINVAL;
    struct grant_table *gt = xzalloc(sizeof(*gt));
    if (!gt)
        return -ENOMEM;
    gt->max_frames = max_frames;
    gt->version = 1;
    d->grant = gt;
    if (grow_to(d, GNTTAB_INITIAL_FRAMES)) {
        BUG_ON(gnttab_domain_destroy(d));
        return -ENOMEM;
    }
    return 0;
}

int gnttab_domain_destroy(struct domain *d)
{
    struct grant_table *gt = d->grant;

    if (!gt)
        return 0;
    /* d's own mappings first: give their pins back (the PTEs keep their
     * references until d's page tables go). */
    for (grant_handle_t h = 0; gt->maps && h < MAPTRACK_PAGES * MAPTRACK_PER_PAGE; h++) {
        struct maptrack *m = maptrack(gt, h);
        if (m)
            maptrack_put(gt, m);
    }
    if (gt->pins)
        return -EBUSY;
    for (unsigned int p = 0; p < MAPTRACK_PAGES; p++)
        xfree(gt->mt[p]);
    for (unsigned int i = 0; i < gt->nr_status; i++)
        drop_frame(d, gt->status[i]);
    for (unsigned int i = 0; i < gt->nr_frames; i++) {
        drop_frame(d, gt->frame[i]);
        for (unsigned int a = 0; a < ACT_PER_FRAME; a++)
            xfree(gt->act[i * ACT_PER_FRAME + a]);
    }
    xfree(gt);
    d->grant = NULL;
    return 0;
}

unsigned int gnttab_nr_frames(const struct domain *d)
{
    return d->grant ? d->grant->nr_frames : 0;
}

unsigned int gnttab_max_frames(const struct domain *d)
{
    return d->grant ? d->grant->max_frames : 0;
}

mfn_t gnttab_frame(const struct domain *d, unsigned int i)
{
    return d->grant && i < d->grant->nr_frames ? d->grant->frame[i] : INVALID_MFN;
}

/* ---- pins (invariants 2 and 3) ------------------------------------------ */

/*
 * Set GTF_reading (and GTF_writing) in the shared entry, checking it first:
 * fully when check_entry (no pin yet), else only GTF_readonly for a write.
 */
static bool entry_refused(uint32_t word, domid_t grantee, bool write, bool check_entry)
{
    uint16_t flags = (uint16_t)word;
    domid_t domid = (domid_t)(word >> 16);

    return (check_entry && ((flags & (GTF_type_mask | GTF_sub_page)) != GTF_permit_access ||
                            domid != grantee)) ||
           (write && (flags & GTF_readonly));
}

/*
 * Version 2: the status bits live apart from the entry, so they are set
 * first and the entry checked again after: a guest that revoked (cleared
 * its flags, then read the status) in between sees them or is refused.
 */
static int set_status_v2(const struct grant_table *gt, grant_ref_t ref, domid_t grantee,
                         bool write, bool check_entry)
{
    entry_word_t *w = shared_word(gt, ref);
    uint16_t bits = (uint16_t)((check_entry ? GTF_reading : 0) | (write ? GTF_writing : 0));

    if (entry_refused(__atomic_load_n(w, __ATOMIC_SEQ_CST), grantee, write, check_entry))
        return GNTST_general_error;
    __atomic_fetch_or(status_word(gt, ref), bits, __ATOMIC_SEQ_CST);
    if (entry_refused(__atomic_load_n(w, __ATOMIC_SEQ_CST), grantee, write, check_entry)) {
        clear_flags(gt, ref, bits);
        return GNTST_general_error;
    }
    return GNTST_okay;
}

static int set_status(const struct grant_table *gt, grant_ref_t ref, domid_t grantee,
                      bool write, bool check_entry)
{
    if (gt->version == 2)
        return set_status_v2(gt, ref, grantee, write, check_entry);
    entry_word_t *w = shared_word(gt, ref);
    uint32_t old = __atomic_load_n(w, __ATOMIC_SEQ_CST);

    for (unsigned int tries = 0; ; tries++) {
        uint16_t flags = (uint16_t)old;
        domid_t domid = (domid_t)(old >> 16);

        if (check_entry && ((flags & (GTF_type_mask | GTF_sub_page)) != GTF_permit_access ||
                            domid != grantee))
            return GNTST_general_error;
        if (write && (flags & GTF_readonly))
            return GNTST_general_error;
        uint32_t new = old | GTF_reading | (write ? GTF_writing : 0);
        if (__atomic_compare_exchange_n(w, &old, new, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            return GNTST_okay;
        if (tries + 1 == CMPXCHG_TRIES)
            return GNTST_general_error;     /* the guest keeps changing it */
    }
}

/* The frame references of one pin, against the granter rd. */
static int take_frame(struct domain *rd, mfn_t mfn, bool write)
{
    struct pt_ctx c = { rd, PT_BUDGET, NULL };

    if (!mfn_valid(mfn) || !get_page(mfn_to_page(mfn), rd))
        return GNTST_general_error;
    if (write && get_page_type(&c, mfn_to_page(mfn), PGT_writable) < 0) {
        put_page(mfn_to_page(mfn));
        return GNTST_general_error;
    }
    return GNTST_okay;
}

int gnttab_acquire(struct domain *rd, grant_ref_t ref, const struct domain *ld,
                   bool write, mfn_t *mfn)
{
    struct grant_table *gt = rd->grant;

    if (!gt)
        return GNTST_bad_domain;
    if (ref >= nr_entries(gt))
        return GNTST_bad_gntref;
    struct active_grant *act = active(gt, ref);
    bool pinned = act->rd || act->wr;
    if (pinned && act->domid != ld->domain_id)
        return GNTST_general_error;
    if (write ? act->wr >= PIN_MAX : act->rd >= PIN_MAX)
        return GNTST_general_error;

    /* Flags first (the guest's revoke must fail from here on), then the
     * frame, read once for the first pin (invariant 2). */
    uint16_t set = 0;
    if (!pinned || (write && !act->wr)) {
        int rc = set_status(gt, ref, ld->domain_id, write, !pinned);
        if (rc)
            return rc;
        set = (uint16_t)((pinned ? 0 : GTF_reading) | (write ? GTF_writing : 0));
    }
    uint64_t f = pinned ? act->mfn : shared_frame(gt, ref);
    int rc = f > UINT32_MAX ? GNTST_general_error : take_frame(rd, (mfn_t)f, write);
    if (rc) {
        clear_flags(gt, ref, set);
        return rc;
    }
    if (!pinned) {
        act->mfn = (uint32_t)f;
        act->domid = ld->domain_id;
    }
    if (write)
        act->wr++;
    else
        act->rd++;
    gt->pins++;
    *mfn = f;
    return GNTST_okay;
}

void gnttab_release(struct domain *rd, grant_ref_t ref, bool write)
{
    struct grant_table *gt = rd->grant;
    struct pt_ctx c = { rd, PT_BUDGET, NULL };

    BUG_ON(!gt || ref >= nr_entries(gt));
    struct active_grant *act = active(gt, ref);
    struct page_info *pg = mfn_to_page(act->mfn);
    BUG_ON(write ? !act->wr : !act->rd);
    if (write && --act->wr == 0)
        clear_flags(gt, ref, GTF_writing);
    if (!write)
        act->rd--;
    if (!act->rd && !act->wr)
        clear_flags(gt, ref, GTF_reading);
    gt->pins--;
    if (write)
        put_page_type(&c, pg);
    put_page(pg);
}

/* ---- operations ----------------------------------------------------------- */

/* The domain an argument names: the caller for DOMID_SELF, else anyone the
 * caller may act on (itself, or anyone for a privileged caller).  Returns
 * GNTST_okay, GNTST_bad_domain or GNTST_permission_denied. */
static int target_domain(struct domain *cd, domid_t dom, struct domain **out)
{
    struct domain *d = dom == DOMID_SELF ? cd : domain_by_id(dom);

    if (!d || !d->grant)
        return GNTST_bad_domain;
    if (d != cd && !cd->is_privileged)
        return GNTST_permission_denied;
    *out = d;
    return GNTST_okay;
}

static long op_setup_table(struct domain *cd, uint64_t uop, unsigned int count)
{
    struct gnttab_setup_table op;
    struct domain *d;
    uint64_t list;

    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    list = (uint64_t)(uintptr_t)op.frame_list.p;
    op.status = (int16_t)target_domain(cd, op.dom, &d);
    if (op.status == GNTST_okay && op.nr_frames > d->grant->max_frames)
        op.status = GNTST_general_error;
    else if (op.status == GNTST_okay &&
             !guest_range_ok(list, (size_t)op.nr_frames * sizeof(xen_pfn_t)))
        return -EFAULT;
    if (op.status == GNTST_okay && grow_to(d, op.nr_frames))
        op.status = GNTST_general_error;
    for (uint32_t i = 0; op.status == GNTST_okay && i < op.nr_frames; i++) {
        xen_pfn_t f = d->grant->frame[i];
        if (copy_to_guest(list + i * sizeof(f), &f, sizeof(f)))
            op.status = GNTST_bad_virt_addr;
    }
    if (copy_to_guest(uop + offsetof(struct gnttab_setup_table, status), &op.status,
                      sizeof(op.status)))
        return -EFAULT;
    return 0;
}

static long op_query_size(struct domain *cd, uint64_t uop, unsigned int count)
{
    struct gnttab_query_size op;
    struct domain *d;

    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    op.status = (int16_t)target_domain(cd, op.dom, &d);
    if (op.status == GNTST_okay) {
        op.nr_frames = d->grant->nr_frames;
        op.max_nr_frames = d->grant->max_frames;
    }
    return copy_to_guest(uop, &op, sizeof(op)) ? -EFAULT : 0;
}

/* A status frame the guest maps (or holds otherwise) beyond the table's
 * own allocation and writable holds: it cannot be freed (XSA-255). */
static bool status_frame_busy(mfn_t mfn)
{
    const struct page_info *pg = mfn_to_page(mfn);

    return pg->count > 2 || pg->type_count > 1;
}

/*
 * Change d's table to version v (invariant 6): only while nothing is
 * pinned (Xen lets the eight reserved entries stay in use; Mica does not),
 * and back to 1 only once the guest maps no status frame.  The reserved
 * entries (the toolstack's console and xenstore grants) are carried over,
 * every other entry is cleared, as in Xen.
 */
static long switch_version(struct domain *d, struct grant_table *gt, unsigned int v)
{
    struct grant_entry_v1 keep[NR_RESERVED_ENTRIES];

    if (gt->pins)
        return -EBUSY;
    if (v == 1) {
        for (unsigned int i = 0; i < gt->nr_status; i++)
            if (status_frame_busy(gt->status[i]))
                return -EBUSY;
        for (grant_ref_t r = 0; r < NR_RESERVED_ENTRIES; r++)
            if ((shared_entry_v2(gt, r)->hdr.flags & GTF_type_mask) == GTF_permit_access &&
                shared_entry_v2(gt, r)->full_page.frame > UINT32_MAX)
                return -ERANGE;
    } else if (grow_status(d, gt)) {
        return -ENOMEM;
    }
    for (grant_ref_t r = 0; r < NR_RESERVED_ENTRIES; r++) {
        if (gt->version == 1) {
            keep[r] = *shared_entry(gt, r);
        } else {
            const union grant_entry_v2 *e = shared_entry_v2(gt, r);
            keep[r] = (struct grant_entry_v1){ .flags = e->hdr.flags, .domid = e->hdr.domid,
                                               .frame = (uint32_t)e->full_page.frame };
        }
    }
    if (v == 1) {
        for (unsigned int i = 0; i < gt->nr_status; i++)
            drop_frame(d, gt->status[i]);
        gt->nr_status = 0;
    }
    for (unsigned int i = 0; i < gt->nr_frames; i++)
        memset(mm_map_frame(gt->frame[i]), 0, PAGE_SIZE);
    gt->version = v;
    for (grant_ref_t r = 0; r < NR_RESERVED_ENTRIES; r++) {
        uint16_t flags = keep[r].flags & (uint16_t)~(GTF_reading | GTF_writing);
        if (v == 1) {
            *shared_entry(gt, r) = (struct grant_entry_v1){ flags, keep[r].domid, keep[r].frame };
        } else {
            union grant_entry_v2 *e = shared_entry_v2(gt, r);
            e->full_page.frame = keep[r].frame;
            e->hdr.domid = keep[r].domid;
            e->hdr.flags = flags;
        }
    }
    return 0;
}

/* 1 and 2 (Xen's two versions); anything else -EINVAL.  The version in
 * force is written back either way. */
static long op_set_version(struct domain *cd, uint64_t uop, unsigned int count)
{
    struct gnttab_set_version op;
    struct grant_table *gt = cd->grant;
    long rc = 0;

    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    if (op.version != 1 && op.version != 2)
        rc = -EINVAL;
    else if (op.version != gt->version)
        rc = switch_version(cd, gt, op.version);
    op.version = gt->version;
    return copy_to_guest(uop, &op, sizeof(op)) ? -EFAULT : rc;
}

/* The machine frames of a version-2 table's status frames (nr_frames of
 * them at most: none in version 1). */
static long op_get_status_frames(struct domain *cd, uint64_t uop, unsigned int count)
{
    struct gnttab_get_status_frames op;
    struct domain *d;

    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    uint64_t list = (uint64_t)(uintptr_t)op.frame_list.p;
    if (!guest_range_ok(list, (size_t)op.nr_frames * sizeof(uint64_t)))
        return -EFAULT;
    op.status = (int16_t)target_domain(cd, op.dom, &d);
    if (op.status == GNTST_okay &&
        (d->grant->version != 2 || op.nr_frames > d->grant->nr_status))
        op.status = GNTST_general_error;
    for (uint32_t i = 0; op.status == GNTST_okay && i < op.nr_frames; i++) {
        uint64_t f = d->grant->status[i];
        if (copy_to_guest(list + i * sizeof(f), &f, sizeof(f)))
            op.status = GNTST_bad_virt_addr;
    }
    return copy_to_guest(uop + offsetof(struct gnttab_get_status_frames, status), &op.status,
                         sizeof(op.status)) ? -EFAULT : 0;
}

static long op_get_version(struct domain *cd, uint64_t uop, unsigned int count)
{
    struct gnttab_get_version op;
    struct domain *d;

    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    int st = target_domain(cd, op.dom, &d);
    if (st == GNTST_bad_domain)
        return -ESRCH;
    if (st)
        return -EPERM;
    op.version = d->grant->version;
    return copy_to_guest(uop, &op, sizeof(op)) ? -EFAULT : 0;
}

/* ---- copy ------------------------------------------------------------------ */

/* One side of a copy once claimed: who pinned what, for the release. */
struct copy_buf {
    struct domain *d;       /* the frame's owner (granter, or the caller) */
    bool gref, write;
    grant_ref_t ref;
    mfn_t mfn;
};

static int claim_buf(struct domain *cd, const struct gnttab_copy_ptr *p, bool gref,
                     bool write, struct copy_buf *b)
{
    *b = (struct copy_buf){ .gref = gref, .write = write, .ref = p->u.ref };
    if (gref) {
        b->d = p->domid == DOMID_SELF ? cd : domain_by_id(p->domid);
        if (!b->d || !b->d->grant)
            return GNTST_bad_domain;
        return gnttab_acquire(b->d, p->u.ref, cd, write, &b->mfn);
    }
    /* The caller's own frame, by MFN. */
    b->d = cd;
    b->mfn = p->u.gmfn;
    if (!mfn_valid(b->mfn) || !get_page(mfn_to_page(b->mfn), cd))
        return GNTST_bad_page;
    struct pt_ctx c = { cd, PT_BUDGET, NULL };
    if (write && get_page_type(&c, mfn_to_page(b->mfn), PGT_writable) < 0) {
        put_page(mfn_to_page(b->mfn));
        return GNTST_general_error;
    }
    return GNTST_okay;
}

static void release_buf(struct copy_buf *b)
{
    if (b->gref) {
        gnttab_release(b->d, b->ref, b->write);
        return;
    }
    struct pt_ctx c = { b->d, PT_BUDGET, NULL };
    if (b->write)
        put_page_type(&c, mfn_to_page(b->mfn));
    put_page(mfn_to_page(b->mfn));
}

static int copy_one(struct domain *cd, const struct gnttab_copy *op)
{
    bool sg = op->flags & GNTCOPY_source_gref, dg = op->flags & GNTCOPY_dest_gref;
    struct copy_buf src, dst;

    /* Decode. */
    if (op->flags & ~(GNTCOPY_source_gref | GNTCOPY_dest_gref))
        return GNTST_bad_copy_arg;
    if ((unsigned int)op->source.offset + op->len > PAGE_SIZE ||
        (unsigned int)op->dest.offset + op->len > PAGE_SIZE)
        return GNTST_bad_copy_arg;
    /* A frame named by MFN must be the caller's own. */
    if ((!sg && op->source.domid != DOMID_SELF) || (!dg && op->dest.domid != DOMID_SELF))
        return GNTST_permission_denied;

    /* Claim both sides, copy, release. */
    int rc = claim_buf(cd, &op->source, sg, false, &src);
    if (rc)
        return rc;
    rc = claim_buf(cd, &op->dest, dg, true, &dst);
    if (rc) {
        release_buf(&src);
        return rc;
    }
    memmove((uint8_t *)mm_map_frame(dst.mfn) + op->dest.offset,
            (const uint8_t *)mm_map_frame(src.mfn) + op->source.offset, op->len);
    release_buf(&dst);
    release_buf(&src);
    return GNTST_okay;
}

/* GNTTABOP_copy of the operation at guest address at: 0 or -EFAULT. */
static long copy_at(struct domain *cd, uint64_t at)
{
    struct gnttab_copy op;

    if (copy_from_guest(&op, at, sizeof(op)))
        return -EFAULT;
    int16_t st = (int16_t)copy_one(cd, &op);
    return copy_to_guest(at + offsetof(struct gnttab_copy, status), &st, sizeof(st))
        ? -EFAULT : 0;
}

/* count operations of size bytes from uop, each by one(): up to
 * GNTTAB_BATCH of them, then the hypercall continues with the rest. */
static long gnttab_batch(struct domain *cd, uint32_t cmd, uint64_t uop, unsigned int count,
                         size_t size, long (*one)(struct domain *cd, uint64_t at))
{
    for (unsigned int i = 0; i < count; i++) {
        uint64_t at = uop + (uint64_t)i * size;
        if (i == GNTTAB_BATCH)
            return hypercall_continue(cmd, at, count - i);
        long rc = one(cd, at);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- map and unmap ----------------------------------------------------------- */

/* The machine address of the L1 entry host_addr names, 0 when none. */
static uint64_t host_pte(uint64_t host_addr, uint32_t flags)
{
    return flags & GNTMAP_contains_pte ? host_addr : l1e_maddr_of(current, host_addr);
}

/* The PTE of a host mapping, as Xen builds it: never executable, accessed
 * and dirty from the start, and the low three guest-available flag bits
 * (XENFEAT_gnttab_map_avail_bits) in the PTE's available bits 9-11. */
static uint64_t grant_pte(mfn_t mfn, uint32_t flags)
{
    uint64_t avail = (flags >> _GNTMAP_guest_avail0) & 7;

    return ((uint64_t)mfn << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_DIRTY |
           paging_nx_bit() | (avail << 9) |
           (flags & GNTMAP_readonly ? 0 : _PAGE_RW) |
           (flags & GNTMAP_application_map ? _PAGE_USER : 0);
}

static int map_one(struct domain *cd, struct gnttab_map_grant_ref *op)
{
    uint32_t flags = op->flags & ~GNTMAP_guest_avail_mask;
    bool write = !(flags & GNTMAP_readonly), host = flags & GNTMAP_host_map;
    struct pt_ctx c = { cd, PT_BUDGET, NULL };
    grant_handle_t h;
    struct domain *rd;
    mfn_t mfn;

    /* Decode. */
    if ((flags & ~MAP_FLAGS) || !(flags & (GNTMAP_host_map | GNTMAP_device_map)))
        return GNTST_general_error;
    uint64_t pte = host ? host_pte(op->host_addr, flags) : 0;
    if (host && !pte)
        return GNTST_general_error;         /* no L1 table maps that address */
    rd = op->dom == DOMID_SELF ? cd : domain_by_id(op->dom);
    if (!rd || !rd->grant)
        return GNTST_bad_domain;
    struct maptrack *m = maptrack_get(cd->grant, &h);
    if (!m)
        return GNTST_no_device_space;

    /* Pin, then map. */
    int rc = gnttab_acquire(rd, op->ref, cd, write, &mfn);
    if (rc)
        return rc;
    if (host && pt_map_grant(&c, pte, grant_pte(mfn, op->flags), rd)) {
        gnttab_release(rd, op->ref, write);
        return GNTST_general_error;
    }
    *m = (struct maptrack){ .ref = op->ref, .dom = rd->domain_id, .flags = (uint16_t)flags,
                            .mfn = (uint32_t)mfn };
    cd->grant->maps++;
    op->handle = h;
    op->dev_bus_addr = flags & GNTMAP_device_map ? (uint64_t)mfn << PAGE_SHIFT : 0;
    return GNTST_okay;
}

/*
 * Unmap the parts of mapping `handle` the caller names, as Xen does: the
 * host mapping when host_addr is given (replaced by the entry at new_addr,
 * for unmap_and_replace), the device mapping when dev_bus_addr is (it must
 * be the frame's).  The pin goes, and the handle with it, once no part is
 * left.  Naming no part of the mapping does nothing and succeeds, as in Xen.
 */
static int unmap_one(struct domain *cd, grant_handle_t handle, uint64_t host_addr,
                     uint64_t dev_bus_addr, uint64_t new_addr)
{
    struct maptrack *m = maptrack(cd->grant, handle);
    struct pt_ctx c = { cd, PT_BUDGET, NULL };
    uint16_t parts = 0;

    if (!m)
        return GNTST_bad_handle;
    bool write = !(m->flags & GNTMAP_readonly);
    if (dev_bus_addr && dev_bus_addr != (uint64_t)m->mfn << PAGE_SHIFT)
        return GNTST_general_error;
    if (host_addr && (m->flags & GNTMAP_host_map))
        parts |= GNTMAP_host_map;
    if (dev_bus_addr && (m->flags & GNTMAP_device_map))
        parts |= GNTMAP_device_map;
    if (parts & GNTMAP_host_map) {
        /* Replacing needs a linear address for the host mapping, as in Xen. */
        uint64_t pte = host_pte(host_addr, m->flags);
        uint64_t npte = new_addr ? l1e_maddr_of(current, new_addr) : 0;
        if (!pte || (new_addr && (!npte || (m->flags & GNTMAP_contains_pte))) ||
            pt_unmap_grant(&c, pte, m->mfn, write, npte))
            return GNTST_general_error;
    }
    m->flags &= (uint16_t)~parts;
    if (parts && !(m->flags & (GNTMAP_host_map | GNTMAP_device_map)))
        maptrack_put(cd->grant, m);
    return GNTST_okay;
}

static long map_at(struct domain *cd, uint64_t at)
{
    struct gnttab_map_grant_ref op;

    if (copy_from_guest(&op, at, sizeof(op)))
        return -EFAULT;
    /* The results must be writable before anything is mapped, or the
     * guest would hold a mapping without its handle. */
    op.status = GNTST_general_error;
    if (copy_to_guest(at, &op, sizeof(op)))
        return -EFAULT;
    op.status = (int16_t)map_one(cd, &op);
    /* This can still fail if the guest mapped the grant read-only over its
     * own argument: its mapping then stays, unreported. */
    return copy_to_guest(at, &op, sizeof(op)) ? -EFAULT : 0;
}

static long unmap_at(struct domain *cd, uint64_t at)
{
    struct gnttab_unmap_grant_ref op;

    if (copy_from_guest(&op, at, sizeof(op)))
        return -EFAULT;
    op.status = (int16_t)unmap_one(cd, op.handle, op.host_addr, op.dev_bus_addr, 0);
    return copy_to_guest(at + offsetof(struct gnttab_unmap_grant_ref, status), &op.status,
                         sizeof(op.status)) ? -EFAULT : 0;
}

/* GNTTABOP_unmap_and_replace: the host mapping at host_addr goes and the
 * entry at new_addr takes its place (new_addr's own is cleared). */
static long replace_at(struct domain *cd, uint64_t at)
{
    struct gnttab_unmap_and_replace op;

    if (copy_from_guest(&op, at, sizeof(op)))
        return -EFAULT;
    op.status = op.host_addr ? (int16_t)unmap_one(cd, op.handle, op.host_addr, 0, op.new_addr)
                             : GNTST_general_error;
    return copy_to_guest(at + offsetof(struct gnttab_unmap_and_replace, status), &op.status,
                         sizeof(op.status)) ? -EFAULT : 0;
}

long do_grant_table_op(uint32_t cmd, uint64_t uop, unsigned int count)
{
    struct domain *cd = current->domain;

    if (!cd->grant)
        return -ENOSYS;
    if ((int)count < 0)
        return -EINVAL;
    switch (cmd) {
    case GNTTABOP_setup_table:  return op_setup_table(cd, uop, count);
    case GNTTABOP_query_size:   return op_query_size(cd, uop, count);
    case GNTTABOP_set_version:  return op_set_version(cd, uop, count);
    case GNTTABOP_get_version:  return op_get_version(cd, uop, count);
    case GNTTABOP_get_status_frames: return op_get_status_frames(cd, uop, count);
    case GNTTABOP_copy:
        return gnttab_batch(cd, cmd, uop, count, sizeof(struct gnttab_copy), copy_at);
    case GNTTABOP_map_grant_ref:
        return gnttab_batch(cd, cmd, uop, count, sizeof(struct gnttab_map_grant_ref), map_at);
    case GNTTABOP_unmap_grant_ref:
        return gnttab_batch(cd, cmd, uop, count, sizeof(struct gnttab_unmap_grant_ref), unmap_at);
    case GNTTABOP_unmap_and_replace:
        return gnttab_batch(cd, cmd, uop, count, sizeof(struct gnttab_unmap_and_replace), replace_at);
    default:                    return -ENOSYS;
    }
}
