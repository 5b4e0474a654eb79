/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for request/response rings (ring_io/ring.h): layout and sizing
 * against Xen's published headers, basic produce/consume, full/empty, index
 * wrap at 2^32, notification thresholds, multi-page rings, and a
 * differential run against Xen's own ring macros (xen_model.c) on the same
 * random operation sequence.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_types.h"
#include "xen_model.h"
#include <abi/io/blkif.h>
#include <abi/io/netif.h>

#define PAGE 4096

static void *page_alloc(size_t bytes)
{
    void *p = aligned_alloc(PAGE, bytes);
    assert_non_null(p);
    memset(p, 0xa5, bytes);     /* garbage: init must not rely on zeroes */
    return p;
}

static void test_layout_matches_xen(void **state)
{
    struct xen_layout x;
    (void)state;

    xen_layout_get(&x);
    assert_int_equal(sizeof(struct t_blk_req), x.blk_req);
    assert_int_equal(sizeof(struct t_blk_rsp), x.blk_rsp);
    assert_int_equal(sizeof(union tblk_sring_entry), x.blk_ent);
    assert_int_equal(_Alignof(union tblk_sring_entry), x.blk_ent_align);
    assert_int_equal(sizeof(union ttx_sring_entry), x.tx_ent);
    assert_int_equal(sizeof(union trx_sring_entry), x.rx_ent);
    assert_int_equal(offsetof(struct tblk_sring, req_prod), 0);
    assert_int_equal(offsetof(struct tblk_sring, req_event), x.off_req_event);
    assert_int_equal(offsetof(struct tblk_sring, rsp_prod), x.off_rsp_prod);
    assert_int_equal(offsetof(struct tblk_sring, rsp_event), x.off_rsp_event);
    assert_int_equal(offsetof(struct tblk_sring, pvt), x.off_pvt);
    assert_int_equal(offsetof(struct tblk_sring, ring), x.off_ring);
    assert_int_equal(offsetof(struct tblk_sring, ring), 64);
    /* Private state keeps Xen's field offsets and size. */
    assert_int_equal(offsetof(tblk_front_ring_t, req_prod_pvt), 0);
    assert_int_equal(offsetof(tblk_front_ring_t, rsp_cons), 4);
    assert_int_equal(offsetof(tblk_front_ring_t, nr_ents), 8);
    assert_int_equal(offsetof(tblk_front_ring_t, sring), 16);
    assert_int_equal(sizeof(tblk_front_ring_t), 24);
    assert_int_equal(offsetof(tblk_back_ring_t, rsp_prod_pvt), 0);
    assert_int_equal(offsetof(tblk_back_ring_t, req_cons), 4);
    assert_int_equal(sizeof(tblk_back_ring_t), 24);
}

static void test_nr_ents_match_xen(void **state)
{
    static const size_t pages[] = { 1, 2, 3, 4, 8, 16, 32 };
    size_t i;
    (void)state;

    /* The numbers Linux's blkfront and netfront see on one 4 KiB page. */
    assert_int_equal(ring_io_nr_ents(PAGE, sizeof(union tblk_sring_entry)), 32);
    assert_int_equal(ring_io_nr_ents(PAGE, sizeof(union ttx_sring_entry)), 256);
    assert_int_equal(ring_io_nr_ents(PAGE, sizeof(union trx_sring_entry)), 256);
    _Static_assert(RING_IO_CONST_NR_ENTS(tblk, PAGE) == 32, "blkif size");
    _Static_assert(RING_IO_CONST_NR_ENTS(ttx, PAGE) == 256, "netif tx size");

    for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        size_t b = pages[i] * PAGE;
        assert_int_equal(ring_io_nr_ents(b, sizeof(union tblk_sring_entry)),
                         xen_blk_ring_size(b));
        assert_int_equal(ring_io_nr_ents(b, sizeof(union ttx_sring_entry)),
                         xen_netif_tx_ring_size(b));
        assert_int_equal(ring_io_nr_ents(b, sizeof(union trx_sring_entry)),
                         xen_netif_rx_ring_size(b));
        assert_int_equal(RING_IO_CONST_NR_ENTS(tblk, b), xen_blk_ring_size(b));
    }
    /* Too small for one entry: no ring. */
    assert_int_equal(ring_io_nr_ents(64, 8), 0);
    assert_int_equal(ring_io_nr_ents(71, 8), 0);
    assert_int_equal(ring_io_nr_ents(72, 8), 1);
}

