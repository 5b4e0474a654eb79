/* SPDX-License-Identifier: MIT */
/*
 * The builder kernel's checks of what a dying child leaves of its links to
 * us (builder.c holds the rest of the kernel and its test table).  Issue
 * #6: a dying domain closes its peers' ends of event channels, and grants
 * are cleaned up when either side dies -- the mapped grants released, no
 * reference left behind.  Each check builds one child (child.c's evtpeer,
 * grantee and granter modes) with a port of ours allocated unbound for it
 * and a grant reference on its command line; the child binds the port, does
 * its part, notifies us once and spins until we destroy it.
 */
#include <abi/event_channel.h>
#include <abi/grant_table.h>
#include <abi/memory.h>
#include "builder.h"
#include "clock.h"
#include "control.h"
#include "hypercall.h"
#include "kit.h"
#include "memory.h"
#include "pvbuild.h"

/* Scratch slots (builder.c's RING_SLOT is 1): */
#define GT_SLOT    2                /* our grant frame, */
#define GRANT_SLOT 3                /* the frame we grant a child, */
#define MAP_SLOT   4                /* where we map a child's grant */
#define LINK_REF   GNTTAB_NR_RESERVED_ENTRIES     /* the first one a toolstack leaves us */
#define NO_HANDLE  (~0U)
#define LINK_WORD(n, i) (0x6c696e6b00000000UL | (uint64_t)(n) << 16 | (i))   /* child.c */

static evtchn_port_t link_port;     /* ours, for the child; 0: none */
static grant_handle_t link_handle = NO_HANDLE;    /* our mapping of a child's grant */
static volatile struct grant_entry_v1 *our_gt;   /* our first grant frame, at GT_SLOT */

static long grant_op(unsigned int cmd, void *arg, unsigned int count)
{
    return _hypercall3(__HYPERVISOR_grant_table_op, cmd, KIT_UL(arg), count);
}

/* memory_op on our own reservation: one frame (decrease) or pfn (populate),
 * *frame becoming the new MFN for populate.  The number of extents done. */
static long one_extent(unsigned int cmd, uint64_t *frame)
{
    struct xen_memory_reservation r = { .nr_extents = 1, .domid = DOMID_SELF };

    set_xen_guest_handle(r.extent_start, frame);
    return _hypercall2(__HYPERVISOR_memory_op, cmd, KIT_UL(&r));
}

static void grant(volatile struct grant_entry_v1 *e, domid_t to, uint64_t mfn, uint16_t flags)
{
    e->domid = to;
    e->frame = (uint32_t)mfn;
    __atomic_store_n(&e->flags, flags, __ATOMIC_SEQ_CST);     /* valid from here */
}

/* Whether the page at va holds child n's words. */
static bool holds_link_words(uint64_t va, unsigned int n)
{
    const volatile uint64_t *p = (const volatile uint64_t *)va;

    for (unsigned int i = 0; i < PAGE_SIZE / 8; i++)
        if (p[i] != LINK_WORD(n, i))
            return false;
    return true;
}

/*
 * Once, before the first check: our first grant frame mapped at GT_SLOT,
 * and what stays allocated for good once it is first used taken now, as
 * the checks count free pages to the frame (and may run alone, kit.only=):
 * our maptrack page, which comes with our first grant mapping and stays for
 * our life (as in Xen) -- we map a grant of our own once -- and the frames
 * Mica's heap carves for a domain's small structures at the first creation
 * (free_pages_return_to_the_start) -- we create and destroy one child.
 */
static int links_ready(void)
{
    uint64_t frames[1];
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1, .status = 99 };

    if (our_gt)
        return KIT_PASS;
    set_xen_guest_handle(st.frame_list, frames);
    expect_ok(grant_op(GNTTABOP_setup_table, &st, 1), "setup_table");
    expect_eq(st.status, GNTST_okay, "setup_table status");
    expect_ok(kit_scratch_map(GT_SLOT, frames[0], PTE_RW), "map our grant frame");
    volatile struct grant_entry_v1 *gt = (void *)kit_scratch_va(GT_SLOT);
    grant(&gt[LINK_REF], 0 /* us */, virt_to_mfn(builder_text), GTF_permit_access | GTF_readonly);
    struct gnttab_map_grant_ref m = {
        .host_addr = kit_scratch_va(MAP_SLOT), .flags = GNTMAP_host_map | GNTMAP_readonly,
        .ref = LINK_REF, .dom = DOMID_SELF, .status = 99,
    };
    expect_ok(grant_op(GNTTABOP_map_grant_ref, &m, 1), "map a grant of our own");
    expect_eq(m.status, GNTST_okay, "map status");
    struct gnttab_unmap_grant_ref u = { .host_addr = m.host_addr, .handle = m.handle,
                                        .status = 99 };
    expect_ok(grant_op(GNTTABOP_unmap_grant_ref, &u, 1), "unmap it");
    expect_eq(u.status, GNTST_okay, "unmap status");
    expect_ok(kit_scratch_restore(MAP_SLOT), "restore the slot");
    grant(&gt[LINK_REF], 0, 0, GTF_invalid);
    expect_ok(create_child(0, 399, NULL), kit_pv_why);
    int r = destroy_and_check_gone(kids[0].domid, DOMID_INVALID);
    kids[0].domid = 0;
    if (r == KIT_PASS)
        our_gt = gt;
    return r;
}

