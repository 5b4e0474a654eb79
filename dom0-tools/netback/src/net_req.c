/* SPDX-License-Identifier: MIT */
/* Request decoding and header checks (see net_req.h). */
#include <string.h>

#include "net_req.h"

/* ETH_P_IP, ETH_P_IPV6, ETH_P_8021Q from <linux/if_ether.h>. */
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

/* The extra-info slots after the first: one of each type at most, GSO
 * well formed.  Returns the next slot, or NET_TX_MAX_SLOTS + 1 for "the
 * chain goes past n" (MORE or FATAL, the caller tells). */
static unsigned take_extras(const struct netif_tx_request *s, unsigned n, unsigned i,
                            struct net_tx_pkt *p, bool *bad)
{
    unsigned seen = 0;
    bool more = true;

    while (more) {
        struct netif_extra_info e;

        if (i >= n)
            return NET_TX_MAX_SLOTS + 1;
        memcpy(&e, &s[i], sizeof(e));
        p->id[i] = 0;
        p->extra[i] = true;
        i++;
        more = e.flags & XEN_NETIF_EXTRA_FLAG_MORE;
        if (e.type == XEN_NETIF_EXTRA_TYPE_NONE || e.type >= XEN_NETIF_EXTRA_TYPE_MAX ||
            (seen & (1u << e.type))) {
            *bad = true;
            continue;
        }
        seen |= 1u << e.type;
        if (e.type == XEN_NETIF_EXTRA_TYPE_GSO) {
            if ((e.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
                 e.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6) || e.u.gso.size == 0)
                *bad = true;
            p->gso_type = e.u.gso.type;
            p->gso_size = e.u.gso.size;
        }
        /* Multicast filters and hashes: not offered, nothing to do. */
    }
    return i;
}

enum net_tx_verdict net_tx_decode(const struct netif_tx_request *s, unsigned n,
                                  struct net_tx_pkt *p)
{
    uint32_t rest = 0;
    unsigned i = 1;
    bool bad = false, more;

    p->nslots = 0;
    p->nseg = 0;
    p->gso_type = XEN_NETIF_GSO_TYPE_NONE;
    p->gso_size = 0;
    if (n == 0)
        return NET_TX_MORE;
    if (n > NET_TX_MAX_SLOTS)
        n = NET_TX_MAX_SLOTS;
    p->id[0] = s[0].id;
    p->extra[0] = false;
    p->flags = s[0].flags;
    p->len = s[0].size;
    p->seg[0] = (struct net_seg){ .gref = s[0].gref, .offset = s[0].offset };
    p->nseg = 1;
    if (s[0].flags & NETTXF_extra_info) {
        i = take_extras(s, n, i, p, &bad);
        if (i > NET_TX_MAX_SLOTS)
            return n == NET_TX_MAX_SLOTS ? NET_TX_FATAL : NET_TX_MORE;
    }
    for (more = s[0].flags & NETTXF_more_data; more; i++) {
        const struct netif_tx_request *t = &s[i];

        if (i >= n)
            return n == NET_TX_MAX_SLOTS ? NET_TX_FATAL : NET_TX_MORE;
        p->id[i] = t->id;
        p->extra[i] = false;
        more = t->flags & NETTXF_more_data;
        if ((t->flags & NETTXF_extra_info) || (uint32_t)t->offset + t->size > NET_PAGE)
            bad = true;
        if (p->nseg < NET_TX_MAX_DATA)
            p->seg[p->nseg] = (struct net_seg){ .gref = t->gref, .offset = t->offset,
                                                .len = t->size };
        p->nseg++;
        rest += t->size;
    }
    p->nslots = i;
    /* The first slot holds what the others do not. */
    if (p->nseg > NET_TX_MAX_DATA || rest > s[0].size || s[0].size < NET_ETH_HLEN)
        bad = true;
    else
        p->seg[0].len = (uint16_t)(s[0].size - rest);
    if ((uint32_t)s[0].offset + p->seg[0].len > NET_PAGE)
        bad = true;
    if (p->nseg > NET_TX_MAX_DATA)
        p->nseg = NET_TX_MAX_DATA;
    return bad ? NET_TX_DROP : NET_TX_OK;
}

static uint16_t be16(const uint8_t *b)
{
    return (uint16_t)(b[0] << 8 | b[1]);
}

/* The L4 header of an IPv4 or IPv6 packet at frame + l3: its offset and
 * protocol, or -1 (short, fragment, not a header we can walk). */
