/* SPDX-License-Identifier: MIT */
/*
 * A reference blkif ring driven by Xen's own io/ring.h macros (from the
 * installed Debian libxen-dev headers), compiled in its own translation
 * unit because those macros clash with ours.  test_ring.c runs the same
 * operation sequence through ring-io and compares every result and the
 * shared header, so "same semantics as Xen" is checked, not assumed.
 */
#ifndef RING_IO_TEST_XEN_MODEL_H
#define RING_IO_TEST_XEN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xen_layout {
    size_t blk_req, blk_rsp, blk_ent, blk_ent_align;
    size_t tx_ent, rx_ent;
    size_t off_req_event, off_rsp_prod, off_rsp_event, off_pvt, off_ring;
    size_t cons_in, cons_out, cons_in_cons, cons_out_prod, cons_size;
    size_t xs_req, xs_rsp, xs_req_cons, xs_rsp_prod, xs_error, xs_size;
};
void xen_layout_get(struct xen_layout *l);

/* Xen's __RING_SIZE for a ring of `bytes` bytes. */
unsigned int xen_blk_ring_size(size_t bytes);
unsigned int xen_netif_tx_ring_size(size_t bytes);
unsigned int xen_netif_rx_ring_size(size_t bytes);

/* One blkif ring, both ends, on `page`; ids are request/response ids. */
void xen_model_init(void *page, size_t bytes);
unsigned int xen_model_front_put(unsigned int n, uint64_t first_id);
bool xen_model_front_push(void);
unsigned int xen_model_back_consume(unsigned int max, uint64_t *ids);
unsigned int xen_model_back_respond(unsigned int n, const uint64_t *ids);
bool xen_model_back_push(void);
bool xen_model_back_final_check(void);
unsigned int xen_model_front_consume(unsigned int max, uint64_t *ids);
bool xen_model_front_final_check(void);

#endif
