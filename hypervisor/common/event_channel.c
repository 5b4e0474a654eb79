/* SPDX-License-Identifier: MIT */
/*
 * Event channels, 2-level ABI: each domain's table of ports, hypercall 32
 * (event_channel_op) that binds, connects, signals and closes them, and
 * the protocol that turns "port p is raised" into bits the guest reads in
 * shared_info and vcpu_info.  FIFO (init_control, expand_array,
 * set_priority) and physical IRQs (bind_pirq) answer -ENOSYS.
 *
 * Invariants
 *
 * 1. The table.  A domain's ports live in up to 16 buckets of 256 16-byte
 *    entries (one heap page each, allocated on first need, lowest first,
 *    so the allocated buckets are always a prefix).  A port is *valid*
 *    when its bucket exists; every port an operation names is checked for
 *    that before anything else.  Port 0 is ECS_RESERVED for the life of the
 *    domain: Linux treats 0 as "no port".  A new port is the lowest free
 *    one not above max_port, so max_port also caps the ports in use
 *    (EVTCHN_DEFAULT_MAX_PORT for unprivileged domains).
 *
 * 2. States: FREE, RESERVED, UNBOUND (remote_dom may bind to it),
 *    INTERDOMAIN (remote_dom, remote_port), VIRQ (virq), IPI.  Nothing else
 *    is ever stored.  notify_vcpu, the vCPU whose selector and upcall flag a
 *    raise sets, always names a vCPU registered with the domain (free ports
 *    notify vCPU 0).
 *
 * 3. Interdomain symmetry: (d, p) is INTERDOMAIN(rd, rp) exactly when
 *    (rd, rp) is INTERDOMAIN(d, p); bind and close change both ends in one
 *    step, and closing one end returns the other to UNBOUND naming the
 *    closer.  A domain being destroyed closes all its ports first, so the
 *    peer of an interdomain port is always a live, registered domain
 *    (domain_by_id finds it; not finding it is a hypervisor bug).  A
 *    channel may join a domain to itself (loopback): the same rules apply.
 *
 * 4. VIRQ map: virq_to_port[vcpu][virq] is p != 0 exactly when port p is
 *    VIRQ(virq) bound for that vCPU.  Global VIRQs are bound for vCPU 0 (the
 *    guest must say vCPU 0) and keep that slot when bind_vcpu moves their
 *    notify_vcpu; per-vCPU VIRQs never move.  So each (virq, vCPU) is bound
 *    at most once and sending a VIRQ is one table read.
 *
 * 5. The bitmaps are shared with the guest, which clears pending bits,
 *    selector bits and upcall_pending, and sets and clears mask bits, at
 *    any moment from any of its vCPUs -- or writes garbage.  So every access
 *    is one atomic read-modify-write (or load) in the order below, and
 *    nothing read from them is ever used as an index or decides a table
 *    state.  The hypervisor sets pending bits only on bound ports and
 *    clears one only when its port is freed (a rebound port starts quiet);
 *    everything else is the guest's to clear.
 *
 * 6. Raising port p on vCPU v (what Linux's upcall handler expects):
 *    test-and-set pending[p]; if it was already set, stop (one event is
 *    already outstanding).  If mask[p] is clear and test-and-set of bit p/64
 *    in v's evtchn_pending_sel was clear, set v's evtchn_upcall_pending; if
 *    that was 0, v must be kicked so that its return-to-guest check runs.
 *    Unmask is the mirror: test-and-clear mask[p]; if it was set and
 *    pending[p] is set and the selector bit was clear, mark v as above.  An
 *    event raised while masked is thus delivered at unmask, never lost and
 *    never raised twice.
 *
 * 7. Decode, then commit.  Each operation copies its argument in once,
 *    checks everything and picks its port (allocating a bucket is the only
 *    side effect allowed before the commit: an empty bucket is invisible),
 *    writes its OUT fields back to the guest, and only then changes state.
 *    Nothing after the copy-out can fail, so a guest whose argument page is
 *    read-only gets -EFAULT and no port it cannot name.
 *
 * Concurrency: one pCPU today and hypercalls run to completion, so each
 * operation sees and leaves the tables consistent.  With several pCPUs a
 * per-domain lock must cover each operation, two domains locked in
 * ascending domain_id order; raising needs only a consistent read of the
 * port's state and notify_vcpu.
 */
