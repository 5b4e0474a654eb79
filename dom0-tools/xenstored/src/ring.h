/* SPDX-License-Identifier: MIT */
/*
 * The shared-page transport for domains (struct xenstore_domain_interface,
 * byte rings from ring-io).  How a page is mapped and how an event channel
 * is bound, notified and waited on is behind struct ring_backend:
 *
 *   xen   the hypervisor (ring_xen.c): the page through grant ref 1 or a
 *         foreign mapping of the INTRODUCE mfn, event channels through one
 *         /dev/xen/evtchn handle, VIRQ_DOM_EXC for domain deaths, and
 *         dom0's own ring from /proc/xen/xsd_kva.  The default when
 *         /dev/xen/evtchn exists.
 *   sim   a directory with <domid>.page (a 4 KiB file mapped MAP_SHARED)
 *         and two FIFOs, <domid>.evtchn-up (guest -> xenstored) and
 *         <domid>.evtchn-down (xenstored -> guest), standing in for the
 *         event channel; a FIFO `dom-exc` stands in for VIRQ_DOM_EXC and
 *         <domid>.state ("shutdown", "dying", "gone"; else running) for
 *         the hypervisor's domain state.  Used by the tests.
 *   none  no rings: INTRODUCE only records the domain (tests of the
 *         toolstack protocol without a hypervisor).
 *
 * The back end owns the waiting: bind() is given a callback which the
 * event loop runs each time the guest signals the port, so a back end may
 * multiplex every port over one fd (xen) or poll one fd per port (sim).
 */
#ifndef XSD_RING_H
#define XSD_RING_H

#include <stdbool.h>
#include <stdint.h>

struct conn;
struct domain;
struct evtchn;

typedef void evtchn_fired_fn(void *arg);

struct ring_backend {
    const char *name;
    /* Back-end-wide set-up once the loop exists (NULL: nothing to do):
     * 0, or -1 after a log line saying why the daemon cannot run. */
    int (*init)(void);
    void (*fini)(void);                 /* after every ring is closed */
    /* domid's ring page, or NULL after a log line; *cookie goes back to
     * unmap (how the page was mapped). */
    void *(*map)(unsigned domid, uint64_t mfn, void **cookie);
    void (*unmap)(void *page, void *cookie);
    /* Bind to the guest's `port`; fired(arg) runs from the loop whenever
     * the guest signals it.  NULL after a log line. */
    struct evtchn *(*bind)(unsigned domid, unsigned port,
                           evtchn_fired_fn *fired, void *arg);
    void (*unbind)(struct evtchn *e);
    void (*notify)(struct evtchn *e);
};

/* NULL selects "none". */
void ring_set_backend(const struct ring_backend *b);
const struct ring_backend *ring_get_backend(void);
const struct ring_backend *ring_sim_backend(const char *dir);
/* ring_xen.c; grants false: map guest rings by mfn only, never grant 1. */
const struct ring_backend *ring_xen_backend(bool grants);

/*
 * Map d's ring and start serving it: 0 with *out the new connection
 * (NULL under "none"), or an errno value.
 */
int ring_attach(struct domain *d, struct conn **out);
/* Re-INTRODUCE: bind d's ring connection to `port` instead (as Xen does
 * after a guest resumes); 0, or an errno value with the connection gone. */
int ring_rebind(struct domain *d, unsigned port);

#endif
