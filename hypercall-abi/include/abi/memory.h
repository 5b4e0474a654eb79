/* SPDX-License-Identifier: MIT */
/*
 * Memory reservation and physmap operations (hypercall 12,
 * memory_op(cmd, arg)).  These move frames between a domain and the free
 * pool (balloon, domain build), report the guest's memory map and where the
 * machine-to-physical table is mapped, and let dom0 trade frames for
 * contiguous low ones (swiotlb).  A domid field of DOMID_SELF means the
 * caller; anything else needs privilege over the target.
 */
#ifndef ABI_MEMORY_H
#define ABI_MEMORY_H

#include <abi/xen.h>

#define XENMEM_increase_reservation      0  /* struct xen_memory_reservation */
#define XENMEM_decrease_reservation      1  /* struct xen_memory_reservation */
#define XENMEM_maximum_ram_page          2  /* returns the highest MFN */
#define XENMEM_current_reservation       3  /* domid_t; returns pages */
#define XENMEM_maximum_reservation       4  /* domid_t; returns pages */
#define XENMEM_machphys_mfn_list         5  /* struct xen_machphys_mfn_list */
#define XENMEM_populate_physmap          6  /* struct xen_memory_reservation */
#define XENMEM_add_to_physmap            7  /* struct xen_add_to_physmap */
#define XENMEM_memory_map                9  /* struct xen_memory_map */
#define XENMEM_machine_memory_map       10  /* struct xen_memory_map (dom0) */
#define XENMEM_exchange                 11  /* struct xen_memory_exchange */
#define XENMEM_machphys_mapping         12  /* struct xen_machphys_mapping */
#define XENMEM_set_memory_map           13  /* struct xen_foreign_memory_map */
#define XENMEM_maximum_gpfn             14  /* domid_t; returns the top gpfn */
#define XENMEM_remove_from_physmap      15  /* struct xen_remove_from_physmap */
#define XENMEM_set_pod_target           16  /* struct xen_pod_target */
#define XENMEM_get_pod_target           17  /* struct xen_pod_target */
#define XENMEM_add_to_physmap_batch     23  /* struct xen_add_to_physmap_batch */
#define XENMEM_machphys_compat_mfn_list 25
#define XENMEM_get_vnumainfo            26  /* struct xen_vnuma_topology_info */
#define XENMEM_acquire_resource         28  /* struct xen_mem_acquire_resource */

/*
 * xen_memory_reservation.mem_flags: bits 0-7 are the highest usable address
 * bit of the returned frames (0 = any); bits 8-15 a NUMA node + 1.
 */
#define XENMEMF_address_bits(x)     (x)
#define XENMEMF_get_address_bits(x) ((x) & 0xffu)
#define XENMEMF_node(x)             (((x) + 1) << 8)
#define XENMEMF_get_node(x)         ((((x) >> 8) - 1) & 0xffu)
#define XENMEMF_populate_on_demand  (1 << 16)
#define XENMEMF_exact_node_request  (1 << 17)
#define XENMEMF_exact_node(n)       (XENMEMF_node(n) | XENMEMF_exact_node_request)
#define XENMEMF_vnode               (1 << 18)

struct xen_memory_reservation {
    /*
     * IN: frames to release (decrease) or pfns to fill (populate);
     * OUT: the MFNs allocated (increase).  May be NULL for increase.
     */
    XEN_GUEST_HANDLE(xen_pfn_t) extent_start;
    xen_ulong_t nr_extents;     /* IN: number of extents */
    uint32_t extent_order;      /* IN: each extent is 2^order pages */
    uint32_t mem_flags;         /* IN: XENMEMF_* */
    domid_t  domid;             /* IN */
    uint8_t  _pad[6];           /* Xen: implicit padding */
};
typedef struct xen_memory_reservation xen_memory_reservation_t;
DEFINE_XEN_GUEST_HANDLE(xen_memory_reservation_t);
_Static_assert(sizeof(struct xen_memory_reservation) == 32, "xen_memory_reservation");

/* Give back `in` and receive `out` (same total size) atomically. */
struct xen_memory_exchange {
    struct xen_memory_reservation in;   /* IN */
    struct xen_memory_reservation out;  /* IN; OUT: extent_start filled */
    xen_ulong_t nr_exchanged;           /* OUT: input extents done (resumable) */
};
typedef struct xen_memory_exchange xen_memory_exchange_t;
DEFINE_XEN_GUEST_HANDLE(xen_memory_exchange_t);
_Static_assert(sizeof(struct xen_memory_exchange) == 72, "xen_memory_exchange");

