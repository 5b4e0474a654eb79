/* SPDX-License-Identifier: MIT */
/*
 * Page types and guest page-table validation: the security core of Mica.
 *
 * A 64-bit PV guest builds and edits its own page tables, which hold machine
 * frame numbers.  These rules guarantee that no guest ever maps a frame it
 * must not map, and that no live page table is ever writable by a guest:
 *
 *  1. Every frame has an owner and a general reference count (mm/page.c).
 *     A guest may reference only frames it owns (I/O frames only when it is
 *     privileged); every present entry of a validated table, every pin and
 *     every base pointer holds one general reference on its target.
 *
 *  2. A frame has one type at a time (L1, L2, L3, L4, writable, ...) and a
 *     type count.  The type may change only while the type count is zero.
 *     A writable mapping holds a writable type reference on its target; a
 *     present Ln entry (n > 1) holds an L(n-1) type reference on its
 *     target.  So a frame that is a live page table has no writable mapping,
 *     and a frame with a writable mapping cannot become a page table.
 *
 *  3. A frame of type Ln is "validated" only when every present entry
 *     passes the checks of its level and holds its references.  Entries are
 *     checked against a per-level whitelist of flags (no superpages, no
 *     cache bits for unprivileged guests, no _PAGE_GNTTAB) and adjusted as
 *     Xen does (user bit forced; kernel L1 entries tagged).  The hypervisor
 *     slots 256-271 of an L4 are never taken from the guest: they are
 *     filled with the hypervisor's own entries when the L4 is validated and
 *     cleared when it stops being one.  Linear (recursive) page tables are
 *     refused: an Ln entry must point to an L(n-1) table, and a frame cannot
 *     have two types, so no table can reach itself.
 *
 *  4. Validation is an explicit-stack depth-first walk (at most four levels,
 *     no recursion) with a work budget.  Its progress lives in the pages
 *     themselves: a page being validated is PGF_partial with entries
 *     [0, nr_done) holding references, and PGF_inflight when entry nr_done's
 *     child has been taken and is itself being validated.  When the budget
 *     runs out the walk stops with -ERESTART, the caller's references are
 *     parked in the root (PGF_parked), and the hypercall is continued: the
 *     next attempt adopts the parked references and resumes from the pages'
 *     state.  A failing entry unwinds the whole stack, dropping exactly the
 *     references taken.
 *
 *  5. When a table's type count reaches zero it must drop its entries'
 *     references ("devalidate").  That can cascade through a whole tree, so
 *     the table is put on its owner's devalidation queue, holding one
 *     general reference so that it cannot be freed while it still holds
 *     others.  Every hypercall that can queue drains the queue before it
 *     returns (continuing with -ERESTART if needed), so a guest never
 *     observes a table that is neither live nor devalidated.  A queued page
 *     that is needed again meanwhile is either taken back as it is (same
 *     type, untouched) or devalidated on the spot (at most 512 entries).
 *     A queue belongs to the frames' owner, whoever queues or unqueues: a
 *     privileged builder's foreign mapping or a grant mapping may meet
 *     another domain's queued frame.  (A few paths -- VCPUOP_initialise, a
 *     context switch dropping LDT pages -- leave what they queued for the
 *     owner's next memory hypercall; the rules above hold meanwhile.)
 *
 *  6. A translation may outlive its entry in the TLB.  A frame leaving the
 *     writable type, or freed, is stamped, and flushed out of every TLB
 *     before it takes another type or owner (mm/tlb.c).
 *
 * Callers: everything here runs under the owning domain's memory lock (one
 * CPU today; the lock arrives with SMP).  Callers of get_page_type() hold a
 * general reference on the page.
 */
#include <mica/bug.h>
#include <mica/desc_check.h>
#include <mica/errno.h>
#include <mica/mm.h>
#include <mica/string.h>

#define ENTRIES 512

/* Flags a present entry may carry, per level (Xen's rules). */
#define L1_ALLOWED (PADDR_MASK | _PAGE_PRESENT | _PAGE_RW | _PAGE_USER |      \
                    _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_GLOBAL | _PAGE_AVAIL | \
                    _PAGE_AVAIL_HIGH | _PAGE_NX)
