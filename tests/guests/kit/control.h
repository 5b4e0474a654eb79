/* SPDX-License-Identifier: MIT */
/*
 * Mica's control hypercall (56, abi/mica/control.h) from a kit kernel: one
 * op struct per call, interface_version filled in, thin wrappers for the
 * ops a builder makes most.  Every wrapper returns the hypercall's result
 * (0 or -XEN_E*); OUT fields come back through the pointers.
 */
#ifndef KIT_CONTROL_H
#define KIT_CONTROL_H

#include <abi/mica/control.h>
#include "hypercall.h"
#include "kit.h"

static inline long HYPERVISOR_mica_control(struct mica_ctl_op *op)
{
    return _hypercall1(__HYPERVISOR_mica_control, KIT_UL(op));
}

/* A zeroed op for cmd on domain dom, at the current interface version. */
static inline struct mica_ctl_op kit_ctl_op(uint32_t cmd, domid_t dom)
{
    return (struct mica_ctl_op){ .cmd = cmd, .interface_version = MICA_CTL_INTERFACE_VERSION,
                                 .domain = dom };
}

/* destroydomain, pausedomain, unpausedomain: no payload. */
static inline long kit_ctl_simple(uint32_t cmd, domid_t dom)
{
    struct mica_ctl_op op = kit_ctl_op(cmd, dom);

    return HYPERVISOR_mica_control(&op);
}

/* The first domain with id >= dom (see getdomaininfo): *info, whose
 * `domain` says which one it is. */
static inline long kit_ctl_domaininfo(domid_t dom, struct mica_ctl_domaininfo *info)
{
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_getdomaininfo, dom);
    long rc = HYPERVISOR_mica_control(&op);

    *info = op.u.getdomaininfo;
    return rc;
}

static inline long kit_ctl_physinfo(struct mica_ctl_physinfo *pi)
{
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_physinfo, DOMID_INVALID);
    long rc = HYPERVISOR_mica_control(&op);

    *pi = op.u.physinfo;
    return rc;
}

/* setvcpucontext / getvcpucontext of vCPU vcpu. */
static inline long kit_ctl_vcpucontext(uint32_t cmd, domid_t dom, uint32_t vcpu,
                                       struct vcpu_guest_context *ctx)
{
    struct mica_ctl_op op = kit_ctl_op(cmd, dom);

    op.u.vcpucontext.vcpu = vcpu;
    set_xen_guest_handle(op.u.vcpucontext.ctxt, ctx);
    return HYPERVISOR_mica_control(&op);
}

/* populate_physmap of [first_pfn, first_pfn + nr) from nr_done 0, the
 * MFNs into mfns[]; *done gets nr_done (short at max_pages). */
static inline long kit_ctl_populate(domid_t dom, uint64_t first_pfn, uint64_t nr,
                                    uint64_t *mfns, uint64_t *done)
{
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_populate_physmap, dom);

    op.u.populate_physmap.first_pfn = first_pfn;
    op.u.populate_physmap.nr_pages = nr;
    set_xen_guest_handle(op.u.populate_physmap.mfns, mfns);
    long rc = HYPERVISOR_mica_control(&op);
    *done = op.u.populate_physmap.nr_done;
    return rc;
}

#endif /* KIT_CONTROL_H */