#include <mica/bug.h>
#include <mica/errno.h>
#include <mica/console.h>
#include <mica/event.h>
#include <mica/sched.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/string.h>

enum ecs {
    ECS_FREE,
    ECS_RESERVED,       /* port 0 */
    ECS_UNBOUND,
    ECS_INTERDOMAIN,
    ECS_VIRQ,
    ECS_IPI,
};

struct evtchn {
    uint8_t state;          /* enum ecs */
    uint8_t _pad;
    domid_t remote_dom;     /* UNBOUND: who may bind; INTERDOMAIN: the peer */
    uint32_t remote_port;   /* INTERDOMAIN: the peer's port */
    uint32_t virq;          /* VIRQ */
    uint32_t notify_vcpu;
};
_Static_assert(sizeof(struct evtchn) == 16, "evtchn entry");

#define NR_PORTS         ((unsigned int)EVTCHN_2L_NR_CHANNELS)     /* 4096 */
#define PORTS_PER_BUCKET ((unsigned int)(PAGE_SIZE / sizeof(struct evtchn)))
#define NR_BUCKETS       (NR_PORTS / PORTS_PER_BUCKET)
#define BITS_PER_WORD    64U

struct evtchn_domain {
    struct evtchn *bucket[NR_BUCKETS];
    struct vcpu *vcpu[EVTCHN_MAX_VCPUS];            /* registered vCPUs */
    uint16_t virq_to_port[EVTCHN_MAX_VCPUS][NR_VIRQS];
    unsigned int max_port;
};
_Static_assert(sizeof(struct evtchn_domain) <= PAGE_SIZE, "one heap object");

/* Which VIRQs exist, which are per domain (global), and which only a
 * privileged domain may bind: those report on the machine or on other
 * domains.  Xen lets anyone bind them and never raises them; Mica says so. */
#define VIRQF_OK     1
#define VIRQF_GLOBAL 2
#define VIRQF_PRIV   4
static const uint8_t virq_flags[NR_VIRQS] = {
    [VIRQ_TIMER]      = VIRQF_OK,
    [VIRQ_DEBUG]      = VIRQF_OK,
    [VIRQ_CONSOLE]    = VIRQF_OK | VIRQF_GLOBAL | VIRQF_PRIV,
    [VIRQ_DOM_EXC]    = VIRQF_OK | VIRQF_GLOBAL | VIRQF_PRIV,
    [VIRQ_TBUF]       = VIRQF_OK | VIRQF_GLOBAL | VIRQF_PRIV,
    [VIRQ_DEBUGGER]   = VIRQF_OK | VIRQF_GLOBAL | VIRQF_PRIV,
    [VIRQ_XENOPROF]   = VIRQF_OK,
    [VIRQ_CON_RING]   = VIRQF_OK | VIRQF_GLOBAL | VIRQF_PRIV,
    [VIRQ_PCPU_STATE] = VIRQF_OK | VIRQF_GLOBAL | VIRQF_PRIV,
    [VIRQ_MEM_EVENT]  = VIRQF_OK | VIRQF_GLOBAL | VIRQF_PRIV,
    [VIRQ_ARGO]       = VIRQF_OK | VIRQF_GLOBAL,
    [VIRQ_ENOMEM]     = VIRQF_OK | VIRQF_GLOBAL | VIRQF_PRIV,
    [VIRQ_XENPMU]     = VIRQF_OK,
    [VIRQ_MCA]        = VIRQF_OK | VIRQF_GLOBAL | VIRQF_PRIV,
};

static bool virq_is_global(unsigned int virq)
{
    return virq_flags[virq] & VIRQF_GLOBAL;
}

/* --- Atomic bit operations on guest-shared words (invariant 5). --- */

static bool test_and_set(uint64_t *w, uint64_t bit)
{
    return __atomic_fetch_or(w, bit, __ATOMIC_SEQ_CST) & bit;
}

static bool test_and_clear(uint64_t *w, uint64_t bit)
{
    return __atomic_fetch_and(w, ~bit, __ATOMIC_SEQ_CST) & bit;
}

