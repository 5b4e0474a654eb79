// SPDX-License-Identifier: MIT
/*
 * debugregs: a PV guest's debug registers, as Xen's x86-64 PV ABI gives
 * them: set_debugreg/get_debugreg (hypercalls 8 and 9) and `mov` to and
 * from %drN in the guest kernel (ring 3, so #GP(0), emulated by Mica).
 * Start state (DR6 0xffff0ff0, DR7 0x400), reserved bits, a data
 * breakpoint delivering #DB with DR6.B0, DR4/DR5 under the guest's own
 * CR4.DE, I/O breakpoints (kept for reads, refused without DE).
 *
 * Hostile cases: DR0-3 pointing into the hypervisor or off the canonical
 * range, DR7 general detect, upper bits of DR6/DR7, registers that do not
 * exist: each refused with Xen's errno (#GP or #UD for the `mov`) and
 * nothing changed; and a breakpoint on a hypercall buffer, which fires in
 * ring 0 when Mica copies it, must neither disturb the hypervisor nor
 * reach the guest.
 */
#include "hypercall.h"
#include "kit.h"
#include "traps.h"

#define HV_TEXT   0xffff82d040000000UL
#define NONCANON  0x0000800000000000UL
#define DR6_DEFAULT 0xffff0ff0UL
#define DR7_DEFAULT 0x400UL
#define DR7_GD    (1UL << 13)
#define CR4_DE    (1UL << 3)
/* DR7 for breakpoint 0: G0, R/W (1 write, 2 I/O, 3 access), 4 bytes. */
#define DR7_BP0(rw) (0x2UL | ((uint64_t)(rw) << 16) | (3UL << 18))

static long set_dr(unsigned int reg, uint64_t v)
{
    return _hypercall2(__HYPERVISOR_set_debugreg, reg, v);
}

static long get_dr(unsigned int reg)
{
    return _hypercall1(__HYPERVISOR_get_debugreg, reg);
}

#define READ_DR(n) ({ uint64_t v_; __asm__ volatile("mov %%db" #n ", %0" : "=r"(v_)); v_; })
#define WRITE_DR(n, v) __asm__ volatile("mov %0, %%db" #n : : "r"((uint64_t)(v)))

static uint64_t read_cr4(void)
{
    uint64_t v;

    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static void write_cr4(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(v));
}

static volatile uint32_t watched;

static int traps_installed(void)
{
    expect_ok(kit_traps_install(NULL), "set_trap_table");
    return KIT_PASS;
}

static int start_state_is_xens_default(void)
{
    for (unsigned int i = 0; i < 4; i++)
        expect_eq(get_dr(i), 0, "DR0-3 by get_debugreg");
    expect_eq(get_dr(6), DR6_DEFAULT, "DR6 by get_debugreg");
    expect_eq(get_dr(7), DR7_DEFAULT, "DR7 by get_debugreg");
    expect_eq(READ_DR(0), 0, "mov %dr0");
    expect_eq(READ_DR(3), 0, "mov %dr3");
    expect_eq(READ_DR(6), DR6_DEFAULT, "mov %dr6");
    expect_eq(READ_DR(7), DR7_DEFAULT, "mov %dr7");
    expect_eq(read_cr4() & CR4_DE, 0, "the guest's CR4.DE starts clear");
    return KIT_PASS;
}

static int set_and_mov_agree(void)
{
    expect_ok(set_dr(0, KIT_UL(&watched)), "set_debugreg DR0");
    expect_eq(READ_DR(0), KIT_UL(&watched), "mov %dr0 after set_debugreg");
    WRITE_DR(1, 0x1000);
    expect_eq(get_dr(1), 0x1000, "get_debugreg DR1 after mov");
    WRITE_DR(6, 0);
    expect_eq(get_dr(6), DR6_DEFAULT, "DR6 reserved bits read as 1, bit 12 as 0");
    expect_ok(set_dr(7, 0xd000), "DR7 with reserved-zero bits");
    expect_eq(READ_DR(7), DR7_DEFAULT, "DR7 reserved bits forced");
    expect_ok(set_dr(0, 0), "DR0 back");
    expect_ok(set_dr(1, 0), "DR1 back");
    return KIT_PASS;
}

