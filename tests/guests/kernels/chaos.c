/* SPDX-License-Identifier: MIT */
/*
 * A hostile domain (issue #6): it calls every hypercall with random
 * arguments -- random numbers, small numbers, domain ids, hypervisor
 * addresses, and pointers into a page of random bytes, so that structure
 * arguments are read as garbage -- from a seeded generator, a bounded
 * number of times (`chaos.seed=`, `chaos.count=` on its command line; the
 * seed is printed, so a failure can be replayed).  It runs next to a victim
 * domain (victim.c) whose memory checksum must not change.
 *
 * Left out, because they end or stop the caller by design rather than
 * probe the hypervisor: HYPERVISOR_iret, SCHEDOP_block/shutdown/poll/
 * remote_shutdown/watchdog, VCPUOP_down, and console writes (which would
 * fill the log with noise).  The domain may still crash itself (a random
 * trap table or page-table change): that is an allowed outcome, and the
 * test then checks that Mica reported it and carried on.
 */
#include <abi/sched.h>
#include <abi/vcpu.h>
#include "hypercall.h"
#include "kit.h"

static uint64_t state;
static uint8_t junk[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static uint64_t next(void)
{
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545f4914f6cdd1dULL;
}

static uint64_t cmdline_number(const char *key, uint64_t dflt)
{
    const char *p = kit_strstr((const char *)kit_si->cmd_line, key);
    uint64_t v = 0;

    if (!p)
        return dflt;
    for (p += strnlen(key, 64); *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    return v;
}

static uint64_t arg(void)
{
    switch (next() % 8) {
    case 0: return next();
    case 1: return next() % 64;
    case 2: return (uint64_t)&junk[(next() % (PAGE_SIZE / 8)) * 8];
    case 3: return (uint64_t)&junk[0];
    case 4: return (uint64_t[]){ 0, 1, 2, DOMID_SELF, DOMID_XEN, 0xffff }[next() % 6];
    case 5: return 0xffff82d040000000ULL + (next() % 0x100000);   /* Mica's image */
    case 6: return 0;
    default: return (uint64_t)-1;
    }
}

/* What would stop the caller by design (see the top). */
static bool excluded(uint64_t nr, uint64_t a1)
{
    switch (nr) {
    case __HYPERVISOR_iret:
        return true;
    case __HYPERVISOR_sched_op:
    case __HYPERVISOR_sched_op_compat:
        return a1 == SCHEDOP_block || a1 == SCHEDOP_shutdown || a1 == SCHEDOP_poll ||
               a1 == SCHEDOP_remote_shutdown || a1 == SCHEDOP_watchdog;
    case __HYPERVISOR_vcpu_op:
        return a1 == VCPUOP_down;
    case __HYPERVISOR_console_io:
        return a1 == CONSOLEIO_write;
    default:
        return false;
    }
}

static int random_hypercalls_leave_the_hypervisor_standing(void)
{
    uint64_t seed = cmdline_number("chaos.seed=", 20261122);
    uint64_t count = cmdline_number("chaos.count=", 20000);
    uint64_t done = 0, refused = 0;

    state = seed ? seed : 1;
    kit_printf("kit: note: chaos seed %lu, %lu calls\n", seed, count);
    kit_console_flush();
    while (done < count) {
        for (unsigned int i = 0; i < PAGE_SIZE / 8; i++)
            ((uint64_t *)junk)[i] = next() % 4 ? next() : next() % 256;
        uint64_t nr = next() % 64, a[5];
        for (unsigned int i = 0; i < 5; i++)
            a[i] = arg();
        if (nr == __HYPERVISOR_sched_op || nr == __HYPERVISOR_vcpu_op ||
            nr == __HYPERVISOR_console_io)
            a[0] %= 16;                 /* mostly real commands */
        if (excluded(nr, a[0]))
            continue;
        /* Its own image stays mapped (else it stops after a few calls):
         * update_va_mapping gets a random VA below it instead. */
        if ((nr == __HYPERVISOR_update_va_mapping ||
             nr == __HYPERVISOR_update_va_mapping_otherdomain) &&
            a[0] >= (uint64_t)_image_start && a[0] < (uint64_t)_image_end)
            a[0] = next() % (uint64_t)_image_start;
        long rc = _hypercall5(nr, a[0], a[1], a[2], a[3], a[4]);
        refused += rc < 0;
        done++;
        if (done % 5000 == 0)
            kit_printf("kit: note: %lu calls, %lu refused\n", done, refused);
    }
    kit_printf("kit: note: chaos done: %lu calls, %lu refused\n", done, refused);
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "random_hypercalls_leave_the_hypervisor_standing",
      random_hypercalls_leave_the_hypervisor_standing, KIT_HOSTILE },
};

KIT_KERNEL("chaos", tests);
