// SPDX-License-Identifier: MIT
/*
 * time: the clock, timers and event delivery a PV kernel depends on.  The
 * guest maps shared_info, reads its pvclock (vcpu_time_info) and the wall
 * clock, binds VIRQ_TIMER, arms one-shot timers, and takes the event
 * upcall at its event callback -- both while it runs and after it blocks --
 * returning with HYPERVISOR_iret like Linux.  Also a loopback interdomain
 * channel, SCHEDOP_poll, the runstate area and VCPUOP_register_vcpu_info,
 * with the hostile cases next to the normal ones.
 */
#include <abi/callback.h>
#include <abi/event_channel.h>
#include <abi/sched.h>
#include <abi/vcpu.h>
#include <abi/version.h>
#include "hypercall.h"
#include "kit.h"
#include "events.h"
#include "memory.h"

#define SLOT_VCPU_INFO 21           /* scratch slot for a registered vcpu_info */

static inline long HYPERVISOR_event_channel_op(unsigned int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_event_channel_op, cmd, KIT_UL(arg));
}
static inline long HYPERVISOR_set_timer_op(uint64_t deadline)
{
    return _hypercall1(__HYPERVISOR_set_timer_op, deadline);
}

/* System time by the pvclock rules: retry while the version is odd or
 * changes under us. */
static uint64_t guest_now(void)
{
    for (;;) {
        uint32_t v1 = __atomic_load_n(&kit_vi->time.version, __ATOMIC_ACQUIRE);
        uint64_t ts = kit_vi->time.tsc_timestamp, st = kit_vi->time.system_time;
        uint32_t mul = kit_vi->time.tsc_to_system_mul;
        int8_t shift = kit_vi->time.tsc_shift;
        uint64_t delta = kit_rdtsc() - ts;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if ((v1 & 1) || v1 != __atomic_load_n(&kit_vi->time.version, __ATOMIC_ACQUIRE))
            continue;
        delta = shift >= 0 ? delta << shift : delta >> -shift;
        return st + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
    }
}

static int shared_info_is_mapped_and_masked(void)
{
    expect_ok(kit_events_init(), "map shared_info by its machine address, event callback");
    expect_eq(kit_vi->evtchn_upcall_mask, 1, "events masked at entry");
    return KIT_PASS;
}

static int pvclock_is_valid_and_advances(void)
{
    expect_eq(kit_vi->time.version & 1, 0, "pvclock version even");
    expect_ne(kit_vi->time.tsc_to_system_mul, 0, "tsc_to_system_mul");
    uint64_t a = guest_now();
    for (volatile int i = 0; i < 2000000; i++)
        ;
    uint64_t b = guest_now();
    expect_true(b > a, "system time advances");
    expect_true(b - a < 60ULL * 1000000000ULL, "and by less than a minute");
    return KIT_PASS;
}

static int wallclock_is_plausible(void)
{
    expect_eq(kit_shared->wc_version & 1, 0, "wc_version even");
    uint64_t sec = ((uint64_t)kit_shared->wc_sec_hi << 32) | kit_shared->wc_sec;
    expect_true(sec > 1577836800ULL, "wall clock after 2020");        /* 2020-01-01 */
    expect_true(sec < 4102444800ULL, "wall clock before 2100");
    return KIT_PASS;
}

static evtchn_port_t timer_port;

static int timer_virq_fires_after_block(void)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };

    expect_ok(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv), "bind VIRQ_TIMER");
    timer_port = bv.port;
    expect_true(timer_port > 0 && timer_port < 64, "timer port in the first word");
    unsigned int before = kit_upcalls;
    uint64_t deadline = guest_now() + 10 * 1000000ULL;
    expect_ok(HYPERVISOR_set_timer_op(deadline), "set_timer_op +10 ms");
    expect_ok(HYPERVISOR_sched_op(SCHEDOP_block, NULL), "block");  /* unmasks events */
    kit_events_off();
    expect_true(kit_upcalls > before, "the upcall ran");
    expect_true(kit_upcall_ports & (1UL << timer_port), "the timer port was pending");
    expect_true(guest_now() >= deadline, "not before the deadline");
    return KIT_PASS;
}

static int timer_fires_while_running(void)
{
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = guest_now() + 5 * 1000000ULL };
    unsigned int before = kit_upcalls;

    expect_ok(HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t), "singleshot +5 ms");
    kit_events_on();
    uint64_t give_up = guest_now() + 5ULL * 1000000000ULL;
    while (kit_upcalls == before && guest_now() < give_up)
        ;                           /* no hypercall: the interrupt must come in */
    kit_events_off();
    expect_true(kit_upcalls > before, "upcall while running, without a hypercall");
    return KIT_PASS;
}

