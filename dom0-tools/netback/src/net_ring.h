/* SPDX-License-Identifier: MIT */
/*
 * One connected vif: its transmit and receive rings, one event channel
 * for both, and its TAP.  Data moves only by grant copy; the guest's
 * pages are never mapped.
 *
 *   transmit (guest -> dom0): requests taken in ring order; a packet's
 *     chain of slots decoded and checked (net_req.c); its data copied
 *     from the guest's (read-only) grants into one buffer behind a
 *     virtio-net header; every slot answered (OKAY, ERROR for a refused
 *     packet, NULL for extra-info slots) and then the packet written to
 *     the TAP (one the TAP will not take, its link down, is counted as
 *     dropped: netfront frees a packet only on its answer, so the answer
 *     does not wait for dom0's network stack).
 *   receive (dom0 -> guest): a frame read from the TAP; as many of the
 *     guest's posted buffers taken as it needs (one per 4 KiB, one more
 *     for a GSO extra); data copied in; each response written in the
 *     slot of the request it used, as netfront requires.  When the guest
 *     has not posted enough buffers the frame waits, the TAP is not read
 *     (dom0's queue holds the rest, and drops past its length as any
 *     NIC's would), and we ask to be notified when enough are posted.
 *
 * A refused packet costs only itself.  A transmit chain too long to be
 * a packet, or a producer index outside what the ring allows (ring-io
 * marks it broken), stops this vif: ops->broken is called, nothing of
 * this ring is read again; every other vif goes on.
 *
 * Restart: responses are published after whole packets, so on either
 * ring rsp_prod always ends a packet, and a new netback attaches both
 * rings at the shared rsp_prod.  Transmit requests between rsp_prod and
 * req_prod were taken by a dead process but not answered: they are sent
 * again (a packet may reach dom0 twice; IP allows that, and TCP drops
 * the duplicate).  One answered but not yet written when the process
 * died is lost, as a dropped packet.  Receive requests between rsp_prod and req_prod are
 * buffers the guest posted and still waits on: they are used as if new.
 * A frame the dead process held is lost, as on a wire.
 */
#ifndef NET_RING_H
#define NET_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "be_plat.h"
#include "net_req.h"
#include "net_tap.h"

struct net_ring;

struct net_ring_stats {
    uint64_t tx_packets, tx_bytes, tx_errors, tx_dropped;
    uint64_t rx_packets, rx_bytes, rx_errors, rx_dropped;
};

/* What the ring asks of its owner. */
struct net_ring_ops {
    /* Read the TAP when it is readable (on), or not (off). */
    void (*tap_poll)(void *arg, bool on);
    /* The front end broke the ring: the ring has stopped. */
    void (*broken)(void *arg);
};

/* Serve the two rings (one page each, already mapped) of domain domid
 * with tap.  Nothing is read until net_ring_kick.  NULL on allocation
 * failure. */
struct net_ring *net_ring_open(const struct be_plat *plat, const char *name, unsigned domid,
                               void *tx_sring, void *rx_sring, struct net_tap *tap,
                               const struct net_rx_caps *caps, const struct net_ring_ops *ops,
                               void *arg);
void net_ring_set_evtchn(struct net_ring *r, struct be_evtchn *e);
/* The event channel fired (or we just attached): transmit requests, and
 * a received frame waiting for buffers. */
void net_ring_kick(void *ring);
/* The TAP is readable. */
void net_ring_tap_ready(struct net_ring *r);
/* Stop and free (the caller unmaps the rings and closes the TAP). */
void net_ring_close(struct net_ring *r);
const struct net_ring_stats *net_ring_stats(const struct net_ring *r);

#endif
