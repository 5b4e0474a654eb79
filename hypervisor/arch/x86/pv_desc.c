/* SPDX-License-Identifier: MIT */
/*
 * A PV guest's descriptor tables: set_gdt and update_descriptor (xen-pv-
 * mechanics.md section 2).  A guest GDT is up to 14 frames of its own,
 * typed PGT_seg_desc -- which checks every descriptor (mica/desc_check.h)
 * and forbids writable mappings of them -- and mapped into the hypervisor's
 * GDT below Mica's reserved entries (7168 on), so selectors below 0xe000 are
 * the guest's.  One CPU, one vCPU today: the window is the hypervisor's GDT
 * itself; with several vCPUs each gets its own window.
 */
#include <mica/desc_check.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/paging.h>
#include <mica/string.h>
#include <mica/traps.h>

#define MAX_GDT_FRAMES (FIRST_RESERVED_GDT_ENTRY / DESC_PER_PAGE)     /* 14 */

static void drop_frames(struct pt_ctx *c, const mfn_t *f, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        put_page_type(c, mfn_to_page(f[i]));
        put_page(mfn_to_page(f[i]));
    }
}

long do_set_gdt(struct cpu_regs *regs)
{
    struct vcpu *v = current;
    uint64_t list = regs->rdi, entries = regs->rsi;
    xen_pfn_t frames[MAX_GDT_FRAMES];
    mfn_t taken[MAX_GDT_FRAMES];
    struct pt_ctx c = { v->domain, PT_BUDGET };
    unsigned int n = (unsigned int)((entries + DESC_PER_PAGE - 1) / DESC_PER_PAGE), i;

    if (entries > FIRST_RESERVED_GDT_ENTRY)
        return -EINVAL;
    if (copy_from_guest(frames, list, n * sizeof(frames[0])))
        return -EFAULT;
    /* Take every new frame first; any refusal undoes what was taken. */
    for (i = 0; i < n; i++) {
        struct page_info *pg = mfn_valid(frames[i]) ? mfn_to_page(frames[i]) : NULL;
        if (!pg || !get_page(pg, v->domain))
            break;
        if (get_page_type(&c, pg, PGT_seg_desc)) {
            put_page(pg);
            break;
        }
        taken[i] = frames[i];
    }
    if (i < n) {
        drop_frames(&c, taken, i);
        return -EINVAL;
    }
    /* Then switch the window and let the old frames go. */
    for (i = 0; i < MAX_GDT_FRAMES; i++)
        paging_remap_image_page(gdt_guest_page(i),
                                i < n ? taken[i] << PAGE_SHIFT : ~(paddr_t)0);
    drop_frames(&c, v->gdt_frames, v->gdt_nr);
    memcpy(v->gdt_frames, taken, n * sizeof(taken[0]));
    v->gdt_nr = n;
    (void)pt_drain(&c);
    return 0;
}

long do_update_descriptor(struct cpu_regs *regs)
{
    struct domain *d = current->domain;
    uint64_t maddr = regs->rdi, desc = regs->rsi;
    struct pt_ctx c = { d, PT_BUDGET };
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
