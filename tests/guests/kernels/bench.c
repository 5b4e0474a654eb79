// SPDX-License-Identifier: MIT
/*
 * bench: what the guest pays for the hypervisor's common paths, in TSC
 * ticks, measured from inside a PV kernel.  Each measure runs one
 * operation N times, reads the TSC around each (lfence; rdtsc; lfence) and
 * prints the median and the minimum:
 *
 *     kit: bench <name>.median <ticks> tsc-ticks
 *     kit: bench <name>.min <ticks> tsc-ticks
 *
 * The numbers include the rdtsc pair itself (the tsc_read measure shows
 * how much).  Under QEMU's software emulation the TSC is QEMU's virtual
 * clock, so they are comparable between runs on one machine, not with
 * hardware.  Nothing here asserts a time: performance lives in `make
 * bench`; tests/system/test_guests.py only checks the lines are there.
 */
#include <abi/event_channel.h>
#include "events.h"
#include "hypercall.h"
#include "kit.h"
#include "memory.h"
#include "traps.h"

#define N 2000

static uint64_t samples[N];

static void report(const char *name)
{
    kit_sort_u64(samples, N);
    kit_printf("kit: bench %s.median %lu tsc-ticks\n", name, samples[N / 2]);
    kit_printf("kit: bench %s.min %lu tsc-ticks\n", name, samples[0]);
}

/* Time the statement in the arguments N times (i_ counts them). */
#define MEASURE(name, ...)                                                   \
    do {                                                                     \
        for (unsigned int i_ = 0; i_ < N; i_++) {                            \
            uint64_t t0_ = kit_rdtsc();                                      \
            __VA_ARGS__;                                                     \
            samples[i_] = kit_rdtsc() - t0_;                                 \
        }                                                                    \
        report(name);                                                        \
    } while (0)

static int tsc_read(void)
{
    MEASURE("tsc_read", (void)0);
    return KIT_PASS;
}

static int null_hypercall(void)
{
    long bad = 0;

    MEASURE("null_hypercall", bad |= HYPERVISOR_xen_version(XENVER_version, NULL) <= 0);
    expect_eq(bad, 0, "xen_version failed");
    return KIT_PASS;
}

static int mmu_update_one_l1_entry(void)
{
    uint64_t a = kit_alloc_mfn(), b = kit_alloc_mfn();
    uint64_t maddr = kit_l1e_maddr(kit_scratch_va(0));
    long bad = 0;

    expect_true(a && b, "no free frames left");
    MEASURE("mmu_update_l1",
            bad |= kit_mmu_update1(maddr, MMU_NORMAL_PT_UPDATE, pte(i_ & 1 ? a : b, PTE_RW)));
    expect_ok(bad, "mmu_update");
    expect_ok(kit_scratch_restore(0), "restore scratch slot 0");
    return KIT_PASS;
}

static int update_va_mapping_invlpg(void)
{
    uint64_t a = kit_alloc_mfn(), b = kit_alloc_mfn(), va = kit_scratch_va(0);
    long bad = 0;

    expect_true(a && b, "no free frames left");
    MEASURE("update_va_mapping",
            bad |= HYPERVISOR_update_va_mapping(va, pte(i_ & 1 ? a : b, PTE_RW),
                                                UVMF_INVLPG | UVMF_LOCAL));
    expect_ok(bad, "update_va_mapping");
    expect_ok(kit_scratch_restore(0), "restore scratch slot 0");
    return KIT_PASS;
}

static int ptwr_xchg_into_pinned_l1(void)
{
    volatile uint64_t *entry = (volatile uint64_t *)kit_scratch_va(1);
    uint64_t f = kit_alloc_mfn(), t;

    expect_true(f != 0, "no free frame left");
    expect_ok(HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables),
              "vm_assist(enable, writable_pagetables)");
    expect_ok(kit_make_pinned_l1(1, 0, &t), "build and pin an L1");
    MEASURE("ptwr_xchg", {
        uint64_t v = i_ & 1 ? 0 : pte(f, PTE_RO);
        __asm__ volatile("xchgq %0, %1" : "+r"(v), "+m"(entry[1]) : : "memory");
    });
    expect_eq(entry[1], 0, "entry 1 after the last xchg");
    expect_ok(kit_mmuext1(MMUEXT_UNPIN_TABLE, t), "unpin");
    expect_ok(kit_scratch_restore(1), "restore scratch slot 1");
    return KIT_PASS;
}