static int find_l4(const uint8_t *f, size_t len, size_t l3, uint16_t proto, size_t *l4,
                   uint8_t *ipproto)
{
    if (proto == ETH_P_IP) {
        size_t ihl;

        if (len < l3 + 20 || (f[l3] >> 4) != 4)
            return -1;
        ihl = (size_t)(f[l3] & 0xf) * 4;
        /* A fragment's checksum covers bytes we do not have. */
        if (ihl < 20 || len < l3 + ihl || (be16(&f[l3 + 6]) & 0x3fff))
            return -1;
        *l4 = l3 + ihl;
        *ipproto = f[l3 + 9];
        return 0;
    }
    if (proto == ETH_P_IPV6) {
        size_t off = l3 + 40;
        uint8_t nh;

        if (len < off || (f[l3] >> 4) != 6)
            return -1;
        nh = f[l3 + 6];
        /* Hop-by-hop, routing, destination options, AH; not a fragment. */
        for (unsigned k = 0; k < 8 && (nh == 0 || nh == 43 || nh == 60 || nh == 51); k++) {
            size_t hl;

            if (len < off + 8)
                return -1;
            hl = nh == 51 ? ((size_t)f[off + 1] + 2) * 4 : ((size_t)f[off + 1] + 1) * 8;
            nh = f[off];
            off += hl;
        }
        if (nh == 0 || nh == 43 || nh == 60 || nh == 51 || len < off)
            return -1;
        *l4 = off;
        *ipproto = nh;
        return 0;
    }
    return -1;
}

int net_tx_vnet_hdr(const uint8_t *f, size_t len, const struct net_tx_pkt *p,
                    struct virtio_net_hdr *h)
{
    bool gso = p->gso_type != XEN_NETIF_GSO_TYPE_NONE;
    uint16_t proto;
    size_t l3 = NET_ETH_HLEN, l4;
    uint8_t ipproto;

    memset(h, 0, sizeof(*h));
    if (!(p->flags & NETTXF_csum_blank)) {
        /* GSO needs a partial checksum to finish in every segment. */
        return gso ? -1 : 0;
    }
    if (len < NET_ETH_HLEN)
        return -1;
    proto = be16(&f[12]);
    if (proto == ETH_P_8021Q) {
        if (len < NET_ETH_HLEN + 4)
            return -1;
        proto = be16(&f[16]);
        l3 += 4;
    }
    if (find_l4(f, len, l3, proto, &l4, &ipproto))
        return -1;
    if (ipproto == IPPROTO_TCP_) {
        size_t thl;

        if (len < l4 + 20 || (thl = (size_t)(f[l4 + 12] >> 4) * 4) < 20 || len < l4 + thl)
            return -1;
        h->csum_offset = 16;
        h->hdr_len = (uint16_t)(l4 + thl);
    } else if (ipproto == IPPROTO_UDP_ && !gso) {
        if (len < l4 + 8)
            return -1;
        h->csum_offset = 6;
    } else {
        return -1;
    }
    h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h->csum_start = (uint16_t)l4;
    if (gso) {
        if ((p->gso_type == XEN_NETIF_GSO_TYPE_TCPV4) != (proto == ETH_P_IP))
            return -1;
        h->gso_type = p->gso_type == XEN_NETIF_GSO_TYPE_TCPV4 ? VIRTIO_NET_HDR_GSO_TCPV4
                                                              : VIRTIO_NET_HDR_GSO_TCPV6;
        h->gso_size = p->gso_size;
    }
    return 0;
}

int net_rx_plan(const struct virtio_net_hdr *h, size_t len, const struct net_rx_caps *caps,
                uint16_t *flags, struct netif_extra_info *gso)
{
    memset(gso, 0, sizeof(*gso));
    *flags = 0;
    if (len < NET_ETH_HLEN || len > NET_FRAME_MAX)
        return -1;
    if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
        if (h->gso_size == 0 || !(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
            return -1;
        if (h->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && caps->gso_tcpv4)
            gso->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
        else if (h->gso_type == VIRTIO_NET_HDR_GSO_TCPV6 && caps->gso_tcpv6)
            gso->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV6;
        else
            return -1;
        gso->type = XEN_NETIF_EXTRA_TYPE_GSO;
        gso->u.gso.size = h->gso_size;
        *flags |= NETRXF_extra_info;
    }
    if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        if (!caps->csum)
            return -1;
        *flags |= NETRXF_csum_blank | NETRXF_data_validated;
    } else if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
        *flags |= NETRXF_data_validated;
    }
    return 0;
}

unsigned net_rx_slots(size_t len, bool gso)
{
    return (unsigned)((len + NET_PAGE - 1) / NET_PAGE) + (gso ? 1u : 0u);
}
