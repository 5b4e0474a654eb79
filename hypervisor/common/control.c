/* SPDX-License-Identifier: MIT */
/*
 * Mica's control hypercall (abi/mica/control.h): the toolstack in a
 * privileged domain creates, builds, inspects, pauses and destroys domains
 * and reads host state through it.  One op is copied in whole, checked,
 * run, and copied back whole (its OUT fields).  Every target is looked up
 * by id on every call; only live domains can be changed, and never the
 * caller itself.  Long work (destroy, validating a new domain's page
 * tables, populating memory) continues itself with -ERESTART, so no call
 * holds the CPU for long.
 */
#include <abi/mica/control.h>
#include <mica/bug.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/printk.h>
#include <mica/sched.h>
#include <mica/string.h>
#include <mica/time.h>

/* A guest handle's address in the caller's memory. */
#define HVA(h) ((uint64_t)(uintptr_t)(h).p)

#define POPULATE_BATCH 512      /* frames per call before continuing */
#define MAX_PAGES_LIMIT (1ULL << 40)

/* The live domain an op targets, never the caller: NULL with *rc set. */
static struct domain *other_domain(domid_t id, long *rc)
{
    struct domain *d = domain_by_id(id);

    if (!d)
        *rc = -ESRCH;
    else if (d == current->domain)
        *rc = -EINVAL;
    else
        return d;
    return NULL;
}

/* A free id for "any": round robin, so a destroyed domain's id is not
 * reused at once (a late event for it finds nobody). */
static domid_t pick_id(void)
{
    static domid_t next = 1;

    for (unsigned int tries = 0; tries < DOMID_FIRST_RESERVED; tries++) {
        domid_t id = next;
        next = (domid_t)(next + 1U >= DOMID_FIRST_RESERVED ? 1 : next + 1);
        if (!domain_by_id_any(id))
            return id;
    }
    return DOMID_INVALID;
}

/* A name from the caller, its last byte forced to 0: printable ASCII only,
 * as it goes to the log and the console prefix. */
static bool name_ok(char name[MICA_NAME_LEN])
{
    name[MICA_NAME_LEN - 1] = 0;
    for (const char *n = name; *n; n++)
        if (*n < 0x20 || *n > 0x7e)
            return false;
    return true;
}

static long createdomain(struct mica_ctl_op *op)
{
    struct mica_ctl_createdomain *c = &op->u.createdomain;
    domid_t id = op->domain;
    int err;

    if ((c->flags & ~MICA_CDF_privileged) || c->max_vcpus == 0 || c->max_vcpus > MAX_VCPUS ||
        c->max_pages > MAX_PAGES_LIMIT)
        return -EINVAL;
    if (id == DOMID_INVALID && (id = pick_id()) == DOMID_INVALID)
        return -ENOSPC;
    if (id == 0 || id >= DOMID_FIRST_RESERVED)
        return -EINVAL;
    if (!name_ok(c->name))
        return -EINVAL;
    struct domain_params p = {
        .privileged = c->flags & MICA_CDF_privileged, .max_vcpus = c->max_vcpus,
        .max_pages = c->max_pages, .name = c->name,
    };
    struct domain *d = domain_create(id, &p, true, &err);
    if (!d)
        return err;
    if (!d->name[0])
        mica_snprintf(d->name, sizeof(d->name), "d%u", id);
    memcpy(d->handle, c->handle, sizeof(d->handle));
    op->domain = id;
    pr_info("d%u '%s' created by d%u: %u vCPU%s, up to %lu pages%s", id, d->name,
            current->domain->domain_id, d->max_vcpus, d->max_vcpus > 1 ? "s" : "",
            (unsigned long)c->max_pages, p.privileged ? ", privileged" : "");
    return 0;
}

static long destroydomain(domid_t id)
{
    struct domain *d = domain_by_id_any(id);

    if (!d)
        return -ESRCH;
    if (d == current->domain || domain_is_machine_owner(d))
        return -EINVAL;
    if (d->dying == DOMAIN_ALIVE)
        pr_info("d%u '%s' destroyed by d%u", id, d->name, current->domain->domain_id);
    return domain_kill(d);
}

