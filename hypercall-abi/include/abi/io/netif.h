/* SPDX-License-Identifier: MIT */
/*
 * Network device wire format (xen-netfront <-> netback): TX and RX ring
 * entries, the "extra info" slots that carry GSO and multicast data, flag
 * bits, and the optional control ring.  Each ring is one page of 256
 * slots.  A packet spans several TX slots (NETTXF_more_data); the back end
 * must accept at least XEN_NETIF_NR_SLOTS_MIN of them.
 */
#ifndef ABI_IO_NETIF_H
#define ABI_IO_NETIF_H

#include <stdint.h>
#include <abi/grant_table.h>
#include <abi/io/ring.h>

#define XEN_NETIF_NR_SLOTS_MIN 18

/* Control ring: hashing and grant-mapping negotiation. */
#define _XEN_NETIF_CTRL_HASH_TYPE_IPV4     0
#define XEN_NETIF_CTRL_HASH_TYPE_IPV4      (1 << _XEN_NETIF_CTRL_HASH_TYPE_IPV4)
#define _XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP 1
#define XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP  (1 << _XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP)
#define _XEN_NETIF_CTRL_HASH_TYPE_IPV6     2
#define XEN_NETIF_CTRL_HASH_TYPE_IPV6      (1 << _XEN_NETIF_CTRL_HASH_TYPE_IPV6)
#define _XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP 3
#define XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP  (1 << _XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP)

#define XEN_NETIF_CTRL_HASH_ALGORITHM_NONE     0
#define XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ 1

struct xen_netif_ctrl_request {
    uint16_t id;
    uint16_t type;              /* XEN_NETIF_CTRL_TYPE_* */
#define XEN_NETIF_CTRL_TYPE_INVALID               0
#define XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS        1
#define XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS        2
#define XEN_NETIF_CTRL_TYPE_SET_HASH_KEY          3
#define XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE 4
#define XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE 5
#define XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING      6
#define XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM    7
#define XEN_NETIF_CTRL_TYPE_GET_GREF_MAPPING_SIZE 8
#define XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING      9
#define XEN_NETIF_CTRL_TYPE_DEL_GREF_MAPPING     10
    uint32_t data[3];
};
_Static_assert(sizeof(struct xen_netif_ctrl_request) == 16, "xen_netif_ctrl_request");

struct xen_netif_ctrl_response {
    uint16_t id;
    uint16_t type;
    uint32_t status;            /* XEN_NETIF_CTRL_STATUS_* */
#define XEN_NETIF_CTRL_STATUS_SUCCESS           0
#define XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED     1
#define XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER 2
#define XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW   3
    uint32_t data;
};
_Static_assert(sizeof(struct xen_netif_ctrl_response) == 12, "xen_netif_ctrl_response");

struct xen_netif_gref {
    grant_ref_t ref;
    uint16_t flags;             /* XEN_NETIF_CTRLF_GREF_* */
#define _XEN_NETIF_CTRLF_GREF_readonly 0
#define XEN_NETIF_CTRLF_GREF_readonly  (1U << _XEN_NETIF_CTRLF_GREF_readonly)
    uint16_t status;
};
_Static_assert(sizeof(struct xen_netif_gref) == 8, "xen_netif_gref");

/* TX request flags. */
#define _NETTXF_csum_blank     (0)
#define NETTXF_csum_blank      (1U << _NETTXF_csum_blank)
#define _NETTXF_data_validated (1)
#define NETTXF_data_validated  (1U << _NETTXF_data_validated)
#define _NETTXF_more_data      (2)
#define NETTXF_more_data       (1U << _NETTXF_more_data)
#define _NETTXF_extra_info     (3)
#define NETTXF_extra_info      (1U << _NETTXF_extra_info)

#define XEN_NETIF_MAX_TX_SIZE 0xFFFF

struct netif_tx_request {
    grant_ref_t gref;           /* page holding (part of) the packet */
    uint16_t offset;            /* within the page */
    uint16_t flags;             /* NETTXF_* */
    uint16_t id;                /* echoed in the response */
    uint16_t size;              /* first slot: whole packet; others: slot */
};
typedef struct netif_tx_request netif_tx_request_t;
_Static_assert(sizeof(struct netif_tx_request) == 12, "netif_tx_request");

