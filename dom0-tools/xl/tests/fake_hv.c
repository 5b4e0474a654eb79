/* SPDX-License-Identifier: MIT */
/* The fake hypervisor behind xl's tests (fake_hv.h). */
#define _GNU_SOURCE                     /* memfd_create */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <abi/grant_table.h>
#include <abi/memory.h>
#include <abi/version.h>

#include "fake_hv.h"

struct fake_hv fake;

void fake_reset(void)
{
    for (unsigned int i = 0; i < FAKE_MAX_MAPS; i++)
        if (fake.maps[i].addr)
            munmap(fake.maps[i].addr, fake.maps[i].n * 4096);
    if (fake.mem) {
        munmap(fake.mem, (size_t)FAKE_FRAMES * 4096);
        close(fake.memfd);
    }
    memset(&fake, 0, sizeof(fake));
    fake.memfd = -1;
    for (unsigned int i = 0; i < FAKE_FRAMES; i++)
        fake.owner[i] = FAKE_FREE;
    fake.interface_version = MICA_CTL_INTERFACE_VERSION;
}

/* ---- machine memory ----------------------------------------------------------- */

static bool mem_ready(void)
{
    if (fake.mem)
        return true;
    fake.memfd = memfd_create("fake-hv-memory", MFD_CLOEXEC);
    if (fake.memfd < 0 || ftruncate(fake.memfd, (off_t)FAKE_FRAMES * 4096) < 0)
        return false;
    fake.mem = mmap(NULL, (size_t)FAKE_FRAMES * 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
                    fake.memfd, 0);
    if (fake.mem == MAP_FAILED) {
        fake.mem = NULL;
        return false;
    }
    return true;
}

static long frame_index(xen_pfn_t mfn)
{
    return mfn >= FAKE_MFN_BASE && mfn < FAKE_MFN_BASE + FAKE_FRAMES ? (long)(mfn - FAKE_MFN_BASE)
                                                                      : -1;
}

void *fake_frame(xen_pfn_t mfn)
{
    long i = frame_index(mfn);

    return i >= 0 && fake.mem ? fake.mem + (size_t)i * 4096 : NULL;
}

unsigned int fake_free_frames(void)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < FAKE_FRAMES; i++)
        n += fake.owner[i] == FAKE_FREE;
    return n;
}

/* A zeroed frame for dom, from the top down, so that pfn order and mfn
 * order disagree (a builder that confuses them is caught). */
static xen_pfn_t alloc_frame(domid_t dom)
{
    if (!mem_ready())
        return 0;
    for (unsigned int i = FAKE_FRAMES; i-- > 0;)
        if (fake.owner[i] == FAKE_FREE) {
            fake.owner[i] = dom;
            memset(fake.mem + (size_t)i * 4096, 0, 4096);
            return FAKE_MFN_BASE + i;
        }
    return 0;
}

static bool owns(domid_t dom, xen_pfn_t mfn)
{
    long i = frame_index(mfn);

    return i >= 0 && fake.owner[i] == dom;
}

struct fake_built *fake_built(domid_t id)
{
    for (unsigned int i = 0; i < fake.nr_built; i++)
        if (fake.built[i].id == id)
            return &fake.built[i];
    return NULL;
}

static unsigned int owned(domid_t dom)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < FAKE_FRAMES; i++)
        n += fake.owner[i] == dom;
    return n;
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

static long build_op(struct mica_ctl_op *op, struct mica_ctl_domaininfo *d);

static long control(struct mica_ctl_op *op)
{
    struct mica_ctl_domaininfo *d = find(op->domain);
    unsigned int i;

    if (op->interface_version != fake.interface_version)
        return fail(EACCES);
    if (fake.fail_cmd && op->cmd == fake.fail_cmd)
        return fail(fake.fail_errno);
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
            struct fake_built *b = fake_built(op->domain);
            for (i = 0; i < FAKE_FRAMES; i++)     /* every frame back */
                if (fake.owner[i] == op->domain)
                    fake.owner[i] = FAKE_FREE;
            if (b)
                *b = fake.built[--fake.nr_built];
            i = (unsigned int)(d - fake.dom);
            memmove(d, d + 1, (fake.nr - i - 1) * sizeof(*d));
            fake.nr--;
        }
        return 0;
    case MICA_CTL_setdomainname: {
        char *n = op->u.domainname.name;
        n[MICA_NAME_LEN - 1] = 0;
        if (!d)
            return fail(ESRCH);
        if (!*n)
            return fail(EINVAL);
        for (const char *c = n; *c; c++)
            if (*c < 0x20 || *c > 0x7e)
                return fail(EINVAL);
        memcpy(d->name, n, MICA_NAME_LEN);
        return 0;
    }
    case MICA_CTL_setdomainhandle:
        if (!d)
            return fail(ESRCH);
        memcpy(d->handle, op->u.domainhandle.handle, sizeof(d->handle));
        return 0;
    case MICA_CTL_getschedparams:
        if (!d)
            return fail(ESRCH);
        op->u.schedparams.weight = fake.sched[op->domain].weight ?: 256;
        op->u.schedparams.cap = fake.sched[op->domain].cap;
        return 0;
    case MICA_CTL_setschedparams:
        if (!d)
            return fail(ESRCH);
        if (!op->u.schedparams.weight || op->u.schedparams.weight > 65535 ||
            op->u.schedparams.cap > 100)
            return fail(EINVAL);
        fake.sched[op->domain].weight = op->u.schedparams.weight;
        fake.sched[op->domain].cap = op->u.schedparams.cap;
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
        return build_op(op, d);
    }
}