static long pausedomain(domid_t id, bool pause)
{
    long rc;
    struct domain *d = other_domain(id, &rc);

    if (!d)
        return rc;
    if (domain_is_machine_owner(d))
        return -EINVAL;
    if (pause) {
        if (d->ctl_pause_count == UINT8_MAX)
            return -EBUSY;
        d->ctl_pause_count++;
        d->pause_count++;
    } else {
        if (d->ctl_pause_count == 0)
            return -EINVAL;
        d->ctl_pause_count--;
        if (--d->pause_count == 0)
            sched_domain_unpaused(d);
    }
    return 0;
}

static uint64_t vcpu_cpu_time(struct vcpu *v)
{
    struct vcpu_runstate_info ri;

    runstate_fill(v, &ri);
    return ri.time[RUNSTATE_running];
}

static void fill_info(struct domain *d, struct mica_ctl_domaininfo *i)
{
    bool any_online = false, all_blocked = true;

    memset(i, 0, sizeof(*i));
    i->domain = d->domain_id;
    i->flags = (d->dying != DOMAIN_ALIVE ? MICA_DOMINF_dying : 0) |
               (d->is_stopped && d->dying == DOMAIN_ALIVE ? MICA_DOMINF_shutdown : 0) |
               (d->pause_count ? MICA_DOMINF_paused : 0) |
               (d->is_privileged ? MICA_DOMINF_privileged : 0);
    i->shutdown_reason = d->shutdown_reason;
    for (unsigned int n = 0; n < MAX_VCPUS; n++) {
        struct vcpu *v = d->vcpu[n];
        if (!v)
            continue;
        i->cpu_time += vcpu_cpu_time(v);
        if (v->state == VCPU_DOWN)
            continue;
        any_online = true;
        i->nr_online_vcpus++;
        if (v->state != VCPU_BLOCKED)
            all_blocked = false;
        if (v->state == VCPU_RUNNING)
            i->flags |= MICA_DOMINF_running;
    }
    if (any_online && all_blocked)
        i->flags |= MICA_DOMINF_blocked;
    i->max_vcpu_id = d->max_vcpus ? d->max_vcpus - 1 : 0;
    i->tot_pages = d->tot_pages;
    i->max_pages = d->max_pages;
    i->shared_info_frame = d->shared_info_mfn == INVALID_MFN ? 0 : d->shared_info_mfn;
    memcpy(i->handle, d->handle, sizeof(i->handle));
    mica_strlcpy(i->name, d->name, sizeof(i->name));
}

/* The registered domain with the lowest id >= from, dying ones too. */
static struct domain *first_from(domid_t from)
{
    struct domain *best = NULL;

    for (unsigned int s = 0; s < MAX_DOMAINS; s++) {
        struct domain *d = domain_in_slot(s);
        if (d && d->domain_id >= from && (!best || d->domain_id < best->domain_id))
            best = d;
    }
    return best;
}

static long getdomaininfo(struct mica_ctl_op *op)
{
    struct domain *d = first_from(op->domain);

    if (!d)
        return -ESRCH;
    fill_info(d, &op->u.getdomaininfo);
    op->domain = d->domain_id;
    return 0;
}

static long getdomaininfolist(struct mica_ctl_op *op)
{
    struct mica_ctl_getdomaininfolist *l = &op->u.getdomaininfolist;
    struct mica_ctl_domaininfo info;
    struct domain *d;
    domid_t from = op->domain;

    l->num_domains = 0;
    while (l->num_domains < l->max_domains && from < DOMID_FIRST_RESERVED &&
           (d = first_from(from))) {
        fill_info(d, &info);
        if (copy_to_guest(HVA(l->buffer) + (uint64_t)l->num_domains * sizeof(info), &info,
                          sizeof(info)))
            return -EFAULT;
        l->num_domains++;
        from = d->domain_id + 1;
    }
    return 0;
}

