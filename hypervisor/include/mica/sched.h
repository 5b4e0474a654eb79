/* SPDX-License-Identifier: MIT */
/*
 * The scheduler (common/scheduler.c), blocking and timers
 * (common/schedule.c), and switching vCPUs (arch/x86/pv/context.c).
 */
#ifndef MICA_SCHED_H
#define MICA_SCHED_H

#include <mica/spinlock.h>
#include <mica/types.h>

struct vcpu;
struct domain;
struct cpu_regs;

enum vcpu_state {
    VCPU_DOWN,          /* not started, or VCPUOP_down: never picked */
    VCPU_RUNNABLE,      /* waiting for the CPU */
    VCPU_RUNNING,       /* on the CPU */
    VCPU_BLOCKED,       /* waiting for an event or a timeout */
};

#define SCHED_DEFAULT_WEIGHT 256
#define SCHED_MAX_WEIGHT 65535
#define SCHED_MAX_CAP 100      /* percent of one CPU */
extern uint64_t sched_slice_ns;

/* Pick the next vCPU and switch to it; returns when the caller's vCPU
 * runs again.  Interrupts off. */
void schedule(void);
void sched_yield(void);
/* The running vCPU v waits for vcpu_wake or `until` (0 = no limit). */
void vcpu_block(struct vcpu *v, uint64_t until);
void vcpu_wake(struct vcpu *v);
/* An event is now pending for v / a port of d became pending. */
void vcpu_kick(struct vcpu *v);
void domain_poll_kick(struct domain *d);
void vcpu_up(struct vcpu *v);
void vcpu_down(struct vcpu *v);
void sched_add_vcpu(struct vcpu *v);
void sched_remove_vcpu(struct vcpu *v);
void sched_domain_unpaused(struct domain *d);
/* The boot CPU becomes the idle loop and runs what is runnable. */
void sched_start(void) __attribute__((noreturn));
/* Nothing will ever run again (arch: report and power off). */
void sched_all_down(void) __attribute__((noreturn));
/* The timer interrupt; a vCPU's own timer changed. */
void sched_tick(void);
void sched_timer_changed(void);
/* Switch vCPUs if one is due (arch/x86/pv/pv_run.c's pv_exit_to_guest,
 * the last stop before a guest runs, then delivers its events). */
void sched_resched(void);

/* SCHEDOP_block: unmask v's events and wait until one is pending. */
void sched_block(struct vcpu *v);

/* arch/x86/pv/context.c */
int vcpu_arch_init(struct vcpu *v);
void vcpu_arch_destroy(struct vcpu *v);
void context_switch(struct vcpu *prev, struct vcpu *next);
void switch_stack(uint64_t *save_rsp, uint64_t new_rsp);
long vcpu_initialise(struct vcpu *v, uint64_t arg);
/* v's context as a vcpu_guest_context, written to the caller at arg. */
long vcpu_get_context(struct vcpu *v, uint64_t arg);
/* A dying domain's vCPU lets go of its frames (base pointers, GDT and LDT
 * frames, vcpu_info). */
void vcpu_arch_relinquish(struct vcpu *v);
bool vcpu_stack_contains(uint64_t lo, uint64_t hi);

#endif /* MICA_SCHED_H */
