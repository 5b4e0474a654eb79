/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the 2-level event-channel core (common/event_channel.c),
 * group hv-evtchn: every EVTCHNOP and each of its refusals, interdomain
 * channels between two domains closed or destroyed from either side, the
 * pending / selector / upcall protocol bit by bit as Linux reads it, the
 * masked-then-unmasked race, and a model run of random operations (with a
 * Linux-like guest taking its upcalls) that checks the table's invariants
 * after every step.  The harness gives the real sources guest copies over
 * host pointers, a malloc heap that can be told to fail, fake shared_info
 * frames and three registered domains (common/domain.c is linked as is).
 * fuzz_evtchn.c includes this file with EVTCHN_FUZZ to reuse the harness
 * and the model.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mica/errno.h>
#include <mica/event.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/mm.h>

#ifdef EVTCHN_FUZZ
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); abort(); } } while (0)
#define CHECK_EQ(a, b) CHECK((long)(a) == (long)(b))
#else
#include <cmocka.h>
#define CHECK(c) assert_true(c)
#define CHECK_EQ(a, b) assert_int_equal((long)(a), (long)(b))
#endif

/* ---------------------------------------------------------------- harness */

#include "host_stubs.h"

/* The scheduler's wake-ups: counted, nothing to wake here. */
static unsigned long kicks, poll_kicks;
void vcpu_kick(struct vcpu *v)
{
    (void)v;
    kicks++;
}

void domain_poll_kick(struct domain *d)
{
    (void)d;
    poll_kicks++;
}

/* Sends on a port whose other end is Mica (console rings). */
void console_ring_drain(struct domain *d)
{
    (void)d;
}

#define NR_DOMS 3
static _Alignas(4096) uint8_t frames[NR_DOMS][PAGE_SIZE];     /* shared_info */

void *mm_map_frame(mfn_t mfn)
{
    CHECK(mfn < NR_DOMS);
    return frames[mfn];
}

struct vcpu_info *vcpu_info_of(struct vcpu *v)
{
    return &((struct shared_info *)mm_map_frame(v->domain->shared_info_mfn))
                ->vcpu_info[v->vcpu_id];
}

/* A small frame table for EVTCHNOP_init_control's frame check: frame 0
 * a plain page of dom1, 1 an L1 table of dom1, 2 a page of dom7. */
static struct page_info pages[3] = {
    { .count = 1, .owner = 1 },
    { .count = 1, .owner = 1, .type = PGT_l1, .type_count = 1 },
    { .count = 1, .owner = 7 },
};
struct page_info *frame_table = pages;
mfn_t max_page = 3;

/* dom0 (privileged, 2 vCPUs), dom1 (1 vCPU), dom7 (2 vCPUs). */
static struct domain doms[NR_DOMS];
static struct vcpu vcpus[NR_DOMS][2];
static const domid_t dom_ids[NR_DOMS] = { 0, 1, 7 };
static const unsigned int dom_vcpus[NR_DOMS] = { 2, 1, 2 };
#define D0 (&doms[0])
#define D1 (&doms[1])
#define D7 (&doms[2])

static struct shared_info *shinfo(struct domain *d)
{
    return mm_map_frame(d->shared_info_mfn);
}

static struct vcpu_info *vi(struct domain *d, unsigned int vcpu)
{
    return &shinfo(d)->vcpu_info[vcpu];
}

static void dom_init(unsigned int i)
{
    struct domain *d = &doms[i];

    CHECK_EQ(evtchn_domain_init(d), 0);
    for (unsigned int v = 1; v < dom_vcpus[i]; v++)
        CHECK_EQ(evtchn_vcpu_init(&vcpus[i][v]), 0);
}

static int setup(void **state)
{
    (void)state;
    memset(frames, 0, sizeof(frames));
    memset(doms, 0, sizeof(doms));
    memset(vcpus, 0, sizeof(vcpus));
    live_allocs = 0;
    fail_alloc_in = 0;
    ro_arg = NULL;
    for (unsigned int i = 0; i < NR_DOMS; i++) {
        doms[i].domain_id = dom_ids[i];
        doms[i].is_privileged = i == 0;
        doms[i].shared_info_mfn = i;
        for (unsigned int v = 0; v < 2; v++)
            vcpus[i][v] = (struct vcpu){ .domain = &doms[i], .vcpu_id = v };
        doms[i].vcpu0 = &vcpus[i][0];
        CHECK_EQ(domain_register(&doms[i]), 0);
        dom_init(i);
    }
    current = &vcpus[0][0];
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (unsigned int i = 0; i < NR_DOMS; i++) {
        evtchn_domain_destroy(&doms[i]);
        CHECK(doms[i].evtchn == NULL);
        domain_unregister(&doms[i]);
    }
    CHECK_EQ(live_allocs, 0);
    return 0;
}

/* ------------------------------------------------------- hypercall helpers */

static long hc_on(struct vcpu *v, uint64_t cmd, const void *arg)
{
    uint64_t a[HYPERCALL_MAX_ARGS] = { cmd, (uintptr_t)arg };

    current = v;
    current->hypercall_args = a;
    return do_event_channel_op((uint32_t)a[0], a[1]);
}

static long hc(struct domain *d, uint64_t cmd, const void *arg)
{
    return hc_on(d->vcpu0, cmd, arg);
}

/* The port on success, else the error. */
static long alloc_unbound(struct domain *d, domid_t dom, domid_t remote)
{
    struct evtchn_alloc_unbound a = { .dom = dom, .remote_dom = remote, .port = 0xdead };
    long rc = hc(d, EVTCHNOP_alloc_unbound, &a);
    return rc ? rc : (long)a.port;
}

static long bind_interdomain(struct domain *d, domid_t rdom, uint32_t rport)
{
    struct evtchn_bind_interdomain b = { .remote_dom = rdom, .remote_port = rport };
    long rc = hc(d, EVTCHNOP_bind_interdomain, &b);
    return rc ? rc : (long)b.local_port;
}