static long max_vcpus(struct domain *d, uint32_t max)
{
    if (max < d->max_vcpus || max > MAX_VCPUS)
        return -EINVAL;
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (d->vcpu[i] && d->vcpu[i]->started_at)
            return -EBUSY;
    while (d->max_vcpus < max) {
        if (!vcpu_create(d, d->max_vcpus))
            return -ENOMEM;
        d->max_vcpus++;
    }
    return 0;
}

static struct vcpu *vcpu_of(struct domain *d, uint32_t id)
{
    return id < d->max_vcpus ? d->vcpu[id] : NULL;
}

static long setvcpucontext(struct domain *d, struct mica_ctl_vcpucontext *c)
{
    struct vcpu *v = vcpu_of(d, c->vcpu);
    long rc;

    if (!v)
        return -EINVAL;
    if (!d->pause_count || v->started_at || d->is_stopped)
        return -EBUSY;              /* only a paused vCPU that never ran */
    vcpu_down(v);                   /* a context set before is replaced */
    if ((rc = vcpu_initialise(v, HVA(c->ctxt))) == 0)
        vcpu_up(v);                 /* runs once the domain is unpaused */
    return rc;
}

static long populate(struct domain *d, struct mica_ctl_populate_physmap *p)
{
    uint64_t end = p->first_pfn + p->nr_pages;

    if (end < p->first_pfn || end > MAX_PAGES_LIMIT || p->nr_done > p->nr_pages)
        return -EINVAL;
    for (unsigned int batch = 0; p->nr_done < p->nr_pages; batch++) {
        if (batch == POPULATE_BATCH)
            return -ERESTART;       /* nr_done goes back with the op */
        if (d->tot_pages >= d->max_pages)
            return 0;               /* stops early at the limit */
        uint64_t pfn = p->first_pfn + p->nr_done;
        mfn_t mfn = alloc_domain_frame(d);
        if (mfn == INVALID_MFN)
            return -ENOMEM;
        if (copy_to_guest(HVA(p->mfns) + p->nr_done * sizeof(xen_pfn_t), &mfn, sizeof(mfn))) {
            BUG_ON(release_page(d, mfn));
            return -EFAULT;
        }
        machine_to_phys[mfn] = pfn;
        if (pfn > d->max_gpfn)
            d->max_gpfn = pfn;
        p->nr_done++;
    }
    return 0;
}

static long getmemlist(struct domain *d, struct mica_ctl_getmemlist *l)
{
    l->num_pfns = 0;
    for (mfn_t m = d->page_head; m != INVALID_MFN && l->num_pfns < l->max_pfns;) {
        if (copy_to_guest(HVA(l->mfns) + l->num_pfns * sizeof(xen_pfn_t), &m, sizeof(m)))
            return -EFAULT;
        l->num_pfns++;
        uint32_t next = mfn_to_page(m)->next;
        m = next == PAGE_LIST_NONE ? INVALID_MFN : next;
    }
    return 0;
}

static bool owns(const struct domain *d, mfn_t mfn)
{
    return mfn_valid(mfn) && mfn_to_page(mfn)->owner == d->domain_id &&
           (mfn_to_page(mfn)->flags & PGF_allocated);
}

/* The port of a ring served by `server`: Mica's console, or a domain. */
static long ring_port(struct domain *d, domid_t server, mfn_t mfn, bool console)
{
    if (server == DOMID_XEN && console) {
        d->cons_mfn = mfn;
        long rc = console_attach(d);
        if (rc < 0) {
            d->cons_mfn = INVALID_MFN;
            return rc;
        }
        return d->cons_port;
    }
    if (!domain_by_id(server))
        return -ESRCH;
    return evtchn_alloc_unbound_port(d, server);
}

