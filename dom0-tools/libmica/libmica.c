/* SPDX-License-Identifier: MIT */
/*
 * libmica (libmica.h): the control interface as typed calls.  Each call
 * builds a struct mica_ctl_op in hypercall memory, points its handles at
 * hypercall memory too, makes hypercall 56 and copies the OUT fields back
 * to the caller.  No state beyond the transport: every tool may open as
 * many handles as it likes, and a daemon that restarts loses nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <abi/version.h>
#include <xencall.h>

#include "libmica.h"
#include "libmica_priv.h"

/* ---- the default transport: libxencall and libxenforeignmemory ------------ */

static void *xc_alloc(void *ctx, size_t size)
{
    return xencall_alloc_buffer(((struct mica *)ctx)->xc, size);
}

static void xc_free(void *ctx, void *p)
{
    xencall_free_buffer(((struct mica *)ctx)->xc, p);
}

static long xc_call(void *ctx, unsigned int nr, uint64_t a1, uint64_t a2)
{
    return xencall2L(((struct mica *)ctx)->xc, nr, a1, a2);
}

static long xc_call5(void *ctx, unsigned int nr, const uint64_t a[5])
{
    return xencall5(((struct mica *)ctx)->xc, nr, a[0], a[1], a[2], a[3], a[4]);
}

/* Debian's libxenforeignmemory (privcmd MMAPBATCH_V2) in sysmem.c, which
 * cannot include our ABI headers next to Xen's. */
static void *xc_map(void *ctx, domid_t dom, const xen_pfn_t *mfns, size_t n)
{
    struct mica *m = ctx;

    if (!m->fmem && !(m->fmem = mica_sys_fmem_open()))
        return NULL;
    return mica_sys_fmem_map(m->fmem, dom, mfns, n);
}

static int xc_unmap(void *ctx, void *addr, size_t n)
{
    struct mica *m = ctx;

    return m->fmem ? mica_sys_fmem_unmap(m->fmem, addr, n) : (errno = EINVAL, -1);
}

struct mica *mica_open(void)
{
    struct mica *m = calloc(1, sizeof(*m));

    if (!m)
        return NULL;
    if (!(m->xc = xencall_open(NULL, 0))) {
        int e = errno;
        free(m);
        errno = e;
        return NULL;
    }
    m->t = (struct mica_transport){ .alloc = xc_alloc, .free = xc_free, .call = xc_call,
                                    .ctx = m, .call5 = xc_call5, .map_foreign = xc_map,
                                    .unmap_foreign = xc_unmap };
    return m;
}

struct mica *mica_open_with(const struct mica_transport *t)
{
    struct mica *m = calloc(1, sizeof(*m));

    if (m)
        m->t = *t;
    return m;
}

void mica_close(struct mica *m)
{
    if (!m)
        return;
    if (m->fmem)
        mica_sys_fmem_close(m->fmem);
    if (m->xc)
        xencall_close(m->xc);
    free(m);
}

/* ---- one control op ---------------------------------------------------------- */

/* Hypercall memory of `size` bytes, zeroed; NULL with errno set. */
void *mica_hbuf(struct mica *m, size_t size)
{
    void *p = m->t.alloc(m->t.ctx, size);

    if (p)
        memset(p, 0, size);
    else if (!errno)
        errno = ENOMEM;
    return p;
}

/* Run *op (cmd, domain and payload set by the caller) and copy the result
 * back into it: 0, or -1 with errno. */
int mica_ctl(struct mica *m, struct mica_ctl_op *op)
{
    struct mica_ctl_op *h = mica_hbuf(m, sizeof(*h));
    long rc;

    if (!h)
        return -1;
    *h = *op;
    h->interface_version = MICA_CTL_INTERFACE_VERSION;
    rc = m->t.call(m->t.ctx, __HYPERVISOR_mica_control, (uint64_t)(uintptr_t)h, 0);
    int e = errno;
    if (rc >= 0)
        *op = *h;
    m->t.free(m->t.ctx, h);
    if (rc < 0) {
        errno = e ? e : EIO;
        return -1;
    }
    return 0;
}

static int simple(struct mica *m, uint32_t cmd, domid_t id)
{
    struct mica_ctl_op op = { .cmd = cmd, .domain = id };

    return mica_ctl(m, &op);
}

int mica_domain_pause(struct mica *m, domid_t id)
{
    return simple(m, MICA_CTL_pausedomain, id);
}