static long bind_virq(struct domain *d, uint32_t virq, uint32_t vcpu)
{
    struct evtchn_bind_virq b = { .virq = virq, .vcpu = vcpu };
    long rc = hc(d, EVTCHNOP_bind_virq, &b);
    return rc ? rc : (long)b.port;
}

static long bind_ipi(struct domain *d, uint32_t vcpu)
{
    struct evtchn_bind_ipi b = { .vcpu = vcpu };
    long rc = hc(d, EVTCHNOP_bind_ipi, &b);
    return rc ? rc : (long)b.port;
}

static long evclose(struct domain *d, uint32_t port)
{
    struct evtchn_close c = { .port = port };
    return hc(d, EVTCHNOP_close, &c);
}

static long send(struct domain *d, uint32_t port)
{
    struct evtchn_send s = { .port = port };
    return hc(d, EVTCHNOP_send, &s);
}

static long unmask(struct domain *d, uint32_t port)
{
    struct evtchn_unmask u = { .port = port };
    return hc(d, EVTCHNOP_unmask, &u);
}

static long bind_vcpu(struct domain *d, uint32_t port, uint32_t vcpu)
{
    struct evtchn_bind_vcpu b = { .port = port, .vcpu = vcpu };
    return hc(d, EVTCHNOP_bind_vcpu, &b);
}

static long reset(struct domain *d, domid_t dom)
{
    struct evtchn_reset r = { .dom = dom };
    return hc(d, EVTCHNOP_reset, &r);
}

static long status(struct domain *caller, domid_t dom, uint32_t port, struct evtchn_status *s)
{
    memset(s, 0xa5, sizeof(*s));
    s->dom = dom;
    s->port = port;
    return hc(caller, EVTCHNOP_status, s);
}

/* Status of d's port as seen by privileged dom0. */
static uint32_t state_of(struct domain *d, uint32_t port, struct evtchn_status *s)
{
    struct evtchn_status tmp;
    if (!s)
        s = &tmp;
    CHECK_EQ(status(D0, d->domain_id, port, s), 0);
    return s->status;
}

/* Guest-side views of the bitmaps. */
static bool pending(struct domain *d, unsigned int p)
{
    return shinfo(d)->evtchn_pending[p / 64] >> (p % 64) & 1;
}

static void set_mask(struct domain *d, unsigned int p, bool on)
{
    if (on)
        shinfo(d)->evtchn_mask[p / 64] |= 1UL << (p % 64);
    else
        shinfo(d)->evtchn_mask[p / 64] &= ~(1UL << (p % 64));
}

static bool masked(struct domain *d, unsigned int p)
{
    return shinfo(d)->evtchn_mask[p / 64] >> (p % 64) & 1;
}

/* What a guest does on waking: forget everything raised so far. */
static void quiesce(struct domain *d)
{
    memset(shinfo(d)->evtchn_pending, 0, sizeof(shinfo(d)->evtchn_pending));
    for (unsigned int v = 0; v < 2; v++) {
        vi(d, v)->evtchn_upcall_pending = 0;
        vi(d, v)->evtchn_pending_sel = 0;
    }
}

/* ------------------------------------------------------------------- model */

/*
 * A Linux-like upcall on vCPU v of d: clear upcall_pending, take the
 * selector, and handle (clear) every pending unmasked port in those words.
 */
