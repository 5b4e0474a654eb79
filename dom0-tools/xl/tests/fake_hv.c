/* SPDX-License-Identifier: MIT */
/* The fake hypervisor behind xl's tests (fake_hv.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <abi/version.h>

#include "fake_hv.h"

struct fake_hv fake;

void fake_reset(void)
{
    memset(&fake, 0, sizeof(fake));
    fake.interface_version = MICA_CTL_INTERFACE_VERSION;
}

struct mica_ctl_domaininfo *fake_add(domid_t id, const char *name, uint64_t pages,
                                     uint32_t vcpus, uint32_t flags)
{
    struct mica_ctl_domaininfo *d = &fake.dom[fake.nr++];

    *d = (struct mica_ctl_domaininfo){ .domain = id, .flags = flags, .nr_online_vcpus = vcpus,
                                       .max_vcpu_id = vcpus ? vcpus - 1 : 0,
                                       .tot_pages = pages, .max_pages = pages + 16,
                                       .cpu_time = 1500000000ULL * (id + 1) };
    strncpy(d->name, name, sizeof(d->name) - 1);
    for (int i = 0; i < 16; i++)
        d->handle[i] = (uint8_t)(id + i);
    return d;
}

static struct mica_ctl_domaininfo *find(domid_t id)
{
    for (unsigned int i = 0; i < fake.nr; i++)
        if (fake.dom[i].domain == id)
            return &fake.dom[i];
    return NULL;
}

static long fail(int e)
{
    errno = e;
    return -1;
}

static long control(struct mica_ctl_op *op)
{
    struct mica_ctl_domaininfo *d = find(op->domain);
    unsigned int i;

    if (op->interface_version != fake.interface_version)
        return fail(EACCES);
    switch (op->cmd) {
    case MICA_CTL_getdomaininfo:
        for (i = 0; i < fake.nr && fake.dom[i].domain < op->domain; i++)
            ;
        if (i == fake.nr)
            return fail(ESRCH);
        op->u.getdomaininfo = fake.dom[i];
        op->domain = fake.dom[i].domain;
        return 0;
    case MICA_CTL_getdomaininfolist: {
        struct mica_ctl_domaininfo *out =
            (void *)(uintptr_t)op->u.getdomaininfolist.buffer.p;
        uint32_t n = 0;
        for (i = 0; i < fake.nr && n < op->u.getdomaininfolist.max_domains; i++)
            if (fake.dom[i].domain >= op->domain)
                out[n++] = fake.dom[i];
        op->u.getdomaininfolist.num_domains = n;
        return 0;
    }
    case MICA_CTL_pausedomain:
    case MICA_CTL_unpausedomain:
    case MICA_CTL_destroydomain:
        if (!d)
            return fail(ESRCH);
        if (op->domain == 0)
            return fail(EINVAL);                /* not domain 0, as Mica */
        if (op->cmd == MICA_CTL_pausedomain)
            d->flags |= MICA_DOMINF_paused;
        else if (op->cmd == MICA_CTL_unpausedomain)
            d->flags &= ~MICA_DOMINF_paused;
        else {
            i = (unsigned int)(d - fake.dom);
            memmove(d, d + 1, (fake.nr - i - 1) * sizeof(*d));
            fake.nr--;
        }
        return 0;
    case MICA_CTL_getvcpuinfo:
        if (!d)
            return fail(ESRCH);
        if (op->u.getvcpuinfo.vcpu > d->max_vcpu_id)
            return fail(EINVAL);
        op->u.getvcpuinfo.online = op->u.getvcpuinfo.vcpu < d->nr_online_vcpus;
        op->u.getvcpuinfo.blocked = !!(d->flags & MICA_DOMINF_blocked);
        op->u.getvcpuinfo.running = !!(d->flags & MICA_DOMINF_running);
        op->u.getvcpuinfo.cpu = op->u.getvcpuinfo.vcpu % 2;
        op->u.getvcpuinfo.cpu_time = 250000000ULL * (op->u.getvcpuinfo.vcpu + 1);
        return 0;
    case MICA_CTL_physinfo:
        op->u.physinfo = (struct mica_ctl_physinfo){
            .nr_cpus = 2, .max_cpu_id = 1, .cpu_khz = 2605656,
            .capabilities = MICA_PHYSCAP_pv, .total_pages = 524288, .free_pages = 262144,
            .max_mfn = 524288, .nr_domains = fake.nr };
        return 0;
    case MICA_CTL_readconsole: {
        struct mica_ctl_readconsole *r = &op->u.readconsole;
        uint64_t from = (r->flags & MICA_READCONSOLE_incremental) ? r->index : 0;
        size_t n = from >= fake.console_len ? 0 : fake.console_len - from;
        if (n > r->count)
            n = r->count;
        memcpy((void *)(uintptr_t)r->buffer.p, fake.console + from, n);
        r->count = (uint32_t)n;
        r->index = from + n;
        if (r->flags & MICA_READCONSOLE_clear)
            fake.console_len = 0, r->index = 0;
        return 0;
    }
    default:
        return fail(ENOSYS);
    }
}

static long call(void *ctx, unsigned int nr, uint64_t a1, uint64_t a2)
{
    (void)ctx;
    fake.calls++;
    if (nr == __HYPERVISOR_mica_control)
        return control((struct mica_ctl_op *)(uintptr_t)a1);
    if (nr == __HYPERVISOR_xen_version) {
        switch (a1) {
        case XENVER_version:
            return (4 << 16) | 17;
        case XENVER_extraversion:
            strcpy((char *)(uintptr_t)a2, ".0-mica");
            return 0;
        case XENVER_capabilities:
            strcpy((char *)(uintptr_t)a2, "xen-3.0-x86_64 ");
            return 0;
        }
    }
    return fail(ENOSYS);
}

static void *alloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void release(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

struct mica *fake_open(void)
{
    struct mica_transport t = { alloc, release, call, NULL };

    return mica_open_with(&t);
}