static bool test(uint64_t *w, uint64_t bit)
{
    return __atomic_load_n(w, __ATOMIC_SEQ_CST) & bit;
}

static struct shared_info *shared_info_of(struct domain *d)
{
    return mm_map_frame(d->shared_info_mfn);
}

/* --- The table. --- */

static struct evtchn *port_chn(const struct evtchn_domain *ed, uint64_t port)
{
    if (port >= NR_PORTS || !ed->bucket[port / PORTS_PER_BUCKET])
        return NULL;
    return &ed->bucket[port / PORTS_PER_BUCKET][port % PORTS_PER_BUCKET];
}

static struct vcpu *evtchn_vcpu(const struct domain *d, uint64_t id)
{
    if (id >= EVTCHN_MAX_VCPUS)
        return NULL;
    if (d->evtchn->vcpu[id])
        return d->evtchn->vcpu[id];
    return id == 0 ? d->vcpu0 : NULL;       /* vcpu0 set after init */
}

/* A domain that can take part in event channels, or NULL. */
static struct domain *evtchn_domain_by_id(domid_t id)
{
    struct domain *d;

    if (id >= DOMID_FIRST_RESERVED)
        return NULL;
    d = domain_by_id(id);
    return d && d->evtchn ? d : NULL;
}

/* The domain a `dom` argument names: the caller, or (privileged callers
 * only) another domain.  NULL with *rc set otherwise. */
static struct domain *target_domain(struct domain *cd, domid_t dom, long *rc)
{
    struct domain *d;

    if (dom == DOMID_SELF || dom == cd->domain_id)
        return cd;
    d = evtchn_domain_by_id(dom);
    if (!d)
        *rc = -ESRCH;
    else if (!cd->is_privileged)
        *rc = -EPERM;
    else
        return d;
    return NULL;
}

/* The lowest free port up to max_port; may add a bucket (invariant 7). */
static long get_free_port(struct evtchn_domain *ed)
{
    for (unsigned int b = 0; b < NR_BUCKETS; b++) {
        unsigned int first = b * PORTS_PER_BUCKET;

        if (first > ed->max_port)
            break;
        if (!ed->bucket[b]) {
            ed->bucket[b] = xzalloc(PAGE_SIZE);
            return ed->bucket[b] ? (long)first : -ENOMEM;
        }
        for (unsigned int i = 0; i < PORTS_PER_BUCKET && first + i <= ed->max_port; i++)
            if (ed->bucket[b][i].state == ECS_FREE)
                return first + i;
    }
    return -ENOSPC;
}

/* --- The 2-level protocol (invariant 6). --- */

/* Raise v's upcall flag; a blocked v is woken to take the event. */
static bool mark_events_pending(struct vcpu *v)
{
    bool first = __atomic_exchange_n(&vcpu_info_of(v)->evtchn_upcall_pending, 1,
                                     __ATOMIC_SEQ_CST) == 0;
    vcpu_kick(v);
    return first;
}

static bool raise_port(struct domain *d, unsigned int port, const struct evtchn *c)
{
    struct shared_info *s = shared_info_of(d);
    struct vcpu *v = evtchn_vcpu(d, c->notify_vcpu);
    uint64_t bit = 1UL << (port % BITS_PER_WORD);
    unsigned int word = port / BITS_PER_WORD;
    struct vcpu_info *vi;

    if (test_and_set(&s->evtchn_pending[word], bit))
        return false;
    domain_poll_kick(d);                /* SCHEDOP_poll watches masked ports too */
    if (!v || test(&s->evtchn_mask[word], bit))     /* no vCPU yet: stays pending */
        return false;
    vi = vcpu_info_of(v);
    if (test_and_set(&vi->evtchn_pending_sel, 1UL << word))
        return false;
    return mark_events_pending(v);
}

static void unmask_port(struct domain *d, unsigned int port, const struct evtchn *c)
{
    struct shared_info *s = shared_info_of(d);
    struct vcpu *v = evtchn_vcpu(d, c->notify_vcpu);
    uint64_t bit = 1UL << (port % BITS_PER_WORD);
    unsigned int word = port / BITS_PER_WORD;

    if (test_and_clear(&s->evtchn_mask[word], bit) &&
        test(&s->evtchn_pending[word], bit) && v &&
        !test_and_set(&vcpu_info_of(v)->evtchn_pending_sel, 1UL << word))
        mark_events_pending(v);
}

