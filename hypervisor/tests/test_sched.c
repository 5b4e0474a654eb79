/* SPDX-License-Identifier: MIT */
/*
 * The scheduler's policy (common/scheduler.c) on a simulated CPU: a fake
 * clock, context switches that only record who runs, and CPU-bound,
 * blocking and capped vCPUs.  Each test runs the machine for a window of
 * simulated time in steps of 1 ms (the timer interrupt's sched_tick at
 * each step, schedule() when it asks) and checks the shares.
 *
 * Tolerances: proportional shares within 5 % of the ideal over 3 s of
 * simulated time (300 slices of 10 ms); a cap within 2 % of its
 * percentage.  One test instead lets time jump from timer to timer, as on
 * the real machine, where only the programmed timer interrupts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <abi/vcpu.h>
#include <mica/domain.h>
#include <mica/event.h>
#include <mica/printk.h>
#include <mica/pv.h>
#include <mica/sched.h>
#include <mica/time.h>

/* The scheduler itself, so that the tests can reset its CPU. */
#include "../common/scheduler.c"

/* ---- the simulated machine -------------------------------------------- */

static uint64_t now_ns;
static uint64_t timer_at;
static unsigned long switches;
struct vcpu *current;

uint64_t system_time_ns(void) { return now_ns; }
void timer_program(uint64_t deadline) { timer_at = deadline; }
void context_switch(struct vcpu *prev, struct vcpu *next) { (void)prev; current = next; switches++; }
void time_update_vcpu(struct vcpu *v, struct vcpu_time_info *t) { (void)v, (void)t; }
static struct vcpu_info vinfo;
struct vcpu_info *vcpu_info_of(struct vcpu *v) { (void)v; return &vinfo; }
static unsigned int virq_timer_fired;
bool evtchn_send_virq(struct vcpu *v, unsigned int virq)
{
    (void)virq;
    virq_timer_fired++;
    vcpu_kick(v);
    return true;
}
void pv_deliver_events(struct vcpu *v, struct cpu_regs *r) { (void)v, (void)r; }
void printk(enum log_level l, const char *fmt, ...) { (void)l, (void)fmt; }
void bug(const char *file, int line, const char *cond)
{
    fprintf(stderr, "BUG %s:%d %s\n", file, line, cond);
    abort();
}
void sched_all_down(void) { fail_msg("everything went down"); abort(); }

#define NR 4
static struct domain doms[NR];
static struct vcpu vcpus[NR];
static uint64_t ran[NR];                /* simulated ns each vCPU ran */

static void add(unsigned int i, unsigned int weight, unsigned int cap)
{
    doms[i] = (struct domain){ .domain_id = (domid_t)(i + 1), .sched_weight = weight,
                               .sched_cap = cap, .max_vcpus = 1 };
    vcpus[i] = (struct vcpu){ .domain = &doms[i] };
    doms[i].vcpu[0] = doms[i].vcpu0 = &vcpus[i];
    sched_add_vcpu(&vcpus[i]);
    vcpus[i].initialised = true;
    vcpu_up(&vcpus[i]);
}

static int idx(const struct vcpu *v)
{
    for (int i = 0; i < NR; i++)
        if (v == &vcpus[i])
            return i;
    return -1;
}

/* Run for `ms` of simulated time; vCPU `blocker` (-1: none) blocks for
 * 5 ms at every 10 ms mark it is running at (a half-idle guest). */
static void run_ms(unsigned int ms, int blocker)
{
    for (unsigned int t = 0; t < ms; t++) {
        int i = idx(current);
        now_ns += 1000000;
        if (i >= 0)
            ran[i] += 1000000;
        if (i >= 0 && i == blocker && (now_ns / 1000000) % 10 == 5)
            vcpu_block(current, now_ns + 5000000);      /* sleeps 5 ms */
        sched_tick();
        while (cpu0.need_resched)
            schedule();
    }
}

/* Run for `ms` as the real machine does: time jumps to the timer the
 * scheduler programmed (the only interrupt), not in 1 ms steps -- so a
 * policy that forgets to program a deadline shows here. */
