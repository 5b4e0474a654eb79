// SPDX-License-Identifier: MIT
/*
 * usermode: guest user mode, as Linux runs its processes.  The kernel
 * builds a user page table (MMUEXT_NEW_USER_BASEPTR) mapping one code and
 * one stack page in the low half, sets its kernel stack (stack_switch) and
 * enters user mode with HYPERVISOR_iret to a cs with RPL 3.  The user code
 * then makes a `syscall` -- which must reach the kernel's syscall callback,
 * on the kernel stack, in kernel mode -- or touches kernel memory, which the
 * user page table does not map: a #PF with the user bit for the kernel.
 * The callbacks jump straight back into the test that entered user mode.
 */
#include <abi/callback.h>
#include <abi/physdev.h>
#include "hypercall.h"
#include "kit.h"
#include "memory.h"
#include "traps.h"

#define USER_CODE  0x400000UL
#define USER_STACK 0x401000UL
#define SLOT_BUILD 13
#define USER_IO    (USER_CODE + 21)

/* What the callbacks saw. */
volatile uint64_t user_rax, user_frame_rip, user_frame_cs, user_frame_rflags, user_pf_error,
    callback_rsp;
/* Where to go back to (set by enter_user). */
volatile uint64_t resume_rsp, resume_rip;

static uint8_t kernel_stack[4096] __attribute__((aligned(16)));

void enter_user_flags(uint64_t rip, uint64_t rsp, uint64_t rflags);
#define enter_user(rip, rsp) enter_user_flags(rip, rsp, 0x202)
__asm__(".text\n"
        /* syscall callback: frame rcx, r11, rip, cs, rflags, rsp, ss */
        ".globl user_syscall_entry\n"
        "user_syscall_entry:\n"
        "    movq %rax, user_rax(%rip)\n"
        "    movq %rsp, callback_rsp(%rip)\n"
        "    movq 16(%rsp), %rax; movq %rax, user_frame_rip(%rip)\n"
        "    movq 24(%rsp), %rax; movq %rax, user_frame_cs(%rip)\n"
        "    movq 32(%rsp), %rax; movq %rax, user_frame_rflags(%rip)\n"
        "    jmp 2f\n"
        /* #PF handler: frame rcx, r11, error, rip, cs, ... */
        ".globl user_pf_entry\n"
        "user_pf_entry:\n"
        "    movq 16(%rsp), %rax; movq %rax, user_pf_error(%rip)\n"
        "    movq 24(%rsp), %rax; movq %rax, user_frame_rip(%rip)\n"
        "    movq 32(%rsp), %rax; movq %rax, user_frame_cs(%rip)\n"
        "2:  movq resume_rsp(%rip), %rsp\n"
        "    jmp *resume_rip(%rip)\n"
        /* enter_user_flags(rip, rsp, rflags): HYPERVISOR_iret to user
         * mode; comes back at 1: when a callback jumps to resume_rip. */
        ".globl enter_user_flags\n"
        "enter_user_flags:\n"
        "    pushq %rbx; pushq %rbp; pushq %r12; pushq %r13; pushq %r14; pushq %r15\n"
        "    movq %rsp, resume_rsp(%rip)\n"
        "    leaq 1f(%rip), %rax; movq %rax, resume_rip(%rip)\n"
        "    pushq $0xe02b\n"               /* ss */
        "    pushq %rsi\n"                  /* rsp */
        "    pushq %rdx\n"                  /* rflags */
        "    pushq $0xe033\n"               /* cs: RPL 3, user mode */
        "    pushq %rdi\n"                  /* rip */
        "    pushq $0; pushq $0; pushq $0; pushq $0\n"   /* flags rcx r11 rax */
        "    movl $23, %eax\n"
        "    syscall\n"
        "1:  popq %r15; popq %r14; popq %r13; popq %r12; popq %rbp; popq %rbx\n"
        "    ret\n");
extern char user_syscall_entry[], user_pf_entry[];

static uint64_t code_mfn;

/* A fresh frame holding `bytes`, mapped nowhere but where tables say. */
static uint64_t frame_with(const uint8_t *bytes, size_t n)
{
    uint64_t mfn = kit_scratch_fresh(SLOT_BUILD);

    if (mfn && n)
        memcpy((void *)kit_scratch_va(SLOT_BUILD), bytes, n);
    return mfn;
}