#define XEN_NETIF_EXTRA_TYPE_NONE      (0)
#define XEN_NETIF_EXTRA_TYPE_GSO       (1)
#define XEN_NETIF_EXTRA_TYPE_MCAST_ADD (2)
#define XEN_NETIF_EXTRA_TYPE_MCAST_DEL (3)
#define XEN_NETIF_EXTRA_TYPE_HASH      (4)
#define XEN_NETIF_EXTRA_TYPE_MAX       (5)

#define _XEN_NETIF_EXTRA_FLAG_MORE (0)
#define XEN_NETIF_EXTRA_FLAG_MORE  (1U << _XEN_NETIF_EXTRA_FLAG_MORE)

#define XEN_NETIF_GSO_TYPE_NONE  (0)
#define XEN_NETIF_GSO_TYPE_TCPV4 (1)
#define XEN_NETIF_GSO_TYPE_TCPV6 (2)

/* Occupies a TX request slot (after NETTXF_extra_info) or an RX response
 * slot (after NETRXF_extra_info). */
struct netif_extra_info {
    uint8_t type;               /* XEN_NETIF_EXTRA_TYPE_* */
    uint8_t flags;              /* XEN_NETIF_EXTRA_FLAG_* */
    union {
        struct {
            uint16_t size;      /* MSS */
            uint8_t  type;      /* XEN_NETIF_GSO_TYPE_* */
            uint8_t  pad;
            uint16_t features;
        } gso;
        struct {
            uint8_t addr[6];
        } mcast;
        struct {
            uint8_t type;       /* _XEN_NETIF_CTRL_HASH_TYPE_* */
            uint8_t algorithm;  /* XEN_NETIF_CTRL_HASH_ALGORITHM_* */
            uint8_t value[4];
        } hash;
        uint16_t pad[3];
    } u;
};
typedef struct netif_extra_info netif_extra_info_t;
_Static_assert(sizeof(struct netif_extra_info) == 8, "netif_extra_info");

struct netif_tx_response {
    uint16_t id;
    int16_t  status;            /* NETIF_RSP_* */
};
typedef struct netif_tx_response netif_tx_response_t;
_Static_assert(sizeof(struct netif_tx_response) == 4, "netif_tx_response");

struct netif_rx_request {
    uint16_t id;                /* echoed in the response */
    uint16_t pad;
    grant_ref_t gref;           /* page the back end copies a packet into */
};
typedef struct netif_rx_request netif_rx_request_t;
_Static_assert(sizeof(struct netif_rx_request) == 8, "netif_rx_request");

/* RX response flags. */
#define _NETRXF_data_validated (0)
#define NETRXF_data_validated  (1U << _NETRXF_data_validated)
#define _NETRXF_csum_blank     (1)
#define NETRXF_csum_blank      (1U << _NETRXF_csum_blank)
#define _NETRXF_more_data      (2)
#define NETRXF_more_data       (1U << _NETRXF_more_data)
#define _NETRXF_extra_info     (3)
#define NETRXF_extra_info      (1U << _NETRXF_extra_info)
#define _NETRXF_gso_prefix     (4)
#define NETRXF_gso_prefix      (1U << _NETRXF_gso_prefix)

struct netif_rx_response {
    uint16_t id;
    uint16_t offset;            /* of the data within the page */
    uint16_t flags;             /* NETRXF_* */
    int16_t  status;            /* > 0: bytes; <= 0: NETIF_RSP_* */
};
typedef struct netif_rx_response netif_rx_response_t;
_Static_assert(sizeof(struct netif_rx_response) == 8, "netif_rx_response");

/* Front/back bookkeeping structs are private; see abi/io/blkif.h. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpadded"
DEFINE_RING_TYPES(xen_netif_ctrl, struct xen_netif_ctrl_request,
                  struct xen_netif_ctrl_response);
DEFINE_RING_TYPES(netif_tx, struct netif_tx_request, struct netif_tx_response);
DEFINE_RING_TYPES(netif_rx, struct netif_rx_request, struct netif_rx_response);
#pragma GCC diagnostic pop

#define NETIF_RSP_DROPPED  -2
#define NETIF_RSP_ERROR    -1
#define NETIF_RSP_OKAY      0
#define NETIF_RSP_NULL      1   /* padding slot for an extra-info request */

#endif /* ABI_IO_NETIF_H */
