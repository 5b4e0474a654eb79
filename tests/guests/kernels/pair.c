/* SPDX-License-Identifier: MIT */
/*
 * Two domains talking (issue #6's scenarios), booted side by side from a
 * boot configuration: one runs with `pair.server`, the other without, each
 * with `pair.peer=<the other's domain id>`.  No xenstore: the client finds
 * the server's port by trying bind_interdomain on each low port until the
 * one allocated for it accepts.
 *
 *   ping_pong_over_an_interdomain_channel: N round trips, the client
 *     timing each (median printed as a bench line);
 *   grant_map_and_copy_between_domains: the server grants one frame
 *     read-only and one writable; the client maps the first and checks it,
 *     and writes the second with GNTTABOP_copy; the server checks both
 *     grants are idle again and the copied bytes arrived;
 *   yield_between_domains: both yield in turn (a context-switch cost);
 *   close_from_one_side_unbinds_the_other: the client closes its end; the
 *     server's port goes back to unbound, naming the client.
 *
 * Events stay masked: each side waits with SCHEDOP_poll on its port and
 * clears the pending bit itself.  Two notifications in a row coalesce into
 * one pending bit, so the sides take turns: each waits for the other's
 * event before sending its next.  With `pair.yield` the server yields as
 * soon as it has offered its port, so the client binds and pings before
 * the server first waits: the order is then the same on every boot.
 */
#include <abi/event_channel.h>
#include <abi/grant_table.h>
#include <abi/sched.h>
#include "events.h"
#include "hypercall.h"
#include "kit.h"
#include "memory.h"

#define ROUNDS   200
#define GT_SLOT  0              /* scratch slots: our grant frame, */
#define RO_SLOT  1              /* the frame granted read-only, */
#define RW_SLOT  2              /* the frame granted writable */
#define REF_RO   8
#define REF_RW   9

static bool server;
static bool offer_then_yield;   /* pair.yield: the client binds and pings first */
static domid_t peer;
static evtchn_port_t port;      /* our end of the channel */
static uint64_t samples[ROUNDS];

static long evtchn_op(unsigned int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_event_channel_op, cmd, KIT_UL(arg));
}

static long grant_op(unsigned int cmd, void *arg, unsigned int count)
{
    return _hypercall3(__HYPERVISOR_grant_table_op, cmd, KIT_UL(arg), count);
}

static void parse_cmdline(void)
{
    server = kit_strstr((const char *)kit_si->cmd_line, "pair.server") != NULL;
    peer = (domid_t)kit_cmdline_number("pair.peer=", 0);
    offer_then_yield = kit_strstr((const char *)kit_si->cmd_line, "pair.yield") != NULL;
}

static void notify(void)
{
    struct evtchn_send s = { .port = port };

    evtchn_op(EVTCHNOP_send, &s);
}

/* Wait until our port is pending, then clear it; false after ~20 s of
 * polls (each wakes at least every 100 ms of the guest's timer-less poll:
 * the bound is in polls, not time). */
static bool wait_port(void)
{
    volatile uint64_t *word = &kit_shared->evtchn_pending[port / 64];
    uint64_t bit = 1UL << (port % 64);

    for (unsigned long i = 0; i < 2000000; i++) {
        if (__atomic_fetch_and(word, ~bit, __ATOMIC_SEQ_CST) & bit)
            return true;
        struct sched_poll p = { .nr_ports = 1, .timeout = 0 };
        evtchn_port_t ports[1] = { port };
        set_xen_guest_handle(p.ports, ports);
        _hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, KIT_UL(&p));
    }
    return false;
}

/*
 * bind_interdomain raises the new port once (as Xen does, so that an event
 * sent to the offer is not lost).  The server sends nothing before our
 * first ping, so that bit is no message: left set, our first wait would
 * take it for the first pong, and our second ping could coalesce with the
 * first one while the server has not run yet -- from then on each of our
 * waits takes the answer to our previous message, and the last pong reads
 * as "granted" before the server has written its grants.
 */
static int drop_bind_event(void)
{
    volatile uint64_t *word = &kit_shared->evtchn_pending[port / 64];
    uint64_t bit = 1UL << (port % 64);

    expect_true(__atomic_fetch_and(word, ~bit, __ATOMIC_SEQ_CST) & bit,
                "the bind raised our new port");
    return KIT_PASS;
}

static int connect(void)
{
    expect_ok(kit_events_init(), "shared_info and the event callback");
    if (server) {
        struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = peer };
        expect_ok(evtchn_op(EVTCHNOP_alloc_unbound, &a), "alloc_unbound for the peer");
        port = a.port;
        /* pair.yield: let the client bind and send its first ping before
         * we first wait (the order a busy host or a slice end can give). */
        if (offer_then_yield)
            _hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
        return KIT_PASS;
    }
    /* The server may not have allocated yet: try the low ports, yield. */
    for (unsigned int round = 0; round < 100000; round++) {
        for (evtchn_port_t p = 1; p < 64; p++) {
            struct evtchn_bind_interdomain b = { .remote_dom = peer, .remote_port = p };
            if (evtchn_op(EVTCHNOP_bind_interdomain, &b) == 0) {
                port = b.local_port;
                return drop_bind_event();
            }
        }
        _hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    }
    return kit_fail("no port of domain %u accepted the binding", peer);
}

