/* SPDX-License-Identifier: MIT */
/*
 * The "xen" ring back end: xenstored as dom0's daemon on the hypervisor,
 * through Debian's stable Xen libraries (see ring.h).
 *
 *  - A guest's ring page: grant ref 1 (GNTTAB_RESERVED_XENSTORE) through
 *    gntdev when the builder granted it, else a foreign mapping of the mfn
 *    INTRODUCE gave (privcmd).  dom0's own page is /proc/xen/xsd_kva.
 *  - Event channels: one /dev/xen/evtchn handle for every port, its fd in
 *    the epoll set.  Each wake-up reads the fired local ports, runs that
 *    port's callback, then unmasks it (the driver masks a port when it
 *    fires; a signal that arrives meanwhile stays pending and fires again
 *    on unmask, so none is lost).
 *  - VIRQ_DOM_EXC: the hypervisor's "a domain shut down or died"; it makes
 *    domain_check_all() ask libmica about every introduced domain.
 *  - dom0's kernel xenbus: with no store event channel of its own, Linux
 *    dom0 allocated a page and an unbound port and waits for a local
 *    xenstored.  We bind that port (loopback, remote domain 0) and signal
 *    it once, which starts dom0's xenbus.
 *
 * Every failure is one log line saying what could not be done and the Xen
 * errno name; only a missing /dev/xen/evtchn stops the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xentoollog.h>

#include "domain.h"
#include "log.h"
#include "loop.h"
#include "ring.h"
#include "xen_state.h"

#define XS_GRANT_REF    1u          /* GNTTAB_RESERVED_XENSTORE */
#define XSD_KVA         "/proc/xen/xsd_kva"
#define XSD_PORT        "/proc/xen/xsd_port"
#define XENBUS_BACKEND  "/dev/xen/xenbus_backend"
/* Linux include/uapi/xen/xenbus_dev.h: argument = the store's domid,
 * result = the new port of dom0's store event channel. */
#define IOCTL_XENBUS_BACKEND_SETUP _IOC(_IOC_NONE, 'B', 1, 0)
#define PORT_LIMIT      (1u << 17)  /* the largest event-channel ABI */

/* How a page was mapped, for unmap (the map cookie points at one). */
enum map_kind { MAP_GRANT, MAP_FOREIGN, MAP_KVA };
static const enum map_kind kinds[] = { MAP_GRANT, MAP_FOREIGN, MAP_KVA };

struct evtchn {
    struct evtchn *next;
    unsigned domid;
    evtchn_port_t local;
    evtchn_fired_fn *fired;
    void *arg;
};

static xenevtchn_handle *xce;
static xenforeignmemory_handle *fmem;
static xengnttab_handle *xgt;
static struct pollable xce_poll = { .fd = -1 };
static struct evtchn *chans;
static int virq_port = -1;
static bool use_grants = true;

/* ---- the libraries' own messages go to our log, not to stderr ---- */

static void tl_vmessage(struct xentoollog_logger *l, xentoollog_level level,
                        int errnoval, const char *context, const char *fmt,
                        va_list ap)
{
    char buf[512];

    (void)l;
    if (level < XTL_WARN)
        return;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    if (errnoval >= 0)
        xs_log("%s: %s: %s", context ? context : "xen", buf,
               xen_errname(errnoval));
    else
        xs_log("%s: %s", context ? context : "xen", buf);
}

static void tl_destroy(struct xentoollog_logger *l)
{
    (void)l;
}

static xentoollog_logger tl = {
    .vmessage = tl_vmessage, .destroy = tl_destroy,
};

/* ---- pages ---- */

static void *map_kva(void)
{
    void *page;
    int fd = open(XSD_KVA, O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        xs_log("dom0: cannot open %s (is xenfs mounted on /proc/xen?): %s",
               XSD_KVA, xen_errname(errno));
        return NULL;
    }
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (page == MAP_FAILED) {
        xs_log("dom0: cannot map %s: %s", XSD_KVA, xen_errname(errno));
        page = NULL;
    }
    close(fd);
    return page;
}