/* ---- the builder's ops ------------------------------------------------------------ */

static long createdomain(struct mica_ctl_op *op)
{
    struct mica_ctl_createdomain *c = &op->u.createdomain;
    domid_t id = op->domain;

    if (c->flags & ~MICA_CDF_privileged || !c->max_vcpus || c->max_vcpus > 32)
        return fail(EINVAL);
    if (id == DOMID_INVALID)
        for (id = 1; find(id); id++)
            ;
    if (id == 0 || id >= DOMID_FIRST_RESERVED || find(id))
        return fail(id && id < DOMID_FIRST_RESERVED ? EEXIST : EINVAL);
    if (fake.nr_built == FAKE_MAX_BUILT || fake.nr == FAKE_MAX_DOMAINS)
        return fail(ENOSPC);
    struct fake_built *b = &fake.built[fake.nr_built];
    *b = (struct fake_built){ .id = id, .max_pages = c->max_pages };
    if (!(b->shared_info = alloc_frame(id)) || !(b->grant = alloc_frame(id)))
        return fail(ENOMEM);
    fake.nr_built++;
    /* Insert in id order. */
    {
        unsigned int i = 0;
        while (i < fake.nr && fake.dom[i].domain < id)
            i++;
        memmove(&fake.dom[i + 1], &fake.dom[i], (fake.nr - i) * sizeof(fake.dom[0]));
        fake.nr++;
        fake.dom[i] = (struct mica_ctl_domaininfo){ .domain = id, .flags = MICA_DOMINF_paused,
                                                    .max_vcpu_id = c->max_vcpus - 1 };
        memcpy(fake.dom[i].handle, c->handle, sizeof(c->handle));
        memcpy(fake.dom[i].name, c->name, sizeof(fake.dom[i].name) - 1);
        fake.dom[i].shared_info_frame = b->shared_info;
        fake.dom[i].tot_pages = 2;
        fake.dom[i].max_pages = c->max_pages + 2;
    }
    op->domain = id;
    return 0;
}

static long populate(struct fake_built *b, struct mica_ctl_populate_physmap *p)
{
    xen_pfn_t *out = (void *)(uintptr_t)p->mfns.p;

    if (p->nr_done > p->nr_pages)
        return fail(EINVAL);
    while (p->nr_done < p->nr_pages) {
        if (b->populated >= b->max_pages)
            return 0;                   /* stops early at the limit */
        xen_pfn_t mfn = alloc_frame(b->id);
        if (!mfn)
            return fail(ENOMEM);
        out[p->nr_done++] = mfn;
        b->populated++;
    }
    return 0;
}

static long store_console(struct fake_built *b, struct mica_ctl_store_console *s)
{
    if (b->rings_set)
        return fail(EEXIST);
    if (!owns(b->id, s->console_mfn) ||
        (s->store_domid != DOMID_INVALID && !owns(b->id, s->store_mfn)))
        return fail(EINVAL);
    s->store_port = s->store_domid == DOMID_INVALID ? 0 : 1;
    s->console_port = 2;
    b->sc = *s;
    b->rings_set = true;
    return 0;
}

/* As the hypervisor: in kernel mode, an L4 the domain owns, and none of
 * its frames mapped by the builder any more (the fake does not know which
 * are tables, so it asks that nothing at all is mapped). */
static long setvcpucontext(struct fake_built *b, struct mica_ctl_vcpucontext *c)
{
    const struct vcpu_guest_context *ctx = (const void *)(uintptr_t)c->ctxt.p;

    if (c->vcpu != 0)
        return fail(EINVAL);
    if (!(ctx->flags & VGCF_in_kernel) || !owns(b->id, xen_cr3_to_pfn(ctx->ctrlreg[3])) ||
        fake.mapped_pages)
        return fail(EINVAL);
    b->ctx = *ctx;
    b->ctx_set = true;
    return 0;
}