#define L1_CACHE_BITS (_PAGE_PWT | _PAGE_PCD | _PAGE_PAT)
#define LN_ALLOWED (PADDR_MASK | _PAGE_PRESENT | _PAGE_RW | _PAGE_USER |      \
                    _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_AVAIL |              \
                    _PAGE_AVAIL_HIGH | _PAGE_GNTTAB | _PAGE_NX)
/* Bits an update may change without touching references. */
#define FASTPATH_BITS (_PAGE_NX | _PAGE_AVAIL_HIGH | _PAGE_AVAIL | _PAGE_GLOBAL | \
                       _PAGE_DIRTY | _PAGE_ACCESSED | _PAGE_USER)

uint64_t hypervisor_l4_slots[16];

static bool is_pt(unsigned int type)
{
    return type >= PGT_l1 && type <= PGT_l4;
}

static uint64_t *table_of(const struct page_info *pg)
{
    return mm_map_frame(page_to_mfn(pg));
}

/* ---- the devalidation queue -------------------------------------------- */

/* A table waits on its owner's queue, whoever dropped its last type
 * reference: a privileged builder's foreign mapping (mmu_update with
 * foreigndom) or a grant mapping may meet another domain's queued frame,
 * and must unlink it from that domain's queue, not its own. */
static struct domain *queue_of(struct pt_ctx *c, const struct page_info *pg)
{
    struct domain *d = pg->owner == c->d->domain_id ? c->d : domain_by_id_any(pg->owner);

    BUG_ON(!d);                     /* a queued frame's owner is registered */
    return d;
}

static void queue_add(struct domain *d, struct page_info *pg)
{
    BUG_ON(pg->flags & PGF_queued);
    pg->count++;                    /* the queue's own general reference */
    pg->flags |= PGF_queued;
    pg->qprev = PAGE_LIST_NONE;
    pg->qnext = d->deval_head == INVALID_MFN ? PAGE_LIST_NONE : (uint32_t)d->deval_head;
    if (d->deval_head != INVALID_MFN)
        mfn_to_page(d->deval_head)->qprev = (uint32_t)page_to_mfn(pg);
    d->deval_head = page_to_mfn(pg);
}

/* Unlink; the caller drops the queue's general reference when it may. */
static void queue_del(struct domain *d, struct page_info *pg)
{
    if (pg->qprev == PAGE_LIST_NONE)
        d->deval_head = pg->qnext == PAGE_LIST_NONE ? INVALID_MFN : pg->qnext;
    else
        mfn_to_page(pg->qprev)->qnext = pg->qnext;
    if (pg->qnext != PAGE_LIST_NONE)
        mfn_to_page(pg->qnext)->qprev = pg->qprev;
    pg->qnext = pg->qprev = PAGE_LIST_NONE;
    pg->flags &= (uint8_t)~PGF_queued;
}

/* ---- entries ------------------------------------------------------------ */

/* Check a present entry of a level-`level` table and adjust it as Xen does
 * (the guest kernel runs in ring 3, so every mapping is a user mapping;
 * kernel L1 mappings are tagged and kept out of the global TLB). */
static int check_entry(const struct domain *d, unsigned int level, uint64_t *e)
{
    uint64_t allowed = level == 1
        ? L1_ALLOWED | (d->is_privileged ? L1_CACHE_BITS : 0) : LN_ALLOWED;

    if (*e & ~allowed)
        return -EINVAL;
    /* Frames beyond the frame table are not RAM Mica manages: I/O memory
     * (MMIO, firmware tables) that only a privileged L1 entry may map. */
    if (!mfn_valid(pte_mfn(*e)) && !(level == 1 && d->is_privileged &&
                                     io_frame_ok(pte_mfn(*e))))
        return -EINVAL;
    if (level == 1) {
        if (*e & _PAGE_USER)
            *e |= _PAGE_GLOBAL;
        else
            *e = (*e | _PAGE_USER | _PAGE_GUEST_KERNEL) & ~_PAGE_GLOBAL;
    } else {
        *e |= _PAGE_USER | (level == 4 ? _PAGE_ACCESSED : 0);
    }
    return 0;
}

