/* SPDX-License-Identifier: MIT */
/*
 * Event channels (hypercall 32, event_channel_op(cmd, arg)): ports that
 * join a virtual IRQ, an IPI, a physical IRQ or another domain's port to a
 * bit in the 2-level pending bitmap of shared_info.  The FIFO ABI
 * structures are here too because Linux probes for it (init_control) before
 * falling back to 2-level; Mica answers that probe with -ENOSYS.
 */
#ifndef ABI_EVENT_CHANNEL_H
#define ABI_EVENT_CHANNEL_H

#include <abi/xen.h>

#define EVTCHNOP_bind_interdomain  0
#define EVTCHNOP_bind_virq         1
#define EVTCHNOP_bind_pirq         2
#define EVTCHNOP_close             3
#define EVTCHNOP_send              4
#define EVTCHNOP_status            5
#define EVTCHNOP_alloc_unbound     6
#define EVTCHNOP_bind_ipi          7
#define EVTCHNOP_bind_vcpu         8
#define EVTCHNOP_unmask            9
#define EVTCHNOP_reset            10
#define EVTCHNOP_init_control     11
#define EVTCHNOP_expand_array     12
#define EVTCHNOP_set_priority     13

typedef uint32_t evtchn_port_t;
DEFINE_XEN_GUEST_HANDLE(evtchn_port_t);

/* Allocate a port in `dom` that `remote_dom` may later bind to. */
struct evtchn_alloc_unbound {
    domid_t dom;            /* IN: DOMID_SELF, or a domain (privileged) */
    domid_t remote_dom;     /* IN */
    evtchn_port_t port;     /* OUT */
};
typedef struct evtchn_alloc_unbound evtchn_alloc_unbound_t;
_Static_assert(sizeof(struct evtchn_alloc_unbound) == 8, "evtchn_alloc_unbound");

/* Connect a new local port to a port left unbound for us by remote_dom. */
struct evtchn_bind_interdomain {
    domid_t remote_dom;         /* IN */
    uint8_t _pad[2];            /* Xen: implicit padding */
    evtchn_port_t remote_port;  /* IN */
    evtchn_port_t local_port;   /* OUT */
};
typedef struct evtchn_bind_interdomain evtchn_bind_interdomain_t;
_Static_assert(sizeof(struct evtchn_bind_interdomain) == 12, "evtchn_bind_interdomain");

struct evtchn_bind_virq {
    uint32_t virq;          /* IN: VIRQ_* */
    uint32_t vcpu;          /* IN: target vCPU (global VIRQs: 0) */
    evtchn_port_t port;     /* OUT */
};
typedef struct evtchn_bind_virq evtchn_bind_virq_t;
_Static_assert(sizeof(struct evtchn_bind_virq) == 12, "evtchn_bind_virq");

struct evtchn_bind_pirq {
    uint32_t pirq;          /* IN */
#define BIND_PIRQ__WILL_SHARE 1
    uint32_t flags;         /* IN: BIND_PIRQ__* */
    evtchn_port_t port;     /* OUT */
};
typedef struct evtchn_bind_pirq evtchn_bind_pirq_t;
_Static_assert(sizeof(struct evtchn_bind_pirq) == 12, "evtchn_bind_pirq");

struct evtchn_bind_ipi {
    uint32_t vcpu;          /* IN: vCPU the IPI is delivered to */
    evtchn_port_t port;     /* OUT */
};
typedef struct evtchn_bind_ipi evtchn_bind_ipi_t;
_Static_assert(sizeof(struct evtchn_bind_ipi) == 8, "evtchn_bind_ipi");

struct evtchn_close {
    evtchn_port_t port;     /* IN */
};
typedef struct evtchn_close evtchn_close_t;
_Static_assert(sizeof(struct evtchn_close) == 4, "evtchn_close");

struct evtchn_send {
    evtchn_port_t port;     /* IN: local port; the event goes to its peer */
};
typedef struct evtchn_send evtchn_send_t;
_Static_assert(sizeof(struct evtchn_send) == 4, "evtchn_send");

#define EVTCHNSTAT_closed       0
#define EVTCHNSTAT_unbound      1
#define EVTCHNSTAT_interdomain  2
#define EVTCHNSTAT_pirq         3
#define EVTCHNSTAT_virq         4
#define EVTCHNSTAT_ipi          5

struct evtchn_status {
    domid_t dom;            /* IN */
    uint8_t _pad[2];        /* Xen: implicit padding */
    evtchn_port_t port;     /* IN */
    uint32_t status;        /* OUT: EVTCHNSTAT_* */
    uint32_t vcpu;          /* OUT: vCPU notified */
    union {
        struct {
            domid_t dom;
        } unbound;          /* EVTCHNSTAT_unbound */
        struct {
            domid_t dom;
            uint8_t _pad[2];    /* Xen: implicit padding */
            evtchn_port_t port;
        } interdomain;      /* EVTCHNSTAT_interdomain */
        uint32_t pirq;      /* EVTCHNSTAT_pirq */
        uint32_t virq;      /* EVTCHNSTAT_virq */
    } u;                    /* OUT */
};
typedef struct evtchn_status evtchn_status_t;
_Static_assert(sizeof(struct evtchn_status) == 24, "evtchn_status");