struct xen_memory_domain {
    domid_t domid;              /* IN */
};
_Static_assert(sizeof(struct xen_memory_domain) == 2, "xen_memory_domain");

/* MFNs of the frames holding the M2P table, in 2 MiB units. */
struct xen_machphys_mfn_list {
    uint32_t max_extents;       /* IN */
    uint8_t  _pad1[4];          /* Xen: implicit padding */
    XEN_GUEST_HANDLE(xen_pfn_t) extent_start; /* OUT */
    uint32_t nr_extents;        /* OUT */
    uint8_t  _pad2[4];          /* Xen: implicit padding */
};
typedef struct xen_machphys_mfn_list xen_machphys_mfn_list_t;
DEFINE_XEN_GUEST_HANDLE(xen_machphys_mfn_list_t);
_Static_assert(sizeof(struct xen_machphys_mfn_list) == 24, "xen_machphys_mfn_list");

/* Where the read-only M2P table is mapped in the guest. */
struct xen_machphys_mapping {
    xen_ulong_t v_start, v_end; /* OUT: VA range */
    xen_ulong_t max_mfn;        /* OUT: highest valid index */
};
typedef struct xen_machphys_mapping xen_machphys_mapping_t;
DEFINE_XEN_GUEST_HANDLE(xen_machphys_mapping_t);
_Static_assert(sizeof(struct xen_machphys_mapping) == 24, "xen_machphys_mapping");

/* xen_add_to_physmap.space */
#define XENMAPSPACE_shared_info  0
#define XENMAPSPACE_grant_table  1
#define XENMAPSPACE_gmfn         2
#define XENMAPSPACE_gmfn_range   3
#define XENMAPSPACE_gmfn_foreign 4
#define XENMAPSPACE_dev_mmio     5
#define XENMAPIDX_grant_table_status 0x80000000

struct xen_add_to_physmap {
    domid_t  domid;             /* IN */
    uint16_t size;              /* IN: pages, for XENMAPSPACE_gmfn_range */
    uint32_t space;             /* IN: XENMAPSPACE_* */
    xen_ulong_t idx;            /* IN: index within the space */
    xen_pfn_t gpfn;             /* IN: where to put it */
};
typedef struct xen_add_to_physmap xen_add_to_physmap_t;
DEFINE_XEN_GUEST_HANDLE(xen_add_to_physmap_t);
_Static_assert(sizeof(struct xen_add_to_physmap) == 24, "xen_add_to_physmap");

struct xen_add_to_physmap_batch {
    domid_t  domid;             /* IN */
    uint16_t space;             /* IN: XENMAPSPACE_* */
    uint16_t size;              /* IN: entries in each list */
    union xen_add_to_physmap_batch_extra {
        domid_t  foreign_domid; /* IN: XENMAPSPACE_gmfn_foreign */
        uint16_t res0;          /* IN: 0 for other spaces */
    } u;
    XEN_GUEST_HANDLE(xen_ulong_t) idxs;  /* IN */
    XEN_GUEST_HANDLE(xen_pfn_t) gpfns;   /* IN */
    XEN_GUEST_HANDLE(int) errs;          /* OUT: per entry */
};
typedef struct xen_add_to_physmap_batch xen_add_to_physmap_batch_t;
DEFINE_XEN_GUEST_HANDLE(xen_add_to_physmap_batch_t);
_Static_assert(sizeof(struct xen_add_to_physmap_batch) == 32, "xen_add_to_physmap_batch");

struct xen_remove_from_physmap {
    domid_t  domid;             /* IN */
    uint8_t  _pad[6];           /* Xen: implicit padding */
    xen_pfn_t gpfn;             /* IN */
};
typedef struct xen_remove_from_physmap xen_remove_from_physmap_t;
DEFINE_XEN_GUEST_HANDLE(xen_remove_from_physmap_t);
_Static_assert(sizeof(struct xen_remove_from_physmap) == 16, "xen_remove_from_physmap");

/* The caller's (or the machine's) E820 map, as struct mica_e820entry[]. */
struct xen_memory_map {
    uint32_t nr_entries;        /* IN: buffer capacity; OUT: entries written */
    uint8_t  _pad[4];           /* Xen: implicit padding */
    XEN_GUEST_HANDLE(void) buffer; /* OUT */
};
typedef struct xen_memory_map xen_memory_map_t;
DEFINE_XEN_GUEST_HANDLE(xen_memory_map_t);
_Static_assert(sizeof(struct xen_memory_map) == 16, "xen_memory_map");

