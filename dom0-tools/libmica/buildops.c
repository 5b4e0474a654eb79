/* SPDX-License-Identifier: MIT */
/*
 * libmica (libmica.h): the calls a domain builder makes -- createdomain,
 * max_mem, populate_physmap, set_store_console, setvcpucontext, the
 * target's grant frame, and foreign mappings -- each as one typed call
 * over the transport.
 */
#include <errno.h>
#include <string.h>

#include <abi/grant_table.h>
#include <abi/memory.h>

#include "libmica.h"
#include "libmica_priv.h"

int mica_domain_create(struct mica *m, domid_t want, uint32_t flags, uint32_t max_vcpus,
                       uint64_t max_pages, const uint8_t handle[16], const char *name,
                       domid_t *id)
{
    struct mica_ctl_op op = { .cmd = MICA_CTL_createdomain, .domain = want };
    struct mica_ctl_createdomain *c = &op.u.createdomain;

    if (name && strlen(name) >= sizeof(c->name)) {
        errno = EINVAL;             /* silently cutting a name would misname it */
        return -1;
    }
    c->flags = flags;
    c->max_vcpus = max_vcpus;
    c->max_pages = max_pages;
    if (handle)
        memcpy(c->handle, handle, sizeof(c->handle));
    if (name)
        strcpy(c->name, name);
    if (mica_ctl(m, &op))
        return -1;
    if (op.domain == 0 || op.domain >= DOMID_FIRST_RESERVED ||
        (want != DOMID_INVALID && op.domain != want)) {
        errno = EPROTO;
        return -1;
    }
    *id = op.domain;
    return 0;
}

int mica_domain_max_mem(struct mica *m, domid_t id, uint64_t max_pages)
{
    struct mica_ctl_op op = { .cmd = MICA_CTL_max_mem, .domain = id };

    op.u.max_mem.max_pages = max_pages;
    return mica_ctl(m, &op);
}

/* Frames asked for per call: bounds the hypercall buffer (512 KiB); the
 * hypervisor itself continues a long call every 512 frames. */
#define POPULATE_CHUNK 65536

int mica_populate_physmap(struct mica *m, domid_t id, uint64_t first_pfn, uint64_t nr,
                          xen_pfn_t *mfns)
{
    uint64_t chunk = nr < POPULATE_CHUNK ? nr : POPULATE_CHUNK;
    xen_pfn_t *h = mica_hbuf(m, (chunk ? chunk : 1) * sizeof(*h));
    int rc = 0;

    if (!h)
        return -1;
    for (uint64_t done = 0; done < nr && rc == 0;) {
        uint64_t n = nr - done < chunk ? nr - done : chunk;
        struct mica_ctl_op op = { .cmd = MICA_CTL_populate_physmap, .domain = id };
        op.u.populate_physmap.first_pfn = first_pfn + done;
        op.u.populate_physmap.nr_pages = n;
        set_xen_guest_handle(op.u.populate_physmap.mfns, h);
        if ((rc = mica_ctl(m, &op)))
            break;
        uint64_t got = op.u.populate_physmap.nr_done;
        if (got > n) {
            errno = EPROTO;
            rc = -1;
        } else if (got < n) {
            errno = ENOMEM;         /* the domain's max_pages was reached */
            rc = -1;
        } else {
            memcpy(mfns + done, h, n * sizeof(*h));
            done += n;
        }
    }
    m->t.free(m->t.ctx, h);
    return rc;
}

int mica_set_store_console(struct mica *m, domid_t id, struct mica_ctl_store_console *sc)
{
    struct mica_ctl_op op = { .cmd = MICA_CTL_set_store_console, .domain = id };

    op.u.store_console = *sc;
    if (mica_ctl(m, &op))
        return -1;
    sc->store_port = op.u.store_console.store_port;
    sc->console_port = op.u.store_console.console_port;
    return 0;
}

int mica_setvcpucontext(struct mica *m, domid_t id, uint32_t vcpu,
                        const struct vcpu_guest_context *ctx)
{
    struct vcpu_guest_context *h = mica_hbuf(m, sizeof(*h));
    struct mica_ctl_op op = { .cmd = MICA_CTL_setvcpucontext, .domain = id };
    int rc;

    if (!h)
        return -1;
    *h = *ctx;
    op.u.vcpucontext.vcpu = vcpu;
    set_xen_guest_handle(op.u.vcpucontext.ctxt, h);
    rc = mica_ctl(m, &op);
    int e = errno;
    m->t.free(m->t.ctx, h);
    errno = e;
    return rc;
}