struct evtchn_bind_vcpu {
    evtchn_port_t port;     /* IN */
    uint32_t vcpu;          /* IN */
};
typedef struct evtchn_bind_vcpu evtchn_bind_vcpu_t;
_Static_assert(sizeof(struct evtchn_bind_vcpu) == 8, "evtchn_bind_vcpu");

struct evtchn_unmask {
    evtchn_port_t port;     /* IN */
};
typedef struct evtchn_unmask evtchn_unmask_t;
_Static_assert(sizeof(struct evtchn_unmask) == 4, "evtchn_unmask");

struct evtchn_reset {
    domid_t dom;            /* IN */
};
typedef struct evtchn_reset evtchn_reset_t;
_Static_assert(sizeof(struct evtchn_reset) == 2, "evtchn_reset");

/* FIFO ABI: register vCPU's control block (Mica: -ENOSYS). */
struct evtchn_init_control {
    uint64_t control_gfn;   /* IN */
    uint32_t offset;        /* IN */
    uint32_t vcpu;          /* IN */
    uint8_t  link_bits;     /* OUT */
    uint8_t  _pad[7];
};
typedef struct evtchn_init_control evtchn_init_control_t;
_Static_assert(sizeof(struct evtchn_init_control) == 24, "evtchn_init_control");

struct evtchn_expand_array {
    uint64_t array_gfn;     /* IN */
};
typedef struct evtchn_expand_array evtchn_expand_array_t;
_Static_assert(sizeof(struct evtchn_expand_array) == 8, "evtchn_expand_array");

struct evtchn_set_priority {
    evtchn_port_t port;     /* IN */
    uint32_t priority;      /* IN */
};
typedef struct evtchn_set_priority evtchn_set_priority_t;
_Static_assert(sizeof(struct evtchn_set_priority) == 8, "evtchn_set_priority");

/* Argument of the superseded hypercall 16 (cmd inside the struct). */
struct evtchn_op {
    uint32_t cmd;           /* IN: EVTCHNOP_* */
    union {
        evtchn_alloc_unbound_t    alloc_unbound;
        evtchn_bind_interdomain_t bind_interdomain;
        evtchn_bind_virq_t        bind_virq;
        evtchn_bind_pirq_t        bind_pirq;
        evtchn_bind_ipi_t         bind_ipi;
        evtchn_close_t            close;
        evtchn_send_t             send;
        evtchn_status_t           status;
        evtchn_bind_vcpu_t        bind_vcpu;
        evtchn_unmask_t           unmask;
    } u;                    /* IN/OUT */
};
typedef struct evtchn_op evtchn_op_t;
DEFINE_XEN_GUEST_HANDLE(evtchn_op_t);
_Static_assert(sizeof(struct evtchn_op) == 28, "evtchn_op");

/* 2-level ABI: one bit per port in a 64x64 bitmap. */
#define EVTCHN_2L_NR_CHANNELS (sizeof(xen_ulong_t) * sizeof(xen_ulong_t) * 64)

/* FIFO ABI constants (for the structures above). */
#define EVTCHN_FIFO_PRIORITY_MAX     0
#define EVTCHN_FIFO_PRIORITY_DEFAULT 7
#define EVTCHN_FIFO_PRIORITY_MIN     15
#define EVTCHN_FIFO_MAX_QUEUES       (EVTCHN_FIFO_PRIORITY_MIN + 1)

typedef uint32_t event_word_t;

#define EVTCHN_FIFO_PENDING     31
#define EVTCHN_FIFO_MASKED      30
#define EVTCHN_FIFO_LINKED      29
#define EVTCHN_FIFO_BUSY        28
#define EVTCHN_FIFO_LINK_BITS   17
#define EVTCHN_FIFO_LINK_MASK   ((1 << EVTCHN_FIFO_LINK_BITS) - 1)
#define EVTCHN_FIFO_NR_CHANNELS (1 << EVTCHN_FIFO_LINK_BITS)

struct evtchn_fifo_control_block {
    uint32_t ready;
    uint32_t _rsvd;
    uint32_t head[EVTCHN_FIFO_MAX_QUEUES];
};
typedef struct evtchn_fifo_control_block evtchn_fifo_control_block_t;
_Static_assert(sizeof(struct evtchn_fifo_control_block) == 72,
               "evtchn_fifo_control_block");

#endif /* ABI_EVENT_CHANNEL_H */
