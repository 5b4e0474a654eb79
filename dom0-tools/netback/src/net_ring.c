/* SPDX-License-Identifier: MIT */
/*
 * One vif's rings (see net_ring.h).  Transmit slots are gathered in
 * txq until they make a whole packet (net_tx_decode says when), so a
 * packet whose last slots the guest has not produced yet simply waits;
 * its slots were consumed but not answered, so rsp_prod still sits at
 * the end of the previous packet.  A received frame is held in rxbuf
 * until the guest has posted enough buffers for all of it.
 *
 * A guest that sends nothing but refused packets could fill dom0's log;
 * each ring logs its first 16 refusals and then one in 1024.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ring_io/ring.h>

#include "be_log.h"
#include "net_ring.h"

struct net_ring {
    const struct be_plat *plat;
    char name[32];
    unsigned domid;
    netif_tx_back_ring_t tx;
    netif_rx_back_ring_t rx;
    struct be_evtchn *evtchn;
    struct net_tap *tap;
    struct net_rx_caps caps;
    const struct net_ring_ops *ops;
    void *arg;
    bool tap_on;
    bool stopped;
    bool notify;                /* a push asked for an event */
    unsigned refusals;
    unsigned ntxq;
    struct netif_tx_request txq[NET_TX_MAX_SLOTS];
    struct net_tx_pkt pkt;
    struct be_copy cp[NET_TX_MAX_DATA];
    size_t rx_len;              /* header + frame waiting in rxbuf, or 0 */
    struct net_ring_stats stats;
    uint8_t txbuf[NET_VNET_HDR + 65536] __attribute__((aligned(64)));
    uint8_t rxbuf[NET_VNET_HDR + NET_FRAME_MAX] __attribute__((aligned(64)));
};

static bool noisy(struct net_ring *r)
{
    return r->refusals++ < 16 || (r->refusals & 1023) == 0;
}

static void set_tap(struct net_ring *r, bool on)
{
    if (r->tap_on != on) {
        r->tap_on = on;
        r->ops->tap_poll(r->arg, on);
    }
}

static void stop(struct net_ring *r, const char *why)
{
    if (r->stopped)
        return;
    be_log("%s: %s: vif stopped", r->name, why);
    r->stopped = true;
    set_tap(r, false);
    r->ops->broken(r->arg);
}

static void flush(struct net_ring *r)
{
    if (r->notify && r->evtchn)
        r->plat->notify(r->evtchn);
    r->notify = false;
}

struct net_ring *net_ring_open(const struct be_plat *plat, const char *name, unsigned domid,
                               void *tx_sring, void *rx_sring, struct net_tap *tap,
                               const struct net_rx_caps *caps, const struct net_ring_ops *ops,
                               void *arg)
{
    struct net_ring *r = calloc(1, sizeof(*r));
    netif_tx_sring_t *ts = tx_sring;
    netif_rx_sring_t *rs = rx_sring;

    if (!r)
        return NULL;
    r->plat = plat;
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->domid = domid;
    r->tap = tap;
    r->caps = *caps;
    r->ops = ops;
    r->arg = arg;
    /* Both rings resume where the responses stop (net_ring.h). */
    if (!ring_back_attach(&r->tx, ts, ring_io_load_acquire(&ts->rsp_prod), NET_PAGE) ||
        !ring_back_attach(&r->rx, rs, ring_io_load_acquire(&rs->rsp_prod), NET_PAGE)) {
        free(r);
        return NULL;
    }
    return r;
}

void net_ring_set_evtchn(struct net_ring *r, struct be_evtchn *e)
{
    r->evtchn = e;
}

const struct net_ring_stats *net_ring_stats(const struct net_ring *r)
{
    return &r->stats;
}

/* ---- transmit ---- */

/* Copy a checked packet out of the guest into txbuf, behind its
 * virtio-net header.  OKAY, or ERROR (a refused grant, offloads its
 * headers do not allow). */
