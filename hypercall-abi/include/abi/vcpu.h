/* SPDX-License-Identifier: MIT */
/*
 * Per-vCPU operations (hypercall 24, vcpu_op(cmd, vcpuid, arg)): bring-up
 * of secondary vCPUs, the runstate area, one-shot and periodic timers, and
 * moving vcpu_info out of shared_info.  Linux 6.1 treats a failure of
 * register_vcpu_info or register_runstate_memory_area as fatal.
 */
#ifndef ABI_VCPU_H
#define ABI_VCPU_H

#include <abi/xen.h>

#define VCPUOP_initialise                      0  /* struct vcpu_guest_context */
#define VCPUOP_up                              1
#define VCPUOP_down                            2
#define VCPUOP_is_up                           3  /* >0 up, 0 down, <0 absent */
#define VCPUOP_get_runstate_info               4  /* struct vcpu_runstate_info */
#define VCPUOP_register_runstate_memory_area   5
#define VCPUOP_set_periodic_timer              6
#define VCPUOP_stop_periodic_timer             7
#define VCPUOP_set_singleshot_timer            8
#define VCPUOP_stop_singleshot_timer           9
#define VCPUOP_register_vcpu_info             10
#define VCPUOP_send_nmi                       11
#define VCPUOP_get_physid                     12
#define VCPUOP_register_vcpu_time_memory_area 13

/* Time a vCPU has spent in each RUNSTATE_*, in ns. */
struct vcpu_runstate_info {
    int32_t  state;             /* OUT: RUNSTATE_* */
    uint8_t  _pad[4];           /* Xen: implicit padding */
    uint64_t state_entry_time;  /* OUT: XEN_RUNSTATE_UPDATE set mid-update */
    uint64_t time[4];           /* OUT: indexed by RUNSTATE_* */
};
typedef struct vcpu_runstate_info vcpu_runstate_info_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_runstate_info_t);
_Static_assert(sizeof(struct vcpu_runstate_info) == 48, "vcpu_runstate_info");

/* Set in state_entry_time while the hypervisor rewrites the area (only with
 * VMASST_TYPE_runstate_update_flag). */
#define XEN_RUNSTATE_UPDATE (1ULL << 63)

#define RUNSTATE_running   0
#define RUNSTATE_runnable  1
#define RUNSTATE_blocked   2
#define RUNSTATE_offline   3

/* Guest VA at which the hypervisor keeps a vcpu_runstate_info current. */
struct vcpu_register_runstate_memory_area {
    union {
        XEN_GUEST_HANDLE(vcpu_runstate_info_t) h;
        struct vcpu_runstate_info *v;
        uint64_t p;
    } addr;                     /* IN */
};
typedef struct vcpu_register_runstate_memory_area vcpu_register_runstate_memory_area_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_register_runstate_memory_area_t);
_Static_assert(sizeof(struct vcpu_register_runstate_memory_area) == 8,
               "vcpu_register_runstate_memory_area");

struct vcpu_set_periodic_timer {
    uint64_t period_ns;         /* IN */
};
typedef struct vcpu_set_periodic_timer vcpu_set_periodic_timer_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_set_periodic_timer_t);
_Static_assert(sizeof(struct vcpu_set_periodic_timer) == 8, "vcpu_set_periodic_timer");

/* Fire VIRQ_TIMER once system time reaches timeout_abs_ns (even if it
 * already has, unless VCPU_SSHOTTMR_future is set). */
struct vcpu_set_singleshot_timer {
    uint64_t timeout_abs_ns;    /* IN */
    uint32_t flags;             /* IN: VCPU_SSHOTTMR_* */
    uint8_t  _pad[4];           /* Xen: implicit padding */
};
typedef struct vcpu_set_singleshot_timer vcpu_set_singleshot_timer_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_set_singleshot_timer_t);
_Static_assert(sizeof(struct vcpu_set_singleshot_timer) == 16,
               "vcpu_set_singleshot_timer");

#define _VCPU_SSHOTTMR_future (0)
#define VCPU_SSHOTTMR_future  (1U << _VCPU_SSHOTTMR_future) /* -ETIME if past */

/* Move this vCPU's vcpu_info to (mfn, offset) in guest memory. */
struct vcpu_register_vcpu_info {
    uint64_t mfn;               /* IN */
    uint32_t offset;            /* IN: must leave the whole struct in the page */
    uint32_t rsvd;              /* IN: 0 */
};
typedef struct vcpu_register_vcpu_info vcpu_register_vcpu_info_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_register_vcpu_info_t);
_Static_assert(sizeof(struct vcpu_register_vcpu_info) == 16, "vcpu_register_vcpu_info");

struct vcpu_get_physid {
    uint64_t phys_id;           /* OUT: ACPI id << 32 | APIC id */
};
typedef struct vcpu_get_physid vcpu_get_physid_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_get_physid_t);
_Static_assert(sizeof(struct vcpu_get_physid) == 8, "vcpu_get_physid");
#define xen_vcpu_physid_to_x86_apicid(physid) ((uint32_t)(physid))
#define xen_vcpu_physid_to_x86_acpiid(physid) ((uint32_t)((physid) >> 32))

/* A second copy of vcpu_info.time at a guest VA (for the vDSO). */
DEFINE_XEN_GUEST_HANDLE(vcpu_time_info_t);
struct vcpu_register_time_memory_area {
    union {
        XEN_GUEST_HANDLE(vcpu_time_info_t) h;
        struct vcpu_time_info *v;
        uint64_t p;
    } addr;                     /* IN */
};
typedef struct vcpu_register_time_memory_area vcpu_register_time_memory_area_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_register_time_memory_area_t);
_Static_assert(sizeof(struct vcpu_register_time_memory_area) == 8,
               "vcpu_register_time_memory_area");

#endif /* ABI_VCPU_H */
