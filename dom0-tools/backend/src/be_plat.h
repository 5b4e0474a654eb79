/* SPDX-License-Identifier: MIT */
/*
 * What a back end needs from the hypervisor, behind one table so tests
 * can stand in for it: map a front end's ring pages by grant reference,
 * bind its event channel (a kick when it fires) and notify it, and copy
 * data to and from granted pages (GNTTABOP_copy).  The "xen" platform
 * (be_xen.c) uses Debian's libxengnttab and libxenevtchn on
 * /dev/xen/gntdev and /dev/xen/evtchn; the "sim" platform (be_sim.c) is a
 * directory of files and FIFOs, for running the daemon on a host; unit
 * tests fill the table with fakes.
 *
 * A grant copy segment: one side is (gref, offset) in a page the guest
 * granted (offset + len within its 4 KiB), the other a local address
 * (which may cross pages); `status` is set per segment (GNTST_*, 0 done).
 * Our own type rather than libxengnttab's, so that users need not include
 * Xen's headers, whose macros clash with hypercall-abi's.
 */
#ifndef BE_PLAT_H
#define BE_PLAT_H

#include <stdbool.h>
#include <stdint.h>

struct be_evtchn;

struct be_copy {
    uint32_t gref;
    uint16_t offset;            /* in the granted page */
    uint16_t len;
    void *local;
    bool to_guest;              /* local -> granted page, else the reverse */
    int16_t status;             /* OUT: GNTST_* */
};

struct be_plat {
    const char *name;
    /* n granted pages of domid mapped read-write, contiguous; NULL (and a
     * log line) if any of them cannot be. */
    void *(*map_ring)(unsigned domid, const uint32_t *refs, unsigned n);
    void (*unmap_ring)(void *addr, unsigned n);
    /* Bind the front end's port; kick(arg) runs from the loop when it
     * fires.  NULL with a log line. */
    struct be_evtchn *(*bind)(unsigned domid, unsigned port, void (*kick)(void *arg), void *arg);
    void (*unbind)(struct be_evtchn *e);
    void (*notify)(struct be_evtchn *e);
    /* 0 with per-segment status, or -1 (errno) if the call itself failed. */
    int (*grant_copy)(unsigned domid, unsigned n, struct be_copy *segs);
    void (*fini)(void);
};

/* The hypervisor, or NULL (said why) when /dev/xen is not usable. */
const struct be_plat *be_plat_xen(void);
/* A directory standing in for it (tests; see be_sim.c). */
const struct be_plat *be_plat_sim(const char *dir);

#endif