static void free_port(struct domain *d, unsigned int port, struct evtchn *c)
{
    test_and_clear(&shared_info_of(d)->evtchn_pending[port / BITS_PER_WORD],
                   1UL << (port % BITS_PER_WORD));
    *c = (struct evtchn){ .state = ECS_FREE };
}

/* The peer entry of an interdomain port (invariant 3). */
static struct evtchn *peer_of(const struct domain *d, unsigned int port,
                              const struct evtchn *c, struct domain **rd)
{
    struct evtchn *rc;

    *rd = domain_by_id_any(c->remote_dom);     /* d itself may be dying */
    BUG_ON(!*rd || !(*rd)->evtchn);
    rc = port_chn((*rd)->evtchn, c->remote_port);
    BUG_ON(!rc || rc->state != ECS_INTERDOMAIN || rc->remote_dom != d->domain_id ||
           rc->remote_port != port);
    return rc;
}

static long close_port(struct domain *d, uint64_t port)
{
    struct evtchn_domain *ed = d->evtchn;
    struct evtchn *c = port_chn(ed, port), *rc;
    struct domain *rd;

    if (!c || c->state == ECS_FREE || c->state == ECS_RESERVED)
        return -EINVAL;
    switch (c->state) {
    case ECS_VIRQ:
        ed->virq_to_port[virq_is_global(c->virq) ? 0 : c->notify_vcpu][c->virq] = 0;
        break;
    case ECS_INTERDOMAIN:
        rc = peer_of(d, (unsigned int)port, c, &rd);
        rc->state = ECS_UNBOUND;        /* remote_dom already names d */
        rc->remote_port = 0;
        break;
    case ECS_UNBOUND:
    case ECS_IPI:
        break;
    default:
        BUG_ON(1);
    }
    free_port(d, (unsigned int)port, c);
    return 0;
}

static void close_all(struct domain *d)
{
    for (unsigned int port = 1; port_chn(d->evtchn, port); port++)
        if (port_chn(d->evtchn, port)->state != ECS_FREE)
            close_port(d, port);
}

/* --- The operations: decode, copy out, commit (invariant 7). --- */

static long evtchnop_alloc_unbound(struct domain *cd, uint64_t arg)
{
    struct evtchn_alloc_unbound a;
    struct domain *d;
    domid_t rdom;
    long port, rc = 0;

    if (copy_from_guest(&a, arg, sizeof(a)))
        return -EFAULT;
    if (!(d = target_domain(cd, a.dom, &rc)))
        return rc;
    rdom = a.remote_dom == DOMID_SELF ? cd->domain_id : a.remote_dom;
    if (!evtchn_domain_by_id(rdom))
        return -ESRCH;
    if ((port = get_free_port(d->evtchn)) < 0)
        return port;
    a.port = (evtchn_port_t)port;
    if (copy_to_guest(arg, &a, sizeof(a)))
        return -EFAULT;
    *port_chn(d->evtchn, port) = (struct evtchn){ .state = ECS_UNBOUND, .remote_dom = rdom };
    return 0;
}

static long evtchnop_bind_interdomain(struct domain *cd, uint64_t arg)
{
    struct evtchn_bind_interdomain b;
    struct evtchn *rc, *lc;
    struct domain *rd;
    long lport;

    if (copy_from_guest(&b, arg, sizeof(b)))
        return -EFAULT;
    rd = b.remote_dom == DOMID_SELF ? cd : evtchn_domain_by_id(b.remote_dom);
    if (!rd)
        return -ESRCH;
    rc = port_chn(rd->evtchn, b.remote_port);
    if (!rc || rc->state != ECS_UNBOUND || rc->remote_dom != cd->domain_id)
        return -EINVAL;
    if ((lport = get_free_port(cd->evtchn)) < 0)
        return lport;
    b.local_port = (evtchn_port_t)lport;
    if (copy_to_guest(arg, &b, sizeof(b)))
        return -EFAULT;

    lc = port_chn(cd->evtchn, lport);
    *lc = (struct evtchn){ .state = ECS_INTERDOMAIN, .remote_dom = rd->domain_id,
                           .remote_port = b.remote_port };
    rc->state = ECS_INTERDOMAIN;
    rc->remote_dom = cd->domain_id;
    rc->remote_port = (uint32_t)lport;
    /* The remote end may have been signalled while nobody listened: raise
     * the new port once so that no notification is lost (as Xen does). */
    raise_port(cd, (unsigned int)lport, lc);
    return 0;
}

