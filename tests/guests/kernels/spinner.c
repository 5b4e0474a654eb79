/* SPDX-License-Identifier: MIT */
/*
 * spinner: a CPU-bound (or sleeping) domain for measuring the scheduler
 * with real domains (tests/system/test_sched.py).  Several spinners booted
 * side by side from a boot configuration all wait for the same absolute
 * system time T0, so their windows line up whatever order they were built
 * and started in; each then measures its own share of the CPU over
 * [T0, T1] from its runstate (VCPUOP_get_runstate_info), which counts what
 * the scheduler charges it, and prints two lines:
 *
 *   kit: note: spinner mode=spin window_ns=W running_ns=R runnable_ns=Q blocked_ns=B
 *   kit: note: spinner loops=N ready_ms=M start_late_ns=S end_late_ns=E
 *
 * `spin` busy-loops with no hypercalls, reading only the pvclock between
 * rounds of work, so it wants the whole CPU (loops: iterations); `block`
 * sleeps in SCHEDOP_block with a timer every 100 ms, so it wants almost
 * none (loops: wake-ups).  ready_ms is when the kernel was ready to wait
 * for T0.  start_late_ns and end_late_ns are how long after T0 and T1 it
 * first looked at the clock: a spinner that is runnable but not on the CPU
 * at T0 or T1 sees it only at its next turn, and runs nothing meanwhile,
 * so its runstate still covers exactly its part of the window.
 *
 * Command line: spinner.mode=spin|block (spin), spinner.start_ms=T0 in ms
 * of system time since Mica booted (3000), spinner.window_ms= (6000).
 * T0 must still be ahead when the kernel starts: a spinner that arrives
 * late fails, because its window would not line up with the others'.
 */
#include <abi/event_channel.h>
#include <abi/sched.h>
#include <abi/vcpu.h>
#include "clock.h"
#include "events.h"
#include "hypercall.h"
#include "kit.h"

#define NS_PER_MS    1000000UL
#define BLOCK_PERIOD (100 * NS_PER_MS)
#define SPIN_ROUND   256            /* loop iterations between clock reads */
#define PRESPIN      (50 * NS_PER_MS)

static long evtchn_op(unsigned int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_event_channel_op, cmd, KIT_UL(arg));
}

static long runstate(struct vcpu_runstate_info *ri)
{
    return _hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, KIT_UL(ri));
}

/* Sleep in SCHEDOP_block until system time `t` (VIRQ_TIMER is bound): the
 * timer may fire up to 50 us early, so look again.  Returns the wake-ups. */
static uint64_t sleep_until(uint64_t t)
{
    uint64_t wakes = 0;

    while (kit_system_time() < t) {
        _hypercall1(__HYPERVISOR_set_timer_op, t);
        HYPERVISOR_sched_op(SCHEDOP_block, NULL);       /* unmasks events */
        kit_events_off();
        wakes++;
    }
    return wakes;
}

/* Busy until system time `t`; returns the loop iterations.  The work is a
 * multiply chain the compiler must keep (the asm says the value is used). */
static uint64_t spin_until(uint64_t t)
{
    uint64_t loops = 0, x = 1;

    while (kit_system_time() < t) {
        for (unsigned int i = 0; i < SPIN_ROUND; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            __asm__ volatile("" : "+r"(x));
        }
        loops += SPIN_ROUND;
    }
    return loops;
}

/* spinner.mode=: 0 spin (also without the option), 1 block, -1 unknown. */
static int mode(void)
{
    const char *p = kit_strstr((const char *)kit_si->cmd_line, "spinner.mode=");

    if (!p)
        return 0;
    p += 13;
    if (strncmp(p, "spin", 4) == 0 && (p[4] == ' ' || p[4] == '\0'))
        return 0;
    if (strncmp(p, "block", 5) == 0 && (p[5] == ' ' || p[5] == '\0'))
        return 1;
    return -1;
}

static int cpu_time_over_a_common_window(void)
{
    int block = mode();
    uint64_t t0 = kit_cmdline_number("spinner.start_ms=", 3000) * NS_PER_MS;
    uint64_t t1 = t0 + kit_cmdline_number("spinner.window_ms=", 6000) * NS_PER_MS;
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    struct vcpu_runstate_info r0, r1;
    uint64_t loops = 0;

    expect_true(block >= 0, "spinner.mode= is spin or block");
    expect_true(t1 > t0, "spinner.window_ms= is more than 0");
    expect_ok(kit_events_init(), "shared_info and the event callback");
    expect_ok(evtchn_op(EVTCHNOP_bind_virq, &bv), "bind VIRQ_TIMER");
    uint64_t now = kit_system_time();
    if (now >= t0)
        return kit_fail("started at %lu ms, after T0 = %lu ms: raise spinner.start_ms=",
                        now / NS_PER_MS, t0 / NS_PER_MS);

    /* Sleep until just before T0, then spin up to it, so that every
     * spinner is runnable at T0: a timer set a second or more ahead fires
     * late by the APIC timer's calibration error (measured 0.1 % usually,
     * 4 % once, i.e. 1-50 ms here). */
    sleep_until(t0 > now + PRESPIN ? t0 - PRESPIN : now);
    spin_until(t0);
    expect_ok(runstate(&r0), "runstate at T0");
    uint64_t start = kit_system_time();
    if (block)
        for (uint64_t t = t0; t < t1;) {
            t = t + BLOCK_PERIOD < t1 ? t + BLOCK_PERIOD : t1;
            loops += sleep_until(t);
        }
    else
        loops = spin_until(t1);
    uint64_t end = kit_system_time();
    expect_ok(runstate(&r1), "runstate at T1");

    /* Two lines: Mica splits a console line after 128 characters. */
    kit_printf("kit: note: spinner mode=%s window_ns=%lu running_ns=%lu runnable_ns=%lu "
               "blocked_ns=%lu\n", block ? "block" : "spin", t1 - t0,
               r1.time[RUNSTATE_running] - r0.time[RUNSTATE_running],
               r1.time[RUNSTATE_runnable] - r0.time[RUNSTATE_runnable],
               r1.time[RUNSTATE_blocked] - r0.time[RUNSTATE_blocked]);
    kit_printf("kit: note: spinner loops=%lu ready_ms=%lu start_late_ns=%lu end_late_ns=%lu\n",
               loops, now / NS_PER_MS, start - t0, end - t1);
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "cpu_time_over_a_common_window", cpu_time_over_a_common_window, 0 },
};

KIT_KERNEL("spinner", tests);