/* The references of a present L1 entry of c->d's tables mapping a frame of
 * owner (c->d itself, the foreign domain a builder maps, or the granter for
 * a grant mapping). */
static int get_l1e_refs(struct pt_ctx *c, uint64_t e, const struct domain *owner)
{
    /* I/O frames (in a RAM hole, or beyond RAM) are not counted; they are
     * mapped under the rights of the domain whose frames are being mapped
     * (as Xen checks pg_owner's): a privileged caller mapping "another
     * domain's" frames gets only that domain's RAM. */
    if (!mfn_valid(pte_mfn(e)) || mfn_to_page(pte_mfn(e))->owner == DOMID_IO)
        return c->d->is_privileged && owner->is_privileged && io_frame_ok(pte_mfn(e))
               ? 0 : -EINVAL;
    struct page_info *pg = mfn_to_page(pte_mfn(e));

    if (!get_page(pg, owner))
        return -EINVAL;
    if ((e & _PAGE_RW) && get_page_type(c, pg, PGT_writable) < 0) {
        put_page(pg);
        return -EINVAL;
    }
    return 0;
}

/* Drop the references held by present entry i (value e) of a level table. */
static void put_entry_refs(struct pt_ctx *c, unsigned int level, unsigned int i,
                           uint64_t e)
{
    if (!(e & _PAGE_PRESENT) || (level == 4 && l4_slot_is_hypervisor(i)) ||
        (level == 1 && !mfn_valid(pte_mfn(e))))     /* uncounted I/O */
        return;
    struct page_info *pg = mfn_to_page(pte_mfn(e));
    if (level == 1) {
        if (pg->owner == DOMID_IO)
            return;
        if (e & _PAGE_RW)
            put_page_type(c, pg);
    } else {
        put_page_type(c, pg);
    }
    put_page(pg);
}

static void release_entries(struct pt_ctx *c, struct page_info *pg, unsigned int n)
{
    uint64_t *t = table_of(pg);

    while (n > 0) {
        n--;
        put_entry_refs(c, pg->type, n, t[n]);
    }
}

/* ---- types -------------------------------------------------------------- */

/* A queued table drops its entries' references now (bounded: one table). */
static void devalidate_now(struct pt_ctx *c, struct page_info *pg)
{
    queue_del(queue_of(c, pg), pg);
    pg->flags &= (uint8_t)~PGF_validated;
    release_entries(c, pg, pg->nr_done);
    pg->nr_done = 0;
    if (pg->type == PGT_l4)
        memset(table_of(pg) + HYPERVISOR_L4_FIRST, 0, 16 * sizeof(uint64_t));
    put_page(pg);                   /* the queue's reference; caller holds one */
}

/*
 * Take one type reference.  Returns 0 when the page is ready, 1 when it is a
 * page table that still needs validating (now partial), -EINVAL on a type
 * conflict or count overflow.
 */
static int type_ref(struct pt_ctx *c, struct page_info *pg, enum pgt type)
{
    if (pg->type_count == 0) {
        if (pg->flags & PGF_queued) {
            if (pg->type == type && (pg->flags & PGF_validated)) {
                queue_del(queue_of(c, pg), pg); /* still whole: take it back */
                pg->type_count = 1;
                put_page(pg);
                return 0;
            }
            c->budget -= pg->nr_done;
            devalidate_now(c, pg);
        }
        /* A frame that was writable may still be, through the TLB: that
         * must end before it becomes anything else (mm/tlb.c rule 1). */
        if (type != PGT_writable)
            tlb_flush_stale(pg);
        /* A descriptor page must hold only descriptors a guest may have
         * (mica/desc_check.h); checked (and fixed up) as it takes the type. */
        if (type == PGT_seg_desc && desc_page_check(table_of(pg)) < 0)
            return -EINVAL;
        pg->type = type;
        pg->type_count = 1;
        if (!is_pt(type))
            return 0;
        pg->flags = (pg->flags & (uint8_t)~(PGF_validated | PGF_inflight)) | PGF_partial;
        pg->nr_done = 0;
        return 1;
    }
    if (pg->type != type || pg->type_count >= REF_MAX)
        return -EINVAL;
    pg->type_count++;
    if (!is_pt(type) || (pg->flags & PGF_validated))
        return 0;
    if (!(pg->flags & PGF_partial)) {
        pg->flags |= PGF_partial;
        pg->nr_done = 0;
    }
    return 1;
}