/* A fresh table frame with one entry, then read-only (it will be typed). */
static uint64_t table_with(unsigned int idx, uint64_t entry)
{
    uint64_t mfn = kit_scratch_fresh(SLOT_BUILD);

    if (!mfn)
        return 0;
    ((volatile uint64_t *)kit_scratch_va(SLOT_BUILD))[idx] = entry;
    return kit_scratch_map(SLOT_BUILD, mfn, PTE_RO) ? 0 : mfn;
}

static int user_page_table_is_accepted(void)
{
    static const uint8_t code[] = {
        0xb8, 0x55, 0, 0, 0,            /* mov $0x55, %eax */
        0x0f, 0x05,                     /* syscall */
        0x0f, 0x0b,                     /* ud2 (never reached) */
        0x48, 0xa1, 0, 0, 0x10, 0x80, 0xff, 0xff, 0xff, 0xff, /* movabs 0xffffffff80100000, %rax */
        0x0f, 0x0b,
        /* USER_IO (21): what a virtual IOPL of 3 lets user mode do */
        0xfa, 0xfb,                     /* cli; sti */
        0x66, 0xba, 0x80, 0x00,         /* mov $0x80, %dx */
        0xec,                           /* in (%dx), %al */
        0xb8, 0x66, 0, 0, 0,            /* mov $0x66, %eax */
        0x0f, 0x05,                     /* syscall */
        0x0f, 0x0b,
    };
    const uint64_t user = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;

    code_mfn = frame_with(code, sizeof(code));
    uint64_t stack = frame_with(NULL, 0);
    expect_true(code_mfn && stack, "fresh frames");
    expect_ok(kit_scratch_restore(SLOT_BUILD), "restore the build slot");
    uint64_t l1 = table_with(0, pte(code_mfn, user));
    expect_true(l1 != 0, "L1");
    /* Entry 1 of the same L1: the stack, writable. */
    expect_ok(kit_mmu_update1(pte(l1, 0) + 8, MMU_NORMAL_PT_UPDATE,
                              pte(stack, user | _PAGE_RW | _PAGE_DIRTY)), "stack entry");
    uint64_t l2 = table_with(2, pte(l1, user | _PAGE_RW));     /* 0x400000 */
    uint64_t l3 = table_with(0, pte(l2, user | _PAGE_RW));
    uint64_t l4 = table_with(0, pte(l3, user | _PAGE_RW));
    expect_true(l2 && l3 && l4, "L2-L4");
    expect_ok(kit_mmuext1(MMUEXT_NEW_USER_BASEPTR, l4), "NEW_USER_BASEPTR validates it");
    return KIT_PASS;
}

static int user_syscall_reaches_the_syscall_callback(void)
{
    struct callback_register cb = { .type = CALLBACKTYPE_syscall,
                                    .address = (uint64_t)user_syscall_entry };

    expect_ok(_hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_register, KIT_UL(&cb)),
              "syscall callback");
    expect_ok(_hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS,
                          (uint64_t)&kernel_stack[sizeof(kernel_stack)]), "stack_switch");
    user_rax = 0;
    enter_user(USER_CODE, USER_STACK + 4096);
    expect_eq(user_rax, 0x55, "rax from user mode");
    expect_eq(user_frame_rip, USER_CODE + 7, "frame rip: after the user's syscall");
    expect_eq(user_frame_cs & 0xffff, 0xe033, "frame cs: user mode (RPL 3)");
    expect_true(callback_rsp >= (uint64_t)kernel_stack &&
                callback_rsp < (uint64_t)&kernel_stack[sizeof(kernel_stack)],
                "the callback ran on the kernel stack from stack_switch");
    return KIT_PASS;
}

static int user_mode_cannot_reach_kernel_memory(void)
{
    struct trap_info t[] = {
        { .vector = 14, .cs = FLAT_KERNEL_CS, .address = (uint64_t)user_pf_entry },
        { 0 },
    };
    volatile struct vcpu_info *vi = kit_vcpu_info();

    expect_true(vi != NULL, "shared_info mapped");
    expect_ok(HYPERVISOR_set_trap_table(t), "#PF handler");
    user_pf_error = 0;
    enter_user(USER_CODE + 9, USER_STACK + 4096);     /* the movabs */
    expect_eq(user_frame_rip, USER_CODE + 9, "frame rip: the load (a fault)");
    expect_eq(user_frame_cs & 0xffff, 0xe033, "from user mode");
    expect_eq(user_pf_error & 5, 4, "error code: user, not present");
    expect_eq(vi->arch.cr2, 0xffffffff80100000UL, "cr2: the kernel address");
    return KIT_PASS;
}

