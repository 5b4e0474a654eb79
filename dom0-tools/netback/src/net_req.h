/* SPDX-License-Identifier: MIT */
/*
 * Decoding netif requests (abi/io/netif.h) into checked, private forms,
 * and the packet headers netback must read to hand a packet on.
 * Everything a guest writes is suspect: a transmitted packet's chain of
 * slots (the first slot's size is the whole packet, more_data slots
 * follow, extra-info slots sit after the first), every slot's offset and
 * size within its page, the sizes adding up, the extras' types, the
 * number of slots; and for checksum offload the Ethernet, IP and TCP/UDP
 * headers the packet claims to have.  Decode first, act after: nothing is
 * copied or sent for a packet that fails here.
 *
 * Pure functions over copies (ring entries are copied out of the shared
 * page once by ring-io; packet bytes are in our own buffer after the
 * grant copy), so a guest changing the shared page under us changes
 * nothing here.  Fuzzed by fuzz/fuzz_net_req.c.
 *
 * Checksum offload and GSO are handed to the kernel: the TAP device
 * takes a virtio-net header in front of each frame (IFF_VNET_HDR).  A
 * packet the guest sent with NETTXF_csum_blank gets
 * VIRTIO_NET_HDR_F_NEEDS_CSUM with the offsets of its TCP or UDP
 * checksum, and a GSO extra becomes the header's gso_type and gso_size;
 * dom0's stack then finishes the checksum (or never needs to, for a
 * packet it receives itself) and segments where it must.  Computing the
 * checksum here instead would need the same header walk and a pass over
 * every byte, and GSO would need segmentation here too.
 */
#ifndef NET_REQ_H
#define NET_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_net.h>

#include <abi/io/netif.h>

#define NET_PAGE            4096u
#define NET_ETH_HLEN        14u
/* Data slots of one packet: netfront sends at most 18 (64 KiB in 4 KiB
 * pages, plus one for a head crossing a page), and a back end must take
 * XEN_NETIF_NR_SLOTS_MIN. */
#define NET_TX_MAX_DATA     XEN_NETIF_NR_SLOTS_MIN
#define NET_TX_MAX_EXTRAS   (XEN_NETIF_EXTRA_TYPE_MAX - 1)
/* A chain of more slots than this is not a packet: the ring is broken
 * (Linux's netback uses 20). */
#define NET_TX_MAX_SLOTS    32u
/* What a TAP read or write carries: the virtio-net header, then a frame
 * of at most 64 KiB (a GSO packet). */
#define NET_VNET_HDR        sizeof(struct virtio_net_hdr)
#define NET_FRAME_MAX       65550u

enum net_tx_verdict {
    NET_TX_OK,                  /* a packet to send */
    NET_TX_DROP,                /* a packet to answer ERROR, slot by slot */
    NET_TX_MORE,                /* the chain goes on past what we have */
    NET_TX_FATAL,               /* not a packet at all: stop the ring */
};

struct net_seg {
    uint32_t gref;
    uint16_t offset, len;
};

struct net_tx_pkt {
    unsigned nslots;            /* ring slots it takes, extras included */
    /* Each slot in ring order: the id to echo, or extra (answered NULL). */
    uint16_t id[NET_TX_MAX_SLOTS];
    bool extra[NET_TX_MAX_SLOTS];
    unsigned nseg;
    struct net_seg seg[NET_TX_MAX_DATA];
    uint32_t len;               /* the whole frame */
    uint16_t flags;             /* the first slot's NETTXF_* */
    uint8_t gso_type;           /* XEN_NETIF_GSO_TYPE_*, NONE without */
    uint16_t gso_size;
};

/*
 * The packet at the start of the n consecutive requests in `slots` (ring
 * order, n <= NET_TX_MAX_SLOTS).  With OK and DROP, p->nslots slots are
 * the packet and p->id/p->extra say how to answer each; with MORE the
 * caller waits for more requests (impossible once n == NET_TX_MAX_SLOTS:
 * that is FATAL).
 */
enum net_tx_verdict net_tx_decode(const struct netif_tx_request *slots, unsigned n,
                                  struct net_tx_pkt *p);

/*
 * The virtio-net header for a frame of len bytes sent with p's flags and
 * GSO: 0, or -1 if the packet asks for an offload its headers do not
 * allow (checksum of something that is not TCP or UDP over IPv4 or IPv6,
 * GSO that does not match them, headers past the end).
 */
int net_tx_vnet_hdr(const uint8_t *frame, size_t len, const struct net_tx_pkt *p,
                    struct virtio_net_hdr *h);

/* What the front end said it takes on its receive side. */
struct net_rx_caps {
    bool csum;                  /* partial checksums (NETRXF_csum_blank) */
    bool gso_tcpv4, gso_tcpv6;
};

/*
 * From the virtio-net header of a frame read from the TAP: the first rx
 * response's flags and, for GSO, the extra slot (gso->type 0 without).
 * 0, or -1 for a frame the front end cannot take (dropped).
 */
int net_rx_plan(const struct virtio_net_hdr *h, size_t len, const struct net_rx_caps *caps,
                uint16_t *flags, struct netif_extra_info *gso);

/* Ring slots a frame of len bytes takes on receive (data, plus the GSO
 * extra), at most NET_TX_MAX_DATA + 1. */
unsigned net_rx_slots(size_t len, bool gso);

#endif