static int stopped_timer_does_not_fire(void)
{
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = guest_now() + 2 * 1000000ULL };

    expect_ok(HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t), "arm");
    expect_ok(HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL), "stop");
    unsigned int before = kit_upcalls;
    kit_events_on();
    uint64_t until = guest_now() + 20 * 1000000ULL;
    while (guest_now() < until)
        ;
    kit_events_off();
    expect_eq(kit_upcalls, before, "no upcall from a stopped timer");
    return KIT_PASS;
}

static int singleshot_in_the_past_with_future_flag_is_etime(void)
{
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = 1, .flags = VCPU_SSHOTTMR_future };

    expect_rc(HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t), -XEN_ETIME,
              "deadline already past");
    expect_rc(HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 5, &t), -XEN_ENOENT,
              "a vCPU we do not have");
    expect_rc(HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, (void *)0xffff82d040000000UL),
              -XEN_EFAULT, "argument in the hypervisor");
    expect_rc(HYPERVISOR_vcpu_op(99, 0, NULL), -XEN_ENOSYS, "unknown vcpu_op");
    return KIT_PASS;
}

static int loopback_channel_send_and_poll(void)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    expect_ok(HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au), "alloc_unbound");
    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF, .remote_port = au.port };
    expect_ok(HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi), "bind_interdomain");
    expect_ne(bi.local_port, au.port, "two ends");

    /* Sending on one end raises the other; poll sees it without an upcall. */
    struct evtchn_send s = { .port = bi.local_port };
    expect_ok(HYPERVISOR_event_channel_op(EVTCHNOP_send, &s), "send");
    expect_true(kit_shared->evtchn_pending[au.port / 64] & (1UL << (au.port % 64)),
                "the peer port is pending");
    evtchn_port_t ports[1] = { au.port };
    struct sched_poll p = { .nr_ports = 1, .timeout = 0 };
    set_xen_guest_handle(p.ports, ports);
    expect_ok(HYPERVISOR_sched_op(SCHEDOP_poll, &p), "poll returns at once");

    /* Delivered once events are unmasked. */
    unsigned int before = kit_upcalls;
    kit_upcall_ports = 0;
    kit_events_on();
    kit_events_off();
    expect_true(kit_upcalls > before, "upcall for the pending port");
    expect_true(kit_upcall_ports & (1UL << au.port), "and it was ours");
    struct evtchn_close c = { .port = bi.local_port };
    expect_ok(HYPERVISOR_event_channel_op(EVTCHNOP_close, &c), "close one end");
    expect_rc(HYPERVISOR_event_channel_op(EVTCHNOP_send, &s), -XEN_EINVAL, "send on closed");
    return KIT_PASS;
}

static int poll_times_out(void)
{
    evtchn_port_t ports[1] = { timer_port };
    uint64_t start = guest_now();
    struct sched_poll p = { .nr_ports = 1, .timeout = start + 20 * 1000000ULL };

    kit_shared->evtchn_pending[0] &= ~(1UL << timer_port);
    set_xen_guest_handle(p.ports, ports);
    expect_ok(HYPERVISOR_sched_op(SCHEDOP_poll, &p), "poll with a timeout");
    expect_true(guest_now() >= p.timeout, "returned at the timeout, not before");
    p.nr_ports = 1000;
    expect_rc(HYPERVISOR_sched_op(SCHEDOP_poll, &p), -XEN_EINVAL, "too many ports");
    ports[0] = 5000;
    p.nr_ports = 1;
    expect_rc(HYPERVISOR_sched_op(SCHEDOP_poll, &p), -XEN_EINVAL, "port beyond 2-level");
    return KIT_PASS;
}

static int runstate_area_is_kept(void)
{
    static struct vcpu_runstate_info rs;
    struct vcpu_register_runstate_memory_area a = { .addr.v = &rs };
    struct vcpu_runstate_info ri;

    expect_ok(HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag),
              "runstate_update_flag assist (Linux enables it)");
    expect_ok(HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &a), "register");
    expect_eq(rs.state, RUNSTATE_running, "state written at once");
    expect_eq(rs.state_entry_time & XEN_RUNSTATE_UPDATE, 0, "update flag clear when done");
    expect_ok(HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &ri), "get_runstate_info");
    expect_eq(ri.state, RUNSTATE_running, "running");
    expect_true(ri.time[RUNSTATE_running] > 0, "running time counted");
    a.addr.p = 0xffff830000000000UL;
    expect_rc(HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &a), -XEN_EINVAL,
              "runstate area in the hypervisor");
    return KIT_PASS;
}

