/* SPDX-License-Identifier: MIT */
/*
 * Hypercall handlers.  The dispatcher (arch/x86/pv/hypercall.c) decodes the
 * guest's argument registers (rdi, rsi, rdx, r10, r8) into each handler's
 * typed parameters, as its table declares them; no handler sees the
 * register frame.  A handler returns the result for rax, a negative Xen
 * errno, or -ERESTART: the guest re-issues the call, with the arguments
 * hypercall_continue() rewrote to describe the work left (or the same ones).
 */
#ifndef MICA_HYPERCALL_H
#define MICA_HYPERCALL_H

#include <abi/xen.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/types.h>

#define HYPERCALL_MAX_ARGS 5

/* The one way a hypercall continues: the first n arguments of the call
 * the running vCPU is in (vcpu.hypercall_args, set by the dispatcher: the
 * guest's registers, or a multicall entry's arguments) become a[], the
 * rest stay, and the call is re-issued.  Returns -ERESTART. */
static inline long hypercall_continue_n(unsigned int n, const uint64_t *a)
{
    for (unsigned int i = 0; i < n; i++)
        current->hypercall_args[i] = a[i];
    return -ERESTART;
}
#define hypercall_continue(...)                                              \
    hypercall_continue_n(sizeof((uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t), \
                         (const uint64_t[]){ __VA_ARGS__ })

long do_set_trap_table(uint64_t table);
long do_mmu_update(uint64_t reqs, uint64_t count, uint64_t pdone, domid_t foreigndom);
long do_set_gdt(uint64_t frames, uint64_t entries);
long do_stack_switch(uint64_t ss, uint64_t sp);
long do_set_callbacks(uint64_t event, uint64_t failsafe, uint64_t syscall);
long do_fpu_taskswitch(uint64_t set);
long do_set_timer_op(uint64_t timeout);
long do_set_debugreg(uint64_t reg, uint64_t value);     /* arch/x86/pv/pv_debug.c */
long do_get_debugreg(uint64_t reg);
long do_update_descriptor(uint64_t maddr, uint64_t desc);
long do_memory_op(uint64_t cmd, uint64_t arg);
long do_multicall(uint64_t calls, uint64_t nr);
long do_update_va_mapping(uint64_t va, uint64_t val, uint64_t flags);
long do_xen_version(uint64_t cmd, uint64_t arg);
long do_console_io(uint64_t cmd, uint64_t count, uint64_t buf);
long do_vm_assist(uint64_t cmd, uint64_t type);
long do_set_segment_base(uint64_t which, uint64_t base);
long do_mmuext_op(uint64_t ops, uint64_t count, uint64_t pdone, domid_t foreigndom);
long do_callback_op(uint64_t cmd, uint64_t arg);
long do_vcpu_op(uint64_t cmd, uint64_t id, uint64_t arg);
long do_sched_op(uint64_t cmd, uint64_t arg);
long do_event_channel_op(uint32_t cmd, uint64_t arg);
long do_grant_table_op(uint32_t cmd, uint64_t uop, unsigned int count);
long do_physdev_op(uint32_t cmd, uint64_t arg);
long do_sysctl(uint64_t op);
long do_mica_control(uint64_t op);                      /* common/control.c */

#endif /* MICA_HYPERCALL_H */
