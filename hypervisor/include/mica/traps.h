/* SPDX-License-Identifier: MIT */
/* CPU descriptor tables, exception handling and backtraces. */
#ifndef MICA_TRAPS_H
#define MICA_TRAPS_H

#include <mica/types.h>

struct cpu_regs;

/* Load the GDT (Xen's reserved-entry layout), TSS and IDT on this CPU. */
void traps_init(void);
/* Called by the entry stubs for every exception and interrupt. */
void exception_handler(struct cpu_regs *regs);
/* "page fault", "general protection", ... for vectors 0-31. */
const char *exception_name(uint64_t vector);
/* The LDT window (desc.c): 16 pages, and the LDT selector 0xe050. */
#define LDT_WINDOW_PAGES 16
#define LDT_SELECTOR 0xe050
void *ldt_window_page(unsigned int i);
void ldt_load(uint64_t nr_ents);
void tss_set_rsp0(uint64_t top);
/* A guest GDT: up to 14 frames of its own below Mica's reserved entries;
 * the GDT page that shows guest descriptor frame i (0..13). */
#define MAX_GDT_FRAMES 14       /* FIRST_RESERVED_GDT_ENTRY / 512 */
void *gdt_guest_page(unsigned int i);
/* The legacy PIC: let COM1's IRQ through; acknowledge an IRQ. */
void i8259_unmask_serial(void);
void i8259_eoi(void);
/* Set the SYSCALL MSRs so guest hypercalls reach syscall_entry. */
void syscall_init(void);
/* Learn what FXRSTOR accepts (arch/x86/pv/context.c); after paging_init. */
void fpu_init(void);
/* An exception raised by the guest (arch/x86/pv/pv_run.c). */
void guest_trap(struct cpu_regs *regs);
/* Print the frame-pointer chain starting at rbp, symbolized. */
void dump_backtrace(uint64_t rbp);
/* Trigger a deliberate fault (debug_fault= on the command line). */
enum debug_fault;
void debug_fault_trigger(enum debug_fault kind);

/* Whether [lo, hi) lies inside the boot stack or an IST stack (a vCPU's
 * own: vcpu_stack_contains). */
bool stack_contains(uint64_t lo, uint64_t hi);
/* The stack the CPU enters the hypervisor on from a guest (desc.c). */
extern uint64_t cpu_stack_top;

/* Symbol lookup for backtraces: the name containing addr, or NULL. */
const char *symbol_lookup(uint64_t addr, uint64_t *offset, uint64_t *size);

#endif /* MICA_TRAPS_H */
