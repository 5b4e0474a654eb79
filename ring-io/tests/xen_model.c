/* SPDX-License-Identifier: MIT */
/*
 * Reference side of the Xen-compatibility tests: Xen's public ring macros
 * and wire structs, used as published.  Only this file includes <xen/...>.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

/* io/ring.h's barriers for the legacy interface version. */
#define mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define wmb() mb()
#define rmb() mb()
#include <xen/io/blkif.h>
#include <xen/io/netif.h>
#include <xen/io/console.h>
#include <xen/io/xs_wire.h>

#include "xen_model.h"

void xen_layout_get(struct xen_layout *l)
{
    l->blk_req = sizeof(struct blkif_request);
    l->blk_rsp = sizeof(struct blkif_response);
    l->blk_ent = sizeof(union blkif_sring_entry);
    l->blk_ent_align = _Alignof(union blkif_sring_entry);
    l->tx_ent = sizeof(union netif_tx_sring_entry);
    l->rx_ent = sizeof(union netif_rx_sring_entry);
    l->off_req_event = offsetof(struct blkif_sring, req_event);
    l->off_rsp_prod = offsetof(struct blkif_sring, rsp_prod);
    l->off_rsp_event = offsetof(struct blkif_sring, rsp_event);
    l->off_pvt = offsetof(struct blkif_sring, pvt);
    l->off_ring = offsetof(struct blkif_sring, ring);
    l->cons_in = sizeof(((struct xencons_interface *)0)->in);
    l->cons_out = sizeof(((struct xencons_interface *)0)->out);
    l->cons_in_cons = offsetof(struct xencons_interface, in_cons);
    l->cons_out_prod = offsetof(struct xencons_interface, out_prod);
    l->cons_size = sizeof(struct xencons_interface);
    l->xs_req = sizeof(((struct xenstore_domain_interface *)0)->req);
    l->xs_rsp = sizeof(((struct xenstore_domain_interface *)0)->rsp);
    l->xs_req_cons = offsetof(struct xenstore_domain_interface, req_cons);
    l->xs_rsp_prod = offsetof(struct xenstore_domain_interface, rsp_prod);
    l->xs_error = offsetof(struct xenstore_domain_interface, error);
    l->xs_size = sizeof(struct xenstore_domain_interface);
}

unsigned int xen_blk_ring_size(size_t bytes)
{
    return __CONST_RING_SIZE(blkif, bytes);
}

unsigned int xen_netif_tx_ring_size(size_t bytes)
{
    return __CONST_RING_SIZE(netif_tx, bytes);
}

unsigned int xen_netif_rx_ring_size(size_t bytes)
{
    return __CONST_RING_SIZE(netif_rx, bytes);
}

static blkif_front_ring_t front;
static blkif_back_ring_t back;

void xen_model_init(void *page, size_t bytes)
{
    blkif_sring_t *s = page;

    XEN_FRONT_RING_INIT(&front, s, bytes);
    BACK_RING_INIT(&back, s, bytes);
}

unsigned int xen_model_front_put(unsigned int n, uint64_t first_id)
{
    unsigned int i;

    for (i = 0; i < n && !RING_FULL(&front); i++) {
        blkif_request_t *req = RING_GET_REQUEST(&front, front.req_prod_pvt);
        memset(req, 0, sizeof(*req));
        req->id = first_id + i;
        req->operation = BLKIF_OP_READ;
        front.req_prod_pvt++;
    }
    return i;
}

bool xen_model_front_push(void)
{
    int notify;

    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
    return notify;
}

unsigned int xen_model_back_consume(unsigned int max, uint64_t *ids)
{
    unsigned int n = 0;

    while (n < max && RING_HAS_UNCONSUMED_REQUESTS(&back)) {
        blkif_request_t req;
        RING_COPY_REQUEST(&back, back.req_cons, &req);
        back.req_cons++;
        ids[n++] = req.id;
    }
    return n;
}

unsigned int xen_model_back_respond(unsigned int n, const uint64_t *ids)
{
    unsigned int i;

    for (i = 0; i < n && back.rsp_prod_pvt != back.req_cons; i++) {
        blkif_response_t *rsp = RING_GET_RESPONSE(&back, back.rsp_prod_pvt);
        rsp->id = ids[i];
        rsp->operation = BLKIF_OP_READ;
        rsp->status = BLKIF_RSP_OKAY;
        back.rsp_prod_pvt++;
    }
    return i;
}

bool xen_model_back_push(void)
{
    int notify;

    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&back, notify);
    return notify;
}

bool xen_model_back_final_check(void)
{
    int more;

    RING_FINAL_CHECK_FOR_REQUESTS(&back, more);
    return more;
}

unsigned int xen_model_front_consume(unsigned int max, uint64_t *ids)
{
    unsigned int n = 0;

    while (n < max && RING_HAS_UNCONSUMED_RESPONSES(&front)) {
        blkif_response_t rsp;
        RING_COPY_RESPONSE(&front, front.rsp_cons, &rsp);
        front.rsp_cons++;
        ids[n++] = rsp.id;
    }
    return n;
}

bool xen_model_front_final_check(void)
{
    int more;

    RING_FINAL_CHECK_FOR_RESPONSES(&front, more);
    return more;
}
