/* SPDX-License-Identifier: MIT */
/*
 * Ring types shared by the ring-io tests, fuzzer and benchmark.  The tblk,
 * ttx and trx messages have the sizes and alignment of blkif and netif
 * tx/rx (checked against Xen's headers in test_ring.c) so sizing and
 * interop tests exercise the real geometry; tmsg is the stress-test
 * message, whose fields let the receiver check order and content.
 */
#ifndef RING_IO_TEST_TYPES_H
#define RING_IO_TEST_TYPES_H

#include <stdint.h>
#include <ring_io/ring.h>

struct t_blk_seg {
    uint32_t gref;
    uint8_t first_sect, last_sect;
};
struct t_blk_req {
    uint8_t operation, nr_segments;
    uint16_t handle;
    uint64_t id;
    uint64_t sector_number;
    struct t_blk_seg seg[11];
};
struct t_blk_rsp {
    uint64_t id;
    uint8_t operation;
    int16_t status;
};
DEFINE_RING_TYPES(tblk, struct t_blk_req, struct t_blk_rsp);

struct t_tx_req {
    uint32_t gref;
    uint16_t offset, flags, id, size;
};
struct t_tx_rsp {
    uint16_t id;
    int16_t status;
};
DEFINE_RING_TYPES(ttx, struct t_tx_req, struct t_tx_rsp);

struct t_rx_req {
    uint16_t id, pad;
    uint32_t gref;
};
struct t_rx_rsp {
    uint16_t id, offset, flags;
    int16_t status;
};
DEFINE_RING_TYPES(trx, struct t_rx_req, struct t_rx_rsp);

struct t_msg_req {
    uint64_t seq;
    uint64_t a, b;
    uint64_t check;         /* function of seq, a, b */
};
struct t_msg_rsp {
    uint64_t seq;
    uint64_t sum;           /* a + b of the request */
};
DEFINE_RING_TYPES(tmsg, struct t_msg_req, struct t_msg_rsp);

static inline uint64_t t_msg_check(uint64_t seq, uint64_t a, uint64_t b)
{
    uint64_t x = seq * 0x9e3779b97f4a7c15ull ^ a ^ (b << 7);
    return x ^ (x >> 29);
}

static inline struct t_msg_req t_msg_make(uint64_t seq)
{
    struct t_msg_req q = { .seq = seq, .a = seq * 3 + 1, .b = ~seq };
    q.check = t_msg_check(q.seq, q.a, q.b);
    return q;
}

#endif