static void guest_upcall(struct domain *d, unsigned int v)
{
    struct shared_info *s = shinfo(d);
    uint64_t sel;

    vi(d, v)->evtchn_upcall_pending = 0;
    sel = __atomic_exchange_n(&vi(d, v)->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    for (unsigned int w = 0; w < 64; w++)
        if (sel >> w & 1)
            __atomic_fetch_and(&s->evtchn_pending[w], s->evtchn_mask[w], __ATOMIC_SEQ_CST);
}

/* Linux unmasking a port bound to the vCPU it runs on (vCPU 0 here):
 * no hypercall, it re-raises a pending event itself. */
static void guest_unmask_local(struct domain *d, unsigned int p)
{
    set_mask(d, p, false);
    if (pending(d, p) &&
        !(__atomic_fetch_or(&vi(d, 0)->evtchn_pending_sel, 1UL << (p / 64),
                            __ATOMIC_SEQ_CST) >> (p / 64) & 1))
        vi(d, 0)->evtchn_upcall_pending = 1;
}

/*
 * The table's invariants, read back through EVTCHNOP_status (as dom0) and
 * the shared pages:
 *  - valid ports are a prefix of whole 256-port buckets; port 0 is closed;
 *  - every state is one of the five; vCPUs named exist;
 *  - both ends of every interdomain channel name each other;
 *  - each (virq, vCPU) is bound at most once;
 *  - unprivileged domains use ports 1..1023 at most;
 *  - (the model guest never sets pending itself) pending bits only on
 *    bound ports, and a pending unmasked port has its selector bit and
 *    upcall_pending set on some vCPU of the domain: nothing is lost.
 */
static void check_invariants(void)
{
    for (unsigned int i = 0; i < NR_DOMS; i++) {
        struct domain *d = &doms[i];
        struct evtchn_status s;
        bool virq_seen[NR_VIRQS][2] = { { false } };
        unsigned int p, used = 0;

        if (!d->evtchn)
            continue;
        CHECK_EQ(state_of(d, 0, NULL), EVTCHNSTAT_closed);
        for (p = 0; p < 4096; p++) {
            if (status(D0, d->domain_id, p, &s) == -EINVAL)
                break;
            CHECK(s.vcpu < dom_vcpus[i]);
            switch (s.status) {
            case EVTCHNSTAT_closed:
                CHECK(!pending(d, p));
                continue;
            case EVTCHNSTAT_unbound:
            case EVTCHNSTAT_ipi:
                break;
            case EVTCHNSTAT_interdomain: {
                struct evtchn_status r;
                struct domain *rd = domain_by_id(s.u.interdomain.dom);
                CHECK(rd && rd->evtchn);
                CHECK_EQ(status(D0, rd->domain_id, s.u.interdomain.port, &r), 0);
                CHECK_EQ(r.status, EVTCHNSTAT_interdomain);
                CHECK_EQ(r.u.interdomain.dom, d->domain_id);
                CHECK_EQ(r.u.interdomain.port, p);
                break;
            }
            case EVTCHNSTAT_virq: {
                unsigned int slot = s.u.virq == VIRQ_TIMER || s.u.virq == VIRQ_DEBUG ||
                                    s.u.virq == VIRQ_XENOPROF || s.u.virq == VIRQ_XENPMU
                                    ? s.vcpu : 0;
                CHECK(s.u.virq < NR_VIRQS);
                CHECK(!virq_seen[s.u.virq][slot]);
                virq_seen[s.u.virq][slot] = true;
                break;
            }
            default:
                CHECK(0);
            }
            used++;
            CHECK(d->is_privileged || p <= EVTCHN_DEFAULT_MAX_PORT);
            if (pending(d, p) && !masked(d, p)) {
                bool told = false;
                for (unsigned int v = 0; v < dom_vcpus[i]; v++)
                    told |= (vi(d, v)->evtchn_pending_sel >> (p / 64) & 1) &&
                            vi(d, v)->evtchn_upcall_pending;
                CHECK(told);
            }
        }
        CHECK(p % 256 == 0 && p > 0);
        for (; p < 4096; p++)
            CHECK_EQ(status(D0, d->domain_id, p, &s), -EINVAL);
        CHECK(d->is_privileged || used <= EVTCHN_DEFAULT_MAX_PORT);
    }
}

static unsigned long model_stats[16][2];      /* [op][succeeded] */

/* One random operation (r: random bits), checked against what status said
 * before it where the answer is certain. */
static void model_step(uint64_t r)
{
    unsigned int di = (r >> 4) % NR_DOMS, ri = (r >> 8) % NR_DOMS;
    struct domain *d = &doms[di], *rd = &doms[ri];
    uint32_t port = (r >> 12) & 0x100 ? (r >> 12) & 0x1ff : (r >> 12) % 48;
    uint32_t vcpu = (r >> 21) % 3;
    struct evtchn_status before;
    long rc = -1;

    if (!d->evtchn) {
        dom_init(di);
        return;
    }
    switch (r % 16) {
    case 0:
        rc = alloc_unbound(d, (r >> 24) & 1 ? rd->domain_id : DOMID_SELF, rd->domain_id);
        CHECK(rc > 0 || rc == -EPERM || rc == -ENOSPC || rc == -ESRCH);
        break;
    case 1:
        for (uint32_t p = 1; (r >> 30) & 1 && rd->evtchn && p < 256; p++)
            if (state_of(rd, p, &before) == EVTCHNSTAT_unbound &&
                before.u.unbound.dom == d->domain_id) {
                port = p;               /* an offer made to d */
                break;
            }
        rc = bind_interdomain(d, rd->domain_id, port);
        if (rd->evtchn && rc > 0)
            CHECK_EQ(state_of(rd, port, &before), EVTCHNSTAT_interdomain);
        break;
    case 2:
        rc = bind_virq(d, (r >> 24) % 26, vcpu);
        break;
    case 3:
        rc = bind_ipi(d, vcpu);
        CHECK(rc > 0 || (rc == -ENOENT && vcpu >= dom_vcpus[di]) || rc == -ENOSPC);
        break;
    case 4: case 5: {
        bool valid = status(D0, d->domain_id, port, &before) == 0;
        rc = evclose(d, port);
        CHECK_EQ(rc, valid && before.status != EVTCHNSTAT_closed ? 0 : -EINVAL);
        if (!rc)
            CHECK_EQ(state_of(d, port, NULL), EVTCHNSTAT_closed);
        break;
    }
    case 6: case 7: {
        bool valid = status(D0, d->domain_id, port, &before) == 0;
        rc = send(d, port);
        if (!valid)
            CHECK_EQ(rc, -EINVAL);
        else if (before.status == EVTCHNSTAT_interdomain)
            CHECK(rc == 0 && pending(domain_by_id(before.u.interdomain.dom),
                                     before.u.interdomain.port));
        else if (before.status == EVTCHNSTAT_ipi)
            CHECK(rc == 0 && pending(d, port));
        break;
    }
    case 8:
        rc = unmask(d, port);
        if (!rc)
            CHECK(!masked(d, port));
        break;
    case 9:
        rc = bind_vcpu(d, port, vcpu);
        break;
    case 10:
        if ((r >> 24) & 1)
            set_mask(d, port, true);
        else
            guest_unmask_local(d, port);
        break;
    case 11: case 12:
        guest_upcall(d, vcpu % dom_vcpus[di]);
        break;
    case 13:
        evtchn_send_virq(&vcpus[di][vcpu % dom_vcpus[di]], (r >> 24) % NR_VIRQS);
        break;
    case 14:
        if ((r >> 24) % 8 == 0)
            CHECK_EQ(reset(d, DOMID_SELF), 0);
        break;
    case 15:
        if ((r >> 24) % 8 == 0 && d != D0) {      /* dom0 observes */
            evtchn_domain_destroy(d);
            quiesce(d);         /* a new domain gets a clean shared_info */
            memset(shinfo(d)->evtchn_mask, 0, sizeof(shinfo(d)->evtchn_mask));
        }
        break;
    }
    model_stats[r % 16][rc == 0 || rc > 0]++;
    check_invariants();
}

#ifndef EVTCHN_FUZZ
/* ------------------------------------------------------------------- tests */

static void port0_reserved(void **state)
{
    struct evtchn_status s;
    (void)state;
    CHECK_EQ(status(D1, DOMID_SELF, 0, &s), 0);
    CHECK_EQ(s.status, EVTCHNSTAT_closed);
    CHECK_EQ(evclose(D1, 0), -EINVAL);
    CHECK_EQ(send(D1, 0), -EINVAL);
    CHECK_EQ(bind_vcpu(D1, 0, 0), -EINVAL);
    CHECK_EQ(alloc_unbound(D1, DOMID_SELF, DOMID_SELF), 1);    /* never 0 */
    CHECK_EQ(bind_ipi(D1, 0), 2);
}

static void alloc_unbound_ok_and_refused(void **state)
{
    struct evtchn_status s;
    (void)state;
    long p = alloc_unbound(D1, 1, 0);
    CHECK_EQ(p, 1);
    CHECK_EQ(state_of(D1, 1, &s), EVTCHNSTAT_unbound);
    CHECK_EQ(s.u.unbound.dom, 0);
    CHECK_EQ(s.vcpu, 0);
    CHECK_EQ(alloc_unbound(D1, DOMID_SELF, DOMID_SELF), 2);
    CHECK_EQ(state_of(D1, 2, &s), EVTCHNSTAT_unbound);
    CHECK_EQ(s.u.unbound.dom, 1);
    CHECK_EQ(alloc_unbound(D1, 7, 0), -EPERM);          /* for another domain */
    CHECK_EQ(alloc_unbound(D1, 5, 0), -ESRCH);          /* no such domain */
    CHECK_EQ(alloc_unbound(D1, DOMID_SELF, 5), -ESRCH);
    CHECK_EQ(alloc_unbound(D1, DOMID_SELF, DOMID_IO), -ESRCH);
    CHECK_EQ(alloc_unbound(D1, DOMID_XEN, 0), -ESRCH);
    /* dom0 may allocate in dom7's table; DOMID_SELF means dom0 there. */
    CHECK_EQ(alloc_unbound(D0, 7, DOMID_SELF), 1);
    CHECK_EQ(state_of(D7, 1, &s), EVTCHNSTAT_unbound);
    CHECK_EQ(s.u.unbound.dom, 0);
    CHECK_EQ(state_of(D0, 1, NULL), EVTCHNSTAT_closed);
}

static void bad_ports_refused(void **state)
{
    static const uint32_t bad[] = { 256, 1023, 4095, 4096, 65536, 0xffffffffU };
    struct evtchn_status s;
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        CHECK_EQ(evclose(D1, bad[i]), -EINVAL);
        CHECK_EQ(send(D1, bad[i]), -EINVAL);
        CHECK_EQ(unmask(D1, bad[i]), -EINVAL);
        CHECK_EQ(bind_vcpu(D1, bad[i], 0), -EINVAL);
        CHECK_EQ(status(D1, DOMID_SELF, bad[i], &s), -EINVAL);
        CHECK_EQ(bind_interdomain(D1, 0, bad[i]), -EINVAL);
    }
    /* A free port inside an allocated bucket: closed, and nothing to do. */
    CHECK_EQ(status(D1, DOMID_SELF, 5, &s), 0);
    CHECK_EQ(s.status, EVTCHNSTAT_closed);
    CHECK_EQ(evclose(D1, 5), -EINVAL);
    CHECK_EQ(send(D1, 5), -EINVAL);
    CHECK_EQ(unmask(D1, 5), 0);
}

