/* SPDX-License-Identifier: MIT */
/*
 * A PV domain builder for kit kernels, the way Xen's libxc builds a 64-bit
 * PV domU, through the control hypercall (control.h) and ordinary PV
 * hypercalls only:
 *
 *   kit_pv_create     createdomain (paused), getdomaininfo for shared_info
 *   kit_pv_populate   populate_physmap of pfns 0 .. nr_pages - 1 (the p2m)
 *   kit_pv_load       Xen's start-of-day layout (public xen.h): from
 *                     VIRT_BASE, mapped 1:1 onto pfns, the kernel, the p2m
 *                     list, start_info, the xenstore and console ring pages,
 *                     the bootstrap page tables (L4, L3, L2, L1s; mapped
 *                     read-only), a one-page stack, then at least 512 KiB of
 *                     slack, ending on a 4 MiB boundary; the hypercall page
 *                     filled; set_store_console (console served by Mica) and
 *                     its port in start_info; vcpu_info upcall masks set
 *   kit_pv_context    the vcpu_guest_context that enters the kernel; the
 *                     caller gives it to setvcpucontext and unpauses
 *
 * The builder writes the new domain's frames through one scratch slot
 * (memory.h), mapped with mmu_update(foreigndom = the new domain), and
 * points the slot back at its own frame before returning, so that no
 * frame of the new domain -- its page tables least of all -- stays mapped
 * writable by the builder (setvcpucontext would refuse the tables).
 *
 * On failure a function returns the failing call's result (or -XEN_EINVAL
 * for a bad image or layout) and says what failed in kit_pv_why.
 */
#ifndef KIT_PVBUILD_H
#define KIT_PVBUILD_H

#include <abi/xen.h>
#include "kit.h"

#define KIT_PV_MAX_SEGS 8
#define KIT_PV_SLOT     0           /* scratch slot for the new domain's frames */

/* A 64-bit PV kernel: its PT_LOAD segments and Xen notes. */
struct kit_pv_image {
    const uint8_t *data;
    size_t len;
    struct {
        uint64_t offset, filesz, memsz;
        uint64_t va;                /* virt_base + p_paddr - paddr_offset */
    } seg[KIT_PV_MAX_SEGS];
    unsigned int nr_seg;
    uint64_t virt_base, paddr_offset, entry, hypercall_page;   /* notes */
    uint64_t virt_start, virt_end;  /* lowest and past the highest VA, page-aligned */
};

/* The start-of-day layout, in pfns (VA = virt_base + pfn * 4 KiB). */
struct kit_pv_layout {
    uint64_t kend;                  /* first pfn past the kernel */
    uint64_t p2m, p2m_pages;
    uint64_t start_info, store, console;
    uint64_t pt, pt_pages;          /* L4, L3, L2, then nr_l1 L1s */
    unsigned int nr_l1;
    uint64_t stack;                 /* one page; the entry rsp is its top */
    uint64_t end;                   /* first pfn past the mapped region */
};

struct kit_pv_domain {
    domid_t domid;
    uint64_t nr_pages;
    uint64_t *p2m;                  /* the caller's buffer of nr_pages MFNs */
    uint64_t shared_info_mfn;
    uint64_t virt_base, entry;
    struct kit_pv_layout l;
    uint32_t console_port, store_port;
};

extern char kit_pv_why[160];

/* Check and describe an image; 0 or -XEN_EINVAL. */
long kit_pv_parse(const void *data, size_t len, struct kit_pv_image *img);

/* createdomain of one vCPU, paused, limited to max_pages; want is the id
 * or DOMID_INVALID; fills d->domid and d->shared_info_mfn. */
long kit_pv_create(struct kit_pv_domain *d, const char *name, uint64_t max_pages,
                   const xen_domain_handle_t handle, domid_t want);
/* populate_physmap of all d->nr_pages into d->p2m; short is an error. */
long kit_pv_populate(struct kit_pv_domain *d);
long kit_pv_load(struct kit_pv_domain *d, const struct kit_pv_image *img, const char *cmdline);
void kit_pv_context(const struct kit_pv_domain *d, struct vcpu_guest_context *ctx);

static inline uint64_t kit_pv_mfn(const struct kit_pv_domain *d, uint64_t pfn)
{
    return d->p2m[pfn];
}

/* Map frame mfn of domain dom at scratch slot `slot` (PTE flags from
 * memory.h); kit_scratch_restore() undoes it. */
long kit_map_foreign(unsigned int slot, domid_t dom, uint64_t mfn, uint64_t flags);

#endif /* KIT_PVBUILD_H */