static int16_t tx_copy(struct net_ring *r, const struct net_tx_pkt *p)
{
    struct virtio_net_hdr h;
    size_t off = NET_VNET_HDR;

    for (unsigned i = 0; i < p->nseg; i++) {
        r->cp[i] = (struct be_copy){ .gref = p->seg[i].gref, .offset = p->seg[i].offset,
                                     .len = p->seg[i].len, .local = r->txbuf + off };
        off += p->seg[i].len;
    }
    if (r->plat->grant_copy(r->domid, p->nseg, r->cp)) {
        be_log("%s: grant copy: %s", r->name, strerror(errno));
        return NETIF_RSP_ERROR;
    }
    for (unsigned i = 0; i < p->nseg; i++)
        if (r->cp[i].status != 0) {
            if (noisy(r))
                be_log("%s: tx packet id %u: grant %u refused (status %d)", r->name,
                       p->id[0], p->seg[i].gref, r->cp[i].status);
            return NETIF_RSP_ERROR;
        }
    if (net_tx_vnet_hdr(r->txbuf + NET_VNET_HDR, p->len, p, &h)) {
        if (noisy(r))
            be_log("%s: tx packet id %u: offload asked for headers it does not have",
                   r->name, p->id[0]);
        return NETIF_RSP_ERROR;
    }
    memcpy(r->txbuf, &h, sizeof(h));
    return NETIF_RSP_OKAY;
}

/* The copied packet to dom0.  A packet the TAP will not take (its link
 * is down) is counted as dropped; it was answered already. */
static void tx_write(struct net_ring *r, const struct net_tx_pkt *p)
{
    if (net_tap_write(r->tap, r->txbuf, NET_VNET_HDR + p->len)) {
        r->stats.tx_dropped++;
        return;
    }
    r->stats.tx_packets++;
    r->stats.tx_bytes += p->len;
}

static void tx_respond(struct net_ring *r, const struct net_tx_pkt *p, int16_t status)
{
    for (unsigned i = 0; i < p->nslots; i++) {
        struct netif_tx_response rsp = { .id = p->id[i],
                                         .status = p->extra[i] ? NETIF_RSP_NULL : status };
        ring_back_put_response(&r->tx, &rsp);
    }
    if (status == NETIF_RSP_ERROR)
        r->stats.tx_errors++;
}

/*
 * Each packet is answered as soon as its data is copied, before it goes
 * to the TAP: netfront frees a sent packet only on its response, TCP
 * lets a socket have only a couple of packets not yet freed, and
 * writing to the TAP runs dom0's network stack on the packet first.
 */
static void tx_serve(struct net_ring *r)
{
    while (!r->stopped) {
        while (r->ntxq < NET_TX_MAX_SLOTS &&
               ring_back_get_request(&r->tx, &r->txq[r->ntxq])) {
            enum net_tx_verdict v = net_tx_decode(r->txq, ++r->ntxq, &r->pkt);
            int16_t status;

            if (v == NET_TX_MORE)
                continue;
            if (v == NET_TX_FATAL || r->pkt.nslots != r->ntxq) {
                stop(r, "transmit chain longer than any packet");
                return;
            }
            if (v == NET_TX_DROP && noisy(r))
                be_log("%s: tx packet id %u (%u slots, %u bytes): malformed, refused",
                       r->name, r->pkt.id[0], r->pkt.nslots, r->pkt.len);
            status = v == NET_TX_OK ? tx_copy(r, &r->pkt) : NETIF_RSP_ERROR;
            tx_respond(r, &r->pkt, status);
            r->ntxq = 0;
            if (ring_back_push(&r->tx))
                r->notify = true;
            flush(r);
            if (status == NETIF_RSP_OKAY)
                tx_write(r, &r->pkt);
        }
        if (ring_broken(&r->tx)) {
            stop(r, "the front end's transmit index is impossible");
            return;
        }
        if (!ring_back_final_check(&r->tx))
            break;
    }
}

/* ---- receive ---- */

/* Put the frame in rxbuf into the guest's buffers.  False if it has not
 * posted enough: the frame stays, and the guest is asked to notify. */
