/* SPDX-License-Identifier: MIT */
/*
 * The shared-page transport for domains (struct xenstore_domain_interface,
 * byte rings from ring-io).  How a page is mapped and how an event channel
 * is bound, notified and waited on is behind struct ring_backend, because
 * the hypervisor path (gntdev + /dev/xen/evtchn) does not exist yet:
 *
 *   sim   a directory with <domid>.page (a 4 KiB file mapped MAP_SHARED)
 *         and two FIFOs, <domid>.evtchn-up (guest -> xenstored) and
 *         <domid>.evtchn-down (xenstored -> guest), standing in for the
 *         event channel.  Used by the tests, by any process as a "domain".
 *   none  no rings: INTRODUCE only records the domain (tests of the
 *         toolstack protocol without a hypervisor).
 */
#ifndef XSD_RING_H
#define XSD_RING_H

#include <stdint.h>

struct conn;
struct domain;
struct evtchn;

struct ring_backend {
    const char *name;
    void *(*map)(unsigned domid, uint64_t mfn);     /* one page or NULL */
    void (*unmap)(void *page);
    struct evtchn *(*bind)(unsigned domid, unsigned port);
    void (*unbind)(struct evtchn *e);
    int (*fd)(struct evtchn *e);        /* readable: the guest notified */
    void (*ack)(struct evtchn *e);      /* consume pending notifications */
    void (*notify)(struct evtchn *e);
};

/* NULL selects "none". */
void ring_set_backend(const struct ring_backend *b);
const struct ring_backend *ring_sim_backend(const char *dir);

/*
 * Map d's ring and start serving it: 0 with *out the new connection
 * (NULL under "none"), or an errno value.
 */
int ring_attach(struct domain *d, struct conn **out);

#endif