static long store_console(struct domain *d, struct mica_ctl_store_console *s)
{
    long port;

    if (!d->pause_count || d->is_stopped)
        return -EBUSY;
    if (d->rings_set || d->cons_mfn != INVALID_MFN)
        return -EEXIST;             /* once per domain */
    if (!owns(d, s->console_mfn) ||
        (s->store_domid != DOMID_INVALID && !owns(d, s->store_mfn)))
        return -EINVAL;
    s->store_port = 0;
    if (s->store_domid != DOMID_INVALID) {
        if ((port = ring_port(d, s->store_domid, s->store_mfn, false)) < 0)
            return port;
        s->store_port = (uint32_t)port;
        d->store_port = (uint32_t)port;
    }
    if ((port = ring_port(d, s->console_domid, s->console_mfn, true)) < 0)
        return port;                /* the store port stays: the domain dies anyway */
    s->console_port = (uint32_t)port;
    d->rings_set = true;
    return 0;
}

static void physinfo(struct mica_ctl_physinfo *p)
{
    memset(p, 0, sizeof(*p));
    p->nr_cpus = 1;                 /* vCPUs run on the boot CPU only, so far */
    p->max_cpu_id = 0;
    p->cpu_khz = (uint32_t)time_tsc_khz();
    p->capabilities = MICA_PHYSCAP_pv;
    p->total_pages = mm_total_frames();
    p->free_pages = mm_free_frames();
    p->max_mfn = max_page;
    for (unsigned int s = 0; s < MAX_DOMAINS; s++)
        p->nr_domains += domain_in_slot(s) != NULL;
}

static long readconsole(struct mica_ctl_readconsole *r)
{
    uint64_t pos = (r->flags & MICA_READCONSOLE_incremental) ? r->index : log_ring_start();
    uint32_t want = r->count, done = 0;
    char chunk[256];

    if (r->flags & ~(MICA_READCONSOLE_clear | MICA_READCONSOLE_incremental))
        return -EINVAL;
    while (done < want) {
        size_t n = log_ring_read(&pos, chunk, MIN(sizeof(chunk), (size_t)(want - done)));
        if (n == 0)
            break;
        if (copy_to_guest(HVA(r->buffer) + done, chunk, n))
            return -EFAULT;
        done += (uint32_t)n;
    }
    r->count = done;
    r->index = pos;
    if (r->flags & MICA_READCONSOLE_clear)
        log_ring_clear();
    return 0;
}

/* Reading a vCPU's context or state is allowed on the caller's domain too
 * (not on the calling vCPU's context: its registers are live). */
static long getvcpucontext(struct domain *d, struct mica_ctl_vcpucontext *c)
{
    struct vcpu *v = vcpu_of(d, c->vcpu);

    if (!v || v == current)
        return -EINVAL;
    if (!d->pause_count && !d->is_stopped)
        return -EBUSY;              /* a snapshot of a domain that runs on */
    return vcpu_get_context(v, HVA(c->ctxt));
}

static long getvcpuinfo(struct domain *d, struct mica_ctl_getvcpuinfo *i)
{
    struct vcpu *v = vcpu_of(d, i->vcpu);

    if (!v)
        return -EINVAL;
    i->online = v->state != VCPU_DOWN;
    i->blocked = v->state == VCPU_BLOCKED;
    i->running = v->state == VCPU_RUNNING;
    i->cpu_time = vcpu_cpu_time(v);
    i->cpu = 0;
    return 0;
}

static long setdomainname(struct domain *d, struct mica_ctl_domainname *n)
{
    if (!name_ok(n->name) || !n->name[0])
        return -EINVAL;
    pr_info("d%u '%s' renamed '%s' by d%u", d->domain_id, d->name, n->name,
            current->domain->domain_id);
    memcpy(d->name, n->name, sizeof(d->name));
    return 0;
}

static long setschedparams(struct domain *d, const struct mica_ctl_schedparams *p)
{
    if (p->weight < 1 || p->weight > SCHED_MAX_WEIGHT || p->cap > SCHED_MAX_CAP)
        return -EINVAL;
    d->sched_weight = p->weight;
    d->sched_cap = p->cap;
    return 0;
}