static int bad_event_ops_refused(void)
{
    struct evtchn_bind_virq bv = { .virq = 999 };
    struct evtchn_send s = { .port = 0 };

    expect_rc(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv), -XEN_EINVAL, "virq 999");
    bv = (struct evtchn_bind_virq){ .virq = VIRQ_TIMER };
    expect_rc(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv), -XEN_EEXIST,
              "VIRQ_TIMER twice");
    expect_rc(HYPERVISOR_event_channel_op(EVTCHNOP_send, &s), -XEN_EINVAL, "port 0");
    s.port = 4000;
    expect_rc(HYPERVISOR_event_channel_op(EVTCHNOP_send, &s), -XEN_EINVAL, "unused port");
    expect_rc(HYPERVISOR_event_channel_op(EVTCHNOP_send, (void *)0x1000), -XEN_EFAULT,
              "bad pointer");
    expect_rc(HYPERVISOR_event_channel_op(77, &s), -XEN_ENOSYS, "unknown op");
    return KIT_PASS;
}

/* No FIFO event channels, but EVTCHNOP_init_control refuses a bad control
 * block as Xen does (XSA-188's unknown frame: -EINVAL) before -ENOSYS. */
static int fifo_init_control_refused_as_xen_refuses(void)
{
    uint64_t mfn = kit_scratch_fresh(SLOT_VCPU_INFO);
    struct evtchn_init_control ic = { .control_gfn = (uint64_t)-2, .offset = 0, .vcpu = 0 };

    expect_true(mfn != 0, "a fresh frame");
    expect_rc(HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &ic), -XEN_EINVAL,
              "a frame that does not exist");
    ic.control_gfn = kit_l1e_maddr(kit_scratch_va(SLOT_VCPU_INFO)) >> 12;   /* an L1 table */
    expect_rc(HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &ic), -XEN_EINVAL,
              "a page-table frame");
    ic.control_gfn = mfn;
    ic.offset = 4;
    expect_rc(HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &ic), -XEN_EINVAL,
              "a misaligned offset");
    ic.offset = 4096 - 64;
    expect_rc(HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &ic), -XEN_EINVAL,
              "a block crossing the page");
    ic.offset = 0;
    ic.vcpu = 31;
    expect_rc(HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &ic), -XEN_ENOENT,
              "a vCPU that does not exist");
    ic.vcpu = 0;
    expect_rc(HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &ic), -XEN_ENOSYS,
              "a good block: no FIFO ABI, 2-level stays");
    struct evtchn_expand_array ea = { .array_gfn = mfn };
    expect_rc(HYPERVISOR_event_channel_op(EVTCHNOP_expand_array, &ea), -XEN_ENOSYS,
              "expand_array");
    expect_ok(kit_scratch_restore(SLOT_VCPU_INFO), "restore");
    return KIT_PASS;
}

static int registered_vcpu_info_takes_over(void)
{
    uint64_t mfn = kit_scratch_fresh(SLOT_VCPU_INFO);
    struct vcpu_register_vcpu_info r = { .mfn = mfn, .offset = 128 };

    expect_true(mfn != 0, "a fresh frame");
    r.offset = 4090;
    expect_rc(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &r), -XEN_EINVAL,
              "vcpu_info running off the page");
    r.offset = 128;
    expect_ok(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &r), "register_vcpu_info");
    kit_vi = (volatile struct vcpu_info *)(kit_scratch_va(SLOT_VCPU_INFO) + 128);
    expect_eq(kit_vi->evtchn_upcall_mask, 1, "state copied (events still masked)");
    expect_rc(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &r), -XEN_EINVAL, "twice");
    /* The timer now arrives through the new vcpu_info. */
    unsigned int before = kit_upcalls;
    expect_ok(HYPERVISOR_set_timer_op(guest_now() + 2 * 1000000ULL), "arm");
    expect_ok(HYPERVISOR_sched_op(SCHEDOP_block, NULL), "block");
    kit_events_off();
    expect_true(kit_upcalls > before, "upcall through the registered vcpu_info");
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "shared_info_is_mapped_and_masked", shared_info_is_mapped_and_masked, KIT_MM },
    { "pvclock_is_valid_and_advances", pvclock_is_valid_and_advances, 0 },
    { "wallclock_is_plausible", wallclock_is_plausible, 0 },
    { "timer_virq_fires_after_block", timer_virq_fires_after_block, 0 },
    { "timer_fires_while_running", timer_fires_while_running, 0 },
    { "stopped_timer_does_not_fire", stopped_timer_does_not_fire, 0 },
    { "singleshot_in_the_past_with_future_flag_is_etime",
      singleshot_in_the_past_with_future_flag_is_etime, KIT_HOSTILE },
    { "loopback_channel_send_and_poll", loopback_channel_send_and_poll, 0 },
    { "poll_times_out", poll_times_out, 0 },
    { "runstate_area_is_kept", runstate_area_is_kept, 0 },
    { "bad_event_ops_refused", bad_event_ops_refused, KIT_HOSTILE },
    { "fifo_init_control_refused_as_xen_refuses", fifo_init_control_refused_as_xen_refuses,
      KIT_MM | KIT_HOSTILE },
    { "registered_vcpu_info_takes_over", registered_vcpu_info_takes_over, KIT_MM },
};

KIT_KERNEL("time", tests);
