/* SPDX-License-Identifier: MIT */
/*
 * Shared request/response ring layout (Xen io/ring.h ABI).
 *
 * One shared page (or several contiguous ones) starts with four free-running
 * 32-bit indices, 48 bytes the ring protocols may use privately, then a
 * power-of-two array of entries, each a union of one request and one
 * response.  Indices only grow (mod 2^32); a slot is index & (nr_ents - 1).
 * `req_event`/`rsp_event` hold the index at which the other side wants a
 * notification.  The operations that move data live in ring-io/
 * (ring_io/ring.h, documented in docs/ring-io.md); this file is only the
 * layout, so that wire-format headers (blkif, netif) can name their ring
 * types.
 *
 * The front/back structs are each end's PRIVATE state and never shared.
 * Their fields and offsets match Xen's; Mica adds `broken`, placed in the
 * alignment hole before `sring` on x86-64 so the size (24 bytes) is Xen's
 * too.  It is set by ring-io when the peer is caught misbehaving and is the
 * only place that verdict lives: nothing in shared memory is trusted for it.
 */
#ifndef ABI_IO_RING_H
#define ABI_IO_RING_H

#include <stddef.h>
#include <stdint.h>

typedef unsigned int RING_IDX;

/* Bytes before the entry array in the shared page. */
#define RING_SRING_HEADER_BYTES 64

#define DEFINE_RING_TYPES(name, req_t, rsp_t)                             \
union name##_sring_entry {                                                \
    req_t req;                                                            \
    rsp_t rsp;                                                            \
};                                                                        \
struct name##_sring {                                                     \
    RING_IDX req_prod;              /* OUT front, IN back */              \
    RING_IDX req_event;             /* OUT back: notify at this req_prod */\
    RING_IDX rsp_prod;              /* OUT back, IN front */              \
    RING_IDX rsp_event;             /* OUT front: notify at this rsp_prod */\
    union {                                                               \
        struct { uint8_t smartpoll_active; } netif;                       \
        struct { uint8_t msg; } tapif_user;                               \
        uint8_t pvt_pad[4];                                               \
    } pvt;                                                                \
    uint8_t __pad[44];                                                    \
    union name##_sring_entry ring[1];   /* really nr_ents entries */      \
};                                                                        \
struct name##_front_ring {          /* front end's private state */       \
    RING_IDX req_prod_pvt;          /* next request slot to fill */       \
    RING_IDX rsp_cons;              /* next response to consume */        \
    unsigned int nr_ents;           /* power of two */                    \
    unsigned int broken;            /* Mica: peer misbehaved, ring dead */\
    struct name##_sring *sring;                                           \
};                                                                        \
struct name##_back_ring {           /* back end's private state */        \
    RING_IDX rsp_prod_pvt;          /* next response slot to fill */      \
    RING_IDX req_cons;              /* next request to consume */         \
    unsigned int nr_ents;                                                 \
    unsigned int broken;            /* Mica: peer misbehaved, ring dead */\
    struct name##_sring *sring;                                           \
};                                                                        \
_Static_assert(offsetof(struct name##_sring, ring) ==                     \
               RING_SRING_HEADER_BYTES, #name " ring header not 64 bytes");\
typedef struct name##_sring name##_sring_t;                               \
typedef struct name##_front_ring name##_front_ring_t;                     \
typedef struct name##_back_ring name##_back_ring_t

#endif /* ABI_IO_RING_H */
