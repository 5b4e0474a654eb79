/* SPDX-License-Identifier: MIT */
/*
 * Fatal exception reports.  Until guests run, any exception or interrupt
 * taken in the hypervisor is a bug: print everything needed to find it
 * (vector, error code, all registers, control registers, a symbolized
 * backtrace and which context faulted), then power off.  A fault inside
 * this code must not loop, so a second entry only prints one line.
 */
#include <mica/cmdline.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/event.h>
#include <mica/extable.h>
#include <mica/serial.h>
#include <mica/pv.h>
#include <mica/sched.h>
#include <mica/time.h>
#include <mica/power.h>
#include <mica/printk.h>
#include <mica/traps.h>
#include <mica/x86.h>

static const char *const vector_names[X86_NR_EXCEPTIONS] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow",
    "bound range", "invalid opcode", "device not available", "double fault",
    "coprocessor overrun", "invalid TSS", "segment not present",
    "stack fault", "general protection", "page fault", "reserved",
    "x87 floating point", "alignment check", "machine check",
    "SIMD floating point", "virtualization", "control protection",
    [29] = "VMM communication", [30] = "security",
};

static bool in_fatal;

const char *exception_name(uint64_t vector)
{
    const char *n = vector < X86_NR_EXCEPTIONS ? vector_names[vector] : NULL;
    return n ? n : "reserved";
}

extern const char guest_iret_insn[], exception_iret_insn[];
extern const struct ex_entry __ex_table_start[], __ex_table_end[];

uint64_t extable_fixup(uint64_t rip)
{
    for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++)
        if (e->insn == rip)
            return e->fixup;
    return 0;
}

static void print_addr(const char *label, uint64_t addr)
{
    uint64_t off, size;
    const char *name = symbol_lookup(addr, &off, &size);

    if (name)
        fatal_printk("%s[<%016lx>] %s+%#lx/%#lx", label, addr, name, off, size);
    else
        fatal_printk("%s[<%016lx>]", label, addr);
}

void dump_backtrace(uint64_t rbp)
{
    fatal_printk("Backtrace:");
    /* Follow saved frame pointers while they stay inside a known stack and
     * move upwards; a corrupt chain ends the walk instead of faulting. */
    for (unsigned int depth = 0; depth < 32 && rbp; depth++) {
        if ((rbp & 7) || !(stack_contains(rbp, rbp + 16) || vcpu_stack_contains(rbp, rbp + 16)))
            break;
        uint64_t next = ((uint64_t *)rbp)[0];
        uint64_t ret = ((uint64_t *)rbp)[1];
        if (!ret)
            break;
        print_addr("   ", ret);
        if (next <= rbp)
            break;
        rbp = next;
    }
}

static void print_error_code(const struct cpu_regs *r)
{
    if (r->vector == X86_EXC_PF) {
        uint64_t e = r->error_code;
        fatal_printk("Error code: %04lx (%s, %s, %s%s%s)", e,
                     e & 1 ? "protection violation" : "page not present",
                     e & 2 ? "write" : "read",
                     e & 4 ? "user mode" : "supervisor mode",
                     e & 8 ? ", reserved bit set" : "",
                     e & 16 ? ", instruction fetch" : "");
        fatal_printk("Faulting address (CR2): %016lx", read_cr2());
    } else {
        fatal_printk("Error code: %04lx", r->error_code);
    }
}

static void dump_regs(const struct cpu_regs *r)
{
    char label[24];

    mica_snprintf(label, sizeof(label), "RIP:    %04lx:", r->cs);
    print_addr(label, r->rip);
    fatal_printk("CS: %04lx  RFLAGS: %016lx  RSP: %016lx  SS: %04lx",
                 r->cs, r->rflags, r->rsp, r->ss);
    fatal_printk("rax: %016lx   rbx: %016lx   rcx: %016lx", r->rax, r->rbx, r->rcx);
    fatal_printk("rdx: %016lx   rsi: %016lx   rdi: %016lx", r->rdx, r->rsi, r->rdi);
    fatal_printk("rbp: %016lx   r8:  %016lx   r9:  %016lx", r->rbp, r->r8, r->r9);
    fatal_printk("r10: %016lx   r11: %016lx   r12: %016lx", r->r10, r->r11, r->r12);
    fatal_printk("r13: %016lx   r14: %016lx   r15: %016lx", r->r13, r->r14, r->r15);
    fatal_printk("cr0: %016lx   cr2: %016lx   cr3: %016lx", read_cr0(), read_cr2(), read_cr3());
    fatal_printk("cr4: %016lx   efer: %016lx", read_cr4(), rdmsr(MSR_EFER));
}

