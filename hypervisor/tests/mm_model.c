/* SPDX-License-Identifier: MIT */
/*
 * The reference model of the PV memory rules and the host harness around
 * the real code.  The model keeps no counts of its own: after every
 * operation it recomputes from scratch which frames are live page tables
 * (reachable from pins and base pointers), whether that picture obeys the
 * rules, and what every reference count must therefore be.  Slow and
 * obvious on purpose; the real code is incremental and preemptible.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mica/errno.h>
#include <mica/string.h>

#include "mm_model.h"
#include "tlb_model.h"

static struct harness harness;
struct harness *H = &harness;

/* Model state: what the operations so far imply, independent of mm/. */
static struct {
    bool owned[H_FRAMES];
    bool allocated[H_FRAMES];
    unsigned int pinned[H_FRAMES];  /* 0, or the pin level */
    /* Frames whose slots 256-271 hold the hypervisor's entries (they were
     * live L4s); those slots are never the guest's and count as empty once
     * the frame stops being an L4. */
    bool hv_l4[H_FRAMES];
} M;

/* ---- hooks the real code needs ------------------------------------------ */

void *mm_map_frame(mfn_t mfn)
{
    if (mfn >= H_FRAMES)
        abort();
    return H->mem[mfn];
}

void arch_flush_tlb_all(void)
{
    H->flushes++;
    tlbm_flush_all();
}

void mm_free_frame(mfn_t mfn)
{
    H->frees++;
    tlbm_freed(mfn);
}

/* ---- what the rest of Mica does around the memory core ------------------ */

/* A guest's flush request (arch/x86/pv/mm.c: MMUEXT_TLB_FLUSH_*,
 * UVMF_TLB_FLUSH) and a context switch (arch/x86/pv/context.c: load_guest)
 * end in tlb_flush_all(); those files need the machine, so the harness
 * makes the same call.  (A port of the model to older code changes these
 * two, and the hooks above, to what that code did.) */
static void guest_flush(void)
{
    tlb_flush_all();
}

static void switch_to(domid_t d)
{
    tlbm_set_running(d);
    tlb_flush_all();
}

void bug(const char *file, int line, const char *cond)
{
    fprintf(stderr, "BUG at %s:%d: %s\n", file, line, cond);
    abort();
}

/* ---- harness -------------------------------------------------------------- */

void h_init(bool privileged)
{
    static struct memmap ram, free;

    if (H->d.domain_id)
        domain_unregister(&H->d);
    if (H->other.domain_id)
        domain_unregister(&H->other);
    memset(H, 0, sizeof(*H));
    memset(&M, 0, sizeof(M));
    ram.nr = 1;
    ram.r[0] = (struct range){ H_FIRST_XEN * PAGE_SIZE, H_FRAMES * PAGE_SIZE };
    free.nr = 1;
    free.r[0] = (struct range){ H_FIRST_OTHER * PAGE_SIZE, H_FRAMES * PAGE_SIZE };
    frame_table_init(H->table, H_FRAMES, &ram, &free);
    for (unsigned int i = 0; i < 16; i++)
        hypervisor_l4_slots[i] = 0x800000000000e063ULL + ((uint64_t)i << 12);

    H->privileged = privileged;
    H->d.domain_id = H_DOM;
    H->d.is_privileged = privileged;
    domain_mm_init(&H->d, H_FRAMES);
    H->other.domain_id = H_OTHER;
    domain_mm_init(&H->other, H_FRAMES);
    domain_register(&H->d);
    domain_register(&H->other);
    for (mfn_t m = H_FIRST_OTHER; m < H_FIRST_FREE; m++)
        assign_page(&H->other, m);
    H->xen_frame = INVALID_MFN;
    tlbm_reset();

    /* The other domain's tables: translations of its own when it runs. */
    H->mem[H_OTHER_L1][0] = pte(H_OTHER_DATA, _PAGE_PRESENT | _PAGE_RW | _PAGE_USER);
    H->mem[H_OTHER_L1][1] = pte(H_OTHER_RO, _PAGE_PRESENT | _PAGE_USER);
    H->mem[H_OTHER_L1][2] = pte(H_OTHER_RO, _PAGE_PRESENT | _PAGE_RW);
    H->mem[H_OTHER_L2][0] = pte(H_OTHER_L1, _PAGE_PRESENT | _PAGE_RW);
    struct pt_ctx c = { &H->other, PT_BUDGET, NULL };
    if (pt_pin(&c, H_OTHER_L2, PGT_l2))
        abort();
    h_other_snapshot();
}

