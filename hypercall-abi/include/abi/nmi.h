/* SPDX-License-Identifier: MIT */
/*
 * NMI reporting (hypercall 28, nmi_op(cmd, arg)) and the reason bits the
 * hypervisor leaves in shared_info.arch.nmi_reason for dom0.
 */
#ifndef ABI_NMI_H
#define ABI_NMI_H

#include <abi/xen.h>

#define _XEN_NMIREASON_io_error 0
#define XEN_NMIREASON_io_error  (1UL << _XEN_NMIREASON_io_error)
#define _XEN_NMIREASON_pci_serr 1
#define XEN_NMIREASON_pci_serr  (1UL << _XEN_NMIREASON_pci_serr)
#define _XEN_NMIREASON_unknown  2
#define XEN_NMIREASON_unknown   (1UL << _XEN_NMIREASON_unknown)

#define XENNMI_register_callback   0
#define XENNMI_unregister_callback 1

struct xennmi_callback {
    uint64_t handler_address;   /* IN */
    uint64_t pad;               /* IN: 0 */
};
typedef struct xennmi_callback xennmi_callback_t;
DEFINE_XEN_GUEST_HANDLE(xennmi_callback_t);
_Static_assert(sizeof(struct xennmi_callback) == 16, "xennmi_callback");

#endif /* ABI_NMI_H */
