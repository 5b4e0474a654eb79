/* SPDX-License-Identifier: MIT */
/*
 * Creating a vCPU: its structure, trap table and hypervisor stack, its
 * place in its domain, the event-channel code and the scheduler.  It
 * starts down; dom0_build or VCPUOP_initialise give it a context and
 * vcpu_up() lets it run.
 */
#include <mica/domain.h>
#include <mica/event.h>
#include <mica/heap.h>
#include <mica/mm.h>
#include <mica/sched.h>
#include <mica/traps.h>

struct vcpu *vcpu_create(struct domain *d, unsigned int id)
{
    struct vcpu *v;

    if (id >= MAX_VCPUS || d->vcpu[id] || !(v = xzalloc_obj(struct vcpu)))
        return NULL;
    v->trap_ctxt = xzalloc(X86_NR_VECTORS * sizeof(struct trap_info));
    if (!v->trap_ctxt || vcpu_arch_init(v) < 0) {
        xfree(v->trap_ctxt);
        xfree(v);
        return NULL;
    }
    v->domain = d;
    v->vcpu_id = id;
    v->guest_table = v->guest_table_user = INVALID_MFN;
    v->vcpu_info_mfn = INVALID_MFN;
    for (unsigned int i = 0; i < LDT_WINDOW_PAGES; i++)
        v->ldt_shadow[i] = INVALID_MFN;
    d->vcpu[id] = v;
    if (id == 0)
        d->vcpu0 = v;
    if (d->evtchn)
        (void)evtchn_vcpu_init(v);
    sched_add_vcpu(v);
    return v;
}

/* Undo vcpu_create for a vCPU that never ran (a domain whose build failed). */
void vcpu_destroy(struct vcpu *v)
{
    struct domain *d = v->domain;

    sched_remove_vcpu(v);
    vcpu_arch_destroy(v);
    d->vcpu[v->vcpu_id] = NULL;
    if (v->vcpu_id == 0)
        d->vcpu0 = NULL;
    xfree(v->trap_ctxt);
    xfree(v);
}
