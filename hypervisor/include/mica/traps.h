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
/* Print the frame-pointer chain starting at rbp, symbolized. */
void dump_backtrace(uint64_t rbp);
/* Trigger a deliberate fault (debug_fault= on the command line). */
enum debug_fault;
void debug_fault_trigger(enum debug_fault kind);

/* Whether [lo, hi) lies inside one of the hypervisor's stacks. */
bool stack_contains(uint64_t lo, uint64_t hi);

/* Symbol lookup for backtraces: the name containing addr, or NULL. */
const char *symbol_lookup(uint64_t addr, uint64_t *offset, uint64_t *size);

#endif /* MICA_TRAPS_H */
