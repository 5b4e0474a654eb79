/* SPDX-License-Identifier: MIT */
/*
 * xen_version (hypercall 17, xen_version(cmd, arg)).  Linux asks for the
 * feature bitmap first thing at boot and panics unless the two features it
 * requires are present (see abi/features.h).  XENVER_version with a NULL
 * argument doubles as Linux's "re-check pending events" hypercall.
 */
#ifndef ABI_VERSION_H
#define ABI_VERSION_H

#include <abi/xen.h>
#include <abi/features.h>

#define XENVER_version            0   /* returns (major << 16) | minor */
#define XENVER_extraversion       1   /* xen_extraversion_t */
#define XENVER_compile_info       2   /* struct xen_compile_info */
#define XENVER_capabilities       3   /* xen_capabilities_info_t */
#define XENVER_changeset          4   /* xen_changeset_info_t */
#define XENVER_platform_parameters 5  /* struct xen_platform_parameters */
#define XENVER_get_features       6   /* struct xen_feature_info */
#define XENVER_pagesize           7   /* returns the page size */
#define XENVER_guest_handle       8   /* xen_domain_handle_t */
#define XENVER_commandline        9   /* xen_commandline_t (privileged) */
#define XENVER_build_id          10   /* struct xen_build_id */

typedef char xen_extraversion_t[16];
#define XEN_EXTRAVERSION_LEN (sizeof(xen_extraversion_t))

struct xen_compile_info {
    char compiler[64];          /* OUT */
    char compile_by[16];        /* OUT */
    char compile_domain[32];    /* OUT */
    char compile_date[32];      /* OUT */
};
typedef struct xen_compile_info xen_compile_info_t;
_Static_assert(sizeof(struct xen_compile_info) == 144, "xen_compile_info");

typedef char xen_capabilities_info_t[1024];
#define XEN_CAPABILITIES_INFO_LEN (sizeof(xen_capabilities_info_t))

typedef char xen_changeset_info_t[64];
#define XEN_CHANGESET_INFO_LEN (sizeof(xen_changeset_info_t))

struct xen_platform_parameters {
    xen_ulong_t virt_start;     /* OUT: start of the hypervisor hole */
};
typedef struct xen_platform_parameters xen_platform_parameters_t;
_Static_assert(sizeof(struct xen_platform_parameters) == 8, "xen_platform_parameters");

/* One 32-bit word of the XENFEAT_* bitmap. */
struct xen_feature_info {
    uint32_t submap_idx;        /* IN: word index (< XENFEAT_NR_SUBMAPS) */
    uint32_t submap;            /* OUT */
};
typedef struct xen_feature_info xen_feature_info_t;
_Static_assert(sizeof(struct xen_feature_info) == 8, "xen_feature_info");

typedef char xen_commandline_t[1024];

struct xen_build_id {
    uint32_t len;               /* IN: buffer size; OUT: id length */
    unsigned char buf[];        /* OUT */
};
typedef struct xen_build_id xen_build_id_t;
_Static_assert(sizeof(struct xen_build_id) == 4, "xen_build_id header");

#endif /* ABI_VERSION_H */
