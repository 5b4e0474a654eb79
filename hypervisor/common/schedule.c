/* SPDX-License-Identifier: MIT */
/*
 * Timers, blocking and the vCPU operations of a PV guest.  A vCPU has one
 * one-shot deadline (set_timer_op or VCPUOP_set_singleshot_timer); the
 * scheduler's timer interrupt raises VIRQ_TIMER when it passes (common/
 * scheduler.c).  Blocking gives the CPU to the scheduler until an event is
 * pending for the vCPU.
 */
#include <abi/event_channel.h>
#include <abi/sched.h>
#include <abi/vcpu.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/sched.h>
#include <mica/time.h>

/* An event is pending for v, masked or not (what ends a block). */
static bool evtchn_upcall_pending_raw(struct vcpu *v)
{
    return __atomic_load_n(&vcpu_info_of(v)->evtchn_upcall_pending, __ATOMIC_ACQUIRE);
}

static void set_deadline(struct vcpu *v, uint64_t deadline)
{
    v->timer_deadline = deadline;
    sched_timer_changed();
}

/* Linux's idle is "sti; hlt": events are unmasked, then we wait. */
void sched_block(struct vcpu *v)
{
    vcpu_info_of(v)->evtchn_upcall_mask = 0;
    while (!evtchn_upcall_pending_raw(v))
        vcpu_block(v, 0);
}

long do_set_timer_op(uint64_t timeout)
{
    set_deadline(current, timeout);
    return 0;
}

/* SCHEDOP_poll: wait until one of the ports is pending (masked or not) or
 * the timeout passes.  A polling vCPU is woken by any port of its domain
 * becoming pending and looks again. */
static long sched_poll(struct vcpu *v, uint64_t arg)
{
    struct sched_poll p;
    evtchn_port_t ports[128];
    const struct shared_info *s = mm_map_frame(v->domain->shared_info_mfn);

    if (copy_from_guest(&p, arg, sizeof(p)))
        return -EFAULT;
    if (p.nr_ports > ARRAY_SIZE(ports))
        return -EINVAL;
    if (copy_from_guest(ports, (uint64_t)(uintptr_t)p.ports.p, p.nr_ports * sizeof(ports[0])))
        return -EFAULT;
    for (unsigned int i = 0; i < p.nr_ports; i++)
        if (ports[i] >= EVTCHN_2L_NR_CHANNELS)
            return -EINVAL;
    for (;;) {
        for (unsigned int i = 0; i < p.nr_ports; i++)
            if (__atomic_load_n(&s->evtchn_pending[ports[i] / 64], __ATOMIC_ACQUIRE) &
                (1UL << (ports[i] % 64)))
                return 0;
        if (p.timeout && system_time_ns() >= p.timeout)
            return 0;
        v->polling = true;
        vcpu_block(v, p.timeout);
        v->polling = false;
    }
}

long do_sched_op(uint64_t cmd, uint64_t arg)
{
    struct sched_shutdown sd;

    switch (cmd) {
    case SCHEDOP_yield:
        sched_yield();
        return 0;
    case SCHEDOP_shutdown_code:
    case SCHEDOP_shutdown:
        if (copy_from_guest(&sd, arg, sizeof(sd)))
            return -EFAULT;
        if (sd.reason > SHUTDOWN_MAX)
            return -EINVAL;
        if (cmd == SCHEDOP_shutdown_code) {
            current->domain->shutdown_code = sd.reason;    /* reported if it dies */
            return 0;
        }
        console_flush(current->domain);
        domain_shutdown(current->domain, sd.reason);
    case SCHEDOP_block:
        sched_block(current);
        return 0;
    case SCHEDOP_poll:
        return sched_poll(current, arg);
    default:
        return -ENOSYS;
    }
}

