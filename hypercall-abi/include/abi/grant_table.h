/* SPDX-License-Identifier: MIT */
/*
 * Grant tables (hypercall 20, grant_table_op(cmd, uop[], count)).  A domain
 * lets another domain map or copy one of its pages by filling a v1 entry in
 * its own grant table; the grantee then names the page by (domain, grant
 * reference).  Front ends only write entries; back ends use the map, unmap
 * and copy operations.  Mica implements v1 entries only; the v2 layouts are
 * listed because GNTTABOP_set_version/get_version mention them.
 */
#ifndef ABI_GRANT_TABLE_H
#define ABI_GRANT_TABLE_H

#include <abi/xen.h>

typedef uint32_t grant_ref_t;
typedef uint32_t grant_handle_t;

/*
 * v1 entry, written by the granting domain.  Order matters: frame and domid
 * first, a write barrier, then flags; revoke by cmpxchg of flags to 0, which
 * fails while the hypervisor has GTF_reading/GTF_writing set.
 */
struct grant_entry_v1 {
    uint16_t flags;     /* IN: GTF_*; the hypervisor sets reading/writing */
    domid_t  domid;     /* IN: domain allowed to use the grant */
    uint32_t frame;     /* IN: granted frame (or transfer destination) */
};
typedef struct grant_entry_v1 grant_entry_v1_t;
_Static_assert(sizeof(struct grant_entry_v1) == 8, "grant_entry_v1");

/* Entries reserved for the toolstack. */
#define GNTTAB_NR_RESERVED_ENTRIES 8
#define GNTTAB_RESERVED_CONSOLE    0
#define GNTTAB_RESERVED_XENSTORE   1

/* grant_entry_v1.flags: type in bits 0-1, then status/attribute bits. */
#define GTF_invalid             (0U << 0)
#define GTF_permit_access       (1U << 0)
#define GTF_accept_transfer     (2U << 0)
#define GTF_transitive          (3U << 0)
#define GTF_type_mask           (3U << 0)
#define _GTF_readonly           (2)
#define GTF_readonly            (1U << _GTF_readonly)
#define _GTF_reading            (3)
#define GTF_reading             (1U << _GTF_reading)
#define _GTF_writing            (4)
#define GTF_writing             (1U << _GTF_writing)
#define _GTF_PWT                (5)
#define GTF_PWT                 (1U << _GTF_PWT)
#define _GTF_PCD                (6)
#define GTF_PCD                 (1U << _GTF_PCD)
#define _GTF_PAT                (7)
#define GTF_PAT                 (1U << _GTF_PAT)
#define _GTF_sub_page           (8)
#define GTF_sub_page            (1U << _GTF_sub_page)
/* For GTF_accept_transfer entries. */
#define _GTF_transfer_committed (2)
#define GTF_transfer_committed  (1U << _GTF_transfer_committed)
#define _GTF_transfer_completed (3)
#define GTF_transfer_completed  (1U << _GTF_transfer_completed)

/* v2 layouts (not implemented by Mica). */
struct grant_entry_header {
    uint16_t flags;
    domid_t  domid;
};
typedef struct grant_entry_header grant_entry_header_t;
_Static_assert(sizeof(struct grant_entry_header) == 4, "grant_entry_header");

union grant_entry_v2 {
    grant_entry_header_t hdr;
    struct {
        grant_entry_header_t hdr;
        uint32_t pad0;
        uint64_t frame;
    } full_page;
    struct {
        grant_entry_header_t hdr;
        uint16_t page_off;
        uint16_t length;
        uint64_t frame;
    } sub_page;
    struct {
        grant_entry_header_t hdr;
        domid_t  trans_domid;
        uint16_t pad0;
        grant_ref_t gref;
    } transitive;
    uint32_t __spacer[4];
};
typedef union grant_entry_v2 grant_entry_v2_t;
_Static_assert(sizeof(union grant_entry_v2) == 16, "grant_entry_v2");

typedef uint16_t grant_status_t;

#define GNTTABOP_map_grant_ref        0
#define GNTTABOP_unmap_grant_ref      1
#define GNTTABOP_setup_table          2
#define GNTTABOP_dump_table           3
#define GNTTABOP_transfer             4
#define GNTTABOP_copy                 5
#define GNTTABOP_query_size           6
#define GNTTABOP_unmap_and_replace    7
#define GNTTABOP_set_version          8
#define GNTTABOP_get_status_frames    9
#define GNTTABOP_get_version         10
#define GNTTABOP_swap_grant_ref      11
#define GNTTABOP_cache_flush         12