struct xen_foreign_memory_map {
    domid_t  domid;             /* IN */
    uint8_t  _pad[6];           /* Xen: implicit padding */
    struct xen_memory_map map;  /* IN */
};
typedef struct xen_foreign_memory_map xen_foreign_memory_map_t;
DEFINE_XEN_GUEST_HANDLE(xen_foreign_memory_map_t);
_Static_assert(sizeof(struct xen_foreign_memory_map) == 24, "xen_foreign_memory_map");

/*
 * One E820 entry as XENMEM_memory_map writes it.  Xen's public headers have
 * no type for it (guests use their own BIOS-style struct), hence the Mica
 * name; the packed 20-byte layout is the firmware one Linux reads.
 */
struct mica_e820entry {
    uint64_t addr;              /* OUT: start, bytes */
    uint64_t size;              /* OUT: bytes */
    uint32_t type;              /* OUT: MICA_E820_* */
} __attribute__((packed));
_Static_assert(sizeof(struct mica_e820entry) == 20, "mica_e820entry");

#define MICA_E820_RAM       1
#define MICA_E820_RESERVED  2
#define MICA_E820_ACPI      3
#define MICA_E820_NVS       4
#define MICA_E820_UNUSABLE  5

struct xen_pod_target {
    uint64_t target_pages;      /* IN */
    uint64_t tot_pages;         /* OUT */
    uint64_t pod_cache_pages;   /* OUT */
    uint64_t pod_entries;       /* OUT */
    domid_t  domid;             /* IN */
    uint8_t  _pad[6];           /* Xen: implicit padding */
};
typedef struct xen_pod_target xen_pod_target_t;
_Static_assert(sizeof(struct xen_pod_target) == 40, "xen_pod_target");

/* Map a hypervisor-owned resource (e.g. a domain's grant frames). */
struct xen_mem_acquire_resource {
    domid_t  domid;             /* IN */
    uint16_t type;              /* IN: XENMEM_resource_* */
    uint32_t id;                /* IN: type-specific id */
    uint32_t nr_frames;         /* IN/OUT */
    uint32_t pad;               /* IN: 0 */
    uint64_t frame;             /* IN: first frame within the resource */
    XEN_GUEST_HANDLE(xen_pfn_t) frame_list; /* IN/OUT */
};
typedef struct xen_mem_acquire_resource xen_mem_acquire_resource_t;
DEFINE_XEN_GUEST_HANDLE(xen_mem_acquire_resource_t);
_Static_assert(sizeof(struct xen_mem_acquire_resource) == 32, "xen_mem_acquire_resource");

#define XENMEM_resource_ioreq_server            0
#define XENMEM_resource_grant_table             1
#define XENMEM_resource_vmtrace_buf             2
#define XENMEM_resource_grant_table_id_shared   0
#define XENMEM_resource_grant_table_id_status   1

struct xen_vmemrange {
    uint64_t start, end;
    uint32_t flags;
    uint32_t nid;
};
typedef struct xen_vmemrange xen_vmemrange_t;
DEFINE_XEN_GUEST_HANDLE(xen_vmemrange_t);
_Static_assert(sizeof(struct xen_vmemrange) == 24, "xen_vmemrange");

/* Virtual NUMA layout (Mica reports none). */
struct xen_vnuma_topology_info {
    domid_t  domid;             /* IN */
    uint16_t pad;
    uint32_t nr_vnodes;         /* IN/OUT */
    uint32_t nr_vcpus;          /* IN/OUT */
    uint32_t nr_vmemranges;     /* IN/OUT */
    union {
        XEN_GUEST_HANDLE(uint) h;
        uint64_t pad;
    } vdistance;                /* OUT */
    union {
        XEN_GUEST_HANDLE(uint) h;
        uint64_t pad;
    } vcpu_to_vnode;            /* OUT */
    union {
        XEN_GUEST_HANDLE(xen_vmemrange_t) h;
        uint64_t pad;
    } vmemrange;                /* OUT */
};
typedef struct xen_vnuma_topology_info xen_vnuma_topology_info_t;
DEFINE_XEN_GUEST_HANDLE(xen_vnuma_topology_info_t);
_Static_assert(sizeof(struct xen_vnuma_topology_info) == 40, "xen_vnuma_topology_info");

#endif /* ABI_MEMORY_H */
