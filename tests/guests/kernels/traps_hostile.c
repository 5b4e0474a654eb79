// SPDX-License-Identifier: MIT
/*
 * traps_hostile: exceptions the hypervisor cannot deliver, and returns it
 * cannot make, must crash the domain -- never the hypervisor, and never by
 * writing a bounce frame where the guest may not write.  Each test is
 * KIT_CRASHES, so one boot runs one of them (kit.only=<name>); the first,
 * ordinary test proves the trap table works, so that the crash can only
 * come from what the crash test does.  Expected console:
 *   (d0) kit: PASS trap_table_delivers_ud2        (when selected)
 *   (d0) kit: EXPECT CRASH <name>
 *   (mica) ... domain 0 crashed: <why> ...
 * and never "kit: FAIL" or a hypervisor panic.
 */
#include <abi/vcpu.h>
#include "hypercall.h"
#include "kit.h"
#include "memory.h"
#include "traps.h"

#define HV_TEXT 0xffff82d040000000UL

static int trap_table_delivers_ud2(void)
{
    expect_ok(kit_traps_install(NULL), "set_trap_table");
    KIT_PROBE("ud2", : : : KIT_RESUME_CLOBBERS);
    expect_eq(kit_trap_count, 1, "traps taken by ud2");
    expect_eq(kit_trap_last.vector, 6, "vector");
    return KIT_PASS;
}

/* Install the handlers, point rsp at `stack` and raise an exception (int3:
 * #BP, or #GP while the hypervisor's gate 3 has DPL 0 -- both have a
 * handler): its bounce frame has nowhere to go. */
static int trap_on_stack(uint64_t stack, const char *what)
{
    expect_ok(kit_traps_install(NULL), "set_trap_table");
    kit_trap_arm(0);
    kit_printf("kit: note: int3 with rsp = %#lx (%s)\n", stack, what);
    kit_console_flush();
    __asm__ volatile(KIT_RESUME_AFTER "movq %0, %%rsp\n\tint3" KIT_RESUME_LABEL
                     : : "r"(stack) : KIT_RESUME_CLOBBERS);
    return kit_fail("came back with rsp in %s", what);
}

static int exception_on_unmapped_stack_crashes_domain(void)
{
    return trap_on_stack(kit_window_va() + 0x3000, "an unmapped page");
}

static int exception_on_read_only_stack_crashes_domain(void)
{
    uint64_t f = kit_scratch_fresh(0);

    expect_true(f != 0, "no free frame left");
    expect_ok(kit_scratch_map(0, f, PTE_RO), "map a frame read-only");
    return trap_on_stack(kit_scratch_va(0) + PAGE_SIZE, "a read-only page");
}

static int exception_on_stack_in_hypervisor_crashes_domain(void)
{
    return trap_on_stack(HV_TEXT + PAGE_SIZE, "the hypervisor's text");
}

static int hypervisor_iret_with_unreadable_frame_crashes_domain(void)
{
    uint64_t stack = kit_window_va() + 0x3000;

    kit_printf("kit: note: HYPERVISOR_iret with rsp = %#lx (unmapped)\n", stack);
    kit_console_flush();
    __asm__ volatile("movq %0, %%rsp\n\t"
                     "movl $23, %%eax\n\t"
                     "syscall\n\t"
                     "ud2" : : "r"(stack) : "rax", "rcx", "r11", "memory");
    return kit_fail("came back");
}

/* cs with RPL 3 is a return to user mode, and this kernel never set a
 * user page table (MMUEXT_NEW_USER_BASEPTR): Xen crashes the domain. */
static int hypervisor_iret_to_user_mode_without_user_table_crashes_domain(void)
{
    uint64_t out[9];

    kit_console_flush();
    kit_iret_probe(0, 0x202, out, FLAT_KERNEL_CS, FLAT_KERNEL_SS);
    return kit_fail("came back in cs %#lx", out[4]);
}

static int fault_after_trap_table_cleared_crashes_domain(void)
{
    expect_ok(kit_traps_install(NULL), "set_trap_table");
    expect_ok(HYPERVISOR_set_trap_table(NULL), "set_trap_table(NULL)");
    kit_console_flush();
    __asm__ volatile("ud2");
    return kit_fail("came back");
}

/* What Linux's halt does with events masked: VCPUOP_down on its only
 * vCPU.  Nothing can wake it, so Mica stops the domain (and, with dom0
 * alone, powers off) instead of spinning on the guest's retries. */
static int vcpu_down_on_the_last_vcpu_stops_the_domain(void)
{
    kit_console_flush();
    long rc = _hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_down, 0, 0);
    return kit_fail("came back with %ld", rc);
}

static const struct kit_test tests[] = {
    { "trap_table_delivers_ud2", trap_table_delivers_ud2, 0 },
    { "exception_on_unmapped_stack_crashes_domain", exception_on_unmapped_stack_crashes_domain,
      KIT_MM | KIT_HOSTILE | KIT_CRASHES },
    { "exception_on_read_only_stack_crashes_domain", exception_on_read_only_stack_crashes_domain,
      KIT_MM | KIT_HOSTILE | KIT_CRASHES },
    { "exception_on_stack_in_hypervisor_crashes_domain",
      exception_on_stack_in_hypervisor_crashes_domain, KIT_HOSTILE | KIT_CRASHES },
    { "hypervisor_iret_with_unreadable_frame_crashes_domain",
      hypervisor_iret_with_unreadable_frame_crashes_domain, KIT_MM | KIT_HOSTILE | KIT_CRASHES },
    { "hypervisor_iret_to_user_mode_without_user_table_crashes_domain",
      hypervisor_iret_to_user_mode_without_user_table_crashes_domain, KIT_HOSTILE | KIT_CRASHES },
    { "fault_after_trap_table_cleared_crashes_domain",
      fault_after_trap_table_cleared_crashes_domain, KIT_HOSTILE | KIT_CRASHES },
    { "vcpu_down_on_the_last_vcpu_stops_the_domain",
      vcpu_down_on_the_last_vcpu_stops_the_domain, KIT_HOSTILE | KIT_CRASHES },
};

KIT_KERNEL("traps_hostile", tests);
