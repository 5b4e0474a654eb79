/* SPDX-License-Identifier: MIT */
/*
 * A hostile domain (issue #6): it calls every hypercall with random
 * arguments from a seeded generator, a bounded number of times
 * (`chaos.seed=`, `chaos.count=` on its command line; the seed is printed,
 * so a failure can be replayed).  It runs next to a victim domain
 * (victim.c) whose memory checksum must not change.
 *
 * The arguments (chaos_args.c, issue 13) are of the kind each register and
 * each field of a structure passed by pointer holds -- addresses, frames,
 * selectors, counts, domain ids -- taken mostly from the edges of that kind
 * (~0, 0, max_page, INVALID_MFN, non-canonical and hypervisor addresses,
 * LDT selectors, reserved MXCSR bits, misaligned variants), sometimes any
 * boundary value, and sometimes the old random words: numbers, small
 * numbers, domain ids, hypervisor addresses and pointers into a page of
 * random bytes.  With a second vCPU, VCPUOP_initialise gets a working
 * context with a few fields changed, and vCPU 1 runs on what Mica accepts.
 *
 * Left out, because they end or stop the caller by design rather than
 * probe the hypervisor: HYPERVISOR_iret (also as a multicall entry),
 * set_debugreg of DR7 (DR5), SCHEDOP_block/shutdown/poll/
 * remote_shutdown/watchdog, VCPUOP_down, console writes (which would fill
 * the log with noise), and update_va_mapping of its own image and the
 * region after it (start_info, page tables, the argument pages).  The
 * domain may still crash itself (a random trap table or page-table
 * change): that is an allowed outcome, and the test then checks that Mica
 * reported it and carried on.
 *
 * `chaos.control=1` (the domain must then be privileged, and alone with
 * its own children: a privileged domain may rightly stop or map anyone)
 * adds Mica's control hypercall with structured garbage: mostly real
 * commands and interface version, domain ids among its own children, itself,
 * reserved and missing ones, payloads of random bytes or boundary values by
 * field; the children it creates (small, so memory lasts) are also named as
 * mmu_update's foreign domain.  At the end it destroys them all, and one
 * child created and destroyed properly must still work.
 */
#include <abi/mica/control.h>
#include <abi/sched.h>
#include <abi/vcpu.h>
#include "chaos.h"
#include "control.h"
#include "hypercall.h"
#include "memory.h"

static uint64_t state;

uint64_t chaos_next(void)
{
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545f4914f6cdd1dULL;
}
#define next chaos_next

/* Our image and everything mapped after it: update_va_mapping leaves them. */
static bool protected_va(uint64_t va)
{
    return va >= (uint64_t)_image_start && va < kit_mem.mapped_end;
}

/* A multicall that may hold an iret entry: since Xen's XSA-213 rule, that
 * entry returns through whatever is on our stack.  Arrays Mica cannot read
 * (the hypervisor's range, non-canonical) stay in: they are refused. */
static bool multicall_may_iret(uint64_t list, uint64_t n)
{
    uint64_t junk = (uint64_t)chaos_junk, size = sizeof(struct multicall_entry);

    if ((list >= 0xffff800000000000UL && list < 0xffff880000000000UL) ||
        ((int64_t)list >> 47 != 0 && (int64_t)list >> 47 != -1))
        return false;
    if (list < junk || list >= junk + PAGE_SIZE)
        return true;                    /* memory we cannot vouch for */
    for (uint64_t i = 0; i < n; i++) {
        uint64_t at = list + i * size;
        if (at + size > junk + PAGE_SIZE ||
            ((const struct multicall_entry *)at)->op == __HYPERVISOR_iret)
            return true;
    }
    return false;
}

/* What would stop the caller by design (see the top). */
bool chaos_excluded(uint64_t nr, const uint64_t a[5])
{
    switch (nr) {
    case __HYPERVISOR_iret:
        return true;
    case __HYPERVISOR_sched_op:
    case __HYPERVISOR_sched_op_compat:
        return a[0] == SCHEDOP_block || a[0] == SCHEDOP_shutdown || a[0] == SCHEDOP_poll ||
               a[0] == SCHEDOP_remote_shutdown || a[0] == SCHEDOP_watchdog;
    case __HYPERVISOR_vcpu_op:
        return a[0] == VCPUOP_down;
    case __HYPERVISOR_console_io:
        return a[0] == CONSOLEIO_write;
    case __HYPERVISOR_update_va_mapping:
    case __HYPERVISOR_update_va_mapping_otherdomain:
        return protected_va(a[0]);
    case __HYPERVISOR_multicall:
        return multicall_may_iret(a[0], a[1]);
    case __HYPERVISOR_set_debugreg:
        return a[0] == 5 || a[0] == 7;  /* breakpoints on ourselves, no #DB handler */
    default:
        return false;
    }
}

/* ---- the control interface (chaos.control=1) ---------------------------- */

domid_t chaos_children[CHAOS_MAX_CHILDREN];
unsigned int chaos_nr_children;
#define children chaos_children
#define nr_children chaos_nr_children
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
    struct mica_ctl_op *op = (struct mica_ctl_op *)chaos_junk;
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
    if (next() % 2)
        chaos_ctl_payload(op);          /* boundary values by field */
    if (op->cmd == MICA_CTL_createdomain) {
        if (nr_children == CHAOS_MAX_CHILDREN)
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
    if (chaos_args_init())
        return kit_fail("no arena for the arguments");
    kit_console_flush();
    while (done < count) {
        chaos_fill_junk();
        uint64_t nr = chaos_pick_call(), a[5];
        chaos_args(nr, a);
        /* Its own image and what follows stay mapped (else it stops after
         * a few calls): update_va_mapping gets a random VA below instead. */
        if ((nr == __HYPERVISOR_update_va_mapping ||
             nr == __HYPERVISOR_update_va_mapping_otherdomain) && protected_va(a[0]))
            a[0] = next() % (uint64_t)_image_start;
        if (chaos_excluded(nr, a))
            continue;
        long rc;
        if (control_mode && nr == __HYPERVISOR_mica_control && next() % 8) {
            rc = random_control();
        } else {
            if (control_mode && nr == __HYPERVISOR_mmu_update && nr_children && next() % 2)
                a[3] = children[next() % nr_children];      /* foreigndom */
            rc = _hypercall5(nr, a[0], a[1], a[2], a[3], a[4]);
        }
        chaos_after(nr, a, rc);
        refused += rc < 0;
        done++;
        if (done % 5000 == 0)
            kit_printf("kit: note: %lu calls, %lu refused\n", done, refused);
    }
    chaos_args_report();
    kit_printf("kit: note: chaos done: %lu calls, %lu refused\n", done, refused);
    return control_mode ? control_still_works() : KIT_PASS;
}

static const struct kit_test tests[] = {
    { "random_hypercalls_leave_the_hypervisor_standing",
      random_hypercalls_leave_the_hypervisor_standing, KIT_HOSTILE },
};

KIT_KERNEL("chaos", tests);