static int bad_values_refused_and_nothing_changes(void)
{
    expect_ok(set_dr(2, 0x2000), "DR2 set");
    expect_rc(set_dr(2, HV_TEXT), -XEN_EPERM, "DR2 on hypervisor text");
    expect_rc(set_dr(2, 0xffff800000000000UL), -XEN_EPERM, "DR2 on the M2P");
    expect_rc(set_dr(2, NONCANON), -XEN_EPERM, "DR2 non-canonical");
    expect_eq(get_dr(2), 0x2000, "DR2 kept");
    expect_rc(set_dr(7, DR7_GD), -XEN_EPERM, "DR7 general detect");
    expect_rc(set_dr(7, 1UL << 32), -XEN_EINVAL, "DR7 upper half");
    expect_rc(set_dr(6, 1UL << 40), -XEN_EINVAL, "DR6 upper half");
    expect_rc(set_dr(7, DR7_BP0(2)), -XEN_EPERM, "I/O breakpoint without CR4.DE");
    expect_eq(get_dr(7), DR7_DEFAULT, "DR7 kept");
    expect_rc(set_dr(8, 0), -XEN_ENODEV, "set_debugreg 8");
    expect_rc(get_dr(8), -XEN_ENODEV, "get_debugreg 8");

    uint64_t hv = HV_TEXT;
    KIT_PROBE("mov %0, %%db3", : : "r"(hv) : KIT_RESUME_CLOBBERS);
    expect_eq(kit_trap_count, 1, "mov to %dr3 of a hypervisor address traps");
    expect_eq(kit_trap_last.vector, 13, "as #GP");
    expect_eq(kit_trap_last.error_code, 0, "#GP(0)");
    expect_eq(kit_trap_last.rip, kit_trap_probe_insn, "at the mov");
    expect_eq(get_dr(3), 0, "DR3 kept");
    KIT_PROBE("mov %0, %%db7", : : "r"(DR7_GD) : KIT_RESUME_CLOBBERS);
    expect_eq(kit_trap_last.vector, 13, "mov of general detect to %dr7: #GP");
    expect_ok(set_dr(2, 0), "DR2 back");
    return KIT_PASS;
}

static int data_breakpoint_gives_db_with_dr6_b0(void)
{
    WRITE_DR(0, KIT_UL(&watched));
    WRITE_DR(7, DR7_BP0(1));
    /* A yield may switch vCPUs: the breakpoint must come back with it. */
    expect_ok(HYPERVISOR_sched_op(SCHEDOP_yield, NULL), "yield");
    KIT_PROBE("movl $1, (%0)", : : "r"(&watched) : KIT_RESUME_CLOBBERS);
    uint64_t dr6 = READ_DR(6);
    WRITE_DR(7, 0);
    WRITE_DR(6, DR6_DEFAULT);
    expect_eq(kit_trap_count, 1, "traps taken by the watched write");
    expect_eq(kit_trap_last.vector, 1, "#DB");
    expect_true(kit_trap_last.rip > kit_trap_probe_insn && kit_trap_last.rip <= kit_trap_probe_insn + 7,
                "the frame's rip is after the write (a trap)");
    expect_eq(dr6 & 0xf, 1, "DR6.B0 and no other breakpoint");
    expect_eq(dr6 & ~0xfUL, DR6_DEFAULT, "the rest of DR6 at its default");
    expect_eq(watched, 1, "the write happened");
    KIT_PROBE("movl $2, (%0)", : : "r"(&watched) : KIT_RESUME_CLOBBERS);
    expect_eq(kit_trap_count, 0, "no #DB with DR7 clear");
    WRITE_DR(0, 0);
    return KIT_PASS;
}

static int breakpoint_on_a_hypercall_buffer_stays_out_of_the_guest(void)
{
    static struct xen_feature_info fi;

    WRITE_DR(0, KIT_UL(&fi));
    WRITE_DR(7, DR7_BP0(3));
    kit_trap_arm(0);
    long rc = HYPERVISOR_xen_version(XENVER_get_features, &fi);
    kit_trap_disarm();
    WRITE_DR(7, 0);
    WRITE_DR(0, 0);
    expect_ok(rc, "get_features into the watched buffer");
    expect_eq(kit_trap_count, 0, "a #DB Mica took in ring 0 reached the guest");
    expect_true(fi.submap != 0, "the features were written");
    return KIT_PASS;
}

/* TF set by popf traps after the next instruction: a `syscall` (here a
 * hypercall), so on hardware the #DB arrives on the first instruction of
 * Mica's entry, in ring 0, on the guest's stack pointer; Mica takes it on
 * its own stack and drops it.  (QEMU's TCG does not raise this one: there
 * the test only shows that the hypercall completes.)  The step after the
 * return is the guest's, with DR6.BS. */
