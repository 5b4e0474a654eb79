/* SPDX-License-Identifier: MIT */
/*
 * child: the kernel the builder kernel (builder.c) starts, again and again,
 * in domains it creates through the control hypercall.  It proves from the
 * inside that the builder's domain is what a Xen PV domU gets: start_info
 * as the builder wrote it, a filled hypercall page, the domain id and
 * handle the builder chose, every page of its memory its own (p2m and M2P
 * agree, fresh pages read as zero, all of them readable, the free ones
 * writable), and a console ring that Mica serves onto the serial line.
 *
 * Command line, from the builder: "<mode> [child.port=<P> child.ref=<R>]
 * child.n=<N> child.id=<domid> child.pages=<nr_pages>".  The last test does
 * what the mode says:
 *
 *   exit     nothing more: the runner powers off when every check passed and
 *            crashes otherwise, so the builder reads the verdict from the
 *            shutdown reason;
 *   spin     loops for ever; the builder destroys it while it runs;
 *   crash    SCHEDOP_shutdown(crash);
 *   probe    calls the control hypercall, which must refuse an unprivileged
 *            domain with -EPERM (power off if it did, crash if not);
 *
 * and, for the builder's checks of what a dying domain leaves behind, three
 * modes that bind port P of the builder (allocated unbound for us), do
 * their part, notify the builder on that channel once and spin until it
 * destroys them:
 *
 *   evtpeer  nothing more: the channel is the point;
 *   grantee  maps the builder's grant R writable and fills the page with
 *            our words (below);
 *   granter  grants the builder a page of ours (link_page), filled with our
 *            words, as entry R of our own grant table.
 *
 * Word i of such a page is LINK_WORD(N, i); builder_links.c checks the same.  A
 * failure in these modes ends the child (crash) before it notifies, and the
 * builder sees the shutdown instead of the event.
 *
 * The handle the builder gives child N: the bytes of "mica-child-N",
 * zero-padded to 16.
 */
#include <abi/event_channel.h>
#include <abi/grant_table.h>
#include <abi/io/console.h>
#include <abi/version.h>
#include "clock.h"
#include "control.h"
#include "events.h"
#include "hypercall.h"
#include "kit.h"
#include "memory.h"

#define M2P ((const volatile uint64_t *)MACH2PHYS_VIRT_START)
#define BUILDER_ID 0                /* the privileged domain 0 that built us */
#define GT_SLOT    1                /* scratch slots: our grant frame, */
#define LINK_SLOT  2                /* the builder's grant, mapped (grantee) */
#define LINK_WORD(n, i) (0x6c696e6b00000000UL | (uint64_t)(n) << 16 | (i))

/* The page we grant (granter): our whole region is mapped, so no frame is
 * free to take; this one is ours, in the bss. */
static volatile uint64_t link_page[PAGE_SIZE / 8] __attribute__((aligned(PAGE_SIZE)));
static char mode[16];
static unsigned long child_n, child_id, child_pages, child_port, child_ref;

static long evtchn_op(unsigned int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_event_channel_op, cmd, KIT_UL(arg));
}

static long grant_op(unsigned int cmd, void *arg, unsigned int count)
{
    return _hypercall3(__HYPERVISOR_grant_table_op, cmd, KIT_UL(arg), count);
}

static int start_info_is_the_builders(void)
{
    const struct start_info *si = kit_si;
    const char *cmd = (const char *)si->cmd_line;
    size_t i;

    for (i = 0; i < sizeof(mode) - 1 && cmd[i] && cmd[i] != ' '; i++)
        mode[i] = cmd[i];
    mode[i] = '\0';
    child_n = kit_cmdline_number("child.n=", ~0UL);
    child_id = kit_cmdline_number("child.id=", ~0UL);
    child_pages = kit_cmdline_number("child.pages=", ~0UL);
    child_port = kit_cmdline_number("child.port=", ~0UL);
    child_ref = kit_cmdline_number("child.ref=", ~0UL);
    expect_true(child_n != ~0UL && child_id != ~0UL && child_pages != ~0UL,
                "child.n=, child.id= and child.pages= on the command line");
    expect_eq(memcmp(si->magic, "xen-3.0-x86_64", 15), 0, "start_info magic");
    expect_eq(si->nr_pages, child_pages, "start_info.nr_pages");
    expect_eq(si->flags, 0, "start_info.flags of an unprivileged domain");
    expect_ne(si->console.domU.evtchn, 0, "console event channel");
    expect_eq(si->store_evtchn, 0, "no xenstore: store_evtchn");
    expect_ok(kit_events_init(), "map shared_info (start_info.shared_info) and the callback");
    expect_eq(kit_vi->evtchn_upcall_mask, 1, "events masked at entry");
    return KIT_PASS;
}

