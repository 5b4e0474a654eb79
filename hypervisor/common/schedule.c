/* SPDX-License-Identifier: MIT */
/*
 * Timers, blocking and the vCPU operations a PV guest uses for them, on
 * one physical CPU with one vCPU (the scheduler proper arrives with
 * several domains).  A vCPU has one one-shot deadline (set_timer_op or
 * VCPUOP_set_singleshot_timer); reaching it raises VIRQ_TIMER.  Blocking
 * halts the CPU with interrupts on until an event is pending for the vCPU.
 */
#include <abi/event_channel.h>
#include <abi/sched.h>
#include <abi/vcpu.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/pv.h>
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
    timer_program(deadline);
}

/* The timer interrupt: fire an expired deadline. */
void timer_interrupt(void)
{
    struct vcpu *v = current;

    lapic_eoi();
    if (!v || !v->timer_deadline)
        return;
    if (system_time_ns() + 50000 < v->timer_deadline) {
        timer_program(v->timer_deadline);       /* early: the APIC rounds */
        return;
    }
    v->timer_deadline = 0;
    time_update_vcpu(v, &vcpu_info_of(v)->time);
    evtchn_send_virq(v, VIRQ_TIMER);
}

/* Halt with interrupts on until the next interrupt, which comes at the
 * latest at `until` (a system time, 0 = none) or at v's own deadline. */
static void halt_once(struct vcpu *v, uint64_t until)
{
    uint64_t wake = v->timer_deadline;

    if (until && (!wake || until < wake))
        wake = until;
    timer_program(wake);
    __asm__ volatile("sti; hlt; cli" ::: "memory");
    timer_program(v->timer_deadline);
}

/* Wait until an event is pending for v. */
static void wait_for_event(struct vcpu *v)
{
    while (!evtchn_upcall_pending_raw(v))
        halt_once(v, 0);
}

/* Linux's idle is "sti; hlt": events are unmasked, then we wait. */
void sched_block(struct vcpu *v)
{
    vcpu_info_of(v)->evtchn_upcall_mask = 0;
    wait_for_event(v);
}

long do_set_timer_op(struct cpu_regs *regs)
{
    set_deadline(current, regs->rdi);
    return 0;
}

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
        halt_once(v, p.timeout);        /* any interrupt: look again */
    }
}

long do_sched_op_timers(struct cpu_regs *regs)
{
    struct vcpu *v = current;

    switch (regs->rdi) {
    case SCHEDOP_block:
        sched_block(v);
        return 0;
    case SCHEDOP_poll:
        return sched_poll(v, regs->rsi);
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
    struct pt_ctx c = { v->domain, PT_BUDGET };
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

long do_vcpu_op(struct cpu_regs *regs)
{
    struct vcpu *v = current;
    uint64_t cmd = regs->rdi, id = regs->rsi, arg = regs->rdx;
    struct vcpu_set_singleshot_timer t;

    if (id != v->vcpu_id)
        return -ENOENT;                 /* one vCPU per domain today */
    switch (cmd) {
    case VCPUOP_is_up:
        return 1;
    case VCPUOP_down:
        domain_vcpu_down(v, regs);
    case VCPUOP_set_singleshot_timer:
        if (copy_from_guest(&t, arg, sizeof(t)))
            return -EFAULT;
        if ((t.flags & VCPU_SSHOTTMR_future) && t.timeout_abs_ns < system_time_ns())
            return -XEN_ETIME;
        set_deadline(v, t.timeout_abs_ns);
        return 0;
    case VCPUOP_stop_singleshot_timer:
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
        runstate_update(v);
        return 0;
    }
    case VCPUOP_get_runstate_info: {
        struct vcpu_runstate_info ri;
        runstate_fill(v, &ri);
        return copy_to_guest(arg, &ri, sizeof(ri)) ? -EFAULT : 0;
    }
    default:
        return -ENOSYS;                 /* initialise/up with SMP guests */
    }
}

/* A single vCPU on its own CPU is always running (while not blocked). */
void runstate_fill(struct vcpu *v, struct vcpu_runstate_info *ri)
{
    uint64_t now = system_time_ns();

    *ri = (struct vcpu_runstate_info){ .state = RUNSTATE_running, .state_entry_time = now };
    ri->time[RUNSTATE_running] = now - v->started_at;
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