static void test_init_full_empty(void **state)
{
    tblk_sring_t *s = page_alloc(PAGE);
    tblk_front_ring_t f;
    tblk_back_ring_t b;
    struct t_blk_req q = { .id = 0 }, got;
    struct t_blk_rsp p;
    unsigned int i;
    (void)state;

    assert_true(ring_front_init(&f, s, PAGE));
    assert_true(ring_back_init(&b, s, PAGE));
    assert_int_equal(s->req_prod, 0);
    assert_int_equal(s->rsp_prod, 0);
    assert_int_equal(s->req_event, 1);
    assert_int_equal(s->rsp_event, 1);
    assert_int_equal(s->__pad[0], 0);
    assert_int_equal(ring_size(&f), 32);
    assert_int_equal(ring_front_free_requests(&f), 32);
    assert_false(ring_front_full(&f));
    assert_false(ring_front_get_response(&f, &p));
    assert_false(ring_back_get_request(&b, &got));
    assert_false(ring_back_put_response(&b, &p));   /* nothing to answer */

    for (i = 0; i < 32; i++) {
        q.id = i;
        assert_true(ring_front_put_request(&f, &q));
    }
    assert_true(ring_front_full(&f));
    assert_false(ring_front_put_request(&f, &q));
    /* Not pushed yet: the back end sees nothing. */
    assert_int_equal(ring_back_unconsumed_requests(&b), 0);
    ring_front_push(&f);
    assert_int_equal(ring_back_unconsumed_requests(&b), 32);
    for (i = 0; i < 32; i++) {
        assert_true(ring_back_get_request(&b, &got));
        assert_int_equal(got.id, i);
    }
    assert_false(ring_back_get_request(&b, &got));
    /* Still full for the front until responses are consumed. */
    assert_true(ring_front_full(&f));
    p.id = 7;
    assert_true(ring_back_put_response(&b, &p));
    ring_back_push(&b);
    assert_true(ring_front_get_response(&f, &p));
    assert_int_equal(p.id, 7);
    assert_int_equal(ring_front_free_requests(&f), 1);
    assert_false(ring_broken(&f));
    assert_false(ring_broken(&b));
    free(s);
}

/* Start every index just below 2^32 and run past the wrap. */
static void test_index_wrap(void **state)
{
    tmsg_sring_t *s = page_alloc(PAGE);
    tmsg_front_ring_t f;
    tmsg_back_ring_t b;
    const RING_IDX start = 0xfffffff0u;
    uint64_t sent = 0, got_req = 0, got_rsp = 0;
    (void)state;

    ring_shared_init(s);
    s->req_prod = s->rsp_prod = start;
    s->req_event = s->rsp_event = start + 1;
    ring_front_attach(&f, s, start, PAGE);
    ring_back_attach(&b, s, start, PAGE);
    while (got_rsp < 1000) {
        struct t_msg_req q = t_msg_make(sent), r;
        struct t_msg_rsp p;

        while (sent < 1000 && ring_front_put_request(&f, &q))
            q = t_msg_make(++sent);
        ring_front_push(&f);
        while (ring_back_get_request(&b, &r)) {
            assert_int_equal(r.seq, got_req++);
            assert_int_equal(r.check, t_msg_check(r.seq, r.a, r.b));
            p.seq = r.seq;
            p.sum = r.a + r.b;
            assert_true(ring_back_put_response(&b, &p));
        }
        ring_back_push(&b);
        while (ring_front_get_response(&f, &p)) {
            struct t_msg_req e = t_msg_make(got_rsp);
            assert_int_equal(p.seq, got_rsp++);
            assert_int_equal(p.sum, e.a + e.b);
        }
    }
    assert_true(f.rsp_cons < start);    /* really wrapped */
    assert_false(ring_broken(&f) || ring_broken(&b));
    free(s);
}

