/* SPDX-License-Identifier: MIT */
/*
 * A fake hypervisor for xl's tests: the control interface (hypercall 56)
 * and xen_version over an in-memory table of domains and a console ring,
 * behind libmica's transport.  It follows abi/mica/control.h's rules
 * (interface version first, ESRCH for missing domains, getdomaininfo's
 * "first id at or above") so that xl meets what the real one says.
 */
#ifndef FAKE_HV_H
#define FAKE_HV_H

#include <stdbool.h>

#include "libmica.h"

#define FAKE_MAX_DOMAINS 200

/* Machine memory for built domains: FAKE_FRAMES frames in a memfd, so a
 * foreign mapping aliases the frame as the real one does. */
#define FAKE_FRAMES   32768             /* 128 MiB */
#define FAKE_MFN_BASE 0x40000           /* MFN of the first fake frame */
#define FAKE_FREE     0xffffU           /* owner of a free frame */
#define FAKE_MAX_BUILT 8
#define FAKE_MAX_MAPS 64

/* A domain made by createdomain: what the builder's calls change. */
struct fake_built {
    domid_t id;
    uint64_t max_pages;                 /* the builder's limit (own frames on top) */
    uint64_t populated;                 /* frames given by populate_physmap */
    xen_pfn_t shared_info, grant;       /* the hypervisor's own frames */
    bool rings_set, ctx_set;
    xen_pfn_t pinned_l4;                /* MMUEXT_PIN_L4_TABLE's frame, 0: none */
    uint64_t e820_ram;                  /* XENMEM_set_memory_map's RAM bytes, 0: none */
    struct mica_ctl_store_console sc;
    struct vcpu_guest_context ctx;
};

struct fake_hv {
    struct mica_ctl_domaininfo dom[FAKE_MAX_DOMAINS];   /* ids ascending */
    unsigned int nr;
    char console[65536];
    size_t console_len;
    uint32_t interface_version;     /* what the hypervisor speaks */
    struct { uint32_t weight, cap; } sched[DOMID_FIRST_RESERVED];  /* 0: default */
    unsigned int calls;
    /* Building. */
    uint8_t *mem;                       /* FAKE_FRAMES frames, shared */
    int memfd;                          /* -1 until first use */
    uint16_t owner[FAKE_FRAMES];        /* domid or FAKE_FREE */
    struct fake_built built[FAKE_MAX_BUILT];
    unsigned int nr_built;
    struct { void *addr; size_t n; } maps[FAKE_MAX_MAPS];
    long mapped_pages;                  /* live foreign-mapped pages */
    unsigned int nr_maps;               /* map calls made */
    /* Failure injection: cmd fail_cmd fails with fail_errno; the map call
     * after fail_map_after successful ones fails with EFAULT (0: never). */
    uint32_t fail_cmd;
    int fail_errno;
    unsigned int fail_map_after;
};

extern struct fake_hv fake;

void fake_reset(void);
/* Add a domain (ids must be added in ascending order). */
struct mica_ctl_domaininfo *fake_add(domid_t id, const char *name, uint64_t pages,
                                     uint32_t vcpus, uint32_t flags);
struct mica *fake_open(void);
/* Fake machine memory: the frame, or NULL if mfn is not one. */
void *fake_frame(xen_pfn_t mfn);
unsigned int fake_free_frames(void);
struct fake_built *fake_built(domid_t id);

#endif /* FAKE_HV_H */