static int hypercall_page_is_filled(void)
{
    long direct = HYPERVISOR_xen_version(XENVER_version, NULL);

    expect_true(direct > 0, "xen_version by syscall");
    expect_eq(kit_hcpage_call2(__HYPERVISOR_xen_version, XENVER_version, 0), direct,
              "xen_version through the hypercall page");
    return KIT_PASS;
}

static int domain_id_and_handle_are_the_builders(void)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    uint8_t handle[16], want[16];

    /* Our own id, as the hypervisor names it: the remote end of a port
     * allocated for ourselves. */
    expect_ok(evtchn_op(EVTCHNOP_alloc_unbound, &a), "alloc_unbound for ourselves");
    struct evtchn_status st = { .dom = DOMID_SELF, .port = a.port };
    expect_ok(evtchn_op(EVTCHNOP_status, &st), "status of that port");
    struct evtchn_close c = { .port = a.port };
    expect_ok(evtchn_op(EVTCHNOP_close, &c), "close it");
    expect_eq(st.status, EVTCHNSTAT_unbound, "port state");
    expect_eq(st.u.unbound.dom, child_id, "our domain id");

    memset(want, 0, sizeof(want));
    kit_snprintf((char *)want, sizeof(want), "mica-child-%lu", child_n);
    expect_ok(HYPERVISOR_xen_version(XENVER_guest_handle, handle), "XENVER_guest_handle");
    expect_eq(memcmp(handle, want, sizeof(want)), 0, "handle is the builder's");
    return KIT_PASS;
}

/* The hypervisor's command line is dom0's business: an unprivileged
 * domain reads "<denied>" and nothing past it is written. */
static int commandline_is_denied(void)
{
    static char line[1024];

    memset(line, 0x55, sizeof(line));
    expect_ok(HYPERVISOR_xen_version(XENVER_commandline, line), "XENVER_commandline");
    expect_eq(memcmp(line, "<denied>", 9), 0, "the denied line");
    expect_eq((uint8_t)line[9], 0x55, "nothing written past it");
    return KIT_PASS;
}

/* Count the nonzero words of [va, end). */
static uint64_t nonzero_words(uint64_t va, uint64_t end)
{
    uint64_t n = 0;

    for (; va < end; va += 8)
        n += *(const volatile uint64_t *)va != 0;
    return n;
}

