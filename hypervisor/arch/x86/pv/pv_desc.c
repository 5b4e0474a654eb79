/* SPDX-License-Identifier: MIT */
/*
 * A PV guest's descriptor tables: set_gdt and update_descriptor (xen-pv-
 * mechanics.md section 2).  A guest GDT is up to 14 frames of its own,
 * typed PGT_seg_desc -- which checks every descriptor (mica/desc_check.h)
 * and forbids writable mappings of them -- and mapped into the hypervisor's
 * GDT below Mica's reserved entries (7168 on), so selectors below 0xe000 are
 * the guest's.  The window is the hypervisor's GDT itself, remapped to the
 * running vCPU's frames on each context switch (arch/x86/pv/context.c).
 */
#include <mica/desc_check.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/paging.h>
#include <mica/pv.h>
#include <mica/string.h>
#include <mica/traps.h>

_Static_assert(MAX_GDT_FRAMES == FIRST_RESERVED_GDT_ENTRY / DESC_PER_PAGE, "GDT frames");

static void drop_frames(struct pt_ctx *c, const mfn_t *f, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        put_page_type(c, mfn_to_page(f[i]));
        put_page(mfn_to_page(f[i]));
    }
}

long pv_gdt_take(struct domain *d, const uint64_t *frames, uint64_t entries, struct pv_gdt *g)
{
    struct pt_ctx c = { d, PT_BUDGET, NULL };
    unsigned int n = (unsigned int)((entries + DESC_PER_PAGE - 1) / DESC_PER_PAGE), i;

    if (entries > FIRST_RESERVED_GDT_ENTRY)
        return -EINVAL;
    /* Take every new frame; any refusal undoes what was taken. */
    for (i = 0; i < n; i++) {
        struct page_info *pg = mfn_valid(frames[i]) ? mfn_to_page(frames[i]) : NULL;
        if (!pg || !get_page(pg, d))
            break;
        if (get_page_type(&c, pg, PGT_seg_desc)) {
            put_page(pg);
            break;
        }
        g->frames[i] = frames[i];
    }
    g->nr = n;
    if (i < n) {
        drop_frames(&c, g->frames, i);
        return -EINVAL;
    }
    return 0;
}

void pv_gdt_release(struct domain *d, struct pv_gdt *g)
{
    struct pt_ctx c = { d, PT_BUDGET, NULL };

    drop_frames(&c, g->frames, g->nr);
    g->nr = 0;
    (void)pt_drain(&c);
}

void pv_gdt_commit(struct vcpu *v, const struct pv_gdt *g)
{
    struct pt_ctx c = { v->domain, PT_BUDGET, NULL };

    /* Switch the window (if v is on the CPU), then let the old go. */
    if (v == current)
        for (unsigned int i = 0; i < MAX_GDT_FRAMES; i++)
            paging_remap_image_page(gdt_guest_page(i),
                                    i < g->nr ? g->frames[i] << PAGE_SHIFT : ~(paddr_t)0);
    drop_frames(&c, v->gdt_frames, v->gdt_nr);
    memcpy(v->gdt_frames, g->frames, g->nr * sizeof(g->frames[0]));
    v->gdt_nr = g->nr;
    (void)pt_drain(&c);
}

long pv_vcpu_set_gdt(struct vcpu *v, const uint64_t *frames, uint64_t entries)
{
    struct pv_gdt g;
    long rc = pv_gdt_take(v->domain, frames, entries, &g);

    if (rc == 0)
        pv_gdt_commit(v, &g);
    return rc;
}

long do_set_gdt(uint64_t list, uint64_t entries)
{
    uint64_t frames[MAX_GDT_FRAMES];

    if (entries > FIRST_RESERVED_GDT_ENTRY)
        return -EINVAL;
    if (copy_from_guest(frames, list,
                        (entries + DESC_PER_PAGE - 1) / DESC_PER_PAGE * sizeof(frames[0])))
        return -EFAULT;
    return pv_vcpu_set_gdt(current, frames, entries);
}

long do_update_descriptor(uint64_t maddr, uint64_t desc)
{
    struct domain *d = current->domain;
    struct pt_ctx c = { d, PT_BUDGET, NULL };
    mfn_t mfn = maddr >> PAGE_SHIFT;

    if ((maddr & 7) || !mfn_valid(mfn) || !desc_check(&desc))
        return -EINVAL;
    struct page_info *pg = mfn_to_page(mfn);
    if (!get_page(pg, d))
        return -EINVAL;
    /* A live descriptor page keeps its type; anything else must be a frame
     * the guest could write (never a page table). */
    enum pgt type = pg->type == PGT_seg_desc && pg->type_count ? PGT_seg_desc : PGT_writable;
    if (get_page_type(&c, pg, type)) {
        put_page(pg);
        return -EINVAL;
    }
    __atomic_store_n(&((uint64_t *)mm_map_frame(mfn))[(maddr & (PAGE_SIZE - 1)) / 8], desc,
                     __ATOMIC_RELEASE);
    put_page_type(&c, pg);
    put_page(pg);
    return 0;
}