static long evtchnop_bind_virq(struct domain *cd, uint64_t arg)
{
    struct evtchn_bind_virq b;
    long port;

    if (copy_from_guest(&b, arg, sizeof(b)))
        return -EFAULT;
    if (b.virq >= NR_VIRQS || !(virq_flags[b.virq] & VIRQF_OK))
        return -EINVAL;
    if (virq_is_global(b.virq) && b.vcpu != 0)
        return -EINVAL;
    if ((virq_flags[b.virq] & VIRQF_PRIV) && !cd->is_privileged)
        return -EPERM;
    if (!evtchn_vcpu(cd, b.vcpu))
        return -ENOENT;
    if (cd->evtchn->virq_to_port[b.vcpu][b.virq])
        return -EEXIST;
    if ((port = get_free_port(cd->evtchn)) < 0)
        return port;
    b.port = (evtchn_port_t)port;
    if (copy_to_guest(arg, &b, sizeof(b)))
        return -EFAULT;
    *port_chn(cd->evtchn, port) = (struct evtchn){ .state = ECS_VIRQ, .virq = b.virq,
                                                   .notify_vcpu = b.vcpu };
    cd->evtchn->virq_to_port[b.vcpu][b.virq] = (uint16_t)port;
    return 0;
}

static long evtchnop_bind_ipi(struct domain *cd, uint64_t arg)
{
    struct evtchn_bind_ipi b;
    long port;

    if (copy_from_guest(&b, arg, sizeof(b)))
        return -EFAULT;
    if (!evtchn_vcpu(cd, b.vcpu))
        return -ENOENT;
    if ((port = get_free_port(cd->evtchn)) < 0)
        return port;
    b.port = (evtchn_port_t)port;
    if (copy_to_guest(arg, &b, sizeof(b)))
        return -EFAULT;
    *port_chn(cd->evtchn, port) = (struct evtchn){ .state = ECS_IPI, .notify_vcpu = b.vcpu };
    return 0;
}

static long evtchnop_close(struct domain *cd, uint64_t arg)
{
    struct evtchn_close c;

    if (copy_from_guest(&c, arg, sizeof(c)))
        return -EFAULT;
    return close_port(cd, c.port);
}

static long evtchnop_send(struct domain *cd, uint64_t arg)
{
    struct evtchn_send s;
    struct evtchn *c, *rc;
    struct domain *rd;

    if (copy_from_guest(&s, arg, sizeof(s)))
        return -EFAULT;
    if (!(c = port_chn(cd->evtchn, s.port)))
        return -EINVAL;
    switch (c->state) {
    case ECS_INTERDOMAIN:
        rc = peer_of(cd, s.port, c, &rd);
        raise_port(rd, c->remote_port, rc);
        return 0;
    case ECS_IPI:
        raise_port(cd, s.port, c);
        return 0;
    case ECS_UNBOUND:
        if (c->remote_dom == DOMID_XEN)
            console_ring_drain(cd);     /* Mica's end of a console ring */
        return 0;           /* nobody listens yet: dropped, as in Xen */
    default:
        return -EINVAL;     /* free, reserved, VIRQ */
    }
}