static void *xen_map(unsigned domid, uint64_t mfn, void **cookie)
{
    xen_pfn_t pfn = (xen_pfn_t)mfn;
    void *page;
    int err = 0;

    if (domid == 0) {
        *cookie = (void *)&kinds[MAP_KVA];
        return map_kva();
    }
    if (xgt) {
        page = xengnttab_map_grant_ref(xgt, domid, XS_GRANT_REF,
                                       PROT_READ | PROT_WRITE);
        if (page) {
            *cookie = (void *)&kinds[MAP_GRANT];
            xs_log("dom%u: ring mapped through grant ref %u", domid,
                   XS_GRANT_REF);
            return page;
        }
        xs_log("dom%u: grant ref %u not mapped (%s); trying mfn %llu",
               domid, XS_GRANT_REF, xen_errname(errno),
               (unsigned long long)mfn);
    }
    if (!fmem) {
        xs_log("dom%u: no foreign-memory handle: cannot map mfn %llu",
               domid, (unsigned long long)mfn);
        return NULL;
    }
    page = xenforeignmemory_map(fmem, domid, PROT_READ | PROT_WRITE, 1,
                                &pfn, &err);
    if (!page || err) {
        int e = !page ? errno : err < 0 ? -err : err;   /* per-page error */

        xs_log("dom%u: foreign mapping of mfn %llu failed: %s", domid,
               (unsigned long long)mfn, xen_errname(e));
        if (page)
            xenforeignmemory_unmap(fmem, page, 1);
        return NULL;
    }
    *cookie = (void *)&kinds[MAP_FOREIGN];
    xs_log("dom%u: ring mapped from mfn %llu", domid,
           (unsigned long long)mfn);
    return page;
}

static void xen_unmap(void *page, void *cookie)
{
    switch (*(const enum map_kind *)cookie) {
    case MAP_GRANT:
        xengnttab_unmap(xgt, page, 1);
        break;
    case MAP_FOREIGN:
        xenforeignmemory_unmap(fmem, page, 1);
        break;
    case MAP_KVA:
        munmap(page, 4096);
        break;
    }
}

/* ---- event channels ---- */

static struct evtchn *chan_by_port(evtchn_port_t port)
{
    struct evtchn *e;

    for (e = chans; e; e = e->next)
        if (e->local == port)
            return e;
    return NULL;
}

static struct evtchn *xen_bind(unsigned domid, unsigned port,
                               evtchn_fired_fn *fired, void *arg)
{
    xenevtchn_port_or_error_t local;
    struct evtchn *e;

    if (port == 0 || port >= PORT_LIMIT) {
        xs_log("dom%u: event channel port %u out of range: EINVAL", domid,
               port);
        return NULL;
    }
    if (!(e = calloc(1, sizeof(*e))))
        return NULL;
    local = xenevtchn_bind_interdomain(xce, domid, port);
    if (local < 0) {
        xs_log("dom%u: bind_interdomain to port %u failed: %s", domid,
               port, xen_errname(errno));
        free(e);
        return NULL;
    }
    e->domid = domid;
    e->local = (evtchn_port_t)local;
    e->fired = fired;
    e->arg = arg;
    e->next = chans;
    chans = e;
    xs_log("dom%u: port %u bound as local port %d", domid, port, local);
    /* One signal now: the guest may have written requests (and dom0's
     * kernel waits for this to start its xenbus). */
    xenevtchn_notify(xce, e->local);
    return e;
}

static void xen_unbind(struct evtchn *e)
{
    struct evtchn **pp;

    for (pp = &chans; *pp; pp = &(*pp)->next)
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    if (xenevtchn_unbind(xce, e->local))
        xs_log("dom%u: unbinding local port %u failed: %s", e->domid,
               e->local, xen_errname(errno));
    free(e);
}

static void xen_notify(struct evtchn *e)
{
    if (xenevtchn_notify(xce, e->local))
        xs_log("dom%u: notify on local port %u failed: %s", e->domid,
               e->local, xen_errname(errno));
}

static void xce_ready(struct pollable *p, uint32_t events)
{
    xenevtchn_port_or_error_t port;
    struct evtchn *e;
    int budget = 64;        /* then back to the loop: others get a turn */

    (void)p;
    (void)events;
    while (budget-- > 0 && (port = xenevtchn_pending(xce)) >= 0) {
        if (port == virq_port) {
            domain_check_all();
        } else if ((e = chan_by_port((evtchn_port_t)port))) {
            e->fired(e->arg);
        } else {
            continue;       /* unbound since it fired: nothing to unmask */
        }
        /* The callback may have unbound this very port (domain gone). */
        if (port == virq_port || chan_by_port((evtchn_port_t)port))
            xenevtchn_unmask(xce, (evtchn_port_t)port);
    }
}

/* ---- dom0's own ring ---- */

/* dom0's store port: /proc/xen/xsd_port (the port Linux allocated at boot
 * for a local store), else the xenbus_backend ioctl, which makes one. */