/* ---- the LDT: lazily mapped, page by page ----------------------------------
 *
 * MMUEXT_SET_LDT records where the guest's LDT is (a guest VA) and how many
 * entries it has, and points the CPU's LDT at the vCPU's window with all 16
 * pages unmapped.  The first descriptor load that touches a window page
 * faults in the hypervisor; pv_ldt_fault() then looks the guest page up in
 * the guest's kernel page tables, takes it as PGT_seg_desc (checking every
 * descriptor) and maps it into the window, and the load is retried.  The
 * mappings ("shadows") hold a seg_desc type and a general reference each,
 * and are dropped when the LDT changes or the kernel base pointer does.
 */

/* The vCPU whose LDT the window shows: loaded with it (context switch,
 * SET_LDT), so that a fault on the window in the hypervisor -- a selector
 * load at a context switch, before `current` changes -- maps the right
 * vCPU's page. */
static struct vcpu *window_vcpu;

void pv_ldt_load(struct vcpu *v)
{
    window_vcpu = v;
    ldt_load(v ? v->ldt_ents : 0);
}

void pv_ldt_forget(struct vcpu *v)
{
    if (window_vcpu == v)
        window_vcpu = NULL;
}

void pv_ldt_drop(struct pt_ctx *c, struct vcpu *v)
{
    for (unsigned int i = 0; i < LDT_WINDOW_PAGES; i++) {
        if (v->ldt_shadow[i] == INVALID_MFN)
            continue;
        paging_remap_image_page(ldt_window_page(i), PADDR_UNMAPPED);
        put_page_type(c, mfn_to_page(v->ldt_shadow[i]));
        put_page(mfn_to_page(v->ldt_shadow[i]));
        v->ldt_shadow[i] = INVALID_MFN;
    }
}

long pv_set_ldt(struct pt_ctx *c, struct vcpu *v, uint64_t base, uint64_t ents)
{
    if (ents > LDT_WINDOW_PAGES * DESC_PER_PAGE || (base & (PAGE_SIZE - 1)) ||
        (ents && !guest_range_ok(base, ents * 8)))
        return -EINVAL;
    pv_ldt_drop(c, v);
    v->ldt_base = base;
    v->ldt_ents = ents;
    pv_ldt_load(v);
    return 0;
}

/* The window page cr2 falls in (its index in *i), or false when it is
 * outside the window. */
static bool in_window(uint64_t cr2, unsigned int *i)
{
    uint64_t win = (uint64_t)ldt_window_page(0);

    if (cr2 < win || cr2 >= win + LDT_WINDOW_PAGES * PAGE_SIZE)
        return false;
    *i = (unsigned int)((cr2 - win) >> PAGE_SHIFT);
    return true;
}

/* Map window page i from the guest page its LDT names there (a present
 * frame of v's domain that takes the descriptor-page type): true when
 * mapped. */
static bool ldt_map(struct vcpu *v, unsigned int i)
{
    struct pt_ctx c = { v->domain, PT_BUDGET, NULL };
    uint64_t gva = v->ldt_base + ((uint64_t)i << PAGE_SHIFT);
    uint64_t l1e = 0, maddr = l1e_maddr_of(v, gva);

    if (v->ldt_shadow[i] != INVALID_MFN || (uint64_t)i * DESC_PER_PAGE >= v->ldt_ents)
        return false;
    if (maddr)
        l1e = ((uint64_t *)mm_map_frame(maddr >> PAGE_SHIFT))[(maddr & (PAGE_SIZE - 1)) / 8];
    mfn_t mfn = pte_mfn(l1e);
    struct page_info *pg = mfn_valid(mfn) ? mfn_to_page(mfn) : NULL;
    if (!(l1e & _PAGE_PRESENT) || !pg || !get_page(pg, v->domain))
        return false;
    if (get_page_type(&c, pg, PGT_seg_desc)) {
        put_page(pg);
        return false;
    }
    v->ldt_shadow[i] = mfn;
    paging_remap_image_page(ldt_window_page(i), mfn << PAGE_SHIFT);
    return true;
}

/* A #PF in the LDT window from the guest: map the guest's page and retry,
 * or give the guest a #PF at its own LDT address.  False when the fault is
 * elsewhere. */
bool pv_ldt_fault(struct vcpu *v, struct cpu_regs *r)
{
    uint64_t cr2 = read_cr2();
    unsigned int i;

    if (!in_window(cr2, &i))
        return false;
    if (ldt_map(v, i))
        return true;                    /* the load is retried */
    /* The guest's LDT page is not there or not a descriptor page: a #PF
     * for the guest at the address its LDT names. */
    write_cr2(v->ldt_base + ((uint64_t)i << PAGE_SHIFT) + (cr2 & (PAGE_SIZE - 1)));
    pv_inject_exception(v, r, X86_EXC_PF, 0);
    return true;
}

/* A #PF in the hypervisor on a load with a fixup: true when it was in the
 * LDT window and the page is mapped now, so the load is retried. */
bool pv_ldt_fault_in_hypervisor(void)
{
    unsigned int i;

    return window_vcpu && in_window(read_cr2(), &i) && ldt_map(window_vcpu, i);
}