/* req_event/rsp_event: notify exactly when the threshold is crossed. */
static void test_notify_thresholds(void **state)
{
    tblk_sring_t *s = page_alloc(PAGE);
    tblk_front_ring_t f;
    tblk_back_ring_t b;
    struct t_blk_req q = { .id = 1 }, got;
    struct t_blk_rsp p = { .id = 1 };
    (void)state;

    ring_front_init(&f, s, PAGE);
    ring_back_init(&b, s, PAGE);
    /* Fresh ring: req_event == 1, so the first request notifies. */
    ring_front_put_request(&f, &q);
    assert_true(ring_front_push(&f));
    /* Back end has not re-armed: further pushes stay silent. */
    ring_front_put_request(&f, &q);
    assert_false(ring_front_push(&f));
    /* Pushing nothing never notifies. */
    assert_false(ring_front_push(&f));
    /* Back end has work, so its final check does not re-arm. */
    assert_true(ring_back_final_check(&b));
    assert_int_equal(s->req_event, 1);
    while (ring_back_get_request(&b, &got))
        ring_back_put_response(&b, &p);
    /* Idle: re-arms at req_cons + 1 and reports no work. */
    assert_false(ring_back_final_check(&b));
    assert_int_equal(s->req_event, 3);
    ring_front_put_request(&f, &q);
    ring_front_put_request(&f, &q);
    assert_true(ring_front_push(&f));   /* batch crossing 3 notifies once */
    /* A threshold further ahead (batching) is honoured too. */
    s->req_event = 7;
    ring_front_put_request(&f, &q);
    assert_false(ring_front_push(&f));  /* req_prod 5 */
    ring_front_put_request(&f, &q);
    assert_false(ring_front_push(&f));  /* 6 */
    ring_front_put_request(&f, &q);
    assert_true(ring_front_push(&f));   /* 7 */
    /* Responses: first notifies (rsp_event == 1). */
    assert_true(ring_back_push(&b));
    free(s);
}

static void check_same(const void *xen_page, const void *our_page)
{
    /* The four indices must match the reference exactly. */
    assert_memory_equal(xen_page, our_page, 16);
}

/*
 * Random interleavings of every operation on both ends, once through Xen's
 * macros and once through ring-io, comparing return values and indices.
 */
static void run_differential(size_t bytes, unsigned int seed)
{
    tblk_sring_t *ours = page_alloc(bytes);
    void *xen = page_alloc(bytes);
    tblk_front_ring_t f;
    tblk_back_ring_t b;
    uint64_t next_id = 0, xids[64], oids[64];
    unsigned int step, i;

    xen_model_init(xen, bytes);
    ring_front_init(&f, ours, bytes);
    ring_back_init(&b, ours, bytes);
    srand(seed);
    for (step = 0; step < 100000; step++) {
        unsigned int n = 1 + (unsigned int)rand() % 40, xn, on = 0;
        switch (rand() % 8) {
        case 0:     /* front puts up to n */
            xn = xen_model_front_put(n, next_id);
            for (i = 0; i < n; i++) {
                struct t_blk_req q = { .id = next_id + i };
                if (!ring_front_put_request(&f, &q))
                    break;
                on++;
            }
            assert_int_equal(xn, on);
            next_id += on;
            break;
        case 1:
            assert_int_equal(xen_model_front_push(), ring_front_push(&f));
            break;
        case 2: {   /* back consumes up to n and answers them all */
            struct t_blk_req q;
            xn = xen_model_back_consume(n, xids);
            while (on < n && ring_back_get_request(&b, &q))
                oids[on++] = q.id;
            assert_int_equal(xn, on);
            assert_memory_equal(xids, oids, on * sizeof(oids[0]));
            assert_int_equal(xen_model_back_respond(xn, xids), xn);
            for (i = 0; i < on; i++) {
                struct t_blk_rsp p = { .id = oids[i] };
                assert_true(ring_back_put_response(&b, &p));
            }
            break;
        }
        case 3:
            assert_int_equal(xen_model_back_push(), ring_back_push(&b));
            break;
        case 4:
            assert_int_equal(xen_model_back_final_check(),
                             ring_back_final_check(&b));
            break;
        case 5: {
            struct t_blk_rsp p;
            xn = xen_model_front_consume(n, xids);
            while (on < n && ring_front_get_response(&f, &p))
                oids[on++] = p.id;
            assert_int_equal(xn, on);
            assert_memory_equal(xids, oids, on * sizeof(oids[0]));
            break;
        }
        case 6:
            assert_int_equal(xen_model_front_final_check(),
                             ring_front_final_check(&f));
            break;
        case 7:
            assert_int_equal(ring_front_free_requests(&f),
                             ring_size(&f) - (f.req_prod_pvt - f.rsp_cons));
            break;
        }
        check_same(xen, ours);
    }
    assert_false(ring_broken(&f) || ring_broken(&b));
    assert_true(next_id > 1000);
    free(ours);
    free(xen);
}