void h_other_snapshot(void)
{
    for (mfn_t m = H_FIRST_OTHER; m < H_FIRST_FREE; m++) {
        H->other_count[m] = H->table[m].count;
        H->other_tcount[m] = H->table[m].type_count;
    }
}

uint64_t pte(mfn_t target, uint64_t flags)
{
    return (target << PAGE_SHIFT) | flags;
}

int h_drain(long budget)
{
    for (int tries = 0; tries < 100000; tries++) {
        struct pt_ctx c = { &H->d, budget, NULL };
        int rc = pt_drain(&c);
        if (rc != -ERESTART)
            return rc;
    }
    return -ERESTART;
}

/* Run fn until it stops asking to be continued, then drain the queue. */
#define CONTINUED(call) ({                                                \
    int rc_ = -ERESTART;                                                  \
    for (int t_ = 0; t_ < 100000 && rc_ == -ERESTART; t_++) {             \
        struct pt_ctx c = { &H->d, budget, NULL };                              \
        rc_ = (call);                                                     \
    }                                                                     \
    int drc_ = H->defer_drain ? 0 : h_drain(budget);                                             \
    rc_ == 0 ? drc_ : rc_;                                                \
})

int h_pin(mfn_t mfn, enum pgt level, long budget)
{
    return CONTINUED(pt_pin(&c, mfn, level));
}

int h_unpin(mfn_t mfn, long budget)
{
    return CONTINUED(pt_unpin(&c, mfn));
}

int h_update(mfn_t table, unsigned int idx, uint64_t val, bool preserve_ad, long budget)
{
    return CONTINUED(pt_update_entry(&c, table * PAGE_SIZE + idx * 8, val, preserve_ad));
}

static int base_take(struct pt_ctx *c, mfn_t mfn)
{
    if (!mfn_valid(mfn) || !get_page(mfn_to_page(mfn), c->d))
        return -EINVAL;
    int rc = get_page_type(c, mfn_to_page(mfn), PGT_l4);
    if (rc < 0)
        put_page(mfn_to_page(mfn));
    return rc;
}

int h_base_set(mfn_t mfn, long budget)
{
    if (H->nr_base == H_MAX_ROOTS)
        return -EINVAL;
    int rc = CONTINUED(base_take(&c, mfn));
    if (rc == 0)
        H->base[H->nr_base++] = mfn;
    return rc;
}

int h_base_drop(unsigned int slot, long budget)
{
    if (slot >= H->nr_base)
        return -EINVAL;
    struct page_info *pg = mfn_to_page(H->base[slot]);
    H->base[slot] = H->base[--H->nr_base];
    struct pt_ctx c = { &H->d, budget, NULL };
    put_page_type(&c, pg);
    put_page(pg);
    return H->defer_drain ? 0 : h_drain(budget);
}

int h_alloc(mfn_t *out)
{
    for (mfn_t m = H_FIRST_FREE; m < H_FRAMES; m++) {
        if (H->table[m].owner == OWNER_FREE) {
            frame_prepare(m);       /* as alloc_domain_frame() does */
            int rc = assign_page(&H->d, m);
            if (rc == 0)
                *out = m;
            return rc;
        }
    }
    return -ENOMEM;
}

int h_release(mfn_t mfn, long budget)
{
    (void)budget;
    return release_page(&H->d, mfn);
}

/* The hypervisor gives back the frame it took last (free_xen_frame) and
 * takes the lowest free one (alloc_xen_frame; the harness has no pool). */
static int h_xen_take(void)
{
    if (H->xen_frame != INVALID_MFN) {
        H->table[H->xen_frame].owner = OWNER_FREE;
        mm_free_frame(H->xen_frame);
        H->xen_frame = INVALID_MFN;
    }
    for (mfn_t m = H_FIRST_FREE; m < H_FRAMES; m++) {
        if (H->table[m].owner == OWNER_FREE) {
            frame_prepare(m);
            H->table[m].owner = DOMID_XEN;
            H->xen_frame = m;
            return 0;
        }
    }
    return -ENOMEM;
}

/* ---- the model ------------------------------------------------------------ */

#define L1_OK (PADDR_MASK | _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | \
               _PAGE_DIRTY | _PAGE_GLOBAL | _PAGE_AVAIL | _PAGE_AVAIL_HIGH | _PAGE_NX)
#define LN_OK (PADDR_MASK | _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | \
               _PAGE_DIRTY | _PAGE_AVAIL | _PAGE_AVAIL_HIGH | _PAGE_GNTTAB | _PAGE_NX)

static bool is_io(mfn_t m) { return m < H_FIRST_XEN; }