static long build_op(struct mica_ctl_op *op, struct mica_ctl_domaininfo *d)
{
    struct fake_built *b;

    if (op->cmd == MICA_CTL_createdomain)
        return createdomain(op);
    if (op->cmd < MICA_CTL_max_mem || op->cmd > MICA_CTL_set_store_console)
        return fail(ENOSYS);
    if (!d || !(b = fake_built(op->domain)))
        return fail(ESRCH);
    if (!(d->flags & MICA_DOMINF_paused) && op->cmd != MICA_CTL_max_mem)
        return fail(EBUSY);
    switch (op->cmd) {
    case MICA_CTL_max_mem:
        b->max_pages = op->u.max_mem.max_pages;
        return 0;
    case MICA_CTL_populate_physmap: {
        long rc = populate(b, &op->u.populate_physmap);
        d->tot_pages = owned(b->id);
        d->max_pages = b->max_pages + 2;
        return rc;
    }
    case MICA_CTL_set_store_console:
        return store_console(b, &op->u.store_console);
    case MICA_CTL_setvcpucontext:
        return setvcpucontext(b, &op->u.vcpucontext);
    default:
        return fail(ENOSYS);
    }
}

/* mmuext_op with foreigndom: only pinning the built domain's L4, once,
 * with nothing mapped (a mapped frame could not become a table). */
static long pin(const uint64_t a[5])
{
    const struct mmuext_op *op = (const void *)(uintptr_t)a[0];
    struct fake_built *b = fake_built((domid_t)a[3]);

    if (a[1] != 1 || !b)
        return fail(a[1] != 1 ? EINVAL : ESRCH);
    if (op->cmd != MMUEXT_PIN_L4_TABLE || !owns(b->id, op->arg1.mfn) || b->pinned_l4 ||
        fake.mapped_pages)
        return fail(EINVAL);
    b->pinned_l4 = op->arg1.mfn;
    return 0;
}

static long call5(void *ctx, unsigned int nr, const uint64_t a[5])
{
    (void)ctx;
    fake.calls++;
    if (nr == __HYPERVISOR_mmuext_op)
        return pin(a);
    if (nr == __HYPERVISOR_memory_op && a[0] == XENMEM_set_memory_map) {
        struct xen_foreign_memory_map *f = (void *)(uintptr_t)a[1];
        struct fake_built *b = fake_built(f->domid);
        const struct mica_e820entry *e = (const void *)(uintptr_t)f->map.buffer.p;
        if (!b)
            return fail(ESRCH);
        if (f->map.nr_entries != 1 || e->addr || e->type != MICA_E820_RAM)
            return fail(EINVAL);            /* what the builder sends, nothing else */
        b->e820_ram = e->size;
        return 0;
    }
    if (nr != __HYPERVISOR_grant_table_op || a[0] != GNTTABOP_setup_table || a[2] != 1)
        return fail(ENOSYS);
    struct gnttab_setup_table *op = (void *)(uintptr_t)a[1];
    struct fake_built *b = fake_built(op->dom);
    if (!b)
        op->status = GNTST_bad_domain;
    else if (op->nr_frames > 1)
        op->status = GNTST_general_error;
    else {
        if (op->nr_frames)
            *(xen_pfn_t *)(uintptr_t)op->frame_list.p = b->grant;
        op->status = GNTST_okay;
    }
    return 0;
}

static void *map_foreign(void *ctx, domid_t dom, const xen_pfn_t *mfns, size_t n)
{
    unsigned int slot;
    (void)ctx;

    if (fake.fail_map_after && fake.nr_maps >= fake.fail_map_after)
        return errno = EFAULT, NULL;
    for (slot = 0; slot < FAKE_MAX_MAPS && fake.maps[slot].addr; slot++)
        ;
    if (slot == FAKE_MAX_MAPS || !n || !mem_ready())
        return errno = ENOMEM, NULL;
    uint8_t *p = mmap(NULL, n * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return errno = ENOMEM, NULL;
    for (size_t i = 0; i < n; i++) {
        long f = frame_index(mfns[i]);
        if (f < 0 || fake.owner[f] != dom ||
            mmap(p + i * 4096, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                 fake.memfd, (off_t)f * 4096) == MAP_FAILED) {
            munmap(p, n * 4096);
            return errno = EINVAL, NULL;    /* not the domain's frame */
        }
    }
    fake.maps[slot].addr = p;
    fake.maps[slot].n = n;
    fake.mapped_pages += (long)n;
    fake.nr_maps++;
    return p;
}

static int unmap_foreign(void *ctx, void *addr, size_t n)
{
    (void)ctx;
    for (unsigned int i = 0; i < FAKE_MAX_MAPS; i++)
        if (fake.maps[i].addr == addr && fake.maps[i].n == n) {
            munmap(addr, n * 4096);
            fake.maps[i].addr = NULL;
            fake.mapped_pages -= (long)n;
            return 0;
        }
    errno = EINVAL;
    return -1;
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
    struct mica_transport t = { .alloc = alloc, .free = release, .call = call,
                                .call5 = call5, .map_foreign = map_foreign,
                                .unmap_foreign = unmap_foreign };

    return mica_open_with(&t);
}