static void port_limit(void **state)
{
    long p, n = 0;
    (void)state;
    while ((p = bind_ipi(D1, 0)) > 0) {
        CHECK_EQ(p, ++n);
    }
    CHECK_EQ(p, -ENOSPC);
    CHECK_EQ(n, EVTCHN_DEFAULT_MAX_PORT);
    CHECK_EQ(alloc_unbound(D1, DOMID_SELF, 0), -ENOSPC);
    CHECK_EQ(evclose(D1, 700), 0);
    CHECK_EQ(bind_ipi(D1, 0), 700);                     /* lowest free */
    /* No bucket is allocated beyond the limit. */
    CHECK_EQ(state_of(D1, 1023, NULL), EVTCHNSTAT_ipi);
    CHECK_EQ(send(D1, 1024), -EINVAL);
    /* The privileged domain has the whole 2-level space. */
    n = 0;
    while ((p = bind_ipi(D0, 1)) > 0)
        n++;
    CHECK_EQ(p, -ENOSPC);
    CHECK_EQ(n, 4095);
    CHECK_EQ(reset(D0, 1), 0);
    CHECK_EQ(state_of(D1, 1023, NULL), EVTCHNSTAT_closed);
}

static void out_of_memory(void **state)
{
    struct domain tmp = { .domain_id = 9, .vcpu0 = &vcpus[1][0] };
    (void)state;
    while (bind_ipi(D1, 0) < 255)
        ;
    fail_alloc_in = 1;                                  /* the next bucket */
    CHECK_EQ(bind_ipi(D1, 0), -ENOMEM);
    CHECK_EQ(state_of(D1, 255, NULL), EVTCHNSTAT_ipi);
    CHECK_EQ(bind_ipi(D1, 0), 256);
    fail_alloc_in = 1;
    CHECK_EQ(evtchn_domain_init(&tmp), -ENOMEM);
    fail_alloc_in = 2;
    CHECK_EQ(evtchn_domain_init(&tmp), -ENOMEM);
    CHECK(tmp.evtchn == NULL);
}

/* dom1 offers a port to dom7, which binds it. */
static void connect_1_7(long *p1, long *p7)
{
    *p1 = alloc_unbound(D1, DOMID_SELF, 7);
    CHECK(*p1 > 0);
    *p7 = bind_interdomain(D7, 1, (uint32_t)*p1);
    CHECK(*p7 > 0);
}

