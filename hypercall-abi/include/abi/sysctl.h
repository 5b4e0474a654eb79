/* SPDX-License-Identifier: MIT */
/*
 * Xen's system control (hypercall 35, sysctl(struct xen_sysctl *)): the
 * interface Xen's own toolstack uses.  Mica's tools use hypercall 56
 * instead (abi/mica/control.h), so Mica implements no sysctl op; what it
 * keeps is Xen's gatekeeping, which guests can observe: the whole
 * structure is read, a wrong interface version is -EACCES, an
 * unprivileged caller -EPERM, and only then is the op looked at.
 */
#ifndef ABI_SYSCTL_H
#define ABI_SYSCTL_H

#include <abi/xen.h>

#define XEN_SYSCTL_INTERFACE_VERSION 0x00000015     /* Xen 4.17 */

struct xen_sysctl {
    uint32_t cmd;                   /* IN: XEN_SYSCTL_* */
    uint32_t interface_version;     /* IN: XEN_SYSCTL_INTERFACE_VERSION */
    union {
        uint8_t pad[128];           /* IN/OUT: the op's arguments */
    } __attribute__((aligned(8))) u;    /* Xen's members are 64-bit aligned */
};
_Static_assert(sizeof(struct xen_sysctl) == 136, "xen_sysctl layout");
_Static_assert(_Alignof(struct xen_sysctl) == 8, "xen_sysctl alignment");

#endif /* ABI_SYSCTL_H */
