/* SPDX-License-Identifier: MIT */
/*
 * Event channels, 2-level ABI (common/event_channel.c): the per-domain port
 * table behind EVTCHNOP_*, and the calls the rest of the hypervisor uses to
 * raise events (virtual IRQs, ports) and to ask whether a vCPU has one to
 * take.  The invariants are in the essay at the top of event_channel.c.
 */
#ifndef MICA_EVENT_H
#define MICA_EVENT_H

#include <abi/event_channel.h>
#include <mica/domain.h>
#include <mica/types.h>

/* vCPUs a domain's event channels can name (one vcpu_info slot each). */
#define EVTCHN_MAX_VCPUS XEN_LEGACY_MAX_VCPUS

/*
 * Highest port an unprivileged domain may allocate: libxl's default
 * (event_channels = 1023), so at most 1023 ports in use.  A privileged
 * domain gets the whole 2-level space (ports 1-4095): dom0 runs a backend
 * per guest device.
 */
#define EVTCHN_DEFAULT_MAX_PORT 1023U

struct evtchn_domain;

/*
 * Give d its event-channel state (d->evtchn) with port 0 reserved, and
 * register d->vcpu0 if it is set.  Call after is_privileged is final and
 * before the domain can run.  0 or -ENOMEM.
 */
int evtchn_domain_init(struct domain *d);
/*
 * Close every port of d (each interdomain peer goes back to unbound, naming
 * d) and free the state.  Call while d is still registered (domain_by_id
 * finds it), before its shared_info frame goes.  NULL state is fine.
 */
void evtchn_domain_destroy(struct domain *d);
/* Make v (v->vcpu_id < EVTCHN_MAX_VCPUS) a valid target of bind_virq,
 * bind_ipi and bind_vcpu.  0 or -EINVAL. */
int evtchn_vcpu_init(struct vcpu *v);
/* A port of d whose other end is the hypervisor (console rings). */
long evtchn_alloc_unbound_port(struct domain *d, domid_t remote);

/*
 * Raise port of d on its notify vCPU (the 2-level protocol, see the
 * essay).  Ports that are not bound are ignored.  Returns true when the
 * vCPU's upcall_pending went 0 -> 1: it must be kicked (unblocked, or its
 * pCPU interrupted) so that its return-to-guest check runs.
 */
bool evtchn_set_pending(struct domain *d, unsigned int port);
/*
 * Raise VIRQ virq: a per-vCPU VIRQ on v, a global one on v's domain (to
 * the port's notify vCPU).  Nothing happens when it is not bound.  The
 * result is evtchn_set_pending()'s.
 */
bool evtchn_send_virq(struct vcpu *v, unsigned int virq);
/* Whether the return-to-guest path must bounce v to its event callback:
 * vcpu_info's evtchn_upcall_pending set and evtchn_upcall_mask clear. */
bool evtchn_upcall_pending(struct vcpu *v);

#endif /* MICA_EVENT_H */
