/* SPDX-License-Identifier: MIT */
/*
 * Virtual PMU control (hypercall 40, xenpmu_op(cmd, arg)).  Only the
 * operation numbers and the parameter block are here: Linux tries
 * XENPMU_init at boot and carries on when it fails, and Mica offers no
 * virtual PMU, so the per-vCPU PMU data page is deliberately left out.
 */
#ifndef ABI_PMU_H
#define ABI_PMU_H

#include <abi/xen.h>

#define XENPMU_VER_MAJ    0
#define XENPMU_VER_MIN    1

#define XENPMU_mode_get     0
#define XENPMU_mode_set     1
#define XENPMU_feature_get  2
#define XENPMU_feature_set  3
#define XENPMU_init         4
#define XENPMU_finish       5
#define XENPMU_lvtpc_set    6
#define XENPMU_flush        7

struct xen_pmu_params {
    struct {
        uint32_t maj;
        uint32_t min;
    } version;          /* IN/OUT: interface version */
    uint64_t val;       /* IN/OUT: mode, features, or the PMU page gfn */
    uint32_t vcpu;      /* IN */
    uint32_t pad;
};
typedef struct xen_pmu_params xen_pmu_params_t;
DEFINE_XEN_GUEST_HANDLE(xen_pmu_params_t);
_Static_assert(sizeof(struct xen_pmu_params) == 24, "xen_pmu_params");

#define XENPMU_MODE_OFF   0
#define XENPMU_MODE_SELF  (1 << 0)
#define XENPMU_MODE_HV    (1 << 1)
#define XENPMU_MODE_ALL   (1 << 2)

#define XENPMU_FEATURE_INTEL_BTS  (1 << 0)
#define XENPMU_FEATURE_IPC_ONLY   (1 << 1)
#define XENPMU_FEATURE_ARCH_ONLY  (1 << 2)

#endif /* ABI_PMU_H */