/* Map a granted frame at host_addr (a VA, or a PTE's machine address with
 * GNTMAP_contains_pte). */
struct gnttab_map_grant_ref {
    uint64_t host_addr;         /* IN */
    uint32_t flags;             /* IN: GNTMAP_* */
    grant_ref_t ref;            /* IN */
    domid_t  dom;               /* IN: granting domain */
    int16_t  status;            /* OUT: GNTST_* */
    grant_handle_t handle;      /* OUT: for unmap */
    uint64_t dev_bus_addr;      /* OUT: bus address for device access */
};
typedef struct gnttab_map_grant_ref gnttab_map_grant_ref_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_map_grant_ref_t);
_Static_assert(sizeof(struct gnttab_map_grant_ref) == 32, "gnttab_map_grant_ref");

struct gnttab_unmap_grant_ref {
    uint64_t host_addr;         /* IN */
    uint64_t dev_bus_addr;      /* IN */
    grant_handle_t handle;      /* IN */
    int16_t  status;            /* OUT: GNTST_* */
    uint8_t  _pad[2];           /* Xen: implicit padding */
};
typedef struct gnttab_unmap_grant_ref gnttab_unmap_grant_ref_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_unmap_grant_ref_t);
_Static_assert(sizeof(struct gnttab_unmap_grant_ref) == 24, "gnttab_unmap_grant_ref");

/* Size the caller's grant table to nr_frames and return its frames. */
struct gnttab_setup_table {
    domid_t  dom;               /* IN */
    uint8_t  _pad1[2];          /* Xen: implicit padding */
    uint32_t nr_frames;         /* IN */
    int16_t  status;            /* OUT: GNTST_* */
    uint8_t  _pad2[6];          /* Xen: implicit padding */
    XEN_GUEST_HANDLE(xen_pfn_t) frame_list; /* OUT: nr_frames MFNs */
};
typedef struct gnttab_setup_table gnttab_setup_table_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_setup_table_t);
_Static_assert(sizeof(struct gnttab_setup_table) == 24, "gnttab_setup_table");

struct gnttab_dump_table {
    domid_t  dom;               /* IN */
    int16_t  status;            /* OUT */
};
typedef struct gnttab_dump_table gnttab_dump_table_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_dump_table_t);
_Static_assert(sizeof(struct gnttab_dump_table) == 4, "gnttab_dump_table");

struct gnttab_transfer {
    xen_pfn_t mfn;              /* IN: frame given away */
    domid_t  domid;             /* IN */
    uint8_t  _pad1[2];          /* Xen: implicit padding */
    grant_ref_t ref;            /* IN */
    int16_t  status;            /* OUT */
    uint8_t  _pad2[6];          /* Xen: implicit padding */
};
typedef struct gnttab_transfer gnttab_transfer_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_transfer_t);
_Static_assert(sizeof(struct gnttab_transfer) == 24, "gnttab_transfer");

/* gnttab_copy.flags: which side is named by a grant reference. */
#define _GNTCOPY_source_gref (0)
#define GNTCOPY_source_gref  (1 << _GNTCOPY_source_gref)
#define _GNTCOPY_dest_gref   (1)
#define GNTCOPY_dest_gref    (1 << _GNTCOPY_dest_gref)

/* Copy len bytes; neither side may cross a page boundary. */
struct gnttab_copy {
    struct gnttab_copy_ptr {
        union {
            grant_ref_t ref;    /* with GNTCOPY_*_gref */
            xen_pfn_t   gmfn;   /* otherwise: caller's own frame */
        } u;
        domid_t  domid;
        uint16_t offset;
        uint8_t  _pad[4];       /* Xen: implicit padding */
    } source, dest;             /* IN */
    uint16_t len;               /* IN */
    uint16_t flags;             /* IN: GNTCOPY_* */
    int16_t  status;            /* OUT: GNTST_* */
    uint8_t  _pad[2];           /* Xen: implicit padding */
};
typedef struct gnttab_copy gnttab_copy_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_copy_t);
_Static_assert(sizeof(struct gnttab_copy_ptr) == 16, "gnttab_copy_ptr");
_Static_assert(sizeof(struct gnttab_copy) == 40, "gnttab_copy");

struct gnttab_query_size {
    domid_t  dom;               /* IN */
    uint8_t  _pad1[2];          /* Xen: implicit padding */
    uint32_t nr_frames;         /* OUT */
    uint32_t max_nr_frames;     /* OUT */
    int16_t  status;            /* OUT */
    uint8_t  _pad2[2];          /* Xen: implicit padding */
};
typedef struct gnttab_query_size gnttab_query_size_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_query_size_t);
_Static_assert(sizeof(struct gnttab_query_size) == 16, "gnttab_query_size");