static long evtchnop_status(struct domain *cd, uint64_t arg)
{
    struct evtchn_status s;
    const struct evtchn *c;
    struct domain *d;
    long rc = 0;

    if (copy_from_guest(&s, arg, sizeof(s)))
        return -EFAULT;
    if (!(d = target_domain(cd, s.dom, &rc)))
        return rc;
    if (!(c = port_chn(d->evtchn, s.port)))
        return -EINVAL;
    memset(&s.u, 0, sizeof(s.u));
    s.vcpu = c->notify_vcpu;
    switch (c->state) {
    case ECS_FREE:
    case ECS_RESERVED:
        s.status = EVTCHNSTAT_closed;
        break;
    case ECS_UNBOUND:
        s.status = EVTCHNSTAT_unbound;
        s.u.unbound.dom = c->remote_dom;
        break;
    case ECS_INTERDOMAIN:
        s.status = EVTCHNSTAT_interdomain;
        s.u.interdomain.dom = c->remote_dom;
        s.u.interdomain.port = c->remote_port;
        break;
    case ECS_VIRQ:
        s.status = EVTCHNSTAT_virq;
        s.u.virq = c->virq;
        break;
    case ECS_IPI:
        s.status = EVTCHNSTAT_ipi;
        break;
    default:
        BUG_ON(1);
    }
    return copy_to_guest(arg, &s, sizeof(s)) ? -EFAULT : 0;
}

/* Only ports whose events are not tied to one vCPU may move: global VIRQs,
 * unbound and interdomain ports (Xen's rule). */
static long evtchnop_bind_vcpu(struct domain *cd, uint64_t arg)
{
    struct evtchn_bind_vcpu b;
    struct evtchn *c;

    if (copy_from_guest(&b, arg, sizeof(b)))
        return -EFAULT;
    if (!evtchn_vcpu(cd, b.vcpu))
        return -ENOENT;
    if (!(c = port_chn(cd->evtchn, b.port)))
        return -EINVAL;
    if (!(c->state == ECS_UNBOUND || c->state == ECS_INTERDOMAIN ||
          (c->state == ECS_VIRQ && virq_is_global(c->virq))))
        return -EINVAL;
    c->notify_vcpu = b.vcpu;
    return 0;
}

static long evtchnop_unmask(struct domain *cd, uint64_t arg)
{
    struct evtchn_unmask u;
    const struct evtchn *c;

    if (copy_from_guest(&u, arg, sizeof(u)))
        return -EFAULT;
    if (!(c = port_chn(cd->evtchn, u.port)))
        return -EINVAL;
    unmask_port(cd, u.port, c);
    return 0;
}

static long evtchnop_reset(struct domain *cd, uint64_t arg)
{
    struct evtchn_reset r;
    struct domain *d;
    long rc = 0;

    if (copy_from_guest(&r, arg, sizeof(r)))
        return -EFAULT;
    if (!(d = target_domain(cd, r.dom, &rc)))
        return rc;
    close_all(d);       /* at most 4095 ports: no continuation needed */
    return 0;
}

/*
 * The FIFO ABI is not implemented (Linux falls back to 2-level on any
 * error), but a registration is checked as Xen checks it before setting
 * anything up, so a bad one fails the way it does on Xen: no such vCPU
 * -ENOENT; an offset that is not 8-byte aligned or lets the 72-byte control
 * block cross its page, or a frame that is not a plain page of the
 * caller's (PV: the gfn is the mfn), -EINVAL.  A good one is -ENOSYS.
 */
#define FIFO_CONTROL_BLOCK_SIZE 72
static long evtchnop_init_control(struct domain *cd, uint64_t arg)
{
    struct evtchn_init_control ic;

    if (copy_from_guest(&ic, arg, sizeof(ic)))
        return -EFAULT;
    if (!evtchn_vcpu(cd, ic.vcpu))
        return -ENOENT;
    if (ic.offset > PAGE_SIZE - FIFO_CONTROL_BLOCK_SIZE || (ic.offset & 7))
        return -EINVAL;
    if (!mfn_valid(ic.control_gfn))
        return -EINVAL;
    const struct page_info *pg = mfn_to_page(ic.control_gfn);
    if (pg->owner != cd->domain_id || (pg->type_count && pg->type != PGT_writable))
        return -EINVAL;
    return -ENOSYS;
}

/* Empty slots -- bind_pirq, and the rest of the FIFO ABI (expand_array,
 * set_priority) -- answer -ENOSYS. */
