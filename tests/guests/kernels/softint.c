// SPDX-License-Identifier: MIT
/*
 * softint: `int $n` from the guest kernel.  Mica's IDT lets only int3 and
 * into through from ring 3, so every other `int $n` is emulated from the
 * #GP it raises: the vector is read from the instruction (not from QEMU's
 * error code), a trap-table entry whose DPL allows the guest kernel (1 or
 * more) gets it after the instruction, int $0x80 goes to its handler
 * whatever the DPL (Xen's fast path), and anything else is a #GP for the
 * guest with the error code the hardware would give.
 */
#include "hypercall.h"
#include "kit.h"
#include "traps.h"

volatile unsigned int hits_80, hits_81;
volatile uint64_t frame_rip_81;

/* Handlers: count, note the bounce frame's rip (after rcx and r11), iret. */
__asm__(".text\n"
        ".globl softint_80, softint_81\n"
        "softint_80:\n"
        "    lock incl hits_80(%rip)\n"
        "    jmp 1f\n"
        "softint_81:\n"
        "    lock incl hits_81(%rip)\n"
        "    pushq %rax\n"
        "    movq 24(%rsp), %rax\n"         /* rip: above rax, rcx, r11 */
        "    movq %rax, frame_rip_81(%rip)\n"
        "    popq %rax\n"
        "1:  popq %rcx; popq %r11\n"
        "    pushq $0; pushq %rcx; pushq %r11; pushq %rax\n"
        "    movl $23, %eax\n"
        "    syscall\n");
extern char softint_80[], softint_81[];

static int handlers_installed(void)
{
    struct trap_info t[] = {
        { .vector = 0x81, .flags = 1, .cs = FLAT_KERNEL_CS, .address = (uint64_t)softint_81 },
        { .vector = 0x80, .flags = 0, .cs = FLAT_KERNEL_CS, .address = (uint64_t)softint_80 },
        { .vector = 0x82, .flags = 0, .cs = FLAT_KERNEL_CS, .address = (uint64_t)softint_81 },
        { 0 },
    };
    expect_ok(kit_traps_install(NULL), "the kit's exception stubs");
    expect_ok(HYPERVISOR_set_trap_table(t), "software-interrupt entries");
    return KIT_PASS;
}

static int int_with_dpl1_gate_reaches_its_handler(void)
{
    uint64_t after;

    __asm__ volatile("int $0x81\n\t"
                     "1: leaq 1b(%%rip), %0" : "=r"(after) : : "memory");
    expect_eq(hits_81, 1, "handler for 0x81 ran once");
    expect_eq(frame_rip_81, after, "frame rip is after the int (a trap)");
    return KIT_PASS;
}

static int int_0x80_reaches_its_handler_whatever_the_dpl(void)
{
    __asm__ volatile("int $0x80" ::: "memory");
    expect_eq(hits_80, 1, "handler for 0x80 ran once");
    return KIT_PASS;
}

static int int_with_dpl0_gate_is_gp_with_exact_error_code(void)
{
    KIT_PROBE("int $0x82", : : : KIT_RESUME_CLOBBERS);
    expect_eq(kit_trap_count, 1, "traps taken");
    expect_eq(kit_trap_last.vector, 13, "#GP");
    expect_eq(kit_trap_last.error_code, (0x82 << 3) | 2, "error code: vector 0x82, IDT");
    expect_eq(kit_trap_last.rip, kit_trap_probe_insn, "rip at the int (a fault)");
    expect_eq(hits_81, 1, "the DPL-0 handler did not run");
    return KIT_PASS;
}

static int int_without_handler_is_gp_with_exact_error_code(void)
{
    KIT_PROBE("int $0x40", : : : KIT_RESUME_CLOBBERS);
    expect_eq(kit_trap_count, 1, "traps taken");
    expect_eq(kit_trap_last.vector, 13, "#GP");
    expect_eq(kit_trap_last.error_code, (0x40 << 3) | 2, "error code: vector 0x40, IDT");
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "handlers_installed", handlers_installed, 0 },
    { "int_with_dpl1_gate_reaches_its_handler", int_with_dpl1_gate_reaches_its_handler, 0 },
    { "int_0x80_reaches_its_handler_whatever_the_dpl",
      int_0x80_reaches_its_handler_whatever_the_dpl, 0 },
    { "int_with_dpl0_gate_is_gp_with_exact_error_code",
      int_with_dpl0_gate_is_gp_with_exact_error_code, KIT_HOSTILE },
    { "int_without_handler_is_gp_with_exact_error_code",
      int_without_handler_is_gp_with_exact_error_code, KIT_HOSTILE },
};

KIT_KERNEL("softint", tests);