/* Child n in slot 0, ready to run but paused, with "<mode>
 * child.port=<link_port> child.ref=<LINK_REF>" on its command line;
 * link_port is a port of ours allocated unbound for it. */
static long build_linked_child(unsigned int n, const char *mode)
{
    char args[64];
    long rc;

    if ((rc = create_child(0, n, NULL)))
        return rc;
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = kids[0].domid };
    if ((rc = evtchn_op(EVTCHNOP_alloc_unbound, &a))) {
        kit_snprintf(kit_pv_why, sizeof(kit_pv_why), "alloc_unbound for d%u: %s",
                     kids[0].domid, kit_errno_name(rc));
        return rc;
    }
    link_port = a.port;
    kit_snprintf(args, sizeof(args), "%s child.port=%u child.ref=%u", mode, link_port,
                 LINK_REF);
    if ((rc = load_image(0, n, args, NULL)))
        return rc;
    return start_vcpu(0, NULL);
}

/* Unpause the linked child and wait for its event on link_port (cleared).
 * A child that fails shuts down first: its FAIL line says why. */
static int child_notifies_us(const char *what)
{
    uint64_t deadline = kit_system_time() + WAIT_NS;
    evtchn_port_t ports[2] = { link_port, dom_exc };
    struct mica_ctl_domaininfo info;

    expect_ok(kit_ctl_simple(MICA_CTL_unpausedomain, kids[0].domid), "unpausedomain");
    while (!take_port(link_port)) {
        (void)take_dom_exc();
        expect_ok(kit_ctl_domaininfo(kids[0].domid, &info), "getdomaininfo");
        if (info.flags & MICA_DOMINF_shutdown)
            return kit_fail("%s: the child shut down (reason %u) instead", what,
                            info.shutdown_reason);
        if (kit_system_time() > deadline)
            return kit_fail("%s: none in %llu s", what, WAIT_NS / 1000000000ULL);
        struct sched_poll p = { .nr_ports = 2, .timeout = kit_system_time() + 100000000ULL };
        set_xen_guest_handle(p.ports, ports);
        HYPERVISOR_sched_op(SCHEDOP_poll, &p);
    }
    return KIT_PASS;
}

static long port_status(evtchn_port_t port, struct evtchn_status *st)
{
    *st = (struct evtchn_status){ .dom = DOMID_SELF, .port = port };
    return evtchn_op(EVTCHNOP_status, st);
}

static int close_link_port(void)
{
    struct evtchn_close c = { .port = link_port };
    struct evtchn_status st;

    expect_ok(evtchn_op(EVTCHNOP_close, &c), "close our port");
    link_port = 0;
    expect_ok(port_status(c.port, &st), "status after close");
    expect_eq(st.status, EVTCHNSTAT_closed, "closed");
    return KIT_PASS;
}

/* After each check, passed or not: no mapping, child, port or grant left. */
static void links_teardown(void)
{
    if (link_handle != NO_HANDLE) {
        struct gnttab_unmap_grant_ref u = { .host_addr = kit_scratch_va(MAP_SLOT),
                                            .handle = link_handle };
        (void)grant_op(GNTTABOP_unmap_grant_ref, &u, 1);
        link_handle = NO_HANDLE;
    }
    destroy_leftovers();
    if (link_port) {
        struct evtchn_close c = { .port = link_port };
        (void)evtchn_op(EVTCHNOP_close, &c);
        link_port = 0;
    }
    if (our_gt)
        __atomic_store_n(&our_gt[LINK_REF].flags, GTF_invalid, __ATOMIC_SEQ_CST);
    (void)kit_scratch_restore(GRANT_SLOT);
    (void)kit_scratch_restore(MAP_SLOT);
}

/* The child binds our port and notifies us once; destroyed, it leaves our
 * end unbound, still naming it (Xen's rule), where a send is dropped
 * without an error, as on any unbound port (Xen's evtchn_send returns 0). */
