/* SPDX-License-Identifier: MIT */
/*
 * Guest entry points (hypercall 30, callback_op(cmd, arg)): where the
 * hypervisor sends event upcalls, failed segment reloads, and syscalls made
 * from guest user mode.  Linux registers event and failsafe first and dies
 * if either fails.
 */
#ifndef ABI_CALLBACK_H
#define ABI_CALLBACK_H

#include <abi/xen.h>

#define CALLBACKTYPE_event                0
#define CALLBACKTYPE_failsafe             1
#define CALLBACKTYPE_syscall              2  /* 64-bit syscall from user mode */
#define CALLBACKTYPE_sysenter_deprecated  3
#define CALLBACKTYPE_nmi                  4
#define CALLBACKTYPE_sysenter             5  /* 32-bit compat sysenter */
#define CALLBACKTYPE_syscall32            7  /* 32-bit compat syscall */

/* Mask events (set upcall_mask) on entry to the callback. */
#define _CALLBACKF_mask_events 0
#define CALLBACKF_mask_events  (1U << _CALLBACKF_mask_events)

#define CALLBACKOP_register   0
#define CALLBACKOP_unregister 1

struct callback_register {
    uint16_t type;              /* IN: CALLBACKTYPE_* */
    uint16_t flags;             /* IN: CALLBACKF_* */
    uint8_t  _pad[4];           /* Xen: implicit padding */
    xen_callback_t address;     /* IN: guest code address */
};
typedef struct callback_register callback_register_t;
DEFINE_XEN_GUEST_HANDLE(callback_register_t);
_Static_assert(sizeof(struct callback_register) == 16, "callback_register");

struct callback_unregister {
    uint16_t type;              /* IN: CALLBACKTYPE_* */
    uint16_t _unused;
};
typedef struct callback_unregister callback_unregister_t;
DEFINE_XEN_GUEST_HANDLE(callback_unregister_t);
_Static_assert(sizeof(struct callback_unregister) == 4, "callback_unregister");

#endif /* ABI_CALLBACK_H */