static void test_differential_vs_xen(void **state)
{
    (void)state;
    run_differential(PAGE, 1);
    run_differential(2 * PAGE, 2);      /* multi-page: 64 entries */
}

/* A 4-page netif-tx-shaped ring: 1024 entries, traffic across the pages. */
static void test_multi_page(void **state)
{
    const size_t bytes = 4 * PAGE;
    ttx_sring_t *s = page_alloc(bytes);
    ttx_front_ring_t f;
    ttx_back_ring_t b;
    unsigned int i, round;
    (void)state;

    ring_front_init(&f, s, bytes);
    ring_back_init(&b, s, bytes);
    assert_int_equal(ring_size(&f), 1024);
    for (round = 0; round < 5; round++) {
        for (i = 0; i < 1024; i++) {
            struct t_tx_req q = { .id = (uint16_t)i, .size = (uint16_t)round };
            assert_true(ring_front_put_request(&f, &q));
        }
        assert_true(ring_front_full(&f));
        ring_front_push(&f);
        for (i = 0; i < 1024; i++) {
            struct t_tx_req q;
            struct t_tx_rsp p;
            assert_true(ring_back_get_request(&b, &q));
            assert_int_equal(q.id, i);
            assert_int_equal(q.size, round);
            p.id = q.id;
            p.status = 0;
            ring_back_put_response(&b, &p);
        }
        ring_back_push(&b);
        for (i = 0; i < 1024; i++) {
            struct t_tx_rsp p;
            assert_true(ring_front_get_response(&f, &p));
            assert_int_equal(p.id, i);
        }
        assert_false(ring_front_final_check(&f));
    }
    free(s);
}

/*
 * The real wire types from hypercall-abi, as blkback/netback will use
 * them: sizes equal Xen's, and a request survives a round trip.
 */
static void test_abi_wire_types(void **state)
{
    blkif_sring_t *s = page_alloc(PAGE);
    blkif_front_ring_t f;
    blkif_back_ring_t b;
    struct blkif_request q, got;
    struct blkif_response p = { .id = 77, .operation = BLKIF_OP_READ };
    (void)state;

    assert_int_equal(RING_IO_CONST_NR_ENTS(blkif, PAGE), xen_blk_ring_size(PAGE));
    assert_int_equal(RING_IO_CONST_NR_ENTS(netif_tx, PAGE),
                     xen_netif_tx_ring_size(PAGE));
    assert_int_equal(RING_IO_CONST_NR_ENTS(netif_rx, PAGE),
                     xen_netif_rx_ring_size(PAGE));
    assert_int_equal(RING_IO_CONST_NR_ENTS(blkif, 4 * PAGE),
                     xen_blk_ring_size(4 * PAGE));

    memset(&q, 0, sizeof(q));
    q.operation = BLKIF_OP_WRITE;
    q.nr_segments = 11;
    q.id = 77;
    q.sector_number = 123456789;
    q.seg[10].gref = 42;
    q.seg[10].last_sect = 7;
    ring_front_init(&f, s, PAGE);
    ring_back_init(&b, s, PAGE);
    assert_true(ring_front_put_request(&f, &q));
    assert_true(ring_front_push(&f));
    assert_true(ring_back_get_request(&b, &got));
    assert_memory_equal(&got, &q, sizeof(q));
    assert_true(ring_back_put_response(&b, &p));
    assert_true(ring_back_push(&b));
    memset(&p, 0, sizeof(p));
    assert_true(ring_front_get_response(&f, &p));
    assert_int_equal(p.id, 77);
    free(s);
}

static void test_too_small(void **state)
{
    tblk_sring_t *s = page_alloc(PAGE);
    tblk_front_ring_t f;
    struct t_blk_req q = { .id = 0 };
    (void)state;

    assert_false(ring_front_init(&f, s, 64 + 100));
    assert_true(ring_broken(&f));
    assert_false(ring_front_put_request(&f, &q));
    assert_false(ring_front_push(&f));
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_matches_xen),
        cmocka_unit_test(test_nr_ents_match_xen),
        cmocka_unit_test(test_init_full_empty),
        cmocka_unit_test(test_index_wrap),
        cmocka_unit_test(test_notify_thresholds),
        cmocka_unit_test(test_differential_vs_xen),
        cmocka_unit_test(test_multi_page),
        cmocka_unit_test(test_abi_wire_types),
        cmocka_unit_test(test_too_small),
    };
    return cmocka_run_group_tests_name("ring-io-unit", tests, NULL, NULL);
}
