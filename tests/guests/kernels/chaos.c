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
 *
 * `chaos.control=1` (the domain must then be privileged, and alone with
 * its own children: a privileged domain may rightly stop or map anyone)
 * adds Mica's control hypercall with structured garbage: mostly real
 * commands and interface version, domain ids among its own children, itself,
 * reserved and missing ones, payloads of random bytes; the children it
 * creates (small, so memory lasts) are also named as mmu_update's foreign
 * domain.  At the end it destroys them all, and one child created and
 * destroyed properly must still work.
 */
#include <abi/mica/control.h>
#include <abi/sched.h>
#include <abi/vcpu.h>
#include "control.h"
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

/* ---- the control interface (chaos.control=1) ---------------------------- */

#define MAX_CHILDREN 8
static domid_t children[MAX_CHILDREN];
static unsigned int nr_children;
static bool control_mode;

static domid_t some_domain(void)
{
    switch (next() % 6) {
    case 0: case 1: case 2:
        if (nr_children)
            return children[next() % nr_children];
        return DOMID_INVALID;
    case 3: return DOMID_SELF;
    case 4: return (domid_t)(DOMID_FIRST_RESERVED + next() % 16);
    default: return (domid_t)(1 + next() % 100);
    }
}

static void forget_child(unsigned int i)
{
    children[i] = children[--nr_children];
}

/* One control call built from junk: returns its result. */
static long random_control(void)
{
    struct mica_ctl_op *op = (struct mica_ctl_op *)junk;
    static const uint32_t cmds[] = {
        MICA_CTL_createdomain, MICA_CTL_destroydomain, MICA_CTL_pausedomain,
        MICA_CTL_unpausedomain, MICA_CTL_getdomaininfo, MICA_CTL_getdomaininfolist,
        MICA_CTL_max_mem, MICA_CTL_max_vcpus, MICA_CTL_setvcpucontext,
        MICA_CTL_getvcpucontext, MICA_CTL_getvcpuinfo, MICA_CTL_populate_physmap,
        MICA_CTL_getmemlist, MICA_CTL_set_store_console, MICA_CTL_physinfo,
        MICA_CTL_readconsole,
    };

    op->cmd = next() % 8 ? cmds[next() % (sizeof(cmds) / sizeof(cmds[0]))]
                         : (uint32_t)next() % 64;
    op->interface_version = next() % 16 ? MICA_CTL_INTERFACE_VERSION : (uint32_t)next();
    op->domain = some_domain();
    if (op->cmd == MICA_CTL_createdomain) {
        if (nr_children == MAX_CHILDREN)
            return 0;
        op->domain = next() % 2 ? DOMID_INVALID : some_domain();
        if (next() % 4) {               /* mostly sizes that let it go on */
            op->u.createdomain.max_vcpus = 1 + (uint32_t)(next() % 4);
            op->u.createdomain.max_pages = next() % 512;
            op->u.createdomain.flags = next() % 8 == 0;
            unsigned int len = (unsigned int)(next() % 12);
            for (unsigned int i = 0; i < len; i++)
                op->u.createdomain.name[i] = (char)('a' + next() % 26);
            op->u.createdomain.name[len] = 0;
        }
    }
    if (op->cmd == MICA_CTL_populate_physmap && next() % 2) {
        op->u.populate_physmap.nr_pages %= 1024;  /* junk handle, small sizes */
        op->u.populate_physmap.nr_done = 0;
    }
    long rc = HYPERVISOR_mica_control(op);
    if (rc == 0 && op->cmd == MICA_CTL_createdomain && op->domain < DOMID_FIRST_RESERVED)
        children[nr_children++] = op->domain;
    if (rc == 0 && op->cmd == MICA_CTL_destroydomain)
        for (unsigned int i = 0; i < nr_children; i++)
            if (children[i] == op->domain)
                forget_child(i);
    return rc;
}

/* The end: every child goes, and the interface still works properly. */
static int control_still_works(void)
{
    while (nr_children) {
        long rc = kit_ctl_simple(MICA_CTL_destroydomain, children[0]);
        if (rc && rc != -XEN_ESRCH)
            return kit_fail("destroying child d%u: %s", children[0], kit_errno_name(rc));
        forget_child(0);
    }
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_createdomain, DOMID_INVALID);
    op.u.createdomain.max_vcpus = 2;
    op.u.createdomain.max_pages = 64;
    long rc = HYPERVISOR_mica_control(&op);
    if (rc)
        return kit_fail("a proper createdomain after the chaos: %s", kit_errno_name(rc));
    domid_t d = op.domain;
    struct mica_ctl_domaininfo info;
    if ((rc = kit_ctl_domaininfo(d, &info)) || info.domain != d ||
        !(info.flags & MICA_DOMINF_paused) || info.max_vcpu_id != 1)
        return kit_fail("the new domain d%u reads back wrong (%s)", d, kit_errno_name(rc));
    if ((rc = kit_ctl_simple(MICA_CTL_destroydomain, d)))
        return kit_fail("destroying d%u: %s", d, kit_errno_name(rc));
    if (kit_ctl_domaininfo(d, &info) == 0 && info.domain == d)
        return kit_fail("d%u still listed after its destruction", d);
    kit_printf("kit: note: control: children destroyed, a fresh one created and destroyed\n");
    return KIT_PASS;
}

static int random_hypercalls_leave_the_hypervisor_standing(void)
{
    uint64_t seed = kit_cmdline_number("chaos.seed=", 20261122);
    uint64_t count = kit_cmdline_number("chaos.count=", 20000);
    uint64_t done = 0, refused = 0;

    state = seed ? seed : 1;
    control_mode = kit_cmdline_number("chaos.control=", 0) != 0;
    kit_printf("kit: note: chaos seed %lu, %lu calls%s\n", seed, count,
               control_mode ? ", control interface too" : "");
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
        long rc;
        if (control_mode && nr == __HYPERVISOR_mica_control && next() % 8) {
            rc = random_control();
        } else {
            if (control_mode && nr == __HYPERVISOR_mmu_update && nr_children && next() % 2)
                a[3] = children[next() % nr_children];      /* foreigndom */
            rc = _hypercall5(nr, a[0], a[1], a[2], a[3], a[4]);
        }
        refused += rc < 0;
        done++;
        if (done % 5000 == 0)
            kit_printf("kit: note: %lu calls, %lu refused\n", done, refused);
    }
    kit_printf("kit: note: chaos done: %lu calls, %lu refused\n", done, refused);
    return control_mode ? control_still_works() : KIT_PASS;
}

static const struct kit_test tests[] = {
    { "random_hypercalls_leave_the_hypervisor_standing",
      random_hypercalls_leave_the_hypervisor_standing, KIT_HOSTILE },
};

KIT_KERNEL("chaos", tests);