void put_page_type(struct pt_ctx *c, struct page_info *pg)
{
    BUG_ON(pg->type_count == 0);
    if (--pg->type_count)
        return;
    if (pg->type == PGT_writable)
        tlb_stamp(pg);              /* its last writable mapping went */
    else if (is_pt(pg->type) && (pg->flags & PGF_validated))
        queue_add(queue_of(c, pg), pg);
}

/* Take the references of a present entry.  Returns 0 (done), 1 (*child taken
 * and needs validating) or -EINVAL. */
static int take_entry_refs(struct pt_ctx *c, unsigned int level, uint64_t e,
                           struct page_info **child)
{
    if (level == 1)
        return get_l1e_refs(c, e, c->d);
    struct page_info *pg = mfn_to_page(pte_mfn(e));
    if (!get_page(pg, c->d))
        return -EINVAL;
    int rc = type_ref(c, pg, (enum pgt)(level - 1));
    if (rc < 0)
        put_page(pg);
    *child = pg;
    return rc;
}

/* Undo a failed walk: each page on the stack drops what it took and goes
 * back to "needs validating"; its holder still owns its type reference. */
static void unwind(struct pt_ctx *c, struct page_info **stack, int depth)
{
    for (int k = depth; k >= 0; k--) {
        struct page_info *pg = stack[k];

        if ((pg->flags & PGF_inflight) && k < depth) {
            put_page_type(c, stack[k + 1]);
            put_page(stack[k + 1]);
        }
        release_entries(c, pg, pg->nr_done);
        pg->nr_done = 0;
        pg->flags &= (uint8_t)~(PGF_partial | PGF_inflight);
    }
}

static void complete(struct page_info *pg)
{
    if (pg->type == PGT_l4)
        memcpy(table_of(pg) + HYPERVISOR_L4_FIRST, hypervisor_l4_slots,
               sizeof(hypervisor_l4_slots));
    pg->flags = (pg->flags & (uint8_t)~(PGF_partial | PGF_inflight)) | PGF_validated;
}

/* Validate the tree under root (see rule 4). */
static int promote(struct pt_ctx *c, struct page_info *root)
{
    struct page_info *stack[4] = { root };
    int depth = 0;

    while (depth >= 0) {
        struct page_info *pg = stack[depth];
        unsigned int level = pg->type;
        uint64_t *t = table_of(pg);

        if (pg->flags & PGF_validated) {
            if (--depth >= 0) {
                stack[depth]->nr_done++;
                stack[depth]->flags &= (uint8_t)~PGF_inflight;
            }
            continue;
        }
        if (!(pg->flags & PGF_partial)) {       /* someone else unwound it */
            pg->flags |= PGF_partial;
            pg->nr_done = 0;
        }
        if (pg->flags & PGF_inflight) {         /* resume inside the child */
            stack[++depth] = mfn_to_page(pte_mfn(t[pg->nr_done]));
            continue;
        }
        if (pg->nr_done == ENTRIES) {
            complete(pg);
            continue;
        }
        if (c->budget-- <= 0)
            return -ERESTART;

        unsigned int i = pg->nr_done;
        uint64_t e = t[i];
        if (!(e & _PAGE_PRESENT) || (level == 4 && l4_slot_is_hypervisor(i))) {
            pg->nr_done++;
            continue;
        }
        struct page_info *child = NULL;
        int rc = check_entry(c->d, level, &e);
        if (rc == 0) {
            t[i] = e;       /* the adjusted value; the guest cannot write here */
            rc = take_entry_refs(c, level, e, &child);
        }
        if (rc < 0) {
            unwind(c, stack, depth);
            return rc;
        }
        if (rc == 0) {
            pg->nr_done++;
        } else {
            BUG_ON(depth == 3);             /* an L1's entries have no children */
            pg->flags |= PGF_inflight;
            stack[++depth] = child;
        }
    }
    return 0;
}