static int all_memory_is_ours_and_usable(void)
{
    uint64_t free_lo = VIRT_BASE, free_lo_end = (uint64_t)_image_start;
    uint64_t free_hi = (kit_mem.known_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    uint64_t free_hi_end = kit_scratch_va(0);       /* the scratch slots stay */
    uint64_t sum = 0;

    for (uint64_t pfn = 0; pfn < kit_mem.nr_pages; pfn++)
        if (M2P[pfn_to_mfn(pfn)] != pfn)
            return kit_fail("pfn %#lx: p2m says mfn %#lx, whose M2P entry is %#lx", pfn,
                            pfn_to_mfn(pfn), M2P[pfn_to_mfn(pfn)]);
    expect_eq(kit_mem.mapped_end, VIRT_BASE + kit_mem.nr_pages * PAGE_SIZE,
              "the region maps every page");
    /* Pages the builder did not write are populate's fresh, zeroed frames. */
    expect_eq(nonzero_words(free_lo, free_lo_end), 0, "nonzero words below the image");
    expect_eq(nonzero_words(free_hi, free_hi_end), 0, "nonzero words in the slack");
    for (uint64_t va = VIRT_BASE; va < kit_mem.mapped_end; va += 8)
        sum += *(const volatile uint64_t *)va;
    for (uint64_t va = free_lo; va < free_hi_end; va += 8) {
        if (va == free_lo_end)
            va = free_hi;
        *(volatile uint64_t *)va = va ^ 0x5a5a5a5a5a5a5a5aUL;
    }
    for (uint64_t va = free_lo; va < free_hi_end; va += 8) {
        if (va == free_lo_end)
            va = free_hi;
        if (*(volatile uint64_t *)va != (va ^ 0x5a5a5a5a5a5a5a5aUL))
            return kit_fail("%#lx does not read back what was written", va);
    }
    kit_printf("kit: note: %lu pages, all read (sum %#lx); %lu KiB written and read back\n",
               kit_mem.nr_pages, sum,
               ((free_lo_end - free_lo) + (free_hi_end - free_hi)) >> 10);
    return KIT_PASS;
}

static void ring_write(volatile struct xencons_interface *r, const char *s, size_t n)
{
    XENCONS_RING_IDX prod = r->out_prod;

    for (size_t i = 0; i < n; i++)
        r->out[MASK_XENCONS_IDX(prod++, r->out)] = s[i];
    __atomic_store_n(&r->out_prod, prod, __ATOMIC_RELEASE);
}

static int console_ring_carries_a_line(void)
{
    uint64_t mfn = kit_si->console.domU.mfn, pfn = M2P[mfn];
    evtchn_port_t port = kit_si->console.domU.evtchn;
    char line[128];

    expect_true(pfn < kit_mem.nr_pages && pfn_to_mfn(pfn) == mfn, "the console page is ours");
    volatile struct xencons_interface *r = (void *)(VIRT_BASE + pfn * PAGE_SIZE);
    expect_eq(r->out_prod, 0, "a fresh ring");
    int n = kit_snprintf(line, sizeof(line), "child %lu (%s): up as d%lu with %lu pages\n",
                         child_n, mode, child_id, child_pages);
    ring_write(r, line, (size_t)n);
    struct evtchn_send send = { .port = port };
    expect_ok(evtchn_op(EVTCHNOP_send, &send), "notify the console port");
    /* Mica takes the line off the ring when notified or on its next tick. */
    uint64_t deadline = kit_system_time() + 5000000000ULL;
    while (__atomic_load_n(&r->out_cons, __ATOMIC_ACQUIRE) != r->out_prod) {
        expect_true(kit_system_time() < deadline, "Mica drained the ring within 5 s");
        evtchn_port_t ports[1] = { port };
        struct sched_poll p = { .nr_ports = 1, .timeout = kit_system_time() + 20000000ULL };
        set_xen_guest_handle(p.ports, ports);
        HYPERVISOR_sched_op(SCHEDOP_poll, &p);
        __atomic_fetch_and(&kit_shared->evtchn_pending[port / 64], ~(1UL << (port % 64)),
                           __ATOMIC_SEQ_CST);
    }
    return KIT_PASS;
}

static int control_refuses_us(void)
{
    struct mica_ctl_physinfo pi;
    struct mica_ctl_domaininfo info;
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_createdomain, DOMID_INVALID);

    expect_rc(kit_ctl_physinfo(&pi), -XEN_EPERM, "physinfo");
    op.interface_version = 0;
    expect_rc(HYPERVISOR_mica_control(&op), -XEN_EPERM, "a wrong version: EPERM comes first");
    op.interface_version = MICA_CTL_INTERFACE_VERSION;
    expect_rc(kit_ctl_domaininfo(0, &info), -XEN_EPERM, "getdomaininfo of d0");
    op.u.createdomain.max_vcpus = 1;
    op.u.createdomain.max_pages = 16;
    expect_rc(HYPERVISOR_mica_control(&op), -XEN_EPERM, "createdomain");
    expect_rc(kit_ctl_simple(MICA_CTL_pausedomain, 0), -XEN_EPERM, "pausedomain of d0");
    expect_rc(kit_ctl_simple(MICA_CTL_destroydomain, 0), -XEN_EPERM, "destroydomain of d0");
    expect_rc(kit_ctl_simple(MICA_CTL_destroydomain, (domid_t)child_id), -XEN_EPERM,
              "destroydomain of ourselves");
    kit_printf("kit: note: probe: the control hypercall refused us (EPERM) every time\n");
    return KIT_PASS;
}

static void spin_until_destroyed(void) __noreturn;
static void spin_until_destroyed(void)
{
    kit_printf("kit: note: spinning until the builder destroys us\n");
    kit_console_flush();
    for (volatile uint64_t spins = 0;; spins++)
        __asm__ volatile("pause");
}

/* ---- the modes that link us to the builder --------------------------------- */

/* Bind the builder's port child.port=; our end in *port. */
static int bind_the_builders_port(evtchn_port_t *port)
{
    struct evtchn_bind_interdomain b = { .remote_dom = BUILDER_ID,
                                         .remote_port = (evtchn_port_t)child_port };

    expect_true(child_port != ~0UL && child_ref < PAGE_SIZE / sizeof(struct grant_entry_v1),
                "child.port= and child.ref= (in our first grant frame) on the command line");
    expect_ok(evtchn_op(EVTCHNOP_bind_interdomain, &b), "bind_interdomain to the builder");
    struct evtchn_status st = { .dom = DOMID_SELF, .port = b.local_port };
    expect_ok(evtchn_op(EVTCHNOP_status, &st), "status of our end");
    expect_eq(st.status, EVTCHNSTAT_interdomain, "our end is interdomain");
    expect_eq(st.u.interdomain.dom, BUILDER_ID, "towards the builder");
    expect_eq(st.u.interdomain.port, child_port, "its port");
    *port = b.local_port;
    return KIT_PASS;
}

