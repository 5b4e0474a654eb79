/* SPDX-License-Identifier: MIT */
/*
 * Building a boot-time domain (dom0 from the first boot module, or each
 * domain of the boot configuration) from a 64-bit PV kernel (ELF64 with
 * Xen notes).  The start-of-day layout is Xen's (public xen.h, "Start-of-
 * day memory layout"), because Linux depends on it: one virtually
 * contiguous region from VIRT_BASE (pseudo-physical frame 0), mapped 1:1
 * onto pseudo-physical frames at VIRT_BASE + pfn * 4 KiB, holding in order the
 * kernel, the initramfs (module 1), the p2m list, start_info, the bootstrap
 * page tables (mapped read-only) and a stack, then at least 512 KiB of
 * slack; the region ends on a 4 MiB boundary.  The tables are checked by the
 * same rules as any guest's: the L4 is pinned through mm/pt.c, which
 * refuses a builder mistake just as it would a guest's.
 */
#include <mica/dom0_build.h>
#include <mica/elf.h>
#include <mica/errno.h>
#include <mica/mm.h>
#include <mica/paging.h>
#include <mica/printk.h>
#include <mica/string.h>
#include <mica/time.h>

#define MAX_P2M_FRAMES 8192             /* p2m of up to 16 GiB */
#define SLACK_PAGES    128              /* 512 KiB after the region */
#define STACK_PAGES    1

static mfn_t p2m_frames[MAX_P2M_FRAMES];

struct layout {
    uint64_t virt_base;
    uint64_t kend;                      /* first pfn after the kernel image */
    uint64_t initrd, initrd_pages;
    uint64_t p2m, p2m_pages;
    uint64_t start_info;
    uint64_t console;                   /* console ring page, right after start_info */
    uint64_t pt, pt_pages;              /* L4, L3s, L2s, L1s in that order */
    uint64_t stack;
    uint64_t end;                       /* first pfn past the mapped region */
    unsigned int nr_l3, nr_l2, nr_l1;
};

static uint64_t pfn_va(const struct layout *l, uint64_t pfn)
{
    return l->virt_base + (pfn << PAGE_SHIFT);
}

/* Tables needed to map [first, last] at one level: distinct indices. */
static unsigned int tables_for(uint64_t first, uint64_t last, unsigned int shift)
{
    return (unsigned int)((last >> shift) - (first >> shift) + 1);
}

static void plan(struct layout *l, const struct elf_image *img, uint64_t nr_pages,
                 uint64_t initrd_bytes)
{
    l->kend = (img->virt_end - l->virt_base) >> PAGE_SHIFT;
    l->initrd = l->kend;
    l->initrd_pages = ALIGN_UP(initrd_bytes, PAGE_SIZE) >> PAGE_SHIFT;
    l->p2m = l->initrd + l->initrd_pages;
    l->p2m_pages = ALIGN_UP(nr_pages * 8, PAGE_SIZE) >> PAGE_SHIFT;
    l->start_info = l->p2m + l->p2m_pages;
    l->console = l->start_info + 1;
    l->pt = l->console + 1;
    /* The tables map the region, which contains the tables: iterate. */
    l->pt_pages = 1;
    for (;;) {
        l->stack = l->pt + l->pt_pages;
        uint64_t end = ALIGN_UP(l->stack + STACK_PAGES + SLACK_PAGES, 1024);
        uint64_t first = pfn_va(l, 0), last = pfn_va(l, end) - 1;
        l->nr_l3 = tables_for(first, last, 39);
        l->nr_l2 = tables_for(first, last, 30);
        l->nr_l1 = tables_for(first, last, 21);
        uint64_t need = 1 + l->nr_l3 + l->nr_l2 + l->nr_l1;
        l->end = end;
        if (need <= l->pt_pages)
            break;
        l->pt_pages = need;
    }
}

static mfn_t pfn_to_mfn(uint64_t pfn)
{
    return ((const uint64_t *)mm_map_frame(p2m_frames[pfn / 512]))[pfn % 512];
}

static void *pfn_map(uint64_t pfn)
{
    return mm_map_frame(pfn_to_mfn(pfn));
}

/* Give the domain nr_pages frames, zeroed, filling the p2m list (which
 * lives in its own frames) and the M2P. */