struct gnttab_unmap_and_replace {
    uint64_t host_addr;         /* IN */
    uint64_t new_addr;          /* IN */
    grant_handle_t handle;      /* IN */
    int16_t  status;            /* OUT */
    uint8_t  _pad[2];           /* Xen: implicit padding */
};
typedef struct gnttab_unmap_and_replace gnttab_unmap_and_replace_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_unmap_and_replace_t);
_Static_assert(sizeof(struct gnttab_unmap_and_replace) == 24, "gnttab_unmap_and_replace");

struct gnttab_set_version {
    uint32_t version;           /* IN/OUT */
};
typedef struct gnttab_set_version gnttab_set_version_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_set_version_t);
_Static_assert(sizeof(struct gnttab_set_version) == 4, "gnttab_set_version");

struct gnttab_get_status_frames {
    uint32_t nr_frames;         /* IN */
    domid_t  dom;               /* IN */
    int16_t  status;            /* OUT */
    XEN_GUEST_HANDLE(uint64_t) frame_list; /* OUT */
};
typedef struct gnttab_get_status_frames gnttab_get_status_frames_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_get_status_frames_t);
_Static_assert(sizeof(struct gnttab_get_status_frames) == 16, "gnttab_get_status_frames");

struct gnttab_get_version {
    domid_t  dom;               /* IN */
    uint16_t pad;
    uint32_t version;           /* OUT */
};
typedef struct gnttab_get_version gnttab_get_version_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_get_version_t);
_Static_assert(sizeof(struct gnttab_get_version) == 8, "gnttab_get_version");

struct gnttab_swap_grant_ref {
    grant_ref_t ref_a;          /* IN */
    grant_ref_t ref_b;          /* IN */
    int16_t  status;            /* OUT */
    uint8_t  _pad[2];           /* Xen: implicit padding */
};
typedef struct gnttab_swap_grant_ref gnttab_swap_grant_ref_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_swap_grant_ref_t);
_Static_assert(sizeof(struct gnttab_swap_grant_ref) == 12, "gnttab_swap_grant_ref");

struct gnttab_cache_flush {
    union {
        uint64_t dev_bus_addr;
        grant_ref_t ref;
    } a;                        /* IN */
    uint16_t offset;            /* IN */
    uint16_t length;            /* IN */
#define GNTTAB_CACHE_CLEAN       (1u << 0)
#define GNTTAB_CACHE_INVAL       (1u << 1)
#define GNTTAB_CACHE_SOURCE_GREF (1u << 31)
    uint32_t op;                /* IN: GNTTAB_CACHE_* */
};
typedef struct gnttab_cache_flush gnttab_cache_flush_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_cache_flush_t);
_Static_assert(sizeof(struct gnttab_cache_flush) == 16, "gnttab_cache_flush");

/* gnttab_map_grant_ref.flags */
#define _GNTMAP_device_map      (0)
#define GNTMAP_device_map       (1 << _GNTMAP_device_map)
#define _GNTMAP_host_map        (1)
#define GNTMAP_host_map         (1 << _GNTMAP_host_map)
#define _GNTMAP_readonly        (2)
#define GNTMAP_readonly         (1 << _GNTMAP_readonly)
#define _GNTMAP_application_map (3)
#define GNTMAP_application_map  (1 << _GNTMAP_application_map)
#define _GNTMAP_contains_pte    (4)
#define GNTMAP_contains_pte     (1 << _GNTMAP_contains_pte)
/* Bits 16-31 of flags are copied into the PTE's available bits. */
#define _GNTMAP_guest_avail0    (16)
#define GNTMAP_guest_avail_mask ((uint32_t)~0 << _GNTMAP_guest_avail0)

/* Per-operation status values (int16_t status fields). */
#define GNTST_okay              (0)
#define GNTST_general_error     (-1)
#define GNTST_bad_domain        (-2)
#define GNTST_bad_gntref        (-3)
#define GNTST_bad_handle        (-4)
#define GNTST_bad_virt_addr     (-5)
#define GNTST_bad_dev_addr      (-6)
#define GNTST_no_device_space   (-7)
#define GNTST_permission_denied (-8)
#define GNTST_bad_page          (-9)
#define GNTST_bad_copy_arg      (-10)
#define GNTST_address_too_big   (-11)
#define GNTST_eagain            (-12)
#define GNTST_no_space          (-13)

#endif /* ABI_GRANT_TABLE_H */