static int ping_pong_over_an_interdomain_channel(void)
{
    int r = connect();

    if (r != KIT_PASS)
        return r;
    kit_printf("kit: note: %s, peer d%u, port %u\n", server ? "server" : "client", peer, port);
    for (unsigned int i = 0; i < ROUNDS; i++) {
        if (server) {
            expect_true(wait_port(), "a ping arrived");
            notify();
        } else {
            uint64_t t0 = kit_rdtsc();
            notify();
            expect_true(wait_port(), "the pong arrived");
            samples[i] = kit_rdtsc() - t0;
        }
    }
    if (!server) {
        kit_sort_u64(samples, ROUNDS);
        kit_printf("kit: bench interdomain_round_trip.median %lu tsc-ticks\n",
                   samples[ROUNDS / 2]);
    }
    return KIT_PASS;
}

static void grant(volatile struct grant_entry_v1 *gt, grant_ref_t ref, uint16_t flags,
                  uint64_t mfn)
{
    gt[ref].domid = peer;
    gt[ref].frame = (uint32_t)mfn;
    __atomic_store_n(&gt[ref].flags, flags, __ATOMIC_SEQ_CST);
}

static int serve_grants(void)
{
    uint64_t frames[1];
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };

    expect_true(wait_port(), "the client is ready");

    set_xen_guest_handle(st.frame_list, frames);
    expect_ok(grant_op(GNTTABOP_setup_table, &st, 1), "setup_table");
    expect_eq(st.status, GNTST_okay, "setup_table status");
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    expect_ok(grant_op(GNTTABOP_query_size, &q, 1), "query_size");
    kit_printf("kit: note: grant table %u of at most %u frames\n", q.nr_frames, q.max_nr_frames);
    expect_ok(kit_scratch_map(GT_SLOT, frames[0], PTE_RW), "map the grant frame");
    volatile struct grant_entry_v1 *gt = (void *)kit_scratch_va(GT_SLOT);
    uint64_t ro = kit_scratch_fresh(RO_SLOT), rw = kit_scratch_fresh(RW_SLOT);
    expect_true(ro && rw, "two frames to grant");
    uint8_t *pro = (uint8_t *)kit_scratch_va(RO_SLOT), *prw = (uint8_t *)kit_scratch_va(RW_SLOT);
    for (unsigned int i = 0; i < PAGE_SIZE; i++)
        pro[i] = (uint8_t)(i * 7 + 1);
    grant(gt, REF_RO, GTF_permit_access | GTF_readonly, ro);
    grant(gt, REF_RW, GTF_permit_access, rw);
    notify();                                           /* "granted" */
    expect_true(wait_port(), "the client says it is done");
    for (unsigned int i = 0; i < PAGE_SIZE; i++)
        if (prw[i] != 0xc3)
            return kit_fail("byte %u of the writable grant is %#x, not 0xc3", i, prw[i]);
    expect_eq(gt[REF_RO].flags, GTF_permit_access | GTF_readonly, "read-only grant idle");
    expect_eq(gt[REF_RW].flags, GTF_permit_access, "writable grant idle");
    grant(gt, REF_RO, GTF_invalid, 0);
    grant(gt, REF_RW, GTF_invalid, 0);
    notify();                                           /* "revoked" */
    return KIT_PASS;
}

