/* SPDX-License-Identifier: MIT */
/*
 * Hypercall handlers.  Each takes the guest's register frame (arguments in
 * rdi, rsi, rdx, r10, r8) and returns the result for rax, a negative Xen
 * errno, or -ERESTART after rewriting its argument registers to describe
 * the work left (the guest then re-issues the call).
 */
#ifndef MICA_HYPERCALL_H
#define MICA_HYPERCALL_H

#include <mica/x86.h>

long do_mmu_update(struct cpu_regs *regs);
long do_mica_control(struct cpu_regs *regs);     /* common/control.c */
long do_update_va_mapping(struct cpu_regs *regs);
long do_mmuext_op(struct cpu_regs *regs);
long do_xen_version(struct cpu_regs *regs);
long do_console_io(struct cpu_regs *regs);
long do_vm_assist(struct cpu_regs *regs);
long do_sched_op(struct cpu_regs *regs);
long do_set_trap_table(struct cpu_regs *regs);
long do_set_callbacks(struct cpu_regs *regs);
long do_callback_op(struct cpu_regs *regs);
long do_stack_switch(struct cpu_regs *regs);
long do_fpu_taskswitch(struct cpu_regs *regs);
long do_set_segment_base(struct cpu_regs *regs);
long do_physdev_op(struct cpu_regs *regs);
long do_memory_op(struct cpu_regs *regs);
long do_multicall(struct cpu_regs *regs);
long do_set_timer_op(struct cpu_regs *regs);
long do_vcpu_op(struct cpu_regs *regs);
long do_sched_op_timers(struct cpu_regs *regs);
long do_event_channel_op(struct cpu_regs *regs);
long do_set_gdt(struct cpu_regs *regs);
long do_update_descriptor(struct cpu_regs *regs);
long do_sysctl(struct cpu_regs *regs);
long do_set_debugreg(struct cpu_regs *regs);     /* arch/x86/pv/pv_debug.c */
long do_get_debugreg(struct cpu_regs *regs);

#endif /* MICA_HYPERCALL_H */