static long register_vcpu_info(struct vcpu *v, uint64_t arg)
{
    struct vcpu_register_vcpu_info r;

    if (copy_from_guest(&r, arg, sizeof(r)))
        return -EFAULT;
    if (r.offset > PAGE_SIZE - sizeof(struct vcpu_info) || !mfn_valid(r.mfn))
        return -EINVAL;
    if (v->vcpu_info_mfn != INVALID_MFN)
        return -EINVAL;                 /* once per vCPU, as in Xen */
    struct page_info *pg = mfn_to_page(r.mfn);
    struct pt_ctx c = { v->domain, PT_BUDGET, NULL };
    if (!get_page(pg, v->domain))
        return -EINVAL;
    if (get_page_type(&c, pg, PGT_writable)) {
        put_page(pg);
        return -EINVAL;
    }
    struct vcpu_info *new = (struct vcpu_info *)((uint8_t *)mm_map_frame(r.mfn) + r.offset);
    *new = *vcpu_info_of(v);
    /* The copy in shared_info is no longer the live one. */
    vcpu_info_of(v)->evtchn_upcall_pending = 0;
    v->vcpu_info_mfn = r.mfn;
    v->vcpu_info_offset = r.offset;
    return 0;
}

/*
 * vcpu_op on vCPU `id` of the caller's domain.  The timers act on the
 * calling vCPU only (-EINVAL for another, as Xen); the rest on any.
 */
long do_vcpu_op(uint64_t cmd, uint64_t id, uint64_t arg)
{
    struct domain *d = current->domain;
    struct vcpu_set_singleshot_timer t;
    struct vcpu *v;

    if (id >= d->max_vcpus || !(v = d->vcpu[id]))
        return -ENOENT;
    switch (cmd) {
    case VCPUOP_initialise:
        /* Once per vCPU, as in Xen (the toolstack may set it again). */
        return v->initialised ? -EEXIST : vcpu_initialise(v, arg);
    case VCPUOP_up:
        if (!v->initialised)
            return -EINVAL;
        vcpu_up(v);
        return 0;
    case VCPUOP_down:
        for (unsigned int i = 0; i < d->max_vcpus; i++)
            if (d->vcpu[i] && d->vcpu[i] != v && d->vcpu[i]->state != VCPU_DOWN) {
                vcpu_down(v);           /* returns when brought up again */
                return 0;
            }
        domain_vcpu_down(v);            /* the last one: the domain is stuck */
    case VCPUOP_is_up:
        return v->state != VCPU_DOWN;
    case VCPUOP_set_singleshot_timer:
        if (v != current)
            return -EINVAL;
        if (copy_from_guest(&t, arg, sizeof(t)))
            return -EFAULT;
        if ((t.flags & VCPU_SSHOTTMR_future) && t.timeout_abs_ns < system_time_ns())
            return -XEN_ETIME;
        set_deadline(v, t.timeout_abs_ns);
        return 0;
    case VCPUOP_stop_singleshot_timer:
        if (v != current)
            return -EINVAL;
        set_deadline(v, 0);
        return 0;
    case VCPUOP_stop_periodic_timer:
        return 0;                       /* there is no periodic timer */
    case VCPUOP_register_vcpu_info:
        return register_vcpu_info(v, arg);
    case VCPUOP_register_runstate_memory_area: {
        struct vcpu_register_runstate_memory_area a;
        if (copy_from_guest(&a, arg, sizeof(a)))
            return -EFAULT;
        if (a.addr.p && !guest_range_ok(a.addr.p,
                                         sizeof(struct vcpu_runstate_info)))
            return -EINVAL;
        v->runstate_guest = a.addr.p;
        if (v == current)
            runstate_update(v);
        return 0;
    }
    case VCPUOP_get_runstate_info: {
        struct vcpu_runstate_info ri;
        runstate_fill(v, &ri);
        return copy_to_guest(arg, &ri, sizeof(ri)) ? -EFAULT : 0;
    }
    default:
        return -ENOSYS;
    }
}

/* Copy v's runstate to its registered area.  With the runstate_update_flag
 * assist, XEN_RUNSTATE_UPDATE marks state_entry_time while the copy is in
 * progress, so a reader on another CPU can tell a torn read. */
void runstate_update(struct vcpu *v)
{
    struct vcpu_runstate_info ri;
    uint64_t at = v->runstate_guest + offsetof(struct vcpu_runstate_info, state_entry_time);
    bool flag = v->domain->vm_assist & (1UL << VMASST_TYPE_runstate_update_flag);

    if (!v->runstate_guest)
        return;
    runstate_fill(v, &ri);
    if (flag) {
        uint64_t marked = ri.state_entry_time | XEN_RUNSTATE_UPDATE;
        (void)copy_to_guest(at, &marked, sizeof(marked));
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    }
    /* Best effort, as Xen: an unwritable area is the guest's problem. */
    (void)copy_to_guest(v->runstate_guest, &ri, sizeof(ri));
}