/* Notify the builder once, then wait for it to destroy us. */
static int notify_and_spin(evtchn_port_t port)
{
    struct evtchn_send s = { .port = port };

    expect_ok(evtchn_op(EVTCHNOP_send, &s), "notify the builder");
    spin_until_destroyed();
}

static void fill_link_page(volatile uint64_t *p)
{
    for (unsigned int i = 0; i < PAGE_SIZE / 8; i++)
        p[i] = LINK_WORD(child_n, i);
}

static int map_the_builders_grant(evtchn_port_t port)
{
    struct gnttab_map_grant_ref m = {
        .host_addr = kit_scratch_va(LINK_SLOT), .flags = GNTMAP_host_map,
        .ref = (grant_ref_t)child_ref, .dom = BUILDER_ID, .status = 99,
    };

    expect_ok(grant_op(GNTTABOP_map_grant_ref, &m, 1), "map_grant_ref");
    expect_eq(m.status, GNTST_okay, "map status: the builder's grant, writable");
    fill_link_page((volatile uint64_t *)kit_scratch_va(LINK_SLOT));
    kit_printf("kit: note: mapped d%u's grant %lu writable and filled it\n", BUILDER_ID,
               child_ref);
    return notify_and_spin(port);
}

static int grant_the_builder_a_page(evtchn_port_t port)
{
    uint64_t frames[1];
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1, .status = 99 };

    set_xen_guest_handle(st.frame_list, frames);
    expect_ok(grant_op(GNTTABOP_setup_table, &st, 1), "setup_table");
    expect_eq(st.status, GNTST_okay, "setup_table status");
    expect_ok(kit_scratch_map(GT_SLOT, frames[0], PTE_RW), "map our grant frame");
    uint64_t mfn = virt_to_mfn(link_page);
    fill_link_page(link_page);
    /* Frame and domid first, then the flags that make the entry valid. */
    volatile struct grant_entry_v1 *e = (volatile struct grant_entry_v1 *)
                                            kit_scratch_va(GT_SLOT) + child_ref;
    e->domid = BUILDER_ID;
    e->frame = (uint32_t)mfn;
    __atomic_store_n(&e->flags, GTF_permit_access, __ATOMIC_SEQ_CST);
    kit_printf("kit: note: granted d%u frame %#lx as ref %lu\n", BUILDER_ID, mfn, child_ref);
    return notify_and_spin(port);
}

static const struct {
    const char *name;
    int (*fn)(evtchn_port_t port);
} linked_modes[] = {
    { "evtpeer", notify_and_spin },
    { "grantee", map_the_builders_grant },
    { "granter", grant_the_builder_a_page },
};

static int mode_is_carried_out(void)
{
    evtchn_port_t port = 0;
    int r;

    if (!strncmp(mode, "exit", 5))
        return KIT_PASS;
    if (!strncmp(mode, "probe", 6))
        return control_refuses_us();
    if (!strncmp(mode, "crash", 6)) {
        kit_printf("kit: note: crashing on purpose\n");
        kit_shutdown(SHUTDOWN_crash);
    }
    if (!strncmp(mode, "spin", 5))
        spin_until_destroyed();
    for (unsigned int i = 0; i < ARRAY_SIZE(linked_modes); i++)
        if (!strncmp(mode, linked_modes[i].name, 8)) {
            if ((r = bind_the_builders_port(&port)) != KIT_PASS)
                return r;
            return linked_modes[i].fn(port);
        }
    return kit_fail("unknown mode '%s'", mode);
}

static const struct kit_test tests[] = {
    { "start_info_is_the_builders", start_info_is_the_builders, 0 },
    { "hypercall_page_is_filled", hypercall_page_is_filled, 0 },
    { "domain_id_and_handle_are_the_builders", domain_id_and_handle_are_the_builders, 0 },
    { "commandline_is_denied", commandline_is_denied, 0 },
    { "all_memory_is_ours_and_usable", all_memory_is_ours_and_usable, KIT_MM },
    { "console_ring_carries_a_line", console_ring_carries_a_line, KIT_MM },
    { "mode_is_carried_out", mode_is_carried_out, 0 },
};

KIT_KERNEL("child", tests);