struct live {
    unsigned int level[H_FRAMES];   /* 0: not a live table */
};

/* Entry i of frame f as the guest's rules see it. */
static uint64_t entry(uint64_t (*mem)[512], mfn_t f, unsigned int i)
{
    return M.hv_l4[f] && l4_slot_is_hypervisor(i) ? 0 : mem[f][i];
}

/* Is every present entry of a level-L table acceptable?  Pushes children. */
static bool entry_ok(uint64_t e, unsigned int level)
{
    mfn_t t = pte_mfn(e);
    uint64_t ok = level == 1 ? L1_OK | (H->privileged ? _PAGE_PWT | _PAGE_PCD | _PAGE_PAT : 0)
                             : LN_OK;

    if (e & ~ok)
        return false;
    /* I/O frames: below the hypervisor's, and beyond the frame table. */
    if (level == 1 && (is_io(t) || t >= H_FRAMES))
        return H->privileged && io_frame_ok(t);
    if (t >= H_FRAMES)
        return false;
    return M.owned[t];
}

/* Compute the live tables of memory `mem` with the model's roots plus an
 * optional extra root; false when the picture breaks a rule. */
static bool compute_live(uint64_t (*mem)[512], struct live *lv, mfn_t extra,
                         unsigned int extra_level)
{
    mfn_t stack[4096];
    unsigned int lvl[4096], n = 0;

    memset(lv, 0, sizeof(*lv));
    for (mfn_t m = 0; m < H_FRAMES; m++)
        if (M.pinned[m])
            stack[n] = m, lvl[n++] = M.pinned[m];
    for (unsigned int i = 0; i < H->nr_base; i++)
        stack[n] = H->base[i], lvl[n++] = 4;
    if (extra_level)
        stack[n] = extra, lvl[n++] = extra_level;

    while (n) {
        n--;
        mfn_t f = stack[n];
        unsigned int L = lvl[n];
        if (!M.owned[f])
            return false;
        if (lv->level[f] == L)
            continue;
        if (lv->level[f])
            return false;           /* one frame, two levels */
        lv->level[f] = L;
        for (unsigned int i = 0; i < 512; i++) {
            uint64_t e = entry(mem, f, i);
            if (!(e & _PAGE_PRESENT) || (L == 4 && l4_slot_is_hypervisor(i)))
                continue;
            if (!entry_ok(e, L))
                return false;
            if (L > 1) {
                if (n >= ARRAY_SIZE(stack))
                    abort();
                stack[n] = pte_mfn(e), lvl[n++] = L - 1;
            }
        }
    }
    /* No live table may be mapped writable by a live L1. */
    for (mfn_t f = 0; f < H_FRAMES; f++) {
        if (lv->level[f] != 1)
            continue;
        for (unsigned int i = 0; i < 512; i++) {
            uint64_t e = entry(mem, f, i);
            if ((e & _PAGE_PRESENT) && (e & _PAGE_RW) && !is_io(pte_mfn(e)) &&
                pte_mfn(e) < H_FRAMES &&
                lv->level[pte_mfn(e)])
                return false;
        }
    }
    return true;
}

static uint64_t scratch[H_FRAMES][512];

int model_predict(const struct h_req *r)
{
    struct live lv;

    switch (r->op) {
    case OP_PIN:
        if (r->mfn >= H_FRAMES || !M.owned[r->mfn] || M.pinned[r->mfn] ||
            r->level < 1 || r->level > 4)
            return -EINVAL;
        return compute_live(H->mem, &lv, r->mfn, r->level) ? 0 : -EINVAL;
    case OP_UNPIN:
        return r->mfn < H_FRAMES && M.owned[r->mfn] && M.pinned[r->mfn] ? 0 : -EINVAL;
    case OP_UPDATE:
        if (r->mfn >= H_FRAMES || !M.owned[r->mfn])
            return -EINVAL;
        if (!compute_live(H->mem, &lv, 0, 0))
            abort();                /* the state before must be sound */
        if (!lv.level[r->mfn])
            return 0;               /* not a table: a plain write */
        if (lv.level[r->mfn] == 4 && l4_slot_is_hypervisor(r->idx))
            return -EINVAL;
        memcpy(scratch, H->mem, sizeof(scratch));
        scratch[r->mfn][r->idx] = r->val;
        return compute_live(scratch, &lv, 0, 0) ? 0 : -EINVAL;
    case OP_BASE_SET:
        if (r->mfn >= H_FRAMES || !M.owned[r->mfn] || H->nr_base == H_MAX_ROOTS)
            return -EINVAL;
        return compute_live(H->mem, &lv, r->mfn, 4) ? 0 : -EINVAL;
    case OP_BASE_DROP:
        return r->idx < H->nr_base ? 0 : -EINVAL;
    case OP_ALLOC:
        for (mfn_t m = H_FIRST_FREE; m < H_FRAMES; m++)
            if (!M.owned[m] && m != H->xen_frame)
                return 0;
        return -ENOMEM;
    case OP_FLUSH:
    case OP_SWITCH:
        return 0;
    case OP_XEN:
        for (mfn_t m = H_FIRST_FREE; m < H_FRAMES; m++)
            if (!M.owned[m])
                return 0;
        return -ENOMEM;
    case OP_RELEASE:
        return r->mfn < H_FRAMES && M.owned[r->mfn] && M.allocated[r->mfn] ? 0 : -EINVAL;
    }
    return -EINVAL;
}

