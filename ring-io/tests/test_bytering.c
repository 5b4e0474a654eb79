/* SPDX-License-Identifier: MIT */
/*
 * Byte-ring tests (ring_io/bytering.h) under ASan+UBSan: the console and
 * xenstore page layouts (checked against Xen's headers), full/empty,
 * partial copies, wrap of the array and of the 2^32 index space, records
 * split across the wrap, and hostile index values from the peer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ring_io/bytering.h>
#include "xen_model.h"

/*
 * The two pages as the guest sees them.  The real definitions belong to
 * hypercall-abi (abi/io/console.h, abi/io/xs_wire.h); these local mirrors
 * are checked against Xen's so the tests need nothing from there.
 */
struct t_cons_intf {
    char in[1024];
    char out[2048];
    uint32_t in_cons, in_prod;
    uint32_t out_cons, out_prod;
};
struct t_xs_intf {
    char req[1024];
    char rsp[1024];
    uint32_t req_cons, req_prod;
    uint32_t rsp_cons, rsp_prod;
    uint32_t server_features, connection, error;
};

static void test_layout_matches_xen(void **state)
{
    struct xen_layout x;
    (void)state;

    xen_layout_get(&x);
    assert_int_equal(sizeof(((struct t_cons_intf *)0)->in), x.cons_in);
    assert_int_equal(sizeof(((struct t_cons_intf *)0)->out), x.cons_out);
    assert_int_equal(offsetof(struct t_cons_intf, in_cons), x.cons_in_cons);
    assert_int_equal(offsetof(struct t_cons_intf, out_prod), x.cons_out_prod);
    assert_int_equal(sizeof(struct t_cons_intf), x.cons_size);
    assert_int_equal(sizeof(((struct t_xs_intf *)0)->req), x.xs_req);
    assert_int_equal(sizeof(((struct t_xs_intf *)0)->rsp), x.xs_rsp);
    assert_int_equal(offsetof(struct t_xs_intf, req_cons), x.xs_req_cons);
    assert_int_equal(offsetof(struct t_xs_intf, rsp_prod), x.xs_rsp_prod);
    assert_int_equal(offsetof(struct t_xs_intf, error), x.xs_error);
    assert_int_equal(sizeof(struct t_xs_intf), x.xs_size);
}

/* Console "out": guest writes, console daemon reads; full and empty. */
static void test_console_full_empty(void **state)
{
    struct t_cons_intf *c = calloc(1, sizeof(*c));
    struct bytering w, r;
    static char data[3000], back[3000];
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 7 + 3);
    assert_true(bytering_init_writer(&w, c->out, sizeof(c->out),
                                     &c->out_cons, &c->out_prod));
    assert_true(bytering_init_reader(&r, c->out, sizeof(c->out),
                                     &c->out_cons, &c->out_prod));
    assert_int_equal(bytering_avail(&r), 0);
    assert_int_equal(bytering_read(&r, back, sizeof(back)), 0);
    assert_int_equal(bytering_space(&w), 2048);
    /* Copies as much as fits and says so. */
    assert_int_equal(bytering_write(&w, data, sizeof(data)), 2048);
    assert_int_equal(bytering_space(&w), 0);
    assert_int_equal(bytering_write(&w, data, 10), 0);
    assert_int_equal(c->out_prod, 2048);
    assert_int_equal(bytering_avail(&r), 2048);
    assert_int_equal(bytering_read(&r, back, 100), 100);
    assert_memory_equal(back, data, 100);
    assert_int_equal(bytering_space(&w), 100);
    assert_int_equal(bytering_read(&r, back + 100, sizeof(back)), 1948);
    assert_memory_equal(back, data, 2048);
    assert_int_equal(bytering_read(&r, back, sizeof(back)), 0);
    assert_int_equal(c->out_cons, 2048);
    /* Wrong-direction calls move nothing. */
    assert_int_equal(bytering_read(&w, back, 1), 0);
    assert_int_equal(bytering_write(&r, data, 1), 0);
    assert_false(bytering_broken(&w) || bytering_broken(&r));
    free(c);
}

