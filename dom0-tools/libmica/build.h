/* SPDX-License-Identifier: MIT */
/*
 * The user-space PV domain builder: fills a freshly created, paused, empty
 * domain with a kernel (image.h), a ramdisk and the start-of-day state of
 * Xen's x86-64 PV ABI, and sets vCPU 0 to start it.  The layout is the one
 * the hypervisor's boot-time builder proves on Debian's Linux 6.1
 * (hypervisor/arch/x86/dom0_build.c): one region from VIRT_BASE, mapped
 * 1:1 onto pseudo-physical frames, holding in order the kernel, the
 * ramdisk (as-is), the p2m list, start_info, the xenstore page, the
 * console page, the bootstrap page tables (read-only in the guest's view)
 * and a one-page stack, then at least 512 KiB of slack, ending on a 4 MiB
 * boundary and inside 1 GiB.
 *
 * Contract.  The caller has created the domain (mica_domain_create, which
 * leaves it paused) and unpauses it after a successful build, once it has
 * written xenstore and introduced the domain to xenstored.  On failure the
 * domain is half built: the caller destroys it (mica_domain_destroy),
 * which gives every frame back; the builder has dropped all its mappings
 * of the domain's frames by then, on success and on failure alike.
 */
#ifndef LIBMICA_BUILD_H
#define LIBMICA_BUILD_H

#include "image.h"
#include "libmica.h"

struct mica_build_config {
    const struct mica_kernel *kernel;   /* loaded and checked */
    const void *ramdisk;                /* NULL: none */
    size_t ramdisk_len;
    const char *cmdline;                /* NULL: ""; at most 1023 bytes */
    uint64_t memory_kib;                /* pages populated = memory_kib / 4 */
    uint64_t maxmem_kib;                /* RAM in the guest's E820, what it may balloon
                                         * up to (>= memory_kib; 0: memory_kib) */
    domid_t store_domid;                /* xenstored's domain; DOMID_INVALID: none */
    domid_t console_domid;              /* consoled's; DOMID_XEN: Mica's serial */
};

struct mica_build_result {
    uint64_t nr_pages;                  /* pseudo-physical pages given */
    xen_pfn_t store_mfn;                /* for XS_INTRODUCE and store/ring-ref */
    uint32_t store_port;                /* store/port (0 with no xenstore) */
    xen_pfn_t console_mfn;              /* console/ring-ref */
    uint32_t console_port;              /* console/port */
    uint64_t virt_base;
    uint64_t start_info_va;             /* rsi at entry */
    uint64_t entry;                     /* rip at entry */
    uint64_t stack_top;                 /* rsp at entry */
    uint64_t pt_base;                   /* VA of the L4 */
    uint64_t nr_pt_frames;
    uint64_t region_pages;              /* pages mapped from VIRT_BASE */
};

/*
 * Build domain `id` from cfg.  0, or -1 with errno (a Xen errno from the
 * hypervisor, EINVAL for a configuration that cannot work, ENOMEM) and
 * why[] = one line naming the step and what went wrong.  Steps: max_mem,
 * populate_physmap, set_store_console, the image and boot data written
 * through foreign mappings, grant entries 0 (console) and 1 (xenstore)
 * seeded as Xen's toolstack does, events masked in shared_info, every
 * mapping dropped, setvcpucontext of vCPU 0.  Does not unpause.
 */
int mica_build_pv(struct mica *m, domid_t id, const struct mica_build_config *cfg,
                  struct mica_build_result *res, char *why, size_t why_len);

#endif /* LIBMICA_BUILD_H */
