/* SPDX-License-Identifier: MIT */
/*
 * How a console page is mapped and its event channel bound, notified and
 * waited on.  Two back ends, chosen at start:
 *
 *   xen  the hypervisor: the page is foreign-mapped by the MFN in
 *        console/ring-ref (libxenforeignmemory; grant ref 0 through
 *        libxengnttab if that fails), the port is bound interdomain on
 *        one libxenevtchn handle shared by every domain.
 *   sim  a directory standing in for the hypervisor, the same layout as
 *        xenstored's sim back end: <domid>.page (a 4 KiB file mapped
 *        MAP_SHARED) and two FIFOs, <domid>.evtchn-up (guest -> consoled)
 *        and <domid>.evtchn-down (consoled -> guest).  Any process can be
 *        the guest; the tests are.
 *
 * A back end registers its own fds with the loop and calls kick(arg) when
 * the guest notified the bound port.
 */
#ifndef CD_BACKEND_H
#define CD_BACKEND_H

#include <stdint.h>

struct evtchn;

struct cons_backend {
    const char *name;
    /* One page, or NULL with a log line. */
    void *(*map)(unsigned domid, uint64_t mfn);
    void (*unmap)(void *page);
    /* NULL with a log line. */
    struct evtchn *(*bind)(unsigned domid, unsigned port,
                           void (*kick)(void *arg), void *arg);
    void (*unbind)(struct evtchn *e);
    void (*notify)(struct evtchn *e);
    void (*fini)(void);
};

/* NULL (said why) when /dev/xen is not usable. */
const struct cons_backend *backend_xen(void);
const struct cons_backend *backend_sim(const char *dir);

#endif
