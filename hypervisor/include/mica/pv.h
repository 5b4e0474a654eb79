/* SPDX-License-Identifier: MIT */
/* Exceptions and callbacks of a 64-bit PV vCPU (arch/x86/pv/pv_traps.c). */
#ifndef MICA_PV_H
#define MICA_PV_H

#include <mica/domain.h>

/* A frame's vector field for entries by `syscall`: leave by SYSRET. */
#define TRAP_SYSCALL 0x100

/* Deliver exception `vector` to the guest's handler from its trap table
 * (the domain is crashed if it has none or the frame cannot be written). */
void pv_inject_exception(struct vcpu *v, struct cpu_regs *r, unsigned int vector,
                         uint64_t error_code);
/* #GP from `int $n`: deliver the software interrupt or the right #GP. */
bool pv_emulate_int(struct vcpu *v, struct cpu_regs *r);
/* `syscall` executed in guest user mode: enter the guest kernel. */
void pv_user_syscall(struct vcpu *v, struct cpu_regs *r);
/* Before returning to the guest: deliver a pending, unmasked event. */
void pv_deliver_events(struct vcpu *v, struct cpu_regs *r);
/* HYPERVISOR_iret: never a normal result, so outside the table. */
void do_iret(struct cpu_regs *regs);
/* #UD with Xen's forced-emulation prefix: emulate CPUID. */
bool pv_emulate_cpuid(struct vcpu *v, struct cpu_regs *r);
/* #GP(0) in guest kernel mode: emulate the privileged instructions a PV
 * kernel relies on (allowed MSRs, CR0/CR4 moves, hlt, wbinvd); false means
 * the #GP is the guest's. */
bool pv_emulate_privop(struct vcpu *v, struct cpu_regs *r);

/* The LDT (arch/x86/pv/pv_desc.c): set, load v's into the CPU (NULL: none),
 * forget a vCPU that goes away, drop the lazily made mappings, and the
 * page faults that make one: the guest's own, and one in the hypervisor
 * on a load with a fixup (true: mapped, retry). */
struct pt_ctx;
long pv_set_ldt(struct pt_ctx *c, struct vcpu *v, uint64_t base, uint64_t ents);
void pv_ldt_load(struct vcpu *v);
void pv_ldt_forget(struct vcpu *v);
void pv_ldt_drop(struct pt_ctx *c, struct vcpu *v);
bool pv_ldt_fault(struct vcpu *v, struct cpu_regs *r);
bool pv_ldt_fault_in_hypervisor(void);

/* GDT frames of a vCPU (set_gdt, VCPUOP_initialise), and its page-table
 * bases (a validated L4 each; user INVALID_MFN = none); each all or
 * nothing.  set_gdt also in two steps, for a caller that takes more than
 * the GDT before it commits: pv_gdt_take takes a type reference on every
 * frame (all or none), then pv_gdt_commit installs them on v (letting the
 * old go) or pv_gdt_release gives them back. */
struct pv_gdt {
    mfn_t frames[MAX_GDT_FRAMES];
    unsigned int nr;
};
long pv_gdt_take(struct domain *d, const uint64_t *frames, uint64_t entries, struct pv_gdt *g);
void pv_gdt_commit(struct vcpu *v, const struct pv_gdt *g);
void pv_gdt_release(struct domain *d, struct pv_gdt *g);
long pv_vcpu_set_gdt(struct vcpu *v, const uint64_t *frames, uint64_t entries);
long pv_vcpu_set_baseptrs(struct vcpu *v, mfn_t kernel, mfn_t user);

/* Debug registers (arch/x86/pv/pv_debug.c): set/get as the guest would
 * (0 or a negative errno, see mica/debugreg.h), load/unload v's on a
 * context switch, and a #DB from the guest or in ring 0. */
int pv_debug_set(struct vcpu *v, unsigned int reg, uint64_t value);
int pv_debug_get(struct vcpu *v, unsigned int reg, uint64_t *value);
void pv_debug_load(struct vcpu *v);
void pv_debug_save(struct vcpu *v);
void pv_debug_trap(struct vcpu *v);
void pv_debug_trap_in_hypervisor(void);

/* VMASST_TYPE_architectural_iopl: the virtual IOPL is the one in the
 * guest's iret and bounce frames, and its kernel counts as CPL 0. */
static inline bool pv_architectural_iopl(const struct vcpu *v)
{
    return v->domain->vm_assist & (1UL << VMASST_TYPE_architectural_iopl);
}

/* Leave for the guest with this frame (arch/x86/pv/guest_entry.asm). */
void guest_exit(struct cpu_regs *regs) __attribute__((noreturn));
/* v's guest registers: its saved context, or the frame on its stack once
 * it has run (arch/x86/pv/context.c). */
struct cpu_regs *vcpu_guest_regs(struct vcpu *v);
/* Last stop before a guest runs: switch vCPUs if due, then deliver the
 * running one's events. */
void pv_exit_to_guest(struct cpu_regs *r);
/* Guest RFLAGS as the CPU will load them: IF on, IOPL 0, no VM/NT. */
#define GUEST_RFLAGS_KEEP 0x00000cd5UL  /* CF PF AF ZF SF TF DF OF */


#endif /* MICA_PV_H */