static void run_by_timer(unsigned int ms)
{
    uint64_t end = now_ns + (uint64_t)ms * 1000000;

    while (now_ns < end) {
        /* A deadline already passed fires at once, as the APIC does. */
        uint64_t next = !timer_at ? end : MIN(MAX(timer_at, now_ns), end);
        int i = idx(current);
        if (i >= 0)
            ran[i] += next - now_ns;
        now_ns = next;
        sched_tick();
        while (cpu0.need_resched)
            schedule();
    }
}

/* vCPU i blocks (as if in SCHEDOP_block) until woken or `until`. */
static void block(int i, uint64_t until)
{
    if (current == &vcpus[i]) {
        vcpu_block(&vcpus[i], until);
    } else {
        vcpus[i].state = VCPU_BLOCKED;
        vcpus[i].wake_at = until;
    }
}

static int setup(void **state)
{
    (void)state;
    memset(doms, 0, sizeof(doms));
    memset(vcpus, 0, sizeof(vcpus));
    memset(ran, 0, sizeof(ran));
    now_ns = 1000000000ULL;
    switches = 0;
    memset(&cpu0, 0, sizeof(cpu0));
    current = NULL;
    return 0;
}

/* What sched_start does before its loop: the idle vCPU is on the CPU. */
static void start(void)
{
    cpu0.idle.domain = &idle_domain;
    cpu0.idle.state = VCPU_RUNNING;
    cpu0.curr = current = &cpu0.idle;
    schedule();
}

/* ---- the tests ----------------------------------------------------------- */

static void weights_2_to_1_share_2_to_1(void **state)
{
    (void)state;
    add(0, 512, 0);
    add(1, 256, 0);
    start();
    run_ms(3000, -1);
    double share = (double)ran[0] / (double)(ran[0] + ran[1]);
    assert_true(share > 2.0 / 3 - 0.05 && share < 2.0 / 3 + 0.05);
    assert_true(switches > 100);        /* timer-driven preemption happened */
}

static void equal_weights_share_equally(void **state)
{
    (void)state;
    add(0, 0, 0);                       /* 0 = the default weight */
    add(1, 256, 0);
    add(2, 256, 0);
    start();
    run_ms(3000, -1);
    for (int i = 0; i < 3; i++)
        assert_true(ran[i] > 900000000ULL && ran[i] < 1100000000ULL);
}

static void a_blocked_vcpu_costs_nothing(void **state)
{
    (void)state;
    add(0, 256, 0);
    add(1, 256, 0);
    start();
    block(1, 0);                        /* blocked for good: never picked */
    run_ms(1000, -1);
    assert_int_equal(ran[1], 0);
    assert_int_equal(ran[0], 1000000000ULL);
}

static void a_half_idle_vcpu_gets_what_it_asks_and_no_more(void **state)
{
    (void)state;
    add(0, 256, 0);
    add(1, 256, 0);
    start();
    run_ms(3000, 1);
    /* vCPU 1 wants about half the time; it must not exceed its fair half,
     * and the CPU-bound one gets everything else. */
    assert_true(ran[1] <= 1600000000ULL);
    assert_int_equal(ran[0] + ran[1], 3000000000ULL);
}

static void a_cap_holds_even_on_an_idle_cpu(void **state)
{
    (void)state;
    add(0, 256, 25);                    /* 25 % of the CPU at most */
    start();
    run_ms(3000, -1);
    double share = (double)ran[0] / 3e9;
    if (!(share > 0.23 && share < 0.27))
        print_message("capped share %.3f\n", share);
    assert_true(share > 0.23 && share < 0.27);
}

static void a_cap_gives_the_rest_to_others(void **state)
{
    (void)state;
    add(0, 256, 10);
    add(1, 256, 0);
    start();
    run_ms(3000, -1);
    double capped = (double)ran[0] / 3e9;
    assert_true(capped > 0.08 && capped < 0.12);
    assert_true(ran[0] + ran[1] == 3000000000ULL);
}