int get_page_type(struct pt_ctx *c, struct page_info *pg, enum pgt type)
{
    int rc;

    if ((pg->flags & PGF_parked) && pg->type == type) {
        pg->flags &= (uint8_t)~PGF_parked;  /* adopt the parked references */
        put_page(pg);                       /* caller holds its own general ref */
        rc = 1;
    } else {
        rc = type_ref(c, pg, type);
    }
    if (rc <= 0)
        return rc;
    rc = promote(c, pg);
    if (rc == -ERESTART) {
        pg->flags |= PGF_parked;
        pg->count++;                        /* the park's general reference */
    } else if (rc < 0) {
        pg->type_count--;                   /* unwound: nothing else to drop */
    }
    return rc;
}

int pt_drain(struct pt_ctx *c)
{
    struct domain *d = c->d;

    while (d->deval_head != INVALID_MFN) {
        struct page_info *pg = mfn_to_page(d->deval_head);
        uint64_t *t = table_of(pg);

        pg->flags &= (uint8_t)~PGF_validated;   /* started: cannot be taken back */
        while (pg->nr_done > 0) {
            if (c->budget-- <= 0)
                return -ERESTART;
            pg->nr_done--;
            put_entry_refs(c, pg->type, pg->nr_done, t[pg->nr_done]);
        }
        devalidate_now(c, pg);
    }
    return 0;
}

/* ---- operations --------------------------------------------------------- */

int pt_pin(struct pt_ctx *c, mfn_t mfn, enum pgt level)
{
    if (!mfn_valid(mfn) || !is_pt(level))
        return -EINVAL;
    struct page_info *pg = mfn_to_page(mfn);
    if (!get_page(pg, c->d))
        return -EINVAL;
    int rc = get_page_type(c, pg, level);
    if (rc < 0) {
        put_page(pg);
        return rc;
    }
    if (pg->flags & PGF_pinned) {
        put_page_type(c, pg);
        put_page(pg);
        return -EINVAL;
    }
    pg->flags |= PGF_pinned;
    return 0;
}

int pt_unpin(struct pt_ctx *c, mfn_t mfn)
{
    if (!mfn_valid(mfn))
        return -EINVAL;
    struct page_info *pg = mfn_to_page(mfn);
    if (pg->owner != c->d->domain_id || !(pg->flags & PGF_pinned))
        return -EINVAL;
    pg->flags &= (uint8_t)~PGF_pinned;
    put_page_type(c, pg);
    put_page(pg);
    return 0;
}

/*
 * Relinquish (a dying domain): nothing of it runs any more, so every pin is
 * dropped and every parked validation is finished (or unwound) and its
 * reference dropped like any other; the cascade of devalidations then
 * releases every reference its tables hold, on its own frames and on the
 * frames of others it mapped.  A continued call (-ERESTART) resumes the
 * walk where it stopped (d->relinquish_at, held by a general reference).
 */
int pt_relinquish(struct pt_ctx *c)
{
    struct domain *d = c->d;
    int rc;

    /* The queue first: a call that finished the walk but not the drain
     * must get on with the drain (the walk then finds nothing to do). */
    if ((rc = pt_drain(c)))
        return rc;
    bool held = d->relinquish_at != INVALID_MFN;
    mfn_t m = held ? d->relinquish_at : d->page_head;

    d->relinquish_at = INVALID_MFN;
    while (m != INVALID_MFN) {
        struct page_info *pg = mfn_to_page(m);

        /* A parked validation is resumed with the budget whole (it is
         * charged its own work), so it always gets on. */
        if (!(pg->flags & PGF_parked) && c->budget-- <= 0) {
            /* Keep our place: a general reference keeps the frame on
             * the list while others run. */
            if (!held)
                pg->count++;
            d->relinquish_at = m;
            return -ERESTART;
        }
        if (pg->flags & PGF_parked) {
            /* Adopt the park under a general reference of our own. */
            pg->count++;
            rc = get_page_type(c, pg, (enum pgt)pg->type);
            if (rc == 0)
                put_page_type(c, pg);
            if (rc == -ERESTART) {      /* parked again: resume here */
                if (!held)
                    pg->count++;
                put_page(pg);
                d->relinquish_at = m;
                return rc;
            }
            put_page(pg);
            if (held)
                put_page(pg);
            /* An unwind may have freed frames d had given back but a
             * table still held: the list changed, start again. */
            held = false;
            m = d->page_head;
            continue;
        }
        if (pg->flags & PGF_pinned) {
            /* Validated, so dropping the type queues it (with a general
             * reference): the frame stays. */
            pg->flags &= (uint8_t)~PGF_pinned;
            put_page_type(c, pg);
            put_page(pg);
        }
        m = pg->next == PAGE_LIST_NONE ? INVALID_MFN : pg->next;
        if (held)
            put_page(pg);               /* frees at most this plain frame */
        held = false;
    }
    return pt_drain(c);
}