static int peer_port_checks(void)
{
    struct mica_ctl_physinfo before, after;
    struct evtchn_status st;
    int r;

    if ((r = links_ready()) != KIT_PASS)
        return r;
    expect_ok(kit_ctl_physinfo(&before), "physinfo");
    expect_ok(build_linked_child(400, "evtpeer"), kit_pv_why);
    domid_t id = kids[0].domid;
    if ((r = child_notifies_us("the child's event on our port")) != KIT_PASS)
        return r;
    expect_ok(port_status(link_port, &st), "status of our port");
    expect_eq(st.status, EVTCHNSTAT_interdomain, "bound by the child");
    expect_eq(st.u.interdomain.dom, id, "to the child");
    if ((r = destroy_and_check_gone(id, DOMID_INVALID)) != KIT_PASS)
        return r;
    kids[0].domid = 0;
    expect_ok(port_status(link_port, &st), "status once the child is gone");
    expect_eq(st.status, EVTCHNSTAT_unbound, "our end is unbound again");
    expect_eq(st.u.unbound.dom, id, "still naming the dead child");
    struct evtchn_send s = { .port = link_port };
    expect_ok(evtchn_op(EVTCHNOP_send, &s), "send on it (dropped, as in Xen)");
    expect_true(!take_port(link_port), "and nothing raised here");
    if ((r = close_link_port()) != KIT_PASS)
        return r;
    expect_ok(kit_ctl_physinfo(&after), "physinfo");
    expect_eq(after.free_pages, before.free_pages, "free pages back to the frame");
    return KIT_PASS;
}

int dying_peer_leaves_our_port_unbound(void)
{
    int r = peer_port_checks();

    links_teardown();
    return r;
}

/* Our frame at GRANT_SLOT, zeroed and mapped read-only, must (want 0) or
 * must not (-EINVAL) become a page table: a frame that another domain maps
 * writable cannot (its writable type reference), a frame only we hold can. */
static int pin_as_l1(uint64_t mfn, long want, const char *what)
{
    volatile uint64_t *p = (volatile uint64_t *)kit_scratch_va(GRANT_SLOT);

    for (unsigned int i = 0; i < PAGE_SIZE / 8; i++)
        p[i] = 0;
    expect_ok(kit_scratch_map(GRANT_SLOT, mfn, PTE_RO), "map it read-only");
    expect_rc(kit_mmuext1(MMUEXT_PIN_L1_TABLE, mfn), want, what);
    if (want == 0)
        expect_ok(kit_mmuext1(MMUEXT_UNPIN_TABLE, mfn), "unpin");
    expect_ok(kit_scratch_map(GRANT_SLOT, mfn, PTE_RW), "map it writable again");
    return KIT_PASS;
}

/* Once the child is gone, our granted frame is ours alone: given back, it
 * is free at once; we take its pfn back with a new frame. */
static int frame_is_ours_alone(uint64_t mfn)
{
    struct mica_ctl_physinfo pi[3];
    uint64_t pfn = M2P[mfn], frame = mfn;

    expect_ok(kit_scratch_restore(GRANT_SLOT), "unmap it");
    expect_ok(kit_ctl_physinfo(&pi[0]), "physinfo");
    expect_eq(one_extent(XENMEM_decrease_reservation, &frame), 1, "decrease_reservation");
    expect_ok(kit_ctl_physinfo(&pi[1]), "physinfo");
    expect_eq(pi[1].free_pages, pi[0].free_pages + 1, "it is free at once: no reference left");
    frame = pfn;
    expect_eq(one_extent(XENMEM_populate_physmap, &frame), 1, "populate_physmap of its pfn");
    expect_ok(kit_ctl_physinfo(&pi[2]), "physinfo");
    expect_eq(pi[2].free_pages, pi[0].free_pages, "one frame taken back");
    expect_eq(M2P[frame], pfn, "the new frame's M2P entry");
    ((uint64_t *)kit_mem.p2m)[pfn] = frame;     /* our p2m is ours to keep, as Linux's is */
    return KIT_PASS;
}

/* We grant the child a frame; it maps it writable and fills it; destroyed,
 * it leaves our entry idle, revocable, and the frame wholly ours. */