static long set_iopl(uint32_t iopl)
{
    struct physdev_set_iopl op = { .iopl = iopl };

    return _hypercall2(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, KIT_UL(&op));
}

/* Xen's rule: the virtual IOPL is compared with CPL 1 for the kernel and
 * CPL 3 for user mode, so cli/sti and port I/O in user mode need 3. */
static int user_cli_and_port_io_need_virtual_iopl_3(void)
{
    struct trap_info t[] = {
        { .vector = 13, .cs = FLAT_KERNEL_CS, .address = (uint64_t)user_pf_entry },
        { 0 },
    };

    expect_ok(HYPERVISOR_set_trap_table(t), "#GP handler");
    expect_ok(set_iopl(3), "virtual IOPL 3");
    user_rax = 0;
    user_frame_rip = 0;
    enter_user(USER_IO, USER_STACK + 4096);
    expect_eq(user_rax, 0x66, "cli, sti, in: no #GP, the syscall reached");
    expect_ok(set_iopl(1), "virtual IOPL 1");
    user_rax = 0;
    user_pf_error = ~0UL;
    enter_user(USER_IO, USER_STACK + 4096);
    expect_eq(user_rax, 0, "the syscall is not reached");
    expect_eq(user_frame_rip, USER_IO, "#GP on the user's cli");
    expect_eq(user_pf_error, 0, "#GP(0)");
    expect_ok(set_iopl(0), "virtual IOPL back to 0");
    return KIT_PASS;
}

/* VMASST_TYPE_architectural_iopl (Xen 4.7 on): the virtual IOPL is the one
 * in HYPERVISOR_iret's rflags and shows in the bounce frame's, and the
 * kernel counts as CPL 0, so its own cli and port I/O never need it. */
static int architectural_iopl_comes_from_the_iret_frame(void)
{
    struct trap_info t[] = {
        { .vector = 13, .cs = FLAT_KERNEL_CS, .address = (uint64_t)user_pf_entry },
        { 0 },
    };

    expect_ok(set_iopl(0), "virtual IOPL 0");
    expect_ok(HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_architectural_iopl),
              "enable architectural_iopl");
    expect_ok(HYPERVISOR_set_trap_table(t), "#GP handler");
    user_rax = 0;
    enter_user_flags(USER_IO, USER_STACK + 4096, 0x3202);
    expect_eq(user_rax, 0x66, "IOPL 3 from the iret frame: cli, sti, in allowed");
    expect_eq(user_frame_rflags & X86_EFLAGS_IOPL, X86_EFLAGS_IOPL,
              "the syscall frame shows IOPL 3");
    user_rax = 0;
    user_pf_error = ~0UL;
    enter_user_flags(USER_IO, USER_STACK + 4096, 0x1202);
    expect_eq(user_rax, 0, "IOPL 1 from the iret frame: the syscall is not reached");
    expect_eq(user_frame_rip, USER_IO, "#GP on the user's cli");
    expect_eq(user_pf_error, 0, "#GP(0)");
    /* The kernel at virtual IOPL 1 with the assist: CPL 0, allowed. */
    expect_ok(kit_traps_install(NULL), "kit trap table");
    KIT_PROBE("cli", : : : KIT_RESUME_CLOBBERS);
    expect_eq(kit_trap_count, 0, "the kernel's cli traps");
    KIT_PROBE("inb $0x80, %%al", : : : "rax", KIT_RESUME_CLOBBERS);
    expect_eq(kit_trap_count, 0, "the kernel's in traps");
    expect_ok(HYPERVISOR_vm_assist(VMASST_CMD_disable, VMASST_TYPE_architectural_iopl),
              "disable architectural_iopl");
    expect_ok(set_iopl(0), "virtual IOPL back to 0");
    KIT_PROBE("cli", : : : KIT_RESUME_CLOBBERS);
    expect_eq(kit_trap_count, 1, "without the assist, IOPL 0: the kernel's cli traps");
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "user_page_table_is_accepted", user_page_table_is_accepted, KIT_MM },
    { "user_syscall_reaches_the_syscall_callback", user_syscall_reaches_the_syscall_callback, 0 },
    { "user_mode_cannot_reach_kernel_memory", user_mode_cannot_reach_kernel_memory,
      KIT_HOSTILE },
    { "architectural_iopl_comes_from_the_iret_frame",
      architectural_iopl_comes_from_the_iret_frame, 0 },
    { "user_cli_and_port_io_need_virtual_iopl_3", user_cli_and_port_io_need_virtual_iopl_3,
      KIT_HOSTILE },
};

KIT_KERNEL("usermode", tests);