static unsigned dom0_port(void)
{
    char buf[32] = "";
    unsigned long v = 0;
    char *end;
    ssize_t n;
    int fd, r;

    if ((fd = open(XSD_PORT, O_RDONLY | O_CLOEXEC)) >= 0) {
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n > 0) {
            v = strtoul(buf, &end, 10);
            if (end != buf && v > 0 && v < PORT_LIMIT)
                return (unsigned)v;
        }
        xs_log("dom0: %s holds no usable port (\"%.*s\")", XSD_PORT,
               n > 0 ? (int)strcspn(buf, "\n") : 0, buf);
    } else {
        xs_log("dom0: cannot open %s: %s", XSD_PORT, xen_errname(errno));
    }
    if ((fd = open(XENBUS_BACKEND, O_RDWR | O_CLOEXEC)) < 0) {
        xs_log("dom0: cannot open %s: %s", XENBUS_BACKEND,
               xen_errname(errno));
        return 0;
    }
    r = ioctl(fd, IOCTL_XENBUS_BACKEND_SETUP, 0);
    if (r <= 0 || (unsigned)r >= PORT_LIMIT)
        xs_log("dom0: IOCTL_XENBUS_BACKEND_SETUP failed: %s",
               r < 0 ? xen_errname(errno) : "EINVAL");
    close(fd);
    return r > 0 && (unsigned)r < PORT_LIMIT ? (unsigned)r : 0;
}

static void dom0_ring(void)
{
    unsigned port = dom0_port();
    int err;

    if (!port) {
        xs_log("dom0: its kernel's xenbus is not served (no store port)");
        return;
    }
    if ((err = domain_introduce(0, 0, port)))
        xs_log("dom0: its kernel's xenbus is not served: %s",
               xen_errname(err));
    else
        xs_log("dom0: serving its kernel's xenbus on port %u", port);
}

/* ---- set-up ---- */

static int xen_init(void)
{
    int fl;

    if (!(xce = xenevtchn_open(&tl, 0))) {
        xs_log("cannot open /dev/xen/evtchn: %s", xen_errname(errno));
        return -1;
    }
    xce_poll.fd = xenevtchn_fd(xce);
    xce_poll.ready = xce_ready;
    /* Non-blocking, so one wake-up can drain every fired port. */
    fl = fcntl(xce_poll.fd, F_GETFL);
    if (fl < 0 || fcntl(xce_poll.fd, F_SETFL, fl | O_NONBLOCK) ||
        loop_add(&xce_poll, EPOLLIN)) {
        xs_log("cannot poll /dev/xen/evtchn: %s", xen_errname(errno));
        xenevtchn_close(xce);
        xce = NULL;
        return -1;
    }
    if (!(fmem = xenforeignmemory_open(&tl, 0)))
        xs_log("cannot open /dev/xen/privcmd for foreign mappings: %s; "
               "only granted rings can be served", xen_errname(errno));
    if (!use_grants)
        xs_log("grant mapping disabled (-g): rings are mapped by mfn");
    else if (!(xgt = xengnttab_open(&tl, 0)))
        xs_log("no /dev/xen/gntdev (%s): rings are mapped by mfn",
               xen_errname(errno));
    xen_domstate_open();
    virq_port = xenevtchn_bind_virq(xce, VIRQ_DOM_EXC);
    if (virq_port < 0)
        xs_log("cannot bind VIRQ_DOM_EXC: %s; shut-down and dead domains "
               "will not be noticed", xen_errname(errno));
    else
        xs_log("VIRQ_DOM_EXC bound as local port %d", virq_port);
    dom0_ring();
    return 0;
}

static void xen_fini(void)
{
    if (virq_port >= 0)
        xenevtchn_unbind(xce, (evtchn_port_t)virq_port);
    virq_port = -1;
    xen_domstate_close();
    if (xgt)
        xengnttab_close(xgt);
    if (fmem)
        xenforeignmemory_close(fmem);
    if (xce) {
        loop_del(&xce_poll);
        xenevtchn_close(xce);
    }
    xgt = NULL;
    fmem = NULL;
    xce = NULL;
}

static const struct ring_backend xen_backend = {
    .name = "xen", .init = xen_init, .fini = xen_fini,
    .map = xen_map, .unmap = xen_unmap, .bind = xen_bind,
    .unbind = xen_unbind, .notify = xen_notify,
};

const struct ring_backend *ring_xen_backend(bool grants)
{
    use_grants = grants;
    return &xen_backend;
}