static long call5(struct mica *m, unsigned int nr, uint64_t a1, uint64_t a2, uint64_t a3,
                  uint64_t a4)
{
    const uint64_t a[5] = { a1, a2, a3, a4, 0 };

    if (!m->t.call5) {
        errno = ENOSYS;
        return -1;
    }
    return m->t.call5(m->t.ctx, nr, a);
}

/* GNTST_* status as the nearest errno (Xen's own tools do the same). */
static int gntst_errno(int16_t st)
{
    switch (st) {
    case GNTST_bad_domain:        return ESRCH;
    case GNTST_permission_denied: return EPERM;
    case GNTST_bad_virt_addr:     return EFAULT;
    default:                      return EIO;
    }
}

int mica_gnttab_frame(struct mica *m, domid_t id, xen_pfn_t *frame)
{
    struct gnttab_setup_table *op = mica_hbuf(m, sizeof(*op) + sizeof(xen_pfn_t));
    int rc = -1;

    if (!op)
        return -1;
    xen_pfn_t *list = (xen_pfn_t *)(op + 1);
    op->dom = id;
    op->nr_frames = 1;
    set_xen_guest_handle(op->frame_list, list);
    if (call5(m, __HYPERVISOR_grant_table_op, GNTTABOP_setup_table,
              (uint64_t)(uintptr_t)op, 1, 0) >= 0) {
        if (op->status != GNTST_okay)
            errno = gntst_errno(op->status);
        else if (*list == 0)
            errno = EPROTO;
        else {
            *frame = *list;
            rc = 0;
        }
    }
    int e = errno;
    m->t.free(m->t.ctx, op);
    errno = e;
    return rc;
}

int mica_set_memory_map(struct mica *m, domid_t id, uint64_t ram_bytes)
{
    struct xen_foreign_memory_map *f = mica_hbuf(m, sizeof(*f) + sizeof(struct mica_e820entry));
    int rc = -1;

    if (!f)
        return -1;
    struct mica_e820entry *e = (struct mica_e820entry *)(f + 1);
    e->addr = 0;
    e->size = ram_bytes;
    e->type = MICA_E820_RAM;
    f->domid = id;
    f->map.nr_entries = 1;
    set_xen_guest_handle(f->map.buffer, e);
    if (call5(m, __HYPERVISOR_memory_op, XENMEM_set_memory_map, (uint64_t)(uintptr_t)f, 0,
              0) >= 0)
        rc = 0;
    int err = errno;
    m->t.free(m->t.ctx, f);
    errno = err;
    return rc;
}

int mica_pin_l4(struct mica *m, domid_t id, xen_pfn_t l4)
{
    struct mmuext_op *op = mica_hbuf(m, sizeof(*op));
    int rc = -1;

    if (!op)
        return -1;
    *op = (struct mmuext_op){ .cmd = MMUEXT_PIN_L4_TABLE, .arg1.mfn = l4 };
    if (call5(m, __HYPERVISOR_mmuext_op, (uint64_t)(uintptr_t)op, 1, 0, id) >= 0)
        rc = 0;
    int e = errno;
    m->t.free(m->t.ctx, op);
    errno = e;
    return rc;
}

void *mica_map_foreign(struct mica *m, domid_t id, const xen_pfn_t *mfns, size_t n)
{
    if (!m->t.map_foreign || !m->t.unmap_foreign) {
        errno = ENOSYS;
        return NULL;
    }
    if (n == 0) {
        errno = EINVAL;
        return NULL;
    }
    void *p = m->t.map_foreign(m->t.ctx, id, mfns, n);
    if (!p && !errno)
        errno = EIO;
    return p;
}

int mica_unmap_foreign(struct mica *m, void *addr, size_t n)
{
    if (!m->t.unmap_foreign) {
        errno = ENOSYS;
        return -1;
    }
    return m->t.unmap_foreign(m->t.ctx, addr, n);
}