/* Runs that cross the end of the array arrive intact, at every offset. */
static void test_wrap_every_offset(void **state)
{
    struct t_xs_intf *x = calloc(1, sizeof(*x));
    struct bytering w, r;
    char msg[300], got[300];
    unsigned int i, k;
    (void)state;

    bytering_init_writer(&w, x->req, sizeof(x->req), &x->req_cons, &x->req_prod);
    bytering_init_reader(&r, x->req, sizeof(x->req), &x->req_cons, &x->req_prod);
    for (i = 0; i < 2 * 1024 + 7; i++) {
        size_t len = 1 + i % sizeof(msg);
        for (k = 0; k < len; k++)
            msg[k] = (char)(i + k);
        assert_int_equal(bytering_write(&w, msg, len), len);
        assert_int_equal(bytering_read(&r, got, len), len);
        assert_memory_equal(got, msg, len);
    }
    assert_int_equal(x->req_prod, x->req_cons);
    free(x);
}

/* Indices attached just below 2^32 keep working across the wrap. */
static void test_index_wrap_32bit(void **state)
{
    struct t_xs_intf *x = calloc(1, sizeof(*x));
    struct bytering w, r;
    char a[1024], b[1024];
    unsigned int round, k;
    (void)state;

    x->rsp_cons = x->rsp_prod = 0xfffffc10u;
    bytering_init_writer(&w, x->rsp, 1024, &x->rsp_cons, &x->rsp_prod);
    bytering_init_reader(&r, x->rsp, 1024, &x->rsp_cons, &x->rsp_prod);
    for (round = 0; round < 8; round++) {
        for (k = 0; k < sizeof(a); k++)
            a[k] = (char)(round ^ k);
        assert_int_equal(bytering_write(&w, a, 1024), 1024);
        assert_int_equal(bytering_write(&w, a, 1), 0);
        assert_int_equal(bytering_read(&r, b, 1024), 1024);
        assert_memory_equal(a, b, 1024);
    }
    assert_true(x->rsp_prod < 0x10000u);
    assert_false(bytering_broken(&w) || bytering_broken(&r));
    free(x);
}

/* A xenstore-style 16-byte header split by the wrap, read in pieces. */
static void test_header_split_across_wrap(void **state)
{
    struct t_xs_intf *x = calloc(1, sizeof(*x));
    struct bytering w, r;
    uint32_t hdr[4] = { 1, 42, 0, 5 }, got[4];
    char pad[1018];
    (void)state;

    bytering_init_writer(&w, x->req, 1024, &x->req_cons, &x->req_prod);
    bytering_init_reader(&r, x->req, 1024, &x->req_cons, &x->req_prod);
    memset(pad, 0, sizeof(pad));
    bytering_write(&w, pad, sizeof(pad));
    bytering_read(&r, pad, sizeof(pad));
    assert_int_equal(bytering_write(&w, hdr, sizeof(hdr)), 16);
    assert_int_equal(bytering_read(&r, got, 3), 3);
    assert_int_equal(bytering_read(&r, (char *)got + 3, 13), 13);
    assert_memory_equal(got, hdr, 16);
    free(x);
}

static void test_bad_size(void **state)
{
    struct t_xs_intf *x = calloc(1, sizeof(*x));
    struct bytering w;
    (void)state;

    assert_false(bytering_init_writer(&w, x->req, 1000, &x->req_cons,
                                      &x->req_prod));
    assert_true(bytering_broken(&w));
    assert_int_equal(bytering_write(&w, "x", 1), 0);
    assert_false(bytering_init_writer(&w, x->req, 0, &x->req_cons,
                                      &x->req_prod));
    free(x);
}

/* Exactly-sized heap buffers so ASan sees any overrun. */
struct hostile {
    uint8_t *buf;
    uint32_t *idx;      /* [0] cons, [1] prod */
    uint8_t *out;
};

static int hsetup(void **state)
{
    struct hostile *h = calloc(1, sizeof(*h));

    h->buf = calloc(1, 1024);
    h->idx = calloc(2, sizeof(uint32_t));
    h->out = calloc(1, 1024);
    *state = h;
    return 0;
}

static int hteardown(void **state)
{
    struct hostile *h = *state;

    free(h->buf);
    free(h->idx);
    free(h->out);
    free(h);
    return 0;
}