static void interdomain_between_two_domains(void **state)
{
    struct evtchn_status s;
    long p1, p7;
    (void)state;
    CHECK_EQ(bind_ipi(D7, 1), 1);                       /* p7 will be 2 */
    connect_1_7(&p1, &p7);
    CHECK_EQ(p7, 2);
    CHECK_EQ(state_of(D1, p1, &s), EVTCHNSTAT_interdomain);
    CHECK_EQ(s.u.interdomain.dom, 7);
    CHECK_EQ(s.u.interdomain.port, p7);
    CHECK_EQ(state_of(D7, p7, &s), EVTCHNSTAT_interdomain);
    CHECK_EQ(s.u.interdomain.dom, 1);
    CHECK_EQ(s.u.interdomain.port, p1);
    CHECK_EQ(s.vcpu, 0);
    /* Binding raises the new port once, in case the offer was signalled. */
    CHECK(pending(D7, p7));
    CHECK(!pending(D1, p1));
    quiesce(D7);
    CHECK_EQ(send(D1, p1), 0);
    CHECK(pending(D7, p7) && !pending(D1, p1));
    CHECK_EQ(vi(D7, 0)->evtchn_pending_sel, 1);
    CHECK_EQ(vi(D7, 0)->evtchn_upcall_pending, 1);
    CHECK_EQ(send(D7, p7), 0);
    CHECK(pending(D1, p1));
    CHECK_EQ(vi(D1, 0)->evtchn_upcall_pending, 1);
    /* Refusals: not unbound, not for us, no such domain, already bound. */
    CHECK_EQ(bind_interdomain(D0, 7, 1), -EINVAL);      /* an IPI */
    CHECK_EQ(bind_interdomain(D0, 1, p1), -EINVAL);     /* bound already */
    long offer = alloc_unbound(D1, DOMID_SELF, 7);
    CHECK_EQ(bind_interdomain(D0, 1, offer), -EINVAL);  /* offered to dom7 */
    CHECK_EQ(bind_interdomain(D0, 1, 200), -EINVAL);    /* free */
    CHECK_EQ(bind_interdomain(D0, 5, offer), -ESRCH);
    CHECK_EQ(bind_interdomain(D0, DOMID_IO, offer), -ESRCH);
    CHECK_EQ(state_of(D1, offer, NULL), EVTCHNSTAT_unbound);
}

static void interdomain_close_either_side(void **state)
{
    struct evtchn_status s;
    long p1, p7;
    (void)state;
    connect_1_7(&p1, &p7);
    quiesce(D1);
    CHECK_EQ(evclose(D1, p1), 0);
    CHECK_EQ(state_of(D1, p1, NULL), EVTCHNSTAT_closed);
    CHECK_EQ(state_of(D7, p7, &s), EVTCHNSTAT_unbound);
    CHECK_EQ(s.u.unbound.dom, 1);                       /* dom1 may rebind */
    CHECK_EQ(evclose(D1, p1), -EINVAL);                 /* closed twice */
    CHECK_EQ(send(D7, p7), 0);                          /* dropped */
    CHECK(!pending(D1, p1));
    long q1 = bind_interdomain(D1, 7, p7);
    CHECK(q1 > 0);
    CHECK_EQ(state_of(D7, p7, &s), EVTCHNSTAT_interdomain);
    CHECK_EQ(s.u.interdomain.port, q1);
    CHECK_EQ(evclose(D7, p7), 0);
    CHECK_EQ(state_of(D1, q1, &s), EVTCHNSTAT_unbound);
    CHECK_EQ(s.u.unbound.dom, 7);
    CHECK(pending(D1, q1));                 /* from its bind... */
    CHECK_EQ(evclose(D1, q1), 0);
    CHECK(!pending(D1, q1));                /* ...cleared when freed */
}

static void interdomain_loopback(void **state)
{
    long a, b;
    (void)state;
    a = alloc_unbound(D1, DOMID_SELF, DOMID_SELF);
    b = bind_interdomain(D1, DOMID_SELF, a);
    CHECK(a > 0 && b > 0 && a != b);
    quiesce(D1);
    CHECK_EQ(send(D1, a), 0);
    CHECK(pending(D1, b) && !pending(D1, a));
    CHECK_EQ(send(D1, b), 0);
    CHECK(pending(D1, a));
    CHECK_EQ(evclose(D1, b), 0);
    CHECK_EQ(state_of(D1, a, NULL), EVTCHNSTAT_unbound);
    check_invariants();
}

static void destroy_closes_peers(void **state)
{
    struct evtchn_status s;
    long p1, p7, offer;
    (void)state;
    connect_1_7(&p1, &p7);
    offer = alloc_unbound(D7, DOMID_SELF, 1);
    CHECK_EQ(bind_virq(D1, VIRQ_TIMER, 0), p1 + 1);
    evtchn_domain_destroy(D1);
    CHECK(D1->evtchn == NULL);
    CHECK_EQ(state_of(D7, p7, &s), EVTCHNSTAT_unbound);
    CHECK_EQ(s.u.unbound.dom, 1);
    CHECK_EQ(send(D7, p7), 0);
    CHECK_EQ(state_of(D7, offer, NULL), EVTCHNSTAT_unbound);
    CHECK_EQ(alloc_unbound(D7, DOMID_SELF, 1), -ESRCH);     /* no events there */
    CHECK_EQ(bind_interdomain(D7, 1, p1), -ESRCH);
    CHECK(!evtchn_send_virq(&vcpus[1][0], VIRQ_TIMER));
    CHECK(!evtchn_set_pending(D1, p1));
    evtchn_domain_destroy(D1);                          /* twice is fine */
    CHECK_EQ(hc(D1, EVTCHNOP_send, &(struct evtchn_send){ 1 }), -ENOSYS);
    check_invariants();
}

