/* SPDX-License-Identifier: MIT */
/*
 * The "xen" back end (see backend.h).  One event-channel handle serves
 * every domain: its fd says "some port fired", xenevtchn_pending says
 * which, and the port is looked up in our list of bindings.  The fd is
 * made non-blocking so a spurious wake-up can never hang the daemon.
 *
 * The page: console/ring-ref is the MFN for the initial console of a PV
 * guest, so a foreign mapping of that frame comes first (what a
 * privileged dom0 can always do on Mica); grant ref 0, which Xen's
 * builders also seed for the console, is the fallback.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>

#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>

#include "backend.h"
#include "log.h"
#include "loop.h"

#define GNTTAB_RESERVED_CONSOLE 0

struct evtchn {
    evtchn_port_t local;
    unsigned domid;
    void (*kick)(void *arg);
    void *arg;
    struct evtchn *next;
};

struct mapping {
    void *page;
    int granted;                /* 1: xengnttab, 0: xenforeignmemory */
    struct mapping *next;
};

static xenevtchn_handle *xce;
static xenforeignmemory_handle *fmem;
static xengnttab_handle *xgt;
static int xgt_tried;
static struct pollable evt_p;
static struct evtchn *bindings;
static struct mapping *mappings;

static void *xen_map(unsigned domid, uint64_t mfn)
{
    xen_pfn_t pfn = (xen_pfn_t)mfn;
    struct mapping *m = calloc(1, sizeof(*m));
    int err = 0;

    if (!m)
        return NULL;
    m->page = xenforeignmemory_map(fmem, domid, PROT_READ | PROT_WRITE, 1,
                                   &pfn, &err);
    if (m->page && err) {
        xenforeignmemory_unmap(fmem, m->page, 1);
        m->page = NULL;
        errno = -err;
    }
    if (!m->page) {
        int ferr = errno;
        if (!xgt_tried) {
            xgt_tried = 1;
            xgt = xengnttab_open(NULL, 0);
        }
        if (xgt)
            m->page = xengnttab_map_grant_ref(xgt, domid,
                                              GNTTAB_RESERVED_CONSOLE,
                                              PROT_READ | PROT_WRITE);
        if (!m->page) {
            cd_log("dom%u: cannot map console frame %llu (%s) nor grant 0",
                   domid, (unsigned long long)mfn, strerror(ferr));
            free(m);
            return NULL;
        }
        m->granted = 1;
    }
    m->next = mappings;
    mappings = m;
    return m->page;
}

static void xen_unmap(void *page)
{
    struct mapping **mp, *m;

    for (mp = &mappings; (m = *mp); mp = &m->next) {
        if (m->page != page)
            continue;
        *mp = m->next;
        if (m->granted)
            xengnttab_unmap(xgt, page, 1);
        else
            xenforeignmemory_unmap(fmem, page, 1);
        free(m);
        return;
    }
}

static void xen_ready(struct pollable *p, uint32_t events)
{
    xenevtchn_port_or_error_t port;

    (void)p;
    (void)events;
    while ((port = xenevtchn_pending(xce)) >= 0) {
        struct evtchn *e;

        xenevtchn_unmask(xce, (evtchn_port_t)port);
        for (e = bindings; e; e = e->next)
            if (e->local == (evtchn_port_t)port)
                break;
        if (e)                  /* else: unbound since it fired */
            e->kick(e->arg);
    }
}

static struct evtchn *xen_bind(unsigned domid, unsigned port,
                               void (*kick)(void *arg), void *arg)
{
    struct evtchn *e = calloc(1, sizeof(*e));
    xenevtchn_port_or_error_t local;

    if (!e)
        return NULL;
    local = xenevtchn_bind_interdomain(xce, domid, port);
    if (local < 0) {
        cd_log("dom%u: cannot bind event channel port %u: %s", domid, port,
               strerror(errno));
        free(e);
        return NULL;
    }
    e->local = (evtchn_port_t)local;
    e->domid = domid;
    e->kick = kick;
    e->arg = arg;
    e->next = bindings;
    bindings = e;
    return e;
}

static void xen_unbind(struct evtchn *e)
{
    struct evtchn **ep;

    for (ep = &bindings; *ep; ep = &(*ep)->next)
        if (*ep == e) {
            *ep = e->next;
            break;
        }
    xenevtchn_unbind(xce, e->local);
    free(e);
}

static void xen_notify(struct evtchn *e)
{
    xenevtchn_notify(xce, e->local);
}

static void xen_fini(void)
{
    if (xce) {
        loop_del(&evt_p);
        xenevtchn_close(xce);
    }
    if (fmem)
        xenforeignmemory_close(fmem);
    if (xgt)
        xengnttab_close(xgt);
    xce = NULL;
    fmem = NULL;
    xgt = NULL;
}

static const struct cons_backend xen_backend = {
    .name = "xen", .map = xen_map, .unmap = xen_unmap, .bind = xen_bind,
    .unbind = xen_unbind, .notify = xen_notify, .fini = xen_fini,
};

const struct cons_backend *backend_xen(void)
{
    int fl;

    if (!(xce = xenevtchn_open(NULL, 0))) {
        cd_log("cannot open /dev/xen/evtchn: %s", strerror(errno));
        return NULL;
    }
    if (!(fmem = xenforeignmemory_open(NULL, 0))) {
        cd_log("cannot open /dev/xen/privcmd: %s", strerror(errno));
        xen_fini();
        return NULL;
    }
    evt_p.fd = xenevtchn_fd(xce);
    evt_p.ready = xen_ready;
    fl = fcntl(evt_p.fd, F_GETFL);
    if (fl < 0 || fcntl(evt_p.fd, F_SETFL, fl | O_NONBLOCK) ||
        loop_add(&evt_p, EPOLLIN)) {
        cd_log("cannot poll the event channel device");
        xenforeignmemory_close(fmem);
        xenevtchn_close(xce);
        xce = NULL;
        fmem = NULL;
        return NULL;
    }
    return &xen_backend;
}