static void test_reader_prod_jumps(void **state)
{
    struct hostile *h = *state;
    struct bytering r;

    bytering_init_reader(&r, h->buf, 1024, &h->idx[0], &h->idx[1]);
    h->idx[1] = 1024;           /* exactly full: legal */
    assert_int_equal(bytering_read(&r, h->out, 10), 10);
    h->idx[1] = 10 + 1025;      /* more than the array holds */
    assert_int_equal(bytering_read(&r, h->out, 1024), 0);
    assert_true(bytering_broken(&r));
    h->idx[1] = 20;             /* plausible again: still dead */
    assert_int_equal(bytering_read(&r, h->out, 1024), 0);
    assert_int_equal(bytering_avail(&r), 0);
    assert_int_equal(h->idx[0], 10);
}

static void test_reader_prod_backwards(void **state)
{
    struct hostile *h = *state;
    struct bytering r;

    bytering_init_reader(&r, h->buf, 1024, &h->idx[0], &h->idx[1]);
    h->idx[1] = 100;
    assert_int_equal(bytering_read(&r, h->out, 10), 10);
    h->idx[1] = 50;             /* still ahead of cons, but went back */
    assert_int_equal(bytering_read(&r, h->out, 1024), 0);
    assert_true(bytering_broken(&r));
}

static void test_writer_cons_hostile(void **state)
{
    struct hostile *h = *state;
    struct bytering w;
    static const char data[1024];

    bytering_init_writer(&w, h->buf, 1024, &h->idx[0], &h->idx[1]);
    assert_int_equal(bytering_write(&w, data, 600), 600);
    h->idx[0] = 700;            /* consumed bytes never written */
    assert_int_equal(bytering_write(&w, data, 1024), 0);
    assert_true(bytering_broken(&w));

    h->idx[0] = h->idx[1] = 0;
    bytering_init_writer(&w, h->buf, 1024, &h->idx[0], &h->idx[1]);
    assert_int_equal(bytering_write(&w, data, 600), 600);
    h->idx[0] = 500;
    assert_int_equal(bytering_write(&w, data, 1024), 924);
    h->idx[0] = 400;            /* cons moved back */
    assert_int_equal(bytering_space(&w), 0);
    assert_true(bytering_broken(&w));
}

/* Our own index scribbled by the peer is ignored: we keep our copy. */
static void test_own_index_scribbled(void **state)
{
    struct hostile *h = *state;
    struct bytering r;

    bytering_init_reader(&r, h->buf, 1024, &h->idx[0], &h->idx[1]);
    h->idx[1] = 30;
    assert_int_equal(bytering_read(&r, h->out, 10), 10);
    h->idx[0] = 0x7fffffff;     /* peer rewrites our cons */
    assert_int_equal(bytering_read(&r, h->out, 1024), 20);
    assert_int_equal(h->idx[0], 30);
    assert_false(bytering_broken(&r));
}

/* Hostile writer attaching with prod far ahead: caught at first read. */
static void test_attach_with_bad_indices(void **state)
{
    struct hostile *h = *state;
    struct bytering r;

    h->idx[0] = 5;
    h->idx[1] = 5 + 4096;
    bytering_init_reader(&r, h->buf, 1024, &h->idx[0], &h->idx[1]);
    assert_int_equal(bytering_read(&r, h->out, 1024), 0);
    assert_true(bytering_broken(&r));
}

int main(void)
{
#define H(fn) cmocka_unit_test_setup_teardown(fn, hsetup, hteardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_matches_xen),
        cmocka_unit_test(test_console_full_empty),
        cmocka_unit_test(test_wrap_every_offset),
        cmocka_unit_test(test_index_wrap_32bit),
        cmocka_unit_test(test_header_split_across_wrap),
        cmocka_unit_test(test_bad_size),
        H(test_reader_prod_jumps),
        H(test_reader_prod_backwards),
        H(test_writer_cons_hostile),
        H(test_own_index_scribbled),
        H(test_attach_with_bad_indices),
    };
    return cmocka_run_group_tests_name("ring-io-bytering", tests, NULL, NULL);
}