static void virq_binding(void **state)
{
    struct evtchn_status s;
    long t0, t1, exc;
    (void)state;
    t0 = bind_virq(D0, VIRQ_TIMER, 0);
    CHECK_EQ(bind_virq(D0, VIRQ_TIMER, 0), -EEXIST);
    t1 = bind_virq(D0, VIRQ_TIMER, 1);
    CHECK(t0 > 0 && t1 > 0 && t0 != t1);
    CHECK_EQ(state_of(D0, t1, &s), EVTCHNSTAT_virq);
    CHECK_EQ(s.u.virq, VIRQ_TIMER);
    CHECK_EQ(s.vcpu, 1);
    CHECK_EQ(bind_virq(D0, NR_VIRQS, 0), -EINVAL);
    CHECK_EQ(bind_virq(D0, 5, 0), -EINVAL);             /* unassigned */
    CHECK_EQ(bind_virq(D0, VIRQ_ARCH_1, 0), -EINVAL);
    CHECK_EQ(bind_virq(D0, 0xffffffffU, 0), -EINVAL);
    CHECK_EQ(bind_virq(D0, VIRQ_DOM_EXC, 1), -EINVAL);  /* global: vCPU 0 */
    CHECK_EQ(bind_virq(D0, VIRQ_DEBUG, 2), -ENOENT);
    CHECK_EQ(bind_virq(D0, VIRQ_DEBUG, 0xffffffffU), -ENOENT);
    CHECK_EQ(bind_virq(D1, VIRQ_DEBUG, 1), -ENOENT);
    CHECK_EQ(bind_virq(D1, VIRQ_DOM_EXC, 0), -EPERM);
    CHECK_EQ(bind_virq(D1, VIRQ_CONSOLE, 0), -EPERM);
    CHECK(bind_virq(D1, VIRQ_ARGO, 0) > 0);
    exc = bind_virq(D0, VIRQ_DOM_EXC, 0);
    CHECK(exc > 0);
    CHECK_EQ(bind_virq(D0, VIRQ_DOM_EXC, 0), -EEXIST);
    CHECK_EQ(send(D0, t0), -EINVAL);                    /* VIRQs are ours to send */
    /* Raising: per-vCPU on its vCPU, global on the notify vCPU. */
    quiesce(D0);
    CHECK(evtchn_send_virq(&vcpus[0][1], VIRQ_TIMER));
    CHECK(pending(D0, t1) && !pending(D0, t0));
    CHECK_EQ(vi(D0, 1)->evtchn_upcall_pending, 1);
    CHECK_EQ(vi(D0, 0)->evtchn_upcall_pending, 0);
    CHECK_EQ(bind_vcpu(D0, t1, 0), -EINVAL);            /* per-vCPU: fixed */
    CHECK_EQ(bind_vcpu(D0, exc, 1), 0);
    CHECK_EQ(state_of(D0, exc, &s), EVTCHNSTAT_virq);
    CHECK_EQ(s.vcpu, 1);
    quiesce(D0);
    CHECK(evtchn_send_virq(&vcpus[0][0], VIRQ_DOM_EXC));
    CHECK(pending(D0, exc) && vi(D0, 1)->evtchn_upcall_pending);
    CHECK_EQ(bind_virq(D0, VIRQ_DOM_EXC, 0), -EEXIST);  /* slot stays vCPU 0 */
    /* Unbound VIRQs are not raised; a closed one may be bound again. */
    CHECK(!evtchn_send_virq(&vcpus[0][0], VIRQ_DEBUG));
    CHECK(!evtchn_send_virq(&vcpus[0][0], NR_VIRQS + 3));
    CHECK_EQ(evclose(D0, exc), 0);
    CHECK(!evtchn_send_virq(&vcpus[0][0], VIRQ_DOM_EXC));
    CHECK_EQ(bind_virq(D0, VIRQ_DOM_EXC, 0), exc);
    CHECK_EQ(evclose(D0, t1), 0);
    CHECK_EQ(bind_virq(D0, VIRQ_TIMER, 1), t1);
    check_invariants();
}

static void ipi_and_bind_vcpu(void **state)
{
    struct evtchn_status s;
    long ipi, ub;
    (void)state;
    CHECK_EQ(bind_ipi(D0, 2), -ENOENT);
    CHECK_EQ(bind_ipi(D1, 1), -ENOENT);
    ipi = bind_ipi(D0, 1);
    CHECK_EQ(state_of(D0, ipi, &s), EVTCHNSTAT_ipi);
    CHECK_EQ(s.vcpu, 1);
    CHECK_EQ(send(D0, ipi), 0);
    CHECK(pending(D0, ipi));
    CHECK_EQ(vi(D0, 1)->evtchn_pending_sel, 1);
    CHECK_EQ(vi(D0, 0)->evtchn_pending_sel, 0);
    CHECK_EQ(bind_vcpu(D0, ipi, 0), -EINVAL);
    ub = alloc_unbound(D0, DOMID_SELF, 1);
    CHECK_EQ(bind_vcpu(D0, ub, 1), 0);
    CHECK_EQ(bind_vcpu(D0, ub, 2), -ENOENT);
    CHECK_EQ(bind_vcpu(D0, 300, 1), -EINVAL);
    CHECK_EQ(bind_vcpu(D0, 100, 1), -EINVAL);           /* free */
    CHECK_EQ(state_of(D0, ub, &s), EVTCHNSTAT_unbound);
    CHECK_EQ(s.vcpu, 1);
    /* The notify vCPU survives the bind; interdomain ports move too. */
    long p = bind_interdomain(D1, 0, ub);
    CHECK_EQ(state_of(D0, ub, &s), EVTCHNSTAT_interdomain);
    CHECK_EQ(s.vcpu, 1);
    quiesce(D0);
    CHECK_EQ(send(D1, p), 0);
    CHECK_EQ(vi(D0, 1)->evtchn_upcall_pending, 1);
    CHECK_EQ(vi(D0, 0)->evtchn_upcall_pending, 0);
    CHECK_EQ(bind_vcpu(D0, ub, 0), 0);
    /* Closing frees the notify binding. */
    CHECK_EQ(evclose(D0, ipi), 0);
    CHECK_EQ(state_of(D0, ipi, &s), EVTCHNSTAT_closed);
    CHECK_EQ(s.vcpu, 0);
}

static void status_of_other_domains(void **state)
{
    struct evtchn_status s;
    (void)state;
    long p = bind_ipi(D7, 0);
    CHECK_EQ(status(D1, 7, p, &s), -EPERM);
    CHECK_EQ(status(D1, 5, p, &s), -ESRCH);
    CHECK_EQ(status(D1, 1, p, &s), 0);                  /* own id = self */
    CHECK_EQ(s.status, EVTCHNSTAT_closed);
    CHECK_EQ(status(D0, 7, p, &s), 0);
    CHECK_EQ(s.status, EVTCHNSTAT_ipi);
    CHECK_EQ(s.u.virq, 0);                              /* union cleared */
    CHECK_EQ(status(D0, 7, 4096, &s), -EINVAL);
}