static int populate(struct domain *d, const struct layout *l, uint64_t nr_pages)
{
    for (uint64_t i = 0; i < l->p2m_pages; i++)
        if ((p2m_frames[i] = alloc_domain_frame(d)) == INVALID_MFN)
            return -ENOMEM;
    for (uint64_t pfn = 0; pfn < nr_pages; pfn++) {
        mfn_t mfn;
        if (pfn >= l->p2m && pfn < l->p2m + l->p2m_pages)
            mfn = p2m_frames[pfn - l->p2m];
        else if ((mfn = alloc_domain_frame(d)) == INVALID_MFN)
            return -ENOMEM;
        ((uint64_t *)mm_map_frame(p2m_frames[pfn / 512]))[pfn % 512] = mfn;
        machine_to_phys[mfn] = pfn;
    }
    return 0;
}

/* Copy bytes into the guest's pseudo-physical memory at guest VA va. */
static void copy_in(const struct layout *l, uint64_t va, const uint8_t *src, uint64_t len)
{
    while (len) {
        uint64_t pfn = (va - l->virt_base) >> PAGE_SHIFT, off = va & (PAGE_SIZE - 1);
        uint64_t n = MIN(len, PAGE_SIZE - off);
        memcpy((uint8_t *)pfn_map(pfn) + off, src, n);
        va += n, src += n, len -= n;
    }
}

/* Bootstrap tables: every page of the region mapped read-write, except the
 * tables themselves, which are read-only (rule 3 of mm/pt.c).  Nothing
 * after the kernel image is code, so it is mapped no-execute (when the CPU
 * has NX): Linux takes down the region only up to the 4 MiB boundary after
 * the tables, and where the stack and slack run past it, what stays mapped
 * must not be writable and executable at once. */
static void build_tables(const struct layout *l)
{
    uint64_t first = pfn_va(l, 0);
    uint64_t l3 = l->pt + 1, l2 = l3 + l->nr_l3, l1 = l2 + l->nr_l2;
    const uint64_t upper = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED;

    for (uint64_t pfn = 0; pfn < l->end; pfn++) {
        uint64_t va = pfn_va(l, pfn);
        uint64_t i3 = l3 + ((va >> 39) - (first >> 39));
        uint64_t i2 = l2 + ((va >> 30) - (first >> 30));
        uint64_t i1 = l1 + ((va >> 21) - (first >> 21));
        bool is_pt = pfn >= l->pt && pfn < l->pt + l->pt_pages;

        ((uint64_t *)pfn_map(l->pt))[(va >> 39) & 511] = (pfn_to_mfn(i3) << PAGE_SHIFT) | upper;
        ((uint64_t *)pfn_map(i3))[(va >> 30) & 511] = (pfn_to_mfn(i2) << PAGE_SHIFT) | upper;
        ((uint64_t *)pfn_map(i2))[(va >> 21) & 511] = (pfn_to_mfn(i1) << PAGE_SHIFT) | upper;
        ((uint64_t *)pfn_map(i1))[(va >> 12) & 511] = (pfn_to_mfn(pfn) << PAGE_SHIFT) |
            _PAGE_PRESENT | _PAGE_ACCESSED | (is_pt ? 0 : _PAGE_RW | _PAGE_DIRTY) |
            (pfn >= l->kend ? paging_nx_bit() : 0);
    }
}

/* 32-byte stubs: slot i calls hypercall i; slot 23 (iret) keeps the
 * frame the guest pushed.  Xen's layout, our bytes. */
static void fill_hypercall_page(uint8_t *p)
{
    static const uint8_t stub[] = { 0x51, 0x41, 0x53, 0xb8, 0, 0, 0, 0, 0x0f, 0x05,
                                    0x41, 0x5b, 0x59, 0xc3 };
    static const uint8_t iret[] = { 0x51, 0x41, 0x53, 0x50, 0xb8, 23, 0, 0, 0, 0x0f, 0x05 };

    memset(p, 0xcc, PAGE_SIZE);             /* int3 between stubs */
    for (unsigned int i = 0; i < PAGE_SIZE / 32; i++) {
        memcpy(p + i * 32, stub, sizeof(stub));
        p[i * 32 + 4] = (uint8_t)i;
    }
    memcpy(p + 23 * 32, iret, sizeof(iret));
}

static void fill_start_info(struct domain *d, const struct layout *l, uint64_t nr_pages,
                            const struct dom0_modules *m)
{
    struct start_info *si = pfn_map(l->start_info);

    mica_strlcpy(si->magic, "xen-3.0-x86_64", sizeof(si->magic));
    si->nr_pages = nr_pages;
    si->shared_info = d->shared_info_mfn << PAGE_SHIFT;
    /* The initial domain is the privileged domain 0; others get neither. */
    si->flags = d->is_privileged ? SIF_PRIVILEGED | (d->domain_id == 0 ? SIF_INITDOMAIN : 0) : 0;
    si->pt_base = pfn_va(l, l->pt);
    si->nr_pt_frames = l->pt_pages;
    si->mfn_list = pfn_va(l, l->p2m);
    si->mod_start = m->initrd ? pfn_va(l, l->initrd) : 0;
    si->mod_len = m->initrd_len;
    mica_strlcpy((char *)si->cmd_line, m->cmdline, sizeof(si->cmd_line));
}