/* Frames that are owned, released and no longer referenced are freed. */
static void model_collect(void)
{
    struct live lv;
    bool referenced[H_FRAMES] = { false };

    compute_live(H->mem, &lv, 0, 0);
    for (mfn_t f = 0; f < H_FRAMES; f++) {
        if (lv.level[f] == 4)
            M.hv_l4[f] = true;
        else if (!H->defer_drain)
            M.hv_l4[f] = false;     /* drained: the slots were cleared */
    }
    for (mfn_t f = 0; f < H_FRAMES; f++) {
        if (M.pinned[f])
            referenced[f] = true;
        if (!lv.level[f])
            continue;
        referenced[f] = true;
        for (unsigned int i = 0; i < 512; i++) {
            uint64_t e = H->mem[f][i];
            if ((e & _PAGE_PRESENT) && !(lv.level[f] == 4 && l4_slot_is_hypervisor(i)) &&
                pte_mfn(e) < H_FRAMES)
                referenced[pte_mfn(e)] = true;
        }
    }
    for (unsigned int i = 0; i < H->nr_base; i++)
        referenced[H->base[i]] = true;
    for (mfn_t f = H_FIRST_FREE; f < H_FRAMES; f++)
        if (M.owned[f] && !M.allocated[f] && !referenced[f])
            M.owned[f] = false;
}

static void note(const char *bad)
{
    if (bad && !H->tlb_bad[0])
        snprintf(H->tlb_bad, sizeof(H->tlb_bad), "%s", bad);
}

int h_run(const struct h_req *r, long budget)
{
    mfn_t m;
    int rc;

    if (r->op < OP_FLUSH && tlbm_running() != H_DOM) {
        switch_to(H_DOM);           /* its hypercalls run while it runs */
        note(tlbm_step());
    }
    switch (r->op) {
    case OP_PIN:
        rc = h_pin(r->mfn, (enum pgt)r->level, budget);
        if (rc == 0)
            M.pinned[r->mfn] = r->level;
        break;
    case OP_UNPIN:
        rc = h_unpin(r->mfn, budget);
        if (rc == 0)
            M.pinned[r->mfn] = 0;
        break;
    case OP_UPDATE:
        rc = h_update(r->mfn, r->idx, r->val, false, budget);
        break;
    case OP_BASE_SET:
        rc = h_base_set(r->mfn, budget);
        break;
    case OP_BASE_DROP:
        rc = h_base_drop(r->idx, budget);
        break;
    case OP_ALLOC:
        rc = h_alloc(&m);
        if (rc == 0) {
            M.owned[m] = M.allocated[m] = true;
            H->last_alloc = m;
        }
        break;
    case OP_RELEASE:
        rc = h_release(r->mfn, budget);
        if (rc == 0)
            M.allocated[r->mfn] = false;
        break;
    case OP_FLUSH:
        guest_flush();
        rc = 0;
        break;
    case OP_SWITCH:
        switch_to(tlbm_running() == H_DOM ? H_OTHER : H_DOM);
        rc = 0;
        break;
    case OP_XEN:
        rc = h_xen_take();
        break;
    default:
        rc = -EINVAL;
    }
    model_collect();
    note(tlbm_step());
    return rc;
}

bool model_has_released(void)
{
    for (mfn_t f = 0; f < H_FRAMES; f++)
        if (M.owned[f] && !M.allocated[f])
            return true;
    return false;
}

static char why[384];

#define MISMATCH(...) do { snprintf(why, sizeof(why), __VA_ARGS__); return why; } while (0)

/* A frame that is not H_DOM's to use: I/O, the hypervisor's, or the other
 * domain's (as its own tables left it). */