static int single_step_into_a_hypercall_stays_out_of_the_hypervisor(void)
{
    long v;

    kit_trap_arm(0);
    __asm__ volatile(KIT_RESUME_AFTER
                     "pushfq\n\t"
                     "orq $0x100, (%%rsp)\n\t"
                     "popfq\n\t"
                     "syscall\n\t"
                     "nop\n\t"
                     "nop" KIT_RESUME_LABEL
                     : "=a"(v)
                     : "a"((long)__HYPERVISOR_xen_version), "D"((long)XENVER_version),
                       "S"(0L)
                     : "rcx", "rdx", "r8", "r10", KIT_RESUME_CLOBBERS);
    kit_trap_disarm();
    expect_eq(v, HYPERVISOR_xen_version(XENVER_version, NULL), "the hypercall's result");
    expect_eq(kit_trap_count, 1, "one #DB, in the guest, after the return");
    expect_eq(kit_trap_last.vector, 1, "#DB");
    expect_eq(READ_DR(6) & (1UL << 14), 1UL << 14, "DR6.BS for the guest's step");
    WRITE_DR(6, DR6_DEFAULT);
    return KIT_PASS;
}

static int dr4_dr5_follow_the_guests_cr4_de(void)
{
    uint64_t cr4 = read_cr4();

    WRITE_DR(4, 0x1);                    /* DE clear: DR4 is DR6 */
    expect_eq(get_dr(6), DR6_DEFAULT | 1, "mov to %dr4 wrote DR6");
    expect_eq(READ_DR(5), DR7_DEFAULT, "mov from %dr5 read DR7");
    WRITE_DR(6, DR6_DEFAULT);
    write_cr4(cr4 | CR4_DE);
    expect_eq(read_cr4() & CR4_DE, CR4_DE, "the guest's CR4.DE set");
    KIT_PROBE("mov %0, %%db4", : : "r"(0UL) : KIT_RESUME_CLOBBERS);
    expect_eq(kit_trap_count, 1, "mov to %dr4 with CR4.DE traps");
    expect_eq(kit_trap_last.vector, 6, "as #UD");
    uint64_t v = 0;
    KIT_PROBE("mov %%db5, %0", : "=r"(v) : : KIT_RESUME_CLOBBERS);
    (void)v;
    expect_eq(kit_trap_last.vector, 6, "mov from %dr5 with CR4.DE: #UD");
    expect_rc(get_dr(4), -XEN_ENODEV, "get_debugreg 4 with CR4.DE");
    write_cr4(cr4);
    return KIT_PASS;
}

static int io_breakpoint_needs_cr4_de_and_reads_back(void)
{
    const uint64_t io0 = DR7_BP0(2) | 0x200 | DR7_DEFAULT;
    uint64_t cr4 = read_cr4();

    write_cr4(cr4 | CR4_DE);
    WRITE_DR(7, io0);
    expect_eq(READ_DR(7), io0, "the I/O breakpoint reads back");
    write_cr4(cr4);
    KIT_PROBE("mov %0, %%db7", : : "r"(io0) : KIT_RESUME_CLOBBERS);
    expect_eq(kit_trap_count, 1, "an I/O breakpoint without CR4.DE traps");
    expect_eq(kit_trap_last.vector, 13, "as #GP");
    expect_eq(kit_trap_last.error_code, 0, "#GP(0)");
    expect_eq(READ_DR(7), io0, "the refused write left DR7 as it was");
    WRITE_DR(7, 0);
    expect_eq(READ_DR(7), DR7_DEFAULT, "cleared");
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "traps_installed", traps_installed, 0 },
    { "start_state_is_xens_default", start_state_is_xens_default, 0 },
    { "set_and_mov_agree", set_and_mov_agree, 0 },
    { "bad_values_refused_and_nothing_changes", bad_values_refused_and_nothing_changes,
      KIT_HOSTILE },
    { "data_breakpoint_gives_db_with_dr6_b0", data_breakpoint_gives_db_with_dr6_b0, 0 },
    { "breakpoint_on_a_hypercall_buffer_stays_out_of_the_guest",
      breakpoint_on_a_hypercall_buffer_stays_out_of_the_guest, KIT_HOSTILE },
    { "single_step_into_a_hypercall_stays_out_of_the_hypervisor",
      single_step_into_a_hypercall_stays_out_of_the_hypervisor, KIT_HOSTILE },
    { "dr4_dr5_follow_the_guests_cr4_de", dr4_dr5_follow_the_guests_cr4_de, 0 },
    { "io_breakpoint_needs_cr4_de_and_reads_back", io_breakpoint_needs_cr4_de_and_reads_back, 0 },
};

KIT_KERNEL("debugregs", tests);