int mica_domain_unpause(struct mica *m, domid_t id)
{
    return simple(m, MICA_CTL_unpausedomain, id);
}

int mica_domain_destroy(struct mica *m, domid_t id)
{
    return simple(m, MICA_CTL_destroydomain, id);
}

int mica_domain_rename(struct mica *m, domid_t id, const char *name)
{
    struct mica_ctl_op op = { .cmd = MICA_CTL_setdomainname, .domain = id };
    size_t len = strlen(name);

    if (len >= sizeof(op.u.domainname.name)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(op.u.domainname.name, name, len);
    return mica_ctl(m, &op);
}

int mica_domain_sethandle(struct mica *m, domid_t id, const uint8_t handle[16])
{
    struct mica_ctl_op op = { .cmd = MICA_CTL_setdomainhandle, .domain = id };

    memcpy(op.u.domainhandle.handle, handle, sizeof(op.u.domainhandle.handle));
    return mica_ctl(m, &op);
}

int mica_sched_get(struct mica *m, domid_t id, uint32_t *weight, uint32_t *cap)
{
    struct mica_ctl_op op = { .cmd = MICA_CTL_getschedparams, .domain = id };

    if (mica_ctl(m, &op))
        return -1;
    *weight = op.u.schedparams.weight;
    *cap = op.u.schedparams.cap;
    return 0;
}

int mica_sched_set(struct mica *m, domid_t id, uint32_t weight, uint32_t cap)
{
    struct mica_ctl_op op = { .cmd = MICA_CTL_setschedparams, .domain = id };

    op.u.schedparams.weight = weight;
    op.u.schedparams.cap = cap;
    return mica_ctl(m, &op);
}

int mica_domain_info(struct mica *m, domid_t id, struct mica_ctl_domaininfo *out)
{
    struct mica_ctl_op op = { .cmd = MICA_CTL_getdomaininfo, .domain = id };

    if (mica_ctl(m, &op))
        return -1;
    /* The first domain at or above id: another one means id is gone. */
    if (op.u.getdomaininfo.domain != id) {
        errno = ESRCH;
        return -1;
    }
    *out = op.u.getdomaininfo;
    return 0;
}

#define LIST_CHUNK 64

int mica_domain_list(struct mica *m, struct mica_ctl_domaininfo **out, unsigned int *n)
{
    struct mica_ctl_domaininfo *buf = mica_hbuf(m, LIST_CHUNK * sizeof(*buf)), *all = NULL;
    unsigned int have = 0;
    domid_t next = 0;
    int rc = 0;

    if (!buf)
        return -1;
    for (;;) {
        struct mica_ctl_op op = { .cmd = MICA_CTL_getdomaininfolist, .domain = next };
        set_xen_guest_handle(op.u.getdomaininfolist.buffer, buf);
        op.u.getdomaininfolist.max_domains = LIST_CHUNK;
        if ((rc = mica_ctl(m, &op)))
            break;
        unsigned int got = op.u.getdomaininfolist.num_domains;
        if (got > LIST_CHUNK) {
            errno = EPROTO;
            rc = -1;
            break;
        }
        struct mica_ctl_domaininfo *grown = realloc(all, (have + got + 1) * sizeof(*all));
        if (!grown) {
            rc = -1;
            break;
        }
        all = grown;
        memcpy(all + have, buf, got * sizeof(*buf));
        have += got;
        if (got < LIST_CHUNK || buf[got - 1].domain >= DOMID_FIRST_RESERVED - 1)
            break;
        next = (domid_t)(buf[got - 1].domain + 1);
    }
    m->t.free(m->t.ctx, buf);
    if (rc) {
        int e = errno;
        free(all);
        errno = e;
        return -1;
    }
    *out = all ? all : calloc(1, sizeof(*all));
    *n = have;
    return *out ? 0 : -1;
}

int mica_vcpu_info(struct mica *m, domid_t id, uint32_t vcpu, struct mica_ctl_getvcpuinfo *out)
{
    struct mica_ctl_op op = { .cmd = MICA_CTL_getvcpuinfo, .domain = id };

    op.u.getvcpuinfo.vcpu = vcpu;
    if (mica_ctl(m, &op))
        return -1;
    *out = op.u.getvcpuinfo;
    return 0;
}

int mica_physinfo(struct mica *m, struct mica_ctl_physinfo *out)
{
    struct mica_ctl_op op = { .cmd = MICA_CTL_physinfo, .domain = DOMID_INVALID };

    if (mica_ctl(m, &op))
        return -1;
    *out = op.u.physinfo;
    return 0;
}

int mica_readconsole(struct mica *m, char *buf, size_t *len, uint64_t *index, int clear)
{
    struct mica_ctl_op op = { .cmd = MICA_CTL_readconsole, .domain = DOMID_INVALID };
    uint32_t size = *len > UINT32_MAX ? UINT32_MAX : (uint32_t)*len;
    char *h = mica_hbuf(m, size ? size : 1);
    int rc;

    if (!h)
        return -1;
    set_xen_guest_handle(op.u.readconsole.buffer, h);
    op.u.readconsole.count = size;
    op.u.readconsole.index = *index;
    op.u.readconsole.flags = MICA_READCONSOLE_incremental | (clear ? MICA_READCONSOLE_clear : 0);
    if ((rc = mica_ctl(m, &op)) == 0) {
        if (op.u.readconsole.count > size) {
            errno = EPROTO;
            rc = -1;
        } else {
            memcpy(buf, h, op.u.readconsole.count);
            *len = op.u.readconsole.count;
            *index = op.u.readconsole.index;
        }
    }
    m->t.free(m->t.ctx, h);
    return rc;
}

/* ---- xen_version ---------------------------------------------------------------- */

/* xen_version(cmd, arg): the result, copying `size` bytes of arg out. */
static long xen_version(struct mica *m, unsigned int cmd, void *out, size_t size)
{
    void *h = size ? mica_hbuf(m, size) : NULL;
    long rc;

    if (size && !h)
        return -1;
    rc = m->t.call(m->t.ctx, __HYPERVISOR_xen_version, cmd, (uint64_t)(uintptr_t)h);
    int e = errno;
    if (h) {
        if (rc >= 0)
            memcpy(out, h, size);
        m->t.free(m->t.ctx, h);
    }
    errno = e;
    return rc;
}

int mica_version(struct mica *m, unsigned int *major, unsigned int *minor, char extra[16])
{
    long v = xen_version(m, XENVER_version, NULL, 0);

    if (v < 0 || xen_version(m, XENVER_extraversion, extra, 16) < 0)
        return -1;
    extra[15] = 0;
    *major = (unsigned int)(v >> 16);
    *minor = (unsigned int)(v & 0xffff);
    return 0;
}

int mica_capabilities(struct mica *m, char caps[1024])
{
    if (xen_version(m, XENVER_capabilities, caps, 1024) < 0)
        return -1;
    caps[1023] = 0;
    return 0;
}

int mica_commandline(struct mica *m, char line[1024])
{
    if (xen_version(m, XENVER_commandline, line, 1024) < 0)
        return -1;
    line[1023] = 0;
    return 0;
}

/* ---- errors ------------------------------------------------------------------------ */

static const struct { int err; const char *text; } names[] = {
    { EPERM, "EPERM: not allowed (is this the privileged domain?)" },
    { ENOENT, "ENOENT: no such entry" },
    { ESRCH, "ESRCH: no such domain" },
    { EINTR, "EINTR: interrupted" },
    { EIO, "EIO: input/output error" },
    { E2BIG, "E2BIG: argument list too long" },
    { EBADF, "EBADF: bad file descriptor" },
    { ENOMEM, "ENOMEM: out of memory" },
    { EACCES, "EACCES: control interface version mismatch" },
    { EFAULT, "EFAULT: bad address" },
    { EBUSY, "EBUSY: busy" },
    { EEXIST, "EEXIST: already exists" },
    { ENODEV, "ENODEV: no such device (is xen-privcmd loaded?)" },
    { EINVAL, "EINVAL: invalid argument" },
    { ENOSPC, "ENOSPC: no space left" },
    { ERANGE, "ERANGE: out of range" },
    { ENOSYS, "ENOSYS: not implemented by this hypervisor" },
    { ENODATA, "ENODATA: no data" },
    { EPROTO, "EPROTO: protocol error (the hypervisor's answer made no sense)" },
    { EOVERFLOW, "EOVERFLOW: value too large" },
    { EOPNOTSUPP, "EOPNOTSUPP: not supported" },
    { EAGAIN, "EAGAIN: try again" },
};

const char *mica_strerror(int err)
{
    static __thread char other[48];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].err == err)
            return names[i].text;
    snprintf(other, sizeof(other), "error %d: %s", err, strerror(err));
    return other;
}
