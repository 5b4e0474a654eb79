/* SPDX-License-Identifier: MIT */
/*
 * The "xen" platform (see be_plat.h).  One event-channel handle and one
 * grant handle serve every device of the process: the evtchn fd says
 * "some port fired", xenevtchn_pending says which, and the port is looked
 * up among our bindings.  The fd is non-blocking so that a spurious wake
 * can never hang the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>

#include <xenevtchn.h>
#include <xengnttab.h>

#include "be_log.h"
#include "be_loop.h"
#include "be_plat.h"

struct be_evtchn {
    evtchn_port_t local;
    void (*kick)(void *arg);
    void *arg;
    struct be_evtchn *next;
};

static xenevtchn_handle *xce;
static xengnttab_handle *xgt;
static struct pollable evt_p;
static struct be_evtchn *bindings;

static void *xen_map_ring(unsigned domid, const uint32_t *refs, unsigned n)
{
    void *p = xengnttab_map_domain_grant_refs(xgt, n, domid, (uint32_t *)refs,
                                              PROT_READ | PROT_WRITE);

    if (!p)
        be_log("dom%u: cannot map ring grant %u (of %u): %s", domid, refs[0], n,
               strerror(errno));
    return p;
}

static void xen_unmap_ring(void *addr, unsigned n)
{
    xengnttab_unmap(xgt, addr, n);
}

static void xen_ready(struct pollable *p, uint32_t events)
{
    xenevtchn_port_or_error_t port;

    (void)p;
    (void)events;
    while ((port = xenevtchn_pending(xce)) >= 0) {
        struct be_evtchn *e;

        xenevtchn_unmask(xce, (evtchn_port_t)port);
        for (e = bindings; e; e = e->next)
            if (e->local == (evtchn_port_t)port)
                break;
        if (e)                  /* else: unbound since it fired */
            e->kick(e->arg);
    }
}

static struct be_evtchn *xen_bind(unsigned domid, unsigned port, void (*kick)(void *arg), void *arg)
{
    struct be_evtchn *e = calloc(1, sizeof(*e));
    xenevtchn_port_or_error_t local;

    if (!e)
        return NULL;
    local = xenevtchn_bind_interdomain(xce, domid, port);
    if (local < 0) {
        be_log("dom%u: cannot bind event channel port %u: %s", domid, port, strerror(errno));
        free(e);
        return NULL;
    }
    e->local = (evtchn_port_t)local;
    e->kick = kick;
    e->arg = arg;
    e->next = bindings;
    bindings = e;
    return e;
}

static void xen_unbind(struct be_evtchn *e)
{
    struct be_evtchn **ep;

    for (ep = &bindings; *ep; ep = &(*ep)->next)
        if (*ep == e) {
            *ep = e->next;
            break;
        }
    xenevtchn_unbind(xce, e->local);
    free(e);
}

static void xen_notify(struct be_evtchn *e)
{
    xenevtchn_notify(xce, e->local);
}

/* Segments converted in batches on the stack: one ioctl per batch. */
#define COPY_BATCH 64

static int xen_grant_copy(unsigned domid, unsigned n, struct be_copy *segs)
{
    xengnttab_grant_copy_segment_t cp[COPY_BATCH];

    for (unsigned done = 0; done < n;) {
        unsigned k = n - done > COPY_BATCH ? COPY_BATCH : n - done;

        memset(cp, 0, sizeof(cp[0]) * k);
        for (unsigned i = 0; i < k; i++) {
            const struct be_copy *s = &segs[done + i];
            union xengnttab_copy_ptr *g = s->to_guest ? &cp[i].dest : &cp[i].source;
            union xengnttab_copy_ptr *l = s->to_guest ? &cp[i].source : &cp[i].dest;

            g->foreign.ref = s->gref;
            g->foreign.offset = s->offset;
            g->foreign.domid = (uint16_t)domid;
            l->virt = s->local;
            cp[i].len = s->len;
            cp[i].flags = s->to_guest ? GNTCOPY_dest_gref : GNTCOPY_source_gref;
        }
        if (xengnttab_grant_copy(xgt, k, cp))
            return -1;
        for (unsigned i = 0; i < k; i++)
            segs[done + i].status = cp[i].status;
        done += k;
    }
    return 0;
}

static void xen_fini(void)
{
    if (xce) {
        be_loop_del(&evt_p);
        xenevtchn_close(xce);
    }
    if (xgt)
        xengnttab_close(xgt);
    xce = NULL;
    xgt = NULL;
}

static const struct be_plat xen_plat = {
    .name = "xen", .map_ring = xen_map_ring, .unmap_ring = xen_unmap_ring,
    .bind = xen_bind, .unbind = xen_unbind, .notify = xen_notify,
    .grant_copy = xen_grant_copy, .fini = xen_fini,
};

const struct be_plat *be_plat_xen(void)
{
    int fl;

    if (!(xce = xenevtchn_open(NULL, 0))) {
        be_log("cannot open /dev/xen/evtchn: %s", strerror(errno));
        return NULL;
    }
    if (!(xgt = xengnttab_open(NULL, 0))) {
        be_log("cannot open /dev/xen/gntdev: %s", strerror(errno));
        xen_fini();
        return NULL;
    }
    evt_p.fd = xenevtchn_fd(xce);
    evt_p.ready = xen_ready;
    fl = fcntl(evt_p.fd, F_GETFL);
    if (fl < 0 || fcntl(evt_p.fd, F_SETFL, fl | O_NONBLOCK) || be_loop_add(&evt_p, EPOLLIN)) {
        be_log("cannot poll the event channel device");
        xengnttab_close(xgt);
        xenevtchn_close(xce);
        xce = NULL;
        xgt = NULL;
        return NULL;
    }
    return &xen_plat;
}