static const char *check_not_h_dom(mfn_t f)
{
    const struct page_info *pg = &H->table[f];

    if (f < H_FIRST_OTHER) {
        if (pg->count || pg->type_count)
            MISMATCH("frame %lu (I/O or hypervisor) was counted", f);
    } else if (f < H_FIRST_FREE) {
        if (pg->owner != H_OTHER || pg->count != H->other_count[f] ||
            pg->type_count != H->other_tcount[f])
            MISMATCH("frame %lu of the other domain changed: owner %u count %u "
                     "type_count %u", f, pg->owner, pg->count, pg->type_count);
    } else if (pg->owner != DOMID_XEN || pg->count || pg->type_count) {
        MISMATCH("frame %lu (the hypervisor's): owner %u count %u", f, pg->owner, pg->count);
    }
    return NULL;
}

const char *model_check(void)
{
    struct live lv;
    uint32_t count[H_FRAMES] = { 0 }, tcount[H_FRAMES] = { 0 }, wcount[H_FRAMES] = { 0 };

    if (H->tlb_bad[0])
        MISMATCH("%s", H->tlb_bad);
    if (!compute_live(H->mem, &lv, 0, 0))
        MISMATCH("the state breaks a rule");
    for (mfn_t f = 0; f < H_FRAMES; f++) {
        count[f] += M.allocated[f] + (M.pinned[f] ? 1 : 0);
        tcount[f] += M.pinned[f] ? 1 : 0;
        if (!lv.level[f])
            continue;
        for (unsigned int i = 0; i < 512; i++) {
            uint64_t e = H->mem[f][i];
            mfn_t t = pte_mfn(e);
            if (!(e & _PAGE_PRESENT) || (lv.level[f] == 4 && l4_slot_is_hypervisor(i)))
                continue;
            if (lv.level[f] == 1 && (is_io(t) || t >= H_FRAMES))
                continue;
            count[t]++;
            if (lv.level[f] > 1)
                tcount[t]++;
            else if (e & _PAGE_RW)
                wcount[t]++;
        }
    }
    for (unsigned int i = 0; i < H->nr_base; i++)
        count[H->base[i]]++, tcount[H->base[i]]++;

    for (mfn_t f = 0; f < H_FRAMES; f++) {
        const struct page_info *pg = &H->table[f];
        if (f < H_FIRST_FREE || f == H->xen_frame) {
            const char *bad = check_not_h_dom(f);
            if (bad)
                return bad;
            continue;
        }
        if (!M.owned[f]) {
            if (pg->owner != OWNER_FREE || pg->count)
                MISMATCH("frame %lu should be free: owner %u count %u", f, pg->owner, pg->count);
            continue;
        }
        if (pg->owner != H_DOM)
            MISMATCH("frame %lu: owner %u", f, pg->owner);
        if (pg->count != count[f])
            MISMATCH("frame %lu: count %u, recount %u", f, pg->count, count[f]);
        if (pg->flags & (PGF_partial | PGF_inflight | PGF_parked | PGF_queued))
            MISMATCH("frame %lu: left in flags %#x", f, pg->flags);
        if (!!(pg->flags & PGF_pinned) != !!M.pinned[f])
            MISMATCH("frame %lu: pinned flag %d", f, !!(pg->flags & PGF_pinned));
        if (!!(pg->flags & PGF_allocated) != M.allocated[f])
            MISMATCH("frame %lu: allocated flag", f);
        if (lv.level[f]) {
            if (pg->type != lv.level[f] || !(pg->flags & PGF_validated) ||
                pg->type_count != tcount[f])
                MISMATCH("frame %lu: live L%u but type %u count %u (recount %u) flags %#x",
                         f, lv.level[f], pg->type, pg->type_count, tcount[f], pg->flags);
            if (lv.level[f] == 4 &&
                memcmp(&H->mem[f][256], hypervisor_l4_slots, sizeof(hypervisor_l4_slots)))
                MISMATCH("frame %lu: hypervisor L4 slots not filled", f);
        } else if (wcount[f]) {
            if (pg->type != PGT_writable || pg->type_count != wcount[f])
                MISMATCH("frame %lu: mapped writable %u times, type %u count %u",
                         f, wcount[f], pg->type, pg->type_count);
        } else if (pg->type_count) {
            MISMATCH("frame %lu: type %u count %u but unused", f, pg->type, pg->type_count);
        }
    }
    if (H->d.deval_head != INVALID_MFN || H->other.deval_head != INVALID_MFN)
        MISMATCH("devalidation queue not empty");
    return NULL;
}
