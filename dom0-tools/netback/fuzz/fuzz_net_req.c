/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the netif decoders: the input is a slot count,
 * that many transmit ring entries (12 bytes each), a caps byte, a
 * virtio-net header and a frame.  Whatever it is, decoding must not crash
 * or read out of bounds; a packet it accepts must have every slot inside
 * its page and sizes that add up; a checksum it asks the kernel to finish
 * must lie inside the frame; a receive plan must fit netfront's slots.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct netif_tx_request slots[NET_TX_MAX_SLOTS];
    static struct net_tx_pkt p;
    struct virtio_net_hdr h;
    struct netif_extra_info gso;
    struct net_rx_caps caps;
    unsigned n;
    uint16_t flags;
    enum net_tx_verdict v;

    if (size < 2 + NET_VNET_HDR)
        return 0;
    n = data[0] % (NET_TX_MAX_SLOTS + 1);
    data++;
    size--;
    if (size < n * sizeof(slots[0]) + 1 + NET_VNET_HDR)
        return 0;
    memcpy(slots, data, n * sizeof(slots[0]));
    data += n * sizeof(slots[0]);
    size -= n * sizeof(slots[0]);
    caps = (struct net_rx_caps){ .csum = data[0] & 1, .gso_tcpv4 = data[0] & 2,
                                 .gso_tcpv6 = data[0] & 4 };
    memcpy(&h, data + 1, sizeof(h));
    data += 1 + sizeof(h);
    size -= 1 + sizeof(h);

    v = net_tx_decode(slots, n, &p);
    if (v == NET_TX_MORE && n == NET_TX_MAX_SLOTS)
        abort();
    if (v == NET_TX_OK || v == NET_TX_DROP) {
        if (p.nslots == 0 || p.nslots > n)
            abort();
    }
    if (v == NET_TX_OK) {
        uint32_t total = 0;
        if (p.nseg == 0 || p.nseg > NET_TX_MAX_DATA || p.len < NET_ETH_HLEN)
            abort();
        for (unsigned i = 0; i < p.nseg; i++) {
            if ((uint32_t)p.seg[i].offset + p.seg[i].len > NET_PAGE)
                abort();
            total += p.seg[i].len;
        }
        if (total != p.len)
            abort();
        if (!net_tx_vnet_hdr(data, size < p.len ? size : p.len, &p, &h) &&
            (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
            (size_t)h.csum_start + h.csum_offset + 2 > (size < p.len ? size : p.len))
            abort();
    }
    memcpy(&h, data - sizeof(h), sizeof(h));
    if (!net_rx_plan(&h, size, &caps, &flags, &gso)) {
        if (net_rx_slots(size, gso.type != 0) > NET_TX_MAX_DATA + 1)
            abort();
        if ((flags & NETRXF_csum_blank) && !caps.csum)
            abort();
        if (gso.type && !(caps.gso_tcpv4 || caps.gso_tcpv6))
            abort();
    }
    return 0;
}