static int grantee_checks(void)
{
    struct mica_ctl_physinfo before, after;
    int r;

    if ((r = links_ready()) != KIT_PASS)
        return r;
    uint64_t mfn = kit_scratch_fresh(GRANT_SLOT);
    expect_ne(mfn, 0, "a frame of ours to grant");
    volatile struct grant_entry_v1 *e = &our_gt[LINK_REF];
    expect_ok(kit_ctl_physinfo(&before), "physinfo");
    expect_ok(build_linked_child(401, "grantee"), kit_pv_why);
    domid_t id = kids[0].domid;
    grant(e, id, mfn, GTF_permit_access);
    if ((r = child_notifies_us("the child's event: it mapped our grant and filled it")) !=
        KIT_PASS)
        return r;
    expect_true(holds_link_words(kit_scratch_va(GRANT_SLOT), 401),
                "the child's words arrived in our frame");
    expect_eq(e->flags, GTF_permit_access | GTF_reading | GTF_writing,
              "our entry while the child maps it writable");
    if ((r = pin_as_l1(mfn, -XEN_EINVAL, "pin as L1 while the child maps it")) != KIT_PASS ||
        (r = destroy_and_check_gone(id, DOMID_INVALID)) != KIT_PASS)
        return r;
    kids[0].domid = 0;
    expect_eq(e->flags, GTF_permit_access, "our entry: neither reading nor writing");
    uint16_t idle = GTF_permit_access;
    expect_true(__atomic_compare_exchange_n(&e->flags, &idle, 0, false, __ATOMIC_SEQ_CST,
                                            __ATOMIC_SEQ_CST),
                "revoke: the flags exchanged to 0");
    if ((r = pin_as_l1(mfn, 0, "pin as L1 once the child is gone")) != KIT_PASS ||
        (r = frame_is_ours_alone(mfn)) != KIT_PASS || (r = close_link_port()) != KIT_PASS)
        return r;
    expect_ok(kit_ctl_physinfo(&after), "physinfo");
    expect_eq(after.free_pages, before.free_pages, "free pages back to the frame");
    return KIT_PASS;
}

int dying_grantee_gives_our_frame_back(void)
{
    int r = grantee_checks();

    links_teardown();
    return r;
}

/* The child grants us a frame of its own and we map it writable; destroyed,
 * it stays dying while we map it, the frame keeps its contents, our unmap
 * still works, and then the child is gone with all its frames. */
static int granter_checks(void)
{
    struct mica_ctl_physinfo before, after;
    struct mica_ctl_domaininfo info;
    uint64_t va = kit_scratch_va(MAP_SLOT);
    int r;

    if ((r = links_ready()) != KIT_PASS)
        return r;
    expect_ok(kit_ctl_physinfo(&before), "physinfo");
    expect_ok(build_linked_child(402, "granter"), kit_pv_why);
    domid_t id = kids[0].domid;
    if ((r = child_notifies_us("the child's event: it granted us a frame")) != KIT_PASS)
        return r;
    struct gnttab_map_grant_ref m = { .host_addr = va, .flags = GNTMAP_host_map,
                                      .ref = LINK_REF, .dom = id, .status = 99 };
    expect_ok(grant_op(GNTTABOP_map_grant_ref, &m, 1), "map the child's grant");
    expect_eq(m.status, GNTST_okay, "map status");
    link_handle = m.handle;
    expect_true(holds_link_words(va, 402), "the child's words in its frame");
    expect_ok(kit_ctl_simple(MICA_CTL_destroydomain, id), "destroydomain");
    kids[0].domid = 0;
    expect_ok(kit_ctl_domaininfo(id, &info), "getdomaininfo while we map its frame");
    expect_eq(info.domain, id, "still listed");
    expect_true(info.flags & MICA_DOMINF_dying, "dying");
    expect_true(holds_link_words(va, 402), "its frame, still mapped, still holds its words");
    kit_printf("kit: note: dying d%u keeps %lu frames while we map its grant\n", id,
               info.tot_pages);
    struct gnttab_unmap_grant_ref u = { .host_addr = va, .handle = link_handle, .status = 99 };
    expect_ok(grant_op(GNTTABOP_unmap_grant_ref, &u, 1), "unmap the dying child's grant");
    expect_eq(u.status, GNTST_okay, "unmap status");
    link_handle = NO_HANDLE;
    expect_ok(kit_scratch_restore(MAP_SLOT), "restore the slot");
    expect_rc(kit_ctl_domaininfo(id, &info), -XEN_ESRCH, "gone at the next control call");
    if ((r = close_link_port()) != KIT_PASS)
        return r;
    expect_ok(kit_ctl_physinfo(&after), "physinfo");
    expect_eq(after.free_pages, before.free_pages, "free pages back to the frame");
    return KIT_PASS;
}

int dying_granter_waits_for_our_mapping(void)
{
    int r = granter_checks();

    links_teardown();
    return r;
}