/* Section 10 of xen-pv-mechanics.md, bit by bit. */
static void set_pending_protocol(void **state)
{
    (void)state;
    long a = bind_ipi(D1, 0), b = bind_ipi(D1, 0);      /* word 0 */
    while (bind_ipi(D1, 0) < 70)
        ;                                               /* 70: word 1 */
    CHECK(!evtchn_set_pending(D1, 200));                /* not bound */
    CHECK(!pending(D1, 200));
    CHECK(evtchn_set_pending(D1, a));                   /* kick */
    CHECK(pending(D1, a));
    CHECK_EQ(vi(D1, 0)->evtchn_pending_sel, 1);
    CHECK_EQ(vi(D1, 0)->evtchn_upcall_pending, 1);
    CHECK(evtchn_upcall_pending(D1->vcpu0));
    CHECK(!evtchn_set_pending(D1, a));                  /* already pending */
    /* The guest takes the upcall but has not yet cleared pending[a]. */
    vi(D1, 0)->evtchn_upcall_pending = 0;
    vi(D1, 0)->evtchn_pending_sel = 0;
    CHECK(!evtchn_set_pending(D1, a));
    CHECK_EQ(vi(D1, 0)->evtchn_upcall_pending, 0);
    /* Same word, selector already set: no second upcall. */
    vi(D1, 0)->evtchn_pending_sel = 1;
    vi(D1, 0)->evtchn_upcall_pending = 1;
    CHECK(!evtchn_set_pending(D1, b));
    CHECK(pending(D1, b));
    /* Another word: its selector bit is new, upcall already set. */
    CHECK(!evtchn_set_pending(D1, 70));
    CHECK_EQ(vi(D1, 0)->evtchn_pending_sel, 3);
    vi(D1, 0)->evtchn_upcall_pending = 0;
    vi(D1, 0)->evtchn_pending_sel = 0;
    shinfo(D1)->evtchn_pending[1] = 0;
    CHECK(evtchn_set_pending(D1, 70));
    CHECK_EQ(vi(D1, 0)->evtchn_pending_sel, 2);
    /* Upcalls masked: pending, but nothing to bounce to yet. */
    vi(D1, 0)->evtchn_upcall_mask = 1;
    CHECK(!evtchn_upcall_pending(D1->vcpu0));
    vi(D1, 0)->evtchn_upcall_mask = 0;
    CHECK(evtchn_upcall_pending(D1->vcpu0));
    CHECK(!evtchn_set_pending(D1, 0));                  /* reserved */
    CHECK(!evtchn_set_pending(D1, 4096));
}

static void masked_then_unmasked(void **state)
{
    (void)state;
    long p = bind_ipi(D1, 0);
    set_mask(D1, p, true);
    CHECK(!evtchn_set_pending(D1, p));
    CHECK(pending(D1, p));
    CHECK_EQ(vi(D1, 0)->evtchn_pending_sel, 0);
    CHECK_EQ(vi(D1, 0)->evtchn_upcall_pending, 0);
    CHECK_EQ(unmask(D1, p), 0);                         /* delivered now */
    CHECK(!masked(D1, p));
    CHECK_EQ(vi(D1, 0)->evtchn_pending_sel, 1);
    CHECK_EQ(vi(D1, 0)->evtchn_upcall_pending, 1);
    /* Unmasking again, or a port that is not pending, raises nothing. */
    quiesce(D1);
    shinfo(D1)->evtchn_pending[0] = 1UL << p;
    CHECK_EQ(unmask(D1, p), 0);
    CHECK_EQ(vi(D1, 0)->evtchn_upcall_pending, 0);
    shinfo(D1)->evtchn_pending[0] = 0;
    set_mask(D1, p, true);
    CHECK_EQ(unmask(D1, p), 0);
    CHECK_EQ(vi(D1, 0)->evtchn_upcall_pending, 0);
    /* Selector already set (an upcall in progress): left to it. */
    set_mask(D1, p, true);
    shinfo(D1)->evtchn_pending[0] = 1UL << p;
    vi(D1, 0)->evtchn_pending_sel = 1;
    CHECK_EQ(unmask(D1, p), 0);
    CHECK_EQ(vi(D1, 0)->evtchn_upcall_pending, 0);
    /* A port notifying vCPU 1 is unmasked onto vCPU 1. */
    quiesce(D0);
    long q = bind_ipi(D0, 1);
    set_mask(D0, q, true);
    CHECK_EQ(send(D0, q), 0);
    CHECK_EQ(vi(D0, 1)->evtchn_upcall_pending, 0);
    CHECK_EQ(unmask(D0, q), 0);
    CHECK_EQ(vi(D0, 1)->evtchn_upcall_pending, 1);
    CHECK_EQ(vi(D0, 0)->evtchn_upcall_pending, 0);
}

static void reset_closes_all(void **state)
{
    struct evtchn_status s;
    long p1, p7;
    (void)state;
    connect_1_7(&p1, &p7);
    bind_virq(D7, VIRQ_TIMER, 1);
    bind_ipi(D7, 0);
    CHECK_EQ(reset(D7, 1), -EPERM);
    CHECK_EQ(reset(D7, 4), -ESRCH);
    CHECK_EQ(reset(D7, DOMID_SELF), 0);
    for (uint32_t p = 0; p < 256; p++)
        CHECK_EQ(state_of(D7, p, NULL), EVTCHNSTAT_closed);
    CHECK_EQ(state_of(D1, p1, &s), EVTCHNSTAT_unbound);
    CHECK_EQ(s.u.unbound.dom, 7);
    CHECK_EQ(bind_virq(D7, VIRQ_TIMER, 1), 1);          /* slots free again */
    CHECK_EQ(reset(D0, 7), 0);                          /* privileged */
    CHECK_EQ(state_of(D7, 1, NULL), EVTCHNSTAT_closed);
    CHECK_EQ(reset(D7, 7), 0);                          /* nothing left */
}