/* Caps with time driven by the programmed timer only: each share within
 * 2 points over 5 s, for 40 start phases each (before the slice was cut
 * at the budget's end, cap N ran N + 5 to N + 10 %: whole 10 ms slices). */
static void caps_hold_when_only_the_timer_ticks(void **state)
{
    static const unsigned int caps[] = { 5, 15, 25, 35, 45 };

    for (unsigned int k = 0; k < ARRAY_SIZE(caps); k++) {
        for (unsigned int phase = 0; phase < 40; phase++) {
            setup(state);
            add(0, 256, caps[k]);
            add(1, 256, 0);
            start();
            now_ns += phase * 2500000ULL;   /* a different place in the period */
            memset(ran, 0, sizeof(ran));
            run_by_timer(5000);     /* 50 periods: the partial ones at the ends weigh little */
            double share = (double)ran[0] / 5e9;
            if (share < caps[k] / 100.0 - 0.02 || share > caps[k] / 100.0 + 0.02)
                fail_msg("cap %u, phase %u: share %.3f", caps[k], phase, share);
            assert_int_equal(ran[0] + ran[1], 5000000000ULL);
        }
    }
}

static void timers_fire_for_blocked_vcpus(void **state)
{
    (void)state;
    add(0, 256, 0);
    add(1, 256, 0);
    start();
    vcpus[1].timer_deadline = now_ns + 3000000;
    block(1, 0);
    virq_timer_fired = 0;
    run_ms(5, -1);
    assert_int_equal(virq_timer_fired, 1);
    assert_int_equal(vcpus[1].timer_deadline, 0);
    assert_true(vcpus[1].state != VCPU_BLOCKED);
}

static void a_down_vcpu_never_runs(void **state)
{
    (void)state;
    add(0, 256, 0);
    add(1, 256, 0);
    start();
    vcpu_down(&vcpus[1]);
    run_ms(500, -1);
    uint64_t before = ran[1];
    run_ms(500, -1);
    assert_int_equal(ran[1], before);
    assert_int_equal(vcpus[1].state, VCPU_DOWN);
}

static void yield_lets_the_other_run_first(void **state)
{
    (void)state;
    add(0, 256, 0);
    add(1, 256, 0);
    start();
    struct vcpu *a = current, *b = a == &vcpus[0] ? &vcpus[1] : &vcpus[0];
    b->vtime = a->vtime + 5000000;      /* b is owed less: a would run on */
    sched_yield();
    assert_ptr_equal(current, b);
    /* Alone, a yield changes nothing. */
    vcpu_down(a);
    sched_yield();
    assert_ptr_equal(current, b);
}

static void runstate_accounts_running_and_runnable(void **state)
{
    (void)state;
    add(0, 256, 0);
    add(1, 256, 0);
    start();
    run_ms(1000, -1);
    struct vcpu_runstate_info ri;
    runstate_fill(&vcpus[0], &ri);
    uint64_t total = ri.time[RUNSTATE_running] + ri.time[RUNSTATE_runnable];
    assert_true(ri.time[RUNSTATE_running] > 400000000ULL);
    assert_true(ri.time[RUNSTATE_runnable] > 400000000ULL);
    assert_true(total >= 999000000ULL && total <= 1001000000ULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(weights_2_to_1_share_2_to_1, setup),
        cmocka_unit_test_setup(equal_weights_share_equally, setup),
        cmocka_unit_test_setup(a_blocked_vcpu_costs_nothing, setup),
        cmocka_unit_test_setup(a_half_idle_vcpu_gets_what_it_asks_and_no_more, setup),
        cmocka_unit_test_setup(a_cap_holds_even_on_an_idle_cpu, setup),
        cmocka_unit_test_setup(a_cap_gives_the_rest_to_others, setup),
        cmocka_unit_test_setup(caps_hold_when_only_the_timer_ticks, setup),
        cmocka_unit_test_setup(timers_fire_for_blocked_vcpus, setup),
        cmocka_unit_test_setup(a_down_vcpu_never_runs, setup),
        cmocka_unit_test_setup(yield_lets_the_other_run_first, setup),
        cmocka_unit_test_setup(runstate_accounts_running_and_runnable, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