static bool rx_deliver(struct net_ring *r)
{
    struct netif_rx_request req[NET_TX_MAX_DATA + 1];
    struct virtio_net_hdr h;
    struct netif_extra_info gso;
    size_t len = r->rx_len - NET_VNET_HDR, off = 0;
    unsigned need, nd = 0, ndata;
    uint16_t flags;
    bool bad = false;

    memcpy(&h, r->rxbuf, sizeof(h));
    if (net_rx_plan(&h, len, &r->caps, &flags, &gso)) {
        r->stats.rx_dropped++;
        return true;
    }
    need = net_rx_slots(len, gso.type != XEN_NETIF_EXTRA_TYPE_NONE);
    ndata = need - (gso.type ? 1 : 0);
    if (ring_back_unconsumed_requests(&r->rx) < need) {
        /* Wake us when the producer reaches what we need, then look again
         * (the guest may have posted before it could see that). */
        ring_io_store_seq_cst(&r->rx.sring->req_event, r->rx.req_cons + need);
        if (ring_io_avail(&r->rx.sring->req_prod, r->rx.req_cons,
                          r->rx.rsp_prod_pvt + r->rx.nr_ents, &r->rx.broken,
                          __ATOMIC_SEQ_CST) < need) {
            if (ring_broken(&r->rx))
                stop(r, "the front end's receive index is impossible");
            return r->stopped;
        }
    }
    for (unsigned i = 0; i < need; i++)
        ring_back_get_request(&r->rx, &req[i]);
    for (unsigned i = 0; i < need; i++) {
        uint16_t n;

        if (gso.type && i == 1)
            continue;
        n = (uint16_t)(len - off > NET_PAGE ? NET_PAGE : len - off);
        r->cp[nd++] = (struct be_copy){ .gref = req[i].gref, .len = n,
                                        .local = r->rxbuf + NET_VNET_HDR + off,
                                        .to_guest = true };
        off += n;
    }
    if (r->plat->grant_copy(r->domid, nd, r->cp)) {
        be_log("%s: grant copy: %s", r->name, strerror(errno));
        bad = true;
    }
    for (unsigned i = 0; i < nd && !bad; i++)
        bad = r->cp[i].status != 0;
    if (bad && noisy(r))
        be_log("%s: rx buffer grant refused", r->name);
    nd = 0;
    for (unsigned i = 0; i < need; i++) {
        struct netif_rx_response rsp;

        if (gso.type && i == 1) {
            memcpy(&rsp, &gso, sizeof(rsp));    /* the extra takes the slot */
        } else {
            rsp = (struct netif_rx_response){
                .id = req[i].id,
                .flags = (uint16_t)((i == 0 ? flags : 0) |
                                    (nd + 1 < ndata ? NETRXF_more_data : 0)),
                .status = bad ? NETIF_RSP_ERROR : (int16_t)r->cp[nd].len,
            };
            nd++;
        }
        ring_back_put_response(&r->rx, &rsp);
    }
    if (bad) {
        r->stats.rx_errors++;
    } else {
        r->stats.rx_packets++;
        r->stats.rx_bytes += len;
    }
    return true;
}

static void rx_push(struct net_ring *r)
{
    if (ring_back_push(&r->rx))
        r->notify = true;
}

void net_ring_tap_ready(struct net_ring *r)
{
    /* A bounded batch, so one busy vif does not starve the others. */
    for (unsigned k = 0; k < 64 && !r->stopped; k++) {
        if (!r->rx_len) {
            ssize_t n = net_tap_read(r->tap, r->rxbuf, sizeof(r->rxbuf));

            if (n < 0) {
                /* The device was taken away under us (ip link del):
                 * stop polling it, so its error does not spin the loop;
                 * the guest's next event tries again. */
                if (noisy(r))
                    be_log("%s: TAP read: %s", r->name, strerror(errno));
                set_tap(r, false);
                break;
            }
            if (n == 0)
                break;
            if ((size_t)n < NET_VNET_HDR)
                continue;
            r->rx_len = (size_t)n;
        }
        if (!rx_deliver(r)) {
            set_tap(r, false);
            break;
        }
        r->rx_len = 0;
        /* Each frame published at once: the guest starts on it while we
         * copy the next (netfront asks for no event while it polls). */
        rx_push(r);
        flush(r);
    }
}

void net_ring_kick(void *ring)
{
    struct net_ring *r = ring;

    tx_serve(r);
    if (!r->stopped && r->rx_len && rx_deliver(r)) {
        r->rx_len = 0;
        rx_push(r);
    }
    if (!r->stopped && !r->rx_len)
        set_tap(r, true);
    flush(r);
}

void net_ring_close(struct net_ring *r)
{
    set_tap(r, false);
    free(r);
}
