/* SPDX-License-Identifier: MIT */
/*
 * Taking exceptions in a kit kernel (traps.c, traps.asm).  kit_traps_install()
 * registers one entry stub per vector 0-31 with set_trap_table.  A stub
 * records what the hypervisor handed it -- the bounce frame (rcx, r11,
 * [error code], rip, cs | mask << 32, rflags, rsp, ss), the registers and
 * flags the handler started with, cr2 and the upcall mask -- in
 * kit_trap_last, then returns with HYPERVISOR_iret, as Linux's xen_iret does
 * (flags 0, so rcx and r11 come back from the frame).
 *
 * Where it returns to is the test's choice, made before the instruction:
 *
 *     kit_trap_arm(0);
 *     __asm__ volatile(KIT_RESUME_AFTER "cli" KIT_RESUME_LABEL ::: KIT_RESUME_CLOBBERS);
 *     expect_eq(kit_trap_count, 1, "traps taken by cli");
 *
 * continues after `cli` whether or not it trapped.  kit_trap_arm(n) first
 * returns n times to the faulting instruction (a retry, e.g. after #NM),
 * then to the resume address.  A trap while not armed is a bug in the test:
 * the kit prints what it saw and crashes the domain.
 */
#ifndef KIT_TRAPS_H
#define KIT_TRAPS_H

#include "hypercall.h"
#include "kit.h"

#define KIT_NR_TRAP_STUBS 32
#define X86_EFLAGS_CF   (1UL << 0)
#define X86_EFLAGS_TF   (1UL << 8)
#define X86_EFLAGS_IF   (1UL << 9)
#define X86_EFLAGS_DF   (1UL << 10)
#define X86_EFLAGS_IOPL (3UL << 12)
#define X86_EFLAGS_NT   (1UL << 14)
#define X86_EFLAGS_AC   (1UL << 18)

/* What the last trap delivered. */
struct kit_trap {
    uint64_t vector;
    bool has_error;             /* the frame has an error-code slot */
    uint64_t error_code;
    uint64_t rcx, r11;          /* the frame's saved rcx/r11 slots */
    uint64_t rip, cs, rflags, rsp, ss;
    uint64_t frame;             /* VA of the frame: the handler's entry rsp */
    uint64_t handler_rflags;    /* rflags the handler started with */
    uint64_t handler_cs, handler_ss;
    uint64_t rax, rbx, rdx, rsi, rdi, rbp, r8, r9, r10, r12, r13, r14, r15; /* at entry */
    uint64_t cr2;               /* vcpu_info.arch.cr2 (0 if shared_info is unmapped) */
    int upcall_mask;            /* vcpu_info.evtchn_upcall_mask in the handler, or -1 */
};
extern volatile struct kit_trap kit_trap_last;
extern volatile unsigned int kit_trap_count;
extern volatile uint64_t kit_trap_resume;

/* The stubs (traps.asm), one per vector; stub n expects vector n's frame. */
extern const uint64_t kit_trap_stubs[KIT_NR_TRAP_STUBS];

/* set_trap_table with every stub (trap_info flags 0: events not masked);
 * flags_for[v] (may be NULL) overrides the flags of vector v. */
long kit_traps_install(const uint8_t *flags_for);
static inline long HYPERVISOR_set_trap_table(const struct trap_info *table)
{
    return _hypercall1(__HYPERVISOR_set_trap_table, KIT_UL(table));
}

void kit_trap_arm(unsigned int retries);
void kit_trap_disarm(void);

/* Put the label after the probed instruction into kit_trap_resume. */
#define KIT_RESUME_AFTER "leaq 1f(%%rip), %%r11\n\tmovq %%r11, kit_trap_resume(%%rip)\n\t"
#define KIT_RESUME_LABEL "\n1:\n\t"
#define KIT_RESUME_CLOBBERS "r11", "memory"

/* KIT_PROBE(insn, outputs : inputs : clobbers): arm (no retries), note the
 * instruction's address in kit_trap_probe_insn, run insn, resume after it.
 * The clobbers must include KIT_RESUME_CLOBBERS. */
extern volatile uint64_t kit_trap_probe_insn;
#define KIT_PROBE(insn, ...)                                                 \
    do {                                                                     \
        kit_trap_arm(0);                                                     \
        __asm__ volatile(KIT_RESUME_AFTER                                    \
                         "leaq 2f(%%rip), %%r11\n\t"                         \
                         "movq %%r11, kit_trap_probe_insn(%%rip)\n"           \
                         "2:\t" insn KIT_RESUME_LABEL __VA_ARGS__);           \
        kit_trap_disarm();                                                   \
    } while (0)

/* vcpu 0's vcpu_info, through shared_info mapped at scratch slot
 * KIT_SHINFO_SLOT (memory.h); NULL if that mapping failed. */
#define KIT_SHINFO_SLOT 31
struct vcpu_info *kit_vcpu_info(void);

/* traps.asm probes. */
/* Load a pattern into every general register, std/stc, ud2; on return
 * store them (out[0..14]: rax rbx rcx rdx rsi rdi rbp r8-r15), rsp
 * (out[15]) and rflags (out[16]); the pattern of register i is
 * KIT_REG_PATTERN(i), and rsp must come back as it was (out[17]). */
#define KIT_REG_PATTERN(i) (0x0101010101010101UL * (0x10 + (i)))
void kit_trap_regs_probe(uint64_t out[18]);
extern const char kit_trap_regs_probe_insn[];

/* HYPERVISOR_iret with iret_context {rax 0xa1, r11 0xb1, rcx 0xc1, flags,
 * rip = just after, cs, rflags, rsp = the current one, ss}; stores after
 * the return: out[0] rax, [1] rcx, [2] r11, [3] rflags, [4] cs, [5] ss,
 * [6] rsp, [7] the rsp it asked for, [8] the rip it asked for.  As in
 * Xen, cs with RPL 3 asks for a return to guest USER mode: a kernel-mode
 * return passes FLAT_KERNEL_CS & ~3, as the bounce frame does. */
void kit_iret_probe(uint64_t flags, uint64_t rflags, uint64_t out[9], uint64_t cs,
                    uint64_t ss);

static inline void kit_xen_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c,
                                 uint32_t *d)
{
    __asm__ volatile(XEN_CPUID : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static inline void kit_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

#endif /* KIT_TRAPS_H */
