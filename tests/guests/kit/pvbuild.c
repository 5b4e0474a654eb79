// SPDX-License-Identifier: MIT
/*
 * The kit's PV domain builder (see pvbuild.h): libxc's x86-64 PV build in
 * miniature.  The layout follows Xen's start-of-day rules (public xen.h),
 * which Linux and the kit (memory.c) rely on: one region from VIRT_BASE
 * mapped 1:1 onto pfns, elements packed in order and page-aligned, at
 * least 512 KiB after the last, ending on a 4 MiB boundary, every page
 * writable except the bootstrap tables.  The image is checked before any
 * byte of it is used, as if it came from outside.
 */
#include <abi/elfnote.h>
#include <abi/io/console.h>
#include "control.h"
#include "hypercall.h"
#include "memory.h"
#include "pvbuild.h"

#define SLACK_PAGES 128             /* 512 KiB */
#define REGION_ALIGN 1024           /* pages: 4 MiB */
#define GIB_PAGES (1UL << 18)

char kit_pv_why[160];

static long why(long rc, const char *fmt, ...) __printf(2, 3);
static long why(long rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    kit_vsnprintf(kit_pv_why, sizeof(kit_pv_why), fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- the image ------------------------------------------------------------ */

struct elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
struct elf64_nhdr {
    uint32_t namesz, descsz, type;
};
#define PT_LOAD 1
#define PT_NOTE 4
#define EM_X86_64 62
#define ET_EXEC 2

static bool in_image(const struct kit_pv_image *img, uint64_t off, uint64_t len)
{
    return off <= img->len && len <= img->len - off;
}

static uint64_t note_u64(const uint8_t *desc, uint32_t size)
{
    uint64_t v = 0;

    memcpy(&v, desc, size < 8 ? size : 8);
    return v;
}

/* The Xen notes of one PT_NOTE segment. */
static long parse_notes(struct kit_pv_image *img, uint64_t off, uint64_t len, bool *has)
{
    while (len >= sizeof(struct elf64_nhdr)) {
        struct elf64_nhdr n;
        memcpy(&n, img->data + off, sizeof(n));
        uint64_t name = off + sizeof(n), nsz = (n.namesz + 3UL) & ~3UL;
        uint64_t desc = name + nsz, dsz = (n.descsz + 3UL) & ~3UL;
        if (sizeof(n) + nsz + dsz > len)
            return why(-XEN_EINVAL, "note at %#lx runs past its segment", off);
        if (n.namesz == 4 && !memcmp(img->data + name, "Xen", 4)) {
            const uint8_t *d = img->data + desc;
            bool num = n.descsz == 4 || n.descsz == 8;
            switch (n.type) {
            case XEN_ELFNOTE_ENTRY:
                img->entry = num ? note_u64(d, n.descsz) : 0;
                has[0] = num;
                break;
            case XEN_ELFNOTE_VIRT_BASE:
                img->virt_base = num ? note_u64(d, n.descsz) : 0;
                has[1] = num;
                break;
            case XEN_ELFNOTE_PADDR_OFFSET:
                img->paddr_offset = num ? note_u64(d, n.descsz) : 0;
                break;
            case XEN_ELFNOTE_HYPERCALL_PAGE:
                img->hypercall_page = num ? note_u64(d, n.descsz) : 0;
                break;
            }
        }
        off += sizeof(n) + nsz + dsz;
        len -= sizeof(n) + nsz + dsz;
    }
    return 0;
}

static long parse_segments(struct kit_pv_image *img, const struct elf64_ehdr *eh)
{
    img->virt_start = ~0UL;
    for (unsigned int i = 0; i < eh->phnum; i++) {
        struct elf64_phdr ph;
        memcpy(&ph, img->data + eh->phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        if (ph.type != PT_LOAD || ph.memsz == 0)
            continue;
        if (!in_image(img, ph.offset, ph.filesz) || ph.filesz > ph.memsz)
            return why(-XEN_EINVAL, "segment %u lies outside the image", i);
        if (img->nr_seg == KIT_PV_MAX_SEGS)
            return why(-XEN_EINVAL, "more than %u segments", KIT_PV_MAX_SEGS);
        uint64_t va = img->virt_base + ph.paddr - img->paddr_offset;
        if (va < img->virt_base || va + ph.memsz < va ||
            va + ph.memsz - img->virt_base > GIB_PAGES * PAGE_SIZE)
            return why(-XEN_EINVAL, "segment %u (%#lx) outside VIRT_BASE's GiB", i, va);
        img->seg[img->nr_seg++] = (typeof(img->seg[0])){ ph.offset, ph.filesz, ph.memsz, va };
        if (va < img->virt_start)
            img->virt_start = va & ~(PAGE_SIZE - 1);
        if (va + ph.memsz > img->virt_end)
            img->virt_end = (va + ph.memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    }
    if (!img->nr_seg)
        return why(-XEN_EINVAL, "no loadable segment");
    return 0;
}

long kit_pv_parse(const void *data, size_t len, struct kit_pv_image *img)
{
    struct elf64_ehdr eh;
    bool has[2] = { false, false };       /* ENTRY, VIRT_BASE */
    long rc;

    *img = (struct kit_pv_image){ .data = data, .len = len };
    if (len < sizeof(eh))
        return why(-XEN_EINVAL, "image of %lu bytes is no ELF header", len);
    memcpy(&eh, data, sizeof(eh));
    if (memcmp(eh.ident, "\177ELF", 4) || eh.ident[4] != 2 || eh.ident[5] != 1 ||
        eh.machine != EM_X86_64 || eh.type != ET_EXEC)
        return why(-XEN_EINVAL, "not an x86-64 ELF64 executable");
    if (eh.phentsize != sizeof(struct elf64_phdr) ||
        !in_image(img, eh.phoff, (uint64_t)eh.phnum * sizeof(struct elf64_phdr)))
        return why(-XEN_EINVAL, "program headers outside the image");
    /* Notes first: VIRT_BASE and PADDR_OFFSET place the segments. */
    for (unsigned int i = 0; i < eh.phnum; i++) {
        struct elf64_phdr ph;
        memcpy(&ph, img->data + eh.phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        if (ph.type != PT_NOTE)
            continue;
        if (!in_image(img, ph.offset, ph.filesz))
            return why(-XEN_EINVAL, "note segment %u outside the image", i);
        if ((rc = parse_notes(img, ph.offset, ph.filesz, has)))
            return rc;
    }
    if (!has[0] || !has[1])
        return why(-XEN_EINVAL, "no Xen %s note", has[0] ? "VIRT_BASE" : "ENTRY");
    if (img->virt_base & ((GIB_PAGES << PAGE_SHIFT) - 1))
        return why(-XEN_EINVAL, "VIRT_BASE %#lx is not GiB-aligned", img->virt_base);
    if ((rc = parse_segments(img, &eh)))
        return rc;
    if (img->entry < img->virt_start || img->entry >= img->virt_end)
        return why(-XEN_EINVAL, "entry %#lx outside the image", img->entry);
    if (img->hypercall_page && (img->hypercall_page < img->virt_start ||
                                img->hypercall_page >= img->virt_end ||
                                (img->hypercall_page & (PAGE_SIZE - 1))))
        return why(-XEN_EINVAL, "hypercall page %#lx outside the image", img->hypercall_page);
    return 0;
}

/* ---- the new domain's frames, through one scratch slot -------------------- */

long kit_map_foreign(unsigned int slot, domid_t dom, uint64_t mfn, uint64_t flags)
{
    uint64_t va = kit_scratch_va(slot);
    struct mmu_update req = { .ptr = kit_l1e_maddr(va) | MMU_NORMAL_PT_UPDATE,
                              .val = pte(mfn, flags) };
    long rc = HYPERVISOR_mmu_update(&req, 1, NULL, dom);

    return rc ? rc : kit_mmuext1(MMUEXT_INVLPG_LOCAL, va);
}

static uint64_t slot_mfn;           /* what KIT_PV_SLOT maps now; 0: our own frame */
static long map_rc;                 /* why the last mapping failed */

/* Frame mfn of d mapped writable at the slot; NULL (kit_pv_why set) on
 * failure. */
static void *map_mfn(const struct kit_pv_domain *d, uint64_t mfn, const char *what)
{
    long rc;

    if (slot_mfn != mfn) {
        if ((rc = kit_map_foreign(KIT_PV_SLOT, d->domid, mfn, PTE_RW))) {
            slot_mfn = ~0UL;        /* unknown: unmap() restores it */
            map_rc = rc;
            why(rc, "mapping %s (mfn %#lx) of d%u: %s", what, mfn, d->domid,
                kit_errno_name(rc));
            return NULL;
        }
        slot_mfn = mfn;
    }
    return (void *)kit_scratch_va(KIT_PV_SLOT);
}

/* The page of d at pfn, mapped writable. */
static void *page(const struct kit_pv_domain *d, uint64_t pfn)
{
    return map_mfn(d, kit_pv_mfn(d, pfn), "a pseudo-physical page");
}

static long unmap(void)
{
    long rc = slot_mfn ? kit_scratch_restore(KIT_PV_SLOT) : 0;

    slot_mfn = 0;
    return rc ? why(rc, "restoring the scratch slot: %s", kit_errno_name(rc)) : 0;
}

/* Copy len bytes to the domain's VA va (inside the region). */
static long copy_in(const struct kit_pv_domain *d, uint64_t va, const uint8_t *src,
                    uint64_t len)
{
    while (len) {
        uint64_t pfn = (va - d->virt_base) >> PAGE_SHIFT, off = va & (PAGE_SIZE - 1);
        uint64_t n = len < PAGE_SIZE - off ? len : PAGE_SIZE - off;
        uint8_t *p = page(d, pfn);
        if (!p)
            return map_rc;
        memcpy(p + off, src, n);
        va += n, src += n, len -= n;
    }
    return 0;
}

/* ---- creating and populating ---------------------------------------------- */

long kit_pv_create(struct kit_pv_domain *d, const char *name, uint64_t max_pages,
                   const xen_domain_handle_t handle, domid_t want)
{
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_createdomain, want);
    struct mica_ctl_domaininfo info;
    long rc;

    op.u.createdomain.max_vcpus = 1;
    op.u.createdomain.max_pages = max_pages;
    memcpy(op.u.createdomain.handle, handle, sizeof(xen_domain_handle_t));
    kit_snprintf(op.u.createdomain.name, MICA_NAME_LEN, "%s", name);
    if ((rc = HYPERVISOR_mica_control(&op)))
        return why(rc, "createdomain '%s': %s", name, kit_errno_name(rc));
    d->domid = op.domain;
    if ((rc = kit_ctl_domaininfo(d->domid, &info)) || info.domain != d->domid)
        return why(rc ? rc : -XEN_ESRCH, "getdomaininfo of new d%u: %s (got d%u)", d->domid,
                   kit_errno_name(rc), info.domain);
    d->shared_info_mfn = info.shared_info_frame;
    return 0;
}

long kit_pv_populate(struct kit_pv_domain *d)
{
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_populate_physmap, d->domid);
    long rc;

    op.u.populate_physmap.first_pfn = 0;
    op.u.populate_physmap.nr_pages = d->nr_pages;
    set_xen_guest_handle(op.u.populate_physmap.mfns, d->p2m);
    /* A long call continues itself; calling again from nr_done is how a
     * builder would resume one it had to break off. */
    for (uint64_t last = ~0UL; op.u.populate_physmap.nr_done < d->nr_pages;) {
        if (op.u.populate_physmap.nr_done == last)
            return why(-XEN_ENOMEM, "populate_physmap of d%u stopped at %lu of %lu pages",
                       d->domid, last, d->nr_pages);
        last = op.u.populate_physmap.nr_done;
        if ((rc = HYPERVISOR_mica_control(&op)))
            return why(rc, "populate_physmap of d%u: %s", d->domid, kit_errno_name(rc));
    }
    return 0;
}

/* ---- the layout and its contents ------------------------------------------ */

static long plan(struct kit_pv_layout *l, const struct kit_pv_image *img, uint64_t nr_pages)
{
    l->kend = (img->virt_end - img->virt_base) >> PAGE_SHIFT;
    l->p2m = l->kend;
    l->p2m_pages = (nr_pages * 8 + PAGE_SIZE - 1) >> PAGE_SHIFT;
    l->start_info = l->p2m + l->p2m_pages;
    l->store = l->start_info + 1;
    l->console = l->store + 1;
    l->pt = l->console + 1;
    /* The tables map the region, which holds the tables: iterate. */
    for (l->nr_l1 = 1;;) {
        l->pt_pages = 3 + l->nr_l1;
        l->stack = l->pt + l->pt_pages;
        l->end = (l->stack + 1 + SLACK_PAGES + REGION_ALIGN - 1) & ~(REGION_ALIGN - 1UL);
        unsigned int need = (unsigned int)((l->end + PT_ENTRIES - 1) / PT_ENTRIES);
        if (need <= l->nr_l1)
            break;
        l->nr_l1 = need;
    }
    if (l->end > nr_pages || l->end > GIB_PAGES)
        return why(-XEN_EINVAL, "%lu pages cannot hold the %lu-page start-of-day region",
                   nr_pages, l->end);
    return 0;
}

/* Xen's hypercall page: 32-byte stubs, slot i calls hypercall i by
 * `syscall` keeping rcx/r11; slot 23 (iret) keeps the guest's frame. */
static void fill_hypercall_page(uint8_t *p)
{
    static const uint8_t stub[] = { 0x51, 0x41, 0x53, 0xb8, 0, 0, 0, 0, 0x0f, 0x05,
                                    0x41, 0x5b, 0x59, 0xc3 };
    static const uint8_t iret[] = { 0x51, 0x41, 0x53, 0x50, 0xb8, 23, 0, 0, 0, 0x0f, 0x05 };

    memset(p, 0xcc, PAGE_SIZE);
    for (unsigned int i = 0; i < PAGE_SIZE / 32; i++) {
        memcpy(p + i * 32, stub, sizeof(stub));
        p[i * 32 + 4] = (uint8_t)i;
    }
    memcpy(p + 23 * 32, iret, sizeof(iret));
}

static long load_kernel(const struct kit_pv_domain *d, const struct kit_pv_image *img)
{
    long rc;

    for (unsigned int i = 0; i < img->nr_seg; i++)
        if ((rc = copy_in(d, img->seg[i].va, img->data + img->seg[i].offset,
                          img->seg[i].filesz)))
            return rc;
    /* The rest of each segment (bss) is populate's zeroed frames. */
    if (img->hypercall_page) {
        uint8_t *p = page(d, (img->hypercall_page - d->virt_base) >> PAGE_SHIFT);
        if (!p)
            return map_rc;
        fill_hypercall_page(p);
    }
    return 0;
}

static long fill_start_info(const struct kit_pv_domain *d, const char *cmdline)
{
    const struct kit_pv_layout *l = &d->l;
    struct start_info *si = page(d, l->start_info);

    if (!si)
        return map_rc;
    memset(si, 0, PAGE_SIZE);
    memcpy(si->magic, "xen-3.0-x86_64", 15);
    si->nr_pages = d->nr_pages;
    si->shared_info = d->shared_info_mfn << PAGE_SHIFT;
    si->flags = 0;
    si->store_mfn = kit_pv_mfn(d, l->store);
    si->store_evtchn = d->store_port;
    si->console.domU.mfn = kit_pv_mfn(d, l->console);
    si->console.domU.evtchn = d->console_port;
    si->pt_base = d->virt_base + (l->pt << PAGE_SHIFT);
    si->nr_pt_frames = l->pt_pages;
    si->mfn_list = d->virt_base + (l->p2m << PAGE_SHIFT);
    kit_snprintf((char *)si->cmd_line, MAX_GUEST_CMDLINE, "%s", cmdline);
    return 0;
}

static long fill_p2m(const struct kit_pv_domain *d)
{
    return copy_in(d, d->virt_base + (d->l.p2m << PAGE_SHIFT), (const uint8_t *)d->p2m,
                   d->nr_pages * 8);
}

/* The bootstrap tables: L4[i4] -> L3[i3] -> L2[i2 ..] -> L1s mapping every
 * page of the region writable, except the tables (read-only). */
static long build_tables(const struct kit_pv_domain *d)
{
    const struct kit_pv_layout *l = &d->l;
    const uint64_t upper = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED;
    uint64_t vb = d->virt_base, *t;

    if (!(t = page(d, l->pt)))
        return map_rc;
    t[(vb >> 39) & 511] = pte(kit_pv_mfn(d, l->pt + 1), upper);
    if (!(t = page(d, l->pt + 1)))
        return map_rc;
    t[(vb >> 30) & 511] = pte(kit_pv_mfn(d, l->pt + 2), upper);
    if (!(t = page(d, l->pt + 2)))
        return map_rc;
    for (unsigned int i = 0; i < l->nr_l1; i++)
        t[((vb >> 21) & 511) + i] = pte(kit_pv_mfn(d, l->pt + 3 + i), upper);
    for (unsigned int i = 0; i < l->nr_l1; i++) {
        if (!(t = page(d, l->pt + 3 + i)))
            return map_rc;
        for (unsigned int j = 0; j < PT_ENTRIES; j++) {
            uint64_t pfn = (uint64_t)i * PT_ENTRIES + j;
            bool is_pt = pfn >= l->pt && pfn < l->pt + l->pt_pages;
            t[j] = pfn >= l->end ? 0
                 : pte(kit_pv_mfn(d, pfn), is_pt ? PTE_RO : PTE_RW);
        }
    }
    return 0;
}

/* Events masked on every vCPU until the kernel unmasks them (libxc does
 * this to the fresh shared_info). */
static long mask_upcalls(const struct kit_pv_domain *d)
{
    volatile struct shared_info *s = map_mfn(d, d->shared_info_mfn, "shared_info");

    if (!s)
        return map_rc;
    for (unsigned int i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
        s->vcpu_info[i].evtchn_upcall_mask = 1;
    return 0;
}

static long store_console(struct kit_pv_domain *d)
{
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_set_store_console, d->domid);
    long rc;

    op.u.store_console.store_mfn = kit_pv_mfn(d, d->l.store);
    op.u.store_console.console_mfn = kit_pv_mfn(d, d->l.console);
    op.u.store_console.store_domid = DOMID_INVALID;
    op.u.store_console.console_domid = DOMID_XEN;
    if ((rc = HYPERVISOR_mica_control(&op)))
        return why(rc, "set_store_console of d%u: %s", d->domid, kit_errno_name(rc));
    d->store_port = op.u.store_console.store_port;
    d->console_port = op.u.store_console.console_port;
    return 0;
}

long kit_pv_load(struct kit_pv_domain *d, const struct kit_pv_image *img, const char *cmdline)
{
    long rc;

    d->virt_base = img->virt_base;
    d->entry = img->entry;
    if ((rc = plan(&d->l, img, d->nr_pages)) || (rc = store_console(d)))
        return rc;
    if (!(rc = load_kernel(d, img)) && !(rc = fill_p2m(d)) &&
        !(rc = fill_start_info(d, cmdline)) && !(rc = build_tables(d)))
        rc = mask_upcalls(d);
    long urc = unmap();
    return rc ? rc : urc;
}

void kit_pv_context(const struct kit_pv_domain *d, struct vcpu_guest_context *ctx)
{
    uint64_t stack_top = d->virt_base + ((d->l.stack + 1) << PAGE_SHIFT);

    memset(ctx, 0, sizeof(*ctx));
    ctx->flags = VGCF_in_kernel | VGCF_online;
    ctx->user_regs.rip = d->entry;
    ctx->user_regs.rsp = stack_top;
    ctx->user_regs.rsi = d->virt_base + (d->l.start_info << PAGE_SHIFT);
    ctx->user_regs.cs = FLAT_KERNEL_CS;
    ctx->user_regs.ss = FLAT_KERNEL_SS;
    ctx->user_regs.rflags = 1UL << 9;      /* IF */
    ctx->kernel_ss = FLAT_KERNEL_SS;
    ctx->kernel_sp = stack_top;
    ctx->ctrlreg[3] = xen_pfn_to_cr3(kit_pv_mfn(d, d->l.pt));
}