static int pin_and_unpin_l1(void)
{
    uint64_t t = kit_scratch_fresh(2);
    long bad = 0;

    expect_true(t != 0, "no free frame left");
    expect_ok(kit_scratch_map(2, t, PTE_RO), "map the table read-only");
    MEASURE("pin_unpin_l1", {
        bad |= kit_mmuext1(MMUEXT_PIN_L1_TABLE, t);
        bad |= kit_mmuext1(MMUEXT_UNPIN_TABLE, t);
    });
    expect_ok(bad, "pin/unpin");
    expect_ok(kit_scratch_restore(2), "restore scratch slot 2");
    return KIT_PASS;
}

static int exception_bounce_and_iret(void)
{
    expect_ok(kit_traps_install(NULL), "set_trap_table");
    kit_trap_arm(0);
    MEASURE("exception_bounce_int3",
            __asm__ volatile(KIT_RESUME_AFTER "int3" KIT_RESUME_LABEL : : : KIT_RESUME_CLOBBERS));
    kit_trap_disarm();
    expect_eq(kit_trap_count, N, "traps taken");
    return KIT_PASS;
}

/*
 * Event latency: send on one end of a loopback channel with events
 * unmasked; the upcall comes on the way back from the send hypercall and
 * the kit's callback (kit/events.c) stamps the TSC.
 */
static int event_send_to_upcall(void)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };

    expect_ok(kit_events_init(), "shared_info and the event callback");
    expect_ok(_hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, KIT_UL(&au)),
              "alloc_unbound");
    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF, .remote_port = au.port };
    expect_ok(_hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain,
                          KIT_UL(&bi)), "bind_interdomain");
    struct evtchn_send snd = { .port = bi.local_port };
    kit_events_on();
    for (unsigned int i = 0; i < N; i++) {
        kit_upcall_tsc = 0;
        uint64_t t0 = kit_rdtsc();
        _hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, KIT_UL(&snd));
        samples[i] = kit_upcall_tsc ? kit_upcall_tsc - t0 : 0;
    }
    kit_events_off();
    for (unsigned int i = 0; i < N; i++)
        expect_true(samples[i] != 0, "every send reached the callback");
    report("event_send_to_upcall");
    return KIT_PASS;
}

static int forced_emulation_cpuid(void)
{
    uint32_t a, b, c, d;

    MEASURE("cpuid_forced_emulation", kit_xen_cpuid(0x40000000, &a, &b, &c, &d));
    expect_eq(b, 0x566e6558, "leaf 0x40000000 ebx (\"XenV\")");
    return KIT_PASS;
}

static int native_cpuid(void)
{
    uint32_t a, b, c, d;

    MEASURE("cpuid_native", kit_cpuid(0, &a, &b, &c, &d));
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "bench_tsc_read", tsc_read, 0 },
    { "bench_null_hypercall", null_hypercall, 0 },
    { "bench_mmu_update_l1", mmu_update_one_l1_entry, KIT_MM },
    { "bench_update_va_mapping", update_va_mapping_invlpg, KIT_MM },
    { "bench_ptwr_xchg", ptwr_xchg_into_pinned_l1, KIT_MM },
    { "bench_pin_unpin_l1", pin_and_unpin_l1, KIT_MM },
    { "bench_exception_bounce_int3", exception_bounce_and_iret, 0 },
    { "bench_event_send_to_upcall", event_send_to_upcall, KIT_MM },
    { "bench_cpuid_forced_emulation", forced_emulation_cpuid, 0 },
    { "bench_cpuid_native", native_cpuid, 0 },
};

KIT_KERNEL("bench", tests);