static void guest_memory_faults(void **state)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = 0 };
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER };
    struct evtchn_bind_ipi bi = { 0 };
    struct evtchn_status s = { .dom = DOMID_SELF, .port = 0 };
    (void)state;
    for (uint32_t cmd = 0; cmd <= EVTCHNOP_reset; cmd++)
        if (cmd != EVTCHNOP_bind_pirq)
            CHECK_EQ(hc(D1, cmd, NULL), -EFAULT);
    /* OUT fields unwritable: -EFAULT and nothing allocated. */
    ro_arg = &a;
    CHECK_EQ(hc(D1, EVTCHNOP_alloc_unbound, &a), -EFAULT);
    ro_arg = &bv;
    CHECK_EQ(hc(D1, EVTCHNOP_bind_virq, &bv), -EFAULT);
    ro_arg = &bi;
    CHECK_EQ(hc(D1, EVTCHNOP_bind_ipi, &bi), -EFAULT);
    ro_arg = &s;
    CHECK_EQ(hc(D1, EVTCHNOP_status, &s), -EFAULT);
    long offer = alloc_unbound(D7, DOMID_SELF, 1);
    struct evtchn_bind_interdomain b = { .remote_dom = 7, .remote_port = (uint32_t)offer };
    ro_arg = &b;
    CHECK_EQ(hc(D1, EVTCHNOP_bind_interdomain, &b), -EFAULT);
    ro_arg = NULL;
    CHECK_EQ(state_of(D7, offer, NULL), EVTCHNSTAT_unbound);
    for (uint32_t p = 1; p < 256; p++)
        CHECK_EQ(state_of(D1, p, NULL), EVTCHNSTAT_closed);
    CHECK_EQ(shinfo(D1)->evtchn_pending[0], 0);
    CHECK_EQ(bind_virq(D1, VIRQ_TIMER, 0), 1);          /* not taken before */
}

static void unknown_and_fifo_ops(void **state)
{
    static const uint64_t nosys[] = {
        EVTCHNOP_bind_pirq, EVTCHNOP_expand_array,
        EVTCHNOP_set_priority, 14, 99, 0x80000000U, 0xffffffffU,
    };
    struct evtchn_init_control ic = { 0 };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(nosys); i++)
        CHECK_EQ(hc(D1, nosys[i], &ic), -ENOSYS);
    /* cmd is an int: the upper half of rdi is ignored. */
    long p = bind_ipi(D1, 0);
    quiesce(D1);
    CHECK_EQ(hc(D1, (1UL << 32) | EVTCHNOP_send, &(struct evtchn_send){ (uint32_t)p }), 0);
    CHECK(pending(D1, p));
}

/* No FIFO ABI, but init_control is refused as Xen refuses a bad one
 * (XSA-188's bad frame is -EINVAL) before answering -ENOSYS. */
static void fifo_init_control_checked_then_enosys(void **state)
{
    (void)state;
    struct evtchn_init_control ic = { .control_gfn = 0, .offset = 4096 - 72, .vcpu = 0 };
    CHECK_EQ(hc(D1, EVTCHNOP_init_control, &ic), -ENOSYS);
    ic.vcpu = 1;
    CHECK_EQ(hc(D1, EVTCHNOP_init_control, &ic), -ENOENT);
    ic.vcpu = 0;
    ic.offset = 4096 - 64;
    CHECK_EQ(hc(D1, EVTCHNOP_init_control, &ic), -EINVAL);     /* crosses the page */
    ic.offset = 4;
    CHECK_EQ(hc(D1, EVTCHNOP_init_control, &ic), -EINVAL);     /* misaligned */
    ic.offset = 0;
    static const uint64_t bad_gfn[] = { 1, 2, 3, (uint64_t)-2 };
    for (size_t i = 0; i < ARRAY_SIZE(bad_gfn); i++) {
        ic.control_gfn = bad_gfn[i];
        CHECK_EQ(hc(D1, EVTCHNOP_init_control, &ic), -EINVAL);
    }
    CHECK_EQ(hc(D1, EVTCHNOP_init_control, NULL), -EFAULT);
}

static void vcpu_registration(void **state)
{
    struct vcpu big = { .domain = D1, .vcpu_id = EVTCHN_MAX_VCPUS };
    struct domain none = { .domain_id = 3 };
    struct vcpu orphan = { .domain = &none };
    (void)state;
    CHECK_EQ(evtchn_vcpu_init(&big), -EINVAL);
    CHECK_EQ(evtchn_vcpu_init(&orphan), -EINVAL);
    CHECK_EQ(evtchn_vcpu_init(&vcpus[1][1]), 0);
    CHECK(bind_ipi(D1, 1) > 0);
}

static void model_random_operations(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15UL;
    (void)state;
    for (int i = 0; i < 4000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;        /* xorshift64 */
        model_step(x);
    }
    /* The run reached the interesting states, not only the refusals. */
    for (int op = 0; op < 10; op++)
        CHECK(model_stats[op][1] >= 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(port0_reserved), T(alloc_unbound_ok_and_refused), T(bad_ports_refused),
        T(port_limit), T(out_of_memory), T(interdomain_between_two_domains),
        T(interdomain_close_either_side), T(interdomain_loopback),
        T(destroy_closes_peers), T(virq_binding), T(ipi_and_bind_vcpu),
        T(status_of_other_domains), T(set_pending_protocol), T(masked_then_unmasked),
        T(reset_closes_all), T(guest_memory_faults), T(unknown_and_fifo_ops),
        T(fifo_init_control_checked_then_enosys),
        T(vcpu_registration), T(model_random_operations),
#undef T
    };
    return cmocka_run_group_tests_name("hv-evtchn", tests, NULL, NULL);
}
#endif /* EVTCHN_FUZZ */