static long run(struct mica_ctl_op *op)
{
    struct domain *d;
    long rc = 0;

    switch (op->cmd) {
    case MICA_CTL_createdomain:
        return createdomain(op);
    case MICA_CTL_destroydomain:
        return destroydomain(op->domain);
    case MICA_CTL_pausedomain:
    case MICA_CTL_unpausedomain:
        return pausedomain(op->domain, op->cmd == MICA_CTL_pausedomain);
    case MICA_CTL_getdomaininfo:
        return getdomaininfo(op);
    case MICA_CTL_getdomaininfolist:
        return getdomaininfolist(op);
    case MICA_CTL_physinfo:
        physinfo(&op->u.physinfo);
        return 0;
    case MICA_CTL_readconsole:
        return readconsole(&op->u.readconsole);
    case MICA_CTL_getvcpucontext:
        return (d = domain_by_id(op->domain)) ? getvcpucontext(d, &op->u.vcpucontext) : -ESRCH;
    case MICA_CTL_getvcpuinfo:
        return (d = domain_by_id(op->domain)) ? getvcpuinfo(d, &op->u.getvcpuinfo) : -ESRCH;
    case MICA_CTL_setdomainname:
        return (d = domain_by_id(op->domain)) ? setdomainname(d, &op->u.domainname) : -ESRCH;
    case MICA_CTL_setdomainhandle:
        if (!(d = domain_by_id(op->domain)))
            return -ESRCH;
        memcpy(d->handle, op->u.domainhandle.handle, sizeof(d->handle));
        return 0;
    case MICA_CTL_getschedparams:
        if (!(d = domain_by_id(op->domain)))
            return -ESRCH;
        op->u.schedparams.weight = d->sched_weight ? d->sched_weight : SCHED_DEFAULT_WEIGHT;
        op->u.schedparams.cap = d->sched_cap;
        return 0;
    case MICA_CTL_setschedparams:
        return (d = domain_by_id(op->domain)) ? setschedparams(d, &op->u.schedparams) : -ESRCH;
    case MICA_CTL_max_mem:
        /* Also the caller's own, as Xen's max_mem: xl mem-set 0 sets
         * dom0's limit from dom0. */
        if (!(d = domain_by_id(op->domain)))
            return -ESRCH;
        if (op->u.max_mem.max_pages > MAX_PAGES_LIMIT)
            return -EINVAL;
        domain_set_max_pages(d, op->u.max_mem.max_pages);
        return 0;
    default:
        break;
    }

    /* The rest change another live domain. */
    if (op->cmd < MICA_CTL_max_vcpus || op->cmd > MICA_CTL_set_store_console)
        return -ENOSYS;
    if (!(d = other_domain(op->domain, &rc)))
        return rc;
    switch (op->cmd) {
    case MICA_CTL_max_vcpus:
        return max_vcpus(d, op->u.max_vcpus.max);
    case MICA_CTL_setvcpucontext:
        return setvcpucontext(d, &op->u.vcpucontext);
    case MICA_CTL_populate_physmap:
        return populate(d, &op->u.populate_physmap);
    case MICA_CTL_getmemlist:
        return getmemlist(d, &op->u.getmemlist);
    case MICA_CTL_set_store_console:
        return store_console(d, &op->u.store_console);
    default:
        return -ENOSYS;
    }
}

/* The ops with OUT fields, copied back on success (populate_physmap also on
 * failure and for its continuation: nr_done says how far it got). */
static bool copies_back(uint32_t cmd, long rc)
{
    if (cmd == MICA_CTL_destroydomain || cmd == MICA_CTL_pausedomain ||
        cmd == MICA_CTL_unpausedomain || cmd == MICA_CTL_setdomainname ||
        cmd == MICA_CTL_setdomainhandle || cmd == MICA_CTL_setschedparams)
        return false;
    return rc == 0 || cmd == MICA_CTL_populate_physmap;
}

long do_mica_control(uint64_t arg)
{
    struct mica_ctl_op op;

    if (!current->domain->is_privileged)
        return -EPERM;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    if (op.interface_version != MICA_CTL_INTERFACE_VERSION)
        return -EACCES;
    domain_reap();
    long rc = run(&op);
    if (copies_back(op.cmd, rc) && copy_to_guest(arg, &op, sizeof(op)))
        return -EFAULT;
    return rc;
}