static int use_grants(void)
{
    /* Events coalesce: say "ready" only once the last pong is consumed, so
     * the server's next event can only be "granted". */
    notify();                                           /* "ready" */
    expect_true(wait_port(), "the server says it granted");
    struct gnttab_map_grant_ref m = {
        .host_addr = kit_scratch_va(RO_SLOT), .flags = GNTMAP_host_map | GNTMAP_readonly,
        .ref = REF_RO, .dom = peer, .status = 99,
    };
    expect_ok(grant_op(GNTTABOP_map_grant_ref, &m, 1), "map_grant_ref");
    expect_eq(m.status, GNTST_okay, "map status");
    const volatile uint8_t *p = (const void *)kit_scratch_va(RO_SLOT);
    for (unsigned int i = 0; i < PAGE_SIZE; i++)
        if (p[i] != (uint8_t)(i * 7 + 1))
            return kit_fail("byte %u of the mapped grant is %#x", i, p[i]);
    struct gnttab_unmap_grant_ref u = { .host_addr = kit_scratch_va(RO_SLOT),
                                        .handle = m.handle, .status = 99 };
    expect_ok(grant_op(GNTTABOP_unmap_grant_ref, &u, 1), "unmap_grant_ref");
    expect_eq(u.status, GNTST_okay, "unmap status");
    /* The cost of a foreign grant mapping: map + unmap, ROUNDS times. */
    for (unsigned int i = 0; i < ROUNDS; i++) {
        uint64_t t0 = kit_rdtsc();
        m.status = u.status = 99;
        grant_op(GNTTABOP_map_grant_ref, &m, 1);
        u.handle = m.handle;
        grant_op(GNTTABOP_unmap_grant_ref, &u, 1);
        samples[i] = kit_rdtsc() - t0;
        expect_true(m.status == GNTST_okay && u.status == GNTST_okay, "map and unmap");
    }
    kit_sort_u64(samples, ROUNDS);
    kit_printf("kit: bench grant_map_unmap.median %lu tsc-ticks\n", samples[ROUNDS / 2]);
    expect_ok(kit_scratch_restore(RO_SLOT), "restore the slot");

    /* A writable grant that is read-only-mapped is refused to writes; the
     * copy goes by reference into the server's frame. */
    uint64_t src = kit_scratch_fresh(RW_SLOT);
    expect_true(src != 0, "a source frame");
    uint8_t *s = (uint8_t *)kit_scratch_va(RW_SLOT);
    for (unsigned int i = 0; i < PAGE_SIZE; i++)
        s[i] = 0xc3;
    struct gnttab_copy c = {
        .source = { .u.gmfn = src, .domid = DOMID_SELF },
        .dest = { .u.ref = REF_RW, .domid = peer },
        .len = PAGE_SIZE, .flags = GNTCOPY_dest_gref, .status = 99,
    };
    for (unsigned int i = 0; i < ROUNDS; i++) {    /* 4 KiB grant copies */
        uint64_t t0 = kit_rdtsc();
        c.status = 99;
        grant_op(GNTTABOP_copy, &c, 1);
        samples[i] = kit_rdtsc() - t0;
        expect_eq(c.status, GNTST_okay, "copy status");
    }
    kit_sort_u64(samples, ROUNDS);
    kit_printf("kit: bench grant_copy_4k.median %lu tsc-ticks\n", samples[ROUNDS / 2]);
    struct gnttab_copy bad = {
        .source = { .u.gmfn = src, .domid = DOMID_SELF },
        .dest = { .u.ref = REF_RO, .domid = peer },
        .len = 16, .flags = GNTCOPY_dest_gref, .status = 99,
    };
    expect_ok(grant_op(GNTTABOP_copy, &bad, 1), "copy into the read-only grant");
    expect_true(bad.status != GNTST_okay, "writing through a read-only grant is refused");
    notify();                                           /* "done" */
    expect_true(wait_port(), "the server revoked its grants");
    m.status = 99;
    expect_ok(grant_op(GNTTABOP_map_grant_ref, &m, 1), "map a revoked grant");
    expect_true(m.status != GNTST_okay, "a revoked grant cannot be mapped");
    expect_ok(kit_scratch_restore(RO_SLOT), "restore the slot");
    return KIT_PASS;
}

static int grant_map_and_copy_between_domains(void)
{
    if (!port)
        return kit_skip("no channel");
    return server ? serve_grants() : use_grants();
}

/* Both sides yield ROUNDS times: each of the client's yields is a switch
 * to the server and back (two context switches and two hypercalls). */
static int yield_between_domains(void)
{
    for (unsigned int i = 0; i < ROUNDS; i++) {
        uint64_t t0 = kit_rdtsc();
        _hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
        samples[i] = kit_rdtsc() - t0;
    }
    if (!server) {
        kit_sort_u64(samples, ROUNDS);
        kit_printf("kit: bench yield_to_the_other_domain_and_back.median %lu tsc-ticks\n",
                   samples[ROUNDS / 2]);
    }
    return KIT_PASS;
}

static int close_from_one_side_unbinds_the_other(void)
{
    if (!port)
        return kit_skip("no channel");
    if (!server) {
        struct evtchn_close c = { .port = port };
        expect_ok(evtchn_op(EVTCHNOP_close, &c), "close our end");
        return KIT_PASS;
    }
    for (unsigned long i = 0; i < 1000000; i++) {
        struct evtchn_status st = { .dom = DOMID_SELF, .port = port };
        expect_ok(evtchn_op(EVTCHNOP_status, &st), "status");
        if (st.status == EVTCHNSTAT_unbound) {
            expect_eq(st.u.unbound.dom, peer, "unbound, naming the peer");
            return KIT_PASS;
        }
        expect_eq(st.status, EVTCHNSTAT_interdomain, "still bound until the peer closes");
        _hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    }
    return kit_fail("the peer never closed its end");
}

static int setup(void)
{
    parse_cmdline();
    kit_printf("kit: note: role %s, peer d%u\n", server ? "server" : "client", peer);
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "role_and_peer_from_the_command_line", setup, 0 },
    { "ping_pong_over_an_interdomain_channel", ping_pong_over_an_interdomain_channel, 0 },
    { "grant_map_and_copy_between_domains", grant_map_and_copy_between_domains, KIT_MM },
    { "yield_between_domains", yield_between_domains, 0 },
    { "close_from_one_side_unbinds_the_other", close_from_one_side_unbinds_the_other, 0 },
};

KIT_KERNEL("pair", tests);