void exception_handler(struct cpu_regs *r)
{
    /* A fault on a guest-chosen value where Mica expects one (a copy from
     * a guest address, a selector, an MSR, an FPU image): the load fails at
     * its fixup -- after the guest's LDT page is mapped and the load
     * retried, if that is what it lacked (mica/extable.h).  Only the
     * faults such a value raises (#TS, #NP, #SS, #GP, #PF): an NMI, #DB or
     * #MC that happens to arrive on a listed instruction is not its fault. */
    uint64_t fixup;
    if (r->vector >= X86_EXC_TS && r->vector <= X86_EXC_PF && (r->cs & 3) == 0 && !in_fatal &&
        (fixup = extable_fixup(r->rip))) {
        if (r->vector != X86_EXC_PF || !pv_ldt_fault_in_hypervisor())
            r->rip = fixup;
        return;
    }
    /* A guest's breakpoint that fired in ring 0 (arch/x86/pv/pv_debug.c). */
    if (r->vector == X86_EXC_DB && (r->cs & 3) == 0 && !in_fatal) {
        pv_debug_trap_in_hypervisor();
        return;
    }
    /* The IRETQ back to the guest faulted: the frame it was given holds
     * something the CPU refuses (a non-canonical RIP).  The guest's doing,
     * so the guest pays: its domain is crashed, the hypervisor carries on. */
    if ((r->rip == (uint64_t)guest_iret_insn || r->rip == (uint64_t)exception_iret_insn) &&
        current && !in_fatal) {
        char why[80];
        /* A selector in the guest's LDT whose page is not mapped yet. */
        if (r->vector == X86_EXC_PF && pv_ldt_fault_in_hypervisor())
            return;
        mica_snprintf(why, sizeof(why), "return to an invalid context (%s at the iret)",
                      exception_name(r->vector));
        domain_crash(current->domain, why);
    }
    /* The local APIC timer: vCPU deadlines and the end of a slice.  From
     * guest context, the way back may switch vCPUs and deliver events. */
    if (r->vector == TIMER_VECTOR && !in_fatal) {
        lapic_eoi();
        sched_tick();
        console_tick();
        if ((r->cs & 3) == 3)
            pv_exit_to_guest(r);
        return;
    }
    /* COM1 input: to the console that has the focus (common/console.c). */
    if (r->vector == SERIAL_VECTOR && !in_fatal) {
        serial_rx_interrupt();
        i8259_eoi();
        console_rx();
        if ((r->cs & 3) == 3)
            pv_exit_to_guest(r);
        return;
    }
    /* A device interrupt: none is enabled, so this is a spurious one (the
     * 8259's IRQ 7 or 15 while masked).  Say so once and carry on. */
    if (r->vector >= X86_NR_EXCEPTIONS && !in_fatal) {
        static bool said;
        if (!said)
            pr_warn("ignoring unexpected interrupt vector %lu", r->vector);
        said = true;
        return;
    }
    /* Raised by the guest (ring 3): the guest's business, never ours. */
    if ((r->cs & 3) == 3 && !in_fatal) {
        guest_trap(r);
        return;
    }
    if (in_fatal) {
        fatal_printk("nested exception %lu at %016lx while reporting one; halting",
                     r->vector, r->rip);
        machine_power_off(MICA_EXIT_PANIC);
    }
    in_fatal = true;
    log_set_console(true);

    const char *name = r->vector < X86_NR_EXCEPTIONS ? vector_names[r->vector] : "external interrupt";
    fatal_printk("----[ Mica fatal exception ]----");
    fatal_printk("FATAL TRAP: vector %lu (%s) in the hypervisor, CPU 0",
                 r->vector, name ? name : "reserved");
    fatal_printk("Context: hypervisor (no guest running)");
    print_error_code(r);
    dump_regs(r);
    print_addr("Faulting instruction: ", r->rip);
    dump_backtrace(r->rbp);
    fatal_printk("----[ end of report; powering off ]----");
    machine_power_off(MICA_EXIT_PANIC);
}

/* Deliberate faults for the system tests (debug_fault=...).  noinline and
 * volatile keep the compiler from folding the faults away. */
__attribute__((noinline)) void debug_fault_trigger(enum debug_fault kind)
{
    volatile uint64_t zero = 0;

    switch (kind) {
    case DEBUG_FAULT_PF: *(volatile uint64_t *)0xffff8080deadb000ULL = 0x1234; break;   /* #PF */
    case DEBUG_FAULT_GP: *(volatile uint64_t *)0x8000000000000000ULL = 1; break;        /* #GP */
    case DEBUG_FAULT_UD: __asm__ volatile("ud2"); break;
    case DEBUG_FAULT_DE: __asm__ volatile("divq %0" : : "r"(zero) : "rax", "rdx"); break;
    case DEBUG_FAULT_BP: __asm__ volatile("int3"); break;
    case DEBUG_FAULT_PANIC: panic("deliberate panic requested by debug_fault=panic"); break;
    default: break;
    }
}