static long (*const evtchnops[])(struct domain *cd, uint64_t arg) = {
    [EVTCHNOP_bind_interdomain] = evtchnop_bind_interdomain,
    [EVTCHNOP_bind_virq]        = evtchnop_bind_virq,
    [EVTCHNOP_close]            = evtchnop_close,
    [EVTCHNOP_send]             = evtchnop_send,
    [EVTCHNOP_status]           = evtchnop_status,
    [EVTCHNOP_alloc_unbound]    = evtchnop_alloc_unbound,
    [EVTCHNOP_bind_ipi]         = evtchnop_bind_ipi,
    [EVTCHNOP_bind_vcpu]        = evtchnop_bind_vcpu,
    [EVTCHNOP_unmask]           = evtchnop_unmask,
    [EVTCHNOP_reset]            = evtchnop_reset,
    [EVTCHNOP_init_control]     = evtchnop_init_control,
};

/* event_channel_op(cmd = rdi, arg = rsi).  cmd is a C int in Xen's ABI:
 * only its low 32 bits count. */
long do_event_channel_op(uint32_t cmd, uint64_t arg)
{
    struct domain *cd = current->domain;

    if (cmd >= ARRAY_SIZE(evtchnops) || !evtchnops[cmd] || !cd->evtchn)
        return -ENOSYS;
    return evtchnops[cmd](cd, arg);
}

/* --- The rest of the hypervisor. --- */

int evtchn_domain_init(struct domain *d)
{
    struct evtchn_domain *ed = xzalloc(sizeof(*ed));

    if (!ed || !(ed->bucket[0] = xzalloc(PAGE_SIZE))) {
        xfree(ed);
        return -ENOMEM;
    }
    ed->bucket[0][0].state = ECS_RESERVED;
    ed->max_port = d->is_privileged ? NR_PORTS - 1 : EVTCHN_DEFAULT_MAX_PORT;
    ed->vcpu[0] = d->vcpu0;
    d->evtchn = ed;
    return 0;
}

void evtchn_domain_destroy(struct domain *d)
{
    struct evtchn_domain *ed = d->evtchn;

    if (!ed)
        return;
    close_all(d);
    for (unsigned int b = 0; b < NR_BUCKETS; b++)
        xfree(ed->bucket[b]);
    xfree(ed);
    d->evtchn = NULL;
}

/* A port of d unbound towards remote, for a ring a builder sets up: remote
 * DOMID_XEN (a console ring Mica serves: no domain can bind to it, a send
 * on it calls Mica) or the domain that will serve it. */
long evtchn_alloc_unbound_port(struct domain *d, domid_t remote)
{
    long port;

    if (!d->evtchn || (port = get_free_port(d->evtchn)) < 0)
        return -ENOSPC;
    *port_chn(d->evtchn, port) = (struct evtchn){ .state = ECS_UNBOUND, .remote_dom = remote };
    return port;
}

int evtchn_vcpu_init(struct vcpu *v)
{
    struct evtchn_domain *ed = v->domain->evtchn;

    if (!ed || v->vcpu_id >= EVTCHN_MAX_VCPUS)
        return -EINVAL;
    ed->vcpu[v->vcpu_id] = v;
    return 0;
}

bool evtchn_set_pending(struct domain *d, unsigned int port)
{
    const struct evtchn *c = d->evtchn ? port_chn(d->evtchn, port) : NULL;

    if (!c || c->state == ECS_FREE || c->state == ECS_RESERVED)
        return false;
    return raise_port(d, port, c);
}

bool evtchn_send_virq(struct vcpu *v, unsigned int virq)
{
    struct domain *d = v->domain;
    unsigned int slot, port;

    if (!d->evtchn || virq >= NR_VIRQS || !(virq_flags[virq] & VIRQF_OK))
        return false;
    slot = virq_is_global(virq) ? 0 : v->vcpu_id;
    if (slot >= EVTCHN_MAX_VCPUS || !(port = d->evtchn->virq_to_port[slot][virq]))
        return false;
    return raise_port(d, port, port_chn(d->evtchn, port));
}

bool evtchn_upcall_pending(struct vcpu *v)
{
    struct vcpu_info *vi = vcpu_info_of(v);

    return __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST) &&
           !__atomic_load_n(&vi->evtchn_upcall_mask, __ATOMIC_SEQ_CST);
}