int dom0_build(struct domain *d, struct vcpu *v, const struct dom0_modules *m,
               uint64_t mem_bytes, char *why, size_t why_len)
{
    struct elf_image img;
    struct layout l = { 0 };
    uint64_t nr_pages = mem_bytes >> PAGE_SHIFT;

    if (elf_parse(m->kernel, m->kernel_len, &img, why, why_len) < 0)
        return -EINVAL;
    if (nr_pages > mm_free_frames()) {
        mica_snprintf(why, why_len, "%lu MiB is more than is free (%lu MiB)",
                      mem_bytes >> 20, (mm_free_frames() << PAGE_SHIFT) >> 20);
        return -ENOMEM;
    }
    l.virt_base = img.notes.virt_base;
    if (img.virt_start < l.virt_base) {
        mica_snprintf(why, why_len, "kernel starts below its VIRT_BASE");
        return -EINVAL;
    }
    plan(&l, &img, nr_pages, m->initrd_len);
    if (l.end > nr_pages || nr_pages / 512 >= MAX_P2M_FRAMES ||
        l.end > (GiB(1) >> PAGE_SHIFT)) {
        mica_snprintf(why, why_len, "%lu MiB cannot hold the kernel and boot data "
                      "(needs %lu MiB in one GiB)", mem_bytes >> 20, (l.end << PAGE_SHIFT) >> 20);
        return -EINVAL;
    }

    domain_set_max_pages(d, nr_pages);
    d->max_gpfn = nr_pages - 1;
    if (populate(d, &l, nr_pages) < 0) {
        mica_snprintf(why, why_len, "not enough free memory for %lu MiB", mem_bytes >> 20);
        return -ENOMEM;
    }

    for (unsigned int i = 0; i < img.nr_seg; i++)
        copy_in(&l, img.seg[i].vaddr, (const uint8_t *)m->kernel + img.seg[i].offset,
                img.seg[i].filesz);
    if (m->initrd)
        copy_in(&l, pfn_va(&l, l.initrd), m->initrd, m->initrd_len);
    if (img.notes.hypercall_page)
        fill_hypercall_page(pfn_map((img.notes.hypercall_page - l.virt_base) >> PAGE_SHIFT));
    fill_start_info(d, &l, nr_pages, m);
    d->start_info_mfn = pfn_to_mfn(l.start_info);
    /* Domains other than the initial one get a console ring (common/
     * console.c attaches its port once the domain has event channels). */
    d->cons_mfn = domain_is_machine_owner(d) ? INVALID_MFN : pfn_to_mfn(l.console);
    build_tables(&l);

    /* Pin the L4 (validating everything) and make it the base pointer. */
    struct pt_ctx c = { d, PT_BUDGET, NULL };
    mfn_t l4 = pfn_to_mfn(l.pt);
    int rc;
    while ((rc = pt_pin(&c, l4, PGT_l4)) == -ERESTART)
        c.budget = PT_BUDGET;
    if (rc == 0 && !get_page(mfn_to_page(l4), d))
        rc = -EINVAL;
    if (rc == 0 && (rc = get_page_type(&c, mfn_to_page(l4), PGT_l4)) != 0)
        put_page(mfn_to_page(l4));
    if (rc) {
        mica_snprintf(why, why_len, "bootstrap page tables refused (%d)", rc);
        return rc;
    }

    v->domain = d;
    v->vcpu_id = 0;
    v->guest_table = l4;
    v->guest_table_user = INVALID_MFN;
    v->vcpu_info_mfn = INVALID_MFN;
    for (unsigned int i = 0; i < 16; i++)
        v->ldt_shadow[i] = INVALID_MFN;
    v->kernel_mode = true;
    v->regs = (struct cpu_regs){
        .rip = img.notes.entry, .rsp = pfn_va(&l, l.stack + STACK_PAGES),
        .rsi = pfn_va(&l, l.start_info), .cs = FLAT_KERNEL_CS, .ss = FLAT_KERNEL_SS,
        .rflags = X86_EFLAGS_IF | 2,
    };
    d->vcpu0 = v;
    pr_info("d%u: %lu MiB, kernel %#lx-%#lx, entry %#lx, %lu page-table frames",
            d->domain_id, mem_bytes >> 20, img.virt_start, img.virt_end, img.notes.entry, l.pt_pages);
    return 0;
}