/*
 * A frame of d the hypervisor itself writes into (shared_info, a console
 * ring it serves): a general reference, so that giving it back cannot free
 * it, and a writable type reference, so that it can never become a page
 * table or descriptor page while Mica writes guest-chosen values into it.
 */
int mm_hold_writable(struct domain *d, mfn_t mfn)
{
    struct pt_ctx c = { d, PT_BUDGET, NULL };

    if (!mfn_valid(mfn) || !get_page(mfn_to_page(mfn), d))
        return -EINVAL;
    if (get_page_type(&c, mfn_to_page(mfn), PGT_writable)) {
        put_page(mfn_to_page(mfn));
        return -EINVAL;
    }
    return 0;
}

void mm_drop_writable(struct domain *d, mfn_t mfn)
{
    struct pt_ctx c = { d, PT_BUDGET, NULL };

    put_page_type(&c, mfn_to_page(mfn));
    put_page(mfn_to_page(mfn));
}

/* Store e into a live table while the CPU may set A/D bits in it. */
static uint64_t commit_entry(uint64_t *slot, uint64_t old, uint64_t e, bool preserve_ad)
{
    uint64_t cur = old;

    while (!__atomic_compare_exchange_n(slot, &cur, e, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {
        /* Only the hardware's A/D updates can race with us here. */
        if (preserve_ad && (e & _PAGE_PRESENT))
            e |= cur & (_PAGE_ACCESSED | _PAGE_DIRTY);
    }
    return cur;
}

static int mod_entry(struct pt_ctx *c, struct page_info *table, unsigned int i,
                     uint64_t e, bool preserve_ad)
{
    unsigned int level = table->type;
    uint64_t *slot = &table_of(table)[i];
    uint64_t old = *slot;
    struct page_info *child = NULL;

    if (level == 4 && l4_slot_is_hypervisor(i))
        return -EINVAL;
    if (e & _PAGE_PRESENT) {
        int rc = check_entry(c->d, level, &e);
        if (rc < 0)
            return rc;
        if (preserve_ad)
            e |= old & (_PAGE_ACCESSED | _PAGE_DIRTY);
        if ((old & _PAGE_PRESENT) && pte_mfn(old) == pte_mfn(e) &&
            !((old ^ e) & ~(FASTPATH_BITS | PADDR_MASK))) {
            commit_entry(slot, old, e, preserve_ad);
            if (level > 1)
                tlb_flush_all();
            return 0;
        }
        /* New references first, so replacing X by X never frees X. */
        if (level == 1) {
            rc = get_l1e_refs(c, e, c->pg_owner ? c->pg_owner : c->d);
        } else {
            child = mfn_to_page(pte_mfn(e));
            if (!get_page(child, c->d))
                return -EINVAL;
            rc = get_page_type(c, child, (enum pgt)(level - 1));
            if (rc < 0)
                put_page(child);
        }
        if (rc < 0)
            return rc;
    }
    old = commit_entry(slot, old, e, preserve_ad);
    put_entry_refs(c, level, i, old);
    if (level > 1)
        tlb_flush_all();
    return 0;
}

/* The frame of c->d holding the 8-byte entry at pte_maddr, with a general
 * reference taken, or NULL (misaligned, no such frame, not c->d's). */
static struct page_info *get_entry_frame(struct pt_ctx *c, uint64_t pte_maddr)
{
    mfn_t mfn = pte_maddr >> PAGE_SHIFT;

    if ((pte_maddr & 7) || !mfn_valid(mfn) || !get_page(mfn_to_page(mfn), c->d))
        return NULL;
    return mfn_to_page(mfn);
}

int pt_update_entry(struct pt_ctx *c, uint64_t pte_maddr, uint64_t val,
                    bool preserve_ad)
{
    unsigned int i = (pte_maddr & (PAGE_SIZE - 1)) / sizeof(uint64_t);
    struct page_info *pg = get_entry_frame(c, pte_maddr);
    int rc;

    if (!pg)
        return -EINVAL;
    if (is_pt(pg->type) && pg->type_count > 0) {
        /* A table being validated cannot be edited meanwhile. */
        rc = (pg->flags & PGF_validated) ? mod_entry(c, pg, i, val, preserve_ad) : -EINVAL;
    } else {
        /* Not a page table: an ordinary write, allowed where a writable
         * mapping would be. */
        rc = get_page_type(c, pg, PGT_writable);
        if (rc == 0) {
            table_of(pg)[i] = val;
            put_page_type(c, pg);
        }
    }
    put_page(pg);
    return rc;
}

/* ---- grant mappings -------------------------------------------------------- */

/*
 * A grant mapping is an L1 entry of the grantee's that maps a frame of the
 * granter.  It holds the references of any L1 entry (rule 1 and 2), taken
 * against the granter, so put_entry_refs() releases it like any other: a
 * guest that overwrites it loses only the mapping, never a reference.
 */

/* The validated L1 table of c->d holding the entry at pte_maddr, with a
 * general reference held, or NULL. */
static struct page_info *grant_l1(struct pt_ctx *c, uint64_t pte_maddr)
{
    struct page_info *pg = get_entry_frame(c, pte_maddr);

    if (!pg)
        return NULL;
    if (pg->type != PGT_l1 || !pg->type_count || !(pg->flags & PGF_validated)) {
        put_page(pg);
        return NULL;
    }
    return pg;
}

int pt_map_grant(struct pt_ctx *c, uint64_t pte_maddr, uint64_t e,
                 const struct domain *owner)
{
    struct page_info *t = grant_l1(c, pte_maddr);
    unsigned int i = (pte_maddr & (PAGE_SIZE - 1)) / sizeof(uint64_t);

    if (!t)
        return -EINVAL;
    int rc = check_entry(c->d, 1, &e);
    if (rc == 0)
        rc = get_l1e_refs(c, e, owner);
    if (rc == 0) {
        uint64_t *slot = &table_of(t)[i];
        put_entry_refs(c, 1, i, commit_entry(slot, *slot, e, false));
        tlb_flush_all();
    }
    put_page(t);
    return rc;
}

int pt_unmap_grant(struct pt_ctx *c, uint64_t pte_maddr, mfn_t mfn, bool write,
                   uint64_t new_maddr)
{
    struct page_info *t = grant_l1(c, pte_maddr), *n = NULL;
    unsigned int i = (pte_maddr & (PAGE_SIZE - 1)) / sizeof(uint64_t);
    int rc = -EINVAL;

    if (!t)
        return -EINVAL;
    if (new_maddr && (!(n = grant_l1(c, new_maddr)) || (new_maddr & ~7UL) == (pte_maddr & ~7UL)))
        goto out;
    uint64_t *slot = &table_of(t)[i];
    uint64_t old = *slot;
    /* The grant's PTE, as mapped: its frame and its write access (a
     * read-only grant mapping cannot be passed off as a writable one). */
    if (!(old & _PAGE_PRESENT) || pte_mfn(old) != mfn || !(old & _PAGE_RW) != !write)
        goto out;
    uint64_t e = 0;
    if (n) {                    /* an entry's references are not tied to its slot */
        uint64_t *nslot = &table_of(n)[(new_maddr & (PAGE_SIZE - 1)) / sizeof(uint64_t)];
        e = commit_entry(nslot, *nslot, 0, false);
    }
    put_entry_refs(c, 1, i, commit_entry(slot, old, e, false));
    tlb_flush_all();
    rc = 0;
out:
    if (n)
        put_page(n);
    put_page(t);
    return rc;
}
